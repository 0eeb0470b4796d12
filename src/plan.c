#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/diag.h"
#include "torq/doc.h"
#include "torq/fingerprint.h"
#include "torq/plan.h"
#include "torq/rfc3339.h"
#include "torq/suggest.h"
#include "torq/target.h"
#include "torq/wfdiff.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * How a plan is made (docs/internals/plan.md): each kind is diffed in
 * turn, in dependency order, so every step is appended after the steps it
 * depends on and the array order is already a valid execution order.
 * Objects are matched through hash maps (jansson objects) keyed by
 * identity, so a plan is linear in the number of objects.
 */

static const char *const kind_names[STEP_KIND_NR] = {
	"create_workspace", "create_claim_mapping", "update_claim_mapping",
	"delete_claim_mapping", "invite_user", "update_user", "delete_user",
	"create_integration", "update_integration", "delete_integration",
	"create_step_runner", "delete_step_runner", "import_workflow",
	"update_workflow", "delete_workflow", "publish_workflow", "add_tag",
	"remove_tag",
};

static const char *const resource_names[RES_NR] = {
	"workspace", "claim_mapping", "user", "integration", "step_runner",
	"workflow",
};

static const char *const resource_labels[RES_NR] = {
	"workspace", "claim mapping", "user", "integration", "step runner",
	"workflow",
};

static const char *const resource_titles[RES_NR] = {
	"workspace", "claim mappings", "users", "integrations",
	"step runners", "workflows",
};

const char *plan_action_name(enum plan_action a)
{
	return a == PLAN_CREATE ? "create" : a == PLAN_UPDATE ? "update" :
		"delete";
}

const char *plan_action_sign(enum plan_action a)
{
	return a == PLAN_CREATE ? "+" : a == PLAN_UPDATE ? "~" : "-";
}

const char *plan_step_kind_name(enum plan_step_kind k)
{
	return k < STEP_KIND_NR ? kind_names[k] : "unknown";
}

const char *plan_resource_name(enum plan_resource r)
{
	return r < RES_NR ? resource_names[r] : "unknown";
}

const char *plan_resource_label(enum plan_resource r)
{
	return r < RES_NR ? resource_labels[r] : "unknown";
}

const char *plan_resource_title(enum plan_resource r)
{
	return r < RES_NR ? resource_titles[r] : "unknown";
}

void plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
}

static void step_release(struct plan_step *s)
{
	size_t j;

	free(s->identity);
	free(s->id);
	free(s->detail);
	for (j = 0; j < s->changes_nr; j++) {
		free(s->changes[j].field);
		free(s->changes[j].before);
		free(s->changes[j].after);
	}
	free(s->changes);
	free(s->deps);
	if (s->diff) {
		wfdiff_release(s->diff);
		free(s->diff);
	}
}

void plan_release(struct plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->steps_nr; i++)
		step_release(&p->steps[i]);
	free(p->steps);
	for (i = 0; i < p->unmanaged_nr; i++) {
		free(p->unmanaged[i].identity);
		free(p->unmanaged[i].why);
	}
	free(p->unmanaged);
	for (i = 0; i < p->problems_nr; i++) {
		free(p->problems[i].identity);
		free(p->problems[i].message);
		free(p->problems[i].fix);
		free(p->problems[i].fix_does);
	}
	free(p->problems);
	for (i = 0; i < p->notes_nr; i++) {
		free(p->notes[i].identity);
		free(p->notes[i].message);
	}
	free(p->notes);
	for (i = 0; i < p->targets_nr; i++)
		free(p->targets[i]);
	free(p->targets);
	free(p->refused);
	free(p->workspace);
	memset(p, 0, sizeof(*p));
}

int plan_empty(const struct plan *p)
{
	return p->steps_nr == 0;
}

/* Building steps. */

struct ctx {
	const struct plan_input *in;
	const struct model *live;	/* never NULL: an empty model when new */
	struct plan *p;
	struct diag_list *diags;
	long ws_step;			/* the create-workspace step, or -1 */
	int failed;
};

static char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static size_t add_step(struct ctx *c, enum plan_step_kind kind,
		       enum plan_action action, enum plan_resource res,
		       const char *identity, const char *id,
		       const struct mark *mark)
{
	struct plan *p = c->p;
	struct plan_step *s;

	ALLOC_GROW(p->steps, p->steps_nr + 1, p->steps_alloc);
	s = &p->steps[p->steps_nr];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->action = action;
	s->resource = res;
	s->identity = xstrdup(identity ? identity : "");
	s->id = xstrdup_or_null(id);
	s->desired = s->live = s->source = -1;
	s->mark = mark;
	if (c->ws_step >= 0) {
		ALLOC_GROW(s->deps, s->deps_nr + 1, s->deps_alloc);
		s->deps[s->deps_nr++] = (size_t)c->ws_step;
	}
	return p->steps_nr++;
}

static struct plan_step *step_at(struct ctx *c, size_t i)
{
	return &c->p->steps[i];
}

static void add_dep(struct ctx *c, size_t step, long on)
{
	struct plan_step *s = step_at(c, step);
	size_t i;

	if (on < 0 || (size_t)on == step)
		return;
	for (i = 0; i < s->deps_nr; i++)
		if (s->deps[i] == (size_t)on)
			return;
	ALLOC_GROW(s->deps, s->deps_nr + 1, s->deps_alloc);
	s->deps[s->deps_nr++] = (size_t)on;
}

static void add_change(struct ctx *c, size_t step, const char *field,
		       const char *before, const char *after, int sensitive)
{
	struct plan_step *s = step_at(c, step);
	struct plan_change *ch;

	ALLOC_GROW(s->changes, s->changes_nr + 1, s->changes_alloc);
	ch = &s->changes[s->changes_nr++];
	ch->field = xstrdup(field);
	ch->before = xstrdup_or_null(before);
	ch->after = xstrdup_or_null(after);
	ch->sensitive = sensitive;
}

/* A string value as plans show it: "Owner". */
static char *quoted(const char *s)
{
	struct buf b = BUF_INIT;

	if (!s)
		return NULL;
	buf_addquoted(&b, s);
	return buf_detach(&b, NULL);
}

static void add_quoted_change(struct ctx *c, size_t step, const char *field,
			      const char *before, const char *after)
{
	char *b = quoted(before), *a = quoted(after);

	add_change(c, step, field, b, a, 0);
	free(b);
	free(a);
}

static void add_unmanaged(struct ctx *c, enum plan_resource res,
			  const char *identity, const char *why)
{
	struct plan *p = c->p;
	struct plan_unmanaged *u;

	ALLOC_GROW(p->unmanaged, p->unmanaged_nr + 1, p->unmanaged_alloc);
	u = &p->unmanaged[p->unmanaged_nr++];
	u->resource = res;
	u->identity = xstrdup(identity ? identity : "");
	u->why = xstrdup_or_null(why);
}

static void add_problem(struct ctx *c, enum plan_resource res,
			const char *identity, const char *message,
			const char *fix, const char *fix_does)
{
	struct plan *p = c->p;
	struct plan_problem *pr;

	ALLOC_GROW(p->problems, p->problems_nr + 1, p->problems_alloc);
	pr = &p->problems[p->problems_nr++];
	pr->resource = res;
	pr->identity = xstrdup(identity ? identity : "");
	pr->message = xstrdup(message);
	pr->fix = xstrdup_or_null(fix);
	pr->fix_does = xstrdup_or_null(fix_does);
}

static void add_note(struct ctx *c, enum plan_resource res,
		     const char *identity, const char *message)
{
	struct plan *p = c->p;
	struct plan_note *n;

	ALLOC_GROW(p->notes, p->notes_nr + 1, p->notes_alloc);
	n = &p->notes[p->notes_nr++];
	n->resource = res;
	n->identity = xstrdup(identity ? identity : "");
	n->message = xstrdup(message);
}

static void error_at(struct ctx *c, const struct mark *mark,
		     const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void error_at(struct ctx *c, const struct mark *mark,
		     const char *path, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	diag_add(c->diags, DIAG_ERROR, mark, path, "%s", msg.s);
	buf_release(&msg);
	c->failed = 1;
}

/* Identity maps: key -> index, as a jansson object. */

static void add_lower(struct buf *k, const char *s)
{
	for (; s && *s; s++)
		buf_addch(k, (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s);
}

static void lower_key(struct buf *k, const char *s)
{
	buf_reset(k);
	add_lower(k, s);
}

static void pair_key(struct buf *k, const char *a, const char *b)
{
	buf_reset(k);
	buf_addf(k, "%zu:%s=%s", a ? strlen(a) : 0, a ? a : "",
		 b ? b : "");
}

static long map_get(json_t *map, const char *key)
{
	json_t *v = json_object_get(map, key);

	return v ? (long)json_integer_value(v) : -1;
}

/*
 * Put key -> i in map; when the key is there already, return the index
 * it had (a duplicate), else -1.
 */
static long map_put(json_t *map, const char *key, long i)
{
	long old = map_get(map, key);

	if (old >= 0)
		return old;
	json_object_set_new(map, key, json_integer(i));
	return -1;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int same_role(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

/* The live roles' names, for "did you mean" and the list in messages. */
static void role_names(const struct model *live, struct buf *out,
		       const char ***names)
{
	size_t i;

	*names = xcalloc(live->roles_nr + 1, sizeof(**names));
	for (i = 0; i < live->roles_nr; i++) {
		(*names)[i] = live->roles[i].name ? live->roles[i].name : "";
		buf_addf(out, "%s%s", i ? ", " : "", (*names)[i]);
	}
}

/* A role the manifest names must exist in the target workspace. */
static int check_role(struct ctx *c, const char *role,
		      const struct mark *mark, const char *path)
{
	struct buf list = BUF_INIT;
	const char **names = NULL, *hint;

	if (!c->in->live || !role || model_role_by_name(c->live, role))
		return 0;
	role_names(c->live, &list, &names);
	hint = suggest(role, names, c->live->roles_nr);
	if (hint)
		error_at(c, mark, path, "role '%s' does not exist in workspace"
			 " '%s'; did you mean '%s'?", role, c->p->workspace,
			 hint);
	else
		error_at(c, mark, path, "role '%s' does not exist in workspace"
			 " '%s'; it has: %s", role, c->p->workspace, list.s);
	free(names);
	buf_release(&list);
	return -1;
}

/* Workspace. */

static void plan_workspace(struct ctx *c)
{
	const struct model_workspace *ws = &c->in->desired->workspace;
	size_t s;

	c->ws_step = -1;
	if (c->in->live)
		return;
	s = add_step(c, STEP_CREATE_WORKSPACE, PLAN_CREATE, RES_WORKSPACE,
		     ws->name, NULL, NULL);
	if (ws->copy_sso)
		add_change(c, s, "copy_sso", NULL, "true", 0);
	c->ws_step = (long)s;
}

/* Claim mappings. */

struct want_mapping {
	const char *claim, *value, *role;
	const struct mark *mark;
	long manifest;		/* index in the manifest's items, or -1 */
	long live;		/* index in live->claim_mappings, or -1 */
};

static void plan_claim_mappings(struct ctx *c)
{
	const struct model *d = c->in->desired, *src = c->in->source;
	const struct model *live = c->live;
	struct want_mapping *want = NULL;
	size_t want_nr = 0, want_alloc = 0, i, j, k, n;
	json_t *wmap = json_object();
	struct buf key = BUF_INIT, path = BUF_INIT, rank = BUF_INIT;
	long *order = NULL, prev = -1, *kept = NULL, li, w;
	size_t order_nr = 0, kept_nr = 0;
	char *before, *after;
	size_t s;
	long *creates = NULL;
	size_t creates_nr = 0;
	size_t *role_step = NULL, *copies = NULL;
	int dup;

	/* The wanted list: the source's mappings, then the manifest's. */
	if (d->copy_claims_from_source && src) {
		for (i = 0; i < src->claim_mappings_nr; i++) {
			const struct model_claim_mapping *m =
				&src->claim_mappings[i];

			if (!m->role) {
				error_at(c, NULL, "claim_mappings",
					 "the source workspace's claim mapping"
					 " %s=%s has a role id that is not one"
					 " of its roles", m->claim, m->value);
				continue;
			}
			pair_key(&key, m->claim, m->value);
			if (map_put(wmap, key.s, (long)want_nr) >= 0)
				continue;
			ALLOC_GROW(want, want_nr + 1, want_alloc);
			want[want_nr++] = (struct want_mapping){
				m->claim, m->value, m->role, NULL, -1, -1 };
		}
	}
	for (i = 0; i < d->claim_mappings_nr; i++) {
		const struct model_claim_mapping *m = &d->claim_mappings[i];

		pair_key(&key, m->claim, m->value);
		w = map_get(wmap, key.s);
		if (w >= 0) {
			/* the manifest's role wins over the source's */
			want[w].role = m->role;
			want[w].mark = m->mark;
			want[w].manifest = (long)i;
			continue;
		}
		map_put(wmap, key.s, (long)want_nr);
		ALLOC_GROW(want, want_nr + 1, want_alloc);
		want[want_nr++] = (struct want_mapping){
			m->claim, m->value, m->role, m->mark, (long)i, -1 };
	}
	for (i = 0; i < want_nr; i++) {
		buf_reset(&path);
		if (want[i].manifest >= 0)
			buf_addf(&path, "claim_mappings.items[%ld].role",
				 want[i].manifest);
		else
			buf_addstr(&path, "claim_mappings.copy_from_source");
		check_role(c, want[i].role, want[i].mark, path.s);
	}

	/* live: in rank order (the reader sorts by rank) */
	for (i = 0; i < live->claim_mappings_nr; i++) {
		pair_key(&key, live->claim_mappings[i].claim,
			 live->claim_mappings[i].value);
		w = map_get(wmap, key.s);
		if (w >= 0 && want[w].live < 0)
			want[w].live = (long)i;
	}

	/*
	 * The order after creates (appended, in wanted order, one after the
	 * other) and deletes: the wanted items first, then what is kept
	 * unmanaged, in its present order. Moves then walk the ranks from
	 * the top, each putting the right item at rank k, so the moves made
	 * at plan time are the moves the executor makes.
	 */
	order = xcalloc(live->claim_mappings_nr + want_nr + 1, sizeof(*order));
	kept = xcalloc(live->claim_mappings_nr + 1, sizeof(*kept));
	creates = xcalloc(live->claim_mappings_nr + want_nr + 1,
			  sizeof(*creates));
	role_step = xcalloc(want_nr + 1, sizeof(*role_step));
	copies = xcalloc(want_nr + 1, sizeof(*copies));
	for (i = 0; i < live->claim_mappings_nr; i++) {
		const struct model_claim_mapping *m = &live->claim_mappings[i];

		pair_key(&key, m->claim, m->value);
		w = map_get(wmap, key.s);
		if (w >= 0 && want[w].live == (long)i) {
			order[order_nr++] = w;	/* wanted, as it stands */
			continue;
		}
		/* a copy of one ranked above it, role and all */
		dup = w >= 0 && same_str(m->role_id, live->claim_mappings[
						 want[w].live].role_id);
		if (dup)
			copies[w]++;
		buf_reset(&key);
		buf_addf(&key, "%s=%s", m->claim, m->value);
		if (dup && c->in->dedupe) {
			s = add_step(c, STEP_DELETE_CLAIM_MAPPING, PLAN_DELETE,
				     RES_CLAIM_MAPPING, key.s, m->id,
				     want[w].mark);
			step_at(c, s)->live = (long)i;
			step_at(c, s)->duplicate = 1;
			buf_reset(&rank);
			buf_addf(&rank, "of the one ranked %ld, which is kept",
				 live->claim_mappings[want[w].live].rank);
			add_change(c, s, "duplicate (--dedupe)", NULL, rank.s,
				   0);
			creates[creates_nr++] = (long)s;
		} else if (dup) {
			/* a problem (below), not unmanaged: kept as it is */
			kept[kept_nr++] = (long)i;
			order[order_nr++] = -(long)i - 2;
		} else if (c->in->prune) {
			s = add_step(c, STEP_DELETE_CLAIM_MAPPING, PLAN_DELETE,
				     RES_CLAIM_MAPPING, key.s, m->id, NULL);
			step_at(c, s)->live = (long)i;
			creates[creates_nr++] = (long)s;
		} else {
			add_unmanaged(c, RES_CLAIM_MAPPING, key.s, NULL);
			kept[kept_nr++] = (long)i;
			/* unmanaged: encoded as -(index + 2) */
			order[order_nr++] = -(long)i - 2;
		}
	}
	for (i = 0; !c->in->dedupe && i < want_nr; i++) {
		if (!copies[i])
			continue;
		buf_reset(&key);
		buf_addf(&key, "%s=%s", want[i].claim, want[i].value);
		buf_reset(&rank);
		buf_addf(&rank, "%zu identical copies in the workspace (two "
			 "applies at once, or a copy made by hand)",
			 copies[i] + 1);
		add_problem(c, RES_CLAIM_MAPPING, key.s, rank.s, "--dedupe",
			    copies[i] == 1 ? "keeps the one ranked first and "
			    "deletes the other" : "keeps the one ranked first "
			    "and deletes the others");
	}
	/* creates, one after another so they append in a known order */
	for (i = 0; i < want_nr; i++) {
		if (want[i].live >= 0)
			continue;
		buf_reset(&key);
		buf_addf(&key, "%s=%s", want[i].claim, want[i].value);
		s = add_step(c, STEP_CREATE_CLAIM_MAPPING, PLAN_CREATE,
			     RES_CLAIM_MAPPING, key.s, NULL, want[i].mark);
		step_at(c, s)->desired = want[i].manifest;
		add_quoted_change(c, s, "role", NULL, want[i].role);
		add_dep(c, s, prev);
		prev = (long)s;
		creates[creates_nr++] = (long)s;
		order[order_nr++] = (long)i;
	}
	/* role changes of existing ones: independent of the order */
	for (i = 0; i < want_nr; i++) {
		const struct model_claim_mapping *m;

		role_step[i] = (size_t)-1;
		if (want[i].live < 0)
			continue;
		m = &live->claim_mappings[want[i].live];
		if (same_role(m->role, want[i].role))
			continue;
		buf_reset(&key);
		buf_addf(&key, "%s=%s", want[i].claim, want[i].value);
		s = add_step(c, STEP_UPDATE_CLAIM_MAPPING, PLAN_UPDATE,
			     RES_CLAIM_MAPPING, key.s, m->id, want[i].mark);
		step_at(c, s)->desired = want[i].manifest;
		step_at(c, s)->live = want[i].live;
		add_quoted_change(c, s, "role", m->role ? m->role :
				  m->role_id, want[i].role);
		role_step[i] = s;
	}
	/* moves: target order is wanted items, then kept ones */
	n = order_nr;
	prev = -1;
	for (k = 0; k < n; k++) {
		long target = k < want_nr ? (long)k :
			-(long)kept[k - want_nr] - 2;

		if (order[k] == target)
			continue;
		for (j = k + 1; j < n && order[j] != target; j++)
			;
		if (j == n)
			continue;	/* cannot happen: every item is in order */
		memmove(&order[k + 1], &order[k], (j - k) * sizeof(*order));
		order[k] = target;
		if (target < 0)
			continue;	/* an unmanaged one moves up by itself */
		li = want[target].live;
		buf_reset(&key);
		buf_addf(&key, "%s=%s", want[target].claim,
			 want[target].value);
		s = add_step(c, STEP_UPDATE_CLAIM_MAPPING, PLAN_UPDATE,
			     RES_CLAIM_MAPPING, key.s, li >= 0 ?
			     live->claim_mappings[li].id : NULL,
			     want[target].mark);
		step_at(c, s)->desired = want[target].manifest;
		step_at(c, s)->live = li;
		buf_reset(&rank);
		if (li >= 0)
			buf_addf(&rank, "%ld", live->claim_mappings[li].rank);
		before = li >= 0 ? xstrdup(rank.s) : NULL;
		buf_reset(&rank);
		buf_addf(&rank, "%zu", k + 1);
		after = xstrdup(rank.s);
		add_change(c, s, "rank", before, after, 0);
		free(before);
		free(after);
		for (i = 0; i < creates_nr; i++)
			add_dep(c, s, creates[i]);
		add_dep(c, s, prev);
		if (role_step[target] != (size_t)-1)
			add_dep(c, s, (long)role_step[target]);
		prev = (long)s;
	}

	free(role_step);
	free(copies);
	free(creates);
	free(kept);
	free(order);
	free(want);
	json_decref(wmap);
	buf_release(&key);
	buf_release(&path);
	buf_release(&rank);
}

/* Users. */

static void plan_users(struct ctx *c)
{
	const struct model *d = c->in->desired, *live = c->live;
	json_t *lmap = json_object();
	struct buf key = BUF_INIT, path = BUF_INIT;
	char *seen = xcalloc(live->users_nr + 1, 1);
	size_t i, s;
	long li;

	for (i = 0; i < live->users_nr; i++) {
		lower_key(&key, live->users[i].email);
		map_put(lmap, key.s, (long)i);
	}
	for (i = 0; i < d->users_nr; i++) {
		const struct model_user *u = &d->users[i];
		const struct model_user *l;

		buf_reset(&path);
		buf_addstr(&path, "users");
		path_push_index(&path, i);
		buf_addstr(&path, ".role");
		check_role(c, u->role, u->mark, path.s);
		lower_key(&key, u->email);
		li = map_get(lmap, key.s);
		if (li < 0) {
			s = add_step(c, STEP_INVITE_USER, PLAN_CREATE,
				     RES_USER, u->email, NULL, u->mark);
			step_at(c, s)->desired = (long)i;
			add_quoted_change(c, s, "role", NULL, u->role);
			continue;
		}
		/* present, or invited and pending: never invited twice */
		seen[li] = 1;
		l = &live->users[li];
		if (same_role(l->role, u->role))
			continue;
		s = add_step(c, STEP_UPDATE_USER, PLAN_UPDATE, RES_USER,
			     l->email, l->id, u->mark);
		step_at(c, s)->desired = (long)i;
		step_at(c, s)->live = li;
		add_quoted_change(c, s, "role", l->role ? l->role :
				  l->role_id, u->role);
	}
	for (i = 0; i < live->users_nr; i++) {
		const struct model_user *l = &live->users[i];

		if (seen[i])
			continue;
		if (!c->in->prune) {
			add_unmanaged(c, RES_USER, l->email, NULL);
		} else if (same_role(l->role, "Owner")) {
			/* never lock the workspace's owners out */
			add_unmanaged(c, RES_USER, l->email,
				      "an Owner: never pruned");
		} else {
			s = add_step(c, STEP_DELETE_USER, PLAN_DELETE,
				     RES_USER, l->email, l->id, NULL);
			step_at(c, s)->live = (long)i;
		}
	}
	free(seen);
	json_decref(lmap);
	buf_release(&key);
	buf_release(&path);
}

/* Integrations and step runners: by name, created or deleted. */

/*
 * Map live names to indexes; a name held more than once also goes into
 * dups, as name -> [every index holding it], for one_copy() to settle.
 */
static json_t *name_map(struct ctx *c, size_t nr,
			const char *(*name)(const struct model *, size_t),
			json_t *dups)
{
	json_t *map = json_object(), *all;
	const char *n;
	size_t i;
	long old;

	for (i = 0; i < nr; i++) {
		n = name(c->live, i) ? name(c->live, i) : "";
		if ((old = map_put(map, n, (long)i)) < 0)
			continue;
		if (!(all = json_object_get(dups, n))) {
			all = json_array();
			json_array_append_new(all, json_integer(old));
			json_object_set_new(dups, n, all);
		}
		json_array_append_new(all, json_integer((long)i));
	}
	return map;
}

static const char *integration_name(const struct model *m, size_t i)
{
	return m->integrations[i].name;
}

static const char *runner_name(const struct model *m, size_t i)
{
	return m->runners[i].name;
}

static const char *workflow_name(const struct model *m, size_t i)
{
	return m->workflows[i].name;
}

/* What one_copy() needs to know of a kind. */
struct copies {
	enum plan_resource res;
	enum plan_step_kind del;
	const char *what;		/* "workflow" */
	const char *(*id)(const struct model *, size_t);
	const char *(*created)(const struct model *, size_t);
	/* what differs between two copies ("content", ...), or NULL */
	const char *(*differs)(const struct model *, size_t, size_t);
	/* a copy to keep rather than an older one (a runner delivered) */
	int (*better)(const struct model *, size_t);
};

/*
 * Pick the live copy of a managed name held more than once (all: the
 * indexes of every copy). The oldest is kept, or with better the oldest
 * better one; when every other copy is identical to it they are deleted
 * under --dedupe and shown as a problem without it. Copies that differ,
 * or whose ages are unknown, are an error: torq-apply cannot tell which
 * one the manifest means. Marks every copy in seen. Returns the index
 * of the copy to plan against, or -1 after an error.
 */
static long one_copy(struct ctx *c, const struct copies *k, json_t *all,
		     const char *name, const struct mark *mark,
		     const char *path, char *seen)
{
	size_t nr = json_array_size(all), i, j, s;
	long keep = -1, idx;
	long long ksec = 0, sec;
	long knsec = 0, nsec;
	int kbetter = 0, better;
	const char *why = NULL;
	struct buf msg = BUF_INIT;

	for (i = 0; i < nr; i++) {
		idx = (long)json_integer_value(json_array_get(all, i));
		seen[idx] = 1;
		if (rfc3339_parse(k->created(c->live, (size_t)idx), &sec,
			       &nsec)) {
			error_at(c, mark, path, "workspace '%s' has %zu %ss "
				 "named '%s', and the API gave no creation "
				 "time for one of them (id %s), so torq-apply"
				 " cannot tell which is the oldest: delete the"
				 " extra ones in Torq", c->p->workspace, nr,
				 k->what, name, k->id(c->live, (size_t)idx));
			return -1;
		}
		better = k->better ? k->better(c->live, (size_t)idx) : 0;
		if (keep < 0 || better > kbetter || (better == kbetter &&
		    (sec < ksec || (sec == ksec && nsec < knsec)))) {
			keep = idx;
			ksec = sec;
			knsec = nsec;
			kbetter = better;
		}
	}
	for (i = 0; !why && i < nr; i++) {
		idx = (long)json_integer_value(json_array_get(all, i));
		if (idx != keep)
			why = k->differs(c->live, (size_t)keep, (size_t)idx);
	}
	if (why) {
		error_at(c, mark, path, "workspace '%s' has %zu %ss named "
			 "'%s' that differ (%s); torq-apply cannot tell which "
			 "one is meant: rename or delete the extra ones in "
			 "Torq", c->p->workspace, nr, k->what, name, why);
		return -1;
	}
	if (!c->in->dedupe) {
		buf_addf(&msg, "%zu identical copies in the workspace (two "
			 "applies at once, or a copy made by hand)", nr);
		add_problem(c, k->res, name, msg.s, "--dedupe", nr == 2 ?
			    "keeps the oldest and deletes the newer copy" :
			    "keeps the oldest and deletes the newer copies");
		buf_release(&msg);
		return keep;
	}
	for (j = 0; j < nr; j++) {
		idx = (long)json_integer_value(json_array_get(all, j));
		if (idx == keep)
			continue;
		s = add_step(c, k->del, PLAN_DELETE, k->res, name,
			     k->id(c->live, (size_t)idx), mark);
		step_at(c, s)->live = idx;
		step_at(c, s)->duplicate = 1;
		buf_reset(&msg);
		buf_addf(&msg, "of id %s, created %s, which is kept",
			 k->id(c->live, (size_t)keep),
			 k->created(c->live, (size_t)keep));
		add_change(c, s, "duplicate (--dedupe)", NULL, msg.s, 0);
	}
	buf_release(&msg);
	return keep;
}

static const char *integration_id(const struct model *m, size_t i)
{
	return m->integrations[i].id ? m->integrations[i].id : "";
}

static const char *integration_created(const struct model *m, size_t i)
{
	return m->integrations[i].created_at;
}

/*
 * Parameters are write-only, so the type is all that can be compared;
 * the copy kept gets the manifest's parameters when they are not known
 * to be set.
 */
static const char *integration_differs(const struct model *m, size_t a,
				       size_t b)
{
	if (m->integrations[a].shared_in || m->integrations[b].shared_in)
		return "one is shared into the workspace";
	return same_str(m->integrations[a].vendor, m->integrations[b].vendor)
		? NULL : "type";
}

static const struct copies integration_copies = {
	RES_INTEGRATION, STEP_DELETE_INTEGRATION, "integration",
	integration_id, integration_created, integration_differs, NULL,
};

static const char *runner_id(const struct model *m, size_t i)
{
	return m->runners[i].id ? m->runners[i].id : "";
}

static const char *runner_created(const struct model *m, size_t i)
{
	return m->runners[i].created_at;
}

static const char *runner_differs(const struct model *m, size_t a, size_t b)
{
	if (!same_str(m->runners[a].platform, m->runners[b].platform))
		return "platform";
	if (m->runners[a].allow_cluster_management !=
	    m->runners[b].allow_cluster_management)
		return "allow_cluster_management";
	return NULL;
}

/* the runner whose install command reached its file is the one to keep */
static int runner_delivered(const struct model *m, size_t i)
{
	return !m->runners[i].undelivered;
}

static const struct copies runner_copies = {
	RES_RUNNER, STEP_DELETE_RUNNER, "step runner", runner_id,
	runner_created, runner_differs, runner_delivered,
};

static const char *workflow_id(const struct model *m, size_t i)
{
	return m->workflows[i].id ? m->workflows[i].id : "";
}

static const char *workflow_created(const struct model *m, size_t i)
{
	return m->workflows[i].created_at;
}

static const char *workflow_differs(const struct model *m, size_t a,
				    size_t b)
{
	const struct model_workflow *x = &m->workflows[a];
	const struct model_workflow *y = &m->workflows[b];
	size_t i;

	/* unread content is not known to be the same */
	if (!x->content_digest || !y->content_digest ||
	    strcmp(x->content_digest, y->content_digest))
		return "content";
	if (x->published != y->published)
		return "published";
	if (x->tags_nr != y->tags_nr)
		return "tags";
	for (i = 0; i < x->tags_nr; i++)
		if (strcmp(x->tags[i], y->tags[i]))
			return "tags";
	return NULL;
}

static const struct copies workflow_copies = {
	RES_WORKFLOW, STEP_DELETE_WORKFLOW, "workflow", workflow_id,
	workflow_created, workflow_differs, NULL,
};

/*
 * The live index name stands for: -1 when none holds it, -2 after an
 * error (copies that differ).
 */
static long live_index(struct ctx *c, const struct copies *k, json_t *map,
		       json_t *dups, const char *name,
		       const struct mark *mark, const char *path, char *seen)
{
	json_t *all = json_object_get(dups, name);
	long li;

	if (all)
		return (li = one_copy(c, k, all, name, mark, path, seen)) < 0 ?
			-2 : li;
	li = map_get(map, name);
	if (li >= 0)
		seen[li] = 1;
	return li;
}

static void plan_integrations(struct ctx *c, long **created, size_t *nr)
{
	const struct model *d = c->in->desired, *live = c->live;
	json_t *dups = json_object();
	json_t *lmap = name_map(c, live->integrations_nr,
				integration_name, dups);
	char *seen = xcalloc(live->integrations_nr + 1, 1);
	struct buf path = BUF_INIT;
	size_t i, s;
	long li;
	int unverified;

	*created = xcalloc(d->integrations_nr + d->runners_nr + 1,
			   sizeof(**created));
	*nr = 0;
	for (i = 0; i < d->integrations_nr; i++) {
		const struct model_integration *in = &d->integrations[i];
		const struct model_integration *l;

		buf_reset(&path);
		buf_addf(&path, "integrations[%zu].name", i);
		li = live_index(c, &integration_copies, lmap, dups, in->name,
				in->mark, path.s, seen);
		if (li == -2)
			continue;
		if (li < 0) {
			s = add_step(c, STEP_CREATE_INTEGRATION, PLAN_CREATE,
				     RES_INTEGRATION, in->name, NULL,
				     in->mark);
			step_at(c, s)->desired = (long)i;
			add_quoted_change(c, s, "vendor", NULL, in->vendor);
			if (in->parameters)
				add_change(c, s, "parameters", NULL,
					   SENSITIVE, 1);
			(*created)[(*nr)++] = (long)s;
			continue;
		}
		l = &live->integrations[li];
		if (in->vendor && l->vendor && strcmp(in->vendor, l->vendor)) {
			buf_reset(&path);
			buf_addf(&path, "integrations[%zu].vendor", i);
			error_at(c, in->mark, path.s, "integration '%s' is a "
				 "'%s' integration in workspace '%s', not '%s':"
				 " Torq cannot change an integration's type; "
				 "give this one another name", in->name,
				 l->vendor, c->p->workspace, in->vendor);
			continue;
		}
		if (l->shared_in) {
			/* used here, changed only where it is shared from */
			if (in->parameters)
				diag_add(c->diags, DIAG_WARNING, in->mark,
					 path.s, "integration '%s' is shared "
					 "into workspace '%s' by another "
					 "workspace: it can be used here but "
					 "not changed, so its parameters are "
					 "left as they are", in->name,
					 c->p->workspace);
			continue;
		}
		/*
		 * Parameters are write-only: compare the salted hash of what
		 * the manifest says with the one recorded when torq-apply
		 * last set them. None recorded: set them, to be sure.
		 */
		unverified = l->fingerprint &&
			!strcmp(l->fingerprint, FINGERPRINT_UNVERIFIED);
		if (!in->parameters ||
		    (!(c->in->rotate_secrets && in->has_secret) &&
		     in->fingerprint && l->fingerprint &&
		     !strcmp(in->fingerprint, l->fingerprint)))
			continue;
		/*
		 * Parameters cannot be read back: for what was there before
		 * the state file met the workspace, equal and different look
		 * the same. Say so; do not guess (a drift check on a fresh
		 * CI runner stays empty).
		 */
		if (unverified && !(c->in->rotate_secrets && in->has_secret)) {
			add_note(c, RES_INTEGRATION, in->name, "parameters "
				 "not verifiable here (set before state.json "
				 "knew the workspace): --rotate-secrets or "
				 "--strict-secrets sets them");
			continue;
		}
		s = add_step(c, STEP_UPDATE_INTEGRATION, PLAN_UPDATE,
			     RES_INTEGRATION, in->name, l->id, in->mark);
		step_at(c, s)->desired = (long)i;
		step_at(c, s)->live = li;
		if (!l->fingerprint)
			add_change(c, s, "parameters (never set by torq-apply)",
				   NULL, SENSITIVE, 1);
		else if (in->fingerprint &&
			 !strcmp(in->fingerprint, l->fingerprint))
			add_change(c, s, "parameters (--rotate-secrets)", NULL,
				   SENSITIVE, 1);
		else
			add_change(c, s, "parameters", SENSITIVE, SENSITIVE,
				   1);
	}
	for (i = 0; i < live->integrations_nr; i++) {
		if (seen[i])
			continue;
		if (live->integrations[i].shared_in) {
			add_unmanaged(c, RES_INTEGRATION,
				      live->integrations[i].name,
				      "shared into this workspace: never "
				      "changed or pruned here");
		} else if (c->in->prune) {
			s = add_step(c, STEP_DELETE_INTEGRATION, PLAN_DELETE,
				     RES_INTEGRATION,
				     live->integrations[i].name,
				     live->integrations[i].id, NULL);
			step_at(c, s)->live = (long)i;
		} else {
			add_unmanaged(c, RES_INTEGRATION,
				      live->integrations[i].name, NULL);
		}
	}
	free(seen);
	json_decref(lmap);
	json_decref(dups);
	buf_release(&path);
}

/* count(): an object deleted and created again */
#define REPLACED (PLAN_DELETE + 1)

static int replacing(const struct ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->in->replace_runners_nr; i++)
		if (!strcmp(c->in->replace_runners[i], name))
			return 1;
	return 0;
}

/*
 * last_seen_time says whether a runner is connected: one that never was
 * waits for its install command; one silent for a day may be down.
 */
static void runner_seen(struct ctx *c, const struct model_runner *r,
			const struct model_runner *l)
{
	struct buf msg = BUF_INIT;
	long long sec;
	long nsec, days;

	if (!l->last_seen) {
		buf_addstr(&msg, "never connected: run its install command "
			   "where it should live");
		if (r->install_commands_out)
			buf_addf(&msg, " (%s)", r->install_commands_out);
	} else if (c->in->now && !rfc3339_parse(l->last_seen, &sec, &nsec) &&
		   (days = (long)((c->in->now - sec) / 86400)) >= 1) {
		buf_addf(&msg, "not seen for %ld day%s (last seen %s)", days,
			 days == 1 ? "" : "s", l->last_seen);
	}
	if (msg.len)
		add_note(c, RES_RUNNER, r->name, msg.s);
	buf_release(&msg);
}

static void plan_runners(struct ctx *c, long *created, size_t *nr)
{
	const struct model *d = c->in->desired, *live = c->live;
	json_t *dups = json_object();
	json_t *lmap = name_map(c, live->runners_nr,
				runner_name, dups);
	char *seen = xcalloc(live->runners_nr + 1, 1);
	struct buf path = BUF_INIT, fix = BUF_INIT;
	size_t i, s, del;
	long li;

	for (i = 0; i < d->runners_nr; i++) {
		const struct model_runner *r = &d->runners[i];
		const struct model_runner *l;

		buf_reset(&path);
		buf_addf(&path, "step_runners[%zu].name", i);
		li = live_index(c, &runner_copies, lmap, dups, r->name,
				r->mark, path.s, seen);
		if (li == -2)
			continue;
		del = 0;
		if (li >= 0 && replacing(c, r->name)) {
			/* delete, then create: a new install command */
			del = add_step(c, STEP_DELETE_RUNNER, PLAN_DELETE,
				       RES_RUNNER, r->name,
				       live->runners[li].id, r->mark);
			step_at(c, del)->live = li;
			step_at(c, del)->desired = (long)i;
			add_change(c, del, "replaced (--replace)", NULL,
				   "a new runner, with a new install command",
				   0);
			li = -1;
			del++;		/* 0: none */
		}
		if (li < 0) {
			s = add_step(c, STEP_CREATE_RUNNER, PLAN_CREATE,
				     RES_RUNNER, r->name, NULL, r->mark);
			step_at(c, s)->desired = (long)i;
			add_quoted_change(c, s, "platform", NULL, r->platform);
			if (r->allow_cluster_management)
				add_change(c, s, "allow_cluster_management",
					   NULL, "true", 0);
			if (r->install_commands_out)
				add_quoted_change(c, s, "install_commands_out",
						  NULL,
						  r->install_commands_out);
			if (del)
				add_dep(c, s, (long)del - 1);
			created[(*nr)++] = (long)s;
			continue;
		}
		l = &live->runners[li];
		if (l->undelivered && r->install_commands_out) {
			buf_reset(&fix);
			buf_addf(&fix, "--replace step_runner:%s", r->name);
			add_problem(c, RES_RUNNER, r->name, l->undelivered,
				    fix.s, "deletes it and makes it again, with"
				    " a new install command");
		}
		runner_seen(c, r, l);
		if ((r->platform && l->platform &&
		     strcmp(r->platform, l->platform)) ||
		    (l->platform && !strcmp(l->platform, "kubernetes") &&
		     r->allow_cluster_management !=
		     l->allow_cluster_management))
			diag_add(c->diags, DIAG_WARNING, r->mark, path.s,
				 "step runner '%s' differs in workspace '%s' "
				 "(%s%s); the API cannot change a runner, so "
				 "it is left as it is", r->name,
				 c->p->workspace, l->platform,
				 l->allow_cluster_management ?
				 ", cluster management allowed" : "");
	}
	for (i = 0; i < live->runners_nr; i++) {
		if (seen[i])
			continue;
		if (c->in->prune) {
			s = add_step(c, STEP_DELETE_RUNNER, PLAN_DELETE,
				     RES_RUNNER, live->runners[i].name,
				     live->runners[i].id, NULL);
			step_at(c, s)->live = (long)i;
		} else {
			add_unmanaged(c, RES_RUNNER, live->runners[i].name,
				      NULL);
		}
	}
	free(seen);
	json_decref(lmap);
	json_decref(dups);
	buf_release(&path);
	buf_release(&fix);
}

/* Workflows. */

struct wf_state {
	long live;		/* index in live->workflows, or -1 */
	long source;		/* index in source->workflows, or -1 */
	long content_step;	/* import or update, or -1 */
	long publish_step;	/* or -1 */
	long last_step;		/* the last step made for it, or -1 */
	int mark;		/* topological sort: 0 new, 1 visiting, 2 done */
	int skip;		/* an error made it unplannable */
};

struct wf_ctx {
	struct ctx *c;
	const struct model *d;
	struct wf_state *st;
	json_t *dmap;		/* desired name -> index */
	json_t *lmap, *ldups, *smap;
	size_t *topo;
	size_t topo_nr;
	long *integration_steps;
	size_t integration_steps_nr;
};

/* Children (nested workflows) first; a cycle is an error. */
static void visit(struct wf_ctx *w, size_t i, struct buf *trail)
{
	const struct model_workflow *wf = &w->d->workflows[i];
	size_t j, len = trail->len;
	long child;

	if (w->st[i].mark == 2)
		return;
	buf_addf(trail, "%s'%s'", len ? " -> " : "", wf->name);
	if (w->st[i].mark == 1) {
		error_at(w->c, wf->mark, NULL, "workflows call each other in "
			 "a cycle (%s), so none can be published first",
			 trail->s);
		buf_setlen(trail, len);
		return;
	}
	w->st[i].mark = 1;
	for (j = 0; j < wf->nested_nr; j++) {
		child = map_get(w->dmap, wf->nested[j]);
		if (child >= 0)
			visit(w, (size_t)child, trail);
	}
	w->st[i].mark = 2;
	w->topo[w->topo_nr++] = i;
	buf_setlen(trail, len);
}

/*
 * What the reviewer sees of a workflow's new content: live (NULL for an
 * import) against wf. NULL when a side's YAML was not read (or, which
 * cannot be as both were digested, does not load).
 */
static struct wfdiff *workflow_diff(const struct model_workflow *live,
				    const struct model_workflow *wf)
{
	struct wfdiff_opts o = WFDIFF_OPTS_INIT;
	struct wfdiff *d;
	struct buf err = BUF_INIT;

	if (!wf->content || (live && !live->content))
		return NULL;
	o.max_lines = PLAN_DIFF_LINES;
	d = xcalloc(1, sizeof(*d));
	if (wfdiff_compute("the live revision", live ? live->content : NULL,
			   live ? strlen(live->content) : 0,
			   wf->file ? wf->file : "the source's revision",
			   wf->content, strlen(wf->content), &o, d, &err)) {
		wfdiff_release(d);
		free(d);
		d = NULL;
	}
	buf_release(&err);
	return d;
}

static void plan_one_workflow(struct wf_ctx *w, size_t i)
{
	struct ctx *c = w->c;
	const struct model_workflow *wf = &w->d->workflows[i];
	const struct model_workflow *l = NULL;
	struct wf_state *st = &w->st[i];
	const char *const *ltags = NULL;
	size_t ltags_nr = 0, a, b, j, s, first = c->p->steps_nr;
	int cmp, fresh, changed = 0;
	long child, on;
	const char *id;

	if (st->skip)
		return;
	if (st->live >= 0) {
		l = &c->live->workflows[st->live];
		ltags = (const char *const *)l->tags;
		ltags_nr = l->tags_nr;
	}
	id = l ? l->id : NULL;
	fresh = !l;
	if (fresh) {
		s = add_step(c, STEP_IMPORT_WORKFLOW, PLAN_CREATE,
			     RES_WORKFLOW, wf->name, NULL, wf->mark);
		step_at(c, s)->source = st->source;
		add_quoted_change(c, s, "from", NULL, wf->from_source ?
				  "source workspace" : wf->file);
		st->content_step = (long)s;
	} else if (wf->content_digest && l->content_digest &&
		   strcmp(wf->content_digest, l->content_digest)) {
		s = add_step(c, STEP_UPDATE_WORKFLOW, PLAN_UPDATE,
			     RES_WORKFLOW, wf->name, id, wf->mark);
		step_at(c, s)->source = st->source;
		add_change(c, s, "content", NULL, wf->from_source ?
			   "(as in the source workspace)" : "(as in the file)",
			   0);
		st->content_step = (long)s;
		changed = 1;
	}
	if (st->content_step >= 0) {
		s = (size_t)st->content_step;
		step_at(c, s)->diff = workflow_diff(l, wf);
		step_at(c, s)->desired = (long)i;
		step_at(c, s)->live = st->live;
		/* the integrations and runners it may use come first */
		for (j = 0; j < w->integration_steps_nr; j++)
			add_dep(c, s, w->integration_steps[j]);
		/* and the workflows it calls, published when asked */
		for (j = 0; j < wf->nested_nr; j++) {
			child = map_get(w->dmap, wf->nested[j]);
			if (child < 0)
				continue;
			on = w->st[child].publish_step >= 0 ?
				w->st[child].publish_step :
				w->st[child].content_step;
			add_dep(c, s, on);
		}
		st->last_step = st->content_step;
	}

	/* Tags, by name, when the manifest lists them: a merge of two sorted lists. */
	if (wf->tags_set) {
		a = b = 0;
		while (a < wf->tags_nr || b < ltags_nr) {
			cmp = a >= wf->tags_nr ? 1 : b >= ltags_nr ? -1 :
				strcmp(wf->tags[a], ltags[b]);
			if (!cmp) {
				a++;
				b++;
				continue;
			}
			s = add_step(c, cmp < 0 ? STEP_ADD_TAG :
				     STEP_REMOVE_TAG, cmp < 0 ? PLAN_CREATE :
				     PLAN_DELETE, RES_WORKFLOW, wf->name, id,
				     wf->mark);
			step_at(c, s)->desired = (long)i;
			step_at(c, s)->live = st->live;
			step_at(c, s)->detail = xstrdup(cmp < 0 ?
							wf->tags[a++] :
							ltags[b++]);
			add_dep(c, s, st->content_step);
			st->last_step = (long)s;
		}
	}

	/*
	 * Publish the current revision when asked and it is not already
	 * the published one; after the content and the tags (a tag might
	 * make a revision), and after the nested workflows it calls.
	 */
	if (wf->published && (fresh || changed || !l->published)) {
		s = add_step(c, STEP_PUBLISH_WORKFLOW, PLAN_UPDATE,
			     RES_WORKFLOW, wf->name, id, wf->mark);
		step_at(c, s)->desired = (long)i;
		step_at(c, s)->live = st->live;
		add_change(c, s, "published", fresh ? NULL : "false", "true",
			   0);
		for (j = first; j < s; j++)
			add_dep(c, s, (long)j);
		for (j = 0; j < wf->nested_nr; j++) {
			child = map_get(w->dmap, wf->nested[j]);
			if (child >= 0)
				add_dep(c, s, w->st[child].publish_step);
		}
		st->publish_step = (long)s;
	}
}

static void plan_workflows(struct ctx *c, long *integration_steps,
			   size_t integration_steps_nr)
{
	const struct model *d = c->in->desired, *live = c->live;
	const struct model *src = c->in->source;
	struct wf_ctx w;
	struct buf path = BUF_INIT, trail = BUF_INIT;
	char *seen = xcalloc(live->workflows_nr + 1, 1);
	size_t i, s;
	json_t *sdups = json_object();

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.d = d;
	w.st = xcalloc(d->workflows_nr + 1, sizeof(*w.st));
	w.topo = xcalloc(d->workflows_nr + 1, sizeof(*w.topo));
	w.dmap = json_object();
	w.ldups = json_object();
	w.lmap = name_map(c, live->workflows_nr, workflow_name,
			  w.ldups);
	w.smap = json_object();
	w.integration_steps = integration_steps;
	w.integration_steps_nr = integration_steps_nr;
	if (src)
		for (i = 0; i < src->workflows_nr; i++)
			if (map_put(w.smap, src->workflows[i].name, (long)i) >=
			    0)
				json_object_set_new(sdups,
						    src->workflows[i].name,
						    json_true());

	for (i = 0; i < d->workflows_nr; i++) {
		const struct model_workflow *wf = &d->workflows[i];

		w.st[i].live = w.st[i].source = -1;
		w.st[i].content_step = w.st[i].publish_step = -1;
		w.st[i].last_step = -1;
		map_put(w.dmap, wf->name, (long)i);
		buf_reset(&path);
		buf_addf(&path, "workflows[%zu].name", i);
		w.st[i].live = live_index(c, &workflow_copies, w.lmap, w.ldups,
					  wf->name, wf->mark, path.s, seen);
		if (w.st[i].live == -2) {
			w.st[i].live = -1;
			w.st[i].skip = 1;
			continue;
		}
		if (!wf->from_source)
			continue;
		buf_reset(&path);
		buf_addf(&path, "workflows[%zu].from", i);
		if (!src) {
			error_at(c, wf->mark, path.s, "workflow '%s' comes from"
				 " the source workspace, but the manifest has "
				 "no source: section", wf->name);
			w.st[i].skip = 1;
		} else if (json_object_get(sdups, wf->name)) {
			error_at(c, wf->mark, path.s, "the source workspace "
				 "has more than one workflow named '%s'",
				 wf->name);
			w.st[i].skip = 1;
		} else if ((w.st[i].source = map_get(w.smap, wf->name)) < 0) {
			error_at(c, wf->mark, path.s, "the source workspace "
				 "has no workflow named '%s'", wf->name);
			w.st[i].skip = 1;
		}
	}
	for (i = 0; i < d->workflows_nr; i++)
		visit(&w, i, &trail);
	for (i = 0; i < w.topo_nr; i++)
		plan_one_workflow(&w, w.topo[i]);

	for (i = 0; i < live->workflows_nr; i++) {
		if (seen[i])
			continue;
		if (c->in->prune) {
			s = add_step(c, STEP_DELETE_WORKFLOW, PLAN_DELETE,
				     RES_WORKFLOW, live->workflows[i].name,
				     live->workflows[i].id, NULL);
			step_at(c, s)->live = (long)i;
		} else {
			add_unmanaged(c, RES_WORKFLOW, live->workflows[i].name,
				      NULL);
		}
	}
	free(seen);
	free(w.st);
	free(w.topo);
	json_decref(w.dmap);
	json_decref(w.lmap);
	json_decref(w.ldups);
	json_decref(w.smap);
	json_decref(sdups);
	buf_release(&path);
	buf_release(&trail);
}

/* The key count() knows an object by: its kind, then its identity. */
static void object_key(struct buf *key, enum plan_resource r,
		       const char *identity)
{
	buf_reset(key);
	buf_addch(key, (char)('A' + (int)r));
	if (r == RES_USER)
		add_lower(key, identity);
	else
		buf_addstr(key, identity ? identity : "");
}

/* Whether a --target names a desired object (a workflow: wf, by name or tag). */
static int desired_targeted(const struct ctx *c, enum plan_resource r,
			    const char *identity,
			    const struct model_workflow *wf)
{
	const struct plan_input *in = c->in;

	return wf ? target_names_workflow(in->targets, in->targets_nr, wf) :
		target_names(in->targets, in->targets_nr, r, identity);
}

/*
 * Desired objects with no step: every one the manifest manages, or,
 * with --target, every one targeted. objs holds object_key()s of the
 * objects with steps.
 */
static size_t count_unchanged(const struct ctx *c, json_t *objs)
{
	const struct model *d = c->in->desired;
	struct buf key = BUF_INIT, pair = BUF_INIT;
	size_t i, n = 0;

#define UNCHANGED(kind, res, list, ident, wf) \
	for (i = 0; (d->kinds & (kind)) && i < d->list##_nr; i++) { \
		object_key(&key, res, ident); \
		if ((!c->in->targets_nr || \
		     desired_targeted(c, res, key.s + 1, wf)) && \
		    !json_object_get(objs, key.s)) \
			n++; \
	}
	UNCHANGED(MODEL_USERS, RES_USER, users, d->users[i].email, NULL)
	UNCHANGED(MODEL_INTEGRATIONS, RES_INTEGRATION, integrations,
		  d->integrations[i].name, NULL)
	UNCHANGED(MODEL_RUNNERS, RES_RUNNER, runners, d->runners[i].name,
		  NULL)
	UNCHANGED(MODEL_WORKFLOWS, RES_WORKFLOW, workflows,
		  d->workflows[i].name, &d->workflows[i])
#undef UNCHANGED
	for (i = 0; (d->kinds & MODEL_CLAIM_MAPPINGS) &&
	     i < d->claim_mappings_nr; i++) {
		buf_reset(&pair);
		buf_addf(&pair, "%s=%s", d->claim_mappings[i].claim,
			 d->claim_mappings[i].value);
		object_key(&key, RES_CLAIM_MAPPING, pair.s);
		if ((!c->in->targets_nr ||
		     desired_targeted(c, RES_CLAIM_MAPPING, pair.s, NULL)) &&
		    !json_object_get(objs, key.s))
			n++;
	}
	buf_release(&key);
	buf_release(&pair);
	return n;
}

/* Counting, per object: created, changed, destroyed, or the same. */
static void count(struct ctx *c)
{
	struct plan *p = c->p;
	json_t *objs = json_object();
	struct buf key = BUF_INIT;
	struct plan_counts *k;
	json_t *v;
	const char *name;
	long act, old;
	size_t i;

	for (i = 0; i < p->steps_nr; i++) {
		const struct plan_step *s = &p->steps[i];

		/* one per step: printf would be a tenth of the plan */
		object_key(&key, s->resource, s->identity);
		/* each copy deleted is an object of its own */
		if (s->duplicate)
			buf_addf(&key, "\n%s", s->id ? s->id : "");
		/* a tag step changes its workflow, whatever its sign */
		act = s->kind == STEP_ADD_TAG || s->kind == STEP_REMOVE_TAG ?
			PLAN_UPDATE : (long)s->action;
		v = json_object_get(objs, key.s);
		old = v ? (long)json_integer_value(v) : -1;
		/* create and delete win over update; both: replaced */
		if (old < 0 || old == PLAN_UPDATE)
			json_object_set_new(objs, key.s, json_integer(act));
		else if ((old == PLAN_DELETE && act == PLAN_CREATE) ||
			 (old == PLAN_CREATE && act == PLAN_DELETE))
			json_object_set_new(objs, key.s,
					    json_integer(REPLACED));
	}
	json_object_foreach(objs, name, v) {
		act = (long)json_integer_value(v);
		k = &p->by_kind[name[0] - 'A'];
		if (act == REPLACED || act == PLAN_CREATE)
			k->add++;
		if (act == REPLACED || act == PLAN_DELETE)
			k->destroy++;
		if (act == PLAN_UPDATE)
			k->change++;
	}
	for (i = 0; i < RES_NR; i++) {
		p->to_add += p->by_kind[i].add;
		p->to_change += p->by_kind[i].change;
		p->to_destroy += p->by_kind[i].destroy;
	}
	p->unchanged = count_unchanged(c, objs);
	json_decref(objs);
	buf_release(&key);
}

/*
 * --target: only the targeted objects' steps and the steps they depend
 * on; the rest, and what the manifest does not name, is not checked.
 */
static void narrow(struct ctx *c)
{
	struct plan *p = c->p;
	const struct target *t = c->in->targets;
	size_t nr = c->in->targets_nr, i, j, n = 0;
	struct buf b = BUF_INIT;
	char *keep = xcalloc(p->steps_nr + 1, 1);
	size_t *at = xcalloc(p->steps_nr + 1, sizeof(*at));

	p->targets = xcalloc(nr + 1, sizeof(*p->targets));
	for (i = 0; i < nr; i++) {
		buf_reset(&b);
		target_format(&t[i], &b);
		p->targets[p->targets_nr++] = buf_detach(&b, NULL);
	}
	target_select(t, nr, p, keep);
	for (i = 0; i < p->steps_nr; i++)
		if (keep[i])
			at[i] = n++;
	for (i = 0, n = 0; i < p->steps_nr; i++) {
		if (!keep[i]) {
			step_release(&p->steps[i]);
			continue;
		}
		p->steps[n] = p->steps[i];
		for (j = 0; j < p->steps[n].deps_nr; j++)
			p->steps[n].deps[j] = at[p->steps[n].deps[j]];
		n++;
	}
	p->steps_nr = n;
	for (i = 0; i < p->unmanaged_nr; i++) {
		free(p->unmanaged[i].identity);
		free(p->unmanaged[i].why);
	}
	p->unmanaged_nr = 0;
	for (i = 0, n = 0; i < p->problems_nr; i++) {
		struct plan_problem *pr = &p->problems[i];

		if (target_names(t, nr, pr->resource, pr->identity)) {
			p->problems[n++] = *pr;
			continue;
		}
		free(pr->identity);
		free(pr->message);
		free(pr->fix);
		free(pr->fix_does);
	}
	p->problems_nr = n;
	for (i = 0, n = 0; i < p->notes_nr; i++) {
		struct plan_note *no = &p->notes[i];

		if (target_names(t, nr, no->resource, no->identity)) {
			p->notes[n++] = *no;
			continue;
		}
		free(no->identity);
		free(no->message);
	}
	p->notes_nr = n;
	free(keep);
	free(at);
	buf_release(&b);
}

int plan_make(const struct plan_input *in, struct plan *out,
	      struct diag_list *diags)
{
	static struct model empty;
	struct ctx c;
	const struct model *d = in->desired;
	long *made = NULL;
	size_t made_nr = 0;

	plan_init(out);
	memset(&c, 0, sizeof(c));
	c.in = in;
	c.live = in->live ? in->live : &empty;
	c.p = out;
	c.diags = diags;
	out->workspace = xstrdup(d->workspace.name ? d->workspace.name : "");
	out->workspace_exists = in->live != NULL;
	out->prune = in->prune;
	out->dedupe = in->dedupe;

	plan_workspace(&c);
	if (d->kinds & MODEL_CLAIM_MAPPINGS)
		plan_claim_mappings(&c);
	if (d->kinds & MODEL_USERS)
		plan_users(&c);
	if (d->kinds & MODEL_INTEGRATIONS) {
		plan_integrations(&c, &made, &made_nr);
	} else {
		made = xcalloc(d->runners_nr + 1, sizeof(*made));
	}
	if (d->kinds & MODEL_RUNNERS)
		plan_runners(&c, made, &made_nr);
	if (d->kinds & MODEL_WORKFLOWS)
		plan_workflows(&c, made, made_nr);
	free(made);
	if (in->targets_nr)
		narrow(&c);
	count(&c);
	return c.failed ? -1 : 0;
}
