/* GET /api/stats: what is stored, and what ingest and forwarding did. */
#include "col_server_private.h"

#define LOAD(x) ((unsigned long long)__atomic_load_n(&(x), __ATOMIC_RELAXED))

vg_mhd_result col_route_stats(struct col_server *srv, struct MHD_Connection *c)
{
	struct vg_buf out = VG_BUF_INIT(1u << 20);
	const struct col_counters *n = &srv->n;
	vg_mhd_result r;

	vg_buf_putc(&out, '{');
	if (col_store_stats_json(srv->store, &out) < 0) {
		vg_buf_fini(&out);
		return col_reply_status(c, 500, 13, "query failed");
	}
	vg_buf_printf(&out,
	              ",\"ingest\":{\"requests\":%llu,\"records\":%llu,\"stored\":%llu,"
	              "\"duplicates\":%llu,\"rejected\":%llu,\"badRequest\":%llu,"
	              "\"unauthorized\":%llu,\"rateLimited\":%llu,\"tooLarge\":%llu,"
	              "\"unsupported\":%llu,\"failed\":%llu}",
	              LOAD(n->requests), LOAD(n->records), LOAD(n->stored), LOAD(n->duplicates),
	              LOAD(n->rejected), LOAD(n->bad_request), LOAD(n->unauthorized),
	              LOAD(n->rate_limited), LOAD(n->too_large), LOAD(n->unsupported),
	              LOAD(n->failed));
	if (srv->forward) {
		struct col_forward_stats fs;
		col_forward_stats(srv->forward, &fs);
		vg_buf_printf(&out,
		              ",\"forward\":{\"queued\":%llu,\"sent\":%llu,\"dropped\":%llu,"
		              "\"failed\":%llu,\"retries\":%llu}",
		              (unsigned long long)fs.queued, (unsigned long long)fs.sent,
		              (unsigned long long)fs.dropped, (unsigned long long)fs.failed,
		              (unsigned long long)fs.retries);
	}
	vg_buf_printf(&out, ",\"streamClients\":%u}",
	              __atomic_load_n(&srv->sse_clients, __ATOMIC_RELAXED));
	r = col_reply(c, 200, "application/json", out.data, out.len);
	vg_buf_fini(&out);
	return r;
}
