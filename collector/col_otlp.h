/* OTLP/HTTP JSON logs: parsing an ExportLogsServiceRequest into flat records.
 *
 * The body is untrusted. Parsing is bounded: the caller caps the body size,
 * cJSON caps nesting, attribute values are converted with a depth limit, and
 * the record count per request is capped. A record that is structurally wrong
 * (not an object, attributes not a list, a bad timestamp, too deep, too many
 * attributes) is rejected on its own and counted, as OTLP's partial success
 * asks; a body that is not an ExportLogsServiceRequest at all fails whole.
 */
#ifndef COL_OTLP_H
#define COL_OTLP_H

#include <stddef.h>
#include <stdint.h>

#define COL_OTLP_MAX_RECORDS 10000 /* per request */
#define COL_OTLP_MAX_ATTRS   256   /* per record, and per resource */
#define COL_OTLP_MAX_DEPTH   16    /* nesting of array/kvlist values */

/* One log record, flattened. String fields point into the batch's parse tree
 * (or are NULL when absent) and live as long as the batch; attrs_json and
 * resource_json are JSON objects keyed by attribute name, owned by the batch. */
struct col_record {
	int64_t time_ns;
	int severity_number;
	const char *severity_text;
	const char *body;     /* a string body, or NULL (see body_json) */
	char *body_json;      /* a non-string body, serialised; owned by the batch */
	const char *alert_id; /* vigil.alert.id: NULL for a generic event */
	const char *kind;
	const char *category;
	const char *rule;
	const char *action;
	const char *source;
	const char *field_path;
	const char *excerpt;
	const char *request_id; /* faas.invocation_id */
	const char *function;   /* resource faas.name */
	const char *service;    /* resource service.name */
	char *attrs_json;
	char *resource_json;
};

struct col_batch {
	struct col_record *records;
	size_t n;
	size_t rejected;
	char error[160]; /* why the first record was rejected */
	void *tree;      /* the cJSON tree, rejected records removed */
};

/* Parses body[0..len) (not NUL-terminated). 0 with *out set (free with
 * col_batch_free), -EINVAL when the body is not a valid request (msg, if
 * given, says why, msgn bytes), -ENOMEM. */
int col_otlp_parse(const char *body, size_t len, struct col_batch **out, char *msg, size_t msgn);
void col_batch_free(struct col_batch *b);

/* The request with its rejected records removed, as compact JSON: what a
 * forwarder relays. Caller frees; NULL on -ENOMEM. */
char *col_batch_json(const struct col_batch *b, size_t *len);

#endif
