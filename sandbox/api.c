/* The two HTTP listeners: the API (Runtime, Extensions, Telemetry, Logs)
 * that AWS_LAMBDA_RUNTIME_API names, and the invoke endpoint. Both run one
 * thread per connection so that long polls may block in their handler. */
#include "api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_log.h"

#define API_CONNECTIONS 64

static const struct sbx_route routes[] = {
    {"POST", "/2020-01-01/extension/register", NULL, SBX_SMALL_BODY_MAX, sbx_api_ext_register},
    {"GET", "/2020-01-01/extension/event/next", NULL, 0, sbx_api_ext_next},
    {"POST", "/2020-01-01/extension/init/error", NULL, SBX_SMALL_BODY_MAX, sbx_api_ext_init_error},
    {"POST", "/2020-01-01/extension/exit/error", NULL, SBX_SMALL_BODY_MAX, sbx_api_ext_exit_error},
    {"GET", "/2018-06-01/runtime/invocation/next", NULL, 0, sbx_api_rt_next},
    {"POST", "/2018-06-01/runtime/invocation/", "/response", SBX_PAYLOAD_MAX, sbx_api_rt_response},
    {"POST", "/2018-06-01/runtime/invocation/", "/error", SBX_PAYLOAD_MAX, sbx_api_rt_error},
    {"POST", "/2018-06-01/runtime/init/error", NULL, SBX_PAYLOAD_MAX, sbx_api_rt_init_error},
    {"PUT", "/2022-07-01/telemetry", NULL, SBX_SMALL_BODY_MAX, sbx_api_telemetry},
    {"PUT", "/2020-08-15/logs", NULL, SBX_SMALL_BODY_MAX, sbx_api_logs},
};

vg_mhd_result sbx_reply_accepted(struct MHD_Connection *c)
{
	static const char ok[] = "{\"status\":\"OK\"}\n";
	return vg_http_reply(c, 202, "application/json", ok, sizeof(ok) - 1);
}

/* Matches url against a route; for {id} routes copies the id. */
static bool route_match(const struct sbx_route *rt, const char *url, char *id, size_t idn)
{
	size_t pl = strlen(rt->path), ul = strlen(url), sl;

	if (!rt->suffix)
		return !strcmp(url, rt->path);
	sl = strlen(rt->suffix);
	if (ul <= pl + sl || strncmp(url, rt->path, pl) || strcmp(url + ul - sl, rt->suffix))
		return false;
	size_t n = ul - pl - sl;
	if (n >= idn || memchr(url + pl, '/', n))
		return false;
	memcpy(id, url + pl, n);
	id[n] = '\0';
	return true;
}

static const struct sbx_route *route_find(const char *url, const char *method, char *id, size_t idn,
                                          bool *other_method)
{
	*other_method = false;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_match(&routes[i], url, id, idn))
			continue;
		if (!strcmp(method, routes[i].method))
			return &routes[i];
		*other_method = true;
	}
	return NULL;
}

static void req_free(void *cls, struct MHD_Connection *c, void **con_cls,
                     enum MHD_RequestTerminationCode toe)
{
	struct sbx_req *r = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (r) {
		vg_buf_fini(&r->body);
		free(r);
	}
	*con_cls = NULL;
}

static vg_mhd_result api_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
	struct sbx *s = cls;
	struct sbx_req *r = *con_cls;
	(void)version;

	if (!r) {
		size_t cap;
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->route =
		    route_find(url, method, r->path_id, sizeof(r->path_id), &r->wrong_method);
		cap = r->route ? r->route->cap : 0;
		if (r->route && r->route->suffix) {
			/* A body for an invocation that is not under way is
			 * read and dropped, never stored. */
			pthread_mutex_lock(&s->lock);
			r->id_ok = sbx_api_rt_id_current(s, r->path_id);
			pthread_mutex_unlock(&s->lock);
			if (!r->id_ok)
				cap = 0;
		}
		vg_buf_init(&r->body, cap);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->route && !r->too_large && vg_buf_append(&r->body, upload, *upload_size) < 0)
			r->too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (!r->route) {
		if (r->wrong_method)
			return vg_http_reply_error(c, 405, "MethodNotAllowed",
			                           "%s is not allowed on %s", method, url);
		return vg_http_reply_error(c, 404, "NotFound", "no route %s %s", method, url);
	}
	return r->route->fn(s, c, r);
}

/* Resolves host:port (port 0 allowed) into a socket address. */
static int resolve(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *host,
                   size_t hostn)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
	unsigned port;
	char portstr[8];

	if (sbx_parse_listen(spec, host, hostn, &port) < 0)
		return -EINVAL;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (getaddrinfo(host, portstr, &hints, &ai) != 0)
		return -EADDRNOTAVAIL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static struct MHD_Daemon *listen_on(struct sbx *s, const char *spec, MHD_AccessHandlerCallback fn,
                                    unsigned limit, unsigned idle_s, char *addr, size_t addrn)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[256], num[INET6_ADDRSTRLEN];
	/* poll(), not select(): no FD_SETSIZE limit on descriptor numbers. */
	unsigned flags =
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;

	if (resolve(spec, &ss, &sl, host, sizeof(host)) < 0) {
		vg_log_error("cannot resolve %s", spec);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, fn, s, MHD_OPTION_SOCK_ADDR, &ss,
	                     MHD_OPTION_NOTIFY_COMPLETED, req_free, NULL,
	                     MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT,
	                     idle_s, MHD_OPTION_END);
	if (!d) {
		vg_log_error("cannot listen on %s", spec);
		return NULL;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		if (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr))
			snprintf(num, sizeof(num), "::1");
		else
			inet_ntop(AF_INET6, &a->sin6_addr, num, sizeof(num));
		snprintf(addr, addrn, "[%s]:%u", num, info ? info->port : 0);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		if (a->sin_addr.s_addr == htonl(INADDR_ANY))
			snprintf(num, sizeof(num), "127.0.0.1");
		else
			inet_ntop(AF_INET, &a->sin_addr, num, sizeof(num));
		snprintf(addr, addrn, "%s:%u", num, info ? info->port : 0);
	}
	return d;
}

int sbx_api_start(struct sbx *s)
{
	/* No idle timeout: a runtime keeps its connection for as long as its
	 * handler runs, and the APIs' long polls have none (as in Lambda). */
	s->api_daemon = listen_on(s, s->opts->api, api_access, API_CONNECTIONS, 0, s->api_addr,
	                          sizeof(s->api_addr));
	return s->api_daemon ? 0 : -EADDRNOTAVAIL;
}

int sbx_invoke_http_start(struct sbx *s)
{
	/* Idle callers are dropped after two minutes; a running invoke is not
	 * idle (its thread is in the handler). */
	s->invoke_daemon = listen_on(s, s->opts->listen, sbx_invoke_access, 32, 120, s->invoke_addr,
	                             sizeof(s->invoke_addr));
	return s->invoke_daemon ? 0 : -EADDRNOTAVAIL;
}

void sbx_http_stop(struct sbx *s)
{
	if (s->invoke_daemon)
		MHD_stop_daemon(s->invoke_daemon);
	if (s->api_daemon)
		MHD_stop_daemon(s->api_daemon);
	s->invoke_daemon = s->api_daemon = NULL;
}
