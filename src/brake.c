#include <string.h>
#include <strings.h>

#include "torq/brake.h"

#include "torq/banned.h"

#define LISTED 20

/* A delete step that removes an object for good. */
static int destroys(const struct plan *p, size_t i)
{
	const struct plan_step *s = &p->steps[i];
	size_t j;

	if (s->action != PLAN_DELETE || s->kind == STEP_REMOVE_TAG ||
	    s->duplicate)
		return 0;
	/*
	 * deleted and made again (--replace, runners only): nothing is
	 * lost; only those are looked for, or a large prune is quadratic
	 */
	if (s->resource != RES_RUNNER)
		return 1;
	for (j = 0; j < p->steps_nr; j++)
		if (p->steps[j].action == PLAN_CREATE &&
		    p->steps[j].resource == s->resource &&
		    !strcmp(p->steps[j].identity, s->identity))
			return 0;
	return 1;
}

static size_t live_count(const struct model *live, enum plan_resource r)
{
	if (!live)
		return 0;
	switch (r) {
	case RES_CLAIM_MAPPING:
		return live->claim_mappings_nr;
	case RES_USER:
		return live->users_nr;
	case RES_INTEGRATION:
		return live->integrations_nr;
	case RES_RUNNER:
		return live->runners_nr;
	case RES_WORKFLOW:
		return live->workflows_nr;
	default:
		return 0;
	}
}

/* "integration 'a', user b@x, ..." of the kinds in mask (1 << resource). */
static void list_deleted(const struct plan *p, unsigned mask,
			 struct buf *out)
{
	size_t i, n = 0;

	for (i = 0; i < p->steps_nr; i++) {
		if (!(mask & (1u << p->steps[i].resource)) || !destroys(p, i))
			continue;
		if (n++ >= LISTED)
			continue;
		buf_addf(out, "%s%s '%s'", n > 1 ? ", " : "",
			 plan_resource_label(p->steps[i].resource),
			 p->steps[i].identity);
	}
	if (n > LISTED)
		buf_addf(out, " and %zu more", n - LISTED);
}

/* A step that takes an Owner away: deleted, or given another role. */
static int unseats_owner(const struct plan_step *s, const struct model *live)
{
	const char *role;

	if ((s->kind != STEP_DELETE_USER && s->kind != STEP_UPDATE_USER) ||
	    !live || s->live < 0 || (size_t)s->live >= live->users_nr)
		return 0;
	role = live->users[s->live].role;
	/* an update of a user changes nothing but the role */
	return role && !strcasecmp(role, "Owner");
}

/* Owners lose their seat only when someone says so, whatever the count. */
static int owners_check(const struct plan *p, const struct model *live,
			struct buf *why)
{
	size_t i, n = 0;

	for (i = 0; i < p->steps_nr; i++) {
		if (!unseats_owner(&p->steps[i], live))
			continue;
		buf_addf(why, "%s'%s' (%s)", n++ ? ", " : "the plan takes "
			 "away an Owner of the workspace: ",
			 p->steps[i].identity, p->steps[i].action ==
			 PLAN_DELETE ? "deleted" : "no longer Owner");
	}
	return n ? -1 : 0;
}

int brake_check(const struct plan *p, const struct model *live,
		const struct brake *b, struct buf *why)
{
	size_t per[RES_NR] = { 0 }, total = 0, i;
	unsigned over = 0;
	int r;

	if (b->allow_destroy)
		return 0;
	if (owners_check(p, live, why))
		return -1;
	for (i = 0; i < p->steps_nr; i++)
		if (destroys(p, i)) {
			per[p->steps[i].resource]++;
			total++;
		}
	if (!total)
		return 0;
	if (b->max_destroy >= 0) {
		if (total <= (size_t)b->max_destroy)
			return 0;
		buf_addf(why, "the plan deletes %zu object%s, more than the "
			 "%ld max_destroy allows: ", total,
			 total == 1 ? "" : "s", b->max_destroy);
		list_deleted(p, ~0u, why);
		return -1;
	}
	for (r = 0; r < RES_NR; r++)
		if (per[r] && per[r] * BRAKE_SHARE > live_count(live, r))
			over |= 1u << r;
	if (!over)
		return 0;
	buf_addstr(why, "the plan deletes more than a quarter of ");
	for (r = 0, i = 0; r < RES_NR; r++)
		if (over & (1u << r))
			buf_addf(why, "%sthe %s (%zu of %zu)", i++ ? " and " : "",
				 plan_resource_title(r), per[r],
				 live_count(live, r));
	buf_addstr(why, ": ");
	list_deleted(p, over, why);
	return -1;
}
