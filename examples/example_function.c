/* example-function: a minimal Lambda custom runtime (a "bootstrap") in C.
 *
 * It loops on the Runtime API at $AWS_LAMBDA_RUNTIME_API: takes the next
 * event, prints what it got, and answers {"message":"hello, NAME",...}. Any
 * event shape is accepted (API Gateway, SQS, S3, ...): the answer names the
 * records it saw. A few top-level members make it misbehave, as a real
 * function sometimes does, so the demo can show Vigil's telemetry alerts:
 *
 *   "fail": true       answer with a function error (a handler's exception)
 *   "sleep_ms": N      sleep N ms before answering (past the timeout: timeout)
 *   "alloc_mb": N      allocate and touch N MiB (past the memory size: OOM)
 *   "print": "TEXT"    print TEXT as a log line (e.g. a leaked credential) */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct buf {
	char *d;
	size_t n;
};

static size_t collect(char *p, size_t sz, size_t nm, void *ud)
{
	struct buf *b = ud;
	size_t n = sz * nm;
	if (b->n + n > (8u << 20))
		return 0; /* bounded: Lambda's payloads stop at 6 MB */
	char *d = realloc(b->d, b->n + n + 1);
	if (!d)
		return 0;
	memcpy(d + b->n, p, n);
	b->d = d;
	b->n += n;
	d[b->n] = '\0';
	return n;
}

/* Keeps the request id from the headers of invocation/next. */
static size_t header(char *p, size_t sz, size_t nm, void *ud)
{
	static const char name[] = "Lambda-Runtime-Aws-Request-Id:";
	size_t n = sz * nm;
	if (n > sizeof(name) && !strncasecmp(p, name, sizeof(name) - 1)) {
		size_t l = n - (sizeof(name) - 1);
		const char *v = p + sizeof(name) - 1;
		while (l && (*v == ' ')) {
			v++;
			l--;
		}
		while (l && (v[l - 1] == '\r' || v[l - 1] == '\n'))
			l--;
		snprintf(ud, 64, "%.*s", (int)l, v);
	}
	return n;
}

static size_t discard(char *p, size_t sz, size_t nm, void *ud)
{
	(void)p;
	(void)ud;
	return sz * nm;
}

static long post(CURL *c, const char *url, const char *body, struct curl_slist *h)
{
	long status = 0;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* The demo's misbehaviours (see the header comment). */
static void misbehave(const cJSON *event)
{
	const cJSON *print = cJSON_GetObjectItemCaseSensitive(event, "print");
	const cJSON *sleep_ms = cJSON_GetObjectItemCaseSensitive(event, "sleep_ms");
	const cJSON *alloc_mb = cJSON_GetObjectItemCaseSensitive(event, "alloc_mb");

	if (cJSON_IsString(print))
		printf("%s\n", print->valuestring);
	if (cJSON_IsNumber(sleep_ms) && sleep_ms->valuedouble > 0 && sleep_ms->valuedouble < 3600e3)
		usleep((useconds_t)(sleep_ms->valuedouble * 1000));
	if (cJSON_IsNumber(alloc_mb) && alloc_mb->valuedouble > 0) {
		/* Touched page by page, a little at a time, the way a leak
		 * grows; kept (the process ends when the limit is hit). */
		for (int i = 0; i < alloc_mb->valueint && i < 65536; i++) {
			char *p = malloc(1 << 20);
			if (!p)
				break;
			memset(p, 1, 1 << 20);
			usleep(2000);
		}
	}
}

int main(void)
{
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	char url[512], id[64];
	CURL *c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!api) {
		fprintf(stderr, "example-function: AWS_LAMBDA_RUNTIME_API is not set\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	printf("example-function: initialised, runtime API %s\n", api);
	for (;;) {
		struct buf ev = {0};
		long status = 0;
		id[0] = '\0';
		snprintf(url, sizeof(url), "http://%s/2018-06-01/runtime/invocation/next", api);
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &ev);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, id);
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
		    status != 200) {
			fprintf(stderr, "example-function: invocation/next failed (%ld)\n", status);
			return 1;
		}
		printf("example-function: request %s, event %s\n", id, ev.d ? ev.d : "");

		cJSON *event = cJSON_Parse(ev.d ? ev.d : "");
		cJSON *name = cJSON_GetObjectItemCaseSensitive(event, "name");
		bool fail = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(event, "fail"));
		misbehave(event);
		struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
		if (fail) {
			h = curl_slist_append(
			    h, "Lambda-Runtime-Function-Error-Type: Function.Example");
			snprintf(url, sizeof(url),
			         "http://%s/2018-06-01/runtime/invocation/%s/error", api, id);
			status = post(c, url,
			              "{\"errorMessage\":\"the event asked to fail\","
			              "\"errorType\":\"ExampleError\"}",
			              h);
			printf("example-function: reported an error (%ld)\n", status);
		} else {
			cJSON *out = cJSON_CreateObject();
			char msg[300];
			snprintf(msg, sizeof(msg), "hello, %s",
			         cJSON_IsString(name) ? name->valuestring : "world");
			cJSON_AddStringToObject(out, "message", msg);
			cJSON_AddStringToObject(out, "requestId", id);
			cJSON *recs = cJSON_GetObjectItemCaseSensitive(event, "Records");
			if (cJSON_IsArray(recs))
				cJSON_AddNumberToObject(out, "records", cJSON_GetArraySize(recs));
			char *text = cJSON_PrintUnformatted(out);
			snprintf(url, sizeof(url),
			         "http://%s/2018-06-01/runtime/invocation/%s/response", api, id);
			status = post(c, url, text, h);
			printf("example-function: responded %s (%ld)\n", text, status);
			cJSON_free(text);
			cJSON_Delete(out);
		}
		curl_slist_free_all(h);
		cJSON_Delete(event);
		free(ev.d);
	}
}
