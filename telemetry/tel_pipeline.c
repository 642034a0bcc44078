#include "tel_pipeline.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tel_detect.h"
#include "vg_time.h"

#define CORR_MAX 256 /* inspection notes remembered (the oldest go first) */
#define RID_MAX  64

struct corr_note {
	char request_id[RID_MAX];
	char alert_id[33];
	char severity[16];
	int rank;
	bool blocked; /* Vigil refused the event itself */
};

struct tel_pipeline {
	struct tel_config cfg;
	char self_name[128];
	struct tel_sink sink;
	void (*done)(void *ctx, const char *request_id); /* tel_pipeline_on_done */
	void *done_ctx;

	pthread_mutex_t lock; /* the detectors and the stats below */
	struct tel_detect *detect;
	struct tel_batch_stats bstats;
	uint64_t batches, batches_bad, batches_oversize;
	int64_t oversize_window;   /* of the last health alert about them */
	uint64_t oversize_held;    /* refused since that alert */
	unsigned oversize_flushes; /* of oversize_window's held counts */

	pthread_mutex_t corr_lock; /* the notes only */
	struct corr_note notes[CORR_MAX];
	unsigned notes_at;
	uint64_t noted;
};

void tel_config_defaults(struct tel_config *c)
{
	*c = (struct tel_config){
	    .memory_share = 0.9,
	    .duration_warmup = 20,
	    .duration_window = 100,
	    .duration_k = 6.0,
	    .duration_min_ms = 50,
	    .surge_bucket_s = 10,
	    .surge_window = 30,
	    .surge_warmup = 6,
	    .surge_ratio = 10,
	    .surge_min = 50,
	    .requests_max = 1024,
	    .alert_window_s = 60,
	    .scan_secrets = true,
	    .body_max = TEL_BODY_MAX_DEFAULT,
	    .self_name = NULL,
	};
}

int tel_config_check(const struct tel_config *c, const char **what)
{
	const char *bad = NULL;
#define OUTSIDE(v, lo, hi) (!((v) >= (lo) && (v) <= (hi)))
	if (OUTSIDE(c->memory_share, TEL_MEMORY_SHARE_MIN, TEL_MEMORY_SHARE_MAX))
		bad = "memory_share";
	else if (OUTSIDE(c->duration_window, TEL_DURATION_WINDOW_MIN, TEL_DURATION_WINDOW_MAX))
		bad = "duration_window";
	else if (OUTSIDE(c->duration_warmup, TEL_DURATION_WARMUP_MIN, c->duration_window))
		bad = "duration_warmup";
	else if (OUTSIDE(c->duration_k, TEL_DURATION_K_MIN, TEL_DURATION_K_MAX))
		bad = "duration_k";
	else if (OUTSIDE(c->duration_min_ms, 0, TEL_DURATION_MIN_MS_MAX))
		bad = "duration_min_ms";
	else if (OUTSIDE(c->surge_bucket_s, TEL_SURGE_BUCKET_S_MIN, TEL_SURGE_BUCKET_S_MAX))
		bad = "surge_bucket_s";
	else if (OUTSIDE(c->surge_window, TEL_SURGE_WINDOW_MIN, TEL_SURGE_WINDOW_MAX))
		bad = "surge_window";
	else if (OUTSIDE(c->surge_warmup, TEL_SURGE_WARMUP_MIN, c->surge_window))
		bad = "surge_warmup";
	else if (OUTSIDE(c->surge_ratio, TEL_SURGE_RATIO_MIN, TEL_SURGE_RATIO_MAX))
		bad = "surge_ratio";
	else if (OUTSIDE(c->surge_min, TEL_SURGE_MIN_MIN, TEL_SURGE_MIN_MAX))
		bad = "surge_min";
	else if (OUTSIDE(c->requests_max, TEL_REQUESTS_MAX_MIN, TEL_REQUESTS_MAX_MAX))
		bad = "requests_max";
	else if (OUTSIDE(c->alert_window_s, TEL_ALERT_WINDOW_S_MIN, TEL_ALERT_WINDOW_S_MAX))
		bad = "alert_window_s";
	else if (OUTSIDE(c->body_max, TEL_BODY_MAX_MIN, TEL_BODY_MAX_MAX))
		bad = "body_max";
#undef OUTSIDE
	if (what)
		*what = bad;
	return bad ? -EINVAL : 0;
}

static int corr_lookup(void *ctx, const char *request_id, char alert_id[33], char severity[16],
                       bool *blocked)
{
	struct tel_pipeline *p = ctx;
	int found = 0;
	pthread_mutex_lock(&p->corr_lock);
	for (unsigned i = 0; i < CORR_MAX; i++) {
		struct corr_note *n = &p->notes[i];
		if (n->request_id[0] && !strncmp(n->request_id, request_id, RID_MAX - 1)) {
			memcpy(alert_id, n->alert_id, 33);
			memcpy(severity, n->severity, 16);
			*blocked = n->blocked;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&p->corr_lock);
	return found;
}

/* The note of request_id, made (forgetting the oldest) when absent. Under
 * corr_lock. */
static struct corr_note *note_of(struct tel_pipeline *p, const char *request_id, bool *fresh)
{
	for (unsigned i = 0; i < CORR_MAX; i++)
		if (!strncmp(p->notes[i].request_id, request_id, RID_MAX - 1)) {
			*fresh = false;
			return &p->notes[i];
		}
	struct corr_note *n = &p->notes[p->notes_at];
	p->notes_at = (p->notes_at + 1) % CORR_MAX;
	memset(n, 0, sizeof(*n));
	snprintf(n->request_id, sizeof(n->request_id), "%s", request_id);
	*fresh = true;
	return n;
}

void tel_pipeline_note_inspection(struct tel_pipeline *p, const char *request_id,
                                  const char *alert_id, const char *severity)
{
	if (!p || !request_id || !*request_id || !alert_id || !*alert_id)
		return;
	int rank = tel_severity_rank(severity);
	bool fresh;
	pthread_mutex_lock(&p->corr_lock);
	p->noted++;
	struct corr_note *n = note_of(p, request_id, &fresh);
	if (fresh || !n->alert_id[0] || n->rank < rank) {
		snprintf(n->alert_id, sizeof(n->alert_id), "%s", alert_id);
		snprintf(n->severity, sizeof(n->severity), "%s", severity ? severity : "");
		n->rank = rank;
	}
	pthread_mutex_unlock(&p->corr_lock);
}

void tel_pipeline_note_blocked(struct tel_pipeline *p, const char *request_id)
{
	if (!p || !request_id || !*request_id)
		return;
	bool fresh;
	pthread_mutex_lock(&p->corr_lock);
	note_of(p, request_id, &fresh)->blocked = true;
	pthread_mutex_unlock(&p->corr_lock);
}

int tel_pipeline_new(const struct tel_config *cfg, const struct tel_sink *sink,
                     struct tel_pipeline **out)
{
	struct tel_config def;
	if (!cfg) {
		tel_config_defaults(&def);
		cfg = &def;
	}
	if (tel_config_check(cfg, NULL))
		return -EINVAL;
	struct tel_pipeline *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	if (cfg->self_name) {
		snprintf(p->self_name, sizeof(p->self_name), "%s", cfg->self_name);
		p->cfg.self_name = p->self_name;
	}
	if (sink)
		p->sink = *sink;
	p->oversize_window = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->corr_lock, NULL);
	int r = tel_detect_new(&p->cfg, &p->sink, corr_lookup, p, &p->detect);
	if (r < 0) {
		tel_pipeline_free(p);
		return r;
	}
	*out = p;
	return 0;
}

void tel_pipeline_free(struct tel_pipeline *p)
{
	if (!p)
		return;
	tel_detect_free(p->detect);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->corr_lock);
	free(p);
}

const struct tel_config *tel_pipeline_config(const struct tel_pipeline *p)
{
	return &p->cfg;
}

void tel_pipeline_on_done(struct tel_pipeline *p, void (*done)(void *ctx, const char *request_id),
                          void *ctx)
{
	p->done = done;
	p->done_ctx = ctx;
}

static void on_record(void *ctx, const struct tel_record *r)
{
	struct tel_pipeline *p = ctx;
	tel_detect_record(p->detect, r);
	if (p->done && r->request_id && r->request_id[0] &&
	    (r->type == TEL_REC_RUNTIME_DONE || r->type == TEL_REC_REPORT))
		p->done(p->done_ctx, r->request_id);
}

int tel_pipeline_feed(struct tel_pipeline *p, const char *body, size_t n)
{
	pthread_mutex_lock(&p->lock);
	p->batches++;
	int r = tel_batch_parse(body, n, on_record, p, &p->bstats);
	if (r == -EBADMSG)
		p->batches_bad++;
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* Refused batches counted after their window's health alert. Under lock. */
/* The health alert for refused batches: the first of a window says so at
 * once ("first"), later ones of the window are counted and said when the
 * window ends. The caller clears oversize_held. */
static void oversize_alert(struct tel_pipeline *p, const char *salt, bool first)
{
	char cnt[24], summary[160];
	snprintf(cnt, sizeof(cnt), "%" PRIu64, p->oversize_held);
	snprintf(summary, sizeof(summary),
	         "%" PRIu64 "%s telemetry batch(es) over %zu bytes refused: records lost",
	         p->oversize_held, first ? "" : " more", p->cfg.body_max);
	struct tel_attr at[] = {{"vigil.count", cnt, 1}};
	struct tel_alert a = {.kind = "health",
	                      .category = "internal_error",
	                      .rule = "tel.batch_oversize",
	                      .action = "alert",
	                      .severity = "WARN",
	                      .summary = summary,
	                      .id_salt = salt,
	                      .attrs = at,
	                      .n_attrs = 1};
	p->oversize_held = 0;
	tel_emit(&p->sink, &a);
}

static void oversize_flush(struct tel_pipeline *p, bool all)
{
	int64_t w = vg_epoch_ms() / ((int64_t)p->cfg.alert_window_s * 1000);
	if (!p->oversize_held || (!all && w == p->oversize_window))
		return;
	char salt[40];
	snprintf(salt, sizeof(salt), "w%" PRId64 "+%u", p->oversize_window, ++p->oversize_flushes);
	oversize_alert(p, salt, false);
}

void tel_pipeline_note_oversize(struct tel_pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	oversize_flush(p, false); /* a past window's: its own alert */
	p->batches++;
	p->batches_oversize++;
	p->oversize_held++;
	/* Telemetry lost on our side: a health alert, once per window. */
	int64_t w = vg_epoch_ms() / ((int64_t)p->cfg.alert_window_s * 1000);
	if (w != p->oversize_window) {
		char salt[32];
		snprintf(salt, sizeof(salt), "w%" PRId64, w);
		p->oversize_window = w;
		p->oversize_flushes = 0;
		oversize_alert(p, salt, true);
	}
	pthread_mutex_unlock(&p->lock);
}

void tel_pipeline_tick(struct tel_pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	tel_detect_flush(p->detect, vg_epoch_ms());
	oversize_flush(p, false);
	pthread_mutex_unlock(&p->lock);
}

void tel_pipeline_flush(struct tel_pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	tel_detect_flush(p->detect, -1);
	oversize_flush(p, true);
	pthread_mutex_unlock(&p->lock);
}

void tel_pipeline_stats(struct tel_pipeline *p, struct tel_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&p->lock);
	out->batches = p->batches;
	out->batches_bad = p->batches_bad;
	out->batches_oversize = p->batches_oversize;
	out->records = p->bstats.records;
	out->records_unknown = p->bstats.by_type[TEL_REC_UNKNOWN];
	out->records_bad = p->bstats.bad + p->bstats.over_limit;
	out->log_records =
	    p->bstats.by_type[TEL_REC_FUNCTION] + p->bstats.by_type[TEL_REC_EXTENSION_LOG];
	tel_detect_counts(p->detect, &out->alerts, &out->alerts_deduped, &out->correlated,
	                  &out->requests_evicted, &out->failures_blocked);
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_lock(&p->corr_lock);
	out->inspections_noted = p->noted;
	pthread_mutex_unlock(&p->corr_lock);
}
