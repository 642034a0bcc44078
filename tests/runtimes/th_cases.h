/* The Check runner the integration suites share: one TCase per case, so
 * that meson can run each case as its own test (argv[1] names it). */
#ifndef TH_CASES_H
#define TH_CASES_H

#include <check.h>
#include <stddef.h>

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

#endif
