/* Strict iterative JSON parser: see json.h for why it is ours. */
#include "json.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vg_time.h"

/* Bytes that end the fast part of a string scan: the quote, the backslash
 * and control characters (which JSON forbids raw inside strings). */
static const uint8_t str_stop[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
    [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
    [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1,
};

/* ---- spare blocks (see json.h) ---- */
#define SPARE_SLOTS 6
#define SPARE_MIN   (128u << 10) /* smaller blocks come cheap from malloc */
#define SPARE_MAX   (4u << 20)
#define SPARE_TOTAL (8u << 20) /* held by one thread, all slots together */

/* Under AddressSanitizer nothing is kept: a block handed out again would
 * hide a stale pointer into it. */
#if defined(__SANITIZE_ADDRESS__)
#define SPARE_KEEP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPARE_KEEP 0
#endif
#endif
#ifndef SPARE_KEEP
#define SPARE_KEEP 1
#endif

struct spare_set {
	void *p[SPARE_SLOTS];
	size_t cap[SPARE_SLOTS];
	unsigned kind[SPARE_SLOTS];
};

static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static bool spare_ready;

static void spare_set_free(void *arg)
{
	struct spare_set *set = arg;
	for (size_t i = 0; i < SPARE_SLOTS; i++)
		free(set->p[i]);
	free(set);
}

static void spare_init(void)
{
	spare_ready = pthread_key_create(&spare_key, spare_set_free) == 0;
}

static struct spare_set *spare_set_get(bool create)
{
	pthread_once(&spare_once, spare_init);
	if (!spare_ready)
		return NULL;
	struct spare_set *set = pthread_getspecific(spare_key);
	if (!set && create && (set = calloc(1, sizeof(*set))) &&
	    pthread_setspecific(spare_key, set) != 0) {
		free(set);
		set = NULL;
	}
	return set;
}

void *pol_spare_take(unsigned kind, size_t want, size_t *cap, bool zero)
{
	struct spare_set *set = want >= SPARE_MIN ? spare_set_get(false) : NULL;
	int best = -1;
	for (int i = 0; set && i < SPARE_SLOTS; i++)
		if (set->p[i] && set->kind[i] == kind && set->cap[i] >= want &&
		    (best < 0 || set->cap[i] < set->cap[best]))
			best = i;
	if (best >= 0) {
		void *p = set->p[best];
		*cap = set->cap[best];
		set->p[best] = NULL;
		return p;
	}
	*cap = want;
	return zero ? calloc(1, want ? want : 1) : malloc(want ? want : 1);
}

void pol_spare_give(unsigned kind, void *p, size_t cap)
{
	struct spare_set *set =
	    SPARE_KEEP && cap >= SPARE_MIN && cap <= SPARE_MAX ? spare_set_get(true) : NULL;
	int at = -1;
	size_t held = 0;
	for (int i = 0; set && i < SPARE_SLOTS; i++)
		held += set->p[i] ? set->cap[i] : 0;
	for (int i = 0; set && i < SPARE_SLOTS; i++) {
		if (!set->p[i]) {
			at = i;
			break;
		}
		if (set->cap[i] < cap && (at < 0 || set->cap[i] < set->cap[at]))
			at = i;
	}
	if (at < 0 || held - (set->p[at] ? set->cap[at] : 0) + cap > SPARE_TOTAL) {
		free(p);
		return;
	}
	free(set->p[at]);
	set->p[at] = p;
	set->cap[at] = cap;
	set->kind[at] = kind;
}

struct parser {
	struct pol_json *d;
	const char *s;
	size_t n, i;
	uint32_t *stack; /* open containers (node indices) */
	size_t depth, stack_cap;
	const char *key; /* member name waiting for its value */
	uint32_t key_len;
	uint32_t max_nodes;
	uint64_t deadline_ns; /* 0: none */
	size_t clocked_at;    /* input offset of the last clock reading */
};

static int fail(struct parser *p, const char *why)
{
	p->d->err = why;
	p->d->err_off = p->i;
	return -EINVAL;
}

static inline void skip_ws(struct parser *p)
{
	while (p->i < p->n) {
		char c = p->s[p->i];
		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			break;
		p->i++;
	}
}

static int node_add(struct parser *p, uint8_t type, uint32_t *out)
{
	struct pol_json *d = p->d;
	if (d->n >= p->max_nodes) {
		d->err = "too many values";
		d->err_off = p->i;
		return -EFBIG;
	}
	/* read the clock every 64 KB of input: a few microseconds of parsing */
	if (p->deadline_ns && p->i - p->clocked_at > (64u << 10)) {
		p->clocked_at = p->i;
		if (vg_mono_ns() > p->deadline_ns) {
			d->err = "out of time";
			d->err_off = p->i;
			return -ETIME;
		}
	}
	if (!d->nodes) {
		/* start near what typical events need (a value per 16 bytes),
		 * so that big events do not copy their nodes many times */
		size_t want = p->n / 16 + 64, got;
		if (want > p->max_nodes)
			want = p->max_nodes;
		d->nodes = pol_spare_take(POL_SPARE_JSON, want * sizeof(*d->nodes), &got, false);
		if (!d->nodes)
			return -ENOMEM;
		got /= sizeof(*d->nodes);
		d->cap = (uint32_t)(got < UINT32_MAX / 2 ? got : UINT32_MAX / 2);
	}
	if (d->n == d->cap) {
		uint32_t cap = d->cap * 2;
		if (cap > p->max_nodes)
			cap = p->max_nodes;
		if (cap < d->cap || cap > UINT32_MAX / 2)
			return -ENOMEM;
		struct pol_jnode *nn = realloc(d->nodes, (size_t)cap * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		d->nodes = nn;
		d->cap = cap;
	}
	struct pol_jnode *nd = &d->nodes[d->n];
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	nd->key = p->key;
	nd->key_len = p->key_len;
	nd->src_off = (uint32_t)p->i;
	nd->end = d->n + 1;
	p->key = NULL;
	p->key_len = 0;
	if (p->depth)
		d->nodes[p->stack[p->depth - 1]].count++;
	*out = d->n++;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_u16(struct parser *p, unsigned *out)
{
	if (p->n - p->i < 4)
		return fail(p, "truncated \\u escape");
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(p->s[p->i + k]);
		if (h < 0)
			return fail(p, "bad \\u escape");
		v = v << 4 | (unsigned)h;
	}
	p->i += 4;
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Finding the end of a string's plain run is most of the parser's work on
 * big events: with SSE2 (every x86-64) sixteen bytes are judged at once;
 * elsewhere eight, by arithmetic on a word. */
#if defined(__SSE2__)
#include <emmintrin.h>
#define CHUNK 16

/* Bit k set when byte k of s[0..16) is a quote, a backslash or a control
 * byte. */
static inline unsigned chunk_stops(const char *s, __m128i *out)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
	__m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
	__m128i c = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
	*out = v;
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c));
}

static inline void chunk_store(char *o, __m128i v)
{
	_mm_storeu_si128((__m128i *)(void *)o, v);
}
#define CHUNK_FIRST(m) ((size_t)__builtin_ctz(m))
#define CHUNK_EXACT    1
#define chunk_t        __m128i
#else
#define CHUNK 8

/* Nonzero when any byte of s[0..8) is a quote, a backslash or a control
 * byte. The lowest flagged byte is exact (those above it may be false
 * alarms), so on little-endian machines its count of trailing zero bits
 * says where the first one is; elsewhere the caller finishes byte by byte. */
static inline uint64_t chunk_stops(const char *s, uint64_t *out)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t v;
	memcpy(&v, s, 8);
	uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
	*out = v;
	return ((q - ones) & ~q & high) | ((b - ones) & ~b & high) |
	       ((v - ones * 0x20) & ~v & high);
}

static inline void chunk_store(char *o, uint64_t v)
{
	memcpy(o, &v, 8);
}
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CHUNK_FIRST(m) ((size_t)__builtin_ctzll(m) >> 3)
#define CHUNK_EXACT    1
#else
#define CHUNK_FIRST(m) ((size_t)0)
#define CHUNK_EXACT    0
#endif
#define chunk_t uint64_t
#endif

/* The offset of the first quote, backslash or control byte in s[i..n), or n. */
static inline size_t find_stop(const char *s, size_t i, size_t n)
{
	for (; n - i >= CHUNK; i += CHUNK) {
		chunk_t v;
		uint64_t m = chunk_stops(s + i, &v);
		if (m) {
			i += CHUNK_FIRST(m);
			if (CHUNK_EXACT)
				return i;
			break;
		}
	}
	while (i < n && !str_stop[(uint8_t)s[i]])
		i++;
	return i;
}

/* Copies s[i..) to o up to the first quote, backslash or control byte (or n)
 * and returns its offset; *op moves past the copy. Whole chunks are stored,
 * up to CHUNK - 1 bytes past the copy: the caller guarantees that o has as
 * many bytes left as s has from i on. */
static inline size_t copy_to_stop(const char *s, size_t i, size_t n, char **op)
{
	char *o = *op;
	for (; n - i >= CHUNK; i += CHUNK, o += CHUNK) {
		chunk_t v;
		uint64_t m = chunk_stops(s + i, &v);
		chunk_store(o, v);
		if (m) {
			size_t k = CHUNK_FIRST(m);
			i += k;
			o += k;
			if (CHUNK_EXACT) {
				*op = o;
				return i;
			}
			break;
		}
	}
	while (i < n && !str_stop[(uint8_t)s[i]])
		*o++ = s[i++];
	*op = o;
	return i;
}

/* What each one-letter escape stands for (0: not one). */
static const char unescape[256] = {
    ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t',
};

/* At i, just past "\u": the code point of the escape (a surrogate pair
 * taken whole, a lone surrogate as U+FFFD) in *cp; p->i moves past it. */
static int read_unicode(struct parser *p, unsigned *cp)
{
	unsigned lo;
	int r = read_u16(p, cp);
	if (r)
		return r;
	if (*cp >= 0xd800 && *cp < 0xdc00 && p->n - p->i >= 6 && p->s[p->i] == '\\' &&
	    p->s[p->i + 1] == 'u') {
		size_t save = p->i;
		p->i += 2;
		if (read_u16(p, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
			*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
		} else {
			p->i = save; /* lone high surrogate; the next escape stands alone */
			p->d->err = NULL;
			*cp = 0xfffd;
		}
	} else if (*cp >= 0xd800 && *cp < 0xe000) {
		*cp = 0xfffd; /* lone surrogate: what decoders substitute */
	}
	return 0;
}

/* At the opening quote. A string without escapes points into the input; one
 * with escapes is decoded into the arena (never longer than its source, so
 * the arena sized by the input always has room). */
static int parse_string(struct parser *p, const char **out, uint32_t *out_len)
{
	const char *s = p->s;
	size_t n = p->n, start = p->i + 1;
	size_t i = find_stop(s, start, n);
	if (i >= n) {
		p->i = i;
		return fail(p, "unterminated string");
	}
	if (s[i] == '"') {
		*out = s + start;
		*out_len = (uint32_t)(i - start);
		p->i = i + 1;
		return 0;
	}
	struct pol_json *d = p->d;
	char *o = d->text + d->text_len, *o0 = o;
	memcpy(o, s + start, i - start);
	o += i - start;
	for (;;) {
		/* at a quote, a backslash or a control byte */
		unsigned char c = (unsigned char)s[i];
		if (c == '"')
			break;
		if (c < 0x20) {
			p->i = i;
			return fail(p, "control character in string");
		}
		if (++i >= n) {
			p->i = i;
			return fail(p, "unterminated string");
		}
		char e = unescape[(unsigned char)s[i]];
		if (e) {
			*o++ = e;
			i++;
		} else if (s[i] == 'u') {
			unsigned cp;
			p->i = i + 1;
			int r = read_unicode(p, &cp);
			if (r)
				return r;
			i = p->i;
			/* A \uXXXX escape is 6 bytes: its UTF-8 (at most 3, or 4 for
			 * a 12-byte pair) always fits in the space it took. */
			o += put_utf8(o, cp);
		} else {
			p->i = i;
			return fail(p, "bad escape in string");
		}
		/* A run of plain bytes up to the next quote, escape or control
		 * byte. The arena holds n bytes and the output so far (of every
		 * string) is no longer than the input read so far, so o has room
		 * for what is left of the input. */
		i = copy_to_stop(s, i, n, &o);
		if (i >= n) {
			p->i = i;
			return fail(p, "unterminated string");
		}
	}
	p->i = i + 1;
	*out = o0;
	*out_len = (uint32_t)(o - o0);
	d->text_len += (size_t)(o - o0);
	return 0;
}

static int parse_number(struct parser *p)
{
	size_t i = p->i;
	const char *s = p->s;
	if (i < p->n && s[i] == '-')
		i++;
	if (i >= p->n)
		goto bad;
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < p->n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		goto bad;
	}
	if (i < p->n && s[i] == '.') {
		i++;
		if (i >= p->n || s[i] < '0' || s[i] > '9')
			goto bad;
		while (i < p->n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < p->n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < p->n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= p->n || s[i] < '0' || s[i] > '9')
			goto bad;
		while (i < p->n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	p->i = i;
	return 0;
bad:
	p->i = i;
	return fail(p, "bad number");
}

static int literal(struct parser *p, const char *lit, size_t len)
{
	if (p->n - p->i < len || memcmp(p->s + p->i, lit, len) != 0)
		return fail(p, "unexpected character");
	p->i += len;
	return 0;
}

static int push(struct parser *p, uint32_t idx)
{
	if (p->depth == p->stack_cap) {
		size_t cap = p->stack_cap ? p->stack_cap * 2 : 32;
		uint32_t *ns = realloc(p->stack, cap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		p->stack = ns;
		p->stack_cap = cap;
	}
	p->stack[p->depth++] = idx;
	return 0;
}

static int parse_key(struct parser *p)
{
	skip_ws(p);
	if (p->i >= p->n || p->s[p->i] != '"')
		return fail(p, "expected a member name");
	int r = parse_string(p, &p->key, &p->key_len);
	if (r)
		return r;
	skip_ws(p);
	if (p->i >= p->n || p->s[p->i] != ':')
		return fail(p, "expected ':'");
	p->i++;
	return 0;
}

static int parse(struct parser *p)
{
	struct pol_json *d = p->d;
	uint32_t idx;
	int r;
value:
	skip_ws(p);
	if (p->i >= p->n)
		return fail(p, "unexpected end of input");
	switch (p->s[p->i]) {
	case '{':
	case '[': {
		bool obj = p->s[p->i] == '{';
		if ((r = node_add(p, obj ? POL_J_OBJ : POL_J_ARR, &idx)) || (r = push(p, idx)))
			return r;
		p->i++;
		skip_ws(p);
		if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']'))
			goto close;
		if (obj && (r = parse_key(p)))
			return r;
		goto value;
	}
	case '"': {
		if ((r = node_add(p, POL_J_STR, &idx)))
			return r;
		const char *str;
		uint32_t len;
		if ((r = parse_string(p, &str, &len)))
			return r;
		d->nodes[idx].str = str;
		d->nodes[idx].len = len;
		break;
	}
	case 't':
		if ((r = node_add(p, POL_J_TRUE, &idx)) || (r = literal(p, "true", 4)))
			return r;
		break;
	case 'f':
		if ((r = node_add(p, POL_J_FALSE, &idx)) || (r = literal(p, "false", 5)))
			return r;
		break;
	case 'n':
		if ((r = node_add(p, POL_J_NULL, &idx)) || (r = literal(p, "null", 4)))
			return r;
		break;
	default:
		if ((r = node_add(p, POL_J_NUM, &idx)) || (r = parse_number(p)))
			return r;
		d->nodes[idx].str = p->s + d->nodes[idx].src_off;
		d->nodes[idx].len = (uint32_t)(p->i - d->nodes[idx].src_off);
		break;
	}
	d->nodes[idx].src_end = (uint32_t)p->i;
after:
	if (p->depth == 0) {
		skip_ws(p);
		return p->i == p->n ? 0 : fail(p, "trailing bytes after the value");
	}
	skip_ws(p);
	if (p->i >= p->n)
		return fail(p, "unexpected end of input");
	{
		uint32_t top = p->stack[p->depth - 1];
		bool obj = d->nodes[top].type == POL_J_OBJ;
		char c = p->s[p->i];
		if (c == ',') {
			p->i++;
			if (obj && (r = parse_key(p)))
				return r;
			goto value;
		}
		if (c != (obj ? '}' : ']'))
			return fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
close:
	idx = p->stack[--p->depth];
	p->i++;
	d->nodes[idx].end = d->n;
	d->nodes[idx].src_end = (uint32_t)p->i;
	goto after;
}

int pol_json_parse(struct pol_json *d, const char *s, size_t n)
{
	return pol_json_parse_max(d, s, n, UINT32_MAX / 2);
}

int pol_json_parse_max(struct pol_json *d, const char *s, size_t n, uint32_t max_nodes)
{
	return pol_json_parse_until(d, s, n, max_nodes, 0);
}

int pol_json_parse_until(struct pol_json *d, const char *s, size_t n, uint32_t max_nodes,
                         uint64_t deadline_ns)
{
	memset(d, 0, sizeof(*d));
	if (n >= UINT32_MAX) {
		d->err = "document too large";
		return -EINVAL;
	}
	d->text = pol_spare_take(POL_SPARE_JSON, n ? n : 1, &d->text_cap, false);
	if (!d->text)
		return -ENOMEM;
	struct parser p = {.d = d,
	                   .s = s,
	                   .n = n,
	                   .max_nodes = max_nodes ? max_nodes : 1,
	                   .deadline_ns = deadline_ns};
	int r = parse(&p);
	free(p.stack);
	return r;
}

void pol_json_fini(struct pol_json *d)
{
	if (d->nodes)
		pol_spare_give(POL_SPARE_JSON, d->nodes, (size_t)d->cap * sizeof(*d->nodes));
	if (d->text)
		pol_spare_give(POL_SPARE_JSON, d->text, d->text_cap);
	d->nodes = NULL;
	d->text = NULL;
	d->n = d->cap = 0;
}

int64_t pol_json_get(const struct pol_json *d, uint32_t obj, const char *key)
{
	return pol_json_getn(d, obj, key, strlen(key));
}

int64_t pol_json_getn(const struct pol_json *d, uint32_t obj, const char *key, size_t kl)
{
	if (obj >= d->n || d->nodes[obj].type != POL_J_OBJ)
		return -1;
	for (uint32_t c = obj + 1; c < d->nodes[obj].end; c = d->nodes[c].end)
		if (d->nodes[c].key_len == kl && memcmp(d->nodes[c].key, key, kl) == 0)
			return c;
	return -1;
}

int64_t pol_json_get_ci(const struct pol_json *d, uint32_t obj, const char *key)
{
	if (obj >= d->n || d->nodes[obj].type != POL_J_OBJ)
		return -1;
	size_t kl = strlen(key);
	for (uint32_t c = obj + 1; c < d->nodes[obj].end; c = d->nodes[c].end)
		if (d->nodes[c].key_len == kl && strncasecmp(d->nodes[c].key, key, kl) == 0)
			return c;
	return -1;
}

const char *pol_json_get_str(const struct pol_json *d, uint32_t obj, const char *key, size_t *len)
{
	int64_t c = pol_json_get(d, obj, key);
	if (c < 0 || d->nodes[c].type != POL_J_STR)
		return NULL;
	*len = d->nodes[c].len;
	return d->nodes[c].str;
}

unsigned pol_json_line(const char *s, size_t n, size_t off)
{
	unsigned line = 1;
	for (size_t i = 0; i < off && i < n; i++)
		line += s[i] == '\n';
	return line;
}
