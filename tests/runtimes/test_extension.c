/* test-extension: an external Lambda extension for tests whose behaviour is
 * chosen by the name it was started under (link it into
 * OPT/extensions/NAME; th_opt_add_extension does). It registers under that
 * basename and prints what it does on stdout ("NAME: ..."), which the
 * sandbox echoes as "[extension:NAME] NAME: ...". The name contains:
 *
 *   ok            INVOKE+SHUTDOWN; "NAME: invoke ID" / "NAME: shutdown REASON"; exit 0
 *   invoke-only   INVOKE only (so the sandbox SIGKILLs it at shutdown)
 *   slow-invoke   like ok, but spends 300 ms on each INVOKE before next
 *   crash-init    registers, then exits 1 before its first next
 *   crash-invoke  exits 1 on its first INVOKE
 *   noregister    never registers (sleeps)
 *   wrongname     registers as "not-NAME" with SHUTDOWN (expects 403), then as
 *                 "not-NAME" with INVOKE only (becomes internal), then waits
 *   initerror     registers, posts init/error Extension.TestInit, exits 1
 *   exiterror     on its first INVOKE posts exit/error Extension.TestExit, exits 1
 *   hang-shutdown on SHUTDOWN ignores it and sleeps (killed at the deadline)
 *   probe         before its first next, checks the Extensions API's 403
 *                 cases and prints "NAME: probe ok CASE" or "NAME: probe FAIL
 *                 CASE ...", then "NAME: probe done"; then behaves like ok
 */
#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char base[256], name[256];
static char id_header[128];

static const char *url(const char *path)
{
	static char u[512];
	snprintf(u, sizeof(u), "http://%s%s", getenv("AWS_LAMBDA_RUNTIME_API"), path);
	return u;
}

static long do_register(const char *as, const char *body, char *id, size_t idn, char *etype,
                        size_t en)
{
	char h1[300];
	struct th_resp r;
	snprintf(h1, sizeof(h1), "Lambda-Extension-Name: %s", as);
	const char *h[] = {h1, "Lambda-Extension-Accept-Feature: accountId", NULL};
	if (th_http("POST", url("/2020-01-01/extension/register"), h, body, strlen(body), 10000,
	            &r) < 0)
		return 0;
	if (id)
		th_resp_header(&r, "Lambda-Extension-Identifier", id, idn);
	if (etype) {
		cJSON *o = cJSON_Parse(r.body),
		      *t = cJSON_GetObjectItemCaseSensitive(o, "errorType");
		snprintf(etype, en, "%s", cJSON_IsString(t) ? t->valuestring : "");
		cJSON_Delete(o);
	}
	if (r.status == 200)
		printf("%s: registered %.*s\n", name, (int)strcspn(r.body, "\n"), r.body);
	long st = r.status;
	th_resp_fini(&r);
	return st;
}

/* A call with an optional id header; returns the status and the errorType. */
static long call(const char *method, const char *path, const char *id, const char *extra,
                 char *etype, size_t en)
{
	char h1[200];
	const char *h[3] = {NULL, NULL, NULL};
	int n = 0;
	struct th_resp r;
	if (id) {
		snprintf(h1, sizeof(h1), "Lambda-Extension-Identifier: %s", id);
		h[n++] = h1;
	}
	if (extra)
		h[n++] = extra;
	if (th_http(method, url(path), h, strcmp(method, "GET") ? "{}" : NULL, 2, 5000, &r) < 0)
		return 0;
	cJSON *o = cJSON_Parse(r.body), *t = cJSON_GetObjectItemCaseSensitive(o, "errorType");
	snprintf(etype, en, "%s", cJSON_IsString(t) ? t->valuestring : "");
	cJSON_Delete(o);
	long st = r.status;
	th_resp_fini(&r);
	return st;
}

static void expect(const char *what, long st, const char *etype, long want_st, const char *want)
{
	if (st == want_st && !strcmp(etype, want))
		printf("%s: probe ok %s\n", name, what);
	else
		printf("%s: probe FAIL %s: got %ld %s, want %ld %s\n", name, what, st, etype,
		       want_st, want);
}

static void probe(const char *id)
{
	char et[128];
	long st;

	st = do_register(name, "{\"events\":[\"INVOKE\"]}", NULL, 0, et, sizeof(et));
	expect("second-register", st, et, 403, "Extension.InvalidExtensionState");
	st = do_register("", "{}", NULL, 0, et, sizeof(et));
	expect("empty-name", st, et, 403, "Extension.InvalidExtensionName");
	st = do_register("probe-internal", "{not json", NULL, 0, et, sizeof(et));
	expect("bad-json", st, et, 403, "InvalidRequestFormat");
	st = do_register("probe-internal", "{\"events\":[\"BOGUS\"]}", NULL, 0, et, sizeof(et));
	expect("bad-event", st, et, 403, "Extension.InvalidEventType");
	st = do_register("probe-internal", "{\"configurationKeys\":[\"a\"]}", NULL, 0, et,
	                 sizeof(et));
	expect("configuration-keys", st, et, 403, "InvalidRequestFormat");
	st = call("GET", "/2020-01-01/extension/event/next", NULL, NULL, et, sizeof(et));
	expect("next-missing-id", st, et, 403, "Extension.MissingExtensionIdentifier");
	st = call("GET", "/2020-01-01/extension/event/next", "not-a-uuid", NULL, et, sizeof(et));
	expect("next-invalid-id", st, et, 403, "Extension.InvalidExtensionIdentifier");
	st = call("GET", "/2020-01-01/extension/event/next", "00000000-0000-4000-8000-000000000000",
	          NULL, et, sizeof(et));
	expect("next-unknown-id", st, et, 403, "Extension.UnknownExtensionIdentifier");
	st = call("POST", "/2020-01-01/extension/init/error", id, NULL, et, sizeof(et));
	expect("init-error-missing-header", st, et, 403, "Extension.MissingHeader");
	st = call("POST", "/2020-01-01/extension/exit/error", NULL,
	          "Lambda-Extension-Function-Error-Type: Extension.X", et, sizeof(et));
	expect("exit-error-missing-id", st, et, 403, "Extension.MissingExtensionIdentifier");
	st = call("PUT", "/2022-07-01/telemetry", "00000000-0000-4000-8000-000000000000", NULL, et,
	          sizeof(et));
	expect("telemetry-unknown-id", st, et, 403, "Extension.UnknownExtensionIdentifier");
	st = call("PUT", "/2020-08-15/logs", id, NULL, et, sizeof(et));
	expect("logs-not-supported", st, et, 202, "Logs.NotSupported");
	if (getenv("LAMBDA_TASK_ROOT") || getenv("_HANDLER") || getenv("AWS_LAMBDA_LOG_GROUP_NAME"))
		printf("%s: probe FAIL env: runtime-only variables visible\n", name);
	else if (!getenv("AWS_LAMBDA_FUNCTION_NAME") || !getenv("AWS_LAMBDA_RUNTIME_API"))
		printf("%s: probe FAIL env: Lambda variables missing\n", name);
	else
		printf("%s: probe ok env\n", name);
	printf("%s: probe done\n", name);
}

static bool has(const char *what)
{
	return strstr(base, what) != NULL;
}

int main(int argc, char **argv)
{
	char id[64] = "", et[128];
	bool invoked = false;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(base, sizeof(base), "%s", basename(argv[0]));
	snprintf(name, sizeof(name), "%s", base);
	printf("%s: started\n", name);

	if (has("noregister"))
		for (;;)
			pause();
	if (has("wrongname")) {
		char other[300];
		snprintf(other, sizeof(other), "not-%s", name);
		long st = do_register(other, "{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}", NULL, 0, et,
		                      sizeof(et));
		printf("%s: register as %s with SHUTDOWN: %ld %s\n", name, other, st, et);
		st =
		    do_register(other, "{\"events\":[\"INVOKE\"]}", id, sizeof(id), et, sizeof(et));
		printf("%s: register as %s with INVOKE: %ld\n", name, other, st);
		for (;;)
			pause();
	}
	const char *events = has("invoke-only") ? "{\"events\":[\"INVOKE\"]}"
	                                        : "{\"events\":[\"INVOKE\",\"SHUTDOWN\"]}";
	if (do_register(name, events, id, sizeof(id), NULL, 0) != 200) {
		printf("%s: register failed\n", name);
		return 1;
	}
	snprintf(id_header, sizeof(id_header), "%s", id);
	if (has("crash-init")) {
		printf("%s: crashing during init\n", name);
		return 1;
	}
	if (has("initerror")) {
		long st = call("POST", "/2020-01-01/extension/init/error", id,
		               "Lambda-Extension-Function-Error-Type: Extension.TestInit", et,
		               sizeof(et));
		printf("%s: init/error status %ld\n", name, st);
		return 1;
	}
	if (has("probe"))
		probe(id);

	for (;;) {
		char h1[200];
		struct th_resp r;
		snprintf(h1, sizeof(h1), "Lambda-Extension-Identifier: %s", id);
		const char *h[] = {h1, NULL};
		if (th_http("GET", url("/2020-01-01/extension/event/next"), h, NULL, 0, 0, &r) <
		        0 ||
		    r.status != 200) {
			printf("%s: next failed (%ld %s)\n", name, r.status, r.body ? r.body : "");
			th_resp_fini(&r);
			return 1;
		}
		cJSON *ev = cJSON_Parse(r.body);
		cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "eventType");
		if (cJSON_IsString(type) && !strcmp(type->valuestring, "INVOKE")) {
			cJSON *rid = cJSON_GetObjectItemCaseSensitive(ev, "requestId");
			printf("%s: invoke %s\n", name,
			       cJSON_IsString(rid) ? rid->valuestring : "?");
			if (has("crash-invoke")) {
				printf("%s: crashing during invoke\n", name);
				return 1;
			}
			if (has("exiterror") && !invoked) {
				long st =
				    call("POST", "/2020-01-01/extension/exit/error", id,
				         "Lambda-Extension-Function-Error-Type: Extension.TestExit",
				         et, sizeof(et));
				printf("%s: exit/error status %ld\n", name, st);
				return 1;
			}
			invoked = true;
			if (has("slow-invoke"))
				usleep(300 * 1000);
		} else if (cJSON_IsString(type) && !strcmp(type->valuestring, "SHUTDOWN")) {
			cJSON *reason = cJSON_GetObjectItemCaseSensitive(ev, "shutdownReason");
			cJSON *dl = cJSON_GetObjectItemCaseSensitive(ev, "deadlineMs");
			printf("%s: shutdown %s deadline %s\n", name,
			       cJSON_IsString(reason) ? reason->valuestring : "?",
			       cJSON_IsNumber(dl) ? "set" : "missing");
			if (has("hang-shutdown"))
				for (;;)
					pause();
			cJSON_Delete(ev);
			th_resp_fini(&r);
			return 0;
		} else {
			printf("%s: unexpected event %s\n", name, r.body);
		}
		cJSON_Delete(ev);
		th_resp_fini(&r);
	}
}
