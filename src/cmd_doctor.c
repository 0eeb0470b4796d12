#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/cli.h"
#include "torq/connect.h"
#include "torq/credentials.h"
#include "torq/doctor.h"
#include "torq/exitcode.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * torq-apply doctor: call every read torq-apply relies on, once, with the
 * key given, and judge each answer (doctor.c). Reads only: GET requests
 * and the token. The calls and what each one breaks are the table below.
 */

struct doctor_cmd {
	struct connect_options co;
	int json;
};

struct call_spec {
	const char *call;		/* as shown */
	const char *path;		/* below the API base; NULL: built */
	const char *what;		/* "roles" */
	struct doctor_shape shape;
	const char *breaks;
	int optional;
};

enum {
	C_TOKEN, C_ROLES, C_USERS, C_SSO_USERS, C_MAPPINGS, C_INTEGRATIONS,
	C_RUNNERS, C_WORKFLOWS, C_WORKFLOW, C_REVISION, C_WORKSPACES, C_NR
};

#define FIELDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct call_spec specs[C_NR] = {
	[C_TOKEN] = { "POST token (client credentials)", NULL, "token",
		{ NULL, NULL }, "every command", 0 },
	[C_ROLES] = { "GET /roles", "/roles?page_size=100", "roles",
		{ "roles", FIELDS("id", "name") },
		"plan and apply: role names of users and claim mappings", 0 },
	[C_USERS] = { "GET /users?sso_provision=false",
		"/users?sso_provision=false&page_size=100", "users",
		{ "users", FIELDS("id", "email", "?role_id", "?status") },
		"plan and apply of users; the check of a hand-made key", 0 },
	[C_SSO_USERS] = { "GET /users?sso_provision=true",
		"/users?sso_provision=true&page_size=100", "users",
		{ "users", FIELDS("id", "email", "?role_id") },
		"plan and apply of users that SSO provisioned", 0 },
	[C_MAPPINGS] = { "GET /sso/claim_mappings",
		"/sso/claim_mappings?page_size=100", "claim mappings",
		{ "claim_mappings", FIELDS("id", "claim_name", "claim_value",
					   "role_id", "?rank:n") },
		"plan and apply of claim_mappings", 0 },
	[C_INTEGRATIONS] = { "GET /integrations",
		"/integrations?page_size=100", "integrations",
		{ "integrations", FIELDS("id", "display_name|name", "type_id",
					 "?created_at",
					 "?sharing_data.direction") },
		"plan and apply of integrations", 0 },
	[C_RUNNERS] = { "GET /step_runners", "/step_runners?page_size=100",
		"step runners",
		{ "step_runners", FIELDS("id", "display_name|name",
					 "?created_time|created_at",
					 "?last_seen_time") },
		"plan and apply of step_runners", 0 },
	[C_WORKFLOWS] = { "GET /workflows", "/workflows?page_size=100",
		"workflows",
		{ "workflows", FIELDS("id", "name", "current_revision_id",
				      "?published_revision_id", "?tags:a",
				      "?created_at") },
		"plan and apply of workflows", 0 },
	[C_WORKFLOW] = { "GET /workflows/{id}", NULL, "the workflow",
		{ NULL, FIELDS("id", "current_revision_id",
			       "?published_revision_id") },
		"apply of workflows: publishing (which revision is current)",
		0 },
	[C_REVISION] = { "GET /workflows/{id}/revisions/{rev}", NULL,
		"its revision",
		{ NULL, FIELDS("revision.yaml") },
		"plan of workflows (their content); copying workflows from a "
		"source workspace", 0 },
	[C_WORKSPACES] = { "GET /workspaces", "/workspaces?page_size=100",
		"workspaces",
		{ "workspaces", FIELDS("id", "name", "?owners_emails:a",
				       "?workflows_usage:n", "?nested_usage:n",
				       "?editors_usage:n",
				       "?cases_operators_usage:n",
				       "?runners_usage:n") },
		"report; creating workspaces (create: true, fleets); the check "
		"of a hand-made key (an organisation key lists them)", 1 },
};

/* One answer as the client gave it: code, HTTP status, body, error. */
struct answer {
	int code;
	long http;
	json_t *body;
	struct buf error;
};

static void answered(void *ctx, const struct client_response *res)
{
	struct answer *a = ctx;

	a->code = res->code;
	a->http = res->http_status;
	a->body = json_incref(res->body);
	buf_addstr(&a->error, res->error ? res->error : "");
}

static void judge(struct client *c, struct session *s, size_t i,
		  const char *path, struct doctor_call *out, json_t **body)
{
	struct answer a = { CLIENT_ERROR, 0, NULL, BUF_INIT };
	struct buf detail = BUF_INIT;

	client_submit(c, s, "GET", path, NULL, answered, &a);
	if (client_run(c, &a.error))
		a.code = CLIENT_ERROR;
	if (a.code == CLIENT_OK) {
		out->result = doctor_judge(&specs[i].shape, a.body,
					   specs[i].what, &detail);
	} else {
		/* by the status, not the words: 401 and 403 say "may not" */
		out->result = a.code == CLIENT_NOT_FOUND || a.http == 404 ?
			DOCTOR_ABSENT : a.code == CLIENT_UNAUTHORIZED ||
			a.http == 401 || a.http == 403 ? DOCTOR_REFUSED :
			DOCTOR_FAILED;
		buf_addstr(&detail, a.error.s);
	}
	out->detail = buf_detach(&detail, NULL);
	if (body && out->result == DOCTOR_OK)
		*body = json_incref(a.body);
	json_decref(a.body);
	buf_release(&a.error);
}

/* The first workflow's id and current revision, or NULL. */
static const json_t *first_workflow(const json_t *list)
{
	return json_array_get(json_object_get(list, "workflows"), 0);
}

static void run_calls(struct client *c, struct session *s,
		      struct doctor_call *calls)
{
	json_t *wfs = NULL;
	const json_t *wf;
	struct buf p = BUF_INIT;
	size_t i;

	for (i = 0; i < C_NR; i++) {
		calls[i].call = specs[i].call;
		calls[i].breaks = specs[i].breaks;
		calls[i].optional = specs[i].optional;
		calls[i].result = DOCTOR_SKIPPED;
	}
	/* the token comes with the first call */
	judge(c, s, C_ROLES, specs[C_ROLES].path, &calls[C_ROLES], NULL);
	if (calls[C_ROLES].result == DOCTOR_ABSENT) {
		free(calls[C_ROLES].detail);
		calls[C_ROLES].call = "GET /users/roles (/roles absent)";
		judge(c, s, C_ROLES, "/users/roles?page_size=100",
		      &calls[C_ROLES], NULL);
	}
	if (calls[C_ROLES].result == DOCTOR_REFUSED &&
	    strstr(calls[C_ROLES].detail, "token")) {
		calls[C_TOKEN].result = DOCTOR_REFUSED;
		calls[C_TOKEN].detail = xstrdup(calls[C_ROLES].detail);
		calls[C_ROLES].result = DOCTOR_SKIPPED;
		free(calls[C_ROLES].detail);
		calls[C_ROLES].detail = xstrdup("no token");
		for (i = C_USERS; i < C_NR; i++)
			calls[i].detail = xstrdup("no token");
		return;
	}
	calls[C_TOKEN].result = DOCTOR_OK;
	calls[C_TOKEN].detail = xstrdup("a token was issued for the key");
	for (i = C_USERS; i <= C_WORKFLOWS; i++)
		judge(c, s, i, specs[i].path, &calls[i],
		      i == C_WORKFLOWS ? &wfs : NULL);
	wf = first_workflow(wfs);
	if (!wf) {
		calls[C_WORKFLOW].detail = xstrdup(wfs ? "the workspace has "
			"no workflow to read" : "the workflow list is not "
			"usable");
		calls[C_REVISION].detail = xstrdup(calls[C_WORKFLOW].detail);
	} else {
		buf_addstr(&p, "/workflows/");
		client_escape(&p, json_string_value(json_object_get(wf,
								    "id")));
		judge(c, s, C_WORKFLOW, p.s, &calls[C_WORKFLOW], NULL);
		buf_addstr(&p, "/revisions/");
		client_escape(&p, json_string_value(json_object_get(wf,
						"current_revision_id")));
		judge(c, s, C_REVISION, p.s, &calls[C_REVISION], NULL);
	}
	judge(c, s, C_WORKSPACES, specs[C_WORKSPACES].path,
	      &calls[C_WORKSPACES], NULL);
	json_decref(wfs);
	buf_release(&p);
}

int cmd_doctor(int argc, const char **argv)
{
	struct doctor_cmd dc;
	struct connection conn;
	struct credentials key = { NULL, NULL, NULL, NULL };
	struct doctor_call calls[C_NR];
	struct buf err = BUF_INIT, out = BUF_INIT;
	json_t *j = NULL;
	char *text = NULL;
	int nargs = 0, r, ret = EXIT_ERROR, opened = 0;
	size_t i;
	const struct option opts[] = {
		OPT_FLAG_("json", 0, &dc.json, "print the results as JSON"),
		CONNECT_OPTIONS(&dc.co),
		OPT_END_(),
	};

	memset(&dc, 0, sizeof(dc));
	memset(&conn, 0, sizeof(conn));
	memset(calls, 0, sizeof(calls));
	r = parse_options(argc - 1, argv + 1, opts, &dc, &nargs, &err);
	if (r == OPTIONS_HELP) {
		buf_reset(&err);
		options_usage("torq-apply doctor [--json] [options]",
			      "Call every read torq-apply relies on, once, "
			      "with the key given, and check\neach answer "
			      "against the shape torq-apply needs: for a "
			      "first run against a\nreal workspace. Changes "
			      "nothing. Exit 0 when every call plan and "
			      "apply need\nis usable, 1 otherwise.",
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
		cli_error("doctor takes no arguments, not '%s'; see "
			  "'torq-apply doctor --help'", argv[1]);
		goto out;
	}
	if (connect_trace_open(&dc.co, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	if (connect_open(&dc.co, &conn, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	opened = 1;
	if (connect_key(dc.co.credentials, &key, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	run_calls(conn.client, client_session(conn.client, key.client_id,
					      key.client_secret), calls);
	if (dc.json) {
		j = doctor_json(conn.endpoint.api, calls, C_NR);
		text = json_dumps(j, JSON_INDENT(2));
		buf_addf(&out, "%s\n", text);
	} else {
		doctor_text(conn.endpoint.api, calls, C_NR, &out);
	}
	if (fwrite(out.s, 1, out.len, stdout) != out.len || fflush(stdout)) {
		cli_error("cannot write the results: %s", strerror(errno));
		goto out;
	}
	ret = doctor_usable(calls, C_NR) ? EXIT_OK : EXIT_ERROR;
out:
	for (i = 0; i < C_NR; i++)
		free(calls[i].detail);
	free(text);
	json_decref(j);
	credentials_release(&key);
	if (opened)
		connect_close(&conn);
	buf_reset(&err);
	if (connect_trace_close(&dc.co, &err)) {
		cli_error("%s", err.s);
		ret = EXIT_ERROR;
	}
	buf_release(&err);
	buf_release(&out);
	return ret;
}
