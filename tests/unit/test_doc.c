/* struct doc: marks beside the tree, sources, secrets kept out of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/doc.h"
#include "torq/banned.h"

struct fixture {
	struct doc doc;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	doc_init(&f->doc);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	doc_release(&f->doc);
	test_free(f);
	return 0;
}

static struct mark at(unsigned line, unsigned col, int plain)
{
	struct mark m;

	m.file = "f.yaml";
	m.line = line;
	m.col = col;
	m.plain = (unsigned char)plain;
	return m;
}

static void assert_mark(const struct mark *m, unsigned line, unsigned col)
{
	assert_non_null(m);
	if (m->line != line || m->col != col)
		fail_msg("mark %u:%u, expected %u:%u", m->line, m->col, line,
			 col);
}

static void test_doc_marks_of_nodes_and_keys(void **state)
{
	struct fixture *f = *state;
	json_t *obj = json_object(), *v = json_string("x");
	struct mark m;

	json_object_set_new(obj, "k", v);
	assert_null(doc_mark(&f->doc, obj, NULL));
	assert_null(doc_mark(&f->doc, obj, "k"));
	m = at(1, 1, 0);
	doc_set_mark(&f->doc, obj, NULL, &m);
	m = at(2, 3, 1);
	doc_set_mark(&f->doc, obj, "k", &m);
	m = at(2, 6, 1);
	doc_set_mark(&f->doc, v, NULL, &m);
	assert_mark(doc_mark(&f->doc, obj, NULL), 1, 1);
	assert_mark(doc_mark(&f->doc, obj, "k"), 2, 3);
	assert_mark(doc_mark(&f->doc, v, NULL), 2, 6);
	assert_int_equal(doc_mark(&f->doc, v, NULL)->plain, 1);
	assert_string_equal(doc_mark(&f->doc, v, NULL)->file, "f.yaml");
	/* setting again replaces */
	m = at(9, 9, 0);
	doc_set_mark(&f->doc, obj, "k", &m);
	assert_mark(doc_mark(&f->doc, obj, "k"), 9, 9);
	assert_mark(doc_mark(&f->doc, obj, NULL), 1, 1);
	/* unknown keys and NULL arguments */
	assert_null(doc_mark(&f->doc, obj, "nokey"));
	assert_null(doc_mark(NULL, obj, NULL));
	assert_null(doc_mark(&f->doc, NULL, NULL));
	doc_set_mark(&f->doc, NULL, NULL, &m);
	doc_set_mark(&f->doc, obj, NULL, NULL);
	assert_mark(doc_mark(&f->doc, obj, NULL), 1, 1);
	json_decref(obj);
}

static void test_doc_key_mark_falls_back_to_value(void **state)
{
	struct fixture *f = *state;
	json_t *obj = json_object(), *v = json_integer(3);
	struct mark m = at(4, 8, 1);

	json_object_set_new(obj, "n", v);
	json_object_set_new(obj, "t", json_true());
	doc_set_mark(&f->doc, v, NULL, &m);
	/* no mark for key "n" itself: the value's */
	assert_mark(doc_mark(&f->doc, obj, "n"), 4, 8);
	/* a shared value: its slot's */
	assert_null(doc_mark(&f->doc, obj, "t"));
	m = at(5, 4, 1);
	doc_set_value_mark(&f->doc, obj, "t", 0, &m);
	assert_mark(doc_mark(&f->doc, obj, "t"), 5, 4);
	json_decref(obj);
}

static void test_doc_shared_nodes_are_marked_per_slot(void **state)
{
	struct fixture *f = *state;
	json_t *obj = json_object(), *arr = json_array(), *s = json_string("s");
	struct mark m;

	assert_true(doc_shared_node(json_true()));
	assert_true(doc_shared_node(json_false()));
	assert_true(doc_shared_node(json_null()));
	assert_false(doc_shared_node(s));
	assert_false(doc_shared_node(obj));

	json_object_set_new(obj, "a", json_null());
	json_object_set_new(obj, "b", json_false());
	json_array_append_new(arr, json_true());
	json_array_append_new(arr, json_true());
	json_array_append(arr, s);
	/* the node's own mark is refused for a shared node */
	m = at(1, 1, 1);
	doc_set_mark(&f->doc, json_true(), NULL, &m);
	assert_null(doc_mark(&f->doc, json_true(), NULL));

	m = at(2, 4, 1);
	doc_set_value_mark(&f->doc, obj, "a", 0, &m);
	m = at(3, 4, 1);
	doc_set_value_mark(&f->doc, obj, "b", 0, &m);
	m = at(5, 3, 1);
	doc_set_value_mark(&f->doc, arr, NULL, 0, &m);
	m = at(6, 3, 1);
	doc_set_value_mark(&f->doc, arr, NULL, 1, &m);
	m = at(7, 3, 0);
	doc_set_mark(&f->doc, s, NULL, &m);
	assert_mark(doc_value_mark(&f->doc, obj, "a", 0), 2, 4);
	assert_mark(doc_value_mark(&f->doc, obj, "b", 0), 3, 4);
	assert_mark(doc_value_mark(&f->doc, arr, NULL, 0), 5, 3);
	assert_mark(doc_value_mark(&f->doc, arr, NULL, 1), 6, 3);
	/* a value that is not shared answers with its own mark */
	assert_mark(doc_value_mark(&f->doc, arr, NULL, 2), 7, 3);
	/* no such slot */
	assert_null(doc_value_mark(&f->doc, arr, NULL, 3));
	assert_null(doc_value_mark(&f->doc, obj, "c", 0));
	json_decref(s);
	json_decref(obj);
	json_decref(arr);
}

static void test_doc_sources_and_lines(void **state)
{
	struct fixture *f = *state;
	const char *text = "first\r\nsecond\n\nlast";
	char *name = malloc(8);
	const char *kept, *line;
	size_t len = 99;

	memcpy(name, "m.yaml", 7);
	kept = doc_add_source(&f->doc, name, text, strlen(text));
	/* the doc keeps its own copy of the name */
	assert_ptr_not_equal(kept, name);
	free(name);
	assert_string_equal(kept, "m.yaml");
	/* a second add of the same name returns the same copy */
	assert_ptr_equal(doc_add_source(&f->doc, "m.yaml", "x", 1), kept);

	line = doc_source_line(&f->doc, "m.yaml", 1, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(line, "first", 5);
	line = doc_source_line(&f->doc, "m.yaml", 2, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(line, "second", 6);
	line = doc_source_line(&f->doc, "m.yaml", 3, &len);
	assert_non_null(line);
	assert_int_equal(len, 0);
	line = doc_source_line(&f->doc, "m.yaml", 4, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(line, "last", 4);
	assert_null(doc_source_line(&f->doc, "m.yaml", 5, &len));
	assert_null(doc_source_line(&f->doc, "m.yaml", 0, &len));
	assert_null(doc_source_line(&f->doc, "other.yaml", 1, &len));
}

static void test_doc_several_sources(void **state)
{
	struct fixture *f = *state;
	size_t len;
	const char *a, *b;
	int i;
	char name[32];

	a = doc_add_source(&f->doc, "a.yaml", "a1\na2\n", 6);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "t%d.yaml", i);
		doc_add_source(&f->doc, name, name, strlen(name));
	}
	b = doc_add_source(&f->doc, "b.yaml", "b1\n", 3);
	/* names handed out earlier stay valid as the table grows */
	assert_string_equal(a, "a.yaml");
	assert_string_equal(b, "b.yaml");
	assert_memory_equal(doc_source_line(&f->doc, "a.yaml", 2, &len),
			    "a2", 2);
	assert_int_equal(len, 2);
	assert_memory_equal(doc_source_line(&f->doc, "t17.yaml", 1, &len),
			    "t17.yaml", 8);
	assert_int_equal(len, 8);
}

static void test_doc_deep_copy_copies_marks(void **state)
{
	struct fixture *f = *state;
	json_t *root, *list, *inner, *copy, *clist, *cinner;
	struct mark m;

	root = json_pack("{s:[s,b,n], s:{s:i}}", "list", "x", 1, "inner",
			 "n", 5);
	list = json_object_get(root, "list");
	inner = json_object_get(root, "inner");
	m = at(1, 1, 0);
	doc_set_mark(&f->doc, root, NULL, &m);
	m = at(1, 1, 1);
	doc_set_mark(&f->doc, root, "list", &m);
	m = at(1, 7, 0);
	doc_set_mark(&f->doc, list, NULL, &m);
	m = at(1, 8, 1);
	doc_set_mark(&f->doc, json_array_get(list, 0), NULL, &m);
	m = at(1, 11, 1);
	doc_set_value_mark(&f->doc, list, NULL, 1, &m);
	m = at(1, 17, 1);
	doc_set_value_mark(&f->doc, list, NULL, 2, &m);
	m = at(2, 1, 1);
	doc_set_mark(&f->doc, root, "inner", &m);
	m = at(3, 3, 1);
	doc_set_mark(&f->doc, inner, "n", &m);
	m = at(3, 6, 1);
	doc_set_mark(&f->doc, json_object_get(inner, "n"), NULL, &m);

	copy = doc_deep_copy(&f->doc, root);
	assert_true(json_equal(copy, root));
	assert_ptr_not_equal(copy, root);
	clist = json_object_get(copy, "list");
	cinner = json_object_get(copy, "inner");
	assert_ptr_not_equal(clist, list);
	assert_ptr_not_equal(cinner, inner);
	assert_mark(doc_mark(&f->doc, copy, NULL), 1, 1);
	assert_mark(doc_mark(&f->doc, copy, "list"), 1, 1);
	assert_mark(doc_mark(&f->doc, clist, NULL), 1, 7);
	assert_mark(doc_mark(&f->doc, json_array_get(clist, 0), NULL), 1, 8);
	assert_mark(doc_value_mark(&f->doc, clist, NULL, 1), 1, 11);
	assert_mark(doc_value_mark(&f->doc, clist, NULL, 2), 1, 17);
	assert_mark(doc_mark(&f->doc, copy, "inner"), 2, 1);
	assert_mark(doc_mark(&f->doc, cinner, "n"), 3, 3);
	assert_mark(doc_value_mark(&f->doc, cinner, "n", 0), 3, 6);
	/* the copy is independent */
	json_object_set_new(cinner, "n", json_integer(6));
	assert_int_equal(json_integer_value(json_object_get(inner, "n")), 5);
	json_decref(copy);
	json_decref(root);
}

static void test_doc_copy_marks_onto_another_node(void **state)
{
	struct fixture *f = *state;
	json_t *a = json_pack("{s:b}", "t", 1), *b = json_pack("{s:b}", "t", 1);
	struct mark m = at(3, 1, 0);

	doc_set_mark(&f->doc, a, NULL, &m);
	m = at(3, 2, 1);
	doc_set_mark(&f->doc, a, "t", &m);
	m = at(3, 5, 1);
	doc_set_value_mark(&f->doc, a, "t", 0, &m);
	doc_copy_marks(&f->doc, a, b);
	assert_mark(doc_mark(&f->doc, b, NULL), 3, 1);
	assert_mark(doc_mark(&f->doc, b, "t"), 3, 2);
	assert_mark(doc_value_mark(&f->doc, b, "t", 0), 3, 5);
	json_decref(a);
	json_decref(b);
}

static void test_doc_secrets_stay_out_of_the_tree(void **state)
{
	struct fixture *f = *state;
	json_t *root, *s, *copy;
	const char *v;
	char *dump;
	size_t len = 0;

	root = json_pack("{s:s, s:s, s:i}", "token", "${secret:env:TOK}",
			 "name", "acme", "n", 1);
	s = json_object_get(root, "token");
	doc_set_secret(&f->doc, s, "hunter2", 7);
	assert_true(doc_is_secret(&f->doc, s));
	assert_false(doc_is_secret(&f->doc, json_object_get(root, "name")));
	v = doc_secret_value(&f->doc, s, &len);
	assert_string_equal(v, "hunter2");
	assert_int_equal(len, 7);
	assert_null(doc_secret_value(&f->doc, json_object_get(root, "name"),
				     &len));
	/* printing the tree cannot show the value */
	dump = json_dumps(root, JSON_SORT_KEYS);
	assert_null(strstr(dump, "hunter2"));
	assert_non_null(strstr(dump, "${secret:env:TOK}"));
	free(dump);
	/* what to show */
	assert_string_equal(doc_display(&f->doc, s), SENSITIVE);
	assert_string_equal(doc_display(&f->doc, s), "(sensitive)");
	assert_string_equal(doc_display(&f->doc,
					json_object_get(root, "name")),
			    "acme");
	assert_null(doc_display(&f->doc, json_object_get(root, "n")));

	/* a copy is a secret too, with the same value */
	copy = doc_deep_copy(&f->doc, root);
	s = json_object_get(copy, "token");
	assert_true(doc_is_secret(&f->doc, s));
	assert_string_equal(doc_secret_value(&f->doc, s, NULL), "hunter2");
	assert_string_equal(json_string_value(s), "${secret:env:TOK}");
	json_decref(copy);
	json_decref(root);
}

static void test_doc_secret_values_hold_any_bytes(void **state)
{
	struct fixture *f = *state;
	json_t *s = json_string("${secret:file:k}");
	const char *v;
	size_t len = 0;

	doc_set_secret(&f->doc, s, "a\0b\nc", 5);
	v = doc_secret_value(&f->doc, s, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(v, "a\0b\nc", 5);
	assert_int_equal(v[5], '\0');
	/* setting again replaces the value */
	doc_set_secret(&f->doc, s, "new", 3);
	v = doc_secret_value(&f->doc, s, &len);
	assert_int_equal(len, 3);
	assert_string_equal(v, "new");
	doc_set_secret(&f->doc, s, "", 0);
	assert_string_equal(doc_secret_value(&f->doc, s, &len), "");
	assert_int_equal(len, 0);
	json_decref(s);
}

static void test_doc_release_frees_everything(void **state)
{
	struct fixture *f = *state;
	struct doc d;
	json_t *s = json_string("${secret:env:X}");
	struct mark m = at(1, 1, 0);

	(void)f;
	doc_init(&d);
	d.root = json_pack("{s:o}", "k", s);
	doc_add_source(&d, "m.yaml", "k: x\n", 5);
	doc_set_mark(&d, d.root, NULL, &m);
	doc_set_mark(&d, d.root, "k", &m);
	doc_set_mark(&d, s, NULL, &m);
	doc_set_secret(&d, s, "value", 5);
	/* the doc holds its own references: the tree is freed with it */
	doc_release(&d);
	assert_null(d.root);
	assert_int_equal(d.marks_nr, 0);
	assert_int_equal(d.secrets_nr, 0);
	assert_int_equal(d.sources_nr, 0);
	/* a released doc is empty and can be released again or reused */
	doc_release(&d);
	doc_release(NULL);
	doc_add_source(&d, "again.yaml", "", 0);
	doc_release(&d);
}

static void test_doc_keys_are_found_by_their_text(void **state)
{
	struct fixture *f = *state;
	json_t *a = json_object(), *b = json_object();
	struct mark m = at(3, 4, 0);
	char key[8];
	size_t nr;

	/* the key is looked up from another copy of its text */
	snprintf(key, sizeof(key), "%s", "email");
	doc_set_mark(&f->doc, a, key, &m);
	snprintf(key, sizeof(key), "%s", "role");
	assert_mark(doc_mark(&f->doc, a, "email"), 3, 4);
	assert_null(doc_mark(&f->doc, a, key));
	/* one key, two nodes: two marks */
	m = at(7, 1, 0);
	doc_set_mark(&f->doc, b, "email", &m);
	assert_mark(doc_mark(&f->doc, a, "email"), 3, 4);
	assert_mark(doc_mark(&f->doc, b, "email"), 7, 1);
	/* setting a mark again replaces it, adds none */
	nr = f->doc.marks_nr;
	m = at(8, 2, 0);
	doc_set_mark(&f->doc, b, "email", &m);
	assert_int_equal(f->doc.marks_nr, nr);
	assert_mark(doc_mark(&f->doc, b, "email"), 8, 2);
	json_decref(a);
	json_decref(b);
}

static void test_doc_many_marks(void **state)
{
	struct fixture *f = *state;
	json_t *arr = json_array(), *obj = json_object();
	struct mark m = at(0, 1, 0);
	char key[32];
	size_t i;

	for (i = 0; i < 10000; i++) {
		json_t *n = json_integer((json_int_t)i);

		json_array_append_new(arr, n);
		m.line = (unsigned)i + 1;
		m.col = (unsigned)(i % 80) + 1;
		doc_set_mark(&f->doc, n, NULL, &m);
		snprintf(key, sizeof(key), "k%zu", i);
		json_object_set_new(obj, key, json_true());
		m.col = 2;
		doc_set_mark(&f->doc, obj, key, &m);
		m.col = 5;
		doc_set_value_mark(&f->doc, obj, key, 0, &m);
	}
	for (i = 0; i < 10000; i++) {
		const struct mark *got;

		got = doc_mark(&f->doc, json_array_get(arr, i), NULL);
		assert_non_null(got);
		if (got->line != i + 1 || got->col != i % 80 + 1)
			fail_msg("node %zu: %u:%u", i, got->line, got->col);
		snprintf(key, sizeof(key), "k%zu", i);
		got = doc_mark(&f->doc, obj, key);
		if (!got || got->line != i + 1 || got->col != 2)
			fail_msg("key %s lost its mark", key);
		got = doc_value_mark(&f->doc, obj, key, 0);
		if (!got || got->line != i + 1 || got->col != 5)
			fail_msg("slot %s lost its mark", key);
	}
	json_decref(arr);
	json_decref(obj);
}

/* A marked node is kept alive, so a new node never inherits its mark. */
static void test_doc_marked_addresses_are_not_reused(void **state)
{
	struct fixture *f = *state;
	struct mark m = at(1, 1, 0);
	size_t i;

	for (i = 0; i < 1000; i++) {
		json_t *old = json_string("old"), *fresh;

		doc_set_mark(&f->doc, old, NULL, &m);
		json_decref(old);
		fresh = json_string("new");
		if (doc_mark(&f->doc, fresh, NULL))
			fail_msg("a fresh node has a mark (round %zu)", i);
		json_decref(fresh);
	}
}

/* Every test gets a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_doc_marks_of_nodes_and_keys),
		T(test_doc_key_mark_falls_back_to_value),
		T(test_doc_shared_nodes_are_marked_per_slot),
		T(test_doc_sources_and_lines),
		T(test_doc_several_sources),
		T(test_doc_deep_copy_copies_marks),
		T(test_doc_copy_marks_onto_another_node),
		T(test_doc_secrets_stay_out_of_the_tree),
		T(test_doc_secret_values_hold_any_bytes),
		T(test_doc_release_frees_everything),
		T(test_doc_keys_are_found_by_their_text),
		T(test_doc_many_marks),
		T(test_doc_marked_addresses_are_not_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
