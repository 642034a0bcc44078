/* Where the CA certificates are. A static vigil's libcurl has one path
 * compiled in, but Lambda runs it on Amazon Linux 2 and 2023, and tests and
 * the development build run it on Debian: the bundle sits at a different
 * path on each. */
#ifndef TEL_TLS_H
#define TEL_TLS_H

/* The CA bundle to give libcurl (CURLOPT_CAINFO): $SSL_CERT_FILE or
 * $CURL_CA_BUNDLE when set, else the first of the known system paths that
 * exists (Amazon Linux's first); NULL: none found, keep libcurl's default.
 * Looked up once; the string is static. */
const char *tel_ca_bundle(void);

#endif
