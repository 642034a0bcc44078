#include "rhythm.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vg_time.h"

int ext_rhythm_init(struct ext_rhythm *r)
{
	pthread_condattr_t a;
	int e;

	memset(r, 0, sizeof(*r));
	e = pthread_condattr_init(&a);
	if (e)
		return -e;
	e = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!e)
		e = pthread_cond_init(&r->cv, &a);
	pthread_condattr_destroy(&a);
	if (e)
		return -e;
	e = pthread_mutex_init(&r->m, NULL);
	if (e) {
		pthread_cond_destroy(&r->cv);
		return -e;
	}
	return 0;
}

void ext_rhythm_fini(struct ext_rhythm *r)
{
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->m);
}

void ext_rhythm_answered(struct ext_rhythm *r, const char *request_id)
{
	pthread_mutex_lock(&r->m);
	snprintf(r->ids[r->next], EXT_RHYTHM_ID_MAX, "%s", request_id);
	r->next = (r->next + 1) % EXT_RHYTHM_KEEP;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->m);
}

void ext_rhythm_interrupt(struct ext_rhythm *r)
{
	pthread_mutex_lock(&r->m);
	r->epoch++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->m);
}

static bool answered(const struct ext_rhythm *r, const char *id)
{
	for (unsigned i = 0; i < EXT_RHYTHM_KEEP; i++)
		if (r->ids[i][0] && !strncmp(r->ids[i], id, EXT_RHYTHM_ID_MAX - 1))
			return true;
	return false;
}

int ext_rhythm_wait(struct ext_rhythm *r, const char *request_id, uint64_t deadline_ns)
{
	struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000u),
	                      .tv_nsec = (long)(deadline_ns % 1000000000u)};
	int ret = 0;

	pthread_mutex_lock(&r->m);
	unsigned epoch = r->seen_epoch;
	while (!answered(r, request_id)) {
		if (r->epoch != epoch) {
			ret = -ECANCELED;
			break;
		}
		if (vg_mono_ns() >= deadline_ns ||
		    pthread_cond_timedwait(&r->cv, &r->m, &ts) == ETIMEDOUT) {
			ret = answered(r, request_id) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	r->seen_epoch = r->epoch;
	pthread_mutex_unlock(&r->m);
	return ret;
}
