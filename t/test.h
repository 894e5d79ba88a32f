/*
 * test.h: a tiny TAP producer for pica's C unit tests.
 *
 *	int main(void) {
 *		plan(2);
 *		ok(1 + 1 == 2, "addition");
 *		is_str(s, "x", "s is x");
 *		return done();
 *	}
 *
 * A test file may #include a lib/ .c file to reach its static functions.
 */
#ifndef PICA_TEST_H
#define PICA_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	test_n, test_failed, test_planned;

static inline void
plan(int n)
{
	test_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	test_n++;
	printf("%s %d - ", cond ? "ok" : "not ok", test_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		test_failed++;
	return cond;
}

#define is_int(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!ok(g_ == w_, __VA_ARGS__))					\
		printf("#   got %lld, want %lld\n", g_, w_);		\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!ok(g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0,	\
	    __VA_ARGS__))						\
		printf("#   got \"%s\"\n#  want \"%s\"\n",		\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

/* Print a diagnostic line (prefixed with "# "). */
static inline void __attribute__((format(printf, 1, 2)))
diag(const char *fmt, ...)
{
	va_list	 ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Exit status for main: non-zero when a test failed or the plan is off. */
static inline int
done(void)
{
	if (test_planned && test_n != test_planned) {
		diag("planned %d tests, ran %d", test_planned, test_n);
		return 1;
	}
	return test_failed ? 1 : 0;
}

#endif
