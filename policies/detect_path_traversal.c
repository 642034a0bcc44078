/* Detector: path_traversal (directory traversal and local file inclusion).
 *
 * We first bring the input to the form a file API would finally see:
 * percent escapes are undone repeatedly (%2e, %252e, %%32%65), so are %uXXXX
 * escapes and dotdotpwn's "0x2e"; UTF-8 is decoded leniently, so overlong
 * forms (%c0%ae, %e0%80%ae, %c1%9c) and look-alikes (full-width dots and
 * slashes, U+2215, U+2216) become the ASCII they stand for; backslashes
 * become slashes and NUL bytes vanish (C APIs stop there, so "..%00/" is
 * "../" to them). Then:
 *   - a run of two or more dots between separators ("../", "..\", "....//",
 *     ".../", "..;/") is a traversal step; how many, whether they had to be
 *     decoded, and what they lead to set the confidence;
 *   - an absolute path to a file an attacker wants (/proc/self/environ,
 *     where a Lambda function's credentials live, /etc/passwd, /var/task/,
 *     c:\windows\win.ini) at the start of a value is an inclusion attempt;
 *   - file:// URLs and PHP stream wrappers (php://filter, phar://, expect://)
 *     read local files by design.
 * Version strings (1.2.3), ellipses in prose and relative paths without
 * dot-dot steps do not match any of these.
 *
 * The input is canonicalised in a stack window of PT_WIN bytes with
 * PT_KEEP bytes of overlap; every pass and check is linear.
 */
#include <string.h>

#include "detect.h"
#include "detect_chars.h"
#include "vec16.h"
#include "detect_prose.h"

#define PT_WIN         4096
#define PT_KEEP        256
#define PT_PASSES      4  /* layers of encoding undone */
#define PT_ENOUGH      90 /* a finding this sure ends the scan */
#define PT_PATH_CHECKS 8  /* "//" and "/c:" inside a path judged, per input */
#define PT_MENTION     40 /* a system path named in a sentence: cannot alert alone */
#define PT_WEAK_PATH   40 /* an ordinary absolute path, whole: cannot alert alone */

struct window {
	unsigned char t[PT_WIN];
	uint32_t at[PT_WIN]; /* input offset of each byte, unless ident */
	size_t m;
	int decoded;   /* some escape or look-alike was undone */
	int ident;     /* nothing is decoded or dropped: t[x] came from base + x */
	uint32_t base; /* input offset of t[0] */
};

/* The input offset of w->t[x]. */
static inline uint32_t w_at(const struct window *w, size_t x)
{
	return w->ident ? w->base + (uint32_t)x : w->at[x];
}

/* Code points that file APIs or normalisers treat as a dot or a slash. */
static int fold_codepoint(uint32_t cp)
{
	switch (cp) {
	case 0xff0e: /* full-width full stop */
	case 0x2024: /* one dot leader */
	case 0xfe52: /* small full stop */
		return '.';
	case 0xff0f: /* full-width solidus */
	case 0x2215: /* division slash */
	case 0x2044: /* fraction slash */
		return '/';
	case 0xff3c: /* full-width reverse solidus */
	case 0x2216: /* set minus */
	case 0xfe68: /* small reverse solidus */
		return '\\';
	}
	return cp < 0x80 ? (int)cp : -1;
}

/* One decoding pass in place; returns whether anything changed. */
static int decode_pass(struct window *w)
{
	unsigned char *t = w->t;
	size_t m = w->m, o = 0;
	int changed = 0;
	for (size_t i = 0; i < m;) {
		int c = t[i], v = -1;
		size_t used = 1;
		if (c == '%' && i + 2 < m && ch_hexval(t[i + 1]) >= 0 && ch_hexval(t[i + 2]) >= 0) {
			v = ch_hexval(t[i + 1]) * 16 + ch_hexval(t[i + 2]);
			used = 3;
		} else if (c == '%' && i + 5 < m && ch_lower(t[i + 1]) == 'u' &&
		           ch_hexval(t[i + 2]) >= 0 && ch_hexval(t[i + 3]) >= 0 &&
		           ch_hexval(t[i + 4]) >= 0 && ch_hexval(t[i + 5]) >= 0) {
			uint32_t cp =
			    (uint32_t)(ch_hexval(t[i + 2]) << 12 | ch_hexval(t[i + 3]) << 8 |
			               ch_hexval(t[i + 4]) << 4 | ch_hexval(t[i + 5]));
			v = fold_codepoint(cp);
			if (v < 0)
				v = '?';
			used = 6;
		} else if (c == '0' && i + 3 < m && ch_lower(t[i + 1]) == 'x') {
			/* dotdotpwn's 0x2e0x2e0x2f */
			int h = ch_hexval(t[i + 2]) * 16 + ch_hexval(t[i + 3]);
			if (ch_hexval(t[i + 2]) >= 0 && ch_hexval(t[i + 3]) >= 0 &&
			    (h == '.' || h == '/' || h == '\\')) {
				v = h;
				used = 4;
			}
		} else if (c >= 0xc0 && c < 0xfe) {
			/* lenient UTF-8, up to the old six-byte forms: overlong
			 * encodings decode to their ASCII */
			size_t len = c >= 0xfc   ? 6
			             : c >= 0xf8 ? 5
			             : c >= 0xf0 ? 4
			             : c >= 0xe0 ? 3
			                         : 2;
			if (i + len <= m) {
				uint32_t cp = (uint32_t)c & (0x7fu >> len);
				size_t k;
				for (k = 1; k < len; k++) {
					int d = t[i + k];
					if (len == 2 && (d == '.' || d == '/' || d == '\\'))
						break; /* %c0. and %c0/ as IIS read them */
					if ((d & 0xc0) != 0x80)
						break;
					cp = cp << 6 | (uint32_t)(d & 0x3f);
				}
				if (k == len) {
					int f = fold_codepoint(cp);
					if (f >= 0 &&
					    (f == '.' || f == '/' || f == '\\' || cp < 0x80)) {
						v = f;
						used = len;
					}
				} else if (len == 2 && k == 1 && (c == 0xc0 || c == 0xc1)) {
					/* IIS kept the low bits of any second byte: %c0%6e, %c0. */
					v = ((c & 1) << 6) | (t[i + 1] & 0x3f);
					if (v != '.' && v != '/' && v != '\\')
						v = -1;
					else
						used = 2;
				}
			}
		}
		if (v >= 0) {
			changed = 1;
			t[o] = (unsigned char)v;
			w->at[o++] = w->at[i];
			i += used;
		} else {
			t[o] = t[i];
			w->at[o++] = w->at[i++];
		}
	}
	w->m = o;
	return changed;
}

/* What fold_pass makes of each byte (0: a NUL, dropped), built at load. */
static uint8_t fold_byte[256];

static void __attribute__((constructor)) fold_byte_init(void)
{
	for (int c = 0; c < 256; c++)
		fold_byte[c] = (uint8_t)(c == '\\' ? '/' : ch_lower(c));
}

/* Backslashes to slashes, lower case, NUL bytes dropped. */
static int fold_pass(struct window *w)
{
	size_t o = 0;
	int nul = 0;
	for (size_t i = 0; i < w->m; i++) {
		int c = w->t[i];
		if (c == 0) {
			nul = 1;
			continue;
		}
		w->t[o] = (unsigned char)(c == '\\' ? '/' : ch_lower(c));
		w->at[o++] = w->at[i];
	}
	w->m = o;
	return nul;
}

/* ---- what a path leads to ---- */

#define T(path, rule, conf)                                                                        \
	{                                                                                          \
		path, sizeof(path) - 1, rule, conf                                                 \
	}
static const struct {
	const char *path; /* after the leading slash, lower case */
	size_t len;
	const char *rule;
	uint8_t conf; /* as an absolute path at the start of a value */
} targets[] = {
    T("proc/self/environ", "pt.lambda_credentials", 95),
    T("proc/self/", "pt.proc_self", 90),
    T("proc/thread-self/", "pt.proc_self", 90),
    T("proc/1/", "pt.proc", 85),
    T("proc/version", "pt.proc", 85),
    T("proc/", "pt.proc", 75),
    T("dev/fd/", "pt.proc_self", 85),
    T("var/task/", "pt.lambda_code", 85),
    T("var/task", "pt.lambda_code", 70),
    T("var/runtime/", "pt.lambda_runtime", 85),
    T("var/runtime", "pt.lambda_runtime", 70),
    T("opt/extensions", "pt.lambda_layer", 80),
    T("opt/", "pt.lambda_layer", 55),
    T("etc/passwd", "pt.etc", 95),
    T("etc/shadow", "pt.etc", 95),
    T("etc/", "pt.etc", 75),
    T("root/", "pt.home", 80),
    T("var/log/", "pt.logs", 75),
    T("var/www/", "pt.webroot", 60),
    T("var/lib/", "pt.system", 60),
    T("usr/local/etc/", "pt.etc", 75),
    T("usr/local/apache", "pt.webroot", 70),
    T("sys/", "pt.system", 70),
    T("tmp/", "pt.tmp", 40),
    T(".aws/", "pt.credentials", 90),
    T(".ssh/", "pt.credentials", 90),
    T(".env", "pt.credentials", 70),
    T("windows/win.ini", "pt.windows", 95),
    T("windows/system32", "pt.windows", 90),
    T("windows/", "pt.windows", 80),
    T("winnt/", "pt.windows", 80),
    T("boot.ini", "pt.windows", 95),
    T("inetpub/", "pt.windows", 75),
    T("xampp/", "pt.webroot", 70),
    T("wamp/", "pt.webroot", 70),
    T("apache/", "pt.webroot", 65),
    T("apache2/", "pt.webroot", 65),
    T("private/etc/", "pt.etc", 80),
    T("private/var/", "pt.logs", 70),
    T("program files", "pt.windows", 70),
    T("documents and settings", "pt.windows", 70),
};

/* Which targets start with a byte (bit e: targets[e]), built once at load,
 * so that a path is compared only with the few targets it could name. */
static uint64_t targets_starting[256];

static void __attribute__((constructor)) targets_starting_init(void)
{
	_Static_assert(sizeof(targets) / sizeof(targets[0]) <= 64, "64 bits");
	for (size_t e = 0; e < sizeof(targets) / sizeof(targets[0]); e++)
		targets_starting[(unsigned char)targets[e].path[0]] |= 1ull << e;
}

/* The target t[k..] names (k just after a slash), or -1: the first in
 * table order, as the bits are taken lowest first. */
static int target_at(const unsigned char *t, size_t m, size_t k)
{
	for (uint64_t bits = targets_starting[t[k]]; bits; bits &= bits - 1) {
		size_t e = (size_t)__builtin_ctzll(bits), l = targets[e].len;
		if (k + l <= m && memcmp(t + k, targets[e].path, l) == 0)
			return (int)e;
	}
	return -1;
}

/* ---- the scan ---- */

struct scan {
	const struct window *w;
	struct pol_hit *hit;
	int found;
	uint32_t where;  /* POL_IN_* of the input */
	int path_checks; /* absolute paths looked for inside a path, at most PT_PATH_CHECKS */
	const char *s;   /* the value, for prose_value */
	size_t n;
	int prose; /* the value reads as a sentence (detect_prose.h); -1: not asked yet */
	int nul;   /* the window held a NUL byte (dropped by the fold) */
};

static int secret_target(const char *rule)
{
	return strcmp(rule, "pt.lambda_credentials") == 0 || strcmp(rule, "pt.proc_self") == 0 ||
	       strcmp(rule, "pt.credentials") == 0;
}

/* Does the path at t[i] follow a blank or a bracket, as a word of a
 * sentence does (" /etc/hosts", " c:/windows" after its drive letter)? */
static int after_blank(const unsigned char *t, size_t i)
{
	if (i >= 3 && t[i - 1] == ':' && ch_is_alpha(t[i - 2]))
		i -= 2;
	return i > 0 && (t[i - 1] == ' ' || t[i - 1] == '(');
}

/* A path in the middle of a sentence ("add it to /etc/hosts", "users are
 * in /etc/passwd") is named, not opened: no file API takes a sentence as
 * its path. Plain text only: a decoded escape is no mention. */
static int mention(struct scan *sc)
{
	if (sc->w->decoded)
		return 0;
	if (sc->prose < 0)
		sc->prose = prose_value(sc->s, sc->n);
	return sc->prose;
}

/* Severity follows confidence, except for whole values (whole=1): a value
 * that is nothing but a path to a system file is a request to read it, a
 * high-impact outcome however likely; the same path inside prose or a stack
 * trace is only a mention. */
static void report_as(struct scan *sc, const char *rule, int conf, int whole, size_t from,
                      size_t to)
{
	if (sc->found && sc->hit->confidence >= conf)
		return;
	const struct window *w = sc->w;
	if (to > w->m)
		to = w->m;
	if (from >= to)
		from = to ? to - 1 : 0;
	sc->hit->rule = rule;
	sc->hit->category = POL_CAT_PATH_TRAVERSAL;
	sc->hit->severity = conf >= 90            ? POL_SEV_CRITICAL
	                    : conf >= 70 || whole ? POL_SEV_HIGH
	                                          : POL_SEV_MEDIUM;
	sc->hit->confidence = (uint8_t)(conf > 100 ? 100 : conf);
	sc->hit->off = w_at(w, from);
	sc->hit->len = to > from ? w_at(w, to - 1) + 1 - w_at(w, from) : 1;
	sc->found = 1;
}

static void report(struct scan *sc, const char *rule, int conf, size_t from, size_t to)
{
	report_as(sc, rule, conf, 0, from, to);
}

static int is_slash(const unsigned char *t, size_t m, size_t k)
{
	/* after folding, a separator is '/'; "..2f" keeps the escape's digits
	 * where the percent sign was stripped by a filter */
	return k < m && (t[k] == '/' || (k + 1 < m && ((t[k] == '2' && t[k + 1] == 'f') ||
	                                               (t[k] == '5' && t[k + 1] == 'c'))));
}

static size_t slash_len(const unsigned char *t, size_t k)
{
	return t[k] == '/' ? 1 : 2;
}

/* A dot run may start a traversal step here: at the start, after a
 * separator, or after punctuation such as = " ' : ( that begins a value. */
static int step_boundary(const unsigned char *t, size_t i)
{
	if (i == 0)
		return 1;
	int p = t[i - 1];
	if (p == '/' ||
	    (i >= 2 && ((t[i - 2] == '2' && p == 'f') || (t[i - 2] == '5' && p == 'c'))))
		return 1;
	return !ch_is_alnum(p) && p != '.' && p != '-' && p != '_';
}

/* Whether t[a..b) holds w (lower case). */
static int holds(const unsigned char *t, size_t a, size_t b, const char *w)
{
	size_t l = strlen(w);
	for (size_t x = a; x + l <= b; x++)
		if (t[x] == (unsigned char)w[0] && memcmp(t + x, w, l) == 0)
			return 1;
	return 0;
}

/* What an inclusion is after, read from the path t[k..end) alone (folded:
 * lower case, slashes): a folder of logs, configuration, sessions or mail
 * on the way; a configuration, key, credential, history or log file at
 * the end; or a path cut short by a NUL byte. A font, a photo, an upload
 * or an application folder is ordinary data. */
static int sensitive_path(const struct scan *sc, const unsigned char *t, size_t k, size_t end)
{
	static const char *const folders[] = {"etc",      "log",    "logs",  "adm", "conf",
	                                      "sessions", "spool",  "mail",  "run", "system32",
	                                      "security", "shadow", "repair"};
	static const char *const inside[] = {".conf",    "config",     "passwd",  "shadow",
	                                     "secret",   "credential", "history", "unattend",
	                                     "metabase", "sysprep"};
	static const char *const ends[] = {".cnf", ".ini", ".cfg", ".log", "_log", "log",
	                                   ".pdb", ".pem", ".key", ".env", ".inf", ".sys",
	                                   ".dat", ".bak", ".sql", ".err", ".pid", ".properties"};
	if (sc->nul)
		return 1;
	for (size_t a = k; a < end;) {
		size_t b = a;
		while (b < end && t[b] != '/')
			b++;
		for (size_t d = 0; d < sizeof(folders) / sizeof(folders[0]); d++)
			if (b - a == strlen(folders[d]) && memcmp(t + a, folders[d], b - a) == 0)
				return 1;
		for (size_t d = 0; d < sizeof(inside) / sizeof(inside[0]); d++)
			if (holds(t, a, b, inside[d]))
				return 1;
		a = b + 1;
	}
	for (size_t d = 0; d < sizeof(ends) / sizeof(ends[0]); d++) {
		size_t l = strlen(ends[d]);
		if (end - k > l && memcmp(t + end - l, ends[d], l) == 0)
			return 1;
	}
	return 0;
}

/* Absolute paths and file URLs at the start of a value (the input's start,
 * or after = : quote space). */
static void check_absolute(struct scan *sc, size_t i, int at_start)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m, k = i;
	if (k + 7 <= m && t[k] == 'f' && memcmp(t + k, "file://", 7) == 0) {
		/* "open file:///C:/report.html in a browser": named in prose */
		/* "Needs a file:// prefix": the scheme alone names no file */
		int bare = k + 7 >= m || strchr(" \t\r\n'\"`),;", t[k + 7]);
		report(sc, "pt.file_url",
		       bare || (!at_start && after_blank(t, i) && mention(sc)) ? PT_MENTION : 90, k,
		       k + 7);
		return;
	}
	if (k + 5 <= m && t[k] == 'f' && memcmp(t + k, "file:", 5) == 0 && k + 5 < m &&
	    t[k + 5] == '/')
		k += 5;
	int drive = 0;
	if (k + 2 < m && ch_lower(t[k]) >= 'a' && ch_lower(t[k]) <= 'z' && t[k + 1] == ':' &&
	    t[k + 2] == '/') {
		k += 2; /* c:/windows after folding c:\windows */
		drive = 1;
	}
	int slash = k < m && t[k] == '/';
	if (!slash && !at_start)
		return;
	int authority = slash && k + 1 < m && t[k + 1] == '/' && !(k + 2 < m && t[k + 2] == '/');
	/* "/./././boot.ini" is "/boot.ini" */
	while (k < m && (t[k] == '/' || (t[k] == '.' && k + 1 < m && t[k + 1] == '/')))
		k++;
	int e = target_at(t, m, k);
	int htfile = at_start && k + 9 <= m && t[k] == '.' &&
	             (memcmp(t + k, ".htaccess", 9) == 0 || memcmp(t + k, ".htpasswd", 9) == 0);
	if (e < 0 && !htfile && (!slash || !at_start || authority)) /* //host/.x is a URL */
		return;
	/* the path runs to a space, a query or a quote; when that is also
	 * where the value ends, the value is nothing but the path (measured
	 * only past the cheap checks: a run of "=" or ":" costs no look-ahead) */
	size_t end = k;
	while (end < m && t[end] != ' ' && t[end] != '?' && t[end] != '#' && t[end] != '"' &&
	       t[end] != '\'' && t[end] != '&' && end < k + 256)
		end++;
	int whole = at_start && (end == m || t[end] == '"' || t[end] == '\'' || t[end] == '&');
	if (e >= 0) {
		/* "etc/passwd" without its slash still names the file, relative to / */
		int conf = targets[e].conf - (at_start ? 0 : 20) - (slash ? 0 : 30);
		/* named in a sentence (after a blank: a quoted path is a string
		 * in code); the function's credentials and secret folders stay
		 * strong anywhere */
		if (!at_start && conf > PT_MENTION && after_blank(t, i) &&
		    !secret_target(targets[e].rule) && mention(sc))
			conf = PT_MENTION;
		/* "/etc/adduser.conf a regular dpkg-conffile.": a path that
		 * starts a sentence, words after it */
		if (at_start && conf > PT_MENTION && end < m && t[end] == ' ' &&
		    !secret_target(targets[e].rule) && mention(sc))
			conf = PT_MENTION;
		if (conf >= 60 || (conf >= 50 && !whole)) {
			report_as(sc, targets[e].rule, conf, whole, i, k + targets[e].len);
			return;
		}
		/* a weak folder (/opt/, /tmp/): judged by the rest of the path */
	}
	if (htfile) {
		report_as(sc, "pt.hidden_file", 60, whole, i, k + 9); /* ./././.htaccess */
		return;
	}
	if (!slash || !at_start || authority) /* //host/.x is a URL */
		return;
	/* a whole value that is an absolute path to a log, configuration or
	 * history file: what inclusion payload lists try one after another */
	/* /home/x/.aws/credentials: a credentials folder anywhere in the path */
	static const char *const secrets[] = {"/.aws/",  "/.ssh/", "/.docker/",
	                                      "/.kube/", "/.git/", "/.gnupg/"};
	for (size_t x = k; x < end; x++) {
		if (t[x] != '/' || x + 1 >= end || t[x + 1] != '.')
			continue;
		for (size_t d = 0; d < sizeof(secrets) / sizeof(secrets[0]); d++) {
			size_t l = strlen(secrets[d]);
			if (x + l <= end && memcmp(t + x, secrets[d], l) == 0) {
				report_as(sc, "pt.credentials", 85, whole, i, end);
				return;
			}
		}
	}
	/* a whole value that is a Windows path to a file or folder */
	if (drive && k < end && ch_is_alnum(t[k])) {
		report_as(sc, "pt.windows_path", sensitive_path(sc, t, k, end) ? 60 : PT_WEAK_PATH,
		          whole, i, end);
		return;
	}
	/* /var/adm/sulog, /usr/lib/...: two components under a system folder */
	static const char *const sysdirs[] = {"var/", "usr/",     "lib/",     "boot/",    "srv/",
	                                      "tmp/", "volumes/", "library/", "private/", "opt/"};
	for (size_t d = 0; d < sizeof(sysdirs) / sizeof(sysdirs[0]); d++) {
		size_t l = strlen(sysdirs[d]);
		if (k + l < end && memcmp(t + k, sysdirs[d], l) == 0 && ch_is_alnum(t[k + l])) {
			report_as(sc, "pt.system_path",
			          sensitive_path(sc, t, k, end) ? 60 : PT_WEAK_PATH, whole, i, end);
			return;
		}
	}
	/* /.htpasswd, members/.rhosts: a hidden file at the end */
	for (size_t x = end; x > k; x--) {
		if (t[x - 1] == '/') {
			if (t[x] == '.' && x + 1 < end && ch_is_alnum(t[x + 1])) {
				report_as(sc, "pt.hidden_file", 60, whole, i, end);
				return;
			}
			break;
		}
	}
	if (t[k] == '.' && k + 1 < end && ch_is_alnum(t[k + 1])) {
		report_as(sc, "pt.hidden_file", 60, whole, i, end);
		return;
	}
	static const char *const exts[] = {".log",      ".ini",       ".conf",    ".cnf",
	                                   ".cfg",      ".pem",       ".key",     ".htpasswd",
	                                   ".htaccess", "_history",   ".netrc",   ".bashrc",
	                                   ".profile",  "access_log", "error_log"};
	for (size_t x = 0; x < sizeof(exts) / sizeof(exts[0]); x++) {
		size_t l = strlen(exts[x]);
		if (end - k >= l && memcmp(t + end - l, exts[x], l) == 0) {
			report_as(sc, "pt.sensitive_file", 65, whole, i, end);
			return;
		}
	}
}

#define W(s)                                                                                       \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}
static const struct {
	const char *s;
	size_t len;
} wrappers[] = {
    W("php://filter"),
    W("php://input"),
    W("php://fd"),
    W("php://memory"),
    W("php://temp"),
    W("phar://"),
    W("zip://"),
    W("compress.zlib://"),
    W("compress.bzip2://"),
    W("expect://"),
    W("glob://"),
    W("data://text/plain"),
    W("data:text/plain;base64"),
    W("convert.iconv."),
    W("convert.base64-"),
    W("string.rot13"),
    W("jar:file:"),
    W("netdoc:"),
};

/* Which wrappers start with a byte (bit e: wrappers[e]), built once at
 * load: most letters start none, the rest one to six. */
static uint32_t wrappers_starting[256], wrappers_second[256];

static void __attribute__((constructor)) wrappers_starting_init(void)
{
	_Static_assert(sizeof(wrappers) / sizeof(wrappers[0]) <= 32, "32 bits");
	for (size_t e = 0; e < sizeof(wrappers) / sizeof(wrappers[0]); e++)
		wrappers_starting[(unsigned char)wrappers[e].s[0]] |= 1u << e;
	for (size_t e = 0; e < sizeof(wrappers) / sizeof(wrappers[0]); e++)
		wrappers_second[(unsigned char)wrappers[e].s[1]] |= 1u << e;
}

static void check_wrapper(struct scan *sc, size_t i)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	if (i + 1 >= m)
		return; /* every wrapper is longer */
	for (uint32_t bits = wrappers_starting[t[i]] & wrappers_second[t[i + 1]]; bits;
	     bits &= bits - 1) {
		size_t e = (size_t)__builtin_ctz(bits), l = wrappers[e].len;
		if (i + l <= m && t[i + 1] == (unsigned char)wrappers[e].s[1] &&
		    memcmp(t + i, wrappers[e].s, l) == 0 && (i == 0 || !ch_is_alnum(t[i - 1]))) {
			report(sc, "pt.stream_wrapper", 85, i, i + l);
			return;
		}
	}
}

/* Names of files probes try, however the separators before them are
 * mangled: "etc%c1%pcpasswd", "?.%bg%qfboot.ini". */
static void check_probe_target(struct scan *sc, size_t i)
{
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	static const char *const files[] = {"boot.ini", "win.ini", "system.ini"};
	static const char *const etc_files[] = {"passwd", "shadow", "issue", "hosts", "group"};
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		if (files[f][0] != t[i])
			continue;
		size_t l = strlen(files[f]);
		if (i + l <= m && memcmp(t + i, files[f], l) == 0 && (i == 0 || t[i - 1] != '-') &&
		    (i + l == m || !(ch_is_alnum(t[i + l]) || t[i + l] == '.'))) {
			report(sc, "pt.probe_target", i && mention(sc) ? PT_MENTION : 75, i, i + l);
			return;
		}
	}
	if (t[i] == 'e' && i + 4 < m && t[i + 1] == 't' && t[i + 2] == 'c') {
		/* a separator of 1..12 bytes that is not a word ("/", "%c1%pc",
		 * "%%35%%63"), then the file */
		int junk = 0;
		for (size_t k = i + 3; k < m && k <= i + 15 && t[k] != ' '; k++) {
			junk |= !ch_is_alnum(t[k - 1]);
			if (!junk || k == i + 3)
				continue;
			for (size_t f = 0; f < sizeof(etc_files) / sizeof(etc_files[0]); f++) {
				size_t l = strlen(etc_files[f]);
				if (etc_files[f][0] == t[k] && k + l <= m &&
				    memcmp(t + k, etc_files[f], l) == 0) {
					report(sc, "pt.probe_target",
					       i > 1 && mention(sc) ? PT_MENTION : 80, i, k + l);
					return;
				}
			}
		}
	}
}

/* A value that is base64 of "../" or "/etc/": what a handler decoding its
 * parameter will then open. Read before folding changed the case, so the
 * raw input is consulted through the offsets. */
static void check_base64(struct scan *sc, size_t k)
{
	static const char *const prefixes[] = {
	    "li4v",     /* ../ */
	    "li5c",     /* ..\ */
	    "l2v0yy9",  /* /etc/ */
	    "l3byb2mv", /* /proc/ */
	    "l3zhci90", /* /var/t(ask) */
	    "zxrjl3",   /* etc/ */
	};
	const unsigned char *t = sc->w->t;
	size_t m = sc->w->m;
	if (k >= m || (t[k] != 'l' && t[k] != 'z')) /* every prefix starts so */
		return;
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		size_t l = strlen(prefixes[p]);
		if (k + l + 4 <= m && memcmp(t + k, prefixes[p], l) == 0) {
			size_t e = k + l;
			while (e < m &&
			       (ch_is_alnum(t[e]) || t[e] == '+' || t[e] == '/' || t[e] == '='))
				e++;
			if (e == m || t[e] == '"' || t[e] == '\'' || t[e] == '&') {
				report(sc, "pt.base64", 75, k, e);
				return;
			}
		}
	}
}

/* The bytes scan_window's loop starts a check at: a dot, what precedes
 * an absolute path, a slash, the first byte of a wrapper or probe file. */
static uint8_t scan_class[256];

enum { SC_OTHER = 1, SC_DOT = 2, SC_LETTER = 4 /* starts a wrapper or a probe file */ };

/* The probe files' first two bytes (etc, boot.ini, win.ini, system.ini),
 * a bit per pair, as may_first and may_second hold may_hold's. */
static const uint8_t probe_first[256] = {['e'] = 1, ['b'] = 2, ['w'] = 4, ['s'] = 8};
static const uint8_t probe_second[256] = {['t'] = 1, ['o'] = 2, ['i'] = 4, ['y'] = 8};

static void __attribute__((constructor)) scan_class_init(void)
{
	static const char starts[] = "=:\"' (/";
	for (size_t k = 0; k < sizeof(starts) - 1; k++)
		scan_class[(unsigned char)starts[k]] = SC_OTHER;
	scan_class['.'] = SC_DOT;
	for (int c = 0; c < 256; c++)
		if (probe_first[c])
			scan_class[c] = SC_LETTER;
	for (size_t e = 0; e < sizeof(wrappers) / sizeof(wrappers[0]); e++)
		scan_class[(unsigned char)wrappers[e].s[0]] = SC_LETTER;
}

static void scan_window(struct scan *sc, int first, size_t limit, int nul)
{
	sc->nul = nul;
	const struct window *w = sc->w;
	const unsigned char *t = w->t;
	size_t m = w->m;
	size_t steps = 0, first_step = 0, last_end = 0, runs = 0;
	size_t chain = 0, ell_chain = 0, ell_first = 0, ell_end = SIZE_MAX, ell_from = 0,
	       ell_to = 0;
	if (first) {
		size_t k = 0;
		while (k < m && (t[k] == ' ' || t[k] == '\t' || t[k] == '"' || t[k] == '\''))
			k++;
		check_absolute(sc, k, 1);
		check_base64(sc, k);
	}
	/* a finding sure enough ends the scan at the next byte no check
	 * starts at, or after the checks of the next that one does */
	int enough = sc->found && sc->hit->confidence >= PT_ENOUGH;
	for (size_t i = 0; i < limit; i++) {
		int c = t[i];
		unsigned cls = scan_class[c];
		/* a byte no check below starts at, or a letter that starts no
		 * wrapper or probe file with the byte after it */
		if (!cls || (cls == SC_LETTER &&
		             (i + 1 >= m || !((wrappers_starting[c] & wrappers_second[t[i + 1]]) |
		                              (probe_first[c] & probe_second[t[i + 1]]))))) {
			if (enough)
				return;
			continue;
		}
		if (cls == SC_DOT && step_boundary(t, i)) {
			size_t j = i;
			while (j < m && t[j] == '.')
				j++;
			size_t dots = j - i;
			if (j < m && t[j] == ';') /* Tomcat's path parameter: ..;/ */
				j++;
			int sep = is_slash(t, m, j);
			if (dots >= 2 && (j >= m || (!ch_is_alnum(t[j]) && t[j] != ' ')))
				runs++; /* "..?..?" with a separator no decoder knows */
			int end = j >= m || t[j] == '"' || t[j] == '\'' || t[j] == '&';
			if (dots >= 2 && (sep || (end && i > 0 && t[i - 1] == '/'))) {
				/* ".../examples", "/usr/lib/...": an ellipsis is a
				 * step only toward a target (.../...//etc/passwd) */
				int ellipsis = dots == 3;
				size_t step_end = sep ? j + slash_len(t, j) : j;
				if (ellipsis) {
					/* .../.../: ellipses in a row are a probe */
					chain = i == ell_end ? chain + 1 : 1;
					if (chain == 1)
						ell_first = i;
					ell_end = step_end;
					if (chain > ell_chain) {
						ell_chain = chain;
						ell_from = ell_first;
						ell_to = step_end;
					}
				} else {
					if (!steps)
						first_step = i;
					steps++;
					last_end = step_end;
				}
				/* what the steps lead to */
				size_t k = step_end;
				while (k < m && (t[k] == '/' ||
				                 (t[k] == '.' && k + 1 < m && t[k + 1] == '/')))
					k++;
				int e = k < m ? target_at(t, m, k) : -1;
				if (e >= 0)
					report(sc, targets[e].rule, 95, steps ? first_step : i,
					       k + targets[e].len);
			}
			i = j > i ? j - 1 : i;
			enough = sc->found && sc->hit->confidence >= PT_ENOUGH;
			continue;
		}
		if ((c == '=' || c == ':' || c == '"' || c == '\'' || c == ' ' || c == '(') &&
		    i + 1 < m)
			check_absolute(sc, i + 1, c == '=');
		/* in a URL path or an S3 key, an empty segment or a drive letter
		 * starts an absolute path that a join keeps: uploads//etc/passwd,
		 * files/C:/php5/php.ini */
		if (c == '/' && (sc->where & POL_IN_PATH) && i + 2 < m &&
		    (t[i + 1] == '/' || (ch_is_alpha(t[i + 1]) && t[i + 2] == ':')) &&
		    sc->path_checks++ < PT_PATH_CHECKS)
			check_absolute(sc, i + 1, 1);
		if (wrappers_starting[c])
			check_wrapper(sc, i);
		/* etc..., boot.ini, win.ini, system.ini: their first two bytes */
		if (i + 1 < m && ((c == 'e' && t[i + 1] == 't') || (c == 'b' && t[i + 1] == 'o') ||
		                  (c == 'w' && t[i + 1] == 'i') || (c == 's' && t[i + 1] == 'y')))
			check_probe_target(sc, i);
		if (sc->found && sc->hit->confidence >= PT_ENOUGH)
			return;
	}
	if (!steps && runs >= 3 && w->decoded)
		report(sc, "pt.dot_dot_encoded", 75, 0, limit);
	if (ell_chain) {
		/* "/.../", ".../.../": ellipses in a row, or a value of nothing
		 * but dots and slashes, climb as ".." does */
		int bare = 1;
		for (size_t k = 0; k < m && bare; k++)
			bare = t[k] == '.' || t[k] == '/' || t[k] == '\\';
		if (ell_chain >= 2 || bare) {
			if (!steps || ell_from < first_step)
				first_step = ell_from;
			if (ell_to > last_end)
				last_end = ell_to;
			steps += ell_chain;
		}
	}
	if (steps) {
		int conf = steps >= 3 ? 90 : steps == 2 ? 80 : 55;
		if (w->decoded)
			conf += 15; /* nobody encodes dots but to get past a filter */
		if (nul)
			conf += 10;
		/* one step that starts the value ("../config.php", a form's
		 * filename="../x.7z") or, in a URL path or an S3 key, a segment
		 * (uploads/../x), and a path without blanks to the value's end:
		 * a request to leave the folder, however deep it goes */
		int whole = 0;
		if (steps == 1) {
			size_t f = first_step;
			int starts =
			    (f == 0 && first) ||
			    (f > 0 && (t[f - 1] == '"' || t[f - 1] == '\'' || t[f - 1] == '=' ||
			               ((sc->where & POL_IN_PATH) && t[f - 1] == '/')));
			size_t e = f;
			while (e < m && t[e] != ' ' && t[e] != '\t' && t[e] != '\n')
				e++;
			whole = starts && e == m && limit == m;
			if (whole && conf < 60)
				conf = 60;
		}
		report_as(sc, "pt.dot_dot", conf, whole, first_step, last_end);
	}
}

/* Whether s can hold anything scan_window reports, in one cheap pass
 * (most text cannot). Without a separator, or a byte that decodes to one
 * (an escape, a wide or overlong character, a NUL that vanishes, a colon
 * of a wrapper or drive), only these are read (words below): dot runs, "0x" escapes,
 * the slash-free targets, probe files and wrappers (".env", ".ht...",
 * "boot.ini", "program files", "etc" + separator + file, "convert.",
 * "string.rot13"), and base64 prefixes at the start (l..., z...). A new
 * check that needs none of the bytes below must add its word here. */
/* may_hold's words by their first two bytes: a bit per first byte, set in
 * may_second for the bytes that can follow it ("..", ".e", ".h", ".i",
 * "0x", "et", "co", "pr", "ro"). */
static const uint8_t may_first[256] = {
    ['.'] = 1, ['0'] = 2,  ['e'] = 4,  ['E'] = 4,  ['c'] = 8,
    ['C'] = 8, ['p'] = 16, ['P'] = 16, ['r'] = 32, ['R'] = 32,
};
static const uint8_t may_second[256] = {
    ['.'] = 1, ['e'] = 1,      ['E'] = 1,      ['h'] = 1,  ['H'] = 1,
    ['i'] = 1, ['I'] = 1,      ['x'] = 2,      ['X'] = 2,  ['t'] = 4,
    ['T'] = 4, ['o'] = 8 | 32, ['O'] = 8 | 32, ['r'] = 16, ['R'] = 16,
};

/* Whether one of may_hold's words starts at u[i] (i + 1 < n). */
static int may_word_at(const unsigned char *u, size_t n, size_t i)
{
	if (!(may_first[u[i]] & may_second[u[i + 1]]))
		return 0;
	int c1 = ch_lower(u[i + 1]), c2 = i + 2 < n ? ch_lower(u[i + 2]) : -1;
	switch (ch_lower(u[i])) {
	case '.':
		return c1 == '.' || (c1 == 'e' && c2 == 'n') || (c1 == 'h' && c2 == 't') ||
		       (c1 == 'i' && c2 == 'n');
	case '0':
		return c1 == 'x';
	case 'e':
		return c1 == 't' && c2 == 'c';
	case 'c':
		return c1 == 'o' && c2 == 'n';
	case 'p':
		return c1 == 'r' && c2 == 'o';
	case 'r':
		return c1 == 'o' && c2 == 't';
	}
	return 0;
}

/* A lane is flagged when its byte and the next could start one of
 * may_hold's words (x | 0x20 folds case, and may flag a few other bytes:
 * only the exact check below decides). */
static int may_pair16(const unsigned char *p)
{
	const pol_v16 a = v16_load(p), b = v16_load(p + 1);
	const pol_v16 la = a | v16_splat(0x20), lb = b | v16_splat(0x20);
	pol_m16 m = (pol_m16)((la == v16_splat('e')) & (lb == v16_splat('t')));
	m |= (pol_m16)((la == v16_splat('c')) & (lb == v16_splat('o')));
	m |= (pol_m16)((la == v16_splat('p')) & (lb == v16_splat('r')));
	m |= (pol_m16)((la == v16_splat('r')) & (lb == v16_splat('o')));
	m |= (pol_m16)((a == v16_splat('0')) & (lb == v16_splat('x')));
	m |= (pol_m16)((a == v16_splat('.')) & ((lb == v16_splat('.')) | (lb == v16_splat('e')) |
	                                        (lb == v16_splat('h')) | (lb == v16_splat('i'))));
	return v16_bits(m) != 0;
}

static int may_hold(const char *s, size_t n, uint32_t chars)
{
	if (chars & (POL_CH_SLASH | POL_CH_BSLASH | POL_CH_PERCENT | POL_CH_HIGH | POL_CH_CTRL |
	             POL_CH_COLON))
		return 1;
	const unsigned char *u = (const unsigned char *)s;
	size_t k = 0;
	while (k < n && (u[k] == ' ' || u[k] == '\t' || u[k] == '"' || u[k] == '\''))
		k++;
	/* check_base64's prefixes: li4v li5c l2v0 l3by l3zh zxrj */
	int b0 = k < n ? ch_lower(u[k]) : 0, b1 = k + 1 < n ? ch_lower(u[k + 1]) : 0;
	if ((b0 == 'l' && (b1 == 'i' || b1 == '2' || b1 == '3')) || (b0 == 'z' && b1 == 'x'))
		return 1;
	/* the words "..", "0x", ".en", ".ht", ".in", "etc", "con", "pro",
	 * "rot" in any case: sixteen starts judged at once, and only a
	 * flagged block byte by byte */
	size_t i = 0;
	for (; i + 17 <= n; i += 16) {
		if (!may_pair16(u + i))
			continue;
		for (size_t j = i; j < i + 16; j++)
			if (may_word_at(u, n, j))
				return 1;
	}
	if (i + 1 >= n)
		return 0;
	/* the last starts, from a copy padded with NUL bytes (which start
	 * and continue no word) */
	unsigned char tail[32] = {0};
	memcpy(tail, u + i, n - i);
	if (!may_pair16(tail))
		return 0;
	for (; i + 1 < n; i++)
		if (may_word_at(u, n, i))
			return 1;
	return 0;
}

int pol_detect_path_traversal(const char *s, size_t n, const struct pol_ctx *ctx,
                              struct pol_hit *hit)
{
	/* a traversal needs a dot or an escape; an inclusion needs a slash */
	const uint32_t need = POL_CH_DOT | POL_CH_PERCENT | POL_CH_SLASH | POL_CH_BSLASH |
	                      POL_CH_HIGH | POL_CH_COLON | POL_CH_DIGIT /* 0x2e */;
	if (ctx && (!(ctx->chars & need) || !may_hold(s, n, ctx->chars)))
		return 0;
	/* decode_pass changes only escapes, bytes 0xc0 and up and "0x" pairs
	 * (which a NUL that fold_pass drops may join):
	 * without them, the first pass is the last */
	int decodable = !ctx || (ctx->chars & (POL_CH_PERCENT | POL_CH_HIGH | POL_CH_CTRL));
	for (const char *z = s; !decodable && (z = memchr(z, '0', (size_t)(s + n - z)));) {
		z++;
		decodable = z < s + n && (*z == 'x' || *z == 'X');
	}
	struct window w;
	struct scan sc = {&w, hit, 0, ctx ? ctx->where : 0, 0, s, n, -1, 0};
	size_t i = 0;
	int first = 1;
	w.m = 0;
	while (i < n) {
		/* fill from the input, folded as fold_pass would (backslashes to
		 * slashes, lower case, NUL bytes dropped); decode in place */
		size_t take = n - i < PT_WIN ? n - i : PT_WIN;
		int nul = 0;
		/* without escapes, wide bytes or control bytes (so no NUL),
		 * nothing is decoded or dropped: offsets need no table */
		w.ident = !decodable;
		w.base = (uint32_t)i;
		if (w.ident) {
			for (size_t k = 0; k < take; k++, i++)
				w.t[w.m++] = fold_byte[(unsigned char)s[i]];
		} else {
			for (size_t k = 0; k < take; k++, i++) {
				unsigned char f = fold_byte[(unsigned char)s[i]];
				if (!f) {
					nul = 1;
					continue;
				}
				w.t[w.m] = f;
				w.at[w.m++] = (uint32_t)i;
			}
		}
		int final = i >= n;
		/* every layer of decoding is judged: decoding once more than
		 * the server does can destroy what it would have seen */
		size_t limit;
		w.decoded = 0;
		for (int p = 0;; p++) {
			if (p)
				nul |= fold_pass(&w);
			limit = final || w.m <= PT_KEEP ? w.m : w.m - PT_KEEP;
			scan_window(&sc, first, limit, nul);
			if (p == PT_PASSES || (sc.found && hit->confidence >= PT_ENOUGH) ||
			    !decodable || !decode_pass(&w))
				break;
			w.decoded = 1;
		}
		first = 0;
		if (final || (sc.found && hit->confidence >= PT_ENOUGH))
			break;
		/* the next window starts again from the raw input under the
		 * unscanned tail, so that no escape or path is cut in two */
		if (limit < w.m)
			i = w_at(&w, limit);
		w.m = 0;
	}
	return sc.found;
}
