#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/fingerprint.h"
#include "torq/plan.h"
#include "torq/target.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/*
 * The planner on plain data: desired and live models built by hand, the
 * plan checked step by step. Every plan made here also goes through
 * check_order, which fails if a step depends on a later one.
 */

static char *dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void roles(struct model *m)
{
	static const char *const names[] = { "Owner", "Contributor",
					     "Operator", "Viewer" };
	char id[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct model_role *r = model_add_role(m);

		snprintf(id, sizeof(id), "role-%zu", i);
		r->id = dup(id);
		r->name = dup(names[i]);
	}
	m->kinds |= MODEL_ROLES;
}

static void user(struct model *m, const char *email, const char *role,
		 enum model_user_status st)
{
	struct model_user *u = model_add_user(m);
	char id[64];

	snprintf(id, sizeof(id), "id-%s", email);
	u->email = dup(email);
	u->role = dup(role);
	u->status = st;
	if (st != MODEL_USER_UNKNOWN)
		u->id = dup(id);
	m->kinds |= MODEL_USERS;
}

static void mapping(struct model *m, const char *claim, const char *value,
		    const char *role, long rank)
{
	struct model_claim_mapping *c = model_add_claim_mapping(m);
	char id[64];

	snprintf(id, sizeof(id), "cm-%s", value);
	c->claim = dup(claim);
	c->value = dup(value);
	c->role = dup(role);
	c->rank = rank;
	c->id = dup(id);
	m->kinds |= MODEL_CLAIM_MAPPINGS;
}

static void integration(struct model *m, const char *name, const char *vendor,
			const char *fp, int secret)
{
	struct model_integration *in = model_add_integration(m);

	in->name = dup(name);
	in->vendor = dup(vendor);
	in->fingerprint = dup(fp);
	in->has_secret = secret;
	in->id = dup(name);
	m->kinds |= MODEL_INTEGRATIONS;
}

static void desired_params(struct model *m)
{
	m->integrations[m->integrations_nr - 1].parameters = json_object();
}

static void runner(struct model *m, const char *name, const char *platform,
		   int acm)
{
	struct model_runner *r = model_add_runner(m);

	r->name = dup(name);
	r->platform = dup(platform);
	r->allow_cluster_management = acm;
	r->id = dup(name);
	m->kinds |= MODEL_RUNNERS;
}

static struct model_workflow *workflow(struct model *m, const char *name,
				       const char *digest, int published)
{
	struct model_workflow *w = model_add_workflow(m);

	w->name = dup(name);
	w->content_digest = dup(digest);
	w->published = published;
	w->id = dup(name);
	w->file = dup("wf.yaml");
	m->kinds |= MODEL_WORKFLOWS;
	return w;
}

static void nests(struct model_workflow *w, const char *child)
{
	ALLOC_GROW(w->nested, w->nested_nr + 1, w->nested_alloc);
	w->nested[w->nested_nr++] = dup(child);
}

struct fx {
	struct model d, l, s;
	struct plan p;
	struct diag_list diags;
	struct plan_input in;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	model_init(&f->d);
	model_init(&f->l);
	model_init(&f->s);
	f->d.workspace.name = dup("acme SOC");
	roles(&f->l);
	roles(&f->s);
	plan_init(&f->p);
	diag_list_init(&f->diags, 0);
	f->in.desired = &f->d;
	f->in.live = &f->l;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	model_release(&f->d);
	model_release(&f->l);
	model_release(&f->s);
	plan_release(&f->p);
	diag_list_release(&f->diags);
	free(f);
	return 0;
}

static void check_order(const struct plan *p)
{
	size_t i, j;

	for (i = 0; i < p->steps_nr; i++)
		for (j = 0; j < p->steps[i].deps_nr; j++)
			assert_true(p->steps[i].deps[j] < i);
}

static int make(struct fx *f)
{
	int rc;

	plan_release(&f->p);
	rc = plan_make(&f->in, &f->p, &f->diags);
	check_order(&f->p);
	return rc;
}

static const struct plan_step *step(struct fx *f, size_t i)
{
	assert_true(i < f->p.steps_nr);
	return &f->p.steps[i];
}

static int depends(const struct plan_step *s, size_t on)
{
	size_t i;

	for (i = 0; i < s->deps_nr; i++)
		if (s->deps[i] == on)
			return 1;
	return 0;
}

static void assert_change(const struct plan_step *s, size_t i,
			  const char *field, const char *before,
			  const char *after)
{
	assert_true(i < s->changes_nr);
	assert_string_equal(s->changes[i].field, field);
	if (before)
		assert_string_equal(s->changes[i].before, before);
	else
		assert_null(s->changes[i].before);
	if (after)
		assert_string_equal(s->changes[i].after, after);
	else
		assert_null(s->changes[i].after);
}

/* Equal states give an empty plan. */

static void test_plan_equal_is_empty(void **state)
{
	struct fx *f = *state;
	struct model_workflow *w;

	user(&f->d, "alice@acme.example", "Owner", MODEL_USER_UNKNOWN);
	user(&f->l, "Alice@ACME.example", "owner", MODEL_USER_VERIFIED);
	user(&f->d, "bob@acme.example", "Viewer", MODEL_USER_UNKNOWN);
	user(&f->l, "bob@acme.example", "Viewer", MODEL_USER_INVITED);
	mapping(&f->d, "groups", "soc", "Operator", 1);
	mapping(&f->l, "groups", "soc", "Operator", 1);
	integration(&f->d, "slack", "slack", "fp1", 1);
	desired_params(&f->d);
	integration(&f->l, "slack", "slack", "fp1", 0);
	runner(&f->d, "k8s", "kubernetes", 1);
	runner(&f->l, "k8s", "kubernetes", 1);
	w = workflow(&f->d, "Triage", "d1", 1);
	model_workflow_add_tag(w, "a");
	w->tags_set = 1;
	w = workflow(&f->l, "Triage", "d1", 1);
	model_workflow_add_tag(w, "a");
	assert_int_equal(make(f), 0);
	assert_true(plan_empty(&f->p));
	assert_int_equal(f->p.to_add + f->p.to_change + f->p.to_destroy, 0);
	assert_int_equal(f->p.unchanged, 6);
	assert_int_equal(f->p.unmanaged_nr, 0);
	assert_int_equal(f->diags.errors, 0);
}

/* A workspace that does not exist: created first, everything after it. */

static void test_plan_new_workspace(void **state)
{
	struct fx *f = *state;
	size_t i;

	f->in.live = NULL;
	f->d.workspace.copy_sso = 1;
	user(&f->d, "alice@acme.example", "Owner", MODEL_USER_UNKNOWN);
	user(&f->d, "bob@acme.example", "NoSuchRole", MODEL_USER_UNKNOWN);
	runner(&f->d, "k8s", "docker", 0);
	workflow(&f->d, "Triage", "d1", 1);
	/* roles are unknown before the workspace exists: no role errors */
	assert_int_equal(make(f), 0);
	assert_false(f->p.workspace_exists);
	assert_int_equal(step(f, 0)->kind, STEP_CREATE_WORKSPACE);
	assert_string_equal(step(f, 0)->identity, "acme SOC");
	assert_change(step(f, 0), 0, "copy_sso", NULL, "true");
	for (i = 1; i < f->p.steps_nr; i++)
		assert_true(depends(step(f, i), 0));
	/* workspace, 2 users, a runner, a workflow */
	assert_int_equal(f->p.to_add, 5);
	assert_int_equal(f->p.steps_nr, 6);
	assert_int_equal(step(f, 4)->kind, STEP_IMPORT_WORKFLOW);
	assert_true(depends(step(f, 4), 3));	/* after the runner */
	assert_int_equal(step(f, 5)->kind, STEP_PUBLISH_WORKFLOW);
	assert_true(depends(step(f, 5), 4));
}

/* Users. */

static void test_plan_users(void **state)
{
	struct fx *f = *state;

	user(&f->d, "new@acme.example", "Operator", MODEL_USER_UNKNOWN);
	user(&f->d, "pending@acme.example", "Viewer", MODEL_USER_UNKNOWN);
	user(&f->d, "Bob@acme.example", "Operator", MODEL_USER_UNKNOWN);
	user(&f->l, "pending@acme.example", "Viewer", MODEL_USER_INVITED);
	user(&f->l, "bob@acme.example", "Viewer", MODEL_USER_VERIFIED);
	user(&f->l, "eve@acme.example", "Viewer", MODEL_USER_VERIFIED);
	user(&f->l, "boss@acme.example", "Owner", MODEL_USER_VERIFIED);
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 2);
	assert_int_equal(step(f, 0)->kind, STEP_INVITE_USER);
	assert_string_equal(step(f, 0)->identity, "new@acme.example");
	assert_change(step(f, 0), 0, "role", NULL, "\"Operator\"");
	assert_int_equal(step(f, 1)->kind, STEP_UPDATE_USER);
	assert_string_equal(step(f, 1)->id, "id-bob@acme.example");
	assert_change(step(f, 1), 0, "role", "\"Viewer\"", "\"Operator\"");
	assert_int_equal(f->p.unmanaged_nr, 2);
	assert_null(f->p.unmanaged[0].why);
	assert_int_equal(f->p.to_add, 1);
	assert_int_equal(f->p.to_change, 1);
	assert_int_equal(f->p.unchanged, 1);

	/* prune deletes, but never an Owner */
	f->in.prune = 1;
	diag_list_release(&f->diags);
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 3);
	assert_int_equal(step(f, 2)->kind, STEP_DELETE_USER);
	assert_string_equal(step(f, 2)->identity, "eve@acme.example");
	assert_int_equal(f->p.unmanaged_nr, 1);
	assert_string_equal(f->p.unmanaged[0].identity, "boss@acme.example");
	assert_string_equal(f->p.unmanaged[0].why, "an Owner: never pruned");
	assert_int_equal(f->p.to_destroy, 1);
}

static void test_plan_unknown_role(void **state)
{
	struct fx *f = *state;
	static const struct mark mk = { "m.yaml", 4, 9, 0 };

	user(&f->d, "a@acme.example", "Operater", MODEL_USER_UNKNOWN);
	f->d.users[0].mark = &mk;
	user(&f->d, "b@acme.example", "Janitor", MODEL_USER_UNKNOWN);
	assert_int_equal(make(f), -1);
	assert_int_equal(f->diags.errors, 2);
	assert_string_equal(f->diags.items[0].message, "role 'Operater' does "
			    "not exist in workspace 'acme SOC'; did you mean "
			    "'Operator'?");
	assert_int_equal(f->diags.items[0].mark.line, 4);
	assert_string_equal(f->diags.items[0].path, "users[0].role");
	assert_string_equal(f->diags.items[1].message, "role 'Janitor' does "
			    "not exist in workspace 'acme SOC'; it has: Owner,"
			    " Contributor, Operator, Viewer");
}

/* Claim mappings. */

static void test_plan_claim_mappings_create_update_delete(void **state)
{
	struct fx *f = *state;

	mapping(&f->l, "groups", "a", "Viewer", 1);
	mapping(&f->l, "groups", "b", "Viewer", 2);
	mapping(&f->d, "groups", "a", "Operator", 1);
	mapping(&f->d, "groups", "new", "Viewer", 2);
	f->in.prune = 1;
	assert_int_equal(make(f), 0);
	/* delete b, create new (appended after a: right place), a's role */
	assert_int_equal(f->p.steps_nr, 3);
	assert_int_equal(step(f, 0)->kind, STEP_DELETE_CLAIM_MAPPING);
	assert_string_equal(step(f, 0)->identity, "groups=b");
	assert_string_equal(step(f, 0)->id, "cm-b");
	assert_int_equal(step(f, 1)->kind, STEP_CREATE_CLAIM_MAPPING);
	assert_change(step(f, 1), 0, "role", NULL, "\"Viewer\"");
	assert_int_equal(step(f, 2)->kind, STEP_UPDATE_CLAIM_MAPPING);
	assert_change(step(f, 2), 0, "role", "\"Viewer\"", "\"Operator\"");
}

static void test_plan_claim_mappings_order(void **state)
{
	struct fx *f = *state;

	/* live [a, b, c]; wanted [c, a]; b unmanaged stays last */
	mapping(&f->l, "groups", "a", "Viewer", 1);
	mapping(&f->l, "groups", "b", "Viewer", 2);
	mapping(&f->l, "groups", "c", "Viewer", 3);
	mapping(&f->d, "groups", "c", "Viewer", 1);
	mapping(&f->d, "groups", "a", "Viewer", 2);
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 1);
	assert_int_equal(step(f, 0)->kind, STEP_UPDATE_CLAIM_MAPPING);
	assert_string_equal(step(f, 0)->identity, "groups=c");
	assert_change(step(f, 0), 0, "rank", "3", "1");
	assert_int_equal(f->p.unmanaged_nr, 1);
	assert_string_equal(f->p.unmanaged[0].identity, "groups=b");
}

static void test_plan_claim_mappings_new_first(void **state)
{
	struct fx *f = *state;

	/* live [a]; wanted [x, y, a]: create x, y (appended), then move */
	mapping(&f->l, "groups", "a", "Viewer", 1);
	mapping(&f->d, "groups", "x", "Viewer", 1);
	mapping(&f->d, "groups", "y", "Viewer", 2);
	mapping(&f->d, "groups", "a", "Viewer", 3);
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 4);
	assert_int_equal(step(f, 0)->kind, STEP_CREATE_CLAIM_MAPPING);
	assert_int_equal(step(f, 1)->kind, STEP_CREATE_CLAIM_MAPPING);
	assert_true(depends(step(f, 1), 0));	/* appended in order */
	/* [a, x, y] -> x to 1 gives [x, a, y] -> y to 2 gives [x, y, a] */
	assert_string_equal(step(f, 2)->identity, "groups=x");
	assert_change(step(f, 2), 0, "rank", NULL, "1");
	assert_true(depends(step(f, 2), 0) && depends(step(f, 2), 1));
	assert_string_equal(step(f, 3)->identity, "groups=y");
	assert_change(step(f, 3), 0, "rank", NULL, "2");
	assert_true(depends(step(f, 3), 2));
	assert_int_equal(f->p.to_add, 2);
	assert_int_equal(f->p.to_change, 0);
}

static void test_plan_claim_mappings_from_source(void **state)
{
	struct fx *f = *state;

	f->in.source = &f->s;
	f->d.copy_claims_from_source = 1;
	f->d.kinds |= MODEL_CLAIM_MAPPINGS;
	mapping(&f->s, "groups", "admins", "Owner", 1);
	mapping(&f->s, "groups", "soc", "Viewer", 2);
	/* the manifest's own, and one that overrides the source's role */
	mapping(&f->d, "groups", "acme", "Operator", 1);
	mapping(&f->d, "groups", "soc", "Contributor", 2);
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 3);
	assert_string_equal(step(f, 0)->identity, "groups=admins");
	assert_change(step(f, 0), 0, "role", NULL, "\"Owner\"");
	assert_string_equal(step(f, 1)->identity, "groups=soc");
	assert_change(step(f, 1), 0, "role", NULL, "\"Contributor\"");
	assert_string_equal(step(f, 2)->identity, "groups=acme");
}

/* Integrations. */

static void test_plan_integrations(void **state)
{
	struct fx *f = *state;

	integration(&f->d, "new", "slack", "fp", 1);
	desired_params(&f->d);
	integration(&f->d, "same", "slack", "fp1", 1);
	desired_params(&f->d);
	integration(&f->d, "changed", "slack", "fp2", 0);
	desired_params(&f->d);
	integration(&f->d, "unrecorded", "webhook", "fp3", 0);
	desired_params(&f->d);
	integration(&f->l, "same", "slack", "fp1", 0);
	integration(&f->l, "changed", "slack", "old", 0);
	integration(&f->l, "unrecorded", "webhook", NULL, 0);
	integration(&f->l, "stray", "webhook", NULL, 0);
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 3);
	assert_int_equal(step(f, 0)->kind, STEP_CREATE_INTEGRATION);
	assert_change(step(f, 0), 0, "vendor", NULL, "\"slack\"");
	assert_true(step(f, 0)->changes[1].sensitive);
	assert_int_equal(step(f, 1)->kind, STEP_UPDATE_INTEGRATION);
	assert_string_equal(step(f, 1)->identity, "changed");
	assert_true(step(f, 1)->changes[0].sensitive);
	assert_string_equal(step(f, 2)->identity, "unrecorded");
	assert_string_equal(step(f, 2)->changes[0].field,
			    "parameters (never set by torq-apply)");
	assert_int_equal(f->p.unmanaged_nr, 1);

	/* --rotate-secrets: those holding a secret are set again */
	f->in.rotate_secrets = 1;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 4);
	assert_string_equal(step(f, 1)->identity, "same");
	assert_string_equal(step(f, 1)->changes[0].field,
			    "parameters (--rotate-secrets)");
}

/* Not verifiable (fingerprint.h): a note, not a guessed change. */
static void test_plan_integration_unverifiable(void **state)
{
	struct fx *f = *state;

	integration(&f->d, "unrecorded", "slack", "fp", 1);
	desired_params(&f->d);
	integration(&f->d, "recorded", "slack", "fp-new", 0);
	desired_params(&f->d);
	integration(&f->l, "unrecorded", "slack", FINGERPRINT_UNVERIFIED, 0);
	integration(&f->l, "recorded", "slack", "fp-old", 0);
	assert_int_equal(make(f), 0);
	/* a recorded fingerprint that differs is a change still */
	assert_int_equal(f->p.steps_nr, 1);
	assert_string_equal(step(f, 0)->identity, "recorded");
	assert_int_equal(f->p.notes_nr, 1);
	assert_string_equal(f->p.notes[0].identity, "unrecorded");
	assert_non_null(strstr(f->p.notes[0].message, "not verifiable here"));
	assert_int_equal(f->p.to_change, 1);
	/* --rotate-secrets sets those holding a secret */
	f->in.rotate_secrets = 1;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 2);
	assert_int_equal(f->p.notes_nr, 0);
	/* no record at all (--strict-secrets makes the mark so): set */
	f->in.rotate_secrets = 0;
	free(f->l.integrations[0].fingerprint);
	f->l.integrations[0].fingerprint = NULL;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 2);
	assert_string_equal(step(f, 0)->changes[0].field,
			    "parameters (never set by torq-apply)");
}

static void test_plan_integration_type_cannot_change(void **state)
{
	struct fx *f = *state;

	integration(&f->d, "alerts", "slack", "fp", 0);
	integration(&f->l, "alerts", "webhook", "fp", 0);
	assert_int_equal(make(f), -1);
	assert_non_null(strstr(f->diags.items[0].message, "integration "
			       "'alerts' is a 'webhook' integration"));
	assert_string_equal(f->diags.items[0].path, "integrations[0].vendor");
}

/* Shared into the workspace: used, never updated, pruned or deduplicated. */
static void test_plan_integration_shared_in(void **state)
{
	struct fx *f = *state;

	integration(&f->d, "alerts", "slack", "fp-new", 1);
	desired_params(&f->d);
	integration(&f->l, "alerts", "slack", NULL, 0);
	f->l.integrations[0].shared_in = 1;
	integration(&f->l, "theirs", "jira", NULL, 0);
	f->l.integrations[1].shared_in = 1;
	f->in.prune = 1;
	f->in.rotate_secrets = 1;
	assert_int_equal(make(f), 0);
	assert_true(plan_empty(&f->p));
	assert_int_equal(f->diags.warnings, 1);
	assert_non_null(strstr(f->diags.items[0].message, "is shared into "
			       "workspace 'acme SOC' by another workspace"));
	assert_int_equal(f->p.unmanaged_nr, 1);
	assert_string_equal(f->p.unmanaged[0].identity, "theirs");
	assert_non_null(strstr(f->p.unmanaged[0].why, "never changed or "
			       "pruned"));
	assert_int_equal(f->p.unchanged, 1);

	/* a copy of one's own beside a shared one differs from it */
	integration(&f->l, "alerts", "slack", NULL, 0);
	f->l.integrations[0].created_at = dup("2026-01-01T08:00:00Z");
	f->l.integrations[2].created_at = dup("2026-01-01T09:00:00Z");
	f->in.dedupe = 1;
	assert_int_equal(make(f), -1);
	assert_non_null(strstr(f->diags.items[1].message, "differ (one is "
			       "shared into the workspace)"));
	assert_int_equal(f->p.steps_nr, 0);
}

/* The live copy i of a name: its own id and creation time. */
static void copy_of(char **id, char **created, const char *new_id,
		    const char *when)
{
	free(*id);
	*id = dup(new_id);
	*created = dup(when);
}

/*
 * Managed objects held twice: a problem naming --dedupe, or with it a
 * delete of each newer copy; the plan goes on against the oldest.
 */
static void test_plan_duplicates_integrations(void **state)
{
	struct fx *f = *state;

	integration(&f->d, "alerts", "slack", "fp", 0);
	desired_params(&f->d);
	integration(&f->l, "alerts", "slack", "fp", 0);
	integration(&f->l, "alerts", "slack", "fp", 0);
	copy_of(&f->l.integrations[0].id, &f->l.integrations[0].created_at,
		"newer", "2026-01-01T09:00:00Z");
	/* 10:00 at +02:00 is 08:00Z: the older one, though listed second */
	copy_of(&f->l.integrations[1].id, &f->l.integrations[1].created_at,
		"older", "2026-01-01T10:00:00.25+02:00");
	assert_int_equal(make(f), 0);
	assert_true(plan_empty(&f->p));
	assert_int_equal(f->p.problems_nr, 1);
	assert_int_equal(f->p.problems[0].resource, RES_INTEGRATION);
	assert_string_equal(f->p.problems[0].identity, "alerts");
	assert_non_null(strstr(f->p.problems[0].message,
			       "2 identical copies"));
	assert_string_equal(f->p.problems[0].fix, "--dedupe");
	assert_string_equal(f->p.problems[0].fix_does,
			    "keeps the oldest and deletes the newer copy");
	assert_int_equal(f->p.unmanaged_nr, 0);

	f->in.dedupe = 1;
	plan_release(&f->p);
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.problems_nr, 0);
	assert_int_equal(f->p.steps_nr, 1);
	assert_int_equal(step(f, 0)->kind, STEP_DELETE_INTEGRATION);
	assert_string_equal(step(f, 0)->id, "newer");
	assert_true(step(f, 0)->duplicate);
	assert_non_null(strstr(step(f, 0)->changes[0].after, "of id older"));
	assert_int_equal(f->p.to_destroy, 1);
	assert_int_equal(f->p.unchanged, 1);
}

static void test_plan_duplicates_workflows(void **state)
{
	struct fx *f = *state;
	size_t i;

	workflow(&f->d, "Flow", "d1", 1);
	for (i = 0; i < 3; i++)
		workflow(&f->l, "Flow", "d1", 0);
	copy_of(&f->l.workflows[0].id, &f->l.workflows[0].created_at,
		"w-b", "2026-01-01T08:00:00.5Z");
	copy_of(&f->l.workflows[1].id, &f->l.workflows[1].created_at,
		"w-a", "2026-01-01T08:00:00.25Z");
	copy_of(&f->l.workflows[2].id, &f->l.workflows[2].created_at,
		"w-c", "2026-01-02T00:00:00Z");
	f->in.dedupe = 1;
	f->in.prune = 1;
	assert_int_equal(make(f), 0);
	/* two deletes of the newer, then the oldest is published */
	assert_int_equal(f->p.steps_nr, 3);
	assert_int_equal(step(f, 0)->kind, STEP_DELETE_WORKFLOW);
	assert_string_equal(step(f, 0)->id, "w-b");
	assert_string_equal(step(f, 1)->id, "w-c");
	assert_int_equal(step(f, 2)->kind, STEP_PUBLISH_WORKFLOW);
	assert_string_equal(step(f, 2)->id, "w-a");
	assert_int_equal(f->p.to_destroy, 2);
	assert_int_equal(f->p.to_change, 1);

	/* without --dedupe: a problem, and prune leaves the copies alone */
	f->in.dedupe = 0;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 1);
	assert_string_equal(step(f, 0)->id, "w-a");
	assert_int_equal(f->p.problems_nr, 1);
	assert_non_null(strstr(f->p.problems[0].message, "3 identical"));
	assert_string_equal(f->p.problems[0].fix_does,
			    "keeps the oldest and deletes the newer copies");
}

/* Copies that differ, or of unknown age: an error, nothing deleted. */
static void test_plan_duplicates_that_differ(void **state)
{
	struct fx *f = *state;

	workflow(&f->d, "Flow", "d1", 0);
	workflow(&f->l, "Flow", "d1", 0);
	workflow(&f->l, "Flow", "d2", 0);
	copy_of(&f->l.workflows[0].id, &f->l.workflows[0].created_at,
		"w-a", "2026-01-01T08:00:00Z");
	copy_of(&f->l.workflows[1].id, &f->l.workflows[1].created_at,
		"w-b", "2026-01-01T09:00:00Z");
	f->in.dedupe = 1;
	assert_int_equal(make(f), -1);
	assert_int_equal(f->p.steps_nr, 0);
	assert_non_null(strstr(f->diags.items[0].message, "has 2 workflows "
			       "named 'Flow' that differ (content)"));
	assert_string_equal(f->diags.items[0].path, "workflows[0].name");

	/* the same content, other tags */
	free(f->l.workflows[1].content_digest);
	f->l.workflows[1].content_digest = dup("d1");
	model_workflow_add_tag(&f->l.workflows[1], "t");
	diag_list_release(&f->diags);
	diag_list_init(&f->diags, 0);
	assert_int_equal(make(f), -1);
	assert_non_null(strstr(f->diags.items[0].message, "differ (tags)"));

	/* unread content is not known to be the same */
	free(f->l.workflows[1].content_digest);
	f->l.workflows[1].content_digest = NULL;
	diag_list_release(&f->diags);
	diag_list_init(&f->diags, 0);
	assert_int_equal(make(f), -1);
	assert_non_null(strstr(f->diags.items[0].message, "differ (content)"));

	/* an integration of another type */
	integration(&f->d, "alerts", "slack", "fp", 0);
	integration(&f->l, "alerts", "slack", "fp", 0);
	integration(&f->l, "alerts", "webhook", "fp", 0);
	f->l.integrations[0].created_at = dup("2026-01-01T08:00:00Z");
	f->l.integrations[1].created_at = dup("2026-01-01T08:00:01Z");
	diag_list_release(&f->diags);
	diag_list_init(&f->diags, 0);
	assert_int_equal(make(f), -1);
	assert_non_null(strstr(f->diags.items[0].message,
			       "2 integrations named 'alerts' that differ "
			       "(type)"));
	assert_int_equal(f->p.steps_nr, 0);
}

static void test_plan_duplicates_age_unknown(void **state)
{
	struct fx *f = *state;

	runner(&f->d, "k8s", "kubernetes", 0);
	runner(&f->l, "k8s", "kubernetes", 0);
	runner(&f->l, "k8s", "kubernetes", 0);
	f->l.runners[0].created_at = dup("2026-01-01T08:00:00Z");
	f->l.runners[1].created_at = dup("yesterday");
	f->in.dedupe = 1;
	assert_int_equal(make(f), -1);
	assert_non_null(strstr(f->diags.items[0].message, "no creation time"));
	assert_int_equal(f->p.steps_nr, 0);
}

/* The runner whose install command reached its file is kept, if newer. */
static void test_plan_duplicates_runner_delivered(void **state)
{
	struct fx *f = *state;

	runner(&f->d, "k8s", "kubernetes", 0);
	f->d.runners[0].install_commands_out = dup("runners/k8s.sh");
	runner(&f->l, "k8s", "kubernetes", 0);
	runner(&f->l, "k8s", "kubernetes", 0);
	copy_of(&f->l.runners[0].id, &f->l.runners[0].created_at, "r-old",
		"2026-01-01T08:00:00Z");
	f->l.runners[0].undelivered = dup("install command never delivered");
	copy_of(&f->l.runners[1].id, &f->l.runners[1].created_at, "r-new",
		"2026-01-01T09:00:00Z");
	f->in.dedupe = 1;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 1);
	assert_int_equal(step(f, 0)->kind, STEP_DELETE_RUNNER);
	assert_string_equal(step(f, 0)->id, "r-old");
	assert_int_equal(f->p.problems_nr, 0);

	/* a copy with other options differs */
	f->l.runners[0].allow_cluster_management = 1;
	assert_int_equal(make(f), -1);
	assert_non_null(strstr(f->diags.items[0].message,
			       "(allow_cluster_management)"));
}

/* Claim mappings: the one ranked first is kept, a copy of another role too. */
static void test_plan_duplicates_claim_mappings(void **state)
{
	struct fx *f = *state;

	mapping(&f->d, "groups", "soc", "Operator", 1);
	mapping(&f->l, "groups", "soc", "Operator", 1);
	mapping(&f->l, "groups", "soc", "Operator", 2);
	mapping(&f->l, "groups", "soc", "Viewer", 3);
	f->l.claim_mappings[0].role_id = dup("role-2");
	f->l.claim_mappings[1].role_id = dup("role-2");
	f->l.claim_mappings[2].role_id = dup("role-3");
	free(f->l.claim_mappings[1].id);
	f->l.claim_mappings[1].id = dup("cm-copy");
	free(f->l.claim_mappings[2].id);
	f->l.claim_mappings[2].id = dup("cm-viewer");
	assert_int_equal(make(f), 0);
	assert_true(plan_empty(&f->p));
	assert_int_equal(f->p.problems_nr, 1);
	assert_string_equal(f->p.problems[0].identity, "groups=soc");
	assert_non_null(strstr(f->p.problems[0].message, "2 identical"));
	assert_string_equal(f->p.problems[0].fix_does, "keeps the one ranked "
			    "first and deletes the other");
	/* the copy is no unmanaged object, and prune leaves it alone */
	assert_int_equal(f->p.unmanaged_nr, 1);
	f->in.prune = 1;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 1);
	assert_string_equal(step(f, 0)->id, "cm-viewer");
	assert_int_equal(f->p.problems_nr, 1);
	f->in.prune = 0;

	f->in.dedupe = 1;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.problems_nr, 0);
	assert_int_equal(f->p.steps_nr, 1);
	assert_int_equal(step(f, 0)->kind, STEP_DELETE_CLAIM_MAPPING);
	assert_string_equal(step(f, 0)->id, "cm-copy");
	assert_true(step(f, 0)->duplicate);
	/* the one with another role is not a copy: never deleted by it */
	assert_int_equal(f->p.unmanaged_nr, 1);
}

/* Step runners. */

static void test_plan_runners(void **state)
{
	struct fx *f = *state;

	runner(&f->d, "new", "kubernetes", 1);
	runner(&f->d, "k8s", "kubernetes", 1);
	runner(&f->l, "k8s", "kubernetes", 0);
	runner(&f->l, "old", "docker", 0);
	f->in.prune = 1;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 2);
	assert_int_equal(step(f, 0)->kind, STEP_CREATE_RUNNER);
	assert_change(step(f, 0), 0, "platform", NULL, "\"kubernetes\"");
	assert_change(step(f, 0), 1, "allow_cluster_management", NULL,
		      "true");
	assert_int_equal(step(f, 1)->kind, STEP_DELETE_RUNNER);
	/* a runner cannot change: a warning, no step */
	assert_int_equal(f->diags.warnings, 1);
	assert_non_null(strstr(f->diags.items[0].message,
			       "the API cannot change a runner"));
}

/* Whether a runner is connected: notes, never steps. */
static void test_plan_runner_seen(void **state)
{
	struct fx *f = *state;

	runner(&f->d, "never", "kubernetes", 0);
	f->d.runners[0].install_commands_out = dup("runners/never.sh");
	runner(&f->d, "gone", "docker", 0);
	runner(&f->d, "fresh", "docker", 0);
	runner(&f->l, "never", "kubernetes", 0);
	runner(&f->l, "gone", "docker", 0);
	f->l.runners[1].last_seen = dup("2026-12-01T10:00:00Z");
	runner(&f->l, "fresh", "docker", 0);
	f->l.runners[2].last_seen = dup("2026-12-04T09:00:00.5+01:00");
	f->in.now = 1796378400;		/* 2026-12-04T10:00:00Z */
	assert_int_equal(make(f), 0);
	assert_true(plan_empty(&f->p));
	assert_int_equal(f->p.notes_nr, 2);
	assert_string_equal(f->p.notes[0].identity, "never");
	assert_string_equal(f->p.notes[0].message, "never connected: run its "
			    "install command where it should live "
			    "(runners/never.sh)");
	assert_string_equal(f->p.notes[1].identity, "gone");
	assert_string_equal(f->p.notes[1].message, "not seen for 3 days "
			    "(last seen 2026-12-01T10:00:00Z)");
	/* without a clock, only what needs none */
	f->in.now = 0;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.notes_nr, 1);
}

/* A runner whose install command was lost: a problem, not a step. */
static void test_plan_runner_undelivered(void **state)
{
	struct fx *f = *state;

	runner(&f->d, "k8s", "kubernetes", 0);
	f->d.runners[0].install_commands_out = dup("runners/k8s.sh");
	runner(&f->l, "k8s", "kubernetes", 0);
	free(f->l.runners[0].id);
	f->l.runners[0].id = dup("r-1");
	f->l.runners[0].undelivered = dup("install command never delivered");
	assert_int_equal(make(f), 0);
	assert_true(plan_empty(&f->p));
	assert_int_equal(f->p.problems_nr, 1);
	assert_int_equal(f->p.problems[0].resource, RES_RUNNER);
	assert_string_equal(f->p.problems[0].identity, "k8s");
	assert_string_equal(f->p.problems[0].message,
			    "install command never delivered");
	assert_string_equal(f->p.problems[0].fix,
			    "--replace step_runner:k8s");
}

/* --replace: delete, then create (after the delete); no problem left. */
static void test_plan_runner_replace(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = { "k8s", "absent" };

	runner(&f->d, "k8s", "kubernetes", 0);
	f->d.runners[0].install_commands_out = dup("runners/k8s.sh");
	runner(&f->d, "dock", "docker", 0);
	runner(&f->l, "dock", "docker", 0);
	runner(&f->l, "k8s", "kubernetes", 0);
	free(f->l.runners[1].id);
	f->l.runners[1].id = dup("r-1");
	f->l.runners[1].undelivered = dup("install command never delivered");
	f->in.replace_runners = names;
	f->in.replace_runners_nr = 2;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.problems_nr, 0);
	assert_int_equal(f->p.steps_nr, 2);
	assert_int_equal(step(f, 0)->kind, STEP_DELETE_RUNNER);
	assert_string_equal(step(f, 0)->id, "r-1");
	assert_int_equal(step(f, 1)->kind, STEP_CREATE_RUNNER);
	assert_string_equal(step(f, 1)->identity, "k8s");
	assert_true(depends(step(f, 1), 0));
	assert_int_equal(f->p.to_add, 1);
	assert_int_equal(f->p.to_destroy, 1);
	assert_int_equal(f->p.unchanged, 1);
}

/* Workflows. */

static void test_plan_workflows_content_publish_tags(void **state)
{
	struct fx *f = *state;
	struct model_workflow *w;

	w = workflow(&f->d, "Changed", "new", 1);
	workflow(&f->l, "Changed", "old", 1);
	w = workflow(&f->d, "Unpublished", "d", 1);
	workflow(&f->l, "Unpublished", "d", 0);
	w = workflow(&f->d, "Tagged", "d", 0);
	model_workflow_add_tag(w, "keep");
	model_workflow_add_tag(w, "add");
	w->tags_set = 1;
	w = workflow(&f->l, "Tagged", "d", 0);
	model_workflow_add_tag(w, "keep");
	model_workflow_add_tag(w, "drop");
	w = workflow(&f->d, "Untouched tags", "d", 0);
	w = workflow(&f->l, "Untouched tags", "d", 0);
	model_workflow_add_tag(w, "theirs");
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 5);
	assert_int_equal(step(f, 0)->kind, STEP_UPDATE_WORKFLOW);
	assert_int_equal(step(f, 1)->kind, STEP_PUBLISH_WORKFLOW);
	assert_string_equal(step(f, 1)->identity, "Changed");
	assert_true(depends(step(f, 1), 0));
	assert_int_equal(step(f, 2)->kind, STEP_PUBLISH_WORKFLOW);
	assert_change(step(f, 2), 0, "published", "false", "true");
	assert_int_equal(step(f, 3)->kind, STEP_ADD_TAG);
	assert_string_equal(step(f, 3)->detail, "add");
	assert_int_equal(step(f, 4)->kind, STEP_REMOVE_TAG);
	assert_string_equal(step(f, 4)->detail, "drop");
	assert_int_equal(f->p.to_change, 3);
	assert_int_equal(f->p.unchanged, 1);
}

static void test_plan_workflows_nested_first(void **state)
{
	struct fx *f = *state;
	struct model_workflow *w;
	size_t i, child_pub = 99, parent_import = 99, parent_pub = 99;

	w = workflow(&f->d, "Parent", "p", 1);
	nests(w, "Child");
	model_workflow_add_tag(w, "t");
	w->tags_set = 1;
	workflow(&f->d, "Child", "c", 1);
	integration(&f->d, "slack", "slack", "fp", 0);
	desired_params(&f->d);
	assert_int_equal(make(f), 0);
	for (i = 0; i < f->p.steps_nr; i++) {
		const struct plan_step *s = step(f, i);

		if (s->kind == STEP_PUBLISH_WORKFLOW &&
		    !strcmp(s->identity, "Child"))
			child_pub = i;
		if (s->kind == STEP_IMPORT_WORKFLOW &&
		    !strcmp(s->identity, "Parent"))
			parent_import = i;
		if (s->kind == STEP_PUBLISH_WORKFLOW &&
		    !strcmp(s->identity, "Parent"))
			parent_pub = i;
	}
	assert_true(child_pub < parent_import);
	assert_true(depends(step(f, parent_import), child_pub));
	assert_true(depends(step(f, parent_import), 0));	/* the integration */
	assert_true(depends(step(f, parent_pub), child_pub));
	/* publish after the tag */
	assert_int_equal(step(f, parent_pub - 1)->kind, STEP_ADD_TAG);
	assert_true(depends(step(f, parent_pub), parent_pub - 1));
	assert_int_equal(f->p.to_add, 3);
}

static void test_plan_workflows_cycle(void **state)
{
	struct fx *f = *state;

	nests(workflow(&f->d, "A", "a", 1), "B");
	nests(workflow(&f->d, "B", "b", 1), "A");
	assert_int_equal(make(f), -1);
	assert_non_null(strstr(f->diags.items[0].message,
			       "workflows call each other in a cycle ('A' -> "
			       "'B' -> 'A')"));
}

static void test_plan_workflows_from_source(void **state)
{
	struct fx *f = *state;
	struct model_workflow *w;

	w = workflow(&f->d, "Phishing", "x", 1);
	w->from_source = 1;
	w = workflow(&f->d, "Missing", "x", 0);
	w->from_source = 1;
	assert_int_equal(make(f), -1);
	assert_non_null(strstr(f->diags.items[0].message,
			       "has no source: section"));
	diag_list_release(&f->diags);
	f->in.source = &f->s;
	workflow(&f->s, "Phishing", "x", 1);
	assert_int_equal(make(f), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.items[0].message, "the source workspace "
			    "has no workflow named 'Missing'");
	assert_int_equal(step(f, 0)->kind, STEP_IMPORT_WORKFLOW);
	assert_int_equal(step(f, 0)->source, 0);
	assert_change(step(f, 0), 0, "from", NULL, "\"source workspace\"");
}

static void test_plan_workflows_prune(void **state)
{
	struct fx *f = *state;

	workflow(&f->d, "Keep", "d", 0);
	workflow(&f->l, "Keep", "d", 0);
	workflow(&f->l, "Stray", "d", 1);
	assert_int_equal(make(f), 0);
	assert_true(plan_empty(&f->p));
	assert_int_equal(f->p.unmanaged_nr, 1);
	assert_int_equal(f->p.unmanaged[0].resource, RES_WORKFLOW);
	f->in.prune = 1;
	assert_int_equal(make(f), 0);
	assert_int_equal(step(f, 0)->kind, STEP_DELETE_WORKFLOW);
	assert_string_equal(step(f, 0)->id, "Stray");
	assert_int_equal(f->p.to_destroy, 1);
}

/* Kinds the manifest does not name are not managed at all. */
static void test_plan_unnamed_kinds_untouched(void **state)
{
	struct fx *f = *state;

	user(&f->l, "someone@acme.example", "Viewer", MODEL_USER_VERIFIED);
	runner(&f->l, "r", "docker", 0);
	f->in.prune = 1;
	assert_int_equal(make(f), 0);
	assert_true(plan_empty(&f->p));
	assert_int_equal(f->p.unmanaged_nr, 0);
}

static void test_plan_names(void **state)
{
	(void)state;
	assert_string_equal(plan_step_kind_name(STEP_INVITE_USER),
			    "invite_user");
	assert_string_equal(plan_step_kind_name(STEP_REMOVE_TAG),
			    "remove_tag");
	assert_string_equal(plan_resource_name(RES_RUNNER), "step_runner");
	assert_string_equal(plan_resource_title(RES_CLAIM_MAPPING),
			    "claim mappings");
	assert_string_equal(plan_action_sign(PLAN_DELETE), "-");
	assert_string_equal(plan_action_name(PLAN_UPDATE), "update");
}


/*
 * --target: the targeted objects' steps and what they depend on, their
 * dependencies renumbered; nothing else, not even the unmanaged list.
 */
static void test_plan_target_workflow(void **state)
{
	struct fx *f = *state;
	struct model_workflow *w;
	struct target t;
	struct buf err = BUF_INIT;
	size_t i, kinds[RES_NR] = { 0 };

	w = workflow(&f->d, "Parent", "p", 1);
	nests(w, "Child");
	workflow(&f->d, "Child", "c", 1);
	workflow(&f->d, "Other", "o", 1);
	integration(&f->d, "slack", "slack", "fp", 0);
	desired_params(&f->d);
	user(&f->d, "new@x.io", "Viewer", MODEL_USER_UNKNOWN);
	user(&f->l, "old@x.io", "Viewer", MODEL_USER_VERIFIED);
	assert_int_equal(target_parse("workflow:Parent", &t, &err), 0);
	f->in.targets = &t;
	f->in.targets_nr = 1;
	assert_int_equal(make(f), 0);
	for (i = 0; i < f->p.steps_nr; i++) {
		kinds[step(f, i)->resource]++;
		assert_string_not_equal(step(f, i)->identity, "Other");
	}
	/* Parent and Child imported and published, and the integration */
	assert_int_equal(kinds[RES_WORKFLOW], 4);
	assert_int_equal(kinds[RES_INTEGRATION], 1);
	assert_int_equal(kinds[RES_USER], 0);
	assert_int_equal(f->p.unmanaged_nr, 0);
	assert_int_equal(f->p.targets_nr, 1);
	assert_string_equal(f->p.targets[0], "workflow:Parent");
	assert_int_equal(f->p.to_add, 3);
	assert_int_equal(f->p.by_kind[RES_WORKFLOW].add, 2);
	assert_int_equal(f->p.by_kind[RES_INTEGRATION].add, 1);
	assert_int_equal(f->p.by_kind[RES_USER].add, 0);
	assert_int_equal(f->p.unchanged, 0);
	buf_release(&err);
}

/* Users by e-mail in any case; a prune's delete only when targeted. */
static void test_plan_target_users_and_prune(void **state)
{
	struct fx *f = *state;
	struct target t[2];
	struct buf err = BUF_INIT;

	user(&f->d, "kept@x.io", "Viewer", MODEL_USER_UNKNOWN);
	user(&f->l, "kept@x.io", "Viewer", MODEL_USER_VERIFIED);
	user(&f->d, "Changed@X.io", "Operator", MODEL_USER_UNKNOWN);
	user(&f->l, "changed@x.io", "Viewer", MODEL_USER_VERIFIED);
	user(&f->l, "gone@x.io", "Viewer", MODEL_USER_VERIFIED);
	user(&f->l, "stays@x.io", "Viewer", MODEL_USER_VERIFIED);
	f->in.prune = 1;
	assert_int_equal(target_parse("user:CHANGED@x.io", &t[0], &err), 0);
	assert_int_equal(target_parse("user:gone@x.io", &t[1], &err), 0);
	f->in.targets = t;
	f->in.targets_nr = 2;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 2);
	assert_int_equal(step(f, 0)->kind, STEP_UPDATE_USER);
	assert_int_equal(step(f, 1)->kind, STEP_DELETE_USER);
	assert_string_equal(step(f, 1)->identity, "gone@x.io");
	assert_int_equal(f->p.to_change, 1);
	assert_int_equal(f->p.to_destroy, 1);
	assert_int_equal(f->p.by_kind[RES_USER].destroy, 1);
	/* kept@x.io is not targeted: not counted as unchanged */
	assert_int_equal(f->p.unchanged, 0);
	f->in.targets_nr = 1;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 1);
	/* without targets: the whole plan, its counts per kind */
	f->in.targets_nr = 0;
	assert_int_equal(make(f), 0);
	assert_int_equal(f->p.steps_nr, 3);
	assert_int_equal(f->p.by_kind[RES_USER].change, 1);
	assert_int_equal(f->p.by_kind[RES_USER].destroy, 2);
	assert_int_equal(f->p.unchanged, 1);
	buf_release(&err);
}

/* tag:NAME: the tag's steps on every workflow, and their workflows' import. */
static void test_plan_target_tag(void **state)
{
	struct fx *f = *state;
	struct model_workflow *w;
	struct target t;
	struct buf err = BUF_INIT;
	size_t i;

	w = workflow(&f->d, "A", "a", 0);
	model_workflow_add_tag(w, "red");
	model_workflow_add_tag(w, "blue");
	w->tags_set = 1;
	workflow(&f->l, "A", "a", 0);
	w = workflow(&f->d, "B", "b", 0);
	model_workflow_add_tag(w, "red");
	w->tags_set = 1;
	assert_int_equal(target_parse("tag:red", &t, &err), 0);
	f->in.targets = &t;
	f->in.targets_nr = 1;
	assert_int_equal(make(f), 0);
	/* A's red tag; B's import and its red tag; never a blue tag */
	assert_int_equal(f->p.steps_nr, 3);
	for (i = 0; i < f->p.steps_nr; i++)
		if (step(f, i)->kind == STEP_ADD_TAG)
			assert_string_equal(step(f, i)->detail, "red");
	assert_int_equal(f->p.to_add, 1);
	assert_int_equal(f->p.to_change, 1);
	buf_release(&err);
}

static void test_target_parse_and_check(void **state)
{
	struct fx *f = *state;
	struct target t;
	struct buf err = BUF_INIT;

	assert_int_equal(target_parse("claim_mapping:groups=soc", &t, &err),
			 0);
	assert_int_equal(t.resource, RES_CLAIM_MAPPING);
	assert_string_equal(t.name, "groups=soc");
	assert_int_equal(target_parse("step_runner:a:b", &t, &err), 0);
	assert_string_equal(t.name, "a:b");
	assert_int_equal(target_parse("runner:x", &t, &err), -1);
	assert_non_null(strstr(err.s, "no kind 'runner'"));
	buf_reset(&err);
	assert_int_equal(target_parse("workflow", &t, &err), -1);
	assert_non_null(strstr(err.s, "KIND:NAME"));
	buf_reset(&err);
	assert_int_equal(target_parse("workflow:", &t, &err), -1);
	buf_reset(&err);
	assert_int_equal(target_parse("workspace:x", &t, &err), -1);
	buf_reset(&err);

	mapping(&f->l, "groups", "soc", "Viewer", 1);
	user(&f->d, "a@x.io", "Viewer", MODEL_USER_UNKNOWN);
	assert_int_equal(target_parse("claim_mapping:groups=soc", &t, &err),
			 0);
	assert_int_equal(target_check(&t, 1, &f->d, &f->l, &err), 0);
	assert_int_equal(target_parse("user:A@X.IO", &t, &err), 0);
	assert_int_equal(target_check(&t, 1, &f->d, NULL, &err), 0);
	assert_int_equal(target_parse("integration:nope", &t, &err), 0);
	assert_int_equal(target_check(&t, 1, &f->d, &f->l, &err), -1);
	assert_string_equal(err.s, "--target integration:nope: the manifest "
			    "and the workspace have no integration 'nope'");
	buf_release(&err);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_plan_equal_is_empty),
		T(test_plan_new_workspace),
		T(test_plan_users),
		T(test_plan_unknown_role),
		T(test_plan_claim_mappings_create_update_delete),
		T(test_plan_claim_mappings_order),
		T(test_plan_claim_mappings_new_first),
		T(test_plan_claim_mappings_from_source),
		T(test_plan_integrations),
		T(test_plan_integration_unverifiable),
		T(test_plan_integration_type_cannot_change),
		T(test_plan_integration_shared_in),
		T(test_plan_duplicates_integrations),
		T(test_plan_duplicates_workflows),
		T(test_plan_duplicates_that_differ),
		T(test_plan_duplicates_age_unknown),
		T(test_plan_duplicates_runner_delivered),
		T(test_plan_duplicates_claim_mappings),
		T(test_plan_runners),
		T(test_plan_runner_seen),
		T(test_plan_runner_undelivered),
		T(test_plan_runner_replace),
		T(test_plan_workflows_content_publish_tags),
		T(test_plan_workflows_nested_first),
		T(test_plan_workflows_cycle),
		T(test_plan_workflows_from_source),
		T(test_plan_workflows_prune),
		T(test_plan_unnamed_kinds_untouched),
		T(test_plan_names),
		T(test_plan_target_workflow),
		T(test_plan_target_users_and_prune),
		T(test_plan_target_tag),
		T(test_target_parse_and_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
