/* Extraction: every attacker-reachable input of an event, with its field
 * path, decoded the way the function's code will see it.
 *
 * Paths: event members are dotted ("Records[2].body"); '>' marks a decoding
 * step, after which a JSON document is rooted at '$' ("body>$.user.name"),
 * a form or cookie field is named bare ("body>name", "headers.Cookie>sid"),
 * and a known envelope's field keeps its name ("Records[0].body>Message").
 * An XML document (a body whose Content-Type says xml, or any string that
 * reads as one: see pol_xml_sniff) is judged by each attribute value and
 * text node decoded, at its element path after the '>':
 * "body>/root/a/@probe", "Records[0].body>/soap:Envelope/soap:Body/q/text()",
 * then whole: by every detector when it does not parse, by those that read
 * markup (XML_WHOLE) when it does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode.h"
#include "pol-private.h"
#include "xml.h"

#define J(d, i) (&(d)->nodes[(i)])

static bool looks_like_json(const char *s, size_t n)
{
	size_t a = 0, b = n;
	while (a < b && (s[a] == ' ' || s[a] == '\n' || s[a] == '\r' || s[a] == '\t'))
		a++;
	while (b > a &&
	       (s[b - 1] == ' ' || s[b - 1] == '\n' || s[b - 1] == '\r' || s[b - 1] == '\t'))
		b--;
	return b - a >= 2 && ((s[a] == '{' && s[b - 1] == '}') || (s[a] == '[' && s[b - 1] == ']'));
}

static void walk_sns_envelope(struct pol_scan *sc, const struct pol_json *d, uint32_t o);

static bool is_sns_envelope(const struct pol_json *d, uint32_t o)
{
	return J(d, o)->type == POL_J_OBJ && pol_json_get(d, o, "Message") >= 0 &&
	       pol_json_get(d, o, "TopicArn") >= 0 && pol_json_get(d, o, "Type") >= 0;
}

/* A JSON document inside a string: walk it, one layer deeper. */
static bool scan_nested_json(struct pol_scan *sc, const char *s, size_t n, uint32_t where)
{
	if (!looks_like_json(s, n))
		return false;
	if (sc->layers >= sc->pol->limits.layers) {
		pol_scan_limit(sc, POL_CAT_TOO_DEEP, "limit.layers");
		return false;
	}
	struct pol_json d;
	int r = pol_json_parse_until(&d, s, n, sc->pol->limits.nodes, sc->deadline_ns);
	if (r) {
		if (r == -ETIME)
			pol_scan_clock(sc);
		if (r == -EFBIG)
			pol_scan_limit(sc, POL_CAT_OVERSIZE, "limit.nodes");
		pol_json_fini(&d);
		return false;
	}
	sc->layers++;
	size_t old;
	if (is_sns_envelope(&d, 0)) {
		old = pol_path_raw(sc, ">");
		walk_sns_envelope(sc, &d, 0);
	} else {
		old = pol_path_raw(sc, ">$");
		pol_walk(sc, &d, 0, where & ~POL_IN_BODY);
	}
	pol_path_pop(sc, old);
	sc->layers--;
	pol_json_fini(&d);
	return true;
}

static uint32_t key_where(const char *k, size_t n);
static uint32_t scan_value(struct pol_scan *sc, const char *s, size_t n, uint32_t where,
                           uint32_t skip, bool xml_declared);

/* The detectors that judge a well-formed XML document whole as well as by
 * its values: those that read markup (a DOCTYPE and its entities, script
 * elements and handler attributes, object graphs written as elements).
 * The others see only what the handler's parser hands the code: a
 * statement, a command line or a template split across elements reaches
 * no interpreter whole. */
#define XML_WHOLE (1u << POL_CAT_XXE | 1u << POL_CAT_XSS | 1u << POL_CAT_DESERIALIZATION)

/* key_where() of the names a document repeats, remembered: the last
 * eight distinct names, each kept whole. */
struct xml_names {
	struct {
		char name[48];
		uint8_t len; /* 0: empty */
		uint32_t where;
	} e[8];
	unsigned next; /* the entry a new name takes */
};

struct xml_ctx {
	struct pol_scan *sc;
	uint32_t where;
	uint32_t skip; /* detectors not to run on the values */
	uint32_t done; /* detectors that reported on some value */
	struct xml_names *names;
};

static uint32_t xml_key_where(struct xml_names *m, const char *k, size_t n)
{
	if (n < 3 || n > sizeof(m->e[0].name))
		return key_where(k, n); /* at once: 0 */
	for (unsigned i = 0; i < 8; i++)
		if (m->e[i].len == n && m->e[i].name[n - 1] == k[n - 1] &&
		    memcmp(m->e[i].name, k, n) == 0)
			return m->e[i].where;
	unsigned i = m->next++ & 7;
	m->e[i].len = (uint8_t)n;
	memcpy(m->e[i].name, k, n);
	return m->e[i].where = key_where(k, n);
}

static int scan_xml_item(void *arg, const struct pol_xml_item *it)
{
	struct xml_ctx *x = arg;
	struct pol_scan *sc = x->sc;
	size_t old = pol_path_raw(sc, it->path);
	/* the attribute's or element's name says what it holds, as a key does */
	uint32_t kw = xml_key_where(x->names, it->name, it->name_len);
	x->done |= scan_value(sc, it->val, it->len, x->where | kw, x->skip, false);
	pol_path_pop(sc, old);
	return sc->stop;
}

/* An XML document at where (less the skip bits' detectors): each of its
 * values judged decoded, one layer deeper, then the document whole by the
 * detectors that found nothing in its values: all of them when it does not
 * parse (its Content-Type saying XML is then worth a note, without weight),
 * those of XML_WHOLE when it does. The detectors that reported. */
static uint32_t scan_xml(struct pol_scan *sc, const char *s, size_t n, uint32_t where,
                         uint32_t skip, bool declared)
{
	if (sc->layers >= sc->pol->limits.layers) {
		pol_scan_limit(sc, POL_CAT_TOO_DEEP, "limit.layers");
		return pol_scan_input_skip(sc, s, n, where, skip);
	}
	struct xml_names names = {.next = 0};
	struct xml_ctx x = {sc, where & ~POL_IN_BODY, skip, 0, &names};
	bool too_deep;
	sc->layers++;
	size_t old = pol_path_raw(sc, ">");
	int r = pol_xml_each(s, n, sc->pol->limits.depth, sc->deadline_ns, scan_xml_item, &x,
	                     &too_deep);
	pol_path_pop(sc, old);
	sc->layers--;
	if (r == -ETIME)
		pol_scan_clock(sc);
	if (too_deep)
		pol_scan_limit(sc, POL_CAT_TOO_DEEP, "limit.depth");
	if (r == -EINVAL && declared)
		pol_scan_limit(sc, POL_CAT_MALFORMED, "malformed.xml");
	if (sc->stop)
		return x.done;
	uint32_t whole = skip | x.done | (r == 0 ? ~XML_WHOLE : 0);
	return x.done | pol_scan_input_skip(sc, s, n, where, whole);
}

/* A string value: a JSON document inside it walked, an XML one (by its
 * looks, or declared so by a Content-Type) judged by its values and whole,
 * anything else one input (less the skip bits' detectors). The detectors
 * that reported (none for a JSON document). */
static uint32_t scan_value(struct pol_scan *sc, const char *s, size_t n, uint32_t where,
                           uint32_t skip, bool xml_declared)
{
	if (scan_nested_json(sc, s, n, where))
		return 0;
	if (xml_declared || pol_xml_sniff(s, n))
		return scan_xml(sc, s, n, where, skip, xml_declared);
	return pol_scan_input_skip(sc, s, n, where, skip);
}

void pol_scan_string(struct pol_scan *sc, const char *s, size_t n, uint32_t where)
{
	scan_value(sc, s, n, where, 0, false);
}

/* What a field's name says its string value holds: a URL ("url", "uri",
 * "href", "callback"... anywhere in the name, in any case), else a file
 * path ("path", "_CONF[path]", "templateFile", "include": a whole word of
 * the name, delimited by other characters or a change of case, so that
 * "profile" is no "file"). Every name is read here, so the search is one
 * pass: the low five bits of each three bytes (the same for both cases of
 * a letter) index a bitmap of the names' first three letters, and only
 * where it says one may start is the name compared. */
struct key_word {
	const char *s;
	uint8_t n;
};
#define W(s)                                                                                       \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}
static const struct key_word url_words[] = {
    W("url"),      W("uri"),     W("href"), W("link"),  W("callback"), W("redirect"),
    W("endpoint"), W("webhook"), W("src"),  W("dest"),  W("target"),   W("next"),
    W("return"),   W("site"),    W("host"), W("image"), W("feed")};
static const struct key_word path_words[] = {
    W("path"),     W("file"), W("dir"),    W("folder"), W("include"), W("require"),
    W("template"), W("root"), W("module"), W("theme"),  W("lang"),    W("filename")};
#undef W

#define TRI(a, b, c) ((((unsigned)(a)&31) << 10) | (((unsigned)(b)&31) << 5) | ((unsigned)(c)&31))
static uint64_t url_tri[512], path_tri[512]; /* bit per TRI of a word's start */

static void __attribute__((constructor)) key_words_init(void)
{
	for (size_t i = 0; i < sizeof(url_words) / sizeof(url_words[0]); i++) {
		const char *w = url_words[i].s;
		unsigned t = TRI(w[0], w[1], w[2]);
		url_tri[t >> 6] |= 1ull << (t & 63);
	}
	for (size_t i = 0; i < sizeof(path_words) / sizeof(path_words[0]); i++) {
		const char *w = path_words[i].s;
		unsigned t = TRI(w[0], w[1], w[2]);
		path_tri[t >> 6] |= 1ull << (t & 63);
	}
}

static inline bool tri_has(const uint64_t *tab, unsigned t)
{
	return (tab[t >> 6] >> (t & 63)) & 1;
}

static inline char ascii_lower(char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}

/* A URL word at k[at..), in any case. */
static bool url_word_at(const char *k, size_t n, size_t at)
{
	for (size_t i = 0; i < sizeof(url_words) / sizeof(url_words[0]); i++) {
		const struct key_word *w = &url_words[i];
		size_t j = 0;
		if (at + w->n > n)
			continue;
		while (j < w->n && ascii_lower(k[at + j]) == w->s[j])
			j++;
		if (j == w->n)
			return true;
	}
	return false;
}

static bool is_letter(char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* A path word at k[at..), starting and ending a word of the name. */
static bool path_word_at(const char *k, size_t n, size_t at)
{
	bool start = at == 0 || !is_letter(k[at - 1]) || (k[at] >= 'A' && k[at] <= 'Z');
	if (!start)
		return false;
	for (size_t i = 0; i < sizeof(path_words) / sizeof(path_words[0]); i++) {
		const struct key_word *w = &path_words[i];
		size_t e = at + w->n, j = 0;
		if (e > n)
			continue;
		while (j < w->n && (k[at + j] | 0x20) == w->s[j])
			j++;
		if (j == w->n && (e == n || !is_letter(k[e]) || (k[e] >= 'A' && k[e] <= 'Z')))
			return true;
	}
	return false;
}

static uint32_t key_where(const char *k, size_t n)
{
	bool pathish = false;
	if (n < 3 || n > 48)
		return 0;
	unsigned t = TRI(0, k[0], k[1]);
	for (size_t at = 0; at + 3 <= n; at++) {
		t = ((t << 5) | ((unsigned)k[at + 2] & 31)) & 0x7fff;
		if (tri_has(url_tri, t) && url_word_at(k, n, at))
			return POL_IN_URLISH;
		if (!pathish && tri_has(path_tri, t))
			pathish = path_word_at(k, n, at);
	}
	return pathish ? POL_IN_PATHISH : 0;
}
#undef TRI

/* Walks a subtree in document order without recursion: a stack of open
 * containers restores the path as each one closes. Below the depth limit the
 * structure is no longer tracked, but every key and string is still seen. */
void pol_walk(struct pol_scan *sc, const struct pol_json *d, uint32_t root, uint32_t where)
{
	struct frame {
		uint32_t end, next_idx;
		size_t plen;
		bool arr;
	} stack[POL_DEPTH_MAX + 1];
	size_t depth = 0;
	uint32_t limit = sc->pol->limits.depth;
	if (limit > POL_DEPTH_MAX)
		limit = POL_DEPTH_MAX;
	uint32_t stop = J(d, root)->end;

	for (uint32_t i = root; i < stop && !sc->stop;) {
		while (depth && i >= stack[depth - 1].end)
			pol_path_pop(sc, stack[--depth].plen);
		const struct pol_jnode *nd = J(d, i);
		size_t old = sc->plen;
		uint32_t w = where;
		if (depth && stack[depth - 1].arr) {
			pol_path_idx(sc, stack[depth - 1].next_idx++);
		} else if (depth) {
			pol_path_key(sc, nd->key, nd->key_len);
			pol_scan_input(sc, nd->key, nd->key_len, where | POL_IN_KEY);
			/* the flag only matters to a string value */
			if (nd->type == POL_J_STR)
				w |= key_where(nd->key, nd->key_len);
		}
		if (nd->type == POL_J_OBJ || nd->type == POL_J_ARR) {
			if (depth < limit) {
				stack[depth++] =
				    (struct frame){nd->end, 0, old, nd->type == POL_J_ARR};
				i++;
				continue;
			}
			pol_scan_limit(sc, POL_CAT_TOO_DEEP, "limit.depth");
			for (uint32_t j = i + 1; j < nd->end && !sc->stop; j++) {
				const struct pol_jnode *c = J(d, j);
				if (c->key)
					pol_scan_input(sc, c->key, c->key_len, where | POL_IN_KEY);
				if (c->type == POL_J_STR)
					pol_scan_string(sc, c->str, c->len, where);
			}
			pol_path_pop(sc, old);
			i = nd->end;
			continue;
		}
		if (nd->type == POL_J_STR)
			pol_scan_string(sc, nd->str, nd->len, w);
		pol_path_pop(sc, old);
		i++;
	}
	while (depth)
		pol_path_pop(sc, stack[--depth].plen);
}

/* Member key of obj walked at path "key" (when it exists). */
static void walk_member(struct pol_scan *sc, const struct pol_json *d, uint32_t obj,
                        const char *key, uint32_t where)
{
	int64_t c = pol_json_get(d, obj, key);
	if (c < 0)
		return;
	size_t old = pol_path_key(sc, key, strlen(key));
	if (J(d, c)->type == POL_J_STR)
		pol_scan_string(sc, J(d, c)->str, J(d, c)->len, where);
	else
		pol_walk(sc, d, (uint32_t)c, where);
	pol_path_pop(sc, old);
}

/* ---- HTTP ---- */

struct pair_ctx {
	struct pol_scan *sc;
	uint32_t where;
	bool decode; /* percent-decode names and values */
	bool plus;   /* '+' is a space */
	bool nested; /* values may hold JSON */
	long idx;    /* >= 0: the value's index under its name */
};

static int scan_pair(void *arg, const char *name, size_t nn, const char *val, size_t vn)
{
	struct pair_ctx *pc = arg;
	struct pol_scan *sc = pc->sc;
	char small[512], *buf = NULL; /* most pairs are short: no malloc for them */
	if (pc->decode) {
		buf = nn + vn + 1 <= sizeof(small) ? small : malloc(nn + vn + 1);
		if (!buf)
			return 0;
		nn = pol_url_decode(name, nn, buf, pc->plus);
		vn = pol_url_decode(val, vn, buf + nn, pc->plus);
		name = buf;
		val = buf + nn;
	}
	size_t old = pol_path_key(sc, name, nn);
	if (pc->idx < 0)
		pol_scan_input(sc, name, nn, pc->where | POL_IN_KEY);
	else
		pol_path_idx(sc, (size_t)pc->idx);
	uint32_t w = pc->where | key_where(name, nn);
	if (pc->nested)
		pol_scan_string(sc, val, vn, w);
	else
		pol_scan_input(sc, val, vn, w);
	pol_path_pop(sc, old);
	if (buf != small)
		free(buf);
	return sc->stop;
}

static void scan_query_string(struct pol_scan *sc, const char *s, size_t n, bool plus)
{
	struct pair_ctx pc = {sc, POL_IN_QUERY, true, plus, true, -1};
	pol_pairs_each(s, n, '&', false, scan_pair, &pc);
}

static void scan_cookies(struct pol_scan *sc, const char *s, size_t n)
{
	size_t old = pol_path_raw(sc, ">");
	struct pair_ctx pc = {sc, POL_IN_COOKIE, true, false, true, -1};
	pol_pairs_each(s, n, ';', true, scan_pair, &pc);
	pol_path_pop(sc, old);
}

/* A media type of XML: "application/xml", "text/xml", "application/soap+xml"
 * (subtype xml or ending "+xml"; not "...openxmlformats...", a zip). */
static bool ct_says_xml(const char *ct, size_t n)
{
	if (!ct)
		return false;
	const char *semi = memchr(ct, ';', n);
	size_t e = semi ? (size_t)(semi - ct) : n;
	while (e && (ct[e - 1] == ' ' || ct[e - 1] == '\t'))
		e--;
	const char *slash = memchr(ct, '/', e);
	if (!slash || e < 3 || strncasecmp(ct + e - 3, "xml", 3) != 0)
		return false;
	size_t sub = (size_t)(ct + e - (slash + 1));
	return sub == 3 || ct[e - 4] == '+';
}

struct part_ctx {
	struct pol_scan *sc;
};

static void scan_body(struct pol_scan *sc, const char *s, size_t n, const char *ct, size_t ctn);

static int scan_part(void *arg, const struct pol_part *p)
{
	struct pol_scan *sc = ((struct part_ctx *)arg)->sc;
	size_t old = pol_path_key(sc, p->name, p->name_len);
	pol_scan_input(sc, p->name, p->name_len, POL_IN_KEY | POL_IN_QUERY);
	if (p->filename) {
		size_t o2 = pol_path_raw(sc, ".filename");
		pol_scan_input(sc, p->filename, p->filename_len, POL_IN_PATH | POL_IN_PATHISH);
		pol_path_pop(sc, o2);
	}
	if (p->type && p->type_len >= 5 && pol_memcasemem(p->type, p->type_len, "json", 4) >= 0) {
		pol_scan_string(sc, p->data, p->data_len, POL_IN_QUERY);
	} else if (ct_says_xml(p->type, p->type_len)) {
		scan_xml(sc, p->data, p->data_len, POL_IN_QUERY, 0, true);
	} else {
		pol_scan_input(sc, p->data, p->data_len, POL_IN_QUERY);
	}
	pol_path_pop(sc, old);
	return sc->stop;
}

/* A request body as the handler reads it, by its Content-Type: JSON walked
 * by path, forms and multipart split into fields, XML judged whole and by
 * its values, anything else whole. */
static void scan_body(struct pol_scan *sc, const char *s, size_t n, const char *ct, size_t ctn)
{
	if (n == 0)
		return;
	size_t old = sc->plen;
	if (ct && pol_memcasemem(ct, ctn, "application/x-www-form-urlencoded", 33) >= 0) {
		pol_path_raw(sc, ">");
		struct pair_ctx pc = {sc, POL_IN_QUERY, true, true, true, -1};
		pol_pairs_each(s, n, '&', false, scan_pair, &pc);
	} else if (ct && pol_memcasemem(ct, ctn, "multipart/", 10) >= 0) {
		const char *b;
		size_t bn;
		if (pol_multipart_boundary(ct, ctn, &b, &bn) == 0) {
			pol_path_raw(sc, ">");
			struct part_ctx pc = {sc};
			pol_multipart_each(s, n, b, bn, POL_PARTS_MAX, scan_part, &pc);
		} else {
			pol_scan_input(sc, s, n, POL_IN_BODY);
		}
	} else {
		scan_value(sc, s, n, POL_IN_BODY, 0, ct_says_xml(ct, ctn));
	}
	pol_path_pop(sc, old);
}

/* headers: values (names are inputs too); the Cookie header split. */
static void scan_headers(struct pol_scan *sc, const struct pol_json *d, int64_t h, bool multi,
                         const struct pol_json *single_d, int64_t single)
{
	if (h < 0 || J(d, h)->type != POL_J_OBJ)
		return;
	size_t old0 = pol_path_key(sc, multi ? "multiValueHeaders" : "headers", multi ? 17 : 7);
	for (uint32_t c = (uint32_t)h + 1; c < J(d, h)->end && !sc->stop; c = J(d, c)->end) {
		const struct pol_jnode *nd = J(d, c);
		size_t old = pol_path_key(sc, nd->key, nd->key_len);
		bool cookie = nd->key_len == 6 && strncasecmp(nd->key, "cookie", 6) == 0;
		if (!multi)
			pol_scan_input(sc, nd->key, nd->key_len, POL_IN_HEADER | POL_IN_KEY);
		uint32_t vi = c, vend = c + 1, idx = 0;
		if (nd->type == POL_J_ARR) {
			vi = c + 1;
			vend = nd->end;
		}
		for (; vi < vend; vi = J(d, vi)->end, idx++) {
			const struct pol_jnode *v = J(d, vi);
			if (v->type != POL_J_STR)
				continue;
			if (multi && single >= 0) {
				/* the single-value map already showed this value */
				int64_t sv =
				    pol_json_getn(single_d, (uint32_t)single, nd->key, nd->key_len);
				if (sv >= 0 && J(single_d, sv)->len == v->len &&
				    memcmp(J(single_d, sv)->str, v->str, v->len) == 0)
					continue;
			}
			size_t o2 = nd->type == POL_J_ARR ? pol_path_idx(sc, idx) : sc->plen;
			if (cookie)
				scan_cookies(sc, v->str, v->len);
			else
				pol_scan_input(sc, v->str, v->len, POL_IN_HEADER);
			pol_path_pop(sc, o2);
		}
		pol_path_pop(sc, old);
	}
	pol_path_pop(sc, old0);
}

/* queryStringParameters and friends: names and values, decoded when the
 * service leaves them encoded (ALB). Multi-value maps are seen only where
 * they add to the single-value map. */
static void scan_params(struct pol_scan *sc, const struct pol_json *d, const char *member,
                        uint32_t where, bool decode, int64_t single)
{
	int64_t h = pol_json_get(d, 0, member);
	if (h < 0 || J(d, h)->type != POL_J_OBJ)
		return;
	size_t old0 = pol_path_key(sc, member, strlen(member));
	for (uint32_t c = (uint32_t)h + 1; c < J(d, h)->end && !sc->stop; c = J(d, c)->end) {
		const struct pol_jnode *nd = J(d, c);
		uint32_t vi = c, vend = c + 1, idx = 0;
		if (nd->type == POL_J_ARR) {
			vi = c + 1;
			vend = nd->end;
		}
		for (; vi < vend && !sc->stop; vi = J(d, vi)->end, idx++) {
			const struct pol_jnode *v = J(d, vi);
			if (v->type != POL_J_STR)
				continue;
			if (single >= 0) {
				int64_t sv =
				    pol_json_getn(d, (uint32_t)single, nd->key, nd->key_len);
				if (sv >= 0 && J(d, sv)->len == v->len &&
				    memcmp(J(d, sv)->str, v->str, v->len) == 0)
					continue;
			}
			struct pair_ctx pc = {sc,     where,
			                      decode, decode,
			                      true,   nd->type == POL_J_ARR ? (long)idx : -1};
			scan_pair(&pc, nd->key, nd->key_len, v->str, v->len);
		}
	}
	pol_path_pop(sc, old0);
}

static void scan_http(struct pol_scan *sc, const struct pol_json *d, enum pol_source src)
{
	bool alb = src == POL_SRC_ALB;
	int64_t h = pol_json_get(d, 0, "headers");
	int64_t mh = pol_json_get(d, 0, "multiValueHeaders");
	scan_headers(sc, d, h, false, d, -1);
	scan_headers(sc, d, mh, true, d, h >= 0 ? h : -1);

	size_t n;
	const char *s;
	/* the path: v1 and ALB "path", v2 and Function URLs "rawPath" */
	const char *pname = "rawPath";
	if (!(s = pol_json_get_str(d, 0, pname, &n)))
		s = pol_json_get_str(d, 0, pname = "path", &n);
	if (s) {
		size_t old = pol_path_key(sc, pname, strlen(pname));
		char *buf = malloc(n + 1);
		if (buf) {
			/* the handler sees the path decoded (API Gateway decodes it;
			 * ALB frameworks do) */
			size_t dn = pol_url_decode(s, n, buf, false);
			pol_scan_input(sc, buf, dn, POL_IN_PATH);
			free(buf);
		}
		pol_path_pop(sc, old);
	}
	walk_member(sc, d, 0, "pathParameters", POL_IN_PATH);

	int64_t q = pol_json_get(d, 0, "queryStringParameters");
	if (q >= 0 && J(d, q)->type == POL_J_OBJ) {
		scan_params(sc, d, "queryStringParameters", POL_IN_QUERY, alb, -1);
	} else if ((s = pol_json_get_str(d, 0, "rawQueryString", &n))) {
		size_t old = pol_path_raw(sc, "rawQueryString>");
		scan_query_string(sc, s, n, true);
		pol_path_pop(sc, old);
	}
	scan_params(sc, d, "multiValueQueryStringParameters", POL_IN_QUERY, alb,
	            q >= 0 && J(d, q)->type == POL_J_OBJ ? q : -1);

	int64_t ck = pol_json_get(d, 0, "cookies");
	if (ck >= 0 && J(d, ck)->type == POL_J_ARR) {
		uint32_t idx = 0;
		for (uint32_t c = (uint32_t)ck + 1; c < J(d, ck)->end; c = J(d, c)->end, idx++) {
			if (J(d, c)->type != POL_J_STR)
				continue;
			size_t old = pol_path_raw(sc, "cookies");
			pol_path_idx(sc, idx);
			scan_cookies(sc, J(d, c)->str, J(d, c)->len);
			pol_path_pop(sc, old);
		}
	}

	/* the body, base64-decoded when the service says so */
	int64_t b = pol_json_get(d, 0, "body");
	if (b >= 0 && J(d, b)->type == POL_J_STR && J(d, b)->len) {
		const char *body = J(d, b)->str;
		size_t bn = J(d, b)->len;
		char *dec = NULL;
		int64_t b64 = pol_json_get(d, 0, "isBase64Encoded");
		size_t old = pol_path_raw(sc, "body");
		if (b64 >= 0 && J(d, b64)->type == POL_J_TRUE) {
			dec = malloc(bn / 4 * 3 + 4);
			long dn = dec ? pol_base64_decode(body, bn, dec) : -1;
			if (dn >= 0) {
				body = dec;
				bn = (size_t)dn;
			} else {
				pol_scan_limit(sc, POL_CAT_MALFORMED, "malformed.base64");
			}
		}
		const char *ct = NULL;
		size_t ctn = 0;
		int64_t cth = h >= 0 ? pol_json_get_ci(d, (uint32_t)h, "content-type") : -1;
		if (cth >= 0 && J(d, cth)->type == POL_J_STR) {
			ct = J(d, cth)->str;
			ctn = J(d, cth)->len;
		}
		scan_body(sc, body, bn, ct, ctn);
		pol_path_pop(sc, old);
		free(dec);
	}
}

static void scan_authorizer(struct pol_scan *sc, const struct pol_json *d)
{
	walk_member(sc, d, 0, "authorizationToken", POL_IN_HEADER);
	walk_member(sc, d, 0, "identitySource", POL_IN_HEADER);
	scan_http(sc, d, POL_SRC_APIGW_AUTHORIZER);
}

/* ---- queues, topics, streams ---- */

static void walk_sns_envelope(struct pol_scan *sc, const struct pol_json *d, uint32_t o)
{
	walk_member(sc, d, o, "Message", POL_IN_QUERY);
	walk_member(sc, d, o, "Subject", POL_IN_QUERY);
	int64_t ma = pol_json_get(d, o, "MessageAttributes");
	if (ma < 0 || J(d, ma)->type != POL_J_OBJ)
		return;
	size_t old = pol_path_key(sc, "MessageAttributes", 17);
	for (uint32_t c = (uint32_t)ma + 1; c < J(d, ma)->end; c = J(d, c)->end) {
		size_t o2 = pol_path_key(sc, J(d, c)->key, J(d, c)->key_len);
		pol_scan_input(sc, J(d, c)->key, J(d, c)->key_len, POL_IN_KEY);
		if (J(d, c)->type == POL_J_OBJ)
			walk_member(sc, d, c, "Value", POL_IN_QUERY);
		pol_path_pop(sc, o2);
	}
	pol_path_pop(sc, old);
}

/* Iterates Records[i] objects, with the path set for each. */
#define FOR_RECORDS(sc, d, r, idx)                                                                 \
	for (int64_t recs_ = pol_json_get((d), 0, "Records"); recs_ >= 0; recs_ = -1)              \
		for (uint32_t r = (uint32_t)recs_ + 1, idx = 0;                                    \
		     r < J(d, recs_)->end && !(sc)->stop; r = J(d, r)->end, idx++)                 \
			if (J(d, r)->type == POL_J_OBJ)

static size_t push_record(struct pol_scan *sc, uint32_t idx)
{
	size_t old = pol_path_raw(sc, "Records");
	pol_path_idx(sc, idx);
	return old;
}

static void scan_sqs(struct pol_scan *sc, const struct pol_json *d)
{
	FOR_RECORDS(sc, d, r, idx)
	{
		size_t old = push_record(sc, idx);
		walk_member(sc, d, r, "body", POL_IN_QUERY);
		int64_t ma = pol_json_get(d, r, "messageAttributes");
		if (ma >= 0 && J(d, ma)->type == POL_J_OBJ) {
			size_t o2 = pol_path_raw(sc, ".messageAttributes");
			for (uint32_t c = (uint32_t)ma + 1; c < J(d, ma)->end; c = J(d, c)->end) {
				size_t o3 = pol_path_key(sc, J(d, c)->key, J(d, c)->key_len);
				pol_scan_input(sc, J(d, c)->key, J(d, c)->key_len, POL_IN_KEY);
				if (J(d, c)->type == POL_J_OBJ) {
					walk_member(sc, d, c, "stringValue", POL_IN_QUERY);
					walk_member(sc, d, c, "stringListValues", POL_IN_QUERY);
				}
				pol_path_pop(sc, o3);
			}
			pol_path_pop(sc, o2);
		}
		pol_path_pop(sc, old);
	}
}

static void scan_sns(struct pol_scan *sc, const struct pol_json *d)
{
	FOR_RECORDS(sc, d, r, idx)
	{
		size_t old = push_record(sc, idx);
		int64_t sns = pol_json_get(d, r, "Sns");
		if (sns >= 0 && J(d, sns)->type == POL_J_OBJ) {
			size_t o2 = pol_path_raw(sc, ".Sns");
			walk_sns_envelope(sc, d, (uint32_t)sns);
			pol_path_pop(sc, o2);
		}
		pol_path_pop(sc, old);
	}
}

/* To the code that consumes it, a key's last segment is a string of its
 * own: the object's name, basename(key), chosen by whoever uploaded it
 * under the folders the application chose. incoming/2026/`id` reads as a
 * path, its name `id` as a command: the name is read as an input too, at
 * the key's path (a rule counts once there). */
static void scan_key_name(struct pol_scan *sc, const char *s, size_t n)
{
	const char *slash = memrchr(s, '/', n);
	if (!slash)
		return;
	size_t o = (size_t)(slash + 1 - s);
	if (n - o >= 2)
		pol_scan_input(sc, s + o, n - o, POL_IN_PATH);
}

static void scan_s3(struct pol_scan *sc, const struct pol_json *d)
{
	FOR_RECORDS(sc, d, r, idx)
	{
		size_t old = push_record(sc, idx);
		int64_t s3 = pol_json_get(d, r, "s3");
		int64_t obj = s3 >= 0 ? pol_json_get(d, (uint32_t)s3, "object") : -1;
		size_t n;
		const char *key = obj >= 0 ? pol_json_get_str(d, (uint32_t)obj, "key", &n) : NULL;
		if (key) {
			/* S3 event keys are form-encoded: '+' is a space */
			char *buf = malloc(n + 1);
			if (buf) {
				size_t o2 = pol_path_raw(sc, ".s3.object.key");
				size_t dn = pol_url_decode(key, n, buf, true);
				pol_scan_input(sc, buf, dn, POL_IN_PATH);
				scan_key_name(sc, buf, dn);
				pol_path_pop(sc, o2);
				free(buf);
			}
		}
		pol_path_pop(sc, old);
	}
}

/* DynamoDB typed attribute values: {"S": "..."}, {"M": {...}}, {"L": [...]},
 * {"SS": [...]}; the type letters are not part of the path. */
static void scan_ddb_value(struct pol_scan *sc, const struct pol_json *d, uint32_t v,
                           unsigned depth, uint32_t where);

static void scan_ddb_map(struct pol_scan *sc, const struct pol_json *d, uint32_t m, unsigned depth)
{
	if (J(d, m)->type != POL_J_OBJ)
		return;
	for (uint32_t c = m + 1; c < J(d, m)->end && !sc->stop; c = J(d, c)->end) {
		size_t old = pol_path_key(sc, J(d, c)->key, J(d, c)->key_len);
		pol_scan_input(sc, J(d, c)->key, J(d, c)->key_len, POL_IN_KEY);
		/* the attribute's name says what it holds, as an object key does */
		scan_ddb_value(sc, d, c, depth + 1, key_where(J(d, c)->key, J(d, c)->key_len));
		pol_path_pop(sc, old);
	}
}

static void scan_ddb_value(struct pol_scan *sc, const struct pol_json *d, uint32_t v,
                           unsigned depth, uint32_t where)
{
	if (J(d, v)->type != POL_J_OBJ || J(d, v)->count != 1)
		return;
	if (depth > sc->pol->limits.depth) {
		pol_scan_limit(sc, POL_CAT_TOO_DEEP, "limit.depth");
		pol_walk(sc, d, v, POL_IN_QUERY); /* flat: the walker is iterative */
		return;
	}
	uint32_t t = v + 1;
	const struct pol_jnode *tv = J(d, t);
	if (tv->key_len == 1 && tv->key[0] == 'S' && tv->type == POL_J_STR) {
		pol_scan_string(sc, tv->str, tv->len, POL_IN_QUERY | where);
	} else if (tv->key_len == 1 && tv->key[0] == 'M') {
		scan_ddb_map(sc, d, t, depth);
	} else if (tv->key_len == 1 && tv->key[0] == 'L' && tv->type == POL_J_ARR) {
		uint32_t idx = 0;
		for (uint32_t c = t + 1; c < tv->end && !sc->stop; c = J(d, c)->end, idx++) {
			size_t old = pol_path_idx(sc, idx);
			scan_ddb_value(sc, d, c, depth + 1, where);
			pol_path_pop(sc, old);
		}
	} else if (tv->key_len == 2 && tv->key[0] == 'S' && tv->key[1] == 'S' &&
	           tv->type == POL_J_ARR) {
		uint32_t idx = 0;
		for (uint32_t c = t + 1; c < tv->end && !sc->stop; c = J(d, c)->end, idx++) {
			if (J(d, c)->type != POL_J_STR)
				continue;
			size_t old = pol_path_idx(sc, idx);
			pol_scan_string(sc, J(d, c)->str, J(d, c)->len, POL_IN_QUERY | where);
			pol_path_pop(sc, old);
		}
	}
	/* N, NS, B, BS, BOOL, NULL: numbers and opaque bytes the code does not
	 * interpret as text. */
}

static void scan_dynamodb(struct pol_scan *sc, const struct pol_json *d)
{
	static const char *const images[] = {"Keys", "NewImage", "OldImage"};
	FOR_RECORDS(sc, d, r, idx)
	{
		size_t old = push_record(sc, idx);
		int64_t ddb = pol_json_get(d, r, "dynamodb");
		for (size_t k = 0; ddb >= 0 && k < 3; k++) {
			int64_t img = pol_json_get(d, (uint32_t)ddb, images[k]);
			if (img < 0)
				continue;
			size_t o2 = pol_path_raw(sc, ".dynamodb.");
			pol_path_raw(sc, images[k]);
			scan_ddb_map(sc, d, (uint32_t)img, 0);
			pol_path_pop(sc, o2);
		}
		pol_path_pop(sc, old);
	}
}

/* Base64 data (Kinesis, MSK): decoded, inflated when gzip (CloudWatch Logs
 * subscriptions through Kinesis), then JSON or text. */
static void scan_b64_data(struct pol_scan *sc, const char *s, size_t n)
{
	char *dec = malloc(n / 4 * 3 + 4);
	if (!dec)
		return;
	long dn = pol_base64_decode(s, n, dec);
	if (dn < 0) {
		pol_scan_limit(sc, POL_CAT_MALFORMED, "malformed.base64");
		pol_scan_input(sc, s, n, POL_IN_QUERY);
		free(dec);
		return;
	}
	if (pol_is_gzip(dec, (size_t)dn)) {
		struct vg_buf out = VG_BUF_INIT(sc->pol->limits.event_bytes);
		int r = pol_gunzip_until(dec, (size_t)dn, &out, sc->deadline_ns);
		if (r == -ETIME)
			pol_scan_clock(sc);
		else if (r == -ENOBUFS)
			pol_scan_limit(sc, POL_CAT_OVERSIZE, "limit.event_bytes");
		else if (r)
			pol_scan_limit(sc, POL_CAT_MALFORMED, "malformed.gzip");
		if (out.len)
			pol_scan_string(sc, out.data, out.len, POL_IN_QUERY);
		vg_buf_fini(&out);
	} else {
		pol_scan_string(sc, dec, (size_t)dn, POL_IN_QUERY);
	}
	free(dec);
}

static void scan_kinesis(struct pol_scan *sc, const struct pol_json *d)
{
	FOR_RECORDS(sc, d, r, idx)
	{
		size_t old = push_record(sc, idx);
		int64_t k = pol_json_get(d, r, "kinesis");
		size_t n;
		const char *data = k >= 0 ? pol_json_get_str(d, (uint32_t)k, "data", &n) : NULL;
		if (data) {
			size_t o2 = pol_path_raw(sc, ".kinesis.data");
			scan_b64_data(sc, data, n);
			pol_path_pop(sc, o2);
		}
		pol_path_pop(sc, old);
	}
}

static void scan_msk(struct pol_scan *sc, const struct pol_json *d)
{
	int64_t recs = pol_json_get(d, 0, "records");
	if (recs < 0 || J(d, recs)->type != POL_J_OBJ)
		return;
	size_t old0 = pol_path_raw(sc, "records");
	for (uint32_t tp = (uint32_t)recs + 1; tp < J(d, recs)->end && !sc->stop;
	     tp = J(d, tp)->end) {
		if (J(d, tp)->type != POL_J_ARR)
			continue;
		size_t old1 = pol_path_key(sc, J(d, tp)->key, J(d, tp)->key_len);
		uint32_t idx = 0;
		for (uint32_t r = tp + 1; r < J(d, tp)->end && !sc->stop; r = J(d, r)->end, idx++) {
			if (J(d, r)->type != POL_J_OBJ)
				continue;
			size_t old2 = pol_path_idx(sc, idx);
			static const char *const fields[] = {"key", "value"};
			for (int f = 0; f < 2; f++) {
				size_t n;
				const char *v = pol_json_get_str(d, r, fields[f], &n);
				if (!v)
					continue;
				size_t o3 = pol_path_key(sc, fields[f], strlen(fields[f]));
				scan_b64_data(sc, v, n);
				pol_path_pop(sc, o3);
			}
			pol_path_pop(sc, old2);
		}
		pol_path_pop(sc, old1);
	}
	pol_path_pop(sc, old0);
}

static void scan_cloudwatch_logs(struct pol_scan *sc, const struct pol_json *d)
{
	int64_t a = pol_json_get(d, 0, "awslogs");
	size_t n;
	const char *data = a >= 0 ? pol_json_get_str(d, (uint32_t)a, "data", &n) : NULL;
	if (!data)
		return;
	size_t old = pol_path_raw(sc, "awslogs.data");
	char *dec = malloc(n / 4 * 3 + 4);
	long dn = dec ? pol_base64_decode(data, n, dec) : -1;
	struct vg_buf out = VG_BUF_INIT(sc->pol->limits.event_bytes);
	int r = dn >= 0 ? pol_gunzip_until(dec, (size_t)dn, &out, sc->deadline_ns) : -EINVAL;
	if (r == -ETIME)
		pol_scan_clock(sc);
	else if (r == -ENOBUFS)
		pol_scan_limit(sc, POL_CAT_OVERSIZE, "limit.event_bytes");
	else if (r)
		pol_scan_limit(sc, POL_CAT_MALFORMED, "malformed.awslogs");
	struct pol_json doc = {0};
	if (out.len && pol_json_parse_until(&doc, out.data, out.len, sc->pol->limits.nodes,
	                                    sc->deadline_ns) == 0) {
		/* the log events' messages are what was logged: often request
		 * data the function echoed */
		int64_t ev = pol_json_get(&doc, 0, "logEvents");
		if (ev >= 0 && J(&doc, ev)->type == POL_J_ARR) {
			pol_path_raw(sc, ">logEvents");
			uint32_t idx = 0;
			for (uint32_t c = (uint32_t)ev + 1; c < J(&doc, ev)->end && !sc->stop;
			     c = J(&doc, c)->end, idx++) {
				size_t o2 = pol_path_idx(sc, idx);
				walk_member(sc, &doc, c, "message", POL_IN_QUERY);
				pol_path_pop(sc, o2);
			}
		}
	} else if (out.len) {
		pol_scan_input(sc, out.data, out.len, POL_IN_BODY);
	}
	pol_json_fini(&doc);
	vg_buf_fini(&out);
	free(dec);
	pol_path_pop(sc, old);
}

static void scan_appsync(struct pol_scan *sc, const struct pol_json *d)
{
	if (J(d, 0)->type == POL_J_ARR) {
		uint32_t idx = 0;
		for (uint32_t c = 1; c < J(d, 0)->end && !sc->stop; c = J(d, c)->end, idx++) {
			size_t old = pol_path_idx(sc, idx);
			walk_member(sc, d, c, "arguments", POL_IN_QUERY);
			pol_path_pop(sc, old);
		}
		return;
	}
	walk_member(sc, d, 0, "arguments", POL_IN_QUERY);
	walk_member(sc, d, 0, "authorizationToken", POL_IN_HEADER);
	int64_t rc = pol_json_get(d, 0, "requestContext");
	if (rc >= 0) {
		size_t old = pol_path_raw(sc, "requestContext");
		walk_member(sc, d, (uint32_t)rc, "variables", POL_IN_QUERY);
		pol_path_pop(sc, old);
	}
	int64_t rq = pol_json_get(d, 0, "request");
	if (rq >= 0) {
		size_t old = pol_path_raw(sc, "request");
		int64_t h = pol_json_get(d, (uint32_t)rq, "headers");
		if (h >= 0) {
			size_t o2 = pol_path_raw(sc, ".headers");
			for (uint32_t c = (uint32_t)h + 1; c < J(d, h)->end; c = J(d, c)->end) {
				if (J(d, c)->type != POL_J_STR)
					continue;
				size_t o3 = pol_path_key(sc, J(d, c)->key, J(d, c)->key_len);
				pol_scan_input(sc, J(d, c)->str, J(d, c)->len, POL_IN_HEADER);
				pol_path_pop(sc, o3);
			}
			pol_path_pop(sc, o2);
		}
		pol_path_pop(sc, old);
	}
}

static void scan_cognito(struct pol_scan *sc, const struct pol_json *d)
{
	/* What the user typed: attributes, validation data, client metadata,
	 * challenge answers, the user name. The rest is the pool's own. */
	walk_member(sc, d, 0, "userName", POL_IN_QUERY);
	int64_t rq = pol_json_get(d, 0, "request");
	if (rq < 0 || J(d, rq)->type != POL_J_OBJ)
		return;
	static const char *const fields[] = {"userAttributes", "validationData", "clientMetadata",
	                                     "challengeAnswer", "password"};
	size_t old = pol_path_raw(sc, "request");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		walk_member(sc, d, (uint32_t)rq, fields[i], POL_IN_QUERY);
	pol_path_pop(sc, old);
}

void pol_extract(struct pol_scan *sc, const struct pol_json *d, enum pol_source src)
{
	switch (src) {
	case POL_SRC_APIGW_V1:
	case POL_SRC_APIGW_V2:
	case POL_SRC_FUNCTION_URL:
	case POL_SRC_ALB:
	case POL_SRC_APIGW_WEBSOCKET:
		scan_http(sc, d, src);
		break;
	case POL_SRC_APIGW_AUTHORIZER:
		scan_authorizer(sc, d);
		break;
	case POL_SRC_SQS:
		scan_sqs(sc, d);
		break;
	case POL_SRC_SNS:
		scan_sns(sc, d);
		break;
	case POL_SRC_S3:
		scan_s3(sc, d);
		break;
	case POL_SRC_DYNAMODB:
		scan_dynamodb(sc, d);
		break;
	case POL_SRC_KINESIS:
		scan_kinesis(sc, d);
		break;
	case POL_SRC_EVENTBRIDGE:
		walk_member(sc, d, 0, "detail", POL_IN_QUERY);
		break;
	case POL_SRC_COGNITO:
		scan_cognito(sc, d);
		break;
	case POL_SRC_APPSYNC:
		scan_appsync(sc, d);
		break;
	case POL_SRC_MSK:
		scan_msk(sc, d);
		break;
	case POL_SRC_CLOUDWATCH_LOGS:
		scan_cloudwatch_logs(sc, d);
		break;
	default:
		pol_walk(sc, d, 0, 0);
		break;
	}
}
