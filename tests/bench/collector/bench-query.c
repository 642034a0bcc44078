/* Query latency of a real vigil-collector holding many alerts (1,000,000 by
 * default), measured over one keep-alive connection. The database is
 * generated first with one bulk transaction in the collector's own schema.
 *
 * usage: bench-query [--alerts N] [--runs N] [--db FILE] [--generate-only]
 *   --db FILE         keep the database there (reused if it exists)
 *   --generate-only   write the database and exit (the first-paint
 *                     benchmark uses this) */
#include <curl/curl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "col_store.h"
#include "vg_time.h"

#define FUNCTIONS 40
#define RULES     24
#define PATHS     6

static const char *CATEGORIES[] = {"sqli",    "xss", "cmdi",  "path_traversal", "ssrf", "nosqli",
                                   "timeout", "oom", "error", "secret_in_logs", "jndi", "ssti"};
static const char *SOURCES[] = {"apigw-v2", "apigw-v1", "sqs",          "sns",
                                "s3",       "alb",      "function-url", "eventbridge"};
static const char *SEVERITIES[] = {"critical", "high", "medium", "low"};
static const int SEVNUM[] = {21, 17, 13, 9};
static const char *PATHNAMES[] = {
    "body>$.q",           "body>$.user.name",      "queryStringParameters.id",
    "headers.user-agent", "Records[0].body>$.cmd", "pathParameters.file"};

struct group {
	int64_t count, first, last;
};

static int generate(const char *db, int64_t n)
{
	struct col_store_opts o = {.path = db};
	struct col_store *s;
	sqlite3 *h;
	sqlite3_stmt *st;
	static struct group groups[FUNCTIONS * RULES * PATHS];
	int64_t now = (int64_t)vg_epoch_ns(), span = 7 * 86400 * 1000000000LL;
	char attrs[1024], res[256], body[128], id[48], req[48], fn[16], rule[32];

	if (col_store_open(&o, &s) < 0) /* creates the schema */
		return -1;
	col_store_free(s);
	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	sqlite3_exec(h, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(
	    h,
	    "INSERT INTO alerts(id, alert_id, group_id, time_ns, received_ns,"
	    " severity_number, severity_text, kind, category, rule, action, source,"
	    " field_path, excerpt, request_id, function, service, body, attrs, resource)"
	    " VALUES(?1,?2,?3,?4,?4,?5,?6,'inspection',?7,?8,'alert',?9,?10,?11,?12,?13,"
	    "'vigil',?14,?15,?16)",
	    -1, &st, NULL);
	uint64_t x = 88172645463325252ULL;
	for (int64_t i = 1; i <= n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift: varied but repeatable */
		int f = (int)(x % FUNCTIONS), r = (int)((x >> 8) % RULES),
		    p = (int)((x >> 16) % PATHS);
		int sev = (int)((x >> 24) % 4), src = (int)((x >> 28) % 8);
		int g = (f * RULES + r) * PATHS + p;
		int64_t t = now - span + span / n * i;
		const char *cat = CATEGORIES[r % 12];
		snprintf(id, sizeof(id), "bench-%lld", (long long)i);
		snprintf(req, sizeof(req), "8f2c%08lld-%04d", (long long)(i / 3), (int)(x % 10000));
		snprintf(fn, sizeof(fn), "fn-%d", f);
		snprintf(rule, sizeof(rule), "%s.rule%d", cat, r);
		snprintf(body, sizeof(body), "%s in %s %s (%s)", cat, SOURCES[src], PATHNAMES[p],
		         rule);
		snprintf(
		    attrs, sizeof(attrs),
		    "{\"vigil.alert.id\":\"%s\",\"vigil.kind\":\"inspection\",\"vigil.category\":"
		    "\"%s\","
		    "\"vigil.rule.id\":\"%s\",\"vigil.action\":\"alert\",\"vigil.event.source\":\"%"
		    "s\","
		    "\"vigil.field.path\":\"%s\",\"vigil.excerpt\":\"' or %d=%d union select --\","
		    "\"faas.invocation_id\":\"%s\"}",
		    id, cat, rule, SOURCES[src], PATHNAMES[p], (int)(x % 100), (int)(x % 100), req);
		snprintf(res, sizeof(res),
		         "{\"service.name\":\"vigil\",\"cloud.provider\":\"aws\",\"cloud.region\":"
		         "\"eu-west-1\","
		         "\"faas.name\":\"%s\"}",
		         fn);
		char excerpt[64];
		snprintf(excerpt, sizeof(excerpt), "' or %d=%d union select --", (int)(x % 100),
		         (int)(x % 100));
		sqlite3_bind_int64(st, 1, i);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, g + 1);
		sqlite3_bind_int64(st, 4, t);
		sqlite3_bind_int(st, 5, SEVNUM[sev]);
		sqlite3_bind_text(st, 6, SEVERITIES[sev], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, cat, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, SOURCES[src], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, PATHNAMES[p], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, excerpt, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, req, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 13, fn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 14, body, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 15, attrs, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 16, res, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "bench-query: insert: %s\n", sqlite3_errmsg(h));
			return -1;
		}
		sqlite3_reset(st);
		if (!groups[g].count++)
			groups[g].first = t;
		groups[g].last = t;
	}
	sqlite3_finalize(st);
	sqlite3_prepare_v2(h,
	                   "INSERT INTO groups(id, rule, function, field_path, category, kind,"
	                   " severity_number, severity_text, count, first_ns, last_ns)"
	                   " VALUES(?1,?2,?3,?4,?5,'inspection',17,'high',?6,?7,?8)",
	                   -1, &st, NULL);
	for (int g = 0; g < FUNCTIONS * RULES * PATHS; g++) {
		int f = g / (RULES * PATHS), r = (g / PATHS) % RULES, p = g % PATHS;
		if (!groups[g].count)
			continue;
		snprintf(fn, sizeof(fn), "fn-%d", f);
		snprintf(rule, sizeof(rule), "%s.rule%d", CATEGORIES[r % 12], r);
		sqlite3_bind_int64(st, 1, g + 1);
		sqlite3_bind_text(st, 2, rule, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, fn, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, PATHNAMES[p], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, CATEGORIES[r % 12], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, groups[g].count);
		sqlite3_bind_int64(st, 7, groups[g].first);
		sqlite3_bind_int64(st, 8, groups[g].last);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	int rc =
	    sqlite3_exec(h, "COMMIT; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	int64_t n = 1000000;
	int runs = 50, generate_only = 0;
	const char *keep = NULL;
	char dir[] = "/tmp/vigil-bench-query-XXXXXX", db[1024], cmd[1100];
	struct stat sb;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--alerts") && i + 1 < argc)
			n = atoll(argv[++i]);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--db") && i + 1 < argc)
			keep = argv[++i];
		else if (!strcmp(argv[i], "--generate-only"))
			generate_only = 1;
		else {
			fprintf(stderr, "usage: bench-query [--alerts N] [--runs N] [--db FILE] "
			                "[--generate-only]\n");
			return 2;
		}
	}
	if (n < 1 || runs < 1)
		return 2;
	if (keep) {
		snprintf(db, sizeof(db), "%s", keep);
	} else {
		if (!mkdtemp(dir))
			return 1;
		snprintf(db, sizeof(db), "%s/alerts.db", dir);
	}
	if (stat(db, &sb) != 0) {
		uint64_t t0 = vg_mono_ns();
		if (generate(db, n) < 0) {
			fprintf(stderr, "bench-query: cannot generate %s\n", db);
			return 1;
		}
		printf("bench-query: generated %lld alerts in %.1f s (%s)\n", (long long)n,
		       (double)(vg_mono_ns() - t0) / 1e9, db);
	}
	if (generate_only)
		return 0;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct bench_collector c;
	const char *extra[] = {"--rate", "0", "--max-age", "0", "--max-alerts", "0", NULL};
	if (bench_collector_start(&c, db, extra) < 0)
		return 1;
	static const char *queries[] = {
	    "/api/alerts?limit=100",
	    "/api/alerts?function=fn-7&limit=100",
	    "/api/alerts?category=xss&limit=100",
	    "/api/alerts?severity=critical&limit=100",
	    "/api/alerts?source=sqs&limit=100",
	    "/api/alerts?function=fn-7&category=xss&severity=critical&limit=100",
	    "/api/alerts?since=1h&limit=100",
	    "/api/alerts?before=500000&limit=100",
	    "/api/alerts?request=8f2c00123456-0000",
	    "/api/alerts?q=union&limit=100",
	    "/api/alerts?q=8f2c00000123&limit=100",
	    "/api/groups",
	    "/api/stats",
	};
	CURL *h = bench_curl();
	double *lat = calloc((size_t)runs, sizeof(double));
	char url[512];
	int bad = 0;
	printf("bench-query: %lld alerts, %d runs per query, one keep-alive connection\n",
	       (long long)n, runs);
	printf("  %-70s %9s %9s\n", "query", "p50 ms", "p95 ms");
	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", c.port, queries[q]);
		bench_get(h, url); /* warm the page cache once */
		for (int r = 0; r < runs; r++) {
			uint64_t t0 = vg_mono_ns();
			if (bench_get(h, url) != 200)
				bad++;
			lat[r] = (double)(vg_mono_ns() - t0) / 1e6;
		}
		double p50 = bench_percentile(lat, (size_t)runs, 50);
		double p95 = bench_percentile(lat, (size_t)runs, 95);
		printf("  %-70s %9.2f %9.2f\n", queries[q], p50, p95);
	}
	if (bad)
		printf("  failed requests: %d\n", bad);
	curl_easy_cleanup(h);
	free(lat);
	bench_collector_stop(&c);
	if (!keep) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench-query: could not remove %s\n", dir);
	}
	curl_global_cleanup();
	return bad ? 1 : 0;
}
