/* A minimal HTTP/1.1 client for one upstream (the Runtime API or the
 * Extensions API): a small pool of keep-alive connections, requests written
 * in pieces as their bodies arrive, responses read into capped buffers.
 *
 * Why not libcurl: the proxy must stream a request body upstream while it is
 * still arriving from the runtime (chunk by chunk, with trailers), and it must
 * add well under 100 µs per invocation. Writing the bytes ourselves on a
 * kept-alive TCP_NODELAY socket does both with no extra thread or copy. The
 * client speaks only what the Lambda APIs need: Content-Length, chunked and
 * read-until-close bodies, no TLS, no redirects.
 *
 * No read timeout is ever set: a GET /next may legitimately block for as long
 * as the sandbox stays frozen. Callers that need a bound (the readiness probe)
 * pass one explicitly.
 */
#ifndef PX_CLIENT_H
#define PX_CLIENT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "vg_buf.h"

#define PX_POOL_IDLE_MAX 8
/* Status line plus headers of one response; the X-Ray error cause alone may
 * be 64 KiB. */
#define PX_HEAD_MAX    (256 * 1024)
#define PX_HEADERS_MAX 128

struct px_pool {
	struct sockaddr_in addr;
	char hostport[272]; /* "host:port" for the Host header */
	pthread_mutex_t lock;
	int idle[PX_POOL_IDLE_MAX];
	unsigned n_idle;
};

/* One upstream connection, taken from the pool for one exchange. */
struct px_conn {
	int fd;
	bool reused; /* came from the pool: the peer may have closed it */
	bool broken; /* a write failed: do not write any more */
	bool marked; /* server side: set by a handler, handed to on_close */
	size_t rpos, rlen;
	char rbuf[16384];
};

struct px_header {
	const char *name; /* point into px_resp.head */
	const char *value;
};

struct px_resp {
	int status;
	bool keep_alive;
	struct vg_buf head; /* the raw head, NUL-split into the header strings */
	struct px_header headers[PX_HEADERS_MAX];
	unsigned n_headers;
	struct vg_buf body;
};

/* upstream is "host:port" with an IPv4 literal or a resolvable name.
 * 0, -EINVAL. */
int px_pool_init(struct px_pool *p, const char *upstream);
void px_pool_fini(struct px_pool *p);

/* A connection ready for one request: a pooled idle one that still looks
 * alive, else a new one. *out is allocated; give it back with px_pool_put.
 * 0 or -errno (connect failure). */
int px_pool_get(struct px_pool *p, struct px_conn **out);
/* Open a new connection, never a pooled one. */
int px_pool_connect(struct px_pool *p, struct px_conn **out);
/* Returns c to the pool when reusable (a complete exchange with keep-alive),
 * else closes it. Frees c either way; NULL is accepted. */
void px_pool_put(struct px_pool *p, struct px_conn *c, bool reusable);

/* Writes all n bytes; 0 or -errno (the connection is then marked broken). */
int px_conn_write(struct px_conn *c, const void *data, size_t n);
/* a then b in one system call (b may be empty). */
int px_conn_write2(struct px_conn *c, const void *a, size_t an, const void *b, size_t bn);
/* One chunk of a chunked body (n > 0). */
int px_conn_write_chunk(struct px_conn *c, const void *data, size_t n);

/* Reads a whole response into r. Bodies longer than body_max fail with
 * -ENOBUFS. head_only_status: for a HEAD request (no body). timeout_ms < 0
 * waits for ever. 0, -ECONNRESET when the peer closed before any byte,
 * -EPROTO on a malformed response, -ETIMEDOUT, -errno. */
int px_resp_read(struct px_conn *c, struct px_resp *r, size_t body_max, int timeout_ms);
void px_resp_init(struct px_resp *r);
void px_resp_fini(struct px_resp *r);
/* A response header by name, case-insensitively; NULL when absent. */
const char *px_resp_header(const struct px_resp *r, const char *name);

/* One complete request on a pooled connection (retrying once on a fresh
 * connection when a reused one turns out to be closed): for the extension's
 * own calls. extra_headers is a block of "Name: value\r\n" lines or NULL.
 * 0 or -errno; r holds the response on success. */
int px_request(struct px_pool *p, const char *method, const char *path, const char *extra_headers,
               const void *body, size_t n, struct px_resp *r, size_t body_max, int timeout_ms);

#endif
