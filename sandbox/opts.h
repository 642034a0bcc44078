/* vigil-sandbox's command line (see the contract, section vigil-sandbox). */
#ifndef SBX_OPTS_H
#define SBX_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#define SBX_MAX_ENV 64

struct sbx_opts {
	char *listen;            /* invoke endpoint host:port (port 0: any) */
	char *api;               /* Runtime/Extensions/Telemetry APIs host:port */
	char *opt_dir;           /* layer root; extensions in opt_dir/extensions */
	unsigned timeout_s;      /* function timeout, 1..900 */
	unsigned init_timeout_s; /* init phase, 1..900 (default 10, as Lambda) */
	unsigned memory_mb;      /* 64..10240 */
	char *function_name;
	char *env[SBX_MAX_ENV]; /* KEY=VALUE, owned */
	unsigned n_env;
	char *events;        /* batch mode NDJSON file, NULL when serving */
	char *report;        /* report path, may be NULL */
	bool telemetry_stub; /* Telemetry API answers 202 NotSupported */
	char **argv;         /* BOOTSTRAP ARG..., points into the caller's argv */
	int argc;
};

/* Parses argv (argv[0] is the program). 0, or -EINVAL with a message in
 * err (errn bytes). On 0, free with sbx_opts_fini. 1 means --help was asked
 * (usage is in err). */
int sbx_opts_parse(struct sbx_opts *o, int argc, char **argv, char *err, size_t errn);
void sbx_opts_fini(struct sbx_opts *o);
/* The value of KEY in --env, or NULL. */
const char *sbx_opts_env(const struct sbx_opts *o, const char *key);
extern const char sbx_usage[];

/* "host:port" with port 0..65535 (0: the kernel chooses). host may be a
 * name ("localhost") or an IPv4 address. 0 or -EINVAL. */
int sbx_parse_listen(const char *s, char *host, size_t hostn, unsigned *port);

#endif
