/* Detector: xxe (XML external entities and their relatives).
 *
 * An XML document only reaches outside itself through a few grammar
 * productions, so we parse those and nothing else: the DOCTYPE's external
 * identifier, entity declarations (general or parameter, internal or
 * SYSTEM/PUBLIC), parameter-entity references in the internal subset,
 * XInclude elements, XSLT functions that open documents or call out, and
 * SVG references to local schemes. Plain XML without a DTD, and the W3C's
 * own XHTML/SVG doctypes, stay clean.
 *
 * One pass over the input: each declaration parser returns where it stopped
 * and the scan resumes there, so every byte is looked at a bounded number of
 * times. Nothing is allocated.
 */
#include <string.h>

#include "detect.h"
#include "detect_chars.h"
#include "vec16.h"

/* Findings from strongest to weakest; the detector reports the strongest. */
enum xxe_kind {
	XXE_NONE,
	XXE_ENTITY_PROBE, /* a value that is one entity reference: a level-3 probe */
	XXE_ENTITY_DECL,  /* internal entity declared: a probe */
	XXE_DTD_ENTITY,   /* the same, in a DOCTYPE's internal subset */
	XXE_UNDECLARED,   /* &name; no DTD declares, in an XML document's text */
	XXE_XPATH,        /* an XPath location step: injection into a query */
	XXE_PINGBACK,     /* XML-RPC pingback.ping: the server fetches a URL */
	XXE_CDATA_SPLIT,  /* a tag split by CDATA sections past a filter */
	XXE_PI_IMPORT,    /* <?import implementation=...>: a fetched behaviour */
	XXE_SVG_LOCAL,    /* SVG element fetching a local or odd scheme */
	XXE_XSLT,         /* XSLT reaching outside the document */
	XXE_EXTERNAL_DTD, /* DOCTYPE with a foreign external DTD */
	XXE_XINCLUDE,
	XXE_EXPANSION,    /* entities referencing entities: billion laughs */
	XXE_PARAM_ENTITY, /* %name; in the DTD: out-of-band exfiltration */
	XXE_EXTERNAL,     /* SYSTEM/PUBLIC entity */
};

static const struct {
	const char *rule;
	enum pol_severity sev;
	uint8_t conf;
} xxe_rules[] = {
    [XXE_NONE] = {NULL, POL_SEV_INFO, 0},
    [XXE_ENTITY_PROBE] = {"xxe.entity_probe", POL_SEV_CRITICAL, 20},
    [XXE_ENTITY_DECL] = {"xxe.entity_declaration", POL_SEV_MEDIUM, 65},
    [XXE_DTD_ENTITY] = {"xxe.dtd_entity_declaration", POL_SEV_HIGH, 70},
    [XXE_UNDECLARED] = {"xxe.undeclared_entity", POL_SEV_HIGH, 65},
    [XXE_XPATH] = {"xxe.xpath_axis", POL_SEV_HIGH, 70},
    [XXE_PINGBACK] = {"xxe.xmlrpc_pingback", POL_SEV_HIGH, 70},
    [XXE_CDATA_SPLIT] = {"xxe.cdata_split_tag", POL_SEV_HIGH, 75},
    [XXE_PI_IMPORT] = {"xxe.import_instruction", POL_SEV_HIGH, 80},
    [XXE_SVG_LOCAL] = {"xxe.svg_external_ref", POL_SEV_HIGH, 80},
    [XXE_XSLT] = {"xxe.xslt_external", POL_SEV_HIGH, 85},
    [XXE_EXTERNAL_DTD] = {"xxe.external_dtd", POL_SEV_HIGH, 85},
    [XXE_XINCLUDE] = {"xxe.xinclude", POL_SEV_HIGH, 90},
    [XXE_EXPANSION] = {"xxe.entity_expansion", POL_SEV_HIGH, 90},
    [XXE_PARAM_ENTITY] = {"xxe.parameter_entity", POL_SEV_CRITICAL, 92},
    [XXE_EXTERNAL] = {"xxe.external_entity", POL_SEV_CRITICAL, 95},
};

struct xxe_scan {
	const char *s;
	size_t n;
	enum xxe_kind best;
	size_t off, end;
	int refs_known;          /* ref_at holds: the first named reference from ref_from */
	size_t ref_from, ref_at; /* ref_at == n: none */
};

static void note(struct xxe_scan *x, enum xxe_kind k, size_t off, size_t end)
{
	if (k > x->best) {
		x->best = k;
		x->off = off;
		x->end = end > x->n ? x->n : end;
	}
}

/* Does s[i..) start with the lowercase word w (case-insensitively)?
 * Inline, so that w's length is known when it is compiled. */
static inline __attribute__((always_inline)) int at(const struct xxe_scan *x, size_t i,
                                                    const char *w)
{
	size_t k = strlen(w);
	if (i > x->n || x->n - i < k)
		return 0;
	for (size_t j = 0; j < k; j++)
		if (ch_lower((unsigned char)x->s[i + j]) != w[j])
			return 0;
	return 1;
}

/* Case-insensitive search for w (two bytes or more) from i; returns its
 * offset or n. Sixteen starts at a time are sifted by w's first two bytes
 * with their case bit set (a superset of the matches: each candidate is
 * confirmed by at()), so markup without w costs a few instructions for
 * every sixteen bytes. */
static size_t find(const struct xxe_scan *x, size_t i, const char *w)
{
	const unsigned char *u = (const unsigned char *)x->s;
	const pol_v16 fold = v16_splat(0x20);
	const pol_v16 f0 = v16_splat((uint8_t)(w[0] | 0x20)),
	              f1 = v16_splat((uint8_t)(w[1] | 0x20));
	for (; x->n > 17 && i < x->n - 17; i += 16) {
		pol_v16 a = v16_load(u + i) | fold, b = v16_load(u + i + 1) | fold;
		unsigned bits = v16_bits((pol_m16)((a == f0) & (b == f1)));
		for (; bits; bits &= bits - 1)
			if (at(x, i + (size_t)__builtin_ctz(bits), w))
				return i + (size_t)__builtin_ctz(bits);
	}
	int first = w[0];
	for (; i < x->n; i++)
		if (ch_lower((unsigned char)x->s[i]) == first && at(x, i, w))
			return i;
	return x->n;
}

/* find() for a needle of three bytes without letters ("]]>", "-->"), where
 * case does not matter: sixteen starts at a time, each byte compared. */
static size_t find3(const struct xxe_scan *x, size_t i, const char *w)
{
	const unsigned char *u = (const unsigned char *)x->s;
	size_t n = x->n;
	const pol_v16 a = v16_splat((uint8_t)w[0]), b = v16_splat((uint8_t)w[1]),
	              c = v16_splat((uint8_t)w[2]);
	for (; n >= 18 && i <= n - 18; i += 16) {
		unsigned bits =
		    v16_bits((pol_m16)(v16_load(u + i) == a) & (pol_m16)(v16_load(u + i + 1) == b) &
		             (pol_m16)(v16_load(u + i + 2) == c));
		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
	for (; n >= 3 && i <= n - 3; i++)
		if (u[i] == (uint8_t)w[0] && u[i + 1] == (uint8_t)w[1] && u[i + 2] == (uint8_t)w[2])
			return i;
	return n;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(const struct xxe_scan *x, size_t i)
{
	while (i < x->n && is_space((unsigned char)x->s[i]))
		i++;
	return i;
}

static int name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80;
}

static size_t skip_name(const struct xxe_scan *x, size_t i)
{
	while (i < x->n && name_char((unsigned char)x->s[i]))
		i++;
	return i;
}

/* A quoted literal at i: sets [*b, *e) to its content and returns the index
 * after the closing quote, or i when there is none at i. An unterminated
 * literal runs to the end. */
static size_t literal(const struct xxe_scan *x, size_t i, size_t *b, size_t *e)
{
	if (i >= x->n || (x->s[i] != '"' && x->s[i] != '\''))
		return i;
	char q = x->s[i];
	size_t j = i + 1;
	while (j < x->n && x->s[j] != q)
		j++;
	*b = i + 1;
	*e = j;
	return j < x->n ? j + 1 : j;
}

/* A system identifier is harmless only when it points at the W3C's own DTDs
 * (XHTML, SVG, MathML doctypes copied from real documents) or is HTML5's
 * legacy-compat marker. */
static int w3c_uri(const struct xxe_scan *x, size_t b, size_t e)
{
	struct xxe_scan sub = {x->s + b, e - b, XXE_NONE, 0, 0, 0, 0, 0};
	return at(&sub, 0, "http://www.w3.org/") || at(&sub, 0, "https://www.w3.org/") ||
	       at(&sub, 0, "about:legacy-compat");
}

/* SYSTEM "uri" or PUBLIC "id" "uri" at i; returns the index after it, or i.
 * *ext is set when there is an external identifier, *w3c when it is the
 * W3C's. */
/* Is s[b..e) a DTD's bare file name ("xkb.dtd", "gdb-syscalls.dtd"): no
 * scheme, no folder, nothing a parser could fetch from elsewhere? */
static int bare_dtd_name(const struct xxe_scan *x, size_t b, size_t e)
{
	if (e - b < 5 || e - b > 64 || !at(x, e - 4, ".dtd") || x->s[b] == '.')
		return 0;
	for (size_t k = b; k < e; k++) {
		char c = x->s[k];
		if (!ch_is_alnum((unsigned char)c) && c != '-' && c != '_' && c != '.')
			return 0;
		if (c == '.' && k + 1 < e && x->s[k + 1] == '.')
			return 0;
	}
	return 1;
}

/* Does the document from i on reference an entity by a name XML does not
 * predefine (&x;), one that only the DTD can declare? */
static int named_refs(struct xxe_scan *x, size_t i)
{
	static const char *const predefined[] = {"amp;", "lt;", "gt;", "quot;", "apos;"};
	/* asked again at a later DOCTYPE, the scan goes on from where the last
	 * one stopped: linear in the input however many there are */
	if (x->refs_known && i >= x->ref_from && i <= x->ref_at)
		return x->ref_at < x->n;
	if (x->refs_known && i < x->ref_at + 1 && x->ref_at < x->n)
		i = x->ref_at + 1;
	x->refs_known = 1;
	x->ref_from = i;
	x->ref_at = x->n;
	for (; i + 2 < x->n; i++) {
		if (x->s[i] != '&' || x->s[i + 1] == '#')
			continue;
		size_t j = skip_name(x, i + 1);
		if (j == i + 1 || j >= x->n || x->s[j] != ';')
			continue;
		int known = 0;
		for (size_t p = 0; p < sizeof(predefined) / sizeof(predefined[0]) && !known; p++)
			known = at(x, i + 1, predefined[p]);
		if (!known) {
			x->ref_at = i;
			return 1;
		}
	}
	return 0;
}

static size_t external_id(const struct xxe_scan *x, size_t i, int *ext, int *w3c)
{
	size_t b = 0, e = 0, j;
	*ext = *w3c = 0;
	if (at(x, i, "system")) {
		j = literal(x, skip_space(x, i + 6), &b, &e);
	} else if (at(x, i, "public")) {
		j = literal(x, skip_space(x, i + 6), &b, &e);
		if (j == i)
			return i;
		size_t pb = b, pe = e;
		size_t k = literal(x, skip_space(x, j), &b, &e);
		if (k == skip_space(x, j)) { /* public id alone */
			b = pb;
			e = pe;
		}
		j = k;
	} else {
		return i;
	}
	*ext = 1;
	*w3c = e > b && w3c_uri(x, b, e);
	return j;
}

/* Entity references (&name; or %name;) inside an entity's literal value. */
static unsigned count_refs(const struct xxe_scan *x, size_t b, size_t e)
{
	unsigned refs = 0;
	for (size_t i = b; i + 2 < e; i++) {
		if (x->s[i] != '&' && x->s[i] != '%')
			continue;
		size_t j = skip_name(x, i + 1);
		if (j > i + 1 && j < e && x->s[j] == ';' && x->s[i + 1] != '#')
			refs++;
	}
	return refs;
}

/* "<!ENTITY" at i: parses the declaration and returns where it ends. */
static size_t entity_decl(struct xxe_scan *x, size_t i, int subset)
{
	size_t j = skip_space(x, i + 8);
	int param = 0;
	if (j < x->n && x->s[j] == '%') {
		param = 1;
		j = skip_space(x, j + 1);
	}
	j = skip_space(x, skip_name(x, j));
	int ext, w3c;
	size_t k = external_id(x, j, &ext, &w3c);
	if (ext) {
		note(x, XXE_EXTERNAL, i, k);
		return k;
	}
	size_t b = 0, e = 0;
	k = literal(x, j, &b, &e);
	if (k == j) {
		note(x, XXE_ENTITY_DECL, i, j);
		return j;
	}
	/* a value that declares entities or references parameter entities is
	 * the out-of-band exfiltration pattern */
	struct xxe_scan sub = {x->s + b, e - b, XXE_NONE, 0, 0, 0, 0, 0};
	if (find(&sub, 0, "<!entity") < sub.n || find(&sub, 0, "&#x25;") < sub.n ||
	    find(&sub, 0, "&#37;") < sub.n)
		note(x, XXE_PARAM_ENTITY, i, k);
	else if (count_refs(x, b, e) >= 3 || (param && count_refs(x, b, e) >= 1))
		note(x, XXE_EXPANSION, i, k);
	else if (e - b >= 4096)
		note(x, XXE_EXPANSION, i, k); /* quadratic blowup: one huge entity */
	else /* declared where a parser will take it: the classic probe */
		note(x, subset ? XXE_DTD_ENTITY : XXE_ENTITY_DECL, i, k);
	return k;
}

/* "<!DOCTYPE" at i: the root name and external identifier. Returns where the
 * scan continues; *subset is set when an internal subset "[" opens. */
static size_t doctype_decl(struct xxe_scan *x, size_t i, int *subset)
{
	size_t j = skip_space(x, skip_name(x, skip_space(x, i + 9)));
	int ext, w3c;
	size_t k = external_id(x, j, &ext, &w3c);
	/* <!DOCTYPE x SYSTEM "xkb.dtd">: the DTD beside the document, as
	 * documents of the system name theirs; it reaches nothing */
	size_t lb = 0, le = 0;
	if (ext && !w3c && at(x, j, "system") && literal(x, skip_space(x, j + 6), &lb, &le) == k &&
	    bare_dtd_name(x, lb, le) && !named_refs(x, k))
		ext = 0;
	if (ext && !w3c)
		note(x, XXE_EXTERNAL_DTD, i, k);
	k = skip_space(x, k);
	*subset = k < x->n && x->s[k] == '[';
	return *subset ? k + 1 : k;
}

static const char *const local_schemes[] = {
    "file:", "php:", "expect:", "jar:", "netdoc:", "gopher:", "phar:", "data:",
};

/* href="..." of an SVG element: does it fetch a local file or odd scheme? */
static void svg_ref(struct xxe_scan *x, size_t i)
{
	size_t lim = i + 1;
	while (lim < x->n && lim - i < 512 && x->s[lim] != '>' && x->s[lim] != '<')
		lim++; /* only this tag's attributes */
	struct xxe_scan tag = {x->s, lim, XXE_NONE, 0, 0, 0, 0, 0};
	size_t h = find(&tag, i, "href");
	if (h >= lim)
		return;
	size_t j = skip_space(x, h + 4);
	if (j >= x->n || x->s[j] != '=')
		return;
	size_t b = 0, e = 0;
	j = skip_space(x, j + 1);
	if (literal(x, j, &b, &e) == j)
		return;
	b = skip_space(x, b);
	for (size_t k = 0; k < sizeof(local_schemes) / sizeof(local_schemes[0]); k++)
		if (at(x, b, local_schemes[k]) && !(k == 7 && at(x, b, "data:image/")))
			note(x, XXE_SVG_LOCAL, i, e);
}

/* "<![CDATA[" at i: a section that holds only the opening of a tag ("<",
 * "</") right before a tag name is markup hidden from a filter that reads
 * CDATA as text ("<![CDATA[<]]>script"). Returns where the section ends. */
static size_t cdata(struct xxe_scan *x, size_t i)
{
	size_t b = i + 9, e = find3(x, b, "]]>");
	if (e >= x->n)
		return x->n;
	size_t after = e + 3;
	if ((e - b == 1 && x->s[b] == '<') || (e - b == 2 && x->s[b] == '<' && x->s[b + 1] == '/'))
		if (after < x->n && ch_is_alpha((unsigned char)x->s[after]))
			note(x, XXE_CDATA_SPLIT, i, after);
	return after;
}

/* "<?import" at i: Internet Explorer's instruction that fetches an HTC
 * behaviour named by its implementation attribute. */
static void pi_import(struct xxe_scan *x, size_t i)
{
	size_t lim = i + 8;
	if (lim < x->n && !is_space((unsigned char)x->s[lim]))
		return;
	while (lim < x->n && lim - i < 512 && x->s[lim] != '>')
		lim++;
	struct xxe_scan tag = {x->s, lim, XXE_NONE, 0, 0, 0, 0, 0};
	size_t a = find(&tag, i, "implementation");
	if (a < lim && skip_space(x, a + 14) < lim && x->s[skip_space(x, a + 14)] == '=')
		note(x, XXE_PI_IMPORT, i, lim);
}

/* What document_features looks for first, in one pass. */
static const char *const doc_marks[] = {"2001/xinclude", "<xi:include", "xsl/transform", "<xsl:"};
#define DOC_MARKS 4

/* find() of each of doc_marks from 0 at once, into at[] (n: none); it
 * stops at the first "2001/xinclude", which settles the rest. Sixteen
 * starts at a time are sifted by the marks' first two bytes, as find()
 * does. */
static void find_doc_marks(const struct xxe_scan *x, size_t *pos)
{
	const unsigned char *u = (const unsigned char *)x->s;
	size_t n = x->n, i = 0;
	for (int m = 0; m < DOC_MARKS; m++)
		pos[m] = n;
	const pol_v16 fold = v16_splat(0x20);
	/* "2001/..." and "<xi:" / "<xsl:" and "xsl/": three first pairs */
	const pol_v16 a0 = v16_splat('2'), b0 = v16_splat('0'), a1 = v16_splat('<'),
	              b1 = v16_splat('x'), a2 = v16_splat('x'), b2 = v16_splat('s');
	size_t vec_end = n > 17 ? n - 17 : 0;
	for (; i < n; i++) {
		if (i < vec_end) {
			pol_v16 a = v16_load(u + i) | fold, b = v16_load(u + i + 1) | fold;
			unsigned bits = v16_bits((pol_m16)((a == a0) & (b == b0)) |
			                         (pol_m16)((a == a1) & (b == b1)) |
			                         (pol_m16)((a == a2) & (b == b2)));
			if (!bits) {
				i += 15;
				continue;
			}
			i += (size_t)__builtin_ctz(bits);
		}
		for (int m = 0; m < DOC_MARKS; m++)
			if (pos[m] == n && at(x, i, doc_marks[m])) {
				pos[m] = i;
				if (m == 0)
					return;
			}
	}
}

/* Whole-document features: XInclude and XSLT reaching out. */
static void document_features(struct xxe_scan *x)
{
	size_t pos[DOC_MARKS];
	find_doc_marks(x, pos);
	size_t p = pos[0];
	if (p < x->n) {
		note(x, XXE_XINCLUDE, p, p + 13);
		return;
	}
	p = pos[1];
	if (p < x->n)
		note(x, XXE_XINCLUDE, p, p + 11);

	size_t xsl = pos[2];
	if (xsl >= x->n)
		xsl = pos[3];
	if (xsl >= x->n)
		return;
	static const char *const reach[] = {
	    "document(",   "unparsed-text(",   "php:function", "<xsl:include",
	    "<xsl:import", "system-property(", "xalan/java",   "saxon/java",
	    "java:",       "rt:exec",          "runtime",      "php.net/xsl",
	};
	for (size_t k = 0; k < sizeof(reach) / sizeof(reach[0]); k++) {
		size_t r = find(x, xsl, reach[k]);
		if (r < x->n) {
			note(x, XXE_XSLT, r, r + strlen(reach[k]));
			return;
		}
	}
}

/* An XML-RPC call of pingback.ping: the server fetches the source URL it
 * is handed (server-side request forgery through XML-RPC, and a port
 * scanner when the answer tells closed from open). Element names are
 * case-sensitive in XML, as XML-RPC servers read them. */
static void xmlrpc_pingback(struct xxe_scan *x)
{
	const char *s = x->s, *m = NULL;
	/* memmem, sifting sixteen starts at a time by "<m" first */
	const unsigned char *u = (const unsigned char *)s;
	const pol_v16 lt = v16_splat('<'), em = v16_splat('m');
	size_t k = 0;
	for (; x->n >= 17 && k <= x->n - 17 && !m; k += 16) {
		unsigned bits = v16_bits((pol_m16)(v16_load(u + k) == lt) &
		                         (pol_m16)(v16_load(u + k + 1) == em));
		for (; bits && !m; bits &= bits - 1) {
			size_t c = k + (size_t)__builtin_ctz(bits);
			if (x->n - c >= 11 && memcmp(s + c, "<methodName", 11) == 0)
				m = s + c;
		}
	}
	if (!m && k < x->n)
		m = memmem(s + k, x->n - k, "<methodName", 11);
	if (!m)
		return;
	size_t i = (size_t)(m - s) + 11;
	while (i < x->n && s[i] != '>' && i - (size_t)(m - s) < 64)
		i++; /* attributes, if any */
	if (i >= x->n)
		return;
	i = skip_space(x, i + 1);
	size_t b = i;
	if (x->n - i < 13 || memcmp(s + i, "pingback.ping", 13) != 0)
		return;
	i = skip_space(x, i + 13);
	if (i < x->n && s[i] == '<')
		note(x, XXE_PINGBACK, b, i);
}

int pol_html_element(const char *s, size_t n)
{
	static const char *const names[] = {
	    "a",       "abbr",    "article", "aside", "b",      "blockquote", "body",     "br",
	    "button",  "caption", "center",  "cite",  "code",   "dd",         "del",      "details",
	    "dfn",     "div",     "dl",      "dt",    "em",     "figcaption", "figure",   "font",
	    "footer",  "form",    "h1",      "h2",    "h3",     "h4",         "h5",       "h6",
	    "head",    "header",  "hr",      "html",  "i",      "iframe",     "img",      "input",
	    "ins",     "kbd",     "label",   "li",    "link",   "main",       "mark",     "meta",
	    "nav",     "ol",      "option",  "p",     "pre",    "q",          "s",        "script",
	    "section", "select",  "small",   "span",  "strike", "strong",     "style",    "sub",
	    "summary", "sup",     "svg",     "table", "tbody",  "td",         "textarea", "tfoot",
	    "th",      "thead",   "time",    "title", "tr",     "tt",         "u",        "ul",
	    "var",
	};
	size_t k = 0;
	char low[12];
	while (k < n && k < sizeof(low) && name_char((unsigned char)s[k])) {
		low[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] | 0x20 : s[k]);
		k++;
	}
	if (k == 0 || k == sizeof(low))
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == k && memcmp(names[i], low, k) == 0)
			return 1;
	return 0;
}

/* HTML's named references that text carries (&nbsp;, &eacute;): a
 * document holding them is HTML pasted into XML, not an entity attack. */
static const char *const html_refs[] = {
    "nbsp",   "copy",   "reg",    "trade", "hellip", "mdash",  "ndash",  "lsquo",  "rsquo",
    "ldquo",  "rdquo",  "sbquo",  "bdquo", "laquo",  "raquo",  "lsaquo", "rsaquo", "bull",
    "middot", "deg",    "euro",   "pound", "yen",    "cent",   "curren", "times",  "divide",
    "plusmn", "sect",   "para",   "shy",   "ensp",   "emsp",   "thinsp", "zwnj",   "zwj",
    "lrm",    "rlm",    "larr",   "rarr",  "uarr",   "darr",   "harr",   "iexcl",  "iquest",
    "micro",  "macr",   "ordf",   "ordm",  "not",    "brvbar", "dagger", "permil", "prime",
    "hearts", "spades", "clubs",  "diams", "check",  "star",   "frasl",  "oline",  "infin",
    "ne",     "le",     "ge",     "asymp", "minus",  "szlig",  "eth",    "thorn",  "ETH",
    "THORN",  "emsp13", "hairsp", "numsp", "puncsp", "half",   "sup1",   "sup2",   "sup3",
    "frac12", "frac14", "frac34",
};

/* Is s[b..e) one of HTML's named references? The accented letters come
 * by grammar (a letter, then acute, grave, circ, uml, tilde, ring, cedil,
 * slash or lig), the Greek letters and the rest from the lists. */
static int html_ref(const char *s, size_t b, size_t e)
{
	static const char *const marks[] = {"acute", "grave", "circ",  "uml", "tilde",
	                                    "ring",  "cedil", "slash", "lig"};
	static const char *const greek[] = {
	    "alpha",  "beta",   "gamma",   "delta", "epsilon", "zeta",    "eta",   "theta", "iota",
	    "kappa",  "lambda", "mu",      "nu",    "xi",      "omicron", "pi",    "rho",   "sigma",
	    "sigmaf", "tau",    "upsilon", "phi",   "chi",     "psi",     "omega",
	};
	size_t n = e - b;
	for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
		size_t l = strlen(marks[k]);
		size_t letters = k == 8 ? 2 : 1; /* eacute, Ccedil; aelig, szlig */
		if (n == l + letters && ch_is_alpha((unsigned char)s[b]) &&
		    ch_is_alpha((unsigned char)s[b + letters - 1]) &&
		    memcmp(s + e - l, marks[k], l) == 0)
			return 1;
	}
	for (size_t k = 0; k < sizeof(greek) / sizeof(greek[0]); k++)
		if (strlen(greek[k]) == n && ch_lower((unsigned char)s[b]) == greek[k][0] &&
		    memcmp(s + b + 1, greek[k] + 1, n - 1) == 0)
			return 1; /* alpha, Alpha */
	for (size_t k = 0; k < sizeof(html_refs) / sizeof(html_refs[0]); k++)
		if (strlen(html_refs[k]) == n && memcmp(s + b, html_refs[k], n) == 0)
			return 1;
	return 0;
}

/* XML's five predefined entities (names are case-sensitive). */
static int predefined(const char *w, size_t n)
{
	static const char *const names[] = {"amp", "lt", "gt", "quot", "apos"};
	for (size_t k = 0; k < 5; k++)
		if (strlen(names[k]) == n && memcmp(w, names[k], n) == 0)
			return 1;
	return 0;
}

/* &systemEntity; in the text of an XML document that declares nothing:
 * only the five predefined entities exist without a DTD, so the reference
 * is to an entity the attacker declared elsewhere (an external DTD the
 * parser loads, a subset sent before) or a probe for one. An HTML
 * fragment (its root element HTML's, or the reference one of HTML's
 * names) is not this. */
static void undeclared_ref(struct xxe_scan *x)
{
	const char *s = x->s;
	size_t n = x->n, i = skip_space(x, 0);
	if (i >= n || s[i] != '<' || !memchr(s + i, '&', n - i))
		return;
	/* the root element: past the XML declaration and comments */
	size_t r = i;
	while (r < n && s[r] == '<' && r + 1 < n && (s[r + 1] == '?' || s[r + 1] == '!')) {
		if (s[r + 1] == '!' && !at(x, r + 2, "--"))
			return; /* a DOCTYPE, a CDATA section: judged elsewhere */
		size_t e = find(x, r + 2, s[r + 1] == '?' ? "?>" : "-->");
		if (e >= n)
			return;
		r = skip_space(x, e + (s[r + 1] == '?' ? 2 : 3));
	}
	if (r >= n || s[r] != '<' || r + 1 >= n || !ch_is_alpha((unsigned char)s[r + 1]))
		return;
	/* an HTML fragment: its named references (&nbsp; &copy;) are HTML's */
	if (pol_html_element(s + r + 1, n - r - 1))
		return;
	/* a DOCTYPE after the root's name makes every reference declared,
	 * as far as this test goes: asked only when one is found */
	size_t re = skip_name(x, r + 1);
	int tag = 0;
	const unsigned char *u = (const unsigned char *)s;
	const pol_v16 lt = v16_splat('<'), gt = v16_splat('>'), amp = v16_splat('&');
	for (size_t k = r; k < n; k++) {
		if (n - k >= 16) { /* to the next '<', '>' or '&', sixteen at a time */
			pol_v16 v = v16_load(u + k);
			unsigned bits =
			    v16_bits((pol_m16)(v == lt) | (pol_m16)(v == gt) | (pol_m16)(v == amp));
			if (!bits) {
				k += 15;
				continue;
			}
			k += (size_t)__builtin_ctz(bits);
		}
		char c = s[k];
		if (c == '<') {
			if (k + 1 < n && s[k + 1] == '!' &&
			    at(x, k + 1, "![cdata[")) { /* CDATA expands nothing */
				size_t e = find3(x, k + 9, "]]>");
				k = e < n ? e + 2 : n;
				continue;
			}
			tag = 1;
		} else if (c == '>') {
			tag = 0;
		} else if (c == '&' && !tag && k + 1 < n && s[k + 1] != '#') {
			/* names of two or more: "AT&T;" and "R&D;" are sloppy text */
			size_t e = skip_name(x, k + 1);
			if (e < k + 3 || e >= n || s[e] != ';' || e - k > 64)
				continue;
			if (!predefined(s + k + 1, e - k - 1) && !html_ref(s, k + 1, e)) {
				if (find(x, re, "<!doctype") >= n)
					note(x, XXE_UNDECLARED, k, e + 1);
				return;
			}
		}
	}
}

/* Can a tag name starting with c be one svg_ref() reads? A pre-filter: the
 * names are checked in full after it. */
static int svg_first(char c)
{
	int l = ch_lower((unsigned char)c);
	return l == 'i' || l == 'u' || l == 'f' || l == 's';
}

/* The whole scan of one text; findings go to *x. */
static void scan_xml(struct xxe_scan *x_)
{
	struct xxe_scan x = *x_;
	const char *s = x.s;
	size_t n = x.n;
	int subset = 0, xml_app = 0;
	size_t i = 0;
	while (i < n) {
		if (!subset) { /* outside a DTD only tags matter */
			/* to the next '<': tags are near, so sixteen bytes at a
			 * time inline before memchr's call */
			const pol_v16 lt16 = v16_splat('<');
			unsigned bits = 0;
			while (n - i >= 16 &&
			       !(bits = v16_bits(
			             (pol_m16)(v16_load((const unsigned char *)s + i) == lt16))))
				i += 16;
			if (bits) {
				i += (size_t)__builtin_ctz(bits);
			} else {
				const char *lt = i < n ? memchr(s + i, '<', n - i) : NULL;
				if (!lt)
					break;
				i = (size_t)(lt - s);
			}
			/* <xsl:...>, <xi:include>, <x:include xmlns:x=...XInclude>
			 * (once is enough) */
			size_t t = i + 1;
			while (!xml_app && t < n && t - i < 32 && name_char((unsigned char)s[t]) &&
			       s[t] != ':')
				t++;
			if (!xml_app && t < n && s[t] == ':' && t > i + 1)
				xml_app = 1;
		}
		char c = s[i];
		if (c == '<' && i + 1 < n && s[i + 1] == '!') {
			int l2 = i + 2 < n ? ch_lower((unsigned char)s[i + 2]) : 0;
			if (l2 == 'd' && at(&x, i + 2, "doctype")) {
				i = doctype_decl(&x, i, &subset);
				continue;
			}
			if (l2 == 'e' && at(&x, i + 2, "entity")) {
				i = entity_decl(&x, i, subset);
				continue;
			}
			if (l2 == '[' && at(&x, i + 2, "[cdata[")) {
				i = cdata(&x, i);
				continue;
			}
			if (l2 == '-' &&
			    at(&x, i + 2, "--")) { /* parsers skip comments: so do we */
				size_t e = find3(&x, i + 4, "-->");
				i = e < n ? e + 3 : n;
				continue;
			}
		} else if (c == '<' && svg_first(i + 1 < n ? s[i + 1] : 0) &&
		           (at(&x, i + 1, "image") || at(&x, i + 1, "use") ||
		            at(&x, i + 1, "feimage") || at(&x, i + 1, "svg:image"))) {
			svg_ref(&x, i);
		} else if (c == '<' && !subset && i + 1 < n && s[i + 1] == '?' &&
		           at(&x, i + 1, "?import")) {
			pi_import(&x, i);
		} else if (c == '%' && subset) {
			size_t j = skip_name(&x, i + 1);
			if (j > i + 1 && j < n && s[j] == ';') {
				note(&x, XXE_PARAM_ENTITY, i, j + 1);
				i = j + 1;
				continue;
			}
		} else if (c == ']' && subset) {
			size_t j = skip_space(&x, i + 1);
			if (j < n && s[j] == '>')
				subset = 0;
		} else if ((c == '"' || c == '\'') && subset) {
			size_t b, e, j = literal(&x, i, &b, &e);
			i = j > i ? j : i + 1; /* literals in the subset are not references */
			continue;
		}
		i++;
	}
	if (x.best < XXE_XINCLUDE && xml_app)
		document_features(&x);
	*x_ = x;
}

#define XXE_WINDOW  4096 /* stack scratch for UTF-16 transcoded text */
#define XXE_OVERLAP 512

/* XML may arrive as UTF-16 (a classic way past byte-oriented filters): the
 * ASCII of each character then sits at even (LE) or odd (BE) offsets with
 * zero bytes between. Returns the offset of the ASCII byte (0 or 1) and
 * sets *start past a byte-order mark, or returns -1. */
static int utf16_lane(const unsigned char *u, size_t n, size_t *start)
{
	size_t b = 0;
	if (n >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff)))
		b = 2;
	size_t zeros[2] = {0, 0}, pairs = 0;
	for (size_t i = b; i + 1 < n && pairs < 32; i += 2, pairs++) {
		zeros[0] += u[i] == 0;
		zeros[1] += u[i + 1] == 0;
	}
	*start = b;
	if (pairs < 4)
		return -1;
	if (zeros[1] * 10 >= pairs * 9 && zeros[0] == 0)
		return 0; /* little endian: 'x' 00 */
	if (zeros[0] * 10 >= pairs * 9 && zeros[1] == 0)
		return 1; /* big endian: 00 'x' */
	return -1;
}

/* Transcodes UTF-16 windows into a fixed stack buffer and scans each; a
 * finding spans its window in the original. */
static void scan_utf16(struct xxe_scan *x, int lane, size_t start)
{
	char buf[XXE_WINDOW];
	const unsigned char *u = (const unsigned char *)x->s;
	size_t w = start;
	while (w + 1 < x->n && x->best < XXE_EXTERNAL) {
		size_t o = 0, i = w;
		for (; i + 1 < x->n && o < sizeof(buf); i += 2) {
			unsigned c = u[i + (size_t)lane], other = u[i + 1 - (size_t)lane];
			buf[o++] = other == 0 && c < 0x80 ? (char)c : '?';
		}
		struct xxe_scan sub = {buf, o, XXE_NONE, 0, 0, 0, 0, 0};
		scan_xml(&sub);
		note(x, sub.best, w, i);
		if (i + 1 >= x->n)
			break;
		w = i - 2 * XXE_OVERLAP;
	}
}

/* Markup's scans, kept out of line: most inputs hold no "<", and the
 * detector's entry then stays a few instructions. */
static __attribute__((noinline)) void scan_markup(struct xxe_scan *x, uint32_t chars)
{
	scan_xml(x);
	if (x->best < XXE_PINGBACK && (chars & POL_CH_DOT))
		xmlrpc_pingback(x);
	if (x->best < XXE_UNDECLARED && (chars & POL_CH_AMP) && (chars & POL_CH_SEMI))
		undeclared_ref(x);
}

/* XML declared as UTF-7 (encoding="UTF-7", and parsers that honour it)
 * hides its markup in base64 runs: "+ADwAIQ-DOCTYPE" is "<!DOCTYPE".
 * Each run's UTF-16 units are decoded (ASCII kept, the rest '?') into a
 * fixed stack window that is scanned as XML; a finding spans its window
 * in the original. "+-" is a plus sign. */
static __attribute__((noinline)) void scan_utf7(struct xxe_scan *x)
{
	if (!memmem(x->s, x->n, "+AD", 3) && !memmem(x->s, x->n, "UTF-7", 5) &&
	    !memmem(x->s, x->n, "utf-7", 5))
		return; /* no run starts with '<' '>' ';' '=', nothing says UTF-7 */
	char buf[XXE_WINDOW];
	const unsigned char *u = (const unsigned char *)x->s;
	size_t i = 0;
	while (i < x->n && x->best < XXE_EXTERNAL) {
		size_t w = i, o = 0;
		while (i < x->n && o < sizeof(buf)) {
			if (u[i] != '+') {
				buf[o++] = (char)u[i++];
				continue;
			}
			i++;
			if (i < x->n && u[i] == '-') {
				buf[o++] = '+';
				i++;
				continue;
			}
			uint32_t acc = 0;
			int bits = 0;
			/* standard alphabet only: '-' ends the run, '_' is none */
			for (; i < x->n && o < sizeof(buf) && ch_b64val(u[i]) >= 0 && u[i] != '-' &&
			       u[i] != '_';
			     i++) {
				acc = (acc << 6 | (uint32_t)ch_b64val(u[i])) & 0xffffff;
				bits += 6;
				if (bits >= 16) {
					bits -= 16;
					unsigned c = (acc >> bits) & 0xffff;
					buf[o++] = c < 0x80 ? (char)c : '?';
				}
			}
			if (i < x->n && u[i] == '-')
				i++;
		}
		struct xxe_scan sub = {buf, o, XXE_NONE, 0, 0, 0, 0, 0};
		scan_markup(&sub, POL_CH_DOT | POL_CH_AMP | POL_CH_SEMI);
		note(x, sub.best, w, i);
		if (i >= x->n || i - w < 2 * XXE_OVERLAP)
			break;
		i -= XXE_OVERLAP; /* a declaration across the windows' border */
	}
}

/* XPath's axes, which name a direction in the tree before "::" (in lower
 * case: XPath's names are case-sensitive, Child::Node is Ruby's). Those with
 * a hyphen cannot be a name of C++, PHP or Rust; "self" and "parent" are
 * PHP's too (self::X, parent::__construct()). */
static const struct {
	const char *name;
	uint8_t len, code_word;
} xpath_axes[] = {
    {"ancestor", 8, 0},  {"ancestor-or-self", 16, 0},  {"attribute", 9, 0},
    {"child", 5, 0},     {"descendant", 10, 0},        {"descendant-or-self", 18, 0},
    {"following", 9, 0}, {"following-sibling", 17, 0}, {"namespace", 9, 0},
    {"parent", 6, 1},    {"preceding", 9, 0},          {"preceding-sibling", 17, 0},
    {"self", 4, 1},
};

/* An XPath node-type test at s[i..) (i <= n): node(), text(), comment(),
 * processing-instruction(, which no programming language's path reads. */
static int xpath_node_type(const struct xxe_scan *x, size_t i)
{
	static const char *const tests[] = {"node", "text", "comment", "processing-instruction"};
	for (size_t k = 0; k < sizeof(tests) / sizeof(tests[0]); k++) {
		size_t l = strlen(tests[k]);
		if (x->n - i >= l && memcmp(x->s + i, tests[k], l) == 0) {
			size_t j = skip_space(x, i + l);
			if (j < x->n && x->s[j] == '(')
				return 1;
		}
	}
	return 0;
}

/* XPath injection (count(/child::node()), //user[ancestor-or-self::*]):
 * an axis step, "axis::" and a node test, is XPath's own grammar. It
 * counts when the test is a node-type test, when the axis is one no
 * language's names can spell (a hyphen), or when a '/', '[' or '|' of a
 * location path leads to it; self and parent, PHP's words too, count only
 * in a location path. A path of code (std::, self::node(), Foo::child::bar)
 * stays clean. An injected step sits in the expression that breaks out of
 * a string or a predicate (' or count(/child::node()) or ', x'] | //a[b::c),
 * so the caller asks only of inputs holding a '(' or a '[': URLs, times and
 * "key: value" text cost next to nothing. One pass over the colons. */
static __attribute__((noinline)) void xpath_steps(struct xxe_scan *x)
{
	const char *s = x->s;
	size_t n = x->n;
	/* find() sifts sixteen bytes at a time: the colons of prefixed XML
	 * names (soap:Body) cost nothing one by one */
	for (size_t p = find(x, 0, "::"); p + 2 < n; p = find(x, p + 1, "::")) {
		size_t b = p;
		while (b > 0 && p - b < 18 &&
		       (ch_is_alpha((unsigned char)s[b - 1]) || s[b - 1] == '-'))
			b--;
		if (b == p || (b > 0 && (name_char((unsigned char)s[b - 1]) || s[b - 1] == ':')))
			continue;
		int axis = -1;
		for (size_t k = 0; k < sizeof(xpath_axes) / sizeof(xpath_axes[0]) && axis < 0; k++)
			if (xpath_axes[k].len == p - b &&
			    memcmp(s + b, xpath_axes[k].name, p - b) == 0)
				axis = (int)k;
		if (axis < 0)
			continue;
		size_t t = skip_space(x, p + 2);
		if (t >= n)
			break;
		/* a name test right after the axis ("the child:: axis" is prose) */
		int name_test =
		    t == p + 2 && (s[t] == '*' || ch_is_alpha((unsigned char)s[t]) || s[t] == '_');
		size_t lead = b;
		while (lead > 0 && (s[lead - 1] == ' ' || s[lead - 1] == '\t'))
			lead--;
		int in_path =
		    lead > 0 && (s[lead - 1] == '/' || s[lead - 1] == '[' || s[lead - 1] == '|');
		int code_word = xpath_axes[axis].code_word;
		if (code_word ? in_path && (name_test || xpath_node_type(x, t))
		              : xpath_node_type(x, t) || (name_test && in_path) ||
		                    (name_test &&
		                     memchr(xpath_axes[axis].name, '-', xpath_axes[axis].len))) {
			note(x, XXE_XPATH, b, t);
			return;
		}
	}
}

/* Fills *hit with the scan's strongest finding; 0 when there is none. */
static int xxe_report(const struct xxe_scan *x, struct pol_hit *hit)
{
	if (x->best == XXE_NONE)
		return 0;
	hit->rule = xxe_rules[x->best].rule;
	hit->category = POL_CAT_XXE;
	hit->severity = xxe_rules[x->best].sev;
	hit->confidence = xxe_rules[x->best].conf;
	hit->off = (uint32_t)x->off;
	hit->len = (uint32_t)(x->end - x->off);
	return 1;
}

/* A value that is one entity reference and nothing else ("&foo;",
 * "%foo;"): outside a document it expands nothing, but it is how a probe
 * asks whether a parser will resolve a declared entity, and where a value
 * is pasted into an XML template, it is that. HTML's names and XML's five
 * are text; a level-3 signal (15-29): suspicious, and it could be innocent. */
static void entity_probe(struct xxe_scan *x)
{
	size_t i = skip_space(x, 0), e = x->n;
	while (e > i && is_space((unsigned char)x->s[e - 1]))
		e--;
	if (e - i < 3 || (x->s[i] != '&' && x->s[i] != '%') || x->s[e - 1] != ';')
		return;
	size_t b = i + 1;
	if (!ch_is_alpha((unsigned char)x->s[b]) && x->s[b] != '_')
		return;
	if (skip_name(x, b) != e - 1)
		return;
	if (x->s[i] == '&' && (predefined(x->s + b, e - 1 - b) || html_ref(x->s, b, e - 1)))
		return;
	note(x, XXE_ENTITY_PROBE, i, e);
}

/* Text without markup: only an XPath step or a lone entity reference can
 * be found in it. Kept out of line, so that the detector's entry stays a
 * few instructions. */
static __attribute__((noinline)) int no_markup(const char *s, size_t n, uint32_t chars,
                                               struct pol_hit *hit)
{
	struct xxe_scan x = {s, n, XXE_NONE, 0, 0, 0, 0, 0};
	if ((chars & POL_CH_COLON) && (chars & (POL_CH_PAREN | POL_CH_BRACKET)))
		xpath_steps(&x);
	if (x.best == XXE_NONE && (chars & POL_CH_SEMI) && (chars & (POL_CH_AMP | POL_CH_PERCENT)))
		entity_probe(&x);
	return xxe_report(&x, hit);
}

int pol_detect_xxe(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	if (!(ctx->chars & (POL_CH_LT | POL_CH_PLUS | POL_CH_CTRL | POL_CH_COLON | POL_CH_SEMI)))
		return 0; /* no markup, plain or encoded, no XPath step, no reference */
	/* a step needs its "::" and a call's '(' or a predicate's '[', a
	 * reference its '&' or '%' */
	if (!(ctx->chars & (POL_CH_LT | POL_CH_PLUS | POL_CH_CTRL)))
		return (ctx->chars & (POL_CH_PAREN | POL_CH_BRACKET | POL_CH_AMP | POL_CH_PERCENT))
		           ? no_markup(s, n, ctx->chars, hit)
		           : 0;
	struct xxe_scan x = {s, n, XXE_NONE, 0, 0, 0, 0, 0};
	if ((ctx->chars & POL_CH_COLON) && (ctx->chars & (POL_CH_PAREN | POL_CH_BRACKET)))
		xpath_steps(&x);
	if (ctx->chars & POL_CH_LT)
		scan_markup(&x, ctx->chars);
	if ((ctx->chars & POL_CH_PLUS) && x.best < XXE_EXTERNAL)
		scan_utf7(&x);
	size_t start;
	int lane;
	if ((ctx->chars & POL_CH_CTRL) && x.best < XXE_EXTERNAL &&
	    (lane = utf16_lane((const unsigned char *)s, n, &start)) >= 0)
		scan_utf16(&x, lane, start);
	return xxe_report(&x, hit);
}
