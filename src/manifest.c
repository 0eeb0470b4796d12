#include <stdlib.h>

#include "torq/manifest.h"
#include "torq/check.h"
#include "torq/desired.h"
#include "torq/schema.h"
#include "torq/banned.h"

int manifest_load(struct doc *doc, const char *path,
		  const struct varset *vars, unsigned resolve_flags,
		  struct diag_list *diags)
{
	struct schema *schema = NULL;
	struct buf err = BUF_INIT;
	size_t errors = diags->errors;

	if (resolve_manifest(doc, path, vars, resolve_flags, diags) && !doc->root)
		goto out;
	if (json_is_null(doc->root)) {
		struct mark m = { path, 0, 0, 0 };

		diag_add(diags, DIAG_ERROR, &m, NULL, "the manifest is empty; "
			 "it needs at least 'version: 1'");
		goto out;
	}
	if (schema_new(&schema, manifest_schema_text, manifest_schema_len,
		       &err)) {
		/* The embedded schema is ours: this is a build defect. */
		diag_add(diags, DIAG_ERROR, NULL, NULL,
			 "internal error: embedded schema: %s", err.s);
		goto out;
	}
	schema_validate(schema, doc->root, doc, diags);
	check_manifest(doc, diags);
	/*
	 * What plan reads next, read here too, so validate refuses all that
	 * plan refuses before it contacts the API (a secret in a name).
	 */
	if (diags->errors == errors) {
		struct model m;

		desired_from_manifest(doc, &m, diags);
		model_release(&m);
	}
out:
	schema_free(schema);
	buf_release(&err);
	return diags->errors == errors ? 0 : -1;
}
