/* Builders of realistic events of every source, for the quality suite. */
#ifndef Q_EVENTS_H
#define Q_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "pol.h"
#include "vg_buf.h"

#define Q_FIELDS_MAX 16

/* The user-controlled fields of one request: name/value pairs. */
struct q_fields {
	const char *k[Q_FIELDS_MAX];
	const char *v[Q_FIELDS_MAX];
	size_t vn[Q_FIELDS_MAX];
	size_t n;
};

/* Builds into o an event of source src carrying the fields; variant picks
 * between shapes of one source (SQS: plain body or SNS inside SQS). */
void q_event(struct vg_buf *o, enum pol_source src, const struct q_fields *f, unsigned variant);

#define Q_HEADERS_MAX 32

/* One HTTP request as a client sends it: path and query still
 * percent-encoded, headers as set (Cookie and Content-Type among them),
 * the body's bytes. Nothing is owned: the strings outlive the call. */
struct q_request {
	const char *method; /* NULL: GET */
	const char *path;   /* NULL: "/" */
	const char *query;  /* without the '?'; NULL: none */
	const char *hk[Q_HEADERS_MAX];
	const char *hv[Q_HEADERS_MAX];
	size_t nh;
	const char *body; /* NULL: none */
	size_t body_n;
};

/* True for the sources whose events carry an HTTP request (API Gateway v1,
 * v2, Function URL, ALB, authorizer, WebSocket). */
bool q_source_is_http(enum pol_source src);

/* Builds into o the event in which source src (one for which
 * q_source_is_http holds) hands the request to a function: headers, query
 * decoded or not as that service does, cookies where it puts them, the
 * body base64-encoded when it is not UTF-8. An authorizer is handed the
 * body too, so that every request keeps all of its parts. */
void q_http_event(struct vg_buf *o, enum pol_source src, const struct q_request *r);

#endif
