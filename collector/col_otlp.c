#include "col_otlp.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_util.h"

struct parse_ctx {
	struct col_batch *b;
	cJSON *keep; /* converted attribute objects the records point into */
	size_t cap;  /* records allocated */
};

static void reject(struct col_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reject(struct col_batch *b, const char *fmt, ...)
{
	if (!b->rejected++) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b->error, sizeof(b->error), fmt, ap);
		va_end(ap);
	}
}

/* OTLP JSON encodes 64-bit integers as decimal strings, but producers also
 * send plain numbers; both are accepted. */
static int parse_int64(const cJSON *v, int64_t *out)
{
	if (cJSON_IsString(v))
		return vg_parse_i64(v->valuestring, INT64_MIN, INT64_MAX, out);
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (!isfinite(d) || d < -9.2e18 || d > 9.2e18 || d != floor(d))
			return -EINVAL;
		*out = (int64_t)d;
		return 0;
	}
	return -EINVAL;
}

static cJSON *convert_kvlist(const cJSON *list, int depth, int *err);

/* An OTLP AnyValue as plain JSON; NULL with *err set on a bad value. */
static cJSON *convert_any(const cJSON *any, int depth, int *err)
{
	const cJSON *v;

	if (depth > COL_OTLP_MAX_DEPTH) {
		*err = -E2BIG;
		return NULL;
	}
	if (!any || cJSON_IsNull(any))
		return cJSON_CreateNull();
	if (!cJSON_IsObject(any))
		goto bad;
	if ((v = cJSON_GetObjectItemCaseSensitive(any, "stringValue"))) {
		if (!cJSON_IsString(v))
			goto bad;
		return cJSON_CreateString(v->valuestring);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(any, "boolValue"))) {
		if (!cJSON_IsBool(v))
			goto bad;
		return cJSON_CreateBool(cJSON_IsTrue(v));
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(any, "intValue"))) {
		int64_t i;
		if (parse_int64(v, &i) < 0)
			goto bad;
		/* Beyond 2^53 a JSON number loses digits: keep those as text. */
		if (i > (1LL << 53) || i < -(1LL << 53)) {
			char s[24];
			snprintf(s, sizeof(s), "%lld", (long long)i);
			return cJSON_CreateString(s);
		}
		return cJSON_CreateNumber((double)i);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(any, "doubleValue"))) {
		if (cJSON_IsNumber(v))
			return cJSON_CreateNumber(v->valuedouble);
		if (cJSON_IsString(v)) /* "NaN", "Infinity": keep as text */
			return cJSON_CreateString(v->valuestring);
		goto bad;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(any, "bytesValue"))) {
		if (!cJSON_IsString(v))
			goto bad;
		return cJSON_CreateString(v->valuestring);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(any, "arrayValue"))) {
		const cJSON *vals = cJSON_GetObjectItemCaseSensitive(v, "values"), *e;
		cJSON *arr = cJSON_CreateArray();
		if (!arr) {
			*err = -ENOMEM;
			return NULL;
		}
		if (vals && !cJSON_IsArray(vals)) {
			cJSON_Delete(arr);
			goto bad;
		}
		cJSON_ArrayForEach(e, vals)
		{
			cJSON *c = convert_any(e, depth + 1, err);
			if (!c) {
				cJSON_Delete(arr);
				return NULL;
			}
			cJSON_AddItemToArray(arr, c);
		}
		return arr;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(any, "kvlistValue")))
		return convert_kvlist(cJSON_GetObjectItemCaseSensitive(v, "values"), depth + 1,
		                      err);
	/* An empty AnyValue is OTLP's null. */
	return cJSON_CreateNull();
bad:
	*err = -EINVAL;
	return NULL;
}

/* A list of KeyValue as a JSON object keyed by name (last one wins). */
static cJSON *convert_kvlist(const cJSON *list, int depth, int *err)
{
	const cJSON *kv;
	cJSON *obj;
	int n = 0;

	if (list && !cJSON_IsArray(list)) {
		*err = -EINVAL;
		return NULL;
	}
	if (cJSON_GetArraySize(list) > COL_OTLP_MAX_ATTRS) {
		*err = -E2BIG;
		return NULL;
	}
	obj = cJSON_CreateObject();
	if (!obj) {
		*err = -ENOMEM;
		return NULL;
	}
	cJSON_ArrayForEach(kv, list)
	{
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(kv, "key");
		cJSON *val;
		if (!cJSON_IsString(key) || ++n > COL_OTLP_MAX_ATTRS) {
			*err = -EINVAL;
			goto fail;
		}
		val = convert_any(cJSON_GetObjectItemCaseSensitive(kv, "value"), depth, err);
		if (!val)
			goto fail;
		if (cJSON_GetObjectItemCaseSensitive(obj, key->valuestring))
			cJSON_ReplaceItemInObjectCaseSensitive(obj, key->valuestring, val);
		else
			cJSON_AddItemToObject(obj, key->valuestring, val);
	}
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
}

static const char *attr_str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *err_text(int err)
{
	return err == -E2BIG ? "attributes too many or nested too deep" : "malformed attribute";
}

/* Fills r from one logRecord; 0, -EINVAL (reject it) or -ENOMEM. */
static int parse_record(struct parse_ctx *ctx, const cJSON *lr, struct col_record *r,
                        const cJSON *res_attrs, const char *res_json)
{
	const cJSON *v;
	cJSON *attrs, *body;
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(lr)) {
		reject(ctx->b, "logRecord is not an object");
		return -EINVAL;
	}
	v = cJSON_GetObjectItemCaseSensitive(lr, "timeUnixNano");
	if (v && parse_int64(v, &r->time_ns) < 0) {
		reject(ctx->b, "timeUnixNano is not an integer");
		return -EINVAL;
	}
	if (!r->time_ns) {
		v = cJSON_GetObjectItemCaseSensitive(lr, "observedTimeUnixNano");
		if (v && parse_int64(v, &r->time_ns) < 0) {
			reject(ctx->b, "observedTimeUnixNano is not an integer");
			return -EINVAL;
		}
	}
	if (r->time_ns < 0)
		r->time_ns = 0;
	v = cJSON_GetObjectItemCaseSensitive(lr, "severityNumber");
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 24)
		r->severity_number = (int)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(lr, "severityText");
	r->severity_text = cJSON_IsString(v) ? v->valuestring : NULL;

	attrs = convert_kvlist(cJSON_GetObjectItemCaseSensitive(lr, "attributes"), 0, &err);
	if (!attrs) {
		if (err == -ENOMEM)
			return err;
		reject(ctx->b, "log record: %s", err_text(err));
		return -EINVAL;
	}
	cJSON_AddItemToArray(ctx->keep, attrs);
	body = convert_any(cJSON_GetObjectItemCaseSensitive(lr, "body"), 0, &err);
	if (!body) {
		if (err == -ENOMEM)
			return err;
		reject(ctx->b, "log record body: %s", err_text(err));
		return -EINVAL;
	}
	cJSON_AddItemToArray(ctx->keep, body);
	if (cJSON_IsString(body))
		r->body = body->valuestring;
	else if (!cJSON_IsNull(body) && !(r->body_json = cJSON_PrintUnformatted(body)))
		return -ENOMEM;

	r->alert_id = attr_str(attrs, "vigil.alert.id");
	r->kind = attr_str(attrs, "vigil.kind");
	r->category = attr_str(attrs, "vigil.category");
	r->rule = attr_str(attrs, "vigil.rule.id");
	r->action = attr_str(attrs, "vigil.action");
	r->source = attr_str(attrs, "vigil.event.source");
	r->field_path = attr_str(attrs, "vigil.field.path");
	r->excerpt = attr_str(attrs, "vigil.excerpt");
	r->request_id = attr_str(attrs, "faas.invocation_id");
	r->function = attr_str(res_attrs, "faas.name");
	r->service = attr_str(res_attrs, "service.name");
	/* An empty id cannot de-duplicate anything: treat it as absent. */
	if (r->alert_id && !*r->alert_id)
		r->alert_id = NULL;
	r->attrs_json = cJSON_PrintUnformatted(attrs);
	r->resource_json = strdup(res_json);
	if (!r->attrs_json || !r->resource_json)
		return -ENOMEM;
	return 0;
}

static void record_fini(struct col_record *r)
{
	free(r->body_json);
	free(r->attrs_json);
	free(r->resource_json);
}

static int push_record(struct parse_ctx *ctx, cJSON *lr, const cJSON *res_attrs,
                       const char *res_json, bool *drop)
{
	struct col_batch *b = ctx->b;
	int rc;

	*drop = false;
	if (b->n >= COL_OTLP_MAX_RECORDS) {
		reject(b, "more than %d log records in one request", COL_OTLP_MAX_RECORDS);
		*drop = true;
		return 0;
	}
	if (b->n == ctx->cap) {
		size_t ncap = ctx->cap ? ctx->cap * 2 : 16;
		struct col_record *nr = realloc(b->records, ncap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		b->records = nr;
		ctx->cap = ncap;
	}
	rc = parse_record(ctx, lr, &b->records[b->n], res_attrs, res_json);
	if (rc == -EINVAL) {
		record_fini(&b->records[b->n]);
		*drop = true;
		return 0;
	}
	if (rc < 0) {
		record_fini(&b->records[b->n]);
		return rc;
	}
	b->n++;
	return 0;
}

/* Walks one ResourceLogs; records that fail are detached from the tree so
 * the tree is left holding exactly what was accepted. */
static int parse_resource_logs(struct parse_ctx *ctx, cJSON *rl, char *msg, size_t msgn)
{
	cJSON *resource, *res_attrs, *scope_logs, *sl;
	char *res_json;
	int err = 0, rc = 0;

	if (!cJSON_IsObject(rl)) {
		snprintf(msg, msgn, "resourceLogs entry is not an object");
		return -EINVAL;
	}
	resource = cJSON_GetObjectItemCaseSensitive(rl, "resource");
	res_attrs =
	    convert_kvlist(cJSON_GetObjectItemCaseSensitive(resource, "attributes"), 0, &err);
	if (!res_attrs) {
		if (err == -ENOMEM)
			return err;
		snprintf(msg, msgn, "resource: %s", err_text(err));
		return -EINVAL;
	}
	cJSON_AddItemToArray(ctx->keep, res_attrs);
	res_json = cJSON_PrintUnformatted(res_attrs);
	if (!res_json)
		return -ENOMEM;
	scope_logs = cJSON_GetObjectItemCaseSensitive(rl, "scopeLogs");
	if (scope_logs && !cJSON_IsArray(scope_logs)) {
		snprintf(msg, msgn, "scopeLogs is not an array");
		rc = -EINVAL;
		goto out;
	}
	cJSON_ArrayForEach(sl, scope_logs)
	{
		cJSON *records = cJSON_GetObjectItemCaseSensitive(sl, "logRecords"), *lr, *next;
		if (!cJSON_IsObject(sl) || (records && !cJSON_IsArray(records))) {
			snprintf(msg, msgn, "scopeLogs entry is malformed");
			rc = -EINVAL;
			goto out;
		}
		for (lr = records ? records->child : NULL; lr; lr = next) {
			bool drop;
			next = lr->next;
			rc = push_record(ctx, lr, res_attrs, res_json, &drop);
			if (rc < 0)
				goto out;
			if (drop)
				cJSON_Delete(cJSON_DetachItemViaPointer(records, lr));
		}
	}
out:
	free(res_json);
	return rc;
}

int col_otlp_parse(const char *body, size_t len, struct col_batch **out, char *msg, size_t msgn)
{
	struct parse_ctx ctx = {0};
	cJSON *root, *rls, *rl;
	char dummy[8];
	int rc;

	if (!msg) {
		msg = dummy;
		msgn = sizeof(dummy);
	}
	*out = NULL;
	ctx.b = calloc(1, sizeof(*ctx.b));
	ctx.keep = cJSON_CreateArray();
	if (!ctx.b || !ctx.keep) {
		rc = -ENOMEM;
		goto fail;
	}
	root = cJSON_ParseWithLength(body, len);
	if (!root) {
		snprintf(msg, msgn, "body is not valid JSON");
		rc = -EINVAL;
		goto fail;
	}
	/* The tree and the kept conversions are freed together. */
	cJSON_AddItemToArray(ctx.keep, root);
	ctx.b->tree = ctx.keep;
	if (!cJSON_IsObject(root)) {
		snprintf(msg, msgn, "body is not a JSON object");
		rc = -EINVAL;
		goto fail;
	}
	rls = cJSON_GetObjectItemCaseSensitive(root, "resourceLogs");
	if (rls && !cJSON_IsArray(rls)) {
		snprintf(msg, msgn, "resourceLogs is not an array");
		rc = -EINVAL;
		goto fail;
	}
	cJSON_ArrayForEach(rl, rls)
	{
		rc = parse_resource_logs(&ctx, rl, msg, msgn);
		if (rc < 0)
			goto fail;
	}
	*out = ctx.b;
	return 0;
fail:
	if (rc == -ENOMEM)
		snprintf(msg, msgn, "out of memory");
	if (ctx.b) {
		ctx.b->tree = ctx.keep;
		col_batch_free(ctx.b);
	} else {
		cJSON_Delete(ctx.keep);
	}
	return rc;
}

void col_batch_free(struct col_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		record_fini(&b->records[i]);
	free(b->records);
	cJSON_Delete(b->tree);
	free(b);
}

char *col_batch_json(const struct col_batch *b, size_t *len)
{
	/* The parsed request is the first item kept (see col_otlp_parse). */
	const cJSON *root = b->tree ? cJSON_GetArrayItem(b->tree, 0) : NULL;
	char *s = root ? cJSON_PrintUnformatted(root) : NULL;
	if (s && len)
		*len = strlen(s);
	return s;
}
