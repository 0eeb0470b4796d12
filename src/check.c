#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "torq/check.h"
#include "torq/identity.h"
#include "torq/path.h"
#include "torq/suggest.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

const char *const check_preset_roles[] = {
	"Owner", "Contributor", "Creator", "Operator", "Viewer",
	"Interact Only", "Cases Viewer", "Workspace Viewer", "Cases Analyst",
	"Cases Contributor", NULL
};

/* Step runners a workspace may have before Torq support raises it. */
#define RUNNER_QUOTA 10

static const struct mark *mark_of(const struct doc *doc, json_t *obj,
				  const char *key)
{
	if (key && json_object_get(obj, key))
		return doc_value_mark(doc, obj, key, 0);
	return doc_mark(doc, obj, NULL);
}

static void item_path(struct buf *path, const char *list, size_t i,
		      const char *field)
{
	buf_reset(path);
	buf_addstr(path, list);
	path_push_index(path, i);
	if (field)
		path_push_key(path, field);
}

/*
 * Report each item whose identity an earlier item has, with the first one's
 * place. One hash map from key to first index keeps this linear: a
 * manifest may list a hundred thousand users.
 */
static void check_duplicates(const struct doc *doc, json_t *list,
			     const char *list_path,
			     const struct identity_rule *rule,
			     struct diag_list *diags)
{
	struct buf key = BUF_INIT, label = BUF_INIT;
	struct buf path = BUF_INIT;
	json_t *first_of = json_object();
	json_t *x, *y, *seen;
	size_t i, j;

	if (!first_of)
		abort();
	json_array_foreach(list, i, x) {
		const struct mark *m;
		struct mark first;

		buf_reset(&key);
		if (identity_key(rule, x, &key))
			continue;
		seen = json_object_get(first_of, key.s);
		if (!seen) {
			/* Keys are compared as bytes: no UTF-8 check. */
			json_object_set_new_nocheck(first_of, key.s,
						    json_integer(i));
			continue;
		}
		j = (size_t)json_integer_value(seen);
		y = json_array_get(list, j);
		buf_reset(&label);
		identity_label(rule, x, &label);
		item_path(&path, list_path, i, rule->field);
		diag_add(diags, DIAG_ERROR, mark_of(doc, x, rule->field),
			 path.s, "duplicate %s '%s'", rule->kind, label.s);
		m = mark_of(doc, y, rule->field);
		if (m) {
			first = *m;
			item_path(&path, list_path, j, rule->field);
			diag_add(diags, DIAG_NOTE, &first, path.s,
				 "'%s' is first listed here", label.s);
		}
	}
	json_decref(first_of);
	buf_release(&key);
	buf_release(&label);
	buf_release(&path);
}

static void check_role(const struct doc *doc, json_t *item,
		       const char *path, struct diag_list *diags)
{
	const char *role = json_string_value(json_object_get(item, "role"));
	const char *hint;
	size_t i;

	if (!role || !*role)
		return;
	for (i = 0; check_preset_roles[i]; i++)
		if (!strcasecmp(role, check_preset_roles[i]))
			return;
	hint = suggest(role, check_preset_roles,
		       ARRAY_SIZE(check_preset_roles) - 1);
	if (hint)
		diag_add(diags, DIAG_WARNING, mark_of(doc, item, "role"), path,
			 "'%s' is not a Torq preset role; did you mean '%s'? "
			 "(custom roles must exist in the workspace)",
			 role, hint);
	else
		diag_add(diags, DIAG_WARNING, mark_of(doc, item, "role"), path,
			 "'%s' is not a Torq preset role; it must exist in "
			 "the workspace as a custom role", role);
}

static void check_roles(const struct doc *doc, json_t *list,
			const char *list_path, struct diag_list *diags)
{
	struct buf path = BUF_INIT;
	json_t *item;
	size_t i;

	json_array_foreach(list, i, item) {
		if (!json_is_object(item))
			continue;
		item_path(&path, list_path, i, "role");
		check_role(doc, item, path.s, diags);
	}
	buf_release(&path);
}

static void check_workflows(const struct doc *doc, json_t *root,
			    struct diag_list *diags)
{
	json_t *list = json_object_get(root, "workflows"), *w;
	int have_source = json_is_object(json_object_get(root, "source"));
	struct buf path = BUF_INIT, file = BUF_INIT;
	size_t i;

	json_array_foreach(list, i, w) {
		json_t *from, *f;
		const struct mark *m;
		struct stat st;

		if (!json_is_object(w))
			continue;
		from = json_object_get(w, "from");
		f = json_object_get(w, "file");
		item_path(&path, "workflows", i, NULL);
		if (!from && !f) {
			diag_add(diags, DIAG_ERROR, mark_of(doc, w, NULL),
				 path.s, "workflow '%s' needs 'from: source' "
				 "or 'file: PATH'",
				 json_string_value(json_object_get(w, "name")) ?
				 json_string_value(json_object_get(w, "name")) :
				 "?");
		} else if (from && f) {
			item_path(&path, "workflows", i, "file");
			diag_add(diags, DIAG_ERROR, mark_of(doc, w, "file"),
				 path.s, "a workflow comes either 'from: "
				 "source' or from a 'file:', not both");
		}
		if (from && !have_source) {
			item_path(&path, "workflows", i, "from");
			diag_add(diags, DIAG_ERROR, mark_of(doc, w, "from"),
				 path.s, "'from: source' needs a 'source:' "
				 "section naming the template workspace");
		}
		if (!json_is_string(f))
			continue;
		m = doc_mark(doc, f, NULL);
		buf_reset(&file);
		path_relative_to(m && m->file ? m->file : ".",
				 json_string_value(f), &file);
		item_path(&path, "workflows", i, "file");
		if (stat(file.s, &st))
			diag_add(diags, DIAG_ERROR, m, path.s,
				 "cannot read workflow file '%s': %s", file.s,
				 strerror(errno));
		else if (!S_ISREG(st.st_mode))
			diag_add(diags, DIAG_ERROR, m, path.s,
				 "workflow file '%s' is not a regular file",
				 file.s);
	}
	buf_release(&path);
	buf_release(&file);
}

static void check_runners(const struct doc *doc, json_t *root,
			  struct diag_list *diags)
{
	json_t *list = json_object_get(root, "step_runners"), *r;
	struct buf path = BUF_INIT;
	size_t i;

	json_array_foreach(list, i, r) {
		const char *platform;

		if (!json_is_object(r))
			continue;
		platform = json_string_value(json_object_get(r, "platform"));
		if (json_is_true(json_object_get(r,
				 "allow_cluster_management")) &&
		    platform && strcmp(platform, "kubernetes")) {
			item_path(&path, "step_runners", i,
				  "allow_cluster_management");
			diag_add(diags, DIAG_ERROR,
				 mark_of(doc, r, "allow_cluster_management"),
				 path.s, "allow_cluster_management applies "
				 "only to kubernetes runners, not '%s'",
				 platform);
		}
	}
	if (json_array_size(list) > RUNNER_QUOTA)
		diag_add(diags, DIAG_WARNING, mark_of(doc, list, NULL),
			 "step_runners", "%zu step runners; Torq allows %d "
			 "per workspace unless support raises the quota",
			 json_array_size(list), RUNNER_QUOTA);
	buf_release(&path);
}

static void check_workspace(const struct doc *doc, json_t *root,
			    struct diag_list *diags)
{
	json_t *ws = json_object_get(root, "workspace");
	json_t *cm = json_object_get(root, "claim_mappings");
	int create;

	if (json_is_object(ws)) {
		create = json_is_true(json_object_get(ws, "create"));
		if (create && !json_object_get(ws, "credentials_out"))
			diag_add(diags, DIAG_WARNING, mark_of(doc, ws, "create"),
				 "workspace.create", "without credentials_out "
				 "the new workspace's API key, shown once, is "
				 "lost when this run ends");
		if (!create && json_is_true(json_object_get(ws, "copy_sso")))
			diag_add(diags, DIAG_WARNING,
				 mark_of(doc, ws, "copy_sso"),
				 "workspace.copy_sso", "copy_sso only takes "
				 "effect when the workspace is created "
				 "(create: true)");
	}
	if (json_is_object(cm) &&
	    json_is_true(json_object_get(cm, "copy_from_source")) &&
	    !json_is_object(json_object_get(root, "source")))
		diag_add(diags, DIAG_ERROR,
			 mark_of(doc, cm, "copy_from_source"),
			 "claim_mappings.copy_from_source", "copy_from_source "
			 "needs a 'source:' section naming the template "
			 "workspace");
}

void check_manifest(const struct doc *doc, struct diag_list *diags)
{
	static const char *const lists[] = {
		"users", "integrations", "step_runners", "workflows",
	};
	json_t *root = doc->root, *cm_items;
	size_t i;

	if (!json_is_object(root))
		return;
	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		json_t *list = json_object_get(root, lists[i]);

		if (json_is_array(list))
			check_duplicates(doc, list, lists[i],
					 identity_rule_for(lists[i]), diags);
	}
	cm_items = json_object_get(json_object_get(root, "claim_mappings"),
				   "items");
	if (json_is_array(cm_items)) {
		check_duplicates(doc, cm_items, "claim_mappings.items",
				 identity_rule_for("claim_mappings.items"),
				 diags);
		check_roles(doc, cm_items, "claim_mappings.items", diags);
	}
	if (json_is_array(json_object_get(root, "users")))
		check_roles(doc, json_object_get(root, "users"), "users",
			    diags);
	check_workspace(doc, root, diags);
	check_runners(doc, root, diags);
	check_workflows(doc, root, diags);
}
