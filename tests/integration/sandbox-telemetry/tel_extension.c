/* tel-extension: an external extension for the sandbox's telemetry
 * integration tests. It listens on a free port before it registers,
 * subscribes to the Telemetry API, and writes what it gets to
 * $TEL_EXT_DIR/NAME.log, never to stdout (its own stdout comes back as
 * `extension` records). The name it was started under chooses the
 * subscription:
 *
 *   tel-all     platform, function, extension; 1,000 items, 256 KiB, 25 ms
 *   tel-items   function; 1,000 items, 1 MiB, 30 s: only maxItems cuts
 *   tel-bytes   function; 10,000 items, 256 KiB, 30 s: only maxBytes cuts
 *   tel-slow    like tel-all, but the listener holds every request from its
 *               subscription until 3 s after its first INVOKE (longer than
 *               the sandbox waits for a POST), so records pile up
 *   tel-errors  first tries the subscriptions the API must refuse, then
 *               subscribes like tel-all; after init tries once more
 *
 * The log file holds one line per fact:
 *   subscribe CASE STATUS ERRORTYPE     (ERRORTYPE "OK" on 200)
 *   batch ITEMS BYTES
 *   record {"time":...,"type":...,"record":...}
 *   shutdown
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "vg_http.h"
#include "vg_time.h"

static char name[128];
static char ext_id[128];
static FILE *out;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t hold_until_ns; /* tel-slow: requests before this wait */
static uint16_t port;

static void logf_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logf_line(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_mu);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
	pthread_mutex_unlock(&out_mu);
}

static const char *api_url(const char *path)
{
	static char u[512];

	snprintf(u, sizeof(u), "http://%s%s", getenv("AWS_LAMBDA_RUNTIME_API"), path);
	return u;
}

/* ---- the telemetry listener ---- */

static void record_batch(const char *body, size_t len)
{
	cJSON *arr = cJSON_ParseWithLength(body, len), *it;

	pthread_mutex_lock(&out_mu);
	fprintf(out, "batch %d %zu\n", cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1, len);
	cJSON_ArrayForEach(it, arr)
	{
		char *s = cJSON_PrintUnformatted(it);

		if (s)
			fprintf(out, "record %s\n", s);
		free(s);
	}
	fflush(out);
	pthread_mutex_unlock(&out_mu);
	cJSON_Delete(arr);
}

static vg_mhd_result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
	struct vg_http_req *req;

	if (!vg_http_collect(con_cls, upload, upload_size, 8u << 20, &req))
		return MHD_YES;
	if (hold_until_ns && vg_mono_ns() < hold_until_ns) {
		/* A slow consumer: the sandbox gives up on these and retries.
		 * The bound moves from "forever" to a time at the first
		 * INVOKE, so it is read again on every turn. */
		while (vg_mono_ns() < hold_until_ns)
			vg_sleep_ms(20);
		return vg_http_reply(c, 503, NULL, "", 0);
	}
	record_batch(req->body.data ? req->body.data : "", req->body.len);
	return vg_http_reply(c, 200, NULL, "", 0);
}

static struct MHD_Daemon *listen_free_port(void)
{
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    on_request, NULL, MHD_OPTION_NOTIFY_COMPLETED, vg_http_completed, NULL, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
	    d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;

	if (!info)
		return NULL;
	port = info->port;
	return d;
}

/* ---- Extensions and Telemetry API calls ---- */

static int do_register(void)
{
	char h1[200];
	const char *h[] = {h1, NULL};
	const char body[] = "{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}";
	struct th_resp r;
	int ok;

	snprintf(h1, sizeof(h1), "Lambda-Extension-Name: %s", name);
	if (th_http("POST", api_url("/2020-01-01/extension/register"), h, body, strlen(body), 10000,
	            &r) < 0)
		return -1;
	ok = r.status == 200 &&
	     th_resp_header(&r, "Lambda-Extension-Identifier", ext_id, sizeof(ext_id));
	th_resp_fini(&r);
	return ok ? 0 : -1;
}

/* PUT /telemetry with body; logs "subscribe CASE STATUS ERRORTYPE". */
static long subscribe(const char *what, const char *body)
{
	char h1[200];
	const char *h[] = {h1, "Content-Type: application/json", NULL};
	struct th_resp r;
	cJSON *o;
	const char *et;
	long st;

	snprintf(h1, sizeof(h1), "Lambda-Extension-Identifier: %s", ext_id);
	if (th_http("PUT", api_url("/2022-07-01/telemetry"), h, body, strlen(body), 10000, &r) <
	    0) {
		logf_line("subscribe %s 0 transport-error", what);
		return 0;
	}
	o = cJSON_Parse(r.body);
	et = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "errorType"));
	if (r.status == 200)
		et = cJSON_IsString(o) && strcmp(o->valuestring, "OK") == 0 ? "OK" : "bad-ok-body";
	logf_line("subscribe %s %ld %s", what, r.status, et ? et : "-");
	cJSON_Delete(o);
	st = r.status;
	th_resp_fini(&r);
	return st;
}

static void subscription(char *body, size_t n, const char *types, unsigned items, unsigned bytes,
                         unsigned timeout_ms, const char *uri)
{
	char dflt[128];

	snprintf(dflt, sizeof(dflt), "http://sandbox.localdomain:%u/telemetry", port);
	snprintf(body, n,
	         "{\"schemaVersion\":\"2022-12-13\",\"types\":%s,"
	         "\"buffering\":{\"maxItems\":%u,\"maxBytes\":%u,\"timeoutMs\":%u},"
	         "\"destination\":{\"protocol\":\"HTTP\",\"URI\":\"%s\"}}",
	         types, items, bytes, timeout_ms, uri ? uri : dflt);
}

static void try_refused(void)
{
	static const char all[] = "[\"platform\",\"function\",\"extension\"]";
	char b[1024], uri[128];

	subscribe("not-json", "{\"schemaVersion\":");
	subscribe("bad-schema", "{\"schemaVersion\":\"2020-08-15\",\"types\":[\"platform\"],"
	                        "\"destination\":{\"protocol\":\"HTTP\","
	                        "\"URI\":\"http://sandbox.localdomain:4243\"}}");
	subscription(b, sizeof(b), "[]", 1000, 262144, 25, NULL);
	subscribe("empty-types", b);
	subscription(b, sizeof(b), "[\"platform\",\"metrics\"]", 1000, 262144, 25, NULL);
	subscribe("unknown-type", b);
	subscription(b, sizeof(b), all, 999, 262144, 25, NULL);
	subscribe("items-low", b);
	subscription(b, sizeof(b), all, 1000, 2097152, 25, NULL);
	subscribe("bytes-high", b);
	subscription(b, sizeof(b), all, 1000, 262144, 24, NULL);
	subscribe("timeout-low", b);
	snprintf(uri, sizeof(uri), "https://sandbox.localdomain:%u/", port);
	subscription(b, sizeof(b), all, 1000, 262144, 25, uri);
	subscribe("https", b);
	snprintf(uri, sizeof(uri), "http://example.com:%u/", port);
	subscription(b, sizeof(b), all, 1000, 262144, 25, uri);
	subscribe("foreign-host", b);
	subscription(b, sizeof(b), all, 1000, 262144, 25, "http://sandbox.localdomain:9001/");
	subscribe("port-9001", b);
	subscribe("tcp", "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],"
	                 "\"destination\":{\"protocol\":\"TCP\",\"port\":4243}}");
}

static void subscribe_for_name(void)
{
	static const char all[] = "[\"platform\",\"function\",\"extension\"]";
	char b[1024];

	if (strstr(name, "tel-items"))
		subscription(b, sizeof(b), "[\"function\"]", 1000, 1048576, 30000, NULL);
	else if (strstr(name, "tel-bytes"))
		subscription(b, sizeof(b), "[\"function\"]", 10000, 262144, 30000, NULL);
	else
		subscription(b, sizeof(b), all, 1000, 262144, 25, NULL);
	subscribe("main", b);
}

/* next: 1 INVOKE, 2 SHUTDOWN, -1 error. */
static int next_event(void)
{
	char h1[200];
	const char *h[] = {h1, NULL};
	struct th_resp r;
	int ev = -1;

	snprintf(h1, sizeof(h1), "Lambda-Extension-Identifier: %s", ext_id);
	if (th_http("GET", api_url("/2020-01-01/extension/event/next"), h, NULL, 0, 0, &r) < 0)
		return -1;
	if (r.status == 200 && r.body) {
		if (strstr(r.body, "\"INVOKE\""))
			ev = 1;
		else if (strstr(r.body, "\"SHUTDOWN\""))
			ev = 2;
	}
	th_resp_fini(&r);
	return ev;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("TEL_EXT_DIR");
	char path[1024];
	struct MHD_Daemon *d;
	bool first = true;
	int ev;

	snprintf(name, sizeof(name), "%s", basename(argv[0]));
	if (!dir)
		return 2;
	snprintf(path, sizeof(path), "%s/%s.log", dir, name);
	out = fopen(path, "w");
	if (!out)
		return 2;
	d = listen_free_port();
	if (!d || do_register() < 0) {
		logf_line("failed to %s", d ? "register" : "listen");
		return 1;
	}
	if (strstr(name, "tel-errors"))
		try_refused();
	if (strstr(name, "tel-slow"))
		hold_until_ns = UINT64_MAX;
	subscribe_for_name();
	/* A line of our own: it must come back to us as an extension record. */
	printf("%s: subscribed on port %u\n", name, port);
	fflush(stdout);
	while ((ev = next_event()) == 1) {
		if (first && strstr(name, "tel-errors"))
			subscribe("after-init", "{}");
		if (first && strstr(name, "tel-slow"))
			hold_until_ns = vg_mono_ns() + 3000000000u;
		first = false;
	}
	if (ev == 2) {
		/* Give the sandbox's last flush time to reach us. */
		vg_sleep_ms(400);
		logf_line("shutdown");
	}
	MHD_stop_daemon(d);
	fclose(out);
	return 0;
}
