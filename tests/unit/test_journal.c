/* The apply journal: files, modes, records, and reading the last run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "testdir.h"
#include "torq/journal.h"
#include "torq/sha256.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* Every test but the pure ones gets a fresh directory, removed after. */
struct fixture {
	struct testdir d;
	char *path;			/* the journal of "Acme" in d */
	struct buf err;
	struct buf out;
	struct buf want;
};

/* The journal's path, for the caller to free. */
static char *path_of(const char *dir, const char *workspace)
{
	struct buf b = BUF_INIT;

	journal_path(dir, workspace, &b);
	return buf_detach(&b, NULL);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	testdir_make(&f->d, "torq-journal");
	f->path = path_of(f->d.path, "Acme");
	buf_init(&f->err);
	buf_init(&f->out);
	buf_init(&f->want);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testdir_remove(&f->d);
	free(f->path);
	buf_release(&f->err);
	buf_release(&f->out);
	buf_release(&f->want);
	free(f);
	return 0;
}

#define FIXTURE(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void append_raw(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/*
 * Open a journal of "Acme" with steps planned, and record one step for
 * each letter of statuses (d done, f failed, s skipped, u unknown). j is
 * left open.
 */
static void start_run(struct fixture *f, struct journal *j, size_t steps,
		      const char *statuses)
{
	static const char letters[] = "dfsu";
	static const char *const names[] = {
		"done", "failed", "skipped", "unknown",
	};
	char who[48];
	size_t i, k;

	assert_int_equal(journal_open(j, f->d.path, "Acme", &f->err), 0);
	assert_int_equal(journal_begin(j, "Acme", steps, &f->err), 0);
	for (i = 0; statuses[i]; i++) {
		k = (size_t)(strchr(letters, statuses[i]) - letters);
		snprintf(who, sizeof(who), "user%zu@example.com", i);
		assert_int_equal(journal_step(j, i, "invite_user", who,
					      names[k], NULL,
					      k ? "why" : NULL, &f->err), 0);
	}
}

static void last_run(struct fixture *f, struct journal_last *last)
{
	assert_int_equal(journal_last_run(f->d.path, "Acme", last, &f->err), 0);
}

/* The journal's lines, each checked to end in a newline and parse. */
static size_t read_records(const char *path, json_t **recs, size_t max)
{
	struct buf text = BUF_INIT;
	const char *p, *nl;
	size_t n = 0;

	assert_int_equal(buf_read_file(&text, path, 1 << 20), 0);
	for (p = text.s; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true(n < max);
		recs[n] = json_loadb(p, (size_t)(nl - p), 0, NULL);
		assert_true(json_is_object(recs[n]));
		n++;
	}
	buf_release(&text);
	return n;
}

static void free_records(json_t **recs, size_t n)
{
	while (n--)
		json_decref(recs[n]);
}

static const char *str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static json_int_t num(const json_t *rec, const char *key)
{
	assert_true(json_is_integer(json_object_get(rec, key)));
	return json_integer_value(json_object_get(rec, key));
}

/* t is an RFC 3339 UTC time between from and to (seconds). */
static void assert_time_between(const char *t, time_t from, time_t to)
{
	char want[32];
	struct tm tm;

	assert_non_null(t);
	for (; from <= to; from++) {
		assert_non_null(gmtime_r(&from, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (!strcmp(t, want))
			return;
	}
	fail_msg("time '%s' is not of this test", t);
}

static void test_journal_path_sanitizes(void **state)
{
	static const char *const cases[][3] = {
		{ "m", "acme", "m/.torq-apply/journal/acme-" },
		{ "m", "Acme Corp/../x.y",
		  "m/.torq-apply/journal/acme_corp____x_y-" },
		{ NULL, "caf\xc3\xa9", "./.torq-apply/journal/caf__-" },
		{ "", "a-b_c9", "./.torq-apply/journal/a-b_c9-" },
		{ "/srv/m", "..", "/srv/m/.torq-apply/journal/__-" },
		{ "m", "", "m/.torq-apply/journal/-" },
	};
	char hex[SHA256_HEX_LEN + 1], name[300], *path;
	struct buf want = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		path = path_of(cases[i][0], cases[i][1]);
		sha256_hex(cases[i][1], strlen(cases[i][1]), hex);
		buf_reset(&want);
		buf_addf(&want, "%s%.8s.jsonl", cases[i][2], hex);
		if (strcmp(path, want.s))
			fail_msg("'%s': '%s', expected '%s'", cases[i][1],
				 path, want.s);
		free(path);
	}
	/* a long name is cut, so the file name stays short */
	memset(name, 'w', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	path = path_of("m", name);
	sha256_hex(name, strlen(name), hex);
	buf_reset(&want);
	buf_addstr(&want, "m/.torq-apply/journal/");
	buf_addchars(&want, 'w', 64);
	buf_addf(&want, "-%.8s.jsonl", hex);
	assert_string_equal(path, want.s);
	free(path);
	buf_release(&want);
}

static void test_journal_path_collisions(void **state)
{
	static const char *const names[] = {
		"a b", "a/b", "a_b", "A B", "a\tb", "A_B", "a.b",
	};
	struct fixture *f = *state;
	char *paths[ARRAY_SIZE(names)];
	struct journal_last last;
	struct journal j;
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		paths[i] = path_of(f->d.path, names[i]);
		assert_non_null(strstr(paths[i], "/journal/a_b-"));
		for (k = 0; k < i; k++)
			assert_string_not_equal(paths[i], paths[k]);
		/* each its own file: steps = i tells them apart */
		assert_int_equal(journal_open(&j, f->d.path, names[i], &f->err),
				 0);
		assert_int_equal(journal_begin(&j, names[i], i, &f->err), 0);
		journal_close(&j);
	}
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		assert_int_equal(journal_last_run(f->d.path, names[i], &last,
						  &f->err), 0);
		assert_int_equal(last.found, 1);
		assert_int_equal(last.steps, i);
		journal_last_release(&last);
		free(paths[i]);
	}
	assert_string_equal(f->err.s, "");
}

static void test_journal_open_modes(void **state)
{
	struct fixture *f = *state;
	char run[JOURNAL_RUN_LEN], stamp[32];
	const char *sub;
	struct journal j;
	time_t before = time(NULL);
	struct tm tm;
	mode_t mask = umask(022);

	assert_int_equal(journal_open(&j, f->d.path, "Acme", &f->err), 0);
	sub = testdir_at(&f->d, ".torq-apply");
	assert_int_equal(mode_of(sub), 0700);
	sub = testdir_at(&f->d, ".torq-apply/journal");
	assert_int_equal(mode_of(sub), 0700);
	assert_string_equal(j.path, f->path);
	assert_int_equal(mode_of(f->path), 0600);
	assert_true(fcntl(j.fd, F_GETFL) & O_APPEND);
	assert_true(fcntl(j.fd, F_GETFD) & FD_CLOEXEC);
	/* the run id: UTC time, process id, random */
	assert_non_null(gmtime_r(&before, &tm));
	strftime(stamp, sizeof(stamp), "%Y%m%d", &tm);
	assert_memory_equal(j.run, stamp, 8);
	buf_addf(&f->want, "Z-%ld-", (long)getpid());
	assert_non_null(strstr(j.run, f->want.s));
	assert_int_equal(strlen(strstr(j.run, f->want.s)), f->want.len + 8);
	memcpy(run, j.run, sizeof(run));
	journal_close(&j);
	/* opened again: the same file, empty still, and a new run id */
	assert_int_equal(journal_open(&j, f->d.path, "Acme", &f->err), 0);
	assert_string_not_equal(j.run, run);
	journal_close(&j);
	assert_int_equal(buf_read_file(&f->out, f->path, 100), 0);
	assert_int_equal(f->out.len, 0);

	/* .torq-apply already there, holding state.json: left as it was */
	sub = testdir_at(&f->d, "m");
	assert_int_equal(mkdir(sub, 0755), 0);
	sub = testdir_at(&f->d, "m/.torq-apply");
	assert_int_equal(mkdir(sub, 0700), 0);
	sub = testdir_at(&f->d, "m/.torq-apply/state.json");
	append_raw(sub, "{}\n");
	sub = testdir_at(&f->d, "m");
	assert_int_equal(journal_open(&j, sub, "Acme", &f->err), 0);
	journal_close(&j);
	sub = testdir_at(&f->d, "m/.torq-apply/state.json");
	buf_reset(&f->out);
	assert_int_equal(buf_read_file(&f->out, sub, 100), 0);
	assert_string_equal(f->out.s, "{}\n");
	assert_int_equal(mode_of(sub), 0600);
	sub = testdir_at(&f->d, "m/.torq-apply/journal");
	assert_int_equal(mode_of(sub), 0700);
	umask(mask);
	assert_string_equal(f->err.s, "");
}

static void test_journal_records_parse_back(void **state)
{
	struct fixture *f = *state;
	struct journal j;
	json_t *recs[8];
	time_t before = time(NULL);
	size_t n, i;

	assert_int_equal(journal_open(&j, f->d.path, "Acme", &f->err), 0);
	assert_int_equal(journal_begin(&j, "Acme", 4, &f->err), 0);
	assert_int_equal(journal_workspace_created(&j, "Acme", "ws-1",
						   "keys/acme.json",
						   &f->err), 0);
	assert_int_equal(journal_step(&j, 0, "create_workspace", "Acme",
				      "done", "ws-1", NULL, &f->err), 0);
	assert_int_equal(journal_step(&j, 1, "invite_user", "a@b.example",
				      "failed", NULL,
				      "the API refused 'a@b.example': 409",
				      &f->err), 0);
	assert_int_equal(journal_step(&j, 3, "create_integration", "slack",
				      "skipped", NULL, "needs step 1",
				      &f->err), 0);
	assert_int_equal(journal_end(&j, "failed", 1, 1, 1, &f->err), 0);
	journal_close(&j);
	assert_string_equal(f->err.s, "");

	n = read_records(f->path, recs, ARRAY_SIZE(recs));
	assert_int_equal(n, 6);
	/* compact, "t" first, the same run throughout */
	assert_int_equal(buf_read_file(&f->out, f->path, 1 << 20), 0);
	assert_memory_equal(f->out.s, "{\"t\":\"", 6);
	assert_memory_equal(f->out.s + 26,
			    "\",\"event\":\"begin\",\"run\":\"", 24);
	assert_non_null(strstr(f->out.s,
			       "\",\"workspace\":\"Acme\",\"steps\":4}\n"));
	for (i = 0; i < n; i++) {
		assert_time_between(str(recs[i], "t"), before, time(NULL));
		assert_string_equal(str(recs[i], "run"), str(recs[0], "run"));
	}
	assert_true(strlen(str(recs[0], "run")) < JOURNAL_RUN_LEN);

	assert_string_equal(str(recs[0], "event"), "begin");
	assert_string_equal(str(recs[0], "workspace"), "Acme");
	assert_int_equal(num(recs[0], "steps"), 4);
	assert_int_equal(json_object_size(recs[0]), 5);

	assert_string_equal(str(recs[1], "event"), "workspace_created");
	assert_string_equal(str(recs[1], "workspace"), "Acme");
	assert_string_equal(str(recs[1], "id"), "ws-1");
	assert_string_equal(str(recs[1], "credentials"), "keys/acme.json");
	assert_int_equal(json_object_size(recs[1]), 6);

	assert_string_equal(str(recs[2], "event"), "step");
	assert_int_equal(num(recs[2], "index"), 0);
	assert_string_equal(str(recs[2], "kind"), "create_workspace");
	assert_string_equal(str(recs[2], "identity"), "Acme");
	assert_string_equal(str(recs[2], "status"), "done");
	assert_string_equal(str(recs[2], "id"), "ws-1");
	assert_null(json_object_get(recs[2], "message"));
	assert_int_equal(json_object_size(recs[2]), 8);

	assert_int_equal(num(recs[3], "index"), 1);
	assert_string_equal(str(recs[3], "status"), "failed");
	assert_null(json_object_get(recs[3], "id"));
	assert_string_equal(str(recs[3], "message"),
			    "the API refused 'a@b.example': 409");
	assert_int_equal(num(recs[4], "index"), 3);
	assert_string_equal(str(recs[4], "status"), "skipped");

	assert_string_equal(str(recs[5], "event"), "end");
	assert_string_equal(str(recs[5], "status"), "failed");
	assert_int_equal(num(recs[5], "done"), 1);
	assert_int_equal(num(recs[5], "failed"), 1);
	assert_int_equal(num(recs[5], "skipped"), 1);
	assert_int_equal(json_object_size(recs[5]), 7);
	free_records(recs, n);
}

static void test_journal_not_utf8(void **state)
{
	struct fixture *f = *state;
	struct journal j;
	json_t *recs[4];
	size_t n;

	assert_int_equal(journal_open(&j, f->d.path, "Acme", &f->err), 0);
	assert_int_equal(journal_step(&j, 0, "invite_user",
				      "jos\xc3\xa9@example.com", "failed",
				      NULL, "server said \xff\xfe here\n",
				      &f->err), 0);
	journal_close(&j);
	n = read_records(f->path, recs, ARRAY_SIZE(recs));
	assert_int_equal(n, 1);
	assert_string_equal(str(recs[0], "identity"),
			    "jos\xc3\xa9@example.com");
	assert_string_equal(str(recs[0], "message"), "server said ?? here\n");
	free_records(recs, n);
}

static void test_journal_no_file(void **state)
{
	struct fixture *f = *state;
	struct journal_last last;
	struct stat st;
	const char *sub;

	last_run(f, &last);
	assert_int_equal(last.found, 0);
	assert_int_equal(last.finished, 0);
	assert_null(last.created_id);
	assert_int_equal(journal_describe_last(&last, &f->out), 0);
	assert_string_equal(f->out.s, "");
	journal_last_release(&last);
	/* reading creates nothing */
	sub = testdir_at(&f->d, ".torq-apply");
	assert_int_equal(stat(sub, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(f->err.s, "");
}

static void test_journal_interrupted_run(void **state)
{
	struct fixture *f = *state;
	struct journal_last last;
	struct journal j;
	time_t before = time(NULL);

	start_run(f, &j, 40, "dfu");
	/* killed here: no end */
	last_run(f, &last);
	assert_int_equal(last.found, 1);
	assert_int_equal(last.finished, 0);
	assert_int_equal(last.ok, 0);
	assert_string_equal(last.run, j.run);
	assert_time_between(last.started, before, time(NULL));
	assert_int_equal(last.steps, 40);
	assert_int_equal(last.done, 1);
	assert_int_equal(last.failed, 1);
	assert_int_equal(last.skipped, 0);
	assert_int_equal(last.unknown, 1);
	assert_null(last.created_id);
	assert_int_equal(journal_describe_last(&last, &f->out), 1);
	buf_addf(&f->want, "the last run (started %s) was interrupted after "
		 "3 of 40 steps (1 failed, 1 with an unknown outcome)",
		 last.started);
	assert_string_equal(f->out.s, f->want.s);
	journal_last_release(&last);

	/* a workspace made before the cut is named, with its key file */
	assert_int_equal(journal_workspace_created(&j, "Acme", "ws-9",
						   "keys/acme.json",
						   &f->err), 0);
	assert_int_equal(journal_step(&j, 3, "invite_user", "g@h",
				      "skipped", NULL, "needs step 1",
				      &f->err), 0);
	journal_close(&j);
	last_run(f, &last);
	assert_string_equal(last.created_id, "ws-9");
	assert_string_equal(last.created_credentials, "keys/acme.json");
	buf_reset(&f->out);
	buf_reset(&f->want);
	assert_int_equal(journal_describe_last(&last, &f->out), 1);
	buf_addf(&f->want, "the last run (started %s) was interrupted after "
		 "4 of 40 steps (1 failed, 1 skipped, 1 with an unknown "
		 "outcome); it created workspace id 'ws-9' (key saved to "
		 "'keys/acme.json')", last.started);
	assert_string_equal(f->out.s, f->want.s);
	journal_last_release(&last);
	journal_last_release(&last);
	assert_string_equal(f->err.s, "");
}

static void test_journal_finished_run(void **state)
{
	struct fixture *f = *state;
	struct journal_last last;
	struct journal j;

	start_run(f, &j, 2, "dd");
	assert_int_equal(journal_end(&j, "ok", 2, 0, 0, &f->err), 0);
	journal_close(&j);
	last_run(f, &last);
	assert_int_equal(last.found, 1);
	assert_int_equal(last.finished, 1);
	assert_int_equal(last.ok, 1);
	assert_int_equal(last.done, 2);
	/* finished ok: nothing to say */
	buf_addstr(&f->out, "kept");
	assert_int_equal(journal_describe_last(&last, &f->out), 0);
	assert_string_equal(f->out.s, "kept");
	journal_last_release(&last);

	/* finished with a failure: said */
	start_run(f, &j, 3, "dfs");
	assert_int_equal(journal_end(&j, "failed", 1, 1, 1, &f->err), 0);
	journal_close(&j);
	last_run(f, &last);
	assert_int_equal(last.finished, 1);
	assert_int_equal(last.ok, 0);
	buf_reset(&f->out);
	assert_int_equal(journal_describe_last(&last, &f->out), 1);
	buf_addf(&f->want, "the last run (started %s) ended with 1 of 3 "
		 "steps done (1 failed, 1 skipped)", last.started);
	assert_string_equal(f->out.s, f->want.s);
	journal_last_release(&last);
	assert_string_equal(f->err.s, "");
}

static void test_journal_torn_last_line(void **state)
{
	struct fixture *f = *state;
	struct journal_last last;
	struct journal j;
	const char *p;
	size_t n;

	start_run(f, &j, 5, "dd");
	journal_close(&j);
	/* killed in the middle of writing the end record */
	buf_addf(&f->want, "{\"t\":\"2026-11-23T10:00:00Z\",\"event\":\"end\","
		 "\"run\":\"%s\",\"status\":\"ok\",\"do", j.run);
	append_raw(f->path, f->want.s);
	last_run(f, &last);
	assert_int_equal(last.found, 1);
	assert_int_equal(last.finished, 0);
	assert_int_equal(last.done, 2);
	journal_last_release(&last);

	/* even a whole record is not one until its newline is written */
	buf_reset(&f->want);
	buf_addf(&f->want, "\n{\"t\":\"2026-11-23T10:00:00Z\",\"event\":"
		 "\"end\",\"run\":\"%s\",\"status\":\"ok\"}", j.run);
	append_raw(f->path, f->want.s);
	last_run(f, &last);
	assert_int_equal(last.finished, 0);
	assert_int_equal(last.done, 2);
	journal_last_release(&last);

	/* the next run ends the torn line first: its records stay whole */
	start_run(f, &j, 1, "d");
	assert_int_equal(journal_end(&j, "ok", 1, 0, 0, &f->err), 0);
	journal_close(&j);
	assert_int_equal(buf_read_file(&f->out, f->path, 1 << 20), 0);
	assert_non_null(strstr(f->out.s, "\"status\":\"ok\"}\n{\"t\":"));
	for (p = f->out.s, n = 0; (p = strchr(p, '\n')); p++)
		n++;
	assert_int_equal(n, 8);
	assert_int_equal(f->out.s[f->out.len - 1], '\n');
	last_run(f, &last);
	assert_string_equal(last.run, j.run);
	assert_int_equal(last.finished, 1);
	assert_int_equal(last.ok, 1);
	assert_int_equal(last.steps, 1);
	assert_int_equal(last.done, 1);
	journal_last_release(&last);
	assert_string_equal(f->err.s, "");
}

/* A write cut short (here by the file size limit) costs that record only. */
static void test_journal_failed_write(void **state)
{
	struct fixture *f = *state;
	struct journal_last last;
	struct journal j;
	struct rlimit old, low;
	struct stat st;
	void (*handler)(int);
	size_t size;
	int rc;

	start_run(f, &j, 3, "");
	assert_int_equal(stat(f->path, &st), 0);
	size = (size_t)st.st_size;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	low = old;
	low.rlim_cur = size + 10;
	handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &low), 0);
	rc = journal_step(&j, 0, "invite_user", "a@b", "done", NULL, NULL,
			  &f->err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, handler);
	assert_int_equal(rc, -1);
	buf_addf(&f->want, "cannot write journal '%s': %s", f->path,
		 strerror(EFBIG));
	assert_string_equal(f->err.s, f->want.s);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, size + 10);

	/* room again: the torn line is ended, the next records are whole */
	buf_reset(&f->err);
	assert_int_equal(journal_step(&j, 1, "invite_user", "c@d", "done",
				      NULL, NULL, &f->err), 0);
	assert_int_equal(journal_end(&j, "ok", 1, 0, 0, &f->err), 0);
	journal_close(&j);
	assert_int_equal(buf_read_file(&f->out, f->path, 1 << 20), 0);
	assert_memory_equal(f->out.s + size + 10, "\n{\"t\":", 6);
	last_run(f, &last);
	assert_int_equal(last.found, 1);
	assert_int_equal(last.done, 1);
	assert_int_equal(last.finished, 1);
	assert_int_equal(last.ok, 1);
	journal_last_release(&last);
	assert_string_equal(f->err.s, "");
}

static void test_journal_two_runs_last_wins(void **state)
{
	struct fixture *f = *state;
	char first[JOURNAL_RUN_LEN];
	struct journal_last last;
	struct journal j, other;

	/* an interrupted run that created the workspace ... */
	start_run(f, &j, 10, "df");
	assert_int_equal(journal_workspace_created(&j, "Acme", "ws-1",
						   "k.json", &f->err), 0);
	memcpy(first, j.run, sizeof(first));
	journal_close(&j);
	/* ... then one that finished: the report is of the second */
	start_run(f, &j, 3, "d");
	assert_int_equal(journal_end(&j, "ok", 1, 0, 0, &f->err), 0);
	last_run(f, &last);
	assert_string_equal(last.run, j.run);
	assert_string_not_equal(last.run, first);
	assert_int_equal(last.steps, 3);
	assert_int_equal(last.finished, 1);
	assert_int_equal(last.done, 1);
	assert_int_equal(last.failed, 0);
	assert_null(last.created_id);
	journal_last_release(&last);

	/* a third run; records of another run between its own are not its */
	start_run(f, &other, 7, "");
	assert_int_equal(journal_step(&j, 1, "invite_user", "c@d", "failed",
				      NULL, "late", &f->err), 0);
	assert_int_equal(journal_step(&other, 0, "invite_user", "a@b",
				      "done", NULL, NULL, &f->err), 0);
	assert_int_equal(journal_end(&j, "failed", 0, 1, 0, &f->err), 0);
	last_run(f, &last);
	assert_string_equal(last.run, other.run);
	assert_int_equal(last.steps, 7);
	assert_int_equal(last.done, 1);
	assert_int_equal(last.failed, 0);
	assert_int_equal(last.finished, 0);
	journal_last_release(&last);
	journal_close(&j);
	journal_close(&other);
	assert_string_equal(f->err.s, "");
}

static void test_journal_other_lines_skipped(void **state)
{
	struct fixture *f = *state;
	struct journal_last last;
	struct journal j;

	start_run(f, &j, 9, "");
	append_raw(f->path, "not json\n\n[1,2]\n{}\n\"begin\"\n");
	assert_int_equal(journal_step(&j, 0, "invite_user", "a@b", "done",
				      NULL, NULL, &f->err), 0);
	/* a begin without a run id is not a run */
	append_raw(f->path, "{\"event\":\"begin\",\"steps\":1}\n"
		   "{\"event\":1,\"run\":\"x\"}\n");
	buf_addf(&f->want, "{\"event\":\"step\",\"run\":\"%s\"}\n", j.run);
	append_raw(f->path, f->want.s);
	assert_int_equal(journal_step(&j, 1, "invite_user", "c@d", "failed",
				      NULL, NULL, &f->err), 0);
	journal_close(&j);
	last_run(f, &last);
	assert_int_equal(last.found, 1);
	assert_string_equal(last.run, j.run);
	assert_int_equal(last.steps, 9);
	assert_int_equal(last.done, 1);
	assert_int_equal(last.failed, 1);
	assert_int_equal(last.unknown, 1);	/* the step with no status */
	journal_last_release(&last);
	assert_string_equal(f->err.s, "");
}

static void write_at(int fd, off_t at, const char *text)
{
	assert_int_equal(pwrite(fd, text, strlen(text), at),
			 (ssize_t)strlen(text));
}

/*
 * A sparse file of JOURNAL_MAX_READ + 4096 bytes: run A's begin at the
 * start, out of reach; run B's begin where the window starts (shift 0) or
 * one byte before it (shift 1); run B's step at the end; zeros between.
 */
static void write_big(const char *path, off_t shift)
{
	static const char begin_a[] = "{\"event\":\"begin\",\"run\":\"A\","
				      "\"steps\":1}\n";
	static const char begin_b[] = "{\"event\":\"begin\",\"run\":\"B\","
				      "\"steps\":2,\"t\":\"T\"}\n";
	static const char step_b[] = "{\"event\":\"step\",\"run\":\"B\","
				     "\"status\":\"done\"}\n";
	off_t size = (off_t)JOURNAL_MAX_READ + 4096;
	off_t window = size - (off_t)JOURNAL_MAX_READ;
	int fd = open(path, O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	write_at(fd, 0, begin_a);
	write_at(fd, window - shift - 1, "\n");
	write_at(fd, window - shift, begin_b);
	write_at(fd, size - (off_t)strlen(step_b) - 1, "\n");
	write_at(fd, size - (off_t)strlen(step_b), step_b);
	close(fd);
}

static void test_journal_reads_last_64_mib(void **state)
{
	struct fixture *f = *state;
	struct journal_last last;
	struct journal j;
	struct stat st;

	assert_int_equal(journal_open(&j, f->d.path, "Acme", &f->err), 0);
	journal_close(&j);

	write_big(f->path, 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, JOURNAL_MAX_READ + 4096);
	last_run(f, &last);
	assert_int_equal(last.found, 1);
	assert_string_equal(last.run, "B");
	assert_string_equal(last.started, "T");
	assert_int_equal(last.steps, 2);
	assert_int_equal(last.done, 1);
	journal_last_release(&last);

	/* B's begin cut by the window, A's out of it: no run to report */
	write_big(f->path, 1);
	last_run(f, &last);
	assert_int_equal(last.found, 0);
	journal_last_release(&last);
	assert_string_equal(f->err.s, "");
}

/* The message in f->err is the one fmt makes; then it is cleared. */
static void expect_error(struct fixture *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void expect_error(struct fixture *f, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&f->want);
	va_start(ap, fmt);
	buf_vaddf(&f->want, fmt, ap);
	va_end(ap);
	assert_string_equal(f->err.s, f->want.s);
	buf_reset(&f->err);
}

static void test_journal_unwritable(void **state)
{
	struct fixture *f = *state;
	struct journal_last last;
	struct journal j;
	const char *file;
	char *path;

	/* the manifest's directory is a regular file */
	file = testdir_at(&f->d, "m.yaml");
	append_raw(file, "");
	assert_int_equal(journal_open(&j, file, "Acme", &f->err), -1);
	expect_error(f, "cannot create directory '%s/.torq-apply': %s", file,
		     strerror(ENOTDIR));
	assert_int_equal(j.fd, -1);
	assert_null(j.path);
	journal_close(&j);
	journal_close(&j);
	journal_close(NULL);
	assert_int_equal(journal_begin(&j, "Acme", 1, &f->err), -1);
	expect_error(f, "cannot write the journal: it is not open");
	assert_int_equal(journal_last_run(file, "Acme", &last, &f->err), -1);
	path = path_of(file, "Acme");
	expect_error(f, "cannot read journal '%s': %s", path,
		     strerror(ENOTDIR));
	journal_last_release(&last);
	free(path);

	/* .torq-apply is a regular file */
	file = testdir_at(&f->d, ".torq-apply");
	append_raw(file, "");
	assert_int_equal(journal_open(&j, f->d.path, "Acme", &f->err), -1);
	expect_error(f, "cannot create directory '%s': %s", file,
		     strerror(ENOTDIR));
	journal_close(&j);
	assert_int_equal(unlink(file), 0);

	/* the journal's own name is taken by a directory */
	assert_int_equal(mkdir(file, 0700), 0);
	file = testdir_at(&f->d, ".torq-apply/journal");
	assert_int_equal(mkdir(file, 0700), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(journal_open(&j, f->d.path, "Acme", &f->err), -1);
	expect_error(f, "cannot open journal '%s': %s", f->path,
		     strerror(EISDIR));
	journal_close(&j);
	assert_int_equal(journal_last_run(f->d.path, "Acme", &last, &f->err),
			 -1);
	expect_error(f, "cannot read journal '%s': not a regular file",
		     f->path);
	journal_last_release(&last);
}

/*
 * Library code never prints: every call, failing or not, with fds 1 and
 * 2 captured.
 */
static void test_journal_prints_nothing(void **state)
{
	struct fixture *f = *state;
	const char *file;
	struct journal_last last;
	struct journal j;
	int cap, saved_out, saved_err, rc[12], i = 0;
	struct stat st;

	cap = open(testdir_at(&f->d, "captured"), O_WRONLY | O_CREAT | O_TRUNC,
		   0600);
	assert_true(cap >= 0);
	file = testdir_at(&f->d, "file");
	append_raw(file, "");
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	dup2(cap, 1);
	dup2(cap, 2);

	rc[i++] = journal_open(&j, f->d.path, "Acme", &f->err);
	rc[i++] = journal_begin(&j, "Acme", 2, &f->err);
	rc[i++] = journal_workspace_created(&j, "Acme", "ws", NULL, &f->err);
	rc[i++] = journal_step(&j, 0, "k", "a\xff", "done", NULL, NULL,
			       &f->err);
	journal_close(&j);
	rc[i++] = journal_last_run(f->d.path, "Acme", &last, &f->err);
	rc[i++] = journal_describe_last(&last, &f->out);
	journal_last_release(&last);
	rc[i++] = journal_open(&j, file, "Acme", &f->err);
	rc[i++] = journal_end(&j, "ok", 0, 0, 0, &f->err);
	journal_close(&j);
	rc[i++] = journal_last_run(file, "Acme", &last, &f->err);
	journal_last_release(&last);

	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(cap);
	assert_int_equal(rc[0], 0);
	assert_int_equal(rc[1], 0);
	assert_int_equal(rc[2], 0);
	assert_int_equal(rc[3], 0);
	assert_int_equal(rc[4], 0);
	assert_int_equal(rc[5], 1);
	assert_int_equal(rc[6], -1);
	assert_int_equal(rc[7], -1);
	assert_int_equal(rc[8], -1);
	assert_int_equal(stat(testdir_at(&f->d, "captured"), &st), 0);
	assert_int_equal(st.st_size, 0);
}

/* Runner intents and deliveries, of every run, in order, torn line aside. */
static void test_journal_runner_records(void **state)
{
	struct fixture *f = *state;
	struct journal_runners log;
	struct journal j;
	char digest[SHA256_HEX_LEN + 1];
	int fd;

	sha256_hex("cmd", 3, digest);
	assert_int_equal(journal_open(&j, f->d.path, "Acme", &f->err), 0);
	assert_int_equal(journal_begin(&j, "Acme", 2, &f->err), 0);
	assert_int_equal(journal_runner_intent(&j, "k8s", "runners/k8s.sh",
					       &f->err), 0);
	assert_int_equal(journal_runner_delivered(&j, "k8s", "r-1",
						  "runners/k8s.sh", digest,
						  &f->err), 0);
	journal_close(&j);
	/* a second run, killed between its intent and its delivery */
	assert_int_equal(journal_open(&j, f->d.path, "Acme", &f->err), 0);
	assert_int_equal(journal_begin(&j, "Acme", 1, &f->err), 0);
	assert_int_equal(journal_runner_intent(&j, "dock", NULL, &f->err), 0);
	journal_close(&j);
	fd = open(f->path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"event\":\"runner_deli", 22), 22);
	close(fd);

	assert_int_equal(journal_runners_read(f->d.path, "Acme", &log,
					      &f->err), 0);
	assert_int_equal(log.nr, 3);
	assert_int_equal(log.ev[0].delivered, 0);
	assert_string_equal(log.ev[0].name, "k8s");
	assert_string_equal(log.ev[0].file, "runners/k8s.sh");
	assert_null(log.ev[0].id);
	assert_int_equal(log.ev[1].delivered, 1);
	assert_string_equal(log.ev[1].id, "r-1");
	assert_string_equal(log.ev[1].digest, digest);
	assert_int_equal(log.ev[2].delivered, 0);
	assert_string_equal(log.ev[2].name, "dock");
	assert_null(log.ev[2].file);
	journal_runners_release(&log);
	journal_runners_release(&log);

	/* no journal: no records, no error */
	assert_int_equal(journal_runners_read(f->d.path, "Other", &log,
					      &f->err), 0);
	assert_int_equal(log.nr, 0);
	journal_runners_release(&log);
	assert_string_equal(f->err.s, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_path_sanitizes),
		FIXTURE(test_journal_path_collisions),
		FIXTURE(test_journal_open_modes),
		FIXTURE(test_journal_records_parse_back),
		FIXTURE(test_journal_not_utf8),
		FIXTURE(test_journal_no_file),
		FIXTURE(test_journal_interrupted_run),
		FIXTURE(test_journal_finished_run),
		FIXTURE(test_journal_torn_last_line),
		FIXTURE(test_journal_failed_write),
		FIXTURE(test_journal_two_runs_last_wins),
		FIXTURE(test_journal_other_lines_skipped),
		FIXTURE(test_journal_reads_last_64_mib),
		FIXTURE(test_journal_unwritable),
		FIXTURE(test_journal_prints_nothing),
		FIXTURE(test_journal_runner_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
