#ifndef TORQ_BACKOFF_H
#define TORQ_BACKOFF_H

#include <stdint.h>
#include <time.h>

/*
 * Retry delays: exponential backoff with "equal jitter" (half the delay
 * fixed, half random), so retries of many requests spread out but never
 * come back sooner than half the nominal delay.
 */

/*
 * The delay before retry number attempt (1 for the first retry):
 * d = min(cap_ms, base_ms * 2^(attempt-1)), then d/2 + rnd % (d/2 + 1).
 * rnd is any random 32-bit value (the caller owns the generator).
 */
int64_t backoff_delay_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms,
			 uint32_t rnd);

/*
 * Parse a Retry-After header value: delta-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", RFC 9110 IMF-fixdate), relative to
 * now. Returns 0 and the delay in *ms (0 for a date in the past), or -1
 * when the value is neither.
 */
int backoff_parse_retry_after(const char *value, time_t now, int64_t *ms);

/* A small seeded generator (xorshift32) for jitter; never returns 0 state. */
uint32_t backoff_random(uint32_t *state);

#endif
