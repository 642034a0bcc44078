/* End to end: vigil-sandbox runs a function with Vigil from the development
 * layer (build/layer/opt, the wrapper set), and the alerts are read where a
 * person reads them: vigil-collector's API (or vigil's stdout when no
 * collector is configured). Each case is its own meson test (argv[1] names
 * it), so they run in parallel on free ports.
 *
 *   demo   examples/demo.sh --no-wait: every invocation's outcome (blocks
 *          included), the runtime talking through the proxy, the
 *          collector's URL, inspection alerts from three sources or more.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

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
	int inspection, telemetry, blocked;
	char sources[16][32];
	int n_sources;
};

static void seen_add(struct seen *s, const char *kind, const char *source, const char *action)
{
	if (!strcmp(kind, "telemetry"))
		s->telemetry++;
	if (strcmp(kind, "inspection"))
		return;
	s->inspection++;
	s->blocked += !strcmp(action, "block");
	for (int i = 0; i < s->n_sources; i++)
		if (!strcmp(s->sources[i], source))
			return;
	if (s->n_sources < 16 && *source)
		snprintf(s->sources[s->n_sources++], sizeof(s->sources[0]), "%s", source);
}

static const char *sv(const cJSON *o, const char *key)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
	return v ? v : "";
}

/* The collector's saved answer (DIR/alerts.json) and the alerts vigil
 * printed on its stdout (DIR/stdout-alerts.ndjson: a build that does not
 * export yet). */
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
	    seen_add(s, sv(a, "kind"), sv(a, "source"), sv(a, "action"));
	cJSON_Delete(all);
	snprintf(path, sizeof(path), "%s/stdout-alerts.ndjson", dir);
	text = th_file_read(path, NULL);
	ck_assert_ptr_nonnull(text);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		cJSON *o = cJSON_Parse(line), *at = cJSON_GetObjectItem(o, "attributes");
		ck_assert_msg(o != NULL, "not JSON: %s", line);
		seen_add(s, sv(at, "vigil.kind"), sv(at, "vigil.event.source"),
		         sv(at, "vigil.action"));
		cJSON_Delete(o);
	}
	free(text);
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
	/* The alerts: inspection alerts from at least three sources, two of
	 * them blocks. */
	struct seen seen = {0};
	collect_alerts(dir, &seen);
	ck_assert_msg(seen.n_sources >= 3, "inspection alerts from %d sources", seen.n_sources);
	ck_assert_int_ge(seen.inspection, 5);
	ck_assert_int_eq(seen.blocked, 2);
	if (!getenv("TH_KEEP"))
		th_rmtree(dir);
}
END_TEST

int main(int argc, char **argv)
{
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
	    {"demo", demo_runs},
	};
	Suite *s = suite_create("e2e");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, NULL, teardown);
		tcase_set_timeout(tc, 180);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	srunner_run(sr, NULL, argc > 1 ? argv[1] : NULL, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	int run = srunner_ntests_run(sr);
	srunner_free(sr);
	return failed == 0 && run > 0 ? 0 : 1;
}
