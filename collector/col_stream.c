#include "col_stream.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slot {
	char *json;
	size_t n;
};

struct col_stream {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct slot *ring;
	size_t slots;
	uint64_t head; /* sequence of the next push */
	bool closed;
};

int col_stream_new(size_t slots, struct col_stream **out)
{
	struct col_stream *st = calloc(1, sizeof(*st));
	pthread_condattr_t ca;

	if (!st || !(st->ring = calloc(slots, sizeof(*st->ring)))) {
		free(st);
		return -ENOMEM;
	}
	st->slots = slots;
	pthread_mutex_init(&st->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->more, &ca);
	pthread_condattr_destroy(&ca);
	*out = st;
	return 0;
}

void col_stream_close(struct col_stream *st)
{
	pthread_mutex_lock(&st->lock);
	st->closed = true;
	pthread_cond_broadcast(&st->more);
	pthread_mutex_unlock(&st->lock);
}

void col_stream_free(struct col_stream *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->slots; i++)
		free(st->ring[i].json);
	free(st->ring);
	pthread_cond_destroy(&st->more);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

void col_stream_push(struct col_stream *st, const char *json, size_t n)
{
	/* Allocate outside the lock. An alert too large to hold (or a failed
	 * copy) becomes an empty slot, which readers see as "lagged": they
	 * reload and find it stored. */
	char *copy = n <= COL_STREAM_MAX_ALERT ? malloc(n + 1) : NULL;
	if (copy) {
		memcpy(copy, json, n);
		copy[n] = '\0';
	} else {
		n = 0;
	}
	pthread_mutex_lock(&st->lock);
	struct slot *s = &st->ring[st->head % st->slots];
	char *old = s->json;
	s->json = copy;
	s->n = n;
	st->head++;
	pthread_cond_broadcast(&st->more);
	pthread_mutex_unlock(&st->lock);
	free(old);
}

uint64_t col_stream_head(struct col_stream *st)
{
	pthread_mutex_lock(&st->lock);
	uint64_t h = st->head;
	pthread_mutex_unlock(&st->lock);
	return h;
}

int col_stream_wait(struct col_stream *st, uint64_t *seq, int timeout_ms, struct vg_buf *out)
{
	struct timespec until;
	int n = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&st->lock);
	while (!st->closed && *seq >= st->head)
		if (pthread_cond_timedwait(&st->more, &st->lock, &until) == ETIMEDOUT)
			break;
	if (st->closed) {
		pthread_mutex_unlock(&st->lock);
		return -EPIPE;
	}
	if (st->head > st->slots && *seq < st->head - st->slots) {
		vg_buf_puts(out, "event: lagged\ndata: {}\n\n");
		*seq = st->head;
		n++;
	}
	for (; *seq < st->head; (*seq)++) {
		const struct slot *s = &st->ring[*seq % st->slots];
		size_t mark = out->len;
		if (!s->json) {
			if (vg_buf_puts(out, "event: lagged\ndata: {}\n\n") < 0)
				break;
			n++;
			continue;
		}
		if (vg_buf_printf(out, "event: alert\nid: %llu\ndata: ", (unsigned long long)*seq) <
		        0 ||
		    vg_buf_append(out, s->json, s->n) < 0 || vg_buf_puts(out, "\n\n") < 0) {
			/* Full: leave the rest for the next call, unless this
			 * one alone can never fit: then skip it. */
			vg_buf_truncate(out, mark);
			if (mark == 0)
				continue;
			break;
		}
		n++;
	}
	pthread_mutex_unlock(&st->lock);
	return n;
}
