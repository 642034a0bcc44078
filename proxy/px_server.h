/* A minimal HTTP/1.1 server: one thread per connection, blocking I/O,
 * keep-alive, request bodies read piece by piece as they arrive
 * (Content-Length or chunked, with trailers), each response written with one
 * writev.
 *
 * Why not libmicrohttpd here: the proxy sits on every invocation and vigil
 * must start within a few milliseconds. Debian's libmicrohttpd pulls in
 * GnuTLS and nine more shared libraries (about 2 ms of loading and
 * constructors before main) and spends several system calls per request in
 * its poll loop; this server does one read and one writev per small request.
 * It speaks only what a Lambda runtime client sends: no pipelining beyond
 * sequential keep-alive, no upgrades, no TLS.
 *
 * Bounds: request heads up to PX_HEAD_MAX, PX_HEADERS_MAX headers and as many
 * trailers, PX_SRV_CONN_MAX concurrent connections (more are closed at once).
 * No read timeout: a runtime's connection idles while the sandbox is frozen.
 */
#ifndef PX_SERVER_H
#define PX_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "px_client.h"

#define PX_SRV_CONN_MAX 64

struct px_srv;

struct px_srv_req {
	const char *method;
	const char *target; /* path and query, as the client wrote them */
	struct px_header headers[PX_HEADERS_MAX];
	unsigned n_headers;
	struct px_header trailers[PX_HEADERS_MAX]; /* valid once the body is read */
	unsigned n_trailers;
	bool chunked;    /* Transfer-Encoding: chunked */
	bool has_length; /* Content-Length given */
	uint64_t length; /* its value */
	/* private */
	struct px_conn *conn;
	struct vg_buf head; /* owns the strings above */
	struct vg_buf tail; /* owns the trailer strings */
	uint64_t left;      /* bytes left in the body or the current chunk */
	bool in_chunk;      /* inside a chunk's data (its CRLF still to come) */
	bool body_done;
	bool keep_alive;
	bool responded;
};

/* Handles one request: reads the body with px_srv_body_read (or not: the
 * rest is discarded), answers with px_srv_respond. Returning < 0 without a
 * response closes the connection (the client sees it fail). Called from
 * connection threads concurrently. */
typedef int (*px_srv_handler)(void *ctx, struct px_srv_req *req);

/* Binds host:port (port 0: the kernel picks), listens and starts the accept
 * thread before returning. *out is the caller's (px_srv_free). 0, -EINVAL,
 * -errno of bind. */
int px_srv_new(const char *host, uint16_t port, px_srv_handler h, void *ctx, struct px_srv **out);
uint16_t px_srv_port(const struct px_srv *s);
/* fn(ctx, marked) runs on a connection's thread after the client's
 * connection was closed (not when the server is being stopped); marked is
 * whether a handler set req->conn->marked on it. NULL: none. */
void px_srv_set_on_close(struct px_srv *s, void (*fn)(void *ctx, bool marked));
/* Stops accepting, shuts every connection down and waits (bounded) for
 * their threads. NULL is accepted. */
void px_srv_free(struct px_srv *s);

/* A request header, case-insensitively; NULL when absent. */
const char *px_srv_header(const struct px_srv_req *r, const char *name);
/* Up to n body bytes into buf, decoded from its framing: > 0, 0 at the end
 * (the trailers are then in r->trailers), -errno (the connection is then
 * closed). */
ssize_t px_srv_body_read(struct px_srv_req *r, char *buf, size_t n);
/* Status line, headers (hop-by-hop ones are the caller's to leave out), a
 * Content-Length of n and the body, in one writev. 0 or -errno. */
int px_srv_respond(struct px_srv_req *r, int status, const struct px_header *h, unsigned nh,
                   const char *body, size_t n);

#endif
