/* The refusal of a blocked event, shaped for the service that sent it: an
 * HTTP 403 for the HTTP front doors, a Deny for authorizers, and for queues,
 * streams and the rest a function error of type Vigil.Blocked, so that
 * retries and dead-letter queues work as the service designs them. */
#include <stdio.h>
#include <string.h>

#include "pol-private.h"

#define FORBIDDEN_BODY "\"{\\\"message\\\":\\\"Forbidden\\\"}\""

static int http_403(const struct pol_result *r, struct vg_buf *b)
{
	switch (r->source) {
	case POL_SRC_ALB:
		/* ALB wants multiValueHeaders back when the target group sends
		 * them (remembered at inspection), and a status description. */
		return vg_buf_printf(b,
				     "{\"statusCode\":403,\"statusDescription\":\"403 Forbidden\","
				     "\"%s\":{\"Content-Type\":%s},\"isBase64Encoded\":false,"
				     "\"body\":" FORBIDDEN_BODY "}",
				     r->multi_headers ? "multiValueHeaders" : "headers",
				     r->multi_headers ? "[\"application/json\"]" : "\"application/json\"");
	case POL_SRC_APIGW_V2:
	case POL_SRC_FUNCTION_URL:
		return vg_buf_puts(b, "{\"statusCode\":403,\"headers\":{\"content-type\":"
				      "\"application/json\"},\"isBase64Encoded\":false,\"body\":"
				      FORBIDDEN_BODY "}");
	default: /* API Gateway REST and WebSocket */
		return vg_buf_puts(b, "{\"statusCode\":403,\"headers\":{\"Content-Type\":"
				      "\"application/json\"},\"multiValueHeaders\":{},"
				      "\"isBase64Encoded\":false,\"body\":" FORBIDDEN_BODY "}");
	}
}

static int authorizer_deny(const struct pol_result *r, struct vg_buf *b)
{
	/* Both answers in one document: HTTP APIs with simple responses read
	 * isAuthorized, REST APIs and the rest read the policy. */
	int rc = vg_buf_puts(b, "{\"isAuthorized\":false,\"principalId\":\"vigil-blocked\","
				"\"policyDocument\":{\"Version\":\"2012-10-17\",\"Statement\":[{"
				"\"Action\":\"execute-api:Invoke\",\"Effect\":\"Deny\",\"Resource\":");
	const char *arn = r->arn ? r->arn : "*";
	rc = rc ? rc : vg_buf_json_str(b, arn, strlen(arn));
	return rc ? rc : vg_buf_puts(b, "}]}}");
}

static const struct pol_finding *strongest(const struct pol_result *r)
{
	const struct pol_finding *best = NULL;
	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].category < POL_CAT_OVERSIZE && (!best || r->f[i].score > best->score))
			best = &r->f[i];
	return best;
}

int pol_block_response(const struct pol_result *r, struct vg_buf *b, const char **error_type)
{
	int rc;
	*error_type = NULL;
	switch (r->source) {
	case POL_SRC_APIGW_V1:
	case POL_SRC_APIGW_V2:
	case POL_SRC_FUNCTION_URL:
	case POL_SRC_ALB:
	case POL_SRC_APIGW_WEBSOCKET:
		rc = http_403(r, b);
		return rc ? rc : 1;
	case POL_SRC_APIGW_AUTHORIZER:
		rc = authorizer_deny(r, b);
		return rc ? rc : 1;
	default:
		break;
	}
	/* The error names the rule and the field, never the payload: it ends up
	 * in dead-letter queues and logs. */
	const struct pol_finding *f = strongest(r);
	*error_type = "Vigil.Blocked";
	rc = vg_buf_puts(b, "{\"errorType\":\"Vigil.Blocked\",\"errorMessage\":");
	if (!rc) {
		char msg[POL_PATH_MAX + 160];
		snprintf(msg, sizeof(msg), "Vigil blocked this %s event: %s (%s) at %s",
			 pol_source_name(r->source), f ? pol_category_name(f->category) : "policy",
			 f ? f->rule : "-", f ? f->path : "-");
		rc = vg_buf_json_str(b, msg, strlen(msg));
	}
	if (!rc)
		rc = vg_buf_puts(b, "}");
	return rc;
}
