#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "torq/apply.h"
#include "torq/brake.h"
#include "torq/buf.h"
#include "torq/journal.h"
#include "torq/keycheck.h"
#include "torq/desired.h"
#include "torq/manifest.h"
#include "torq/path.h"
#include "torq/prepare.h"
#include "torq/reader.h"
#include "torq/sha256.h"
#include "torq/target.h"
#include "torq/wfyaml.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * The I/O around the planner (docs/internals/plan.md): which key reads
 * which workspace, what is read, and what is computed before plan_make.
 */

#define WORKFLOW_FILE_MAX (8u << 20)


struct cache_entry {
	char *key;
	struct model *source;		/* a source read, or NULL */
	char **names;			/* a workspace list, lower case */
	size_t names_nr;
};

struct prepare_cache {
	pthread_mutex_t lock;
	struct cache_entry *e;
	size_t nr, alloc;
	struct secretcmd_cache *secrets;	/* made by the first to ask */
};

struct prepare_cache *prepare_cache_new(void)
{
	struct prepare_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void prepare_cache_free(struct prepare_cache *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->nr; i++) {
		free(c->e[i].key);
		model_release(c->e[i].source);
		free(c->e[i].source);
		for (j = 0; j < c->e[i].names_nr; j++)
			free(c->e[i].names[j]);
		free(c->e[i].names);
	}
	free(c->e);
	secretcmd_cache_free(c->secrets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The entry for key, made empty when new; call with the lock held. */
static struct cache_entry *cache_entry(struct prepare_cache *c,
				       const char *key, int *fresh)
{
	size_t i;

	for (i = 0; i < c->nr; i++)
		if (!strcmp(c->e[i].key, key)) {
			*fresh = 0;
			return &c->e[i];
		}
	ALLOC_GROW(c->e, c->nr + 1, c->alloc);
	memset(&c->e[c->nr], 0, sizeof(c->e[c->nr]));
	c->e[c->nr].key = xstrdup(key);
	*fresh = 1;
	return &c->e[c->nr++];
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

static int read_key(const char *path, struct credentials *out, int *have,
		    struct buf *err)
{
	if (connect_key(path, out, err))
		return -1;
	*have = 1;
	return 0;
}

static int file_exists(const char *path)
{
	struct stat st;

	return path && !stat(path, &st);
}

/*
 * Which workspace to read, with which key (README, "Which key"):
 * workspace.credentials names the key of an existing workspace; else a
 * credentials_out file left by an earlier apply; else, for create: true,
 * the organisation key looks the workspace up by name; else the key
 * given on the command line belongs to the workspace itself.
 */
/*
 * Whether the key read from path may be the key of the manifest's
 * workspace, before anything is read or changed with it. The API has no
 * call that names a key's workspace (every call acts on it), so what can
 * be known is checked: a key file torq-apply wrote records the workspace
 * it was made for, which must be the manifest's; and the organisation key
 * (--credentials or the environment) cannot be the key of a workspace the
 * manifest creates with it, which gets a key of its own. A key file
 * without a record, from Torq's UI, is taken as given (README "Which
 * key"). Returns 0, or -1 with a message naming both workspaces.
 */
static int check_key_workspace(const struct prepare_options *po,
			       const struct model_workspace *ws,
			       struct prepared *sd, const char *path,
			       struct buf *err)
{
	const struct credentials *k = &sd->target_key;

	if (k->workspace_name && ws->name &&
	    strcasecmp(k->workspace_name, ws->name)) {
		buf_addf(err, "the key in '%s' belongs to workspace '%s' (as "
			 "recorded when torq-apply made it), not to '%s', "
			 "the workspace the manifest names; nothing was read "
			 "or changed: give the file of '%s's key", path,
			 k->workspace_name, ws->name, ws->name);
		return -1;
	}
	if (!ws->create || (!po->co->credentials &&
			    !getenv("TORQ_CLIENT_ID")))
		return 0;
	if (read_key(po->co->credentials, &sd->org_key, &sd->have_org_key,
		     err))
		return -1;
	if (!strcmp(sd->org_key.client_id, k->client_id)) {
		buf_addf(err, "the key in '%s' is the organisation key (%s), "
			 "which belongs to the workspace that creates others, "
			 "not to '%s', a workspace the manifest creates "
			 "('create: true') and which has a key of its own; "
			 "nothing was read or changed: give the file of "
			 "'%s's key", path, po->co->credentials ?
			 po->co->credentials : "TORQ_CLIENT_ID", ws->name,
			 ws->name);
		return -1;
	}
	return 0;
}

static int choose_target(const struct prepare_options *po,
			 const struct model *d, struct prepared *sd,
			 struct buf *err)
{
	const struct model_workspace *ws = &d->workspace;
	struct model_workspace *all = NULL;
	const char *path = ws->credentials;
	size_t nr = 0, i;
	int found = 0, ret = -1;

	if (!path && ws->credentials_out && file_exists(ws->credentials_out))
		path = ws->credentials_out;
	sd->target_path = path;
	if (path)
		return read_key(path, &sd->target_key, &sd->have_target,
				err) ||
		       check_key_workspace(po, ws, sd, path, err) ? -1 : 0;
	if (read_key(po->co->credentials, &sd->org_key, &sd->have_org_key,
		     err))
		return -1;
	if (!ws->create) {
		sd->have_target = 0;
		return 0;	/* the command line's key is the workspace's */
	}
	if (po->cache) {
		struct cache_entry *e;
		int fresh, rc = 0;
		struct buf key = BUF_INIT;
		size_t j;

		buf_addf(&key, "workspaces\n%s", sd->org_key.client_id);
		pthread_mutex_lock(&po->cache->lock);
		e = cache_entry(po->cache, key.s, &fresh);
		if (fresh || !e->names) {
			rc = reader_workspaces(sd->conn.client,
				client_session(sd->conn.client,
					       sd->org_key.client_id,
					       sd->org_key.client_secret),
				&all, &nr, err);
			if (!rc) {
				e->names = xcalloc(nr + 1, sizeof(*e->names));
				for (j = 0; j < nr; j++) {
					e->names[j] = xstrdup(all[j].name ?
							      all[j].name : "");
					lower(e->names[j]);
				}
				e->names_nr = nr;
			}
		}
		for (j = 0; !rc && j < e->names_nr; j++)
			if (ws->name && !strcasecmp(e->names[j], ws->name))
				found = 1;
		pthread_mutex_unlock(&po->cache->lock);
		buf_release(&key);
		if (rc) {
			buf_addstr(err, "\n(listing the organisation's "
				   "workspaces to find the one to create)");
			goto out;
		}
	} else if (reader_workspaces(sd->conn.client,
			      client_session(sd->conn.client,
					     sd->org_key.client_id,
					     sd->org_key.client_secret),
			      &all, &nr, err)) {
		buf_addstr(err, "\n(listing the organisation's workspaces to "
			   "find the one to create)");
		return -1;
	}
	for (i = 0; !po->cache && i < nr; i++)
		if (all[i].name && ws->name && !strcasecmp(all[i].name,
							   ws->name))
			found = 1;
	if (found) {
		buf_addf(err, "workspace '%s' exists already, and torq-apply "
			 "has no key for it: put its API key in a file (mode "
			 "0600) and name it in workspace.credentials%s%s",
			 ws->name, ws->credentials_out ? ", or at " : "",
			 ws->credentials_out ? ws->credentials_out : "");
		goto out;
	}
	sd->live_exists = -1;	/* to be created */
	ret = 0;
out:
	for (i = 0; i < nr; i++)
		model_workspace_release(&all[i]);
	free(all);
	return ret;
}

/* Every name of a desired workflow: whose live YAML must be read. */
static const char **workflow_names(const struct model *m)
{
	const char **names = xcalloc(m->workflows_nr + 1, sizeof(*names));
	size_t i;

	for (i = 0; i < m->workflows_nr; i++)
		names[i] = m->workflows[i].name;
	return names;
}

static const char **source_names(const struct model *m, size_t *nr)
{
	const char **names = xcalloc(m->workflows_nr + 1, sizeof(*names));
	size_t i;

	*nr = 0;
	for (i = 0; i < m->workflows_nr; i++)
		if (m->workflows[i].from_source)
			names[(*nr)++] = m->workflows[i].name;
	return names;
}

/* The key that reads the target: its own, or the organisation's. */
static const struct credentials *target_key(const struct prepared *sd)
{
	return sd->have_target ? &sd->target_key : &sd->org_key;
}

static struct session *target_session(struct prepared *sd)
{
	const struct credentials *k = target_key(sd);

	return client_session(sd->conn.client, k->client_id, k->client_secret);
}

/* reader.h's known(): a revision whose digest state.json recorded. */
static int known_revision(void *ctx, const char *name, const char *revision)
{
	const struct prepared *sd = ctx;

	return fingerprint_store_get_revision(&sd->store,
		sd->desired.workspace.name, name, revision) != NULL;
}

static int read_live(const struct model *d, struct prepared *sd,
		     int fresh, struct buf *err)
{
	struct reader_options o = { 0 };
	const char **names = NULL;
	struct session *s;
	int ret = -1;

	if (sd->live_exists < 0)
		return 0;
	s = target_session(sd);
	names = workflow_names(d);
	o.kinds = d->kinds | MODEL_ROLES;
	o.contents = names;
	o.contents_nr = d->workflows_nr;
	if (!fresh) {
		o.known = known_revision;
		o.known_ctx = sd;
	}
	if (reader_read(sd->conn.client, s, &o, &sd->live, err)) {
		buf_addf(err, "\n(reading workspace '%s')",
			 d->workspace.name ? d->workspace.name : "");
		goto out;
	}
	sd->live_exists = 1;
	ret = 0;
out:
	free(names);
	return ret;
}

/*
 * A key without a record of its workspace (made in Torq's UI, or the
 * command line's for a workspace the manifest does not create) must not
 * read like another workspace of the organisation (keycheck.h), before
 * anything is changed. A list the key may not read leaves a warning.
 * Returns 0, or -1 with a message naming both workspaces.
 */
static int check_key_reads(const struct prepare_options *po,
			   const struct model *d, struct prepared *sd,
			   struct buf *err)
{
	const struct credentials *k = target_key(sd);
	const char *path = sd->have_target ? sd->target_path :
		po->co->credentials ? po->co->credentials : "TORQ_CLIENT_ID";
	const char *name = d->workspace.name ? d->workspace.name : "";
	const struct model_workspace *other = NULL, *named = NULL;
	struct model_workspace *all = NULL;
	struct reader_options o = { 0 };
	struct model extra;
	long runners;
	struct buf why = BUF_INIT, mine = BUF_INIT, theirs = BUF_INIT;
	struct session *s;
	size_t nr = 0, i;
	int ret = -1;

	if (sd->live_exists <= 0 || k->workspace_name || po->key_checked)
		return 0;
	model_init(&extra);
	s = target_session(sd);
	if (reader_workspaces(sd->conn.client, s, &all, &nr, &why)) {
		diag_add(&sd->diags, DIAG_WARNING, NULL, NULL, "cannot check "
			 "that the key in '%s' is workspace '%s''s (the "
			 "organisation's workspace list could not be read: "
			 "%s); add \"workspace_name\": \"%s\" to the key "
			 "file to say so", path, name, why.s, name);
		ret = 0;
		goto out;
	}
	/* the owners and runners, when the manifest did not ask for them */
	o.kinds = (d->kinds & MODEL_USERS ? 0 : MODEL_USERS) |
		(d->kinds & MODEL_RUNNERS ? 0 : MODEL_RUNNERS);
	if (o.kinds && reader_read(sd->conn.client, s, &o, &extra, err)) {
		buf_addf(err, "\n(reading workspace '%s' to check its key)",
			 name);
		goto out;
	}
	keycheck_owners(d->kinds & MODEL_USERS ? &sd->live : &extra,
			&sd->live, &mine);
	runners = (long)(d->kinds & MODEL_RUNNERS ? sd->live.runners_nr :
			 extra.runners_nr);
	switch (keycheck_judge(all, nr, name, mine.s, runners, &other)) {
	case KEYCHECK_OK:
		ret = 0;
		break;
	case KEYCHECK_UNSURE:
		diag_add(&sd->diags, DIAG_WARNING, NULL, NULL, "the "
			 "organisation's figures for workspace '%s' (owners, "
			 "step runners) differ from what the key in '%s' "
			 "reads; if they are only late, add \"workspace_name\":"
			 " \"%s\" to the key file to say it is that "
			 "workspace's", name, path, name);
		ret = 0;
		break;
	case KEYCHECK_OTHER:
	case KEYCHECK_MISSING:
		for (i = 0; i < nr; i++)
			if (all[i].name && !strcasecmp(all[i].name, name))
				named = &all[i];
		buf_addf(err, "the key in '%s' reads a workspace whose owners "
			 "are '%s' with %ld step runner%s", path, mine.s,
			 runners, runners == 1 ? "" : "s");
		if (other) {
			buf_addf(err, ", as the organisation lists '%s'",
				 other->name ? other->name : "");
		}
		if (named) {
			keycheck_listed_owners(named, &theirs);
			buf_addf(err, ", not '%s' (owners '%s', %ld step "
				 "runner%s)", name, theirs.s,
				 named->runners_usage,
				 named->runners_usage == 1 ? "" : "s");
		} else {
			buf_addf(err, "; the organisation has no workspace "
				 "named '%s'", name);
		}
		buf_addf(err, ": it looks like the key of %s%s%s; nothing "
			 "was changed: give the file of '%s''s key, or, if "
			 "this key is '%s''s, add \"workspace_name\": \"%s\""
			 " to it", other ? "'" : "another workspace",
			 other && other->name ? other->name : "",
			 other ? "'" : "", name, name, name);
		break;
	}
out:
	for (i = 0; i < nr; i++)
		model_workspace_release(&all[i]);
	free(all);
	model_release(&extra);
	buf_release(&why);
	buf_release(&mine);
	buf_release(&theirs);
	return ret;
}

static int read_source(const struct prepare_options *po,
		       const struct model *d, struct prepared *sd,
		       struct buf *err)
{
	struct reader_options o = { 0 };
	struct cache_entry *e = NULL;
	struct buf key = BUF_INIT;
	const char **names;
	size_t nr, i;
	int ret = -1, fresh = 1;

	names = source_names(d, &nr);
	if (!d->source_credentials || (!nr && !d->copy_claims_from_source)) {
		free(names);
		return 0;
	}
	if (read_key(d->source_credentials, &sd->source_key,
		     &sd->have_source, err))
		goto out;
	o.kinds = MODEL_ROLES | MODEL_WORKFLOWS |
		(d->copy_claims_from_source ? MODEL_CLAIM_MAPPINGS : 0);
	o.contents = names;
	o.contents_nr = nr;
	if (po->cache) {
		/* one read per fleet run for the same source and workflows */
		buf_addf(&key, "source\n%s\n%u", d->source_credentials,
			 o.kinds);
		for (i = 0; i < nr; i++)
			buf_addf(&key, "\n%s", names[i]);
		pthread_mutex_lock(&po->cache->lock);
		e = cache_entry(po->cache, key.s, &fresh);
		if (e->source) {
			sd->source_view = e->source;
			pthread_mutex_unlock(&po->cache->lock);
			ret = 0;
			goto out;
		}
	}
	if (reader_read(sd->conn.client,
			client_session(sd->conn.client,
				       sd->source_key.client_id,
				       sd->source_key.client_secret),
			&o, &sd->source, err)) {
		buf_addstr(err, "\n(reading the source workspace)");
		if (e)
			pthread_mutex_unlock(&po->cache->lock);
		goto out;
	}
	sd->source_view = &sd->source;
	if (e) {
		/* the cache keeps the model; this run looks at it */
		e->source = xmalloc(sizeof(*e->source));
		*e->source = sd->source;
		model_init(&sd->source);
		sd->source_view = e->source;
		pthread_mutex_unlock(&po->cache->lock);
	}
	ret = 0;
out:
	(void)fresh;
	buf_release(&key);
	free(names);
	return ret;
}

/* What the planner compares workflows by: a digest of the YAML's meaning. */
static int digest_workflow(struct model_workflow *w, const char *what,
			   int nested, struct buf *err)
{
	char digest[65];

	if (!w->content)
		return 0;
	if (wfyaml_digest(what, w->content, strlen(w->content), digest, err))
		return -1;
	free(w->content_digest);
	w->content_digest = xstrdup(digest);
	if (nested && wfyaml_nested(what, w->content, strlen(w->content),
				    &w->nested, &w->nested_nr, err))
		return -1;
	return 0;
}

static int fill_contents(struct model *d, struct prepared *sd, struct buf *err)
{
	struct buf text = BUF_INIT, what = BUF_INIT;
	char *was_read = xcalloc(sd->live.workflows_nr + 1, 1);
	size_t i, j;
	int ret = -1;

	for (i = 0; i < d->workflows_nr; i++) {
		struct model_workflow *w = &d->workflows[i];

		buf_reset(&what);
		if (w->from_source) {
			for (j = 0; sd->source_view &&
			     j < sd->source_view->workflows_nr; j++)
				if (!strcmp(sd->source_view->workflows[j].name,
					    w->name) &&
				    sd->source_view->workflows[j].content) {
					free(w->content);
					w->content = xstrdup(
					sd->source_view->workflows[j].content);
				}
			buf_addf(&what, "workflow '%s' in the source workspace",
				 w->name);
		} else if (w->file) {
			buf_reset(&text);
			if (buf_read_file(&text, w->file, WORKFLOW_FILE_MAX)) {
				buf_addf(err, "cannot read workflow file '%s':"
					 " %s", w->file, strerror(errno));
				goto out;
			}
			free(w->content);
			w->content = buf_detach(&text, NULL);
			buf_addstr(&what, w->file);
		}
		if (digest_workflow(w, what.s, 1, err))
			goto out;
	}
	for (i = 0; i < sd->live.workflows_nr; i++) {
		struct model_workflow *w = &sd->live.workflows[i];
		const char *known;

		buf_reset(&what);
		buf_addf(&what, "workflow '%s' in workspace '%s'",
			 w->name, d->workspace.name);
		if (digest_workflow(w, what.s, 0, err))
			goto out;
		/*
		 * Reuse what was not read (reader.h), before anything read
		 * is recorded: the store holds one revision per name, and a
		 * copy under the same name must not hide the other's.
		 */
		if (w->content_digest)
			was_read[i] = 1;
		else if ((known = fingerprint_store_get_revision(&sd->store,
				d->workspace.name, w->name,
				w->current_revision_id)))
			w->content_digest = xstrdup(known);
	}
	/* Remember what was read. */
	for (i = 0; i < sd->live.workflows_nr; i++) {
		struct model_workflow *w = &sd->live.workflows[i];

		if (was_read[i])
			fingerprint_store_set_revision(&sd->store,
				d->workspace.name, w->name,
				w->current_revision_id, w->content_digest);
	}
	ret = 0;
out:
	free(was_read);
	buf_release(&text);
	buf_release(&what);
	return ret;
}

/*
 * The YAML of each live workflow whose content the plan changes but
 * whose revision state.json knew (so it was not read): the plan shows
 * the diff. One request per changed workflow, none for the others.
 */
static int read_changed(const struct model *d, struct prepared *sd,
			struct buf *err)
{
	const char **names = xcalloc(d->workflows_nr + 1, sizeof(*names));
	json_t *live = json_object();
	const struct model_workflow *l;
	json_t *at;
	size_t i, nr = 0;
	int ret = 0;

	for (i = 0; i < sd->live.workflows_nr; i++)
		if (sd->live.workflows[i].name)
			json_object_set_new(live, sd->live.workflows[i].name,
					    json_integer((json_int_t)i));
	for (i = 0; sd->live_exists > 0 && i < d->workflows_nr; i++) {
		at = json_object_get(live, d->workflows[i].name);
		if (!at || !d->workflows[i].content_digest)
			continue;
		l = &sd->live.workflows[json_integer_value(at)];
		if (!l->content && l->content_digest &&
		    strcmp(l->content_digest, d->workflows[i].content_digest))
			names[nr++] = d->workflows[i].name;
	}
	if (nr) {
		ret = reader_contents(sd->conn.client, target_session(sd),
				      &sd->live, names, nr, err);
		if (ret)
			buf_addf(err, "\n(reading the YAML of workspace '%s''s"
				 " changed workflows)", d->workspace.name);
	}
	json_decref(live);
	free(names);
	return ret;
}

/*
 * Salted hashes of the parameters, and the ones recorded at last apply.
 * In a workspace the state did not know before this run (fresh: 1), an
 * integration without a record is recorded as FINGERPRINT_UNVERIFIED;
 * strict (--strict-secrets) takes that mark for no record at all.
 */
static int fill_fingerprints(const struct doc *doc, struct model *d,
			     struct model *live,
			     struct fingerprint_store *store, int fresh,
			     int strict, struct buf *err)
{
	char fp[65];
	const char *rec;
	size_t i;

	for (i = 0; i < d->integrations_nr; i++) {
		struct model_integration *in = &d->integrations[i];

		if (!in->parameters)
			continue;
		in->has_secret = fingerprint_has_secret(doc, in->parameters);
		if (fingerprint_params(doc, in->parameters, store->salt, fp,
				       err))
			return -1;
		free(in->fingerprint);
		in->fingerprint = xstrdup(fp);
	}
	for (i = 0; i < live->integrations_nr; i++) {
		rec = fingerprint_store_get(store, d->workspace.name,
					    live->integrations[i].name);
		if (!rec && fresh && !strict) {
			fingerprint_store_set(store, d->workspace.name,
					      live->integrations[i].name,
					      FINGERPRINT_UNVERIFIED);
			rec = FINGERPRINT_UNVERIFIED;
		}
		if (rec && strict && !strcmp(rec, FINGERPRINT_UNVERIFIED))
			rec = NULL;
		free(live->integrations[i].fingerprint);
		live->integrations[i].fingerprint = rec ? xstrdup(rec) : NULL;
	}
	return 0;
}

/*
 * The live state a plan was made from, as a digest: apply PLAN reads the
 * workspace again and refuses to run when it no longer matches.
 */
#define INSTALL_FILE_MAX (1u << 20)

/* The SHA-256 of a file's bytes, wiped after: it holds a secret. */
static int file_digest(const char *path, char out[SHA256_HEX_LEN + 1])
{
	struct buf text = BUF_INIT;
	int ret = -1;

	if (!buf_read_file(&text, path, INSTALL_FILE_MAX)) {
		sha256_hex(text.s, text.len, out);
		ret = 0;
	}
	if (text.s)
		secure_zero(text.s, text.len);
	buf_release(&text);
	return ret;
}

/*
 * Which live runners' install commands reached no file: the journal
 * holds an intent to create the runner and no delivery for the one that
 * exists, or its file holds another runner's command (the journal keeps
 * only digests). Sets undelivered on those live runners.
 */
static void fill_deliveries(struct prepared *sd)
{
	struct journal_runners log;
	struct buf err = BUF_INIT, why = BUF_INIT;
	char fdig[SHA256_HEX_LEN + 1];
	const struct journal_runner_event *e;
	const char *other;
	size_t i, j, k;
	int intent, mine, have_file;

	if (sd->live_exists <= 0 || !sd->desired.runners_nr)
		return;
	if (journal_runners_read(sd->dir, sd->desired.workspace.name ?
				 sd->desired.workspace.name : "", &log,
				 &err)) {
		diag_add(&sd->diags, DIAG_WARNING, NULL, NULL, "cannot tell "
			 "whether every install command was delivered: %s",
			 err.s);
		goto out;
	}
	for (i = 0; i < sd->desired.runners_nr; i++) {
		const struct model_runner *r = &sd->desired.runners[i];

		if (!r->install_commands_out)
			continue;
		have_file = !file_digest(r->install_commands_out, fdig);
		for (j = 0; j < sd->live.runners_nr; j++) {
			struct model_runner *l = &sd->live.runners[j];

			if (!l->id || !l->name || strcmp(l->name, r->name))
				continue;
			intent = mine = 0;
			other = NULL;
			for (k = 0; k < log.nr; k++) {
				e = &log.ev[k];
				if (strcmp(e->name, r->name))
					continue;
				if (!e->delivered)
					intent = 1;
				else if (e->id && !strcmp(e->id, l->id))
					mine = 1;
				else if (have_file && e->digest &&
					 !strcmp(e->digest, fdig))
					other = e->id;
			}
			buf_reset(&why);
			if (!mine && intent) {
				buf_addstr(&why, "install command never "
					   "delivered");
				if (other)
					buf_addf(&why, " ('%s' holds the "
						 "command of an earlier runner,"
						 " id %s)",
						 r->install_commands_out,
						 other);
			} else if (mine && other) {
				buf_addf(&why, "install command file '%s' "
					 "holds the command of another runner"
					 " (id %s)", r->install_commands_out,
					 other);
			}
			free(l->undelivered);
			l->undelivered = why.len ? xstrdup(why.s) : NULL;
		}
	}
out:
	journal_runners_release(&log);
	buf_release(&err);
	buf_release(&why);
}

static void live_fingerprint(const struct prepared *sd, char out[65])
{
	json_t *j;
	char *text;
	size_t i;

	if (sd->live_exists < 0) {
		sha256_hex("no workspace", 12, out);
		return;
	}
	j = model_to_json(&sd->live);
	for (i = 0; i < sd->live.workflows_nr; i++)
		if (sd->live.workflows[i].content_digest)
			json_object_set_new(j, sd->live.workflows[i].name,
				json_string(
					sd->live.workflows[i].content_digest));
	text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	sha256_hex(text, strlen(text), out);
	free(text);
	json_decref(j);
}

/* Where this run's secret commands keep their answers. */
static struct secretcmd_cache *secret_cache(const struct prepare_options *o,
					    struct prepared *sd)
{
	void (*log)(void *, const char *) = o->co && o->co->verbose ?
					    connect_log : NULL;
	struct secretcmd_cache *c;

	if (!o->cache) {
		if (!sd->own_secrets)
			sd->own_secrets = secretcmd_cache_new(log, NULL);
		return sd->own_secrets;
	}
	pthread_mutex_lock(&o->cache->lock);
	if (!o->cache->secrets)
		o->cache->secrets = secretcmd_cache_new(log, NULL);
	c = o->cache->secrets;
	pthread_mutex_unlock(&o->cache->lock);
	return c;
}

/*
 * Wait for the secret commands started at the beginning of the run, and
 * set the secrets they make up. Each command that failed is an error at
 * the first place that names it. Returns 0, or -1 when one failed.
 */
static int finish_secrets(struct prepared *sd, struct secretcmd_batch **b,
			  int verbose)
{
	struct buf why = BUF_INIT;
	size_t i;
	int ret = 0;

	if (!*b)
		return 0;
	secretcmd_batch_wait(*b);
	*b = NULL;
	for (i = 0; i < sd->doc.cmds.nr; i++) {
		const struct secretcmd *c = &sd->doc.cmds.items[i];

		if (c->res && c->res->outcome == SECRETCMD_OK)
			continue;
		buf_reset(&why);
		if (c->res)
			secretcmd_describe(c->res, c->words.v[0], &why);
		diag_add(&sd->diags, DIAG_ERROR, &c->mark, c->where,
			 "secret command failed: %s; nothing was changed%s",
			 why.s, c->res && c->res->err.len && !verbose ?
			 " (-v shows what it said)" : "");
		ret = -1;
	}
	if (doc_fill_deferred(&sd->doc))
		ret = -1;
	buf_release(&why);
	return ret;
}

void prepared_release(struct prepared *sd)
{
	plan_release(&sd->plan);
	if (sd->store_open)
		fingerprint_store_release(&sd->store);
	sd->store_open = 0;
	model_release(&sd->desired);
	connect_close(&sd->conn);
	credentials_release(&sd->org_key);
	credentials_release(&sd->target_key);
	credentials_release(&sd->source_key);
	model_release(&sd->live);
	model_release(&sd->source);
	diag_list_release(&sd->diags);
	doc_release(&sd->doc);
	lock_release(&sd->lock);
	secretcmd_cache_free(sd->own_secrets);
	sd->own_secrets = NULL;
}

int prepared_save_state(struct prepared *p, struct buf *err)
{
	return p->store_open ? fingerprint_store_save(&p->store, err) : 0;
}

const struct credentials *prepared_target_key(const struct prepared *p)
{
	if (p->have_target)
		return &p->target_key;
	if (p->live_exists > 0 && p->have_org_key)
		return &p->org_key;
	return NULL;
}

int prepare_plan(const struct prepare_options *o, struct prepared *sd,
		 struct buf *err)
{
	struct plan_input in;
	struct buf dir = BUF_INIT;
	struct secretcmd_batch *secrets = NULL;
	int ret = -1, state_knew = 0;

	memset(sd, 0, sizeof(*sd));
	sd->lock.fd = -1;
	doc_init(&sd->doc);
	diag_list_init(&sd->diags, DIAG_MAX_ERRORS);
	model_init(&sd->desired);
	model_init(&sd->live);
	model_init(&sd->source);
	plan_init(&sd->plan);

	/* The desired state: secrets must resolve now. */
	if (manifest_load(&sd->doc, o->manifest, o->vars, o->resolve_flags,
			  &sd->diags) ||
	    desired_from_manifest(&sd->doc, &sd->desired, &sd->diags)) {
		ret = -2;
		goto out;
	}
	/* ${secret:cmd:...}: run while the workspace is read */
	if (sd->doc.cmds.nr)
		secrets = secretcmd_batch_start(&sd->doc.cmds,
				secret_cache(o, sd), o->secret_timeout > 0 ?
				o->secret_timeout : SECRETCMD_DEFAULT_TIMEOUT);
	if (o->only_kinds)
		sd->desired.kinds &= o->only_kinds;
	if (o->client_credentials) {
		struct model_workspace *ws = &sd->desired.workspace;

		free(ws->credentials);
		free(ws->credentials_out);
		ws->credentials = ws->credentials_out = NULL;
		if (file_exists(o->client_credentials))
			ws->credentials = xstrdup(o->client_credentials);
		else
			ws->credentials_out = xstrdup(o->client_credentials);
	}
	/* state.json first: it says which workflow YAML need no reading. */
	if (o->state_dir)
		buf_addstr(&dir, o->state_dir);
	else
		path_dirname(o->manifest, &dir);
	if (dir.len >= sizeof(sd->dir)) {
		buf_addf(err, "the manifest's directory name is too long");
		goto out;
	}
	memcpy(sd->dir, dir.s, dir.len + 1);
	/* One writer at a time, from before anything is read. */
	if (o->lock && lock_acquire(&sd->lock, sd->dir,
				    sd->desired.workspace.name,
				    o->lock_timeout, o->lock_wait,
				    NULL, err))
		goto out;
	if (fingerprint_store_open(&sd->store, sd->dir, err))
		goto out;
	sd->store_open = 1;
	/* before this run records what it reads */
	state_knew = fingerprint_store_knows(&sd->store,
			sd->desired.workspace.name ?
			sd->desired.workspace.name : "");
	if (connect_open(o->co, &sd->conn, err) ||
	    choose_target(o, &sd->desired, sd, err) ||
	    read_live(&sd->desired, sd, o->fresh_contents, err) ||
	    check_key_reads(o, &sd->desired, sd, err) ||
	    read_source(o, &sd->desired, sd, err) ||
	    fill_contents(&sd->desired, sd, err) ||
	    read_changed(&sd->desired, sd, err))
		goto out;
	if (finish_secrets(sd, &secrets, o->co && o->co->verbose)) {
		ret = -4;
		goto out;
	}
	if (fill_fingerprints(&sd->doc, &sd->desired, &sd->live, &sd->store,
			      !state_knew, o->strict_secrets,
			      err))
		goto out;
	live_fingerprint(sd, sd->live_fingerprint);
	fill_deliveries(sd);

	memset(&in, 0, sizeof(in));
	in.desired = &sd->desired;
	in.live = sd->live_exists > 0 ? &sd->live : NULL;
	in.source = sd->have_source ? sd->source_view : NULL;
	in.prune = sd->desired.prune || o->prune;
	in.rotate_secrets = o->rotate_secrets;
	in.dedupe = o->dedupe;
	in.now = (long long)time(NULL);
	in.replace_runners = o->replace_runners;
	in.replace_runners_nr = o->replace_runners_nr;
	in.targets = o->targets;
	in.targets_nr = o->targets_nr;
	if (!o->targets_checked &&
	    target_check(o->targets, o->targets_nr, &sd->desired, in.live,
			 err))
		goto out;
	if (plan_make(&in, &sd->plan, &sd->diags)) {
		ret = -2;
		goto out;
	}
	ret = 0;
out:
	/* a read that failed: what the commands said is told too */
	finish_secrets(sd, &secrets, o->co && o->co->verbose);
	buf_release(&dir);
	return ret;
}


int prepared_brake(const struct prepared *pp, long max_destroy,
		   int allow_destroy, struct buf *why)
{
	struct brake b;

	b.max_destroy = max_destroy >= 0 ? max_destroy :
		pp->desired.has_max_destroy ? pp->desired.max_destroy : -1;
	b.allow_destroy = allow_destroy;
	if (!brake_check(&pp->plan, pp->live_exists > 0 ? &pp->live : NULL,
			 &b, why))
		return 0;
	buf_addstr(why, "; nothing was changed: check the manifest, or give "
		   "--allow-destroy");
	return -1;
}

int prepared_apply(struct prepared *pp, int force,
		   void (*progress)(void *ctx, const struct apply_event *ev),
		   void *progress_ctx, struct apply_result *res,
		   struct buf *err)
{
	struct apply_env env;
	struct journal jn;
	struct buf more = BUF_INIT;
	const struct credentials *tk = prepared_target_key(pp);
	int rc;

	memset(res, 0, sizeof(*res));
	if (journal_open(&jn, pp->dir, pp->plan.workspace, err))
		return -3;
	if (journal_begin(&jn, pp->plan.workspace, pp->plan.steps_nr, err)) {
		journal_close(&jn);
		return -3;
	}
	memset(&env, 0, sizeof(env));
	env.client = pp->conn.client;
	if (pp->have_org_key)
		env.org = client_session(env.client, pp->org_key.client_id,
					 pp->org_key.client_secret);
	if (tk)
		env.target = client_session(env.client, tk->client_id,
					    tk->client_secret);
	env.doc = &pp->doc;
	env.desired = &pp->desired;
	env.live = pp->live_exists > 0 ? &pp->live : NULL;
	env.store = &pp->store;
	env.journal = &jn;
	env.force = force;
	env.stop = pp->stop;
	env.progress = progress;
	env.progress_ctx = progress_ctx;
	rc = apply_run(&env, &pp->plan, res, err);
	/* Fingerprints of what was set, even when some steps failed. */
	if (fingerprint_store_save(&pp->store, &more) && rc != -2) {
		if (err->len)
			buf_addch(err, '\n');
		buf_addstr(err, more.s);
		rc = -3;
	}
	journal_end(&jn, rc ? "failed" : "ok", res->done, res->failed,
		    res->skipped, &more);
	journal_close(&jn);
	buf_release(&more);
	return rc;
}
