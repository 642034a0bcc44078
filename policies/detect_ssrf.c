/* Detector: ssrf (server-side request forgery).
 *
 * A URL in an input is only dangerous for where it leads. We parse every
 * URL the way lenient clients do (scheme, userinfo@, host, port; "http:host"
 * and "http:/host" without both slashes; backslashes), normalise the host
 * (inet_aton's decimal, octal, hex, short and overflowing forms; IPv6 with
 * embedded, mapped and compatible IPv4 and zone ids; circled and full-width
 * digits and letters; ideographic full stops) and judge the address:
 *   - the instance metadata services (169.254.169.254, fd00:ec2::254,
 *     169.254.170.2 for containers, 192.0.0.192, metadata.google.internal...),
 *     where a function's credentials are one request away;
 *   - the Lambda Runtime API (127.0.0.1:9001 in every Lambda sandbox; the
 *     detector is a pure function, so it knows the address by its port and
 *     its /2018-06-01/runtime path, not from the environment);
 *   - loopback, the unspecified address, link-local, private and shared
 *     ranges, names that resolve there (localhost, 127.0.0.1.nip.io...);
 *   - schemes that reach other protocols (gopher, dict, file, ldap, jar,
 *     netdoc, tftp, php, expect...).
 * Parsers disagree about "http://a.com:80 &@b.com# @127.0.0.1/", so every
 * host after "//" and after an "@" in the same URL is judged.
 *
 * A bare address without a scheme (an event's sourceIp is often private)
 * counts only where the field is said to hold a URL, or when its spelling
 * is an obfuscation or a metadata address. Public URLs stay clean.
 *
 * The input is decoded in a stack window of SSRF_WIN bytes that overlap by
 * SSRF_KEEP; each URL is parsed with bounded look-ahead: linear time.
 */
#include <string.h>

#include "detect.h"
#include "detect_chars.h"
#include "detect_prose.h"

#define SSRF_WIN     4096
#define SSRF_KEEP    512
#define SSRF_HOST    256 /* longest host we normalise */
#define SSRF_ENOUGH  90  /* a finding this sure ends the scan */
#define SSRF_MENTION 40  /* a private address mentioned in prose: cannot alert alone */

struct window {
	unsigned char t[SSRF_WIN];
	uint32_t at[SSRF_WIN];
	size_t m;
};

/* ---- decoding ---- */

/* Percent escapes in place, once; returns whether anything changed. */
static int percent_pass(struct window *w)
{
	size_t o = 0;
	int changed = 0;
	for (size_t i = 0; i < w->m;) {
		if (w->t[i] == '%' && i + 2 < w->m && ch_hexval(w->t[i + 1]) >= 0 &&
		    ch_hexval(w->t[i + 2]) >= 0) {
			w->t[o] =
			    (unsigned char)(ch_hexval(w->t[i + 1]) * 16 + ch_hexval(w->t[i + 2]));
			w->at[o++] = w->at[i];
			i += 3;
			changed = 1;
			continue;
		}
		w->t[o] = w->t[i];
		w->at[o++] = w->at[i++];
	}
	w->m = o;
	return changed;
}

/* What a code point stands for in a host name, or -1 to keep it. */
static int fold_codepoint(uint32_t cp)
{
	if (cp >= 0x2460 && cp <= 0x2468) /* circled 1..9 */
		return (int)('1' + cp - 0x2460);
	if (cp == 0x24ea || cp == 0x24ff) /* circled 0 */
		return '0';
	if (cp >= 0x2776 && cp <= 0x277e) /* dingbat negative circled 1..9 */
		return (int)('1' + cp - 0x2776);
	if (cp >= 0x24b6 && cp <= 0x24cf) /* circled A..Z */
		return (int)('a' + cp - 0x24b6);
	if (cp >= 0x24d0 && cp <= 0x24e9) /* circled a..z */
		return (int)('a' + cp - 0x24d0);
	if (cp >= 0xff10 && cp <= 0xff19) /* full-width digits */
		return (int)('0' + cp - 0xff10);
	if (cp >= 0xff21 && cp <= 0xff3a)
		return (int)('a' + cp - 0xff21);
	if (cp >= 0xff41 && cp <= 0xff5a)
		return (int)('a' + cp - 0xff41);
	if (cp == 0x3002 || cp == 0xff0e || cp == 0xff61) /* ideographic and full-width stops */
		return '.';
	if (cp == 0xff1a)
		return ':';
	if (cp == 0xff0f)
		return '/';
	return -1;
}

/* Lower case, and look-alike characters to the ASCII they stand for. */
static void fold_pass(struct window *w)
{
	size_t o = 0;
	for (size_t i = 0; i < w->m;) {
		int c = w->t[i];
		if (c >= 0xe0 && c < 0xf0 && i + 2 < w->m && (w->t[i + 1] & 0xc0) == 0x80 &&
		    (w->t[i + 2] & 0xc0) == 0x80) {
			uint32_t cp = (uint32_t)(c & 0x0f) << 12 |
			              (uint32_t)(w->t[i + 1] & 0x3f) << 6 |
			              (uint32_t)(w->t[i + 2] & 0x3f);
			int f = fold_codepoint(cp);
			if (f >= 0) {
				w->t[o] = (unsigned char)f;
				w->at[o++] = w->at[i];
				i += 3;
				continue;
			}
		}
		w->t[o] = (unsigned char)ch_lower(c);
		w->at[o++] = w->at[i++];
	}
	w->m = o;
}

/* ---- addresses ---- */

enum verdict {
	V_PUBLIC,
	V_PRIVATE,   /* 10/8, 172.16/12, 192.168/16, fc00::/7 */
	V_SHARED,    /* 100.64/10 */
	V_LINKLOCAL, /* 169.254/16, fe80::/10 */
	V_LOOPBACK,  /* 127/8, ::1, 0.0.0.0, :: */
	V_METADATA,  /* 169.254.169.254 and friends */
};

static const char *const verdict_rule[] = {
    "ssrf.public",     "ssrf.private",  "ssrf.shared",
    "ssrf.link_local", "ssrf.loopback", "ssrf.metadata",
};
static const uint8_t verdict_conf[] = {0, 75, 65, 85, 85, 95};

static enum verdict judge_v4(uint32_t a)
{
	unsigned b0 = a >> 24, b1 = (a >> 16) & 0xff;
	if (a == 0xa9fea9fe || a == 0xa9feaa02 || a == 0xc00000c0 || a == 0xa9fea97b)
		return V_METADATA; /* 169.254.169.254, 169.254.170.2, 192.0.0.192, 169.254.169.123
		                    */
	if (b0 == 127 || a == 0)   /* 0.0.0.0 reaches the local host on Linux */
		return V_LOOPBACK;
	if (b0 == 169 && b1 == 254)
		return V_LINKLOCAL;
	if (b0 == 10 || (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168))
		return V_PRIVATE;
	if (b0 == 100 && (b1 & 0xc0) == 64)
		return V_SHARED;
	return V_PUBLIC;
}

/* inet_aton's grammar: one to four parts, each decimal, octal (leading 0)
 * or hex (0x), the last filling the remaining bytes. Returns 1 with *a set,
 * *odd set when the spelling is anything but plain dotted decimal. Parts
 * that overflow keep their low bits, as some parsers do. */
static int parse_v4(const unsigned char *h, size_t n, uint32_t *a, int *odd)
{
	uint64_t part[4];
	size_t parts = 0, i = 0;
	*odd = 0;
	if (n == 0)
		return 0;
	while (i < n) {
		if (parts == 4)
			return 0;
		uint64_t v = 0;
		int base = 10, digits = 0;
		if (h[i] == '0' && i + 1 < n && ch_lower(h[i + 1]) == 'x') {
			base = 16;
			i += 2;
			*odd = 1;
		} else if (h[i] == '0' && i + 1 < n && ch_is_digit(h[i + 1])) {
			base = 8;
			*odd = 1;
		}
		for (; i < n && h[i] != '.'; i++, digits++) {
			int d = base == 16 ? ch_hexval(h[i]) : ch_is_digit(h[i]) ? h[i] - '0' : -1;
			if (d < 0 || d >= base || digits > 40)
				return 0;
			v = v * (uint64_t)base + (uint64_t)d;
			if (v >> 40) {
				v &= 0xffffffffffull; /* overflow: keep the low bits */
				*odd = 1;
			}
		}
		if (digits == 0 && base != 16)
			return 0;
		part[parts++] = v;
		if (i < n && h[i] == '.') {
			i++;
			if (i == n) /* a trailing dot: "127.0.0.1." */
				break;
		}
	}
	uint32_t r = 0;
	for (size_t p = 0; p + 1 < parts; p++) {
		if (part[p] > 255)
			*odd = 1;
		r |= (uint32_t)(part[p] & 0xff) << (24 - 8 * p);
	}
	uint64_t last = part[parts - 1];
	unsigned bits = (unsigned)(32 - 8 * (parts - 1));
	if (bits < 32 && last >> bits)
		*odd = 1;
	if (bits == 32 && last >> 32)
		*odd = 1;
	r |= (uint32_t)(last & (bits == 32 ? 0xffffffffu : ((1u << bits) - 1)));
	if (parts != 4)
		*odd = 1;
	*a = r;
	return 1;
}

/* IPv6 text (no brackets, no zone) to 16 bytes; 1 if it parses. */
static int parse_v6(const unsigned char *h, size_t n, uint8_t out[16])
{
	uint16_t g[8] = {0};
	int ng = 0, gap = -1;
	size_t i = 0;
	if (n >= 2 && h[0] == ':' && h[1] == ':') {
		gap = 0;
		i = 2;
	} else if (n && h[0] == ':') {
		return 0;
	}
	while (i < n) {
		if (ng == 8)
			return 0;
		/* an embedded IPv4 at the end */
		size_t e = i;
		int dots = 0;
		while (e < n && h[e] != ':')
			dots += h[e++] == '.';
		if (dots && e == n) {
			uint32_t a;
			int odd;
			if (ng > 6 || !parse_v4(h + i, n - i, &a, &odd))
				return 0;
			g[ng++] = (uint16_t)(a >> 16);
			g[ng++] = (uint16_t)(a & 0xffff);
			i = n;
			break;
		}
		unsigned v = 0;
		int digits = 0;
		for (; i < n && h[i] != ':'; i++, digits++) {
			int d = ch_hexval(h[i]);
			if (d < 0 || digits == 4)
				return 0;
			v = v * 16 + (unsigned)d;
		}
		if (!digits)
			return 0;
		g[ng++] = (uint16_t)v;
		if (i < n) { /* at ':' */
			i++;
			if (i < n && h[i] == ':') {
				if (gap >= 0)
					return 0;
				gap = ng;
				i++;
			} else if (i == n) {
				return 0;
			}
		}
	}
	if (gap < 0 && ng != 8)
		return 0;
	uint16_t full[8] = {0};
	if (gap >= 0) {
		int tail = ng - gap;
		for (int k = 0; k < gap; k++)
			full[k] = g[k];
		for (int k = 0; k < tail; k++)
			full[8 - tail + k] = g[gap + k];
	} else {
		memcpy(full, g, sizeof(full));
	}
	for (int k = 0; k < 8; k++) {
		out[2 * k] = (uint8_t)(full[k] >> 8);
		out[2 * k + 1] = (uint8_t)full[k];
	}
	return 1;
}

static enum verdict judge_v6(const uint8_t b[16])
{
	static const uint8_t ec2[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0,    0,
	                                0,    0, 0,    0,    0, 0, 0x02, 0x54};
	if (memcmp(b, ec2, 16) == 0)
		return V_METADATA;
	int zero10 = 1;
	for (int k = 0; k < 10; k++)
		zero10 &= b[k] == 0;
	uint32_t v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
	if (zero10 && b[10] == 0 && b[11] == 0) {
		if (v4 <= 1)
			return V_LOOPBACK; /* :: and ::1 */
		return judge_v4(v4);       /* IPv4-compatible ::a.b.c.d */
	}
	if (zero10 && b[10] == 0xff && b[11] == 0xff)
		return judge_v4(v4); /* IPv4-mapped */
	if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
		return judge_v4(v4); /* NAT64 64:ff9b::/96 */
	if ((b[0] & 0xfe) == 0xfc)
		return V_PRIVATE;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return V_LINKLOCAL;
	return V_PUBLIC;
}

/* Names that lead inside. */
#define N(s, v, suffix)                                                                            \
	{                                                                                          \
		s, sizeof(s) - 1, v, suffix                                                        \
	}
static const struct {
	const char *name;
	size_t len;
	enum verdict v;
	int suffix; /* also matches as the last labels of a longer name */
} names[] = {
    N("localhost", V_LOOPBACK, 1),
    N("localhost.localdomain", V_LOOPBACK, 0),
    N("ip6-localhost", V_LOOPBACK, 0),
    N("ip6-loopback", V_LOOPBACK, 0),
    N("localtest.me", V_LOOPBACK, 1),
    N("lvh.me", V_LOOPBACK, 1),
    N("vcap.me", V_LOOPBACK, 1),
    N("metadata", V_METADATA, 0),
    N("metadata.google.internal", V_METADATA, 0),
    N("metadata.goog", V_METADATA, 0),
    N("instance-data", V_METADATA, 0),
    N("instance-data.ec2.internal", V_METADATA, 0),
    N("metadata.packet.net", V_METADATA, 0),
    N("metadata.platformequinix.com", V_METADATA, 0),
    N("metadata.tencentyun.com", V_METADATA, 0),
    N("kubernetes.default.svc", V_PRIVATE, 0),
    N("internal", V_PRIVATE, 1),
};
#undef N

/* Which names end with a byte (bit k: names[k]), so that a host is
 * compared only with the few names it could be; built once at load. */
static uint32_t names_ending[256];

static void __attribute__((constructor)) names_ending_init(void)
{
	_Static_assert(sizeof(names) / sizeof(names[0]) <= 32, "names_ending holds 32 bits");
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		names_ending[(unsigned char)names[k].name[names[k].len - 1]] |= 1u << k;
}

/* Services that echo an IP written in the name back as its address. */
#define D(s)                                                                                       \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}
static const struct {
	const char *s;
	size_t len;
} rebind_domains[] = {
    D(".nip.io"),       D(".xip.io"), D(".sslip.io"), D(".traefik.me"),
    D(".localtest.me"), D(".1u.ms"),  D(".rbndr.us"), D(".xip.name"),
};
#undef D

/* Which rebinding domains end with a byte (bit k: rebind_domains[k]). */
static uint32_t rebind_ending[256];

static void __attribute__((constructor)) rebind_ending_init(void)
{
	_Static_assert(sizeof(rebind_domains) / sizeof(rebind_domains[0]) <= 32, "32 bits");
	for (size_t k = 0; k < sizeof(rebind_domains) / sizeof(rebind_domains[0]); k++)
		rebind_ending[(unsigned char)rebind_domains[k].s[rebind_domains[k].len - 1]] |=
		    1u << k;
}

struct host_verdict {
	enum verdict v;
	int odd; /* an obfuscated spelling of the address */
	int ip;  /* the host is an address, not a name */
	const char *rule;
};

static int ends_with(const unsigned char *h, size_t n, const char *suf, size_t l)
{
	return n >= l && h[n - 1] == (unsigned char)suf[l - 1] && memcmp(h + n - l, suf, l) == 0;
}

/* Judges a normalised host name (lower case, no brackets, no port). */
static struct host_verdict judge_host(const unsigned char *h, size_t n, int bracketed)
{
	struct host_verdict hv = {V_PUBLIC, 0, 0, NULL};
	while (n && h[n - 1] == '.')
		n--;
	if (!n)
		return hv;
	size_t colons = 0;
	if (memchr(h, ':', n))
		for (size_t k = 0; k < n; k++)
			colons += h[k] == ':';
	if (bracketed || colons >= 2) {
		size_t e = 0;
		while (e < n && h[e] != '%') /* zone id */
			e++;
		uint8_t b[16];
		if (parse_v6(h, e, b)) {
			hv.v = judge_v6(b);
			hv.odd = e < n;
			hv.ip = 1;
		}
		return hv;
	}
	uint32_t a;
	if (ch_is_digit(h[0]) && parse_v4(h, n, &a, &hv.odd)) {
		hv.v = judge_v4(a);
		hv.ip = 1;
		return hv;
	}
	/* every match ends with the name's last byte */
	for (uint32_t bits = names_ending[h[n - 1]]; bits; bits &= bits - 1) {
		size_t k = (size_t)__builtin_ctz(bits), l = names[k].len;
		if (n < l)
			continue;
		if ((n == l && memcmp(h, names[k].name, l) == 0) ||
		    (names[k].suffix && n > l && h[n - l - 1] == '.' &&
		     memcmp(h + n - l, names[k].name, l) == 0)) {
			hv.v = names[k].v;
			return hv;
		}
	}
	for (uint32_t bits = rebind_ending[h[n - 1]]; bits; bits &= bits - 1) {
		size_t k = (size_t)__builtin_ctz(bits);
		if (!ends_with(h, n, rebind_domains[k].s, rebind_domains[k].len))
			continue;
		/* 127.0.0.1.nip.io, 10-0-0-1.sslip.io, app.169.254.169.254.nip.io */
		size_t l = n - rebind_domains[k].len;
		for (size_t s = 0; s < l; s++) {
			if (s && h[s - 1] != '.' && h[s - 1] != '-')
				continue;
			unsigned char ip[32];
			size_t q = 0;
			for (size_t k2 = s; k2 < l && q < sizeof(ip); k2++)
				ip[q++] = h[k2] == '-' ? '.' : h[k2];
			int odd;
			if (q && ch_is_digit(ip[0]) && parse_v4(ip, q, &a, &odd) && !odd) {
				hv.v = judge_v4(a);
				hv.rule = hv.v != V_PUBLIC ? "ssrf.rebinding_name" : NULL;
				return hv;
			}
		}
		return hv;
	}
	return hv;
}

/* ---- schemes ---- */

/* What a scheme asks of judge_url. */
enum {
	K_OTHER, /* another protocol: judged by its host */
	K_WEB,   /* http, https: the host, then the rest of the URL */
	K_FTP,   /* ftp, ftps: as K_OTHER, then the rest of the URL */
	K_JAR,   /* jar:SCHEME: fetches an archive */
	K_LOCAL, /* file://, php://, netdoc://...: reads what is local */
};
#define S(s, conf, rule, kind)                                                                     \
	{                                                                                          \
		s, sizeof(s) - 1, conf, rule, kind                                                 \
	}
static const struct {
	const char *name;
	size_t len;
	uint8_t conf; /* for any host, public included */
	const char *rule;
	uint8_t kind;
} schemes[] = {
    S("http", 0, NULL, K_WEB),
    S("https", 0, NULL, K_WEB),
    S("gopher", 90, "ssrf.scheme_gopher", K_OTHER),
    S("dict", 85, "ssrf.scheme_dict", K_OTHER),
    S("file", 85, "ssrf.scheme_file", K_LOCAL),
    S("local_file", 90, "ssrf.scheme_file", K_LOCAL),
    S("ldap", 80, "ssrf.scheme_ldap", K_OTHER),
    S("ldaps", 80, "ssrf.scheme_ldap", K_OTHER),
    S("ldapi", 80, "ssrf.scheme_ldap", K_OTHER),
    S("jar", 85, "ssrf.scheme_jar", K_JAR),
    S("netdoc", 85, "ssrf.scheme_netdoc", K_LOCAL),
    S("tftp", 80, "ssrf.scheme_tftp", K_OTHER),
    S("php", 85, "ssrf.scheme_php", K_LOCAL),
    S("expect", 85, "ssrf.scheme_php", K_LOCAL),
    S("phar", 80, "ssrf.scheme_php", K_OTHER),
    S("sftp", 60, "ssrf.scheme_other", K_OTHER),
    S("ftp", 50, "ssrf.scheme_ftp", K_FTP),
    S("ftps", 50, "ssrf.scheme_ftp", K_FTP),
    S("smb", 70, "ssrf.scheme_other", K_OTHER),
    S("telnet", 70, "ssrf.scheme_other", K_OTHER),
    S("redis", 85, "ssrf.scheme_other", K_OTHER),
    S("mysql", 70, "ssrf.scheme_other", K_OTHER),
    S("ssh", 50, "ssrf.scheme_other", K_OTHER),
    S("rsync", 60, "ssrf.scheme_other", K_OTHER),
    S("imap", 50, "ssrf.scheme_other", K_OTHER),
    S("pop3", 50, "ssrf.scheme_other", K_OTHER),
    S("irc", 40, "ssrf.scheme_other", K_OTHER),
    S("rtmp", 40, "ssrf.scheme_other", K_OTHER),
    S("acap", 60, "ssrf.scheme_other", K_OTHER),
    S("xri", 60, "ssrf.scheme_other", K_OTHER),
    S("ws", 0, NULL, K_OTHER),
    S("wss", 0, NULL, K_OTHER),
};
#undef S

static int scheme_lookup(const unsigned char *s, size_t l)
{
	for (size_t k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++)
		if (schemes[k].len == l && memcmp(s, schemes[k].name, l) == 0)
			return (int)k;
	return -1;
}

/* ---- the scan ---- */

struct scan {
	const struct window *w;
	uint32_t where;
	struct pol_hit *hit;
	int found;
	size_t value_start; /* where the value's first token starts, in the first window */
	int final;          /* the window reaches the end of the input */
	const char *s;      /* the value, for prose_value */
	size_t n;
	int prose;        /* the value is a sentence, not a request target; -1: not asked yet */
	int escapes;      /* the input holds a '%': a decoded byte may be coded() */
	int at_sign;      /* the input holds an '@', or an escape that may decode to one */
	int plain;        /* the input holds no byte that ends a URL (ends_url) */
	int offsite_host; /* judge_authority's last host: of a URL that starts the
	                   * value's last window, in a place judge_offsite heeds,
	                   * public, a dotted name or an address, not AWS's */
};

/* Severity follows confidence, except for what a remote fetch of the
 * function's choosing can do (sev, when above what confidence gives): a
 * request to a raw address or a file included from another host is high
 * impact however likely. The finding kept is the one the lowest paranoia
 * level sees; among level-1 findings the surest, as always; among weaker
 * ones, which a level lets through as if they were sure, the most severe. */
static inline void report_sev(struct scan *sc, const char *rule, int conf, enum pol_severity sev,
                              size_t from, size_t to)
{
	if (conf > 100)
		conf = 100;
	if (conf <= 0)
		return;
	enum pol_severity own = conf >= 90   ? POL_SEV_CRITICAL
	                        : conf >= 70 ? POL_SEV_HIGH
	                                     : POL_SEV_MEDIUM;
	if (sev < own)
		sev = own;
	if (sc->found) {
		unsigned lv = pol_signal_level((unsigned)conf),
		         had = pol_signal_level(sc->hit->confidence);
		if (lv > had || (lv == had && lv == 1 && sc->hit->confidence >= conf))
			return;
		if (lv == had && lv > 1 &&
		    (sc->hit->severity > sev ||
		     (sc->hit->severity == sev && sc->hit->confidence >= conf)))
			return;
	}
	const struct window *w = sc->w;
	if (to > w->m)
		to = w->m;
	if (from >= to)
		from = to ? to - 1 : 0;
	sc->hit->rule = rule;
	sc->hit->category = POL_CAT_SSRF;
	sc->hit->severity = sev;
	sc->hit->confidence = (uint8_t)conf;
	sc->hit->off = w->at[from];
	sc->hit->len = to > from ? w->at[to - 1] + 1 - w->at[from] : 1;
	sc->found = 1;
}

static void report_as(struct scan *sc, const char *rule, int conf, int high, size_t from, size_t to)
{
	report_sev(sc, rule, conf, high ? POL_SEV_HIGH : POL_SEV_MEDIUM, from, to);
}

static void report(struct scan *sc, const char *rule, int conf, size_t from, size_t to)
{
	report_as(sc, rule, conf, 0, from, to);
}

/* Bytes that end a URL (E_URL) and, with more, a host (E_HOST). */
enum {
	E_HOST = 1,
	E_URL = 2,
	E_MARK = 4, /* '@' or '\\', which judge_authority heeds */
	E_REST = 8, /* what judge_url looks for after an authority */
};
static const uint8_t ends[256] = {
    [0] = E_HOST, /* a C-string resolver stops at a NUL (127.0.0.1%00.example.com) */
    [' '] = E_HOST | E_URL | E_REST,
    ['\t'] = E_HOST | E_URL,
    ['"'] = E_HOST | E_URL | E_REST,
    ['\''] = E_HOST | E_URL,
    ['<'] = E_HOST | E_URL,
    ['>'] = E_HOST | E_URL,
    ['\n'] = E_HOST | E_URL | E_REST,
    ['\r'] = E_HOST | E_URL,
    ['`'] = E_HOST | E_URL,
    ['/'] = E_HOST,
    ['?'] = E_HOST,
    ['#'] = E_HOST | E_REST,
    ['&'] = E_HOST | E_REST,
    [','] = E_HOST,
    [';'] = E_HOST,
    [')'] = E_HOST,
    ['{'] = E_HOST,
    ['}'] = E_HOST,
    ['|'] = E_HOST,
    ['@'] = E_MARK | E_REST,
    ['\\'] = E_MARK | E_REST,
    [':'] = E_REST,
};

static inline int ends_host(int c)
{
	return ends[c & 0xff] & E_HOST;
}

static inline int ends_url(int c)
{
	return ends[c & 0xff] & E_URL;
}

/* Does the path from t[k] name a server-side script (.php, .jsp, .sh...)? */
static int script_path(const unsigned char *t, size_t m, size_t k)
{
	static const char *const exts[] = {"php", "phtml", "asp", "aspx", "jsp",
	                                   "pl",  "py",    "sh",  "cgi",  "rb"};
	size_t e = k, dot = 0;
	while (e < m && e < k + SSRF_HOST && !ends_url(t[e]) && t[e] != '?' && t[e] != '#') {
		if (t[e] == '/')
			dot = 0;
		else if (t[e] == '.')
			dot = e + 1;
		e++;
	}
	if (!dot)
		return 0;
	for (size_t x = 0; x < sizeof(exts) / sizeof(exts[0]); x++) {
		size_t l = strlen(exts[x]);
		if (e - dot == l && memcmp(t + dot, exts[x], l) == 0)
			return 1;
	}
	return 0;
}

/* Is the URL at t[b] the value of a name=value pair (a query string or
 * form body carried whole) whose name says it holds a file path
 * ("_CONF[path]=", "mosConfig_absolute_path=", "include=")? The name is
 * lower case here, so only non-letters delimit its words. */
static int pair_name_pathish(const unsigned char *t, size_t b)
{
	static const struct {
		const char *s;
		size_t n;
	} words[] = {{"path", 4},    {"file", 4},    {"dir", 3},      {"folder", 6},
	             {"include", 7}, {"require", 7}, {"template", 8}, {"root", 4},
	             {"module", 6},  {"theme", 5},   {"lang", 4}};
	if (b < 4 || t[b - 1] != '=')
		return 0;
	size_t e = b - 1, a = e;
	while (a > 0 && e - a < 48 && t[a - 1] != '&' && t[a - 1] != '?' && t[a - 1] != ';' &&
	       t[a - 1] != ' ' && t[a - 1] != '"' && t[a - 1] != '\'' && t[a - 1] != '\n')
		a--;
	for (size_t k = a; k < e; k++) {
		if (k > a && ch_is_alpha(t[k - 1]))
			continue; /* words start after a non-letter */
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
			size_t l = words[w].n;
			if (k + l <= e && memcmp(t + k, words[w].s, l) == 0 &&
			    (k + l == e || !ch_is_alpha(t[k + l])))
				return 1;
		}
	}
	return 0;
}

static size_t judge_authority(struct scan *sc, size_t k, size_t url_from, int scheme_conf,
                              const char *scheme_rule, int has_scheme);

/* Did t[j] come from an escape or a look-alike character (%2f, %252f,
 * U+FF0F for '/') rather than from the byte itself? */
static inline int coded(const struct scan *sc, size_t j)
{
	return (unsigned char)sc->s[sc->w->at[j]] != sc->w->t[j];
}

/* Does the authority t[k..e) hold a password, a colon followed by anything
 * but a port's digits? */
static int has_password(const unsigned char *t, size_t k, size_t e)
{
	const unsigned char *c = memchr(t + k, ':', e - k);
	if (!c)
		return 0;
	for (size_t j = (size_t)(c - t) + 1; j < e; j++)
		if (!ch_is_digit(t[j]))
			return 1;
	return 0;
}

/* Userinfo that holds a backslash or another literal '@' (http://a.com\@b.com/,
 * http://a@b@c.com/, what %5c decodes to): the authority t[k..e) ends where
 * one parser says and another does not, so a check and the fetch see two
 * hosts. */
static void judge_userinfo(struct scan *sc, size_t b, size_t k, size_t e)
{
	const unsigned char *t = sc->w->t;
	const unsigned char *a = memchr(t + k, '@', e - k);
	if (!a)
		return;
	size_t last = (size_t)(a - t), ats = 0, bs = (size_t)-1;
	int colon = 0;
	for (size_t j = k; j < e; j++) {
		if (t[j] == '@') {
			ats += !coded(sc, j); /* %40 is how a password holds an '@' */
			last = j;
		} else if (t[j] == '\\' && !colon && bs == (size_t)-1) {
			bs = j; /* before any password: a delimiter some parsers heed */
		} else if (t[j] == ':' && !ats) {
			colon = 1;
		}
	}
	/* the backslash before the last '@' (after it, \l\o\c\a\l escapes) */
	if (bs < last)
		report_as(sc, "ssrf.authority_confusion", 80, 1, b, e);
	else if (ats >= 2)
		report_as(sc, "ssrf.authority_confusion", 70, 1, b, e);
}

/* The authority of the URL at t[b] runs from t[k] to t[e], where a '/',
 * '?' or '#' ends it. A segment after that holding "userinfo@host"
 * (http://example.com%2f@evil.com/, http://example.com#@evil.com/) makes
 * parsers disagree about the host: one that decodes the slash, or takes
 * the delimiter for part of the userinfo, fetches evil.com where a check
 * saw example.com. */
static void judge_delimited_userinfo(struct scan *sc, size_t b, size_t k, size_t e)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	int enc = coded(sc, e);
	size_t j = e + 1, at = 0;
	int colon = 0;
	for (; j < m && j < e + SSRF_HOST && !ends_url(t[j]); j++) {
		/* after an encoded delimiter, only a literal one ends the part
		 * the decoding parser reads as userinfo */
		if ((t[j] == '/' || t[j] == '?' || t[j] == '#') && !(enc && coded(sc, j)))
			break;
		if (t[j] == '@')
			at = j;
		colon |= t[j] == ':' && !at;
	}
	if (!at)
		return;
	/* a host after the '@': a name whose last label has two letters or
	 * more, or a dotted address ("/@user" is a handle) */
	size_t dots = 0, label = 0, h = at + 1;
	int ok = h < j;
	for (; h < j && t[h] != ':' && ok; h++) {
		if (t[h] == '.') {
			dots++;
			label = 0;
		} else if (ch_is_alpha(t[h])) {
			label++;
		} else if (ch_is_digit(t[h]) || t[h] == '-') {
			label = 0;
		} else {
			ok = 0;
		}
	}
	if (!ok || !dots || !(label >= 2 || ch_is_digit(t[h - 1])))
		return;
	int conf;
	if (enc && !has_password(t, k, e))
		conf = 80; /* an encoded delimiter inside the authority: no benign spelling */
	else if (t[e] == '/')
		conf = colon ? 75 : 45; /* "/@user.name" may be a handle: weak */
	else if (at == e + 1 || colon)
		conf = 70; /* "#@host", "?@host", "#x:y@host" */
	else
		return;
	report_as(sc, "ssrf.authority_confusion", conf, conf >= 70, b, j);
	/* and the host the confused parser fetches, by its address */
	if (conf >= 70 && ch_is_digit(t[at + 1]))
		judge_authority(sc, at + 1, b, 0, NULL, 1);
}

/* After the authority of an http or ftp URL ending at t[e]: parser
 * confusions and inclusion tricks that need no private address. */
static void judge_rest(struct scan *sc, size_t b, size_t k, size_t e)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	/* a URL where the field's name says a file path goes (page=, include=,
	 * _CONF[path]=): the code will include or open it, from another host */
	if (sc->where & POL_IN_PATHISH)
		report_as(sc, "ssrf.remote_include", 70, 1, b, e);
	else if (pair_name_pathish(t, b)) {
		/* "path=https://..." inside a sentence is a mention */
		if (sc->prose < 0)
			sc->prose = prose_value(sc->s, sc->n);
		report_as(sc, "ssrf.remote_include", sc->prose ? SSRF_MENTION : 70, 1, b, e);
	}
	if (sc->at_sign && e > k)
		judge_userinfo(sc, b, k, e);
	if (sc->at_sign && e < m && (t[e] == '/' || t[e] == '?' || t[e] == '#'))
		judge_delimited_userinfo(sc, b, k, e);
	/* the host cut by an escaped NUL or a backslash before more of a
	 * name (evil.com%00.example.com, evil.com\.example.com): a C resolver
	 * or a WHATWG parser stops at evil.com, a check reading on sees
	 * example.com */
	if (e + 2 < m && t[e + 1] == '.' && ch_is_alnum(t[e + 2]) &&
	    (t[e] == '\\' || (t[e] == 0 && coded(sc, e))))
		report_as(sc, "ssrf.authority_confusion", 80, 1, b, e + 2);
	/* a whole value that is a URL ending in "?" or a NUL: what follows it
	 * in the including code (".php") becomes a query and is ignored */
	if (b == sc->value_start && sc->final) {
		size_t u = e;
		while (u < m && !ends_url(t[u]))
			u++;
		size_t end = u;
		while (end < m && (t[end] == '"' || t[end] == '\'' || t[end] == ' '))
			end++;
		int cut = u > e && (t[u - 1] == '?' || t[u - 1] == 0);
		/* %00 inside the path ("shell.txt%00.jpg"): a C-string API stops
		 * there; an escaped NUL has no place in a URL */
		for (const unsigned char *z = sc->escapes && u > e ? memchr(t + e, 0, u - e) : NULL;
		     z && !cut;
		     z = (size_t)(z - t) + 1 < u ? memchr(z + 1, 0, (size_t)(t + u - z - 1)) : NULL)
			cut = coded(sc, (size_t)(z - t));
		if (end == m && cut)
			report_as(sc, "ssrf.suffix_truncation", 65, 1, b, u);
		/* a whole value that is an FTP URL: data to be fetched over a
		 * protocol a web API has no use for, what PHP includes remotely;
		 * in prose it stays a mention (50) */
		if (end == m && t[b] == 'f' && t[b + 1] == 't' && t[b + 2] == 'p')
			report_as(sc, "ssrf.scheme_ftp", 60, 1, b, u);
	}
}

/* A URL of another protocol (gopher://, file://) named inside a sentence
 * ("gopher links like gopher://... still work"): link previews fetch only
 * http(s), so the mention is weak; a value that is the URL, or a URL
 * field, keeps conf. */
static int scheme_mention(struct scan *sc, size_t from, int conf)
{
	if (conf <= SSRF_MENTION || from == sc->value_start || (sc->where & POL_IN_URLISH) ||
	    from == 0 || (sc->w->t[from - 1] != ' ' && sc->w->t[from - 1] != '('))
		return conf;
	if (sc->prose < 0)
		sc->prose = prose_value(sc->s, sc->n);
	return sc->prose ? SSRF_MENTION : conf;
}

/* Does h[0..n) hold a dot? Looked for from the end, where a name's
 * last label is short. */
static inline int last_dot(const unsigned char *h, size_t n)
{
	while (n && h[n - 1] != '.')
		n--;
	return n != 0;
}

/* Is the host h[0..n) (lower case) one of AWS's own domains, the site a
 * Lambda function's requests come to (execute-api.REGION.amazonaws.com,
 * lambda-url.REGION.on.aws) and the events of its services point at
 * (a custom resource's ResponseURL, S3 Object Lambda's inputS3Url)? */
static inline int aws_host(const unsigned char *h, size_t n)
{
	static const char com[] = "amazonaws.com", aws[] = "on.aws";
	if (n >= 3 && h[n - 1] == 'n' && h[n - 2] == 'c' && h[n - 3] == '.')
		n -= 3; /* amazonaws.com.cn */
	if (n >= 6 && h[n - 1] == 's')
		return memcmp(h + n - 6, aws, 6) == 0 && (n == 6 || h[n - 7] == '.');
	if (n < 10 || h[n - 1] != 'm' || h[n - 4] != '.' || (h[n - 5] != 'n' && h[n - 5] != 's'))
		return 0; /* neither "amazon.com" nor "amazonaws.com" */
	size_t l = n >= 13 && memcmp(h + n - 13, com, 13) == 0 ? 13
	           : memcmp(h + n - 10, "amazon.com", 10) == 0 ? 10
	                                                       : 0;
	return l && (n == l || h[n - l - 1] == '.');
}

/* Reads the host and port starting at t[k] (after "//" or "@"), undoing
 * backslash escapes (\l\o\c\a\l\h\o\s\t); judges it and reports. Returns
 * the index after the authority. */
static size_t judge_authority(struct scan *sc, size_t k, size_t url_from, int scheme_conf,
                              const char *scheme_rule, int has_scheme)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	unsigned char h[SSRF_HOST];
	size_t hn = 0, e = k;
	int bracketed = 0, port = -1;
	/* userinfo: the last '@' before the end of the authority */
	size_t at = (size_t)-1, end = k, lim = m < k + SSRF_HOST ? m : k + SSRF_HOST;
	int escaped = 0;
	for (;; end++) {
		while (end < lim && !(ends[t[end]] & (E_HOST | E_MARK)))
			end++;
		if (end == lim || ends_host(t[end]))
			break;
		if (t[end] == '@')
			at = end;
		else
			escaped = 1;
	}
	if (at != (size_t)-1)
		e = k = at + 1;
	if (e < m && t[e] == '[') {
		bracketed = 1;
		for (e++; e < m && e < k + SSRF_HOST && t[e] != ']'; e++)
			if (hn < sizeof(h))
				h[hn++] = t[e];
		if (e < m && t[e] == ']')
			e++;
	} else {
		if (at == (size_t)-1 && !escaped) {
			/* the common case, no userinfo or escape: the host is
			 * what was just read, as the loop below would copy it */
			hn = end - k;
			memcpy(h, t + k, hn);
			e = end;
		}
		for (; e < m && e < k + SSRF_HOST && !ends_host(t[e]); e++) {
			int c = t[e];
			if (c == '\\') {
				if (e + 1 < m && (ch_is_alnum(t[e + 1]) || t[e + 1] == '\\'))
					continue; /* \l\o\c\a\l: an escape a lenient parser drops */
				break;
			}
			if (hn < sizeof(h))
				h[hn++] = (unsigned char)c;
		}
		/* a port after the last colon, unless the host is IPv6 */
		size_t colons = 0, last = 0;
		if (hn && memchr(h, ':', hn))
			for (size_t j = 0; j < hn; j++)
				if (h[j] == ':') {
					colons++;
					last = j;
				}
		if (colons == 1) {
			int p = 0, ok = last + 1 < hn;
			for (size_t j = last + 1; j < hn; j++) {
				if (!ch_is_digit(h[j]) || p > 99999) {
					ok = 0;
					break;
				}
				p = p * 10 + (h[j] - '0');
			}
			if (ok)
				port = p;
			hn = last;
		}
	}
	if (bracketed && e < m && t[e] == ':') {
		int p = 0, d = 0;
		for (e++; e < m && ch_is_digit(t[e]) && d < 6; e++, d++)
			p = p * 10 + (t[e] - '0');
		if (d)
			port = p;
	}
	struct host_verdict hv = judge_host(h, hn, bracketed);
	int urlish = (sc->where & POL_IN_URLISH) != 0;
	/* for judge_offsite: a single label ("http://pre-signed-url") is a
	 * placeholder no outside server answers to */
	sc->offsite_host = hv.v == V_PUBLIC && url_from == sc->value_start && sc->final && hn &&
	                   !(sc->where & (POL_IN_HEADER | POL_IN_COOKIE | POL_IN_PATH |
	                                  POL_IN_BODY | POL_IN_URLISH)) &&
	                   (bracketed || last_dot(h, hn)) && !aws_host(h, hn);
	if (hv.v != V_PUBLIC) {
		int conf = verdict_conf[hv.v] + (urlish ? 5 : 0) + (hv.odd ? 10 : 0);
		const char *rule = hv.rule ? hv.rule : verdict_rule[hv.v];
		if (hv.odd && !hv.rule)
			rule = "ssrf.obfuscated_ip";
		if (hv.v == V_LOOPBACK && port == 9001) {
			rule = "ssrf.runtime_api";
			conf = 95;
		}
		static const char api[] = "/2018-06-01/runtime";
		if (hv.v == V_LOOPBACK && e + sizeof(api) - 1 <= m &&
		    memcmp(t + e, api, sizeof(api) - 1) == 0) {
			rule = "ssrf.runtime_api";
			conf = 95;
		}
		/* a URL mentioned in a sentence ("check http://localhost:3000
		 * after npm start", "169.254.0.0/16 is link-local") is what
		 * tickets, chat and docs hold, not what a client fetches: a weak
		 * signal, unless it names the metadata service or the Runtime
		 * API, or spells its address the way only evasions do */
		if (!urlish && hv.v != V_METADATA && !hv.odd &&
		    strcmp(rule, "ssrf.runtime_api") != 0 && conf > SSRF_MENTION) {
			if (sc->prose < 0)
				sc->prose = prose_value(sc->s, sc->n);
			if (sc->prose)
				conf = SSRF_MENTION;
		}
		if (!has_scheme && !urlish) {
			/* a bare address is data (an event's sourceIp), unless it is
			 * a dotted metadata address or an obfuscated spelling */
			size_t dots = 0;
			int hex = 0;
			for (size_t j = 0; j < hn; j++) {
				dots += h[j] == '.';
				hex |= h[j] == 'x';
			}
			/* "10.5" and "10.0.1" are numbers and versions; a hex
			 * part, or a metadata address in any spelling, is not */
			int telling =
			    ch_is_digit(h[0]) && ((dots >= 2 && hv.v == V_METADATA) ||
			                          (dots >= 1 && hex) || (dots == 3 && hv.odd));
			conf = telling ? conf - 20 : 0;
		}
		report(sc, rule, conf, url_from, e);
	} else {
		if (scheme_rule && scheme_conf)
			report(sc, scheme_rule,
			       scheme_mention(sc, url_from, scheme_conf + (urlish ? 5 : 0)),
			       url_from, e);
		/* a URL to a raw public address (https://1.1.1.1/dns-query) is
		 * a weak signal alone; one that fetches a server-side script
		 * (http://66.240.183.75/crash.php) is remote file inclusion */
		if (hv.ip && has_scheme && hn) {
			if (script_path(t, m, e))
				report_as(sc, "ssrf.remote_include", 65, 1, url_from, e);
			else
				report(sc, "ssrf.ip_literal", 40, url_from, e);
			/* another protocol to a raw address (ftp://1.1.1.1 in an
			 * XML body): no link a person shares, what an inclusion or
			 * a probe of the function's network names; in prose, a
			 * mention */
			if (scheme_rule && scheme_conf)
				report_as(sc, scheme_rule, scheme_mention(sc, url_from, 65), 1,
				          url_from, e);
		}
	}
	return e;
}

/* A whole value that is an absolute web or FTP URL (x=https://foo.bar/):
 * code that fetches or includes what a parameter names then takes another
 * host's content, remote file inclusion as CRS's rule 931130 sees it at its
 * paranoia level 2. That rule compares the host with the request's Host; a
 * detector sees one value, and on Lambda the Host is AWS's, so every webhook
 * or image URL elsewhere is "another host": a level-2 signal (30-49),
 * critical so that it alerts alone where that level is asked for. Only in
 * what a caller passes as arguments (a query or form value, a key, a value
 * of an event whose shape is unknown), never a header, a cookie, a path or
 * a raw body, nor a field whose name says it holds a URL (a webhook, an
 * avatar: there a public URL is what the field is for, and the level-1
 * judgements of its address still apply); the URL must be the whole value,
 * so prose never qualifies;
 * the host a name with a dot or an address ("http://pre-signed-url" is a
 * placeholder, a single label no outside server answers to): judge_authority
 * judges the place and the host into offsite_host. The URL starts at t[b], its authority ends at
 * t[e]. */
static void judge_offsite(struct scan *sc, size_t b, size_t e, int offsite_host)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	if (!offsite_host)
		return;
	/* the URL runs to the end of the value, but for closing quotes or
	 * spaces; a value without any byte that ends a URL needs no look */
	size_t u = m;
	if (!sc->plain) {
		u = e;
		while (u < m && !ends_url(t[u]))
			u++;
		size_t end = u;
		while (end < m && (t[end] == '"' || t[end] == '\'' || t[end] == ' '))
			end++;
		if (end != m)
			return;
	}
	report_sev(sc, "ssrf.offsite_url", 40, POL_SEV_CRITICAL, b, u);
}

/* At t[i] == ':' : a URL's scheme ends here? */
static void judge_url(struct scan *sc, size_t i)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m, b = i;
	while (b > 0 && i - b < 16 &&
	       (ch_is_alnum(t[b - 1]) || t[b - 1] == '_' || t[b - 1] == '+' || t[b - 1] == '-' ||
	        t[b - 1] == '.'))
		b--;
	if (b == i || !ch_is_alpha(t[b]))
		return;
	int s = scheme_lookup(t + b, i - b);
	size_t k = i + 1, slashes = 0;
	while (k < m && (t[k] == '/' || t[k] == '\\') && slashes < 3) {
		k++;
		slashes++;
	}
	int kind = s >= 0 ? schemes[s].kind : K_OTHER;
	int special = kind == K_WEB;
	int conf = s >= 0 ? schemes[s].conf : 0;
	const char *rule = s >= 0 ? schemes[s].rule : NULL;
	if (kind == K_JAR) {
		/* jar:http://... fetches the archive; "cookie jar: empty" does not */
		size_t e = k;
		while (e < m && e < k + 12 && ch_is_alpha(t[e]))
			e++;
		if (e > k && e < m && t[e] == ':' && scheme_lookup(t + k, e - k) >= 0)
			report(sc, rule, scheme_mention(sc, b, conf), b, e + 1);
		return;
	}
	/* file:///etc/passwd; and without the "//", as Java's URL and curl
	 * read it: file:/etc/passwd, file:c:/windows/win.ini. Java prints a
	 * file's URL that way in its logs ("at URI file:/var/task/x.xml"), so
	 * that form counts only where a value starts: the whole value, after
	 * '=', a quote, '>', ':' or '/', or in a URL or file-path field. */
	int path = kind == K_LOCAL &&
	           (slashes == 1 ? k < m && (ch_is_alnum(t[k]) || t[k] == '.' || t[k] == '~')
	                         : slashes == 0 && k + 2 < m && ch_is_alpha(t[k]) &&
	                               t[k + 1] == ':' && (t[k + 2] == '/' || t[k + 2] == '\\'));
	if (path) {
		int starts = b == sc->value_start ||
		             (sc->where & (POL_IN_URLISH | POL_IN_PATHISH)) ||
		             (b > 0 && memchr("=\"'>:/", t[b - 1], 6));
		report(sc, rule, starts ? conf : SSRF_MENTION, b, k);
		return;
	}
	if (kind == K_LOCAL && slashes >= 2) {
		/* "Needs a file:// prefix", "``file://`` URLs": the scheme
		 * named with nothing after it reads nothing */
		int bare = k >= m || (t[k] && strchr(" \t\r\n\"'`),;", t[k]));
		report(sc, rule, bare ? SSRF_MENTION : scheme_mention(sc, b, conf), b, k);
		return;
	}
	if (slashes == 2 || (special && slashes <= 3) || (slashes == 3 && s < 0)) {
		size_t e = judge_authority(sc, k, b, conf, rule, 1);
		if (special || kind == K_FTP) {
			int offsite_host = sc->offsite_host;
			judge_rest(sc, b, k, e);
			judge_offsite(sc, b, e, offsite_host);
		}
		/* parser differentials ("http://a.com:80 &@b.com# @127.0.0.1/"):
		 * once the authority ended oddly, every later '@' starts a host
		 * some parser will use */
		int odd_end = 0;
		for (size_t j = e; j < m && j < e + SSRF_HOST; j++) {
			if (!(ends[t[j]] & E_REST))
				continue; /* none of the bytes below */
			if (t[j] == ' ' || t[j] == '#' || t[j] == '\\' || t[j] == '&')
				odd_end = 1;
			if (t[j] == '@' && j + 1 < m && odd_end)
				judge_authority(sc, j + 1, b, 0, NULL, 1);
			if (t[j] == ':' && j + 2 < m && t[j + 1] == '/' && t[j + 2] == '/')
				break; /* the next URL */
			if (t[j] == '\n' || t[j] == '"')
				break;
		}
	} else if (s >= 0 && conf && slashes == 0 && !special && (k < m && ch_is_alnum(t[k]))) {
		/* dict:127.0.0.1:11211 style without slashes: judge the host */
		judge_authority(sc, k, b, 0, NULL, 1);
	}
}

/* Whether scan_window's first-window test can report on s[0..m) when
 * nothing in it decodes ("//host", or one token that is the whole value,
 * judged as a bare host). A bare host outside a URL field reports only a
 * dotted address (judge_authority's "telling" spelling), so its host, after
 * the last '@', must start with a digit, or with a backslash or bracket
 * that judge_authority reads past: an e-mail address or a SKU cannot. */
static int bare_host_first(const char *s, size_t m, int urlish)
{
	const unsigned char *t = (const unsigned char *)s;
	size_t k = 0;
	while (k < m && (t[k] == ' ' || t[k] == '"' || t[k] == '\''))
		k++;
	if (k + 2 < m && t[k] == '/' && t[k + 1] == '/')
		return 1;
	if (k >= m || !(ch_is_digit(t[k]) || t[k] == '[' || ch_is_alpha(t[k])))
		return 0;
	if (!urlish) {
		/* the host starts the value or follows an '@' (the last one
		 * judge_authority sees is among these): none telling, no
		 * finding, without reading the token */
		const unsigned char *p = memchr(t + k, '@', m - k);
		int telling = !p && (ch_is_digit(t[k]) || t[k] == '\\' || t[k] == '[');
		for (; p; p = memchr(p + 1, '@', (size_t)(t + m - p - 1)))
			telling |=
			    p + 1 < t + m && (ch_is_digit(p[1]) || p[1] == '\\' || p[1] == '[');
		if (!telling)
			return 0;
	}
	size_t e = k, at = k;
	for (;; e++) {
		while (e < m && !(ends[t[e]] & (E_HOST | E_MARK)))
			e++;
		if (e == m || ends_host(t[e]))
			break;
		if (t[e] == '@' && e < k + SSRF_HOST)
			at = e + 1;
	}
	if (!(e == m || t[e] == '/' || t[e] == '"' || t[e] == '\''))
		return 0;
	return urlish || (at < m && (ch_is_digit(t[at]) || t[at] == '\\' || t[at] == '['));
}

static void scan_window(struct scan *sc, int first, size_t limit)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	if (first) {
		/* a bare host, or "//host" */
		size_t k = 0;
		while (k < m && (t[k] == ' ' || t[k] == '"' || t[k] == '\''))
			k++;
		sc->value_start = k;
		if (k + 2 < m && t[k] == '/' && t[k + 1] == '/')
			judge_authority(sc, k + 2, k, 0, NULL, 1);
		else if (k < m && (ch_is_digit(t[k]) || t[k] == '[' || ch_is_alpha(t[k]))) {
			/* only if the whole value is one token */
			size_t e = k;
			while (e < m && !ends_host(t[e]))
				e++;
			if (e == m || t[e] == '/' || t[e] == '"' || t[e] == '\'')
				judge_authority(sc, k, k, 0, NULL, 0);
		}
	}
	if (sc->found && sc->hit->confidence >= SSRF_ENOUGH)
		return;
	/* every colon may end a scheme */
	for (size_t i = 1; i < limit;) {
		const unsigned char *c = memchr(t + i, ':', limit - i);
		if (!c)
			break;
		i = (size_t)(c - t);
		judge_url(sc, i);
		if (sc->found && sc->hit->confidence >= SSRF_ENOUGH)
			return;
		i++;
	}
}

/* A whole value that is a scheme word and one '?' or more ("http?",
 * "ftps??"), CRS's remote-file-inclusion probe of rule 931120: in
 * include($x . ".php") the '?' turns the suffix the code appends into a
 * query string the fetched server ignores, the trick that
 * "http://evil/shell.txt?" plays in full (judge_rest). The words are the
 * schemes PHP includes from; no sentence is a scheme's name and a question
 * mark alone ("https?" is a regular expression's, not English). */
static __attribute__((noinline)) int scheme_cut(const char *s, size_t n, struct pol_hit *hit)
{
	static const char *const words[] = {"file", "ftp", "ftps", "http", "https"};
	size_t i = 0, e = n;
	while (i < e && s[i] == ' ')
		i++;
	while (e > i && s[e - 1] == ' ')
		e--;
	char low[6];
	size_t w = i;
	for (; w < e && w - i < sizeof(low) && ch_is_alpha((unsigned char)s[w]); w++)
		low[w - i] = (char)ch_lower((unsigned char)s[w]);
	size_t q = w;
	while (q < e && s[q] == '?')
		q++;
	if (q != e || q == w || w == i)
		return 0;
	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		if (strlen(words[k]) != w - i || memcmp(low, words[k], w - i) != 0)
			continue;
		hit->rule = "ssrf.suffix_truncation";
		hit->category = POL_CAT_SSRF;
		hit->severity = POL_SEV_HIGH;
		hit->confidence = 60;
		hit->off = (uint32_t)i;
		hit->len = (uint32_t)(e - i);
		return 1;
	}
	return 0;
}

/* What a value without a colon may still be: a scheme word cut by '?'. */
static inline int colonless(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	return (ctx->chars & POL_CH_QMARK) && (s[n - 1] == '?' || s[n - 1] == ' ') &&
	       scheme_cut(s, n, hit);
}

/* Each byte as itself and lower-cased, for the window fill. */
static uint8_t same_byte[256], lower_byte[256];

static void __attribute__((constructor)) fill_tables_init(void)
{
	for (int c = 0; c < 256; c++) {
		same_byte[c] = (uint8_t)c;
		lower_byte[c] = (uint8_t)ch_lower(c);
	}
}

int pol_detect_ssrf(const char *s, size_t n, const struct pol_ctx *ctx, struct pol_hit *hit)
{
	/* a scheme word cut by '?' holds no colon: judged where colonless
	 * values return */
	if (!ctx && scheme_cut(s, n, hit))
		return 1;
	/* a URL needs a colon; a bare address a digit, a dot or a bracket */
	if (ctx &&
	    !(ctx->chars & (POL_CH_COLON | POL_CH_DIGIT | POL_CH_DOT | POL_CH_BRACKET |
	                    POL_CH_PERCENT | POL_CH_HIGH)) &&
	    !(ctx->where & POL_IN_URLISH))
		return colonless(s, n, ctx, hit);
	/* No colon, and no escape or wide character that could decode to
	 * one: no URL; only a value that is one bare host can be judged (as
	 * scan_window does on the first window, whose decodings change no
	 * byte here but letters' case). Most text is not: return at once. */
	if (ctx && !(ctx->chars & (POL_CH_COLON | POL_CH_PERCENT | POL_CH_HIGH)) &&
	    !bare_host_first(s, n < SSRF_WIN ? n : SSRF_WIN, (ctx->where & POL_IN_URLISH) != 0))
		return colonless(s, n, ctx, hit);
	/* without escapes or wide characters (an escape may decode to one),
	 * decoding is lower-casing, done as the window fills */
	int escapes = !ctx || (ctx->chars & POL_CH_PERCENT);
	int wide = escapes || (ctx->chars & POL_CH_HIGH);
	struct window w;
	struct scan sc = {.w = &w,
	                  .where = ctx ? ctx->where : 0,
	                  .hit = hit,
	                  .value_start = (size_t)-1,
	                  .s = s,
	                  .n = n,
	                  .prose = -1,
	                  .escapes = escapes,
	                  .at_sign = escapes || (ctx->chars & POL_CH_AT),
	                  .plain = !wide && !(ctx->chars & (POL_CH_SPACE | POL_CH_SQUOTE |
	                                                    POL_CH_DQUOTE | POL_CH_LT | POL_CH_GT |
	                                                    POL_CH_NEWLINE | POL_CH_BACKTICK))};
	size_t i = 0;
	int first = 1;
	while (i < n) {
		size_t take = n - i < SSRF_WIN ? n - i : SSRF_WIN;
		const unsigned char *u = (const unsigned char *)s + i;
		const uint8_t *fold = wide ? same_byte : lower_byte;
		for (size_t k = 0; k < take; k++) {
			w.t[k] = fold[u[k]];
			w.at[k] = (uint32_t)(i + k);
		}
		w.m = take;
		i += take;
		int final = i >= n;
		for (int p = 0; escapes && p < 2 && percent_pass(&w); p++)
			;
		if (wide)
			fold_pass(&w);
		size_t limit = final || w.m <= SSRF_KEEP ? w.m : w.m - SSRF_KEEP;
		sc.final = final;
		scan_window(&sc, first, limit);
		first = 0;
		sc.value_start = (size_t)-1; /* an index of the first window only */
		if (final || (sc.found && hit->confidence >= SSRF_ENOUGH))
			break;
		if (limit < w.m)
			i = w.at[limit];
	}
	return sc.found;
}
