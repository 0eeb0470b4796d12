#ifndef TORQ_RESOLVE_H
#define TORQ_RESOLVE_H

#include <stddef.h>

#include "torq/buf.h"
#include "torq/diag.h"
#include "torq/doc.h"

/*
 * Turning a manifest file into its resolved document:
 *   1. load it and, through `extends:`, its templates (paths relative to
 *      the file that names them; cycles are errors; only .yaml and .yml
 *      files in the manifest's tree, see resolve_template_allowed; a
 *      template that is not a YAML mapping or that only its owner may
 *      read is never quoted in diagnostics), and merge each
 *      template under the file that extends it: maps merge key by key,
 *      lists of named objects merge by identity (identity.h), anything
 *      else is replaced; the extending file wins;
 *   2. substitute references in every string value:
 *        ${name}             a variable: --var / --var-file, else vars:
 *        ${env:NAME}         an environment variable
 *        ${secret:env:NAME}  a secret from the environment
 *        ${secret:file:PATH} a secret file's contents (one trailing
 *                            newline dropped), PATH relative to the file
 *        ${secret:cmd:COMMAND ARGS...}
 *                            what a command prints (secretcmd.h): its
 *                            ${name} and ${env:NAME} are expanded (a
 *                            secret there is an error), then it is
 *                            split into words by secretcmd.h's rules
 *                            (blanks separate; '...' and "..." group;
 *                            backslash escapes; an unterminated quote is
 *                            an error) and its program found in PATH.
 *                            Nothing runs here: the command joins
 *                            doc->cmds and the node is a deferred secret
 *                            (doc.h) whose value prepare.h sets once the
 *                            command ran. With RESOLVE_SECRETS_OPTIONAL
 *                            (validate) no command is listed, and a
 *                            program not in PATH is only a warning.
 *        $${                 a literal "${" (inside a command's
 *                            reference its '}' is literal too)
 *      A plain (unquoted) scalar that is exactly one ${name} or
 *      ${env:NAME} is re-read as YAML, so `count: ${n}` can be a number.
 *      A string with a secret reference keeps its reference text in the
 *      tree; the value goes to the doc's secret table (doc.h).
 * Every problem is a diagnostic at its place; all are collected.
 */

struct var {
	char *name;
	char *value;
};

struct varset {
	struct var *items;
	size_t nr, alloc;
};

void varset_init(struct varset *v);
void varset_release(struct varset *v);
/* Set name to value, replacing an earlier value. */
void varset_set(struct varset *v, const char *name, const char *value);
/* Borrowed; NULL when unset. */
const char *varset_get(const struct varset *v, const char *name);
/* "NAME=VALUE" from --var. Returns 0, or -1 with a message in err. */
int varset_parse(struct varset *v, const char *arg, struct buf *err);
/*
 * A --var-file: a YAML mapping of names to strings, numbers or booleans.
 * Loaded into doc so diagnostics can show its lines.
 */
int varset_load_file(struct varset *v, struct doc *doc, const char *path,
		     struct diag_list *diags);
/* 1 when name is a valid variable name ([A-Za-z_][A-Za-z0-9_]*). */
int var_name_ok(const char *name, size_t len);

enum resolve_flags {
	/*
	 * A secret that cannot be read (unset variable, missing file, a
	 * command's program not in PATH) is a warning, not an error:
	 * `validate` runs where secrets are absent. Commands are not listed.
	 */
	RESOLVE_SECRETS_OPTIONAL = 1 << 0,
	/*
	 * --allow-extends-outside: extends: may name any file, not only a
	 * .yaml or .yml file inside the manifest's tree.
	 */
	RESOLVE_EXTENDS_ANYWHERE = 1 << 1,
};

/*
 * The tree a manifest's templates must be in (README, "Templates"): the
 * git work tree that holds the manifest top (named on the command line);
 * else the current directory, when it holds top; else top's directory.
 * Canonical (realpath), appended to out.
 */
void resolve_tree_root(const char *top, struct buf *out);

/*
 * 0 when the template shown (as written, resolved against the file that
 * names it; real is its realpath) may be read: its name ends in .yaml or
 * .yml and it lies under root, or flags has RESOLVE_EXTENDS_ANYWHERE.
 * Else -1 with "'shown' is ..." in err. A file that extends: names may be
 * anything on the machine, so nothing else is read, let alone quoted.
 */
int resolve_template_allowed(const char *root, const char *shown,
			     const char *real, unsigned flags,
			     struct buf *err);

/*
 * Load path with its templates and substitute references. cli (may be
 * NULL) overrides the manifest's vars:. On success doc->root is the
 * resolved tree and 0 is returned; on failure -1 (doc->root may still hold
 * what could be resolved, for more diagnostics).
 */
int resolve_manifest(struct doc *doc, const char *path,
		     const struct varset *cli, unsigned flags,
		     struct diag_list *diags);

/* Largest secret file read by ${secret:file:...}. */
#define RESOLVE_MAX_SECRET_FILE (1u << 20)
/* Deepest extends chain. */
#define RESOLVE_MAX_EXTENDS 16

#endif
