/* Extensions API (lambda-apis.md §2): register, event/next, init/error,
 * exit/error, with RIE's 403 cases and error bodies (§2.6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "vg_log.h"
#include "vg_util.h"

#define ID_HEADER "Lambda-Extension-Identifier"

vg_mhd_result sbx_api_ext_register(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r)
{
	const char *name = vg_http_header(c, "Lambda-Extension-Name");
	const char *features = vg_http_header(c, "Lambda-Extension-Accept-Feature");
	struct sbx_reg_error err;
	struct sbx_ext *e = NULL;
	unsigned events;
	char id[37];

	if (!name || !*name)
		return vg_http_reply_error(c, 403, "Extension.InvalidExtensionName",
		                           "Lambda-Extension-Name is missing or empty");
	if (strlen(name) >= SBX_NAME_MAX)
		return vg_http_reply_error(c, 403, "Extension.InvalidExtensionName",
		                           "Lambda-Extension-Name is too long");
	if (r->too_large)
		return vg_http_reply_error(c, 403, "InvalidRequestFormat",
		                           "register body too large");
	if (sbx_register_parse(r->body.data, r->body.len, &events, &err) < 0)
		return vg_http_reply_error(c, 403, err.type, "%s", err.message);

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < s->n_ext; i++)
		if (s->ext[i].external && !strcmp(s->ext[i].name, name))
			e = &s->ext[i];
	if (e) {
		enum sbx_ext_state to;
		if (sbx_ext_transition(e->state, SBX_EXT_OP_REGISTER, &to) < 0) {
			pthread_mutex_unlock(&s->lock);
			return vg_http_reply_error(c, 403, "Extension.InvalidExtensionState",
			                           "State transition from %s to Registered failed",
			                           sbx_ext_state_name(e->state));
		}
		e->state = to;
	} else {
		/* Not a launched file: an internal extension (§2.7). */
		const char *type = NULL, *msg = NULL;
		for (unsigned i = 0; i < s->n_ext; i++)
			if (!strcmp(s->ext[i].name, name)) {
				type = "Extension.InvalidExtensionState";
				msg = "an extension of that name is already registered";
			}
		if (!type && s->registration_closed) {
			type = "Extension.RegistrationClosed";
			msg = "registration is closed: the runtime has called next";
		} else if (!type && (events & SBX_EV_SHUTDOWN)) {
			type = "Extension.InvalidEventType";
			msg = "ShutdownEventNotSupportedForInternalExtension";
		} else if (!type && s->n_ext >= SBX_MAX_EXTENSIONS) {
			type = "Extension.TooManyExtensions";
			msg = "at most 10 extensions";
		}
		if (type) {
			pthread_mutex_unlock(&s->lock);
			return vg_http_reply_error(c, 403, type, "%s", msg);
		}
		e = &s->ext[s->n_ext++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->state = SBX_EXT_REGISTERED;
		vg_log_info("extension %s: registered as an internal extension (no launched file "
		            "has that name)",
		            name);
	}
	e->events = events;
	vg_uuid4(e->id);
	memcpy(id, e->id, sizeof(id));
	pthread_cond_broadcast(&s->cond);

	struct vg_buf b = VG_BUF_INIT(2048);
	const char *handler = sbx_opts_env(s->opts, "_HANDLER");
	vg_buf_puts(&b, "{\"functionName\":");
	vg_buf_json_str(&b, s->opts->function_name, strlen(s->opts->function_name));
	vg_buf_puts(&b, ",\"functionVersion\":\"$LATEST\",\"handler\":");
	vg_buf_json_str(&b, handler ? handler : "", handler ? strlen(handler) : 0);
	if (features && sbx_feature_requested(features, "accountId"))
		vg_buf_puts(&b, ",\"accountId\":\"123456789012\"");
	vg_buf_puts(&b, "}\n");
	pthread_mutex_unlock(&s->lock);

	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
	vg_buf_fini(&b);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, ID_HEADER, id);
	vg_mhd_result ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct sbx_ext *sbx_api_ext_auth(struct sbx *s, struct MHD_Connection *c, vg_mhd_result *ret)
{
	const char *id = vg_http_header(c, ID_HEADER);
	struct sbx_ext *e;

	if (!id || !*id) {
		*ret = vg_http_reply_error(c, 403, "Extension.MissingExtensionIdentifier",
		                           "Missing Lambda-Extension-Identifier header");
		return NULL;
	}
	if (!sbx_is_uuid(id)) {
		*ret = vg_http_reply_error(c, 403, "Extension.InvalidExtensionIdentifier",
		                           "Invalid Lambda-Extension-Identifier");
		return NULL;
	}
	e = sbx_ext_by_id(s, id);
	if (!e)
		*ret = vg_http_reply_error(c, 403, "Extension.UnknownExtensionIdentifier",
		                           "Unknown extension identifier");
	return e;
}

static vg_mhd_result reply_event(struct MHD_Connection *c, char *event, size_t len, bool invoke)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, event, MHD_RESPMEM_MUST_FREE);
	vg_mhd_result ret;

	if (!resp) {
		free(event);
		return MHD_NO;
	}
	/* RIE sets neither Content-Type on SHUTDOWN nor the event id header
	 * on it; clients must not depend on either. */
	if (invoke) {
		char eid[37];
		vg_uuid4(eid);
		MHD_add_response_header(resp, "Content-Type", "application/json");
		MHD_add_response_header(resp, "Lambda-Extension-Event-Identifier", eid);
	}
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

vg_mhd_result sbx_api_ext_next(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r)
{
	vg_mhd_result ret;
	enum sbx_ext_state to;
	struct sbx_ext *e;
	unsigned gen;

	(void)r;
	pthread_mutex_lock(&s->lock);
	e = sbx_api_ext_auth(s, c, &ret);
	if (!e)
		goto out;
	if (sbx_ext_transition(e->state, SBX_EXT_OP_NEXT, &to) < 0) {
		ret = vg_http_reply_error(c, 403, "Extension.InvalidExtensionState",
		                          "State transition from %s to Ready failed",
		                          sbx_ext_state_name(e->state));
		goto out;
	}
	e->state = to;
	e->waiting = true;
	gen = s->gen;
	pthread_cond_broadcast(&s->cond);
	while (!e->event && gen == s->gen && e->state == SBX_EXT_READY)
		pthread_cond_wait(&s->ext_cond, &s->lock);
	if (gen != s->gen || !e->event || e->state != SBX_EXT_READY) {
		if (gen == s->gen)
			e->waiting = false;
		ret = vg_http_reply_error(c, 500, "InternalServerError",
		                          "the execution environment was reset");
		goto out;
	}
	e->waiting = false;
	e->state = SBX_EXT_RUNNING;
	char *ev = e->event;
	size_t len = e->event_len;
	bool invoke = e->event_invoke;
	e->event = NULL;
	pthread_mutex_unlock(&s->lock); /* nobody waits for Running */
	return reply_event(c, ev, len, invoke);
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static vg_mhd_result ext_error(struct sbx *s, struct MHD_Connection *c, enum sbx_ext_op op)
{
	const char *type = vg_http_header(c, "Lambda-Extension-Function-Error-Type");
	vg_mhd_result ret;
	enum sbx_ext_state to;
	struct sbx_ext *e;

	pthread_mutex_lock(&s->lock);
	e = sbx_api_ext_auth(s, c, &ret);
	if (!e)
		goto out;
	if (!type || !*type) {
		ret = vg_http_reply_error(c, 403, "Extension.MissingHeader",
		                          "Missing Lambda-Extension-Function-Error-Type header");
		goto out;
	}
	if (sbx_ext_transition(e->state, op, &to) < 0) {
		ret = vg_http_reply_error(c, 403, "Extension.InvalidExtensionState",
		                          "State transition from %s to %s failed",
		                          sbx_ext_state_name(e->state),
		                          op == SBX_EXT_OP_INIT_ERROR ? "InitError" : "ExitError");
		goto out;
	}
	e->state = to;
	snprintf(e->error_type, sizeof(e->error_type), "%s", type);
	vg_log_warn("extension %s: %s %s", e->name,
	            op == SBX_EXT_OP_INIT_ERROR ? "init/error" : "exit/error", e->error_type);
	pthread_cond_broadcast(&s->cond);
	pthread_cond_broadcast(&s->ext_cond); /* a pending next ends */
	ret = sbx_reply_accepted(c);
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

vg_mhd_result sbx_api_ext_init_error(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r)
{
	(void)r;
	return ext_error(s, c, SBX_EXT_OP_INIT_ERROR);
}

vg_mhd_result sbx_api_ext_exit_error(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r)
{
	(void)r;
	return ext_error(s, c, SBX_EXT_OP_EXIT_ERROR);
}
