#ifndef TORQ_TARGET_H
#define TORQ_TARGET_H

#include <stddef.h>

#include "torq/buf.h"
#include "torq/model.h"
#include "torq/plan.h"

/*
 * --target KIND:NAME, as Terraform's -target: a plan limited to some
 * objects and to what their steps depend on (the workspace made first,
 * a nested workflow published before its caller, an integration before
 * the workflow that uses it). Everything else is neither changed nor
 * checked. Pure: no I/O.
 *
 * KIND is a plan's resource name (user, claim_mapping, integration,
 * step_runner, workflow) or tag; NAME is the object's identity as plans
 * show it: an e-mail (any case), "claim=value", a name, or a tag, which
 * names the tag steps of every workflow.
 */
struct target {
	enum plan_resource resource;	/* unused for a tag */
	int tag;			/* tag:NAME */
	const char *name;		/* points into the argument */
};

struct target_list {
	struct target *items;
	size_t nr, alloc;
};

/*
 * Parse "KIND:NAME" into t, which points into arg. Returns 0, or -1 with
 * a message in err naming the kinds.
 */
int target_parse(const char *arg, struct target *t, struct buf *err);

/* "workflow:Offboarding", appended to out. */
void target_format(const struct target *t, struct buf *out);

/*
 * Every target must name something the manifest (desired) or the
 * workspace (live, NULL when new) has: a misspelt target would
 * otherwise plan nothing and pass. Returns 0, or -1 with the first
 * target that names nothing in err.
 */
int target_check(const struct target *t, size_t nr, const struct model *desired,
		 const struct model *live, struct buf *err);

/* Whether a target names this step's object (a tag step: by its tag). */
int target_names_step(const struct target *t, size_t nr,
		      const struct plan_step *s);

/*
 * Whether a target names the object of kind r called identity: for
 * plans' counts and for the problems and notes they keep.
 */
int target_names(const struct target *t, size_t nr, enum plan_resource r,
		 const char *identity);

/* Whether a target names workflow w: by its name, or by one of its tags. */
int target_names_workflow(const struct target *t, size_t nr,
			  const struct model_workflow *w);

/*
 * Which steps of p a targeted plan keeps: those target_names_step()
 * names and, transitively, the steps they depend on. keep gets
 * p->steps_nr flags (1: kept).
 */
void target_select(const struct target *t, size_t nr, const struct plan *p,
		   char *keep);

#endif
