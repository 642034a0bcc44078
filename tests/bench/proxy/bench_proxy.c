/* bench-proxy: what vigil costs a function.
 *
 *   build/tests/bench/proxy/bench-proxy [VIGIL] [--quick]
 *
 * Starts a fake Lambda (Runtime, Extensions and Telemetry APIs, a
 * libmicrohttpd server in this process) and the real vigil (default
 * $VIGIL_BUILD_ROOT/extension/vigil, else build/extension/vigil) against it,
 * then plays a runtime: one invocation is GET /next (the event) plus POST
 * /response (a small result), on one keep-alive connection, measured from
 * the first byte sent to the 202 received. The direct path (runtime to the
 * fake) and the proxied path (runtime to vigil to the fake) run side by side
 * in interleaved rounds, for 1 KB, 64 KB and 1 MB events; the figures are
 * p50 and p99 of each and the added latency (proxied minus direct).
 *
 * It also starts vigil repeatedly and reports the time from exec to its
 * register call and to its first event/next (as the fake API sees them),
 * streams a 200 MB response through the proxy (1 MiB chunks), and reports
 * the peak RSS (VmHWM) of vigil after all of it: a proxy that held a stream
 * whole would show it there.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "fake_upstream.h"
#include "px_client.h"
#include "vg_time.h"

static const char *vigil = "build/extension/vigil";

static pid_t start_vigil(struct fake_up *up, uint16_t pp, uint64_t *t_exec)
{
	char api[64], p1[64], p2[64];
	snprintf(api, sizeof(api), "AWS_LAMBDA_RUNTIME_API=%s", up->hostport);
	snprintf(p1, sizeof(p1), "VIGIL_PROXY_PORT=%u", pp);
	snprintf(p2, sizeof(p2), "VIGIL_TELEMETRY_PORT=%u", th_free_port());
	char *env[] = {api, p1, p2, "VIGIL_LOG_LEVEL=warn", NULL};
	char *argv[] = {"/opt/extensions/vigil", NULL};
	*t_exec = vg_mono_ns();
	pid_t pid = fork();
	if (pid == 0) {
		execve(vigil, argv, env);
		_exit(127);
	}
	return pid;
}

static int stop_vigil(struct fake_up *up, pid_t pid)
{
	int st = 0;
	fake_up_shutdown(up, 2000);
	for (int i = 0; i < 400; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		vg_sleep_ms(5);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(uint64_t *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1000.0; /* µs */
}

/* One invocation on pool p: GET /next, POST /response. ns, 0 on failure. */
static uint64_t invoke(struct px_pool *p, size_t expect)
{
	struct px_resp r;
	px_resp_init(&r);
	uint64_t t0 = vg_mono_ns();
	int ret = px_request(p, "GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, 0, &r,
	                     8u << 20, 10000);
	if (ret == 0 && r.status == 200 && r.body.len == expect) {
		char path[128];
		snprintf(path, sizeof(path), "/2018-06-01/runtime/invocation/%s/response",
		         px_resp_header(&r, "Lambda-Runtime-Aws-Request-Id"));
		ret = px_request(p, "POST", path, "Content-Type: application/json\r\n",
		                 "{\"ok\":true}", 11, &r, 1 << 20, 10000);
	} else {
		ret = -1;
	}
	uint64_t t1 = vg_mono_ns();
	bool ok = ret == 0 && r.status == 202;
	px_resp_fini(&r);
	return ok ? t1 - t0 : 0;
}

/* An API Gateway REST event of exactly size bytes whose JSON body holds
 * English text: what vigil inspects on a typical web invocation (classified,
 * extracted, the body's JSON decoded and every string run through the
 * detectors), with nothing to find. */
static void make_event(char *ev, size_t size)
{
	static const char head[] =
	    "{\"resource\":\"/items\",\"path\":\"/items\",\"httpMethod\":\"POST\","
	    "\"headers\":{\"Host\":\"api.example.com\",\"content-type\":\"application/json\","
	    "\"User-Agent\":\"Mozilla/5.0 (X11; Linux x86_64)\"},\"queryStringParameters\":"
	    "{\"q\":\"running shoes\",\"page\":\"2\"},\"requestContext\":{\"stage\":\"prod\","
	    "\"requestId\":\"c6af9ac6-7b61-11e6-9a41-93e8deadbeef\"},\"isBase64Encoded\":false,"
	    "\"body\":\"{\\\"note\\\":\\\"";
	static const char tail[] = "\\\"}\"}";
	static const char words[] = "the quick brown fox jumps over the lazy dog and selects a "
	                            "union of friends to drop by ";
	size_t h = sizeof(head) - 1, t = sizeof(tail) - 1, w = sizeof(words) - 1;
	memcpy(ev, head, h);
	for (size_t i = h; i < size - t; i++)
		ev[i] = words[(i - h) % w];
	memcpy(ev + size - t, tail, t);
}

static int latency(struct fake_up *up, uint16_t pp, size_t size, size_t n, size_t round)
{
	char *ev = malloc(size);
	char hp[32];
	struct px_pool direct, proxied;
	uint64_t *d = calloc(n, sizeof(*d)), *x = calloc(n, sizeof(*x));
	size_t nd = 0, nx = 0;

	make_event(ev, size);
	up->event = ev;
	up->event_len = size;
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", pp);
	px_pool_init(&direct, up->hostport);
	px_pool_init(&proxied, hp);
	/* Warm both paths (connections, caches). */
	for (int i = 0; i < 20; i++) {
		invoke(&direct, size);
		invoke(&proxied, size);
	}
	for (size_t done = 0, k = 0; done < n; done += round, k++) {
		size_t m = done + round > n ? n - done : round;
		for (int pass = 0; pass < 2; pass++) {
			/* Alternate which path goes first. */
			bool prox = (pass == 0) == (k % 2 == 1);
			for (size_t i = 0; i < m; i++) {
				uint64_t t = invoke(prox ? &proxied : &direct, size);
				if (!t) {
					fprintf(stderr, "bench-proxy: an invocation failed\n");
					return -1;
				}
				if (prox)
					x[nx++] = t;
				else
					d[nd++] = t;
			}
		}
	}
	double d50 = pct(d, nd, 0.50), d99 = pct(d, nd, 0.99);
	double x50 = pct(x, nx, 0.50), x99 = pct(x, nx, 0.99);
	printf("%-7s %6zu   %9.1f %9.1f   %9.1f %9.1f   %+9.1f %+9.1f\n",
	       size >= 1 << 20 ? "1 MB"
	       : size >= 65536 ? "64 KB"
	                       : "1 KB",
	       n, d50, d99, x50, x99, x50 - d50, x99 - d99);
	px_pool_fini(&direct);
	px_pool_fini(&proxied);
	up->event = NULL;
	free(ev);
	free(d);
	free(x);
	return 0;
}

/* A 200 MB streamed response (chunked, 1 MiB chunks) through the proxy;
 * returns the seconds it took, < 0 on failure. */
static double stream_200mb(uint16_t pp)
{
	char hp[32];
	struct px_pool pool;
	struct px_conn *c;
	struct px_resp r;
	static const char head[] =
	    "POST /2018-06-01/runtime/invocation/s/response HTTP/1.1\r\nHost: x\r\n"
	    "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";
	size_t chunk = 1 << 20;
	char *data = malloc(chunk);
	int ret;

	memset(data, 's', chunk);
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", pp);
	px_pool_init(&pool, hp);
	px_resp_init(&r);
	uint64_t t0 = vg_mono_ns();
	ret = px_pool_connect(&pool, &c);
	if (ret == 0)
		ret = px_conn_write(c, head, sizeof(head) - 1);
	for (int i = 0; ret == 0 && i < 200; i++)
		ret = px_conn_write_chunk(c, data, chunk);
	if (ret == 0)
		ret = px_conn_write(c, "0\r\n\r\n", 5);
	if (ret == 0)
		ret = px_resp_read(c, &r, 1 << 20, 60000);
	double secs = (double)(vg_mono_ns() - t0) / 1e9;
	bool ok = ret == 0 && r.status == 202;
	px_pool_put(&pool, c, false);
	px_resp_fini(&r);
	px_pool_fini(&pool);
	free(data);
	return ok ? secs : -1;
}

static long vm_hwm_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	static char path[4096];
	bool quick = false;
	const char *root = getenv("VIGIL_BUILD_ROOT");

	if (root) {
		snprintf(path, sizeof(path), "%s/extension/vigil", root);
		vigil = path;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else
			vigil = argv[i];
	}
	signal(SIGPIPE, SIG_IGN);

	/* Start-up: exec to register, exec to first event/next. */
	enum { STARTS = 15 };
	uint64_t reg[STARTS], nxt[STARTS];
	size_t ns = quick ? 5 : STARTS;
	for (size_t i = 0; i < ns; i++) {
		struct fake_up up;
		uint64_t t_exec;
		memset(&up, 0, sizeof(up));
		if (fake_up_start(&up) < 0)
			return 1;
		pid_t pid = start_vigil(&up, th_free_port(), &t_exec);
		if (!fake_up_wait_ext_next(&up, 1, 10000)) {
			fprintf(stderr, "bench-proxy: vigil did not reach event/next\n");
			return 1;
		}
		reg[i] = up.t_register_ns - t_exec;
		nxt[i] = up.t_first_ext_next_ns - t_exec;
		if (stop_vigil(&up, pid) != 0)
			fprintf(stderr, "bench-proxy: vigil did not exit 0 after SHUTDOWN\n");
		fake_up_stop(&up);
	}
	printf("vigil start-up over %zu starts (exec to call, as the API sees it)\n", ns);
	printf("  exec -> register          p50 %7.2f ms   max %7.2f ms\n",
	       pct(reg, ns, 0.5) / 1000, pct(reg, ns, 1.0) / 1000);
	printf("  exec -> first event/next  p50 %7.2f ms   max %7.2f ms   (target <= 5 ms)\n\n",
	       pct(nxt, ns, 0.5) / 1000, pct(nxt, ns, 1.0) / 1000);

	/* Latency, direct and proxied side by side. */
	struct fake_up up;
	uint64_t t_exec;
	memset(&up, 0, sizeof(up));
	if (fake_up_start(&up) < 0)
		return 1;
	uint16_t pp = th_free_port();
	pid_t pid = start_vigil(&up, pp, &t_exec);
	if (!fake_up_wait_ext_next(&up, 1, 10000))
		return 1;
	printf("per invocation (GET /next + POST /response), µs; rounds of 100, interleaved\n");
	printf("%-7s %6s   %9s %9s   %9s %9s   %9s %9s\n", "event", "n", "direct", "p99", "proxied",
	       "p99", "added", "p99");
	int r = latency(&up, pp, 1024, quick ? 400 : 4000, 100);
	if (r == 0)
		r = latency(&up, pp, 65536, quick ? 200 : 2000, 100);
	if (r == 0)
		r = latency(&up, pp, 1 << 20, quick ? 100 : 400, 50);
	printf("(target: added p50 <= 100 µs for 1 KB)\n\n");
	if (r == 0) {
		double secs = stream_200mb(pp);
		if (secs < 0) {
			fprintf(stderr, "bench-proxy: the streamed response failed\n");
			r = -1;
		} else {
			printf("200 MB streamed response through the proxy: %.2f s (%.0f MB/s)\n",
			       secs, 200 / secs);
		}
	}
	long hwm = vm_hwm_kb(pid);
	printf("vigil peak RSS (VmHWM) after all of the above: %.2f MB   (target <= 8 MB)\n",
	       (double)hwm / 1024);
	int st = stop_vigil(&up, pid);
	fake_up_stop(&up);
	return r == 0 && st == 0 ? 0 : 1;
}
