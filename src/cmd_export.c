#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "torq/atomicfile.h"
#include "torq/buf.h"
#include "torq/cli.h"
#include "torq/connect.h"
#include "torq/credentials.h"
#include "torq/exitcode.h"
#include "torq/export.h"
#include "torq/manifest.h"
#include "torq/path.h"
#include "torq/reader.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * torq-apply export: read a live workspace and write a manifest that,
 * applied to it, plans no change; the workflows' YAML goes to files
 * beside it. The manifest itself is export.c's pure function; here are
 * the reading, the choice of the workspace's name and the writing.
 */

struct export_cmd {
	struct connect_options co;
	const char *out;
	const char *name;
	int force;
};

/* How many workspace names an error lists. */
#define NAMES_SHOWN 5

/*
 * The key does not say which workspace it belongs to: --workspace-name,
 * or the only workspace the organisation listing shows.
 */
static int workspace_name(const struct export_cmd *ec, struct client *c,
			  struct session *s, char **out, struct buf *err)
{
	struct model_workspace *all = NULL;
	struct buf why = BUF_INIT;
	size_t nr = 0, i;
	int ret = -1;

	if (ec->name) {
		*out = xstrdup(ec->name);
		return 0;
	}
	if (reader_workspaces(c, s, &all, &nr, &why)) {
		buf_addf(err, "cannot tell which workspace the API key belongs"
			 " to: give --workspace-name NAME\n(listing the "
			 "organisation's workspaces: %s)", why.s);
		goto out;
	}
	if (nr == 1 && all[0].name) {
		*out = xstrdup(all[0].name);
		ret = 0;
		goto out;
	}
	if (!nr) {
		buf_addstr(err, "the API key sees no workspace in the "
			   "organisation's list, so which one it belongs to is"
			   " unknown: give --workspace-name NAME");
		goto out;
	}
	buf_addf(err, "the API key does not say which workspace it belongs "
		 "to, and it sees %zu workspaces (", nr);
	for (i = 0; i < nr && i < NAMES_SHOWN; i++) {
		buf_addstr(err, i ? ", '" : "'");
		export_clean(err, all[i].name ? all[i].name : "");
		buf_addch(err, '\'');
	}
	if (nr > NAMES_SHOWN)
		buf_addf(err, " and %zu more", nr - NAMES_SHOWN);
	buf_addstr(err, "): give --workspace-name NAME, the name of the "
		   "workspace the key belongs to");
out:
	for (i = 0; i < nr; i++)
		model_workspace_release(&all[i]);
	free(all);
	buf_release(&why);
	return ret;
}

/* dir/rel, without a leading "./" */
static char *join(const char *dir, const char *rel)
{
	struct buf b = BUF_INIT;

	if (strcmp(dir, "."))
		buf_addf(&b, "%s/", dir);
	buf_addstr(&b, rel);
	return buf_detach(&b, NULL);
}

static void plural(struct buf *b, size_t n, const char *one,
		   const char *many)
{
	buf_addf(b, "%s%zu %s", b->len ? ", " : "", n, n == 1 ? one : many);
}

/*
 * Write the workflow files, then the manifest: the manifest never names
 * a file that is not there. Nothing is written when any file exists
 * (without --force).
 */
static int write_files(const struct export_cmd *ec,
		       const struct export_result *r, struct buf *err)
{
	struct buf dir = BUF_INIT, wdir = BUF_INIT;
	char **paths = xcalloc(r->files_nr + 1, sizeof(*paths));
	unsigned flags = ec->force ? 0 : ATOMICFILE_NO_CLOBBER;
	struct stat st;
	size_t i;
	int ret = -1;

	path_dirname(ec->out, &dir);
	for (i = 0; i < r->files_nr; i++)
		paths[i] = join(dir.s, r->files[i].path);
	if (!ec->force) {
		for (i = 0; i <= r->files_nr; i++) {
			const char *p = i ? paths[i - 1] : ec->out;

			if (!lstat(p, &st)) {
				buf_addf(err, "'%s' already exists; --force "
					 "replaces it", p);
				goto out;
			}
		}
	}
	if (atomicfile_mkdirs(dir.s, 0777, err))
		goto out;
	if (r->files_nr) {
		path_dirname(paths[0], &wdir);
		if (atomicfile_mkdirs(wdir.s, 0777, err))
			goto out;
	}
	for (i = 0; i < r->files_nr; i++) {
		if (atomicfile_write(paths[i], r->files[i].content,
				     r->files[i].len, 0644, flags,
				     "workflow file", err))
			goto out;
		printf("Wrote %s\n", paths[i]);
	}
	if (atomicfile_write(ec->out, r->manifest.s, r->manifest.len, 0644,
			     flags, "manifest", err))
		goto out;
	printf("Wrote %s\n", ec->out);
	ret = 0;
out:
	for (i = 0; i < r->files_nr; i++)
		free(paths[i]);
	free(paths);
	buf_release(&dir);
	buf_release(&wdir);
	return ret;
}

/* What was written must be a valid manifest; say where when it is not. */
static int check_written(const char *path)
{
	struct doc doc;
	struct diag_list diags;
	int ret;

	doc_init(&doc);
	diag_list_init(&diags, DIAG_MAX_ERRORS);
	ret = manifest_load(&doc, path, NULL, RESOLVE_SECRETS_OPTIONAL,
			    &diags);
	if (ret) {
		cli_print_diags(&diags, &doc);
		cli_error("the exported manifest '%s' is not valid (above): "
			  "edit those lines by hand, and please report it",
			  path);
	}
	diag_list_release(&diags);
	doc_release(&doc);
	return ret;
}

int cmd_export(int argc, const char **argv)
{
	struct export_cmd ec;
	struct connection conn;
	struct credentials key;
	struct reader_options ro;
	struct export_options eo;
	struct export_result res;
	struct model live;
	struct buf err = BUF_INIT, cred = BUF_INIT, dir = BUF_INIT;
	struct buf summary = BUF_INIT;
	struct session *s;
	char *name = NULL, *cwd = NULL;
	struct buf shown = BUF_INIT;	/* name, safe to print */
	size_t i;
	int nargs = 0, rc, ret = EXIT_ERROR, have_conn = 0;
	const struct option opts[] = {
		OPT_STRING_("out", 'o', &ec.out, "FILE",
			    "write the manifest here, the workflows' YAML in "
			    "workflows/ beside it"),
		OPT_STRING_("workspace-name", 0, &ec.name, "NAME",
			    "the key's workspace (needed unless the key sees "
			    "just one)"),
		OPT_FLAG_("force", 0, &ec.force,
			  "replace files that exist"),
		CONNECT_OPTIONS(&ec.co),
		OPT_END_(),
	};

	memset(&ec, 0, sizeof(ec));
	memset(&conn, 0, sizeof(conn));
	memset(&key, 0, sizeof(key));
	model_init(&live);
	export_result_init(&res);
	rc = parse_options(argc - 1, argv + 1, opts, &ec, &nargs, &err);
	if (rc == OPTIONS_HELP) {
		buf_reset(&err);
		options_usage("torq-apply export [--out FILE] "
			      "[--workspace-name NAME] [options]",
			      "Read the workspace whose API key is given "
			      "(--credentials, or $TORQ_CLIENT_ID and\n"
			      "$TORQ_CLIENT_SECRET) and write a manifest that,"
			      " applied to it, changes nothing.\n"
			      "Without --out the manifest goes to stdout (only "
			      "for a workspace without\nworkflows). "
			      "Integration parameters cannot be read back. "
			      "Changes nothing in Torq.",
			      opts, &err);
		fputs(err.s, stdout);
		ret = EXIT_OK;
		goto out;
	}
	if (rc) {
		cli_error("%s", err.s);
		goto out;
	}
	if (nargs) {
		cli_error("export takes no arguments, only options; see "
			  "'torq-apply export --help'");
		goto out;
	}

	if (connect_trace_open(&ec.co, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	if (connect_key(ec.co.credentials, &key, &err) ||
	    connect_open(&ec.co, &conn, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	have_conn = 1;
	s = client_session(conn.client, key.client_id, key.client_secret);
	if (workspace_name(&ec, conn.client, s, &name, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	export_clean(&shown, name);

	/* Without --out there is nowhere to put workflow YAML: list only. */
	memset(&ro, 0, sizeof(ro));
	ro.all_contents = ec.out != NULL;
	if (reader_read(conn.client, s, &ro, &live, &err)) {
		cli_error("%s\n(reading workspace '%s')", err.s, shown.s);
		goto out;
	}
	if (!ec.out && live.workflows_nr) {
		cli_error("workspace '%s' has %zu workflow%s, whose YAML goes "
			  "into files beside the manifest: give --out FILE",
			  shown.s, live.workflows_nr,
			  live.workflows_nr == 1 ? "" : "s");
		goto out;
	}

	/* workspace.credentials is relative to the manifest's directory */
	memset(&eo, 0, sizeof(eo));
	eo.workspace = name;
	if (ec.co.credentials && ec.out) {
		cwd = getcwd(NULL, 0);
		if (!cwd) {
			cli_error("cannot get the current directory: %s",
				  strerror(errno));
			goto out;
		}
		path_dirname(ec.out, &dir);
		export_relpath(ec.co.credentials, dir.s, cwd, &cred);
		eo.credentials = cred.s;
	} else if (ec.co.credentials) {
		eo.credentials = ec.co.credentials;
	}
	if (export_manifest(&live, &eo, &res, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	for (i = 0; i < res.notes_nr; i++)
		fprintf(stderr, "torq-apply: warning: %s\n", res.notes[i]);

	if (!ec.out) {
		fputs(res.manifest.s, stdout);
		ret = EXIT_OK;
		goto out;
	}
	if (write_files(&ec, &res, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	if (check_written(ec.out))
		goto out;
	plural(&summary, res.claim_mappings, "claim mapping",
	       "claim mappings");
	plural(&summary, res.users, "user", "users");
	plural(&summary, res.integrations, "integration", "integrations");
	plural(&summary, res.runners, "step runner", "step runners");
	plural(&summary, res.workflows, "workflow", "workflows");
	printf("Exported workspace '%s': %s.\n", shown.s, summary.s);
	ret = EXIT_OK;
out:
	export_result_release(&res);
	model_release(&live);
	if (have_conn)
		connect_close(&conn);
	buf_reset(&err);
	if (connect_trace_close(&ec.co, &err)) {
		cli_error("%s", err.s);
		ret = EXIT_ERROR;
	}
	credentials_release(&key);
	free(name);
	free(cwd);
	buf_release(&err);
	buf_release(&cred);
	buf_release(&dir);
	buf_release(&summary);
	buf_release(&shown);
	return ret;
}
