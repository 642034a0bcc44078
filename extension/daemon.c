#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "config.h"
#include "ext_api.h"
#include "inspector.h"
#include "listener.h"
#include "px_proxy.h"
#include "rhythm.h"
#include "vg_log.h"
#include "vg_time.h"

/* Without a deadline in the INVOKE, the longest wait for the runtime's
 * answer (Lambda's longest timeout). */
#define INVOKE_WAIT_MAX_MS (15 * 60 * 1000)
/* Left of the SHUTDOWN deadline for stopping threads and exiting. */
#define SHUTDOWN_MARGIN_MS 150

struct daemon {
	struct ext_config cfg;
	struct ext_api api;
	struct tel_sink sink; /* where every alert goes */
	struct ext_inspector *inspector;
	struct px_proxy *proxy;
	struct ext_listener *listener;
	struct ext_rhythm rhythm; /* which invocations the runtime answered */
	bool rhythm_ok;
	uint64_t t0;
	bool bypass_reported;
};

static void health(void *ctx, const char *category, const char *rid, const char *msg)
{
	struct daemon *d = ctx;
	struct tel_alert a = {
	    .kind = "health",
	    .category = category,
	    .rule = "vigil.proxy",
	    .severity = "ERROR",
	    .request_id = rid,
	    .summary = msg,
	};
	tel_emit(&d->sink, &a);
}

static void responded(void *ctx, const char *request_id)
{
	struct daemon *d = ctx;
	ext_rhythm_answered(&d->rhythm, request_id);
}

static void disconnected(void *ctx)
{
	struct daemon *d = ctx;
	ext_rhythm_interrupt(&d->rhythm);
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static double since_ms(const struct daemon *d)
{
	return (double)(vg_mono_ns() - d->t0) / 1e6;
}

/* Both sockets are bound before register: Lambda starts the runtime as soon
 * as the last extension has registered, and the wrapper probes the proxy at
 * that moment. A proxy that cannot start never breaks the function: the
 * wrapper then leaves the runtime on the direct endpoint. */
static void start_sockets(struct daemon *d, const char *upstream)
{
	struct px_proxy_opts o = {
	    .upstream = upstream,
	    .port = d->cfg.proxy_port,
	    .inspector = d->inspector ? ext_inspector_hook(d->inspector) : NULL,
	    .block = d->cfg.mode == EXT_MODE_BLOCK,
	    .fail_closed = d->cfg.fail == EXT_FAIL_CLOSED,
	    .health = health,
	    .health_ctx = d,
	    .responded = d->rhythm_ok ? responded : NULL,
	    .disconnected = d->rhythm_ok ? disconnected : NULL,
	    .responded_ctx = d,
	};
	int r = px_proxy_new(&o, &d->proxy);
	if (r < 0) {
		char msg[160];
		snprintf(
		    msg, sizeof(msg),
		    "proxy not started on 127.0.0.1:%u (%s); the runtime talks to Lambda directly",
		    d->cfg.proxy_port, strerror(-r));
		vg_log_error("%s", msg);
		struct tel_alert a = {.kind = "health",
		                      .category = "proxy_bypassed",
		                      .rule = "vigil.proxy",
		                      .severity = "ERROR",
		                      .summary = msg};
		tel_emit(&d->sink, &a);
	}
	r = ext_listener_start(d->cfg.telemetry_port, &d->listener);
	if (r < 0)
		vg_log_error("telemetry listener not started on port %u (%s)",
		             d->cfg.telemetry_port, strerror(-r));
}

static void subscribe(struct daemon *d)
{
	if (!d->listener)
		return;
	int r = ext_api_subscribe(&d->api, d->cfg.telemetry_port, d->cfg.telemetry_max_items,
	                          d->cfg.telemetry_max_bytes, d->cfg.telemetry_timeout_ms);
	if (r == 200)
		vg_log_debug("subscribed to the Telemetry API at %.3f ms", since_ms(d));
	else if (r == 202)
		/* A local emulator's stub: no telemetry will come; go on. */
		vg_log_info("Telemetry API not supported here (202); telemetry alerts are off");
	else if (r >= 400 && r < 500)
		vg_log_error(
		    "Telemetry API refused the subscription (%d); telemetry alerts are off", r);
	else
		vg_log_error("Telemetry API subscription failed (%d); telemetry alerts are off", r);
}

/* Lambda hands an event to the runtime only after the runtime asked for it,
 * so by the first INVOKE a runtime that talks through the proxy has sent
 * it a /next. None means the runtime bypasses Vigil: an OS-only runtime
 * without the wrapper line, or AWS_LAMBDA_EXEC_WRAPPER unset. Say so once
 * per process, loudly: nothing is inspected. */
static void check_bypass(struct daemon *d)
{
	if (d->bypass_reported || !d->proxy || px_proxy_next_count(d->proxy) > 0)
		return;
	d->bypass_reported = true;
	static const char msg[] =
	    "the runtime does not talk through Vigil's proxy: events are not inspected (set "
	    "AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil-wrapper, or start an OS-only runtime with "
	    "exec /opt/vigil-wrapper in its bootstrap)";
	vg_log_warn("%s", msg);
	struct tel_alert a = {.kind = "health",
	                      .category = "proxy_bypassed",
	                      .rule = "vigil.proxy",
	                      .severity = "ERROR",
	                      .summary = msg};
	tel_emit(&d->sink, &a);
}

/* The vg_mono_ns time of an epoch-ms deadline, less margin_ms. */
static uint64_t mono_deadline(int64_t deadline_ms, int64_t margin_ms)
{
	int64_t left = deadline_ms - vg_epoch_ms() - margin_ms;
	return vg_mono_ns() + (uint64_t)(left > 0 ? left : 0) * 1000000u;
}

/* Sends what the alert queue holds, until deadline_ns at the latest. The
 * stdout sink writes synchronously, so for now there is nothing queued. */
static void flush_alerts(struct daemon *d, uint64_t deadline_ns)
{
	(void)d;
	(void)deadline_ns;
}

/* After an INVOKE: wait until the runtime has answered that request, then
 * send the invocation's alerts within their bound, and only then go back
 * to event/next (which lets Lambda freeze the environment). The wait ends
 * at the function's deadline at the latest, or when a runtime connection
 * closes (a crashed runtime never answers; Lambda then resets and the
 * SHUTDOWN must find vigil in event/next). A runtime that does not talk
 * through the proxy is never waited for: no answer would ever be seen. */
static void invocation_rhythm(struct daemon *d, const struct ext_event *ev)
{
	if (!d->rhythm_ok || !d->proxy || px_proxy_next_count(d->proxy) == 0 || !ev->request_id[0])
		return;
	uint64_t until = ev->deadline_ms ? mono_deadline(ev->deadline_ms, -50)
	                                 : vg_mono_ns() + (uint64_t)INVOKE_WAIT_MAX_MS * 1000000u;
	int r = ext_rhythm_wait(&d->rhythm, ev->request_id, until);
	if (r < 0)
		vg_log_debug("no answer seen for %s (%s)", ev->request_id,
		             r == -ETIMEDOUT ? "deadline passed" : "runtime connection closed");
	flush_alerts(d, vg_mono_ns() + (uint64_t)d->cfg.flush_invoke_ms * 1000000u);
}

/* SHUTDOWN: the remaining alerts go out inside deadlineMs less a margin
 * for the exit itself; then the process exits 0. */
static void shutdown_phase(struct daemon *d, const struct ext_event *ev)
{
	int64_t left = ev->deadline_ms ? ev->deadline_ms - vg_epoch_ms() : 0;
	vg_log_debug("SHUTDOWN (%s), %lld ms left", ev->reason[0] ? ev->reason : "no reason",
	             (long long)left);
	flush_alerts(d, ev->deadline_ms ? mono_deadline(ev->deadline_ms, SHUTDOWN_MARGIN_MS)
	                                : vg_mono_ns() + 500 * 1000000ull);
}

static int config_failure(struct daemon *d, const char *name, const char *msg)
{
	int status = 0;
	vg_log_error("invalid configuration: %s", msg);
	/* init/error needs an identifier: register first, then report. */
	if (ext_api_register(&d->api, name, &status) < 0) {
		vg_log_error("register failed (status %d)", status);
		return 1;
	}
	ext_api_init_error(&d->api, "Extension.ConfigInvalid", msg);
	return 1;
}

static void daemon_fini(struct daemon *d)
{
	/* The proxy first: its threads call the inspector. */
	px_proxy_free(d->proxy);
	ext_listener_stop(d->listener);
	ext_inspector_free(d->inspector);
	ext_api_fini(&d->api);
	if (d->rhythm_ok)
		ext_rhythm_fini(&d->rhythm);
}

/* Register, subscribe, then the event loop until SHUTDOWN. */
static int serve(struct daemon *d, const char *name, const char *runtime_api)
{
	int status = 0, r;

	start_sockets(d, runtime_api);
	r = ext_api_register(&d->api, name, &status);
	if (r < 0) {
		vg_log_error("register as %s failed: %s (status %d)", name, strerror(-r), status);
		return 1;
	}
	vg_log_debug("registered as %s at %.3f ms", name, since_ms(d));
	subscribe(d);

	for (;;) {
		struct ext_event ev;
		r = ext_api_next(&d->api, &ev, &status);
		if (r < 0) {
			/* 500 means the environment is beyond repair: quit. */
			vg_log_error("event/next failed: %s (status %d)", strerror(-r), status);
			return 1;
		}
		if (ev.type == EXT_EVENT_INVOKE) {
			check_bypass(d);
			invocation_rhythm(d, &ev);
		}
		if (ev.type == EXT_EVENT_SHUTDOWN) {
			shutdown_phase(d, &ev);
			return 0;
		}
	}
}

int ext_daemon_run(const char *argv0)
{
	struct daemon d = {.t0 = vg_mono_ns()};
	const char *name = basename_of(argv0);
	const char *runtime_api = getenv("AWS_LAMBDA_RUNTIME_API");
	char err[512];
	int r;

	signal(SIGPIPE, SIG_IGN);
	int cfg_r = ext_config_load(&d.cfg, err, sizeof(err));
	vg_log_init("vigil", cfg_r == 0 ? d.cfg.log_level : VG_LOG_INFO);
	if (!runtime_api || ext_api_init(&d.api, runtime_api) < 0) {
		vg_log_error("AWS_LAMBDA_RUNTIME_API is %s: not started by Lambda?",
		             runtime_api ? "not host:port" : "unset");
		return 1;
	}
	if (cfg_r < 0) {
		r = config_failure(&d, name, err);
		goto out;
	}
	ext_alert_stdout_sink(&d.sink, stdout);
	/* Without it the proxy still relays; the rhythm just does not wait. */
	d.rhythm_ok = ext_rhythm_init(&d.rhythm) == 0;
	/* The engine before the sockets: an invalid policy is a configuration
	 * error, and the proxy must never serve without its inspector. */
	struct ext_inspector_opts io = {
	    .policy = d.cfg.policy,
	    .block = d.cfg.mode == EXT_MODE_BLOCK,
	    .sink = &d.sink,
	};
	r = ext_inspector_new(&io, &d.inspector, err, sizeof(err));
	if (r < 0) {
		char msg[sizeof(err) + 32];
		snprintf(msg, sizeof(msg), "VIGIL_POLICY: %s", err[0] ? err : strerror(-r));
		r = config_failure(&d, name, msg);
		goto out;
	}
	r = serve(&d, name, runtime_api);
out:
	daemon_fini(&d);
	return r;
}
