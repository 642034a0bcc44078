/* The trivial runtime of the sandbox benchmark: fetches each invocation
 * and answers with the event itself, over one keep-alive connection, doing
 * nothing else, so that what the benchmark measures is the sandbox.
 *
 *   AWS_LAMBDA_RUNTIME_API=HOST:PORT bench-runtime
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vg_buf.h"

#define EVENT_MAX (6u << 20)

struct call {
	struct vg_buf body;
	int collect; /* 0 while posting a response: its reply is discarded */
	char request_id[128];
};

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
	struct call *c = user;

	if (!c->collect)
		return size * n;
	return vg_buf_append(&c->body, p, size * n) == 0 ? size * n : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
	static const char name[] = "Lambda-Runtime-Aws-Request-Id:";
	struct call *c = user;
	size_t len = size * n, i = sizeof(name) - 1, j = 0;

	if (len <= i || strncasecmp(p, name, i) != 0)
		return len;
	while (i < len && p[i] == ' ')
		i++;
	while (i < len && p[i] != '\r' && p[i] != '\n' && j + 1 < sizeof(c->request_id))
		c->request_id[j++] = p[i++];
	c->request_id[j] = '\0';
	return len;
}

int main(void)
{
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	struct call c = {.body = VG_BUF_INIT(EVENT_MAX)};
	struct curl_slist *h = NULL;
	char next[256], url[512];
	CURL *curl;

	if (!api) {
		fprintf(stderr, "bench-runtime: AWS_LAMBDA_RUNTIME_API is not set\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (!curl || !h)
		return 1;
	snprintf(next, sizeof(next), "http://%s/2018-06-01/runtime/invocation/next", api);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &c);
	curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
	for (;;) {
		vg_buf_reset(&c.body);
		c.collect = 1;
		c.request_id[0] = '\0';
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(curl, CURLOPT_URL, next);
		if (curl_easy_perform(curl) != CURLE_OK || !c.request_id[0])
			break;
		snprintf(url, sizeof(url), "http://%s/2018-06-01/runtime/invocation/%s/response",
		         api, c.request_id);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c.body.data ? c.body.data : "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c.body.len);
		c.collect = 0;
		if (curl_easy_perform(curl) != CURLE_OK)
			break;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	vg_buf_fini(&c.body);
	curl_global_cleanup();
	return 0;
}
