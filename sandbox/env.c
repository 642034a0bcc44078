/* The environment of the runtime (lambda-apis.md §6.1) and of extensions
 * (§6.2: the same, less the runtime-only variables). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proc.h"
#include "vg_util.h"

#define ENV_MAX (SBX_MAX_ENV + 48)

/* Variables Lambda gives the runtime but not extensions. */
static const char *const runtime_only[] = {
    "AWS_EXECUTION_ENV",        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS",   "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
};

/* Host variables passed through so that sanitizer-built test programs
 * behave as configured; nothing else of the host leaks in. */
static const char *const host_pass[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR"};

static bool is_runtime_only(const char *kv)
{
	if (kv[0] == '_') /* _HANDLER, _AWS_XRAY_*, _X_AMZN_TRACE_ID */
		return true;
	for (size_t i = 0; i < VG_ARRAY_SIZE(runtime_only); i++) {
		size_t n = strlen(runtime_only[i]);
		if (!strncmp(kv, runtime_only[i], n) && kv[n] == '=')
			return true;
	}
	return false;
}

/* Sets KEY=VALUE in env, replacing an earlier KEY. */
static int env_set(char **env, size_t *n, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
	char *d = strdup(kv);

	if (!d)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (!strncmp(env[i], kv, kl) && env[i][kl] == '=') {
			free(env[i]);
			env[i] = d;
			return 0;
		}
	if (*n + 1 >= ENV_MAX) {
		free(d);
		return -1;
	}
	env[(*n)++] = d;
	env[*n] = NULL;
	return 0;
}

static int env_setf(char **env, size_t *n, const char *key, const char *value)
{
	char kv[1024];
	snprintf(kv, sizeof(kv), "%s=%s", key, value);
	return env_set(env, n, kv);
}

char **sbx_env_build(struct sbx *s, bool runtime)
{
	const struct sbx_opts *o = s->opts;
	char **env = calloc(ENV_MAX, sizeof(*env));
	char mem[32], stream[128], day[32], hex[37];
	size_t n = 0;
	time_t now = time(NULL);
	struct tm tm;
	int bad = 0;

	if (!env)
		return NULL;
	snprintf(mem, sizeof(mem), "%u", o->memory_mb);
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y/%m/%d", &tm);
	vg_uuid4(hex);
	snprintf(stream, sizeof(stream), "%s/[$LATEST]%.8s%.4s%.4s%.4s%.12s", day, hex, hex + 9,
	         hex + 14, hex + 19, hex + 24);

	bad |= env_setf(env, &n, "AWS_LAMBDA_RUNTIME_API", s->api_addr);
	bad |= env_setf(env, &n, "AWS_LAMBDA_FUNCTION_NAME", o->function_name);
	bad |= env_setf(env, &n, "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
	bad |= env_setf(env, &n, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", mem);
	bad |= env_setf(env, &n, "AWS_REGION", "us-east-1");
	bad |= env_setf(env, &n, "AWS_DEFAULT_REGION", "us-east-1");
	bad |= env_setf(env, &n, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
	{
		char grp[300];
		snprintf(grp, sizeof(grp), "/aws/lambda/%s", o->function_name);
		bad |= env_setf(env, &n, "AWS_LAMBDA_LOG_GROUP_NAME", grp);
	}
	bad |= env_setf(env, &n, "AWS_LAMBDA_LOG_STREAM_NAME", stream);
	bad |= env_setf(env, &n, "LAMBDA_TASK_ROOT", "/var/task");
	bad |= env_setf(env, &n, "LAMBDA_RUNTIME_DIR", "/var/runtime");
	bad |= env_setf(env, &n, "AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000");
	bad |= env_setf(env, &n, "AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR");
	bad |= env_setf(env, &n, "_AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129");
	bad |= env_setf(env, &n, "_AWS_XRAY_DAEMON_PORT", "2000");
	bad |= env_setf(env, &n, "PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin");
	bad |= env_setf(env, &n, "LD_LIBRARY_PATH",
	                "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:"
	                "/opt/lib");
	bad |= env_setf(env, &n, "LANG", "en_US.UTF-8");
	bad |= env_setf(env, &n, "TZ", ":UTC");
	for (size_t i = 0; i < VG_ARRAY_SIZE(host_pass); i++) {
		const char *v = getenv(host_pass[i]);
		if (v)
			bad |= env_setf(env, &n, host_pass[i], v);
	}
	for (unsigned i = 0; i < o->n_env; i++)
		bad |= env_set(env, &n, o->env[i]);
	if (bad) {
		sbx_env_free(env);
		return NULL;
	}
	if (!runtime) {
		size_t w = 0;
		for (size_t i = 0; i < n; i++) {
			if (is_runtime_only(env[i]))
				free(env[i]);
			else
				env[w++] = env[i];
		}
		env[w] = NULL;
	}
	return env;
}

void sbx_env_free(char **env)
{
	if (!env)
		return;
	for (char **p = env; *p; p++)
		free(*p);
	free(env);
}
