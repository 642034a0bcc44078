#include "col_forward.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vg_log.h"
#include "vg_time.h"
#include "vg_util.h"

#define MAX_ATTEMPTS   6
#define MAX_BACKOFF_MS 30000

struct item {
	char *body;
	size_t n;
};

struct col_forward {
	char *url;
	struct curl_slist *headers;
	CURL *curl;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct item *queue; /* ring of max items */
	size_t max, head, len;
	size_t bytes; /* held in the queue, capped at COL_FORWARD_MAX_BYTES */
	bool stopping;
	int64_t drain_deadline_ms; /* after stopping: give up when passed */
	struct col_forward_stats stats;
};

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* Retry-After in seconds; 0 when absent. */
static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
	long *retry_after = ud;
	size_t len = size * n;
	static const char NAME[] = "retry-after:";
	if (len > sizeof(NAME) && !strncasecmp(p, NAME, sizeof(NAME) - 1)) {
		long v = strtol(p + sizeof(NAME) - 1, NULL, 10);
		if (v > 0)
			*retry_after = v;
	}
	return len;
}

/* 0 sent, 1 retry later (*wait_ms set), -1 give up. */
static int send_once(struct col_forward *f, const struct item *it, int attempt, long *wait_ms)
{
	long status = 0, retry_after = 0;
	CURLcode cc;

	curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->n);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, &retry_after);
	cc = curl_easy_perform(f->curl);
	if (cc == CURLE_OK)
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && status >= 200 && status < 300)
		return 0;
	if (cc == CURLE_OK && status != 429 && status != 502 && status != 503 && status != 504) {
		vg_log_warn("forward: %s answered %ld; dropping the batch", f->url, status);
		return -1;
	}
	if (attempt + 1 >= MAX_ATTEMPTS)
		return -1;
	/* Exponential from 250 ms, with full jitter over its upper half. */
	long base = 250L << attempt, jitter = 0;
	if (base > MAX_BACKOFF_MS)
		base = MAX_BACKOFF_MS;
	vg_random(&jitter, sizeof(jitter));
	*wait_ms = base / 2 + (long)((unsigned long)jitter % (unsigned long)(base / 2 + 1));
	if (retry_after)
		*wait_ms = VG_MIN(retry_after * 1000, (long)MAX_BACKOFF_MS);
	if (cc != CURLE_OK)
		vg_log_debug("forward: %s", curl_easy_strerror(cc));
	return 1;
}

/* Sleeps ms unless stopping and the drain deadline passes first. */
static bool backoff(struct col_forward *f, long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->lock);
	while (!f->stopping)
		if (pthread_cond_timedwait(&f->cond, &f->lock, &ts) == ETIMEDOUT)
			break;
	bool give_up = f->stopping && vg_mono_ns() / 1000000 >= (uint64_t)f->drain_deadline_ms;
	pthread_mutex_unlock(&f->lock);
	return !give_up;
}

static void *forward_main(void *arg)
{
	struct col_forward *f = arg;

	for (;;) {
		struct item it;
		pthread_mutex_lock(&f->lock);
		while (!f->len && !f->stopping)
			pthread_cond_wait(&f->cond, &f->lock);
		if (!f->len ||
		    (f->stopping && vg_mono_ns() / 1000000 >= (uint64_t)f->drain_deadline_ms)) {
			pthread_mutex_unlock(&f->lock);
			break;
		}
		it = f->queue[f->head];
		f->bytes -= it.n;
		f->head = (f->head + 1) % f->max;
		f->len--;
		pthread_mutex_unlock(&f->lock);

		int rc = -1;
		for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
			long wait_ms = 0;
			rc = send_once(f, &it, attempt, &wait_ms);
			if (rc <= 0)
				break;
			__atomic_add_fetch(&f->stats.retries, 1, __ATOMIC_RELAXED);
			if (!backoff(f, wait_ms)) {
				rc = -1;
				break;
			}
		}
		__atomic_add_fetch(rc == 0 ? &f->stats.sent : &f->stats.failed, 1,
		                   __ATOMIC_RELAXED);
		free(it.body);
	}
	return NULL;
}

int col_forward_new(const char *url, const char *token, size_t max_queue, struct col_forward **out)
{
	struct col_forward *f = calloc(1, sizeof(*f));
	char auth[1024];

	if (!f)
		return -ENOMEM;
	f->max = max_queue ? max_queue : 1;
	f->queue = calloc(f->max, sizeof(*f->queue));
	f->url = strdup(url);
	f->curl = curl_easy_init();
	if (!f->queue || !f->url || !f->curl)
		goto fail;
	f->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (token) {
		if (snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token) >=
		    (int)sizeof(auth))
			goto fail;
		f->headers = curl_slist_append(f->headers, auth);
	}
	/* Let the peer answer without waiting for a 100-continue round trip. */
	f->headers = curl_slist_append(f->headers, "Expect:");
	curl_easy_setopt(f->curl, CURLOPT_URL, f->url);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, f->headers);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, 15000L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	if (pthread_create(&f->thread, NULL, forward_main, f) != 0) {
		pthread_cond_destroy(&f->cond);
		pthread_mutex_destroy(&f->lock);
		goto fail;
	}
	*out = f;
	return 0;
fail:
	curl_slist_free_all(f->headers);
	if (f->curl)
		curl_easy_cleanup(f->curl);
	free(f->url);
	free(f->queue);
	free(f);
	return -ENOMEM;
}

void col_forward_free(struct col_forward *f, int drain_ms)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	f->drain_deadline_ms = (int64_t)(vg_mono_ns() / 1000000) + drain_ms;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	for (size_t i = 0; i < f->len; i++)
		free(f->queue[(f->head + i) % f->max].body);
	curl_slist_free_all(f->headers);
	curl_easy_cleanup(f->curl);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f->url);
	free(f->queue);
	free(f);
}

int col_forward_push(struct col_forward *f, char *body, size_t n)
{
	pthread_mutex_lock(&f->lock);
	if (f->len == f->max || f->stopping || n > COL_FORWARD_MAX_BYTES - f->bytes) {
		f->stats.dropped++;
		pthread_mutex_unlock(&f->lock);
		free(body);
		return -ENOBUFS;
	}
	f->queue[(f->head + f->len) % f->max] = (struct item){body, n};
	f->len++;
	f->bytes += n;
	f->stats.queued++;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

void col_forward_stats(struct col_forward *f, struct col_forward_stats *out)
{
	pthread_mutex_lock(&f->lock);
	out->queued = f->stats.queued;
	out->dropped = f->stats.dropped;
	pthread_mutex_unlock(&f->lock);
	out->sent = __atomic_load_n(&f->stats.sent, __ATOMIC_RELAXED);
	out->failed = __atomic_load_n(&f->stats.failed, __ATOMIC_RELAXED);
	out->retries = __atomic_load_n(&f->stats.retries, __ATOMIC_RELAXED);
}
