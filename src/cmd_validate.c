#include <stdio.h>
#include <string.h>

#include "torq/cli.h"
#include "torq/desired.h"
#include "torq/exitcode.h"
#include "torq/manifest.h"
#include "torq/options.h"
#include "torq/resolve.h"
#include "torq/utf8.h"
#include "torq/banned.h"

static void count(struct buf *out, json_t *root, const char *key,
		  const char *one, const char *many)
{
	size_t n = json_array_size(json_object_get(root, key));

	if (n)
		buf_addf(out, ", %zu %s", n, n == 1 ? one : many);
}

/* "valid: workspace 'acme SOC', 3 users, 1 integration" */
static void summary(const struct doc *doc, struct buf *out)
{
	json_t *root = doc->root;
	const char *ws = doc_display(doc, json_object_get(
		json_object_get(root, "workspace"), "name"));
	size_t cm = json_array_size(json_object_get(
		json_object_get(root, "claim_mappings"), "items"));

	buf_addstr(out, "valid");
	if (ws) {
		buf_addstr(out, ": workspace '");
		utf8_add_clean(out, ws);
		buf_addch(out, '\'');
	} else
		buf_addstr(out, ": no workspace section");
	count(out, root, "users", "user", "users");
	if (cm)
		buf_addf(out, ", %zu claim mapping%s", cm, cm == 1 ? "" : "s");
	count(out, root, "integrations", "integration", "integrations");
	count(out, root, "step_runners", "step runner", "step runners");
	count(out, root, "workflows", "workflow", "workflows");
}

int cmd_validate(int argc, const char **argv)
{
	struct cli_vars c;
	int quiet = 0, nargs = 0, i, rc, ret = EXIT_ERROR;
	size_t budget = DIAG_MAX_ERRORS, unshown = 0;
	struct buf err = BUF_INIT;
	const struct option opts[] = {
		CLI_VAR_OPTIONS,
		OPT_FLAG_("quiet", 'q', &quiet,
			  "print nothing for valid manifests"),
		OPT_END_(),
	};

	cli_vars_init(&c);
	rc = parse_options(argc - 1, argv + 1, opts, &c, &nargs, &err);
	if (rc == OPTIONS_HELP) {
		buf_reset(&err);
		options_usage("torq-apply validate MANIFEST... [options]",
			      "Check manifests: YAML syntax, templates, "
			      "variables, the schema, and the rules\n"
			      "the schema cannot express. Every problem is "
			      "reported at its file:line:col.\n"
			      "Exit 0 when all are valid, 1 otherwise. "
			      "Contacts no API.",
			      opts, &err);
		fputs(err.s, stdout);
		ret = EXIT_OK;
		goto out;
	}
	if (rc) {
		cli_print_diags(&c.diags, &c.doc);
		cli_error("%s", err.s);
		goto out;
	}
	if (!nargs) {
		cli_error("validate needs a manifest; see 'torq-apply "
			  "validate --help'");
		goto out;
	}
	ret = EXIT_OK;
	for (i = 0; i < nargs; i++) {
		const char *path = argv[1 + i];
		struct doc doc;
		struct diag_list diags;
		size_t shown;

		doc_init(&doc);
		/*
		 * One budget of DIAG_MAX_ERRORS errors (and as many warnings)
		 * shown for the whole run, not per file: a thousand broken
		 * files must not flood the log. Files past it are still
		 * checked and counted.
		 */
		diag_list_init(&diags, budget ? budget : 1);
		rc = manifest_load(&doc, path, &c.vars,
				   RESOLVE_SECRETS_OPTIONAL | c.resolve_flags,
				   &diags);
		if (budget) {
			cli_print_diags(&diags, &doc);
			shown = diags.errors - diags.dropped;
			if (diags.warnings - diags.dropped_warnings > shown)
				shown = diags.warnings -
					diags.dropped_warnings;
			budget = shown < budget ? budget - shown : 0;
		} else if (diags.errors || diags.warnings) {
			unshown++;
		}
		buf_reset(&err);
		utf8_add_clean(&err, path);
		if (rc) {
			fprintf(stderr, "%s: invalid: %zu error%s", err.s,
				diags.errors, diags.errors == 1 ? "" : "s");
			if (diags.warnings)
				fprintf(stderr, ", %zu warning%s",
					diags.warnings,
					diags.warnings == 1 ? "" : "s");
			fputc('\n', stderr);
			ret = EXIT_ERROR;
		} else if (!quiet) {
			buf_addstr(&err, ": ");
			summary(&doc, &err);
			printf("%s\n", err.s);
		}
		diag_list_release(&diags);
		doc_release(&doc);
	}
	if (unshown)
		cli_error("the diagnostics of %zu more file%s are not shown",
			  unshown, unshown == 1 ? "" : "s");
out:
	buf_release(&err);
	cli_vars_release(&c);
	return ret;
}
