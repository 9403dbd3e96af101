/*
 * checks.h: CHECK for the C test programs of tests/client and tests/desktop.
 * A program runs all its checks, prints every one that fails with its
 * place, and ends main with return checks_result("test_x"). Include it in
 * the one source file of the program (it defines the static counter).
 */
#ifndef CRM_TESTS_CHECKS_H
#define CRM_TESTS_CHECKS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                \
			failures++;                                                    \
		}                                                                      \
	} while (0)

/* Whether got (a new string, freed here; NULL is no match) is want:
 * CHECK(freed_is(crm_session_path(), "/x/session")). */
static inline bool freed_is(char *got, const char *want) {
	bool same = got != NULL && strcmp(got, want) == 0;

	free(got);
	return same;
}

/* main's exit code: 1 if a check failed (and how many, on stderr), else 0
 * ("name: ok" on stdout). */
static inline int checks_result(const char *name) {
	if (failures > 0) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

#endif
