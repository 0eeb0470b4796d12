#ifndef TORQ_MANIFEST_H
#define TORQ_MANIFEST_H

#include "torq/diag.h"
#include "torq/doc.h"
#include "torq/resolve.h"

/*
 * The manifest front end: resolve (load, extends, variables, secrets),
 * validate against the embedded schema, then the semantic checks, then
 * the reading of the tree as a model (desired.h, so a secret outside
 * integration parameters is refused here, by every command). Every
 * diagnostic of every stage lands in diags. Returns 0 when the manifest is
 * valid (warnings allowed), -1 when it is not; doc->root holds the
 * resolved tree either way when the file could be parsed.
 */
int manifest_load(struct doc *doc, const char *path,
		  const struct varset *vars, unsigned resolve_flags,
		  struct diag_list *diags);

#endif
