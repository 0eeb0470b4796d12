#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/doc.h"
#include "torq/plan.h"
#include "torq/render.h"
#include "torq/utf8.h"
#include "torq/wfdiff.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * The three views of a plan (docs/plan-format.md). Text and Markdown
 * share one body: the steps sorted into blocks, one per object, grouped
 * by resource. Markdown's diff block differs only in where the sign goes
 * and in "!" for "~", so both come from the same line emitter.
 */

#define GREEN	"\033[32m"
#define YELLOW	"\033[33m"
#define RED	"\033[31m"
#define CYAN	"\033[36m"
#define BOLD	"\033[1m"
#define RESET	"\033[0m"

#define FORMAT_VERSION 1

/* Columns of a block's sign and of the lines inside a block. */
#define BLOCK_INDENT 2
#define FIELD_INDENT 6

struct style {
	int color;
	int diff;	/* Markdown's diff block: signs first, "!" for "~" */
};

/* Integrations, runners, workflows and the workspace go by name: quoted. */
static int quoted_identity(enum plan_resource r)
{
	return r != RES_USER && r != RES_CLAIM_MAPPING;
}

static void add_identity(struct buf *out, enum plan_resource r,
			 const char *identity)
{
	if (!identity)
		identity = "";
	if (quoted_identity(r) || !*identity) {
		buf_addch(out, '\'');
		utf8_add_clean(out, identity);
		buf_addch(out, '\'');
	} else {
		utf8_add_clean(out, identity);
	}
}

/* "claim mapping", "step runner": the JSON name, in words. */
static void add_resource_label(struct buf *out, enum plan_resource r)
{
	buf_addstr(out, plan_resource_label(r));
}

/*
 * One line: indent, then "SIGN text" in the sign's colour, or text alone.
 * In a diff block the sign moves to column 0 and the text keeps its
 * column, so GitHub colours the line and the blocks still line up.
 */
static void add_line(struct buf *out, const struct style *st, size_t indent,
		     char sign, const char *text)
{
	const char *color = sign == '+' ? GREEN : sign == '-' ? RED : YELLOW;

	if (!sign) {
		buf_addchars(out, ' ', indent);
		buf_addstr(out, text);
	} else if (st->diff) {
		buf_addch(out, sign == '~' ? '!' : sign);
		buf_addchars(out, ' ', indent + 1);
		buf_addstr(out, text);
	} else {
		buf_addchars(out, ' ', indent);
		if (st->color)
			buf_addstr(out, color);
		buf_addch(out, sign);
		buf_addch(out, ' ');
		buf_addstr(out, text);
		if (st->color)
			buf_addstr(out, RESET);
	}
	buf_addch(out, '\n');
}

/* A value as shown: never a sensitive one, never an empty word. */
static const char *shown(const struct plan_change *c, const char *v)
{
	return !v ? NULL : c->sensitive ? SENSITIVE : *v ? v : "\"\"";
}

/* "field: before -> after", "field: after", "field: before -> (none)". */
static void add_change_line(struct buf *out, const struct style *st,
			    const struct plan_change *c)
{
	struct buf line = BUF_INIT;
	const char *before = shown(c, c->before), *after = shown(c, c->after);

	utf8_add_clean(&line, c->field && *c->field ? c->field : "(unnamed)");
	buf_addstr(&line, ": ");
	if (before) {
		utf8_add_clean(&line, before);
		buf_addstr(&line, " -> ");
	}
	if (after)
		utf8_add_clean(&line, after);
	else if (before)
		buf_addstr(&line, "(none)");
	else
		buf_addstr(&line, c->sensitive ? SENSITIVE : "(none)");
	add_line(out, st, FIELD_INDENT, 0, line.s);
	buf_release(&line);
}

static int tag_step(enum plan_step_kind k)
{
	return k == STEP_ADD_TAG || k == STEP_REMOVE_TAG;
}

/* Lines of a workflow's diff, under its summary line. */
#define DIFF_INDENT 8

/* "steps: 1 changed (notify)" (wfdiff.h), cleaned. */
static void add_diff_summary(struct buf *out, const struct plan_step *s)
{
	struct buf raw = BUF_INIT;

	wfdiff_summary_text(s->diff, &raw);
	utf8_add_clean(out, raw.s);
	buf_release(&raw);
}

/*
 * A workflow's unified diff, its lines at indent (a context line of
 * nothing is left empty, not a lone space), each '-' red and '+' green
 * with colour, then "... N more lines" when the plan cut it.
 */
static void add_diff_lines(struct buf *out, const struct wfdiff *d,
			   size_t indent, int color)
{
	static const char sign[] = { 0, ' ', '-', '+' };
	const char *paint;
	size_t i, start;

	for (i = 0; i < d->lines_nr; i++) {
		const struct wfdiff_line *l = &d->lines[i];

		paint = !color ? "" : l->kind == WFDIFF_DEL ? RED :
			l->kind == WFDIFF_ADD ? GREEN :
			l->kind == WFDIFF_HUNK ? CYAN : "";
		buf_addchars(out, ' ', indent);
		start = out->len;
		buf_addstr(out, paint);
		if (sign[l->kind])
			buf_addch(out, sign[l->kind]);
		utf8_add_clean(out, l->text);
		if (*paint)
			buf_addstr(out, RESET);
		/* no line ends in white space */
		while (out->len > start - indent &&
		       out->s[out->len - 1] == ' ')
			buf_setlen(out, out->len - 1);
		buf_addch(out, '\n');
	}
	if (d->cut) {
		buf_addchars(out, ' ', indent);
		buf_addf(out, "... %zu more line%s (see the workflow's file)\n",
			 d->cut, d->cut == 1 ? "" : "s");
	}
}

/* A step inside its object's block. */
static void render_step(struct buf *out, const struct style *st,
			const struct plan_step *s)
{
	struct buf line = BUF_INIT;
	size_t i;

	if (tag_step(s->kind)) {
		buf_addstr(&line, "tag ");
		if (s->detail && *s->detail)
			utf8_add_clean(&line, s->detail);
		else
			buf_addstr(&line, "''");
		add_line(out, st, FIELD_INDENT,
			 s->kind == STEP_ADD_TAG ? '+' : '-', line.s);
	}
	for (i = 0; i < s->changes_nr; i++)
		add_change_line(out, st, &s->changes[i]);
	if (s->kind == STEP_PUBLISH_WORKFLOW && !s->changes_nr)
		add_line(out, st, FIELD_INDENT, 0, "published: false -> true");
	if (s->diff) {
		/* Markdown shows the diff itself below the plan's block */
		buf_reset(&line);
		buf_addstr(&line, "diff: ");
		add_diff_summary(&line, s);
		if (st->diff)
			buf_addstr(&line, " (below)");
		add_line(out, st, FIELD_INDENT, 0, line.s);
		if (!st->diff)
			add_diff_lines(out, s->diff, DIFF_INDENT, st->color);
	}
	buf_release(&line);
}

/* Steps sorted into objects: by resource, identity, then plan order. */
struct ref {
	const struct plan_step *step;
	size_t index;
};

/* One object's steps: refs[start .. start + nr), the first at first. */
struct block {
	enum plan_resource resource;
	size_t first, start, nr;
};

static const char *identity_of(const struct ref *r)
{
	return r->step->identity ? r->step->identity : "";
}

static int same_object(const struct ref *a, const struct ref *b)
{
	return a->step->resource == b->step->resource &&
		!strcmp(identity_of(a), identity_of(b));
}

static int ref_cmp(const void *va, const void *vb)
{
	const struct ref *a = va, *b = vb;
	int c;

	if (a->step->resource != b->step->resource)
		return a->step->resource < b->step->resource ? -1 : 1;
	c = strcmp(identity_of(a), identity_of(b));
	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int block_cmp(const void *va, const void *vb)
{
	const struct block *a = va, *b = vb;

	if (a->resource != b->resource)
		return a->resource < b->resource ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

/*
 * "+" when one of the object's steps creates it, "-" when one deletes
 * it, "~" otherwise. A tag added to a workflow that exists is a change
 * of the workflow, not a new one, even though its action is "create".
 */
static char block_sign(const struct ref *refs, size_t nr)
{
	char sign = '~';
	size_t i;

	/* deleted and created again (--replace): it exists at the end */
	for (i = 0; i < nr && sign != '+'; i++) {
		const struct plan_step *s = refs[i].step;

		if (!tag_step(s->kind) && s->action != PLAN_UPDATE)
			sign = s->action == PLAN_CREATE ? '+' : '-';
	}
	return sign;
}

static void render_block(struct buf *out, const struct style *st,
			 const struct ref *refs, size_t nr)
{
	struct buf line = BUF_INIT;
	enum plan_resource r = refs[0].step->resource;
	size_t i;

	add_resource_label(&line, r);
	buf_addch(&line, ' ');
	add_identity(&line, r, refs[0].step->identity);
	add_line(out, st, BLOCK_INDENT, block_sign(refs, nr), line.s);
	for (i = 0; i < nr; i++)
		render_step(out, st, refs[i].step);
	buf_release(&line);
}

/* The blocks, grouped under "# users" headings, a blank line between. */
static void render_body(const struct plan *p, const struct style *st,
			struct buf *out)
{
	struct ref *refs = xcalloc(p->steps_nr + 1, sizeof(*refs));
	struct block *blocks = xcalloc(p->steps_nr + 1, sizeof(*blocks));
	struct block *b;
	size_t i, nr = 0;

	for (i = 0; i < p->steps_nr; i++) {
		refs[i].step = &p->steps[i];
		refs[i].index = i;
	}
	qsort(refs, p->steps_nr, sizeof(*refs), ref_cmp);
	for (i = 0; i < p->steps_nr; i++) {
		if (!i || !same_object(&refs[i - 1], &refs[i])) {
			b = &blocks[nr++];
			b->resource = refs[i].step->resource;
			b->first = refs[i].index;
			b->start = i;
			b->nr = 0;
		}
		blocks[nr - 1].nr++;
	}
	qsort(blocks, nr, sizeof(*blocks), block_cmp);
	for (i = 0; i < nr; i++) {
		b = &blocks[i];
		if (!i || b->resource != blocks[i - 1].resource) {
			if (i)
				buf_addch(out, '\n');
			buf_addchars(out, ' ', BLOCK_INDENT);
			buf_addf(out, "%s# %s%s\n", st->color ? BOLD : "",
				 plan_resource_title(b->resource),
				 st->color ? RESET : "");
		}
		render_block(out, st, refs + b->start, b->nr);
	}
	free(refs);
	free(blocks);
}

static void add_summary(struct buf *out, const struct plan *p)
{
	buf_addf(out, "Plan: %zu to add, %zu to change, %zu to destroy.",
		 p->to_add, p->to_change, p->to_destroy);
}

/* "2 to add, 1 to destroy": the actions a kind has, or "". */
static void add_kind_counts(struct buf *out, const struct plan_counts *k)
{
	const char *sep = "";

	if (k->add) {
		buf_addf(out, "%zu to add", k->add);
		sep = ", ";
	}
	if (k->change) {
		buf_addf(out, "%s%zu to change", sep, k->change);
		sep = ", ";
	}
	if (k->destroy)
		buf_addf(out, "%s%zu to destroy", sep, k->destroy);
}

#define KIND_WIDTH 16	/* "claim mappings:" and a space */

/* Per kind, one line each, for the kinds the plan changes. */
static void add_by_kind(struct buf *out, const struct plan *p, size_t indent)
{
	const struct plan_counts *k;
	size_t r, len;

	for (r = 0; r < RES_NR; r++) {
		k = &p->by_kind[r];
		if (r == RES_WORKSPACE || !(k->add || k->change || k->destroy))
			continue;
		buf_addchars(out, ' ', indent);
		len = out->len;
		buf_addf(out, "%s:", plan_resource_title((enum plan_resource)r));
		buf_addchars(out, ' ', KIND_WIDTH - (out->len - len));
		add_kind_counts(out, k);
		buf_addch(out, '\n');
	}
}

/* What a PR check shows: one word for the whole plan. */
static const char *verdict(const struct plan *p)
{
	return p->refused ? "refused" : p->problems_nr ? "problems" :
		p->to_destroy ? "destroys" : !plan_empty(p) ? "changes" :
		"no changes";
}

/* "workflow:Offboarding, tag:x" */
static void add_targets(struct buf *out, const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->targets_nr; i++) {
		buf_addstr(out, i ? ", " : "");
		utf8_add_clean(out, p->targets[i]);
	}
}

static const char *workspace_name(const struct plan *p)
{
	return p->workspace ? p->workspace : "";
}

static void add_unmanaged_text(struct buf *out, const struct plan *p)
{
	size_t i;

	buf_addstr(out, p->prune ? "\nKept (not in the manifest, but never "
		   "pruned):\n" : "\nUnmanaged (not in the manifest, left "
		   "alone; --prune deletes them):\n");
	for (i = 0; i < p->unmanaged_nr; i++) {
		const struct plan_unmanaged *u = &p->unmanaged[i];

		buf_addchars(out, ' ', BLOCK_INDENT);
		add_resource_label(out, u->resource);
		buf_addch(out, ' ');
		add_identity(out, u->resource, u->identity);
		if (u->why) {
			buf_addstr(out, " (");
			utf8_add_clean(out, u->why);
			buf_addch(out, ')');
		}
		buf_addch(out, '\n');
	}
}

/* What needs no change but is worth knowing, last. */
static void add_notes_text(struct buf *out, const struct plan *p)
{
	size_t i;

	buf_addstr(out, "\nNotes:\n");
	for (i = 0; i < p->notes_nr; i++) {
		buf_addchars(out, ' ', BLOCK_INDENT);
		add_resource_label(out, p->notes[i].resource);
		buf_addch(out, ' ');
		add_identity(out, p->notes[i].resource, p->notes[i].identity);
		buf_addstr(out, ": ");
		utf8_add_clean(out, p->notes[i].message);
		buf_addch(out, '\n');
	}
}

/* "step runner 'acme-k8s': install command never delivered" */
static void add_problem_line(struct buf *out, const struct plan_problem *pr)
{
	add_resource_label(out, pr->resource);
	buf_addstr(out, " '");
	utf8_add_clean(out, pr->identity);
	buf_addstr(out, "': ");
	utf8_add_clean(out, pr->message);
}

void render_problem(const struct plan_problem *pr, const char *apply,
		    struct buf *out)
{
	add_problem_line(out, pr);
	if (!pr->fix)
		return;
	buf_addf(out, "; '%s ", apply);
	utf8_add_clean(out, pr->fix);
	buf_addstr(out, "' ");
	utf8_add_clean(out, pr->fix_does ? pr->fix_does : "mends it");
}

/* Problems come first: no step of the plan mends them. */
static void add_problems_text(struct buf *out, const struct style *st,
			      const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->problems_nr; i++) {
		const struct plan_problem *pr = &p->problems[i];

		buf_addstr(out, st->color ? "\033[31m! " : "! ");
		add_problem_line(out, pr);
		buf_addstr(out, st->color ? RESET "\n" : "\n");
		if (pr->fix) {
			buf_addstr(out, "  (apply ");
			utf8_add_clean(out, pr->fix);
			buf_addch(out, ' ');
			utf8_add_clean(out, pr->fix_does ? pr->fix_does :
				       "mends it");
			buf_addstr(out, ")\n");
		}
	}
	buf_addch(out, '\n');
}

void render_text(const struct plan *p, int color, struct buf *out)
{
	struct style st = { color, 0 };

	if (p->problems_nr)
		add_problems_text(out, &st, p);
	if (plan_empty(p) && p->problems_nr) {
		buf_addf(out, "No changes, but workspace '");
		utf8_add_clean(out, workspace_name(p));
		buf_addf(out, "' has %zu problem%s (above).\n",
			 p->problems_nr, p->problems_nr == 1 ? "" : "s");
	} else if (plan_empty(p)) {
		buf_addstr(out, "No changes. Workspace '");
		utf8_add_clean(out, workspace_name(p));
		buf_addstr(out, "' matches the manifest.\n");
	} else {
		buf_addstr(out, p->workspace_exists ?
			   "torq-apply will make these changes to workspace '"
			   : "torq-apply will create workspace '");
		utf8_add_clean(out, workspace_name(p));
		buf_addstr(out, p->workspace_exists ? "':\n\n" :
			   "' and make these changes:\n\n");
		render_body(p, &st, out);
		buf_addch(out, '\n');
		add_summary(out, p);
		buf_addch(out, '\n');
		add_by_kind(out, p, BLOCK_INDENT);
	}
	if (p->unchanged)
		buf_addf(out, "%zu unchanged.\n", p->unchanged);
	if (p->targets_nr) {
		buf_addstr(out, "Targeted: only ");
		add_targets(out, p);
		buf_addstr(out, p->targets_nr == 1 ? " and what it depends "
			   "on were planned; the rest is not checked.\n" :
			   " and what they depend on were planned; the rest "
			   "is not checked.\n");
	}
	if (p->unmanaged_nr)
		add_unmanaged_text(out, p);
	if (p->notes_nr)
		add_notes_text(out, p);
}

/* Markdown. */

/* Text outside a code block: what could format, link or tag is escaped. */
static void add_md_text(struct buf *out, const char *s)
{
	struct buf clean = BUF_INIT;
	const char *c;

	utf8_add_clean(&clean, s);
	for (c = clean.s; *c; c++) {
		if (strchr("\\`*_[]<>|~&", *c))
			buf_addch(out, '\\');
		buf_addch(out, *c);
	}
	buf_release(&clean);
}

static size_t longest_run(const char *s, char ch)
{
	size_t run = 0, best = 0;

	for (; *s; s++) {
		run = *s == ch ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

/*
 * A code span holding s exactly: no mention, link or HTML inside one.
 * Its backtick fence is longer than any run in s, and padded with a
 * space (which Markdown strips) when s starts or ends with a backtick.
 */
static void add_md_code(struct buf *out, const char *s)
{
	struct buf clean = BUF_INIT;
	size_t fence;
	int pad;

	utf8_add_clean(&clean, s ? s : "");
	fence = longest_run(clean.s, '`') + 1;
	pad = clean.len && (clean.s[0] == '`' || clean.s[0] == ' ' ||
			    clean.s[clean.len - 1] == '`' ||
			    clean.s[clean.len - 1] == ' ');
	if (!clean.len) {
		buf_addstr(out, "''");
	} else {
		buf_addchars(out, '`', fence);
		buf_addstr(out, pad ? " " : "");
		buf_addstr(out, clean.s);
		buf_addstr(out, pad ? " " : "");
		buf_addchars(out, '`', fence);
	}
	buf_release(&clean);
}

/* Room the workflows' diffs may take in a comment (GitHub's is 65536). */
#define MD_DIFF_BUDGET 40000

/*
 * Each workflow's diff, folded (<details>), below the plan's block: the
 * summary line shows, the diff opens on a click. Past the budget a diff
 * is left out, saying where to see it.
 */
static void add_md_diffs(struct buf *out, const struct plan *p)
{
	struct buf body = BUF_INIT, title = BUF_INIT;
	size_t i, fence, used = 0;

	for (i = 0; i < p->steps_nr; i++) {
		const struct plan_step *s = &p->steps[i];

		if (!s->diff)
			continue;
		buf_reset(&body);
		buf_reset(&title);
		add_diff_lines(&body, s->diff, 0, 0);
		buf_addf(&title, "workflow '%s': ", s->identity);
		add_diff_summary(&title, s);
		buf_addstr(out, "\n<details><summary>");
		utf8_add_html(out, title.s);
		buf_addstr(out, "</summary>\n\n");
		if (used + body.len > MD_DIFF_BUDGET) {
			buf_addstr(out, "The diff is left out: the comment "
				   "would be too long. `torq-apply plan` "
				   "shows it.\n");
		} else {
			used += body.len;
			fence = longest_run(body.s, '`') + 1;
			if (fence < 3)
				fence = 3;
			buf_addchars(out, '`', fence);
			buf_addstr(out, "diff\n");
			buf_addstr(out, body.s);
			buf_addchars(out, '`', fence);
			buf_addch(out, '\n');
		}
		buf_addstr(out, "\n</details>\n");
	}
	buf_release(&body);
	buf_release(&title);
}

/* Per kind, a table: the kinds the plan changes. */
static void add_md_by_kind(struct buf *out, const struct plan *p)
{
	const struct plan_counts *k;
	size_t r, rows = 0;

	for (r = 0; r < RES_NR; r++) {
		k = &p->by_kind[r];
		if (r == RES_WORKSPACE || !(k->add || k->change || k->destroy))
			continue;
		if (!rows++)
			buf_addstr(out, "\n| kind | add | change | destroy |\n"
				   "|---|---:|---:|---:|\n");
		buf_addf(out, "| %s | %zu | %zu | %zu |\n",
			 plan_resource_title((enum plan_resource)r), k->add,
			 k->change, k->destroy);
	}
}

/*
 * The last line, for a PR check to show: "**Verdict: changes.** 3 to
 * add, ... in workspace 'acme'.", the first word one of verdict()'s.
 */
static void add_md_verdict(struct buf *out, const struct plan *p)
{
	buf_addf(out, "\n**Verdict: %s.** ", verdict(p));
	if (p->refused) {
		buf_addstr(out, "Apply would refuse this plan: ");
		add_md_text(out, p->refused);
		buf_addch(out, '.');
	} else if (p->problems_nr) {
		buf_addf(out, "%zu problem%s in workspace '", p->problems_nr,
			 p->problems_nr == 1 ? "" : "s");
		add_md_text(out, workspace_name(p));
		buf_addstr(out, "' that no step mends (above).");
	} else if (plan_empty(p)) {
		buf_addstr(out, "Workspace '");
		add_md_text(out, workspace_name(p));
		buf_addstr(out, "' matches the manifest.");
	} else {
		buf_addf(out, "%zu to add, %zu to change, %zu to destroy in "
			 "workspace '", p->to_add, p->to_change, p->to_destroy);
		add_md_text(out, workspace_name(p));
		buf_addstr(out, p->to_destroy ? "': review what goes." : "'.");
	}
	if (p->targets_nr) {
		struct buf t = BUF_INIT;

		add_targets(&t, p);
		buf_addstr(out, " Targeted: only ");
		add_md_text(out, t.s);
		buf_addstr(out, "; the rest is not checked.");
		buf_release(&t);
	}
	buf_addch(out, '\n');
}

void render_markdown(const struct plan *p, struct buf *out)
{
	struct style st = { 0, 1 };
	struct buf body = BUF_INIT;
	size_t fence, i;

	buf_addstr(out, "### torq-apply plan for workspace '");
	add_md_text(out, workspace_name(p));
	buf_addstr(out, "'\n\n");
	for (i = 0; i < p->problems_nr; i++) {
		buf_addstr(out, "**! ");
		add_resource_label(out, p->problems[i].resource);
		buf_addstr(out, "** ");
		add_md_code(out, p->problems[i].identity);
		buf_addstr(out, ": ");
		add_md_text(out, p->problems[i].message);
		if (p->problems[i].fix) {
			buf_addstr(out, " (apply ");
			add_md_code(out, p->problems[i].fix);
			buf_addch(out, ' ');
			add_md_text(out, p->problems[i].fix_does ?
				    p->problems[i].fix_does : "mends it");
			buf_addch(out, ')');
		}
		buf_addstr(out, "\n\n");
	}
	if (plan_empty(p) && p->problems_nr) {
		buf_addf(out, "**No changes,** but workspace '");
		add_md_text(out, workspace_name(p));
		buf_addf(out, "' has %zu problem%s (above).", p->problems_nr,
			 p->problems_nr == 1 ? "" : "s");
	} else if (plan_empty(p)) {
		buf_addstr(out, "**No changes.** Workspace '");
		add_md_text(out, workspace_name(p));
		buf_addstr(out, "' matches the manifest.");
	} else {
		buf_addstr(out, "**");
		add_summary(out, p);
		buf_addstr(out, "**");
	}
	if (p->unchanged)
		buf_addf(out, " %zu unchanged.", p->unchanged);
	buf_addch(out, '\n');
	if (!plan_empty(p))
		add_md_by_kind(out, p);
	if (!plan_empty(p)) {
		/* a fence longer than any run of backticks inside */
		render_body(p, &st, &body);
		fence = longest_run(body.s, '`') + 1;
		if (fence < 3)
			fence = 3;
		buf_addch(out, '\n');
		buf_addchars(out, '`', fence);
		buf_addstr(out, "diff\n");
		buf_addstr(out, body.s);
		buf_addchars(out, '`', fence);
		buf_addch(out, '\n');
		add_md_diffs(out, p);
	}
	if (p->unmanaged_nr)
		buf_addstr(out, p->prune ? "\nKept (not in the manifest, but "
			   "never pruned):\n\n" : "\nUnmanaged (not in the "
			   "manifest, left alone; `--prune` deletes them):\n\n");
	for (i = 0; i < p->unmanaged_nr; i++) {
		const struct plan_unmanaged *u = &p->unmanaged[i];

		buf_addstr(out, "- ");
		add_resource_label(out, u->resource);
		buf_addch(out, ' ');
		add_md_code(out, u->identity);
		if (u->why) {
			buf_addstr(out, " (");
			add_md_text(out, u->why);
			buf_addch(out, ')');
		}
		buf_addch(out, '\n');
	}
	if (p->notes_nr)
		buf_addstr(out, "\nNotes:\n\n");
	for (i = 0; i < p->notes_nr; i++) {
		buf_addstr(out, "- ");
		add_resource_label(out, p->notes[i].resource);
		buf_addch(out, ' ');
		add_md_code(out, p->notes[i].identity);
		buf_addstr(out, ": ");
		add_md_text(out, p->notes[i].message);
		buf_addch(out, '\n');
	}
	add_md_verdict(out, p);
	buf_release(&body);
}

/* JSON. */

static json_t *value_json(const struct plan_change *c, const char *v)
{
	return !v ? json_null() : c->sensitive ? json_string(SENSITIVE) :
		utf8_json_string(v);
}

static json_t *step_json(const struct plan_step *s, size_t index)
{
	json_t *j = json_object(), *changes = json_array();
	json_t *deps = json_array(), *c;
	size_t i;

	json_object_set_new(j, "index", json_integer((json_int_t)index));
	json_object_set_new(j, "kind",
			    json_string(plan_step_kind_name(s->kind)));
	json_object_set_new(j, "action",
			    json_string(plan_action_name(s->action)));
	json_object_set_new(j, "resource",
			    json_string(plan_resource_name(s->resource)));
	json_object_set_new(j, "identity", utf8_json_string(s->identity));
	json_object_set_new(j, "id", utf8_json_string(s->id));
	/* only when set: older readers see the same JSON */
	if (s->duplicate)
		json_object_set_new(j, "duplicate", json_true());
	if (tag_step(s->kind))
		json_object_set_new(j, "tag", utf8_json_string(s->detail));
	if (s->diff)
		json_object_set_new(j, "diff", wfdiff_json(s->diff));
	for (i = 0; i < s->changes_nr; i++) {
		const struct plan_change *ch = &s->changes[i];

		c = json_object();
		json_object_set_new(c, "field", utf8_json_string(ch->field));
		json_object_set_new(c, "before", value_json(ch, ch->before));
		json_object_set_new(c, "after", value_json(ch, ch->after));
		json_object_set_new(c, "sensitive",
				    json_boolean(ch->sensitive));
		json_array_append_new(changes, c);
	}
	json_object_set_new(j, "changes", changes);
	for (i = 0; i < s->deps_nr; i++)
		json_array_append_new(deps,
				      json_integer((json_int_t)s->deps[i]));
	json_object_set_new(j, "depends_on", deps);
	return j;
}

json_t *render_json(const struct plan *p)
{
	json_t *j = json_object(), *ws = json_object(), *sum = json_object();
	json_t *steps = json_array(), *unmanaged = json_array(), *u, *by;
	size_t i;

	json_object_set_new(j, "format_version",
			    json_integer(FORMAT_VERSION));
	json_object_set_new(ws, "name", utf8_json_string(workspace_name(p)));
	json_object_set_new(ws, "exists", json_boolean(p->workspace_exists));
	json_object_set_new(j, "workspace", ws);
	json_object_set_new(j, "prune", json_boolean(p->prune));
	if (p->dedupe)
		json_object_set_new(j, "dedupe", json_true());
	json_object_set_new(sum, "add", json_integer((json_int_t)p->to_add));
	json_object_set_new(sum, "change",
			    json_integer((json_int_t)p->to_change));
	json_object_set_new(sum, "destroy",
			    json_integer((json_int_t)p->to_destroy));
	json_object_set_new(sum, "unchanged",
			    json_integer((json_int_t)p->unchanged));
	by = json_object();
	for (i = 0; i < RES_NR; i++) {
		const struct plan_counts *k = &p->by_kind[i];

		if (!(k->add || k->change || k->destroy))
			continue;
		u = json_object();
		json_object_set_new(u, "add", json_integer((json_int_t)k->add));
		json_object_set_new(u, "change",
				    json_integer((json_int_t)k->change));
		json_object_set_new(u, "destroy",
				    json_integer((json_int_t)k->destroy));
		json_object_set_new(by, plan_resource_name(
					    (enum plan_resource)i), u);
	}
	json_object_set_new(sum, "by_kind", by);
	json_object_set_new(sum, "verdict", json_string(verdict(p)));
	if (p->refused)
		json_object_set_new(sum, "refused",
				    utf8_json_string(p->refused));
	json_object_set_new(j, "summary", sum);
	if (p->targets_nr) {
		by = json_array();
		for (i = 0; i < p->targets_nr; i++)
			json_array_append_new(by,
					      utf8_json_string(p->targets[i]));
		json_object_set_new(j, "targets", by);
	}
	for (i = 0; i < p->steps_nr; i++)
		json_array_append_new(steps, step_json(&p->steps[i], i));
	json_object_set_new(j, "steps", steps);
	for (i = 0; i < p->unmanaged_nr; i++) {
		u = json_object();
		json_object_set_new(u, "resource", json_string(
				plan_resource_name(p->unmanaged[i].resource)));
		json_object_set_new(u, "identity",
				    utf8_json_string(p->unmanaged[i].identity));
		json_object_set_new(u, "kept_because",
				    utf8_json_string(p->unmanaged[i].why));
		json_array_append_new(unmanaged, u);
	}
	json_object_set_new(j, "unmanaged", unmanaged);
	unmanaged = json_array();
	for (i = 0; i < p->problems_nr; i++) {
		u = json_object();
		json_object_set_new(u, "resource", json_string(
				plan_resource_name(p->problems[i].resource)));
		json_object_set_new(u, "identity",
				    utf8_json_string(p->problems[i].identity));
		json_object_set_new(u, "problem",
				    utf8_json_string(p->problems[i].message));
		json_object_set_new(u, "fix",
				    utf8_json_string(p->problems[i].fix));
		if (p->problems[i].fix_does)
			json_object_set_new(u, "fix_does", utf8_json_string(
						p->problems[i].fix_does));
		json_array_append_new(unmanaged, u);
	}
	/* only when there are some: older readers see the same JSON */
	if (p->problems_nr)
		json_object_set_new(j, "problems", unmanaged);
	else
		json_decref(unmanaged);
	if (p->notes_nr) {
		unmanaged = json_array();
		for (i = 0; i < p->notes_nr; i++) {
			u = json_object();
			json_object_set_new(u, "resource", json_string(
				plan_resource_name(p->notes[i].resource)));
			json_object_set_new(u, "identity", utf8_json_string(
						p->notes[i].identity));
			json_object_set_new(u, "note", utf8_json_string(
						p->notes[i].message));
			json_array_append_new(unmanaged, u);
		}
		json_object_set_new(j, "notes", unmanaged);
	}
	return j;
}
