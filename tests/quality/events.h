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

#endif
