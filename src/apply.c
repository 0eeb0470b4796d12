#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "torq/apply.h"
#include "torq/atomicfile.h"
#include "torq/credentials.h"
#include "torq/sha256.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * How a step runs (docs/internals/apply.md): each step is a struct op, a
 * small state machine driven by client callbacks. A step starts when
 * every step it depends on is done; it ends done, failed or skipped, and
 * its end may start its dependents. Everything runs inside one
 * client_run: callbacks submit the next request.
 *
 * Recovery rules, per outcome of a mutation:
 * - OK: done;
 * - CONFLICT (or 400 for an invitation): the object exists already;
 *   list, find it, and carry on from there;
 * - OUTCOME_UNKNOWN: list and look; found means done (or carry on),
 *   absent means it never happened: send once more. PATCH, PUT and
 *   DELETE set a state rather than add one, so they are simply sent
 *   again; a DELETE that finds nothing (404) is done.
 */

/*
 * How often a step sends a mutation again after learning that the last
 * one did not happen (or, for one that sets a state, may not have).
 */
#define MAX_RESENDS 3

struct exec;

struct op {
	struct exec *x;
	size_t index;
	const struct plan_step *s;
	struct session *sess;		/* NULL: the target workspace's */
	int resent;			/* times sent again after an unknown outcome */
	int phase;
	char *found_id;			/* what a re-check found */
	json_t *items;			/* a paged list being gathered */
	char *list_path;
	const char *list_key;
	void (*listed)(struct op *op);
	void (*next)(struct op *op, const struct client_response *res);
};

struct exec {
	struct apply_env *env;
	const struct plan *p;
	struct apply_result *res;
	enum apply_status *status;
	double *started;
	double *busy;			/* seconds in requests, per step */
	size_t *waiting;		/* deps not yet done, per step */
	size_t **dependents;
	size_t *dependents_nr;
	json_t *roles;			/* lower-case role name -> id */
	json_t *ids;			/* "kind\nidentity" -> id, of objects made here */
	json_t *revisions;		/* workflow -> the revision this run made */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *apply_status_name(enum apply_status s)
{
	static const char *const names[] = { "pending", "running", "done",
					     "failed", "skipped" };

	return s <= APPLY_SKIPPED ? names[s] : "unknown";
}

static void add_file(struct apply_result *r, const char *path)
{
	ALLOC_GROW(r->files, r->files_nr + 1, r->files_alloc);
	r->files[r->files_nr++] = xstrdup(path);
}

void apply_result_release(struct apply_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->files_nr; i++)
		free(r->files[i]);
	free(r->files);
	memset(r, 0, sizeof(*r));
}

/* Ending steps, and starting what they unblock. */

static void start_step(struct exec *x, size_t i);

static void emit(struct exec *x, size_t i, enum apply_status st,
		 const char *msg)
{
	struct apply_event ev;

	if (!x->env->progress)
		return;
	ev.index = i;
	ev.step = &x->p->steps[i];
	ev.status = st;
	ev.message = msg;
	ev.seconds = st == APPLY_RUNNING ? 0 : now_s() - x->started[i];
	ev.request_seconds = x->busy[i] < ev.seconds ? x->busy[i] :
		ev.seconds;
	x->env->progress(x->env->progress_ctx, &ev);
}

static void journal_record(struct exec *x, size_t i, enum apply_status st,
			   const char *id, const char *msg)
{
	struct buf err = BUF_INIT;

	if (x->env->journal)
		journal_step(x->env->journal, i,
			     plan_step_kind_name(x->p->steps[i].kind),
			     x->p->steps[i].identity, apply_status_name(st),
			     id, msg, &err);
	buf_release(&err);
}

static void end_step(struct exec *x, size_t i, enum apply_status st,
		     const char *id, const char *msg)
{
	struct buf why = BUF_INIT;
	size_t j, d;

	x->status[i] = st;
	if (st == APPLY_DONE)
		x->res->done++;
	else if (st == APPLY_FAILED)
		x->res->failed++;
	else
		x->res->skipped++;
	journal_record(x, i, st, id, msg);
	emit(x, i, st, msg);
	for (j = 0; j < x->dependents_nr[i]; j++) {
		d = x->dependents[i][j];
		if (x->status[d] != APPLY_PENDING)
			continue;
		if (st != APPLY_DONE) {
			buf_reset(&why);
			buf_addf(&why, "needs %s %s%s%s, which %s",
				 plan_step_kind_name(x->p->steps[i].kind),
				 x->p->steps[i].identity,
				 x->p->steps[i].detail ? " #" : "",
				 x->p->steps[i].detail ?
				 x->p->steps[i].detail : "",
				 st == APPLY_FAILED ? "failed" : "was skipped");
			x->started[d] = now_s();
			end_step(x, d, APPLY_SKIPPED, NULL, why.s);
			continue;
		}
		if (--x->waiting[d] == 0)
			start_step(x, d);
	}
	buf_release(&why);
}

static void op_free(struct op *op)
{
	free(op->found_id);
	free(op->list_path);
	json_decref(op->items);
	free(op);
}

static void op_done(struct op *op, const char *id)
{
	struct exec *x = op->x;
	size_t i = op->index;
	char *keep = id ? xstrdup(id) : NULL;	/* id may be op's own */

	op_free(op);
	end_step(x, i, APPLY_DONE, keep, NULL);
	free(keep);
}

static void op_fail(struct op *op, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void op_fail(struct op *op, const char *fmt, ...)
{
	struct exec *x = op->x;
	size_t i = op->index;
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	op_free(op);
	end_step(x, i, APPLY_FAILED, NULL, msg.s);
	buf_release(&msg);
}

/* Requests. */

static void dispatch(void *ctx, const struct client_response *res)
{
	struct op *op = ctx;

	op->x->busy[op->index] += res->seconds;
	op->next(op, res);
}

static void op_send(struct op *op, const char *method, const char *path,
		 json_t *body,
		 void (*next)(struct op *, const struct client_response *))
{
	op->next = next;
	client_submit(op->x->env->client, op->sess ? op->sess :
		      op->x->env->target, method, path, body, dispatch, op);
}

/* Gather a whole paged list, then call listed with op->items. */
static void list_page(struct op *op, const char *token);

static void list_got(struct op *op, const struct client_response *res)
{
	json_t *arr, *it;
	const char *tok;
	size_t i;

	if (res->code != CLIENT_OK) {
		op_fail(op, "%s", res->error);
		return;
	}
	arr = json_object_get(res->body, op->list_key);
	json_array_foreach(arr, i, it)
		json_array_append(op->items, it);
	tok = json_string_value(json_object_get(res->body,
						"next_page_token"));
	if (tok && *tok) {
		list_page(op, tok);
		return;
	}
	op->listed(op);
}

static void list_page(struct op *op, const char *token)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s%cpage_size=100", op->list_path,
		 strchr(op->list_path, '?') ? '&' : '?');
	if (token) {
		buf_addstr(&p, "&page_token=");
		client_escape(&p, token);
	}
	op_send(op, "GET", p.s, NULL, list_got);
	buf_release(&p);
}

static void list_all(struct op *op, const char *path, const char *key,
		     void (*listed)(struct op *op))
{
	json_decref(op->items);
	op->items = json_array();
	free(op->list_path);
	op->list_path = xstrdup(path);
	op->list_key = key;
	op->listed = listed;
	list_page(op, NULL);
}

/* The first listed item whose field equals value (case-folded if asked). */
static json_t *find_item(json_t *items, const char *field, const char *value,
			 const char *field2, const char *value2, int fold)
{
	json_t *it;
	const char *v;
	size_t i;

	json_array_foreach(items, i, it) {
		v = json_string_value(json_object_get(it, field));
		if (!v || (fold ? strcasecmp(v, value) : strcmp(v, value)))
			continue;
		if (field2) {
			v = json_string_value(json_object_get(it, field2));
			if (!v || strcmp(v, value2))
				continue;
		}
		return it;
	}
	return NULL;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Ids of objects this run made, for the steps after them. */
static void remember_id(struct exec *x, const struct plan_step *s,
			const char *id)
{
	struct buf k = BUF_INIT;

	if (!id)
		return;
	buf_addf(&k, "%d\n%s", (int)s->resource, s->identity);
	json_object_set_new(x->ids, k.s, json_string(id));
	buf_release(&k);
}

static const char *object_id(struct exec *x, const struct plan_step *s)
{
	struct buf k = BUF_INIT;
	const char *id;

	if (s->id)
		return s->id;
	buf_addf(&k, "%d\n%s", (int)s->resource, s->identity);
	id = json_string_value(json_object_get(x->ids, k.s));
	buf_release(&k);
	return id;
}

static const char *change_after(const struct plan_step *s, const char *field)
{
	size_t i;

	for (i = 0; i < s->changes_nr; i++)
		if (!strcmp(s->changes[i].field, field))
			return s->changes[i].after;
	return NULL;
}

/* A role name (as the plan shows it, quoted) to the workspace's role id. */
static const char *role_id(struct exec *x, const char *quoted_name)
{
	struct buf k = BUF_INIT;
	json_t *name = quoted_name ? json_loads(quoted_name,
						JSON_DECODE_ANY, NULL) : NULL;
	const char *id = NULL, *n = json_string_value(name);

	for (; n && *n; n++)
		buf_addch(&k, (*n >= 'A' && *n <= 'Z') ? (char)(*n + 32) : *n);
	if (k.len)
		id = json_string_value(json_object_get(x->roles, k.s));
	json_decref(name);
	buf_release(&k);
	return id;
}

static char *unquote(const char *quoted)
{
	json_t *v = quoted ? json_loads(quoted, JSON_DECODE_ANY, NULL) : NULL;
	char *s = json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;

	json_decref(v);
	return s;
}

static void set_roles(struct exec *x, json_t *roles)
{
	json_t *r;
	size_t i;
	struct buf k = BUF_INIT;
	const char *n;

	json_array_foreach(roles, i, r) {
		n = str(r, "name");
		if (!n || !str(r, "id"))
			continue;
		buf_reset(&k);
		for (; *n; n++)
			buf_addch(&k, (*n >= 'A' && *n <= 'Z') ?
				  (char)(*n + 32) : *n);
		json_object_set_new(x->roles, k.s,
				    json_string(str(r, "id")));
	}
	buf_release(&k);
}

/* Workspace. */

static void ws_roles_listed(struct op *op)
{
	set_roles(op->x, op->items);
	op_done(op, op->found_id);
}

static void ws_roles_got(struct op *op, const struct client_response *res)
{
	if (res->code == CLIENT_NOT_FOUND) {
		/* the older path (torq-api.md, roles) */
		list_all(op, "/users/roles", "roles", ws_roles_listed);
		return;
	}
	list_got(op, res);
}

static void ws_created(struct op *op, const struct client_response *res);

static void ws_exists_listed(struct op *op)
{
	const struct plan_step *s = op->s;

	if (find_item(op->items, "name", s->identity, NULL, NULL, 1)) {
		op->x->res->key_lost = 1;
		op_fail(op, "workspace '%s' may have been created, but its key"
			" never arrived: make an API key for it in Torq, save it"
			" (mode 0600) and name it in workspace.credentials",
			s->identity);
		return;
	}
	op->resent++;
	op->next = ws_created;
	client_submit(op->x->env->client, op->x->env->org, "POST",
		      "/workspaces", json_pack("{s:s, s:b}", "name",
		      s->identity, "copy_sso_config",
		      op->x->env->desired->workspace.copy_sso), dispatch, op);
}

static void ws_created(struct op *op, const struct client_response *res)
{
	struct exec *x = op->x;
	const struct model_workspace *ws = &x->env->desired->workspace;
	json_t *key, *w;
	struct credentials c = { NULL, NULL, NULL, NULL };
	struct buf err = BUF_INIT;

	if (res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) {
		op->sess = x->env->org;
		list_all(op, "/workspaces", "workspaces", ws_exists_listed);
		return;
	}
	if (res->code != CLIENT_OK) {
		op_fail(op, "%s", res->error);
		return;
	}
	w = json_object_get(res->body, "workspace");
	key = json_object_get(res->body, "api_key");
	if (!key)
		key = json_object_get(w, "api_key");	/* either place */
	c.client_id = (char *)str(key, "client_id");
	c.client_secret = (char *)str(key, "client_secret");
	/* The key file says whose it is: the next run checks it (prepare.c) */
	c.workspace_name = (char *)op->s->identity;
	c.workspace_id = (char *)str(w, "id");
	if (!c.client_id || !c.client_secret) {
		op_fail(op, "workspace '%s' was created, but the answer holds "
			"no API key", op->s->identity);
		return;
	}
	/* Saved before anything else: the secret is shown only once. */
	if (ws->credentials_out) {
		if (credentials_write_file(ws->credentials_out, &c,
					   x->env->force, &err)) {
			x->res->key_lost = 1;
			op_fail(op, "workspace '%s' was created, but its key "
				"could not be saved: %s", op->s->identity,
				err.s);
			buf_release(&err);
			return;
		}
		add_file(x->res, ws->credentials_out);
	}
	if (x->env->journal)
		journal_workspace_created(x->env->journal, op->s->identity,
					  str(w, "id"), ws->credentials_out,
					  &err);
	buf_release(&err);
	x->env->target = client_session(x->env->client, c.client_id,
					c.client_secret);
	x->res->created = x->env->target;
	op->sess = NULL;
	op->found_id = str(w, "id") ? xstrdup(str(w, "id")) : NULL;
	/* The new workspace's own roles: ids differ in every workspace. */
	json_decref(op->items);
	op->items = json_array();
	free(op->list_path);
	op->list_path = xstrdup("/roles");
	op->list_key = "roles";
	op->listed = ws_roles_listed;
	op_send(op, "GET", "/roles?page_size=100", NULL, ws_roles_got);
}

static void run_create_workspace(struct op *op)
{
	struct exec *x = op->x;
	const struct model_workspace *ws = &x->env->desired->workspace;
	struct buf err = BUF_INIT;

	if (!x->env->org) {
		op_fail(op, "creating workspace '%s' needs the organisation's"
			" key", op->s->identity);
		return;
	}
	if (ws->credentials_out && !x->env->force &&
	    !access(ws->credentials_out, F_OK)) {
		op_fail(op, "credentials file '%s' already exists; not "
			"replacing it without --force", ws->credentials_out);
		return;
	}
	buf_release(&err);
	op->next = ws_created;
	client_submit(x->env->client, x->env->org, "POST", "/workspaces",
		      json_pack("{s:s, s:b}", "name", op->s->identity,
				"copy_sso_config", ws->copy_sso),
		      dispatch, op);
}

/* Users. */

static void user_patched(struct op *op, const struct client_response *res)
{
	if (res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) {
		op->resent++;		/* setting a role twice is harmless */
		op_send(op, "PATCH", op->list_path, json_pack("{s:s}", "role_id",
		     role_id(op->x, change_after(op->s, "role"))),
		     user_patched);
		return;
	}
	if (res->code != CLIENT_OK) {
		op_fail(op, "%s", res->error);
		return;
	}
	op_done(op, op->found_id);
}

static void patch_user(struct op *op, const char *id)
{
	struct buf p = BUF_INIT;

	if (!id) {
		/* a user listed (or planned) without one: nothing to patch */
		op_fail(op, "user %s has no id", op->s->identity);
		return;
	}
	free(op->found_id);
	op->found_id = xstrdup(id);
	buf_addstr(&p, "/users/");
	client_escape(&p, id);
	free(op->list_path);
	op->list_path = buf_detach(&p, NULL);
	op_send(op, "PATCH", op->list_path, json_pack("{s:s}", "role_id",
	     role_id(op->x, change_after(op->s, "role"))), user_patched);
}

static void invite_sent(struct op *op, const struct client_response *res);

static void send_invite(struct op *op)
{
	op_send(op, "POST", "/users/invite", json_pack("{s:s, s:s}", "email",
	     op->s->identity, "role_id", role_id(op->x,
	     change_after(op->s, "role"))), invite_sent);
}

/* Both user lists were read: is the invitation there? */
static void invite_checked(struct op *op)
{
	json_t *u = find_item(op->items, "email", op->s->identity, NULL,
			      NULL, 1);
	const char *want = role_id(op->x, change_after(op->s, "role"));

	if (!u && op->phase == 1) {
		/* a lost request: it never happened, so send it again */
		op->resent++;
		send_invite(op);
		return;
	}
	if (!u) {
		op_fail(op, "the invitation of %s was refused, and the user is "
			"not in the workspace", op->s->identity);
		return;
	}
	if (want && str(u, "role_id") && strcmp(str(u, "role_id"), want)) {
		patch_user(op, str(u, "id"));
		return;
	}
	op_done(op, str(u, "id"));
}

static void invite_sso_listed(struct op *op)
{
	json_t *local = op->items;

	op->items = NULL;
	list_all(op, "/users?sso_provision=true", "users", invite_checked);
	json_array_extend(op->items, local);
	json_decref(local);
}

static void invite_sent(struct op *op, const struct client_response *res)
{
	json_t *body = res->body;
	const char *want;

	if (res->code == CLIENT_OK) {
		/* some APIs answer an existing user with 200 and that user */
		want = role_id(op->x, change_after(op->s, "role"));
		if (want && str(body, "role_id") &&
		    strcmp(str(body, "role_id"), want) && str(body, "id")) {
			patch_user(op, str(body, "id"));
			return;
		}
		op_done(op, str(body, "id"));
		return;
	}
	if ((res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) ||
	    res->code == CLIENT_CONFLICT ||
	    (res->code == CLIENT_ERROR && res->http_status == 400)) {
		/* find out whether the user is there after all */
		op->phase = res->code == CLIENT_OUTCOME_UNKNOWN;
		list_all(op, "/users?sso_provision=false", "users",
			 invite_sso_listed);
		return;
	}
	op_fail(op, "%s", res->error);
}

static int need_role(struct op *op)
{
	const char *r = change_after(op->s, "role");
	char *name;

	if (!r || role_id(op->x, r))
		return 0;
	name = unquote(r);
	op_fail(op, "role '%s' does not exist in workspace '%s'",
		name ? name : r, op->x->p->workspace);
	free(name);
	return -1;
}

static void run_invite_user(struct op *op)
{
	if (!need_role(op))
		send_invite(op);
}

static void run_update_user(struct op *op)
{
	if (!need_role(op))
		patch_user(op, object_id(op->x, op->s));
}

/* DELETE by id: a 404 means it is gone already, which is the point. */
static void deleted(struct op *op, const struct client_response *res)
{
	if (res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) {
		op->resent++;
		op_send(op, "DELETE", op->list_path, NULL, deleted);
		return;
	}
	if (res->code != CLIENT_OK && res->code != CLIENT_NOT_FOUND) {
		op_fail(op, "%s", res->error);
		return;
	}
	/* a copy's delete leaves the name's parameters to the one kept */
	if (op->s->resource == RES_INTEGRATION && !op->s->duplicate &&
	    op->x->env->store)
		fingerprint_store_set(op->x->env->store, op->x->p->workspace,
				      op->s->identity, NULL);
	op_done(op, op->s->id);
}

static void run_delete(struct op *op, const char *collection)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s/", collection);
	client_escape(&p, op->s->id ? op->s->id : "");
	op->list_path = buf_detach(&p, NULL);
	op_send(op, "DELETE", op->list_path, NULL, deleted);
}

/* Claim mappings. */

static void mapping_sent(struct op *op, const struct client_response *res);

static void send_mapping(struct op *op)
{
	const char *eq = strchr(op->s->identity, '=');
	char *claim = xstrndup(op->s->identity, eq ? (size_t)(eq -
				op->s->identity) : 0);

	op_send(op, "POST", "/sso/claim_mappings", json_pack(
		"{s:s, s:s, s:s}", "claim_name", claim, "claim_value",
		eq ? eq + 1 : "", "role_id", role_id(op->x,
		change_after(op->s, "role"))), mapping_sent);
	free(claim);
}

static void mapping_checked(struct op *op)
{
	const char *eq = strchr(op->s->identity, '=');
	char *claim = xstrndup(op->s->identity, eq ? (size_t)(eq -
				op->s->identity) : 0);
	json_t *m = find_item(op->items, "claim_name", claim, "claim_value",
			      eq ? eq + 1 : "", 0);

	free(claim);
	if (m) {
		remember_id(op->x, op->s, str(m, "id"));
		op_done(op, str(m, "id"));
	} else if (op->resent < MAX_RESENDS) {
		op->resent++;
		send_mapping(op);
	} else {
		op_fail(op, "claim mapping %s could not be made",
			op->s->identity);
	}
}

static void mapping_sent(struct op *op, const struct client_response *res)
{
	if (res->code == CLIENT_OK) {
		remember_id(op->x, op->s, str(res->body, "id"));
		op_done(op, str(res->body, "id"));
	} else if ((res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) ||
		   res->code == CLIENT_CONFLICT) {
		list_all(op, "/sso/claim_mappings", "claim_mappings",
			 mapping_checked);
	} else {
		op_fail(op, "%s", res->error);
	}
}

static void run_create_mapping(struct op *op)
{
	if (!need_role(op))
		send_mapping(op);
}

static json_t *mapping_patch(struct op *op)
{
	json_t *body = json_object();
	const char *rank = change_after(op->s, "rank");
	long n;

	if (change_after(op->s, "role"))
		json_object_set_new(body, "role_id", json_string(role_id(
			op->x, change_after(op->s, "role"))));
	if (rank && !parse_long(rank, 1, 1L << 30, &n))
		json_object_set_new(body, "rank", json_integer(n));
	return body;
}

static void mapping_patched(struct op *op, const struct client_response *res)
{
	if (res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) {
		op->resent++;		/* a rank or role set twice is the same */
		op_send(op, "PATCH", op->list_path, mapping_patch(op),
		     mapping_patched);
		return;
	}
	if (res->code != CLIENT_OK) {
		op_fail(op, "%s", res->error);
		return;
	}
	op_done(op, object_id(op->x, op->s));
}

static void run_update_mapping(struct op *op)
{
	struct buf p = BUF_INIT;
	const char *id = object_id(op->x, op->s);

	if (need_role(op))
		return;
	if (!id) {
		op_fail(op, "claim mapping %s has no id yet", op->s->identity);
		return;
	}
	buf_addstr(&p, "/sso/claim_mappings/");
	client_escape(&p, id);
	op->list_path = buf_detach(&p, NULL);
	op_send(op, "PATCH", op->list_path, mapping_patch(op), mapping_patched);
}

/* Integrations: parameters with their secrets, in memory only here. */

static json_t *resolve_secrets(const struct doc *doc, json_t *node)
{
	const char *v, *key;
	size_t len, i;
	json_t *out, *it;

	if (json_is_string(node) && doc_is_secret(doc, node)) {
		v = doc_secret_value(doc, node, &len);
		return json_stringn(v ? v : "", v ? len : 0);
	}
	if (json_is_object(node)) {
		out = json_object();
		json_object_foreach(node, key, it)
			json_object_set_new(out, key,
					    resolve_secrets(doc, it));
		return out;
	}
	if (json_is_array(node)) {
		out = json_array();
		json_array_foreach(node, i, it)
			json_array_append_new(out, resolve_secrets(doc, it));
		return out;
	}
	return json_deep_copy(node);
}

static const struct model_integration *desired_integration(struct op *op)
{
	const struct model *d = op->x->env->desired;

	return op->s->desired >= 0 &&
		(size_t)op->s->desired < d->integrations_nr ?
		&d->integrations[op->s->desired] : NULL;
}

static void record_fingerprint(struct op *op)
{
	const struct model_integration *in = desired_integration(op);

	if (in && in->fingerprint && op->x->env->store)
		fingerprint_store_set(op->x->env->store, op->x->p->workspace,
				      op->s->identity, in->fingerprint);
}

static void integration_patched(struct op *op,
				const struct client_response *res);

static void patch_integration(struct op *op, const char *id)
{
	const struct model_integration *in = desired_integration(op);
	struct buf p = BUF_INIT;
	char *keep = xstrdup(id);	/* id may be op->found_id itself */

	free(op->found_id);
	op->found_id = keep;
	buf_addstr(&p, "/integrations/");
	client_escape(&p, keep);
	free(op->list_path);
	op->list_path = buf_detach(&p, NULL);
	op_send(op, "PATCH", op->list_path, json_pack("{s:o}", "parameters",
	     in && in->parameters ? resolve_secrets(op->x->env->doc,
						    in->parameters) :
	     json_object()), integration_patched);
}

static void integration_patched(struct op *op,
				const struct client_response *res)
{
	if (res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) {
		op->resent++;
		patch_integration(op, op->found_id);
		return;
	}
	if (res->code != CLIENT_OK) {
		op_fail(op, "%s", res->error);
		return;
	}
	record_fingerprint(op);
	op_done(op, op->found_id);
}

static void integration_sent(struct op *op,
			     const struct client_response *res);

static void send_integration(struct op *op)
{
	const struct model_integration *in = desired_integration(op);

	if (!in) {
		op_fail(op, "integration '%s' is not in the manifest",
			op->s->identity);
		return;
	}
	op_send(op, "POST", "/integrations", json_pack("{s:s, s:s, s:o}",
	     "display_name", in->name, "type_id", in->vendor ? in->vendor : "",
	     "parameters", in->parameters ? resolve_secrets(op->x->env->doc,
	     in->parameters) : json_object()), integration_sent);
}

static void integration_checked(struct op *op)
{
	json_t *it = find_item(op->items, "display_name", op->s->identity,
			       NULL, NULL, 0);

	if (it && str(it, "id")) {
		/* it is there: make sure it holds these parameters */
		remember_id(op->x, op->s, str(it, "id"));
		patch_integration(op, str(it, "id"));
	} else if (op->resent < MAX_RESENDS) {
		op->resent++;
		send_integration(op);
	} else {
		op_fail(op, "integration '%s' could not be made",
			op->s->identity);
	}
}

static void integration_sent(struct op *op, const struct client_response *res)
{
	if (res->code == CLIENT_OK) {
		remember_id(op->x, op->s, str(res->body, "id"));
		record_fingerprint(op);
		op_done(op, str(res->body, "id"));
	} else if ((res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) ||
		   res->code == CLIENT_CONFLICT) {
		list_all(op, "/integrations", "integrations",
			 integration_checked);
	} else {
		op_fail(op, "%s", res->error);
	}
}

/* Step runners: the install command comes once, in the create answer. */

static const struct model_runner *desired_runner(struct op *op)
{
	const struct model *d = op->x->env->desired;

	return op->s->desired >= 0 && (size_t)op->s->desired < d->runners_nr ?
		&d->runners[op->s->desired] : NULL;
}

/*
 * Write the install command to its file, then record in the journal which
 * runner the file is for (by a digest: the command holds a secret). A run
 * cut short between the two leaves an intent with no delivery, which the
 * next plan reports.
 */
static int save_install_command(struct op *op, const char *id,
				const char *cmd)
{
	const struct model_runner *r = desired_runner(op);
	struct buf text = BUF_INIT, err = BUF_INIT;
	char digest[SHA256_HEX_LEN + 1];
	int ret = 0;

	if (!r || !r->install_commands_out)
		return 0;
	buf_addf(&text, "#!/bin/sh\n# Installs step runner '%s' (written by "
		 "torq-apply; run it where the runner should live).\n%s\n",
		 r->name, cmd);
	sha256_hex(text.s, text.len, digest);
	if (atomicfile_write(r->install_commands_out, text.s, text.len, 0600,
			     ATOMICFILE_MKDIRS, "install command file",
			     &err)) {
		op_fail(op, "step runner '%s' was created, but %s", r->name,
			err.s);
		ret = -1;
		goto out;
	}
	add_file(op->x->res, r->install_commands_out);
	if (op->x->env->journal &&
	    journal_runner_delivered(op->x->env->journal, r->name, id,
				     r->install_commands_out, digest, &err)) {
		op_fail(op, "step runner '%s' was created and its install "
			"command written to '%s', but %s", r->name,
			r->install_commands_out, err.s);
		ret = -1;
	}
out:
	secure_zero(text.s, text.len);
	buf_release(&text);
	buf_release(&err);
	return ret;
}

static void runner_sent(struct op *op, const struct client_response *res);

static void send_runner(struct op *op)
{
	const struct model_runner *r = desired_runner(op);
	struct buf err = BUF_INIT;
	json_t *body;

	if (!r) {
		op_fail(op, "step runner '%s' is not in the manifest",
			op->s->identity);
		return;
	}
	/* The intent first: a run killed after the POST leaves a trace. */
	if (r->install_commands_out && op->x->env->journal &&
	    journal_runner_intent(op->x->env->journal, r->name,
				  r->install_commands_out, &err)) {
		op_fail(op, "step runner '%s' was not created: %s", r->name,
			err.s);
		buf_release(&err);
		return;
	}
	buf_release(&err);
	body = json_pack("{s:s, s:s}", "display_name", r->name, "platform",
			 r->platform ? r->platform : "");
	if (r->platform && !strcmp(r->platform, "kubernetes"))
		json_object_set_new(body, "kubernetes_options", json_pack(
			"{s:b}", "allow_cluster_management",
			r->allow_cluster_management));
	op_send(op, "POST", "/step_runners", body, runner_sent);
}

static void runner_checked(struct op *op)
{
	json_t *it = find_item(op->items, "display_name", op->s->identity,
			       NULL, NULL, 0);

	if (it) {
		op_fail(op, "step runner '%s' exists, but its install command "
			"never arrived (Torq shows it only once): 'apply "
			"--replace step_runner:%s' deletes it and makes it "
			"again", op->s->identity, op->s->identity);
	} else if (op->resent < MAX_RESENDS) {
		op->resent++;
		send_runner(op);
	} else {
		op_fail(op, "step runner '%s' could not be made",
			op->s->identity);
	}
}

static void runner_sent(struct op *op, const struct client_response *res)
{
	json_t *r = json_object_get(res->body, "step_runner");
	const char *cmd = str(r, "install_command");
	char *id;

	if (res->code == CLIENT_OK) {
		id = str(r, "id") ? xstrdup(str(r, "id")) : NULL;
		if (!save_install_command(op, id, cmd ? cmd : "")) {
			remember_id(op->x, op->s, id);
			op_done(op, id);
		}
		free(id);
	} else if ((res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) ||
		   res->code == CLIENT_CONFLICT) {
		list_all(op, "/step_runners", "step_runners", runner_checked);
	} else {
		op_fail(op, "%s", res->error);
	}
}

/* Workflows. */

static const struct model_workflow *desired_workflow(struct op *op)
{
	const struct model *d = op->x->env->desired;

	return op->s->desired >= 0 && (size_t)op->s->desired <
		d->workflows_nr ? &d->workflows[op->s->desired] : NULL;
}

static void workflow_imported(struct op *op,
			      const struct client_response *res);

/*
 * The revision an import or a PUT of this run made (from its answer,
 * when the answer says), so publishing it needs no read first; and,
 * in state.json, the digest of the YAML it was made from, so the next
 * plan need not read it (apply's confirming read checks it afresh).
 */
static void remember_revision(struct op *op, const char *revision)
{
	const struct model_workflow *w = desired_workflow(op);

	if (revision)
		json_object_set_new(op->x->revisions, op->s->identity,
				    json_string(revision));
	else
		json_object_del(op->x->revisions, op->s->identity);
	if (revision && w && w->content_digest && op->x->env->store)
		fingerprint_store_set_revision(op->x->env->store,
					       op->x->p->workspace,
					       op->s->identity, revision,
					       w->content_digest);
}

static void send_import(struct op *op)
{
	const struct model_workflow *w = desired_workflow(op);

	if (!w || !w->content) {
		op_fail(op, "workflow '%s' has no YAML to import",
			op->s->identity);
		return;
	}
	op_send(op, "POST", "/workflows/import", json_pack("{s:s, s:s}", "yaml",
	     w->content, "name", w->name), workflow_imported);
}

static void workflow_checked(struct op *op)
{
	json_t *it, *hit = NULL;
	size_t i, n = 0;

	json_array_foreach(op->items, i, it)
		if (str(it, "name") && !strcmp(str(it, "name"),
					       op->s->identity)) {
			hit = it;
			n++;
		}
	if (n == 1) {
		remember_id(op->x, op->s, str(hit, "id"));
		op_done(op, str(hit, "id"));
	} else if (n > 1) {
		op_fail(op, "workspace '%s' now has %zu workflows named '%s'",
			op->x->p->workspace, n, op->s->identity);
	} else if (op->resent < MAX_RESENDS) {
		op->resent++;
		send_import(op);
	} else {
		op_fail(op, "workflow '%s' could not be imported",
			op->s->identity);
	}
}

static void workflow_imported(struct op *op,
			      const struct client_response *res)
{
	struct buf p = BUF_INIT;

	if (res->code == CLIENT_OK) {
		remember_id(op->x, op->s, str(res->body, "workflow_id"));
		remember_revision(op, str(res->body, "revision_id"));
		op_done(op, str(res->body, "workflow_id"));
		return;
	}
	if (res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) {
		/* import always makes a new workflow: look before resending */
		buf_addstr(&p, "/workflows?name=");
		client_escape(&p, op->s->identity);
		list_all(op, p.s, "workflows", workflow_checked);
		buf_release(&p);
		return;
	}
	op_fail(op, "%s", res->error);
}

/* PUT, PATCH, tag calls: they set a state, so sending twice is fine. */
static void set_done(struct op *op, const struct client_response *res)
{
	if (res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) {
		op->resent++;
		op_send(op, op->s->kind == STEP_UPDATE_WORKFLOW ? "PUT" :
		     op->s->kind == STEP_REMOVE_TAG ? "DELETE" : "POST",
		     op->list_path, op->items ? json_incref(op->items) : NULL,
		     set_done);
		return;
	}
	if (res->code == CLIENT_OK && op->s->kind == STEP_UPDATE_WORKFLOW)
		remember_revision(op, str(res->body, "current_revision_id"));
	if (res->code == CLIENT_OK ||
	    (op->s->kind == STEP_ADD_TAG && res->code == CLIENT_CONFLICT) ||
	    (op->s->kind == STEP_REMOVE_TAG &&
	     res->code == CLIENT_NOT_FOUND)) {
		op_done(op, object_id(op->x, op->s));
		return;
	}
	op_fail(op, "%s", res->error);
}

static int workflow_path(struct op *op, const char *suffix)
{
	const char *id = object_id(op->x, op->s);
	struct buf p = BUF_INIT;

	if (!id) {
		op_fail(op, "workflow '%s' has no id", op->s->identity);
		return -1;
	}
	buf_addstr(&p, "/workflows/");
	client_escape(&p, id);
	buf_addstr(&p, suffix);
	free(op->list_path);
	op->list_path = buf_detach(&p, NULL);
	return 0;
}

static void run_update_workflow(struct op *op)
{
	const struct model_workflow *w = desired_workflow(op);

	if (!w || !w->content) {
		op_fail(op, "workflow '%s' has no YAML", op->s->identity);
		return;
	}
	if (workflow_path(op, ""))
		return;
	op->items = json_pack("{s:s}", "yaml", w->content);
	op_send(op, "PUT", op->list_path, json_incref(op->items), set_done);
}

static void run_tag(struct op *op)
{
	struct buf p = BUF_INIT;

	if (op->s->kind == STEP_ADD_TAG) {
		if (workflow_path(op, "/tags"))
			return;
		op->items = json_pack("{s:s}", "name", op->s->detail);
		op_send(op, "POST", op->list_path, json_incref(op->items),
		     set_done);
		return;
	}
	buf_addstr(&p, "/tags/");
	client_escape(&p, op->s->detail ? op->s->detail : "");
	if (!workflow_path(op, p.s))
		op_send(op, "DELETE", op->list_path, NULL, set_done);
	buf_release(&p);
}

/*
 * Publish the current revision, then confirm that the published one is
 * the current one. Publishing the published revision again is skipped.
 */
static void published(struct op *op, const struct client_response *res);

/* op->phase of a publish sent without reading the workflow first */
#define PUBLISH_MADE 1

static void send_publish(struct op *op, const char *revision)
{
	struct buf p = BUF_INIT;

	free(op->found_id);
	op->found_id = xstrdup(revision);
	buf_addf(&p, "%s/revisions/", op->list_path);
	client_escape(&p, revision);
	buf_addstr(&p, "/publish");
	op_send(op, "PATCH", p.s, json_object(), published);
	buf_release(&p);
}

static void workflow_read(struct op *op, const struct client_response *res)
{
	const char *cur = str(res->body, "current_revision_id");
	const char *pub = str(res->body, "published_revision_id");

	op->phase = 0;
	if (res->code != CLIENT_OK) {
		op_fail(op, "%s", res->error);
		return;
	}
	if (!cur) {
		op_fail(op, "workflow '%s' has no current revision",
			op->s->identity);
		return;
	}
	if (pub && !strcmp(pub, cur)) {
		op_done(op, object_id(op->x, op->s));
		return;
	}
	send_publish(op, cur);
}

static void published(struct op *op, const struct client_response *res)
{
	const char *pub = str(res->body, "published_revision_id");

	if ((res->code == CLIENT_OUTCOME_UNKNOWN && op->resent < MAX_RESENDS) ||
	    (res->code != CLIENT_OK && op->phase == PUBLISH_MADE)) {
		/*
		 * Read again, and publish if need be: after an unknown
		 * outcome, or when the revision this run made is no longer
		 * the current one (someone changed the workflow since).
		 */
		op->resent += res->code == CLIENT_OUTCOME_UNKNOWN;
		op->phase = 0;
		op_send(op, "GET", op->list_path, NULL, workflow_read);
		return;
	}
	if (res->code != CLIENT_OK) {
		op_fail(op, "%s", res->error);
		return;
	}
	if (!pub || strcmp(pub, op->found_id)) {
		op_fail(op, "workflow '%s' was published, but its published "
			"revision is %s, not the current %s", op->s->identity,
			pub ? pub : "(none)", op->found_id);
		return;
	}
	op_done(op, object_id(op->x, op->s));
}

static void run_publish(struct op *op)
{
	const char *made = str(op->x->revisions, op->s->identity);

	if (workflow_path(op, ""))
		return;
	if (made) {
		/* this run's import or PUT said which revision it made */
		op->phase = PUBLISH_MADE;
		send_publish(op, made);
		return;
	}
	op_send(op, "GET", op->list_path, NULL, workflow_read);
}

/* The engine. */

static void start_step(struct exec *x, size_t i)
{
	struct op *op = xcalloc(1, sizeof(*op));
	const struct plan_step *s = &x->p->steps[i];

	op->x = x;
	op->index = i;
	op->s = s;
	x->status[i] = APPLY_RUNNING;
	x->started[i] = now_s();
	emit(x, i, APPLY_RUNNING, NULL);
	if (x->env->stop && *x->env->stop) {
		op_free(op);
		end_step(x, i, APPLY_SKIPPED, NULL, "apply was interrupted");
		return;
	}
	if (!x->env->target && s->kind != STEP_CREATE_WORKSPACE) {
		op_fail(op, "workspace '%s' has no key", x->p->workspace);
		return;
	}
	switch (s->kind) {
	case STEP_CREATE_WORKSPACE:
		run_create_workspace(op);
		break;
	case STEP_CREATE_CLAIM_MAPPING:
		run_create_mapping(op);
		break;
	case STEP_UPDATE_CLAIM_MAPPING:
		run_update_mapping(op);
		break;
	case STEP_DELETE_CLAIM_MAPPING:
		run_delete(op, "/sso/claim_mappings");
		break;
	case STEP_INVITE_USER:
		run_invite_user(op);
		break;
	case STEP_UPDATE_USER:
		run_update_user(op);
		break;
	case STEP_DELETE_USER:
		run_delete(op, "/users");
		break;
	case STEP_CREATE_INTEGRATION:
		send_integration(op);
		break;
	case STEP_UPDATE_INTEGRATION:
		patch_integration(op, object_id(x, s) ? object_id(x, s) : "");
		break;
	case STEP_DELETE_INTEGRATION:
		run_delete(op, "/integrations");
		break;
	case STEP_CREATE_RUNNER:
		send_runner(op);
		break;
	case STEP_DELETE_RUNNER:
		run_delete(op, "/step_runners");
		break;
	case STEP_IMPORT_WORKFLOW:
		send_import(op);
		break;
	case STEP_UPDATE_WORKFLOW:
		run_update_workflow(op);
		break;
	case STEP_DELETE_WORKFLOW:
		run_delete(op, "/workflows");
		break;
	case STEP_PUBLISH_WORKFLOW:
		run_publish(op);
		break;
	case STEP_ADD_TAG:
	case STEP_REMOVE_TAG:
		run_tag(op);
		break;
	default:
		op_fail(op, "unknown step kind %d", (int)s->kind);
	}
}

int apply_run(struct apply_env *env, const struct plan *p,
	      struct apply_result *res, struct buf *err)
{
	struct exec x;
	size_t i, j, d, n = p->steps_nr;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.env = env;
	x.p = p;
	x.res = res;
	x.status = xcalloc(n + 1, sizeof(*x.status));
	x.started = xcalloc(n + 1, sizeof(*x.started));
	x.busy = xcalloc(n + 1, sizeof(*x.busy));
	x.waiting = xcalloc(n + 1, sizeof(*x.waiting));
	x.dependents = xcalloc(n + 1, sizeof(*x.dependents));
	x.dependents_nr = xcalloc(n + 1, sizeof(*x.dependents_nr));
	x.roles = json_object();
	x.ids = json_object();
	x.revisions = json_object();
	if (env->live) {
		for (i = 0; i < env->live->roles_nr; i++) {
			json_t *r = json_pack("{s:s?, s:s?}", "name",
					      env->live->roles[i].name, "id",
					      env->live->roles[i].id);
			json_t *arr = json_pack("[o]", r);

			set_roles(&x, arr);
			json_decref(arr);
		}
	}
	for (i = 0; i < n; i++) {
		x.waiting[i] = p->steps[i].deps_nr;
		for (j = 0; j < p->steps[i].deps_nr; j++) {
			d = p->steps[i].deps[j];
			x.dependents[d] = xrealloc(x.dependents[d],
				(x.dependents_nr[d] + 1) *
				sizeof(**x.dependents));
			x.dependents[d][x.dependents_nr[d]++] = i;
		}
	}
	for (i = 0; i < n; i++)
		if (x.status[i] == APPLY_PENDING && !x.waiting[i])
			start_step(&x, i);
	ret = client_run(env->client, err) ? -2 :
		res->failed || res->skipped ? -1 : 0;
	for (i = 0; i < n; i++)
		free(x.dependents[i]);
	free(x.dependents);
	free(x.dependents_nr);
	free(x.status);
	free(x.started);
	free(x.busy);
	free(x.waiting);
	json_decref(x.roles);
	json_decref(x.ids);
	json_decref(x.revisions);
	return ret;
}
