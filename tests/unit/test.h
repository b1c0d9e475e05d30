/* A minimal test harness: CHECK-style assertions that count and report, so one failing
 * assertion does not hide the others. Each test program ends with test_report(), which
 * prints "<suite>: N passed, N failed" and returns the exit status. */
#ifndef STAMP_TEST_H
#define STAMP_TEST_H

#include <stdio.h>
#include <string.h>

static int test_passed;
static int test_failed;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (cond) {                                                           \
			test_passed++;                                                \
		} else {                                                              \
			test_failed++;                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                     \
	} while (0)

#define CHECK_MSG(cond, ...)                                                          \
	do {                                                                          \
		if (cond) {                                                           \
			test_passed++;                                                \
		} else {                                                              \
			test_failed++;                                                \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                 \
			fputc('\n', stderr);                                          \
		}                                                                     \
	} while (0)

#define CHECK_STR(actual, expected)                                                   \
	do {                                                                          \
		const char *test_a_ = (actual);                                       \
		const char *test_e_ = (expected);                                     \
		CHECK_MSG(test_a_ && strcmp(test_a_, test_e_) == 0,                   \
			  "got \"%s\", want \"%s\"", test_a_ ? test_a_ : "(null)", test_e_); \
	} while (0)

static inline int test_report(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif
