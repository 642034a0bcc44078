/* The alert record: its stable id and its two renderings (the OTLP log
 * record and the stdout JSON line). See tel_alert.h. */
#include "tel_alert.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_time.h"
#include "vg_util.h"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

static const char *severity_text(const struct tel_alert *a)
{
	return a->severity && *a->severity ? a->severity : "WARN";
}

/* OTLP's SeverityNumber for the texts Vigil uses (the first of each range). */
static int severity_number(const char *text)
{
	static const struct {
		const char *text;
		int number;
	} map[] = {{"TRACE", 1}, {"DEBUG", 5},  {"INFO", 9},
	           {"WARN", 13}, {"ERROR", 17}, {"FATAL", 21}};
	for (size_t i = 0; i < VG_ARRAY_SIZE(map); i++)
		if (!strcmp(text, map[i].text))
			return map[i].number;
	return 13;
}

void tel_alert_id(const struct tel_alert *a, char out[33])
{
	/* FNV-1a over the fields that make an alert the same alert, from two
	 * offset bases for 128 bits. The first six fields are the ones the
	 * extension's first alert printer hashed, in its order: an alert with
	 * no path and no salt keeps the id it had there. */
	const char *parts[] = {a->kind,
	                       a->category,
	                       a->rule,
	                       a->request_id,
	                       env_or("AWS_LAMBDA_FUNCTION_NAME", ""),
	                       env_or("AWS_LAMBDA_FUNCTION_VERSION", ""),
	                       a->path,
	                       a->id_salt};
	size_t n = VG_ARRAY_SIZE(parts);
	uint64_t h[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};

	/* Trailing absent fields are left out (the compatibility above);
	 * a present one after an absent one still hashes the separator. */
	while (n > 6 && !(parts[n - 1] && *parts[n - 1]))
		n--;
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < n; i++) {
			const unsigned char *p = (const unsigned char *)nz(parts[i]);
			for (; *p; p++)
				h[k] = (h[k] ^ *p) * 0x100000001b3ull;
			h[k] = (h[k] ^ 0x1f) * 0x100000001b3ull; /* field separator */
		}
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
}

/* The length of s cut to at most max bytes without splitting a UTF-8
 * sequence. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* faas.instance: the log stream's name when Lambda gives it (only the
 * runtime gets it), otherwise an id drawn once per process. */
static char instance_id[37];
static pthread_once_t instance_once = PTHREAD_ONCE_INIT;

static void instance_init(void)
{
	vg_uuid4(instance_id);
}

static const char *instance(void)
{
	const char *v = getenv("AWS_LAMBDA_LOG_STREAM_NAME");
	if (v && *v)
		return v;
	pthread_once(&instance_once, instance_init);
	return instance_id;
}

static long long max_memory_bytes(void)
{
	int64_t mb = 0;
	if (vg_parse_i64(env_or("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "0"), 0, 1 << 20, &mb) < 0)
		mb = 0;
	return (long long)mb * 1048576;
}

/* The fixed attribute names: an extra attribute may not take one. */
static int is_fixed_key(const char *k)
{
	static const char *const fixed[] = {"vigil.alert.id",     "vigil.kind",
	                                    "vigil.category",     "vigil.rule.id",
	                                    "vigil.action",       "vigil.event.source",
	                                    "vigil.field.path",   "vigil.excerpt",
	                                    "faas.invocation_id", "vigil.correlated.alert.id"};
	for (size_t i = 0; i < VG_ARRAY_SIZE(fixed); i++)
		if (!strcmp(k, fixed[i]))
			return 1;
	return 0;
}

/* A decimal integer that fits int64, as sent in intValue. */
static int is_integer(const char *v)
{
	int64_t x;
	const char *p;

	if (!v)
		return 0;
	p = v + (*v == '-');
	if (!*p)
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return vg_parse_i64(v, INT64_MIN, INT64_MAX, &x) == 0;
}

/* ---- OTLP ---- */

static int otlp_str(struct vg_buf *b, const char *sep, const char *k, const char *v, size_t n)
{
	int r = vg_buf_printf(b, "%s{\"key\":", sep);
	r = r ? r : vg_buf_json_str(b, k, strlen(k));
	r = r ? r : vg_buf_puts(b, ",\"value\":{\"stringValue\":");
	r = r ? r : vg_buf_json_str(b, nz(v), v ? n : 0);
	return r ? r : vg_buf_puts(b, "}}");
}

static int otlp_s(struct vg_buf *b, const char *sep, const char *k, const char *v)
{
	return otlp_str(b, sep, k, v, strlen(nz(v)));
}

static int otlp_int(struct vg_buf *b, const char *k, long long v)
{
	int r = vg_buf_puts(b, ",{\"key\":");
	r = r ? r : vg_buf_json_str(b, k, strlen(k));
	return r ? r : vg_buf_printf(b, ",\"value\":{\"intValue\":\"%lld\"}}", v);
}

int tel_resource_otlp(struct vg_buf *out)
{
	size_t start = out->len;
	int r = vg_buf_puts(out, "{\"attributes\":[");
	r = r ? r : otlp_s(out, "", "service.name", "vigil");
	r = r ? r : otlp_s(out, ",", "cloud.provider", "aws");
	r = r ? r : otlp_s(out, ",", "cloud.region", env_or("AWS_REGION", ""));
	r = r ? r : otlp_s(out, ",", "faas.name", env_or("AWS_LAMBDA_FUNCTION_NAME", ""));
	r = r ? r : otlp_s(out, ",", "faas.version", env_or("AWS_LAMBDA_FUNCTION_VERSION", ""));
	r = r ? r : otlp_s(out, ",", "faas.instance", instance());
	r = r ? r : otlp_int(out, "faas.max_memory", max_memory_bytes());
	r = r ? r : vg_buf_puts(out, "]}");
	if (r) {
		vg_buf_truncate(out, start);
		return -ENOBUFS;
	}
	return 0;
}

/* ---- the attributes, in either rendering ---- */

/* The OTLP record and the stdout line differ only in how one attribute is
 * written: {"key":K,"value":{"stringValue":V}} or "K":V. */
struct attr_fmt {
	int (*str)(struct vg_buf *b, const char *sep, const char *k, const char *v, size_t n);
	int (*num)(struct vg_buf *b, const char *k, const char *digits);
};

static int otlp_num(struct vg_buf *b, const char *k, const char *digits)
{
	int r = vg_buf_puts(b, ",{\"key\":");
	r = r ? r : vg_buf_json_str(b, k, strlen(k));
	return r ? r : vg_buf_printf(b, ",\"value\":{\"intValue\":\"%s\"}}", digits);
}

static int json_str(struct vg_buf *b, const char *sep, const char *k, const char *v, size_t n)
{
	int r = vg_buf_puts(b, sep);
	r = r ? r : vg_buf_json_str(b, k, strlen(k));
	r = r ? r : vg_buf_putc(b, ':');
	return r ? r : vg_buf_json_str(b, nz(v), v ? n : 0);
}

static int json_num(struct vg_buf *b, const char *k, const char *digits)
{
	int r = vg_buf_putc(b, ',');
	r = r ? r : vg_buf_json_str(b, k, strlen(k));
	r = r ? r : vg_buf_putc(b, ':');
	return r ? r : vg_buf_puts(b, digits);
}

static const struct attr_fmt otlp_fmt = {otlp_str, otlp_num};
static const struct attr_fmt json_fmt = {json_str, json_num};

/* The fixed attributes, then the optional ones that are set, then the
 * extra ones (never overriding a fixed key). */
static int put_attrs(struct vg_buf *out, const struct tel_alert *a, const char *id,
                     const struct attr_fmt *f)
{
	const char *const fixed[][2] = {
	    {"vigil.alert.id", id},
	    {"vigil.kind", a->kind},
	    {"vigil.category", a->category},
	    {"vigil.rule.id", a->rule},
	    {"vigil.action", a->action && *a->action ? a->action : "alert"},
	};
	/* cut: the longest value sent, on a UTF-8 boundary; an attribute with
	 * a cut (the excerpt) is sent even when empty, the others only when
	 * set */
	const struct {
		const char *key, *value;
		size_t cut;
	} optional[] = {
	    {"vigil.event.source", a->source, 0},
	    {"vigil.field.path", a->path, 0},
	    {"vigil.excerpt", a->excerpt, TEL_EXCERPT_MAX},
	    {"faas.invocation_id", a->request_id, 0},
	    {"vigil.correlated.alert.id", a->correlated_id, 0},
	};
	int r = 0;

	for (size_t i = 0; !r && i < VG_ARRAY_SIZE(fixed); i++)
		r = f->str(out, i ? "," : "", fixed[i][0], fixed[i][1], strlen(nz(fixed[i][1])));
	for (size_t i = 0; !r && i < VG_ARRAY_SIZE(optional); i++) {
		const char *v = optional[i].value;
		if (v && (*v || optional[i].cut))
			r = f->str(out, ",", optional[i].key, v,
			           optional[i].cut ? utf8_cut(v, optional[i].cut) : strlen(v));
	}
	for (unsigned i = 0; !r && i < a->n_attrs; i++) {
		const struct tel_attr *x = &a->attrs[i];
		if (!x->key || !*x->key || is_fixed_key(x->key))
			continue;
		if (x->is_int && is_integer(x->value))
			r = f->num(out, x->key, x->value);
		else
			r = f->str(out, ",", x->key, x->value, strlen(nz(x->value)));
	}
	return r;
}

int tel_alert_otlp(struct vg_buf *out, const struct tel_alert *a)
{
	const char *sev = severity_text(a);
	unsigned long long t = a->time_ns ? a->time_ns : vg_epoch_ns();
	size_t start = out->len;
	char id[33];
	int r;

	tel_alert_id(a, id);
	r = vg_buf_printf(out,
	                  "{\"timeUnixNano\":\"%llu\",\"observedTimeUnixNano\":\"%llu\","
	                  "\"severityNumber\":%d,\"severityText\":",
	                  t, t, severity_number(sev));
	r = r ? r : vg_buf_json_str(out, sev, strlen(sev));
	r = r ? r : vg_buf_puts(out, ",\"body\":{\"stringValue\":");
	r = r ? r : vg_buf_json_str(out, nz(a->summary), strlen(nz(a->summary)));
	r = r ? r : vg_buf_puts(out, "},\"attributes\":[");
	r = r ? r : put_attrs(out, a, id, &otlp_fmt);
	r = r ? r : vg_buf_puts(out, "]}");
	if (r) {
		vg_buf_truncate(out, start);
		return -ENOBUFS;
	}
	return 0;
}

/* ---- the stdout line ---- */

static int kv(struct vg_buf *b, const char *sep, const char *k, const char *v, size_t n)
{
	int r = vg_buf_printf(b, "%s\"%s\":", sep, k);
	return r ? r : vg_buf_json_str(b, nz(v), v ? n : 0);
}

static int kvs(struct vg_buf *b, const char *sep, const char *k, const char *v)
{
	return kv(b, sep, k, v, strlen(nz(v)));
}

int tel_alert_json(struct vg_buf *out, const struct tel_alert *a)
{
	const char *sev = severity_text(a);
	size_t start = out->len;
	char id[33];
	int r;

	tel_alert_id(a, id);
	r = vg_buf_puts(out,
	                "{\"resource\":{\"service.name\":\"vigil\",\"cloud.provider\":\"aws\"");
	r = r ? r : kvs(out, ",", "cloud.region", env_or("AWS_REGION", ""));
	r = r ? r : kvs(out, ",", "faas.name", env_or("AWS_LAMBDA_FUNCTION_NAME", ""));
	r = r ? r : kvs(out, ",", "faas.version", env_or("AWS_LAMBDA_FUNCTION_VERSION", ""));
	r = r ? r : kvs(out, ",", "faas.instance", instance());
	r = r ? r : vg_buf_printf(out, ",\"faas.max_memory\":%lld},", max_memory_bytes());
	r = r ? r
	      : vg_buf_printf(out, "\"timeUnixNano\":\"%llu\",\"severityNumber\":%d",
	                      (unsigned long long)(a->time_ns ? a->time_ns : vg_epoch_ns()),
	                      severity_number(sev));
	r = r ? r : kvs(out, ",", "severityText", sev);
	r = r ? r : kvs(out, ",", "body", a->summary);
	r = r ? r : vg_buf_puts(out, ",\"attributes\":{");
	r = r ? r : put_attrs(out, a, id, &json_fmt);
	r = r ? r : vg_buf_puts(out, "}}");
	if (r) {
		vg_buf_truncate(out, start);
		return -ENOBUFS;
	}
	return 0;
}

int tel_alert_print(int fd, const struct tel_alert *a)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct vg_buf b = VG_BUF_INIT(64 * 1024);
	int r = tel_alert_json(&b, a);
	if (r == 0)
		r = vg_buf_putc(&b, '\n');
	if (r == 0) {
		pthread_mutex_lock(&lock);
		r = vg_write_all(fd, b.data, b.len);
		pthread_mutex_unlock(&lock);
	}
	vg_buf_fini(&b);
	return r;
}
