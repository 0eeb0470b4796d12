#ifndef TORQ_RATELIMIT_H
#define TORQ_RATELIMIT_H

#include <stdint.h>

/*
 * A token bucket: rate requests per second on average, at most burst at
 * once. Time is passed in (milliseconds on any monotonic clock) so the
 * bucket is a pure function of its inputs and tests need no sleeping.
 */
struct ratelimit {
	double rate;		/* per second now; 0 = no limit */
	double max_rate;	/* the rate it recovers to */
	double burst;		/* capacity, at least 1 */
	double tokens;
	int64_t last_ms;
	int64_t changed_ms;	/* when the rate last went down or up */
	int64_t not_before_ms;	/* with paused: a pause (Retry-After) */
	int paused;
	int64_t slowed_ms;	/* with slowed: the last slowdown */
	int slowed;
	int started;
};

/* rate 0 means unlimited; burst below 1 counts as 1. The bucket starts full. */
void ratelimit_init(struct ratelimit *rl, double rate, double burst);

/*
 * Take one token at now_ms. Returns 0 when taken; otherwise the number of
 * milliseconds (at least 1) until one will be available, taking nothing.
 */
int64_t ratelimit_take(struct ratelimit *rl, int64_t now_ms);

/*
 * Adaptive pacing: start at the documented limit and adapt to the
 * server. A 429 means too fast: the rate drops to 70% of what it was
 * (never below RATELIMIT_MIN_RATE, at most once a second, since the
 * requests in flight hear the same 429), the bucket empties and nothing is
 * taken before now_ms + pause_ms (the Retry-After, or 0). Any other
 * answer lets the rate recover: every full second since it last changed
 * gives back a tenth of max_rate, up to max_rate. Unlimited buckets
 * stay unlimited.
 */
#define RATELIMIT_MIN_RATE 1.0
void ratelimit_slow_down(struct ratelimit *rl, int64_t now_ms,
			 int64_t pause_ms);
void ratelimit_recover(struct ratelimit *rl, int64_t now_ms);

/*
 * Buckets shared by several clients in several threads (a fleet run):
 * one bucket per key, so every workspace keeps its own limit however
 * many threads use its key. Thread-safe.
 */
struct ratelimit_pool;

struct ratelimit_pool *ratelimit_pool_new(double rate, double burst);
void ratelimit_pool_free(struct ratelimit_pool *pool);
/*
 * An organisation-wide ceiling over every key of the pool (a fleet's
 * --org-rate-limit): rate per second, 0 for none (the default).
 */
void ratelimit_pool_set_ceiling(struct ratelimit_pool *pool, double rate);
/*
 * As ratelimit_take, from the bucket of key (made full on first use) and
 * the ceiling's: a token of both, or the longer wait.
 */
int64_t ratelimit_pool_take(struct ratelimit_pool *pool, const char *key,
			    int64_t now_ms);
/* As ratelimit_slow_down and ratelimit_recover, on the bucket of key. */
void ratelimit_pool_slow_down(struct ratelimit_pool *pool, const char *key,
			      int64_t now_ms, int64_t pause_ms);
void ratelimit_pool_recover(struct ratelimit_pool *pool, const char *key,
			    int64_t now_ms);

#endif
