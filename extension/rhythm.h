/* The invocation rhythm: which invocations the runtime has answered.
 *
 * The proxy reports each answer (px_proxy_opts.responded, from connection
 * threads); the lifecycle thread, after an INVOKE, waits until the runtime
 * has answered that request (or a bound passes) before it sends the
 * invocation's alerts and calls event/next. That way export never competes
 * with the function for the invocation's time, and it runs while the
 * environment is still thawed.
 *
 * The answers kept are the last EXT_RHYTHM_KEEP request ids: an answer may
 * arrive before the lifecycle thread asks (Lambda sends the INVOKE to the
 * extension and the event to the runtime at the same time). */
#ifndef EXT_RHYTHM_H
#define EXT_RHYTHM_H

#include <pthread.h>
#include <stdint.h>

#define EXT_RHYTHM_KEEP   64
#define EXT_RHYTHM_ID_MAX 128

struct ext_rhythm {
	pthread_mutex_t m;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
	char ids[EXT_RHYTHM_KEEP][EXT_RHYTHM_ID_MAX];
	unsigned next;       /* slot the next answer goes to */
	unsigned epoch;      /* bumped by ext_rhythm_interrupt */
	unsigned seen_epoch; /* epoch when the last wait ended */
};

/* 0 or -errno. */
int ext_rhythm_init(struct ext_rhythm *r);
void ext_rhythm_fini(struct ext_rhythm *r);
/* The runtime answered request_id (ids longer than EXT_RHYTHM_ID_MAX - 1
 * bytes are cut, as ext_rhythm_wait cuts them). Any thread. */
void ext_rhythm_answered(struct ext_rhythm *r, const char *request_id);
/* Ends the waits in progress: a runtime's connection closed, so the answer
 * may never come (a runtime that crashed). Any thread. */
void ext_rhythm_interrupt(struct ext_rhythm *r);
/* Waits until request_id was answered or the vg_mono_ns clock passes
 * deadline_ns. 0 when answered, -ETIMEDOUT, -ECANCELED when interrupted
 * during the wait or since the previous wait ended (a runtime that crashes
 * at once closes its connection before the INVOKE reaches the lifecycle
 * thread). */
int ext_rhythm_wait(struct ext_rhythm *r, const char *request_id, uint64_t deadline_ns);

#endif
