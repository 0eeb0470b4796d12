#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "torq/atomicfile.h"
#include "torq/buf.h"
#include "torq/cli.h"
#include "torq/connect.h"
#include "torq/desired.h"
#include "torq/exitcode.h"
#include "torq/fingerprint.h"
#include "torq/manifest.h"
#include "torq/path.h"
#include "torq/plan.h"
#include "torq/reader.h"
#include "torq/render.h"
#include "torq/sha256.h"
#include "torq/wfyaml.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * torq-apply plan: the manifest's desired state against the live state,
 * read through the API, printed for review (text, JSON or Markdown), and
 * optionally saved for `apply PLAN`. All I/O is here; the diff itself is
 * plan.c's pure function.
 */

#define WORKFLOW_FILE_MAX (8u << 20)

struct plan_cmd {
	struct cli_vars v;		/* first: the --var callbacks find it */
	struct connect_options co;
	int json, markdown, detailed, prune, rotate;
	const char *out;
};

/* The live side of a run: which keys, and what they show. */
struct sides {
	struct connection conn;
	struct credentials org_key;	/* --credentials or the environment */
	struct credentials target_key;
	struct credentials source_key;
	int have_org_key, have_target, have_source;
	struct model live, source;
	int live_exists;
};

static int read_key(const char *path, struct credentials *out, int *have,
		    struct buf *err)
{
	if (connect_key(path, out, err))
		return -1;
	*have = 1;
	return 0;
}

static int file_exists(const char *path)
{
	struct stat st;

	return path && !stat(path, &st);
}

/*
 * Which workspace to read, with which key (README, "Which key"):
 * workspace.credentials names the key of an existing workspace; else a
 * credentials_out file left by an earlier apply; else, for create: true,
 * the organisation key looks the workspace up by name; else the key
 * given on the command line belongs to the workspace itself.
 */
static int choose_target(struct plan_cmd *pc, const struct model *d,
			 struct sides *sd, struct buf *err)
{
	const struct model_workspace *ws = &d->workspace;
	struct model_workspace *all = NULL;
	size_t nr = 0, i;
	int found = 0, ret = -1;

	if (ws->credentials)
		return read_key(ws->credentials, &sd->target_key,
				&sd->have_target, err);
	if (ws->credentials_out && file_exists(ws->credentials_out))
		return read_key(ws->credentials_out, &sd->target_key,
				&sd->have_target, err);
	if (read_key(pc->co.credentials, &sd->org_key, &sd->have_org_key,
		     err))
		return -1;
	if (!ws->create) {
		sd->have_target = 0;
		return 0;	/* the command line's key is the workspace's */
	}
	if (reader_workspaces(sd->conn.client,
			      client_session(sd->conn.client,
					     sd->org_key.client_id,
					     sd->org_key.client_secret),
			      &all, &nr, err)) {
		buf_addstr(err, "\n(listing the organisation's workspaces to "
			   "find the one to create)");
		return -1;
	}
	for (i = 0; i < nr; i++)
		if (all[i].name && ws->name && !strcasecmp(all[i].name,
							   ws->name))
			found = 1;
	if (found) {
		buf_addf(err, "workspace '%s' exists already, and torq-apply "
			 "has no key for it: put its API key in a file (mode "
			 "0600) and name it in workspace.credentials%s%s",
			 ws->name, ws->credentials_out ? ", or at " : "",
			 ws->credentials_out ? ws->credentials_out : "");
		goto out;
	}
	sd->live_exists = -1;	/* to be created */
	ret = 0;
out:
	for (i = 0; i < nr; i++)
		model_workspace_release(&all[i]);
	free(all);
	return ret;
}

/* Every name of a desired workflow: whose live YAML must be read. */
static const char **workflow_names(const struct model *m)
{
	const char **names = xcalloc(m->workflows_nr + 1, sizeof(*names));
	size_t i;

	for (i = 0; i < m->workflows_nr; i++)
		names[i] = m->workflows[i].name;
	return names;
}

static const char **source_names(const struct model *m, size_t *nr)
{
	const char **names = xcalloc(m->workflows_nr + 1, sizeof(*names));
	size_t i;

	*nr = 0;
	for (i = 0; i < m->workflows_nr; i++)
		if (m->workflows[i].from_source)
			names[(*nr)++] = m->workflows[i].name;
	return names;
}

static int read_live(struct plan_cmd *pc, const struct model *d,
		     struct sides *sd, struct buf *err)
{
	struct reader_options o = { 0 };
	const char **names = NULL;
	struct session *s;
	const struct credentials *k;
	int ret = -1;

	(void)pc;
	if (sd->live_exists < 0)
		return 0;
	k = sd->have_target ? &sd->target_key : &sd->org_key;
	s = client_session(sd->conn.client, k->client_id, k->client_secret);
	names = workflow_names(d);
	o.kinds = d->kinds | MODEL_ROLES;
	o.contents = names;
	o.contents_nr = d->workflows_nr;
	if (reader_read(sd->conn.client, s, &o, &sd->live, err)) {
		buf_addf(err, "\n(reading workspace '%s')",
			 d->workspace.name ? d->workspace.name : "");
		goto out;
	}
	sd->live_exists = 1;
	ret = 0;
out:
	free(names);
	return ret;
}

static int read_source(const struct model *d, struct sides *sd,
		       struct buf *err)
{
	struct reader_options o = { 0 };
	const char **names;
	size_t nr;
	int ret = -1;

	names = source_names(d, &nr);
	if (!d->source_credentials || (!nr && !d->copy_claims_from_source)) {
		free(names);
		return 0;
	}
	if (read_key(d->source_credentials, &sd->source_key,
		     &sd->have_source, err))
		goto out;
	o.kinds = MODEL_ROLES | MODEL_WORKFLOWS |
		(d->copy_claims_from_source ? MODEL_CLAIM_MAPPINGS : 0);
	o.contents = names;
	o.contents_nr = nr;
	if (reader_read(sd->conn.client,
			client_session(sd->conn.client,
				       sd->source_key.client_id,
				       sd->source_key.client_secret),
			&o, &sd->source, err)) {
		buf_addstr(err, "\n(reading the source workspace)");
		goto out;
	}
	ret = 0;
out:
	free(names);
	return ret;
}

/* What the planner compares workflows by: a digest of the YAML's meaning. */
static int digest_workflow(struct model_workflow *w, const char *what,
			   int nested, struct buf *err)
{
	char digest[65];

	if (!w->content)
		return 0;
	if (wfyaml_digest(what, w->content, strlen(w->content), digest, err))
		return -1;
	free(w->content_digest);
	w->content_digest = xstrdup(digest);
	if (nested && wfyaml_nested(what, w->content, strlen(w->content),
				    &w->nested, &w->nested_nr, err))
		return -1;
	return 0;
}

static int fill_contents(struct model *d, struct sides *sd, struct buf *err)
{
	struct buf text = BUF_INIT, what = BUF_INIT;
	size_t i, j;
	int ret = -1;

	for (i = 0; i < d->workflows_nr; i++) {
		struct model_workflow *w = &d->workflows[i];

		buf_reset(&what);
		if (w->from_source) {
			for (j = 0; j < sd->source.workflows_nr; j++)
				if (!strcmp(sd->source.workflows[j].name,
					    w->name) &&
				    sd->source.workflows[j].content) {
					free(w->content);
					w->content = xstrdup(
						sd->source.workflows[j].content);
				}
			buf_addf(&what, "workflow '%s' in the source workspace",
				 w->name);
		} else if (w->file) {
			buf_reset(&text);
			if (buf_read_file(&text, w->file, WORKFLOW_FILE_MAX)) {
				buf_addf(err, "cannot read workflow file '%s':"
					 " %s", w->file, strerror(errno));
				goto out;
			}
			free(w->content);
			w->content = buf_detach(&text, NULL);
			buf_addstr(&what, w->file);
		}
		if (digest_workflow(w, what.s, 1, err))
			goto out;
	}
	for (i = 0; i < sd->live.workflows_nr; i++) {
		buf_reset(&what);
		buf_addf(&what, "workflow '%s' in workspace '%s'",
			 sd->live.workflows[i].name, d->workspace.name);
		if (digest_workflow(&sd->live.workflows[i], what.s, 0, err))
			goto out;
	}
	ret = 0;
out:
	buf_release(&text);
	buf_release(&what);
	return ret;
}

/* Salted hashes of the parameters, and the ones recorded at last apply. */
static int fill_fingerprints(const struct doc *doc, struct model *d,
			     struct model *live,
			     struct fingerprint_store *store, struct buf *err)
{
	char fp[65];
	const char *rec;
	size_t i;

	for (i = 0; i < d->integrations_nr; i++) {
		struct model_integration *in = &d->integrations[i];

		if (!in->parameters)
			continue;
		in->has_secret = fingerprint_has_secret(doc, in->parameters);
		if (fingerprint_params(doc, in->parameters, store->salt, fp,
				       err))
			return -1;
		free(in->fingerprint);
		in->fingerprint = xstrdup(fp);
	}
	for (i = 0; i < live->integrations_nr; i++) {
		rec = fingerprint_store_get(store, d->workspace.name,
					    live->integrations[i].name);
		free(live->integrations[i].fingerprint);
		live->integrations[i].fingerprint = rec ? xstrdup(rec) : NULL;
	}
	return 0;
}

/*
 * The live state a plan was made from, as a digest: apply PLAN reads the
 * workspace again and refuses to run when it no longer matches.
 */
static void live_fingerprint(const struct sides *sd, char out[65])
{
	json_t *j;
	char *text;
	size_t i;

	if (sd->live_exists < 0) {
		sha256_hex("no workspace", 12, out);
		return;
	}
	j = model_to_json(&sd->live);
	for (i = 0; i < sd->live.workflows_nr; i++)
		if (sd->live.workflows[i].content_digest)
			json_object_set_new(j, sd->live.workflows[i].name,
				json_string(
					sd->live.workflows[i].content_digest));
	text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	sha256_hex(text, strlen(text), out);
	free(text);
	json_decref(j);
}

static int save_plan(const char *path, const char *manifest,
		     const struct varset *vars, json_t *plan,
		     const char *live_fp, struct buf *err)
{
	json_t *doc = json_object(), *jv = json_object();
	struct buf text = BUF_INIT;
	char *dump;
	size_t i;
	int ret;

	for (i = 0; i < vars->nr; i++)
		json_object_set_new(jv, vars->items[i].name,
				    json_string(vars->items[i].value));
	json_object_set_new(doc, "format_version", json_integer(1));
	json_object_set_new(doc, "manifest", json_string(manifest));
	json_object_set_new(doc, "vars", jv);
	json_object_set_new(doc, "live_fingerprint", json_string(live_fp));
	json_object_set(doc, "plan", plan);
	dump = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	buf_addf(&text, "%s\n", dump);
	ret = atomicfile_write(path, text.s, text.len, 0600, 0, "plan file",
			       err);
	free(dump);
	buf_release(&text);
	json_decref(doc);
	return ret;
}

static void sides_release(struct sides *sd)
{
	connect_close(&sd->conn);
	credentials_release(&sd->org_key);
	credentials_release(&sd->target_key);
	credentials_release(&sd->source_key);
	model_release(&sd->live);
	model_release(&sd->source);
}

int cmd_plan(int argc, const char **argv)
{
	struct plan_cmd pc;
	struct sides sd;
	struct doc doc;
	struct diag_list diags;
	struct model desired;
	struct fingerprint_store store;
	struct plan plan;
	struct plan_input in;
	struct buf err = BUF_INIT, out = BUF_INIT;
	const char *path;
	struct buf dir = BUF_INIT;
	char live_fp[65];
	json_t *j = NULL;
	int nargs = 0, rc, ret = EXIT_ERROR, store_open = 0;
	const struct option opts[] = {
		CLI_VAR_OPTIONS,
		OPT_FLAG_("json", 0, &pc.json,
			  "print the plan as JSON (docs/plan-format.md)"),
		OPT_FLAG_("markdown", 0, &pc.markdown,
			  "print the plan as Markdown, for a pull request"),
		OPT_STRING_("out", 'o', &pc.out, "PLAN",
			    "also save the plan as JSON, with a digest of the live "
			    "state it was made from"),
		OPT_FLAG_("detailed-exitcode", 0, &pc.detailed,
			  "exit 2 when the plan has changes, 0 when none"),
		OPT_FLAG_("prune", 0, &pc.prune,
			  "delete what the manifest does not name (as "
			  "policy.prune)"),
		OPT_FLAG_("rotate-secrets", 0, &pc.rotate,
			  "set every integration holding a secret again"),
		CONNECT_OPTIONS(&pc.co),
		OPT_END_(),
	};

	memset(&pc, 0, sizeof(pc));
	memset(&sd, 0, sizeof(sd));
	memset(&store, 0, sizeof(store));
	cli_vars_init(&pc.v);
	doc_init(&doc);
	diag_list_init(&diags, DIAG_MAX_ERRORS);
	model_init(&desired);
	model_init(&sd.live);
	model_init(&sd.source);
	plan_init(&plan);

	rc = parse_options(argc - 1, argv + 1, opts, &pc, &nargs, &err);
	if (rc == OPTIONS_HELP) {
		buf_reset(&err);
		options_usage("torq-apply plan MANIFEST [options]",
			      "Read the workspace the manifest describes and "
			      "show what apply would change.\nChanges nothing."
			      " Exit 0 on success (with --detailed-exitcode: "
			      "0 no changes,\n2 changes), 1 on an error.",
			      opts, &err);
		fputs(err.s, stdout);
		ret = EXIT_OK;
		goto out;
	}
	if (rc) {
		cli_print_diags(&pc.v.diags, &pc.v.doc);
		cli_error("%s", err.s);
		goto out;
	}
	if (nargs != 1) {
		cli_error("plan needs one manifest; see 'torq-apply plan "
			  "--help'");
		goto out;
	}
	if (pc.json && pc.markdown) {
		cli_error("--json and --markdown cannot be combined");
		goto out;
	}
	path = argv[1];

	/* The desired state: secrets must resolve now. */
	rc = manifest_load(&doc, path, &pc.v.vars, 0, &diags);
	if (!rc)
		rc = desired_from_manifest(&doc, &desired, &diags);
	cli_print_diags(&diags, &doc);
	if (rc) {
		cli_error("'%s' is not valid; nothing was read", path);
		goto out;
	}
	diag_list_release(&diags);

	/* The live state. */
	if (connect_open(&pc.co, &sd.conn, &err) ||
	    choose_target(&pc, &desired, &sd, &err) ||
	    read_live(&pc, &desired, &sd, &err) ||
	    read_source(&desired, &sd, &err) ||
	    fill_contents(&desired, &sd, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	path_dirname(path, &dir);
	if (fingerprint_store_open(&store, dir.s, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	store_open = 1;
	if (fill_fingerprints(&doc, &desired, &sd.live, &store, &err)) {
		cli_error("%s", err.s);
		goto out;
	}

	memset(&in, 0, sizeof(in));
	in.desired = &desired;
	in.live = sd.live_exists > 0 ? &sd.live : NULL;
	in.source = sd.have_source ? &sd.source : NULL;
	in.prune = desired.prune || pc.prune;
	in.rotate_secrets = pc.rotate;
	diag_list_init(&diags, DIAG_MAX_ERRORS);
	rc = plan_make(&in, &plan, &diags);
	cli_print_diags(&diags, &doc);
	if (rc) {
		cli_error("no plan: the manifest asks for what workspace '%s'"
			  " cannot have", plan.workspace);
		goto out;
	}

	if (pc.json) {
		char *text;

		j = render_json(&plan);
		text = json_dumps(j, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
	} else if (pc.markdown) {
		render_markdown(&plan, &out);
		fputs(out.s, stdout);
	} else {
		render_text(&plan, cli_color(stdout), &out);
		fputs(out.s, stdout);
	}
	if (pc.out) {
		if (!j)
			j = render_json(&plan);
		live_fingerprint(&sd, live_fp);
		buf_reset(&err);
		if (save_plan(pc.out, path, &pc.v.vars, j, live_fp, &err)) {
			cli_error("%s", err.s);
			goto out;
		}
		fprintf(stderr, "torq-apply: plan saved to '%s'\n", pc.out);
	}
	ret = pc.detailed && !plan_empty(&plan) ? EXIT_CHANGES : EXIT_OK;
out:
	json_decref(j);
	if (store_open)
		fingerprint_store_release(&store);
	buf_release(&dir);
	plan_release(&plan);
	model_release(&desired);
	sides_release(&sd);
	diag_list_release(&diags);
	doc_release(&doc);
	cli_vars_release(&pc.v);
	buf_release(&err);
	buf_release(&out);
	return ret;
}
