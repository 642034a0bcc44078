/* Helpers for libmicrohttpd servers: collecting a request body into a capped
 * buffer across the access-handler calls, and replying.
 *
 * Use in an access handler:
 *
 *	struct vg_http_req *req;
 *	if (!vg_http_collect(con_cls, upload_data, upload_data_size, CAP, &req))
 *		return MHD_YES;           // more to come (or first call)
 *	if (req->too_large)
 *		return vg_http_reply(c, 413, ...);
 *	... req->body.data, req->body.len ...
 *
 * and pass vg_http_completed as MHD_OPTION_NOTIFY_COMPLETED (or call
 * vg_http_req_free from your own completion callback). A body over the cap is
 * read and discarded, never stored, so the connection stays usable.
 */
#ifndef VG_HTTP_H
#define VG_HTTP_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "vg_buf.h"

#if MHD_VERSION < 0x00097002
typedef int vg_mhd_result;
#else
typedef enum MHD_Result vg_mhd_result;
#endif

struct vg_http_req {
	struct vg_buf body;
	bool too_large;   /* the body passed the cap; body holds what fit */
	void *user;       /* the caller's per-request state */
	void (*user_free)(void *user);
};

/* true when the whole request has arrived and *req describes it. */
bool vg_http_collect(void **con_cls, const char *upload_data, size_t *upload_data_size,
		     size_t cap, struct vg_http_req **req);
void vg_http_req_free(struct vg_http_req *req);
/* For MHD_OPTION_NOTIFY_COMPLETED. */
void vg_http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		       enum MHD_RequestTerminationCode toe);

/* Reply with a copy of body (n bytes); content_type may be NULL. */
vg_mhd_result vg_http_reply(struct MHD_Connection *c, unsigned status, const char *content_type,
			    const void *body, size_t n);
/* The same, with headers(r) adding a server's own headers (may be NULL). */
vg_mhd_result vg_http_reply_with(struct MHD_Connection *c, unsigned status,
				 const char *content_type, const void *body, size_t n,
				 void (*headers)(struct MHD_Response *r));
/* {"errorMessage":"...","errorType":"..."} with Content-Type application/json,
 * the error shape of the Lambda APIs. */
vg_mhd_result vg_http_reply_error(struct MHD_Connection *c, unsigned status,
				  const char *error_type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A request header, case-insensitively; NULL when absent. */
const char *vg_http_header(struct MHD_Connection *c, const char *name);

#endif
