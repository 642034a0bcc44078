#include "tel_batch.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[TEL_REC_TYPE_COUNT] = {
    [TEL_REC_UNKNOWN] = "unknown",
    [TEL_REC_INIT_START] = "platform.initStart",
    [TEL_REC_INIT_RUNTIME_DONE] = "platform.initRuntimeDone",
    [TEL_REC_INIT_REPORT] = "platform.initReport",
    [TEL_REC_START] = "platform.start",
    [TEL_REC_RUNTIME_DONE] = "platform.runtimeDone",
    [TEL_REC_REPORT] = "platform.report",
    [TEL_REC_EXTENSION] = "platform.extension",
    [TEL_REC_TELEMETRY_SUBSCRIPTION] = "platform.telemetrySubscription",
    [TEL_REC_LOGS_DROPPED] = "platform.logsDropped",
    [TEL_REC_RESTORE_START] = "platform.restoreStart",
    [TEL_REC_RESTORE_RUNTIME_DONE] = "platform.restoreRuntimeDone",
    [TEL_REC_RESTORE_REPORT] = "platform.restoreReport",
    [TEL_REC_FUNCTION] = "function",
    [TEL_REC_EXTENSION_LOG] = "extension",
};

const char *tel_rec_type_name(enum tel_rec_type t)
{
	return (unsigned)t < TEL_REC_TYPE_COUNT ? type_names[t] : "unknown";
}

static enum tel_rec_type type_of(const char *s)
{
	/* The Logs API's platform.logsSubscription is the same record as the
	 * Telemetry API's platform.telemetrySubscription. */
	if (!strcmp(s, "platform.logsSubscription"))
		return TEL_REC_TELEMETRY_SUBSCRIPTION;
	for (unsigned t = 1; t < TEL_REC_TYPE_COUNT; t++)
		if (!strcmp(s, type_names[t]))
			return (enum tel_rec_type)t;
	return TEL_REC_UNKNOWN;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The extent of the array element starting at s[i] (not whitespace): *end
 * is where it stops (the ',' or ']' after it, at the array's level). Its
 * nesting and node count (brackets, commas and colons outside strings) are
 * measured on the way. -EBADMSG when the text ends first. */
static int element(const char *s, size_t n, size_t i, size_t *end, unsigned *depth_max,
                   unsigned *nodes)
{
	unsigned d = 0, dm = 0, k = 1;
	bool in_str = false;
	for (; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			break;
		case '[':
		case '{':
			k++;
			if (++d > dm)
				dm = d;
			break;
		case ']':
		case '}':
			if (!d)
				goto out;
			d--;
			break;
		case ',':
			if (!d)
				goto out;
			k++;
			break;
		case ':':
			k++;
			break;
		default:
			break;
		}
	}
	return -EBADMSG;
out:
	*end = i;
	*depth_max = dm;
	*nodes = k;
	return 0;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t tel_time_parse(const char *s)
{
	int y, mo, d, h, mi, se, ms = 0;
	if (!s || strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || s[10] != 'T' || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		int k = 0, scale = 100;
		for (p++; *p >= '0' && *p <= '9'; p++, k++) {
			if (k < 3)
				ms += (*p - '0') * scale, scale /= 10;
			if (k > 9)
				return -1;
		}
		if (!k)
			return -1;
	}
	int64_t off_min = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
			return -1;
		off_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	int64_t days = days_from_civil(y, mo, d);
	return ((days * 86400 + h * 3600 + mi * 60 + se) - off_min * 60) * 1000 + ms;
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : -1;
}

static int64_t int_of(const cJSON *o, const char *key)
{
	double d = num_of(o, key);
	return d < 0 ? -1 : d > 9e15 ? (int64_t)9e15 : (int64_t)d;
}

static void fill(struct tel_record *r, const cJSON *rec)
{
	if (cJSON_IsString(rec)) {
		if (r->type == TEL_REC_FUNCTION || r->type == TEL_REC_EXTENSION_LOG) {
			r->log = rec->valuestring;
			r->log_len = strlen(rec->valuestring);
		}
		return;
	}
	if (!cJSON_IsObject(rec))
		return;
	r->request_id = str_of(rec, "requestId");
	if (r->type == TEL_REC_FUNCTION || r->type == TEL_REC_EXTENSION_LOG) {
		r->log_object = rec;
		r->log = str_of(rec, "message");
		r->log_len = r->log ? strlen(r->log) : 0;
		return;
	}
	r->status = str_of(rec, "status");
	r->error_type = str_of(rec, "errorType");
	r->phase = str_of(rec, "phase");
	r->init_type = str_of(rec, "initializationType");
	r->name = str_of(rec, "name");
	r->state = str_of(rec, "state");
	r->reason = str_of(rec, "reason");
	r->dropped_records = int_of(rec, "droppedRecords");
	r->dropped_bytes = int_of(rec, "droppedBytes");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(rec, "metrics");
	if (cJSON_IsObject(m)) {
		r->duration_ms = num_of(m, "durationMs");
		r->billed_ms = num_of(m, "billedDurationMs");
		r->memory_size_mb = int_of(m, "memorySizeMB");
		r->max_memory_used_mb = int_of(m, "maxMemoryUsedMB");
	}
}

static void handle(const cJSON *ev, tel_record_fn fn, void *ctx, struct tel_batch_stats *st)
{
	const char *type = cJSON_IsObject(ev) ? str_of(ev, "type") : NULL;
	if (!type) {
		st->bad++;
		return;
	}
	struct tel_record r = {
	    .type = type_of(type),
	    .type_name = type,
	    .duration_ms = -1,
	    .billed_ms = -1,
	    .memory_size_mb = -1,
	    .max_memory_used_mb = -1,
	    .dropped_records = -1,
	    .dropped_bytes = -1,
	};
	r.time = str_of(ev, "time");
	r.time_ms = tel_time_parse(r.time);
	fill(&r, cJSON_GetObjectItemCaseSensitive(ev, "record"));
	st->records++;
	st->by_type[r.type]++;
	if (fn)
		fn(ctx, &r);
}

/* cJSON's strings end at a NUL, so an escaped one (\u0000) in a log line
 * would hide the text after it from the detectors. A copy of the element
 * with each such escape read as a space (what an excerpt shows a NUL as);
 * NULL when it has none, or no memory (then parsed as it is). */
static char *nul_as_space(const char *s, size_t n)
{
	if (!memmem(s, n, "\\u0000", 6))
		return NULL;
	char *c = malloc(n);
	if (!c)
		return NULL;
	memcpy(c, s, n);
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		if (!in_str) {
			in_str = c[i] == '"';
		} else if (c[i] == '"') {
			in_str = false;
		} else if (c[i] == '\\' && i + 1 < n) {
			if (c[i + 1] == 'u' && n - i >= 6 && !memcmp(c + i + 2, "0000", 4))
				memcpy(c + i + 2, "0020", 4);
			i++;
		}
	}
	return c;
}

/* The batch is walked element by element, each parsed on its own: memory
 * stays that of one record, whatever the batch holds. */
int tel_batch_parse(const char *body, size_t n, tel_record_fn fn, void *ctx,
                    struct tel_batch_stats *st)
{
	struct tel_batch_stats local;
	if (!st) {
		memset(&local, 0, sizeof(local));
		st = &local;
	}
	size_t i = 0;
	while (i < n && is_ws(body[i]))
		i++;
	if (i >= n || body[i] != '[')
		return -EBADMSG;
	i++;
	uint64_t handed = 0;
	for (bool first = true;; first = false) {
		while (i < n && is_ws(body[i]))
			i++;
		if (i >= n)
			return -EBADMSG;
		if (body[i] == ']')
			break;
		if (!first) {
			if (body[i] != ',')
				return -EBADMSG;
			i++;
			while (i < n && is_ws(body[i]))
				i++;
		}
		size_t end;
		unsigned depth, nodes;
		if (i >= n || element(body, n, i, &end, &depth, &nodes) < 0)
			return -EBADMSG;
		if (end == i)
			return -EBADMSG; /* "[,": no element */
		if (handed >= TEL_BATCH_RECORDS_MAX) {
			st->over_limit++;
		} else if (depth > TEL_BATCH_DEPTH_MAX || nodes > TEL_BATCH_NODES_MAX) {
			st->bad++;
		} else {
			const char *stop = NULL;
			char *copy = nul_as_space(body + i, end - i);
			const char *el = copy ? copy : body + i, *el_end = el + (end - i);
			cJSON *ev = cJSON_ParseWithLengthOpts(el, end - i, &stop, 0);
			while (ev && stop && stop < el_end && is_ws(*stop))
				stop++;
			bool trailing = ev && stop != el_end;
			free(copy);
			if (trailing) {
				/* "{}{}": one value, then more: not an element. */
				cJSON_Delete(ev);
				return -EBADMSG;
			}
			if (!ev) {
				st->bad++;
			} else {
				handed++;
				handle(ev, fn, ctx, st);
				cJSON_Delete(ev);
			}
		}
		i = end;
	}
	for (i++; i < n && is_ws(body[i]); i++)
		;
	return i == n ? 0 : -EBADMSG;
}
