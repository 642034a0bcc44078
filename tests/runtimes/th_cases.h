/* The Check runner the integration suites share: one TCase per case, so
 * that meson can run each case as its own test (argv[1] names it). */
#ifndef TH_CASES_H
#define TH_CASES_H

#include <check.h>
#include <cjson/cJSON.h>
#include <stddef.h>
#include <string.h>

#include "harness.h"

struct th_case {
	const char *name;
	const TTest *fn;
};

/* Runs every case, or only the one argv[1] names, each with teardown as
 * its checked fixture and a timeout in seconds. The exit status: 0 when
 * at least one case ran and none failed. */
static inline int th_run_cases(const char *suite, const struct th_case *cases, size_t n,
                               void (*teardown)(void), double timeout_s, int argc, char **argv)
{
	Suite *s = suite_create(suite);
	for (size_t i = 0; i < n; i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, NULL, teardown);
		tcase_set_timeout(tc, timeout_s);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	srunner_run(sr, NULL, argc > 1 ? argv[1] : NULL, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	int run = srunner_ntests_run(sr);
	srunner_free(sr);
	return failed == 0 && run > 0 ? 0 : 1;
}

/* Invokes through sb and checks the outcome: success when error_type is
 * NULL, else an unhandled function error of exactly that type. */
static inline void th_invoke_expect(struct th_sandbox *sb, const char *event,
                                    const char *error_type, struct th_resp *r)
{
	char fe[64];
	ck_assert_int_eq(th_sandbox_invoke(sb, event, r), 0);
	ck_assert_int_eq(r->status, 200);
	if (!error_type) {
		ck_assert_msg(!th_resp_header(r, "X-Amz-Function-Error", fe, sizeof(fe)),
		              "unexpected function error: %.300s", r->body);
		return;
	}
	ck_assert(th_resp_header(r, "X-Amz-Function-Error", fe, sizeof(fe)));
	ck_assert_str_eq(fe, "Unhandled");
	cJSON *o = cJSON_Parse(r->body);
	ck_assert_msg(o != NULL, "not JSON: %.300s", r->body);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "errorType");
	ck_assert_msg(cJSON_IsString(t) && !strcmp(t->valuestring, error_type),
	              "errorType %s, not %s", cJSON_IsString(t) ? t->valuestring : "(none)",
	              error_type);
	cJSON_Delete(o);
}

#endif
