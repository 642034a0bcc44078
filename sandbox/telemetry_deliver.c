/* The delivery thread: one curl multi handle, at most one POST in flight
 * per subscriber, retries with doubling backoff.
 *
 * The thread owns every curl handle. Under mu it decides what to send and
 * builds batches (a memcpy of shared records); it never holds mu while
 * curl does I/O, so the verbs of telemetry.h never wait on a subscriber.
 */
#include <stdlib.h>

#include "telemetry_private.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_util.h"

#define NS_PER_MS 1000000u

void sbx_tel_deliver_wake(struct sbx_tel *t)
{
	if (t->thread_started)
		curl_multi_wakeup(t->multi);
}

void sbx_tel_sub_curl_free(struct sbx_tel_subscriber *s)
{
	if (s->curl)
		curl_easy_cleanup(s->curl);
	curl_slist_free_all(s->headers);
	s->curl = NULL;
	s->headers = NULL;
}

/* The listener's reply is not needed; reading it keeps the connection
 * reusable. */
static size_t discard(char *p, size_t size, size_t n, void *user)
{
	return size * n;
}

static int sub_curl_setup(struct sbx_tel_subscriber *s)
{
	struct curl_slist *h;

	if (s->curl)
		return 0;
	s->curl = curl_easy_init();
	if (!s->curl)
		return -1;
	h = curl_slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip before large batches. */
	if (h)
		s->headers = curl_slist_append(h, "Expect:");
	if (!h || !s->headers) {
		curl_slist_free_all(h);
		s->headers = NULL;
		sbx_tel_sub_curl_free(s);
		return -1;
	}
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, (long)SBX_TEL_POST_TIMEOUT_MS);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)SBX_TEL_POST_TIMEOUT_MS);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(s->curl, CURLOPT_PRIVATE, s);
	return 0;
}

static void post(struct sbx_tel *t, struct sbx_tel_subscriber *s)
{
	if (sub_curl_setup(s) != 0)
		return; /* tried again on the next turn */
	curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, s->batch->body.data);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->batch->body.len);
	if (curl_multi_add_handle(t->multi, s->curl) != CURLM_OK)
		return;
	s->in_flight = true;
	s->batch->attempts++;
	s->batch->dest_gen = s->dest_gen;
}

/* Starts what is due; lowers *wait_ns to when the next thing is. */
static void start_due(struct sbx_tel *t, uint64_t *wait_ns)
{
	uint64_t now = vg_mono_ns();

	for (size_t i = 0; i < t->nsubs; i++) {
		struct sbx_tel_subscriber *s = t->subs[i];

		if (s->in_flight)
			continue;
		if (s->failures > 0 && now < s->retry_at_ns) {
			*wait_ns = VG_MIN(*wait_ns, s->retry_at_ns - now);
			continue;
		}
		if (!s->batch && sbx_tel_sub_ready(t, s, now, wait_ns))
			s->batch = sbx_tel_batch_build(s);
		if (s->batch)
			post(t, s);
	}
}

/* Frees replaced or removed subscribers whose POST has ended. */
static void reap(struct sbx_tel *t)
{
	for (size_t i = t->ngrave; i-- > 0;) {
		struct sbx_tel_subscriber *s = t->graveyard[i];

		if (s->in_flight)
			continue;
		sbx_tel_sub_free(s);
		t->graveyard[i] = t->graveyard[--t->ngrave];
	}
}

static uint64_t backoff_ns(unsigned failures)
{
	uint64_t ms = SBX_TEL_BACKOFF_MIN_MS;

	while (--failures > 0 && ms < SBX_TEL_BACKOFF_MAX_MS)
		ms *= 2;
	return VG_MIN(ms, (uint64_t)SBX_TEL_BACKOFF_MAX_MS) * NS_PER_MS;
}

/* Accounts for one finished POST (under mu). */
static void finish(struct sbx_tel *t, struct sbx_tel_subscriber *s, bool ok)
{
	struct sbx_tel_batch *b = s->batch;

	s->in_flight = false;
	if (s->removed || !b)
		return;
	if (!ok && b->dest_gen != s->dest_gen) {
		/* Refused by a destination since replaced: not this one's
		 * failure; send it to the new one at once. */
		b->attempts = 0;
		return;
	}
	if (ok) {
		t->delivered += b->items;
		s->failures = 0;
		sbx_tel_batch_free(b);
		s->batch = NULL;
		return;
	}
	s->failures++;
	s->retry_at_ns = vg_mono_ns() + backoff_ns(s->failures);
	if (b->attempts < SBX_TEL_ATTEMPTS_MAX)
		return;
	/* Given up: the batch's records join the next logsDropped. */
	vg_log_warn("telemetry: %s: batch of %zu records not delivered after %u attempts", s->name,
	            b->items, b->attempts);
	t->dropped += b->items;
	s->dropped_records += b->items + b->carried_records;
	s->dropped_bytes += b->bytes + b->carried_bytes;
	sbx_tel_batch_free(b);
	s->batch = NULL;
}

/* Returns how many POSTs ended: their subscribers may have more to send. */
static unsigned collect(struct sbx_tel *t)
{
	CURLMsg *m;
	unsigned ended = 0;
	int left;

	while ((m = curl_multi_info_read(t->multi, &left))) {
		struct sbx_tel_subscriber *s = NULL;
		long code = 0;
		bool ok;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		ok = m->data.result == CURLE_OK && code >= 200 && code < 300;
		curl_multi_remove_handle(t->multi, m->easy_handle);
		ended++;
		if (!s)
			continue;
		pthread_mutex_lock(&t->mu);
		finish(t, s, ok);
		pthread_cond_broadcast(&t->drained);
		pthread_mutex_unlock(&t->mu);
	}
	return ended;
}

/* Detaches whatever is still in flight when the module stops. */
static void stop_all(struct sbx_tel *t)
{
	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->nsubs; i++)
		if (t->subs[i]->in_flight) {
			curl_multi_remove_handle(t->multi, t->subs[i]->curl);
			t->subs[i]->in_flight = false;
		}
	for (size_t i = 0; i < t->ngrave; i++)
		if (t->graveyard[i]->in_flight) {
			curl_multi_remove_handle(t->multi, t->graveyard[i]->curl);
			t->graveyard[i]->in_flight = false;
		}
	pthread_mutex_unlock(&t->mu);
}

void *sbx_tel_deliver_main(void *arg)
{
	struct sbx_tel *t = arg;

	for (;;) {
		uint64_t wait_ns = 1000u * NS_PER_MS;
		int running, wait_ms;

		pthread_mutex_lock(&t->mu);
		if (t->stop) {
			pthread_mutex_unlock(&t->mu);
			break;
		}
		reap(t);
		start_due(t, &wait_ns);
		/* A flush may be waiting on nothing left to send. */
		pthread_cond_broadcast(&t->drained);
		pthread_mutex_unlock(&t->mu);
		curl_multi_perform(t->multi, &running);
		/* The wait was computed before these POSTs ended: decide again
		 * at once, so the next batch follows without a pause. */
		if (collect(t) > 0)
			continue;
		wait_ms = (int)VG_MAX((wait_ns + NS_PER_MS - 1) / NS_PER_MS, 1u);
		curl_multi_poll(t->multi, NULL, 0, wait_ms, NULL);
	}
	stop_all(t);
	return NULL;
}
