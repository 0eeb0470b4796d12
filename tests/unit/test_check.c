/* The semantic checks a JSON Schema cannot express. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
#include "torq/check.h"
#include "torq/load.h"
#include "torq/banned.h"

struct fixture {
	struct testdir d;
	struct buf name;	/* DIR/m.yaml, the manifest's name */
	struct buf tmp;
	struct doc doc;
	struct diag_list diags;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	testdir_make(&f->d, "torq-check");
	buf_init(&f->name);
	buf_addf(&f->name, "%s/m.yaml", f->d.path);
	buf_init(&f->tmp);
	doc_init(&f->doc);
	diag_list_init(&f->diags, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testdir_remove(&f->d);
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	buf_release(&f->name);
	buf_release(&f->tmp);
	test_free(f);
	return 0;
}

/* Load text as DIR/m.yaml and check it; return the number of diagnostics. */
static size_t check(struct fixture *f, const char *text)
{
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	assert_int_equal(load_buffer(&f->doc, f->name.s, text, strlen(text),
				     &f->doc.root, &f->diags), 0);
	check_manifest(&f->doc, &f->diags);
	return f->diags.nr;
}

/* Create DIR/name (and its directory). */
static void touch(struct fixture *f, const char *name)
{
	static const char text[] = "name: w\n";

	testdir_put(&f->d, name, text, sizeof(text) - 1, 0644);
}

/* Diagnostic i is exactly this, at line:col, with this key path. */
static void expect(struct fixture *f, size_t i, enum diag_severity sev,
		   const char *message, unsigned line, unsigned col,
		   const char *path)
{
	const struct diag *d;

	if (i >= f->diags.nr)
		fail_msg("no diagnostic %zu, expected '%s'", i, message);
	d = &f->diags.items[i];
	assert_int_equal(d->severity, sev);
	assert_string_equal(d->message, message);
	if (d->mark.line != line || d->mark.col != col)
		fail_msg("'%s' at %u:%u, expected %u:%u", d->message,
			 d->mark.line, d->mark.col, line, col);
	assert_string_equal(d->mark.file, f->name.s);
	if (path)
		assert_string_equal(d->path, path);
	else
		assert_null(d->path);
}

static void test_check_valid_manifest_is_quiet(void **state)
{
	struct fixture *f = *state;

	touch(f, "flows/a.yaml");
	assert_int_equal(check(f, "version: 1\n"
			       "workspace: {name: w, create: true, "
			       "credentials_out: c.json, copy_sso: true}\n"
			       "source: {credentials: s.json}\n"
			       "users:\n- {email: a@x.io, role: Owner}\n"
			       "- {email: b@x.io, role: viewer}\n"
			       "claim_mappings:\n copy_from_source: true\n"
			       " items:\n - {claim: g, value: a, role: "
			       "Operator}\n - {claim: g, value: b, role: "
			       "Operator}\n"
			       "integrations:\n- {name: s}\n- {name: S}\n"
			       "step_runners:\n- {name: k, platform: "
			       "kubernetes, allow_cluster_management: true}\n"
			       "- {name: d, platform: docker, "
			       "allow_cluster_management: false}\n"
			       "workflows:\n- {name: a, file: flows/a.yaml}\n"
			       "- {name: b, from: source}\n"), 0);
	assert_int_equal(f->diags.errors, 0);
	assert_int_equal(f->diags.warnings, 0);
}

static void test_check_duplicate_users_differ_only_in_case(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "version: 1\nusers:\n"
			       "  - { email: alice@acme.example, "
			       "role: Owner }\n"
			       "  - { email: bob@acme.example, role: Viewer }\n"
			       "  - { email: Alice@ACME.example, "
			       "role: Viewer }\n"), 2);
	assert_int_equal(f->diags.errors, 1);
	expect(f, 0, DIAG_ERROR, "duplicate user 'Alice@ACME.example'", 5, 14,
	       "users[2].email");
	expect(f, 1, DIAG_NOTE, "'Alice@ACME.example' is first listed here",
	       3, 14, "users[0].email");
}

static void test_check_every_later_duplicate_points_at_the_first(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "users:\n- {email: a@x.io}\n"
			       "- {email: b@x.io}\n- {email: A@x.io}\n"
			       "- {email: a@X.IO}\n"), 4);
	assert_int_equal(f->diags.errors, 2);
	expect(f, 0, DIAG_ERROR, "duplicate user 'A@x.io'", 4, 11,
	       "users[2].email");
	expect(f, 1, DIAG_NOTE, "'A@x.io' is first listed here", 2, 11,
	       "users[0].email");
	expect(f, 2, DIAG_ERROR, "duplicate user 'a@X.IO'", 5, 11,
	       "users[3].email");
	expect(f, 3, DIAG_NOTE, "'a@X.IO' is first listed here", 2, 11,
	       "users[0].email");
}

static void test_check_duplicate_named_objects(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "integrations:\n- {name: slack}\n"
			       "- {name: Slack}\n- {name: slack}\n"), 2);
	expect(f, 0, DIAG_ERROR, "duplicate integration 'slack'", 4, 10,
	       "integrations[2].name");
	expect(f, 1, DIAG_NOTE, "'slack' is first listed here", 2, 10,
	       "integrations[0].name");

	assert_int_equal(check(f, "step_runners:\n"
			       "- {name: r, platform: docker}\n"
			       "- {name: R, platform: docker}\n"
			       "- {name: r, platform: docker}\n"), 2);
	expect(f, 0, DIAG_ERROR, "duplicate step runner 'r'", 4, 10,
	       "step_runners[2].name");
	expect(f, 1, DIAG_NOTE, "'r' is first listed here", 2, 10,
	       "step_runners[0].name");

	assert_int_equal(check(f, "source: {credentials: s.json}\n"
			       "workflows:\n- name: w\n  from: source\n"
			       "- name: w\n  from: source\n"), 2);
	expect(f, 0, DIAG_ERROR, "duplicate workflow 'w'", 5, 9,
	       "workflows[1].name");
	expect(f, 1, DIAG_NOTE, "'w' is first listed here", 3, 9,
	       "workflows[0].name");
}

static void test_check_duplicate_claim_mapping(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "claim_mappings:\n items:\n"
			       " - {claim: g, value: a, role: Owner}\n"
			       " - {claim: g, value: b, role: Owner}\n"
			       " - {claim: h, value: a, role: Owner}\n"
			       " - {claim: g, value: a, role: Viewer}\n"), 2);
	assert_int_equal(f->diags.errors, 1);
	expect(f, 0, DIAG_ERROR, "duplicate claim mapping 'g=a'", 6, 12,
	       "claim_mappings.items[3].claim");
	expect(f, 1, DIAG_NOTE, "'g=a' is first listed here", 3, 12,
	       "claim_mappings.items[0].claim");
}

/* Claim and value may hold any text: two different pairs are no duplicate. */
static void test_check_claim_mappings_with_newlines_differ(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "claim_mappings:\n items:\n"
			       " - {claim: \"a\\nb\", value: c, role: Owner}\n"
			       " - {claim: a, value: \"b\\nc\", "
			       "role: Owner}\n"), 0);
}

static void test_check_items_without_identity_are_skipped(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "users:\n- {role: Owner}\n- {role: Owner}\n"
			       "- {email: 3}\n- {email: 3}\n- x\n- x\n"
			       "claim_mappings:\n items:\n"
			       " - {claim: g, role: Owner}\n"
			       " - {claim: g, role: Owner}\n"), 0);
}

static void test_check_workflow_needs_one_origin(void **state)
{
	struct fixture *f = *state;

	touch(f, "w.yaml");
	assert_int_equal(check(f, "source: {credentials: s.json}\n"
			       "workflows:\n- {name: a}\n"
			       "- {name: c, from: source, file: w.yaml}\n"
			       "- {description: no name}\n"), 3);
	expect(f, 0, DIAG_ERROR, "workflow 'a' needs 'from: source' or "
	       "'file: PATH'", 3, 3, "workflows[0]");
	expect(f, 1, DIAG_ERROR, "a workflow comes either 'from: source' or "
	       "from a 'file:', not both", 4, 33, "workflows[1].file");
	expect(f, 2, DIAG_ERROR, "workflow '?' needs 'from: source' or "
	       "'file: PATH'", 5, 3, "workflows[2]");
}

static void test_check_from_source_needs_source(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "workflows:\n- name: b\n  from: source\n"),
			 1);
	expect(f, 0, DIAG_ERROR, "'from: source' needs a 'source:' section "
	       "naming the template workspace", 3, 9, "workflows[0].from");
	/* a source that is not a mapping is no source */
	assert_int_equal(check(f, "source: x\nworkflows:\n"
			       "- {name: b, from: source}\n"), 1);
	expect(f, 0, DIAG_ERROR, "'from: source' needs a 'source:' section "
	       "naming the template workspace", 3, 19, "workflows[0].from");
}

static void test_check_workflow_files_relative_to_manifest(void **state)
{
	struct fixture *f = *state;

	touch(f, "flows/ok.yaml");
	assert_int_equal(check(f, "workflows:\n"
			       "- {name: a, file: flows/ok.yaml}\n"
			       "- {name: b, file: flows/none.yaml}\n"
			       "- {name: c, file: flows}\n"
			       "- {name: d, file: ./flows/../flows/ok.yaml}\n"),
			 2);
	buf_addf(&f->tmp, "cannot read workflow file '%s/flows/none.yaml': "
		 "No such file or directory", f->d.path);
	expect(f, 0, DIAG_ERROR, f->tmp.s, 3, 19, "workflows[1].file");
	buf_reset(&f->tmp);
	buf_addf(&f->tmp, "workflow file '%s/flows' is not a regular file",
		 f->d.path);
	expect(f, 1, DIAG_ERROR, f->tmp.s, 4, 19, "workflows[2].file");
}

static void test_check_workflow_file_absolute(void **state)
{
	struct fixture *f = *state;

	touch(f, "abs.yaml");
	buf_addf(&f->tmp, "workflows:\n- {name: a, file: %s/abs.yaml}\n",
		 f->d.path);
	assert_int_equal(check(f, f->tmp.s), 0);
}

static void test_check_roles_warn_with_suggestion(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "version: 1\nusers:\n"
			       "  - { email: a@acme.example, role: Ownr }\n"
			       "  - { email: b@acme.example, role: "
			       "Incident Manager }\n"
			       "  - { email: c@acme.example, role: viewer }\n"),
			 2);
	assert_int_equal(f->diags.errors, 0);
	assert_int_equal(f->diags.warnings, 2);
	expect(f, 0, DIAG_WARNING, "'Ownr' is not a Torq preset role; did you "
	       "mean 'Owner'? (custom roles must exist in the workspace)",
	       3, 36, "users[0].role");
	expect(f, 1, DIAG_WARNING, "'Incident Manager' is not a Torq preset "
	       "role; it must exist in the workspace as a custom role",
	       4, 36, "users[1].role");
}

static void test_check_preset_roles_any_case(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	size_t i, j, n;

	buf_addstr(&text, "users:\n");
	for (i = 0; check_preset_roles[i]; i++) {
		buf_addf(&text, "- {email: u%zu@x.io, role: %s}\n", i,
			 check_preset_roles[i]);
		buf_addf(&text, "- {email: l%zu@x.io, role: '", i);
		for (j = 0; check_preset_roles[i][j]; j++) {
			int c = (unsigned char)check_preset_roles[i][j];

			buf_addch(&text, (char)(j % 2 ? tolower(c) :
						toupper(c)));
		}
		buf_addstr(&text, "'}\n");
	}
	n = check(f, text.s);
	buf_release(&text);
	assert_int_equal(n, 0);
}

static void test_check_preset_role_list(void **state)
{
	size_t n;

	(void)state;
	for (n = 0; check_preset_roles[n]; n++)
		;
	assert_int_equal(n, 10);
	assert_string_equal(check_preset_roles[0], "Owner");
	assert_string_equal(check_preset_roles[4], "Viewer");
	assert_string_equal(check_preset_roles[5], "Interact Only");
}

static void test_check_claim_mapping_roles(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "claim_mappings:\n items:\n"
			       " - {claim: g, value: a, role: Operater}\n"
			       " - {claim: g, value: b, role: Tier 1}\n"
			       " - {claim: g, value: c, role: ''}\n"), 2);
	expect(f, 0, DIAG_WARNING, "'Operater' is not a Torq preset role; did "
	       "you mean 'Operator'? (custom roles must exist in the "
	       "workspace)", 3, 31, "claim_mappings.items[0].role");
	expect(f, 1, DIAG_WARNING, "'Tier 1' is not a Torq preset role; it "
	       "must exist in the workspace as a custom role", 4, 31,
	       "claim_mappings.items[1].role");
}

static void test_check_cluster_management_only_on_kubernetes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "step_runners:\n"
			       "- {name: d, platform: docker, "
			       "allow_cluster_management: true}\n"
			       "- {name: k, platform: kubernetes, "
			       "allow_cluster_management: true}\n"
			       "- {name: e, platform: docker, "
			       "allow_cluster_management: false}\n"
			       "- {name: n, allow_cluster_management: true}\n"),
			 1);
	expect(f, 0, DIAG_ERROR, "allow_cluster_management applies only to "
	       "kubernetes runners, not 'docker'", 2, 57,
	       "step_runners[0].allow_cluster_management");
}

static void test_check_runner_quota(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	int i;

	buf_addstr(&text, "version: 1\nstep_runners:\n");
	for (i = 0; i < 10; i++)
		buf_addf(&text, "  - {name: r%d, platform: docker}\n", i);
	assert_int_equal(check(f, text.s), 0);
	buf_addstr(&text, "  - {name: r10, platform: docker}\n");
	assert_int_equal(check(f, text.s), 1);
	expect(f, 0, DIAG_WARNING, "11 step runners; Torq allows 10 per "
	       "workspace unless support raises the quota", 3, 3,
	       "step_runners");
	assert_int_equal(f->diags.errors, 0);
	buf_release(&text);
}

static void test_check_workspace_create_and_copy_sso(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "workspace:\n  name: w\n  create: true\n"),
			 1);
	expect(f, 0, DIAG_WARNING, "without credentials_out the new "
	       "workspace's API key, shown once, is lost when this run ends",
	       3, 11, "workspace.create");
	assert_int_equal(check(f, "workspace:\n  name: w\n  copy_sso: true\n"),
			 1);
	expect(f, 0, DIAG_WARNING, "copy_sso only takes effect when the "
	       "workspace is created (create: true)", 3, 13,
	       "workspace.copy_sso");
	assert_int_equal(check(f, "workspace:\n  name: w\n  create: false\n"
			       "  copy_sso: true\n"), 1);
	expect(f, 0, DIAG_WARNING, "copy_sso only takes effect when the "
	       "workspace is created (create: true)", 4, 13,
	       "workspace.copy_sso");
	assert_int_equal(f->diags.errors, 0);
	/* nothing to say */
	assert_int_equal(check(f, "workspace:\n  name: w\n  create: true\n"
			       "  credentials_out: c.json\n  copy_sso: true\n"),
			 0);
	assert_int_equal(check(f, "workspace:\n  name: w\n  copy_sso: false\n"),
			 0);
}

static void test_check_copy_from_source_needs_source(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "claim_mappings:\n"
			       "  copy_from_source: true\n"), 1);
	expect(f, 0, DIAG_ERROR, "copy_from_source needs a 'source:' section "
	       "naming the template workspace", 2, 21,
	       "claim_mappings.copy_from_source");
	assert_int_equal(check(f, "source: {credentials: s.json}\n"
			       "claim_mappings:\n  copy_from_source: true\n"),
			 0);
	assert_int_equal(check(f, "claim_mappings:\n"
			       "  copy_from_source: false\n"), 0);
}

static void test_check_is_defensive_about_types(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "users: 3\nworkflows: [1, {name: 2}]\n"
			       "step_runners: {a: b}\nworkspace: []\n"
			       "claim_mappings: {items: 3}\n"
			       "integrations: [[], null]\n"), 1);
	expect(f, 0, DIAG_ERROR, "workflow '?' needs 'from: source' or "
	       "'file: PATH'", 2, 16, "workflows[1]");
	assert_int_equal(check(f, "- a\n"), 0);
	assert_int_equal(check(f, ""), 0);
	assert_int_equal(check(f, "users:\n- {email: a@x.io, role: 3}\n"
			       "step_runners:\n- {name: r, platform: 3, "
			       "allow_cluster_management: true}\n"
			       "workflows:\n- {name: w, file: 3}\n"), 0);
}

/* Every test gets a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_valid_manifest_is_quiet),
		T(test_check_duplicate_users_differ_only_in_case),
		T(test_check_every_later_duplicate_points_at_the_first),
		T(test_check_duplicate_named_objects),
		T(test_check_duplicate_claim_mapping),
		T(test_check_claim_mappings_with_newlines_differ),
		T(test_check_items_without_identity_are_skipped),
		T(test_check_workflow_needs_one_origin),
		T(test_check_from_source_needs_source),
		T(test_check_workflow_files_relative_to_manifest),
		T(test_check_workflow_file_absolute),
		T(test_check_roles_warn_with_suggestion),
		T(test_check_preset_roles_any_case),
		T(test_check_preset_role_list),
		T(test_check_claim_mapping_roles),
		T(test_check_cluster_management_only_on_kubernetes),
		T(test_check_runner_quota),
		T(test_check_workspace_create_and_copy_sso),
		T(test_check_copy_from_source_needs_source),
		T(test_check_is_defensive_about_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
