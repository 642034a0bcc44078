/* The alert record and its export: what the collector's own parser reads
 * from our records, and how the exporter behaves against a collector that
 * is fine, slow, down, failing, throttling or refusing. */
#include <check.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "col_otlp.h"
#include "fake-collector.h"
#include "tel_alert.h"
#include "tel_export.h"
#include "tel_tls.h"
#include "vg_buf.h"
#include "vg_time.h"

#define MS 1000000ull

static void lambda_env(void)
{
	setenv("AWS_REGION", "eu-west-1", 1);
	setenv("AWS_LAMBDA_FUNCTION_NAME", "orders", 1);
	setenv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST", 1);
	setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256", 1);
	unsetenv("AWS_LAMBDA_LOG_STREAM_NAME");
}

static struct tel_alert sample(const char *request_id, const char *salt)
{
	static const struct tel_attr attrs[] = {
	    {"vigil.score", "42", 1}, {"vigil.note", "hello", 0}, {"vigil.kind", "forged", 0}};
	struct tel_alert a = {.kind = "inspection",
	                      .category = "sqli",
	                      .rule = "sqli.tautology",
	                      .action = "block",
	                      .severity = "ERROR",
	                      .request_id = request_id,
	                      .source = "apigw-v2",
	                      .path = "body>$.user.name",
	                      .excerpt = "' OR 1=1 --",
	                      .summary = "SQL injection in body>$.user.name",
	                      .correlated_id = "c0ffee",
	                      .id_salt = salt,
	                      .time_ns = 1700000000123456789ull,
	                      .attrs = attrs,
	                      .n_attrs = 3};
	return a;
}

/* A whole OTLP request around one record, as the exporter sends it. */
static char *request_of(const struct tel_alert *a, size_t *len)
{
	struct vg_buf b = VG_BUF_INIT(1 << 20);
	ck_assert_int_eq(vg_buf_puts(&b, "{\"resourceLogs\":[{\"resource\":"), 0);
	ck_assert_int_eq(tel_resource_otlp(&b), 0);
	ck_assert_int_eq(vg_buf_puts(&b, ",\"scopeLogs\":[{\"logRecords\":["), 0);
	ck_assert_int_eq(tel_alert_otlp(&b, a), 0);
	ck_assert_int_eq(vg_buf_puts(&b, "]}]}]}"), 0);
	return vg_buf_steal(&b, len);
}

START_TEST(record_reads_back_in_the_collector)
{
	struct tel_alert a = sample("req-1", NULL);
	struct col_batch *batch;
	char id[33], msg[160];
	size_t len;
	char *body;
	cJSON *attrs, *res;

	lambda_env();
	body = request_of(&a, &len);
	ck_assert_int_eq(col_otlp_parse(body, len, &batch, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(batch->n, 1);
	ck_assert_uint_eq(batch->rejected, 0);
	struct col_record *r = &batch->records[0];
	tel_alert_id(&a, id);
	ck_assert_str_eq(r->alert_id, id);
	ck_assert_str_eq(r->kind, "inspection");
	ck_assert_str_eq(r->category, "sqli");
	ck_assert_str_eq(r->rule, "sqli.tautology");
	ck_assert_str_eq(r->action, "block");
	ck_assert_str_eq(r->source, "apigw-v2");
	ck_assert_str_eq(r->field_path, "body>$.user.name");
	ck_assert_str_eq(r->excerpt, "' OR 1=1 --");
	ck_assert_str_eq(r->request_id, "req-1");
	ck_assert_str_eq(r->function, "orders");
	ck_assert_str_eq(r->service, "vigil");
	ck_assert_str_eq(r->body, "SQL injection in body>$.user.name");
	ck_assert_str_eq(r->severity_text, "ERROR");
	ck_assert_int_eq(r->severity_number, 17);
	ck_assert(r->time_ns == 1700000000123456789ll);

	attrs = cJSON_Parse(r->attrs_json);
	ck_assert_ptr_nonnull(attrs);
	ck_assert_str_eq(cJSON_GetObjectItem(attrs, "vigil.correlated.alert.id")->valuestring,
	                 "c0ffee");
	ck_assert_int_eq(cJSON_GetObjectItem(attrs, "vigil.score")->valueint, 42);
	ck_assert_str_eq(cJSON_GetObjectItem(attrs, "vigil.note")->valuestring, "hello");
	/* An extra attribute cannot overwrite a fixed one. */
	ck_assert_str_eq(cJSON_GetObjectItem(attrs, "vigil.kind")->valuestring, "inspection");
	cJSON_Delete(attrs);

	res = cJSON_Parse(r->resource_json);
	ck_assert_ptr_nonnull(res);
	ck_assert_str_eq(cJSON_GetObjectItem(res, "cloud.provider")->valuestring, "aws");
	ck_assert_str_eq(cJSON_GetObjectItem(res, "cloud.region")->valuestring, "eu-west-1");
	ck_assert_str_eq(cJSON_GetObjectItem(res, "faas.version")->valuestring, "$LATEST");
	ck_assert_int_eq(cJSON_GetObjectItem(res, "faas.max_memory")->valuedouble, 268435456);
	/* The extension does not get the log stream's name: a per-process id. */
	ck_assert_uint_eq(strlen(cJSON_GetObjectItem(res, "faas.instance")->valuestring), 36);
	cJSON_Delete(res);
	col_batch_free(batch);
	free(body);
}
END_TEST

START_TEST(absent_fields_are_left_out)
{
	struct tel_alert a = {.kind = "health", .category = "proxy_bypassed", .rule = "proxy"};
	struct col_batch *batch;
	size_t len;
	char *body;

	lambda_env();
	body = request_of(&a, &len);
	ck_assert_int_eq(col_otlp_parse(body, len, &batch, NULL, 0), 0);
	ck_assert_uint_eq(batch->n, 1);
	ck_assert_ptr_null(batch->records[0].request_id);
	ck_assert_ptr_null(batch->records[0].field_path);
	ck_assert_ptr_null(batch->records[0].source);
	ck_assert_str_eq(batch->records[0].action, "alert");
	ck_assert_str_eq(batch->records[0].severity_text, "WARN");
	ck_assert_int_eq(batch->records[0].severity_number, 13);
	ck_assert(batch->records[0].time_ns > 0);
	col_batch_free(batch);
	free(body);
}
END_TEST

START_TEST(alert_id_is_stable_and_tells_alerts_apart)
{
	struct tel_alert a = sample("req-1", NULL), b = a;
	char ia[33], ib[33];

	lambda_env();
	tel_alert_id(&a, ia);
	b.time_ns = 1;
	b.summary = "other words";
	b.excerpt = "other";
	tel_alert_id(&b, ib);
	ck_assert_str_eq(ia, ib); /* what it says is not what it is */
	ck_assert_uint_eq(strlen(ia), 32);
	b.request_id = "req-2";
	tel_alert_id(&b, ib);
	ck_assert_str_ne(ia, ib);
	b = a;
	b.path = "query>$.q";
	tel_alert_id(&b, ib);
	ck_assert_str_ne(ia, ib);
	b = a;
	b.id_salt = "x";
	tel_alert_id(&b, ib);
	ck_assert_str_ne(ia, ib);
	b = a;
	setenv("AWS_LAMBDA_FUNCTION_VERSION", "7", 1);
	tel_alert_id(&b, ib);
	ck_assert_str_ne(ia, ib);
	lambda_env();
	/* No path and no salt: the id the extension's first printer gave,
	 * FNV-1a over kind, category, rule, request id, name, version. */
	b = (struct tel_alert){.kind = "health", .category = "internal_error", .rule = "r"};
	tel_alert_id(&b, ib);
	{
		const char *parts[] = {"health", "internal_error", "r", "", "orders", "$LATEST"};
		unsigned long long h = 0xcbf29ce484222325ull;
		char want[17];
		for (size_t i = 0; i < 6; i++) {
			for (const char *p = parts[i]; *p; p++)
				h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
			h = (h ^ 0x1f) * 0x100000001b3ull;
		}
		snprintf(want, sizeof(want), "%016llx", h);
		ck_assert(!strncmp(ib, want, 16));
	}
}
END_TEST

START_TEST(excerpt_is_cut_on_a_utf8_boundary)
{
	char ex[300];
	struct tel_alert a = {.kind = "inspection", .category = "xss", .rule = "x", .excerpt = ex};
	struct vg_buf b = VG_BUF_INIT(1 << 16);
	cJSON *j, *v;

	lambda_env();
	memset(ex, 'a', 127);
	strcpy(ex + 127, "\xc3\xa9tail-that-goes-on-and-on");
	ck_assert_int_eq(tel_alert_json(&b, &a), 0);
	j = cJSON_Parse(b.data);
	ck_assert_ptr_nonnull(j);
	v = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "attributes"), "vigil.excerpt");
	ck_assert_uint_eq(strlen(v->valuestring), 127);
	cJSON_Delete(j);

	/* Exactly 128 bytes ending in a whole sequence stay whole. */
	memset(ex, 'a', 126);
	strcpy(ex + 126, "\xc3\xa9zz");
	vg_buf_reset(&b);
	ck_assert_int_eq(tel_alert_json(&b, &a), 0);
	j = cJSON_Parse(b.data);
	v = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "attributes"), "vigil.excerpt");
	ck_assert_uint_eq(strlen(v->valuestring), 128);
	cJSON_Delete(j);
	vg_buf_fini(&b);
}
END_TEST

START_TEST(json_line_keeps_the_stdout_shape)
{
	struct tel_alert a = sample("req-9", NULL);
	struct vg_buf b = VG_BUF_INIT(1 << 16);
	cJSON *j, *attrs, *res;
	char id[33];

	lambda_env();
	ck_assert_int_eq(tel_alert_json(&b, &a), 0);
	ck_assert_ptr_null(memchr(b.data, '\n', b.len));
	j = cJSON_Parse(b.data);
	ck_assert_ptr_nonnull(j);
	res = cJSON_GetObjectItem(j, "resource");
	ck_assert_str_eq(cJSON_GetObjectItem(res, "service.name")->valuestring, "vigil");
	ck_assert_str_eq(cJSON_GetObjectItem(res, "faas.name")->valuestring, "orders");
	ck_assert_int_eq(cJSON_GetObjectItem(res, "faas.max_memory")->valuedouble, 268435456);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "timeUnixNano")->valuestring,
	                 "1700000000123456789");
	ck_assert_int_eq(cJSON_GetObjectItem(j, "severityNumber")->valueint, 17);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "severityText")->valuestring, "ERROR");
	attrs = cJSON_GetObjectItem(j, "attributes");
	tel_alert_id(&a, id);
	ck_assert_str_eq(cJSON_GetObjectItem(attrs, "vigil.alert.id")->valuestring, id);
	ck_assert_str_eq(cJSON_GetObjectItem(attrs, "vigil.kind")->valuestring, "inspection");
	ck_assert_str_eq(cJSON_GetObjectItem(attrs, "vigil.event.source")->valuestring, "apigw-v2");
	ck_assert_str_eq(cJSON_GetObjectItem(attrs, "faas.invocation_id")->valuestring, "req-9");
	ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(attrs, "vigil.score")));
	cJSON_Delete(j);

	/* Too small a buffer: an error and the buffer as it was. */
	struct vg_buf small = VG_BUF_INIT(64);
	ck_assert_int_eq(vg_buf_puts(&small, "keep"), 0);
	ck_assert_int_eq(tel_alert_json(&small, &a), -ENOBUFS);
	ck_assert_int_eq(tel_alert_otlp(&small, &a), -ENOBUFS);
	ck_assert_str_eq(small.data, "keep");
	vg_buf_fini(&small);
	vg_buf_fini(&b);
}
END_TEST

/* ---- export against the fake collector ---- */

/* Every record the collector received in the requests it accepted (by
 * the collector's own parser): ids in order, duplicates included. */
struct received {
	char ids[4096][33];
	size_t n;
	size_t accepted_requests;
};

static void collect(struct fake_collector *fc, struct received *out, bool all_requests)
{
	size_t n = fc_count(fc);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		struct fc_request *r = fc_get(fc, i);
		struct col_batch *b;
		ck_assert_ptr_nonnull(r);
		if (all_requests || (r->status >= 200 && r->status < 300)) {
			ck_assert_int_eq(col_otlp_parse(r->body, r->body_len, &b, NULL, 0), 0);
			out->accepted_requests++;
			for (size_t k = 0; k < b->n && out->n < 4096; k++)
				snprintf(out->ids[out->n++], 33, "%s", b->records[k].alert_id);
			col_batch_free(b);
		}
		fc_request_free(r);
	}
}

static size_t distinct(const struct received *r)
{
	size_t d = 0;
	for (size_t i = 0; i < r->n; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(r->ids[i], r->ids[k]);
		d += !seen;
	}
	return d;
}

static bool has_id(const struct received *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->ids[i], id))
			return true;
	return false;
}

static void push_n(struct tel_export *x, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		char rid[32];
		snprintf(rid, sizeof(rid), "req-%d", i);
		struct tel_alert a = sample(rid, NULL);
		struct tel_sink sink = tel_export_sink(x);
		tel_emit(&sink, &a);
	}
}

static void id_of(int i, char out[33])
{
	char rid[32];
	snprintf(rid, sizeof(rid), "req-%d", i);
	struct tel_alert a = sample(rid, NULL);
	tel_alert_id(&a, out);
}

static struct tel_export_opts fast_opts(struct fake_collector *fc)
{
	struct tel_export_opts o = {.url = fc_url(fc),
	                            .backoff_min_ms = 10,
	                            .backoff_max_ms = 50,
	                            .breaker_failures = 100,
	                            .request_timeout_ms = 2000};
	return o;
}

static uint64_t in_ms(unsigned ms)
{
	return vg_mono_ns() + ms * MS;
}

START_TEST(batches_with_token_and_gzip)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct received got;
	struct tel_export_opts o;
	struct tel_export_stats st;
	char v[128];

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	o = fast_opts(fc);
	o.token = "s3cr3t-token";
	o.gzip = true;
	o.batch_records = 4;
	o.drain_only = true; /* so the batches are exactly 4, 4, 2 */
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 10);
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	ck_assert_uint_eq(fc_count(fc), 3);
	for (size_t i = 0; i < 3; i++) {
		struct fc_request *r = fc_get(fc, i);
		ck_assert(r->gzipped);
		ck_assert_str_eq(r->method, "POST");
		ck_assert_str_eq(r->target, "/v1/logs");
		ck_assert(fc_header(r, "Authorization", v, sizeof(v)));
		ck_assert_str_eq(v, "Bearer s3cr3t-token");
		ck_assert(fc_header(r, "Content-Type", v, sizeof(v)));
		ck_assert_str_eq(v, "application/json");
		fc_request_free(r);
	}
	collect(fc, &got, false);
	ck_assert_uint_eq(got.n, 10);
	ck_assert_uint_eq(distinct(&got), 10);
	for (int i = 0; i < 10; i++) {
		char id[33];
		id_of(i, id);
		ck_assert_str_eq(got.ids[i], id); /* in order */
	}
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.delivered, 10);
	ck_assert_uint_eq(st.queued, 0);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

START_TEST(plain_body_without_token)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	char v[128];

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	o = fast_opts(fc);
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 1);
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	struct fc_request *r = fc_get(fc, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert(!r->gzipped);
	ck_assert(!fc_header(r, "Authorization", v, sizeof(v)));
	ck_assert(!fc_header(r, "Content-Encoding", v, sizeof(v)));
	fc_request_free(r);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

START_TEST(overflow_drops_the_oldest_and_reports_it)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct tel_export_stats st;
	struct received got;

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	o = fast_opts(fc);
	o.queue_records = 5;
	o.drain_only = true;
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 8);
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.dropped_overflow, 3);
	ck_assert_uint_eq(st.queued, 5);
	ck_assert_uint_eq(fc_count(fc), 0); /* nothing is sent outside a drain */
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	/* The loss report is queued once a batch went through: the next
	 * drain sends it. */
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	collect(fc, &got, false);
	/* Six alerts, by id: a drain that ends while the report's request is
	 * in flight cuts it (ABORTED keeps the batch), and the next drain sends
	 * it again although the collector may have taken it; delivery is at
	 * least once, and the collector keeps one row per alert id. */
	ck_assert_uint_ge(got.n, 6);
	ck_assert_uint_eq(distinct(&got), 6);
	for (int i = 0; i < 8; i++) {
		char id[33];
		id_of(i, id);
		ck_assert(has_id(&got, id) == (i >= 3));
	}
	{
		struct fc_request *r = fc_get(fc, fc_count(fc) - 1);
		struct col_batch *b;
		ck_assert_int_eq(col_otlp_parse(r->body, r->body_len, &b, NULL, 0), 0);
		ck_assert_uint_eq(b->n, 1);
		ck_assert_str_eq(b->records[0].kind, "health");
		ck_assert_str_eq(b->records[0].category, "export_failure");
		cJSON *attrs = cJSON_Parse(b->records[0].attrs_json);
		ck_assert_int_eq(cJSON_GetObjectItem(attrs, "vigil.lost.overflow")->valueint, 3);
		ck_assert_int_eq(cJSON_GetObjectItem(attrs, "vigil.lost.failed")->valueint, 0);
		cJSON_Delete(attrs);
		col_batch_free(b);
		fc_request_free(r);
	}
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

START_TEST(byte_cap_drops_the_oldest)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct tel_export_stats st;
	struct vg_buf one = VG_BUF_INIT(1 << 16);
	struct tel_alert a = sample("req-0", NULL);

	lambda_env();
	ck_assert_int_eq(tel_alert_otlp(&one, &a), 0);
	ck_assert_int_eq(fc_start(&fc), 0);
	o = fast_opts(fc);
	o.queue_bytes = one.len * 3 + one.len / 2; /* room for three */
	o.drain_only = true;
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 10);
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.queued, 3);
	ck_assert_uint_eq(st.dropped_overflow, 7);
	ck_assert(st.queued_bytes <= o.queue_bytes);
	tel_export_free(x);
	fc_free(fc);
	vg_buf_fini(&one);
}
END_TEST

START_TEST(retries_500_and_closed_connections_with_the_same_ids)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct tel_export_stats st;
	struct received all, ok;

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_script(fc, "500,close,503");
	o = fast_opts(fc);
	o.drain_only = true; /* one batch */
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 5);
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	/* libcurl itself resends once on a fresh connection when a reused one
	 * closes without a reply: the server sees four requests either way. */
	ck_assert_uint_eq(fc_count(fc), 4);
	collect(fc, &all, true);
	collect(fc, &ok, false);
	ck_assert_uint_eq(all.n, 20);         /* the same five, four times */
	ck_assert_uint_eq(distinct(&all), 5); /* with the same ids */
	ck_assert_uint_eq(ok.n, 5);
	tel_export_get_stats(x, &st);
	ck_assert_uint_ge(st.retries, 2);
	ck_assert_uint_eq(st.delivered, 5);
	ck_assert_uint_eq(st.dropped_failed, 0);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

START_TEST(retry_after_is_honoured)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct fc_request *a, *b;

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_script(fc, "429:1");
	o = fast_opts(fc);
	o.drain_only = true; /* one batch */
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 2);
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	ck_assert_uint_eq(fc_count(fc), 2);
	a = fc_get(fc, 0);
	b = fc_get(fc, 1);
	ck_assert_int_eq(a->status, 429);
	ck_assert_int_eq(b->status, 200);
	/* The backoff alone would be 10 ms: the server asked for a second. */
	ck_assert_uint_ge(b->at_ms - a->at_ms, 950);
	fc_request_free(a);
	fc_request_free(b);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

START_TEST(retry_after_as_a_date_is_honoured)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct fc_request *a, *b;

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_script(fc, "503:date:2");
	o = fast_opts(fc);
	o.drain_only = true;
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 1);
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	ck_assert_uint_eq(fc_count(fc), 2);
	a = fc_get(fc, 0);
	b = fc_get(fc, 1);
	ck_assert_int_eq(a->status, 503);
	/* A date 2 s ahead at one-second resolution: more than 1 s later. */
	ck_assert_uint_ge(b->at_ms - a->at_ms, 950);
	fc_request_free(a);
	fc_request_free(b);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

/* Whatever bytes the fields hold (invalid UTF-8, controls, quotes), both
 * renderings stay valid JSON and the collector reads the record back. */
START_TEST(hostile_fields_render_valid_json)
{
	unsigned seed = 12345;
	lambda_env();
	for (int round = 0; round < 300; round++) {
		char f[8][64];
		struct tel_attr attrs[2];
		struct vg_buf b = VG_BUF_INIT(1 << 16);
		struct col_batch *batch;
		size_t len;
		char *body;

		for (int i = 0; i < 8; i++) {
			int n = rand_r(&seed) % 63;
			for (int k = 0; k < n; k++)
				f[i][k] = (char)(1 + rand_r(&seed) % 255);
			f[i][n] = '\0';
		}
		attrs[0] = (struct tel_attr){f[6], f[7], 0};
		attrs[1] = (struct tel_attr){f[7], f[6], 1};
		struct tel_alert a = {.kind = f[0],
		                      .category = f[1],
		                      .rule = f[2],
		                      .request_id = f[3],
		                      .path = f[4],
		                      .excerpt = f[5],
		                      .summary = f[6],
		                      .severity = f[7],
		                      .attrs = attrs,
		                      .n_attrs = 2};
		ck_assert_int_eq(tel_alert_json(&b, &a), 0);
		cJSON *j = cJSON_ParseWithLength(b.data, b.len);
		ck_assert_msg(j != NULL, "round %d: %s", round, b.data);
		cJSON_Delete(j);
		vg_buf_fini(&b);
		body = request_of(&a, &len);
		ck_assert_int_eq(col_otlp_parse(body, len, &batch, NULL, 0), 0);
		ck_assert_uint_eq(batch->n, 1);
		col_batch_free(batch);
		free(body);
	}
}
END_TEST

START_TEST(no_retry_on_400)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct tel_export_stats st;
	int fds[2];
	char buf[8192];
	ssize_t n;

	lambda_env();
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_script(fc, "400");
	o = fast_opts(fc);
	o.drain_only = true; /* one batch */
	o.out_fd = fds[1];
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 3);
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.dropped_failed, 3);
	ck_assert_uint_eq(st.delivered, 0);
	ck_assert_uint_eq(st.retries, 0);
	/* The loss goes to stdout at once (the collector refuses us). */
	n = read(fds[0], buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "\"vigil.category\":\"export_failure\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"vigil.lost.failed\":3"));
	ck_assert_uint_eq(fc_count(fc), 1);
	tel_export_free(x);
	ck_assert_uint_eq(fc_count(fc), 1);
	fc_free(fc);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(breaker_opens_while_down_and_recovers)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct tel_export_stats st;
	struct received got;
	uint64_t t0;

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_down(fc);
	o = fast_opts(fc);
	o.breaker_failures = 2;
	o.breaker_open_ms = 400;
	o.max_attempts = 50;
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 4);
	t0 = vg_mono_ns();
	ck_assert_int_eq(tel_export_drain(x, in_ms(200)), -ETIMEDOUT);
	/* The deadline holds even though the collector is down. */
	ck_assert_uint_lt(vg_mono_ns() - t0, 600 * MS);
	tel_export_get_stats(x, &st);
	ck_assert(st.breaker_open);
	ck_assert_uint_eq(st.breaker_opened, 1);
	ck_assert_uint_eq(st.requests, 2); /* open: no more attempts */
	ck_assert_uint_eq(st.queued, 4);   /* nothing lost */
	ck_assert_int_eq(fc_up(fc), 0);
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	tel_export_get_stats(x, &st);
	ck_assert(!st.breaker_open);
	ck_assert_uint_eq(st.delivered, 4);
	ck_assert_uint_eq(st.dropped_failed + st.dropped_overflow, 0);
	collect(fc, &got, false);
	ck_assert_uint_eq(got.n, 4);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

START_TEST(drain_deadline_cuts_a_slow_collector_and_keeps_the_batch)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct tel_export_stats st;
	struct received got;
	uint64_t t0;

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_script(fc, "slow:3000");
	o = fast_opts(fc);
	o.drain_only = true;
	o.request_timeout_ms = 10000;
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 3);
	t0 = vg_mono_ns();
	ck_assert_int_eq(tel_export_drain(x, in_ms(300)), -ETIMEDOUT);
	ck_assert_uint_lt(vg_mono_ns() - t0, 700 * MS);
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.queued, 3);
	ck_assert_uint_eq(st.dropped_failed, 0);
	/* Between drains nothing is sent. */
	fc_wait(fc, 2, 300);
	ck_assert_uint_le(fc_count(fc), 1);
	ck_assert_int_eq(tel_export_drain(x, in_ms(8000)), 0);
	collect(fc, &got, false);
	/* The aborted request may have been read by the server: the same
	 * ids then arrive twice, and the collector keeps one of each. */
	ck_assert_uint_eq(distinct(&got), 3);
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.delivered, 3);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

START_TEST(partial_success_counts_rejected_records)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct tel_export_stats st;

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_script(fc, "partial:2");
	o = fast_opts(fc);
	o.drain_only = true; /* one batch */
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 5);
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.rejected, 2);
	ck_assert_uint_eq(st.retries, 0);
	ck_assert_uint_eq(st.delivered, 3 + 1); /* and the loss report */
	ck_assert_uint_eq(fc_count(fc), 2);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

START_TEST(gives_up_after_max_attempts)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct tel_export_stats st;

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_default(fc, "500");
	o = fast_opts(fc);
	o.drain_only = true; /* one batch */
	o.max_attempts = 3;
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 2);
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.dropped_failed, 2);
	ck_assert_uint_eq(st.requests, 3);
	ck_assert_uint_eq(fc_count(fc), 3);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

struct pusher {
	struct tel_export *x;
	int base;
};

static void *push_thread(void *arg)
{
	struct pusher *p = arg;
	push_n(p->x, p->base, 250);
	return NULL;
}

START_TEST(concurrent_pushers_lose_nothing_that_fits)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct received got;
	pthread_t t[4];
	struct pusher p[4];

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_script(fc, "500,close,429:0");
	o = fast_opts(fc);
	o.batch_records = 64;
	o.gzip = true;
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	for (int i = 0; i < 4; i++) {
		p[i] = (struct pusher){x, i * 1000};
		pthread_create(&t[i], NULL, push_thread, &p[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(tel_export_drain(x, in_ms(10000)), 0);
	collect(fc, &got, false);
	ck_assert_uint_eq(got.n, 1000);
	ck_assert_uint_eq(distinct(&got), 1000);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

START_TEST(stdout_lines_without_a_collector)
{
	struct tel_export *x;
	struct tel_export_opts o = {0};
	int fds[2];
	char buf[16384];
	size_t have = 0;
	int lines = 0;

	lambda_env();
	ck_assert_int_eq(pipe(fds), 0);
	o.out_fd = fds[1];
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	for (int i = 0; i < 3; i++) {
		char rid[16];
		snprintf(rid, sizeof(rid), "r%d", i);
		struct tel_alert a = sample(rid, NULL);
		tel_export_push(x, &a);
	}
	ck_assert_int_eq(tel_export_drain(x, in_ms(5000)), 0);
	tel_export_free(x);
	close(fds[1]);
	for (ssize_t n; (n = read(fds[0], buf + have, sizeof(buf) - 1 - have)) > 0;)
		have += (size_t)n;
	buf[have] = '\0';
	close(fds[0]);
	for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		cJSON *j = cJSON_Parse(line);
		ck_assert_ptr_nonnull(j);
		cJSON *attrs = cJSON_GetObjectItem(j, "attributes");
		char want[16];
		snprintf(want, sizeof(want), "r%d", lines);
		ck_assert_str_eq(cJSON_GetObjectItem(attrs, "faas.invocation_id")->valuestring,
		                 want);
		cJSON_Delete(j);
		lines++;
	}
	ck_assert_int_eq(lines, 3);
}
END_TEST

START_TEST(free_reports_what_was_still_queued)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	int fds[2];
	char buf[8192];
	ssize_t n;

	lambda_env();
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(fc_start(&fc), 0);
	o = fast_opts(fc);
	o.drain_only = true;
	o.out_fd = fds[1];
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 4);
	tel_export_free(x);
	n = read(fds[0], buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "\"vigil.lost.failed\":4"));
	ck_assert_uint_eq(fc_count(fc), 0);
	fc_free(fc);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(bad_options_are_refused)
{
	struct tel_export *x;
	struct tel_export_opts o = {.url = "ftp://example/v1/logs"};

	ck_assert_int_eq(tel_export_new(&o, &x), -EINVAL);
	ck_assert_ptr_null(x);
	o.url = "http://127.0.0.1:1/v1/logs";
	o.token = "a\r\nX-Injected: 1";
	ck_assert_int_eq(tel_export_new(&o, &x), -EINVAL);
	tel_export_free(NULL);
}
END_TEST

START_TEST(drain_returns_early_while_the_breaker_is_open)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct tel_export_stats st;
	uint64_t t0;

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_down(fc);
	o = fast_opts(fc);
	o.breaker_failures = 1;
	o.breaker_open_ms = 60000;
	o.drain_only = true;
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 2);
	t0 = vg_mono_ns();
	ck_assert_int_eq(tel_export_drain(x, in_ms(3000)), -ETIMEDOUT);
	ck_assert_uint_lt(vg_mono_ns() - t0, 1000 * MS);
	/* The next invocation's drain: nothing can happen, nothing waits. */
	t0 = vg_mono_ns();
	ck_assert_int_eq(tel_export_drain(x, in_ms(3000)), -ETIMEDOUT);
	ck_assert_uint_lt(vg_mono_ns() - t0, 500 * MS);
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.requests, 1);
	ck_assert_uint_eq(st.queued, 2);

	/* At SHUTDOWN the last drain tries at once despite the breaker. */
	ck_assert_int_eq(fc_up(fc), 0);
	t0 = vg_mono_ns();
	ck_assert_int_eq(tel_export_drain_final(x, in_ms(3000)), 0);
	ck_assert_uint_lt(vg_mono_ns() - t0, 2000 * MS);
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.delivered, 2);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

START_TEST(final_drain_gives_up_a_failing_batch_at_once)
{
	struct fake_collector *fc;
	struct tel_export *x;
	struct tel_export_opts o;
	struct tel_export_stats st;

	lambda_env();
	ck_assert_int_eq(fc_start(&fc), 0);
	fc_default(fc, "503");
	o = fast_opts(fc);
	o.drain_only = true;
	o.backoff_min_ms = 5000;
	o.backoff_max_ms = 5000;
	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	push_n(x, 0, 3);
	ck_assert_int_eq(tel_export_drain_final(x, in_ms(3000)), 0);
	tel_export_get_stats(x, &st);
	ck_assert_uint_eq(st.dropped_failed, 3);
	ck_assert_uint_eq(st.requests, 1);
	tel_export_free(x);
	fc_free(fc);
}
END_TEST

/* --- CA bundle ------------------------------------------------------------ */

/* Check runs each test in its own process, so each looks up afresh. */
START_TEST(ca_bundle_follows_ssl_cert_file)
{
	setenv("SSL_CERT_FILE", "/nonexistent/ca.pem", 1);
	ck_assert_str_eq(tel_ca_bundle(), "/nonexistent/ca.pem");
}
END_TEST

START_TEST(ca_bundle_is_a_readable_system_path_or_none)
{
	unsetenv("SSL_CERT_FILE");
	unsetenv("CURL_CA_BUNDLE");
	const char *p = tel_ca_bundle();
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0 ||
	    access("/etc/pki/tls/certs/ca-bundle.crt", R_OK) == 0) {
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(access(p, R_OK), 0);
		ck_assert_int_eq(p[0], '/');
	}
	/* the same answer twice, without another look */
	ck_assert_ptr_eq(tel_ca_bundle(), p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("export");
	TCase *rec = tcase_create("record");
	TCase *ex = tcase_create("export");

	tcase_add_test(rec, record_reads_back_in_the_collector);
	tcase_add_test(rec, absent_fields_are_left_out);
	tcase_add_test(rec, alert_id_is_stable_and_tells_alerts_apart);
	tcase_add_test(rec, excerpt_is_cut_on_a_utf8_boundary);
	tcase_add_test(rec, json_line_keeps_the_stdout_shape);
	tcase_add_test(rec, hostile_fields_render_valid_json);
	suite_add_tcase(s, rec);

	tcase_set_timeout(ex, 60);
	tcase_add_test(ex, batches_with_token_and_gzip);
	tcase_add_test(ex, plain_body_without_token);
	tcase_add_test(ex, overflow_drops_the_oldest_and_reports_it);
	tcase_add_test(ex, byte_cap_drops_the_oldest);
	tcase_add_test(ex, retries_500_and_closed_connections_with_the_same_ids);
	tcase_add_test(ex, retry_after_is_honoured);
	tcase_add_test(ex, retry_after_as_a_date_is_honoured);
	tcase_add_test(ex, no_retry_on_400);
	tcase_add_test(ex, breaker_opens_while_down_and_recovers);
	tcase_add_test(ex, drain_deadline_cuts_a_slow_collector_and_keeps_the_batch);
	tcase_add_test(ex, drain_returns_early_while_the_breaker_is_open);
	tcase_add_test(ex, final_drain_gives_up_a_failing_batch_at_once);
	tcase_add_test(ex, partial_success_counts_rejected_records);
	tcase_add_test(ex, gives_up_after_max_attempts);
	tcase_add_test(ex, concurrent_pushers_lose_nothing_that_fits);
	tcase_add_test(ex, stdout_lines_without_a_collector);
	tcase_add_test(ex, free_reports_what_was_still_queued);
	tcase_add_test(ex, bad_options_are_refused);
	tcase_add_test(ex, ca_bundle_follows_ssl_cert_file);
	tcase_add_test(ex, ca_bundle_is_a_readable_system_path_or_none);
	suite_add_tcase(s, ex);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
