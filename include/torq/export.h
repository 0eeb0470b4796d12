#ifndef TORQ_EXPORT_H
#define TORQ_EXPORT_H

#include <stddef.h>

#include "torq/buf.h"
#include "torq/model.h"

/*
 * Export: a live workspace (a struct model from the reader) written as a
 * manifest that, applied to that same workspace, plans no change. Pure:
 * no I/O; cmd_export.c reads the workspace and writes the files.
 *
 * What the manifest holds (README "export"):
 * - workspace.name, and workspace.credentials when a key file is given;
 * - every kind the model covers (model->kinds), an empty one as [], so
 *   what is added in Torq later shows as unmanaged;
 * - claim mappings in rank order, users and mappings with role names;
 * - integrations by name and vendor, never parameters (the API does not
 *   return them), each under a comment with a commented-out example that
 *   uses a ${secret:env:...} reference;
 * - step runners; workflows as `file:` entries, one YAML file per
 *   workflow beside the manifest (out->files), publish and tags.
 *
 * Objects a manifest cannot state so that a plan finds them unchanged
 * (a name the schema refuses, an unknown role, two objects with one
 * identity, a workflow without YAML) are left out: unmanaged, they still
 * give an empty plan. Each is a comment in the manifest and a note in
 * out->notes. Every string is written so that it reads back as itself:
 * plain when that is safe, else double-quoted with escapes, and "${"
 * written as "$${" (a literal in the manifest language).
 */

#define EXPORT_WORKFLOWS_DIR "workflows"

struct export_options {
	const char *workspace;		/* the name to write; required */
	/* workspace.credentials as written (see export_relpath), or NULL */
	const char *credentials;
};

struct export_file {
	char *path;		/* relative to the manifest's directory */
	char *workflow;		/* the workflow's name */
	char *content;		/* the current revision's YAML, as read */
	size_t len;
};

struct export_result {
	struct buf manifest;		/* the manifest's text */
	struct export_file *files;	/* in manifest order */
	size_t files_nr, files_alloc;
	/* What was left out and why, one printable message each. */
	char **notes;
	size_t notes_nr, notes_alloc;
	/* What the manifest lists, per kind. */
	size_t claim_mappings, users, integrations, runners, workflows;
};

void export_result_init(struct export_result *r);
/* Free everything r owns. Accepts NULL. */
void export_result_release(struct export_result *r);

/*
 * Write live (borrowed, unchanged) as a manifest into out (initialised by
 * the caller). Returns 0, or -1 with a message in err when the workspace's
 * name cannot be written in a manifest; out is then to be released.
 */
int export_manifest(const struct model *live, const struct export_options *o,
		    struct export_result *out, struct buf *err);

/*
 * Append s as a YAML scalar that the manifest language reads back as the
 * string s: plain when that is unambiguous (and not a word some YAML reads
 * as a boolean or null, nor a number), else double-quoted with escapes for
 * '"', '\', control characters and what libyaml takes for a line break;
 * "${" becomes "$${".
 */
void export_scalar(struct buf *out, const char *s);

/*
 * Append s for a message: as it is, but with what could end the line,
 * drive a terminal or reorder the text (controls, line separators,
 * bidirectional overrides) escaped, e.g. "\n", "\u202E".
 */
void export_clean(struct buf *out, const char *s);

/*
 * Append the name of the environment variable a commented-out
 * example uses for the secret of integration name: TORQ_<NAME>_SECRET,
 * upper case, every run of other characters one '_'.
 */
void export_env_name(struct buf *out, const char *name);

/*
 * Append path as seen from directory dir (lexically; ".." folded). Both
 * are relative to cwd (absolute) unless absolute themselves. An absolute
 * path is kept as it is.
 */
void export_relpath(const char *path, const char *dir, const char *cwd,
		    struct buf *out);

#endif
