#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ext_api.h"
#include "inspector.h"
#include "posture.h"
#include "px_proxy.h"
#include "rhythm.h"
#include "tel_alert.h"
#include "tel_export.h"
#include "tel_listener.h"
#include "tel_pipeline.h"
#include "tel_secret_store.h"
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
	const char *name; /* what vigil registers as */
	struct tel_export *exporter;
	struct tel_sink sink; /* where every alert goes: the exporter's queue */
	struct tel_pipeline *pipeline;
	struct ext_inspector *inspector;
	struct px_proxy *proxy;
	struct tel_listener *listener;
	struct ext_rhythm rhythm; /* which invocations the runtime answered */
	bool rhythm_ok;
	bool subscribed; /* the Telemetry API accepted the subscription */
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

/* The proxy flagged an event: remember it, so that telemetry about the
 * same request (an error, a timeout, a crash) names the inspection alert. */
static void flagged(void *ctx, const char *request_id, const char *alert_id, const char *severity)
{
	struct daemon *d = ctx;
	if (d->pipeline)
		tel_pipeline_note_inspection(d->pipeline, request_id, alert_id, severity);
}

/* The proxy refuses an event itself (block mode): the failure the
 * platform then reports for that invocation is Vigil's act, not the
 * function's. */
static void refusing(void *ctx, const char *request_id)
{
	struct daemon *d = ctx;
	if (d->pipeline)
		tel_pipeline_note_blocked(d->pipeline, request_id);
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

/* Events are not inspected: the health alert that says why. */
static void bypass_alert(struct daemon *d, const char *why)
{
	struct tel_alert a = {.kind = "health",
	                      .category = "proxy_bypassed",
	                      .rule = "vigil.proxy",
	                      .severity = "ERROR",
	                      .summary = why};
	tel_emit(&d->sink, &a);
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
	    .refusing = refusing,
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
		bypass_alert(d, msg);
	}
	r = d->pipeline ? tel_listener_new(NULL, d->cfg.telemetry_port, d->pipeline, &d->listener)
	                : -ENOMEM;
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
	d->subscribed = r == 200;
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
	bypass_alert(d, msg);
}

/* The vg_mono_ns time of an epoch-ms deadline, less margin_ms. */
static uint64_t mono_deadline(int64_t deadline_ms, int64_t margin_ms)
{
	int64_t left = deadline_ms - vg_epoch_ms() - margin_ms;
	return vg_mono_ns() + (uint64_t)(left > 0 ? left : 0) * 1000000u;
}

/* Sends what the alert queue holds (to the collector, or as lines on
 * stdout), until deadline_ns at the latest; what is left stays queued. */
static void flush_alerts(struct daemon *d, uint64_t deadline_ns)
{
	if (d->exporter && tel_export_drain(d->exporter, deadline_ns) == -ETIMEDOUT)
		vg_log_debug("alerts left queued at the flush deadline");
}

/* After an INVOKE: wait until the runtime has answered that request, then
 * send the invocation's alerts within their bound, and only then go back
 * to event/next (which lets Lambda freeze the environment). The wait ends
 * at the function's deadline at the latest, when a runtime connection
 * closes (a crashed runtime never answers; Lambda then resets and the
 * SHUTDOWN must find vigil in event/next), or when the platform's
 * telemetry says the invocation is over (another extension's crash fails
 * it before the runtime gets it). A runtime that does not talk
 * through the proxy is never waited for: no answer would ever be seen. */
static void invocation_rhythm(struct daemon *d, const struct ext_event *ev)
{
	if (d->rhythm_ok && d->proxy && px_proxy_next_count(d->proxy) > 0 && ev->request_id[0]) {
		uint64_t until = ev->deadline_ms
		                     ? mono_deadline(ev->deadline_ms, -50)
		                     : vg_mono_ns() + (uint64_t)INVOKE_WAIT_MAX_MS * 1000000u;
		int r = ext_rhythm_wait(&d->rhythm, ev->request_id, until);
		if (r < 0)
			vg_log_debug("no answer seen for %s (%s)", ev->request_id,
			             r == -ETIMEDOUT ? "deadline passed"
			                             : "runtime connection closed");
	}
	if (d->pipeline)
		tel_pipeline_tick(d->pipeline); /* counts held for a window that ended */
	flush_alerts(d, vg_mono_ns() + (uint64_t)d->cfg.flush_invoke_ms * 1000000u);
}

/* The platform's last records (the final invocation's report, a failed
 * init's) may come after SHUTDOWN, up to one buffering interval later:
 * wait until the listener has been quiet for that interval and a little
 * more, or until `until`. */
static void await_last_telemetry(struct daemon *d, uint64_t until)
{
	const uint64_t quiet = ((uint64_t)d->cfg.telemetry_timeout_ms + 50) * 1000000u;
	struct tel_stats st;
	uint64_t last = vg_mono_ns(), seen;

	if (!d->pipeline || !d->listener || !d->subscribed)
		return;
	tel_pipeline_stats(d->pipeline, &st);
	seen = st.batches + st.batches_bad + st.batches_oversize;
	for (uint64_t now = last; now < until && now - last < quiet; now = vg_mono_ns()) {
		struct timespec nap = {0, 5 * 1000000};
		nanosleep(&nap, NULL);
		tel_pipeline_stats(d->pipeline, &st);
		uint64_t n = st.batches + st.batches_bad + st.batches_oversize;
		if (n != seen) {
			seen = n;
			last = vg_mono_ns();
		}
	}
}

/* SHUTDOWN: the remaining alerts go out inside deadlineMs less a margin
 * for the exit itself; then the process exits 0. */
static void shutdown_phase(struct daemon *d, const struct ext_event *ev)
{
	int64_t left = ev->deadline_ms ? ev->deadline_ms - vg_epoch_ms() : 0;
	vg_log_debug("SHUTDOWN (%s), %lld ms left", ev->reason[0] ? ev->reason : "no reason",
	             (long long)left);
	/* At most half of what is left goes to waiting, the rest to sending. */
	int64_t wait_ms = left > SHUTDOWN_MARGIN_MS ? (left - SHUTDOWN_MARGIN_MS) / 2 : 0;
	await_last_telemetry(d,
	                     vg_mono_ns() + (uint64_t)(wait_ms > 1000 ? 1000 : wait_ms) * 1000000u);
	if (d->pipeline)
		tel_pipeline_flush(d->pipeline); /* every count still held */
	/* The final drain: one attempt per batch even while the breaker is
	 * open or a retry is pending, since nothing comes after it. */
	if (d->exporter &&
	    tel_export_drain_final(
	        d->exporter, ev->deadline_ms ? mono_deadline(ev->deadline_ms, SHUTDOWN_MARGIN_MS)
	                                     : vg_mono_ns() + 500 * 1000000ull) == -ETIMEDOUT)
		vg_log_debug("alerts left queued at the SHUTDOWN deadline");
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
	/* In reverse order of use: the proxy's threads call the inspector,
	 * which notes into the pipeline; the listener feeds the pipeline;
	 * everything emits into the exporter. */
	px_proxy_free(d->proxy);
	tel_listener_free(d->listener);
	ext_inspector_free(d->inspector);
	tel_pipeline_free(d->pipeline);
	tel_export_free(d->exporter);
	ext_api_fini(&d->api);
	if (d->rhythm_ok)
		ext_rhythm_fini(&d->rhythm);
}

/* Every alert goes here: into the exporter's queue once it runs; before
 * that (init, until the collector token is read) straight to stdout. */
static void emit(void *ctx, const struct tel_alert *a)
{
	struct daemon *d = ctx;
	struct tel_export *x = __atomic_load_n(&d->exporter, __ATOMIC_ACQUIRE);
	if (x)
		tel_export_push(x, a);
	else
		tel_alert_print(STDOUT_FILENO, a);
}

/* The exporter, after register: reading the collector token from Secrets
 * Manager or Parameter Store is a network call, and the runtime's start
 * must not wait for it. No event can arrive before vigil's first
 * event/next, so nothing is inspected meanwhile. A token that cannot be
 * read leaves the alerts on stdout (never lost, never breaking the
 * function) and says why in a health alert. */
static void start_export(struct daemon *d)
{
	const struct ext_config *c = &d->cfg;
	const char *url = c->collector_url;
	char *token = NULL, why[256] = "";
	struct tel_export *x = NULL;
	int r;

	if (url && (r = tel_secret_token(&token, why, sizeof(why))) < 0) {
		char msg[400];
		snprintf(msg, sizeof(msg),
		         "collector token not read (%s); alerts go to stdout instead of %s",
		         why[0] ? why : strerror(-r), "the collector");
		vg_log_error("%s", msg);
		struct tel_alert a = {.kind = "health",
		                      .category = "export_failure",
		                      .rule = "vigil.export.token",
		                      .severity = "ERROR",
		                      .summary = msg};
		tel_emit(&d->sink, &a);
		url = NULL;
	}
	struct tel_export_opts eo = {
	    .url = url,
	    .token = token,
	    .queue_records = (size_t)c->export_queue_records,
	    .queue_bytes = (size_t)c->export_queue_bytes,
	    .batch_records = (unsigned)c->export_batch_records,
	    .batch_bytes = (size_t)c->export_batch_bytes,
	    .gzip = c->export_gzip != 0,
	    /* Export runs only where the daemon lets it: after the runtime
	     * answered, after init, and at SHUTDOWN. */
	    .drain_only = true,
	    .request_timeout_ms = (unsigned)c->export_timeout_ms,
	};
	r = tel_export_new(&eo, &x);
	tel_secret_free(token);
	if (r < 0) {
		vg_log_error("alert export not started (%s); alerts go to stdout only",
		             strerror(-r));
		return;
	}
	__atomic_store_n(&d->exporter, x, __ATOMIC_RELEASE);
}

/* The exporter (or, if it cannot start, a plain printer on stdout), the
 * telemetry pipeline and the inspection engine, before any socket: the
 * proxy must never serve without its inspector. 0, or -EINVAL with the
 * configuration error in err. */
static int start_alerts(struct daemon *d, char *err, size_t errn)
{
	const struct ext_config *c = &d->cfg;
	int r;

	d->sink = (struct tel_sink){emit, d};
	struct tel_config tc;
	tel_config_defaults(&tc);
	tc.memory_share = c->tel_memory_share;
	tc.duration_warmup = (unsigned)c->tel_duration_warmup;
	tc.duration_window = (unsigned)c->tel_duration_window;
	tc.duration_k = c->tel_duration_k;
	tc.duration_min_ms = c->tel_duration_min_ms;
	tc.surge_bucket_s = (unsigned)c->tel_surge_bucket_s;
	tc.surge_window = (unsigned)c->tel_surge_window;
	tc.surge_warmup = (unsigned)c->tel_surge_warmup;
	tc.surge_ratio = c->tel_surge_ratio;
	tc.surge_min = (unsigned)c->tel_surge_min;
	tc.requests_max = (unsigned)c->tel_requests_max;
	tc.alert_window_s = (unsigned)c->tel_alert_window_s;
	tc.scan_secrets = c->tel_secrets != 0;
	tc.body_max = (size_t)c->tel_body_max;
	tc.self_name = d->name;
	const char *what = NULL;
	if (tel_config_check(&tc, &what) < 0) {
		/* The table's bounds are the pipeline's: this is a bug. */
		snprintf(err, errn, "telemetry setting %s out of bounds", what ? what : "?");
		return -EINVAL;
	}
	r = tel_pipeline_new(&tc, &d->sink, &d->pipeline);
	if (r < 0)
		vg_log_error("telemetry pipeline not started (%s); telemetry alerts are off",
		             strerror(-r));

	struct ext_inspector_opts io = {
	    .policy = c->policy,
	    .paranoia = (unsigned)c->paranoia,
	    .block = c->mode == EXT_MODE_BLOCK,
	    .sink = &d->sink,
	    .flagged = flagged,
	    .flagged_ctx = d,
	};
	char perr[400];
	r = ext_inspector_new(&io, &d->inspector, perr, sizeof(perr));
	if (r < 0) {
		snprintf(err, errn, "VIGIL_POLICY: %s", perr[0] ? perr : strerror(-r));
		return -EINVAL;
	}
	/* Without it the proxy still relays; the rhythm just does not wait. */
	d->rhythm_ok = ext_rhythm_init(&d->rhythm) == 0;
	/* The platform's word that an invocation is over ends the wait too:
	 * one failed before the runtime saw it is never answered. */
	if (d->rhythm_ok && d->pipeline)
		tel_pipeline_on_done(d->pipeline, responded, d);
	return 0;
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
	start_export(d);
	/* After register, so that it costs the runtime's start nothing. */
	ext_posture_scan_env(environ, &d->sink);
	/* What init raised (a proxy that could not start, posture) goes out
	 * now, in the init phase, not on an invocation. */
	flush_alerts(d, vg_mono_ns() + (uint64_t)d->cfg.flush_invoke_ms * 1000000u);

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
	d.name = name;
	r = start_alerts(&d, err, sizeof(err));
	if (r < 0) {
		r = config_failure(&d, name, err);
		goto out;
	}
	r = serve(&d, name, runtime_api);
out:
	daemon_fini(&d);
	return r;
}
