#include "ext_state.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int sbx_ext_transition(enum sbx_ext_state from, enum sbx_ext_op op, enum sbx_ext_state *to)
{
	switch (op) {
	case SBX_EXT_OP_REGISTER:
		if (from != SBX_EXT_STARTED)
			return -EPERM;
		*to = SBX_EXT_REGISTERED;
		return 0;
	case SBX_EXT_OP_NEXT:
		/* A second next while one is pending (Ready) is illegal. */
		if (from != SBX_EXT_REGISTERED && from != SBX_EXT_RUNNING)
			return -EPERM;
		*to = SBX_EXT_READY;
		return 0;
	case SBX_EXT_OP_EVENT:
		if (from != SBX_EXT_READY)
			return -EPERM;
		*to = SBX_EXT_RUNNING;
		return 0;
	case SBX_EXT_OP_INIT_ERROR:
		if (from != SBX_EXT_REGISTERED)
			return -EPERM;
		*to = SBX_EXT_INIT_ERROR;
		return 0;
	case SBX_EXT_OP_EXIT_ERROR:
		if (from != SBX_EXT_REGISTERED && from != SBX_EXT_READY && from != SBX_EXT_RUNNING)
			return -EPERM;
		*to = SBX_EXT_EXIT_ERROR;
		return 0;
	}
	return -EPERM;
}

const char *sbx_ext_state_name(enum sbx_ext_state s)
{
	static const char *const names[] = {
	    [SBX_EXT_STARTED] = "Started",
	    [SBX_EXT_REGISTERED] = "Registered",
	    [SBX_EXT_READY] = "Ready",
	    [SBX_EXT_RUNNING] = "Running",
	    [SBX_EXT_INIT_ERROR] = "InitError",
	    [SBX_EXT_EXIT_ERROR] = "ExitError",
	    [SBX_EXT_EXITED] = "Exited",
	    [SBX_EXT_SHUTDOWN_FAILED] = "ShutdownFailed",
	    [SBX_EXT_LAUNCH_ERROR] = "LaunchError",
	    [SBX_EXT_CRASHED] = "Crashed",
	};
	if ((unsigned)s < sizeof(names) / sizeof(names[0]) && names[s])
		return names[s];
	return "Unknown";
}

int sbx_register_parse(const char *body, size_t len, unsigned *events, struct sbx_reg_error *e)
{
	cJSON *root = NULL, *ev, *keys, *it;
	int r = -EINVAL;

	*events = 0;
	e->type = "InvalidRequestFormat";
	e->message = "the register body must be a JSON object";
	if (!body || !len)
		return -EINVAL;
	root = cJSON_ParseWithLength(body, len);
	if (!root || !cJSON_IsObject(root))
		goto out;
	keys = cJSON_GetObjectItemCaseSensitive(root, "configurationKeys");
	if (keys && (!cJSON_IsArray(keys) || cJSON_GetArraySize(keys) > 0)) {
		e->message = "configurationKeys are deprecated; use environment variables";
		goto out;
	}
	ev = cJSON_GetObjectItemCaseSensitive(root, "events");
	if (ev && !cJSON_IsArray(ev) && !cJSON_IsNull(ev)) {
		e->message = "events must be an array";
		goto out;
	}
	cJSON_ArrayForEach(it, ev)
	{
		if (cJSON_IsString(it) && !strcmp(it->valuestring, "INVOKE")) {
			*events |= SBX_EV_INVOKE;
		} else if (cJSON_IsString(it) && !strcmp(it->valuestring, "SHUTDOWN")) {
			*events |= SBX_EV_SHUTDOWN;
		} else {
			e->type = "Extension.InvalidEventType";
			e->message = "events may only hold INVOKE and SHUTDOWN";
			goto out;
		}
	}
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

bool sbx_feature_requested(const char *list, const char *feature)
{
	size_t fl = strlen(feature);
	const char *p = list;

	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *end = p;
		while (*end && *end != ',')
			end++;
		const char *last = end;
		while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
			last--;
		if ((size_t)(last - p) == fl && !strncasecmp(p, feature, fl))
			return true;
		p = end;
	}
	return false;
}

static bool valid_error_type(const char *s)
{
	const char *rest;
	if (!strncmp(s, "Runtime.", 8))
		rest = s + 8;
	else if (!strncmp(s, "Function.", 9))
		rest = s + 9;
	else
		return false;
	if (!isupper((unsigned char)rest[0]))
		return false;
	for (const char *p = rest + 1; *p; p++)
		if (!isalpha((unsigned char)*p))
			return false;
	return rest[1] != '\0';
}

void sbx_error_type_normalize(const char *in, char *out, size_t outn)
{
	const char *v;
	if (in && strlen(in) < outn && valid_error_type(in))
		v = in;
	else if (in && !strncmp(in, "Function.", 9))
		v = "Function.Unknown";
	else
		v = "Runtime.Unknown";
	snprintf(out, outn, "%s", v);
}

bool sbx_is_uuid(const char *s)
{
	static const int dash[] = {8, 13, 18, 23};
	size_t i, d = 0;
	if (!s)
		return false;
	for (i = 0; i < 36; i++) {
		if (d < 4 && (int)i == dash[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return s[36] == '\0';
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long sbx_base64_decode(const char *in, size_t n, unsigned char *out, size_t outn)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0, i;

	while (n && in[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outn)
				return -EINVAL;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (bits >= 6) /* a single dangling character cannot encode a byte */
		return -EINVAL;
	return (long)o;
}
