/* GET / and the UI's script and style sheet, from the embedded copies. The
 * script and style are separate same-origin files so the page works under
 * a Content-Security-Policy with no 'unsafe-inline'. */
#include <string.h>

#include "col_assets.h"
#include "col_server_private.h"

vg_mhd_result col_route_ui(struct col_server *srv, struct MHD_Connection *c, const char *url)
{
	(void)srv;
	for (const struct col_asset *a = col_assets; a->url; a++) {
		if (strcmp(a->url, url) != 0)
			continue;
		struct MHD_Response *r = MHD_create_response_from_buffer(a->len, (void *)a->data,
		                                                         MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, "Content-Type", a->content_type);
		col_security_headers(r);
		vg_mhd_result ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	return col_reply_status(c, 404, 5, "not found");
}
