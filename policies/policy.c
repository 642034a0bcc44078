/* Policy files: JSON layered over the built-in policy. Strict: an unknown
 * member, a wrong type or an out-of-range number is an error naming the
 * file, the line and the cause, so a typo never silently weakens a policy.
 *
 *   {
 *     "paranoia": 1..4, "threshold": 1..1000,
 *     "limits": {"event_bytes", "string_bytes", "strings", "depth", "layers",
 *                "budget_us", "findings", "nodes"},
 *     "detectors": {"xss": "off" | "alert" | "block" |
 *                          {"action": ..., "sources": ["apigw-*", ...]}},
 *     "rules": [{"id", "category", "severity", "confidence", "paranoia",
 *                "action", "score", "targets": {"sources": [...], "paths": [...]},
 *                "transforms": [...], "regex": "...", "phrases": [...]}],
 *     "exclusions": [{"rules": [...], "sources": [...], "paths": [...]}]
 *   }
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pol-private.h"
#include "vg_util.h"

#define POLICY_FILE_MAX (4u << 20)
#define RULES_MAX       4096
#define PHRASES_MAX     1024
#define GLOBS_MAX       64

struct loader {
	const char *file;
	const char *text;
	size_t n;
	const struct pol_json *d;
	char *err;
	size_t errn;
};

#define J(L, i) (&(L)->d->nodes[(i)])

static int __attribute__((format(printf, 3, 4))) bad(struct loader *L, uint32_t node, const char *fmt, ...)
{
	if (!L->err || !L->errn)
		return -EINVAL;
	int k = snprintf(L->err, L->errn, "%s:%u: ", L->file,
			 pol_json_line(L->text, L->n, J(L, node)->src_off));
	if (k > 0 && (size_t)k < L->errn) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(L->err + k, L->errn - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Whether a string value holds a NUL (JSON's \u0000): kept as a C string,
 * a pattern, phrase or id would end there and lose the rest unsaid. */
static bool holds_nul(const struct pol_jnode *nd)
{
	return nd->type == POL_J_STR && memchr(nd->str, '\0', nd->len) != NULL;
}

static bool key_is(const struct pol_jnode *nd, const char *k)
{
	return nd->key_len == strlen(k) && memcmp(nd->key, k, nd->key_len) == 0;
}

static int get_uint(struct loader *L, uint32_t i, uint64_t min, uint64_t max, uint64_t *out)
{
	int64_t v;
	const struct pol_jnode *nd = J(L, i);
	if (nd->type != POL_J_NUM || vg_parse_i64n(nd->str, nd->len, (int64_t)min, (int64_t)max, &v))
		return bad(L, i, "\"%.*s\" must be an integer from %llu to %llu", (int)nd->key_len,
			   nd->key, (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)v;
	return 0;
}

static int get_enum(struct loader *L, uint32_t i, const char *const *names, int count, int *out)
{
	const struct pol_jnode *nd = J(L, i);
	if (nd->type == POL_J_STR)
		for (int k = 0; k < count; k++)
			if (pol_json_streq(nd, names[k])) {
				*out = k;
				return 0;
			}
	char list[256] = "";
	for (int k = 0; k < count; k++) {
		strncat(list, k ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, names[k], sizeof(list) - strlen(list) - 1);
	}
	return bad(L, i, "\"%.*s\" must be one of %s", (int)nd->key_len, nd->key, list);
}

static const char *const action_names[] = {"off", "alert", "block"};
static const char *const severity_names[] = {"info", "low", "medium", "high", "critical"};

/* An array of strings (or one string) into globs. */
static int get_globs(struct loader *L, uint32_t i, struct pol_globs *g)
{
	const struct pol_jnode *nd = J(L, i);
	uint32_t first = i, end = i + 1;
	if (nd->type == POL_J_ARR) {
		first = i + 1;
		end = nd->end;
		if (nd->count > GLOBS_MAX)
			return bad(L, i, "\"%.*s\" holds more than %d patterns", (int)nd->key_len,
				   nd->key, GLOBS_MAX);
	}
	for (uint32_t c = first; c < end; c = J(L, c)->end) {
		if (J(L, c)->type != POL_J_STR || J(L, c)->len == 0 || J(L, c)->len > 512)
			return bad(L, c, "patterns must be non-empty strings of at most 512 bytes");
		if (holds_nul(J(L, c)))
			return bad(L, c, "a pattern must not hold a NUL byte (\\u0000)");
		char **v = realloc(g->v, (g->n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		g->v = v;
		if (!(g->v[g->n] = strndup(J(L, c)->str, J(L, c)->len)))
			return -ENOMEM;
		g->n++;
	}
	return 0;
}

static void globs_free(struct pol_globs *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i]);
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

/* Source names or globs ("apigw-*") into a bit set; a pattern that names no
 * source is an error. */
static int get_sources(struct loader *L, uint32_t i, uint32_t *out)
{
	struct pol_globs g = {0};
	int r = get_globs(L, i, &g);
	uint32_t set = 0;
	for (size_t k = 0; !r && k < g.n; k++) {
		uint32_t one = 0;
		for (int s = 0; s < POL_SRC__COUNT; s++)
			if (pol_glob(g.v[k], pol_source_name((enum pol_source)s)))
				one |= 1u << s;
		if (!one)
			r = bad(L, i, "\"%s\" names no event source", g.v[k]);
		set |= one;
	}
	globs_free(&g);
	if (!r)
		*out = set;
	return r;
}

static int load_limits(struct loader *L, uint32_t o, struct pol_limits *lim)
{
	if (J(L, o)->type != POL_J_OBJ)
		return bad(L, o, "\"limits\" must be an object");
	for (uint32_t c = o + 1; c < J(L, o)->end; c = J(L, c)->end) {
		const struct pol_jnode *nd = J(L, c);
		uint64_t v;
		int r;
		if (key_is(nd, "event_bytes")) {
			if (!(r = get_uint(L, c, 1024, 1ull << 32, &v)))
				lim->event_bytes = v;
		} else if (key_is(nd, "string_bytes")) {
			if (!(r = get_uint(L, c, 64, 1ull << 32, &v)))
				lim->string_bytes = v;
		} else if (key_is(nd, "strings")) {
			if (!(r = get_uint(L, c, 1, 100000000, &v)))
				lim->strings = v;
		} else if (key_is(nd, "depth")) {
			if (!(r = get_uint(L, c, 1, POL_DEPTH_MAX, &v)))
				lim->depth = (uint32_t)v;
		} else if (key_is(nd, "layers")) {
			if (!(r = get_uint(L, c, 0, 16, &v)))
				lim->layers = (uint32_t)v;
		} else if (key_is(nd, "budget_us")) {
			if (!(r = get_uint(L, c, 10, 10000000, &v)))
				lim->budget_us = (uint32_t)v;
		} else if (key_is(nd, "nodes")) {
			if (!(r = get_uint(L, c, 1000, 50000000, &v)))
				lim->nodes = (uint32_t)v;
		} else if (key_is(nd, "findings")) {
			if (!(r = get_uint(L, c, 1, POL_FINDINGS_MAX, &v)))
				lim->findings = (uint32_t)v;
		} else {
			r = bad(L, c, "unknown limit \"%.*s\"", (int)nd->key_len, nd->key);
		}
		if (r)
			return r;
	}
	return 0;
}

static int load_detectors(struct loader *L, uint32_t o, struct pol_policy *pol)
{
	if (J(L, o)->type != POL_J_OBJ)
		return bad(L, o, "\"detectors\" must be an object");
	for (uint32_t c = o + 1; c < J(L, o)->end; c = J(L, c)->end) {
		const struct pol_jnode *nd = J(L, c);
		int cat = pol_category_parse(nd->key, nd->key_len);
		if (cat < 0 || cat > POL_CAT_CODE_INJECTION)
			return bad(L, c, "unknown detector \"%.*s\"", (int)nd->key_len, nd->key);
		struct pol_detector_cfg *dc = &pol->det[cat];
		int r, a;
		if (nd->type == POL_J_STR) {
			if ((r = get_enum(L, c, action_names, 3, &a)))
				return r;
			dc->action = (enum pol_action)a;
			continue;
		}
		if (nd->type != POL_J_OBJ)
			return bad(L, c, "a detector is an action or an object");
		for (uint32_t m = c + 1; m < nd->end; m = J(L, m)->end) {
			if (key_is(J(L, m), "action")) {
				if ((r = get_enum(L, m, action_names, 3, &a)))
					return r;
				dc->action = (enum pol_action)a;
			} else if (key_is(J(L, m), "sources")) {
				if ((r = get_sources(L, m, &dc->sources)))
					return r;
			} else {
				return bad(L, m, "unknown detector setting \"%.*s\"",
					   (int)J(L, m)->key_len, J(L, m)->key);
			}
		}
	}
	return 0;
}

static int load_transforms(struct loader *L, uint32_t a, uint32_t *out)
{
	static const char *const names[] = {"lowercase", "url_decode", "html_decode",
					    "compress_whitespace", "remove_nulls", "base64_decode"};
	if (J(L, a)->type != POL_J_ARR)
		return bad(L, a, "\"transforms\" must be an array");
	for (uint32_t c = a + 1; c < J(L, a)->end; c = J(L, c)->end) {
		int t, r;
		if ((r = get_enum(L, c, names, 6, &t)))
			return r;
		*out |= 1u << t;
	}
	return 0;
}

static int load_phrases(struct loader *L, uint32_t a, struct pol_rule *rule)
{
	if (J(L, a)->type != POL_J_ARR || J(L, a)->count == 0 || J(L, a)->count > PHRASES_MAX)
		return bad(L, a, "\"phrases\" must be an array of 1 to %d strings", PHRASES_MAX);
	rule->phrases = calloc(J(L, a)->count, sizeof(char *));
	rule->phrase_len = calloc(J(L, a)->count, sizeof(size_t));
	if (!rule->phrases || !rule->phrase_len)
		return -ENOMEM;
	for (uint32_t c = a + 1; c < J(L, a)->end; c = J(L, c)->end) {
		const struct pol_jnode *nd = J(L, c);
		if (nd->type != POL_J_STR || nd->len == 0 || nd->len > 256)
			return bad(L, c, "a phrase is a string of 1 to 256 bytes");
		if (holds_nul(nd))
			return bad(L, c, "a phrase must not hold a NUL byte (\\u0000)");
		char *p = strndup(nd->str, nd->len);
		if (!p)
			return -ENOMEM;
		for (size_t i = 0; i < nd->len; i++)
			if (p[i] >= 'A' && p[i] <= 'Z')
				p[i] = (char)(p[i] | 0x20);
		rule->phrases[rule->nphrases] = p;
		rule->phrase_len[rule->nphrases++] = nd->len;
	}
	return 0;
}

static int load_targets(struct loader *L, uint32_t o, struct pol_rule *rule)
{
	if (J(L, o)->type != POL_J_OBJ)
		return bad(L, o, "\"targets\" must be an object with \"sources\" and \"paths\"");
	for (uint32_t c = o + 1; c < J(L, o)->end; c = J(L, c)->end) {
		int r;
		if (key_is(J(L, c), "sources"))
			r = get_sources(L, c, &rule->sources);
		else if (key_is(J(L, c), "paths"))
			r = get_globs(L, c, &rule->paths);
		else
			r = bad(L, c, "unknown target \"%.*s\"", (int)J(L, c)->key_len, J(L, c)->key);
		if (r)
			return r;
	}
	return 0;
}

static int load_rule(struct loader *L, uint32_t o, struct pol_rule *rule)
{
	if (J(L, o)->type != POL_J_OBJ)
		return bad(L, o, "a rule must be an object");
	rule->severity = POL_SEV_HIGH;
	rule->action = POL_ACT_BLOCK;
	rule->confidence = 90;
	rule->paranoia = 1;
	rule->sources = (1u << POL_SRC__COUNT) - 1;
	rule->category = POL_CAT__COUNT;
	int64_t re_node = -1;
	for (uint32_t c = o + 1; c < J(L, o)->end; c = J(L, c)->end) {
		const struct pol_jnode *nd = J(L, c);
		int r = 0, e;
		uint64_t v;
		/* a member given twice is a mistake; the second would not win
		 * cleanly (phrases would mix) */
		for (uint32_t p = o + 1; p < c; p = J(L, p)->end)
			if (J(L, p)->key_len == nd->key_len && memcmp(J(L, p)->key, nd->key, nd->key_len) == 0)
				return bad(L, c, "\"%.*s\" given twice", (int)nd->key_len, nd->key);
		if (key_is(nd, "id")) {
			if (nd->type != POL_J_STR || nd->len == 0 || nd->len > 128)
				return bad(L, c, "\"id\" must be a string of 1 to 128 bytes");
			if (holds_nul(nd))
				return bad(L, c, "\"id\" must not hold a NUL byte (\\u0000)");
			if (!(rule->id = strndup(nd->str, nd->len)))
				return -ENOMEM;
		} else if (key_is(nd, "category")) {
			int cat = nd->type == POL_J_STR ? pol_category_parse(nd->str, nd->len) : -1;
			if (cat < 0 || cat > POL_CAT_CODE_INJECTION)
				return bad(L, c, "\"category\" must name an attack category (sqli, xss, ...)");
			rule->category = (enum pol_category)cat;
		} else if (key_is(nd, "severity")) {
			if (!(r = get_enum(L, c, severity_names, 5, &e)))
				rule->severity = (enum pol_severity)e;
		} else if (key_is(nd, "action")) {
			if (!(r = get_enum(L, c, action_names, 3, &e)))
				rule->action = (enum pol_action)e;
		} else if (key_is(nd, "confidence")) {
			if (!(r = get_uint(L, c, 1, 100, &v)))
				rule->confidence = (uint8_t)v;
		} else if (key_is(nd, "paranoia")) {
			if (!(r = get_uint(L, c, 1, 4, &v)))
				rule->paranoia = (uint8_t)v;
		} else if (key_is(nd, "score")) {
			if (!(r = get_uint(L, c, 1, 1000, &v)))
				rule->score = (uint16_t)v;
		} else if (key_is(nd, "targets")) {
			r = load_targets(L, c, rule);
		} else if (key_is(nd, "transforms")) {
			r = load_transforms(L, c, &rule->transforms);
		} else if (key_is(nd, "phrases")) {
			r = load_phrases(L, c, rule);
		} else if (key_is(nd, "regex")) {
			if (nd->type != POL_J_STR || nd->len == 0 || nd->len > 4096)
				return bad(L, c, "\"regex\" must be a string of 1 to 4096 bytes");
			re_node = c;
		} else {
			r = bad(L, c, "unknown rule member \"%.*s\"", (int)nd->key_len, nd->key);
		}
		if (r)
			return r;
	}
	if (!rule->id)
		return bad(L, o, "a rule needs an \"id\"");
	if (rule->category == POL_CAT__COUNT)
		return bad(L, o, "rule \"%s\" needs a \"category\"", rule->id);
	if (re_node < 0 && !rule->nphrases)
		return bad(L, o, "rule \"%s\" needs a \"regex\" or \"phrases\"", rule->id);
	if (re_node >= 0) {
		char why[200];
		if (pol_rule_compile(rule, J(L, re_node)->str, J(L, re_node)->len, why, sizeof(why)))
			return bad(L, (uint32_t)re_node, "rule \"%s\": %s", rule->id, why);
	}
	return 0;
}

static int load_rules(struct loader *L, uint32_t a, struct pol_policy *pol)
{
	if (J(L, a)->type != POL_J_ARR)
		return bad(L, a, "\"rules\" must be an array");
	for (uint32_t c = a + 1; c < J(L, a)->end; c = J(L, c)->end) {
		if (pol->nrules >= RULES_MAX)
			return bad(L, c, "more than %d rules", RULES_MAX);
		struct pol_rule rule = {0};
		int r = load_rule(L, c, &rule);
		if (r) {
			pol_rule_fini(&rule);
			return r;
		}
		/* a rule with an id already loaded replaces it: later files
		 * refine earlier ones */
		size_t k = 0;
		while (k < pol->nrules && strcmp(pol->rules[k].id, rule.id) != 0)
			k++;
		if (k == pol->nrules) {
			struct pol_rule *v = realloc(pol->rules, (pol->nrules + 1) * sizeof(*v));
			if (!v) {
				pol_rule_fini(&rule);
				return -ENOMEM;
			}
			pol->rules = v;
			pol->nrules++;
		} else {
			pol_rule_fini(&pol->rules[k]);
		}
		pol->rules[k] = rule;
	}
	return 0;
}

static int load_exclusions(struct loader *L, uint32_t a, struct pol_policy *pol)
{
	if (J(L, a)->type != POL_J_ARR)
		return bad(L, a, "\"exclusions\" must be an array");
	for (uint32_t c = a + 1; c < J(L, a)->end; c = J(L, c)->end) {
		if (J(L, c)->type != POL_J_OBJ)
			return bad(L, c, "an exclusion must be an object");
		if (pol->nexcl >= RULES_MAX)
			return bad(L, c, "more than %d exclusions", RULES_MAX);
		struct pol_exclusion x = {.sources = (1u << POL_SRC__COUNT) - 1};
		int r = 0;
		for (uint32_t m = c + 1; !r && m < J(L, c)->end; m = J(L, m)->end) {
			if (key_is(J(L, m), "rules"))
				r = get_globs(L, m, &x.rules);
			else if (key_is(J(L, m), "paths"))
				r = get_globs(L, m, &x.paths);
			else if (key_is(J(L, m), "sources"))
				r = get_sources(L, m, &x.sources);
			else
				r = bad(L, m, "unknown exclusion member \"%.*s\"", (int)J(L, m)->key_len,
					J(L, m)->key);
		}
		if (!r && !x.rules.n && !x.paths.n)
			r = bad(L, c, "an exclusion needs \"rules\" or \"paths\"");
		struct pol_exclusion *v = r ? NULL : realloc(pol->excl, (pol->nexcl + 1) * sizeof(*v));
		if (!v) {
			globs_free(&x.rules);
			globs_free(&x.paths);
			return r ? r : -ENOMEM;
		}
		pol->excl = v;
		pol->excl[pol->nexcl++] = x;
	}
	return 0;
}

static int load_doc(struct loader *L, struct pol_policy *pol)
{
	if (J(L, 0)->type != POL_J_OBJ)
		return bad(L, 0, "a policy must be a JSON object");
	for (uint32_t c = 1; c < J(L, 0)->end; c = J(L, c)->end) {
		const struct pol_jnode *nd = J(L, c);
		uint64_t v;
		int r;
		if (key_is(nd, "paranoia")) {
			if (!(r = get_uint(L, c, 1, 4, &v)))
				pol->paranoia = (uint8_t)v;
		} else if (key_is(nd, "threshold")) {
			if (!(r = get_uint(L, c, 1, 1000, &v)))
				pol->threshold = (uint32_t)v;
		} else if (key_is(nd, "limits")) {
			r = load_limits(L, c, &pol->limits);
		} else if (key_is(nd, "detectors")) {
			r = load_detectors(L, c, pol);
		} else if (key_is(nd, "rules")) {
			r = load_rules(L, c, pol);
		} else if (key_is(nd, "exclusions")) {
			r = load_exclusions(L, c, pol);
		} else if (key_is(nd, "description") || key_is(nd, "version")) {
			r = 0; /* for people */
		} else {
			r = bad(L, c, "unknown member \"%.*s\"", (int)nd->key_len, nd->key);
		}
		if (r)
			return r;
	}
	return 0;
}

static int read_file(const char *path, char **out, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	struct vg_buf b = VG_BUF_INIT(POLICY_FILE_MAX);
	char chunk[16384];
	size_t k;
	int r = 0;
	while (!r && (k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		r = vg_buf_append(&b, chunk, k);
	if (!r && ferror(f))
		r = -EIO;
	fclose(f);
	if (r) {
		vg_buf_fini(&b);
		return r;
	}
	*out = vg_buf_steal(&b, n);
	return *out ? 0 : -ENOMEM;
}

int pol_policy_load_text(struct pol_policy *pol, const char *name, const char *text, size_t n,
			 char *err, size_t errn)
{
	struct pol_json d;
	struct loader L = {name, text, n, &d, err, errn};
	if (n > POLICY_FILE_MAX) {
		if (err && errn)
			snprintf(err, errn, "%s:0: larger than 4 MiB", name);
		return -EINVAL;
	}
	int r = pol_json_parse(&d, text, n);
	if (r == -EINVAL && err && errn)
		snprintf(err, errn, "%s:%u: not valid JSON: %s", name,
			 pol_json_line(text, n, d.err_off), d.err);
	else if (!r)
		r = load_doc(&L, pol);
	pol_json_fini(&d);
	return r;
}

static int load_file(struct pol_policy *pol, const char *path, char *err, size_t errn)
{
	char *text;
	size_t n;
	int r = read_file(path, &text, &n);
	if (r) {
		if (err && errn)
			snprintf(err, errn, "%s:0: %s", path,
				 r == -ENOBUFS ? "larger than 4 MiB" : strerror(-r));
		return r == -ENOBUFS ? -EINVAL : r;
	}
	r = pol_policy_load_text(pol, path, text, n, err, errn);
	free(text);
	return r;
}

static int json_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

int pol_policy_load(struct pol_policy *pol, const char *path, char *err, size_t errn)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		struct dirent **list;
		int n = scandir(path, &list, json_file, alphasort);
		if (n < 0) {
			if (err && errn)
				snprintf(err, errn, "%s:0: %s", path, strerror(errno));
			return -errno;
		}
		int r = 0;
		for (int i = 0; i < n; i++) {
			char full[4096];
			snprintf(full, sizeof(full), "%s/%s", path, list[i]->d_name);
			if (!r)
				r = load_file(pol, full, err, errn);
			free(list[i]);
		}
		free(list);
		return r;
	}
	return load_file(pol, path, err, errn);
}

void pol_policy_fini(struct pol_policy *pol)
{
	for (size_t i = 0; i < pol->nrules; i++)
		pol_rule_fini(&pol->rules[i]);
	free(pol->rules);
	for (size_t i = 0; i < pol->nexcl; i++) {
		globs_free(&pol->excl[i].rules);
		globs_free(&pol->excl[i].paths);
	}
	free(pol->excl);
	pol->rules = NULL;
	pol->excl = NULL;
	pol->nrules = pol->nexcl = 0;
}

int pol_policy_check(const char *path, char *err, size_t errn)
{
	struct pol_policy pol = pol_default_policy;
	int r = pol_policy_load(&pol, path, err, errn);
	pol_policy_fini(&pol);
	return r;
}
