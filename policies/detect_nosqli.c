/* Detector: nosqli. Two shapes of attack on document databases:
 *
 * 1. Operators where data is expected. A MongoDB query operator ($ne, $gt,
 *    $regex, $where...) reaches a query when the attacker controls a key:
 *    a JSON key ("$ne"), a bracketed parameter name ("user[$ne]",
 *    "a[b][$gt]") or object text inside a string ("{\"$gt\": \"\"}",
 *    "{ $ne: 1 }", ", $where: '1 == 1'"). An operator is a known name after
 *    '$' used as a key: followed by ':' or closed by ']'. A price such as
 *    "$ne" in prose is not followed by either.
 *
 * 2. JavaScript injected into a $where clause or a mapReduce function: a
 *    quote or statement break followed by JavaScript that only makes sense
 *    as code: "return" with a value, a tautology ("1==1", "'a'=='a'")
 *    joined by || or &&, "this.<field>" used as an expression, "db.<coll>.
 *    <method>(", sleep() or a busy loop. English has no ";return" and no
 *    "'a'=='a'".
 */
#include <string.h>

#include "detect.h"

static const char *const operators[] = {
	"ne", "eq", "gt", "gte", "lt", "lte", "in", "nin", "regex", "where", "exists", "or",
	"and", "nor", "not", "expr", "elemMatch", "all", "size", "type", "mod", "text",
	"function", "accumulator", "comment", "jsonSchema", "options", "search", "near",
	"geoWithin", "lookup", "match", "set", "unset", "push", "inc", "rename",
};

static int is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$';
}

/* The operator named at s[i] (after a '$'), or 0: its length. */
static size_t operator_at(const char *s, size_t n, size_t i)
{
	size_t k = i;
	while (k < n && is_ident((unsigned char)s[k]) && s[k] != '$')
		k++;
	size_t len = k - i;
	for (size_t o = 0; o < sizeof(operators) / sizeof(operators[0]); o++)
		if (strlen(operators[o]) == len && memcmp(s + i, operators[o], len) == 0)
			return len;
	return 0;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static int set(struct pol_hit *hit, const char *rule, enum pol_severity sev, uint8_t conf,
	       size_t off, size_t len)
{
	*hit = (struct pol_hit){rule, POL_CAT_NOSQLI, sev, conf, (uint32_t)off, (uint32_t)len};
	return 1;
}

/* Shape 1: "$op" used as a key. */
static int operator_key(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	if ((ctx->where & POL_IN_KEY) && n > 1 && s[0] == '$' && operator_at(s, n, 1) == n - 1)
		return set(hit, "nosqli.operator_key", POL_SEV_HIGH, 90, 0, n);
	for (size_t i = 0; i + 2 < n; i++) {
		if (s[i] != '$' || (i > 0 && is_ident((unsigned char)s[i - 1]) && s[i - 1] != '$'))
			continue;
		size_t len = operator_at(s, n, i + 1);
		if (!len)
			continue;
		size_t end = i + 1 + len;
		/* bracket notation: name[$op] */
		if (i > 0 && s[i - 1] == '[' && end < n && s[end] == ']')
			return set(hit, "nosqli.bracket_operator", POL_SEV_HIGH, 95, i - 1, len + 3);
		/* object text: {"$op": / { $op: / , $op: / $op: at the start */
		size_t q = end;
		if (q < n && (s[q] == '"' || s[q] == '\''))
			q++;
		q = skip_ws(s, n, q);
		if (q < n && s[q] == ':') {
			size_t b = i;
			if (b > 0 && (s[b - 1] == '"' || s[b - 1] == '\''))
				b--;
			while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '\t'))
				b--;
			int opens = b == 0 || s[b - 1] == '{' || s[b - 1] == ',';
			if (opens)
				return set(hit, "nosqli.operator_object", POL_SEV_HIGH, 90, i, q + 1 - i);
		}
	}
	return 0;
}

/* Shape 2 helpers: a literal (number or quoted string) at i; its end. */
static size_t literal_at(const char *s, size_t n, size_t i)
{
	if (i >= n)
		return 0;
	if (s[i] == '\'' || s[i] == '"') {
		const char *e = memchr(s + i + 1, s[i], n - i - 1);
		return e && e - (s + i) <= 64 ? (size_t)(e - s) + 1 : 0;
	}
	size_t k = i;
	while (k < n && s[k] >= '0' && s[k] <= '9')
		k++;
	return k > i ? k : 0;
}

/* "A == A" (or ===, !=) with A a literal, starting at i; the end or 0. */
static size_t tautology_at(const char *s, size_t n, size_t i)
{
	size_t a = literal_at(s, n, i);
	if (!a)
		return 0;
	size_t k = skip_ws(s, n, a);
	if (n - k < 2 || s[k] != '=' || s[k + 1] != '=')
		return 0;
	k += 2;
	if (k < n && s[k] == '=')
		k++;
	k = skip_ws(s, n, k);
	size_t b = literal_at(s, n, k);
	if (b && b - k == a - i && memcmp(s + i, s + k, a - i) == 0)
		return b;
	/* ' || 'a'=='a : the right side's closing quote is the query's own */
	if (!b && k < n && s[k] == s[i] && (s[i] == '\'' || s[i] == '"') && n - k == a - i - 1 &&
	    memcmp(s + i, s + k, n - k) == 0)
		return n;
	return 0;
}

static int word_at(const char *s, size_t n, size_t i, const char *w)
{
	size_t wn = strlen(w);
	return n - i >= wn && memcmp(s + i, w, wn) == 0 && (i + wn == n || !is_ident((unsigned char)s[i + wn])) &&
	       (i == 0 || !is_ident((unsigned char)s[i - 1]));
}

static int javascript(const char *s, size_t n, struct pol_hit *hit)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		/* joined tautology: || 1==1, && 'a'=='a' */
		if ((c == '|' || c == '&') && i + 1 < n && s[i + 1] == c) {
			size_t k = skip_ws(s, n, i + 2);
			size_t e = tautology_at(s, n, k);
			if (e)
				return set(hit, "nosqli.js_tautology", POL_SEV_HIGH, 85, i, e - i);
			/* ' && this.password.match(...) */
			if (word_at(s, n, k, "this") && k + 4 < n && s[k + 4] == '.')
				return set(hit, "nosqli.js_this", POL_SEV_HIGH, 85, i, k + 5 - i);
		}
		/* $where: '1 == 1' */
		if (c == '$' && word_at(s, n, i + 1, "where"))
			return set(hit, "nosqli.where", POL_SEV_HIGH, 80, i, 6);
		/* statement break then return <value>: ";return true", "0;return" */
		if (c == ';') {
			size_t k = skip_ws(s, n, i + 1);
			/* the statement broken out of is a string or a number:
			 * "';return", "0;return" (code such as "f(); return 0"
			 * ends in a call) */
			size_t b = i;
			while (b > 0 && s[b - 1] == ' ')
				b--;
			int breaks_out = b == 0 || s[b - 1] == '\'' || s[b - 1] == '"' ||
					 (s[b - 1] >= '0' && s[b - 1] <= '9');
			if (breaks_out && word_at(s, n, k, "return")) {
				size_t v = skip_ws(s, n, k + 6);
				if (v < n && (s[v] == '(' || s[v] == '\'' || s[v] == '"' ||
					      (s[v] >= '0' && s[v] <= '9') || word_at(s, n, v, "true") ||
					      word_at(s, n, v, "this")))
					return set(hit, "nosqli.js_return", POL_SEV_HIGH, 85, i, v + 1 - i);
			}
			/* ';sleep(5000) and busy loops */
			if (word_at(s, n, k, "sleep") && k + 5 < n && s[k + 5] == '(')
				return set(hit, "nosqli.js_sleep", POL_SEV_HIGH, 85, i, 7);
			if (i > 0 && (s[i - 1] == '\'' || s[i - 1] == '"') && n - k > 3 &&
			    (memcmp(s + k, "it=", 3) == 0 || word_at(s, n, k, "var") ||
			     word_at(s, n, k, "while") || word_at(s, n, k, "do")))
				return set(hit, "nosqli.js_statement", POL_SEV_HIGH, 75, i - 1, k + 2 - i);
		}
		/* db.collection.method( */
		if (c == 'd' && word_at(s, n, i, "db") && i + 3 < n && s[i + 2] == '.') {
			size_t k = i + 3;
			while (k < n && is_ident((unsigned char)s[k]))
				k++;
			if (k > i + 3 && k < n && s[k] == '.') {
				size_t m = k + 1;
				while (m < n && is_ident((unsigned char)s[m]))
					m++;
				if (m > k + 1 && m < n && s[m] == '(')
					return set(hit, "nosqli.db_call", POL_SEV_HIGH, 85, i, m + 1 - i);
			}
		}
	}
	return 0;
}

int pol_detect_nosqli(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	uint32_t ch = ctx->chars;
	if ((ch & POL_CH_DOLLAR) && operator_key(s, n, ctx, hit))
		return 1;
	if (ch & (POL_CH_PIPE | POL_CH_AMP | POL_CH_SEMI | POL_CH_DOLLAR))
		return javascript(s, n, hit);
	/* with dots alone only db.<coll>.<method>( is possible: look for it
	 * with memmem rather than walking every byte (URLs, e-mails) */
	if ((ch & POL_CH_DOT) && (ch & POL_CH_PAREN) && memmem(s, n, "db.", 3))
		return javascript(s, n, hit);
	return 0;
}
