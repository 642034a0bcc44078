/* Detector: proto_pollution. Prototype pollution needs a property path that
 * reaches Object.prototype: the key __proto__, or constructor followed by
 * prototype. We look for those as path segments, whatever the notation:
 * a key on its own ("__proto__"), dotted ("a.__proto__.x",
 * "constructor.prototype"), bracketed ("user[__proto__][admin]",
 * "constructor[prototype]", "['constructor']['prototype']") or inside JSON
 * text ("{\"__proto__\":"). The words alone in prose are not paths: a
 * segment must be delimited by path punctuation on both sides.
 */
#include <string.h>

#include "detect.h"

static int is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$';
}

/* Path punctuation around a segment: . [ ] quotes, and the ends. */
static int is_sep(unsigned char c)
{
	return c == '.' || c == '[' || c == ']' || c == '"' || c == '\'' || c == '`' || c == '/' ||
	       c == '{' || c == ':' || c == '=' || c == '&' || c == '?' || c == ',' || c == ' ';
}

/* Finds word at i as a whole segment; returns 1 when it stands alone between
 * separators (or the string's ends). */
static int segment_at(const char *s, size_t n, size_t i, const char *w, size_t wn)
{
	if (n - i < wn || memcmp(s + i, w, wn) != 0)
		return 0;
	if (i > 0 && is_ident((unsigned char)s[i - 1]))
		return 0;
	if (i + wn < n && is_ident((unsigned char)s[i + wn]))
		return 0;
	return 1;
}

/* After "constructor" at i (wn bytes), skip separators and see whether the
 * next segment is "prototype". */
static int prototype_follows(const char *s, size_t n, size_t i, size_t *end)
{
	size_t k = i, seps = 0;
	while (k < n && is_sep((unsigned char)s[k]) && s[k] != ' ' && seps < 4) {
		k++;
		seps++;
	}
	if (seps == 0 || !segment_at(s, n, k, "prototype", 9))
		return 0;
	*end = k + 9;
	return 1;
}

int pol_detect_proto_pollution(const char *s, size_t n, const struct pol_ctx *ctx,
			       struct pol_hit *hit)
{
	if (n < 9 || !(ctx->chars & POL_CH_ALPHA))
		return 0;
	/* a key that is exactly a polluting segment */
	if ((ctx->where & POL_IN_KEY) && n == 9 && memcmp(s, "__proto__", 9) == 0) {
		*hit = (struct pol_hit){"proto_pollution.key", POL_CAT_PROTO_POLLUTION,
					POL_SEV_CRITICAL, 95, 0, 9};
		return 1;
	}
	/* a value that is exactly a polluting name feeds obj[name] = ... */
	if (n == 9 && memcmp(s, "__proto__", 9) == 0) {
		*hit = (struct pol_hit){"proto_pollution.name", POL_CAT_PROTO_POLLUTION, POL_SEV_HIGH,
					75, 0, (uint32_t)n};
		return 1;
	}
	for (size_t i = 0; i + 9 <= n; i++) {
		char c = s[i];
		if (c == '_' && segment_at(s, n, i, "__proto__", 9)) {
			/* alone in a value it is only a word; with path
			 * punctuation around it, it is a path */
			int framed = (i > 0 && is_sep((unsigned char)s[i - 1]) && s[i - 1] != ' ') ||
				     (i + 9 < n && is_sep((unsigned char)s[i + 9]) && s[i + 9] != ' ') ||
				     (ctx->where & POL_IN_KEY);
			if (framed) {
				*hit = (struct pol_hit){"proto_pollution.proto_path",
							POL_CAT_PROTO_POLLUTION, POL_SEV_CRITICAL, 95,
							(uint32_t)i, 9};
				return 1;
			}
		} else if (c == 'c' && segment_at(s, n, i, "constructor", 11)) {
			size_t end;
			if (prototype_follows(s, n, i + 11, &end)) {
				*hit = (struct pol_hit){"proto_pollution.constructor_prototype",
							POL_CAT_PROTO_POLLUTION, POL_SEV_CRITICAL, 90,
							(uint32_t)i, (uint32_t)(end - i)};
				return 1;
			}
		}
	}
	return 0;
}
