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
	rl->burst = burst >= 1 ? (burst < MAX_BURST ? burst : MAX_BURST) : 1;
	rl->tokens = rl->burst;
	rl->last_ms = 0;
	rl->started = 0;
}

int64_t ratelimit_take(struct ratelimit *rl, int64_t now_ms)
{
	double wait;
	int64_t ms;

	if (rl->rate <= 0)
		return 0;
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
};

struct ratelimit_pool *ratelimit_pool_new(double rate, double burst)
{
	struct ratelimit_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	p->rate = rate;
	p->burst = burst;
	return p;
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

int64_t ratelimit_pool_take(struct ratelimit_pool *p, const char *key,
			    int64_t now_ms)
{
	size_t i;
	int64_t w;

	pthread_mutex_lock(&p->lock);
	/* A handful of keys per run: a list is enough. */
	for (i = 0; i < p->nr && strcmp(p->e[i].key, key); i++)
		;
	if (i == p->nr) {
		ALLOC_GROW(p->e, p->nr + 1, p->alloc);
		p->e[i].key = xstrdup(key);
		ratelimit_init(&p->e[i].rl, p->rate, p->burst);
		p->nr++;
	}
	w = ratelimit_take(&p->e[i].rl, now_ms);
	pthread_mutex_unlock(&p->lock);
	return w;
}
