#include "vg_http.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

bool vg_http_collect(void **con_cls, const char *upload_data, size_t *upload_data_size,
		     size_t cap, struct vg_http_req **out)
{
	struct vg_http_req *req = *con_cls;

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return false; /* the caller answers MHD_YES; MHD retries */
		vg_buf_init(&req->body, cap);
		*con_cls = req;
		return false;
	}
	if (*upload_data_size) {
		if (!req->too_large &&
		    vg_buf_append(&req->body, upload_data, *upload_data_size) < 0)
			req->too_large = true;
		*upload_data_size = 0;
		return false;
	}
	*out = req;
	return true;
}

void vg_http_req_free(struct vg_http_req *req)
{
	if (!req)
		return;
	if (req->user_free)
		req->user_free(req->user);
	vg_buf_fini(&req->body);
	free(req);
}

void vg_http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		       enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	vg_http_req_free(*con_cls);
	*con_cls = NULL;
}

vg_mhd_result vg_http_reply_with(struct MHD_Connection *c, unsigned status,
				 const char *content_type, const void *body, size_t n,
				 void (*headers)(struct MHD_Response *r))
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (headers)
		headers(r);
	vg_mhd_result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

vg_mhd_result vg_http_reply(struct MHD_Connection *c, unsigned status, const char *content_type,
			    const void *body, size_t n)
{
	return vg_http_reply_with(c, status, content_type, body, n, NULL);
}

vg_mhd_result vg_http_reply_error(struct MHD_Connection *c, unsigned status,
				  const char *error_type, const char *fmt, ...)
{
	struct vg_buf msg = VG_BUF_INIT(4096), out = VG_BUF_INIT(16384);
	va_list ap;

	va_start(ap, fmt);
	vg_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	vg_buf_puts(&out, "{\"errorMessage\":");
	vg_buf_json_str(&out, msg.data ? msg.data : "", msg.len);
	vg_buf_puts(&out, ",\"errorType\":");
	vg_buf_json_str(&out, error_type, strlen(error_type));
	vg_buf_puts(&out, "}\n");
	vg_mhd_result r = vg_http_reply(c, status, "application/json", out.data, out.len);
	vg_buf_fini(&msg);
	vg_buf_fini(&out);
	return r;
}

const char *vg_http_header(struct MHD_Connection *c, const char *name)
{
	/* MHD compares header names case-insensitively. */
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}
