/* The init phase (lambda-apis.md §2.9): extensions launched in name order,
 * all registered, the runtime started, everyone's first next. */
#include <dirent.h>
#include <sys/stat.h>
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

bool sbx_all_extensions_ready(struct sbx *s, bool invoke_only)
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

/* ---- init ---- */

/* The runtime's failure does not cut the extensions' own init short: as in
 * RIE, which turns subscriptions off only once every extension is ready,
 * they finish it (to the init deadline, or until one of them fails), so a
 * telemetry subscriber still subscribes and gets the failed init's records.
 * Caller holds the lock. */
static void finish_extensions_init(struct sbx *s, uint64_t deadline)
{
	while (!sbx_all_extensions_ready(s, false) && !s->quit) {
		const char *who;
		if (sbx_env_failure(s, &who) && strcmp(who, "runtime") != 0)
			return;
		if (!sbx_env_wait(s, deadline))
			return;
	}
}

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
		s->init.body = sbx_error_doc(s, type, who, &s->init.body_len);
	}
}

/* The init phase (§2.9). Caller holds busy. 0, or -1 after a failed init
 * (the environment has been reset; s->init says why). */
int sbx_init_run(struct sbx *s, const char *phase, uint64_t deadline)
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
		if ((err = sbx_env_failure(s, &who)))
			break;
		if (!sbx_env_wait(s, deadline)) {
			err = "Sandbox.Timeout";
			who = "init (extensions did not all register)";
		}
	}
	if (!err)
		err = launch_runtime(s);
	while (!err && s->rt.state == SBX_RT_STARTED) {
		if ((err = sbx_env_failure(s, &who)))
			break;
		if (!sbx_env_wait(s, deadline)) {
			err = "Sandbox.Timeout";
			who = "init (runtime did not call next)";
		}
	}
	s->registration_closed = true;
	while (!err && !sbx_all_extensions_ready(s, false)) {
		if ((err = sbx_env_failure(s, &who)))
			break;
		if (!sbx_env_wait(s, deadline)) {
			err = "Sandbox.Timeout";
			who = "init (extensions did not call next)";
		}
	}
	/* A failure that ended a wait early (the runtime's init/error ends
	 * its Started state) is still a failure. */
	if (!err)
		err = sbx_env_failure(s, &who);
	if (err && strcmp(who, "runtime") == 0)
		finish_extensions_init(s, deadline);
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
	bool flush = s->tel_subscribed;
	pthread_mutex_unlock(&s->lock);
	if (err) {
		/* As after a failed invoke: the subscribers get the init's
		 * records (initRuntimeDone, initReport) before SHUTDOWN. */
		if (flush)
			sbx_tel_flush(s->tel, vg_mono_ns() + 500 * MS);
		sbx_shutdown_phase(s, "failure", false);
		return -1;
	}
	return 0;
}

int sbx_init_env(struct sbx *s)
{
	int r = sbx_env_acquire(s);
	if (r < 0)
		return r;
	r = sbx_init_run(s, "init", vg_mono_ns() + (uint64_t)s->opts->init_timeout_s * 1000 * MS);
	sbx_env_release(s);
	return r;
}
