#include "px_proxy.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "px_client.h"
#include "vg_buf.h"
#include "vg_http.h"
#include "vg_log.h"
#include "vg_util.h"

/* Request bodies up to this size are also kept, so that a request sent on a
 * pooled connection the upstream had closed meanwhile can be replayed on a
 * fresh one. Larger bodies are only streamed. */
#define REPLAY_MAX (64 * 1024)
/* Per-connection memory of libmicrohttpd: it must hold the request head,
 * and the X-Ray error cause header alone may be 64 KiB. */
#define CONN_MEMORY (256 * 1024)
#define NEXT_SUFFIX "/runtime/invocation/next"

struct px_req;

struct px_proxy {
	struct px_proxy_opts o;
	struct px_pool pool;
	struct MHD_Daemon *mhd;
	int lfd;
	uint16_t port;
	pthread_mutex_t lock; /* guards active and stopping */
	bool stopping;
	struct px_req *active; /* requests holding an upstream connection */
};

struct px_req {
	struct px_proxy *px;
	struct px_req *prev, *next; /* in px->active while up is set */
	struct px_conn *up;
	struct vg_buf head;   /* the request head sent upstream */
	struct vg_buf replay; /* the body, while it fits REPLAY_MAX */
	bool replay_ok;
	bool chunked;
	bool failed; /* no upstream: close the runtime's connection */
	bool is_next;
};

bool px_header_is_hop(const char *name)
{
	static const char *const hop[] = {
		"connection", "keep-alive",     "proxy-connection", "transfer-encoding", "te",
		"upgrade",    "content-length", "host",             "expect",
	};
	for (size_t i = 0; i < VG_ARRAY_SIZE(hop); i++)
		if (!strcasecmp(name, hop[i]))
			return true;
	return false;
}

static void health(struct px_proxy *px, const char *category, const char *rid, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));
static void health(struct px_proxy *px, const char *category, const char *rid, const char *fmt,
		   ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vg_log_warn("%s", msg);
	if (px->o.health)
		px->o.health(px->o.health_ctx, category, rid ? rid : "", msg);
}

/* --- upstream connection bookkeeping ------------------------------------ */

static void track(struct px_req *q, struct px_conn *c)
{
	struct px_proxy *px = q->px;
	pthread_mutex_lock(&px->lock);
	q->up = c;
	q->prev = NULL;
	q->next = px->active;
	if (px->active)
		px->active->prev = q;
	px->active = q;
	pthread_mutex_unlock(&px->lock);
}

static void untrack(struct px_req *q, bool reusable)
{
	struct px_proxy *px = q->px;
	if (!q->up)
		return;
	pthread_mutex_lock(&px->lock);
	if (q->prev)
		q->prev->next = q->next;
	else
		px->active = q->next;
	if (q->next)
		q->next->prev = q->prev;
	struct px_conn *c = q->up;
	q->up = NULL;
	pthread_mutex_unlock(&px->lock);
	px_pool_put(&px->pool, c, reusable);
}

static bool stopping(struct px_proxy *px)
{
	pthread_mutex_lock(&px->lock);
	bool s = px->stopping;
	pthread_mutex_unlock(&px->lock);
	return s;
}

static int connect_up(struct px_req *q, bool fresh)
{
	struct px_conn *c;
	if (stopping(q->px))
		return -ESHUTDOWN;
	int r = fresh ? px_pool_connect(&q->px->pool, &c) : px_pool_get(&q->px->pool, &c);
	if (r < 0)
		return r;
	track(q, c);
	return 0;
}

/* --- building the upstream request -------------------------------------- */

struct head_ctx {
	struct vg_buf *b;
	int err;
	unsigned n;
};

static vg_mhd_result put_header(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	struct head_ctx *h = cls;
	if (px_header_is_hop(k))
		return MHD_YES;
	if (h->err == 0)
		h->err = vg_buf_printf(h->b, "%s: %s\r\n", k, v ? v : "");
	return MHD_YES;
}

static vg_mhd_result put_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	struct head_ctx *h = cls;
	if (h->err == 0)
		h->err = vg_buf_printf(h->b, "%c%s%s%s", h->n++ ? '&' : '?', k, v ? "=" : "",
				       v ? v : "");
	return MHD_YES;
}

static int build_head(struct px_req *q, struct MHD_Connection *c, const char *method,
		      const char *url)
{
	struct head_ctx h = {.b = &q->head};
	const char *te = vg_http_header(c, "transfer-encoding");
	const char *cl = vg_http_header(c, "content-length");

	h.err = vg_buf_printf(&q->head, "%s %s", method, url);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, put_arg, &h);
	if (h.err == 0)
		h.err = vg_buf_printf(&q->head, " HTTP/1.1\r\nHost: %s\r\n", q->px->pool.hostport);
	MHD_get_connection_values(c, MHD_HEADER_KIND, put_header, &h);
	if (h.err)
		return h.err;
	/* Keep the runtime's framing: a streamed response stays chunked (its
	 * trailers follow at the end), a buffered one keeps its length. */
	q->chunked = te && strcasestr(te, "chunked");
	if (q->chunked)
		return vg_buf_puts(&q->head, "Transfer-Encoding: chunked\r\n\r\n");
	if (cl)
		return vg_buf_printf(&q->head, "Content-Length: %s\r\n\r\n", cl);
	return vg_buf_puts(&q->head, "\r\n");
}

static int send_head(struct px_req *q)
{
	int r = connect_up(q, false);
	if (r < 0)
		return r;
	r = px_conn_write(q->up, q->head.data, q->head.len);
	if (r < 0 && q->up->reused) {
		untrack(q, false);
		r = connect_up(q, true);
		if (r == 0)
			r = px_conn_write(q->up, q->head.data, q->head.len);
	}
	return r;
}

static int send_body(struct px_req *q, const char *data, size_t n)
{
	if (q->replay_ok && vg_buf_append(&q->replay, data, n) < 0) {
		q->replay_ok = false;
		vg_buf_fini(&q->replay);
	}
	if (q->up->broken)
		return -EPIPE; /* keep reading the runtime's body; the reply tells */
	return q->chunked ? px_conn_write_chunk(q->up, data, n) : px_conn_write(q->up, data, n);
}

static vg_mhd_result put_trailer(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	struct head_ctx *h = cls;
	if (h->err == 0)
		h->err = vg_buf_printf(h->b, "%s: %s\r\n", k, v ? v : "");
	return MHD_YES;
}

/* The last chunk and the runtime's trailers (the error type and body of a
 * streamed response that failed midway). */
static int send_end(struct px_req *q, struct MHD_Connection *c)
{
	if (!q->chunked)
		return 0;
	struct vg_buf t = VG_BUF_INIT(PX_HEAD_MAX);
	struct head_ctx h = {.b = &t};
	h.err = vg_buf_puts(&t, "0\r\n");
	MHD_get_connection_values(c, MHD_FOOTER_KIND, put_trailer, &h);
	if (h.err == 0)
		h.err = vg_buf_puts(&t, "\r\n");
	int r = h.err ? h.err : px_conn_write(q->up, t.data, t.len);
	vg_buf_fini(&t);
	return r;
}

/* Sends the whole request again on a fresh connection: used when a pooled
 * connection turned out to be closed before it carried anything. */
static int replay(struct px_req *q, struct MHD_Connection *c)
{
	untrack(q, false);
	int r = connect_up(q, true);
	if (r == 0)
		r = px_conn_write(q->up, q->head.data, q->head.len);
	if (r == 0 && q->replay.len)
		r = q->chunked ? px_conn_write_chunk(q->up, q->replay.data, q->replay.len)
			       : px_conn_write(q->up, q->replay.data, q->replay.len);
	if (r == 0)
		r = send_end(q, c);
	return r;
}

/* --- relaying the response ----------------------------------------------- */

static void free_body(void *p)
{
	free(p);
}

static vg_mhd_result relay(struct px_req *q, struct MHD_Connection *c, struct px_resp *resp)
{
	struct MHD_Response *r;
	size_t n = resp->body.len;
	char *body = n ? vg_buf_steal(&resp->body, &n) : NULL;

	if (body)
		r = MHD_create_response_from_buffer_with_free_callback(n, body, free_body);
	else
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	for (unsigned i = 0; i < resp->n_headers; i++) {
		const struct px_header *h = &resp->headers[i];
		if (px_header_is_hop(h->name) || !strcasecmp(h->name, "trailer"))
			continue;
		if (MHD_add_response_header(r, h->name, h->value) != MHD_YES)
			vg_log_debug("header %s not relayed", h->name);
	}
	vg_mhd_result ret = MHD_queue_response(c, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Refuses a blocked event on the runtime's behalf: reports it as a function
 * error for its request id, so the invocation ends and the runtime is never
 * handed the event. */
static int refuse_event(struct px_req *q, const char *url, const char *rid)
{
	static const char body[] =
		"{\"errorMessage\":\"event refused by Vigil\",\"errorType\":\"Vigil.EventBlocked\"}";
	struct vg_buf path = VG_BUF_INIT(4096);
	struct px_resp r;
	size_t prefix = strlen(url) - strlen("/next");
	int ret = vg_buf_printf(&path, "%.*s/%s/error", (int)prefix, url, rid);

	px_resp_init(&r);
	if (ret == 0)
		ret = px_request(&q->px->pool, "POST", path.data,
				 "Content-Type: application/json\r\n"
				 "Lambda-Runtime-Function-Error-Type: Function.EventBlocked\r\n",
				 body, sizeof(body) - 1, &r, 64 * 1024, -1);
	if (ret == 0 && r.status != 202)
		vg_log_warn("refusing event %s: upstream answered %d", rid, r.status);
	px_resp_fini(&r);
	vg_buf_fini(&path);
	return ret;
}

/* Hands a fetched event to the inspector. true when the event must be
 * refused rather than relayed. */
static bool inspect_event(struct px_req *q, struct px_resp *resp, const char *rid,
			  const char *url)
{
	struct px_proxy *px = q->px;
	const struct px_inspector *in = px->o.inspector;
	struct px_event_header hs[PX_HEADERS_MAX];
	struct px_event ev = {
		.request_id = rid,
		.body = resp->body.data ? resp->body.data : "",
		.len = resp->body.len,
		.headers = hs,
		.n_headers = resp->n_headers,
	};
	struct px_verdict v = {PX_PASS, NULL, 0, NULL};
	bool blocked;

	for (unsigned i = 0; i < resp->n_headers; i++) {
		hs[i].name = resp->headers[i].name;
		hs[i].value = resp->headers[i].value;
	}
	int r = in->inspect(in->ctx, &ev, &v);
	if (r < 0) {
		health(px, "internal_error", rid, "inspection failed (%s); event %s", strerror(-r),
		       px->o.fail_closed ? "refused (VIGIL_FAIL=closed)" : "passed unchanged");
		blocked = px->o.fail_closed;
	} else {
		blocked = px->o.block && v.action == PX_BLOCK;
	}
	if (blocked && refuse_event(q, url, rid) < 0) {
		health(px, "internal_error", rid, "could not refuse event; passed unchanged");
		blocked = false;
	}
	if (r == 0 && in->done)
		in->done(in->ctx, &ev, &v, blocked);
	return blocked;
}

/* Reads the upstream's answer, replaying once if a pooled connection had
 * been closed under us. */
static int read_answer(struct px_req *q, struct MHD_Connection *c, struct px_resp *resp)
{
	int r = px_resp_read(q->up, resp, PX_RESP_MAX, -1);
	if ((r == -ECONNRESET || r == -EPIPE) && q->up->reused && q->replay_ok) {
		r = replay(q, c);
		if (r == 0)
			r = px_resp_read(q->up, resp, PX_RESP_MAX, -1);
	}
	return r;
}

static vg_mhd_result finish(struct px_req *q, struct MHD_Connection *c, const char *url)
{
	struct px_proxy *px = q->px;
	struct px_resp resp;
	vg_mhd_result ret = MHD_NO;

	px_resp_init(&resp);
	if (!q->up->broken)
		send_end(q, c);
	for (;;) {
		int r = read_answer(q, c, &resp);
		if (r == -ENOBUFS) {
			health(px, "internal_error", "", "upstream response over %u bytes not relayed",
			       PX_RESP_MAX);
		} else if (r < 0) {
			/* The upstream failed: let the runtime see a failed
			 * connection, as it would have directly. */
			vg_log_debug("upstream %s: %s", url, strerror(-r));
		}
		if (r < 0) {
			untrack(q, false);
			goto out;
		}
		untrack(q, resp.keep_alive);
		if (!(q->is_next && resp.status == 200 && px->o.inspector))
			break;
		const char *rid = px_resp_header(&resp, "Lambda-Runtime-Aws-Request-Id");
		if (!inspect_event(q, &resp, rid ? rid : "", url))
			break;
		/* The event was refused: fetch the next one for the runtime. */
		q->replay_ok = true;
		r = connect_up(q, false);
		if (r == 0)
			r = px_conn_write(q->up, q->head.data, q->head.len);
		if (r < 0) {
			untrack(q, false);
			goto out;
		}
	}
	ret = relay(q, c, &resp);
out:
	px_resp_fini(&resp);
	return ret;
}

/* --- libmicrohttpd handlers ---------------------------------------------- */

static vg_mhd_result on_request(void *cls, struct MHD_Connection *c, const char *url,
				const char *method, const char *version, const char *upload,
				size_t *upload_size, void **con_cls)
{
	struct px_proxy *px = cls;
	struct px_req *q = *con_cls;

	if (!strcmp(url, PX_READY_PATH)) {
		if (!q) {
			*con_cls = px; /* any non-NULL marker; freed by nobody */
			return MHD_YES;
		}
		*upload_size = 0;
		return vg_http_reply(c, 200, "application/json", "{\"ready\":true}", 14);
	}
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q) {
			health(px, "internal_error", "", "out of memory");
			return MHD_NO;
		}
		q->px = px;
		vg_buf_init(&q->head, PX_HEAD_MAX);
		vg_buf_init(&q->replay, REPLAY_MAX);
		q->replay_ok = true;
		size_t ul = strlen(url), sl = strlen(NEXT_SUFFIX);
		q->is_next = !strcmp(method, "GET") && ul >= sl && !strcmp(url + ul - sl, NEXT_SUFFIX);
		*con_cls = q;
		int r = build_head(q, c, method, url);
		if (r < 0) {
			/* Cannot happen below the memory limit of libmicrohttpd,
			 * which holds the same head. */
			health(px, "internal_error", "", "request head not relayed: %s",
			       strerror(-r));
			q->failed = true;
			return MHD_YES;
		}
		r = send_head(q);
		if (r < 0) {
			vg_log_debug("upstream connect %s: %s", url, strerror(-r));
			q->failed = true;
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (!q->failed)
			send_body(q, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->failed || !q->up)
		return MHD_NO;
	return finish(q, c, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct px_proxy *px = cls;
	struct px_req *q = *con_cls;
	if (!q || (void *)q == (void *)px)
		return;
	untrack(q, false);
	vg_buf_fini(&q->head);
	vg_buf_fini(&q->replay);
	free(q);
	*con_cls = NULL;
}

/* Keep the path and query as the runtime wrote them: they are relayed, not
 * interpreted. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

static int listen_on(const char *host, uint16_t port, int *fd_out, uint16_t *port_out)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t al = sizeof(a);
	int one = 1;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -EINVAL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Restart-safe: a re-executed vigil rebinds at once. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*fd_out = fd;
	*port_out = ntohs(a.sin_port);
	return 0;
}

int px_proxy_new(const struct px_proxy_opts *o, struct px_proxy **out)
{
	struct px_proxy *px = calloc(1, sizeof(*px));
	int r;

	if (!px)
		return -ENOMEM;
	px->o = *o;
	px->lfd = -1;
	r = px_pool_init(&px->pool, o->upstream);
	if (r < 0)
		goto err_free;
	pthread_mutex_init(&px->lock, NULL);
	r = listen_on(o->listen_host ? o->listen_host : "127.0.0.1", o->port, &px->lfd, &px->port);
	if (r < 0)
		goto err_pool;
	px->mhd = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			MHD_USE_SUPPRESS_DATE_NO_CLOCK | MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, px, MHD_OPTION_LISTEN_SOCKET, px->lfd,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, px,
		MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_END);
	if (!px->mhd) {
		r = -EIO;
		goto err_listen;
	}
	*out = px;
	return 0;

err_listen:
	close(px->lfd);
err_pool:
	pthread_mutex_destroy(&px->lock);
	px_pool_fini(&px->pool);
err_free:
	free(px);
	return r;
}

uint16_t px_proxy_port(const struct px_proxy *p)
{
	return p->port;
}

void px_proxy_free(struct px_proxy *px)
{
	if (!px)
		return;
	/* Wake connection threads blocked on upstream reads (a pending
	 * /next) so that stopping the daemon can join them. */
	pthread_mutex_lock(&px->lock);
	px->stopping = true;
	for (struct px_req *q = px->active; q; q = q->next)
		shutdown(q->up->fd, SHUT_RDWR);
	pthread_mutex_unlock(&px->lock);
	MHD_stop_daemon(px->mhd);
	close(px->lfd);
	pthread_mutex_destroy(&px->lock);
	px_pool_fini(&px->pool);
	free(px);
}
