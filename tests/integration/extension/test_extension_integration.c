/* vigil in the sandbox: the development layer (build/layer/opt) with its
 * wrapper, the C test runtime talking to the Runtime API through the proxy.
 * Each case is its own meson test (argv[1] names the tcase), so they run in
 * parallel, each with its own sandbox and ports. */
#include <arpa/inet.h>
#include <check.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "th_cases.h"

static struct th_sandbox sb;
static bool started;
static char opt[600], env_wrapper[700], env_pp[64], env_tp[64], proxy_api[64];

/* Starts the sandbox with the layer, its wrapper, free ports for vigil and
 * the extra options (NULL-terminated). */
static bool no_wrapper;

static void start_with(uint16_t pp, const char *const more[])
{
	uint16_t tp;
	do
		tp = th_free_port();
	while (tp == pp);
	snprintf(opt, sizeof(opt), "%s", th_bin("layer/opt"));
	snprintf(env_wrapper, sizeof(env_wrapper), "AWS_LAMBDA_EXEC_WRAPPER=%s/vigil-wrapper", opt);
	snprintf(env_pp, sizeof(env_pp), "VIGIL_PROXY_PORT=%u", pp);
	snprintf(env_tp, sizeof(env_tp), "VIGIL_TELEMETRY_PORT=%u", tp);
	snprintf(proxy_api, sizeof(proxy_api), "api 127.0.0.1:%u", pp);
	/* The wrapper goes last so that no_wrapper can leave it out. */
	const char *extra[16] = {"--timeout", "10",   "--env", env_pp,
	                         "--env",     env_tp, "--env", env_wrapper};
	size_t n = no_wrapper ? 6 : 8;
	for (size_t i = 0; more && more[i] && n < 15; i++)
		extra[n++] = more[i];
	extra[n] = NULL;
	const char *rt[] = {th_bin("tests/runtimes/test-runtime"), NULL};
	ck_assert_int_eq(th_sandbox_start(&sb, opt, extra, rt), 0);
	started = true;
}

static void start(const char *const more[])
{
	start_with(th_free_port(), more);
}

static void teardown(void)
{
	if (started) {
		th_sandbox_stop(&sb);
		if (getenv("TH_SHOW"))
			fprintf(stderr, "%s", th_file_read(sb.err_path, NULL));
		th_sandbox_fini(&sb);
		started = false;
	}
}

static const char *str(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static void invoke_expect(const char *event, const char *error_type, struct th_resp *r)
{
	th_invoke_expect(&sb, event, error_type, r);
}

static cJSON *stop_and_report(void)
{
	th_sandbox_stop(&sb);
	ck_assert(WIFEXITED(sb.proc.status));
	char *text = th_file_read(sb.report, NULL);
	ck_assert_ptr_nonnull(text);
	cJSON *rep = cJSON_Parse(text);
	free(text);
	ck_assert_ptr_nonnull(rep);
	return rep;
}

static cJSON *report_vigil(cJSON *rep)
{
	cJSON *it, *found = NULL;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(
	                           rep, "extensions")) if (!strcmp(str(it, "name"), "vigil"))
	    found = it;
	ck_assert_ptr_nonnull(found);
	return found;
}

static bool through_proxy(void)
{
	return th_file_contains(sb.err_path, proxy_api);
}

/* --- cases ----------------------------------------------------------------- */

START_TEST(buffered_through_proxy)
{
	struct th_resp r;
	start(NULL);
	invoke_expect("{\"action\":\"echo\",\"n\":1}", NULL, &r);
	ck_assert_str_eq(r.body, "{\"action\":\"echo\",\"n\":1}");
	th_resp_fini(&r);
	ck_assert(through_proxy());
	/* Every invocation header reaches the runtime. */
	invoke_expect("{\"action\":\"headers\"}", NULL, &r);
	cJSON *h = cJSON_Parse(r.body);
	ck_assert_ptr_nonnull(h);
	char rid[64];
	ck_assert(th_resp_header(&r, "X-Amzn-RequestId", rid, sizeof(rid)));
	ck_assert_msg(strstr(r.body, rid), "request id %s not in %s", rid, r.body);
	ck_assert_ptr_nonnull(strcasestr(r.body, "deadline"));
	ck_assert_ptr_nonnull(strcasestr(r.body, "arn:aws:lambda:"));
	cJSON_Delete(h);
	th_resp_fini(&r);
	/* A 1 MB response. */
	invoke_expect("{\"action\":\"big\",\"bytes\":1048576}", NULL, &r);
	ck_assert_uint_eq(r.len, 1048576);
	th_resp_fini(&r);
	ck_assert(!th_file_contains(sb.err_path, "proxy_bypassed"));
	cJSON *rep = stop_and_report();
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rep, "invocations")),
	                 3);
	cJSON_Delete(rep);
}
END_TEST

START_TEST(six_mb_event)
{
	size_t n = 6 * 1000 * 1000;
	char *ev = malloc(n + 1);
	struct th_resp r;
	/* Room for the sanitized test runtime's copies of a 6 MB event. */
	const char *more[] = {"--memory", "1024", NULL};
	start(more);
	memset(ev, 'x', n);
	memcpy(ev, "{\"action\":\"echo\",\"pad\":\"", 24);
	memcpy(ev + n - 2, "\"}", 2);
	ev[n] = '\0';
	invoke_expect(ev, NULL, &r);
	ck_assert_uint_eq(r.len, n);
	ck_assert_int_eq(memcmp(r.body, ev, n), 0);
	th_resp_fini(&r);
	free(ev);
	ck_assert(through_proxy());
}
END_TEST

START_TEST(oversized_response_gets_lambdas_error)
{
	struct th_resp r;
	start(NULL);
	invoke_expect("{\"action\":\"big\",\"bytes\":6291557}", "Function.ResponseSizeTooLarge",
	              &r);
	th_resp_fini(&r);
	/* The runtime saw the upstream's 413, relayed unchanged. */
	ck_assert_int_eq(th_wait_line(sb.err_path, "test-runtime: big status 413", 5000, NULL, 0),
	                 0);
	invoke_expect("{\"still\":\"alive\"}", NULL, &r);
	th_resp_fini(&r);
	ck_assert(through_proxy());
}
END_TEST

START_TEST(handler_error_with_xray_cause)
{
	struct th_resp r;
	start(NULL);
	invoke_expect("{\"action\":\"error\"}", "TestError", &r);
	cJSON *o = cJSON_Parse(r.body);
	ck_assert_str_eq(str(o, "errorMessage"), "boom");
	cJSON_Delete(o);
	th_resp_fini(&r);
	ck_assert_int_eq(th_wait_line(sb.err_path, "test-runtime: error status 202", 5000, NULL, 0),
	                 0);
	ck_assert(!th_file_contains(sb.err_path, "X-Ray error cause over"));
	ck_assert(through_proxy());
}
END_TEST

START_TEST(runtime_init_error)
{
	struct th_resp r;
	const char *more[] = {"--env", "TEST_RUNTIME_INIT=error", NULL};
	start(more);
	invoke_expect("{}", "TestInitError", &r);
	th_resp_fini(&r);
	ck_assert_int_ge(th_file_count(sb.err_path, "runtime: init/error Runtime.TestInitError"),
	                 1);
	ck_assert(through_proxy());
}
END_TEST

START_TEST(streamed_response_with_error_trailer)
{
	struct th_resp r;
	start(NULL);
	invoke_expect("{\"action\":\"stream\"}", NULL, &r);
	ck_assert_str_eq(r.body, "chunk-1\nchunk-2\nchunk-3\n");
	th_resp_fini(&r);
	invoke_expect("{\"action\":\"stream\",\"error\":true}", "StreamError", &r);
	cJSON *o = cJSON_Parse(r.body);
	ck_assert_str_eq(str(o, "errorMessage"), "mid-stream");
	cJSON_Delete(o);
	th_resp_fini(&r);
	ck_assert(through_proxy());
}
END_TEST

static void *invoke_thread(void *arg)
{
	th_sandbox_invoke(&sb, "{\"action\":\"sleep\",\"ms\":50}", arg);
	return NULL;
}

START_TEST(concurrent_invokes)
{
	pthread_t t[4];
	struct th_resp r[4];
	start(NULL);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, invoke_thread, &r[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++) {
		char fe[32];
		ck_assert_int_eq(r[i].status, 200);
		ck_assert(!th_resp_header(&r[i], "X-Amz-Function-Error", fe, sizeof(fe)));
		th_resp_fini(&r[i]);
	}
	ck_assert(through_proxy());
}
END_TEST

START_TEST(upstream_refusals_relayed)
{
	struct th_resp r;
	start(NULL);
	/* The Runtime API's 400s reach the runtime as they are. */
	invoke_expect("{\"action\":\"bad-id\"}", NULL, &r);
	th_resp_fini(&r);
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "test-runtime: bad id status 400", 5000, NULL, 0), 0);
	invoke_expect("{\"action\":\"twice\"}", NULL, &r);
	th_resp_fini(&r);
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "test-runtime: second response status 400", 5000, NULL, 0),
	    0);
	ck_assert(through_proxy());
}
END_TEST

START_TEST(sigkill_mid_invocation)
{
	char line[256];
	pthread_t t;
	struct th_resp r;
	start(NULL);
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "extension vigil: launched (pid ", 10000, line, sizeof(line)),
	    0);
	int pid = atoi(strstr(line, "(pid ") + 5);
	ck_assert_int_gt(pid, 1);
	pthread_create(&t, NULL, invoke_thread, &r);
	ck_assert_int_eq(th_wait_line(sb.err_path, "test-runtime: invoke", 10000, NULL, 0), 0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	pthread_join(t, NULL);
	/* That invocation ends (an extension crashed: Lambda resets). */
	ck_assert_int_eq(r.status, 200);
	th_resp_fini(&r);
	/* After the reset the function completes again. */
	invoke_expect("{\"action\":\"echo\"}", NULL, &r);
	ck_assert_str_eq(r.body, "{\"action\":\"echo\"}");
	th_resp_fini(&r);
	ck_assert_int_ge(th_file_count(sb.err_path, "extension vigil: launched (pid "), 2);
}
END_TEST

START_TEST(wrong_configuration_value)
{
	struct th_resp r;
	const char *more[] = {"--env", "VIGIL_FAIL=sometimes", NULL};
	start(more);
	invoke_expect("{}", "Extension.InitError", &r);
	th_resp_fini(&r);
	ck_assert(th_file_contains(
	    sb.err_path,
	    "invalid configuration: VIGIL_FAIL=\"sometimes\" is not one of open|closed"));
	cJSON *rep = stop_and_report();
	cJSON *v = report_vigil(rep);
	ck_assert_str_eq(str(v, "errorType"), "Extension.ConfigInvalid");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(shutdown_inside_deadline)
{
	struct th_resp r;
	start(NULL);
	invoke_expect("{}", NULL, &r);
	th_resp_fini(&r);
	cJSON *rep = stop_and_report();
	cJSON *sd = cJSON_GetObjectItemCaseSensitive(rep, "shutdown");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sd, "clean")));
	cJSON *v = report_vigil(rep);
	ck_assert_str_eq(str(v, "state"), "Exited");
	ck_assert_int_eq(
	    (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(v, "exitStatus")), 0);
	cJSON_Delete(rep);
}
END_TEST

START_TEST(bypass_without_wrapper_is_reported)
{
	/* An OS-only runtime started without the wrapper line: the function
	 * works, and vigil says at the first invocation that it sees nothing. */
	struct th_resp r;
	no_wrapper = true;
	start(NULL);
	invoke_expect("{\"action\":\"echo\"}", NULL, &r);
	th_resp_fini(&r);
	ck_assert(!through_proxy());
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "\"vigil.category\":\"proxy_bypassed\"", 5000, NULL, 0), 0);
	invoke_expect("{\"action\":\"echo\"}", NULL, &r);
	th_resp_fini(&r);
	cJSON_Delete(stop_and_report());
	ck_assert_int_eq(th_file_count(sb.err_path, "\"vigil.category\":\"proxy_bypassed\""), 1);
}
END_TEST

START_TEST(wrapper_falls_back_to_direct)
{
	/* Something that accepts connections but never answers holds the
	 * proxy port: vigil cannot bind it, the wrapper's probe gets no
	 * answer, and the runtime talks to the Runtime API directly. */
	uint16_t pp = th_free_port();
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(pp)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s, 8), 0);
	struct th_resp r;
	start_with(pp, NULL);
	invoke_expect("{\"action\":\"echo\"}", NULL, &r);
	th_resp_fini(&r);
	ck_assert(!through_proxy());
	ck_assert(th_file_contains(sb.err_path, "the runtime talks to Lambda directly"));
	ck_assert(th_file_contains(sb.err_path, "\"vigil.category\":\"proxy_bypassed\""));
	close(s);
}
END_TEST

/* --- inspection and block mode ------------------------------------------ */

/* The events of tests/data/policies/<file> (one {"id","event"} a line), as
 * compact JSON strings; *n gets the count. Free with free_events. */
static char **load_events(const char *file, const char ***ids, size_t *n)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/tests/data/policies/%s", getenv("VIGIL_SOURCE_ROOT"),
	         file);
	char *text = th_file_read(path, NULL);
	ck_assert_ptr_nonnull(text);
	char **evs = calloc(64, sizeof(*evs));
	*ids = calloc(64, sizeof(**ids));
	*n = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && *n < 64;
	     line = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(line);
		ck_assert_ptr_nonnull(o);
		evs[*n] = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(o, "event"));
		(*ids)[*n] = strdup(str(o, "id"));
		(*n)++;
		cJSON_Delete(o);
	}
	free(text);
	return evs;
}

static void free_events(char **evs, const char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(evs[i]);
		free((char *)ids[i]);
	}
	free(evs);
	free(ids);
}

/* The alert lines vigil printed (the sandbox echoes its stdout) that carry
 * needle, parsed; up to max. */
static size_t alerts_with(const char *needle, cJSON **out, size_t max)
{
	char *text = th_file_read(sb.err_path, NULL);
	size_t n = 0;
	ck_assert_ptr_nonnull(text);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char *brace = strstr(line, "{\"resource\":");
		if (!brace || !strstr(brace, needle))
			continue;
		cJSON *o = cJSON_Parse(brace);
		if (o)
			out[n++] = o;
	}
	free(text);
	return n;
}

static const char *attr(cJSON *alert, const char *key)
{
	return str(cJSON_GetObjectItemCaseSensitive(alert, "attributes"), key);
}

START_TEST(monitor_alerts_every_source)
{
	const char **ids;
	size_t n;
	char **evs = load_events("attacks.ndjson", &ids, &n);
	char rids[64][64];
	struct th_resp r;
	ck_assert_uint_ge(n, 17);
	start(NULL);
	for (size_t i = 0; i < n; i++) {
		/* Monitor mode: the function gets every event, unchanged. */
		invoke_expect(evs[i], NULL, &r);
		cJSON *a = cJSON_Parse(evs[i]), *b = cJSON_Parse(r.body);
		ck_assert_msg(b && cJSON_Compare(a, b, 1), "%s: not echoed: %.200s", ids[i],
		              r.body);
		cJSON_Delete(a);
		cJSON_Delete(b);
		ck_assert(th_resp_header(&r, "X-Amzn-RequestId", rids[i], sizeof(rids[i])));
		th_resp_fini(&r);
	}
	ck_assert(through_proxy());
	for (size_t i = 0; i < n; i++) {
		char needle[128];
		cJSON *al[16];
		snprintf(needle, sizeof(needle), "\"faas.invocation_id\":\"%.64s\"", rids[i]);
		ck_assert_int_eq(th_wait_line(sb.err_path, needle, 5000, NULL, 0), 0);
		size_t k = alerts_with(needle, al, 16);
		ck_assert_msg(k >= 1, "%s: no alert", ids[i]);
		for (size_t j = 0; j < k; j++) {
			ck_assert_str_eq(attr(al[j], "vigil.kind"), "inspection");
			ck_assert_str_eq(attr(al[j], "vigil.action"), "alert");
			ck_assert_str_ne(attr(al[j], "vigil.category"), "");
			ck_assert_str_ne(attr(al[j], "vigil.rule.id"), "");
			ck_assert_str_ne(attr(al[j], "vigil.alert.id"), "");
			/* The event's source, classified: only the generic
			 * event is unknown. */
			const char *src = attr(al[j], "vigil.event.source");
			if (strncmp(ids[i], "unknown", 7))
				ck_assert_msg(strcmp(src, "unknown") && *src, "%s: source %s",
				              ids[i], src);
			cJSON_Delete(al[j]);
		}
	}
	/* A path and an excerpt say where and what. */
	cJSON *al[4];
	char needle[128];
	snprintf(needle, sizeof(needle), "\"faas.invocation_id\":\"%.64s\"", rids[0]);
	ck_assert_uint_ge(alerts_with(needle, al, 1), 1);
	ck_assert_str_eq(attr(al[0], "vigil.event.source"), "apigw-v1");
	ck_assert_str_eq(attr(al[0], "vigil.category"), "sqli");
	ck_assert_ptr_nonnull(strstr(attr(al[0], "vigil.field.path"), "id"));
	ck_assert_ptr_nonnull(strstr(attr(al[0], "vigil.excerpt"), "OR"));
	cJSON_Delete(al[0]);
	free_events(evs, ids, n);

	/* Benign events raise nothing. */
	evs = load_events("benign.ndjson", &ids, &n);
	ck_assert_uint_ge(n, 1);
	int before = th_file_count(sb.err_path, "\"vigil.kind\":\"inspection\"");
	for (size_t i = 0; i < n; i++) {
		invoke_expect(evs[i], NULL, &r);
		th_resp_fini(&r);
	}
	cJSON_Delete(stop_and_report());
	ck_assert_int_eq(th_file_count(sb.err_path, "\"vigil.kind\":\"inspection\""), before);
	free_events(evs, ids, n);
}
END_TEST

/* The event with this id in attacks.ndjson (malloc'd). */
static char *attack(const char *id)
{
	const char **ids;
	size_t n;
	char **evs = load_events("attacks.ndjson", &ids, &n), *ev = NULL;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			ev = strdup(evs[i]);
	free_events(evs, ids, n);
	ck_assert_ptr_nonnull(ev);
	return ev;
}

/* The runtime never printed that it got this request id. */
static bool runtime_saw(const char *rid)
{
	char needle[128];
	snprintf(needle, sizeof(needle), "test-runtime: invoke %.64s", rid);
	return th_file_contains(sb.err_path, needle);
}

START_TEST(block_http_source_answers_403)
{
	char *ev = attack("apigw-v1-sqli-query"), rid[64], fe[32];
	struct th_resp r;
	const char *more[] = {"--env", "VIGIL_MODE=block", NULL};
	start(more);
	ck_assert_int_eq(th_sandbox_invoke(&sb, ev, &r), 0);
	ck_assert_int_eq(r.status, 200);
	/* The invoker gets API Gateway's 403 document as the function's
	 * response; no function error. */
	ck_assert(!th_resp_header(&r, "X-Amz-Function-Error", fe, sizeof(fe)));
	cJSON *o = cJSON_Parse(r.body);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "statusCode")), 403);
	ck_assert_ptr_nonnull(strstr(str(o, "body"), "Forbidden"));
	cJSON_Delete(o);
	ck_assert(th_resp_header(&r, "X-Amzn-RequestId", rid, sizeof(rid)));
	th_resp_fini(&r);
	/* The next event reaches the function normally. */
	invoke_expect("{\"action\":\"echo\",\"after\":\"block\"}", NULL, &r);
	ck_assert_str_eq(r.body, "{\"action\":\"echo\",\"after\":\"block\"}");
	th_resp_fini(&r);
	ck_assert(through_proxy());
	/* The blocked event never reached the handler; the alert says block. */
	ck_assert(!runtime_saw(rid));
	char needle[128];
	cJSON *al[8];
	snprintf(needle, sizeof(needle), "\"faas.invocation_id\":\"%.64s\"", rid);
	/* the alert travels vigil's stdout and the sandbox's relay: wait */
	ck_assert_int_eq(th_wait_line(sb.err_path, needle, 20000, NULL, 0), 0);
	size_t k = alerts_with(needle, al, 8);
	ck_assert_uint_ge(k, 1);
	for (size_t j = 0; j < k; j++) {
		ck_assert_str_eq(attr(al[j], "vigil.action"), "block");
		ck_assert_str_eq(attr(al[j], "vigil.event.source"), "apigw-v1");
		cJSON_Delete(al[j]);
	}
	free(ev);
}
END_TEST

START_TEST(block_sqs_source_is_a_vigil_blocked_error)
{
	char *ev = attack("sqs-sns-ssti"), rid[64];
	struct th_resp r;
	const char *more[] = {"--env", "VIGIL_MODE=block", NULL};
	start(more);
	invoke_expect(ev, "Vigil.Blocked", &r);
	ck_assert(th_resp_header(&r, "X-Amzn-RequestId", rid, sizeof(rid)));
	/* The error names the rule and the field, never the payload. */
	ck_assert_ptr_null(strstr(r.body, "{{"));
	th_resp_fini(&r);
	invoke_expect("{\"action\":\"echo\",\"n\":2}", NULL, &r);
	ck_assert_str_eq(r.body, "{\"action\":\"echo\",\"n\":2}");
	th_resp_fini(&r);
	ck_assert(through_proxy());
	ck_assert(!runtime_saw(rid));
	char needle[128];
	snprintf(needle, sizeof(needle), "\"faas.invocation_id\":\"%.64s\"", rid);
	cJSON *al[1];
	ck_assert_uint_eq(alerts_with(needle, al, 1), 1);
	ck_assert_str_eq(attr(al[0], "vigil.action"), "block");
	ck_assert_str_eq(attr(al[0], "vigil.event.source"), "sqs");
	cJSON_Delete(al[0]);
	cJSON_Delete(stop_and_report());
	free(ev);
}
END_TEST

START_TEST(invalid_policy_is_a_configuration_error)
{
	char dir[512], file[600], env[700];
	struct th_resp r;
	ck_assert_int_eq(th_tempdir(dir, sizeof(dir), "policy"), 0);
	snprintf(file, sizeof(file), "%s/bad.json", dir);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\n  \"rules\": [\n    {\"id\": \n", f);
	fclose(f);
	snprintf(env, sizeof(env), "VIGIL_POLICY=%s", file);
	const char *more[] = {"--env", env, NULL};
	start(more);
	invoke_expect("{}", "Extension.InitError", &r);
	th_resp_fini(&r);
	char needle[700];
	snprintf(needle, sizeof(needle), "invalid configuration: VIGIL_POLICY: %s:", file);
	ck_assert(th_file_contains(sb.err_path, needle));
	cJSON *rep = stop_and_report();
	ck_assert_str_eq(str(report_vigil(rep), "errorType"), "Extension.ConfigInvalid");
	cJSON_Delete(rep);
	th_rmtree(dir);
}
END_TEST

START_TEST(telemetry_error_names_the_inspection_alert)
{
	/* An attack reaches the handler (monitor mode) and the handler then
	 * fails: the telemetry alert for that request names the inspection
	 * alert and is raised a step. */
	char *ev = attack("apigw-v1-sqli-query"), rid[64], needle[128];
	struct th_resp r;
	cJSON *o = cJSON_Parse(ev);
	cJSON_AddStringToObject(o, "action", "error");
	char *failing = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	start(NULL);
	invoke_expect(failing, "TestError", &r);
	ck_assert(th_resp_header(&r, "X-Amzn-RequestId", rid, sizeof(rid)));
	th_resp_fini(&r);
	ck_assert(through_proxy());
	snprintf(needle, sizeof(needle), "\"faas.invocation_id\":\"%.64s\"", rid);
	/* The platform's records of that invocation arrive in a batch after
	 * its flush: its telemetry alerts leave with the next invocation's
	 * (or at SHUTDOWN). */
	usleep(100 * 1000);
	invoke_expect("{\"action\":\"echo\"}", NULL, &r);
	th_resp_fini(&r);
	ck_assert_int_eq(th_wait_line(sb.err_path, "\"vigil.kind\":\"telemetry\"", 10000, NULL, 0),
	                 0);
	cJSON *al[16];
	size_t k = alerts_with(needle, al, 16);
	const char *inspection_id = NULL, *correlated = NULL;
	for (size_t j = 0; j < k; j++) {
		if (!strcmp(attr(al[j], "vigil.kind"), "inspection") && !inspection_id)
			inspection_id = attr(al[j], "vigil.alert.id");
		if (!strcmp(attr(al[j], "vigil.kind"), "telemetry") &&
		    !strcmp(attr(al[j], "vigil.category"), "error"))
			correlated = attr(al[j], "vigil.correlated.alert.id");
	}
	ck_assert_ptr_nonnull(inspection_id);
	ck_assert_msg(correlated, "no telemetry error alert for %s", rid);
	ck_assert_str_eq(correlated, inspection_id);
	for (size_t j = 0; j < k; j++)
		cJSON_Delete(al[j]);
	free(failing);
	free(ev);
}
END_TEST

START_TEST(posture_reports_secret_in_env_once)
{
	struct th_resp r;
	const char *more[] = {"--env", "PAYMENTS_API_PASSWORD=Pr0d-Pa55word-xyz", NULL};
	start(more);
	/* Raised at init and sent in the init phase: before any invoke. */
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "\"vigil.category\":\"secret_in_env\"", 10000, NULL, 0), 0);
	invoke_expect("{\"action\":\"echo\"}", NULL, &r);
	th_resp_fini(&r);
	cJSON_Delete(stop_and_report());
	cJSON *al[4];
	ck_assert_uint_eq(alerts_with("\"secret_in_env\"", al, 4), 1);
	ck_assert_str_eq(attr(al[0], "vigil.kind"), "posture");
	ck_assert_str_eq(attr(al[0], "vigil.env.name"), "PAYMENTS_API_PASSWORD");
	cJSON_Delete(al[0]);
	/* The value appears in nothing vigil printed. */
	char *text = th_file_read(sb.err_path, NULL);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "[extension:vigil]") || strstr(line, "vigil:"))
			ck_assert_msg(!strstr(line, "Pa55word"), "value leaked: %.200s", line);
	free(text);
}
END_TEST

/* A vigil-collector on a free port with a token; its URL in *url. */
static struct th_proc collector;
static char col_dir[512], col_url[192], col_base[96];

static void start_collector(void)
{
	char listen[64], db[600], log[600];
	uint16_t port = th_free_port();
	ck_assert_int_eq(th_tempdir(col_dir, sizeof(col_dir), "col"), 0);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	snprintf(db, sizeof(db), "%s/alerts.db", col_dir);
	snprintf(log, sizeof(log), "%s/collector.log", col_dir);
	snprintf(col_base, sizeof(col_base), "http://%s", listen);
	snprintf(col_url, sizeof(col_url), "VIGIL_COLLECTOR_URL=http://%s/v1/logs", listen);
	char *argv[] = {(char *)th_bin("collector/vigil-collector"),
	                "--listen",
	                listen,
	                "--db",
	                db,
	                "--token",
	                "s3cret-collector-token",
	                NULL};
	ck_assert_int_eq(th_spawn(&collector, argv, NULL, log, log), 0);
	char url[128];
	snprintf(url, sizeof(url), "%s/healthz", col_base);
	for (int i = 0; i < 100; i++) {
		struct th_resp r;
		int ok = th_http("GET", url, NULL, NULL, 0, 1000, &r) == 0 && r.status == 200;
		if (ok || i == 99) {
			th_resp_fini(&r);
			ck_assert_msg(ok, "collector not ready");
			break;
		}
		th_resp_fini(&r);
		usleep(50 * 1000);
	}
}

static void stop_collector(void)
{
	th_stop(&collector, 5000);
	th_rmtree(col_dir);
}

/* The collector's alerts for a request id (a JSON array, owned). */
static cJSON *collected(const char *rid)
{
	char url[256];
	struct th_resp r;
	snprintf(url, sizeof(url), "%s/api/alerts?limit=500", col_base);
	ck_assert_int_eq(th_http("GET", url, NULL, NULL, 0, 5000, &r), 0);
	ck_assert_int_eq(r.status, 200);
	cJSON *all = cJSON_Parse(r.body), *out = cJSON_CreateArray(), *it;
	th_resp_fini(&r);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(all, "alerts"))
	{
		char *text = cJSON_PrintUnformatted(it);
		if (text && strstr(text, rid))
			cJSON_AddItemToArray(out, cJSON_Duplicate(it, 1));
		free(text);
	}
	cJSON_Delete(all);
	return out;
}

START_TEST(alerts_reach_the_collector_with_the_token)
{
	char *ev = attack("sns-jndi"), rid[64], tok[80];
	struct th_resp r;
	start_collector();
	snprintf(tok, sizeof(tok), "VIGIL_COLLECTOR_TOKEN=%s", "s3cret-collector-token");
	/* A flush window long enough for a loaded, sanitized first send
	 * (libcurl loaded, a connection made); vigil leaves it when done. */
	const char *more[] = {"--env", col_url, "--env", tok, "--env", "VIGIL_FLUSH_INVOKE_MS=4000",
	                      NULL};
	start(more);
	invoke_expect(ev, NULL, &r);
	ck_assert(th_resp_header(&r, "X-Amzn-RequestId", rid, sizeof(rid)));
	th_resp_fini(&r);
	/* Sent in the invocation's flush window, before vigil's event/next:
	 * by the time a second invocation is answered it is stored. */
	invoke_expect("{\"action\":\"echo\"}", NULL, &r);
	th_resp_fini(&r);
	cJSON *got = collected(rid);
	ck_assert_msg(cJSON_GetArraySize(got) >= 1, "no alert for %s in the collector", rid);
	char *text = cJSON_PrintUnformatted(got);
	ck_assert_ptr_nonnull(strstr(text, "jndi"));
	free(text);
	cJSON_Delete(got);
	/* With a collector, the alerts are not printed on stdout. */
	ck_assert(!th_file_contains(sb.err_path, "\"vigil.kind\":\"inspection\""));
	ck_assert(!th_file_contains(sb.err_path, "s3cret-collector-token"));
	cJSON_Delete(stop_and_report());
	stop_collector();
	free(ev);
}
END_TEST

START_TEST(unreadable_token_keeps_alerts_on_stdout)
{
	char *ev = attack("sns-jndi");
	struct th_resp r;
	start_collector();
	/* The secret store cannot be reached: no credentials, no endpoint. */
	const char *more[] = {"--env", col_url,
	                      "--env", "VIGIL_COLLECTOR_TOKEN_SECRET=vigil/token",
	                      "--env", "VIGIL_AWS_ENDPOINT_URL=http://127.0.0.1:1",
	                      NULL};
	start(more);
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "\"vigil.category\":\"export_failure\"", 20000, NULL, 0), 0);
	invoke_expect(ev, NULL, &r);
	th_resp_fini(&r);
	ck_assert_int_eq(th_wait_line(sb.err_path, "\"vigil.kind\":\"inspection\"", 20000, NULL, 0),
	                 0);
	cJSON_Delete(stop_and_report());
	stop_collector();
	free(ev);
}
END_TEST

START_TEST(collector_down_costs_the_function_nothing)
{
	/* Nothing listens at the collector's address: every invocation still
	 * succeeds, SHUTDOWN stays inside its deadline, and vigil says what it
	 * lost. */
	char *ev = attack("kinesis-sqli"), url[96];
	struct th_resp r;
	snprintf(url, sizeof(url), "VIGIL_COLLECTOR_URL=http://127.0.0.1:%u/v1/logs",
	         th_free_port());
	const char *more[] = {"--env", url, NULL};
	start(more);
	for (int i = 0; i < 5; i++) {
		invoke_expect(ev, NULL, &r);
		th_resp_fini(&r);
	}
	cJSON *rep = stop_and_report();
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(rep, "shutdown"), "clean")));
	cJSON *v = report_vigil(rep);
	ck_assert_int_eq(
	    (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(v, "exitStatus")), 0);
	cJSON_Delete(rep);
	ck_assert(th_file_contains(sb.err_path, "\"vigil.category\":\"export_failure\""));
	free(ev);
}
END_TEST

START_TEST(exhausted_budget_passes_the_event_flagged)
{
	/* A policy with the smallest time budget, in block mode: an event
	 * with 20,000 query parameters cannot be seen whole in it, so an
	 * attack in the last one is not blocked; the event passes and its
	 * alert says the budget ran out. */
	char dir[512], file[600], env[700], rid[64];
	struct th_resp r;
	ck_assert_int_eq(th_tempdir(dir, sizeof(dir), "budget"), 0);
	snprintf(file, sizeof(file), "%s/budget.json", dir);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"limits\": {\"budget_us\": 10}}\n", f);
	fclose(f);
	snprintf(env, sizeof(env), "VIGIL_POLICY=%s", file);
	const char *more[] = {"--env", env, "--env", "VIGIL_MODE=block", NULL};
	start(more);
	size_t cap = 2 << 20, n = 0;
	char *ev = malloc(cap);
	n += (size_t)snprintf(ev + n, cap - n,
	                      "{\"resource\":\"/items\",\"path\":\"/items\",\"httpMethod\":"
	                      "\"GET\",\"headers\":{},\"queryStringParameters\":{");
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(ev + n, cap - n,
		                      "\"q%d\":\"many plain words in a long note\",", i);
	n += (size_t)snprintf(ev + n, cap - n,
	                      "\"z\":\"1' OR '1'='1' -- \"},\"requestContext\":{\"stage\":"
	                      "\"prod\"},\"isBase64Encoded\":false,\"body\":null}");
	invoke_expect(ev, NULL, &r);
	ck_assert_uint_eq(r.len, n); /* echoed: the handler got it */
	ck_assert(th_resp_header(&r, "X-Amzn-RequestId", rid, sizeof(rid)));
	th_resp_fini(&r);
	ck_assert(runtime_saw(rid));
	char needle[128];
	snprintf(needle, sizeof(needle), "\"faas.invocation_id\":\"%.64s\"", rid);
	/* the budget's own alert may come after the findings' */
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "\"vigil.rule.id\":\"limit.time_budget\"", 20000, NULL, 0),
	    0);
	cJSON *al[8];
	size_t k = alerts_with(needle, al, 8);
	ck_assert_uint_ge(k, 1);
	bool budget_rule = false;
	for (size_t j = 0; j < k; j++) {
		ck_assert_str_eq(attr(al[j], "vigil.budget_exhausted"), "true");
		ck_assert_str_eq(attr(al[j], "vigil.action"), "alert");
		budget_rule |= !strcmp(attr(al[j], "vigil.rule.id"), "limit.time_budget");
		cJSON_Delete(al[j]);
	}
	ck_assert(budget_rule);
	free(ev);
	th_rmtree(dir);
}
END_TEST

START_TEST(runtime_crash_does_not_hold_vigil)
{
	/* The runtime exits mid-invocation, so it never answers: vigil must
	 * not wait for that answer, or the reset's SHUTDOWN would find it
	 * busy and kill it at the deadline. */
	struct th_resp r;
	start(NULL);
	invoke_expect("{\"action\":\"exit\",\"code\":3}", "Runtime.ExitError", &r);
	th_resp_fini(&r);
	invoke_expect("{\"action\":\"echo\",\"after\":\"crash\"}", NULL, &r);
	ck_assert_str_eq(r.body, "{\"action\":\"echo\",\"after\":\"crash\"}");
	th_resp_fini(&r);
	ck_assert(through_proxy());
	cJSON *rep = stop_and_report();
	cJSON *it;
	int resets = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rep, "resets"))
	{
		resets++;
		ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "clean")),
		              "a reset was not clean");
	}
	ck_assert_int_eq(resets, 1);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(rep, "shutdown"), "clean")));
	cJSON_Delete(rep);
}
END_TEST

int main(int argc, char **argv)
{
	const struct th_case cases[] = {
	    {"buffered_through_proxy", buffered_through_proxy},
	    {"six_mb_event", six_mb_event},
	    {"oversized_response_gets_lambdas_error", oversized_response_gets_lambdas_error},
	    {"handler_error_with_xray_cause", handler_error_with_xray_cause},
	    {"runtime_init_error", runtime_init_error},
	    {"streamed_response_with_error_trailer", streamed_response_with_error_trailer},
	    {"concurrent_invokes", concurrent_invokes},
	    {"upstream_refusals_relayed", upstream_refusals_relayed},
	    {"sigkill_mid_invocation", sigkill_mid_invocation},
	    {"wrong_configuration_value", wrong_configuration_value},
	    {"shutdown_inside_deadline", shutdown_inside_deadline},
	    {"wrapper_falls_back_to_direct", wrapper_falls_back_to_direct},
	    {"bypass_without_wrapper_is_reported", bypass_without_wrapper_is_reported},
	    {"monitor_alerts_every_source", monitor_alerts_every_source},
	    {"block_http_source_answers_403", block_http_source_answers_403},
	    {"block_sqs_source_is_a_vigil_blocked_error",
	     block_sqs_source_is_a_vigil_blocked_error},
	    {"invalid_policy_is_a_configuration_error", invalid_policy_is_a_configuration_error},
	    {"runtime_crash_does_not_hold_vigil", runtime_crash_does_not_hold_vigil},
	    {"posture_reports_secret_in_env_once", posture_reports_secret_in_env_once},
	    {"exhausted_budget_passes_the_event_flagged",
	     exhausted_budget_passes_the_event_flagged},
	    {"collector_down_costs_the_function_nothing",
	     collector_down_costs_the_function_nothing},
	    {"alerts_reach_the_collector_with_the_token",
	     alerts_reach_the_collector_with_the_token},
	    {"unreadable_token_keeps_alerts_on_stdout", unreadable_token_keeps_alerts_on_stdout},
	    {"telemetry_error_names_the_inspection_alert",
	     telemetry_error_names_the_inspection_alert},
	};
	return th_run_cases("extension-integration", cases, sizeof(cases) / sizeof(cases[0]),
	                    teardown, 60, argc, argv);
}
