/* `vigil inspect` and `vigil policy check`: see pol_cli.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pol.h"
#include "pol_cli.h"
#include "vg_buf.h"
#include "vg_time.h"

#define INPUT_MAX   (256u << 20) /* one input file or stream */
#define POLICIES_MAX 64

static const char usage_inspect[] =
	"usage: vigil inspect [--policy FILE]... [--mode monitor|block] [--ndjson] [FILE|-]...\n";
static const char usage_policy[] = "usage: vigil policy check FILE...\n";

struct run {
	const struct pol_engine *eng;
	unsigned long n;
	int bad_json;
	struct vg_buf out;
};

static int read_all(FILE *f, struct vg_buf *b)
{
	char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		int r = vg_buf_append(b, chunk, k);
		if (r)
			return r;
	}
	return ferror(f) ? -EIO : 0;
}

/* One event: inspect, print its line. id/idn: the echoed id (raw JSON). */
static int inspect_one(struct run *run, const char *ev, size_t n, const char *id, size_t idn)
{
	struct pol_result *res;
	uint64_t t0 = vg_mono_ns();
	int r = pol_inspect(run->eng, ev, n, &res);
	double us = (double)(vg_mono_ns() - t0) / 1000.0;
	if (r)
		return r;
	struct vg_buf *o = &run->out;
	vg_buf_reset(o);
	r = vg_buf_printf(o, "{\"n\":%lu", ++run->n);
	if (!r && id) {
		r = vg_buf_puts(o, ",\"id\":");
		r = r ? r : vg_buf_append(o, id, idn);
	}
	enum pol_verdict v = pol_result_verdict(res);
	r = r ? r : vg_buf_printf(o, ",\"source\":\"%s\",\"verdict\":\"%s\",\"score\":%u,\"findings\":",
				  pol_source_name(pol_result_source(res)), pol_verdict_name(v),
				  pol_result_score(res));
	r = r ? r : pol_result_findings_json(res, o);
	r = r ? r : vg_buf_printf(o, ",\"us\":%.1f}\n", us);
	if (v == POL_ERROR)
		run->bad_json = 1;
	pol_result_free(res);
	if (!r)
		fwrite(o->data, 1, o->len, stdout);
	return r;
}

/* An NDJSON line: an object with an "event" member is a wrapper whose
 * "id" is echoed. */
static int inspect_line(struct run *run, const char *s, size_t n)
{
	struct pol_json d;
	const char *ev = s, *id = NULL;
	size_t evn = n, idn = 0;
	if (pol_json_parse(&d, s, n) == 0 && d.nodes[0].type == POL_J_OBJ) {
		int64_t e = pol_json_get(&d, 0, "event");
		if (e >= 0) {
			ev = s + d.nodes[e].src_off;
			evn = d.nodes[e].src_end - d.nodes[e].src_off;
			int64_t i = pol_json_get(&d, 0, "id");
			if (i >= 0 && d.nodes[i].type != POL_J_OBJ && d.nodes[i].type != POL_J_ARR) {
				id = s + d.nodes[i].src_off;
				idn = d.nodes[i].src_end - d.nodes[i].src_off;
			}
		}
	}
	int r = inspect_one(run, ev, evn, id, idn);
	pol_json_fini(&d);
	return r;
}

static int inspect_stream(struct run *run, const char *name, bool ndjson)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	if (!f) {
		fprintf(stderr, "vigil inspect: %s: %s\n", name, strerror(errno));
		return -ENOENT;
	}
	struct vg_buf b = VG_BUF_INIT(INPUT_MAX);
	int r = read_all(f, &b);
	if (f != stdin)
		fclose(f);
	if (r) {
		fprintf(stderr, "vigil inspect: %s: %s\n", name,
			r == -ENOBUFS ? "larger than 256 MiB" : strerror(-r));
		vg_buf_fini(&b);
		return r;
	}
	const char *s = b.data ? b.data : "";
	if (!ndjson) {
		r = inspect_one(run, s, b.len, NULL, 0);
	} else {
		size_t i = 0;
		while (!r && i < b.len) {
			const char *nl = memchr(s + i, '\n', b.len - i);
			size_t e = nl ? (size_t)(nl - s) : b.len;
			size_t a = i, z = e;
			while (a < z && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r'))
				a++;
			while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t' || s[z - 1] == '\r'))
				z--;
			if (z > a)
				r = inspect_line(run, s + a, z - a);
			i = e + 1;
		}
	}
	vg_buf_fini(&b);
	if (r)
		fprintf(stderr, "vigil inspect: %s: %s\n", name, strerror(-r));
	return r;
}

static int cmd_inspect(int argc, char **argv)
{
	const char *policies[POLICIES_MAX];
	size_t np = 0;
	enum pol_mode mode = POL_MODE_MONITOR;
	bool ndjson = false;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--policy") == 0 && i + 1 < argc) {
			if (np == POLICIES_MAX) {
				fprintf(stderr, "vigil inspect: more than %d policies\n", POLICIES_MAX);
				return 2;
			}
			policies[np++] = argv[++i];
		} else if (strncmp(a, "--policy=", 9) == 0 && np < POLICIES_MAX) {
			policies[np++] = a + 9;
		} else if (strcmp(a, "--mode") == 0 && i + 1 < argc) {
			const char *m = argv[++i];
			if (strcmp(m, "monitor") == 0) {
				mode = POL_MODE_MONITOR;
			} else if (strcmp(m, "block") == 0) {
				mode = POL_MODE_BLOCK;
			} else {
				fprintf(stderr, "vigil inspect: --mode is monitor or block\n%s",
					usage_inspect);
				return 2;
			}
		} else if (strcmp(a, "--ndjson") == 0) {
			ndjson = true;
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "vigil inspect: unknown option %s\n%s", a, usage_inspect);
			return 2;
		} else {
			break;
		}
	}
	struct pol_engine *eng;
	char err[512];
	int r = pol_engine_new(&eng, policies, np, mode, err, sizeof(err));
	if (r) {
		fprintf(stderr, "vigil inspect: %s\n", r == -EINVAL || err[0] ? err : strerror(-r));
		return 2;
	}
	struct run run = {.eng = eng, .out = VG_BUF_INIT(64u << 20)};
	int status = 0;
	if (i == argc) {
		if (inspect_stream(&run, "-", ndjson))
			status = 2;
	}
	for (; i < argc && !status; i++)
		if (inspect_stream(&run, argv[i], ndjson))
			status = 2;
	fflush(stdout);
	vg_buf_fini(&run.out);
	pol_engine_free(eng);
	return status ? status : run.bad_json ? 1 : 0;
}

static int cmd_policy(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "check") != 0) {
		fputs(usage_policy, stderr);
		return 2;
	}
	int status = 0;
	for (int i = 2; i < argc; i++) {
		char err[512];
		if (pol_policy_check(argv[i], err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			status = 1;
		} else {
			printf("%s: ok\n", argv[i]);
		}
	}
	return status;
}

int pol_cli_main(int argc, char **argv)
{
	if (argc > 0) {
		const char *base = strrchr(argv[0], '/');
		base = base ? base + 1 : argv[0];
		if (strcmp(base, "vigil") == 0) {
			argc--;
			argv++;
		}
	}
	if (argc > 0 && strcmp(argv[0], "inspect") == 0)
		return cmd_inspect(argc, argv);
	if (argc > 0 && strcmp(argv[0], "policy") == 0)
		return cmd_policy(argc, argv);
	fprintf(stderr, "%s%s", usage_inspect, usage_policy);
	return 2;
}
