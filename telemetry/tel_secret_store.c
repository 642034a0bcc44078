/* The collector token from the environment, Secrets Manager or SSM
 * Parameter Store. See tel_secret_store.h. */
#include "tel_secret_store.h"
#include "tel_tls.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_buf.h"
#include "vg_log.h"

#define REPLY_MAX (256 * 1024) /* a 64 KiB secret, JSON-escaped, with metadata */
#define TOKEN_MAX 8192         /* it travels in a header */

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static void say(char *err, size_t errn, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errn, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errn)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errn, fmt, ap);
	va_end(ap);
}

void tel_secret_free(char *token)
{
	if (!token)
		return;
	/* volatile so the wipe is not optimised away before free */
	for (volatile char *p = token; *p; p++)
		*p = 0;
	free(token);
}

/* A copy of s fit for an Authorization header: surrounding whitespace
 * trimmed, no control bytes, bounded. NULL when it cannot be a token. */
static char *token_of(const char *s, size_t n)
{
	char *t;

	while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (!n || n > TOKEN_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	t = malloc(n + 1);
	if (t) {
		memcpy(t, s, n);
		t[n] = '\0';
	}
	return t;
}

/* The region an ARN names (arn:partition:service:region:...), copied into
 * out; false when s is not an ARN or names none. */
static bool arn_region(const char *s, char *out, size_t n)
{
	const char *p = s, *end;

	if (strncmp(s, "arn:", 4))
		return false;
	for (int field = 0; field < 3; field++) {
		p = strchr(p, ':');
		if (!p)
			return false;
		p++;
	}
	end = strchr(p, ':');
	if (!end || end == p || (size_t)(end - p) >= n)
		return false;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return true;
}

static size_t on_reply(char *p, size_t size, size_t n, void *ud)
{
	struct vg_buf *b = ud;
	/* Past the cap the transfer fails: a reply that large is not ours. */
	return vg_buf_append(b, p, size * n) == 0 ? size * n : 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The AWS JSON protocol's error type ("__type", its namespace dropped). */
static void error_type(const struct vg_buf *reply, char *out, size_t n)
{
	cJSON *j = cJSON_ParseWithLength(reply->data ? reply->data : "", reply->len);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "__type");
	const char *s = cJSON_IsString(t) ? t->valuestring : "unknown error";
	const char *hash = strrchr(s, '#');

	snprintf(out, n, "%s", hash ? hash + 1 : s);
	/* Never echo anything that is not a plain error name. */
	for (char *p = out; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_'))
			*p = '?';
	cJSON_Delete(j);
}

/* One signed call of the AWS JSON protocol: POST {target} with body. */
static int aws_call(const char *service, const char *target, const char *id, const char *body,
                    struct vg_buf *reply, char *err, size_t errn)
{
	const char *akid = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *session = env("AWS_SESSION_TOKEN"), *base = env("VIGIL_AWS_ENDPOINT_URL");
	char region[64], url[512], sigv4[160], hdr_target[160], *hdr_session = NULL;
	struct curl_slist *h = NULL;
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	int rc;

	if (!akid || !secret) {
		say(err, errn,
		    "no AWS credentials in the environment (AWS_ACCESS_KEY_ID, "
		    "AWS_SECRET_ACCESS_KEY)");
		return -EINVAL;
	}
	if (!arn_region(id, region, sizeof(region))) {
		const char *r = env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");
		if (!r || strlen(r) >= sizeof(region)) {
			say(err, errn, "no AWS region (AWS_REGION)");
			return -EINVAL;
		}
		snprintf(region, sizeof(region), "%s", r);
	}
	for (const char *p = region; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
			say(err, errn, "AWS region is not a region name");
			return -EINVAL;
		}
	if (base)
		snprintf(url, sizeof(url), "%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/");
	else
		snprintf(url, sizeof(url), "https://%s.%s.amazonaws.com/", service, region);
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:%s", region, service);
	snprintf(hdr_target, sizeof(hdr_target), "X-Amz-Target: %s", target);

	pthread_once(&curl_once, curl_init_once);
	rc = -ENOMEM;
	if (!(c = curl_easy_init()))
		goto out;
	if (session && asprintf(&hdr_session, "X-Amz-Security-Token: %s", session) < 0) {
		hdr_session = NULL;
		goto out;
	}
	h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.1");
	h = h ? curl_slist_append(h, hdr_target) : NULL;
	if (h && hdr_session)
		h = curl_slist_append(h, hdr_session);
	/* No "Expect:" override here: libcurl would sign the empty header it
	 * then leaves out, and the service would compute another signature. */
	if (!h)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, akid);
	curl_easy_setopt(c, CURLOPT_PASSWORD, secret);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)TEL_SECRET_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)TEL_SECRET_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil");
	if (tel_ca_bundle())
		curl_easy_setopt(c, CURLOPT_CAINFO, tel_ca_bundle());
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		say(err, errn, "%s %s: %s", service, target, curl_easy_strerror(cc));
		rc = -EIO;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		char type[96];
		error_type(reply, type, sizeof(type));
		say(err, errn, "%s %s: HTTP %ld %s", service, target, status, type);
		rc = status >= 400 && status < 500 ? -EACCES : -EIO;
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(h);
	if (hdr_session) {
		memset(hdr_session, 0, strlen(hdr_session));
		free(hdr_session);
	}
	if (c)
		curl_easy_cleanup(c);
	if (rc == -ENOMEM)
		say(err, errn, "out of memory");
	return rc;
}

/* Wipes a reply (it held the secret) and frees it. */
static void reply_wipe(struct vg_buf *b)
{
	if (b->data)
		memset(b->data, 0, b->cap);
	vg_buf_fini(b);
}

/* Wipes a cJSON tree's strings before freeing it. */
static void json_wipe(cJSON *j)
{
	for (cJSON *c = j; c; c = c->next) {
		if (c->valuestring)
			memset(c->valuestring, 0, strlen(c->valuestring));
		json_wipe(c->child);
	}
}

static int from_secrets_manager(const char *id, char **token, char *err, size_t errn)
{
	struct vg_buf reply = VG_BUF_INIT(REPLY_MAX);
	cJSON *req = cJSON_CreateObject(), *j = NULL, *inner = NULL;
	const cJSON *s;
	char *body = NULL;
	int rc = -ENOMEM;

	if (!req || !cJSON_AddStringToObject(req, "SecretId", id) ||
	    !(body = cJSON_PrintUnformatted(req)))
		goto out;
	rc = aws_call("secretsmanager", "secretsmanager.GetSecretValue", id, body, &reply, err,
	              errn);
	if (rc < 0)
		goto out;
	rc = -EIO;
	j = cJSON_ParseWithLength(reply.data ? reply.data : "", reply.len);
	s = cJSON_GetObjectItemCaseSensitive(j, "SecretString");
	if (!cJSON_IsString(s)) {
		say(err, errn, "secret %s has no SecretString", id);
		goto out;
	}
	/* A JSON object secret carries the token in "token". */
	inner = cJSON_Parse(s->valuestring);
	if (cJSON_IsObject(inner)) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(inner, "token");
		if (!cJSON_IsString(t)) {
			say(err, errn, "secret %s is a JSON object without a string \"token\"", id);
			rc = -EINVAL;
			goto out;
		}
		s = t;
	}
	*token = token_of(s->valuestring, strlen(s->valuestring));
	rc = *token ? 0 : -EINVAL;
	if (rc)
		say(err, errn, "secret %s is empty, too long or holds control bytes", id);
out:
	json_wipe(inner);
	cJSON_Delete(inner);
	json_wipe(j);
	cJSON_Delete(j);
	cJSON_Delete(req);
	free(body);
	reply_wipe(&reply);
	if (rc == -ENOMEM)
		say(err, errn, "out of memory");
	return rc;
}

static int from_parameter_store(const char *name, char **token, char *err, size_t errn)
{
	struct vg_buf reply = VG_BUF_INIT(REPLY_MAX);
	cJSON *req = cJSON_CreateObject(), *j = NULL;
	const cJSON *v;
	char *body = NULL;
	int rc = -ENOMEM;

	if (!req || !cJSON_AddStringToObject(req, "Name", name) ||
	    !cJSON_AddTrueToObject(req, "WithDecryption") || !(body = cJSON_PrintUnformatted(req)))
		goto out;
	rc = aws_call("ssm", "AmazonSSM.GetParameter", name, body, &reply, err, errn);
	if (rc < 0)
		goto out;
	rc = -EIO;
	j = cJSON_ParseWithLength(reply.data ? reply.data : "", reply.len);
	v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "Parameter"),
	                                     "Value");
	if (!cJSON_IsString(v)) {
		say(err, errn, "parameter %s has no Value", name);
		goto out;
	}
	*token = token_of(v->valuestring, strlen(v->valuestring));
	rc = *token ? 0 : -EINVAL;
	if (rc)
		say(err, errn, "parameter %s is empty, too long or holds control bytes", name);
out:
	json_wipe(j);
	cJSON_Delete(j);
	cJSON_Delete(req);
	free(body);
	reply_wipe(&reply);
	if (rc == -ENOMEM)
		say(err, errn, "out of memory");
	return rc;
}

int tel_secret_token(char **token, char *err, size_t errn)
{
	const char *secret = env("VIGIL_COLLECTOR_TOKEN_SECRET");
	const char *param = env("VIGIL_COLLECTOR_TOKEN_PARAM");
	const char *plain = env("VIGIL_COLLECTOR_TOKEN");
	int rc;

	*token = NULL;
	say(err, errn, "ok");
	if (secret) {
		vg_log_debug("reading the collector token from Secrets Manager");
		rc = from_secrets_manager(secret, token, err, errn);
	} else if (param) {
		vg_log_debug("reading the collector token from Parameter Store");
		rc = from_parameter_store(param, token, err, errn);
	} else if (plain) {
		*token = token_of(plain, strlen(plain));
		rc = *token ? 0 : -EINVAL;
		if (rc)
			say(err, errn, "VIGIL_COLLECTOR_TOKEN is too long or holds control bytes");
	} else {
		rc = 0; /* no token: the collector is open, or there is none */
	}
	return rc;
}
