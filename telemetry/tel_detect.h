/* The anomaly detectors and their state (private to the pipeline): per
 * request (an LRU table of requests_max entries), per environment (the
 * duration baseline ring, the invocation-rate buckets) and per window
 * (alerts that have no request). Not thread-safe: the pipeline serialises
 * calls. The categories, rules and thresholds are listed in tel_pipeline.h.
 */
#ifndef TEL_DETECT_H
#define TEL_DETECT_H

#include "tel_alert.h"
#include "tel_batch.h"
#include "tel_pipeline.h"

struct tel_detect;

/* Looks up the inspection note of a request: 1 and the note's alert id and
 * severity (alert_id "" when the request was only noted as blocked), or 0.
 * *blocked: Vigil refused the event itself (tel_pipeline_note_blocked). */
typedef int (*tel_corr_fn)(void *ctx, const char *request_id, char alert_id[33], char severity[16],
                           bool *blocked);

/* cfg must have passed tel_config_check and is copied; sink is borrowed.
 * corr may be NULL. 0 or -ENOMEM. */
int tel_detect_new(const struct tel_config *cfg, const struct tel_sink *sink, tel_corr_fn corr,
                   void *corr_ctx, struct tel_detect **out);
void tel_detect_free(struct tel_detect *d);

/* One record; alerts go to the sink before it returns. */
void tel_detect_record(struct tel_detect *d, const struct tel_record *r);

/* Reports what is held back for a window that has ended by now_ms (epoch
 * ms; < 0: everything held, whatever the window): the counts of
 * platform.logsDropped records that came after their window's alert. */
void tel_detect_flush(struct tel_detect *d, int64_t now_ms);

/* Counters since new: alerts emitted, deduplicated, correlated, the
 * requests the LRU forgot, and failures that were Vigil's own refusals. */
void tel_detect_counts(const struct tel_detect *d, uint64_t *alerts, uint64_t *deduped,
                       uint64_t *correlated, uint64_t *evicted, uint64_t *blocked);

/* "INFO" < "WARN" < "ERROR" < "FATAL"; the finding words low, medium,
 * high, critical map onto them. 0 for anything else. */
int tel_severity_rank(const char *s);

#endif
