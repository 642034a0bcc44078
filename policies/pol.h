/* Vigil's inspection engine: event bytes in, findings and a verdict out.
 *
 * A pol_engine holds a compiled policy: the built-in default (a static table,
 * nothing parsed at start-up) with any policy files layered over it. It is
 * immutable once built, so any number of threads may call pol_inspect on one
 * engine at the same time. pol_inspect classifies the event's source, extracts
 * every attacker-reachable input with its field path, decodes it the way the
 * function's code will see it, runs the detectors and the policy's rules, and
 * scores the findings into a verdict.
 *
 * Ownership, once for all: pol_engine_new gives the caller an engine that
 * pol_engine_free releases; pol_inspect gives the caller a result that
 * pol_result_free releases; every pointer a result hands out (findings, their
 * strings, the source name) lives as long as that result. The engine keeps no
 * pointer to the event bytes after pol_inspect returns. Both free functions
 * accept NULL.
 */
#ifndef POL_H
#define POL_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "vg_buf.h"

struct pol_engine;
struct pol_result;

enum pol_mode {
	POL_MODE_MONITOR, /* findings become alerts; nothing is refused */
	POL_MODE_BLOCK,   /* events whose verdict is block are refused */
};

enum pol_verdict {
	POL_PASS,
	POL_ALERT,
	POL_BLOCK,
	POL_ERROR, /* the event is not valid JSON */
};

enum pol_action {
	POL_ACT_OFF,   /* the rule is disabled */
	POL_ACT_ALERT, /* scores, and alerts when over the threshold, never blocks */
	POL_ACT_BLOCK, /* scores, and blocks in block mode when over the threshold */
};

/* The 17 sources of the contract, in its order. */
enum pol_source {
	POL_SRC_APIGW_V1,
	POL_SRC_APIGW_V2,
	POL_SRC_FUNCTION_URL,
	POL_SRC_ALB,
	POL_SRC_APIGW_AUTHORIZER,
	POL_SRC_APIGW_WEBSOCKET,
	POL_SRC_SQS,
	POL_SRC_SNS,
	POL_SRC_S3,
	POL_SRC_DYNAMODB,
	POL_SRC_KINESIS,
	POL_SRC_EVENTBRIDGE,
	POL_SRC_COGNITO,
	POL_SRC_APPSYNC,
	POL_SRC_MSK,
	POL_SRC_CLOUDWATCH_LOGS,
	POL_SRC_UNKNOWN,
	POL_SRC__COUNT
};

struct pol_finding {
	const char *rule;     /* detector rule ("sqli.tautology") or policy rule id */
	const char *path;     /* field path, e.g. "body>$.user.name" */
	const char *excerpt;  /* the matched input around the hit, at most 128 bytes */
	enum pol_category category;
	enum pol_severity severity;
	enum pol_action action;
	uint8_t confidence;   /* 1..100 */
	uint16_t score;       /* what this finding added to the event's score */
};

/* Builds an engine from the built-in policy with the files in paths[0..n)
 * layered over it in order (a path may name a folder: its *.json files are
 * loaded in name order). 0, -EINVAL when a file is invalid (err, if not NULL,
 * receives "FILE:LINE: cause"), -ENOMEM. */
int pol_engine_new(struct pol_engine **out, const char *const *paths, size_t n,
		   enum pol_mode mode, char *err, size_t errn);
/* The same with the built-in policy's paranoia level set to 1..4 before the
 * files are layered (a file's "paranoia" still wins). -EINVAL out of range. */
int pol_engine_new_at(struct pol_engine **out, unsigned paranoia, const char *const *paths,
		      size_t n, enum pol_mode mode, char *err, size_t errn);
void pol_engine_free(struct pol_engine *e);
enum pol_mode pol_engine_mode(const struct pol_engine *e);

/* Validates one policy file without building an engine. 0 when valid;
 * -EINVAL with "FILE:LINE: cause" in err; -errno when unreadable. */
int pol_policy_check(const char *path, char *err, size_t errn);

/* Inspects one event, json[0..n) (not NUL-terminated). Always produces a
 * result unless memory runs out (-ENOMEM): an event that is not JSON gets the
 * verdict POL_ERROR and a "malformed" finding. */
int pol_inspect(const struct pol_engine *e, const char *json, size_t n, struct pol_result **out);
void pol_result_free(struct pol_result *r);

enum pol_verdict pol_result_verdict(const struct pol_result *r);
enum pol_source pol_result_source(const struct pol_result *r);
unsigned pol_result_score(const struct pol_result *r);
/* Nonzero when the time budget ran out before the whole event was seen. */
int pol_result_budget_exhausted(const struct pol_result *r);
size_t pol_result_count(const struct pol_result *r);
const struct pol_finding *pol_result_finding(const struct pol_result *r, size_t i);
/* Appends the findings as a JSON array (the `vigil inspect` format). */
int pol_result_findings_json(const struct pol_result *r, struct vg_buf *out);

/* The refusal of a blocked event, in the form its source expects. For HTTP
 * sources (API Gateway v1, v2, WebSocket, ALB, Function URL) and authorizers
 * it is a response document to post to /invocation/{id}/response, and the
 * function returns 1; for the others it is an error document to post to
 * /invocation/{id}/error with the header Lambda-Runtime-Function-Error-Type
 * set to *error_type ("Vigil.Blocked"), and the function returns 0. Negative
 * errno on failure. */
int pol_block_response(const struct pol_result *r, struct vg_buf *out, const char **error_type);

const char *pol_source_name(enum pol_source s);
const char *pol_category_name(enum pol_category c);
const char *pol_severity_name(enum pol_severity s);
const char *pol_verdict_name(enum pol_verdict v);

#endif
