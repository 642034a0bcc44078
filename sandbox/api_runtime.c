/* Runtime API (lambda-apis.md §3): invocation/next with every header,
 * response (buffered or streamed, with error trailers), error, init/error;
 * the 6 MiB + 100 bytes limit and stale request ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "lifecycle.h"
#include "proc.h"
#include "vg_log.h"
#include "vg_time.h"

static const char *rt_state_name(enum sbx_rt_state st)
{
	switch (st) {
	case SBX_RT_NONE:
		return "None";
	case SBX_RT_STARTED:
		return "Started";
	case SBX_RT_READY:
		return "Ready";
	case SBX_RT_INVOKING:
		return "Invoking";
	case SBX_RT_RESPONDED:
		return "Responded";
	case SBX_RT_INIT_ERROR:
		return "InitError";
	}
	return "Unknown";
}

bool sbx_api_rt_id_current(struct sbx *s, const char *id)
{
	return s->inv.active && s->inv.delivered && !s->inv.answered &&
	       s->rt.state == SBX_RT_INVOKING && !strcmp(id, s->inv.request_id);
}

static void add_header(struct MHD_Response *r, const char *name, const char *v)
{
	/* RIE sets a header only when it has a value. */
	if (v && *v)
		MHD_add_response_header(r, name, v);
}

vg_mhd_result sbx_api_rt_next(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r)
{
	struct sbx_inv *inv = &s->inv;
	vg_mhd_result ret;
	unsigned gen;

	(void)r;
	pthread_mutex_lock(&s->lock);
	if (s->rt.state != SBX_RT_STARTED && s->rt.state != SBX_RT_RESPONDED) {
		ret = vg_http_reply_error(c, 403, "InvalidStateTransition",
		                          "State transition from %s to Ready failed",
		                          rt_state_name(s->rt.state));
		pthread_mutex_unlock(&s->lock);
		return ret;
	}
	s->rt.state = SBX_RT_READY;
	s->rt.waiting = true;
	gen = s->gen;
	pthread_cond_broadcast(&s->cond);
	while ((!inv->active || inv->delivered) && gen == s->gen)
		pthread_cond_wait(&s->rt_cond, &s->lock);
	if (gen != s->gen) {
		pthread_mutex_unlock(&s->lock);
		return vg_http_reply_error(c, 500, "InternalServerError",
		                           "the execution environment was reset");
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    inv->event_len, (void *)inv->event, MHD_RESPMEM_MUST_COPY);
	if (!resp) {
		pthread_mutex_unlock(&s->lock);
		return MHD_NO;
	}
	char deadline[32];
	snprintf(deadline, sizeof(deadline), "%lld", (long long)inv->deadline_ms);
	add_header(resp, "Lambda-Runtime-Aws-Request-Id", inv->request_id);
	add_header(resp, "Lambda-Runtime-Deadline-Ms", deadline);
	add_header(resp, "Lambda-Runtime-Invoked-Function-Arn", s->function_arn);
	add_header(resp, "Lambda-Runtime-Trace-Id", inv->trace_id);
	add_header(resp, "Lambda-Runtime-Client-Context", inv->client_context);
	add_header(resp, "Lambda-Runtime-Cognito-Identity", inv->cognito);
	add_header(resp, "Content-Type", inv->content_type);
	inv->delivered = true;
	s->rt.state = SBX_RT_INVOKING;
	s->rt.waiting = false;
	/* No broadcast: nobody waits for this, and waking the invoker for
	 * nothing costs a context switch on every invoke. */
	pthread_mutex_unlock(&s->lock);
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Records the runtime's answer. Lock held; takes body. */
static void answer(struct sbx *s, bool is_error, const char *error_type, char *body, size_t len,
                   const char *content_type)
{
	struct sbx_inv *inv = &s->inv;
	free(inv->body);
	inv->body = body;
	inv->body_len = len;
	inv->is_error = is_error;
	snprintf(inv->error_type, sizeof(inv->error_type), "%s", error_type ? error_type : "");
	snprintf(inv->body_type, sizeof(inv->body_type), "%s", content_type ? content_type : "");
	inv->answered = true;
	inv->answered_ns = vg_mono_ns();
	s->rt.state = SBX_RT_RESPONDED;
	/* What the function printed before it answered goes first. */
	if (s->rt.proc && sbx_tel_has_subscribers(s->tel))
		sbx_proc_sync(s->rt.proc, vg_mono_ns() + LOG_SYNC_MS * MS);
	sbx_rec_runtime_done(s, inv->request_id, is_error ? inv->error_type : NULL,
	                     (double)(inv->answered_ns - inv->start_ns) / 1e6, len);
	/* The invoker waits for the runtime's next, which broadcasts; a wake
	 * here would only cost a context switch. */
}

static char *doc(const char *type, const char *msg, size_t *len)
{
	struct vg_buf b = VG_BUF_INIT(4096);
	vg_buf_puts(&b, "{\"errorMessage\":");
	vg_buf_json_str(&b, msg, strlen(msg));
	vg_buf_puts(&b, ",\"errorType\":");
	vg_buf_json_str(&b, type, strlen(type));
	vg_buf_putc(&b, '}');
	return vg_buf_steal(&b, len);
}

static vg_mhd_result reject_id(struct MHD_Connection *c, const char *id)
{
	return vg_http_reply_error(c, 400, "InvalidRequestID",
	                           "Invalid request ID: '%.40s' is not the invocation under way",
	                           id);
}

static vg_mhd_result too_large(struct sbx *s, struct MHD_Connection *c)
{
	size_t n;
	char *d =
	    doc("Function.ResponseSizeTooLarge",
	        "Response payload size exceeded maximum allowed payload size (6291556 bytes).", &n);
	answer(s, true, "Function.ResponseSizeTooLarge", d, n, "application/json");
	pthread_mutex_unlock(&s->lock);
	return vg_http_reply_error(c, 413, "RequestEntityTooLarge",
	                           "Exceeded maximum allowed payload size (%u bytes).",
	                           SBX_PAYLOAD_MAX);
}

/* A streamed response's error trailers (§3.4). Lock held. true when the
 * stream ended in an error, which has been recorded. */
static bool stream_error(struct sbx *s, struct MHD_Connection *c)
{
	const char *type =
	    MHD_lookup_connection_value(c, MHD_FOOTER_KIND, "Lambda-Runtime-Function-Error-Type");
	const char *b64 =
	    MHD_lookup_connection_value(c, MHD_FOOTER_KIND, "Lambda-Runtime-Function-Error-Body");
	char norm[SBX_TYPE_MAX];
	char *body = NULL;
	size_t len = 0;

	if (!type)
		return false;
	sbx_error_type_normalize(type, norm, sizeof(norm));
	if (b64 && strlen(b64) < 4 * SBX_SMALL_BODY_MAX) {
		size_t n = strlen(b64);
		unsigned char *out = malloc(n + 1);
		long r = out ? sbx_base64_decode(b64, n, out, n) : -1;
		if (r >= 0) {
			out[r] = '\0';
			body = (char *)out;
			len = (size_t)r;
		} else {
			free(out);
		}
	}
	if (!body)
		body = doc(type, "the response stream ended in an error", &len);
	vg_log_info("streamed response ended in error %s", type);
	answer(s, true, norm, body, len, "application/json");
	return true;
}

vg_mhd_result sbx_api_rt_response(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r)
{
	const char *mode = vg_http_header(c, "Lambda-Runtime-Function-Response-Mode");
	size_t n;

	pthread_mutex_lock(&s->lock);
	if (!r->id_ok || !sbx_api_rt_id_current(s, r->path_id)) {
		pthread_mutex_unlock(&s->lock);
		return reject_id(c, r->path_id);
	}
	if (mode && *mode && strcasecmp(mode, "streaming")) {
		char *d =
		    doc("Runtime.InvalidResponseModeHeader",
		        "Lambda-Runtime-Function-Response-Mode must be streaming or absent", &n);
		answer(s, true, "Runtime.InvalidResponseModeHeader", d, n, "application/json");
		pthread_mutex_unlock(&s->lock);
		return vg_http_reply_error(c, 400, "InvalidFunctionResponseMode",
		                           "invalid response mode '%.64s'", mode);
	}
	if (r->too_large)
		return too_large(s, c);
	if (!(mode && *mode && stream_error(s, c))) {
		char *body = vg_buf_steal(&r->body, &n);
		if (!body) {
			pthread_mutex_unlock(&s->lock);
			return vg_http_reply_error(c, 500, "InternalServerError", "out of memory");
		}
		answer(s, false, NULL, body, n, vg_http_header(c, "Content-Type"));
	}
	pthread_mutex_unlock(&s->lock);
	return sbx_reply_accepted(c);
}

/* Content-Type application/vnd.aws.lambda.error.cause+json: the body's
 * errorCause goes to X-Ray, the rest to the caller (§3.3). */
static char *strip_error_cause(const char *body, size_t len, size_t *out_len)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	char *out = NULL;

	if (root && cJSON_IsObject(root)) {
		cJSON_DeleteItemFromObjectCaseSensitive(root, "errorCause");
		out = cJSON_PrintUnformatted(root);
	}
	cJSON_Delete(root);
	if (out)
		*out_len = strlen(out);
	return out;
}

vg_mhd_result sbx_api_rt_error(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r)
{
	const char *type = vg_http_header(c, "Lambda-Runtime-Function-Error-Type");
	const char *cause = vg_http_header(c, "Lambda-Runtime-Function-XRay-Error-Cause");
	const char *ctype = vg_http_header(c, "Content-Type");
	char norm[SBX_TYPE_MAX];
	char *body;
	size_t n;

	pthread_mutex_lock(&s->lock);
	if (!r->id_ok || !sbx_api_rt_id_current(s, r->path_id)) {
		pthread_mutex_unlock(&s->lock);
		return reject_id(c, r->path_id);
	}
	if (r->too_large)
		return too_large(s, c);
	if (cause && strlen(cause) > SBX_XRAY_CAUSE_MAX)
		vg_log_warn("X-Ray error cause over %u bytes: dropped", SBX_XRAY_CAUSE_MAX);
	sbx_error_type_normalize(type, norm, sizeof(norm));
	if (ctype && !strncasecmp(ctype, "application/vnd.aws.lambda.error.cause+json", 43) &&
	    (body = strip_error_cause(r->body.data, r->body.len, &n))) {
		ctype = "application/json";
	} else {
		body = vg_buf_steal(&r->body, &n);
	}
	if (!body) {
		pthread_mutex_unlock(&s->lock);
		return vg_http_reply_error(c, 500, "InternalServerError", "out of memory");
	}
	answer(s, true, norm, body, n, ctype ? ctype : "application/json");
	pthread_mutex_unlock(&s->lock);
	return sbx_reply_accepted(c);
}

vg_mhd_result sbx_api_rt_init_error(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r)
{
	const char *type = vg_http_header(c, "Lambda-Runtime-Function-Error-Type");
	vg_mhd_result ret;
	size_t n;

	pthread_mutex_lock(&s->lock);
	if (s->rt.state != SBX_RT_STARTED) {
		ret = vg_http_reply_error(c, 403, "InvalidStateTransition",
		                          "State transition from %s to InitError failed",
		                          rt_state_name(s->rt.state));
		pthread_mutex_unlock(&s->lock);
		return ret;
	}
	if (r->too_large) {
		pthread_mutex_unlock(&s->lock);
		return vg_http_reply_error(c, 413, "RequestEntityTooLarge",
		                           "Exceeded maximum allowed payload size (%u bytes).",
		                           SBX_PAYLOAD_MAX);
	}
	sbx_error_type_normalize(type, s->rt.error_type, sizeof(s->rt.error_type));
	free(s->rt.error_body);
	s->rt.error_body = vg_buf_steal(&r->body, &n);
	s->rt.error_len = s->rt.error_body ? n : 0;
	s->rt.state = SBX_RT_INIT_ERROR;
	vg_log_warn("runtime: init/error %s", s->rt.error_type);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return sbx_reply_accepted(c);
}
