/* Detector: xss.
 *
 * An HTML tokenizer in the manner of a browser's, reduced to what decides
 * whether markup would run script:
 *
 *  - tags: '<' followed by a letter opens one (so "a < b", "<3" and "<<"
 *    stay text); its attributes are read the way HTML5 reads them ('/'
 *    separates, quotes optional, an unclosed tag still counts since the
 *    page's own markup will close it). Script, frames, objects, embeds,
 *    base, meta refresh and link imports are executable or take over the
 *    page; other tags matter only through their attributes.
 *  - attributes: event handlers (on...) with a script-like value,
 *    javascript:/vbscript: URLs and script-bearing data: URLs after the
 *    browser's own clean-up (references decoded, tabs and newlines
 *    dropped, leading blanks trimmed), CSS expression(), behaviours and
 *    bindings, srcdoc with markup.
 *  - contexts without '<': an input that closes the attribute value it was
 *    put in (" onmouseover=alert(1) x="), or the script string it was put
 *    in ('-alert(1)-', ";alert(1)//), or that is itself a javascript: URL.
 *
 * The input is read once as is and, when it holds references or UTF-7
 * forms, once more with them decoded (markup encoded once more than the
 * page decodes). Each pass is linear; nothing is allocated.
 */
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "detect_xss_read.h"
#include "vec16.h"

/* Bytes whose presence lets a reader in decoding mode turn text into other
 * characters (references, UTF-7, escapes, fullwidth forms): without any,
 * a decoding reader sees the input as it is. */
#define XS_DECODERS (POL_CH_AMP | POL_CH_PLUS | POL_CH_PERCENT | POL_CH_BSLASH | POL_CH_HIGH)

struct xs_found {
	const char *rule;
	uint8_t conf;
	size_t off, end;
};

static int xs_hit(struct xs_found *f, const char *rule, uint8_t conf, size_t off, size_t end)
{
	f->rule = rule;
	f->conf = conf;
	f->off = off;
	f->end = end;
	return 1;
}

/* Whether the strings are equal: the first two letters are compared
 * inline, so that lists of names cost a call only for names that begin
 * alike. */
static inline int str_is(const char *a, const char *b)
{
	return a[0] == b[0] && (!a[0] || (a[1] == b[1] && strcmp(a, b) == 0));
}

/* The end of the run of bytes from s[p] that stop marks none of, four
 * at a time where it can: the whole-input scans skip so what they cannot
 * act on. */
static inline size_t run_end(const unsigned char *s, size_t n, size_t p,
                             const unsigned char stop[256])
{
	while (n - p >= 4 && !(stop[s[p]] | stop[s[p + 1]] | stop[s[p + 2]] | stop[s[p + 3]]))
		p += 4;
	while (p < n && !stop[s[p]])
		p++;
	return p;
}

/* run_end() for the whole-input scans whose runs are long: sixteen bytes
 * at a time against set[0..k), the bytes stop marks spelled out as
 * vectors (XS_V16), then run_end() for the last ones. */
#define XS_V16(c) ((pol_v16){c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c})
static inline __attribute__((always_inline)) size_t run_end16(const unsigned char *s, size_t n,
                                                              size_t p,
                                                              const unsigned char stop[256],
                                                              const pol_v16 *set, size_t k)
{
	while (n - p >= 16) {
		pol_v16 v = v16_load(s + p);
		pol_m16 m = (pol_m16)(v == set[0]);
#pragma GCC unroll 16
		for (size_t j = 1; j < k; j++)
			m |= (pol_m16)(v == set[j]);
		unsigned bits = v16_bits(m);
		if (bits)
			return p + (size_t)__builtin_ctz(bits);
		p += 16;
	}
	return run_end(s, n, p, stop);
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Bytes that a reader returns as themselves and that nothing reading a
 * tag or a value treats apart from other letters: letters but t (url(java
 * script, @import end in it), digits, '-', '_', '.'. */
static const unsigned char xs_quiet[256] = {
    ['a' ... 's'] = 1, ['u' ... 'z'] = 1, ['A' ... 'S'] = 1, ['U' ... 'Z'] = 1,
    ['0' ... '9'] = 1, ['-'] = 1,         ['_'] = 1,         ['.'] = 1,
};

/* letters, digits, _ $ and '.' */
static const unsigned char xs_ident[256] = {
    ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1, ['_'] = 1, ['$'] = 1, ['.'] = 1,
};

static int ident_char(int c)
{
	return c >= 0 && c < 256 && xs_ident[c];
}

/* A rolling window over the significant characters of a value or a style
 * sheet (lower-cased; blanks, CSS comments and backslashes dropped), to
 * spot keywords however long the text around them. */
enum {
	XW_JS = 1u << 0,      /* javascript: vbscript: livescript: */
	XW_EXPR = 1u << 1,    /* expression( */
	XW_BINDING = 1u << 2, /* behavior: -moz-binding: */
	XW_IMPORT = 1u << 3,  /* @import */
	XW_CALL = 1u << 4,    /* ( or ` : something is called */
	XW_LT = 1u << 5,      /* markup inside: < */
	XW_BINDURL = 1u << 6, /* behavior:url( binding:url( */
	XW_URLJS = 1u << 7,   /* url(javascript */
	XW_EXPRANY = 1u << 8, /* expression( after anything */
};

struct xs_win {
	int esc; /* after a backslash: CSS escape being read */
	unsigned esc_val, esc_digits;
	char w[16];
	unsigned len;   /* characters seen */
	unsigned bits;  /* XW_* found so far */
	int comment;    /* inside a CSS comment */
	int str;        /* inside a CSS string: the quote that opened it */
	int prev_star;  /* comment: last char was '*' */
	int prev_slash; /* last char was '/', maybe a comment opener */
	char *text;     /* when set: the decoded text outside comments, capped */
	size_t text_len, text_cap;
	int esc_lt;    /* a '<' came from a CSS escape */
	int esc_bs;    /* the escape being read began with "\\" (a backslash) */
	int esc_alpha; /* a letter was written as an escape (\72 ed, \xss) */
	int braces;    /* '{' or '}' outside strings and comments */
	int str_break; /* a control or newline inside a CSS string */
	int esc_pending_bs;
};

static int win_ends(const struct xs_win *w, const char *word)
{
	size_t l = strlen(word);
	if (w->len < l)
		return 0;
	for (size_t i = 0; i < l; i++)
		if (w->w[(w->len - l + i) % sizeof(w->w)] != word[i])
			return 0;
	return 1;
}

static void win_add(struct xs_win *w, int c);

/* CSS escapes: \65 or \000065 is 'e', \x is 'x'. */
static void win_push(struct xs_win *w, int c)
{
	w->esc_pending_bs = 0;
	if (w->esc && !w->comment) {
		int d = c >= 0 && c < 0x80 ? xr_hex((unsigned char)c) : -1;
		w->esc_pending_bs = c == '\\' && !w->esc_digits;
		if (d >= 0 && w->esc_digits < 6) {
			w->esc_val = w->esc_val * 16 + (unsigned)d;
			w->esc_digits++;
			return;
		}
		w->esc = 0;
		if (!w->esc_bs &&
		    (w->esc_digits ? (w->esc_val < 0x80 && ch_is_alpha((int)w->esc_val))
		                   : c >= 0 && c < 0x80 && ch_is_alpha(c)))
			w->esc_alpha = 1;
		if (w->esc_digits) {
			w->esc_lt |= w->esc_val == '<';
			win_add(w,
			        w->esc_val > 0 && w->esc_val < 0x80 ? (int)w->esc_val : XR_OTHER);
			if (is_space(c))
				return; /* one blank ends an escape */
		}
	}
	if (c == '\\' && !w->comment) {
		/* "\\" is a backslash; the window reads the second as an
		 * escape (a layer of script-string escaping), but a letter
		 * after it is no obfuscation: C:\\images */
		w->esc_bs = w->esc_pending_bs;
		w->esc = 1;
		w->esc_val = 0;
		w->esc_digits = 0;
		return;
	}
	win_add(w, c);
}

static void win_add(struct xs_win *w, int c)
{
	if (w->comment) {
		if (w->prev_star && c == '/')
			w->comment = 0;
		w->prev_star = c == '*';
		return;
	}
	if (w->text && w->text_len < w->text_cap && c >= 0)
		w->text[w->text_len++] = (char)(c < 0x80 ? c : XR_OTHER);
	if (w->str && c >= 0 && c < 0x20 && c != '\t')
		w->str_break = 1;
	if (c == '\n')
		w->str = 0; /* a newline ends a CSS string */
	if ((c == '{' || c == '}') && !w->str)
		w->braces++;
	if (c == '"' || c == '\'') {
		if (!w->str)
			w->str = c;
		else if (w->str == c)
			w->str = 0;
	}
	if (w->prev_slash && c == '*' && !w->str) {
		w->comment = 1;
		w->prev_slash = 0;
		w->prev_star = 0;
		w->len--; /* the '/' opened a comment */
		return;
	}
	w->prev_slash = c == '/';
	if (c < 0 || is_space(c) || c == 0)
		return;
	if (c == '(' || c == '`')
		w->bits |= XW_CALL;
	if (c == '<')
		w->bits |= XW_LT;
	w->w[w->len % sizeof(w->w)] = (char)ch_lower(c);
	w->len++;
	if (c == ':' &&
	    (win_ends(w, "javascript:") || win_ends(w, "vbscript:") || win_ends(w, "livescript:")))
		w->bits |= XW_JS;
	if (c == ':' &&
	    (win_ends(w, "behavior:") || win_ends(w, "behaviour:") || win_ends(w, "binding:")))
		w->bits |= XW_BINDING;
	if (c == '(' && win_ends(w, "expression(")) {
		w->bits |= XW_EXPRANY;
		if (win_ends(w, ":expression("))
			w->bits |= XW_EXPR;
	}
	if (c == '(' && (win_ends(w, "behavior:url(") || win_ends(w, "behaviour:url(") ||
	                 win_ends(w, "binding:url(")))
		w->bits |= XW_BINDURL;
	if ((c | 0x20) == 't' && (win_ends(w, "url(javascript") || win_ends(w, "url(vbscript")))
		w->bits |= XW_JS | XW_URLJS;
	if ((c | 0x20) == 't' && win_ends(w, "@import"))
		w->bits |= XW_IMPORT;
}

/* The start of a URL as the browser resolves it: leading blanks and
 * controls trimmed, tabs and newlines anywhere dropped, lower-cased. */
struct xs_url {
	char u[24];
	unsigned len;
	int split; /* a control inside the scheme was dropped: ja\tvascript: */
};

static void url_push(struct xs_url *u, int c)
{
	/* browsers drop tabs and newlines; old ones dropped every control */
	if (c >= 0 && c < 0x20) {
		if (u->len > 0 && !memchr(u->u, ':', u->len))
			u->split = 1;
		return;
	}
	if (u->len == 0 && (c <= 0x20 || c == '`' || c >= 0x80))
		return; /* blanks, including Unicode ones, before the scheme */
	if (u->len < sizeof(u->u))
		u->u[u->len++] = (char)ch_lower(c);
	/* feed:javascript:..., feed:feed:...: old browsers handed a feed:
	 * URL's remainder to the scheme it names */
	if (u->len == 5 && memcmp(u->u, "feed:", 5) == 0)
		u->len = 0;
}

/* Does the URL start with a scheme (letters, then ':')? */
static int url_has_scheme(const struct xs_url *u)
{
	for (unsigned i = 0; i < u->len; i++)
		if (u->u[i] == ':')
			return i > 0;
		else if (!ch_is_alpha(u->u[i]))
			return 0;
	return 0;
}

static int url_is(const struct xs_url *u, const char *prefix)
{
	size_t l = strlen(prefix);
	return u->len >= l && memcmp(u->u, prefix, l) == 0;
}

static int url_scripted(const struct xs_url *u)
{
	if (!u->len || !memchr("jvlm", u->u[0], 4))
		return 0;
	return url_is(u, "javascript:") || url_is(u, "vbscript:") || url_is(u, "livescript:") ||
	       url_is(u, "mocha:");
}

/* data: URLs whose content a browser would run or render as a document */
static int url_data_doc(const struct xs_url *u)
{
	if (!u->len || u->u[0] != 'd')
		return 0;
	return url_is(u, "data:text/html") || url_is(u, "data:image/svg") ||
	       url_is(u, "data:application/x") || url_is(u, "data:text/xml") ||
	       url_is(u, "data:text/javascript") || url_is(u, "data:application/javascript") ||
	       url_is(u, "data:text/x-scriptlet") || url_is(u, "data:,");
}

/* Is the host of the URL in v[0..len) (as written, before decoding)
 * spelled in percent-escapes, or an IPv4 address written with hex or
 * octal parts (0x42.0102...) or as one number? Browsers resolve all of
 * these; no honest link writes them so. */
static int url_host_obfuscated(const unsigned char *v, size_t len)
{
	size_t i = 0;
	while (i < len && (v[i] <= 0x20))
		i++;
	size_t s = i;
	while (i < len && ch_is_alpha(v[i]))
		i++;
	if (i < len && v[i] == ':' && i > s)
		i++;
	else
		i = s;
	if (i + 2 > len || v[i] != '/' || v[i + 1] != '/')
		return 0;
	i += 2;
	size_t h = i;
	int pct = 0, odd = 0, numeric = 1, parts = 0;
	for (size_t b = i; i <= len; i++) {
		unsigned char c = i < len ? v[i] : '/';
		if (c == '/' || c == '?' || c == '#' || c == ':' || c == '\\' || c == '.') {
			if (i == b)
				return 0;
			/* a part: 0x hex, leading-zero octal, or decimal */
			int hex = i - b > 2 && v[b] == '0' && (v[b + 1] | 0x20) == 'x';
			for (size_t k = hex ? b + 2 : b; k < i; k++)
				if (hex ? xr_hex(v[k]) < 0 : v[k] < '0' || v[k] > '9')
					numeric = 0;
			odd |= hex || (i - b > 1 && v[b] == '0');
			parts++;
			if (c != '.')
				break;
			b = i + 1;
			continue;
		}
		pct |= c == '%';
	}
	if (i == h)
		return 0;
	return pct || (numeric && (odd || parts == 1));
}

/* Event handlers seen in the wild whatever their value looks like. */
static int common_handler(const char *name)
{
	static const char *const names[] = {
	    "onerror",    "onload",           "onclick",       "onmouseover", "onfocus",
	    "onblur",     "onmouseenter",     "onbegin",       "ontoggle",    "onpageshow",
	    "onstart",    "onanimationstart", "onpointerover", "onscroll",    "onfinish",
	    "onmouseout", "onmousemove",      "oninput",       "onchange",    "onsubmit",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (str_is(name, names[i]))
			return 1;
	return 0;
}

/* on + at least three letters; old browsers ignored junk after the name
 * (onload!#$%=...) */
static int is_handler_name(const char *name, size_t len)
{
	size_t i = 2;
	if (len < 5 || name[0] != 'o' || name[1] != 'n')
		return 0;
	while (i < len && name[i] >= 'a' && name[i] <= 'z')
		i++;
	return i >= 5;
}

/* What a tag's attributes told about it. */
struct xs_tag {
	char name[16];
	size_t name_len;
	int refresh; /* http-equiv=refresh */
	int import;  /* rel=import */
	int has_attrs;
	int stylesheet; /* rel=stylesheet */
	int js_type;    /* type=text/javascript */
	int event;      /* an XML Events event= attribute */
	int ev_handler; /* an XML Events handler= attribute */
	int charset7;   /* charset=utf-7 (or another that decodes '<' from letters) */
	int in_tag;     /* a real tag, not a guessed attribute context */
	int js_later;   /* a URL attribute holds javascript: and a call, not first */
	int in_math;    /* a <math> element opened earlier in the input */
	int breakout;   /* a guessed attribute context: the quote it broke out of */
	size_t js_off, js_end;
};

static int name_is(const char *name, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (str_is(name, list[i]))
			return 1;
	return 0;
}

static int scan_markup_at(const char *s, size_t n, int decode, int depth, int judged,
                          struct xs_found *f);

/* The length of the run of letters at s[at], as written (no event handler
 * has a name longer than 48). */
static size_t name_span(const struct xr *r, size_t at)
{
	size_t k = at;
	while (k < r->n && k - at <= 48 && ch_is_alpha(r->s[k]))
		k++;
	return k - at;
}

/* Reads one attribute value (after '='), judging it as it goes. */
static int read_value(struct xr *r, const char *attr, size_t attr_len, struct xs_tag *tag,
                      size_t attr_off, struct xs_found *f)
{
	struct xs_win win = {0};
	struct xs_url url = {0};
	char css[256]; /* a style value, CSS escapes decoded */
	if (!r->depth && str_is(attr, "style")) {
		win.text = css;
		win.text_cap = sizeof(css);
	}
	char small[16];
	size_t small_len = 0;
	int c = xr_peek(r, 1), quote = 0, quote_lit = 0;
	if (c == '"' || c == '\'' || c == '`') {
		quote = c;
		quote_lit = r->s[r->pos] == (unsigned char)c || r->s[r->pos] == '\\';
		xr_get(r, 1);
	}
	size_t nonblank = 0, vstart = r->pos, vend;
	int js_entity = 0, closing = 0;
	int plain = 1; /* the value is one name: onload=handleLoad, prose's way */
	for (;;) {
		size_t before = r->pos;
		vend = before;
		if (!r->u7on && before < r->n && xs_quiet[r->s[before]] && !win.esc &&
		    !win.comment && !win.text) {
			/* a run of such bytes: what the general case below,
			 * win_push() and url_push() do with each, nothing else */
			const unsigned char *vs = r->s;
			size_t e = before, vn = r->n;
			unsigned wl = win.len, ul = url.len;
			while (e < vn && xs_quiet[vs[e]]) {
				unsigned char b = vs[e++];
				char lc = (char)ch_lower(b);
				win.w[wl++ % sizeof(win.w)] = lc;
				if (ul < sizeof(url.u))
					url.u[ul++] = lc;
				if (b == '-' || b == '.')
					plain = 0;
				if (small_len < sizeof(small) - 1)
					small[small_len++] = lc;
			}
			win.len = wl;
			url.len = ul;
			nonblank += e - before;
			win.esc_pending_bs = 0;
			win.prev_slash = 0;
			r->pos = e;
			r->from_u7 = 0;
			continue;
		}
		c = xr_peek(r, 1);
		if (c == XR_EOF)
			break;
		/* a quote that a reference produced does not end the value,
		 * unless one opened it (&quot;...&quot;: markup decoded once
		 * more than the page does); an escaped one (\") does */
		int literal = r->s[before] == (unsigned char)c ||
		              ((c == '"' || c == '\'') && r->s[before] == '\\');
		if (quote && c == quote && (literal || !quote_lit)) {
			closing = 1;
			break;
		}
		if (!quote && literal && (is_space(c) || c == '>' || c == '`'))
			break;
		/* a '<' ends the value too: markup inside a value is judged as
		 * markup (a browser in another context, or a filter that strips
		 * part of it, will see it so) and it keeps the scan linear */
		if ((literal || r->decode) && c == '<')
			break; /* decoding: markup encoded inside a value is markup */
		if (r->s[before] == '&' && before + 1 < r->n && r->s[before + 1] == '{')
			js_entity = 1; /* &{...}: script entities of old Netscape */
		xr_get(r, 1);
		win_push(&win, c);
		url_push(&url, c);
		if (!is_space(c))
			nonblank++;
		if (!ident_char(c) || c == '.')
			plain = 0;
		if (small_len < sizeof(small) - 1)
			small[small_len++] = (char)ch_lower(c);
	}
	if (closing)
		xr_get(r, 1);
	small[small_len] = '\0';
	size_t end = r->pos;

	/* x:ontimer, ev:onload: the local name decides */
	const char *local = memchr(attr, ':', attr_len);
	for (const char *a = attr; local && a < local; a++)
		if (!ch_is_alpha(*a))
			local = NULL; /* not a namespace prefix */
	if (local) {
		attr_len -= (size_t)(local + 1 - attr);
		local++;
	} else {
		local = attr;
	}
	if (attr_len == 5 && memcmp(local, "event", 5) == 0)
		tag->event = 1;
	if (attr_len == 7 && memcmp(local, "handler", 7) == 0)
		tag->ev_handler = 1;
	/* <meta charset=utf-7>: the rest of the page decodes +ADw- as '<' */
	if ((str_is(attr, "charset") || str_is(attr, "content")) &&
	    (win_ends(&win, "utf-7") || win_ends(&win, "utf7") || win_ends(&win, "mac-farsi")))
		tag->charset7 = 1;
	/* <set attributeName=onmouseover to=...>: SVG animation writes a
	 * handler, or markup */
	if (str_is(attr, "attributename") &&
	    (is_handler_name(small, strlen(small)) || str_is(small, "innerhtml")))
		return xs_hit(f, "xss.handler", 85, attr_off, end);
	/* <set attributeName=xlink:href to=...>: animation rewrites a link */
	if (str_is(attr, "attributename") && (str_is(small, "href") || str_is(small, "xlink:href")))
		return xs_hit(f, "xss.svg_anim", 70, attr_off, end);
	if (js_entity && (win.bits & XW_CALL))
		return xs_hit(f, "xss.js_entity", 85, attr_off, end);
	/* inside a real tag any handler counts; a guessed attribute context
	 * needs a value that looks like script */
	int cut = r->pos < r->n && r->s[r->pos] == '<'; /* value stopped at markup */
	/* <x onend=: a tag cut off after a handler's '=', whose value the
	 * page's next bytes supply */
	if (r->pos >= r->n && !nonblank && !quote && tag->in_tag)
		cut = 1;
	/* "  onload= ", "onzoom=: a handler's name and '=' closing the
	 * input, for the page's next bytes to fill */
	if (!tag->in_tag && !nonblank && !quote && r->pos >= r->n &&
	    is_handler_name(local, attr_len) && name_span(r, attr_off) <= 48)
		return xs_hit(f, "xss.handler", 75, attr_off, end);
	/* 'formaction=: the same after a quote, for the attributes that send
	 * a form elsewhere or hold a document */
	if (!tag->in_tag && tag->breakout != ' ' && !nonblank && !quote && r->pos >= r->n &&
	    (str_is(attr, "formaction") || str_is(attr, "srcdoc")))
		return xs_hit(f, "xss.attr_inject", 70, attr_off, end);
	/* <math><a xlink:href=...>: MathML makes any element a link, the
	 * way to a script URL where <a href> is filtered */
	if (tag->in_math && str_is(attr, "xlink:href") && nonblank)
		return xs_hit(f, "xss.mathml_link", 60, attr_off, end);
	if (is_handler_name(local, attr_len) && (nonblank || (cut && tag->in_tag)) &&
	    (tag->in_tag || (win.bits & (XW_CALL | XW_JS)) ||
	     (common_handler(local) && (tag->breakout != ' ' || !plain)) || strchr(small, '=')))
		return xs_hit(f, "xss.handler", 90, attr_off, end);
	if (url_scripted(&url))
		return xs_hit(f, "xss.js_url", 95, attr_off, end);
	static const char *const url_attrs[] = {
	    "href",   "src",    "data",   "action",  "formaction", "xlink:href", "background",
	    "poster", "lowsrc", "dynsrc", "code",    "codebase",   "values",     "to",
	    "from",   "srcset", "object", "archive", "ping",       "cite",
	};
	/* the list is read only where a test below needs it */
#define URL_ATTR name_is(attr, url_attrs, sizeof(url_attrs) / sizeof(url_attrs[0]))
	if (url_data_doc(&url) && URL_ATTR)
		return xs_hit(f, "xss.data_url", 85, attr_off, end);
	/* href="htt\tp://0x42.0x0000066.0x7.0x93/": a link whose scheme or
	 * host is written to get past filters and reviewers */
	if (((url.split && url_has_scheme(&url)) ||
	     url_host_obfuscated(r->s + vstart, vend - vstart)) &&
	    URL_ATTR)
		return xs_hit(f, "xss.url_obfuscated", 60, attr_off, end);
	/* href="jav&#65ascript:javascript:alert(1)": a script URL with a call
	 * later in a URL whose own scheme was mangled */
	if ((win.bits & XW_JS) && (win.bits & XW_CALL) && !tag->js_later && URL_ATTR) {
		tag->js_later = 1; /* judged once the tag is read: weaker than the rest */
		tag->js_off = attr_off;
		tag->js_end = end;
	}
#undef URL_ATTR
	if (str_is(attr, "style") && (win.bits & (XW_EXPRANY | XW_BINDING | XW_JS)))
		return xs_hit(f, "xss.css", 85, attr_off, end);
	/* a style whose CSS escapes spell markup (\3cimg\20onerror\3d...):
	 * a page that unescapes it, or a value that breaks out of its quotes,
	 * gets the markup; judged as markup, once (no nesting) */
	struct xs_found inner;
	if (win.text && win.esc_lt && scan_markup_at(win.text, win.text_len, 0, 1, 0, &inner))
		return xs_hit(f, "xss.css_markup", 85, attr_off, end);
	/* CSS injection: a style that breaks out of its declaration list
	 * (braces; JSX's style={...} and templates' {{...}} aside), leaves a
	 * comment open to swallow the page's own style, breaks a string with a
	 * control, or writes letters as escapes to get past filters */
	if (str_is(attr, "style") &&
	    ((win.braces && small[0] != '{' && !memmem(small, small_len, "{{", 2)) || win.comment ||
	     win.str_break || win.esc_alpha))
		return xs_hit(f, "xss.css_injection", 60, attr_off, end);
	if (str_is(attr, "srcdoc") && (win.bits & XW_LT))
		return xs_hit(f, "xss.srcdoc", 85, attr_off, end);
	if ((str_is(attr, "content") || str_is(attr, "values")) && (win.bits & XW_JS))
		return xs_hit(f, "xss.js_url", 90, attr_off, end);
	/* http-equiv refresh redirects; Link loads a style sheet */
	if (str_is(attr, "http-equiv") &&
	    (str_is(small, "refresh") || str_is(small, "link") || str_is(small, "set-cookie")))
		tag->refresh = 1;
	/* <style type=text/javascript>: old Netscape ran it */
	if (str_is(attr, "type") && strncmp(small, "text/javascript", 15) == 0)
		tag->js_type = 1;
	/* IE data binding renders bound data as HTML */
	if (str_is(attr, "dataformatas") && str_is(small, "html"))
		return xs_hit(f, "xss.databinding", 75, attr_off, end);
	if (str_is(attr, "rel") && str_is(small, "import"))
		tag->import = 1;
	if (str_is(attr, "rel") && str_is(small, "stylesheet"))
		tag->stylesheet = 1;
	return 0;
}

/* At a literal "</" inside a tag: does an event handler's name follow?
 * Then HTML reads the '<' as a one-character attribute name and the '/'
 * as a separator, and the handler is the tag's; consumes "</" and says 1. */
static int lt_slash_handler(struct xr *r)
{
	const unsigned char *p = r->s + r->pos;
	size_t left = r->n - r->pos;
	if (left < 5 || p[0] != '<' || p[1] != '/' || (p[2] | 0x20) != 'o' ||
	    (p[3] | 0x20) != 'n' || !ch_is_alpha(p[4]))
		return 0;
	r->pos += 2;
	return 1;
}

/* Reads attributes up to '>' or the end of the input. Used inside a tag,
 * and for an input that starts inside an attribute value. Returns 1 on a
 * finding; *closed says whether a '>' ended the tag. */
static int read_attrs(struct xr *r, struct xs_tag *tag, struct xs_found *f, int *closed)
{
	*closed = 0;
	for (;;) {
		int c = xr_peek(r, 0);
		while (c != XR_EOF && (is_space(c) || c == '/' || c == '"' || c == '\'')) {
			xr_get(r, 0);
			c = xr_peek(r, 0);
		}
		if (c == '<' && lt_slash_handler(r))
			continue; /* <x </onxxx=1: '<' is a name character, '/' a separator */
		if (c == XR_EOF || c == '<')
			return 0; /* '<': the next tag starts; see read_value */
		if (c == '>') {
			xr_get(r, 0);
			*closed = 1;
			return 0;
		}
		char attr[32];
		size_t len = 0, attr_off = r->pos;
		/* HTML lets a name start with '='; it ends at blanks, '/', '>', '='
		 * (but Gecko read onload!#$%/|\^=... as onload: after a
		 * handler's name, junk up to '=' is skipped, '/' included) */
		int junk = 0;
		do {
			xr_get(r, 0);
			if (len < sizeof(attr) - 1)
				attr[len++] = (char)ch_lower(c);
			if (!junk && !ch_is_alpha(c) && len < sizeof(attr) &&
			    is_handler_name(attr, len - 1))
				junk = 1;
			/* letters read as themselves: kept, nothing else */
			if (!r->u7on && r->pos < r->n && ch_is_alpha(r->s[r->pos])) {
				const unsigned char *as = r->s;
				size_t e = r->pos, an = r->n;
				for (; e < an && ch_is_alpha(as[e]); e++)
					if (len < sizeof(attr) - 1)
						attr[len++] = (char)ch_lower(as[e]);
				r->pos = e;
				r->from_u7 = 0;
			}
			c = xr_peek(r, 0);
		} while (c != XR_EOF && !is_space(c) && (c != '/' || junk) && c != '>' &&
		         c != '=' && c != '<');
		attr[len] = '\0';
		tag->has_attrs = 1;
		/* onerror/=alert(1): slashes between a handler's name and '=' */
		if (c == '/' && is_handler_name(attr, len))
			while (c == '/') {
				xr_get(r, 0);
				c = xr_peek(r, 0);
			}
		while (c != XR_EOF && is_space(c)) {
			xr_get(r, 0);
			c = xr_peek(r, 0);
		}
		if (c != '=')
			continue;
		xr_get(r, 0);
		c = xr_peek(r, 0);
		while (c != XR_EOF && is_space(c)) {
			xr_get(r, 0);
			c = xr_peek(r, 0);
		}
		if (read_value(r, attr, len, tag, attr_off, f))
			return 1;
	}
}

static int tag_executable(const struct xs_tag *tag)
{
	/* html:script is script in XHTML: the local name decides */
	const char *name = strchr(tag->name, ':');
	name = name ? name + 1 : tag->name;
	/* no name below starts otherwise: only XML Events is left */
	if (!name[0] || !memchr("sifoeabplxvmh", name[0], 13))
		return tag->event && tag->ev_handler;
	static const char *const always[] = {
	    "script", "iframe", "frame", "frameset", "object", "embed",  "applet",
	    "base",   "portal", "layer", "ilayer",   "xml",    "import", "vmlframe",
	};
	/* without attributes only script (and IE's xml island) does
	 * anything: "the <import>s", "url.<base>.insteadOf" are prose */
	if (name_is(name, always, sizeof(always) / sizeof(always[0])))
		return tag->has_attrs || str_is(name, "script") || str_is(name, "xml");
	if (str_is(name, "meta") && (tag->refresh || tag->charset7))
		return 1;
	/* <x ev:event=load ev:handler=...>: XML Events runs the handler */
	if (tag->event && tag->ev_handler)
		return 1;
	if (str_is(name, "style") && tag->js_type)
		return 1;
	if (str_is(name, "link") && (tag->import || tag->stylesheet))
		return 1;
	/* XML Events: <handler ev:event=load>script</handler>, <listener> */
	if ((str_is(name, "handler") || str_is(name, "listener")) && tag->event)
		return 1;
	return 0;
}

/* After <style>: the style sheet up to </style, judged as CSS. */
static int read_style(struct xr *r, size_t off, struct xs_found *f)
{
	struct xs_win win = {0};
	for (;;) {
		/* any '<' ends it here: in SVG a style holds markup */
		if (xr_peek(r, 0) == '<' || xr_peek(r, 0) == XR_EOF)
			break;
		int c = xr_get(r, 0);
		win_push(&win, c);
		if (win.bits & (XW_EXPR | XW_BINDING | XW_JS | XW_IMPORT))
			return xs_hit(f, "xss.css", 85, off, r->pos);
	}
	return 0;
}

/* <!ATTLIST img onerror CDATA "alert(1)">: a DTD that gives every img a
 * handler by default. Reads the declaration at r (just past '<') up to its
 * '>'; returns 1 on a finding. */
static int attlist_handler(struct xr *r, struct xs_found *f, size_t off)
{
	const unsigned char *s = r->s;
	size_t p = r->pos + 1, n = r->n;
	if (p + 7 > n || strncasecmp((const char *)s + p, "attlist", 7) != 0)
		return 0;
	const unsigned char *gt = memchr(s + p, '>', n - p);
	size_t e = gt ? (size_t)(gt - s) : n;
	for (size_t i = p + 7; i + 2 < e; i++) {
		if (!is_space(s[i]) || (s[i + 1] | 0x20) != 'o' || (s[i + 2] | 0x20) != 'n')
			continue;
		char name[32];
		size_t k = 0, j = i + 1;
		while (j < e && ch_is_alpha(s[j]) && k < sizeof(name) - 1)
			name[k++] = (char)ch_lower(s[j++]);
		name[k] = '\0';
		size_t w = j;
		while (w < e && is_space(s[w]))
			w++;
		if (w > j && common_handler(name) && w + 5 <= e &&
		    strncasecmp((const char *)s + w, "cdata", 5) == 0)
			return xs_hit(f, "xss.handler", 85, off, e);
		i = j - 1;
	}
	return 0;
}

/* Does the text at s[i] call something ('(' or '`') before its next '<',
 * within 128 bytes? */
static int text_calls(const unsigned char *s, size_t n, size_t i)
{
	for (size_t e = n - i > 128 ? i + 128 : n; i < e && s[i] != '<'; i++)
		if (s[i] == '(' || s[i] == '`')
			return 1;
	return 0;
}

/* <?xml-stylesheet type="text/xsl" href="#x"?>: an XSLT style sheet
 * taken from the document itself, whose templates then write script into
 * the page (feeds name a file of their own). s[i] follows "<?xml"; looks
 * up to the PI's '>', at most 256 bytes. */
static int xsl_embedded(const unsigned char *s, size_t n, size_t i)
{
	size_t e = n - i > 256 ? i + 256 : n;
	if (e - i < 11 || strncasecmp((const char *)s + i, "-stylesheet", 11) != 0)
		return 0;
	int xsl = 0, self = 0;
	for (size_t k = i + 11; k < e && s[k] != '>'; k++) {
		if (k + 3 <= e && strncasecmp((const char *)s + k, "xsl", 3) == 0)
			xsl = 1;
		if (k + 4 <= e && strncasecmp((const char *)s + k, "href", 4) == 0) {
			size_t v = k + 4;
			while (v < e &&
			       (is_space(s[v]) || s[v] == '=' || s[v] == '"' || s[v] == '\''))
				v++;
			self |= v < e && s[v] == '#';
		}
	}
	return xsl && self;
}

/* After an encoded <script>: does code follow (a call, a template or an
 * assignment before the next '<', within 64 characters as decoded)? */
static int script_follows(const struct xr *r)
{
	struct xr t = *r;
	for (int k = 0; k < 64; k++) {
		int c = xr_get(&t, 0);
		if (c == XR_EOF || c == '<')
			return 0;
		if (c == '(' || c == '`' || c == '=')
			return 1;
	}
	return 0;
}

/* Is c, the character at r, a control that a decoding reader made from
 * a character reference? (A percent-escape's control is the real one a
 * URL decoder hands the page; a reference in a tag name is decoded by no
 * browser, only by a filter that then strips what it decoded.) */
static int ref_control(const struct xr *r, int c)
{
	return r->decode && c >= 0 && c < 0x20 && r->pos < r->n && r->s[r->pos] == '&';
}

/* For the decoding pass, after a pass as is that found nothing: the end
 * of the tag whose literal '<' is at s[off] when that pass judged the
 * same tag the same way (0 when it may not have).
 *
 * The reader as is reaches every literal '<' at the top of its loop (a
 * tag's reading stops at one, but for "</on..."). A tag whose bytes hold
 * nothing to decode, no '<' and no NUL reads the same in both passes;
 * decoding only adds a condition on bare <script>. What such a tag's
 * verdict depends on besides its bytes is whether a <math> is open, which
 * the caller requires to be closed in this pass (an open one in the other
 * only adds findings, and it had none); <math> and <style>, which change
 * what follows, are read. The tag's end is found the way read_attrs
 * reads (a quoted value may hold '>'); names that begin with "on", whose
 * reading has exceptions, are read. */
static size_t judged_tag_end(const struct xr *r, size_t off)
{
	/* JB_BAD: a byte that ends the test (see above); the others end a
	 * tag's name (JB_NAME), an attribute's (JB_ATTR) or an unquoted
	 * value (JB_UNQ), with JB_BAD */
	enum { JB_BAD = 1, JB_NAME = 2, JB_ATTR = 4, JB_UNQ = 8, JB_ALL = 15 };
#define JB_SP JB_NAME | JB_ATTR | JB_UNQ
	static const unsigned char cls[256] = {
	    ['&'] = JB_ALL,
	    ['+'] = JB_ALL,
	    ['%'] = JB_ALL,
	    ['\\'] = JB_ALL,
	    [0xef] = JB_ALL,
	    ['`'] = JB_ALL,
	    ['<'] = JB_ALL,
	    [0] = JB_ALL,
	    [' '] = JB_SP,
	    ['\t'] = JB_SP,
	    ['\n'] = JB_SP,
	    ['\r'] = JB_SP,
	    ['\f'] = JB_SP,
	    ['/'] = JB_NAME | JB_ATTR,
	    ['>'] = JB_NAME | JB_ATTR | JB_UNQ,
	    ['='] = JB_ATTR,
	};
#undef JB_SP
	const unsigned char *s = r->s;
	size_t n = r->n, i = off + 1;
	if (i < n && s[i] == '/')
		i++;
	if (i >= n || !ch_is_alpha(s[i]))
		return 0; /* not a tag: <! <? text */
	if (i > off + 1 && i + 2 < n && (s[i] | 0x20) == 'o' && (s[i + 1] | 0x20) == 'n' &&
	    ch_is_alpha(s[i + 2]))
		return 0; /* "</on...": the other pass may have read it in a tag */
	size_t k = i;
	while (k < n && !(cls[s[k]] & (JB_BAD | JB_NAME)))
		k++;
	if ((k - i == 4 && strncasecmp((const char *)s + i, "math", 4) == 0) ||
	    (k - i == 5 && strncasecmp((const char *)s + i, "style", 5) == 0))
		return 0;
	for (i = k; i < n && !(cls[s[i]] & JB_BAD);) {
		unsigned char c = s[i];
		if (is_space(c) || c == '/' || c == '"' || c == '\'') {
			i++;
			continue;
		}
		if (c == '>')
			return i + 1;
		/* a name: its first byte whatever it is, then up to a blank,
		 * '/', '>' or '=' */
		if ((c | 0x20) == 'o' && i + 1 < n && (s[i + 1] | 0x20) == 'n')
			return 0;
		for (i++; i < n && !(cls[s[i]] & (JB_BAD | JB_ATTR));)
			i++;
		while (i < n && is_space(s[i]))
			i++;
		if (i >= n || s[i] != '=')
			continue;
		for (i++; i < n && is_space(s[i]);)
			i++;
		if (i < n && (s[i] == '"' || s[i] == '\'')) {
			unsigned char q = s[i++];
			while (i < n && !(cls[s[i]] & JB_BAD) && s[i] != q)
				i++;
			if (i < n && s[i] == q)
				i++;
		} else {
			while (i < n && !(cls[s[i]] & (JB_BAD | JB_UNQ)))
				i++;
		}
	}
	return 0;
}

/* A list of lower-case names, and for each length below 32 the first
 * and the last letters some name of that length has (bit k: 'a' + k; the
 * last byte of "http-equiv" is a letter too), filled in at start: most
 * words are told apart from the list by those alone. */
struct xs_names {
	const char *const *name;
	size_t count;
	uint32_t first[32], last[32];
};

/* The names plain_tag_end() leaves to the full reading: the elements
 * tag_executable() and scan_markup_at() name, and the attributes
 * read_value() tests by name. */
static const char *const plain_tags[] = {
    "script", "iframe", "frame", "frameset", "object",   "embed",  "applet",
    "base",   "portal", "layer", "ilayer",   "xml",      "import", "vmlframe",
    "meta",   "style",  "link",  "handler",  "listener", "math",
};
static const char *const plain_attrs[] = {
    "style",      "charset",    "content",      "attributename", "formaction", "srcdoc", "values",
    "http-equiv", "type",       "dataformatas", "rel",           "href",       "src",    "data",
    "action",     "background", "poster",       "lowsrc",        "dynsrc",     "code",   "codebase",
    "to",         "from",       "srcset",       "object",        "archive",    "ping",   "cite",
    "event",      "handler",
};
static struct xs_names tag_names = {
    plain_tags, sizeof(plain_tags) / sizeof(plain_tags[0]), {0}, {0}};
static struct xs_names attr_names = {
    plain_attrs, sizeof(plain_attrs) / sizeof(plain_attrs[0]), {0}, {0}};

static void names_init(struct xs_names *ns)
{
	for (size_t i = 0; i < ns->count; i++) {
		size_t l = strlen(ns->name[i]);
		ns->first[l] |= 1u << (ns->name[i][0] - 'a');
		ns->last[l] |= 1u << (ns->name[i][l - 1] - 'a');
	}
}

static void __attribute__((constructor)) xs_names_init(void)
{
	names_init(&tag_names);
	names_init(&attr_names);
}

/* Whether lc[0..len) (lower case, NUL-terminated) is in ns. */
static int names_has(const struct xs_names *ns, const char *lc, size_t len)
{
	if (len == 0 || len >= 32)
		return 0;
	unsigned f = (unsigned char)lc[0] - 'a', l = (unsigned char)lc[len - 1] - 'a';
	if (f >= 26 || l >= 26 || !(ns->first[len] >> f & 1) || !(ns->last[len] >> l & 1))
		return 0;
	for (size_t i = 0; i < ns->count; i++)
		if (ns->name[i][0] == lc[0] && strcmp(ns->name[i], lc) == 0)
			return 1;
	return 0;
}

/* Whether the attribute name lc[0..len) (lower-cased) is one whose value
 * read_value() or a tag's verdict looks at (or a handler's, "on..."):
 * the names in its tests, a namespaced one (whose local name decides) or
 * one longer than it keeps. */
static int attr_named(const char *lc, size_t len)
{
	if (len < 2 || len > 30 || memchr(lc, ':', len) || (lc[0] == 'o' && lc[1] == 'n'))
		return 1;
	return names_has(&attr_names, lc, len);
}

/* Reads the run of bytes ok[] allows at s[*i..), lower-cased, into buf
 * (cap bytes, its NUL included) and moves *i past it; the run's length,
 * or -1 when it does not fit. */
static inline int lower_run(const unsigned char *s, size_t n, size_t *i,
                            const unsigned char ok[256], char *buf, size_t cap)
{
	size_t k = 0, j = *i;
	for (; j < n && ok[s[j]]; j++) {
		if (k >= cap - 1)
			return -1;
		buf[k++] = (char)ch_lower(s[j]);
	}
	buf[k] = '\0';
	*i = j;
	return (int)k;
}

/* For the pass as is: the end of the tag whose '<' is at s[off] when
 * reading it can find nothing and changes nothing the pass keeps (0 when
 * it may). That is a start or end tag written plainly: a name of letters,
 * digits, '-', '_', '.' and ':' that none of the verdicts below names;
 * attributes whose names no test reads, each with a quoted value of
 * letters, digits, blanks and "-_.,#" (no scheme, no call, no
 * reference); '>' or "/>". Everything else is read in full. */
static size_t plain_tag_end(const unsigned char *s, size_t n, size_t off)
{
	static const unsigned char name_ok[256] = {
	    ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1, ['-'] = 1,
	    ['_'] = 1,         ['.'] = 1,         [':'] = 1,
	};
	static const unsigned char value_ok[256] = {
	    ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1, ['-'] = 1, ['_'] = 1,
	    ['.'] = 1,         [','] = 1,         ['#'] = 1,         [' '] = 1,
	};
	size_t i = off + 1;
	int end = i < n && s[i] == '/';
	i += (size_t)end;
	if (i >= n || !ch_is_alpha(s[i]))
		return 0;
	char name[16];
	int got = lower_run(s, n, &i, name_ok, name, sizeof(name));
	if (got < 0)
		return 0;
	size_t k = (size_t)got;
	if (i >= n || (!is_space(s[i]) && s[i] != '/' && s[i] != '>'))
		return 0;
	/* tag_executable() reads the local name; the rest the whole one,
	 * which is the local one when it has no ':' */
	const char *local = memchr(name, ':', k);
	local = local ? local + 1 : name;
	if (names_has(&tag_names, local, k - (size_t)(local - name)))
		return 0; /* the whole name, when it has a ':', is none of them */
	for (;;) {
		while (i < n && (is_space(s[i]) || s[i] == '/'))
			i++;
		if (i >= n)
			return 0;
		if (s[i] == '>')
			return i + 1;
		if (end || !ch_is_alpha(s[i]))
			return 0;
		char attr[32];
		int a = lower_run(s, n, &i, name_ok, attr, sizeof(attr));
		if (a < 0)
			return 0;
		if (i + 1 >= n || s[i] != '=' || (s[i + 1] != '"' && s[i + 1] != '\'') ||
		    attr_named(attr, (size_t)a))
			return 0;
		unsigned char q = s[i + 1];
		for (i += 2; i < n && value_ok[s[i]]; i++)
			;
		if (i >= n || s[i] != q)
			return 0;
		i++;
		if (i < n && !is_space(s[i]) && s[i] != '/' && s[i] != '>')
			return 0;
	}
}

/* One pass over the input as markup; depth 1 for markup found inside a
 * value, which is not searched for more. judged: a pass as is over the
 * same input found nothing (see judged_tag_end). */
static int scan_markup_at(const char *s, size_t n, int decode, int depth, int judged,
                          struct xs_found *f)
{
	struct xr r = {.s = (const unsigned char *)s, .n = n, .decode = decode, .depth = depth};
	int math = 0; /* a <math> element is open: its links are MathML's */
	while (r.pos < n) {
		size_t off = r.pos;
		int u7 = 0; /* the '<' was spelled in UTF-7 */
		if (!decode) {
			const unsigned char *lt = memchr(r.s + r.pos, '<', n - r.pos);
			if (!lt)
				return 0;
			off = (size_t)(lt - r.s);
			size_t e = plain_tag_end(r.s, n, off);
			if (e) {
				r.pos = e;
				continue;
			}
			r.pos = off + 1;
		} else {
			/* bytes that read as themselves are no '<' but one */
			static const unsigned char lt_or_special[256] = {
			    ['<'] = 1, ['&'] = 1, ['+'] = 1, ['%'] = 1, ['\\'] = 1, [0xef] = 1,
			};
			static const pol_v16 lt_or_special_v[] = {
			    XS_V16('<'), XS_V16('&'),  XS_V16('+'),
			    XS_V16('%'), XS_V16('\\'), XS_V16(0xef),
			};
			if (!r.u7on)
				r.pos = run_end16(r.s, n, r.pos, lt_or_special, lt_or_special_v, 6);
			off = r.pos;
			size_t e;
			if (judged && !math && !r.u7on && off < n && r.s[off] == '<' &&
			    (e = judged_tag_end(&r, off)) != 0) {
				r.pos = e;
				continue;
			}
			if (xr_get(&r, 0) != '<')
				continue;
			u7 = r.from_u7;
		}
		int c = xr_peek(&r, 0), end_tag = 0, pct = 0;
		/* NULs in and before a tag name: old IE skipped them, and
		 * filters that strip them leave the tag (<scr\0ipt>, <%00script>);
		 * so is a '%' that a template filter strips (<%script>) */
		while (c == 0 || (c == '/' && !end_tag) || (c == '%' && !pct && !end_tag)) {
			end_tag |= c == '/';
			pct |= c == '%';
			xr_get(&r, 0);
			c = xr_peek(&r, 0);
		}
		if (c == '!' && !end_tag && attlist_handler(&r, f, off))
			return 1;
		if (c == '?' && !end_tag) {
			/* <?import implementation=...>: IE loads a behaviour file */
			char pi[8];
			size_t k = 0;
			xr_get(&r, 0);
			while (k < sizeof(pi) - 1 && ch_is_alpha(xr_peek(&r, 0)))
				pi[k++] = (char)ch_lower(xr_get(&r, 0));
			if (k == 6 && memcmp(pi, "import", 6) == 0)
				return xs_hit(f, "xss.tag", 80, off, r.pos);
			if (k == 3 && memcmp(pi, "xml", 3) == 0 && xsl_embedded(r.s, n, r.pos))
				return xs_hit(f, "xss.xslt", 75, off, r.pos);
			continue;
		}
		/* <:vmlframe: a name with an empty namespace prefix */
		if (!ch_is_alpha(c) && !(c == ':' && r.s[r.pos] == ':' && r.pos + 1 < n &&
		                         ch_is_alpha(r.s[r.pos + 1])))
			continue; /* "a < b", "<3", "<<": text */
		struct xs_tag tag = {.in_tag = 1, .in_math = math};
		/* <scr&#x9ipt>: a control spelled as a reference inside a tag
		 * name is dropped, as a filter that decodes and strips them does */
		while (c != XR_EOF && (!is_space(c) || ref_control(&r, c)) && c != '/' &&
		       c != '>' && c != '<') {
			/* bytes read as themselves, kept as the loop's general
			 * case keeps them */
			static const unsigned char name_quiet[256] = {
			    ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1, ['-'] = 1,
			    ['_'] = 1,         ['.'] = 1,         [':'] = 1,
			};
			if (!r.u7on && r.pos < n && name_quiet[r.s[r.pos]]) {
				size_t e = r.pos, nl = tag.name_len;
				for (; e < n && name_quiet[r.s[e]]; e++)
					if (nl < sizeof(tag.name) - 1)
						tag.name[nl++] = (char)ch_lower(r.s[e]);
					else
						nl = sizeof(tag.name);
				tag.name_len = nl;
				r.pos = e;
				r.from_u7 = 0;
			}
			c = xr_peek(&r, 0);
			if (c == XR_EOF || (is_space(c) && !ref_control(&r, c)) || c == '/' ||
			    c == '>' || c == '<')
				break;
			if (ref_control(&r, c))
				c = 0;
			xr_get(&r, 0);
			if (c == 0) {
				c = xr_peek(&r, 0);
				continue;
			}
			if (tag.name_len < sizeof(tag.name) - 1)
				tag.name[tag.name_len++] = (char)ch_lower(c);
			else
				tag.name_len = sizeof(tag.name); /* too long for any we know */
			c = xr_peek(&r, 0);
		}
		if (c == '<' && !end_tag && str_is(tag.name, "script"))
			return xs_hit(f, "xss.tag", 90, off, r.pos); /* <script<{...} */
		if (c == '<')
			continue; /* <scr<script>: a filter that strips the inner tag
			           * leaves the outer one; judge the inner first */
		if (tag.name_len >= sizeof(tag.name))
			tag.name[0] = '\0';
		else
			tag.name[tag.name_len] = '\0';
		/* </script> leaves a script block for the page's markup */
		if (end_tag && str_is(tag.name, "script") && c == '>')
			return xs_hit(f, "xss.script_close", 75, off, r.pos + 1);
		int closed;
		if (read_attrs(&r, &tag, f, &closed)) {
			f->off = off;
			return 1;
		}
		if (end_tag)
			continue; /* attributes of an end tag count, nothing else */
		/* &lt;script&gt; in escaped prose ("use &lt;script&gt; tags")
		 * is text; escaped once more than the page decodes, a script
		 * needs attributes or a call in what follows */
		if (tag_executable(&tag) && !(decode && !tag.has_attrs &&
		                              str_is(tag.name, "script") && !script_follows(&r)))
			return xs_hit(f, "xss.tag", tag.name[0] == 's' ? 95 : 85, off, r.pos);
		math |= str_is(tag.name, "math");
		/* +ADw-p+AD4-: a whole tag in UTF-7 is there for a page that
		 * guesses that charset, or a filter that decodes it; no honest
		 * input spells markup so */
		if (u7 && closed && tag.name_len)
			return xs_hit(f, "xss.utf7", 85, off, r.pos);
		if (tag.js_later)
			return xs_hit(f, "xss.js_url", 80, tag.js_off, tag.js_end);
		/* SVG's <handler>alert(1)</handler>: its text is script */
		if (closed && str_is(tag.name, "handler") && text_calls(r.s, n, r.pos))
			return xs_hit(f, "xss.tag", 70, off, r.pos);
		if (closed && str_is(tag.name, "style") && read_style(&r, off, f))
			return 1;
	}
	return 0;
}

static int scan_markup(const char *s, size_t n, int decode, int judged, struct xs_found *f)
{
	return scan_markup_at(s, n, decode, 0, judged, f);
}

/* The bytes the search for an input's closing quote q (a blank for ' ')
 * must read: q, and those a reader may decode. */
static const unsigned char *quote_stops(char q)
{
#define XS_SPECIALS ['&'] = 1, ['+'] = 1, ['%'] = 1, ['\\'] = 1, [0xef] = 1
	static const unsigned char
	    dq[256] = {XS_SPECIALS, ['"'] = 1},
	    sq[256] = {XS_SPECIALS, ['\''] = 1}, bq[256] = {XS_SPECIALS, ['`'] = 1},
	    sp[256] = {XS_SPECIALS, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1};
#undef XS_SPECIALS
	return q == '"' ? dq : q == '\'' ? sq : q == '`' ? bq : sp;
}

/* An input that starts inside an attribute value, quoted with q (or
 * unquoted, q == ' ': the value ends at the first blank). */
static int scan_attr_breakout(const char *s, size_t n, char q, int decode, struct xs_found *f)
{
	struct xr r = {.s = (const unsigned char *)s, .n = n, .decode = decode};
	const unsigned char *stops = quote_stops(q);
	for (;;) {
		if (!r.u7on)
			r.pos = run_end(r.s, n, r.pos, stops);
		int c = xr_get(&r, 1);
		if (c == XR_EOF)
			return 0;
		if (q == ' ' ? is_space(c) : c == q)
			break;
	}
	size_t off = r.pos ? r.pos - 1 : 0;
	struct xs_tag tag = {.breakout = q};
	int closed;
	if (read_attrs(&r, &tag, f, &closed)) {
		if (f->off > off)
			f->off = off;
		return 1;
	}
	if (tag.js_later)
		return xs_hit(f, "xss.js_url", 80, tag.js_off, tag.js_end);
	return 0;
}

/* Functions and objects script injections reach for. */
static int js_sink(const char *id, size_t len)
{
	static const char *const calls[] = {
	    "alert",  "prompt",     "confirm",      "eval",        "print",      "fetch",
	    "import", "settimeout", "setinterval",  "function",    "atob",       "open",
	    "write",  "writeln",    "fromcharcode", "constructor", "execscript",
	};
	static const char *const objects[] = {
	    "document",   "window",   "top",  "self",   "parent",    "frames",
	    "globalthis", "location", "this", "string", "navigator", "xmlhttprequest",
	};
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, id, len);
	buf[len] = '\0';
	const char *last = strrchr(buf, '.');
	last = last ? last + 1 : buf;
	if (name_is(last, calls, sizeof(calls) / sizeof(calls[0])))
		return 1;
	char *dot = strchr(buf, '.');
	if (dot) {
		*dot = '\0';
		return name_is(buf, objects, sizeof(objects) / sizeof(objects[0]));
	}
	return 0;
}

/* The sinks proofs of concept call, for script positions without quotes. */
static int js_sink_strict(const char *id, size_t len)
{
	static const char *const calls[] = {
	    "alert", "prompt", "confirm", "eval", "settimeout", "setinterval", "execscript",
	};
	char buf[16];
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, id, len);
	buf[len] = '\0';
	return name_is(buf, calls, sizeof(calls) / sizeof(calls[0]));
}

/* A call of a sink: ident( or ident`. Reads the identifier at r; returns
 * 1 when it is a sink and a call follows. */
static int sink_call(struct xr *r, int strict)
{
	char id[32];
	size_t len = 0;
	int c = xr_peek(r, 1);
	if (!ch_is_alpha(c) && c != '_' && c != '$')
		return 0;
	while (c != XR_EOF && ident_char(c)) {
		xr_get(r, 1);
		if (len < sizeof(id))
			id[len] = (char)ch_lower(c);
		len++;
		c = xr_peek(r, 1);
	}
	if (len > sizeof(id))
		return 0;
	if (strict)
		return (c == '(' || c == '`') && js_sink_strict(id, len);
	/* what an injection reads to steal a session */
	if ((len == 15 && memcmp(id, "document.cookie", 15) == 0) ||
	    (len == 15 && memcmp(id, "document.domain", 15) == 0))
		return 1;
	return (c == '(' || c == '`' || c == '=') && js_sink(id, len) &&
	       (c != '=' || memchr(id, '.', len));
}

/* An input that starts inside a script string quoted with q: after the
 * closing quote, operators or statement ends, then a sink call
 * ('-alert(1)-', ";alert(1)//, '};top.location='x'//). */
static int scan_js_breakout(const char *s, size_t n, char q, int decode, struct xs_found *f)
{
	struct xr r = {.s = (const unsigned char *)s, .n = n, .decode = decode};
	const unsigned char *stops = quote_stops(q);
	for (;;) {
		if (!r.u7on)
			r.pos = run_end(r.s, n, r.pos, stops);
		int c = xr_get(&r, 1);
		if (c == XR_EOF)
			return 0;
		if (c == q)
			break;
	}
	size_t off = r.pos ? r.pos - 1 : 0;
	int seps = 0;
	for (int k = 0; k < 16; k++) {
		int c = xr_peek(&r, 1);
		if (c == XR_EOF)
			return 0;
		if (is_space(c)) {
			xr_get(&r, 1);
			continue;
		}
		if (c == 0 || !strchr("-+*/%|&^,;:?)}]!~(", c))
			break;
		seps++;
		xr_get(&r, 1);
	}
	if (seps && sink_call(&r, 0)) {
		/* `--eval`: a code span in prose, not a template literal call */
		if (q == '`' && r.pos < n && r.s[r.pos] == '`')
			return 0;
		return xs_hit(f, "xss.js_breakout", 85, off, r.pos);
	}
	return 0;
}

/* Was the identifier just read (before the '=' at r) a handler name? */
static int handler_before(const struct xr *r)
{
	size_t e = r->pos, b = e;
	char name[32];
	while (b > 0 && ch_is_alpha(r->s[b - 1]) && e - b < sizeof(name) - 1)
		b--;
	for (size_t i = b; i < e; i++)
		name[i - b] = (char)ch_lower(r->s[i]);
	name[e - b] = '\0';
	return is_handler_name(name, e - b);
}

/* A script position without quotes (x;alert(1)//, 1)}alert`1`): a
 * statement end, then one of the calls proofs of concept make. */
static int scan_js_statement(const char *s, size_t n, int decode, struct xs_found *f)
{
	/* the bytes that a reader may decode or that start something below:
	 * the rest are skipped at once */
	static const unsigned char stop[256] = {
	    ['&'] = 1, ['+'] = 1, ['%'] = 1, ['\\'] = 1, [0xef] = 1, ['='] = 1,
	    ['?'] = 1, [';'] = 1, [')'] = 1, ['}'] = 1,  ['|'] = 1,
	};
	static const pol_v16 stopv[] = {
	    XS_V16('&'), XS_V16('+'), XS_V16('%'), XS_V16('\\'), XS_V16(0xef), XS_V16('='),
	    XS_V16('?'), XS_V16(';'), XS_V16(')'), XS_V16('}'),  XS_V16('|'),
	};
	struct xr r = {.s = (const unsigned char *)s, .n = n, .decode = decode};
	for (;;) {
		if (!r.u7on)
			r.pos = run_end16(r.s, n, r.pos, stop, stopv, 11);
		int c = xr_get(&r, 1);
		if (c == XR_EOF)
			return 0;
		if (c == '=' && r.pos >= 2 && ident_char(r.s[r.pos - 2])) {
			/* callback=alert(document.cookie): a parameter that a JSONP
			 * endpoint or a template pastes into script */
			size_t off = r.pos - 1;
			if (sink_call(&r, 1) && r.pos + 1 < n && r.s[r.pos] == '(' &&
			    (strchr("0123456789'\"`)", r.s[r.pos + 1]) ||
			     (n - r.pos - 1 >= 8 && (memcmp(r.s + r.pos + 1, "document", 8) == 0 ||
			                             memcmp(r.s + r.pos + 1, "window.", 7) == 0))))
				return xs_hit(f, "xss.js_breakout", 75, off, r.pos);
			continue;
		}
		/* ?alert(1): a ternary's branch, or a query that a script reads */
		if (c == '?' && r.pos < n && ch_is_alpha(r.s[r.pos]))
			c = ';';
		if (c != ';' && c != ')' && c != '}' && c != '|')
			continue;
		size_t off = r.pos - 1;
		while (r.pos < n && is_space(r.s[r.pos]))
			r.pos++;
		if (sink_call(&r, 1))
			return xs_hit(f, "xss.js_breakout", 80, off, r.pos);
		/* ;onfocus=eval(...): a handler assigned a sink call */
		if (r.pos + 1 < n && r.s[r.pos] == '=' && handler_before(&r)) {
			r.pos++;
			if (sink_call(&r, 0))
				return xs_hit(f, "xss.js_breakout", 80, off, r.pos);
		}
	}
}

/* top["al"+"ert"](1), self[/al/.source+/ert/.source](1): a global
 * object's member called by a computed name, the way filters on "alert"
 * are dodged. Each '[' looks back a word and ahead a bounded stretch. */
static int scan_js_computed(const char *s, size_t n, struct xs_found *f)
{
	static const char *const globals[] = {
	    "top", "self", "window", "parent", "frames", "globalthis", "this", "document",
	};
	const unsigned char *p = (const unsigned char *)s;
	for (const unsigned char *b = memchr(p, '[', n); b;
	     b = memchr(b + 1, '[', n - (size_t)(b + 1 - p))) {
		size_t i = (size_t)(b - p), w = i;
		char name[12];
		while (w > 0 && i - w < sizeof(name) - 1 && ch_is_alpha(p[w - 1]))
			w--;
		if (w == i || (w > 0 && (ident_char(p[w - 1]))))
			continue;
		for (size_t k = w; k < i; k++)
			name[k - w] = (char)ch_lower(p[k]);
		name[i - w] = '\0';
		if (!name_is(name, globals, sizeof(globals) / sizeof(globals[0])))
			continue;
		for (size_t k = i + 1; k + 1 < n && k < i + 64; k++) {
			if (p[k] == '[')
				break; /* the next '[' gets its own look */
			if (p[k] == ']' && (p[k + 1] == '(' || p[k + 1] == '`'))
				return xs_hit(f, "xss.js_computed", 75, w, k + 2);
		}
	}
	return 0;
}

/* Skips blanks and comments (bounded: 8 comments of up to 96 bytes each)
 * from i; *obf is set when a comment was skipped, something no prose
 * and little honest code puts inside a member access. */
static size_t js_skip(const unsigned char *p, size_t n, size_t i, int *obf)
{
	for (int k = 0; k < 8; k++) {
		while (i < n && is_space(p[i]))
			i++;
		if (i + 1 >= n || p[i] != '/' || p[i + 1] != '*')
			break;
		size_t e = i + 2, lim = n - i > 96 ? i + 96 : n;
		while (e + 1 < lim && !(p[e] == '*' && p[e + 1] == '/'))
			e++;
		if (e + 1 >= lim)
			break;
		i = e + 2;
		*obf = 1;
	}
	return i;
}

/* ["al"+"ert"], ['al' 'ert'] (a '+' a form decoder turned into a space):
 * at p[i] == '[', the member name that string literals spell. Returns the
 * index after ']', or 0 when the brackets hold anything else. */
static size_t js_bracket_name(const unsigned char *p, size_t n, size_t i, char *name, size_t cap,
                              int *obf, int *esc)
{
	size_t len = 0;
	int parts = 0;
	i++;
	for (int k = 0; k < 16; k++) {
		i = js_skip(p, n, i, obf);
		if (i >= n)
			return 0;
		if (p[i] == ']' && parts) {
			name[len] = '\0';
			return i + 1;
		}
		if (p[i] == '+' && parts) {
			i++;
			continue;
		}
		if (p[i] != '"' && p[i] != '\'' && p[i] != '`')
			return 0;
		unsigned char q = p[i++];
		while (i < n && p[i] != q && p[i] != '\n') {
			int c = p[i];
			if (len + 1 >= cap)
				return 0; /* longer than any name we look for */
			if (c == '\\') {
				/* "\x24", "\u0061lert": a name spelled in escapes */
				size_t t = i;
				c = xr_escape(p, n, &t);
				if (c < 0 || c == XR_OTHER)
					return 0;
				*esc = 1;
				i = t;
			} else {
				i++;
			}
			name[len++] = (char)c;
		}
		if (i >= n || p[i] != q)
			return 0;
		i++;
		parts++;
	}
	return 0;
}

/* document, a comment, .cookie; (document)["cookie"], self [ "alert" ]("xss"),
 * window['al'+'ert'](1): a global object's member reached through
 * comments, brackets with string literals or parentheses, the spellings
 * that dodge filters on "document.cookie" and "alert(". Plain dotted
 * access is left to the context scans. JavaScript names are
 * case-sensitive: "Window" and "Self" are prose. */
/* The first letters of scan_js_member()'s globals and windows. */
static const unsigned char member_first[256] = {
    ['t'] = 1, ['s'] = 1, ['w'] = 1, ['p'] = 1, ['f'] = 1,
    ['g'] = 1, ['d'] = 1, ['c'] = 1, ['o'] = 1,
};

/* Can name be one of scan_js_member()'s globals or windows, by its first
 * two letters? A pre-filter: the names are compared in full after it. */
static int member_second(const char *name)
{
	switch (name[0]) {
	case 't':
		return name[1] == 'o' || name[1] == 'h'; /* top, this */
	case 'd':
		return name[1] == 'o' || name[1] == 'e'; /* document, defaultView */
	case 's':
		return name[1] == 'e';
	case 'w':
		return name[1] == 'i';
	case 'p':
		return name[1] == 'a';
	case 'f':
		return name[1] == 'r';
	case 'g':
		return name[1] == 'l';
	case 'c':
		return name[1] == 'o';
	case 'o':
		return name[1] == 'p';
	default:
		return 0;
	}
}

/* Letters, digits, '_' and '$': a byte after which no name starts. */
static const unsigned char member_word[256] = {
    ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1, ['_'] = 1, ['$'] = 1,
};

/* Lanes of v in [lo, lo + len). */
static inline pol_m16 v16_range(pol_v16 v, uint8_t lo, uint8_t len)
{
	return (pol_m16)((pol_v16)(v - v16_splat(lo)) < v16_splat(len));
}

/* The first i' >= i where a name scan_js_member() reads may start (n
 * when there is none): a byte after one member_word does not mark (or
 * at the start) whose byte and the next pass member_second(). Sixteen
 * bytes at a time, each against the byte before and the byte after it. */
static size_t member_start(const unsigned char *p, size_t n, size_t i)
{
	if (i == 0) {
		char two[3] = {n ? (char)p[0] : '\0', n > 1 ? (char)p[1] : '\0', '\0'};
		if (n && member_second(two))
			return 0;
		i = 1;
	}
#define EQ(v, c) ((pol_m16)((v) == v16_splat(c)))
	while (i <= n && n - i >= 17) {
		pol_v16 v = v16_load(p + i), w = v16_load(p + i - 1), x = v16_load(p + i + 1);
		pol_m16 pair = (EQ(v, 't') & (EQ(x, 'o') | EQ(x, 'h'))) |
		               (EQ(v, 'd') & (EQ(x, 'o') | EQ(x, 'e'))) |
		               (EQ(v, 's') & EQ(x, 'e')) | (EQ(v, 'w') & EQ(x, 'i')) |
		               (EQ(v, 'p') & EQ(x, 'a')) | (EQ(v, 'f') & EQ(x, 'r')) |
		               (EQ(v, 'g') & EQ(x, 'l')) | (EQ(v, 'c') & EQ(x, 'o')) |
		               (EQ(v, 'o') & EQ(x, 'p'));
		pol_m16 word = v16_range(w | v16_splat(0x20), 'a', 26) | v16_range(w, '0', 10) |
		               EQ(w, '_') | EQ(w, '$');
		unsigned bits = v16_bits(pair & ~word);
		if (bits)
			return i + (size_t)__builtin_ctz(bits);
		i += 16;
	}
#undef EQ
	for (; i < n; i++) {
		char two[3] = {(char)p[i], i + 1 < n ? (char)p[i + 1] : '\0', '\0'};
		if (!member_word[p[i - 1]] && member_second(two))
			return i;
	}
	return n;
}

static int scan_js_member(const char *s, size_t n, struct xs_found *f)
{
	static const char *const globals[] = {
	    "top", "self", "window", "parent", "frames", "globalThis", "this", "document",
	};
	static const char *const sinks[] = {
	    "alert", "prompt", "confirm", "eval", "setTimeout", "setInterval", "execScript",
	};
	/* window objects reached from elsewhere: x.contentWindow.alert(1) */
	static const char *const windows[] = {
	    "parentWindow",
	    "contentWindow",
	    "defaultView",
	    "opener",
	};
	const unsigned char *p = (const unsigned char *)s;
	/* only where member_start() stops can the loop below get past its
	 * first test (and its skip of words member_first does not start) */
	for (size_t i = 0; (i = member_start(p, n, i)) < n; i++) {
		int dotted = i > 0 && p[i - 1] == '.';
		if (!ch_is_alpha(p[i]) || (i > 0 && ident_char(p[i - 1]) && !dotted))
			continue;
		/* the first letters of the names below, to skip most words at
		 * once: the rest of the word is skipped too (its letters follow
		 * one) */
		if (!member_first[p[i]]) {
			while (i + 1 < n && xs_ident[p[i + 1]] && p[i + 1] != '.')
				i++;
			continue;
		}
		/* member_second() reads the second letter: a name whose second
		 * byte is not the one it wants is neither a window nor a global */
		char two[3] = {(char)p[i], i + 1 < n ? (char)p[i + 1] : '\0', '\0'};
		if (!member_second(two))
			continue;
		char name[24];
		size_t b = i, len = 0;
		while (i < n && ident_char(p[i]) && p[i] != '.' && len < sizeof(name) - 1)
			name[len++] = (char)p[i++];
		name[len] = '\0';
		if (i < n && ident_char(p[i]) && p[i] != '.')
			continue; /* a longer word */
		int known = member_second(name);
		int win = known && name_is(name, windows, sizeof(windows) / sizeof(windows[0]));
		if (!win && (dotted || !known ||
		             !name_is(name, globals, sizeof(globals) / sizeof(globals[0]))))
			continue;
		int obf = 0, esc = 0, doc = str_is(name, "document");
		/* a window's alert, prompt, confirm or eval called even plainly
		 * (window.alert(1)); "this" and "document" have methods of
		 * those names in honest code */
		int plain = win || (!doc && !str_is(name, "this"));
		size_t j = js_skip(p, n, i, &obf);
		if (b > 0 && p[b - 1] == '(' && j < n && p[j] == ')') {
			obf = 1; /* (document) */
			j = js_skip(p, n, j + 1, &obf);
		}
		for (int step = 0; step < 4 && j < n; step++) {
			char m[24];
			size_t e;
			if (p[j] == '.') {
				e = js_skip(p, n, j + 1, &obf);
				size_t k = 0;
				while (e < n && ident_char(p[e]) && p[e] != '.' &&
				       k < sizeof(m) - 1)
					m[k++] = (char)p[e++];
				m[k] = '\0';
				if (!k)
					break;
			} else if (p[j] == '[') {
				e = js_bracket_name(p, n, j, m, sizeof(m), &obf, &esc);
				if (!e)
					break;
				if (esc) /* self["\x24"]: no honest code escapes a name */
					return xs_hit(f, "xss.js_member", 80, b, e);
				obf = 1;
			} else {
				break;
			}
			size_t after = js_skip(p, n, e, &obf);
			int call = after < n && (p[after] == '(' || p[after] == '`');
			if (obf && doc && (str_is(m, "cookie") || str_is(m, "domain")))
				return xs_hit(f, "xss.js_member", 80, b, e);
			if (call && name_is(m, sinks, sizeof(sinks) / sizeof(sinks[0])) &&
			    (obf || (plain && name_is(m, sinks, 4))))
				return xs_hit(f, "xss.js_member", obf ? 80 : 70, b, after + 1);
			doc = str_is(m, "document");
			plain = win || str_is(m, "window") || name_is(m, windows, 4);
			j = after;
		}
		i = b + len - 1;
	}
	return 0;
}

/* JSFuck and its kin write any script with the six characters []()!+;
 * a long run of them, dense in [] and !, is nothing but such code. A '+'
 * may arrive decoded as a space. */
static int scan_jsfuck(const char *s, size_t n, struct xs_found *f)
{
	static const unsigned char atom[256] = {
	    ['['] = 1, [']'] = 1, ['('] = 1, [')'] = 1, ['!'] = 1, ['+'] = 1,
	};
	static const pol_v16 atoms[] = {XS_V16('['), XS_V16(']'), XS_V16('('),
	                                XS_V16(')'), XS_V16('!'), XS_V16('+')};
	size_t start = 0, count = 0, brackets = 0, bangs = 0, empties = 0, index = 0;
	for (size_t i = 0; i < n; i++) {
		/* outside a run, only an atom starts one */
		if (!count)
			i = run_end16((const unsigned char *)s, n, i, atom, atoms, 6);
		if (i >= n)
			break;
		unsigned char c = (unsigned char)s[i];
		if (c == '[' || c == ']' || c == '(' || c == ')' || c == '!' || c == '+') {
			if (!count)
				start = i;
			count++;
			brackets += c == '[';
			bangs += c == '!';
			/* an empty array used as a value, not markdown's ![](...) */
			empties +=
			    c == ']' && i > 0 && s[i - 1] == '[' && (i + 1 >= n || s[i + 1] != '(');
			index += c == '[' && count > 1 && (s[i - 1] == ')' || s[i - 1] == ']');
			if (count >= 48 && brackets >= 12 && bangs >= 6)
				return xs_hit(f, "xss.jsfuck", 80, start, i + 1);
			/* (![]+[])[+!+[]]: a letter picked out of negated and
			 * added empty arrays, the atom of such code */
			if (empties >= 2 && bangs && index)
				return xs_hit(f, "xss.jsfuck", 70, start, i + 1);
		} else if (c != ' ' || !count) {
			count = brackets = bangs = empties = index = 0;
		}
	}
	return 0;
}

/* The byte at p[*i], or the one a \xHH or %HH escape there spells (the
 * form such bytes take in logs, test suites and URLs); advances *i. */
static unsigned next_byte(const unsigned char *p, size_t n, size_t *i)
{
	size_t q = *i;
	int hex = q + 2 < n && ((p[q] == '\\' && p[q + 1] == 'x') || p[q] == '%');
	if (hex) {
		size_t d = p[q] == '%' ? q + 1 : q + 2;
		int hi = d + 1 < n ? xr_hex(p[d]) : -1, lo = hi >= 0 ? xr_hex(p[d + 1]) : -1;
		if (lo >= 0) {
			*i = d + 2;
			return (unsigned)(hi * 16 + lo);
		}
	}
	*i = q + 1;
	return p[q];
}

/* US-ASCII read as 7 bits: IE once dropped the high bit, so that
 * \xbcscript\xbe is <script>. Each 0xbc before a letter opens a window
 * that is read with the high bit masked off (UTF-8 lead bytes, as in
 * ¼script¾ sent as UTF-8, dropped) and judged as markup; windows do not
 * overlap, so the cost stays linear. */
static int scan_7bit(const char *s, size_t n, struct xs_found *f)
{
	const unsigned char *p = (const unsigned char *)s;
	char w[256];
	for (size_t i = 0; i < n;) {
		size_t at = i, e;
		if (next_byte(p, n, &i) != 0xbc || i >= n || !ch_is_alpha(p[i]))
			continue;
		size_t k = 0;
		int gt = 0;
		w[k++] = '<';
		for (e = i; e < n && k < sizeof(w);) {
			unsigned c = next_byte(p, n, &e);
			if (c >= 0xc0 && e < n) {
				size_t t = e;
				if ((next_byte(p, n, &t) & 0xc0) == 0x80)
					continue; /* a UTF-8 lead byte */
			}
			gt |= c == 0xbe;
			w[k++] = (char)(c & 0x7f);
		}
		/* a masked '>' must close something: a lone 0xbc before a
		 * letter is as likely a Cyrillic letter's second byte */
		if (gt && scan_markup(w, k, 0, 0, f)) {
			f->off = at;
			f->end = e;
			return 1;
		}
		i = e;
	}
	return 0;
}

/* The next byte at or after i (backward: before i) that is not a blank,
 * looking at most 8 bytes; -1 when there is none. */
static int js_next(const unsigned char *p, size_t n, size_t i, size_t *at)
{
	for (size_t k = 0; i < n && k < 8; i++, k++)
		if (!is_space(p[i])) {
			*at = i;
			return p[i];
		}
	return -1;
}

static int js_prev(const unsigned char *p, size_t i, size_t *at)
{
	for (size_t k = 0; i > 0 && k < 8; i--, k++)
		if (!is_space(p[i - 1])) {
			*at = i - 1;
			return p[i - 1];
		}
	return -1;
}

/* Methods that call the function they are handed. */
static int calls_argument(const char *m, size_t len)
{
	static const char *const names[] = {
	    "find",  "findIndex", "findLast", "map",  "filter",  "forEach", "some",
	    "every", "reduce",    "sort",     "call", "apply",   "bind",    "then",
	    "catch", "finally",   "replace",  "from", "flatMap",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(m, names[i], len) == 0)
			return 1;
	return 0;
}

static int timer_call(const char *m, size_t len)
{
	return (len == 10 && memcmp(m, "setTimeout", 10) == 0) ||
	       (len == 11 && memcmp(m, "setInterval", 11) == 0);
}

/* "in \u0076\u0061l\u0075e\u004F\u0066": an identifier with letters
 * written as \u escapes, which script reads as the name and filters do
 * not; JSON encoders escape markup and non-ASCII, never plain letters.
 * Two escaped letters in one identifier. */
static int scan_js_uescape(const char *s, size_t n, struct xs_found *f)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0, start = 0;
	for (size_t i = 0; i < n;) {
		if (p[i] == '\\' && i + 5 < n && p[i + 1] == 'u') {
			size_t q = i;
			int c = xr_escape(p, n, &q);
			if (c >= 0 && c < 0x80 && ch_is_alpha(c)) {
				if (!run)
					start = i;
				if (++run >= 2)
					return xs_hit(f, "xss.js_escape", 60, start, q);
				i = q;
				continue;
			}
		}
		if (!ident_char(p[i]) || p[i] == '.')
			run = 0;
		i++;
	}
	return 0;
}

/* x.call`...`, Reflect.apply.call`${alert}${0}${[1]}`: a tagged template
 * on call, apply or bind hands the template's values to a function as its
 * arguments, a way to call one with neither its name nor parentheses that
 * honest code has no use for. */
static int scan_js_tagged(const char *s, size_t n, struct xs_found *f)
{
	static const char *const names[] = {"call", "apply", "bind"};
	const unsigned char *p = (const unsigned char *)s;
	for (const unsigned char *t = memchr(p, '`', n); t;
	     t = memchr(t + 1, '`', n - (size_t)(t + 1 - p))) {
		size_t e = (size_t)(t - p), b = e;
		while (b > 0 && e - b < 6 && ch_is_alpha(p[b - 1]))
			b--;
		if (b == e || b == 0 || p[b - 1] != '.')
			continue;
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strlen(names[k]) == e - b && memcmp(p + b, names[k], e - b) == 0)
				return xs_hit(f, "xss.js_value", 75, b - 1, e + 1);
	}
	return 0;
}

/* <XSS>=&{alert(1)}, x="&{...}": Netscape's script entities, outside an
 * attribute's quotes too: '=' (a quote between allowed), "&{", a call
 * and the closing '}' within 64 bytes. */
static int scan_js_entity(const char *s, size_t n, struct xs_found *f)
{
	const unsigned char *p = (const unsigned char *)s;
	for (const unsigned char *a = memchr(p, '&', n); a;
	     a = memchr(a + 1, '&', n - (size_t)(a + 1 - p))) {
		size_t i = (size_t)(a - p), b = i;
		if (i + 1 >= n || p[i + 1] != '{')
			continue;
		if (b > 0 && (p[b - 1] == '"' || p[b - 1] == '\''))
			b--;
		if (b == 0 || p[b - 1] != '=')
			continue;
		int call = 0;
		for (size_t k = i + 2; k < n && k < i + 64; k++) {
			if (p[k] == '(')
				call = 1;
			if (p[k] == '}') {
				if (call)
					return xs_hit(f, "xss.js_entity", 75, b - 1, k + 1);
				break;
			}
		}
	}
	return 0;
}

/* A sink passed around as a value rather than called by name, the way
 * filters on "alert(" are dodged: `${alert}`, (alert)(1), [1].find(alert),
 * a=alert,a(1). JavaScript names are case-sensitive: "Alert" is prose. */
static int scan_js_value(const char *s, size_t n, struct xs_found *f)
{
	static const char *const sinks[] = {"alert", "prompt", "confirm", "eval"};
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 'a' && p[i] != 'p' && p[i] != 'c' && p[i] != 'e')
			continue;
		if (i > 0 && ident_char(p[i - 1]))
			continue;
		size_t b = i;
		while (b < n && ident_char(p[b]) && b - i < 8)
			b++;
		int sink = 0;
		for (size_t k = 0; k < sizeof(sinks) / sizeof(sinks[0]); k++)
			if (b - i == strlen(sinks[k]) && memcmp(p + i, sinks[k], b - i) == 0)
				sink = 1;
		if (!sink || (b < n && ident_char(p[b]))) {
			i = b;
			continue;
		}
		size_t pa = 0, nb = 0, at;
		int pc = js_prev(p, i, &pa), nc = js_next(p, n, b, &nb);
		if (pc == '{' && pa > 0 && p[pa - 1] == '$' && nc == '}')
			return xs_hit(f, "xss.js_value", 80, pa - 1, nb + 1);
		if (pc == '(' && (nc == ')' || nc == ',')) {
			int after = js_next(p, n, nb + 1, &at);
			if (nc == ')' && (after == '(' || after == '`'))
				return xs_hit(f, "xss.js_value", 80, pa, at + 1);
			/* .find(alert), Reflect.apply(alert,0,[1]), setTimeout(alert,0):
			 * a function that calls what it is handed first */
			size_t w = pa;
			while (w > 0 && pa - w < 16 && ident_char(p[w - 1]) && p[w - 1] != '.')
				w--;
			int dotted = w > 0 && p[w - 1] == '.';
			if (w < pa && ((dotted && calls_argument(s + w, pa - w)) ||
			               (!dotted && timer_call(s + w, pa - w))))
				return xs_hit(f, "xss.js_value", 75, dotted ? w - 1 : w, nb + 1);
		}
		if (pc == '=' && (nc == ',' || nc == ';') && pa > 0 && p[pa - 1] != '=' &&
		    p[pa - 1] != '!' && p[pa - 1] != '<' && p[pa - 1] != '>') {
			/* x=alert,x(1): the name it was given, called */
			size_t ve = 0, vb;
			if (js_prev(p, pa, &ve) < 0 || !ident_char(p[ve]))
				continue;
			vb = ve;
			while (vb > 0 && ve - vb < 32 && ident_char(p[vb - 1]))
				vb--;
			size_t len = ve + 1 - vb, c0;
			if (js_next(p, n, nb + 1, &c0) < 0 || c0 + len >= n ||
			    memcmp(p + c0, p + vb, len) != 0)
				continue;
			if (p[c0 + len] == '(' || p[c0 + len] == '`')
				return xs_hit(f, "xss.js_value", 80, vb, c0 + len + 1);
		}
		i = b;
	}
	return 0;
}

/* After a script URL's colon: script, or prose ("JavaScript: The Good
 * Parts" is a title)? Blanks after the colon are allowed (browsers run
 * "javascript: alert(1)"), then what follows must read as code: a name
 * called, indexed or assigned, or an escape, a comment or an entity. */
static int url_script_follows(const struct xs_url *u)
{
	const char *colon = memchr(u->u, ':', u->len);
	if (!colon)
		return 0;
	unsigned i = (unsigned)(colon - u->u) + 1;
	if (i < u->len && u->u[i] != ' ')
		return 1;
	while (i < u->len && u->u[i] == ' ')
		i++;
	if (i >= u->len)
		return 0;
	if (strchr("\\%&#/", u->u[i]))
		return 1;
	if (!ch_is_alpha(u->u[i]))
		return 0;
	while (i < u->len && ident_char(u->u[i]))
		i++;
	return i < u->len && strchr("(`=[", u->u[i]);
}

/* Whether a URL read from s could start with a script or data: scheme:
 * the first byte url_push keeps must start one (feed: hands its rest on).
 * Exact only for input that a decoding reader sees as it is. */
static int url_may_script(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == '`' || c >= 0x80)
			continue;
		c = (unsigned char)ch_lower(c);
		return c == 'j' || c == 'v' || c == 'l' || c == 'm' || c == 'd' || c == 'f';
	}
	return 0;
}

/* The whole input is a script URL, or a bare proof-of-concept call. */
static int scan_whole(const char *s, size_t n, uint32_t chars, struct xs_found *f)
{
	struct xr r = {.s = (const unsigned char *)s, .n = n, .decode = 1};
	int plain = !(chars & XS_DECODERS); /* the reader sees s as it is */
	if (!plain || url_may_script(s, n)) {
		struct xs_url url = {0};
		while (url.len < sizeof(url.u) && r.pos < n)
			url_push(&url, xr_get(&r, 1));
		if ((url_scripted(&url) && (url.split || url_script_follows(&url))) ||
		    url_is(&url, "data:text/html"))
			return xs_hit(f, "xss.js_url", 90, 0, n < 24 ? n : 24);
	}
	/* what follows needs a '(' or a '`', which only decoding can invent */
	if (plain && !(chars & (POL_CH_PAREN | POL_CH_BACKTICK)))
		return 0;
	r.pos = 0;
	while (r.pos < n && is_space(r.s[r.pos]))
		r.pos++;
	char id[32];
	size_t len = 0;
	int c;
	while ((c = xr_peek(&r, 1)) != XR_EOF && ch_is_alpha(c) && len < sizeof(id) - 1) {
		id[len++] = (char)ch_lower(c);
		xr_get(&r, 1);
	}
	id[len] = '\0';
	c = xr_peek(&r, 1);
	if ((c == '(' || c == '`') && (str_is(id, "alert") || str_is(id, "prompt") ||
	                               str_is(id, "confirm") || str_is(id, "eval")))
		return xs_hit(f, "xss.js_call", 70, 0, r.pos + 1);
	/* onmouseover=alert(1): a handler's source, for an attribute-name slot */
	if (c == '=' && is_handler_name(id, len) && (memchr(s, '(', n) || memchr(s, '`', n)))
		return xs_hit(f, "xss.handler", 70, 0, r.pos + 1);
	return 0;
}

/* Whether the two letters a b before c end one of those words: "pt:"
 * (javascript: livescript: vbscript:), "on(" (expression(), "rl(" (url(). */
static int css_trigger_pair(int a, int b, int c)
{
	return c == ':' ? a == 'p' && b == 't' : (a == 'o' && b == 'n') || (a == 'r' && b == 'l');
}

/* Whether some ':' or '(' in s follows (blanks and NULs aside) one of the
 * letters that end the words scan_css looks for before those characters
 * (javascript: livescript: vbscript:, expression(, url(). */
static int css_trigger(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != ':' && p[i] != '(')
			continue;
		size_t b = i;
		while (b > 0 && (is_space(p[b - 1]) || p[b - 1] == 0))
			b--;
		int c = b > 0 ? ch_lower(p[b - 1]) : 0;
		if (c != 't' && c != 'n' && c != 'l')
			continue;
		while (--b > 0 && (is_space(p[b - 1]) || p[b - 1] == 0))
			;
		if (css_trigger_pair(b > 0 ? ch_lower(p[b - 1]) : 0, c, p[i]))
			return 1;
	}
	return 0;
}

/* css_trigger on the input as the decoding reader sees it: exact as long
 * as what it decodes holds no '\\' (a CSS escape) and no '*' (a comment),
 * which send it to the full scan. */
static int css_trigger_decoded(const char *s, size_t n)
{
	struct xr r = {.s = (const unsigned char *)s, .n = n, .decode = 1};
	/* prev: the last character as above; q1, q2: the last two the window
	 * keeps (no characters outside ASCII). Both tests must hold, at one
	 * place or two, for the full scan to find anything. */
	int prev = 0, q1 = 0, q2 = 0, one = 0, two = 0;
	/* 1: a blank or NUL, 2: a byte the loop below must see */
	static const unsigned char kind[256] = {
	    [0] = 1,   [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, ['&'] = 2,
	    ['+'] = 2, ['%'] = 2, ['\\'] = 2, [0xef] = 2, ['*'] = 2,  [':'] = 2,  ['('] = 2,
	};
	static const unsigned char stops[256] = {
	    ['&'] = 1,  ['+'] = 1, ['%'] = 1, ['\\'] = 1,
	    [0xef] = 1, ['*'] = 1, [':'] = 1, ['('] = 1,
	};
	for (int c;;) {
		/* bytes that read as themselves and are none of the above */
		if (!r.u7on) {
			size_t p0 = r.pos, p = p0;
			r.pos = p = run_end(r.s, n, p, stops);
			/* the run's last two bytes that are not blanks, read back */
			int last = -1, before = -1;
			for (size_t b = p; b > p0 && before < 0;) {
				unsigned char x = r.s[--b];
				if (kind[x])
					continue;
				if (last < 0)
					last = x;
				else
					before = x;
			}
			if (last >= 0) {
				q2 = before >= 0 ? ch_lower(before) : q1;
				q1 = prev = ch_lower(last);
			}
		}
		if ((c = xr_get(&r, 1)) == XR_EOF)
			break;
		if (c == '\\' || c == '*')
			return 1;
		if (c == ':' || c == '(') {
			one |= prev == 't' || prev == 'n' || prev == 'l';
			two |= css_trigger_pair(q2, q1, c);
			if (one && two)
				return 1;
		}
		if (c != 0 && !is_space(c)) {
			prev = ch_lower(c);
			if (c > 0) {
				q2 = q1;
				q1 = prev;
			}
		}
	}
	return 0;
}

/* css_trigger_decoded() of s when the decoding reader returns its bytes
 * as they are but for the references it decodes (decodes_as_values()):
 * its answer, or -1 when a reference may be one of the characters it
 * reads back from a ':' or '(' (or is one), which it is left to. That
 * answer is 1 at any '*' or '\\' read, else whether both its tests held
 * somewhere; they are made here at each ':' and '(' with the two bytes
 * before it that are not blank, sixteen bytes searched at a time. */
static int css_trigger_values(const char *s, size_t n, uint32_t chars)
{
	const unsigned char *p = (const unsigned char *)s;
	if (chars & POL_CH_STAR)
		return 1;
	int one = 0, two = 0;
	size_t ref_end = 0; /* the end of the last reference decoded */
	for (size_t i = 0; i < n; i += 16) {
		unsigned bits;
		if (n - i >= 16) {
			pol_v16 v = v16_load(p + i);
			bits = v16_bits((pol_m16)(v == v16_splat('&')) |
			                (pol_m16)(v == v16_splat(':')) |
			                (pol_m16)(v == v16_splat('(')));
		} else {
			bits = 0;
			for (size_t k = i; k < n; k++)
				bits |= (unsigned)(p[k] == '&' || p[k] == ':' || p[k] == '(')
				        << (k - i);
		}
		for (; bits; bits &= bits - 1) {
			size_t at = i + (size_t)__builtin_ctz(bits), q = at;
			if (p[at] == '&') {
				/* no reference holds '&', ':' or '(': the search goes on
				 * past it */
				int d = xr_entity(p, n, &q);
				if (d < 0)
					continue; /* an '&' read as itself */
				if (d == '\\' || d == '*')
					return 1;
				if (d == ':' || d == '(')
					return -1;
				ref_end = q;
				continue;
			}
			/* the two bytes before that are not blank (or NUL) */
			size_t b1 = at, b2;
			while (b1 > 0 && (is_space(p[b1 - 1]) || p[b1 - 1] == 0))
				b1--;
			b2 = b1 ? b1 - 1 : 0;
			while (b2 > 0 && (is_space(p[b2 - 1]) || p[b2 - 1] == 0))
				b2--;
			/* b1 - 1 and b2 - 1 are their places (none when 0) */
			if ((b2 ? b2 - 1 : b1 ? b1 - 1 : at) < ref_end)
				return -1;
			int prev = b1 ? ch_lower(p[b1 - 1]) : 0, q2 = b2 ? ch_lower(p[b2 - 1]) : 0;
			one |= prev == 't' || prev == 'n' || prev == 'l';
			two |= css_trigger_pair(q2, prev, p[at]);
			if (one && two)
				return 1;
		}
	}
	return 0;
}

/* CSS expression() or a binding where a style value is injected; same:
 * decodes_as_values() holds for s. */
static int scan_css(const char *s, size_t n, uint32_t chars, int same, struct xs_found *f)
{
	/* Read as is (nothing to decode, no comments, no escapes), every
	 * finding below sits at a ':' or '(' right after such a letter; the
	 * blanks css_trigger skips are the ones the window drops. */
	int t = !(chars & (XS_DECODERS | POL_CH_STAR)) ? css_trigger(s, n)
	        : same                                 ? css_trigger_values(s, n, chars)
	                                               : -1;
	if (t < 0)
		t = css_trigger_decoded(s, n);
	if (!t)
		return 0;
	struct xs_win win = {0};
	struct xr r = {.s = (const unsigned char *)s, .n = n, .decode = 1};
	unsigned refs = 0; /* one bit a character, newest lowest: spelled by a reference */
	for (size_t at = 0;; at = r.pos) {
		int c = xr_get(&r, 1);
		if (c == XR_EOF)
			break;
		size_t i = r.pos - 1;
		refs = refs << 1 | (r.pos - at > 1 || r.from_u7);
		win_push(&win, c);
		if (win.bits & (XW_EXPR | XW_BINDURL | XW_URLJS))
			return xs_hit(f, "xss.css", 80, i >= 14 ? i - 14 : 0, i + 1);
		/* url=javascript:x, ?javascript:x: a script URL as a parameter;
		 * or one spelled in references (&#106;&#97;...), which no honest
		 * text does to a word */
		if ((win.bits & XW_JS) && i + 1 < n && !is_space(s[i + 1]) && win.len >= 12) {
			char before = win.w[(win.len - 12) % sizeof(win.w)];
			if (strchr("=?,(\"'", before) || __builtin_popcount(refs & 0x7ff) >= 4)
				return xs_hit(f, "xss.js_url", 80, i >= 11 ? i - 11 : 0, i + 1);
		}
		win.bits = 0;
	}
	return 0;
}

/* The bit of decoded_mask() that a character a reader returned sets. */
static uint32_t decoded_bit(int c)
{
	switch (c) {
	case '<':
		return POL_CH_LT;
	case '=':
		return POL_CH_EQUALS;
	case '"':
		return POL_CH_DQUOTE;
	case '\'':
		return POL_CH_SQUOTE;
	case '`':
		return POL_CH_BACKTICK;
	case ';':
		return POL_CH_SEMI;
	case '(':
	case ')':
		return POL_CH_PAREN;
	case '}':
		return POL_CH_RBRACE;
	case '|':
		return POL_CH_PIPE;
	case '?':
		return POL_CH_QMARK;
	default:
		return is_space(c) ? POL_CH_SPACE : 0;
	}
}

/* The POL_CH_* bits the context scans test, of the text as a reader in
 * `mode` decodes it (every blank counts as POL_CH_SPACE, as is_space has
 * it). One cheap pass that spares the decoding pass the scans whose
 * characters the decoded text lacks. */
static uint32_t decoded_mask(const char *s, size_t n, int mode)
{
	/* the bits of the bytes that read as themselves */
	static const uint32_t plain[256] = {
	    ['<'] = POL_CH_LT,      ['='] = POL_CH_EQUALS,   ['"'] = POL_CH_DQUOTE,
	    ['\''] = POL_CH_SQUOTE, ['`'] = POL_CH_BACKTICK, [';'] = POL_CH_SEMI,
	    ['('] = POL_CH_PAREN,   [')'] = POL_CH_PAREN,    ['}'] = POL_CH_RBRACE,
	    ['|'] = POL_CH_PIPE,    ['?'] = POL_CH_QMARK,    [' '] = POL_CH_SPACE,
	    ['\t'] = POL_CH_SPACE,  ['\n'] = POL_CH_SPACE,   ['\r'] = POL_CH_SPACE,
	    ['\f'] = POL_CH_SPACE,
	};
	struct xr r = {.s = (const unsigned char *)s, .n = n, .decode = mode};
	uint32_t m = 0;
	for (int c;;) {
		if (!r.u7on) {
			size_t p = r.pos;
			while (n - p >= 4 && !(xr_special[r.s[p]] | xr_special[r.s[p + 1]] |
			                       xr_special[r.s[p + 2]] | xr_special[r.s[p + 3]])) {
				m |= plain[r.s[p]] | plain[r.s[p + 1]] | plain[r.s[p + 2]] |
				     plain[r.s[p + 3]];
				p += 4;
			}
			while (p < n && !xr_special[r.s[p]])
				m |= plain[r.s[p++]];
			r.pos = p;
		}
		if ((c = xr_get(&r, 1)) == XR_EOF)
			break;
		m |= decoded_bit(c);
	}
	return m;
}

/* How many bytes of s[0..n) are c, sixteen at a time. */
static size_t count_byte(const unsigned char *s, size_t n, unsigned char c)
{
	size_t k = 0, i = 0;
	while (n - i >= 16) {
		/* lanes count down from 0 (a match is -1), 255 blocks at most */
		pol_v16 acc = v16_splat(0);
		for (size_t b = 0; b < 255 && n - i >= 16; b++, i += 16)
			acc += (pol_v16)(v16_load(s + i) == v16_splat(c));
		uint8_t lane[16];
		memcpy(lane, &acc, sizeof(lane));
		for (size_t j = 0; j < 16; j++)
			k += (uint8_t)(0u - lane[j]);
	}
	for (; i < n; i++)
		k += s[i] == c;
	return k;
}

/* Whether a reader over s that decodes reads it as one that decodes
 * references in values only does, for the characters it returns in
 * values (xr_get(r, 1)): what decoding adds is +, %, \ and the lead byte
 * of fullwidth forms (none here), and a reference that decodes to '&'
 * and is followed by one more (&amp;lt;), looked for at every '&'.
 * When it does, *mask is decoded_mask() of s for that reader: the bits
 * of the bytes no reference takes (chars has them, but for ';' which
 * references end with, and blanks, which it counts in three classes),
 * and those of what the references decode to. */
static int decodes_as_values(const char *s, size_t n, uint32_t chars, uint32_t *mask)
{
	const unsigned char *p = (const unsigned char *)s;
	if ((chars & (POL_CH_PLUS | POL_CH_PERCENT | POL_CH_BSLASH)) ||
	    ((chars & POL_CH_HIGH) && memchr(s, 0xef, n)))
		return 0;
	uint32_t m =
	    chars & (POL_CH_LT | POL_CH_EQUALS | POL_CH_DQUOTE | POL_CH_SQUOTE | POL_CH_BACKTICK |
	             POL_CH_PAREN | POL_CH_RBRACE | POL_CH_PIPE | POL_CH_QMARK);
	if ((chars & (POL_CH_SPACE | POL_CH_NEWLINE)) ||
	    ((chars & POL_CH_CTRL) && memchr(s, '\f', n)))
		m |= POL_CH_SPACE;
	size_t semis = 0; /* the ';' references take */
	for (const unsigned char *a = memchr(p, '&', n); a;
	     a = memchr(a + 1, '&', n - (size_t)(a + 1 - p))) {
		size_t q = (size_t)(a - p);
		int c = xr_entity(p, n, &q);
		if (c < 0)
			continue; /* read as '&', then the bytes after it */
		semis += p[q - 1] == ';';
		m |= decoded_bit(c);
		if (c != '&')
			continue;
		q--; /* as xr_get_slow reads "&amp;tab;" */
		if (xr_entity(p, n, &q) >= 0)
			return 0;
	}
	if ((chars & POL_CH_SEMI) && count_byte(p, n, ';') > semis)
		m |= POL_CH_SEMI;
	*mask = m;
	return 1;
}

static int detect(const char *s, size_t n, uint32_t chars, struct xs_found *f)
{
	int refs = (chars &
	            (POL_CH_AMP | POL_CH_PLUS | POL_CH_PERCENT | POL_CH_BSLASH | POL_CH_HIGH)) != 0;
	/* the break-out scans below read values only (xr_get(r, 1)): when
	 * decoding changes none of those characters, the decoding pass's
	 * run of a scan the pass as is ran (and found nothing) would read the
	 * same and find nothing again. Bit k: the scan of quote k (' " `);
	 * bit 3: scan_js_statement. */
	unsigned ran = 0;
	uint32_t same_mask = 0;
	int same_all = 0; /* decodes_as_values(), when the decoding pass ran */
	for (int decode = 0; decode <= refs; decode++) {
		int same = decode && decodes_as_values(s, n, chars, &same_mask);
		if (!same)
			ran = 0;
		same_all = same;
		int mode =
		    decode && (chars & POL_CH_PERCENT) && (chars & POL_CH_PLUS) ? XR_FORM : decode;
		/* decoding can produce any character: the decoding pass gates
		 * its scans on what the decoded text holds */
		uint32_t m = !decode ? chars : same ? same_mask : decoded_mask(s, n, mode);
		/* the pass as is ran when the input holds a '<' (and found
		 * nothing, or this one would not run) */
		if ((m & POL_CH_LT) && scan_markup(s, n, mode, decode && (chars & POL_CH_LT), f))
			return 1;
		if (m & POL_CH_EQUALS) {
			if ((m & POL_CH_DQUOTE) && scan_attr_breakout(s, n, '"', mode, f))
				return 1;
			if ((m & POL_CH_SQUOTE) && scan_attr_breakout(s, n, '\'', mode, f))
				return 1;
			if ((m & (POL_CH_SPACE | POL_CH_NEWLINE)) &&
			    scan_attr_breakout(s, n, ' ', mode, f))
				return 1;
		}
		/* the decoded mask is exact: a string break-out needs only its
		 * quote (document.cookie is read without a call) */
		if (decode || (m & (POL_CH_PAREN | POL_CH_BACKTICK | POL_CH_EQUALS))) {
			static const char quotes[3] = {'\'', '"', '`'};
			static const uint32_t quote_bits[3] = {POL_CH_SQUOTE, POL_CH_DQUOTE,
			                                       POL_CH_BACKTICK};
			for (unsigned k = 0; k < 3; k++) {
				if (!(m & quote_bits[k]) || (ran & 1u << k))
					continue;
				if (scan_js_breakout(s, n, quotes[k], mode, f))
					return 1;
				ran |= 1u << k;
			}
			if ((!decode || (m & (POL_CH_SEMI | POL_CH_PAREN | POL_CH_RBRACE |
			                      POL_CH_PIPE | POL_CH_QMARK | POL_CH_EQUALS))) &&
			    !(ran & 8)) {
				if (scan_js_statement(s, n, mode, f))
					return 1;
				ran |= 8;
			}
		}
	}
	if (scan_whole(s, n, chars, f))
		return 1;
	if ((chars & POL_CH_BRACKET) && scan_js_computed(s, n, f))
		return 1;
	if ((chars & (POL_CH_BRACKET | POL_CH_PAREN | POL_CH_STAR)) && scan_js_member(s, n, f))
		return 1;
	if ((chars & POL_CH_BRACKET) && scan_jsfuck(s, n, f))
		return 1;
	if ((chars & (POL_CH_HIGH | POL_CH_BSLASH | POL_CH_PERCENT)) && scan_7bit(s, n, f))
		return 1;
	if ((chars & (POL_CH_PAREN | POL_CH_BACKTICK)) && scan_js_value(s, n, f))
		return 1;
	if ((chars & POL_CH_BACKTICK) && scan_js_tagged(s, n, f))
		return 1;
	if ((chars & POL_CH_BSLASH) && scan_js_uescape(s, n, f))
		return 1;
	if ((chars & (POL_CH_AMP | POL_CH_LBRACE | POL_CH_PAREN | POL_CH_EQUALS)) ==
	        (POL_CH_AMP | POL_CH_LBRACE | POL_CH_PAREN | POL_CH_EQUALS) &&
	    scan_js_entity(s, n, f))
		return 1;
	if ((chars & (POL_CH_PAREN | POL_CH_COLON | POL_CH_AMP | POL_CH_PERCENT)) &&
	    scan_css(s, n, chars, same_all, f))
		return 1;
	return 0;
}

int pol_detect_xss(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	uint32_t chars = ctx ? ctx->chars : pol_charmask(s, n);
	struct xs_found f;

	/* Hit offsets are 32-bit; the engine's event limit is far below. */
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	/* Script needs markup, a URL scheme, a call or an assignment. */
	if (n < 3 || !(chars & (POL_CH_LT | POL_CH_COLON | POL_CH_PAREN | POL_CH_BACKTICK |
	                        POL_CH_EQUALS | POL_CH_AMP | POL_CH_PLUS | POL_CH_PERCENT |
	                        POL_CH_BSLASH | POL_CH_HIGH | POL_CH_BRACKET | POL_CH_STAR)))
		return 0;
	if (!detect(s, n, chars, &f))
		return 0;
	if (f.off > n)
		f.off = n;
	if (f.end > n || f.end < f.off)
		f.end = n;
	hit->rule = f.rule;
	hit->category = POL_CAT_XSS;
	hit->severity = f.conf >= 90 ? POL_SEV_CRITICAL : POL_SEV_HIGH;
	hit->confidence = f.conf;
	hit->off = (uint32_t)f.off;
	hit->len = (uint32_t)(f.end - f.off);
	return 1;
}
