#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "torq/resolve.h"
#include "torq/identity.h"
#include "torq/load.h"
#include "torq/path.h"
#include "torq/secretcmd.h"
#include "torq/suggest.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

void varset_init(struct varset *v)
{
	memset(v, 0, sizeof(*v));
}

void varset_release(struct varset *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nr; i++) {
		free(v->items[i].name);
		free(v->items[i].value);
	}
	free(v->items);
	varset_init(v);
}

void varset_set(struct varset *v, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < v->nr; i++) {
		if (!strcmp(v->items[i].name, name)) {
			free(v->items[i].value);
			v->items[i].value = xstrdup(value);
			return;
		}
	}
	ALLOC_GROW(v->items, v->nr + 1, v->alloc);
	v->items[v->nr].name = xstrdup(name);
	v->items[v->nr].value = xstrdup(value);
	v->nr++;
}

const char *varset_get(const struct varset *v, const char *name)
{
	size_t i;

	for (i = 0; v && i < v->nr; i++)
		if (!strcmp(v->items[i].name, name))
			return v->items[i].value;
	return NULL;
}

int var_name_ok(const char *name, size_t len)
{
	size_t i;

	if (!len || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

int varset_parse(struct varset *v, const char *arg, struct buf *err)
{
	const char *eq = strchr(arg, '=');
	char *name;

	if (!eq) {
		buf_addf(err, "--var '%s' is not of the form NAME=VALUE", arg);
		return -1;
	}
	if (!var_name_ok(arg, (size_t)(eq - arg))) {
		buf_addf(err, "--var '%.*s': a variable name is letters, "
			 "digits and _, not starting with a digit",
			 (int)(eq - arg), arg);
		return -1;
	}
	name = xstrndup(arg, (size_t)(eq - arg));
	varset_set(v, name, eq + 1);
	free(name);
	return 0;
}

/* The shortest text that reads back as d: 1.1, not 1.1000000000000001. */
static void add_shortest_real(struct buf *out, double d)
{
	char tmp[32];
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
	buf_addstr(out, tmp);
}

/* The text a scalar stands for in a string: "3", "true", "x". */
static int scalar_text(const json_t *v, struct buf *out)
{
	if (json_is_string(v))
		buf_add(out, json_string_value(v), json_string_length(v));
	else if (json_is_true(v))
		buf_addstr(out, "true");
	else if (json_is_false(v))
		buf_addstr(out, "false");
	else if (json_is_integer(v))
		buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		add_shortest_real(out, json_real_value(v));
	else
		return -1;
	return 0;
}

int varset_load_file(struct varset *v, struct doc *doc, const char *path,
		     struct diag_list *diags)
{
	json_t *root = NULL, *val;
	const char *key;
	struct buf text = BUF_INIT;
	size_t errors = diags->errors;
	int ret = -1;

	if (load_file(doc, path, &root, diags))
		goto out;
	if (!json_is_object(root)) {
		diag_add(diags, DIAG_ERROR, doc_mark(doc, root, NULL), NULL,
			 "a variable file is a mapping of names to values");
		goto out;
	}
	json_object_foreach(root, key, val) {
		buf_reset(&text);
		if (!var_name_ok(key, strlen(key))) {
			diag_add(diags, DIAG_ERROR, doc_mark(doc, root, key),
				 NULL, "invalid variable name '%s'; use "
				 "letters, digits and _", key);
			continue;
		}
		if (scalar_text(val, &text)) {
			diag_add(diags, DIAG_ERROR,
				 doc_value_mark(doc, root, key, 0),
				 key, "variable '%s' must be a string, number "
				 "or boolean", key);
			continue;
		}
		varset_set(v, key, text.s);
	}
	if (diags->errors == errors)
		ret = 0;
out:
	json_decref(root);
	buf_release(&text);
	return ret;
}

/* --- extends ----------------------------------------------------------- */

static json_t *merge(struct doc *doc, json_t *base, json_t *over,
		     struct buf *path);

static void copy_node_mark(struct doc *doc, json_t *from, json_t *to)
{
	const struct mark *m = doc_mark(doc, from, NULL);
	struct mark tmp;

	if (!m)
		return;
	tmp = *m;
	doc_set_mark(doc, to, NULL, &tmp);
}

/* Merge two lists of named objects by identity; over wins. */
static json_t *merge_named(struct doc *doc, const struct identity_rule *rule,
			   json_t *base, json_t *over, struct buf *path)
{
	json_t *res = json_array(), *b, *o;
	struct buf kb = BUF_INIT, ko = BUF_INIT;
	char *used;
	size_t i, j;

	used = xcalloc(json_array_size(over) + 1, 1);
	json_array_foreach(base, i, b) {
		json_t *m = NULL;

		buf_reset(&kb);
		if (!identity_key(rule, b, &kb)) {
			json_array_foreach(over, j, o) {
				buf_reset(&ko);
				if (used[j] || identity_key(rule, o, &ko) ||
				    strcmp(kb.s, ko.s))
					continue;
				used[j] = 1;
				m = merge(doc, b, o, path);
				break;
			}
		}
		json_array_append_new(res, m ? m : doc_deep_copy(doc, b));
	}
	json_array_foreach(over, j, o)
		if (!used[j])
			json_array_append_new(res, doc_deep_copy(doc, o));
	copy_node_mark(doc, over, res);
	free(used);
	buf_release(&kb);
	buf_release(&ko);
	return res;
}

/* A new tree: base with over laid on top (over wins). */
static json_t *merge(struct doc *doc, json_t *base, json_t *over,
		     struct buf *path)
{
	const struct identity_rule *rule;
	json_t *res, *v;
	const char *key;

	if (json_is_object(base) && json_is_object(over)) {
		res = doc_deep_copy(doc, base);
		json_object_foreach(over, key, v) {
			size_t len = path->len;
			json_t *b = json_object_get(res, key);
			const struct mark *km;

			if (len)
				buf_addch(path, '.');
			buf_addstr(path, key);
			json_object_set_new(res, key, b ?
					    merge(doc, b, v, path) :
					    doc_deep_copy(doc, v));
			buf_setlen(path, len);
			if (doc_shared_node(v) &&
			    (km = doc_value_mark(doc, over, key, 0))) {
				struct mark tmp = *km;

				doc_set_value_mark(doc, res, key, 0, &tmp);
			}
			km = doc_mark(doc, over, key);
			if (km) {
				struct mark tmp = *km;

				doc_set_mark(doc, res, key, &tmp);
			}
		}
		copy_node_mark(doc, over, res);
		return res;
	}
	rule = identity_rule_for(path->s);
	if (rule && json_is_array(base) && json_is_array(over))
		return merge_named(doc, rule, base, over, path);
	return doc_deep_copy(doc, over);
}

struct chain {
	char *real[RESOLVE_MAX_EXTENDS + 1];
	const char *shown[RESOLVE_MAX_EXTENDS + 1];
	size_t nr;
	const char *root;	/* the tree templates must be in */
	unsigned flags;
};

/* 1 when path is root or below it (both canonical). */
static int is_under(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return 1;
	return !strncmp(root, path, n) && (!path[n] || path[n] == '/');
}

static int has_yaml_suffix(const char *path)
{
	size_t n = strlen(path);

	return (n > 5 && !strcasecmp(path + n - 5, ".yaml")) ||
	       (n > 4 && !strcasecmp(path + n - 4, ".yml"));
}

/* realpath, or for a file that does not exist its normalized absolute path. */
static char *absolute_path(const char *path)
{
	struct buf from = BUF_INIT, abs = BUF_INIT;
	char *real = realpath(path, NULL), *cwd;

	if (real)
		return real;
	cwd = *path == '/' ? NULL : realpath(".", NULL);
	/* relative to a file in cwd: normalizes "..", "." and "//" */
	buf_addf(&from, "%s/x", cwd ? cwd : "");
	path_relative_to(from.s, path, &abs);
	free(cwd);
	buf_release(&from);
	return buf_detach(&abs, NULL);
}

void resolve_tree_root(const char *top, struct buf *out)
{
	struct buf dir = BUF_INIT, probe = BUF_INIT;
	struct stat st;
	char *real, *cwd = NULL;

	path_dirname(top, &dir);
	real = realpath(dir.s, NULL);
	if (!real)
		real = xstrdup(dir.s);
	/* the git work tree that holds the manifest */
	buf_addstr(&probe, real);
	while (probe.len) {
		size_t len = probe.len;

		buf_addstr(&probe, "/.git");
		if (!stat(probe.s, &st)) {
			buf_setlen(&probe, len);
			buf_addstr(out, len ? probe.s : "/");
			goto out;
		}
		buf_setlen(&probe, len);
		while (probe.len && probe.s[probe.len - 1] != '/')
			probe.len--;
		if (probe.len)
			probe.len--;
		buf_setlen(&probe, probe.len);
	}
	/* else the current directory, when it holds the manifest */
	cwd = realpath(".", NULL);
	if (cwd && strcmp(cwd, "/") && is_under(cwd, real)) {
		buf_addstr(out, cwd);
		goto out;
	}
	buf_addstr(out, real);
out:
	free(cwd);
	free(real);
	buf_release(&dir);
	buf_release(&probe);
}

int resolve_template_allowed(const char *root, const char *shown,
			     const char *real, unsigned flags, struct buf *err)
{
	if (flags & RESOLVE_EXTENDS_ANYWHERE)
		return 0;
	if (!has_yaml_suffix(shown) || !has_yaml_suffix(real)) {
		buf_addf(err, "'%s' is not a .yaml or .yml file; refusing to "
			 "read it (--allow-extends-outside reads it anyway)",
			 shown);
		return -1;
	}
	if (!is_under(root, real)) {
		buf_addf(err, "'%s' is outside the manifest's tree (its "
			 "git work tree, else the current directory); "
			 "refusing to read it (--allow-extends-outside reads "
			 "it anyway)", shown);
		return -1;
	}
	return 0;
}

static json_t *load_chain(struct doc *doc, const char *path,
			  struct chain *chain, struct diag_list *diags)
{
	json_t *root = NULL, *base = NULL, *ext, *res = NULL;
	struct buf base_path = BUF_INIT, msg = BUF_INIT, empty = BUF_INIT;
	const struct mark *em;
	struct mark m;
	struct stat st;
	char *real = NULL;
	size_t i;

	/* A file with recoverable errors still goes on, for more diagnostics. */
	load_file(doc, path, &root, diags);
	/*
	 * A template that is not a YAML mapping, or that only its owner
	 * may read (as a key file), is not quoted in diagnostics: what
	 * extends: names may be a secret. The manifest named on the
	 * command line is the user's own and is quoted.
	 */
	if (chain->nr > 1 && (!json_is_object(root) || stat(path, &st) ||
			      !(st.st_mode & (S_IRGRP | S_IROTH))))
		doc_hide_source(doc, path);
	if (!root)
		goto out;
	ext = json_is_object(root) ? json_object_get(root, "extends") : NULL;
	if (!json_is_string(ext)) {
		/* No template; a non-string extends is the schema's to report. */
		res = json_incref(root);
		goto out;
	}
	em = doc_mark(doc, ext, NULL);
	m = em ? *em : (struct mark){ path, 0, 0, 0 };
	path_relative_to(path, json_string_value(ext), &base_path);
	/* Judged before any access, so no answer tells what exists. */
	real = absolute_path(base_path.s);
	if (resolve_template_allowed(chain->root, base_path.s, real,
				     chain->flags, &msg)) {
		diag_add(diags, DIAG_ERROR, &m, "extends", "template %s",
			 msg.s);
		goto out;
	}
	if (access(base_path.s, R_OK)) {
		diag_add(diags, DIAG_ERROR, &m, "extends",
			 "cannot read template '%s': %s", base_path.s,
			 strerror(errno));
		goto out;
	}
	for (i = 0; i < chain->nr; i++) {
		if (strcmp(chain->real[i], real))
			continue;
		for (; i < chain->nr; i++)
			buf_addf(&msg, "%s -> ", chain->shown[i]);
		buf_addstr(&msg, base_path.s);
		diag_add(diags, DIAG_ERROR, &m, "extends",
			 "extends cycle: %s", msg.s);
		goto out;
	}
	/* chain holds the manifest itself and the templates so far */
	if (chain->nr > RESOLVE_MAX_EXTENDS) {
		diag_add(diags, DIAG_ERROR, &m, "extends",
			 "templates nest deeper than %d levels",
			 RESOLVE_MAX_EXTENDS);
		goto out;
	}
	chain->real[chain->nr] = real;
	chain->shown[chain->nr] = base_path.s;
	chain->nr++;
	base = load_chain(doc, base_path.s, chain, diags);
	chain->nr--;
	if (!base)
		goto out;
	if (!json_is_object(base)) {
		diag_add(diags, DIAG_ERROR, &m, "extends",
			 "template '%s' is not a mapping", base_path.s);
		goto out;
	}
	json_object_del(root, "extends");
	res = merge(doc, base, root, &empty);
out:
	json_decref(root);
	json_decref(base);
	free(real);
	buf_release(&base_path);
	buf_release(&msg);
	buf_release(&empty);
	return res;
}

/* --- substitution -------------------------------------------------------- */

struct subst {
	struct doc *doc;
	const struct varset *cli;
	json_t *vars;		/* the manifest's vars:, borrowed */
	unsigned flags;
	struct diag_list *diags;
	struct buf path;
	size_t cmd;		/* the command a REF_SECRET_CMD stands for */
};

static void var_names(const struct subst *s, const char ***names, size_t *n)
{
	const char *key;
	json_t *v;
	size_t i, alloc = 0;

	*names = NULL;
	*n = 0;
	for (i = 0; s->cli && i < s->cli->nr; i++) {
		ALLOC_GROW(*names, *n + 1, alloc);
		(*names)[(*n)++] = s->cli->items[i].name;
	}
	json_object_foreach(s->vars, key, v) {
		ALLOC_GROW(*names, *n + 1, alloc);
		(*names)[(*n)++] = key;
	}
}

enum var_lookup { VAR_FOUND, VAR_UNDEFINED, VAR_NOT_SCALAR };

/* The value of a variable: the command line's, else the manifest's. */
static enum var_lookup lookup_var(struct subst *s, const char *name,
				  struct buf *out)
{
	const char *v = varset_get(s->cli, name);
	json_t *mv;

	if (v) {
		buf_addstr(out, v);
		return VAR_FOUND;
	}
	mv = json_object_get(s->vars, name);
	if (!mv)
		return VAR_UNDEFINED;
	return scalar_text(mv, out) ? VAR_NOT_SCALAR : VAR_FOUND;
}

enum ref_kind {
	REF_NONE, REF_VAR, REF_ENV, REF_SECRET, REF_SECRET_ABSENT,
	REF_SECRET_CMD,		/* its value comes when s->cmd has run */
};

static void report_undefined(struct subst *s, const struct mark *m,
			     const char *name)
{
	const char **names;
	const char *hint;
	size_t n;

	var_names(s, &names, &n);
	hint = suggest(name, names, n);
	if (hint)
		diag_add(s->diags, DIAG_ERROR, m, s->path.s,
			 "undefined variable '%s'; did you mean '%s'?", name,
			 hint);
	else
		diag_add(s->diags, DIAG_ERROR, m, s->path.s,
			 "undefined variable '%s'; set it with --var "
			 "%s=VALUE, --var-file or vars:", name, name);
	free(names);
}

/* Severity of an unreadable secret: validate runs without secrets. */
static enum diag_severity secret_severity(const struct subst *s)
{
	return s->flags & RESOLVE_SECRETS_OPTIONAL ? DIAG_WARNING : DIAG_ERROR;
}

static int read_secret_file(struct subst *s, const struct mark *m,
			    const char *rel, struct buf *out)
{
	struct buf path = BUF_INIT, data = BUF_INIT;
	int ret = -1;

	path_relative_to(m && m->file ? m->file : ".", rel, &path);
	if (buf_read_file(&data, path.s, RESOLVE_MAX_SECRET_FILE)) {
		diag_add(s->diags, secret_severity(s), m, s->path.s,
			 "cannot read secret file '%s': %s", path.s,
			 errno == EFBIG ? "larger than 1 MiB" :
			 strerror(errno));
		goto out;
	}
	if (data.len && data.s[data.len - 1] == '\n')
		data.len--;
	if (data.len && data.s[data.len - 1] == '\r')
		data.len--;
	buf_add(out, data.s, data.len);
	ret = 0;
out:
	secure_zero(data.s, data.alloc);
	buf_release(&data);
	buf_release(&path);
	return ret;
}

/*
 * Where the reference that starts after "${" at p ends (its '}'), or NULL.
 * A command's reference may hold references: ${secret:cmd:pass show
 * ${client}/key} ends at the second '}', as does ${secret:cmd:echo
 * $${x}} (whose command is "echo ${x}").
 */
static const char *ref_end(const char *p)
{
	int depth = 1;

	if (strncmp(p, "secret:cmd:", 11))
		return strchr(p, '}');
	for (; *p; p++) {
		/* a literal "$${x}" keeps its braces paired too */
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			depth++;
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			depth++;
			p++;
		} else if (*p == '}' && !--depth) {
			return p;
		}
	}
	return NULL;
}

static int expand_ref(struct subst *s, const struct mark *m, const char *ref,
		      struct buf *value);

/*
 * The text of a command with its variables and environment references
 * expanded; a secret reference in it is an error (argv is no place for
 * one: any user of the machine may read it).
 */
static int expand_cmd_text(struct subst *s, const struct mark *m,
			   const char *body, struct buf *out)
{
	struct buf ref = BUF_INIT;
	const char *p = body, *end;
	int ret = -1;

	while (*p) {
		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			buf_addstr(out, "${");
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			buf_addch(out, *p++);
			continue;
		}
		end = strchr(p + 2, '}');
		if (!end)
			break;	/* ref_end found none such */
		buf_reset(&ref);
		buf_add(&ref, p + 2, (size_t)(end - p - 2));
		if (!strncmp(ref.s, "secret:", 7)) {
			diag_add(s->diags, DIAG_ERROR, m, s->path.s,
				 "'${%s}' inside ${secret:cmd:...}: a command "
				 "cannot hold a secret, as any user of the "
				 "machine may read its arguments", ref.s);
			goto out;
		}
		if (expand_ref(s, m, ref.s, out) < 0)
			goto out;
		p = end + 1;
	}
	ret = 0;
out:
	buf_release(&ref);
	return ret;
}

/*
 * ${secret:cmd:COMMAND}: expand, split into words (secretcmd.h) and find
 * the program. validate stops there (a missing program is a warning);
 * plan and apply add the command to the doc's list, to be run while the
 * workspace is read, and set s->cmd.
 */
static int expand_cmd(struct subst *s, const struct mark *m, const char *body)
{
	struct buf text = BUF_INIT, err = BUF_INIT, prog = BUF_INIT;
	struct secretcmd_words w;
	int ret = -1;

	secretcmd_words_init(&w);
	if (expand_cmd_text(s, m, body, &text))
		goto out;
	if (secretcmd_split(text.s, &w, &err)) {
		diag_add(s->diags, DIAG_ERROR, m, s->path.s,
			 "${secret:cmd:...}: %s", err.s);
		goto out;
	}
	if (secretcmd_find(w.v[0], getenv("PATH"), &prog)) {
		diag_add(s->diags, secret_severity(s), m, s->path.s,
			 strchr(w.v[0], '/') ?
			 "command '%s' of ${secret:cmd:...} is not an "
			 "executable file; the secret is needed to plan and "
			 "apply" :
			 "command '%s' of ${secret:cmd:...} is not found in "
			 "PATH; the secret is needed to plan and apply",
			 w.v[0]);
		ret = secret_severity(s) == DIAG_ERROR ? -1 :
		      REF_SECRET_ABSENT;
		goto out;
	}
	if (s->flags & RESOLVE_SECRETS_OPTIONAL) {
		ret = REF_SECRET_ABSENT;	/* validate runs nothing */
		goto out;
	}
	s->cmd = secretcmd_list_add(&s->doc->cmds, &w,
				    buf_detach(&prog, NULL), m, s->path.s);
	ret = REF_SECRET_CMD;
out:
	secretcmd_words_release(&w);
	buf_release(&text);
	buf_release(&err);
	buf_release(&prog);
	return ret;
}

/*
 * Expand the references of one reference body (between "${" and "}") into
 * value. Returns the kind, or -1 after reporting an error.
 */
static int expand_ref(struct subst *s, const struct mark *m, const char *ref,
		      struct buf *value)
{
	const char *name;

	if (!strncmp(ref, "secret:cmd:", 11))
		return expand_cmd(s, m, ref + 11);

	if (!strncmp(ref, "secret:env:", 11) || !strncmp(ref, "env:", 4)) {
		int secret = ref[0] == 's';
		const char *v;

		name = ref + (secret ? 11 : 4);
		v = getenv(name);
		if (!var_name_ok(name, strlen(name))) {
			diag_add(s->diags, DIAG_ERROR, m, s->path.s,
				 "invalid environment variable name '%s'",
				 name);
			return -1;
		}
		if (!v && secret) {
			diag_add(s->diags, secret_severity(s), m, s->path.s,
				 "environment variable '%s' is not set; the "
				 "secret is needed to plan and apply", name);
			return secret_severity(s) == DIAG_ERROR ? -1 :
			       REF_SECRET_ABSENT;
		}
		if (!v) {
			diag_add(s->diags, DIAG_ERROR, m, s->path.s,
				 "environment variable '%s' is not set", name);
			return -1;
		}
		buf_addstr(value, v);
		return secret ? REF_SECRET : REF_ENV;
	}
	if (!strncmp(ref, "secret:file:", 12)) {
		if (!ref[12]) {
			diag_add(s->diags, DIAG_ERROR, m, s->path.s,
				 "'${secret:file:}' needs a file name");
			return -1;
		}
		if (!read_secret_file(s, m, ref + 12, value))
			return REF_SECRET;
		return secret_severity(s) == DIAG_ERROR ? -1 :
		       REF_SECRET_ABSENT;
	}
	if (!var_name_ok(ref, strlen(ref))) {
		diag_add(s->diags, DIAG_ERROR, m, s->path.s,
			 "unknown reference '${%s}'; use ${name}, "
			 "${env:NAME}, ${secret:env:NAME}, "
			 "${secret:file:PATH} or ${secret:cmd:COMMAND}",
			 ref);
		return -1;
	}
	switch (lookup_var(s, ref, value)) {
	case VAR_FOUND:
		return REF_VAR;
	case VAR_NOT_SCALAR:
		diag_add(s->diags, DIAG_ERROR, m, s->path.s,
			 "variable '%s' is not a string, number or boolean",
			 ref);
		return -1;
	case VAR_UNDEFINED:
		break;
	}
	report_undefined(s, m, ref);
	return -1;
}

/* Set a string node's text; jansson refuses text that is not UTF-8. */
static void set_text(struct subst *s, json_t *node, const struct mark *m,
		     const struct buf *text)
{
	if (json_string_setn(node, text->s, text->len))
		diag_add(s->diags, DIAG_ERROR, m, s->path.s,
			 "the value after substitution is not valid UTF-8");
}

/*
 * Substitute one string node. Builds two texts side by side: value, the
 * full expansion, and tree, the same with secret references left as
 * written. Returns a new node to put in its place, or NULL to keep the node
 * (which may have been changed in place).
 */
static json_t *subst_string(struct subst *s, json_t *node)
{
	const char *str = json_string_value(node), *p;
	const struct mark *mp = doc_mark(s->doc, node, NULL);
	struct mark m = mp ? *mp : (struct mark){ NULL, 0, 0, 0 };
	struct buf tree = BUF_INIT, value = BUF_INIT, ref = BUF_INIT;
	struct buf exp = BUF_INIT;
	int whole = 0, secret = 0, absent = 0, failed = 0;
	/* ${secret:cmd:...}: where each command's answer goes in value */
	size_t cmd_at[8], cmd_of[8], cmds = 0;
	json_t *res = NULL;
	const char *why = NULL;

	if (!strchr(str, '$'))
		return NULL;
	for (p = str; *p;) {
		const char *start = p, *end;
		int kind;

		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			buf_addstr(&tree, "${");
			buf_addstr(&value, "${");
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			buf_addch(&tree, *p);
			buf_addch(&value, *p);
			p++;
			continue;
		}
		end = ref_end(p + 2);
		if (!end) {
			diag_add(s->diags, DIAG_ERROR, &m, s->path.s,
				 "unterminated '${' in '%s'; write '$${' "
				 "for a literal '${'", str);
			failed = 1;
			break;
		}
		buf_reset(&ref);
		buf_add(&ref, p + 2, (size_t)(end - p - 2));
		p = end + 1;
		whole = start == str && !*p;
		buf_reset(&exp);
		kind = expand_ref(s, &m, ref.s, &exp);
		if (kind < 0) {
			failed = 1;
			continue;
		}
		buf_add(&value, exp.s, exp.len);
		if (kind == REF_SECRET_CMD && cmds == ARRAY_SIZE(cmd_at)) {
			diag_add(s->diags, DIAG_ERROR, &m, s->path.s,
				 "more than %zu ${secret:cmd:...} in one "
				 "value", ARRAY_SIZE(cmd_at));
			failed = 1;
			break;
		}
		if (kind == REF_SECRET_CMD) {
			cmd_at[cmds] = value.len;
			cmd_of[cmds++] = s->cmd;
		}
		if (kind == REF_SECRET_ABSENT) {
			absent = 1;
			buf_add(&tree, start, (size_t)(p - start));
		} else if (kind == REF_SECRET || kind == REF_SECRET_CMD) {
			secret = 1;
			buf_add(&tree, start, (size_t)(p - start));
		} else {
			buf_add(&tree, exp.s, exp.len);
		}
		secure_zero(exp.s, exp.alloc);
	}
	if (failed)
		goto out;
	if (absent) {
		/*
		 * Keep the reference text; there is no value to hold, but the
		 * node is still a secret, so a check that refuses secrets
		 * (in a name, say) refuses it without the value too.
		 */
		set_text(s, node, &m, &tree);
		doc_set_secret(s->doc, node, NULL, 0);
	} else if (cmds) {
		size_t d, i, from = 0;

		set_text(s, node, &m, &tree);
		d = doc_defer_secret(s->doc, node);
		for (i = 0; i < cmds; i++) {
			doc_deferred_add(s->doc, d, value.s + from,
					 cmd_at[i] - from, -1);
			doc_deferred_add(s->doc, d, NULL, 0, (long)cmd_of[i]);
			from = cmd_at[i];
		}
		doc_deferred_add(s->doc, d, value.s + from, value.len - from,
				 -1);
	} else if (secret) {
		set_text(s, node, &m, &tree);
		doc_set_secret(s->doc, node, value.s, value.len);
	} else if (whole && m.plain) {
		/* `count: ${n}` with n=3 is the number 3, as if written so. */
		res = load_plain_scalar(value.s, value.len, &why);
		if (!res) {
			diag_add(s->diags, DIAG_ERROR, &m, s->path.s, "%s",
				 why);
		} else if (mp) {
			doc_set_mark(s->doc, res, NULL, &m);
		}
	} else {
		set_text(s, node, &m, &value);
	}
out:
	buf_release(&ref);
	buf_release(&tree);
	secure_zero(exp.s, exp.alloc);
	buf_release(&exp);
	secure_zero(value.s, value.alloc);
	buf_release(&value);
	return res;
}

/* Put repl (stolen) in old's slot of parent, keeping old's mark. */
static void replace(struct subst *s, json_t *parent, const char *key,
		    size_t index, json_t *old, json_t *repl)
{
	const struct mark *m = doc_mark(s->doc, old, NULL);
	struct mark tmp;

	if (m && doc_shared_node(repl)) {
		tmp = *m;
		doc_set_value_mark(s->doc, parent, key, index, &tmp);
	}
	if (key)
		json_object_set_new(parent, key, repl);
	else
		json_array_set_new(parent, index, repl);
}

static void subst_walk(struct subst *s, json_t *node)
{
	const char *key;
	json_t *v, *repl;
	size_t i, len = s->path.len;

	if (json_is_object(node)) {
		json_object_foreach(node, key, v) {
			path_push_key(&s->path, key);
			if (json_is_string(v)) {
				repl = subst_string(s, v);
				if (repl)
					replace(s, node, key, 0, v, repl);
			} else {
				subst_walk(s, v);
			}
			buf_setlen(&s->path, len);
		}
	} else if (json_is_array(node)) {
		json_array_foreach(node, i, v) {
			path_push_index(&s->path, i);
			if (json_is_string(v)) {
				repl = subst_string(s, v);
				if (repl)
					replace(s, node, NULL, i, v, repl);
			} else {
				subst_walk(s, v);
			}
			buf_setlen(&s->path, len);
		}
	}
}

int resolve_manifest(struct doc *doc, const char *path,
		     const struct varset *cli, unsigned flags,
		     struct diag_list *diags)
{
	struct chain chain;
	struct subst s;
	struct buf tree = BUF_INIT;
	size_t errors = diags->errors;
	const char *key;
	json_t *root, *v;
	char *real;

	memset(&chain, 0, sizeof(chain));
	real = realpath(path, NULL);
	chain.real[0] = real ? real : xstrdup(path);
	chain.shown[0] = path;
	chain.nr = 1;
	resolve_tree_root(path, &tree);
	chain.root = tree.s;
	chain.flags = flags;
	root = load_chain(doc, path, &chain, diags);
	free(chain.real[0]);
	buf_release(&tree);
	if (!root)
		return -1;
	json_decref(doc->root);
	doc->root = root;
	if (!json_is_object(root))
		return diags->errors == errors ? 0 : -1;

	memset(&s, 0, sizeof(s));
	s.doc = doc;
	s.cli = cli;
	s.flags = flags;
	s.vars = json_object_get(root, "vars");
	if (!json_is_object(s.vars))
		s.vars = NULL;
	s.diags = diags;
	buf_init(&s.path);
	/* vars: values are taken literally, so they are not walked. */
	json_object_foreach(root, key, v) {
		if (!strcmp(key, "vars"))
			continue;
		path_push_key(&s.path, key);
		if (json_is_string(v)) {
			json_t *repl = subst_string(&s, v);

			if (repl)
				replace(&s, root, key, 0, v, repl);
		} else {
			subst_walk(&s, v);
		}
		buf_reset(&s.path);
	}
	buf_release(&s.path);
	return diags->errors == errors ? 0 : -1;
}
