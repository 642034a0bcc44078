/* Unit tests of the sandbox's Telemetry API module (sandbox/telemetry*.c):
 * subscribe validation, stub mode, batching by each limit, retries,
 * platform.logsDropped, replay of init records, and the caps.
 *
 * Deliveries go to a real libmicrohttpd listener on a free port
 * (listener.c). The module is compiled into this test with a short POST
 * timeout (SBX_TEL_POST_TIMEOUT_MS, see meson.build) so that the hanging
 * listener cases take seconds, not minutes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listener.h"
#include "telemetry.h"
#include "telemetry_private.h"
#include "vg_time.h"

#define WAIT_MS 20000 /* generous: the machine is shared and may be slow */

static struct sbx_tel *tel_new(int stub)
{
	struct sbx_tel_config cfg = {.stub = stub, .loopback_host = "127.0.0.1"};
	struct sbx_tel *t = sbx_tel_new(&cfg);

	ck_assert_ptr_nonnull(t);
	return t;
}

/* Subscribes ext with the given types and buffering to l; returns status. */
static unsigned subscribe(struct sbx_tel *t, const char *ext, const struct listener *l,
                          const char *types, unsigned items, unsigned bytes, unsigned timeout_ms)
{
	char body[512];
	struct vg_buf reply = VG_BUF_INIT(4096);
	unsigned status;

	snprintf(body, sizeof(body),
	         "{\"schemaVersion\":\"2022-12-13\",\"types\":%s,"
	         "\"buffering\":{\"maxItems\":%u,\"maxBytes\":%u,\"timeoutMs\":%u},"
	         "\"destination\":{\"protocol\":\"HTTP\","
	         "\"URI\":\"http://sandbox.localdomain:%u/telemetry\"}}",
	         types, items, bytes, timeout_ms, listener_port(l));
	status = sbx_tel_subscribe(t, ext, body, strlen(body), &reply);
	if (status == 200)
		ck_assert_str_eq(reply.data, "\"OK\"");
	vg_buf_fini(&reply);
	return status;
}

/* Logs "PREFIX I" as a function line. */
static void log_line(struct sbx_tel *t, const char *prefix, unsigned i)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s %u", prefix, i);

	sbx_tel_log(t, SBX_TEL_FUNCTION, line, (size_t)n);
}

/* A line of exactly n bytes, 'x' after a number. */
static void log_sized(struct sbx_tel *t, unsigned i, size_t n)
{
	char *line = malloc(n + 1);

	ck_assert_ptr_nonnull(line);
	memset(line, 'x', n);
	snprintf(line, n + 1, "%08u", i);
	line[8] = 'x';
	sbx_tel_log(t, SBX_TEL_FUNCTION, line, n);
	free(line);
}

static double report_num(struct sbx_tel *t, const char *name)
{
	cJSON *o = cJSON_CreateObject();
	double v;

	sbx_tel_report(t, o);
	v = cJSON_GetNumberValue(cJSON_GetObjectItem(o, name));
	cJSON_Delete(o);
	return v;
}

static double wait_report(struct sbx_tel *t, const char *name, double at_least)
{
	uint64_t end = vg_mono_ns() + (uint64_t)WAIT_MS * 1000000u;
	double v;

	while ((v = report_num(t, name)) < at_least && vg_mono_ns() < end)
		vg_sleep_ms(10);
	return v;
}

static const char *rec_type(const cJSON *r)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(r, "type"));
}

static const char *rec_line(const cJSON *r)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(r, "record"));
}

static uint64_t flush_deadline(void)
{
	return vg_mono_ns() + (uint64_t)WAIT_MS * 1000000u;
}

/* ---- validation ---- */

/* One body per line, so that each case reads whole. */
/* clang-format off */
static const char *const bad_bodies[] = {
	"",
	"not json",
	"[1,2]",
	"\"OK\"",
	/* schemaVersion */
	"{\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2021-03-18\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":20221213,\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	/* types */
	"{\"schemaVersion\":\"2022-12-13\",\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":\"platform\",\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\",\"logs\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[1],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	/* buffering */
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":[],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"maxItems\":999},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"maxItems\":10001},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"maxBytes\":262143},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"maxBytes\":1048577},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"timeoutMs\":24},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"timeoutMs\":30001},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"timeoutMs\":100.5},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"timeoutMs\":\"100\"},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"maxItems\":-1000},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{\"maxBytes\":1e300},\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	/* destination */
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"]}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":\"http://sandbox:4243\"}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"UDP\",\"URI\":\"http://sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"TCP\",\"port\":4243}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"https://sandbox.localdomain:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"ftp://sandbox.localdomain:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://example.com:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://127.0.0.1:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain.evil:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:9001\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:0\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:70000\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:42x3\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://user:pw@sandbox:4243\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243/a b\"}}",
	"{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"destination\":{\"protocol\":\"HTTP\",\"URI\":42}}",
};
/* clang-format on */

START_TEST(test_subscribe_rejects)
{
	struct sbx_tel *t = tel_new(0);
	struct vg_buf reply = VG_BUF_INIT(4096);
	const char *body = bad_bodies[_i];
	unsigned status = sbx_tel_subscribe(t, "ext", body, strlen(body), &reply);
	cJSON *o;

	ck_assert_msg(status == 400, "case %d answered %u: %s", _i, status, body);
	o = cJSON_Parse(reply.data);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "errorType")),
	                 "ValidationError");
	ck_assert(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(o, "errorMessage"))) > 10);
	cJSON_Delete(o);
	ck_assert_int_eq((int)report_num(t, "subscribers"), 0);
	vg_buf_fini(&reply);
	sbx_tel_free(t);
}
END_TEST

START_TEST(test_subscribe_rejects_oversized_and_unterminated)
{
	struct sbx_tel *t = tel_new(0);
	struct vg_buf reply = VG_BUF_INIT(4096);
	size_t n = SBX_TEL_SUBSCRIBE_MAX + 1;
	char *big = malloc(n);
	const char ok[] =
	    "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],"
	    "\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}";

	memset(big, ' ', n);
	big[0] = '{';
	ck_assert_uint_eq(sbx_tel_subscribe(t, "ext", big, n, &reply), 400);
	ck_assert_ptr_nonnull(strstr(reply.data, "too large"));
	/* Length-counted: a valid body cut short is refused, not read on. */
	ck_assert_uint_eq(sbx_tel_subscribe(t, "ext", ok, sizeof(ok) - 3, &reply), 400);
	ck_assert_uint_eq(sbx_tel_subscribe(t, "ext", ok, sizeof(ok) - 1, &reply), 200);
	free(big);
	vg_buf_fini(&reply);
	sbx_tel_free(t);
}
END_TEST

START_TEST(test_subscribe_accepts)
{
	static const char *const good[] = {
	    "{\"schemaVersion\":\"2022-07-01\",\"types\":[\"platform\"],\"destination\":{"
	    "\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:4243/x\"}}",
	    "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"function\",\"extension\"],"
	    "\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}",
	    "{\"schemaVersion\":\"2025-01-29\",\"types\":[\"platform\",\"function\",\"extension\"],"
	    "\"buffering\":{\"maxItems\":1000,\"maxBytes\":262144,\"timeoutMs\":25},"
	    "\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain:4243/\"}}",
	    "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":{"
	    "\"maxItems\":10000,\"maxBytes\":1048576,\"timeoutMs\":30000},\"destination\":{"
	    "\"protocol\":\"HTTP\",\"URI\":\"HTTP://"
	    "Sandbox.LocalDomain:4243\",\"method\":\"POST\",\"encoding\":\"JSON\"}}",
	    "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],\"buffering\":null,"
	    "\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox.localdomain\"}}",
	};
	struct sbx_tel *t = tel_new(0);
	struct vg_buf reply = VG_BUF_INIT(4096);

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char name[16];

		snprintf(name, sizeof(name), "ext%zu", i);
		ck_assert_msg(sbx_tel_subscribe(t, name, good[i], strlen(good[i]), &reply) == 200,
		              "case %zu: %s", i, reply.data);
		ck_assert_str_eq(reply.data, "\"OK\"");
	}
	ck_assert_int_eq((int)report_num(t, "subscribers"), 5);
	vg_buf_fini(&reply);
	sbx_tel_free(t);
}
END_TEST

START_TEST(test_subscribe_caps_subscribers)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();
	char name[16];

	/* One per extension, and Lambda allows ten extensions. */
	for (unsigned i = 0; i < SBX_TEL_SUBSCRIBERS_MAX; i++) {
		snprintf(name, sizeof(name), "ext%u", i);
		ck_assert_uint_eq(subscribe(t, name, l, "[\"platform\"]", 1000, 262144, 25), 200);
	}
	ck_assert_uint_eq(subscribe(t, "one-too-many", l, "[\"platform\"]", 1000, 262144, 25), 400);
	ck_assert_uint_eq(subscribe(t, "ext3", l, "[\"function\"]", 1000, 262144, 25), 200);
	ck_assert_int_eq((int)report_num(t, "subscribers"), SBX_TEL_SUBSCRIBERS_MAX);
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_subscribe_parses_defaults)
{
	const char body[] =
	    "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"extension\",\"platform\"],"
	    "\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243/t?a=1\"}}";
	struct sbx_tel_sub_req req;
	char msg[256];

	ck_assert_int_eq(sbx_tel_sub_parse(body, strlen(body), &req, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(req.max_items, 10000);
	ck_assert_uint_eq(req.max_bytes, 262144);
	ck_assert_uint_eq(req.timeout_ms, 1000);
	ck_assert_uint_eq(req.port, 4243);
	ck_assert_str_eq(req.path, "/t?a=1");
	ck_assert_uint_eq(req.kinds, SBX_TEL_KIND_PLATFORM | SBX_TEL_KIND_EXTENSION);
	ck_assert_str_eq(req.types_json, "[\"platform\",\"extension\"]");
}
END_TEST

START_TEST(test_subscribe_closed)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();
	struct vg_buf reply = VG_BUF_INIT(4096);
	const char body[] =
	    "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],"
	    "\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:4243\"}}";
	cJSON *o;

	sbx_tel_close_subscriptions(t);
	ck_assert_uint_eq(sbx_tel_subscribe(t, "ext", body, strlen(body), &reply), 403);
	o = cJSON_Parse(reply.data);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(o, "errorType")),
	                 "Telemetry.SubscriptionClosed");
	cJSON_Delete(o);
	/* After init even a bad body is simply refused as too late. */
	ck_assert_uint_eq(sbx_tel_subscribe(t, "ext", "{", 1, &reply), 403);
	sbx_tel_reopen_subscriptions(t);
	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"platform\"]", 1000, 262144, 25), 200);
	vg_buf_fini(&reply);
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_stub_mode)
{
	struct sbx_tel *t = tel_new(1);
	struct listener *l = listener_new();
	struct vg_buf reply = VG_BUF_INIT(4096);
	char body[256];

	snprintf(body, sizeof(body),
	         "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\",\"function\"],"
	         "\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"http://sandbox:%u\"}}",
	         listener_port(l));
	ck_assert_uint_eq(sbx_tel_subscribe(t, "ext", body, strlen(body), &reply), 202);
	ck_assert_str_eq(reply.data, "{\"errorMessage\":\"Telemetry API is not supported\","
	                             "\"errorType\":\"Telemetry.NotSupported\"}");
	/* Even a bad body gets the stub answer, as in AWS's emulator. */
	ck_assert_uint_eq(sbx_tel_subscribe(t, "ext", "x", 1, &reply), 202);
	sbx_tel_platform(t, "platform.start", cJSON_CreateObject());
	sbx_tel_log(t, SBX_TEL_FUNCTION, "hello", 5);
	sbx_tel_flush(t, vg_mono_ns() + 200000000u);
	vg_sleep_ms(100);
	ck_assert_uint_eq(listener_requests(l), 0);
	ck_assert_int_eq((int)report_num(t, "subscribers"), 0);
	vg_buf_fini(&reply);
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

/* ---- delivery ---- */

START_TEST(test_delivery_envelope)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();
	cJSON *rec = cJSON_CreateObject();
	const cJSON *r;
	const struct listener_batch *b;

	ck_assert_uint_eq(
	    subscribe(t, "ext", l, "[\"platform\",\"function\",\"extension\"]", 1000, 262144, 25),
	    200);
	cJSON_AddStringToObject(rec, "requestId", "r-1");
	sbx_tel_platform(t, "platform.start", rec);
	sbx_tel_log(t, SBX_TEL_FUNCTION, "fn \"quoted\" line", 17);
	sbx_tel_log(t, SBX_TEL_EXTENSION, "ext line", 8);
	sbx_tel_flush(t, flush_deadline());
	ck_assert_uint_eq(listener_wait_records(l, 4, WAIT_MS), 4);

	r = listener_record_at(l, 0);
	ck_assert_str_eq(rec_type(r), "platform.telemetrySubscription");
	ck_assert_str_eq(
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "record"), "state")),
	    "Subscribed");
	r = listener_record_at(l, 1);
	ck_assert_str_eq(rec_type(r), "platform.start");
	ck_assert_str_eq(cJSON_GetStringValue(
	                     cJSON_GetObjectItem(cJSON_GetObjectItem(r, "record"), "requestId")),
	                 "r-1");
	/* time: 2022-10-21T14:05:03.165Z */
	ck_assert_uint_eq(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(r, "time"))), 24);
	ck_assert_int_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "time"))[23], 'Z');
	r = listener_record_at(l, 2);
	ck_assert_str_eq(rec_type(r), "function");
	ck_assert_str_eq(rec_line(r), "fn \"quoted\" line");
	r = listener_record_at(l, 3);
	ck_assert_str_eq(rec_type(r), "extension");
	ck_assert_str_eq(rec_line(r), "ext line");

	b = listener_batch_at(l, 0);
	ck_assert(b->json_type);
	ck_assert_str_eq(b->path, "/telemetry");
	ck_assert_int_eq((int)wait_report(t, "recordsDelivered", 4), 4);
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_types_filter)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();

	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"extension\"]", 1000, 262144, 25), 200);
	sbx_tel_platform(t, "platform.start", NULL);
	sbx_tel_log(t, SBX_TEL_FUNCTION, "fn", 2);
	sbx_tel_log(t, SBX_TEL_EXTENSION, "mine", 4);
	sbx_tel_flush(t, flush_deadline());
	ck_assert_uint_eq(listener_wait_records(l, 1, WAIT_MS), 1);
	vg_sleep_ms(100);
	ck_assert_uint_eq(listener_wait_records(l, 2, 0), 1);
	ck_assert_str_eq(rec_line(listener_record_at(l, 0)), "mine");
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_batch_by_items)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();

	/* Only maxItems can cut a batch here: 30 s timeout, 1 MiB bytes. */
	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"function\"]", 1000, 1048576, 30000), 200);
	for (unsigned i = 0; i < 2500; i++)
		log_line(t, "line", i);
	ck_assert_uint_eq(listener_wait_records(l, 2000, WAIT_MS), 2000);
	vg_sleep_ms(300);
	ck_assert_uint_eq(listener_nbatches(l), 2);
	ck_assert_int_eq(cJSON_GetArraySize(listener_batch_at(l, 0)->array), 1000);
	ck_assert_int_eq(cJSON_GetArraySize(listener_batch_at(l, 1)->array), 1000);
	/* The rest waits for its timeout or a flush. */
	sbx_tel_flush(t, flush_deadline());
	ck_assert_uint_eq(listener_wait_records(l, 2500, WAIT_MS), 2500);
	ck_assert_uint_eq(listener_nbatches(l), 3);
	for (unsigned i = 0; i < 2500; i += 499) {
		char want[32];

		snprintf(want, sizeof(want), "line %u", i);
		ck_assert_str_eq(rec_line(listener_record_at(l, i)), want);
	}
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_flush_delivers_all)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();

	/* Three full batches (one in flight while the others wait) and a
	 * short tail: when flush returns, all of it has been received, one
	 * batch right after the other. A pause of the delivery thread
	 * between batches (up to its 1 s idle wait each) would overrun the
	 * 1.5 s. */
	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"function\"]", 1000, 1048576, 30000), 200);
	for (unsigned i = 0; i < 3010; i++)
		log_line(t, "line", i);
	sbx_tel_flush(t, vg_mono_ns() + 1500000000u);
	ck_assert_uint_eq(listener_wait_records(l, 3010, 0), 3010);
	ck_assert_uint_eq(listener_nbatches(l), 4);
	ck_assert_int_eq((int)report_num(t, "recordsDropped"), 0);
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_batch_by_bytes)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();
	size_t total = 0;

	/* Lines of 1,000 bytes: 262,144 bytes are about 250 records. */
	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"function\"]", 10000, 262144, 30000), 200);
	for (unsigned i = 0; i < 600; i++)
		log_sized(t, i, 1000);
	ck_assert_uint_ge(listener_wait_records(l, 400, WAIT_MS), 400);
	vg_sleep_ms(300);
	ck_assert_uint_eq(listener_nbatches(l), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct listener_batch *b = listener_batch_at(l, i);
		size_t n = (size_t)cJSON_GetArraySize(b->array);

		/* Full, but not over: records plus commas and brackets. */
		ck_assert_uint_le(b->body_len, 262144 + n + 1);
		ck_assert_uint_gt(b->body_len, 262144 - 2 * 1100);
		total += n;
	}
	sbx_tel_flush(t, flush_deadline());
	ck_assert_uint_eq(listener_wait_records(l, 600, WAIT_MS), 600);
	ck_assert_uint_eq(total + (size_t)cJSON_GetArraySize(listener_batch_at(l, 2)->array), 600);
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_batch_by_timeout)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();

	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"function\"]", 10000, 262144, 300), 200);
	log_line(t, "a", 1);
	log_line(t, "b", 2);
	log_line(t, "c", 3);
	/* No flush: the timeout alone sends them, together. */
	ck_assert_uint_eq(listener_wait_records(l, 3, WAIT_MS), 3);
	ck_assert_uint_eq(listener_nbatches(l), 1);
	ck_assert_str_eq(rec_line(listener_record_at(l, 2)), "c 3");
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_retry_after_failures)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();

	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"function\"]", 1000, 262144, 25), 200);
	listener_fail_next(l, 2, 500);
	log_line(t, "retried", 1);
	ck_assert_uint_eq(listener_wait_records(l, 1, WAIT_MS), 1);
	ck_assert_uint_eq(listener_requests(l), 3);
	ck_assert_str_eq(rec_line(listener_record_at(l, 0)), "retried 1");
	ck_assert_int_eq((int)report_num(t, "recordsDropped"), 0);
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_retry_when_nobody_listens)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();
	uint16_t port = listener_port(l);

	/* Subscribe to a port where nothing listens yet... */
	listener_free(l);
	l = NULL;
	{
		struct vg_buf reply = VG_BUF_INIT(4096);
		char body[256];

		snprintf(body, sizeof(body),
		         "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"function\"],"
		         "\"buffering\":{\"timeoutMs\":25},\"destination\":{\"protocol\":\"HTTP\","
		         "\"URI\":\"http://sandbox:%u/\"}}",
		         port);
		ck_assert_uint_eq(sbx_tel_subscribe(t, "ext", body, strlen(body), &reply), 200);
		vg_buf_fini(&reply);
	}
	log_line(t, "early", 1);
	/* ...the record is held and retried, and a flush does not wait for
	 * a failing subscriber. */
	vg_sleep_ms(100);
	sbx_tel_flush(t, flush_deadline());
	ck_assert_int_eq((int)report_num(t, "recordsDelivered"), 0);
	sbx_tel_free(t);
}
END_TEST

START_TEST(test_logs_dropped_and_queue_cap)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();
	const size_t n = 3000, len = 1000;
	size_t lines = 0, dropped_reported = 0, got, i;
	double dropped;

	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"function\"]", 1000, 262144, 25), 200);
	listener_hang(l, true);
	log_sized(t, 0, len);
	/* Wait for the first POST to be held, then overfill the queue. */
	while (listener_requests(l) == 0)
		vg_sleep_ms(5);
	for (i = 1; i < n; i++)
		log_sized(t, (unsigned)i, len);
	/* Queue cap: 4 x 262,144 bytes of ~1,060-byte records (~990), so
	 * most of the 3,000 are dropped at once, without waiting. */
	dropped = report_num(t, "recordsDropped");
	ck_assert_double_ge(dropped, (double)(n - 1 - 4 * 262144 / len));
	ck_assert_double_le(dropped, (double)(n - 1 - 4 * 262144 / (len + 120)));
	listener_hang(l, false);
	sbx_tel_flush(t, flush_deadline());
	/* Everything kept arrives, and one logsDropped says what did not. */
	got = listener_wait_records(l, n - (size_t)dropped + 1, WAIT_MS);
	ck_assert_uint_eq(got, n - (size_t)dropped + 1);
	for (i = 0; i < got; i++) {
		const cJSON *r = listener_record_at(l, i);

		if (strcmp(rec_type(r), "function") == 0) {
			ck_assert_uint_eq(strlen(rec_line(r)), len);
			lines++;
		} else {
			const cJSON *rec = cJSON_GetObjectItem(r, "record");

			ck_assert_str_eq(rec_type(r), "platform.logsDropped");
			dropped_reported += (size_t)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(rec, "droppedRecords"));
			ck_assert_double_ge(
			    cJSON_GetNumberValue(cJSON_GetObjectItem(rec, "droppedBytes")),
			    dropped * len);
			ck_assert_ptr_nonnull(
			    cJSON_GetStringValue(cJSON_GetObjectItem(rec, "reason")));
		}
	}
	ck_assert_uint_eq(dropped_reported, (size_t)dropped);
	ck_assert_uint_eq(lines + dropped_reported, n);
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_give_up_then_logs_dropped)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();
	const cJSON *r;

	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"function\"]", 1000, 262144, 25), 200);
	listener_hang(l, true);
	for (unsigned i = 0; i < 10; i++)
		log_line(t, "lost", i);
	/* Every attempt times out; after the last the batch is dropped. */
	ck_assert_int_eq((int)wait_report(t, "recordsDropped", 10), 10);
	ck_assert_uint_ge(listener_requests(l), SBX_TEL_ATTEMPTS_MAX);
	listener_hang(l, false);
	log_line(t, "back", 1);
	ck_assert_uint_eq(listener_wait_records(l, 2, WAIT_MS), 2);
	r = listener_record_at(l, 0);
	ck_assert_str_eq(rec_type(r), "platform.logsDropped");
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(
	                     cJSON_GetObjectItem(r, "record"), "droppedRecords")),
	                 10);
	ck_assert_str_eq(rec_line(listener_record_at(l, 1)), "back 1");
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_replay_init_records)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *a = listener_new(), *b = listener_new(), *c = listener_new();

	sbx_tel_platform(t, "platform.initStart", cJSON_CreateObject());
	sbx_tel_log(t, SBX_TEL_EXTENSION, "ext-b starting", 14);
	ck_assert_uint_eq(subscribe(t, "a", a, "[\"platform\",\"extension\"]", 1000, 262144, 25),
	                  200);
	sbx_tel_log(t, SBX_TEL_FUNCTION, "init log", 8);
	ck_assert_uint_eq(subscribe(t, "b", b, "[\"platform\",\"function\"]", 1000, 262144, 25),
	                  200);
	sbx_tel_close_subscriptions(t);
	sbx_tel_flush(t, flush_deadline());

	/* a: what came before it, its own subscription, b's. */
	ck_assert_uint_eq(listener_wait_records(a, 4, WAIT_MS), 4);
	ck_assert_str_eq(rec_type(listener_record_at(a, 0)), "platform.initStart");
	ck_assert_str_eq(rec_line(listener_record_at(a, 1)), "ext-b starting");
	ck_assert_str_eq(rec_type(listener_record_at(a, 2)), "platform.telemetrySubscription");
	ck_assert_str_eq(rec_type(listener_record_at(a, 3)), "platform.telemetrySubscription");
	/* b: the replay filtered by its types, then its subscription. */
	ck_assert_uint_eq(listener_wait_records(b, 4, WAIT_MS), 4);
	ck_assert_str_eq(rec_type(listener_record_at(b, 0)), "platform.initStart");
	ck_assert_str_eq(rec_type(listener_record_at(b, 1)), "platform.telemetrySubscription");
	ck_assert_str_eq(rec_line(listener_record_at(b, 2)), "init log");
	ck_assert_str_eq(rec_type(listener_record_at(b, 3)), "platform.telemetrySubscription");

	/* A later init replays only its own records. */
	sbx_tel_reopen_subscriptions(t);
	sbx_tel_platform(t, "platform.initStart", cJSON_CreateObject());
	ck_assert_uint_eq(subscribe(t, "c", c, "[\"platform\"]", 1000, 262144, 25), 200);
	sbx_tel_flush(t, flush_deadline());
	ck_assert_uint_eq(listener_wait_records(c, 2, WAIT_MS), 2);
	vg_sleep_ms(100);
	ck_assert_uint_eq(listener_wait_records(c, 3, 0), 2);
	sbx_tel_free(t);
	listener_free(a);
	listener_free(b);
	listener_free(c);
}
END_TEST

START_TEST(test_resubscribe_replaces)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *a = listener_new(), *b = listener_new();
	const cJSON *r;

	ck_assert_uint_eq(subscribe(t, "ext", a, "[\"function\"]", 1000, 262144, 25), 200);
	log_line(t, "first", 1);
	sbx_tel_flush(t, flush_deadline());
	ck_assert_uint_eq(listener_wait_records(a, 1, WAIT_MS), 1);
	ck_assert_uint_eq(subscribe(t, "ext", b, "[\"function\",\"platform\"]", 1000, 262144, 25),
	                  200);
	ck_assert_int_eq((int)report_num(t, "subscribers"), 1);
	log_line(t, "second", 2);
	sbx_tel_flush(t, flush_deadline());
	ck_assert_uint_eq(listener_wait_records(b, 2, WAIT_MS), 2);
	r = listener_record_at(b, 0);
	ck_assert_str_eq(rec_type(r), "platform.telemetrySubscription");
	ck_assert_str_eq(
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "record"), "state")),
	    "Already subscribed");
	ck_assert_str_eq(rec_line(listener_record_at(b, 1)), "second 2");
	ck_assert_uint_eq(listener_wait_records(a, 2, 0), 1);
	sbx_tel_free(t);
	listener_free(a);
	listener_free(b);
}
END_TEST

START_TEST(test_resubscribe_after_failures)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *dead = listener_new(), *live = listener_new();
	uint64_t end = vg_mono_ns() + (uint64_t)WAIT_MS * 1000000u;

	/* The first destination refuses everything... */
	ck_assert_uint_eq(subscribe(t, "ext", dead, "[\"function\"]", 1000, 262144, 25), 200);
	listener_fail_next(dead, 1000, 503);
	log_line(t, "held", 1);
	while (listener_requests(dead) < 2 && vg_mono_ns() < end)
		vg_sleep_ms(5);
	ck_assert_uint_ge(listener_requests(dead), 2);
	/* ...the re-subscribed one gets the held batch, and a flush waits
	 * for it as for any healthy subscriber. */
	ck_assert_uint_eq(subscribe(t, "ext", live, "[\"function\"]", 1000, 262144, 25), 200);
	sbx_tel_flush(t, flush_deadline());
	ck_assert_uint_eq(listener_wait_records(live, 1, 0), 1);
	ck_assert_str_eq(rec_line(listener_record_at(live, 0)), "held 1");
	sbx_tel_free(t);
	listener_free(dead);
	listener_free(live);
}
END_TEST

START_TEST(test_stale_subscriber_removed)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *a = listener_new();

	ck_assert_uint_eq(subscribe(t, "gone", a, "[\"function\"]", 1000, 262144, 25), 200);
	sbx_tel_close_subscriptions(t);
	/* A reset: the extension is re-launched and does not subscribe. */
	sbx_tel_reopen_subscriptions(t);
	ck_assert_int_eq((int)report_num(t, "subscribers"), 1);
	sbx_tel_close_subscriptions(t);
	ck_assert_int_eq((int)report_num(t, "subscribers"), 0);
	log_line(t, "nobody", 1);
	sbx_tel_flush(t, flush_deadline());
	sbx_tel_free(t);
	listener_free(a);
}
END_TEST

START_TEST(test_burst_of_short_lines)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();

	/* 12,000 short lines at once with 1,000-item batches: the queue is
	 * bounded by bytes, so a burst well within them is not dropped. */
	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"function\"]", 1000, 262144, 25), 200);
	for (unsigned i = 0; i < 12000; i++)
		log_line(t, "burst", i);
	sbx_tel_flush(t, flush_deadline());
	ck_assert_uint_eq(listener_wait_records(l, 12000, WAIT_MS), 12000);
	ck_assert_int_eq((int)report_num(t, "recordsDropped"), 0);
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_line_cap)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();
	size_t n = 1u << 20;

	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"function\"]", 1000, 262144, 25), 200);
	log_sized(t, 7, n);
	log_line(t, "after", 1);
	sbx_tel_flush(t, flush_deadline());
	ck_assert_uint_eq(listener_wait_records(l, 2, WAIT_MS), 2);
	/* Cut at the cap, and larger than maxBytes: it travelled alone. */
	ck_assert_uint_eq(strlen(rec_line(listener_record_at(l, 0))), SBX_TEL_LINE_MAX);
	ck_assert_int_eq(cJSON_GetArraySize(listener_batch_at(l, 0)->array), 1);
	ck_assert_str_eq(rec_line(listener_record_at(l, 1)), "after 1");
	sbx_tel_free(t);
	listener_free(l);
}
END_TEST

START_TEST(test_free_with_pending)
{
	struct sbx_tel *t = tel_new(0);
	struct listener *l = listener_new();

	/* Freeing while a POST hangs and records wait must not leak or block. */
	ck_assert_uint_eq(subscribe(t, "ext", l, "[\"function\"]", 1000, 262144, 30000), 200);
	listener_hang(l, true);
	sbx_tel_flush(t, vg_mono_ns());
	for (unsigned i = 0; i < 100; i++)
		log_line(t, "pending", i);
	sbx_tel_flush(t, vg_mono_ns() + 50000000u);
	sbx_tel_free(t);
	sbx_tel_free(NULL);
	listener_free(l);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sandbox-telemetry");
	TCase *v = tcase_create("subscribe");
	TCase *d = tcase_create("delivery");

	tcase_add_loop_test(v, test_subscribe_rejects, 0,
	                    (int)(sizeof(bad_bodies) / sizeof(bad_bodies[0])));
	tcase_add_test(v, test_subscribe_rejects_oversized_and_unterminated);
	tcase_add_test(v, test_subscribe_accepts);
	tcase_add_test(v, test_subscribe_caps_subscribers);
	tcase_add_test(v, test_subscribe_parses_defaults);
	tcase_add_test(v, test_subscribe_closed);
	tcase_add_test(v, test_stub_mode);
	suite_add_tcase(s, v);

	tcase_set_timeout(d, 60);
	tcase_add_test(d, test_delivery_envelope);
	tcase_add_test(d, test_types_filter);
	tcase_add_test(d, test_batch_by_items);
	tcase_add_test(d, test_flush_delivers_all);
	tcase_add_test(d, test_batch_by_bytes);
	tcase_add_test(d, test_batch_by_timeout);
	tcase_add_test(d, test_retry_after_failures);
	tcase_add_test(d, test_retry_when_nobody_listens);
	tcase_add_test(d, test_logs_dropped_and_queue_cap);
	tcase_add_test(d, test_give_up_then_logs_dropped);
	tcase_add_test(d, test_replay_init_records);
	tcase_add_test(d, test_resubscribe_replaces);
	tcase_add_test(d, test_resubscribe_after_failures);
	tcase_add_test(d, test_stale_subscriber_removed);
	tcase_add_test(d, test_burst_of_short_lines);
	tcase_add_test(d, test_line_cap);
	tcase_add_test(d, test_free_with_pending);
	suite_add_tcase(s, d);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
