/* Detection on inputs the detectors were not tuned on: attacks and tricky
 * benign text written by hand for Vigil (tests/data/quality/heldout-*),
 * each embedded into an event of every source. Prints detection per class
 * and source and the false-positive rate, then asserts the floors below.
 * The corpora measure breadth; this measures whether the detectors
 * generalise. Totals at paranoia 2 are printed too (reported only).
 *
 *   heldout [-v]   (-v: print misses and false positives)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "pol.h"

/* Floors: measured on main, minus a margin. */
#define MIN_DETECT_PCT 98.0 /* every class together; measured 98.8 % of 10,234 */
#define MAX_FP_PCT     0.5 /* measured 0.36 % of 9,877; one line flagged in all 17 sources is 0.17 % \
	                    */

struct tally {
	unsigned long n, hit;
};

static struct pol_engine *eng, *eng2; /* the built-in policy; the same at paranoia 2 */
static struct vg_buf ev = VG_BUF_INIT(1 << 20);
static int verbose;

static double pct(const struct tally *t)
{
	return t->n ? 100.0 * (double)t->hit / (double)t->n : 0.0;
}

static int verdict_flags(const struct pol_engine *e)
{
	struct pol_result *r;
	if (pol_inspect(e, ev.data, ev.len, &r))
		return -1;
	enum pol_verdict v = pol_result_verdict(r);
	pol_result_free(r);
	return v == POL_ALERT || v == POL_BLOCK;
}

/* 1 when the event carrying value as field "q" is flagged from src; *at2
 * gets the same at paranoia 2. */
static int flagged(enum pol_source src, const char *value, size_t n, unsigned variant, int *at2)
{
	struct q_fields f = {{"id", "q"}, {"1042", value}, {4, n}, 2};
	q_event(&ev, src, &f, variant);
	int hit = verdict_flags(eng);
	*at2 = hit > 0 ? 1 : verdict_flags(eng2);
	return *at2 < 0 ? -1 : hit;
}

static int category_of(const char *name, enum pol_category *out)
{
	for (int c = 0; c < POL_CAT__COUNT; c++)
		if (!strcmp(pol_category_name((enum pol_category)c), name)) {
			*out = (enum pol_category)c;
			return 0;
		}
	return -1;
}

static FILE *open_data(const char *name)
{
	const char *root = getenv("VIGIL_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/quality/%s", root ? root : ".", name);
	FILE *f = fopen(path, "r");
	if (!f)
		fprintf(stderr, "heldout: cannot open %s\n", path);
	return f;
}

static void chomp(char *s, size_t *n)
{
	while (*n && (s[*n - 1] == '\n' || s[*n - 1] == '\r'))
		s[--*n] = 0;
}

int main(int argc, char **argv)
{
	static struct tally by_class[POL_CAT__COUNT], by_source[POL_SRC__COUNT];
	struct tally all = {0}, fp = {0}, all2 = {0}, fp2 = {0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int fail = 0;

	verbose = argc > 1 && !strcmp(argv[1], "-v");
	/* The built-in policy with the time budget lifted, as in quality.c. */
	const char *root = getenv("VIGIL_SOURCE_ROOT");
	char lifted[1024], err[1200];
	snprintf(lifted, sizeof(lifted), "%s/tests/data/quality/lifted-budget.json",
	         root ? root : ".");
	const char *const layers[] = {lifted};
	if (pol_engine_new(&eng, layers, 1, POL_MODE_MONITOR, err, sizeof(err)) ||
	    pol_engine_new_at(&eng2, 2, layers, 1, POL_MODE_MONITOR, err, sizeof(err))) {
		fprintf(stderr, "heldout: engine: %s\n", err);
		return 1;
	}
	FILE *f = open_data("heldout-attacks.tsv");
	if (!f)
		return 1;
	while ((got = getline(&line, &cap, f)) > 0) {
		size_t n = (size_t)got;
		chomp(line, &n);
		char *tab = strchr(line, '\t');
		enum pol_category cat;
		if (line[0] == '#' || !n)
			continue;
		if (!tab || (*tab = 0, category_of(line, &cat))) {
			fprintf(stderr, "heldout: bad line: %s\n", line);
			return 1;
		}
		const char *p = tab + 1;
		size_t pn = n - (size_t)(p - line);
		for (int s = 0; s < POL_SRC__COUNT; s++) {
			int at2, hit = flagged((enum pol_source)s, p, pn, 0, &at2);
			if (hit < 0)
				return 1;
			all2.n++;
			all2.hit += (unsigned long)at2;
			struct tally *t[] = {&by_class[cat], &by_source[s], &all};
			for (int i = 0; i < 3; i++) {
				t[i]->n++;
				t[i]->hit += (unsigned long)hit;
			}
			if (verbose && !hit)
				printf("  miss %s %s: %s\n", line,
				       pol_source_name((enum pol_source)s), p);
		}
	}
	fclose(f);

	f = open_data("heldout-benign.txt");
	if (!f)
		return 1;
	while ((got = getline(&line, &cap, f)) > 0) {
		size_t n = (size_t)got;
		chomp(line, &n);
		if (line[0] == '#' || !n)
			continue;
		for (int s = 0; s < POL_SRC__COUNT; s++) {
			int at2, hit = flagged((enum pol_source)s, line, n, 1, &at2);
			if (hit < 0)
				return 1;
			fp2.n++;
			fp2.hit += (unsigned long)at2;
			fp.n++;
			fp.hit += (unsigned long)hit;
			if (verbose && hit)
				printf("  false positive %s: %s\n",
				       pol_source_name((enum pol_source)s), line);
		}
	}
	fclose(f);
	free(line);

	printf("held-out detection by class (verdict alert or block)\n");
	for (int c = 0; c < POL_CAT__COUNT; c++)
		if (by_class[c].n)
			printf("  %-16s %5lu events  detected %5.1f%%\n",
			       pol_category_name((enum pol_category)c), by_class[c].n,
			       pct(&by_class[c]));
	printf("held-out detection by source\n");
	for (int s = 0; s < POL_SRC__COUNT; s++)
		printf("  %-16s %5lu events  detected %5.1f%%\n",
		       pol_source_name((enum pol_source)s), by_source[s].n, pct(&by_source[s]));
	printf("held-out all classes: %lu events, detected %.1f%% (floor %.1f%%)\n", all.n,
	       pct(&all), MIN_DETECT_PCT);
	printf("held-out benign: %lu events, flagged %lu (%.2f%%, ceiling %.2f%%)\n", fp.n, fp.hit,
	       pct(&fp), MAX_FP_PCT);
	printf("held-out at paranoia 2 (reported, not asserted): detected %.1f%%, benign flagged "
	       "%lu (%.2f%%)\n",
	       pct(&all2), fp2.hit, pct(&fp2));
	if (pct(&all) < MIN_DETECT_PCT) {
		printf("FLOOR: held-out detection %.1f%% < %.1f%%\n", pct(&all), MIN_DETECT_PCT);
		fail = 1;
	}
	if (pct(&fp) > MAX_FP_PCT) {
		printf("CEILING: held-out false positives %.2f%% > %.2f%%\n", pct(&fp), MAX_FP_PCT);
		fail = 1;
	}
	printf(fail ? "heldout: floors not met\n" : "heldout: all floors met\n");
	pol_engine_free(eng);
	pol_engine_free(eng2);
	vg_buf_fini(&ev);
	return fail;
}
