/* test-runtime: a Lambda custom runtime for tests, driven by its events.
 *
 * It speaks the Runtime API at $AWS_LAMBDA_RUNTIME_API with one keep-alive
 * libcurl handle and prints what it does on stdout ("test-runtime: ...").
 * The event's "action" chooses the behaviour (any other event is echoed):
 *
 *   {"action":"echo"}               respond with the event itself
 *   {"action":"error"}              POST /error, type Function.TestError, with an
 *                                   X-Ray cause header; body {"errorMessage":"boom",...}
 *   {"action":"sleep","ms":N}       sleep N ms, then echo
 *   {"action":"exit","code":N}      exit(N) without answering
 *   {"action":"alloc","mb":N,"hold_ms":H}
 *                                   allocate and touch N MiB (1 MiB per ms), hold
 *                                   for H ms (default 3000), respond {"allocated":N}
 *   {"action":"stream","error":B}   streamed response (chunked, 3 chunks "chunk-1\n"..);
 *                                   with B true, error trailers Function.StreamError
 *   {"action":"big","bytes":N}      respond with a body of N bytes
 *   {"action":"log","lines":N}      print N lines to stdout and N to stderr, then echo
 *   {"action":"longline","bytes":N} print one line of N 'y' bytes, then echo
 *   {"action":"headers"}            respond with the invocation headers as JSON
 *   {"action":"twice"}              respond, then respond again with the same id and
 *                                   print "test-runtime: second response status S"
 *   {"action":"bad-id"}             respond to a made-up id first and print
 *                                   "test-runtime: bad id status S", then echo
 *   {"action":"ignore-term"}        ignore SIGTERM from now on, then echo
 *   {"action":"secret","only":K}    print log lines that leak credentials (0: an
 *                                   AWS access key id and secret, 1: a private
 *                                   key, 2: a bearer JWT, 3: a password in a
 *                                   URL, 4: in key=value), all made up; only
 *                                   line K when given; then echo
 *   {"action":"flood","ms":N,"line_bytes":B}
 *                                   print lines of B bytes (default 200) as fast
 *                                   as the pipe takes them for N ms, then print
 *                                   "test-runtime: flood wrote L lines" and echo
 *
 * Environment: TEST_RUNTIME_INIT=error (POST /init/error with
 * Runtime.TestInitError, exit 1), =exit (exit 3 before next), =hang (never
 * call next).
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static CURL *curl;
static char api[256];

struct buf {
	char *d;
	size_t n;
};

static size_t collect(char *p, size_t sz, size_t nm, void *ud)
{
	struct buf *b = ud;
	size_t n = sz * nm;
	char *d = realloc(b->d, b->n + n + 1);
	if (!d)
		return 0;
	memcpy(d + b->n, p, n);
	b->d = d;
	b->n += n;
	b->d[b->n] = '\0';
	return n;
}

/* One request; returns the HTTP status (0 on a transport error). */
static long request(const char *method, const char *path, struct curl_slist *h, const char *body,
                    size_t len, struct buf *out, struct buf *hdrs)
{
	char url[600];
	long status = 0;

	snprintf(url, sizeof(url), "http://%s%s", api, path);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	if (hdrs) {
		curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
		curl_easy_setopt(curl, CURLOPT_HEADERDATA, hdrs);
	}
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static void header_value(const char *hdrs, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	out[0] = '\0';
	for (const char *p = hdrs; p && *p;) {
		const char *eol = strchr(p, '\n');
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t l = eol ? (size_t)(eol - v) : strlen(v);
			while (l && (v[l - 1] == '\r' || v[l - 1] == ' '))
				l--;
			snprintf(out, n, "%.*s", (int)l, v);
			return;
		}
		p = eol ? eol + 1 : NULL;
	}
}

static long respond(const char *id, const char *body, size_t len)
{
	char path[256];
	struct buf out = {0};
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	snprintf(path, sizeof(path), "/2018-06-01/runtime/invocation/%s/response", id);
	long st = request("POST", path, h, body, len, &out, NULL);
	curl_slist_free_all(h);
	free(out.d);
	return st;
}

static long respond_error(const char *id)
{
	static const char body[] =
	    "{\"errorMessage\":\"boom\",\"errorType\":\"TestError\",\"stackTrace\":[\"at test\"]}";
	char path[256];
	struct buf out = {0};
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, "Lambda-Runtime-Function-Error-Type: Function.TestError");
	h = curl_slist_append(h,
	                      "Lambda-Runtime-Function-XRay-Error-Cause: {\"working_directory\":"
	                      "\"/var/task\",\"exceptions\":[{\"type\":\"TestError\",\"message\":"
	                      "\"boom\"}],\"paths\":[]}");
	snprintf(path, sizeof(path), "/2018-06-01/runtime/invocation/%s/error", id);
	long st = request("POST", path, h, body, sizeof(body) - 1, &out, NULL);
	curl_slist_free_all(h);
	free(out.d);
	return st;
}

struct stream {
	int chunk;
	int error;
};

static size_t stream_read(char *buf, size_t sz, size_t nm, void *ud)
{
	struct stream *s = ud;
	if (s->chunk >= 3)
		return 0;
	s->chunk++;
	int n = snprintf(buf, sz * nm, "chunk-%d\n", s->chunk);
	return (size_t)n;
}

static int stream_trailers(struct curl_slist **list, void *ud)
{
	struct stream *s = ud;
	if (s->error) {
		/* base64 of {"errorMessage":"mid-stream","errorType":"StreamError"} */
		*list = curl_slist_append(
		    *list, "Lambda-Runtime-Function-Error-Type: Function.StreamError");
		*list = curl_slist_append(
		    *list,
		    "Lambda-Runtime-Function-Error-Body: "
		    "eyJlcnJvck1lc3NhZ2UiOiJtaWQtc3RyZWFtIiwiZXJyb3JUeXBlIjoiU3RyZWFtRXJyb3IifQ==");
	}
	return CURL_TRAILERFUNC_OK;
}

static long respond_stream(const char *id, int error)
{
	char path[256], url[600];
	struct stream s = {0, error};
	struct buf out = {0};
	long status = 0;
	struct curl_slist *h =
	    curl_slist_append(NULL, "Lambda-Runtime-Function-Response-Mode: streaming");
	h = curl_slist_append(h, "Transfer-Encoding: chunked");
	h = curl_slist_append(h, "Content-Type: text/plain");
	h = curl_slist_append(h, "Trailer: Lambda-Runtime-Function-Error-Type, "
	                         "Lambda-Runtime-Function-Error-Body");
	h = curl_slist_append(h, "Expect:");
	snprintf(path, sizeof(path), "/2018-06-01/runtime/invocation/%s/response", id);
	snprintf(url, sizeof(url), "http://%s%s", api, path);
	/* A handle of its own: libcurl keeps trailer state on the handle. */
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, stream_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &s);
	if (error) {
		curl_easy_setopt(c, CURLOPT_TRAILERFUNCTION, stream_trailers);
		curl_easy_setopt(c, CURLOPT_TRAILERDATA, &s);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(out.d);
	return status;
}

/* Credentials of the shapes a function leaks into its logs; made up (the
 * AWS pair is the documentation's example). */
static void print_secrets(int only)
{
	static const char *const lines[] = {
	    "config: aws_access_key_id=AKIAIOSFODNN7EXAMPLE "
	    "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	    "-----BEGIN RSA PRIVATE KEY-----",
	    "calling api with Authorization: Bearer "
	    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0ZXN0LXVzZXIifQ."
	    "c2lnbmF0dXJlLW5vdC1yZWFs",
	    "connecting to postgres://app:s3cr3t-Passw0rd@db.internal:5432/orders",
	    "login attempt user=admin password=hunter2-not-real",
	};
	for (int i = 0; i < (int)(sizeof(lines) / sizeof(lines[0])); i++)
		if (only < 0 || only == i)
			printf("%s\n", lines[i]);
	fflush(stdout);
}

/* Lines of line_bytes bytes (numbered) for ms milliseconds. */
static void flood(double ms, size_t line_bytes)
{
	struct timespec t0, now;
	unsigned long lines = 0;
	char *l;

	if (line_bytes < 16)
		line_bytes = 16;
	if (line_bytes > 1 << 20)
		line_bytes = 1 << 20;
	l = malloc(line_bytes + 1);
	if (!l)
		return;
	memset(l, 'f', line_bytes);
	l[line_bytes] = '\n';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (int i = 0; i < 64; i++) {
			int n = snprintf(l, 16, "flood %-9lu", lines++);
			l[n] = ' ';
			fwrite(l, 1, line_bytes + 1, stdout);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1e3 + (now.tv_nsec - t0.tv_nsec) / 1e6 >= ms)
			break;
	}
	fflush(stdout);
	free(l);
	printf("test-runtime: flood wrote %lu lines\n", lines);
}

static void handle(const char *id, const char *event, size_t len, const char *hdrs)
{
	cJSON *ev = cJSON_ParseWithLength(event, len);
	cJSON *a = cJSON_GetObjectItemCaseSensitive(ev, "action");
	const char *action = cJSON_IsString(a) ? a->valuestring : "echo";
	double num = 0;
	cJSON *arg;

	printf("test-runtime: invoke %s action %s\n", id, action);
	fflush(stdout);
	if ((arg = cJSON_GetObjectItemCaseSensitive(ev, "ms")) ||
	    (arg = cJSON_GetObjectItemCaseSensitive(ev, "code")) ||
	    (arg = cJSON_GetObjectItemCaseSensitive(ev, "mb")) ||
	    (arg = cJSON_GetObjectItemCaseSensitive(ev, "bytes")) ||
	    (arg = cJSON_GetObjectItemCaseSensitive(ev, "lines")))
		num = cJSON_GetNumberValue(arg);

	if (!strcmp(action, "error")) {
		printf("test-runtime: error status %ld\n", respond_error(id));
	} else if (!strcmp(action, "sleep")) {
		usleep((useconds_t)(num * 1000));
		respond(id, event, len);
	} else if (!strcmp(action, "exit")) {
		printf("test-runtime: exiting with %d\n", (int)num);
		fflush(stdout);
		exit((int)num);
	} else if (!strcmp(action, "alloc")) {
		size_t mb = (size_t)num;
		for (size_t i = 0; i < mb; i++) {
			char *p = malloc(1 << 20);
			if (!p)
				break;
			memset(p, (int)i + 1, 1 << 20); /* touched: resident */
			usleep(1000);
		}
		cJSON *hold = cJSON_GetObjectItemCaseSensitive(ev, "hold_ms");
		usleep((useconds_t)(cJSON_IsNumber(hold) ? hold->valuedouble * 1000 : 3000000));
		char out[64];
		int n = snprintf(out, sizeof(out), "{\"allocated\":%zu}", mb);
		respond(id, out, (size_t)n);
	} else if (!strcmp(action, "stream")) {
		cJSON *e = cJSON_GetObjectItemCaseSensitive(ev, "error");
		printf("test-runtime: stream status %ld\n", respond_stream(id, cJSON_IsTrue(e)));
	} else if (!strcmp(action, "big")) {
		size_t n = (size_t)num;
		char *b = malloc(n + 1);
		memset(b, 'x', n);
		b[0] = '"';
		if (n > 1)
			b[n - 1] = '"';
		printf("test-runtime: big status %ld\n", respond(id, b, n));
		free(b);
	} else if (!strcmp(action, "log")) {
		for (int i = 0; i < (int)num; i++) {
			printf("test-runtime: log line %d\n", i);
			fprintf(stderr, "test-runtime: err line %d\n", i);
		}
		fflush(stdout);
		respond(id, event, len);
	} else if (!strcmp(action, "longline")) {
		char *l = malloc((size_t)num + 2);
		memset(l, 'y', (size_t)num);
		l[(size_t)num] = '\n';
		fwrite(l, 1, (size_t)num + 1, stdout);
		fflush(stdout);
		free(l);
		respond(id, event, len);
	} else if (!strcmp(action, "headers")) {
		static const char *const names[] = {"Lambda-Runtime-Aws-Request-Id",
		                                    "Lambda-Runtime-Deadline-Ms",
		                                    "Lambda-Runtime-Invoked-Function-Arn",
		                                    "Lambda-Runtime-Trace-Id",
		                                    "Lambda-Runtime-Client-Context",
		                                    "Lambda-Runtime-Cognito-Identity",
		                                    "Content-Type"};
		cJSON *o = cJSON_CreateObject();
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char v[4096];
			header_value(hdrs, names[i], v, sizeof(v));
			if (v[0])
				cJSON_AddStringToObject(o, names[i], v);
		}
		char *text = cJSON_PrintUnformatted(o);
		respond(id, text, strlen(text));
		cJSON_free(text);
		cJSON_Delete(o);
	} else if (!strcmp(action, "twice")) {
		respond(id, event, len);
		printf("test-runtime: second response status %ld\n", respond(id, event, len));
	} else if (!strcmp(action, "bad-id")) {
		printf("test-runtime: bad id status %ld\n",
		       respond("00000000-0000-4000-8000-000000000000", "{}", 2));
		respond(id, event, len);
	} else if (!strcmp(action, "secret")) {
		cJSON *only = cJSON_GetObjectItemCaseSensitive(ev, "only");
		print_secrets(cJSON_IsNumber(only) ? only->valueint : -1);
		respond(id, event, len);
	} else if (!strcmp(action, "flood")) {
		cJSON *lb = cJSON_GetObjectItemCaseSensitive(ev, "line_bytes");
		flood(num, cJSON_IsNumber(lb) ? (size_t)lb->valuedouble : 200);
		respond(id, event, len);
	} else if (!strcmp(action, "ignore-term")) {
		signal(SIGTERM, SIG_IGN);
		respond(id, event, len);
	} else {
		respond(id, event, len);
	}
	fflush(stdout);
	cJSON_Delete(ev);
}

int main(void)
{
	const char *a = getenv("AWS_LAMBDA_RUNTIME_API");
	const char *init = getenv("TEST_RUNTIME_INIT");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!a) {
		fprintf(stderr, "test-runtime: AWS_LAMBDA_RUNTIME_API is not set\n");
		return 2;
	}
	snprintf(api, sizeof(api), "%s", a);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	printf("test-runtime: started, api %s\n", api);
	if (init && !strcmp(init, "error")) {
		static const char body[] = "{\"errorMessage\":\"cannot load handler\","
		                           "\"errorType\":\"TestInitError\"}";
		struct buf out = {0};
		struct curl_slist *h = curl_slist_append(
		    NULL, "Lambda-Runtime-Function-Error-Type: Runtime.TestInitError");
		long st = request("POST", "/2018-06-01/runtime/init/error", h, body,
		                  sizeof(body) - 1, &out, NULL);
		printf("test-runtime: init/error status %ld\n", st);
		return 1;
	}
	if (init && !strcmp(init, "exit"))
		return 3;
	if (init && !strcmp(init, "hang"))
		for (;;)
			pause();
	for (;;) {
		struct buf ev = {0}, hdrs = {0};
		char id[128];
		long st = request("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &ev,
		                  &hdrs);
		if (st != 200) {
			printf("test-runtime: next status %ld, exiting\n", st);
			return 1;
		}
		header_value(hdrs.d, "Lambda-Runtime-Aws-Request-Id", id, sizeof(id));
		handle(id, ev.d ? ev.d : "", ev.n, hdrs.d);
		free(ev.d);
		free(hdrs.d);
	}
}
