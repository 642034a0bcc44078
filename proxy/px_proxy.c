#include "px_proxy.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "px_client.h"
#include "px_server.h"
#include "vg_buf.h"
#include "vg_log.h"
#include "vg_util.h"

/* Request bodies up to this size are also kept, so that a request sent on a
 * pooled connection the upstream had closed meanwhile can be replayed on a
 * fresh one. Larger bodies are only streamed. */
#define REPLAY_MAX (64 * 1024)
/* Request bodies are forwarded in pieces of at most this size. */
#define PIECE       (16 * 1024)
#define NEXT_SUFFIX "/runtime/invocation/next"

struct px_req;

struct px_proxy {
	struct px_proxy_opts o;
	struct px_pool pool;
	struct px_srv *srv;
	pthread_mutex_t lock; /* guards active and stopping */
	bool stopping;
	struct px_req *active; /* requests holding an upstream connection */
	unsigned long n_next;  /* /next requests received */
};

struct px_req {
	struct px_proxy *px;
	struct px_req *prev, *next; /* in px->active while up is set */
	struct px_conn *up;
	struct vg_buf head;   /* the request head sent upstream */
	struct vg_buf replay; /* the body, while it fits REPLAY_MAX */
	bool replay_ok;
	bool chunked;
	bool is_next;
	int status;            /* the upstream's status, once read */
	struct px_srv_req *in; /* the runtime's request */
};

bool px_header_is_hop(const char *name)
{
	static const char *const hop[] = {
	    "connection",        "keep-alive", "proxy-connection",
	    "transfer-encoding", "te",         "upgrade",
	    "content-length",    "host",       "expect",
	};
	for (size_t i = 0; i < VG_ARRAY_SIZE(hop); i++)
		if (!strcasecmp(name, hop[i]))
			return true;
	return false;
}

static void health(struct px_proxy *px, const char *category, const char *rid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void health(struct px_proxy *px, const char *category, const char *rid, const char *fmt, ...)
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

static int build_head(struct px_req *q)
{
	struct px_srv_req *in = q->in;
	int r = vg_buf_printf(&q->head, "%s %s HTTP/1.1\r\nHost: %s\r\n", in->method, in->target,
	                      q->px->pool.hostport);
	for (unsigned i = 0; r == 0 && i < in->n_headers; i++)
		if (!px_header_is_hop(in->headers[i].name))
			r = vg_buf_printf(&q->head, "%s: %s\r\n", in->headers[i].name,
			                  in->headers[i].value);
	if (r < 0)
		return r;
	/* Keep the runtime's framing: a streamed response stays chunked (its
	 * trailers follow at the end), a buffered one keeps its length. */
	q->chunked = in->chunked;
	if (q->chunked)
		return vg_buf_puts(&q->head, "Transfer-Encoding: chunked\r\n\r\n");
	if (in->has_length)
		return vg_buf_printf(&q->head, "Content-Length: %llu\r\n\r\n",
		                     (unsigned long long)in->length);
	return vg_buf_puts(&q->head, "\r\n");
}

/* Sends the head, and the body already held in replay (a small buffered
 * body is read whole first, so head and body leave in one write). */
static int send_head(struct px_req *q)
{
	int r = connect_up(q, false);
	if (r < 0)
		return r;
	r = px_conn_write2(q->up, q->head.data, q->head.len, q->replay.data, q->replay.len);
	if (r < 0 && q->up->reused) {
		untrack(q, false);
		r = connect_up(q, true);
		if (r == 0)
			r = px_conn_write2(q->up, q->head.data, q->head.len, q->replay.data,
			                   q->replay.len);
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

/* The last chunk and the runtime's trailers (the error type and body of a
 * streamed response that failed midway). */
static int send_end(struct px_req *q)
{
	if (!q->chunked)
		return 0;
	struct vg_buf t = VG_BUF_INIT(PX_HEAD_MAX);
	int r = vg_buf_puts(&t, "0\r\n");
	for (unsigned i = 0; r == 0 && i < q->in->n_trailers; i++)
		r = vg_buf_printf(&t, "%s: %s\r\n", q->in->trailers[i].name,
		                  q->in->trailers[i].value);
	if (r == 0)
		r = vg_buf_puts(&t, "\r\n");
	if (r == 0)
		r = px_conn_write(q->up, t.data, t.len);
	vg_buf_fini(&t);
	return r;
}

/* Sends the whole request again on a fresh connection: used when a pooled
 * connection turned out to be closed before it carried anything. */
static int replay(struct px_req *q)
{
	untrack(q, false);
	int r = connect_up(q, true);
	if (r == 0 && !q->chunked)
		r = px_conn_write2(q->up, q->head.data, q->head.len, q->replay.data, q->replay.len);
	else if (r == 0)
		r = px_conn_write(q->up, q->head.data, q->head.len);
	if (r == 0 && q->chunked && q->replay.len)
		r = px_conn_write_chunk(q->up, q->replay.data, q->replay.len);
	if (r == 0)
		r = send_end(q);
	return r;
}

/* --- relaying the response ----------------------------------------------- */

static int relay(struct px_req *q, struct px_resp *resp)
{
	struct px_header hs[PX_HEADERS_MAX];
	unsigned n = 0;
	for (unsigned i = 0; i < resp->n_headers; i++) {
		const struct px_header *h = &resp->headers[i];
		if (!px_header_is_hop(h->name) && strcasecmp(h->name, "trailer"))
			hs[n++] = *h;
	}
	return px_srv_respond(q->in, resp->status, hs, n, resp->body.data, resp->body.len);
}

/* A request id goes into a request line: only the bytes Lambda's ids are
 * made of (a UUID, or letters, digits, '-', '_', '.', ':'). */
static bool rid_ok(const char *rid)
{
	size_t n = strlen(rid);
	if (n == 0 || n > 256)
		return false;
	for (const char *p = rid; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == ':'))
			return false;
	return true;
}

/* Answers a blocked event on the runtime's behalf, so the invocation ends
 * and the runtime is never handed the event: the inspector's refusal (a
 * response document for HTTP sources, an error document for the others),
 * or a generic Vigil.Blocked error when there is none (VIGIL_FAIL=closed).
 * 0 when the upstream accepted it (202). */
static int refuse_event(struct px_req *q, const char *url, const char *rid,
                        const struct px_verdict *v)
{
	static const char generic[] = "{\"errorMessage\":\"event refused by Vigil\","
	                              "\"errorType\":\"Vigil.Blocked\"}";
	const char *body = v && v->block_body ? v->block_body : generic;
	size_t len = v && v->block_body ? v->block_len : sizeof(generic) - 1;
	const char *etype = v && v->block_body ? v->block_error_type : "Vigil.Blocked";
	struct vg_buf path = VG_BUF_INIT(4096), hdr = VG_BUF_INIT(1024);
	struct px_resp r;
	size_t prefix = strlen(url) - strlen("/next");
	int ret;

	if (!rid_ok(rid) || (etype && (strlen(etype) > 128 || strpbrk(etype, "\r\n"))))
		return -EINVAL;
	ret =
	    vg_buf_printf(&path, "%.*s/%s/%s", (int)prefix, url, rid, etype ? "error" : "response");
	if (ret == 0)
		ret = vg_buf_puts(&hdr, "Content-Type: application/json\r\n");
	if (ret == 0 && etype)
		ret = vg_buf_printf(&hdr, "Lambda-Runtime-Function-Error-Type: %s\r\n", etype);
	px_resp_init(&r);
	if (ret == 0)
		ret = px_request(&q->px->pool, "POST", path.data, hdr.data, body, len, &r,
		                 64 * 1024, -1);
	if (ret == 0 && r.status != 202) {
		vg_log_warn("refusing event %s: upstream answered %d", rid, r.status);
		ret = -EPROTO;
	}
	px_resp_fini(&r);
	vg_buf_fini(&path);
	vg_buf_fini(&hdr);
	if (ret == 0 && q->px->o.responded)
		q->px->o.responded(q->px->o.responded_ctx, rid);
	return ret;
}

/* One event's inspection, from inspect() to done(). */
struct inspection {
	struct px_event ev;
	struct px_event_header hs[PX_HEADERS_MAX];
	struct px_verdict v;
	int r; /* what inspect() returned */
	bool blocked;
};

/* Hands a fetched event to the inspector and refuses it when the verdict
 * (or, with fail_closed, a failure) says so. in->blocked tells whether it
 * was refused. */
static void inspect_event(struct px_req *q, struct px_resp *resp, const char *rid,
                          struct inspection *in)
{
	struct px_proxy *px = q->px;
	const struct px_inspector *hook = px->o.inspector;

	in->ev = (struct px_event){
	    .request_id = rid,
	    .body = resp->body.data ? resp->body.data : "",
	    .len = resp->body.len,
	    .headers = in->hs,
	    .n_headers = resp->n_headers,
	};
	in->v = (struct px_verdict){.action = PX_PASS};
	for (unsigned i = 0; i < resp->n_headers; i++) {
		in->hs[i].name = resp->headers[i].name;
		in->hs[i].value = resp->headers[i].value;
	}
	in->r = hook->inspect(hook->ctx, &in->ev, &in->v);
	if (in->r < 0) {
		health(px, "internal_error", rid, "inspection failed (%s); event %s",
		       strerror(-in->r),
		       px->o.fail_closed ? "refused (VIGIL_FAIL=closed)" : "passed unchanged");
		in->blocked = px->o.fail_closed;
	} else {
		in->blocked = px->o.block && in->v.action == PX_BLOCK;
	}
	if (in->blocked) {
		if (px->o.refusing)
			px->o.refusing(px->o.responded_ctx, rid);
		int r = refuse_event(q, q->in->target, rid, in->r == 0 ? &in->v : NULL);
		if (r < 0) {
			health(px, "internal_error", rid,
			       "could not refuse the event (%s); passed unchanged", strerror(-r));
			in->blocked = false;
		}
	}
}

static void inspection_done(struct px_req *q, struct inspection *in)
{
	const struct px_inspector *hook = q->px->o.inspector;
	if (in->r == 0 && hook->done)
		hook->done(hook->ctx, &in->ev, &in->v, in->blocked);
}

/* Reads the upstream's answer, replaying once if a pooled connection had
 * been closed under us. */
static int read_answer(struct px_req *q, struct px_resp *resp)
{
	int r = px_resp_read(q->up, resp, PX_RESP_MAX, -1);
	if ((r == -ECONNRESET || r == -EPIPE) && q->up->reused && q->replay_ok) {
		r = replay(q);
		if (r == 0)
			r = px_resp_read(q->up, resp, PX_RESP_MAX, -1);
	}
	return r;
}

static int finish(struct px_req *q)
{
	struct px_proxy *px = q->px;
	struct px_resp resp;
	int ret = -EIO;

	px_resp_init(&resp);
	if (!q->up->broken)
		send_end(q);
	for (;;) {
		int r = read_answer(q, &resp);
		if (r == -ENOBUFS) {
			health(px, "internal_error", "",
			       "upstream response over %u bytes not relayed", PX_RESP_MAX);
		} else if (r < 0) {
			/* The upstream failed: let the runtime see a failed
			 * connection, as it would have directly. */
			vg_log_debug("upstream %s: %s", q->in->target, strerror(-r));
		}
		if (r < 0) {
			untrack(q, false);
			goto out;
		}
		untrack(q, resp.keep_alive);
		q->status = resp.status;
		if (!(q->is_next && resp.status == 200 && px->o.inspector))
			break;
		const char *rid = px_resp_header(&resp, "Lambda-Runtime-Aws-Request-Id");
		struct inspection *in = malloc(sizeof(*in));
		if (!in) {
			health(px, "internal_error", rid ? rid : "",
			       "out of memory before inspection; event passed unchanged");
			break;
		}
		inspect_event(q, &resp, rid ? rid : "", in);
		if (!in->blocked) {
			/* The runtime gets the event first; alerts after. */
			ret = relay(q, &resp);
			inspection_done(q, in);
			free(in);
			goto out;
		}
		inspection_done(q, in);
		free(in);
		/* The event was refused: fetch the next one for the runtime,
		 * whose /next stays pending. */
		px_resp_fini(&resp);
		px_resp_init(&resp);
		q->replay_ok = true;
		r = connect_up(q, false);
		if (r == 0)
			r = px_conn_write(q->up, q->head.data, q->head.len);
		if (r < 0) {
			untrack(q, false);
			goto out;
		}
	}
	ret = relay(q, &resp);
out:
	px_resp_fini(&resp);
	return ret;
}

/* --- the runtime's requests ----------------------------------------------- */

/* Forwards the runtime's body as it arrives. A small buffered body is read
 * whole first (it then leaves with the head, and can be replayed). */
static int forward(struct px_req *q)
{
	struct px_srv_req *in = q->in;
	char piece[PIECE];
	ssize_t n;

	if (!in->chunked && in->has_length && in->length <= REPLAY_MAX) {
		while ((n = px_srv_body_read(in, piece, sizeof(piece))) > 0)
			if (vg_buf_append(&q->replay, piece, (size_t)n) < 0) {
				health(q->px, "internal_error", "",
				       "out of memory holding a request body; connection closed");
				return -ENOMEM;
			}
		if (n < 0)
			return (int)n;
		return send_head(q);
	}
	int r = send_head(q);
	if (r < 0)
		return r;
	while ((n = px_srv_body_read(in, piece, sizeof(piece))) > 0)
		send_body(q, piece, (size_t)n); /* a broken upstream: its reply tells */
	return n < 0 ? (int)n : 0;
}

/* The runtime answered an invocation: tell the extension which one. The
 * target is .../invocation/{id}/response or .../error. */
static void answered(struct px_proxy *px, const struct px_srv_req *in)
{
	const char *t = in->target, *q = strchr(t, '?');
	size_t n = q ? (size_t)(q - t) : strlen(t);
	static const char *const tails[] = {"/response", "/error"};
	static const char mid[] = "/invocation/";
	if (strcmp(in->method, "POST"))
		return;
	for (size_t i = 0; i < VG_ARRAY_SIZE(tails); i++) {
		size_t tl = strlen(tails[i]);
		if (n <= tl || memcmp(t + n - tl, tails[i], tl))
			continue;
		size_t end = n - tl, start = end;
		while (start > 0 && t[start - 1] != '/')
			start--;
		if (start == end || start < sizeof(mid) - 1 ||
		    memcmp(t + start - (sizeof(mid) - 1), mid, sizeof(mid) - 1))
			return;
		char rid[257];
		if (end - start >= sizeof(rid))
			return;
		memcpy(rid, t + start, end - start);
		rid[end - start] = '\0';
		px->o.responded(px->o.responded_ctx, rid);
		return;
	}
}

static int on_request(void *ctx, struct px_srv_req *in)
{
	static const struct px_header json = {"Content-Type", "application/json"};
	struct px_proxy *px = ctx;
	struct px_req q = {.px = px, .in = in, .replay_ok = true};
	int r;

	if (!strcmp(in->target, PX_READY_PATH))
		return px_srv_respond(in, 200, &json, 1, "{\"ready\":true}", 14);
	in->conn->marked = true; /* a runtime's connection */
	size_t tl = strlen(in->target), sl = strlen(NEXT_SUFFIX);
	q.is_next =
	    !strcmp(in->method, "GET") && tl >= sl && !strcmp(in->target + tl - sl, NEXT_SUFFIX);
	if (q.is_next) {
		pthread_mutex_lock(&px->lock);
		px->n_next++;
		pthread_mutex_unlock(&px->lock);
	}
	/* The runtime's head fits PX_HEAD_MAX; ours adds a Host line. */
	vg_buf_init(&q.head, PX_HEAD_MAX + 1024);
	vg_buf_init(&q.replay, REPLAY_MAX);
	r = build_head(&q);
	if (r == 0)
		r = forward(&q);
	if (r == 0)
		r = finish(&q);
	else
		vg_log_debug("request %s not relayed: %s", in->target, strerror(-r));
	if (r == 0 && q.status > 0 && px->o.responded)
		answered(px, in);
	untrack(&q, false);
	vg_buf_fini(&q.head);
	vg_buf_fini(&q.replay);
	return r;
}

/* Only a connection that carried Runtime API requests is a runtime's: the
 * wrapper's readiness probe closes its own at init. */
static void on_close(void *ctx, bool runtime)
{
	struct px_proxy *px = ctx;
	if (runtime)
		px->o.disconnected(px->o.responded_ctx);
}

int px_proxy_new(const struct px_proxy_opts *o, struct px_proxy **out)
{
	struct px_proxy *px = calloc(1, sizeof(*px));
	int r;

	if (!px)
		return -ENOMEM;
	px->o = *o;
	r = px_pool_init(&px->pool, o->upstream);
	if (r < 0)
		goto err_free;
	pthread_mutex_init(&px->lock, NULL);
	r = px_srv_new(o->listen_host ? o->listen_host : "127.0.0.1", o->port, on_request, px,
	               &px->srv);
	if (r < 0)
		goto err_pool;
	if (o->disconnected)
		px_srv_set_on_close(px->srv, on_close);
	*out = px;
	return 0;

err_pool:
	pthread_mutex_destroy(&px->lock);
	px_pool_fini(&px->pool);
err_free:
	free(px);
	return r;
}

unsigned long px_proxy_next_count(struct px_proxy *p)
{
	pthread_mutex_lock(&p->lock);
	unsigned long n = p->n_next;
	pthread_mutex_unlock(&p->lock);
	return n;
}

uint16_t px_proxy_port(const struct px_proxy *p)
{
	return px_srv_port(p->srv);
}

void px_proxy_free(struct px_proxy *px)
{
	if (!px)
		return;
	/* Wake connection threads blocked on upstream reads (a pending
	 * /next) so that the server can join them. */
	pthread_mutex_lock(&px->lock);
	px->stopping = true;
	for (struct px_req *q = px->active; q; q = q->next)
		shutdown(q->up->fd, SHUT_RDWR);
	pthread_mutex_unlock(&px->lock);
	px_srv_free(px->srv);
	pthread_mutex_destroy(&px->lock);
	px_pool_fini(&px->pool);
	free(px);
}
