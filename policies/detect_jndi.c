/* Detector: jndi (Log4Shell and its relatives).
 *
 * Log4j 2 evaluates "${prefix:key:-default}" lookups recursively, and every
 * obfuscation in the wild relies on that: ${${lower:j}ndi:...},
 * ${${::-j}${::-n}di:...}, ${j${k8s:k5:-ND}i:...}, ${${date:'j'}ndi...}.
 * Instead of listing spellings we evaluate the lookups the way Log4j would,
 * as far as the text alone allows: defaults (":-"), lower, upper and quoted
 * date patterns resolve to their text, every other lookup to an "unknown"
 * marker. A lookup whose resolved content starts with "jndi:" is the attack;
 * lookups that read the environment or system properties are data leaks.
 *
 * The input is read through a decoder that undoes the URL and escape
 * encodings attackers layer on top (%24%7B, \u0024\u007b, \x24). Evaluation
 * nests at most JNDI_DEPTH levels and keeps at most JNDI_KEEP resolved bytes
 * per level on the stack; each byte is read once, so the cost is linear.
 */
#include <string.h>

#include "detect.h"
#include "detect_chars.h"

#define JNDI_DEPTH   12
#define JNDI_KEEP    96
#define JNDI_UNKNOWN '\x01' /* stands for the value of a lookup we cannot know */

struct jndi_reader {
	const unsigned char *s;
	size_t n, i;
};

#define JNDI_LAYERS 3 /* encodings undone on top of each other */

static int reader_next(struct jndi_reader *r, int layer);

/* Reads `digits` hex digits through the decoder (so that "%5Cu007B" and
 * "\u002524" both work); -1 if they are not there. */
static int hex_digits(struct jndi_reader *r, int digits, int layer)
{
	int v = 0;
	for (int k = 0; k < digits; k++) {
		int h = ch_hexval(reader_next(r, layer));
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static const struct {
	const char *name; /* between "&" and ";" */
	char c;
} html_entities[] = {
    {"lbrace", '{'}, {"lcub", '{'}, {"rbrace", '}'}, {"rcub", '}'},   {"dollar", '$'},
    {"colon", ':'},  {"sol", '/'},  {"period", '.'}, {"hyphen", '-'}, {"dash", '-'},
};

static int html_entity(struct jndi_reader *r, int layer)
{
	char name[8];
	size_t k = 0;
	int c = reader_next(r, layer);
	if (c == '#') {
		int v = 0, digits = 0, hex = 0;
		c = reader_next(r, layer);
		if (c == 'x' || c == 'X') {
			hex = 1;
			c = reader_next(r, layer);
		}
		for (; digits < 7; digits++, c = reader_next(r, layer)) {
			int h = hex ? ch_hexval(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
			if (h < 0)
				break;
			v = v * (hex ? 16 : 10) + h;
		}
		if (digits == 0 || c != ';')
			return -1;
		return v < 0x80 ? v : 0x80;
	}
	while (k < sizeof(name) && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
		name[k++] = (char)(c | 0x20);
		c = reader_next(r, layer);
	}
	if (c != ';')
		return -1;
	for (size_t e = 0; e < sizeof(html_entities) / sizeof(html_entities[0]); e++)
		if (strlen(html_entities[e].name) == k &&
		    memcmp(html_entities[e].name, name, k) == 0)
			return html_entities[e].c;
	return -1;
}

/* An escape that starts with c (already consumed): %HH, \uHHHH, \xHH,
 * &name; or &#N;. Returns the decoded byte, or -1 (position undefined). */
static int escape_value(struct jndi_reader *r, int c, int layer)
{
	int v = -1;
	if (c == '%') {
		v = hex_digits(r, 2, layer);
	} else if (c == '\\') {
		int e = reader_next(r, layer);
		if (e == 'u')
			v = hex_digits(r, 4, layer);
		else if (e == 'x')
			v = hex_digits(r, 2, layer);
		if (v >= 0x80)
			v = 0x80;
	} else if (c == '&') {
		v = html_entity(r, layer);
	}
	return v;
}

/* Next decoded byte, or -1 at the end. An escape may itself be spelled with
 * escapes, and may decode to the start of another escape ("%2524"), up to
 * JNDI_LAYERS deep; bytes beyond ASCII come back as 0x80, which can never
 * spell a lookup. */
static int reader_next(struct jndi_reader *r, int layer)
{
	if (r->i >= r->n)
		return -1;
	int c = r->s[r->i++];
	while ((c == '%' || c == '\\' || c == '&') && layer < JNDI_LAYERS) {
		size_t save = r->i;
		int v = escape_value(r, c, layer + 1);
		if (v < 0) {
			r->i = save;
			break;
		}
		c = v;
		layer++; /* a decoded "%" may start an escape of the next layer */
	}
	return c;
}

static int jndi_next(struct jndi_reader *r)
{
	return reader_next(r, 0);
}

/* One level of evaluation: the text between "${" and its "}". */
struct jndi_level {
	char buf[JNDI_KEEP];
	size_t len;
};

struct jndi_state {
	struct jndi_reader r;
	int jndi;        /* a lookup resolved to jndi:... */
	int known_proto; /* ... with a protocol JNDI would dial */
	int leak;        /* an env/sys/... lookup (data exfiltration) */
};

static void level_put(struct jndi_level *l, int c)
{
	if (l->len < JNDI_KEEP)
		l->buf[l->len++] = (char)c;
}

static int has_prefix(const char *b, size_t n, const char *p)
{
	size_t k = strlen(p);
	if (n < k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (ch_lower((unsigned char)b[i]) != p[i])
			return 0;
	return 1;
}

static const char *const jndi_protocols[] = {
    "ldap",  "ldaps",     "rmi", "dns", "iiop", "iiopname",
    "corba", "corbaname", "nds", "nis", "http", "https",
};

/* content is "jndi:PROTO://..."; is PROTO one JNDI knows? An unknown
 * (lookup-built) protocol counts: it resolves at run time. */
static int jndi_protocol_known(const char *b, size_t n)
{
	size_t p = 5, e = p;
	while (e < n && b[e] != ':' && e - p < 12)
		e++;
	if (e >= n || b[e] != ':')
		return 0;
	for (size_t i = p; i < e; i++)
		if (b[i] == JNDI_UNKNOWN)
			return 1;
	for (size_t k = 0; k < sizeof(jndi_protocols) / sizeof(jndi_protocols[0]); k++) {
		size_t kl = strlen(jndi_protocols[k]);
		if (kl == e - p && has_prefix(b + p, e - p, jndi_protocols[k]))
			return 1;
	}
	return 0;
}

/* Lookups that read secrets or host data when logged. */
static const char *const leak_prefixes[] = {
    "env:", "sys:",  "java:",      "bundle:", "docker:", "k8s:", "spring:",
    "web:", "main:", "jvmrunargs", "log4j:",  "ctx:",    "sd:",  "hostname",
};

/* Resolves a finished level's content into *out as Log4j would. */
static void level_resolve(struct jndi_state *st, const struct jndi_level *l, struct jndi_level *out)
{
	const char *b = l->buf;
	size_t n = l->len;
	size_t skip = 0;
	while (skip < n && (b[skip] == ' ' || b[skip] == '\t'))
		skip++;
	b += skip;
	n -= skip;

	if (has_prefix(b, n, "jndi:")) {
		st->jndi = 1;
		if (jndi_protocol_known(b, n))
			st->known_proto = 1;
	}
	for (size_t k = 0; k < sizeof(leak_prefixes) / sizeof(leak_prefixes[0]); k++)
		if (has_prefix(b, n, leak_prefixes[k]))
			st->leak = 1;

	for (size_t i = 0; i + 1 < n; i++) {
		if (b[i] == ':' && b[i + 1] == '-') { /* ${anything:-default} */
			for (size_t j = i + 2; j < n; j++)
				level_put(out, b[j]);
			return;
		}
	}
	if (has_prefix(b, n, "lower:") || has_prefix(b, n, "upper:")) {
		int up = ch_lower((unsigned char)b[0]) == 'u';
		for (size_t j = 6; j < n; j++) {
			int c = (unsigned char)b[j];
			level_put(out, up && c >= 'a' && c <= 'z' ? c - 32 : ch_lower(c));
		}
		return;
	}
	if (has_prefix(b, n, "date:")) { /* ${date:'j'} prints the quoted text */
		for (size_t j = 5; j < n; j++)
			if (b[j] != '\'')
				level_put(out, b[j]);
		return;
	}
	level_put(out, JNDI_UNKNOWN);
}

/* Reads after a "${" up to its "}" (or the end), filling *l; nested
 * lookups are evaluated recursively and their values appended. */
static void eval_lookup(struct jndi_state *st, struct jndi_level *l, int depth)
{
	int c, extra = 0;
	while ((c = jndi_next(&st->r)) >= 0) {
		if (c == '}') {
			if (extra == 0)
				return;
			extra--;
			level_put(l, c);
			continue;
		}
		if (c == '$') {
			size_t save = st->r.i;
			if (jndi_next(&st->r) == '{') {
				if (depth + 1 >= JNDI_DEPTH) {
					extra++; /* too deep: keep counting braces only */
					level_put(l, '$');
					level_put(l, '{');
					continue;
				}
				struct jndi_level inner = {.len = 0};
				eval_lookup(st, &inner, depth + 1);
				level_resolve(st, &inner, l);
				continue;
			}
			st->r.i = save;
		}
		level_put(l, c);
	}
}

/* "jndi:ldap://" without the lookup braces: a payload whose "${" was
 * consumed by another layer, or a probe. */
static int bare_jndi_url(const char *s, size_t n, size_t *at)
{
	for (size_t i = 0; i + 5 < n; i++) {
		if ((s[i] | 0x20) != 'j' || !has_prefix(s + i, n - i, "jndi:"))
			continue;
		if (jndi_protocol_known(s + i, n - i)) {
			size_t e = i + 5;
			while (e < n && s[e] != ':')
				e++;
			if (e + 2 < n && s[e + 1] == '/' && s[e + 2] == '/') {
				*at = i;
				return 1;
			}
		}
	}
	return 0;
}

static void fill(struct pol_hit *hit, const char *rule, enum pol_severity sev, int conf, size_t off,
                 size_t end)
{
	hit->rule = rule;
	hit->category = POL_CAT_JNDI;
	hit->severity = sev;
	hit->confidence = (uint8_t)conf;
	hit->off = (uint32_t)off;
	hit->len = (uint32_t)(end - off);
}

int pol_detect_jndi(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	/* A lookup needs "$" and "{", or an encoding of them ("%" or "\"). */
	/* A lookup needs "$" or an encoding of it (%, \, &); a bare jndi: URL
	 * needs a colon. */
	uint32_t m = ctx->chars;
	int lookups = (m & (POL_CH_DOLLAR | POL_CH_PERCENT | POL_CH_BSLASH | POL_CH_AMP)) != 0;
	if (!lookups && !(m & POL_CH_COLON))
		return 0;

	struct jndi_state st = {.r = {(const unsigned char *)s, n, lookups ? 0 : n}};
	int best = 0;
	size_t best_off = 0, best_end = 0;
	for (;;) {
		/* only these bytes can start a "$" once decoded */
		while (st.r.i < n && s[st.r.i] != '$' && s[st.r.i] != '%' && s[st.r.i] != '\\' &&
		       s[st.r.i] != '&')
			st.r.i++;
		size_t start = st.r.i;
		int c = jndi_next(&st.r);
		if (c < 0)
			break;
		if (c != '$')
			continue;
		size_t save = st.r.i;
		if (jndi_next(&st.r) != '{') {
			st.r.i = save;
			continue;
		}
		st.jndi = st.known_proto = st.leak = 0;
		struct jndi_level top = {.len = 0}, value = {.len = 0};
		eval_lookup(&st, &top, 0);
		level_resolve(&st, &top, &value);
		int score = st.jndi ? (st.known_proto ? 3 : 2) : st.leak ? 1 : 0;
		if (score > best) {
			best = score;
			best_off = start;
			best_end = st.r.i;
		}
		if (best == 3)
			break;
	}
	if (best == 3) {
		fill(hit, "jndi.lookup", POL_SEV_CRITICAL, 97, best_off, best_end);
		return 1;
	}
	if (best == 2) {
		fill(hit, "jndi.lookup_unknown_protocol", POL_SEV_HIGH, 85, best_off, best_end);
		return 1;
	}
	size_t at;
	if (bare_jndi_url(s, n, &at)) {
		fill(hit, "jndi.bare_url", POL_SEV_HIGH, 75, at, n);
		return 1;
	}
	if (best == 1) {
		fill(hit, "jndi.data_lookup", POL_SEV_MEDIUM, 70, best_off, best_end);
		return 1;
	}
	return 0;
}
