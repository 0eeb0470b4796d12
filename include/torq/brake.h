#ifndef TORQ_BRAKE_H
#define TORQ_BRAKE_H

#include "torq/buf.h"
#include "torq/model.h"
#include "torq/plan.h"

/*
 * The safety brake: a plan that deletes much (a bad merge, a template
 * emptied by mistake) is refused until someone says so. Counted: the
 * objects the plan deletes, but not the newer copies --dedupe deletes
 * nor the runners --replace makes again. Pure.
 */
struct brake {
	long max_destroy;	/* policy.max_destroy or --max-destroy; -1: none */
	int allow_destroy;	/* --allow-destroy: no brake */
};

#define BRAKE_SHARE 4	/* a kind losing more than 1/BRAKE_SHARE of it */

/*
 * Whether p may go ahead. A plan that deletes an Owner or gives one
 * another role is refused, whatever max_destroy says. With max_destroy at 0 or more, more deletions
 * than that refuse it; without, a kind losing more than a quarter of its
 * live objects (live: the workspace as read, NULL when new) does. Returns
 * 0, or -1 with why: the rule broken and the objects that would go (the
 * first 20, then how many more).
 */
int brake_check(const struct plan *p, const struct model *live,
		const struct brake *b, struct buf *why);

#endif
