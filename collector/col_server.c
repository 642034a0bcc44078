#include "col_server_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vg_log.h"
#include "vg_time.h"
#include "vg_util.h"

#define CSP                                                                                        \
	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"             \
	" img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

void col_security_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

vg_mhd_result col_reply(struct MHD_Connection *c, unsigned status, const char *content_type,
                        const void *body, size_t n)
{
	return vg_http_reply_with(c, status, content_type, body, n, col_security_headers);
}

vg_mhd_result col_reply_status(struct MHD_Connection *c, unsigned status, int grpc_code,
                               const char *fmt, ...)
{
	struct vg_buf msg = VG_BUF_INIT(1024), out = VG_BUF_INIT(4096);
	va_list ap;

	va_start(ap, fmt);
	vg_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	vg_buf_printf(&out, "{\"code\":%d,\"message\":", grpc_code);
	vg_buf_json_str(&out, msg.data ? msg.data : "", msg.len);
	vg_buf_puts(&out, "}\n");
	vg_mhd_result r = col_reply(c, status, "application/json", out.data, out.len);
	vg_buf_fini(&msg);
	vg_buf_fini(&out);
	return r;
}

const char *col_arg(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	return v && *v ? v : NULL;
}

int col_parse_since(const char *s, int64_t now_ns, int64_t *out_ns)
{
	size_t n = strlen(s);
	int64_t v;

	if (n >= 2 && strchr("smhd", s[n - 1]) &&
	    vg_parse_i64n(s, n - 1, 0, 3650LL * 86400, &v) == 0) {
		int64_t unit = s[n - 1] == 's'   ? 1
		               : s[n - 1] == 'm' ? 60
		               : s[n - 1] == 'h' ? 3600
		                                 : 86400;
		*out_ns = now_ns - v * unit * 1000000000LL;
		return 0;
	}
	if (vg_parse_i64(s, 0, INT64_MAX / 1000000, &v) == 0) {
		*out_ns = v * 1000000;
		return 0;
	}
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end && (!*end || !strcmp(end, "Z") || (*end == '.' && end[strlen(end) - 1] == 'Z'))) {
		*out_ns = (int64_t)timegm(&tm) * 1000000000LL;
		return 0;
	}
	return -EINVAL;
}

static vg_mhd_result route_get(struct col_server *srv, struct MHD_Connection *c, const char *url)
{
	if (!strcmp(url, "/healthz"))
		return col_reply(c, 200, "application/json", "{\"status\":\"ok\"}\n", 16);
	if (!strcmp(url, "/api/alerts"))
		return col_route_alerts(srv, c);
	if (!strcmp(url, "/api/groups"))
		return col_route_groups(srv, c);
	if (!strcmp(url, "/api/stats"))
		return col_route_stats(srv, c);
	if (!strcmp(url, "/api/stream"))
		return col_route_stream(srv, c);
	return col_route_ui(srv, c, url);
}

static vg_mhd_result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
	struct col_server *srv = cls;

	if (!strcmp(url, "/v1/logs")) {
		if (strcmp(method, "POST") != 0)
			return col_reply_status(c, 405, 12, "use POST");
		return col_route_logs(srv, c, con_cls, upload, upload_size);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return col_reply_status(c, 405, 12, "method not allowed");
	return route_get(srv, c, url);
}

static int resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
	char p[8];

	snprintf(p, sizeof(p), "%u", port);
	if (getaddrinfo(host, p, &hints, &ai) != 0 || !ai)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	vg_log_debug("http: %s", line);
}

int col_server_new(const struct col_server_opts *o, struct col_store *store,
                   struct col_server **out)
{
	struct col_server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_storage ss;
	socklen_t sslen;
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	int rc;

	if (!srv)
		return -ENOMEM;
	srv->opts = *o;
	srv->store = store;
	srv->token_len = o->token ? strlen(o->token) : 0;
	sem_init(&srv->ingest_slots, 0, COL_INGEST_PARALLEL);
	if ((rc = resolve(o->host, o->port, &ss, &sslen)) < 0) {
		vg_log_error("cannot resolve listen address %s", o->host);
		goto fail;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if ((rc = col_stream_new(1024, &srv->stream)) < 0)
		goto fail;
	if (o->rate > 0 && (rc = col_ratelimit_new(o->rate, o->burst, &srv->rl)) < 0)
		goto fail;
	if (o->forward_url && (rc = col_forward_new(o->forward_url, o->forward_token,
	                                            o->forward_queue, &srv->forward)) < 0)
		goto fail;
	srv->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_NOTIFY_COMPLETED, vg_http_completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
	    o->max_connections ? o->max_connections : 256, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64,
	    MHD_OPTION_CONNECTION_TIMEOUT, 120, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
	    MHD_OPTION_END);
	if (!srv->mhd) {
		vg_log_error("cannot listen on %s:%u", o->host, o->port);
		rc = -EADDRINUSE;
		goto fail;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : o->port;
	*out = srv;
	return 0;
fail:
	col_server_free(srv);
	return rc;
}

uint16_t col_server_port(const struct col_server *srv)
{
	return srv->port;
}

void col_server_free(struct col_server *srv)
{
	if (!srv)
		return;
	/* Live streams wait in their connection threads: end them first, or
	 * stopping the daemon would wait for their keep-alive timeout. */
	if (srv->stream)
		col_stream_close(srv->stream);
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	col_forward_free(srv->forward, 2000);
	col_ratelimit_free(srv->rl);
	col_stream_free(srv->stream);
	sem_destroy(&srv->ingest_slots);
	free(srv);
}
