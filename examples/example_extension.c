/* example-extension: a minimal external Lambda extension in C.
 *
 * Lambda starts it from /opt/extensions/ (the sandbox from --opt
 * DIR/extensions/). It starts a Telemetry API listener, registers under its
 * file name for INVOKE and SHUTDOWN, subscribes to platform records, then
 * loops on event/next, printing every event and every telemetry record it
 * receives, and exits 0 on SHUTDOWN. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libgen.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

struct buf {
	char *d;
	size_t n;
};

static size_t collect(char *p, size_t sz, size_t nm, void *ud)
{
	struct buf *b = ud;
	size_t n = sz * nm;
	if (b->n + n > (1u << 20))
		return 0; /* an example keeps its buffers bounded too */
	char *d = realloc(b->d, b->n + n + 1);
	if (!d)
		return 0;
	memcpy(d + b->n, p, n);
	b->d = d;
	b->n += n;
	d[b->n] = '\0';
	return n;
}

static size_t id_header(char *p, size_t sz, size_t nm, void *ud)
{
	static const char name[] = "Lambda-Extension-Identifier:";
	size_t n = sz * nm;
	if (n > sizeof(name) && !strncasecmp(p, name, sizeof(name) - 1)) {
		const char *v = p + sizeof(name) - 1;
		size_t l = n - (sizeof(name) - 1);
		while (l && *v == ' ') {
			v++;
			l--;
		}
		while (l && (v[l - 1] == '\r' || v[l - 1] == '\n'))
			l--;
		snprintf(ud, 64, "%.*s", (int)l, v);
	}
	return n;
}

/* The telemetry listener: prints the type of each record of a batch. */
static mhd_result on_telemetry(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	struct buf *b = *con_cls;
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	if (!b) {
		*con_cls = calloc(1, sizeof(struct buf));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		collect((char *)upload, 1, *upload_size, b);
		*upload_size = 0;
		return MHD_YES;
	}
	cJSON *batch = cJSON_Parse(b->d ? b->d : ""), *rec;
	cJSON_ArrayForEach(rec, batch)
	{
		cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
		if (cJSON_IsString(type) && strncmp(type->valuestring, "platform.", 9) == 0)
			printf("example-extension: telemetry %s\n", type->valuestring);
	}
	cJSON_Delete(batch);
	free(b->d);
	free(b);
	*con_cls = NULL;
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	mhd_result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static long call(CURL *c, const char *method, const char *url, struct curl_slist *h,
                 const char *body, struct buf *out, char *id)
{
	long status = 0;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (id) {
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, id_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, id);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

int main(int argc, char **argv)
{
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	char name[256], url[512], hdr[320], id[64] = "";
	struct MHD_Daemon *listener;
	CURL *c;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(name, sizeof(name), "%s", basename(argv[0]));
	if (!api)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();

	/* Listen before registering: the runtime starts right after. */
	listener = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_telemetry,
	                            NULL, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
	    listener ? MHD_get_daemon_info(listener, MHD_DAEMON_INFO_BIND_PORT) : NULL;

	struct buf out = {0};
	snprintf(url, sizeof(url), "http://%s/2020-01-01/extension/register", api);
	snprintf(hdr, sizeof(hdr), "Lambda-Extension-Name: %s", name);
	struct curl_slist *h = curl_slist_append(NULL, hdr);
	long st = call(c, "POST", url, h, "{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}", &out, id);
	curl_slist_free_all(h);
	printf("example-extension: registered as %s (%ld): %s", name, st, out.d ? out.d : "\n");
	free(out.d);
	if (st != 200)
		return 1;

	snprintf(hdr, sizeof(hdr), "Lambda-Extension-Identifier: %s", id);
	h = curl_slist_append(NULL, hdr);
	if (info) {
		char body[512];
		snprintf(body, sizeof(body),
		         "{\"schemaVersion\":\"2022-12-13\",\"types\":[\"platform\"],"
		         "\"buffering\":{\"maxItems\":1000,\"maxBytes\":262144,\"timeoutMs\":25},"
		         "\"destination\":{\"protocol\":\"HTTP\","
		         "\"URI\":\"http://sandbox.localdomain:%u/telemetry\"}}",
		         (unsigned)info->port);
		struct buf sub = {0};
		snprintf(url, sizeof(url), "http://%s/2022-07-01/telemetry", api);
		st = call(c, "PUT", url, h, body, &sub, NULL);
		printf("example-extension: telemetry subscription: %ld %s\n", st,
		       sub.d ? sub.d : "");
		free(sub.d);
	}

	snprintf(url, sizeof(url), "http://%s/2020-01-01/extension/event/next", api);
	for (;;) {
		struct buf ev = {0};
		st = call(c, "GET", url, h, NULL, &ev, NULL);
		if (st != 200) {
			printf("example-extension: event/next failed (%ld)\n", st);
			return 1;
		}
		cJSON *e = cJSON_Parse(ev.d ? ev.d : "");
		const char *type =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "eventType"));
		if (type && !strcmp(type, "SHUTDOWN")) {
			printf("example-extension: SHUTDOWN, reason %s; goodbye\n",
			       cJSON_GetStringValue(
			           cJSON_GetObjectItemCaseSensitive(e, "shutdownReason")));
			cJSON_Delete(e);
			free(ev.d);
			break;
		}
		printf("example-extension: INVOKE %s\n",
		       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "requestId")));
		cJSON_Delete(e);
		free(ev.d);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (listener)
		MHD_stop_daemon(listener);
	return 0;
}
