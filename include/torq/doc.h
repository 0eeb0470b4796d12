#ifndef TORQ_DOC_H
#define TORQ_DOC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "torq/diag.h"
#include "torq/secretcmd.h"

/*
 * A loaded document: a jansson tree plus, beside it, where every node came
 * from (file, line, column), the text of every file read (for diagnostics)
 * and the values of secrets. The tree itself never holds a secret value:
 * a secret node holds its reference text ("${secret:env:NAME}") and its
 * value lives in the secret table, so printing the tree cannot leak it.
 *
 * Marks are keyed by node pointer. The table holds a reference to every
 * node it marks, so an address is never reused while the doc lives.
 */

struct doc_mark_entry;
struct doc_mark_slot;
struct doc_source;
struct doc_secret;
struct doc_deferred;

struct doc {
	json_t *root;			/* owned; NULL until loaded */

	struct doc_mark_entry *marks;	/* in the order set, see doc.c */
	size_t marks_nr, marks_alloc;
	struct doc_mark_slot *mark_slots;	/* their index */
	size_t mark_slots_nr;			/* 0 or a power of 2 */
	json_t *key_names;	/* the keys of marks, one copy each; owned */

	struct doc_source *sources;
	size_t sources_nr, sources_alloc;

	struct doc_secret *secrets;
	size_t secrets_nr, secrets_alloc;
	uint32_t *secret_slots;		/* their index, see doc.c */
	size_t secret_slots_nr;		/* 0 or a power of 2 */

	/* ${secret:cmd:...}: the commands named, and what they make up */
	struct secretcmd_list cmds;
	struct doc_deferred *deferred;
	size_t deferred_nr, deferred_alloc;
};

void doc_init(struct doc *doc);
/* Release everything; secret values are wiped first. Accepts NULL. */
void doc_release(struct doc *doc);

/*
 * Remember the text of a file. Returns the doc's own copy of name, which
 * marks can point to for as long as the doc lives.
 */
const char *doc_add_source(struct doc *doc, const char *name,
			   const char *text, size_t len);
/*
 * Forget the text of a file (wiped first): its lines are never shown
 * again, while marks naming it stay valid. For files that may be secret.
 */
void doc_hide_source(struct doc *doc, const char *name);
/* A diag_source_fn over the doc's sources (ctx is the struct doc). */
const char *doc_source_line(void *ctx, const char *file, unsigned line,
			    size_t *len);

/*
 * Make room for n more marks at once: the index is rebuilt at each
 * doubling, which for a large file costs more than the marks themselves.
 */
void doc_reserve_marks(struct doc *doc, size_t n);
/* The mark of a node; key NULL for the value itself, or a key's own mark. */
void doc_set_mark(struct doc *doc, json_t *node, const char *key,
		  const struct mark *mark);
/*
 * The mark of node (key NULL) or of the key in object node. Falls back from
 * a key to its value, then returns NULL when nothing is known.
 */
const struct mark *doc_mark(const struct doc *doc, const json_t *node,
			    const char *key);
/*
 * jansson shares one node for every true, every false and every null, so
 * their pointer cannot tell two of them apart. Their marks are kept per
 * slot instead: the value at key in object parent, or (key NULL) at index
 * in array parent. doc_mark() returns NULL for those shared nodes.
 */
void doc_set_value_mark(struct doc *doc, json_t *parent, const char *key,
			size_t index, const struct mark *mark);
/*
 * The mark of the value in a slot of parent, whatever its type: the
 * node's own mark, or the slot's for true, false and null.
 */
const struct mark *doc_value_mark(const struct doc *doc,
				  const json_t *parent, const char *key,
				  size_t index);
/* 1 for the nodes jansson shares (true, false, null). */
int doc_shared_node(const json_t *node);

/* Copy node's marks (its own and its keys') to copy. */
void doc_copy_marks(struct doc *doc, const json_t *node, json_t *copy);

/*
 * Deep-copy a subtree, copying marks along (an alias expansion or a merge).
 * Returns a new reference.
 */
json_t *doc_deep_copy(struct doc *doc, json_t *node);

/*
 * Secrets. value is copied (len bytes, may hold NULs); ref is what shows in
 * the tree. The node is the string node in the tree that stands for it.
 * value NULL marks a secret whose value could not be read (validate runs
 * without secrets): doc_is_secret() is 1, doc_secret_value() NULL.
 */
void doc_set_secret(struct doc *doc, json_t *node, const char *value,
		    size_t len);
int doc_is_secret(const struct doc *doc, const json_t *node);
/* Borrowed; valid until doc_release. NULL when node is not a secret. */
const char *doc_secret_value(const struct doc *doc, const json_t *node,
			     size_t *len);

/*
 * A secret made (in part) of commands' answers (${secret:cmd:...},
 * resolve.h), known once they ran: node is a secret without a value until
 * then. Its value is the parts in order, each either text (which may hold
 * other secrets' values; wiped on release) or, for cmd >= 0, the answer
 * of doc->cmds.items[cmd].
 */
struct doc_deferred_part {
	char *text;
	size_t len;
	long cmd;
};

/* A deferred secret for node, of no parts yet; returns its index. */
size_t doc_defer_secret(struct doc *doc, json_t *node);
/* Append text (len bytes) or (text NULL) the answer of command cmd. */
void doc_deferred_add(struct doc *doc, size_t deferred, const char *text,
		      size_t len, long cmd);
/*
 * Set the value of every deferred secret whose commands all succeeded,
 * from their answers (doc->cmds.items[].res); the others stay without a
 * value. Returns how many stayed so.
 */
size_t doc_fill_deferred(struct doc *doc);

/* The text shown instead of a secret, everywhere. */
#define SENSITIVE "(sensitive)"

/*
 * The text to show for a string node: SENSITIVE for a secret, the string
 * otherwise, NULL when node is not a string. Borrowed.
 */
const char *doc_display(const struct doc *doc, const json_t *node);

#endif
