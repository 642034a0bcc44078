#include "opts.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_util.h"

const char sbx_usage[] =
    "usage: vigil-sandbox [OPTIONS] [--] BOOTSTRAP [ARG...]\n"
    "  --listen HOST:PORT     invoke endpoint (default 127.0.0.1:8080; port 0: any)\n"
    "  --api HOST:PORT        Runtime, Extensions, Telemetry APIs (default 127.0.0.1:9001)\n"
    "  --opt DIR              layer root; extensions start from DIR/extensions/ (default /opt)\n"
    "  --timeout SECONDS      function timeout (default 30)\n"
    "  --init-timeout SECONDS init phase limit (default 10)\n"
    "  --memory MB            function memory size (default 128)\n"
    "  --function-name NAME   (default test-function)\n"
    "  --env KEY=VALUE        extra variable for runtime and extensions (repeatable)\n"
    "  --events FILE          batch mode: NDJSON events, invoked in order\n"
    "  --report FILE          JSON record of the run, written at exit\n"
    "  --telemetry-stub       Telemetry API answers 202 Telemetry.NotSupported (as RIE)\n";

static int set_str(char **dst, const char *v)
{
	char *d = strdup(v);
	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

static int parse_uint(const char *v, int64_t min, int64_t max, unsigned *out)
{
	int64_t n;
	int r = vg_parse_i64(v, min, max, &n);
	if (r < 0)
		return r;
	*out = (unsigned)n;
	return 0;
}

int sbx_parse_listen(const char *s, char *host, size_t hostn, unsigned *port)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	int64_t p;

	if (!colon || colon == s || (size_t)(colon - s) >= hostn)
		return -EINVAL;
	if (vg_parse_i64(colon + 1, 0, 65535, &p) < 0)
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*port = (unsigned)p;
	return 0;
}

static int check_listen(const char *v)
{
	char host[256];
	unsigned port;
	return sbx_parse_listen(v, host, sizeof(host), &port);
}

int sbx_opts_parse(struct sbx_opts *o, int argc, char **argv, char *err, size_t errn)
{
	int i, r = 0;

	memset(o, 0, sizeof(*o));
	o->timeout_s = 30;
	o->init_timeout_s = 10;
	o->memory_mb = 128;
	if (set_str(&o->listen, "127.0.0.1:8080") || set_str(&o->api, "127.0.0.1:9001") ||
	    set_str(&o->opt_dir, "/opt") || set_str(&o->function_name, "test-function"))
		goto nomem;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			snprintf(err, errn, "%s", sbx_usage);
			sbx_opts_fini(o);
			return 1;
		}
		if (!strcmp(a, "--telemetry-stub")) {
			o->telemetry_stub = true;
			continue;
		}
		if (a[0] != '-' || a[1] != '-')
			break; /* BOOTSTRAP */
		if (!v) {
			snprintf(err, errn, "%s needs a value", a);
			goto inval;
		}
		i++;
		if (!strcmp(a, "--listen") || !strcmp(a, "--api")) {
			if (check_listen(v) < 0) {
				snprintf(err, errn, "%s: expected HOST:PORT, got '%s'", a, v);
				goto inval;
			}
			r = set_str(a[2] == 'l' ? &o->listen : &o->api, v);
		} else if (!strcmp(a, "--opt")) {
			r = set_str(&o->opt_dir, v);
		} else if (!strcmp(a, "--timeout")) {
			if (parse_uint(v, 1, 900, &o->timeout_s) < 0) {
				snprintf(err, errn, "--timeout: expected 1..900 seconds, got '%s'",
				         v);
				goto inval;
			}
		} else if (!strcmp(a, "--init-timeout")) {
			if (parse_uint(v, 1, 900, &o->init_timeout_s) < 0) {
				snprintf(err, errn,
				         "--init-timeout: expected 1..900 seconds, got '%s'", v);
				goto inval;
			}
		} else if (!strcmp(a, "--memory")) {
			if (parse_uint(v, 16, 10240, &o->memory_mb) < 0) {
				snprintf(err, errn, "--memory: expected 16..10240 MB, got '%s'", v);
				goto inval;
			}
		} else if (!strcmp(a, "--function-name")) {
			if (!*v || strlen(v) > 140) {
				snprintf(err, errn, "--function-name: 1..140 characters");
				goto inval;
			}
			r = set_str(&o->function_name, v);
		} else if (!strcmp(a, "--env")) {
			const char *eq = strchr(v, '=');
			if (!eq || eq == v) {
				snprintf(err, errn, "--env: expected KEY=VALUE, got '%s'", v);
				goto inval;
			}
			if (o->n_env == SBX_MAX_ENV) {
				snprintf(err, errn, "--env: at most %d variables", SBX_MAX_ENV);
				goto inval;
			}
			if (!(o->env[o->n_env] = strdup(v)))
				goto nomem;
			o->n_env++;
		} else if (!strcmp(a, "--events")) {
			r = set_str(&o->events, v);
		} else if (!strcmp(a, "--report")) {
			r = set_str(&o->report, v);
		} else {
			snprintf(err, errn, "unknown option %s", a);
			goto inval;
		}
		if (r < 0)
			goto nomem;
	}
	if (i >= argc) {
		snprintf(err, errn, "missing BOOTSTRAP");
		goto inval;
	}
	o->argv = argv + i;
	o->argc = argc - i;
	return 0;

nomem:
	snprintf(err, errn, "out of memory");
	sbx_opts_fini(o);
	return -ENOMEM;
inval:
	sbx_opts_fini(o);
	return -EINVAL;
}

void sbx_opts_fini(struct sbx_opts *o)
{
	free(o->listen);
	free(o->api);
	free(o->opt_dir);
	free(o->function_name);
	free(o->events);
	free(o->report);
	for (unsigned i = 0; i < o->n_env; i++)
		free(o->env[i]);
	memset(o, 0, sizeof(*o));
}

const char *sbx_opts_env(const struct sbx_opts *o, const char *key)
{
	size_t kl = strlen(key);
	/* The last --env wins, as with repeated assignments. */
	for (unsigned i = o->n_env; i-- > 0;)
		if (!strncmp(o->env[i], key, kl) && o->env[i][kl] == '=')
			return o->env[i] + kl + 1;
	return NULL;
}
