/* One invocation (lambda-apis.md §2.9): the runtime and INVOKE subscribers
 * released together, the end when all called next again, the function
 * timeout, the platform.report metrics, and a reset after any failure. */
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
	/* It becomes a header of invocation/next: no byte may end the line. */
	for (long i = 0; i < r; i++)
		if (out[i] < 0x20 && out[i] != '\t') {
			vg_log_warn("X-Amz-Client-Context holds control bytes: ignored");
			free(out);
			return NULL;
		}
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
	cJSON_AddNumberToObject(o, "runtimeDurationMs", round(res->runtime_ms * 1000.0) / 1000.0);
	cJSON_AddNumberToObject(o, "billedDurationMs", billed < 1 ? 1 : billed);
	cJSON_AddNumberToObject(o, "maxMemoryUsedMB", ceil((double)peak_rss / 1048576.0));
	if (init_ms >= 0)
		cJSON_AddNumberToObject(o, "initDurationMs", round(init_ms * 1000.0) / 1000.0);
	sbx_report_add(s, s->rep_invocations, &s->rep_n_invocations, o);
}

/* Runs the invocation on an initialised environment. Lock held. Returns the
 * failure that calls for a reset, or NULL. */
static const char *invoke_run(struct sbx *s, const struct sbx_invoke_req *req,
                              struct sbx_result *res, uint64_t deadline)
{
	struct sbx_inv *inv = &s->inv;
	const char *fail = NULL, *who = "runtime";

	s->oom = false;
	inv->active = true;
	memcpy(inv->request_id, res->request_id, sizeof(inv->request_id));
	inv->start_ns = vg_mono_ns();
	/* The advertised deadline is the one enforced: an init during this
	 * invoke has already used some of the function timeout. */
	inv->deadline_ms =
	    vg_epoch_ms() +
	    (deadline > inv->start_ns ? (int64_t)((deadline - inv->start_ns) / MS) : 0);
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
	pthread_cond_broadcast(&s->rt_cond);
	pthread_cond_broadcast(&s->ext_cond);

	for (;;) {
		if ((fail = sbx_env_failure(s, &who)))
			break;
		if (inv->answered && s->rt.state == SBX_RT_READY &&
		    sbx_all_extensions_ready(s, true))
			break;
		if (!sbx_env_wait(s, deadline)) {
			fail = "Sandbox.Timeout";
			break;
		}
	}
	res->duration_ms = (double)(vg_mono_ns() - inv->start_ns) / 1e6;
	res->runtime_ms =
	    inv->answered ? (double)(inv->answered_ns - inv->start_ns) / 1e6 : res->duration_ms;
	/* Like Lambda's, the figure is the environment's peak so far. VmHWM
	 * is a lifetime peak too, so a short invoke that comes within 20 ms
	 * of the last sample reuses it instead of reading /proc again. */
	if (s->rt.proc && !s->rt.proc->exited &&
	    (!s->peak_rss || vg_mono_ns() - s->last_sample_ns >= SAMPLE_EVERY_NS)) {
		s->peak_rss = VG_MAX(s->peak_rss, sbx_proc_hwm(s->rt.proc->pid));
		s->last_sample_ns = vg_mono_ns();
	} else if (s->rt.proc && s->rt.proc->exited)
		s->peak_rss = VG_MAX(s->peak_rss, (uint64_t)s->rt.proc->maxrss_kb * 1024u);
	if (fail && !inv->answered && s->rt.proc && sbx_tel_has_subscribers(s->tel))
		sbx_proc_sync(s->rt.proc, vg_mono_ns() + LOG_SYNC_MS * MS);
	if (fail && !inv->answered) /* else the answer emitted it */
		sbx_rec_runtime_done(s, inv->request_id, fail, res->duration_ms, 0);
	if (fail) {
		size_t n;
		char *doc = sbx_error_doc(s, fail, who, &n);
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
	if ((r = sbx_env_acquire(s)) < 0)
		return r;
	vg_uuid4(res->request_id);

	if (!s->init.done && sbx_init_run(s, "invoke", deadline) < 0) {
		/* A failed init fails the invoke with the init's error. */
		sbx_rec_start(s, res->request_id, req->trace_id);
		pthread_mutex_lock(&s->lock);
		result_error(res, s->init.error_type, s->init.body, s->init.body_len);
		s->init.body = NULL;
		res->duration_ms = (double)(vg_mono_ns() - t0) / 1e6;
		sbx_rec_report(s, res, 0, -1);
		record_invocation(s, res, 0, -1);
		pthread_mutex_unlock(&s->lock);
		sbx_env_release(s);
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
	bool quit = s->quit, flush = s->tel_subscribed;
	pthread_mutex_unlock(&s->lock);

	/* Subscribers get this invoke's records before the freeze; a listener
	 * that hangs costs at most half a second. */
	if (flush) /* without subscribers it would only wake the delivery thread */
		sbx_tel_flush(s->tel, vg_mono_ns() + 500 * MS);
	if (fail && !quit) {
		sbx_shutdown_phase(s, !strcmp(fail, "Sandbox.Timeout") ? "timeout" : "failure",
		                   false);
	} else {
		pthread_mutex_lock(&s->lock);
		sbx_proc_freeze_all(s, true);
		pthread_mutex_unlock(&s->lock);
	}
	sbx_env_release(s);
	return 0;
}

void sbx_result_fini(struct sbx_result *res)
{
	free(res->body);
	res->body = NULL;
}
