#include "ext_api.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_buf.h"
#include "vg_log.h"

#define EXT        "/2020-01-01/extension"
#define SMALL_BODY (1024 * 1024)

int ext_api_init(struct ext_api *a, const char *runtime_api)
{
	memset(a, 0, sizeof(*a));
	return px_pool_init(&a->pool, runtime_api);
}

void ext_api_fini(struct ext_api *a)
{
	px_pool_fini(&a->pool);
}

static int id_header(const struct ext_api *a, char *out, size_t n)
{
	int l = snprintf(out, n, "Lambda-Extension-Identifier: %s\r\n", a->id);
	return l > 0 && (size_t)l < n ? 0 : -ENOBUFS;
}

int ext_api_register(struct ext_api *a, const char *name, int *status)
{
	static const char body[] = "{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}";
	char hdr[512];
	struct px_resp r;
	int ret;

	/* A name longer than a file name cannot be the file Lambda started. */
	if (strlen(name) > 255 || strpbrk(name, "\r\n"))
		return -EINVAL;
	snprintf(hdr, sizeof(hdr),
	         "Lambda-Extension-Name: %s\r\nContent-Type: application/json\r\n", name);
	px_resp_init(&r);
	ret = px_request(&a->pool, "POST", EXT "/register", hdr, body, sizeof(body) - 1, &r,
	                 SMALL_BODY, -1);
	if (ret == 0) {
		*status = r.status;
		const char *id = px_resp_header(&r, "Lambda-Extension-Identifier");
		if (r.status != 200 || !id || strlen(id) >= sizeof(a->id))
			ret = -EPROTO;
		else
			snprintf(a->id, sizeof(a->id), "%s", id);
	}
	px_resp_fini(&r);
	return ret;
}

int ext_api_subscribe(struct ext_api *a, uint16_t port, int64_t max_items, int64_t max_bytes,
                      int64_t timeout_ms)
{
	char hdr[256], body[512];
	struct px_resp r;
	int ret = id_header(a, hdr, sizeof(hdr) - 40);
	if (ret < 0)
		return ret;
	strcat(hdr, "Content-Type: application/json\r\n");
	/* Lambda Managed Instances accept only the newest schema (a superset);
	 * elsewhere 2022-12-13 is the one every platform and emulator knows. */
	const char *init = getenv("AWS_LAMBDA_INITIALIZATION_TYPE");
	const char *schema =
	    init && !strcmp(init, "lambda-managed-instances") ? "2025-01-29" : "2022-12-13";
	int n = snprintf(body, sizeof(body),
	                 "{\"schemaVersion\":\"%s\","
	                 "\"types\":[\"platform\",\"function\",\"extension\"],"
	                 "\"buffering\":{\"maxItems\":%lld,\"maxBytes\":%lld,\"timeoutMs\":%lld},"
	                 "\"destination\":{\"protocol\":\"HTTP\","
	                 "\"URI\":\"http://sandbox.localdomain:%u/telemetry\"}}",
	                 schema, (long long)max_items, (long long)max_bytes, (long long)timeout_ms,
	                 port);
	px_resp_init(&r);
	ret = px_request(&a->pool, "PUT", "/2022-07-01/telemetry", hdr, body, (size_t)n, &r,
	                 SMALL_BODY, -1);
	if (ret == 0) {
		ret = r.status;
		if (r.status >= 300)
			vg_log_warn("telemetry subscription answered %d: %.200s", r.status,
			            r.body.data ? r.body.data : "");
	}
	px_resp_fini(&r);
	return ret;
}

static void parse_event(const struct px_resp *r, struct ext_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = EXT_EVENT_OTHER;
	cJSON *j = cJSON_ParseWithLength(r->body.data ? r->body.data : "", r->body.len);
	if (!j)
		return;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "eventType");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "deadlineMs");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "requestId");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(j, "shutdownReason");
	if (cJSON_IsString(t))
		ev->type = !strcmp(t->valuestring, "INVOKE")     ? EXT_EVENT_INVOKE
		           : !strcmp(t->valuestring, "SHUTDOWN") ? EXT_EVENT_SHUTDOWN
		                                                 : EXT_EVENT_OTHER;
	if (cJSON_IsNumber(d) && d->valuedouble > 0 && d->valuedouble < 1e15)
		ev->deadline_ms = (int64_t)d->valuedouble;
	if (cJSON_IsString(id))
		snprintf(ev->request_id, sizeof(ev->request_id), "%s", id->valuestring);
	if (cJSON_IsString(why))
		snprintf(ev->reason, sizeof(ev->reason), "%s", why->valuestring);
	cJSON_Delete(j);
}

int ext_api_next(struct ext_api *a, struct ext_event *ev, int *status)
{
	char hdr[256];
	struct px_resp r;
	int ret = id_header(a, hdr, sizeof(hdr));
	if (ret < 0)
		return ret;
	px_resp_init(&r);
	ret = px_request(&a->pool, "GET", EXT "/event/next", hdr, NULL, 0, &r, SMALL_BODY, -1);
	if (ret == 0) {
		*status = r.status;
		if (r.status != 200)
			ret = -EPROTO;
		else
			parse_event(&r, ev);
	}
	px_resp_fini(&r);
	return ret;
}

int ext_api_init_error(struct ext_api *a, const char *type, const char *message)
{
	char hdr[512];
	struct vg_buf body = VG_BUF_INIT(8192);
	struct px_resp r;
	int ret = id_header(a, hdr, sizeof(hdr) - 200);
	if (ret < 0)
		return ret;
	size_t l = strlen(hdr);
	snprintf(hdr + l, sizeof(hdr) - l,
	         "Lambda-Extension-Function-Error-Type: %s\r\nContent-Type: application/json\r\n",
	         type);
	vg_buf_puts(&body, "{\"errorMessage\":");
	vg_buf_json_str(&body, message, strlen(message));
	vg_buf_puts(&body, ",\"errorType\":");
	vg_buf_json_str(&body, type, strlen(type));
	vg_buf_puts(&body, ",\"stackTrace\":[]}");
	px_resp_init(&r);
	ret = px_request(&a->pool, "POST", EXT "/init/error", hdr, body.data, body.len, &r,
	                 SMALL_BODY, 5000);
	if (ret == 0 && r.status != 202)
		vg_log_warn("init/error answered %d", r.status);
	px_resp_fini(&r);
	vg_buf_fini(&body);
	return ret;
}
