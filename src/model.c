#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "torq/model.h"
#include "torq/doc.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
}

static void free_strings(char **v, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(v[i]);
	free(v);
}

void model_workspace_release(struct model_workspace *ws)
{
	if (!ws)
		return;
	free(ws->id);
	free(ws->name);
	free(ws->credentials);
	free(ws->credentials_out);
	free_strings(ws->owners, ws->owners_nr);
	memset(ws, 0, sizeof(*ws));
}

static void workflow_release(struct model_workflow *w)
{
	free(w->id);
	free(w->name);
	free(w->current_revision_id);
	free(w->published_revision_id);
	free(w->trigger);
	free(w->created_at);
	free_strings(w->tags, w->tags_nr);
	free(w->file);
	free(w->content);
	free(w->content_digest);
	free_strings(w->nested, w->nested_nr);
}

void model_release(struct model *m)
{
	size_t i;

	if (!m)
		return;
	model_workspace_release(&m->workspace);
	free(m->source_credentials);
	for (i = 0; i < m->roles_nr; i++) {
		free(m->roles[i].id);
		free(m->roles[i].name);
	}
	free(m->roles);
	for (i = 0; i < m->users_nr; i++) {
		free(m->users[i].id);
		free(m->users[i].email);
		free(m->users[i].role);
		free(m->users[i].role_id);
	}
	free(m->users);
	for (i = 0; i < m->claim_mappings_nr; i++) {
		free(m->claim_mappings[i].id);
		free(m->claim_mappings[i].claim);
		free(m->claim_mappings[i].value);
		free(m->claim_mappings[i].role);
		free(m->claim_mappings[i].role_id);
	}
	free(m->claim_mappings);
	for (i = 0; i < m->integrations_nr; i++) {
		free(m->integrations[i].id);
		free(m->integrations[i].name);
		free(m->integrations[i].vendor);
		free(m->integrations[i].created_at);
		free(m->integrations[i].fingerprint);
		json_decref(m->integrations[i].parameters);
	}
	free(m->integrations);
	for (i = 0; i < m->runners_nr; i++) {
		free(m->runners[i].id);
		free(m->runners[i].name);
		free(m->runners[i].platform);
		free(m->runners[i].created_at);
		free(m->runners[i].last_seen);
		free(m->runners[i].install_commands_out);
		free(m->runners[i].undelivered);
	}
	free(m->runners);
	for (i = 0; i < m->workflows_nr; i++)
		workflow_release(&m->workflows[i]);
	free(m->workflows);
	model_init(m);
}

struct model_role *model_add_role(struct model *m)
{
	ALLOC_GROW(m->roles, m->roles_nr + 1, m->roles_alloc);
	memset(&m->roles[m->roles_nr], 0, sizeof(*m->roles));
	return &m->roles[m->roles_nr++];
}

struct model_user *model_add_user(struct model *m)
{
	ALLOC_GROW(m->users, m->users_nr + 1, m->users_alloc);
	memset(&m->users[m->users_nr], 0, sizeof(*m->users));
	return &m->users[m->users_nr++];
}

struct model_claim_mapping *model_add_claim_mapping(struct model *m)
{
	ALLOC_GROW(m->claim_mappings, m->claim_mappings_nr + 1,
		   m->claim_mappings_alloc);
	memset(&m->claim_mappings[m->claim_mappings_nr], 0,
	       sizeof(*m->claim_mappings));
	return &m->claim_mappings[m->claim_mappings_nr++];
}

struct model_integration *model_add_integration(struct model *m)
{
	ALLOC_GROW(m->integrations, m->integrations_nr + 1,
		   m->integrations_alloc);
	memset(&m->integrations[m->integrations_nr], 0,
	       sizeof(*m->integrations));
	return &m->integrations[m->integrations_nr++];
}

struct model_runner *model_add_runner(struct model *m)
{
	ALLOC_GROW(m->runners, m->runners_nr + 1, m->runners_alloc);
	memset(&m->runners[m->runners_nr], 0, sizeof(*m->runners));
	return &m->runners[m->runners_nr++];
}

struct model_workflow *model_add_workflow(struct model *m)
{
	ALLOC_GROW(m->workflows, m->workflows_nr + 1, m->workflows_alloc);
	memset(&m->workflows[m->workflows_nr], 0, sizeof(*m->workflows));
	return &m->workflows[m->workflows_nr++];
}

void model_workflow_add_tag(struct model_workflow *wf, const char *tag)
{
	size_t lo = 0, hi = wf->tags_nr;

	/* Binary search for the first tag not below tag. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(wf->tags[mid], tag) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < wf->tags_nr && !strcmp(wf->tags[lo], tag))
		return;
	ALLOC_GROW(wf->tags, wf->tags_nr + 1, wf->tags_alloc);
	memmove(wf->tags + lo + 1, wf->tags + lo,
		(wf->tags_nr - lo) * sizeof(*wf->tags));
	wf->tags[lo] = xstrdup(tag);
	wf->tags_nr++;
}

/* --- canonical order ----------------------------------------------------- */

/* strcmp with NULL (unknown) first, so sorting never crashes on gaps. */
static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return !!a - !!b;
	return strcmp(a, b);
}

static int cmp_str_fold(const char *a, const char *b)
{
	if (!a || !b)
		return !!a - !!b;
	return strcasecmp(a, b);
}

/* Ties (two live objects of one name) fall back to the id: deterministic. */
static int cmp_role(const void *pa, const void *pb)
{
	const struct model_role *a = pa, *b = pb;
	int c = cmp_str(a->name, b->name);

	return c ? c : cmp_str(a->id, b->id);
}

static int cmp_user(const void *pa, const void *pb)
{
	const struct model_user *a = pa, *b = pb;
	int c = cmp_str_fold(a->email, b->email);

	if (!c)
		c = cmp_str(a->email, b->email);
	return c ? c : cmp_str(a->id, b->id);
}

static int cmp_claim_mapping(const void *pa, const void *pb)
{
	const struct model_claim_mapping *a = pa, *b = pb;
	int c;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	c = cmp_str(a->claim, b->claim);
	if (!c)
		c = cmp_str(a->value, b->value);
	return c ? c : cmp_str(a->id, b->id);
}

static int cmp_integration(const void *pa, const void *pb)
{
	const struct model_integration *a = pa, *b = pb;
	int c = cmp_str(a->name, b->name);

	return c ? c : cmp_str(a->id, b->id);
}

static int cmp_runner(const void *pa, const void *pb)
{
	const struct model_runner *a = pa, *b = pb;
	int c = cmp_str(a->name, b->name);

	return c ? c : cmp_str(a->id, b->id);
}

static int cmp_workflow(const void *pa, const void *pb)
{
	const struct model_workflow *a = pa, *b = pb;
	int c = cmp_str(a->name, b->name);

	return c ? c : cmp_str(a->id, b->id);
}

static void sort(void *items, size_t nr, size_t size,
		 int (*cmp)(const void *, const void *))
{
	/* qsort(NULL, 0, ...) is undefined behaviour. */
	if (nr > 1)
		qsort(items, nr, size, cmp);
}

void model_sort(struct model *m)
{
	sort(m->roles, m->roles_nr, sizeof(*m->roles), cmp_role);
	sort(m->users, m->users_nr, sizeof(*m->users), cmp_user);
	sort(m->claim_mappings, m->claim_mappings_nr,
	     sizeof(*m->claim_mappings), cmp_claim_mapping);
	sort(m->integrations, m->integrations_nr, sizeof(*m->integrations),
	     cmp_integration);
	sort(m->runners, m->runners_nr, sizeof(*m->runners), cmp_runner);
	sort(m->workflows, m->workflows_nr, sizeof(*m->workflows),
	     cmp_workflow);
}

const struct model_role *model_role_by_name(const struct model *m,
					    const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < m->roles_nr; i++)
		if (m->roles[i].name && !strcasecmp(m->roles[i].name, name))
			return &m->roles[i];
	return NULL;
}

const struct model_role *model_role_by_id(const struct model *m,
					  const char *id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = 0; i < m->roles_nr; i++)
		if (m->roles[i].id && !strcmp(m->roles[i].id, id))
			return &m->roles[i];
	return NULL;
}

/* --- JSON ---------------------------------------------------------------- */

/* Set key to the string s; nothing when s is NULL. */
static void set_str(json_t *obj, const char *key, const char *s)
{
	if (s)
		json_object_set_new(obj, key, json_string(s));
}

/* Set key to true when flag is set; nothing otherwise. */
static void set_flag(json_t *obj, const char *key, int flag)
{
	if (flag)
		json_object_set_new(obj, key, json_true());
}

static void set_long(json_t *obj, const char *key, long v)
{
	if (v)
		json_object_set_new(obj, key, json_integer(v));
}

static json_t *strings_json(char *const *v, size_t nr)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < nr; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *workspace_json(const struct model_workspace *ws)
{
	json_t *o = json_object();

	set_str(o, "name", ws->name);
	set_str(o, "id", ws->id);
	set_flag(o, "create", ws->create);
	set_flag(o, "copy_sso", ws->copy_sso);
	set_str(o, "credentials", ws->credentials);
	set_str(o, "credentials_out", ws->credentials_out);
	set_long(o, "workflows_usage", ws->workflows_usage);
	set_long(o, "nested_usage", ws->nested_usage);
	set_long(o, "editors_usage", ws->editors_usage);
	set_long(o, "cases_operators_usage", ws->cases_operators_usage);
	set_long(o, "runners_usage", ws->runners_usage);
	if (ws->owners_nr)
		json_object_set_new(o, "owners",
				    strings_json(ws->owners, ws->owners_nr));
	return o;
}

static const char *status_name(enum model_user_status s)
{
	switch (s) {
	case MODEL_USER_INVITED:
		return "INVITATION_SENT";
	case MODEL_USER_VERIFIED:
		return "VERIFIED";
	case MODEL_USER_UNKNOWN:
		break;
	}
	return NULL;
}

static json_t *roles_json(const struct model *m)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < m->roles_nr; i++) {
		const struct model_role *r = &m->roles[i];
		json_t *o = json_object();

		set_str(o, "id", r->id);
		set_str(o, "name", r->name);
		set_flag(o, "custom", r->is_custom);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *users_json(const struct model *m)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < m->users_nr; i++) {
		const struct model_user *u = &m->users[i];
		json_t *o = json_object();

		set_str(o, "id", u->id);
		set_str(o, "email", u->email);
		set_str(o, "role", u->role);
		set_str(o, "role_id", u->role_id);
		set_str(o, "status", status_name(u->status));
		set_flag(o, "sso", u->sso);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *claim_mappings_json(const struct model *m)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < m->claim_mappings_nr; i++) {
		const struct model_claim_mapping *c = &m->claim_mappings[i];
		json_t *o = json_object();

		set_str(o, "id", c->id);
		json_object_set_new(o, "rank", json_integer(c->rank));
		set_str(o, "claim", c->claim);
		set_str(o, "value", c->value);
		set_str(o, "role", c->role);
		set_str(o, "role_id", c->role_id);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *integrations_json(const struct model *m)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < m->integrations_nr; i++) {
		const struct model_integration *in = &m->integrations[i];
		json_t *o = json_object();

		set_str(o, "id", in->id);
		set_str(o, "name", in->name);
		set_str(o, "vendor", in->vendor);
		set_str(o, "fingerprint", in->fingerprint);
		/* Parameters may hold secrets: never their values. */
		if (in->parameters)
			set_str(o, "parameters", SENSITIVE);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *runners_json(const struct model *m)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < m->runners_nr; i++) {
		const struct model_runner *r = &m->runners[i];
		json_t *o = json_object();

		set_str(o, "id", r->id);
		set_str(o, "name", r->name);
		set_str(o, "platform", r->platform);
		json_object_set_new(o, "allow_cluster_management",
				    json_boolean(r->allow_cluster_management));
		set_str(o, "install_commands_out", r->install_commands_out);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *workflows_json(const struct model *m)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < m->workflows_nr; i++) {
		const struct model_workflow *w = &m->workflows[i];
		json_t *o = json_object();

		set_str(o, "id", w->id);
		set_str(o, "name", w->name);
		set_str(o, "current_revision_id", w->current_revision_id);
		set_str(o, "published_revision_id", w->published_revision_id);
		set_str(o, "trigger", w->trigger);
		json_object_set_new(o, "published",
				    json_boolean(w->published));
		json_object_set_new(o, "tags",
				    strings_json(w->tags, w->tags_nr));
		set_flag(o, "tags_set", w->tags_set);
		set_flag(o, "from_source", w->from_source);
		set_str(o, "file", w->file);
		/* The YAML is long; its size says whether it was read. */
		if (w->content)
			json_object_set_new(o, "content_bytes",
					    json_integer((json_int_t)
							 strlen(w->content)));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *kinds_json(unsigned kinds)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ MODEL_ROLES, "roles" },
		{ MODEL_USERS, "users" },
		{ MODEL_CLAIM_MAPPINGS, "claim_mappings" },
		{ MODEL_INTEGRATIONS, "integrations" },
		{ MODEL_RUNNERS, "step_runners" },
		{ MODEL_WORKFLOWS, "workflows" },
	};
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (kinds & names[i].bit)
			json_array_append_new(a, json_string(names[i].name));
	return a;
}

json_t *model_to_json(const struct model *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "kinds", kinds_json(m->kinds));
	json_object_set_new(o, "workspace", workspace_json(&m->workspace));
	set_str(o, "source_credentials", m->source_credentials);
	set_flag(o, "copy_claims_from_source", m->copy_claims_from_source);
	set_flag(o, "prune", m->prune);
	json_object_set_new(o, "roles", roles_json(m));
	json_object_set_new(o, "users", users_json(m));
	json_object_set_new(o, "claim_mappings", claim_mappings_json(m));
	json_object_set_new(o, "integrations", integrations_json(m));
	json_object_set_new(o, "step_runners", runners_json(m));
	json_object_set_new(o, "workflows", workflows_json(m));
	return o;
}
