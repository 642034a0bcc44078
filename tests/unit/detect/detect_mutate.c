/* Mutation test of every detector: detect-mutate DIR [ROUNDS].
 *
 * Reads every golden case of every DIR/NAME.txt (all classes and their level files:
 * an attack of one class is the right raw material for another's parser), derives ROUNDS
 * mutants of each by a fixed-seed generator (cut, drop, insert a byte of
 * shell, SQL or markup syntax, duplicate a span, splice two cases, repeat a
 * span up to a few kilobytes) and hands every mutant to every detector, in
 * an exact-size copy so that AddressSanitizer sees any read past its end.
 * A detector must return, and a hit must lie inside its input and name a
 * rule. A detector still busy on one mutant after WATCHDOG_S seconds has
 * looped: the watchdog prints the detector and the mutant (escaped, ready
 * for a golden file) and fails the run. Deterministic: the same files give
 * the same mutants.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "detect_table.h"
#include "pol-private.h"

#define CASES_MAX  20000
#define CASE_MAX   2048 /* longer cases are cut: the mutants stay under MUTANT_MAX */
#define MUTANT_MAX 8192
#define WATCHDOG_S 20

static char *cases[CASES_MAX];
static size_t case_len[CASES_MAX];
static size_t ncases;

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t below)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return below ? (uint32_t)(rng % below) : 0;
}

static int load(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0 && ncases < CASES_MAX) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len < 2 || !strchr("+-!~234", line[0]))
			continue;
		size_t n = detect_unescape(line + 2, (size_t)len - 2);
		if (n > CASE_MAX)
			n = CASE_MAX;
		char *c = malloc(n ? n : 1);
		if (!c)
			break;
		memcpy(c, line + 2, n);
		cases[ncases] = c;
		case_len[ncases++] = n;
	}
	free(line);
	fclose(f);
	return 0;
}

/* One mutant of case i into out (capacity MUTANT_MAX); its length. */
static size_t mutate(size_t i, char *out)
{
	static const char syntax[] = "'\"`$(){}[]<>;|&%\\/*#-=!?@:.,+ \n\t\r\0~^";
	const char *s = cases[i];
	size_t n = case_len[i], o = 0;
	size_t at = rnd((uint32_t)n + 1);

	switch (rnd(6)) {
	case 0: /* cut */
		memcpy(out, s, at);
		return at;
	case 1: /* drop one byte */
		memcpy(out, s, at);
		o = at;
		if (at < n)
			at++;
		break;
	case 2: /* insert a syntax byte, or any byte */
		memcpy(out, s, at);
		o = at;
		out[o++] = rnd(4) ? syntax[rnd(sizeof(syntax) - 1)] : (char)rnd(256);
		break;
	case 3: { /* duplicate a span */
		size_t len = rnd((uint32_t)(n - at) + 1);
		memcpy(out, s, at + len);
		o = at + len;
		memcpy(out + o, s + at, len);
		o += len;
		at += len;
		break;
	}
	case 4: { /* splice: this case's head, another's tail */
		size_t j = rnd((uint32_t)ncases);
		size_t from = rnd((uint32_t)case_len[j] + 1);
		memcpy(out, s, at);
		o = at;
		size_t len = case_len[j] - from;
		if (len > MUTANT_MAX / 2)
			len = MUTANT_MAX / 2;
		memcpy(out + o, cases[j] + from, len);
		return o + len;
	}
	default: { /* repeat a short span, up to a few kilobytes */
		size_t len = 1 + rnd(8);
		if (len > n - at)
			len = n - at;
		memcpy(out, s, at);
		o = at;
		for (uint32_t k = 0, times = 16 + rnd(400); len && k < times; k++) {
			memcpy(out + o, s + at, len);
			o += len;
		}
		break;
	}
	}
	size_t rest = n - at;
	if (rest > MUTANT_MAX - o)
		rest = MUTANT_MAX - o;
	memcpy(out + o, s + at, rest);
	return o + rest;
}

/* What the watchdog reports: the detector and mutant being run. */
static const char *volatile running;
static const char *volatile mutant;
static volatile size_t mutant_len;

static void put(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void watchdog(int sig)
{
	(void)sig;
	static const char hex[] = "0123456789abcdef";
	put("detect-mutate: ", 15);
	put(running, strlen(running));
	put(" did not return on: ", 20);
	for (size_t i = 0; i < mutant_len; i++) {
		unsigned char c = (unsigned char)mutant[i];
		char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
		if (c >= 0x20 && c < 0x7f && c != '\\')
			put((const char *)&c, 1);
		else
			put(e, 4);
	}
	put("\n", 1);
	_exit(1);
}

int main(int argc, char **argv)
{
	static const uint32_t places[] = {POL_IN_QUERY, POL_IN_PATH | POL_IN_PATHISH,
	                                  POL_IN_KEY,   POL_IN_HEADER,
	                                  POL_IN_BODY,  POL_IN_QUERY | POL_IN_URLISH};
	size_t ndet = sizeof(detect_table) / sizeof(detect_table[0]);
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 4;
	unsigned long runs = 0, hits = 0, bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: detect-mutate DIR [ROUNDS]\n");
		return 2;
	}
	struct dirent **names;
	int nn = scandir(argv[1], &names, NULL, alphasort); /* sorted: the same mutants each run */
	for (int i = 0; i < nn; i++) {
		size_t l = strlen(names[i]->d_name);
		if (l > 4 && strcmp(names[i]->d_name + l - 4, ".txt") == 0)
			load(argv[1], names[i]->d_name);
		free(names[i]);
	}
	if (nn >= 0)
		free(names);
	if (ncases < 100) {
		fprintf(stderr, "detect-mutate: only %zu golden cases under %s\n", ncases, argv[1]);
		return 1;
	}
	char *buf = malloc(MUTANT_MAX);
	if (!buf)
		return 2;
	signal(SIGALRM, watchdog);
	for (unsigned r = 0; r < rounds; r++) {
		for (size_t i = 0; i < ncases; i++) {
			size_t n = mutate(i, buf);
			char *exact = malloc(n ? n : 1);
			if (!exact)
				return 2;
			memcpy(exact, buf, n);
			uint32_t where = places[rnd(sizeof(places) / sizeof(places[0]))];
			struct pol_ctx ctx = {pol_charmask(exact, n), where};
			mutant = exact;
			mutant_len = n;
			for (size_t d = 0; d < ndet; d++) {
				struct pol_hit hit = {0};
				running = detect_table[d].name;
				alarm(WATCHDOG_S);
				runs++;
				if (!detect_table[d].fn(exact, n, &ctx, &hit))
					continue;
				hits++;
				if (hit.off > n || hit.len > n - hit.off || !hit.rule) {
					bad++;
					printf(
					    "%s: bad hit span or rule on a %zu-byte mutant of case "
					    "%zu (round %u)\n",
					    detect_table[d].name, n, i, r);
				}
			}
			alarm(0);
			free(exact);
		}
	}
	free(buf);
	for (size_t i = 0; i < ncases; i++)
		free(cases[i]);
	printf("detect-mutate: %zu golden cases, %u rounds, %lu detector runs, %lu hits, "
	       "%lu bad\n",
	       ncases, rounds, runs, hits, bad);
	return bad ? 1 : 0;
}
