#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "torq/sim/api_org.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* Workspaces. */

static json_t *workspace_json(json_t *ws)
{
	json_t *out = json_object(), *m = sim_workspace_metrics(ws);

	sim_copy_fields(out, ws, (const char *const[]){ "id", "name",
		"created_at", NULL });
	json_object_update(out, m);
	json_decref(m);
	return sim_prune(out);
}

static json_t *workspace_item(struct sim_call *c, json_t *ws, size_t index)
{
	(void)c;
	(void)index;
	return workspace_json(ws);
}

void sim_list_workspaces(struct sim_call *c)
{
	json_t *list = sim_state_workspaces(c->state);

	sim_reply_page(c, "workspaces", list, NULL, json_array_size(list),
		       workspace_item, NULL);
}

void sim_create_workspace(struct sim_call *c)
{
	const char *name, *email = sim_get(c->key, "email");
	json_t *org = sim_state_org(c->state), *ws, *key, *out, *apikey;
	int copy_sso;

	if (sim_body_string(c, "name", 1, &name) ||
	    sim_body_bool(c, "copy_sso_config", &copy_sso))
		return;
	if (!json_is_true(json_object_get(org,
					  "automatic_workspace_creation"))) {
		sim_fail(c, 403, SIM_PERMISSION_DENIED,
			 "automatic workspace creation is not enabled for "
			 "the organization");
		return;
	}
	if (sim_need_owner(c))
		return;
	if (sim_find_ci(sim_state_workspaces(c->state), "name", name)) {
		sim_fail(c, 409, SIM_ALREADY_EXISTS,
			 "a workspace named '%s' already exists", name);
		return;
	}
	ws = sim_state_add_workspace(c->state, name,
				     email ? email : "owner@example.com",
				     &key);
	if (copy_sso)
		json_object_set_new(ws, "sso", json_pack(
			"{s:s}", "copied_from", sim_get(c->ws, "id")));
	apikey = json_pack("{s:s, s:s}", "client_id",
			   sim_get(key, "client_id"), "client_secret",
			   sim_get(key, "client_secret"));
	out = json_pack("{s:o}", "workspace", workspace_json(ws));
	if (c->api->cfg->quirks & SIM_QUIRK_API_KEY_NESTED)
		json_object_set_new(json_object_get(out, "workspace"),
				    "api_key", apikey);
	else
		json_object_set_new(out, "api_key", apikey);
	sim_reply(c, 200, out);
}

/* Users and roles. */

static json_t *user_json(json_t *user)
{
	json_t *out = json_object();

	sim_copy_fields(out, user, (const char *const[]){ "id", "email",
		"role_id", "status", "sso_provision", "created_time",
		"last_login_time", NULL });
	return sim_prune(out);
}

static json_t *user_item(struct sim_call *c, json_t *user, size_t index)
{
	(void)c;
	(void)index;
	return user_json(user);
}

static int user_is(const json_t *user, const void *want)
{
	return json_is_true(json_object_get(user, "sso_provision")) ==
	       *(const int *)want;
}

/*
 * Both lists filter the same array: the positions each keeps are picked
 * once per change of the state, not once per page.
 */
void sim_list_users(struct sim_call *c)
{
	const char *sso = sim_query(c, "sso_provision", "ssoProvision");
	json_t *users = json_object_get(c->ws, "users");
	const size_t *pick;
	size_t n;
	int want;

	if (!sso || !strcmp(sso, "false")) {
		want = 0;
	} else if (!strcmp(sso, "true")) {
		want = 1;
	} else {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "sso_provision must be true or false");
		return;
	}
	pick = sim_state_pick(c->state, users, want ? "sso_provision=1" :
			      "sso_provision=0", user_is, &want, &n);
	sim_reply_page(c, "users", users, pick, n, user_item,
		       want ? "sso" : "local");
}

/* The role_id of a body, checked; "" when absent. -1 after a 400. */
static int body_role(struct sim_call *c, int required, const char **id)
{
	if (sim_body_string(c, "role_id", required, id))
		return -1;
	if (*id && !sim_find(json_object_get(c->ws, "roles"), "id", *id)) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "role_id '%s' is not a role of this workspace", *id);
		return -1;
	}
	return 0;
}

void sim_invite_user(struct sim_call *c)
{
	const char *email, *role_id;
	char id[SIM_UUID_LEN + 1], now[SIM_TIME_LEN + 1];
	unsigned quirks = c->api->cfg->quirks;
	json_t *users = json_object_get(c->ws, "users"), *user;

	if (sim_need_owner(c) || sim_body_string(c, "email", 1, &email) ||
	    body_role(c, 0, &role_id))
		return;
	if (!strchr(email, '@')) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "'%s' is not an email address", email);
		return;
	}
	user = sim_find_ci(users, "email", email);
	if (user) {
		if (quirks & SIM_QUIRK_INVITE_EXISTING_200)
			sim_reply(c, 200, user_json(user));
		else if (quirks & SIM_QUIRK_INVITE_EXISTING_400)
			sim_fail(c, 400, SIM_INVALID_ARGUMENT,
				 "user '%s' already exists", email);
		else
			sim_fail(c, 409, SIM_ALREADY_EXISTS,
				 "user '%s' already exists", email);
		return;
	}
	if (!role_id)
		role_id = sim_get(sim_role_by_name(c->ws, "Viewer"), "id");
	sim_state_id(c->state, id);
	sim_time_now(now);
	user = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "id", id, "email",
			 email, "role_id", role_id ? role_id : "", "status",
			 "INVITATION_SENT", "sso_provision", 0,
			 "created_time", now);
	json_array_append_new(users, user);
	sim_reply(c, 200, user_json(user));
}

void sim_update_user(struct sim_call *c)
{
	json_t *user;
	const char *role_id;

	if (sim_need_owner(c))
		return;
	user = sim_find(json_object_get(c->ws, "users"), "id", c->ids[0]);
	if (!user) {
		sim_not_found(c, "user", c->ids[0]);
		return;
	}
	if (body_role(c, 1, &role_id))
		return;
	json_object_set_new(user, "role_id", json_string(role_id));
	sim_reply(c, 200, user_json(user));
}

void sim_delete_user(struct sim_call *c)
{
	if (sim_need_owner(c))
		return;
	sim_delete_by_id(c, "users", "user");
}

static json_t *role_item(struct sim_call *c, json_t *role, size_t index)
{
	json_t *out = json_object();

	(void)c;
	(void)index;
	sim_copy_fields(out, role, (const char *const[]){ "id", "name",
		"description", "scope_names", "is_custom", NULL });
	return sim_prune(out);
}

void sim_list_roles(struct sim_call *c)
{
	json_t *list = json_object_get(c->ws, "roles");

	sim_reply_page(c, "roles", list, NULL, json_array_size(list),
		       role_item, NULL);
}

/* Claim mappings: an ordered list, rank = position + 1. */

static json_t *mapping_json(struct sim_call *c, json_t *cm, size_t index)
{
	json_t *out = json_object();

	sim_copy_fields(out, cm, (const char *const[]){ "id", "claim_name",
		"claim_value", "role_id", NULL });
	sim_prune(out);
	if (c->api->cfg->quirks & SIM_QUIRK_INT64_STRINGS) {
		struct buf rank = BUF_INIT;

		buf_addf(&rank, "%zu", index + 1);
		json_object_set_new(out, "rank", json_string(rank.s));
		buf_release(&rank);
	} else {
		json_object_set_new(out, "rank",
				    json_integer((json_int_t)index + 1));
	}
	return out;
}

void sim_list_claim_mappings(struct sim_call *c)
{
	json_t *list = json_object_get(c->ws, "claim_mappings");

	sim_reply_page(c, "claim_mappings", list, NULL,
		       json_array_size(list), mapping_json, NULL);
}

void sim_add_claim_mapping(struct sim_call *c)
{
	json_t *list = json_object_get(c->ws, "claim_mappings"), *cm;
	const char *name, *value, *role_id;
	char id[SIM_UUID_LEN + 1];

	if (sim_body_string(c, "claim_name", 1, &name) ||
	    sim_body_string(c, "claim_value", 1, &value) ||
	    body_role(c, 1, &role_id))
		return;
	sim_state_id(c->state, id);
	cm = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "claim_name", name,
		       "claim_value", value, "role_id", role_id);
	json_array_append_new(list, cm);
	sim_reply(c, 200, mapping_json(c, cm, json_array_size(list) - 1));
}

void sim_get_claim_mapping(struct sim_call *c)
{
	json_t *list = json_object_get(c->ws, "claim_mappings");
	long i = sim_find_index(list, "id", c->ids[0]);

	if (i < 0) {
		sim_not_found(c, "claim mapping", c->ids[0]);
		return;
	}
	sim_reply(c, 200, mapping_json(c, json_array_get(list, (size_t)i),
				       (size_t)i));
}

/* The new rank of a PATCH body (a number, or a string of one): 0 if none. */
static int body_rank(struct sim_call *c, size_t n, long *rank)
{
	json_t *v = json_object_get(c->body, "rank");
	long r;

	*rank = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		r = (long)json_integer_value(v);
	} else if (!json_is_string(v) ||
		   parse_long(json_string_value(v), -(1L << 30), 1L << 30,
			      &r)) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "'rank' must be an integer");
		return -1;
	}
	if (r < 1 || (size_t)r > n) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "rank %ld is out of range 1..%zu", r, n);
		return -1;
	}
	*rank = r;
	return 0;
}

void sim_update_claim_mapping(struct sim_call *c)
{
	json_t *list = json_object_get(c->ws, "claim_mappings"), *cm;
	const char *name, *value, *role_id;
	long i = sim_find_index(list, "id", c->ids[0]), rank;

	if (i < 0) {
		sim_not_found(c, "claim mapping", c->ids[0]);
		return;
	}
	if (sim_body_string(c, "claim_name", 0, &name) ||
	    sim_body_string(c, "claim_value", 0, &value) ||
	    body_role(c, 0, &role_id) ||
	    body_rank(c, json_array_size(list), &rank))
		return;
	if ((name && !*name) || (value && !*value)) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "claim_name and claim_value must not be empty");
		return;
	}
	cm = json_incref(json_array_get(list, (size_t)i));
	if (name)
		json_object_set_new(cm, "claim_name", json_string(name));
	if (value)
		json_object_set_new(cm, "claim_value", json_string(value));
	if (role_id)
		json_object_set_new(cm, "role_id", json_string(role_id));
	if (rank && rank != i + 1) {
		json_array_remove(list, (size_t)i);
		json_array_insert(list, (size_t)rank - 1, cm);
		i = rank - 1;
	}
	sim_reply(c, 200, mapping_json(c, cm, (size_t)i));
	json_decref(cm);
}

void sim_delete_claim_mapping(struct sim_call *c)
{
	sim_delete_by_id(c, "claim_mappings", "claim mapping");
}
