#include "px_client.h"
#include "px_io-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vg_time.h"
#include "vg_util.h"

#define CHUNK_LINE_MAX 1024

int px_pool_init(struct px_pool *p, const char *upstream)
{
	char host[256];
	uint16_t port;

	memset(p, 0, sizeof(*p));
	if (!upstream || vg_parse_hostport(upstream, host, sizeof(host), &port) < 0)
		return -EINVAL;
	p->addr.sin_family = AF_INET;
	p->addr.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &p->addr.sin_addr) != 1) {
		struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
		struct addrinfo *ai = NULL;
		if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
			return -EINVAL;
		p->addr.sin_addr = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		freeaddrinfo(ai);
	}
	snprintf(p->hostport, sizeof(p->hostport), "%s:%u", host, port);
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void px_pool_fini(struct px_pool *p)
{
	for (unsigned i = 0; i < p->n_idle; i++)
		close(p->idle[i]);
	p->n_idle = 0;
	pthread_mutex_destroy(&p->lock);
}

static struct px_conn *conn_new(int fd, bool reused)
{
	struct px_conn *c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fd;
	c->reused = reused;
	c->broken = false;
	c->rpos = c->rlen = 0;
	return c;
}

int px_pool_connect(struct px_pool *p, struct px_conn **out)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Heads and bodies go out in separate writes: never let Nagle hold
	 * the second one back for an ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (connect(fd, (struct sockaddr *)&p->addr, sizeof(p->addr)) < 0) {
		if (errno == EINTR)
			continue;
		int e = -errno;
		close(fd);
		return e;
	}
	*out = conn_new(fd, false);
	if (!*out) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

/* An idle keep-alive connection has nothing to read; if it is readable the
 * peer closed it (or sent garbage): either way it is unusable. */
static bool idle_fd_alive(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	return poll(&pfd, 1, 0) == 0;
}

int px_pool_get(struct px_pool *p, struct px_conn **out)
{
	for (;;) {
		int fd = -1;
		pthread_mutex_lock(&p->lock);
		if (p->n_idle)
			fd = p->idle[--p->n_idle];
		pthread_mutex_unlock(&p->lock);
		if (fd < 0)
			return px_pool_connect(p, out);
		if (!idle_fd_alive(fd)) {
			close(fd);
			continue;
		}
		*out = conn_new(fd, true);
		if (!*out) {
			close(fd);
			return -ENOMEM;
		}
		return 0;
	}
}

void px_pool_put(struct px_pool *p, struct px_conn *c, bool reusable)
{
	if (!c)
		return;
	/* Unread bytes mean the exchange did not end cleanly. */
	if (reusable && !c->broken && c->rpos == c->rlen) {
		pthread_mutex_lock(&p->lock);
		if (p->n_idle < PX_POOL_IDLE_MAX) {
			p->idle[p->n_idle++] = c->fd;
			c->fd = -1;
		}
		pthread_mutex_unlock(&p->lock);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int px_conn_write(struct px_conn *c, const void *data, size_t n)
{
	const char *s = data;

	if (c->broken)
		return -EPIPE;
	while (n) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			c->broken = true;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int px_conn_write2(struct px_conn *c, const void *a, size_t an, const void *b, size_t bn)
{
	struct iovec iov[2] = {{(void *)a, an}, {(void *)b, bn}};
	struct iovec *v = iov;
	int n = bn ? 2 : 1;

	if (c->broken)
		return -EPIPE;
	while (n > 0) {
		struct msghdr m = {.msg_iov = v, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			c->broken = true;
			return -errno;
		}
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int px_conn_write_chunk(struct px_conn *c, const void *data, size_t n)
{
	char line[24];
	int l = snprintf(line, sizeof(line), "%zx\r\n", n);
	int r = px_conn_write(c, line, (size_t)l);
	if (r == 0)
		r = px_conn_write(c, data, n);
	if (r == 0)
		r = px_conn_write(c, "\r\n", 2);
	return r;
}

/* --- reading ------------------------------------------------------------ */

static int wait_readable(int fd, uint64_t deadline_ns)
{
	if (!deadline_ns)
		return 0;
	for (;;) {
		uint64_t now = vg_mono_ns();
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ms = (int)((deadline_ns - now + 999999) / 1000000);
		int r = poll(&pfd, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static ssize_t recv_some(struct px_conn *c, void *dst, size_t n, uint64_t deadline_ns)
{
	for (;;) {
		int r = wait_readable(c->fd, deadline_ns);
		if (r < 0)
			return r;
		ssize_t got = recv(c->fd, dst, n, 0);
		if (got >= 0)
			return got;
		if (errno != EINTR)
			return -errno;
	}
}

int px_conn_fill(struct px_conn *c, uint64_t deadline_ns)
{
	if (c->rpos < c->rlen)
		return 1;
	ssize_t got = recv_some(c, c->rbuf, sizeof(c->rbuf), deadline_ns);
	if (got <= 0)
		return (int)got;
	c->rpos = 0;
	c->rlen = (size_t)got;
	return 1;
}

static int read_exact(struct px_conn *c, struct vg_buf *body, size_t n, uint64_t deadline_ns)
{
	int r = vg_buf_reserve(body, n);
	if (r < 0)
		return r;
	size_t avail = VG_MIN(n, c->rlen - c->rpos);
	vg_buf_append(body, c->rbuf + c->rpos, avail);
	c->rpos += avail;
	n -= avail;
	/* Large bodies go straight from the socket into the buffer. */
	while (n) {
		ssize_t got = recv_some(c, body->data + body->len, n, deadline_ns);
		if (got < 0)
			return (int)got;
		if (got == 0)
			return -EPROTO;
		body->len += (size_t)got;
		n -= (size_t)got;
	}
	body->data[body->len] = '\0';
	return 0;
}

int px_conn_read_line(struct px_conn *c, char *line, size_t cap, uint64_t deadline_ns)
{
	size_t n = 0;
	for (;;) {
		int r = px_conn_fill(c, deadline_ns);
		if (r < 0)
			return r;
		if (r == 0)
			return -EPROTO;
		char ch = c->rbuf[c->rpos++];
		if (ch == '\n')
			break;
		if (n + 1 >= cap)
			return -EPROTO;
		line[n++] = ch;
	}
	if (n && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return 0;
}

static int read_chunked(struct px_conn *c, struct vg_buf *body, uint64_t deadline_ns)
{
	char line[CHUNK_LINE_MAX];
	for (;;) {
		int r = px_conn_read_line(c, line, sizeof(line), deadline_ns);
		if (r < 0)
			return r;
		char *end;
		errno = 0;
		unsigned long long n = strtoull(line, &end, 16);
		if (end == line || errno || (*end && *end != ';' && *end != ' '))
			return -EPROTO;
		if (n == 0)
			break;
		if (n > body->max)
			return -ENOBUFS;
		r = read_exact(c, body, (size_t)n, deadline_ns);
		if (r < 0)
			return r;
		r = px_conn_read_line(c, line, sizeof(line), deadline_ns);
		if (r < 0)
			return r;
		if (line[0])
			return -EPROTO;
	}
	/* Trailers: the Lambda APIs send none to clients; skip them. */
	for (unsigned i = 0; i < PX_HEADERS_MAX; i++) {
		int r = px_conn_read_line(c, line, sizeof(line), deadline_ns);
		if (r < 0)
			return r;
		if (!line[0])
			return 0;
	}
	return -EPROTO;
}

static int read_to_close(struct px_conn *c, struct vg_buf *body, uint64_t deadline_ns)
{
	for (;;) {
		int r = px_conn_fill(c, deadline_ns);
		if (r < 0)
			return r;
		if (r == 0)
			return 0;
		r = vg_buf_append(body, c->rbuf + c->rpos, c->rlen - c->rpos);
		if (r < 0)
			return r;
		c->rpos = c->rlen;
	}
}

int px_conn_read_head(struct px_conn *c, struct vg_buf *head, uint64_t deadline_ns)
{
	vg_buf_reset(head);
	for (;;) {
		int f = px_conn_fill(c, deadline_ns);
		if (f < 0)
			return f;
		if (f == 0)
			return head->len ? -EPROTO : -ECONNRESET;
		size_t from = head->len > 3 ? head->len - 3 : 0;
		size_t avail = c->rlen - c->rpos;
		if (vg_buf_append(head, c->rbuf + c->rpos, avail) < 0)
			return -EPROTO;
		c->rpos = c->rlen;
		char *end = memmem(head->data + from, head->len - from, "\r\n\r\n", 4);
		if (end) {
			size_t keep = (size_t)(end + 4 - head->data);
			c->rpos = c->rlen - (head->len - keep);
			head->len = keep;
			head->data[keep] = '\0';
			return 0;
		}
	}
}

int px_parse_headers(char *s, struct px_header *h, unsigned max, unsigned *n)
{
	char *eol;
	*n = 0;
	for (; *s && !(s[0] == '\r' && s[1] == '\n'); s = eol + 2) {
		eol = strstr(s, "\r\n");
		if (!eol)
			return -EPROTO;
		*eol = '\0';
		char *colon = strchr(s, ':');
		if (!colon || colon == s || *n == max)
			return -EPROTO;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		for (char *t = v + strlen(v); t > v && (t[-1] == ' ' || t[-1] == '\t');)
			*--t = '\0';
		h[*n].name = s;
		h[*n].value = v;
		(*n)++;
	}
	return 0;
}

static int parse_head(struct px_resp *r)
{
	char *s = r->head.data;
	char *eol = strstr(s, "\r\n");
	int minor;

	*eol = '\0';
	if (sscanf(s, "HTTP/1.%d %3d", &minor, &r->status) != 2 || r->status < 100 ||
	    r->status > 999)
		return -EPROTO;
	int ret = px_parse_headers(eol + 2, r->headers, PX_HEADERS_MAX, &r->n_headers);
	if (ret < 0)
		return ret;
	r->keep_alive = minor >= 1;
	const char *conn = px_resp_header(r, "connection");
	if (conn && !strcasecmp(conn, "close"))
		r->keep_alive = false;
	else if (conn && !strcasecmp(conn, "keep-alive"))
		r->keep_alive = true;
	return 0;
}

void px_resp_init(struct px_resp *r)
{
	memset(r, 0, sizeof(*r));
	vg_buf_init(&r->head, PX_HEAD_MAX);
}

void px_resp_fini(struct px_resp *r)
{
	vg_buf_fini(&r->head);
	vg_buf_fini(&r->body);
}

const char *px_resp_header(const struct px_resp *r, const char *name)
{
	for (unsigned i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

int px_resp_read(struct px_conn *c, struct px_resp *r, size_t body_max, int timeout_ms)
{
	uint64_t deadline = timeout_ms >= 0 ? vg_mono_ns() + (uint64_t)timeout_ms * 1000000u : 0;
	int ret;

	vg_buf_fini(&r->body);
	vg_buf_init(&r->body, body_max);
	do {
		ret = px_conn_read_head(c, &r->head, deadline);
		if (ret == 0)
			ret = parse_head(r);
		if (ret < 0)
			return ret;
	} while (r->status >= 100 && r->status < 200); /* interim responses */

	if (r->status == 204 || r->status == 304)
		return 0;
	const char *te = px_resp_header(r, "transfer-encoding");
	const char *cl = px_resp_header(r, "content-length");
	if (te && strcasecmp(te, "identity"))
		return read_chunked(c, &r->body, deadline);
	if (cl) {
		int64_t n;
		if (vg_parse_i64(cl, 0, INT64_MAX, &n) < 0)
			return -EPROTO;
		if ((uint64_t)n > body_max)
			return -ENOBUFS;
		return read_exact(c, &r->body, (size_t)n, deadline);
	}
	r->keep_alive = false;
	return read_to_close(c, &r->body, deadline);
}

/* --- one whole request --------------------------------------------------- */

static int request_once(struct px_conn *c, const struct px_pool *p, const char *method,
                        const char *path, const char *extra, const void *body, size_t n,
                        struct px_resp *r, size_t body_max, int timeout_ms)
{
	struct vg_buf head = VG_BUF_INIT(PX_HEAD_MAX);
	int ret = vg_buf_printf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\n%s", method, path,
	                        p->hostport, extra ? extra : "");
	if (ret == 0 && (body || strcmp(method, "GET")))
		ret = vg_buf_printf(&head, "Content-Length: %zu\r\n", n);
	if (ret == 0)
		ret = vg_buf_puts(&head, "\r\n");
	if (ret == 0)
		ret = px_conn_write2(c, head.data, head.len, body, n);
	vg_buf_fini(&head);
	if (ret < 0)
		return ret == -EPIPE || ret == -ECONNRESET ? -ECONNRESET : ret;
	return px_resp_read(c, r, body_max, timeout_ms);
}

int px_request(struct px_pool *p, const char *method, const char *path, const char *extra_headers,
               const void *body, size_t n, struct px_resp *r, size_t body_max, int timeout_ms)
{
	struct px_conn *c;
	int ret = px_pool_get(p, &c);
	if (ret < 0)
		return ret;
	ret = request_once(c, p, method, path, extra_headers, body, n, r, body_max, timeout_ms);
	if (ret == -ECONNRESET && c->reused) {
		/* The pooled connection had been closed by the peer in the
		 * meantime; nothing reached the server, so try once more. */
		px_pool_put(p, c, false);
		ret = px_pool_connect(p, &c);
		if (ret < 0)
			return ret;
		ret = request_once(c, p, method, path, extra_headers, body, n, r, body_max,
		                   timeout_ms);
	}
	px_pool_put(p, c, ret == 0 && r->keep_alive);
	return ret;
}
