#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/history.h"
#include "torq/model.h"
#include "torq/report.h"
#include "torq/wrapper.h"
#include "testdir.h"
#include "torq/banned.h"

/*
 * The report's history: snapshots parsed and refused, read from a
 * directory with a broken file among them, the snapshot nearest to but
 * not after a time, and the changes since one.
 */

/* A snapshot taken at taken, one workspace (id-a, "A") with figure f. */
static void snapshot_text(struct buf *out, const char *taken, long f)
{
	buf_addf(out, "{\"format_version\": 1, \"taken\": \"%s\", "
		 "\"workspaces\": [{\"name\": \"A\", \"id\": \"id-a\", "
		 "\"billable_workflows\": %ld, \"nested_workflows\": 1, "
		 "\"editors\": 2, \"case_operators\": 0, \"runners\": 0, "
		 "\"owners\": [\"o@x.example\", \"p@x.example\"]}], "
		 "\"totals\": {\"workspaces\": 1, \"billable_workflows\": %ld, "
		 "\"nested_workflows\": 1, \"editors\": 2, "
		 "\"case_operators\": 0, \"runners\": 0, \"owners\": 2}}",
		 taken, f, f);
}

static void test_history_parse_snapshot(void **state)
{
	struct history_snapshot s;
	struct buf text = BUF_INIT, why = BUF_INIT;
	long fig[REPORT_FIGURES];

	(void)state;
	snapshot_text(&text, "2026-11-04T09:00:00Z", 7);
	assert_int_equal(history_parse(text.s, text.len, &s, &why), 0);
	assert_string_equal(s.taken, "2026-11-04T09:00:00Z");
	assert_int_equal(s.sec, 1793782800LL);
	assert_int_equal(s.nr, 1);
	assert_string_equal(s.rows[0].name, "A");
	assert_string_equal(s.rows[0].id, "id-a");
	assert_int_equal(s.rows[0].fig[REPORT_WORKFLOWS], 7);
	assert_int_equal(s.rows[0].fig[REPORT_EDITORS], 2);
	/* a workspace's owners are a list; their figure is the count */
	assert_int_equal(s.rows[0].fig[REPORT_OWNERS], 2);
	assert_int_equal(s.totals[REPORT_OWNERS], 2);
	assert_int_equal(history_find(&s, "id-a", "renamed", fig), 0);
	assert_int_equal(fig[REPORT_WORKFLOWS], 7);
	assert_int_equal(history_find(&s, NULL, "A", fig), 0);
	assert_int_equal(history_find(&s, "id-b", "A", fig), -1);
	assert_int_equal(history_find(&s, NULL, "B", fig), -1);
	history_snapshot_release(&s);
	buf_release(&text);
	buf_release(&why);
}

static void refused(const char *text, const char *want)
{
	struct history_snapshot s;
	struct buf why = BUF_INIT;

	assert_int_equal(history_parse(text, strlen(text), &s, &why), -1);
	assert_non_null(strstr(why.s, want));
	assert_null(s.rows);
	assert_null(s.taken);
	buf_release(&why);
}

static void test_history_parse_refuses(void **state)
{
	(void)state;
	refused("{\"format_version\": 1, \"taken\": \"2026-", "not valid JSON");
	refused("[]", "not a JSON object");
	refused("{\"format_version\": 2}", "format_version is not 1");
	refused("{\"format_version\": 1, \"taken\": \"yesterday\"}",
		"'taken' is missing or not an RFC 3339 time");
	refused("{\"format_version\": 1, \"taken\": \"2026-01-01T00:00:00Z\"}",
		"'workspaces' is missing or not a list");
	refused("{\"format_version\": 1, \"taken\": \"2026-01-01T00:00:00Z\", "
		"\"workspaces\": [{\"name\": 3}]}",
		"workspaces[0].name is not a string");
	refused("{\"format_version\": 1, \"taken\": \"2026-01-01T00:00:00Z\", "
		"\"workspaces\": [{\"name\": \"A\", \"billable_workflows\": "
		"\"7\"}]}", "workspaces[0].billable_workflows is not a count");
	refused("{\"format_version\": 1, \"taken\": \"2026-01-01T00:00:00Z\", "
		"\"workspaces\": [], \"totals\": {\"billable_workflows\": -1}}",
		"totals.billable_workflows is not a count");
	refused("{\"format_version\": 1, \"taken\": \"2026-01-01T00:00:00Z\", "
		"\"workspaces\": []}", "totals is not an object");
}

/* A history of snapshots at the given times (seconds), figure = index. */
static void history_at(struct history *h, const long long *sec, size_t nr)
{
	size_t i;

	history_init(h);
	for (i = 0; i < nr; i++) {
		ALLOC_GROW(h->snaps, h->nr + 1, h->alloc);
		memset(&h->snaps[h->nr], 0, sizeof(h->snaps[0]));
		h->snaps[h->nr].sec = sec[i];
		h->snaps[h->nr].totals[REPORT_WORKFLOWS] = (long)i;
		h->nr++;
	}
}

static void test_history_nearest_not_after(void **state)
{
	static const long long t[] = { 100, 200, 300 };
	struct history h;

	(void)state;
	history_at(&h, t, 3);
	/* between two: the earlier one */
	assert_ptr_equal(history_at_or_before(&h, 250, 0), &h.snaps[1]);
	/* exactly at one: that one, not after it */
	assert_ptr_equal(history_at_or_before(&h, 200, 0), &h.snaps[1]);
	assert_ptr_equal(history_at_or_before(&h, 199, 999999999),
			 &h.snaps[0]);
	/* after all of them: the last */
	assert_ptr_equal(history_at_or_before(&h, 1000, 0), &h.snaps[2]);
	/* before all of them: none */
	assert_null(history_at_or_before(&h, 99, 0));
	history_release(&h);
	history_at(&h, NULL, 0);
	assert_null(history_at_or_before(&h, 1000, 0));
	history_release(&h);
}

/* Two workspaces now: A (in the snapshot, by id) and B (new). */
static void test_history_change(void **state)
{
	struct model_workspace ws[2];
	struct history_snapshot s;
	struct report_change c;
	struct buf text = BUF_INIT, why = BUF_INIT;

	(void)state;
	snapshot_text(&text, "2026-11-04T09:00:00Z", 7);
	assert_int_equal(history_parse(text.s, text.len, &s, &why), 0);
	memset(ws, 0, sizeof(ws));
	ws[0].name = xstrdup("A renamed");
	ws[0].id = xstrdup("id-a");
	ws[0].workflows_usage = 10;
	ws[0].nested_usage = 1;
	ws[0].editors_usage = 1;
	ws[0].runners_usage = 3;
	ws[1].name = xstrdup("B");
	ws[1].id = xstrdup("id-b");
	ws[1].workflows_usage = 5;
	history_change(&s, ws, 2, &c);
	assert_string_equal(c.since, "2026-11-04T09:00:00Z");
	assert_int_equal(c.known[0], 1);
	assert_int_equal(c.delta[0][REPORT_WORKFLOWS], 3);
	assert_int_equal(c.delta[0][REPORT_NESTED], 0);
	assert_int_equal(c.delta[0][REPORT_EDITORS], -1);
	assert_int_equal(c.delta[0][REPORT_RUNNERS], 3);
	assert_int_equal(c.delta[0][REPORT_OWNERS], -2);
	/* not in the snapshot: unknown, not counted from 0 */
	assert_int_equal(c.known[1], 0);
	/* the totals: 15 now, 7 then; no owners now, 2 then */
	assert_int_equal(c.known[2], 1);
	assert_int_equal(c.delta[2][REPORT_WORKFLOWS], 8);
	assert_int_equal(c.delta[2][REPORT_OWNERS], -2);
	history_change_release(&c);

	/* no snapshot at all: nothing known */
	history_change(NULL, ws, 2, &c);
	assert_null(c.since);
	assert_int_equal(c.known[0] + c.known[1] + c.known[2], 0);
	history_change_release(&c);
	model_workspace_release(&ws[0]);
	model_workspace_release(&ws[1]);
	history_snapshot_release(&s);
	buf_release(&text);
	buf_release(&why);
}

static void test_history_read_and_write(void **state)
{
	struct testdir d;
	struct history h = HISTORY_INIT;
	struct buf text = BUF_INIT, warn = BUF_INIT, err = BUF_INIT;
	struct buf path = BUF_INIT, want = BUF_INIT;
	json_t *doc;
	char *dir;
	const char *p;

	(void)state;
	testdir_make(&d, "torq-history");
	dir = xstrdup(testdir_at(&d, "hist/deeper"));
	snapshot_text(&text, "2026-11-04T09:00:00Z", 7);
	testdir_put(&d, "hist/deeper/b.json", text.s, text.len, 0644);
	buf_reset(&text);
	snapshot_text(&text, "2026-10-04T09:00:00Z", 3);
	testdir_put(&d, "hist/deeper/c.json", text.s, text.len, 0644);
	testdir_put(&d, "hist/deeper/a.json", "{\"format_", 9, 0644);
	testdir_put(&d, "hist/deeper/notes.txt", "x", 1, 0644);
	assert_int_equal(history_read(&h, dir, &warn, &err), 0);
	/* the broken file is named, and the others are read, oldest first */
	buf_addf(&want, "skipping history snapshot '%s/a.json': not valid "
		 "JSON", dir);
	assert_non_null(strstr(warn.s, want.s));
	assert_int_equal(strchr(warn.s, '\n') - warn.s + 1, (long)warn.len);
	assert_int_equal(h.nr, 2);
	assert_string_equal(h.snaps[0].file, "c.json");
	assert_string_equal(h.snaps[1].file, "b.json");
	history_release(&h);

	/* written by time, read back, never replacing another */
	doc = json_pack("{s:i, s:[], s:{s:i, s:i, s:i, s:i, s:i, s:i}}",
			"format_version", 1, "workspaces", "totals",
			"billable_workflows", 4, "nested_workflows", 0,
			"editors", 0, "case_operators", 0, "runners", 0,
			"owners", 0);
	assert_int_equal(history_write(dir, 1793782800LL, 123456789L, doc,
				       &path, &err), 0);
	p = strrchr(path.s, '/');
	assert_string_equal(p, "/20261104T090000.123456Z.json");
	assert_int_equal(history_write(dir, 1793782800LL, 123456789L, doc,
				       &path, &err), -1);
	assert_non_null(strstr(err.s, "already exists"));
	buf_reset(&warn);
	assert_int_equal(history_read(&h, dir, &warn, &err), 0);
	assert_int_equal(h.nr, 3);
	assert_string_equal(h.snaps[2].taken, "2026-11-04T09:00:00.123456Z");
	assert_int_equal(h.snaps[2].totals[REPORT_WORKFLOWS], 4);
	history_release(&h);

	/* missing: made; a file in the way: an error */
	buf_reset(&err);
	assert_int_equal(history_read(&h, testdir_at(&d, "new/one"), &warn,
				      &err), 0);
	assert_int_equal(h.nr, 0);
	assert_int_equal(history_read(&h, testdir_at(&d, "hist/deeper/b.json"),
				      &warn, &err), -1);
	assert_non_null(strstr(err.s, "b.json"));
	json_decref(doc);
	free(dir);
	buf_release(&text);
	buf_release(&warn);
	buf_release(&err);
	buf_release(&path);
	buf_release(&want);
	testdir_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history_parse_snapshot),
		cmocka_unit_test(test_history_parse_refuses),
		cmocka_unit_test(test_history_nearest_not_after),
		cmocka_unit_test(test_history_change),
		cmocka_unit_test(test_history_read_and_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
