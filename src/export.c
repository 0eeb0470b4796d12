#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "torq/export.h"
#include "torq/load.h"
#include "torq/path.h"
#include "torq/utf8.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * A live workspace as a manifest (export.h). The rules that matter for
 * the round trip: every value reads back as the same string (plain only
 * when no YAML reader could take it for anything else), and what the
 * schema would refuse is left out rather than written wrong, since an
 * object left out is merely unmanaged and still plans no change.
 */

#define NAME_MAX_CHARS 128	/* the schema's definitions.name */
#define TAG_MAX_CHARS 64
#define FILE_NAME_MAX 60	/* bytes of a workflow file's stem */

struct ctx {
	struct export_result *r;
	struct buf *m;		/* r->manifest */
	json_t *files;		/* workflow file stems in use */
	json_t *envs;		/* example variable names in use */
};

void export_result_init(struct export_result *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->manifest);
}

void export_result_release(struct export_result *r)
{
	size_t i;

	if (!r)
		return;
	buf_release(&r->manifest);
	for (i = 0; i < r->files_nr; i++) {
		free(r->files[i].path);
		free(r->files[i].workflow);
		free(r->files[i].content);
	}
	free(r->files);
	for (i = 0; i < r->notes_nr; i++)
		free(r->notes[i]);
	free(r->notes);
	memset(r, 0, sizeof(*r));
	buf_init(&r->manifest);
}

/* Characters. */

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* What the schema's '\s' means: ASCII white space only. */
static int is_space(char c)
{
	return c && strchr(" \t\n\r\f\v", c) != NULL;
}

/* Checks that mirror the schema, so nothing written is refused. */

/* Why the schema refuses name s, or NULL when it does not. */
static const char *name_problem(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (!len)
		return "it has no name";
	if (is_space(s[0]) || is_space(s[len - 1]))
		return "its name starts or ends with white space";
	if (strpbrk(s, "\n\r"))
		return "its name holds a line break";
	if (utf8_count(s) > NAME_MAX_CHARS)
		return "its name is longer than 128 characters";
	return NULL;
}

static int vendor_ok(const char *s)
{
	const char *p;

	if (!s || !*s || strchr("_.-", *s))
		return 0;
	for (p = s; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') &&
		    !strchr("_.-", *p))
			return 0;
	return 1;
}

static int tag_ok(const char *s)
{
	return s && *s && utf8_count(s) <= TAG_MAX_CHARS;
}

static int text_ok(const char *s)
{
	return s && *s;
}

/* Scalars. */

/*
 * Plain only for a conservative alphabet (no YAML indicator, no flow
 * character, no '$'), starting with a letter, '_', '/', "./" or "../",
 * and never a word that YAML 1.1 readers take for a boolean or null.
 */
static int is_plain(const char *s)
{
	static const char *const words[] = {
		"y", "n", "yes", "no", "on", "off", "true", "false", "null",
	};
	const char *p, *why;
	size_t i, len = strlen(s);
	json_t *v;
	int ok;

	if (!len || s[len - 1] == ' ')
		return 0;
	/* relative paths too: "./x", "../x" */
	if (!is_alpha(s[0]) && s[0] != '_' && s[0] != '/' &&
	    strncmp(s, "./", 2) && strncmp(s, "../", 3))
		return 0;
	for (p = s; *p; p++)
		if (!is_alnum(*p) && !strchr("_-./@+ ", *p))
			return 0;
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcasecmp(s, words[i]))
			return 0;
	/* and it must read back as this very string */
	v = load_plain_scalar(s, len, &why);
	ok = json_is_string(v) && !strcmp(json_string_value(v), s);
	json_decref(v);
	return ok;
}

/* How add_escaped writes a string. */
enum escape_mode {
	ESC_VALUE,	/* a double-quoted manifest value: "${" as "$${" */
	ESC_COMMENT,	/* double-quoted inside a comment: "${" kept */
	ESC_MESSAGE,	/* in a message: no quotes, only what is unsafe */
};

/*
 * Escaped: controls, what libyaml does not print (C1, U+FEFF, U+FFFE,
 * U+FFFF), what it takes for a line break (U+0085, U+2028, U+2029), and
 * bidirectional overrides and isolates, so a name can neither end its
 * line nor reorder what a reviewer sees; in quotes also '"' and '\'.
 * Bytes that are not UTF-8 (never in an API answer) become U+FFFD.
 */
static void add_escaped(struct buf *out, const char *s,
			enum escape_mode mode)
{
	static const char short_esc[] = "0\0\0\0\0\0\0abtnvfr";
	int quoted = mode != ESC_MESSAGE;
	unsigned long cp;
	size_t n;

	if (quoted)
		buf_addch(out, '"');
	while (*s) {
		if (mode == ESC_VALUE && s[0] == '$' && s[1] == '{') {
			buf_addstr(out, "$${");
			s += 2;
			continue;
		}
		n = utf8_decode(s, &cp);
		if (!n) {
			buf_addstr(out, "\\uFFFD");
			s++;
			continue;
		}
		if (quoted && (cp == '"' || cp == '\\')) {
			buf_addch(out, '\\');
			buf_addch(out, (char)cp);
		} else if (cp < 0x0e && short_esc[cp]) {
			buf_addch(out, '\\');
			buf_addch(out, short_esc[cp]);
		} else if (cp == 0x1b) {
			buf_addstr(out, "\\e");
		} else if (cp == 0x85) {
			buf_addstr(out, "\\N");
		} else if (cp == 0x2028) {
			buf_addstr(out, "\\L");
		} else if (cp == 0x2029) {
			buf_addstr(out, "\\P");
		} else if (cp <= 0x9f && utf8_unsafe(cp)) {
			buf_addf(out, "\\x%02lX", cp);
		} else if (utf8_unsafe(cp) || cp == 0xfeff || cp == 0xfffe ||
			   cp == 0xffff) {
			buf_addf(out, "\\u%04lX", cp);
		} else {
			buf_add(out, s, n);
		}
		s += n;
	}
	if (quoted)
		buf_addch(out, '"');
}

void export_scalar(struct buf *out, const char *s)
{
	if (is_plain(s))
		buf_addstr(out, s);
	else
		add_escaped(out, s, ESC_VALUE);
}

void export_clean(struct buf *out, const char *s)
{
	add_escaped(out, s, ESC_MESSAGE);
}

/* A name inside a comment: always quoted, so it cannot end the line. */
static void comment_name(struct buf *out, const char *s)
{
	add_escaped(out, s ? s : "", ESC_COMMENT);
}

/* Names made from names. */

/* s with every run of characters other than [A-Za-z0-9] one sep. */
static void squeeze(struct buf *out, const char *s, char sep, int upper)
{
	size_t start = out->len;
	int gap = 0;

	for (; s && *s; s++) {
		if (!is_alnum(*s)) {
			gap = 1;
			continue;
		}
		if (gap && out->len > start)
			buf_addch(out, sep);
		gap = 0;
		if (is_alpha(*s))
			buf_addch(out, upper ? (char)(*s & ~0x20) :
				  (char)(*s | 0x20));
		else
			buf_addch(out, *s);
	}
}

void export_env_name(struct buf *out, const char *name)
{
	size_t at;

	buf_addstr(out, "TORQ_");
	at = out->len;
	squeeze(out, name, '_', 1);
	if (out->len == at)
		buf_addstr(out, "INTEGRATION");
	buf_addstr(out, "_SECRET");
}

/* Take name in set, or name_2, name_3, ... when it is taken. */
static void unique(json_t *set, struct buf *b, const char *sep)
{
	size_t len = b->len;
	unsigned n;

	for (n = 2; json_object_get(set, b->s); n++) {
		buf_setlen(b, len);
		buf_addf(b, "%s%u", sep, n);
	}
	json_object_set_new(set, b->s, json_true());
}

/* A workflow's file: lower-case ASCII letters, digits and '-', unique. */
static void file_stem(struct ctx *c, const char *name, struct buf *out)
{
	squeeze(out, name, '-', 0);
	if (out->len > FILE_NAME_MAX)
		buf_setlen(out, FILE_NAME_MAX);
	while (out->len && out->s[out->len - 1] == '-')
		buf_setlen(out, out->len - 1);
	if (!out->len)
		buf_addstr(out, "workflow");
	unique(c->files, out, "-");
}

/* Paths. */

/* The components of an absolute, normalised path. */
static size_t split(char *s, char **parts, size_t max)
{
	size_t nr = 0;
	char *p = s;

	while (*p && nr < max) {
		while (*p == '/')
			*p++ = '\0';
		if (!*p)
			break;
		parts[nr++] = p;
		while (*p && *p != '/')
			p++;
	}
	return nr;
}

void export_relpath(const char *path, const char *dir, const char *cwd,
		    struct buf *out)
{
	struct buf base = BUF_INIT, p = BUF_INIT, d = BUF_INIT;
	char **pp = NULL, **dp = NULL;
	size_t pn, dn, common, i;

	if (*path == '/') {
		buf_addstr(out, path);
		return;
	}
	/* both as absolute paths: resolved against a file in cwd */
	buf_addf(&base, "%s/-", cwd);
	path_relative_to(base.s, path, &p);
	path_relative_to(base.s, dir, &d);
	pp = xcalloc(p.len + 1, sizeof(*pp));
	dp = xcalloc(d.len + 1, sizeof(*dp));
	pn = split(p.s, pp, p.len + 1);
	dn = split(d.s, dp, d.len + 1);
	for (common = 0; common < pn && common < dn &&
	     !strcmp(pp[common], dp[common]); common++)
		;
	for (i = common; i < dn; i++)
		buf_addstr(out, i > common ? "/.." : "..");
	for (i = common; i < pn; i++) {
		if (i > common || dn > common)
			buf_addch(out, '/');
		buf_addstr(out, pp[i]);
	}
	if (common == pn && common == dn)
		buf_addch(out, '.');
	free(pp);
	free(dp);
	buf_release(&base);
	buf_release(&p);
	buf_release(&d);
}

/* Notes: what was left out, for stderr and as a comment in place. */

static void add_note(struct export_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_note(struct export_result *r, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ALLOC_GROW(r->notes, r->notes_nr + 1, r->notes_alloc);
	r->notes[r->notes_nr++] = buf_detach(&b, NULL);
}

/*
 * Leave one object out: kind ("integration"), its identity as shown, and
 * why (no names in it).
 */
static void leave_out(struct ctx *c, const char *indent, const char *kind,
		      const char *name, const char *why)
{
	struct buf clean = BUF_INIT;

	add_escaped(&clean, name ? name : "", ESC_MESSAGE);
	add_note(c->r, "%s '%s' is not exported: %s", kind, clean.s, why);
	buf_release(&clean);
	buf_addf(c->m, "%s# not exported: %s ", indent, kind);
	comment_name(c->m, name);
	buf_addf(c->m, ": %s\n", why);
}

/* One json set per kind for duplicates; key is the identity. */
static json_t *count_keys(size_t nr, const char *(*key)(const void *,
							 size_t,
							 struct buf *),
			  const void *items)
{
	json_t *seen = json_object(), *v;
	struct buf b = BUF_INIT;
	const char *k;
	size_t i;

	for (i = 0; i < nr; i++) {
		buf_reset(&b);
		k = key(items, i, &b);
		if (!k)
			continue;
		v = json_object_get(seen, k);
		json_object_set_new(seen, k, json_integer(
			v ? json_integer_value(v) + 1 : 1));
	}
	buf_release(&b);
	return seen;
}

/*
 * Whether key is held by more than one object: 0 no, 1 yes (the first
 * time it is asked, to say so once), 2 yes again.
 */
static int duplicate(json_t *seen, const char *key)
{
	json_t *v = key ? json_object_get(seen, key) : NULL;
	json_int_t n = json_integer_value(v);

	if (n < 0)
		return 2;
	if (n < 2)
		return 0;
	json_integer_set(v, -1);
	return 1;
}

static const char *user_key(const void *items, size_t i, struct buf *b)
{
	const struct model_user *u = items;
	const char *s = u[i].email;

	if (!s)
		return NULL;
	for (; *s; s++)
		buf_addch(b, (*s >= 'A' && *s <= 'Z') ? (char)(*s | 0x20) :
			  *s);
	return b->s;
}

static const char *mapping_key(const void *items, size_t i, struct buf *b)
{
	const struct model_claim_mapping *m = items;

	if (!m[i].claim || !m[i].value)
		return NULL;
	buf_addf(b, "%zu:%s%s", strlen(m[i].claim), m[i].claim, m[i].value);
	return b->s;
}

static const char *integration_key(const void *items, size_t i,
				   struct buf *b)
{
	(void)b;
	return ((const struct model_integration *)items)[i].name;
}

static const char *runner_key(const void *items, size_t i, struct buf *b)
{
	(void)b;
	return ((const struct model_runner *)items)[i].name;
}

static const char *workflow_key(const void *items, size_t i, struct buf *b)
{
	(void)b;
	return ((const struct model_workflow *)items)[i].name;
}

/* Sections. */

/* "key:\n" of a list; its items follow. Returns where they begin. */
static size_t begin_list(struct ctx *c, const char *key)
{
	buf_addf(c->m, "\n%s:\n", key);
	return c->m->len;
}

/* An empty list is "key: []", after comments "  []". */
static void end_list(struct ctx *c, size_t begin, size_t nr)
{
	if (nr)
		return;
	if (c->m->len == begin) {
		buf_setlen(c->m, begin - 1);
		buf_addstr(c->m, " []\n");
	} else {
		buf_addstr(c->m, "  []\n");
	}
}

static void kv(struct ctx *c, const char *indent, const char *key,
	       const char *value)
{
	buf_addf(c->m, "%s%s: ", indent, key);
	export_scalar(c->m, value);
	buf_addch(c->m, '\n');
}

static void write_workspace(struct ctx *c, const struct export_options *o)
{
	buf_addstr(c->m, "# Exported by 'torq-apply export' from workspace ");
	comment_name(c->m, o->workspace);
	buf_addstr(c->m, ".\n# Applied to that workspace it changes "
		   "nothing; check with\n#   torq-apply plan MANIFEST "
		   "--detailed-exitcode\nversion: 1\n\nworkspace:\n");
	kv(c, "  ", "name", o->workspace);
	if (o->credentials)
		kv(c, "  ", "credentials", o->credentials);
	else
		buf_addstr(c->m, "  # No credentials: plan and apply use "
			   "--credentials FILE, or $TORQ_CLIENT_ID\n"
			   "  # and $TORQ_CLIENT_SECRET, as this "
			   "workspace's key.\n");
}

static int by_rank(const void *a, const void *b)
{
	const struct model_claim_mapping *x = *(const void *const *)a;
	const struct model_claim_mapping *y = *(const void *const *)b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x < y ? -1 : x > y;	/* stable */
}

/*
 * Claim mappings all or nothing: leaving one out would move the others'
 * ranks in the plan, as unmanaged mappings go after managed ones.
 */
static void write_claim_mappings(struct ctx *c, const struct model *m)
{
	const struct model_claim_mapping **order;
	json_t *seen = count_keys(m->claim_mappings_nr, mapping_key,
				  m->claim_mappings);
	struct buf key = BUF_INIT, label = BUF_INIT, clean = BUF_INIT;
	const char *why = NULL;
	size_t i;

	order = xcalloc(m->claim_mappings_nr + 1, sizeof(*order));
	for (i = 0; i < m->claim_mappings_nr; i++)
		order[i] = &m->claim_mappings[i];
	qsort(order, m->claim_mappings_nr, sizeof(*order), by_rank);
	for (i = 0; i < m->claim_mappings_nr && !why; i++) {
		const struct model_claim_mapping *cm = order[i];

		buf_reset(&key);
		buf_reset(&label);
		buf_addf(&label, "%s=%s", cm->claim ? cm->claim : "",
			 cm->value ? cm->value : "");
		buf_reset(&clean);
		add_escaped(&clean, label.s, ESC_MESSAGE);
		if (!text_ok(cm->claim) || !text_ok(cm->value))
			why = "its claim or value is empty";
		else if (!text_ok(cm->role))
			why = "its role is not one of the workspace's roles";
		else if (duplicate(seen, mapping_key(m->claim_mappings,
						     (size_t)(cm -
						     m->claim_mappings),
						     &key)))
			why = "the workspace has more than one mapping of "
				"that claim and value";
	}
	if (why) {
		/* no key at all: a kind the manifest does not name */
		add_note(c->r, "claim mappings are not exported (plan leaves "
			 "them alone): mapping %s: %s", clean.s, why);
		buf_addstr(c->m, "\n# claim_mappings: not exported (plan "
			   "leaves them alone): mapping ");
		comment_name(c->m, label.s);
		buf_addf(c->m, ": %s\n", why);
		goto out;
	}
	buf_addstr(c->m, "\nclaim_mappings:\n");
	if (!m->claim_mappings_nr) {
		buf_addstr(c->m, "  items: []\n");
		goto out;
	}
	buf_addstr(c->m, "  items:    # in rank order: the first match "
		   "decides\n");
	for (i = 0; i < m->claim_mappings_nr; i++) {
		buf_addstr(c->m, "    - { claim: ");
		export_scalar(c->m, order[i]->claim);
		buf_addstr(c->m, ", value: ");
		export_scalar(c->m, order[i]->value);
		buf_addstr(c->m, ", role: ");
		export_scalar(c->m, order[i]->role);
		buf_addstr(c->m, " }\n");
	}
	c->r->claim_mappings = m->claim_mappings_nr;
out:
	free(order);
	json_decref(seen);
	buf_release(&key);
	buf_release(&label);
	buf_release(&clean);
}

static void write_users(struct ctx *c, const struct model *m)
{
	json_t *seen = count_keys(m->users_nr, user_key, m->users);
	struct buf key = BUF_INIT;
	size_t i, nr = 0, begin;
	int dup;

	begin = begin_list(c, "users");
	for (i = 0; i < m->users_nr; i++) {
		const struct model_user *u = &m->users[i];

		buf_reset(&key);
		if (!text_ok(u->email)) {
			leave_out(c, "  ", "user", u->email,
				  "it has no e-mail address");
			continue;
		}
		if ((dup = duplicate(seen, user_key(m->users, i, &key)))) {
			if (dup == 1)
				leave_out(c, "  ", "user", u->email,
					  "the workspace lists more than one "
					  "user with that e-mail address");
			continue;
		}
		if (!text_ok(u->role)) {
			leave_out(c, "  ", "user", u->email, "its role is not "
				  "one of the workspace's roles");
			continue;
		}
		buf_addstr(c->m, "  - { email: ");
		export_scalar(c->m, u->email);
		buf_addstr(c->m, ", role: ");
		export_scalar(c->m, u->role);
		buf_addstr(c->m, " }");
		if (u->status == MODEL_USER_INVITED)
			buf_addstr(c->m, "    # invited, not yet joined");
		else if (u->sso)
			buf_addstr(c->m, "    # provisioned through SSO");
		buf_addch(c->m, '\n');
		nr++;
	}
	end_list(c, begin, nr);
	c->r->users = nr;
	json_decref(seen);
	buf_release(&key);
}

static void write_integrations(struct ctx *c, const struct model *m)
{
	json_t *seen = count_keys(m->integrations_nr, integration_key,
				  m->integrations);
	struct buf env = BUF_INIT;
	const char *why;
	size_t i, nr = 0, begin;
	int dup;

	begin = begin_list(c, "integrations");
	if (m->integrations_nr)
		buf_addstr(c->m, "  # Torq never returns an integration's "
			   "parameters, so none are exported\n  # and plan "
			   "leaves them as they are. Once you add them (secrets"
			   " as\n  # references, never values), the next "
			   "apply sets them.\n");
	for (i = 0; i < m->integrations_nr; i++) {
		const struct model_integration *in = &m->integrations[i];

		if ((why = name_problem(in->name))) {
			leave_out(c, "  ", "integration", in->name, why);
			continue;
		}
		if ((dup = duplicate(seen, in->name))) {
			if (dup == 1)
				leave_out(c, "  ", "integration", in->name,
					  "the workspace has more than one "
					  "integration of that name");
			continue;
		}
		if (!vendor_ok(in->vendor)) {
			leave_out(c, "  ", "integration", in->name,
				  "its type id is not lower-case letters, "
				  "digits, '_', '.' and '-'");
			continue;
		}
		buf_reset(&env);
		export_env_name(&env, in->name);
		unique(c->envs, &env, "_");
		buf_addstr(c->m, "  # ");
		comment_name(c->m, in->name);
		buf_addf(c->m, ": its parameters cannot be read back; e.g.\n"
			 "  #   parameters:\n"
			 "  #     api_token: ${secret:env:%s}\n", env.s);
		kv(c, "  - ", "name", in->name);
		kv(c, "    ", "vendor", in->vendor);
		nr++;
	}
	end_list(c, begin, nr);
	c->r->integrations = nr;
	json_decref(seen);
	buf_release(&env);
}

static void write_runners(struct ctx *c, const struct model *m)
{
	json_t *seen = count_keys(m->runners_nr, runner_key, m->runners);
	struct buf clean = BUF_INIT;
	const char *why;
	size_t i, nr = 0, begin;
	int k8s, dup;

	begin = begin_list(c, "step_runners");
	for (i = 0; i < m->runners_nr; i++) {
		const struct model_runner *r = &m->runners[i];

		if ((why = name_problem(r->name))) {
			leave_out(c, "  ", "step runner", r->name, why);
			continue;
		}
		if ((dup = duplicate(seen, r->name))) {
			if (dup == 1)
				leave_out(c, "  ", "step runner", r->name,
					  "the workspace has more than one "
					  "step runner of that name");
			continue;
		}
		k8s = r->platform && !strcmp(r->platform, "kubernetes");
		if (r->platform && !k8s && strcmp(r->platform, "docker")) {
			leave_out(c, "  ", "step runner", r->name,
				  "its platform is neither kubernetes nor "
				  "docker");
			continue;
		}
		kv(c, "  - ", "name", r->name);
		if (!r->platform) {
			/*
			 * The API does not give a runner's platform; a plan
			 * never compares it, but creating one needs it.
			 */
			buf_addstr(c->m, "    # the API does not say which: "
				   "check it\n    platform: kubernetes\n");
			add_escaped(&clean, r->name, ESC_MESSAGE);
			add_note(c->r, "step runner '%s': the API does not "
				 "give its platform; 'kubernetes' is written, "
				 "check it", clean.s);
			buf_reset(&clean);
			nr++;
			continue;
		}
		kv(c, "    ", "platform", r->platform);
		if (k8s && r->allow_cluster_management)
			buf_addstr(c->m, "    allow_cluster_management: "
				   "true\n");
		nr++;
	}
	end_list(c, begin, nr);
	c->r->runners = nr;
	json_decref(seen);
	buf_release(&clean);
}

static void write_tags(struct ctx *c, const struct model_workflow *w)
{
	struct buf clean = BUF_INIT;
	size_t i;

	for (i = 0; i < w->tags_nr; i++)
		if (!tag_ok(w->tags[i])) {
			add_escaped(&clean, w->name, ESC_MESSAGE);
			add_note(c->r, "the tags of workflow '%s' are not "
				 "exported (plan leaves them alone): one is "
				 "empty or longer than 64 characters",
				 clean.s);
			buf_release(&clean);
			buf_addstr(c->m, "    # tags not exported: one is "
				   "empty or longer than 64 characters\n");
			return;
		}
	if (!w->tags_nr)
		return;
	buf_addstr(c->m, "    tags: [");
	for (i = 0; i < w->tags_nr; i++) {
		if (i)
			buf_addstr(c->m, ", ");
		export_scalar(c->m, w->tags[i]);
	}
	buf_addstr(c->m, "]\n");
}

static void write_workflows(struct ctx *c, const struct model *m)
{
	json_t *seen = count_keys(m->workflows_nr, workflow_key,
				  m->workflows);
	struct buf stem = BUF_INIT, path = BUF_INIT;
	struct export_file *f;
	const char *why;
	size_t i, nr = 0, begin;
	int dup;

	begin = begin_list(c, "workflows");
	for (i = 0; i < m->workflows_nr; i++) {
		const struct model_workflow *w = &m->workflows[i];

		if ((why = name_problem(w->name))) {
			leave_out(c, "  ", "workflow", w->name, why);
			continue;
		}
		if ((dup = duplicate(seen, w->name))) {
			if (dup == 1)
				leave_out(c, "  ", "workflow", w->name,
					  "the workspace has more than one "
					  "workflow of that name");
			continue;
		}
		if (!w->content) {
			leave_out(c, "  ", "workflow", w->name,
				  "its YAML was not read");
			continue;
		}
		buf_reset(&stem);
		file_stem(c, w->name, &stem);
		buf_reset(&path);
		buf_addf(&path, EXPORT_WORKFLOWS_DIR "/%s.yaml", stem.s);
		ALLOC_GROW(c->r->files, c->r->files_nr + 1,
			   c->r->files_alloc);
		f = &c->r->files[c->r->files_nr++];
		f->path = xstrdup(path.s);
		f->workflow = xstrdup(w->name);
		f->len = strlen(w->content);
		f->content = xstrndup(w->content, f->len);

		kv(c, "  - ", "name", w->name);
		kv(c, "    ", "file", path.s);
		buf_addf(c->m, "    publish: %s", w->published ? "true" :
			 "false");
		if (!w->published && w->published_revision_id)
			buf_addstr(c->m, "    # an earlier revision is "
				   "published");
		buf_addch(c->m, '\n');
		write_tags(c, w);
		nr++;
	}
	end_list(c, begin, nr);
	c->r->workflows = nr;
	json_decref(seen);
	buf_release(&stem);
	buf_release(&path);
}

int export_manifest(const struct model *live, const struct export_options *o,
		    struct export_result *out, struct buf *err)
{
	struct ctx c;

	const char *why = name_problem(o->workspace);

	if (why) {
		buf_addstr(err, "workspace '");
		export_clean(err, o->workspace ? o->workspace : "");
		buf_addf(err, "' cannot be named in a manifest: %s", why);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.r = out;
	c.m = &out->manifest;
	c.files = json_object();
	c.envs = json_object();

	write_workspace(&c, o);
	if (live->kinds & MODEL_CLAIM_MAPPINGS)
		write_claim_mappings(&c, live);
	if (live->kinds & MODEL_USERS)
		write_users(&c, live);
	if (live->kinds & MODEL_INTEGRATIONS)
		write_integrations(&c, live);
	if (live->kinds & MODEL_RUNNERS)
		write_runners(&c, live);
	if (live->kinds & MODEL_WORKFLOWS)
		write_workflows(&c, live);

	json_decref(c.files);
	json_decref(c.envs);
	return 0;
}
