#ifndef TORQ_CLI_H
#define TORQ_CLI_H

#include <stdio.h>

#include "torq/diag.h"
#include "torq/doc.h"
#include "torq/options.h"
#include "torq/plan.h"
#include "torq/resolve.h"
#include "torq/target.h"

#define TORQ_VERSION "0.1.0"

/*
 * The commands, dispatched from the table in main.c. Each gets its own
 * arguments (argv[0] is the command name) and returns the exit code; only
 * commands and main() print final errors.
 */
int cmd_validate(int argc, const char **argv);
int cmd_version(int argc, const char **argv);
int cmd_plan(int argc, const char **argv);
int cmd_apply(int argc, const char **argv);
int cmd_export(int argc, const char **argv);
int cmd_fleet(int argc, const char **argv);
int cmd_report(int argc, const char **argv);
int cmd_doctor(int argc, const char **argv);

/* 1 when stream is a terminal and NO_COLOR is unset (https://no-color.org). */
int cli_color(FILE *stream);

/*
 * Print diagnostics to stderr, with source lines from doc (may be NULL)
 * and colour when stderr is a terminal.
 */
void cli_print_diags(const struct diag_list *diags, struct doc *doc);

/*
 * printf to stream through utf8_add_clean_lines(): the one way commands
 * print a line that holds names from a manifest or the API, so none can
 * drive the terminal. Line breaks in the result stay line breaks.
 */
void cli_print(FILE *stream, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "torq-apply: <message>" on stderr, as cli_print() cleans it. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * --var and --var-file, shared by the commands that read manifests. A
 * command's option context must start with a struct cli_vars, which the
 * callbacks find there.
 */
struct cli_vars {
	struct varset vars;
	unsigned resolve_flags;		/* RESOLVE_EXTENDS_ANYWHERE */
	struct doc doc;			/* holds --var-file texts for diagnostics */
	struct diag_list diags;
};

void cli_vars_init(struct cli_vars *v);
void cli_vars_release(struct cli_vars *v);
/*
 * --replace KIND:NAME (apply, fleet apply), repeatable: only
 * step_runner:NAME. The option's target is a struct cli_replace, whose
 * names point into argv; free(names) when done.
 */
struct cli_replace {
	const char **names;
	size_t nr, alloc;
};

int cli_opt_replace(const struct option *o, const char *arg, void *ctx,
		    struct buf *err);

#define CLI_REPLACE_OPTION(list, help) \
	{ "replace", 0, OPT_CALLBACK, list, cli_opt_replace, "KIND:NAME", \
	  help }

/*
 * --target KIND:NAME (plan, apply, fleet), repeatable (target.h). The
 * option's target is a struct target_list, whose names point into argv;
 * free(items) when done.
 */
int cli_opt_target(const struct option *o, const char *arg, void *ctx,
		   struct buf *err);

#define CLI_TARGET_OPTION(list) \
	{ "target", 0, OPT_CALLBACK, list, cli_opt_target, "KIND:NAME", \
	  "plan only this object and what it depends on (repeatable; kinds:" \
	  " user, claim_mapping, integration, step_runner, workflow, tag)" }

/*
 * What a targeted plan's command says first: which objects, and that
 * the rest is unchecked. Nothing when the plan is not targeted.
 */
void cli_warn_targeted(const struct plan *p);

/*
 * --lock-timeout SECONDS (apply, fleet apply): how long to wait for
 * another apply of the workspace on this machine (lock.h). The target is
 * a double, -1 (wait for ever) unless given.
 */
int cli_opt_lock_timeout(const struct option *o, const char *arg, void *ctx,
			 struct buf *err);

#define CLI_LOCK_TIMEOUT_OPTION(timeout) \
	{ "lock-timeout", 0, OPT_CALLBACK, timeout, cli_opt_lock_timeout, \
	  "SECONDS", "wait at most this long for another apply of the " \
	  "workspace (default: as long as it takes; 0: not at all)" }

/*
 * --secret-timeout SECONDS (plan, apply, fleet): how long each
 * ${secret:cmd:...} command may run (secretcmd.h). The target is a
 * double, 0 (the default, 30 s) unless given; whole or decimal seconds
 * above 0, at most 3600.
 */
int cli_opt_secret_timeout(const struct option *o, const char *arg,
			   void *ctx, struct buf *err);

#define CLI_SECRET_TIMEOUT_OPTION(timeout) \
	{ "secret-timeout", 0, OPT_CALLBACK, timeout, \
	  cli_opt_secret_timeout, "SECONDS", "stop a ${secret:cmd:...} " \
	  "command that runs longer (default 30)" }

/*
 * The safety brake (brake.h): --max-destroy N into a long (-1 when not
 * given: the caller sets that first) and --allow-destroy.
 */
int cli_opt_max_destroy(const struct option *o, const char *arg, void *ctx,
			struct buf *err);
#define CLI_BRAKE_OPTIONS(max, allow) \
	{ "max-destroy", 0, OPT_CALLBACK, max, cli_opt_max_destroy, "N", \
	  "refuse a plan that deletes more than N objects (as " \
	  "policy.max_destroy)" }, \
	OPT_FLAG_("allow-destroy", 0, allow, "let a plan delete more than " \
		  "max_destroy, or more than a quarter of a kind")

/* prepare_options.lock_wait for the commands: says who holds the lock. */
struct lock_holder;
void cli_lock_wait(void *ctx, const char *workspace, const char *path,
		   const struct lock_holder *h);

int cli_opt_var(const struct option *o, const char *arg, void *ctx,
		struct buf *err);
int cli_opt_var_file(const struct option *o, const char *arg, void *ctx,
		     struct buf *err);
int cli_opt_extends_anywhere(const struct option *o, const char *arg,
			     void *ctx, struct buf *err);

#define CLI_VAR_OPTIONS \
	OPT_CALLBACK_("var", 0, cli_opt_var, "NAME=VALUE", \
		      "set a variable (repeatable; wins over vars:)"), \
	OPT_CALLBACK_("var-file", 0, cli_opt_var_file, "FILE", \
		      "read variables from a YAML mapping (repeatable)"), \
	OPT_FLAG_CB_("allow-extends-outside", 0, cli_opt_extends_anywhere, \
		     "let extends: read any file, not only .yaml/.yml " \
		     "files in the manifest's tree")

#endif
