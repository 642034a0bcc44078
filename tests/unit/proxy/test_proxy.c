/* The proxy against a fake Runtime API: routes, headers both ways, status
 * codes and bodies unchanged, streaming with trailers, concurrency,
 * keep-alive, large payloads, upstream failures and the inspection hook. */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_upstream.h"
#include "px_client.h"
#include "px_proxy.h"
#include "vg_buf.h"

static struct fake_up up;
static struct px_proxy *px;
static char base[64];

struct health_log {
	pthread_mutex_t m;
	unsigned n;
	char category[64];
	char rid[64];
};
static struct health_log hl = {.m = PTHREAD_MUTEX_INITIALIZER};

static void on_health(void *ctx, const char *category, const char *rid, const char *msg)
{
	pthread_mutex_lock(&hl.m);
	hl.n++;
	snprintf(hl.category, sizeof(hl.category), "%s", category);
	snprintf(hl.rid, sizeof(hl.rid), "%s", rid);
	pthread_mutex_unlock(&hl.m);
}

/* Request ids the proxy reported as answered, space-separated. */
static struct {
	pthread_mutex_t m;
	char rids[1024];
} answered = {.m = PTHREAD_MUTEX_INITIALIZER};

static void on_responded(void *ctx, const char *rid)
{
	pthread_mutex_lock(&answered.m);
	size_t n = strlen(answered.rids);
	snprintf(answered.rids + n, sizeof(answered.rids) - n, "%s ", rid);
	pthread_mutex_unlock(&answered.m);
}

static unsigned n_disconnected;

static void on_disconnected(void *ctx)
{
	pthread_mutex_lock(&answered.m);
	n_disconnected++;
	pthread_mutex_unlock(&answered.m);
}

static void start_proxy(const struct px_inspector *in, bool block, bool fail_closed)
{
	struct px_proxy_opts o = {
	    .upstream = up.hostport,
	    .inspector = in,
	    .block = block,
	    .fail_closed = fail_closed,
	    .health = on_health,
	    .responded = on_responded,
	    .disconnected = on_disconnected,
	};
	answered.rids[0] = '\0';
	n_disconnected = 0;
	ck_assert_int_eq(px_proxy_new(&o, &px), 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", px_proxy_port(px));
}

static void setup(void)
{
	memset(&up, 0, sizeof(up));
	ck_assert_int_eq(fake_up_start(&up), 0);
	hl.n = 0;
	hl.category[0] = hl.rid[0] = '\0';
	start_proxy(NULL, false, false);
}

static void teardown(void)
{
	px_proxy_free(px);
	px = NULL;
	fake_up_stop(&up);
}

/* --- a small libcurl client (independent of the proxy's own client) ----- */

struct reply {
	long status;
	struct vg_buf body;
	struct vg_buf headers;
	CURLcode code;
};

static size_t on_data(char *p, size_t s, size_t n, void *ud)
{
	vg_buf_append(ud, p, s * n);
	return s * n;
}

static void http_with(CURL *h, const char *method, const char *path, const char *const *hdrs,
                      const char *body, size_t n, struct reply *r)
{
	char url[2048];
	struct curl_slist *sl = NULL;
	snprintf(url, sizeof(url), "%s%s", base, path);
	vg_buf_init(&r->body, 64u << 20);
	vg_buf_init(&r->headers, 1u << 20);
	for (; hdrs && *hdrs; hdrs++)
		sl = curl_slist_append(sl, *hdrs);
	sl = curl_slist_append(sl, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->headers);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	r->code = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(sl);
}

static void http(const char *method, const char *path, const char *const *hdrs, const char *body,
                 size_t n, struct reply *r)
{
	CURL *h = curl_easy_init();
	http_with(h, method, path, hdrs, body, n, r);
	curl_easy_cleanup(h);
}

static void reply_fini(struct reply *r)
{
	vg_buf_fini(&r->body);
	vg_buf_fini(&r->headers);
}

static bool has_header(const struct reply *r, const char *line)
{
	return r->headers.data && strcasestr(r->headers.data, line);
}

/* --- routes and headers ----------------------------------------------- */

START_TEST(next_relays_event_and_every_header)
{
	struct reply r;
	http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.code, CURLE_OK);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body.data, "{\"hello\":\"world\"}");
	ck_assert(has_header(&r, "Lambda-Runtime-Aws-Request-Id: req-1\r\n"));
	ck_assert(has_header(&r, "Lambda-Runtime-Deadline-Ms: 1700000003000\r\n"));
	ck_assert(has_header(&r, "Lambda-Runtime-Invoked-Function-Arn: "
	                         "arn:aws:lambda:us-east-1:123456789012:function:fn\r\n"));
	ck_assert(has_header(&r, "Lambda-Runtime-Trace-Id: "
	                         "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1\r\n"));
	ck_assert(has_header(&r, "Lambda-Runtime-Client-Context: {\"client\":{\"a\":1}}\r\n"));
	ck_assert(has_header(&r, "Lambda-Runtime-Cognito-Identity: {\"cognitoIdentityId\""));
	ck_assert(has_header(&r, "Lambda-Runtime-Aws-Tenant-Id: tenant-7\r\n"));
	ck_assert(has_header(&r, "Content-Type: application/json\r\n"));
	ck_assert_str_eq(up.method, "GET");
	ck_assert_str_eq(up.url, "/2018-06-01/runtime/invocation/next");
	reply_fini(&r);
}
END_TEST

START_TEST(response_body_and_headers_reach_upstream)
{
	static const char *const h[] = {"Content-Type: text/plain", "X-Custom: 42", NULL};
	struct reply r;
	http("POST", "/2018-06-01/runtime/invocation/req-1/response", h, "result!", 7, &r);
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(r.body.data, "{\"status\":\"OK\"}");
	ck_assert_str_eq(up.method, "POST");
	ck_assert_str_eq(up.url, "/2018-06-01/runtime/invocation/req-1/response");
	ck_assert_str_eq(up.body.data, "result!");
	ck_assert_ptr_nonnull(strstr(up.headers.data, "Content-Type: text/plain\n"));
	ck_assert_ptr_nonnull(strstr(up.headers.data, "X-Custom: 42\n"));
	ck_assert_ptr_nonnull(strstr(up.headers.data, "Content-Length: 7\n"));
	reply_fini(&r);
}
END_TEST

START_TEST(error_relays_error_type_and_xray_cause)
{
	/* A near-64 KiB X-Ray error cause, the largest Lambda accepts. */
	size_t n = 60000;
	char *cause = malloc(n + 64);
	strcpy(cause, "Lambda-Runtime-Function-XRay-Error-Cause: {\"x\":\"");
	size_t l = strlen(cause);
	memset(cause + l, 'c', n);
	strcpy(cause + l + n, "\"}");
	const char *h[] = {"Lambda-Runtime-Function-Error-Type: Runtime.Crash", cause, NULL};
	const char *doc = "{\"errorMessage\":\"boom\",\"errorType\":\"Error\"}";
	struct reply r;
	http("POST", "/2018-06-01/runtime/invocation/req-9/error", h, doc, strlen(doc), &r);
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(up.body.data, doc);
	ck_assert_ptr_nonnull(
	    strstr(up.headers.data, "Lambda-Runtime-Function-Error-Type: Runtime.Crash\n"));
	char *got = strstr(up.headers.data, "Lambda-Runtime-Function-XRay-Error-Cause: ");
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(strncmp(got, cause, l + n + 2), 0);
	reply_fini(&r);
	free(cause);
}
END_TEST

START_TEST(init_error_and_restore_routes_pass)
{
	static const char *const h[] = {"Lambda-Runtime-Function-Error-Type: Runtime.BadInit",
	                                NULL};
	struct reply r;
	http("POST", "/2018-06-01/runtime/init/error", h, "{}", 2, &r);
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(up.url, "/2018-06-01/runtime/init/error");
	reply_fini(&r);
	http("POST", "/2018-06-01/runtime/restore/error", h, "{}", 2, &r);
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(up.url, "/2018-06-01/runtime/restore/error");
	reply_fini(&r);
}
END_TEST

START_TEST(unknown_path_and_query_pass_through)
{
	struct reply r;
	http("GET", "/2099-01-01/whatever/x%20y?a=1&b", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"errorType\":\"NotFound\""));
	ck_assert_str_eq(up.url, "/2099-01-01/whatever/x y?a=1&b");
	reply_fini(&r);
}
END_TEST

START_TEST(status_codes_and_bodies_unchanged)
{
	static const unsigned codes[] = {400, 403, 413, 500};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		up.post_status = codes[i];
		up.post_body = "{\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 "
		               "bytes).\",\"errorType\":\"RequestEntityTooLarge\"}";
		struct reply r;
		http("POST", "/2018-06-01/runtime/invocation/req-1/response", NULL, "x", 1, &r);
		ck_assert_int_eq(r.status, codes[i]);
		ck_assert_str_eq(r.body.data, up.post_body);
		reply_fini(&r);
	}
}
END_TEST

START_TEST(ready_probe_answered_by_proxy)
{
	struct reply r;
	http("GET", PX_READY_PATH, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body.data, "{\"ready\":true}");
	ck_assert_uint_eq(up.n_requests, 0);
	reply_fini(&r);
}
END_TEST

START_TEST(hop_by_hop_headers)
{
	ck_assert(px_header_is_hop("Connection"));
	ck_assert(px_header_is_hop("transfer-encoding"));
	ck_assert(px_header_is_hop("HOST"));
	ck_assert(!px_header_is_hop("Trailer"));
	ck_assert(!px_header_is_hop("Lambda-Runtime-Aws-Request-Id"));
}
END_TEST

/* --- streaming --------------------------------------------------------- */

static int raw_connect(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(px_proxy_port(px))};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void raw_send(int fd, const char *s)
{
	ck_assert_int_eq(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

START_TEST(streamed_response_forwarded_chunk_by_chunk_with_trailers)
{
	int fd = raw_connect();
	raw_send(
	    fd,
	    "POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\n"
	    "Host: x\r\n"
	    "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
	    "\r\n"
	    "6\r\nfirst,\r\n");
	/* The first chunk reaches the upstream while the runtime has not
	 * finished: nothing is held back until the end. */
	ck_assert(fake_up_wait_bytes(&up, 6, 10000));
	raw_send(fd, "7\r\nsecond.\r\n0\r\n"
	             "Lambda-Runtime-Function-Error-Type: Function.StreamError\r\n"
	             "Lambda-Runtime-Function-Error-Body: eyJlcnJvck1lc3NhZ2UiOiJ4In0=\r\n"
	             "\r\n");
	char buf[4096];
	size_t got = 0;
	while (got < sizeof(buf) - 1) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "{\"status\":\"OK\"}"))
			break;
	}
	buf[got] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 202"));
	ck_assert_str_eq(up.body.data, "first,second.");
	ck_assert_ptr_nonnull(
	    strstr(up.headers.data, "Lambda-Runtime-Function-Response-Mode: streaming\n"));
	ck_assert_ptr_nonnull(strstr(up.headers.data, "Transfer-Encoding: chunked\n"));
	ck_assert_ptr_nonnull(
	    strstr(up.trailers.data, "Lambda-Runtime-Function-Error-Type: Function.StreamError\n"));
	ck_assert_ptr_nonnull(
	    strstr(up.trailers.data,
	           "Lambda-Runtime-Function-Error-Body: eyJlcnJvck1lc3NhZ2UiOiJ4In0=\n"));
	close(fd);
}
END_TEST

/* Reads from fd until needle has been seen count times, the peer closed,
 * or 10 s passed; returns what arrived (static buffer). */
static const char *raw_read_until(int fd, const char *needle, int count, bool *closed)
{
	static char buf[65536];
	size_t got = 0;
	*closed = false;
	buf[0] = '\0';
	for (int waited = 0; waited < 1000 && got < sizeof(buf) - 1;) {
		int seen = 0;
		for (const char *p = buf; (p = strstr(p, needle)); p++)
			seen++;
		if (seen >= count)
			break;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 10) == 0) {
			waited++;
			continue;
		}
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0) {
			*closed = true;
			break;
		}
		got += (size_t)n;
		buf[got] = '\0';
	}
	return buf;
}

START_TEST(server_rejects_malformed_request)
{
	bool closed;
	int fd = raw_connect();
	raw_send(fd, "NONSENSE\r\n\r\n");
	const char *got = raw_read_until(fd, "malformed request", 1, &closed);
	ck_assert_ptr_nonnull(strstr(got, "HTTP/1.1 400 "));
	ck_assert_uint_eq(up.n_requests, 0);
	raw_read_until(fd, "never", 1, &closed);
	ck_assert(closed);
	close(fd);
	/* A bad Content-Length too. */
	fd = raw_connect();
	raw_send(fd, "POST /x HTTP/1.1\r\nContent-Length: -3\r\n\r\n");
	ck_assert_ptr_nonnull(
	    strstr(raw_read_until(fd, "malformed request", 1, &closed), "HTTP/1.1 400 "));
	close(fd);
}
END_TEST

START_TEST(server_keeps_alive_across_back_to_back_requests)
{
	bool closed;
	int fd = raw_connect();
	/* Two requests in one write: both answered, in order, on one
	 * connection; a chunk extension is accepted. */
	raw_send(fd, "POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\nHost: x\r\n"
	             "Content-Length: 3\r\n\r\nabc"
	             "POST /2018-06-01/runtime/invocation/b/response HTTP/1.1\r\nHost: x\r\n"
	             "Transfer-Encoding: chunked\r\n\r\n2;ext=1\r\nde\r\n0\r\n\r\n");
	const char *got = raw_read_until(fd, "{\"status\":\"OK\"}", 2, &closed);
	ck_assert(!closed);
	const char *first = strstr(got, "HTTP/1.1 202 ");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(strstr(first + 1, "HTTP/1.1 202 "));
	ck_assert_uint_eq(up.n_requests, 2);
	ck_assert_str_eq(up.url, "/2018-06-01/runtime/invocation/b/response");
	ck_assert_str_eq(up.body.data, "de");
	close(fd);
}
END_TEST

START_TEST(server_http10_and_expect_continue)
{
	bool closed;
	int fd = raw_connect();
	raw_send(fd, "POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\nHost: x\r\n"
	             "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(raw_read_until(fd, "100 Continue\r\n\r\n", 1, &closed),
	                             "HTTP/1.1 100 Continue"));
	raw_send(fd, "ok");
	ck_assert_ptr_nonnull(
	    strstr(raw_read_until(fd, "{\"status\":\"OK\"}", 1, &closed), "HTTP/1.1 202 "));
	ck_assert_str_eq(up.body.data, "ok");
	close(fd);
	/* HTTP/1.0 without keep-alive: answered, then closed. */
	fd = raw_connect();
	raw_send(fd, "GET /2018-06-01/runtime/invocation/next HTTP/1.0\r\n\r\n");
	const char *got = raw_read_until(fd, "never", 1, &closed);
	ck_assert(closed);
	ck_assert_ptr_nonnull(strstr(got, "Connection: close\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "{\"hello\":\"world\"}"));
	close(fd);
}
END_TEST

/* --- concurrency, keep-alive, sizes ---------------------------------- */

static void *next_thread(void *arg)
{
	struct reply *r = arg;
	http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, r);
	return NULL;
}

START_TEST(concurrent_next_calls)
{
	/* The upstream answers only once both calls wait at the same time. */
	up.next_hold = 2;
	pthread_t t[2];
	struct reply r[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, next_thread, &r[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(r[i].code, CURLE_OK);
		ck_assert_int_eq(r[i].status, 200);
		reply_fini(&r[i]);
	}
}
END_TEST

START_TEST(upstream_connections_are_reused)
{
	CURL *h = curl_easy_init();
	for (int i = 0; i < 20; i++) {
		struct reply r;
		http_with(h, "GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r);
		ck_assert_int_eq(r.status, 200);
		reply_fini(&r);
		http_with(h, "POST", "/2018-06-01/runtime/invocation/req-1/response", NULL, "ok", 2,
		          &r);
		ck_assert_int_eq(r.status, 202);
		reply_fini(&r);
	}
	curl_easy_cleanup(h);
	ck_assert_uint_eq(up.n_requests, 40);
	ck_assert_uint_eq(up.n_conn, 1);
}
END_TEST

START_TEST(six_mb_event_and_one_mb_response)
{
	size_t n = 6 * 1024 * 1024;
	char *ev = malloc(n);
	for (size_t i = 0; i < n; i++)
		ev[i] = (char)('a' + i % 26);
	up.event = ev;
	up.event_len = n;
	struct reply r;
	http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body.len, n);
	ck_assert_int_eq(memcmp(r.body.data, ev, n), 0);
	reply_fini(&r);
	http("POST", "/2018-06-01/runtime/invocation/req-1/response", NULL, ev, 1024 * 1024, &r);
	ck_assert_int_eq(r.status, 202);
	ck_assert_uint_eq(up.body.len, 1024 * 1024);
	ck_assert_int_eq(memcmp(up.body.data, ev, 1024 * 1024), 0);
	reply_fini(&r);
	free(ev);
}
END_TEST

/* --- upstream failures ------------------------------------------------ */

START_TEST(upstream_down_closes_the_connection)
{
	/* A port nobody listens on. */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &al);
	close(s);
	px_proxy_free(px);
	struct px_proxy_opts o = {.upstream = NULL};
	char hp[32];
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", ntohs(a.sin_port));
	o.upstream = hp;
	ck_assert_int_eq(px_proxy_new(&o, &px), 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", px_proxy_port(px));
	struct reply r;
	http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r);
	ck_assert_int_ne(r.code, CURLE_OK);
	ck_assert_int_eq(r.status, 0);
	reply_fini(&r);
}
END_TEST

START_TEST(upstream_hang_is_not_timed_out_by_the_proxy)
{
	up.next_hang = true;
	CURL *h = curl_easy_init();
	struct reply r;
	/* The client gives up after 1.5 s; the proxy itself never does. */
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1500L);
	char url[128];
	snprintf(url, sizeof(url), "%s/2018-06-01/runtime/invocation/next", base);
	vg_buf_init(&r.body, 1024);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
	ck_assert_int_eq(curl_easy_perform(h), CURLE_OPERATION_TIMEDOUT);
	ck_assert_uint_eq(up.n_waiting, 1);
	curl_easy_cleanup(h);
	vg_buf_fini(&r.body);
}
END_TEST

/* --- the inspection hook ------------------------------------------------ */

struct seen {
	pthread_mutex_t m;
	unsigned n_inspect, n_done, n_blocked;
	char rid[64];
	size_t len;
	bool saw_trace;
	int fail; /* inspect() returns this when non-zero */
	enum px_action action;
	const char *block_rid;    /* block only this request id */
	const char *doc;          /* the refusal document, NULL: the proxy's own */
	const char *doc_type;     /* its error type, NULL: a response document */
	bool relayed_before_done; /* the runtime had the event when done() ran */
};
static struct seen seen = {.m = PTHREAD_MUTEX_INITIALIZER};

static int t_inspect(void *ctx, const struct px_event *ev, struct px_verdict *v)
{
	struct seen *s = ctx;
	pthread_mutex_lock(&s->m);
	s->n_inspect++;
	snprintf(s->rid, sizeof(s->rid), "%s", ev->request_id);
	s->len = ev->len;
	for (unsigned i = 0; i < ev->n_headers; i++)
		if (!strcasecmp(ev->headers[i].name, "lambda-runtime-trace-id"))
			s->saw_trace = true;
	pthread_mutex_unlock(&s->m);
	if (s->fail)
		return s->fail;
	v->action = (!s->block_rid || !strcmp(s->block_rid, ev->request_id)) ? s->action : PX_PASS;
	if (v->action == PX_BLOCK && s->doc) {
		v->block_body = s->doc;
		v->block_len = strlen(s->doc);
		v->block_error_type = s->doc_type;
	}
	return 0;
}

static void t_done(void *ctx, const struct px_event *ev, struct px_verdict *v, int blocked)
{
	struct seen *s = ctx;
	pthread_mutex_lock(&s->m);
	s->n_done++;
	s->n_blocked += blocked != 0;
	pthread_mutex_unlock(&s->m);
}

static const struct px_inspector inspector = {t_inspect, t_done, &seen};

/* done() runs after the event was relayed, so the client may see the event
 * first: wait (bounded) until it has run n times. */
static void wait_done(unsigned n)
{
	unsigned now = 0;
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&seen.m);
		now = seen.n_done;
		pthread_mutex_unlock(&seen.m);
		if (now >= n)
			break;
		usleep(10 * 1000);
	}
	ck_assert_uint_eq(now, n);
}

static void restart_with(bool block, bool fail_closed)
{
	px_proxy_free(px);
	memset(&seen, 0, sizeof(seen));
	pthread_mutex_init(&seen.m, NULL);
	start_proxy(&inspector, block, fail_closed);
}

START_TEST(inspector_sees_event_and_request_id)
{
	restart_with(false, false);
	seen.action = PX_BLOCK; /* monitor mode: a block verdict only alerts */
	struct reply r;
	http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body.data, "{\"hello\":\"world\"}");
	ck_assert_uint_eq(seen.n_inspect, 1);
	wait_done(1);
	ck_assert_uint_eq(seen.n_blocked, 0);
	ck_assert_str_eq(seen.rid, "req-1");
	ck_assert_uint_eq(seen.len, strlen("{\"hello\":\"world\"}"));
	ck_assert(seen.saw_trace);
	reply_fini(&r);
}
END_TEST

START_TEST(block_mode_refuses_event_and_serves_the_next)
{
	restart_with(true, false);
	seen.action = PX_BLOCK;
	seen.block_rid = "req-1";
	struct reply r;
	http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(has_header(&r, "Lambda-Runtime-Aws-Request-Id: req-2\r\n"));
	ck_assert_str_eq(up.error_urls, "/2018-06-01/runtime/invocation/req-1/error ");
	ck_assert_str_eq(up.post_error_type, "Vigil.Blocked");
	ck_assert_ptr_nonnull(strstr(up.post_data, "\"errorType\":\"Vigil.Blocked\""));
	ck_assert_uint_eq(seen.n_blocked, 1);
	wait_done(2);
	/* The refused invocation counts as answered. */
	ck_assert_str_eq(answered.rids, "req-1 ");
	reply_fini(&r);
}
END_TEST

START_TEST(block_posts_the_inspectors_documents)
{
	restart_with(true, false);
	seen.action = PX_BLOCK;
	seen.block_rid = "req-1";
	seen.doc = "{\"statusCode\":403,\"body\":\"Forbidden\"}";
	struct reply r;
	/* An HTTP source: the 403 is the invocation's response. */
	http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(has_header(&r, "Lambda-Runtime-Aws-Request-Id: req-2\r\n"));
	ck_assert_str_eq(up.post_url, "/2018-06-01/runtime/invocation/req-1/response");
	ck_assert_str_eq(up.post_data, seen.doc);
	ck_assert_str_eq(up.post_error_type, "");
	ck_assert_str_eq(up.error_urls, "");
	reply_fini(&r);
	/* Another source: an error document with the inspector's type. */
	seen.block_rid = "req-3";
	seen.doc = "{\"errorType\":\"Vigil.Blocked\",\"errorMessage\":\"sqli\"}";
	seen.doc_type = "Vigil.Blocked";
	http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r);
	ck_assert(has_header(&r, "Lambda-Runtime-Aws-Request-Id: req-4\r\n"));
	ck_assert_str_eq(up.error_urls, "/2018-06-01/runtime/invocation/req-3/error ");
	ck_assert_str_eq(up.post_error_type, "Vigil.Blocked");
	ck_assert_str_eq(up.post_data, seen.doc);
	ck_assert_str_eq(answered.rids, "req-1 req-3 ");
	reply_fini(&r);
}
END_TEST

START_TEST(refusal_rejected_upstream_passes_the_event)
{
	restart_with(true, false);
	seen.action = PX_BLOCK;
	up.post_status = 400; /* the Runtime API will not take the refusal */
	struct reply r;
	http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(has_header(&r, "Lambda-Runtime-Aws-Request-Id: req-1\r\n"));
	ck_assert_str_eq(r.body.data, "{\"hello\":\"world\"}");
	ck_assert_uint_eq(hl.n, 1);
	ck_assert_str_eq(hl.category, "internal_error");
	wait_done(1);
	ck_assert_uint_eq(seen.n_blocked, 0);
	ck_assert_str_eq(answered.rids, "");
	reply_fini(&r);
}
END_TEST

/* The proxy reports an answer after relaying the upstream's reply, so the
 * client may see the reply first: wait (bounded) for the report. */
static void expect_answered(const char *rids)
{
	char now[1024] = "";
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&answered.m);
		snprintf(now, sizeof(now), "%s", answered.rids);
		pthread_mutex_unlock(&answered.m);
		if (!strcmp(now, rids))
			break;
		usleep(10 * 1000);
	}
	ck_assert_str_eq(now, rids);
}

START_TEST(answers_are_reported_by_request_id)
{
	struct reply r;
	http("POST", "/2018-06-01/runtime/invocation/abc-1/response", NULL, "ok", 2, &r);
	ck_assert_int_eq(r.status, 202);
	reply_fini(&r);
	expect_answered("abc-1 ");
	http("POST", "/2018-06-01/runtime/invocation/abc-2/error", NULL, "{}", 2, &r);
	reply_fini(&r);
	expect_answered("abc-1 abc-2 ");
	/* Not answers: init errors, GETs. */
	http("POST", "/2018-06-01/runtime/init/error", NULL, "{}", 2, &r);
	reply_fini(&r);
	http("GET", "/2018-06-01/runtime/invocation/abc-3/response", NULL, NULL, 0, &r);
	reply_fini(&r);
	expect_answered("abc-1 abc-2 ");
	/* A refused answer (413: response too large) still ends the
	 * invocation. */
	up.post_status = 413;
	http("POST", "/2018-06-01/runtime/invocation/abc-4/response", NULL, "ok", 2, &r);
	ck_assert_int_eq(r.status, 413);
	reply_fini(&r);
	expect_answered("abc-1 abc-2 abc-4 ");
	/* Each of those requests came on its own connection, now closed. */
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&answered.m);
		unsigned n = n_disconnected;
		pthread_mutex_unlock(&answered.m);
		if (n >= 5)
			break;
		usleep(10 * 1000);
	}
	ck_assert_uint_ge(n_disconnected, 5);
	/* The readiness probe's connection is not a runtime's. */
	pthread_mutex_lock(&answered.m);
	n_disconnected = 0;
	pthread_mutex_unlock(&answered.m);
	http("GET", "/vigil/ready", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	reply_fini(&r);
	http("POST", "/2018-06-01/runtime/invocation/abc-5/response", NULL, "ok", 2, &r);
	reply_fini(&r);
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&answered.m);
		unsigned n = n_disconnected;
		pthread_mutex_unlock(&answered.m);
		if (n >= 1)
			break;
		usleep(10 * 1000);
	}
	usleep(50 * 1000);
	ck_assert_uint_eq(n_disconnected, 1);
}
END_TEST

START_TEST(inspector_failure_fails_open_with_health_alert)
{
	restart_with(true, false);
	seen.fail = -ENOMEM;
	struct reply r;
	http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body.data, "{\"hello\":\"world\"}");
	ck_assert_uint_eq(hl.n, 1);
	ck_assert_str_eq(hl.category, "internal_error");
	ck_assert_str_eq(hl.rid, "req-1");
	ck_assert_str_eq(up.error_urls, "");
	reply_fini(&r);
}
END_TEST

START_TEST(inspector_failure_fails_closed_when_asked)
{
	restart_with(true, true);
	seen.fail = -ENOMEM;
	seen.block_rid = NULL;
	up.next_limit = 2; /* then the upstream has no more events */
	struct reply r;
	CURL *h = curl_easy_init();
	char url[128];
	snprintf(url, sizeof(url), "%s/2018-06-01/runtime/invocation/next", base);
	vg_buf_init(&r.body, 1024);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1500L);
	/* Every event is refused, so the runtime never gets one. */
	ck_assert_int_eq(curl_easy_perform(h), CURLE_OPERATION_TIMEDOUT);
	ck_assert_str_eq(up.error_urls, "/2018-06-01/runtime/invocation/req-1/error "
	                                "/2018-06-01/runtime/invocation/req-2/error ");
	ck_assert_uint_eq(hl.n, 2);
	curl_easy_cleanup(h);
	vg_buf_fini(&r.body);
}
END_TEST

/* --- the client on its own ---------------------------------------------- */

START_TEST(client_request_and_retry_on_stale_connection)
{
	struct px_pool p;
	struct px_resp r;
	ck_assert_int_eq(px_pool_init(&p, up.hostport), 0);
	px_resp_init(&r);
	ck_assert_int_eq(px_request(&p, "GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0,
	                            &r, 1024, 10000),
	                 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(px_resp_header(&r, "lambda-runtime-aws-request-id"), "req-1");
	ck_assert_uint_eq(p.n_idle, 1);
	/* Restart the upstream: the pooled connection is now dead. */
	fake_up_stop(&up);
	uint16_t port = up.port;
	memset(&up, 0, sizeof(up));
	ck_assert_int_eq(fake_up_start(&up), 0);
	ck_assert_int_ne(up.port, port); /* a new port: point the pool at it */
	p.addr.sin_port = htons(up.port);
	ck_assert_int_eq(
	    px_request(&p, "POST", "/x/response", "X-A: b\r\n", "hi", 2, &r, 1024, 10000), 0);
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(up.body.data, "hi");
	/* A body over the cap is refused, not truncated. */
	ck_assert_int_eq(px_request(&p, "GET", "/x/invocation/next", NULL, NULL, 0, &r, 4, 10000),
	                 -ENOBUFS);
	px_resp_fini(&r);
	px_pool_fini(&p);
	ck_assert_int_eq(px_pool_init(&p, "nonsense"), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *t = tcase_create("proxy");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, next_relays_event_and_every_header);
	tcase_add_test(t, response_body_and_headers_reach_upstream);
	tcase_add_test(t, error_relays_error_type_and_xray_cause);
	tcase_add_test(t, init_error_and_restore_routes_pass);
	tcase_add_test(t, unknown_path_and_query_pass_through);
	tcase_add_test(t, status_codes_and_bodies_unchanged);
	tcase_add_test(t, ready_probe_answered_by_proxy);
	tcase_add_test(t, hop_by_hop_headers);
	tcase_add_test(t, streamed_response_forwarded_chunk_by_chunk_with_trailers);
	tcase_add_test(t, server_rejects_malformed_request);
	tcase_add_test(t, server_keeps_alive_across_back_to_back_requests);
	tcase_add_test(t, server_http10_and_expect_continue);
	tcase_add_test(t, concurrent_next_calls);
	tcase_add_test(t, upstream_connections_are_reused);
	tcase_add_test(t, six_mb_event_and_one_mb_response);
	tcase_add_test(t, upstream_down_closes_the_connection);
	tcase_add_test(t, upstream_hang_is_not_timed_out_by_the_proxy);
	tcase_add_test(t, inspector_sees_event_and_request_id);
	tcase_add_test(t, block_mode_refuses_event_and_serves_the_next);
	tcase_add_test(t, block_posts_the_inspectors_documents);
	tcase_add_test(t, refusal_rejected_upstream_passes_the_event);
	tcase_add_test(t, answers_are_reported_by_request_id);
	tcase_add_test(t, inspector_failure_fails_open_with_health_alert);
	tcase_add_test(t, inspector_failure_fails_closed_when_asked);
	tcase_add_test(t, client_request_and_retry_on_stale_connection);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
