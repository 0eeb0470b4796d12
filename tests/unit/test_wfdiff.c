/* What changes in a workflow: normalised YAML, step summary, line diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "torq/wfdiff.h"
#include "torq/wfyaml.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static void compute(const char *old, const char *new,
		    const struct wfdiff_opts *opts, struct wfdiff *d)
{
	struct buf err = BUF_INIT;

	if (wfdiff_compute("old.yaml", old, old ? strlen(old) : 0,
			   "new.yaml", new, new ? strlen(new) : 0, opts, d,
			   &err))
		fail_msg("wfdiff_compute failed: %s", err.s);
	buf_release(&err);
}

static char *normalise(const char *yaml, size_t len)
{
	struct buf out = BUF_INIT, err = BUF_INIT;

	if (wfdiff_normalise("w.yaml", yaml, len, &out, &err))
		fail_msg("normalise failed: %s\n%.*s", err.s, (int)len, yaml);
	buf_release(&err);
	return buf_detach(&out, NULL);
}

static void digest(const char *yaml, size_t len, char out[65])
{
	struct buf err = BUF_INIT;

	if (wfyaml_digest("w.yaml", yaml, len, out, &err))
		fail_msg("digest failed: %s\n%s", err.s, yaml);
	buf_release(&err);
}

/* A copy of s with its first from replaced by to. */
static char *replace(const char *s, const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	const char *at = strstr(s, from);

	assert_non_null(at);
	buf_add(&b, s, (size_t)(at - s));
	buf_addstr(&b, to);
	buf_addstr(&b, at + strlen(from));
	return buf_detach(&b, NULL);
}

static void expect_names(char **got, size_t nr, const char *const *want,
			 size_t want_nr)
{
	size_t i;

	assert_int_equal(nr, want_nr);
	for (i = 0; i < nr; i++)
		assert_string_equal(got[i], want[i]);
}

static const char offboarding[] =
	"name: Offboarding\n"
	"trigger:\n"
	"  type: on_demand\n"
	"steps:\n"
	"  - id: disable_account\n"
	"    type: integration\n"
	"    integration: okta\n"
	"    action: deactivate_user\n"
	"    input:\n"
	"      user: \"{{ $.event.email }}\"\n"
	"  - id: notify\n"
	"    type: integration\n"
	"    integration: slack\n"
	"    action: send_message\n"
	"    input:\n"
	"      channel: \"#it\"\n"
	"      text: \"{{ $.event.email }} was offboarded\"\n"
	"  - id: close\n"
	"    type: http\n"
	"    url: https://example.com/close\n";

static void test_wfdiff_one_value_changed(void **state)
{
	static const char want[] =
		"@@ -11,7 +11,7 @@\n"
		"     action: send_message\n"
		"     input:\n"
		"       channel: \"#it\"\n"
		"-      text: \"{{ $.event.email }} was offboarded\"\n"
		"+      text: \"{{ $.event.email }} was removed\"\n"
		"     integration: slack\n"
		"   - id: close\n"
		"     type: http\n";
	struct wfdiff d;
	struct buf out = BUF_INIT;
	char *new = replace(offboarding, "was offboarded", "was removed");

	(void)state;
	compute(offboarding, new, NULL, &d);
	expect_names(d.changed, d.changed_nr,
		     (const char *const[]){ "notify" }, 1);
	assert_int_equal(d.added_nr + d.removed_nr + d.moved_nr, 0);
	assert_int_equal(d.top_changed_nr, 0);
	assert_int_equal(d.plus, 1);
	assert_int_equal(d.minus, 1);
	assert_int_equal(d.cut, 0);
	assert_int_equal(d.hunks_nr, 1);
	assert_int_equal(d.hunks[0].old_start, 11);
	assert_int_equal(d.hunks[0].lines_nr, 9);
	assert_int_equal(d.lines[4].kind, WFDIFF_DEL);
	assert_int_equal(d.lines[4].old_line, 14);
	assert_int_equal(d.lines[4].new_line, 0);
	assert_int_equal(d.lines[5].kind, WFDIFF_ADD);
	assert_int_equal(d.lines[5].new_line, 14);
	wfdiff_render_text(&d, 0, &out);
	assert_string_equal(out.s, want);
	buf_reset(&out);
	wfdiff_summary_text(&d, &out);
	assert_string_equal(out.s, "steps: 1 changed (notify)");
	buf_reset(&out);
	wfdiff_render_text(&d, 1, &out);
	assert_non_null(strstr(out.s, "\033[36m@@ -11,7 +11,7 @@\033[0m\n"));
	assert_non_null(strstr(out.s, "\033[31m-      text: "));
	assert_non_null(strstr(out.s, "\033[32m+      text: "));
	assert_non_null(strstr(out.s, "\n     integration: slack\n"));
	buf_release(&out);
	wfdiff_release(&d);
	free(new);
}

static void test_wfdiff_formatting_only(void **state)
{
	static const char *const same[] = {
		/* comments, key order, flow style, quoting */
		"# exported by hand\n"
		"steps:\n"
		"- {id: disable_account, type: integration, integration: okta,"
		" action: deactivate_user,\n"
		"   input: {user: '{{ $.event.email }}'}}\n"
		"- type: \"integration\"   # slack\n"
		"  id: notify\n"
		"  input:\n"
		"    text: \"{{ $.event.email }} was offboarded\"\n"
		"    channel: '#it'\n"
		"  action: send_message\n"
		"  integration: slack\n"
		"- {url: \"https://example.com/close\", type: http, id: close}\n"
		"trigger: {type: on_demand}\n"
		"name: 'Offboarding'\n",
		/* JSON is YAML too */
		"{\"steps\": [{\"input\": {\"user\": \"{{ $.event.email }}\"},"
		" \"type\": \"integration\", \"id\": \"disable_account\", "
		"\"action\": \"deactivate_user\", \"integration\": \"okta\"}, "
		"{\"id\": \"notify\", \"type\": \"integration\", "
		"\"integration\": \"slack\", \"action\": \"send_message\", "
		"\"input\": {\"channel\": \"#it\", \"text\": "
		"\"{{ $.event.email }} was offboarded\"}}, {\"id\": \"close\","
		" \"type\": \"http\", \"url\": \"https://example.com/close\"}],"
		" \"name\": \"Offboarding\", \"trigger\": {\"type\": "
		"\"on_demand\"}}",
		/* tags, anchors and aliases, a folded scalar */
		"name: !!str Offboarding\n"
		"trigger: {type: &od on_demand}\n"
		"steps:\n"
		"  - id: disable_account\n"
		"    type: &int integration\n"
		"    integration: okta\n"
		"    action: deactivate_user\n"
		"    input: {user: \"{{ $.event.email }}\"}\n"
		"  - id: notify\n"
		"    type: *int\n"
		"    integration: slack\n"
		"    action: send_message\n"
		"    input:\n"
		"      channel: \"#it\"\n"
		"      text: >-\n"
		"        {{ $.event.email }}\n"
		"        was offboarded\n"
		"  - id: close\n"
		"    type: http\n"
		"    url: https://example.com/close\n",
	};
	static const char want[] =
		"name: Offboarding\n"
		"steps:\n"
		"  - id: disable_account\n"
		"    type: integration\n"
		"    action: deactivate_user\n"
		"    input:\n"
		"      user: \"{{ $.event.email }}\"\n"
		"    integration: okta\n"
		"  - id: notify\n"
		"    type: integration\n"
		"    action: send_message\n"
		"    input:\n"
		"      channel: \"#it\"\n"
		"      text: \"{{ $.event.email }} was offboarded\"\n"
		"    integration: slack\n"
		"  - id: close\n"
		"    type: http\n"
		"    url: https://example.com/close\n"
		"trigger:\n"
		"  type: on_demand\n";
	/* several lines: a block, however they were written */
	static const char *const lines[] = {
		"text: \"a\\n  b\\n\"\n", "text: |\n  a\n    b\n",
		"text: |-\n    a\n    b\n", "text: |-\n  a\n  b\n",
		"- \" a\\n\\n\\n\"\n", "- |2+\n   a\n\n\n",
	};
	char *base = normalise(offboarding, strlen(offboarding)), *n;
	char a[65], b[65];
	struct wfdiff d;
	size_t i;

	(void)state;
	assert_string_equal(base, want);
	digest(offboarding, strlen(offboarding), a);
	for (i = 0; i < ARRAY_SIZE(same); i++) {
		n = normalise(same[i], strlen(same[i]));
		digest(same[i], strlen(same[i]), b);
		assert_string_equal(a, b);
		assert_string_equal(n, base);
		compute(offboarding, same[i], NULL, &d);
		assert_true(wfdiff_empty(&d));
		assert_int_equal(d.lines_nr + d.hunks_nr + d.plus + d.minus, 0);
		wfdiff_release(&d);
		free(n);
	}
	free(base);
	for (i = 0; i < ARRAY_SIZE(lines); i += 2) {
		n = normalise(lines[i], strlen(lines[i]));
		assert_string_equal(n, lines[i + 1]);
		free(n);
	}
}

static void test_wfdiff_steps_added_removed_moved(void **state)
{
	static const char old[] =
		"name: Flow\n"
		"trigger: {type: on_demand}\n"
		"steps:\n"
		"  - {id: a, type: http}\n"
		"  - {id: b, type: http}\n"
		"  - {id: c, type: http}\n"
		"  - {type: log, text: one}\n";
	static const char new[] =
		"name: Flow 2\n"
		"trigger: {type: schedule, cron: '0 7 * * *'}\n"
		"steps:\n"
		"  - {id: c, type: http}\n"
		"  - {id: a, type: http}\n"
		"  - {id: d, type: http}\n"
		"  - {type: log, text: two}\n";
	struct buf out = BUF_INIT;
	struct wfdiff d;

	(void)state;
	compute(old, new, NULL, &d);
	expect_names(d.added, d.added_nr, (const char *const[]){ "d" }, 1);
	expect_names(d.removed, d.removed_nr, (const char *const[]){ "b" },
		     1);
	expect_names(d.changed, d.changed_nr, (const char *const[]){ "#4" },
		     1);
	expect_names(d.moved, d.moved_nr, (const char *const[]){ "c" }, 1);
	expect_names(d.top_changed, d.top_changed_nr,
		     (const char *const[]){ "name", "trigger" }, 2);
	wfdiff_summary_text(&d, &out);
	assert_string_equal(out.s, "steps: 1 added (d), 1 removed (b), "
			    "1 changed (#4), 1 moved (c); name, trigger "
			    "changed");
	buf_release(&out);
	wfdiff_release(&d);
}

static void test_wfdiff_trigger_only(void **state)
{
	struct buf out = BUF_INIT;
	struct wfdiff d;
	char *new = replace(offboarding, "on_demand", "scheduled");

	(void)state;
	compute(offboarding, new, NULL, &d);
	assert_int_equal(d.added_nr + d.removed_nr + d.moved_nr +
			 d.changed_nr, 0);
	expect_names(d.top_changed, d.top_changed_nr,
		     (const char *const[]){ "trigger" }, 1);
	wfdiff_summary_text(&d, &out);
	assert_string_equal(out.s, "trigger changed");
	buf_reset(&out);
	wfdiff_render_text(&d, 0, &out);
	assert_string_equal(out.s, "@@ -17,4 +17,4 @@\n"
			    "     type: http\n"
			    "     url: https://example.com/close\n"
			    " trigger:\n"
			    "-  type: on_demand\n"
			    "+  type: scheduled\n");
	buf_release(&out);
	wfdiff_release(&d);
	free(new);
}

static void test_wfdiff_nested_steps(void **state)
{
	static const char old[] =
		"name: Loop\n"
		"steps:\n"
		"  - id: check\n"
		"    type: condition\n"
		"    branches:\n"
		"      - when: x\n"
		"        steps:\n"
		"          - {id: alert, type: http, url: a}\n"
		"    steps:\n"
		"      - {id: inner, type: log}\n"
		"      - {type: log}\n";
	static const char new[] =
		"name: Loop\n"
		"steps:\n"
		"  - id: check\n"
		"    type: condition\n"
		"    branches:\n"
		"      - when: x\n"
		"        steps:\n"
		"          - {id: alert, type: http, url: b}\n"
		"          - {id: page, type: http}\n"
		"    steps:\n"
		"      - {id: inner, type: log}\n";
	struct wfdiff d;

	(void)state;
	compute(old, new, NULL, &d);
	expect_names(d.changed, d.changed_nr,
		     (const char *const[]){ "check/branches/0/alert" }, 1);
	expect_names(d.added, d.added_nr,
		     (const char *const[]){ "check/branches/0/page" }, 1);
	expect_names(d.removed, d.removed_nr,
		     (const char *const[]){ "check/#2" }, 1);
	assert_int_equal(d.moved_nr + d.top_changed_nr, 0);
	wfdiff_release(&d);
}

static void test_wfdiff_import_and_delete(void **state)
{
	struct buf out = BUF_INIT;
	struct wfdiff d;

	(void)state;
	compute(NULL, "name: X\nsteps: [{id: a}, {id: b}]\n", NULL, &d);
	expect_names(d.added, d.added_nr, (const char *const[]){ "a", "b" },
		     2);
	expect_names(d.top_changed, d.top_changed_nr,
		     (const char *const[]){ "name" }, 1);
	wfdiff_render_text(&d, 0, &out);
	assert_string_equal(out.s, "@@ -0,0 +1,4 @@\n+name: X\n+steps:\n"
			    "+  - id: a\n+  - id: b\n");
	assert_string_equal(d.old_text, "");
	wfdiff_release(&d);
	buf_reset(&out);
	compute("name: X\n", "", NULL, &d);
	wfdiff_render_text(&d, 0, &out);
	assert_string_equal(out.s, "@@ -1 +0,0 @@\n-name: X\n");
	wfdiff_release(&d);

	/* long lists are cut in the summary */
	buf_reset(&out);
	compute(NULL, "steps: [{id: a}, {id: b}, {id: c}, {id: d}, {id: e}, "
		"{id: f}, {id: g}]\n", NULL, &d);
	wfdiff_summary_text(&d, &out);
	assert_string_equal(out.s, "all new; steps: 7 added (a, b, c, d, e and "
			    "2 more)");
	assert_false(wfdiff_empty(&d));
	buf_release(&out);
	wfdiff_release(&d);
}

static void test_wfdiff_volatile_dropped(void **state)
{
	static const char old[] =
		"name: V\n"
		"workflow_id: 1111\n"
		"revision_id: r1\n"
		"created_at: 2026-01-01T00:00:00Z\n"
		"updated_at: 2026-01-02T00:00:00Z\n"
		"ui: {zoom: 1}\n"
		"steps:\n"
		"  - id: a\n"
		"    type: http\n"
		"    position: {x: 10, y: 20}\n"
		"    ui: {collapsed: true}\n"
		"    updated_at: 2026-01-02T00:00:00Z\n"
		"    workflow_id: w1\n"
		"    input: {position: 3, created_at: t1}\n";
	static const char new[] =
		"name: V\n"
		"workflow_id: 2222\n"
		"revision_id: r2\n"
		"created_at: 2026-02-01T00:00:00Z\n"
		"updated_at: 2026-02-02T00:00:00Z\n"
		"ui: {zoom: 2}\n"
		"steps:\n"
		"  - id: a\n"
		"    type: http\n"
		"    position: {x: 50, y: 60}\n"
		"    workflow_id: w1\n"
		"    input: {position: 3, created_at: t1}\n";
	static const char want[] =
		"name: V\n"
		"steps:\n"
		"  - id: a\n"
		"    type: http\n"
		"    input:\n"
		"      created_at: t1\n"
		"      position: 3\n"
		"    workflow_id: w1\n";
	char *n = normalise(old, strlen(old));
	struct wfdiff d;

	(void)state;
	assert_string_equal(n, want);
	compute(old, new, NULL, &d);
	assert_true(wfdiff_empty(&d));
	wfdiff_release(&d);
	free(n);
}

static void test_wfdiff_cut(void **state)
{
	struct wfdiff_opts opts = WFDIFF_OPTS_INIT;
	struct buf old = BUF_INIT, new = BUF_INIT, out = BUF_INIT;
	struct wfdiff d;
	json_t *json, *hunks;
	size_t i, total;

	(void)state;
	buf_addstr(&old, "steps:\n");
	buf_addstr(&new, "steps:\n");
	for (i = 0; i < 40; i++) {
		buf_addf(&old, "  - {id: s%zu, n: %zu}\n", i, i);
		buf_addf(&new, "  - {id: s%zu, n: %zu}\n", i,
			 i % 10 ? i : i + 100);
	}
	compute(old.s, new.s, &opts, &d);
	total = d.lines_nr;
	assert_int_equal(d.cut, 0);
	assert_int_equal(d.hunks_nr, 4);
	assert_int_equal(d.plus, 4);
	assert_int_equal(d.minus, 4);
	wfdiff_release(&d);

	opts.max_lines = 12;
	compute(old.s, new.s, &opts, &d);
	assert_int_equal(d.lines_nr, 12);
	assert_int_equal(d.cut, total - 12);
	assert_int_equal(d.plus, 4);
	assert_int_equal(d.hunks_nr, 2);
	assert_int_equal(d.hunks[1].line, d.hunks[0].lines_nr);
	wfdiff_render_text(&d, 0, &out);
	buf_reset(&new);
	buf_addf(&new, "\n\xe2\x80\xa6 %zu more lines\n", total - 12);
	assert_non_null(strstr(out.s, new.s));
	buf_reset(&out);
	wfdiff_render_markdown(&d, &out);
	assert_int_equal(strncmp(out.s, "```diff\n@@ -1,6 +1,6 @@\n", 24), 0);
	buf_reset(&new);
	buf_addf(&new, "\n```\n\xe2\x80\xa6 %zu more lines\n", total - 12);
	assert_string_equal(out.s + out.len - new.len, new.s);
	json = wfdiff_json(&d);
	assert_int_equal(json_integer_value(json_object_get(json, "cut")),
			 total - 12);
	hunks = json_object_get(json, "hunks");
	assert_int_equal(json_array_size(hunks), 2);
	/* the second hunk's header and three of its lines were kept */
	assert_int_equal(json_array_size(json_object_get(
		json_array_get(hunks, 1), "lines")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(json_array_get(hunks, 0), "lines"), 2),
		"kind")), "removed");
	json_decref(json);
	wfdiff_release(&d);

	buf_release(&old);
	buf_release(&new);
	buf_release(&out);
}

/*
 * Apply d's hunks to old (d made with context >= 0, nothing cut) and
 * check that the result is new, each context and '-' line matching.
 */
static void check_patch(const struct wfdiff *d)
{
	struct buf got = BUF_INIT;
	const char *p = d->old_text;
	size_t line = 1, i;

	assert_int_equal(d->cut, 0);
	for (i = 0; i < d->lines_nr; i++) {
		const struct wfdiff_line *l = &d->lines[i];
		const struct wfdiff_hunk *h;
		size_t len;

		if (l->kind == WFDIFF_HUNK) {
			h = &d->hunks[0];
			while (h->line != i)
				h++;
			/* copy the lines before the hunk */
			while (line < h->old_start + (h->old_nr == 0)) {
				len = strcspn(p, "\n") + 1;
				buf_add(&got, p, len);
				p += len;
				line++;
			}
			continue;
		}
		if (l->kind == WFDIFF_ADD) {
			buf_addf(&got, "%s\n", l->text);
			continue;
		}
		len = strcspn(p, "\n");
		assert_int_equal(len, strlen(l->text));
		assert_memory_equal(p, l->text, len);
		assert_int_equal(l->old_line, line);
		if (l->kind == WFDIFF_CONTEXT)
			buf_addf(&got, "%s\n", l->text);
		p += len + 1;
		line++;
	}
	buf_addstr(&got, p);
	assert_string_equal(got.s, d->new_text);
	buf_release(&got);
}

/*
 * CPU seconds a large diff may take: more under valgrind (make valgrind
 * exports VALGRIND), which runs code some fifty times slower.
 */
static double limit(double secs)
{
	const char *v = getenv("VALGRIND");

	return v && *v ? secs * 100 : secs;
}

static void test_wfdiff_large_is_fast_and_right(void **state)
{
	struct buf old = BUF_INIT, new = BUF_INIT;
	struct wfdiff d;
	clock_t start;
	double secs;
	size_t i;

	(void)state;
	buf_addstr(&old, "name: Big\nsteps:\n");
	buf_addstr(&new, "name: Big\nsteps:\n");
	for (i = 0; i < 1000; i++) {
		const char *fmt = "  - id: s%zu\n    type: http\n"
			"    url: https://example.com/%zu\n"
			"    input: {n: %zu}\n";

		buf_addf(&old, fmt, i, i, i);
		if (i == 500)
			continue;
		if (i == 100 || i == 900)
			buf_addf(&new, fmt, i + 5000, i, i);
		else
			buf_addf(&new, fmt, i, i, i == 700 ? 7 : i);
		if (i == 300)
			buf_addf(&new, fmt, i + 10000, i, i);
	}
	start = clock();
	compute(old.s, new.s, NULL, &d);
	secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_true(secs < limit(2.0));
	assert_true(strlen(d.old_text) > 50000);
	expect_names(d.removed, d.removed_nr, (const char *const[]){ "s100",
		     "s500", "s900" }, 3);
	expect_names(d.added, d.added_nr, (const char *const[]){ "s5100",
		     "s10300", "s5900" }, 3);
	expect_names(d.changed, d.changed_nr, (const char *const[]){ "s700" },
		     1);
	assert_int_equal(d.minus, 1 + 5 + 1 + 1);
	assert_int_equal(d.plus, 1 + 5 + 1 + 1);
	check_patch(&d);
	wfdiff_release(&d);

	/* nothing in common at all: the worst case for Myers */
	buf_reset(&old);
	buf_reset(&new);
	for (i = 0; i < 5000; i++) {
		buf_addf(&old, "- a%zu\n", i);
		buf_addf(&new, "- b%zu\n", i);
	}
	start = clock();
	compute(old.s, new.s, NULL, &d);
	secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_true(secs < limit(5.0));
	assert_int_equal(d.minus, 5000);
	assert_int_equal(d.plus, 5000);
	check_patch(&d);
	wfdiff_release(&d);

	/* every other line changed, beyond the search's budget: still right */
	buf_reset(&old);
	buf_reset(&new);
	for (i = 0; i < 30000; i++) {
		buf_addf(&old, "- a%zu\n", i);
		buf_addf(&new, "- %c%zu\n", i % 2 ? 'a' : 'b', i);
	}
	start = clock();
	compute(old.s, new.s, NULL, &d);
	secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_true(secs < limit(5.0));
	assert_true(d.minus >= 15000);
	check_patch(&d);
	wfdiff_release(&d);
	buf_release(&old);
	buf_release(&new);
}

/* A small generator (C's example rand), the same on every machine. */
static unsigned next_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

/* The longest common subsequence's length, by dynamic programming. */
static size_t lcs(const char **a, size_t n, const char **b, size_t m)
{
	size_t *row = xcalloc((m + 1) * (n + 1), sizeof(*row));
	size_t i, j, r;

	for (i = 1; i <= n; i++)
		for (j = 1; j <= m; j++)
			row[i * (m + 1) + j] = !strcmp(a[i - 1], b[j - 1]) ?
				row[(i - 1) * (m + 1) + j - 1] + 1 :
				row[(i - 1) * (m + 1) + j] >
				row[i * (m + 1) + j - 1] ?
				row[(i - 1) * (m + 1) + j] :
				row[i * (m + 1) + j - 1];
	r = row[n * (m + 1) + m];
	free(row);
	return r;
}

/* Random sequences: the diff applies and is as short as can be. */
static void test_wfdiff_random_minimal(void **state)
{
	static const char *const words[] = { "a", "b", "c", "d", "e" };
	struct wfdiff_opts opts = WFDIFF_OPTS_INIT;
	const char *a[120], *b[120];
	struct buf old = BUF_INIT, new = BUF_INIT;
	struct wfdiff d;
	unsigned seed = 12345;
	size_t n, m, i, round;

	(void)state;
	for (round = 0; round < 500; round++) {
		buf_reset(&old);
		buf_reset(&new);
		n = next_rand(&seed) % ARRAY_SIZE(a);
		m = next_rand(&seed) % ARRAY_SIZE(b);
		for (i = 0; i < n; i++) {
			a[i] = words[next_rand(&seed) % ARRAY_SIZE(words)];
			buf_addf(&old, "- %s\n", a[i]);
		}
		for (i = 0; i < m; i++) {
			b[i] = words[next_rand(&seed) % ARRAY_SIZE(words)];
			buf_addf(&new, "- %s\n", b[i]);
		}
		opts.context = (int)(round % 4);
		compute(old.s, new.s, &opts, &d);
		if (n && m) {
			assert_int_equal(d.plus + d.minus,
					 n + m - 2 * lcs(a, n, b, m));
			check_patch(&d);
		}
		wfdiff_release(&d);
	}
	buf_release(&old);
	buf_release(&new);
}

static const char *const tricky[] = {
	"yes", "no", "on", "123", "-7", "1.5", "1e3", "0x1F", "0o17", ".inf",
	"-.5", "+1", "null", "Null", "~", "true", "False", "", " lead",
	"trail ", "a: b", "a:b", "key:", "#x", "a #b", "a#b", "- x", "-x",
	"? x", "?x", ":x", "[a]", "{a}", "a,b", "@at", "`tick", "%pct", "!t",
	"&an", "*al", "|", ">", "'single'", "\"double\"", "back\\slash",
	"...", "---", "--- x", "{{ $.event.email }}", "tab\there",
	"multi\nline\n", "multi\nline", "x\n\n", "\n\nlead", "\n lead",
	" sp\nline", "trailing \nspace", "line\n  indented\n", "cr\r\n",
	"unicode \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
	"ls\xe2\x80\xa8ps\xe2\x80\xa9", "nel\xc2\x85", "bidi \xe2\x80\xae",
	"bom\xef\xbb\xbf", "esc\x1b[31m", "del\x7f", "\xc2\xa0nbsp", "=",
	"<<", "0", "-", "a -", "x\n", " ", "\n", "\n\n", "a\n\nb",
};

/* A document of the tricky strings as values, keys and sequence items. */
static json_t *tricky_doc(void)
{
	json_t *doc = json_object(), *keys = json_object(), *seq = json_array();
	json_t *deep = json_array();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tricky); i++) {
		json_object_set_new(keys, tricky[i], json_string(tricky[i]));
		json_array_append_new(seq, json_string(tricky[i]));
	}
	json_array_append_new(deep, json_pack("[[s, s], {s:[s]}, {}, []]",
					      "a\nb", "c: d", "k", "e\nf"));
	json_array_append_new(deep, json_pack("{s:{s:s}}", "x", "y",
					      " sp\nz\n"));
	json_object_set_new(doc, "keys", keys);
	json_object_set_new(doc, "seq", seq);
	json_object_set_new(doc, "deep", deep);
	json_object_set_new(doc, "numbers", json_pack("[i, I, f, f, f, f]",
		-5, 9007199254740993LL, 1.5, -0.0, 1e300, 0.1));
	json_object_set_new(doc, "nul", json_stringn("a\0b", 3));
	return doc;
}

/*
 * JSON of node as YAML input: ASCII and DEL escaped, so that no raw
 * control character meets libyaml; YAML has no surrogate pairs, so
 * U+1F600 as "\U".
 */
static char *as_input(const json_t *node)
{
	char *text = json_dumps(node, JSON_SORT_KEYS | JSON_ENSURE_ASCII |
				JSON_ENCODE_ANY);

	char *fixed;

	while (strstr(text, "\\uD83D\\uDE00") || strchr(text, 0x7f)) {
		if (strchr(text, 0x7f))
			fixed = replace(text, "\x7f", "\\u007f");
		else
			fixed = replace(text, "\\uD83D\\uDE00",
					"\\U0001f600");
		free(text);
		text = fixed;
	}
	return text;
}

/* Normalising keeps the digest and is idempotent. */
static void round_trip(const char *yaml)
{
	char before[65], after[65];
	char *n = normalise(yaml, strlen(yaml)), *again;

	digest(yaml, strlen(yaml), before);
	digest(n, strlen(n), after);
	if (strcmp(before, after))
		fail_msg("digest changed for:\n%s\nnormalised:\n%s", yaml, n);
	again = normalise(n, strlen(n));
	assert_string_equal(again, n);
	free(again);
	free(n);
}

/* The same for node (stolen) written as JSON. */
static void round_trip_json(json_t *node)
{
	char *text = as_input(node);

	round_trip(text);
	free(text);
	json_decref(node);
}

static void test_wfdiff_tricky_scalars_round_trip(void **state)
{
	struct buf key = BUF_INIT;
	json_t *doc = tricky_doc();
	char *text, *n;
	size_t i;

	(void)state;
	text = as_input(doc);
	round_trip(text);
	n = normalise(text, strlen(text));
	/* what needs it is quoted, what can stay plain does */
	assert_null(strstr(n, "\n  - \"yes\"\n"));
	assert_non_null(strstr(n, "\n  - yes\n"));
	assert_non_null(strstr(n, "\n  - \"123\"\n"));
	assert_non_null(strstr(n, "\n  - \"null\"\n"));
	assert_non_null(strstr(n, "\n  - \"\"\n"));
	assert_non_null(strstr(n, "\n  - \" lead\"\n"));
	assert_non_null(strstr(n, "\n  - \"a: b\"\n"));
	assert_non_null(strstr(n, "\n  - \"#x\"\n"));
	assert_non_null(strstr(n, "\n  - |\n    multi\n    line\n"));
	assert_non_null(strstr(n, "\n  - \"ls\\u2028ps\\u2029\"\n"));
	assert_non_null(strstr(n, "\n  - \"trailing \\nspace\"\n"));
	assert_non_null(strstr(n, "\n  - unicode \xc3\xa9"));
	free(n);
	free(text);
	json_decref(doc);

	/* a key longer than libyaml takes without "? " */
	buf_addstr(&key, "? ");
	buf_addchars(&key, 'k', 1500);
	buf_addstr(&key, "\n: {a: [b]}\nx: [a]\n");
	round_trip(key.s);
	buf_release(&key);
	/* each alone as the whole document */
	for (i = 0; i < ARRAY_SIZE(tricky); i++)
		round_trip_json(json_string(tricky[i]));
}

/* Random trees of random tricky text: the digest survives normalising. */
static void test_wfdiff_random_round_trip(void **state)
{
	static const char *const bits[] = { " ", ":", "#", "\n", "-", "'",
		"\"", "a", "\xc3\xa9", "\t", "{", "\\", "1", ".", "?", "|",
		"  ", "\n\n", "x: ", " #", "e", "0" };
	unsigned seed = 99;
	size_t round, i, j, nr;

	(void)state;
	for (round = 0; round < 400; round++) {
		json_t *doc = json_object(), *seq = json_array();
		struct buf s = BUF_INIT;

		for (i = 0; i < 6; i++) {
			buf_reset(&s);
			nr = next_rand(&seed) % 6;
			for (j = 0; j < nr; j++)
				buf_addstr(&s, bits[next_rand(&seed) %
						    ARRAY_SIZE(bits)]);
			json_array_append_new(seq, json_string(s.s));
			json_object_set_new(doc, s.s, json_pack("{s:s, s:[s]}",
					    "v", s.s, "w", s.s));
		}
		json_object_set_new(doc, "seq", seq);
		round_trip_json(doc);
		buf_release(&s);
	}
}

static void test_wfdiff_malformed(void **state)
{
	struct buf err = BUF_INIT;
	struct wfdiff d;

	(void)state;
	assert_int_equal(wfdiff_compute("live", "name: x\n", 8, "wf/x.yaml",
					"name: x\nsteps: [a, b\n", 21, NULL,
					&d, &err), -1);
	if (strncmp(err.s, "wf/x.yaml: line ", 16))
		fail_msg("unexpected message '%s'", err.s);
	assert_null(d.lines);
	wfdiff_release(&d);
	buf_reset(&err);
	assert_int_equal(wfdiff_normalise("d.yaml", "a: 1\na: 2\n", 10, &err,
					  &err), -1);
	assert_non_null(strstr(err.s, "d.yaml: line 2, column 1: duplicate "
			       "key 'a'"));
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wfdiff_one_value_changed),
		cmocka_unit_test(test_wfdiff_formatting_only),
		cmocka_unit_test(test_wfdiff_steps_added_removed_moved),
		cmocka_unit_test(test_wfdiff_trigger_only),
		cmocka_unit_test(test_wfdiff_nested_steps),
		cmocka_unit_test(test_wfdiff_import_and_delete),
		cmocka_unit_test(test_wfdiff_volatile_dropped),
		cmocka_unit_test(test_wfdiff_cut),
		cmocka_unit_test(test_wfdiff_large_is_fast_and_right),
		cmocka_unit_test(test_wfdiff_random_minimal),
		cmocka_unit_test(test_wfdiff_tricky_scalars_round_trip),
		cmocka_unit_test(test_wfdiff_random_round_trip),
		cmocka_unit_test(test_wfdiff_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
