/* Internals of the sandbox's Telemetry API, shared by telemetry.c (records,
 * queues, the verbs), telemetry_subscribe.c (request validation) and
 * telemetry_deliver.c (the delivery thread). Not for other components.
 *
 * Locking: one mutex (sbx_tel.mu) guards everything below except the curl
 * handles, which only the delivery thread touches.
 */
#ifndef SBX_TELEMETRY_PRIVATE_H
#define SBX_TELEMETRY_PRIVATE_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>

#include "telemetry.h"

/* Buffering bounds of lambda-apis.md §5.1 (the reference page's table is
 * wrong; these are the authoritative ones). */
#define SBX_TEL_ITEMS_MIN   1000
#define SBX_TEL_ITEMS_MAX   10000
#define SBX_TEL_BYTES_MIN   262144
#define SBX_TEL_BYTES_MAX   1048576
#define SBX_TEL_TIMEOUT_MIN 25
#define SBX_TEL_TIMEOUT_MAX 30000

/* A subscribe body larger than this is refused before parsing. */
#define SBX_TEL_SUBSCRIBE_MAX 65536
/* Log lines are cut here: one runaway line must not take a whole batch. */
#ifndef SBX_TEL_LINE_MAX
#define SBX_TEL_LINE_MAX 262144
#endif
/* A platform record that prints larger than this is dropped. */
#define SBX_TEL_PLATFORM_MAX 65536
/* A subscriber's queue holds at most this many times its maxBytes (and the
 * largest maxItems) beyond the batch in flight; past it, new records are
 * dropped and counted for platform.logsDropped. */
#define SBX_TEL_QUEUE_FACTOR 4
/* Records produced while subscriptions are open are kept for replay to
 * later subscribers, up to these bounds. */
#define SBX_TEL_REPLAY_ITEMS 10000
#define SBX_TEL_REPLAY_BYTES 1048576
/* Lambda allows ten extensions; one subscription each. */
#define SBX_TEL_SUBSCRIBERS_MAX 10
#define SBX_TEL_NAME_MAX        128
#define SBX_TEL_PATH_MAX        1024
/* One POST may take this long before it counts as failed. */
#ifndef SBX_TEL_POST_TIMEOUT_MS
#define SBX_TEL_POST_TIMEOUT_MS 2000
#endif
/* A batch is retried with doubling backoff, then given up and counted as
 * dropped. */
#define SBX_TEL_BACKOFF_MIN_MS 50
#define SBX_TEL_BACKOFF_MAX_MS 2000
#define SBX_TEL_ATTEMPTS_MAX   6

enum sbx_tel_kind {
	SBX_TEL_KIND_PLATFORM = 1 << 0,
	SBX_TEL_KIND_FUNCTION = 1 << 1,
	SBX_TEL_KIND_EXTENSION = 1 << 2,
};

/* One envelope {"time","type","record"}, printed once and shared by every
 * queue that holds it (refcounted under sbx_tel.mu). */
struct sbx_tel_rec {
	unsigned refs;
	unsigned kind;    /* one SBX_TEL_KIND_* */
	uint64_t seq;     /* order of production, from 1 */
	uint64_t born_ns; /* CLOCK_MONOTONIC when produced */
	size_t len;
	char json[];
};

struct sbx_tel_qnode {
	struct sbx_tel_rec *rec;
	struct sbx_tel_qnode *next;
};

/* A FIFO of records with its totals. */
struct sbx_tel_queue {
	struct sbx_tel_qnode *head, *tail;
	size_t items;
	size_t bytes;
};

/* A validated subscribe request. */
struct sbx_tel_sub_req {
	unsigned kinds;      /* SBX_TEL_KIND_* mask */
	char types_json[64]; /* the types as a JSON array, for telemetrySubscription */
	unsigned max_items;
	unsigned max_bytes;
	unsigned timeout_ms;
	unsigned port;
	char path[SBX_TEL_PATH_MAX]; /* starts with '/' */
};

/* A batch built from a subscriber's queue, in flight or waiting to retry. */
struct sbx_tel_batch {
	struct vg_buf body;
	size_t items;           /* records from the queue (logsDropped not counted) */
	size_t bytes;           /* their envelope bytes */
	uint64_t first_seq;     /* oldest record in it (0: none, logsDropped only) */
	size_t carried_records; /* the logsDropped record it carries, if any */
	size_t carried_bytes;
	unsigned attempts;
	unsigned dest_gen; /* the subscriber's destination it was last sent to */
};

struct sbx_tel_subscriber {
	char name[SBX_TEL_NAME_MAX];
	struct sbx_tel_sub_req req;
	char url[SBX_TEL_PATH_MAX + 128];
	unsigned epoch;    /* the init (open period) it last subscribed in */
	unsigned dest_gen; /* counts re-subscriptions (new destinations) */
	bool removed;      /* waiting for its in-flight POST before it is freed */
	struct sbx_tel_queue queue;
	struct sbx_tel_batch *batch; /* NULL, or in flight, or waiting to retry */
	bool in_flight;
	uint64_t retry_at_ns;
	unsigned failures; /* consecutive failed POSTs; 0 = healthy */
	/* Records lost since the last logsDropped was sent. */
	size_t dropped_records;
	size_t dropped_bytes;
	CURL *curl; /* delivery thread only */
	struct curl_slist *headers;
};

struct sbx_tel {
	struct sbx_tel_config cfg;
	char loopback[64];
	pthread_mutex_t mu;
	pthread_cond_t drained; /* signalled when a POST completes */
	pthread_t thread;
	bool thread_started;
	bool stop;
	bool closed;
	unsigned epoch;
	uint64_t next_seq;
	uint64_t flush_seq; /* records up to here are sent without waiting */
	struct sbx_tel_queue replay;
	size_t replay_dropped_records;
	size_t replay_dropped_bytes;
	struct sbx_tel_subscriber *subs[SBX_TEL_SUBSCRIBERS_MAX];
	size_t nsubs;
	/* Subscribers replaced or removed while a POST was in flight. */
	struct sbx_tel_subscriber *graveyard[SBX_TEL_SUBSCRIBERS_MAX * 2];
	size_t ngrave;
	uint64_t delivered;
	uint64_t dropped;
	CURLM *multi; /* delivery thread only, except curl_multi_wakeup */
};

/* telemetry_subscribe.c: validates a subscribe body. 0, or -EINVAL with a
 * message for the 400 reply in msg (TCP destinations are refused too). */
int sbx_tel_sub_parse(const char *body, size_t len, struct sbx_tel_sub_req *out, char *msg,
                      size_t msgn);

/* telemetry.c, under mu. */
void sbx_tel_rec_unref(struct sbx_tel_rec *r);
void sbx_tel_queue_push(struct sbx_tel_queue *q, struct sbx_tel_rec *r);
struct sbx_tel_rec *sbx_tel_queue_pop(struct sbx_tel_queue *q);
void sbx_tel_queue_clear(struct sbx_tel_queue *q);
/* Builds the next batch of s from its queue; NULL when out of memory. */
struct sbx_tel_batch *sbx_tel_batch_build(struct sbx_tel_subscriber *s);
void sbx_tel_batch_free(struct sbx_tel_batch *b);
/* Whether s has a batch to send now. */
bool sbx_tel_sub_ready(const struct sbx_tel *t, const struct sbx_tel_subscriber *s, uint64_t now,
                       uint64_t *wait_ns);

/* Frees a subscriber taken out of the list (its curl state included). */
void sbx_tel_sub_free(struct sbx_tel_subscriber *s);

/* telemetry_deliver.c */
void *sbx_tel_deliver_main(void *arg);
void sbx_tel_deliver_wake(struct sbx_tel *t);
/* Frees the curl state of a subscriber (delivery thread, or after it ended). */
void sbx_tel_sub_curl_free(struct sbx_tel_subscriber *s);

#endif
