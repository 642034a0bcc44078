/* The telemetry pipeline: what the extension holds. Batches from the
 * listener go in (tel_pipeline_feed), anomaly alerts come out through a
 * struct tel_sink (kind "telemetry", the contract's telemetry categories;
 * kind "health" for batches it had to refuse),
 * and the proxy's inspection alerts are noted so that a request that then
 * fails carries the inspection alert's id (correlation).
 *
 * Threads: feed may be called from several listener threads (records are
 * handled under one mutex); tel_pipeline_note_inspection is called from the
 * proxy's threads and takes only a short lock of its own (a copy into a
 * fixed table), never the detectors' lock, so the invocation path never
 * waits for a batch. The sink's emit is called with the detectors' lock
 * held: it must not call back into the pipeline.
 *
 * Alerts (rule ids, severities; "correlated" = +1 step and correlated_id):
 *   error            tel.error               ERROR  runtimeDone/report status error or failure
 *                                                   (not Vigil's own refusal of a blocked
 *                                                   event: tel_pipeline_note_blocked)
 *   timeout          tel.timeout             ERROR  status timeout or errorType Sandbox.Timeout
 *   oom              tel.oom.error_type      ERROR  errorType *OutOfMemory*
 *                    tel.oom.log                    a runtime's out-of-memory log line
 *                    tel.oom.memory                 report maxMemoryUsedMB >= memorySizeMB
 *   crash            tel.crash               ERROR  errorType Runtime.ExitError / *.Crash
 *   init_failure     tel.init_failure        ERROR  initRuntimeDone/initReport status not success
 *   duration_anomaly tel.duration            WARN   after duration_warmup successes, duration >
 *                                                   median + max(k * max(1.4826 MAD, 5% of
 *                                                   median), min_ms) over the last window
 *   memory_pressure  tel.memory_pressure     WARN   maxMemoryUsedMB >= share * memorySizeMB
 *   logs_dropped     tel.logs_dropped        WARN   platform.logsDropped: the first of each
 *                                                   window; the counts of later ones in the
 *                                                   window in one more alert once the window
 *                                                   has ended (a later record, tick) or at
 *                                                   tel_pipeline_flush
 *   secret_in_logs   tel.secret.<kind>       ERROR  tel_secrets.h kinds in function/extension logs:
 *                                                   once per request (without one: per window
 *                                                   and new kind); <kind> is the record's first,
 *                                                   vigil.secret.kinds and the summary list all
 *                                                   of the record's; the excerpt has every one
 *                                                   redacted
 *   extension_failure tel.extension_failure  ERROR  platform.extension of another extension in
 *                                                   InitError, LaunchError, ExitError,
 *                                                   ShutdownFailed or with an errorType,
 *                                                   or an invocation failing with an
 *                                                   Extension.* errorType (then per request)
 *   invocation_surge tel.invocation_surge    WARN   after surge_warmup buckets, starts in the
 *                                                   current bucket >= surge_min and > ratio *
 *                                                   median of the past buckets (once a bucket)
 * A request gets at most one alert per category; error, timeout, crash, oom
 * and an extension's failure are one failure: the most specific known when
 * it is reported wins (oom, timeout, extension_failure, crash, error), and
 * oom may still follow when only the report shows memory at the limit.
 * Under a flood the LRU may forget a request whose alert went out; a late
 * record of it can then raise the alert again, with the same stable id
 * (the collector keeps one).
 */
#ifndef TEL_PIPELINE_H
#define TEL_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tel_alert.h"
#include "tel_batch.h"

/* Thresholds and bounds. Proposed configuration names (ext's table), with
 * defaults and bounds:
 *   VIGIL_TEL_MEMORY_SHARE      memory_share        0.9   [0.5, 1.0]
 *   VIGIL_TEL_DURATION_WARMUP   duration_warmup     20    [5, duration_window]
 *   VIGIL_TEL_DURATION_WINDOW   duration_window     100   [10, 1000]
 *   VIGIL_TEL_DURATION_K        duration_k          6.0   [2, 100]
 *   VIGIL_TEL_DURATION_MIN_MS   duration_min_ms     50    [0, 900000]
 *   VIGIL_TEL_SURGE_BUCKET_S    surge_bucket_s      10    [1, 3600]
 *   VIGIL_TEL_SURGE_WINDOW      surge_window        30    [3, 1000] buckets
 *   VIGIL_TEL_SURGE_WARMUP      surge_warmup        6     [1, surge_window] buckets
 *   VIGIL_TEL_SURGE_RATIO       surge_ratio         10    [2, 1000]
 *   VIGIL_TEL_SURGE_MIN         surge_min           50    [1, 1000000] starts in a bucket
 *   VIGIL_TEL_REQUESTS_MAX      requests_max        1024  [16, 65536] requests remembered (LRU)
 *   VIGIL_TEL_ALERT_WINDOW_S    alert_window_s      60    [1, 3600] for alerts without a request
 *   VIGIL_TEL_SECRETS           scan_secrets        on    scan function and extension logs
 *   VIGIL_TEL_BODY_MAX          body_max            4 MiB [1 MiB, 64 MiB] the listener's cap
 * (Lambda sends up to 2 * maxBytes (at most 1 MiB) plus metadata per batch.)
 */
/* The bounds tel_config_check holds each setting to, for whoever offers
 * them to users (the extension's configuration table uses these). */
#define TEL_MEMORY_SHARE_MIN    0.5
#define TEL_MEMORY_SHARE_MAX    1.0
#define TEL_DURATION_WINDOW_MIN 10
#define TEL_DURATION_WINDOW_MAX 1000
#define TEL_DURATION_WARMUP_MIN 5 /* at most duration_window */
#define TEL_DURATION_K_MIN      2
#define TEL_DURATION_K_MAX      100
#define TEL_DURATION_MIN_MS_MAX 900000 /* at least 0 */
#define TEL_SURGE_BUCKET_S_MIN  1
#define TEL_SURGE_BUCKET_S_MAX  3600
#define TEL_SURGE_WINDOW_MIN    3
#define TEL_SURGE_WINDOW_MAX    1000
#define TEL_SURGE_WARMUP_MIN    1 /* at most surge_window */
#define TEL_SURGE_RATIO_MIN     2
#define TEL_SURGE_RATIO_MAX     1000
#define TEL_SURGE_MIN_MIN       1
#define TEL_SURGE_MIN_MAX       1000000
#define TEL_REQUESTS_MAX_MIN    16
#define TEL_REQUESTS_MAX_MAX    65536
#define TEL_ALERT_WINDOW_S_MIN  1
#define TEL_ALERT_WINDOW_S_MAX  3600
#define TEL_BODY_MAX_MIN        (1u << 20)
#define TEL_BODY_MAX_MAX        (64u << 20)

struct tel_config {
	double memory_share;
	unsigned duration_warmup;
	unsigned duration_window;
	double duration_k;
	double duration_min_ms;
	unsigned surge_bucket_s;
	unsigned surge_window;
	unsigned surge_warmup;
	double surge_ratio;
	unsigned surge_min;
	unsigned requests_max;
	unsigned alert_window_s;
	bool scan_secrets;
	size_t body_max;
	/* This extension's name (the file basename): its own state records
	 * are not another extension's failure. Borrowed; copied by new. NULL:
	 * none. */
	const char *self_name;
};

#define TEL_BODY_MAX_DEFAULT (4u << 20)

void tel_config_defaults(struct tel_config *c);
/* 0, or -EINVAL with *what (may be NULL) naming the field out of bounds. */
int tel_config_check(const struct tel_config *c, const char **what);

struct tel_stats {
	uint64_t batches;
	uint64_t batches_bad;      /* not a JSON array, too deep */
	uint64_t batches_oversize; /* refused by the listener (body_max) */
	uint64_t records;
	uint64_t records_unknown;
	uint64_t records_bad;
	uint64_t log_records;
	uint64_t alerts;           /* emitted */
	uint64_t alerts_deduped;   /* suppressed: already raised for that request or window */
	uint64_t requests_evicted; /* per-request state dropped by the LRU */
	uint64_t inspections_noted;
	uint64_t correlated;       /* alerts that carried a correlated id */
	uint64_t failures_blocked; /* failures that were Vigil's own refusals */
};

struct tel_pipeline;

/* cfg is copied (NULL: defaults); sink is copied and must outlive the
 * pipeline. *out is the caller's (tel_pipeline_free). 0, -EINVAL (config
 * out of bounds), -ENOMEM. */
int tel_pipeline_new(const struct tel_config *cfg, const struct tel_sink *sink,
                     struct tel_pipeline **out);
void tel_pipeline_free(struct tel_pipeline *p);
const struct tel_config *tel_pipeline_config(const struct tel_pipeline *p);

/* done(ctx, request_id) is called for each platform.runtimeDone and
 * platform.report record that names a request: the platform says that
 * invocation is over, answered or not (an invocation failed by another
 * extension's crash never reaches the runtime). Called from feed, with the
 * pipeline's lock held: it must not call back into the pipeline. Set it
 * before the first feed; NULL turns it off. */
void tel_pipeline_on_done(struct tel_pipeline *p, void (*done)(void *ctx, const char *request_id),
                          void *ctx);

/* One POSTed batch body[0..n) (length-counted). Runs the detectors, which
 * emit through the sink. 0, or -EBADMSG when the batch is malformed
 * (counted; the whole records before the damage have been handled). */
int tel_pipeline_feed(struct tel_pipeline *p, const char *body, size_t n);
/* Counts a batch the listener refused for its size, and raises a health
 * alert (internal_error, rule tel.batch_oversize, vigil.count = batches
 * refused since the last one) at most once per alert window. */
void tel_pipeline_note_oversize(struct tel_pipeline *p);

/* The proxy flagged request_id with the inspection alert alert_id (the
 * vigil.alert.id, 32 hex digits) at severity (INFO, WARN, ERROR, FATAL, or
 * the finding's severity word). Copies what it keeps; bounded (the oldest
 * notes are forgotten); thread-safe, never blocks for long. When a request
 * is noted more than once the most severe note is kept. */
void tel_pipeline_note_inspection(struct tel_pipeline *p, const char *request_id,
                                  const char *alert_id, const char *severity);

/* Reports the counts held back for an alert window that has ended by the
 * clock (platform.logsDropped records and refused batches that came after
 * their window's alert). Cheap when nothing is held: the daemon may call it
 * after each invocation (never on the invocation path) or on a timer. */
void tel_pipeline_tick(struct tel_pipeline *p);
/* The same for everything held, whatever the window: call it at SHUTDOWN,
 * after the last batch and before the exporter's final drain, so that no
 * count is lost. */
void tel_pipeline_flush(struct tel_pipeline *p);

/* The proxy refused request_id's event itself (block mode: the error of
 * type Vigil.Blocked it posted for the runtime). That invocation's failure
 * (status error or failure, errorType Runtime.Unknown or Function.Unknown,
 * as Lambda renames Vigil.Blocked, or none) is Vigil's act: it raises no
 * error alert and no correlation (counted in failures_blocked). A
 * runtimeDone of errorType Vigil.Blocked is taken as such without a note.
 * Call it before the refusal is posted (the platform's records may come at
 * once). Same table and bounds as tel_pipeline_note_inspection;
 * thread-safe. */
void tel_pipeline_note_blocked(struct tel_pipeline *p, const char *request_id);

void tel_pipeline_stats(struct tel_pipeline *p, struct tel_stats *out);

#endif
