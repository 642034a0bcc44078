/* The inspection seam: where the policies engine plugs into the proxy.
 *
 * For every event the runtime fetches with GET .../invocation/next, the proxy
 * hands the event bytes and the response headers (with the request id) to the
 * installed inspector before the runtime sees them. The inspector answers a
 * verdict and its findings; the proxy acts on the verdict (pass and alert:
 * forward unchanged; block, when blocking is enabled: refuse the event) and
 * then gives the verdict back through done(), where the inspector raises its
 * alerts and frees its findings.
 *
 * With no inspector installed (px_proxy_opts.inspector == NULL, the no-op)
 * the proxy does not even build the event description: the hook costs one
 * pointer test.
 */
#ifndef PX_INSPECT_H
#define PX_INSPECT_H

#include <stddef.h>

enum px_action {
	PX_PASS = 0,
	PX_ALERT,
	PX_BLOCK,
};

/* One header of the /next response, as the upstream sent it. */
struct px_event_header {
	const char *name;
	const char *value;
};

/* Borrowed by the inspector for the duration of inspect() only. */
struct px_event {
	const char *request_id; /* Lambda-Runtime-Aws-Request-Id, "" when absent */
	const char *body;       /* len bytes, not NUL-trusted */
	size_t len;
	const struct px_event_header *headers;
	unsigned n_headers;
};

struct px_finding {
	const char *rule;
	const char *category; /* a finding category of the contract */
	const char *severity;
	const char *path;    /* where in the event, e.g. body>$.user.name */
	const char *excerpt; /* redacted, at most 128 bytes */
};

struct px_verdict {
	enum px_action action;
	/* Owned by the inspector; valid until done() returns. */
	const struct px_finding *findings;
	size_t n_findings;
	/* The refusal of a blocked event (action PX_BLOCK), owned by the
	 * inspector, valid until done() returns. block_error_type NULL: a
	 * response document the proxy posts to /invocation/{id}/response (the
	 * 403 of an HTTP source); else an error document it posts to
	 * /invocation/{id}/error with Lambda-Runtime-Function-Error-Type set to
	 * block_error_type. block_body NULL: the proxy's own Vigil.Blocked
	 * error document. */
	const char *block_body;
	size_t block_len;
	const char *block_error_type;
	void *priv; /* the inspector's own per-verdict state */
};

struct px_inspector {
	/* 0 with *v filled in, or -errno on an internal failure: the proxy then
	 * applies its fail policy (open: forward unchanged and raise a health
	 * alert; closed: refuse the event). Called concurrently from several
	 * connection threads. */
	int (*inspect)(void *ctx, const struct px_event *ev, struct px_verdict *v);
	/* After the proxy acted on v (relayed the event to the runtime or
	 * refused it), so that the inspector's alerts never delay the event;
	 * may be NULL. blocked says whether the event was refused. Called
	 * whenever inspect() returned 0. */
	void (*done)(void *ctx, const struct px_event *ev, struct px_verdict *v, int blocked);
	void *ctx;
};

#endif
