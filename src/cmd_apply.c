#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "torq/apply.h"
#include "torq/buf.h"
#include "torq/cli.h"
#include "torq/connect.h"
#include "torq/exitcode.h"
#include "torq/journal.h"
#include "torq/prepare.h"
#include "torq/render.h"
#include "torq/utf8.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * torq-apply apply: plan, show, confirm, run the steps, record them, and
 * read the workspace again to confirm it now matches.
 */

#define PLAN_FILE_MAX (64u << 20)

struct apply_cmd {
	struct cli_vars v;		/* first: the --var callbacks find it */
	struct connect_options co;
	int yes, force, prune, rotate;
};

struct progress {
	size_t total;
	size_t ended;
	int color;
	int tty;		/* draw a bar under the lines */
};

#define BAR_WIDTH 30

/* "[##########....................] 10/30", kept on the last line. */
static void draw_bar(const struct progress *pr)
{
	size_t fill = pr->total ? pr->ended * BAR_WIDTH / pr->total : 0, i;

	fputs("\r\033[K[", stdout);
	for (i = 0; i < BAR_WIDTH; i++)
		putchar(i < fill ? '#' : '.');
	printf("] %zu/%zu", pr->ended, pr->total);
	fflush(stdout);
}

static void on_progress(void *ctx, const struct apply_event *ev)
{
	struct progress *pr = ctx;
	const char *sign = plan_action_sign(ev->step->action);
	const char *c = "", *r = "";
	struct buf id = BUF_INIT, detail = BUF_INIT, msg = BUF_INIT;

	if (ev->status == APPLY_RUNNING)
		return;
	/* names and API messages, shown clean; the colours are ours */
	utf8_add_clean(&id, ev->step->identity ? ev->step->identity : "");
	if (ev->step->detail)
		utf8_add_clean(&detail, ev->step->detail);
	if (ev->message)
		utf8_add_clean(&msg, ev->message);
	pr->ended++;
	if (pr->tty)
		fputs("\r\033[K", stdout);
	if (pr->color) {
		c = ev->status == APPLY_DONE ? "\033[32m" : "\033[31m";
		r = "\033[0m";
	}
	printf("[%zu/%zu] %s %s %s%s%s: %s%s%s", pr->ended, pr->total, sign,
	       plan_step_kind_name(ev->step->kind), id.s,
	       ev->step->detail ? " #" : "", detail.s, c,
	       apply_status_name(ev->status), r);
	if (ev->status == APPLY_DONE)
		printf(" (%.2f s)", ev->seconds);
	if (ev->message)
		printf(": %s", msg.s);
	putchar('\n');
	buf_release(&id);
	buf_release(&detail);
	buf_release(&msg);
	if (pr->tty && pr->ended < pr->total)
		draw_bar(pr);
	fflush(stdout);
}

/* The saved plan's wrapper (docs/plan-format.md), or NULL if not one. */
static json_t *read_saved_plan(const char *path)
{
	struct buf text = BUF_INIT;
	json_t *j = NULL;

	if (!buf_read_file(&text, path, PLAN_FILE_MAX) && text.len &&
	    text.s[0] == '{')
		j = json_loadb(text.s, text.len, 0, NULL);
	buf_release(&text);
	if (j && !json_is_string(json_object_get(j, "live_fingerprint"))) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static int confirm(const char *workspace, int yes)
{
	char line[64];

	if (yes)
		return 0;
	if (!isatty(STDIN_FILENO)) {
		cli_error("not asking on a terminal: give --yes to apply");
		return -1;
	}
	cli_print(stdout, "\nApply these changes to workspace '%s'? Only "
		  "'yes' is accepted: ", workspace);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin) || strcmp(line, "yes\n")) {
		cli_error("apply cancelled; nothing was changed");
		return -1;
	}
	return 0;
}

static int written(const struct apply_result *res, const char *path)
{
	size_t i;

	for (i = 0; path && i < res->files_nr; i++)
		if (!strcmp(res->files[i], path))
			return 1;
	return 0;
}

/* Read again and plan again: nothing should be left to do. */
static void check_converged(const struct prepare_options *po)
{
	struct prepared again;
	struct prepare_options fresh = *po;
	struct buf err = BUF_INIT;
	int rc;

	/*
	 * Every workflow's YAML is read for real, not taken from state.json,
	 * and what was read is recorded, so the next plan reads none of it.
	 */
	fresh.fresh_contents = 1;
	rc = prepare_plan(&fresh, &again, &err);
	if (!rc && prepared_save_state(&again, &err)) {
		fprintf(stderr, "torq-apply: warning: %s\n", err.s);
		buf_reset(&err);
	}
	if (rc)
		cli_print(stderr, "torq-apply: could not read the workspace "
			  "again to confirm it: %s\n", err.len ? err.s :
			  "the plan failed");
	else if (!plan_empty(&again.plan))
		cli_print(stderr, "torq-apply: workspace '%s' does not match "
			  "the manifest yet: %zu step%s left; run apply "
			  "again\n", again.plan.workspace,
			  again.plan.steps_nr,
			  again.plan.steps_nr == 1 ? "" : "s");
	else
		cli_print(stdout, "Workspace '%s' matches the manifest.\n",
			  again.plan.workspace);
	prepared_release(&again);
	buf_release(&err);
}

int cmd_apply(int argc, const char **argv)
{
	struct apply_cmd ac;
	struct prepare_options po;
	struct prepared pp;
	struct apply_result res;
	struct progress pr;
	struct journal_last last;
	struct buf err = BUF_INIT, out = BUF_INIT;
	const char *path, *saved_fp = NULL;
	json_t *saved = NULL, *jv, *v, *now = NULL;
	const char *key;
	struct timespec t0, t1;
	int nargs = 0, rc, ret = EXIT_ERROR, prepared = 0;
	size_t i;
	const struct option opts[] = {
		CLI_VAR_OPTIONS,
		OPT_FLAG_("yes", 'y', &ac.yes,
			  "apply without asking (needed without a terminal)"),
		OPT_FLAG_("force", 0, &ac.force,
			  "replace an existing credentials_out file"),
		OPT_FLAG_("prune", 0, &ac.prune,
			  "delete what the manifest does not name (as "
			  "policy.prune)"),
		OPT_FLAG_("rotate-secrets", 0, &ac.rotate,
			  "set every integration holding a secret again"),
		CONNECT_OPTIONS(&ac.co),
		OPT_END_(),
	};

	memset(&ac, 0, sizeof(ac));
	memset(&res, 0, sizeof(res));
	memset(&last, 0, sizeof(last));
	cli_vars_init(&ac.v);
	rc = parse_options(argc - 1, argv + 1, opts, &ac, &nargs, &err);
	if (rc == OPTIONS_HELP) {
		buf_reset(&err);
		options_usage("torq-apply apply MANIFEST|PLAN [options]",
			      "Make the workspace match the manifest: plan, "
			      "show the plan, ask (or --yes),\nrun the steps, "
			      "then read the workspace again to confirm. A "
			      "saved plan\n(plan --out) is applied only if the"
			      " workspace has not changed since.\nExit 0 when"
			      " every step is done, 1 otherwise.", opts, &err);
		fputs(err.s, stdout);
		ret = EXIT_OK;
		goto out;
	}
	if (rc) {
		cli_print_diags(&ac.v.diags, &ac.v.doc);
		cli_error("%s", err.s);
		goto out;
	}
	if (nargs != 1) {
		cli_error("apply needs one manifest or saved plan; see "
			  "'torq-apply apply --help'");
		goto out;
	}
	path = argv[1];

	/* A saved plan names its manifest and variables. */
	saved = read_saved_plan(path);
	if (saved) {
		path = json_string_value(json_object_get(saved, "manifest"));
		saved_fp = json_string_value(json_object_get(saved,
						"live_fingerprint"));
		jv = json_object_get(saved, "vars");
		json_object_foreach(jv, key, v)
			if (json_is_string(v))
				varset_set(&ac.v.vars, key,
					   json_string_value(v));
		if (!path) {
			cli_error("'%s' is a plan file without a manifest",
				  argv[1]);
			goto out;
		}
	}

	memset(&po, 0, sizeof(po));
	po.manifest = path;
	po.vars = &ac.v.vars;
	po.resolve_flags = ac.v.resolve_flags;
	po.co = &ac.co;
	po.prune = ac.prune;
	po.rotate_secrets = ac.rotate;
	rc = prepare_plan(&po, &pp, &err);
	prepared = 1;
	cli_print_diags(&pp.diags, &pp.doc);
	if (rc == -2) {
		cli_error("'%s' cannot be applied; nothing was changed", path);
		goto out;
	}
	if (rc) {
		cli_error("%s", err.s);
		goto out;
	}
	if (saved) {
		now = render_json(&pp.plan);
		if (strcmp(saved_fp, pp.live_fingerprint) ||
		    !json_equal(now, json_object_get(saved, "plan"))) {
			cli_error("workspace '%s' or the manifest changed since "
				  "'%s' was made; make a new plan",
				  pp.plan.workspace, argv[1]);
			goto out;
		}
	}
	if (!journal_last_run(pp.dir, pp.plan.workspace, &last, &err) &&
	    journal_describe_last(&last, &out))
		fprintf(stderr, "torq-apply: note: %s\n", out.s);
	buf_reset(&out);
	buf_reset(&err);

	render_text(&pp.plan, cli_color(stdout), &out);
	fputs(out.s, stdout);
	if (plan_empty(&pp.plan)) {
		if (prepared_save_state(&pp, &err))
			fprintf(stderr, "torq-apply: warning: %s\n", err.s);
		ret = EXIT_OK;
		goto out;
	}
	if (confirm(pp.plan.workspace, ac.yes))
		goto out;
	putchar('\n');

	memset(&pr, 0, sizeof(pr));
	pr.total = pp.plan.steps_nr;
	pr.color = cli_color(stdout);
	pr.tty = isatty(STDOUT_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = prepared_apply(&pp, ac.force, on_progress, &pr, &res, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == -2 || rc == -3)
		cli_error("%s", err.s);
	buf_reset(&err);

	printf("\nApply %s: %zu done, %zu failed, %zu skipped in %.1f s.\n",
	       rc ? "incomplete" : "complete", res.done, res.failed,
	       res.skipped, (double)(t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (i = 0; i < res.files_nr; i++)
		printf("Wrote %s (mode 0600)\n", res.files[i]);
	for (i = 0; i < pp.desired.runners_nr; i++)
		if (written(&res, pp.desired.runners[i].install_commands_out))
			cli_print(stdout, "Run %s where step runner '%s' "
				  "should live.\n",
				  pp.desired.runners[i].install_commands_out,
				  pp.desired.runners[i].name);
	if (rc) {
		buf_reset(&out);
		journal_path(pp.dir, pp.plan.workspace, &out);
		fprintf(stderr, "torq-apply: some steps did not run; the "
			"journal is %s; apply again to finish\n", out.s);
		goto out;
	}
	check_converged(&po);
	ret = EXIT_OK;
out:
	journal_last_release(&last);
	apply_result_release(&res);
	json_decref(saved);
	json_decref(now);
	if (prepared)
		prepared_release(&pp);
	cli_vars_release(&ac.v);
	buf_release(&err);
	buf_release(&out);
	return ret;
}
