#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torq/atomicfile.h"
#include "torq/buf.h"
#include "torq/cli.h"
#include "torq/connect.h"
#include "torq/exitcode.h"
#include "torq/fleet.h"
#include "torq/ratelimit.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * torq-apply fleet plan|apply FLEET and fleet summary FILES: every client
 * of a fleet file at once, one summary row each.
 */

#define SUMMARY_MAX (64u << 20)

struct fleet_cmd {
	struct cli_vars v;		/* first: the --var callbacks find it */
	struct connect_options co;
	const char *parallel, *api_parallel, *only, *shard, *summary_out;
	const char *org_rate;
	int json, yes, force, prune, rotate, show, dedupe, strict;
	int allow_destroy;
	long max_destroy;		/* --max-destroy, -1: not given */
	struct cli_replace replace;	/* step runners' names */
	struct target_list targets;	/* --target */
	double lock_timeout;		/* --lock-timeout, -1: for ever */
	double secret_timeout;		/* --secret-timeout, 0: default */
};


/* Is name in the comma-separated list? */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p && *p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

static int check_only(const struct fleet *f, const char *only)
{
	const char *p = only, *e;
	size_t i, n;
	int ok, ret = 0;

	while (p && *p) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		for (ok = 0, i = 0; i < f->nr; i++)
			ok |= strlen(f->clients[i].name) == n &&
				!strncmp(f->clients[i].name, p, n);
		if (!ok) {
			cli_error("--only: '%.*s' is not a client of '%s'",
				  (int)n, p, f->path);
			ret = -1;
		}
		p = e ? e + 1 : NULL;
	}
	return ret;
}

static int run(struct fleet_cmd *fc, int apply, const char *path)
{
	struct fleet f;
	struct diag_list diags;
	struct fleet_options o;
	struct fleet_result *res = NULL;
	struct buf err = BUF_INIT, out = BUF_INIT;
	size_t *which = NULL, nr = 0, i;
	unsigned k = 0, n = 0;
	/*
	 * Workspaces at once: each client's steps form chains that wait on
	 * each other, so clients side by side are what makes a fleet fast;
	 * each keeps its own workspace's limit, and --org-rate-limit caps
	 * them together.
	 */
	long parallel = FLEET_DEFAULT_PARALLEL, org_rate = 0;
	json_t *sum = NULL;
	char *text;
	int ret = EXIT_ERROR;

	diag_list_init(&diags, DIAG_MAX_ERRORS);
	memset(&f, 0, sizeof(f));
	memset(&o, 0, sizeof(o));
	if (fc->parallel && parse_long(fc->parallel, 1, 256, &parallel)) {
		cli_error("--parallel wants a number of workspaces from 1 to "
			  "256, not '%s'", fc->parallel);
		goto out;
	}
	if (fc->org_rate && parse_long(fc->org_rate, 0, 1000000, &org_rate)) {
		cli_error("--org-rate-limit wants requests per second, a whole"
			  " number (0: none), not '%s'", fc->org_rate);
		goto out;
	}
	if (fc->shard && fleet_parse_shard(fc->shard, &k, &n, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	/* the options first: a typo costs no reading */
	if (fleet_load(&f, path, fc->v.resolve_flags, &diags)) {
		cli_print_diags(&diags, &f.doc);
		cli_error("'%s' is not a valid fleet file", path);
		goto out;
	}
	if (fc->only && check_only(&f, fc->only))
		goto out;
	if (apply && !fc->yes) {
		cli_error("fleet apply changes every client's workspace: give "
			  "--yes (run 'fleet plan' first to review)");
		goto out;
	}
	if (connect_trace_open(&fc->co, &err)) {
		cli_error("%s", err.s);
		goto out;
	}
	which = xcalloc(f.nr + 1, sizeof(*which));
	for (i = 0; i < f.nr; i++)
		if ((!fc->only || listed(fc->only, f.clients[i].name)) &&
		    fleet_in_shard(f.clients[i].name, k, n))
			which[nr++] = i;
	res = xcalloc(nr + 1, sizeof(*res));
	fc->co.parallel = fc->api_parallel;
	/* each workspace key keeps its own rate limit across threads */
	fc->co.pool = ratelimit_pool_new(CLIENT_DEFAULT_RATE,
					 CLIENT_DEFAULT_RATE);
	if (fc->co.rate_limit) {
		long rate;

		if (parse_long(fc->co.rate_limit, 0, 100000, &rate)) {
			cli_error("--rate-limit wants a whole number, not '%s'",
				  fc->co.rate_limit);
			goto out;
		}
		ratelimit_pool_free(fc->co.pool);
		fc->co.pool = ratelimit_pool_new((double)rate, (double)rate);
	}
	ratelimit_pool_set_ceiling(fc->co.pool, (double)org_rate);
	o.apply = apply;
	o.co = &fc->co;
	o.vars = &fc->v.vars;
	o.resolve_flags = fc->v.resolve_flags;
	o.prune = fc->prune;
	o.rotate_secrets = fc->rotate;
	o.dedupe = fc->dedupe;
	o.strict_secrets = fc->strict;
	o.max_destroy = fc->max_destroy;
	o.allow_destroy = fc->allow_destroy;
	o.force = fc->force;
	o.parallel = (unsigned)parallel;
	o.replace_runners = (const char *const *)fc->replace.names;
	o.replace_runners_nr = fc->replace.nr;
	o.targets = fc->targets.items;
	o.targets_nr = fc->targets.nr;
	o.lock_timeout = fc->lock_timeout;
	o.secret_timeout = fc->secret_timeout;
	o.lock_wait = cli_lock_wait;
	fleet_run(&f, which, nr, &o, res);

	for (i = 0; fc->show && i < nr; i++) {
		/* the output is rendered clean already; the names are not */
		cli_print(stdout, "== %s (%s)\n", res[i].client->name,
			  res[i].workspace ? res[i].workspace : "?");
		printf("%s\n", res[i].output.s);
	}
	sum = fleet_summary_json(apply ? "apply" : "plan", path, k, n, res,
				 nr);
	text = json_dumps(sum, JSON_INDENT(2));
	if (fc->summary_out) {
		buf_reset(&err);
		buf_addf(&out, "%s\n", text);
		if (atomicfile_write(fc->summary_out, out.s, out.len, 0644, 0,
				     "summary file", &err))
			cli_error("%s", err.s);
		buf_reset(&out);
	}
	if (fc->json) {
		printf("%s\n", text);
	} else {
		fleet_summary_text(sum, &out);
		cli_print(stdout, "%s", out.s);
	}
	free(text);
	ret = err.len ? EXIT_ERROR : json_integer_value(json_object_get(json_object_get(sum,
			"totals"), "failed")) ? EXIT_ERROR : EXIT_OK;
out:
	for (i = 0; res && i < nr; i++)
		fleet_result_release(&res[i]);
	free(res);
	free(which);
	json_decref(sum);
	ratelimit_pool_free(fc->co.pool);
	fc->co.pool = NULL;
	fleet_release(&f);
	buf_reset(&err);
	if (connect_trace_close(&fc->co, &err)) {
		cli_error("%s", err.s);
		ret = EXIT_ERROR;
	}
	diag_list_release(&diags);
	buf_release(&err);
	buf_release(&out);
	return ret;
}

static int summary(struct fleet_cmd *fc, int nargs, const char **args)
{
	json_t **parts = xcalloc((size_t)nargs + 1, sizeof(*parts)), *all;
	struct buf text = BUF_INIT, err = BUF_INIT;
	json_error_t jerr;
	char *dump;
	int i, ret = EXIT_ERROR;

	for (i = 0; i < nargs; i++) {
		buf_reset(&text);
		if (buf_read_file(&text, args[i], SUMMARY_MAX)) {
			cli_error("cannot read '%s'", args[i]);
			goto out;
		}
		parts[i] = json_loadb(text.s, text.len, 0, &jerr);
		if (!parts[i]) {
			cli_error("'%s' is not JSON: line %d: %s", args[i],
				  jerr.line, jerr.text);
			goto out;
		}
	}
	all = fleet_summary_merge(parts, (size_t)nargs, &err);
	if (!all) {
		cli_error("%s", err.s);
		goto out;
	}
	if (fc->json) {
		dump = json_dumps(all, JSON_INDENT(2));
		printf("%s\n", dump);
		free(dump);
	} else {
		buf_reset(&text);
		fleet_summary_text(all, &text);
		cli_print(stdout, "%s", text.s);
	}
	ret = json_integer_value(json_object_get(json_object_get(all,
			"totals"), "failed")) ? EXIT_ERROR : EXIT_OK;
	json_decref(all);
out:
	for (i = 0; i < nargs; i++)
		json_decref(parts[i]);
	free(parts);
	buf_release(&text);
	buf_release(&err);
	return ret;
}

int cmd_fleet(int argc, const char **argv)
{
	struct fleet_cmd fc;
	struct buf err = BUF_INIT;
	int nargs = 0, rc, ret = EXIT_ERROR;
	const struct option opts[] = {
		CLI_VAR_OPTIONS,
		OPT_STRING_("parallel", 0, &fc.parallel, "N",
			    "workspaces at once (default 64)"),
		OPT_STRING_("org-rate-limit", 0, &fc.org_rate, "RPS",
			    "requests per second for all the workspaces "
			    "together (default 0: none)"),
		OPT_STRING_("only", 0, &fc.only, "NAME,...",
			    "only these clients"),
		OPT_STRING_("shard", 0, &fc.shard, "K/N",
			    "only shard K (0 to N-1) of N, by a hash of the "
			    "client's name"),
		OPT_FLAG_("json", 0, &fc.json,
			  "print the summary as JSON (for 'fleet summary')"),
		OPT_STRING_("summary-out", 0, &fc.summary_out, "FILE",
			    "also write the JSON summary to FILE (a shard's "
			    "artifact)"),
		OPT_FLAG_("show-plans", 0, &fc.show,
			  "print every client's plan and steps too"),
		OPT_FLAG_("yes", 'y', &fc.yes, "apply without asking"),
		OPT_FLAG_("force", 0, &fc.force,
			  "replace existing client key files"),
		OPT_FLAG_("prune", 0, &fc.prune,
			  "delete what the template does not name"),
		OPT_FLAG_("rotate-secrets", 0, &fc.rotate,
			  "set every integration holding a secret again"),
		OPT_FLAG_("strict-secrets", 0, &fc.strict,
			  "set parameters state.json has no record of "
			  "(instead of noting them as not verifiable)"),
		CLI_BRAKE_OPTIONS(&fc.max_destroy, &fc.allow_destroy),
		OPT_FLAG_("dedupe", 0, &fc.dedupe,
			  "delete newer identical copies of managed objects"),
		CLI_TARGET_OPTION(&fc.targets),
		CLI_REPLACE_OPTION(&fc.replace, "delete and create again in "
				   "every client (repeatable; only "
				   "step_runner:NAME)"),
		CLI_LOCK_TIMEOUT_OPTION(&fc.lock_timeout),
		CLI_SECRET_TIMEOUT_OPTION(&fc.secret_timeout),
		OPT_STRING_("api-parallel", 0, &fc.api_parallel, "N",
			    "API requests in flight per workspace (default 8)"),
		CONNECT_OPTIONS_COMMON(&fc.co),
		OPT_END_(),
	};

	memset(&fc, 0, sizeof(fc));
	fc.lock_timeout = -1;
	fc.max_destroy = -1;
	cli_vars_init(&fc.v);
	rc = parse_options(argc - 1, argv + 1, opts, &fc, &nargs, &err);
	if (rc == OPTIONS_HELP) {
		buf_reset(&err);
		options_usage("torq-apply fleet plan|apply FLEET [options]\n"
			      "       torq-apply fleet summary SUMMARY.json... "
			      "[--json]",
			      "Plan or apply every client of a fleet file at "
			      "once: the template with each\nclient's "
			      "variables and key. One row per client; exit 1 "
			      "if any failed.\n'fleet summary' merges the "
			      "--json summaries of several shards.", opts,
			      &err);
		fputs(err.s, stdout);
		ret = EXIT_OK;
		goto out;
	}
	if (rc) {
		cli_print_diags(&fc.v.diags, &fc.v.doc);
		cli_error("%s", err.s);
		goto out;
	}
	if (nargs >= 1 && !strcmp(argv[1], "summary")) {
		if (nargs < 2) {
			cli_error("fleet summary needs the --json summaries to "
				  "merge");
			goto out;
		}
		ret = summary(&fc, nargs - 1, argv + 2);
		goto out;
	}
	if (nargs != 2 || (strcmp(argv[1], "plan") && strcmp(argv[1],
							     "apply"))) {
		cli_error("usage: torq-apply fleet plan|apply FLEET; see "
			  "'torq-apply fleet --help'");
		goto out;
	}
	ret = run(&fc, !strcmp(argv[1], "apply"), argv[2]);
out:
	cli_vars_release(&fc.v);
	free(fc.replace.names);
	free(fc.targets.items);
	buf_release(&err);
	return ret;
}
