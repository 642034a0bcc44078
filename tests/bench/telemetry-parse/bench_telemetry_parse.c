/* Telemetry parsing and detection throughput, on one thread.
 *
 *   build/tests/bench/telemetry-parse/bench-telemetry-parse [SECONDS]
 *
 * Builds batches shaped like what Lambda sends (lambda-apis.md §5.4: per
 * invocation a platform.start, function log lines as strings and as JSON
 * objects, an extension line, platform.runtimeDone and platform.report;
 * 1,000 records and about 220 KB per batch, the subscription's usual
 * maxItems) and reports, for SECONDS each (default 2):
 *   parse:    tel_batch_parse alone (records/s, MB/s);
 *   pipeline: tel_pipeline_feed with every detector and the secret scanner;
 *   flood:    log lines only (the burst case), with the process's peak RSS
 *             before and after, to show the state stays bounded.
 *   scan:     tel_secrets_scan on 256 KiB lines built to be its worst cases
 *             (time per line; the cost must stay linear);
 *   redact:   tel_secrets_redact_all on a 256 KiB line made of secrets.
 * The target is at least 50,000 records/s on one core.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "tel_batch.h"
#include "tel_secrets.h"
#include "tel_pipeline.h"
#include "vg_time.h"

struct text {
	char *s;
	size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if ((size_t)k < t->cap - t->len) {
			t->len += (size_t)k;
			return;
		}
		t->cap = t->cap * 2 + (size_t)k + 256;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
	}
}

/* One batch of `records` records starting at invocation `inv`. */
static unsigned make_batch(struct text *t, unsigned *inv, unsigned records, bool logs_only)
{
	unsigned n = 0;
	t->len = 0;
	add(t, "[");
	while (n < records) {
		char rid[40], ts[32];
		unsigned i = (*inv)++;
		snprintf(rid, sizeof(rid), "%08x-49c9-448d-89b8-%012x", i, i * 7919u);
		snprintf(ts, sizeof(ts), "2026-12-06T%02u:%02u:%02u.%03uZ", (i / 3600000) % 24,
		         (i / 60000) % 60, (i / 1000) % 60, i % 1000);
		if (!logs_only) {
			add(t,
			    "%s{\"time\":\"%s\",\"type\":\"platform.start\",\"record\":{"
			    "\"requestId\":"
			    "\"%s\",\"version\":\"$LATEST\",\"tracing\":{\"type\":\"X-Amzn-Trace-"
			    "Id\","
			    "\"value\":\"Root=1-5f1b5d1b-%08x;Parent=53995c3f42cd8ad8;Sampled=1\"}}"
			    "}",
			    n ? "," : "", ts, rid, i);
			n++;
		}
		for (unsigned k = 0; k < 5 && n < records; k++, n++)
			add(t,
			    "%s{\"time\":\"%s\",\"type\":\"function\",\"record\":\"%s\\t%"
			    "s\\tINFO\\t"
			    "processing item %u of order %u for customer account 12345, status=ok "
			    "elapsed=%ums\\n\"}",
			    n ? "," : "", ts, ts, rid, k, i, k * 3);
		if (n < records)
			add(t,
			    "%s{\"time\":\"%s\",\"type\":\"function\",\"record\":{\"timestamp\":\"%"
			    "s\","
			    "\"level\":\"INFO\",\"requestId\":\"%s\",\"message\":\"cache lookup\","
			    "\"key\":\"user:%u\",\"hit\":true}}",
			    n ? "," : "", ts, ts, rid, i),
			    n++;
		if (n < records)
			add(t,
			    "%s{\"time\":\"%s\",\"type\":\"extension\",\"record\":\"other: flushed "
			    "%u "
			    "spans\"}",
			    n ? "," : "", ts, i),
			    n++;
		if (logs_only)
			continue;
		if (n < records)
			add(t,
			    "%s{\"time\":\"%s\",\"type\":\"platform.runtimeDone\",\"record\":{"
			    "\"requestId\":\"%s\",\"status\":\"success\",\"metrics\":{"
			    "\"durationMs\":"
			    "%u.%03u,\"producedBytes\":512},\"spans\":[{\"name\":"
			    "\"responseLatency\","
			    "\"start\":\"%s\",\"durationMs\":12.5}]}}",
			    n ? "," : "", ts, rid, 20 + i % 7, i % 1000, ts),
			    n++;
		if (n < records)
			add(t,
			    "%s{\"time\":\"%s\",\"type\":\"platform.report\",\"record\":{"
			    "\"requestId\":"
			    "\"%s\",\"status\":\"success\",\"metrics\":{\"durationMs\":%u.5,"
			    "\"billedDurationMs\":%u,\"memorySizeMB\":512,\"maxMemoryUsedMB\":%u}}"
			    "}",
			    n ? "," : "", ts, rid, 21 + i % 7, 22 + i % 7, 80 + i % 20),
			    n++;
	}
	add(t, "]");
	return n;
}

static unsigned long alerts;

static void count(void *ctx, const struct tel_alert *a)
{
	(void)ctx;
	(void)a;
	alerts++;
}

static long peak_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

enum mode { PARSE, PIPELINE, FLOOD };

static void run(const char *name, enum mode m, double seconds)
{
	enum { BATCHES = 16, RECORDS = 1000 };
	struct text b[BATCHES] = {{0}};
	unsigned inv = 0;
	size_t bytes_per_round = 0;
	for (int i = 0; i < BATCHES; i++) {
		make_batch(&b[i], &inv, RECORDS, m == FLOOD);
		bytes_per_round += b[i].len;
	}
	struct tel_sink sink = {count, NULL};
	struct tel_pipeline *p = NULL;
	if (m != PARSE && tel_pipeline_new(NULL, &sink, &p) < 0)
		abort();
	long rss0 = peak_kb();
	uint64_t t0 = vg_mono_ns(), records = 0, bytes = 0;
	double el = 0;
	alerts = 0;
	do {
		for (int i = 0; i < BATCHES; i++) {
			int r = m == PARSE ? tel_batch_parse(b[i].s, b[i].len, NULL, NULL, NULL)
			                   : tel_pipeline_feed(p, b[i].s, b[i].len);
			if (r < 0)
				abort();
		}
		records += (uint64_t)BATCHES * RECORDS;
		bytes += bytes_per_round;
		el = (double)(vg_mono_ns() - t0) / 1e9;
	} while (el < seconds);
	printf("%-9s %9.0f records/s  %7.1f MB/s  %llu records in %.2f s  alerts %lu", name,
	       (double)records / el, (double)bytes / el / 1e6, (unsigned long long)records, el,
	       alerts);
	if (m == FLOOD)
		printf("  peak RSS %ld -> %ld KiB", rss0, peak_kb());
	printf("\n");
	tel_pipeline_free(p);
	for (int i = 0; i < BATCHES; i++)
		free(b[i].s);
}

static void scan_worst(void)
{
	static const char *const units[] = {"password=***",  "eyJ",  "a=", "://",  "bearer ",
	                                    "-----BEGIN ",   "ghp_", "x",  "/aB1", "secret /aB1",
	                                    "IQoJb3JpZ2lu.", "\\/aB"};
	size_t n = TEL_SECRETS_SCAN_MAX;
	char *line = malloc(n);
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t l = strlen(units[u]);
		for (size_t i = 0; i < n; i++)
			line[i] = units[u][i % l];
		struct tel_secret_hit h[8];
		uint64_t t0 = vg_mono_ns();
		unsigned found = 0;
		for (int k = 0; k < 20; k++)
			found = tel_secrets_scan(line, n, h, 8);
		double us = (double)(vg_mono_ns() - t0) / 20 / 1e3;
		printf("scan      %-14s x 256 KiB: %8.0f us per line (%.0f MB/s), %u hits\n",
		       units[u], us, (double)n / us, found);
	}
	/* Redacting a line that is all secrets: the rounds stay linear. */
	const char *unit = "pwd=Zz9abc1 ";
	size_t l = strlen(unit);
	for (size_t i = 0; i < n; i++)
		line[i] = unit[i % l];
	struct vg_buf out = VG_BUF_INIT(4 * n);
	uint64_t t0 = vg_mono_ns();
	int found = 0;
	for (int k = 0; k < 20; k++) {
		out.len = 0;
		found = tel_secrets_redact_all(&out, line, n, NULL, NULL);
	}
	double us = (double)(vg_mono_ns() - t0) / 20 / 1e3;
	printf("redact    %-14s x 256 KiB: %8.0f us per line (%.0f MB/s), %d hits\n", unit, us,
	       (double)n / us, found);
	vg_buf_fini(&out);
	free(line);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	if (seconds <= 0)
		seconds = 2.0;
	printf("batches of 1000 records (about 220 bytes each); one thread\n");
	run("parse", PARSE, seconds);
	run("pipeline", PIPELINE, seconds);
	run("flood", FLOOD, seconds);
	scan_worst();
	return 0;
}
