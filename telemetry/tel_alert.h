/* The alert: what every part of Vigil raises (the proxy's inspector, the
 * telemetry detectors, posture and health checks) and what the exporter
 * delivers, as the contract's alert record (an OTLP log record).
 *
 * A struct tel_alert is a description with borrowed strings: whoever takes
 * one (a sink, tel_alert_format) copies what it keeps before returning, so a
 * caller may build one on the stack from strings it owns.
 */
#ifndef TEL_ALERT_H
#define TEL_ALERT_H

#include <stdint.h>

#include "vg_buf.h"

/* vigil.excerpt's bound in bytes; longer excerpts are cut on a UTF-8
 * boundary. */
#define TEL_EXCERPT_MAX 128

/* An attribute beyond the fixed ones (e.g. "vigil.count" = "17"). */
struct tel_attr {
	const char *key;
	const char *value;
	int is_int; /* value is a decimal integer: sent as intValue */
};

struct tel_alert {
	const char *kind;          /* inspection, telemetry, posture, health */
	const char *category;      /* a contract category: sqli, timeout, secret_in_env, ... */
	const char *rule;          /* vigil.rule.id: the rule or detector that fired */
	const char *action;        /* alert or block; NULL: alert */
	const char *severity;      /* OTLP severityText: INFO, WARN, ERROR, FATAL; NULL: WARN */
	const char *request_id;    /* faas.invocation_id; NULL or "": none */
	const char *source;        /* vigil.event.source (inspection); NULL: absent */
	const char *path;          /* vigil.field.path; NULL: absent */
	const char *excerpt;       /* vigil.excerpt, already redacted; cut to 128 bytes */
	const char *summary;       /* the body: one line */
	const char *correlated_id; /* vigil.correlated.alert.id; NULL: absent */
	/* Extra input to the stable id when kind, category, rule, request id
	 * and path do not tell two alerts apart (a variable's name, a window's
	 * start); NULL: none. */
	const char *id_salt;
	uint64_t time_ns; /* 0: now */
	const struct tel_attr *attrs;
	unsigned n_attrs;
};

/* The stable vigil.alert.id: 32 hex digits from kind, category, rule,
 * request id, path, id_salt and the function's name and version, so the
 * same alert sent twice (retry, thaw, a restarted extension) has the same
 * id. */
void tel_alert_id(const struct tel_alert *a, char out[33]);

/* Where alerts go. emit copies what it keeps; it never blocks on the
 * network and may be called from any thread. */
struct tel_sink {
	void (*emit)(void *ctx, const struct tel_alert *a);
	void *ctx;
};

static inline void tel_emit(const struct tel_sink *s, const struct tel_alert *a)
{
	if (s && s->emit)
		s->emit(s->ctx, a);
}

/* Appends the alert as one OTLP logRecord JSON object (the element of
 * scopeLogs[].logRecords[]). 0 or -ENOBUFS. */
int tel_alert_otlp(struct vg_buf *out, const struct tel_alert *a);
/* Appends the alert as the stdout JSON line's object (no newline): the
 * record's fields with the resource attributes, attribute keys by name.
 * 0 or -ENOBUFS. */
int tel_alert_json(struct vg_buf *out, const struct tel_alert *a);
/* Writes the alert's stdout line (tel_alert_json and a newline) to fd at
 * once, under a process-wide lock, so lines from several threads never
 * interleave: for `vigil probe`, for the daemon before its exporter runs,
 * and for the exporter's loss reports. 0 or -errno. */
int tel_alert_print(int fd, const struct tel_alert *a);
/* Appends the OTLP resource object of this function (from the Lambda
 * environment variables). 0 or -ENOBUFS. */
int tel_resource_otlp(struct vg_buf *out);

#endif
