/* Alerts ingested per second: batches of 100 OTLP/HTTP JSON records posted
 * over one keep-alive connection to a real vigil-collector, each answered
 * only after its commit.
 *
 * usage: bench-ingest [--batches N] [--size RECORDS] [--sync full|normal]
 *                     [--connections N] [--gzip]   (run from the build folder
 *                     or with VIGIL_BUILD_ROOT set) */
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "bench_util.h"
#include "vg_buf.h"
#include "vg_time.h"

static int batches = 300, size = 100, conns = 1;
static unsigned port;
static bool use_gzip;

static char *make_batch(int batch, int thread, size_t *len)
{
	struct vg_buf b = VG_BUF_INIT(16 << 20);
	uint64_t now = vg_epoch_ns();

	vg_buf_puts(&b, "{\"resourceLogs\":[{\"resource\":{\"attributes\":["
	                "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"vigil\"}},"
	                "{\"key\":\"cloud.provider\",\"value\":{\"stringValue\":\"aws\"}},"
	                "{\"key\":\"cloud.region\",\"value\":{\"stringValue\":\"eu-west-1\"}},");
	vg_buf_printf(&b,
	              "{\"key\":\"faas.name\",\"value\":{\"stringValue\":\"fn-%d\"}}]},"
	              "\"scopeLogs\":[{\"scope\":{\"name\":\"vigil\"},\"logRecords\":[",
	              batch % 20);
	for (int i = 0; i < size; i++) {
		vg_buf_printf(
		    &b,
		    "%s{\"timeUnixNano\":\"%llu\",\"severityNumber\":17,\"severityText\":\"high\","
		    "\"body\":{\"stringValue\":\"sqli in apigw-v2 body>$.q\"},\"attributes\":["
		    "{\"key\":\"vigil.alert.id\",\"value\":{\"stringValue\":\"%d-%d-%d-%llu\"}},"
		    "{\"key\":\"vigil.kind\",\"value\":{\"stringValue\":\"inspection\"}},"
		    "{\"key\":\"vigil.category\",\"value\":{\"stringValue\":\"sqli\"}},"
		    "{\"key\":\"vigil.rule.id\",\"value\":{\"stringValue\":\"sqli.rule%d\"}},"
		    "{\"key\":\"vigil.action\",\"value\":{\"stringValue\":\"alert\"}},"
		    "{\"key\":\"vigil.event.source\",\"value\":{\"stringValue\":\"apigw-v2\"}},"
		    "{\"key\":\"vigil.field.path\",\"value\":{\"stringValue\":\"body>$.q\"}},"
		    "{\"key\":\"vigil.excerpt\",\"value\":{\"stringValue\":\"' or 1=1 union select "
		    "password from users--\"}},"
		    "{\"key\":\"faas.invocation_id\",\"value\":{\"stringValue\":\"8f2c%08d-%04d\"}}"
		    "]}",
		    i ? "," : "", (unsigned long long)(now + (uint64_t)i), thread, batch, i,
		    (unsigned long long)now, i % 7, batch, i);
	}
	vg_buf_puts(&b, "]}]}]}");
	if (use_gzip) {
		uLongf n = compressBound(b.len) + 32;
		struct vg_buf z = VG_BUF_INIT(32 << 20);
		z_stream zs = {0};
		vg_buf_reserve(&z, n);
		deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
		zs.next_in = (Bytef *)b.data;
		zs.avail_in = (uInt)b.len;
		zs.next_out = (Bytef *)z.data;
		zs.avail_out = (uInt)n;
		deflate(&zs, Z_FINISH);
		z.len = zs.total_out;
		deflateEnd(&zs);
		vg_buf_fini(&b);
		return vg_buf_steal(&z, len);
	}
	return vg_buf_steal(&b, len);
}

struct worker {
	int id;
	int failures;
	double *lat_ms;
};

static void *run(void *arg)
{
	struct worker *w = arg;
	CURL *h = bench_curl();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	char url[64];

	if (use_gzip)
		hdr = curl_slist_append(hdr, "Content-Encoding: gzip");
	hdr = curl_slist_append(hdr, "Expect:");
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/logs", port);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	for (int i = 0; i < batches; i++) {
		size_t len;
		long status = 0;
		char *body = make_batch(i, w->id, &len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		uint64_t t0 = vg_mono_ns();
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		w->lat_ms[i] = (double)(vg_mono_ns() - t0) / 1e6;
		if (status != 200)
			w->failures++;
		free(body);
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *sync = "full";
	char dir[] = "/tmp/vigil-bench-ingest-XXXXXX", db[128], cmd[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--batches") && i + 1 < argc)
			batches = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--sync") && i + 1 < argc)
			sync = argv[++i];
		else if (!strcmp(argv[i], "--connections") && i + 1 < argc)
			conns = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--gzip"))
			use_gzip = true;
		else {
			fprintf(stderr, "usage: bench-ingest [--batches N] [--size N] [--sync "
			                "full|normal] [--connections N] [--gzip]\n");
			return 2;
		}
	}
	if (batches < 1 || size < 1 || conns < 1 || conns > 64)
		return 2;
	if (!mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/alerts.db", dir);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct bench_collector c;
	const char *extra[] = {"--rate", "0", "--sync", sync, NULL};
	if (bench_collector_start(&c, db, extra) < 0)
		return 1;
	port = c.port;

	struct worker w[64];
	pthread_t th[64];
	uint64_t t0 = vg_mono_ns();
	for (int i = 0; i < conns; i++) {
		w[i] = (struct worker){.id = i, .lat_ms = calloc((size_t)batches, sizeof(double))};
		pthread_create(&th[i], NULL, run, &w[i]);
	}
	int failures = 0;
	for (int i = 0; i < conns; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	double secs = (double)(vg_mono_ns() - t0) / 1e9;
	double total = (double)batches * size * conns;
	double *all = calloc((size_t)batches * (size_t)conns, sizeof(double));
	for (int i = 0; i < conns; i++)
		memcpy(all + (size_t)i * (size_t)batches, w[i].lat_ms,
		       (size_t)batches * sizeof(double));
	printf("bench-ingest: %d connection(s) x %d batches x %d records, sync=%s%s\n", conns,
	       batches, size, sync, use_gzip ? ", gzip" : "");
	printf("  alerts/s          %.0f\n", total / secs);
	printf("  batches/s         %.0f\n", (double)batches * conns / secs);
	printf("  batch latency ms  p50 %.2f  p95 %.2f  p99 %.2f\n",
	       bench_percentile(all, (size_t)batches * conns, 50),
	       bench_percentile(all, (size_t)batches * conns, 95),
	       bench_percentile(all, (size_t)batches * conns, 99));
	printf("  failed batches    %d\n", failures);

	/* Check the collector holds what it acknowledged. */
	CURL *h = bench_curl();
	char url[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/healthz", port);
	bench_get(h, url);
	curl_easy_cleanup(h);
	double cpu = bench_collector_stop(&c);
	/* The machine may be shared: the collector's own CPU time says what
	 * one core of it sustains regardless of what else runs. */
	printf("  collector CPU     %.2f s (%.1f us per alert: %.0f alerts/s per core)\n", cpu,
	       cpu / total * 1e6, total / cpu);
	for (int i = 0; i < conns; i++)
		free(w[i].lat_ms);
	free(all);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-ingest: could not remove %s\n", dir);
	curl_global_cleanup();
	return failures ? 1 : 0;
}
