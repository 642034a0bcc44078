#include "px_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "px_io-private.h"
#include "vg_log.h"
#include "vg_util.h"

#define LINE_MAX_    1024
#define THREAD_STACK (1024 * 1024)

struct px_srv {
	int lfd;
	uint16_t port;
	px_srv_handler handler;
	void *ctx;
	void (*on_close)(void *ctx, bool marked); /* under lock */
	pthread_t acceptor;
	pthread_mutex_t lock; /* guards the fields below */
	pthread_cond_t idle;
	bool stopping;
	unsigned n_conns;
	int fds[PX_SRV_CONN_MAX]; /* -1: free slot */
};

struct conn_arg {
	struct px_srv *srv;
	int fd;
	unsigned slot;
};

/* --- request body ----------------------------------------------------------- */

static ssize_t take(struct px_conn *c, char *buf, size_t n)
{
	int f = px_conn_fill(c, 0);
	if (f <= 0)
		return f == 0 ? -ECONNRESET : f;
	size_t k = VG_MIN(n, c->rlen - c->rpos);
	memcpy(buf, c->rbuf + c->rpos, k);
	c->rpos += k;
	return (ssize_t)k;
}

static int read_trailers(struct px_srv_req *r)
{
	char line[LINE_MAX_];
	for (unsigned i = 0; i <= PX_HEADERS_MAX; i++) {
		int ret = px_conn_read_line(r->conn, line, sizeof(line), 0);
		if (ret < 0)
			return ret;
		if (vg_buf_printf(&r->tail, "%s\r\n", line) < 0)
			return -EPROTO;
		if (!line[0])
			return px_parse_headers(r->tail.data, r->trailers, PX_HEADERS_MAX,
			                        &r->n_trailers);
	}
	return -EPROTO;
}

ssize_t px_srv_body_read(struct px_srv_req *r, char *buf, size_t n)
{
	char line[LINE_MAX_];
	int ret;

	if (r->body_done || n == 0)
		return 0;
	if (!r->chunked) {
		if (r->left == 0) {
			r->body_done = true;
			return 0;
		}
		ssize_t k = take(r->conn, buf, (size_t)VG_MIN((uint64_t)n, r->left));
		if (k > 0)
			r->left -= (uint64_t)k;
		return k;
	}
	if (r->left == 0) {
		if (r->in_chunk) {
			/* The CRLF that ends a chunk's data. */
			ret = px_conn_read_line(r->conn, line, sizeof(line), 0);
			if (ret < 0)
				return ret;
			if (line[0])
				return -EPROTO;
			r->in_chunk = false;
		}
		ret = px_conn_read_line(r->conn, line, sizeof(line), 0);
		if (ret < 0)
			return ret;
		char *end;
		errno = 0;
		unsigned long long size = strtoull(line, &end, 16);
		if (end == line || errno || (*end && *end != ';' && *end != ' '))
			return -EPROTO;
		if (size == 0) {
			ret = read_trailers(r);
			if (ret < 0)
				return ret;
			r->body_done = true;
			return 0;
		}
		r->left = size;
		r->in_chunk = true;
	}
	ssize_t k = take(r->conn, buf, (size_t)VG_MIN((uint64_t)n, r->left));
	if (k > 0)
		r->left -= (uint64_t)k;
	return k;
}

/* --- responses ---------------------------------------------------------------- */

static const char *reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Payload Too Large";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Status";
	}
}

static int send_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int px_srv_respond(struct px_srv_req *r, int status, const struct px_header *h, unsigned nh,
                   const char *body, size_t n)
{
	struct vg_buf head = VG_BUF_INIT(PX_HEAD_MAX);
	int ret = vg_buf_printf(&head, "HTTP/1.1 %d %s\r\n", status, reason(status));
	for (unsigned i = 0; ret == 0 && i < nh; i++)
		ret = vg_buf_printf(&head, "%s: %s\r\n", h[i].name, h[i].value);
	if (ret == 0)
		ret = vg_buf_printf(&head, "Content-Length: %zu\r\n%s\r\n", n,
		                    r->keep_alive ? "" : "Connection: close\r\n");
	if (ret == 0) {
		struct iovec iov[2] = {{head.data, head.len}, {(void *)body, n}};
		ret = send_all(r->conn->fd, iov, n ? 2 : 1);
	}
	vg_buf_fini(&head);
	r->responded = true;
	if (ret < 0)
		r->keep_alive = false;
	return ret;
}

const char *px_srv_header(const struct px_srv_req *r, const char *name)
{
	for (unsigned i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* --- one connection ----------------------------------------------------------- */

static int parse_request(struct px_srv_req *r)
{
	char *s = r->head.data;
	char *eol = strstr(s, "\r\n");
	char *sp1, *sp2;
	int minor;

	*eol = '\0';
	sp1 = strchr(s, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || sp1 == s || sp2 == sp1 + 1 || sscanf(sp2 + 1, "HTTP/1.%d", &minor) != 1)
		return -EPROTO;
	*sp1 = *sp2 = '\0';
	r->method = s;
	r->target = sp1 + 1;
	int ret = px_parse_headers(eol + 2, r->headers, PX_HEADERS_MAX, &r->n_headers);
	if (ret < 0)
		return ret;
	const char *conn = px_srv_header(r, "connection");
	r->keep_alive = minor >= 1 ? !(conn && !strcasecmp(conn, "close"))
	                           : (conn && !strcasecmp(conn, "keep-alive"));
	const char *te = px_srv_header(r, "transfer-encoding");
	const char *cl = px_srv_header(r, "content-length");
	if (te && strcasecmp(te, "identity")) {
		if (!strcasestr(te, "chunked"))
			return -EPROTO;
		r->chunked = true;
	} else if (cl) {
		int64_t v;
		if (vg_parse_i64(cl, 0, INT64_MAX, &v) < 0)
			return -EPROTO;
		r->has_length = true;
		r->length = r->left = (uint64_t)v;
	}
	return 0;
}

static void serve(struct px_srv *srv, struct px_conn *c)
{
	char sink[4096];
	for (;;) {
		struct px_srv_req r;
		memset(&r, 0, sizeof(r));
		r.conn = c;
		vg_buf_init(&r.head, PX_HEAD_MAX);
		vg_buf_init(&r.tail, PX_HEAD_MAX);
		int ret = px_conn_read_head(c, &r.head, 0);
		if (ret == 0 && (ret = parse_request(&r)) < 0) {
			r.keep_alive = false;
			px_srv_respond(&r, 400, NULL, 0, "malformed request\n", 18);
		}
		if (ret == 0) {
			const char *expect = px_srv_header(&r, "expect");
			if (expect && !strcasecmp(expect, "100-continue") &&
			    (r.chunked || r.length)) {
				struct iovec iov = {"HTTP/1.1 100 Continue\r\n\r\n", 25};
				send_all(c->fd, &iov, 1);
			}
			ret = srv->handler(srv->ctx, &r);
			if (!r.responded)
				ret = -ECONNABORTED;
		}
		/* Whatever of the body the handler left is read and dropped,
		 * so the next request starts at its first byte. */
		while (ret >= 0 && r.keep_alive) {
			ssize_t k = px_srv_body_read(&r, sink, sizeof(sink));
			if (k == 0)
				break;
			if (k < 0)
				ret = (int)k;
		}
		bool again = ret >= 0 && r.keep_alive;
		vg_buf_fini(&r.head);
		vg_buf_fini(&r.tail);
		if (!again)
			return;
	}
}

static void *conn_main(void *p)
{
	struct conn_arg a = *(struct conn_arg *)p;
	struct px_srv *srv = a.srv;
	struct px_conn *c = malloc(sizeof(*c));

	bool marked = false;
	free(p);
	if (c) {
		c->fd = a.fd;
		c->reused = c->broken = c->marked = false;
		c->rpos = c->rlen = 0;
		serve(srv, c);
		marked = c->marked;
		free(c);
	}
	/* The close is reported before the connection is counted out: the
	 * server (and whatever ctx is) lives until every connection is. */
	pthread_mutex_lock(&srv->lock);
	void (*on_close)(void *, bool) = srv->stopping ? NULL : srv->on_close;
	pthread_mutex_unlock(&srv->lock);
	if (on_close)
		on_close(srv->ctx, marked);
	pthread_mutex_lock(&srv->lock);
	srv->fds[a.slot] = -1;
	close(a.fd);
	srv->n_conns--;
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

void px_srv_set_on_close(struct px_srv *s, void (*fn)(void *ctx, bool marked))
{
	pthread_mutex_lock(&s->lock);
	s->on_close = fn;
	pthread_mutex_unlock(&s->lock);
}

static void start_conn(struct px_srv *srv, int fd)
{
	int one = 1;
	unsigned slot = PX_SRV_CONN_MAX;
	pthread_attr_t attr;
	pthread_t t;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pthread_mutex_lock(&srv->lock);
	for (unsigned i = 0; i < PX_SRV_CONN_MAX && !srv->stopping; i++)
		if (srv->fds[i] < 0) {
			slot = i;
			srv->fds[i] = fd;
			srv->n_conns++;
			break;
		}
	pthread_mutex_unlock(&srv->lock);
	if (slot == PX_SRV_CONN_MAX) {
		vg_log_warn("connection refused: %d connections open", PX_SRV_CONN_MAX);
		close(fd);
		return;
	}
	struct conn_arg *a = malloc(sizeof(*a));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (a) {
		*a = (struct conn_arg){srv, fd, slot};
		if (pthread_create(&t, &attr, conn_main, a) == 0) {
			pthread_attr_destroy(&attr);
			return;
		}
		free(a);
	}
	pthread_attr_destroy(&attr);
	pthread_mutex_lock(&srv->lock);
	srv->fds[slot] = -1;
	srv->n_conns--;
	pthread_mutex_unlock(&srv->lock);
	close(fd);
}

static void *accept_main(void *p)
{
	struct px_srv *srv = p;
	for (;;) {
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			start_conn(srv, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		pthread_mutex_lock(&srv->lock);
		bool stop = srv->stopping;
		pthread_mutex_unlock(&srv->lock);
		if (stop)
			return NULL;
		/* Out of descriptors or memory: let the moment pass. */
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

int px_srv_new(const char *host, uint16_t port, px_srv_handler h, void *ctx, struct px_srv **out)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t al = sizeof(a);
	int one = 1, r;
	struct px_srv *srv;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	for (unsigned i = 0; i < PX_SRV_CONN_MAX; i++)
		srv->fds[i] = -1;
	srv->handler = h;
	srv->ctx = ctx;
	srv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0) {
		r = -errno;
		goto err_free;
	}
	/* Restart-safe: a re-executed vigil rebinds at once. */
	setsockopt(srv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(srv->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(srv->lfd, 64) < 0 ||
	    getsockname(srv->lfd, (struct sockaddr *)&a, &al) < 0) {
		r = -errno;
		goto err_close;
	}
	srv->port = ntohs(a.sin_port);
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	r = -pthread_create(&srv->acceptor, NULL, accept_main, srv);
	if (r < 0)
		goto err_sync;
	*out = srv;
	return 0;

err_sync:
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
err_close:
	close(srv->lfd);
err_free:
	free(srv);
	return r;
}

uint16_t px_srv_port(const struct px_srv *s)
{
	return s->port;
}

void px_srv_free(struct px_srv *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_mutex_unlock(&srv->lock);
	shutdown(srv->lfd, SHUT_RDWR);
	pthread_join(srv->acceptor, NULL);

	pthread_mutex_lock(&srv->lock);
	for (unsigned i = 0; i < PX_SRV_CONN_MAX; i++)
		if (srv->fds[i] >= 0)
			shutdown(srv->fds[i], SHUT_RDWR);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	while (srv->n_conns && pthread_cond_timedwait(&srv->idle, &srv->lock, &until) == 0)
		;
	unsigned left = srv->n_conns;
	pthread_mutex_unlock(&srv->lock);
	close(srv->lfd);
	if (left) {
		/* A handler is stuck (blocked upstream): its thread still
		 * uses srv, so leave it allocated. */
		vg_log_warn("%u connection threads did not stop", left);
		return;
	}
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
