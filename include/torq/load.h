#ifndef TORQ_LOAD_H
#define TORQ_LOAD_H

#include <stddef.h>
#include <jansson.h>

#include "torq/diag.h"
#include "torq/doc.h"

/*
 * The YAML loader: one YAML document to a jansson tree, using the YAML 1.2
 * core schema for plain scalars (true/false, null/~, integers, floats; yes,
 * no, on and off stay strings). Every node and every key gets its mark in
 * doc. Anchors and aliases work; an alias is expanded as a copy.
 *
 * Refused, with a diagnostic at the place: a file over LOAD_MAX_BYTES,
 * invalid UTF-8, more than one document, duplicate keys (with a note at the
 * first), keys that are not scalars, unknown tags, unknown aliases, and
 * alias expansion beyond LOAD_MAX_ALIAS_NODES nodes (billion laughs) or
 * LOAD_MAX_ALIAS_BYTES bytes of scalar text (one long string aliased
 * many times), at the alias that crosses the limit.
 */
#define LOAD_MAX_BYTES (16u << 20)
#define LOAD_MAX_ALIAS_NODES 100000u
#define LOAD_MAX_ALIAS_BYTES (16u << 20)
#define LOAD_MAX_DEPTH 256u

/*
 * Load path. On success *out is a new reference (json null for an empty
 * file) and 0 is returned; on failure -1 and diags says why. When the
 * failure left the document whole (duplicate keys: the first wins;
 * unknown tags: the plain text; unknown aliases: "*name"), *out still holds
 * the tree so later stages can report their errors in the same run;
 * otherwise *out is NULL. The file's text is kept in doc for diagnostics.
 */
int load_file(struct doc *doc, const char *path, json_t **out,
	      struct diag_list *diags);
/* The same from memory; name is what diagnostics call the file. */
int load_buffer(struct doc *doc, const char *name, const char *text,
		size_t len, json_t **out, struct diag_list *diags);

/*
 * Resolve a plain scalar by the YAML 1.2 core schema: a new reference to a
 * null, boolean, integer, real or string node. Used again after variable
 * substitution, so "${count}" with count=3 becomes the integer 3. Returns
 * NULL (and sets *why) for a number JSON cannot hold (.inf, .nan).
 */
json_t *load_plain_scalar(const char *text, size_t len, const char **why);

/* The libyaml version in use, for `torq-apply version`. */
const char *load_yaml_version(void);

#endif
