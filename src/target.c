#include <string.h>
#include <strings.h>

#include "torq/target.h"

#include "torq/wrapper.h"

#include "torq/banned.h"

/* The kinds a target may name, as plans name them. */
static const enum plan_resource kinds[] = {
	RES_USER, RES_CLAIM_MAPPING, RES_INTEGRATION, RES_RUNNER,
	RES_WORKFLOW,
};

#define KINDS_NR (sizeof(kinds) / sizeof(kinds[0]))

int target_parse(const char *arg, struct target *t, struct buf *err)
{
	const char *colon = strchr(arg, ':');
	size_t len, i;

	memset(t, 0, sizeof(*t));
	if (!colon || colon == arg || !colon[1]) {
		buf_addf(err, "--target needs KIND:NAME, as in "
			 "workflow:Offboarding, not '%s'", arg);
		return -1;
	}
	len = (size_t)(colon - arg);
	t->name = colon + 1;
	if (len == 3 && !strncmp(arg, "tag", 3)) {
		t->tag = 1;
		return 0;
	}
	for (i = 0; i < KINDS_NR; i++) {
		const char *k = plan_resource_name(kinds[i]);

		if (strlen(k) == len && !strncmp(arg, k, len)) {
			t->resource = kinds[i];
			return 0;
		}
	}
	buf_addf(err, "--target: no kind '%.*s'; the kinds are user, "
		 "claim_mapping, integration, step_runner, workflow and tag",
		 (int)len, arg);
	return -1;
}

void target_format(const struct target *t, struct buf *out)
{
	buf_addf(out, "%s:%s", t->tag ? "tag" : plan_resource_name(t->resource),
		 t->name);
}

static int same_identity(enum plan_resource r, const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	/* users are e-mails, and e-mails compare without case */
	return r == RES_USER ? !strcasecmp(a, b) : !strcmp(a, b);
}

static int has_tag(const struct model_workflow *w, const char *tag)
{
	size_t i;

	for (i = 0; i < w->tags_nr; i++)
		if (!strcmp(w->tags[i], tag))
			return 1;
	return 0;
}

/* Whether m has the object t names. */
static int model_has(const struct model *m, const struct target *t)
{
	struct buf key = BUF_INIT;
	size_t i;
	int found = 0;

	if (!m)
		return 0;
	if (t->tag) {
		for (i = 0; i < m->workflows_nr && !found; i++)
			found = has_tag(&m->workflows[i], t->name);
		return found;
	}
	switch (t->resource) {
	case RES_USER:
		for (i = 0; i < m->users_nr && !found; i++)
			found = same_identity(RES_USER, m->users[i].email,
					      t->name);
		break;
	case RES_CLAIM_MAPPING:
		for (i = 0; i < m->claim_mappings_nr && !found; i++) {
			buf_reset(&key);
			buf_addf(&key, "%s=%s", m->claim_mappings[i].claim,
				 m->claim_mappings[i].value);
			found = !strcmp(key.s, t->name);
		}
		break;
	case RES_INTEGRATION:
		for (i = 0; i < m->integrations_nr && !found; i++)
			found = same_identity(RES_INTEGRATION,
					      m->integrations[i].name, t->name);
		break;
	case RES_RUNNER:
		for (i = 0; i < m->runners_nr && !found; i++)
			found = same_identity(RES_RUNNER, m->runners[i].name,
					      t->name);
		break;
	case RES_WORKFLOW:
		for (i = 0; i < m->workflows_nr && !found; i++)
			found = same_identity(RES_WORKFLOW,
					      m->workflows[i].name, t->name);
		break;
	default:
		break;
	}
	buf_release(&key);
	return found;
}

int target_check(const struct target *t, size_t nr, const struct model *desired,
		 const struct model *live, struct buf *err)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (model_has(desired, &t[i]) || model_has(live, &t[i]))
			continue;
		buf_addstr(err, "--target ");
		target_format(&t[i], err);
		if (t[i].tag)
			buf_addf(err, ": no workflow of the manifest or of "
				 "the workspace has the tag '%s'", t[i].name);
		else
			buf_addf(err, ": the manifest and the workspace "
				 "have no %s '%s'",
				 plan_resource_label(t[i].resource), t[i].name);
		return -1;
	}
	return 0;
}

int target_names(const struct target *t, size_t nr, enum plan_resource r,
		 const char *identity)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!t[i].tag && t[i].resource == r &&
		    same_identity(r, identity, t[i].name))
			return 1;
	return 0;
}

int target_names_workflow(const struct target *t, size_t nr,
			  const struct model_workflow *w)
{
	size_t i;

	if (target_names(t, nr, RES_WORKFLOW, w->name))
		return 1;
	for (i = 0; i < nr; i++)
		if (t[i].tag && has_tag(w, t[i].name))
			return 1;
	return 0;
}

int target_names_step(const struct target *t, size_t nr,
		      const struct plan_step *s)
{
	size_t i;

	if (s->kind == STEP_ADD_TAG || s->kind == STEP_REMOVE_TAG)
		for (i = 0; i < nr; i++)
			if (t[i].tag && s->detail && !strcmp(s->detail,
							     t[i].name))
				return 1;
	return target_names(t, nr, s->resource, s->identity);
}

void target_select(const struct target *t, size_t nr, const struct plan *p,
		   char *keep)
{
	size_t *todo = xcalloc(p->steps_nr + 1, sizeof(*todo));
	size_t todo_nr = 0, i, j;
	const struct plan_step *s;

	for (i = 0; i < p->steps_nr; i++) {
		keep[i] = (char)target_names_step(t, nr, &p->steps[i]);
		if (keep[i])
			todo[todo_nr++] = i;
	}
	/* each step is queued once: when it is first kept */
	while (todo_nr) {
		s = &p->steps[todo[--todo_nr]];
		for (j = 0; j < s->deps_nr; j++)
			if (!keep[s->deps[j]]) {
				keep[s->deps[j]] = 1;
				todo[todo_nr++] = s->deps[j];
			}
	}
	free(todo);
}
