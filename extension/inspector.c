#include "inspector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pol.h"
#include "vg_buf.h"

#define POLICY_PATHS_MAX 32
/* A refusal document: a 403 or an error naming rule and field path. */
#define BLOCK_DOC_MAX (16 * 1024)

struct ext_inspector {
	struct ext_inspector_opts o;
	struct pol_engine *eng;
	struct px_inspector hook;
};

/* What one event's inspection keeps between inspect() and done(). */
struct verdict_state {
	struct pol_result *res;
	struct vg_buf doc;
};

static int inspect(void *ctx, const struct px_event *ev, struct px_verdict *v)
{
	struct ext_inspector *x = ctx;
	struct verdict_state *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	vg_buf_init(&st->doc, BLOCK_DOC_MAX);
	r = pol_inspect(x->eng, ev->body, ev->len, &st->res);
	if (r < 0)
		goto err;
	switch (pol_result_verdict(st->res)) {
	case POL_PASS:
		v->action = PX_PASS;
		break;
	case POL_BLOCK:
		v->action = PX_BLOCK;
		break;
	case POL_ALERT:
	case POL_ERROR: /* not JSON: a malformed finding, the event passes */
		v->action = PX_ALERT;
		break;
	}
	if (v->action == PX_BLOCK) {
		const char *etype = NULL;
		r = pol_block_response(st->res, &st->doc, &etype);
		if (r < 0)
			goto err;
		v->block_body = st->doc.data;
		v->block_len = st->doc.len;
		v->block_error_type = r == 1 ? NULL : etype;
	}
	v->priv = st;
	return 0;

err:
	pol_result_free(st->res);
	vg_buf_fini(&st->doc);
	free(st);
	return r;
}

static const char *otlp_severity(enum pol_severity s)
{
	switch (s) {
	case POL_SEV_CRITICAL:
	case POL_SEV_HIGH:
		return "ERROR";
	case POL_SEV_MEDIUM:
		return "WARN";
	case POL_SEV_LOW:
	case POL_SEV_INFO:
		break;
	}
	return "INFO";
}

static void raise_alerts(struct ext_inspector *x, const struct px_event *ev,
                         const struct pol_result *res, int blocked)
{
	const char *source = pol_source_name(pol_result_source(res));
	bool exhausted = pol_result_budget_exhausted(res) != 0;
	char score[16], summary[512], first_id[33] = "";
	enum pol_severity worst = POL_SEV_INFO;
	size_t n = pol_result_count(res);

	snprintf(score, sizeof(score), "%u", pol_result_score(res));
	for (size_t i = 0; i < n; i++) {
		const struct pol_finding *f = pol_result_finding(res, i);
		const char *cat = pol_category_name(f->category);
		struct tel_attr attrs[3] = {
		    {"vigil.severity", pol_severity_name(f->severity), 0},
		    {"vigil.score", score, 1},
		    {"vigil.budget_exhausted", "true", 0},
		};
		snprintf(summary, sizeof(summary), "%s %s in a %s event at %s (rule %s)%s",
		         blocked ? "blocked" : "detected", cat, source, f->path ? f->path : "-",
		         f->rule ? f->rule : "-",
		         exhausted ? "; time budget exhausted, the rest of the event passed unseen"
		                   : "");
		struct tel_alert a = {
		    .kind = "inspection",
		    .category = cat,
		    .rule = f->rule,
		    .action = blocked ? "block" : "alert",
		    .severity = otlp_severity(f->severity),
		    .request_id = ev->request_id,
		    .source = source,
		    .path = f->path && *f->path ? f->path : NULL,
		    .excerpt = f->excerpt && *f->excerpt ? f->excerpt : NULL,
		    .summary = summary,
		    .attrs = attrs,
		    .n_attrs = exhausted ? 3 : 2,
		};
		if (i == 0)
			tel_alert_id(&a, first_id);
		if (f->severity > worst)
			worst = f->severity;
		tel_emit(x->o.sink, &a);
	}
	if (n && x->o.flagged && *ev->request_id)
		x->o.flagged(x->o.flagged_ctx, ev->request_id, first_id, otlp_severity(worst));
}

static void done(void *ctx, const struct px_event *ev, struct px_verdict *v, int blocked)
{
	struct ext_inspector *x = ctx;
	struct verdict_state *st = v->priv;

	if (!st)
		return;
	/* Findings under the threshold are weak signals that only count
	 * together: a passing event raises nothing. */
	if (v->action != PX_PASS)
		raise_alerts(x, ev, st->res, blocked);
	pol_result_free(st->res);
	vg_buf_fini(&st->doc);
	free(st);
	v->priv = NULL;
}

/* Splits VIGIL_POLICY on ':' into paths (copies in *store). */
static int split_paths(const char *list, char **store, const char **paths, size_t *n)
{
	*n = 0;
	*store = NULL;
	if (!list || !*list)
		return 0;
	char *s = strdup(list);
	if (!s)
		return -ENOMEM;
	*store = s;
	for (char *save = NULL, *p = strtok_r(s, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		if (*n == POLICY_PATHS_MAX)
			return -E2BIG;
		paths[(*n)++] = p;
	}
	return 0;
}

int ext_inspector_new(const struct ext_inspector_opts *o, struct ext_inspector **out, char *err,
                      size_t errn)
{
	const char *paths[POLICY_PATHS_MAX];
	char *store = NULL;
	size_t n = 0;
	int r;

	err[0] = '\0';
	struct ext_inspector *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->o = *o;
	r = split_paths(o->policy, &store, paths, &n);
	if (r == -E2BIG)
		snprintf(err, errn, "VIGIL_POLICY names more than %d files or folders",
		         POLICY_PATHS_MAX);
	if (r < 0)
		goto err;
	r = pol_engine_new_at(&x->eng, o->paranoia ? o->paranoia : 1, paths, n,
	                      o->block ? POL_MODE_BLOCK : POL_MODE_MONITOR, err, errn);
	if (r < 0)
		goto err;
	free(store);
	x->hook = (struct px_inspector){.inspect = inspect, .done = done, .ctx = x};
	*out = x;
	return 0;

err:
	free(store);
	free(x);
	return r;
}

void ext_inspector_free(struct ext_inspector *x)
{
	if (!x)
		return;
	pol_engine_free(x->eng);
	free(x);
}

const struct px_inspector *ext_inspector_hook(struct ext_inspector *x)
{
	return &x->hook;
}
