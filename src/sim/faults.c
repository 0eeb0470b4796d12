#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torq/sim/faults.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static json_t *new_stats(void)
{
	return json_pack("{s:i, s:i, s:{}, s:{}, s:{}}", "requests_total", 0,
			 "mutations_total", 0, "by_route", "by_status",
			 "by_workspace");
}

static void rules_free(struct sim_fault_rule *rules, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(rules[i].route);
	free(rules);
}

static void rules_from_config(struct sim_faults *f)
{
	struct sim_fault_rule *r;

	rules_free(f->rules, f->rules_nr);
	f->rules = NULL;
	f->rules_nr = f->rules_alloc = 0;
	if (f->cfg->fault_seed_set)
		sim_rng_seed(&f->rng, f->cfg->fault_seed);
	else
		sim_rng_seed_random(&f->rng);
	if (f->cfg->fault_rate <= 0)
		return;
	ALLOC_GROW(f->rules, 1, f->rules_alloc);
	r = &f->rules[f->rules_nr++];
	memset(r, 0, sizeof(*r));
	r->route = xstrdup("*");
	r->kind = SIM_FAULT_CHAOS;
	r->retry_after = -1;
	r->rate = f->cfg->fault_rate;
}

static void buckets_clear(struct sim_faults *f)
{
	size_t i;

	for (i = 0; i < f->buckets_nr; i++)
		free(f->buckets[i].workspace_id);
	f->buckets_nr = 0;
}

void sim_faults_init(struct sim_faults *f, const struct sim_config *cfg)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->cfg = cfg;
	f->stats = new_stats();
	rules_from_config(f);
}

void sim_faults_release(struct sim_faults *f)
{
	if (!f)
		return;
	rules_free(f->rules, f->rules_nr);
	buckets_clear(f);
	free(f->buckets);
	json_decref(f->stats);
	pthread_mutex_destroy(&f->lock);
	memset(f, 0, sizeof(*f));
}

void sim_faults_reset(struct sim_faults *f)
{
	pthread_mutex_lock(&f->lock);
	rules_from_config(f);
	buckets_clear(f);
	json_decref(f->stats);
	f->stats = new_stats();
	pthread_mutex_unlock(&f->lock);
}

void sim_faults_clear(struct sim_faults *f)
{
	pthread_mutex_lock(&f->lock);
	rules_free(f->rules, f->rules_nr);
	f->rules = NULL;
	f->rules_nr = f->rules_alloc = 0;
	pthread_mutex_unlock(&f->lock);
}

static const char *const kind_names[] = {
	[SIM_FAULT_STATUS] = "status",
	[SIM_FAULT_DROP] = "drop",
	[SIM_FAULT_LATENCY] = "latency",
	[SIM_FAULT_EXPIRE_TOKEN] = "expire_token",
	[SIM_FAULT_CHAOS] = "chaos",
	[SIM_FAULT_DROP_AFTER] = "drop_after",
	[SIM_FAULT_LATENCY_AFTER] = "latency_after",
};

static int get_long(const json_t *rule, const char *key, long min, long max,
		    long *out, size_t i, struct buf *err)
{
	json_t *v = json_object_get(rule, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		buf_addf(err, "rules[%zu].%s must be an integer from %ld to "
			 "%ld", i, key, min, max);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}

static int parse_rule(const json_t *spec, size_t i, struct sim_fault_rule *r,
		      struct buf *err)
{
	static const char *const fields[] = {
		"route", "kind", "status", "retry_after", "latency_ms",
		"rate", "nth", "every", "count",
	};
	const char *key, *kind;
	json_t *v;
	long status = 503, retry = -1, alternatives = 0;
	size_t k;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(spec)) {
		buf_addf(err, "rules[%zu] is not an object", i);
		return -1;
	}
	json_object_foreach((json_t *)spec, key, v) {
		for (k = 0; k < ARRAY_SIZE(fields); k++)
			if (!strcmp(key, fields[k]))
				break;
		if (k == ARRAY_SIZE(fields)) {
			buf_addf(err, "rules[%zu] has unknown field '%s'", i,
				 key);
			return -1;
		}
	}
	v = json_object_get(spec, "route");
	if (v && !json_is_string(v)) {
		buf_addf(err, "rules[%zu].route is not a string", i);
		return -1;
	}
	kind = json_string_value(json_object_get(spec, "kind"));
	for (k = 0; kind && k < ARRAY_SIZE(kind_names); k++)
		if (!strcmp(kind, kind_names[k]))
			break;
	if (!kind || k == ARRAY_SIZE(kind_names)) {
		buf_addf(err, "rules[%zu].kind must be one of status, drop, "
			 "drop_after, latency, latency_after, expire_token, "
			 "chaos", i);
		return -1;
	}
	r->kind = (enum sim_fault_kind)k;
	if (get_long(spec, "status", 100, 599, &status, i, err) ||
	    get_long(spec, "retry_after", 0, 3600, &retry, i, err) ||
	    get_long(spec, "latency_ms", 0, 60000, &r->latency_ms, i, err) ||
	    get_long(spec, "nth", 1, 1L << 30, &r->nth, i, err) ||
	    get_long(spec, "every", 1, 1L << 30, &r->every, i, err) ||
	    get_long(spec, "count", 0, 1L << 30, &r->count, i, err))
		return -1;
	v = json_object_get(spec, "rate");
	if (v && (!json_is_number(v) || json_number_value(v) < 0 ||
		  json_number_value(v) > 1)) {
		buf_addf(err, "rules[%zu].rate must be a number from 0 to 1",
			 i);
		return -1;
	}
	r->rate = v ? json_number_value(v) : 0;
	alternatives = !!v + !!r->nth + !!r->every;
	if (alternatives > 1) {
		buf_addf(err, "rules[%zu] takes only one of rate, nth and "
			 "every", i);
		return -1;
	}
	if (!alternatives)
		r->every = 1;
	r->status = (int)status;
	r->retry_after = (int)retry;
	v = json_object_get(spec, "route");
	r->route = xstrdup(v ? json_string_value(v) : "*");
	return 0;
}

int sim_faults_set(struct sim_faults *f, const json_t *spec,
		   struct buf *err)
{
	struct sim_fault_rule *rules = NULL;
	size_t nr = 0, alloc = 0, i;
	json_t *list, *seed, *v;
	int ret = -1;

	if (!json_is_object(spec)) {
		buf_addstr(err, "the body is not a JSON object");
		goto out;
	}
	list = json_object_get(spec, "rules");
	seed = json_object_get(spec, "seed");
	if (!json_is_array(list)) {
		buf_addstr(err, "'rules' must be an array");
		goto out;
	}
	if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0)) {
		buf_addstr(err, "'seed' must be a non-negative integer");
		goto out;
	}
	json_array_foreach(list, i, v) {
		ALLOC_GROW(rules, nr + 1, alloc);
		if (parse_rule(v, i, &rules[nr], err))
			goto out;
		nr++;
	}
	pthread_mutex_lock(&f->lock);
	rules_free(f->rules, f->rules_nr);
	f->rules = rules;
	f->rules_nr = nr;
	f->rules_alloc = alloc;
	if (seed)
		sim_rng_seed(&f->rng, (uint64_t)json_integer_value(seed));
	pthread_mutex_unlock(&f->lock);
	rules = NULL;
	nr = 0;
	ret = 0;
out:
	rules_free(rules, nr);
	return ret;
}

json_t *sim_faults_rules(struct sim_faults *f)
{
	json_t *list = json_array();
	size_t i;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->rules_nr; i++) {
		struct sim_fault_rule *r = &f->rules[i];

		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:i, s:i, s:I, s:f, s:I, s:I, s:I, s:I,"
			" s:I}", "route", r->route, "kind", kind_names[r->kind],
			"status", r->status, "retry_after", r->retry_after,
			"latency_ms", (json_int_t)r->latency_ms, "rate",
			r->rate, "nth", (json_int_t)r->nth, "every",
			(json_int_t)r->every, "count", (json_int_t)r->count,
			"seen", (json_int_t)r->seen, "fired",
			(json_int_t)r->fired));
	}
	pthread_mutex_unlock(&f->lock);
	return list;
}

static int rule_fires(struct sim_faults *f, struct sim_fault_rule *r)
{
	r->seen++;
	if (r->count && r->fired >= r->count)
		return 0;
	if (r->nth)
		return r->seen == r->nth;
	if (r->every)
		return r->seen % r->every == 0;
	return sim_rng_double(&f->rng) < r->rate;
}

static void apply_error(struct sim_fault_action *act, int status,
			int retry_after)
{
	if (act->status || act->drop)
		return;
	act->status = status;
	act->retry_after = retry_after;
}

void sim_faults_check(struct sim_faults *f, const char *route,
		      struct sim_fault_action *act)
{
	size_t i;

	memset(act, 0, sizeof(*act));
	act->retry_after = -1;
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->rules_nr; i++) {
		struct sim_fault_rule *r = &f->rules[i];

		if (strcmp(r->route, "*") && strcmp(r->route, route))
			continue;
		if (!rule_fires(f, r))
			continue;
		r->fired++;
		switch (r->kind) {
		case SIM_FAULT_STATUS:
			apply_error(act, r->status, r->retry_after);
			break;
		case SIM_FAULT_DROP:
			if (!act->status)
				act->drop = 1;
			break;
		case SIM_FAULT_DROP_AFTER:
			act->drop_after = 1;
			break;
		case SIM_FAULT_LATENCY:
			act->latency_ms += r->latency_ms;
			break;
		case SIM_FAULT_LATENCY_AFTER:
			act->latency_after_ms += r->latency_ms;
			break;
		case SIM_FAULT_EXPIRE_TOKEN:
			act->expire_token = 1;
			break;
		case SIM_FAULT_CHAOS:
			switch (sim_rng_next(&f->rng) % 4) {
			case 0:
				apply_error(act, 429, 1);
				break;
			case 1:
				apply_error(act, 502, -1);
				break;
			case 2:
				apply_error(act, 503, -1);
				break;
			default:
				if (!act->status)
					act->drop = 1;
				break;
			}
			break;
		}
	}
	pthread_mutex_unlock(&f->lock);
}

int sim_faults_allow(struct sim_faults *f, const char *workspace_id)
{
	double rate = f->cfg->rate_limit, burst = rate < 1 ? 1 : rate;
	struct sim_bucket *b = NULL;
	int64_t now = sim_mono_ns();
	size_t i;
	int ok;

	if (rate <= 0)
		return 1;
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->buckets_nr; i++)
		if (!strcmp(f->buckets[i].workspace_id, workspace_id))
			b = &f->buckets[i];
	if (!b) {
		ALLOC_GROW(f->buckets, f->buckets_nr + 1, f->buckets_alloc);
		b = &f->buckets[f->buckets_nr++];
		b->workspace_id = xstrdup(workspace_id);
		b->tokens = burst;
		b->last_ns = now;
	}
	b->tokens += (double)(now - b->last_ns) / 1e9 * rate;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last_ns = now;
	ok = b->tokens >= 1;
	if (ok)
		b->tokens -= 1;
	pthread_mutex_unlock(&f->lock);
	return ok;
}

static void bump(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (v)
		json_integer_set(v, json_integer_value(v) + 1);
	else
		json_object_set_new(obj, key, json_integer(1));
}

void sim_faults_count(struct sim_faults *f, const char *route, int status,
		      const char *workspace, int mutation)
{
	char code[16];

	if (status)
		snprintf(code, sizeof(code), "%d", status);
	else
		snprintf(code, sizeof(code), "dropped");
	pthread_mutex_lock(&f->lock);
	bump(f->stats, "requests_total");
	if (mutation)
		bump(f->stats, "mutations_total");
	bump(json_object_get(f->stats, "by_route"), route);
	bump(json_object_get(f->stats, "by_status"), code);
	if (workspace)
		bump(json_object_get(f->stats, "by_workspace"), workspace);
	pthread_mutex_unlock(&f->lock);
}

json_t *sim_faults_stats(struct sim_faults *f)
{
	json_t *copy;

	pthread_mutex_lock(&f->lock);
	copy = json_deep_copy(f->stats);
	pthread_mutex_unlock(&f->lock);
	return copy;
}
