/* Unit tests of vigil-collector's pieces: OTLP parsing, gzip, storage
 * (de-duplication, queries, groups, retention, reopening), rate limiting,
 * the live stream and query-parameter parsing. */
#include <check.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "col_gzip.h"
#include "col_otlp.h"
#include "col_ratelimit.h"
#include "col_server_private.h"
#include "col_store.h"
#include "col_stream.h"
#include "vg_time.h"

static char *slurp(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/data/collector/%s", getenv("VIGIL_SOURCE_ROOT"),
	         name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	ck_assert(fread(p, 1, (size_t)n, f) == (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

static struct col_batch *parse_file(const char *name)
{
	size_t n;
	char *body = slurp(name, &n), msg[160];
	struct col_batch *b = NULL;
	ck_assert_int_eq(col_otlp_parse(body, n, &b, msg, sizeof(msg)), 0);
	free(body);
	return b;
}

static struct col_batch *parse_str(const char *s)
{
	struct col_batch *b = NULL;
	ck_assert_int_eq(col_otlp_parse(s, strlen(s), &b, NULL, 0), 0);
	return b;
}

/* One generic record per call, with an optional id and time. */
static struct col_batch *one_record(const char *id, int64_t time_ns, const char *fn)
{
	char body[1024];
	snprintf(body, sizeof(body),
	         "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"faas.name\","
	         "\"value\":{\"stringValue\":\"%s\"}}]},\"scopeLogs\":[{\"logRecords\":[{"
	         "\"timeUnixNano\":\"%lld\",\"attributes\":[%s%s%s{\"key\":\"vigil.rule.id\","
	         "\"value\":{\"stringValue\":\"r\"}}]}]}]}]}",
	         fn, (long long)time_ns,
	         id ? "{\"key\":\"vigil.alert.id\",\"value\":{\"stringValue\":\"" : "",
	         id ? id : "", id ? "\"}}," : "");
	return parse_str(body);
}

START_TEST(otlp_basic)
{
	struct col_batch *b = parse_file("alerts-basic.json");
	ck_assert_uint_eq(b->n, 6);
	ck_assert_uint_eq(b->rejected, 0);
	const struct col_record *r = &b->records[0];
	ck_assert_str_eq(r->alert_id, "3f1c9a0e-0001");
	ck_assert_str_eq(r->category, "sqli");
	ck_assert_str_eq(r->rule, "sqli.union_select");
	ck_assert_str_eq(r->field_path, "body>$.search");
	ck_assert_str_eq(r->request_id, "c0ffee00-0000-4000-8000-000000000001");
	ck_assert_str_eq(r->function, "orders-api");
	ck_assert_str_eq(r->severity_text, "critical");
	ck_assert_int_eq(r->severity_number, 21);
	ck_assert_int_eq(r->time_ns, 1795870000001000000LL);
	ck_assert_ptr_nonnull(strstr(r->resource_json, "\"faas.max_memory\":134217728"));
	/* The generic record: no id, kept. */
	ck_assert_ptr_null(b->records[5].alert_id);
	ck_assert_str_eq(b->records[5].function, "billing-worker");
	ck_assert_str_eq(b->records[5].body, "worker started");
	col_batch_free(b);
}
END_TEST

START_TEST(otlp_partial)
{
	struct col_batch *b = parse_file("alerts-partial.json");
	ck_assert_uint_eq(b->n, 2);
	ck_assert_uint_eq(b->rejected, 3);
	ck_assert_str_eq(b->error, "logRecord is not an object");
	/* What a forwarder relays holds the accepted records only. */
	size_t n;
	char *json = col_batch_json(b, &n);
	struct col_batch *again = parse_str(json);
	ck_assert_uint_eq(again->n, 2);
	ck_assert_uint_eq(again->rejected, 0);
	ck_assert_str_eq(again->records[1].alert_id, "partial-ok-2");
	col_batch_free(again);
	free(json);
	col_batch_free(b);
}
END_TEST

START_TEST(otlp_malformed)
{
	static const char *bad[] = {
	    "",
	    "{",
	    "[]",
	    "\"x\"",
	    "{\"resourceLogs\":{}}",
	    "{\"resourceLogs\":[1]}",
	    "{\"resourceLogs\":[{\"scopeLogs\":{}}]}",
	    "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":7}]}]}",
	    "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":1}]}}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct col_batch *b = (void *)1;
		char msg[160] = "";
		ck_assert_int_eq(col_otlp_parse(bad[i], strlen(bad[i]), &b, msg, sizeof(msg)),
		                 -EINVAL);
		ck_assert_ptr_null(b);
		ck_assert_msg(msg[0], "no message for %s", bad[i]);
	}
	/* An empty request is valid and holds nothing. */
	struct col_batch *b = parse_str("{}");
	ck_assert_uint_eq(b->n, 0);
	col_batch_free(b);
}
END_TEST

START_TEST(otlp_limits)
{
	/* Nested 40 deep: the record is rejected, not the process. */
	char deep[4096] = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":";
	for (int i = 0; i < 40; i++)
		strcat(deep, "{\"arrayValue\":{\"values\":[");
	strcat(deep, "{\"intValue\":1}");
	for (int i = 0; i < 40; i++)
		strcat(deep, "]}}");
	strcat(deep, "},{\"body\":{\"stringValue\":\"ok\"}}]}]}]}");
	struct col_batch *b = parse_str(deep);
	ck_assert_uint_eq(b->n, 1);
	ck_assert_uint_eq(b->rejected, 1);
	col_batch_free(b);

	/* Too many attributes. */
	struct vg_buf s = VG_BUF_INIT(1 << 20);
	vg_buf_puts(&s, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"attributes\":[");
	for (int i = 0; i < COL_OTLP_MAX_ATTRS + 1; i++)
		vg_buf_printf(&s, "%s{\"key\":\"k%d\",\"value\":{\"boolValue\":true}}",
		              i ? "," : "", i);
	vg_buf_puts(&s, "]}]}]}]}");
	b = parse_str(s.data);
	ck_assert_uint_eq(b->n, 0);
	ck_assert_uint_eq(b->rejected, 1);
	col_batch_free(b);
	vg_buf_fini(&s);

	/* Large integers keep their digits; typed values convert. */
	b = parse_str("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"attributes\":["
	              "{\"key\":\"big\",\"value\":{\"intValue\":\"9007199254740993\"}},"
	              "{\"key\":\"d\",\"value\":{\"doubleValue\":1.5}},"
	              "{\"key\":\"kv\",\"value\":{\"kvlistValue\":{\"values\":[{\"key\":\"a\","
	              "\"value\":{\"stringValue\":\"b\"}}]}}}]}]}]}]}");
	ck_assert_uint_eq(b->n, 1);
	ck_assert_str_eq(b->records[0].attrs_json,
	                 "{\"big\":\"9007199254740993\",\"d\":1.5,\"kv\":{\"a\":\"b\"}}");
	col_batch_free(b);
}
END_TEST

static void gzip_bytes(const void *in, size_t n, struct vg_buf *out)
{
	z_stream zs = {0};
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	                 Z_OK);
	ck_assert_int_eq(vg_buf_reserve(out, deflateBound(&zs, n)), 0);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = (Bytef *)out->data;
	zs.avail_out = (uInt)(out->cap - 1);
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	out->len = zs.total_out;
	deflateEnd(&zs);
}

START_TEST(gzip_cases)
{
	struct vg_buf gz = VG_BUF_INIT(64 << 20), out = VG_BUF_INIT(1 << 20);
	const char text[] = "{\"resourceLogs\":[]}";

	gzip_bytes(text, strlen(text), &gz);
	ck_assert_int_eq(col_gunzip(gz.data, gz.len, &out), 0);
	ck_assert_str_eq(out.data, text);
	/* Truncated and corrupt streams. */
	vg_buf_reset(&out);
	ck_assert_int_eq(col_gunzip(gz.data, gz.len - 4, &out), -EINVAL);
	vg_buf_reset(&out);
	ck_assert_int_eq(col_gunzip("not gzip at all", 15, &out), -EINVAL);

	/* A bomb: 8 MiB of zeros is a few KiB compressed, and stops at the cap. */
	size_t big = 8u << 20;
	char *zeros = calloc(1, big);
	vg_buf_reset(&gz);
	gzip_bytes(zeros, big, &gz);
	ck_assert_uint_lt(gz.len, 64 * 1024);
	vg_buf_reset(&out);
	ck_assert_int_eq(col_gunzip(gz.data, gz.len, &out), -ENOBUFS);
	ck_assert_uint_le(out.len, out.max);
	free(zeros);
	vg_buf_fini(&gz);
	vg_buf_fini(&out);
}
END_TEST

static char dbpath[256];

static struct col_store *open_store(int64_t max_alerts, int64_t max_age_s)
{
	struct col_store_opts o = {
	    .path = dbpath, .sync_full = false, .max_alerts = max_alerts, .max_age_s = max_age_s};
	struct col_store *s = NULL;
	ck_assert_int_eq(col_store_open(&o, &s), 0);
	return s;
}

static void fresh_db(void)
{
	char cmd[300];
	snprintf(dbpath, sizeof(dbpath), "/tmp/vigil-col-test-%d-%lld.db", (int)getpid(),
	         (long long)vg_mono_ns());
	snprintf(cmd, sizeof(cmd), "%s-wal", dbpath);
	unlink(dbpath);
	unlink(cmd);
}

static void drop_db(void)
{
	char p[300];
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

/* Number of alerts a query returns. */
static int count_alerts(struct col_store *s, const struct col_filter *f, char *next, size_t nn)
{
	struct vg_buf out = VG_BUF_INIT(16 << 20);
	ck_assert_int_eq(col_store_alerts_json(s, f, &out), 0);
	cJSON *root = cJSON_Parse(out.data);
	ck_assert_ptr_nonnull(root);
	int n = cJSON_GetArraySize(cJSON_GetObjectItem(root, "alerts"));
	cJSON *nx = cJSON_GetObjectItem(root, "next");
	if (next)
		snprintf(next, nn, "%s", cJSON_IsString(nx) ? nx->valuestring : "");
	cJSON_Delete(root);
	vg_buf_fini(&out);
	return n;
}

static int pushed;
static void count_pushed(void *ctx, const char *json, size_t n)
{
	(void)ctx;
	ck_assert_uint_eq(strlen(json), n);
	pushed++;
}

START_TEST(store_dedup_and_query)
{
	struct col_insert_result res;
	struct col_batch *b = parse_file("alerts-basic.json");
	char next[32];

	fresh_db();
	struct col_store *s = open_store(0, 0);
	pushed = 0;
	ck_assert_int_eq(col_store_insert(s, b, (int64_t)vg_epoch_ns(), &res, count_pushed, NULL),
	                 0);
	ck_assert_uint_eq(res.stored, 6);
	ck_assert_int_eq(pushed, 6);
	/* Sent again: every alert is a duplicate; the id-less record is not. */
	ck_assert_int_eq(col_store_insert(s, b, (int64_t)vg_epoch_ns(), &res, NULL, NULL), 0);
	ck_assert_uint_eq(res.stored, 1);
	ck_assert_uint_eq(res.duplicates, 5);
	ck_assert_int_eq(col_store_count(s), 7);

	struct col_filter f = {0};
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 7);
	f = (struct col_filter){.function = "orders-api"};
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 3);
	f = (struct col_filter){.category = "sqli"};
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 2);
	f = (struct col_filter){.severity = "CRITICAL"};
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 2);
	f = (struct col_filter){.severity = "error"}; /* severityNumber 17..20 */
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 2);
	f = (struct col_filter){.source = "sqs"};
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 1);
	f = (struct col_filter){.q = "union"};
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 2);
	f = (struct col_filter){.q = "%"}; /* a literal percent sign, not a wildcard */
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 0);
	f = (struct col_filter){.request = "c0ffee00-0000-4000-8000-000000000005"};
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 1);
	f = (struct col_filter){.since_ns = 1795870000003500000LL};
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 4);

	/* Paging: newest first, two at a time, until next is null. */
	int seen = 0, pages = 0;
	f = (struct col_filter){.limit = 2};
	for (;;) {
		int n = count_alerts(s, &f, next, sizeof(next));
		seen += n;
		pages++;
		if (!next[0])
			break;
		f.before_id = strtoll(next, NULL, 10);
	}
	ck_assert_int_eq(seen, 7);
	ck_assert_int_eq(pages, 4);

	/* Groups: the two sqli.union_select alerts share one. */
	struct vg_buf out = VG_BUF_INIT(1 << 20);
	f = (struct col_filter){.function = "orders-api"};
	ck_assert_int_eq(
	    col_store_groups_json(s, &f, 1795870000100000000LL, 3600 * 1000000000LL, 12, &out), 0);
	cJSON *root = cJSON_Parse(out.data), *g;
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(root, "groups")), 2);
	int found = 0;
	cJSON_ArrayForEach(g, cJSON_GetObjectItem(root, "groups"))
	{
		if (!strcmp(cJSON_GetObjectItem(g, "rule")->valuestring, "sqli.union_select")) {
			ck_assert_int_eq(cJSON_GetObjectItem(g, "count")->valueint, 2);
			cJSON *sp = cJSON_GetObjectItem(g, "spark");
			ck_assert_int_eq(cJSON_GetArraySize(sp), 12);
			ck_assert_int_eq(cJSON_GetArrayItem(sp, 11)->valueint, 2);
			found = 1;
		}
	}
	ck_assert_int_eq(found, 1);
	cJSON_Delete(root);
	vg_buf_reset(&out);
	vg_buf_putc(&out, '{');
	ck_assert_int_eq(col_store_stats_json(s, &out), 0);
	vg_buf_putc(&out, '}');
	root = cJSON_Parse(out.data);
	ck_assert_int_eq(cJSON_GetObjectItem(root, "alerts")->valueint, 7);
	ck_assert_int_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(root, "byCategory"), "sqli")->valueint, 2);
	cJSON_Delete(root);
	vg_buf_fini(&out);

	col_store_free(s);
	/* Reopened, everything is still there and ids still de-duplicate. */
	s = open_store(0, 0);
	ck_assert_int_eq(col_store_count(s), 7);
	ck_assert_int_eq(col_store_insert(s, b, (int64_t)vg_epoch_ns(), &res, NULL, NULL), 0);
	ck_assert_uint_eq(res.duplicates, 5);
	col_store_free(s);
	col_batch_free(b);
	drop_db();
}
END_TEST

START_TEST(store_retention)
{
	struct col_insert_result res;
	int64_t now = (int64_t)vg_epoch_ns(), deleted = 0;
	char id[32];

	fresh_db();
	struct col_store *s = open_store(10, 3600);
	for (int i = 0; i < 25; i++) {
		snprintf(id, sizeof(id), "id-%d", i);
		struct col_batch *b = one_record(id, now - 60000000000LL + i, i % 2 ? "f1" : "f2");
		ck_assert_int_eq(col_store_insert(s, b, now, &res, NULL, NULL), 0);
		ck_assert_uint_eq(res.stored, 1);
		col_batch_free(b);
	}
	ck_assert_int_le(col_store_count(s), 10);
	struct col_filter f = {0};
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), col_store_count(s));
	/* The newest survive. */
	f.q = "id-24";
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 1);
	f.q = "id-0";
	ck_assert_int_eq(count_alerts(s, &f, NULL, 0), 0);

	/* Age: an alert two hours old goes at the next pass. */
	struct col_batch *old = one_record("old-one", now - 7200 * 1000000000LL, "f1");
	ck_assert_int_eq(col_store_insert(s, old, now, &res, NULL, NULL), 0);
	col_batch_free(old);
	int64_t before = col_store_count(s);
	ck_assert_int_eq(col_store_retain(s, now, &deleted), 0);
	ck_assert_int_eq(deleted, 1);
	ck_assert_int_eq(col_store_count(s), before - 1);

	/* Group counts follow the deletions. */
	struct vg_buf out = VG_BUF_INIT(1 << 20);
	ck_assert_int_eq(col_store_groups_json(s, &f, now, 0, 0, &out), 0);
	cJSON *root = cJSON_Parse(out.data), *g;
	int64_t sum = 0;
	cJSON_ArrayForEach(g, cJSON_GetObjectItem(root, "groups")) sum +=
	    cJSON_GetObjectItem(g, "count")->valueint;
	ck_assert_int_eq(sum, col_store_count(s));
	cJSON_Delete(root);

	/* A group emptied by retention comes back when its fingerprint does
	 * (the group-id cache must not name the deleted row). */
	old = one_record("gone-1", now - 7200 * 1000000000LL, "gone-fn");
	ck_assert_int_eq(col_store_insert(s, old, now, &res, NULL, NULL), 0);
	col_batch_free(old);
	ck_assert_int_eq(col_store_retain(s, now, &deleted), 0);
	ck_assert_int_eq(deleted, 1);
	old = one_record("gone-2", now, "gone-fn");
	ck_assert_int_eq(col_store_insert(s, old, now, &res, NULL, NULL), 0);
	col_batch_free(old);
	struct col_filter gf = {.function = "gone-fn"};
	vg_buf_reset(&out);
	ck_assert_int_eq(col_store_groups_json(s, &gf, now, 0, 0, &out), 0);
	root = cJSON_Parse(out.data);
	g = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "groups"), 0);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(cJSON_GetObjectItem(g, "count")->valueint, 1);
	cJSON_Delete(root);
	gf.group = 0;
	ck_assert_int_eq(count_alerts(s, &gf, NULL, 0), 1);
	vg_buf_fini(&out);
	col_store_free(s);
	drop_db();
}
END_TEST

START_TEST(store_duplicate_in_batch)
{
	struct col_insert_result res;
	fresh_db();
	struct col_store *s = open_store(0, 0);
	struct col_batch *b = parse_str(
	    "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":["
	    "{\"attributes\":[{\"key\":\"vigil.alert.id\",\"value\":{\"stringValue\":\"same\"}}]},"
	    "{\"attributes\":[{\"key\":\"vigil.alert.id\",\"value\":{\"stringValue\":\"same\"}}]},"
	    "{\"attributes\":[{\"key\":\"vigil.alert.id\",\"value\":{\"stringValue\":\"\"}}]}]}]}]"
	    "}");
	ck_assert_int_eq(col_store_insert(s, b, (int64_t)vg_epoch_ns(), &res, NULL, NULL), 0);
	/* One copy of "same"; the empty id counts as no id. */
	ck_assert_uint_eq(res.stored, 2);
	ck_assert_uint_eq(res.duplicates, 1);
	struct vg_buf out = VG_BUF_INIT(1 << 20);
	struct col_filter f = {0};
	ck_assert_int_eq(col_store_groups_json(s, &f, (int64_t)vg_epoch_ns(), 0, 0, &out), 0);
	cJSON *root = cJSON_Parse(out.data);
	ck_assert_int_eq(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "groups"), 0), "count")
	        ->valueint,
	    2);
	cJSON_Delete(root);
	vg_buf_fini(&out);
	col_batch_free(b);
	col_store_free(s);
	drop_db();
}
END_TEST

START_TEST(store_search_window)
{
	struct col_insert_result res;
	struct col_store_opts o = {.scan_rows = 10};
	struct col_store *s = NULL;
	char id[32], next[32];
	int64_t now = (int64_t)vg_epoch_ns();

	fresh_db();
	o.path = dbpath;
	ck_assert_int_eq(col_store_open(&o, &s), 0);
	/* The needle is the oldest of 35 alerts. */
	for (int i = 0; i < 35; i++) {
		snprintf(id, sizeof(id), i ? "hay-%d" : "needle-%d", i);
		struct col_batch *b = one_record(id, now + i, "f");
		ck_assert_int_eq(col_store_insert(s, b, now, &res, NULL, NULL), 0);
		col_batch_free(b);
	}
	/* Each call looks 10 ids back and says where to go on. */
	struct col_filter f = {.q = "needle"};
	int calls = 0, found = 0;
	do {
		found += count_alerts(s, &f, next, sizeof(next));
		calls++;
		f.before_id = strtoll(next, NULL, 10);
	} while (next[0] && calls < 10);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(calls, 4);
	/* A common word fills its page within the window. */
	f = (struct col_filter){.q = "hay", .limit = 5};
	ck_assert_int_eq(count_alerts(s, &f, next, sizeof(next)), 5);
	col_store_free(s);
	drop_db();
}
END_TEST

START_TEST(ratelimit_buckets)
{
	struct col_ratelimit *rl;
	struct sockaddr_in a = {.sin_family = AF_INET}, b = a;
	unsigned retry = 0;
	a.sin_addr.s_addr = htonl(0x7f000001);
	b.sin_addr.s_addr = htonl(0x7f000002);

	ck_assert_int_eq(col_ratelimit_new(1, 2, &rl), 0);
	ck_assert(col_ratelimit_take(rl, (struct sockaddr *)&a, 0, &retry));
	ck_assert(col_ratelimit_take(rl, (struct sockaddr *)&a, 0, &retry));
	ck_assert(!col_ratelimit_take(rl, (struct sockaddr *)&a, 0, &retry));
	ck_assert_uint_eq(retry, 1);
	/* Another client has its own bucket. */
	ck_assert(col_ratelimit_take(rl, (struct sockaddr *)&b, 0, &retry));
	/* A second later one token is back. */
	ck_assert(col_ratelimit_take(rl, (struct sockaddr *)&a, 1000000000LL, &retry));
	ck_assert(!col_ratelimit_take(rl, (struct sockaddr *)&a, 1000000000LL, &retry));
	/* Many addresses cannot grow the table. */
	for (uint32_t i = 0; i < 100000; i++) {
		struct sockaddr_in c = {.sin_family = AF_INET};
		c.sin_addr.s_addr = htonl(0x0a000000 + i);
		col_ratelimit_take(rl, (struct sockaddr *)&c, 2000000000LL, &retry);
	}
	col_ratelimit_free(rl);
}
END_TEST

START_TEST(stream_fanout)
{
	struct col_stream *st;
	struct vg_buf out = VG_BUF_INIT(1 << 20);
	uint64_t seq;

	ck_assert_int_eq(col_stream_new(4, &st), 0);
	seq = col_stream_head(st);
	ck_assert_int_eq(col_stream_wait(st, &seq, 10, &out), 0); /* times out */
	col_stream_push(st, "{\"a\":1}", 7);
	col_stream_push(st, "{\"a\":2}", 7);
	ck_assert_int_eq(col_stream_wait(st, &seq, 1000, &out), 2);
	ck_assert_ptr_nonnull(strstr(out.data, "event: alert\nid: 0\ndata: {\"a\":1}\n\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "data: {\"a\":2}\n\n"));
	/* A reader more than a ring behind is told so and skips ahead. */
	for (int i = 0; i < 10; i++)
		col_stream_push(st, "{}", 2);
	vg_buf_reset(&out);
	ck_assert_int_eq(col_stream_wait(st, &seq, 1000, &out), 1);
	ck_assert_ptr_nonnull(strstr(out.data, "event: lagged"));
	ck_assert_uint_eq(seq, col_stream_head(st));
	/* An alert too large for the ring reaches readers as "lagged". */
	char *big = calloc(1, COL_STREAM_MAX_ALERT + 2);
	memset(big, 'x', COL_STREAM_MAX_ALERT + 1);
	col_stream_push(st, big, COL_STREAM_MAX_ALERT + 1);
	free(big);
	vg_buf_reset(&out);
	ck_assert_int_eq(col_stream_wait(st, &seq, 1000, &out), 1);
	ck_assert_str_eq(out.data, "event: lagged\ndata: {}\n\n");
	col_stream_close(st);
	ck_assert_int_eq(col_stream_wait(st, &seq, 1000, &out), -EPIPE);
	col_stream_free(st);
	vg_buf_fini(&out);
}
END_TEST

START_TEST(since_parsing)
{
	int64_t now = 2000000000LL * 1000000000LL, v;
	ck_assert_int_eq(col_parse_since("15m", now, &v), 0);
	ck_assert_int_eq(v, now - 900LL * 1000000000LL);
	ck_assert_int_eq(col_parse_since("1700000000000", now, &v), 0);
	ck_assert_int_eq(v, 1700000000000LL * 1000000);
	ck_assert_int_eq(col_parse_since("2026-01-01T00:00:00Z", now, &v), 0);
	ck_assert_int_eq(v, 1767225600LL * 1000000000LL);
	ck_assert_int_eq(col_parse_since("yesterday", now, &v), -EINVAL);
	ck_assert_int_eq(col_parse_since("-5m", now, &v), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("collector");
	TCase *tc = tcase_create("collector");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, otlp_basic);
	tcase_add_test(tc, otlp_partial);
	tcase_add_test(tc, otlp_malformed);
	tcase_add_test(tc, otlp_limits);
	tcase_add_test(tc, gzip_cases);
	tcase_add_test(tc, store_dedup_and_query);
	tcase_add_test(tc, store_retention);
	tcase_add_test(tc, store_duplicate_in_batch);
	tcase_add_test(tc, store_search_window);
	tcase_add_test(tc, ratelimit_buckets);
	tcase_add_test(tc, stream_fanout);
	tcase_add_test(tc, since_parsing);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
