#ifndef TORQ_SIM_FAULTS_H
#define TORQ_SIM_FAULTS_H

#include <pthread.h>
#include <stdint.h>
#include <jansson.h>

#include "torq/buf.h"
#include "torq/sim/config.h"
#include "torq/sim/util.h"

/*
 * What the emulator does to requests besides answering them: injected
 * faults (POST /_sim/faults, --fault-rate), the per-workspace rate limit
 * and the /_sim/stats counters. It has its own mutex, never held together
 * with the state's, so every function here may be called from any thread.
 */
enum sim_fault_kind {
	SIM_FAULT_STATUS,	/* answer with an error status */
	SIM_FAULT_DROP,		/* close the connection, no answer */
	SIM_FAULT_LATENCY,	/* answer late */
	SIM_FAULT_EXPIRE_TOKEN,	/* expire the caller's token first */
	SIM_FAULT_CHAOS,	/* one of 429, 502, 503 or drop at random */
	SIM_FAULT_DROP_AFTER,	/* do the work, then close: the answer is lost */
	SIM_FAULT_LATENCY_AFTER,	/* do the work, then answer late */
};

struct sim_fault_rule {
	char *route;		/* "POST /v1alpha/users/invite" or "*" */
	enum sim_fault_kind kind;
	int status;
	int retry_after;	/* seconds; -1: no Retry-After */
	long latency_ms;
	double rate;		/* fire at this probability, or */
	long nth;		/* on the nth match only, or */
	long every;		/* on every nth match */
	long count;		/* at most this many times; 0: no limit */
	long seen, fired;
};

/* What the rules decided for one request. */
struct sim_fault_action {
	int drop;
	int drop_after;		/* handle the request, then drop the answer */
	int status;		/* 0: answer normally */
	int retry_after;	/* -1: none */
	long latency_ms;
	long latency_after_ms;	/* slept after the work, before the answer */
	int expire_token;
};

struct sim_bucket {
	char *workspace_id;
	double tokens;
	int64_t last_ns;
};

struct sim_faults {
	pthread_mutex_t lock;
	const struct sim_config *cfg;	/* borrowed */
	struct sim_fault_rule *rules;
	size_t rules_nr, rules_alloc;
	struct sim_rng rng;
	struct sim_bucket *buckets;
	size_t buckets_nr, buckets_alloc;
	json_t *stats;			/* owned */
};

/* Start with the command line's rules (--fault-rate, --fault-seed). */
void sim_faults_init(struct sim_faults *f, const struct sim_config *cfg);
void sim_faults_release(struct sim_faults *f);

/*
 * Replace the rules by those of spec, the body of POST /_sim/faults
 * ({"rules": [...], "seed": N}). Returns 0, or -1 with err set (and the
 * old rules kept).
 */
int sim_faults_set(struct sim_faults *f, const json_t *spec,
		   struct buf *err);
/* No rules at all. */
void sim_faults_clear(struct sim_faults *f);
/* The command line's rules again, counters zeroed, buckets full. */
void sim_faults_reset(struct sim_faults *f);
/* The rules as JSON (a new reference), for GET /_sim/faults. */
json_t *sim_faults_rules(struct sim_faults *f);

/* Decide the faults for one request to route (a template). */
void sim_faults_check(struct sim_faults *f, const char *route,
		      struct sim_fault_action *act);

/* Take one request from the workspace's bucket: 1 allowed, 0 limited. */
int sim_faults_allow(struct sim_faults *f, const char *workspace_id);

/*
 * Count one API or token request: route template, status sent (0 for a
 * dropped connection), the workspace's name (or NULL), and whether it was
 * a successful mutation.
 */
void sim_faults_count(struct sim_faults *f, const char *route, int status,
		      const char *workspace, int mutation);
/* The counters (a new reference). */
json_t *sim_faults_stats(struct sim_faults *f);

#endif
