/* libcurl, loaded when first used.
 *
 * Linking libcurl makes the dynamic loader map it and its thirty-odd
 * dependencies (TLS, Kerberos, LDAP, SSH, IDN...) and run their
 * constructors at every start of vigil: 6-25 ms and 6 MB of resident
 * memory, before main, whether or not a collector is configured. Vigil must
 * reach event/next within a few milliseconds and stay small, and it needs
 * libcurl only to talk to a collector or a secret store, after register.
 *
 * So the telemetry library does not link libcurl: this file defines the few
 * libcurl functions the exporter and the secret store call, and each one
 * loads libcurl.so.4 with dlopen on first use and forwards to it. When the
 * library cannot be loaded, curl_global_init fails and curl_easy_init
 * returns NULL: the exporter then does not start and the extension prints
 * its alerts on stdout.
 *
 * Built with the meson option lazy_curl (default on). A program that also
 * links libcurl itself is unaffected: dlsym looks the symbols up in the
 * loaded library's own scope.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	time_t (*getdate)(const char *, const time_t *);
	int loaded; /* 1: every symbol found */
} lib;

static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SYM(field, name) (*(void **)&lib.field = dlsym(h, name)) != NULL

static void load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		h = dlopen("libcurl-gnutls.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	lib.loaded =
	    SYM(global_init, "curl_global_init") && SYM(easy_init, "curl_easy_init") &&
	    SYM(easy_setopt, "curl_easy_setopt") && SYM(easy_perform, "curl_easy_perform") &&
	    SYM(easy_getinfo, "curl_easy_getinfo") && SYM(easy_cleanup, "curl_easy_cleanup") &&
	    SYM(easy_strerror, "curl_easy_strerror") && SYM(slist_append, "curl_slist_append") &&
	    SYM(slist_free_all, "curl_slist_free_all") && SYM(getdate, "curl_getdate");
}

static int ready(void)
{
	pthread_once(&once, load);
	return lib.loaded;
}

CURLcode curl_global_init(long flags)
{
	return ready() ? lib.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	return ready() ? lib.easy_init() : NULL;
}

/* Forwards the one argument libcurl reads, by the option's type range. */
#undef curl_easy_setopt
CURLcode curl_easy_setopt(CURL *c, CURLoption o, ...)
{
	va_list ap;
	CURLcode r;
	if (!ready())
		return CURLE_FAILED_INIT;
	va_start(ap, o);
	if (o < CURLOPTTYPE_OBJECTPOINT)
		r = lib.easy_setopt(c, o, va_arg(ap, long));
	else if (o < CURLOPTTYPE_FUNCTIONPOINT)
		r = lib.easy_setopt(c, o, va_arg(ap, void *));
	else if (o < CURLOPTTYPE_OFF_T)
		r = lib.easy_setopt(c, o, va_arg(ap, void (*)(void)));
	else if (o < CURLOPTTYPE_BLOB)
		r = lib.easy_setopt(c, o, va_arg(ap, curl_off_t));
	else
		r = lib.easy_setopt(c, o, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLcode curl_easy_perform(CURL *c)
{
	return ready() ? lib.easy_perform(c) : CURLE_FAILED_INIT;
}

/* Every CURLINFO takes one pointer. */
#undef curl_easy_getinfo
CURLcode curl_easy_getinfo(CURL *c, CURLINFO i, ...)
{
	va_list ap;
	CURLcode r;
	if (!ready())
		return CURLE_FAILED_INIT;
	va_start(ap, i);
	r = lib.easy_getinfo(c, i, va_arg(ap, void *));
	va_end(ap);
	return r;
}

void curl_easy_cleanup(CURL *c)
{
	if (ready())
		lib.easy_cleanup(c);
}

const char *curl_easy_strerror(CURLcode code)
{
	return ready() ? lib.easy_strerror(code) : "libcurl could not be loaded";
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return ready() ? lib.slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
	if (ready())
		lib.slist_free_all(l);
}

time_t curl_getdate(const char *s, const time_t *now)
{
	return ready() ? lib.getdate(s, now) : -1;
}
