/* Integration tests of the sandbox's Telemetry API: the real vigil-sandbox
 * runs the C test runtime and tel-extension (tel_extension.c), which
 * subscribes and writes down everything it receives. Covered: subscription
 * errors, delivery limits (maxItems, maxBytes), platform.logsDropped under a
 * slow listener, and the platform record sequence and metrics of an invoke.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct run {
	char opt[512];
	char logdir[512];
	char env[600];
	struct th_sandbox sb;
	char *log; /* the extension's log, after stop */
};

/* Starts the sandbox (with option, which may be NULL) and one
 * tel-extension under name, runs the events, stops it and reads the
 * extension's log. */
static void run_opts(struct run *r, const char *const more[], const char *name,
                     const char *const events[])
{
	const char *rt[] = {th_bin("tests/runtimes/test-runtime"), NULL};
	const char *extra[8] = {"--env", r->env};
	for (size_t i = 0; more && more[i] && i < 5; i++)
		extra[2 + i] = more[i];
	char path[1100];

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(th_tempdir(r->opt, sizeof(r->opt), "tel-opt"), 0);
	ck_assert_int_eq(th_tempdir(r->logdir, sizeof(r->logdir), "tel-log"), 0);
	snprintf(r->env, sizeof(r->env), "TEL_EXT_DIR=%s", r->logdir);
	ck_assert_int_eq(
	    th_opt_add_extension(r->opt, name,
	                         th_bin("tests/integration/sandbox-telemetry/tel-extension")),
	    0);
	ck_assert_int_eq(th_sandbox_start(&r->sb, r->opt, extra, rt), 0);
	for (size_t i = 0; events[i]; i++) {
		struct th_resp resp;

		ck_assert_int_eq(th_sandbox_invoke(&r->sb, events[i], &resp), 0);
		ck_assert_msg(resp.status == 200, "invoke %zu: HTTP %ld", i, resp.status);
		th_resp_fini(&resp);
	}
	th_sandbox_stop(&r->sb);
	snprintf(path, sizeof(path), "%s/%s.log", r->logdir, name);
	r->log = th_file_read(path, NULL);
	ck_assert_ptr_nonnull(r->log);
	ck_assert_msg(strstr(r->log, "\nshutdown\n"),
	              "no shutdown in the extension's log:\n%.2000s", r->log);
}

static void run_with(struct run *r, const char *option, const char *name,
                     const char *const events[])
{
	run_opts(r, (const char *const[]){option, NULL}, name, events);
}

static void run_events(struct run *r, const char *name, const char *const events[])
{
	run_with(r, NULL, name, events);
}

static void run_fini(struct run *r)
{
	free(r->log);
	th_sandbox_fini(&r->sb);
	th_rmtree(r->opt);
	th_rmtree(r->logdir);
}

/* The records of the log, in order of arrival (a JSON array). */
static cJSON *records(const char *log)
{
	cJSON *all = cJSON_CreateArray();

	for (const char *p = log; (p = strstr(p, "record ")); p++) {
		if (p != log && p[-1] != '\n')
			continue;
		cJSON *r = cJSON_ParseWithLength(p + 7, strcspn(p + 7, "\n"));

		ck_assert_ptr_nonnull(r);
		cJSON_AddItemToArray(all, r);
	}
	return all;
}

static const char *type_of(const cJSON *r)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(r, "type"));
}

static const cJSON *field(const cJSON *r, const char *name)
{
	return cJSON_GetObjectItem(cJSON_GetObjectItem(r, "record"), name);
}

/* Index of the first record of type at or after from; -1 when none. */
static int find(const cJSON *all, const char *type, int from)
{
	for (int i = from; i < cJSON_GetArraySize(all); i++)
		if (strcmp(type_of(cJSON_GetArrayItem(all, i)), type) == 0)
			return i;
	return -1;
}

START_TEST(test_subscription_errors)
{
	static const char *const refused[] = {
	    "not-json",    "bad-schema", "empty-types",  "unknown-type", "items-low", "bytes-high",
	    "timeout-low", "https",      "foreign-host", "port-9001",    "tcp",
	};
	const char *events[] = {"{\"action\":\"echo\"}", NULL};
	struct run r;

	run_events(&r, "tel-errors", events);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char want[128];

		snprintf(want, sizeof(want), "subscribe %s 400 ValidationError\n", refused[i]);
		ck_assert_msg(strstr(r.log, want), "missing \"%s\" in:\n%.3000s", want, r.log);
	}
	ck_assert_ptr_nonnull(strstr(r.log, "subscribe main 200 OK\n"));
	ck_assert_ptr_nonnull(
	    strstr(r.log, "subscribe after-init 403 Telemetry.SubscriptionClosed\n"));
	run_fini(&r);
}
END_TEST

START_TEST(test_stub_mode)
{
	const char *events[] = {"{\"action\":\"log\",\"lines\":3}", NULL};
	struct run r;

	/* As in AWS's emulator: 202 NotSupported, and nothing delivered. */
	run_with(&r, "--telemetry-stub", "tel-all", events);
	ck_assert_msg(strstr(r.log, "subscribe main 202 Telemetry.NotSupported\n"), "%.2000s",
	              r.log);
	ck_assert_ptr_null(strstr(r.log, "batch "));
	run_fini(&r);
}
END_TEST

START_TEST(test_init_failure_reported_before_shutdown)
{
	/* A failed init: its platform.initReport (status error) reaches the
	 * subscriber before the SHUTDOWN of the reset, as a failed invoke's
	 * records do, so an extension need not linger to see it. */
	const char *events[] = {"{\"action\":\"echo\"}", NULL};
	struct run r;
	cJSON *all;

	run_opts(&r, (const char *const[]){"--env", "TEST_RUNTIME_INIT=error", NULL}, "tel-all",
	         events);
	all = records(r.log);
	int i = find(all, "platform.initReport", 0);
	ck_assert_msg(i >= 0, "no initReport:\n%.2000s", r.log);
	ck_assert_str_eq(cJSON_GetStringValue(field(cJSON_GetArrayItem(all, i), "status")),
	                 "error");
	const char *rec = strstr(r.log, "\"type\":\"platform.initReport\"");
	const char *shut = strstr(r.log, "\nshutdown\n");
	ck_assert_ptr_nonnull(rec);
	ck_assert_msg(shut && rec < shut, "initReport after SHUTDOWN:\n%.3000s", r.log);
	cJSON_Delete(all);
	run_fini(&r);
}
END_TEST

START_TEST(test_platform_sequence)
{
	const char *events[] = {"{\"action\":\"log\",\"lines\":3}", NULL};
	struct run r;
	cJSON *all;
	const cJSON *rec;
	int init_start, sub, ext, init_done, init_report, start, done, report, i;
	const char *rid;

	run_events(&r, "tel-all", events);
	all = records(r.log);
	init_start = find(all, "platform.initStart", 0);
	sub = find(all, "platform.telemetrySubscription", 0);
	ext = find(all, "platform.extension", 0);
	init_done = find(all, "platform.initRuntimeDone", 0);
	init_report = find(all, "platform.initReport", 0);
	start = find(all, "platform.start", 0);
	done = find(all, "platform.runtimeDone", 0);
	report = find(all, "platform.report", 0);
	ck_assert_msg(init_start == 0, "initStart at %d", init_start);
	ck_assert_int_ge(sub, 0);
	ck_assert_int_ge(ext, 0);
	ck_assert_int_lt(init_start, init_done);
	ck_assert_int_lt(init_done, init_report);
	ck_assert_int_lt(init_report, start);
	ck_assert_int_lt(start, done);
	ck_assert_int_lt(done, report);

	rec = cJSON_GetArrayItem(all, init_start);
	ck_assert_str_eq(cJSON_GetStringValue(field(rec, "initializationType")), "on-demand");
	ck_assert_str_eq(cJSON_GetStringValue(field(rec, "phase")), "init");
	rec = cJSON_GetArrayItem(all, sub);
	ck_assert_str_eq(cJSON_GetStringValue(field(rec, "name")), "tel-all");
	ck_assert_str_eq(cJSON_GetStringValue(field(rec, "state")), "Subscribed");
	rec = cJSON_GetArrayItem(all, ext);
	ck_assert_str_eq(cJSON_GetStringValue(field(rec, "name")), "tel-all");
	rec = cJSON_GetArrayItem(all, init_done);
	ck_assert_str_eq(cJSON_GetStringValue(field(rec, "status")), "success");
	rec = cJSON_GetArrayItem(all, init_report);
	ck_assert_double_gt(
	    cJSON_GetNumberValue(cJSON_GetObjectItem(field(rec, "metrics"), "durationMs")), 0);

	rid = cJSON_GetStringValue(field(cJSON_GetArrayItem(all, start), "requestId"));
	ck_assert_ptr_nonnull(rid);
	ck_assert_str_eq(cJSON_GetStringValue(field(cJSON_GetArrayItem(all, done), "requestId")),
	                 rid);
	rec = cJSON_GetArrayItem(all, done);
	ck_assert_str_eq(cJSON_GetStringValue(field(rec, "status")), "success");
	rec = cJSON_GetArrayItem(all, report);
	ck_assert_str_eq(cJSON_GetStringValue(field(rec, "requestId")), rid);
	ck_assert_str_eq(cJSON_GetStringValue(field(rec, "status")), "success");
	{
		const cJSON *m = field(rec, "metrics");
		double dur = cJSON_GetNumberValue(cJSON_GetObjectItem(m, "durationMs"));
		double billed = cJSON_GetNumberValue(cJSON_GetObjectItem(m, "billedDurationMs"));

		ck_assert_double_gt(dur, 0);
		ck_assert_double_ge(billed, dur);
		ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "memorySizeMB")),
		                    128);
		ck_assert_double_gt(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "maxMemoryUsedMB")),
		                    0);
	}

	/* The function's lines after start, as strings (they are read from
	 * the runtime's pipes, so they may trail runtimeDone); and our own
	 * stdout line came back as an extension record. */
	for (int want = 0; want < 3; want++) {
		char line[64];
		bool seen = false;

		snprintf(line, sizeof(line), "test-runtime: log line %d", want);
		for (i = start; i < cJSON_GetArraySize(all) && !seen; i++) {
			rec = cJSON_GetArrayItem(all, i);
			seen = strcmp(type_of(rec), "function") == 0 &&
			       cJSON_IsString(cJSON_GetObjectItem(rec, "record")) &&
			       strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "record")),
			              line) == 0;
		}
		ck_assert_msg(seen, "no function record \"%s\" after platform.start", line);
	}
	for (i = find(all, "extension", 0); i >= 0; i = find(all, "extension", i + 1))
		if (strstr(cJSON_GetStringValue(
		               cJSON_GetObjectItem(cJSON_GetArrayItem(all, i), "record")),
		           "tel-all: subscribed on port"))
			break;
	ck_assert_msg(i >= 0, "the extension's own line did not come back");
	cJSON_Delete(all);
	run_fini(&r);
}
END_TEST

/* Each batch line: "batch ITEMS BYTES". */
static int batches(const char *log, int *items, size_t *bytes, int max)
{
	int n = 0;

	for (const char *p = log; (p = strstr(p, "batch ")) && n < max; p++) {
		if (p != log && p[-1] != '\n')
			continue;
		ck_assert_int_eq(sscanf(p, "batch %d %zu", &items[n], &bytes[n]), 2);
		n++;
	}
	return n;
}

START_TEST(test_limit_max_items)
{
	/* The flood is the last invoke: the shutdown phase drains the
	 * runtime's pipes before its final flush, so every line arrives. */
	const char *events[] = {"{\"action\":\"log\",\"lines\":1500}", NULL};
	struct run r;
	int items[256], n, full = 0, total = 0;
	size_t bytes[256];

	run_events(&r, "tel-items", events);
	n = batches(r.log, items, bytes, 256);
	for (int i = 0; i < n; i++) {
		ck_assert_int_le(items[i], 1000);
		full += items[i] == 1000;
		total += items[i];
	}
	ck_assert_int_ge(total, 3000);
	/* 3,000 lines within one invoke: cut by maxItems, not by time. */
	ck_assert_int_ge(full, 2);
	run_fini(&r);
}
END_TEST

START_TEST(test_limit_max_bytes)
{
	const char *events[] = {"{\"action\":\"log\",\"lines\":3000}", NULL};
	struct run r;
	int items[256], n, full = 0, total = 0;
	size_t bytes[256];

	run_events(&r, "tel-bytes", events);
	n = batches(r.log, items, bytes, 256);
	for (int i = 0; i < n; i++) {
		/* records, their commas and the brackets */
		ck_assert_uint_le(bytes[i], 262144 + (size_t)items[i] + 1);
		full += bytes[i] > 262144 - 200;
		total += items[i];
	}
	ck_assert_int_ge(total, 6000);
	ck_assert_int_ge(full, 1);
	run_fini(&r);
}
END_TEST

START_TEST(test_logs_dropped)
{
	/* The listener holds its requests until 3 s after the first invoke;
	 * the flood (40,000 records, some 3 MB) overflows its queue (four
	 * times maxBytes); the second invoke gives delivery time to resume. */
	const char *events[] = {"{\"action\":\"log\",\"lines\":20000}",
	                        "{\"action\":\"sleep\",\"ms\":5000}", NULL};
	struct run r;
	cJSON *all, *report;
	int i;
	double dropped = 0;
	char *rep;

	run_events(&r, "tel-slow", events);
	all = records(r.log);
	for (i = find(all, "platform.logsDropped", 0); i >= 0;
	     i = find(all, "platform.logsDropped", i + 1)) {
		const cJSON *rec = cJSON_GetArrayItem(all, i);

		dropped += cJSON_GetNumberValue(field(rec, "droppedRecords"));
		ck_assert_double_gt(cJSON_GetNumberValue(field(rec, "droppedBytes")), 0);
		ck_assert_ptr_nonnull(cJSON_GetStringValue(field(rec, "reason")));
	}
	ck_assert_msg(dropped > 0, "no platform.logsDropped:\n%.2000s", r.log);
	rep = th_file_read(r.sb.report, NULL);
	ck_assert_ptr_nonnull(rep);
	report = cJSON_Parse(rep);
	ck_assert_double_ge(cJSON_GetNumberValue(cJSON_GetObjectItem(
	                        cJSON_GetObjectItem(report, "telemetry"), "recordsDropped")),
	                    dropped);
	cJSON_Delete(report);
	free(rep);
	cJSON_Delete(all);
	run_fini(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sandbox-telemetry-integration");
	TCase *tc = tcase_create("sandbox");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_subscription_errors);
	tcase_add_test(tc, test_stub_mode);
	tcase_add_test(tc, test_platform_sequence);
	tcase_add_test(tc, test_init_failure_reported_before_shutdown);
	tcase_add_test(tc, test_limit_max_items);
	tcase_add_test(tc, test_limit_max_bytes);
	tcase_add_test(tc, test_logs_dropped);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
