#include <stdlib.h>
#include <string.h>

#include "torq/desired.h"
#include "torq/path.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/*
 * The schema and the checks have passed before this runs, so every "not
 * the expected shape" below is a defect elsewhere; it is still reported at
 * its place instead of trusted, since the model feeds API calls.
 */

struct conv {
	const struct doc *doc;
	struct diag_list *diags;
	struct buf path;	/* key path of the value being read */
};

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

/* ok, or report that v at the current path is not what was wanted. */
static int is_a(struct conv *c, const json_t *v, const struct mark *m, int ok,
		const char *want)
{
	if (!ok)
		diag_add(c->diags, DIAG_ERROR, m, c->path.s,
			 "expected %s, found %s", want, type_name(v));
	return ok;
}

/*
 * Enter key of obj: the path grows by key and the value is returned, or
 * NULL when absent (an error when required). Leave with buf_setlen.
 */
static json_t *enter(struct conv *c, const json_t *obj, const char *key,
		     int required)
{
	json_t *v = json_object_get(obj, key);

	path_push_key(&c->path, key);
	if (!v && required)
		diag_add(c->diags, DIAG_ERROR, doc_mark(c->doc, obj, NULL),
			 c->path.s, "'%s' is missing", key);
	return v;
}

static const struct mark *value_mark(const struct conv *c, const json_t *obj,
				     const char *key)
{
	return doc_value_mark(c->doc, obj, key, 0);
}

/* v as text for the model, or NULL after saying why it cannot be. */
static const char *text_of(struct conv *c, const json_t *v,
			   const struct mark *m)
{
	if (!is_a(c, v, m, json_is_string(v), "a string"))
		return NULL;
	if (doc_is_secret(c->doc, v)) {
		diag_add(c->diags, DIAG_ERROR, m, c->path.s,
			 "a secret can only be used in integration "
			 "parameters");
		return NULL;
	}
	return json_string_value(v);
}

static void get_string(struct conv *c, const json_t *obj, const char *key,
		       int required, char **out)
{
	size_t len = c->path.len;
	json_t *v = enter(c, obj, key, required);
	const char *s;

	if (v && (s = text_of(c, v, value_mark(c, obj, key))))
		*out = xstrdup(s);
	buf_setlen(&c->path, len);
}

/* A path from the manifest, made usable from the current directory. */
static void get_path(struct conv *c, const json_t *obj, const char *key,
		     int required, char **out)
{
	size_t len = c->path.len;
	json_t *v = enter(c, obj, key, required);
	const struct mark *m = v ? value_mark(c, obj, key) : NULL;
	struct buf res = BUF_INIT;
	const char *s;

	if (v && (s = text_of(c, v, m))) {
		/* relative to the file the string was written in */
		path_relative_to(m && m->file ? m->file : ".", s, &res);
		*out = buf_detach(&res, NULL);
	}
	buf_setlen(&c->path, len);
}

/* *out is left alone (the default) when key is absent. */
static void get_bool(struct conv *c, const json_t *obj, const char *key,
		     int *out)
{
	size_t len = c->path.len;
	json_t *v = enter(c, obj, key, 0);

	if (v && is_a(c, v, value_mark(c, obj, key), json_is_boolean(v),
		      "a boolean"))
		*out = json_is_true(v);
	buf_setlen(&c->path, len);
}

/* *out is left alone (the default) when key is absent. */
static void get_long(struct conv *c, const json_t *obj, const char *key,
		     long *out, int *given)
{
	size_t len = c->path.len;
	json_t *v = enter(c, obj, key, 0);

	if (v && is_a(c, v, value_mark(c, obj, key), json_is_integer(v),
		      "a whole number")) {
		*out = (long)json_integer_value(v);
		*given = 1;
	}
	buf_setlen(&c->path, len);
}

/* The value at key when it is a mapping (object) or a list; else NULL. */
static json_t *get_node(struct conv *c, const json_t *obj, const char *key,
			int object)
{
	size_t len = c->path.len;
	json_t *v = enter(c, obj, key, 0);

	if (v && !is_a(c, v, value_mark(c, obj, key),
		       object ? json_is_object(v) : json_is_array(v),
		       object ? "a mapping" : "a list"))
		v = NULL;
	buf_setlen(&c->path, len);
	return v;
}

static json_t *get_object(struct conv *c, const json_t *obj, const char *key)
{
	return get_node(c, obj, key, 1);
}

static json_t *get_list(struct conv *c, const json_t *obj, const char *key)
{
	return get_node(c, obj, key, 0);
}

/* Item i of list when it is a mapping; the path enters it either way. */
static json_t *enter_item(struct conv *c, const json_t *list, size_t i)
{
	json_t *item = json_array_get(list, i);

	path_push_index(&c->path, i);
	if (!is_a(c, item, doc_value_mark(c->doc, list, NULL, i),
		  json_is_object(item), "a mapping"))
		return NULL;
	return item;
}

/* The single settings: workspace:, source: and policy:. */
static void get_settings(struct conv *c, const json_t *root, struct model *m)
{
	json_t *ws = get_object(c, root, "workspace");
	json_t *src = get_object(c, root, "source");
	json_t *policy = get_object(c, root, "policy");
	size_t len = c->path.len;

	if (ws) {
		path_push_key(&c->path, "workspace");
		get_string(c, ws, "name", 1, &m->workspace.name);
		get_bool(c, ws, "create", &m->workspace.create);
		get_bool(c, ws, "copy_sso", &m->workspace.copy_sso);
		get_path(c, ws, "credentials", 0, &m->workspace.credentials);
		get_path(c, ws, "credentials_out", 0,
			 &m->workspace.credentials_out);
		buf_setlen(&c->path, len);
	}
	if (src) {
		path_push_key(&c->path, "source");
		get_path(c, src, "credentials", 1, &m->source_credentials);
		buf_setlen(&c->path, len);
	}
	if (policy) {
		path_push_key(&c->path, "policy");
		get_bool(c, policy, "prune", &m->prune);
		get_long(c, policy, "max_destroy", &m->max_destroy,
			 &m->has_max_destroy);
		buf_setlen(&c->path, len);
	}
}

/* Call fn on every mapping in the list at key of obj, in list order. */
static void each_item(struct conv *c, const json_t *obj, const char *key,
		      void (*fn)(struct conv *, json_t *, struct model *),
		      struct model *m)
{
	json_t *list = get_list(c, obj, key), *item;
	size_t len = c->path.len, at, i;

	path_push_key(&c->path, key);
	at = c->path.len;
	for (i = 0; i < json_array_size(list); i++) {
		if ((item = enter_item(c, list, i)))
			fn(c, item, m);
		buf_setlen(&c->path, at);
	}
	buf_setlen(&c->path, len);
}

static void user_item(struct conv *c, json_t *item, struct model *m)
{
	struct model_user *u = model_add_user(m);

	u->mark = doc_mark(c->doc, item, NULL);
	get_string(c, item, "email", 1, &u->email);
	get_string(c, item, "role", 1, &u->role);
}

static void claim_mapping_item(struct conv *c, json_t *item, struct model *m)
{
	struct model_claim_mapping *cl = model_add_claim_mapping(m);

	/* the rank is the place in the list, counting from 1 */
	cl->rank = (long)m->claim_mappings_nr;
	cl->mark = doc_mark(c->doc, item, NULL);
	get_string(c, item, "claim", 1, &cl->claim);
	get_string(c, item, "value", 1, &cl->value);
	get_string(c, item, "role", 1, &cl->role);
}

static void integration_item(struct conv *c, json_t *item, struct model *m)
{
	struct model_integration *in = model_add_integration(m);

	in->mark = doc_mark(c->doc, item, NULL);
	get_string(c, item, "name", 1, &in->name);
	get_string(c, item, "vendor", 1, &in->vendor);
	/* Not copied: secret values are looked up in the doc by node. */
	in->parameters = json_incref(get_object(c, item, "parameters"));
}

static void runner_item(struct conv *c, json_t *item, struct model *m)
{
	struct model_runner *r = model_add_runner(m);

	r->mark = doc_mark(c->doc, item, NULL);
	get_string(c, item, "name", 1, &r->name);
	get_string(c, item, "platform", 1, &r->platform);
	get_bool(c, item, "allow_cluster_management",
		 &r->allow_cluster_management);
	get_path(c, item, "install_commands_out", 0, &r->install_commands_out);
}

static void get_tags(struct conv *c, const json_t *item,
		     struct model_workflow *w)
{
	json_t *tags = get_list(c, item, "tags");
	size_t len = c->path.len, at, i;
	const char *s;

	w->tags_set = json_object_get(item, "tags") != NULL;
	path_push_key(&c->path, "tags");
	at = c->path.len;
	for (i = 0; i < json_array_size(tags); i++) {
		json_t *t = json_array_get(tags, i);

		path_push_index(&c->path, i);
		s = text_of(c, t, doc_value_mark(c->doc, tags, NULL, i));
		if (s)
			model_workflow_add_tag(w, s);
		buf_setlen(&c->path, at);
	}
	buf_setlen(&c->path, len);
}

static void workflow_item(struct conv *c, json_t *item, struct model *m)
{
	struct model_workflow *w = model_add_workflow(m);
	size_t len = c->path.len;
	char *from = NULL;

	w->mark = doc_mark(c->doc, item, NULL);
	get_string(c, item, "name", 1, &w->name);
	get_string(c, item, "from", 0, &from);
	if (from && strcmp(from, "source")) {
		path_push_key(&c->path, "from");
		diag_add(c->diags, DIAG_ERROR, value_mark(c, item, "from"),
			 c->path.s, "expected 'source', found '%s'", from);
		buf_setlen(&c->path, len);
	}
	w->from_source = from != NULL;
	free(from);
	get_path(c, item, "file", 0, &w->file);
	get_bool(c, item, "publish", &w->published);
	get_tags(c, item, w);
}

static void get_claim_mappings(struct conv *c, const json_t *root,
			       struct model *m)
{
	json_t *cm = get_object(c, root, "claim_mappings");
	size_t len = c->path.len;

	if (!cm)
		return;
	path_push_key(&c->path, "claim_mappings");
	get_bool(c, cm, "copy_from_source", &m->copy_claims_from_source);
	each_item(c, cm, "items", claim_mapping_item, m);
	buf_setlen(&c->path, len);
}

int desired_from_manifest(const struct doc *doc, struct model *out,
			  struct diag_list *diags)
{
	static const struct {
		const char *key;
		unsigned kind;
	} kinds[] = {
		{ "users", MODEL_USERS },
		{ "claim_mappings", MODEL_CLAIM_MAPPINGS },
		{ "integrations", MODEL_INTEGRATIONS },
		{ "step_runners", MODEL_RUNNERS },
		{ "workflows", MODEL_WORKFLOWS },
	};
	struct conv c;
	const json_t *root = doc->root;
	size_t errors = diags->errors, i;
	int ret = -1;

	model_init(out);
	c.doc = doc;
	c.diags = diags;
	buf_init(&c.path);
	if (!json_is_object(root)) {
		diag_add(diags, DIAG_ERROR, root ? doc_mark(doc, root, NULL) :
			 NULL, NULL, "expected the manifest to be a mapping, "
			 "found %s", root ? type_name(root) : "nothing");
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (json_object_get(root, kinds[i].key))
			out->kinds |= kinds[i].kind;
	get_settings(&c, root, out);
	get_claim_mappings(&c, root, out);
	each_item(&c, root, "users", user_item, out);
	each_item(&c, root, "integrations", integration_item, out);
	each_item(&c, root, "step_runners", runner_item, out);
	each_item(&c, root, "workflows", workflow_item, out);
	if (diags->errors == errors)
		ret = 0;
out:
	if (ret)
		model_release(out);
	buf_release(&c.path);
	return ret;
}
