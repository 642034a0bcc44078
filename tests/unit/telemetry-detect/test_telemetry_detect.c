/* The telemetry pipeline: golden batches (tests/data/telemetry/, see
 * its README) with their exact alerts, the baselines (duration, surge),
 * bounded state under floods, the secret scanner, and the listener over
 * HTTP. */
#include <check.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "tel_batch.h"
#include "tel_listener.h"
#include "tel_pipeline.h"
#include "tel_secrets.h"
#include "vg_time.h"

/* ---- a sink that keeps copies of what it gets ---- */

#define CAP_MAX 256

struct got {
	char *category, *rule, *severity, *request_id, *correlated_id, *excerpt, *summary, *salt;
	char *attrs; /* "k=v;k=v;" */
	char id[33]; /* the stable vigil.alert.id */
};

struct capture {
	pthread_mutex_t lock;
	struct got a[CAP_MAX];
	unsigned n;
	unsigned long total;
	unsigned long by_cat_secret, by_cat_error;
};

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void cap_emit(void *ctx, const struct tel_alert *a)
{
	struct capture *c = ctx;
	pthread_mutex_lock(&c->lock);
	c->total++;
	if (!strcmp(a->category, "secret_in_logs"))
		c->by_cat_secret++;
	if (!strcmp(a->category, "error"))
		c->by_cat_error++;
	ck_assert(!strcmp(a->kind, "telemetry") || !strcmp(a->category, "internal_error"));
	ck_assert_ptr_nonnull(a->summary);
	ck_assert_uint_le(a->excerpt ? strlen(a->excerpt) : 0, 128);
	if (c->n < CAP_MAX) {
		struct got *g = &c->a[c->n++];
		g->category = strdup(a->category);
		g->rule = strdup(a->rule);
		g->severity = strdup(a->severity ? a->severity : "WARN");
		g->request_id = dup_or_null(a->request_id);
		g->correlated_id = dup_or_null(a->correlated_id);
		g->excerpt = strdup(a->excerpt ? a->excerpt : "");
		g->summary = strdup(a->summary);
		g->salt = dup_or_null(a->id_salt);
		tel_alert_id(a, g->id);
		size_t len = 1;
		for (unsigned i = 0; i < a->n_attrs; i++)
			len += strlen(a->attrs[i].key) + strlen(a->attrs[i].value) + 2;
		g->attrs = calloc(1, len);
		for (unsigned i = 0; i < a->n_attrs; i++) {
			strcat(g->attrs, a->attrs[i].key);
			strcat(g->attrs, "=");
			strcat(g->attrs, a->attrs[i].value);
			strcat(g->attrs, ";");
		}
	}
	pthread_mutex_unlock(&c->lock);
}

static void cap_init(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
}

static void cap_fini(struct capture *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		struct got *g = &c->a[i];
		free(g->category), free(g->rule), free(g->severity), free(g->request_id);
		free(g->correlated_id), free(g->excerpt), free(g->summary), free(g->salt);
		free(g->attrs);
	}
	pthread_mutex_destroy(&c->lock);
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* ---- golden cases ---- */

static char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	long l = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)l + 1);
	ck_assert_uint_eq(fread(s, 1, (size_t)l, f), (size_t)l);
	s[l] = '\0';
	fclose(f);
	*n = (size_t)l;
	return s;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static uint64_t stat_of(const struct tel_stats *s, const char *k)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
	    {"batches", offsetof(struct tel_stats, batches)},
	    {"batches_bad", offsetof(struct tel_stats, batches_bad)},
	    {"batches_oversize", offsetof(struct tel_stats, batches_oversize)},
	    {"records", offsetof(struct tel_stats, records)},
	    {"records_unknown", offsetof(struct tel_stats, records_unknown)},
	    {"records_bad", offsetof(struct tel_stats, records_bad)},
	    {"alerts", offsetof(struct tel_stats, alerts)},
	    {"correlated", offsetof(struct tel_stats, correlated)},
	    {"inspections_noted", offsetof(struct tel_stats, inspections_noted)},
	    {"failures_blocked", offsetof(struct tel_stats, failures_blocked)},
	    {"alerts_deduped", offsetof(struct tel_stats, alerts_deduped)},
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(f[i].name, k))
			return *(const uint64_t *)((const char *)s + f[i].off);
	ck_abort_msg("unknown stat %s", k);
	return 0;
}

static void run_case(const char *dir, const char *name)
{
	char path[1024];
	size_t n;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *text = read_all(path, &n);
	cJSON *c = cJSON_ParseWithLength(text, n);
	ck_assert_msg(c, "%s: not JSON", name);

	struct tel_config cfg;
	tel_config_defaults(&cfg);
	const cJSON *cc = cJSON_GetObjectItemCaseSensitive(c, "config");
	if (cc)
		cfg.self_name = jstr(cc, "self_name");
	struct capture cap;
	cap_init(&cap);
	struct tel_sink sink = {cap_emit, &cap};
	struct tel_pipeline *p;
	ck_assert_int_eq(tel_pipeline_new(&cfg, &sink, &p), 0);

	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c, "notes"))
	{
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "blocked")))
			tel_pipeline_note_blocked(p, jstr(it, "request_id"));
		tel_pipeline_note_inspection(p, jstr(it, "request_id"), jstr(it, "alert_id"),
		                             jstr(it, "severity"));
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c, "batches"))
	{
		if (cJSON_IsString(it)) {
			/* Raw bytes, from an exact-size copy (no terminator to lean on). */
			size_t len = strlen(it->valuestring);
			char *raw = malloc(len ? len : 1);
			memcpy(raw, it->valuestring, len);
			tel_pipeline_feed(p, raw, len);
			free(raw);
		} else {
			char *body = cJSON_PrintUnformatted(it);
			size_t len = strlen(body);
			char *raw = malloc(len);
			memcpy(raw, body, len);
			ck_assert_int_eq(tel_pipeline_feed(p, raw, len), 0);
			free(raw);
			free(body);
		}
	}

	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(c, "expect");
	unsigned want = (unsigned)cJSON_GetArraySize(exp), i = 0;
	for (unsigned k = 0; k < cap.n && cap.n != want; k++)
		fprintf(stderr, "%s: got %s %s %s rid=%s corr=%s ex=[%s]\n", name,
		        cap.a[k].category, cap.a[k].rule, cap.a[k].severity,
		        cap.a[k].request_id ? cap.a[k].request_id : "-",
		        cap.a[k].correlated_id ? cap.a[k].correlated_id : "-", cap.a[k].excerpt);
	ck_assert_msg(cap.n == want, "%s: %u alerts, want %u", name, cap.n, want);
	cJSON_ArrayForEach(it, exp)
	{
		struct got *g = &cap.a[i++];
		ck_assert_msg(same(g->category, jstr(it, "category")), "%s #%u category %s", name,
		              i, g->category);
		ck_assert_msg(same(g->rule, jstr(it, "rule")), "%s #%u rule %s", name, i, g->rule);
		ck_assert_msg(same(g->severity, jstr(it, "severity")), "%s #%u severity %s", name,
		              i, g->severity);
		ck_assert_msg(same(g->request_id, jstr(it, "request_id")), "%s #%u request %s",
		              name, i, g->request_id ? g->request_id : "null");
		ck_assert_msg(same(g->correlated_id, jstr(it, "correlated_id")),
		              "%s #%u correlated", name, i);
		const char *has = jstr(it, "excerpt_has"), *lacks = jstr(it, "excerpt_lacks");
		if (has)
			ck_assert_msg(strstr(g->excerpt, has), "%s #%u excerpt [%s] lacks [%s]",
			              name, i, g->excerpt, has);
		if (lacks) {
			ck_assert_msg(!strstr(g->excerpt, lacks), "%s #%u excerpt [%s] has [%s]",
			              name, i, g->excerpt, lacks);
			ck_assert_msg(!strstr(g->summary, lacks), "%s #%u summary has [%s]", name,
			              i, lacks);
		}
		const cJSON *at;
		cJSON_ArrayForEach(at, cJSON_GetObjectItemCaseSensitive(it, "attr"))
		{
			char kv[256];
			snprintf(kv, sizeof(kv), "%s=%s;", at->string, at->valuestring);
			ck_assert_msg(strstr(g->attrs, kv), "%s #%u attrs [%s] lack %s", name, i,
			              g->attrs, kv);
		}
	}
	/* No duplicates: no two alerts share a stable id. */
	for (unsigned a = 0; a < cap.n; a++)
		for (unsigned b = a + 1; b < cap.n; b++)
			ck_assert_msg(strcmp(cap.a[a].id, cap.a[b].id),
			              "%s: alerts %u and %u are duplicates", name, a, b);
	struct tel_stats st;
	tel_pipeline_stats(p, &st);
	const cJSON *want_st = cJSON_GetObjectItemCaseSensitive(c, "stats");
	cJSON_ArrayForEach(it, want_st) ck_assert_msg(
	    stat_of(&st, it->string) == (uint64_t)it->valuedouble, "%s: stat %s = %llu, want %.0f",
	    name, it->string, (unsigned long long)stat_of(&st, it->string), it->valuedouble);

	tel_pipeline_free(p);
	cap_fini(&cap);
	cJSON_Delete(c);
	free(text);
}

START_TEST(golden)
{
	const char *root = getenv("VIGIL_SOURCE_ROOT");
	ck_assert_ptr_nonnull(root);
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/tests/data/telemetry", root);
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	unsigned cases = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) {
			run_case(dir, e->d_name);
			cases++;
		}
	}
	closedir(d);
	ck_assert_uint_ge(cases, 17);
}
END_TEST

/* ---- generated batches ---- */

struct gen {
	char *s;
	size_t len, cap;
	int n;
};

static void gen_add(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gen_add(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(g->s + g->len, g->cap - g->len, fmt, ap);
		va_end(ap);
		if ((size_t)k < g->cap - g->len) {
			g->len += (size_t)k;
			return;
		}
		g->cap = g->cap * 2 + (size_t)k + 64;
		g->s = realloc(g->s, g->cap);
	}
}

static void gen_rec(struct gen *g, int64_t ms, const char *type, const char *record_fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void gen_rec(struct gen *g, int64_t ms, const char *type, const char *record_fmt, ...)
{
	char rec[1024], t[32];
	va_list ap;
	va_start(ap, record_fmt);
	vsnprintf(rec, sizeof(rec), record_fmt, ap);
	va_end(ap);
	/* 2026-12-06T00:00:00Z plus ms */
	int64_t base = 1796515200000;
	int64_t x = base + ms;
	snprintf(t, sizeof(t), "%lld", (long long)x);
	(void)t;
	time_t secs = (time_t)(x / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char iso[40];
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
	gen_add(g, "%s{\"time\":\"%s.%03dZ\",\"type\":\"%s\",\"record\":%s}", g->n++ ? "," : "[",
	        iso, (int)(x % 1000), type, rec);
}

static void gen_feed(struct gen *g, struct tel_pipeline *p)
{
	gen_add(g, g->n ? "]" : "[]");
	ck_assert_int_eq(tel_pipeline_feed(p, g->s, g->len), 0);
	g->len = 0;
	g->n = 0;
}

static struct tel_pipeline *pipe_new(struct capture *cap, struct tel_sink *sink,
                                     const struct tel_config *cfg)
{
	struct tel_pipeline *p;
	cap_init(cap);
	sink->emit = cap_emit;
	sink->ctx = cap;
	ck_assert_int_eq(tel_pipeline_new(cfg, sink, &p), 0);
	return p;
}

static void invocation(struct gen *g, int64_t ms, const char *rid, double dur)
{
	gen_rec(g, ms, "platform.start", "{\"requestId\":\"%s\"}", rid);
	gen_rec(g, ms + (int64_t)dur, "platform.runtimeDone",
	        "{\"requestId\":\"%s\",\"status\":\"success\",\"metrics\":{\"durationMs\":%.3f}}",
	        rid, dur);
}

START_TEST(duration_baseline)
{
	struct capture cap;
	struct tel_sink sink;
	struct tel_pipeline *p = pipe_new(&cap, &sink, NULL);
	struct gen g = {0};
	char rid[32];
	/* Warm-up: a spike among the first invocations raises nothing. */
	for (int i = 0; i < 19; i++) {
		snprintf(rid, sizeof(rid), "warm-%d", i);
		invocation(&g, i * 60000, rid, i == 3 ? 9000.0 : 100.0 + (i % 5));
	}
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 0);
	/* Baseline steady near 100 ms: ordinary jitter stays quiet... */
	for (int i = 19; i < 60; i++) {
		snprintf(rid, sizeof(rid), "steady-%d", i);
		invocation(&g, i * 60000, rid, 95.0 + (i % 11));
	}
	invocation(&g, 61 * 60000, "slightly-slow", 140.0);
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 0);
	/* ...a spike alerts, once, on its request. */
	invocation(&g, 62 * 60000, "spike", 2500.0);
	gen_rec(
	    &g, 62 * 60000 + 2600, "platform.report",
	    "{\"requestId\":\"spike\",\"status\":\"success\",\"metrics\":{\"durationMs\":2510.0,"
	    "\"billedDurationMs\":2511,\"memorySizeMB\":128,\"maxMemoryUsedMB\":50}}");
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert_str_eq(cap.a[0].category, "duration_anomaly");
	ck_assert_str_eq(cap.a[0].request_id, "spike");
	ck_assert_str_eq(cap.a[0].severity, "WARN");
	/* A failed slow invocation is the failure's alert, not a duration one. */
	gen_rec(&g, 63 * 60000, "platform.runtimeDone",
	        "{\"requestId\":\"slow-error\",\"status\":\"error\",\"errorType\":\"Function."
	        "Unhandled\",\"metrics\":{\"durationMs\":9000}}");
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 2);
	ck_assert_str_eq(cap.a[1].category, "error");
	free(g.s);
	tel_pipeline_free(p);
	cap_fini(&cap);
}
END_TEST

START_TEST(surge)
{
	struct capture cap;
	struct tel_sink sink;
	struct tel_pipeline *p = pipe_new(&cap, &sink, NULL);
	struct gen g = {0};
	char rid[32];
	int64_t t = 0;
	/* Ten quiet buckets of 10 s with two invocations each. */
	for (int b = 0; b < 10; b++)
		for (int k = 0; k < 2; k++) {
			snprintf(rid, sizeof(rid), "q-%d-%d", b, k);
			invocation(&g, t = b * 10000 + k * 3000, rid, 20);
		}
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 0);
	/* Then 49 in one bucket: under surge_min, quiet. */
	for (int k = 0; k < 49; k++) {
		snprintf(rid, sizeof(rid), "m-%d", k);
		invocation(&g, 100000 + k * 100, rid, 20);
	}
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 0);
	/* 200 in the next bucket: one alert. */
	for (int k = 0; k < 200; k++) {
		snprintf(rid, sizeof(rid), "s-%d", k);
		invocation(&g, 110000 + k * 40, rid, 5);
	}
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert_str_eq(cap.a[0].category, "invocation_surge");
	ck_assert_ptr_null(cap.a[0].request_id);
	ck_assert_ptr_nonnull(strstr(cap.a[0].attrs, "vigil.count=50;"));
	free(g.s);
	tel_pipeline_free(p);
	cap_fini(&cap);
}
END_TEST

/* Floods: the per-request table stays at requests_max (the rest is
 * evicted, counted) and every request still gets its one alert. */
START_TEST(flood_bounded)
{
	struct capture cap;
	struct tel_sink sink;
	struct tel_config cfg;
	tel_config_defaults(&cfg);
	cfg.requests_max = 64;
	struct tel_pipeline *p = pipe_new(&cap, &sink, &cfg);
	struct gen g = {0};
	const int N = 20000;
	for (int i = 0; i < N; i++) {
		gen_rec(&g, i, "platform.runtimeDone",
		        "{\"requestId\":\"flood-%d\",\"status\":\"error\",\"errorType\":\"X\"}", i);
		gen_rec(&g, i, "platform.report",
		        "{\"requestId\":\"flood-%d\",\"status\":\"error\",\"errorType\":\"X\"}", i);
		if (i % 1000 == 999)
			gen_feed(&g, p);
	}
	struct tel_stats st;
	tel_pipeline_stats(p, &st);
	ck_assert_uint_eq(cap.by_cat_error, (unsigned long)N);
	ck_assert_uint_eq(st.requests_evicted, (uint64_t)(N - 64));
	ck_assert_uint_eq(st.alerts_deduped, (uint64_t)N);
	/* A log flood inside one request: one secret alert. */
	gen_rec(&g, N + 1, "platform.start", "{\"requestId\":\"chatty\"}");
	for (int i = 0; i < 5000; i++)
		gen_rec(&g, N + 2, "function", "\"line %d password=hunter2%d and more text\"", i,
		        i);
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.by_cat_secret, 1);
	tel_pipeline_stats(p, &st);
	ck_assert_uint_eq(st.log_records, 5000);
	free(g.s);
	tel_pipeline_free(p);
	cap_fini(&cap);
}
END_TEST

/* Hostile bytes: every golden batch cut at each length and with bytes
 * flipped goes through the pipeline without a crash (the sanitizer build
 * checks the reads) and every alert stays well formed (cap_emit). */
START_TEST(mutations)
{
	struct capture cap;
	struct tel_sink sink;
	struct tel_pipeline *p = pipe_new(&cap, &sink, NULL);
	const char *root = getenv("VIGIL_SOURCE_ROOT");
	char path[1024];
	size_t n;
	snprintf(path, sizeof(path), "%s/tests/data/telemetry/secrets.json", root);
	char *text = read_all(path, &n);
	cJSON *c = cJSON_ParseWithLength(text, n);
	char *batch = cJSON_PrintUnformatted(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "batches"), 0));
	size_t len = strlen(batch);
	unsigned seed = 1;
	for (size_t cut = 0; cut <= len; cut += 7) {
		char *b = malloc(cut ? cut : 1);
		memcpy(b, batch, cut);
		tel_pipeline_feed(p, b, cut);
		free(b);
	}
	for (int round = 0; round < 3000; round++) {
		char *b = malloc(len);
		memcpy(b, batch, len);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			b[at] = (char)(seed >> 16);
		}
		tel_pipeline_feed(p, b, len);
		free(b);
	}
	struct tel_stats st;
	tel_pipeline_stats(p, &st);
	ck_assert_uint_gt(st.batches_bad, 0);
	ck_assert_uint_gt(st.records, 0);
	free(batch);
	cJSON_Delete(c);
	free(text);
	tel_pipeline_free(p);
	cap_fini(&cap);
}
END_TEST

/* Memory per batch is that of one record: an element of too many values
 * is skipped, its neighbours still count; a batch cut short keeps the
 * whole records before the cut. */
START_TEST(batch_bounds)
{
	struct capture cap;
	struct tel_sink sink;
	struct tel_pipeline *p = pipe_new(&cap, &sink, NULL);
	struct gen g = {0};
	gen_add(&g, "[{\"type\":\"function\",\"record\":{\"message\":\"x\",\"v\":[0");
	for (int i = 0; i < TEL_BATCH_NODES_MAX; i++)
		gen_add(&g, ",%d", i);
	gen_add(&g, "]}},{\"type\":\"platform.runtimeDone\",\"record\":{\"requestId\":"
	            "\"after-big\",\"status\":\"error\"}}]");
	ck_assert_int_eq(tel_pipeline_feed(p, g.s, g.len), 0);
	struct tel_stats st;
	tel_pipeline_stats(p, &st);
	ck_assert_uint_eq(st.records_bad, 1);
	ck_assert_uint_eq(st.records, 1);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert_str_eq(cap.a[0].request_id, "after-big");
	const char *cut = "[{\"type\":\"platform.runtimeDone\",\"record\":{\"requestId\":\"before-"
	                  "cut\",\"status\":\"error\"}}, {\"type\":\"platform.runtimeDo";
	ck_assert_int_eq(tel_pipeline_feed(p, cut, strlen(cut)), -EBADMSG);
	ck_assert_uint_eq(cap.n, 2);
	ck_assert_str_eq(cap.a[1].request_id, "before-cut");
	ck_assert_int_eq(tel_pipeline_feed(p, "[] x", 4), -EBADMSG);
	ck_assert_int_eq(tel_pipeline_feed(p, " [ ] ", 5), 0);
	ck_assert_int_eq(tel_pipeline_feed(p, "[,]", 3), -EBADMSG);
	ck_assert_int_eq(tel_pipeline_feed(p, "[{}{}]", 6), -EBADMSG);
	free(g.s);
	tel_pipeline_free(p);
	cap_fini(&cap);
}
END_TEST

/* ---- the secret scanner ---- */

static enum tel_secret_kind scan1(const char *s, char *redacted, size_t n)
{
	struct tel_secret_hit h[4];
	unsigned k = tel_secrets_scan(s, strlen(s), h, 4);
	if (redacted) {
		struct vg_buf b = VG_BUF_INIT(4096);
		ck_assert_int_eq(tel_secrets_redact(&b, s, strlen(s), h, k), 0);
		snprintf(redacted, n, "%s", b.data ? b.data : "");
		vg_buf_fini(&b);
	}
	return k ? h[0].kind : TEL_SECRET_NONE;
}

START_TEST(secrets_scan)
{
	static const struct {
		const char *text;
		enum tel_secret_kind kind;
		const char *redacted; /* NULL: not checked */
	} cases[] = {
	    {"key ASIAY34FZKBOKMUTVV7A in use", TEL_SECRET_AWS_ACCESS_KEY,
	     "key ASIA[REDACTED] in use"},
	    {"XAKIAY34FZKBOKMUTVV7A", TEL_SECRET_NONE, NULL},
	    {"AKIAY34FZKBOKMUTVV7AB", TEL_SECRET_NONE, NULL},
	    {"AKIAy34fzkbokmutvv7a", TEL_SECRET_NONE, NULL},
	    {"db_password=\"p4ss word\"", TEL_SECRET_NONE, NULL},
	    {"DB_PASSWORD=Sup3rS3cret!", TEL_SECRET_PASSWORD, "DB_PASSWORD=[REDACTED]"},
	    {"{\"password\": \"abc123xyz\"}", TEL_SECRET_PASSWORD,
	     "{\"password\": \"[REDACTED]\"}"},
	    {"password=", TEL_SECRET_NONE, NULL},
	    {"password=********", TEL_SECRET_NONE, NULL},
	    {"password=${DB_PASS}", TEL_SECRET_NONE, NULL},
	    {"password: null", TEL_SECRET_NONE, NULL},
	    {"Enter your password: ", TEL_SECRET_NONE, NULL},
	    {"api_key=abcdefghijklmnop", TEL_SECRET_NONE, NULL}, /* one class: a word */
	    {"api_key=a1b2c3d4e5f6g7h8i9", TEL_SECRET_PASSWORD, "api_key=[REDACTED]"},
	    {"nextToken=AbCdEf0123456789xyz", TEL_SECRET_NONE, NULL},
	    {"author=Shakespeare", TEL_SECRET_NONE, NULL},
	    {"redis://:hunter22@cache:6379/0", TEL_SECRET_URL_PASSWORD,
	     "redis://:[REDACTED]@cache:6379/0"},
	    {"https://user@example.com/x", TEL_SECRET_NONE, NULL},
	    {"https://example.com:8443/path", TEL_SECRET_NONE, NULL},
	    {"mongodb+srv://admin:Xy9_pw@cluster0.mongodb.net", TEL_SECRET_URL_PASSWORD, NULL},
	    {"Authorization: bearer abcDEF0123456789ghiJKL", TEL_SECRET_BEARER,
	     "Authorization: bearer [REDACTED]"},
	    {"Authorization: Basic dXNlcjpodW50ZXIy", TEL_SECRET_BASIC_AUTH,
	     "Authorization: Basic [REDACTED]"},
	    {"auth basic YWRtaW46cDRzcw== ok", TEL_SECRET_BASIC_AUTH, "auth basic [REDACTED] ok"},
	    {"basic bm9jb2xvbmhlcmU=", TEL_SECRET_NONE, NULL}, /* no ':' inside */
	    {"a basic example of this", TEL_SECRET_NONE, NULL},
	    {"secret=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", TEL_SECRET_PASSWORD,
	     "secret=[REDACTED]"},
	    {"SecretAccessKey "
	     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.",
	     TEL_SECRET_AWS_SECRET_KEY, "SecretAccessKey [REDACTED]."},
	    {"sha 3f786850e387550fdab836ed7e6dc881de23001b secret", TEL_SECRET_NONE, NULL},
	    {"the bearer of bad news", TEL_SECRET_NONE, NULL},
	    {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0x.c2lnbmF0dXJlMTIz", TEL_SECRET_JWT, "[REDACTED]"},
	    {"eyJhbGciOiJub25lIn0 is just base64", TEL_SECRET_NONE, NULL},
	    {"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY----- tail",
	     TEL_SECRET_PRIVATE_KEY, "[REDACTED] tail"},
	    {"-----BEGIN PUBLIC KEY-----", TEL_SECRET_NONE, NULL},
	    {"token ghp_0123456789abcdefghijABCDEFGHIJ0123 leaked", TEL_SECRET_API_TOKEN,
	     "token [REDACTED] leaked"},
	    {"xoxb-123456789012-abcdefABCDEF", TEL_SECRET_API_TOKEN, NULL},
	    {"plain text with no secrets, just a=b and c: d", TEL_SECRET_NONE, NULL},
	    {"", TEL_SECRET_NONE, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char red[512];
		enum tel_secret_kind k = scan1(cases[i].text, red, sizeof(red));
		ck_assert_msg(k == cases[i].kind, "[%s]: %s, want %s", cases[i].text,
		              tel_secret_kind_name(k), tel_secret_kind_name(cases[i].kind));
		if (cases[i].redacted)
			ck_assert_msg(!strcmp(red, cases[i].redacted),
			              "[%s] redacted [%s], want [%s]", cases[i].text, red,
			              cases[i].redacted);
		/* What redaction leaves holds no secret. */
		if (k != TEL_SECRET_NONE)
			ck_assert_msg(scan1(red, NULL, 0) == TEL_SECRET_NONE, "[%s] still has one",
			              red);
	}
	/* Length-counted: nothing is read past n. */
	const char *s = "AKIAY34FZKBOKMUTVV7A";
	struct tel_secret_hit h;
	ck_assert_uint_eq(tel_secrets_scan(s, 19, &h, 1), 0);
	ck_assert_uint_eq(tel_secrets_scan(s, 20, &h, 1), 1);
	/* Several hits, in order, disjoint. */
	const char *two = "a=1 password=abcd1234 then AKIAY34FZKBOKMUTVV7A";
	struct tel_secret_hit hh[4];
	ck_assert_uint_eq(tel_secrets_scan(two, strlen(two), hh, 4), 2);
	ck_assert_int_eq(hh[0].kind, TEL_SECRET_PASSWORD);
	ck_assert_int_eq(hh[1].kind, TEL_SECRET_AWS_ACCESS_KEY);
	ck_assert_uint_lt(hh[0].off + hh[0].len, hh[1].off + 1);
}
END_TEST

START_TEST(secrets_pair)
{
	static const struct {
		const char *name, *value;
		enum tel_secret_kind kind;
	} cases[] = {
	    {"DB_PASSWORD", "hunter22", TEL_SECRET_PASSWORD},
	    {"STRIPE_SECRET_KEY", "sk_live_0123456789abcdefABCD", TEL_SECRET_PASSWORD},
	    {"GITHUB_TOKEN", "ghp_0123456789abcdefghijABCDEFGHIJ0123", TEL_SECRET_PASSWORD},
	    {"VIGIL_COLLECTOR_TOKEN", "t0k3n-for-the-collector", TEL_SECRET_PASSWORD},
	    {"DATABASE_URL", "postgres://app:pw1234@db:5432/x", TEL_SECRET_URL_PASSWORD},
	    {"CONN", "Server=db;User Id=sa;Password=Pa55word;", TEL_SECRET_PASSWORD},
	    {"SIGNING", "-----BEGIN PRIVATE KEY-----MIIE", TEL_SECRET_PRIVATE_KEY},
	    {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", TEL_SECRET_NONE},
	    {"AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH",
	     TEL_SECRET_NONE},
	    {"DB_PASSWORD", "", TEL_SECRET_NONE},
	    {"DB_PASSWORD_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:db", TEL_SECRET_NONE},
	    {"TOKEN_TTL", "3600", TEL_SECRET_NONE},
	    {"LOG_LEVEL", "debug", TEL_SECRET_NONE},
	    {"API_TOKEN", "changeme", TEL_SECRET_NONE},
	    {"PAGE_TOKEN", "AbCdEf0123456789xyzAbCd", TEL_SECRET_NONE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tel_secret_hit h;
		enum tel_secret_kind k =
		    tel_secrets_scan_pair(cases[i].name, strlen(cases[i].name), cases[i].value,
		                          strlen(cases[i].value), &h);
		ck_assert_msg(k == cases[i].kind, "%s=%s: %s, want %s", cases[i].name,
		              cases[i].value, tel_secret_kind_name(k),
		              tel_secret_kind_name(cases[i].kind));
		if (k != TEL_SECRET_NONE)
			ck_assert_uint_le(h.off + h.len, strlen(cases[i].value));
	}
}
END_TEST

START_TEST(time_parse)
{
	ck_assert_int_eq(tel_time_parse("1970-01-01T00:00:00.000Z"), 0);
	ck_assert_int_eq(tel_time_parse("2022-10-21T14:05:03.165Z"), 1666361103165LL);
	ck_assert_int_eq(tel_time_parse("2022-10-21T14:05:03Z"), 1666361103000LL);
	ck_assert_int_eq(tel_time_parse("2022-10-21T16:05:03.165+02:00"), 1666361103165LL);
	ck_assert_int_eq(tel_time_parse("2022-10-21T14:05:03.165123456Z"), 1666361103165LL);
	ck_assert_int_eq(tel_time_parse("2022-13-21T14:05:03.165Z"), -1);
	ck_assert_int_eq(tel_time_parse("2022-10-21 14:05:03Z"), -1);
	ck_assert_int_eq(tel_time_parse("2022-10-21T14:05:03.Z"), -1);
	ck_assert_int_eq(tel_time_parse(""), -1);
	ck_assert_int_eq(tel_time_parse(NULL), -1);
}
END_TEST

START_TEST(config_bounds)
{
	struct tel_config c;
	const char *what;
	tel_config_defaults(&c);
	ck_assert_int_eq(tel_config_check(&c, &what), 0);
	ck_assert_ptr_null(what);
	c.memory_share = 0.2;
	ck_assert_int_eq(tel_config_check(&c, &what), -EINVAL);
	ck_assert_str_eq(what, "memory_share");
	tel_config_defaults(&c);
	c.duration_warmup = c.duration_window + 1;
	ck_assert_int_eq(tel_config_check(&c, &what), -EINVAL);
	ck_assert_str_eq(what, "duration_warmup");
	tel_config_defaults(&c);
	c.requests_max = 1u << 20;
	struct tel_pipeline *p = NULL;
	ck_assert_int_eq(tel_pipeline_new(&c, NULL, &p), -EINVAL);
	ck_assert_ptr_null(p);
}
END_TEST

/* ---- the listener over HTTP ---- */

START_TEST(listener_http)
{
	struct capture cap;
	struct tel_sink sink;
	struct tel_config cfg;
	tel_config_defaults(&cfg);
	cfg.body_max = 1u << 20;
	struct tel_pipeline *p = pipe_new(&cap, &sink, &cfg);
	struct tel_listener *l;
	ck_assert_int_eq(tel_listener_new("127.0.0.1", 0, p, &l), 0);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/telemetry", tel_listener_port(l));
	const char *hdr[] = {"Content-Type: application/json", NULL};
	const char *batch =
	    "[{\"time\":\"2026-12-06T03:00:00.000Z\",\"type\":\"platform.runtimeDone\","
	    "\"record\":{\"requestId\":\"http-1\",\"status\":\"error\"}}]";
	struct th_resp r;
	ck_assert_int_eq(th_http("POST", url, hdr, batch, strlen(batch), 5000, &r), 0);
	ck_assert_int_eq(r.status, 200);
	th_resp_fini(&r);
	/* The detectors run after the answer: wait (bounded) for the alert. */
	for (int i = 0; i < 200; i++) {
		struct tel_stats st;
		tel_pipeline_stats(p, &st);
		if (st.alerts)
			break;
		vg_sleep_ms(10);
	}
	pthread_mutex_lock(&cap.lock);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert_str_eq(cap.a[0].request_id, "http-1");
	pthread_mutex_unlock(&cap.lock);

	/* Too large: 413, counted, nothing parsed. */
	size_t big = (1u << 20) + 4096;
	char *body = malloc(big);
	memset(body, ' ', big);
	body[0] = '[';
	body[big - 1] = ']';
	ck_assert_int_eq(th_http("POST", url, hdr, body, big, 5000, &r), 0);
	ck_assert_int_eq(r.status, 413);
	th_resp_fini(&r);
	free(body);
	/* Malformed: still 200 (Lambda must not retry it), counted bad. */
	ck_assert_int_eq(th_http("POST", url, hdr, "[{", 2, 5000, &r), 0);
	ck_assert_int_eq(r.status, 200);
	th_resp_fini(&r);
	ck_assert_int_eq(th_http("GET", url, NULL, NULL, 0, 5000, &r), 0);
	ck_assert_int_eq(r.status, 405);
	th_resp_fini(&r);
	struct tel_stats st;
	for (int i = 0; i < 200; i++) {
		tel_pipeline_stats(p, &st);
		if (st.batches_bad)
			break;
		vg_sleep_ms(10);
	}
	ck_assert_uint_eq(st.batches_oversize, 1);
	pthread_mutex_lock(&cap.lock);
	ck_assert_uint_eq(cap.n, 2);
	ck_assert_str_eq(cap.a[1].category, "internal_error");
	ck_assert_str_eq(cap.a[1].rule, "tel.batch_oversize");
	ck_assert_ptr_nonnull(strstr(cap.a[1].attrs, "vigil.count=1;"));
	pthread_mutex_unlock(&cap.lock);
	ck_assert_uint_eq(st.batches_bad, 1);
	ck_assert_uint_eq(st.batches, 3);
	tel_listener_free(l);
	tel_pipeline_free(p);
	cap_fini(&cap);
}
END_TEST

/* ---- redaction: an excerpt never carries a secret in clear ---- */

/* Posts one log record (a string, JSON-encoded here, or an object given as
 * JSON text) for request rid and returns the secret_in_logs alert, NULL
 * when none came. */
static const struct got *log_alert(struct capture *cap, struct tel_pipeline *p, const char *type,
                                   const char *text, const char *object)
{
	unsigned before = cap->n;
	cJSON *b = cJSON_CreateArray(), *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "time", "2026-12-06T03:11:00.010Z");
	cJSON_AddStringToObject(e, "type", type);
	if (object)
		cJSON_AddItemToObject(e, "record", cJSON_Parse(object));
	else
		cJSON_AddStringToObject(e, "record", text);
	cJSON_AddItemToArray(b, e);
	char *body = cJSON_PrintUnformatted(b);
	ck_assert_int_eq(tel_pipeline_feed(p, body, strlen(body)), 0);
	free(body);
	cJSON_Delete(b);
	for (unsigned i = before; i < cap->n; i++)
		if (!strcmp(cap->a[i].category, "secret_in_logs"))
			return &cap->a[i];
	return NULL;
}

/* No 8-byte piece of secret appears in the excerpt. */
static void lacks_secret(const char *ex, const char *secret)
{
	size_t n = strlen(secret);
	for (size_t i = 0; i + 8 <= n; i++)
		ck_assert_msg(!memmem(ex, strlen(ex), secret + i, 8),
		              "excerpt [%s] shows [%.8s] of a secret", ex, secret + i);
}

#define DEMO_AKID   "AKIAIOSFODNN7EXAMPLE"
#define DEMO_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define SESSION                                                                                    \
	"IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDn1x3TxR8kq9vM2mLwq0fQe0"           \
	"3w7hN5n0ZrYbq8uW1nJwIgQ0b8JYv3x2Rk5m9s6X1oT4pQ7Lz2Nw8e5KcVd0aFb4Uq8AII0v//////////"       \
	"8BEAAaDDEyMzQ1Njc4OTAxMiIMp4Rj7N2xV9bQk3aFKrEB"

START_TEST(redaction_complete)
{
	struct capture cap;
	struct tel_sink sink;
	struct tel_pipeline *p = pipe_new(&cap, &sink, NULL);
	const struct got *g;

	/* The demo's line: the key id and the secret access key after it. */
	g = log_alert(&cap, p, "function", "debug: signing with " DEMO_AKID " / " DEMO_SECRET,
	              NULL);
	ck_assert_ptr_nonnull(g);
	lacks_secret(g->excerpt, DEMO_SECRET);
	lacks_secret(g->excerpt, DEMO_AKID);
	ck_assert_str_eq(g->rule, "tel.secret.aws_access_key");
	ck_assert_ptr_nonnull(
	    strstr(g->attrs, "vigil.secret.kinds=aws_access_key,aws_secret_key;"));
	ck_assert_ptr_nonnull(strstr(g->summary, "aws_secret_key"));

	/* Several kinds on one line: each redacted, each named. */
	tel_pipeline_free(p);
	cap_fini(&cap);
	p = pipe_new(&cap, &sink, NULL);
	const char *many[] = {"Tr0ub4dor&3xyz",
	                      "hunter22hunter22",
	                      DEMO_SECRET,
	                      SESSION,
	                      "ghp_0123456789abcdefghijABCDEFGHIJ0123",
	                      "9f8e7d6c5b4a39281706fF0E1D2C3B4A"};
	char line[2048];
	snprintf(line, sizeof(line),
	         "cfg password=%s url=https://u:%s@h/x aws_secret_access_key %s "
	         "aws_session_token=%s gh %s Authorization: Bearer %s",
	         many[0], many[1], many[2], many[3], many[4], many[5]);
	g = log_alert(&cap, p, "extension", line, NULL);
	ck_assert_ptr_nonnull(g);
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		lacks_secret(g->excerpt, many[i]);
	ck_assert_str_eq(g->attrs, "vigil.secret.kinds=bearer,url_password,api_token,password,"
	                           "aws_secret_key;");
	/* The session token, standing alone by its grammar. */
	g = log_alert(&cap, p, "extension", "creds " SESSION " expire", NULL);
	ck_assert_ptr_nonnull(g);
	lacks_secret(g->excerpt, SESSION);
	ck_assert_str_eq(g->rule, "tel.secret.aws_session_token");

	/* Secrets around the excerpt's 128-byte cut, at every offset: the cut
	 * never leaves a piece of one in clear. */
	for (int pad = 0; pad < 140; pad += 3) {
		tel_pipeline_free(p);
		cap_fini(&cap);
		p = pipe_new(&cap, &sink, NULL);
		snprintf(line, sizeof(line), "k " DEMO_AKID " %*s x secret=%s y " DEMO_AKID "/%s",
		         pad, "", many[1], DEMO_SECRET);
		g = log_alert(&cap, p, "function", line, NULL);
		ck_assert_ptr_nonnull(g);
		ck_assert_uint_le(strlen(g->excerpt), 128);
		lacks_secret(g->excerpt, many[1]);
		lacks_secret(g->excerpt, DEMO_SECRET);
		lacks_secret(g->excerpt, DEMO_AKID);
	}

	/* A line past the scanner's reach: a secret cut by it shows nothing. */
	for (size_t back = 30; back <= 60; back += 10) {
		tel_pipeline_free(p);
		cap_fini(&cap);
		p = pipe_new(&cap, &sink, NULL);
		size_t n = TEL_SECRETS_SCAN_MAX + 4096;
		char *huge = malloc(n + 1);
		memset(huge, 'x', n);
		for (size_t i = 64; i < n; i += 64)
			huge[i] = ' ';
		memcpy(huge + TEL_SECRETS_SCAN_MAX - 90, " pwd=Zq1Zq1Zq1 ", 15);
		memcpy(huge + TEL_SECRETS_SCAN_MAX - back,
		       " ghp_0123456789abcdefghijABCDEFGHIJ0123 ", 40);
		huge[n] = '\0';
		g = log_alert(&cap, p, "function", huge, NULL);
		ck_assert_ptr_nonnull(g);
		ck_assert_ptr_null(strstr(g->excerpt, "Zq1"));
		ck_assert_ptr_null(strstr(g->excerpt, "ghp_"));
		ck_assert_ptr_null(strstr(g->excerpt, "01234"));
		free(huge);
	}

	/* More secrets than one round of the scanner holds. */
	tel_pipeline_free(p);
	cap_fini(&cap);
	p = pipe_new(&cap, &sink, NULL);
	struct gen big = {0};
	for (int i = 0; i < 40; i++)
		gen_add(&big, "p%d_password=Zq%dXw%dVv ", i, i * 7919, i * 104729);
	gen_add(&big, "%s", "");
	g = log_alert(&cap, p, "function", big.s, NULL);
	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_null(strstr(g->excerpt, "Zq"));
	ck_assert_ptr_nonnull(strstr(g->excerpt, "[REDACTED]"));
	free(big.s);

	/* A value longer than the scanner judges is redacted whole (a fresh
	 * pipeline: the window has had its password alert). */
	tel_pipeline_free(p);
	cap_fini(&cap);
	p = pipe_new(&cap, &sink, NULL);
	char longv[1200];
	memset(longv, 'a', sizeof(longv));
	memcpy(longv, "client_secret=Q1", 16);
	for (size_t i = 16; i < sizeof(longv) - 1; i++)
		longv[i] = "AbC9xYz7"[i % 8];
	longv[sizeof(longv) - 1] = '\0';
	g = log_alert(&cap, p, "extension", longv, NULL);
	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_null(strstr(g->excerpt, "AbC9"));

	/* JSON-escaped inside a log line, and members of a JSON log record
	 * (the role's own key, logged, is a leak). */
	tel_pipeline_free(p);
	cap_fini(&cap);
	p = pipe_new(&cap, &sink, NULL);
	g = log_alert(&cap, p, "function",
	              "event {\\\"aws_secret_access_key\\\":\\\"wJalrXUtnFEMI\\/K7MDENG\\/"
	              "bPxRfiCYEXAMPLEKEY\\\",\\\"password\\\":\\\"s3cr3t-Pw\\\"} end",
	              NULL);
	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_null(strstr(g->excerpt, "wJalr"));
	ck_assert_ptr_null(strstr(g->excerpt, "bPxRfiCY"));
	ck_assert_ptr_null(strstr(g->excerpt, "s3cr3t"));
	g = log_alert(&cap, p, "function", NULL,
	              "{\"level\":\"INFO\",\"message\":\"env dump\",\"env\":{\"AWS_ACCESS_KEY_ID\":"
	              "\"" DEMO_AKID "\",\"AWS_SECRET_ACCESS_KEY\":\"" DEMO_SECRET "\","
	              "\"note\":\"key " DEMO_AKID " then " DEMO_SECRET "\"}}");
	ck_assert_ptr_nonnull(g);
	lacks_secret(g->excerpt, DEMO_SECRET);
	lacks_secret(g->excerpt, DEMO_AKID);
	ck_assert_ptr_nonnull(strstr(g->attrs, "aws_access_key"));
	ck_assert_ptr_nonnull(strstr(g->attrs, "password"));

	/* Not secrets: a hex digest, a 40-character word run without context. */
	tel_pipeline_free(p);
	cap_fini(&cap);
	p = pipe_new(&cap, &sink, NULL);
	ck_assert_ptr_null(log_alert(
	    &cap, p, "function", "commit 3f786850e387550fdab836ed7e6dc881de23001b secret", NULL));
	ck_assert_ptr_null(
	    log_alert(&cap, p, "function", "id wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL));
	ck_assert_uint_eq(cap.n, 0);
	tel_pipeline_free(p);
	cap_fini(&cap);
}
END_TEST

/* Later logsDropped records of a window are reported without waiting for
 * another drop: when a later record shows the window ended, or at the
 * SHUTDOWN flush; nothing is reported twice. */
/* What tel_pipeline_on_done saw. */
struct done_log {
	unsigned n;
	char last[64];
};

static void note_done(void *ctx, const char *request_id)
{
	struct done_log *l = ctx;
	l->n++;
	snprintf(l->last, sizeof(l->last), "%s", request_id);
}

/* The platform's word that an invocation is over reaches the extension's
 * rhythm: runtimeDone and report name the request; start and records
 * without a request do not. */
START_TEST(done_reported)
{
	struct capture cap;
	struct tel_sink sink;
	struct tel_pipeline *p = pipe_new(&cap, &sink, NULL);
	struct done_log l = {0};
	struct gen g = {0};

	tel_pipeline_on_done(p, note_done, &l);
	gen_rec(&g, 0, "platform.start", "{\"requestId\":\"r-1\"}");
	gen_rec(&g, 1, "platform.logsDropped",
	        "{\"droppedBytes\":1,\"droppedRecords\":1,\"reason\":\"x\"}");
	gen_feed(&g, p);
	ck_assert_uint_eq(l.n, 0);
	gen_rec(&g, 2, "platform.report",
	        "{\"requestId\":\"r-1\",\"status\":\"failure\",\"errorType\":"
	        "\"Extension.Crash\",\"metrics\":{\"durationMs\":2.0}}");
	gen_feed(&g, p);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.last, "r-1");
	invocation(&g, 10, "r-2", 5);
	gen_feed(&g, p);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.last, "r-2");
	tel_pipeline_on_done(p, NULL, NULL);
	invocation(&g, 20, "r-3", 5);
	gen_feed(&g, p);
	ck_assert_uint_eq(l.n, 2);
	free(g.s);
	tel_pipeline_free(p);
	cap_fini(&cap);
}
END_TEST

START_TEST(drops_flushed)
{
	struct capture cap;
	struct tel_sink sink;
	struct tel_pipeline *p = pipe_new(&cap, &sink, NULL);
	struct gen g = {0};
#define DROP "{\"droppedBytes\":%d,\"droppedRecords\":%d,\"reason\":\"behind\"}"

	/* Window 0: one alert, two held; a record of window 1 ends it. */
	gen_rec(&g, 1000, "platform.logsDropped", DROP, 100, 1);
	gen_rec(&g, 2000, "platform.logsDropped", DROP, 200, 2);
	gen_rec(&g, 3000, "platform.logsDropped", DROP, 300, 3);
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 1);
	ck_assert_str_eq(cap.a[0].attrs, "vigil.dropped.records=1;vigil.dropped.bytes=100;");
	invocation(&g, 61000, "req-after", 5);
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 2);
	ck_assert_str_eq(cap.a[1].category, "logs_dropped");
	ck_assert_str_eq(cap.a[1].attrs, "vigil.dropped.records=5;vigil.dropped.bytes=500;");
	ck_assert_str_ne(cap.a[0].id, cap.a[1].id);

	/* Window 2: one alert, one held, then SHUTDOWN: the flush reports it
	 * and a second flush has nothing to say. */
	gen_rec(&g, 121000, "platform.logsDropped", DROP, 10, 7);
	gen_rec(&g, 122000, "platform.logsDropped", DROP, 20, 8);
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 3);
	tel_pipeline_tick(p); /* the clock is years past 2026-12-06T00:02 */
	ck_assert_uint_eq(cap.n, 4);
	ck_assert_str_eq(cap.a[3].attrs, "vigil.dropped.records=8;vigil.dropped.bytes=20;");
	tel_pipeline_flush(p);
	ck_assert_uint_eq(cap.n, 4);
	gen_rec(&g, 123000, "platform.logsDropped", DROP, 30, 9);
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 4);
	tel_pipeline_flush(p);
	ck_assert_uint_eq(cap.n, 5);
	ck_assert_str_eq(cap.a[4].attrs, "vigil.dropped.records=9;vigil.dropped.bytes=30;");
	ck_assert_str_ne(cap.a[3].id, cap.a[4].id);
	tel_pipeline_flush(p);
	ck_assert_uint_eq(cap.n, 5);

	/* Refused batches after their window's health alert: the flush too. */
	tel_pipeline_note_oversize(p);
	tel_pipeline_note_oversize(p);
	ck_assert_uint_eq(cap.n, 6);
	tel_pipeline_flush(p);
	ck_assert_uint_eq(cap.n, 7);
	ck_assert_str_eq(cap.a[6].rule, "tel.batch_oversize");
	ck_assert_str_eq(cap.a[6].attrs, "vigil.count=1;");
	free(g.s);
	tel_pipeline_free(p);
	cap_fini(&cap);
#undef DROP
}
END_TEST

/* Log text after an escaped NUL is scanned: secrets, out-of-memory lines;
 * an escaped backslash before u0000 is no NUL. */
START_TEST(nul_in_logs)
{
	struct capture cap;
	struct tel_sink sink;
	struct tel_pipeline *p = pipe_new(&cap, &sink, NULL);
	struct gen g = {0};

	gen_rec(&g, 1000, "platform.start", "{\"requestId\":\"req-nul-1\"}");
	gen_rec(&g, 1001, "function", "\"prefix\\u0000 then password=Hunter2Hunter2 x\"");
	gen_rec(&g, 2000, "platform.start", "{\"requestId\":\"req-nul-2\"}");
	gen_rec(&g, 2001, "function",
	        "{\"requestId\":\"req-nul-2\",\"message\":\"a\\u0000b "
	        "java.lang.OutOfMemoryError: Java heap space\"}");
	gen_rec(&g, 3000, "platform.start", "{\"requestId\":\"req-nul-3\"}");
	gen_rec(&g, 3001, "function", "\"path C:\\\\u0000 AKIAY34FZKBOKMUTVV7A\"");
	gen_feed(&g, p);
	ck_assert_uint_eq(cap.n, 3);
	ck_assert_str_eq(cap.a[0].rule, "tel.secret.password");
	ck_assert_str_eq(cap.a[0].request_id, "req-nul-1");
	ck_assert_ptr_nonnull(strstr(cap.a[0].excerpt, "prefix  then password=[REDACTED] x"));
	ck_assert_str_eq(cap.a[1].rule, "tel.oom.log");
	ck_assert_str_eq(cap.a[1].request_id, "req-nul-2");
	ck_assert_str_eq(cap.a[2].rule, "tel.secret.aws_access_key");
	ck_assert_ptr_nonnull(strstr(cap.a[2].excerpt, "C:\\u0000 AKIA[REDACTED]"));
	free(g.s);
	tel_pipeline_free(p);
	cap_fini(&cap);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("telemetry-detect");
	TCase *t = tcase_create("all");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, golden);
	tcase_add_test(t, duration_baseline);
	tcase_add_test(t, surge);
	tcase_add_test(t, flood_bounded);
	tcase_add_test(t, mutations);
	tcase_add_test(t, batch_bounds);
	tcase_add_test(t, secrets_scan);
	tcase_add_test(t, secrets_pair);
	tcase_add_test(t, time_parse);
	tcase_add_test(t, config_bounds);
	tcase_add_test(t, listener_http);
	tcase_add_test(t, redaction_complete);
	tcase_add_test(t, drops_flushed);
	tcase_add_test(t, done_reported);
	tcase_add_test(t, nul_in_logs);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
