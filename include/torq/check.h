#ifndef TORQ_CHECK_H
#define TORQ_CHECK_H

#include "torq/diag.h"
#include "torq/doc.h"

/*
 * The checks a JSON Schema cannot express, over a resolved manifest (see
 * docs/manifest.md): duplicate identities (with both places), workflows
 * that name neither or both of from: and file:, from: source without a
 * source, workflow files that do not exist, options that do not apply,
 * and warnings for roles that are not Torq preset roles. Defensive about
 * types, so it can run even when the schema found errors.
 */
void check_manifest(const struct doc *doc, struct diag_list *diags);

/* Torq's preset role names, NULL-terminated. */
extern const char *const check_preset_roles[];

#endif
