/* Retry delays, jitter and Retry-After. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "torq/backoff.h"
#include "torq/banned.h"

#define DAY_MS ((int64_t)86400 * 1000)

static void test_backoff_delay_doubles_with_equal_jitter(void **state)
{
	(void)state;
	/* d = 100: 50 + rnd % 51. */
	assert_int_equal(backoff_delay_ms(1, 100, 10000, 0), 50);
	assert_int_equal(backoff_delay_ms(1, 100, 10000, 50), 100);
	assert_int_equal(backoff_delay_ms(1, 100, 10000, 51), 50);
	assert_int_equal(backoff_delay_ms(1, 100, 10000, 7), 57);
	/* d = 200, 400, 800. */
	assert_int_equal(backoff_delay_ms(2, 100, 10000, 0), 100);
	assert_int_equal(backoff_delay_ms(2, 100, 10000, 100), 200);
	assert_int_equal(backoff_delay_ms(3, 100, 10000, 0), 200);
	assert_int_equal(backoff_delay_ms(3, 100, 10000, 200), 400);
	assert_int_equal(backoff_delay_ms(4, 100, 10000, 400), 800);
	/* Attempt 0 is taken as the first retry. */
	assert_int_equal(backoff_delay_ms(0, 100, 10000, 50), 100);
}

static void test_backoff_delay_is_capped(void **state)
{
	(void)state;
	/* 100 * 2^7 = 12800 is over the cap of 10000. */
	assert_int_equal(backoff_delay_ms(8, 100, 10000, 0), 5000);
	assert_int_equal(backoff_delay_ms(8, 100, 10000, 5000), 10000);
	assert_int_equal(backoff_delay_ms(1000, 100, 10000, 5000), 10000);
	assert_int_equal(backoff_delay_ms(UINT_MAX, 100, 10000, 0), 5000);
	/* A base over the cap is cut to it. */
	assert_int_equal(backoff_delay_ms(1, 50000, 10000, 5000), 10000);
	/* Doubling near INT64_MAX must not overflow (UBSan would say). */
	assert_int_equal(backoff_delay_ms(200, 3, INT64_MAX, 0),
			 INT64_MAX / 2);
	assert_int_equal(backoff_delay_ms(5, 0, 1000, 123), 0);
	assert_int_equal(backoff_delay_ms(5, 100, 0, 123), 0);
	assert_int_equal(backoff_delay_ms(5, -100, 1000, 123), 0);
}

static void test_backoff_delay_range(void **state)
{
	uint32_t seed = 42, r;
	int64_t d, nominal, got;
	unsigned attempt;
	int i;

	(void)state;
	/* Never sooner than half the nominal delay, never later than it. */
	for (attempt = 1; attempt <= 12; attempt++) {
		nominal = (int64_t)250 << (attempt - 1);
		if (nominal > 30000)
			nominal = 30000;
		for (i = 0; i < 2000; i++) {
			r = backoff_random(&seed);
			got = backoff_delay_ms(attempt, 250, 30000, r);
			d = nominal / 2;
			if (got < d || got > nominal)
				fail_msg("attempt %u: %lld not in [%lld, %lld]",
					 attempt, (long long)got, (long long)d,
					 (long long)nominal);
		}
	}
	assert_int_equal(backoff_delay_ms(1, 100, 1000, UINT32_MAX),
			 50 + UINT32_MAX % 51);
}

static void test_backoff_random(void **state)
{
	uint32_t s = 1, t = 1, zero = 0, prev = 0, x;
	int i, same = 0;

	(void)state;
	/* xorshift32 (Marsaglia 13, 17, 5) from 1 gives 270369 first. */
	assert_int_equal(backoff_random(&s), 270369);
	assert_int_equal(s, 270369);
	assert_int_equal(backoff_random(&t), 270369);
	/* A zero state is replaced, never kept. */
	assert_int_not_equal(backoff_random(&zero), 0);
	assert_int_not_equal(zero, 0);
	for (i = 0; i < 100000; i++) {
		x = backoff_random(&s);
		if (!x || !s)
			fail_msg("zero after %d steps", i);
		same += x == prev;
		prev = x;
	}
	assert_int_equal(same, 0);
}

static void expect_retry_after(const char *value, time_t now, int64_t want)
{
	int64_t ms = -7;

	if (backoff_parse_retry_after(value, now, &ms))
		fail_msg("'%s' refused", value);
	if (ms != want)
		fail_msg("'%s' at %lld: %lld ms, expected %lld", value,
			 (long long)now, (long long)ms, (long long)want);
}

static void expect_refused(const char *value)
{
	int64_t ms = -7;

	if (!backoff_parse_retry_after(value, 784111777, &ms))
		fail_msg("'%s' accepted as %lld ms", value ? value : "(null)",
			 (long long)ms);
	assert_int_equal(ms, -7);
}

static void test_backoff_retry_after_seconds(void **state)
{
	(void)state;
	expect_retry_after("120", 0, 120000);
	expect_retry_after("0", 5, 0);
	expect_retry_after("1", 5, 1000);
	expect_retry_after("007", 5, 7000);
	expect_retry_after(" 5\t", 5, 5000);
	expect_retry_after("86400", 5, DAY_MS);
	expect_retry_after("86401", 5, DAY_MS);
	expect_retry_after("99999999999999999999999999999", 5, DAY_MS);
}

static void test_backoff_retry_after_dates(void **state)
{
	(void)state;
	expect_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30,
			   30000);
	expect_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777, 0);
	expect_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 10,
			   0);
	expect_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 120,
			   120000);
	expect_retry_after(" Wed, 21 Oct 2015 07:28:00 GMT ", 1445412480 - 1,
			   1000);
	expect_retry_after("Thu, 29 Feb 2024 12:00:00 GMT", 1709208000 - 2,
			   2000);
	expect_retry_after("Tue, 29 Feb 2000 00:00:00 GMT", 951782400 - 3,
			   3000);
	expect_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", -10, 10000);
	expect_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", 0, DAY_MS);
}

static void test_backoff_retry_after_refused(void **state)
{
	static const char *const bad[] = {
		"", "   ", "-1", "+5", "1.5", "5s", "0x10", "5 5", "soon",
		"Mon, 06 Nov 1994 08:49:37 GMT",	/* it was a Sunday */
		"Sunday, 06-Nov-94 08:49:37 GMT",	/* RFC 850 */
		"Sun Nov  6 08:49:37 1994",		/* asctime */
		"sun, 06 nov 1994 08:49:37 gmt",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT x",
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 31 Nov 1994 08:49:37 GMT",
		"Wed, 29 Feb 2023 08:49:37 GMT",
		"Thu, 29 Feb 1900 08:49:37 GMT",
		"Sun, 06 Nov 19a4 08:49:37 GMT",
		"Sun, 06 Xyz 1994 08:49:37 GMT",
		"Sun; 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08-49-37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT                               ",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]) - 1; i++)
		expect_refused(bad[i]);
	expect_refused(NULL);
	/* Trailing white space is trimmed, however long. */
	expect_retry_after(bad[i], 784111777 - 1, 1000);
}

static void test_backoff_retry_after_matches_gmtime(void **state)
{
	char text[64];
	struct tm tm;
	time_t t;
	/* 1900 to 2100 */
	int64_t start = -2208988800LL, end = 4102444800LL;

	(void)state;
	/* Every date gmtime writes is read back to the same second. */
	for (t = (time_t)start; t < (time_t)end; t += 86400 * 5 + 3607) {
		assert_non_null(gmtime_r(&t, &tm));
		assert_int_not_equal(strftime(text, sizeof(text),
					      "%a, %d %b %Y %H:%M:%S GMT", &tm),
				     0);
		expect_retry_after(text, t - 17, 17000);
		expect_retry_after(text, t, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_delay_doubles_with_equal_jitter),
		cmocka_unit_test(test_backoff_delay_is_capped),
		cmocka_unit_test(test_backoff_delay_range),
		cmocka_unit_test(test_backoff_random),
		cmocka_unit_test(test_backoff_retry_after_seconds),
		cmocka_unit_test(test_backoff_retry_after_dates),
		cmocka_unit_test(test_backoff_retry_after_refused),
		cmocka_unit_test(test_backoff_retry_after_matches_gmtime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
