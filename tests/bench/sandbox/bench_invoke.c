/* Benchmark: invoke round trips through vigil-sandbox's invoke endpoint
 * with a trivial C runtime (bench-runtime), on loopback, over one keep-alive
 * connection. Prints p50/p90/p99 latency and invokes per second. Not a test:
 * run it by hand, on a quiet machine, from the build folder:
 *
 *   build/tests/bench/sandbox/bench-sandbox [--invokes N] [--warmup N] [--payload BYTES]
 *
 * The target is a p50 of at most 200 us: the sandbox must not be what limits
 * later measurements of the proxy. For scale it also measures a floor: one
 * HTTP round trip to an in-process libmicrohttpd echo server of the same
 * threading model, with the same client; an invoke costs three such round
 * trips (invoke, the runtime's next, its response) plus the hand-offs.
 */
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "vg_http.h"
#include "vg_buf.h"
#include "vg_time.h"
#include "vg_util.h"

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
	return vg_buf_append(user, p, size * n) == 0 ? size * n : 0;
}

static vg_mhd_result echo(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                          const char *version, const char *upload, size_t *upload_size,
                          void **con_cls)
{
	struct vg_http_req *req;

	if (!vg_http_collect(con_cls, upload, upload_size, 8u << 20, &req))
		return MHD_YES;
	return vg_http_reply(c, 200, "application/json", req->body.data ? req->body.data : "",
	                     req->body.len);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return (double)v[i] / 1000.0;
}

/* th_bin() finds programs under VIGIL_BUILD_ROOT; by hand, derive it from
 * where this program lives (BUILD/tests/bench/sandbox/). */
static void set_build_root(void)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (getenv("VIGIL_BUILD_ROOT"))
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	for (int up = 0; up < 4; up++) {
		char *slash = strrchr(exe, '/');

		if (slash)
			*slash = '\0';
	}
	setenv("VIGIL_BUILD_ROOT", exe, 1);
}

static long arg_num(int argc, char **argv, const char *name, long dflt, long max)
{
	for (int i = 1; i + 1 < argc; i++) {
		int64_t v;

		if (strcmp(argv[i], name) != 0)
			continue;
		if (vg_parse_i64(argv[i + 1], 1, max, &v) != 0) {
			fprintf(stderr, "bench-sandbox: %s wants a number in 1..%ld\n", name, max);
			exit(2);
		}
		return (long)v;
	}
	return dflt;
}

/* POSTs event to url warmup + n times over curl's one connection, checking
 * each reply echoes it; lat[i] gets each timed round trip. */
static int run(CURL *curl, const char *url, const char *event, size_t len, long warmup, long n,
               uint64_t *lat, uint64_t *total_ns)
{
	struct vg_buf resp = VG_BUF_INIT(8u << 20);
	uint64_t t_start = vg_mono_ns();
	int rc = -1;

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, event);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
	for (long i = -warmup; i < n; i++) {
		uint64_t t0 = vg_mono_ns();
		long code = 0;

		if (i == 0)
			t_start = t0;
		vg_buf_reset(&resp);
		if (curl_easy_perform(curl) != CURLE_OK ||
		    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK ||
		    code != 200 || resp.len != len || memcmp(resp.data, event, len) != 0) {
			fprintf(stderr, "bench-sandbox: request %ld to %s failed (HTTP %ld)\n", i,
			        url, code);
			goto out;
		}
		if (i >= 0)
			lat[i] = vg_mono_ns() - t0;
	}
	*total_ns = vg_mono_ns() - t_start;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	rc = 0;
out:
	vg_buf_fini(&resp);
	return rc;
}

/* The floor: the same requests to an in-process echo server. */
static int floor_p50(CURL *curl, const char *event, size_t len, long n, double *p50)
{
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, echo,
	    NULL, MHD_OPTION_NOTIFY_COMPLETED, vg_http_completed, NULL, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
	    d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	uint64_t *lat = calloc((size_t)n, sizeof(*lat)), total;
	char url[64];
	int rc = -1;

	if (info && lat) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/", info->port);
		rc = run(curl, url, event, len, n / 10, n, lat, &total);
		if (rc == 0)
			*p50 = pct_us(lat, (size_t)n, 0.50);
	}
	free(lat);
	if (d)
		MHD_stop_daemon(d);
	return rc;
}

int main(int argc, char **argv)
{
	long invokes = arg_num(argc, argv, "--invokes", 20000, 10000000);
	long warmup = arg_num(argc, argv, "--warmup", 1000, 1000000);
	long payload = arg_num(argc, argv, "--payload", 64, 1 << 20);
	const char *rt[] = {NULL, NULL};
	struct th_sandbox sb;
	struct curl_slist *h = NULL;
	char opt[512], *event;
	uint64_t *lat, t_total;
	double p50, floor = 0;
	CURL *curl;
	int rc = 1;

	set_build_root();
	rt[0] = th_bin("tests/bench/sandbox/bench-runtime");
	/* A JSON string of the requested size, echoed back by the runtime. */
	event = malloc((size_t)payload + 1);
	lat = calloc((size_t)invokes, sizeof(*lat));
	if (!event || !lat)
		return 1;
	memset(event, 'x', (size_t)payload);
	event[0] = '"';
	event[payload - 1] = '"';
	event[payload] = '\0';
	if (payload < 2)
		event[0] = '0';

	/* An empty layer root: no extension of this machine takes part. */
	if (th_tempdir(opt, sizeof(opt), "bench-opt") < 0 ||
	    th_sandbox_start(&sb, opt, NULL, rt) < 0) {
		fprintf(stderr, "bench-sandbox: the sandbox did not start (build it first)\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);

	if (run(curl, sb.invoke_url, event, (size_t)payload, warmup, invokes, lat, &t_total) < 0)
		goto out;
	p50 = pct_us(lat, (size_t)invokes, 0.50);
	printf("sandbox invoke round trip: %ld invokes after %ld warm-up, %ld-byte event, "
	       "one keep-alive connection, loopback\n",
	       invokes, warmup, payload);
	printf("  p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f us\n", p50,
	       pct_us(lat, (size_t)invokes, 0.90), pct_us(lat, (size_t)invokes, 0.99),
	       (double)lat[invokes - 1] / 1000.0);
	printf("  %.0f invokes/s\n", (double)invokes * 1e9 / (double)t_total);
	if (floor_p50(curl, event, (size_t)payload, VG_MIN(invokes, 5000L), &floor) == 0)
		printf("  floor: one HTTP round trip to an in-process echo server p50 %.1f us; "
		       "invoke/floor %.1f\n",
		       floor, p50 / floor);
	printf("  target p50 <= 200 us: %s\n", p50 <= 200.0 ? "met" : "NOT met");
	rc = 0;
out:
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	th_sandbox_stop(&sb);
	th_sandbox_fini(&sb);
	th_rmtree(opt);
	free(event);
	free(lat);
	return rc;
}
