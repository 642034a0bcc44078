/* Alert storage on SQLite.
 *
 * One write connection (serialised by a mutex) and a small pool of read
 * connections, all on one database file in WAL mode, so queries never wait
 * for ingest. Inserts commit before returning: a caller that answers 200
 * after col_store_insert() has made the records durable to the degree the
 * synchronous setting promises (FULL by default: durable across power loss;
 * NORMAL: across process crashes). Alerts are de-duplicated on
 * vigil.alert.id and grouped by fingerprint (rule, function, field path).
 */
#ifndef COL_STORE_H
#define COL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "col_otlp.h"
#include "vg_buf.h"

struct col_store;

struct col_store_opts {
	const char *path;
	bool sync_full;     /* PRAGMA synchronous=FULL (else NORMAL) */
	int64_t max_alerts; /* count retention; 0: unbounded */
	int64_t max_age_s;  /* age retention on the alert time; 0: forever */
	int64_t scan_rows;  /* ids a q= search looks back per call; 0: COL_QUERY_SCAN_ROWS */
};

/* 0 or -errno (-EIO when SQLite refuses the file). *out is freed with
 * col_store_free. */
int col_store_open(const struct col_store_opts *o, struct col_store **out);
void col_store_free(struct col_store *s);

struct col_insert_result {
	size_t stored;
	size_t duplicates;
};

/* Called after the commit, once per newly stored record, with its JSON as
 * served by the API (json is valid during the call only). */
typedef void (*col_store_new_fn)(void *ctx, const char *json, size_t n);

/* Stores the batch in one transaction; now_ns stamps it and stands in for a
 * missing record time. 0 or -EIO. */
int col_store_insert(struct col_store *s, const struct col_batch *b, int64_t now_ns,
                     struct col_insert_result *res, col_store_new_fn fn, void *ctx);

/* Age and count retention; *deleted (may be NULL) gets the number removed. */
int col_store_retain(struct col_store *s, int64_t now_ns, int64_t *deleted);
int64_t col_store_count(struct col_store *s);

#define COL_QUERY_MAX_LIMIT 1000
/* By default a free-text query (q) looks at most this many ids back per call. */
#define COL_QUERY_SCAN_ROWS 100000

/* Query filters; NULL or 0 means unset. Strings are matched exactly except
 * q (substring, case-insensitive for ASCII) and severity (case-insensitive;
 * a level name trace|debug|info|warn|error|fatal also matches the OTLP
 * severityNumber range). */
struct col_filter {
	const char *function, *category, *severity, *source, *kind, *rule, *path, *request, *q;
	int64_t since_ns;  /* alert time >= since */
	int64_t before_id; /* paging cursor: ids below this */
	int64_t group;     /* group id */
	int limit;         /* 1..COL_QUERY_MAX_LIMIT; 0: 100 */
};

/* {"alerts":[...],"next":"ID"|null} appended to out; 0, -ENOBUFS, -EIO.
 * With q, next may be set with fewer than limit alerts: the search window
 * ended there and the caller may continue with before=next;
 * "searchedDownTo" says how far back this answer looked. */
int col_store_alerts_json(struct col_store *s, const struct col_filter *f, struct vg_buf *out);

/* {"groups":[...]} newest first, each with a sparkline of `buckets` counts
 * over the window ending at now_ns. f->function, category, severity, source,
 * kind and limit apply. */
int col_store_groups_json(struct col_store *s, const struct col_filter *f, int64_t now_ns,
                          int64_t window_ns, int buckets, struct vg_buf *out);

/* "alerts":N,"groups":N,"byCategory":{..},"bySeverity":{..},"byFunction":{..}
 * (members only, no braces) appended to out. */
int col_store_stats_json(struct col_store *s, struct vg_buf *out);

#endif
