#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/model.h"
#include "torq/report.h"
#include "torq/utf8.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * The organisation report's three views. The text table is built as a
 * grid of cells first, so column widths are known before a line is
 * written; CSV and JSON are written row by row.
 */

#define FORMAT_VERSION 1

enum column {
	COL_NAME,
	COL_WORKFLOWS,
	COL_NESTED,
	COL_EDITORS,
	COL_OPERATORS,
	COL_RUNNERS,
	COL_OWNERS,
	COL_NR,
};

static const char *const headers[COL_NR] = {
	"workspace", "workflows", "nested", "editors", "case operators",
	"runners", "owners",
};

/* The JSON and CSV names of the figures, in column order. */
static const char *const keys[COL_NR] = {
	"name", "billable_workflows", "nested_workflows", "editors",
	"case_operators", "runners", "owners",
};

const char *const report_figure_key[REPORT_FIGURES] = {
	"billable_workflows", "nested_workflows", "editors",
	"case_operators", "runners", "owners",
};

const char *const report_figure_label[REPORT_FIGURES] = {
	"workflows", "nested", "editors", "case operators", "runners",
	"owners",
};

/* a + b, held at LONG_MAX or LONG_MIN instead of overflowing. */
static long add_sat(long a, long b)
{
	if (b > 0 && a > LONG_MAX - b)
		return LONG_MAX;
	if (b < 0 && a < LONG_MIN - b)
		return LONG_MIN;
	return a + b;
}

static int cmp_email(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t distinct_owners(const struct model_workspace *ws, size_t nr)
{
	const char **all = NULL;
	size_t all_nr = 0, all_alloc = 0, i, j, n = 0;

	for (i = 0; i < nr; i++)
		for (j = 0; j < ws[i].owners_nr; j++) {
			if (!ws[i].owners[j])
				continue;
			ALLOC_GROW(all, all_nr + 1, all_alloc);
			all[all_nr++] = ws[i].owners[j];
		}
	if (all_nr)
		qsort(all, all_nr, sizeof(*all), cmp_email);
	for (i = 0; i < all_nr; i++)
		if (!i || strcasecmp(all[i - 1], all[i]))
			n++;
	free(all);
	return n;
}

void report_totals(const struct model_workspace *ws, size_t nr,
		   struct report_totals *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->workspaces = nr;
	for (i = 0; i < nr; i++) {
		out->workflows = add_sat(out->workflows, ws[i].workflows_usage);
		out->nested = add_sat(out->nested, ws[i].nested_usage);
		out->editors = add_sat(out->editors, ws[i].editors_usage);
		out->case_operators = add_sat(out->case_operators,
					      ws[i].cases_operators_usage);
		out->runners = add_sat(out->runners, ws[i].runners_usage);
	}
	out->owners = distinct_owners(ws, nr);
}

void report_figures(const struct model_workspace *w,
		    long out[REPORT_FIGURES])
{
	out[REPORT_WORKFLOWS] = w->workflows_usage;
	out[REPORT_NESTED] = w->nested_usage;
	out[REPORT_EDITORS] = w->editors_usage;
	out[REPORT_OPERATORS] = w->cases_operators_usage;
	out[REPORT_RUNNERS] = w->runners_usage;
	out[REPORT_OWNERS] = w->owners_nr > LONG_MAX ? LONG_MAX :
		(long)w->owners_nr;
}

void report_total_figures(const struct report_totals *t,
			  long out[REPORT_FIGURES])
{
	out[REPORT_WORKFLOWS] = t->workflows;
	out[REPORT_NESTED] = t->nested;
	out[REPORT_EDITORS] = t->editors;
	out[REPORT_OPERATORS] = t->case_operators;
	out[REPORT_RUNNERS] = t->runners;
	out[REPORT_OWNERS] = t->owners > LONG_MAX ? LONG_MAX :
		(long)t->owners;
}

/* The figures of a workspace or of the totals, in column order. */
static void figures(const struct model_workspace *w,
		    const struct report_totals *t, long out[COL_NR])
{
	long fig[REPORT_FIGURES];
	size_t i;

	if (w)
		report_figures(w, fig);
	else
		report_total_figures(t, fig);
	memset(out, 0, COL_NR * sizeof(*out));
	/* the columns of the figures, owners left out (shown as text) */
	for (i = COL_WORKFLOWS; i < COL_OWNERS; i++)
		out[i] = fig[i - COL_WORKFLOWS];
}

/* Text. */

/* One row of cells, each a cleaned string. */
struct row {
	struct buf cell[COL_NR];
};

static void fill_row(struct row *r, const struct model_workspace *w,
		     const struct report_totals *t)
{
	long fig[COL_NR];
	size_t i;

	for (i = 0; i < COL_NR; i++)
		buf_init(&r->cell[i]);
	figures(w, t, fig);
	for (i = COL_WORKFLOWS; i < COL_OWNERS; i++)
		buf_addf(&r->cell[i], "%ld", fig[i]);
	if (!w) {
		buf_addf(&r->cell[COL_NAME], "total (%zu workspace%s)",
			 t->workspaces, t->workspaces == 1 ? "" : "s");
		buf_addf(&r->cell[COL_OWNERS], "%zu distinct", t->owners);
		return;
	}
	if (w->name)
		utf8_add_clean(&r->cell[COL_NAME], w->name);
	else
		buf_addstr(&r->cell[COL_NAME], "(no name)");
	for (i = 0; i < w->owners_nr; i++) {
		if (i)
			buf_addstr(&r->cell[COL_OWNERS], ", ");
		utf8_add_clean(&r->cell[COL_OWNERS], w->owners[i] ?
			       w->owners[i] : "");
	}
	if (!r->cell[COL_OWNERS].len)
		buf_addstr(&r->cell[COL_OWNERS], "(none)");
}

/*
 * A cleaned (valid UTF-8) cell takes one column per code point. Wide East
 * Asian characters take two on a terminal and shift the rest of their
 * row; the figures stay right.
 */
static void add_cell(struct buf *out, const char *s, size_t w,
		     enum column c)
{
	size_t pad = w - utf8_count(s);

	if (c > COL_NAME)
		buf_addstr(out, "  ");
	if (c > COL_NAME && c < COL_OWNERS)
		buf_addchars(out, ' ', pad);
	buf_addstr(out, s);
	/* the last column is not padded: no white space ends a line */
	if (c == COL_NAME)
		buf_addchars(out, ' ', pad);
}

static void add_rule(struct buf *out, const size_t w[COL_NR])
{
	size_t i;

	for (i = 0; i < COL_NR; i++) {
		if (i)
			buf_addstr(out, "  ");
		buf_addchars(out, '-', w[i]);
	}
	buf_addch(out, '\n');
}

static void add_text_row(struct buf *out, const struct row *r,
			 const size_t w[COL_NR])
{
	size_t i;

	for (i = 0; i < COL_NR; i++)
		add_cell(out, r->cell[i].s, w[i], (enum column)i);
	buf_addch(out, '\n');
}

void report_text(const struct model_workspace *ws, size_t nr,
		 struct buf *out)
{
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
		"  owners          users with the Owner role; the total "
		"counts distinct\n"
		"                  e-mails\n";
	struct report_totals t;
	struct row *rows = xcalloc(nr + 1, sizeof(*rows));
	size_t w[COL_NR], i, j;

	report_totals(ws, nr, &t);
	for (i = 0; i <= nr; i++)
		fill_row(&rows[i], i < nr ? &ws[i] : NULL, &t);
	for (j = 0; j < COL_NR; j++) {
		w[j] = utf8_count(headers[j]);
		for (i = 0; i <= nr; i++)
			if (utf8_count(rows[i].cell[j].s) > w[j])
				w[j] = utf8_count(rows[i].cell[j].s);
	}
	for (j = 0; j < COL_NR; j++)
		add_cell(out, headers[j], w[j], (enum column)j);
	buf_addch(out, '\n');
	add_rule(out, w);
	for (i = 0; i < nr; i++)
		add_text_row(out, &rows[i], w);
	add_rule(out, w);
	add_text_row(out, &rows[nr], w);
	buf_addstr(out, legend);
	for (i = 0; i <= nr; i++)
		for (j = 0; j < COL_NR; j++)
			buf_release(&rows[i].cell[j]);
	free(rows);
}

/* CSV. */

static void add_csv_field(struct buf *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		buf_addstr(out, s);
		return;
	}
	buf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addch(out, '"');
		buf_addch(out, *s);
	}
	buf_addch(out, '"');
}

/* The names of the changes' columns and fields, after a figure's key. */
static const char *const since_suffix[2] = {
	"_since_previous", "_since_30_days",
};

/* Row row's changes, as CSV columns: empty when unknown. */
static void add_csv_changes(struct buf *out, const struct report_history *h,
			    size_t row)
{
	const struct report_change *c;
	size_t i, k;

	for (k = 0; h && k < 2; k++) {
		c = k ? &h->month : &h->previous;
		for (i = 0; i < REPORT_FIGURES; i++) {
			buf_addch(out, ',');
			if (!c->since || !c->known[row])
				continue;
			if (c->delta[row][i])
				buf_addf(out, "%+ld", c->delta[row][i]);
			else
				buf_addch(out, '0');
		}
	}
}

static void add_csv_row(struct buf *out, const char *name, const char *id,
			const long fig[COL_NR], const char *owners)
{
	size_t i;

	add_csv_field(out, name ? name : "");
	buf_addch(out, ',');
	add_csv_field(out, id ? id : "");
	for (i = COL_WORKFLOWS; i < COL_OWNERS; i++)
		buf_addf(out, ",%ld", fig[i]);
	buf_addch(out, ',');
	add_csv_field(out, owners);
}

void report_csv(const struct model_workspace *ws, size_t nr,
		const struct report_history *h, struct buf *out)
{
	struct report_totals t;
	struct buf owners = BUF_INIT;
	long fig[COL_NR];
	size_t i, j;

	report_totals(ws, nr, &t);
	buf_addf(out, "%s,id", keys[COL_NAME]);
	for (i = COL_WORKFLOWS; i < COL_NR; i++)
		buf_addf(out, ",%s", keys[i]);
	for (j = 0; h && j < 2; j++)
		for (i = 0; i < REPORT_FIGURES; i++)
			buf_addf(out, ",%s%s", report_figure_key[i],
				 since_suffix[j]);
	buf_addstr(out, "\r\n");
	for (i = 0; i < nr; i++) {
		buf_reset(&owners);
		for (j = 0; j < ws[i].owners_nr; j++) {
			if (j)
				buf_addch(&owners, ';');
			buf_addstr(&owners, ws[i].owners[j] ?
				   ws[i].owners[j] : "");
		}
		figures(&ws[i], NULL, fig);
		add_csv_row(out, ws[i].name, ws[i].id, fig, owners.s);
		add_csv_changes(out, h, i);
		buf_addstr(out, "\r\n");
	}
	buf_reset(&owners);
	buf_addf(&owners, "%zu", t.owners);
	figures(NULL, &t, fig);
	add_csv_row(out, "total", NULL, fig, owners.s);
	add_csv_changes(out, h, nr);
	buf_addstr(out, "\r\n");
	buf_release(&owners);
}

/* JSON. */

static void set_figures(json_t *o, const long fig[COL_NR])
{
	size_t i;

	for (i = COL_WORKFLOWS; i < COL_OWNERS; i++)
		json_object_set_new(o, keys[i], json_integer(fig[i]));
}

/* Row row's changes into o: an object of the six figures, or null. */
static void set_changes(json_t *o, const struct report_history *h,
			size_t row)
{
	const struct report_change *c;
	json_t *d;
	size_t i, k;

	for (k = 0; h && k < 2; k++) {
		c = k ? &h->month : &h->previous;
		d = json_null();
		if (c->since && c->known[row]) {
			d = json_object();
			for (i = 0; i < REPORT_FIGURES; i++)
				json_object_set_new(d, report_figure_key[i],
					json_integer(c->delta[row][i]));
		}
		/* "since_previous", "since_30_days" */
		json_object_set_new(o, since_suffix[k] + 1, d);
	}
}

static json_t *time_or_null(const char *t)
{
	return t ? json_string(t) : json_null();
}

json_t *report_json(const struct model_workspace *ws, size_t nr,
		    const struct report_history *h)
{
	json_t *doc = json_object(), *list = json_array(), *o, *owners;
	struct report_totals t;
	long fig[COL_NR];
	size_t i, j;

	report_totals(ws, nr, &t);
	for (i = 0; i < nr; i++) {
		o = json_object();
		owners = json_array();
		json_object_set_new(o, "name", utf8_json_string(ws[i].name));
		json_object_set_new(o, "id", utf8_json_string(ws[i].id));
		figures(&ws[i], NULL, fig);
		set_figures(o, fig);
		for (j = 0; j < ws[i].owners_nr; j++)
			json_array_append_new(owners,
				utf8_json_string(ws[i].owners[j]));
		json_object_set_new(o, "owners", owners);
		set_changes(o, h, i);
		json_array_append_new(list, o);
	}
	o = json_object();
	json_object_set_new(o, "workspaces", json_integer((json_int_t)nr));
	figures(NULL, &t, fig);
	set_figures(o, fig);
	json_object_set_new(o, "owners", json_integer((json_int_t)t.owners));
	set_changes(o, h, nr);
	json_object_set_new(doc, "format_version",
			    json_integer(FORMAT_VERSION));
	json_object_set_new(doc, "source", json_string("api"));
	json_object_set_new(doc, "note", json_string(REPORT_NOTE));
	json_object_set_new(doc, "workspaces", list);
	json_object_set_new(doc, "totals", o);
	if (h)
		json_object_set_new(doc, "history", json_pack("{s:o, s:o}",
			"previous", time_or_null(h->previous.since),
			"30_days", time_or_null(h->month.since)));
	return doc;
}
