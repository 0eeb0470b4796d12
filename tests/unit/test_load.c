#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/load.h"
#include "torq/banned.h"

struct fixture {
	struct doc doc;
	struct diag_list diags;
	json_t *root;
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

	json_decref(f->root);
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	test_free(f);
	return 0;
}

static int load(struct fixture *f, const char *text)
{
	return load_buffer(&f->doc, "t.yaml", text, strlen(text), &f->root,
			   &f->diags);
}

static void test_load_scalars_follow_yaml_1_2_core(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: true\nb: True\nc: yes\nd: ~\ne:\n"
			 "f: 0x1F\ng: 0o17\nh: -12\ni: 1.5e3\nj: \"true\"\n"
			 "k: off\n"), 0);
	assert_true(json_is_true(json_object_get(f->root, "a")));
	assert_true(json_is_true(json_object_get(f->root, "b")));
	assert_string_equal(json_string_value(json_object_get(f->root, "c")),
			    "yes");
	assert_true(json_is_null(json_object_get(f->root, "d")));
	assert_true(json_is_null(json_object_get(f->root, "e")));
	assert_int_equal(json_integer_value(json_object_get(f->root, "f")),
			 31);
	assert_int_equal(json_integer_value(json_object_get(f->root, "g")),
			 15);
	assert_int_equal(json_integer_value(json_object_get(f->root, "h")),
			 -12);
	assert_true(json_real_value(json_object_get(f->root, "i")) == 1500.0);
	assert_string_equal(json_string_value(json_object_get(f->root, "j")),
			    "true");
	assert_string_equal(json_string_value(json_object_get(f->root, "k")),
			    "off");
}

static void test_load_marks_values_and_keys(void **state)
{
	struct fixture *f = *state;
	const struct mark *m;
	json_t *ws;

	assert_int_equal(load(f, "version: 1\nworkspace:\n  name: \"x\"\n"
			 "  create: true\n"), 0);
	ws = json_object_get(f->root, "workspace");
	m = doc_mark(&f->doc, json_object_get(ws, "name"), NULL);
	assert_non_null(m);
	assert_int_equal(m->line, 3);
	assert_int_equal(m->col, 9);
	assert_int_equal(m->plain, 0);
	assert_string_equal(m->file, "t.yaml");
	m = doc_mark(&f->doc, ws, "create");
	assert_int_equal(m->line, 4);
	assert_int_equal(m->col, 3);
	m = doc_value_mark(&f->doc, ws, "create", 0);
	assert_non_null(m);
	assert_int_equal(m->col, 11);
	assert_int_equal(m->plain, 1);
}

/* jansson shares true, false and null: their marks live per slot. */
static void test_load_marks_of_shared_values_are_per_slot(void **state)
{
	struct fixture *f = *state;
	json_t *list;

	assert_int_equal(load(f, "a: true\nb:\n  - null\n  - true\n"
			 "c: true\n"), 0);
	list = json_object_get(f->root, "b");
	assert_null(doc_mark(&f->doc, json_object_get(f->root, "a"), NULL));
	assert_int_equal(doc_value_mark(&f->doc, f->root, "a", 0)->line, 1);
	assert_int_equal(doc_value_mark(&f->doc, f->root, "c", 0)->line, 5);
	assert_int_equal(doc_value_mark(&f->doc, list, NULL, 0)->line, 3);
	assert_int_equal(doc_value_mark(&f->doc, list, NULL, 1)->line, 4);
	assert_int_equal(doc_value_mark(&f->doc, list, NULL, 1)->col, 5);
	/* a key's mark falls back to its value's slot */
	assert_int_equal(doc_mark(&f->doc, f->root, "c")->col, 1);
}

static void test_load_alias_is_an_independent_copy(void **state)
{
	struct fixture *f = *state;
	json_t *a, *b;

	assert_int_equal(load(f, "a: &x {k: v}\nb: *x\n"), 0);
	a = json_object_get(f->root, "a");
	b = json_object_get(f->root, "b");
	assert_true(json_equal(a, b));
	assert_ptr_not_equal(a, b);
	json_object_set_new(b, "k", json_string("changed"));
	assert_string_equal(json_string_value(json_object_get(a, "k")), "v");
}

static void test_load_duplicate_key_has_note_at_first(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: 1\nb: 2\na: 3\n"), -1);
	/* the document is whole, so it is handed on: the first value wins */
	assert_non_null(f->root);
	assert_int_equal(json_integer_value(json_object_get(f->root, "a")), 1);
	assert_int_equal(f->diags.nr, 2);
	assert_int_equal(f->diags.items[0].severity, DIAG_ERROR);
	assert_string_equal(f->diags.items[0].message, "duplicate key 'a'");
	assert_int_equal(f->diags.items[0].mark.line, 3);
	assert_int_equal(f->diags.items[1].severity, DIAG_NOTE);
	assert_int_equal(f->diags.items[1].mark.line, 1);
}

static void test_load_refuses_bad_input(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text;
		size_t len;
		const char *message;
		unsigned line, col;
		int whole;	/* the tree is still handed on */
	} cases[] = {
		{ "a: 1\n---\nb: 2\n", 0, "more than one YAML document", 2, 1,
		  0 },
		{ "a: .inf\n", 0, "infinite and not-a-number", 1, 4, 1 },
		{ "a: 1\nb: caf\xc3(\n", 0, "invalid UTF-8 (byte 0xc3)", 2, 7,
		  0 },
		{ "a: x\0y\n", 7, "NUL byte", 1, 5, 0 },
		{ "a: b\n c: d\n", 0, "invalid YAML:", 2, 3, 0 },
		{ "a: [x\n", 0, "invalid YAML:", 2, 1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len :
			     strlen(cases[i].text);

		diag_list_release(&f->diags);
		assert_int_equal(load_buffer(&f->doc, "t.yaml", cases[i].text,
					     len, &f->root, &f->diags), -1);
		assert_int_equal(f->root != NULL, cases[i].whole);
		json_decref(f->root);
		f->root = NULL;
		assert_true(f->diags.nr >= 1);
		if (!strstr(f->diags.items[0].message, cases[i].message))
			fail_msg("case %zu: '%s'", i,
				 f->diags.items[0].message);
		assert_int_equal(f->diags.items[0].mark.line, cases[i].line);
		assert_int_equal(f->diags.items[0].mark.col, cases[i].col);
	}
}

/* Errors that leave the document whole hand the tree on. */
static void test_load_recoverable_errors_keep_the_tree(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: *nope\nb: !foo x\nc: 1\n"), -1);
	assert_int_equal(f->diags.errors, 2);
	assert_string_equal(f->diags.items[0].message,
			    "unknown alias '*nope'");
	assert_int_equal(f->diags.items[0].mark.col, 4);
	assert_string_equal(f->diags.items[1].message,
			    "unsupported tag '!foo'");
	assert_non_null(f->root);
	assert_string_equal(json_string_value(json_object_get(f->root, "a")),
			    "*nope");
	assert_string_equal(json_string_value(json_object_get(f->root, "b")),
			    "x");
	assert_int_equal(json_integer_value(json_object_get(f->root, "c")), 1);
}

static void test_load_billion_laughs_is_refused(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	char c;

	buf_addstr(&text, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (c = 'b'; c <= 'j'; c++)
		buf_addf(&text, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, "
			 "*%c, *%c, *%c]\n", c, c, c - 1, c - 1, c - 1, c - 1,
			 c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	assert_int_equal(load(f, text.s), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_non_null(strstr(f->diags.items[0].message, "more than 100000"));
	buf_release(&text);
}

static void test_load_deep_nesting_is_refused(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;

	buf_addchars(&text, '[', LOAD_MAX_DEPTH + 1);
	buf_addchars(&text, ']', LOAD_MAX_DEPTH + 1);
	assert_int_equal(load(f, text.s), -1);
	assert_non_null(strstr(f->diags.items[0].message, "nesting deeper"));
	buf_release(&text);
}

static void test_load_tags_and_empty_input(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: !!str 123\nb: !!int \"7\"\n"), 0);
	assert_string_equal(json_string_value(json_object_get(f->root, "a")),
			    "123");
	assert_int_equal(json_integer_value(json_object_get(f->root, "b")), 7);
	json_decref(f->root);
	f->root = NULL;
	assert_int_equal(load(f, ""), 0);
	assert_true(json_is_null(f->root));
}

static void test_load_refuses_oversized_input(void **state)
{
	struct fixture *f = *state;
	size_t len = LOAD_MAX_BYTES + 1;
	char *big = test_malloc(len);

	memset(big, '#', len);
	assert_int_equal(load_buffer(&f->doc, "big.yaml", big, len, &f->root,
				     &f->diags), -1);
	assert_string_equal(f->diags.items[0].message,
			    "file is larger than 16 MiB");
	test_free(big);
}

static void test_load_file_reports_missing_file(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_file(&f->doc, "/nonexistent/m.yaml", &f->root,
				   &f->diags), -1);
	assert_string_equal(f->diags.items[0].message,
			    "cannot read file: No such file or directory");
	assert_string_equal(f->diags.items[0].mark.file, "/nonexistent/m.yaml");
}

/* Every test gets a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_load_scalars_follow_yaml_1_2_core),
		T(test_load_marks_values_and_keys),
		T(test_load_marks_of_shared_values_are_per_slot),
		T(test_load_alias_is_an_independent_copy),
		T(test_load_duplicate_key_has_note_at_first),
		T(test_load_refuses_bad_input),
		T(test_load_recoverable_errors_keep_the_tree),
		T(test_load_billion_laughs_is_refused),
		T(test_load_deep_nesting_is_refused),
		T(test_load_tags_and_empty_input),
		T(test_load_refuses_oversized_input),
		T(test_load_file_reports_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
