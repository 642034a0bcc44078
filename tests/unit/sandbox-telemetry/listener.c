/* See listener.h. One thread per connection, so that a hanging request
 * does not hold up the ones after it. */
#include "listener.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_http.h"
#include "vg_time.h"

struct listener {
	struct MHD_Daemon *d;
	uint16_t port;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned fail_n, fail_status;
	bool hang;
	unsigned requests;
	size_t nrecords;
	size_t nbatches;
	struct listener_batch batches[LISTENER_BATCHES_MAX];
};

static vg_mhd_result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct vg_http_req *req;
	const char *ct;
	unsigned status = 200;

	if (!vg_http_collect(con_cls, upload, upload_size, 8u << 20, &req))
		return MHD_YES;
	pthread_mutex_lock(&l->mu);
	l->requests++;
	pthread_cond_broadcast(&l->cv);
	if (l->hang) {
		/* Released: refuse, so the sender retries and the batch is
		 * recorded exactly once, whether or not it gave up waiting. */
		while (l->hang)
			pthread_cond_wait(&l->cv, &l->mu);
		pthread_mutex_unlock(&l->mu);
		return vg_http_reply(c, 503, NULL, "", 0);
	}
	if (l->fail_n > 0) {
		l->fail_n--;
		status = l->fail_status;
	} else if (l->nbatches < LISTENER_BATCHES_MAX && strcmp(method, "POST") == 0) {
		struct listener_batch *b = &l->batches[l->nbatches];

		b->array =
		    cJSON_ParseWithLength(req->body.data ? req->body.data : "", req->body.len);
		b->body_len = req->body.len;
		ct = vg_http_header(c, "Content-Type");
		b->json_type = ct && strcmp(ct, "application/json") == 0;
		snprintf(b->path, sizeof(b->path), "%s", url);
		if (cJSON_IsArray(b->array)) {
			l->nrecords += (size_t)cJSON_GetArraySize(b->array);
			l->nbatches++;
		} else {
			cJSON_Delete(b->array);
			b->array = NULL;
			status = 400;
		}
		pthread_cond_broadcast(&l->cv);
	}
	pthread_mutex_unlock(&l->mu);
	return vg_http_reply(c, status, NULL, "", 0);
}

struct listener *listener_new(void)
{
	struct listener *l = calloc(1, sizeof(*l));
	const union MHD_DaemonInfo *info;

	if (!l)
		return NULL;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
	                        NULL, NULL, on_request, l, MHD_OPTION_NOTIFY_COMPLETED,
	                        vg_http_completed, NULL, MHD_OPTION_END);
	info = l->d ? MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!info) {
		listener_free(l);
		return NULL;
	}
	l->port = info->port;
	return l;
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	listener_hang(l, false);
	if (l->d)
		MHD_stop_daemon(l->d);
	for (size_t i = 0; i < l->nbatches; i++)
		cJSON_Delete(l->batches[i].array);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

uint16_t listener_port(const struct listener *l)
{
	return l->port;
}

void listener_fail_next(struct listener *l, unsigned n, unsigned status)
{
	pthread_mutex_lock(&l->mu);
	l->fail_n = n;
	l->fail_status = status;
	pthread_mutex_unlock(&l->mu);
}

void listener_hang(struct listener *l, bool on)
{
	pthread_mutex_lock(&l->mu);
	l->hang = on;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

unsigned listener_requests(struct listener *l)
{
	unsigned n;

	pthread_mutex_lock(&l->mu);
	n = l->requests;
	pthread_mutex_unlock(&l->mu);
	return n;
}

size_t listener_wait_records(struct listener *l, size_t n, unsigned timeout_ms)
{
	uint64_t end = vg_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	size_t got;

	pthread_mutex_lock(&l->mu);
	while (l->nrecords < n && vg_mono_ns() < end) {
		pthread_mutex_unlock(&l->mu);
		vg_sleep_ms(5);
		pthread_mutex_lock(&l->mu);
	}
	got = l->nrecords;
	pthread_mutex_unlock(&l->mu);
	return got;
}

size_t listener_nbatches(struct listener *l)
{
	size_t n;

	pthread_mutex_lock(&l->mu);
	n = l->nbatches;
	pthread_mutex_unlock(&l->mu);
	return n;
}

const struct listener_batch *listener_batch_at(struct listener *l, size_t i)
{
	const struct listener_batch *b;

	pthread_mutex_lock(&l->mu);
	b = i < l->nbatches ? &l->batches[i] : NULL;
	pthread_mutex_unlock(&l->mu);
	return b;
}

const cJSON *listener_record_at(struct listener *l, size_t i)
{
	const cJSON *r = NULL;

	pthread_mutex_lock(&l->mu);
	for (size_t b = 0; b < l->nbatches && !r; b++) {
		size_t n = (size_t)cJSON_GetArraySize(l->batches[b].array);

		if (i < n)
			r = cJSON_GetArrayItem(l->batches[b].array, (int)i);
		else
			i -= n;
	}
	pthread_mutex_unlock(&l->mu);
	return r;
}
