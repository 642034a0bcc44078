/* Helpers shared by the engine's check suites (test_policies.c, test_xml.c):
 * policy files in a temporary folder, and questions to a result. Header
 * only: each suite is one program. */
#ifndef VIGIL_POL_TEST_H
#define VIGIL_POL_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pol.h"

static char ptest_dir[64];

/* Makes the suite's temporary folder. Call it in main, before the runner
 * forks: a folder a forked test made would be known to no one after it. */
static inline void ptest_setup(void)
{
	strcpy(ptest_dir, "/tmp/vigil-pol-XXXXXX");
	if (!mkdtemp(ptest_dir)) {
		perror("mkdtemp");
		exit(2);
	}
}

/* Writes text to NAME in the suite's temporary folder; the file's path,
 * valid until the next call. */
static inline const char *ptest_write_tmp(const char *name, const char *text)
{
	static char path[128];
	ck_assert_msg(ptest_dir[0], "ptest_setup() not called");
	snprintf(path, sizeof(path), "%s/%s", ptest_dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Removes the temporary folder. */
static inline void ptest_cleanup(void)
{
	if (!ptest_dir[0])
		return;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", ptest_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", ptest_dir);
}

/* The first finding of category c, or NULL. */
static inline const struct pol_finding *ptest_find_cat(const struct pol_result *r,
                                                       enum pol_category c)
{
	for (size_t i = 0; i < pol_result_count(r); i++)
		if (pol_result_finding(r, i)->category == c)
			return pol_result_finding(r, i);
	return NULL;
}

/* How many findings of category c. */
static inline size_t ptest_count_cat(const struct pol_result *r, enum pol_category c)
{
	size_t k = 0;
	for (size_t i = 0; i < pol_result_count(r); i++)
		k += pol_result_finding(r, i)->category == c;
	return k;
}

#endif
