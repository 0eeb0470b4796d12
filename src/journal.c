#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "torq/journal.h"
#include "torq/sha256.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

#define STATE_DIR ".torq-apply"
#define JOURNAL_DIR "journal"
#define NAME_KEPT 64			/* bytes kept of the workspace name */
#define HASH_KEPT 8			/* hex digits of its SHA-256 */

static void add_dir(struct buf *out, const char *dir)
{
	buf_addstr(out, dir && *dir ? dir : ".");
}

void journal_state_path(const char *dir, const char *sub,
			const char *workspace, const char *ext, struct buf *out)
{
	char hex[SHA256_HEX_LEN + 1];
	const char *p;
	size_t n;
	char c;

	add_dir(out, dir);
	buf_addf(out, "/" STATE_DIR "/%s/", sub);
	for (p = workspace, n = 0; *p && n < NAME_KEPT; p++, n++) {
		c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') &&
			 c != '-' && c != '_')
			c = '_';
		buf_addch(out, c);
	}
	sha256_hex(workspace, strlen(workspace), hex);
	buf_addf(out, "-%.*s%s", HASH_KEPT, hex, ext);
}

void journal_path(const char *dir, const char *workspace, struct buf *out)
{
	journal_state_path(dir, JOURNAL_DIR, workspace, ".jsonl", out);
}

/* Create a directory 0700 unless it is there: 1 made, 0 there, -1 error. */
static int make_dir(const char *path, struct buf *err)
{
	struct stat st;
	int saved;

	if (!mkdir(path, 0700))
		return 1;
	saved = errno;
	if (saved == EEXIST) {
		if (!stat(path, &st) && S_ISDIR(st.st_mode))
			return 0;
		saved = ENOTDIR;
	}
	buf_addf(err, "cannot create directory '%s': %s", path,
		 strerror(saved));
	return -1;
}

/* Make new names in a directory durable; failure costs only that. */
static void sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Write all of data, then sync. A line cut short is ended, if possible. */
static int write_line(struct journal *j, const char *data, size_t len,
		      struct buf *err)
{
	size_t done = 0;
	ssize_t n;
	int saved;

	while (done < len) {
		n = write(j->fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			goto fail;
		}
		done += (size_t)n;
	}
	if (!fsync(j->fd))
		return 0;
fail:
	saved = errno;
	/* So that later records still start lines of their own. */
	if (done && done < len) {
		n = write(j->fd, "\n", 1);
		(void)n;
	}
	buf_addf(err, "cannot write journal '%s': %s", j->path,
		 strerror(saved));
	return -1;
}

/*
 * A crash or a failed write may have torn the last line: end it before
 * adding to it, or the next record would be lost with it.
 */
static int end_torn_line(struct journal *j, struct buf *err)
{
	struct stat st;
	ssize_t n;
	char last;

	if (fstat(j->fd, &st))
		goto fail;
	if (!st.st_size)
		return 0;
	n = pread(j->fd, &last, 1, st.st_size - 1);
	if (n != 1) {
		if (!n)
			errno = EIO;
		goto fail;
	}
	return last == '\n' ? 0 : write_line(j, "\n", 1, err);
fail:
	buf_addf(err, "cannot read journal '%s': %s", j->path,
		 strerror(errno));
	return -1;
}

static uint32_t run_random(const struct timespec *ts)
{
	uint32_t x = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &x, sizeof(x)) != (ssize_t)sizeof(x))
			x = 0;
		close(fd);
	}
	/* Without /dev/urandom, the clock and the process still differ. */
	if (!x)
		x = (uint32_t)ts->tv_nsec ^ (uint32_t)getpid() * 2654435761u;
	return x;
}

/* "20261123T100000Z-4242-9f86d081": sorts by time, unique per run. */
static void make_run_id(char run[JOURNAL_RUN_LEN])
{
	struct timespec ts;
	struct tm tm;
	char stamp[32] = "19700101T000000Z";

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm))
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(run, JOURNAL_RUN_LEN, "%s-%ld-%08x", stamp, (long)getpid(),
		 (unsigned)run_random(&ts));
}

int journal_open(struct journal *j, const char *dir, const char *workspace,
		 struct buf *err)
{
	struct buf top = BUF_INIT, sub = BUF_INIT, path = BUF_INIT;
	struct stat st;
	int made_top, made_sub, ret = -1;

	j->path = NULL;
	j->fd = -1;
	j->run[0] = '\0';
	add_dir(&top, dir);
	buf_addstr(&top, "/" STATE_DIR);
	buf_addf(&sub, "%s/" JOURNAL_DIR, top.s);
	journal_path(dir, workspace, &path);
	j->path = buf_detach(&path, NULL);
	made_top = make_dir(top.s, err);
	if (made_top < 0)
		goto out;
	made_sub = make_dir(sub.s, err);
	if (made_sub < 0)
		goto out;
	j->fd = open(j->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC |
		     O_NOCTTY | O_NOFOLLOW, 0600);
	if (j->fd < 0 || fstat(j->fd, &st)) {
		buf_addf(err, "cannot open journal '%s': %s", j->path,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_addf(err, "cannot open journal '%s': not a regular file",
			 j->path);
		goto out;
	}
	/* The first record must not be lost with the file's name. */
	sync_dir(sub.s);
	if (made_sub)
		sync_dir(top.s);
	if (made_top) {
		buf_reset(&top);
		add_dir(&top, dir);
		sync_dir(top.s);
	}
	make_run_id(j->run);
	ret = 0;
out:
	if (ret)
		journal_close(j);
	buf_release(&top);
	buf_release(&sub);
	return ret;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	free(j->path);
	j->path = NULL;
}

/* A JSON string of s; one that is not UTF-8 loses its non-ASCII bytes. */
static json_t *text_value(const char *s)
{
	json_t *v = json_string(s);
	char *copy, *p;

	if (v)
		return v;
	copy = xstrdup(s);
	for (p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

/* Set key to s; a NULL s leaves the key out. */
static void put(json_t *rec, const char *key, const char *s)
{
	if (s)
		json_object_set_new(rec, key, text_value(s));
}

static void put_count(json_t *rec, const char *key, size_t n)
{
	json_object_set_new(rec, key, json_integer((json_int_t)n));
}

/* A new record with the fields every record has. */
static json_t *record(const struct journal *j, const char *event)
{
	json_t *rec = json_object();
	time_t now = time(NULL);
	char t[32] = "1970-01-01T00:00:00Z";
	struct tm tm;

	if (gmtime_r(&now, &tm))
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
	put(rec, "t", t);
	put(rec, "event", event);
	put(rec, "run", j->run);
	return rec;
}

/* Append rec (stolen) as one line. */
static int append(struct journal *j, json_t *rec, struct buf *err)
{
	struct buf line = BUF_INIT;
	char *text = NULL;
	int ret = -1;

	if (j->fd < 0) {
		buf_addstr(err, "cannot write the journal: it is not open");
		goto out;
	}
	text = json_dumps(rec, JSON_COMPACT);
	if (!text) {
		buf_addf(err, "cannot write journal '%s': out of memory",
			 j->path);
		goto out;
	}
	buf_addstr(&line, text);
	buf_addch(&line, '\n');
	if (end_torn_line(j, err))
		goto out;
	ret = write_line(j, line.s, line.len, err);
out:
	json_decref(rec);
	free(text);
	buf_release(&line);
	return ret;
}

int journal_begin(struct journal *j, const char *workspace, size_t steps,
		  struct buf *err)
{
	json_t *rec = record(j, "begin");

	put(rec, "workspace", workspace);
	put_count(rec, "steps", steps);
	return append(j, rec, err);
}

int journal_step(struct journal *j, size_t index, const char *kind,
		 const char *identity, const char *status, const char *id,
		 const char *message, struct buf *err)
{
	json_t *rec = record(j, "step");

	put_count(rec, "index", index);
	put(rec, "kind", kind);
	put(rec, "identity", identity);
	put(rec, "status", status);
	put(rec, "id", id);
	put(rec, "message", message);
	return append(j, rec, err);
}

int journal_workspace_created(struct journal *j, const char *workspace,
			      const char *id, const char *credentials_path,
			      struct buf *err)
{
	json_t *rec = record(j, "workspace_created");

	put(rec, "workspace", workspace);
	put(rec, "id", id);
	put(rec, "credentials", credentials_path);
	return append(j, rec, err);
}

int journal_end(struct journal *j, const char *status, size_t done,
		size_t failed, size_t skipped, struct buf *err)
{
	json_t *rec = record(j, "end");

	put(rec, "status", status);
	put_count(rec, "done", done);
	put_count(rec, "failed", failed);
	put_count(rec, "skipped", skipped);
	return append(j, rec, err);
}

int journal_runner_intent(struct journal *j, const char *name,
			  const char *file, struct buf *err)
{
	json_t *rec = record(j, "runner_intent");

	put(rec, "name", name);
	put(rec, "file", file);
	return append(j, rec, err);
}

int journal_runner_delivered(struct journal *j, const char *name,
			     const char *id, const char *file,
			     const char *digest, struct buf *err)
{
	json_t *rec = record(j, "runner_delivered");

	put(rec, "name", name);
	put(rec, "id", id);
	put(rec, "file", file);
	put(rec, "digest", digest);
	return append(j, rec, err);
}

/* Reading. */

/*
 * Read the last JOURNAL_MAX_READ bytes of path into text, and one byte
 * more before them, so that *start (where the first whole line begins)
 * is right even when the window begins exactly at a line. No file is
 * no text.
 */
static int read_tail(const char *path, struct buf *text, size_t *start,
		     struct buf *err)
{
	struct stat st;
	size_t want;
	off_t from = 0;
	ssize_t n;
	char *nl;
	int fd, ret = -1;

	*start = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT) {
		ret = 0;
		goto out;
	}
	if (fd < 0 || fstat(fd, &st))
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		buf_addf(err, "cannot read journal '%s': not a regular file",
			 path);
		goto out;
	}
	want = (size_t)st.st_size;
	if (st.st_size > (off_t)JOURNAL_MAX_READ) {
		from = st.st_size - (off_t)JOURNAL_MAX_READ - 1;
		want = JOURNAL_MAX_READ + 1;
	}
	/* What is appended after the fstat is left for the next reader. */
	buf_grow(text, want);
	while (text->len < want) {
		n = pread(fd, text->s + text->len, want - text->len,
			  from + (off_t)text->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (!n)
			break;
		buf_setlen(text, text->len + (size_t)n);
	}
	if (from) {
		nl = memchr(text->s, '\n', text->len);
		*start = nl ? (size_t)(nl - text->s) + 1 : text->len;
	}
	ret = 0;
	goto out;
fail:
	buf_addf(err, "cannot read journal '%s': %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static const char *str_of(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static size_t count_of(const json_t *rec, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(rec, key));

	return v > 0 ? (size_t)v : 0;
}

/* The record on a line, or NULL when it is not one (not JSON, no run). */
static json_t *parse_line(const char *line, size_t len)
{
	json_t *rec = json_loadb(line, len, 0, NULL);

	if (json_is_object(rec) && str_of(rec, "event") && str_of(rec, "run"))
		return rec;
	json_decref(rec);
	return NULL;
}

static int is_begin(const json_t *rec)
{
	return rec && !strcmp(str_of(rec, "event"), "begin");
}

static void replace(char **field, const char *s)
{
	free(*field);
	*field = s ? xstrdup(s) : NULL;
}

/* Count a record that follows the "begin" of run. */
static void take(struct journal_last *l, const char *run, const json_t *rec)
{
	const char *event = str_of(rec, "event");
	const char *status = str_of(rec, "status");

	status = status ? status : "";
	if (strcmp(str_of(rec, "run"), run))
		return;			/* another run's, interleaved */
	if (!strcmp(event, "step")) {
		if (!strcmp(status, "done"))
			l->done++;
		else if (!strcmp(status, "failed"))
			l->failed++;
		else if (!strcmp(status, "skipped"))
			l->skipped++;
		else
			l->unknown++;
	} else if (!strcmp(event, "workspace_created")) {
		replace(&l->created_id, str_of(rec, "id"));
		replace(&l->created_credentials, str_of(rec, "credentials"));
	} else if (!strcmp(event, "end")) {
		l->finished = 1;
		l->ok = !strcmp(status, "ok");
	}
}

/*
 * The journal of workspace in dir, as read_tail reads it; its whole lines
 * are text->s[*start .. *end): a torn last line has no newline yet.
 */
static int read_lines(const char *dir, const char *workspace,
		      struct buf *text, size_t *start, size_t *end,
		      struct buf *err)
{
	struct buf path = BUF_INIT;
	int ret;

	journal_path(dir, workspace, &path);
	ret = read_tail(path.s, text, start, err);
	*end = text->len;
	while (*end > *start && text->s[*end - 1] != '\n')
		(*end)--;
	buf_release(&path);
	return ret;
}

int journal_last_run(const char *dir, const char *workspace,
		     struct journal_last *out, struct buf *err)
{
	struct buf text = BUF_INIT;
	json_t *rec = NULL, *begin = NULL;
	size_t start, end, at, bol;
	const char *s, *eol;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (read_lines(dir, workspace, &text, &start, &end, err))
		goto out;
	s = text.s;
	/* Back to the last "begin", parsing only the last run's lines. */
	at = end;
	while (at > start) {
		bol = at - 1;
		while (bol > start && s[bol - 1] != '\n')
			bol--;
		rec = parse_line(s + bol, at - 1 - bol);
		if (is_begin(rec))
			break;
		json_decref(rec);
		rec = NULL;
		at = bol;
	}
	begin = rec;
	rec = NULL;
	if (begin) {
		out->found = 1;
		snprintf(out->run, sizeof(out->run), "%s",
			 str_of(begin, "run"));
		snprintf(out->started, sizeof(out->started), "%s",
			 str_of(begin, "t") ? str_of(begin, "t") : "");
		out->steps = count_of(begin, "steps");
	}
	/* Then forward through the lines after it. */
	for (; begin && at < end; at = (size_t)(eol - s) + 1) {
		eol = memchr(s + at, '\n', end - at);
		json_decref(rec);
		rec = parse_line(s + at, (size_t)(eol - s) - at);
		if (rec)
			take(out, str_of(begin, "run"), rec);
	}
	ret = 0;
out:
	json_decref(rec);
	json_decref(begin);
	buf_release(&text);
	return ret;
}

/* 1 when needle is in the n bytes at s. */
static int holds(const char *s, size_t n, const char *needle)
{
	size_t len = strlen(needle), i;

	for (i = 0; i + len <= n; i++)
		if (s[i] == needle[0] && !memcmp(s + i, needle, len))
			return 1;
	return 0;
}

static char *dup_of(const json_t *rec, const char *key)
{
	const char *s = str_of(rec, key);

	return s ? xstrdup(s) : NULL;
}

int journal_runners_read(const char *dir, const char *workspace,
			 struct journal_runners *out, struct buf *err)
{
	struct buf text = BUF_INIT;
	struct journal_runner_event *e;
	json_t *rec = NULL;
	const char *s, *eol, *event;
	size_t start, end, at;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (read_lines(dir, workspace, &text, &start, &end, err))
		goto out;
	s = text.s;
	for (at = start; at < end; at = (size_t)(eol - s) + 1) {
		eol = memchr(s + at, '\n', end - at);
		/* most lines are steps: parse only the runners' */
		if (!holds(s + at, (size_t)(eol - s) - at, "\"runner_"))
			continue;
		json_decref(rec);
		rec = parse_line(s + at, (size_t)(eol - s) - at);
		event = rec ? str_of(rec, "event") : NULL;
		if (!event || !str_of(rec, "name") ||
		    (strcmp(event, "runner_intent") &&
		     strcmp(event, "runner_delivered")))
			continue;
		ALLOC_GROW(out->ev, out->nr + 1, out->alloc);
		e = &out->ev[out->nr++];
		memset(e, 0, sizeof(*e));
		e->delivered = !strcmp(event, "runner_delivered");
		e->name = dup_of(rec, "name");
		e->file = dup_of(rec, "file");
		if (e->delivered) {
			e->id = dup_of(rec, "id");
			e->digest = dup_of(rec, "digest");
		}
	}
	ret = 0;
out:
	json_decref(rec);
	buf_release(&text);
	return ret;
}

void journal_runners_release(struct journal_runners *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nr; i++) {
		free(r->ev[i].name);
		free(r->ev[i].id);
		free(r->ev[i].file);
		free(r->ev[i].digest);
	}
	free(r->ev);
	memset(r, 0, sizeof(*r));
}

void journal_last_release(struct journal_last *l)
{
	if (!l)
		return;
	free(l->created_id);
	free(l->created_credentials);
	l->created_id = NULL;
	l->created_credentials = NULL;
}

/* ", 2 failed" and the like, for the counts that are not zero. */
static void add_part(struct buf *out, size_t *parts, size_t n,
		     const char *what)
{
	if (!n)
		return;
	buf_addstr(out, (*parts)++ ? ", " : " (");
	buf_addf(out, "%zu %s", n, what);
}

int journal_describe_last(const struct journal_last *l, struct buf *out)
{
	size_t parts = 0;

	if (!l->found || (l->finished && l->ok))
		return 0;
	buf_addf(out, "the last run (started %s) ", l->started);
	if (l->finished)
		buf_addf(out, "ended with %zu of %zu steps done", l->done,
			 l->steps);
	else
		buf_addf(out, "was interrupted after %zu of %zu steps",
			 l->done + l->failed + l->skipped + l->unknown,
			 l->steps);
	add_part(out, &parts, l->failed, "failed");
	add_part(out, &parts, l->skipped, "skipped");
	add_part(out, &parts, l->unknown, "with an unknown outcome");
	if (parts)
		buf_addch(out, ')');
	if (l->created_id) {
		buf_addf(out, "; it created workspace id '%s'", l->created_id);
		if (l->created_credentials)
			buf_addf(out, " (key saved to '%s')",
				 l->created_credentials);
	}
	return 1;
}
