/* The execution environment's lifecycle (lambda-apis.md §2.9-§2.11): what
 * init (init.c), invoke (invoke.c) and the shutdown phase (shutdown.c) share:
 * waiting with memory sampling, the environment's failure conditions, the
 * one-at-a-time hold on the environment, and setup. These run in the
 * invoker's thread (main for batch mode, an invoke-endpoint connection
 * otherwise); the API handlers move the state they wait for. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lifecycle.h"
#include "proc.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_util.h"

/* ---- waiting ---- */

/* Samples the runtime's memory; kills it when over --memory. Lock held; it
 * is dropped while /proc is read (only the invoker releases processes, so
 * the pid stays ours). */
static void sample_memory(struct sbx *s)
{
	struct sbx_proc *p = s->rt.proc;
	uint64_t rss, hwm, limit = (uint64_t)s->opts->memory_mb * 1048576u;
	pid_t pid;

	if (!p || p->exited)
		return; /* nothing measured: the next wait tries again */
	s->last_sample_ns = vg_mono_ns();
	pid = p->pid;
	pthread_mutex_unlock(&s->lock);
	rss = sbx_proc_tree_rss(pid);
	hwm = sbx_proc_hwm(pid);
	pthread_mutex_lock(&s->lock);
	rss = VG_MAX(rss, hwm);
	if (rss > s->peak_rss)
		s->peak_rss = rss;
	if (rss > limit && !s->oom && !p->exited) {
		vg_log_warn("runtime uses %llu MB, over --memory %u MB: killing it",
		            (unsigned long long)(rss >> 20), s->opts->memory_mb);
		s->oom = true;
		sbx_proc_signal(p, SIGKILL);
	}
}

static void cond_wait_until(struct sbx *s, uint64_t until_ns)
{
	struct timespec ts = {.tv_sec = (time_t)(until_ns / 1000000000ull),
	                      .tv_nsec = (long)(until_ns % 1000000000ull)};
	pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}

/* Waits for a change, at most until deadline_ns, sampling memory on the
 * way. Lock held. false once the deadline has passed. */
bool sbx_env_wait(struct sbx *s, uint64_t deadline_ns)
{
	uint64_t now = vg_mono_ns();

	if (now >= deadline_ns)
		return false;
	cond_wait_until(s, VG_MIN(deadline_ns, now + SAMPLE_EVERY_NS));
	if (vg_mono_ns() - s->last_sample_ns >= SAMPLE_EVERY_NS)
		sample_memory(s);
	return true;
}

/* Waits until proc has been reaped or deadline_ns. Lock held. */
bool sbx_wait_exit(struct sbx *s, struct sbx_proc *p, uint64_t deadline_ns)
{
	while (p && !p->exited) {
		uint64_t now = vg_mono_ns();
		if (now >= deadline_ns)
			return false;
		cond_wait_until(s, VG_MIN(deadline_ns, now + 10 * MS));
	}
	return true;
}

static void describe_exit(int status, char *out, size_t n)
{
	if (WIFEXITED(status))
		snprintf(out, n, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, n, "signal: %s", strsignal(WTERMSIG(status)));
	else
		snprintf(out, n, "status %d", status);
}

/* The fatal condition of the environment, or NULL; *who names the culprit.
 * Lock held. */
const char *sbx_env_failure(struct sbx *s, const char **who)
{
	*who = "runtime";
	if (s->oom)
		return "Runtime.OutOfMemory";
	for (unsigned i = 0; i < s->n_ext; i++) {
		struct sbx_ext *e = &s->ext[i];
		*who = e->name;
		if (e->state == SBX_EXT_INIT_ERROR)
			return "Extension.InitError";
		if (e->state == SBX_EXT_EXIT_ERROR)
			return "Extension.ExitError";
		if (e->state == SBX_EXT_LAUNCH_ERROR)
			return "Extension.LaunchError";
		if (e->external && e->proc && e->proc->exited) {
			e->state = SBX_EXT_CRASHED;
			return "Extension.Crash";
		}
		if (e->state == SBX_EXT_CRASHED)
			return "Extension.Crash";
	}
	*who = "runtime";
	if (s->rt.state == SBX_RT_INIT_ERROR)
		return s->rt.error_type;
	if (s->rt.proc && s->rt.proc->exited)
		return "Runtime.ExitError";
	if (s->quit)
		return "Sandbox.Terminated";
	return NULL;
}

/* An error document {"errorMessage":...,"errorType":...} for a failure. */
char *sbx_error_doc(struct sbx *s, const char *type, const char *who, size_t *len)
{
	struct vg_buf msg = VG_BUF_INIT(4096), out = VG_BUF_INIT(8192);
	char how[128] = "";

	if (!strcmp(type, "Sandbox.Timeout")) {
		vg_buf_printf(&msg, "Task timed out after %u.00 seconds", s->opts->timeout_s);
	} else if (!strcmp(type, "Runtime.ExitError") || !strcmp(type, "Runtime.OutOfMemory")) {
		if (s->rt.proc && s->rt.proc->exited)
			describe_exit(s->rt.proc->status, how, sizeof(how));
		vg_buf_printf(&msg, "Runtime exited with error: %s",
		              how[0] ? how : "signal: Killed");
	} else if (!strcmp(type, "Extension.Crash")) {
		vg_buf_printf(&msg, "Extension %s exited before the shutdown phase", who);
	} else {
		vg_buf_printf(&msg, "%s failed: %s", who, type);
	}
	vg_buf_puts(&out, "{\"errorMessage\":");
	vg_buf_json_str(&out, msg.data ? msg.data : "", msg.len);
	vg_buf_puts(&out, ",\"errorType\":");
	vg_buf_json_str(&out, type, strlen(type));
	vg_buf_puts(&out, "}");
	vg_buf_fini(&msg);
	return vg_buf_steal(&out, len);
}

int sbx_env_acquire(struct sbx *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->busy && !s->quit)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->quit) {
		pthread_mutex_unlock(&s->lock);
		return -ESHUTDOWN;
	}
	s->busy = true;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void sbx_env_release(struct sbx *s)
{
	pthread_mutex_lock(&s->lock);
	s->busy = false;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void sbx_request_quit(struct sbx *s)
{
	pthread_mutex_lock(&s->lock);
	s->quit = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* ---- setup ---- */

struct sbx_ext *sbx_ext_by_id(struct sbx *s, const char *id)
{
	for (unsigned i = 0; i < s->n_ext; i++)
		if (s->ext[i].id[0] && !strcasecmp(s->ext[i].id, id))
			return &s->ext[i];
	return NULL;
}

int sbx_setup(struct sbx *s, struct sbx_opts *o)
{
	pthread_condattr_t ca;
	struct sbx_tel_config tc = {.stub = o->telemetry_stub, .loopback_host = "127.0.0.1"};
	int r;

	memset(s, 0, sizeof(*s));
	s->opts = o;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_cond_init(&s->rt_cond, &ca);
	pthread_cond_init(&s->ext_cond, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(s->function_arn, sizeof(s->function_arn),
	         "arn:aws:lambda:us-east-1:123456789012:function:%s", o->function_name);
	s->rep_extensions = cJSON_CreateArray();
	s->rep_invocations = cJSON_CreateArray();
	s->rep_resets = cJSON_CreateArray();
	s->tel = sbx_tel_new(&tc);
	if (!s->tel || !s->rep_extensions || !s->rep_invocations || !s->rep_resets)
		return -ENOMEM;
	if ((r = sbx_reaper_start(s)) < 0)
		return r;
	return sbx_api_start(s);
}

void sbx_teardown(struct sbx *s)
{
	sbx_http_stop(s);
	sbx_reaper_stop(s);
	sbx_tel_free(s->tel);
	free(s->init.body);
	cJSON_Delete(s->rep_extensions);
	cJSON_Delete(s->rep_invocations);
	cJSON_Delete(s->rep_resets);
	cJSON_Delete(s->rep_shutdown);
	pthread_cond_destroy(&s->cond);
	pthread_cond_destroy(&s->rt_cond);
	pthread_cond_destroy(&s->ext_cond);
	pthread_mutex_destroy(&s->lock);
}
