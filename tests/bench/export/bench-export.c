/* Export benchmark: what a push costs the thread that raises an alert
 * (the only export cost an invocation could ever see), and end-to-end
 * export throughput to a local collector, with and without gzip.
 *
 *   bench-export [N] [URL]
 *
 * N alerts per run (default 20000). Without URL the in-process fake
 * collector of tests/support receives (it inflates and keeps every body,
 * so its cost is counted in); with URL, e.g. a running vigil-collector's
 * http://127.0.0.1:4318/v1/logs, that endpoint does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-collector.h"
#include "tel_export.h"
#include "vg_time.h"

/* VmHWM (peak resident set) in KiB. */
static long peak_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			v = atol(line + 6);
	if (f)
		fclose(f);
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static struct tel_alert alert(int i, char *rid, size_t n)
{
	snprintf(rid, n, "bench-%08d-5b2f-4c1e-9a3d", i);
	struct tel_alert a = {.kind = "inspection",
	                      .category = "sqli",
	                      .rule = "sqli.tautology",
	                      .severity = "ERROR",
	                      .request_id = rid,
	                      .source = "apigw-v2",
	                      .path = "body>$.user.name",
	                      .excerpt = "' OR 1=1 -- and some more of the input around it",
	                      .summary = "SQL injection in body>$.user.name"};
	return a;
}

static int run(const char *label, const char *url, int n, bool gzip, unsigned batch)
{
	struct tel_export_opts o = {.url = url,
	                            .token = "bench-token",
	                            .gzip = gzip,
	                            .batch_records = batch,
	                            .queue_records = (size_t)n + 16,
	                            .queue_bytes = (size_t)n * 2048,
	                            .drain_only = true};
	struct tel_export *x;
	struct tel_export_stats st;
	uint64_t *lat = malloc(sizeof(uint64_t) * (size_t)n), t0, t1, t2, sum = 0;
	char rid[64];

	if (!lat || tel_export_new(&o, &x) < 0) {
		fprintf(stderr, "bench-export: cannot start the exporter\n");
		return 1;
	}
	/* Pushes with the sender idle (drain_only): the cost an alerting
	 * thread pays. */
	t0 = vg_mono_ns();
	for (int i = 0; i < n; i++) {
		struct tel_alert a = alert(i, rid, sizeof(rid));
		uint64_t s = vg_mono_ns();
		tel_export_push(x, &a);
		lat[i] = vg_mono_ns() - s;
		sum += lat[i];
	}
	t1 = vg_mono_ns();
	if (tel_export_drain(x, vg_mono_ns() + 120ull * 1000000000ull) < 0)
		fprintf(stderr, "bench-export: drain timed out\n");
	t2 = vg_mono_ns();
	tel_export_get_stats(x, &st);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	printf("%-22s push: mean %6.0f ns, p50 %6llu ns, p99 %6llu ns | export: %8.0f alerts/s, "
	       "%6.1f ms for %d, %llu requests, delivered %llu, lost %llu\n",
	       label, (double)sum / n, (unsigned long long)lat[n / 2],
	       (unsigned long long)lat[(size_t)n * 99 / 100], n / ((double)(t2 - t1) / 1e9),
	       (double)(t2 - t1) / 1e6, n, (unsigned long long)st.requests,
	       (unsigned long long)st.delivered,
	       (unsigned long long)(st.dropped_overflow + st.dropped_failed + st.rejected));
	(void)t0;
	tel_export_free(x);
	free(lat);
	return st.delivered == (uint64_t)n ? 0 : 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000, rc = 0;
	struct fake_collector *fc = NULL;
	const char *url = argc > 2 ? argv[2] : NULL;

	if (n <= 0 || n > 10000000) {
		fprintf(stderr, "usage: bench-export [N] [URL]\n");
		return 2;
	}
	setenv("AWS_LAMBDA_FUNCTION_NAME", "bench", 0);
	setenv("AWS_REGION", "eu-west-1", 0);
	/* A burst far past the caps while nothing drains (the collector is
	 * down, or between invocations): memory stays at the caps. */
	{
		struct tel_export_opts o = {.url = "http://127.0.0.1:9/v1/logs",
		                            .queue_records = 1000,
		                            .queue_bytes = 4u << 20,
		                            .drain_only = true};
		struct tel_export *x;
		struct tel_export_stats st;
		long before = peak_kib();
		int burst = n * 25;
		(void)rc;
		char rid[64];
		uint64_t t0;

		if (tel_export_new(&o, &x) < 0)
			return 1;
		t0 = vg_mono_ns();
		for (int i = 0; i < burst; i++) {
			struct tel_alert a = alert(i, rid, sizeof(rid));
			tel_export_push(x, &a);
		}
		tel_export_get_stats(x, &st);
		printf(
		    "burst of %d alerts into a 1000-record / 4 MiB queue: %.0f ns/push, queued %zu "
		    "(%zu bytes), dropped %llu, peak RSS %ld -> %ld KiB\n",
		    burst, (double)(vg_mono_ns() - t0) / burst, st.queued, st.queued_bytes,
		    (unsigned long long)st.dropped_overflow, before, peak_kib());
		tel_export_free(x);
	}
	if (!url) {
		if (fc_start(&fc) < 0)
			return 1;
		url = fc_url(fc);
	}
	printf("bench-export: %d alerts per run to %s\n", n, argc > 2 ? url : "the fake collector");
	rc |= run("plain, batch 200", url, n, false, 200);
	rc |= run("gzip, batch 200", url, n, true, 200);
	rc |= run("gzip, batch 1000", url, n, true, 1000);
	rc |= run("plain, batch 1", url, n / 10 ? n / 10 : 1, false, 1);
	fc_free(fc);

	return rc;
}
