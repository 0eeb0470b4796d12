#ifndef TORQ_KEYCHECK_H
#define TORQ_KEYCHECK_H

#include <stddef.h>

#include "torq/model.h"

/*
 * Whose key is it? The API names no key's workspace (every call acts on
 * the workspace the key was made in), so a key file made in Torq's UI,
 * without the workspace torq-apply records in the files it writes, is
 * judged by what it reads against the organisation's workspace list, the
 * one place the API names workspaces with figures: the set of Owners'
 * e-mails (case-insensitively) and the number of step runners. A pure
 * function; prepare.c does the reading. See README "Which key".
 */

enum keycheck_verdict {
	KEYCHECK_OK,		/* the named workspace's figures are the key's */
	KEYCHECK_UNSURE,	/* they differ, but no other workspace's match */
	KEYCHECK_OTHER,		/* they differ, and another's match: *other */
	KEYCHECK_MISSING,	/* the list has no workspace of that name */
};

/*
 * Judge what a key reads, its Owners' e-mails (as keycheck_owners makes
 * them) and its number of step runners, against the list all[nr] for the
 * workspace called name. *other is set to the first other workspace
 * whose figures match (KEYCHECK_OTHER, and possibly KEYCHECK_MISSING),
 * else NULL.
 */
enum keycheck_verdict keycheck_judge(const struct model_workspace *all,
				     size_t nr, const char *name,
				     const char *owners, long runners,
				     const struct model_workspace **other);

/*
 * "a@x, b@y": sorted, lower case, each once. From a model's users whose
 * role is Owner (roles: where to name a role id the user's model could
 * not; may be NULL), or from the list's owners_emails.
 */
void keycheck_owners(const struct model *m, const struct model *roles,
		     struct buf *out);
void keycheck_listed_owners(const struct model_workspace *ws,
			    struct buf *out);

#endif
