/* The YAML loader: typing, marks, anchors and what it refuses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
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

/* Load text afresh (the previous tree and diagnostics are dropped). */
static int load_len(struct fixture *f, const char *text, size_t len)
{
	json_decref(f->root);
	f->root = NULL;
	diag_list_release(&f->diags);
	return load_buffer(&f->doc, "t.yaml", text, len, &f->root, &f->diags);
}

static int load(struct fixture *f, const char *text)
{
	return load_len(f, text, strlen(text));
}

static json_t *get(struct fixture *f, const char *key)
{
	return json_object_get(f->root, key);
}

static void assert_mark(const struct mark *m, unsigned line, unsigned col)
{
	assert_non_null(m);
	if (m->line != line || m->col != col)
		fail_msg("mark %u:%u, expected %u:%u", m->line, m->col, line,
			 col);
}

/* One error diagnostic, exactly this message, at line:col. */
static void assert_one_error(struct fixture *f, const char *message,
			     unsigned line, unsigned col)
{
	if (f->diags.nr < 1)
		fail_msg("no diagnostic, expected '%s'", message);
	assert_int_equal(f->diags.errors, 1);
	assert_int_equal(f->diags.items[0].severity, DIAG_ERROR);
	assert_string_equal(f->diags.items[0].message, message);
	assert_string_equal(f->diags.items[0].mark.file, "t.yaml");
	assert_int_equal(f->diags.items[0].mark.line, line);
	assert_int_equal(f->diags.items[0].mark.col, col);
}

static void test_load_booleans_and_nulls(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "t1: true\nt2: True\nt3: TRUE\n"
			 "f1: false\nf2: False\nf3: FALSE\n"
			 "n1: null\nn2: Null\nn3: NULL\nn4: ~\nn5:\n"
			 "s1: yes\ns2: no\ns3: on\ns4: off\ns5: y\ns6: n\n"
			 "s7: Yes\ns8: tRUE\ns9: nULL\n"), 0);
	assert_int_equal(f->diags.nr, 0);
	assert_true(json_is_true(get(f, "t1")));
	assert_true(json_is_true(get(f, "t2")));
	assert_true(json_is_true(get(f, "t3")));
	assert_true(json_is_false(get(f, "f1")));
	assert_true(json_is_false(get(f, "f2")));
	assert_true(json_is_false(get(f, "f3")));
	assert_true(json_is_null(get(f, "n1")));
	assert_true(json_is_null(get(f, "n2")));
	assert_true(json_is_null(get(f, "n3")));
	assert_true(json_is_null(get(f, "n4")));
	assert_true(json_is_null(get(f, "n5")));
	/* YAML 1.1's booleans are strings in 1.2 */
	assert_string_equal(json_string_value(get(f, "s1")), "yes");
	assert_string_equal(json_string_value(get(f, "s2")), "no");
	assert_string_equal(json_string_value(get(f, "s3")), "on");
	assert_string_equal(json_string_value(get(f, "s4")), "off");
	assert_string_equal(json_string_value(get(f, "s5")), "y");
	assert_string_equal(json_string_value(get(f, "s6")), "n");
	assert_string_equal(json_string_value(get(f, "s7")), "Yes");
	assert_string_equal(json_string_value(get(f, "s8")), "tRUE");
	assert_string_equal(json_string_value(get(f, "s9")), "nULL");
}

static void test_load_integers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: 0\nb: -12\nc: +7\nd: 0x1F\ne: 0o17\n"
			 "f: 0xff\ng: 012\nh: 9223372036854775807\n"
			 "i: -9223372036854775808\n"), 0);
	assert_int_equal(json_integer_value(get(f, "a")), 0);
	assert_true(json_is_integer(get(f, "a")));
	assert_int_equal(json_integer_value(get(f, "b")), -12);
	assert_int_equal(json_integer_value(get(f, "c")), 7);
	assert_int_equal(json_integer_value(get(f, "d")), 31);
	assert_int_equal(json_integer_value(get(f, "e")), 15);
	assert_int_equal(json_integer_value(get(f, "f")), 255);
	/* a leading zero is decimal in YAML 1.2, not octal */
	assert_int_equal(json_integer_value(get(f, "g")), 12);
	assert_true(json_integer_value(get(f, "h")) == INT64_MAX);
	assert_true(json_integer_value(get(f, "i")) == INT64_MIN);
}

static void test_load_not_quite_integers_are_strings(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: 0x\nb: 0o8\nc: 0xG1\nd: -0x1F\n"
			 "e: 1_000\nf: 0X1F\ng: 12a\nh: '-'\n"), 0);
	assert_string_equal(json_string_value(get(f, "a")), "0x");
	assert_string_equal(json_string_value(get(f, "b")), "0o8");
	assert_string_equal(json_string_value(get(f, "c")), "0xG1");
	assert_string_equal(json_string_value(get(f, "d")), "-0x1F");
	assert_string_equal(json_string_value(get(f, "e")), "1_000");
	assert_string_equal(json_string_value(get(f, "f")), "0X1F");
	assert_string_equal(json_string_value(get(f, "g")), "12a");
	assert_string_equal(json_string_value(get(f, "h")), "-");
}

static void test_load_floats(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: 1.5\nb: -0.25\nc: .5\nd: 1e3\n"
			 "e: +1.5e-3\nf: 1.\ng: 0.1E+2\n"
			 "h: 99999999999999999999\n"), 0);
	assert_true(json_is_real(get(f, "a")));
	assert_true(json_real_value(get(f, "a")) == 1.5);
	assert_true(json_real_value(get(f, "b")) == -0.25);
	assert_true(json_real_value(get(f, "c")) == 0.5);
	assert_true(json_is_real(get(f, "d")));
	assert_true(json_real_value(get(f, "d")) == 1000.0);
	assert_true(json_real_value(get(f, "e")) == 1.5e-3);
	assert_true(json_real_value(get(f, "f")) == 1.0);
	assert_true(json_real_value(get(f, "g")) == 10.0);
	/* too big for an integer: still a number */
	assert_true(json_is_real(get(f, "h")));
	assert_true(json_real_value(get(f, "h")) == 1e20);
}

static void test_load_not_quite_floats_are_strings(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: 1e\nb: e5\nc: 1.2.3\nd: .\n"
			 "e: 1.5x\nf: '1.5'\n"), 0);
	assert_string_equal(json_string_value(get(f, "a")), "1e");
	assert_string_equal(json_string_value(get(f, "b")), "e5");
	assert_string_equal(json_string_value(get(f, "c")), "1.2.3");
	assert_string_equal(json_string_value(get(f, "d")), ".");
	assert_string_equal(json_string_value(get(f, "e")), "1.5x");
	assert_string_equal(json_string_value(get(f, "f")), "1.5");
}

static void test_load_quoted_scalars_stay_strings(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: \"true\"\nb: 'null'\nc: \"3\"\n"
			 "d: \"~\"\ne: ''\nf: |\n  42\ng: >-\n  1.5\n"), 0);
	assert_string_equal(json_string_value(get(f, "a")), "true");
	assert_string_equal(json_string_value(get(f, "b")), "null");
	assert_string_equal(json_string_value(get(f, "c")), "3");
	assert_string_equal(json_string_value(get(f, "d")), "~");
	assert_string_equal(json_string_value(get(f, "e")), "");
	assert_string_equal(json_string_value(get(f, "f")), "42\n");
	assert_string_equal(json_string_value(get(f, "g")), "1.5");
}

static void test_load_infinity_and_nan_are_errors(void **state)
{
	static const char *const texts[] = {
		"a: .inf\n", "a: -.Inf\n", "a: +.INF\n", "a: .nan\n",
		"a: .NaN\n",
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(load(f, texts[i]), -1);
		assert_one_error(f, "infinite and not-a-number values cannot "
				 "be used here", 1, 4);
		/* the text goes on, so later stages still see a value */
		assert_non_null(f->root);
		assert_true(json_is_string(get(f, "a")));
	}
	assert_int_equal(load(f, "x: 1\na: 1e999\n"), -1);
	assert_one_error(f, "number out of range", 2, 4);
	/* quoted, it is only text */
	assert_int_equal(load(f, "a: \".inf\"\n"), 0);
	assert_string_equal(json_string_value(get(f, "a")), ".inf");
}

static void test_load_plain_scalar_directly(void **state)
{
	const char *why = NULL;
	json_t *v;

	(void)state;
	v = load_plain_scalar("3", 1, &why);
	assert_true(json_is_integer(v));
	assert_int_equal(json_integer_value(v), 3);
	json_decref(v);
	/* only len bytes count */
	v = load_plain_scalar("12345", 2, &why);
	assert_int_equal(json_integer_value(v), 12);
	json_decref(v);
	v = load_plain_scalar("", 0, &why);
	assert_true(json_is_null(v));
	v = load_plain_scalar("false", 5, &why);
	assert_true(json_is_false(v));
	v = load_plain_scalar("acme SOC", 8, &why);
	assert_string_equal(json_string_value(v), "acme SOC");
	json_decref(v);
	assert_null(why);
	assert_null(load_plain_scalar(".inf", 4, &why));
	assert_non_null(why);
	assert_non_null(strstr(why, "infinite"));
	why = NULL;
	assert_null(load_plain_scalar("-1e400", 6, &why));
	assert_string_equal(why, "number out of range");
}

static void test_load_marks_values_and_keys(void **state)
{
	struct fixture *f = *state;
	const struct mark *m;
	json_t *ws;

	assert_int_equal(load(f, "version: 1\nworkspace:\n  name: \"x\"\n"
			 "  create: true\n  'quoted key': plain\n"), 0);
	assert_mark(doc_mark(&f->doc, f->root, NULL), 1, 1);
	assert_mark(doc_mark(&f->doc, f->root, "version"), 1, 1);
	assert_mark(doc_mark(&f->doc, get(f, "version"), NULL), 1, 10);
	assert_int_equal(doc_mark(&f->doc, get(f, "version"), NULL)->plain,
			 1);
	ws = get(f, "workspace");
	assert_mark(doc_mark(&f->doc, f->root, "workspace"), 2, 1);
	assert_mark(doc_mark(&f->doc, ws, NULL), 3, 3);
	m = doc_mark(&f->doc, json_object_get(ws, "name"), NULL);
	assert_mark(m, 3, 9);
	assert_int_equal(m->plain, 0);
	assert_string_equal(m->file, "t.yaml");
	m = doc_mark(&f->doc, ws, "create");
	assert_mark(m, 4, 3);
	assert_int_equal(m->plain, 1);
	m = doc_value_mark(&f->doc, ws, "create", 0);
	assert_mark(m, 4, 11);
	assert_int_equal(m->plain, 1);
	/* a quoted key is not plain, its plain value is */
	m = doc_mark(&f->doc, ws, "quoted key");
	assert_mark(m, 5, 3);
	assert_int_equal(m->plain, 0);
	m = doc_mark(&f->doc, json_object_get(ws, "quoted key"), NULL);
	assert_mark(m, 5, 17);
	assert_int_equal(m->plain, 1);
}

static void test_load_marks_in_sequences_and_flow(void **state)
{
	struct fixture *f = *state;
	json_t *users, *u1;
	const struct mark *m;

	assert_int_equal(load(f, "users:\n  - { email: a@x.io, role: Owner }\n"
			 "  - email: 'b@x.io'\n"
			 "    role: |\n      Viewer\n"), 0);
	users = get(f, "users");
	assert_mark(doc_mark(&f->doc, users, NULL), 2, 3);
	assert_mark(doc_mark(&f->doc, json_array_get(users, 0), NULL), 2, 5);
	assert_mark(doc_mark(&f->doc, json_array_get(users, 0), "email"),
		    2, 7);
	m = doc_mark(&f->doc, json_object_get(json_array_get(users, 0),
					      "email"), NULL);
	assert_mark(m, 2, 14);
	assert_int_equal(m->plain, 1);
	u1 = json_array_get(users, 1);
	assert_mark(doc_mark(&f->doc, u1, NULL), 3, 5);
	m = doc_mark(&f->doc, json_object_get(u1, "email"), NULL);
	assert_mark(m, 3, 12);
	assert_int_equal(m->plain, 0);
	assert_mark(doc_mark(&f->doc, u1, "role"), 4, 5);
	m = doc_mark(&f->doc, json_object_get(u1, "role"), NULL);
	assert_mark(m, 4, 11);
	assert_int_equal(m->plain, 0);
	assert_string_equal(json_string_value(json_object_get(u1, "role")),
			    "Viewer\n");
}

/* jansson shares true, false and null: their marks live per slot. */
static void test_load_marks_of_shared_values_are_per_slot(void **state)
{
	struct fixture *f = *state;
	json_t *list;

	assert_int_equal(load(f, "a: true\nb:\n  - null\n  - true\n"
			 "c: true\n"), 0);
	list = get(f, "b");
	assert_null(doc_mark(&f->doc, get(f, "a"), NULL));
	assert_mark(doc_value_mark(&f->doc, f->root, "a", 0), 1, 4);
	assert_mark(doc_value_mark(&f->doc, f->root, "c", 0), 5, 4);
	assert_mark(doc_value_mark(&f->doc, list, NULL, 0), 3, 5);
	assert_mark(doc_value_mark(&f->doc, list, NULL, 1), 4, 5);
	assert_mark(doc_mark(&f->doc, f->root, "c"), 5, 1);
}

static void test_load_crlf_line_ends(void **state)
{
	struct fixture *f = *state;
	size_t len;
	const char *line;

	assert_int_equal(load(f, "a: 1\r\nb: x\r\n"), 0);
	assert_string_equal(json_string_value(get(f, "b")), "x");
	assert_mark(doc_mark(&f->doc, get(f, "b"), NULL), 2, 4);
	line = doc_source_line(&f->doc, "t.yaml", 2, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(line, "b: x", 4);
}

static void test_load_alias_is_an_independent_copy(void **state)
{
	struct fixture *f = *state;
	json_t *a, *b;

	assert_int_equal(load(f, "a: &x {k: v, l: [1, 2]}\nb: *x\n"), 0);
	a = get(f, "a");
	b = get(f, "b");
	assert_true(json_equal(a, b));
	assert_ptr_not_equal(a, b);
	assert_ptr_not_equal(json_object_get(a, "l"), json_object_get(b, "l"));
	json_object_set_new(b, "k", json_string("changed"));
	json_array_append_new(json_object_get(b, "l"), json_integer(3));
	assert_string_equal(json_string_value(json_object_get(a, "k")), "v");
	assert_int_equal(json_array_size(json_object_get(a, "l")), 2);
	/* the alias's key has its own place */
	assert_mark(doc_mark(&f->doc, f->root, "b"), 2, 1);
	/* the copy keeps the marks of what it copies */
	assert_mark(doc_mark(&f->doc, json_object_get(b, "l"), NULL), 1, 17);
}

static void test_load_alias_of_scalars_and_redefinition(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: &n 3\nb: *n\nc: &n two\nd: *n\n"
			 "e: [&t true, *t]\n&k key: 1\nf: *k\n"), 0);
	assert_int_equal(json_integer_value(get(f, "b")), 3);
	/* a later anchor of the same name replaces the earlier one */
	assert_string_equal(json_string_value(get(f, "d")), "two");
	assert_true(json_is_true(json_array_get(get(f, "e"), 1)));
	assert_mark(doc_value_mark(&f->doc, get(f, "e"), NULL, 1), 5, 14);
	/* an anchored key can be used as a value */
	assert_string_equal(json_string_value(get(f, "f")), "key");
}

static void test_load_unknown_alias(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: 1\nb: *nope\nc: 2\n"), -1);
	assert_one_error(f, "unknown alias '*nope'", 2, 4);
	/* the rest of the document is still handed on */
	assert_non_null(f->root);
	assert_string_equal(json_string_value(get(f, "b")), "*nope");
	assert_int_equal(json_integer_value(get(f, "c")), 2);
	/* an anchor is not defined inside itself */
	assert_int_equal(load(f, "a: &r [1, *r]\n"), -1);
	assert_one_error(f, "unknown alias '*r'", 1, 11);
}

static void test_load_duplicate_key_has_note_at_first(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: 1\nb: 2\na: 3\n"), -1);
	/* the document is whole, so it is handed on: the first value wins */
	assert_non_null(f->root);
	assert_int_equal(json_integer_value(get(f, "a")), 1);
	assert_int_equal(f->diags.nr, 2);
	assert_int_equal(f->diags.errors, 1);
	assert_int_equal(f->diags.items[0].severity, DIAG_ERROR);
	assert_string_equal(f->diags.items[0].message, "duplicate key 'a'");
	assert_int_equal(f->diags.items[0].mark.line, 3);
	assert_int_equal(f->diags.items[0].mark.col, 1);
	assert_int_equal(f->diags.items[1].severity, DIAG_NOTE);
	assert_string_equal(f->diags.items[1].message,
			    "'a' first defined here");
	assert_int_equal(f->diags.items[1].mark.line, 1);
	assert_int_equal(f->diags.items[1].mark.col, 1);
}

static void test_load_duplicate_keys_nested_and_typed(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "x:\n  k: 1\n  m: {a: 1}\n  k:\n"), -1);
	assert_int_equal(f->diags.nr, 2);
	assert_string_equal(f->diags.items[0].message, "duplicate key 'k'");
	assert_int_equal(f->diags.items[0].mark.line, 4);
	assert_int_equal(f->diags.items[0].mark.col, 3);
	assert_int_equal(f->diags.items[1].mark.line, 2);
	assert_int_equal(f->diags.items[1].mark.col, 3);
	/* 1 and '1' are the same JSON key; a null first value is a value */
	assert_int_equal(load(f, "1: a\n'1': b\nn:\nn: 2\n"), -1);
	assert_int_equal(f->diags.errors, 2);
	assert_string_equal(f->diags.items[0].message, "duplicate key '1'");
	assert_int_equal(f->diags.items[0].mark.line, 2);
	assert_int_equal(f->diags.items[1].mark.line, 1);
	assert_string_equal(f->diags.items[2].message, "duplicate key 'n'");
	assert_int_equal(f->diags.items[2].mark.line, 4);
	assert_int_equal(f->diags.items[3].severity, DIAG_NOTE);
	assert_int_equal(f->diags.items[3].mark.line, 3);
	assert_true(json_is_null(get(f, "n")));
}

static void test_load_keys_of_other_types(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "1: a\ntrue: b\n~: c\n0x10: d\n"), 0);
	assert_string_equal(json_string_value(get(f, "1")), "a");
	assert_string_equal(json_string_value(get(f, "true")), "b");
	assert_string_equal(json_string_value(get(f, "")), "c");
	assert_string_equal(json_string_value(get(f, "16")), "d");
	assert_int_equal(load(f, "? [a]\n: 1\nb: 2\n"), -1);
	assert_one_error(f, "mapping keys must be plain scalars", 1, 3);
	assert_int_equal(load(f, "\"a\\0b\": 1\n"), -1);
	assert_string_equal(f->diags.items[0].message,
			    "mapping keys cannot contain NUL");
}

static void test_load_multiple_documents(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: 1\n---\nb: 2\n"), -1);
	assert_one_error(f, "more than one YAML document in the file; a "
			 "manifest is one document", 2, 1);
	assert_null(f->root);
	/* one document with its markers is fine */
	assert_int_equal(load(f, "---\na: 1\n...\n"), 0);
	assert_int_equal(json_integer_value(get(f, "a")), 1);
}

static void test_load_invalid_utf8(void **state)
{
	static const struct {
		const char *text;
		const char *message;
		unsigned line, col;
	} cases[] = {
		{ "a: 1\nb: caf\xc3(\n", "invalid UTF-8 (byte 0xc3); save the "
		  "file as UTF-8", 2, 7 },
		/* columns count characters, not bytes */
		{ "\xc3\xa9\xe2\x82\xac: \xff\n", "invalid UTF-8 (byte 0xff); "
		  "save the file as UTF-8", 1, 5 },
		/* overlong, surrogate, past U+10FFFF, cut short */
		{ "a: \xc0\x80\n", "invalid UTF-8 (byte 0xc0); save the file "
		  "as UTF-8", 1, 4 },
		{ "a: \xed\xa0\x80\n", "invalid UTF-8 (byte 0xed); save the "
		  "file as UTF-8", 1, 4 },
		{ "a: \xf5\x80\x80\x80\n", "invalid UTF-8 (byte 0xf5); save "
		  "the file as UTF-8", 1, 4 },
		{ "a: b\n\n  c: \xe2\x82", "invalid UTF-8 (byte 0xe2); save "
		  "the file as UTF-8", 3, 6 },
		{ "a: \x80\n", "invalid UTF-8 (byte 0x80); save the file as "
		  "UTF-8", 1, 4 },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load(f, cases[i].text), -1);
		if (f->diags.nr != 1 ||
		    strcmp(f->diags.items[0].message, cases[i].message) ||
		    f->diags.items[0].mark.line != cases[i].line ||
		    f->diags.items[0].mark.col != cases[i].col)
			fail_msg("case %zu: %u:%u %s", i,
				 f->diags.items[0].mark.line,
				 f->diags.items[0].mark.col,
				 f->diags.items[0].message);
		assert_null(f->root);
	}
	/* valid multi-byte text, a four-byte character included */
	assert_int_equal(load(f, "a: caf\xc3\xa9 \xf0\x9f\x98\x80\n"), 0);
	assert_string_equal(json_string_value(get(f, "a")),
			    "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

/*
 * YAML 1.2 reads U+2028, U+2029 and U+0085 as ordinary characters; a
 * loader may refuse them, but every diagnostic must stay at its place:
 * the one for "b" on line 2, anything about the odd character on line 1.
 */
static void test_load_unicode_line_separators_keep_positions(void **state)
{
	static const char *const texts[] = {
		"a: \"x\xe2\x80\xa8y\"\nb: *nope\n",
		"# note\xe2\x80\xa9 more\nb: *nope\n",
		"a: x\xc2\x85y\nb: *nope\n",
	};
	struct fixture *f = *state;
	size_t i, j;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		load(f, texts[i]);
		if (!f->diags.nr)
			fail_msg("case %zu: no diagnostic", i);
		for (j = 0; j < f->diags.nr; j++) {
			const struct diag *d = &f->diags.items[j];
			int alias = !strcmp(d->message,
					    "unknown alias '*nope'");

			if (alias ? d->mark.line != 2 || d->mark.col != 4 :
			    d->mark.line != 1)
				fail_msg("case %zu: '%s' at %u:%u", i,
					 d->message, d->mark.line,
					 d->mark.col);
		}
	}
}

static void test_load_nul_byte(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_len(f, "a: 1\nb: x\0y\n", 12), -1);
	assert_one_error(f, "NUL byte in the file", 2, 5);
	assert_null(f->root);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_load_billion_laughs_is_refused(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	struct timespec t0;
	char c;
	int ret;

	buf_addstr(&text, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (c = 'b'; c <= 'j'; c++)
		buf_addf(&text, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, "
			 "*%c, *%c, *%c]\n", c, c, c - 1, c - 1, c - 1, c - 1,
			 c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = load(f, text.s);
	buf_release(&text);
	assert_int_equal(ret, -1);
	/* 10^10 nodes if it went on; refused long before (valgrind: slow) */
	assert_true(seconds_since(&t0) < 5.0);
	assert_int_equal(f->diags.errors, 1);
	assert_int_equal(f->diags.nr, 1);
	assert_string_equal(f->diags.items[0].message,
			    "aliases expand to more than 100000 nodes; "
			    "refusing (a \"billion laughs\" document?)");
	/* at the eighth alias of line 5: 12330 + 8 * 11111 > 100000 */
	assert_int_equal(f->diags.items[0].mark.line, 5);
	assert_int_equal(f->diags.items[0].mark.col, 36);
	assert_null(f->root);
}

static void test_load_long_string_aliased_is_refused(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	int i, ret;

	/* 1 MiB of text, aliased 5000 times: 5 GB if expanded */
	buf_addstr(&text, "big: &s \"");
	buf_addchars(&text, 'x', 1u << 20);
	buf_addstr(&text, "\"\nlist:\n");
	for (i = 0; i < 5000; i++)
		buf_addstr(&text, "  - *s\n");
	ret = load(f, text.s);
	buf_release(&text);
	assert_int_equal(ret, -1);
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.items[0].message,
			    "aliases expand to more than 16 MiB of text; "
			    "refusing");
	/* at the 17th alias: 16 copies fit in 16 MiB, not 17 */
	assert_int_equal(f->diags.items[0].mark.line, 3 + 16);
	assert_int_equal(f->diags.items[0].mark.col, 5);
	assert_null(f->root);
}

static void test_load_aliased_text_up_to_the_limit_is_fine(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	int i;

	buf_addstr(&text, "big: &s \"");
	buf_addchars(&text, 'x', 1u << 20);
	buf_addstr(&text, "\"\nlist:\n");
	for (i = 0; i < 16; i++)
		buf_addstr(&text, "  - *s\n");
	assert_int_equal(load(f, text.s), 0);
	assert_int_equal(json_array_size(get(f, "list")), 16);
	buf_release(&text);
}

static void test_load_many_small_aliases_are_fine(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	int i;

	buf_addstr(&text, "base: &b {role: Viewer}\nusers:\n");
	for (i = 0; i < 1000; i++)
		buf_addstr(&text, "  - *b\n");
	assert_int_equal(load(f, text.s), 0);
	assert_int_equal(json_array_size(get(f, "users")), 1000);
	buf_release(&text);
}

static void test_load_deep_nesting_is_refused(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;

	/* exactly the limit is fine */
	buf_addchars(&text, '[', LOAD_MAX_DEPTH);
	buf_addchars(&text, ']', LOAD_MAX_DEPTH);
	assert_int_equal(load(f, text.s), 0);
	assert_true(json_is_array(f->root));
	buf_reset(&text);
	buf_addchars(&text, '[', LOAD_MAX_DEPTH + 1);
	buf_addchars(&text, ']', LOAD_MAX_DEPTH + 1);
	assert_int_equal(load(f, text.s), -1);
	assert_one_error(f, "nesting deeper than 256 levels", 1,
			 LOAD_MAX_DEPTH + 1);
	assert_null(f->root);
	/* far deeper stops as early */
	buf_reset(&text);
	buf_addchars(&text, '{', 5000);
	assert_int_equal(load(f, text.s), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.items[0].message,
			    "nesting deeper than 256 levels");
	buf_release(&text);
}

static void test_load_tags(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: !!str 123\nb: !!int \"7\"\nc: ! 12\n"
			 "d: !!null ''\ne: !!float 1.5\nf: !!bool false\n"
			 "g: !!seq [1]\nh: !!map {k: v}\ni: !!str true\n"), 0);
	assert_string_equal(json_string_value(get(f, "a")), "123");
	assert_int_equal(json_integer_value(get(f, "b")), 7);
	assert_string_equal(json_string_value(get(f, "c")), "12");
	assert_true(json_is_null(get(f, "d")));
	assert_true(json_real_value(get(f, "e")) == 1.5);
	assert_true(json_is_false(get(f, "f")));
	assert_int_equal(json_array_size(get(f, "g")), 1);
	assert_string_equal(json_string_value(json_object_get(get(f, "h"),
							      "k")), "v");
	assert_string_equal(json_string_value(get(f, "i")), "true");
}

static void test_load_unsupported_and_misfit_tags(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: 1\nb: !foo x\n"), -1);
	assert_one_error(f, "unsupported tag '!foo'", 2, 4);
	/* the plain text is handed on */
	assert_string_equal(json_string_value(get(f, "b")), "x");
	assert_int_equal(load(f, "a: !foo {k: v}\n"), -1);
	assert_one_error(f, "unsupported tag '!foo'", 1, 4);
	assert_int_equal(load(f, "a: !!int abc\n"), -1);
	assert_one_error(f, "value does not fit its tag", 1, 4);
	assert_int_equal(load(f, "a: !!bool yes\n"), -1);
	assert_one_error(f, "value does not fit its tag", 1, 4);
	assert_int_equal(load(f, "a: !!set {x}\n"), -1);
	assert_one_error(f, "unsupported tag 'tag:yaml.org,2002:set'", 1, 4);
}

static void test_load_empty_and_scalar_documents(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, ""), 0);
	assert_non_null(f->root);
	assert_true(json_is_null(f->root));
	assert_int_equal(f->diags.nr, 0);
	assert_int_equal(load(f, "# only a comment\n\n"), 0);
	assert_true(json_is_null(f->root));
	assert_int_equal(load(f, "---\n"), 0);
	assert_true(json_is_null(f->root));
	assert_int_equal(load(f, "hello\n"), 0);
	assert_string_equal(json_string_value(f->root), "hello");
	assert_int_equal(load(f, "- 1\n- two\n"), 0);
	assert_int_equal(json_array_size(f->root), 2);
	/* a byte-order mark is allowed */
	assert_int_equal(load(f, "\xef\xbb\xbf" "a: 1\n"), 0);
	assert_int_equal(json_integer_value(get(f, "a")), 1);
}

static void test_load_syntax_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line, col;
	} cases[] = {
		{ "a: b\n c: d\n", 2, 3 },
		{ "a: [x\n", 2, 1 },
		{ "a: 1\nb: 2\nc: \"open\n", 4, 1 },
		{ "a:\n  - 1\n - 2\n", 3, 2 },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load(f, cases[i].text), -1);
		assert_null(f->root);
		assert_int_equal(f->diags.errors, 1);
		if (strncmp(f->diags.items[0].message, "invalid YAML: ", 14) ||
		    f->diags.items[0].mark.line != cases[i].line ||
		    f->diags.items[0].mark.col != cases[i].col)
			fail_msg("case %zu: %u:%u %s", i,
				 f->diags.items[0].mark.line,
				 f->diags.items[0].mark.col,
				 f->diags.items[0].message);
	}
}

static void test_load_syntax_error_hints_at_flow_references(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "a: 1\nname: {x: ${client}-soc}\n"), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_int_equal(f->diags.items[0].mark.line, 2);
	assert_non_null(strstr(f->diags.items[0].message,
			       "; inside { } or [ ] quote values that hold "
			       "${...}, e.g. \"${client}-soc\""));
	/* a syntax error that has nothing to do with it: no hint */
	assert_int_equal(load(f, "a: [x\n"), -1);
	assert_null(strstr(f->diags.items[0].message, "quote values"));
}

static void test_load_refuses_oversized_input(void **state)
{
	struct fixture *f = *state;
	size_t len = LOAD_MAX_BYTES + 1;
	char *big = test_malloc(len);

	memset(big, '#', len);
	assert_int_equal(load_len(f, big, len), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.items[0].message,
			    "file is larger than 16 MiB");
	assert_int_equal(f->diags.items[0].mark.line, 0);
	assert_null(f->root);
	test_free(big);
}

static void test_load_file(void **state)
{
	static const char text[] = "version: 1\nname: x\n";
	struct fixture *f = *state;
	struct testdir d;
	const char *path;
	const struct mark *m;

	testdir_make(&d, "torq-load");
	testdir_put(&d, "m.yaml", text, sizeof(text) - 1, 0644);
	path = testdir_at(&d, "m.yaml");
	assert_int_equal(load_file(&f->doc, path, &f->root, &f->diags), 0);
	assert_string_equal(json_string_value(get(f, "name")), "x");
	m = doc_mark(&f->doc, get(f, "name"), NULL);
	assert_mark(m, 2, 7);
	assert_string_equal(m->file, path);
	/* the text is kept for diagnostics */
	assert_non_null(doc_source_line(&f->doc, path, 2, &(size_t){ 0 }));
	json_decref(f->root);
	f->root = NULL;
	/* a directory */
	assert_int_equal(load_file(&f->doc, d.path, &f->root, &f->diags), -1);
	assert_null(f->root);
	assert_string_equal(f->diags.items[0].message,
			    "cannot read file: Is a directory");
	testdir_remove(&d);
}

static void test_load_file_reports_missing_file(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_file(&f->doc, "/nonexistent/m.yaml", &f->root,
				   &f->diags), -1);
	assert_null(f->root);
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.items[0].message,
			    "cannot read file: No such file or directory");
	assert_string_equal(f->diags.items[0].mark.file,
			    "/nonexistent/m.yaml");
	assert_int_equal(f->diags.items[0].mark.line, 0);
}

static void test_load_yaml_version(void **state)
{
	const char *v = load_yaml_version();

	(void)state;
	assert_non_null(v);
	assert_non_null(strchr(v, '.'));
}

/* Every test gets a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_load_booleans_and_nulls),
		T(test_load_integers),
		T(test_load_not_quite_integers_are_strings),
		T(test_load_floats),
		T(test_load_not_quite_floats_are_strings),
		T(test_load_quoted_scalars_stay_strings),
		T(test_load_infinity_and_nan_are_errors),
		T(test_load_plain_scalar_directly),
		T(test_load_marks_values_and_keys),
		T(test_load_marks_in_sequences_and_flow),
		T(test_load_marks_of_shared_values_are_per_slot),
		T(test_load_crlf_line_ends),
		T(test_load_alias_is_an_independent_copy),
		T(test_load_alias_of_scalars_and_redefinition),
		T(test_load_unknown_alias),
		T(test_load_duplicate_key_has_note_at_first),
		T(test_load_duplicate_keys_nested_and_typed),
		T(test_load_keys_of_other_types),
		T(test_load_multiple_documents),
		T(test_load_invalid_utf8),
		T(test_load_unicode_line_separators_keep_positions),
		T(test_load_nul_byte),
		T(test_load_billion_laughs_is_refused),
		T(test_load_long_string_aliased_is_refused),
		T(test_load_aliased_text_up_to_the_limit_is_fine),
		T(test_load_many_small_aliases_are_fine),
		T(test_load_deep_nesting_is_refused),
		T(test_load_tags),
		T(test_load_unsupported_and_misfit_tags),
		T(test_load_empty_and_scalar_documents),
		T(test_load_syntax_errors),
		T(test_load_syntax_error_hints_at_flow_references),
		T(test_load_refuses_oversized_input),
		T(test_load_file),
		T(test_load_file_reports_missing_file),
		T(test_load_yaml_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
