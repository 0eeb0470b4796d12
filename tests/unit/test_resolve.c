#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "torq/resolve.h"
#include "torq/banned.h"

struct fixture {
	char dir[64];
	struct doc doc;
	struct diag_list diags;
	struct varset vars;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/torq-resolve-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	doc_init(&f->doc);
	diag_list_init(&f->diags, 0);
	varset_init(&f->vars);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	varset_release(&f->vars);
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	test_free(f);
	return 0;
}

/* Write dir/name (creating one level of subdirectory). */
static void put(struct fixture *f, const char *name, const char *text)
{
	struct buf path = BUF_INIT;
	char *slash;
	FILE *fp;

	buf_addf(&path, "%s/%s", f->dir, name);
	slash = strrchr(path.s, '/');
	*slash = '\0';
	mkdir(path.s, 0700);
	*slash = '/';
	fp = fopen(path.s, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	buf_release(&path);
}

static int resolve(struct fixture *f, const char *name, unsigned flags)
{
	struct buf path = BUF_INIT;
	int ret;

	buf_addf(&path, "%s/%s", f->dir, name);
	ret = resolve_manifest(&f->doc, path.s, &f->vars, flags, &f->diags);
	buf_release(&path);
	return ret;
}

static const char *str_at(struct fixture *f, const char *a, const char *b)
{
	json_t *v = json_object_get(f->doc.root, a);

	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

static void test_resolve_variables_cli_beats_vars(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "vars: { client: acme, n: 3 }\n"
	    "workspace:\n  name: ${client} SOC\n  tag: x$${y}z\n"
	    "count: ${n}\nquoted: \"${n}\"\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_string_equal(str_at(f, "workspace", "name"), "acme SOC");
	assert_string_equal(str_at(f, "workspace", "tag"), "x${y}z");
	assert_int_equal(json_integer_value(json_object_get(f->doc.root,
							    "count")), 3);
	assert_string_equal(str_at(f, "quoted", NULL), "3");

	doc_release(&f->doc);
	varset_set(&f->vars, "client", "globex");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_string_equal(str_at(f, "workspace", "name"), "globex SOC");
}

static void test_resolve_undefined_variable_suggests(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "vars: { client: acme }\nname: ${cleint}\n"
	    "other: ${nothing_like_it}\nbad: ${a:b}\nopen: ${x\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 4);
	assert_string_equal(f->diags.items[0].message,
			    "undefined variable 'cleint'; did you mean "
			    "'client'?");
	assert_int_equal(f->diags.items[0].mark.line, 2);
	assert_string_equal(f->diags.items[0].path, "name");
	assert_non_null(strstr(f->diags.items[1].message,
			       "set it with --var nothing_like_it=VALUE"));
	assert_non_null(strstr(f->diags.items[2].message,
			       "unknown reference '${a:b}'"));
	assert_non_null(strstr(f->diags.items[3].message, "unterminated"));
}

static void test_resolve_env_and_secrets(void **state)
{
	struct fixture *f = *state;
	json_t *tok, *hook;
	size_t len;

	setenv("TORQ_T_PLAIN", "plain-value", 1);
	setenv("TORQ_T_SECRET", "s3cr3t", 1);
	put(f, "sub/m.yaml", "a: ${env:TORQ_T_PLAIN}\n"
	    "hook: \"https://x/${secret:env:TORQ_T_SECRET}\"\n"
	    "tok: ${secret:file:tok.txt}\n");
	put(f, "sub/tok.txt", "file-secret\n");
	assert_int_equal(resolve(f, "sub/m.yaml", 0), 0);
	assert_string_equal(str_at(f, "a", NULL), "plain-value");
	hook = json_object_get(f->doc.root, "hook");
	assert_string_equal(json_string_value(hook),
			    "https://x/${secret:env:TORQ_T_SECRET}");
	assert_true(doc_is_secret(&f->doc, hook));
	assert_string_equal(doc_secret_value(&f->doc, hook, &len),
			    "https://x/s3cr3t");
	tok = json_object_get(f->doc.root, "tok");
	assert_string_equal(json_string_value(tok), "${secret:file:tok.txt}");
	assert_string_equal(doc_secret_value(&f->doc, tok, &len),
			    "file-secret");
	assert_int_equal(len, 11);
	assert_false(doc_is_secret(&f->doc, json_object_get(f->doc.root,
							    "a")));
	unsetenv("TORQ_T_PLAIN");
	unsetenv("TORQ_T_SECRET");
}

static void test_resolve_missing_secret_warns_only_when_optional(void **state)
{
	struct fixture *f = *state;

	unsetenv("TORQ_T_ABSENT");
	put(f, "m.yaml", "a: ${secret:env:TORQ_T_ABSENT}\nb: ${env:TORQ_T_ABSENT}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 2);
	doc_release(&f->doc);
	diag_list_release(&f->diags);
	put(f, "m.yaml", "a: ${secret:env:TORQ_T_ABSENT}\n");
	assert_int_equal(resolve(f, "m.yaml", RESOLVE_SECRETS_OPTIONAL), 0);
	assert_int_equal(f->diags.errors, 0);
	assert_int_equal(f->diags.warnings, 1);
	assert_false(doc_is_secret(&f->doc, json_object_get(f->doc.root,
							    "a")));
}

static void test_resolve_extends_merges_by_identity(void **state)
{
	struct fixture *f = *state;
	json_t *users, *cm;

	put(f, "t/base.yaml", "version: 1\nworkspace: { name: base, "
	    "create: true }\nusers:\n  - { email: A@x.example, role: Owner }\n"
	    "  - { email: b@x.example, role: Viewer }\n"
	    "claim_mappings:\n  items:\n"
	    "    - { claim: g, value: v, role: Viewer }\n"
	    "integrations: [ { name: s, vendor: slack } ]\n");
	put(f, "m.yaml", "extends: t/base.yaml\nworkspace: { name: mine }\n"
	    "users:\n  - { email: c@x.example, role: Viewer }\n"
	    "  - { email: a@X.example, role: Contributor }\n"
	    "claim_mappings:\n  items:\n"
	    "    - { claim: g, value: v, role: Owner }\n"
	    "integrations: []\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_null(json_object_get(f->doc.root, "extends"));
	assert_string_equal(str_at(f, "workspace", "name"), "mine");
	assert_true(json_is_true(json_object_get(json_object_get(
		f->doc.root, "workspace"), "create")));
	users = json_object_get(f->doc.root, "users");
	assert_int_equal(json_array_size(users), 3);
	/* template order kept, the match merged, new ones appended */
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(users, 0), "email")), "a@X.example");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(users, 0), "role")), "Contributor");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(users, 2), "email")), "c@x.example");
	cm = json_object_get(json_object_get(f->doc.root, "claim_mappings"),
			     "items");
	assert_int_equal(json_array_size(cm), 1);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(cm, 0), "role")), "Owner");
	/* an empty list in the manifest merges as "nothing added" */
	assert_int_equal(json_array_size(json_object_get(f->doc.root,
							 "integrations")), 1);
}

static void test_resolve_extends_marks_point_into_the_template(void **state)
{
	struct fixture *f = *state;
	const struct mark *m;

	put(f, "t/base.yaml", "version: 1\nsource:\n  credentials: c.json\n");
	put(f, "m.yaml", "extends: t/base.yaml\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	m = doc_mark(&f->doc, json_object_get(json_object_get(f->doc.root,
		     "source"), "credentials"), NULL);
	assert_non_null(m);
	assert_non_null(strstr(m->file, "t/base.yaml"));
	assert_int_equal(m->line, 3);
}

static void test_resolve_extends_errors(void **state)
{
	struct fixture *f = *state;

	put(f, "a.yaml", "extends: t/b.yaml\n");
	put(f, "t/b.yaml", "extends: ../a.yaml\n");
	assert_int_equal(resolve(f, "a.yaml", 0), -1);
	assert_non_null(strstr(f->diags.items[0].message, "extends cycle: "));
	assert_non_null(strstr(f->diags.items[0].mark.file, "t/b.yaml"));
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	put(f, "c.yaml", "x: 1\nextends: nowhere.yaml\n");
	assert_int_equal(resolve(f, "c.yaml", 0), -1);
	assert_non_null(strstr(f->diags.items[0].message,
			       "cannot read template"));
	assert_int_equal(f->diags.items[0].mark.line, 2);
}

static void test_resolve_varset_parse_and_file(void **state)
{
	struct fixture *f = *state;
	struct buf err = BUF_INIT, path = BUF_INIT;

	assert_int_equal(varset_parse(&f->vars, "a=1=2", &err), 0);
	assert_string_equal(varset_get(&f->vars, "a"), "1=2");
	assert_int_equal(varset_parse(&f->vars, "noequals", &err), -1);
	assert_non_null(strstr(err.s, "NAME=VALUE"));
	buf_reset(&err);
	assert_int_equal(varset_parse(&f->vars, "9x=1", &err), -1);
	put(f, "v.yaml", "n: 3\nb: true\ns: x\nl: [1]\n");
	buf_addf(&path, "%s/v.yaml", f->dir);
	assert_int_equal(varset_load_file(&f->vars, &f->doc, path.s,
					  &f->diags), -1);
	assert_string_equal(varset_get(&f->vars, "n"), "3");
	assert_string_equal(varset_get(&f->vars, "b"), "true");
	assert_null(varset_get(&f->vars, "l"));
	assert_int_equal(f->diags.errors, 1);
	buf_release(&err);
	buf_release(&path);
}

/* Every test gets a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_resolve_variables_cli_beats_vars),
		T(test_resolve_undefined_variable_suggests),
		T(test_resolve_env_and_secrets),
		T(test_resolve_missing_secret_warns_only_when_optional),
		T(test_resolve_extends_merges_by_identity),
		T(test_resolve_extends_marks_point_into_the_template),
		T(test_resolve_extends_errors),
		T(test_resolve_varset_parse_and_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
