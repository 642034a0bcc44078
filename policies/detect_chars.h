/* ASCII character classes shared by the detectors. Locale-free on purpose:
 * attack grammars are ASCII, and a detector must judge a byte the same way
 * whatever the process's locale. Whitespace is not here: each grammar (shell,
 * HTML, SQL, templates) has its own idea of it, so each detector keeps its own.
 */
#ifndef POL_DETECT_CHARS_H
#define POL_DETECT_CHARS_H

#include <stdint.h>

static inline int ch_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static inline int ch_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int ch_is_alpha(int c)
{
	return ch_lower(c) >= 'a' && ch_lower(c) <= 'z';
}

static inline int ch_is_alnum(int c)
{
	return ch_is_alpha(c) || ch_is_digit(c);
}

static inline int ch_ident_start(int c)
{
	return ch_is_alpha(c) || c == '_';
}

static inline int ch_ident_char(int c)
{
	return ch_ident_start(c) || ch_is_digit(c);
}

/* The value of a hex digit, -1 for any other byte. */
static inline int ch_hexval(int c)
{
	if (ch_is_digit(c))
		return c - '0';
	c = ch_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Base64 digit values, standard and URL-safe alphabets ('+' and '-' are
 * 62, '/' and '_' 63), -1 for any other byte; built once in charmask.c. */
extern int8_t pol_b64_digits[256];

static inline int ch_b64val(int c)
{
	return pol_b64_digits[c & 0xff];
}

#endif
