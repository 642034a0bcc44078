/* The exporter against the real vigil-collector: alerts arrive as Vigil
 * alerts with every attribute, the token is required and used, gzip is
 * accepted, and alerts sent twice (a retry, a thaw, a restarted extension)
 * are stored once. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tel_export.h"
#include "vg_time.h"

#define TOKEN "integration-token"

static struct tel_alert alert_n(int i, char *rid, size_t n)
{
	static const struct tel_attr attrs[] = {{"vigil.score", "90", 1}};
	snprintf(rid, n, "req-%d", i);
	struct tel_alert a = {.kind = i % 2 ? "telemetry" : "inspection",
	                      .category = i % 2 ? "timeout" : "xss",
	                      .rule = i % 2 ? "timeout" : "xss.script_tag",
	                      .severity = i % 2 ? "WARN" : "ERROR",
	                      .request_id = rid,
	                      .source = i % 2 ? NULL : "function-url",
	                      .path = i % 2 ? NULL : "query>q",
	                      .excerpt = i % 2 ? NULL : "<script>alert(1)</script>",
	                      .summary = "an alert",
	                      .correlated_id = i % 2 ? "abcdef0123456789abcdef0123456789" : NULL,
	                      .attrs = attrs,
	                      .n_attrs = 1};
	return a;
}

static int export_n(const char *url, const char *token, bool gzip, int n,
                    struct tel_export_stats *st)
{
	/* drain_only, as in the daemon: every push is queued before the first
	 * send, so the batches (and request counts) do not depend on timing */
	struct tel_export_opts o = {
	    .url = url, .token = token, .gzip = gzip, .batch_records = 7, .drain_only = true};
	struct tel_export *x;
	char rid[32];
	int rc;

	ck_assert_int_eq(tel_export_new(&o, &x), 0);
	for (int i = 0; i < n; i++) {
		struct tel_alert a = alert_n(i, rid, sizeof(rid));
		tel_export_push(x, &a);
	}
	rc = tel_export_drain(x, vg_mono_ns() + 20000ull * 1000000ull);
	tel_export_get_stats(x, st);
	tel_export_free(x);
	return rc;
}

START_TEST(alerts_are_stored_once_with_every_attribute)
{
	struct th_collector c;
	struct tel_export_stats st;
	cJSON *alerts, *a;
	int n = 0;

	setenv("AWS_LAMBDA_FUNCTION_NAME", "it-function", 1);
	setenv("AWS_REGION", "ap-south-1", 1);
	ck_assert_int_eq(th_collector_start(&c, (const char *[]){"--token", TOKEN, NULL}), 0);

	/* Without the token: refused (401), not retried, counted. */
	ck_assert_int_eq(export_n(c.logs_url, NULL, false, 3, &st), 0);
	ck_assert_uint_eq(st.dropped_failed, 3);
	ck_assert_uint_eq(st.requests, 1);

	ck_assert_int_eq(export_n(c.logs_url, TOKEN, true, 20, &st), 0);
	ck_assert_uint_eq(st.delivered, 20);
	/* The same alerts again, plain this time: stored once. */
	ck_assert_int_eq(export_n(c.logs_url, TOKEN, false, 20, &st), 0);
	ck_assert_uint_eq(st.delivered, 20);

	alerts = th_collector_wait(&c, "limit=1000&function=it-function", 20, 10000);
	ck_assert_ptr_nonnull(alerts);
	ck_assert_int_eq(cJSON_GetArraySize(alerts), 20);
	cJSON_ArrayForEach(a, alerts)
	{
		const cJSON *attrs = cJSON_GetObjectItem(a, "attributes");
		const cJSON *res = cJSON_GetObjectItem(a, "resource");
		const char *kind = cJSON_GetObjectItem(attrs, "vigil.kind")->valuestring;
		ck_assert_uint_eq(strlen(cJSON_GetObjectItem(attrs, "vigil.alert.id")->valuestring),
		                  32);
		ck_assert_ptr_nonnull(cJSON_GetObjectItem(attrs, "vigil.category"));
		ck_assert_ptr_nonnull(cJSON_GetObjectItem(attrs, "vigil.rule.id"));
		ck_assert_str_eq(cJSON_GetObjectItem(attrs, "vigil.action")->valuestring, "alert");
		ck_assert_ptr_nonnull(cJSON_GetObjectItem(attrs, "faas.invocation_id"));
		ck_assert_int_eq(cJSON_GetObjectItem(attrs, "vigil.score")->valueint, 90);
		if (!strcmp(kind, "inspection")) {
			ck_assert_str_eq(
			    cJSON_GetObjectItem(attrs, "vigil.event.source")->valuestring,
			    "function-url");
			ck_assert_str_eq(
			    cJSON_GetObjectItem(attrs, "vigil.field.path")->valuestring, "query>q");
			ck_assert_str_eq(cJSON_GetObjectItem(attrs, "vigil.excerpt")->valuestring,
			                 "<script>alert(1)</script>");
		} else {
			ck_assert_str_eq(kind, "telemetry");
			ck_assert_str_eq(
			    cJSON_GetObjectItem(attrs, "vigil.correlated.alert.id")->valuestring,
			    "abcdef0123456789abcdef0123456789");
		}
		ck_assert_str_eq(cJSON_GetObjectItem(res, "service.name")->valuestring, "vigil");
		ck_assert_str_eq(cJSON_GetObjectItem(res, "cloud.region")->valuestring,
		                 "ap-south-1");
		ck_assert_str_eq(cJSON_GetObjectItem(a, "function")->valuestring, "it-function");
		n++;
	}
	ck_assert_int_eq(n, 20);
	cJSON_Delete(alerts);
	th_collector_stop(&c);
	th_collector_fini(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("export-collector");
	TCase *tc = tcase_create("collector");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, alerts_are_stored_once_with_every_attribute);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
