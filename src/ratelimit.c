#include <math.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "torq/ratelimit.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* Refill slack, so a bucket refilled to 0.9999999 is not made to wait 1 ms. */
#define EPSILON 1e-9
/* The longest wait reported (a year); a tiny rate cannot overflow it. */
#define MAX_WAIT_MS (365.0 * 24 * 3600 * 1000)
/* A larger burst gains nothing and keeps the arithmetic exact. */
#define MAX_BURST 1e9

void ratelimit_init(struct ratelimit *rl, double rate, double burst)
{
	/* NaN, negative and infinite rates all mean no limit. */
	rl->rate = rate > 0 && isfinite(rate) ? rate : 0;
	rl->max_rate = rl->rate;
	rl->burst = burst >= 1 ? (burst < MAX_BURST ? burst : MAX_BURST) : 1;
	rl->tokens = rl->burst;
	rl->last_ms = 0;
	rl->changed_ms = 0;
	rl->not_before_ms = 0;
	rl->paused = 0;
	rl->slowed = 0;
	rl->slowed_ms = 0;
	rl->started = 0;
}

void ratelimit_slow_down(struct ratelimit *rl, int64_t now_ms,
			 int64_t pause_ms)
{
	if (rl->rate <= 0)
		return;
	/*
	 * The requests in flight when the server said so all hear the same
	 * 429: one slowdown a second, or eight of them would leave 6%.
	 */
	if (!rl->slowed || now_ms - rl->slowed_ms >= 1000) {
		rl->rate *= 0.7;
		if (rl->rate < RATELIMIT_MIN_RATE)
			rl->rate = RATELIMIT_MIN_RATE;
		if (rl->rate > rl->max_rate)
			rl->rate = rl->max_rate;
		rl->slowed = 1;
		rl->slowed_ms = now_ms;
	}
	rl->tokens = 0;
	rl->started = 1;
	rl->changed_ms = now_ms;
	if (pause_ms < 0)
		pause_ms = 0;
	/* the bucket refills from the end of the pause */
	if (!rl->paused || now_ms + pause_ms > rl->not_before_ms) {
		rl->not_before_ms = now_ms + pause_ms;
		rl->paused = 1;
	}
	rl->last_ms = rl->not_before_ms;
}

void ratelimit_recover(struct ratelimit *rl, int64_t now_ms)
{
	int64_t seconds;

	if (rl->rate <= 0 || rl->rate >= rl->max_rate ||
	    now_ms <= rl->changed_ms)
		return;
	seconds = (now_ms - rl->changed_ms) / 1000;
	if (seconds < 1)
		return;
	rl->rate += (double)seconds * rl->max_rate / 10;
	if (rl->rate > rl->max_rate)
		rl->rate = rl->max_rate;
	rl->changed_ms += seconds * 1000;
}

int64_t ratelimit_take(struct ratelimit *rl, int64_t now_ms)
{
	double wait;
	int64_t ms;

	if (rl->rate <= 0)
		return 0;
	if (rl->paused && now_ms < rl->not_before_ms)
		return rl->not_before_ms - now_ms;
	if (!rl->started) {
		rl->started = 1;
		rl->last_ms = now_ms;
	} else if (now_ms > rl->last_ms) {
		rl->tokens += (double)(now_ms - rl->last_ms) * rl->rate / 1000;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_ms = now_ms;
	}
	/* A clock that goes back refills nothing and keeps last_ms. */
	if (rl->tokens >= 1 - EPSILON) {
		rl->tokens -= 1;
		if (rl->tokens < 0)
			rl->tokens = 0;
		return 0;
	}
	wait = (1 - rl->tokens) * 1000 / rl->rate;
	if (wait > MAX_WAIT_MS)
		wait = MAX_WAIT_MS;
	ms = (int64_t)wait;
	if ((double)ms < wait - EPSILON)
		ms++;
	return ms < 1 ? 1 : ms;
}

struct pool_entry {
	char *key;
	struct ratelimit rl;
};

struct ratelimit_pool {
	pthread_mutex_t lock;
	double rate, burst;
	struct pool_entry *e;
	size_t nr, alloc;
	struct ratelimit org;	/* every key's requests together */
};

struct ratelimit_pool *ratelimit_pool_new(double rate, double burst)
{
	struct ratelimit_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	p->rate = rate;
	p->burst = burst;
	ratelimit_init(&p->org, 0, 1);
	return p;
}

void ratelimit_pool_set_ceiling(struct ratelimit_pool *p, double rate)
{
	pthread_mutex_lock(&p->lock);
	ratelimit_init(&p->org, rate, rate);
	pthread_mutex_unlock(&p->lock);
}

/*
 * The wait before rl could give a token at now_ms, refilling it but
 * taking nothing: what ratelimit_take would say, without its effect.
 */
static int64_t ratelimit_wait(struct ratelimit *rl, int64_t now_ms)
{
	struct ratelimit copy = *rl;

	return ratelimit_take(&copy, now_ms);
}

void ratelimit_pool_free(struct ratelimit_pool *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nr; i++)
		free(p->e[i].key);
	free(p->e);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static struct ratelimit *pool_bucket(struct ratelimit_pool *p,
				     const char *key);

int64_t ratelimit_pool_take(struct ratelimit_pool *p, const char *key,
			    int64_t now_ms)
{
	int64_t w;

	struct ratelimit *rl;
	int64_t o;

	pthread_mutex_lock(&p->lock);
	rl = pool_bucket(p, key);
	/* both the key's and the organisation's, or neither */
	w = ratelimit_wait(rl, now_ms);
	o = ratelimit_wait(&p->org, now_ms);
	if (!w && !o) {
		ratelimit_take(rl, now_ms);
		ratelimit_take(&p->org, now_ms);
	}
	pthread_mutex_unlock(&p->lock);
	return w > o ? w : o;
}

/*
 * The bucket of key, made on first use; the pool's lock held. A handful
 * of keys per run (a fleet: one per client): a list is enough.
 */
static struct ratelimit *pool_bucket(struct ratelimit_pool *p,
				     const char *key)
{
	size_t i;

	for (i = 0; i < p->nr && strcmp(p->e[i].key, key); i++)
		;
	if (i == p->nr) {
		ALLOC_GROW(p->e, p->nr + 1, p->alloc);
		p->e[i].key = xstrdup(key);
		ratelimit_init(&p->e[i].rl, p->rate, p->burst);
		p->nr++;
	}
	return &p->e[i].rl;
}

void ratelimit_pool_slow_down(struct ratelimit_pool *p, const char *key,
			      int64_t now_ms, int64_t pause_ms)
{
	pthread_mutex_lock(&p->lock);
	ratelimit_slow_down(pool_bucket(p, key), now_ms, pause_ms);
	pthread_mutex_unlock(&p->lock);
}

void ratelimit_pool_recover(struct ratelimit_pool *p, const char *key,
			    int64_t now_ms)
{
	pthread_mutex_lock(&p->lock);
	ratelimit_recover(pool_bucket(p, key), now_ms);
	pthread_mutex_unlock(&p->lock);
}
