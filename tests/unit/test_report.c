#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/model.h"
#include "torq/report.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/*
 * The report's renderers on workspaces built by hand, as
 * reader_workspaces gives them (sorted by name, strings xstrdup'd).
 * Outputs are compared whole against golden strings.
 */

static const char legend[] =
	"\n"
	"Figures as Torq reports them in the workspace list (GET "
	"/workspaces); a\n"
	"figure the API leaves out is 0.\n"
	"  workflows       billable workflows: published, neither "
	"nested-only nor\n"
	"                  triggered by Cases or System Events\n"
	"  nested          published nested workflows\n"
	"  editors         workflow editors\n"
	"  case operators  Cases operators\n"
	"  runners         self-hosted step runners\n"
	"  owners          users with the Owner role; the total counts "
	"distinct\n"
	"                  e-mails\n";

/* Fill w; figs are workflows, nested, editors, operators, runners. */
static void set(struct model_workspace *w, const char *name, const char *id,
		const long figs[5], const char *const *owners)
{
	memset(w, 0, sizeof(*w));
	w->name = name ? xstrdup(name) : NULL;
	w->id = id ? xstrdup(id) : NULL;
	w->workflows_usage = figs[0];
	w->nested_usage = figs[1];
	w->editors_usage = figs[2];
	w->cases_operators_usage = figs[3];
	w->runners_usage = figs[4];
	for (; owners && *owners; owners++) {
		ALLOC_GROW(w->owners, w->owners_nr + 1, w->owners_alloc);
		w->owners[w->owners_nr++] = xstrdup(*owners);
	}
}

static void release(struct model_workspace *ws, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		model_workspace_release(&ws[i]);
}

/* Three workspaces: one with two owners, one shared owner, one empty. */
static void example(struct model_workspace ws[3])
{
	static const char *const acme[] = {
		"alice@acme.example", "owner@example.com", NULL,
	};
	static const char *const tmpl[] = { "Owner@Example.com", NULL };

	set(&ws[0], "Acme SOC", "id-acme", (const long[5]){ 12, 3, 4, 2, 1 },
	    acme);
	set(&ws[1], "Globex", "id-globex", (const long[5]){ 0, 0, 0, 0, 0 },
	    NULL);
	set(&ws[2], "Template", "id-template",
	    (const long[5]){ 2, 1, 3, 1, 10 }, tmpl);
}

static void test_report_text_example(void **state)
{
	struct model_workspace ws[3];
	struct buf out = BUF_INIT, want = BUF_INIT;

	(void)state;
	example(ws);
	report_text(ws, 3, &out);
	buf_addstr(&want,
		"workspace             workflows  nested  editors  "
		"case operators  runners  owners\n"
		"--------------------  ---------  ------  -------  "
		"--------------  -------  -------------------------------------\n"
		"Acme SOC                     12       3        4  "
		"             2        1  alice@acme.example, owner@example.com\n"
		"Globex                        0       0        0  "
		"             0        0  (none)\n"
		"Template                      2       1        3  "
		"             1       10  Owner@Example.com\n"
		"--------------------  ---------  ------  -------  "
		"--------------  -------  -------------------------------------\n"
		"total (3 workspaces)         14       4        7  "
		"             3       11  2 distinct\n");
	buf_addstr(&want, legend);
	assert_string_equal(out.s, want.s);
	buf_release(&out);
	buf_release(&want);
	release(ws, 3);
}

static void test_report_text_empty(void **state)
{
	struct buf out = BUF_INIT, want = BUF_INIT;

	(void)state;
	report_text(NULL, 0, &out);
	buf_addstr(&want,
		"workspace             workflows  nested  editors  "
		"case operators  runners  owners\n"
		"--------------------  ---------  ------  -------  "
		"--------------  -------  ----------\n"
		"--------------------  ---------  ------  -------  "
		"--------------  -------  ----------\n"
		"total (0 workspaces)          0       0        0  "
		"             0        0  0 distinct\n");
	buf_addstr(&want, legend);
	assert_string_equal(out.s, want.s);
	buf_release(&out);
	buf_release(&want);
}

/*
 * A name cannot break its row or drive the terminal, and a name of
 * multibyte characters is padded by characters, not bytes.
 */
static void test_report_text_escapes_and_aligns(void **state)
{
	static const char *const evil[] = { "x\x1b[2J@e.example", NULL };
	struct model_workspace ws[3];
	struct buf out = BUF_INIT, want = BUF_INIT;

	(void)state;
	set(&ws[0], "Bad\nname\xff", "a", (const long[5]){ 1, 0, 0, 0, 0 },
	    evil);
	set(&ws[1], "S\xc3\xa9\xc3\xa9", "b", (const long[5]){ 0, 0, 0, 0, 0 },
	    NULL);
	set(&ws[2], NULL, "c", (const long[5]){ 0, 0, 0, 0, 0 }, NULL);
	report_text(ws, 3, &out);
	buf_addstr(&want,
		"workspace             workflows  nested  editors  "
		"case operators  runners  owners\n"
		"--------------------  ---------  ------  -------  "
		"--------------  -------  ------------------\n"
		"Bad\\nname\\xff                 1       0        0  "
		"             0        0  x\\x1b[2J@e.example\n"
		"S\xc3\xa9\xc3\xa9                           0       0        0  "
		"             0        0  (none)\n"
		"(no name)                     0       0        0  "
		"             0        0  (none)\n"
		"--------------------  ---------  ------  -------  "
		"--------------  -------  ------------------\n"
		"total (3 workspaces)          1       0        0  "
		"             0        0  1 distinct\n");
	buf_addstr(&want, legend);
	assert_string_equal(out.s, want.s);
	buf_release(&want);
	buf_release(&out);
	release(ws, 3);
}

static void test_report_text_one_workspace(void **state)
{
	static const char *const o[] = { "o@x.example", NULL };
	struct model_workspace ws[1];
	struct buf out = BUF_INIT;

	(void)state;
	set(&ws[0], "A", "a", (const long[5]){ 1, 2, 3, 4, 5 }, o);
	report_text(ws, 1, &out);
	assert_non_null(strstr(out.s,
		"\ntotal (1 workspace)          1       2        3  "
		"             4        5  1 distinct\n"));
	buf_release(&out);
	release(ws, 1);
}

static void test_report_csv_example(void **state)
{
	struct model_workspace ws[3];
	struct buf out = BUF_INIT;

	(void)state;
	example(ws);
	report_csv(ws, 3, NULL, &out);
	assert_string_equal(out.s,
		"name,id,billable_workflows,nested_workflows,editors,"
		"case_operators,runners,owners\r\n"
		"Acme SOC,id-acme,12,3,4,2,1,"
		"alice@acme.example;owner@example.com\r\n"
		"Globex,id-globex,0,0,0,0,0,\r\n"
		"Template,id-template,2,1,3,1,10,Owner@Example.com\r\n"
		"total,,14,4,7,3,11,2\r\n");
	buf_release(&out);
	release(ws, 3);
}

/* RFC 4180: commas, quotes, CR and LF quoted; quotes doubled. */
static void test_report_csv_quoting(void **state)
{
	static const char *const o[] = { "a,b@x.example", "q\"@x.example",
		NULL };
	struct model_workspace ws[4];
	struct buf out = BUF_INIT;

	(void)state;
	set(&ws[0], "Acme, Inc.", "1", (const long[5]){ 1, 0, 0, 0, 0 }, o);
	set(&ws[1], "The \"best\" SOC", "2", (const long[5]){ 0, 0, 0, 0, 0 },
	    NULL);
	set(&ws[2], "two\nlines\r\n", "3", (const long[5]){ 0, 0, 0, 0, 0 },
	    NULL);
	set(&ws[3], NULL, NULL, (const long[5]){ 0, 0, 0, 0, 0 }, NULL);
	report_csv(ws, 4, NULL, &out);
	assert_string_equal(out.s,
		"name,id,billable_workflows,nested_workflows,editors,"
		"case_operators,runners,owners\r\n"
		"\"Acme, Inc.\",1,1,0,0,0,0,\"a,b@x.example;q\"\"@x.example\"\r\n"
		"\"The \"\"best\"\" SOC\",2,0,0,0,0,0,\r\n"
		"\"two\nlines\r\n\",3,0,0,0,0,0,\r\n"
		",,0,0,0,0,0,\r\n"
		"total,,1,0,0,0,0,2\r\n");
	buf_release(&out);
	release(ws, 4);
}

static void test_report_csv_empty(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	report_csv(NULL, 0, NULL, &out);
	assert_string_equal(out.s,
		"name,id,billable_workflows,nested_workflows,editors,"
		"case_operators,runners,owners\r\n"
		"total,,0,0,0,0,0,0\r\n");
	buf_release(&out);
}

static long num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return (long)json_integer_value(v);
}

static void test_report_json_shape(void **state)
{
	static const char *const figs[] = {
		"billable_workflows", "nested_workflows", "editors",
		"case_operators", "runners",
	};
	struct model_workspace ws[3];
	json_t *j, *list, *w, *t;
	const char *key;
	json_t *v;
	size_t i, k;

	(void)state;
	example(ws);
	j = report_json(ws, 3, NULL);
	assert_int_equal(json_object_size(j), 5);
	assert_int_equal(num(j, "format_version"), 1);
	assert_string_equal(json_string_value(json_object_get(j, "source")),
			    "api");
	assert_string_equal(json_string_value(json_object_get(j, "note")),
			    REPORT_NOTE);
	list = json_object_get(j, "workspaces");
	assert_int_equal(json_array_size(list), 3);
	json_array_foreach(list, i, w) {
		assert_int_equal(json_object_size(w), 8);
		assert_string_equal(json_string_value(json_object_get(w,
			"name")), ws[i].name);
		assert_string_equal(json_string_value(json_object_get(w,
			"id")), ws[i].id);
		for (k = 0; k < ARRAY_SIZE(figs); k++)
			assert_true(json_is_integer(json_object_get(w,
				figs[k])));
		assert_int_equal(json_array_size(json_object_get(w, "owners")),
				 ws[i].owners_nr);
	}
	w = json_array_get(list, 0);
	assert_int_equal(num(w, "billable_workflows"), 12);
	assert_int_equal(num(w, "nested_workflows"), 3);
	assert_int_equal(num(w, "editors"), 4);
	assert_int_equal(num(w, "case_operators"), 2);
	assert_int_equal(num(w, "runners"), 1);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(w, "owners"), 1)), "owner@example.com");
	t = json_object_get(j, "totals");
	assert_int_equal(json_object_size(t), 7);
	json_object_foreach(t, key, v)
		assert_true(json_is_integer(v));
	assert_int_equal(num(t, "workspaces"), 3);
	assert_int_equal(num(t, "billable_workflows"), 14);
	assert_int_equal(num(t, "nested_workflows"), 4);
	assert_int_equal(num(t, "editors"), 7);
	assert_int_equal(num(t, "case_operators"), 3);
	assert_int_equal(num(t, "runners"), 11);
	assert_int_equal(num(t, "owners"), 2);
	json_decref(j);
	release(ws, 3);
}

/* The exact document, key order included, as cmd_report prints it. */
static void test_report_json_exact(void **state)
{
	static const char *const o[] = { "o@x.example", NULL };
	struct model_workspace ws[1];
	json_t *j;
	char *s;

	(void)state;
	set(&ws[0], "A", "a", (const long[5]){ 1, 2, 3, 4, 5 }, o);
	j = report_json(ws, 1, NULL);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s,
		"{\"format_version\":1,\"source\":\"api\",\"note\":\""
		REPORT_NOTE "\",\"workspaces\":[{\"name\":\"A\",\"id\":\"a\","
		"\"billable_workflows\":1,\"nested_workflows\":2,"
		"\"editors\":3,\"case_operators\":4,\"runners\":5,"
		"\"owners\":[\"o@x.example\"]}],\"totals\":{"
		"\"workspaces\":1,\"billable_workflows\":1,"
		"\"nested_workflows\":2,\"editors\":3,\"case_operators\":4,"
		"\"runners\":5,\"owners\":1}}");
	free(s);
	json_decref(j);
	release(ws, 1);
}

static void test_report_json_empty_and_not_utf8(void **state)
{
	static const char *const o[] = { "o\xc3@x.example", NULL };
	struct model_workspace ws[1];
	json_t *j, *w;

	(void)state;
	j = report_json(NULL, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "workspaces")), 0);
	assert_int_equal(num(json_object_get(j, "totals"), "workspaces"), 0);
	assert_int_equal(num(json_object_get(j, "totals"), "owners"), 0);
	assert_int_equal(num(json_object_get(j, "totals"), "runners"), 0);
	json_decref(j);

	set(&ws[0], "bad\xff", NULL, (const long[5]){ 0, 0, 0, 0, 0 }, o);
	j = report_json(ws, 1, NULL);
	w = json_array_get(json_object_get(j, "workspaces"), 0);
	assert_string_equal(json_string_value(json_object_get(w, "name")),
			    "bad\xef\xbf\xbd");
	assert_true(json_is_null(json_object_get(w, "id")));
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(w, "owners"), 0)), "o\xef\xbf\xbd@x.example");
	json_decref(j);
	release(ws, 1);
}

static void test_report_totals(void **state)
{
	static const char *const a[] = { "A@x.example", "b@x.example", NULL };
	static const char *const b[] = { "a@X.example", "c@x.example",
		"B@x.example", NULL };
	struct model_workspace ws[3];
	struct report_totals t;

	(void)state;
	set(&ws[0], "a", "1", (const long[5]){ 1, 2, 3, 4, 5 }, a);
	set(&ws[1], "b", "2", (const long[5]){ 10, 20, 30, 40, 50 }, b);
	set(&ws[2], "c", "3", (const long[5]){ 0, 0, 0, 0, 0 }, NULL);
	report_totals(ws, 3, &t);
	assert_int_equal(t.workspaces, 3);
	assert_int_equal(t.workflows, 11);
	assert_int_equal(t.nested, 22);
	assert_int_equal(t.editors, 33);
	assert_int_equal(t.case_operators, 44);
	assert_int_equal(t.runners, 55);
	assert_int_equal(t.owners, 3);	/* a, b, c: any case */

	/* figures near the limit saturate instead of overflowing */
	ws[0].workflows_usage = LONG_MAX - 1;
	ws[1].nested_usage = LONG_MIN;
	ws[0].nested_usage = -1;
	report_totals(ws, 3, &t);
	assert_true(t.workflows == LONG_MAX);
	assert_true(t.nested == LONG_MIN);
	release(ws, 3);

	report_totals(NULL, 0, &t);
	assert_int_equal(t.workspaces, 0);
	assert_int_equal(t.owners, 0);
	assert_int_equal(t.runners, 0);
}

/*
 * With history: twelve columns after the old ones, a signed change or
 * empty; in JSON, since_previous and since_30_days, objects or null.
 */
static void test_report_history_columns(void **state)
{
	struct model_workspace ws[3];
	struct report_history h;
	int known[4] = { 1, 0, 1, 1 };
	long delta[4][REPORT_FIGURES] = {
		{ 2, 0, -1, 0, 0, 1 }, { 0 }, { 0 }, { 2, 0, -1, 0, 0, 0 },
	};
	struct buf out = BUF_INIT;
	json_t *j, *o;

	(void)state;
	example(ws);
	memset(&h, 0, sizeof(h));
	h.previous.since = "2026-11-04T09:00:00Z";
	h.previous.known = known;
	h.previous.delta = delta;
	report_csv(ws, 3, &h, &out);
	assert_non_null(strstr(out.s, ",owners,billable_workflows_since_"
			       "previous,nested_workflows_since_previous,"));
	assert_non_null(strstr(out.s, ",owners_since_30_days\r\n"));
	assert_non_null(strstr(out.s, "owner@example.com,+2,0,-1,0,0,+1"
			       ",,,,,,\r\n"));
	assert_non_null(strstr(out.s, "\r\nGlobex,id-globex,0,0,0,0,0,"
			       ",,,,,,,,,,,,\r\n"));
	assert_non_null(strstr(out.s, "\r\ntotal,,14,4,7,3,11,2,+2,0,-1,0,"
			       "0,0,,,,,,\r\n"));
	j = report_json(ws, 3, &h);
	o = json_object_get(json_array_get(json_object_get(j, "workspaces"),
					   0), "since_previous");
	assert_int_equal(json_integer_value(json_object_get(o, "editors")),
			 -1);
	assert_int_equal(json_integer_value(json_object_get(o, "owners")), 1);
	assert_true(json_is_null(json_object_get(json_array_get(
		json_object_get(j, "workspaces"), 1), "since_previous")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "totals"),
						 "since_30_days")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		j, "history"), "previous")), "2026-11-04T09:00:00Z");
	assert_true(json_is_null(json_object_get(json_object_get(j,
		"history"), "30_days")));
	json_decref(j);
	buf_release(&out);
	release(ws, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_text_example),
		cmocka_unit_test(test_report_text_empty),
		cmocka_unit_test(test_report_text_escapes_and_aligns),
		cmocka_unit_test(test_report_text_one_workspace),
		cmocka_unit_test(test_report_csv_example),
		cmocka_unit_test(test_report_csv_quoting),
		cmocka_unit_test(test_report_csv_empty),
		cmocka_unit_test(test_report_json_shape),
		cmocka_unit_test(test_report_json_exact),
		cmocka_unit_test(test_report_json_empty_and_not_utf8),
		cmocka_unit_test(test_report_totals),
		cmocka_unit_test(test_report_history_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
