/* Detector: deserialization (serialized objects where data is expected).
 *
 * Each serializer has a grammar its attacks must follow, so we look for
 * that grammar, not for payloads:
 *   - binary streams by their headers: Java (AC ED 00 05), .NET
 *     BinaryFormatter (00 01 00 00 00 FF FF FF FF), Python pickle (80 0N ...
 *     with GLOBAL and REDUCE opcodes), Ruby Marshal (04 08 with objects),
 *     LosFormatter (FF 01 32);
 *   - the same streams base64-encoded, and gzip-then-base64 (H4sI): base64
 *     runs are decoded (only a prefix, into a fixed stack buffer) and
 *     inflated (a bounded output, zlib allocating from a stack arena);
 *   - text serializers: PHP (O:8:"stdClass":1:{...}), node-serialize
 *     (_$$ND_FUNC$$_), YAML language tags (!!python/object/apply:,
 *     !ruby/object:), Python text pickles (cos\nsystem\n);
 *   - polymorphic type hints in JSON and XML (@type, @class, $type,
 *     XMLDecoder's <object class=...>) naming a class, and the well-known
 *     gadget classes (InvokerTransformer, TemplatesImpl, JdbcRowSetImpl,
 *     ObjectDataProvider, ...).
 * Every scan is linear; decoding looks at most DSR_B64_PREFIX characters of
 * each base64 run, and each run is visited once.
 */
#include <string.h>
#include <zlib.h>

#include "detect.h"
#include "detect_chars.h"
#include "vec16.h"

#define DSR_B64_MIN    12          /* shorter runs are words, not blobs */
#define DSR_FRAG_MIN   9           /* base64 of the shortest class word */
#define DSR_FRAG_MAX   64          /* longer runs are blobs, judged by header */
#define DSR_NAME_SEGS  16          /* segments of a dotted name looked at */
#define DSR_B64_PREFIX 256         /* characters of a run decoded to look for a header */
#define DSR_GZ_IN      3072        /* bytes of a gzip stream fed to inflate */
#define DSR_GZ_OUT     512         /* bytes inflated: enough to see a header */
#define DSR_ARENA      (16 * 1024) /* zlib's state and a 512-byte window */
#define DSR_VEC_MIN    64          /* shorter inputs are scanned a byte at a time */

enum dsr_kind {
	DSR_NONE,
	DSR_REDUCE_TEXT, /* __reduce__ in text */
	DSR_GADGET_NAME, /* a gadget class named in passing */
	DSR_CLASS_VALUE, /* the whole input is a class of a dangerous package */
	DSR_GADGET_B64,  /* a base64 fragment spelling a gadget class */
	DSR_TYPE_HINT,   /* polymorphic type hint naming a class */
	DSR_MARSHAL,     /* Ruby Marshal object */
	DSR_VIEWSTATE,   /* LosFormatter wrapping BinaryFormatter */
	DSR_PICKLE_DATA, /* pickle without code-calling opcodes */
	DSR_PHP_OBJECT,
	DSR_JAVA_HEX,     /* aced0005 spelled in hex */
	DSR_GADGET_TYPED, /* a gadget class in a type hint or object element */
	DSR_YAML_TAG,
	DSR_PICKLE, /* pickle that imports and calls */
	DSR_NODE,   /* node-serialize function */
	DSR_DOTNET,
	DSR_JAVA,
};

static const struct {
	const char *rule;
	enum pol_severity sev;
	uint8_t conf;
} dsr_rules[] = {
    [DSR_NONE] = {NULL, POL_SEV_INFO, 0},
    [DSR_REDUCE_TEXT] = {"deserialization.python_reduce", POL_SEV_MEDIUM, 65},
    [DSR_GADGET_NAME] = {"deserialization.gadget_class", POL_SEV_HIGH, 80},
    [DSR_CLASS_VALUE] = {"deserialization.class_name", POL_SEV_HIGH, 75},
    [DSR_GADGET_B64] = {"deserialization.gadget_class_base64", POL_SEV_HIGH, 80},
    [DSR_TYPE_HINT] = {"deserialization.type_hint", POL_SEV_HIGH, 80},
    [DSR_MARSHAL] = {"deserialization.ruby_marshal", POL_SEV_HIGH, 80},
    [DSR_VIEWSTATE] = {"deserialization.losformatter", POL_SEV_HIGH, 85},
    [DSR_PICKLE_DATA] = {"deserialization.python_pickle_data", POL_SEV_HIGH, 80},
    [DSR_PHP_OBJECT] = {"deserialization.php_object", POL_SEV_CRITICAL, 92},
    [DSR_JAVA_HEX] = {"deserialization.java_serialized_hex", POL_SEV_HIGH, 90},
    [DSR_GADGET_TYPED] = {"deserialization.gadget_type", POL_SEV_CRITICAL, 95},
    [DSR_YAML_TAG] = {"deserialization.yaml_language_tag", POL_SEV_CRITICAL, 95},
    [DSR_PICKLE] = {"deserialization.python_pickle", POL_SEV_CRITICAL, 95},
    [DSR_NODE] = {"deserialization.node_serialize", POL_SEV_CRITICAL, 97},
    [DSR_DOTNET] = {"deserialization.dotnet_binaryformatter", POL_SEV_CRITICAL, 97},
    [DSR_JAVA] = {"deserialization.java_serialized", POL_SEV_CRITICAL, 97},
};

struct dsr_best {
	enum dsr_kind kind;
	size_t off, end;
};

/* Where findings in a decoded buffer are reported: the span of the
 * original input it came from. */
struct dsr_span {
	size_t off, end;
	int decoded;
};

static void note(struct dsr_best *b, enum dsr_kind k, const struct dsr_span *sp, size_t off,
                 size_t end)
{
	if (k <= b->kind)
		return;
	b->kind = k;
	b->off = sp->decoded ? sp->off : off;
	b->end = sp->decoded ? sp->end : end;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int has(const char *s, size_t n, size_t i, const char *w)
{
	size_t k = strlen(w);
	return i <= n && n - i >= k && memcmp(s + i, w, k) == 0;
}

/* Like has(), but each byte of s may also be spelled \uXXXX or \xHH, as
 * JavaScript and JSON parsers will decode it (node-serialize payloads hide
 * their marker that way). Returns the end of the match or 0. */
static size_t has_escaped(const char *s, size_t n, size_t i, const char *w)
{
	for (; *w; w++) {
		if (i >= n)
			return 0;
		int c = (unsigned char)s[i];
		size_t len = 1;
		if (c == '\\' && i + 1 < n && (s[i + 1] == 'u' || s[i + 1] == 'x')) {
			size_t digits = s[i + 1] == 'u' ? 4 : 2;
			int v = 0;
			if (i + 2 + digits > n)
				return 0;
			for (size_t k = 0; k < digits; k++) {
				int h = ch_hexval((unsigned char)s[i + 2 + k]);
				if (h < 0)
					return 0;
				v = v * 16 + h;
			}
			c = v;
			len = 2 + digits;
		}
		if (c != (unsigned char)*w)
			return 0;
		i += len;
	}
	return i;
}

/* ---- binary headers ------------------------------------------------- */

static const unsigned char java_magic[4] = {0xac, 0xed, 0x00, 0x05};
static const unsigned char dotnet_magic[9] = {0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff};

static int text_scan(const char *s, size_t n, const struct dsr_span *sp, struct dsr_best *b);
static int text_pickle(const char *s, size_t n, size_t i);
static void gzip_b64_scan(const char *b64, size_t b64len, const struct dsr_span *sp,
                          struct dsr_best *b);
static void decoded_scan(const unsigned char *d, size_t n, const struct dsr_span *sp,
                         struct dsr_best *b, const char *b64, size_t b64len);

/* A pickle: protocol 2-5 header, then does it import (GLOBAL 'c',
 * STACK_GLOBAL 0x93, INST 'i') and call (REDUCE 'R', OBJ 'o', BUILD 'b')? */
static enum dsr_kind pickle_kind(const unsigned char *d, size_t n)
{
	if (n < 3 || d[0] != 0x80 || d[1] < 2 || d[1] > 5)
		return DSR_NONE;
	int imports = 0, calls = 0;
	for (size_t i = 2; i < n; i++) {
		if (d[i] == 0x93 ||
		    (d[i] == 'c' && i + 1 < n && d[i + 1] >= 'a' && d[i + 1] <= 'z'))
			imports = 1;
		if (imports && (d[i] == 'R' || d[i] == 0x81 || d[i] == 'o'))
			calls = 1;
	}
	return imports && calls ? DSR_PICKLE : DSR_PICKLE_DATA;
}

/* A Ruby Marshal 4.8 stream holding an object ('o' + symbol ':' + name). */
static enum dsr_kind marshal_kind(const unsigned char *d, size_t n)
{
	if (n < 4 || d[0] != 0x04 || d[1] != 0x08)
		return DSR_NONE;
	for (size_t i = 2; i + 2 < n; i++)
		if (d[i] == 'o' && d[i + 1] == ':' && d[i + 3 < n ? i + 3 : i + 2] >= 'A' &&
		    d[i + 3 < n ? i + 3 : i + 2] <= 'Z')
			return DSR_MARSHAL;
	return DSR_NONE;
}

/* Headers at the start of a decoded buffer (or of a raw binary input). */
static void header_scan(const unsigned char *d, size_t n, const struct dsr_span *sp,
                        struct dsr_best *b)
{
	if (n >= 4 && memcmp(d, java_magic, 4) == 0)
		note(b, DSR_JAVA, sp, 0, n);
	else if (n >= 9 && memcmp(d, dotnet_magic, 9) == 0)
		note(b, DSR_DOTNET, sp, 0, n);
	else if (n >= 3 && d[0] == 0xff && d[1] == 0x01 && d[2] == 0x32)
		note(b, DSR_VIEWSTATE, sp, 0, n);
	else if (n >= 8 && d[0] == 'c' && text_pickle((const char *)d, n, 0))
		note(b, DSR_PICKLE, sp, 0, n); /* protocols 0 and 1 */
	else
		note(b, pickle_kind(d, n), sp, 0, n);
	note(b, marshal_kind(d, n), sp, 0, n);
}

/* ---- gzip, inflated from a stack arena ------------------------------ */

struct dsr_arena {
	unsigned char mem[DSR_ARENA];
	size_t used;
};

static voidpf arena_alloc(voidpf opaque, uInt items, uInt size)
{
	struct dsr_arena *a = opaque;
	size_t want = (size_t)items * size;
	want = (want + 15) & ~(size_t)15;
	if (want > sizeof(a->mem) - a->used)
		return Z_NULL;
	void *p = a->mem + a->used;
	a->used += want;
	return p;
}

static void arena_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	(void)p;
}

/* Inflates the start of a gzip stream and scans what comes out. A 512-byte
 * window suffices: back-references cannot reach before the first 512
 * bytes of output, which is all we ask for. */
/* noinline: its 17 KB of stack scratch must not become every call's frame */
static __attribute__((noinline)) void gzip_scan(const unsigned char *d, size_t n,
                                                const struct dsr_span *sp, struct dsr_best *b)
{
	struct dsr_arena arena;
	unsigned char out[DSR_GZ_OUT];
	z_stream z;
	memset(&z, 0, sizeof(z));
	arena.used = 0;
	z.zalloc = arena_alloc;
	z.zfree = arena_free;
	z.opaque = &arena;
	if (inflateInit2(&z, 16 + 9) != Z_OK)
		return;
	z.next_in = (Bytef *)d;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = sizeof(out);
	int rc = inflate(&z, Z_SYNC_FLUSH);
	size_t got = sizeof(out) - z.avail_out;
	inflateEnd(&z);
	if ((rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) && got > 0)
		decoded_scan(out, got, sp, b, NULL, 0);
}

/* ---- base64 --------------------------------------------------------- */

/* Decodes up to cap bytes from the base64 text s[0..n) (stops at '=' or
 * any other byte); returns the number of bytes written. */
static size_t b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n && o < cap; i++) {
		int v = ch_b64val((unsigned char)s[i]);
		if (v < 0)
			break;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

/* Base64 of AC ED 00 05 at the three byte alignments: a Java stream may be
 * embedded anywhere in a larger blob. */
static inline __attribute__((always_inline)) int java_b64_inside(const char *s, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++) {
		if (s[i + 3] != 'A') /* the fourth byte of all three */
			continue;
		switch (s[i]) {
		case 'r':
			if (memcmp(s + i, "rO0AB", 5) == 0)
				return 1;
			break;
		case 'K':
			if (memcmp(s + i, "KztAA", 5) == 0)
				return 1;
			break;
		case 's':
			if (memcmp(s + i, "s7QAF", 5) == 0)
				return 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

static int b64_fragment(const char *s, size_t n);

/* One base64-looking run s[0..n) at off of the input; whole: the run is
 * all the input holds, or all a quoted string or an element's text in it
 * holds. */
static inline __attribute__((always_inline)) void b64_run_at(const char *s, size_t n, size_t off,
                                                             int whole, struct dsr_best *b)
{
	struct dsr_span sp = {off, off + n, 1};
	if (java_b64_inside(s, n)) {
		note(b, DSR_JAVA, &sp, 0, 0);
		return;
	}
	/* a fragment cut from a stream arrives as a value or key of its
	 * own (or quoted, as one in a serialized document); among other
	 * text, runs this short are words and identifiers */
	if (whole && n >= DSR_FRAG_MIN && n <= DSR_FRAG_MAX && b64_fragment(s, n))
		note(b, DSR_GADGET_B64, &sp, 0, 0);
	if (n < DSR_B64_MIN)
		return;
	unsigned char buf[DSR_B64_PREFIX * 3 / 4];
	size_t len = b64_decode(s, n < DSR_B64_PREFIX ? n : DSR_B64_PREFIX, buf, sizeof(buf));
	decoded_scan(buf, len, &sp, b, s, n);
}

/* Scans a decoded buffer: headers, gzip, and the text grammars (the decoded
 * text is not base64-decoded again). */
static void decoded_scan(const unsigned char *d, size_t n, const struct dsr_span *sp,
                         struct dsr_best *b, const char *b64, size_t b64len)
{
	header_scan(d, n, sp, b);
	if (b64 && n >= 3 && d[0] == 0x1f && d[1] == 0x8b && d[2] == 0x08)
		gzip_b64_scan(b64, b64len, sp, b);
	/* text inside: only if it looks like text, so random bytes of images
	 * and tokens cannot spell a grammar by accident */
	size_t printable = 0;
	for (size_t i = 0; i < n; i++)
		printable +=
		    (d[i] >= 0x20 && d[i] < 0x7f) || d[i] == '\n' || d[i] == '\r' || d[i] == '\t';
	if (n >= 8 && printable * 10 >= n * 9)
		text_scan((const char *)d, n, sp, b);
}

/* A gzip stream in base64: decode more of it (the header alone does not
 * inflate), then inflate. */
static __attribute__((noinline)) void gzip_b64_scan(const char *b64, size_t b64len,
                                                    const struct dsr_span *sp, struct dsr_best *b)
{
	unsigned char gz[DSR_GZ_IN];
	size_t gl = b64_decode(b64, b64len < DSR_GZ_IN * 4 / 3 ? b64len : DSR_GZ_IN * 4 / 3, gz,
	                       sizeof(gz));
	gzip_scan(gz, gl, sp, b);
}

/* Every base64-looking run of the input, each visited once. */
enum { B64_DIGIT = 1, B64_UPPER = 2, B64_LOWER = 4, B64_NUM = 8, B64_PAD = 16 /* = */ };
static uint8_t b64_class[256]; /* B64_* bits of each byte, filled before main() */

static void __attribute__((constructor)) b64_class_init(void)
{
	for (int c = 0; c < 256; c++)
		b64_class[c] = (uint8_t)((ch_is_alnum(c) || c == '+' || c == '-' || c == '/' ||
		                                  c == '_' || c == '='
		                              ? B64_DIGIT
		                              : 0) |
		                         (c >= 'A' && c <= 'Z' ? B64_UPPER : 0) |
		                         (c >= 'a' && c <= 'z' ? B64_LOWER : 0) |
		                         (ch_is_digit(c) ? B64_NUM : 0) | (c == '=' ? B64_PAD : 0));
}

/* Does a run between these two bytes stand as a value of its own: a quoted
 * string, or the text of an XML element? */
static int delimited(char before, char after)
{
	return ((before == '"' || before == '\'') && after == before) ||
	       (before == '>' && after == '<');
}

/* Is the run s[i..j) one name=value pair of a form body, query string or
 * cookie header carried whole ("test=...", "a=1&test=...; k=...")? */
static int pair_delimited(const char *s, size_t n, size_t i, size_t j)
{
	int before = i ? s[i - 1] : '&', after = j < n ? s[j] : '&';
	return (before == '&' || before == ';' || before == ' ' || before == '?') &&
	       (after == '&' || after == ';');
}

/* The name and the value of a pair s[i..j) (split at its first '=', the
 * value's padding kept) judged as fragments of their own: what a form
 * parser hands the function. */
static void b64_pair(const char *s, size_t i, size_t j, struct dsr_best *b)
{
	const char *eq = memchr(s + i, '=', j - i);
	if (!eq || eq == s + i || eq + 1 >= s + j || eq[1] == '=')
		return; /* no pair, or only padding */
	size_t p = (size_t)(eq - s);
	if (p - i >= DSR_FRAG_MIN && p - i <= DSR_FRAG_MAX && b64_fragment(s + i, p - i)) {
		struct dsr_span sp = {i, p, 1};
		note(b, DSR_GADGET_B64, &sp, 0, 0);
		return;
	}
	size_t v = p + 1, e = j;
	while (e > v && s[e - 1] == '=')
		e--;
	if (e - v >= DSR_FRAG_MIN && e - v <= DSR_FRAG_MAX && b64_fragment(s + v, e - v)) {
		struct dsr_span sp = {v, j, 1};
		note(b, DSR_GADGET_B64, &sp, 0, 0);
	}
}

/* b64_run_at, out of line: for b64_scan_vec. */
static __attribute__((noinline)) void b64_run(const char *s, size_t n, size_t off, int whole,
                                              struct dsr_best *b)
{
	b64_run_at(s, n, off, whole, b);
}

/* One run s[i..j) of base64 digits holding the b64_class bits seen: judged
 * whole, and as a name=value pair. Returns 1 when the scan may stop. */
static inline __attribute__((always_inline)) int
b64_judge(const char *s, size_t n, size_t i, size_t j, unsigned seen, struct dsr_best *b)
{
	/* a run of one letter case is a word or a hex string, not base64 */
	if (j - i >= 5 && (seen & B64_UPPER) && (seen & (B64_LOWER | B64_NUM)))
		b64_run(s + i, j - i, i, i == 0 ? j == n : j < n && delimited(s[i - 1], s[j]), b);
	if (b->kind >= DSR_JAVA)
		return 1;
	/* pair_delimited() wants the run to end the input or at '&' or ';' */
	if ((seen & B64_PAD) && (j >= n || s[j] == '&' || s[j] == ';') &&
	    b->kind < DSR_GADGET_B64 && pair_delimited(s, n, i, j))
		b64_pair(s, i, j, b);
	return 0;
}

/* b64_judge, when it can note anything: a run of five or more holding
 * upper case and lower case or digits, or a run holding '='. The scan
 * runs while b->kind < DSR_JAVA, which a run not judged leaves so. */
static inline int b64_one(const char *s, size_t n, size_t i, size_t j, unsigned seen,
                          struct dsr_best *b)
{
	if ((j - i >= 5 && (seen & B64_UPPER) && (seen & (B64_LOWER | B64_NUM))) ||
	    (seen & B64_PAD))
		return b64_judge(s, n, i, j, seen, b);
	return 0;
}

/* The scans below classify 32 bytes at a time (two sixteens), a bit per
 * byte. */
#define DSR_BLK 32

/* The DSR_BLK bytes from u + k (n >= DSR_BLK) for a classifier: in place,
 * or past the end the DSR_BLK before the end, with *sh set to the bits to
 * shift the classes right by so that bytes past the end are in none. */
static inline const unsigned char *dsr_block(const unsigned char *u, size_t k, size_t n,
                                             unsigned *sh)
{
	*sh = 0;
	if (n - k >= DSR_BLK)
		return u + k;
	*sh = (unsigned)(DSR_BLK - (n - k));
	return u + n - DSR_BLK;
}

static void b64_scan_vec(const char *s, size_t n, struct dsr_best *b);

/* Every run of base64 digits, in order: a short input a byte at a time,
 * a longer one by b64_scan_vec. */
static void b64_scan(const char *s, size_t n, struct dsr_best *b)
{
	if (n >= DSR_VEC_MIN) {
		b64_scan_vec(s, n, b);
		return;
	}
	size_t i = 0;
	while (i < n) {
		if (!(b64_class[(unsigned char)s[i]] & B64_DIGIT)) {
			i++;
			continue;
		}
		size_t j = i;
		unsigned seen = 0;
		while (j < n && (b64_class[(unsigned char)s[j]] & B64_DIGIT))
			seen |= b64_class[(unsigned char)s[j++]];
		/* a run of one letter case is a word or a hex string, not base64 */
		if (j - i >= 5 && (seen & B64_UPPER) && (seen & (B64_LOWER | B64_NUM)))
			b64_run_at(s + i, j - i, i,
			           i == 0 ? j == n : j < n && delimited(s[i - 1], s[j]), b);
		if (b->kind >= DSR_JAVA)
			return;
		if ((seen & B64_PAD) && b->kind < DSR_GADGET_B64 && pair_delimited(s, n, i, j))
			b64_pair(s, i, j, b);
		i = j;
	}
}

/* b64_class of the sixteen bytes at p, a bit per byte for each class. */
struct b64_bits {
	unsigned digit, upper, lower, num, pad;
};

static inline struct b64_bits b64_classify16(const unsigned char *p)
{
	pol_v16 v = v16_load(p);
	pol_m16 lo = (pol_m16)((pol_v16)(v - v16_splat('a')) < v16_splat(26));
	pol_m16 up = (pol_m16)((pol_v16)(v - v16_splat('A')) < v16_splat(26));
	pol_m16 dg = (pol_m16)((pol_v16)(v - v16_splat('0')) < v16_splat(10));
	pol_m16 pd = (pol_m16)(v == v16_splat('='));
	pol_m16 other = (pol_m16)(v == v16_splat('+')) | (pol_m16)(v == v16_splat('-')) |
	                (pol_m16)(v == v16_splat('/')) | (pol_m16)(v == v16_splat('_'));
	struct b64_bits c;
	c.digit = v16_bits(lo | up | dg | pd | other);
	c.upper = v16_bits(up);
	c.lower = v16_bits(lo);
	c.num = v16_bits(dg);
	c.pad = v16_bits(pd);
	return c;
}

static inline struct b64_bits b64_classify(const unsigned char *p)
{
	struct b64_bits a = b64_classify16(p), h = b64_classify16(p + 16);
	a.digit |= h.digit << 16;
	a.upper |= h.upper << 16;
	a.lower |= h.lower << 16;
	a.num |= h.num << 16;
	a.pad |= h.pad << 16;
	return a;
}

/* b64_scan of a longer input. Only a run holding an upper-case
 * letter or '=' can be judged (b64_one), so the scan goes DSR_BLK bytes at
 * a time to the next such byte, and from it to the ends of its run. */
static __attribute__((noinline)) void b64_scan_vec(const char *s, size_t n, struct dsr_best *b)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t k = 0; k < n;) {
		unsigned sh;
		struct b64_bits c = b64_classify(dsr_block(u, k, n, &sh));
		if (sh) {
			c.digit >>= sh;
			c.upper >>= sh;
			c.lower >>= sh;
			c.num >>= sh;
			c.pad >>= sh;
		}
		unsigned ev = c.upper | c.pad;
		size_t next = k + DSR_BLK;
		while (ev) {
			size_t q = k + (size_t)__builtin_ctz(ev), i = q, j;
			while (i > 0 && (b64_class[u[i - 1]] & B64_DIGIT))
				i--;
			unsigned rest = ~c.digit >> (q - k) & (0xffffffffu >> (q - k));
			unsigned seen = 0;
			if (rest && i >= k) { /* the run lies in these DSR_BLK bytes */
				j = q + (size_t)__builtin_ctz(rest);
				unsigned run = (0xffffffffu >> (DSR_BLK - (j - i))) << (i - k);
				seen = B64_DIGIT | (c.upper & run ? B64_UPPER : 0) |
				       (c.lower & run ? B64_LOWER : 0) |
				       (c.num & run ? B64_NUM : 0) | (c.pad & run ? B64_PAD : 0);
			} else {
				for (j = i; j < n && (b64_class[u[j]] & B64_DIGIT); j++)
					seen |= b64_class[u[j]];
			}
			if (b64_one(s, n, i, j, seen, b))
				return;
			if (j >= next) {
				next = j;
				break;
			}
			ev &= ~0u << (j - k);
		}
		k = next;
	}
}

/* ---- text grammars -------------------------------------------------- */

/* PHP serialize(): O:<len>:"<class>":<count>:{ (also C: for Serializable);
 * the length must match the class name for unserialize() to accept it. */
static size_t php_object(const char *s, size_t n, size_t i, enum dsr_kind *k)
{
	size_t j = i + 2, len = 0, digits = 0;
	while (j < n && ch_is_digit((unsigned char)s[j]) && digits < 4) {
		len = len * 10 + (size_t)(s[j] - '0');
		j++;
		digits++;
	}
	if (!digits || j + 1 >= n || s[j] != ':' || s[j + 1] != '"')
		return 0;
	size_t name = j + 2;
	if (name + len + 3 > n || s[name + len] != '"' || s[name + len + 1] != ':')
		return 0;
	for (size_t c = name; c < name + len; c++)
		if (!ch_ident_char((unsigned char)s[c]) && s[c] != '\\')
			return 0;
	size_t e = name + len + 2;
	while (e < n && ch_is_digit((unsigned char)s[e]))
		e++;
	if (e + 1 >= n || e == name + len + 2 || s[e] != ':' || s[e + 1] != '{')
		return 0;
	*k = DSR_PHP_OBJECT;
	return e + 2;
}

/* Gadget classes and packages of the public exploit chains (Java, .NET,
 * Ruby), matched case-sensitively at the start of a name. */
static const char *const gadgets[] = {
    "org.apache.commons.collections.functors",
    "org.apache.commons.collections4.functors",
    "org.apache.commons.beanutils.BeanComparator",
    "org.apache.commons.configuration",
    "InvokerTransformer",
    "ChainedTransformer",
    "ConstantTransformer",
    "InstantiateTransformer",
    "InstantiateFactory",
    "CloneTransformer",
    "ForClosure",
    "WhileClosure",
    "PrototypeCloneFactory",
    "PrototypeSerializationFactory",
    "com.sun.org.apache.xalan",
    "TemplatesImpl",
    "com.sun.rowset.JdbcRowSetImpl",
    "JdbcRowSetImpl",
    "org.springframework.beans.factory.config.PropertyPathFactoryBean",
    "org.springframework.beans.factory.ObjectFactory",
    "org.apache.xbean.propertyeditor",
    "com.mchange.v2.c3p0",
    "org.codehaus.groovy.runtime",
    "MethodClosure",
    "ch.qos.logback.core.db.JNDIConnectionSource",
    "org.apache.ibatis.datasource.jndi",
    "br.com.anteros",
    "com.zaxxer.hikari.HikariConfig",
    "BadAttributeValueExpException",
    "sun.reflect.annotation.AnnotationInvocationHandler",
    "AnnotationInvocationHandler",
    "java.rmi.server.UnicastRemoteObject",
    "sun.rmi.server",
    "sun.rmi.transport",
    "com.sun.jndi.rmi",
    "com.sun.jndi.ldap",
    "org.hibernate.property",
    "java.beans.EventHandler",
    "javax.script.ScriptEngineManager",
    "java.net.URLClassLoader",
    "org.mozilla.javascript",
    "bsh.XThis",
    "clojure.core",
    "org.python.core",
    "org.apache.wicket.util.upload",
    "org.apache.tomcat.dbcp",
    "org.apache.commons.dbcp",
    "com.alibaba.fastjson",
    "javax.naming.InitialContext",
    "javax.management.remote",
    "java.lang.ProcessBuilder",
    "java.lang.Runtime",
    "oracle.jdbc.rowset",
    "org.apache.openjpa.ee",
    "org.jboss.util",
    "com.caucho.naming",
    "org.apache.aries.transaction",
    "org.apache.log4j.receivers",
    "com.ibatis.sqlmap",
    "org.apache.shiro.jndi",
    "weblogic.jms",
    "weblogic.rjvm",
    "net.sf.ehcache.transaction",
    "org.apache.cocoon",
    "org.apache.axis2",
    "System.Windows.Data.ObjectDataProvider",
    "ObjectDataProvider",
    "System.Diagnostics.Process",
    "System.Configuration.Install.AssemblyInstaller",
    "System.Windows.Forms.BindingSource",
    "TextFormattingRunProperties",
    "System.Security.Principal.WindowsIdentity",
    "System.Management.Automation",
    "System.Activities.Presentation.WorkflowDesigner",
    "System.Windows.ResourceDictionary",
    "System.Data.Services.Internal.ExpandedWrapper",
    "ExpandedWrapper",
    "System.IdentityModel.Tokens.SessionSecurityToken",
    "TypeConfuseDelegate",
    "ActivitySurrogateSelector",
    "System.Web.Security.RolePrincipal",
    "System.Workflow.ComponentModel",
    "System.Xml.XmlDocument",
    "System.Data.DataSet",
    "Gem::Installer",
    "Gem::Requirement",
    "Gem::StubSpecification",
    "Gem::Source::SpecificFile",
    "Gem::RequestSet",
    "Net::WriteAdapter",
    "Net::BufferedIO",
    "ActiveSupport::Deprecation::DeprecatedInstanceVariableProxy",
    "ActionDispatch::Routing::RouteSet",
    "Rack::Session",
    "Sequel::Model",
};

/* gadgets[] indexes grouped by first byte, built once before main() (as
 * charmask.c builds its table) so that a lookup only tries the few names
 * sharing the first letter. */
static uint8_t gadget_order[COUNT(gadgets)];
static uint8_t gadget_first[257]; /* gadget_order[first[c] .. first[c + 1]) */
static uint8_t gadget_len[COUNT(gadgets)];
/* bit (b & 63): some gadget starting with this byte has b second */
static uint64_t gadget_second[256];
/* bit (b & 63): some gadget starting with this byte has b third */
static uint64_t gadget_third[256];
/* some gadget_second[] has the bit of ':' */
static int gadget_colon_second;

static void __attribute__((constructor)) gadget_index(void)
{
	size_t o = 0;
	for (size_t k = 0; k < COUNT(gadgets); k++) {
		gadget_len[k] = (uint8_t)strlen(gadgets[k]);
		gadget_second[(unsigned char)gadgets[k][0]] |=
		    1ull << ((unsigned char)gadgets[k][1] & 63);
		gadget_third[(unsigned char)gadgets[k][0]] |=
		    1ull << ((unsigned char)gadgets[k][2] & 63);
	}
	for (unsigned c = 0; c < 256; c++) {
		gadget_first[c] = (uint8_t)o;
		for (size_t k = 0; k < COUNT(gadgets); k++)
			if ((unsigned char)gadgets[k][0] == c)
				gadget_order[o++] = (uint8_t)k;
	}
	gadget_first[256] = (uint8_t)o;
	for (unsigned c = 0; c < 256; c++)
		gadget_colon_second |= (int)(gadget_second[c] >> (':' & 63) & 1);
}

/* Length of the gadget name starting at s[i], or 0. */
static size_t gadget_at(const char *s, size_t n, size_t i)
{
	if (i + 1 >= n) /* every name is two bytes or more */
		return 0;
	unsigned c = (unsigned char)s[i];
	if (!(gadget_second[c] >> ((unsigned char)s[i + 1] & 63) & 1))
		return 0; /* no name starts with these two bytes */
	for (size_t o = gadget_first[c]; o < gadget_first[c + 1]; o++) {
		size_t k = gadget_order[o], len = gadget_len[k];
		const char *g = gadgets[k];
		/* every name is three bytes or more: the third is in the input */
		if (n - i >= len && s[i + 1] == g[1] && s[i + 2] == g[2] &&
		    memcmp(s + 3 + i, g + 3, len - 3) == 0)
			return len;
	}
	return 0;
}

/* A Java or .NET class name: dotted identifiers with at least two dots
 * ("com.acme.Type", "System.IO.FileInfo"), fastjson's "Lcom.x.Y;" and
 * array "[com.x.Y" forms included. Returns its length or 0. */
static size_t class_name(const char *s, size_t n, size_t i)
{
	size_t j = i, dots = 0, seg = 0;
	if (j < n && (s[j] == '[' || s[j] == 'L') && j + 1 < n && s[j + 1] >= 'a' &&
	    s[j + 1] <= 'z')
		j++;
	for (; j < n; j++) {
		int c = (unsigned char)s[j];
		if (ch_ident_char(c) || c == '$') {
			if (seg == 0 && ch_is_digit(c))
				return 0; /* Java and .NET names never start with a digit */
			seg++;
		} else if (c == '.' && seg) {
			dots++;
			seg = 0;
		} else {
			break;
		}
	}
	return dots >= 2 && seg ? j - i : 0;
}

/* ---- class names by their segments -------------------------------- */

/* Simple names of the classes public gadget chains are built from, lower
 * case, matched case-insensitively (segments of a dotted name, text inside
 * a base64 fragment). The first DSR_PLAIN_WORDS are the classes every Java
 * chain ends in; they are also ordinary words, so they count only where
 * nothing else is spelled. */
static const char *const class_words[] = {
    "runtime",
    "processbuilder",
    "invokertransformer",
    "chainedtransformer",
    "constanttransformer",
    "instantiatetransformer",
    "instantiatefactory",
    "clonetransformer",
    "forclosure",
    "whileclosure",
    "prototypeclonefactory",
    "prototypeserializationfactory",
    "templatesimpl",
    "jdbcrowsetimpl",
    "annotationinvocationhandler",
    "badattributevalueexpexception",
    "methodclosure",
    "beancomparator",
    "transformedmap",
    "lazymap",
    "objectdataprovider",
};
#define DSR_PLAIN_WORDS 2

static uint8_t class_word_len[COUNT(class_words)];
static uint32_t class_word_lens;      /* bit l: some class word is l bytes long */
static uint8_t class_word_first[256]; /* some class word starts with this byte */

static void __attribute__((constructor)) class_word_init(void)
{
	for (size_t k = 0; k < COUNT(class_words); k++) {
		class_word_len[k] = (uint8_t)strlen(class_words[k]);
		class_word_lens |= 1u << class_word_len[k];
		class_word_first[(unsigned char)class_words[k][0]] = 1;
	}
}

/* The class word that starts at low[i] (already lower case), or -1. */
static int class_word_at(const unsigned char *low, size_t n, size_t i)
{
	for (size_t k = 0; k < COUNT(class_words); k++) {
		size_t len = class_word_len[k];
		if (low[i] == (unsigned char)class_words[k][0] && n - i >= len &&
		    memcmp(low + i, class_words[k], len) == 0)
			return (int)k;
	}
	return -1;
}

/* The class word s[0..n) is, whole and case-insensitively, or -1. */
static int class_word(const char *s, size_t n)
{
	unsigned char low[32];
	if (n >= sizeof(low) || !(class_word_lens & (1u << n)) ||
	    !class_word_first[(unsigned char)ch_lower((unsigned char)s[0])])
		return -1;
	for (size_t i = 0; i < n; i++)
		low[i] = (unsigned char)ch_lower((unsigned char)s[i]);
	int k = class_word_at(low, n, 0);
	return k >= 0 && class_word_len[k] == n ? k : -1;
}

/* A short base64 run, as cut from a larger blob, spelling a gadget class.
 * A fragment may start at any of the four places of a 4-digit group:
 * decoded behind 0 to 3 padding digits, one of the four decodings lines up
 * with the original bytes (the first one or two are then partial). */
static int b64_fragment(const char *s, size_t n)
{
	unsigned char val[DSR_FRAG_MAX], out[(DSR_FRAG_MAX + 3) * 3 / 4 + 1];
	size_t m = 0; /* the digits decoded: up to the first that is none */
	if (n > DSR_FRAG_MAX)
		n = DSR_FRAG_MAX;
	for (int v; m < n && (v = ch_b64val((unsigned char)s[m])) >= 0; m++)
		val[m] = (unsigned char)v;
	/* a letter's top bits are 01, never the zero bits of padding: seven
	 * letters take 56 bits of the fragment's own digits */
	if (m * 6 < 7 * 8)
		return 0;
	for (size_t pad = 0; pad < 4; pad++) {
		/* pad 'A' digits (zero bits), then the fragment's, lower case;
		 * every class word is seven lower-case letters or more, so a
		 * decoding without such a run holds none */
		uint32_t acc = 0;
		int bits = 0;
		size_t len = 0, run = 0, longest = 0;
		for (size_t d = 0; d < pad + m; d++) {
			acc = (acc << 6) | (d < pad ? 0u : val[d - pad]);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				unsigned char c =
				    (unsigned char)ch_lower((unsigned char)(acc >> bits));
				out[len++] = c;
				run = c >= 'a' && c <= 'z' ? run + 1 : 0;
				longest = run > longest ? run : longest;
			}
		}
		if (longest < 7)
			continue;
		for (size_t i = 0; i + 7 <= len; i++) { /* no class word is shorter */
			if (!class_word_first[out[i]])
				continue;
			int k = class_word_at(out, len, i);
			/* runtime and processbuilder: only as all the fragment
			 * holds, give or take the partial bytes at its ends */
			if (k >= DSR_PLAIN_WORDS ||
			    (k >= 0 && len <= (size_t)class_word_len[k] + 3))
				return 1;
		}
	}
	return 0;
}

/* Splits the dotted name at s[i] into segments of Java identifier bytes;
 * returns their number (0 if none) and its end in *end. */
static size_t dotted_name(const char *s, size_t n, size_t i, size_t *seg_off, size_t *seg_len,
                          size_t *end)
{
	size_t k = 0, j = i;
	while (k < DSR_NAME_SEGS) {
		size_t b = j;
		if (j >= n || !(ch_ident_start((unsigned char)s[j]) || s[j] == '$'))
			break;
		while (j < n && (ch_ident_char((unsigned char)s[j]) || s[j] == '$'))
			j++;
		seg_off[k] = b;
		seg_len[k++] = j - b;
		if (j + 1 >= n || s[j] != '.')
			break;
		j++;
	}
	*end = k ? seg_off[k - 1] + seg_len[k - 1] : i;
	return k;
}

/* Any segment of a dotted name is a gadget class ("runtime.forclosure",
 * "x.y.InvokerTransformer"). */
static int dotted_gadget(const char *s, const size_t *seg_off, const size_t *seg_len, size_t k)
{
	for (size_t m = 0; m < k; m++)
		if (class_word(s + seg_off[m], seg_len[m]) >= DSR_PLAIN_WORDS)
			return 1;
	return 0;
}

/* Packages whose classes an attacker names to have them loaded: the JVM's
 * own, and the libraries gadget chains and OGNL tricks run through. */
static const char *const class_roots[] = {
    "java",
    "javax",
    "jdk",
    "sun",
    "com.sun",
    "org.omg",
    "org.apache.commons",
    "org.apache.xalan",
    "org.apache.xbean",
    "org.apache.bcel",
    "com.opensymphony",
    "org.springframework",
    "org.codehaus.groovy",
    "com.mchange",
    "com.alibaba.fastjson",
    "ognl",
    "bsh",
    "groovy",
    "clojure",
};

/* Endings that make a dotted name a host name rather than a class. */
static const char *const host_ends[] = {"com", "net", "org", "io", "edu", "gov", "dev", "app"};

/* The whole input (blanks and quotes around it aside) is a class name: a
 * value the function will hand to Class.forName or a polymorphic
 * deserializer. Prose that mentions a class ("java.lang.String is
 * immutable") is not. */
static void whole_class_span(const char *s, size_t n, size_t i, size_t e, struct dsr_best *b)
{
	while (i < e && (s[i] == ' ' || s[i] == '\t' || s[i] == '"' || s[i] == '\''))
		i++;
	while (e > i &&
	       (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '"' || s[e - 1] == '\''))
		e--;
	size_t off[DSR_NAME_SEGS], len[DSR_NAME_SEGS], end;
	size_t k = dotted_name(s, e, i, off, len, &end);
	if (k < 2 || end != e)
		return;
	struct dsr_span raw = {0, n, 0};
	if (dotted_gadget(s, off, len, k)) {
		note(b, DSR_GADGET_NAME, &raw, i, e);
		return;
	}
	size_t root = 0;
	for (size_t r = 0; r < COUNT(class_roots) && !root; r++) {
		size_t rl = strlen(class_roots[r]);
		if (e - i >= rl && memcmp(s + i, class_roots[r], rl) == 0 &&
		    (i + rl == e || s[i + rl] == '.'))
			root = rl;
	}
	if (!root)
		return;
	const char *last = s + off[k - 1];
	size_t ll = len[k - 1];
	for (size_t h = 0; h < COUNT(host_ends); h++)
		if (ll == strlen(host_ends[h]) && memcmp(last, host_ends[h], ll) == 0)
			return;
	/* a package and a class (java.io.File, java.Runtime), or a package
	 * deep enough to be one (org.apache.commons) */
	if (k >= 3 || (last[0] >= 'A' && last[0] <= 'Z') || class_word(last, ll) >= 0)
		note(b, DSR_CLASS_VALUE, &raw, i, e);
}

static void whole_class_name(const char *s, size_t n, struct dsr_best *b)
{
	whole_class_span(s, n, 0, n, b);
}

/* A form body, query string or cookie header carried whole
 * ("test=java.io.File", "a=1; java.lang.Runtime=x"): each pair's name and
 * value judged as the whole values the form parser hands the function. */
static void pair_class_names(const char *s, size_t n, struct dsr_best *b)
{
	for (size_t i = 0; i < n && b->kind < DSR_CLASS_VALUE;) {
		size_t e = i;
		while (e < n && s[e] != '&' && s[e] != ';')
			e++;
		const char *eq = memchr(s + i, '=', e - i);
		if (eq) {
			size_t p = (size_t)(eq - s);
			whole_class_span(s, n, i, p, b);
			if (b->kind < DSR_CLASS_VALUE)
				whole_class_span(s, n, p + 1, e, b);
		}
		i = e + 1;
	}
}

/* After a JSON key "@type"/"@class"/"$type"/"__type"/"@c": the value. */
static void type_hint(const char *s, size_t n, size_t i, const struct dsr_span *sp,
                      struct dsr_best *b)
{
	size_t j = i;
	while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
		j++;
	if (j >= n || (s[j] != ':' && s[j] != '='))
		return;
	j++;
	while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r' ||
	                 s[j] == '\'' || s[j] == '"'))
		j++;
	if (j >= n)
		return;
	for (size_t k = j; k < n && k < j + 160 && s[k] != '"' && s[k] != '\''; k++)
		if (gadget_at(s, n, k)) {
			note(b, DSR_GADGET_TYPED, sp, i, k);
			return;
		}
	size_t cl = class_name(s, n, j);
	if (cl && !(j + cl < n && s[j + cl] == '/'))
		note(b, DSR_TYPE_HINT, sp, i, j + cl);
}

static const char *const yaml_safe_tags[] = {
    "str",       "int", "float", "bool",  "null",  "map",   "seq",  "binary",
    "timestamp", "set", "omap",  "pairs", "merge", "value", "yaml",
};

/* !!tag or !lang/...: YAML tags that make a loader build language objects. */
static int yaml_tag(const char *s, size_t n, size_t i)
{
	size_t j = i + 1;
	int dbl = j < n && s[j] == '!';
	if (dbl)
		j++;
	if (has(s, n, j, "python/") || has(s, n, j, "ruby/") || has(s, n, j, "perl/") ||
	    has(s, n, j, "php/") || has(s, n, j, "java/"))
		return 1;
	if (has(s, n, j, "<tag:yaml.org,2002:") &&
	    (has(s, n, j + 19, "python/") || has(s, n, j + 19, "ruby/")))
		return 1;
	if (!dbl)
		return 0;
	size_t e = j;
	while (e < n && (ch_ident_char((unsigned char)s[e]) || s[e] == '.' || s[e] == ':'))
		e++;
	while (e > j && (s[e - 1] == '.' || s[e - 1] == ':'))
		e--; /* "recognized as !!bool.": the sentence's full stop */
	if (e == j)
		return 0;
	for (size_t k = 0; k < COUNT(yaml_safe_tags); k++)
		if (e - j == strlen(yaml_safe_tags[k]) && has(s, n, j, yaml_safe_tags[k]))
			return 0;
	for (size_t k = j; k < e; k++)
		if (s[k] == '.') /* !!javax.script.ScriptEngineManager */
			return 1;
	return 0;
}

/* Next REDUCE ('R') at or after from that follows an argument tuple
 * (TUPLE, EMPTY_TUPLE, TUPLE1-3, or one memoised by BINPUT n / PUT n\n);
 * *cache keeps the last answer so that repeated calls stay linear. */
static size_t next_reduce(const char *s, size_t n, size_t from, size_t *cache)
{
	if (*cache != (size_t)-1 && *cache >= from)
		return *cache;
	size_t k = from > 2 ? from : 2;
	for (; k < n; k++) {
		if (s[k] != 'R')
			continue;
		unsigned char p = (unsigned char)s[k - 1];
		if (p == 't' || p == ')' || p == 0x85 || p == 0x86 || p == 0x87 ||
		    s[k - 2] == 'q' || (p == '\n' && ch_is_digit((unsigned char)s[k - 2])))
			break;
	}
	*cache = k;
	return k;
}

/* A protocol-0/1 pickle: GLOBAL c<module>\n<name>\n, then REDUCE. */
static int text_pickle_at(const char *s, size_t n, size_t i, size_t *cache)
{
	size_t j = i + 1, m = j;
	while (m < n && (ch_ident_char((unsigned char)s[m]) || s[m] == '.'))
		m++;
	if (m == j || m >= n || s[m] != '\n')
		return 0;
	size_t f = m + 1, g = f;
	while (g < n && ch_ident_char((unsigned char)s[g]))
		g++;
	if (g == f || g >= n || s[g] != '\n')
		return 0;
	/* a call on an argument tuple must follow within the pickle */
	size_t k = next_reduce(s, n, g + 3, cache);
	return k < n && k < g + 512;
}

static int text_pickle(const char *s, size_t n, size_t i)
{
	size_t cache = (size_t)-1;
	return text_pickle_at(s, n, i, &cache);
}

/* The element "<" at i named by the dotted name [b, e): a class, as
 * XStream names its elements (<java.util.PriorityQueue>: the last part
 * capitalised)? Not a property of lower-case parts
 * (<commons.release.version>), a reStructuredText link's target
 * (`HTTPAdapter <requests.adapters.HTTPAdapter>`) nor Python's repr of
 * an object (<pygments.lexers.CssLexer object at 0xb7ba518c>). */
static int element_class(const char *s, size_t n, size_t i, size_t b, size_t e)
{
	size_t last = e;
	while (last > b && s[last - 1] != '.')
		last--;
	if (!(s[last] >= 'A' && s[last] <= 'Z'))
		return 0;
	if (e < n && s[e] == '>' && e + 1 < n && s[e + 1] == '`')
		return 0;
	if (i > 0 && s[i - 1] == ' ')
		for (size_t k = i - 1; k > 0 && i - k < 128 && s[k - 1] != '\n'; k--)
			if (s[k - 1] == '`')
				return 0;
	return !has(s, n, e, " object at 0x");
}

/* ch_ident_char() as a table (WB_WORD), with WB_UPPER for A-Z, filled
 * before main() */
enum {
	WB_WORD = 1,
	WB_UPPER = 2,
	WB_TOKEN = 4, /* a first byte token() heeds */
	WB_UNDER = 8, /* '_' */
};
static uint8_t word_byte[256];

static void __attribute__((constructor)) word_byte_init(void)
{
	for (int c = 0; c < 256; c++)
		word_byte[c] =
		    (uint8_t)((ch_ident_char(c) ? WB_WORD : 0) |
		              (c >= 'A' && c <= 'Z' ? WB_UPPER | WB_TOKEN : 0) |
		              (c == '_' || c == 'c' || c == '0' || c == 'a' ? WB_TOKEN : 0) |
		              (c == '_' ? WB_UNDER : 0));
}

/* xml_object's class="a.b.C" attribute: the tag at i, its name at name,
 * read up to end; out of line, as most tags have none. */
static __attribute__((noinline)) void xml_class_attr(const char *s, size_t n, size_t i, size_t name,
                                                     size_t end, const struct dsr_span *sp,
                                                     struct dsr_best *b)
{
	const pol_v16 lt = v16_splat('<'), gt = v16_splat('>'), sp16 = v16_splat(' ');
	for (size_t k = name; k < end; k++) {
		if (end - k >= 16) { /* to the next '<', '>' or ' ', sixteen at a time */
			pol_v16 v = v16_load((const unsigned char *)s + k);
			unsigned bits = v16_bits((pol_m16)(v == lt) | (pol_m16)(v == gt) |
			                         (pol_m16)(v == sp16));
			if (!bits) {
				k += 15;
				continue;
			}
			k += (size_t)__builtin_ctz(bits);
		}
		if (s[k] == '>' || s[k] == '<')
			break;
		if (s[k] != ' ' || s[k + 1] != 'c' || !has(s, n, k + 1, "class=\""))
			continue;
		size_t v = k + 8;
		if (gadget_at(s, n, v) || has(s, n, v, "java.beans.XMLDecoder"))
			note(b, DSR_GADGET_TYPED, sp, i, v);
		else if (class_name(s, n, v))
			note(b, DSR_TYPE_HINT, sp, i, v);
		return;
	}
}

/* XMLDecoder and XStream: <java class="java.beans.XMLDecoder">,
 * <object class="java.lang.ProcessBuilder">, <dynamic-proxy>, elements
 * named after classes (<java.util.PriorityQueue>), class="a.b.C" attributes.
 * Looks at most 256 bytes into the tag. */
/* Where the first " class=\"" at or after i is (n: none). *c remembers
 * the last search (from where, found where), so that a scan moving
 * forward searches each byte once. */
struct dsr_attr_cache {
	size_t from, at;
};

static size_t class_attr_next(const char *s, size_t n, size_t i, struct dsr_attr_cache *c)
{
	if (c->from <= i && c->at >= i)
		return c->at;
	/* memmem, sifting sixteen starts at a time by " c" first */
	const unsigned char *u = (const unsigned char *)s;
	const pol_v16 sp = v16_splat(' '), cc = v16_splat('c');
	size_t k = i, at = n;
	for (; n >= 17 && k <= n - 17 && at == n; k += 16) {
		unsigned bits = v16_bits((pol_m16)(v16_load(u + k) == sp) &
		                         (pol_m16)(v16_load(u + k + 1) == cc));
		for (; bits && at == n; bits &= bits - 1) {
			size_t q = k + (size_t)__builtin_ctz(bits);
			if (n - q >= 8 && memcmp(s + q, " class=\"", 8) == 0)
				at = q;
		}
	}
	if (at == n && k < n) {
		const char *p = memmem(s + k, n - k, " class=\"", 8);
		at = p ? (size_t)(p - s) : n;
	}
	c->from = i;
	c->at = at;
	return at;
}

static inline __attribute__((always_inline)) void xml_object(const char *s, size_t n, size_t i,
                                                             const struct dsr_span *sp,
                                                             struct dsr_best *b,
                                                             struct dsr_attr_cache *attr)
{
	int c1 = i + 1 < n ? (unsigned char)s[i + 1] : 0;
	if ((c1 == 'd' && has(s, n, i, "<dynamic-proxy")) ||
	    (c1 == 'j' && has(s, n, i, "<java.beans.EventHandler"))) {
		note(b, DSR_GADGET_TYPED, sp, i, i + 14);
		return;
	}
	/* a class name starts with a word byte, '$' or '[' */
	size_t name = i + 1, cl = name < n && (word_byte[c1] || c1 == '$' || c1 == '[')
	                              ? class_name(s, n, name)
	                              : 0;
	if (cl && name + cl < n &&
	    (s[name + cl] == '>' || s[name + cl] == ' ' || s[name + cl] == '/') &&
	    (gadget_at(s, n, name) || element_class(s, n, i, name, name + cl)))
		note(b, gadget_at(s, n, name) ? DSR_GADGET_TYPED : DSR_TYPE_HINT, sp, i, name + cl);
	size_t lim = i + 256 < n ? i + 256 : n;
	size_t end = lim > 7 ? lim - 7 : 0; /* k + 7 < lim */
	if (class_attr_next(s, n, name, attr) >= end)
		return; /* no " class=\"" the loop below could reach */
	xml_class_attr(s, n, i, name, end, sp, b);
}

/* Jackson's default typing as an array: ["com.acme.Type", {...}]. */
static void json_typed_array(const char *s, size_t n, size_t i, const struct dsr_span *sp,
                             struct dsr_best *b)
{
	size_t j = i + 1;
	while (j < n && (s[j] == ' ' || s[j] == '\n'))
		j++;
	if (j >= n || s[j] != '"')
		return;
	size_t cl = class_name(s, n, j + 1);
	size_t e = j + 1 + cl;
	if (!cl || e >= n || s[e] != '"')
		return;
	for (e++; e < n && (s[e] == ' ' || s[e] == '\n'); e++)
		;
	if (e >= n || s[e] != ',')
		return;
	for (e++; e < n && (s[e] == ' ' || s[e] == '\n'); e++)
		;
	if (e < n && (s[e] == '{' || s[e] == '['))
		note(b, gadget_at(s, n, j + 1) ? DSR_GADGET_TYPED : DSR_TYPE_HINT, sp, i, e);
}

static int hex_java(const char *s, size_t n, size_t i)
{
	static const char *const forms[] = {"aced0005", "ACED0005", "\\xac\\xed\\x00\\x05"};
	for (size_t k = 0; k < COUNT(forms); k++)
		if (has(s, n, i, forms[k]))
			return 1;
	return 0;
}

/* One identifier-like token s[b..e): the grammars that start with a word. */
static void token(const char *s, size_t n, size_t b, size_t e, const struct dsr_span *sp,
                  struct dsr_best *best, size_t *reduce_cache)
{
	int c = (unsigned char)s[b];
	/* gadget classes: CamelCase names and dotted/qualified names */
	if ((c >= 'A' && c <= 'Z') || (e < n && (s[e] == '.' || s[e] == ':'))) {
		size_t g = gadget_at(s, n, b);
		if (g)
			note(best, DSR_GADGET_NAME, sp, b, b + g);
	}
	/* a gadget class as a segment of a dotted name, in any case */
	if (((e + 1 < n && s[e] == '.' && ch_ident_start((unsigned char)s[e + 1])) ||
	     (b >= 2 && s[b - 1] == '.' && ch_ident_char((unsigned char)s[b - 2]))) &&
	    class_word(s + b, e - b) >= DSR_PLAIN_WORDS)
		note(best, DSR_GADGET_NAME, sp, b, e);
	/* PHP: ...O:8:"Name":1:{ (the O may end a longer token: ";O:") */
	if (e < n && s[e] == ':' && (s[e - 1] == 'O' || s[e - 1] == 'C') && e + 1 < n &&
	    ch_is_digit((unsigned char)s[e + 1])) {
		enum dsr_kind k = DSR_NONE;
		size_t end = php_object(s, n, e - 1, &k);
		if (end)
			note(best, k, sp, e - 1, end);
	}
	if (c == '_') {
		if (has_escaped(s, n, b, "_$$ND_FUNC$$_") || has(s, n, b, "__js_function"))
			note(best, DSR_NODE, sp, b, b + 13);
		else if (has(s, n, b, "__reduce__") || has(s, n, b, "__reduce_ex__"))
			note(best, DSR_REDUCE_TEXT, sp, b, b + 10);
	}
	/* a protocol 0/1 pickle starts a line (or follows a MARK) */
	if (c == 'c' && (b == 0 || s[b - 1] == '\n' || s[b - 1] == '(') &&
	    text_pickle_at(s, n, b, reduce_cache))
		note(best, DSR_PICKLE, sp, b, b + 1);
	/* aced0005 spelled in hex, also after 0x */
	size_t h = (c == '0' && e - b > 2 && (s[b + 1] == 'x' || s[b + 1] == 'X')) ? b + 2 : b;
	if (e - h >= 8 && (s[h] == 'a' || s[h] == 'A') && hex_java(s, n, h))
		note(best, DSR_JAVA_HEX, sp, h, h + 8);
}

/* Could token() note anything on the word s[b..e)? A superset of its
 * tests, each cut to a byte or two: a gadget name's first bytes
 * (gadget_second, gadget_third), a dot beside a word of a class word's length and first
 * letter, PHP's "O:" or "C:", a word starting '_' or 'c', hex of eight
 * digits or more. */
static inline __attribute__((always_inline)) int token_may(const char *s, size_t n, size_t b,
                                                           size_t e)
{
	unsigned c = (unsigned char)s[b];
	int dot_after = e < n && s[e] == '.', colon_after = e < n && s[e] == ':';
	if (((c >= 'A' && c <= 'Z') || dot_after || colon_after) && b + 2 < n &&
	    (gadget_second[c] >> ((unsigned char)s[b + 1] & 63) & 1) &&
	    (gadget_third[c] >> ((unsigned char)s[b + 2] & 63) & 1))
		return 1;
	/* beside a '.', what is left to find is a class word */
	if ((dot_after || (b && s[b - 1] == '.')) && e - b < 32 &&
	    (class_word_lens >> (e - b) & 1) && class_word_first[ch_lower(c)])
		return 1;
	if (colon_after && (s[e - 1] == 'O' || s[e - 1] == 'C'))
		return 1;
	/* a word starting 'c' is judged as a text pickle, which starts a
	 * line or follows a MARK: its other grammars are tested above */
	if (c == '_' || (c == 'c' && (b == 0 || s[b - 1] == '\n' || s[b - 1] == '(')))
		return 1;
	return e - b >= 8 && (c == '0' || c == 'a' || c == 'A');
}

/* One word s[t..e) of text_scan that starts with a byte token() heeds or
 * touches a '.' or ':' (what text_scan stops at): token() on it if
 * token_may() lets it. */
static inline __attribute__((always_inline)) void text_word(const char *s, size_t n, size_t t,
                                                            size_t e, const struct dsr_span *sp,
                                                            struct dsr_best *b,
                                                            size_t *reduce_cache)
{
	if (token_may(s, n, t, e))
		token(s, n, t, e, sp, b, reduce_cache);
}

/* The punctuation that starts a grammar, at s[i]. */
static inline __attribute__((always_inline)) void text_punct(const char *s, size_t n, size_t i,
                                                             const struct dsr_span *sp,
                                                             struct dsr_best *b,
                                                             struct dsr_attr_cache *attr)
{
	int c = (unsigned char)s[i];
	switch (c) {
	case '!': {
		/* a tag goes on with '!', '<' or a language's first letter */
		int t1 = i + 1 < n ? s[i + 1] : 0;
		if ((t1 == '!' || t1 == '<' || t1 == 'p' || t1 == 'r' || t1 == 'j') &&
		    yaml_tag(s, n, i))
			note(b, DSR_YAML_TAG, sp, i, i + 2);
		break;
	}
	case '"':
	case '\'': {
		/* every key below starts '@', '$', '_' or 'j' */
		int k1 = i + 1 < n ? s[i + 1] : 0;
		if (k1 != '@' && k1 != '$' && k1 != '_' && k1 != 'j')
			break;
		if (has(s, n, i + 1, "@type") || has(s, n, i + 1, "@class") ||
		    has(s, n, i + 1, "$type") || has(s, n, i + 1, "__type") ||
		    has(s, n, i + 1, "@c\"") || has(s, n, i + 1, "javaClass")) {
			size_t k = i + 1;
			while (k < n && k < i + 12 && s[k] != c)
				k++;
			if (k < n && s[k] == c)
				type_hint(s, n, k + 1, sp, b);
		}
		break;
	}
	case '<':
		xml_object(s, n, i, sp, b, attr);
		break;
	case '[':
		json_typed_array(s, n, i, sp, b);
		break;
	case '\\':
		if (i + 1 < n && s[i + 1] == 'x' && hex_java(s, n, i))
			note(b, DSR_JAVA_HEX, sp, i, i + 8);
		break;
	default:
		break;
	}
}

/* text_scan for a short input, a byte at a time. */
static int text_scan_bytes(const char *s, size_t n, const struct dsr_span *sp, struct dsr_best *b)
{
	size_t reduce_cache = (size_t)-1;
	struct dsr_attr_cache attr = {(size_t)-1, 0};
	size_t i = 0;
	unsigned seen = 0;
	while (i < n) {
		int c = (unsigned char)s[i];
		if (word_byte[c]) {
			size_t t = i;
			unsigned w;
			while (i < n && (w = word_byte[(unsigned char)s[i]])) {
				seen |= w;
				i++;
			}
			/* token() looks only at names that start upper case, with
			 * _ c 0 a (pickle, hex, node), or touch a '.' or ':' */
			if ((word_byte[c] & WB_TOKEN) || (i < n && (s[i] == '.' || s[i] == ':')) ||
			    (t && s[t - 1] == '.'))
				text_word(s, n, t, i, sp, b, &reduce_cache);
			continue;
		}
		if (c == '!' || c == '"' || c == '\'' || c == '<' || c == '[' || c == '\\')
			text_punct(s, n, i, sp, b, &attr);
		i++;
	}
	return (seen & WB_UPPER) != 0;
}

/* What text_scan looks at in the sixteen bytes at p, a bit per byte. */
struct ts_bits {
	unsigned word;  /* word_byte[] bytes: A-Z a-z 0-9 _ */
	unsigned upper; /* A-Z */
	unsigned tok;   /* WB_TOKEN bytes */
	unsigned punct; /* ! " ' < [ \, the bytes text_punct heeds */
	unsigned dot;   /* . */
	unsigned colon; /* : */
};

static inline struct ts_bits ts_classify16(const unsigned char *p)
{
	pol_v16 v = v16_load(p);
	pol_m16 lo = (pol_m16)((pol_v16)(v - v16_splat('a')) < v16_splat(26));
	pol_m16 up = (pol_m16)((pol_v16)(v - v16_splat('A')) < v16_splat(26));
	pol_m16 dg = (pol_m16)((pol_v16)(v - v16_splat('0')) < v16_splat(10));
	pol_m16 us = (pol_m16)(v == v16_splat('_'));
	pol_m16 dot = (pol_m16)(v == v16_splat('.'));
	struct ts_bits t;
	t.word = v16_bits(lo | up | dg | us);
	t.upper = v16_bits(up);
	t.tok = v16_bits(up | us | (pol_m16)(v == v16_splat('c')) | (pol_m16)(v == v16_splat('0')) |
	                 (pol_m16)(v == v16_splat('a')));
	t.punct = v16_bits((pol_m16)(v == v16_splat('!')) | (pol_m16)(v == v16_splat('"')) |
	                   (pol_m16)(v == v16_splat('\'')) | (pol_m16)(v == v16_splat('<')) |
	                   (pol_m16)(v == v16_splat('[')) | (pol_m16)(v == v16_splat('\\')));
	t.dot = v16_bits(dot);
	t.colon = v16_bits((pol_m16)(v == v16_splat(':')));
	return t;
}

static inline struct ts_bits ts_classify(const unsigned char *p)
{
	struct ts_bits a = ts_classify16(p), h = ts_classify16(p + 16);
	a.word |= h.word << 16;
	a.upper |= h.upper << 16;
	a.tok |= h.tok << 16;
	a.punct |= h.punct << 16;
	a.dot |= h.dot << 16;
	a.colon |= h.colon << 16;
	return a;
}

/* The text grammars, word by word: DSR_BLK bytes at a time, it stops only
 * where something can start (a word token() may judge: one starting with
 * a byte it heeds, one after a '.', one before a '.' or ':'; punctuation
 * text_punct heeds), in the order of the input, so that findings of one
 * kind are noted first-come as a byte-by-byte reading would. Returns
 * whether the input holds an upper-case letter. */
static int text_scan(const char *s, size_t n, const struct dsr_span *sp, struct dsr_best *b)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t reduce_cache = (size_t)-1;
	size_t judged = (size_t)-1; /* end of the last word judged from its start */
	struct dsr_attr_cache attr = {(size_t)-1, 0};
	unsigned upper = 0;
	if (n < DSR_VEC_MIN)
		return text_scan_bytes(s, n, sp, b);
	/* a word of one byte before a ':' (a namespace prefix, "o:") not
	 * judged from its start can be spelled a gadget only if a gadget has
	 * ':' second (token_may's bit test) */
	const unsigned w2all = gadget_colon_second ? 0xffffffffu : 0;
	/* the two bytes before the block at carry_at: word bytes?
	 * a '.'? (from the block before, when the scan did not jump) */
	size_t carry_at = 0;
	unsigned cw1 = 0, cw2 = 0, cdot = 0;
	for (size_t k = 0; k < n;) {
		unsigned sh;
		struct ts_bits t = ts_classify(dsr_block(u, k, n, &sh));
		if (sh) {
			t.word >>= sh;
			t.upper >>= sh;
			t.tok >>= sh;
			t.punct >>= sh;
			t.dot >>= sh;
			t.colon >>= sh;
		}
		if (k != carry_at) {
			cw1 = word_byte[u[k - 1]] != 0;
			cw2 = k > 1 && word_byte[u[k - 2]];
			cdot = u[k - 1] == '.';
		}
		unsigned wprev = t.word << 1 | cw1;
		unsigned dprev = t.dot << 1 | cdot;
		unsigned w2prev = t.word << 2 | cw1 << 1 | cw2 | w2all;
		unsigned ev = (t.word & ~wprev & (t.tok | dprev)) | t.punct | (t.dot & wprev) |
		              (t.colon & wprev & w2prev);
		size_t next = k + DSR_BLK;
		upper |= t.upper;
		while (ev) {
			unsigned at = (unsigned)__builtin_ctz(ev);
			size_t i = k + at, r = i + 1;
			if (t.word >> at & 1) { /* a word starts */
				unsigned rest = ~t.word >> at & (0xffffffffu >> at);
				size_t e;
				if (rest) {
					e = i + (size_t)__builtin_ctz(rest);
				} else {
					for (e = next; e < n && word_byte[u[e]]; e++)
						upper |= word_byte[u[e]] & WB_UPPER;
				}
				text_word(s, n, i, e, sp, b, &reduce_cache);
				judged = r = e;
			} else if (t.punct >> at & 1) {
				text_punct(s, n, i, sp, b, &attr);
			} else if (i != judged) { /* '.' or ':' after a word not judged yet */
				size_t w = i;
				while (w > 0 && word_byte[u[w - 1]])
					w--;
				text_word(s, n, w, i, sp, b, &reduce_cache);
			}
			if (r >= next) {
				next = r;
				break;
			}
			ev &= ~0u << (r - k);
		}
		if (next == k + DSR_BLK) {
			carry_at = next;
			cw1 = t.word >> 31 & 1;
			cw2 = t.word >> 30 & 1;
			cdot = t.dot >> 31 & 1;
		}
		k = next;
	}
	return upper != 0;
}

/* Bytes whose presence (in ctx->chars) sends an input to text_scan: the
 * punctuation its switch heeds, and what a text pickle needs. */
#define DSR_TEXT_LOUD                                                                              \
	(POL_CH_SQUOTE | POL_CH_DQUOTE | POL_CH_LT | POL_CH_BRACKET | POL_CH_BSLASH |              \
	 POL_CH_NEWLINE | POL_CH_PAREN)

static inline int dsr_is_upper(unsigned c)
{
	return c >= 'A' && c <= 'Z';
}

/* Bit k set when byte k of the sixteen at p is one quiet_scan stops at
 * ('.', '_', '!', A-Z, and five: '5', the end of a hex "aced0005", when
 * the input holds digits). */
static inline unsigned quiet_stops16(const unsigned char *p, pol_v16 five)
{
	pol_v16 v = v16_load(p);
	pol_m16 m = (pol_m16)(v == v16_splat('.')) | (pol_m16)(v == v16_splat('_')) |
	            (pol_m16)(v == v16_splat('!')) | (pol_m16)(v == five) |
	            (pol_m16)((pol_v16)(v - v16_splat('A')) < v16_splat(26));
	return v16_bits(m);
}

/* The first byte at or after i that quiet_scan stops at, or n. The last
 * bytes are read with the sixteen before them (their bits shifted out),
 * or, in an input shorter than that, from a copy padded with NUL bytes
 * (never a stop). */
static size_t quiet_next(const unsigned char *u, size_t i, size_t n, pol_v16 five)
{
	for (; i + 16 <= n; i += 16) {
		unsigned bits = quiet_stops16(u + i, five);
		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
	if (i >= n)
		return n;
	unsigned bits;
	if (n >= 16) {
		bits = quiet_stops16(u + n - 16, five) >> (16 - (n - i));
	} else {
		unsigned char pad[16] = {0};
		memcpy(pad, u + i, n - i);
		bits = quiet_stops16(pad, five);
	}
	return bits ? i + (size_t)__builtin_ctz(bits) : n;
}

/* Could token() note anything on the word u[b..e) of an input without
 * '_', '!' or DSR_TEXT_LOUD bytes? Only a gadget name (upper case first,
 * or a package before a '.' or ':'), a class word, or hex "aced0005"
 * can be spelled there (a PHP object needs '"', a pickle a newline); a
 * word that can be none of them is skipped. */
static inline int quiet_token_may(const unsigned char *u, size_t n, size_t b, size_t e)
{
	unsigned c = u[b];
	size_t len = e - b;
	if ((dsr_is_upper(c) || (e < n && (u[e] == '.' || u[e] == ':'))) && b + 1 < n &&
	    (gadget_second[c] >> (u[b + 1] & 63) & 1))
		return 1;
	if (len < 32 && (class_word_lens & (1u << len)) && class_word_first[ch_lower(c)])
		return 1;
	return len >= 8 && (c == 'a' || c == 'A' || c == '0');
}

/* The end of the word at u[i]: -1 if it holds a '_' (text_scan must judge
 * the input); *upper set if it holds upper case. */
static long quiet_word_end(const unsigned char *u, size_t i, size_t n, int *upper)
{
	unsigned seen = 0, w;
	for (; i < n && (w = word_byte[u[i]]); i++)
		seen |= w;
	if (seen & WB_UNDER)
		return -1;
	*upper |= (seen & WB_UPPER) != 0;
	return (long)i;
}

/* text_scan for an input without DSR_TEXT_LOUD bytes, exactly: returns -1
 * at the first '_' or '!' (text_scan must then judge the input), else
 * whether it holds upper case (what text_scan returns). Without those
 * bytes, the only tokens text_scan can note are names starting upper case
 * (gadget classes), names touching a '.' (gadget packages, dotted class
 * words), and hex "aced0005" at a word starting 'a' or "0x" (found by its
 * '5'): no PHP object, node or pickle marker can be spelled, and every
 * gadget spelled lower case holds a '.'. token() is called on those
 * words in text_scan's order, and on no others. */
static int quiet_scan(const char *s, size_t n, int digits, const struct dsr_span *sp,
                      struct dsr_best *b)
{
	const unsigned char *u = (const unsigned char *)s;
	const pol_v16 five = v16_splat(digits ? '5' : '.');
	size_t reduce_cache = (size_t)-1;
	size_t done = 0; /* words before this have been judged */
	size_t i = 0;
	int upper = 0;
	for (;;) {
		i = quiet_next(u, i, n, five);
		if (i >= n)
			return upper;
		unsigned c = u[i];
		if (c == '_' || c == '!')
			return -1;
		if (c == '.') {
			/* the word before the dot (not judged yet), then the one after */
			size_t t = i;
			while (t > done && word_byte[u[t - 1]])
				t--;
			if (t < i && quiet_token_may(u, n, t, i))
				token(s, n, t, i, sp, b, &reduce_cache);
			long e = quiet_word_end(u, i + 1, n, &upper);
			if (e < 0)
				return -1;
			if ((size_t)e > i + 1 && quiet_token_may(u, n, i + 1, (size_t)e))
				token(s, n, i + 1, (size_t)e, sp, b, &reduce_cache);
			done = i = (size_t)e;
			continue;
		}
		/* where the word holding u[i] starts, if token() must judge it:
		 * at an upper-case letter that starts it, or at the '5' of
		 * "aced0005" (either case) starting it or following its "0x" */
		size_t w = i;
		if (dsr_is_upper(c)) {
			upper = 1;
			if (i > 0 && word_byte[u[i - 1]])
				w = n; /* inside a word */
		} else {
			w = n;
			if (c == '5' && i >= done + 7 &&
			    (memcmp(u + i - 7, "aced0005", 8) == 0 ||
			     memcmp(u + i - 7, "ACED0005", 8) == 0)) {
				w = i - 7;
				if (w >= done + 2 && u[w - 2] == '0' &&
				    (u[w - 1] == 'x' || u[w - 1] == 'X'))
					w -= 2;
				if (w > 0 && word_byte[u[w - 1]])
					w = n; /* inside a longer word */
			}
		}
		if (w == n) {
			i++;
			continue;
		}
		long e = quiet_word_end(u, i, n, &upper);
		if (e < 0)
			return -1;
		if ((size_t)e < n && u[e] == '.') {
			i = (size_t)e; /* judged with its dot */
			continue;
		}
		if (quiet_token_may(u, n, w, (size_t)e))
			token(s, n, w, (size_t)e, sp, b, &reduce_cache);
		done = i = (size_t)e;
	}
}

int pol_detect_deserialization(const char *s, size_t n, const struct pol_ctx *ctx,
                               struct pol_hit *hit)
{
	struct dsr_best best = {DSR_NONE, 0, 0};
	struct dsr_span raw = {0, n, 0};
	uint32_t m = ctx->chars;
	const unsigned char *u = (const unsigned char *)s;

	/* binary input: a stream may start anywhere (Java) or at the start */
	if (m & (POL_CH_HIGH | POL_CH_CTRL)) {
		for (size_t i = 0; i + 4 <= n; i++)
			if (u[i] == 0xac && memcmp(u + i, java_magic, 4) == 0) {
				note(&best, DSR_JAVA, &raw, i, n);
				break;
			}
		header_scan(u, n, &raw, &best);
	}
	/* a whole class name is identifier bytes, '$' and dots between
	 * blanks and quotes: any other byte rules it out */
	const uint32_t name_bytes = POL_CH_ALPHA | POL_CH_DIGIT | POL_CH_DOLLAR | POL_CH_DOT |
	                            POL_CH_SPACE | POL_CH_SQUOTE | POL_CH_DQUOTE;
	if (best.kind < DSR_JAVA && (m & POL_CH_DOT)) {
		if (!(m & ~name_bytes))
			whole_class_name(s, n, &best);
		if (best.kind < DSR_CLASS_VALUE && (m & POL_CH_EQUALS) &&
		    !(m & (POL_CH_NEWLINE | POL_CH_LT)))
			pair_class_names(s, n, &best);
	}
	/* b64_scan judges runs holding an upper-case letter, and pairs
	 * split at '=': text_scan, which reads every byte, says whether
	 * the input has the former */
	int upper = 0;
	if (best.kind < DSR_JAVA) {
		int q = -1;
		if (!(m & DSR_TEXT_LOUD))
			q = quiet_scan(s, n, (m & POL_CH_DIGIT) != 0, &raw, &best);
		upper = q < 0 ? text_scan(s, n, &raw, &best) : q;
	}
	if (best.kind < DSR_JAVA && (m & (POL_CH_ALPHA | POL_CH_DIGIT)) &&
	    (upper || (m & POL_CH_EQUALS)))
		b64_scan(s, n, &best);
	if (best.kind == DSR_NONE)
		return 0;
	hit->rule = dsr_rules[best.kind].rule;
	hit->category = POL_CAT_DESERIALIZATION;
	hit->severity = dsr_rules[best.kind].sev;
	hit->confidence = dsr_rules[best.kind].conf;
	if (best.end > n)
		best.end = n;
	if (best.off > best.end)
		best.off = best.end;
	hit->off = (uint32_t)best.off;
	hit->len = (uint32_t)(best.end - best.off);
	return 1;
}
