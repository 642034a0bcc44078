/* Unit tests of the sandbox's parsers and state machines. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "ext_state.h"
#include "opts.h"
#include "proc.h"
#include "sandbox.h"

START_TEST(ext_transitions)
{
	enum sbx_ext_state to;
	ck_assert_int_eq(sbx_ext_transition(SBX_EXT_STARTED, SBX_EXT_OP_REGISTER, &to), 0);
	ck_assert_int_eq(to, SBX_EXT_REGISTERED);
	ck_assert_int_eq(sbx_ext_transition(SBX_EXT_REGISTERED, SBX_EXT_OP_REGISTER, &to), -EPERM);
	ck_assert_int_eq(sbx_ext_transition(SBX_EXT_REGISTERED, SBX_EXT_OP_NEXT, &to), 0);
	ck_assert_int_eq(to, SBX_EXT_READY);
	/* a second next while one is pending */
	ck_assert_int_eq(sbx_ext_transition(SBX_EXT_READY, SBX_EXT_OP_NEXT, &to), -EPERM);
	ck_assert_int_eq(sbx_ext_transition(SBX_EXT_READY, SBX_EXT_OP_EVENT, &to), 0);
	ck_assert_int_eq(to, SBX_EXT_RUNNING);
	ck_assert_int_eq(sbx_ext_transition(SBX_EXT_RUNNING, SBX_EXT_OP_NEXT, &to), 0);
	ck_assert_int_eq(to, SBX_EXT_READY);
	ck_assert_int_eq(sbx_ext_transition(SBX_EXT_STARTED, SBX_EXT_OP_NEXT, &to), -EPERM);
	/* init/error only between register and the first next */
	ck_assert_int_eq(sbx_ext_transition(SBX_EXT_REGISTERED, SBX_EXT_OP_INIT_ERROR, &to), 0);
	ck_assert_int_eq(to, SBX_EXT_INIT_ERROR);
	ck_assert_int_eq(sbx_ext_transition(SBX_EXT_READY, SBX_EXT_OP_INIT_ERROR, &to), -EPERM);
	ck_assert_int_eq(sbx_ext_transition(SBX_EXT_RUNNING, SBX_EXT_OP_INIT_ERROR, &to), -EPERM);
	/* exit/error in Registered, Ready, Running */
	for (enum sbx_ext_state s = SBX_EXT_REGISTERED; s <= SBX_EXT_RUNNING; s++) {
		ck_assert_int_eq(sbx_ext_transition(s, SBX_EXT_OP_EXIT_ERROR, &to), 0);
		ck_assert_int_eq(to, SBX_EXT_EXIT_ERROR);
	}
	/* terminal states accept nothing */
	for (enum sbx_ext_state s = SBX_EXT_INIT_ERROR; s <= SBX_EXT_CRASHED; s++)
		for (enum sbx_ext_op op = SBX_EXT_OP_REGISTER; op <= SBX_EXT_OP_EXIT_ERROR; op++)
			ck_assert_int_eq(sbx_ext_transition(s, op, &to), -EPERM);
	ck_assert_str_eq(sbx_ext_state_name(SBX_EXT_SHUTDOWN_FAILED), "ShutdownFailed");
	ck_assert_str_eq(sbx_ext_state_name(SBX_EXT_READY), "Ready");
}
END_TEST

static int reg(const char *body, unsigned *ev, struct sbx_reg_error *e)
{
	return sbx_register_parse(body, body ? strlen(body) : 0, ev, e);
}

START_TEST(register_body)
{
	struct sbx_reg_error e;
	unsigned ev;
	ck_assert_int_eq(reg("{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}", &ev, &e), 0);
	ck_assert_uint_eq(ev, SBX_EV_INVOKE | SBX_EV_SHUTDOWN);
	ck_assert_int_eq(reg("{}", &ev, &e), 0);
	ck_assert_uint_eq(ev, 0);
	ck_assert_int_eq(reg("{\"events\":[]}", &ev, &e), 0);
	ck_assert_int_eq(reg("{\"events\":[\"SHUTDOWN\"],\"configurationKeys\":[]}", &ev, &e), 0);
	ck_assert_uint_eq(ev, SBX_EV_SHUTDOWN);
	ck_assert_int_eq(reg(NULL, &ev, &e), -EINVAL);
	ck_assert_str_eq(e.type, "InvalidRequestFormat");
	ck_assert_int_eq(reg("{\"events\":[\"INVOKE\"", &ev, &e), -EINVAL);
	ck_assert_str_eq(e.type, "InvalidRequestFormat");
	ck_assert_int_eq(reg("[1]", &ev, &e), -EINVAL);
	ck_assert_int_eq(reg("{\"events\":\"INVOKE\"}", &ev, &e), -EINVAL);
	ck_assert_int_eq(reg("{\"events\":[\"invoke\"]}", &ev, &e), -EINVAL);
	ck_assert_str_eq(e.type, "Extension.InvalidEventType");
	ck_assert_int_eq(reg("{\"events\":[1]}", &ev, &e), -EINVAL);
	ck_assert_str_eq(e.type, "Extension.InvalidEventType");
	ck_assert_int_eq(reg("{\"configurationKeys\":[\"k\"]}", &ev, &e), -EINVAL);
	ck_assert_str_eq(e.type, "InvalidRequestFormat");
	/* Length-counted: bytes past len are not read. */
	const char body[] = "{}garbage";
	ck_assert_int_eq(sbx_register_parse(body, 2, &ev, &e), 0);
}
END_TEST

START_TEST(features)
{
	ck_assert(sbx_feature_requested("accountId", "accountId"));
	ck_assert(sbx_feature_requested(" foo , ACCOUNTID ", "accountId"));
	ck_assert(!sbx_feature_requested("accountIds", "accountId"));
	ck_assert(!sbx_feature_requested("", "accountId"));
	ck_assert(!sbx_feature_requested(",,", "accountId"));
}
END_TEST

static const char *norm(const char *in)
{
	static char out[SBX_TYPE_MAX];
	sbx_error_type_normalize(in, out, sizeof(out));
	return out;
}

START_TEST(error_types)
{
	ck_assert_str_eq(norm("Runtime.NoSuchHandler"), "Runtime.NoSuchHandler");
	ck_assert_str_eq(norm("Function.TestError"), "Function.TestError");
	ck_assert_str_eq(norm("Function.bad"), "Function.Unknown");
	ck_assert_str_eq(norm("Function.X1"), "Function.Unknown");
	ck_assert_str_eq(norm("Unhandled"), "Runtime.Unknown");
	ck_assert_str_eq(norm("unhandled"), "Runtime.Unknown");
	ck_assert_str_eq(norm("Runtime."), "Runtime.Unknown");
	ck_assert_str_eq(norm("Runtime.A"), "Runtime.Unknown");
	ck_assert_str_eq(norm(""), "Runtime.Unknown");
	ck_assert_str_eq(norm(NULL), "Runtime.Unknown");
	char longer[300];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer, "Runtime.A", 9);
	ck_assert_str_eq(norm(longer), "Runtime.Unknown");
}
END_TEST

START_TEST(uuids_and_base64)
{
	ck_assert(sbx_is_uuid("3f6c9d2a-1b2c-4d5e-8f90-a1b2c3d4e5f6"));
	ck_assert(sbx_is_uuid("3F6C9D2A-1B2C-4D5E-8F90-A1B2C3D4E5F6"));
	ck_assert(!sbx_is_uuid("3f6c9d2a-1b2c-4d5e-8f90-a1b2c3d4e5f"));
	ck_assert(!sbx_is_uuid("3f6c9d2a-1b2c-4d5e-8f90-a1b2c3d4e5f6x"));
	ck_assert(!sbx_is_uuid("3f6c9d2a11b2c-4d5e-8f90-a1b2c3d4e5f6"));
	ck_assert(!sbx_is_uuid("not-a-uuid"));
	ck_assert(!sbx_is_uuid(NULL));

	unsigned char out[64];
	long n = sbx_base64_decode("eyJhIjoxfQ==", 12, out, sizeof(out));
	ck_assert_int_eq(n, 7);
	ck_assert(!memcmp(out, "{\"a\":1}", 7));
	ck_assert_int_eq(sbx_base64_decode("eyJhIjoxfQ", 10, out, sizeof(out)), 7);
	ck_assert_int_eq(sbx_base64_decode("", 0, out, sizeof(out)), 0);
	ck_assert_int_eq(sbx_base64_decode("ab$d", 4, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(sbx_base64_decode("a", 1, out, sizeof(out)), -EINVAL);
	/* never writes past outn */
	ck_assert_int_eq(sbx_base64_decode("eyJhIjoxfQ==", 12, out, 6), -EINVAL);
}
END_TEST

static int parse(struct sbx_opts *o, char *err, const char *const args[])
{
	int argc = 0;
	while (args[argc])
		argc++;
	return sbx_opts_parse(o, argc, (char **)args, err, 256);
}

START_TEST(options)
{
	struct sbx_opts o;
	char err[256];

	const char *a1[] = {"vigil-sandbox", "./bootstrap", NULL};
	ck_assert_int_eq(parse(&o, err, a1), 0);
	ck_assert_str_eq(o.listen, "127.0.0.1:8080");
	ck_assert_str_eq(o.api, "127.0.0.1:9001");
	ck_assert_str_eq(o.opt_dir, "/opt");
	ck_assert_uint_eq(o.timeout_s, 30);
	ck_assert_uint_eq(o.memory_mb, 128);
	ck_assert_str_eq(o.function_name, "test-function");
	ck_assert_int_eq(o.argc, 1);
	ck_assert_str_eq(o.argv[0], "./bootstrap");
	ck_assert(!o.telemetry_stub);
	sbx_opts_fini(&o);

	const char *a2[] = {"vigil-sandbox",
	                    "--listen",
	                    "127.0.0.1:0",
	                    "--api",
	                    "localhost:0",
	                    "--timeout",
	                    "3",
	                    "--memory",
	                    "256",
	                    "--env",
	                    "A=1",
	                    "--env",
	                    "A=2",
	                    "--env",
	                    "B=",
	                    "--events",
	                    "e.ndjson",
	                    "--report",
	                    "r.json",
	                    "--telemetry-stub",
	                    "--function-name",
	                    "fn",
	                    "--",
	                    "node",
	                    "--x",
	                    NULL};
	ck_assert_int_eq(parse(&o, err, a2), 0);
	ck_assert_uint_eq(o.timeout_s, 3);
	ck_assert_uint_eq(o.memory_mb, 256);
	ck_assert_str_eq(sbx_opts_env(&o, "A"), "2");
	ck_assert_str_eq(sbx_opts_env(&o, "B"), "");
	ck_assert_ptr_null(sbx_opts_env(&o, "C"));
	ck_assert_str_eq(o.events, "e.ndjson");
	ck_assert(o.telemetry_stub);
	ck_assert_int_eq(o.argc, 2);
	ck_assert_str_eq(o.argv[1], "--x");
	sbx_opts_fini(&o);

	const char *bad[][4] = {
	    {"vigil-sandbox", NULL},
	    {"vigil-sandbox", "--timeout", "0", "x"},
	    {"vigil-sandbox", "--timeout", "901", "x"},
	    {"vigil-sandbox", "--memory", "abc", "x"},
	    {"vigil-sandbox", "--listen", "nohost", "x"},
	    {"vigil-sandbox", "--api", "h:70000", "x"},
	    {"vigil-sandbox", "--env", "=v", "x"},
	    {"vigil-sandbox", "--bogus", "1", "x"},
	    {"vigil-sandbox", "--timeout", NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(parse(&o, err, bad[i]), -EINVAL);
		ck_assert_msg(err[0] != '\0', "case %zu has no message", i);
	}
	const char *help[] = {"vigil-sandbox", "--help", NULL};
	ck_assert_int_eq(parse(&o, err, help), 1);
}
END_TEST

START_TEST(listen_spec)
{
	char host[64];
	unsigned port;
	ck_assert_int_eq(sbx_parse_listen("127.0.0.1:0", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 0);
	ck_assert_int_eq(sbx_parse_listen("[::1]:9001", host, sizeof(host), &port), 0);
	ck_assert_uint_eq(port, 9001);
	ck_assert_int_eq(sbx_parse_listen(":80", host, sizeof(host), &port), -EINVAL);
	ck_assert_int_eq(sbx_parse_listen("h:", host, sizeof(host), &port), -EINVAL);
	ck_assert_int_eq(sbx_parse_listen("h:-1", host, sizeof(host), &port), -EINVAL);
	ck_assert_int_eq(sbx_parse_listen("averyveryverylonghostname:1", host, 8, &port), -EINVAL);
}
END_TEST

START_TEST(batch_lines)
{
	struct vg_buf b = VG_BUF_INIT(4096);
	struct sbx_result r = {.status = "success", .duration_ms = 1.23456};
	strcpy(r.request_id, "3f6c9d2a-1b2c-4d5e-8f90-a1b2c3d4e5f6");
	r.body = strdup("{\"ok\": true}");
	r.body_len = strlen(r.body);
	sbx_batch_line(&b, 1, &r);
	ck_assert_str_eq(b.data, "{\"n\":1,\"requestId\":\"3f6c9d2a-1b2c-4d5e-8f90-a1b2c3d4e5f6\","
	                         "\"status\":\"success\",\"response\":{\"ok\":true},"
	                         "\"durationMs\":1.235}\n");
	free(r.body);
	vg_buf_reset(&b);
	r.status = "error";
	strcpy(r.error_type, "Function.X");
	r.body = strdup("not \"json\"");
	r.body_len = strlen(r.body);
	sbx_batch_line(&b, 2, &r);
	ck_assert_ptr_nonnull(strstr(b.data, "\"errorType\":\"Function.X\""));
	ck_assert_ptr_nonnull(strstr(b.data, "\"response\":\"not \\\"json\\\"\""));
	free(r.body);
	vg_buf_fini(&b);
}
END_TEST

static bool env_has(char **env, const char *prefix)
{
	for (char **p = env; *p; p++)
		if (!strncmp(*p, prefix, strlen(prefix)))
			return true;
	return false;
}

START_TEST(environments)
{
	struct sbx_opts o;
	struct sbx s;
	char err[256];
	const char *args[] = {"vigil-sandbox",   "--env",     "_HANDLER=index.handler",
	                      "--env",           "MY_VAR=1",  "--env",
	                      "TZ=Europe/Paris", "bootstrap", NULL};

	ck_assert_int_eq(parse(&o, err, args), 0);
	memset(&s, 0, sizeof(s));
	s.opts = &o;
	strcpy(s.api_addr, "127.0.0.1:41234");
	char **rt = sbx_env_build(&s, true), **ext = sbx_env_build(&s, false);
	ck_assert(env_has(rt, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:41234"));
	ck_assert(env_has(rt, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128"));
	ck_assert(env_has(rt, "_HANDLER=index.handler"));
	ck_assert(env_has(rt, "LAMBDA_TASK_ROOT=/var/task"));
	ck_assert(env_has(rt, "AWS_LAMBDA_LOG_STREAM_NAME="));
	ck_assert(env_has(rt, "TZ=Europe/Paris")); /* --env wins */
	ck_assert(env_has(ext, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:41234"));
	ck_assert(env_has(ext, "AWS_LAMBDA_FUNCTION_NAME=test-function"));
	ck_assert(env_has(ext, "MY_VAR=1"));
	ck_assert(!env_has(ext, "_HANDLER="));
	ck_assert(!env_has(ext, "LAMBDA_TASK_ROOT="));
	ck_assert(!env_has(ext, "AWS_LAMBDA_LOG_GROUP_NAME="));
	ck_assert(!env_has(ext, "_AWS_XRAY_DAEMON_PORT="));
	sbx_env_free(rt);
	sbx_env_free(ext);
	sbx_opts_fini(&o);
}
END_TEST

START_TEST(statuses)
{
	ck_assert_str_eq(sbx_status_of(NULL), "success");
	ck_assert_str_eq(sbx_status_of("Sandbox.Timeout"), "timeout");
	ck_assert_str_eq(sbx_status_of("Sandbox.Terminated"), "failure");
	ck_assert_str_eq(sbx_status_of("Runtime.ExitError"), "error");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ext_transitions);
	tcase_add_test(tc, register_body);
	tcase_add_test(tc, features);
	tcase_add_test(tc, error_types);
	tcase_add_test(tc, uuids_and_base64);
	tcase_add_test(tc, options);
	tcase_add_test(tc, listen_spec);
	tcase_add_test(tc, batch_lines);
	tcase_add_test(tc, environments);
	tcase_add_test(tc, statuses);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
