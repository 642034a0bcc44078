/* The Runtime API proxy: a transparent copy of the Runtime API on
 * 127.0.0.1:PORT that relays every request to the real endpoint and every
 * response back, unchanged, and hands each event to the inspector on its way
 * to the runtime.
 *
 * - Every method and path is relayed (next, response, error, init/error,
 *   restore routes, anything unknown); all end-to-end headers both ways;
 *   status codes and bodies as the upstream gave them.
 * - Request bodies are streamed upstream as they arrive, in the framing the
 *   runtime chose (Content-Length, or chunked with its trailers), so a
 *   streamed response of any size passes without being held whole, and the
 *   upstream alone decides about sizes (413 and its body reach the runtime as
 *   they would directly).
 * - One thread per runtime connection, no timeout on any upstream read
 *   (GET /next blocks while the sandbox is frozen), keep-alive on both sides,
 *   concurrent requests on separate upstream connections.
 * - GET /vigil/ready is answered by the proxy itself: the wrapper's readiness
 *   probe.
 * - Never break the function: an internal failure passes the request through
 *   unchanged (or refuses the event when fail_closed) and reports a health
 *   alert; an upstream failure closes the runtime's connection, which is what
 *   the runtime would have seen talking to the upstream directly.
 */
#ifndef PX_PROXY_H
#define PX_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "px_inspect.h"

#define PX_READY_PATH "/vigil/ready"
/* Largest upstream response body held for relaying; events are at most 6 MB
 * (buffered invoke limit), this leaves room for any upstream's error body. */
#define PX_RESP_MAX (32u * 1024 * 1024)

struct px_proxy;

struct px_proxy_opts {
	const char *upstream;    /* "host:port" of the real Runtime API */
	const char *listen_host; /* NULL: 127.0.0.1 */
	uint16_t port;           /* 0: the kernel picks one (see px_proxy_port) */
	/* NULL: no inspection (the no-op). Borrowed; must outlive the proxy. */
	const struct px_inspector *inspector;
	bool block;       /* refuse events whose verdict is PX_BLOCK (mode block) */
	bool fail_closed; /* refuse the event on an internal failure */
	/* A health alert: category is a contract health category
	 * (internal_error, ...); request_id may be "". Called from connection
	 * threads; may be NULL. */
	void (*health)(void *ctx, const char *category, const char *request_id,
	               const char *message);
	void *health_ctx;
	/* The invocation request_id has its answer: the runtime's POST
	 * .../invocation/{id}/response or .../error was relayed and the
	 * upstream answered it (whatever its status: a 413 for a response too
	 * large also ends the invocation), or the proxy refused a blocked
	 * event itself. Called from connection threads; may be NULL. */
	void (*responded)(void *ctx, const char *request_id);
	/* A runtime's connection closed: one that carried Runtime API
	 * requests, not the readiness probe's (a runtime that crashed or
	 * exited closes its connections; so do runtimes without keep-alive).
	 * Called from connection threads, with responded_ctx; may be NULL. */
	void (*disconnected)(void *ctx);
	/* The proxy is about to refuse request_id's event itself (a block
	 * verdict, or an internal failure with fail_closed): said before the
	 * refusal is posted, since the platform's records of that invocation
	 * may follow at once. Called from connection threads, with
	 * responded_ctx; may be NULL. */
	void (*refusing)(void *ctx, const char *request_id);
	void *responded_ctx;
};

/* Binds the listening socket and starts serving before returning, so the
 * runtime may connect as soon as this returns. *out is owned by the caller
 * (px_proxy_free). 0, -EINVAL (bad upstream), -EADDRINUSE, -errno. */
int px_proxy_new(const struct px_proxy_opts *o, struct px_proxy **out);
uint16_t px_proxy_port(const struct px_proxy *p);
/* How many GET .../invocation/next requests the proxy has received (counted
 * on arrival, before they are answered). */
unsigned long px_proxy_next_count(struct px_proxy *p);
/* Stops serving: cuts the upstream connections still waiting (a pending
 * /next) and joins every thread. NULL is accepted. */
void px_proxy_free(struct px_proxy *p);

/* Whether a header is hop-by-hop (Connection, Transfer-Encoding, Host, ...):
 * the proxy frames each side itself and relays every other header. */
bool px_header_is_hop(const char *name);

#endif
