/* End to end: vigil-sandbox runs a function with Vigil from the development
 * layer (build/layer/opt, the wrapper set), and the alerts are read where a
 * person reads them: vigil-collector's API (or vigil's stdout when no
 * collector is configured). Each case is its own meson test (argv[1] names
 * it), so they run in parallel on free ports.
 *
 *   demo   examples/demo.sh --no-wait: every invocation's outcome (blocks
 *          included), the runtime talking through the proxy, the
 *          collector's URL; the collector holds inspection alerts from
 *          three sources or more, the error, secret_in_logs, timeout and
 *          oom alerts, and one posture alert.
 *
 * Scenarios (test-runtime as the function, vigil from the layer, alerts
 * read back after the SHUTDOWN flush; each asserts the exact alerts by
 * kind, category and request id, and that no alert id arrived twice):
 *   function_*         against vigil-collector: a function that succeeds,
 *                      errors, crashes, times out, runs out of memory,
 *                      leaks secrets in its logs (excerpts redacted) or
 *                      floods them; extension_fails: another extension
 *                      crashes; attack_then_error_correlates: the error of
 *                      an attacked request names the inspection alert.
 *   collector_*        against tests/support's fake collector: answers 500,
 *                      429 with Retry-After (honoured), closes connections,
 *                      is slow (the function's duration does not grow), is
 *                      down and comes back (nothing lost), is down at
 *                      SHUTDOWN (vigil still exits in time);
 *   shutdown_with_full_queue  the queue overflowed while the collector was
 *                      down: the newest that fit arrive at SHUTDOWN, the
 *                      loss is reported.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-collector.h"
#include "harness.h"
#include "th_cases.h"

static char tmp[512];
static struct th_proc demo;
static bool demo_started;

static void teardown(void)
{
	if (demo_started) {
		th_stop(&demo, 10000);
		demo_started = false;
	}
	if (tmp[0] && !getenv("TH_KEEP"))
		th_rmtree(tmp);
}

/* The folder named by the demo's "demo: files in DIR" line, into out. */
static void demo_dir(const char *stdout_path, char *out, size_t n)
{
	char line[700];
	ck_assert_int_eq(th_wait_line(stdout_path, "demo: files in ", 0, line, sizeof(line)), 0);
	snprintf(out, n, "%s", strstr(line, "demo: files in ") + strlen("demo: files in "));
}

/* The runtime API the example function printed at its start: the proxy's
 * port (Vigil in the path), not the sandbox's api. */
static void assert_through_proxy(const char *log)
{
	char line[512], api[128];
	ck_assert_int_eq(th_wait_line(log, "vigil-sandbox: ready ", 0, line, sizeof(line)), 0);
	ck_assert_int_eq(sscanf(strstr(line, "api="), "api=%127s", api), 1);
	ck_assert_int_eq(
	    th_wait_line(log, "example-function: initialised, runtime API ", 0, line, sizeof(line)),
	    0);
	ck_assert_msg(!strstr(line, api), "the function talks to the sandbox directly: %s", line);
	ck_assert_msg(strstr(line, "runtime API 127.0.0.1:"), "%s", line);
}

/* What the demo's alerts hold. */
struct seen {
	int inspection, blocked, posture;
	char sources[16][32];
	int n_sources;
	char telemetry[16][32]; /* telemetry categories */
	int n_telemetry;
};

static void add_unique(char list[16][32], int *n, const char *v)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(list[i], v))
			return;
	if (*n < 16 && *v)
		snprintf(list[(*n)++], 32, "%s", v);
}

static bool has(char list[16][32], int n, const char *v)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i], v))
			return true;
	return false;
}

static const char *sv(const cJSON *o, const char *key)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
	return v ? v : "";
}

/* The collector's answer the demo saved (DIR/alerts.json). */
static void collect_alerts(const char *dir, struct seen *s)
{
	char path[800];
	snprintf(path, sizeof(path), "%s/alerts.json", dir);
	char *text = th_file_read(path, NULL);
	ck_assert_ptr_nonnull(text);
	cJSON *all = cJSON_Parse(text), *a;
	free(text);
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(all, "alerts")));
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(all, "alerts"))
	{
		if (!strcmp(sv(a, "kind"), "telemetry"))
			add_unique(s->telemetry, &s->n_telemetry, sv(a, "category"));
		s->posture += !strcmp(sv(a, "kind"), "posture") &&
		              !strcmp(sv(a, "category"), "secret_in_env");
		if (strcmp(sv(a, "kind"), "inspection"))
			continue;
		s->inspection++;
		s->blocked += !strcmp(sv(a, "action"), "block");
		add_unique(s->sources, &s->n_sources, sv(a, "source"));
	}
	cJSON_Delete(all);
}

START_TEST(demo_runs)
{
	char out[600], err[600], script[600], dir[700], path[800];
	ck_assert_int_eq(th_tempdir(tmp, sizeof(tmp), "e2e-demo"), 0);
	snprintf(out, sizeof(out), "%s/stdout", tmp);
	snprintf(err, sizeof(err), "%s/stderr", tmp);
	snprintf(script, sizeof(script), "%s/examples/demo.sh", getenv("VIGIL_SOURCE_ROOT"));
	const char *argv[] = {"/bin/sh", script, "--no-wait", getenv("VIGIL_BUILD_ROOT"), NULL};
	ck_assert_int_eq(th_spawn(&demo, (char *const *)argv, NULL, out, err), 0);
	demo_started = true;
	ck_assert_msg(th_wait(&demo, 120000) == 0, "the demo did not finish in 120 s");
	demo_started = false;
	ck_assert_msg(WIFEXITED(demo.status) && WEXITSTATUS(demo.status) == 0, "demo failed:\n%s",
	              th_file_read(err, NULL));

	/* Every invocation answered; the misbehaviours as Lambda reports them;
	 * in block mode the API Gateway attack gets a 403 response and the S3
	 * one a function error, the benign event its answer. */
	ck_assert_int_eq(th_file_count(out, " HTTP 200"), 15);
	ck_assert_int_eq(th_file_count(out, "function error"), 4);
	ck_assert(th_file_contains(out, "API Gateway, SQLi      HTTP 200: {\"statusCode\":403"));
	ck_assert(th_file_contains(out, "(Unhandled): {\"errorType\":\"Vigil.Blocked\""));
	ck_assert(
	    th_file_contains(out, "(Unhandled): {\"errorMessage\":\"the event asked to fail\""));
	ck_assert(th_file_contains(out, "\"errorType\":\"Sandbox.Timeout\""));
	ck_assert(th_file_contains(out, "\"errorType\":\"Runtime.OutOfMemory\""));
	ck_assert(th_file_contains(out, "hello, grace"));
	ck_assert(th_file_contains(out, "open http://127.0.0.1:"));

	demo_dir(out, dir, sizeof(dir));
	for (int i = 0; i < 2; i++) {
		const char *mode = i ? "block" : "monitor";
		snprintf(path, sizeof(path), "%s/sandbox-%s.log", dir, mode);
		assert_through_proxy(path);
		/* vigil ran to the end in both environments. */
		snprintf(path, sizeof(path), "%s/report-%s.json", dir, mode);
		char *text = th_file_read(path, NULL);
		ck_assert_ptr_nonnull(text);
		cJSON *rep = cJSON_Parse(text), *e, *vigil = NULL;
		free(text);
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(rep, "extensions"))
		{
			if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "name")), "vigil"))
				vigil = e;
		}
		ck_assert_ptr_nonnull(vigil);
		ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(vigil, "exitStatus")),
		                    0);
		cJSON_Delete(rep);
	}
	/* The collector holds inspection alerts from at least three sources
	 * (two of them blocks) and the misbehaviours' telemetry alerts. */
	struct seen seen = {0};
	collect_alerts(dir, &seen);
	ck_assert_msg(seen.n_sources >= 3, "inspection alerts from %d sources", seen.n_sources);
	ck_assert_int_ge(seen.inspection, 5);
	ck_assert_int_eq(seen.blocked, 2);
	static const char *const tel[] = {"error", "secret_in_logs", "timeout", "oom"};
	for (size_t i = 0; i < sizeof(tel) / sizeof(tel[0]); i++)
		ck_assert_msg(has(seen.telemetry, seen.n_telemetry, tel[i]),
		              "no telemetry alert %s in the collector", tel[i]);
	ck_assert(th_file_contains(out, " alerts in the collector"));
	/* DATABASE_URL holds a password: one posture alert, however many
	 * times vigil started (its id is stable). */
	ck_assert_int_eq(seen.posture, 1);
	if (!getenv("TH_KEEP"))
		th_rmtree(dir);
}
END_TEST

/* ---- scenarios: vigil in the sandbox, alerts read back ---------------- */

/* An alert as read back: from vigil-collector's API or from the OTLP
 * requests the fake collector answered 200. */
struct alert {
	char kind[16], category[40], rid[64], id[40], rule[64], path[160];
	int deliveries; /* times the fake collector acknowledged it */
};

struct scen {
	struct th_collector col;
	bool col_started;
	struct fake_collector *fc;
	struct th_sandbox sb;
	bool sb_started;
	char opt[700];
	bool own_opt;
	char env[8][700];
	char ids[64][64]; /* request ids, in invoke order */
	int n_ids;
	struct alert alerts[512];
	int n_alerts;
};

static struct scen sc;

static void scen_teardown(void)
{
	if (sc.sb_started)
		th_sandbox_stop(&sc.sb);
	if (sc.sb_started && getenv("TH_SHOW")) {
		char *t = th_file_read(sc.sb.err_path, NULL);
		fprintf(stderr, "%s", t ? t : "");
		free(t);
	}
	if (sc.sb_started)
		th_sandbox_fini(&sc.sb);
	if (sc.col_started) {
		th_collector_stop(&sc.col);
		th_collector_fini(&sc.col);
	}
	fc_free(sc.fc);
	if (sc.own_opt)
		th_rmtree(sc.opt);
	memset(&sc, 0, sizeof(sc));
	teardown();
}

/* The collector side: the real vigil-collector (fake false) or the fake
 * one, which the case then scripts. */
static void scen_collector(bool fake)
{
	if (fake) {
		ck_assert_int_eq(fc_start(&sc.fc), 0);
		return;
	}
	ck_assert_int_eq(th_collector_start(&sc.col, (const char *[]){"--rate", "0", NULL}), 0);
	sc.col_started = true;
}

/* Starts the sandbox: vigil from the layer (with the wrapper) exporting to
 * the collector, test-runtime as the function, the extra test extensions
 * (NULL-terminated names, may be NULL; they join vigil in a folder of
 * their own), and the extra options (NULL-terminated, may be NULL). */
static void scen_start(const char *const exts[], const char *const more[])
{
	const char *layer = th_bin("layer/opt");
	char layer_copy[512];
	snprintf(layer_copy, sizeof(layer_copy), "%s", layer);
	if (exts && exts[0]) {
		char target[600];
		ck_assert_int_eq(th_tempdir(sc.opt, sizeof(sc.opt), "e2e-opt"), 0);
		sc.own_opt = true;
		snprintf(target, sizeof(target), "%s/extensions/vigil", layer_copy);
		ck_assert_int_eq(th_opt_add_extension(sc.opt, "vigil", target), 0);
		for (size_t i = 0; exts[i]; i++)
			ck_assert_int_eq(
			    th_opt_add_extension(sc.opt, exts[i],
			                         th_bin("tests/runtimes/test-extension")),
			    0);
	} else {
		snprintf(sc.opt, sizeof(sc.opt), "%s", layer_copy);
	}
	uint16_t pp = th_free_port(), tp;
	do
		tp = th_free_port();
	while (tp == pp);
	snprintf(sc.env[0], sizeof(sc.env[0]), "AWS_LAMBDA_EXEC_WRAPPER=%s/vigil-wrapper",
	         layer_copy);
	snprintf(sc.env[1], sizeof(sc.env[1]), "VIGIL_PROXY_PORT=%u", pp);
	snprintf(sc.env[2], sizeof(sc.env[2]), "VIGIL_TELEMETRY_PORT=%u", tp);
	snprintf(sc.env[3], sizeof(sc.env[3]), "VIGIL_COLLECTOR_URL=%s",
	         sc.fc ? fc_url(sc.fc) : sc.col.logs_url);
	const char *extra[40] = {"--timeout", "3",       "--memory", "128",   "--env",
	                         sc.env[0],   "--env",   sc.env[1],  "--env", sc.env[2],
	                         "--env",     sc.env[3], NULL};
	size_t n = 12;
	for (size_t i = 0; more && more[i] && n < 38; i++)
		extra[n++] = more[i];
	extra[n] = NULL;
	const char *rt[] = {th_bin("tests/runtimes/test-runtime"), NULL};
	ck_assert_int_eq(th_sandbox_start(&sc.sb, sc.opt, extra, rt), 0);
	sc.sb_started = true;
}

/* Invokes; returns the HTTP status and records the request id the sandbox
 * logged for it ("START RequestId: ID", one per invoke in order, whether
 * or not the runtime got the event). */
static long scen_invoke(const char *event)
{
	static const char start[] = "START RequestId: ";
	struct th_resp r;
	ck_assert_int_eq(th_sandbox_invoke(&sc.sb, event, &r), 0);
	long st = r.status;
	th_resp_fini(&r);
	char *log = th_file_read(sc.sb.err_path, NULL);
	const char *p = log;
	for (int i = 0; p && i <= sc.n_ids; i++) {
		p = strstr(p, start);
		if (p && i < sc.n_ids)
			p++;
	}
	ck_assert_msg(p != NULL, "no START line for invoke %d", sc.n_ids);
	ck_assert_int_eq(sscanf(p + strlen(start), "%63s", sc.ids[sc.n_ids]), 1);
	sc.n_ids++;
	free(log);
	return st;
}

static void alert_set(struct alert *a, const char *kind, const char *cat, const char *rid,
                      const char *id, const char *rule, const char *path)
{
	snprintf(a->path, sizeof(a->path), "%s", path ? path : "");
	a->deliveries = 1;
	snprintf(a->kind, sizeof(a->kind), "%s", kind ? kind : "");
	snprintf(a->category, sizeof(a->category), "%s", cat ? cat : "");
	snprintf(a->rid, sizeof(a->rid), "%s", rid ? rid : "");
	snprintf(a->id, sizeof(a->id), "%s", id ? id : "");
	snprintf(a->rule, sizeof(a->rule), "%s", rule ? rule : "");
}

/* Every alert the real collector holds. */
static void read_collector(void)
{
	cJSON *all = th_collector_alerts(&sc.col, "limit=1000"), *a;
	ck_assert_ptr_nonnull(all);
	sc.n_alerts = 0;
	cJSON_ArrayForEach(a, all)
	{
		ck_assert_int_lt(sc.n_alerts, 512);
		alert_set(&sc.alerts[sc.n_alerts++], sv(a, "kind"), sv(a, "category"),
		          sv(a, "requestId"), sv(a, "alertId"), sv(a, "rule"), sv(a, "fieldPath"));
	}
	cJSON_Delete(all);
}

static const char *otlp_attr(const cJSON *rec, const char *key)
{
	cJSON *kv;
	cJSON_ArrayForEach(kv, cJSON_GetObjectItem(rec, "attributes"))
	{
		if (!strcmp(sv(kv, "key"), key))
			return sv(cJSON_GetObjectItem(kv, "value"), "stringValue");
	}
	return "";
}

/* The alert with this id among those read so far, or NULL. */
static struct alert *find_id(const char *id)
{
	for (int i = 0; i < sc.n_alerts; i++)
		if (!strcmp(sc.alerts[i].id, id))
			return &sc.alerts[i];
	return NULL;
}

/* Every alert in the requests the fake collector answered 200, once per
 * id, as a collector stores them: a batch whose answer came after vigil
 * gave up on it (a slow collector) is sent again with the same ids, which
 * must then describe the same alert. *unacked counts the records of the
 * other requests. */
static void read_fake(int *unacked)
{
	*unacked = 0;
	sc.n_alerts = 0;
	for (size_t i = 0; i < fc_count(sc.fc); i++) {
		struct fc_request *r = fc_get(sc.fc, i);
		cJSON *body = cJSON_ParseWithLength(r->body, r->body_len), *rl, *sl, *rec;
		ck_assert_msg(body != NULL, "request %zu is not JSON", i);
		cJSON_ArrayForEach(rl, cJSON_GetObjectItem(body, "resourceLogs"))
		    cJSON_ArrayForEach(sl, cJSON_GetObjectItem(rl, "scopeLogs"))
		        cJSON_ArrayForEach(rec, cJSON_GetObjectItem(sl, "logRecords"))
		{
			if (r->status != 200) {
				(*unacked)++;
				continue;
			}
			struct alert a;
			alert_set(
			    &a, otlp_attr(rec, "vigil.kind"), otlp_attr(rec, "vigil.category"),
			    otlp_attr(rec, "faas.invocation_id"), otlp_attr(rec, "vigil.alert.id"),
			    otlp_attr(rec, "vigil.rule.id"), otlp_attr(rec, "vigil.field.path"));
			struct alert *seen = find_id(a.id);
			if (seen) {
				ck_assert_msg(!strcmp(seen->category, a.category) &&
				                  !strcmp(seen->rid, a.rid) &&
				                  !strcmp(seen->rule, a.rule),
				              "id %s names two alerts", a.id);
				seen->deliveries++;
				continue;
			}
			ck_assert_int_lt(sc.n_alerts, 512);
			sc.alerts[sc.n_alerts++] = a;
		}
		cJSON_Delete(body);
		fc_request_free(r);
	}
}

static void dump_alerts(char *out, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < sc.n_alerts && o + 200 < n; i++)
		o += (size_t)snprintf(out + o, n - o, "\n  %s %s %s (%s)", sc.alerts[i].kind,
		                      sc.alerts[i].category, sc.alerts[i].rid, sc.alerts[i].rule);
}

/* How many alerts match (kind, category, request id; NULL: any). */
static int count(const char *kind, const char *cat, const char *rid)
{
	int n = 0;
	for (int i = 0; i < sc.n_alerts; i++)
		n += (!kind || !strcmp(sc.alerts[i].kind, kind)) &&
		     (!cat || !strcmp(sc.alerts[i].category, cat)) &&
		     (!rid || !strcmp(sc.alerts[i].rid, rid));
	return n;
}

/* Exactly n alerts of (kind, category, rid; NULL: any). */
static void expect_n(int n, const char *kind, const char *cat, const char *rid)
{
	char dump[8192] = "";
	int got = count(kind, cat, rid);
	if (got != n)
		dump_alerts(dump, sizeof(dump));
	if (got != n && getenv("TH_SHOW")) {
		char *t = th_file_read(sc.sb.err_path, NULL);
		fprintf(stderr, "%s", t ? t : "");
		free(t);
	}
	ck_assert_msg(got == n, "%d alerts %s/%s for %s, not %d; all:%s", got, kind ? kind : "any",
	              cat ? cat : "any", rid ? rid : "any", n, dump);
}

/* No alert twice: one id per alert (kind, category, request, rule, field
 * path), so a re-raised or re-sent alert cannot be stored twice. (Loss
 * reports are successive alerts: each carries the counts so far; so are
 * the drops the platform reports after a window's first logs_dropped.) */
static void expect_no_duplicates(void)
{
	for (int i = 0; i < sc.n_alerts; i++)
		for (int j = i + 1; j < sc.n_alerts; j++) {
			const struct alert *a = &sc.alerts[i], *b = &sc.alerts[j];
			ck_assert_msg(strcmp(a->id, b->id), "alert id %s stored twice", a->id);
			if (!strcmp(a->category, "export_failure") ||
			    !strcmp(a->category, "logs_dropped"))
				continue;
			ck_assert_msg(strcmp(a->kind, b->kind) ||
			                  strcmp(a->category, b->category) ||
			                  strcmp(a->rid, b->rid) || strcmp(a->rule, b->rule) ||
			                  strcmp(a->path, b->path),
			              "%s %s for %s (%s) raised twice, ids %s and %s", a->kind,
			              a->category, a->rid, a->rule, a->id, b->id);
		}
}

/* Stops the sandbox (SHUTDOWN: vigil flushes) and reads what arrived. */
static void scen_finish(void)
{
	th_sandbox_stop(&sc.sb);
	ck_assert(WIFEXITED(sc.sb.proc.status));
	if (sc.col_started)
		read_collector();
	else {
		int unacked;
		read_fake(&unacked);
	}
	expect_no_duplicates();
}

/* An API Gateway event with a SQL injection in its query string; the
 * test-runtime action is appended. */
#define SQLI_EVENT(action)                                                                         \
	"{\"version\":\"2.0\",\"routeKey\":\"GET /orders\",\"rawPath\":\"/orders\","               \
	"\"headers\":{\"host\":\"api.example.com\"},"                                              \
	"\"queryStringParameters\":{\"customer\":\"alice' OR '1'='1\"},"                           \
	"\"requestContext\":{\"http\":{\"method\":\"GET\",\"path\":\"/orders\","                   \
	"\"sourceIp\":\"198.51.100.23\"},\"requestId\":\"r\",\"routeKey\":\"GET /orders\","        \
	"\"stage\":\"$default\"},\"isBase64Encoded\":false,\"action\":\"" action "\"}"

static const char sqli_event[] = SQLI_EVENT("echo");

/* -- telemetry scenarios against vigil-collector -- */

START_TEST(function_succeeds)
{
	scen_collector(false);
	scen_start(NULL, NULL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(scen_invoke("{\"action\":\"echo\"}"), 200);
	scen_finish();
	/* A healthy function raises nothing. */
	expect_n(0, NULL, NULL, NULL);
}
END_TEST

START_TEST(function_errors)
{
	scen_collector(false);
	scen_start(NULL, NULL);
	scen_invoke("{\"action\":\"echo\"}");
	scen_invoke("{\"action\":\"error\"}");
	scen_invoke("{\"action\":\"echo\"}");
	scen_finish();
	expect_n(1, "telemetry", "error", sc.ids[1]);
	expect_n(1, NULL, NULL, NULL);
}
END_TEST

START_TEST(function_crashes)
{
	scen_collector(false);
	scen_start(NULL, NULL);
	scen_invoke("{\"action\":\"exit\",\"code\":3}");
	scen_invoke("{\"action\":\"echo\"}");
	scen_finish();
	expect_n(1, "telemetry", "crash", sc.ids[0]);
	expect_n(0, NULL, NULL, sc.ids[1]);
}
END_TEST

START_TEST(function_times_out)
{
	scen_collector(false);
	scen_start(NULL, (const char *[]){"--timeout", "1", NULL});
	scen_invoke("{\"action\":\"sleep\",\"ms\":2500}");
	scen_invoke("{\"action\":\"echo\"}");
	scen_finish();
	expect_n(1, "telemetry", "timeout", sc.ids[0]);
	expect_n(0, "telemetry", "error", sc.ids[0]);
	expect_n(0, NULL, NULL, sc.ids[1]);
}
END_TEST

START_TEST(function_runs_out_of_memory)
{
	scen_collector(false);
	scen_start(NULL, NULL);
	scen_invoke("{\"action\":\"alloc\",\"mb\":300,\"hold_ms\":3000}");
	scen_invoke("{\"action\":\"echo\"}");
	scen_finish();
	/* Once per request, whatever the number of signals. */
	expect_n(1, "telemetry", "oom", sc.ids[0]);
	expect_n(0, "telemetry", "crash", sc.ids[0]);
	expect_n(0, NULL, NULL, sc.ids[1]);
}
END_TEST

/* Whether an excerpt holds any of the made-up secrets whole. */
static bool leaks(const char *ex)
{
	static const char *const secrets[] = {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	                                      "AKIAIOSFODNN7EXAMPLE", "s3cr3t-Passw0rd",
	                                      "hunter2-not-real", "c2lnbmF0dXJlLW5vdC1yZWFs"};
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(ex, secrets[i]))
			return true;
	return false;
}

START_TEST(function_leaks_secrets)
{
	scen_collector(false);
	scen_start(NULL, NULL);
	/* Each kind in a request of its own, then all five in one. */
	for (int k = 0; k < 5; k++) {
		char ev[64];
		snprintf(ev, sizeof(ev), "{\"action\":\"secret\",\"only\":%d}", k);
		scen_invoke(ev);
	}
	scen_invoke("{\"action\":\"secret\"}");
	scen_finish();
	/* One alert per request (not per line), none duplicated, and no
	 * excerpt carries a secret whole. */
	for (int i = 0; i < 6; i++)
		expect_n(1, "telemetry", "secret_in_logs", sc.ids[i]);
	expect_n(6, NULL, NULL, NULL);
	cJSON *all = th_collector_alerts(&sc.col, "limit=1000&category=secret_in_logs"), *a;
	ck_assert_int_eq(cJSON_GetArraySize(all), 6);
	cJSON_ArrayForEach(a, all)
	{
		ck_assert_msg(!leaks(sv(a, "excerpt")), "excerpt not redacted: %s",
		              sv(a, "excerpt"));
		ck_assert_msg(!leaks(sv(a, "body")), "body leaks: %s", sv(a, "body"));
		ck_assert_msg(strstr(sv(a, "excerpt"), "REDACTED"), "excerpt: %s",
		              sv(a, "excerpt"));
	}
	cJSON_Delete(all);
}
END_TEST

START_TEST(function_floods_logs)
{
	scen_collector(false);
	scen_start(NULL, NULL);
	ck_assert_int_eq(scen_invoke("{\"action\":\"flood\",\"ms\":1500}"), 200);
	ck_assert_int_eq(scen_invoke("{\"action\":\"echo\"}"), 200);
	scen_finish();
	/* The flood is not an anomaly of its own; vigil survived it. */
	expect_n(0, NULL, NULL, sc.ids[1]);
	expect_n(0, "health", NULL, NULL);
}
END_TEST

START_TEST(extension_fails)
{
	scen_collector(false);
	scen_start((const char *[]){"crash-invoke", NULL}, NULL);
	scen_invoke("{\"action\":\"echo\"}");
	scen_finish();
	expect_n(1, "telemetry", "extension_failure", NULL);
}
END_TEST

START_TEST(attack_then_error_correlates)
{
	scen_collector(false);
	scen_start(NULL, NULL);
	scen_invoke(SQLI_EVENT("error"));
	scen_finish();
	expect_n(1, "inspection", "sqli", sc.ids[0]);
	expect_n(1, "telemetry", "error", sc.ids[0]);
	cJSON *all = th_collector_alerts(&sc.col, "limit=10&category=error"), *a;
	ck_assert_int_eq(cJSON_GetArraySize(all), 1);
	a = cJSON_GetArrayItem(all, 0);
	char dump[4096];
	char *text = cJSON_PrintUnformatted(a);
	snprintf(dump, sizeof(dump), "%s", text);
	cJSON_free(text);
	ck_assert_msg(strstr(dump, "vigil.correlated.alert.id"), "not correlated: %s", dump);
	cJSON_Delete(all);
}
END_TEST

START_TEST(blocked_event_is_not_a_function_error)
{
	/* Block mode refuses an SQS event with Vigil.Blocked: the platform
	 * then reports that invocation as failed, but the failure is Vigil's
	 * own act, so no telemetry error may follow (nor a correlated one). */
	static const char sqs_sqli[] =
	    "{\"Records\":[{\"messageId\":\"m-1\",\"receiptHandle\":\"h\","
	    "\"body\":\"{\\\"customer\\\":\\\"alice' OR '1'='1\\\"}\","
	    "\"attributes\":{},\"messageAttributes\":{},\"eventSource\":\"aws:sqs\","
	    "\"eventSourceARN\":\"arn:aws:sqs:eu-west-1:123456789012:orders\","
	    "\"awsRegion\":\"eu-west-1\"}]}";
	const char *const more[] = {"--env", "VIGIL_MODE=block", NULL};
	scen_collector(false);
	scen_start(NULL, more);
	scen_invoke(sqs_sqli);
	scen_invoke(sqli_event); /* an HTTP source: answered 403 by Vigil */
	scen_finish();
	expect_n(1, "inspection", "sqli", sc.ids[0]);
	expect_n(1, "inspection", "sqli", sc.ids[1]);
	expect_n(0, "telemetry", NULL, sc.ids[0]);
	expect_n(0, "telemetry", NULL, sc.ids[1]);
	cJSON *all = th_collector_alerts(&sc.col, "limit=10&kind=inspection"), *a;
	ck_assert_int_eq(cJSON_GetArraySize(all), 2);
	cJSON_ArrayForEach(a, all) ck_assert_str_eq(sv(a, "action"), "block");
	cJSON_Delete(all);
}
END_TEST

/* -- export against a misbehaving collector (the fake one) -- */

/* n more attacks; every attack of the case must arrive exactly once. */
static void attacks_arrive(int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(scen_invoke(sqli_event), 200);
	scen_finish();
	for (int i = 0; i < sc.n_ids; i++)
		expect_n(1, "inspection", "sqli", sc.ids[i]);
	expect_n(sc.n_ids, "inspection", NULL, NULL);
}

START_TEST(collector_500)
{
	scen_collector(true);
	fc_script(sc.fc, "500,500");
	scen_start(NULL, NULL);
	attacks_arrive(3);
}
END_TEST

START_TEST(collector_429_retry_after)
{
	/* The first batch gets 429 with Retry-After: 1. The invocations that
	 * follow (400 ms each) drain after each response: none may send
	 * before the second is up, and the alert still arrives once. */
	scen_collector(true);
	fc_script(sc.fc, "429:1");
	scen_start(NULL, NULL);
	ck_assert_int_eq(scen_invoke(sqli_event), 200);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(scen_invoke("{\"action\":\"sleep\",\"ms\":400}"), 200);
	struct fc_request *a = fc_get(sc.fc, 0), *b = fc_get(sc.fc, 1);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b); /* before SHUTDOWN: an ordinary drain sent it */
	ck_assert_int_eq(a->status, 429);
	ck_assert_int_eq(b->status, 200);
	ck_assert_msg(b->at_ms - a->at_ms >= 1000, "retried after %llu ms",
	              (unsigned long long)(b->at_ms - a->at_ms));
	fc_request_free(a);
	fc_request_free(b);
	scen_finish();
	expect_n(1, "inspection", "sqli", sc.ids[0]);
	expect_n(1, NULL, NULL, NULL);
}
END_TEST

START_TEST(collector_closes)
{
	scen_collector(true);
	fc_script(sc.fc, "close,close");
	scen_start(NULL, NULL);
	attacks_arrive(3);
}
END_TEST

START_TEST(collector_slow)
{
	/* Every answer takes 300 ms: the function's own duration does not
	 * grow (export runs after the response, never on its path). */
	scen_collector(true);
	fc_default(sc.fc, "slow:300");
	scen_start(NULL, NULL);
	attacks_arrive(4);
	char *text = th_file_read(sc.sb.report, NULL);
	cJSON *rep = cJSON_Parse(text), *inv;
	free(text);
	ck_assert_ptr_nonnull(rep);
	cJSON_ArrayForEach(inv, cJSON_GetObjectItem(rep, "invocations"))
	{
		double ms = cJSON_GetNumberValue(cJSON_GetObjectItem(inv, "durationMs"));
		ck_assert_msg(ms < 150, "an invocation took %.1f ms", ms);
	}
	cJSON_Delete(rep);
}
END_TEST

START_TEST(collector_down_then_up)
{
	/* Down for the first invocations: the alerts wait in the queue and
	 * arrive once it is back, each once. */
	scen_collector(true);
	fc_down(sc.fc);
	scen_start(NULL, NULL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(scen_invoke(sqli_event), 200);
	ck_assert_int_eq(fc_up(sc.fc), 0);
	attacks_arrive(2); /* ids 3 and 4; checks 0..1 too */
	for (int i = 0; i < 5; i++)
		expect_n(1, "inspection", "sqli", sc.ids[i]);
	expect_n(5, NULL, NULL, NULL);
}
END_TEST

START_TEST(shutdown_with_full_queue)
{
	/* The collector is down for 15 attacks while the queue holds 10
	 * records: the first batch taken (the oldest alerts, one or more) is
	 * held for its retry, the newest stay queued, and those between are
	 * dropped, oldest first, and counted. The collector comes back before
	 * SHUTDOWN, whose flush delivers every alert that fit, each once, and
	 * the loss report. */
	scen_collector(true);
	fc_down(sc.fc);
	scen_start(NULL, (const char *[]){"--env", "VIGIL_EXPORT_QUEUE_RECORDS=10", NULL});
	for (int i = 0; i < 15; i++)
		ck_assert_int_eq(scen_invoke(sqli_event), 200);
	ck_assert_int_eq(fc_up(sc.fc), 0);
	scen_finish();
	/* Arrived: a prefix (the held batch) and a suffix (the queue). */
	int got[15], head = 0, tail = 0;
	for (int i = 0; i < 15; i++)
		got[i] = count("inspection", "sqli", sc.ids[i]);
	while (head < 15 && got[head])
		head++;
	while (tail < 15 - head && got[14 - tail])
		tail++;
	char map[64] = "";
	for (int i = 0; i < 15; i++)
		map[i] = (char)('0' + got[i]);
	ck_assert_msg(head >= 1, "the oldest alert (held for retry) was lost: %s", map);
	ck_assert_msg(tail >= 9, "the newest alerts that fit were lost: %s", map);
	for (int i = head; i < 15 - tail; i++)
		ck_assert_msg(!got[i], "alert %d arrived out of order: %s", i, map);
	ck_assert_msg(head + tail >= 10 && head + tail < 15, "%d arrived: %s", head + tail, map);
	expect_n(head + tail, "inspection", NULL, NULL);
	ck_assert_int_ge(count("health", "export_failure", NULL), 1);
}
END_TEST

START_TEST(collector_down_at_shutdown)
{
	/* Never up: vigil still exits inside its deadline, and the sandbox's
	 * shutdown is clean. */
	scen_collector(true);
	fc_down(sc.fc);
	scen_start(NULL, NULL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(scen_invoke(sqli_event), 200);
	scen_finish();
	ck_assert_int_eq(sc.n_alerts, 0);
	char *text = th_file_read(sc.sb.report, NULL);
	cJSON *rep = cJSON_Parse(text);
	free(text);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "shutdown"), "clean")));
	cJSON_Delete(rep);
	/* and it said what it lost */
	ck_assert(th_file_contains(sc.sb.err_path, "\"vigil.category\":\"export_failure\""));
}
END_TEST

int main(int argc, char **argv)
{
	const struct th_case cases[] = {
	    {"demo", demo_runs},
	    {"function_succeeds", function_succeeds},
	    {"function_errors", function_errors},
	    {"function_crashes", function_crashes},
	    {"function_times_out", function_times_out},
	    {"function_runs_out_of_memory", function_runs_out_of_memory},
	    {"function_leaks_secrets", function_leaks_secrets},
	    {"function_floods_logs", function_floods_logs},
	    {"extension_fails", extension_fails},
	    {"attack_then_error_correlates", attack_then_error_correlates},
	    {"blocked_event_is_not_a_function_error", blocked_event_is_not_a_function_error},
	    {"collector_500", collector_500},
	    {"collector_429_retry_after", collector_429_retry_after},
	    {"collector_closes", collector_closes},
	    {"collector_slow", collector_slow},
	    {"collector_down_then_up", collector_down_then_up},
	    {"collector_down_at_shutdown", collector_down_at_shutdown},
	    {"shutdown_with_full_queue", shutdown_with_full_queue},
	};
	return th_run_cases("e2e", cases, sizeof(cases) / sizeof(cases[0]), scen_teardown, 180,
	                    argc, argv);
}
