/* A small XML reader: see xml.h. One function reads the whole document,
 * without recursion, linear: every byte is looked at a bounded number of
 * times (a reference that does not decode is copied from its '&' on as
 * text). A document that is not XML hands out nothing, so the values wait
 * until the markup has been read whole: the read decodes them one after
 * another into the value buffer (together never longer than the document)
 * and logs each, with the tags that open and close the path and the points
 * where the clock is read; the log is then replayed to the callback. A log
 * that would outgrow XML_LOG_MAX is given up, and the document read a second
 * time with the callback, as the replay would have handed out. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "vec16.h"
#include "vg_time.h"
#include "xml.h"

struct open_el {
	const char *name;
	uint32_t len;
	uint32_t plen; /* the path's length before this element */
};

/* One step of the log: an element opened or closed, a value handed out
 * (its name and value as offsets into the document and the value buffer),
 * a point where the clock is read. */
enum { OP_PUSH, OP_POP, OP_ATTR, OP_TEXT, OP_CLOCK };
struct xml_op {
	uint32_t kind;
	uint32_t name, name_len; /* PUSH, ATTR: in the document */
	uint32_t val, len;       /* ATTR, TEXT: in the value buffer */
};
/* The log's most steps (20 bytes each). It starts with room for a step
 * per XML_LOG_BYTES bytes of the document (at least XML_LOG_MIN steps),
 * about twice what markup-heavy documents need, and doubles. */
#define XML_LOG_MAX   (1u << 18)
#define XML_LOG_MIN   64u
#define XML_LOG_BYTES 8u

struct xml_rd {
	const char *s;
	size_t n, i;
	pol_xml_fn fn; /* NULL: the logging run */
	void *arg;
	bool keep;          /* values are decoded (the callback's run or the log's) */
	bool logging;       /* steps are logged (false once the log is given up) */
	struct xml_op *ops; /* owned */
	size_t nops, cap;
	char *vals; /* the value buffer: values logged lie in vals[0..out) */
	char *out;  /* the value being decoded: room for n bytes, never more */
	size_t on;
	char path[POL_XML_PATH_MAX + POL_XML_NAME_MAX + 16];
	size_t plen;
	unsigned depth;     /* elements open, kept or not */
	unsigned depth_max; /* elements kept on stk */
	bool too_deep;
	uint64_t deadline_ns; /* 0: none */
	size_t clock_at;      /* where the clock is read next */
	struct open_el stk[POL_XML_DEPTH_MAX];
};

static inline bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Name bytes: 1 may start a name (letters, '_', ':', any byte of a UTF-8
 * sequence), 2 may follow (those, digits, '-', '.'). */
static const uint8_t name_cls[256] = {
    ['A' ... 'Z'] = 3,   ['a' ... 'z'] = 3, ['_'] = 3, [':'] = 3,
    [0x80 ... 0xff] = 3, ['0' ... '9'] = 2, ['-'] = 2, ['.'] = 2,
};

static inline bool name_start(unsigned char c)
{
	return name_cls[c] & 1;
}

static inline bool name_char(unsigned char c)
{
	return name_cls[c] & 2;
}

static bool at(const struct xml_rd *r, const char *lit, size_t ln)
{
	return r->n - r->i >= ln && memcmp(r->s + r->i, lit, ln) == 0;
}
#define AT(r, lit) at((r), (lit), sizeof(lit) - 1)

static inline void skip_blanks(struct xml_rd *r)
{
	const char *s = r->s;
	size_t i = r->i, n = r->n;
	while (i < n && is_blank((unsigned char)s[i]))
		i++;
	r->i = i;
}

/* The first lit (of ln >= 2 bytes) in [p, e), or NULL: memchr to each
 * of its first byte, which the search moves past when the rest differs
 * (as memmem finds, without its set-up for a needle this short). */
static const char *find_lit(const char *p, const char *e, const char *lit, size_t ln)
{
	while ((size_t)(e - p) >= ln) {
		p = memchr(p, lit[0], (size_t)(e - p) - (ln - 1));
		if (!p)
			return NULL;
		if (memcmp(p + 1, lit + 1, ln - 1) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* Moves past the next lit; -EINVAL when there is none. */
static int skip_past(struct xml_rd *r, const char *lit, size_t ln)
{
	const char *p = find_lit(r->s + r->i, r->s + r->n, lit, ln);
	if (!p)
		return -EINVAL;
	r->i = (size_t)(p - r->s) + ln;
	return 0;
}

/* A name at r->i: its length (0: none), r->i past it. */
static inline __attribute__((always_inline)) size_t read_name(struct xml_rd *r)
{
	const unsigned char *s = (const unsigned char *)r->s;
	size_t a = r->i, i = a + 1, n = r->n;
	if (a >= n || !name_start(s[a]))
		return 0;
	while (i < n && name_char(s[i]))
		i++;
	r->i = i;
	return i - a;
}

static bool xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

static void put_utf8(struct xml_rd *r, uint32_t c)
{
	char *o = r->out + r->on;
	if (c < 0x80) {
		o[0] = (char)c;
		r->on += 1;
	} else if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		r->on += 2;
	} else if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		r->on += 3;
	} else {
		o[0] = (char)(0xf0 | c >> 18);
		o[1] = (char)(0x80 | (c >> 12 & 0x3f));
		o[2] = (char)(0x80 | (c >> 6 & 0x3f));
		o[3] = (char)(0x80 | (c & 0x3f));
		r->on += 4;
	}
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A reference at r->i (its '&'): the character it stands for appended to
 * the value, r->i past it. The shortest reference of a character is no
 * longer than its UTF-8 form ("&#128;", six bytes, two), so the value never
 * outgrows its source. Anything else ('&' alone, a bad number, an entity a
 * DTD would declare) is not expanded: its '&' is copied and the rest read
 * on as text. */
static void read_ref(struct xml_rd *r)
{
	const char *s = r->s;
	size_t i = r->i + 1, n = r->n;
	uint32_t c = 0;
	bool ok = false;
	if (i < n && s[i] == '#') {
		bool hex = i + 1 < n && s[i + 1] == 'x';
		size_t d0 = i += 1 + hex;
		for (; i < n; i++) {
			int v = hex ? hexval((unsigned char)s[i])
			            : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
			if (v < 0)
				break;
			c = c * (hex ? 16 : 10) + (uint32_t)v;
			if (c > 0x10ffff)
				c = 0x110000; /* stays out of range, never wraps */
		}
		ok = i > d0 && i < n && s[i] == ';' && xml_char(c);
	} else {
		/* the five predefined entities: lt gt amp quot apos */
		size_t left = n - i;
		const char *b = s + i;
		if (left >= 3 && b[1] == 't' && b[2] == ';' && (b[0] == 'l' || b[0] == 'g')) {
			c = b[0] == 'l' ? '<' : '>';
			i += 2;
		} else if (left >= 4 && memcmp(b, "amp;", 4) == 0) {
			c = '&';
			i += 3;
		} else if (left >= 5 && memcmp(b, "quot;", 5) == 0) {
			c = '"';
			i += 4;
		} else if (left >= 5 && memcmp(b, "apos;", 5) == 0) {
			c = '\'';
			i += 4;
		}
		ok = c != 0;
	}
	if (!ok) {
		r->out[r->on++] = '&';
		r->i++;
		return;
	}
	put_utf8(r, c);
	r->i = i + 1;
}

/* Room for more steps: a log that would pass XML_LOG_MAX steps (or whose
 * room cannot be had) is given up. */
static __attribute__((noinline)) bool log_grow(struct xml_rd *r)
{
	size_t cap = r->cap ? r->cap * 2 : r->n / XML_LOG_BYTES;
	if (cap < XML_LOG_MIN)
		cap = XML_LOG_MIN;
	if (cap > XML_LOG_MAX)
		cap = XML_LOG_MAX;
	struct xml_op *o = cap > r->cap ? realloc(r->ops, cap * sizeof(*o)) : NULL;
	if (!o) {
		r->logging = false;
		return false;
	}
	r->ops = o;
	r->cap = cap;
	return true;
}

/* Appends a step to the log. */
static inline __attribute__((always_inline)) void log_op(struct xml_rd *r, uint32_t kind,
                                                         const char *name, size_t name_len)
{
	if (r->nops == r->cap && !log_grow(r))
		return;
	r->ops[r->nops++] =
	    (struct xml_op){kind, name ? (uint32_t)(name - r->s) : 0, (uint32_t)name_len,
	                    (uint32_t)(r->out - r->vals), (uint32_t)r->on};
}

/* The item's path: the element's, then suffix and name (cut to
 * POL_XML_NAME_MAX), NUL-terminated after the element's path. */
static int emit_fn(struct xml_rd *r, const char *suffix, const char *name, size_t len, bool attr,
                   const char *el, size_t el_len)
{
	/* "/@" for an attribute, "/text()" for text */
	size_t p = r->plen, sn = attr ? 2 : 7;
	memcpy(r->path + p, suffix, sn);
	p += sn;
	if (attr) {
		size_t k = len > POL_XML_NAME_MAX ? POL_XML_NAME_MAX - 3 : len;
		memcpy(r->path + p, name, k);
		p += k;
		if (k < len) {
			memcpy(r->path + p, "...", 3);
			p += 3;
		}
	}
	r->path[p] = '\0';
	struct pol_xml_item it = {r->path, p,   attr ? name : el, attr ? len : el_len, r->out,
	                          r->on,   attr};
	int e = r->fn(r->arg, &it);
	r->path[r->plen] = '\0';
	return e;
}

/* The item handed out, or logged (its value kept where it was decoded)
 * in the logging run. */
static inline __attribute__((always_inline)) int emit(struct xml_rd *r, const char *suffix,
                                                      const char *name, size_t len, bool attr,
                                                      const char *el, size_t el_len)
{
	if (r->fn)
		return emit_fn(r, suffix, name, len, attr, el, el_len);
	if (r->logging) {
		log_op(r, attr ? OP_ATTR : OP_TEXT, name, len);
		r->out += r->on;
	}
	return 0;
}

/* The text read since the last tag, handed out unless blank. */
static int flush_text(struct xml_rd *r)
{
	size_t on = r->on;
	int e = 0;
	if (!r->keep || on == 0)
		goto out;
	size_t b = 0;
	while (b < on && is_blank((unsigned char)r->out[b]))
		b++;
	if (b == on)
		goto out;
	/* the element the text is in (the deepest kept, below the limit) */
	unsigned k = r->depth < r->depth_max ? r->depth : r->depth_max;
	const struct open_el *top = k ? &r->stk[k - 1] : NULL;
	e = emit(r, "/text()", NULL, 0, false, top ? top->name : "", top ? top->len : 0);
out:
	r->on = 0;
	return e;
}

static void push(struct xml_rd *r, const char *name, size_t len)
{
	if (r->logging)
		log_op(r, OP_PUSH, name, len);
	if (r->depth < r->depth_max) {
		r->stk[r->depth] = (struct open_el){name, (uint32_t)len, (uint32_t)r->plen};
		if (!r->fn) {
			/* the logging run hands out nothing: no path */
		} else if (r->plen + 1 + len <= POL_XML_PATH_MAX) {
			r->path[r->plen] = '/';
			memcpy(r->path + r->plen + 1, name, len);
			r->plen += 1 + len;
		} else if (r->plen < 4 || memcmp(r->path + r->plen - 4, "/...", 4) != 0) {
			memcpy(r->path + r->plen, "/...", 4);
			r->plen += 4;
		}
		r->path[r->plen] = '\0';
	} else {
		r->too_deep = true;
	}
	r->depth++;
}

static void pop(struct xml_rd *r)
{
	if (r->logging)
		log_op(r, OP_POP, NULL, 0);
	r->depth--;
	if (r->depth < r->depth_max) {
		r->plen = r->stk[r->depth].plen;
		r->path[r->plen] = '\0';
	}
}

/* Bytes a value's loop stops at: in text, markup, references and CR; in
 * attribute values, also quotes and the blanks read as spaces. */
static const uint8_t stop_text[256] = {['<'] = 1, ['&'] = 1, ['\r'] = 1};
static const uint8_t stop_attr[256] = {
    ['<'] = 1, ['&'] = 1, ['\r'] = 1, ['"'] = 1, ['\''] = 1, ['\t'] = 1, ['\n'] = 1};

/* The first byte in [p, e) that stop marks (e when none): sixteen bytes
 * at a time against the three bytes of stop_text, or all seven of
 * stop_attr when attr, then byte by byte. */
static inline const char *find_stop(const char *p, const char *e, bool attr)
{
	const uint8_t *stop = attr ? stop_attr : stop_text;
	const pol_v16 lt = v16_splat('<'), amp = v16_splat('&'), cr = v16_splat('\r');
	const pol_v16 dq = v16_splat('"'), sq = v16_splat('\''), tab = v16_splat('\t'),
	              lf = v16_splat('\n');
	while (e - p >= 16) {
		pol_v16 v = v16_load((const unsigned char *)p);
		pol_m16 m = (pol_m16)(v == lt) | (pol_m16)(v == amp) | (pol_m16)(v == cr);
		if (attr)
			m |= (pol_m16)(v == dq) | (pol_m16)(v == sq) | (pol_m16)(v == tab) |
			     (pol_m16)(v == lf);
		unsigned bits = v16_bits(m);
		if (bits)
			return p + __builtin_ctz(bits);
		p += 16;
	}
	while (p < e && !stop[(unsigned char)*p])
		p++;
	return p;
}

/* Copies the run of bytes from r->i up to the next one the value's loop
 * stops at (attr: an attribute value's, else text's); returns that byte
 * (or -1 at the end). The checking run only moves past them. */
static inline __attribute__((always_inline)) int copy_run(struct xml_rd *r, bool attr)
{
	const char *p = r->s + r->i, *e = r->s + r->n;
	/* most runs in markup are empty: a tag follows a tag */
	const char *q =
	    p < e && (attr ? stop_attr : stop_text)[(unsigned char)*p] ? p : find_stop(p, e, attr);
	if (r->keep) {
		memcpy(r->out + r->on, p, (size_t)(q - p));
		r->on += (size_t)(q - p);
	}
	r->i = (size_t)(q - r->s);
	return q < e ? (unsigned char)*q : -1;
}

static int read_attr_value(struct xml_rd *r)
{
	char q = r->s[r->i++];
	r->on = 0;
	for (;;) {
		int c = copy_run(r, true);
		if (c < 0)
			return -EINVAL;
		if (c == q) {
			r->i++;
			return 0;
		}
		if (c == '&') {
			read_ref(r);
			continue;
		}
		r->i++;
		if (c == '\r' && r->i < r->n && r->s[r->i] == '\n')
			r->i++;
		/* a literal tab or line end is a space to the parser; the
		 * other quote and '<' are themselves (leniently) */
		r->out[r->on++] = c == '\t' || c == '\n' || c == '\r' ? ' ' : (char)c;
	}
}

static bool is_xmlns(const char *a, size_t n)
{
	return (n == 5 && memcmp(a, "xmlns", 5) == 0) || (n > 6 && memcmp(a, "xmlns:", 6) == 0);
}

/* A start tag after its '<': name, attributes, '>' or "/>". */
static int read_start(struct xml_rd *r)
{
	const char *name = r->s + r->i;
	size_t nl = read_name(r);
	if (!nl)
		return -EINVAL;
	push(r, name, nl);
	for (;;) {
		size_t b = r->i;
		skip_blanks(r);
		if (r->i >= r->n)
			return -EINVAL;
		if (r->s[r->i] == '>') {
			r->i++;
			return 0;
		}
		if (AT(r, "/>")) {
			r->i += 2;
			pop(r);
			return 0;
		}
		if (r->i == b)
			return -EINVAL; /* attributes are separated by blanks */
		const char *an = r->s + r->i;
		size_t al = read_name(r);
		if (!al)
			return -EINVAL;
		skip_blanks(r);
		if (r->i >= r->n || r->s[r->i] != '=')
			return -EINVAL;
		r->i++;
		skip_blanks(r);
		if (r->i >= r->n || (r->s[r->i] != '"' && r->s[r->i] != '\''))
			return -EINVAL;
		int e = read_attr_value(r);
		if (e)
			return e;
		if (r->keep && r->on && !is_xmlns(an, al) &&
		    (e = emit(r, "/@", an, al, true, name, nl)))
			return e;
		r->on = 0;
	}
}

/* An end tag after its "</": it must close the element open (when its name
 * was kept). */
static int read_end(struct xml_rd *r)
{
	const char *name = r->s + r->i;
	size_t nl = read_name(r);
	if (!nl || r->depth == 0)
		return -EINVAL;
	skip_blanks(r);
	if (r->i >= r->n || r->s[r->i] != '>')
		return -EINVAL;
	r->i++;
	if (r->depth <= r->depth_max) {
		const struct open_el *o = &r->stk[r->depth - 1];
		if (o->len != nl || memcmp(o->name, name, nl) != 0)
			return -EINVAL;
	}
	pop(r);
	return 0;
}

/* <!DOCTYPE ...> with its internal subset skipped, quotes and comments
 * minded; nothing in it is read, let alone expanded. */
static int skip_doctype(struct xml_rd *r)
{
	bool subset = false;
	r->i += 9;
	while (r->i < r->n) {
		char c = r->s[r->i];
		if (c == '"' || c == '\'') {
			r->i++;
			const char *q = memchr(r->s + r->i, c, r->n - r->i);
			if (!q)
				return -EINVAL;
			r->i = (size_t)(q - r->s) + 1;
		} else if (subset && AT(r, "<!--")) {
			r->i += 4;
			if (skip_past(r, "-->", 3))
				return -EINVAL;
		} else if (c == '[' && !subset) {
			subset = true;
			r->i++;
		} else if (c == ']' && subset) {
			subset = false;
			r->i++;
		} else if (c == '>' && !subset) {
			r->i++;
			return 0;
		} else {
			r->i++;
		}
	}
	return -EINVAL;
}

/* Comments and processing instructions, where markup may be; 1 when one
 * was skipped, 0 when none is at r->i. */
static int skip_misc(struct xml_rd *r)
{
	if (AT(r, "<!--")) {
		r->i += 4;
		return skip_past(r, "-->", 3) ? -EINVAL : 1;
	}
	if (AT(r, "<?")) {
		r->i += 2;
		return skip_past(r, "?>", 2) ? -EINVAL : 1;
	}
	return 0;
}

/* Whether the '<' at r->i may open a comment, a processing instruction or
 * a CDATA section: the byte after it is '!' or '?'. */
static inline bool markup_decl(const struct xml_rd *r)
{
	return r->i + 1 < r->n && (r->s[r->i + 1] == '!' || r->s[r->i + 1] == '?');
}

/* At '<' inside the root: the text before it ends, and a start or end
 * tag is read. */
static inline int read_tag(struct xml_rd *r)
{
	int e = flush_text(r);
	if (e)
		return e;
	if (r->i + 1 < r->n && r->s[r->i + 1] == '/') {
		r->i += 2;
		return read_end(r);
	}
	r->i++;
	return read_start(r);
}

/* A CDATA section's content, r->i up to end, appended to the value with
 * its line ends normalised (CR LF and CR alone read as LF). */
static void copy_cdata(struct xml_rd *r, const char *end)
{
	const char *p = r->s + r->i;
	while (p < end) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		const char *q = cr ? cr : end;
		memcpy(r->out + r->on, p, (size_t)(q - p));
		r->on += (size_t)(q - p);
		if (!cr)
			break;
		r->out[r->on++] = '\n';
		p = cr + 1 + (cr + 1 < end && cr[1] == '\n');
	}
}

static int read_doc(struct xml_rd *r)
{
	int e;
	if (AT(r, "\xef\xbb\xbf"))
		r->i = 3;
	/* the prolog: declaration, comments, PIs, one DOCTYPE */
	for (bool doctype = false;;) {
		skip_blanks(r);
		if ((e = skip_misc(r)) < 0)
			return e;
		if (e)
			continue;
		if (!doctype && AT(r, "<!DOCTYPE")) {
			doctype = true;
			if ((e = skip_doctype(r)))
				return e;
			continue;
		}
		if (r->i >= r->n || r->s[r->i] != '<')
			return -EINVAL;
		break;
	}
	r->i++;
	if ((e = read_start(r)))
		return e;
	/* the root's content */
	while (r->depth) {
		if (r->i >= r->clock_at) {
			r->clock_at = r->i + POL_XML_CLOCK_BYTES;
			if (r->deadline_ns && vg_mono_ns() > r->deadline_ns)
				return -ETIME;
			if (r->logging)
				log_op(r, OP_CLOCK, NULL, 0);
		}
		int c = copy_run(r, false);
		if (c < 0)
			return -EINVAL;
		if (c == '&') {
			read_ref(r);
		} else if (c == '\r') {
			r->i++;
			if (r->i < r->n && r->s[r->i] == '\n')
				r->i++;
			r->out[r->on++] = '\n';
		} else if (!markup_decl(r)) {
			/* '<' and a name or '/': a tag (or not XML, said below) */
			if ((e = read_tag(r)))
				return e;
		} else if ((e = skip_misc(r)) != 0) {
			if (e < 0)
				return e;
		} else if (AT(r, "<![CDATA[")) {
			r->i += 9;
			const char *end = find_lit(r->s + r->i, r->s + r->n, "]]>", 3);
			if (!end)
				return -EINVAL;
			if (r->keep)
				copy_cdata(r, end);
			r->i = (size_t)(end - r->s) + 3;
		} else if ((e = read_tag(r))) {
			return e; /* "<!" or "<?" that opens nothing XML knows */
		}
	}
	/* after the root: blanks, comments, PIs */
	for (;;) {
		skip_blanks(r);
		if (r->i >= r->n)
			return 0;
		if ((e = skip_misc(r)) <= 0)
			return e < 0 ? e : -EINVAL;
	}
}

bool pol_xml_sniff(const char *s, size_t n)
{
	unsigned char c0 = n >= 4 ? (unsigned char)s[0] : 0;
	if (c0 != '<' && c0 != 0xef && !is_blank(c0))
		return false;
	size_t a = 0, b = n;
	if (c0 == 0xef && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		a = 3;
	while (a < b && is_blank((unsigned char)s[a]))
		a++;
	while (b > a && is_blank((unsigned char)s[b - 1]))
		b--;
	if (b - a < 4 || s[a] != '<' || s[b - 1] != '>')
		return false;
	unsigned char c = (unsigned char)s[a + 1];
	if (c == '?')
		return b - a >= 5 && memcmp(s + a, "<?xml", 5) == 0;
	if (c == '!')
		return b - a < 14 || strncasecmp(s + a, "<!doctype html", 14) != 0;
	return name_start(c) && !pol_html_element(s + a + 1, b - a - 1);
}

/* The log replayed to the callback: the elements opened and closed as the
 * read did, each value handed out in its turn, the clock read where the
 * read read it. */
static int replay(struct xml_rd *r)
{
	const struct xml_op *o = r->ops, *end = r->ops + r->nops;
	for (; o < end; o++) {
		switch (o->kind) {
		case OP_PUSH:
			push(r, r->s + o->name, o->name_len);
			break;
		case OP_POP:
			pop(r);
			break;
		case OP_CLOCK:
			if (r->deadline_ns && vg_mono_ns() > r->deadline_ns)
				return -ETIME;
			break;
		default: {
			int e;
			r->out = r->vals + o->val;
			r->on = o->len;
			if (o->kind == OP_ATTR) {
				e = emit(r, "/@", r->s + o->name, o->name_len, true, NULL, 0);
			} else {
				unsigned k = r->depth < r->depth_max ? r->depth : r->depth_max;
				const struct open_el *top = k ? &r->stk[k - 1] : NULL;
				e = emit(r, "/text()", NULL, 0, false, top ? top->name : "",
				         top ? top->len : 0);
			}
			if (e)
				return e;
		}
		}
	}
	return 0;
}

static void rd_start(struct xml_rd *r, const char *s, size_t n, unsigned depth_max,
                     uint64_t deadline_ns, pol_xml_fn fn, void *arg)
{
	struct xml_op *ops = r->ops;
	size_t nops = r->nops, cap = r->cap;
	memset(r, 0, offsetof(struct xml_rd, stk));
	r->ops = ops;
	r->nops = nops;
	r->cap = cap;
	r->s = s;
	r->n = n;
	r->vals = r->out = (char *)(r + 1);
	r->depth_max = depth_max < POL_XML_DEPTH_MAX ? depth_max : POL_XML_DEPTH_MAX;
	r->fn = fn;
	r->deadline_ns = deadline_ns;
	r->arg = arg;
}

int pol_xml_each(const char *s, size_t n, unsigned depth_max, uint64_t deadline_ns, pol_xml_fn fn,
                 void *arg, bool *too_deep)
{
	*too_deep = false;
	/* the reader and its value buffer in one block: the values together
	 * are never longer than the document */
	struct xml_rd *r = malloc(sizeof(*r) + n + 1);
	if (!r)
		return -ENOMEM;
	r->ops = NULL;
	r->nops = r->cap = 0;
	rd_start(r, s, n, depth_max, deadline_ns, NULL, arg);
	r->keep = true;
	/* offsets in the log are 32 bits */
	r->logging = n <= UINT32_MAX;
	int e = read_doc(r);
	if (e == 0) {
		bool logged = r->logging;
		rd_start(r, s, n, depth_max, deadline_ns, fn, arg);
		r->keep = true;
		e = logged ? replay(r) : read_doc(r);
	}
	*too_deep = r->too_deep;
	free(r->ops);
	free(r);
	return e;
}
