/*
 * Integration tests of the API client and the live-state reader against
 * the real torq-sim binary (argv[1]) over loopback HTTP. Faults come from
 * torq-sim's /_sim/faults rules, so every failure is a real one on the
 * wire: real 302s, real 429s, real dropped connections, real timeouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "bigseed.h"
#include "simfix.h"
#include "torq/buf.h"
#include "torq/client.h"
#include "torq/model.h"
#include "torq/reader.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* Upper bounds on time stretch under valgrind, which runs both sides. */
static double slack = 1.0;

/* Connection and tokens. */

static void test_client_token_cached_per_key(void **state)
{
	struct fix *f = *state;

	json_decref(must_call(f, "GET", "/roles", NULL));
	json_decref(must_call(f, "GET", "/users", NULL));
	assert_ptr_equal(client_session(f->c, "sim-admin", "sim-admin-secret"),
			 f->admin);
	json_decref(must_call(f, "GET", "/workflows", NULL));
	assert_int_equal(client_stats(f->c)->token_requests, 1);
	assert_int_equal(client_stats(f->c)->requests, 3);
	assert_int_equal(stat_of(f, NULL, "requests_total"), 4);
}

static void test_client_bad_key_is_unauthorized(void **state)
{
	struct fix *f = *state;
	struct session *s = client_session(f->c, "sim-admin", "wrong-secret");
	struct buf err = BUF_INIT;

	assert_ptr_not_equal(s, f->admin);
	assert_int_equal(client_call(f->c, s, "GET", "/users", NULL, NULL,
				     &err), CLIENT_UNAUTHORIZED);
	assert_non_null(strstr(err.s, "cannot get a token for client id "
				      "'sim-admin'"));
	assert_non_null(strstr(err.s, "HTTP 401"));
	assert_null(strstr(err.s, "wrong-secret"));
	assert_null(strstr(f->log.s, "wrong-secret"));
	/* the refusal is remembered: no second token request */
	buf_reset(&err);
	assert_int_equal(client_call(f->c, s, "GET", "/roles", NULL, NULL,
				     &err), CLIENT_UNAUTHORIZED);
	assert_int_equal(client_stats(f->c)->token_requests, 1);
	assert_int_equal(client_stats(f->c)->requests, 0);
	buf_release(&err);
}

static void expire_mid_run(struct fix *f)
{
	struct model m;
	struct buf err = BUF_INIT;

	/* the 4th API request finds its token expired */
	faults(f, "{\"rules\":[{\"route\":\"*\",\"kind\":\"expire_token\","
		  "\"nth\":4}]}");
	model_init(&m);
	assert_int_equal(reader_read(f->c, f->admin, NULL, &m, &err), 0);
	assert_int_equal(client_stats(f->c)->reauths, 1);
	assert_int_equal(client_stats(f->c)->token_requests, 2);
	assert_true(m.roles_nr >= 10);
	assert_true(m.users_nr >= 1);
	model_release(&m);
	buf_release(&err);
}

static void test_client_expired_token_302(void **state)
{
	struct fix *f = *state;

	expire_mid_run(f);
	assert_true(stat_of(f, "by_status", "302") >= 1);
}

static void test_client_expired_token_401_quirk(void **state)
{
	static const char *const args[] = { "--quirks", "expired-401", NULL };
	struct fix *f = fix_start(args);

	(void)state;
	expire_mid_run(f);
	assert_int_equal(stat_of(f, "by_status", "302"), 0);
	assert_true(stat_of(f, "by_status", "401") >= 1);
	fix_stop(f);
}

static void test_client_token_renewed_before_expiry(void **state)
{
	static const char *const args[] = { "--token-ttl", "2", NULL };
	struct fix *f = fix_start(args);

	(void)state;
	json_decref(must_call(f, "GET", "/roles", NULL));
	/* past three quarters of the lifetime: renewed before use */
	nanosleep(&(struct timespec){ 1, 600000000 }, NULL);
	json_decref(must_call(f, "GET", "/roles", NULL));
	assert_int_equal(client_stats(f->c)->token_requests, 2);
	assert_int_equal(client_stats(f->c)->reauths, 0);
	assert_int_equal(stat_of(f, "by_status", "302"), 0);
	fix_stop(f);
}

/* Retries. */

static void test_client_429_honours_retry_after(void **state)
{
	struct fix *f = *state;
	double t0 = now_s(), took;

	faults(f, "{\"rules\":[{\"route\":\"GET /v1alpha/roles\",\"kind\":"
		  "\"status\",\"status\":429,\"retry_after\":1,\"nth\":1}]}");
	json_decref(must_call(f, "GET", "/roles", NULL));
	took = now_s() - t0;
	assert_true(took >= 0.95);
	assert_true(took < 3.0 * slack);
	assert_non_null(strstr(f->log.s, "HTTP 429 RESOURCE_EXHAUSTED"));
	assert_non_null(strstr(f->log.s, "retrying in 1000 ms"));
}

static void test_client_429_without_retry_after(void **state)
{
	static const char *const args[] = { "--quirks", "no-retry-after",
					    NULL };
	struct fix *f = fix_start(args);
	double t0, took;

	(void)state;
	faults(f, "{\"rules\":[{\"route\":\"GET /v1alpha/roles\",\"kind\":"
		  "\"status\",\"status\":429,\"every\":1,\"count\":2}]}");
	t0 = now_s();
	json_decref(must_call(f, "GET", "/roles", NULL));
	took = now_s() - t0;
	/* our own backoff (base 20 ms, cap 200 ms), not a second */
	assert_true(took < 0.9 * slack);
	assert_int_equal(client_stats(f->c)->rate_limited, 2);
	assert_int_equal(client_stats(f->c)->retries, 2);
	fix_stop(f);
}

static void test_client_5xx_retried_for_reads(void **state)
{
	struct fix *f = *state;
	static const int codes[] = { 500, 502, 503, 504 };
	char rule[200];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(codes); i++) {
		snprintf(rule, sizeof(rule), "{\"rules\":[{\"route\":"
			 "\"GET /v1alpha/users\",\"kind\":\"status\","
			 "\"status\":%d,\"every\":1,\"count\":2}]}", codes[i]);
		faults(f, rule);
		json_decref(must_call(f, "GET", "/users", NULL));
	}
	assert_int_equal(client_stats(f->c)->retries, 8);
}

static json_t *invite(const char *email)
{
	return json_pack("{s:s}", "email", email);
}

static void test_client_5xx_on_mutations(void **state)
{
	struct fix *f = *state;
	struct buf err = BUF_INIT;
	json_t *out = NULL;

	/* 503: the server did not do it, so it is sent again */
	faults(f, "{\"rules\":[{\"route\":\"POST /v1alpha/users/invite\","
		  "\"kind\":\"status\",\"status\":503,\"nth\":1}]}");
	json_decref(must_call(f, "POST", "/users/invite",
			      invite("a@example.com")));
	assert_int_equal(client_stats(f->c)->retries, 1);
	/* 502: it may have been done; never sent twice */
	faults(f, "{\"rules\":[{\"route\":\"POST /v1alpha/users/invite\","
		  "\"kind\":\"status\",\"status\":502,\"nth\":1}]}");
	assert_int_equal(call(f, "POST", "/users/invite",
			      invite("b@example.com"), &out, &err),
			 CLIENT_OUTCOME_UNKNOWN);
	assert_null(out);
	assert_non_null(strstr(err.s, "POST "));
	assert_non_null(strstr(err.s, "/public/v1alpha/users/invite: "
				      "HTTP 502 UNAVAILABLE"));
	assert_non_null(strstr(err.s, "may or may not have taken effect"));
	assert_non_null(strstr(err.s, "(request id sim-"));
	assert_int_equal(stat_of(f, "by_route", "POST /v1alpha/users/invite"),
			 3);
	buf_release(&err);
}

static void test_client_gives_up(void **state)
{
	struct fix *f = *state;
	struct buf err = BUF_INIT;

	f->cfg.max_attempts = 3;
	fix_client(f);
	faults(f, "{\"rules\":[{\"route\":\"GET /v1alpha/roles\",\"kind\":"
		  "\"status\",\"status\":503,\"every\":1}]}");
	assert_int_equal(call(f, "GET", "/roles", NULL, NULL, &err),
			 CLIENT_UNAVAILABLE);
	assert_non_null(strstr(err.s, "HTTP 503 UNAVAILABLE: injected fault"));
	assert_non_null(strstr(err.s, "(gave up after 3 attempts)"));
	assert_int_equal(stat_of(f, "by_route", "GET /v1alpha/roles"), 3);
	buf_release(&err);
}

static void test_client_retry_budget(void **state)
{
	struct fix *f = *state;
	struct buf err = BUF_INIT;
	double t0 = now_s();

	f->cfg.max_attempts = 100;
	f->cfg.retry_budget_ms = 300;
	fix_client(f);
	faults(f, "{\"rules\":[{\"route\":\"GET /v1alpha/roles\",\"kind\":"
		  "\"status\",\"status\":500,\"every\":1}]}");
	assert_int_equal(call(f, "GET", "/roles", NULL, NULL, &err),
			 CLIENT_UNAVAILABLE);
	assert_true(now_s() - t0 < 1.0 * slack);
	assert_true(stat_of(f, "by_route", "GET /v1alpha/roles") < 20);
	buf_release(&err);
}

static void test_client_dropped_connections(void **state)
{
	struct fix *f = *state;
	struct buf err = BUF_INIT;
	long before;

	/* libcurl resends once by itself on a reused connection: count 2 */
	faults(f, "{\"rules\":[{\"route\":\"GET /v1alpha/users\",\"kind\":"
		  "\"drop\",\"every\":1,\"count\":2}]}");
	json_decref(must_call(f, "GET", "/users", NULL));
	assert_true(client_stats(f->c)->retries >= 1);

	faults(f, "{\"rules\":[{\"route\":\"POST /v1alpha/users/invite\","
		  "\"kind\":\"drop\",\"every\":1,\"count\":2}]}");
	before = stat_of(f, "by_route", "POST /v1alpha/users/invite");
	(void)before;
	assert_int_equal(call(f, "POST", "/users/invite",
			      invite("c@example.com"), NULL, &err),
			 CLIENT_OUTCOME_UNKNOWN);
	assert_non_null(strstr(err.s, "may or may not have taken effect"));
	buf_release(&err);
}

/* Done by the server, answer lost: unknown, and never sent twice. */
static void test_client_post_never_resent(void **state)
{
	struct fix *f = *state;
	struct buf err = BUF_INIT;
	json_t *users;

	json_decref(must_call(f, "GET", "/roles", NULL));	/* warm */
	faults(f, "{\"rules\":[{\"route\":\"POST /v1alpha/users/invite\","
		  "\"kind\":\"drop_after\",\"every\":1,\"count\":1}]}");
	assert_int_equal(call(f, "POST", "/users/invite",
			      invite("once@example.com"), NULL, &err),
			 CLIENT_OUTCOME_UNKNOWN);
	assert_int_equal(stat_of(f, "by_route", "POST /v1alpha/users/invite"),
			 1);
	/* the invitation was made, exactly once */
	users = must_call(f, "GET", "/users?page_size=100", NULL);
	{
		json_t *u;
		size_t i, n = 0;

		json_array_foreach(json_object_get(users, "users"), i, u)
			n += !strcmp(json_string_value(json_object_get(u,
				"email")), "once@example.com");
		assert_int_equal(n, 1);
	}
	json_decref(users);
	assert_int_equal(stat_of(f, NULL, "mutations_total"), 1);
	buf_release(&err);
}

static void test_client_timeouts(void **state)
{
	struct fix *f = *state;
	struct buf err = BUF_INIT;

	f->cfg.timeout_ms = 300;
	fix_client(f);
	json_decref(must_call(f, "GET", "/roles", NULL));
	faults(f, "{\"rules\":[{\"route\":\"*\",\"kind\":\"latency\","
		  "\"latency_ms\":800,\"nth\":1}]}");
	json_decref(must_call(f, "GET", "/roles", NULL));
	assert_int_equal(client_stats(f->c)->retries, 1);
	assert_non_null(strstr(f->log.s, "timed out"));

	faults(f, "{\"rules\":[{\"route\":\"*\",\"kind\":\"latency\","
		  "\"latency_ms\":800,\"nth\":1}]}");
	assert_int_equal(call(f, "POST", "/users/invite",
			      invite("d@example.com"), NULL, &err),
			 CLIENT_OUTCOME_UNKNOWN);
	buf_release(&err);
}

/* Errors. */

static void test_client_error_codes(void **state)
{
	struct fix *f = *state;
	struct buf err = BUF_INIT;

	assert_int_equal(call(f, "DELETE", "/users/no-such-id", NULL, NULL,
			      &err), CLIENT_NOT_FOUND);
	assert_non_null(strstr(err.s, "DELETE http://127.0.0.1:"));
	assert_non_null(strstr(err.s, "/public/v1alpha/users/no-such-id: "
				      "HTTP 404 NOT_FOUND: "));
	assert_non_null(strstr(err.s, "(request id sim-"));
	json_decref(must_call(f, "POST", "/users/invite",
			      invite("e@example.com")));
	assert_int_equal(call(f, "POST", "/users/invite",
			      invite("E@example.com"), NULL, &err),
			 CLIENT_CONFLICT);
	assert_non_null(strstr(err.s, "HTTP 409 ALREADY_EXISTS"));
	assert_int_equal(call(f, "POST", "/users/invite",
			      json_pack("{s:i}", "email", 3), NULL, &err),
			 CLIENT_ERROR);
	assert_non_null(strstr(err.s, "HTTP 400 INVALID_ARGUMENT"));
	buf_release(&err);
}

static void invite_twice(const char *quirk, int want)
{
	const char *args[] = { "--quirks", quirk, NULL };
	struct fix *f = fix_start(args);
	struct buf err = BUF_INIT;

	json_decref(must_call(f, "POST", "/users/invite",
			      invite("twice@example.com")));
	assert_int_equal(call(f, "POST", "/users/invite",
			      invite("twice@example.com"), NULL, &err), want);
	buf_release(&err);
	fix_stop(f);
}

static void test_client_invite_existing_quirks(void **state)
{
	(void)state;
	invite_twice("invite-existing-400", CLIENT_ERROR);
	invite_twice("invite-existing-200", CLIENT_OK);
}

/* Throughput controls. */

static int done_count;

static void count_done(void *ctx, const struct client_response *res)
{
	(void)ctx;
	if (res->code == CLIENT_OK)
		done_count++;
	else
		fprintf(stderr, "%s\n", res->error);
}

static void test_client_parallel(void **state)
{
	struct fix *f = *state;
	struct buf err = BUF_INIT;
	double t0;
	int i;

	json_decref(must_call(f, "GET", "/roles", NULL));
	faults(f, "{\"rules\":[{\"route\":\"GET /v1alpha/roles\",\"kind\":"
		  "\"latency\",\"latency_ms\":200,\"every\":1}]}");
	done_count = 0;
	t0 = now_s();
	for (i = 0; i < 16; i++)
		client_submit(f->c, f->admin, "GET", "/roles", NULL,
			      count_done, NULL);
	assert_int_equal(client_run(f->c, &err), 0);
	assert_int_equal(done_count, 16);
	assert_int_equal(client_stats(f->c)->max_in_flight, 8);
	/* two waves of eight, not sixteen one after another */
	assert_true(now_s() - t0 < 1.5 * slack);
	buf_release(&err);
}

static void test_client_rate_limit_avoids_429(void **state)
{
	static const char *const args[] = { "--rate-limit", "50", NULL };
	struct fix *f = fix_start(args);
	struct buf err = BUF_INIT;
	double t0;
	int i;

	(void)state;
	f->cfg.rate_limit = 40;
	fix_client(f);
	done_count = 0;
	t0 = now_s();
	for (i = 0; i < 100; i++)
		client_submit(f->c, f->admin, "GET", "/roles", NULL,
			      count_done, NULL);
	assert_int_equal(client_run(f->c, &err), 0);
	assert_int_equal(done_count, 100);
	assert_int_equal(client_stats(f->c)->rate_limited, 0);
	assert_int_equal(stat_of(f, "by_status", "429"), 0);
	/* 40 at once, then 60 more at 40 a second */
	assert_true(now_s() - t0 >= 1.4);
	assert_true(client_stats(f->c)->throttled > 0);

	/* without our limiter the server pushes back, and we still finish */
	f->cfg.rate_limit = 0;
	fix_client(f);
	done_count = 0;
	for (i = 0; i < 100; i++)
		client_submit(f->c, f->admin, "GET", "/roles", NULL,
			      count_done, NULL);
	assert_int_equal(client_run(f->c, &err), 0);
	assert_int_equal(done_count, 100);
	assert_true(client_stats(f->c)->rate_limited > 0);
	buf_release(&err);
	fix_stop(f);
}

/* Logging never shows a secret. */

static void test_client_verbose_log_redacts(void **state)
{
	struct fix *f = *state;
	json_t *body = json_pack("{s:s, s:s, s:{s:s}}", "display_name",
				 "Slack SOC", "type_id", "slack", "parameters",
				 "webhook_url", "https://hooks.example/T0/XyzzyS3cret");

	json_decref(must_call(f, "POST", "/integrations", body));
	assert_non_null(strstr(f->log.s, "> POST /integrations {"));
	assert_non_null(strstr(f->log.s, "\"webhook_url\":\"(sensitive)\""));
	assert_null(strstr(f->log.s, "XyzzyS3cret"));
	assert_null(strstr(f->log.s, "sim-admin-secret"));
	assert_null(strstr(f->log.s, "Bearer"));
	assert_non_null(strstr(f->log.s, "< 200 POST /integrations"));
}

/* What the trace hook is given: every attempt, never the key. */
struct seen {
	struct buf text;	/* url status token request response, a line each */
	unsigned n;
};

static void record_exchange(void *ctx, const struct client_exchange *x)
{
	struct seen *seen = ctx;

	seen->n++;
	buf_addf(&seen->text, "%s %s %ld token=%d ct=%s id=%s req=%s resp=",
		 x->method, x->url, x->status, x->is_token, x->content_type,
		 x->request_id, x->request_body ? x->request_body : "-");
	buf_add(&seen->text, x->response, x->response_len);
	buf_addch(&seen->text, '\n');
	assert_true(x->elapsed_ms >= 0);
}

static void test_client_trace_hook(void **state)
{
	struct fix *f = *state;
	struct seen seen = { BUF_INIT, 0 };
	json_t *body = json_pack("{s:s}", "claim", "groups");
	const char *line;

	f->cfg.trace = record_exchange;
	f->cfg.trace_ctx = &seen;
	fix_client(f);
	faults(f, "{\"rules\":[{\"route\":\"GET /v1alpha/roles\",\"kind\":"
		  "\"status\",\"status\":503,\"nth\":1}]}");
	json_decref(must_call(f, "GET", "/roles", NULL));
	call(f, "POST", "/sso/claim_mappings", body, NULL, &f->log);
	/* the token, the 503, the retry, the POST */
	assert_int_equal(seen.n, 4);
	line = seen.text.s;
	assert_non_null(strstr(line, "POST http://"));
	assert_non_null(strstr(line, "/v1/auth/token 200 token=1 ct="
			       "application/json;charset=UTF-8 id=sim-"));
	assert_non_null(strstr(line, " req=- resp={\"access_token\":"));
	assert_non_null(strstr(line, "/roles 503 token=0"));
	assert_non_null(strstr(line, "/roles 200 token=0"));
	assert_non_null(strstr(line, "/sso/claim_mappings 400 token=0 ct="
			       "application/json id=sim-"));
	assert_non_null(strstr(line, " req={\"claim\":\"groups\"} resp={"));
	/* the Basic header and the form body are never handed over */
	assert_null(strstr(line, "sim-admin-secret"));
	assert_null(strstr(line, "grant_type"));
	assert_null(strstr(line, "Basic"));
	buf_release(&seen.text);
}

/* The reader. */

static void invite_as(struct fix *f, const char *email, const char *role,
		      const struct model *roles)
{
	const struct model_role *r = model_role_by_name(roles, role);

	assert_non_null(r);
	json_decref(must_call(f, "POST", "/users/invite", json_pack(
		"{s:s, s:s}", "email", email, "role_id", r->id)));
}

static void test_reader_model(void **state)
{
	struct fix *f = *state;
	struct model m, roles;
	struct buf err = BUF_INIT, p = BUF_INIT;
	const char *names[] = { "Beta" };
	struct reader_options o = { 0 };
	json_t *wf, *cm;
	const char *id, *rev;
	size_t i;

	model_init(&roles);
	o.kinds = MODEL_ROLES;
	assert_int_equal(reader_read(f->c, f->admin, &o, &roles, &err), 0);
	assert_int_equal(roles.kinds, MODEL_ROLES);
	invite_as(f, "Zed@Example.com", "Operator", &roles);
	invite_as(f, "amy@example.com", "contributor", &roles);
	for (i = 0; i < 3; i++) {
		cm = must_call(f, "POST", "/sso/claim_mappings", json_pack(
			"{s:s, s:s, s:s}", "claim_name", "groups",
			"claim_value", i == 0 ? "c" : i == 1 ? "a" : "b",
			"role_id", model_role_by_name(&roles, "Viewer")->id));
		if (i == 2) {
			/* b to the front: [b, c, a] */
			buf_reset(&p);
			buf_addf(&p, "/sso/claim_mappings/%s",
				 json_string_value(json_object_get(cm, "id")));
			json_decref(must_call(f, "PATCH", p.s,
					      json_pack("{s:i}", "rank", 1)));
		}
		json_decref(cm);
	}
	json_decref(must_call(f, "POST", "/workflows/import",
			      bigseed_workflow("Beta", "webhook")));
	wf = must_call(f, "POST", "/workflows/import",
		       bigseed_workflow("Alpha", "nested"));
	id = json_string_value(json_object_get(wf, "workflow_id"));
	rev = json_string_value(json_object_get(wf, "revision_id"));
	buf_reset(&p);
	buf_addf(&p, "/workflows/%s/revisions/%s/publish", id, rev);
	json_decref(must_call(f, "PATCH", p.s, json_object()));
	buf_reset(&p);
	buf_addf(&p, "/workflows/%s/tags", id);
	json_decref(must_call(f, "POST", p.s, json_pack("{s:s}", "name",
							"zulu")));
	json_decref(must_call(f, "POST", p.s, json_pack("{s:s}", "name",
							"alpha")));
	json_decref(wf);

	model_init(&m);
	o.kinds = 0;
	o.contents = names;
	o.contents_nr = 1;
	assert_int_equal(reader_read(f->c, f->admin, &o, &m, &err), 0);
	assert_int_equal(m.kinds, MODEL_ALL);
	/*
	 * On top of the seed (docs/sim-api.md): owner, alice, bob, carol
	 * (SSO), dave (invited); four mappings; five workflows. Users sorted
	 * by e-mail whatever the case, both user lists merged.
	 */
	assert_int_equal(m.users_nr, 7);
	assert_string_equal(m.users[0].email, "alice@example.com");
	assert_string_equal(m.users[1].email, "amy@example.com");
	assert_string_equal(m.users[1].role, "Contributor");
	assert_int_equal(m.users[1].status, MODEL_USER_INVITED);
	assert_string_equal(m.users[3].email, "carol@example.com");
	assert_true(m.users[3].sso);
	assert_string_equal(m.users[3].role, "Cases Analyst");
	assert_string_equal(m.users[5].email, "owner@example.com");
	assert_string_equal(m.users[5].role, "Owner");
	assert_int_equal(m.users[5].status, MODEL_USER_VERIFIED);
	assert_false(m.users[5].sso);
	assert_string_equal(m.users[6].email, "Zed@Example.com");
	assert_string_equal(m.users[6].role, "Operator");
	/* mappings in rank order, roles named: b moved to the front */
	assert_int_equal(m.claim_mappings_nr, 7);
	assert_string_equal(m.claim_mappings[0].value, "b");
	assert_string_equal(m.claim_mappings[0].role, "Viewer");
	assert_string_equal(m.claim_mappings[1].value, "secops-admins");
	assert_string_equal(m.claim_mappings[1].role, "Owner");
	assert_string_equal(m.claim_mappings[5].value, "c");
	assert_string_equal(m.claim_mappings[6].value, "a");
	for (i = 0; i < m.claim_mappings_nr; i++)
		assert_int_equal(m.claim_mappings[i].rank, (long)i + 1);
	/* workflows by name: publish state, tags sorted, YAML when asked */
	assert_int_equal(m.workflows_nr, 7);
	assert_string_equal(m.workflows[0].name, "Alpha");
	assert_true(m.workflows[0].published);
	assert_int_equal(m.workflows[0].tags_nr, 2);
	assert_string_equal(m.workflows[0].tags[0], "alpha");
	assert_string_equal(m.workflows[0].tags[1], "zulu");
	assert_null(m.workflows[0].content);
	assert_null(m.workflows[0].trigger);	/* not documented */
	assert_string_equal(m.workflows[1].name, "Beta");
	assert_false(m.workflows[1].published);
	assert_non_null(m.workflows[1].content);
	assert_non_null(strstr(m.workflows[1].content, "name: Beta"));
	for (i = 2; i < m.workflows_nr; i++)
		assert_null(m.workflows[i].content);
	/* the seeded integrations and runner, by display name */
	assert_int_equal(m.integrations_nr, 3);
	assert_string_equal(m.integrations[0].name, "Phishing Webhook");
	assert_string_equal(m.integrations[1].vendor, "slack");
	/* what torq-apply last set is not the API's to say */
	assert_null(m.integrations[1].fingerprint);
	assert_int_equal(m.runners_nr, 1);
	assert_string_equal(m.runners[0].name, "Primary Runner");
	/* the documented StepRunner has no platform */
	assert_null(m.runners[0].platform);
	assert_non_null(m.runners[0].created_at);
	model_release(&m);
	model_release(&roles);
	buf_release(&err);
	buf_release(&p);
}

static void test_reader_int64_strings_quirk(void **state)
{
	static const char *const args[] = { "--quirks", "int64-strings",
					    NULL };
	struct fix *f = fix_start(args);
	struct model m;
	struct buf err = BUF_INIT;
	struct reader_options o = { .kinds = MODEL_CLAIM_MAPPINGS };
	json_t *roles = must_call(f, "GET", "/roles", NULL);
	const char *rid = json_string_value(json_object_get(json_array_get(
		json_object_get(roles, "roles"), 0), "id"));
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		json_decref(must_call(f, "POST", "/sso/claim_mappings",
			json_pack("{s:s, s:s, s:s}", "claim_name", "g",
				  "claim_value", i ? "y" : "x",
				  "role_id", rid)));
	model_init(&m);
	assert_int_equal(reader_read(f->c, f->admin, &o, &m, &err), 0);
	/* four seeded, three added; ranks arrive as "1", "2"... */
	assert_int_equal(m.claim_mappings_nr, 7);
	for (i = 0; i < 7; i++) {
		assert_int_equal(m.claim_mappings[i].rank, i + 1);
		assert_non_null(m.claim_mappings[i].role);
	}
	assert_string_equal(m.claim_mappings[6].value, "y");
	model_release(&m);
	json_decref(roles);
	buf_release(&err);
	fix_stop(f);
}

/* Paging across several pages, with both ways of saying "the end". */
static void read_pages(const char *quirk)
{
	const char *args[] = { "--quirks", quirk, NULL };
	struct fix *f = fix_start(quirk ? args : NULL);
	struct model m;
	struct buf err = BUF_INIT, email = BUF_INIT;
	struct reader_options o = { .kinds = MODEL_USERS, .page_size = 3 };
	long before;
	int i;

	for (i = 0; i < 10; i++) {
		buf_reset(&email);
		buf_addf(&email, "u%02d@example.com", i);
		json_decref(must_call(f, "POST", "/users/invite",
				      invite(email.s)));
	}
	before = stat_of(f, NULL, "requests_total");
	model_init(&m);
	assert_int_equal(reader_read(f->c, f->admin, &o, &m, &err), 0);
	/* the five seeded users and ten more */
	assert_int_equal(m.users_nr, 15);
	assert_string_equal(m.users[14].email, "u09@example.com");
	/* roles 4 pages (10/3), local users 5 (14/3), SSO users 1 (1/3) */
	assert_int_equal(stat_of(f, NULL, "requests_total") - before, 10);
	model_release(&m);
	buf_release(&err);
	buf_release(&email);
	fix_stop(f);
}

static void test_reader_paging(void **state)
{
	(void)state;
	read_pages(NULL);
	read_pages("empty-next-token");
}

static void test_reader_roles_fallback(void **state)
{
	struct fix *f = *state;
	struct model m;
	struct buf err = BUF_INIT;
	struct reader_options o = { .kinds = MODEL_ROLES };

	faults(f, "{\"rules\":[{\"route\":\"GET /v1alpha/roles\",\"kind\":"
		  "\"status\",\"status\":404,\"every\":1}]}");
	model_init(&m);
	assert_int_equal(reader_read(f->c, f->admin, &o, &m, &err), 0);
	assert_true(m.roles_nr >= 10);
	assert_int_equal(stat_of(f, "by_route", "GET /v1alpha/users/roles"),
			 1);
	model_release(&m);
	buf_release(&err);
}

static void test_reader_reports_failures(void **state)
{
	struct fix *f = *state;
	struct model m;
	struct buf err = BUF_INIT;

	f->cfg.max_attempts = 2;
	fix_client(f);
	faults(f, "{\"rules\":[{\"route\":\"GET /v1alpha/step_runners\","
		  "\"kind\":\"status\",\"status\":403,\"every\":1}]}");
	model_init(&m);
	assert_int_equal(reader_read(f->c, f->admin, NULL, &m, &err), -1);
	assert_non_null(strstr(err.s, "/step_runners?page_size=100: "
				      "HTTP 403 PERMISSION_DENIED"));
	assert_null(strchr(err.s, '\n'));
	model_release(&m);
	buf_release(&err);
}

static void test_reader_workspaces(void **state)
{
	struct fix *f = *state;
	struct model_workspace *ws = NULL;
	size_t nr = 0, i;
	struct buf err = BUF_INIT;

	json_decref(must_call(f, "POST", "/workspaces", json_pack(
		"{s:s}", "name", "Acme SOC")));
	assert_int_equal(reader_workspaces(f->c, f->admin, &ws, &nr, &err),
			 0);
	assert_int_equal(nr, 2);
	assert_string_equal(ws[0].name, "Acme SOC");
	assert_string_equal(ws[1].name, "Template");
	assert_int_equal(ws[1].owners_nr, 1);
	assert_string_equal(ws[1].owners[0], "owner@example.com");
	for (i = 0; i < nr; i++)
		model_workspace_release(&ws[i]);
	free(ws);
	buf_release(&err);
}

/* The request count of a full read of a large workspace. */

#define BIG_USERS 1000
#define BIG_INTEGRATIONS 200
#define BIG_RUNNERS 10
#define BIG_WORKFLOWS 300

static size_t pages(size_t n)
{
	return n ? (n + 99) / 100 : 1;
}

static void test_reader_request_count(void **state)
{
	struct fix *f = *state;
	/* the seed holds 5 users (one SSO), 3 integrations, 1 runner, 5 workflows */
	static const struct bigseed big = {
		BIG_USERS - 5, BIG_INTEGRATIONS - 3, BIG_RUNNERS - 1,
		BIG_WORKFLOWS - 5
	};
	const struct model_workflow *wf;
	size_t i, with_content = 0;
	struct buf err = BUF_INIT;
	struct model m;
	struct reader_options o = { 0 };
	const char *want[] = { "wf-007", "wf-123", "wf-294" };
	long before, expect;

	f->cfg.parallel = 16;
	f->cfg.rate_limit = 0;	/* the emulator runs without one here */
	fix_client(f);
	if (bigseed_run(f->c, f->admin, &big, &err))
		fprintf(stderr, "%s", err.s);
	assert_int_equal(err.len, 0);

	/* a new client with the defaults: its token request is counted */
	client_config_init(&f->cfg);
	f->cfg.api = f->api;
	f->cfg.token_url = f->token_url;
	fix_client(f);
	before = stat_of(f, NULL, "requests_total");
	model_init(&m);
	assert_int_equal(reader_read(f->c, f->admin, NULL, &m, &err), 0);
	assert_int_equal(m.users_nr, BIG_USERS);
	assert_int_equal(m.integrations_nr, BIG_INTEGRATIONS);
	assert_int_equal(m.runners_nr, BIG_RUNNERS);
	assert_int_equal(m.workflows_nr, BIG_WORKFLOWS);
	expect = 1 /* token */ + pages(10) /* roles */ +
		pages(BIG_USERS - 1) + pages(1) /* local and SSO users */ +
		pages(4) /* claim mappings */ + pages(BIG_INTEGRATIONS) +
		pages(BIG_RUNNERS) + pages(BIG_WORKFLOWS);
	assert_int_equal(expect, 20);
	assert_int_equal(stat_of(f, NULL, "requests_total") - before,
			 expect);
	model_release(&m);

	/* the documented extra reads: one per workflow whose YAML is needed */
	before = stat_of(f, NULL, "requests_total");
	o.kinds = MODEL_WORKFLOWS;
	o.contents = want;
	o.contents_nr = ARRAY_SIZE(want);
	model_init(&m);
	assert_int_equal(reader_read(f->c, f->admin, &o, &m, &err), 0);
	assert_int_equal(stat_of(f, NULL, "requests_total") - before,
			 (long)pages(BIG_WORKFLOWS) + 3);
	for (i = 0; i < m.workflows_nr; i++) {
		wf = &m.workflows[i];
		if (!wf->content)
			continue;
		with_content++;
		assert_true(!strcmp(wf->name, "wf-007") ||
			    !strcmp(wf->name, "wf-123") ||
			    !strcmp(wf->name, "wf-294"));
		assert_non_null(strstr(wf->content, wf->name));
	}
	assert_int_equal(with_content, 3);
	model_release(&m);
	buf_release(&err);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_client_token_cached_per_key, fix_reset),
		cmocka_unit_test_setup(test_client_bad_key_is_unauthorized,
				       fix_reset),
		cmocka_unit_test_setup(test_client_expired_token_302, fix_reset),
		cmocka_unit_test(test_client_expired_token_401_quirk),
		cmocka_unit_test(test_client_token_renewed_before_expiry),
		cmocka_unit_test_setup(test_client_429_honours_retry_after, fix_reset),
		cmocka_unit_test(test_client_429_without_retry_after),
		cmocka_unit_test_setup(test_client_5xx_retried_for_reads,
				       fix_reset),
		cmocka_unit_test_setup(test_client_5xx_on_mutations, fix_reset),
		cmocka_unit_test_setup(test_client_gives_up, fix_reset),
		cmocka_unit_test_setup(test_client_retry_budget, fix_reset),
		cmocka_unit_test_setup(test_client_dropped_connections, fix_reset),
		cmocka_unit_test_setup(test_client_post_never_resent, fix_reset),
		cmocka_unit_test_setup(test_client_timeouts, fix_reset),
		cmocka_unit_test_setup(test_client_error_codes, fix_reset),
		cmocka_unit_test(test_client_invite_existing_quirks),
		cmocka_unit_test_setup(test_client_parallel, fix_reset),
		cmocka_unit_test(test_client_rate_limit_avoids_429),
		cmocka_unit_test_setup(test_client_verbose_log_redacts, fix_reset),
		cmocka_unit_test_setup(test_client_trace_hook, fix_reset),
		cmocka_unit_test_setup(test_reader_model, fix_reset),
		cmocka_unit_test(test_reader_int64_strings_quirk),
		cmocka_unit_test(test_reader_paging),
		cmocka_unit_test_setup(test_reader_roles_fallback, fix_reset),
		cmocka_unit_test_setup(test_reader_reports_failures, fix_reset),
		cmocka_unit_test_setup(test_reader_workspaces, fix_reset),
		cmocka_unit_test_setup(test_reader_request_count, fix_reset),
	};

	sim_bin = argc > 1 ? argv[1] : getenv("TORQ_SIM");
	if (!sim_bin) {
		fprintf(stderr, "usage: %s TORQ_SIM_BINARY\n", argv[0]);
		return 2;
	}
	if (getenv("VALGRIND") && *getenv("VALGRIND"))
		slack = 8.0;
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests_name("client", tests, fix_setup,
					   fix_teardown);
}
