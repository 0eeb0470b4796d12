#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/history.h"
#include "torq/model.h"
#include "torq/report.h"
#include "torq/report_html.h"
#include "torq/utf8.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * The report's HTML page, written top to bottom into one buffer. Every
 * string from the API goes through report_html_escape(); everything else
 * on the page is constant or a number.
 */

/* Chart geometry, in SVG user units (the charts scale to their box). */
#define CHART_W		480
#define BAR_ROW		26
#define BAR_LABEL	150
#define BAR_AREA	270
#define TREND_H		240
#define TREND_LEFT	40
#define TREND_TOP	12
#define TREND_BOTTOM	28
/* Code points of a name beside a bar; the whole name is its title. */
#define LABEL_MAX	18

static const char *const colour[REPORT_FIGURES] = {
	"#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2",
};

/* Where each figure of a workspace comes from, for the page's footnote. */
static const char *const api_field[REPORT_FIGURES] = {
	"workflows_usage", "nested_usage", "editors_usage",
	"cases_operators_usage", "runners_usage", "owners_emails",
};

static const char style[] =
	"body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"sans-serif;margin:0;padding:1rem;color:#1f2937;background:#fff;"
	"line-height:1.4}\n"
	"main{max-width:72rem;margin:0 auto}\n"
	"h1{font-size:1.5rem;margin:.25rem 0}\n"
	"h2{font-size:1.2rem;margin:1.5rem 0 .5rem}\n"
	".totals{display:grid;grid-template-columns:repeat(auto-fill,"
	"minmax(10rem,1fr));gap:.75rem;margin:0}\n"
	".card{border:1px solid #d1d5db;border-radius:.5rem;"
	"padding:.75rem}\n"
	".card .label{font-size:.85rem;color:#4b5563}\n"
	".card .value{font-size:1.75rem;font-weight:600}\n"
	".charts{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(18rem,1fr));gap:1rem}\n"
	"figure{margin:0;border:1px solid #e5e7eb;border-radius:.5rem;"
	"padding:.5rem}\n"
	"figcaption{font-weight:600;margin-bottom:.25rem}\n"
	"svg{width:100%;height:auto;display:block}\n"
	"svg text{font-size:14px;fill:#374151}\n"
	".scroll{overflow-x:auto}\n"
	"table{border-collapse:collapse;width:100%;font-size:.9rem}\n"
	"th,td{padding:.35rem .5rem;border-bottom:1px solid #e5e7eb;"
	"text-align:right;vertical-align:top}\n"
	"th:first-child,td:first-child,td.drift,th.drift{text-align:left}\n"
	"thead th{background:#f3f4f6;white-space:nowrap}\n"
	"th[data-type]{cursor:pointer}\n"
	"tfoot td{font-weight:600}\n"
	".chg,.owners{display:block;font-size:.75rem;color:#4b5563;"
	"font-weight:400}\n"
	".owners{text-align:left;overflow-wrap:anywhere}\n"
	".ok{color:#15803d}.changes{color:#b45309}.unknown{color:#b91c1c}\n"
	".note{color:#4b5563;font-size:.85rem}\n"
	"@media (max-width:40rem){body{padding:.5rem}"
	".card .value{font-size:1.35rem}}\n";

/*
 * Column sorting: a header cell with data-type sorts its table's body by
 * the cells' data-v ("num") or text. No data from the report is here.
 */
static const char script[] =
	"(function () {\n"
	"  function key(row, col, num) {\n"
	"    var c = row.cells[col];\n"
	"    return num ? Number(c.getAttribute('data-v')) : c.textContent;\n"
	"  }\n"
	"  function sort(th) {\n"
	"    var table = th.closest('table'), body = table.tBodies[0];\n"
	"    var col = th.cellIndex, num = th.getAttribute('data-type') === "
	"'num';\n"
	"    var up = th.getAttribute('aria-sort') !== 'ascending';\n"
	"    var rows = Array.prototype.slice.call(body.rows);\n"
	"    rows.sort(function (a, b) {\n"
	"      var x = key(a, col, num), y = key(b, col, num);\n"
	"      var r = num ? x - y : x.localeCompare(y);\n"
	"      return up ? r : -r;\n"
	"    });\n"
	"    Array.prototype.forEach.call(th.parentNode.cells, function (h) "
	"{\n"
	"      h.removeAttribute('aria-sort');\n"
	"    });\n"
	"    th.setAttribute('aria-sort', up ? 'ascending' : 'descending');\n"
	"    rows.forEach(function (r) { body.appendChild(r); });\n"
	"  }\n"
	"  Array.prototype.forEach.call(document.querySelectorAll("
	"'th[data-type]'),\n"
	"    function (th) {\n"
	"      th.tabIndex = 0;\n"
	"      th.title = 'sort by this column';\n"
	"      th.addEventListener('click', function () { sort(th); });\n"
	"      th.addEventListener('keydown', function (e) {\n"
	"        if (e.key === 'Enter' || e.key === ' ') {\n"
	"          e.preventDefault();\n"
	"          sort(th);\n"
	"        }\n"
	"      });\n"
	"    });\n"
	"}());\n";

void report_html_escape(struct buf *out, const char *s)
{
	utf8_add_html(out, s);
}

/* A workspace's name as text, "(no name)" when the API gave none. */
static void add_name(struct buf *out, const char *name)
{
	if (name)
		report_html_escape(out, name);
	else
		buf_addstr(out, "(no name)");
}

/* The name cut to LABEL_MAX code points, for a chart's label. */
static void add_label(struct buf *out, const char *name)
{
	struct buf clean = BUF_INIT, cut = BUF_INIT;
	unsigned long cp;
	size_t n = 0, len;
	const char *p;

	utf8_add_clean(&clean, name ? name : "(no name)");
	for (p = clean.s; *p && n < LABEL_MAX; p += len, n++) {
		len = utf8_decode(p, &cp);
		buf_add(&cut, p, len);
	}
	if (*p)
		buf_addstr(&cut, "\xe2\x80\xa6");
	/* clean is valid UTF-8 now, so escaping it again changes nothing */
	report_html_escape(out, cut.s);
	buf_release(&clean);
	buf_release(&cut);
}

/* "+3", "-1", "0"; the em dash when unknown. */
static void add_delta(struct buf *out, const struct report_change *c,
		      size_t row, size_t k)
{
	if (!c->since || !c->known[row])
		buf_addstr(out, "\xe2\x80\x94");
	else if (c->delta[row][k])
		buf_addf(out, "%+ld", c->delta[row][k]);
	else
		buf_addch(out, '0');
}

/* "+1 / +3": since the previous snapshot, then since 30 days ago. */
static void add_changes(struct buf *out, const struct report_page *p,
			size_t row, size_t k)
{
	if (!p->change)
		return;
	buf_addstr(out, "<span class=\"chg\">");
	add_delta(out, &p->change->previous, row, k);
	buf_addstr(out, " / ");
	add_delta(out, &p->change->month, row, k);
	buf_addstr(out, "</span>");
}

static void head(struct buf *out, const struct report_page *p)
{
	buf_addstr(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		   "<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, "
		   "initial-scale=1\">\n"
		   "<title>Torq workspaces: licence figures, ");
	history_add_time(out, p->taken);
	buf_addf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n"
		 "<main>\n<h1>Torq workspaces: licence figures</h1>\n"
		 "<p>Read from the Torq API at <time datetime=\"", style);
	history_add_time(out, p->taken);
	buf_addstr(out, "\">");
	history_add_time(out, p->taken);
	buf_addf(out, "</time> (UTC): %zu workspace%s.", p->nr,
		 p->nr == 1 ? "" : "s");
	if (p->change) {
		buf_addstr(out, " Changes are since the previous snapshot (");
		buf_addstr(out, p->change->previous.since ?
			   p->change->previous.since : "none");
		buf_addstr(out, ") / since 30 days ago (");
		buf_addstr(out, p->change->month.since ?
			   p->change->month.since : "none");
		buf_addstr(out, "); \xe2\x80\x94 when there is no figure "
			   "to compare with.");
	}
	buf_addstr(out, "</p>\n");
}

static void totals(struct buf *out, const struct report_page *p,
		   const long tot[REPORT_FIGURES])
{
	size_t k;

	buf_addstr(out, "<section id=\"totals\">\n<h2>Totals</h2>\n"
		   "<div class=\"totals\">\n");
	for (k = 0; k < REPORT_FIGURES; k++) {
		buf_addf(out, "<div class=\"card\"><div class=\"label\">%s%s"
			 "</div><div class=\"value\" data-figure=\"%s\">%ld"
			 "</div>", k == REPORT_OWNERS ? "distinct " : "",
			 report_figure_label[k], report_figure_key[k],
			 tot[k]);
		add_changes(out, p, p->nr, k);
		buf_addstr(out, "</div>\n");
	}
	buf_addstr(out, "</div>\n</section>\n");
}

/* One bar chart: figure k of every workspace. */
static void bars(struct buf *out, const struct report_page *p, size_t k)
{
	long fig[REPORT_FIGURES], max = 1;
	size_t i, h = p->nr * BAR_ROW + 4;

	for (i = 0; i < p->nr; i++) {
		report_figures(&p->ws[i], fig);
		if (fig[k] > max)
			max = fig[k];
	}
	buf_addf(out, "<figure>\n<figcaption>%s</figcaption>\n"
		 "<svg viewBox=\"0 0 %d %zu\" role=\"img\" aria-label=\"%s "
		 "by workspace\" data-chart=\"bars\" data-metric=\"%s\">\n",
		 report_figure_label[k], CHART_W, h, report_figure_label[k],
		 report_figure_key[k]);
	for (i = 0; i < p->nr; i++) {
		report_figures(&p->ws[i], fig);
		buf_addstr(out, "<g aria-label=\"");
		add_name(out, p->ws[i].name);
		buf_addf(out, ": %ld\"><title>", fig[k]);
		add_name(out, p->ws[i].name);
		buf_addf(out, ": %ld</title><text x=\"0\" y=\"%zu\">",
			 fig[k], i * BAR_ROW + 17);
		add_label(out, p->ws[i].name);
		buf_addf(out, "</text><rect x=\"%d\" y=\"%zu\" width=\"%.1f\" "
			 "height=\"%d\" fill=\"%s\"/><text x=\"%.1f\" "
			 "y=\"%zu\">%ld</text></g>\n", BAR_LABEL,
			 i * BAR_ROW + 4,
			 (double)fig[k] * BAR_AREA / (double)max,
			 BAR_ROW - 8, colour[k],
			 BAR_LABEL + 6 + (double)fig[k] * BAR_AREA /
			 (double)max, i * BAR_ROW + 17, fig[k]);
	}
	buf_addstr(out, "</svg>\n</figure>\n");
}

/* A trend chart's scales: time across, the figure up. */
struct scale {
	long long t0, t1;
	long max;
};

static double scale_x(const struct scale *s, long long t)
{
	double span = s->t1 > s->t0 ? (double)(s->t1 - s->t0) : 1.0;

	return TREND_LEFT + (double)(t - s->t0) * (CHART_W - TREND_LEFT - 8) /
		span;
}

static double scale_y(const struct scale *s, long v)
{
	return TREND_TOP + (TREND_H - TREND_TOP - TREND_BOTTOM) *
		(1.0 - (double)v / (double)s->max);
}

/*
 * Figure k of workspace w (NULL: the totals) in snapshot i of the past,
 * or now when i is past->nr. Returns -1 when the workspace was not there.
 */
static int point(const struct report_page *p, const struct model_workspace *w,
		 size_t i, size_t k, long *v, long long *t)
{
	struct report_totals tot;
	long fig[REPORT_FIGURES];

	if (i == p->past->nr) {
		*t = p->taken;
		if (w) {
			report_figures(w, fig);
		} else {
			report_totals(p->ws, p->nr, &tot);
			report_total_figures(&tot, fig);
		}
	} else {
		*t = p->past->snaps[i].sec;
		if (!w)
			memcpy(fig, p->past->snaps[i].totals, sizeof(fig));
		else if (history_find(&p->past->snaps[i], w->id, w->name, fig))
			return -1;
	}
	*v = fig[k];
	return 0;
}

/* One line of the trend chart: workspace w, or the totals. */
static void line(struct buf *out, const struct report_page *p,
		 const struct model_workspace *w, size_t k,
		 const struct scale *s)
{
	const char *sep = "";
	long long t;
	size_t i;
	long v;

	buf_addf(out, "<polyline data-metric=\"%s\" data-series=\"%s\" "
		 "fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"",
		 report_figure_key[k], w ? "workspace" : "total",
		 w ? "#9ca3af" : colour[k], w ? "1" : "3",
		 w ? " stroke-opacity=\"0.7\"" : "");
	for (i = 0; i <= p->past->nr; i++)
		if (!point(p, w, i, k, &v, &t)) {
			buf_addf(out, "%s%.1f,%.1f", sep, scale_x(s, t),
				 scale_y(s, v));
			sep = " ";
		}
	buf_addstr(out, "\"><title>");
	if (w)
		add_name(out, w->name);
	else
		buf_addstr(out, "total");
	buf_addstr(out, "</title></polyline>\n");
}

/* Figure k over time: the total, and each workspace listed now. */
static void trend(struct buf *out, const struct report_page *p, size_t k)
{
	struct scale s;
	long long t;
	size_t i, j;
	long v;

	s.t0 = p->past->nr ? p->past->snaps[0].sec : p->taken;
	s.t1 = p->taken > s.t0 ? p->taken : s.t0;
	s.max = 1;
	for (i = 0; i <= p->past->nr; i++)
		if (!point(p, NULL, i, k, &v, &t) && v > s.max)
			s.max = v;
	buf_addf(out, "<figure>\n<figcaption>%s over time</figcaption>\n"
		 "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s "
		 "over time\" data-chart=\"trend\" data-metric=\"%s\">\n"
		 "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		 "stroke=\"#9ca3af\"/>\n"
		 "<text x=\"0\" y=\"%.1f\">%ld</text>"
		 "<text x=\"0\" y=\"%.1f\">0</text>\n",
		 report_figure_label[k], CHART_W, TREND_H,
		 report_figure_label[k], report_figure_key[k], TREND_LEFT,
		 scale_y(&s, 0), CHART_W - 8, scale_y(&s, 0),
		 scale_y(&s, s.max) + 4, s.max, scale_y(&s, 0));
	buf_addf(out, "<text x=\"%d\" y=\"%d\">", TREND_LEFT, TREND_H - 6);
	history_add_time(out, s.t0);
	buf_addf(out, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
		 CHART_W - 8, TREND_H - 6);
	history_add_time(out, s.t1);
	buf_addstr(out, "</text>\n");
	for (j = 0; j < p->nr; j++)
		line(out, p, &p->ws[j], k, &s);
	line(out, p, NULL, k, &s);
	for (i = 0; i <= p->past->nr; i++)
		if (!point(p, NULL, i, k, &v, &t))
			buf_addf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
				 "fill=\"%s\"/>\n", scale_x(&s, t),
				 scale_y(&s, v), colour[k]);
	buf_addstr(out, "</svg>\n</figure>\n");
}

static void charts(struct buf *out, const struct report_page *p)
{
	size_t k;

	buf_addstr(out, "<section id=\"by-workspace\">\n<h2>By workspace"
		   "</h2>\n");
	if (!p->nr)
		buf_addstr(out, "<p>No workspaces.</p>\n");
	else {
		buf_addstr(out, "<div class=\"charts\">\n");
		for (k = 0; k < REPORT_FIGURES; k++)
			bars(out, p, k);
		buf_addstr(out, "</div>\n");
	}
	buf_addstr(out, "</section>\n");
	if (!p->past)
		return;
	buf_addf(out, "<section id=\"trends\">\n<h2>Over time</h2>\n"
		 "<p class=\"note\">%zu earlier snapshot%s and this one; the "
		 "thick line is the total, the thin ones the workspaces."
		 "</p>\n<div class=\"charts\">\n", p->past->nr,
		 p->past->nr == 1 ? "" : "s");
	for (k = 0; k < REPORT_FIGURES; k++)
		trend(out, p, k);
	buf_addstr(out, "</div>\n</section>\n");
}

/* The drift entry of the workspace named name, or NULL. */
static const json_t *drift_of(const json_t *drift, const char *name)
{
	const json_t *c;
	const char *w;
	size_t i;

	json_array_foreach(drift, i, c) {
		w = json_string_value(json_object_get(c, "workspace"));
		if (name && w && !strcmp(w, name))
			return c;
	}
	return NULL;
}

static long long get_int(const json_t *c, const char *key)
{
	return (long long)json_integer_value(json_object_get(c, key));
}

/* "in sync", "N changes (+a ~c -d)" or "unknown: why", with its class. */
static void add_drift(struct buf *out, const json_t *c)
{
	const char *st = c ? json_string_value(json_object_get(c, "status")) :
		NULL;
	long long n;

	if (!c) {
		buf_addstr(out, "<span class=\"unknown\">unknown: not in the "
			   "fleet's plan</span>");
	} else if (st && !strcmp(st, "ok")) {
		buf_addstr(out, "<span class=\"ok\">in sync</span>");
	} else if (st && !strcmp(st, "changes")) {
		n = get_int(c, "add") + get_int(c, "change") +
			get_int(c, "destroy");
		buf_addf(out, "<span class=\"changes\">%lld change%s (+%lld "
			 "~%lld -%lld)</span>", n, n == 1 ? "" : "s",
			 get_int(c, "add"), get_int(c, "change"),
			 get_int(c, "destroy"));
	} else {
		buf_addstr(out, "<span class=\"unknown\">unknown: ");
		report_html_escape(out, json_string_value(
			json_object_get(c, "error")));
		buf_addstr(out, "</span>");
	}
}

static void figure_cells(struct buf *out, const struct report_page *p,
			 size_t row, const long fig[REPORT_FIGURES])
{
	size_t k;

	for (k = 0; k < REPORT_FIGURES; k++) {
		buf_addf(out, "<td data-v=\"%ld\" data-figure=\"%s\">%ld",
			 fig[k], report_figure_key[k], fig[k]);
		add_changes(out, p, row, k);
		if (k == REPORT_OWNERS && row < p->nr &&
		    p->ws[row].owners_nr) {
			size_t j;

			buf_addstr(out, "<span class=\"owners\">");
			for (j = 0; j < p->ws[row].owners_nr; j++) {
				if (j)
					buf_addstr(out, ", ");
				report_html_escape(out, p->ws[row].owners[j]);
			}
			buf_addstr(out, "</span>");
		}
		buf_addstr(out, "</td>");
	}
}

static void table(struct buf *out, const struct report_page *p,
		  const long tot[REPORT_FIGURES])
{
	long fig[REPORT_FIGURES];
	size_t i, k;

	buf_addstr(out, "<section id=\"workspaces\">\n<h2>Workspaces</h2>\n");
	if (p->change)
		buf_addstr(out, "<p class=\"note\">Under each figure: its "
			   "change since the previous snapshot / since 30 "
			   "days ago.</p>\n");
	buf_addstr(out, "<div class=\"scroll\">\n<table>\n<thead>\n<tr>"
		   "<th scope=\"col\" data-type=\"text\">workspace</th>");
	for (k = 0; k < REPORT_FIGURES; k++)
		buf_addf(out, "<th scope=\"col\" data-type=\"num\">%s</th>",
			 report_figure_label[k]);
	if (p->drift)
		buf_addstr(out, "<th scope=\"col\" class=\"drift\" "
			   "data-type=\"text\">template</th>");
	buf_addstr(out, "</tr>\n</thead>\n<tbody>\n");
	for (i = 0; i < p->nr; i++) {
		buf_addstr(out, "<tr><td data-workspace=\"");
		add_name(out, p->ws[i].name);
		buf_addstr(out, "\">");
		add_name(out, p->ws[i].name);
		buf_addstr(out, "</td>");
		report_figures(&p->ws[i], fig);
		figure_cells(out, p, i, fig);
		if (p->drift) {
			buf_addstr(out, "<td class=\"drift\">");
			add_drift(out, drift_of(p->drift, p->ws[i].name));
			buf_addstr(out, "</td>");
		}
		buf_addstr(out, "</tr>\n");
	}
	buf_addf(out, "</tbody>\n<tfoot>\n<tr><td>total (%zu workspace%s)"
		 "</td>", p->nr, p->nr == 1 ? "" : "s");
	figure_cells(out, p, p->nr, tot);
	if (p->drift)
		buf_addstr(out, "<td></td>");
	buf_addstr(out, "</tr>\n</tfoot>\n</table>\n</div>\n</section>\n");
}

/* Every client of the fleet, those whose workspace is not listed too. */
static void fleet(struct buf *out, const json_t *drift)
{
	const json_t *c;
	size_t i;

	buf_addstr(out, "<section id=\"fleet\">\n<h2>Fleet: each client "
		   "against its template</h2>\n<p class=\"note\">A plan of "
		   "each client against the template, reading only: in sync, "
		   "the number of changes apply would make, or unknown and "
		   "why.</p>\n<div class=\"scroll\">\n<table>\n<thead>\n<tr>"
		   "<th scope=\"col\" data-type=\"text\">client</th>"
		   "<th scope=\"col\" data-type=\"text\">workspace</th>"
		   "<th scope=\"col\" class=\"drift\" data-type=\"text\">"
		   "drift</th><th scope=\"col\" class=\"drift\">runners seen "
		   "in the last day</th></tr>\n</thead>\n<tbody>\n");
	json_array_foreach(drift, i, c) {
		buf_addstr(out, "<tr><td>");
		report_html_escape(out, json_string_value(
			json_object_get(c, "name")));
		buf_addstr(out, "</td><td>");
		report_html_escape(out, json_string_value(
			json_object_get(c, "workspace")));
		buf_addstr(out, "</td><td class=\"drift\">");
		add_drift(out, c);
		buf_addstr(out, "</td><td class=\"drift\">");
		if (json_is_integer(json_object_get(c, "runners")))
			buf_addf(out, "%lld of %lld",
				 get_int(c, "runners_seen_1d"),
				 get_int(c, "runners"));
		else
			buf_addstr(out, "\xe2\x80\x94");
		buf_addstr(out, "</td></tr>\n");
	}
	buf_addstr(out, "</tbody>\n</table>\n</div>\n</section>\n");
}

static void sources(struct buf *out, const struct report_page *p)
{
	size_t k;

	buf_addstr(out, "<section id=\"sources\">\n<h2>Where the figures "
		   "come from</h2>\n<ul>\n");
	for (k = 0; k < REPORT_FIGURES; k++)
		buf_addf(out, "<li>%s of a workspace: the API's <code>%s"
			 "</code> in the workspace list (GET /workspaces)%s"
			 "</li>\n", report_figure_label[k], api_field[k],
			 k == REPORT_OWNERS ? ", the e-mails of the users "
			 "with the Owner role, counted by torq-apply" :
			 "; a figure the API leaves out is 0");
	buf_addstr(out, "<li>Totals: computed by torq-apply, the sums over "
		   "the workspaces listed; distinct owners counts e-mails "
		   "without regard to case.</li>\n");
	if (p->change)
		buf_addstr(out, "<li>Changes and trends: computed by "
			   "torq-apply from the snapshots that report "
			   "--history keeps, one per run; a workspace is "
			   "matched by its id.</li>\n");
	if (p->drift)
		buf_addstr(out, "<li>Drift: computed by torq-apply, a plan "
			   "of each client of the fleet file against the "
			   "template, reading only.</li>\n");
	buf_addstr(out, "<li>Snapshot taken ");
	history_add_time(out, p->taken);
	buf_addstr(out, " (UTC) by torq-apply report.</li>\n</ul>\n"
		   "</section>\n");
}

void report_html(const struct report_page *p, struct buf *out)
{
	struct report_totals t;
	long tot[REPORT_FIGURES];

	report_totals(p->ws, p->nr, &t);
	report_total_figures(&t, tot);
	head(out, p);
	totals(out, p, tot);
	charts(out, p);
	table(out, p, tot);
	if (p->drift)
		fleet(out, p->drift);
	sources(out, p);
	buf_addf(out, "</main>\n<script>\n%s</script>\n</body>\n</html>\n",
		 script);
}
