/* The SQL tokenizer of the sqli detector. Private to detect_sqli.c.
 *
 * It reads one input the way a SQL parser would, in one of three starting
 * contexts: outside any literal, or already inside a '...' or "..." literal
 * (the application put the input between quotes, and an injection has to
 * break out of them). Inline comments (including MySQL's executable
 * comments) read as white space, the way the server reads them; line
 * comments and an unterminated block comment are tokens, since truncating
 * the rest of the query is what an attacker uses them for. Every token is
 * found in time linear in its length, and nothing is read past n.
 *
 * Its functions are static and defined here, included by detect_sqli.c
 * alone: the build lists one source file per detector.
 */
#ifndef POL_DETECT_SQLI_LEX_H
#define POL_DETECT_SQLI_LEX_H

#include <stddef.h>
#include <stdint.h>

enum sq_type {
	SQ_END,   /* past the input */
	SQ_STR,   /* string literal */
	SQ_NUM,   /* number, or null/true/false */
	SQ_BARE,  /* identifier, or a word SQL gives no role */
	SQ_VAR,   /* @x or @@x */
	SQ_FUNC,  /* a name followed by '(' */
	SQ_KW,    /* keyword; the role says which */
	SQ_LOGIC, /* and or xor && || */
	SQ_NOT,   /* not ! */
	SQ_OP,    /* arithmetic, bitwise, casts, JSON operators */
	SQ_CMP,   /* = < > <> != like in is ... */
	SQ_LP,
	SQ_RP,
	SQ_COMMA,
	SQ_SEMI,
	SQ_COMMENT, /* -- # or an unterminated block comment, to end of line/input */
	SQ_OTHER,   /* punctuation SQL has no use for */
};

enum {
	SQ_F_UNCLOSED = 1u << 0, /* string or comment ran to the end of the input */
	SQ_F_SHORT = 1u << 1,    /* comment whose text is (nearly) empty */
	SQ_F_CATALOG = 1u << 2,  /* identifier names a system catalogue */
	SQ_F_STAR = 1u << 3,     /* the operator is '*' */
	SQ_F_EQ = 1u << 4,       /* the comparison is '=' or '==' */
	SQ_F_DBLAT = 1u << 5,    /* variable is @@system */
	SQ_F_WORD = 1u << 6,     /* comparison spelt as a word: like, is, in... */
	SQ_F_POSTFIX = 1u << 7,  /* comparison with no right operand: notnull */
};

struct sq_tok {
	uint32_t off, len;
	uint8_t type;  /* enum sq_type */
	uint8_t role;  /* enum sqw_role, for SQ_KW */
	uint8_t fn;    /* enum sqw_fn, for SQ_FUNC */
	uint8_t flags; /* SQ_F_* */
};

struct sq_lex {
	const unsigned char *s;
	size_t n, pos;
	char quote;  /* starting context: 0, '\'' or '"' */
	int started; /* the first token has been read */
	int in_exec; /* inside a MySQL executable comment */
	int no_bs;   /* backslashes escape nothing (SQLite, standard SQL) */
	int arr;     /* array[ ... ] brackets open */
};

#include <stdlib.h>
#include <string.h>

#include "detect_sqli_words.h"

#define SQ_WORD_MAX 40 /* longer words are no SQL keyword or known function */

static void sq_lex_init(struct sq_lex *lx, const char *s, size_t n, char quote)
{
	lx->s = (const unsigned char *)s;
	lx->n = n;
	lx->pos = 0;
	lx->quote = quote;
	lx->started = 0;
	lx->in_exec = 0;
	lx->no_bs = 0;
	lx->arr = 0;
}

/* Bytes of a word: letters, digits, '_', '$' and every byte of UTF-8. */
enum { SQ_WB_DIGIT = 1, SQ_WB_ALPHA = 2 }; /* non-zero: a word byte */
#define SQ_W(c)                                                                                    \
	(((c) >= '0' && (c) <= '9') ? SQ_WB_DIGIT                                                  \
	 : (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || (c) == '_' ||              \
	    (c) == '$' || (c) >= 0x80)                                                             \
	     ? SQ_WB_ALPHA                                                                         \
	     : 0)
#define SQ_W4(c)  SQ_W(c), SQ_W((c) + 1), SQ_W((c) + 2), SQ_W((c) + 3)
#define SQ_W16(c) SQ_W4(c), SQ_W4((c) + 4), SQ_W4((c) + 8), SQ_W4((c) + 12)
#define SQ_W64(c) SQ_W16(c), SQ_W16((c) + 16), SQ_W16((c) + 32), SQ_W16((c) + 48)
static const unsigned char sq_word_byte[256] = {SQ_W64(0), SQ_W64(64), SQ_W64(128), SQ_W64(192)};
#undef SQ_W64
#undef SQ_W16
#undef SQ_W4
#undef SQ_W

static int sq_is_word(unsigned char c)
{
	return sq_word_byte[c] != 0;
}

/* A space or a tab. */
static const unsigned char sq_blank[256] = {['\t'] = 1, [' '] = 1};

/* ASCII letters and digits. */
#define SQ_AN(c)                                                                                   \
	(((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define SQ_AN4(c)  SQ_AN(c), SQ_AN((c) + 1), SQ_AN((c) + 2), SQ_AN((c) + 3)
#define SQ_AN16(c) SQ_AN4(c), SQ_AN4((c) + 4), SQ_AN4((c) + 8), SQ_AN4((c) + 12)
#define SQ_AN64(c) SQ_AN16(c), SQ_AN16((c) + 16), SQ_AN16((c) + 32), SQ_AN16((c) + 48)
static const unsigned char sq_alnum[256] = {SQ_AN64(0), SQ_AN64(64), SQ_AN64(128), SQ_AN64(192)};
#undef SQ_AN64
#undef SQ_AN16
#undef SQ_AN4
#undef SQ_AN

static int sq_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The end of the run of bytes table t marks, from s[p] on (s[0..n)):
 * four bytes a step, one bound test for them, as most words are longer
 * than three bytes. */
static inline size_t sq_run_end(const unsigned char *t, const unsigned char *s, size_t p, size_t n)
{
	for (; p + 4 <= n; p += 4) {
		if (!t[s[p]])
			return p;
		if (!t[s[p + 1]])
			return p + 1;
		if (!t[s[p + 2]])
			return p + 2;
		if (!t[s[p + 3]])
			return p + 3;
	}
	while (p < n && t[s[p]])
		p++;
	return p;
}

/* Can sq_skip_gap move past or stop inside a byte c (white space, a
 * no-break space, a comment's start or end)? */
static int sq_may_gap(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == 0xc2 || c == '/' || c == '*';
}

/* Skips white space and terminated inline comments; MySQL's executable
 * comment markers vanish and leave their content to be read as SQL. */
static void sq_skip_gap(struct sq_lex *lx)
{
	const unsigned char *s = lx->s;
	size_t n = lx->n, p = lx->pos;

	while (p < n) {
		unsigned char c = s[p];
		if (c <= 0x20 || c == 0x7f) {
			p++;
		} else if (c == 0xc2 && p + 1 < n && s[p + 1] == 0xa0) {
			p += 2; /* no-break space */
		} else if (c == '/' && p + 1 < n && s[p + 1] == '*') {
			if (p + 2 < n && s[p + 2] == '!') {
				p += 3;
				while (p < n && sq_is_digit(s[p]))
					p++;
				lx->in_exec = 1;
				continue;
			}
			const unsigned char *e = memmem(s + p + 2, n - p - 2, "*/", 2);
			if (!e)
				break; /* unterminated: a comment token */
			p = (size_t)(e - s) + 2;
		} else if (c == '*' && lx->in_exec && p + 1 < n && s[p + 1] == '/') {
			p += 2;
			lx->in_exec = 0;
		} else {
			break;
		}
	}
	lx->pos = p;
}

/* Bytes as sq_inert (detect_sqli.c) sees them: white space and
 * punctuation that only joins tokens; a byte that starts a token the rules
 * act on; the first byte of a pair that does ("--", "slash-star", "::");
 * the first byte of a word. */
enum { SQ_Q_INERT, SQ_Q_SIG, SQ_Q_PAIR, SQ_Q_WORD };
#define SQ_Q(c)                                                                                    \
	(sq_word_byte[c] ? SQ_Q_WORD                                                               \
	 : ((c) == '(' || (c) == ')' || (c) == ';' || (c) == '#' || (c) == '=' || (c) == '<' ||    \
	    (c) == '>' || (c) == '!' || (c) == '&' || (c) == '|' || (c) == '~' || (c) == '\'' ||   \
	    (c) == '"')                                                                            \
	     ? SQ_Q_SIG                                                                            \
	 : ((c) == '-' || (c) == '/' || (c) == ':') ? SQ_Q_PAIR                                    \
	                                            : SQ_Q_INERT)
static unsigned char sq_quick[256];

static unsigned char sq_pair_next(unsigned char c)
{
	return c == '/' ? '*' : c; /* -- :: and slash-star */
}

/* Does every dotted word in the list play no role? sq_inert looks the
 * parts of a dotted name up, not the whole. */
static int sq_dotted_ok;

static int sq_cat_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/* Which last bytes occur per first letter and length: most words of a text
 * are turned away by one bit test instead of a search ("one" is not "ord",
 * "it" is not "if"). The words that pass it cost one hash probe (the
 * entry's role is its index plus one). Every listed word is shorter than
 * SQ_WORD_MAX. */
static uint32_t sq_fl_mask[26][SQ_WORD_MAX];
static uint32_t sq_pen_mask[26][SQ_WORD_MAX]; /* the same for the byte before the last */
static uint32_t sq_byte_bit[256];             /* sq_last_bit of every byte */

/* The bit of a word's last byte in sq_fl_mask: a letter in any case, a
 * digit, or anything else. */
static uint32_t sq_last_bit(unsigned char c)
{
	unsigned l = (unsigned)(c | 0x20) - 'a';
	return (uint32_t)1 << (l <= 25 ? l : (c >= '0' && c <= '9') ? 26 : 27);
}
#define SQ_NWORDS (sizeof(sqw_words) / sizeof(sqw_words[0]))
#define SQ_SLOTS  512              /* power of two, over twice the words */
static uint16_t sq_slot[SQ_SLOTS]; /* 1 + index in sqw_words, 0 when empty */
static uint8_t sq_wlen[SQ_NWORDS];

/* Words are hashed by their length and first, second and last bytes, and
 * compared, with every byte's 0x20 bit set: that lower-cases letters and
 * leaves digits, '.' and '$' alone; the bytes it confuses with another word
 * byte are UTF-8, which no listed word holds. */
static inline uint32_t sq_hash(const unsigned char *w, size_t l)
{
	uint32_t h = (uint32_t)(w[0] | 0x20) * 31u + (uint32_t)(w[l - 1] | 0x20) * 7u +
	             (uint32_t)(w[l > 1] | 0x20) * 131u + (uint32_t)l * 17u;
	return (h ^ (h >> 5)) & (SQ_SLOTS - 1);
}

static void __attribute__((constructor)) sq_words_init(void)
{
	int dotted_role = 0;
	for (size_t i = 0; i < sizeof(sqw_words) / sizeof(sqw_words[0]); i++) {
		const char *w = sqw_words[i].w;
		size_t l = strlen(w);
		if (w[0] >= 'a' && w[0] <= 'z' && l < SQ_WORD_MAX) {
			sq_fl_mask[w[0] - 'a'][l] |= sq_last_bit((unsigned char)w[l - 1]);
			sq_pen_mask[w[0] - 'a'][l] |=
			    l > 1 ? sq_last_bit((unsigned char)w[l - 2]) : ~(uint32_t)0;
		}
		sq_wlen[i] = (uint8_t)l;
		uint32_t h = sq_hash((const unsigned char *)w, l);
		while (sq_slot[h])
			h = (h + 1) & (SQ_SLOTS - 1);
		sq_slot[h] = (uint16_t)(i + 1);
		if (strchr(w, '.') && sqw_words[i].role != SQW_NONE)
			dotted_role = 1;
	}
	sq_dotted_ok = !dotted_role;
	for (unsigned c = 0; c < 256; c++) {
		sq_quick[c] = SQ_Q(c);
		sq_byte_bit[c] = sq_last_bit((unsigned char)c);
	}
}

/* May the word w[0..l) (any case) be in the list? One bit test. */
static inline int sq_word_maybe(const unsigned char *w, size_t l)
{
	unsigned first = (unsigned)(w[0] | 0x20) - 'a'; /* a letter: 0..25 */
	return l != 0 && first <= 25 && l < SQ_WORD_MAX &&
	       (sq_fl_mask[first][l] & sq_byte_bit[w[l - 1]]) &&
	       (l == 1 || (sq_pen_mask[first][l] & sq_byte_bit[w[l - 2]]));
}

/* Are w[0..l) and e[0..l) (l >= 1) the same with every byte's 0x20 bit
 * set? Two loads of each, overlapping when l is not a power of two, in
 * place of a loop over the bytes; longer words take eight bytes a step. */
static inline int sq_same_folded(const unsigned char *w, const unsigned char *e, size_t l)
{
	if (l >= 8) {
		uint64_t a, b, c, d;
		for (size_t i = 0; i + 8 < l; i += 8) {
			memcpy(&a, w + i, 8);
			memcpy(&b, e + i, 8);
			if ((a | 0x2020202020202020ull) != (b | 0x2020202020202020ull))
				return 0;
		}
		memcpy(&c, w + l - 8, 8);
		memcpy(&d, e + l - 8, 8);
		return (c | 0x2020202020202020ull) == (d | 0x2020202020202020ull);
	}
	if (l >= 4) {
		uint32_t a, b, c, d;
		memcpy(&a, w, 4);
		memcpy(&b, e, 4);
		memcpy(&c, w + l - 4, 4);
		memcpy(&d, e + l - 4, 4);
		return (a | 0x20202020u) == (b | 0x20202020u) &&
		       (c | 0x20202020u) == (d | 0x20202020u);
	}
	if (l >= 2) {
		uint16_t a, b, c, d;
		memcpy(&a, w, 2);
		memcpy(&b, e, 2);
		memcpy(&c, w + l - 2, 2);
		memcpy(&d, e + l - 2, 2);
		return (uint16_t)(a | 0x2020u) == (uint16_t)(b | 0x2020u) &&
		       (uint16_t)(c | 0x2020u) == (uint16_t)(d | 0x2020u);
	}
	return (w[0] | 0x20) == (e[0] | 0x20);
}

/* The entry of the word w[0..l) (any case) that sq_word_maybe let
 * through, or NULL. */
static inline __attribute__((always_inline)) const struct sqw_word *
sq_word_lookup(const unsigned char *w, size_t l)
{
	for (uint32_t h = sq_hash(w, l); sq_slot[h]; h = (h + 1) & (SQ_SLOTS - 1)) {
		size_t k = sq_slot[h] - 1;
		if (sq_wlen[k] == l && sq_same_folded(w, (const unsigned char *)sqw_words[k].w, l))
			return &sqw_words[k];
	}
	return NULL;
}

/* The entry of the word w[0..l), in any case, or NULL. */
static const struct sqw_word *sq_word_find(const unsigned char *w, size_t l)
{
	return sq_word_maybe(w, l) ? sq_word_lookup(w, l) : NULL;
}

/* Lower-cases s[0..len) into buf; returns 0 when the word is too long to be
 * one SQL knows. */
static int sq_lower(const unsigned char *s, size_t len, char *buf)
{
	if (len >= SQ_WORD_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	buf[len] = '\0';
	return 1;
}

/* Scans a quoted literal whose body starts at p; backslash escapes and
 * doubled quotes stay inside. Returns the index just past it. */
static size_t sq_scan_quoted(struct sq_lex *lx, size_t p, unsigned char q, struct sq_tok *t)
{
	const unsigned char *s = lx->s;
	size_t n = lx->n;
	while (p < n) {
		if (s[p] == '\\' && q != '`' && !lx->no_bs) {
			p += 2;
		} else if (s[p] == q) {
			if (p + 1 < n && s[p + 1] == q) {
				p += 2;
				continue;
			}
			return p + 1;
		} else {
			p++;
		}
	}
	t->flags |= SQ_F_UNCLOSED;
	return n;
}

static size_t sq_scan_line(struct sq_lex *lx, size_t p, struct sq_tok *t)
{
	const unsigned char *s = lx->s;
	size_t body = 0;
	while (p < lx->n && s[p] != '\n' && s[p] != '\r') {
		if (s[p] > 0x20 && s[p] != '-')
			body++;
		p++;
	}
	if (body <= 2)
		t->flags |= SQ_F_SHORT;
	return p;
}

/* Classifies the word s[a..b): keyword, function, literal or identifier.
 * dots and under say whether a '.' or a '_' is in it. */
static void sq_word(struct sq_lex *lx, size_t a, size_t b, int dots, int under, struct sq_tok *t)
{
	char w[SQ_WORD_MAX];
	const unsigned char *r = lx->s + a;
	const struct sqw_word *kw = NULL;
	size_t len = b - a;
	t->type = SQ_BARE;
	if (len >= SQ_WORD_MAX)
		return;
	kw = sq_word_find(r, len);
	/* A catalogue is named by the first part of a dotted name, or by the
	 * whole name (mysql.user, sys.tables); every one holds '_' or '.', or
	 * starts sys / msys, which spares the search (and the lower-cased
	 * copy) for most words. */
	int sysish =
	    len > 5 && (((r[0] | 0x20) == 's' && (r[1] | 0x20) == 'y' && (r[2] | 0x20) == 's') ||
	                ((r[0] | 0x20) == 'm' && (r[1] | 0x20) == 's' && (r[2] | 0x20) == 'y' &&
	                 (r[3] | 0x20) == 's'));
	if (dots || under || sysish)
		sq_lower(r, len, w);
	else
		w[0] = '\0';
	const char *dot = dots ? memchr(w, '.', len) : NULL;
	int dotted_kw = 0;
	if (!kw && dot) {
		dotted_kw = 1;
		const char *last = strrchr(w, '.') + 1;
		kw = sq_word_find((const unsigned char *)last, len - (size_t)(last - w));
		if (kw && kw->fn == SQF_NONE)
			kw = NULL; /* a.from is a column, not a keyword */
	}
	if (dots || under || sysish) {
		char first[SQ_WORD_MAX];
		size_t fl = dot ? (size_t)(dot - w) : len;
		size_t ncat = sizeof(sqw_catalogs) / sizeof(sqw_catalogs[0]);
		memcpy(first, w, fl);
		first[fl] = '\0';
		if (bsearch(first, sqw_catalogs, ncat, sizeof(sqw_catalogs[0]), sq_cat_cmp) ||
		    bsearch(w, sqw_catalogs, ncat, sizeof(sqw_catalogs[0]), sq_cat_cmp))
			t->flags |= SQ_F_CATALOG;
	}

	/* Does a '(' follow? Peek past white space and inline comments; plain
	 * spaces before a byte that starts no gap are skipped right here. */
	struct sq_lex peek;
	peek.pos = b;
	while (peek.pos < lx->n && lx->s[peek.pos] == ' ')
		peek.pos++;
	if (peek.pos < lx->n && sq_may_gap(lx->s[peek.pos])) {
		peek = *lx;
		peek.pos = b;
		sq_skip_gap(&peek);
	}
	int call = peek.pos < lx->n && lx->s[peek.pos] == '(';
	/* array[1, 2]: PostgreSQL's array constructor, a call in brackets */
	if (len == 5 && b < lx->n && lx->s[b] == '[' &&
	    strncasecmp((const char *)r, "array", 5) == 0) {
		t->type = SQ_FUNC;
		return;
	}
	/* mysql.user is a table; master..xp_cmdshell( and dbo.sp_x( are
	 * procedures; Thread.sleep( and time.sleep( are other languages */
	if (dotted_kw && kw) {
		const char *last = strrchr(w, '.') + 1;
		size_t fl = (size_t)(dot - w);
		int proc = memcmp(last, "xp_", 3) == 0 || memcmp(last, "sp_", 3) == 0;
		int schema = (fl == 6 && memcmp(w, "master", 6) == 0) ||
		             (fl == 3 && (memcmp(w, "dbo", 3) == 0 || memcmp(w, "sys", 3) == 0));
		if (!call || !(proc || schema))
			kw = NULL;
	}
	if (call && (!kw || kw->fn != SQF_NONE)) {
		/* Unknown names count as calls only when the '(' is glued on,
		 * or only an inline comment stands between: English puts a
		 * space before its parentheses. */
		if (kw || peek.pos == b || lx->s[b] == '/') {
			t->type = SQ_FUNC;
			t->fn = kw ? kw->fn : SQF_NONE;
			return;
		}
	}
	if (!kw)
		return;
	switch (kw->role) {
	case SQW_NONE:
		return;
	case SQW_LOGIC:
		t->type = SQ_LOGIC;
		return;
	case SQW_NOT:
		t->type = SQ_NOT;
		return;
	case SQW_ARITH:
		t->type = SQ_OP;
		t->flags |= SQ_F_WORD;
		return;
	case SQW_CMP:
		/* in is a comparison only before its list */
		if (len == 2 && (r[0] | 0x20) == 'i' && (r[1] | 0x20) == 'n' && !call)
			return;
		t->type = SQ_CMP;
		t->flags |= SQ_F_WORD;
		return;
	case SQW_POSTFIX:
		t->type = SQ_CMP;
		t->flags |= SQ_F_WORD | SQ_F_POSTFIX;
		return;
	case SQW_LIT:
		t->type = SQ_NUM;
		return;
	default:
		t->type = SQ_KW;
		t->role = kw->role;
		return;
	}
}

/* String-literal prefixes: N'..' X'..' B'..' E'..' and _charset'..'. */
static int sq_is_str_prefix(const unsigned char *s, size_t len)
{
	if (len == 1) {
		unsigned char c = s[0] | 0x20;
		return c == 'n' || c == 'x' || c == 'b' || c == 'e' || c == 'q';
	}
	return len > 1 && s[0] == '_';
}

static size_t sq_scan_number(struct sq_lex *lx, size_t p, struct sq_tok *t)
{
	const unsigned char *s = lx->s;
	size_t n = lx->n;
	if (s[p] == '0' && p + 1 < n && (s[p + 1] | 0x20) == 'x') {
		p += 2;
		while (p < n &&
		       (sq_is_digit(s[p]) || ((s[p] | 0x20) >= 'a' && (s[p] | 0x20) <= 'f')))
			p++;
	} else {
		while (p < n && sq_is_digit(s[p]))
			p++;
		if (p < n && s[p] == '.') {
			p++;
			while (p < n && sq_is_digit(s[p]))
				p++;
		}
		if (p + 1 < n && (s[p] | 0x20) == 'e' &&
		    (sq_is_digit(s[p + 1]) || ((s[p + 1] == '+' || s[p + 1] == '-') && p + 2 < n &&
		                               sq_is_digit(s[p + 2])))) {
			p += 2;
			while (p < n && sq_is_digit(s[p]))
				p++;
		}
	}
	t->type = SQ_NUM;
	if (p < n && sq_is_word(s[p]) && !sq_is_digit(s[p])) {
		/* 1union: MySQL reads a number and a keyword; 5pm is a word. */
		size_t q = p;
		while (q < n && sq_is_word(s[q]))
			q++;
		const struct sqw_word *kw = q - p < SQ_WORD_MAX ? sq_word_find(s + p, q - p) : NULL;
		if ((!kw || kw->role == SQW_NONE) && q - p > 4 &&
		    ((s[p] | 0x20) == 'd' || (s[p] | 0x20) == 'f')) {
			/* 1dunion, 2fselect: Oracle's binary double and float
			 * suffixes glue a number to the keyword after them;
			 * only words that continue a query (not "1for") */
			const struct sqw_word *k2 =
			    q - p - 1 < SQ_WORD_MAX ? sq_word_find(s + p + 1, q - p - 1) : NULL;
			if (k2 && (k2->role == SQW_UNION || k2->role == SQW_SELECT ||
			           k2->role == SQW_FROM))
				return p + 1;
		}
		if (!kw || kw->role == SQW_NONE) {
			t->type = SQ_BARE;
			p = q;
		}
	}
	return p;
}

/* Operators, longest match first. */
static size_t sq_scan_op(struct sq_lex *lx, size_t p, struct sq_tok *t)
{
	const unsigned char *s = lx->s;
	unsigned char c = s[p], d = p + 1 < lx->n ? s[p + 1] : 0;
	unsigned char e = p + 2 < lx->n ? s[p + 2] : 0;
	t->type = SQ_OP;
	switch (c) {
	case '(':
		t->type = SQ_LP;
		return p + 1;
	case ')':
		t->type = SQ_RP;
		return p + 1;
	case ',':
		t->type = SQ_COMMA;
		return p + 1;
	case ';':
		t->type = SQ_SEMI;
		return p + 1;
	case '=':
		t->type = SQ_CMP;
		t->flags |= SQ_F_EQ;
		return p + (d == '=' ? 2 : 1);
	case '<':
		t->type = SQ_CMP;
		if (d == '=' && e == '>')
			return p + 3; /* <=> */
		if (d == '>' || d == '=' || d == '@')
			return p + 2;
		if (d == '<') {
			t->type = SQ_OP;
			return p + 2;
		}
		return p + 1;
	case '>':
		if (d == '>')
			return p + 2;
		t->type = SQ_CMP;
		return p + (d == '=' ? 2 : 1);
	case '!':
		if (d == '=' || d == '~') {
			t->type = SQ_CMP;
			return p + 2;
		}
		t->type = SQ_NOT;
		return p + 1;
	case '@':
		if (d == '>') {
			t->type = SQ_CMP;
			return p + 2;
		}
		break;
	case '?':
		if (d == '|' || d == '&') {
			t->type = SQ_CMP;
			return p + 2;
		}
		break;
	case '~':
		if (d == '*') {
			t->type = SQ_CMP;
			return p + 2;
		}
		return p + 1;
	case '|':
	case '&':
		if (d == c) {
			t->type = SQ_LOGIC;
			return p + 2;
		}
		return p + 1;
	case '-':
		if (d == '>')
			return p + (e == '>' ? 3 : 2); /* -> ->> */
		return p + 1;
	case '#':
		return p + (e == '>' ? 3 : 2); /* #> #>> (the lexer saw the '>') */
	case ':':
		if (d == ':' || d == '=')
			return p + 2;
		break;
	case '*':
		t->flags |= SQ_F_STAR;
		return p + 1;
	case '+':
	case '/':
	case '%':
	case '^':
		return p + 1;
	default:
		break;
	}
	t->type = SQ_OTHER;
	return p + 1;
}

/* Reads the next token; returns 0 at the end of the input (t is SQ_END). */
static int sq_lex_next(struct sq_lex *lx, struct sq_tok *t)
{
	const unsigned char *s = lx->s;
	size_t n = lx->n, p;

	memset(t, 0, sizeof(*t));
	if (!lx->started && lx->quote) {
		/* Inside a literal already: its body runs to the first quote. */
		lx->started = 1;
		t->type = SQ_STR;
		lx->pos = sq_scan_quoted(lx, 0, (unsigned char)lx->quote, t);
		t->len = (uint32_t)lx->pos;
		return 1;
	}
	lx->started = 1;
	p = lx->pos;
	while (p < n && s[p] == ' ')
		p++;
	lx->pos = p;
	if (p < n && sq_may_gap(s[p])) {
		sq_skip_gap(lx);
		p = lx->pos;
	}
	t->off = (uint32_t)p;
	if (p >= n) {
		t->type = SQ_END;
		return 0;
	}
	unsigned char c = s[p];
	if (sq_word_byte[c] && !sq_is_digit(c)) {
		/* a word (the commonest token, tested first): letters, digits,
		 * '_', '$', UTF-8, and dots between them */
		size_t b = p;
		int dots = 0, under = 0;
		while (b < n) {
			unsigned char d = s[b];
			if (sq_word_byte[d]) {
				under |= d == '_';
				b++;
			} else if (d == '.' && b + 1 < n &&
			           (sq_is_word(s[b + 1]) || s[b + 1] == '.')) {
				dots = 1;
				b++;
			} else {
				break;
			}
		}
		if (b < n && (s[b] == '\'' || s[b] == '"') && sq_is_str_prefix(s + p, b - p)) {
			t->type = SQ_STR;
			p = sq_scan_quoted(lx, b + 1, s[b], t);
		} else {
			sq_word(lx, p, b, dots, under, t);
			p = b;
		}
	} else if (c == '\'' || c == '"') {
		t->type = SQ_STR;
		p = sq_scan_quoted(lx, p + 1, c, t);
	} else if (c == '`') {
		t->type = SQ_BARE;
		size_t q = sq_scan_quoted(lx, p + 1, c, t);
		/* `information_schema`: a catalogue quoted is one still */
		char w[SQ_WORD_MAX];
		size_t wl = q - p - 2;
		if (!(t->flags & SQ_F_UNCLOSED) && q - p > 2 && wl < SQ_WORD_MAX &&
		    (s[p + 1] | 0x20) <= 's' && (s[p + 1] | 0x20) >= 'a') {
			for (size_t k = 0; k < wl; k++) {
				unsigned char d = s[p + 1 + k];
				w[k] = (char)(d >= 'A' && d <= 'Z' ? d | 0x20 : d);
			}
			w[wl] = '\0';
			if (bsearch(w, sqw_catalogs, sizeof(sqw_catalogs) / sizeof(sqw_catalogs[0]),
			            sizeof(sqw_catalogs[0]), sq_cat_cmp))
				t->flags |= SQ_F_CATALOG;
		}
		/* `db`.`t`.`c`, `t`.id: one dotted name, as the server reads it */
		for (int k = 0; k < 4 && !(t->flags & SQ_F_UNCLOSED) && q + 1 < n && s[q] == '.' &&
		                (s[q + 1] == '`' || sq_word_byte[s[q + 1]]);
		     k++) {
			if (s[q + 1] == '`') {
				q = sq_scan_quoted(lx, q + 2, '`', t);
				continue;
			}
			for (q++; q < n && sq_word_byte[s[q]]; q++)
				;
		}
		p = q;
	} else if (c == '[' && p >= 5 && strncasecmp((const char *)s + p - 5, "array", 5) == 0 &&
	           (p == 5 || !sq_is_word(s[p - 6]))) {
		t->type = SQ_LP; /* array[: the constructor's list opens */
		lx->arr++;
		p++;
	} else if (c == ']' && lx->arr > 0) {
		t->type = SQ_RP;
		lx->arr--;
		p++;
	} else if (c == '[') {
		/* [name]: a bracketed identifier (SQL Server, Access) */
		size_t q = p + 1;
		while (q < n && q - p < 130 &&
		       (sq_is_word(s[q]) || s[q] == ' ' || s[q] == '.' ||
		        (s[q] == ']' && q + 2 < n && s[q + 1] == '.' && s[q + 2] == '[')))
			q += s[q] == ']' ? 3 : 1; /* [sys].[tables] */
		if (q < n && s[q] == ']' && q > p + 1) {
			t->type = SQ_BARE;
			p = q + 1;
		} else {
			t->type = SQ_OTHER;
			p++;
		}
	} else if (sq_is_digit(c) || (c == '.' && p + 1 < n && sq_is_digit(s[p + 1]))) {
		p = sq_scan_number(lx, p, t);
	} else if (c == '@' && p + 1 < n &&
	           (s[p + 1] == '`' || s[p + 1] == '\'' || s[p + 1] == '"')) {
		/* @`name`, @'name': a quoted variable name, closed */
		t->type = SQ_VAR;
		size_t q = sq_scan_quoted(lx, p + 2, s[p + 1], t);
		if (t->flags & SQ_F_UNCLOSED) {
			t->flags = 0;
			t->type = SQ_OTHER;
			q = p + 1;
		}
		p = q;
	} else if (c == '@' && p + 1 < n && (sq_is_word(s[p + 1]) || s[p + 1] == '@')) {
		t->type = SQ_VAR;
		p++;
		if (s[p] == '@') {
			t->flags |= SQ_F_DBLAT;
			p++;
		}
		while (p < n && (sq_is_word(s[p]) || s[p] == '.'))
			p++;
	} else if ((c == '-' && p + 1 < n && s[p + 1] == '-') ||
	           (c == '#' && !(p + 1 < n && s[p + 1] == '>'))) {
		t->type = SQ_COMMENT;
		p = sq_scan_line(lx, p + (c == '#' ? 1 : 2), t);
	} else if (c == '/' && p + 1 < n && s[p + 1] == '*') {
		/* the gap skipper leaves only unterminated block comments */
		t->type = SQ_COMMENT;
		t->flags |= SQ_F_UNCLOSED;
		if (n - p <= 4)
			t->flags |= SQ_F_SHORT;
		p = n;
	} else {
		p = sq_scan_op(lx, p, t);
	}
	t->len = (uint32_t)(p - t->off);
	lx->pos = p;
	return 1;
}

#endif
