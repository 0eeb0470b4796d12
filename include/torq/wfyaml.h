#ifndef TORQ_WFYAML_H
#define TORQ_WFYAML_H

#include <stddef.h>

#include <jansson.h>

#include "torq/buf.h"

/*
 * What the planner needs to know of a workflow's YAML, computed from the
 * text alone (no I/O). name says where the text came from in messages: a
 * file name, or "workflow 'X' in the source workspace".
 */

/*
 * Load yaml with the loader (load.h) into *root, a new reference (json
 * null for an empty text). Returns 0, or -1 with a message in err (*root
 * then NULL): "NAME: line L, column C: what is wrong".
 */
int wfyaml_load(const char *name, const char *yaml, size_t len,
		json_t **root, struct buf *err);

/*
 * SHA-256 of the YAML's meaning: the tree the loader makes of it (load.h),
 * as canonical JSON (sorted keys, compact). Formatting, key order, quoting
 * style and comments do not change it. out gets 64 lower-case hex digits
 * and a NUL. Returns 0, or -1 with a message in err when the text is not
 * YAML the loader accepts: "NAME: line L, column C: what is wrong".
 */
int wfyaml_digest(const char *name, const char *yaml, size_t len,
		  char out[65], struct buf *err);

/*
 * The nested workflows the YAML calls: the string `workflow` of every
 * mapping, at any depth, whose `type` is "nested" (torq-sim's convention,
 * docs/sim-api.md). Sorted by strcmp, without duplicates. *out is a new
 * array of new strings (NULL when there are none): the caller frees each
 * and the array. Returns 0, or -1 with a message in err as for
 * wfyaml_digest (then *out is NULL and *nr 0).
 */
int wfyaml_nested(const char *name, const char *yaml, size_t len,
		  char ***out, size_t *nr, struct buf *err);

#endif
