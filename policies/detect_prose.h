/* Prose: does a value read as a sentence?
 *
 * Support tickets, chat, docs, markdown and stack traces reach events, and
 * they mention URLs, commands and calls ("check http://localhost:3000",
 * "use `ls -la`", "the system() call") without being requests, command
 * lines or code. A value reads as prose when most of its blank-separated
 * tokens are words made of letters (a hyphen or apostrophe inside, an
 * opening bracket before, punctuation after), at least PROSE_WORDS of them
 * two letters long or more. URLs, options, paths, operators and encodings
 * are not words, and markdown code spans `...` are left out, so payloads
 * ("find /etc -name passwd -exec cat {}", "cd /;cd etc;comm passwd")
 * stay non-prose. Detectors use it to weaken a mention, never to drop
 * what only attacks contain.
 *
 * Looks at most PROSE_SCAN bytes: bounded cost.
 */
#ifndef VIGIL_DETECT_PROSE_H
#define VIGIL_DETECT_PROSE_H

#include <stddef.h>

#include "detect_chars.h"

#define PROSE_WORDS 4
#define PROSE_SCAN  4096

static inline int prose_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline int prose_value(const char *s, size_t n)
{
	size_t words = 0, long_words = 0, tokens = 0;
	if (n > PROSE_SCAN)
		n = PROSE_SCAN;
	for (size_t i = 0; i < n;) {
		while (i < n && prose_blank((unsigned char)s[i]))
			i++;
		if (i < n && s[i] == '`') { /* a markdown code span is not prose */
			size_t c = i + 1;
			while (c < n && s[c] != '`' && s[c] != '\n')
				c++;
			if (c < n && s[c] == '`') {
				i = c + 1;
				continue;
			}
		}
		size_t b = i;
		while (i < n && !prose_blank((unsigned char)s[i]))
			i++;
		size_t e = i;
		if (b == e)
			break;
		tokens++;
		if (s[b] == '(' || s[b] == '"')
			b++;
		while (e > b &&
		       (s[e - 1] == '.' || s[e - 1] == ',' || s[e - 1] == ';' || s[e - 1] == ':' ||
		        s[e - 1] == '!' || s[e - 1] == '?' || s[e - 1] == ')' || s[e - 1] == '"'))
			e--;
		size_t letters = 0;
		int ok = e > b && ch_is_alpha((unsigned char)s[b]);
		for (size_t j = b; j < e && ok; j++) {
			if (ch_is_alpha((unsigned char)s[j]))
				letters++;
			else if ((s[j] != '-' && s[j] != '\'') || j + 1 == e)
				ok = 0;
		}
		words += ok;
		long_words += ok && letters >= 2;
	}
	return long_words >= PROSE_WORDS && 2 * words > tokens;
}

#endif
