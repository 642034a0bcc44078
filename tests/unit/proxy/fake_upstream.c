#include "fake_upstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "px_client.h"
#include "vg_http.h"
#include "vg_time.h"

#define BODY_CAP (16u * 1024 * 1024)

static vg_mhd_result add_line(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	vg_buf_printf(cls, "%s: %s\n", k, v ? v : "");
	return MHD_YES;
}

static vg_mhd_result add_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	char *url = cls;
	size_t n = strlen(url);
	snprintf(url + n, 1024 - n, "%c%s%s%s", strchr(url, '?') ? '&' : '?', k, v ? "=" : "",
	         v ? v : "");
	return MHD_YES;
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static vg_mhd_result serve_next(struct fake_up *f, struct MHD_Connection *c)
{
	char rid[64];
	pthread_mutex_lock(&f->m);
	unsigned n = ++f->n_next;
	f->n_waiting++;
	if (f->n_waiting >= f->next_hold)
		f->released = true;
	pthread_cond_broadcast(&f->cv);
	while (!f->stopping &&
	       (f->next_hang || (f->next_limit && n > f->next_limit) || !f->released)) {
		struct timespec ts;
		deadline_in(&ts, 100);
		pthread_cond_timedwait(&f->cv, &f->m, &ts);
	}
	f->n_waiting--;
	bool stop = f->stopping;
	pthread_mutex_unlock(&f->m);
	if (stop)
		return MHD_NO;
	snprintf(rid, sizeof(rid), "req-%u", n);
	const char *ev = f->event ? f->event : "{\"hello\":\"world\"}";
	size_t len = f->event ? f->event_len : strlen(ev);
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)ev, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Lambda-Runtime-Aws-Request-Id", rid);
	MHD_add_response_header(r, "Lambda-Runtime-Deadline-Ms", "1700000003000");
	MHD_add_response_header(r, "Lambda-Runtime-Invoked-Function-Arn",
	                        "arn:aws:lambda:us-east-1:123456789012:function:fn");
	MHD_add_response_header(r, "Lambda-Runtime-Trace-Id",
	                        "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
	MHD_add_response_header(r, "Lambda-Runtime-Client-Context", "{\"client\":{\"a\":1}}");
	MHD_add_response_header(
	    r, "Lambda-Runtime-Cognito-Identity",
	    "{\"cognitoIdentityId\":\"id\",\"cognitoIdentityPoolId\":\"pool\"}");
	MHD_add_response_header(r, "Lambda-Runtime-Aws-Tenant-Id", "tenant-7");
	vg_mhd_result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static bool probe_ready(uint16_t port)
{
	char hp[32];
	struct px_pool p;
	struct px_resp r;
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", port);
	px_pool_init(&p, hp);
	px_resp_init(&r);
	int ret = px_request(&p, "GET", "/vigil/ready", NULL, NULL, 0, &r, 4096, 2000);
	bool ok = ret == 0 && r.status == 200;
	px_resp_fini(&r);
	px_pool_fini(&p);
	return ok;
}

static bool port_bound(uint16_t port)
{
	char hp[32];
	struct px_pool p;
	struct px_conn *c;
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", port);
	px_pool_init(&p, hp);
	bool ok = px_pool_connect(&p, &c) == 0;
	if (ok)
		px_pool_put(&p, c, false);
	px_pool_fini(&p);
	return ok;
}

static const char *hdr(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	return v ? v : "";
}

static vg_mhd_result serve_extension(struct fake_up *f, struct MHD_Connection *c, const char *url,
                                     const char *method, const struct vg_http_req *req)
{
	const char *body = req->body.data ? req->body.data : "";
	if (!strcmp(url, "/2020-01-01/extension/register")) {
		uint64_t t = vg_mono_ns();
		bool ready = f->probe_proxy_port && probe_ready(f->probe_proxy_port);
		bool bound = f->probe_telemetry_port && port_bound(f->probe_telemetry_port);
		pthread_mutex_lock(&f->m);
		f->n_register++;
		f->t_register_ns = t;
		f->proxy_ready_at_register = ready;
		f->telemetry_bound_at_register = bound;
		snprintf(f->ext_name, sizeof(f->ext_name), "%s", hdr(c, "Lambda-Extension-Name"));
		snprintf(f->ext_events, sizeof(f->ext_events), "%s", body);
		pthread_mutex_unlock(&f->m);
		static const char reply[] =
		    "{\"functionName\":\"fn\",\"functionVersion\":\"$LATEST\",\"handler\":\"h\"}\n";
		struct MHD_Response *r = MHD_create_response_from_buffer(
		    sizeof(reply) - 1, (void *)reply, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Lambda-Extension-Identifier",
		                        "6f1a2b3c-0000-4000-8000-00000000abcd");
		MHD_add_response_header(r, "Content-Type", "application/json");
		vg_mhd_result ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!strcmp(url, "/2022-07-01/telemetry")) {
		pthread_mutex_lock(&f->m);
		f->n_subscribe++;
		snprintf(f->subscription, sizeof(f->subscription), "%s", body);
		pthread_mutex_unlock(&f->m);
		unsigned st = f->telemetry_status ? f->telemetry_status : 200;
		if (st >= 400)
			return vg_http_reply_error(c, st, "ValidationError", "refused");
		return vg_http_reply(c, st, "application/json", "\"OK\"", 4);
	}
	if (!strcmp(url, "/2020-01-01/extension/init/error")) {
		pthread_mutex_lock(&f->m);
		snprintf(f->init_error_type, sizeof(f->init_error_type), "%s",
		         hdr(c, "Lambda-Extension-Function-Error-Type"));
		snprintf(f->init_error_body, sizeof(f->init_error_body), "%s", body);
		pthread_mutex_unlock(&f->m);
		return vg_http_reply(c, 202, "application/json", "{\"status\":\"OK\"}", 15);
	}
	/* event/next */
	uint64_t t = vg_mono_ns();
	pthread_mutex_lock(&f->m);
	if (!f->n_ext_next++)
		f->t_first_ext_next_ns = t;
	pthread_cond_broadcast(&f->cv);
	while (!f->stopping && !f->shutdown_now) {
		struct timespec ts;
		deadline_in(&ts, 100);
		pthread_cond_timedwait(&f->cv, &f->m, &ts);
	}
	bool stop = f->stopping;
	unsigned budget = f->shutdown_budget_ms ? f->shutdown_budget_ms : 2000;
	pthread_mutex_unlock(&f->m);
	if (stop)
		return MHD_NO;
	char ev[160];
	int n = snprintf(
	    ev, sizeof(ev),
	    "{\"eventType\":\"SHUTDOWN\",\"deadlineMs\":%lld,\"shutdownReason\":\"spindown\"}",
	    (long long)(vg_epoch_ms() + budget));
	return vg_http_reply(c, 200, NULL, ev, (size_t)n);
}

void fake_up_shutdown(struct fake_up *f, unsigned budget_ms)
{
	pthread_mutex_lock(&f->m);
	f->shutdown_budget_ms = budget_ms;
	f->shutdown_now = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->m);
}

static vg_mhd_result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
	struct fake_up *f = cls;
	struct vg_http_req *req;

	if (*con_cls && *upload_size) {
		pthread_mutex_lock(&f->m);
		f->bytes_seen += *upload_size;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->m);
	} else if (!*con_cls) {
		pthread_mutex_lock(&f->m);
		f->bytes_seen = 0;
		pthread_mutex_unlock(&f->m);
	}
	if (!vg_http_collect(con_cls, upload, upload_size, BODY_CAP, &req))
		return MHD_YES;

	pthread_mutex_lock(&f->m);
	f->n_requests++;
	snprintf(f->method, sizeof(f->method), "%s", method);
	snprintf(f->url, sizeof(f->url), "%s", url);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, f->url);
	vg_buf_reset(&f->headers);
	vg_buf_reset(&f->trailers);
	vg_buf_reset(&f->body);
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_line, &f->headers);
	MHD_get_connection_values(c, MHD_FOOTER_KIND, add_line, &f->trailers);
	vg_buf_append(&f->body, req->body.data, req->body.len);
	if (!strcmp(method, "POST")) {
		snprintf(f->post_url, sizeof(f->post_url), "%s", url);
		snprintf(f->post_error_type, sizeof(f->post_error_type), "%s",
		         hdr(c, "Lambda-Runtime-Function-Error-Type"));
		snprintf(f->post_data, sizeof(f->post_data), "%.*s",
		         (int)(req->body.len < sizeof(f->post_data) ? req->body.len
		                                                    : sizeof(f->post_data) - 1),
		         req->body.data ? req->body.data : "");
	}
	if (strstr(url, "/error")) {
		size_t n = strlen(f->error_urls);
		snprintf(f->error_urls + n, sizeof(f->error_urls) - n, "%s ", url);
	}
	pthread_mutex_unlock(&f->m);

	if (!strncmp(url, "/2020-01-01/extension/", 22) || !strcmp(url, "/2022-07-01/telemetry"))
		return serve_extension(f, c, url, method, req);
	if (!strcmp(method, "GET") && strstr(url, "/invocation/next"))
		return serve_next(f, c);
	if (!strcmp(method, "POST")) {
		const char *b = f->post_body ? f->post_body : "{\"status\":\"OK\"}";
		return vg_http_reply(c, f->post_status ? f->post_status : 202, "application/json",
		                     b, strlen(b));
	}
	return vg_http_reply_error(c, 404, "NotFound", "no route %s", url);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct fake_up *f = cls;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&f->m);
	f->n_conn++;
	pthread_mutex_unlock(&f->m);
}

int fake_up_start(struct fake_up *f)
{
	pthread_mutex_init(&f->m, NULL);
	pthread_cond_init(&f->cv, NULL);
	vg_buf_init(&f->headers, 1u << 20);
	vg_buf_init(&f->trailers, 1u << 20);
	vg_buf_init(&f->body, BODY_CAP);
	f->d = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL,
	    NULL, on_request, f, MHD_OPTION_NOTIFY_COMPLETED, vg_http_completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, f, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(512 * 1024), MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
	if (!f->d)
		return -EIO;
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	f->port = i->port;
	snprintf(f->hostport, sizeof(f->hostport), "127.0.0.1:%u", f->port);
	return 0;
}

void fake_up_stop(struct fake_up *f)
{
	pthread_mutex_lock(&f->m);
	f->stopping = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->m);
	MHD_stop_daemon(f->d);
	vg_buf_fini(&f->headers);
	vg_buf_fini(&f->trailers);
	vg_buf_fini(&f->body);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->m);
}

static bool wait_for(struct fake_up *f, const size_t *bytes, const unsigned *waiting, size_t n,
                     unsigned timeout_ms);

bool fake_up_wait_ext_next(struct fake_up *f, unsigned n, unsigned timeout_ms)
{
	return wait_for(f, NULL, &f->n_ext_next, n, timeout_ms);
}

static bool wait_for(struct fake_up *f, const size_t *bytes, const unsigned *waiting, size_t n,
                     unsigned timeout_ms)
{
	struct timespec ts;
	deadline_in(&ts, timeout_ms);
	pthread_mutex_lock(&f->m);
	bool ok;
	while (!(ok = bytes ? *bytes >= n : *waiting >= n))
		if (pthread_cond_timedwait(&f->cv, &f->m, &ts) == ETIMEDOUT) {
			ok = bytes ? *bytes >= n : *waiting >= n;
			break;
		}
	pthread_mutex_unlock(&f->m);
	return ok;
}

bool fake_up_wait_bytes(struct fake_up *f, size_t n, unsigned timeout_ms)
{
	return wait_for(f, &f->bytes_seen, NULL, n, timeout_ms);
}

bool fake_up_wait_waiting(struct fake_up *f, unsigned n, unsigned timeout_ms)
{
	return wait_for(f, NULL, &f->n_waiting, n, timeout_ms);
}
