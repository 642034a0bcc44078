/* GET /api/alerts: filtered, newest first, paged with before=<id>. */
#include <errno.h>

#include "col_server_private.h"
#include "vg_time.h"
#include "vg_util.h"

#define REPLY_CAP (64u << 20)

int col_filter_from_args(struct MHD_Connection *c, struct col_filter *f, const char **bad)
{
	const char *v;
	int64_t n;

	f->function = col_arg(c, "function");
	f->category = col_arg(c, "category");
	f->severity = col_arg(c, "severity");
	f->source = col_arg(c, "source");
	f->kind = col_arg(c, "kind");
	f->rule = col_arg(c, "rule");
	f->path = col_arg(c, "path");
	f->request = col_arg(c, "request");
	f->q = col_arg(c, "q");
	if ((v = col_arg(c, "since")) &&
	    col_parse_since(v, (int64_t)vg_epoch_ns(), &f->since_ns) < 0) {
		*bad = "since";
		return -EINVAL;
	}
	if ((v = col_arg(c, "limit"))) {
		if (vg_parse_i64(v, 1, COL_QUERY_MAX_LIMIT, &n) < 0) {
			*bad = "limit";
			return -EINVAL;
		}
		f->limit = (int)n;
	}
	if ((v = col_arg(c, "before"))) {
		if (vg_parse_i64(v, 1, INT64_MAX, &f->before_id) < 0) {
			*bad = "before";
			return -EINVAL;
		}
	}
	if ((v = col_arg(c, "group"))) {
		if (vg_parse_i64(v, 1, INT64_MAX, &f->group) < 0) {
			*bad = "group";
			return -EINVAL;
		}
	}
	return 0;
}

vg_mhd_result col_route_alerts(struct col_server *srv, struct MHD_Connection *c)
{
	struct col_filter f = {0};
	struct vg_buf out = VG_BUF_INIT(REPLY_CAP);
	const char *bad = NULL;
	vg_mhd_result r;
	int rc;

	if (col_filter_from_args(c, &f, &bad) < 0)
		return col_reply_status(c, 400, 3, "bad query parameter: %s", bad);
	rc = col_store_alerts_json(srv->store, &f, &out);
	if (rc < 0)
		r = col_reply_status(c, rc == -ENOBUFS ? 413 : 500, 13,
		                     rc == -ENOBUFS ? "answer too large; lower limit"
		                                    : "query failed");
	else
		r = col_reply(c, 200, "application/json", out.data, out.len);
	vg_buf_fini(&out);
	return r;
}
