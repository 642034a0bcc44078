/* The sandbox's Telemetry API: records, per-subscriber queues, replay of
 * init records, and the verbs of telemetry.h.
 *
 * Every record is printed once as its envelope and shared by reference
 * between the queues that hold it. Queues are bounded (SBX_TEL_QUEUE_FACTOR
 * times a subscriber's buffering); what does not fit is counted and reported
 * to that subscriber as platform.logsDropped once it takes records again.
 * The delivery thread (telemetry_deliver.c) turns queues into batches;
 * telemetry_subscribe.c validates subscribe bodies. The three files build
 * together, with curl_dep, cjson_dep, mhd_dep (for vg_http), threads_dep.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry_private.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_util.h"

#define TEL_ERR_CLOSED  "Telemetry.SubscriptionClosed"
#define TEL_ERR_STUB    "Telemetry.NotSupported"
#define TEL_ERR_INVALID "ValidationError"

/* ---- records and queues (callers hold mu) ---- */

void sbx_tel_rec_unref(struct sbx_tel_rec *r)
{
	if (r && --r->refs == 0)
		free(r);
}

void sbx_tel_queue_push(struct sbx_tel_queue *q, struct sbx_tel_rec *r)
{
	struct sbx_tel_qnode *n = malloc(sizeof(*n));

	if (!n)
		return; /* the record is simply not queued: a lost log line */
	r->refs++;
	n->rec = r;
	n->next = NULL;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	q->items++;
	q->bytes += r->len;
}

struct sbx_tel_rec *sbx_tel_queue_pop(struct sbx_tel_queue *q)
{
	struct sbx_tel_qnode *n = q->head;
	struct sbx_tel_rec *r;

	if (!n)
		return NULL;
	q->head = n->next;
	if (!q->head)
		q->tail = NULL;
	q->items--;
	q->bytes -= n->rec->len;
	r = n->rec;
	free(n);
	return r; /* the caller owns the queue's reference */
}

void sbx_tel_queue_clear(struct sbx_tel_queue *q)
{
	struct sbx_tel_rec *r;

	while ((r = sbx_tel_queue_pop(q)))
		sbx_tel_rec_unref(r);
}

/* A new record with refs 0: queue pushes take the references. */
static struct sbx_tel_rec *rec_new(struct sbx_tel *t, unsigned kind, const char *type,
                                   const char *record, size_t n, bool record_is_json)
{
	struct vg_buf b = VG_BUF_INIT(SBX_TEL_LINE_MAX * 6 + 256);
	struct sbx_tel_rec *r = NULL;
	char when[32];
	int rc;

	vg_iso8601_ms(vg_epoch_ms(), when, sizeof(when));
	rc = vg_buf_printf(&b, "{\"time\":\"%s\",\"type\":", when);
	if (rc == 0)
		rc = vg_buf_json_str(&b, type, strlen(type));
	if (rc == 0)
		rc = vg_buf_puts(&b, ",\"record\":");
	if (rc == 0)
		rc = record_is_json ? vg_buf_append(&b, record, n) : vg_buf_json_str(&b, record, n);
	if (rc == 0)
		rc = vg_buf_putc(&b, '}');
	if (rc == 0)
		r = malloc(sizeof(*r) + b.len + 1);
	if (r) {
		r->refs = 0;
		r->kind = kind;
		r->seq = ++t->next_seq;
		r->born_ns = vg_mono_ns();
		r->len = b.len;
		memcpy(r->json, b.data, b.len + 1);
	}
	vg_buf_fini(&b);
	return r;
}

/* The item cap does not shrink with maxItems: a burst of short lines from
 * a function is normal and costs little memory; the byte cap bounds it. */
static size_t queue_cap_items(const struct sbx_tel_subscriber *s)
{
	return (size_t)SBX_TEL_ITEMS_MAX * SBX_TEL_QUEUE_FACTOR;
}

static size_t queue_cap_bytes(const struct sbx_tel_subscriber *s)
{
	return (size_t)s->req.max_bytes * SBX_TEL_QUEUE_FACTOR;
}

/* Queues r for s, or counts it as dropped when s cannot keep up. A record
 * larger than the whole queue still goes through when the queue is empty,
 * so a single long line is delivered alone rather than lost. */
static bool sub_offer(struct sbx_tel *t, struct sbx_tel_subscriber *s, struct sbx_tel_rec *r)
{
	struct sbx_tel_queue *q = &s->queue;
	bool was_empty = q->items == 0;
	bool was_full = q->items >= s->req.max_items || q->bytes >= s->req.max_bytes;

	if (!(s->req.kinds & r->kind) || s->removed)
		return false;
	if (q->items > 0 &&
	    (q->items >= queue_cap_items(s) || q->bytes + r->len > queue_cap_bytes(s))) {
		s->dropped_records++;
		s->dropped_bytes += r->len;
		t->dropped++;
		return false;
	}
	sbx_tel_queue_push(q, r);
	/* Wake the thread to arm the timeout of a fresh queue, or when the
	 * queue just filled a batch; not on every record after that, which
	 * would cost a syscall per log line while a POST is in flight. */
	return was_empty ||
	       (!was_full && (q->items >= s->req.max_items || q->bytes >= s->req.max_bytes));
}

/* Hands r to every subscriber and, while subscriptions are open, to the
 * replay list. Takes r (refs 0) and frees it if nobody kept it. */
static void publish(struct sbx_tel *t, struct sbx_tel_rec *r)
{
	bool wake = false;

	r->refs++; /* ours, for the duration */
	for (size_t i = 0; i < t->nsubs; i++)
		wake |= sub_offer(t, t->subs[i], r);
	if (!t->closed) {
		if (t->replay.items < SBX_TEL_REPLAY_ITEMS &&
		    t->replay.bytes + r->len <= SBX_TEL_REPLAY_BYTES) {
			sbx_tel_queue_push(&t->replay, r);
		} else {
			t->replay_dropped_records++;
			t->replay_dropped_bytes += r->len;
		}
	}
	sbx_tel_rec_unref(r);
	if (wake)
		sbx_tel_deliver_wake(t);
}

/* ---- batches (delivery thread, under mu) ---- */

bool sbx_tel_sub_ready(const struct sbx_tel *t, const struct sbx_tel_subscriber *s, uint64_t now,
                       uint64_t *wait_ns)
{
	const struct sbx_tel_queue *q = &s->queue;
	uint64_t due;

	if (q->items == 0)
		return s->dropped_records > 0 && s->failures == 0;
	if (q->items >= s->req.max_items || q->bytes >= s->req.max_bytes ||
	    q->head->rec->seq <= t->flush_seq)
		return true;
	due = q->head->rec->born_ns + (uint64_t)s->req.timeout_ms * 1000000u;
	if (now >= due)
		return true;
	if (due - now < *wait_ns)
		*wait_ns = due - now;
	return false;
}

/* Appends one element; the room is checked first so that a refusal never
 * leaves a dangling comma. */
static int batch_add(struct sbx_tel_batch *b, const char *json, size_t n)
{
	bool comma = b->body.len > 1; /* more than the opening bracket */
	int rc = vg_buf_reserve(&b->body, n + 2);

	if (rc == 0 && comma)
		rc = vg_buf_putc(&b->body, ',');
	if (rc == 0)
		rc = vg_buf_append(&b->body, json, n);
	return rc;
}

/* The platform.logsDropped record for what s lost since the last one. */
static int batch_add_dropped(struct sbx_tel_batch *b, struct sbx_tel_subscriber *s)
{
	char when[32], json[384];
	int n;

	vg_iso8601_ms(vg_epoch_ms(), when, sizeof(when));
	n = snprintf(json, sizeof(json),
	             "{\"time\":\"%s\",\"type\":\"platform.logsDropped\",\"record\":"
	             "{\"droppedBytes\":%zu,\"droppedRecords\":%zu,\"reason\":\"%s\"}}",
	             when, s->dropped_bytes, s->dropped_records,
	             "the subscriber did not keep up: its queue was full or a batch "
	             "could not be delivered");
	if (n < 0 || (size_t)n >= sizeof(json))
		return -ENOBUFS;
	if (batch_add(b, json, (size_t)n) != 0)
		return -ENOMEM;
	b->carried_records = s->dropped_records;
	b->carried_bytes = s->dropped_bytes;
	s->dropped_records = 0;
	s->dropped_bytes = 0;
	return 0;
}

struct sbx_tel_batch *sbx_tel_batch_build(struct sbx_tel_subscriber *s)
{
	struct sbx_tel_queue *q = &s->queue;
	struct sbx_tel_batch *b = calloc(1, sizeof(*b));
	size_t first = q->head ? q->head->rec->len : 0;

	if (!b)
		return NULL;
	/* At most maxBytes of records, or one record alone when it is
	 * larger, plus their commas, the logsDropped record and the
	 * brackets. */
	vg_buf_init(&b->body, VG_MAX((size_t)s->req.max_bytes, first) + s->req.max_items + 1024);
	if (vg_buf_putc(&b->body, '[') != 0)
		goto fail;
	if (s->dropped_records > 0 && batch_add_dropped(b, s) != 0)
		goto fail;
	while (q->head && b->items < s->req.max_items) {
		struct sbx_tel_rec *r = q->head->rec;

		if (b->items > 0 && b->bytes + r->len > s->req.max_bytes)
			break;
		if (batch_add(b, r->json, r->len) != 0)
			break;
		if (b->items++ == 0)
			b->first_seq = r->seq;
		b->bytes += r->len;
		sbx_tel_rec_unref(sbx_tel_queue_pop(q));
	}
	if (vg_buf_putc(&b->body, ']') != 0)
		goto fail;
	return b;
fail:
	/* Give back what the logsDropped record took. */
	s->dropped_records += b->carried_records;
	s->dropped_bytes += b->carried_bytes;
	sbx_tel_batch_free(b);
	return NULL;
}

void sbx_tel_batch_free(struct sbx_tel_batch *b)
{
	if (!b)
		return;
	vg_buf_fini(&b->body);
	free(b);
}

/* ---- subscribers ---- */

static struct sbx_tel_subscriber *sub_find(struct sbx_tel *t, const char *name)
{
	for (size_t i = 0; i < t->nsubs; i++)
		if (strcmp(t->subs[i]->name, name) == 0)
			return t->subs[i];
	return NULL;
}

void sbx_tel_sub_free(struct sbx_tel_subscriber *s)
{
	if (!s)
		return;
	sbx_tel_queue_clear(&s->queue);
	sbx_tel_batch_free(s->batch);
	sbx_tel_sub_curl_free(s);
	free(s);
}

/* Takes s out of the list; the delivery thread frees it once no POST of it
 * is in flight. Its queued records count as dropped. */
static void sub_remove(struct sbx_tel *t, size_t i)
{
	struct sbx_tel_subscriber *s = t->subs[i];

	t->dropped += s->queue.items;
	sbx_tel_queue_clear(&s->queue);
	s->removed = true;
	t->subs[i] = t->subs[--t->nsubs];
	if (t->ngrave < VG_ARRAY_SIZE(t->graveyard)) {
		t->graveyard[t->ngrave++] = s;
		sbx_tel_deliver_wake(t);
	} else {
		/* Cannot happen with at most ten subscribers per init; leak
		 * rather than free a handle the thread may be using. */
		vg_log_warn("telemetry: subscriber %s leaked", s->name);
	}
}

static void reply_error(struct vg_buf *reply, const char *type, const char *msg)
{
	vg_buf_reset(reply);
	vg_buf_puts(reply, "{\"errorMessage\":");
	vg_buf_json_str(reply, msg, strlen(msg));
	vg_buf_puts(reply, ",\"errorType\":");
	vg_buf_json_str(reply, type, strlen(type));
	vg_buf_putc(reply, '}');
}

/* The platform.telemetrySubscription record of a successful subscribe. */
static void publish_subscription(struct sbx_tel *t, const char *name, const char *state,
                                 const char *types_json)
{
	struct vg_buf b = VG_BUF_INIT(1024);
	struct sbx_tel_rec *r;

	vg_buf_puts(&b, "{\"name\":");
	vg_buf_json_str(&b, name, strlen(name));
	vg_buf_printf(&b, ",\"state\":\"%s\",\"types\":%s}", state, types_json);
	r = rec_new(t, SBX_TEL_KIND_PLATFORM, "platform.telemetrySubscription", b.data, b.len,
	            true);
	if (r)
		publish(t, r);
	vg_buf_fini(&b);
}

/* Gives a new subscriber the records produced so far in this init. */
static void sub_replay(struct sbx_tel *t, struct sbx_tel_subscriber *s)
{
	s->dropped_records += t->replay_dropped_records;
	s->dropped_bytes += t->replay_dropped_bytes;
	for (struct sbx_tel_qnode *n = t->replay.head; n; n = n->next)
		sub_offer(t, s, n->rec);
}

unsigned sbx_tel_subscribe(struct sbx_tel *t, const char *ext_name, const char *body, size_t len,
                           struct vg_buf *reply)
{
	struct sbx_tel_sub_req req;
	struct sbx_tel_subscriber *s;
	char msg[256];
	const char *state = "Subscribed";
	unsigned status = 200;

	if (t->cfg.stub) {
		reply_error(reply, TEL_ERR_STUB, "Telemetry API is not supported");
		return 202;
	}
	pthread_mutex_lock(&t->mu);
	/* Closed wins over a bad body: after init nothing is looked at. */
	if (t->closed) {
		reply_error(reply, TEL_ERR_CLOSED,
		            "subscriptions are accepted only during the init phase");
		status = 403;
		goto out;
	}
	if (sbx_tel_sub_parse(body, len, &req, msg, sizeof(msg)) != 0) {
		reply_error(reply, TEL_ERR_INVALID, msg);
		status = 400;
		goto out;
	}
	if (!ext_name || !*ext_name || strlen(ext_name) >= SBX_TEL_NAME_MAX) {
		reply_error(reply, TEL_ERR_INVALID, "extension name is missing or too long");
		status = 400;
		goto out;
	}
	s = sub_find(t, ext_name);
	if (s) {
		/* A second subscribe replaces the first: same queue (so
		 * nothing is delivered twice), new destination and types. */
		struct sbx_tel_queue keep = {0};
		struct sbx_tel_rec *r;

		state = "Already subscribed";
		while ((r = sbx_tel_queue_pop(&s->queue))) {
			if (req.kinds & r->kind)
				sbx_tel_queue_push(&keep, r);
			sbx_tel_rec_unref(r);
		}
		s->queue = keep;
		s->req = req;
		/* A new destination starts with a clean slate: a batch held
		 * back for the old one goes out at once, with fresh attempts. */
		s->dest_gen++;
		s->failures = 0;
		s->retry_at_ns = 0;
		if (s->batch)
			s->batch->attempts = 0;
	} else if (t->nsubs == SBX_TEL_SUBSCRIBERS_MAX) {
		reply_error(reply, TEL_ERR_INVALID, "too many telemetry subscribers");
		status = 400;
		goto out;
	} else {
		s = calloc(1, sizeof(*s));
		if (!s) {
			reply_error(reply, "Telemetry.Failure", "out of memory");
			status = 500;
			goto out;
		}
		snprintf(s->name, sizeof(s->name), "%s", ext_name);
		s->req = req;
		t->subs[t->nsubs++] = s;
		sub_replay(t, s);
	}
	s->epoch = t->epoch;
	snprintf(s->url, sizeof(s->url), "http://%s:%u%s", t->loopback, req.port, req.path);
	vg_buf_reset(reply);
	vg_buf_puts(reply, "\"OK\"");
	publish_subscription(t, ext_name, state, req.types_json);
	sbx_tel_deliver_wake(t);
out:
	pthread_mutex_unlock(&t->mu);
	return status;
}

void sbx_tel_close_subscriptions(struct sbx_tel *t)
{
	pthread_mutex_lock(&t->mu);
	t->closed = true;
	/* Subscribers from an earlier init that did not subscribe again
	 * belong to processes that are gone. */
	for (size_t i = t->nsubs; i-- > 0;)
		if (t->subs[i]->epoch != t->epoch)
			sub_remove(t, i);
	sbx_tel_queue_clear(&t->replay);
	t->replay_dropped_records = 0;
	t->replay_dropped_bytes = 0;
	pthread_mutex_unlock(&t->mu);
}

void sbx_tel_reopen_subscriptions(struct sbx_tel *t)
{
	pthread_mutex_lock(&t->mu);
	t->closed = false;
	t->epoch++;
	sbx_tel_queue_clear(&t->replay);
	t->replay_dropped_records = 0;
	t->replay_dropped_bytes = 0;
	pthread_mutex_unlock(&t->mu);
}

void sbx_tel_platform(struct sbx_tel *t, const char *type, cJSON *record)
{
	char *json = NULL;
	struct sbx_tel_rec *r = NULL;

	if (!t || t->cfg.stub || !type)
		goto out;
	json = record ? cJSON_PrintUnformatted(record) : strdup("{}");
	if (!json)
		goto out;
	if (strlen(json) > SBX_TEL_PLATFORM_MAX) {
		vg_log_warn("telemetry: %s record too large, dropped", type);
		goto out;
	}
	pthread_mutex_lock(&t->mu);
	r = rec_new(t, SBX_TEL_KIND_PLATFORM, type, json, strlen(json), true);
	if (r)
		publish(t, r);
	pthread_mutex_unlock(&t->mu);
out:
	free(json);
	cJSON_Delete(record);
}

void sbx_tel_log(struct sbx_tel *t, enum sbx_tel_stream stream, const char *line, size_t n)
{
	bool fn = stream == SBX_TEL_FUNCTION;
	struct sbx_tel_rec *r;

	if (!t || t->cfg.stub || (!line && n))
		return;
	n = VG_MIN(n, (size_t)SBX_TEL_LINE_MAX);
	pthread_mutex_lock(&t->mu);
	/* Nobody would ever see it: skip the printing. */
	if (t->nsubs > 0 || !t->closed) {
		r = rec_new(t, fn ? SBX_TEL_KIND_FUNCTION : SBX_TEL_KIND_EXTENSION,
		            fn ? "function" : "extension", line ? line : "", n, false);
		if (r)
			publish(t, r);
	}
	pthread_mutex_unlock(&t->mu);
}

bool sbx_tel_has_subscribers(struct sbx_tel *t)
{
	bool any;
	if (!t || t->cfg.stub)
		return false;
	pthread_mutex_lock(&t->mu);
	any = t->nsubs > 0;
	pthread_mutex_unlock(&t->mu);
	return any;
}

/* Whether every healthy subscriber has sent all records up to seq. One
 * whose POSTs fail is not waited for: a dead listener must not hold every
 * invoke until the deadline. */
static bool drained(const struct sbx_tel *t, uint64_t seq)
{
	for (size_t i = 0; i < t->nsubs; i++) {
		const struct sbx_tel_subscriber *s = t->subs[i];

		if (s->failures > 0)
			continue;
		if (s->batch && s->batch->first_seq <= seq)
			return false;
		if (s->queue.head && s->queue.head->rec->seq <= seq)
			return false;
	}
	return true;
}

void sbx_tel_flush(struct sbx_tel *t, uint64_t deadline_ns)
{
	struct timespec ts = {
	    .tv_sec = (time_t)(deadline_ns / 1000000000u),
	    .tv_nsec = (long)(deadline_ns % 1000000000u),
	};
	uint64_t target;

	if (!t || t->cfg.stub)
		return;
	pthread_mutex_lock(&t->mu);
	if (t->nsubs == 0) {
		/* The common case between invokes of a function without
		 * telemetry extensions: nothing to wake the thread for. */
		pthread_mutex_unlock(&t->mu);
		return;
	}
	target = t->next_seq;
	if (target > t->flush_seq)
		t->flush_seq = target;
	sbx_tel_deliver_wake(t);
	while (!drained(t, target) && vg_mono_ns() < deadline_ns)
		if (pthread_cond_timedwait(&t->drained, &t->mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&t->mu);
}

void sbx_tel_report(struct sbx_tel *t, cJSON *telemetry)
{
	if (!t || !telemetry)
		return;
	pthread_mutex_lock(&t->mu);
	cJSON_AddNumberToObject(telemetry, "subscribers", (double)t->nsubs);
	cJSON_AddNumberToObject(telemetry, "recordsDelivered", (double)t->delivered);
	cJSON_AddNumberToObject(telemetry, "recordsDropped", (double)t->dropped);
	pthread_mutex_unlock(&t->mu);
}

struct sbx_tel *sbx_tel_new(const struct sbx_tel_config *cfg)
{
	struct sbx_tel *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;

	if (!t)
		return NULL;
	t->cfg = *cfg;
	snprintf(t->loopback, sizeof(t->loopback), "%s",
	         cfg->loopback_host ? cfg->loopback_host : "127.0.0.1");
	t->cfg.loopback_host = t->loopback;
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->drained, &ca);
	pthread_condattr_destroy(&ca);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail_curl;
	t->multi = curl_multi_init();
	if (!t->multi)
		goto fail_multi;
	if (cfg->stub)
		return t; /* nothing is ever delivered */
	if (pthread_create(&t->thread, NULL, sbx_tel_deliver_main, t) != 0)
		goto fail_thread;
	t->thread_started = true;
	return t;

fail_thread:
	curl_multi_cleanup(t->multi);
fail_multi:
	curl_global_cleanup();
fail_curl:
	pthread_cond_destroy(&t->drained);
	pthread_mutex_destroy(&t->mu);
	free(t);
	return NULL;
}

void sbx_tel_free(struct sbx_tel *t)
{
	if (!t)
		return;
	if (t->thread_started) {
		pthread_mutex_lock(&t->mu);
		t->stop = true;
		pthread_mutex_unlock(&t->mu);
		sbx_tel_deliver_wake(t);
		pthread_join(t->thread, NULL);
	}
	/* The thread has detached every easy handle from multi. */
	for (size_t i = 0; i < t->nsubs; i++)
		sbx_tel_sub_free(t->subs[i]);
	for (size_t i = 0; i < t->ngrave; i++)
		sbx_tel_sub_free(t->graveyard[i]);
	sbx_tel_queue_clear(&t->replay);
	curl_multi_cleanup(t->multi);
	curl_global_cleanup();
	pthread_cond_destroy(&t->drained);
	pthread_mutex_destroy(&t->mu);
	free(t);
}
