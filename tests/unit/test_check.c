#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/check.h"
#include "torq/load.h"
#include "torq/banned.h"

struct fixture {
	struct doc doc;
	struct diag_list diags;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	doc_init(&f->doc);
	diag_list_init(&f->diags, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	diag_list_release(&f->diags);
	doc_release(&f->doc);
	test_free(f);
	return 0;
}

/* Check text; return the number of diagnostics. */
static size_t check(struct fixture *f, const char *text)
{
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	assert_int_equal(load_buffer(&f->doc, "/tmp/m.yaml", text, strlen(text),
				     &f->doc.root, &f->diags), 0);
	check_manifest(&f->doc, &f->diags);
	return f->diags.nr;
}

static void expect(struct fixture *f, size_t i, enum diag_severity sev,
		   unsigned line, const char *needle)
{
	assert_true(i < f->diags.nr);
	assert_int_equal(f->diags.items[i].severity, sev);
	if (f->diags.items[i].mark.line != line)
		fail_msg("%s: line %u, expected %u", f->diags.items[i].message,
			 f->diags.items[i].mark.line, line);
	if (!strstr(f->diags.items[i].message, needle))
		fail_msg("'%s' lacks '%s'", f->diags.items[i].message, needle);
}

static void test_check_duplicates(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "users:\n- {email: A@x.io, role: Owner}\n"
			       "- {email: a@X.IO, role: Owner}\n"), 2);
	expect(f, 0, DIAG_ERROR, 3, "duplicate user 'a@X.IO'");
	expect(f, 1, DIAG_NOTE, 2, "first listed here");
	assert_string_equal(f->diags.items[0].path, "users[1].email");
	assert_int_equal(check(f, "step_runners:\n- {name: r, platform: docker}\n"
			       "- {name: R, platform: docker}\n"
			       "- {name: r, platform: docker}\n"), 2);
	expect(f, 0, DIAG_ERROR, 4, "duplicate step runner 'r'");
	assert_int_equal(check(f, "claim_mappings:\n items:\n"
			       " - {claim: g, value: a, role: Owner}\n"
			       " - {claim: g, value: b, role: Owner}\n"
			       " - {claim: g, value: a, role: Viewer}\n"), 2);
	expect(f, 0, DIAG_ERROR, 5, "duplicate claim mapping 'g=a'");
}

static void test_check_workflow_origins(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "workflows:\n- {name: a}\n"
			       "- {name: b, from: source}\n"
			       "- {name: c, from: source, file: m.yaml}\n"
			       "- {name: d, file: nowhere/x.yaml}\n"), 6);
	expect(f, 0, DIAG_ERROR, 2, "needs 'from: source' or 'file: PATH'");
	expect(f, 1, DIAG_ERROR, 3, "'from: source' needs a 'source:'");
	expect(f, 2, DIAG_ERROR, 4, "not both");
	expect(f, 3, DIAG_ERROR, 4, "'from: source' needs");
	/* /tmp/m.yaml's directory is /tmp, which holds no m.yaml file */
	expect(f, 4, DIAG_ERROR, 4, "cannot read workflow file '/tmp/m.yaml'");
	expect(f, 5, DIAG_ERROR, 5, "'/tmp/nowhere/x.yaml'");
}

static void test_check_roles_warn_with_suggestion(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "users:\n- {email: a@x.io, role: Ownr}\n"
			       "- {email: b@x.io, role: owner}\n"
			       "- {email: c@x.io, role: SOC Lead}\n"
			       "- {email: d@x.io, role: interact only}\n"), 2);
	expect(f, 0, DIAG_WARNING, 2, "did you mean 'Owner'?");
	expect(f, 1, DIAG_WARNING, 4, "must exist in the workspace");
	assert_int_equal(f->diags.errors, 0);
}

static void test_check_options_that_do_not_apply(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	int i;

	assert_int_equal(check(f, "step_runners:\n- {name: d, platform: docker,"
			       " allow_cluster_management: true}\n"
			       "- {name: k, platform: kubernetes,"
			       " allow_cluster_management: true}\n"), 1);
	expect(f, 0, DIAG_ERROR, 2, "only to kubernetes runners, not 'docker'");
	assert_int_equal(check(f, "workspace: {name: w, create: true}\n"), 1);
	expect(f, 0, DIAG_WARNING, 1, "without credentials_out");
	assert_int_equal(check(f, "workspace: {name: w, copy_sso: true}\n"), 1);
	expect(f, 0, DIAG_WARNING, 1, "copy_sso only takes effect");
	assert_int_equal(check(f, "claim_mappings: {copy_from_source: true}\n"),
			 1);
	expect(f, 0, DIAG_ERROR, 1, "copy_from_source needs a 'source:'");
	buf_addstr(&text, "step_runners:\n");
	for (i = 0; i < 11; i++)
		buf_addf(&text, "- {name: r%d, platform: docker}\n", i);
	assert_int_equal(check(f, text.s), 1);
	expect(f, 0, DIAG_WARNING, 2, "11 step runners");
	buf_release(&text);
}

static void test_check_is_defensive_about_types(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f, "users: 3\nworkflows: [1, {name: 2}]\n"
			       "step_runners: {a: b}\nworkspace: []\n"), 1);
	expect(f, 0, DIAG_ERROR, 2, "workflow '?' needs");
	assert_int_equal(check(f, "- a\n"), 0);
}

/* Every test gets a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_duplicates),
		T(test_check_workflow_origins),
		T(test_check_roles_warn_with_suggestion),
		T(test_check_options_that_do_not_apply),
		T(test_check_is_defensive_about_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
