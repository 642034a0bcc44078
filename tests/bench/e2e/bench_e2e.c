/* bench-e2e: what Vigil's alert export and telemetry cost a function, end to
 * end (vigil-sandbox, vigil from the development layer with its wrapper,
 * the C test runtime, vigil-collector).
 *
 *   build/tests/bench/e2e/bench-e2e [latency] [memory] [--rounds N]
 *                                   [--seconds S | --minutes M]
 *
 * latency: two sandboxes side by side, the same function, every event an
 *   attack (so every invocation raises an inspection alert); one exports to
 *   vigil-collector (VIGIL_COLLECTOR_URL), the other has no collector (alerts
 *   as stdout lines). Interleaved rounds of 50 invocations each (order
 *   alternating), on one keep-alive connection per sandbox, timed from the
 *   request sent to the response read. Prints p50 and p99 of each and the
 *   difference (default 10 rounds), twice: with 10 ms between invocations
 *   (the environment idle when an event arrives) and back to back (an event
 *   that arrives while vigil still sends the previous invocation's alerts
 *   waits for that, as every extension's post-invocation work delays the
 *   next event in Lambda). Two figures each: the invoker's round trip
 *   (vigil-sandbox replies once the extensions are done too, as RIE does)
 *   and the function's response time (the report's runtimeDurationMs: from
 *   the invoke to the runtime's answer, what Lambda's caller waits for).
 * memory: one sandbox exporting to vigil-collector; the function floods its
 *   logs (200-byte lines, as fast as the pipe takes them, 1 s per
 *   invocation) and leaks credentials every 10th invocation, for S seconds
 *   (default 10; --minutes 10 for the figure). vigil's resident
 *   memory is sampled every 100 ms; prints its start, peak sampled RSS,
 *   VmHWM at the end, and the lines written, against the configured caps.
 *
 * Run from the repository root after a build (VIGIL_BUILD_ROOT defaults to
 * ./build). Figures vary with the machine's load: compare within one run.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char attack[] =
    "{\"version\":\"2.0\",\"routeKey\":\"GET /orders\",\"rawPath\":\"/orders\","
    "\"rawQueryString\":\"customer=x\",\"headers\":{\"host\":\"api.example.com\"},"
    "\"queryStringParameters\":{\"customer\":\"alice' OR '1'='1\"},"
    "\"requestContext\":{\"http\":{\"method\":\"GET\",\"path\":\"/orders\","
    "\"sourceIp\":\"198.51.100.23\"},\"requestId\":\"r\",\"routeKey\":\"GET /orders\","
    "\"stage\":\"$default\"},\"isBase64Encoded\":false}";

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_us(uint64_t *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1e3;
}

static size_t discard(char *p, size_t sz, size_t nm, void *ud)
{
	(void)p;
	(void)ud;
	return sz * nm;
}

/* A sandbox running test-runtime behind vigil from the layer. */
struct env {
	struct th_sandbox sb;
	char pp[64], tp[64], wrapper[700], collector[256];
	CURL *curl;
	struct curl_slist *h;
	pid_t vigil;
};

static int env_start(struct env *e, const char *collector_url, const char *timeout)
{
	const char *opt = th_bin("layer/opt");
	char line[512];
	snprintf(e->pp, sizeof(e->pp), "VIGIL_PROXY_PORT=%u", th_free_port());
	snprintf(e->tp, sizeof(e->tp), "VIGIL_TELEMETRY_PORT=%u", th_free_port());
	snprintf(e->wrapper, sizeof(e->wrapper), "AWS_LAMBDA_EXEC_WRAPPER=%s/vigil-wrapper", opt);
	snprintf(e->collector, sizeof(e->collector), "VIGIL_COLLECTOR_URL=%s",
	         collector_url ? collector_url : "");
	const char *extra[] = {"--timeout", timeout,
	                       "--env",     e->pp,
	                       "--env",     e->tp,
	                       "--env",     e->wrapper,
	                       "--env",     collector_url ? e->collector : "VIGIL_LOG_LEVEL=info",
	                       NULL};
	const char *rt[] = {th_bin("tests/runtimes/test-runtime"), NULL};
	int r = th_sandbox_start(&e->sb, opt, extra, rt);
	if (r < 0)
		return r;
	if (th_wait_line(e->sb.err_path, "extension vigil: launched (pid ", 5000, line,
	                 sizeof(line)) == 0)
		e->vigil = (pid_t)atoi(strstr(line, "(pid ") + 5);
	e->curl = curl_easy_init();
	e->h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(e->curl, CURLOPT_URL, e->sb.invoke_url);
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, e->h);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, 60000L);
	return 0;
}

static void env_stop(struct env *e)
{
	curl_easy_cleanup(e->curl);
	curl_slist_free_all(e->h);
	th_sandbox_stop(&e->sb); /* a second stop is a no-op */
	th_sandbox_fini(&e->sb);
}

/* One invocation; its wall time in ns, 0 on a failure. */
static uint64_t invoke(struct env *e, const char *body)
{
	long status = 0;
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
	uint64_t t0 = now_ns();
	if (curl_easy_perform(e->curl) != CURLE_OK)
		return 0;
	uint64_t t = now_ns() - t0;
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &status);
	return status == 200 ? t : 0;
}

/* The report's runtimeDurationMs of every invocation after the first skip,
 * in ns (malloc'd; *n set); NULL when the report cannot be read. */
static uint64_t *runtime_ns(struct env *e, int skip, size_t *n)
{
	char *text = th_file_read(e->sb.report, NULL);
	cJSON *rep = cJSON_Parse(text), *inv;
	uint64_t *v = NULL;
	free(text);
	*n = 0;
	cJSON *all = cJSON_GetObjectItem(rep, "invocations");
	int total = cJSON_GetArraySize(all);
	if (total > skip && (v = calloc((size_t)total, sizeof(*v)))) {
		int i = 0;
		cJSON_ArrayForEach(inv, all)
		{
			double ms =
			    cJSON_GetNumberValue(cJSON_GetObjectItem(inv, "runtimeDurationMs"));
			if (i++ >= skip && ms == ms)
				v[(*n)++] = (uint64_t)(ms * 1e6);
		}
	}
	cJSON_Delete(rep);
	return v;
}

static long proc_kb(pid_t pid, const char *field)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strstr(buf, field);
	return p ? strtol(p + strlen(field), NULL, 10) : -1;
}

static int bench_latency(struct th_collector *col, int rounds, int gap_ms)
{
	enum { PER_ROUND = 50 };
	struct env on = {0}, off = {0};
	size_t cap = (size_t)rounds * PER_ROUND, n_on = 0, n_off = 0;
	uint64_t *t_on = calloc(cap, sizeof(uint64_t)), *t_off = calloc(cap, sizeof(uint64_t));
	int failures = 0;

	if (!t_on || !t_off || env_start(&on, col->logs_url, "10") < 0 ||
	    env_start(&off, NULL, "10") < 0) {
		fprintf(stderr, "bench-e2e: cannot start the sandboxes\n");
		return 1;
	}
	for (int w = 0; w < 20; w++) { /* warm-up: connections, caches */
		invoke(&on, attack);
		invoke(&off, attack);
	}
	for (int r = 0; r < rounds; r++) {
		for (int side = 0; side < 2; side++) {
			bool export_on = (side == 0) == (r % 2 == 0);
			struct env *e = export_on ? &on : &off;
			for (int i = 0; i < PER_ROUND; i++) {
				if (gap_ms)
					usleep((useconds_t)gap_ms * 1000);
				uint64_t t = invoke(e, attack);
				if (!t)
					failures++;
				else if (export_on)
					t_on[n_on++] = t;
				else
					t_off[n_off++] = t;
			}
		}
	}
	th_sandbox_stop(&on.sb);
	th_sandbox_stop(&off.sb);
	size_t rn_on = 0, rn_off = 0;
	uint64_t *r_on = runtime_ns(&on, 20, &rn_on), *r_off = runtime_ns(&off, 20, &rn_off);
	env_stop(&on);
	env_stop(&off);
	cJSON *stored = th_collector_alerts(col, "limit=1000&kind=inspection");
	int n_stored = stored ? cJSON_GetArraySize(stored) : -1;
	cJSON_Delete(stored);
	if (!n_on || !n_off) {
		fprintf(stderr, "bench-e2e: no successful invocations\n");
		return 1;
	}
	double on50 = pct_us(t_on, n_on, 0.5), on99 = pct_us(t_on, n_on, 0.99);
	double off50 = pct_us(t_off, n_off, 0.5), off99 = pct_us(t_off, n_off, 0.99);
	printf("latency: response time of an attack event (one inspection alert each), "
	       "%d interleaved rounds of %d, %s\n",
	       rounds, PER_ROUND, gap_ms ? "10 ms apart (idle environment)" : "back to back");
	printf("  export off (stdout)    p50 %8.1f us  p99 %8.1f us  (n=%zu)\n", off50, off99,
	       n_off);
	printf("  export on (collector)  p50 %8.1f us  p99 %8.1f us  (n=%zu)\n", on50, on99, n_on);
	printf("  on - off               p50 %+8.1f us  p99 %+8.1f us\n", on50 - off50,
	       on99 - off99);
	if (rn_on && rn_off) {
		double ro50 = pct_us(r_on, rn_on, 0.5), ro99 = pct_us(r_on, rn_on, 0.99);
		double rf50 = pct_us(r_off, rn_off, 0.5), rf99 = pct_us(r_off, rn_off, 0.99);
		printf("  function response time (runtimeDurationMs):\n");
		printf("  export off             p50 %8.1f us  p99 %8.1f us  (n=%zu)\n", rf50, rf99,
		       rn_off);
		printf("  export on              p50 %8.1f us  p99 %8.1f us  (n=%zu)\n", ro50, ro99,
		       rn_on);
		printf("  on - off               p50 %+8.1f us  p99 %+8.1f us\n", ro50 - rf50,
		       ro99 - rf99);
	}
	free(r_on);
	free(r_off);
	printf("  failed invocations %d; inspection alerts in the collector so far (query capped "
	       "at 1000): %d\n",
	       failures, n_stored);
	free(t_on);
	free(t_off);
	return failures ? 1 : 0;
}

struct sampler {
	pid_t pid;
	volatile bool stop;
	long peak_kb;
	unsigned samples;
	uint64_t t0, span_ns; /* the run, cut in 10 windows */
	long window_kb[10];   /* peak RSS per tenth of the run */
};

static void *sample_main(void *arg)
{
	struct sampler *s = arg;
	while (!s->stop) {
		long kb = proc_kb(s->pid, "VmRSS:");
		unsigned w = (unsigned)((now_ns() - s->t0) * 10 / (s->span_ns ? s->span_ns : 1));
		if (kb > s->peak_kb)
			s->peak_kb = kb;
		if (w < 10 && kb > s->window_kb[w])
			s->window_kb[w] = kb;
		s->samples++;
		usleep(100000);
	}
	return NULL;
}

static int bench_memory(struct th_collector *col, double seconds)
{
	struct env e = {0};
	struct sampler smp = {0};
	pthread_t thr;
	long start_kb, hwm_kb;
	unsigned long invokes = 0, floods = 0, total = 0;
	int failures = 0;

	if (env_start(&e, col->logs_url, "30") < 0 || e.vigil <= 0) {
		fprintf(stderr, "bench-e2e: cannot start the sandbox or find vigil's pid\n");
		return 1;
	}
	start_kb = proc_kb(e.vigil, "VmRSS:");
	smp.pid = e.vigil;
	smp.t0 = now_ns();
	smp.span_ns = (uint64_t)(seconds * 1e9);
	pthread_create(&thr, NULL, sample_main, &smp);
	uint64_t end = smp.t0 + smp.span_ns;
	while (now_ns() < end) {
		const char *ev = invokes % 10 == 9 ? "{\"action\":\"secret\"}"
		                                   : "{\"action\":\"flood\",\"ms\":1000}";
		if (!invoke(&e, ev))
			failures++;
		invokes++;
	}
	smp.stop = true;
	pthread_join(thr, NULL);
	hwm_kb = proc_kb(e.vigil, "VmHWM:");
	th_sandbox_stop(&e.sb);
	char *log = th_file_read(e.sb.err_path, NULL);
	for (const char *p = log; p && (p = strstr(p, "test-runtime: flood wrote ")); p++) {
		total += strtoul(p + strlen("test-runtime: flood wrote "), NULL, 10);
		floods++;
	}
	free(log);
	env_stop(&e);
	printf("memory: vigil under a log flood for %.0f s (%lu invocations, %lu floods, "
	       "%lu lines of 200 bytes)\n",
	       seconds, invokes, floods, total);
	printf("  vigil RSS at start %ld KiB, peak sampled (every 100 ms, %u samples) %ld KiB, "
	       "VmHWM %ld KiB\n",
	       start_kb, smp.samples, smp.peak_kb, hwm_kb);
	printf("  peak RSS per tenth of the run (KiB):");
	for (int w = 0; w < 10; w++)
		printf(" %ld", smp.window_kb[w]);
	printf("\n  failed invocations %d\n", failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	bool lat = false, mem = false;
	int rounds = 10;
	double seconds = 10;
	struct th_collector col;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "latency"))
			lat = true;
		else if (!strcmp(argv[i], "memory"))
			mem = true;
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--minutes") && i + 1 < argc)
			seconds = atof(argv[++i]) * 60;
		else {
			fprintf(stderr, "usage: bench-e2e [latency] [memory] [--rounds N] "
			                "[--seconds S | --minutes M]\n");
			return 2;
		}
	}
	if (!lat && !mem)
		lat = mem = true;
	if (rounds < 1 || seconds <= 0) {
		fprintf(stderr, "bench-e2e: --rounds and --seconds must be positive\n");
		return 2;
	}
	if (!getenv("VIGIL_BUILD_ROOT"))
		setenv("VIGIL_BUILD_ROOT", "build", 0);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (th_collector_start(&col, (const char *[]){"--rate", "0", NULL}) < 0) {
		fprintf(stderr, "bench-e2e: cannot start vigil-collector\n");
		return 1;
	}
	int rc = 0;
	if (lat) {
		rc |= bench_latency(&col, rounds, 10);
		rc |= bench_latency(&col, rounds, 0);
	}
	if (mem)
		rc |= bench_memory(&col, seconds);
	th_collector_stop(&col);
	th_collector_fini(&col);
	return rc;
}
