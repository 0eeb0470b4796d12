#ifndef TORQ_DESIRED_H
#define TORQ_DESIRED_H

#include "torq/diag.h"
#include "torq/doc.h"
#include "torq/model.h"

/*
 * The desired state of a workspace: a resolved, valid manifest (doc, from
 * a manifest_load() that returned 0) as a struct model (model.h).
 *
 * out->kinds says which kinds the manifest manages: the bit of each of
 * users, claim_mappings, integrations, step_runners and workflows whose
 * key is present (even as an empty list); MODEL_ROLES never, roles are
 * only read. Lists stay in manifest order, not model_sort()ed: a claim
 * mapping's rank is its 1-based position in claim_mappings.items and the
 * planner creates objects in the order written.
 *
 * Paths (workspace.credentials, workspace.credentials_out,
 * source.credentials, step_runners[].install_commands_out,
 * workflows[].file) are written relative to the file that holds them,
 * which may be a template; the model holds them resolved against that
 * file, so they can be opened from the current directory (absolute paths
 * are kept).
 *
 * Integration parameters are not copied: each is a new reference to the
 * doc's own node, whose secret strings hold their reference text; their
 * values stay in the doc (doc_secret_value). A secret anywhere else is an
 * error, since names, emails and paths are never secret. Marks point into
 * doc. So doc must outlive out and not change while out is used.
 *
 * out is initialised here (what it held is not freed). Returns 0, or -1
 * with an error in diags when the tree is not the shape the schema
 * promises or holds a secret outside parameters; out is then left empty
 * (model_release(out) is safe either way).
 */
int desired_from_manifest(const struct doc *doc, struct model *out,
			  struct diag_list *diags);

#endif
