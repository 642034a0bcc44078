/* Which AWS service sent an event, judged from its shape, and the names of
 * the contract's enumerations. */
#include <string.h>
#include <strings.h>

#include "pol-private.h"

static const char *const source_names[POL_SRC__COUNT] = {
	"apigw-v1", "apigw-v2", "function-url", "alb", "apigw-authorizer", "apigw-websocket",
	"sqs", "sns", "s3", "dynamodb", "kinesis", "eventbridge", "cognito", "appsync", "msk",
	"cloudwatch-logs", "unknown",
};

static const char *const category_names[POL_CAT__COUNT] = {
	"sqli", "xss", "cmdi", "path_traversal", "ssrf", "nosqli", "proto_pollution", "jndi",
	"ssti", "xxe", "deserialization", "code_injection", "oversize", "too_deep", "malformed",
};

const char *pol_source_name(enum pol_source s)
{
	return (unsigned)s < POL_SRC__COUNT ? source_names[s] : "unknown";
}

const char *pol_category_name(enum pol_category c)
{
	return (unsigned)c < POL_CAT__COUNT ? category_names[c] : "malformed";
}

const char *pol_severity_name(enum pol_severity s)
{
	static const char *const names[] = {"info", "low", "medium", "high", "critical"};
	return (unsigned)s <= POL_SEV_CRITICAL ? names[s] : "info";
}

const char *pol_verdict_name(enum pol_verdict v)
{
	static const char *const names[] = {"pass", "alert", "block", "error"};
	return (unsigned)v <= POL_ERROR ? names[v] : "error";
}

static int lookup(const char *const *names, int count, const char *s, size_t n)
{
	for (int i = 0; i < count; i++)
		if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
			return i;
	return -1;
}

int pol_source_parse(const char *s, size_t n)
{
	return lookup(source_names, POL_SRC__COUNT, s, n);
}

int pol_category_parse(const char *s, size_t n)
{
	return lookup(category_names, POL_CAT__COUNT, s, n);
}

static bool has(const struct pol_json *d, uint32_t obj, const char *key)
{
	return pol_json_get(d, obj, key) >= 0;
}

static bool str_is(const struct pol_json *d, uint32_t obj, const char *key, const char *want)
{
	size_t n;
	const char *s = pol_json_get_str(d, obj, key, &n);
	return s && strlen(want) == n && memcmp(s, want, n) == 0;
}

static bool str_has(const struct pol_json *d, uint32_t obj, const char *key, const char *part)
{
	size_t n;
	const char *s = pol_json_get_str(d, obj, key, &n);
	return s && memmem(s, n, part, strlen(part)) != NULL;
}

static enum pol_source classify_records(const struct pol_json *d, uint32_t recs)
{
	if (d->nodes[recs].type != POL_J_ARR || d->nodes[recs].count == 0)
		return POL_SRC_UNKNOWN;
	uint32_t r = recs + 1;
	if (d->nodes[r].type != POL_J_OBJ)
		return POL_SRC_UNKNOWN;
	size_t n;
	const char *es = pol_json_get_str(d, r, "eventSource", &n);
	if (!es)
		es = pol_json_get_str(d, r, "EventSource", &n);
	static const struct {
		const char *name;
		enum pol_source src;
	} by_name[] = {
		{"aws:sqs", POL_SRC_SQS},       {"aws:sns", POL_SRC_SNS},
		{"aws:s3", POL_SRC_S3},         {"aws:dynamodb", POL_SRC_DYNAMODB},
		{"aws:kinesis", POL_SRC_KINESIS},
	};
	if (es)
		for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++)
			if (strlen(by_name[i].name) == n && memcmp(es, by_name[i].name, n) == 0)
				return by_name[i].src;
	/* Shapes without an eventSource (test tools often drop it). */
	if (has(d, r, "Sns"))
		return POL_SRC_SNS;
	if (has(d, r, "s3"))
		return POL_SRC_S3;
	if (has(d, r, "dynamodb"))
		return POL_SRC_DYNAMODB;
	if (has(d, r, "kinesis"))
		return POL_SRC_KINESIS;
	if (has(d, r, "receiptHandle") && has(d, r, "body"))
		return POL_SRC_SQS;
	return POL_SRC_UNKNOWN;
}

static enum pol_source classify_http(const struct pol_json *d, uint32_t root)
{
	int64_t rc = pol_json_get(d, root, "requestContext");
	if (rc >= 0 && d->nodes[rc].type != POL_J_OBJ)
		rc = -1;
	if (rc >= 0 && has(d, (uint32_t)rc, "elb"))
		return POL_SRC_ALB;
	if (rc >= 0 && (has(d, (uint32_t)rc, "connectionId") || has(d, (uint32_t)rc, "eventType")))
		return POL_SRC_APIGW_WEBSOCKET;
	/* authorizers: TOKEN and REQUEST (v1), REQUEST with routeArn (v2) */
	if ((str_is(d, root, "type", "TOKEN") || str_is(d, root, "type", "REQUEST")) &&
	    (has(d, root, "methodArn") || has(d, root, "routeArn")))
		return POL_SRC_APIGW_AUTHORIZER;
	if (rc >= 0 && has(d, (uint32_t)rc, "http") && (has(d, root, "rawPath") || has(d, root, "routeKey"))) {
		if (str_has(d, (uint32_t)rc, "domainName", ".lambda-url."))
			return POL_SRC_FUNCTION_URL;
		return POL_SRC_APIGW_V2;
	}
	if (has(d, root, "httpMethod") && (rc >= 0 || has(d, root, "resource")))
		return POL_SRC_APIGW_V1;
	if (str_is(d, root, "version", "2.0") && has(d, root, "rawPath"))
		return POL_SRC_APIGW_V2;
	return POL_SRC_UNKNOWN;
}

static bool is_appsync_call(const struct pol_json *d, uint32_t o)
{
	if (d->nodes[o].type != POL_J_OBJ)
		return false;
	int64_t info = pol_json_get(d, o, "info");
	if (!has(d, o, "arguments"))
		return false;
	/* the direct resolver shape has "info"; the older one names the field
	 * at the top */
	return (info >= 0 && (has(d, (uint32_t)info, "fieldName") ||
			      has(d, (uint32_t)info, "parentTypeName"))) ||
	       (has(d, o, "fieldName") && has(d, o, "typeName"));
}

enum pol_source pol_source_classify(const struct pol_json *d)
{
	if (d->n == 0)
		return POL_SRC_UNKNOWN;
	uint32_t root = 0;
	if (d->nodes[0].type == POL_J_ARR) {
		/* AppSync batch resolvers receive an array of calls */
		if (d->nodes[0].count > 0 && is_appsync_call(d, 1))
			return POL_SRC_APPSYNC;
		return POL_SRC_UNKNOWN;
	}
	if (d->nodes[0].type != POL_J_OBJ)
		return POL_SRC_UNKNOWN;
	int64_t recs = pol_json_get(d, root, "Records");
	if (recs >= 0)
		return classify_records(d, (uint32_t)recs);
	int64_t awslogs = pol_json_get(d, root, "awslogs");
	if (awslogs >= 0 && d->nodes[awslogs].type == POL_J_OBJ && has(d, (uint32_t)awslogs, "data"))
		return POL_SRC_CLOUDWATCH_LOGS;
	if (has(d, root, "records") &&
	    (str_is(d, root, "eventSource", "aws:kafka") ||
	     str_is(d, root, "eventSource", "SelfManagedKafka") || has(d, root, "bootstrapServers")))
		return POL_SRC_MSK;
	if (has(d, root, "detail-type") && has(d, root, "source") && has(d, root, "detail"))
		return POL_SRC_EVENTBRIDGE;
	if (has(d, root, "triggerSource") && has(d, root, "userPoolId"))
		return POL_SRC_COGNITO;
	if (is_appsync_call(d, root))
		return POL_SRC_APPSYNC;
	/* AppSync Lambda authorizer */
	int64_t rc = pol_json_get(d, root, "requestContext");
	if (has(d, root, "authorizationToken") && !has(d, root, "methodArn") && rc >= 0 &&
	    has(d, (uint32_t)rc, "apiId"))
		return POL_SRC_APPSYNC;
	return classify_http(d, root);
}
