/*
 * The executor's recovery paths against the real torq-sim: answers lost
 * after the work was done, requests lost before it, objects made behind
 * apply's back between plan and apply. Each test checks torq-sim's own
 * counters, so "never sent twice" is measured on the server.
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "simfix.h"
#include "torq/apply.h"
#include "torq/prepare.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

struct run {
	char dir[64];
	char manifest[128];
	struct connect_options co;
	struct varset vars;
	struct prepare_options po;
	struct prepared pp;
	struct apply_result res;
	struct buf err;
	char endpoint[96];
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

/*
 * Plan manifest (YAML text) against the emulator, for workspace Template,
 * with one more file (name and text, or NULL) beside it.
 */
static void plan(struct fix *f, struct run *r, const char *manifest,
		 const char *file, const char *text)
{
	char extra[160];

	char key[128];

	memset(r, 0, sizeof(*r));
	buf_init(&r->err);
	varset_init(&r->vars);
	snprintf(r->dir, sizeof(r->dir), "/tmp/torq-apply-test-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(key, sizeof(key), "%s/key.json", r->dir);
	write_file(key, "{\"client_id\": \"sim-admin\", \"client_secret\": "
		   "\"sim-admin-secret\"}", 0600);
	if (file) {
		snprintf(extra, sizeof(extra), "%s/%s", r->dir, file);
		write_file(extra, text, 0644);
	}
	snprintf(r->manifest, sizeof(r->manifest), "%s/m.yaml", r->dir);
	write_file(r->manifest, manifest, 0644);
	snprintf(r->endpoint, sizeof(r->endpoint), "%s", f->sim.base);
	r->co.endpoint = r->endpoint;
	r->po.manifest = r->manifest;
	r->po.vars = &r->vars;
	r->po.co = &r->co;
	if (prepare_plan(&r->po, &r->pp, &r->err))
		fprintf(stderr, "%s\n", r->err.s);
	assert_int_equal(r->pp.diags.errors, 0);
	assert_int_equal(r->err.len, 0);
}

static int apply(struct run *r)
{
	struct apply_env env;
	const struct credentials *k = prepared_target_key(&r->pp);

	memset(&env, 0, sizeof(env));
	env.client = r->pp.conn.client;
	env.target = client_session(env.client, k->client_id,
				    k->client_secret);
	env.doc = &r->pp.doc;
	env.desired = &r->pp.desired;
	env.live = &r->pp.live;
	env.store = &r->pp.store;
	return apply_run(&env, &r->pp.plan, &r->res, &r->err);
}

static void run_release(struct run *r)
{
	char cmd[160];

	prepared_release(&r->pp);
	apply_result_release(&r->res);
	varset_release(&r->vars);
	buf_release(&r->err);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	assert_int_equal(system(cmd), 0);
}

/* How many objects of kind in workspace Template have field == value. */
static size_t count_in_state(struct fix *f, const char *kind,
			     const char *field, const char *value)
{
	json_t *st = control(f, "GET", "/_sim/state", NULL), *ws, *o;
	size_t i, j, n = 0;

	json_array_foreach(json_object_get(st, "workspaces"), i, ws) {
		if (strcmp(json_string_value(json_object_get(ws, "name")),
			   "Template"))
			continue;
		json_array_foreach(json_object_get(ws, kind), j, o)
			n += !strcasecmp(json_string_value(
				json_object_get(o, field)), value);
	}
	json_decref(st);
	return n;
}

#define HEAD "version: 1\nworkspace: { name: Template, credentials: key.json }\n"

static void test_apply_invite_answer_lost(void **state)
{
	struct fix *f = *state;
	struct run r;

	plan(f, &r, HEAD "users:\n  - { email: new@example.com, role: "
	     "Operator }\n", NULL, NULL);
	assert_int_equal(r.pp.plan.steps_nr, 1);
	faults(f, "{\"rules\":[{\"route\":\"POST /v1alpha/users/invite\","
		  "\"kind\":\"drop_after\",\"every\":1,\"count\":1}]}");
	assert_int_equal(apply(&r), 0);
	assert_int_equal(r.res.done, 1);
	/* found by reading, not invited again */
	assert_int_equal(stat_of(f, "by_route", "POST /v1alpha/users/invite"),
			 1);
	assert_int_equal(count_in_state(f, "users", "email",
					"new@example.com"), 1);
	run_release(&r);
}

static void test_apply_request_lost_is_sent_again(void **state)
{
	struct fix *f = *state;
	struct run r;
	long before;

	plan(f, &r, HEAD "claim_mappings:\n  items:\n"
	     "    - { claim: groups, value: secops-admins, role: Owner }\n"
	     "    - { claim: groups, value: secops, role: Contributor }\n"
	     "    - { claim: groups, value: soc-analysts, role: Cases Analyst }\n"
	     "    - { claim: department, value: it, role: Viewer }\n"
	     "    - { claim: groups, value: new, role: Viewer }\n", NULL,
	     NULL);
	assert_int_equal(r.pp.plan.steps_nr, 1);
	/* dropped before the server did anything */
	faults(f, "{\"rules\":[{\"route\":\"POST /v1alpha/sso/claim_mappings\""
		  ",\"kind\":\"drop\",\"every\":1,\"count\":1}]}");
	before = stat_of(f, NULL, "mutations_total");
	assert_int_equal(apply(&r), 0);
	assert_int_equal(stat_of(f, NULL, "mutations_total") - before, 1);
	assert_int_equal(stat_of(f, "by_route",
				  "POST /v1alpha/sso/claim_mappings"), 2);
	assert_int_equal(count_in_state(f, "claim_mappings", "claim_value",
					"new"), 1);
	run_release(&r);
}

static void test_apply_import_answer_lost(void **state)
{
	struct fix *f = *state;
	struct run r;

	plan(f, &r, HEAD "workflows:\n  - { name: Fresh, file: fresh.yaml, "
	     "publish: true, tags: [t1] }\n", "fresh.yaml",
	     "name: Fresh\ntrigger: { type: on_demand }\nsteps: []\n");
	assert_int_equal(r.pp.plan.steps_nr, 3);
	faults(f, "{\"rules\":[{\"route\":\"POST /v1alpha/workflows/import\","
		  "\"kind\":\"drop_after\",\"every\":1,\"count\":1}]}");
	/* import lost, found by name; the tag and publish use its id */
	assert_int_equal(apply(&r), 0);
	assert_int_equal(r.res.done, 3);
	assert_int_equal(stat_of(f, "by_route",
				 "POST /v1alpha/workflows/import"), 1);
	assert_int_equal(count_in_state(f, "workflows", "name", "Fresh"), 1);
	run_release(&r);
}

static void test_apply_integration_answer_lost(void **state)
{
	struct fix *f = *state;
	struct run r;

	plan(f, &r, HEAD "integrations:\n  - { name: New Hook, vendor: webhook,"
	     " parameters: { path: /x } }\n", NULL, NULL);
	faults(f, "{\"rules\":[{\"route\":\"POST /v1alpha/integrations\","
		  "\"kind\":\"drop_after\",\"every\":1,\"count\":1}]}");
	assert_int_equal(apply(&r), 0);
	/* there after all: its parameters are set again, not a second one */
	assert_int_equal(stat_of(f, "by_route", "POST /v1alpha/integrations"),
			 1);
	assert_int_equal(stat_of(f, "by_route",
				 "PATCH /v1alpha/integrations/{id}"), 1);
	assert_int_equal(count_in_state(f, "integrations", "display_name",
					"New Hook"), 1);
	assert_non_null(fingerprint_store_get(&r.pp.store, "Template",
					      "New Hook"));
	run_release(&r);
}

static void test_apply_runner_answer_lost(void **state)
{
	struct fix *f = *state;
	struct run r;
	size_t i, skipped_import = 0;

	plan(f, &r, HEAD "step_runners:\n  - { name: Second, platform: docker,"
	     " install_commands_out: second.sh }\n"
	     "workflows:\n  - { name: Fresh, file: fresh.yaml }\n",
	     "fresh.yaml", "name: Fresh\nsteps: []\n");
	faults(f, "{\"rules\":[{\"route\":\"POST /v1alpha/step_runners\","
		  "\"kind\":\"drop_after\",\"every\":1,\"count\":1}]}");
	assert_int_equal(apply(&r), -1);
	/* the runner is there but its install command is lost: said so */
	assert_int_equal(r.res.failed, 1);
	assert_int_equal(r.res.skipped, 1);
	assert_int_equal(r.res.files_nr, 0);
	assert_int_equal(count_in_state(f, "step_runners", "display_name",
					"Second"), 1);
	for (i = 0; i < r.pp.plan.steps_nr; i++)
		skipped_import += r.pp.plan.steps[i].kind ==
			STEP_IMPORT_WORKFLOW;
	assert_int_equal(skipped_import, 1);
	assert_int_equal(count_in_state(f, "workflows", "name", "Fresh"), 0);
	run_release(&r);
}

static void test_apply_invited_behind_its_back(void **state)
{
	struct fix *f = *state;
	struct run r;

	plan(f, &r, HEAD "users:\n  - { email: late@example.com, role: "
	     "Contributor }\n", NULL, NULL);
	/* someone invites the same person, as a Viewer, after the plan */
	json_decref(must_call(f, "POST", "/users/invite", json_pack(
		"{s:s}", "email", "Late@example.com")));
	assert_int_equal(apply(&r), 0);
	/* refused as a duplicate, found, and given the manifest's role */
	assert_int_equal(stat_of(f, "by_route", "PATCH /v1alpha/users/{id}"),
			 1);
	assert_int_equal(count_in_state(f, "users", "email",
					"late@example.com"), 1);
	run_release(&r);
}

static const char report_yaml[] =
	"name: Daily report\n"
	"trigger:\n"
	"  type: schedule\n"
	"  cron: \"0 7 * * *\"\n"
	"steps:\n"
	"  - id: report\n"
	"    type: integration\n"
	"    integration: slack_alerts\n"
	"    action: send_message\n";

static void test_apply_published_behind_its_back(void **state)
{
	struct fix *f = *state;
	struct run r;
	json_t *list, *wf;
	char path[256];

	/* the seeded Daily report is not published */
	plan(f, &r, HEAD "workflows:\n  - { name: Daily report, file: "
	     "report.yaml, publish: true }\n", "report.yaml", report_yaml);
	assert_int_equal(r.pp.plan.steps_nr, 1);
	assert_int_equal(r.pp.plan.steps[0].kind, STEP_PUBLISH_WORKFLOW);
	list = must_call(f, "GET", "/workflows?name=Daily%20report", NULL);
	wf = json_array_get(json_object_get(list, "workflows"), 0);
	snprintf(path, sizeof(path), "/workflows/%s/revisions/%s/publish",
		 json_string_value(json_object_get(wf, "id")),
		 json_string_value(json_object_get(wf,
						   "current_revision_id")));
	json_decref(must_call(f, "PATCH", path, json_object()));
	json_decref(list);
	assert_int_equal(apply(&r), 0);
	/* read, seen published: not published again */
	assert_int_equal(stat_of(f, "by_route", "PATCH /v1alpha/workflows/{id}"
				 "/revisions/{rev}/publish"), 1);
	run_release(&r);
}

static void test_apply_publish_without_read(void **state)
{
	struct fix *f = *state;
	struct run r;
	json_t *list, *wf;
	const char *known;

	plan(f, &r, HEAD "workflows:\n  - { name: Fresh, file: fresh.yaml, "
	     "publish: true }\n", "fresh.yaml",
	     "name: Fresh\ntrigger: { type: on_demand }\nsteps: []\n");
	assert_int_equal(r.pp.plan.steps_nr, 2);
	assert_int_equal(apply(&r), 0);
	/* the import said which revision it made: published without a read */
	assert_int_equal(stat_of(f, "by_route", "GET /v1alpha/workflows/{id}"),
			 0);
	assert_int_equal(stat_of(f, "by_route", "PATCH /v1alpha/workflows/{id}"
				 "/revisions/{rev}/publish"), 1);
	/* and state.json knows that revision's digest: no read next time */
	list = must_call(f, "GET", "/workflows?name=Fresh", NULL);
	wf = json_array_get(json_object_get(list, "workflows"), 0);
	known = fingerprint_store_get_revision(&r.pp.store, "Template",
		"Fresh", json_string_value(json_object_get(wf,
		"current_revision_id")));
	assert_non_null(known);
	assert_string_equal(known, r.pp.desired.workflows[0].content_digest);
	json_decref(list);
	run_release(&r);
}

static void test_apply_publish_made_revision_refused(void **state)
{
	struct fix *f = *state;
	struct run r;

	plan(f, &r, HEAD "workflows:\n  - { name: Fresh, file: fresh.yaml, "
	     "publish: true }\n", "fresh.yaml",
	     "name: Fresh\ntrigger: { type: on_demand }\nsteps: []\n");
	/* as when someone edits the workflow between import and publish */
	faults(f, "{\"rules\":[{\"route\":\"PATCH /v1alpha/workflows/{id}"
		  "/revisions/{rev}/publish\",\"kind\":\"status\","
		  "\"status\":400,\"every\":1,\"count\":1}]}");
	assert_int_equal(apply(&r), 0);
	/* refused: read the workflow, publish its current revision */
	assert_int_equal(stat_of(f, "by_route", "GET /v1alpha/workflows/{id}"),
			 1);
	assert_int_equal(stat_of(f, "by_route", "PATCH /v1alpha/workflows/{id}"
				 "/revisions/{rev}/publish"), 2);
	run_release(&r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_apply_invite_answer_lost, fix_reset),
		cmocka_unit_test_setup(test_apply_request_lost_is_sent_again,
				       fix_reset),
		cmocka_unit_test_setup(test_apply_import_answer_lost,
				       fix_reset),
		cmocka_unit_test_setup(test_apply_integration_answer_lost,
				       fix_reset),
		cmocka_unit_test_setup(test_apply_runner_answer_lost,
				       fix_reset),
		cmocka_unit_test_setup(test_apply_invited_behind_its_back,
				       fix_reset),
		cmocka_unit_test_setup(test_apply_published_behind_its_back,
				       fix_reset),
		cmocka_unit_test_setup(test_apply_publish_without_read,
				       fix_reset),
		cmocka_unit_test_setup(test_apply_publish_made_revision_refused,
				       fix_reset),
	};

	sim_bin = argc > 1 ? argv[1] : getenv("TORQ_SIM");
	if (!sim_bin) {
		fprintf(stderr, "usage: %s TORQ_SIM_BINARY\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests_name("apply", tests, fix_setup,
					   fix_teardown);
}
