#ifndef TORQ_IDENTITY_H
#define TORQ_IDENTITY_H

#include <jansson.h>

#include "torq/buf.h"

/*
 * How the objects of each manifest list are told apart (DESIGN.md section
 * 2): users by email compared case-insensitively, claim mappings by claim
 * and value, everything else by name. Used by extends merging, duplicate
 * detection and (later) the planner, so the rule lives in one place.
 */
struct identity_rule {
	const char *list;	/* key path of the list: "users", "claim_mappings.items" */
	const char *kind;	/* singular, for messages: "user" */
	const char *field;	/* the identifying field */
	const char *field2;	/* a second field, or NULL */
	int fold_case;		/* compare case-insensitively */
};

/* The rule for a list at key path, or NULL when it is not a named list. */
const struct identity_rule *identity_rule_for(const char *path);

/*
 * Append item's identity key to out (lower-cased where the rule says so)
 * and return 0, or return -1 when item lacks the identifying fields (out
 * may then hold part of a key: reset it before reuse).
 */
int identity_key(const struct identity_rule *rule, const json_t *item,
		 struct buf *out);

/* The human form of item's identity, e.g. "groups=soc" or "alice@x.io". */
void identity_label(const struct identity_rule *rule, const json_t *item,
		    struct buf *out);

#endif
