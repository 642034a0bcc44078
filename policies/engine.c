/* The engine: the built-in policy, pol_inspect, verdicts and results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pol-private.h"
#include "vg_time.h"

#define ALL_SOURCES ((1u << POL_SRC__COUNT) - 1)
#define DET_ON                                                                                     \
	{                                                                                          \
		POL_ACT_BLOCK, ALL_SOURCES                                                         \
	}

/* The built-in policy. Limits: events up to Lambda's 6 MB synchronous
 * payload pass unflagged; every detector runs on every source and blocks in
 * block mode; an event needs a score of 5 (one likely high-severity finding,
 * or several weak ones) to alert. */
const struct pol_policy pol_default_policy = {
    .limits =
        {
            .event_bytes = 8u << 20,
            .string_bytes = 1u << 20,
            .strings = 200000,
            .depth = 64,
            .layers = 4,
            .budget_us = 50000,
            .findings = 32,
            .nodes = 500000,
        },
    .threshold = 5,
    .paranoia = 1,
    .det = {DET_ON, DET_ON, DET_ON, DET_ON, DET_ON, DET_ON, DET_ON, DET_ON, DET_ON, DET_ON, DET_ON,
            DET_ON},
};

int pol_engine_new(struct pol_engine **out, const char *const *paths, size_t n, enum pol_mode mode,
                   char *err, size_t errn)
{
	return pol_engine_new_at(out, pol_default_policy.paranoia, paths, n, mode, err, errn);
}

int pol_engine_new_at(struct pol_engine **out, unsigned paranoia, const char *const *paths,
                      size_t n, enum pol_mode mode, char *err, size_t errn)
{
	if (err && errn)
		err[0] = '\0';
	if (paranoia < 1 || paranoia > 4) {
		if (err && errn)
			snprintf(err, errn, "paranoia %u is not in 1..4", paranoia);
		return -EINVAL;
	}
	struct pol_engine *e = calloc(1, sizeof(*e));
	int r = -ENOMEM;
	if (!e)
		return -ENOMEM;
	e->mode = mode;
	e->pol = pol_default_policy; /* holds no rules of its own to copy */
	e->pol.paranoia = (uint8_t)paranoia;
	for (size_t i = 0; i < n; i++)
		if ((r = pol_policy_load(&e->pol, paths[i], err, errn)))
			goto fail;
	if (e->pol.nrules && !(e->match_ctx = pol_match_ctx_new())) {
		r = -ENOMEM;
		goto fail;
	}
	*out = e;
	return 0;
fail:
	pol_engine_free(e);
	return r;
}

void pol_engine_free(struct pol_engine *e)
{
	if (!e)
		return;
	pol_policy_fini(&e->pol);
	pol_match_ctx_free(e->match_ctx);
	free(e);
}

enum pol_mode pol_engine_mode(const struct pol_engine *e)
{
	return e->mode;
}

static bool is_limit(enum pol_category c)
{
	return c >= POL_CAT_OVERSIZE;
}

static void decide(const struct pol_engine *e, struct pol_result *r)
{
	unsigned attack = 0;
	bool blocking = false;
	for (size_t i = 0; i < r->nf; i++) {
		if (is_limit(r->f[i].category))
			continue;
		attack += r->f[i].score;
		blocking |= r->f[i].action == POL_ACT_BLOCK;
	}
	if (r->score < e->pol.threshold)
		r->verdict = POL_PASS;
	else if (e->mode == POL_MODE_BLOCK && blocking && attack >= e->pol.threshold)
		r->verdict = POL_BLOCK;
	else
		r->verdict = POL_ALERT;
}

/* What a block response needs to know about the event. */
static void remember_shape(struct pol_result *r, const struct pol_json *d)
{
	if (r->source == POL_SRC_ALB)
		r->multi_headers = pol_json_get(d, 0, "multiValueHeaders") >= 0;
	if (r->source != POL_SRC_APIGW_AUTHORIZER)
		return;
	size_t n;
	const char *arn = pol_json_get_str(d, 0, "methodArn", &n);
	if (!arn)
		arn = pol_json_get_str(d, 0, "routeArn", &n);
	if (arn && n < 2048)
		r->arn = strndup(arn, n);
}

int pol_inspect(const struct pol_engine *e, const char *json, size_t n, struct pol_result **out)
{
	struct pol_result *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->source = POL_SRC_UNKNOWN;
	struct pol_scan sc = {
	    .eng = e,
	    .pol = &e->pol,
	    .res = r,
	    .deadline_ns = vg_mono_ns() + (uint64_t)e->pol.limits.budget_us * 1000,
	};
	if (n > e->pol.limits.event_bytes)
		pol_scan_limit(&sc, POL_CAT_OVERSIZE, "limit.event_bytes");
	struct pol_json d;
	int rc = pol_json_parse_until(&d, json, n, e->pol.limits.nodes, sc.deadline_ns);
	if (rc == -ETIME) {
		/* a document so big its parse alone spends the budget: it
		 * passes, flagged */
		pol_scan_clock(&sc);
		decide(e, r);
		pol_scan_fini(&sc);
		pol_json_fini(&d);
		*out = r;
		return 0;
	}
	if (rc == -EFBIG) {
		/* Too many values to build a tree within the memory we allow
		 * ourselves: say so, and still run the detectors over the raw
		 * text (linear, under the time budget). */
		pol_scan_limit(&sc, POL_CAT_OVERSIZE, "limit.nodes");
		pol_scan_input(&sc, json, n, POL_IN_BODY);
		decide(e, r);
		pol_scan_fini(&sc);
		pol_json_fini(&d);
		*out = r;
		return 0;
	}
	if (rc == -ENOMEM) {
		pol_json_fini(&d);
		pol_result_free(r);
		return -ENOMEM;
	}
	if (rc) {
		pol_scan_limit(&sc, POL_CAT_MALFORMED, "malformed.json");
		r->verdict = POL_ERROR;
	} else {
		r->source = pol_source_classify(&d);
		remember_shape(r, &d);
		pol_extract(&sc, &d, r->source);
		decide(e, r);
	}
	pol_scan_fini(&sc);
	pol_json_fini(&d);
	*out = r;
	return 0;
}

void pol_result_free(struct pol_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nf; i++) {
		free((char *)r->f[i].path);
		free((char *)r->f[i].excerpt);
	}
	free(r->f);
	free(r->arn);
	free(r);
}

enum pol_verdict pol_result_verdict(const struct pol_result *r)
{
	return r->verdict;
}

enum pol_source pol_result_source(const struct pol_result *r)
{
	return r->source;
}

unsigned pol_result_score(const struct pol_result *r)
{
	return r->score;
}

int pol_result_budget_exhausted(const struct pol_result *r)
{
	return r->exhausted;
}

size_t pol_result_count(const struct pol_result *r)
{
	return r->nf;
}

const struct pol_finding *pol_result_finding(const struct pol_result *r, size_t i)
{
	return i < r->nf ? &r->f[i] : NULL;
}

int pol_result_findings_json(const struct pol_result *r, struct vg_buf *b)
{
	int rc = vg_buf_putc(b, '[');
	for (size_t i = 0; i < r->nf && !rc; i++) {
		const struct pol_finding *f = &r->f[i];
		rc = vg_buf_puts(b, i ? ",{\"rule\":" : "{\"rule\":");
		rc = rc ? rc : vg_buf_json_str(b, f->rule, strlen(f->rule));
		rc = rc ? rc
		        : vg_buf_printf(b, ",\"category\":\"%s\",\"severity\":\"%s\",\"path\":",
		                        pol_category_name(f->category),
		                        pol_severity_name(f->severity));
		rc = rc ? rc : vg_buf_json_str(b, f->path, strlen(f->path));
		rc = rc ? rc : vg_buf_puts(b, ",\"excerpt\":");
		rc = rc ? rc : vg_buf_json_str(b, f->excerpt, strlen(f->excerpt));
		rc = rc ? rc : vg_buf_putc(b, '}');
	}
	return rc ? rc : vg_buf_putc(b, ']');
}
