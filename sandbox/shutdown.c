/* The shutdown phase (lambda-apis.md §2.9), for resets and at the end. */
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

/* ---- reset and shutdown ---- */

/* How long the runtime's pipes may take to reach their end. */
#define PIPE_DRAIN_MS 100

static void report_extension(struct sbx *s, struct sbx_ext *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", e->name);
	cJSON_AddStringToObject(o, "state", sbx_ext_state_name(e->state));
	cJSON_AddItemToObject(o, "events", sbx_events_json(e->events));
	cJSON_AddBoolToObject(o, "external", e->external);
	if (e->error_type[0])
		cJSON_AddStringToObject(o, "errorType", e->error_type);
	if (e->proc && e->proc->exited && WIFEXITED(e->proc->status))
		cJSON_AddNumberToObject(o, "exitStatus", WEXITSTATUS(e->proc->status));
	else
		cJSON_AddNullToObject(o, "exitStatus");
	if (e->proc && e->proc->exited && WIFSIGNALED(e->proc->status))
		cJSON_AddNumberToObject(o, "signal", WTERMSIG(e->proc->status));
	sbx_report_add(s, s->rep_extensions, &s->rep_n_extensions, o);
}

static char *shutdown_event(const char *reason, int64_t deadline_ms, size_t *len)
{
	struct vg_buf b = VG_BUF_INIT(512);
	vg_buf_printf(&b, "{\"eventType\":\"SHUTDOWN\",\"deadlineMs\":%lld,\"shutdownReason\":",
	              (long long)deadline_ms);
	vg_buf_json_str(&b, reason, strlen(reason));
	vg_buf_putc(&b, '}');
	return vg_buf_steal(&b, len);
}

/* The shutdown phase (§2.9): runtime SIGTERM then SIGKILL, SHUTDOWN to the
 * subscribers, SIGKILL of the rest at the deadline. Used for resets and at
 * the end. Caller holds busy, not the lock. */
void sbx_shutdown_phase(struct sbx *s, const char *reason, bool final)
{
	bool external = false, internal = false, clean = true;
	unsigned budget_ms = 0;
	uint64_t t0 = vg_mono_ns(), deadline;
	int64_t deadline_ms;

	pthread_mutex_lock(&s->lock);
	sbx_proc_freeze_all(s, false);
	for (unsigned i = 0; i < s->n_ext; i++) {
		if (s->ext[i].external)
			external = true;
		else
			internal = true;
	}
	budget_ms = external ? SHUTDOWN_BUDGET_MS : internal ? 500 : 0;
	deadline = t0 + budget_ms * MS;
	deadline_ms = vg_epoch_ms() + budget_ms;
	vg_log_info("shutdown phase: reason %s, budget %u ms", reason, budget_ms);

	/* The runtime first: SIGTERM and a share of the budget, SIGKILL
	 * directly when no extension is there to outlive it. */
	struct sbx_proc *rt = s->rt.proc;
	if (rt && !rt->exited) {
		if (budget_ms == 0) {
			sbx_proc_signal(rt, SIGKILL);
		} else {
			sbx_proc_signal(rt, SIGTERM);
			if (!sbx_wait_exit(s, rt,
			                   t0 + (internal && !external ? 500 : RUNTIME_SHARE_MS) *
			                            MS)) {
				vg_log_warn("runtime alive %u ms after SIGTERM: SIGKILL",
				            internal && !external ? 500 : RUNTIME_SHARE_MS);
				sbx_proc_signal(rt, SIGKILL);
				clean = false;
			}
		}
		sbx_wait_exit(s, rt, vg_mono_ns() + REAP_WAIT_NS);
	}

	/* SHUTDOWN to the subscribers, SIGKILL to the others. */
	for (unsigned i = 0; i < s->n_ext; i++) {
		struct sbx_ext *e = &s->ext[i];
		if (!e->external || !e->proc || e->proc->exited)
			continue;
		if ((e->events & SBX_EV_SHUTDOWN) && e->state != SBX_EXT_STARTED) {
			free(e->event);
			e->event = shutdown_event(reason, deadline_ms, &e->event_len);
			e->event_invoke = false;
		} else {
			sbx_proc_signal(e->proc, SIGKILL);
		}
	}
	pthread_cond_broadcast(&s->ext_cond);
	pthread_mutex_unlock(&s->lock);

	/* The runtime's last lines (a flood just before the end, a panic
	 * message) may still sit in its pipes: read them out, within a
	 * bound, so the final flush carries them. */
	if (rt && !sbx_proc_drain(rt, vg_mono_ns() + PIPE_DRAIN_MS * MS))
		vg_log_warn("runtime output not drained within %d ms", PIPE_DRAIN_MS);

	/* Telemetry of the last moments reaches the listeners while they
	 * still run. */
	sbx_tel_flush(s->tel, deadline > t0 + 300 * MS ? deadline - 200 * MS : vg_mono_ns());

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < s->n_ext; i++) {
		struct sbx_ext *e = &s->ext[i];
		if (!e->external || !e->proc)
			continue;
		if (!sbx_wait_exit(s, e->proc, deadline)) {
			vg_log_warn("extension %s: alive at the deadline: SIGKILL", e->name);
			sbx_proc_signal(e->proc, SIGKILL);
			e->state = SBX_EXT_SHUTDOWN_FAILED;
			clean = false;
		}
	}
	for (unsigned i = 0; i < s->n_ext; i++) {
		struct sbx_ext *e = &s->ext[i];
		if (!e->external || !e->proc)
			continue;
		sbx_wait_exit(s, e->proc, vg_mono_ns() + REAP_WAIT_NS);
		if (e->state == SBX_EXT_SHUTDOWN_FAILED || e->state == SBX_EXT_CRASHED ||
		    e->state == SBX_EXT_LAUNCH_ERROR || e->state == SBX_EXT_STARTED ||
		    e->state == SBX_EXT_INIT_ERROR || e->state == SBX_EXT_EXIT_ERROR)
			continue;
		if (!(e->events & SBX_EV_SHUTDOWN))
			continue; /* killed on purpose */
		if (e->proc->exited && WIFEXITED(e->proc->status) &&
		    WEXITSTATUS(e->proc->status) == 0) {
			e->state = SBX_EXT_EXITED;
		} else {
			e->state = SBX_EXT_SHUTDOWN_FAILED;
			clean = false;
		}
	}

	cJSON *rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "reason", reason);
	cJSON_AddBoolToObject(rec, "clean", clean);
	cJSON_AddNumberToObject(rec, "durationMs", round((double)(vg_mono_ns() - t0) / 1e3) / 1e3);
	cJSON_AddNumberToObject(rec, "budgetMs", budget_ms);
	if (final) {
		cJSON_Delete(s->rep_shutdown);
		s->rep_shutdown = rec;
	} else {
		sbx_report_add(s, s->rep_resets, &s->rep_n_resets, rec);
	}
	vg_log_info("shutdown phase done: reason %s, %s", reason, clean ? "clean" : "not clean");

	/* A leader that exited may leave children in its group: none of them
	 * outlives the environment. */
	for (struct sbx_proc *p = s->procs; p; p = p->next)
		kill(-p->pid, SIGKILL);
	for (unsigned i = 0; i < s->n_ext; i++) {
		struct sbx_ext *e = &s->ext[i];
		report_extension(s, e);
		free(e->event);
		e->event = NULL;
		if (e->proc) {
			struct sbx_proc *p = e->proc;
			e->proc = NULL;
			sbx_proc_release(s, p);
		}
	}
	s->n_ext = 0;
	if (s->rt.proc) {
		struct sbx_proc *p = s->rt.proc;
		s->rt.proc = NULL;
		sbx_proc_release(s, p);
	}
	/* Anything else (cannot happen, but never leave a process behind). */
	while (s->procs) {
		sbx_proc_signal(s->procs, SIGKILL);
		sbx_wait_exit(s, s->procs, vg_mono_ns() + REAP_WAIT_NS);
		sbx_proc_release(s, s->procs);
	}
	free(s->rt.error_body);
	memset(&s->rt, 0, sizeof(s->rt));
	s->registration_closed = false;
	s->init.done = false;
	s->gen++;
	pthread_cond_broadcast(&s->cond);
	pthread_cond_broadcast(&s->rt_cond);
	pthread_cond_broadcast(&s->ext_cond);
	pthread_mutex_unlock(&s->lock);
	if (!final)
		sbx_tel_reopen_subscriptions(s->tel);
}

void sbx_shutdown_final(struct sbx *s)
{
	pthread_mutex_lock(&s->lock);
	s->quit = true;
	pthread_cond_broadcast(&s->cond);
	while (s->busy)
		pthread_cond_wait(&s->cond, &s->lock);
	s->busy = true;
	pthread_mutex_unlock(&s->lock);
	sbx_shutdown_phase(s, "spindown", true);
	sbx_tel_flush(s->tel, vg_mono_ns() + 500 * MS);
}
