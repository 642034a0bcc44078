/* Realistic events of every source around a set of fields, for the quality
 * suite: each source carries the fields where that service carries user
 * data, encoded the way the service encodes it. */
#include "events.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

static void b64(struct vg_buf *o, const char *s, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
		char q[4] = {t[v >> 18], t[v >> 12 & 63], t[v >> 6 & 63], t[v & 63]};
		vg_buf_append(o, q, 4);
	}
	if (i < n) {
		unsigned v = (unsigned char)s[i] << 16 | (i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0);
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
	"\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\",%s"
	"\"X-Forwarded-For\":\"203.0.113.9\"}";

void q_event(struct vg_buf *o, enum pol_source src, const struct q_fields *f, unsigned variant)
{
	struct vg_buf t = VG_BUF_INIT(1 << 24);
	vg_buf_reset(o);
	switch (src) {
	case POL_SRC_APIGW_V1:
		vg_buf_puts(o, "{\"resource\":\"/items\",\"path\":\"/items\",\"httpMethod\":\"GET\",");
		vg_buf_printf(o, http_headers, "");
		vg_buf_puts(o, ",\"queryStringParameters\":");
		object(o, f);
		vg_buf_puts(o, ",\"requestContext\":{\"resourcePath\":\"/items\",\"stage\":\"prod\"},"
			       "\"body\":null,\"isBase64Encoded\":false}");
		break;
	case POL_SRC_APIGW_V2:
		vg_buf_puts(o, "{\"version\":\"2.0\",\"routeKey\":\"POST /items\",\"rawPath\":\"/items\","
			       "\"rawQueryString\":\"\",");
		vg_buf_printf(o, http_headers, "\"content-type\":\"application/json\",");
		vg_buf_puts(o, ",\"requestContext\":{\"domainName\":\"id.execute-api.us-east-1.amazonaws.com\","
			       "\"http\":{\"method\":\"POST\",\"path\":\"/items\"}},\"body\":");
		object_as_string(o, f);
		vg_buf_puts(o, ",\"isBase64Encoded\":false}");
		break;
	case POL_SRC_FUNCTION_URL:
		form(&t, f);
		vg_buf_puts(o, "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"/submit\","
			       "\"rawQueryString\":\"\",");
		vg_buf_printf(o, http_headers, "\"content-type\":\"application/x-www-form-urlencoded\",");
		vg_buf_puts(o, ",\"requestContext\":{\"domainName\":\"abc.lambda-url.us-east-1.on.aws\","
			       "\"http\":{\"method\":\"POST\"}},\"body\":\"");
		b64(o, t.data ? t.data : "", t.len);
		vg_buf_puts(o, "\",\"isBase64Encoded\":true}");
		break;
	case POL_SRC_ALB:
		vg_buf_puts(o, "{\"requestContext\":{\"elb\":{\"targetGroupArn\":\"arn:aws:elasticloadbalancing:"
			       "us-east-1:123456789012:targetgroup/tg/1\"}},\"httpMethod\":\"GET\",\"path\":\"/\","
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
		vg_buf_puts(o, "{\"type\":\"REQUEST\",\"methodArn\":\"arn:aws:execute-api:us-east-1:1:api/prod/GET/\","
			       "\"resource\":\"/\",\"path\":\"/\",\"httpMethod\":\"GET\",\"queryStringParameters\":");
		object(o, f);
		vg_buf_puts(o, ",\"requestContext\":{\"stage\":\"prod\"}}");
		break;
	case POL_SRC_APIGW_WEBSOCKET:
		vg_buf_puts(o, "{\"requestContext\":{\"routeKey\":\"sendmessage\",\"eventType\":\"MESSAGE\","
			       "\"connectionId\":\"L0SM9cOFvHcCIhw=\",\"stage\":\"prod\"},\"body\":");
		object_as_string(o, f);
		vg_buf_puts(o, ",\"isBase64Encoded\":false}");
		break;
	case POL_SRC_SQS:
		vg_buf_puts(o, "{\"Records\":[{\"messageId\":\"059f36b4-87a3-44ab-83d2-661975830a7d\","
			       "\"receiptHandle\":\"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a\",\"body\":");
		if (variant & 1) {
			/* SNS inside SQS: JSON in a JSON string in a JSON string */
			vg_buf_puts(&t, "{\"Type\":\"Notification\",\"MessageId\":\"m1\",\"TopicArn\":"
					"\"arn:aws:sns:us-east-1:123456789012:topic\",\"Message\":");
			object_as_string(&t, f);
			vg_buf_puts(&t, ",\"Timestamp\":\"2024-01-01T00:00:00.000Z\"}");
			jstr(o, t.data, t.len);
		} else {
			object_as_string(o, f);
		}
		vg_buf_puts(o, ",\"attributes\":{\"ApproximateReceiveCount\":\"1\"},\"messageAttributes\":{},"
			       "\"eventSource\":\"aws:sqs\",\"eventSourceARN\":\"arn:aws:sqs:us-east-1:123456789012:q\","
			       "\"awsRegion\":\"us-east-1\"}]}");
		break;
	case POL_SRC_SNS:
		vg_buf_puts(o, "{\"Records\":[{\"EventSource\":\"aws:sns\",\"EventVersion\":\"1.0\",\"Sns\":{"
			       "\"Type\":\"Notification\",\"MessageId\":\"m\",\"TopicArn\":\"arn:aws:sns:us-east-1:1:t\","
			       "\"Subject\":\"order\",\"Message\":");
		object_as_string(o, f);
		vg_buf_puts(o, ",\"MessageAttributes\":{}}}]}");
		break;
	case POL_SRC_S3:
		vg_buf_puts(o, "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":"
			       "\"us-east-1\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"uploads\"},"
			       "\"object\":{\"key\":\"");
		for (size_t i = 0; i < f->n; i++) {
			if (i)
				vg_buf_putc(o, '/');
			urlenc(o, f->v[i], f->vn[i], true);
		}
		vg_buf_puts(o, "\",\"size\":1024}}}]}");
		break;
	case POL_SRC_DYNAMODB:
		vg_buf_puts(o, "{\"Records\":[{\"eventID\":\"1\",\"eventName\":\"INSERT\",\"eventSource\":\"aws:dynamodb\","
			       "\"dynamodb\":{\"Keys\":{\"id\":{\"S\":\"42\"}},\"NewImage\":{\"id\":{\"S\":\"42\"}");
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
		vg_buf_puts(o, "\"},\"eventSource\":\"aws:kinesis\",\"eventName\":\"aws:kinesis:record\"}]}");
		break;
	case POL_SRC_EVENTBRIDGE:
		vg_buf_puts(o, "{\"version\":\"0\",\"id\":\"1\",\"detail-type\":\"OrderPlaced\",\"source\":\"shop.orders\","
			       "\"account\":\"123456789012\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":");
		object(o, f);
		vg_buf_putc(o, '}');
		break;
	case POL_SRC_COGNITO:
		vg_buf_puts(o, "{\"version\":\"1\",\"triggerSource\":\"PreSignUp_SignUp\",\"region\":\"us-east-1\","
			       "\"userPoolId\":\"us-east-1_abc\",\"userName\":\"alice\",\"callerContext\":{},"
			       "\"request\":{\"userAttributes\":");
		object(o, f);
		vg_buf_puts(o, "},\"response\":{}}");
		break;
	case POL_SRC_APPSYNC:
		vg_buf_puts(o, "{\"arguments\":");
		object(o, f);
		vg_buf_puts(o, ",\"identity\":null,\"source\":null,\"info\":{\"fieldName\":\"createItem\","
			       "\"parentTypeName\":\"Mutation\"}}");
		break;
	case POL_SRC_MSK:
		object(&t, f);
		vg_buf_puts(o, "{\"eventSource\":\"aws:kafka\",\"eventSourceArn\":\"arn:aws:kafka:us-east-1:1:cluster/c/1\","
			       "\"records\":{\"orders-0\":[{\"topic\":\"orders\",\"partition\":0,\"offset\":1,"
			       "\"key\":\"a2V5\",\"value\":\"");
		b64(o, t.data, t.len);
		vg_buf_puts(o, "\",\"headers\":[]}]}}");
		break;
	case POL_SRC_CLOUDWATCH_LOGS:
		vg_buf_puts(&t, "{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"1\",\"logGroup\":\"/aws/lambda/f\","
				"\"logStream\":\"s\",\"logEvents\":[{\"id\":\"1\",\"timestamp\":1,\"message\":");
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
