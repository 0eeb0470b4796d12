#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/diag.h"
#include "torq/doc.h"
#include "torq/banned.h"

static void test_diag_render_shows_line_and_caret(void **state)
{
	struct diag_list l;
	struct doc doc;
	struct buf out = BUF_INIT;
	const char *text = "version: 1\nusers:\n  - { email: bob }\n";
	struct mark m;

	(void)state;
	doc_init(&doc);
	diag_list_init(&l, 0);
	m.file = doc_add_source(&doc, "m.yaml", text, strlen(text));
	m.line = 3;
	m.col = 14;
	m.plain = 1;
	diag_add(&l, DIAG_ERROR, &m, "users[0].email", "'%s' is bad", "bob");
	diag_add(&l, DIAG_WARNING, NULL, NULL, "no place");
	diag_render(&l, &out, doc_source_line, &doc, 0);
	assert_string_equal(out.s,
		"m.yaml:3:14: error: 'bob' is bad (at users[0].email)\n"
		" 3 |   - { email: bob }\n"
		"   |              ^\n"
		"warning: no place\n");
	assert_int_equal(l.errors, 1);
	assert_int_equal(l.warnings, 1);
	buf_release(&out);
	diag_list_release(&l);
	doc_release(&doc);
}

static void test_diag_render_sanitizes_source(void **state)
{
	struct diag_list l;
	struct doc doc;
	struct buf out = BUF_INIT;
	const char *text = "a: caf\xe9\tx\n";
	struct mark m;

	(void)state;
	doc_init(&doc);
	diag_list_init(&l, 0);
	m.file = doc_add_source(&doc, "m.yaml", text, strlen(text));
	m.line = 1;
	m.col = 99;
	m.plain = 0;
	diag_add(&l, DIAG_ERROR, &m, NULL, "x");
	diag_render(&l, &out, doc_source_line, &doc, 0);
	/* the caret stops at the end of the line */
	assert_string_equal(out.s, "m.yaml:1:99: error: x\n"
			    " 1 | a: caf? x\n"
			    "   |          ^\n");
	buf_release(&out);
	diag_list_release(&l);
	doc_release(&doc);
}

static void test_diag_cap_drops_errors_and_their_notes(void **state)
{
	struct diag_list l, other;
	struct buf out = BUF_INIT;
	int i;

	(void)state;
	diag_list_init(&l, 2);
	for (i = 0; i < 4; i++) {
		diag_add(&l, DIAG_ERROR, NULL, NULL, "e%d", i);
		diag_add(&l, DIAG_NOTE, NULL, NULL, "n%d", i);
	}
	diag_add(&l, DIAG_WARNING, NULL, NULL, "w");
	assert_int_equal(l.errors, 4);
	assert_int_equal(l.dropped, 2);
	assert_int_equal(l.nr, 5);
	assert_string_equal(l.items[3].message, "n1");
	assert_string_equal(l.items[4].message, "w");
	diag_render(&l, &out, NULL, NULL, 0);
	assert_non_null(strstr(out.s, "torq-apply: 2 more errors not shown\n"));

	diag_list_init(&other, 0);
	diag_add(&other, DIAG_ERROR, NULL, NULL, "moved");
	diag_list_move(&l, &other);
	assert_int_equal(other.nr, 0);
	assert_int_equal(l.errors, 5);
	assert_int_equal(l.dropped, 3);
	buf_release(&out);
	diag_list_release(&l);
	diag_list_release(&other);
}

static void test_diag_paths(void **state)
{
	struct buf p = BUF_INIT;

	(void)state;
	path_push_key(&p, "users");
	path_push_index(&p, 3);
	path_push_key(&p, "email");
	assert_string_equal(p.s, "users[3].email");
	buf_reset(&p);
	path_push_key(&p, "parameters");
	path_push_key(&p, "a b");
	assert_string_equal(p.s, "parameters[\"a b\"]");
	buf_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diag_render_shows_line_and_caret),
		cmocka_unit_test(test_diag_render_sanitizes_source),
		cmocka_unit_test(test_diag_cap_drops_errors_and_their_notes),
		cmocka_unit_test(test_diag_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
