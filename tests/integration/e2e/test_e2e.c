/* End to end: vigil-sandbox runs a function with Vigil from the development
 * layer (build/layer/opt, the wrapper set), and the alerts are read where a
 * person reads them: vigil-collector's API (or vigil's stdout when no
 * collector is configured). Each case is its own meson test (argv[1] names
 * it), so they run in parallel on free ports.
 *
 *   demo   examples/demo.sh --no-wait: every invocation's outcome, the
 *          runtime talking through the proxy, the collector's URL.
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

	/* Every invocation answered; the misbehaviours as Lambda reports them. */
	ck_assert_int_eq(th_file_count(out, " HTTP 200"), 15);
	ck_assert_int_eq(th_file_count(out, "function error"), 3);
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
	/* The collector's answer was saved. */
	snprintf(path, sizeof(path), "%s/alerts.json", dir);
	char *text = th_file_read(path, NULL);
	ck_assert_ptr_nonnull(text);
	cJSON *all = cJSON_Parse(text);
	free(text);
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(all, "alerts")));
	cJSON_Delete(all);
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
