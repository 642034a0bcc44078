/* The secret scanner: finds credentials in log lines (secret_in_logs) and
 * in environment variables (the posture check, secret_in_env), and says
 * where they sit so the caller can redact them.
 *
 * It recognises secrets by their grammar, never by a list of values:
 * - aws_secret_key: an AWS secret access key: 40 characters of the base64
 *   alphabet, both letter cases and a digit or '+' '/', standing alone, by
 *   context: within 48 bytes after an access key id, or after a name holding
 *   "secret" (aws_secret_access_key, SecretAccessKey, secret) in the 48
 *   bytes before; a JSON-escaped slash (\/) counts as '/';
 * - aws_session_token: a base64 run of 100+ characters whose first bytes
 *   are an STS session token's header (IQoJb3JpZ2lu..., FwoGZXIvYXdz...);
 * - aws_access_key: an AWS key id (a four-letter AWS prefix such as AKIA or
 *   ASIA, then 16 upper-case letters or digits, standing alone);
 * - private_key: a PEM "-----BEGIN ... PRIVATE KEY-----" block (or its first
 *   line: one log record is one line);
 * - jwt: three base64url segments, the first a JSON header ("eyJ...");
 * - bearer: "Bearer <token>" with a token of 16+ token characters;
 * - basic_auth: "Basic <base64>" whose decoding holds the ':' between a user
 *   and a password;
 * - url_password: the password of "scheme://user:password@host";
 * - api_token: tokens whose vendor prefix fixes their grammar (GitHub ghp_,
 *   github_pat_, Slack xox?-, Stripe sk_live_, Google AIza, GitLab glpat-);
 * - password: "key=value", "key: value" or "\"key\":\"value\"" where the key
 *   names a credential (it ends in password, passwd, passphrase, pwd, secret,
 *   token, api key, access key, private key, client secret, credentials) and
 *   the value is not a placeholder (empty, "***", "[REDACTED]", "${...}",
 *   "null", one repeated character...) nor a reference (an ARN). A key
 *   right after ':' or '/' is an ARN or path segment, not a key. Token-named keys need a value of
 * 16+ bytes mixing two character classes; pagination, CSRF and idempotency tokens (next, page,
 * cursor, csrf, idempotency, client or request token) are not credentials. JSON-escaped pairs
 * (\"key\":\"value\") count too. A value longer than 256 bytes is judged on its first 256 and
 * redacted whole (up to 64 KiB).
 *
 * Cost: one pass over the input plus bounded look-arounds (keys up to 64
 * bytes back, values up to 256 bytes on); inputs longer than
 * TEL_SECRETS_SCAN_MAX are scanned up to that length. Thread-safe (no
 * state).
 */
#ifndef TEL_SECRETS_H
#define TEL_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "vg_buf.h"

#define TEL_SECRETS_SCAN_MAX (256u * 1024u)

enum tel_secret_kind {
	TEL_SECRET_NONE = 0,
	TEL_SECRET_AWS_ACCESS_KEY,
	TEL_SECRET_PRIVATE_KEY,
	TEL_SECRET_JWT,
	TEL_SECRET_BEARER,
	TEL_SECRET_URL_PASSWORD,
	TEL_SECRET_API_TOKEN,
	TEL_SECRET_PASSWORD,
	TEL_SECRET_AWS_SECRET_KEY,
	TEL_SECRET_AWS_SESSION_TOKEN,
	TEL_SECRET_BASIC_AUTH,
	TEL_SECRET_KIND_COUNT,
};

/* The secret is text[off, off + len): what to redact. */
struct tel_secret_hit {
	enum tel_secret_kind kind;
	size_t off;
	size_t len;
};

/* "aws_access_key", "private_key", ...; "none" for TEL_SECRET_NONE. */
const char *tel_secret_kind_name(enum tel_secret_kind k);

/* Scans a log line (or any text) s[0..n) (length-counted, may hold NULs).
 * Fills up to max hits in order of position, not overlapping; returns how
 * many were found (0..max). */
unsigned tel_secrets_scan(const char *s, size_t n, struct tel_secret_hit *hits, unsigned max);

/* Scans a (name, value) pair: an environment variable or a member of a JSON
 * log object. A credential-like name with a real value gives
 * TEL_SECRET_PASSWORD over the whole value; otherwise the value is scanned
 * as text. The execution role's own variables that Lambda sets
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 * AWS_ACCESS_KEY) give TEL_SECRET_NONE: they are not the function's
 * plaintext secrets. Returns the first hit's kind (TEL_SECRET_NONE: none);
 * *hit (may be NULL) gets its span inside value. */
enum tel_secret_kind tel_secrets_scan_pair(const char *name, size_t name_len, const char *value,
                                           size_t value_len, struct tel_secret_hit *hit);

/* The same for a member of a JSON log object: a function that logs the
 * role's own AWS_SECRET_ACCESS_KEY leaks it, so those names are no
 * exception here. */
enum tel_secret_kind tel_secrets_scan_member(const char *name, size_t name_len, const char *value,
                                             size_t value_len, struct tel_secret_hit *hit);

/* Appends s[0..n) to out with each hit replaced by "[REDACTED]" (an AWS key
 * id keeps its four-letter prefix, which says what kind of key it was).
 * hits must be sorted and disjoint, as tel_secrets_scan gives them.
 * 0 or -ENOBUFS/-ENOMEM. */
int tel_secrets_redact(struct vg_buf *out, const char *s, size_t n,
                       const struct tel_secret_hit *hits, unsigned n_hits);

/* Appends s[0..n) to out with every secret the scanner finds redacted,
 * however many (the scan goes on in rounds; an excerpt cut from the result
 * never shows one in clear). *kinds (may be NULL) gets 1 << kind of each
 * kind found; *first (may be NULL) the offset of the first in s (n: none),
 * which is also its offset in the redacted text. Returns how many were
 * found (0: out got s unchanged), or -ENOBUFS/-ENOMEM (out unchanged). */
int tel_secrets_redact_all(struct vg_buf *out, const char *s, size_t n, uint32_t *kinds,
                           size_t *first);

#endif
