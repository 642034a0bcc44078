/* The alert record, printed as one JSON line on stdout (Lambda sends stdout
 * to CloudWatch Logs). The shape follows the contract's alert record: the
 * OTLP log record's fields plus the resource attributes, attribute keys by
 * name. The OTLP exporter (a later piece) sends the same record. */
#ifndef EXT_ALERT_H
#define EXT_ALERT_H

#include <stdint.h>
#include <stdio.h>

#include "vg_buf.h"

struct ext_alert {
	const char *kind;       /* inspection, telemetry, posture, health */
	const char *category;   /* e.g. internal_error, proxy_bypassed */
	const char *rule;       /* the rule or detector that fired */
	const char *action;     /* alert or block; NULL: alert */
	const char *severity;   /* OTLP severity text: INFO, WARN, ERROR; NULL: WARN */
	const char *request_id; /* faas.invocation_id; NULL or "" when none */
	const char *summary;    /* the body: one line */
	uint64_t time_ns;       /* 0: now */
};

/* Appends the record (without newline) to out. The id is stable: the same
 * alert (kind, category, rule, request id, function) always gets the same
 * vigil.alert.id. 0 or -ENOBUFS/-ENOMEM. */
int ext_alert_format(struct vg_buf *out, const struct ext_alert *a);
/* Formats and writes one line to out with a single write, so lines from
 * several threads never interleave. */
int ext_alert_print(FILE *out, const struct ext_alert *a);

#endif
