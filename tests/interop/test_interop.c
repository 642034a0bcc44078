/* Interop: AWS's own Node runtime interface client (npm aws-lambda-ric
 * 3.3.0) as the function runtime in vigil-sandbox. It speaks the Runtime
 * API the way Lambda's managed runtimes do (one keep-alive connection, the
 * X-Ray error cause header, chunked streamed responses with error
 * trailers), so it checks the sandbox against a peer we did not write.
 *
 * Environment (meson.build sets it): VIGIL_RIC_DIR, the folder holding
 * node_modules/aws-lambda-ric (installed once per build folder), and
 * VIGIL_INTEROP_LAYER, Vigil's layer root (build/layer/opt): when set,
 * the runtime starts through its vigil-wrapper with the vigil extension on
 * free ports, and each case also checks the proxy was not bypassed.
 * VIGIL_INTEROP_OPT (another layer root for `--opt`) and VIGIL_INTEROP_ENV
 * (space-separated KEY=VALUE pairs for `--env`) serve other setups.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "harness.h"

static struct th_sandbox sb;
static char opt[512];
static bool own_opt;
static bool with_layer;

/* A port the kernel just handed out and took back: free for the vigil
 * extension to bind a moment later (other tests run at the same time, so
 * fixed ports are out). */
static unsigned free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void start(const char *handler)
{
	static char bootstrap[1024], envs[4096], wrapper[1100], proxy[64], tel[64];
	const char *ric = getenv("VIGIL_RIC_DIR");
	const char *layer = getenv("VIGIL_INTEROP_LAYER");
	const char *rt[] = {bootstrap, ric, handler, NULL};
	const char *env = getenv("VIGIL_INTEROP_ENV");
	const char *extra[64] = {"--timeout", "30"};
	size_t n = 2;

	ck_assert_msg(ric != NULL, "VIGIL_RIC_DIR is not set");
	snprintf(bootstrap, sizeof(bootstrap), "%s/tests/interop/function/bootstrap",
	         getenv("VIGIL_SOURCE_ROOT"));
	with_layer = layer && *layer;
	if (!with_layer)
		layer = getenv("VIGIL_INTEROP_OPT");
	own_opt = !layer || !*layer;
	if (own_opt)
		ck_assert_int_eq(th_tempdir(opt, sizeof(opt), "interop-opt"), 0);
	else
		snprintf(opt, sizeof(opt), "%s", layer);

	if (with_layer) {
		/* Vigil's layer in front: the runtime starts through its
		 * wrapper and talks to the proxy. */
		snprintf(wrapper, sizeof(wrapper), "AWS_LAMBDA_EXEC_WRAPPER=%s/vigil-wrapper", opt);
		snprintf(proxy, sizeof(proxy), "VIGIL_PROXY_PORT=%u", free_port());
		snprintf(tel, sizeof(tel), "VIGIL_TELEMETRY_PORT=%u", free_port());
		extra[n++] = "--env";
		extra[n++] = wrapper;
		extra[n++] = "--env";
		extra[n++] = proxy;
		extra[n++] = "--env";
		extra[n++] = tel;
	}
	/* Further variables: "--env K=V" for each pair. */
	snprintf(envs, sizeof(envs), "%s", env ? env : "");
	for (char *save = NULL, *kv = strtok_r(envs, " ", &save); kv && n + 3 < 64;
	     kv = strtok_r(NULL, " ", &save)) {
		extra[n++] = "--env";
		extra[n++] = kv;
	}
	extra[n] = NULL;
	ck_assert_int_eq(th_sandbox_start(&sb, opt, extra, rt), 0);
}

static cJSON *stop_and_report(void)
{
	char *text;
	cJSON *rep;

	th_sandbox_stop(&sb);
	if (with_layer) {
		/* The proxy was in the path: the wrapper did not fall back
		 * and the extension saw the runtime's calls. */
		ck_assert_msg(!th_file_contains(sb.err_path, "proxy_bypassed") &&
		                  !th_file_contains(sb.out_path, "proxy_bypassed"),
		              "the runtime bypassed Vigil's proxy");
		ck_assert(th_file_contains(sb.err_path, "[extension:vigil]") ||
		          th_file_contains(sb.err_path, "extension vigil: launched"));
	}
	text = th_file_read(sb.report, NULL);
	ck_assert_ptr_nonnull(text);
	rep = cJSON_Parse(text);
	ck_assert_ptr_nonnull(rep);
	free(text);
	th_sandbox_fini(&sb);
	if (own_opt)
		th_rmtree(opt);
	return rep;
}

static const char *str(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

	return s ? s : "(absent)";
}

static cJSON *invoke_json(const char *event, struct th_resp *r, bool want_error)
{
	char fe[64];
	cJSON *o;

	ck_assert_int_eq(th_sandbox_invoke(&sb, event, r), 0);
	ck_assert_msg(r->status == 200, "HTTP %ld: %s", r->status, r->body);
	if (want_error) {
		ck_assert_msg(th_resp_header(r, "X-Amz-Function-Error", fe, sizeof(fe)),
		              "no function error: %s", r->body);
		ck_assert_str_eq(fe, "Unhandled");
	} else {
		ck_assert_msg(!th_resp_header(r, "X-Amz-Function-Error", fe, sizeof(fe)),
		              "unexpected function error: %s", r->body);
	}
	o = cJSON_Parse(r->body);
	ck_assert_msg(o != NULL, "not JSON: %s", r->body);
	return o;
}

static const cJSON *invocation(const cJSON *rep, int i)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "invocations"), i);
}

START_TEST(buffered_response)
{
	struct th_resp r;
	cJSON *o, *rep;

	start("index.buffered");
	for (int i = 0; i < 3; i++) {
		o = invoke_json("{\"hello\":\"world\",\"n\":[1,2,3]}", &r, false);
		ck_assert_str_eq(str(cJSON_GetObjectItem(o, "echo"), "hello"), "world");
		ck_assert_int_eq(
		    cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "echo"), "n")),
		    3);
		ck_assert_str_eq(str(o, "functionName"), "test-function");
		ck_assert_ptr_nonnull(strstr(str(o, "arn"), ":function:test-function"));
		ck_assert_uint_eq(strlen(str(o, "requestId")), 36);
		/* The deadline header reached the client: 30 s timeout. */
		ck_assert_double_gt(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "remainingMs")),
		                    20000);
		ck_assert_double_le(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "remainingMs")),
		                    30000);
		cJSON_Delete(o);
		th_resp_fini(&r);
	}
	rep = stop_and_report();
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "invocations")), 3);
	ck_assert_str_eq(str(invocation(rep, 2), "status"), "success");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(handler_error)
{
	struct th_resp r;
	cJSON *o, *rep;

	start("index.failing");
	o = invoke_json("{}", &r, true);
	ck_assert_str_eq(str(o, "errorType"), "InteropError");
	ck_assert_str_eq(str(o, "errorMessage"), "interop handler failed on purpose");
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(o, "trace")));
	cJSON_Delete(o);
	th_resp_fini(&r);
	/* The environment survives a handler error. */
	o = invoke_json("{}", &r, true);
	cJSON_Delete(o);
	th_resp_fini(&r);
	rep = stop_and_report();
	ck_assert_str_eq(str(invocation(rep, 0), "status"), "error");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "resets")), 0);
	cJSON_Delete(rep);
}
END_TEST

START_TEST(init_error_bad_handler)
{
	struct th_resp r;
	cJSON *o, *rep;

	start("index.doesNotExist");
	o = invoke_json("{}", &r, true);
	ck_assert_str_eq(str(o, "errorType"), "Runtime.HandlerNotFound");
	ck_assert_ptr_nonnull(strstr(str(o, "errorMessage"), "doesNotExist"));
	cJSON_Delete(o);
	th_resp_fini(&r);
	rep = stop_and_report();
	ck_assert_str_eq(str(invocation(rep, 0), "status"), "error");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(init_error_missing_module)
{
	struct th_resp r;
	cJSON *o, *rep;

	start("nosuchfile.handler");
	o = invoke_json("{}", &r, true);
	ck_assert_str_eq(str(o, "errorType"), "Runtime.ImportModuleError");
	cJSON_Delete(o);
	th_resp_fini(&r);
	rep = stop_and_report();
	cJSON_Delete(rep);
}
END_TEST

START_TEST(streamed_response)
{
	struct th_resp r;
	char fe[64];
	cJSON *rep;

	start("index.streamed");
	ck_assert_int_eq(th_sandbox_invoke(&sb, "{}", &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert(!th_resp_header(&r, "X-Amz-Function-Error", fe, sizeof(fe)));
	ck_assert_str_eq(r.body, "chunk-1;chunk-2;chunk-3");
	th_resp_fini(&r);
	rep = stop_and_report();
	ck_assert_str_eq(str(invocation(rep, 0), "status"), "success");
	cJSON_Delete(rep);
}
END_TEST

START_TEST(streamed_error_mid_stream)
{
	struct th_resp r;
	cJSON *o, *rep;

	start("index.streamFailing");
	o = invoke_json("{}", &r, true);
	ck_assert_str_eq(str(o, "errorType"), "MidStreamError");
	ck_assert_str_eq(str(o, "errorMessage"), "stream broke midway");
	cJSON_Delete(o);
	th_resp_fini(&r);
	/* A streamed error is a function error, not a reset: the same
	 * client serves the next invoke. */
	o = invoke_json("{}", &r, true);
	cJSON_Delete(o);
	th_resp_fini(&r);
	rep = stop_and_report();
	ck_assert_str_eq(str(invocation(rep, 0), "status"), "error");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "resets")), 0);
	cJSON_Delete(rep);
}
END_TEST

/* Installs aws-lambda-ric into VIGIL_RIC_DIR unless the same lockfile is
 * already installed there (npm-install.sh decides). */
static int install_ric(void)
{
	const char *src = getenv("VIGIL_SOURCE_ROOT"), *ric = getenv("VIGIL_RIC_DIR");
	char cmd[4096];
	int rc;

	if (!src || !ric) {
		fprintf(stderr, "interop: VIGIL_SOURCE_ROOT and VIGIL_RIC_DIR must be set\n");
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
	         "sh '%s/tests/interop/npm-install.sh' '%s/tests/interop' '%s' '%s.stamp'", src,
	         src, ric, ric);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "interop: installing aws-lambda-ric failed (%d)\n", rc);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	Suite *s = suite_create("interop-ric");
	TCase *tc = tcase_create("aws-lambda-ric");
	SRunner *sr;
	int failed;

	if (install_ric() < 0)
		return EXIT_FAILURE;
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, buffered_response);
	tcase_add_test(tc, handler_error);
	tcase_add_test(tc, init_error_bad_handler);
	tcase_add_test(tc, init_error_missing_module);
	tcase_add_test(tc, streamed_response);
	tcase_add_test(tc, streamed_error_mid_stream);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
