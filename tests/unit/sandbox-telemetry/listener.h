/* A telemetry destination for tests: a libmicrohttpd server on a free
 * loopback port that records every batch POSTed to it and can be told to
 * fail or to hang, the ways a real subscriber misbehaves. */
#ifndef TEST_LISTENER_H
#define TEST_LISTENER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LISTENER_BATCHES_MAX 4096

struct listener_batch {
	cJSON *array;    /* the parsed body, a JSON array */
	size_t body_len; /* bytes on the wire */
	bool json_type;  /* Content-Type was application/json */
	char path[128];
};

/* NULL on failure. */
struct listener *listener_new(void);
void listener_free(struct listener *l);
uint16_t listener_port(const struct listener *l);

/* The next n requests are answered with status (e.g. 500). */
void listener_fail_next(struct listener *l, unsigned n, unsigned status);
/* While on, requests are held without an answer (and not recorded). */
void listener_hang(struct listener *l, bool on);

/* Requests seen, answered or not. */
unsigned listener_requests(struct listener *l);
/* Waits up to timeout_ms until at least n records were recorded; returns
 * the number recorded. */
size_t listener_wait_records(struct listener *l, size_t n, unsigned timeout_ms);
/* Recorded batches so far (a copy of the count) and one of them; the
 * batch stays owned by the listener. */
size_t listener_nbatches(struct listener *l);
const struct listener_batch *listener_batch_at(struct listener *l, size_t i);
/* The i-th record over all batches, NULL past the end. */
const cJSON *listener_record_at(struct listener *l, size_t i);

#endif
