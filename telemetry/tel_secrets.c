#include "tel_secrets.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define KEY_MAX        64            /* bytes of a key name looked at, backwards */
#define VALUE_MAX      256           /* bytes of a value looked at, forwards */
#define VALUE_TAIL_MAX (64u * 1024u) /* bytes of a long value redacted */
#define AWS_SECRET_LEN 40            /* an AWS secret access key */
#define SESSION_MIN    100           /* an AWS session token, at least */
#define CONTEXT_BACK   48            /* bytes before a secret key searched for a name */

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

static bool is_b64(unsigned char c)
{
	return is_alnum(c) || c == '+' || c == '/';
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
	case TEL_SECRET_AWS_SECRET_KEY:
		return "aws_secret_key";
	case TEL_SECRET_AWS_SESSION_TOKEN:
		return "aws_session_token";
	case TEL_SECRET_BASIC_AUTH:
		return "basic_auth";
	case TEL_SECRET_NONE:
	case TEL_SECRET_KIND_COUNT:
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

/* The end of a value that runs on past VALUE_MAX: the whole of it is
 * redacted, never its first VALUE_MAX bytes only. quote: the closing quote
 * ('\0' for an unquoted value); esc: the quote is written \" (a value
 * inside a JSON-escaped string). */
static size_t value_tail(const char *s, size_t n, size_t j, char quote, bool esc)
{
	size_t lim = min_sz(n, j + VALUE_TAIL_MAX);
	while (j < lim) {
		if (quote) {
			if (esc ? s[j] == '\\' && j + 1 < n && s[j + 1] == quote : s[j] == quote)
				break;
			if (!esc && s[j] == '\\' && j + 1 < lim)
				j++;
		} else if (value_end[(unsigned char)s[j]]) {
			break;
		}
		j++;
	}
	return min_sz(j, lim);
}

/* At s[i] == '=' or ':': "key=value", "key: value", "\"key\": \"value\"",
 * and the same JSON-escaped inside a string (\"key\":\"value\"). */
static bool kv_at(const char *s, size_t n, size_t i, struct tel_secret_hit *h)
{
	size_t e = i, b;

	if (e > 0 && (s[e - 1] == '"' || s[e - 1] == '\''))
		e--;
	if (e > 0 && s[e] == '"' && s[e - 1] == '\\')
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
	char quote = '\0';
	bool esc = s[j] == '\\' && j + 1 < n && s[j + 1] == '"';
	if (esc || s[j] == '"' || s[j] == '\'') {
		char q = esc ? '"' : s[j];
		j += esc ? 2 : 1;
		vs = j;
		while (j < n && j - vs < VALUE_MAX) {
			if (esc ? s[j] == '\\' && j + 1 < n && s[j + 1] == q : s[j] == q)
				break;
			if (!esc && s[j] == '\\' && j + 1 < n)
				j++;
			j++;
		}
		ve = min_sz(j, n);
		quote = q;
	} else {
		vs = j;
		while (j < n && j - vs < VALUE_MAX && !value_end[(unsigned char)s[j]])
			j++;
		ve = j;
	}
	if (!value_ok(cls, s + vs, ve - vs))
		return false;
	/* Only a value judged a secret is followed to its end: each byte is
	 * then skipped by the scan, so the cost stays linear. */
	size_t end = value_tail(s, n, ve, quote, esc);
	h->kind = TEL_SECRET_PASSWORD;
	h->off = vs;
	h->len = end - vs;
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

static int b64_val(unsigned char c)
{
	return is_upper(c)   ? c - 'A'
	       : is_lower(c) ? c - 'a' + 26
	       : is_digit(c) ? c - '0' + 52
	       : c == '+'    ? 62
	       : c == '/'    ? 63
	                     : -1;
}

/* HTTP Basic credentials: "Basic <base64 of user:password>". */
static bool basic_at(const char *s, size_t n, size_t i, struct tel_secret_hit *h)
{
	if (!has_at_case(s, n, i, "basic") || (i > 0 && is_alnum((unsigned char)s[i - 1])))
		return false;
	size_t j = i + 5, sp = 0;
	while (j < n && sp < 4 && (s[j] == ' ' || s[j] == '\t'))
		j++, sp++;
	if (!sp)
		return false;
	size_t t = 0;
	while (j + t < n && t < 4096 && is_b64((unsigned char)s[j + t]))
		t++;
	size_t pad = 0;
	while (j + t + pad < n && pad < 2 && s[j + t + pad] == '=')
		pad++;
	if (t < 8 || (t + pad) % 4 || (j + t + pad < n && is_alnum((unsigned char)s[j + t + pad])))
		return false;
	/* The decoded credentials hold a ':' between user and password. */
	bool colon = false;
	unsigned acc = 0, bits = 0;
	for (size_t k = 0; k < t && !colon; k++) {
		acc = (acc << 6) | (unsigned)b64_val((unsigned char)s[j + k]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			colon = ((acc >> bits) & 0xFFu) == ':';
		}
	}
	if (!colon)
		return false;
	h->kind = TEL_SECRET_BASIC_AUTH;
	h->off = j;
	h->len = t + pad;
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

/* A run of the base64 alphabet from s[i], a JSON-escaped slash (\/) counted
 * as one character: *bytes gets its length in bytes, the result is its
 * length in characters (at most max + 1, so that "longer than max" shows).
 * *mask gets the classes seen (1 lower, 2 upper, 4 digit, 8 '+' or '/'). */
static size_t b64_run(const char *s, size_t n, size_t i, size_t max, size_t *bytes, unsigned *mask)
{
	size_t j = i, k = 0;
	unsigned m = 0;
	while (j < n && k <= max) {
		unsigned char c = (unsigned char)s[j];
		if (c == '\\' && j + 1 < n && s[j + 1] == '/') {
			m |= 8u;
			j += 2;
		} else if (is_b64(c)) {
			m |= is_lower(c) ? 1u : is_upper(c) ? 2u : is_digit(c) ? 4u : 8u;
			j++;
		} else {
			break;
		}
		k++;
	}
	*bytes = j - i;
	*mask = m;
	return k;
}

/* A credential's name in the CONTEXT_BACK bytes before s[i]: "secret"
 * covers aws_secret_access_key, SecretAccessKey, secret_key, "secret:". */
static bool secret_named_before(const char *s, size_t i)
{
	size_t b = i > CONTEXT_BACK ? i - CONTEXT_BACK : 0;
	for (size_t k = b; k + 6 <= i; k++)
		if (has_at_case(s, i, k, "secret"))
			return true;
	return false;
}

/* An AWS secret access key: 40 characters of the base64 alphabet standing
 * alone, upper and lower case letters mixed with digits or '+' '/' (a
 * hex digest never has both cases), by context: soon after an access key id
 * (akid_end: where the last one ended, or SIZE_MAX) or after a name holding
 * "secret". */
static bool aws_secret_at(const char *s, size_t n, size_t i, size_t akid_end,
                          struct tel_secret_hit *h)
{
	size_t bytes;
	unsigned m;
	if (i > 0 && (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '+'))
		return false;
	if (b64_run(s, n, i, AWS_SECRET_LEN, &bytes, &m) != AWS_SECRET_LEN)
		return false;
	if (i + bytes < n && s[i + bytes] == '=')
		return false; /* base64 padding: an encoded blob, not a key */
	if ((m & 3u) != 3u || !(m & 12u))
		return false;
	bool near_id = akid_end != SIZE_MAX && i >= akid_end && i - akid_end <= CONTEXT_BACK;
	if (!near_id && !secret_named_before(s, i))
		return false;
	h->kind = TEL_SECRET_AWS_SECRET_KEY;
	h->off = i;
	h->len = bytes;
	return true;
}

/* An AWS session token (STS): a long base64 run whose first bytes decode to
 * the token format's header ("\x21\n\torigin_ec" in today's tokens,
 * "\x17\n\x06er/aws" or "\x15\n\x06er/aws" in older ones). */
static bool aws_session_at(const char *s, size_t n, size_t i, struct tel_secret_hit *h)
{
	static const char *const heads[] = {"IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz"};
	bool ok = false;
	if (i > 0 && is_b64((unsigned char)s[i - 1]))
		return false;
	for (size_t k = 0; k < sizeof(heads) / sizeof(heads[0]) && !ok; k++)
		ok = has_at(s, n, i, heads[k]);
	if (!ok)
		return false;
	size_t bytes;
	unsigned m;
	if (b64_run(s, n, i, VALUE_TAIL_MAX, &bytes, &m) < SESSION_MIN)
		return false;
	while (i + bytes < n && s[i + bytes] == '=' && bytes < VALUE_TAIL_MAX)
		bytes++;
	h->kind = TEL_SECRET_AWS_SESSION_TOKEN;
	h->off = i;
	h->len = bytes;
	return true;
}

/* Scans s[from..n); *akid_end carries the end of the last access key id
 * from one call to the next. */
static unsigned scan_from(const char *s, size_t n, size_t from, struct tel_secret_hit *hits,
                          unsigned max, size_t *akid_end)
{
	unsigned found = 0;
	if (!s || !max)
		return 0;
	if (n > TEL_SECRETS_SCAN_MAX)
		n = TEL_SECRETS_SCAN_MAX;
	for (size_t i = from; i < n && found < max;) {
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
			hit = bearer_at(s, n, i, &h) || basic_at(s, n, i, &h);
			break;
		case 'g':
		case 'x':
		case 's':
		case 'r':
			hit = api_token_at(s, n, i, &h);
			break;
		case 'I':
		case 'F':
			hit = aws_session_at(s, n, i, &h);
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
		if (!hit && is_b64((unsigned char)s[i]))
			hit = aws_secret_at(s, n, i, *akid_end, &h);
		if (!hit) {
			i++;
			continue;
		}
		hits[found++] = h;
		if (h.kind == TEL_SECRET_AWS_ACCESS_KEY)
			*akid_end = h.off + h.len;
		i = h.off + h.len > i ? h.off + h.len : i + 1;
	}
	return found;
}

unsigned tel_secrets_scan(const char *s, size_t n, struct tel_secret_hit *hits, unsigned max)
{
	size_t akid_end = SIZE_MAX;
	return scan_from(s, n, 0, hits, max, &akid_end);
}

static enum tel_secret_kind pair(const char *name, size_t name_len, const char *value,
                                 size_t value_len, struct tel_secret_hit *hit, bool role_ok)
{
	static const char *const role[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	                                   "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY"};
	struct tel_secret_hit h = {TEL_SECRET_NONE, 0, 0};

	for (size_t i = 0; role_ok && i < sizeof(role) / sizeof(role[0]); i++)
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

enum tel_secret_kind tel_secrets_scan_pair(const char *name, size_t name_len, const char *value,
                                           size_t value_len, struct tel_secret_hit *hit)
{
	return pair(name, name_len, value, value_len, hit, true);
}

enum tel_secret_kind tel_secrets_scan_member(const char *name, size_t name_len, const char *value,
                                             size_t value_len, struct tel_secret_hit *hit)
{
	return pair(name, name_len, value, value_len, hit, false);
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
	if (r)
		vg_buf_truncate(out, start);
	return r;
}

int tel_secrets_redact_all(struct vg_buf *out, const char *s, size_t n, uint32_t *kinds,
                           size_t *first)
{
	struct tel_secret_hit hits[16];
	size_t at = 0, akid_end = SIZE_MAX, start = out->len;
	uint32_t mask = 0;
	int found = 0, r = 0;

	if (first)
		*first = n;
	for (;;) {
		unsigned nh = scan_from(s, n, at, hits, 16, &akid_end);
		if (!nh)
			break;
		if (!found && first)
			*first = hits[0].off;
		for (unsigned k = 0; k < nh; k++)
			mask |= 1u << hits[k].kind;
		found += (int)nh;
		/* The hits are relative to s: redact s[at..end of the last). */
		size_t end = hits[nh - 1].off + hits[nh - 1].len;
		for (unsigned k = 0; k < nh; k++)
			hits[k].off -= at;
		r = tel_secrets_redact(out, s + at, end - at, hits, nh);
		if (r)
			goto fail;
		at = end;
		if (nh < 16 || at >= n)
			break;
	}
	r = vg_buf_append(out, s + at, n - at);
	if (r)
		goto fail;
	if (kinds)
		*kinds = mask;
	return found;
fail:
	vg_buf_truncate(out, start);
	return r;
}
