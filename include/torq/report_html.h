#ifndef TORQ_REPORT_HTML_H
#define TORQ_REPORT_HTML_H

#include <stddef.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/history.h"
#include "torq/model.h"
#include "torq/report.h"

/*
 * The report as one self-contained HTML page (report --html FILE): the
 * totals, a bar chart per figure by workspace, with history a trend
 * chart per figure, the table (sortable by a small script; all of it
 * readable without), each client's drift with --fleet, and where each
 * figure comes from. Nothing is fetched: the style, the charts (SVG) and
 * the script are inline, and no name ever goes into the script. Pure: the
 * page in, HTML out.
 */
struct report_page {
	const struct model_workspace *ws;	/* borrowed, nr of them */
	size_t nr;
	long long taken;		/* when read: seconds since 1970, UTC */
	/* Both NULL without history; past: earlier snapshots, oldest first */
	const struct report_history *change;
	const struct history *past;
	/* report --fleet's list (cmd_report.c), borrowed; NULL without */
	const json_t *drift;
};

/* Append the page to out. */
void report_html(const struct report_page *p, struct buf *out);

/*
 * Append s as HTML text, also safe inside a double- or single-quoted
 * attribute: & < > " ' as references, and what utf8_add_clean() escapes
 * (controls, bidirectional overrides, bytes that are not UTF-8) escaped
 * as it does, so a name shows as the text it is.
 */
void report_html_escape(struct buf *out, const char *s);

#endif
