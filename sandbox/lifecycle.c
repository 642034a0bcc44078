/* The execution environment's lifecycle (lambda-apis.md §2.9-§2.11): init,
 * invoke, reset and shutdown. These run in the invoker's thread (main for
 * batch mode, an invoke-endpoint connection otherwise), one at a time under
 * s->busy; the API handlers move the state they wait for. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "proc.h"
#include "vg_log.h"
#include "vg_time.h"
#include "vg_util.h"

#define MS                 1000000ull
#define SAMPLE_EVERY_NS    (20 * MS)
#define SHUTDOWN_BUDGET_MS 2000
#define RUNTIME_SHARE_MS   300
#define REAP_WAIT_NS       (1000 * MS)

/* ---- waiting ---- */

/* Samples the runtime's memory; kills it when over --memory. Lock held; it
 * is dropped while /proc is read (only the invoker releases processes, so
 * the pid stays ours). */
static void sample_memory(struct sbx *s)
{
	struct sbx_proc *p = s->rt.proc;
	uint64_t rss, hwm, limit = (uint64_t)s->opts->memory_mb * 1048576u;
	pid_t pid;

	s->last_sample_ns = vg_mono_ns();
	if (!p || p->exited)
		return;
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
static bool sbx_wait(struct sbx *s, uint64_t deadline_ns)
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
static bool wait_exit(struct sbx *s, struct sbx_proc *p, uint64_t deadline_ns)
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
static const char *env_failure(struct sbx *s, const char **who)
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
static char *error_doc(struct sbx *s, const char *type, const char *who, size_t *len)
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

/* ---- launching ---- */

static int name_filter(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* Launches every non-directory entry of opt/extensions in name order. Lock
 * held. NULL, or the error type of a failed launch. */
static const char *launch_extensions(struct sbx *s)
{
	char dir[4096], path[8192];
	struct dirent **list = NULL;
	const char *err = NULL;
	int n, i, files = 0;

	snprintf(dir, sizeof(dir), "%s/extensions", s->opts->opt_dir);
	n = scandir(dir, &list, name_filter, alphasort);
	if (n < 0)
		return NULL; /* no extensions folder: no extensions */
	/* Subfolders hold support files; every other entry is launched. */
	for (i = 0; i < n; i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(list[i]);
			list[i] = NULL;
		} else {
			files++;
		}
	}
	if (files > SBX_MAX_EXTENSIONS) {
		/* Lambda fails the init before launching anything. */
		vg_log_error("%d extensions in %s: at most %d (TooManyExtensions)", files, dir,
		             SBX_MAX_EXTENSIONS);
		err = "Extension.LaunchError";
	}
	for (i = 0; i < n && !err; i++) {
		if (!list[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		struct sbx_ext *e = &s->ext[s->n_ext++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", list[i]->d_name);
		e->external = true;
		e->state = SBX_EXT_STARTED;
		char **env = sbx_env_build(s, false);
		char *argv[] = {path, NULL};
		int r = env ? sbx_proc_spawn(s, false, e->name, argv, env, &e->proc) : -ENOMEM;
		sbx_env_free(env);
		if (r < 0) {
			vg_log_error("extension %s: cannot launch: %s", e->name, strerror(-r));
			e->state = SBX_EXT_LAUNCH_ERROR;
			snprintf(e->error_type, sizeof(e->error_type), "Extension.LaunchError");
			err = "Extension.LaunchError";
			break;
		}
		vg_log_info("extension %s: launched (pid %d)", e->name, (int)e->proc->pid);
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return err;
}

/* Starts the runtime, through AWS_LAMBDA_EXEC_WRAPPER when set. Lock held. */
static const char *launch_runtime(struct sbx *s)
{
	const char *wrapper = sbx_opts_env(s->opts, "AWS_LAMBDA_EXEC_WRAPPER");
	char *argv[260];
	int a = 0, r;

	if (wrapper && *wrapper)
		argv[a++] = (char *)wrapper;
	for (int i = 0; i < s->opts->argc && a < 259; i++)
		argv[a++] = s->opts->argv[i];
	argv[a] = NULL;
	char **env = sbx_env_build(s, true);
	r = env ? sbx_proc_spawn(s, true, "runtime", argv, env, &s->rt.proc) : -ENOMEM;
	sbx_env_free(env);
	if (r < 0) {
		vg_log_error("runtime %s: cannot launch: %s", argv[0], strerror(-r));
		return "Runtime.InvalidEntrypoint";
	}
	s->rt.state = SBX_RT_STARTED;
	vg_log_info("runtime %s: launched (pid %d)", argv[0], (int)s->rt.proc->pid);
	return NULL;
}

static bool all_externals_registered(struct sbx *s)
{
	for (unsigned i = 0; i < s->n_ext; i++)
		if (s->ext[i].external && s->ext[i].state == SBX_EXT_STARTED)
			return false;
	return true;
}

static bool all_extensions_ready(struct sbx *s, bool invoke_only)
{
	for (unsigned i = 0; i < s->n_ext; i++) {
		const struct sbx_ext *e = &s->ext[i];
		if (invoke_only && !(e->events & SBX_EV_INVOKE))
			continue;
		if (e->state != SBX_EXT_READY || e->event)
			return false;
	}
	return true;
}

/* ---- reset and shutdown ---- */

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
	sbx_report_add(s, s->rep_extensions, o);
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
static void shutdown_phase(struct sbx *s, const char *reason, bool final)
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
			if (!wait_exit(s, rt,
			               t0 +
			                   (internal && !external ? 500 : RUNTIME_SHARE_MS) * MS)) {
				vg_log_warn("runtime ignored SIGTERM: SIGKILL");
				sbx_proc_signal(rt, SIGKILL);
				clean = false;
			}
		}
		wait_exit(s, rt, vg_mono_ns() + REAP_WAIT_NS);
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
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);

	/* Telemetry of the last moments reaches the listeners while they
	 * still run. */
	sbx_tel_flush(s->tel, deadline > t0 + 300 * MS ? deadline - 200 * MS : vg_mono_ns());

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < s->n_ext; i++) {
		struct sbx_ext *e = &s->ext[i];
		if (!e->external || !e->proc)
			continue;
		if (!wait_exit(s, e->proc, deadline)) {
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
		wait_exit(s, e->proc, vg_mono_ns() + REAP_WAIT_NS);
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
		sbx_report_add(s, s->rep_resets, rec);
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
		wait_exit(s, s->procs, vg_mono_ns() + REAP_WAIT_NS);
		sbx_proc_release(s, s->procs);
	}
	free(s->rt.error_body);
	memset(&s->rt, 0, sizeof(s->rt));
	s->registration_closed = false;
	s->init.done = false;
	s->gen++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (!final)
		sbx_tel_reopen_subscriptions(s->tel);
}

/* ---- init ---- */

static void init_fail(struct sbx *s, const char *type, const char *who)
{
	s->init.failed = true;
	snprintf(s->init.error_type, sizeof(s->init.error_type), "%s", type);
	free(s->init.body);
	if (s->rt.state == SBX_RT_INIT_ERROR && s->rt.error_body && s->rt.error_len) {
		s->init.body = malloc(s->rt.error_len + 1);
		if (s->init.body) {
			memcpy(s->init.body, s->rt.error_body, s->rt.error_len);
			s->init.body[s->rt.error_len] = '\0';
			s->init.body_len = s->rt.error_len;
		}
	} else {
		s->init.body = error_doc(s, type, who, &s->init.body_len);
	}
}

/* The init phase (§2.9). Caller holds busy. 0, or -1 after a failed init
 * (the environment has been reset; s->init says why). */
static int init_run(struct sbx *s, const char *phase, uint64_t deadline)
{
	uint64_t t0 = vg_mono_ns();
	const char *err = NULL, *who = "runtime";

	sbx_rec_init_start(s, phase);
	pthread_mutex_lock(&s->lock);
	s->init.failed = false;
	s->init.error_type[0] = '\0';
	s->oom = false;
	s->peak_rss = 0;
	s->registration_closed = false;

	err = launch_extensions(s);
	if (err)
		who = "extensions";
	while (!err && !all_externals_registered(s)) {
		if ((err = env_failure(s, &who)))
			break;
		if (!sbx_wait(s, deadline)) {
			err = "Sandbox.Timeout";
			who = "init (extensions did not all register)";
		}
	}
	if (!err)
		err = launch_runtime(s);
	while (!err && s->rt.state == SBX_RT_STARTED) {
		if ((err = env_failure(s, &who)))
			break;
		if (!sbx_wait(s, deadline)) {
			err = "Sandbox.Timeout";
			who = "init (runtime did not call next)";
		}
	}
	s->registration_closed = true;
	while (!err && !all_extensions_ready(s, false)) {
		if ((err = env_failure(s, &who)))
			break;
		if (!sbx_wait(s, deadline)) {
			err = "Sandbox.Timeout";
			who = "init (extensions did not call next)";
		}
	}
	/* A failure that ended a wait early (the runtime's init/error ends
	 * its Started state) is still a failure. */
	if (!err)
		err = env_failure(s, &who);
	pthread_mutex_unlock(&s->lock);
	sbx_tel_close_subscriptions(s->tel);

	pthread_mutex_lock(&s->lock);
	double ms = (double)(vg_mono_ns() - t0) / 1e6;
	sbx_rec_init_done(s, phase, err, ms);
	if (err) {
		vg_log_error("init failed: %s (%s)", err, who);
		init_fail(s, err, who);
	} else {
		s->init.done = true;
		s->init.duration_ms = ms;
		s->init.report_pending = true;
		sbx_proc_freeze_all(s, true);
	}
	pthread_mutex_unlock(&s->lock);
	if (err) {
		shutdown_phase(s, "failure", false);
		return -1;
	}
	return 0;
}

static int acquire(struct sbx *s)
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

static void release(struct sbx *s)
{
	pthread_mutex_lock(&s->lock);
	s->busy = false;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

int sbx_init_env(struct sbx *s)
{
	int r = acquire(s);
	if (r < 0)
		return r;
	r = init_run(s, "init", vg_mono_ns() + (uint64_t)s->opts->init_timeout_s * 1000 * MS);
	release(s);
	return r;
}

/* ---- invoke ---- */

static char *invoke_event(struct sbx *s, size_t *len)
{
	struct vg_buf b = VG_BUF_INIT(8192);
	vg_buf_printf(&b,
	              "{\"eventType\":\"INVOKE\",\"deadlineMs\":%lld,\"requestId\":\"%s\","
	              "\"invokedFunctionArn\":",
	              (long long)s->inv.deadline_ms, s->inv.request_id);
	vg_buf_json_str(&b, s->function_arn, strlen(s->function_arn));
	if (s->inv.trace_id) {
		vg_buf_puts(&b, ",\"tracing\":{\"type\":\"X-Amzn-Trace-Id\",\"value\":");
		vg_buf_json_str(&b, s->inv.trace_id, strlen(s->inv.trace_id));
		vg_buf_putc(&b, '}');
	}
	vg_buf_putc(&b, '}');
	return vg_buf_steal(&b, len);
}

static char *dup_capped(const char *v, size_t cap)
{
	if (!v || !*v || strlen(v) > cap)
		return NULL;
	return strdup(v);
}

static char *decode_client_context(const char *b64)
{
	size_t n = b64 ? strlen(b64) : 0;
	unsigned char *out;
	long r;

	if (!n || n > 16384)
		return NULL;
	out = malloc(n);
	if (!out)
		return NULL;
	r = sbx_base64_decode(b64, n, out, n - 1);
	if (r < 0) {
		vg_log_warn("X-Amz-Client-Context is not base64: ignored");
		free(out);
		return NULL;
	}
	out[r] = '\0';
	return (char *)out;
}

static void inv_clear(struct sbx_inv *inv)
{
	free(inv->trace_id);
	free(inv->client_context);
	free(inv->cognito);
	free(inv->body);
	memset(inv, 0, sizeof(*inv));
}

static void result_error(struct sbx_result *res, const char *type, char *body, size_t len)
{
	snprintf(res->error_type, sizeof(res->error_type), "%s", type);
	res->status = !strcmp(type, "Sandbox.Timeout") ? "timeout" : "error";
	free(res->body);
	res->body = body;
	res->body_len = len;
	snprintf(res->content_type, sizeof(res->content_type), "application/json");
}

/* The invocation's line in the report, with the metrics of its
 * platform.report. */
static void record_invocation(struct sbx *s, const struct sbx_result *res, uint64_t peak_rss,
                              double init_ms)
{
	cJSON *o = cJSON_CreateObject();
	double billed = ceil(res->duration_ms);
	cJSON_AddStringToObject(o, "requestId", res->request_id);
	cJSON_AddStringToObject(o, "status", res->status);
	if (res->error_type[0])
		cJSON_AddStringToObject(o, "errorType", res->error_type);
	cJSON_AddNumberToObject(o, "durationMs", round(res->duration_ms * 1000.0) / 1000.0);
	cJSON_AddNumberToObject(o, "billedDurationMs", billed < 1 ? 1 : billed);
	cJSON_AddNumberToObject(o, "maxMemoryUsedMB", ceil((double)peak_rss / 1048576.0));
	if (init_ms >= 0)
		cJSON_AddNumberToObject(o, "initDurationMs", round(init_ms * 1000.0) / 1000.0);
	sbx_report_add(s, s->rep_invocations, o);
}

/* Runs the invocation on an initialised environment. Lock held. Returns the
 * failure that calls for a reset, or NULL. */
static const char *invoke_run(struct sbx *s, const struct sbx_invoke_req *req,
                              struct sbx_result *res, uint64_t deadline)
{
	struct sbx_inv *inv = &s->inv;
	const char *fail = NULL, *who = "runtime";
	bool done_emitted = false;

	s->oom = false;
	s->peak_rss = 0;
	inv->active = true;
	memcpy(inv->request_id, res->request_id, sizeof(inv->request_id));
	inv->deadline_ms = vg_epoch_ms() + (int64_t)s->opts->timeout_s * 1000;
	inv->start_ns = vg_mono_ns();
	inv->event = req->event;
	inv->event_len = req->event_len;
	snprintf(inv->content_type, sizeof(inv->content_type), "%s",
	         req->content_type && *req->content_type ? req->content_type : "application/json");
	inv->trace_id = dup_capped(req->trace_id, 2048);
	inv->client_context = decode_client_context(req->client_context);
	inv->cognito = dup_capped(req->cognito, 8192);

	sbx_proc_freeze_all(s, false);
	for (unsigned i = 0; i < s->n_ext; i++) {
		struct sbx_ext *e = &s->ext[i];
		if (!(e->events & SBX_EV_INVOKE))
			continue;
		free(e->event);
		e->event = invoke_event(s, &e->event_len);
		e->event_invoke = true;
	}
	pthread_cond_broadcast(&s->cond);

	for (;;) {
		if ((fail = env_failure(s, &who)))
			break;
		if (inv->answered && !done_emitted) {
			done_emitted = true;
			sbx_rec_runtime_done(
			    s, inv->request_id, inv->is_error ? inv->error_type : NULL,
			    (double)(inv->answered_ns - inv->start_ns) / 1e6, inv->body_len);
		}
		if (inv->answered && s->rt.state == SBX_RT_READY && all_extensions_ready(s, true))
			break;
		if (!sbx_wait(s, deadline)) {
			fail = "Sandbox.Timeout";
			break;
		}
	}
	res->duration_ms = (double)(vg_mono_ns() - inv->start_ns) / 1e6;
	if (s->rt.proc && !s->rt.proc->exited)
		s->peak_rss = VG_MAX(s->peak_rss, sbx_proc_hwm(s->rt.proc->pid));
	else if (s->rt.proc)
		s->peak_rss = VG_MAX(s->peak_rss, (uint64_t)s->rt.proc->maxrss_kb * 1024u);
	if (fail && !done_emitted)
		sbx_rec_runtime_done(s, inv->request_id, fail, res->duration_ms, 0);
	if (fail) {
		size_t n;
		char *doc = error_doc(s, fail, who, &n);
		result_error(res, fail, doc, n);
		vg_log_warn("invoke %s failed: %s (%s)", inv->request_id, fail, who);
	} else if (inv->is_error) {
		result_error(res, inv->error_type, inv->body, inv->body_len);
		snprintf(res->content_type, sizeof(res->content_type), "%s",
		         inv->body_type[0] ? inv->body_type : "application/json");
		inv->body = NULL;
	} else {
		res->status = "success";
		res->body = inv->body;
		res->body_len = inv->body_len;
		snprintf(res->content_type, sizeof(res->content_type), "%s",
		         inv->body_type[0] ? inv->body_type : "application/json");
		inv->body = NULL;
	}
	inv_clear(inv);
	return fail;
}

int sbx_invoke(struct sbx *s, const struct sbx_invoke_req *req, struct sbx_result *res)
{
	uint64_t t0 = vg_mono_ns();
	uint64_t deadline = t0 + (uint64_t)s->opts->timeout_s * 1000 * MS;
	const char *fail = NULL;
	double init_ms = -1;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = acquire(s)) < 0)
		return r;
	vg_uuid4(res->request_id);

	if (!s->init.done && init_run(s, "invoke", deadline) < 0) {
		/* A failed init fails the invoke with the init's error. */
		sbx_rec_start(s, res->request_id, req->trace_id);
		pthread_mutex_lock(&s->lock);
		result_error(res, s->init.error_type, s->init.body, s->init.body_len);
		s->init.body = NULL;
		res->duration_ms = (double)(vg_mono_ns() - t0) / 1e6;
		sbx_rec_report(s, res, 0, -1);
		record_invocation(s, res, 0, -1);
		pthread_mutex_unlock(&s->lock);
		release(s);
		return 0;
	}

	sbx_rec_start(s, res->request_id, req->trace_id);
	pthread_mutex_lock(&s->lock);
	fail = invoke_run(s, req, res, deadline);
	if (s->init.report_pending) {
		init_ms = s->init.duration_ms;
		s->init.report_pending = false;
	}
	sbx_rec_report(s, res, s->peak_rss, init_ms);
	record_invocation(s, res, s->peak_rss, init_ms);
	bool quit = s->quit;
	pthread_mutex_unlock(&s->lock);

	sbx_tel_flush(s->tel, vg_mono_ns() + 1000 * MS);
	if (fail && !quit) {
		shutdown_phase(s, !strcmp(fail, "Sandbox.Timeout") ? "timeout" : "failure", false);
	} else {
		pthread_mutex_lock(&s->lock);
		sbx_proc_freeze_all(s, true);
		pthread_mutex_unlock(&s->lock);
	}
	release(s);
	return 0;
}

void sbx_result_fini(struct sbx_result *res)
{
	free(res->body);
	res->body = NULL;
}

void sbx_request_quit(struct sbx *s)
{
	pthread_mutex_lock(&s->lock);
	s->quit = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
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
	shutdown_phase(s, "spindown", true);
	sbx_tel_flush(s->tel, vg_mono_ns() + 500 * MS);
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
	pthread_mutex_destroy(&s->lock);
}
