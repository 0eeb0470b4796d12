#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "torq/sim/state.h"
#include "torq/sim/seed.h"
#include "torq/diag.h"
#include "torq/doc.h"
#include "torq/load.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* Expired tokens are kept this long so that they answer 302, not 401. */
#define TOKEN_GRACE_MS (24 * 3600 * 1000LL)
#define STATE_MAX_BYTES (256u << 20)

void sim_state_lock(struct sim_state *st)
{
	pthread_mutex_lock(&st->lock);
}

void sim_state_unlock(struct sim_state *st)
{
	pthread_mutex_unlock(&st->lock);
}

void sim_state_touch(struct sim_state *st)
{
	st->generation++;
}

const size_t *sim_state_pick(struct sim_state *st, const json_t *list,
			     const char *key,
			     int (*match)(const json_t *elem, const void *arg),
			     const void *arg, size_t *nr)
{
	struct sim_pick *p;
	json_t *elem;
	size_t i;

	for (i = 0; i < SIM_PICKS; i++) {
		p = &st->picks[i];
		if (p->list == list && p->generation == st->generation &&
		    p->key && !strcmp(p->key, key)) {
			*nr = p->nr;
			return p->pos;
		}
	}
	/* round robin: the lists a client pages through are few */
	p = &st->picks[st->picks_next++ % SIM_PICKS];
	free(p->key);
	p->list = list;
	p->key = xstrdup(key);
	p->generation = st->generation;
	p->nr = 0;
	json_array_foreach(list, i, elem)
		if (match(elem, arg)) {
			ALLOC_GROW(p->pos, p->nr + 1, p->alloc);
			p->pos[p->nr++] = i;
		}
	*nr = p->nr;
	return p->pos;
}

void sim_state_id(struct sim_state *st, char out[SIM_UUID_LEN + 1])
{
	sim_uuid(&st->rng, out);
}

const char *sim_get(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

json_t *sim_find(const json_t *arr, const char *field, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		const char *s = sim_get(v, field);

		if (s && !strcmp(s, value))
			return v;
	}
	return NULL;
}

json_t *sim_find_ci(const json_t *arr, const char *field, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		const char *s = sim_get(v, field);

		if (s && !strcasecmp(s, value))
			return v;
	}
	return NULL;
}

long sim_find_index(const json_t *arr, const char *field, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		const char *s = sim_get(v, field);

		if (s && !strcmp(s, value))
			return (long)i;
	}
	return -1;
}

json_t *sim_state_org(struct sim_state *st)
{
	return json_object_get(st->root, "organization");
}

json_t *sim_state_workspaces(struct sim_state *st)
{
	return json_object_get(st->root, "workspaces");
}

json_t *sim_state_workspace(struct sim_state *st, const char *id)
{
	return sim_find(sim_state_workspaces(st), "id", id);
}

/* Normalisation: a fixture becomes a complete state. */

static void set_default(json_t *obj, const char *key, json_t *value)
{
	if (!json_object_get(obj, key))
		json_object_set_new(obj, key, value);
	else
		json_decref(value);
}

static void default_id(struct sim_state *st, json_t *obj)
{
	char id[SIM_UUID_LEN + 1];

	if (!sim_get(obj, "id")) {
		sim_state_id(st, id);
		json_object_set_new(obj, "id", json_string(id));
	}
}

static void default_time(json_t *obj, const char *key)
{
	char now[SIM_TIME_LEN + 1];

	if (!sim_get(obj, key)) {
		sim_time_now(now);
		json_object_set_new(obj, key, json_string(now));
	}
}

static json_t *preset_roles(struct sim_state *st)
{
	json_t *roles = json_array();
	unsigned i;

	for (i = 0; i < sim_preset_roles_nr; i++) {
		const struct sim_preset_role *p = &sim_preset_roles[i];
		json_t *role = json_object(), *scopes = json_array();
		const char *const *s;

		default_id(st, role);
		json_object_set_new(role, "name", json_string(p->name));
		json_object_set_new(role, "description",
				    json_string(p->description));
		for (s = p->scopes; *s; s++)
			json_array_append_new(scopes, json_string(*s));
		json_object_set_new(role, "scope_names", scopes);
		json_object_set_new(role, "is_custom", json_false());
		json_array_append_new(roles, role);
	}
	return roles;
}

/* Replace a fixture's "role": NAME by "role_id": ID. */
static int resolve_role(json_t *ws, json_t *obj, const char *what,
			struct buf *err)
{
	const char *name = sim_get(obj, "role");
	json_t *role;

	if (!name)
		return 0;
	role = sim_role_by_name(ws, name);
	if (!role) {
		buf_addf(err, "%s of workspace '%s' has unknown role '%s'",
			 what, sim_get(ws, "name"), name);
		return -1;
	}
	json_object_set(obj, "role_id", json_object_get(role, "id"));
	json_object_del(obj, "role");
	return 0;
}

static int need_string(json_t *obj, const char *key, const char *what,
		       json_t *ws, struct buf *err)
{
	if (sim_get(obj, key))
		return 0;
	buf_addf(err, "%s of workspace '%s' has no string '%s'", what,
		 ws ? sim_get(ws, "name") : "?", key);
	return -1;
}

static int array_of_objects(json_t *obj, const char *key, struct buf *err)
{
	json_t *arr, *v;
	size_t i;

	set_default(obj, key, json_array());
	arr = json_object_get(obj, key);
	if (!json_is_array(arr)) {
		buf_addf(err, "'%s' is not an array", key);
		return -1;
	}
	json_array_foreach(arr, i, v)
		if (!json_is_object(v)) {
			buf_addf(err, "'%s[%zu]' is not an object", key, i);
			return -1;
		}
	return 0;
}

static const char *owner_email(json_t *ws)
{
	json_t *role = sim_role_by_name(ws, "Owner");
	json_t *user;

	if (!role)
		return NULL;
	user = sim_find(json_object_get(ws, "users"), "role_id",
			sim_get(role, "id"));
	return user ? sim_get(user, "email") : NULL;
}

static void set_slug(json_t *obj)
{
	struct buf slug = BUF_INIT;

	if (!sim_get(obj, "name")) {
		sim_slug(&slug, sim_get(obj, "display_name"));
		json_object_set_new(obj, "name", json_string(slug.s));
	}
	buf_release(&slug);
}

static int norm_revision(json_t *rev, struct buf *err)
{
	json_t *info = NULL;

	if (json_object_get(rev, "trigger") && json_object_get(rev, "nested"))
		return 0;
	if (sim_workflow_analyze(sim_get(rev, "yaml"), &info, err))
		return -1;
	json_object_set(rev, "trigger", json_object_get(info, "trigger"));
	json_object_set(rev, "nested", json_object_get(info, "nested"));
	json_decref(info);
	return 0;
}

static int norm_workflow(struct sim_state *st, json_t *ws, json_t *wf,
			 struct buf *err)
{
	const char *yaml = sim_get(wf, "yaml");
	json_t *info = NULL, *revs, *rev;
	size_t i;
	int ret = -1;

	if (yaml) {
		if (sim_workflow_analyze(yaml, &info, err))
			goto out;
		if (!sim_get(wf, "name") && !sim_get(info, "name")) {
			buf_addf(err, "a workflow of workspace '%s' has no "
				 "name", sim_get(ws, "name"));
			goto out;
		}
		set_default(wf, "name",
			    json_incref(json_object_get(info, "name")));
		rev = json_object();
		default_id(st, rev);
		default_time(rev, "created_at");
		json_object_set_new(rev, "yaml", json_string(yaml));
		json_object_set(rev, "trigger", json_object_get(info,
								"trigger"));
		json_object_set(rev, "nested", json_object_get(info, "nested"));
		json_object_set_new(wf, "revisions", json_pack("[o]", rev));
		json_object_set(wf, "current_revision_id",
				json_object_get(rev, "id"));
		if (json_is_true(json_object_get(wf, "published")))
			json_object_set(wf, "published_revision_id",
					json_object_get(rev, "id"));
		json_object_del(wf, "yaml");
	}
	json_object_del(wf, "published");
	if (need_string(wf, "name", "a workflow", ws, err))
		goto out;
	default_id(st, wf);
	default_time(wf, "created_at");
	if (!sim_get(wf, "updated_at"))
		json_object_set(wf, "updated_at",
				json_object_get(wf, "created_at"));
	set_default(wf, "tags", json_array());
	if (array_of_objects(wf, "revisions", err))
		goto out;
	revs = json_object_get(wf, "revisions");
	if (!json_array_size(revs)) {
		buf_addf(err, "workflow '%s' has neither yaml nor revisions",
			 sim_get(wf, "name"));
		goto out;
	}
	json_array_foreach(revs, i, rev) {
		if (need_string(rev, "yaml", "a revision", ws, err))
			goto out;
		default_id(st, rev);
		default_time(rev, "created_at");
		if (norm_revision(rev, err))
			goto out;
	}
	if (!sim_get(wf, "current_revision_id"))
		json_object_set(wf, "current_revision_id",
				json_object_get(json_array_get(revs,
					json_array_size(revs) - 1), "id"));
	ret = 0;
out:
	json_decref(info);
	return ret;
}

static int norm_workspace(struct sim_state *st, json_t *ws, struct buf *err)
{
	static const char *const lists[] = {
		"api_keys", "users", "roles", "claim_mappings",
		"integrations", "step_runners", "workflows",
	};
	const char *owner;
	json_t *v;
	size_t i;

	if (!sim_get(ws, "name")) {
		buf_addstr(err, "a workspace has no string 'name'");
		return -1;
	}
	default_id(st, ws);
	default_time(ws, "created_at");
	for (i = 0; i < ARRAY_SIZE(lists); i++)
		if (array_of_objects(ws, lists[i], err))
			return -1;
	if (!json_array_size(json_object_get(ws, "roles")))
		json_object_set_new(ws, "roles", preset_roles(st));
	json_array_foreach(json_object_get(ws, "roles"), i, v) {
		if (need_string(v, "name", "a role", ws, err))
			return -1;
		default_id(st, v);
	}
	json_array_foreach(json_object_get(ws, "users"), i, v) {
		if (need_string(v, "email", "a user", ws, err) ||
		    resolve_role(ws, v, "a user", err))
			return -1;
		default_id(st, v);
		if (!sim_get(v, "role_id"))
			json_object_set(v, "role_id", json_object_get(
				sim_role_by_name(ws, "Viewer"), "id"));
		set_default(v, "status", json_string("VERIFIED"));
		set_default(v, "sso_provision", json_false());
		default_time(v, "created_time");
	}
	owner = owner_email(ws);
	json_array_foreach(json_object_get(ws, "api_keys"), i, v) {
		if (need_string(v, "client_id", "an API key", ws, err) ||
		    need_string(v, "client_secret", "an API key", ws, err))
			return -1;
		if (owner)
			set_default(v, "email", json_string(owner));
	}
	json_array_foreach(json_object_get(ws, "claim_mappings"), i, v) {
		if (resolve_role(ws, v, "a claim mapping", err) ||
		    need_string(v, "claim_name", "a claim mapping", ws, err) ||
		    need_string(v, "claim_value", "a claim mapping", ws, err) ||
		    need_string(v, "role_id", "a claim mapping", ws, err))
			return -1;
		default_id(st, v);
		json_object_del(v, "rank");
	}
	json_array_foreach(json_object_get(ws, "integrations"), i, v) {
		if (need_string(v, "display_name", "an integration", ws, err))
			return -1;
		default_id(st, v);
		set_slug(v);
		set_default(v, "type_id", json_string("webhook"));
		set_default(v, "parameters", json_object());
		default_time(v, "created_at");
		if (owner)
			set_default(v, "created_by", json_string(owner));
	}
	json_array_foreach(json_object_get(ws, "step_runners"), i, v) {
		if (need_string(v, "display_name", "a step runner", ws, err))
			return -1;
		default_id(st, v);
		set_slug(v);
		set_default(v, "platform", json_string("kubernetes"));
		default_time(v, "created_time");
	}
	json_array_foreach(json_object_get(ws, "workflows"), i, v)
		if (norm_workflow(st, ws, v, err))
			return -1;
	return 0;
}

int sim_state_normalize(struct sim_state *st, json_t *root, struct buf *err)
{
	json_t *ws, *org;
	size_t i;

	if (!json_is_object(root)) {
		buf_addstr(err, "the state is not a JSON object");
		return -1;
	}
	set_default(root, "version", json_integer(1));
	set_default(root, "organization", json_object());
	org = json_object_get(root, "organization");
	if (!json_is_object(org)) {
		buf_addstr(err, "'organization' is not an object");
		return -1;
	}
	set_default(org, "name", json_string("Example Org"));
	set_default(org, "automatic_workspace_creation", json_true());
	set_default(root, "tokens", json_object());
	if (!json_is_object(json_object_get(root, "tokens"))) {
		buf_addstr(err, "'tokens' is not an object");
		return -1;
	}
	if (array_of_objects(root, "workspaces", err))
		return -1;
	json_array_foreach(json_object_get(root, "workspaces"), i, ws)
		if (norm_workspace(st, ws, err))
			return -1;
	return 0;
}

/* Loading and saving. */

static int load_json(const char *path, json_t **out, struct buf *err)
{
	struct buf text = BUF_INIT;
	json_error_t jerr;
	int ret = -1;

	if (buf_read_file(&text, path, STATE_MAX_BYTES)) {
		buf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	*out = json_loadb(text.s, text.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out) {
		buf_addf(err, "'%s':%d:%d: %s", path, jerr.line, jerr.column,
			 jerr.text);
		goto out;
	}
	ret = 0;
out:
	buf_release(&text);
	return ret;
}

int sim_state_init(struct sim_state *st, const char *seed_path,
		   const char *state_path, struct buf *err)
{
	json_t *seed = NULL, *root = NULL;
	int ret = -1;

	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	sim_rng_seed_random(&st->rng);
	st->path = state_path ? xstrdup(state_path) : NULL;
	if (seed_path) {
		if (load_json(seed_path, &seed, err))
			goto out;
	} else {
		seed = sim_seed_default();
	}
	if (sim_state_normalize(st, seed, err)) {
		if (seed_path)
			buf_addf(err, " (in '%s')", seed_path);
		goto out;
	}
	if (state_path && !access(state_path, F_OK)) {
		if (load_json(state_path, &root, err))
			goto out;
		if (sim_state_normalize(st, root, err)) {
			buf_addf(err, " (in '%s')", state_path);
			goto out;
		}
	} else {
		root = json_deep_copy(seed);
	}
	st->seed = seed;
	st->root = root;
	seed = root = NULL;
	if (sim_state_save(st, err))
		goto out;
	ret = 0;
out:
	json_decref(seed);
	json_decref(root);
	return ret;
}

void sim_state_release(struct sim_state *st)
{
	size_t i;

	if (!st)
		return;
	json_decref(st->root);
	json_decref(st->seed);
	free(st->path);
	for (i = 0; i < SIM_PICKS; i++) {
		free(st->picks[i].key);
		free(st->picks[i].pos);
	}
	memset(st->picks, 0, sizeof(st->picks));
	pthread_mutex_destroy(&st->lock);
	st->root = st->seed = NULL;
	st->path = NULL;
}

static void fsync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path + 1)) :
			    xstrdup(".");
	int fd = open(dir, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int sim_state_save(struct sim_state *st, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	FILE *f = NULL;
	int ret = -1;

	if (!st->path)
		return 0;
	buf_addf(&tmp, "%s.tmp.%ld", st->path, (long)getpid());
	f = fopen(tmp.s, "w");
	if (!f) {
		buf_addf(err, "cannot write '%s': %s", tmp.s, strerror(errno));
		goto out;
	}
	if (json_dumpf(st->root, f, JSON_INDENT(1) | JSON_SORT_KEYS) ||
	    fputc('\n', f) == EOF || fflush(f) || fsync(fileno(f))) {
		buf_addf(err, "cannot write '%s': %s", tmp.s, strerror(errno));
		goto out;
	}
	if (fclose(f)) {
		f = NULL;
		buf_addf(err, "cannot write '%s': %s", tmp.s, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp.s, st->path)) {
		buf_addf(err, "cannot rename '%s' to '%s': %s", tmp.s,
			 st->path, strerror(errno));
		goto out;
	}
	fsync_dir(st->path);
	ret = 0;
out:
	if (f)
		fclose(f);
	if (ret)
		unlink(tmp.s);
	buf_release(&tmp);
	return ret;
}

int sim_state_reset(struct sim_state *st, struct buf *err)
{
	sim_state_touch(st);
	json_decref(st->root);
	st->root = json_deep_copy(st->seed);
	return sim_state_save(st, err);
}

/* Keys and tokens. */

json_t *sim_state_by_key(struct sim_state *st, const char *client_id,
			 const char *secret, json_t **key)
{
	json_t *ws, *k;
	size_t i;

	json_array_foreach(sim_state_workspaces(st), i, ws) {
		k = sim_find(json_object_get(ws, "api_keys"), "client_id",
			     client_id);
		if (k) {
			const char *s = sim_get(k, "client_secret");

			if (!s || strcmp(s, secret))
				return NULL;
			*key = k;
			return ws;
		}
	}
	return NULL;
}

json_t *sim_state_add_workspace(struct sim_state *st, const char *name,
				const char *owner, json_t **key)
{
	char id[SIM_UUID_LEN + 1], secret[65];
	json_t *ws = json_object(), *user = json_object(), *k;

	json_object_set_new(ws, "name", json_string(name));
	json_object_set_new(ws, "roles", preset_roles(st));
	json_object_set_new(user, "email", json_string(owner));
	json_object_set_new(user, "role", json_string("Owner"));
	json_object_set_new(ws, "users", json_pack("[o]", user));
	sim_state_id(st, id);
	sim_random_hex(&st->rng, secret, 32);
	k = json_pack("{s:s, s:s, s:s}", "client_id", id, "client_secret",
		      secret, "email", owner);
	json_object_set_new(ws, "api_keys", json_pack("[o]", k));
	/* cannot fail: the fixture is complete */
	if (norm_workspace(st, ws, NULL))
		abort();
	json_array_append_new(sim_state_workspaces(st), ws);
	*key = k;
	return ws;
}

static void prune_tokens(json_t *tokens, int64_t now)
{
	const char *tok;
	json_t *t, *tmp;

	json_object_foreach_safe(tokens, tmp, tok, t) {
		json_int_t exp = json_integer_value(
			json_object_get(t, "expires_at_ms"));

		if (exp + TOKEN_GRACE_MS < now)
			json_object_del(tokens, tok);
	}
}

void sim_state_issue_token(struct sim_state *st, json_t *ws, json_t *key,
			   long ttl, char out[SIM_UUID_LEN + 1])
{
	json_t *tokens = json_object_get(st->root, "tokens");
	int64_t now = sim_now_ms();

	prune_tokens(tokens, now);
	sim_state_id(st, out);
	json_object_set_new(tokens, out, json_pack(
		"{s:s, s:s, s:I}", "workspace_id", sim_get(ws, "id"),
		"client_id", sim_get(key, "client_id"), "expires_at_ms",
		(json_int_t)(now + (int64_t)ttl * 1000)));
}

enum sim_token_status sim_state_token(struct sim_state *st,
				      const char *token, json_t **ws,
				      json_t **key)
{
	json_t *t = json_object_get(json_object_get(st->root, "tokens"),
				    token);
	json_t *w, *k;

	if (!t)
		return SIM_TOKEN_UNKNOWN;
	w = sim_state_workspace(st, sim_get(t, "workspace_id") ?
				sim_get(t, "workspace_id") : "");
	if (!w)
		return SIM_TOKEN_UNKNOWN;
	k = sim_find(json_object_get(w, "api_keys"), "client_id",
		     sim_get(t, "client_id") ? sim_get(t, "client_id") : "");
	if (!k)
		return SIM_TOKEN_UNKNOWN;
	if (json_integer_value(json_object_get(t, "expires_at_ms")) <=
	    sim_now_ms())
		return SIM_TOKEN_EXPIRED;
	*ws = w;
	*key = k;
	return SIM_TOKEN_OK;
}

void sim_state_expire_token(struct sim_state *st, const char *token)
{
	json_t *t = json_object_get(json_object_get(st->root, "tokens"),
				    token);

	if (t)
		json_object_set_new(t, "expires_at_ms",
				    json_integer(sim_now_ms() - 1));
}

/* Roles and metrics. */

json_t *sim_role_by_name(json_t *ws, const char *name)
{
	return sim_find_ci(json_object_get(ws, "roles"), "name", name);
}

const char *sim_role_name(json_t *ws, const char *role_id)
{
	json_t *role;

	if (!role_id)
		return NULL;
	role = sim_find(json_object_get(ws, "roles"), "id", role_id);
	return role ? sim_get(role, "name") : NULL;
}

const char *sim_key_role(json_t *ws, json_t *key)
{
	const char *email = sim_get(key, "email");
	json_t *user;

	if (!email)
		return NULL;
	user = sim_find_ci(json_object_get(ws, "users"), "email", email);
	return user ? sim_role_name(ws, sim_get(user, "role_id")) : NULL;
}

json_t *sim_workflow_published(json_t *wf)
{
	const char *id = sim_get(wf, "published_revision_id");

	return id ? sim_find(json_object_get(wf, "revisions"), "id", id) :
		    NULL;
}

static int cmp_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_one_of(const char *s, const char *const *names)
{
	for (; s && *names; names++)
		if (!strcasecmp(s, *names))
			return 1;
	return 0;
}

json_t *sim_workspace_metrics(json_t *ws)
{
	static const char *const unbilled[] = {
		"nested", "case", "system_event", NULL,
	};
	static const char *const editors[] = {
		"Owner", "Contributor", "Creator", NULL,
	};
	static const char *const operators[] = {
		"Cases Analyst", "Cases Contributor", NULL,
	};
	json_int_t workflows = 0, nested = 0, eds = 0, ops = 0;
	const char **owners = NULL;
	size_t owners_nr = 0, owners_alloc = 0, i;
	json_t *v, *emails = json_array(), *out;

	json_array_foreach(json_object_get(ws, "workflows"), i, v) {
		json_t *rev = sim_workflow_published(v);
		const char *trigger = sim_get(rev, "trigger");

		if (!rev)
			continue;
		if (trigger && !strcmp(trigger, "nested"))
			nested++;
		else if (!is_one_of(trigger, unbilled))
			workflows++;
	}
	json_array_foreach(json_object_get(ws, "users"), i, v) {
		const char *role = sim_role_name(ws, sim_get(v, "role_id"));

		if (is_one_of(role, editors))
			eds++;
		if (is_one_of(role, operators))
			ops++;
		if (role && !strcmp(role, "Owner")) {
			ALLOC_GROW(owners, owners_nr + 1, owners_alloc);
			owners[owners_nr++] = sim_get(v, "email");
		}
	}
	if (owners_nr)
		qsort(owners, owners_nr, sizeof(*owners), cmp_strings);
	for (i = 0; i < owners_nr; i++)
		json_array_append_new(emails, json_string(owners[i]));
	free(owners);
	out = json_pack("{s:o, s:I, s:I, s:I, s:I, s:I}",
			"owners_emails", emails, "workflows_usage", workflows,
			"nested_usage", nested, "editors_usage", eds,
			"cases_operators_usage", ops, "runners_usage",
			(json_int_t)json_array_size(
				json_object_get(ws, "step_runners")));
	return out;
}

/* Workflows. */

static void collect_nested(json_t *node, json_t *names)
{
	const char *key, *type, *target;
	json_t *v;
	size_t i;

	if (json_is_array(node)) {
		json_array_foreach(node, i, v)
			collect_nested(v, names);
		return;
	}
	if (!json_is_object(node))
		return;
	type = sim_get(node, "type");
	target = sim_get(node, "workflow");
	if (type && target && !strcmp(type, "nested")) {
		json_array_foreach(names, i, v)
			if (!strcmp(json_string_value(v), target))
				break;
		if (i == json_array_size(names))
			json_array_append_new(names, json_string(target));
	}
	json_object_foreach(node, key, v)
		collect_nested(v, names);
}

int sim_workflow_analyze(const char *yaml, json_t **info, struct buf *err)
{
	struct doc doc;
	struct diag_list diags;
	json_t *root = NULL, *trigger, *nested = NULL, *steps;
	const char *type = "on_demand";
	int ret = -1;

	*info = NULL;
	doc_init(&doc);
	diag_list_init(&diags, 1);
	if (!yaml) {
		buf_addstr(err, "the workflow has no YAML");
		goto out;
	}
	if (load_buffer(&doc, "workflow", yaml, strlen(yaml), &root,
			&diags)) {
		struct diag *d = diags.nr ? &diags.items[0] : NULL;

		buf_addstr(err, "the workflow YAML does not parse");
		if (d)
			buf_addf(err, ": line %u, column %u: %s",
				 d->mark.line, d->mark.col, d->message);
		goto out;
	}
	if (!json_is_object(root)) {
		buf_addstr(err, "the workflow YAML is not a mapping");
		goto out;
	}
	trigger = json_object_get(root, "trigger");
	if (json_is_string(trigger))
		type = json_string_value(trigger);
	else if (sim_get(trigger, "type"))
		type = sim_get(trigger, "type");
	nested = json_array();
	steps = json_object_get(root, "steps");
	collect_nested(steps, nested);
	*info = json_pack("{s:s, s:o}", "trigger", type, "nested", nested);
	nested = NULL;
	if (sim_get(root, "name"))
		json_object_set(*info, "name", json_object_get(root, "name"));
	ret = 0;
out:
	json_decref(nested);
	json_decref(root);
	doc_release(&doc);
	diag_list_release(&diags);
	return ret;
}

static json_t *new_revision(struct sim_state *st, const char *yaml,
			    json_t *info)
{
	json_t *rev = json_object();

	default_id(st, rev);
	default_time(rev, "created_at");
	json_object_set_new(rev, "yaml", json_string(yaml));
	json_object_set(rev, "trigger", json_object_get(info, "trigger"));
	json_object_set(rev, "nested", json_object_get(info, "nested"));
	return rev;
}

json_t *sim_workflow_add(struct sim_state *st, json_t *ws, const char *name,
			 const char *yaml, json_t *info)
{
	json_t *wf = json_object(), *rev = new_revision(st, yaml, info);

	default_id(st, wf);
	json_object_set_new(wf, "name", json_string(name));
	json_object_set(wf, "created_at", json_object_get(rev, "created_at"));
	json_object_set(wf, "updated_at", json_object_get(rev, "created_at"));
	json_object_set_new(wf, "tags", json_array());
	json_object_set(wf, "current_revision_id", json_object_get(rev, "id"));
	json_object_set_new(wf, "revisions", json_pack("[o]", rev));
	json_array_append_new(json_object_get(ws, "workflows"), wf);
	return wf;
}

json_t *sim_workflow_add_revision(struct sim_state *st, json_t *wf,
				  const char *yaml, json_t *info)
{
	json_t *rev = new_revision(st, yaml, info);

	json_array_append_new(json_object_get(wf, "revisions"), rev);
	json_object_set(wf, "current_revision_id", json_object_get(rev, "id"));
	json_object_set(wf, "updated_at", json_object_get(rev, "created_at"));
	return rev;
}
