/* Alert export: a bounded queue in front of one sender thread that delivers
 * alerts as OTLP/HTTP JSON logs to the collector, or as JSON lines on
 * stdout when no collector is configured.
 *
 * Threads: any thread pushes (tel_export_sink / tel_export_push): the alert
 * is rendered and copied into the queue under a short lock, never waiting on
 * the network or on stdout. When the queue is over its record or byte cap,
 * the OLDEST queued alerts are dropped and counted. The sender thread takes
 * batches from the queue's head, gzips them, and POSTs them with the bearer
 * token; it retries on 429, 5xx and network errors with jittered exponential
 * backoff (at least the server's Retry-After), never on other replies, and
 * stops trying for a while (circuit breaker) after consecutive failures. A
 * batch is rendered once, so every retry carries the same vigil.alert.id:
 * the collector de-duplicates on it.
 *
 * Never on the invocation path: with opts.drain_only the sender sends only
 * while tel_export_drain runs (the daemon calls it after the runtime has
 * responded and before event/next, and at SHUTDOWN); a transfer still
 * running at the drain's deadline is aborted and its batch stays queued for
 * the next drain, so nothing is lost that fits in the queue.
 *
 * Losses (overflow, batches given up, records the collector rejected) are
 * counted, reported on stdout as a `health` alert `export_failure` with the
 * counts, and sent as that alert once the collector accepts a batch again.
 *
 * Memory: at most queue_bytes of queued records plus one batch in flight
 * (at most batch_bytes before compression).
 */
#ifndef TEL_EXPORT_H
#define TEL_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tel_alert.h"

struct tel_export; /* opaque */

struct tel_export_opts {
	const char *url;             /* OTLP/HTTP logs endpoint; NULL or "": JSON lines on out_fd */
	const char *token;           /* bearer token; NULL or "": none. Copied; never logged */
	size_t queue_records;        /* queue cap in records; 0: 1000 */
	size_t queue_bytes;          /* queue cap in rendered bytes; 0: 4 MiB */
	unsigned batch_records;      /* records per request; 0: 200 */
	size_t batch_bytes;          /* uncompressed bytes per request; 0: 1 MiB */
	bool gzip;                   /* Content-Encoding: gzip */
	bool drain_only;             /* send only inside tel_export_drain (see above) */
	unsigned connect_timeout_ms; /* 0: 1000 */
	unsigned request_timeout_ms; /* whole request; 0: 5000 */
	unsigned backoff_min_ms;     /* first retry delay; 0: 100 */
	unsigned backoff_max_ms;     /* retry delay cap; 0: 30000 */
	unsigned retry_after_max_ms; /* cap on a server's Retry-After; 0: 300000 */
	unsigned max_attempts;       /* per batch, before it is given up; 0: 8 */
	unsigned breaker_failures;   /* consecutive failed attempts that open it; 0: 3 */
	unsigned breaker_open_ms;    /* how long it stays open; 0: 5000 */
	int out_fd;                  /* stdout JSON lines and loss reports; 0: 1 (stdout) */
};

struct tel_export_stats {
	uint64_t pushed;           /* alerts accepted into the queue */
	uint64_t delivered;        /* records the collector accepted (or lines written) */
	uint64_t dropped_overflow; /* oldest alerts dropped because the queue was full */
	uint64_t dropped_failed;   /* records of batches given up (attempts, 4xx) */
	uint64_t rejected;         /* records the collector refused in a partial success */
	uint64_t requests;         /* HTTP requests made */
	uint64_t retries;          /* of those, repeats of a batch */
	uint64_t breaker_opened;   /* times the breaker opened */
	size_t queued;             /* records waiting now (in flight included) */
	size_t queued_bytes;
	bool breaker_open;
};

/* Starts the sender thread. 0 with *out set, -EINVAL (bad url or options),
 * -ENOMEM, or -errno from curl or pthread. The caller owns *out. */
int tel_export_new(const struct tel_export_opts *opts, struct tel_export **out);
/* Stops the sender (an in-flight transfer is aborted) and frees everything.
 * What is still queued is counted as lost and reported on out_fd. Call
 * tel_export_drain first to deliver it. NULL is fine. */
void tel_export_free(struct tel_export *x);

/* Queues a copy of the alert; never blocks on I/O; any thread. */
void tel_export_push(struct tel_export *x, const struct tel_alert *a);
/* A sink that pushes into x (valid while x lives). */
struct tel_sink tel_export_sink(struct tel_export *x);

/* Waits until every alert queued before the call was delivered or given up,
 * or until deadline_ns (vg_mono_ns clock) passes. 0: all done; -ETIMEDOUT:
 * some are still queued (they stay queued for the next drain). Returns
 * early, with -ETIMEDOUT, when the next attempt lies past the deadline
 * (backoff, Retry-After, the breaker open): a collector that is down costs
 * an invocation nothing. Only one thread drains at a time.
 * The daemon calls it after the runtime has responded and before event/next
 * with a short bound. */
int tel_export_drain(struct tel_export *x, uint64_t deadline_ns);
/* The last drain, at SHUTDOWN (deadline: deadlineMs minus a margin): every
 * batch gets one attempt at once whatever backoff or the breaker say, and a
 * batch that fails is given up and counted (there is no later). Then call
 * tel_export_free, which reports what was lost on out_fd. */
int tel_export_drain_final(struct tel_export *x, uint64_t deadline_ns);

void tel_export_get_stats(struct tel_export *x, struct tel_export_stats *out);

#endif
