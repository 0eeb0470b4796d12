#ifndef TORQ_SCHEMA_H
#define TORQ_SCHEMA_H

#include <jansson.h>

#include "torq/buf.h"
#include "torq/diag.h"
#include "torq/doc.h"

/*
 * A JSON Schema (draft-07) validator for the keywords listed in
 * docs/internals/schema.md. It turns every failure into a diagnostic at the
 * failing node's mark, with the key path, what was expected and, for
 * misspelt keys and enum values, a suggestion.
 */
struct schema;

/*
 * Compile a schema from JSON text. Returns 0, or -1 with a message in err
 * (bad JSON, a keyword value of the wrong shape, a $ref that does not
 * resolve or only leads back to itself, a pattern that does not compile).
 */
int schema_new(struct schema **out, const char *text, size_t len,
	       struct buf *err);
/* Compile from a tree; root is borrowed (the schema takes its own reference). */
int schema_new_json(struct schema **out, json_t *root, struct buf *err);
void schema_free(struct schema *s);

/*
 * Validate instance (not NULL). doc (may be NULL) gives the marks for
 * diagnostics; diags (may be NULL) receives one DIAG_ERROR per failure.
 * Returns 0 when valid, -1 when not. A schema that makes $ref nest more
 * than 64 deep ends the run with one diagnostic where that happened.
 */
int schema_validate(const struct schema *s, const json_t *instance,
		    const struct doc *doc, struct diag_list *diags);

/* The manifest schema embedded at build time from schema/manifest.schema.json. */
extern const char manifest_schema_text[];
extern const size_t manifest_schema_len;

#endif
