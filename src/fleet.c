#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torq/apply.h"
#include "torq/atomicfile.h"
#include "torq/fleet.h"
#include "torq/journal.h"
#include "torq/load.h"
#include "torq/path.h"
#include "torq/prepare.h"
#include "torq/rfc3339.h"
#include "torq/render.h"
#include "torq/sha256.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/* Reading the fleet file. */

static void release_client(struct fleet_client *c)
{
	free(c->name);
	free(c->credentials);
	varset_release(&c->vars);
}

void fleet_release(struct fleet *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nr; i++)
		release_client(&f->clients[i]);
	free(f->clients);
	free(f->path);
	free(f->dir);
	free(f->template_path);
	doc_release(&f->doc);
	memset(f, 0, sizeof(*f));
}

static int name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* A scalar variable value as text: strings, numbers and booleans. */
static int scalar_text(const json_t *v, struct buf *out)
{
	buf_reset(out);
	if (json_is_string(v))
		buf_addstr(out, json_string_value(v));
	else if (json_is_integer(v))
		buf_addf(out, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		buf_addf(out, "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		buf_addstr(out, json_is_true(v) ? "true" : "false");
	else
		return -1;
	return 0;
}

static void load_client(struct fleet *f, json_t *item, size_t i,
			json_t *names, struct diag_list *diags)
{
	struct fleet_client *c;
	struct buf path = BUF_INIT, text = BUF_INIT;
	const char *name = json_string_value(json_object_get(item, "name"));
	const char *cred = json_string_value(json_object_get(item,
							     "credentials"));
	json_t *vars = json_object_get(item, "vars"), *v, *seen;
	const struct mark *m = doc_mark(&f->doc, item, NULL);
	const char *key;

	buf_addf(&path, "clients[%zu]", i);
	if (!json_is_object(item)) {
		diag_add(diags, DIAG_ERROR, m, path.s, "expected a mapping "
			 "with name, vars and credentials");
		goto out;
	}
	json_object_foreach(item, key, v)
		if (strcmp(key, "name") && strcmp(key, "vars") &&
		    strcmp(key, "credentials"))
			diag_add(diags, DIAG_ERROR, doc_mark(&f->doc, item, key),
				 path.s, "unknown key '%s' (a client has name,"
				 " vars and credentials)", key);
	if (!name || !name_ok(name)) {
		diag_add(diags, DIAG_ERROR, doc_mark(&f->doc, item, "name"),
			 path.s, "a client needs a name of lower-case letters,"
			 " digits, '-', '_' and '.'");
		goto out;
	}
	seen = json_object_get(names, name);
	if (seen) {
		diag_add(diags, DIAG_ERROR, doc_mark(&f->doc, item, "name"),
			 path.s, "client '%s' is listed twice", name);
		goto out;
	}
	json_object_set_new(names, name, json_true());
	if (!cred) {
		diag_add(diags, DIAG_ERROR, m, path.s, "client '%s' needs "
			 "credentials: the file that holds (or will hold) its "
			 "workspace's key", name);
		goto out;
	}
	if (vars && !json_is_object(vars)) {
		diag_add(diags, DIAG_ERROR, doc_mark(&f->doc, item, "vars"),
			 path.s, "vars must be a mapping of names to values");
		goto out;
	}
	ALLOC_GROW(f->clients, f->nr + 1, f->alloc);
	c = &f->clients[f->nr++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	varset_init(&c->vars);
	c->mark = m;
	buf_reset(&path);
	path_relative_to(f->path, cred, &path);
	c->credentials = buf_detach(&path, NULL);
	json_object_foreach(vars, key, v) {
		if (scalar_text(v, &text) ||
		    !var_name_ok(key, strlen(key))) {
			diag_add(diags, DIAG_ERROR, doc_mark(&f->doc, vars,
				 key), NULL, "variable '%s' of client '%s' "
				 "must be a valid name with a string, number "
				 "or boolean value", key, name);
			continue;
		}
		varset_set(&c->vars, key, text.s);
	}
out:
	buf_release(&path);
	buf_release(&text);
}

/*
 * The fleet's template is read as every client's manifest: the same rule
 * as for extends: (resolve.h), in the fleet file's tree.
 */
static void check_template(struct fleet *f, const char *path, json_t *root,
			   unsigned flags, struct diag_list *diags)
{
	struct buf tree = BUF_INIT, err = BUF_INIT;
	char *real = realpath(f->template_path, NULL);

	resolve_tree_root(path, &tree);
	if (resolve_template_allowed(tree.s, f->template_path,
				     real ? real : f->template_path, flags,
				     &err))
		diag_add(diags, DIAG_ERROR,
			 doc_value_mark(&f->doc, root, "template", 0),
			 "template", "template %s", err.s);
	free(real);
	buf_release(&tree);
	buf_release(&err);
}

int fleet_load(struct fleet *f, const char *path, unsigned resolve_flags,
	       struct diag_list *diags)
{
	json_t *root = NULL, *clients, *item, *names = json_object(), *v;
	struct buf b = BUF_INIT;
	const char *tmpl, *key;
	size_t i, errors = diags->errors;

	memset(f, 0, sizeof(*f));
	doc_init(&f->doc);
	f->path = xstrdup(path);
	path_dirname(path, &b);
	f->dir = buf_detach(&b, NULL);
	if (load_file(&f->doc, path, &root, diags) || !root)
		goto out;
	if (!json_is_object(root)) {
		diag_add(diags, DIAG_ERROR, doc_mark(&f->doc, root, NULL), NULL,
			 "a fleet file is a mapping with version, template "
			 "and clients");
		goto out;
	}
	json_object_foreach(root, key, v)
		if (strcmp(key, "version") && strcmp(key, "template") &&
		    strcmp(key, "clients"))
			diag_add(diags, DIAG_ERROR, doc_mark(&f->doc, root, key),
				 NULL, "unknown key '%s' (a fleet file has "
				 "version, template and clients)", key);
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		diag_add(diags, DIAG_ERROR, doc_value_mark(&f->doc, root,
			 "version", 0), "version", "version must be 1");
	tmpl = json_string_value(json_object_get(root, "template"));
	if (!tmpl) {
		diag_add(diags, DIAG_ERROR, doc_mark(&f->doc, root, NULL),
			 "template", "template must name the manifest every "
			 "client is made from");
	} else {
		path_relative_to(path, tmpl, &b);
		f->template_path = buf_detach(&b, NULL);
		check_template(f, path, root, resolve_flags, diags);
	}
	clients = json_object_get(root, "clients");
	if (!json_is_array(clients) || !json_array_size(clients))
		diag_add(diags, DIAG_ERROR, doc_mark(&f->doc, root, "clients"),
			 "clients", "clients must be a list of at least one "
			 "client");
	json_array_foreach(clients, i, item)
		load_client(f, item, i, names, diags);
out:
	json_decref(root);
	json_decref(names);
	buf_release(&b);
	return diags->errors > errors || !root ? -1 : 0;
}

int fleet_parse_shard(const char *arg, unsigned *k, unsigned *n,
		      struct buf *err)
{
	const char *slash = strchr(arg, '/');
	char *head;
	long kk, nn;
	int bad;

	if (!slash) {
		buf_addf(err, "--shard wants K/N, such as 0/4, not '%s'", arg);
		return -1;
	}
	head = xstrndup(arg, (size_t)(slash - arg));
	bad = parse_long(head, 0, 1L << 20, &kk) ||
		parse_long(slash + 1, 1, 1L << 20, &nn) || kk >= nn;
	free(head);
	if (bad) {
		buf_addf(err, "--shard wants K/N with 0 <= K < N, such as 0/4,"
			 " not '%s'", arg);
		return -1;
	}
	*k = (unsigned)kk;
	*n = (unsigned)nn;
	return 0;
}

int fleet_in_shard(const char *name, unsigned k, unsigned n)
{
	char hex[65];
	unsigned long h;

	if (n <= 1)
		return 1;
	sha256_hex(name, strlen(name), hex);
	hex[8] = '\0';
	h = strtoul(hex, NULL, 16);
	return h % n == k;
}

const char *fleet_status_name(enum fleet_status s)
{
	static const char *const names[] = { "ok", "changes", "applied",
					     "failed" };

	return s <= FLEET_FAILED ? names[s] : "unknown";
}

void fleet_result_release(struct fleet_result *r)
{
	if (!r)
		return;
	free(r->workspace);
	free(r->error);
	buf_release(&r->output);
	memset(r, 0, sizeof(*r));
}

/* Running clients. */

struct pool {
	const struct fleet *f;
	const size_t *which;
	size_t nr, next;
	const struct fleet_options *o;
	struct fleet_result *results;
	struct prepare_cache *cache;	/* what every client reads alike */
	pthread_mutex_t lock;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void step_line(void *ctx, const struct apply_event *ev)
{
	struct buf *out = ctx;

	if (ev->status == APPLY_RUNNING)
		return;
	buf_addf(out, "%s %s %s%s%s: %s%s%s\n",
		 plan_action_sign(ev->step->action),
		 plan_step_kind_name(ev->step->kind), ev->step->identity,
		 ev->step->detail ? " #" : "",
		 ev->step->detail ? ev->step->detail : "",
		 apply_status_name(ev->status), ev->message ? ": " : "",
		 ev->message ? ev->message : "");
}

static void fail(struct fleet_result *r, const char *msg)
{
	r->status = FLEET_FAILED;
	free(r->error);
	r->error = xstrdup(msg);
}

static void apply_client(const struct fleet_options *o, struct prepared *pp,
			 struct fleet_result *r)
{
	struct apply_result res;
	struct buf err = BUF_INIT;
	int rc = prepared_apply(pp, o->force, step_line, &r->output, &res,
				&err);

	if (rc == -1) {
		buf_reset(&err);
		buf_addf(&err, "%zu step%s failed, %zu skipped", res.failed,
			 res.failed == 1 ? "" : "s", res.skipped);
	}
	if (rc)
		fail(r, err.s);
	else
		r->status = FLEET_APPLIED;
	apply_result_release(&res);
	buf_release(&err);
}

/* How many of the workspace's runners were seen in the last day. */
static void count_runners(const struct prepared *pp, struct fleet_result *r)
{
	long long now = (long long)time(NULL), sec;
	long nsec;
	size_t i;

	if (!(pp->desired.kinds & MODEL_RUNNERS) || pp->live_exists <= 0)
		return;
	r->runners = (long)pp->live.runners_nr;
	r->runners_seen = 0;
	for (i = 0; i < pp->live.runners_nr; i++)
		if (!rfc3339_parse(pp->live.runners[i].last_seen, &sec,
				   &nsec) && now - sec < 86400)
			r->runners_seen++;
}

/* A --replace name the manifest does not name, refused as apply does. */
static int unknown_replace(const struct fleet_options *o,
			   const struct model *d, struct buf *err)
{
	size_t i, j;

	for (i = 0; i < o->replace_runners_nr; i++) {
		for (j = 0; j < d->runners_nr; j++)
			if (!strcmp(d->runners[j].name, o->replace_runners[i]))
				break;
		if (j == d->runners_nr) {
			buf_reset(err);
			buf_addf(err, "--replace step_runner:%s: the manifest "
				 "names no step runner '%s'",
				 o->replace_runners[i], o->replace_runners[i]);
			return -1;
		}
	}
	return 0;
}

static void run_client(struct pool *p, size_t i)
{
	const struct fleet_options *o = p->o;
	struct fleet_result *r = &p->results[i];
	const struct fleet_client *c = &p->f->clients[p->which[i]];
	struct prepare_options po;
	struct prepared pp;
	struct varset vars;
	struct buf err = BUF_INIT, dir = BUF_INIT, mend = BUF_INIT;
	double t0 = now_s();
	size_t k;
	int rc;

	r->client = c;
	r->runners = r->runners_seen = -1;
	buf_init(&r->output);
	/* --var for every client, then the client's own values */
	varset_init(&vars);
	for (k = 0; o->vars && k < o->vars->nr; k++)
		varset_set(&vars, o->vars->items[k].name,
			   o->vars->items[k].value);
	for (k = 0; k < c->vars.nr; k++)
		varset_set(&vars, c->vars.items[k].name, c->vars.items[k].value);
	/* each client keeps its fingerprints and journal apart */
	buf_addf(&dir, "%s/.torq-apply/fleet/%s", p->f->dir, c->name);
	if (o->apply && atomicfile_mkdirs(dir.s, 0700, &err)) {
		fail(r, err.s);
		r->seconds = now_s() - t0;
		varset_release(&vars);
		buf_release(&err);
		buf_release(&dir);
		return;
	}
	memset(&po, 0, sizeof(po));
	po.manifest = p->f->template_path;
	po.vars = &vars;
	po.resolve_flags = o->resolve_flags;
	po.co = o->co;
	po.prune = o->prune;
	po.rotate_secrets = o->rotate_secrets;
	po.dedupe = o->dedupe;
	po.strict_secrets = o->strict_secrets;
	po.client_credentials = c->credentials;
	po.state_dir = dir.s;
	po.cache = p->cache;
	po.replace_runners = o->replace_runners;
	po.replace_runners_nr = o->replace_runners_nr;
	po.targets = o->targets;
	po.targets_nr = o->targets_nr;
	po.lock = o->apply;
	po.lock_timeout = o->lock_timeout;
	po.secret_timeout = o->secret_timeout;
	po.lock_wait = o->lock_wait;
	rc = prepare_plan(&po, &pp, &err);
	if (pp.plan.workspace || pp.desired.workspace.name)
		r->workspace = xstrdup(pp.plan.workspace ? pp.plan.workspace :
				       pp.desired.workspace.name);
	if (rc) {
		diag_render(&pp.diags, &r->output, doc_source_line, &pp.doc,
			    0);
		for (k = 0; !err.len && k < pp.diags.nr; k++)
			if (pp.diags.items[k].severity == DIAG_ERROR)
				buf_addstr(&err, pp.diags.items[k].message);
		fail(r, err.len ? err.s : "the plan failed");
		goto out;
	}
	r->add = pp.plan.to_add;
	r->change = pp.plan.to_change;
	r->destroy = pp.plan.to_destroy;
	count_runners(&pp, r);
	render_text(&pp.plan, 0, &r->output);
	if (unknown_replace(o, &pp.desired, &err)) {
		fail(r, err.s);
		goto out;
	}
	buf_reset(&err);
	if (plan_empty(&pp.plan)) {
		r->status = FLEET_OK;
		/* apply writes what the read learnt (prepare.h) */
		if (o->apply && prepared_save_state(&pp, &err))
			buf_addf(&r->output, "warning: %s\n", err.s);
	} else if (prepared_brake(&pp, o->max_destroy, o->allow_destroy,
				  &err)) {
		fail(r, err.s);		/* the plan shows; nothing is applied */
	} else if (!o->apply) {
		r->status = FLEET_CHANGES;
	} else {
		apply_client(o, &pp, r);
	}
	/* what no step mends fails an apply, as it does apply's */
	if (o->apply && pp.plan.problems_nr && r->status != FLEET_FAILED) {
		buf_reset(&err);
		buf_addf(&mend, "fleet apply --only %s", c->name);
		render_problem(&pp.plan.problems[0], mend.s, &err);
		if (pp.plan.problems_nr > 1)
			buf_addf(&err, " (and %zu more problems: see "
				 "'fleet plan --only %s')",
				 pp.plan.problems_nr - 1, c->name);
		fail(r, err.s);
	}
out:
	r->seconds = now_s() - t0;
	prepared_release(&pp);
	varset_release(&vars);
	buf_release(&err);
	buf_release(&mend);
	buf_release(&dir);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->nr)
			return NULL;
		run_client(p, i);
	}
}

size_t fleet_run(const struct fleet *f, const size_t *which, size_t nr,
		 const struct fleet_options *o, struct fleet_result *results)
{
	struct pool p;
	pthread_t *threads;
	size_t i, n = o->parallel ? o->parallel : 1, started = 0, failed = 0;

	memset(&p, 0, sizeof(p));
	p.f = f;
	p.which = which;
	p.nr = nr;
	p.o = o;
	p.results = results;
	p.cache = prepare_cache_new();
	pthread_mutex_init(&p.lock, NULL);
	memset(results, 0, nr * sizeof(*results));
	if (n > nr)
		n = nr;
	threads = xcalloc(n + 1, sizeof(*threads));
	for (i = 0; i < n; i++)
		if (!pthread_create(&threads[i], NULL, worker, &p))
			started++;
	if (!started)
		worker(&p);	/* no threads to be had: one after another */
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	pthread_mutex_destroy(&p.lock);
	prepare_cache_free(p.cache);
	for (i = 0; i < nr; i++)
		failed += results[i].status == FLEET_FAILED;
	return failed;
}

/* Summaries. */

static json_t *totals(json_t *clients)
{
	json_t *t = json_pack("{s:i, s:i, s:i, s:i, s:i}", "clients",
			      (json_int_t)json_array_size(clients), "ok", 0,
			      "changes", 0, "applied", 0, "failed", 0);
	json_t *c, *v;
	const char *st;
	size_t i;

	json_array_foreach(clients, i, c) {
		st = json_string_value(json_object_get(c, "status"));
		v = st ? json_object_get(t, st) : NULL;
		if (v)
			json_integer_set(v, json_integer_value(v) + 1);
	}
	return t;
}

json_t *fleet_summary_json(const char *command, const char *fleet_path,
			   unsigned shard_k, unsigned shard_n,
			   const struct fleet_result *r, size_t nr)
{
	json_t *clients = json_array(), *c, *j;
	size_t i;

	for (i = 0; i < nr; i++) {
		c = json_pack("{s:s, s:s?, s:s, s:i, s:i, s:i, s:f}",
			      "name", r[i].client->name, "workspace",
			      r[i].workspace, "status",
			      fleet_status_name(r[i].status), "add",
			      (json_int_t)r[i].add, "change",
			      (json_int_t)r[i].change, "destroy",
			      (json_int_t)r[i].destroy, "seconds",
			      (double)(long)(r[i].seconds * 1000) / 1000);
		json_object_set_new(c, "error", r[i].error ?
				    json_string(r[i].error) : json_null());
		/* only when known: older readers see the same JSON */
		if (r[i].runners >= 0) {
			json_object_set_new(c, "runners",
					    json_integer(r[i].runners));
			json_object_set_new(c, "runners_seen_1d",
					    json_integer(r[i].runners_seen));
		}
		json_array_append_new(clients, c);
	}
	j = json_pack("{s:i, s:s, s:s}", "format_version", 1, "command",
		      command, "fleet", fleet_path);
	json_object_set_new(j, "shard", shard_n ? json_pack(
		"{s:i, s:i}", "index", (json_int_t)shard_k, "count",
		(json_int_t)shard_n) : json_null());
	json_object_set_new(j, "totals", totals(clients));
	json_object_set_new(j, "clients", clients);
	return j;
}

static int by_client_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(json_string_value(json_object_get(x, "name")),
		      json_string_value(json_object_get(y, "name")));
}

json_t *fleet_summary_merge(json_t *const *parts, size_t nr, struct buf *err)
{
	json_t **all = NULL, *clients = json_array(), *c, *j, *names;
	size_t n = 0, alloc = 0, i, k;
	const char *command = NULL, *name;

	names = json_object();
	for (i = 0; i < nr; i++) {
		if (json_integer_value(json_object_get(parts[i],
						       "format_version")) != 1 ||
		    !json_is_array(json_object_get(parts[i], "clients"))) {
			buf_addf(err, "summary %zu is not a fleet summary "
				 "(format_version 1)", i + 1);
			goto fail;
		}
		if (!command)
			command = json_string_value(json_object_get(parts[i],
								    "command"));
		json_array_foreach(json_object_get(parts[i], "clients"), k, c) {
			name = json_string_value(json_object_get(c, "name"));
			if (!name) {
				buf_addf(err, "summary %zu has a client "
					 "without a name", i + 1);
				goto fail;
			}
			if (json_object_get(names, name)) {
				buf_addf(err, "client '%s' is in more than "
					 "one summary: were the shards the "
					 "same?", name);
				goto fail;
			}
			json_object_set_new(names, name, json_true());
			ALLOC_GROW(all, n + 1, alloc);
			all[n++] = c;
		}
	}
	if (n)
		qsort(all, n, sizeof(*all), by_client_name);
	for (i = 0; i < n; i++)
		json_array_append(clients, all[i]);
	j = json_pack("{s:i, s:s, s:n, s:n}", "format_version", 1, "command",
		      command ? command : "plan", "fleet", "shard");
	json_object_set_new(j, "totals", totals(clients));
	json_object_set_new(j, "clients", clients);
	free(all);
	json_decref(names);
	return j;
fail:
	free(all);
	json_decref(names);
	json_decref(clients);
	return NULL;
}

void fleet_summary_text(const json_t *summary, struct buf *out)
{
	json_t *clients = json_object_get(summary, "clients"), *c, *t;
	size_t i, wn = 6, ww = 9;
	const char *s;
	struct buf changes = BUF_INIT;

	json_array_foreach(clients, i, c) {
		s = json_string_value(json_object_get(c, "name"));
		wn = s && strlen(s) > wn ? strlen(s) : wn;
		s = json_string_value(json_object_get(c, "workspace"));
		ww = s && strlen(s) > ww ? strlen(s) : ww;
	}
	buf_addf(out, "%-*s  %-*s  %-14s  %-8s  %s\n", (int)wn, "CLIENT",
		 (int)ww, "WORKSPACE", "CHANGES", "STATUS", "TIME");
	json_array_foreach(clients, i, c) {
		buf_reset(&changes);
		buf_addf(&changes, "+%lld ~%lld -%lld",
			 (long long)json_integer_value(json_object_get(c, "add")),
			 (long long)json_integer_value(json_object_get(c,
							"change")),
			 (long long)json_integer_value(json_object_get(c,
							"destroy")));
		s = json_string_value(json_object_get(c, "workspace"));
		buf_addf(out, "%-*s  %-*s  %-14s  %-8s  %.1f s\n", (int)wn,
			 json_string_value(json_object_get(c, "name")),
			 (int)ww, s ? s : "-", changes.s,
			 json_string_value(json_object_get(c, "status")),
			 json_number_value(json_object_get(c, "seconds")));
	}
	t = json_object_get(summary, "totals");
	buf_addf(out, "\nFleet: %lld client%s: %lld ok, %lld with changes, "
		 "%lld applied, %lld failed.\n",
		 (long long)json_integer_value(json_object_get(t, "clients")),
		 json_integer_value(json_object_get(t, "clients")) == 1 ?
		 "" : "s",
		 (long long)json_integer_value(json_object_get(t, "ok")),
		 (long long)json_integer_value(json_object_get(t, "changes")),
		 (long long)json_integer_value(json_object_get(t, "applied")),
		 (long long)json_integer_value(json_object_get(t, "failed")));
	json_array_foreach(clients, i, c)
		if (json_is_string(json_object_get(c, "error")))
			buf_addf(out, "%s: %s\n",
				 json_string_value(json_object_get(c, "name")),
				 json_string_value(json_object_get(c,
								   "error")));
	buf_release(&changes);
}
