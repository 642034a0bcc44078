/* The invoke endpoint, compatible with AWS's Runtime Interface Emulator:
 * POST /2015-03-31/functions/{name}/invocations, body = event, reply = the
 * function's response; a function error adds X-Amz-Function-Error: Unhandled
 * and the error document is the body. As in RIE, the reply is sent once the
 * whole invoke is over (after the extensions' post-processing). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define PREFIX "/2015-03-31/functions/"
#define SUFFIX "/invocations"

static bool invoke_path(const char *url)
{
	size_t ul = strlen(url), pl = strlen(PREFIX), sl = strlen(SUFFIX);
	if (ul <= pl + sl || strncmp(url, PREFIX, pl) || strcmp(url + ul - sl, SUFFIX))
		return false;
	return !memchr(url + pl, '/', ul - pl - sl);
}

static vg_mhd_result reply_result(struct MHD_Connection *c, struct sbx_result *res)
{
	struct MHD_Response *resp =
	    res->body
	        ? MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_MUST_FREE)
	        : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	vg_mhd_result ret;

	if (!resp)
		return MHD_NO;
	res->body = NULL; /* the response owns it now */
	MHD_add_response_header(resp, "Content-Type",
	                        res->content_type[0] ? res->content_type : "application/json");
	MHD_add_response_header(resp, "X-Amzn-RequestId", res->request_id);
	MHD_add_response_header(resp, "X-Amz-Executed-Version", "$LATEST");
	if (strcmp(res->status, "success"))
		MHD_add_response_header(resp, "X-Amz-Function-Error", "Unhandled");
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

vg_mhd_result sbx_invoke_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
	struct sbx *s = cls;
	struct sbx_req *r = *con_cls;
	(void)version;

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		if (invoke_path(url))
			r->invoke_route = strcmp(method, "POST") ? 2 : 1;
		vg_buf_init(&r->body, r->invoke_route == 1 ? SBX_PAYLOAD_MAX : 0);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->too_large && vg_buf_append(&r->body, upload, *upload_size) < 0)
			r->too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->invoke_route == 0)
		return vg_http_reply_error(c, 404, "NotFound", "no route %s %s", method, url);
	if (r->invoke_route == 2)
		return vg_http_reply_error(c, 405, "MethodNotAllowed", "use POST");
	if (r->too_large)
		return vg_http_reply_error(c, 413, "RequestEntityTooLarge",
		                           "Exceeded maximum allowed payload size (%u bytes).",
		                           SBX_PAYLOAD_MAX);

	struct sbx_invoke_req req = {
	    .event = r->body.data ? r->body.data : "",
	    .event_len = r->body.len,
	    .content_type = vg_http_header(c, "Content-Type"),
	    .trace_id = vg_http_header(c, "X-Amzn-Trace-Id"),
	    .client_context = vg_http_header(c, "X-Amz-Client-Context"),
	    .cognito = vg_http_header(c, "X-Amz-Cognito-Identity"),
	};
	struct sbx_result res;
	if (sbx_invoke(s, &req, &res) < 0)
		return vg_http_reply_error(c, 503, "ServiceUnavailable", "the sandbox is stopping");
	vg_mhd_result ret = reply_result(c, &res);
	sbx_result_fini(&res);
	return ret;
}
