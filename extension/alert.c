#include "alert.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vg_time.h"
#include "vg_util.h"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static int severity_number(const char *text)
{
	if (!strcmp(text, "FATAL"))
		return 21;
	if (!strcmp(text, "ERROR"))
		return 17;
	if (!strcmp(text, "INFO"))
		return 9;
	return 13; /* WARN */
}

/* FNV-1a over the fields that make an alert the same alert; two seeds give
 * 128 bits. */
void ext_alert_id(const struct tel_alert *a, char out[33])
{
	const char *parts[] = {a->kind,
	                       a->category,
	                       a->rule,
	                       a->request_id,
	                       env_or("AWS_LAMBDA_FUNCTION_NAME", ""),
	                       env_or("AWS_LAMBDA_FUNCTION_VERSION", ""),
	                       a->path,
	                       a->id_salt};
	uint64_t h[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < VG_ARRAY_SIZE(parts); i++) {
			const unsigned char *p = (const unsigned char *)(parts[i] ? parts[i] : "");
			for (; *p; p++)
				h[k] = (h[k] ^ *p) * 0x100000001b3ull;
			h[k] = (h[k] ^ 0x1f) * 0x100000001b3ull; /* field separator */
		}
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
}

static int kv(struct vg_buf *b, const char *sep, const char *k, const char *v, size_t max)
{
	size_t n = v ? strlen(v) : 0;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--; /* cut on a UTF-8 boundary */
	}
	int r = vg_buf_printf(b, "%s\"%s\":", sep, k);
	if (r == 0)
		r = vg_buf_json_str(b, v ? v : "", n);
	return r;
}

int ext_alert_format(struct vg_buf *b, const struct tel_alert *a)
{
	const char *sev = a->severity ? a->severity : "WARN";
	const size_t any = (size_t)-1;
	char id[33];
	int64_t mem_mb = 0;
	int r = 0;

	ext_alert_id(a, id);
	vg_parse_i64(env_or("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "0"), 0, 1 << 20, &mem_mb);
	r |= vg_buf_puts(b, "{\"resource\":{\"service.name\":\"vigil\",\"cloud.provider\":\"aws\"");
	r |= kv(b, ",", "cloud.region", env_or("AWS_REGION", ""), any);
	r |= kv(b, ",", "faas.name", env_or("AWS_LAMBDA_FUNCTION_NAME", ""), any);
	r |= kv(b, ",", "faas.version", env_or("AWS_LAMBDA_FUNCTION_VERSION", ""), any);
	r |= kv(b, ",", "faas.instance", env_or("AWS_LAMBDA_LOG_STREAM_NAME", ""), any);
	r |= vg_buf_printf(b, ",\"faas.max_memory\":%lld},", (long long)mem_mb * 1048576);
	r |= vg_buf_printf(b, "\"timeUnixNano\":\"%llu\",\"severityNumber\":%d",
	                   (unsigned long long)(a->time_ns ? a->time_ns : vg_epoch_ns()),
	                   severity_number(sev));
	r |= kv(b, ",", "severityText", sev, any);
	r |= kv(b, ",", "body", a->summary, any);
	r |= kv(b, ",\"attributes\":{", "vigil.alert.id", id, any);
	r |= kv(b, ",", "vigil.kind", a->kind, any);
	r |= kv(b, ",", "vigil.category", a->category, any);
	r |= kv(b, ",", "vigil.rule.id", a->rule, any);
	r |= kv(b, ",", "vigil.action", a->action ? a->action : "alert", any);
	if (a->source)
		r |= kv(b, ",", "vigil.event.source", a->source, any);
	if (a->path)
		r |= kv(b, ",", "vigil.field.path", a->path, any);
	if (a->excerpt)
		r |= kv(b, ",", "vigil.excerpt", a->excerpt, 128);
	if (a->correlated_id)
		r |= kv(b, ",", "vigil.correlated.alert.id", a->correlated_id, any);
	if (a->request_id && *a->request_id)
		r |= kv(b, ",", "faas.invocation_id", a->request_id, any);
	for (unsigned i = 0; i < a->n_attrs; i++) {
		const struct tel_attr *t = &a->attrs[i];
		if (t->is_int)
			r |= vg_buf_printf(b, ",\"%s\":%s", t->key, t->value);
		else
			r |= kv(b, ",", t->key, t->value, any);
	}
	r |= vg_buf_puts(b, "}}");
	return r ? -ENOBUFS : 0;
}

int ext_alert_print(FILE *out, const struct tel_alert *a)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct vg_buf b = VG_BUF_INIT(64 * 1024);
	int r = ext_alert_format(&b, a);
	if (r == 0)
		r = vg_buf_putc(&b, '\n');
	if (r == 0) {
		pthread_mutex_lock(&lock);
		if (fwrite(b.data, 1, b.len, out) != b.len || fflush(out) != 0)
			r = -EIO;
		pthread_mutex_unlock(&lock);
	}
	vg_buf_fini(&b);
	return r;
}

static void stdout_emit(void *ctx, const struct tel_alert *a)
{
	ext_alert_print(ctx, a);
}

void ext_alert_stdout_sink(struct tel_sink *s, FILE *out)
{
	s->emit = stdout_emit;
	s->ctx = out;
}
