#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "torq/reader.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * One read is a set of paged lists running side by side through the
 * client. Each list is a struct list; its callback files the items of a
 * page into the read's JSON holding area, then asks for the next page.
 * When every request is done, the holding area becomes the typed model,
 * with role ids turned into names.
 */

#define READER_MAX_PAGES 100000

struct read;

struct list {
	struct read *rd;
	const char *path;	/* "/users?sso_provision=false" */
	const char *key;	/* the list in the answer: "users" */
	const char *fallback;	/* path to try on a 404, or NULL */
	json_t *items;		/* borrowed from rd->got */
	json_t *seen_tokens;	/* page tokens already asked for */
	unsigned pages;
	void (*complete)(struct list *l);
};

struct read {
	struct client *c;
	struct session *s;
	const struct reader_options *o;
	unsigned page_size;
	json_t *got;		/* key -> array of raw items */
	json_t *users;		/* id -> user, across both user lists */
	json_t *contents;	/* workflow id -> YAML */
	struct buf *err;
	int failed;
	struct list lists[8];
	size_t lists_nr;
};

static void fail(struct read *rd, const char *msg)
{
	rd->failed = 1;
	/* a refused key fails every list alike: say it once */
	if (strstr(rd->err->s, msg))
		return;
	if (rd->err->len)
		buf_addch(rd->err, '\n');
	buf_addstr(rd->err, msg);
}

static void submit_page(struct list *l, const char *path, const char *token);

static void page_done(void *ctx, const struct client_response *res)
{
	struct list *l = ctx;
	json_t *arr, *item, *next;
	const char *tok;
	size_t i;
	struct buf msg = BUF_INIT;

	if (res->code == CLIENT_NOT_FOUND && l->fallback && !l->pages) {
		/* The older path of the same list (torq-api.md, roles). */
		l->path = l->fallback;
		l->fallback = NULL;
		submit_page(l, l->path, NULL);
		return;
	}
	if (res->code != CLIENT_OK) {
		fail(l->rd, res->error);
		return;
	}
	l->pages++;
	/* An absent list is an empty one (proto3 JSON); a non-object is wrong. */
	if (!json_is_object(res->body)) {
		buf_addf(&msg, "GET %s: the answer is not a JSON object",
			 res->path);
		fail(l->rd, msg.s);
		goto out;
	}
	arr = json_object_get(res->body, l->key);
	if (arr && !json_is_array(arr)) {
		buf_addf(&msg, "GET %s: '%s' in the answer is not a list",
			 res->path, l->key);
		fail(l->rd, msg.s);
		goto out;
	}
	json_array_foreach(arr, i, item)
		if (json_is_object(item))
			json_array_append(l->items, item);
	next = json_object_get(res->body, "next_page_token");
	tok = json_string_value(next);
	if (tok && *tok) {
		if (json_object_get(l->seen_tokens, tok) ||
		    l->pages >= READER_MAX_PAGES) {
			if (l->pages >= READER_MAX_PAGES)
				buf_addf(&msg, "GET %s: still more after %d"
					 " pages; the list does not end",
					 res->path, READER_MAX_PAGES);
			else
				buf_addf(&msg, "GET %s: the API sent page "
					 "token '%s' again; the list does not"
					 " end", res->path, tok);
			fail(l->rd, msg.s);
			goto out;
		}
		json_object_set_new(l->seen_tokens, tok, json_true());
		submit_page(l, l->path, tok);
		goto out;
	}
	if (l->complete)
		l->complete(l);
out:
	buf_release(&msg);
}

static void submit_page(struct list *l, const char *path, const char *token)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s%cpage_size=%u", path, strchr(path, '?') ? '&' : '?',
		 l->rd->page_size);
	if (token) {
		buf_addstr(&p, "&page_token=");
		client_escape(&p, token);
	}
	client_submit(l->rd->c, l->rd->s, "GET", p.s, NULL, page_done, l);
	buf_release(&p);
}

/* A paged list at path whose items (at key) are kept in rd->got[store]. */
static struct list *add_list(struct read *rd, const char *path,
			     const char *key, const char *store,
			     const char *fallback)
{
	struct list *l = &rd->lists[rd->lists_nr++];
	json_t *arr = json_object_get(rd->got, store);

	if (!arr) {
		arr = json_array();
		json_object_set_new(rd->got, store, arr);
	}
	memset(l, 0, sizeof(*l));
	l->rd = rd;
	l->path = path;
	l->key = key;
	l->fallback = fallback;
	l->items = arr;
	l->seen_tokens = json_object();
	return l;
}

/* Workflow YAML: one read per workflow that needs it. */

static int wants_content(const struct read *rd, const char *name)
{
	size_t i;

	if (rd->o->all_contents)
		return 1;
	for (i = 0; name && i < rd->o->contents_nr; i++)
		if (!strcmp(rd->o->contents[i], name))
			return 1;
	return 0;
}

struct content_req {
	struct read *rd;
	char *id;
};

static void content_done(void *ctx, const struct client_response *res)
{
	struct content_req *cr = ctx;
	json_t *yaml = json_object_get(json_object_get(res->body, "revision"),
				       "yaml");
	struct buf msg = BUF_INIT;

	if (res->code != CLIENT_OK) {
		fail(cr->rd, res->error);
	} else if (!json_is_string(yaml)) {
		buf_addf(&msg, "GET %s: the answer has no revision.yaml",
			 res->path);
		fail(cr->rd, msg.s);
	} else {
		json_object_set(cr->rd->contents, cr->id, yaml);
	}
	buf_release(&msg);
	free(cr->id);
	free(cr);
}

/* GET a workflow's revision; content_done files its YAML by id. */
static void submit_content(struct read *rd, const char *id, const char *rev)
{
	struct content_req *cr = xcalloc(1, sizeof(*cr));
	struct buf p = BUF_INIT;

	cr->rd = rd;
	cr->id = xstrdup(id);
	buf_addstr(&p, "/workflows/");
	client_escape(&p, id);
	buf_addstr(&p, "/revisions/");
	client_escape(&p, rev);
	client_submit(rd->c, rd->s, "GET", p.s, NULL, content_done, cr);
	buf_release(&p);
}

static void workflows_complete(struct list *l)
{
	json_t *wf;
	size_t i;
	const char *id, *rev, *name;

	json_array_foreach(l->items, i, wf) {
		id = json_string_value(json_object_get(wf, "id"));
		rev = json_string_value(json_object_get(wf,
						"current_revision_id"));
		name = json_string_value(json_object_get(wf, "name"));
		if (!id || !rev || !wants_content(l->rd, name) ||
		    (l->rd->o->known && name &&
		     l->rd->o->known(l->rd->o->known_ctx, name, rev)))
			continue;
		submit_content(l->rd, id, rev);
	}
}

/* From JSON to the model. */

static char *dup_field(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? xstrdup(v) : NULL;
}

static char *role_name(const struct model *m, const char *id)
{
	const struct model_role *r = id ? model_role_by_id(m, id) : NULL;

	return r && r->name ? xstrdup(r->name) : NULL;
}

/* int64 fields may come as JSON strings (proto3 JSON). */
static long int_field(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	long n = 0;

	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v) &&
	    !parse_long(json_string_value(v), -(1L << 62), 1L << 62, &n))
		return n;
	return 0;
}

/*
 * 1 when item has a string for every key in keys (NULL-ended; "a|b" means
 * either), else 0 after saying so: an object without its id or its
 * identity cannot be planned for, and is a broken answer, not an absence.
 */
static int complete_item(struct read *rd, const char *list, const char *what,
			 const json_t *item, const char *const *keys)
{
	struct buf msg = BUF_INIT;
	char alt[64];
	const char *k, *bar;

	for (; *keys; keys++) {
		k = *keys;
		bar = strchr(k, '|');
		if (bar) {
			snprintf(alt, sizeof(alt), "%.*s", (int)(bar - k), k);
			if (json_is_string(json_object_get(item, alt)) ||
			    json_is_string(json_object_get(item, bar + 1)))
				continue;
		} else if (json_is_string(json_object_get(item, k))) {
			continue;
		}
		buf_addf(&msg, "GET %s: the API sent a %s without a string "
			 "'%.*s'", list, what, (int)(bar ? bar - k :
						     (long)strlen(k)), k);
		if (json_is_string(json_object_get(item, "id")))
			buf_addf(&msg, " (id %s)", json_string_value(
				json_object_get(item, "id")));
		fail(rd, msg.s);
		buf_release(&msg);
		return 0;
	}
	return 1;
}

static void build(struct read *rd, struct model *m)
{
	static const char *const role_keys[] = { "id", "name", NULL };
	static const char *const user_keys[] = { "id", "email", NULL };
	static const char *const mapping_keys[] = {
		"id", "claim_name", "claim_value", NULL,
	};
	static const char *const named_keys[] = {
		"id", "display_name|name", NULL,
	};
	static const char *const workflow_keys[] = { "id", "name", NULL };
	json_t *it, *tags, *t;
	const char *key, *st;
	size_t i, j;
	struct model_role *role;
	struct model_user *u;
	struct model_claim_mapping *cm;
	struct model_integration *in;
	struct model_runner *rn;
	struct model_workflow *wf;

	json_array_foreach(json_object_get(rd->got, "roles"), i, it) {
		if (!complete_item(rd, "/roles", "role", it, role_keys))
			continue;
		role = model_add_role(m);
		role->id = dup_field(it, "id");
		role->name = dup_field(it, "name");
		role->is_custom = json_is_true(json_object_get(it,
							       "is_custom"));
	}
	json_object_foreach(rd->users, key, it) {
		if (!complete_item(rd, "/users", "user", it, user_keys))
			continue;
		u = model_add_user(m);
		u->id = dup_field(it, "id");
		u->email = dup_field(it, "email");
		u->role_id = dup_field(it, "role_id");
		u->role = role_name(m, u->role_id);
		st = json_string_value(json_object_get(it, "status"));
		u->status = !st ? MODEL_USER_UNKNOWN :
			!strcmp(st, "INVITATION_SENT") ? MODEL_USER_INVITED :
			!strcmp(st, "VERIFIED") ? MODEL_USER_VERIFIED :
			MODEL_USER_UNKNOWN;
		u->sso = json_is_true(json_object_get(it, "sso_provision"));
	}
	json_array_foreach(json_object_get(rd->got, "claim_mappings"), i,
			   it) {
		if (!complete_item(rd, "/sso/claim_mappings",
				   "claim mapping", it, mapping_keys))
			continue;
		cm = model_add_claim_mapping(m);
		cm->id = dup_field(it, "id");
		cm->claim = dup_field(it, "claim_name");
		cm->value = dup_field(it, "claim_value");
		cm->role_id = dup_field(it, "role_id");
		cm->role = role_name(m, cm->role_id);
		cm->rank = int_field(it, "rank");
	}
	json_array_foreach(json_object_get(rd->got, "integrations"), i, it) {
		if (!complete_item(rd, "/integrations", "integration", it,
				   named_keys))
			continue;
		in = model_add_integration(m);
		in->id = dup_field(it, "id");
		in->name = dup_field(it, "display_name");
		if (!in->name)
			in->name = dup_field(it, "name");
		in->vendor = dup_field(it, "type_id");
		in->created_at = dup_field(it, "created_at");
		st = json_string_value(json_object_get(json_object_get(it,
						"sharing_data"), "direction"));
		in->shared_in = st && !strcmp(st, "incoming");
	}
	json_array_foreach(json_object_get(rd->got, "step_runners"), i, it) {
		if (!complete_item(rd, "/step_runners", "step runner", it,
				   named_keys))
			continue;
		rn = model_add_runner(m);
		rn->id = dup_field(it, "id");
		rn->name = dup_field(it, "display_name");
		if (!rn->name)
			rn->name = dup_field(it, "name");
		rn->platform = dup_field(it, "platform");
		rn->created_at = dup_field(it, "created_time");
		if (!rn->created_at)
			rn->created_at = dup_field(it, "created_at");
		rn->last_seen = dup_field(it, "last_seen_time");
		rn->allow_cluster_management = json_is_true(json_object_get(
			json_object_get(it, "kubernetes_options"),
			"allow_cluster_management"));
	}
	json_array_foreach(json_object_get(rd->got, "workflows"), i, it) {
		if (!complete_item(rd, "/workflows", "workflow", it,
				   workflow_keys))
			continue;
		wf = model_add_workflow(m);
		wf->id = dup_field(it, "id");
		wf->name = dup_field(it, "name");
		wf->current_revision_id = dup_field(it,
						    "current_revision_id");
		wf->published_revision_id = dup_field(it,
						"published_revision_id");
		wf->published = wf->current_revision_id &&
			wf->published_revision_id &&
			!strcmp(wf->current_revision_id,
				wf->published_revision_id);
		wf->trigger = dup_field(it, "trigger");
		wf->created_at = dup_field(it, "created_at");
		tags = json_object_get(it, "tags");
		json_array_foreach(tags, j, t) {
			st = json_is_string(t) ? json_string_value(t) :
				json_string_value(json_object_get(t, "name"));
			if (st)
				model_workflow_add_tag(wf, st);
		}
		wf->tags_set = 1;
		if (wf->id)
			wf->content = dup_field(rd->contents, wf->id);
	}
}

static void users_complete(struct list *l)
{
	json_t *it;
	size_t i;
	const char *id;

	/* Both user lists land here; a user in both is one user. */
	json_array_foreach(l->items, i, it) {
		id = json_string_value(json_object_get(it, "id"));
		if (id)
			json_object_set(l->rd->users, id, it);
		else
			fail(l->rd, "GET /users: the API sent a user without"
			     " a string 'id'");
	}
	json_array_clear(l->items);
}

int reader_read(struct client *c, struct session *s,
		const struct reader_options *o, struct model *out,
		struct buf *err)
{
	static const struct reader_options none;
	struct read rd;
	unsigned kinds;
	size_t i;
	int ret = -1;

	if (!o)
		o = &none;
	kinds = o->kinds ? o->kinds : MODEL_ALL;
	memset(&rd, 0, sizeof(rd));
	rd.c = c;
	rd.s = s;
	rd.o = o;
	rd.page_size = o->page_size ? o->page_size : 100;
	rd.got = json_object();
	rd.users = json_object();
	rd.contents = json_object();
	rd.err = err;

	/* Roles are needed to name the roles of users and mappings. */
	if (kinds & (MODEL_USERS | MODEL_CLAIM_MAPPINGS))
		kinds |= MODEL_ROLES;
	if (kinds & MODEL_ROLES)
		add_list(&rd, "/roles", "roles", "roles", "/users/roles");
	if (kinds & MODEL_USERS) {
		/* Without the parameter the API lists local users only. */
		add_list(&rd, "/users?sso_provision=false", "users", "users",
			 NULL)
			->complete = users_complete;
		add_list(&rd, "/users?sso_provision=true", "users",
			 "sso_users", NULL)
			->complete = users_complete;
	}
	if (kinds & MODEL_CLAIM_MAPPINGS)
		add_list(&rd, "/sso/claim_mappings", "claim_mappings",
			 "claim_mappings", NULL);
	if (kinds & MODEL_INTEGRATIONS)
		add_list(&rd, "/integrations", "integrations",
			 "integrations", NULL);
	if (kinds & MODEL_RUNNERS)
		add_list(&rd, "/step_runners", "step_runners",
			 "step_runners", NULL);
	if (kinds & MODEL_WORKFLOWS)
		add_list(&rd, "/workflows", "workflows", "workflows",
			 NULL)->complete = workflows_complete;
	for (i = 0; i < rd.lists_nr; i++)
		submit_page(&rd.lists[i], rd.lists[i].path, NULL);
	if (client_run(c, err)) {
		rd.failed = 1;
		goto out;
	}
	out->kinds = kinds;
	build(&rd, out);
	model_sort(out);
	if (!rd.failed)
		ret = 0;
out:
	for (i = 0; i < rd.lists_nr; i++)
		json_decref(rd.lists[i].seen_tokens);
	json_decref(rd.got);
	json_decref(rd.users);
	json_decref(rd.contents);
	return ret;
}

int reader_contents(struct client *c, struct session *s, struct model *m,
		    const char *const *names, size_t nr, struct buf *err)
{
	struct read rd;
	struct model_workflow *w;
	const char *yaml;
	size_t i, j;
	int ret = -1;

	memset(&rd, 0, sizeof(rd));
	rd.c = c;
	rd.s = s;
	rd.contents = json_object();
	rd.err = err;
	for (i = 0; i < m->workflows_nr; i++) {
		w = &m->workflows[i];
		if (w->content || !w->id || !w->current_revision_id)
			continue;
		for (j = 0; j < nr; j++)
			if (w->name && !strcmp(w->name, names[j])) {
				submit_content(&rd, w->id,
					       w->current_revision_id);
				break;
			}
	}
	if (client_run(c, err) || rd.failed)
		goto out;
	for (i = 0; i < m->workflows_nr; i++) {
		w = &m->workflows[i];
		yaml = w->id ? json_string_value(json_object_get(rd.contents,
								 w->id)) : NULL;
		if (yaml && !w->content)
			w->content = xstrdup(yaml);
	}
	ret = 0;
out:
	json_decref(rd.contents);
	return ret;
}

/* As a person sorts: letters' case aside first; then exactly; then id. */
static int by_name(const void *a, const void *b)
{
	const struct model_workspace *x = a, *y = b;
	const char *xn = x->name ? x->name : "", *yn = y->name ? y->name : "";
	int r = strcasecmp(xn, yn);

	if (!r)
		r = strcmp(xn, yn);
	if (!r)
		r = strcmp(x->id ? x->id : "", y->id ? y->id : "");
	return r;
}

int reader_workspaces(struct client *c, struct session *s,
		      struct model_workspace **out, size_t *nr,
		      struct buf *err)
{
	static const struct reader_options none;
	static const char *const workspace_keys[] = { "id", "name", NULL };
	struct read rd;
	struct model_workspace *ws = NULL;
	json_t *it, *owners, *e;
	size_t i, j, n;
	int ret = -1;

	memset(&rd, 0, sizeof(rd));
	rd.c = c;
	rd.s = s;
	rd.o = &none;
	rd.page_size = 100;
	rd.got = json_object();
	rd.err = err;
	submit_page(add_list(&rd, "/workspaces", "workspaces", "workspaces",
			     NULL),
		    "/workspaces", NULL);
	if (client_run(c, err) || rd.failed)
		goto out;
	json_array_foreach(json_object_get(rd.got, "workspaces"), i, it)
		if (!complete_item(&rd, "/workspaces", "workspace", it,
				   workspace_keys))
			goto out;
	n = json_array_size(json_object_get(rd.got, "workspaces"));
	ws = xcalloc(n ? n : 1, sizeof(*ws));
	json_array_foreach(json_object_get(rd.got, "workspaces"), i, it) {
		ws[i].id = dup_field(it, "id");
		ws[i].name = dup_field(it, "name");
		ws[i].workflows_usage = int_field(it, "workflows_usage");
		ws[i].nested_usage = int_field(it, "nested_usage");
		ws[i].editors_usage = int_field(it, "editors_usage");
		ws[i].cases_operators_usage = int_field(it,
						"cases_operators_usage");
		ws[i].runners_usage = int_field(it, "runners_usage");
		owners = json_object_get(it, "owners_emails");
		json_array_foreach(owners, j, e) {
			if (!json_is_string(e))
				continue;
			ALLOC_GROW(ws[i].owners, ws[i].owners_nr + 1,
				   ws[i].owners_alloc);
			ws[i].owners[ws[i].owners_nr++] =
				xstrdup(json_string_value(e));
		}
	}
	qsort(ws, n, sizeof(*ws), by_name);
	*out = ws;
	*nr = n;
	ws = NULL;
	ret = 0;
out:
	free(ws);
	json_decref(rd.lists[0].seen_tokens);
	json_decref(rd.got);
	return ret;
}
