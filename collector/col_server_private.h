/* Shared by the server and its routes (route_*.c). */
#ifndef COL_SERVER_PRIVATE_H
#define COL_SERVER_PRIVATE_H

#include <microhttpd.h>
#include <semaphore.h>

#include "col_forward.h"
#include "col_ratelimit.h"
#include "col_server.h"
#include "col_stream.h"
#include "vg_http.h"

/* Ingest counters, updated with relaxed atomics. */
struct col_counters {
	uint64_t requests, records, stored, duplicates, rejected;
	uint64_t bad_request, unauthorized, rate_limited, too_large, unsupported, failed;
};

struct col_server {
	struct col_server_opts opts;
	size_t token_len;
	struct col_store *store;
	struct MHD_Daemon *mhd;
	struct col_ratelimit *rl;
	struct col_stream *stream;
	struct col_forward *forward;
	struct col_counters n;
	unsigned sse_clients;
	uint16_t port;
	/* Bodies being inflated, parsed and stored at once: each may take many
	 * times its size in memory, so their number is capped. */
	sem_t ingest_slots;
};

#define COL_INGEST_PARALLEL    4

#define COL_COUNT(srv, field)  __atomic_add_fetch(&(srv)->n.field, 1, __ATOMIC_RELAXED)
#define COL_ADD(srv, field, v) __atomic_add_fetch(&(srv)->n.field, (v), __ATOMIC_RELAXED)

/* Adds the headers every answer carries (CSP, nosniff, no referrer). */
void col_security_headers(struct MHD_Response *r);
/* Replies with a copy of body plus the security headers. */
vg_mhd_result col_reply(struct MHD_Connection *c, unsigned status, const char *content_type,
                        const void *body, size_t n);
/* An OTLP error: a google.rpc.Status-shaped JSON body {"code":..,"message":..}. */
vg_mhd_result col_reply_status(struct MHD_Connection *c, unsigned status, int grpc_code,
                               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

vg_mhd_result col_route_logs(struct col_server *srv, struct MHD_Connection *c, void **con_cls,
                             const char *upload, size_t *upload_size);
vg_mhd_result col_route_alerts(struct col_server *srv, struct MHD_Connection *c);
vg_mhd_result col_route_groups(struct col_server *srv, struct MHD_Connection *c);
vg_mhd_result col_route_stats(struct col_server *srv, struct MHD_Connection *c);
vg_mhd_result col_route_stream(struct col_server *srv, struct MHD_Connection *c);
/* MHD_NO-free: answers 404 itself when url is not an asset. */
vg_mhd_result col_route_ui(struct col_server *srv, struct MHD_Connection *c, const char *url);

/* Query-string helpers for the API routes. */
const char *col_arg(struct MHD_Connection *c, const char *name);
/* Parses since= (epoch ms, ISO 8601 UTC, or a duration back from now such as
 * 15m, 2h, 7d); 0 or -EINVAL. */
int col_parse_since(const char *s, int64_t now_ns, int64_t *out_ns);
/* Fills f from the query string (function, category, severity, source,
 * kind, rule, path, request, q, since, limit, before, group); 0, or -EINVAL
 * with *bad naming the parameter. */
int col_filter_from_args(struct MHD_Connection *c, struct col_filter *f, const char **bad);

#endif
