/* Character reading for the xss detector. Private to detect_xss.c, which
 * alone includes it (the build lists one source file per detector).
 *
 * A reader walks the input byte by byte; in decoding mode it turns HTML
 * character references (&#106; &#x6A; &colon; &lt...) and the UTF-7 forms
 * of < > " ' into the characters a browser, or a careless decoding layer,
 * would see. Every reference costs time linear in its own length, so a
 * reader over n bytes does O(n) work in all. Decoding also undoes one more
 * layer of percent-encoding and the \xHH / \uHHHH escapes of script and
 * JSON strings: inputs encoded once more than their consumer decodes are a
 * classic way past filters; so is a '+' that a form decoder turns into a
 * space (only when the input holds percent escapes, as form values do).
 */
#ifndef POL_DETECT_XSS_READ_H
#define POL_DETECT_XSS_READ_H

#include <stddef.h>
#include <string.h>

#include "detect_chars.h"

#define XR_EOF   (-1)
#define XR_OTHER 0x80 /* a decoded character outside ASCII */
#define XR_FORM  2    /* struct xr.decode: decode as a form value */

struct xr {
	const unsigned char *s;
	size_t n, pos;
	int decode; /* decode references in markup too, not only in values;
	             * XR_FORM: the input is percent-encoded, '+' is a space */
	int u7on;   /* inside a UTF-7 run (+ADwAcw...-) */
	int u7n;    /* bits of u7bits not yet returned */
	unsigned u7bits;
	int from_u7; /* the last character returned came from a UTF-7 run */
	int depth;   /* 1: reading text decoded out of a value (no more nesting) */
};

struct xr_named {
	const char *name;
	unsigned char c;
};

/* The references attacks use to hide markup and URL schemes. */
static const struct xr_named xr_names[] = {
    {"amp", '&'},    {"apos", '\''},  {"bsol", '\\'}, {"colon", ':'}, {"comma", ','},
    {"equals", '='}, {"excl", '!'},   {"grave", '`'}, {"gt", '>'},    {"lbrace", '{'},
    {"lpar", '('},   {"lsqb", '['},   {"lt", '<'},    {"nbsp", ' '},  {"newline", '\n'},
    {"num", '#'},    {"period", '.'}, {"plus", '+'},  {"quot", '"'},  {"rbrace", '}'},
    {"rpar", ')'},   {"rsqb", ']'},   {"semi", ';'},  {"sol", '/'},   {"tab", '\t'},
};

/* Decodes the reference at s[*p] == '&'; on success advances *p past it
 * and returns the character, else returns -1 and leaves *p. */
static int xr_entity(const unsigned char *s, size_t n, size_t *p)
{
	size_t q = *p + 1;
	if (q < n && s[q] == '#') {
		unsigned long v = 0;
		int hex = 0, digits = 0;
		q++;
		if (q < n && (s[q] | 0x20) == 'x') {
			hex = 1;
			q++;
		}
		for (; q < n; q++, digits++) {
			unsigned c = s[q], d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				d = (c | 0x20) - 'a' + 10;
			else
				break;
			if (v < 0x110000)
				v = v * (hex ? 16 : 10) + d;
		}
		if (!digits)
			return -1;
		if (q < n && s[q] == ';')
			q++;
		*p = q;
		return v < 0x80 ? (int)v : XR_OTHER;
	}
	/* the references XML itself predefines, as the search below finds
	 * them when written in lower case and closed */
	if (n - q >= 3 && s[q + 2] == ';' && s[q + 1] == 't' && (s[q] == 'l' || s[q] == 'g')) {
		*p = q + 3;
		return s[q] == 'l' ? '<' : '>';
	}
	if (n - q >= 4 && memcmp(s + q, "amp;", 4) == 0) {
		*p = q + 4;
		return '&';
	}
	if (n - q >= 5 && (memcmp(s + q, "apos;", 5) == 0 || memcmp(s + q, "quot;", 5) == 0)) {
		*p = q + 5;
		return s[q] == 'a' ? '\'' : '"';
	}
	/* letters, lower-cased; 0 for the rest */
	static const unsigned char letter[256] = {
#define XR_L(c) [c] = c, [c - 32] = c
	    XR_L('a'), XR_L('b'), XR_L('c'), XR_L('d'), XR_L('e'), XR_L('f'), XR_L('g'),
	    XR_L('h'), XR_L('i'), XR_L('j'), XR_L('k'), XR_L('l'), XR_L('m'), XR_L('n'),
	    XR_L('o'), XR_L('p'), XR_L('q'), XR_L('r'), XR_L('s'), XR_L('t'), XR_L('u'),
	    XR_L('v'), XR_L('w'), XR_L('x'), XR_L('y'), XR_L('z'),
#undef XR_L
	};
	char name[8];
	size_t k = 0;
	while (q < n && k < sizeof(name) - 1 && letter[s[q]])
		name[k++] = (char)letter[s[q++]];
	name[k] = '\0';
	if (k < 2)
		return -1; /* every name is two letters or more */
	/* xr_names is in alphabetical order: the names that begin with
	 * name's letter, from the first of them */
	static const unsigned char first[26] = {
	    ['a' - 'a'] = 0 + 1,  ['b' - 'a'] = 2 + 1,  ['c' - 'a'] = 3 + 1,  ['e' - 'a'] = 5 + 1,
	    ['g' - 'a'] = 7 + 1,  ['l' - 'a'] = 9 + 1,  ['n' - 'a'] = 13 + 1, ['p' - 'a'] = 16 + 1,
	    ['q' - 'a'] = 18 + 1, ['r' - 'a'] = 19 + 1, ['s' - 'a'] = 22 + 1, ['t' - 'a'] = 24 + 1,
	};
	size_t from = first[name[0] - 'a'];
	for (size_t i = from ? from - 1 : sizeof(xr_names) / sizeof(xr_names[0]);
	     i < sizeof(xr_names) / sizeof(xr_names[0]) && xr_names[i].name[0] == name[0]; i++) {
		const char *nm = xr_names[i].name;
		size_t j = 1;
		while (name[j] && name[j] == nm[j])
			j++;
		if (name[j] != nm[j])
			continue;
		if (q < n && s[q] == ';')
			q++;
		*p = q;
		return xr_names[i].c;
	}
	return -1;
}

/* UTF-7's base64 is the standard alphabet: '-' ends a run. */
static int xr_b64(unsigned char c)
{
	return c == '-' || c == '_' ? -1 : ch_b64val(c);
}

/* UTF-7: '+' opens a run of base64 that spells UTF-16 (+ADw- is '<').
 * A run is entered only when its first character is one that markup or
 * script needs, so that the '+' of "C++" or of base64 data stays as is.
 * s[at] is the byte after the '+'; returns 1 when r now reads the run. */
static int xr_u7_start(struct xr *r, size_t at)
{
	if (at + 3 > r->n)
		return 0;
	int a = xr_b64(r->s[at]), b = xr_b64(r->s[at + 1]), c = xr_b64(r->s[at + 2]);
	if (a < 0 || b < 0 || c < 0)
		return 0;
	unsigned u = (unsigned)a << 10 | (unsigned)b << 4 | (unsigned)c >> 2;
	if (u >= 0x80 || !memchr("<>\"'/()=", (int)u, 8))
		return 0;
	r->u7on = 1;
	r->u7n = 0;
	r->u7bits = 0;
	r->pos = at;
	return 1;
}

/* The next character of a UTF-7 run, or -1 when the run ends (its '-'
 * consumed) and plain reading resumes at r->pos. */
static int xr_u7_next(struct xr *r);

static int xr_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A code point as ASCII: fullwidth forms (U+FF01-FF5E, which
 * normalising back ends fold to ASCII) become their ASCII twins. */
static int xr_fold(unsigned v)
{
	if (v >= 0xff01 && v <= 0xff5e)
		return (int)(v - 0xfee0);
	return v < 0x80 ? (int)v : XR_OTHER;
}

/* %HH, %uHHHH, \xHH, \uHHHH, \0, \" and \' at s[*p]; -1 when there is
 * none. */
static int xr_escape(const unsigned char *s, size_t n, size_t *p)
{
	size_t q = *p;
	unsigned v = 0;
	int digits;
	if (s[q] == '%' && q + 1 < n && (s[q + 1] | 0x20) == 'u') {
		q += 2; /* %uFF1C, as IIS decodes */
		digits = 4;
	} else if (s[q] == '%') {
		q++;
		digits = 2;
	} else if (q + 1 < n && s[q + 1] == '0' &&
	           (q + 2 >= n || s[q + 2] < '0' || s[q + 2] > '9')) {
		*p = q + 2; /* \0, a NUL written for a list of payloads */
		return 0;
	} else if (q + 1 < n && (s[q + 1] == '"' || s[q + 1] == '\'')) {
		*p = q + 2; /* \", a quote escaped for a JSON or script string */
		return s[q + 1];
	} else if (q + 1 < n && s[q + 1] == 'x') {
		q += 2;
		digits = 2;
	} else if (q + 1 < n && s[q + 1] == 'u') {
		q += 2;
		digits = 4;
	} else {
		return -1;
	}
	if (q + (size_t)digits > n)
		return -1;
	for (int i = 0; i < digits; i++) {
		int d = xr_hex(s[q + (size_t)i]);
		if (d < 0)
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*p = q + (size_t)digits;
	return xr_fold(v);
}

static int xr_u7_next(struct xr *r)
{
	while (r->pos < r->n) {
		int v = xr_b64(r->s[r->pos]);
		if (v < 0)
			break;
		r->pos++;
		r->u7bits = (r->u7bits << 6 | (unsigned)v) & 0xffffffu;
		r->u7n += 6;
		if (r->u7n >= 16) {
			r->u7n -= 16;
			r->from_u7 = 1;
			return xr_fold(r->u7bits >> r->u7n & 0xffffu);
		}
	}
	r->u7on = 0;
	if (r->pos < r->n && r->s[r->pos] == '-')
		r->pos++;
	return -1;
}

/* xr_get's general case. */
static int xr_get_slow(struct xr *r, int value)
{
	r->from_u7 = 0;
	if (r->u7on) {
		int d = xr_u7_next(r);
		if (d >= 0)
			return d;
	}
	if (r->pos >= r->n)
		return XR_EOF;
	unsigned char c = r->s[r->pos];
	if (c == '&' && (r->decode || value)) {
		int d = xr_entity(r->s, r->n, &r->pos);
		if (d == '&' && r->decode) {
			/* &amp;tab;: a reference escaped once more; xr_entity reads
			 * from the byte after its position, the one after "&amp" */
			size_t q = r->pos - 1;
			int d2 = xr_entity(r->s, r->n, &q);
			if (d2 >= 0) {
				r->pos = q;
				return d2;
			}
		}
		if (d >= 0)
			return d;
	} else if (c == '+' && r->decode) {
		if (xr_u7_start(r, r->pos + 1)) {
			int d = xr_u7_next(r);
			if (d >= 0)
				return d;
		}
		if (r->decode == XR_FORM) {
			r->pos++;
			return ' '; /* form encoding's space, undone with its escapes */
		}
	} else if ((c == '%' || c == '\\') && r->decode) {
		size_t at = r->pos;
		int d = xr_escape(r->s, r->n, &r->pos);
		if (d == '%' && c == '%' && r->pos + 1 < r->n && xr_hex(r->s[r->pos]) >= 0 &&
		    xr_hex(r->s[r->pos + 1]) >= 0) {
			/* %253C: percent-encoded twice */
			d = xr_hex(r->s[r->pos]) * 16 + xr_hex(r->s[r->pos + 1]);
			r->pos += 2;
		}
		/* %2BADw-: UTF-7 markup, percent-encoded once more */
		if (d == '+' && xr_u7_start(r, r->pos)) {
			int u = xr_u7_next(r);
			if (u >= 0)
				return u;
		}
		if (d >= 0)
			return d;
		r->pos = at;
	} else if (c == 0xef && r->decode && r->pos + 2 < r->n &&
	           (r->s[r->pos + 1] == 0xbc || r->s[r->pos + 1] == 0xbd) &&
	           (r->s[r->pos + 2] & 0xc0) == 0x80) {
		/* UTF-8 of a fullwidth form */
		unsigned v = 0xf000u | (unsigned)(r->s[r->pos + 1] & 0x3f) << 6 |
		             (unsigned)(r->s[r->pos + 2] & 0x3f);
		r->pos += 3;
		return xr_fold(v);
	}
	r->pos++;
	return c;
}

/* Bytes that may start something a reader decodes: & + % \ and the
 * lead byte of fullwidth forms. */
static const unsigned char xr_special[256] = {
    ['&'] = 1, ['+'] = 1, ['%'] = 1, ['\\'] = 1, [0xef] = 1,
};

/* Next character; references decode when the reader decodes or when
 * `value` says the character belongs to an attribute value. Most bytes
 * are themselves: those return here, the rest in xr_get_slow. */
static inline int xr_get(struct xr *r, int value)
{
	if (!r->u7on && r->pos < r->n && !xr_special[r->s[r->pos]]) {
		r->from_u7 = 0;
		return r->s[r->pos++];
	}
	return xr_get_slow(r, value);
}

static inline int xr_peek(const struct xr *r, int value)
{
	if (!r->u7on && r->pos < r->n && !xr_special[r->s[r->pos]])
		return r->s[r->pos];
	struct xr t = *r;
	return xr_get_slow(&t, value);
}

#endif
