/* The interface between the inspection engine and its detectors.
 *
 * The engine extracts every attacker-reachable input of an event (a string
 * value, an object key, a header, a query parameter...), decodes it the way
 * the function's code will see it, and hands each one to the detectors. A
 * detector is a pure function of its input: no state, no allocation beyond a
 * bounded stack scratch, linear time in the input length, never reads past n
 * (s is not NUL-terminated), and safe to call from many threads at once.
 */
#ifndef POL_DETECT_H
#define POL_DETECT_H

#include <stddef.h>
#include <stdint.h>

enum pol_category {
	POL_CAT_SQLI,
	POL_CAT_XSS,
	POL_CAT_CMDI,
	POL_CAT_PATH_TRAVERSAL,
	POL_CAT_SSRF,
	POL_CAT_NOSQLI,
	POL_CAT_PROTO_POLLUTION,
	POL_CAT_JNDI,
	POL_CAT_SSTI,
	POL_CAT_XXE,
	POL_CAT_DESERIALIZATION,
	POL_CAT_CODE_INJECTION,
	POL_CAT_OVERSIZE,
	POL_CAT_TOO_DEEP,
	POL_CAT_MALFORMED,
	POL_CAT__COUNT
};

enum pol_severity {
	POL_SEV_INFO,
	POL_SEV_LOW,
	POL_SEV_MEDIUM,
	POL_SEV_HIGH,
	POL_SEV_CRITICAL,
};

/* Bits of pol_ctx.chars: which significant bytes the input holds, computed
 * once by the engine so that a detector can return at once on inputs that
 * cannot hold its attack (most benign strings are letters and spaces). */
enum {
	POL_CH_SQUOTE = 1u << 0,   /* ' */
	POL_CH_DQUOTE = 1u << 1,   /* " */
	POL_CH_BACKTICK = 1u << 2, /* ` */
	POL_CH_LT = 1u << 3,       /* < */
	POL_CH_GT = 1u << 4,       /* > */
	POL_CH_SEMI = 1u << 5,     /* ; */
	POL_CH_PIPE = 1u << 6,     /* | */
	POL_CH_AMP = 1u << 7,      /* & */
	POL_CH_DOLLAR = 1u << 8,   /* $ */
	POL_CH_LBRACE = 1u << 9,   /* { */
	POL_CH_RBRACE = 1u << 10,  /* } */
	POL_CH_PAREN = 1u << 11,   /* ( or ) */
	POL_CH_SLASH = 1u << 12,   /* / */
	POL_CH_BSLASH = 1u << 13,  /* \ */
	POL_CH_DOT = 1u << 14,     /* . */
	POL_CH_PERCENT = 1u << 15, /* % */
	POL_CH_COLON = 1u << 16,   /* : */
	POL_CH_EQUALS = 1u << 17,  /* = */
	POL_CH_HASH = 1u << 18,    /* # */
	POL_CH_DASH = 1u << 19,    /* - */
	POL_CH_STAR = 1u << 20,    /* * */
	POL_CH_NEWLINE = 1u << 21, /* \n or \r */
	POL_CH_AT = 1u << 22,      /* @ */
	POL_CH_BRACKET = 1u << 23, /* [ or ] */
	POL_CH_PLUS = 1u << 24,    /* + */
	POL_CH_COMMA = 1u << 25,   /* , */
	POL_CH_DIGIT = 1u << 26,   /* 0-9 */
	POL_CH_ALPHA = 1u << 27,   /* A-Z a-z */
	POL_CH_SPACE = 1u << 28,   /* space or tab */
	POL_CH_CTRL = 1u << 29,    /* other bytes below 0x20, and 0x7f */
	POL_CH_HIGH = 1u << 30,    /* bytes 0x80 and above */
	POL_CH_QMARK = 1u << 31,   /* ? */
};

/* Where the input sat, for detectors whose judgement depends on it. */
enum {
	POL_IN_KEY = 1u << 0,    /* an object key or parameter name */
	POL_IN_HEADER = 1u << 1, /* an HTTP header value */
	POL_IN_PATH = 1u << 2,   /* the URL path (or an S3 object key) */
	POL_IN_QUERY = 1u << 3,  /* a query-string or form value */
	POL_IN_COOKIE = 1u << 4,
	POL_IN_BODY = 1u << 5,   /* a whole raw body that did not parse further */
	POL_IN_URLISH = 1u << 6, /* the field's name says it holds a URL (url, uri, href, callback...) */
	POL_IN_PATHISH = 1u << 7, /* the field's name says it holds a file path (path, file, include...) */
};

struct pol_ctx {
	uint32_t chars; /* POL_CH_* bits present in the input */
	uint32_t where; /* POL_IN_* bits */
};

struct pol_hit {
	const char *rule; /* static string, e.g. "sqli.tautology" */
	enum pol_category category;
	enum pol_severity severity;
	uint8_t confidence; /* 1..100: 90+ certain, 60-89 likely, below: weak signal */
	uint32_t off, len;  /* the span of the input that matched, for the excerpt */
};

/* The paranoia level a hit of this confidence is a signal of: 1 from 50
 * up, 2 for 30-49, 3 for 15-29, 4 for 1-14 (5 for 0: no signal). A policy
 * at paranoia N reports the signals of levels 1 to N (policies/scan.c). */
static inline unsigned pol_signal_level(unsigned confidence)
{
	return confidence >= 50   ? 1
	       : confidence >= 30 ? 2
	       : confidence >= 15 ? 3
	       : confidence >= 1  ? 4
	                          : 5;
}

/* Computes pol_ctx.chars for s[0..n). */
uint32_t pol_charmask(const char *s, size_t n);

/* Each returns 1 and fills *hit (the strongest finding) when s[0..n) holds
 * an attack of its class, 0 when it does not. */
typedef int (*pol_detector_fn)(const char *s, size_t n, const struct pol_ctx *ctx,
			       struct pol_hit *hit);

int pol_detect_sqli(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit);
int pol_detect_xss(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit);
int pol_detect_cmdi(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit);
int pol_detect_path_traversal(const char *s, size_t n, const struct pol_ctx *ctx,
			      struct pol_hit *hit);
int pol_detect_ssrf(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit);
int pol_detect_nosqli(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit);
int pol_detect_proto_pollution(const char *s, size_t n, const struct pol_ctx *ctx,
			       struct pol_hit *hit);
int pol_detect_jndi(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit);
int pol_detect_ssti(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit);
int pol_detect_xxe(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit);
int pol_detect_deserialization(const char *s, size_t n, const struct pol_ctx *ctx,
			       struct pol_hit *hit);
int pol_detect_code_injection(const char *s, size_t n, const struct pol_ctx *ctx,
			      struct pol_hit *hit);

/* Whether the element name at the start of s[0..n) (any case) is one of
 * HTML's: markup a browser renders, where "&lt;script&gt;" is text shown
 * and "&nbsp;" a character, not XML data a parser hands the code (xxe's
 * undeclared references, xml.c's sniffing). */
int pol_html_element(const char *s, size_t n);

#endif
