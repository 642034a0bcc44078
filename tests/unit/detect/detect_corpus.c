/* Detection rate of one detector over payload lists, one payload a line:
 *   detect-corpus [-v] [-u] CATEGORY FILE...
 * -u: lines are URL-encoded (libinjection's lists); -v: print the misses.
 * Prints "CATEGORY FILE: detected D/N (P%)" per file and in total. A tool
 * for engineers; the quality suite asserts the floors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect_table.h"

static size_t url_decode(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			char *end;
			long v = strtol(hex, &end, 16);
			if (end == hex + 2) {
				s[o++] = (char)v;
				i += 2;
				continue;
			}
		}
		s[o++] = s[i] == '+' ? ' ' : s[i];
	}
	return o;
}

int main(int argc, char **argv)
{
	int verbose = 0, urlenc = 0, opt;
	while ((opt = getopt(argc, argv, "vu")) != -1) {
		if (opt == 'v')
			verbose = 1;
		else if (opt == 'u')
			urlenc = 1;
		else
			return 2;
	}
	if (optind + 2 > argc) {
		fprintf(stderr, "usage: detect-corpus [-v] [-u] CATEGORY FILE...\n");
		return 2;
	}
	pol_detector_fn fn = detect_lookup(argv[optind]);
	if (!fn) {
		fprintf(stderr, "detect-corpus: unknown category %s\n", argv[optind]);
		return 2;
	}
	unsigned long all = 0, all_hit = 0;
	for (int a = optind + 1; a < argc; a++) {
		FILE *f = fopen(argv[a], "r");
		if (!f) {
			perror(argv[a]);
			continue;
		}
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		unsigned long total = 0, hits = 0;
		while ((len = getline(&line, &cap, f)) >= 0) {
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				line[--len] = '\0';
			if (len == 0 || (urlenc && line[0] == '#'))
				continue;
			size_t n = urlenc ? url_decode(line, (size_t)len) : (size_t)len;
			struct pol_ctx ctx = {pol_charmask(line, n), POL_IN_QUERY};
			struct pol_hit hit;
			total++;
			if (fn(line, n, &ctx, &hit))
				hits++;
			else if (verbose)
				printf("  miss: %.*s\n", (int)n, line);
		}
		free(line);
		fclose(f);
		printf("%s %s: detected %lu/%lu (%.1f%%)\n", argv[optind], argv[a], hits, total,
		       total ? 100.0 * (double)hits / (double)total : 0.0);
		all += total;
		all_hit += hits;
	}
	printf("%s total: detected %lu/%lu (%.1f%%)\n", argv[optind], all_hit, all,
	       all ? 100.0 * (double)all_hit / (double)all : 0.0);
	return 0;
}
