#ifndef TORQ_RATELIMIT_H
#define TORQ_RATELIMIT_H

#include <stdint.h>

/*
 * A token bucket: rate requests per second on average, at most burst at
 * once. Time is passed in (milliseconds on any monotonic clock) so the
 * bucket is a pure function of its inputs and tests need no sleeping.
 */
struct ratelimit {
	double rate;		/* per second; 0 = no limit */
	double burst;		/* capacity, at least 1 */
	double tokens;
	int64_t last_ms;
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
 * Buckets shared by several clients in several threads (a fleet run):
 * one bucket per key, so every workspace keeps its own limit however
 * many threads use its key. Thread-safe.
 */
struct ratelimit_pool;

struct ratelimit_pool *ratelimit_pool_new(double rate, double burst);
void ratelimit_pool_free(struct ratelimit_pool *pool);
/* As ratelimit_take, from the bucket of key (made full on first use). */
int64_t ratelimit_pool_take(struct ratelimit_pool *pool, const char *key,
			    int64_t now_ms);

#endif
