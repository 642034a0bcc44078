/* A stand-in HTTP endpoint for export tests: an OTLP/HTTP collector that
 * can be down, slow, answer 500, 429 with Retry-After, 400, a partial
 * success, or close connections, and records every request it read
 * (gzip bodies are inflated). It also serves as the AWS API stand-in of the
 * secret-store tests through a reply hook.
 *
 * One server thread on 127.0.0.1 with a kernel-chosen port; keep-alive
 * connections are served one at a time (the exporter opens one).
 *
 * Replies follow a script: each request takes the next step, and when the
 * script is used up every request gets the default (200 with {}). Steps:
 *   "200"          success
 *   "500", "400"   that status, empty JSON body
 *   "429:2"        429 with Retry-After: 2
 *   "503:date:2"   503 with Retry-After as the HTTP date 2 s ahead
 *   "close"        read the request, close the connection without a reply
 *   "slow:300"     wait 300 ms, then 200
 *   "partial:3"    200 with partialSuccess.rejectedLogRecords = 3
 * e.g. fc_script(fc, "500,429:1,close,200").
 */
#ifndef FAKE_COLLECTOR_H
#define FAKE_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fake_collector;

struct fc_request {
	char method[16];
	char target[512];
	char *headers; /* the raw header block, NUL-terminated */
	char *body;    /* inflated when Content-Encoding: gzip; NUL-terminated */
	size_t body_len;
	bool gzipped;
	int status;     /* what was answered; 0: the connection was closed instead */
	uint64_t at_ms; /* CLOCK_MONOTONIC when it was read */
};

/* A reply hook (for non-OTLP stand-ins): fills status and a body (malloc'd,
 * freed by the server). Called on the server thread. */
typedef void (*fc_handler)(void *ctx, const struct fc_request *req, int *status, char **body);

int fc_start(struct fake_collector **out);
void fc_free(struct fake_collector *fc);
/* "http://127.0.0.1:PORT/v1/logs" */
const char *fc_url(const struct fake_collector *fc);
uint16_t fc_port(const struct fake_collector *fc);

/* Replaces the script (see above); NULL clears it. */
void fc_script(struct fake_collector *fc, const char *steps);
/* Default reply once the script is used up: a step as above ("200"). */
void fc_default(struct fake_collector *fc, const char *step);
void fc_set_handler(struct fake_collector *fc, fc_handler h, void *ctx);
/* Stops listening (connections are refused) / listens again on the same
 * port. */
void fc_down(struct fake_collector *fc);
int fc_up(struct fake_collector *fc);

/* Requests read so far. */
size_t fc_count(struct fake_collector *fc);
/* A copy of request i (free with fc_request_free); NULL if none. */
struct fc_request *fc_get(struct fake_collector *fc, size_t i);
void fc_request_free(struct fc_request *r);
/* Waits up to timeout_ms until at least n requests were read. */
bool fc_wait(struct fake_collector *fc, size_t n, int timeout_ms);
/* A header's value from a request's header block (case-insensitive name),
 * copied into out; false when absent. */
bool fc_header(const struct fc_request *r, const char *name, char *out, size_t n);

#endif
