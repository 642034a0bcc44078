/* Validation of a Telemetry API subscribe body (lambda-apis.md §5.1).
 *
 * The body comes from an extension: it is untrusted, length-counted and
 * capped before cJSON sees it. Every refusal names the field at fault.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "telemetry_private.h"
#include "vg_util.h"

static const char *const schema_versions[] = {"2022-07-01", "2022-12-13", "2025-01-29"};

static const struct {
	const char *name;
	unsigned kind;
} type_names[] = {
    {"platform", SBX_TEL_KIND_PLATFORM},
    {"function", SBX_TEL_KIND_FUNCTION},
    {"extension", SBX_TEL_KIND_EXTENSION},
};

static int fail(char *msg, size_t msgn, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *msg, size_t msgn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msgn, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_schema(const cJSON *root, char *msg, size_t msgn)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "schemaVersion");

	if (!v)
		return fail(msg, msgn, "%s", "schemaVersion is required");
	if (!cJSON_IsString(v))
		return fail(msg, msgn, "%s", "schemaVersion must be a string");
	for (size_t i = 0; i < VG_ARRAY_SIZE(schema_versions); i++)
		if (strcmp(v->valuestring, schema_versions[i]) == 0)
			return 0;
	return fail(msg, msgn, "%s",
	            "schemaVersion must be one of 2022-07-01, 2022-12-13, 2025-01-29");
}

static int parse_types(const cJSON *root, struct sbx_tel_sub_req *out, char *msg, size_t msgn)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "types");
	const cJSON *it;

	if (!v)
		return fail(msg, msgn, "%s", "types is required");
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
		return fail(msg, msgn, "%s", "types must be a non-empty array");
	cJSON_ArrayForEach(it, v)
	{
		size_t i;

		if (!cJSON_IsString(it))
			return fail(msg, msgn, "%s", "types must hold strings");
		for (i = 0; i < VG_ARRAY_SIZE(type_names); i++)
			if (strcmp(it->valuestring, type_names[i].name) == 0)
				break;
		if (i == VG_ARRAY_SIZE(type_names))
			return fail(msg, msgn, "%s",
			            "types may hold only platform, function and extension");
		out->kinds |= type_names[i].kind;
	}
	/* Rebuilt from the mask so the echo never carries the caller's bytes. */
	{
		size_t n = 0;

		n += (size_t)snprintf(out->types_json + n, sizeof(out->types_json) - n, "[");
		for (size_t i = 0; i < VG_ARRAY_SIZE(type_names); i++)
			if (out->kinds & type_names[i].kind)
				n += (size_t)snprintf(out->types_json + n,
				                      sizeof(out->types_json) - n, "%s\"%s\"",
				                      n > 1 ? "," : "", type_names[i].name);
		snprintf(out->types_json + n, sizeof(out->types_json) - n, "]");
	}
	return 0;
}

/* An integer member of buffering within [min, max]; absent keeps *out. */
static int parse_bound(const cJSON *buffering, const char *name, unsigned min, unsigned max,
                       unsigned *out, char *msg, size_t msgn)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(buffering, name);
	double d;

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v))
		return fail(msg, msgn, "buffering.%s must be an integer", name);
	d = v->valuedouble;
	/* Range first: only then is the conversion to unsigned defined. */
	if (!(d >= min && d <= max))
		return fail(msg, msgn, "buffering.%s must be between %u and %u", name, min, max);
	if (d != (double)(unsigned)d)
		return fail(msg, msgn, "buffering.%s must be an integer", name);
	*out = (unsigned)d;
	return 0;
}

static int parse_buffering(const cJSON *root, struct sbx_tel_sub_req *out, char *msg, size_t msgn)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(root, "buffering");
	int rc;

	out->max_items = SBX_TEL_ITEMS_MAX;
	out->max_bytes = SBX_TEL_BYTES_MIN;
	out->timeout_ms = 1000;
	if (!b || cJSON_IsNull(b))
		return 0;
	if (!cJSON_IsObject(b))
		return fail(msg, msgn, "%s", "buffering must be an object");
	rc = parse_bound(b, "maxItems", SBX_TEL_ITEMS_MIN, SBX_TEL_ITEMS_MAX, &out->max_items, msg,
	                 msgn);
	if (rc == 0)
		rc = parse_bound(b, "maxBytes", SBX_TEL_BYTES_MIN, SBX_TEL_BYTES_MAX,
		                 &out->max_bytes, msg, msgn);
	if (rc == 0)
		rc = parse_bound(b, "timeoutMs", SBX_TEL_TIMEOUT_MIN, SBX_TEL_TIMEOUT_MAX,
		                 &out->timeout_ms, msg, msgn);
	return rc;
}

/* http://HOST[:PORT][/PATH] with HOST sandbox.localdomain or sandbox. */
static int parse_uri(const char *uri, struct sbx_tel_sub_req *out, char *msg, size_t msgn)
{
	static const char *const hosts[] = {"sandbox.localdomain", "sandbox"};
	const char *p, *host, *host_end, *path;
	size_t hostn;
	int64_t port = 80;
	size_t i;

	if (strncasecmp(uri, "https://", 8) == 0)
		return fail(
		    msg, msgn, "%s",
		    "destination.URI must use http: the sandbox does not deliver over https");
	if (strncasecmp(uri, "http://", 7) != 0)
		return fail(msg, msgn, "%s",
		            "destination.URI must be http://sandbox.localdomain:PORT[/PATH]");
	host = uri + 7;
	path = strchr(host, '/');
	if (!path)
		path = host + strlen(host);
	host_end = memchr(host, ':', (size_t)(path - host));
	if (!host_end)
		host_end = path;
	if (memchr(host, '@', (size_t)(path - host)))
		return fail(msg, msgn, "%s", "destination.URI must not carry credentials");
	hostn = (size_t)(host_end - host);
	for (i = 0; i < VG_ARRAY_SIZE(hosts); i++)
		if (hostn == strlen(hosts[i]) && strncasecmp(host, hosts[i], hostn) == 0)
			break;
	if (i == VG_ARRAY_SIZE(hosts))
		return fail(msg, msgn, "%s",
		            "destination.URI host must be sandbox.localdomain or sandbox");
	if (host_end != path &&
	    vg_parse_i64n(host_end + 1, (size_t)(path - host_end - 1), 1, 65535, &port) != 0)
		return fail(msg, msgn, "%s", "destination.URI port must be a number in 1..65535");
	if (port == 9001)
		return fail(msg, msgn, "%s",
		            "destination.URI port 9001 is reserved for the Lambda APIs");
	for (p = path; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return fail(
			    msg, msgn, "%s",
			    "destination.URI path must not hold spaces or control characters");
	if (strlen(path) + 1 >= sizeof(out->path))
		return fail(msg, msgn, "%s", "destination.URI is too long");
	out->port = (unsigned)port;
	snprintf(out->path, sizeof(out->path), "%s", *path ? path : "/");
	return 0;
}

static int parse_destination(const cJSON *root, struct sbx_tel_sub_req *out, char *msg, size_t msgn)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "destination");
	const cJSON *proto, *uri;

	if (!d)
		return fail(msg, msgn, "%s", "destination is required");
	if (!cJSON_IsObject(d))
		return fail(msg, msgn, "%s", "destination must be an object");
	proto = cJSON_GetObjectItemCaseSensitive(d, "protocol");
	if (!cJSON_IsString(proto))
		return fail(msg, msgn, "%s", "destination.protocol is required (HTTP)");
	if (strcmp(proto->valuestring, "TCP") == 0)
		return fail(msg, msgn, "%s",
		            "destination.protocol TCP is not supported by vigil-sandbox; use HTTP");
	if (strcmp(proto->valuestring, "HTTP") != 0)
		return fail(msg, msgn, "%s", "destination.protocol must be HTTP or TCP");
	uri = cJSON_GetObjectItemCaseSensitive(d, "URI");
	if (!cJSON_IsString(uri))
		return fail(msg, msgn, "%s", "destination.URI is required for HTTP");
	return parse_uri(uri->valuestring, out, msg, msgn);
}

int sbx_tel_sub_parse(const char *body, size_t len, struct sbx_tel_sub_req *out, char *msg,
                      size_t msgn)
{
	cJSON *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > SBX_TEL_SUBSCRIBE_MAX)
		return fail(msg, msgn, "%s", "request body is too large");
	if (!body || len == 0)
		return fail(msg, msgn, "%s", "request body is empty");
	root = cJSON_ParseWithLength(body, len);
	if (!root)
		return fail(msg, msgn, "%s", "request body is not valid JSON");
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return fail(msg, msgn, "%s", "request body must be a JSON object");
	}
	rc = parse_schema(root, msg, msgn);
	if (rc == 0)
		rc = parse_types(root, out, msg, msgn);
	if (rc == 0)
		rc = parse_buffering(root, out, msg, msgn);
	if (rc == 0)
		rc = parse_destination(root, out, msg, msgn);
	cJSON_Delete(root);
	return rc;
}
