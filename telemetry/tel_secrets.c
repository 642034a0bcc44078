#include "tel_secrets.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define KEY_MAX   64  /* bytes of a key name looked at, backwards */
#define VALUE_MAX 256 /* bytes of a value looked at, forwards */

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static bool is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned char c)
{
	return is_upper(c) || is_lower(c) || is_digit(c);
}

static bool is_b64url(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

static bool is_tokenc(unsigned char c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' ||
	       c == '=' || c == '-';
}

static bool is_keyc(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

static unsigned char lower(unsigned char c)
{
	return is_upper(c) ? (unsigned char)(c + 32) : c;
}

static bool has_at(const char *s, size_t n, size_t i, const char *lit)
{
	size_t l = strlen(lit);
	return n - i >= l && !memcmp(s + i, lit, l);
}

static bool has_at_case(const char *s, size_t n, size_t i, const char *lit)
{
	size_t l = strlen(lit);
	if (n - i < l)
		return false;
	for (size_t k = 0; k < l; k++)
		if (lower((unsigned char)s[i + k]) != (unsigned char)lit[k])
			return false;
	return true;
}

static size_t run(const char *s, size_t n, size_t i, bool (*cls)(unsigned char), size_t max)
{
	size_t j = i;
	while (j < n && j - i < max && cls((unsigned char)s[j]))
		j++;
	return j - i;
}

static unsigned classes(const char *s, size_t n)
{
	unsigned m = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		m |= is_lower(c) ? 1u : is_upper(c) ? 2u : is_digit(c) ? 4u : 8u;
	}
	return (unsigned)__builtin_popcount(m);
}

const char *tel_secret_kind_name(enum tel_secret_kind k)
{
	switch (k) {
	case TEL_SECRET_AWS_ACCESS_KEY:
		return "aws_access_key";
	case TEL_SECRET_PRIVATE_KEY:
		return "private_key";
	case TEL_SECRET_JWT:
		return "jwt";
	case TEL_SECRET_BEARER:
		return "bearer";
	case TEL_SECRET_URL_PASSWORD:
		return "url_password";
	case TEL_SECRET_API_TOKEN:
		return "api_token";
	case TEL_SECRET_PASSWORD:
		return "password";
	case TEL_SECRET_NONE:
		break;
	}
	return "none";
}

/* How a key name qualifies: 0 not a credential, 1 password-like (short
 * values count), 2 token-like (values must look random). */
static int key_class(const char *k, size_t n)
{
	static const char *const pw[] = {"password", "passwd", "passphrase", "pwd"};
	static const char *const tok[] = {"secret",     "secretkey",  "token",      "apikey",
	                                  "accesskey",  "privatekey", "credential", "credentials",
	                                  "signingkey", "masterkey"};
	/* Tokens that are not credentials: pagination, CSRF, idempotency. */
	static const char *const not_cred[] = {
	    "next", "page",        "cursor",      "continuation", "csrf",
	    "xsrf", "idempotency", "clienttoken", "requesttoken", "synctoken"};
	char norm[KEY_MAX];
	size_t m = 0;

	for (size_t i = 0; i < n && m < sizeof(norm); i++)
		if (is_alnum((unsigned char)k[i]))
			norm[m++] = (char)lower((unsigned char)k[i]);
	if (m == 4 && !memcmp(norm, "pass", 4))
		return 1;
	for (size_t i = 0; i < sizeof(pw) / sizeof(pw[0]); i++) {
		size_t l = strlen(pw[i]);
		if (m >= l && !memcmp(norm + m - l, pw[i], l))
			return 1;
	}
	for (size_t i = 0; i < sizeof(tok) / sizeof(tok[0]); i++) {
		size_t l = strlen(tok[i]);
		if (m >= l && !memcmp(norm + m - l, tok[i], l)) {
			for (size_t j = 0; j < sizeof(not_cred) / sizeof(not_cred[0]); j++)
				if (memmem(norm, m, not_cred[j], strlen(not_cred[j])))
					return 0;
			return 2;
		}
	}
	return 0;
}

static bool eq_case(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && has_at_case(s, n, 0, lit);
}

/* A value that stands for a secret without being one. */
static bool placeholder(const char *v, size_t n)
{
	static const char *const words[] = {"null",     "none",     "nil",    "undefined", "true",
	                                    "false",    "redacted", "hidden", "masked",    "secret",
	                                    "password", "changeit", "example"};
	if (!n)
		return true;
	size_t same = 1;
	while (same < n && v[same] == v[0])
		same++;
	if (same == n)
		return true;
	/* References to a secret store are not the secret. */
	if (has_at(v, n, 0, "arn:") || has_at(v, n, 0, "{{resolve:"))
		return true;
	if (v[0] == '*' || v[0] == '<' || v[0] == '%' || has_at(v, n, 0, "${") ||
	    has_at(v, n, 0, "{{") || has_at(v, n, 0, "[REDACTED"))
		return true;
	if (has_at_case(v, n, 0, "redacted") || has_at_case(v, n, 0, "<redacted"))
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (eq_case(v, n, words[i]))
			return true;
	return false;
}

static bool value_ok(int cls, const char *v, size_t n)
{
	if (placeholder(v, n) || memchr(v, ' ', n) || memchr(v, '\t', n))
		return false;
	if (cls == 1)
		return n >= 4;
	return n >= 16 && classes(v, n) >= 2;
}

/* Bytes that end an unquoted value. */
static const bool value_end[256] = {
    [0] = true,   [' '] = true, ['\t'] = true, ['\r'] = true, ['\n'] = true,
    [','] = true, [';'] = true, ['&'] = true,  ['"'] = true,  ['\''] = true,
    ['}'] = true, [']'] = true, [')'] = true,  ['<'] = true,
};

/* At s[i] == '=' or ':': "key=value", "key: value", "\"key\": \"value\"". */
static bool kv_at(const char *s, size_t n, size_t i, struct tel_secret_hit *h)
{
	size_t e = i, b;

	if (e > 0 && (s[e - 1] == '"' || s[e - 1] == '\''))
		e--;
	b = e;
	while (b > 0 && e - b < KEY_MAX && is_keyc((unsigned char)s[b - 1]))
		b--;
	if (b == e || (b > 0 && e - b == KEY_MAX && is_keyc((unsigned char)s[b - 1])))
		return false;
	/* A key stands alone: after ":" or "/" it is a segment of an ARN or a
	 * path ("...:secret:name"), not a name. */
	if (b > 0 && (s[b - 1] == ':' || s[b - 1] == '/'))
		return false;
	int cls = key_class(s + b, e - b);
	if (!cls)
		return false;
	size_t j = i + 1, sp = 0;
	while (j < n && sp < 4 && (s[j] == ' ' || s[j] == '\t'))
		j++, sp++;
	if (j >= n)
		return false;
	size_t vs, ve;
	if (s[j] == '"' || s[j] == '\'') {
		char q = s[j];
		vs = ++j;
		while (j < n && j - vs < VALUE_MAX && s[j] != q) {
			if (s[j] == '\\' && j + 1 < n)
				j++;
			j++;
		}
		ve = min_sz(j, n);
	} else {
		vs = j;
		while (j < n && j - vs < VALUE_MAX && !value_end[(unsigned char)s[j]])
			j++;
		ve = j;
	}
	if (!value_ok(cls, s + vs, ve - vs))
		return false;
	h->kind = TEL_SECRET_PASSWORD;
	h->off = vs;
	h->len = ve - vs;
	return true;
}

/* At s[i] == ':' followed by "//": scheme://user:password@host. */
static bool url_at(const char *s, size_t n, size_t i, struct tel_secret_hit *h)
{
	size_t j = i + 3, colon = 0;
	for (; j < n && j - i < 256; j++) {
		char c = s[j];
		if (c == '@')
			break;
		if (c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '"' ||
		    c == '\'' || c == '<' || c == '>' || c == '\r' || c == '\n' || !c)
			return false;
		if (c == ':' && !colon)
			colon = j;
	}
	if (j >= n || s[j] != '@' || !colon)
		return false;
	if (placeholder(s + colon + 1, j - colon - 1))
		return false;
	h->kind = TEL_SECRET_URL_PASSWORD;
	h->off = colon + 1;
	h->len = j - colon - 1;
	return true;
}

static bool aws_key_at(const char *s, size_t n, size_t i, struct tel_secret_hit *h)
{
	static const char *const prefixes[] = {"AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA",
	                                       "AIPA", "ANPA", "ANVA", "AROA", "APKA", "ASCA"};
	if (n - i < 20 || s[i] != 'A' || (i > 0 && is_alnum((unsigned char)s[i - 1])))
		return false;
	bool ok = false;
	for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]) && !ok; k++)
		ok = !memcmp(s + i, prefixes[k], 4);
	if (!ok)
		return false;
	for (size_t k = 4; k < 20; k++)
		if (!is_upper((unsigned char)s[i + k]) && !is_digit((unsigned char)s[i + k]))
			return false;
	if (i + 20 < n && is_alnum((unsigned char)s[i + 20]))
		return false;
	h->kind = TEL_SECRET_AWS_ACCESS_KEY;
	h->off = i;
	h->len = 20;
	return true;
}

static bool private_key_at(const char *s, size_t n, size_t i, struct tel_secret_hit *h)
{
	if (!has_at(s, n, i, "-----BEGIN "))
		return false;
	size_t j = i + 11, lim = min_sz(n, i + 11 + 48);
	const char *m = memmem(s + j, lim - j, "PRIVATE KEY-----", 16);
	if (!m)
		m = memmem(s + j, lim - j, "PRIVATE KEY BLOCK-----", 22);
	if (!m)
		return false;
	/* To the END marker when the block is on this line, else to the line's
	 * end (the rest of the key comes as further records). */
	size_t scan = min_sz(n - i, TEL_SECRETS_SCAN_MAX);
	const char *end = memmem(s + i + 11, scan - 11, "-----END ", 9);
	size_t stop;
	if (end) {
		const char *close = memmem(end + 9, (size_t)(s + i + scan - (end + 9)), "-----", 5);
		stop = close ? (size_t)(close + 5 - s) : (size_t)(end + 9 - s);
	} else {
		const char *nl = memchr(s + i, '\n', scan);
		stop = nl ? (size_t)(nl - s) : i + scan;
	}
	h->kind = TEL_SECRET_PRIVATE_KEY;
	h->off = i;
	h->len = stop - i;
	return true;
}

static bool jwt_at(const char *s, size_t n, size_t i, struct tel_secret_hit *h)
{
	if (!has_at(s, n, i, "eyJ") || (i > 0 && is_b64url((unsigned char)s[i - 1])))
		return false;
	size_t a = run(s, n, i, is_b64url, 8192);
	if (a < 10 || i + a >= n || s[i + a] != '.')
		return false;
	size_t b = run(s, n, i + a + 1, is_b64url, 8192);
	if (b < 10 || i + a + 1 + b >= n || s[i + a + 1 + b] != '.')
		return false;
	size_t c = run(s, n, i + a + b + 2, is_b64url, 8192);
	if (c < 10)
		return false;
	h->kind = TEL_SECRET_JWT;
	h->off = i;
	h->len = a + b + c + 2;
	return true;
}

static bool bearer_at(const char *s, size_t n, size_t i, struct tel_secret_hit *h)
{
	if (!has_at_case(s, n, i, "bearer") || (i > 0 && is_alnum((unsigned char)s[i - 1])))
		return false;
	size_t j = i + 6, sp = 0;
	while (j < n && sp < 4 && (s[j] == ' ' || s[j] == '\t'))
		j++, sp++;
	if (!sp)
		return false;
	size_t t = run(s, n, j, is_tokenc, 8192);
	if (t < 16 || classes(s + j, t) < 2 || placeholder(s + j, t))
		return false;
	h->kind = TEL_SECRET_BEARER;
	h->off = j;
	h->len = t;
	return true;
}

static bool api_token_at(const char *s, size_t n, size_t i, struct tel_secret_hit *h)
{
	static const struct {
		const char *prefix;
		size_t min;
		bool (*cls)(unsigned char);
	} kinds[] = {
	    {"ghp_", 30, is_alnum},    {"gho_", 30, is_alnum},     {"ghu_", 30, is_alnum},
	    {"ghs_", 30, is_alnum},    {"ghr_", 30, is_alnum},     {"github_pat_", 20, is_b64url},
	    {"glpat-", 20, is_b64url}, {"xoxb-", 10, is_b64url},   {"xoxp-", 10, is_b64url},
	    {"xoxa-", 10, is_b64url},  {"xoxo-", 10, is_b64url},   {"xoxs-", 10, is_b64url},
	    {"xoxr-", 10, is_b64url},  {"sk_live_", 16, is_alnum}, {"rk_live_", 16, is_alnum},
	    {"AIza", 35, is_b64url},
	};
	if (i > 0 && is_alnum((unsigned char)s[i - 1]))
		return false;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (!has_at(s, n, i, kinds[k].prefix))
			continue;
		size_t p = strlen(kinds[k].prefix);
		size_t r = run(s, n, i + p, kinds[k].cls, 4096);
		if (r < kinds[k].min)
			return false;
		h->kind = TEL_SECRET_API_TOKEN;
		h->off = i;
		h->len = p + r;
		return true;
	}
	return false;
}

unsigned tel_secrets_scan(const char *s, size_t n, struct tel_secret_hit *hits, unsigned max)
{
	unsigned found = 0;
	if (!s || !max)
		return 0;
	if (n > TEL_SECRETS_SCAN_MAX)
		n = TEL_SECRETS_SCAN_MAX;
	for (size_t i = 0; i < n && found < max;) {
		struct tel_secret_hit h;
		bool hit = false;
		switch (s[i]) {
		case 'A':
			hit = aws_key_at(s, n, i, &h) || api_token_at(s, n, i, &h);
			break;
		case '-':
			hit = private_key_at(s, n, i, &h);
			break;
		case 'e':
			hit = jwt_at(s, n, i, &h);
			break;
		case 'B':
		case 'b':
			hit = bearer_at(s, n, i, &h);
			break;
		case 'g':
		case 'x':
		case 's':
		case 'r':
			hit = api_token_at(s, n, i, &h);
			break;
		case ':':
			if (has_at(s, n, i, "://"))
				hit = url_at(s, n, i, &h);
			else
				hit = kv_at(s, n, i, &h);
			break;
		case '=':
			hit = kv_at(s, n, i, &h);
			break;
		default:
			break;
		}
		if (!hit) {
			i++;
			continue;
		}
		hits[found++] = h;
		i = h.off + h.len > i ? h.off + h.len : i + 1;
	}
	return found;
}

enum tel_secret_kind tel_secrets_scan_pair(const char *name, size_t name_len, const char *value,
                                           size_t value_len, struct tel_secret_hit *hit)
{
	static const char *const role[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	                                   "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY"};
	struct tel_secret_hit h = {TEL_SECRET_NONE, 0, 0};

	for (size_t i = 0; i < sizeof(role) / sizeof(role[0]); i++)
		if (strlen(role[i]) == name_len && !memcmp(name, role[i], name_len))
			goto out;
	int cls = key_class(name, name_len);
	size_t vn = min_sz(value_len, (size_t)TEL_SECRETS_SCAN_MAX);
	if (cls && value_ok(cls, value, min_sz(vn, (size_t)VALUE_MAX))) {
		h.kind = TEL_SECRET_PASSWORD;
		h.len = vn;
		goto out;
	}
	if (!tel_secrets_scan(value, vn, &h, 1))
		h.kind = TEL_SECRET_NONE;
out:
	if (hit)
		*hit = h;
	return h.kind;
}

int tel_secrets_redact(struct vg_buf *out, const char *s, size_t n,
                       const struct tel_secret_hit *hits, unsigned n_hits)
{
	size_t at = 0, start = out->len;
	int r = 0;

	for (unsigned k = 0; k < n_hits && !r; k++) {
		const struct tel_secret_hit *h = &hits[k];
		if (h->off < at || h->off > n || h->len > n - h->off) {
			r = -EINVAL;
			break;
		}
		r = vg_buf_append(out, s + at, h->off - at);
		if (!r && h->kind == TEL_SECRET_AWS_ACCESS_KEY)
			r = vg_buf_append(out, s + h->off, 4);
		if (!r)
			r = vg_buf_puts(out, "[REDACTED]");
		at = h->off + h->len;
	}
	if (!r)
		r = vg_buf_append(out, s + at, n - at);
	if (r) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return r;
}
