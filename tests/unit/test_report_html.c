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
#include "torq/history.h"
#include "torq/model.h"
#include "torq/report.h"
#include "torq/report_html.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/*
 * The HTML page: names escaped wherever they go, the changes and their
 * em dash, the drift of each client, a trend line per figure.
 */

static void escaped(const char *s, const char *want)
{
	struct buf out = BUF_INIT;

	report_html_escape(&out, s);
	assert_string_equal(out.s, want);
	buf_release(&out);
}

static void test_report_html_escape(void **state)
{
	(void)state;
	escaped("<script>alert(1)</script>",
		"&lt;script&gt;alert(1)&lt;/script&gt;");
	escaped("a & \"b\" 'c'", "a &amp; &quot;b&quot; &#39;c&#39;");
	escaped("\" onmouseover=\"x", "&quot; onmouseover=&quot;x");
	/* what would rewrite the text shows as an escape */
	escaped("evil\x1b[2J\n", "evil\\x1b[2J\\n");
	escaped("abc\xe2\x80\xae" "cba", "abc\\u202ecba");
	escaped("caf\xe9", "caf\\xe9");
	escaped("Zürich <SOC>", "Zürich &lt;SOC&gt;");
	escaped(NULL, "");
}

/* Occurrences of needle in hay. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

static void workspace(struct model_workspace *w, const char *name,
		      const char *id, long workflows, const char *owner)
{
	memset(w, 0, sizeof(*w));
	w->name = xstrdup(name);
	w->id = xstrdup(id);
	w->workflows_usage = workflows;
	w->editors_usage = 1;
	if (owner) {
		ALLOC_GROW(w->owners, 1, w->owners_alloc);
		w->owners[w->owners_nr++] = xstrdup(owner);
	}
}

static void test_report_html_page(void **state)
{
	static const char hostile[] = "<script>alert(1)</script>";
	struct model_workspace ws[2];
	struct report_page p;
	struct buf out = BUF_INIT;
	json_t *drift;

	(void)state;
	workspace(&ws[0], "Acme \"SOC\"", "id-a", 4, "o'neil@x.example");
	workspace(&ws[1], hostile, "id-h", 1, NULL);
	drift = json_pack("[{s:s, s:s, s:s, s:i, s:i, s:i}, "
			  "{s:s, s:s, s:s, s:s}]",
			  "name", "acme", "workspace", "Acme \"SOC\"",
			  "status", "changes", "add", 2, "change", 1,
			  "destroy", 0, "name", "evil", "workspace", hostile,
			  "status", "failed", "error", "<b>key refused</b>");
	memset(&p, 0, sizeof(p));
	p.ws = ws;
	p.nr = 2;
	p.taken = 1793782800LL;
	p.drift = drift;
	report_html(&p, &out);
	/* one script, ours; the names only escaped, in text and attributes */
	assert_int_equal(count(out.s, "<script"), 1);
	assert_int_equal(count(out.s, "alert"),
			 count(out.s, "&lt;script&gt;alert(1)&lt;/"));
	assert_non_null(strstr(out.s, "&lt;script&gt;alert(1)&lt;/script"
			       "&gt;"));
	assert_true(count(out.s, "data-workspace=\"&lt;script&gt;") == 1);
	assert_true(count(out.s, "data-workspace=\"Acme &quot;SOC&quot;\"")
		    == 1);
	assert_non_null(strstr(out.s, "o&#39;neil@x.example"));
	assert_null(strstr(out.s, "<b>"));
	/* the page says when, and where each figure comes from */
	assert_non_null(strstr(out.s, "<time datetime=\"2026-11-04T09:00:00Z\""));
	assert_non_null(strstr(out.s, "<code>workflows_usage</code>"));
	assert_non_null(strstr(out.s, "Totals: computed by torq-apply"));
	assert_non_null(strstr(out.s, "<meta name=\"viewport\""));
	/* drift: changes counted, the reason of an unknown one escaped */
	assert_non_null(strstr(out.s, "3 changes (+2 ~1 -0)"));
	assert_non_null(strstr(out.s, "unknown: &lt;b&gt;key refused"));
	/* the figures, and no history: no trend, no change */
	assert_non_null(strstr(out.s, "<td data-v=\"4\" data-figure=\""
			       "billable_workflows\">4</td>"));
	assert_non_null(strstr(out.s, "data-figure=\"billable_workflows\">5"
			       "</div>"));
	assert_null(strstr(out.s, "polyline"));
	assert_null(strstr(out.s, "class=\"chg\""));
	assert_int_equal(count(out.s, "data-chart=\"bars\""), REPORT_FIGURES);
	json_decref(drift);
	buf_release(&out);
	model_workspace_release(&ws[0]);
	model_workspace_release(&ws[1]);
}

static void test_report_html_history(void **state)
{
	struct model_workspace ws[2];
	struct history past = HISTORY_INIT;
	struct history_snapshot *s;
	struct report_history h;
	struct report_page p;
	struct buf out = BUF_INIT;

	(void)state;
	workspace(&ws[0], "A", "id-a", 4, NULL);
	workspace(&ws[1], "B", "id-b", 1, NULL);
	/* one earlier snapshot, holding A only, with 1 workflow */
	ALLOC_GROW(past.snaps, 1, past.alloc);
	s = &past.snaps[past.nr++];
	memset(s, 0, sizeof(*s));
	s->taken = xstrdup("2026-10-01T00:00:00Z");
	s->sec = 1790812800LL;
	s->totals[REPORT_WORKFLOWS] = 1;
	ALLOC_GROW(s->rows, 1, s->alloc);
	memset(&s->rows[0], 0, sizeof(s->rows[0]));
	s->rows[0].id = xstrdup("id-a");
	s->rows[0].fig[REPORT_WORKFLOWS] = 1;
	s->nr = 1;
	history_change(s, ws, 2, &h.previous);
	history_change(NULL, ws, 2, &h.month);
	memset(&p, 0, sizeof(p));
	p.ws = ws;
	p.nr = 2;
	p.taken = 1793782800LL;
	p.change = &h;
	p.past = &past;
	report_html(&p, &out);
	/* one total line per figure, one per workspace and figure */
	assert_int_equal(count(out.s, "data-series=\"total\""),
			 REPORT_FIGURES);
	assert_int_equal(count(out.s, "data-series=\"workspace\""),
			 2 * REPORT_FIGURES);
	assert_non_null(strstr(out.s, "<polyline data-metric=\""
			       "billable_workflows\" data-series=\"total\""));
	/* A: +3 since the snapshot, no 30-day one; B was not in it */
	assert_non_null(strstr(out.s, ">4<span class=\"chg\">+3 / "
			       "\xe2\x80\x94</span>"));
	assert_non_null(strstr(out.s, ">1<span class=\"chg\">\xe2\x80\x94 / "
			       "\xe2\x80\x94</span>"));
	/* totals: 5 now, 1 then */
	assert_non_null(strstr(out.s, ">5</div><span class=\"chg\">+4 / "));
	history_change_release(&h.previous);
	history_change_release(&h.month);
	history_release(&past);
	buf_release(&out);
	model_workspace_release(&ws[0]);
	model_workspace_release(&ws[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_html_escape),
		cmocka_unit_test(test_report_html_page),
		cmocka_unit_test(test_report_html_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
