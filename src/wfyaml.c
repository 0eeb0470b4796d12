#include <stdlib.h>
#include <string.h>

#include "torq/wfyaml.h"
#include "torq/load.h"
#include "torq/sha256.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

int wfyaml_load(const char *name, const char *yaml, size_t len,
		json_t **root, struct buf *err)
{
	struct doc doc;
	struct diag_list diags;
	const struct diag *d;
	int ret = -1;

	*root = NULL;
	doc_init(&doc);
	diag_list_init(&diags, 1);
	if (!load_buffer(&doc, name, yaml, len, root, &diags)) {
		ret = 0;
		goto out;
	}
	/* a tree kept for later diagnostics is of no use here */
	json_decref(*root);
	*root = NULL;
	d = diags.nr ? &diags.items[0] : NULL;
	if (d && d->mark.line)
		buf_addf(err, "%s: line %u, column %u: %s", name, d->mark.line,
			 d->mark.col, d->message);
	else
		buf_addf(err, "%s: %s", name, d ? d->message :
			 "not valid YAML");
out:
	diag_list_release(&diags);
	doc_release(&doc);
	return ret;
}

int wfyaml_digest(const char *name, const char *yaml, size_t len,
		  char out[65], struct buf *err)
{
	json_t *root = NULL;
	char *text = NULL;
	int ret = -1;

	if (wfyaml_load(name, yaml, len, &root, err))
		goto out;
	text = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT |
			  JSON_ENCODE_ANY);
	if (!text) {
		buf_addf(err, "%s: cannot be written as JSON", name);
		goto out;
	}
	sha256_hex(text, strlen(text), out);
	ret = 0;
out:
	free(text);
	json_decref(root);
	return ret;
}

struct names {
	char **items;
	size_t nr, alloc;
};

static void collect_nested(const json_t *node, struct names *n)
{
	const char *key, *type, *target;
	json_t *v;
	size_t i;

	if (json_is_array(node)) {
		json_array_foreach(node, i, v)
			collect_nested(v, n);
		return;
	}
	if (!json_is_object(node))
		return;
	type = json_string_value(json_object_get(node, "type"));
	target = json_string_value(json_object_get(node, "workflow"));
	if (type && target && !strcmp(type, "nested")) {
		ALLOC_GROW(n->items, n->nr + 1, n->alloc);
		n->items[n->nr++] = xstrdup(target);
	}
	json_object_foreach((json_t *)node, key, v)
		collect_nested(v, n);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int wfyaml_nested(const char *name, const char *yaml, size_t len,
		  char ***out, size_t *nr, struct buf *err)
{
	struct names n = { NULL, 0, 0 };
	json_t *root = NULL;
	size_t i, kept = 0;
	int ret = -1;

	*out = NULL;
	*nr = 0;
	if (wfyaml_load(name, yaml, len, &root, err))
		goto out;
	collect_nested(root, &n);
	if (n.nr)
		qsort(n.items, n.nr, sizeof(*n.items), cmp_str);
	for (i = 0; i < n.nr; i++) {
		if (kept && !strcmp(n.items[kept - 1], n.items[i]))
			free(n.items[i]);
		else
			n.items[kept++] = n.items[i];
	}
	*out = n.items;
	*nr = kept;
	ret = 0;
out:
	json_decref(root);
	return ret;
}
