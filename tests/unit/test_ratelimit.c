/* The token bucket, driven by a fake clock. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "torq/ratelimit.h"
#include "torq/banned.h"

/*
 * A greedy client from start to end (ms): take whenever allowed, else
 * sleep exactly as told. Returns the number of requests let through.
 */
static long run_greedy(struct ratelimit *rl, int64_t start, int64_t end)
{
	int64_t now = start, w;
	long n = 0;

	while (now <= end) {
		w = ratelimit_take(rl, now);
		if (w < 0)
			fail_msg("negative wait %lld", (long long)w);
		if (w == 0)
			n++;
		else
			now += w;
	}
	return n;
}

static void test_ratelimit_burst_then_wait(void **state)
{
	struct ratelimit rl;
	int i;

	(void)state;
	ratelimit_init(&rl, 40, 40);
	for (i = 0; i < 40; i++)
		if (ratelimit_take(&rl, 1000) != 0)
			fail_msg("take %d of the burst had to wait", i + 1);
	assert_int_equal(ratelimit_take(&rl, 1000), 25);
	/* A refused take takes nothing: the answer does not change. */
	assert_int_equal(ratelimit_take(&rl, 1000), 25);
	assert_int_equal(ratelimit_take(&rl, 1010), 15);
	assert_int_equal(ratelimit_take(&rl, 1025), 0);
	assert_int_equal(ratelimit_take(&rl, 1025), 25);
}

static void test_ratelimit_average_rate(void **state)
{
	struct ratelimit rl;
	long n;

	(void)state;
	ratelimit_init(&rl, 40, 40);
	n = run_greedy(&rl, 0, 10000);
	/* At most rate * 10 + burst; a correct bucket lets exactly that. */
	if (n > 40 * 10 + 40 || n < 40 * 10 + 40 - 2)
		fail_msg("%ld requests in 10 s at 40/s, burst 40", n);

	ratelimit_init(&rl, 7.5, 3);
	n = run_greedy(&rl, 5000, 15000);
	if (n > 75 + 3 || n < 75 + 3 - 2)
		fail_msg("%ld requests in 10 s at 7.5/s, burst 3", n);
}

static void test_ratelimit_uneven_clock(void **state)
{
	static const int steps[] = { 1, 3, 7, 0, 13, 2, 50, 1, 0, 9 };
	struct ratelimit rl;
	int64_t now = 0;
	long n = 0;
	size_t i = 0;

	(void)state;
	/* Callers that poll at odd times never get more than the bound. */
	ratelimit_init(&rl, 20, 5);
	while (now <= 10000) {
		if (ratelimit_take(&rl, now) == 0)
			n++;
		now += steps[i++ % (sizeof(steps) / sizeof(steps[0]))];
	}
	if (n > 20 * 10 + 5 || n < 20 * 10 - 5)
		fail_msg("%ld requests in 10 s at 20/s, burst 5", n);
}

static void test_ratelimit_unlimited(void **state)
{
	struct ratelimit rl;
	int i;

	(void)state;
	ratelimit_init(&rl, 0, 1);
	for (i = 0; i < 100000; i++)
		if (ratelimit_take(&rl, 0) != 0)
			fail_msg("rate 0 made take %d wait", i + 1);
	ratelimit_init(&rl, -5, 1);
	assert_int_equal(ratelimit_take(&rl, 0), 0);
	assert_int_equal(ratelimit_take(&rl, 0), 0);
	ratelimit_init(&rl, NAN, 1);
	assert_int_equal(ratelimit_take(&rl, 0), 0);
	assert_int_equal(ratelimit_take(&rl, 0), 0);
}

static void test_ratelimit_small_burst(void **state)
{
	struct ratelimit rl;

	(void)state;
	/* A burst below 1 counts as 1. */
	ratelimit_init(&rl, 2, 0);
	assert_int_equal(ratelimit_take(&rl, 0), 0);
	assert_int_equal(ratelimit_take(&rl, 0), 500);
	assert_int_equal(ratelimit_take(&rl, 499), 1);
	assert_int_equal(ratelimit_take(&rl, 500), 0);

	ratelimit_init(&rl, 0.5, 1);
	assert_int_equal(ratelimit_take(&rl, 0), 0);
	assert_int_equal(ratelimit_take(&rl, 0), 2000);
}

static void test_ratelimit_refill_is_capped(void **state)
{
	struct ratelimit rl;
	int i;

	(void)state;
	ratelimit_init(&rl, 10, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(ratelimit_take(&rl, 0), 0);
	/* An hour idle buys the burst, not 36,000 requests. */
	for (i = 0; i < 4; i++)
		assert_int_equal(ratelimit_take(&rl, 3600000), 0);
	assert_int_equal(ratelimit_take(&rl, 3600000), 100);
}

static void test_ratelimit_odd_clocks_and_rates(void **state)
{
	struct ratelimit rl;
	int64_t w;

	(void)state;
	/* The first take starts the clock wherever it is. */
	ratelimit_init(&rl, 1, 1);
	assert_int_equal(ratelimit_take(&rl, -5000), 0);
	assert_int_equal(ratelimit_take(&rl, -5000), 1000);
	/* A clock that goes back refills nothing. */
	assert_int_equal(ratelimit_take(&rl, -9000), 1000);
	assert_int_equal(ratelimit_take(&rl, -4000), 0);

	/* The wait is at least 1 ms, even at a million per second. */
	ratelimit_init(&rl, 1e6, 1);
	assert_int_equal(ratelimit_take(&rl, 0), 0);
	assert_int_equal(ratelimit_take(&rl, 0), 1);

	/* A tiny rate gives a long wait, not an overflow. */
	ratelimit_init(&rl, 1e-300, 1);
	assert_int_equal(ratelimit_take(&rl, 0), 0);
	w = ratelimit_take(&rl, 0);
	assert_true(w >= (int64_t)365 * 24 * 3600 * 1000);
	assert_true(w < INT64_MAX / 2);
}

/* A pool keeps one bucket per key, shared by every caller. */
static void test_ratelimit_pool_per_key(void **state)
{
	struct ratelimit_pool *p = ratelimit_pool_new(2, 2);

	(void)state;
	assert_int_equal(ratelimit_pool_take(p, "a", 0), 0);
	assert_int_equal(ratelimit_pool_take(p, "a", 0), 0);
	assert_int_equal(ratelimit_pool_take(p, "a", 0), 500);
	/* another key has its own full bucket */
	assert_int_equal(ratelimit_pool_take(p, "b", 0), 0);
	assert_int_equal(ratelimit_pool_take(p, "a", 500), 0);
	ratelimit_pool_free(p);
}

/* A 429: 70% of the rate, an empty bucket, the Retry-After kept. */
static void test_ratelimit_slow_down(void **state)
{
	struct ratelimit rl;
	int i;

	(void)state;
	ratelimit_init(&rl, 50, 50);
	assert_int_equal(ratelimit_take(&rl, 1000), 0);
	ratelimit_slow_down(&rl, 1000, 2000);
	assert_true(fabs(rl.rate - 35) < 1e-9);
	/* paused until 3000, whatever the bucket */
	assert_int_equal(ratelimit_take(&rl, 1000), 2000);
	assert_int_equal(ratelimit_take(&rl, 2999), 1);
	/* then paced at 35/s from an empty bucket: 1000/35 ms a token */
	assert_int_equal(ratelimit_take(&rl, 3000), 29);
	assert_int_equal(ratelimit_take(&rl, 3029), 0);
	/* the 429s of the requests in flight count once a second */
	for (i = 0; i < 8; i++)
		ratelimit_slow_down(&rl, 3500, 0);
	assert_true(fabs(rl.rate - 35 * 0.7) < 1e-9);
	/* never below the floor, however many 429s */
	for (i = 0; i < 50; i++)
		ratelimit_slow_down(&rl, 4500 + i * 1000, 0);
	assert_true(fabs(rl.rate - RATELIMIT_MIN_RATE) < 1e-9);
	/* an unlimited bucket stays unlimited */
	ratelimit_init(&rl, 0, 1);
	ratelimit_slow_down(&rl, 0, 1000);
	assert_int_equal(ratelimit_take(&rl, 0), 0);
}

/* Every quiet second gives back a tenth of the limit, up to it. */
static void test_ratelimit_recover(void **state)
{
	struct ratelimit rl;

	(void)state;
	ratelimit_init(&rl, 50, 50);
	ratelimit_slow_down(&rl, -1000, 0);
	ratelimit_slow_down(&rl, 0, 0);		/* 24.5 */
	ratelimit_recover(&rl, 999);
	assert_true(fabs(rl.rate - 24.5) < 1e-9);
	ratelimit_recover(&rl, 1000);
	assert_true(fabs(rl.rate - 29.5) < 1e-9);
	ratelimit_recover(&rl, 1500);		/* not a full second more */
	assert_true(fabs(rl.rate - 29.5) < 1e-9);
	ratelimit_recover(&rl, 3000);		/* two more */
	assert_true(fabs(rl.rate - 39.5) < 1e-9);
	ratelimit_recover(&rl, 60000);
	assert_true(fabs(rl.rate - 50) < 1e-9);
	/* a greedy client then gets the full rate again */
	assert_true(run_greedy(&rl, 60000, 70000) >= 50 * 10);
}

/* The pool adapts each key alone. */
static void test_ratelimit_pool_adapts_per_key(void **state)
{
	struct ratelimit_pool *p = ratelimit_pool_new(10, 1);

	(void)state;
	assert_int_equal(ratelimit_pool_take(p, "a", 0), 0);
	assert_int_equal(ratelimit_pool_take(p, "b", 0), 0);
	ratelimit_pool_slow_down(p, "a", 0, 500);
	assert_int_equal(ratelimit_pool_take(p, "a", 100), 400);
	assert_int_equal(ratelimit_pool_take(p, "b", 100), 0);
	/* a's rate is 7/s: 143 ms for its first token after the pause */
	assert_int_equal(ratelimit_pool_take(p, "a", 500), 143);
	ratelimit_pool_recover(p, "a", 1500);
	assert_int_equal(ratelimit_pool_take(p, "a", 1500), 0);
	ratelimit_pool_free(p);
}

/* An organisation-wide ceiling over every key, taken with each key's. */
static void test_ratelimit_pool_ceiling(void **state)
{
	struct ratelimit_pool *p = ratelimit_pool_new(10, 10);
	int i;

	(void)state;
	ratelimit_pool_set_ceiling(p, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(ratelimit_pool_take(p, i % 2 ? "a" : "b", 0),
				 0);
	/* both keys have tokens; the organisation has none left */
	assert_int_equal(ratelimit_pool_take(p, "a", 0), 334);
	assert_int_equal(ratelimit_pool_take(p, "c", 0), 334);
	/* a refused take took nothing from the key: "c" is still full */
	assert_int_equal(ratelimit_pool_take(p, "c", 334), 0);
	ratelimit_pool_set_ceiling(p, 0);
	for (i = 0; i < 9; i++)
		assert_int_equal(ratelimit_pool_take(p, "c", 334), 0);
	assert_true(ratelimit_pool_take(p, "c", 334) > 0);
	ratelimit_pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_pool_per_key),
		cmocka_unit_test(test_ratelimit_burst_then_wait),
		cmocka_unit_test(test_ratelimit_average_rate),
		cmocka_unit_test(test_ratelimit_uneven_clock),
		cmocka_unit_test(test_ratelimit_unlimited),
		cmocka_unit_test(test_ratelimit_small_burst),
		cmocka_unit_test(test_ratelimit_refill_is_capped),
		cmocka_unit_test(test_ratelimit_odd_clocks_and_rates),
		cmocka_unit_test(test_ratelimit_slow_down),
		cmocka_unit_test(test_ratelimit_recover),
		cmocka_unit_test(test_ratelimit_pool_adapts_per_key),
		cmocka_unit_test(test_ratelimit_pool_ceiling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
