#include "tel_tls.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const known[] = {
    "/etc/pki/tls/certs/ca-bundle.crt",                  /* Amazon Linux, RHEL */
    "/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Alpine */
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* Fedora family */
    "/etc/ssl/cert.pem",                                 /* Alpine, BSDs */
};

static const char *found;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void look_up(void)
{
	const char *vars[] = {"SSL_CERT_FILE", "CURL_CA_BUNDLE"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v) {
			found = v;
			return;
		}
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (access(known[i], R_OK) == 0) {
			found = known[i];
			return;
		}
}

const char *tel_ca_bundle(void)
{
	pthread_once(&once, look_up);
	return found;
}
