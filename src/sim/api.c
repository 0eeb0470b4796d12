#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "torq/sim/api.h"
#include "torq/sim/replay.h"
#include "torq/sim/api_assets.h"
#include "torq/sim/api_org.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 100
#define MAX_SEGMENTS 8

static void issue_token(struct sim_call *c);

/*
 * Every route, relative to the API prefix ("/public/v1alpha" or
 * "/v1alpha"); a "{...}" segment matches any one segment and is passed in
 * c->ids. The template, with the /v1alpha prefix, names the route in
 * /_sim/stats and in fault rules.
 */
static const struct route {
	const char *method;
	const char *path;
	void (*fn)(struct sim_call *c);
} routes[] = {
	{ "GET", "/workspaces", sim_list_workspaces },
	{ "POST", "/workspaces", sim_create_workspace },
	{ "GET", "/users", sim_list_users },
	{ "POST", "/users/invite", sim_invite_user },
	{ "GET", "/users/roles", sim_list_roles },
	{ "PATCH", "/users/{id}", sim_update_user },
	{ "DELETE", "/users/{id}", sim_delete_user },
	{ "GET", "/roles", sim_list_roles },
	{ "GET", "/sso/claim_mappings", sim_list_claim_mappings },
	{ "POST", "/sso/claim_mappings", sim_add_claim_mapping },
	{ "GET", "/sso/claim_mappings/{id}", sim_get_claim_mapping },
	{ "PATCH", "/sso/claim_mappings/{id}", sim_update_claim_mapping },
	{ "DELETE", "/sso/claim_mappings/{id}", sim_delete_claim_mapping },
	{ "GET", "/integrations", sim_list_integrations },
	{ "POST", "/integrations", sim_create_integration },
	{ "PATCH", "/integrations/{id}", sim_update_integration },
	{ "DELETE", "/integrations/{id}", sim_delete_integration },
	{ "GET", "/step_runners", sim_list_step_runners },
	{ "POST", "/step_runners", sim_create_step_runner },
	{ "DELETE", "/step_runners/{id}", sim_delete_step_runner },
	{ "GET", "/workflows", sim_list_workflows },
	{ "POST", "/workflows/import", sim_import_workflow },
	{ "GET", "/workflows/{id}", sim_get_workflow },
	{ "PUT", "/workflows/{id}", sim_update_workflow },
	{ "DELETE", "/workflows/{id}", sim_delete_workflow },
	{ "GET", "/workflows/{id}/revisions/{rev}", sim_get_revision },
	{ "PATCH", "/workflows/{id}/revisions/{rev}/publish",
	  sim_publish_workflow },
	{ "POST", "/workflows/{id}/tags", sim_add_workflow_tag },
	{ "DELETE", "/workflows/{id}/tags/{name}", sim_delete_workflow_tag },
};

static const struct route token_route = {
	"POST", "/v1/auth/token", issue_token,
};

/* Requests and responses. */

void sim_request_init(struct sim_request *req)
{
	memset(req, 0, sizeof(*req));
}

void sim_request_release(struct sim_request *req)
{
	size_t i;

	if (!req)
		return;
	for (i = 0; i < req->params_nr; i++) {
		free(req->params[i].key);
		free(req->params[i].value);
	}
	free(req->params);
	req->params = NULL;
	req->params_nr = req->params_alloc = 0;
}

void sim_response_init(struct sim_response *res)
{
	memset(res, 0, sizeof(*res));
	buf_init(&res->body);
}

void sim_response_release(struct sim_response *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->headers_nr; i++) {
		free(res->headers[i].name);
		free(res->headers[i].value);
	}
	free(res->headers);
	buf_release(&res->body);
	sim_response_init(res);
}

void sim_response_header(struct sim_response *res, const char *name,
			 const char *value)
{
	ALLOC_GROW(res->headers, res->headers_nr + 1, res->headers_alloc);
	res->headers[res->headers_nr].name = xstrdup(name);
	res->headers[res->headers_nr].value = xstrdup(value);
	res->headers_nr++;
}

void sim_api_init(struct sim_api *api, const struct sim_config *cfg,
		  struct sim_state *state, struct sim_faults *faults)
{
	api->cfg = cfg;
	api->replay = NULL;
	api->state = state;
	api->faults = faults;
	api->next_request_id = 0;
}

/* Answers. */

static void reply_json(struct sim_response *res, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	res->status = status;
	res->content_type = "application/json";
	buf_reset(&res->body);
	if (text)
		buf_addstr(&res->body, text);
	free(text);
	json_decref(body);
}

static void reply_error(struct sim_response *res, int status,
			enum sim_code code, const char *message)
{
	reply_json(res, status, json_pack("{s:i, s:s, s:[]}", "code",
					  (int)code, "message", message,
					  "details"));
}

/*
 * Quirk extra-fields: the API is v1alpha, so every object of an answer
 * gains fields no client knows, and the optional ones that mean "unset"
 * go, as do false booleans (sharing_data only when not shared, which is
 * its default).
 */
static void extra_fields(json_t *v)
{
	static const char *const optional[] = {
		"created_by", "last_used_at", "details", "updated_at",
		"last_seen_time", NULL,
	};
	const char *key, *dir;
	json_t *x;
	void *tmp;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			extra_fields(x);
		return;
	}
	if (!json_is_object(v))
		return;
	/* proto3 JSON may leave out a field at its zero value */
	json_object_foreach_safe(v, tmp, key, x) {
		if (json_is_false(x))
			json_object_del(v, key);
		else
			extra_fields(x);
	}
	for (i = 0; optional[i]; i++)
		json_object_del(v, optional[i]);
	dir = json_string_value(json_object_get(json_object_get(v,
					"sharing_data"), "direction"));
	if (dir && !strcmp(dir, "not_shared"))
		json_object_del(v, "sharing_data");
	json_object_set_new(v, "x_sim_unknown", json_pack("{s:s, s:[i]}",
				"note", "a field no client knows", "n", 1));
	json_object_set_new(v, "x_sim_flag", json_true());
}

void sim_reply(struct sim_call *c, int status, json_t *body)
{
	if (c->api->cfg->quirks & SIM_QUIRK_EXTRA_FIELDS)
		extra_fields(body);
	reply_json(c->res, status, body);
}

void sim_fail(struct sim_call *c, int status, enum sim_code code,
	      const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	reply_error(c->res, status, code, msg.s);
	buf_release(&msg);
}

void sim_not_found(struct sim_call *c, const char *what, const char *id)
{
	sim_fail(c, 404, SIM_NOT_FOUND, "%s '%s' not found", what, id);
}

/* Request helpers for the handlers. */

int sim_body(struct sim_call *c)
{
	json_error_t jerr;

	if (c->body)
		return 0;
	if (!c->req->body_len) {
		c->body = json_object();
		return 0;
	}
	c->body = json_loadb(c->req->body, c->req->body_len,
			     JSON_REJECT_DUPLICATES, &jerr);
	if (!c->body) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "malformed JSON body: line %d, column %d: %s",
			 jerr.line, jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(c->body)) {
		json_decref(c->body);
		c->body = NULL;
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "the body is not a JSON object");
		return -1;
	}
	return 0;
}

int sim_body_string(struct sim_call *c, const char *key, int required,
		    const char **out)
{
	json_t *v;

	*out = NULL;
	if (sim_body(c))
		return -1;
	v = json_object_get(c->body, key);
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		sim_fail(c, 400, SIM_INVALID_ARGUMENT, "'%s' is required",
			 key);
		return -1;
	}
	if (!json_is_string(v)) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "'%s' must be a string", key);
		return -1;
	}
	if (required && !*json_string_value(v)) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "'%s' must not be empty", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int sim_body_bool(struct sim_call *c, const char *key, int *out)
{
	json_t *v;

	*out = 0;
	if (sim_body(c))
		return -1;
	v = json_object_get(c->body, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "'%s' must be a boolean", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

const char *sim_query(struct sim_call *c, const char *name, const char *alt)
{
	size_t i;

	for (i = 0; i < c->req->params_nr; i++) {
		const char *k = c->req->params[i].key;

		if (!strcmp(k, name) || (alt && !strcmp(k, alt)))
			return c->req->params[i].value;
	}
	return NULL;
}

int sim_caller_is(struct sim_call *c, const char *role)
{
	const char *name = sim_key_role(c->ws, c->key);

	return name && !strcasecmp(name, role);
}

int sim_need_owner(struct sim_call *c)
{
	if (sim_caller_is(c, "Owner"))
		return 0;
	sim_fail(c, 403, SIM_PERMISSION_DENIED,
		 "the API key's role lacks permission for this action");
	return -1;
}

json_t *sim_prune(json_t *obj)
{
	const char *key;
	json_t *v, *tmp;

	json_object_foreach_safe(obj, tmp, key, v) {
		if (json_is_object(v))
			sim_prune(v);
		if (json_is_null(v) || json_is_false(v) ||
		    (json_is_integer(v) && !json_integer_value(v)) ||
		    (json_is_real(v) && json_real_value(v) == 0) ||
		    (json_is_string(v) && !*json_string_value(v)) ||
		    (json_is_array(v) && !json_array_size(v)) ||
		    (json_is_object(v) && !json_object_size(v)))
			json_object_del(obj, key);
	}
	return obj;
}

void sim_delete_by_id(struct sim_call *c, const char *list, const char *kind)
{
	json_t *items = json_object_get(c->ws, list);
	long i = sim_find_index(items, "id", c->ids[0]);

	if (i < 0) {
		sim_not_found(c, kind, c->ids[0]);
		return;
	}
	json_array_remove(items, (size_t)i);
	sim_reply(c, 200, json_object());
}

void sim_copy_field(json_t *out, const json_t *in, const char *key)
{
	json_t *v = json_object_get(in, key);

	if (v)
		json_object_set_new(out, key, json_deep_copy(v));
}

void sim_copy_fields(json_t *out, const json_t *in, const char *const *keys)
{
	for (; *keys; keys++)
		sim_copy_field(out, in, *keys);
}

/*
 * Page tokens: base64url of "<offset>:<fingerprint>", the fingerprint
 * naming the route and its filter so a token only works on its own list.
 */
static void fingerprint(struct sim_call *c, const char *filter,
			char out[17])
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *parts[2] = { c->route, filter ? filter : "" };
	const char *p;
	int i;

	for (i = 0; i < 2; i++) {
		for (p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 0x100000001b3ull;
		}
		h ^= '\n';
		h *= 0x100000001b3ull;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int page_offset(struct sim_call *c, const char *token,
		       const char *fp, size_t n, size_t *offset)
{
	struct buf raw = BUF_INIT;
	const char *colon;
	char *num = NULL;
	long v;
	int ret = -1;

	if (sim_base64_decode(&raw, token) || memchr(raw.s, 0, raw.len))
		goto out;
	colon = strchr(raw.s, ':');
	if (!colon || strcmp(colon + 1, fp))
		goto out;
	num = xstrndup(raw.s, (size_t)(colon - raw.s));
	if (parse_long(num, 0, LONG_MAX, &v) || (size_t)v > n)
		goto out;
	*offset = (size_t)v;
	ret = 0;
out:
	if (ret)
		sim_fail(c, 400, SIM_INVALID_ARGUMENT, "invalid page_token");
	free(num);
	buf_release(&raw);
	return ret;
}

void sim_reply_page(struct sim_call *c, const char *field, json_t *list,
		    const size_t *pick, size_t n, sim_item_fn item,
		    const char *filter)
{
	const char *size_s = sim_query(c, "page_size", "pageSize");
	const char *token = sim_query(c, "page_token", "pageToken");
	char fp[17];
	size_t offset = 0, i, at;
	long size = PAGE_DEFAULT;
	json_t *out, *page;

	if (size_s && parse_long(size_s, 0, INT_MAX, &size)) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "page_size must be a non-negative integer");
		return;
	}
	if (!size)
		size = PAGE_DEFAULT;
	if (size > PAGE_MAX)
		size = PAGE_MAX;
	fingerprint(c, filter, fp);
	if (token && *token && page_offset(c, token, fp, n, &offset))
		return;
	out = json_object();
	page = json_array();
	for (i = offset; i < n && i < offset + (size_t)size; i++) {
		at = pick ? pick[i] : i;
		json_array_append_new(page, item(c, json_array_get(list, at),
						 at));
	}
	if (json_array_size(page))
		json_object_set_new(out, field, page);
	else
		json_decref(page);
	if (offset + (size_t)size < n) {
		struct buf raw = BUF_INIT, enc = BUF_INIT;

		buf_addf(&raw, "%zu:%s", offset + (size_t)size, fp);
		sim_base64_encode(&enc, raw.s, raw.len, 1);
		json_object_set_new(out, "next_page_token",
				    json_string(enc.s));
		buf_release(&raw);
		buf_release(&enc);
	} else if (c->api->cfg->quirks & SIM_QUIRK_EMPTY_NEXT_TOKEN) {
		json_object_set_new(out, "next_page_token", json_string(""));
	}
	sim_reply(c, 200, out);
}

/* The token endpoint. */

static char *form_value(const char *body, size_t len, const char *name)
{
	size_t nlen = strlen(name), i = 0;

	while (i < len) {
		const char *p = body + i;
		const char *end = memchr(p, '&', len - i);
		size_t plen = end ? (size_t)(end - p) : len - i;

		if (plen > nlen && !strncmp(p, name, nlen) && p[nlen] == '=') {
			struct buf v = BUF_INIT;

			sim_form_decode(&v, p + nlen + 1, plen - nlen - 1);
			return buf_detach(&v, NULL);
		}
		i += plen + 1;
	}
	return NULL;
}

static void issue_token(struct sim_call *c)
{
	const char *auth = c->req->authorization;
	char *grant = form_value(c->req->body, c->req->body_len,
				 "grant_type");
	char *id = NULL, *secret = NULL, tok[SIM_UUID_LEN + 1];
	struct buf raw = BUF_INIT, err = BUF_INIT;
	json_t *ws, *key = NULL;

	if (!grant || strcmp(grant, "client_credentials")) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "grant_type must be client_credentials");
		goto out;
	}
	if (auth && !strncasecmp(auth, "Basic ", 6) &&
	    !sim_base64_decode(&raw, auth + 6) && strchr(raw.s, ':')) {
		char *colon = strchr(raw.s, ':');

		id = xstrndup(raw.s, (size_t)(colon - raw.s));
		secret = xstrdup(colon + 1);
	} else {
		id = form_value(c->req->body, c->req->body_len, "client_id");
		secret = form_value(c->req->body, c->req->body_len,
				    "client_secret");
	}
	ws = id && secret ? sim_state_by_key(c->state, id, secret, &key) :
			    NULL;
	if (!ws) {
		sim_fail(c, 401, SIM_UNAUTHENTICATED,
			 "invalid client credentials");
		goto out;
	}
	sim_state_issue_token(c->state, ws, key, c->api->cfg->token_ttl, tok);
	if (sim_state_save(c->state, &err)) {
		sim_fail(c, 500, SIM_INTERNAL, "%s", err.s);
		goto out;
	}
	sim_reply(c, 200, json_pack("{s:s, s:i, s:s}", "access_token", tok,
				    "expires_in", (int)c->api->cfg->token_ttl,
				    "token_type", "Bearer"));
	c->res->content_type = "application/json;charset=UTF-8";
	sim_response_header(c->res, "Cache-Control", "no-store");
out:
	secure_zero(raw.s, raw.len);
	if (secret)
		secure_zero(secret, strlen(secret));
	buf_release(&raw);
	buf_release(&err);
	free(grant);
	free(id);
	free(secret);
}

/* Routing. */

static const char *api_suffix(const char *path)
{
	if (!strncmp(path, "/public/v1alpha/", 16))
		return path + 15;
	if (!strncmp(path, "/v1alpha/", 9))
		return path + 8;
	return NULL;
}

/*
 * Match path (after the prefix) against a template; on success the
 * path parameters point into segs (a modifiable copy of the path).
 */
static int match_template(const char *tmpl, char *path, const char **ids)
{
	size_t n = 0;

	while (*tmpl == '/' && *path == '/') {
		const char *tend = strchr(tmpl + 1, '/');
		char *pend = strchr(path + 1, '/');
		size_t tlen = tend ? (size_t)(tend - tmpl - 1) :
				     strlen(tmpl + 1);
		size_t plen = pend ? (size_t)(pend - path - 1) :
				     strlen(path + 1);

		if (!plen)
			return 0;
		if (tmpl[1] == '{') {
			if (n == 3)
				return 0;
			ids[n++] = path + 1;
		} else if (tlen != plen || strncmp(tmpl + 1, path + 1, tlen)) {
			return 0;
		}
		tmpl += tlen + 1;
		path += plen + 1;
	}
	return !*tmpl && !*path;
}

static const struct route *find_route(const struct sim_request *req,
				      char *copy, const char **ids)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(routes); i++) {
		if (strcmp(routes[i].method, req->method))
			continue;
		ids[0] = ids[1] = ids[2] = NULL;
		if (match_template(routes[i].path, copy, ids))
			return &routes[i];
	}
	return NULL;
}

/* Cut the captured segments (which point into copy) at their slashes. */
static void terminate_ids(char *copy)
{
	for (; *copy; copy++)
		if (*copy == '/')
			*copy = '\0';
}

static int authenticate(struct sim_call *c, int expire)
{
	const char *auth = c->req->authorization;
	const char *token;
	enum sim_token_status st;

	if (!auth || strncasecmp(auth, "Bearer ", 7)) {
		sim_fail(c, 401, SIM_UNAUTHENTICATED,
			 "a bearer token is required");
		return -1;
	}
	token = auth + 7;
	while (*token == ' ')
		token++;
	if (expire)
		sim_state_expire_token(c->state, token);
	st = sim_state_token(c->state, token, &c->ws, &c->key);
	if (st == SIM_TOKEN_OK)
		return 0;
	if (st == SIM_TOKEN_EXPIRED &&
	    !(c->api->cfg->quirks & SIM_QUIRK_EXPIRED_401)) {
		c->res->status = 302;
		c->res->content_type = NULL;
		buf_reset(&c->res->body);
		return -1;
	}
	sim_fail(c, 401, SIM_UNAUTHENTICATED, st == SIM_TOKEN_EXPIRED ?
		 "the token has expired" : "the token is not valid");
	return -1;
}

static enum sim_code code_for(int status)
{
	switch (status) {
	case 400:
		return SIM_INVALID_ARGUMENT;
	case 401:
		return SIM_UNAUTHENTICATED;
	case 403:
		return SIM_PERMISSION_DENIED;
	case 404:
		return SIM_NOT_FOUND;
	case 409:
		return SIM_ALREADY_EXISTS;
	case 429:
		return SIM_RESOURCE_EXHAUSTED;
	case 501:
		return SIM_UNIMPLEMENTED;
	case 502:
	case 503:
	case 504:
		return SIM_UNAVAILABLE;
	default:
		return SIM_INTERNAL;
	}
}

static void retry_after(struct sim_call *c, int seconds)
{
	char v[16];

	if (seconds < 0 || (c->api->cfg->quirks & SIM_QUIRK_NO_RETRY_AFTER))
		return;
	snprintf(v, sizeof(v), "%d", seconds);
	sim_response_header(c->res, "Retry-After", v);
}

static void fault_reply(struct sim_call *c,
			const struct sim_fault_action *act)
{
	sim_fail(c, act->status, code_for(act->status),
		 "injected fault: status %d", act->status);
	if (act->retry_after >= 0)
		retry_after(c, act->retry_after);
	else if (act->status == 429)
		retry_after(c, 1);
}

/*
 * POST /_sim/share {"integration_id" | "from" and "integration", "to"}:
 * share an integration (by id, or by a workspace's and its display
 * name) into
 * the workspace named "to", as Torq's UI does: the copy there is
 * incoming (usable, not changeable), the original outgoing.
 */
static int share(struct sim_state *st, const json_t *body, struct buf *err)
{
	const char *id = json_string_value(json_object_get(body,
						"integration_id"));
	const char *name = json_string_value(json_object_get(body,
						"integration"));
	const char *src = json_string_value(json_object_get(body, "from"));
	const char *to = json_string_value(json_object_get(body, "to"));
	json_t *wss = sim_state_workspaces(st), *ws, *from = NULL;
	json_t *in = NULL, *dest, *copy, *out;
	size_t i;

	if ((!id && !(name && src)) || !to) {
		buf_addstr(err, "needs \"to\" and \"integration_id\", or "
			   "\"from\" (a workspace) and \"integration\" (its"
			   " display name)");
		return -1;
	}
	if (!id) {
		from = sim_find_ci(wss, "name", src);
		in = from ? sim_find(json_object_get(from, "integrations"),
				     "display_name", name) : NULL;
		id = name;
	}
	json_array_foreach(wss, i, ws)
		if (!in && (in = sim_find(json_object_get(ws, "integrations"),
					  "id", id)))
			from = ws;
	dest = sim_find_ci(wss, "name", to);
	if (!in || !dest || dest == from) {
		buf_addf(err, "no integration '%s', or no other workspace "
			 "'%s'", id, to);
		return -1;
	}
	copy = json_deep_copy(in);
	json_object_del(copy, "parameters");
	json_object_set_new(copy, "sharing_data", json_pack(
		"{s:s, s:[s]}", "direction", "incoming", "workspace_ids",
		sim_get(from, "id")));
	json_array_append_new(json_object_get(dest, "integrations"), copy);
	out = json_object_get(in, "sharing_data");
	if (!json_is_object(out)) {
		out = json_pack("{s:s, s:[]}", "direction", "outgoing",
				"workspace_ids");
		json_object_set_new(in, "sharing_data", out);
	}
	json_object_set_new(out, "direction", json_string("outgoing"));
	if (!json_is_array(json_object_get(out, "workspace_ids")))
		json_object_set_new(out, "workspace_ids", json_array());
	json_array_append_new(json_object_get(out, "workspace_ids"),
			      json_string(sim_get(dest, "id")));
	return 0;
}

/* The /_sim/ controls: no auth, no rate limit, not counted. */
static void control(struct sim_api *api, const struct sim_request *req,
		    struct sim_response *res)
{
	const char *m = req->method, *p = req->path + 5;
	struct buf err = BUF_INIT;
	json_t *body = NULL;
	json_error_t jerr;

	if (!strcmp(p, "/stats") && !strcmp(m, "GET")) {
		reply_json(res, 200, sim_faults_stats(api->faults));
	} else if (!strcmp(p, "/state") && !strcmp(m, "GET")) {
		sim_state_lock(api->state);
		reply_json(res, 200, json_incref(api->state->root));
		sim_state_unlock(api->state);
	} else if (!strcmp(p, "/reset") && !strcmp(m, "POST")) {
		sim_state_lock(api->state);
		if (sim_state_reset(api->state, &err))
			reply_error(res, 500, SIM_INTERNAL, err.s);
		else
			reply_json(res, 200, json_object());
		sim_state_unlock(api->state);
		sim_faults_reset(api->faults);
	} else if (!strcmp(p, "/faults") && !strcmp(m, "GET")) {
		reply_json(res, 200, json_pack("{s:o}", "rules",
					       sim_faults_rules(api->faults)));
	} else if (!strcmp(p, "/faults") && !strcmp(m, "DELETE")) {
		sim_faults_clear(api->faults);
		reply_json(res, 200, json_object());
	} else if (!strcmp(p, "/faults") && !strcmp(m, "POST")) {
		body = json_loadb(req->body, req->body_len, 0, &jerr);
		if (!body)
			buf_addf(&err, "malformed JSON body: %s", jerr.text);
		if (!body || sim_faults_set(api->faults, body, &err))
			reply_error(res, 400, SIM_INVALID_ARGUMENT, err.s);
		else
			reply_json(res, 200, json_pack("{s:o}", "rules",
					sim_faults_rules(api->faults)));
	} else if (!strcmp(p, "/share") && !strcmp(m, "POST")) {
		body = json_loadb(req->body, req->body_len, 0, &jerr);
		if (!body)
			buf_addf(&err, "malformed JSON body: %s", jerr.text);
		sim_state_lock(api->state);
		sim_state_touch(api->state);
		if (!body || share(api->state, body, &err))
			reply_error(res, 400, SIM_INVALID_ARGUMENT, err.s);
		else if (sim_state_save(api->state, &err))	/* --state */
			reply_error(res, 500, SIM_INTERNAL, err.s);
		else
			reply_json(res, 200, json_object());
		sim_state_unlock(api->state);
	} else {
		reply_error(res, 404, SIM_NOT_FOUND, "no such control");
	}
	json_decref(body);
	buf_release(&err);
}

/* Every API answer names itself, as real gateways do, for error reports. */
static void request_id(struct sim_api *api, struct sim_response *res)
{
	char id[32];

	snprintf(id, sizeof(id), "sim-%lu", ++api->next_request_id);
	sim_response_header(res, "X-Request-Id", id);
}

void sim_api_handle(struct sim_api *api, const struct sim_request *req,
		    struct sim_response *res)
{
	struct sim_call c;
	struct sim_fault_action act;
	struct buf route = BUF_INIT, err = BUF_INIT;
	const struct route *r = NULL;
	const char *suffix = api_suffix(req->path);
	char *copy = NULL, *ws_name = NULL;
	int mutation = 0, locked = 0;

	if (!strncmp(req->path, "/_sim/", 6)) {
		control(api, req, res);
		return;
	}
	if (api->replay) {
		sim_replay_handle(api->replay, req, res);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.api = api;
	c.state = api->state;
	c.req = req;
	c.res = res;
	if (!strcmp(req->path, token_route.path) &&
	    !strcmp(req->method, token_route.method)) {
		r = &token_route;
		buf_addf(&route, "%s %s", r->method, r->path);
	} else if (suffix) {
		copy = xstrdup(suffix);
		r = find_route(req, copy, c.ids);
		if (r) {
			terminate_ids(copy);
			buf_addf(&route, "%s /v1alpha%s", r->method, r->path);
		}
	}
	if (!r)
		buf_addstr(&route, "unmatched");
	c.route = route.s;

	sim_faults_check(api->faults, route.s, &act);
	sim_sleep_ms(api->cfg->latency_ms + act.latency_ms);
	if (act.drop) {
		res->drop = 1;
		goto count;
	}
	if (act.status) {
		fault_reply(&c, &act);
		goto count;
	}
	if (req->body_too_large) {
		sim_fail(&c, 413, SIM_INVALID_ARGUMENT,
			 "the request body is larger than %u bytes",
			 SIM_MAX_BODY);
		goto count;
	}
	if (!r) {
		sim_fail(&c, 404, SIM_NOT_FOUND, "no route for %s %s",
			 req->method, req->path);
		goto count;
	}
	sim_state_lock(api->state);
	locked = 1;
	if (strcmp(req->method, "GET"))
		sim_state_touch(api->state);
	if (r == &token_route) {
		r->fn(&c);
		goto count;
	}
	if (authenticate(&c, act.expire_token))
		goto count;
	ws_name = xstrdup(sim_get(c.ws, "name"));
	if (!sim_faults_allow(api->faults, sim_get(c.ws, "id"))) {
		sim_fail(&c, 429, SIM_RESOURCE_EXHAUSTED,
			 "rate limit exceeded");
		retry_after(&c, 1);
		goto count;
	}
	r->fn(&c);
	if (res->status >= 200 && res->status < 300 &&
	    strcmp(req->method, "GET")) {
		mutation = 1;
		if (sim_state_save(api->state, &err))
			sim_fail(&c, 500, SIM_INTERNAL, "%s", err.s);
	}
	if (act.drop_after)
		res->drop = 1;	/* done, but the caller never hears of it */
count:
	if (locked)
		sim_state_unlock(api->state);
	/* the work is done: a kill now falls between it and its answer */
	if (act.latency_after_ms)
		sim_sleep_ms(act.latency_after_ms);
	request_id(api, res);
	sim_faults_count(api->faults, route.s, res->drop ? 0 : res->status,
			 ws_name, mutation);
	json_decref(c.body);
	free(copy);
	free(ws_name);
	buf_release(&route);
	buf_release(&err);
}
