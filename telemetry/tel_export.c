/* Alert export: bounded queue, one sender thread, OTLP/HTTP JSON with
 * gzip, retries with backoff, a circuit breaker, bounded drains. See
 * tel_export.h for the contract; this file's comments say how. */
#include "tel_export.h"
#include "tel_tls.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "vg_buf.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_util.h"

#define RECORD_MAX      (64 * 1024)            /* one rendered alert */
#define REPLY_MAX       (64 * 1024)            /* what we keep of a reply body */
#define REPORT_EVERY_NS (5ull * 1000000000ull) /* loss reports on stdout */
#define MS              1000000ull

/* One rendered alert: an OTLP logRecord, or a stdout line with its
 * newline. seq orders everything ever pushed, so a drain knows what was
 * queued before it started. */
struct rec {
	struct rec *next;
	uint64_t seq;
	size_t len;
	char data[];
};

enum outcome {
	SENT,    /* accepted (maybe partly: see rejected) */
	RETRY,   /* 429, 5xx, network error: try again later */
	FATAL,   /* any other reply: give the batch up */
	ABORTED, /* cut at a drain's deadline or at stop: keep the batch */
};

struct batch {
	struct rec *head, *tail;
	size_t n, bytes;
	uint64_t first_seq, last_seq;
	struct vg_buf body; /* rendered once, reused on every retry */
	unsigned attempts;
};

struct losses {
	uint64_t overflow, failed, rejected;
};

struct tel_export {
	/* Options, fixed after new. */
	char *url, *auth_header;
	size_t queue_records, queue_bytes, batch_bytes;
	unsigned batch_records, connect_ms, request_ms, backoff_min_ms, backoff_max_ms;
	unsigned retry_after_max_ms, max_attempts, breaker_failures, breaker_open_ms;
	bool gzip, drain_only;
	int out_fd;
	char *resource; /* the OTLP resource object of this function */

	pthread_mutex_t lock;
	pthread_cond_t wake;    /* the sender waits on it */
	pthread_cond_t settled; /* drains wait on it */
	pthread_t thread;
	bool started, stop;

	/* Under lock. */
	struct rec *head, *tail; /* the queue, oldest first */
	size_t n, bytes;
	uint64_t next_seq;
	uint64_t inflight_first; /* first seq of the batch in flight; 0: none */
	size_t inflight_n, inflight_bytes;
	bool draining, drainer;
	bool final; /* the last drain: one attempt per batch, no waits */
	uint64_t drain_deadline;
	uint64_t idle_until; /* the sender waits for backoff or the breaker till then; 0: not */
	struct tel_export_stats st;
	struct losses lost;

	/* Sender thread only. */
	CURL *curl;
	struct batch b;
	uint64_t retry_at; /* mono ns: no attempt before */
	uint64_t breaker_until;
	unsigned consecutive; /* failed attempts in a row */
	struct losses sent_report, printed_report;
	uint64_t printed_at;       /* mono ns of the last print; 0: never */
	uint64_t started_epoch_ns; /* tells this process's loss reports apart */
	unsigned rand_state;
	uint64_t retry_after_ms; /* from the last reply; 0: none */
	struct vg_buf reply;
	struct vg_buf gz;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static uint64_t total(const struct losses *l)
{
	return l->overflow + l->failed + l->rejected;
}

static void rec_free_list(struct rec *r)
{
	while (r) {
		struct rec *next = r->next;
		free(r);
		r = next;
	}
}

/* ---- the queue (callers hold the lock) ---- */

static void drop_head(struct tel_export *x)
{
	struct rec *r = x->head;
	x->head = r->next;
	if (!x->head)
		x->tail = NULL;
	x->n--;
	x->bytes -= r->len;
	free(r);
	x->st.dropped_overflow++;
	x->lost.overflow++;
}

/* Takes r into the queue, dropping the oldest as needed. */
static void enqueue(struct tel_export *x, struct rec *r)
{
	if (r->len > x->queue_bytes) {
		free(r);
		x->st.dropped_overflow++;
		x->lost.overflow++;
		return;
	}
	while (x->head && (x->n + 1 > x->queue_records || x->bytes + r->len > x->queue_bytes))
		drop_head(x);
	r->seq = ++x->next_seq;
	r->next = NULL;
	if (x->tail)
		x->tail->next = r;
	else
		x->head = r;
	x->tail = r;
	x->n++;
	x->bytes += r->len;
	x->st.pushed++;
	/* The sender waits for work only with an empty queue; outside a drain
	 * in drain_only mode it would not send anyway. */
	if (x->n == 1 && (!x->drain_only || x->draining))
		pthread_cond_signal(&x->wake);
}

/* The lowest seq not yet delivered or given up. */
static uint64_t first_unsettled(const struct tel_export *x)
{
	if (x->inflight_first)
		return x->inflight_first;
	if (x->head)
		return x->head->seq;
	return x->next_seq + 1;
}

static struct rec *render(const struct tel_export *x, const struct tel_alert *a)
{
	struct vg_buf b = VG_BUF_INIT(RECORD_MAX);
	struct rec *r = NULL;
	int rc = x->url ? tel_alert_otlp(&b, a) : tel_alert_json(&b, a);

	if (rc == 0 && !x->url)
		rc = vg_buf_putc(&b, '\n');
	if (rc == 0 && (r = malloc(sizeof(*r) + b.len + 1))) {
		r->len = b.len;
		memcpy(r->data, b.data, b.len);
		r->data[b.len] = '\0';
	}
	vg_buf_fini(&b);
	return r;
}

void tel_export_push(struct tel_export *x, const struct tel_alert *a)
{
	struct rec *r;

	if (!x || !a)
		return;
	r = render(x, a);
	pthread_mutex_lock(&x->lock);
	if (r) {
		enqueue(x, r);
	} else {
		/* Too large to render or no memory: a loss like any other. */
		x->st.dropped_overflow++;
		x->lost.overflow++;
	}
	pthread_mutex_unlock(&x->lock);
}

static void sink_emit(void *ctx, const struct tel_alert *a)
{
	tel_export_push(ctx, a);
}

struct tel_sink tel_export_sink(struct tel_export *x)
{
	struct tel_sink s = {sink_emit, x};
	return s;
}

/* ---- loss reports ---- */

static void loss_alert(struct tel_export *x, const struct losses *l, char *salt, size_t saltn,
                       struct tel_alert *a, struct tel_attr attrs[3], char nums[3][24],
                       char *summary, size_t sn)
{
	snprintf(nums[0], 24, "%llu", (unsigned long long)l->overflow);
	snprintf(nums[1], 24, "%llu", (unsigned long long)l->failed);
	snprintf(nums[2], 24, "%llu", (unsigned long long)l->rejected);
	attrs[0] = (struct tel_attr){"vigil.lost.overflow", nums[0], 1};
	attrs[1] = (struct tel_attr){"vigil.lost.failed", nums[1], 1};
	attrs[2] = (struct tel_attr){"vigil.lost.rejected", nums[2], 1};
	snprintf(summary, sn,
	         "alert export lost %llu alerts so far (%llu queue overflow, %llu given up, "
	         "%llu rejected by the collector)",
	         (unsigned long long)total(l), (unsigned long long)l->overflow,
	         (unsigned long long)l->failed, (unsigned long long)l->rejected);
	/* One id per report: the running total tells reports apart, the
	 * process start tells processes apart. */
	snprintf(salt, saltn, "%llu:%llu", (unsigned long long)total(l),
	         (unsigned long long)x->started_epoch_ns);
	*a = (struct tel_alert){.kind = "health",
	                        .category = "export_failure",
	                        .rule = "export",
	                        .severity = "ERROR",
	                        .summary = summary,
	                        .id_salt = salt,
	                        .attrs = attrs,
	                        .n_attrs = 3};
}

/* Prints the running loss counts on out_fd as a health alert line. */
static void print_losses(struct tel_export *x, const struct losses *l)
{
	struct tel_alert a;
	struct tel_attr attrs[3];
	char nums[3][24], salt[64], summary[200];

	loss_alert(x, l, salt, sizeof(salt), &a, attrs, nums, summary, sizeof(summary));
	tel_alert_print(x->out_fd, &a);
	x->printed_report = *l;
}

/* Sender, lock held: once the collector takes batches again, queues the
 * running loss counts as an export_failure alert. */
static void queue_loss_report(struct tel_export *x)
{
	struct losses l = x->lost;
	struct tel_alert a;
	struct tel_attr attrs[3];
	char nums[3][24], salt[64], summary[200];
	struct rec *r;

	if (!x->url || total(&l) == total(&x->sent_report))
		return;
	loss_alert(x, &l, salt, sizeof(salt), &a, attrs, nums, summary, sizeof(summary));
	r = render(x, &a);
	if (r)
		enqueue(x, r);
	x->sent_report = l;
}

/* Sender, lock held: prints new losses on out_fd (at most every few
 * seconds), dropping the lock for the write so pushes never wait on it. */
static void print_new_losses(struct tel_export *x)
{
	struct losses l = x->lost;
	uint64_t now = vg_mono_ns();

	if (total(&l) == total(&x->printed_report) ||
	    (x->printed_at && now - x->printed_at < REPORT_EVERY_NS))
		return;
	x->printed_at = now;
	pthread_mutex_unlock(&x->lock);
	print_losses(x, &l);
	pthread_mutex_lock(&x->lock);
}

/* ---- sending ---- */

static size_t on_reply(char *p, size_t size, size_t n, void *ud)
{
	struct tel_export *x = ud;
	/* Keep what fits; the rest is read and ignored. */
	vg_buf_append(&x->reply, p, VG_MIN(size * n, x->reply.max - x->reply.len));
	return size * n;
}

/* Retry-After: delta-seconds or an HTTP date. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct tel_export *x = ud;
	size_t len = size * n;
	static const char name[] = "retry-after:";

	if (len > sizeof(name) - 1 && len < 200 && vg_strcase_prefix(p, name)) {
		char v[200];
		size_t k = sizeof(name) - 1;
		int64_t secs;

		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		memcpy(v, p + k, len - k);
		v[len - k] = '\0';
		for (size_t e = strlen(v);
		     e && (v[e - 1] == '\r' || v[e - 1] == '\n' || v[e - 1] == ' ');)
			v[--e] = '\0';
		if (vg_parse_i64(v, 0, 1000000, &secs) == 0) {
			x->retry_after_ms = (uint64_t)secs * 1000;
		} else {
			time_t when = curl_getdate(v, NULL);
			time_t now = time(NULL);
			if (when > 0)
				x->retry_after_ms = when > now ? (uint64_t)(when - now) * 1000 : 0;
		}
	}
	return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct tel_export *x = ud;
	int abort_it;

	pthread_mutex_lock(&x->lock);
	abort_it = x->stop || (x->drain_only && !x->draining);
	pthread_mutex_unlock(&x->lock);
	return abort_it;
}

static int gzip_body(struct tel_export *x, const struct vg_buf *in)
{
	z_stream z = {0};
	uLong bound;
	int rc;

	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&z, in->len);
	vg_buf_reset(&x->gz);
	if (vg_buf_reserve(&x->gz, bound) < 0) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in->data;
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)x->gz.data;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	x->gz.len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -EIO;
}

/* The number in a partial-success reply's rejectedLogRecords (a string
 * or a number in OTLP JSON); 0 when absent. */
static uint64_t partial_rejected(const struct vg_buf *reply)
{
	const char *p = reply->data ? strstr(reply->data, "\"rejectedLogRecords\"") : NULL;
	uint64_t v = 0;

	if (!p)
		return 0;
	p += strlen("\"rejectedLogRecords\"");
	while (*p == ' ' || *p == ':' || *p == '"' || *p == '\t')
		p++;
	for (; *p >= '0' && *p <= '9' && v < (1ull << 40); p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v;
}

/* Builds the request body from the batch's records. */
static int batch_render(struct tel_export *x)
{
	struct batch *b = &x->b;
	int r;

	vg_buf_reset(&b->body);
	r = vg_buf_puts(&b->body, "{\"resourceLogs\":[{\"resource\":");
	r = r ? r : vg_buf_puts(&b->body, x->resource);
	r = r ? r
	      : vg_buf_puts(&b->body, ",\"scopeLogs\":[{\"scope\":{\"name\":\"vigil\"},"
	                              "\"logRecords\":[");
	for (struct rec *p = b->head; !r && p; p = p->next) {
		r = vg_buf_append(&b->body, p->data, p->len);
		if (!r && p->next)
			r = vg_buf_putc(&b->body, ',');
	}
	return r ? r : vg_buf_puts(&b->body, "]}]}]}");
}

/* One attempt; lock not held. *rejected: records refused in a partial
 * success. */
static enum outcome send_http(struct tel_export *x, uint64_t *rejected, long *status)
{
	struct curl_slist *h = NULL;
	const struct vg_buf *payload = &x->b.body;
	long timeout = x->request_ms;
	CURLcode cc;

	*rejected = 0;
	*status = 0;
	x->retry_after_ms = 0;
	vg_buf_reset(&x->reply);
	if (x->gzip) {
		if (gzip_body(x, &x->b.body) < 0)
			return RETRY;
		payload = &x->gz;
	}
	if (x->drain_only) {
		/* Never outlive the drain. */
		uint64_t now = vg_mono_ns(), end;
		pthread_mutex_lock(&x->lock);
		end = x->drain_deadline;
		pthread_mutex_unlock(&x->lock);
		if (end <= now + MS)
			return ABORTED;
		timeout = (long)VG_MIN((uint64_t)timeout, (end - now) / MS);
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	if (h && x->gzip)
		h = curl_slist_append(h, "Content-Encoding: gzip");
	if (h && x->auth_header)
		h = curl_slist_append(h, x->auth_header);
	if (h)
		h = curl_slist_append(h, "Expect:");
	if (!h)
		return RETRY;
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, payload->data);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)payload->len);
	curl_easy_setopt(x->curl, CURLOPT_TIMEOUT_MS, timeout);
	cc = curl_easy_perform(x->curl);
	curl_slist_free_all(h);
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return ABORTED;
	if (cc != CURLE_OK) {
		bool cut;
		pthread_mutex_lock(&x->lock);
		cut = x->stop || (x->drain_only && vg_mono_ns() + MS >= x->drain_deadline);
		pthread_mutex_unlock(&x->lock);
		vg_log_debug("export: %s", curl_easy_strerror(cc));
		return cut && cc == CURLE_OPERATION_TIMEDOUT ? ABORTED : RETRY;
	}
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, status);
	if (*status >= 200 && *status < 300) {
		*rejected = partial_rejected(&x->reply);
		return SENT;
	}
	if (*status == 429 || *status >= 500)
		return RETRY;
	return FATAL;
}

/* Stdout mode: the lines, one write each so they never interleave. */
static enum outcome send_lines(struct tel_export *x)
{
	for (struct rec *p = x->b.head; p; p = p->next)
		vg_write_all(x->out_fd, p->data, p->len);
	return SENT;
}

/* Takes a batch from the queue's head (lock held). */
static void batch_take(struct tel_export *x)
{
	struct batch *b = &x->b;

	while (x->head && b->n < x->batch_records &&
	       (b->n == 0 || b->bytes + x->head->len <= x->batch_bytes)) {
		struct rec *r = x->head;
		x->head = r->next;
		if (!x->head)
			x->tail = NULL;
		x->n--;
		x->bytes -= r->len;
		r->next = NULL;
		if (b->tail)
			b->tail->next = r;
		else
			b->head = r;
		b->tail = r;
		if (!b->n)
			b->first_seq = r->seq;
		b->last_seq = r->seq;
		b->n++;
		b->bytes += r->len;
	}
	b->attempts = 0;
	x->inflight_first = b->first_seq;
	x->inflight_n = b->n;
	x->inflight_bytes = b->bytes;
}

static void batch_done(struct tel_export *x)
{
	rec_free_list(x->b.head);
	x->b.head = x->b.tail = NULL;
	x->b.n = x->b.bytes = 0;
	x->b.attempts = 0;
	vg_buf_reset(&x->b.body);
	x->inflight_first = 0;
	x->inflight_n = x->inflight_bytes = 0;
	pthread_cond_broadcast(&x->settled);
}

/* Full jitter in the upper half: [d/2, d]. */
static uint64_t backoff_ms(struct tel_export *x, unsigned attempt)
{
	uint64_t d = x->backoff_min_ms;
	for (unsigned i = 1; i < attempt && d < x->backoff_max_ms; i++)
		d *= 2;
	d = VG_MIN(d, (uint64_t)x->backoff_max_ms);
	return d / 2 + (d > 1 ? (uint64_t)rand_r(&x->rand_state) % (d / 2 + 1) : 0);
}

static bool may_send(const struct tel_export *x)
{
	return !x->drain_only || x->draining;
}

static void wait_until(struct tel_export *x, uint64_t mono_deadline)
{
	/* The condition variable uses CLOCK_MONOTONIC (see new). */
	struct timespec ts = {(time_t)(mono_deadline / 1000000000ull),
	                      (long)(mono_deadline % 1000000000ull)};
	pthread_cond_timedwait(&x->wake, &x->lock, &ts);
}

static void *sender(void *arg)
{
	struct tel_export *x = arg;

	pthread_mutex_lock(&x->lock);
	while (!x->stop) {
		uint64_t now, not_before, rejected = 0;
		enum outcome o;
		long status = 0;
		bool recovered = false;
		char note[160] = ""; /* logged once the lock is dropped */

		print_new_losses(x);
		if (!x->b.n) {
			if (!x->head || !may_send(x)) {
				/* Wake up now and then to print loss reports. */
				wait_until(x, vg_mono_ns() + REPORT_EVERY_NS);
				continue;
			}
			batch_take(x);
			if (x->url && batch_render(x) < 0) {
				x->st.dropped_failed += x->b.n;
				x->lost.failed += x->b.n;
				batch_done(x);
				continue;
			}
		}
		if (!may_send(x)) {
			wait_until(x, vg_mono_ns() + REPORT_EVERY_NS);
			continue;
		}
		now = vg_mono_ns();
		not_before = x->final ? 0 : VG_MAX(x->retry_at, x->breaker_until);
		if (now < not_before) {
			x->idle_until = not_before;
			pthread_cond_broadcast(&x->settled); /* a drain may stop waiting */
			wait_until(x, not_before);
			x->idle_until = 0;
			continue;
		}
		x->st.requests += x->url ? 1 : 0;
		if (x->b.attempts)
			x->st.retries++;
		pthread_mutex_unlock(&x->lock);
		o = x->url ? send_http(x, &rejected, &status) : send_lines(x);
		pthread_mutex_lock(&x->lock);

		now = vg_mono_ns();
		switch (o) {
		case SENT:
			rejected = VG_MIN(rejected, (uint64_t)x->b.n);
			x->st.delivered += x->b.n - rejected;
			x->st.rejected += rejected;
			x->lost.rejected += rejected;
			recovered = x->consecutive > 0 || total(&x->lost) != total(&x->sent_report);
			x->consecutive = 0;
			x->retry_at = x->breaker_until = 0;
			x->st.breaker_open = false;
			batch_done(x);
			break;
		case ABORTED:
			x->st.requests -= x->url ? 1 : 0;
			break;
		case FATAL:
			snprintf(note, sizeof(note),
			         "export: the collector refused a batch of %zu alerts (HTTP %ld)",
			         x->b.n, status);
			x->st.dropped_failed += x->b.n;
			x->lost.failed += x->b.n;
			batch_done(x);
			break;
		case RETRY: {
			uint64_t wait = backoff_ms(x, ++x->b.attempts);
			if (x->retry_after_ms)
				wait = VG_MAX(wait, VG_MIN(x->retry_after_ms,
				                           (uint64_t)x->retry_after_max_ms));
			x->retry_at = now + wait * MS;
			if (++x->consecutive >= x->breaker_failures && !x->st.breaker_open) {
				x->st.breaker_open = true;
				x->st.breaker_opened++;
				x->breaker_until = now + (uint64_t)x->breaker_open_ms * MS;
				snprintf(note, sizeof(note),
				         "export: collector unreachable, pausing for %u ms",
				         x->breaker_open_ms);
			} else if (x->st.breaker_open) {
				/* A failed probe keeps it open for another period. */
				x->breaker_until = now + (uint64_t)x->breaker_open_ms * MS;
			}
			if (x->b.attempts >= x->max_attempts || x->final) {
				x->st.dropped_failed += x->b.n;
				x->lost.failed += x->b.n;
				batch_done(x);
			}
			break;
		}
		}
		if (recovered && o == SENT)
			queue_loss_report(x);
		pthread_cond_broadcast(&x->settled);
		if (note[0]) {
			/* stderr may block: never while pushes could wait on us */
			pthread_mutex_unlock(&x->lock);
			vg_log_warn("%s", note);
			pthread_mutex_lock(&x->lock);
		}
	}
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

/* ---- lifecycle ---- */

static int drain(struct tel_export *x, uint64_t deadline_ns, bool final)
{
	uint64_t target;
	int rc = 0;

	if (!x)
		return 0;
	pthread_mutex_lock(&x->lock);
	while (x->drainer) /* one drain at a time */
		pthread_cond_wait(&x->settled, &x->lock);
	x->drainer = true;
	target = x->next_seq;
	x->draining = true;
	x->final = final;
	x->drain_deadline = deadline_ns;
	pthread_cond_signal(&x->wake);
	while (first_unsettled(x) <= target) {
		uint64_t now = vg_mono_ns();
		struct timespec ts;
		/* Past the deadline, or nothing can happen before it (backoff,
		 * Retry-After, the breaker): do not hold the caller. */
		if (now >= deadline_ns || (!final && x->idle_until > deadline_ns)) {
			rc = -ETIMEDOUT;
			break;
		}
		ts.tv_sec = (time_t)(deadline_ns / 1000000000ull);
		ts.tv_nsec = (long)(deadline_ns % 1000000000ull);
		pthread_cond_timedwait(&x->settled, &x->lock, &ts);
	}
	x->draining = false;
	x->final = false;
	x->drainer = false;
	pthread_cond_broadcast(&x->settled);
	pthread_mutex_unlock(&x->lock);
	return rc;
}

int tel_export_drain(struct tel_export *x, uint64_t deadline_ns)
{
	return drain(x, deadline_ns, false);
}

int tel_export_drain_final(struct tel_export *x, uint64_t deadline_ns)
{
	return drain(x, deadline_ns, true);
}

void tel_export_get_stats(struct tel_export *x, struct tel_export_stats *out)
{
	pthread_mutex_lock(&x->lock);
	*out = x->st;
	out->queued = x->n + x->inflight_n;
	out->queued_bytes = x->bytes + x->inflight_bytes;
	pthread_mutex_unlock(&x->lock);
}

void tel_export_free(struct tel_export *x)
{
	if (!x)
		return;
	if (x->started) {
		pthread_mutex_lock(&x->lock);
		x->stop = true;
		pthread_cond_broadcast(&x->wake);
		pthread_mutex_unlock(&x->lock);
		pthread_join(x->thread, NULL);
	}
	/* What never left is lost: say so where Lambda keeps it. */
	x->lost.failed += x->n + x->b.n;
	if (total(&x->lost) != total(&x->printed_report))
		print_losses(x, &x->lost);
	rec_free_list(x->head);
	rec_free_list(x->b.head);
	vg_buf_fini(&x->b.body);
	vg_buf_fini(&x->reply);
	vg_buf_fini(&x->gz);
	if (x->curl)
		curl_easy_cleanup(x->curl);
	pthread_cond_destroy(&x->wake);
	pthread_cond_destroy(&x->settled);
	pthread_mutex_destroy(&x->lock);
	free(x->url);
	if (x->auth_header) {
		/* The token: wipe it before it goes back to the allocator. */
		memset(x->auth_header, 0, strlen(x->auth_header));
		free(x->auth_header);
	}
	free(x->resource);
	free(x);
}

#define OR(v, d) ((v) ? (v) : (d))

int tel_export_new(const struct tel_export_opts *o, struct tel_export **out)
{
	struct tel_export *x;
	pthread_condattr_t ca;
	struct vg_buf res = VG_BUF_INIT(16 * 1024);
	int rc;

	*out = NULL;
	if (!o)
		return -EINVAL;
	if (o->url && *o->url && !vg_strcase_prefix(o->url, "http://") &&
	    !vg_strcase_prefix(o->url, "https://"))
		return -EINVAL;
	if (o->token && strpbrk(o->token, "\r\n"))
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->queue_records = OR(o->queue_records, 1000);
	x->queue_bytes = OR(o->queue_bytes, 4u << 20);
	x->batch_records = OR(o->batch_records, 200);
	x->batch_bytes = OR(o->batch_bytes, 1u << 20);
	x->connect_ms = OR(o->connect_timeout_ms, 1000);
	x->request_ms = OR(o->request_timeout_ms, 5000);
	x->backoff_min_ms = OR(o->backoff_min_ms, 100);
	x->backoff_max_ms = VG_MAX(OR(o->backoff_max_ms, 30000), x->backoff_min_ms);
	x->retry_after_max_ms = OR(o->retry_after_max_ms, 300000);
	x->max_attempts = OR(o->max_attempts, 8);
	x->breaker_failures = OR(o->breaker_failures, 3);
	x->breaker_open_ms = OR(o->breaker_open_ms, 5000);
	x->gzip = o->gzip;
	x->drain_only = o->drain_only;
	x->out_fd = OR(o->out_fd, 1);
	x->started_epoch_ns = vg_epoch_ns();
	vg_buf_init(&x->b.body, x->batch_bytes + 64 * 1024);
	vg_buf_init(&x->reply, REPLY_MAX);
	vg_buf_init(&x->gz, 2 * (x->batch_bytes + 64 * 1024)); /* deflateBound of a body */
	pthread_mutex_init(&x->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->wake, &ca);
	pthread_cond_init(&x->settled, &ca);
	pthread_condattr_destroy(&ca);
	vg_random(&x->rand_state, sizeof(x->rand_state));

	if (o->url && *o->url) {
		rc = -ENOMEM;
		if (!(x->url = strdup(o->url)))
			goto fail;
		if (o->token && *o->token) {
			size_t n = strlen(o->token) + sizeof("Authorization: Bearer ");
			if (!(x->auth_header = malloc(n)))
				goto fail;
			snprintf(x->auth_header, n, "Authorization: Bearer %s", o->token);
		}
		if (tel_resource_otlp(&res) < 0 || !(x->resource = vg_buf_steal(&res, NULL)))
			goto fail;
		pthread_once(&curl_once, curl_init_once);
		if (!(x->curl = curl_easy_init()))
			goto fail;
		curl_easy_setopt(x->curl, CURLOPT_URL, x->url);
		curl_easy_setopt(x->curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)x->connect_ms);
		curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, on_reply);
		curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, x);
		curl_easy_setopt(x->curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(x->curl, CURLOPT_HEADERDATA, x);
		curl_easy_setopt(x->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(x->curl, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(x->curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(x->curl, CURLOPT_USERAGENT, "vigil");
		if (tel_ca_bundle())
			curl_easy_setopt(x->curl, CURLOPT_CAINFO, tel_ca_bundle());
		/* Only the collector's own scheme; never follow redirects
		 * (the token must not travel elsewhere). */
		curl_easy_setopt(x->curl, CURLOPT_FOLLOWLOCATION, 0L);
	}
	rc = -pthread_create(&x->thread, NULL, sender, x);
	if (rc)
		goto fail;
	x->started = true;
	*out = x;
	return 0;
fail:
	vg_buf_fini(&res);
	tel_export_free(x);
	return rc;
}
