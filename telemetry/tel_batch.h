/* Telemetry API batches: the JSON array Lambda POSTs to the listener
 * (lambda-apis.md §5.3, §5.4), turned into flat records.
 *
 * Every record type of the catalog is recognised; unknown types are counted
 * and handed on as TEL_REC_UNKNOWN (never fatal); a record that is not an
 * object with a string "type" is counted as bad and skipped. "record" may be
 * a string or an object (function and extension logs in JSON log format).
 * An escaped NUL (\u0000) in a string reads as a space, so that the text
 * after it is seen (and log_len covers it).
 *
 * Bounds: the batch is walked element by element and each element parsed
 * on its own, so memory is that of one record: an element nested deeper
 * than TEL_BATCH_DEPTH_MAX or holding more than TEL_BATCH_NODES_MAX JSON
 * values is skipped and counted as bad (the parser's recursion and
 * allocations stay bounded); no more than TEL_BATCH_RECORDS_MAX records of
 * one batch are handed on.
 */
#ifndef TEL_BATCH_H
#define TEL_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEL_BATCH_DEPTH_MAX   32
#define TEL_BATCH_RECORDS_MAX 100000
#define TEL_BATCH_NODES_MAX   16384

enum tel_rec_type {
	TEL_REC_UNKNOWN = 0,
	TEL_REC_INIT_START,
	TEL_REC_INIT_RUNTIME_DONE,
	TEL_REC_INIT_REPORT,
	TEL_REC_START,
	TEL_REC_RUNTIME_DONE,
	TEL_REC_REPORT,
	TEL_REC_EXTENSION,
	TEL_REC_TELEMETRY_SUBSCRIPTION,
	TEL_REC_LOGS_DROPPED,
	TEL_REC_RESTORE_START,
	TEL_REC_RESTORE_RUNTIME_DONE,
	TEL_REC_RESTORE_REPORT,
	TEL_REC_FUNCTION,
	TEL_REC_EXTENSION_LOG,
	TEL_REC_TYPE_COUNT,
};

/* "platform.initStart", ..., "function", "extension"; "unknown". */
const char *tel_rec_type_name(enum tel_rec_type t);

/* One record, flattened. Strings are borrowed from the parsed batch and
 * live until the callback returns; an absent string is NULL, an absent
 * number is < 0. */
struct tel_record {
	enum tel_rec_type type;
	const char *type_name; /* as sent */
	const char *time;      /* as sent; NULL if absent */
	int64_t time_ms;       /* time parsed (epoch ms); -1 if absent or bad */
	const char *request_id;
	const char *status;
	const char *error_type;
	const char *phase;
	const char *init_type;
	const char *name;   /* platform.extension, platform.telemetrySubscription */
	const char *state;  /* same */
	const char *reason; /* platform.logsDropped */
	double duration_ms;
	double billed_ms;
	int64_t memory_size_mb;
	int64_t max_memory_used_mb;
	int64_t dropped_records;
	int64_t dropped_bytes;
	/* function / extension logs: the text when "record" is a string (or the
	 * "message" of an object record); the object itself when it is one
	 * (a cJSON pointer, for walking its members). */
	const char *log;
	size_t log_len;
	const void *log_object;
};

struct tel_batch_stats {
	uint64_t records; /* handed on */
	uint64_t by_type[TEL_REC_TYPE_COUNT];
	uint64_t bad;        /* not an object, no type: skipped */
	uint64_t over_limit; /* past TEL_BATCH_RECORDS_MAX: skipped */
};

typedef void (*tel_record_fn)(void *ctx, const struct tel_record *r);

/* Parses body[0..n) (length-counted) and calls fn once per record, in
 * order. Adds to *st (may be NULL). 0; -EBADMSG when the body is not a JSON
 * array or is cut short (the whole elements before the damage have been
 * handed on). */
int tel_batch_parse(const char *body, size_t n, tel_record_fn fn, void *ctx,
                    struct tel_batch_stats *st);

/* "2022-10-21T14:05:03.165Z" (fraction optional, Z or +hh:mm) into epoch
 * ms; -1 when it is not such a time. */
int64_t tel_time_parse(const char *s);

#endif
