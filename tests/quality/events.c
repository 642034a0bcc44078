/* Realistic events of every source around a set of fields, for the quality
 * suite: each source carries the fields where that service carries user
 * data, encoded the way the service encodes it. */
#include "events.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static void b64(struct vg_buf *o, const char *s, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 |
		             (unsigned char)s[i + 2];
		char q[4] = {t[v >> 18], t[v >> 12 & 63], t[v >> 6 & 63], t[v & 63]};
		vg_buf_append(o, q, 4);
	}
	if (i < n) {
		unsigned v =
		    (unsigned char)s[i] << 16 | (i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0);
		char q[4] = {t[v >> 18], t[v >> 12 & 63], i + 1 < n ? t[v >> 6 & 63] : '=', '='};
		vg_buf_append(o, q, 4);
	}
}

static void gzip_b64(struct vg_buf *o, const char *s, size_t n)
{
	z_stream z = {0};
	if (deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return;
	size_t cap = deflateBound(&z, n) + 32;
	struct vg_buf tmp = VG_BUF_INIT(cap + 1);
	vg_buf_reserve(&tmp, cap);
	z.next_in = (unsigned char *)(uintptr_t)s;
	z.avail_in = (unsigned)n;
	z.next_out = (unsigned char *)tmp.data;
	z.avail_out = (unsigned)cap;
	deflate(&z, Z_FINISH);
	b64(o, tmp.data, cap - z.avail_out);
	deflateEnd(&z);
	vg_buf_fini(&tmp);
}

static void urlenc(struct vg_buf *o, const char *s, size_t n, bool plus)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			vg_buf_putc(o, (char)c);
		else if (c == ' ' && plus)
			vg_buf_putc(o, '+');
		else
			vg_buf_printf(o, "%%%02X", c);
	}
}

static void jstr(struct vg_buf *o, const char *s, size_t n)
{
	vg_buf_json_str(o, s, n);
}

/* {"k":"v",...} */
static void object(struct vg_buf *o, const struct q_fields *f)
{
	vg_buf_putc(o, '{');
	for (size_t i = 0; i < f->n; i++) {
		if (i)
			vg_buf_putc(o, ',');
		jstr(o, f->k[i], strlen(f->k[i]));
		vg_buf_putc(o, ':');
		jstr(o, f->v[i], f->vn[i]);
	}
	vg_buf_putc(o, '}');
}

static void object_as_string(struct vg_buf *o, const struct q_fields *f)
{
	struct vg_buf in = VG_BUF_INIT(1 << 24);
	object(&in, f);
	jstr(o, in.data ? in.data : "", in.len);
	vg_buf_fini(&in);
}

static void form(struct vg_buf *o, const struct q_fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (i)
			vg_buf_putc(o, '&');
		urlenc(o, f->k[i], strlen(f->k[i]), true);
		vg_buf_putc(o, '=');
		urlenc(o, f->v[i], f->vn[i], true);
	}
}

static const char http_headers[] =
    "\"headers\":{\"Accept\":\"*/*\",\"Host\":\"api.example.com\",\"User-Agent\":"
    "\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
    "Safari/537.36\",%s"
    "\"X-Forwarded-For\":\"203.0.113.9\"}";

void q_event(struct vg_buf *o, enum pol_source src, const struct q_fields *f, unsigned variant)
{
	struct vg_buf t = VG_BUF_INIT(1 << 24);
	vg_buf_reset(o);
	switch (src) {
	case POL_SRC_APIGW_V1:
		vg_buf_puts(o,
		            "{\"resource\":\"/items\",\"path\":\"/items\",\"httpMethod\":\"GET\",");
		vg_buf_printf(o, http_headers, "");
		vg_buf_puts(o, ",\"queryStringParameters\":");
		object(o, f);
		vg_buf_puts(o,
		            ",\"requestContext\":{\"resourcePath\":\"/items\",\"stage\":\"prod\"},"
		            "\"body\":null,\"isBase64Encoded\":false}");
		break;
	case POL_SRC_APIGW_V2:
		vg_buf_puts(
		    o, "{\"version\":\"2.0\",\"routeKey\":\"POST /items\",\"rawPath\":\"/items\","
		       "\"rawQueryString\":\"\",");
		vg_buf_printf(o, http_headers, "\"content-type\":\"application/json\",");
		vg_buf_puts(o, ",\"requestContext\":{\"domainName\":\"id.execute-api.us-east-1."
		               "amazonaws.com\","
		               "\"http\":{\"method\":\"POST\",\"path\":\"/items\"}},\"body\":");
		object_as_string(o, f);
		vg_buf_puts(o, ",\"isBase64Encoded\":false}");
		break;
	case POL_SRC_FUNCTION_URL:
		form(&t, f);
		vg_buf_puts(
		    o, "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"/submit\","
		       "\"rawQueryString\":\"\",");
		vg_buf_printf(o, http_headers,
		              "\"content-type\":\"application/x-www-form-urlencoded\",");
		vg_buf_puts(
		    o, ",\"requestContext\":{\"domainName\":\"abc.lambda-url.us-east-1.on.aws\","
		       "\"http\":{\"method\":\"POST\"}},\"body\":\"");
		b64(o, t.data ? t.data : "", t.len);
		vg_buf_puts(o, "\",\"isBase64Encoded\":true}");
		break;
	case POL_SRC_ALB:
		vg_buf_puts(o, "{\"requestContext\":{\"elb\":{\"targetGroupArn\":\"arn:aws:"
		               "elasticloadbalancing:"
		               "us-east-1:123456789012:targetgroup/tg/"
		               "1\"}},\"httpMethod\":\"GET\",\"path\":\"/\","
		               "\"queryStringParameters\":{");
		for (size_t i = 0; i < f->n; i++) {
			if (i)
				vg_buf_putc(o, ',');
			vg_buf_putc(o, '"');
			urlenc(o, f->k[i], strlen(f->k[i]), false);
			vg_buf_puts(o, "\":\"");
			urlenc(o, f->v[i], f->vn[i], false);
			vg_buf_putc(o, '"');
		}
		vg_buf_puts(o, "},");
		vg_buf_printf(o, http_headers, "");
		vg_buf_puts(o, ",\"body\":\"\",\"isBase64Encoded\":false}");
		break;
	case POL_SRC_APIGW_AUTHORIZER:
		vg_buf_puts(o, "{\"type\":\"REQUEST\",\"methodArn\":\"arn:aws:execute-api:us-east-"
		               "1:1:api/prod/GET/\","
		               "\"resource\":\"/\",\"path\":\"/"
		               "\",\"httpMethod\":\"GET\",\"queryStringParameters\":");
		object(o, f);
		vg_buf_puts(o, ",\"requestContext\":{\"stage\":\"prod\"}}");
		break;
	case POL_SRC_APIGW_WEBSOCKET:
		vg_buf_puts(
		    o,
		    "{\"requestContext\":{\"routeKey\":\"sendmessage\",\"eventType\":\"MESSAGE\","
		    "\"connectionId\":\"L0SM9cOFvHcCIhw=\",\"stage\":\"prod\"},\"body\":");
		object_as_string(o, f);
		vg_buf_puts(o, ",\"isBase64Encoded\":false}");
		break;
	case POL_SRC_SQS:
		vg_buf_puts(o,
		            "{\"Records\":[{\"messageId\":\"059f36b4-87a3-44ab-83d2-661975830a7d\","
		            "\"receiptHandle\":\"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a\",\"body\":");
		if (variant & 1) {
			/* SNS inside SQS: JSON in a JSON string in a JSON string */
			vg_buf_puts(&t,
			            "{\"Type\":\"Notification\",\"MessageId\":\"m1\",\"TopicArn\":"
			            "\"arn:aws:sns:us-east-1:123456789012:topic\",\"Message\":");
			object_as_string(&t, f);
			vg_buf_puts(&t, ",\"Timestamp\":\"2024-01-01T00:00:00.000Z\"}");
			jstr(o, t.data, t.len);
		} else {
			object_as_string(o, f);
		}
		vg_buf_puts(
		    o,
		    ",\"attributes\":{\"ApproximateReceiveCount\":\"1\"},\"messageAttributes\":{},"
		    "\"eventSource\":\"aws:sqs\",\"eventSourceARN\":\"arn:aws:sqs:us-east-1:"
		    "123456789012:q\","
		    "\"awsRegion\":\"us-east-1\"}]}");
		break;
	case POL_SRC_SNS:
		vg_buf_puts(
		    o,
		    "{\"Records\":[{\"EventSource\":\"aws:sns\",\"EventVersion\":\"1.0\",\"Sns\":{"
		    "\"Type\":\"Notification\",\"MessageId\":\"m\",\"TopicArn\":\"arn:aws:sns:us-"
		    "east-1:1:t\","
		    "\"Subject\":\"order\",\"Message\":");
		object_as_string(o, f);
		vg_buf_puts(o, ",\"MessageAttributes\":{}}}]}");
		break;
	case POL_SRC_S3:
		/* A key holds one string (URL-encoded, '+' a space), so each
		 * name and each value is the key of a record of its own: joined
		 * into one key they made a string no other source shows its
		 * detectors, and names were lost. */
		vg_buf_puts(o, "{\"Records\":[");
		for (size_t i = 0; i < 2 * f->n; i++) {
			const char *k = i % 2 ? f->v[i / 2] : f->k[i / 2];
			size_t kn = i % 2 ? f->vn[i / 2] : strlen(f->k[i / 2]);
			vg_buf_puts(o, i ? ",{" : "{");
			vg_buf_puts(
			    o, "\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\","
			       "\"awsRegion\":\"us-east-1\",\"eventName\":\"ObjectCreated:Put\","
			       "\"s3\":{\"bucket\":{\"name\":\"uploads\"},\"object\":{\"key\":\"");
			urlenc(o, k, kn, true);
			vg_buf_puts(o, "\",\"size\":1024}}}");
		}
		vg_buf_puts(o, "]}");
		break;
	case POL_SRC_DYNAMODB:
		vg_buf_puts(o, "{\"Records\":[{\"eventID\":\"1\",\"eventName\":\"INSERT\","
		               "\"eventSource\":\"aws:dynamodb\","
		               "\"dynamodb\":{\"Keys\":{\"id\":{\"S\":\"42\"}},\"NewImage\":{"
		               "\"id\":{\"S\":\"42\"}");
		for (size_t i = 0; i < f->n; i++) {
			vg_buf_putc(o, ',');
			jstr(o, f->k[i], strlen(f->k[i]));
			vg_buf_puts(o, ":{\"S\":");
			jstr(o, f->v[i], f->vn[i]);
			vg_buf_putc(o, '}');
		}
		vg_buf_puts(o, "},\"StreamViewType\":\"NEW_IMAGE\"}}]}");
		break;
	case POL_SRC_KINESIS:
		object(&t, f);
		vg_buf_puts(o, "{\"Records\":[{\"kinesis\":{\"partitionKey\":\"1\",\"data\":\"");
		b64(o, t.data, t.len);
		vg_buf_puts(
		    o,
		    "\"},\"eventSource\":\"aws:kinesis\",\"eventName\":\"aws:kinesis:record\"}]}");
		break;
	case POL_SRC_EVENTBRIDGE:
		vg_buf_puts(o, "{\"version\":\"0\",\"id\":\"1\",\"detail-type\":\"OrderPlaced\","
		               "\"source\":\"shop.orders\","
		               "\"account\":\"123456789012\",\"region\":\"us-east-1\","
		               "\"resources\":[],\"detail\":");
		object(o, f);
		vg_buf_putc(o, '}');
		break;
	case POL_SRC_COGNITO:
		vg_buf_puts(
		    o,
		    "{\"version\":\"1\",\"triggerSource\":\"PreSignUp_SignUp\",\"region\":\"us-"
		    "east-1\","
		    "\"userPoolId\":\"us-east-1_abc\",\"userName\":\"alice\",\"callerContext\":{},"
		    "\"request\":{\"userAttributes\":");
		object(o, f);
		vg_buf_puts(o, "},\"response\":{}}");
		break;
	case POL_SRC_APPSYNC:
		vg_buf_puts(o, "{\"arguments\":");
		object(o, f);
		vg_buf_puts(
		    o, ",\"identity\":null,\"source\":null,\"info\":{\"fieldName\":\"createItem\","
		       "\"parentTypeName\":\"Mutation\"}}");
		break;
	case POL_SRC_MSK:
		object(&t, f);
		vg_buf_puts(
		    o,
		    "{\"eventSource\":\"aws:kafka\",\"eventSourceArn\":\"arn:aws:kafka:us-east-1:1:"
		    "cluster/c/1\","
		    "\"records\":{\"orders-0\":[{\"topic\":\"orders\",\"partition\":0,\"offset\":1,"
		    "\"key\":\"a2V5\",\"value\":\"");
		b64(o, t.data, t.len);
		vg_buf_puts(o, "\",\"headers\":[]}]}}");
		break;
	case POL_SRC_CLOUDWATCH_LOGS:
		vg_buf_puts(&t, "{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"1\",\"logGroup\":\"/"
		                "aws/lambda/f\","
		                "\"logStream\":\"s\",\"logEvents\":[{\"id\":\"1\",\"timestamp\":1,"
		                "\"message\":");
		object_as_string(&t, f);
		vg_buf_puts(&t, "}]}");
		vg_buf_puts(o, "{\"awslogs\":{\"data\":\"");
		gzip_b64(o, t.data, t.len);
		vg_buf_puts(o, "\"}}");
		break;
	default:
		vg_buf_puts(o, "{\"job\":\"import\",\"payload\":");
		object(o, f);
		vg_buf_putc(o, '}');
		break;
	}
	vg_buf_fini(&t);
}

/* ---- HTTP requests, as each HTTP source hands them over ---- */

bool q_source_is_http(enum pol_source src)
{
	return src == POL_SRC_APIGW_V1 || src == POL_SRC_APIGW_V2 || src == POL_SRC_FUNCTION_URL ||
	       src == POL_SRC_ALB || src == POL_SRC_APIGW_AUTHORIZER ||
	       src == POL_SRC_APIGW_WEBSOCKET;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The service's own decoding of a query component: %XX and '+'. */
static void pct_decode(struct vg_buf *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			vg_buf_putc(o, (char)(hi << 4 | lo));
			i += 2;
		} else {
			vg_buf_putc(o, s[i] == '+' ? ' ' : s[i]);
		}
	}
}

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t k = c < 0x80             ? 0
		           : (c & 0xe0) == 0xc0 ? 1
		           : (c & 0xf0) == 0xe0 ? 2
		           : (c & 0xf8) == 0xf0 ? 3
		                                : 9;
		if (c == 0 || k == 9 || (k == 1 && c < 0xc2) || (k && i + k >= n))
			return false;
		for (size_t j = 1; j <= k; j++)
			if ((u[i + j] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

struct qpair {
	const char *k, *v;
	size_t kn, vn;
};

/* The name=value pairs of a query string, at most max. */
static size_t split_query(const char *q, struct qpair *out, size_t max)
{
	size_t n = 0;
	while (q && *q && n < max) {
		const char *end = strchr(q, '&');
		size_t len = end ? (size_t)(end - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		if (len) {
			out[n].k = q;
			out[n].kn = eq ? (size_t)(eq - q) : len;
			out[n].v = eq ? eq + 1 : q + len;
			out[n].vn = eq ? len - out[n].kn - 1 : 0;
			n++;
		}
		q = end ? end + 1 : NULL;
	}
	return n;
}

/* queryStringParameters: decoded (API Gateway) or as sent (ALB); a name
 * given twice keeps its last value, as the single-value map does. With
 * multi set, the multi-value map instead. */
static void query_object(struct vg_buf *o, const char *query, bool decode, bool multi)
{
	struct qpair p[64];
	size_t n = split_query(query, p, 64);
	if (n == 0) {
		vg_buf_puts(o, "null");
		return;
	}
	struct vg_buf t = VG_BUF_INIT(1 << 22);
	vg_buf_putc(o, '{');
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		bool later = false; /* the same name again further on */
		for (size_t j = i + 1; j < n && !later; j++)
			later = p[j].kn == p[i].kn && memcmp(p[j].k, p[i].k, p[i].kn) == 0;
		bool earlier = false;
		for (size_t j = 0; j < i && !earlier; j++)
			earlier = p[j].kn == p[i].kn && memcmp(p[j].k, p[i].k, p[i].kn) == 0;
		if (multi ? earlier : later)
			continue;
		if (!first)
			vg_buf_putc(o, ',');
		first = false;
		vg_buf_reset(&t);
		if (decode)
			pct_decode(&t, p[i].k, p[i].kn);
		else
			vg_buf_append(&t, p[i].k, p[i].kn);
		jstr(o, t.data ? t.data : "", t.len);
		vg_buf_putc(o, ':');
		if (multi)
			vg_buf_putc(o, '[');
		for (size_t j = i; j < n; j++) {
			if (j != i &&
			    !(multi && p[j].kn == p[i].kn && memcmp(p[j].k, p[i].k, p[i].kn) == 0))
				continue;
			if (j != i)
				vg_buf_putc(o, ',');
			vg_buf_reset(&t);
			if (decode)
				pct_decode(&t, p[j].v, p[j].vn);
			else
				vg_buf_append(&t, p[j].v, p[j].vn);
			jstr(o, t.data ? t.data : "", t.len);
			if (!multi)
				break;
		}
		if (multi)
			vg_buf_putc(o, ']');
	}
	vg_buf_putc(o, '}');
	vg_buf_fini(&t);
}

/* "headers":{...}; lower: names in lower case (v2, Function URL, ALB);
 * cookies_apart: the Cookie header goes to "cookies" instead (v2). */
static void headers_object(struct vg_buf *o, const struct q_request *r, bool lower,
                           bool cookies_apart)
{
	vg_buf_puts(o, "\"headers\":{");
	bool first = true, host = false;
	for (size_t i = 0; i < r->nh; i++) {
		if (cookies_apart && strcasecmp(r->hk[i], "Cookie") == 0)
			continue;
		host |= strcasecmp(r->hk[i], "Host") == 0;
		if (!first)
			vg_buf_putc(o, ',');
		first = false;
		char name[256];
		size_t n = strlen(r->hk[i]);
		n = n < sizeof(name) ? n : sizeof(name) - 1;
		for (size_t k = 0; k < n; k++)
			name[k] = lower && r->hk[i][k] >= 'A' && r->hk[i][k] <= 'Z'
			              ? (char)(r->hk[i][k] | 0x20)
			              : r->hk[i][k];
		jstr(o, name, n);
		vg_buf_putc(o, ':');
		jstr(o, r->hv[i], strlen(r->hv[i]));
	}
	if (!host)
		vg_buf_printf(o, "%s\"%s\":\"api.example.com\"", first ? "" : ",",
		              lower ? "host" : "Host");
	vg_buf_putc(o, '}');
}

static void cookies_array(struct vg_buf *o, const struct q_request *r)
{
	vg_buf_puts(o, "\"cookies\":[");
	bool first = true;
	for (size_t i = 0; i < r->nh; i++) {
		if (strcasecmp(r->hk[i], "Cookie") != 0)
			continue;
		for (const char *c = r->hv[i]; *c;) {
			while (*c == ' ')
				c++;
			const char *end = strchr(c, ';');
			size_t len = end ? (size_t)(end - c) : strlen(c);
			if (len) {
				if (!first)
					vg_buf_putc(o, ',');
				first = false;
				jstr(o, c, len);
			}
			c += len + (end ? 1 : 0);
		}
	}
	vg_buf_putc(o, ']');
}

static void body_member(struct vg_buf *o, const struct q_request *r)
{
	if (!r->body) {
		vg_buf_puts(o, "\"body\":null,\"isBase64Encoded\":false");
		return;
	}
	vg_buf_puts(o, "\"body\":");
	if (utf8_valid(r->body, r->body_n)) {
		jstr(o, r->body, r->body_n);
		vg_buf_puts(o, ",\"isBase64Encoded\":false");
	} else {
		vg_buf_putc(o, '"');
		b64(o, r->body, r->body_n);
		vg_buf_puts(o, "\",\"isBase64Encoded\":true");
	}
}

void q_http_event(struct vg_buf *o, enum pol_source src, const struct q_request *r)
{
	const char *m = r->method ? r->method : "GET";
	const char *path = r->path ? r->path : "/";
	const char *query = r->query ? r->query : "";
	vg_buf_reset(o);
	vg_buf_putc(o, '{');
	switch (src) {
	case POL_SRC_APIGW_V1:
		vg_buf_puts(o, "\"resource\":\"/{proxy+}\",\"path\":");
		jstr(o, path, strlen(path));
		vg_buf_puts(o, ",\"httpMethod\":");
		jstr(o, m, strlen(m));
		vg_buf_putc(o, ',');
		headers_object(o, r, false, false);
		vg_buf_puts(o, ",\"queryStringParameters\":");
		query_object(o, query, true, false);
		vg_buf_puts(o, ",\"multiValueQueryStringParameters\":");
		query_object(o, query, true, true);
		vg_buf_puts(
		    o, ",\"requestContext\":{\"resourcePath\":\"/{proxy+}\",\"stage\":\"prod\","
		       "\"httpMethod\":");
		jstr(o, m, strlen(m));
		vg_buf_puts(o, "},");
		break;
	case POL_SRC_APIGW_V2:
	case POL_SRC_FUNCTION_URL:
		vg_buf_puts(o, "\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":");
		jstr(o, path, strlen(path));
		vg_buf_puts(o, ",\"rawQueryString\":");
		jstr(o, query, strlen(query));
		vg_buf_putc(o, ',');
		cookies_array(o, r);
		vg_buf_putc(o, ',');
		headers_object(o, r, true, true);
		vg_buf_puts(o, ",\"queryStringParameters\":");
		query_object(o, query, true, false);
		vg_buf_printf(o, ",\"requestContext\":{\"domainName\":\"%s\",\"http\":{\"method\":",
		              src == POL_SRC_FUNCTION_URL
		                  ? "abc.lambda-url.us-east-1.on.aws"
		                  : "id.execute-api.us-east-1.amazonaws.com");
		jstr(o, m, strlen(m));
		vg_buf_puts(o, ",\"path\":");
		jstr(o, path, strlen(path));
		vg_buf_puts(o, ",\"protocol\":\"HTTP/1.1\",\"sourceIp\":\"203.0.113.9\"}},");
		break;
	case POL_SRC_ALB:
		vg_buf_puts(o, "\"requestContext\":{\"elb\":{\"targetGroupArn\":\"arn:aws:"
		               "elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1\"}},"
		               "\"httpMethod\":");
		jstr(o, m, strlen(m));
		vg_buf_puts(o, ",\"path\":");
		jstr(o, path, strlen(path));
		vg_buf_puts(o, ",\"queryStringParameters\":");
		query_object(o, query, false, false);
		vg_buf_putc(o, ',');
		headers_object(o, r, true, false);
		vg_buf_putc(o, ',');
		break;
	case POL_SRC_APIGW_AUTHORIZER:
		vg_buf_puts(o,
		            "\"type\":\"REQUEST\",\"methodArn\":\"arn:aws:execute-api:us-east-1:1:"
		            "api/prod/GET/\",\"resource\":\"/{proxy+}\",\"path\":");
		jstr(o, path, strlen(path));
		vg_buf_puts(o, ",\"httpMethod\":");
		jstr(o, m, strlen(m));
		vg_buf_putc(o, ',');
		headers_object(o, r, false, false);
		vg_buf_puts(o, ",\"queryStringParameters\":");
		query_object(o, query, true, false);
		vg_buf_puts(o, ",\"requestContext\":{\"stage\":\"prod\"},");
		break;
	default: /* POL_SRC_APIGW_WEBSOCKET */
		vg_buf_puts(
		    o, "\"requestContext\":{\"routeKey\":\"$default\",\"eventType\":\"MESSAGE\","
		       "\"connectionId\":\"L0SM9cOFvHcCIhw=\",\"stage\":\"prod\"},");
		headers_object(o, r, false, false);
		vg_buf_puts(o, ",\"queryStringParameters\":");
		query_object(o, query, true, false);
		vg_buf_putc(o, ',');
		break;
	}
	body_member(o, r);
	vg_buf_putc(o, '}');
}
