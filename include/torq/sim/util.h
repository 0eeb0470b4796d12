#ifndef TORQ_SIM_UTIL_H
#define TORQ_SIM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "torq/buf.h"

/*
 * Small helpers of the emulator: a seeded generator, ids, times, base64
 * and display-name slugs (SHA-256 is the engine's torq/sha256.h). Nothing
 * here locks: a struct sim_rng belongs to whoever holds the lock around it.
 */

/* xorshift64*: fast, seedable, good enough for ids and fault dice. */
struct sim_rng {
	uint64_t s;
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
/* Seed from /dev/urandom, falling back to the clock and the pid. */
void sim_rng_seed_random(struct sim_rng *r);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, 1). */
double sim_rng_double(struct sim_rng *r);

#define SIM_UUID_LEN 36
/* A version 4 UUID in lower-case hex, NUL-terminated. */
void sim_uuid(struct sim_rng *r, char out[SIM_UUID_LEN + 1]);
/* 2 * nbytes hex digits and a NUL into out. */
void sim_random_hex(struct sim_rng *r, char *out, size_t nbytes);

#define SIM_TIME_LEN 30
/* Now as RFC 3339 UTC with nanoseconds: 2022-03-09T08:40:18.490771179Z */
void sim_time_now(char out[SIM_TIME_LEN + 1]);
/* Wall clock in milliseconds since the epoch (token expiry). */
int64_t sim_now_ms(void);
/* Monotonic clock in nanoseconds (rate limiter). */
int64_t sim_mono_ns(void);
/* Sleep for ms milliseconds; ms <= 0 returns at once. */
void sim_sleep_ms(long ms);

/* Base64 of data; url selects the URL-safe alphabet without padding. */
void sim_base64_encode(struct buf *out, const void *data, size_t len,
		       int url);
/*
 * Decode s (either alphabet, padding optional) onto out. Returns 0, or -1
 * when s is not base64.
 */
int sim_base64_decode(struct buf *out, const char *s);

/*
 * The name Torq derives from a display name: lower case, every run of
 * other characters turned into one '_', none at either end
 * ("My Integration" -> "my_integration").
 */
void sim_slug(struct buf *out, const char *display_name);

/* Decode %XX and '+' of a form value onto out. */
void sim_form_decode(struct buf *out, const char *s, size_t len);

#endif
