/* Secret commands: splitting into words, finding, running, sharing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
#include "torq/secretcmd.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* Split text and check its words, given as one string joined by '|'. */
static void assert_split(const char *text, const char *want)
{
	struct secretcmd_words w;
	struct buf err = BUF_INIT, got = BUF_INIT;
	size_t i;

	secretcmd_words_init(&w);
	if (secretcmd_split(text, &w, &err))
		fail_msg("'%s': %s", text, err.s);
	for (i = 0; i < w.nr; i++)
		buf_addf(&got, "%s%s", i ? "|" : "", w.v[i]);
	assert_string_equal(got.s, want);
	assert_null(w.v[w.nr]);
	secretcmd_words_release(&w);
	buf_release(&err);
	buf_release(&got);
}

static void assert_split_fails(const char *text, const char *message)
{
	struct secretcmd_words w;
	struct buf err = BUF_INIT;

	secretcmd_words_init(&w);
	assert_int_equal(secretcmd_split(text, &w, &err), -1);
	assert_string_equal(err.s, message);
	assert_int_equal(w.nr, 0);
	assert_null(w.v);
	buf_release(&err);
}

static void test_secretcmd_split_words(void **state)
{
	(void)state;
	assert_split("pass show torq/acme/slack", "pass|show|torq/acme/slack");
	assert_split("  vault\tkv  get\n-field=url  x ", "vault|kv|get|-field=url|x");
	assert_split("op read 'op://My Vault/a b/url'",
		     "op|read|op://My Vault/a b/url");
	/* no escapes in single quotes */
	assert_split("echo 'a\\\"b'", "echo|a\\\"b");
	/* in double quotes only \" and \\ are escapes */
	assert_split("echo \"a \\\"b\\\" \\\\ \\n $x\"", "echo|a \"b\" \\ \\n $x");
	/* outside quotes a backslash keeps the next character */
	assert_split("echo a\\ b \\'c", "echo|a b|'c");
	/* quotes join what touches them; '' is an empty word */
	assert_split("x a'b c'd \"\" ''", "x|ab cd||");
	/* nothing else is special */
	assert_split("echo $HOME ~ * ; | > x", "echo|$HOME|~|*|;|||>|x");
}

static void test_secretcmd_split_errors(void **state)
{
	(void)state;
	assert_split_fails("pass show 'torq/x",
			   "unterminated single quote in 'pass show 'torq/x'");
	assert_split_fails("op read \"op://v/i",
			   "unterminated double quote in 'op read \"op://v/i'");
	assert_split_fails("echo \"a\\\"", "unterminated double quote in "
			   "'echo \"a\\\"'");
	assert_split_fails("echo x\\", "a backslash ends 'echo x\\'; write "
			   "\\\\ for a backslash");
	assert_split_fails("", "the command is empty");
	assert_split_fails(" \t\n", "the command is empty");
}

static void test_secretcmd_find(void **state)
{
	struct testdir d;
	struct buf got = BUF_INIT, path = BUF_INIT;

	(void)state;
	testdir_make(&d, "torq-secretcmd");
	testdir_put(&d, "a/tool", "#!/bin/sh\n", 10, 0755);
	testdir_put(&d, "b/tool", "#!/bin/sh\n", 10, 0755);
	testdir_put(&d, "a/plain", "x", 1, 0644);
	testdir_put(&d, "b/plain", "#!/bin/sh\n", 10, 0755);
	buf_addf(&path, "/nonexistent:%s/a:%s/b", d.path, d.path);
	/* the first directory that has it */
	assert_int_equal(secretcmd_find("tool", path.s, &got), 0);
	assert_string_equal(got.s, testdir_at(&d, "a/tool"));
	/* a file that is not executable is passed over */
	buf_reset(&got);
	assert_int_equal(secretcmd_find("plain", path.s, &got), 0);
	assert_string_equal(got.s, testdir_at(&d, "b/plain"));
	buf_reset(&got);
	assert_int_equal(secretcmd_find("nope", path.s, &got), -1);
	/* a directory is not a program */
	assert_int_equal(secretcmd_find("a", d.path, &got), -1);
	/* a word with a slash is used as it is */
	assert_int_equal(secretcmd_find(testdir_at(&d, "b/tool"), "", &got),
			 0);
	assert_string_equal(got.s, testdir_at(&d, "b/tool"));
	buf_reset(&got);
	assert_int_equal(secretcmd_find(testdir_at(&d, "a/plain"), NULL,
					&got), -1);
	assert_int_equal(secretcmd_find("", NULL, &got), -1);
	/* the default when PATH is unset */
	assert_int_equal(secretcmd_find("sh", NULL, &got), 0);
	testdir_remove(&d);
	buf_release(&got);
	buf_release(&path);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run `sh -c script` and check the outcome. */
static void run_sh(const char *script, double timeout,
		   struct secretcmd_result *r)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };

	secretcmd_run("/bin/sh", argv, timeout, r);
}

static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_secretcmd_run_output(void **state)
{
	struct secretcmd_result r;

	(void)state;
	/* one trailing line break is dropped, no more */
	run_sh("printf 's3cr3t\\n\\n'", 5, &r);
	assert_int_equal(r.outcome, SECRETCMD_OK);
	assert_int_equal(r.out.len, 7);
	assert_memory_equal(r.out.s, "s3cr3t\n", 7);
	secretcmd_result_release(&r);
	run_sh("printf 'caf\\303\\251\\r\\n'", 5, &r);
	assert_int_equal(r.outcome, SECRETCMD_OK);
	assert_string_equal(r.out.s, "caf\xc3\xa9");
	secretcmd_result_release(&r);
	/* exactly 64 KiB is allowed */
	run_sh("head -c 65536 /dev/zero | tr '\\0' x", 5, &r);
	assert_int_equal(r.outcome, SECRETCMD_OK);
	assert_int_equal(r.out.len, 65536);
	secretcmd_result_release(&r);
	/* stderr is kept apart */
	run_sh("echo noise >&2; echo v", 5, &r);
	assert_int_equal(r.outcome, SECRETCMD_OK);
	assert_string_equal(r.out.s, "v");
	assert_string_equal(r.err.s, "noise\n");
	secretcmd_result_release(&r);
	assert_no_children();
}

/* Run `sh -c script`: the outcome, and the code when not 0. */
static void assert_outcome(const char *script, enum secretcmd_outcome want,
			   int code)
{
	struct secretcmd_result r;

	run_sh(script, 5, &r);
	if (r.outcome != want || r.code != code)
		fail_msg("'%s': outcome %d code %d, expected %d code %d",
			 script, r.outcome, r.code, want, code);
	assert_int_equal(r.out.len, 0);	/* never kept on failure */
	secretcmd_result_release(&r);
}

static void test_secretcmd_run_failures(void **state)
{
	struct secretcmd_result r;
	struct buf why = BUF_INIT;
	char *argv[] = { "nope", NULL };

	(void)state;
	assert_outcome("echo partial; exit 3", SECRETCMD_EXIT, 3);
	assert_outcome("kill -TERM $$", SECRETCMD_SIGNAL, 15);
	assert_outcome("echo", SECRETCMD_EMPTY, 0);
	assert_outcome("printf 'a\\377b'", SECRETCMD_NOT_UTF8, 0);
	assert_outcome("printf 'a\\000b'", SECRETCMD_NOT_UTF8, 0);
	assert_outcome("head -c 65537 /dev/zero | tr '\\0' x",
		       SECRETCMD_TOO_LARGE, 0);

	run_sh("exit 3", 5, &r);
	secretcmd_describe(&r, "sh", &why);
	assert_string_equal(why.s, "'sh' exited with status 3");
	secretcmd_result_release(&r);

	secretcmd_run("/nonexistent/nope", argv, 5, &r);
	assert_int_equal(r.outcome, SECRETCMD_CANNOT_RUN);
	assert_int_equal(r.code, ENOENT);
	buf_reset(&why);
	secretcmd_describe(&r, "nope", &why);
	assert_string_equal(why.s, "cannot run 'nope': No such file or "
			    "directory");
	secretcmd_result_release(&r);
	buf_release(&why);
	assert_no_children();
}

/* A command that prints for ever is stopped at the cap, and killed. */
static void test_secretcmd_run_endless(void **state)
{
	struct secretcmd_result r;
	char *argv[] = { "yes", NULL };
	double t0 = now();

	(void)state;
	secretcmd_run("/usr/bin/yes", argv, 5, &r);
	assert_int_equal(r.outcome, SECRETCMD_TOO_LARGE);
	assert_true(now() - t0 < 2);
	secretcmd_result_release(&r);
	assert_no_children();
}

/* The timeout kills the whole process group, grandchildren too. */
static void test_secretcmd_run_timeout(void **state)
{
	struct testdir d;
	struct secretcmd_result r;
	struct buf script = BUF_INIT, why = BUF_INIT, pid = BUF_INIT;
	double t0 = now();
	long gpid;

	(void)state;
	testdir_make(&d, "torq-secretcmd");
	buf_addf(&script, "sleep 30 & echo $! > %s; wait",
		 testdir_at(&d, "pid"));
	run_sh(script.s, 0.3, &r);
	assert_int_equal(r.outcome, SECRETCMD_TIMEOUT);
	assert_true(now() - t0 < 2);
	secretcmd_describe(&r, "sh", &why);
	assert_string_equal(why.s, "'sh' did not finish within 0.3 s and was "
			    "killed (--secret-timeout)");
	secretcmd_result_release(&r);
	assert_int_equal(buf_read_file(&pid, testdir_at(&d, "pid"), 64), 0);
	gpid = strtol(pid.s, NULL, 10);
	assert_true(gpid > 0);
	/* the grandchild is gone (a zombie of init's at most, briefly) */
	t0 = now();
	while (kill((pid_t)gpid, 0) == 0 && now() - t0 < 2) {
		struct buf st = BUF_INIT;
		char path[64];

		snprintf(path, sizeof(path), "/proc/%ld/stat", gpid);
		if (!buf_read_file(&st, path, 4096) && strstr(st.s, ") Z")) {
			buf_release(&st);
			break;
		}
		buf_release(&st);
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	assert_true(now() - t0 < 2);
	assert_no_children();
	testdir_remove(&d);
	buf_release(&script);
	buf_release(&why);
	buf_release(&pid);
}

/* A daemon that keeps the pipe open does not hold the run up. */
static void test_secretcmd_run_grandchild_keeps_pipe(void **state)
{
	struct secretcmd_result r;
	double t0 = now();

	(void)state;
	run_sh("sleep 3 & echo v", 10, &r);
	assert_int_equal(r.outcome, SECRETCMD_OK);
	assert_string_equal(r.out.s, "v");
	assert_true(now() - t0 < 2);
	secretcmd_result_release(&r);
	assert_no_children();
}

/* stdin is /dev/null, our credentials and descriptors stay ours. */
static void test_secretcmd_run_environment(void **state)
{
	struct secretcmd_result r;
	struct buf script = BUF_INIT;
	int fd = open("/dev/null", O_RDONLY);	/* no close-on-exec */

	(void)state;
	assert_true(fd > 2);
	setenv("TORQ_CLIENT_ID", "id-not-for-you", 1);
	setenv("TORQ_CLIENT_SECRET", "secret-not-for-you", 1);
	setenv("TORQ_SECRETCMD_TEST", "kept", 1);
	buf_addf(&script, "read x; echo \"in=$? ${TORQ_CLIENT_ID-unset} "
		 "${TORQ_CLIENT_SECRET-unset} $TORQ_SECRETCMD_TEST\"; "
		 "test -e /proc/self/fd/%d && echo leak; exit 0", fd);
	run_sh(script.s, 5, &r);
	assert_int_equal(r.outcome, SECRETCMD_OK);
	assert_string_equal(r.out.s, "in=1 unset unset kept");
	secretcmd_result_release(&r);
	unsetenv("TORQ_CLIENT_ID");
	unsetenv("TORQ_CLIENT_SECRET");
	unsetenv("TORQ_SECRETCMD_TEST");
	close(fd);
	buf_release(&script);
}

struct asker {
	struct secretcmd_cache *c;
	struct secretcmd_words *w;
	const char *path;
	const struct secretcmd_result *res;
};

static void *ask(void *arg)
{
	struct asker *a = arg;

	a->res = secretcmd_cache_run(a->c, a->path, a->w, 5);
	return NULL;
}

static int lines;

static void count_line(void *ctx, const char *line)
{
	struct buf *log = ctx;

	buf_addf(log, "%s\n", line);
	lines++;
}

/* Eight threads ask for one command: it runs once, all get its answer. */
static void test_secretcmd_cache_runs_once(void **state)
{
	struct testdir d;
	struct secretcmd_words w, other;
	struct buf err = BUF_INIT, cmd = BUF_INIT, counter = BUF_INIT;
	struct buf log = BUF_INIT;
	struct secretcmd_cache *c = secretcmd_cache_new(count_line, &log);
	struct asker a[8];
	pthread_t t[8];
	size_t i;

	(void)state;
	testdir_make(&d, "torq-secretcmd");
	buf_addf(&cmd, "sh -c 'sleep 0.2; echo run >> %s; "
		 "echo s3cr3t-value; echo said s3cr3t-value >&2'",
		 testdir_at(&d, "count"));
	secretcmd_words_init(&w);
	secretcmd_words_init(&other);
	assert_int_equal(secretcmd_split(cmd.s, &w, &err), 0);
	for (i = 0; i < 8; i++) {
		a[i].c = c;
		a[i].w = &w;
		a[i].path = "/bin/sh";
		assert_int_equal(pthread_create(&t[i], NULL, ask, &a[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_ptr_equal(a[i].res, a[0].res);
	}
	assert_int_equal(a[0].res->outcome, SECRETCMD_OK);
	assert_string_equal(a[0].res->out.s, "s3cr3t-value");
	assert_int_equal(buf_read_file(&counter, testdir_at(&d, "count"),
				       100), 0);
	assert_string_equal(counter.s, "run\n");
	assert_int_equal(secretcmd_cache_runs(c), 1);
	/* the log names the program; what it said hides the secret */
	assert_non_null(strstr(log.s, "secret command 'sh' (/bin/sh): ok"));
	assert_non_null(strstr(log.s, "said (sensitive)"));
	assert_null(strstr(log.s, "s3cr3t"));
	/* other words are another command */
	assert_int_equal(secretcmd_split("sh -c 'echo x'", &other, &err), 0);
	assert_string_equal(secretcmd_cache_run(c, "/bin/sh", &other,
						5)->out.s, "x");
	assert_int_equal(secretcmd_cache_runs(c), 2);
	secretcmd_cache_free(c);
	secretcmd_words_release(&w);
	secretcmd_words_release(&other);
	testdir_remove(&d);
	buf_release(&err);
	buf_release(&cmd);
	buf_release(&counter);
	buf_release(&log);
}

/*
 * A batch runs its commands at once in the background: two that sleep
 * 0.4 s each are done in well under 0.8 s, and the caller is free while
 * they run.
 */
static void test_secretcmd_batch_runs_in_background(void **state)
{
	struct secretcmd_list l;
	struct secretcmd_words w;
	struct secretcmd_cache *c = secretcmd_cache_new(NULL, NULL);
	struct secretcmd_batch *b;
	struct buf err = BUF_INIT;
	struct mark m = { "m.yaml", 3, 7, 0 };
	double t0;

	(void)state;
	secretcmd_list_init(&l);
	secretcmd_words_init(&w);
	assert_int_equal(secretcmd_split("sh -c 'sleep 0.4; echo one'", &w,
					 &err), 0);
	assert_int_equal(secretcmd_list_add(&l, &w, xstrdup("/bin/sh"), &m,
					    "a.b"), 0);
	assert_int_equal(secretcmd_split("sh -c 'sleep 0.4; echo two'", &w,
					 &err), 0);
	assert_int_equal(secretcmd_list_add(&l, &w, xstrdup("/bin/sh"), &m,
					    NULL), 1);
	/* the same words again are the same command */
	assert_int_equal(secretcmd_split("sh -c 'sleep 0.4; echo one'", &w,
					 &err), 0);
	assert_int_equal(secretcmd_list_add(&l, &w, xstrdup("/bin/sh"), &m,
					    NULL), 0);
	assert_int_equal(l.nr, 2);
	assert_string_equal(l.items[0].where, "a.b");
	assert_int_equal(l.items[0].mark.line, 3);
	t0 = now();
	b = secretcmd_batch_start(&l, c, 5);
	assert_true(now() - t0 < 0.2);
	secretcmd_batch_wait(b);
	assert_true(now() - t0 < 0.75);
	assert_string_equal(l.items[0].res->out.s, "one");
	assert_string_equal(l.items[1].res->out.s, "two");
	secretcmd_list_release(&l);
	secretcmd_cache_free(c);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secretcmd_split_words),
		cmocka_unit_test(test_secretcmd_split_errors),
		cmocka_unit_test(test_secretcmd_find),
		cmocka_unit_test(test_secretcmd_run_output),
		cmocka_unit_test(test_secretcmd_run_failures),
		cmocka_unit_test(test_secretcmd_run_endless),
		cmocka_unit_test(test_secretcmd_run_timeout),
		cmocka_unit_test(test_secretcmd_run_grandchild_keeps_pipe),
		cmocka_unit_test(test_secretcmd_run_environment),
		cmocka_unit_test(test_secretcmd_cache_runs_once),
		cmocka_unit_test(test_secretcmd_batch_runs_in_background),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
