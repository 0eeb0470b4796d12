/* The typed workspace state both sides of a plan share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/doc.h"
#include "torq/model.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* The model as compact JSON with sorted keys; the caller frees it. */
static char *dump(const struct model *m)
{
	json_t *j = model_to_json(m);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	assert_non_null(s);
	return s;
}

static void assert_dump(const struct model *m, const char *want)
{
	char *s = dump(m);

	if (strcmp(s, want))
		fail_msg("model_to_json:\n got  %s\n want %s", s, want);
	free(s);
}

static void add_role(struct model *m, const char *id, const char *name,
		     int custom)
{
	struct model_role *r = model_add_role(m);

	r->id = id ? xstrdup(id) : NULL;
	r->name = xstrdup(name);
	r->is_custom = custom;
}

static void add_user(struct model *m, const char *email)
{
	model_add_user(m)->email = xstrdup(email);
}

static void add_claim(struct model *m, long rank, const char *claim,
		      const char *value)
{
	struct model_claim_mapping *c = model_add_claim_mapping(m);

	c->rank = rank;
	c->claim = xstrdup(claim);
	c->value = xstrdup(value);
}

static void test_model_add_returns_zeroed_items(void **state)
{
	struct model m;
	struct model_user *u;
	struct model_workflow *w;
	size_t i;

	(void)state;
	model_init(&m);
	/* enough to grow the arrays more than once */
	for (i = 0; i < 40; i++) {
		u = model_add_user(&m);
		assert_null(u->id);
		assert_null(u->email);
		assert_null(u->mark);
		assert_int_equal(u->status, MODEL_USER_UNKNOWN);
		assert_int_equal(u->sso, 0);
		u->email = xstrdup("x@y.z");
		u->sso = 1;
	}
	assert_int_equal(m.users_nr, 40);
	assert_string_equal(m.users[0].email, "x@y.z");
	w = model_add_workflow(&m);
	assert_null(w->tags);
	assert_int_equal(w->tags_nr, 0);
	assert_int_equal(w->published, 0);
	assert_int_equal(model_add_claim_mapping(&m)->rank, 0);
	assert_null(model_add_integration(&m)->parameters);
	assert_int_equal(model_add_runner(&m)->allow_cluster_management, 0);
	assert_int_equal(model_add_role(&m)->is_custom, 0);
	model_release(&m);
}

/* Every string is freed (valgrind/ASan tell), the struct is zero again. */
static void test_model_release_frees_and_zeroes(void **state)
{
	static const struct model zero;
	struct model m;
	struct model_integration *in;
	struct model_workflow *w;
	json_t *params = json_pack("{s:s}", "token", "t");

	(void)state;
	model_init(&m);
	m.kinds = MODEL_ALL;
	m.workspace.id = xstrdup("ws1");
	m.workspace.name = xstrdup("acme");
	m.workspace.credentials = xstrdup("c.json");
	m.workspace.credentials_out = xstrdup("o.json");
	m.workspace.owners = xcalloc(2, sizeof(char *));
	m.workspace.owners[0] = xstrdup("a@x.io");
	m.workspace.owners[1] = xstrdup("b@x.io");
	m.workspace.owners_nr = m.workspace.owners_alloc = 2;
	m.source_credentials = xstrdup("s.json");
	add_role(&m, "r1", "Owner", 0);
	model_add_user(&m)->role_id = xstrdup("r1");
	add_claim(&m, 1, "groups", "soc");
	m.claim_mappings[0].role = xstrdup("Owner");
	m.claim_mappings[0].role_id = xstrdup("r1");
	m.claim_mappings[0].id = xstrdup("cm1");
	in = model_add_integration(&m);
	in->name = xstrdup("slack");
	in->vendor = xstrdup("slack");
	in->fingerprint = xstrdup("fp");
	in->parameters = json_incref(params);
	assert_int_equal(params->refcount, 2);
	model_add_runner(&m)->install_commands_out = xstrdup("r.sh");
	w = model_add_workflow(&m);
	w->current_revision_id = xstrdup("rev1");
	w->published_revision_id = xstrdup("rev0");
	w->trigger = xstrdup("webhook");
	w->file = xstrdup("w.yaml");
	w->content = xstrdup("name: w\n");
	model_workflow_add_tag(w, "a");

	model_release(&m);
	/* the parameters reference was dropped, the object is still ours */
	assert_int_equal(params->refcount, 1);
	assert_memory_equal(&m, &zero, sizeof(m));
	json_decref(params);
	/* releasing twice, or NULL, is harmless */
	model_release(&m);
	model_release(NULL);
	model_workspace_release(NULL);
}

static void test_model_workspace_release_frees_owners(void **state)
{
	struct model_workspace ws;

	(void)state;
	memset(&ws, 0, sizeof(ws));
	ws.name = xstrdup("w");
	ws.owners = xcalloc(1, sizeof(char *));
	ws.owners[0] = xstrdup("o@x.io");
	ws.owners_nr = ws.owners_alloc = 1;
	ws.workflows_usage = 3;
	model_workspace_release(&ws);
	assert_null(ws.name);
	assert_null(ws.owners);
	assert_int_equal(ws.owners_nr, 0);
	assert_int_equal(ws.workflows_usage, 0);
}

static void test_model_tags_sorted_without_duplicates(void **state)
{
	static const char *const want[] = { "B", "a", "b", "c", "tier-1" };
	struct model m;
	struct model_workflow *w;
	size_t i;

	(void)state;
	model_init(&m);
	w = model_add_workflow(&m);
	model_workflow_add_tag(w, "b");
	model_workflow_add_tag(w, "tier-1");
	model_workflow_add_tag(w, "a");
	model_workflow_add_tag(w, "c");
	model_workflow_add_tag(w, "a");
	/* tags are names: a different case is a different tag */
	model_workflow_add_tag(w, "B");
	model_workflow_add_tag(w, "tier-1");
	model_workflow_add_tag(w, "c");
	assert_int_equal(w->tags_nr, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(w->tags[i], want[i]);
	model_release(&m);
}

/* Many tags, inserted in reverse: the list stays sorted as it grows. */
static void test_model_tags_many(void **state)
{
	struct model m;
	struct model_workflow *w;
	char tag[16];
	int i;

	(void)state;
	model_init(&m);
	w = model_add_workflow(&m);
	for (i = 99; i >= 0; i--) {
		snprintf(tag, sizeof(tag), "t%02d", i);
		model_workflow_add_tag(w, tag);
		model_workflow_add_tag(w, tag);
	}
	assert_int_equal(w->tags_nr, 100);
	for (i = 0; i < 100; i++) {
		snprintf(tag, sizeof(tag), "t%02d", i);
		assert_string_equal(w->tags[i], tag);
	}
	model_release(&m);
}

static void test_model_sort_by_name(void **state)
{
	struct model m;

	(void)state;
	model_init(&m);
	add_role(&m, "3", "Viewer", 0);
	add_role(&m, "1", "Owner", 0);
	add_role(&m, "9", "analyst", 1);
	add_role(&m, "2", "Cases Analyst", 0);
	model_add_integration(&m)->name = xstrdup("slack-b");
	model_add_integration(&m)->name = xstrdup("jira");
	model_add_integration(&m)->name = xstrdup("slack-a");
	model_add_runner(&m)->name = xstrdup("k8s");
	model_add_runner(&m)->name = xstrdup("docker");
	model_add_workflow(&m)->name = xstrdup("Phishing triage");
	model_add_workflow(&m)->name = xstrdup("Enrich IOC");
	model_add_workflow(&m)->name = xstrdup("enrich later");
	model_sort(&m);
	/* by strcmp: upper case sorts before lower case */
	assert_string_equal(m.roles[0].name, "Cases Analyst");
	assert_string_equal(m.roles[1].name, "Owner");
	assert_string_equal(m.roles[2].name, "Viewer");
	assert_string_equal(m.roles[3].name, "analyst");
	assert_string_equal(m.roles[3].id, "9");
	assert_string_equal(m.integrations[0].name, "jira");
	assert_string_equal(m.integrations[1].name, "slack-a");
	assert_string_equal(m.integrations[2].name, "slack-b");
	assert_string_equal(m.runners[0].name, "docker");
	assert_string_equal(m.runners[1].name, "k8s");
	assert_string_equal(m.workflows[0].name, "Enrich IOC");
	assert_string_equal(m.workflows[1].name, "Phishing triage");
	assert_string_equal(m.workflows[2].name, "enrich later");
	model_release(&m);
}

static void test_model_sort_users_by_email_ignoring_case(void **state)
{
	struct model m;

	(void)state;
	model_init(&m);
	add_user(&m, "carol@x.io");
	add_user(&m, "Bob@x.io");
	add_user(&m, "alice@x.io");
	add_user(&m, "ALICE@w.io");
	add_user(&m, "Alice@x.io");
	model_sort(&m);
	/* strcmp would put "ALICE" and "Bob" first */
	assert_string_equal(m.users[0].email, "ALICE@w.io");
	/* equal but for case: still one fixed order */
	assert_string_equal(m.users[1].email, "Alice@x.io");
	assert_string_equal(m.users[2].email, "alice@x.io");
	assert_string_equal(m.users[3].email, "Bob@x.io");
	assert_string_equal(m.users[4].email, "carol@x.io");
	model_release(&m);
}

static void test_model_sort_claim_mappings_by_rank(void **state)
{
	struct model m;

	(void)state;
	model_init(&m);
	add_claim(&m, 3, "groups", "c");
	add_claim(&m, 10, "groups", "a");
	add_claim(&m, 2, "groups", "z");
	add_claim(&m, 2, "email", "z");
	add_claim(&m, 2, "groups", "b");
	add_claim(&m, 1, "x", "x");
	model_sort(&m);
	/* by rank as a number (10 after 3), ties by claim then value */
	assert_int_equal(m.claim_mappings[0].rank, 1);
	assert_string_equal(m.claim_mappings[1].claim, "email");
	assert_string_equal(m.claim_mappings[2].value, "b");
	assert_string_equal(m.claim_mappings[3].value, "z");
	assert_string_equal(m.claim_mappings[3].claim, "groups");
	assert_int_equal(m.claim_mappings[4].rank, 3);
	assert_int_equal(m.claim_mappings[5].rank, 10);
	model_release(&m);
}

/* Live data may lack a name; sorting must not crash on it. */
static void test_model_sort_tolerates_missing_names(void **state)
{
	struct model m;

	(void)state;
	model_init(&m);
	model_sort(&m);
	model_add_workflow(&m)->name = xstrdup("b");
	model_add_workflow(&m);
	model_add_workflow(&m)->name = xstrdup("a");
	add_user(&m, "a@x.io");
	model_add_user(&m);
	model_sort(&m);
	assert_null(m.workflows[0].name);
	assert_string_equal(m.workflows[1].name, "a");
	assert_string_equal(m.workflows[2].name, "b");
	assert_null(m.users[0].email);
	model_release(&m);
}

static void test_model_role_lookup(void **state)
{
	struct model m;
	const struct model_role *r;

	(void)state;
	model_init(&m);
	assert_null(model_role_by_name(&m, "Owner"));
	add_role(&m, "r-own", "Owner", 0);
	add_role(&m, "r-ia", "Interact Only", 0);
	add_role(&m, NULL, "Tier 2", 1);
	r = model_role_by_name(&m, "interact only");
	assert_non_null(r);
	assert_string_equal(r->id, "r-ia");
	r = model_role_by_name(&m, "OWNER");
	assert_ptr_equal(r, &m.roles[0]);
	r = model_role_by_name(&m, "tier 2");
	assert_non_null(r);
	assert_int_equal(r->is_custom, 1);
	assert_null(model_role_by_name(&m, "Own"));
	assert_null(model_role_by_name(&m, "Interact"));
	assert_null(model_role_by_name(&m, NULL));
	/* ids are exact */
	assert_ptr_equal(model_role_by_id(&m, "r-ia"), &m.roles[1]);
	assert_null(model_role_by_id(&m, "R-IA"));
	assert_null(model_role_by_id(&m, NULL));
	model_release(&m);
}

static void test_model_to_json_empty(void **state)
{
	struct model m;

	(void)state;
	model_init(&m);
	assert_dump(&m, "{\"claim_mappings\":[],\"integrations\":[],"
		    "\"kinds\":[],\"roles\":[],\"step_runners\":[],"
		    "\"users\":[],\"workflows\":[],\"workspace\":{}}");
	model_release(&m);
}

static void test_model_to_json_live_state(void **state)
{
	struct model m;
	struct model_user *u;
	struct model_workflow *w;
	struct model_claim_mapping *c;
	struct model_runner *r;

	(void)state;
	model_init(&m);
	m.kinds = MODEL_ROLES | MODEL_USERS | MODEL_WORKFLOWS;
	m.workspace.id = xstrdup("ws-1");
	m.workspace.name = xstrdup("acme SOC");
	m.workspace.workflows_usage = 4;
	m.workspace.owners = xcalloc(1, sizeof(char *));
	m.workspace.owners[0] = xstrdup("o@x.io");
	m.workspace.owners_nr = m.workspace.owners_alloc = 1;
	add_role(&m, "r1", "Owner", 0);
	add_role(&m, "r2", "Tier 2", 1);
	u = model_add_user(&m);
	u->id = xstrdup("u1");
	u->email = xstrdup("a@x.io");
	u->role = xstrdup("Owner");
	u->role_id = xstrdup("r1");
	u->status = MODEL_USER_VERIFIED;
	u->sso = 1;
	u = model_add_user(&m);
	u->email = xstrdup("b@x.io");
	u->role_id = xstrdup("r-unknown");
	u->status = MODEL_USER_INVITED;
	u = model_add_user(&m);
	u->email = xstrdup("c@x.io");
	c = model_add_claim_mapping(&m);
	c->rank = 1;
	c->claim = xstrdup("groups");
	c->value = xstrdup("soc");
	c->role = xstrdup("Owner");
	r = model_add_runner(&m);
	r->name = xstrdup("k");
	r->platform = xstrdup("kubernetes");
	r->allow_cluster_management = 1;
	w = model_add_workflow(&m);
	w->id = xstrdup("w1");
	w->name = xstrdup("Enrich");
	w->current_revision_id = xstrdup("rev2");
	w->published_revision_id = xstrdup("rev1");
	w->content = xstrdup("name: Enrich\n");
	model_workflow_add_tag(w, "z");
	model_workflow_add_tag(w, "a");
	w = model_add_workflow(&m);
	w->name = xstrdup("Offboarding");
	w->published = 1;
	w->tags_set = 1;
	w->from_source = 1;
	w->file = xstrdup("w/off.yaml");
	assert_dump(&m, "{\"claim_mappings\":[{\"claim\":\"groups\","
		    "\"rank\":1,\"role\":\"Owner\",\"value\":\"soc\"}],"
		    "\"integrations\":[],"
		    "\"kinds\":[\"roles\",\"users\",\"workflows\"],"
		    "\"roles\":[{\"id\":\"r1\",\"name\":\"Owner\"},"
		    "{\"custom\":true,\"id\":\"r2\",\"name\":\"Tier 2\"}],"
		    "\"step_runners\":[{\"allow_cluster_management\":true,"
		    "\"name\":\"k\",\"platform\":\"kubernetes\"}],"
		    "\"users\":[{\"email\":\"a@x.io\",\"id\":\"u1\","
		    "\"role\":\"Owner\",\"role_id\":\"r1\",\"sso\":true,"
		    "\"status\":\"VERIFIED\"},"
		    "{\"email\":\"b@x.io\",\"role_id\":\"r-unknown\","
		    "\"status\":\"INVITATION_SENT\"},"
		    "{\"email\":\"c@x.io\"}],"
		    "\"workflows\":[{\"content_bytes\":13,"
		    "\"current_revision_id\":\"rev2\",\"id\":\"w1\","
		    "\"name\":\"Enrich\",\"published\":false,"
		    "\"published_revision_id\":\"rev1\","
		    "\"tags\":[\"a\",\"z\"]},"
		    "{\"file\":\"w/off.yaml\",\"from_source\":true,"
		    "\"name\":\"Offboarding\",\"published\":true,"
		    "\"tags\":[],\"tags_set\":true}],"
		    "\"workspace\":{\"id\":\"ws-1\",\"name\":\"acme SOC\","
		    "\"owners\":[\"o@x.io\"],\"workflows_usage\":4}}");
	model_release(&m);
}

static void test_model_to_json_desired_settings(void **state)
{
	struct model m;

	(void)state;
	model_init(&m);
	m.kinds = MODEL_CLAIM_MAPPINGS | MODEL_INTEGRATIONS | MODEL_RUNNERS;
	m.workspace.name = xstrdup("w");
	m.workspace.create = 1;
	m.workspace.copy_sso = 1;
	m.workspace.credentials_out = xstrdup("secrets/w.json");
	m.source_credentials = xstrdup("secrets/t.json");
	m.copy_claims_from_source = 1;
	m.prune = 1;
	assert_dump(&m, "{\"claim_mappings\":[],"
		    "\"copy_claims_from_source\":true,\"integrations\":[],"
		    "\"kinds\":[\"claim_mappings\",\"integrations\","
		    "\"step_runners\"],\"prune\":true,\"roles\":[],"
		    "\"source_credentials\":\"secrets/t.json\","
		    "\"step_runners\":[],\"users\":[],\"workflows\":[],"
		    "\"workspace\":{\"copy_sso\":true,\"create\":true,"
		    "\"credentials_out\":\"secrets/w.json\",\"name\":\"w\"}}");
	model_release(&m);
}

static void test_model_to_json_never_shows_parameters(void **state)
{
	struct model m;
	struct model_integration *in;
	json_t *params = json_pack("{s:s,s:{s:s}}", "token", "hunter2-canary",
				   "nested", "key", "nested-canary");
	char *s;

	(void)state;
	model_init(&m);
	in = model_add_integration(&m);
	in->name = xstrdup("slack");
	in->vendor = xstrdup("slack");
	in->parameters = params;
	in->fingerprint = xstrdup("sha256:abc");
	in = model_add_integration(&m);
	in->id = xstrdup("i2");
	in->name = xstrdup("plain");
	in->vendor = xstrdup("webhook");
	s = dump(&m);
	assert_null(strstr(s, "canary"));
	assert_null(strstr(s, "token"));
	assert_string_equal(s, "{\"claim_mappings\":[],\"integrations\":["
			    "{\"fingerprint\":\"sha256:abc\","
			    "\"name\":\"slack\","
			    "\"parameters\":\"" SENSITIVE "\","
			    "\"vendor\":\"slack\"},"
			    "{\"id\":\"i2\",\"name\":\"plain\","
			    "\"vendor\":\"webhook\"}],"
			    "\"kinds\":[],\"roles\":[],\"step_runners\":[],"
			    "\"users\":[],\"workflows\":[],\"workspace\":{}}");
	free(s);
	/* the model owned the only reference: release frees it */
	model_release(&m);
}

/* The list order is the model's: to_json does not sort. */
static void test_model_to_json_keeps_list_order(void **state)
{
	struct model m;
	json_t *j;

	(void)state;
	model_init(&m);
	add_user(&m, "z@x.io");
	add_user(&m, "a@x.io");
	j = model_to_json(&m);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(j, "users"), 0), "email")), "z@x.io");
	json_decref(j);
	model_sort(&m);
	j = model_to_json(&m);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(j, "users"), 0), "email")), "a@x.io");
	json_decref(j);
	model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_add_returns_zeroed_items),
		cmocka_unit_test(test_model_release_frees_and_zeroes),
		cmocka_unit_test(test_model_workspace_release_frees_owners),
		cmocka_unit_test(test_model_tags_sorted_without_duplicates),
		cmocka_unit_test(test_model_tags_many),
		cmocka_unit_test(test_model_sort_by_name),
		cmocka_unit_test(test_model_sort_users_by_email_ignoring_case),
		cmocka_unit_test(test_model_sort_claim_mappings_by_rank),
		cmocka_unit_test(test_model_sort_tolerates_missing_names),
		cmocka_unit_test(test_model_role_lookup),
		cmocka_unit_test(test_model_to_json_empty),
		cmocka_unit_test(test_model_to_json_live_state),
		cmocka_unit_test(test_model_to_json_desired_settings),
		cmocka_unit_test(test_model_to_json_never_shows_parameters),
		cmocka_unit_test(test_model_to_json_keeps_list_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
