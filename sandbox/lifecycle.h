/* Helpers the lifecycle files (lifecycle.c, init.c, invoke.c, shutdown.c)
 * share. Unless said otherwise the caller holds s->lock. */
#ifndef SBX_LIFECYCLE_H
#define SBX_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "proc.h"
#include "sandbox.h"

#define MS                 1000000ull
#define SAMPLE_EVERY_NS    (20 * MS)
#define SHUTDOWN_BUDGET_MS 2000
#define RUNTIME_SHARE_MS   300
#define REAP_WAIT_NS       (1000 * MS)
/* Bound on reading a runtime's pipes before its runtimeDone record. */
#define LOG_SYNC_MS 20

/* Waits for a change, at most until deadline_ns, sampling the runtime's
 * memory every 20 ms (and killing it over --memory). false once the
 * deadline has passed. */
bool sbx_env_wait(struct sbx *s, uint64_t deadline_ns);
/* Waits until p has been reaped or deadline_ns; true when it was. */
bool sbx_wait_exit(struct sbx *s, struct sbx_proc *p, uint64_t deadline_ns);
/* The fatal condition of the environment (an error type), or NULL; *who
 * names the culprit. */
const char *sbx_env_failure(struct sbx *s, const char **who);
/* {"errorMessage":...,"errorType":type} for a failure; malloc'd. */
char *sbx_error_doc(struct sbx *s, const char *type, const char *who, size_t *len);
/* Whether every extension (INVOKE subscribers only, with invoke_only)
 * waits in next with nothing queued. */
bool sbx_all_extensions_ready(struct sbx *s, bool invoke_only);

/* Take and give back the environment (s->busy); without the lock.
 * sbx_env_acquire returns -ESHUTDOWN once the sandbox is stopping. */
int sbx_env_acquire(struct sbx *s);
void sbx_env_release(struct sbx *s);

/* init.c, without the lock, holding busy: the init phase. 0, or -1 after a
 * failed init (the environment has been reset; s->init says why). */
int sbx_init_run(struct sbx *s, const char *phase, uint64_t deadline);
/* shutdown.c, without the lock, holding busy: the shutdown phase. final
 * records it as the run's shutdown, else as a reset (subscriptions
 * re-open for the next init). */
void sbx_shutdown_phase(struct sbx *s, const char *reason, bool final);

#endif
