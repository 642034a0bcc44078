/* Telemetry API subscription (lambda-apis.md §5.1), handed to the
 * telemetry module once the extension is known, and the legacy Logs API,
 * which answers 202 Logs.NotSupported as AWS's emulator does. */
#include <stdio.h>
#include <string.h>

#include "api.h"

vg_mhd_result sbx_api_telemetry(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r)
{
	struct vg_buf reply = VG_BUF_INIT(16384);
	char name[SBX_NAME_MAX] = "";
	vg_mhd_result ret;
	unsigned status;

	if (!s->opts->telemetry_stub) {
		/* The stub, like RIE's, answers before looking at the id. */
		struct sbx_ext *e;
		pthread_mutex_lock(&s->lock);
		e = sbx_api_ext_auth(s, c, &ret);
		if (e)
			snprintf(name, sizeof(name), "%s", e->name);
		pthread_mutex_unlock(&s->lock);
		if (!e)
			return ret;
	}
	if (r->too_large)
		return vg_http_reply_error(c, 400, "ValidationError",
		                           "subscription body over %u bytes", SBX_SMALL_BODY_MAX);
	status =
	    sbx_tel_subscribe(s->tel, name, r->body.data ? r->body.data : "", r->body.len, &reply);
	if (status == 200) {
		pthread_mutex_lock(&s->lock);
		s->tel_subscribed = true;
		pthread_mutex_unlock(&s->lock);
	}
	ret = vg_http_reply(c, status, "application/json", reply.data ? reply.data : "", reply.len);
	vg_buf_fini(&reply);
	return ret;
}

vg_mhd_result sbx_api_logs(struct sbx *s, struct MHD_Connection *c, struct sbx_req *r)
{
	(void)s;
	(void)r;
	return vg_http_reply_error(c, 202, "Logs.NotSupported", "Logs API is not supported");
}
