#include "tel_detect.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tel_secrets.h"
#include "vg_time.h"

#define RID_MAX      64 /* request ids are kept up to 63 bytes */
#define EXT_SEEN_MAX 16 /* extensions alerted on in one init phase */
#define EXCERPT_MAX  128
#define OBJ_DEPTH    4 /* members of JSON log objects scanned down to */
#define OBJ_MEMBERS  64

enum cat {
	CAT_ERROR,
	CAT_TIMEOUT,
	CAT_OOM,
	CAT_CRASH,
	CAT_EXTENSION,
	CAT_MEMORY,
	CAT_DURATION,
	CAT_SECRET,
	CAT_COUNT,
};

#define FAILURE_BITS                                                                               \
	((1u << CAT_ERROR) | (1u << CAT_TIMEOUT) | (1u << CAT_OOM) | (1u << CAT_CRASH) |           \
	 (1u << CAT_EXTENSION))

struct req {
	char id[RID_MAX];
	uint32_t hash;
	uint32_t emitted; /* 1 << enum cat */
	bool used;
	bool duration_fed;
	int hnext;      /* bucket chain */
	int prev, next; /* LRU list: head is the most recent */
};

struct tel_detect {
	struct tel_config cfg;
	char self_name[128];
	const struct tel_sink *sink;
	tel_corr_fn corr;
	void *corr_ctx;

	/* per request */
	struct req *reqs;
	int *buckets;
	unsigned nbuckets; /* a power of two */
	int head, tail, free_top;
	unsigned used;
	char current[RID_MAX]; /* the request between start and runtimeDone */

	/* per environment: the duration baseline */
	double *dur;
	double *scratch;
	unsigned dur_n, dur_at;

	/* invocation rate */
	uint32_t *surge;
	unsigned surge_n, surge_at;
	int64_t surge_bucket; /* -1: none yet */
	uint64_t surge_count;
	bool surge_alerted;

	/* per init phase */
	bool init_failed;
	bool init_oom;
	uint32_t ext_seen[EXT_SEEN_MAX];
	unsigned n_ext_seen;

	/* windows of alerts without a request */
	int64_t drop_window;               /* of the last logs_dropped alert */
	uint64_t drop_records, drop_bytes; /* held back since the last alert */
	uint64_t drop_held;                /* logsDropped records held back */
	unsigned drop_flushes;             /* of drop_window's held counts */
	int64_t secret_window;
	uint32_t secret_kinds; /* 1 << kind alerted in secret_window */

	uint64_t n_alerts, n_deduped, n_correlated, n_evicted, n_blocked;
};

int tel_severity_rank(const char *s)
{
	static const char *const words[][2] = {
	    {"INFO", "low"}, {"WARN", "medium"}, {"ERROR", "high"}, {"FATAL", "critical"}};
	if (!s)
		return 0;
	for (int i = 0; i < 4; i++)
		if (!strcasecmp(s, words[i][0]) || !strcasecmp(s, words[i][1]))
			return i + 1;
	if (!strcasecmp(s, "WARNING"))
		return 2;
	return 0;
}

static const char *raise_severity(const char *s)
{
	switch (tel_severity_rank(s)) {
	case 1:
		return "WARN";
	case 2:
		return "ERROR";
	default:
		return "FATAL";
	}
}

static uint32_t fnv(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* ---- the request table: hash chains plus an LRU list, fixed size ---- */

static void lru_unlink(struct tel_detect *d, int i)
{
	struct req *r = &d->reqs[i];
	if (r->prev >= 0)
		d->reqs[r->prev].next = r->next;
	else
		d->head = r->next;
	if (r->next >= 0)
		d->reqs[r->next].prev = r->prev;
	else
		d->tail = r->prev;
	r->prev = r->next = -1;
}

static void lru_push(struct tel_detect *d, int i)
{
	struct req *r = &d->reqs[i];
	r->prev = -1;
	r->next = d->head;
	if (d->head >= 0)
		d->reqs[d->head].prev = i;
	d->head = i;
	if (d->tail < 0)
		d->tail = i;
}

static void bucket_remove(struct tel_detect *d, int i)
{
	int *p = &d->buckets[d->reqs[i].hash & (d->nbuckets - 1)];
	while (*p >= 0 && *p != i)
		p = &d->reqs[*p].hnext;
	if (*p == i)
		*p = d->reqs[i].hnext;
}

/* The request's state, created (evicting the least recent) when absent;
 * NULL for no request id. */
static struct req *req_get(struct tel_detect *d, const char *id)
{
	if (!id || !*id)
		return NULL;
	size_t n = strnlen(id, RID_MAX - 1);
	uint32_t h = fnv(id, n);
	int *b = &d->buckets[h & (d->nbuckets - 1)];
	for (int i = *b; i >= 0; i = d->reqs[i].hnext) {
		struct req *r = &d->reqs[i];
		if (r->hash == h && !strncmp(r->id, id, n) && !r->id[n]) {
			lru_unlink(d, i);
			lru_push(d, i);
			return r;
		}
	}
	int i;
	if (d->used < d->cfg.requests_max) {
		i = (int)d->used++;
	} else {
		i = d->tail;
		lru_unlink(d, i);
		bucket_remove(d, i);
		d->n_evicted++;
	}
	struct req *r = &d->reqs[i];
	memset(r, 0, sizeof(*r));
	memcpy(r->id, id, n);
	r->hash = h;
	r->used = true;
	r->hnext = *b;
	*b = i;
	lru_push(d, i);
	return r;
}

/* ---- emitting ---- */

struct alert_in {
	const char *category;
	const char *rule;
	const char *severity;
	const char *request_id;
	const char *excerpt;
	const char *summary;
	const char *salt;
	const struct tel_record *rec;
	bool correlate;
	const struct tel_attr *attrs;
	unsigned n_attrs;
};

static void emit(struct tel_detect *d, const struct alert_in *in)
{
	char corr_id[33] = "", corr_sev[16] = "";
	bool blocked = false;
	struct tel_alert a = {
	    .kind = "telemetry",
	    .category = in->category,
	    .rule = in->rule,
	    .action = "alert",
	    .severity = in->severity,
	    .request_id = in->request_id,
	    .excerpt = in->excerpt,
	    .summary = in->summary,
	    .id_salt = in->salt,
	    .attrs = in->attrs,
	    .n_attrs = in->n_attrs,
	};
	if (in->rec && in->rec->time_ms >= 0)
		a.time_ns = (uint64_t)in->rec->time_ms * 1000000u;
	if (in->correlate && d->corr && in->request_id &&
	    d->corr(d->corr_ctx, in->request_id, corr_id, corr_sev, &blocked) > 0 && corr_id[0]) {
		a.correlated_id = corr_id;
		a.severity = raise_severity(in->severity);
		d->n_correlated++;
	}
	d->n_alerts++;
	tel_emit(d->sink, &a);
}

/* Once per request and category: true when the alert may go out. */
static bool first(struct tel_detect *d, struct req *q, enum cat c)
{
	if (!q)
		return true;
	if (q->emitted & (1u << c)) {
		d->n_deduped++;
		return false;
	}
	q->emitted |= 1u << c;
	return true;
}

static int64_t when(const struct tel_record *r)
{
	return r->time_ms >= 0 ? r->time_ms : vg_epoch_ms();
}

static bool eq(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

static bool contains(const char *s, const char *needle)
{
	return s && strcasestr(s, needle);
}

/* An excerpt of at most EXCERPT_MAX bytes of text around `at`, on UTF-8
 * character boundaries. */
static void excerpt_of(const char *text, size_t n, size_t at, char out[EXCERPT_MAX + 1])
{
	size_t s = at > 32 ? at - 32 : 0;
	while (s > 0 && s < n && ((unsigned char)text[s] & 0xC0) == 0x80)
		s++;
	size_t e = n - s > EXCERPT_MAX ? s + EXCERPT_MAX : n;
	while (e > s && e < n && ((unsigned char)text[e] & 0xC0) == 0x80)
		e--;
	memcpy(out, text + s, e - s);
	out[e - s] = '\0';
	for (size_t i = 0; i < e - s; i++)
		if (out[i] == '\n' || out[i] == '\r' || out[i] == '\0')
			out[i] = ' ';
}

/* ---- failures of a request ---- */

static bool is_oom_type(const char *t)
{
	return contains(t, "OutOfMemory");
}

static bool is_timeout(const char *status, const char *t)
{
	return eq(status, "timeout") || contains(t, "Timeout");
}

static bool is_crash(const char *t)
{
	return contains(t, "ExitError") || contains(t, ".Crash");
}

/* A failure that is Vigil's own refusal: the proxy answered a blocked
 * event with an error of type Vigil.Blocked. Lambda keeps only error types
 * of the form Runtime.X or Function.X and reports others as Runtime.Unknown
 * (vigil-sandbox does the same), so that type counts only for a request the
 * proxy said it blocked; Vigil.Blocked itself (a platform that keeps it)
 * counts always. */
static bool vigil_refusal(struct tel_detect *d, const struct tel_record *r)
{
	const char *et = r->error_type;
	if (!eq(r->status, "error") && !eq(r->status, "failure"))
		return false;
	if (eq(et, "Vigil.Blocked"))
		return true;
	if (et && *et && !eq(et, "Runtime.Unknown") && !eq(et, "Function.Unknown"))
		return false;
	char id[33], sev[16];
	bool blocked = false;
	return r->request_id && d->corr &&
	       d->corr(d->corr_ctx, r->request_id, id, sev, &blocked) > 0 && blocked;
}

static void failure(struct tel_detect *d, const struct tel_record *r, struct req *q)
{
	const char *st = r->status;
	if (!st || eq(st, "success"))
		return;
	if (vigil_refusal(d, r)) {
		/* Vigil's act, not the function's failure: no error alert, no
		 * escalation; the inspection alert (action block) says it. */
		if (first(d, q, CAT_ERROR))
			d->n_blocked++;
		return;
	}
	if (q && (q->emitted & FAILURE_BITS)) {
		d->n_deduped++;
		return;
	}
	const char *et = r->error_type && *r->error_type ? r->error_type : NULL;
	enum cat c;
	const char *cat, *rule;
	char summary[256];
	if (is_oom_type(et)) {
		c = CAT_OOM, cat = "oom", rule = "tel.oom.error_type";
		snprintf(summary, sizeof(summary), "request ran out of memory (%s)", et);
	} else if (is_timeout(st, et)) {
		c = CAT_TIMEOUT, cat = "timeout", rule = "tel.timeout";
		snprintf(summary, sizeof(summary), "request timed out");
	} else if (et && !strncmp(et, "Extension.", 10)) {
		/* The invocation failed because an extension did: not the
		 * runtime's crash. */
		c = CAT_EXTENSION, cat = "extension_failure", rule = "tel.extension_failure";
		snprintf(summary, sizeof(summary),
		         "invocation failed because an extension did (%s)", et);
	} else if (is_crash(et)) {
		c = CAT_CRASH, cat = "crash", rule = "tel.crash";
		snprintf(summary, sizeof(summary), "runtime crashed (%s)", et);
	} else if (eq(st, "error") || eq(st, "failure")) {
		c = CAT_ERROR, cat = "error", rule = "tel.error";
		snprintf(summary, sizeof(summary), "request failed: %s%s%s", st, et ? " " : "",
		         et ? et : "");
	} else {
		return;
	}
	if (!first(d, q, c))
		return;
	struct alert_in in = {.category = cat,
	                      .rule = rule,
	                      .severity = "ERROR",
	                      .request_id = r->request_id,
	                      .excerpt = et,
	                      .summary = summary,
	                      .rec = r,
	                      .correlate = true};
	emit(d, &in);
}

/* ---- the duration baseline: median and MAD over a ring ---- */

static void swap(double *a, unsigned i, unsigned j)
{
	double t = a[i];
	a[i] = a[j];
	a[j] = t;
}

/* The k-th smallest of a[0..n) (n > 0), reordering a: quickselect with a
 * three-way partition, so runs of equal durations cost no more. */
static double kth(double *a, unsigned n, unsigned k)
{
	unsigned lo = 0, hi = n;
	while (hi - lo > 1) {
		double p = a[lo + (hi - lo) / 2];
		unsigned lt = lo, i = lo, gt = hi;
		while (i < gt) {
			if (a[i] < p)
				swap(a, lt++, i++);
			else if (a[i] > p)
				swap(a, i, --gt);
			else
				i++;
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return p;
	}
	return a[lo];
}

static double median(double *a, unsigned n)
{
	double m = kth(a, n, n / 2);
	if (n % 2 == 0)
		m = (m + kth(a, n, n / 2 - 1)) / 2;
	return m;
}

static void duration(struct tel_detect *d, const struct tel_record *r, struct req *q)
{
	double ms = r->duration_ms;
	if (ms < 0 || !eq(r->status, "success") || (q && q->duration_fed))
		return;
	if (q)
		q->duration_fed = true;
	if (d->dur_n >= d->cfg.duration_warmup) {
		memcpy(d->scratch, d->dur, d->dur_n * sizeof(double));
		double med = median(d->scratch, d->dur_n);
		for (unsigned i = 0; i < d->dur_n; i++)
			d->scratch[i] = d->dur[i] > med ? d->dur[i] - med : med - d->dur[i];
		double mad = median(d->scratch, d->dur_n);
		double spread = 1.4826 * mad;
		if (spread < 0.05 * med)
			spread = 0.05 * med;
		double margin = d->cfg.duration_k * spread;
		if (margin < d->cfg.duration_min_ms)
			margin = d->cfg.duration_min_ms;
		if (ms > med + margin && first(d, q, CAT_DURATION)) {
			char summary[200], ex[64], base[32];
			snprintf(
			    summary, sizeof(summary),
			    "duration %.1f ms against a baseline median of %.1f ms (MAD %.1f ms, "
			    "%u invocations)",
			    ms, med, mad, d->dur_n);
			snprintf(ex, sizeof(ex), "durationMs=%.3f", ms);
			snprintf(base, sizeof(base), "%.3f", med);
			struct tel_attr at[] = {{"vigil.baseline.median_ms", base, 0}};
			struct alert_in in = {.category = "duration_anomaly",
			                      .rule = "tel.duration",
			                      .severity = "WARN",
			                      .request_id = r->request_id,
			                      .excerpt = ex,
			                      .summary = summary,
			                      .rec = r,
			                      .attrs = at,
			                      .n_attrs = 1};
			emit(d, &in);
		}
	}
	d->dur[d->dur_at] = ms;
	d->dur_at = (d->dur_at + 1) % d->cfg.duration_window;
	if (d->dur_n < d->cfg.duration_window)
		d->dur_n++;
}

/* ---- memory ---- */

static void memory(struct tel_detect *d, const struct tel_record *r, struct req *q)
{
	int64_t size = r->memory_size_mb, used = r->max_memory_used_mb;
	if (size <= 0 || used < 0)
		return;
	char ex[96];
	snprintf(ex, sizeof(ex), "maxMemoryUsedMB=%" PRId64 " memorySizeMB=%" PRId64, used, size);
	if (used >= size) {
		if (q && (q->emitted & (1u << CAT_OOM))) {
			d->n_deduped++;
			return;
		}
		if (!first(d, q, CAT_OOM))
			return;
		char summary[160];
		snprintf(summary, sizeof(summary), "memory used reached the limit (%" PRId64 " MB)",
		         size);
		struct alert_in in = {.category = "oom",
		                      .rule = "tel.oom.memory",
		                      .severity = "ERROR",
		                      .request_id = r->request_id,
		                      .excerpt = ex,
		                      .summary = summary,
		                      .rec = r,
		                      .correlate = true};
		emit(d, &in);
		return;
	}
	if ((double)used < d->cfg.memory_share * (double)size || !first(d, q, CAT_MEMORY))
		return;
	char summary[160];
	snprintf(summary, sizeof(summary), "memory used %" PRId64 " of %" PRId64 " MB (%.0f%%)",
	         used, size, 100.0 * (double)used / (double)size);
	struct alert_in in = {.category = "memory_pressure",
	                      .rule = "tel.memory_pressure",
	                      .severity = "WARN",
	                      .request_id = r->request_id,
	                      .excerpt = ex,
	                      .summary = summary,
	                      .rec = r};
	emit(d, &in);
}

/* ---- logs: out-of-memory lines and secrets ---- */

/* What each runtime prints when it runs out of memory. */
static const char *const oom_lines[] = {
    "JavaScript heap out of memory",       /* Node.js */
    "MemoryError",                         /* Python */
    "java.lang.OutOfMemoryError",          /* Java */
    "System.OutOfMemoryException",         /* .NET */
    "fatal error: runtime: out of memory", /* Go */
    "NoMemoryError",                       /* Ruby */
    "failed to allocate memory",           /* Ruby, C libraries */
    "std::bad_alloc",                      /* C++ */
    "Cannot allocate memory",              /* ENOMEM, any runtime */
};

/* Redaction of a log text up to the scanner's reach (an excerpt never
 * lies past it): every secret in it, however many. */
#define REDACT_CAP (3u * TEL_SECRETS_SCAN_MAX + 1024u)
#define REACH_BACK 2048u /* bytes before the reach searched for a separator */

static int redacted(struct vg_buf *out, const char *text, size_t n, uint32_t *kinds, size_t *first)
{
	if (n > TEL_SECRETS_SCAN_MAX) {
		/* A secret cut by the scanner's reach is not recognised, and its
		 * first bytes would show: the text ends at the last separator
		 * before the reach instead (tokens hold none of these). */
		static const char sep[] = " \t\r\n,;\"'&=:()[]{}<>";
		size_t k = TEL_SECRETS_SCAN_MAX, low = k - REACH_BACK;
		while (k > low && !memchr(sep, text[k - 1], sizeof(sep) - 1))
			k--;
		n = k;
	}
	return tel_secrets_redact_all(out, text, n, kinds, first);
}

static const char *oom_line(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(oom_lines) / sizeof(oom_lines[0]); i++)
		if (memmem(s, n, oom_lines[i], strlen(oom_lines[i])))
			return oom_lines[i];
	/* Rust: "memory allocation of N bytes failed" */
	const char *m = memmem(s, n, "memory allocation of ", 21);
	if (m && memmem(m, n - (size_t)(m - s), " bytes failed", 13))
		return "memory allocation failed";
	return NULL;
}

static void oom_log(struct tel_detect *d, const struct tel_record *r, const char *rid,
                    const char *text, size_t n)
{
	const char *what = oom_line(text, n);
	if (!what)
		return;
	struct req *q = req_get(d, rid);
	if (q) {
		if (q->emitted & (1u << CAT_OOM)) {
			d->n_deduped++;
			return;
		}
		q->emitted |= 1u << CAT_OOM;
	} else {
		if (d->init_oom) {
			d->n_deduped++;
			return;
		}
		d->init_oom = true;
	}
	struct vg_buf red = VG_BUF_INIT(REDACT_CAP);
	char ex[EXCERPT_MAX + 1] = "";
	if (redacted(&red, text, n, NULL, NULL) >= 0 && red.data) {
		const char *at = memmem(red.data, red.len, what, strlen(what));
		excerpt_of(red.data, red.len, at ? (size_t)(at - red.data) : 0, ex);
	}
	vg_buf_fini(&red);
	char summary[160];
	snprintf(summary, sizeof(summary), "the runtime reported running out of memory (%s)", what);
	struct alert_in in = {.category = "oom",
	                      .rule = "tel.oom.log",
	                      .severity = "ERROR",
	                      .request_id = rid,
	                      .excerpt = ex,
	                      .summary = summary,
	                      .salt = rid ? NULL : r->time,
	                      .rec = r,
	                      .correlate = true};
	emit(d, &in);
}

/* Dedup of secrets: per request, or per window and kind without one (an
 * alert when the record holds a kind not yet raised in the window). */
static bool secret_first(struct tel_detect *d, const struct tel_record *r, struct req *q,
                         uint32_t kinds, char salt[32])
{
	salt[0] = '\0';
	if (q)
		return first(d, q, CAT_SECRET);
	int64_t w = when(r) / ((int64_t)d->cfg.alert_window_s * 1000);
	if (w != d->secret_window) {
		d->secret_window = w;
		d->secret_kinds = 0;
	}
	uint32_t fresh = kinds & ~d->secret_kinds;
	if (!fresh) {
		d->n_deduped++;
		return false;
	}
	d->secret_kinds |= kinds;
	snprintf(salt, 32, "w%" PRId64 "k%" PRIx32, w, fresh);
	return true;
}

/* "aws_access_key,aws_secret_key": the kinds of a mask, in the enum's
 * order. */
static void kinds_list(uint32_t kinds, char *out, size_t n)
{
	size_t at = 0;
	out[0] = '\0';
	for (int k = 1; k < TEL_SECRET_KIND_COUNT; k++) {
		if (!(kinds & (1u << k)))
			continue;
		int w = snprintf(out + at, n - at, "%s%s", at ? "," : "",
		                 tel_secret_kind_name((enum tel_secret_kind)k));
		if (w < 0 || (size_t)w >= n - at)
			break;
		at += (size_t)w;
	}
}

/* One alert for the record, naming every kind of secret it held; the rule
 * is that of the first. */
static void secret_alert(struct tel_detect *d, const struct tel_record *r, const char *rid,
                         enum tel_secret_kind k, uint32_t kinds, const char *ex)
{
	struct req *q = req_get(d, rid);
	char salt[32], rule[48], summary[256], list[160];
	kinds |= 1u << k;
	if (!secret_first(d, r, q, kinds, salt))
		return;
	kinds_list(kinds, list, sizeof(list));
	snprintf(rule, sizeof(rule), "tel.secret.%s", tel_secret_kind_name(k));
	snprintf(summary, sizeof(summary), "%s (%s) written to the %s logs",
	         kinds & (kinds - 1) ? "secrets" : "a secret", list,
	         r->type == TEL_REC_FUNCTION ? "function" : "extension");
	struct tel_attr at[] = {{"vigil.secret.kinds", list, 0}};
	struct alert_in in = {.category = "secret_in_logs",
	                      .rule = rule,
	                      .severity = "ERROR",
	                      .request_id = rid,
	                      .excerpt = ex,
	                      .summary = summary,
	                      .salt = salt[0] ? salt : NULL,
	                      .rec = r,
	                      .attrs = at,
	                      .n_attrs = 1};
	emit(d, &in);
}

static bool secrets_text(struct tel_detect *d, const struct tel_record *r, const char *rid,
                         const char *text, size_t n)
{
	struct vg_buf red = VG_BUF_INIT(REDACT_CAP);
	char ex[EXCERPT_MAX + 1] = "";
	uint32_t kinds = 0;
	size_t at = n;
	struct tel_secret_hit h = {TEL_SECRET_NONE, 0, 0};
	int found = redacted(&red, text, n, &kinds, &at);
	if (found > 0) {
		/* Around the first secret, in the text with all of them redacted. */
		excerpt_of(red.data, red.len, at, ex);
		tel_secrets_scan(text, n, &h, 1);
	} else if (found < 0) {
		/* No room to redact: the alert goes out without an excerpt. */
		found = (int)tel_secrets_scan(text, n, &h, 1);
		kinds = 0;
	}
	vg_buf_fini(&red);
	if (found <= 0 || h.kind == TEL_SECRET_NONE)
		return false;
	secret_alert(d, r, rid, h.kind, kinds, ex);
	return true;
}

/* What the members of one JSON log object held. */
struct obj_secrets {
	enum tel_secret_kind first;
	uint32_t kinds;
	char ex[EXCERPT_MAX + 1]; /* of the first member with a secret */
};

/* One member "name": value as an excerpt, with the value redacted whole
 * (a credential's name) or every secret in it. */
static void member_excerpt(const char *name, const char *v, size_t vn,
                           const struct tel_secret_hit *h, struct obj_secrets *o)
{
	struct vg_buf red = VG_BUF_INIT(REDACT_CAP);
	uint32_t kinds = 0;
	size_t at = 0;
	int r = *name ? vg_buf_printf(&red, "%.64s=", name) : 0;
	size_t pre = red.len;
	if (!r && h->off == 0 && h->len >= vn && h->kind == TEL_SECRET_PASSWORD) {
		r = vg_buf_puts(&red, "[REDACTED]");
		kinds = 1u << TEL_SECRET_PASSWORD;
	} else if (!r) {
		r = redacted(&red, v, vn, &kinds, &at);
		r = r < 0 ? r : 0;
	}
	o->kinds |= kinds;
	if (!r && red.data && !o->ex[0])
		excerpt_of(red.data, red.len, pre + at, o->ex);
	vg_buf_fini(&red);
}

/* Members of a JSON log object: credential-named members and secrets in
 * any string value, all of them. Bounded by OBJ_DEPTH and OBJ_MEMBERS. */
static void secrets_object(const cJSON *o, unsigned depth, unsigned *budget, struct obj_secrets *s)
{
	for (const cJSON *m = o->child; m && *budget; m = m->next) {
		(*budget)--;
		if (cJSON_IsString(m)) {
			/* A member by name and value; an array's string as text. */
			const char *name = m->string ? m->string : "";
			struct tel_secret_hit h;
			size_t vn = strlen(m->valuestring);
			enum tel_secret_kind k =
			    tel_secrets_scan_member(name, strlen(name), m->valuestring, vn, &h);
			if (k == TEL_SECRET_NONE)
				continue;
			if (s->first == TEL_SECRET_NONE)
				s->first = k;
			s->kinds |= 1u << k;
			member_excerpt(name, m->valuestring, vn, &h, s);
			continue;
		}
		if ((cJSON_IsObject(m) || cJSON_IsArray(m)) && depth + 1 < OBJ_DEPTH)
			secrets_object(m, depth + 1, budget, s);
	}
}

/* The managed runtimes' text format: "<time>\t<request id>\t<LEVEL>\t...".
 * The id (hex digits and dashes, 8 to 63 bytes) into out; false when the
 * line has another shape. */
static bool text_request_id(const char *s, size_t n, char out[RID_MAX])
{
	const char *t1 = memchr(s, '\t', n < 40 ? n : 40);
	if (!t1 || t1 - s < 19 || s[4] != '-' || s[10] != 'T')
		return false;
	const char *id = t1 + 1, *end = s + n;
	size_t k = 0;
	while (id + k < end && k < RID_MAX && id[k] != '\t') {
		char c = id[k];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
		      c == '-'))
			return false;
		k++;
	}
	if (k < 8 || k >= RID_MAX || id + k >= end)
		return false;
	memcpy(out, id, k);
	out[k] = '\0';
	return true;
}

static void logs(struct tel_detect *d, const struct tel_record *r)
{
	char from_text[RID_MAX];
	const char *rid =
	    r->request_id && *r->request_id ? r->request_id
	    : !r->log_object && r->log && text_request_id(r->log, r->log_len, from_text) ? from_text
	    : d->current[0] ? d->current
	                    : NULL;
	if (r->type == TEL_REC_FUNCTION && r->log)
		oom_log(d, r, rid, r->log, r->log_len);
	if (!d->cfg.scan_secrets)
		return;
	if (r->log_object) {
		unsigned budget = OBJ_MEMBERS;
		struct obj_secrets os = {TEL_SECRET_NONE, 0, ""};
		secrets_object(r->log_object, 0, &budget, &os);
		if (os.first != TEL_SECRET_NONE)
			secret_alert(d, r, rid, os.first, os.kinds, os.ex);
	} else if (r->log) {
		secrets_text(d, r, rid, r->log, r->log_len);
	}
}

/* ---- platform records without a request ---- */

static void init_status(struct tel_detect *d, const struct tel_record *r)
{
	if (!r->status || eq(r->status, "success"))
		return;
	if (d->init_failed) {
		d->n_deduped++;
		return;
	}
	d->init_failed = true;
	char summary[200];
	snprintf(summary, sizeof(summary), "init failed: %s%s%s (phase %s)", r->status,
	         r->error_type && *r->error_type ? " " : "", r->error_type ? r->error_type : "",
	         r->phase ? r->phase : "init");
	struct alert_in in = {.category = "init_failure",
	                      .rule = "tel.init_failure",
	                      .severity = "ERROR",
	                      .excerpt = r->error_type,
	                      .summary = summary,
	                      .salt = r->time ? r->time : "init",
	                      .rec = r};
	emit(d, &in);
}

static void extension_state(struct tel_detect *d, const struct tel_record *r)
{
	static const char *const failed[] = {"InitError",      "LaunchError", "ExitError",
	                                     "ShutdownFailed", "Crash",       "Crashed"};
	bool bad = r->error_type && *r->error_type;
	for (size_t i = 0; i < sizeof(failed) / sizeof(failed[0]) && !bad; i++)
		bad = eq(r->state, failed[i]);
	if (!bad || !r->name || (d->self_name[0] && !strcmp(r->name, d->self_name)))
		return;
	uint32_t h = fnv(r->name, strlen(r->name));
	for (unsigned i = 0; i < d->n_ext_seen; i++)
		if (d->ext_seen[i] == h) {
			d->n_deduped++;
			return;
		}
	if (d->n_ext_seen < EXT_SEEN_MAX)
		d->ext_seen[d->n_ext_seen++] = h;
	char summary[256], salt[160], ex[EXCERPT_MAX + 1];
	snprintf(summary, sizeof(summary), "extension %.64s failed: state %.32s%s%.64s", r->name,
	         r->state ? r->state : "?", r->error_type ? " " : "",
	         r->error_type ? r->error_type : "");
	snprintf(salt, sizeof(salt), "%.64s|%.40s", r->name, r->time ? r->time : "");
	snprintf(ex, sizeof(ex), "%.64s %.60s", r->name, r->error_type ? r->error_type : "");
	struct alert_in in = {.category = "extension_failure",
	                      .rule = "tel.extension_failure",
	                      .severity = "ERROR",
	                      .excerpt = ex,
	                      .summary = summary,
	                      .salt = salt,
	                      .rec = r};
	emit(d, &in);
}

/* The counts of logsDropped records that came after their window's alert,
 * reported once that window has ended (or at a flush): their own alert,
 * its id salted with the window, so that nothing waits for another drop. */
static void drop_flush(struct tel_detect *d)
{
	if (!d->drop_held)
		return;
	char nr[24], nb[24], salt[40], summary[200];
	snprintf(nr, sizeof(nr), "%" PRIu64, d->drop_records);
	snprintf(nb, sizeof(nb), "%" PRIu64, d->drop_bytes);
	snprintf(salt, sizeof(salt), "w%" PRId64 "+%u", d->drop_window, ++d->drop_flushes);
	snprintf(summary, sizeof(summary),
	         "Lambda dropped %" PRIu64 " more telemetry records (%" PRIu64 " bytes) in %" PRIu64
	         " later report(s) of the same %u s window",
	         d->drop_records, d->drop_bytes, d->drop_held, d->cfg.alert_window_s);
	struct tel_attr at[] = {{"vigil.dropped.records", nr, 1}, {"vigil.dropped.bytes", nb, 1}};
	struct alert_in in = {.category = "logs_dropped",
	                      .rule = "tel.logs_dropped",
	                      .severity = "WARN",
	                      .summary = summary,
	                      .salt = salt,
	                      .attrs = at,
	                      .n_attrs = 2};
	d->drop_records = d->drop_bytes = d->drop_held = 0;
	emit(d, &in);
}

static void logs_dropped(struct tel_detect *d, const struct tel_record *r)
{
	uint64_t recs = r->dropped_records > 0 ? (uint64_t)r->dropped_records : 0;
	uint64_t bytes = r->dropped_bytes > 0 ? (uint64_t)r->dropped_bytes : 0;
	int64_t w = when(r) / ((int64_t)d->cfg.alert_window_s * 1000);
	if (w == d->drop_window) {
		d->drop_records += recs;
		d->drop_bytes += bytes;
		d->drop_held++;
		d->n_deduped++;
		return;
	}
	drop_flush(d);
	d->drop_window = w;
	d->drop_flushes = 0;
	char nr[24], nb[24], salt[32], summary[200];
	snprintf(nr, sizeof(nr), "%" PRIu64, recs);
	snprintf(nb, sizeof(nb), "%" PRIu64, bytes);
	snprintf(salt, sizeof(salt), "w%" PRId64, w);
	snprintf(summary, sizeof(summary),
	         "Lambda dropped %" PRIu64 " telemetry records (%" PRIu64 " bytes): %.100s", recs,
	         bytes, r->reason ? r->reason : "no reason given");
	struct tel_attr at[] = {{"vigil.dropped.records", nr, 1}, {"vigil.dropped.bytes", nb, 1}};
	struct alert_in in = {.category = "logs_dropped",
	                      .rule = "tel.logs_dropped",
	                      .severity = "WARN",
	                      .excerpt = r->reason,
	                      .summary = summary,
	                      .salt = salt,
	                      .rec = r,
	                      .attrs = at,
	                      .n_attrs = 2};
	emit(d, &in);
}

void tel_detect_flush(struct tel_detect *d, int64_t now_ms)
{
	if (now_ms < 0 || now_ms / ((int64_t)d->cfg.alert_window_s * 1000) != d->drop_window)
		drop_flush(d);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void surge(struct tel_detect *d, const struct tel_record *r)
{
	int64_t b = when(r) / ((int64_t)d->cfg.surge_bucket_s * 1000);
	if (d->surge_bucket < 0) {
		d->surge_bucket = b;
	} else if (b > d->surge_bucket) {
		int64_t gap = b - d->surge_bucket; /* buckets closed: this one, then empty ones */
		for (int64_t i = 0; i < gap && i <= (int64_t)d->cfg.surge_window; i++) {
			d->surge[d->surge_at] =
			    i ? 0
			      : (uint32_t)(d->surge_count > UINT32_MAX ? UINT32_MAX
			                                               : d->surge_count);
			d->surge_at = (d->surge_at + 1) % d->cfg.surge_window;
			if (d->surge_n < d->cfg.surge_window)
				d->surge_n++;
		}
		d->surge_bucket = b;
		d->surge_count = 0;
		d->surge_alerted = false;
	}
	d->surge_count++;
	if (d->surge_alerted || d->surge_n < d->cfg.surge_warmup ||
	    d->surge_count < d->cfg.surge_min)
		return;
	uint32_t tmp[1000];
	memcpy(tmp, d->surge, d->surge_n * sizeof(uint32_t));
	qsort(tmp, d->surge_n, sizeof(uint32_t), cmp_u32);
	double med = d->surge_n % 2 ? tmp[d->surge_n / 2]
	                            : (tmp[d->surge_n / 2] + (double)tmp[d->surge_n / 2 - 1]) / 2;
	if ((double)d->surge_count <= d->cfg.surge_ratio * med)
		return;
	d->surge_alerted = true;
	char summary[200], salt[32], cnt[24];
	snprintf(summary, sizeof(summary),
	         "%" PRIu64 " invocations in %u s against a baseline median of %.1f",
	         d->surge_count, d->cfg.surge_bucket_s, med);
	snprintf(salt, sizeof(salt), "b%" PRId64, b);
	snprintf(cnt, sizeof(cnt), "%" PRIu64, d->surge_count);
	struct tel_attr at[] = {{"vigil.count", cnt, 1}};
	struct alert_in in = {.category = "invocation_surge",
	                      .rule = "tel.invocation_surge",
	                      .severity = "WARN",
	                      .summary = summary,
	                      .salt = salt,
	                      .rec = r,
	                      .attrs = at,
	                      .n_attrs = 1};
	emit(d, &in);
}

void tel_detect_record(struct tel_detect *d, const struct tel_record *r)
{
	struct req *q;
	/* Drops held back from a window that has ended go out now. */
	if (d->drop_held && r->time_ms >= 0 && r->type != TEL_REC_LOGS_DROPPED)
		tel_detect_flush(d, r->time_ms);
	switch (r->type) {
	case TEL_REC_INIT_START:
		d->init_failed = false;
		d->init_oom = false;
		d->n_ext_seen = 0;
		break;
	case TEL_REC_INIT_RUNTIME_DONE:
	case TEL_REC_INIT_REPORT:
	case TEL_REC_RESTORE_RUNTIME_DONE:
	case TEL_REC_RESTORE_REPORT:
		init_status(d, r);
		break;
	case TEL_REC_START:
		if (r->request_id) {
			snprintf(d->current, sizeof(d->current), "%s", r->request_id);
			req_get(d, r->request_id);
		}
		surge(d, r);
		break;
	case TEL_REC_RUNTIME_DONE:
	case TEL_REC_REPORT:
		q = req_get(d, r->request_id);
		if (r->request_id && !strncmp(d->current, r->request_id, RID_MAX - 1))
			d->current[0] = '\0';
		failure(d, r, q);
		duration(d, r, q);
		if (r->type == TEL_REC_REPORT)
			memory(d, r, q);
		break;
	case TEL_REC_EXTENSION:
		extension_state(d, r);
		break;
	case TEL_REC_LOGS_DROPPED:
		logs_dropped(d, r);
		break;
	case TEL_REC_FUNCTION:
	case TEL_REC_EXTENSION_LOG:
		logs(d, r);
		break;
	default:
		break;
	}
}

int tel_detect_new(const struct tel_config *cfg, const struct tel_sink *sink, tel_corr_fn corr,
                   void *corr_ctx, struct tel_detect **out)
{
	struct tel_detect *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->cfg.self_name = NULL;
	if (cfg->self_name)
		snprintf(d->self_name, sizeof(d->self_name), "%s", cfg->self_name);
	d->sink = sink;
	d->corr = corr;
	d->corr_ctx = corr_ctx;
	d->nbuckets = 1;
	while (d->nbuckets < 2 * cfg->requests_max)
		d->nbuckets <<= 1;
	d->reqs = calloc(cfg->requests_max, sizeof(*d->reqs));
	d->buckets = malloc(d->nbuckets * sizeof(*d->buckets));
	d->dur = calloc(cfg->duration_window, sizeof(double));
	d->scratch = calloc(cfg->duration_window, sizeof(double));
	d->surge = calloc(cfg->surge_window, sizeof(uint32_t));
	if (!d->reqs || !d->buckets || !d->dur || !d->scratch || !d->surge) {
		tel_detect_free(d);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < d->nbuckets; i++)
		d->buckets[i] = -1;
	d->head = d->tail = -1;
	d->surge_bucket = -1;
	d->drop_window = -1;
	d->secret_window = -1;
	*out = d;
	return 0;
}

void tel_detect_free(struct tel_detect *d)
{
	if (!d)
		return;
	free(d->reqs);
	free(d->buckets);
	free(d->dur);
	free(d->scratch);
	free(d->surge);
	free(d);
}

void tel_detect_counts(const struct tel_detect *d, uint64_t *alerts, uint64_t *deduped,
                       uint64_t *correlated, uint64_t *evicted, uint64_t *blocked)
{
	*blocked = d->n_blocked;
	*alerts = d->n_alerts;
	*deduped = d->n_deduped;
	*correlated = d->n_correlated;
	*evicted = d->n_evicted;
}
