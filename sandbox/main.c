/* vigil-sandbox: a local Lambda execution environment (see the contract,
 * section vigil-sandbox, and lambda-apis.md §2, §3, §6-§8).
 *
 * Threads: main (batch mode, or waiting for SIGTERM/SIGINT), a signal
 * thread, the reaper, one log reader per process, one thread per HTTP
 * connection on each listener, and the telemetry module's delivery thread.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "sandbox.h"
#include "vg_log.h"

static void *signal_main(void *arg)
{
	struct sbx *s = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigwait(&set, &sig) == 0) {
		vg_log_info("%s: stopping", strsignal(sig));
		sbx_request_quit(s);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sbx_opts o;
	struct sbx s;
	char err[2048];
	sigset_t set;
	pthread_t sig_thread;
	int r;

	r = sbx_opts_parse(&o, argc, argv, err, sizeof(err));
	if (r == 1) {
		fputs(err, stdout);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "vigil-sandbox: %s\n%s", err, sbx_usage);
		return 2;
	}
	vg_log_init("vigil-sandbox", VG_LOG_INFO);
	{
		const char *lvl = getenv("VIGIL_LOG_LEVEL");
		enum vg_log_level l;
		if (lvl && vg_log_level_parse(lvl, &l) == 0)
			vg_log_init("vigil-sandbox", l);
	}

	/* Every thread inherits this mask; the signal thread takes them. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (o.events) {
		FILE *f = fopen(o.events, "r");
		if (!f) {
			fprintf(stderr, "vigil-sandbox: --events %s: %s\n", o.events,
			        strerror(errno));
			sbx_opts_fini(&o);
			return 2;
		}
		fclose(f);
	}
	if ((r = sbx_setup(&s, &o)) < 0) {
		vg_log_error("cannot start: %s", strerror(-r));
		sbx_teardown(&s);
		sbx_opts_fini(&o);
		return 1;
	}
	if (!o.events && (r = sbx_invoke_http_start(&s)) < 0) {
		sbx_teardown(&s);
		sbx_opts_fini(&o);
		return 1;
	}
	pthread_create(&sig_thread, NULL, signal_main, &s);

	sbx_init_env(&s);
	fprintf(stderr, "vigil-sandbox: ready invoke=%s api=%s\n",
	        o.events ? "none" : s.invoke_addr, s.api_addr);
	fflush(stderr);

	if (o.events) {
		sbx_batch_run(&s, o.events);
	} else {
		pthread_mutex_lock(&s.lock);
		while (!s.quit)
			pthread_cond_wait(&s.cond, &s.lock);
		pthread_mutex_unlock(&s.lock);
	}
	sbx_shutdown_final(&s);
	if (o.report && (r = sbx_report_write(&s, o.report)) < 0)
		vg_log_error("cannot write the report %s: %s", o.report, strerror(-r));

	/* The signal thread may still wait for a signal that never comes. */
	pthread_cancel(sig_thread);
	pthread_join(sig_thread, NULL);
	sbx_teardown(&s);
	sbx_opts_fini(&o);
	return 0;
}
