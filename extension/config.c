#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tel_pipeline.h"
#include "vg_util.h"

enum var_type { T_ENUM, T_INT, T_PORT, T_STRING, T_URL, T_SECRET, T_DOUBLE };

struct var {
	const char *name;
	enum var_type type;
	const char *def;     /* as written in the environment; NULL: unset */
	int64_t min, max;    /* T_INT and T_PORT */
	const char *choices; /* T_ENUM: '|'-separated, in enum order */
	size_t off;          /* where the value goes in struct ext_config */
	const char *help;
	double dmin, dmax; /* T_DOUBLE */
};

#define OFF(f) offsetof(struct ext_config, f)

/* The table. Order is the README's order. */
static const struct var vars[] = {
    {"VIGIL_MODE", T_ENUM, "monitor", 0, 0, "monitor|block", OFF(mode),
     "`monitor`: inspect and alert; `block`: also refuse events whose verdict is block", 0, 0},
    {"VIGIL_POLICY", T_STRING, NULL, 0, 0, NULL, OFF(policy),
     "colon-separated policy files or folders, loaded over the built-in policy", 0, 0},
    {"VIGIL_PARANOIA", T_INT, "1", 1, 4, NULL, OFF(paranoia),
     "paranoia level of the built-in detectors: 1 alerts on likely attacks; 2 to 4 let ever "
     "weaker signals alert alone (more attacks caught, more false positives); a policy "
     "file's `paranoia` wins",
     0, 0},
    {"VIGIL_PROXY_PORT", T_PORT, "9009", 1, 65535, NULL, OFF(proxy_port),
     "Runtime API proxy port on 127.0.0.1", 0, 0},
    {"VIGIL_TELEMETRY_PORT", T_PORT, "4243", 1, 65535, NULL, OFF(telemetry_port),
     "Telemetry API listener port (not 9001, not the proxy port)", 0, 0},
    {"VIGIL_COLLECTOR_URL", T_URL, NULL, 0, 0, NULL, OFF(collector_url),
     "OTLP/HTTP logs endpoint, e.g. `http://host:4318/v1/logs`; unset: alerts go to stdout "
     "only",
     0, 0},
    {"VIGIL_COLLECTOR_TOKEN", T_SECRET, NULL, 0, 0, NULL, OFF(collector_token),
     "bearer token for the collector, in plaintext (prefer the two stores below); never "
     "logged",
     0, 0},
    {"VIGIL_COLLECTOR_TOKEN_SECRET", T_STRING, NULL, 0, 0, NULL, OFF(collector_token_secret),
     "AWS Secrets Manager secret (name or ARN) holding the collector token (its "
     "SecretString, or its JSON member `token`), read at init with the function's role; "
     "wins over the two others",
     0, 0},
    {"VIGIL_COLLECTOR_TOKEN_PARAM", T_STRING, NULL, 0, 0, NULL, OFF(collector_token_param),
     "SSM Parameter Store SecureString (name or ARN) holding the collector token, read at "
     "init with the function's role; wins over VIGIL_COLLECTOR_TOKEN",
     0, 0},
    {"VIGIL_AWS_ENDPOINT_URL", T_URL, NULL, 0, 0, NULL, OFF(aws_endpoint_url),
     "base URL replacing `https://<service>.<region>.amazonaws.com` for those two calls "
     "(VPC endpoints, tests)",
     0, 0},
    {"VIGIL_FAIL", T_ENUM, "open", 0, 0, "open|closed", OFF(fail),
     "on an internal failure of the proxy: `open` passes the event through, `closed` "
     "refuses it",
     0, 0},
    {"VIGIL_LOG_LEVEL", T_ENUM, "info", 0, 0, "error|warn|info|debug", OFF(log_level),
     "log level of Vigil's own messages (stderr)", 0, 0},
    {"VIGIL_TELEMETRY_MAX_ITEMS", T_INT, "1000", 1000, 10000, NULL, OFF(telemetry_max_items),
     "Telemetry API buffering: records per batch", 0, 0},
    {"VIGIL_TELEMETRY_MAX_BYTES", T_INT, "262144", 262144, 1048576, NULL, OFF(telemetry_max_bytes),
     "Telemetry API buffering: bytes per batch", 0, 0},
    {"VIGIL_TELEMETRY_TIMEOUT_MS", T_INT, "25", 25, 30000, NULL, OFF(telemetry_timeout_ms),
     "Telemetry API buffering: longest wait before a batch is sent, in ms", 0, 0},
    {"VIGIL_FLUSH_INVOKE_MS", T_INT, "100", 0, 5000, NULL, OFF(flush_invoke_ms),
     "longest time spent sending an invocation's alerts after the runtime has answered, "
     "before Vigil lets the environment freeze (event/next), in ms; what is left waits for "
     "the next invocation or SHUTDOWN",
     0, 0},
    {"VIGIL_EXPORT_QUEUE_RECORDS", T_INT, "1000", 10, 100000, NULL, OFF(export_queue_records),
     "alerts held for export at most; when full the oldest are dropped and counted", 0, 0},
    {"VIGIL_EXPORT_QUEUE_BYTES", T_INT, "4194304", 65536, 67108864, NULL, OFF(export_queue_bytes),
     "bytes of alerts held for export at most (same policy)", 0, 0},
    {"VIGIL_EXPORT_BATCH_RECORDS", T_INT, "200", 1, 10000, NULL, OFF(export_batch_records),
     "alerts per OTLP request at most", 0, 0},
    {"VIGIL_EXPORT_BATCH_BYTES", T_INT, "1048576", 4096, 16777216, NULL, OFF(export_batch_bytes),
     "uncompressed bytes per OTLP request at most", 0, 0},
    {"VIGIL_EXPORT_GZIP", T_ENUM, "on", 0, 0, "off|on", OFF(export_gzip), "gzip the OTLP requests",
     0, 0},
    {"VIGIL_EXPORT_TIMEOUT_MS", T_INT, "5000", 100, 60000, NULL, OFF(export_timeout_ms),
     "longest time one OTLP request may take, in ms (retries are separate)", 0, 0},
    {"VIGIL_TEL_MEMORY_SHARE", T_DOUBLE, "0.9", 0, 0, NULL, OFF(tel_memory_share),
     "`memory_pressure` when the memory used reaches this share of the memory size",
     TEL_MEMORY_SHARE_MIN, TEL_MEMORY_SHARE_MAX},
    {"VIGIL_TEL_DURATION_WARMUP", T_INT, "20", TEL_DURATION_WARMUP_MIN, TEL_DURATION_WINDOW_MAX,
     NULL, OFF(tel_duration_warmup),
     "successful invocations before `duration_anomaly` may fire (at most "
     "VIGIL_TEL_DURATION_WINDOW)",
     0, 0},
    {"VIGIL_TEL_DURATION_WINDOW", T_INT, "100", TEL_DURATION_WINDOW_MIN, TEL_DURATION_WINDOW_MAX,
     NULL, OFF(tel_duration_window), "invocations in the duration baseline (median and MAD)", 0, 0},
    {"VIGIL_TEL_DURATION_K", T_DOUBLE, "6", 0, 0, NULL, OFF(tel_duration_k),
     "`duration_anomaly` above the median plus K robust deviations", TEL_DURATION_K_MIN,
     TEL_DURATION_K_MAX},
    {"VIGIL_TEL_DURATION_MIN_MS", T_DOUBLE, "50", 0, 0, NULL, OFF(tel_duration_min_ms),
     "`duration_anomaly` only for spikes at least this many ms over the median", 0,
     TEL_DURATION_MIN_MS_MAX},
    {"VIGIL_TEL_SURGE_BUCKET_S", T_INT, "10", TEL_SURGE_BUCKET_S_MIN, TEL_SURGE_BUCKET_S_MAX, NULL,
     OFF(tel_surge_bucket_s), "`invocation_surge`: seconds per counting bucket", 0, 0},
    {"VIGIL_TEL_SURGE_WINDOW", T_INT, "30", TEL_SURGE_WINDOW_MIN, TEL_SURGE_WINDOW_MAX, NULL,
     OFF(tel_surge_window), "`invocation_surge`: buckets in the baseline", 0, 0},
    {"VIGIL_TEL_SURGE_WARMUP", T_INT, "6", TEL_SURGE_WARMUP_MIN, TEL_SURGE_WINDOW_MAX, NULL,
     OFF(tel_surge_warmup),
     "`invocation_surge`: buckets seen before it may fire (at most VIGIL_TEL_SURGE_WINDOW)", 0, 0},
    {"VIGIL_TEL_SURGE_RATIO", T_DOUBLE, "10", 0, 0, NULL, OFF(tel_surge_ratio),
     "`invocation_surge` when a bucket exceeds this multiple of the baseline's median",
     TEL_SURGE_RATIO_MIN, TEL_SURGE_RATIO_MAX},
    {"VIGIL_TEL_SURGE_MIN", T_INT, "50", TEL_SURGE_MIN_MIN, TEL_SURGE_MIN_MAX, NULL,
     OFF(tel_surge_min), "`invocation_surge` only from this many invocations in a bucket", 0, 0},
    {"VIGIL_TEL_REQUESTS_MAX", T_INT, "1024", TEL_REQUESTS_MAX_MIN, TEL_REQUESTS_MAX_MAX, NULL,
     OFF(tel_requests_max),
     "requests whose telemetry state is remembered (least recently used go first)", 0, 0},
    {"VIGIL_TEL_ALERT_WINDOW_S", T_INT, "60", TEL_ALERT_WINDOW_S_MIN, TEL_ALERT_WINDOW_S_MAX, NULL,
     OFF(tel_alert_window_s), "alerts without a request id are raised once per this many seconds",
     0, 0},
    {"VIGIL_TEL_SECRETS", T_ENUM, "on", 0, 0, "off|on", OFF(tel_secrets),
     "scan function and extension logs for secrets (`secret_in_logs`)", 0, 0},
    {"VIGIL_TEL_BODY_MAX", T_INT, "4194304", TEL_BODY_MAX_MIN, TEL_BODY_MAX_MAX, NULL,
     OFF(tel_body_max),
     "largest Telemetry API batch accepted, in bytes (larger ones are refused and counted)", 0, 0},
};

/* Index of s in a '|'-separated list, case-insensitively; -1 when absent. */
static int choice_index(const char *choices, const char *s)
{
	size_t sl = strlen(s);
	int i = 0;
	for (const char *p = choices;; i++) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == sl && !strncasecmp(p, s, n))
			return i;
		if (!bar)
			return -1;
		p = bar + 1;
	}
}

static int set_var(struct ext_config *c, const struct var *v, const char *s, char *err, size_t errn)
{
	char *slot = (char *)c + v->off;
	int64_t n;

	switch (v->type) {
	case T_ENUM: {
		int i = choice_index(v->choices, s);
		if (i < 0) {
			snprintf(err, errn, "%s=\"%.64s\" is not one of %s", v->name, s,
			         v->choices);
			return -EINVAL;
		}
		/* Every enum of the table is int-sized. */
		*(int *)slot = i;
		return 0;
	}
	case T_INT:
	case T_PORT:
		if (vg_parse_i64(s, v->min, v->max, &n) < 0) {
			snprintf(err, errn, "%s=\"%.64s\" is not a whole number in %lld..%lld",
			         v->name, s, (long long)v->min, (long long)v->max);
			return -EINVAL;
		}
		if (v->type == T_PORT)
			*(uint16_t *)slot = (uint16_t)n;
		else
			*(int64_t *)slot = n;
		return 0;
	case T_DOUBLE: {
		char *end = NULL;
		errno = 0;
		double d = strtod(s, &end);
		if (errno || end == s || *end || !(d >= v->dmin && d <= v->dmax)) {
			snprintf(err, errn, "%s=\"%.64s\" is not a number in %g..%g", v->name, s,
			         v->dmin, v->dmax);
			return -EINVAL;
		}
		*(double *)slot = d;
		return 0;
	}
	case T_URL:
		if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8)) {
			/* The value is not echoed: a URL may carry credentials. */
			snprintf(err, errn, "%s is not an http:// or https:// URL", v->name);
			return -EINVAL;
		}
		/* fall through */
	case T_STRING:
	case T_SECRET:
		*(const char **)slot = *s ? s : NULL;
		return 0;
	}
	return -EINVAL;
}

int ext_config_load(struct ext_config *c, char *err, size_t errn)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < VG_ARRAY_SIZE(vars); i++) {
		const char *s = getenv(vars[i].name);
		if (!s || !*s)
			s = vars[i].def;
		if (!s)
			continue;
		int r = set_var(c, &vars[i], s, err, errn);
		if (r < 0)
			return r;
	}
	/* Rules that tie variables together. */
	if (c->telemetry_port == 9001) {
		snprintf(err, errn, "VIGIL_TELEMETRY_PORT=9001 is reserved by Lambda");
		return -EINVAL;
	}
	if (c->tel_duration_warmup > c->tel_duration_window) {
		snprintf(err, errn,
		         "VIGIL_TEL_DURATION_WARMUP=%lld exceeds VIGIL_TEL_DURATION_WINDOW=%lld",
		         (long long)c->tel_duration_warmup, (long long)c->tel_duration_window);
		return -EINVAL;
	}
	if (c->tel_surge_warmup > c->tel_surge_window) {
		snprintf(err, errn,
		         "VIGIL_TEL_SURGE_WARMUP=%lld exceeds VIGIL_TEL_SURGE_WINDOW=%lld",
		         (long long)c->tel_surge_warmup, (long long)c->tel_surge_window);
		return -EINVAL;
	}
	if (c->telemetry_port == c->proxy_port) {
		snprintf(err, errn, "VIGIL_TELEMETRY_PORT and VIGIL_PROXY_PORT are both %u",
		         c->proxy_port);
		return -EINVAL;
	}
	return 0;
}

static const char *type_name(const struct var *v)
{
	switch (v->type) {
	case T_ENUM:
		return "enum";
	case T_INT:
		return "integer";
	case T_PORT:
		return "port";
	case T_URL:
		return "URL";
	case T_SECRET:
		return "secret";
	case T_DOUBLE:
		return "number";
	case T_STRING:
		break;
	}
	return "string";
}

void ext_config_markdown(FILE *out)
{
	fputs("| variable | type | default | allowed | meaning |\n", out);
	fputs("| --- | --- | --- | --- | --- |\n", out);
	for (size_t i = 0; i < VG_ARRAY_SIZE(vars); i++) {
		const struct var *v = &vars[i];
		fprintf(out, "| `%s` | %s | ", v->name, type_name(v));
		if (v->def)
			fprintf(out, "`%s`", v->def);
		else
			fputs(v->off == OFF(policy) ? "built-in" : "unset", out);
		fputs(" | ", out);
		if (v->type == T_ENUM) {
			for (const char *p = v->choices; *p; p++)
				if (*p == '|')
					fputs("`, `", out);
				else if (p == v->choices)
					fprintf(out, "`%c", *p);
				else
					fputc(*p, out);
			fputc('`', out);
		} else if (v->type == T_INT || v->type == T_PORT) {
			fprintf(out, "%lld..%lld", (long long)v->min, (long long)v->max);
		} else if (v->type == T_DOUBLE) {
			fprintf(out, "%g..%g", v->dmin, v->dmax);
		} else if (v->type == T_URL) {
			fputs("`http://` or `https://` URL", out);
		} else {
			fputs("any", out);
		}
		fprintf(out, " | %s |\n", v->help);
	}
}
