#ifndef TORQ_REPORT_H
#define TORQ_REPORT_H

#include <stddef.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/model.h"

/*
 * The organisation report (torq-apply report): one row per workspace with
 * the figures an Organization Manager watches, as Torq reports them in
 * the workspace list (reader_workspaces), and their totals. Pure: the
 * workspaces in, text, JSON or CSV out; the rows keep the order given
 * (reader_workspaces sorts them by name). README "report" defines each
 * figure.
 *
 * The workspaces are borrowed. A figure the API left out was read as 0;
 * a NULL name or id is shown empty ("(no name)" in text, null in JSON).
 */

/* The caption every view carries, so nobody takes a figure for ours. */
#define REPORT_NOTE "figures as Torq reports them in the workspace list " \
	"(GET /workspaces); a figure the API leaves out is 0"

struct report_totals {
	size_t workspaces;
	long workflows;			/* billable: workflows_usage */
	long nested;			/* nested_usage */
	long editors;			/* editors_usage */
	long case_operators;		/* cases_operators_usage */
	long runners;			/* runners_usage */
	size_t owners;			/* distinct e-mails, any case */
};

/*
 * The six figures of a row, in column order: what history keeps and the
 * changes count. A workspace's owners figure is its number of owners; the
 * totals' is the number of distinct e-mails.
 */
enum report_figure {
	REPORT_WORKFLOWS,
	REPORT_NESTED,
	REPORT_EDITORS,
	REPORT_OPERATORS,
	REPORT_RUNNERS,
	REPORT_OWNERS,
	REPORT_FIGURES,
};

/* Their JSON and CSV keys ("billable_workflows", ..., "owners"). */
extern const char *const report_figure_key[REPORT_FIGURES];
/* Their column headers ("workflows", ..., "owners"). */
extern const char *const report_figure_label[REPORT_FIGURES];

/*
 * How the figures changed since an earlier snapshot (history.h): one row
 * per workspace, in the report's order, then one for the totals. A row
 * whose known is 0 had no figures then (the workspace was not in the
 * snapshot); since is NULL when there is no such snapshot at all.
 */
struct report_change {
	const char *since;		/* the snapshot's time, RFC 3339 */
	int *known;			/* nr + 1 */
	long (*delta)[REPORT_FIGURES];	/* nr + 1 */
};

/* The two changes history gives: since the last run, since 30 days ago. */
struct report_history {
	struct report_change previous, month;
};

/* The figures of a workspace, in report_figure order. */
void report_figures(const struct model_workspace *w,
		    long out[REPORT_FIGURES]);

/* The sums of the figures (saturating, never overflowing). */
void report_totals(const struct model_workspace *ws, size_t nr,
		   struct report_totals *out);

/* The totals' figures, in report_figure order. */
void report_total_figures(const struct report_totals *t,
			  long out[REPORT_FIGURES]);

/*
 * An aligned table: a header, one row per workspace, a totals row, then
 * the caption and what each column counts. Names and e-mails have their
 * control characters, bidirectional overrides and non-UTF-8 bytes
 * escaped ("\n", "\x1b", "\u202e"), so a row stays on its line. Appended
 * to out.
 */
void report_text(const struct model_workspace *ws, size_t nr,
		 struct buf *out);

/*
 * RFC 4180: CRLF line ends, a header row, one row per workspace, then the
 * totals row (workspace "total", empty workspace_id). A field holding a
 * comma, a double quote, CR or LF is quoted, quotes doubled; owners are
 * joined with ';'. Values are as the API gave them. With history (may be
 * NULL), twelve columns follow: each figure key with "_since_previous",
 * then with "_since_30_days", a signed change, empty when unknown.
 * Appended to out.
 */
void report_csv(const struct model_workspace *ws, size_t nr,
		const struct report_history *h, struct buf *out);

/*
 * {"format_version": 1, "source": "api", "note": REPORT_NOTE,
 *  "workspaces": [{"name", "id", "billable_workflows",
 *  "nested_workflows", "editors", "case_operators", "runners",
 *  "owners": [...]}], "totals": {"workspaces", the same figures,
 *  "owners": distinct count}}. Bytes that are not UTF-8 become U+FFFD.
 * With history (may be NULL), each workspace and the totals gain
 * "since_previous" and "since_30_days": the changes of the six figures
 * (owners a count), or null when unknown; and the document gains
 * "history": {"previous", "30_days"}, the times of the snapshots compared
 * with (null: none). Returns a new reference.
 */
json_t *report_json(const struct model_workspace *ws, size_t nr,
		    const struct report_history *h);

#endif
