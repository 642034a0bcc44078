#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vg_util.h"

enum var_type { T_ENUM, T_INT, T_PORT, T_STRING, T_URL, T_SECRET };

struct var {
	const char *name;
	enum var_type type;
	const char *def;     /* as written in the environment; NULL: unset */
	int64_t min, max;    /* T_INT and T_PORT */
	const char *choices; /* T_ENUM: '|'-separated, in enum order */
	size_t off;          /* where the value goes in struct ext_config */
	const char *help;
};

#define OFF(f) offsetof(struct ext_config, f)

/* The table. Order is the README's order. */
static const struct var vars[] = {
    {"VIGIL_MODE", T_ENUM, "monitor", 0, 0, "monitor|block", OFF(mode),
     "`monitor`: inspect and alert; `block`: also refuse events whose verdict is block"},
    {"VIGIL_POLICY", T_STRING, NULL, 0, 0, NULL, OFF(policy),
     "colon-separated policy files or folders, loaded over the built-in policy"},
    {"VIGIL_PROXY_PORT", T_PORT, "9009", 1, 65535, NULL, OFF(proxy_port),
     "Runtime API proxy port on 127.0.0.1"},
    {"VIGIL_TELEMETRY_PORT", T_PORT, "4243", 1, 65535, NULL, OFF(telemetry_port),
     "Telemetry API listener port (not 9001, not the proxy port)"},
    {"VIGIL_COLLECTOR_URL", T_URL, NULL, 0, 0, NULL, OFF(collector_url),
     "OTLP/HTTP logs endpoint, e.g. `http://host:4318/v1/logs`; unset: alerts go to stdout "
     "only"},
    {"VIGIL_COLLECTOR_TOKEN", T_SECRET, NULL, 0, 0, NULL, OFF(collector_token),
     "bearer token for the collector; never logged"},
    {"VIGIL_FAIL", T_ENUM, "open", 0, 0, "open|closed", OFF(fail),
     "on an internal failure of the proxy: `open` passes the event through, `closed` "
     "refuses it"},
    {"VIGIL_LOG_LEVEL", T_ENUM, "info", 0, 0, "error|warn|info|debug", OFF(log_level),
     "log level of Vigil's own messages (stderr)"},
    {"VIGIL_TELEMETRY_MAX_ITEMS", T_INT, "1000", 1000, 10000, NULL, OFF(telemetry_max_items),
     "Telemetry API buffering: records per batch"},
    {"VIGIL_TELEMETRY_MAX_BYTES", T_INT, "262144", 262144, 1048576, NULL, OFF(telemetry_max_bytes),
     "Telemetry API buffering: bytes per batch"},
    {"VIGIL_TELEMETRY_TIMEOUT_MS", T_INT, "25", 25, 30000, NULL, OFF(telemetry_timeout_ms),
     "Telemetry API buffering: longest wait before a batch is sent, in ms"},
    {"VIGIL_FLUSH_INVOKE_MS", T_INT, "100", 0, 5000, NULL, OFF(flush_invoke_ms),
     "longest time spent sending an invocation's alerts after the runtime has answered, "
     "before Vigil lets the environment freeze (event/next), in ms; what is left waits for "
     "the next invocation or SHUTDOWN"},
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
		} else if (v->type == T_URL) {
			fputs("`http://` or `https://` URL", out);
		} else {
			fputs("any", out);
		}
		fprintf(out, " | %s |\n", v->help);
	}
}
