/* Integration tests of vigil-sandbox: the real binary with the C test
 * runtime and test extensions of tests/runtimes. Each case is its own meson
 * test (argv[1] names the check tcase) so that they run in parallel. */
#include <check.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "th_cases.h"

static char opt[512];
static struct th_sandbox sb;
static bool started;

static const char *const runtime[] = {NULL, NULL};

static void make_opt(const char *const names[])
{
	ck_assert_int_eq(th_tempdir(opt, sizeof(opt), "opt"), 0);
	for (size_t i = 0; names && names[i]; i++)
		ck_assert_int_eq(
		    th_opt_add_extension(opt, names[i], th_bin("tests/runtimes/test-extension")),
		    0);
}

/* Starts the sandbox with extensions names and extra options. */
static void start(const char *const names[], const char *const extra[])
{
	const char *rt[] = {th_bin("tests/runtimes/test-runtime"), NULL};
	(void)runtime;
	make_opt(names);
	ck_assert_int_eq(th_sandbox_start(&sb, opt, extra, rt), 0);
	started = true;
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
	th_rmtree(opt);
}

static cJSON *body_json(const struct th_resp *r)
{
	cJSON *o = cJSON_Parse(r->body);
	ck_assert_msg(o != NULL, "not JSON: %s", r->body);
	return o;
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
	ck_assert_int_eq(WEXITSTATUS(sb.proc.status), 0);
	char *text = th_file_read(sb.report, NULL);
	ck_assert_msg(text != NULL, "no report");
	cJSON *rep = cJSON_Parse(text);
	free(text);
	ck_assert(rep != NULL);
	return rep;
}

/* The last report entry for extension name. */
static cJSON *report_ext(cJSON *rep, const char *name)
{
	cJSON *it, *found = NULL;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(
	                           rep, "extensions")) if (!strcmp(str(it, "name"), name)) found =
	    it;
	ck_assert_msg(found != NULL, "no extension %s in the report", name);
	return found;
}

static int count(const char *needle)
{
	return th_file_count(sb.err_path, needle);
}

static long line_pos(const char *needle)
{
	char *text = th_file_read(sb.err_path, NULL);
	const char *p = text ? strstr(text, needle) : NULL;
	long pos = p ? p - text : -1;
	free(text);
	return pos;
}

START_TEST(happy_path)
{
	const char *exts[] = {"ext-ok", "ext-probe", NULL};
	struct th_resp r;
	char want[200];

	start(exts, NULL);
	invoke_expect("{\"hello\":\"world\"}", NULL, &r);
	ck_assert_str_eq(r.body, "{\"hello\":\"world\"}");
	char rid[64];
	ck_assert(th_resp_header(&r, "X-Amzn-RequestId", rid, sizeof(rid)));
	snprintf(want, sizeof(want), "[extension:ext-ok] ext-ok: invoke %s", rid);
	ck_assert_int_eq(th_wait_line(sb.err_path, want, 5000, NULL, 0), 0);
	th_resp_fini(&r);

	/* Every header of invocation/next. */
	const char *h[] = {"X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
	                   "X-Amz-Client-Context: eyJjdXN0b20iOnsiayI6InYifX0=",
	                   "X-Amz-Cognito-Identity: {\"cognitoIdentityId\":\"id1\"}",
	                   "Content-Type: application/json", NULL};
	const char ev[] = "{\"action\":\"headers\"}";
	ck_assert_int_eq(th_http("POST", sb.invoke_url, h, ev, strlen(ev), 30000, &r), 0);
	cJSON *o = body_json(&r);
	ck_assert_int_eq(strlen(str(o, "Lambda-Runtime-Aws-Request-Id")), 36);
	ck_assert_int_gt(atoll(str(o, "Lambda-Runtime-Deadline-Ms")), 1600000000000LL);
	ck_assert_str_eq(str(o, "Lambda-Runtime-Invoked-Function-Arn"),
	                 "arn:aws:lambda:us-east-1:123456789012:function:test-function");
	ck_assert_str_eq(str(o, "Lambda-Runtime-Trace-Id"),
	                 "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
	ck_assert_str_eq(str(o, "Lambda-Runtime-Client-Context"), "{\"custom\":{\"k\":\"v\"}}");
	ck_assert_str_eq(str(o, "Lambda-Runtime-Cognito-Identity"),
	                 "{\"cognitoIdentityId\":\"id1\"}");
	cJSON_Delete(o);
	th_resp_fini(&r);

	ck_assert_int_eq(th_wait_line(sb.err_path, "ext-probe: probe done", 5000, NULL, 0), 0);
	ck_assert_int_eq(count("probe FAIL"), 0);
	ck_assert_int_ge(count("probe ok"), 13);
	ck_assert_int_eq(count("INIT_START"), 1);

	cJSON *rep = stop_and_report();
	ck_assert_str_eq(str(report_ext(rep, "ext-ok"), "state"), "Exited");
	ck_assert_str_eq(str(report_ext(rep, "ext-probe"), "state"), "Exited");
	cJSON *inv = cJSON_GetObjectItemCaseSensitive(rep, "invocations");
	ck_assert_int_eq(cJSON_GetArraySize(inv), 2);
	ck_assert_str_eq(str(cJSON_GetArrayItem(inv, 0), "status"), "success");
	/* Even an invoke that comes right after init has a memory figure. */
	ck_assert_double_ge(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
	                        cJSON_GetArrayItem(inv, 0), "maxMemoryUsedMB")),
	                    1);
	cJSON *sd = cJSON_GetObjectItemCaseSensitive(rep, "shutdown");
	ck_assert_str_eq(str(sd, "reason"), "spindown");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sd, "clean")));
	ck_assert(cJSON_GetObjectItemCaseSensitive(rep, "telemetry") != NULL);
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "ext-ok: shutdown spindown deadline set", 1000, NULL, 0), 0);
	cJSON_Delete(rep);
}
END_TEST

START_TEST(function_error)
{
	struct th_resp r;
	start(NULL, NULL);
	invoke_expect("{\"action\":\"error\"}", "TestError", &r);
	cJSON *o = body_json(&r);
	ck_assert_str_eq(str(o, "errorMessage"), "boom"); /* passed through */
	cJSON_Delete(o);
	th_resp_fini(&r);
	/* A function error is not a failure: the same runtime goes on. */
	invoke_expect("{\"n\":2}", NULL, &r);
	th_resp_fini(&r);
	ck_assert_int_eq(count("INIT_START"), 1);
	cJSON *rep = stop_and_report();
	cJSON *inv = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "invocations"), 0);
	ck_assert_str_eq(str(inv, "status"), "error");
	ck_assert_str_eq(str(inv, "errorType"), "Function.TestError");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(timeout_resets)
{
	const char *exts[] = {"ext-ok", NULL};
	const char *extra[] = {"--timeout", "1", NULL};
	struct th_resp r;

	start(exts, extra);
	invoke_expect("{\"action\":\"sleep\",\"ms\":5000}", "Sandbox.Timeout", &r);
	ck_assert_ptr_nonnull(strstr(r.body, "Task timed out after 1.00 seconds"));
	th_resp_fini(&r);
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "ext-ok: shutdown timeout deadline set", 5000, NULL, 0), 0);
	/* The next invoke re-launches runtime and extensions. */
	invoke_expect("{\"again\":1}", NULL, &r);
	th_resp_fini(&r);
	ck_assert_int_eq(count("INIT_START"), 2);
	cJSON *rep = stop_and_report();
	cJSON *reset = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "resets"), 0);
	ck_assert_str_eq(str(reset, "reason"), "timeout");
	cJSON *inv = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "invocations"), 0);
	ck_assert_str_eq(str(inv, "status"), "timeout");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(runtime_init_error)
{
	const char *extra[] = {"--env", "TEST_RUNTIME_INIT=error", NULL};
	struct th_resp r;
	start(NULL, extra);
	/* Init failed before the ready line; the first invoke retries it. */
	ck_assert_int_eq(count("runtime: init/error Runtime.TestInitError"), 1);
	invoke_expect("{}", "TestInitError", &r);
	ck_assert_ptr_nonnull(strstr(r.body, "cannot load handler"));
	th_resp_fini(&r);
	ck_assert_int_eq(count("Error Type: Runtime.TestInitError"), 2);
	ck_assert_int_eq(count("Phase: invoke Status: error"), 1);
	cJSON *rep = stop_and_report();
	cJSON *inv = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "invocations"), 0);
	ck_assert_str_eq(str(inv, "errorType"), "Runtime.TestInitError");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(extension_crash_init)
{
	const char *exts[] = {"ext-crash-init", NULL};
	struct th_resp r;
	start(exts, NULL);
	invoke_expect("{}", "Extension.Crash", &r);
	th_resp_fini(&r);
	cJSON *rep = stop_and_report();
	ck_assert_str_eq(str(report_ext(rep, "ext-crash-init"), "state"), "Crashed");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(extension_crash_invoke)
{
	const char *exts[] = {"ext-crash-invoke", "ext-ok", NULL};
	struct th_resp r;
	start(exts, NULL);
	invoke_expect("{}", "Extension.Crash", &r);
	th_resp_fini(&r);
	ck_assert_int_eq(th_wait_line(sb.err_path, "ext-ok: shutdown failure", 5000, NULL, 0), 0);
	ck_assert_int_eq(count("INIT_START"), 1);
	invoke_expect("{}", "Extension.Crash", &r); /* re-launched, crashes again */
	th_resp_fini(&r);
	ck_assert_int_eq(count("INIT_START"), 2);
	cJSON_Delete(stop_and_report());
}
END_TEST

START_TEST(extension_errors)
{
	const char *exts[] = {"ext-initerror", NULL};
	struct th_resp r;
	start(exts, NULL);
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "ext-initerror: init/error status 202", 5000, NULL, 0), 0);
	invoke_expect("{}", "Extension.InitError", &r);
	th_resp_fini(&r);
	cJSON *rep = stop_and_report();
	cJSON *e = report_ext(rep, "ext-initerror");
	ck_assert_str_eq(str(e, "state"), "InitError");
	ck_assert_str_eq(str(e, "errorType"), "Extension.TestInit");
	cJSON_Delete(rep);
	th_sandbox_fini(&sb);
	th_rmtree(opt);
	started = false;

	const char *exts2[] = {"ext-exiterror", NULL};
	start(exts2, NULL);
	invoke_expect("{}", "Extension.ExitError", &r);
	th_resp_fini(&r);
	cJSON_Delete(stop_and_report());
}
END_TEST

START_TEST(extension_never_registers)
{
	const char *exts[] = {"ext-noregister", NULL};
	const char *extra[] = {"--init-timeout", "1", "--timeout", "1", NULL};
	struct th_resp r;
	start(exts, extra);
	ck_assert_int_ge(count("Error Type: Sandbox.Timeout"), 1);
	invoke_expect("{}", "Sandbox.Timeout", &r);
	th_resp_fini(&r);
	cJSON *rep = stop_and_report();
	ck_assert_str_eq(str(report_ext(rep, "ext-noregister"), "state"), "Started");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(extension_wrong_name)
{
	const char *exts[] = {"ext-wrongname", NULL};
	const char *extra[] = {"--init-timeout", "1", "--timeout", "1", NULL};
	struct th_resp r;
	start(exts, extra);
	ck_assert_int_eq(th_wait_line(sb.err_path,
	                              "register as not-ext-wrongname with SHUTDOWN: 403 "
	                              "Extension.InvalidEventType",
	                              5000, NULL, 0),
	                 0);
	ck_assert_int_eq(th_wait_line(sb.err_path, "register as not-ext-wrongname with INVOKE: 200",
	                              5000, NULL, 0),
	                 0);
	invoke_expect("{}", "Sandbox.Timeout", &r);
	th_resp_fini(&r);
	cJSON_Delete(stop_and_report());
}
END_TEST

START_TEST(out_of_memory)
{
	const char *extra[] = {"--memory", "64", NULL};
	struct th_resp r;
	start(NULL, extra);
	invoke_expect("{\"action\":\"alloc\",\"mb\":300}", "Runtime.OutOfMemory", &r);
	th_resp_fini(&r);
	invoke_expect("{\"after\":\"oom\"}", NULL, &r); /* re-launched */
	th_resp_fini(&r);
	cJSON *rep = stop_and_report();
	cJSON *reset = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "resets"), 0);
	ck_assert_str_eq(str(reset, "reason"), "failure");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(shutdown_order_and_deadline)
{
	const char *exts[] = {"ext-hang-shutdown", "ext-invoke-only", "ext-ok", NULL};
	struct th_resp r;
	start(exts, NULL);
	invoke_expect("{\"action\":\"ignore-term\"}", NULL, &r);
	th_resp_fini(&r);
	cJSON *rep = stop_and_report();
	cJSON *sd = cJSON_GetObjectItemCaseSensitive(rep, "shutdown");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(sd, "clean")));
	double ms = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sd, "durationMs"));
	ck_assert_msg(ms >= 1500 && ms < 6000, "shutdown took %.0f ms", ms);
	ck_assert_str_eq(str(report_ext(rep, "ext-ok"), "state"), "Exited");
	ck_assert_str_eq(str(report_ext(rep, "ext-hang-shutdown"), "state"), "ShutdownFailed");
	cJSON *io = report_ext(rep, "ext-invoke-only");
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(io, "signal")),
	                 SIGKILL);
	/* The runtime goes first (SIGTERM, ignored, SIGKILL), then SHUTDOWN. */
	long killed = line_pos("after SIGTERM: SIGKILL");
	long shut = line_pos("ext-ok: shutdown spindown deadline set");
	ck_assert_int_ge(killed, 0);
	ck_assert_int_gt(shut, killed);
	ck_assert_int_eq(count("ext-hang-shutdown: shutdown spindown"), 1);
	ck_assert_int_ge(count("extension ext-hang-shutdown: alive at the deadline"), 1);
	cJSON_Delete(rep);
}
END_TEST

START_TEST(streamed_response)
{
	struct th_resp r;
	start(NULL, NULL);
	invoke_expect("{\"action\":\"stream\"}", NULL, &r);
	ck_assert_str_eq(r.body, "chunk-1\nchunk-2\nchunk-3\n");
	th_resp_fini(&r);
	invoke_expect("{\"action\":\"stream\",\"error\":true}", "StreamError", &r);
	cJSON *o = body_json(&r);
	ck_assert_str_eq(str(o, "errorMessage"), "mid-stream");
	cJSON_Delete(o);
	th_resp_fini(&r);
	cJSON *rep = stop_and_report();
	cJSON *inv = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "invocations"), 1);
	ck_assert_str_eq(str(inv, "errorType"), "Function.StreamError");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(oversized_payload)
{
	struct th_resp r;
	char ev[64];
	start(NULL, NULL);
	/* At the limit: accepted. */
	snprintf(ev, sizeof(ev), "{\"action\":\"big\",\"bytes\":%d}", 6291556);
	invoke_expect(ev, NULL, &r);
	ck_assert_uint_eq(r.len, 6291556);
	th_resp_fini(&r);
	/* One byte over: 413 to the runtime, an error to the caller. */
	snprintf(ev, sizeof(ev), "{\"action\":\"big\",\"bytes\":%d}", 6291557);
	invoke_expect(ev, "Function.ResponseSizeTooLarge", &r);
	th_resp_fini(&r);
	ck_assert_int_eq(th_wait_line(sb.err_path, "test-runtime: big status 413", 5000, NULL, 0),
	                 0);
	/* An oversized event: 413 from the invoke endpoint. */
	size_t n = 6291557;
	char *big = malloc(n + 1);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	ck_assert_int_eq(th_sandbox_invoke(&sb, big, &r), 0);
	ck_assert_int_eq(r.status, 413);
	ck_assert_ptr_nonnull(strstr(r.body, "RequestEntityTooLarge"));
	free(big);
	th_resp_fini(&r);
	invoke_expect("{\"still\":\"alive\"}", NULL, &r);
	th_resp_fini(&r);
	cJSON_Delete(stop_and_report());
}
END_TEST

START_TEST(bad_input)
{
	const char *exts[] = {"ext-probe", NULL};
	struct th_resp r;
	char url[256];
	start(exts, NULL);

	/* Stale, repeated and made-up request ids. */
	invoke_expect("{\"action\":\"bad-id\"}", NULL, &r);
	th_resp_fini(&r);
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "test-runtime: bad id status 400", 5000, NULL, 0), 0);
	invoke_expect("{\"action\":\"twice\"}", NULL, &r);
	th_resp_fini(&r);
	ck_assert_int_eq(
	    th_wait_line(sb.err_path, "test-runtime: second response status 400", 5000, NULL, 0),
	    0);

	/* A stranger answering: 400 InvalidRequestID, body dropped. */
	snprintf(url, sizeof(url), "http://%s/2018-06-01/runtime/invocation/nope/response", sb.api);
	char *body = calloc(1, 7u << 20);
	ck_assert_int_eq(th_http("POST", url, NULL, body, 7u << 20, 10000, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "InvalidRequestID"));
	th_resp_fini(&r);
	free(body);

	/* Calls in the wrong state. */
	snprintf(url, sizeof(url), "http://%s/2018-06-01/runtime/init/error", sb.api);
	ck_assert_int_eq(th_http("POST", url, NULL, "{}", 2, 10000, &r), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "InvalidStateTransition"));
	th_resp_fini(&r);
	snprintf(url, sizeof(url), "http://%s/2018-06-01/runtime/invocation/next", sb.api);
	ck_assert_int_eq(th_http("GET", url, NULL, NULL, 0, 10000, &r), 0);
	ck_assert_int_eq(r.status, 403); /* the runtime is already waiting */
	th_resp_fini(&r);

	/* Registration is closed to newcomers after init. */
	snprintf(url, sizeof(url), "http://%s/2020-01-01/extension/register", sb.api);
	const char *h[] = {"Lambda-Extension-Name: late", NULL};
	ck_assert_int_eq(th_http("POST", url, h, "{}", 2, 10000, &r), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.body, "Extension.RegistrationClosed"));
	th_resp_fini(&r);

	/* Unknown routes and methods. */
	snprintf(url, sizeof(url), "http://%s/2018-06-01/nothing", sb.api);
	ck_assert_int_eq(th_http("GET", url, NULL, NULL, 0, 10000, &r), 0);
	ck_assert_int_eq(r.status, 404);
	th_resp_fini(&r);
	snprintf(url, sizeof(url), "http://%s/2020-01-01/extension/register", sb.api);
	ck_assert_int_eq(th_http("GET", url, NULL, NULL, 0, 10000, &r), 0);
	ck_assert_int_eq(r.status, 405);
	th_resp_fini(&r);

	/* A 40,000-byte log line reaches stderr in capped pieces. */
	invoke_expect("{\"action\":\"longline\",\"bytes\":40000}", NULL, &r);
	th_resp_fini(&r);
	/* A later line of the same pipe marks the long one as fully echoed. */
	invoke_expect("{\"action\":\"log\",\"lines\":1}", NULL, &r);
	th_resp_fini(&r);
	ck_assert_int_eq(th_wait_line(sb.err_path, "test-runtime: log line 0", 5000, NULL, 0), 0);
	char *text = th_file_read(sb.err_path, NULL);
	int pieces = 0;
	size_t total = 0;
	for (char *p = text; (p = strstr(p, "[function] yyyy")); pieces++) {
		p += strlen("[function] ");
		size_t n = strspn(p, "y");
		ck_assert_uint_le(n, 16384);
		total += n;
		p += n;
	}
	free(text);
	ck_assert_int_eq(pieces, 3);
	ck_assert_uint_eq(total, 40000);

	/* A client context that would end the header line is dropped; the
	 * invoke goes on. */
	{
		const char *ch[] = {"X-Amz-Client-Context: YQ0KWC1FdmlsOiAx",
		                    "X-Amz-Cognito-Identity: {\"cognitoIdentityId\":\"x\"}", NULL};
		const char hev[] = "{\"action\":\"headers\"}";
		ck_assert_int_eq(th_http("POST", sb.invoke_url, ch, hev, strlen(hev), 30000, &r),
		                 0);
		ck_assert_int_eq(r.status, 200);
		ck_assert_ptr_null(strstr(r.body, "Client-Context"));
		ck_assert_ptr_null(strstr(r.body, "X-Evil"));
		ck_assert_ptr_nonnull(strstr(r.body, "Cognito-Identity"));
		th_resp_fini(&r);
		ck_assert_int_ge(count("X-Amz-Client-Context holds control bytes"), 1);
	}

	/* Malformed event bytes are the function's business. */
	invoke_expect("{not json", NULL, &r);
	ck_assert_str_eq(r.body, "{not json");
	th_resp_fini(&r);

	ck_assert_int_eq(count("probe FAIL"), 0);
	ck_assert_int_eq(count("INIT_START"), 1);
	cJSON_Delete(stop_and_report());
}
END_TEST

START_TEST(batch_mode)
{
	const char *exts[] = {"ext-ok", NULL};
	const char *rt[] = {th_bin("tests/runtimes/test-runtime"), NULL};
	char events[600], line[512];
	make_opt(exts);
	memset(&sb, 0, sizeof(sb));
	ck_assert_int_eq(th_tempdir(sb.dir, sizeof(sb.dir), "batch"), 0);
	snprintf(events, sizeof(events), "%s/events.ndjson", sb.dir);
	FILE *f = fopen(events, "w");
	fputs("{\"a\":1}\n\n{\"action\":\"error\"}\n{\"action\":\"sleep\",\"ms\":3000}\n", f);
	fclose(f);
	snprintf(sb.out_path, sizeof(sb.out_path), "%s/stdout", sb.dir);
	snprintf(sb.err_path, sizeof(sb.err_path), "%s/stderr", sb.dir);
	snprintf(sb.report, sizeof(sb.report), "%s/report.json", sb.dir);
	const char *argv[] = {th_bin("sandbox/vigil-sandbox"),
	                      "--api",
	                      "127.0.0.1:0",
	                      "--opt",
	                      opt,
	                      "--timeout",
	                      "1",
	                      "--events",
	                      events,
	                      "--report",
	                      sb.report,
	                      "--",
	                      rt[0],
	                      NULL};
	ck_assert_int_eq(th_spawn(&sb.proc, (char *const *)argv, NULL, sb.out_path, sb.err_path),
	                 0);
	started = true;
	ck_assert_int_eq(th_wait(&sb.proc, 30000), 0);
	ck_assert(WIFEXITED(sb.proc.status) && WEXITSTATUS(sb.proc.status) == 0);
	char *out = th_file_read(sb.out_path, NULL);
	ck_assert_ptr_nonnull(out);
	int lines = 0;
	for (char *p = out, *nl; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		cJSON *o = cJSON_Parse(line);
		ck_assert_msg(o != NULL, "not JSON: %s", line);
		ck_assert_int_eq(
		    (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "n")), lines + 1);
		ck_assert_int_eq(strlen(str(o, "requestId")), 36);
		ck_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "durationMs")));
		const char *want[] = {"success", "error", "timeout"};
		ck_assert_str_eq(str(o, "status"), want[lines]);
		if (lines == 0)
			ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
			                     cJSON_GetObjectItemCaseSensitive(o, "response"), "a")),
			                 1);
		cJSON_Delete(o);
	}
	ck_assert_int_eq(lines, 3);
	free(out);
	/* The timeout reset the environment (SHUTDOWN "timeout"); nothing is
	 * re-launched without a further event, so the final phase is empty. */
	ck_assert(th_file_contains(sb.report, "\"spindown\""));
	ck_assert(th_file_contains(sb.err_path, "ext-ok: shutdown timeout"));
	ck_assert(!th_file_contains(sb.err_path, "ext-ok: shutdown spindown"));
}
END_TEST

START_TEST(exec_wrapper_and_freeze)
{
	char wrapper[600], env[700], line[256];
	make_opt(NULL);
	snprintf(wrapper, sizeof(wrapper), "%s/wrapper.sh", opt);
	FILE *f = fopen(wrapper, "w");
	fputs("#!/bin/sh\necho \"wrapper: starting $1\"\nexec \"$@\"\n", f);
	fclose(f);
	chmod(wrapper, 0755);
	snprintf(env, sizeof(env), "AWS_LAMBDA_EXEC_WRAPPER=%s", wrapper);
	const char *extra[] = {"--env", env, NULL};
	const char *rt[] = {th_bin("tests/runtimes/test-runtime"), NULL};
	ck_assert_int_eq(th_sandbox_start(&sb, opt, extra, rt), 0);
	started = true;
	ck_assert_int_eq(th_wait_line(sb.err_path, "[function] wrapper: starting ", 5000, NULL, 0),
	                 0);

	/* Between invokes the runtime is stopped (SIGSTOP). */
	struct th_resp r;
	invoke_expect("{}", NULL, &r);
	th_resp_fini(&r);
	ck_assert_int_eq(th_wait_line(sb.err_path, ": launched (pid ", 1000, line, sizeof(line)),
	                 0);
	int pid = atoi(strstr(line, "(pid ") + 5);
	char path[64], stat[512], state = '?';
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	/* SIGSTOP takes effect when the process is next scheduled: poll. */
	for (int i = 0; i < 250 && state != 'T'; i++) {
		FILE *sf = fopen(path, "r");
		ck_assert_ptr_nonnull(sf);
		ck_assert_ptr_nonnull(fgets(stat, sizeof(stat), sf));
		fclose(sf);
		state = strrchr(stat, ')')[2];
		if (state != 'T')
			usleep(20 * 1000);
	}
	ck_assert_msg(state == 'T', "runtime state %c, not stopped", state);
	invoke_expect("{}", NULL, &r); /* thawed again */
	th_resp_fini(&r);
	cJSON_Delete(stop_and_report());
}
END_TEST

START_TEST(extension_launch_errors)
{
	const char *many[] = {"e01-ok", "e02-ok", "e03-ok", "e04-ok", "e05-ok", "e06-ok",
	                      "e07-ok", "e08-ok", "e09-ok", "e10-ok", "e11-ok", NULL};
	struct th_resp r;
	start(many, NULL);
	ck_assert_int_ge(count("(TooManyExtensions)"), 1);
	ck_assert_int_eq(count(": launched (pid"), 0); /* nothing was started */
	invoke_expect("{}", "Extension.LaunchError", &r);
	th_resp_fini(&r);
	cJSON_Delete(stop_and_report());
	th_sandbox_fini(&sb);
	th_rmtree(opt);
	started = false;

	/* A file that is not executable fails the whole init. */
	const char *one[] = {"ext-ok", NULL};
	char readme[600];
	make_opt(one);
	snprintf(readme, sizeof(readme), "%s/extensions/README", opt);
	FILE *f = fopen(readme, "w");
	fputs("not a program\n", f);
	fclose(f);
	mkdir(strcat(strcpy(readme, opt), "/extensions/support"), 0755); /* ignored */
	const char *rt[] = {th_bin("tests/runtimes/test-runtime"), NULL};
	ck_assert_int_eq(th_sandbox_start(&sb, opt, NULL, rt), 0);
	started = true;
	ck_assert_int_ge(count("extension README: cannot launch"), 1);
	ck_assert_int_eq(count("extension support"), 0);
	invoke_expect("{}", "Extension.LaunchError", &r);
	th_resp_fini(&r);
	cJSON *rep = stop_and_report();
	ck_assert_str_eq(str(report_ext(rep, "README"), "state"), "LaunchError");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(runtime_init_hang)
{
	const char *extra[] = {
	    "--env", "TEST_RUNTIME_INIT=hang", "--init-timeout", "1", "--timeout", "1", NULL};
	struct th_resp r;
	start(NULL, extra);
	ck_assert_int_eq(count("Phase: init Status: timeout Error Type: Sandbox.Timeout"), 1);
	invoke_expect("{}", "Sandbox.Timeout", &r);
	th_resp_fini(&r);
	cJSON *rep = stop_and_report();
	cJSON *inv = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "invocations"), 0);
	ck_assert_str_eq(str(inv, "status"), "timeout");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rep, "resets")), 2);
	cJSON_Delete(rep);
}
END_TEST

START_TEST(memory_and_report_metrics)
{
	struct th_resp r;
	start(NULL, NULL);
	invoke_expect("{\"action\":\"alloc\",\"mb\":40,\"hold_ms\":100}", NULL, &r);
	ck_assert_str_eq(r.body, "{\"allocated\":40}");
	th_resp_fini(&r);
	invoke_expect("{}", NULL, &r);
	th_resp_fini(&r);
	cJSON *rep = stop_and_report();
	cJSON *inv = cJSON_GetObjectItemCaseSensitive(rep, "invocations");
	cJSON *first = cJSON_GetArrayItem(inv, 0), *second = cJSON_GetArrayItem(inv, 1);
	double used =
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(first, "maxMemoryUsedMB"));
	ck_assert_msg(used >= 40 && used < 128, "maxMemoryUsedMB %.0f", used);
	double dur = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(first, "durationMs"));
	double billed =
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(first, "billedDurationMs"));
	ck_assert(dur >= 100 && billed >= dur && billed < dur + 1);
	/* initDurationMs only on the first invoke after an init. */
	ck_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(first, "initDurationMs")));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(second, "initDurationMs"));
	cJSON_Delete(rep);
}
END_TEST

START_TEST(telemetry_stub)
{
	const char *extra[] = {"--telemetry-stub", NULL};
	const char body[] = "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"]}";
	struct th_resp r;
	char url[200];
	start(NULL, extra);
	/* As in AWS's emulator: 202 NotSupported, whoever asks. */
	snprintf(url, sizeof(url), "http://%s/2022-07-01/telemetry", sb.api);
	ck_assert_int_eq(th_http("PUT", url, NULL, body, strlen(body), 10000, &r), 0);
	ck_assert_int_eq(r.status, 202);
	ck_assert_ptr_nonnull(strstr(r.body, "Telemetry.NotSupported"));
	th_resp_fini(&r);
	snprintf(url, sizeof(url), "http://%s/2020-08-15/logs", sb.api);
	ck_assert_int_eq(th_http("PUT", url, NULL, body, strlen(body), 10000, &r), 0);
	ck_assert_int_eq(r.status, 202);
	ck_assert_ptr_nonnull(strstr(r.body, "Logs.NotSupported"));
	th_resp_fini(&r);
	invoke_expect("{}", NULL, &r);
	th_resp_fini(&r);
	cJSON_Delete(stop_and_report());
}
END_TEST

START_TEST(example_extension)
{
	/* The examples: the example function and the example extension,
	 * which subscribes to telemetry, over three events. (The README's
	 * demo runs Vigil itself: tests/integration/e2e covers it.) */
	const char *rt[] = {th_bin("sandbox/example-function"), NULL};
	struct th_resp r;
	memset(&sb, 0, sizeof(sb));
	ck_assert_int_eq(th_tempdir(opt, sizeof(opt), "opt"), 0);
	ck_assert_int_eq(
	    th_opt_add_extension(opt, "example-extension", th_bin("sandbox/example-extension")), 0);
	ck_assert_int_eq(th_sandbox_start(&sb, opt, NULL, rt), 0);
	started = true;
	invoke_expect("{\"name\":\"alice\"}", NULL, &r);
	ck_assert(strstr(r.body, "hello, alice"));
	th_resp_fini(&r);
	invoke_expect("{\"fail\":true}", "ExampleError", &r);
	th_resp_fini(&r);
	invoke_expect("{\"name\":\"bob\"}", NULL, &r);
	th_resp_fini(&r);
	th_sandbox_stop(&sb);
	ck_assert_int_eq(th_file_count(sb.err_path, "example-extension: INVOKE "), 3);
	ck_assert(th_file_contains(sb.err_path, "example-extension: telemetry subscription: 200"));
	ck_assert_int_ge(th_file_count(sb.err_path, "example-extension: telemetry platform.report"),
	                 3);
	ck_assert(th_file_contains(sb.err_path, "example-extension: SHUTDOWN, reason spindown"));
	ck_assert(th_file_contains(sb.report, "\"Exited\""));
}
END_TEST

static void *invoke_thread(void *arg)
{
	struct th_resp *r = arg;
	th_sandbox_invoke(&sb, "{\"action\":\"sleep\",\"ms\":100}", r);
	return NULL;
}

START_TEST(concurrent_invokes)
{
	pthread_t t[4];
	struct th_resp r[4];
	char ids[4][64];
	start(NULL, NULL);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, invoke_thread, &r[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* One environment serves one invoke at a time: all succeed, in turn. */
	for (int i = 0; i < 4; i++) {
		char fe[32];
		ck_assert_int_eq(r[i].status, 200);
		ck_assert(!th_resp_header(&r[i], "X-Amz-Function-Error", fe, sizeof(fe)));
		ck_assert(th_resp_header(&r[i], "X-Amzn-RequestId", ids[i], sizeof(ids[i])));
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(ids[i], ids[j]);
		th_resp_fini(&r[i]);
	}
	ck_assert_int_eq(count("INIT_START"), 1);
	cJSON_Delete(stop_and_report());
}
END_TEST

int main(int argc, char **argv)
{
	const struct th_case cases[] = {
	    {"happy_path", happy_path},
	    {"function_error", function_error},
	    {"timeout_resets", timeout_resets},
	    {"runtime_init_error", runtime_init_error},
	    {"extension_crash_init", extension_crash_init},
	    {"extension_crash_invoke", extension_crash_invoke},
	    {"extension_errors", extension_errors},
	    {"extension_never_registers", extension_never_registers},
	    {"extension_wrong_name", extension_wrong_name},
	    {"out_of_memory", out_of_memory},
	    {"shutdown_order_and_deadline", shutdown_order_and_deadline},
	    {"streamed_response", streamed_response},
	    {"oversized_payload", oversized_payload},
	    {"bad_input", bad_input},
	    {"batch_mode", batch_mode},
	    {"exec_wrapper_and_freeze", exec_wrapper_and_freeze},
	    {"extension_launch_errors", extension_launch_errors},
	    {"runtime_init_hang", runtime_init_hang},
	    {"memory_and_report_metrics", memory_and_report_metrics},
	    {"concurrent_invokes", concurrent_invokes},
	    {"telemetry_stub", telemetry_stub},
	    {"example_extension", example_extension},
	};
	return th_run_cases("sandbox-integration", cases, sizeof(cases) / sizeof(cases[0]),
	                    teardown, 60, argc, argv);
}
