/* GET /api/groups: alert groups by fingerprint (rule, function, field
 * path), most recently seen first, each with a sparkline. window= is the
 * sparkline's span (a duration such as 1h or 7d, default 24h) and buckets=
 * its resolution (default 24). */
#include <errno.h>
#include <string.h>

#include "col_server_private.h"
#include "vg_time.h"
#include "vg_util.h"

vg_mhd_result col_route_groups(struct col_server *srv, struct MHD_Connection *c)
{
	struct col_filter f = {0};
	struct vg_buf out = VG_BUF_INIT(16u << 20);
	const char *bad = NULL, *v;
	int64_t now = (int64_t)vg_epoch_ns(), window = 24 * 3600 * 1000000000LL, since, nb = 24;
	vg_mhd_result r;

	if (col_filter_from_args(c, &f, &bad) < 0)
		return col_reply_status(c, 400, 3, "bad query parameter: %s", bad);
	if ((v = col_arg(c, "window"))) {
		/* A duration back from now, as since= takes it. */
		if (!strchr("smhd", v[strlen(v) - 1]) || col_parse_since(v, now, &since) < 0 ||
		    since >= now)
			return col_reply_status(c, 400, 3, "bad query parameter: window");
		window = now - since;
	}
	if ((v = col_arg(c, "buckets")) && vg_parse_i64(v, 1, 96, &nb) < 0)
		return col_reply_status(c, 400, 3, "bad query parameter: buckets");
	if (col_store_groups_json(srv->store, &f, now, window, (int)nb, &out) < 0)
		r = col_reply_status(c, 500, 13, "query failed");
	else
		r = col_reply(c, 200, "application/json", out.data, out.len);
	vg_buf_fini(&out);
	return r;
}
