/* The collector token from the environment, Secrets Manager and Parameter
 * Store, against a stand-in AWS endpoint that checks each request is
 * SigV4-signed for the right service and region. */
#include <check.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-collector.h"
#include "tel_secret_store.h"
#include "vg_log.h"

#define AKID    "AKIAIOSFODNN7EXAMPLE"
#define SECRET  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define SESSION "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"

/* What the stand-in checks and answers. */
struct aws_fake {
	const char *service; /* expected in the credential scope */
	const char *region;
	const char *target; /* expected X-Amz-Target */
	bool want_session;
	int status;        /* 200: answer with value below */
	const char *reply; /* the whole JSON reply */
	char problem[256]; /* the first thing found wrong; "" when none */
	char body[512];    /* the request body it read */
};

static bool all(const char *s, size_t n, int (*pred)(int))
{
	for (size_t i = 0; i < n; i++)
		if (!pred((unsigned char)s[i]))
			return false;
	return true;
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void hmac(const void *key, size_t kn, const char *msg, unsigned char out[32])
{
	unsigned int len = 32;
	HMAC(EVP_sha256(), key, (int)kn, (const unsigned char *)msg, strlen(msg), out, &len);
}

/* The signature AWS computes (Signature Version 4) for this request over
 * the headers it claims to sign: the stand-in checks the real thing. */
static void expected_signature(const struct fc_request *r, const char *signed_h,
                               const char *amz_date, const char *region, const char *service,
                               char sig[65])
{
	char canon[8192], sts[1024], hash[65], names[256], v[1024], key[128];
	unsigned char d[32], k1[32], k2[32], k3[32], k4[32];
	size_t n;

	n = (size_t)snprintf(canon, sizeof(canon), "%s\n%s\n\n", r->method, r->target);
	snprintf(names, sizeof(names), "%s", signed_h);
	for (char *save = NULL, *name = strtok_r(names, ";", &save); name;
	     name = strtok_r(NULL, ";", &save)) {
		fc_header(r, name, v, sizeof(v));
		n += (size_t)snprintf(canon + n, sizeof(canon) - n, "%s:%s\n", name, v);
	}
	SHA256((const unsigned char *)r->body, r->body_len, d);
	to_hex(d, 32, hash);
	snprintf(canon + n, sizeof(canon) - n, "\n%s\n%s", signed_h, hash);
	SHA256((const unsigned char *)canon, strlen(canon), d);
	to_hex(d, 32, hash);
	snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", amz_date,
	         amz_date, region, service, hash);
	snprintf(key, sizeof(key), "AWS4%s", SECRET);
	snprintf(v, sizeof(v), "%.8s", amz_date);
	hmac(key, strlen(key), v, k1);
	hmac(k1, 32, region, k2);
	hmac(k2, 32, service, k3);
	hmac(k3, 32, "aws4_request", k4);
	hmac(k4, 32, sts, d);
	to_hex(d, 32, sig);
}

static void check_request(struct aws_fake *f, const struct fc_request *r)
{
	char auth[1024], date[64], v[256], scope[256], want_sig[65];
	const char *p;

	if (strcmp(r->method, "POST")) {
		snprintf(f->problem, sizeof(f->problem), "method %s", r->method);
		return;
	}
	if (!fc_header(r, "X-Amz-Target", v, sizeof(v)) || strcmp(v, f->target)) {
		snprintf(f->problem, sizeof(f->problem), "X-Amz-Target missing or wrong");
		return;
	}
	if (!fc_header(r, "Content-Type", v, sizeof(v)) ||
	    strcmp(v, "application/x-amz-json-1.1")) {
		snprintf(f->problem, sizeof(f->problem), "Content-Type missing or wrong");
		return;
	}
	/* X-Amz-Date: 20261206T040000Z */
	if (!fc_header(r, "X-Amz-Date", date, sizeof(date)) || strlen(date) != 16 ||
	    !all(date, 8, isdigit) || date[8] != 'T' || !all(date + 9, 6, isdigit) ||
	    date[15] != 'Z') {
		snprintf(f->problem, sizeof(f->problem), "X-Amz-Date missing or malformed");
		return;
	}
	if (fc_header(r, "X-Amz-Security-Token", v, sizeof(v)) != f->want_session ||
	    (f->want_session && strcmp(v, SESSION))) {
		snprintf(f->problem, sizeof(f->problem), "X-Amz-Security-Token %s",
		         f->want_session ? "missing or wrong" : "sent without a session");
		return;
	}
	if (!fc_header(r, "Authorization", auth, sizeof(auth))) {
		snprintf(f->problem, sizeof(f->problem), "no Authorization");
		return;
	}
	/* AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
	 * SignedHeaders=a;b;c, Signature=<64 hex> */
	snprintf(scope, sizeof(scope), "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, ",
	         AKID, date, f->region, f->service);
	if (strncmp(auth, scope, strlen(scope))) {
		snprintf(f->problem, sizeof(f->problem), "credential scope: %.200s", auth);
		return;
	}
	p = auth + strlen(scope);
	if (strncmp(p, "SignedHeaders=", 14)) {
		snprintf(f->problem, sizeof(f->problem), "no SignedHeaders");
		return;
	}
	p += 14;
	{
		const char *end = strchr(p, ',');
		char signed_h[256];
		if (!end || (size_t)(end - p) >= sizeof(signed_h)) {
			snprintf(f->problem, sizeof(f->problem), "SignedHeaders malformed");
			return;
		}
		memcpy(signed_h, p, (size_t)(end - p));
		signed_h[end - p] = '\0';
		expected_signature(r, signed_h, date, f->region, f->service, want_sig);
		if (!strstr(signed_h, "host") || !strstr(signed_h, "x-amz-date") ||
		    (f->want_session && !strstr(signed_h, "x-amz-security-token"))) {
			snprintf(f->problem, sizeof(f->problem), "SignedHeaders lacks some: %.200s",
			         signed_h);
			return;
		}
		/* Every signed header must be one that was sent, or the real
		 * service computes another signature. */
		for (char *save = NULL, *name = strtok_r(signed_h, ";", &save); name;
		     name = strtok_r(NULL, ";", &save))
			if (!fc_header(r, name, v, sizeof(v))) {
				snprintf(f->problem, sizeof(f->problem),
				         "signed header %.60s was not sent", name);
				return;
			}
		p = end + 1;
	}
	while (*p == ' ')
		p++;
	if (strncmp(p, "Signature=", 10) || strlen(p + 10) != 64 || !all(p + 10, 64, isxdigit)) {
		snprintf(f->problem, sizeof(f->problem), "Signature malformed");
		return;
	}
	if (strcmp(p + 10, want_sig)) {
		snprintf(f->problem, sizeof(f->problem), "Signature does not verify");
		return;
	}
	/* The secret key itself never travels. */
	if (strstr(r->headers, SECRET) || strstr(r->body, SECRET))
		snprintf(f->problem, sizeof(f->problem), "the secret key was sent");
}

static void aws_handler(void *ctx, const struct fc_request *r, int *status, char **body)
{
	struct aws_fake *f = ctx;
	if (!f->problem[0])
		check_request(f, r);
	snprintf(f->body, sizeof(f->body), "%s", r->body);
	*status = f->status;
	free(*body);
	*body = strdup(f->reply);
}

static struct fake_collector *fc;

static void aws_env(bool session)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", fc_port(fc));
	setenv("VIGIL_AWS_ENDPOINT_URL", url, 1);
	setenv("AWS_ACCESS_KEY_ID", AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_REGION", "eu-central-1", 1);
	if (session)
		setenv("AWS_SESSION_TOKEN", SESSION, 1);
	else
		unsetenv("AWS_SESSION_TOKEN");
	unsetenv("VIGIL_COLLECTOR_TOKEN");
	unsetenv("VIGIL_COLLECTOR_TOKEN_SECRET");
	unsetenv("VIGIL_COLLECTOR_TOKEN_PARAM");
}

static void setup(void)
{
	ck_assert_int_eq(fc_start(&fc), 0);
}

static void teardown(void)
{
	fc_free(fc);
	fc = NULL;
}

/* Runs tel_secret_token with the log at debug into a pipe; returns the
 * log text (static) so tests can check the value never shows. */
static const char *resolve(int *rc, char **token, char *err, size_t errn)
{
	static char log[8192];
	int fds[2];
	ssize_t n;

	ck_assert_int_eq(pipe2(fds, O_NONBLOCK), 0);
	vg_log_init("vigil", VG_LOG_DEBUG);
	vg_log_set_fd(fds[1]);
	*rc = tel_secret_token(token, err, errn);
	vg_log_set_fd(2);
	n = read(fds[0], log, sizeof(log) - 1);
	log[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	close(fds[1]);
	return log;
}

START_TEST(secrets_manager_signed_with_session)
{
	struct aws_fake f = {.service = "secretsmanager",
	                     .region = "eu-central-1",
	                     .target = "secretsmanager.GetSecretValue",
	                     .want_session = true,
	                     .status = 200,
	                     .reply = "{\"ARN\":\"x\",\"Name\":\"vigil/collector\","
	                              "\"SecretString\":\"tok-from-sm-123\"}"};
	char *token, err[256];
	const char *log;
	int rc;

	aws_env(true);
	setenv("VIGIL_COLLECTOR_TOKEN_SECRET", "vigil/collector", 1);
	setenv("VIGIL_COLLECTOR_TOKEN", "plaintext-loses", 1);
	fc_set_handler(fc, aws_handler, &f);
	log = resolve(&rc, &token, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(f.problem, "");
	ck_assert_str_eq(token, "tok-from-sm-123");
	ck_assert_uint_eq(fc_count(fc), 1);
	cJSON *body = cJSON_Parse(f.body);
	ck_assert_str_eq(cJSON_GetObjectItem(body, "SecretId")->valuestring, "vigil/collector");
	cJSON_Delete(body);
	ck_assert_ptr_null(strstr(log, "tok-from-sm-123"));
	tel_secret_free(token);
}
END_TEST

START_TEST(secrets_manager_json_secret_and_arn_region)
{
	struct aws_fake f = {.service = "secretsmanager",
	                     .region = "us-west-2", /* the ARN's, not AWS_REGION */
	                     .target = "secretsmanager.GetSecretValue",
	                     .status = 200,
	                     .reply = "{\"SecretString\":\"{\\\"token\\\":\\\"tok-json\\\","
	                              "\\\"other\\\":1}\"}"};
	char *token, err[256];
	int rc;

	aws_env(false);
	setenv("VIGIL_COLLECTOR_TOKEN_SECRET",
	       "arn:aws:secretsmanager:us-west-2:123456789012:secret:vigil-AbCdEf", 1);
	fc_set_handler(fc, aws_handler, &f);
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(f.problem, "");
	ck_assert_str_eq(token, "tok-json");
	tel_secret_free(token);
}
END_TEST

START_TEST(parameter_store_with_decryption)
{
	struct aws_fake f = {.service = "ssm",
	                     .region = "eu-central-1",
	                     .target = "AmazonSSM.GetParameter",
	                     .want_session = true,
	                     .status = 200,
	                     .reply = "{\"Parameter\":{\"Name\":\"/vigil/token\",\"Type\":"
	                              "\"SecureString\",\"Value\":\"tok-ssm-456\\n\"}}"};
	char *token, err[256];
	const char *log;
	int rc;

	aws_env(true);
	setenv("VIGIL_COLLECTOR_TOKEN_PARAM", "/vigil/token", 1);
	fc_set_handler(fc, aws_handler, &f);
	log = resolve(&rc, &token, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(f.problem, "");
	ck_assert_str_eq(token, "tok-ssm-456"); /* the trailing newline trimmed */
	cJSON *body = cJSON_Parse(f.body);
	ck_assert_str_eq(cJSON_GetObjectItem(body, "Name")->valuestring, "/vigil/token");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(body, "WithDecryption")));
	cJSON_Delete(body);
	ck_assert_ptr_null(strstr(log, "tok-ssm-456"));
	tel_secret_free(token);
}
END_TEST

/* The stand-in's check has teeth: a request signed with another key does
 * not verify. */
START_TEST(stand_in_rejects_a_wrong_signature)
{
	struct aws_fake f = {.service = "ssm",
	                     .region = "eu-central-1",
	                     .target = "AmazonSSM.GetParameter",
	                     .status = 200,
	                     .reply = "{\"Parameter\":{\"Value\":\"v\"}}"};
	char *token, err[256];
	int rc;

	aws_env(false);
	setenv("AWS_SECRET_ACCESS_KEY", "another/secret/key", 1);
	setenv("VIGIL_COLLECTOR_TOKEN_PARAM", "/vigil/token", 1);
	fc_set_handler(fc, aws_handler, &f);
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_str_eq(f.problem, "Signature does not verify");
	tel_secret_free(token);
}
END_TEST

START_TEST(refusal_names_the_error_not_the_value)
{
	struct aws_fake f = {.service = "ssm",
	                     .region = "eu-central-1",
	                     .target = "AmazonSSM.GetParameter",
	                     .status = 400,
	                     .reply = "{\"__type\":\"com.amazonaws#AccessDeniedException\","
	                              "\"Message\":\"not allowed\"}"};
	char *token, err[256];
	int rc;

	aws_env(false);
	setenv("VIGIL_COLLECTOR_TOKEN_PARAM", "/vigil/token", 1);
	fc_set_handler(fc, aws_handler, &f);
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, -EACCES);
	ck_assert_ptr_null(token);
	ck_assert_ptr_nonnull(strstr(err, "AccessDeniedException"));
	ck_assert_ptr_nonnull(strstr(err, "400"));
}
END_TEST

START_TEST(server_error_and_bad_replies)
{
	struct aws_fake f = {.service = "secretsmanager",
	                     .region = "eu-central-1",
	                     .target = "secretsmanager.GetSecretValue",
	                     .status = 500,
	                     .reply = "{}"};
	char *token, err[256];
	int rc;

	aws_env(false);
	setenv("VIGIL_COLLECTOR_TOKEN_SECRET", "s", 1);
	fc_set_handler(fc, aws_handler, &f);
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, -EIO);
	/* A binary secret, a value with a line break in it: not a token. */
	f.status = 200;
	f.reply = "{\"SecretBinary\":\"AAEC\"}";
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, -EIO);
	f.reply = "{\"SecretString\":\"a\\r\\nX-Injected: 1\"}";
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_null(token);
	f.reply = "not json";
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, -EIO);
}
END_TEST

START_TEST(down_endpoint_fails_in_bounded_time)
{
	char *token, err[256];
	int rc;

	aws_env(false);
	setenv("VIGIL_COLLECTOR_TOKEN_SECRET", "s", 1);
	fc_down(fc);
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, -EIO);
	ck_assert_ptr_null(token);
}
END_TEST

START_TEST(environment_token_and_none)
{
	char *token, err[256];
	int rc;

	aws_env(false);
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_null(token);
	setenv("VIGIL_COLLECTOR_TOKEN", "  env-token  ", 1);
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(token, "env-token");
	tel_secret_free(token);
	ck_assert_uint_eq(fc_count(fc), 0); /* no call made */
}
END_TEST

START_TEST(missing_credentials_or_region)
{
	char *token, err[256];
	int rc;

	aws_env(false);
	setenv("VIGIL_COLLECTOR_TOKEN_SECRET", "s", 1);
	unsetenv("AWS_SECRET_ACCESS_KEY");
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "credentials"));
	aws_env(false);
	setenv("VIGIL_COLLECTOR_TOKEN_SECRET", "s", 1);
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, -EINVAL);
	setenv("AWS_REGION", "eu-central-1/../x", 1);
	resolve(&rc, &token, err, sizeof(err));
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_uint_eq(fc_count(fc), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("secret-store");
	TCase *tc = tcase_create("token");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, secrets_manager_signed_with_session);
	tcase_add_test(tc, secrets_manager_json_secret_and_arn_region);
	tcase_add_test(tc, parameter_store_with_decryption);
	tcase_add_test(tc, stand_in_rejects_a_wrong_signature);
	tcase_add_test(tc, refusal_names_the_error_not_the_value);
	tcase_add_test(tc, server_error_and_bad_replies);
	tcase_add_test(tc, down_endpoint_fails_in_bounded_time);
	tcase_add_test(tc, environment_token_and_none);
	tcase_add_test(tc, missing_credentials_or_region);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
