/* The sqli detector turns most quote-free inputs away with one cheap read
 * (sq_inert in policies/detect_sqli.c) before it tokenizes them. That test
 * must be exact: it may only skip inputs on which the full grammar finds
 * nothing. This program checks that on generated inputs built from SQL
 * words, names, numbers and punctuation, without quotes: each is inspected
 * as it is, and once more with the single-quote bit set in the character
 * mask, which turns the quick test off (the quoted pass then ends at once,
 * since no literal closes in an input without quotes). Any difference is a
 * detection the quick test would lose; the program prints it and fails.
 *
 *   test-sqli-inert [COUNT]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

static const char *const pieces[] = {
    /* words with an SQL role, in both cases */
    "select", "UNION", "union", "all", "from", "where", "and", "OR", "or", "xor", "not", "like",
    "is", "null", "true", "in", "between", "order", "by", "group", "having", "limit", "into",
    "outfile", "drop", "table", "insert", "values", "update", "set", "delete", "exec", "declare",
    "waitfor", "delay", "case", "when", "then", "else", "end", "if", "exists", "div", "mod",
    "collate", "binary", "regexp", "sounds", "notnull", "procedure", "analyse", "join", "as",
    /* names of functions, catalogues, plain words */
    "sleep", "version", "user", "database", "char", "ascii", "substring", "count", "concat",
    "information_schema", "sysobjects", "mysql.user", "sys.tables", "the", "blue", "one", "it",
    /* words this round's rules read: lone names, niladic dates, match */
    "xp_cmdshell", "msdb", "tempdb", "current_date", "utc_time", "immediate", "match", "against",
    "replace", "pg_sleep", "sounds", "exists", "array", "please", "door", "email", "name", "id",
    "x", "a1", "b_2", "$x", "caf\xc3\xa9",
    /* numbers, variables */
    "1", "0", "42", "1.5", "0x1f", "1e3", ".5", "1union", "5pm", "@x", "@@version", "-1",
    /* punctuation: joining, and the bytes and pairs that start tokens */
    ",", ".", "+", "-", "*", "/", "%", "^", ":", "::", "@", "$", "[", "]", "{", "}", "?", "_", "(",
    ")", ";", "=", "<", ">", "<>", "!=", "!", "&&", "||", "|", "&", "~", "#", "--", "/*", "*/",
    "/*!", "\\", "`", "\t", "\n", "\xc2\xa0"};

/* Prose of letters, digits, blanks, commas and dots, with every kind of SQL
 * word: what the second quick test (sq_prose_inert) reads. */
static const char *const prose[] = {"select",     "union",      "all",
                                    "distinct",   "from",       "where",
                                    "and",        "or",         "xor",
                                    "not",        "like",       "is",
                                    "in",         "between",    "null",
                                    "true",       "false",      "order",
                                    "group",      "by",         "having",
                                    "limit",      "into",       "outfile",
                                    "dumpfile",   "values",     "set",
                                    "table",      "database",   "user",
                                    "view",       "drop",       "delete",
                                    "insert",     "update",     "create",
                                    "alter",      "truncate",   "exec",
                                    "execute",    "declare",    "shutdown",
                                    "waitfor",    "delay",      "time",
                                    "join",       "as",         "case",
                                    "when",       "then",       "end",
                                    "if",         "exists",     "procedure",
                                    "analyse",    "div",        "mod",
                                    "binary",     "collate",    "regexp",
                                    "rlike",      "glob",       "sounds",
                                    "similar",    "isnull",     "notnull",
                                    "except",     "intersect",  "sleep",
                                    "char",       "version",    "information_schema",
                                    "sysobjects", "mysql.user", "sys.tables",
                                    "a.b",        "x.from",     "the",
                                    "msdb",       "tempdb",     "current_date",
                                    "utc_date",   "immediate",  "match",
                                    "against",    "replace",    "blue",
                                    "door",       "it",         "at",
                                    "one",        "Select",     "UNION",
                                    "Order",      "BY",         "1",
                                    "0",          "42",         "1.5",
                                    ".5",         "494.",       "7e2",
                                    "0x1f",       "1union",     ",",
                                    ".",          ", ",         ". "};

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	size_t np = sizeof(pieces) / sizeof(pieces[0]);
	size_t plain = 0; /* pieces before the first punctuation one */
	while (plain < np && strcmp(pieces[plain], ",") != 0)
		plain++;
	uint32_t x = 2463534242u;
	long bad = 0, hits = 0;
	char s[512];

	for (long k = 0; k < count; k++) {
		size_t n = 0;
		int words = 1 + (int)(rnd(&x) % 12);
		size_t npr = sizeof(prose) / sizeof(prose[0]);
		if (k % 2) {
			for (int w = 0; w < words; w++) {
				const char *p = prose[rnd(&x) % npr];
				size_t l = strlen(p);
				if (n + l + 2 >= sizeof(s))
					break;
				if (n && rnd(&x) % 5)
					s[n++] = ' ';
				memcpy(s + n, p, l);
				n += l;
			}
			goto judge;
		}
		/* most inputs hold no byte that starts a token, so that the quick
		 * test answers for them and is put to the test */
		int punct = rnd(&x) % 4 == 0;
		for (int w = 0; w < words; w++) {
			const char *p = pieces[rnd(&x) % (punct ? np : plain)];
			size_t l = strlen(p);
			if (n + l + 2 >= sizeof(s))
				break;
			if (n && rnd(&x) % 4)
				s[n++] = ' ';
			memcpy(s + n, p, l);
			n += l;
		}
	judge:;
		struct pol_ctx ctx = {pol_charmask(s, n), 0};
		/* the detector wants a letter or a digit before anything else */
		if (!(ctx.chars & (POL_CH_ALPHA | POL_CH_DIGIT)))
			continue;
		struct pol_ctx full = {ctx.chars | POL_CH_SQUOTE, 0};
		struct pol_hit a, b;
		int ra = pol_detect_sqli(s, n, &ctx, &a);
		int rb = pol_detect_sqli(s, n, &full, &b);
		hits += rb;
		if (ra != rb || (ra && strcmp(a.rule, b.rule) != 0)) {
			if (bad++ < 20)
				printf("differs (%d, full %d): %.*s\n", ra, rb, (int)n, s);
		}
	}
	printf("sqli quick test: %ld inputs, %ld detected by the full grammar, %ld differ\n", count,
	       hits, bad);
	/* the generator must make detectable inputs, or the check proves nothing */
	return bad == 0 && hits > count / 1000 ? 0 : 1;
}
