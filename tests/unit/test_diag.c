/* Diagnostics: collecting, capping, moving, rendering, key paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/diag.h"
#include "torq/doc.h"
#include "torq/banned.h"

struct fixture {
	struct diag_list l;
	struct doc doc;
	struct buf out;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	diag_list_init(&f->l, 0);
	doc_init(&f->doc);
	buf_init(&f->out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	diag_list_release(&f->l);
	doc_release(&f->doc);
	buf_release(&f->out);
	test_free(f);
	return 0;
}

static struct mark at(const char *file, unsigned line, unsigned col)
{
	struct mark m;

	m.file = file;
	m.line = line;
	m.col = col;
	m.plain = 0;
	return m;
}

static void test_diag_add_records_everything(void **state)
{
	struct fixture *f = *state;
	char file[] = "m.yaml";
	struct mark m = at(file, 3, 7);

	diag_add(&f->l, DIAG_ERROR, &m, "users[0].email", "'%s' is %d",
		 "x", 42);
	diag_add(&f->l, DIAG_WARNING, NULL, "", "w");
	diag_add(&f->l, DIAG_NOTE, NULL, NULL, "n");
	/* the diagnostic owns its copy of the file name */
	file[0] = 'X';
	assert_int_equal(f->l.nr, 3);
	assert_int_equal(f->l.errors, 1);
	assert_int_equal(f->l.warnings, 1);
	assert_int_equal(f->l.dropped, 0);
	assert_int_equal(f->l.items[0].severity, DIAG_ERROR);
	assert_string_equal(f->l.items[0].mark.file, "m.yaml");
	assert_int_equal(f->l.items[0].mark.line, 3);
	assert_int_equal(f->l.items[0].mark.col, 7);
	assert_string_equal(f->l.items[0].path, "users[0].email");
	assert_string_equal(f->l.items[0].message, "'x' is 42");
	/* no mark: no position; an empty path is the root: none */
	assert_null(f->l.items[1].mark.file);
	assert_int_equal(f->l.items[1].mark.line, 0);
	assert_null(f->l.items[1].path);
	assert_null(f->l.items[2].path);
	assert_int_equal(f->l.items[2].severity, DIAG_NOTE);
}

static void test_diag_release_keeps_the_cap(void **state)
{
	struct fixture *f = *state;
	struct diag_list l;

	(void)f;
	diag_list_init(&l, 7);
	diag_add(&l, DIAG_ERROR, NULL, NULL, "e");
	diag_list_release(&l);
	assert_int_equal(l.nr, 0);
	assert_int_equal(l.errors, 0);
	assert_int_equal(l.max_errors, 7);
	diag_list_release(&l);
	diag_list_release(NULL);
}

static void test_diag_cap_drops_errors_and_their_notes(void **state)
{
	struct fixture *f = *state;
	struct diag_list l;
	int i;

	(void)f;
	diag_list_init(&l, 2);
	for (i = 0; i < 4; i++) {
		diag_add(&l, DIAG_ERROR, NULL, NULL, "e%d", i);
		diag_add(&l, DIAG_NOTE, NULL, NULL, "n%d", i);
	}
	assert_int_equal(l.errors, 4);
	assert_int_equal(l.dropped, 2);
	assert_int_equal(l.nr, 4);
	assert_string_equal(l.items[0].message, "e0");
	assert_string_equal(l.items[1].message, "n0");
	assert_string_equal(l.items[2].message, "e1");
	assert_string_equal(l.items[3].message, "n1");
	/* warnings have a cap of their own, and their notes are kept */
	for (i = 0; i < 2; i++)
		diag_add(&l, DIAG_WARNING, NULL, NULL, "w%d", i);
	diag_add(&l, DIAG_NOTE, NULL, NULL, "wn");
	assert_int_equal(l.warnings, 2);
	assert_int_equal(l.nr, 7);
	assert_string_equal(l.items[5].message, "w1");
	assert_string_equal(l.items[6].message, "wn");
	diag_add(&l, DIAG_WARNING, NULL, NULL, "w2");
	diag_add(&l, DIAG_NOTE, NULL, NULL, "wn2");
	assert_int_equal(l.warnings, 3);
	assert_int_equal(l.dropped_warnings, 1);
	assert_int_equal(l.nr, 7);
	/* another error past the cap: dropped with its note again */
	diag_add(&l, DIAG_ERROR, NULL, NULL, "e9");
	diag_add(&l, DIAG_NOTE, NULL, NULL, "n9");
	assert_int_equal(l.nr, 7);
	assert_int_equal(l.errors, 5);
	assert_int_equal(l.dropped, 3);
	diag_list_release(&l);
}

static void test_diag_no_cap_when_zero(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 200; i++)
		diag_add(&f->l, DIAG_ERROR, NULL, NULL, "e%d", i);
	assert_int_equal(f->l.nr, 200);
	assert_int_equal(f->l.errors, 200);
	assert_int_equal(f->l.dropped, 0);
	assert_string_equal(f->l.items[199].message, "e199");
}

static void test_diag_render_exact_format(void **state)
{
	struct fixture *f = *state;
	const char *text = "version: 1\nusers:\n  - { email: bob }\n";
	struct mark m;

	m = at(doc_add_source(&f->doc, "m.yaml", text, strlen(text)), 3, 14);
	diag_add(&f->l, DIAG_ERROR, &m, "users[0].email", "'%s' is bad",
		 "bob");
	m.line = 1;
	m.col = 10;
	diag_add(&f->l, DIAG_NOTE, &m, NULL, "see here");
	diag_add(&f->l, DIAG_WARNING, NULL, NULL, "no place");
	diag_render(&f->l, &f->out, doc_source_line, &f->doc, 0);
	assert_string_equal(f->out.s,
		"m.yaml:3:14: error: 'bob' is bad (at users[0].email)\n"
		" 3 |   - { email: bob }\n"
		"   |              ^\n"
		"m.yaml:1:10: note: see here\n"
		" 1 | version: 1\n"
		"   |          ^\n"
		"warning: no place\n");
}

static void test_diag_render_line_number_width(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	struct mark m;
	int i;

	for (i = 1; i <= 120; i++)
		buf_addf(&text, "k%d: v\n", i);
	m = at(doc_add_source(&f->doc, "big.yaml", text.s, text.len), 105, 1);
	diag_add(&f->l, DIAG_ERROR, &m, "k105", "bad");
	diag_render(&f->l, &f->out, doc_source_line, &f->doc, 0);
	assert_string_equal(f->out.s,
		"big.yaml:105:1: error: bad (at k105)\n"
		" 105 | k105: v\n"
		"     | ^\n");
	buf_release(&text);
}

static void test_diag_render_without_source(void **state)
{
	struct fixture *f = *state;
	const char *text = "a: 1\n";
	struct mark m;

	m = at(doc_add_source(&f->doc, "m.yaml", text, strlen(text)), 1, 4);
	diag_add(&f->l, DIAG_ERROR, &m, "a", "bad");
	/* no look-up given: the position only */
	diag_render(&f->l, &f->out, NULL, NULL, 0);
	assert_string_equal(f->out.s, "m.yaml:1:4: error: bad (at a)\n");
	/* a line past the end of the file, or an unknown file */
	diag_list_release(&f->l);
	buf_reset(&f->out);
	m.line = 9;
	diag_add(&f->l, DIAG_ERROR, &m, NULL, "past");
	m = at("other.yaml", 1, 1);
	diag_add(&f->l, DIAG_ERROR, &m, NULL, "elsewhere");
	diag_render(&f->l, &f->out, doc_source_line, &f->doc, 0);
	assert_string_equal(f->out.s, "m.yaml:9:4: error: past\n"
			    "other.yaml:1:1: error: elsewhere\n");
}

static void test_diag_render_whole_file_has_no_position(void **state)
{
	struct fixture *f = *state;
	const char *text = "a: 1\n";
	struct mark m;

	/* line 0 means the whole file: no line:col and no source line */
	m = at(doc_add_source(&f->doc, "m.yaml", text, strlen(text)), 0, 0);
	diag_add(&f->l, DIAG_ERROR, &m, NULL, "cannot read file: %s", "x");
	diag_add(&f->l, DIAG_ERROR, NULL, "workspace.name", "no mark");
	diag_render(&f->l, &f->out, doc_source_line, &f->doc, 0);
	assert_string_equal(f->out.s, "m.yaml: error: cannot read file: x\n"
			    "error: no mark (at workspace.name)\n");
}

static void test_diag_render_sanitizes_source(void **state)
{
	struct fixture *f = *state;
	const char *text = "a: caf\xe9\tx\x01\n";
	struct mark m;

	m = at(doc_add_source(&f->doc, "m.yaml", text, strlen(text)), 1, 99);
	diag_add(&f->l, DIAG_ERROR, &m, NULL, "x");
	diag_render(&f->l, &f->out, doc_source_line, &f->doc, 0);
	/* the caret stops at the end of the line */
	assert_string_equal(f->out.s, "m.yaml:1:99: error: x\n"
			    " 1 | a: caf\\xe9\\tx\\x01\n"
			    "   |                  ^\n");
}

static void test_diag_render_caret_counts_characters(void **state)
{
	struct fixture *f = *state;
	/* "é" is two bytes but one column */
	const char *text = "name: \"caf\xc3\xa9\" x\r\n";
	struct mark m;

	m = at(doc_add_source(&f->doc, "m.yaml", text, strlen(text)), 1, 14);
	diag_add(&f->l, DIAG_ERROR, &m, NULL, "here");
	diag_render(&f->l, &f->out, doc_source_line, &f->doc, 0);
	assert_string_equal(f->out.s, "m.yaml:1:14: error: here\n"
			    " 1 | name: \"caf\xc3\xa9\" x\n"
			    "   |              ^\n");
}

static void test_diag_render_escapes_what_drives_a_terminal(void **state)
{
	struct fixture *f = *state;
	/* ESC, BEL and U+202E in the line, the message and the path */
	const char *text = "name: \"\x1b[2J\a\xe2\x80\xae\" x\n";
	struct mark m;

	m = at(doc_add_source(&f->doc, "m.yaml", text, strlen(text)), 1, 16);
	diag_add(&f->l, DIAG_ERROR, &m, "a\xe2\x80\xae",
		 "bad '%s'", "\x1b]0;owned\a");
	diag_render(&f->l, &f->out, doc_source_line, &f->doc, 0);
	assert_null(strchr(f->out.s, 0x1b));
	assert_null(strchr(f->out.s, 0x07));
	assert_null(strstr(f->out.s, "\xe2\x80\xae"));
	/* the caret stands under the 'x', after the escapes */
	assert_string_equal(f->out.s,
			    "m.yaml:1:16: error: bad '\\x1b]0;owned\\x07' "
			    "(at a\\u202e)\n"
			    " 1 | name: \"\\x1b[2J\\x07\\u202e\" x\n"
			    "   |                           ^\n");
}

static void test_diag_render_cuts_long_lines_around_the_column(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT, want = BUF_INIT;
	struct mark m;
	int i;

	/* one 10 MB line, 60 errors: each excerpt stays short */
	buf_addchars(&text, 'a', 5000000);
	buf_addstr(&text, "HERE");
	buf_addchars(&text, 'b', 5000000);
	m = at(doc_add_source(&f->doc, "m.yaml", text.s, text.len), 1,
	       5000001);
	for (i = 0; i < 60; i++)
		diag_add(&f->l, DIAG_ERROR, &m, NULL, "bad");
	diag_render(&f->l, &f->out, doc_source_line, &f->doc, 0);
	assert_true(f->out.len < 60 * 300);
	buf_addstr(&want, "m.yaml:1:5000001: error: bad\n 1 | ...");
	buf_addchars(&want, 'a', DIAG_EXCERPT_CHARS / 2);
	buf_addstr(&want, "HERE");
	buf_addchars(&want, 'b', DIAG_EXCERPT_CHARS / 2 - 4);
	buf_addstr(&want, "...\n   | ");
	buf_addchars(&want, ' ', 3 + DIAG_EXCERPT_CHARS / 2);
	buf_addstr(&want, "^\n");
	assert_memory_equal(f->out.s, want.s, want.len);
	buf_release(&text);
	buf_release(&want);
}

static void test_diag_render_long_line_cut_at_its_ends(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	struct mark m;

	buf_addstr(&text, "k: ");
	buf_addchars(&text, 'z', 300);
	m = at(doc_add_source(&f->doc, "m.yaml", text.s, text.len), 1, 1);
	diag_add(&f->l, DIAG_ERROR, &m, NULL, "first");
	m.col = 303;
	diag_add(&f->l, DIAG_ERROR, &m, NULL, "last");
	diag_render(&f->l, &f->out, doc_source_line, &f->doc, 0);
	/* at the start: no leading "...", the caret at column 0 */
	assert_non_null(strstr(f->out.s, " 1 | k: zzz"));
	assert_non_null(strstr(f->out.s, "zzz...\n   | ^\n"));
	/* at the end: the window ends with the line, the caret on its end */
	assert_non_null(strstr(f->out.s, "zzz\n   |    "));
	buf_release(&text);
}

static void test_diag_render_cuts_long_messages(void **state)
{
	struct fixture *f = *state;
	struct buf key = BUF_INIT, want = BUF_INIT;

	/* a 1 MB key quoted in a message */
	buf_addchars(&key, 'k', 1u << 20);
	diag_add(&f->l, DIAG_ERROR, NULL, "a", "duplicate key '%s'", key.s);
	diag_render(&f->l, &f->out, NULL, NULL, 0);
	buf_addstr(&want, "error: duplicate key '");
	buf_addchars(&want, 'k', DIAG_MESSAGE_CHARS - 15);
	buf_addstr(&want, "... (at a)\n");
	assert_string_equal(f->out.s, want.s);
	buf_release(&key);
	buf_release(&want);
}

static void test_diag_cap_holds_for_warnings(void **state)
{
	struct fixture *f = *state;
	int i;

	diag_list_release(&f->l);
	diag_list_init(&f->l, 3);
	for (i = 0; i < 10; i++)
		diag_add(&f->l, DIAG_WARNING, NULL, NULL, "w%d", i);
	assert_int_equal(f->l.nr, 3);
	assert_int_equal(f->l.warnings, 10);
	assert_int_equal(f->l.dropped_warnings, 7);
	diag_render(&f->l, &f->out, NULL, NULL, 0);
	assert_string_equal(f->out.s, "warning: w0\nwarning: w1\n"
			    "warning: w2\n"
			    "torq-apply: 7 more warnings not shown\n");
}

static void test_diag_render_too_many_errors_line(void **state)
{
	struct fixture *f = *state;
	struct diag_list l;
	struct buf out = BUF_INIT;

	(void)f;
	diag_list_init(&l, 1);
	diag_add(&l, DIAG_ERROR, NULL, NULL, "first");
	diag_add(&l, DIAG_ERROR, NULL, NULL, "second");
	diag_render(&l, &out, NULL, NULL, 0);
	assert_string_equal(out.s, "error: first\n"
			    "torq-apply: 1 more error not shown\n");
	diag_add(&l, DIAG_ERROR, NULL, NULL, "third");
	buf_reset(&out);
	diag_render(&l, &out, NULL, NULL, 0);
	assert_string_equal(out.s, "error: first\n"
			    "torq-apply: 2 more errors not shown\n");
	buf_release(&out);
	diag_list_release(&l);
}

static void test_diag_render_color(void **state)
{
	struct fixture *f = *state;
	const char *text = "a: 1\n";
	struct mark m;

	m = at(doc_add_source(&f->doc, "m.yaml", text, strlen(text)), 1, 4);
	diag_add(&f->l, DIAG_WARNING, &m, "a", "w");
	diag_render(&f->l, &f->out, doc_source_line, &f->doc, 1);
	assert_string_equal(f->out.s,
		"\033[1mm.yaml:1:4: \033[0m\033[1;35mwarning:\033[0m w (at a)\n"
		" 1 | a: 1\n"
		"   |    \033[1;32m^\033[0m\n");
}

static void test_diag_paths(void **state)
{
	struct fixture *f = *state;
	struct buf p = BUF_INIT;

	(void)f;
	path_push_key(&p, "users");
	path_push_index(&p, 3);
	path_push_key(&p, "email");
	assert_string_equal(p.s, "users[3].email");
	buf_reset(&p);
	path_push_key(&p, "claim_mappings");
	path_push_key(&p, "items");
	path_push_index(&p, 0);
	path_push_index(&p, 12);
	path_push_key(&p, "x-y");
	assert_string_equal(p.s, "claim_mappings.items[0][12].x-y");
	buf_reset(&p);
	path_push_index(&p, 7);
	assert_string_equal(p.s, "[7]");
	buf_release(&p);
}

static void test_diag_paths_quote_odd_keys(void **state)
{
	struct fixture *f = *state;
	struct buf p = BUF_INIT;

	(void)f;
	path_push_key(&p, "a b");
	assert_string_equal(p.s, "[\"a b\"]");
	buf_reset(&p);
	path_push_key(&p, "parameters");
	path_push_key(&p, "a b");
	path_push_key(&p, "c");
	assert_string_equal(p.s, "parameters[\"a b\"].c");
	buf_reset(&p);
	path_push_key(&p, "m");
	path_push_key(&p, "2x");
	path_push_key(&p, "");
	path_push_key(&p, "q\"uote");
	path_push_key(&p, "a.b");
	assert_string_equal(p.s,
		"m[\"2x\"][\"\"][\"q\\\"uote\"][\"a.b\"]");
	buf_release(&p);
}

static void test_diag_list_move(void **state)
{
	struct fixture *f = *state;
	struct diag_list from;
	struct mark m = at("t.yaml", 2, 5);

	diag_add(&f->l, DIAG_ERROR, NULL, NULL, "mine");
	diag_list_init(&from, 0);
	diag_add(&from, DIAG_ERROR, &m, "k", "moved error");
	diag_add(&from, DIAG_NOTE, &m, NULL, "moved note");
	diag_add(&from, DIAG_WARNING, NULL, NULL, "moved warning");
	diag_list_move(&f->l, &from);
	assert_int_equal(from.nr, 0);
	assert_int_equal(from.errors, 0);
	assert_int_equal(from.warnings, 0);
	assert_null(from.items);
	assert_int_equal(f->l.nr, 4);
	assert_int_equal(f->l.errors, 2);
	assert_int_equal(f->l.warnings, 1);
	assert_string_equal(f->l.items[0].message, "mine");
	assert_string_equal(f->l.items[1].message, "moved error");
	assert_string_equal(f->l.items[1].mark.file, "t.yaml");
	assert_int_equal(f->l.items[1].mark.col, 5);
	assert_string_equal(f->l.items[1].path, "k");
	assert_string_equal(f->l.items[2].message, "moved note");
	assert_string_equal(f->l.items[3].message, "moved warning");
	/* from can be used again */
	diag_add(&from, DIAG_ERROR, NULL, NULL, "again");
	assert_int_equal(from.nr, 1);
	diag_list_release(&from);
}

static void test_diag_list_move_applies_the_cap(void **state)
{
	struct fixture *f = *state;
	struct diag_list to, from;

	(void)f;
	diag_list_init(&to, 2);
	diag_add(&to, DIAG_ERROR, NULL, NULL, "t1");
	diag_list_init(&from, 1);
	diag_add(&from, DIAG_ERROR, NULL, NULL, "f1");
	diag_add(&from, DIAG_NOTE, NULL, NULL, "f1 note");
	diag_add(&from, DIAG_ERROR, NULL, NULL, "f2 dropped in from");
	diag_add(&from, DIAG_WARNING, NULL, NULL, "fw");
	diag_add(&from, DIAG_NOTE, NULL, NULL, "fw note");
	assert_int_equal(from.dropped, 1);
	diag_list_move(&to, &from);
	/* t1 and f1 fit; f2 was dropped before; the warning is kept */
	assert_int_equal(to.nr, 5);
	assert_string_equal(to.items[1].message, "f1");
	assert_string_equal(to.items[2].message, "f1 note");
	assert_string_equal(to.items[3].message, "fw");
	assert_string_equal(to.items[4].message, "fw note");
	assert_int_equal(to.errors, 3);
	assert_int_equal(to.warnings, 1);
	assert_int_equal(to.dropped, 1);

	/* now to is full: moved errors and their notes are dropped */
	diag_list_init(&from, 0);
	diag_add(&from, DIAG_ERROR, NULL, NULL, "over");
	diag_add(&from, DIAG_NOTE, NULL, NULL, "over note");
	diag_add(&from, DIAG_WARNING, NULL, NULL, "w2");
	diag_list_move(&to, &from);
	assert_int_equal(to.nr, 6);
	assert_string_equal(to.items[5].message, "w2");
	assert_int_equal(to.errors, 4);
	assert_int_equal(to.dropped, 2);
	assert_int_equal(to.warnings, 2);
	diag_list_release(&to);
	diag_list_release(&from);
}

/* Every test gets a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_diag_add_records_everything),
		T(test_diag_release_keeps_the_cap),
		T(test_diag_cap_drops_errors_and_their_notes),
		T(test_diag_no_cap_when_zero),
		T(test_diag_render_exact_format),
		T(test_diag_render_line_number_width),
		T(test_diag_render_without_source),
		T(test_diag_render_whole_file_has_no_position),
		T(test_diag_render_sanitizes_source),
		T(test_diag_render_caret_counts_characters),
		T(test_diag_render_escapes_what_drives_a_terminal),
		T(test_diag_render_cuts_long_lines_around_the_column),
		T(test_diag_render_long_line_cut_at_its_ends),
		T(test_diag_render_cuts_long_messages),
		T(test_diag_cap_holds_for_warnings),
		T(test_diag_render_too_many_errors_line),
		T(test_diag_render_color),
		T(test_diag_paths),
		T(test_diag_paths_quote_odd_keys),
		T(test_diag_list_move),
		T(test_diag_list_move_applies_the_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
