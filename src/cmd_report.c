#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "torq/atomicfile.h"
#include "torq/buf.h"
#include "torq/cli.h"
#include "torq/connect.h"
#include "torq/credentials.h"
#include "torq/exitcode.h"
#include "torq/fleet.h"
#include "torq/history.h"
#include "torq/ratelimit.h"
#include "torq/wrapper.h"
#include "torq/reader.h"
#include "torq/report.h"
#include "torq/report_html.h"

#include "torq/banned.h"

/*
 * torq-apply report: the organisation's workspaces, as the key given
 * sees them in the workspace list, with the figures an Organization
 * Manager watches. One read (every page of GET /workspaces); report.c
 * renders it.
 */

struct report_cmd {
	struct connect_options co;
	int json, csv;
	const char *fleet;
	const char *html;
	const char *history;
	double secret_timeout;		/* --secret-timeout, 0: default */
};

/*
 * Before anything is read: the directory --html FILE goes into must be
 * one we can write, and FILE no directory, so that a run never ends
 * without its page. Returns 0, or -1 after printing why.
 */
static int html_writable(const char *path)
{
	struct buf dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	struct stat st;
	int ret = -1;

	if (!*path || (slash && !slash[1])) {
		cli_error("--html needs a file name, not '%s'", path);
		goto out;
	}
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		cli_error("cannot write the HTML report to '%s': it is a "
			  "directory", path);
		goto out;
	}
	if (!slash)
		buf_addch(&dir, '.');
	else
		buf_add(&dir, path, slash == path ? 1 : (size_t)(slash - path));
	if (access(dir.s, W_OK | X_OK)) {
		cli_error("cannot write the HTML report to '%s': %s", path,
			  strerror(errno));
		goto out;
	}
	ret = 0;
out:
	buf_release(&dir);
	return ret;
}

/* The warnings of history_read, one line each. */
static void print_warnings(const struct buf *warnings)
{
	const char *p, *nl;

	for (p = warnings->s; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		cli_print(stderr, "torq-apply: warning: %.*s\n",
			  (int)(nl - p), p);
	}
}

/*
 * What --history and --html write, once the figures are read: the page,
 * then this run's snapshot. Returns 0, or -1 after printing why.
 */
static int write_files(const struct report_cmd *rc,
		       const struct report_page *page,
		       const struct timespec *now)
{
	struct buf out = BUF_INIT, err = BUF_INIT, path = BUF_INIT;
	json_t *snap = NULL;
	int ret = -1;

	if (rc->html) {
		report_html(page, &out);
		if (atomicfile_write(rc->html, out.s, out.len, 0644, 0,
				     "HTML report", &err)) {
			cli_error("%s", err.s);
			goto out;
		}
	}
	if (rc->history) {
		snap = report_json(page->ws, page->nr, NULL);
		if (history_write(rc->history, now->tv_sec, now->tv_nsec,
				  snap, &path, &err)) {
			cli_error("%s", err.s);
			goto out;
		}
	}
	ret = 0;
out:
	json_decref(snap);
	buf_release(&out);
	buf_release(&err);
	buf_release(&path);
	return ret;
}

/*
 * --fleet: plan every client (reading only) to learn which workspaces
 * drifted from the template, and keep only the fleet's workspaces.
 * Returns 0 and a JSON list of {client, workspace, status, add, change,
 * destroy, error} in *drift, or -1 after printing why.
 */
static int fleet_drift(struct report_cmd *rc, struct model_workspace *ws,
		       size_t *nr, json_t **drift)
{
	struct fleet f;
	struct diag_list diags;
	struct fleet_options o;
	struct fleet_result *res = NULL;
	size_t *which = NULL, i, j, kept = 0;
	json_t *sum, *c;
	int ret = -1;

	diag_list_init(&diags, DIAG_MAX_ERRORS);
	if (fleet_load(&f, rc->fleet, 0, &diags)) {
		cli_print_diags(&diags, &f.doc);
		cli_error("'%s' is not a valid fleet file", rc->fleet);
		goto out;
	}
	which = xcalloc(f.nr + 1, sizeof(*which));
	for (i = 0; i < f.nr; i++)
		which[i] = i;
	res = xcalloc(f.nr + 1, sizeof(*res));
	memset(&o, 0, sizeof(o));
	o.co = &rc->co;
	o.parallel = FLEET_DEFAULT_PARALLEL;
	o.secret_timeout = rc->secret_timeout;
	/* drift is judged, never applied: no brake */
	o.max_destroy = -1;
	o.allow_destroy = 1;
	rc->co.pool = ratelimit_pool_new(CLIENT_DEFAULT_RATE,
					 CLIENT_DEFAULT_RATE);
	fleet_run(&f, which, f.nr, &o, res);
	sum = fleet_summary_json("plan", rc->fleet, 0, 0, res, f.nr);
	*drift = json_incref(json_object_get(sum, "clients"));
	json_decref(sum);
	/* keep the fleet's workspaces only, in their order */
	for (i = 0; i < *nr; i++) {
		int in_fleet = 0;

		json_array_foreach(*drift, j, c)
			in_fleet |= ws[i].name && json_string_value(
				json_object_get(c, "workspace")) &&
				!strcmp(ws[i].name, json_string_value(
					json_object_get(c, "workspace")));
		if (in_fleet)
			ws[kept++] = ws[i];
		else
			model_workspace_release(&ws[i]);
	}
	*nr = kept;
	ret = 0;
out:
	for (i = 0; res && i < f.nr; i++)
		fleet_result_release(&res[i]);
	free(res);
	free(which);
	ratelimit_pool_free(rc->co.pool);
	rc->co.pool = NULL;
	fleet_release(&f);
	diag_list_release(&diags);
	return ret;
}

/* The clients whose drift is unknown: their plan failed. */
static size_t unjudged(const json_t *drift)
{
	const json_t *c;
	const char *st;
	size_t i, n = 0;

	json_array_foreach(drift, i, c) {
		st = json_string_value(json_object_get(c, "status"));
		n += !st || (strcmp(st, "ok") && strcmp(st, "changes"));
	}
	return n;
}

static void drift_text(const json_t *drift, struct buf *out)
{
	const json_t *c;
	const char *st, *w;
	size_t i;

	buf_addstr(out, "\nFleet drift (a plan of each client against the "
		   "template):\n");
	json_array_foreach(drift, i, c) {
		st = json_string_value(json_object_get(c, "status"));
		w = json_string_value(json_object_get(c, "workspace"));
		buf_addf(out, "  %-16s %-24s ",
			 json_string_value(json_object_get(c, "name")),
			 w ? w : "-");
		if (!strcmp(st, "ok"))
			buf_addstr(out, "no drift");
		else if (!strcmp(st, "changes"))
			buf_addf(out, "drift: +%lld ~%lld -%lld",
				 (long long)json_integer_value(
					 json_object_get(c, "add")),
				 (long long)json_integer_value(
					 json_object_get(c, "change")),
				 (long long)json_integer_value(
					 json_object_get(c, "destroy")));
		else
			buf_addf(out, "unknown: %s", json_string_value(
				json_object_get(c, "error")));
		/* a runner silent for a day may be down */
		if (json_is_integer(json_object_get(c, "runners")))
			buf_addf(out, "; runners seen in the last day: %lld of "
				 "%lld", (long long)json_integer_value(
					 json_object_get(c, "runners_seen_1d")),
				 (long long)json_integer_value(
					 json_object_get(c, "runners")));
		buf_addch(out, '\n');
	}
}

int cmd_report(int argc, const char **argv)
{
	struct report_cmd rc;
	struct connection conn;
	struct credentials key = { NULL, NULL, NULL, NULL };
	struct model_workspace *ws = NULL;
	struct buf err = BUF_INIT, out = BUF_INIT, warnings = BUF_INIT;
	struct history past = HISTORY_INIT;
	struct report_history change;
	struct report_page page;
	struct timespec now;
	size_t nr = 0, i;
	json_t *j = NULL, *drift = NULL;
	char *text = NULL;
	int nargs = 0, r, ret = EXIT_ERROR, opened = 0;
	size_t unknown;
	const struct option opts[] = {
		OPT_FLAG_("json", 0, &rc.json,
			  "print the report as JSON (README, \"report\")"),
		OPT_FLAG_("csv", 0, &rc.csv,
			  "print the report as CSV (RFC 4180), for a "
			  "spreadsheet"),
		OPT_STRING_("fleet", 0, &rc.fleet, "FLEET",
			    "only the fleet's workspaces, each with its drift "
			    "from the template"),
		CLI_SECRET_TIMEOUT_OPTION(&rc.secret_timeout),
		OPT_STRING_("html", 0, &rc.html, "FILE",
			    "also write the report as one self-contained HTML "
			    "page (charts, sortable table)"),
		OPT_STRING_("history", 0, &rc.history, "DIR",
			    "keep a snapshot of each run in DIR; show changes "
			    "since the last run and 30 days ago"),
		CONNECT_OPTIONS(&rc.co),
		OPT_END_(),
	};

	memset(&rc, 0, sizeof(rc));
	memset(&conn, 0, sizeof(conn));
	memset(&change, 0, sizeof(change));
	r = parse_options(argc - 1, argv + 1, opts, &rc, &nargs, &err);
	if (r == OPTIONS_HELP) {
		buf_reset(&err);
		options_usage("torq-apply report [--json|--csv] [--html FILE] "
			      "[--history DIR] [options]",
			      "List the organisation's workspaces with their "
			      "billable and nested workflows,\nworkflow "
			      "editors, case operators, self-hosted runners "
			      "and owners, as Torq\nreports them in the "
			      "workspace list, and their totals. Needs an "
			      "organisation key.\nChanges nothing in Torq. "
			      "Exit 0 on success, 1 on an error.",
			      opts, &err);
		fputs(err.s, stdout);
		ret = EXIT_OK;
		goto out;
	}
	if (r) {
		cli_error("%s", err.s);
		goto out;
	}
	if (nargs) {
		cli_error("report takes no arguments, not '%s'; see "
			  "'torq-apply report --help'", argv[1]);
		goto out;
	}
	if (rc.json && rc.csv) {
		cli_error("--json and --csv cannot be combined");
		goto out;
	}
	if (rc.html && html_writable(rc.html))
		goto out;
	if (rc.history) {
		if (history_read(&past, rc.history, &warnings, &err)) {
			cli_error("%s", err.s);
			goto out;
		}
		print_warnings(&warnings);
	}
	if (connect_trace_open(&rc.co, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	if (connect_open(&rc.co, &conn, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	opened = 1;
	if (connect_key(rc.co.credentials, &key, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	if (reader_workspaces(conn.client,
			      client_session(conn.client, key.client_id,
					     key.client_secret),
			      &ws, &nr, &err)) {
		cli_error("cannot list the organisation's workspaces: %s",
			  err.s);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (rc.fleet && fleet_drift(&rc, ws, &nr, &drift))
		goto out;
	if (rc.history) {
		history_change(history_at_or_before(&past, now.tv_sec,
						    now.tv_nsec),
			       ws, nr, &change.previous);
		history_change(history_at_or_before(&past, now.tv_sec -
						    HISTORY_MONTH_SECONDS,
						    now.tv_nsec),
			       ws, nr, &change.month);
	}

	if (rc.json) {
		j = report_json(ws, nr, rc.history ? &change : NULL);
		if (drift)
			json_object_set(j, "fleet", drift);
		text = json_dumps(j, JSON_INDENT(2));
		buf_addf(&out, "%s\n", text);
	} else if (rc.csv) {
		report_csv(ws, nr, rc.history ? &change : NULL, &out);
	} else {
		report_text(ws, nr, &out);
		if (drift)
			drift_text(drift, &out);
	}
	if (fwrite(out.s, 1, out.len, stdout) != out.len || fflush(stdout)) {
		cli_error("cannot write the report: %s", strerror(errno));
		goto out;
	}
	page.ws = ws;
	page.nr = nr;
	page.taken = now.tv_sec;
	page.change = rc.history ? &change : NULL;
	page.past = rc.history ? &past : NULL;
	page.drift = drift;
	if (write_files(&rc, &page, &now))
		goto out;
	unknown = drift ? unjudged(drift) : 0;
	if (unknown) {
		cli_error("%zu of %zu clients could not be judged (drift "
			  "unknown: see why above)", unknown,
			  json_array_size(drift));
		goto out;
	}
	ret = EXIT_OK;
out:
	for (i = 0; i < nr; i++)
		model_workspace_release(&ws[i]);
	free(ws);
	free(text);
	json_decref(j);
	json_decref(drift);
	history_change_release(&change.previous);
	history_change_release(&change.month);
	history_release(&past);
	buf_release(&warnings);
	credentials_release(&key);
	if (opened)
		connect_close(&conn);
	buf_reset(&err);
	if (connect_trace_close(&rc.co, &err)) {
		cli_error("%s", err.s);
		ret = EXIT_ERROR;
	}
	buf_release(&err);
	buf_release(&out);
	return ret;
}
