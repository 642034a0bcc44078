/* Processes of the execution environment: launching the runtime and the
 * extensions (each in its own process group, stdout and stderr on pipes),
 * reaping them, signalling their groups, and measuring their memory.
 *
 * A struct sbx_proc is owned by the sandbox's process list (s->procs) from
 * sbx_proc_spawn until sbx_proc_release. Its fields other than the pipes are
 * guarded by s->lock. */
#ifndef SBX_PROC_H
#define SBX_PROC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"

/* Longer lines are passed on in pieces of this size. */
#define SBX_LOG_LINE_MAX 16384

struct sbx_proc {
	struct sbx_proc *next;
	pid_t pid;    /* also the process group id */
	int pidfd;    /* readable once it exits; -1 without pidfd_open */
	bool runtime; /* else an extension */
	char name[SBX_NAME_MAX];
	bool exited;
	int status;     /* wait status */
	long maxrss_kb; /* from wait4 */
	bool killed;    /* the sandbox sent SIGKILL */
	bool stopped;   /* frozen with SIGSTOP */
	/* Log reader. */
	struct sbx_tel *tel;
	int out_fd, err_fd, wake[2];
	pthread_t reader;
	bool reader_started;
	_Atomic bool drained;                 /* the reader saw both pipes end (or stopped) */
	_Atomic unsigned sync_req, sync_done; /* see sbx_proc_sync */
};

/* Launches argv (argv[0] is the path) with envp; caller holds s->lock (so
 * that the reaper, which takes it, cannot miss an early exit). 0 or -errno
 * (the exec error for a file that cannot be run). */
int sbx_proc_spawn(struct sbx *s, bool runtime, const char *name, char *const argv[],
                   char *const envp[], struct sbx_proc **out);
/* Unlinks p from s->procs, stops its log reader after draining the pipes,
 * and frees it. Caller holds s->lock; it is released while joining. */
void sbx_proc_release(struct sbx *s, struct sbx_proc *p);
/* Waits until p's log reader has read both pipes to their end (every line
 * handed to telemetry), at most until deadline_ns. Caller does not hold
 * s->lock. true when drained. */
bool sbx_proc_drain(struct sbx_proc *p, uint64_t deadline_ns);
/* Waits until p's log reader has read what p wrote to its pipes so far
 * (every complete line handed to telemetry), at most until deadline_ns:
 * the lines a runtime printed before it answered then come before the
 * answer's platform.runtimeDone, as in Lambda. The reader needs no lock,
 * so the caller may hold s->lock. true when done. */
bool sbx_proc_sync(struct sbx_proc *p, uint64_t deadline_ns);
/* Signals the process group (the process itself if the group is gone). */
void sbx_proc_signal(struct sbx_proc *p, int sig);
/* SIGSTOP / SIGCONT every live process. Caller holds s->lock. */
void sbx_proc_freeze_all(struct sbx *s, bool freeze);

/* Starts and stops the reaper thread. */
int sbx_reaper_start(struct sbx *s);
void sbx_reaper_stop(struct sbx *s);

/* Resident bytes of pid and its descendants (at most 256 processes). */
uint64_t sbx_proc_tree_rss(pid_t pid);
/* VmHWM of pid in bytes, 0 when unknown. */
uint64_t sbx_proc_hwm(pid_t pid);

/* The environment of §6.1 (runtime) or §6.2 (extension): NULL-terminated,
 * free with sbx_env_free. NULL on allocation failure. */
char **sbx_env_build(struct sbx *s, bool runtime);
void sbx_env_free(char **env);

#endif
