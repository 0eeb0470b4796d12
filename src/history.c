#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "torq/atomicfile.h"
#include "torq/buf.h"
#include "torq/history.h"
#include "torq/model.h"
#include "torq/report.h"
#include "torq/rfc3339.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * The report's snapshots: written one per run, read back whole. A file
 * that is not a snapshot costs only itself, with a warning: the history
 * of other runs stays usable.
 */

#define FORMAT_VERSION 1
/* A snapshot of 100,000 workspaces is a few tens of MiB. */
#define MAX_SNAPSHOT (256u << 20)

void history_init(struct history *h)
{
	memset(h, 0, sizeof(*h));
}

void history_snapshot_release(struct history_snapshot *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nr; i++) {
		free(s->rows[i].name);
		free(s->rows[i].id);
	}
	free(s->rows);
	free(s->file);
	free(s->taken);
	memset(s, 0, sizeof(*s));
}

void history_release(struct history *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->nr; i++)
		history_snapshot_release(&h->snaps[i]);
	free(h->snaps);
	history_init(h);
}

/* A name or id: a string, null, or absent (NULL). */
static int get_name(const json_t *o, const char *key, char **out,
		    const char *where, struct buf *why)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		buf_addf(why, "%s.%s is not a string", where, key);
		return -1;
	}
	*out = xstrdup(json_string_value(v));
	return 0;
}

/*
 * The six figures of o. owners is a count in the totals, the list of
 * e-mails in a workspace.
 */
static int get_figures(const json_t *o, long fig[REPORT_FIGURES],
		       const char *where, struct buf *why)
{
	const json_t *v;
	size_t i;

	if (!json_is_object(o)) {
		buf_addf(why, "%s is not an object", where);
		return -1;
	}
	for (i = 0; i < REPORT_FIGURES; i++) {
		v = json_object_get(o, report_figure_key[i]);
		if (i == REPORT_OWNERS && json_is_array(v)) {
			fig[i] = (long)json_array_size(v);
			continue;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > LONG_MAX) {
			buf_addf(why, "%s.%s is not a count", where,
				 report_figure_key[i]);
			return -1;
		}
		fig[i] = (long)json_integer_value(v);
	}
	return 0;
}

static int parse_doc(const json_t *doc, struct history_snapshot *out,
		     struct buf *why)
{
	const json_t *list, *w;
	struct history_row *row;
	struct buf where = BUF_INIT;
	const char *taken;
	size_t i;
	int ret = -1;

	if (!json_is_object(doc)) {
		buf_addstr(why, "not a JSON object");
		goto out;
	}
	if (json_integer_value(json_object_get(doc, "format_version")) !=
	    FORMAT_VERSION) {
		buf_addf(why, "format_version is not %d", FORMAT_VERSION);
		goto out;
	}
	taken = json_string_value(json_object_get(doc, "taken"));
	if (!taken || rfc3339_parse(taken, &out->sec, &out->nsec)) {
		buf_addstr(why, "'taken' is missing or not an RFC 3339 time");
		goto out;
	}
	out->taken = xstrdup(taken);
	list = json_object_get(doc, "workspaces");
	if (!json_is_array(list)) {
		buf_addstr(why, "'workspaces' is missing or not a list");
		goto out;
	}
	json_array_foreach(list, i, w) {
		buf_reset(&where);
		buf_addf(&where, "workspaces[%zu]", i);
		ALLOC_GROW(out->rows, out->nr + 1, out->alloc);
		row = &out->rows[out->nr++];
		memset(row, 0, sizeof(*row));
		if (get_name(w, "name", &row->name, where.s, why) ||
		    get_name(w, "id", &row->id, where.s, why) ||
		    get_figures(w, row->fig, where.s, why))
			goto out;
	}
	if (get_figures(json_object_get(doc, "totals"), out->totals, "totals",
			why))
		goto out;
	ret = 0;
out:
	buf_release(&where);
	return ret;
}

int history_parse(const char *text, size_t len,
		  struct history_snapshot *out, struct buf *why)
{
	json_error_t jerr;
	json_t *doc;
	int ret;

	memset(out, 0, sizeof(*out));
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		buf_addf(why, "not valid JSON: line %d, column %d: %s",
			 jerr.line, jerr.column, jerr.text);
		return -1;
	}
	ret = parse_doc(doc, out, why);
	json_decref(doc);
	if (ret)
		history_snapshot_release(out);
	return ret;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n > t && !strcmp(s + n - t, tail);
}

static int cmp_snapshot(const void *a, const void *b)
{
	const struct history_snapshot *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->nsec != y->nsec)
		return x->nsec < y->nsec ? -1 : 1;
	return strcmp(x->file, y->file);
}

/* One file of the directory into h, or a warning. */
static void read_one(struct history *h, const char *dir, const char *name,
		     struct buf *warnings)
{
	struct buf path = BUF_INIT, text = BUF_INIT, why = BUF_INIT;
	struct history_snapshot s;

	buf_addf(&path, "%s/%s", dir, name);
	if (buf_read_file(&text, path.s, MAX_SNAPSHOT))
		buf_addf(&why, "cannot read it: %s", strerror(errno));
	else if (!history_parse(text.s, text.len, &s, &why)) {
		s.file = xstrdup(name);
		ALLOC_GROW(h->snaps, h->nr + 1, h->alloc);
		h->snaps[h->nr++] = s;
	}
	if (why.len)
		buf_addf(warnings, "skipping history snapshot '%s': %s\n",
			 path.s, why.s);
	buf_release(&path);
	buf_release(&text);
	buf_release(&why);
}

int history_read(struct history *h, const char *dir, struct buf *warnings,
		 struct buf *err)
{
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (!stat(dir, &st) && !S_ISDIR(st.st_mode)) {
		buf_addf(err, "history directory '%s' is not a directory",
			 dir);
		return -1;
	}
	if (atomicfile_mkdirs(dir, 0700, err))
		return -1;
	d = opendir(dir);
	if (!d) {
		buf_addf(err, "cannot read history directory '%s': %s", dir,
			 strerror(errno));
		return -1;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && ends_with(e->d_name, ".json"))
			read_one(h, dir, e->d_name, warnings);
	closedir(d);
	if (h->nr)
		qsort(h->snaps, h->nr, sizeof(*h->snaps), cmp_snapshot);
	return 0;
}

const struct history_snapshot *history_at_or_before(const struct history *h,
						    long long sec, long nsec)
{
	const struct history_snapshot *best = NULL;
	size_t i;

	/* oldest first: the last one not after the time */
	for (i = 0; i < h->nr; i++)
		if (h->snaps[i].sec < sec ||
		    (h->snaps[i].sec == sec && h->snaps[i].nsec <= nsec))
			best = &h->snaps[i];
	return best;
}

static int same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

int history_find(const struct history_snapshot *s, const char *id,
		 const char *name, long out[REPORT_FIGURES])
{
	const struct history_row *r;
	size_t i;

	for (i = 0; i < s->nr; i++) {
		r = &s->rows[i];
		if (id && r->id ? same(id, r->id) : same(name, r->name)) {
			memcpy(out, r->fig, sizeof(r->fig));
			return 0;
		}
	}
	return -1;
}

/* now - then, held at the ends of long instead of overflowing. */
static long diff_sat(long now, long then)
{
	if (then < 0 && now > LONG_MAX + then)
		return LONG_MAX;
	if (then > 0 && now < LONG_MIN + then)
		return LONG_MIN;
	return now - then;
}

void history_change(const struct history_snapshot *s,
		    const struct model_workspace *ws, size_t nr,
		    struct report_change *c)
{
	struct report_totals t;
	long now[REPORT_FIGURES], then[REPORT_FIGURES];
	size_t i, k;

	c->since = s ? s->taken : NULL;
	c->known = xcalloc(nr + 1, sizeof(*c->known));
	c->delta = xcalloc(nr + 1, sizeof(*c->delta));
	if (!s)
		return;
	for (i = 0; i <= nr; i++) {
		if (i < nr) {
			report_figures(&ws[i], now);
			if (history_find(s, ws[i].id, ws[i].name, then))
				continue;
		} else {
			report_totals(ws, nr, &t);
			report_total_figures(&t, now);
			memcpy(then, s->totals, sizeof(then));
		}
		c->known[i] = 1;
		for (k = 0; k < REPORT_FIGURES; k++)
			c->delta[i][k] = diff_sat(now[k], then[k]);
	}
}

void history_change_release(struct report_change *c)
{
	if (!c)
		return;
	free(c->known);
	free(c->delta);
	memset(c, 0, sizeof(*c));
}

/* gmtime of sec into tm; 0, or -1 when out of range. */
static int utc(long long sec, struct tm *tm)
{
	time_t t = (time_t)sec;

	return (long long)t == sec && gmtime_r(&t, tm) ? 0 : -1;
}

void history_add_time(struct buf *out, long long sec)
{
	struct tm tm;
	char s[32];

	if (utc(sec, &tm) ||
	    !strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		buf_addf(out, "@%lld", sec);
		return;
	}
	buf_addstr(out, s);
}

int history_write(const char *dir, long long sec, long nsec, json_t *doc,
		  struct buf *path, struct buf *err)
{
	struct buf taken = BUF_INIT;
	struct tm tm;
	char stamp[32];
	char *text = NULL;
	int ret = -1;

	if (utc(sec, &tm) ||
	    !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm)) {
		buf_addf(err, "the time %lld cannot be written", sec);
		goto out;
	}
	/* to the microsecond, as the name: two runs in a second keep order */
	buf_addf(&taken, "%.4d-%.2d-%.2dT%.2d:%.2d:%.2d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, nsec / 1000);
	json_object_set_new(doc, "taken", json_string(taken.s));
	text = json_dumps(doc, JSON_INDENT(2));
	buf_reset(path);
	buf_addf(path, "%s/%s.%06ldZ.json", dir, stamp, nsec / 1000);
	if (!text) {
		buf_addf(err, "cannot encode history snapshot '%s'", path->s);
		goto out;
	}
	buf_reset(&taken);
	buf_addf(&taken, "%s\n", text);
	if (atomicfile_write(path->s, taken.s, taken.len, 0644,
			     ATOMICFILE_NO_CLOBBER, "history snapshot", err))
		goto out;
	ret = 0;
out:
	free(text);
	buf_release(&taken);
	return ret;
}
