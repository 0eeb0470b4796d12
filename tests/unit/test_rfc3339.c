#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "torq/rfc3339.h"
#include "torq/banned.h"

/* Times as the API writes them, against date(1)'s answers. */
static void test_valid(void **state)
{
	static const struct {
		const char *s;
		long long sec;
		long nsec;
	} t[] = {
		{ "2024-02-29T00:00:00Z", 1709164800, 0 },
		{ "2000-03-01T12:34:56Z", 951914096, 0 },
		{ "1999-12-31T23:59:59Z", 946684799, 0 },
		{ "2026-12-04T10:00:00Z", 1796378400, 0 },
		{ "2026-12-04T10:00:00.490771179Z", 1796378400, 490771179 },
		{ "2026-12-04T10:00:00.5z", 1796378400, 500000000 },
		{ "2026-12-04T12:30:00+02:30", 1796378400, 0 },
		{ "2026-12-04T05:00:00-05:00", 1796378400, 0 },
		{ "2026-12-04 10:00:00Z", 1796378400, 0 },
	};
	long long sec;
	long nsec;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(rfc3339_parse(t[i].s, &sec, &nsec), 0);
		assert_int_equal(sec, t[i].sec);
		assert_int_equal(nsec, t[i].nsec);
	}
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
		"", "yesterday", "2026-13-01T00:00:00Z", "2026-12-00T00:00:00Z",
		"2026-12-04T24:00:00Z", "2026-12-04T10:60:00Z",
		"2026-12-04T10:00:00", "2026-12-04T10:00:00Zjunk",
		"2026-12-04T10:00:00+0200", "2026-12-04", "26-12-04T10:00:00Z",
		NULL,
	};
	long long sec;
	long nsec;
	size_t i;

	(void)state;
	for (i = 0; bad[i]; i++)
		assert_int_equal(rfc3339_parse(bad[i], &sec, &nsec), -1);
	assert_int_equal(rfc3339_parse(NULL, &sec, &nsec), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
