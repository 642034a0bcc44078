/* Relaying accepted records to another OTLP/HTTP endpoint.
 *
 * One thread owns a curl handle (kept alive) and a bounded queue of request
 * bodies. Ingest hands a body over and returns at once: when the queue is
 * full the body is dropped and counted, never waited for. Sends are retried
 * on network errors and 429/502/503/504 with jittered exponential backoff
 * that honours Retry-After; other 4xx answers are final.
 */
#ifndef COL_FORWARD_H
#define COL_FORWARD_H

#include <stddef.h>
#include <stdint.h>

struct col_forward;

/* Bytes of queued bodies held at most, whatever the batch count allows. */
#define COL_FORWARD_MAX_BYTES (64u << 20)

struct col_forward_stats {
	uint64_t queued, sent, dropped, failed, retries;
};

/* url: the full logs endpoint (e.g. http://otel:4318/v1/logs); token, if
 * not NULL, is sent as a bearer token. max_queue bodies at most. */
int col_forward_new(const char *url, const char *token, size_t max_queue, struct col_forward **out);
/* Stops the thread, giving queued bodies up to drain_ms to go out. */
void col_forward_free(struct col_forward *f, int drain_ms);

/* Takes ownership of body (malloc'd, n bytes) in every case. 0, or -ENOBUFS
 * when the queue was full (in batches or bytes) and the body was dropped. */
int col_forward_push(struct col_forward *f, char *body, size_t n);

void col_forward_stats(struct col_forward *f, struct col_forward_stats *out);

#endif
