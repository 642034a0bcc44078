/* Golden tests of one detector: test-detect CATEGORY FILE.
 *
 * FILE holds one case a line: "+ input" must be detected, "- input" must not,
 * "! input" must be detected strongly enough to alert alone under the
 * built-in policy (its score reaches the policy's threshold), "~ input" may
 * be detected but only as a weak signal that cannot alert alone; "2 input",
 * "3 input" and "4 input" must be a signal of that paranoia level: it
 * alerts alone at that level and is not reported at the level below; "@ WHERE..."
 * sets where the following inputs sit (query, path, key, header, cookie,
 * body, urlish, pathish; query until the first such line);
 * "#" starts a comment; \n \r \t \\ \xHH are decoded. Every case is run
 * with that where-flag and the computed character mask, as the engine calls
 * detectors. Prints each failing case and a summary; exits 1 on
 * any failure, or when the file has fewer than 5 cases of either kind (a file
 * that cannot fail is not a test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_table.h"
#include "pol-private.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test-detect CATEGORY FILE\n");
		return 2;
	}
	pol_detector_fn fn = detect_lookup(argv[1]);
	FILE *f = fopen(argv[2], "r");
	if (!fn || !f) {
		fprintf(stderr, "test-detect: unknown category or unreadable file\n");
		return 2;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0, pos = 0, neg = 0, bad = 0;
	uint32_t where = POL_IN_QUERY;

	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (line[0] == '@') {
			static const struct {
				const char *name;
				uint32_t bit;
			} places[] = {{"query", POL_IN_QUERY},   {"path", POL_IN_PATH},
			              {"key", POL_IN_KEY},       {"header", POL_IN_HEADER},
			              {"cookie", POL_IN_COOKIE}, {"body", POL_IN_BODY},
			              {"urlish", POL_IN_URLISH}, {"pathish", POL_IN_PATHISH}};
			where = 0;
			for (size_t k = 0; k < sizeof(places) / sizeof(places[0]); k++)
				if (strstr(line + 1, places[k].name))
					where |= places[k].bit;
			continue;
		}
		if (len < 2 || line[0] == '#' || !strchr("+-!~234", line[0]))
			continue;
		int weak = line[0] == '~', alone = line[0] == '!';
		unsigned level = line[0] >= '2' && line[0] <= '4' ? (unsigned)(line[0] - '0') : 1;
		int want = line[0] == '+' || alone || level > 1;
		char *in = line + 2;
		size_t n = detect_unescape(in, (size_t)len - 2);
		struct pol_ctx ctx = {pol_charmask(in, n), where};
		struct pol_hit hit = {0};
		/* An exact-size copy, so that AddressSanitizer sees a read one
		 * byte past the input (getline's buffer has slack). */
		char *exact = malloc(n ? n : 1);
		if (!exact)
			return 2;
		memcpy(exact, in, n);
		int got = fn(exact, n, &ctx, &hit);
		unsigned thr = pol_default_policy.threshold;
		unsigned score = got && pol_paranoia_admits(level, hit.confidence)
		                     ? pol_hit_score(hit.severity, hit.confidence)
		                     : 0;
		if (weak) {
			neg++;
			if (score >= thr) {
				bad++;
				printf("%s:%u: alerts alone (%s, confidence %u): %s\n", argv[2],
				       lineno, hit.rule, hit.confidence, line + 2);
			}
			free(exact);
			continue;
		}
		free(exact);
		want ? pos++ : neg++;
		if (got != want) {
			bad++;
			printf("%s:%u: %s: %s\n", argv[2], lineno,
			       want ? "missed" : "false positive", line + 2);
		} else if (got && (hit.off > n || hit.len > n - hit.off || !hit.rule)) {
			bad++;
			printf("%s:%u: bad hit span or rule\n", argv[2], lineno);
		} else if ((alone || level > 1) && score < thr) {
			bad++;
			printf("%s:%u: too weak to alert alone at paranoia %u (%s, confidence %u): "
			       "%s\n",
			       argv[2], lineno, level, hit.rule, hit.confidence, line + 2);
		} else if (level > 1 && pol_paranoia_admits(level - 1, hit.confidence)) {
			bad++;
			printf("%s:%u: reported below paranoia %u (%s, confidence %u): %s\n",
			       argv[2], lineno, level, hit.rule, hit.confidence, line + 2);
		}
	}
	free(line);
	fclose(f);
	printf("%s: %u positive, %u negative cases, %u failed\n", argv[1], pos, neg, bad);
	if (pos < 5 || neg < 5) {
		printf("%s: too few cases to mean anything\n", argv[1]);
		return 1;
	}
	return bad ? 1 : 0;
}
