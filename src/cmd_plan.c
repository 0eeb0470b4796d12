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
#include "torq/exitcode.h"
#include "torq/prepare.h"
#include "torq/render.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * torq-apply plan: the manifest's desired state against the live state,
 * read through the API, printed for review (text, JSON or Markdown), and
 * optionally saved for `apply PLAN`. All I/O is here; the diff itself is
 * plan.c's pure function.
 */

struct plan_cmd {
	struct cli_vars v;		/* first: the --var callbacks find it */
	struct connect_options co;
	int json, markdown, detailed, prune, rotate, dedupe, strict;
	int allow_destroy;
	long max_destroy;		/* --max-destroy, -1: not given */
	const char *out;
	struct target_list targets;	/* --target */
	double secret_timeout;		/* --secret-timeout, 0: default */
};

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

int cmd_plan(int argc, const char **argv)
{
	struct plan_cmd pc;
	struct prepare_options po;
	struct prepared pp;
	struct buf err = BUF_INIT, out = BUF_INIT;
	const char *path;
	json_t *j = NULL;
	char *text;
	int nargs = 0, rc, ret = EXIT_ERROR, prepared = 0;
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
		OPT_FLAG_("strict-secrets", 0, &pc.strict,
			  "set parameters state.json has no record of "
			  "(instead of noting them as not verifiable)"),
		CLI_BRAKE_OPTIONS(&pc.max_destroy, &pc.allow_destroy),
		OPT_FLAG_("dedupe", 0, &pc.dedupe,
			  "delete newer identical copies of managed objects"),
		CLI_TARGET_OPTION(&pc.targets),
		CLI_SECRET_TIMEOUT_OPTION(&pc.secret_timeout),
		CONNECT_OPTIONS(&pc.co),
		OPT_END_(),
	};

	memset(&pc, 0, sizeof(pc));
	pc.max_destroy = -1;
	cli_vars_init(&pc.v);
	rc = parse_options(argc - 1, argv + 1, opts, &pc, &nargs, &err);
	if (rc == OPTIONS_HELP) {
		buf_reset(&err);
		options_usage("torq-apply plan MANIFEST [options]",
			      "Read the workspace the manifest describes and "
			      "show what apply would change.\nChanges nothing."
			      " Exit 0 on success (with --detailed-exitcode: "
			      "0 no changes,\n2 changes or a problem), 1 on an "
			      "error.",
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

	if (connect_trace_open(&pc.co, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	memset(&po, 0, sizeof(po));
	po.manifest = path;
	po.vars = &pc.v.vars;
	po.resolve_flags = pc.v.resolve_flags;
	po.co = &pc.co;
	po.prune = pc.prune;
	po.rotate_secrets = pc.rotate;
	po.dedupe = pc.dedupe;
	po.strict_secrets = pc.strict;
	po.targets = pc.targets.items;
	po.targets_nr = pc.targets.nr;
	po.secret_timeout = pc.secret_timeout;
	rc = prepare_plan(&po, &pp, &err);
	prepared = 1;
	cli_print_diags(&pp.diags, &pp.doc);
	if (rc == -2 && !pp.plan.workspace) {
		cli_error("'%s' is not valid; nothing was read", path);
		goto out;
	}
	if (rc == -2) {
		cli_error("no plan: the manifest asks for what workspace '%s'"
			  " cannot have", pp.plan.workspace);
		goto out;
	}
	if (rc == -4) {
		cli_error("no plan: a secret of '%s' could not be read", path);
		goto out;
	}
	if (rc) {
		cli_error("%s", err.s);
		goto out;
	}

	cli_warn_targeted(&pp.plan);
	/* what apply would refuse, plan shows, failing a CI check */
	buf_reset(&err);
	if (prepared_brake(&pp, pc.max_destroy, pc.allow_destroy, &err))
		pp.plan.refused = buf_detach(&err, NULL);
	if (pc.json) {
		j = render_json(&pp.plan);
		text = json_dumps(j, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
	} else if (pc.markdown) {
		render_markdown(&pp.plan, &out);
		fputs(out.s, stdout);
	} else {
		render_text(&pp.plan, cli_color(stdout), &out);
		fputs(out.s, stdout);
	}
	if (pc.out) {
		if (!j)
			j = render_json(&pp.plan);
		buf_reset(&err);
		if (save_plan(pc.out, path, &pc.v.vars, j,
			      pp.live_fingerprint, &err)) {
			cli_error("%s", err.s);
			goto out;
		}
		fprintf(stderr, "torq-apply: plan saved to '%s'\n", pc.out);
	}
	if (pp.plan.refused) {
		cli_error("apply would refuse this plan: %s", pp.plan.refused);
		goto out;
	}
	/* a drift check must not pass a problem only an option mends */
	ret = pc.detailed && (!plan_empty(&pp.plan) || pp.plan.problems_nr) ?
	      EXIT_CHANGES : EXIT_OK;
out:
	json_decref(j);
	buf_reset(&err);
	if (connect_trace_close(&pc.co, &err)) {
		cli_error("%s", err.s);
		ret = EXIT_ERROR;
	}
	if (prepared)
		prepared_release(&pp);
	cli_vars_release(&pc.v);
	free(pc.targets.items);
	buf_release(&err);
	buf_release(&out);
	return ret;
}
