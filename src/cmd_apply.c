#include <errno.h>
#include <signal.h>
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
	int yes, force, prune, rotate, dedupe, strict, allow_destroy;
	long max_destroy;		/* --max-destroy, -1: not given */
	const char *confirm;		/* --confirm: "changed" or "full" */
	int confirm_full;
	struct cli_replace replace;	/* step runners' names */
	struct target_list targets;	/* --target */
	double lock_timeout;		/* --lock-timeout, -1: for ever */
	double secret_timeout;		/* --secret-timeout, 0: default */
};

/* The signal that asked apply to stop (SIGTERM, SIGINT), or 0. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/*
 * From the confirmation on, SIGTERM and SIGINT let the steps under way
 * finish (a runner's install command reaches its file) and start no
 * more; a second one ends apply at once (SA_RESETHAND). A signal the
 * caller ignores (SIGINT in a background job) stays ignored; the old
 * actions come back after.
 */
static struct sigaction old_term, old_int;

static void catch_stop_signals(int on)
{
	struct sigaction sa;

	if (!on) {
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGINT, &old_int, NULL);
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGTERM, NULL, &old_term);
	sigaction(SIGINT, NULL, &old_int);
	if (old_term.sa_handler != SIG_IGN)
		sigaction(SIGTERM, &sa, NULL);
	if (old_int.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
}


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
	/* the requests' time; waiting for a slot or the limiter apart */
	if (ev->status == APPLY_DONE && ev->seconds - ev->request_seconds >=
	    0.005)
		printf(" (%.2f s, %.2f s waiting)", ev->request_seconds,
		       ev->seconds - ev->request_seconds);
	else if (ev->status == APPLY_DONE)
		printf(" (%.2f s)", ev->request_seconds);
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

/*
 * Read again and plan again: nothing should be left to do. Returns 0
 * when the workspace matches the manifest (or has only problems, which
 * the caller reports), -1 when it could not be read or does not match.
 */
/* The model kind a step's object is of; 0 for the workspace: all. */
static unsigned kind_of(enum plan_resource r)
{
	switch (r) {
	case RES_CLAIM_MAPPING:
		return MODEL_CLAIM_MAPPINGS;
	case RES_USER:
		return MODEL_USERS;
	case RES_INTEGRATION:
		return MODEL_INTEGRATIONS;
	case RES_RUNNER:
		return MODEL_RUNNERS;
	case RES_WORKFLOW:
		return MODEL_WORKFLOWS;
	default:
		return 0;
	}
}

static int check_converged(const struct prepare_options *po,
			   const struct plan *done, int full)
{
	struct prepared again;
	struct prepare_options fresh = *po;
	struct buf err = BUF_INIT;
	unsigned kinds = MODEL_ROLES;
	size_t i;
	int rc, ret = -1;

	/*
	 * The kinds this run changed are read again and planned again;
	 * the others did not move. A workflow's YAML is not read again:
	 * the revision Torq shows must be the one the import or update
	 * answered, whose digest state.json recorded from the manifest.
	 * --confirm=full reads every kind and every workflow's YAML. What
	 * was read is recorded, so the next plan reads none of it. The
	 * lock is this run's already.
	 */
	for (i = 0; i < done->steps_nr; i++)
		kinds |= kind_of(done->steps[i].resource) ?
			kind_of(done->steps[i].resource) : MODEL_ALL;
	fresh.fresh_contents = full;
	fresh.only_kinds = full ? 0 : kinds;
	fresh.lock = 0;
	fresh.key_checked = 1;
	fresh.targets_checked = 1;
	/* replaced and rotated now: plan as usual */
	fresh.replace_runners_nr = 0;
	fresh.rotate_secrets = 0;
	fresh.dedupe = 0;
	rc = prepare_plan(&fresh, &again, &err);
	if (!rc && prepared_save_state(&again, &err)) {
		fprintf(stderr, "torq-apply: warning: %s\n", err.s);
		buf_reset(&err);
	}
	if (rc) {
		cli_error("could not read the workspace again to confirm "
			  "it: %s", err.len ? err.s : "the plan failed");
	} else if (again.plan.problems_nr) {
		ret = 0;	/* the caller reports them */
	} else if (!plan_empty(&again.plan)) {
		cli_error("workspace '%s' does not match the manifest after "
			  "apply: %zu step%s left (changed in Torq meanwhile?);"
			  " run 'torq-apply plan' to see them",
			  again.plan.workspace, again.plan.steps_nr,
			  again.plan.steps_nr == 1 ? "" : "s");
	} else {
		cli_print(stdout, again.plan.targets_nr ? "The targeted "
			  "objects of workspace '%s' match the manifest.\n" :
			  "Workspace '%s' matches the manifest.\n",
			  again.plan.workspace);
		ret = 0;
	}
	prepared_release(&again);
	buf_release(&err);
	return ret;
}

/* The targets a saved plan was made with (plan --target). */
static int saved_targets(const json_t *list, struct target_list *l,
			 struct buf *err)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		ALLOC_GROW(l->items, l->nr + 1, l->alloc);
		if (!json_is_string(v)) {
			buf_addstr(err, "a target that is not a string");
			return -1;
		}
		if (target_parse(json_string_value(v), &l->items[l->nr], err))
			return -1;
		l->nr++;
	}
	return 0;
}

static int has_runner(const struct model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->runners_nr; i++)
		if (!strcmp(m->runners[i].name, name))
			return 1;
	return 0;
}

/*
 * What no step mends (a lost install command) fails apply, each named
 * with the option that mends it. Returns the exit code.
 */
static int report_problems(const struct plan *p)
{
	struct buf line = BUF_INIT;
	size_t i;

	for (i = 0; i < p->problems_nr; i++) {
		buf_reset(&line);
		render_problem(&p->problems[i], "apply", &line);
		cli_error("%s", line.s);
	}
	buf_release(&line);
	return p->problems_nr ? EXIT_ERROR : EXIT_OK;
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
		OPT_FLAG_("strict-secrets", 0, &ac.strict,
			  "set parameters state.json has no record of "
			  "(instead of noting them as not verifiable)"),
		OPT_FLAG_("dedupe", 0, &ac.dedupe,
			  "delete newer copies identical to the oldest of a "
			  "managed object (never one that differs)"),
		CLI_TARGET_OPTION(&ac.targets),
		CLI_REPLACE_OPTION(&ac.replace, "delete and create again "
				   "(repeatable; only step_runner:NAME, for a "
				   "new install command)"),
		OPT_STRING_("confirm", 0, &ac.confirm, "WHAT",
			    "what the read after apply reads again: 'changed' "
			    "(the lists of the kinds it changed; the default) "
			    "or 'full' (every kind, every workflow's YAML)"),
		CLI_BRAKE_OPTIONS(&ac.max_destroy, &ac.allow_destroy),
		CLI_LOCK_TIMEOUT_OPTION(&ac.lock_timeout),
		CLI_SECRET_TIMEOUT_OPTION(&ac.secret_timeout),
		CONNECT_OPTIONS(&ac.co),
		OPT_END_(),
	};

	memset(&ac, 0, sizeof(ac));
	memset(&po, 0, sizeof(po));
	ac.lock_timeout = -1;
	ac.max_destroy = -1;
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
		/* made with --dedupe or --prune: applied with it */
		if (json_is_true(json_object_get(json_object_get(saved,
						"plan"), "dedupe")))
			ac.dedupe = 1;
		if (json_is_true(json_object_get(json_object_get(saved,
						"plan"), "prune")))
			ac.prune = 1;
		/* and made with --target: applied to the same objects */
		if (ac.targets.nr) {
			cli_error("--target cannot change a saved plan: plan "
				  "again with --target");
			goto out;
		}
		if (saved_targets(json_object_get(json_object_get(saved,
				  "plan"), "targets"), &ac.targets, &err)) {
			cli_error("'%s': %s", argv[1], err.s);
			goto out;
		}
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

	if (ac.confirm && strcmp(ac.confirm, "changed") &&
	    strcmp(ac.confirm, "full")) {
		cli_error("--confirm takes 'changed' or 'full', not '%s'",
			  ac.confirm);
		goto out;
	}
	ac.confirm_full = ac.confirm && !strcmp(ac.confirm, "full");
	if (saved && ac.replace.nr) {
		cli_error("--replace cannot change a saved plan: apply the "
			  "manifest with --replace");
		goto out;
	}

	if (connect_trace_open(&ac.co, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	memset(&po, 0, sizeof(po));
	po.replace_runners = (const char *const *)ac.replace.names;
	po.replace_runners_nr = ac.replace.nr;
	po.manifest = path;
	po.vars = &ac.v.vars;
	po.resolve_flags = ac.v.resolve_flags;
	po.co = &ac.co;
	po.prune = ac.prune;
	po.rotate_secrets = ac.rotate;
	po.dedupe = ac.dedupe;
	po.strict_secrets = ac.strict;
	po.targets = ac.targets.items;
	po.targets_nr = ac.targets.nr;
	po.lock = 1;
	po.lock_timeout = ac.lock_timeout;
	po.secret_timeout = ac.secret_timeout;
	po.lock_wait = cli_lock_wait;
	/*
	 * The source workspace is only read, never changed: the read that
	 * confirms reuses what the plan read of it.
	 */
	po.cache = prepare_cache_new();
	rc = prepare_plan(&po, &pp, &err);
	prepared = 1;
	cli_print_diags(&pp.diags, &pp.doc);
	if (rc == -2 || rc == -4) {
		cli_error("'%s' cannot be applied; nothing was changed", path);
		goto out;
	}
	if (rc) {
		cli_error("%s", err.s);
		goto out;
	}
	if (saved) {
		now = render_json(&pp.plan);
		/* notes ("not seen for 2 days") are no change */
		json_object_del(now, "notes");
		json_object_del(json_object_get(saved, "plan"), "notes");
		if (strcmp(saved_fp, pp.live_fingerprint) ||
		    !json_equal(now, json_object_get(saved, "plan"))) {
			cli_error("workspace '%s' or the manifest changed since "
				  "'%s' was made; make a new plan",
				  pp.plan.workspace, argv[1]);
			goto out;
		}
	}
	for (i = 0; i < ac.replace.nr; i++)
		if (!has_runner(&pp.desired, ac.replace.names[i])) {
			cli_error("--replace step_runner:%s: the manifest "
				  "names no step runner '%s'",
				  ac.replace.names[i], ac.replace.names[i]);
			goto out;
		}
	if (!journal_last_run(pp.dir, pp.plan.workspace, &last, &err) &&
	    journal_describe_last(&last, &out))
		fprintf(stderr, "torq-apply: note: %s\n", out.s);
	buf_reset(&out);
	buf_reset(&err);

	cli_warn_targeted(&pp.plan);
	render_text(&pp.plan, cli_color(stdout), &out);
	fputs(out.s, stdout);
	if (plan_empty(&pp.plan)) {
		if (prepared_save_state(&pp, &err))
			fprintf(stderr, "torq-apply: warning: %s\n", err.s);
		ret = report_problems(&pp.plan);
		goto out;
	}
	buf_reset(&err);
	if (prepared_brake(&pp, ac.max_destroy, ac.allow_destroy, &err)) {
		cli_error("%s", err.s);
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
	stop_signal = 0;
	pp.stop = &stop_signal;
	catch_stop_signals(1);
	rc = prepared_apply(&pp, ac.force, on_progress, &pr, &res, &err);
	catch_stop_signals(0);
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
	if (stop_signal) {
		cli_error("apply was stopped by %s: the steps under way "
			  "finished, the others did not start; apply again to "
			  "finish", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
		goto out;
	}
	if (rc && res.key_lost) {
		cli_error("workspace '%s' exists, but its key is lost (Torq "
			  "shows it only once): create an API key for the "
			  "workspace in Torq and put it (mode 0600) in the "
			  "file named by workspace.credentials; applying "
			  "again cannot help before that", pp.plan.workspace);
		goto out;
	}
	if (rc) {
		buf_reset(&out);
		journal_path(pp.dir, pp.plan.workspace, &out);
		fprintf(stderr, "torq-apply: some steps did not run; the "
			"journal is %s; apply again to finish\n", out.s);
		goto out;
	}
	if (check_converged(&po, &pp.plan, ac.confirm_full))
		goto out;
	ret = report_problems(&pp.plan);
out:
	journal_last_release(&last);
	buf_reset(&err);
	if (connect_trace_close(&ac.co, &err)) {
		cli_error("%s", err.s);
		ret = EXIT_ERROR;
	}
	apply_result_release(&res);
	json_decref(saved);
	json_decref(now);
	if (prepared)
		prepared_release(&pp);
	prepare_cache_free(po.cache);
	cli_vars_release(&ac.v);
	free(ac.replace.names);
	free(ac.targets.items);
	buf_release(&err);
	buf_release(&out);
	return ret;
}
