#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
#include "torq/journal.h"
#include "torq/lock.h"
#include "torq/banned.h"

static int waits;
static char waited_for[64];
static long waited_pid;

static void on_wait(void *ctx, const char *workspace, const char *path,
		    const struct lock_holder *h)
{
	(void)ctx;
	(void)path;
	waits++;
	snprintf(waited_for, sizeof(waited_for), "%s", workspace);
	waited_pid = h->pid;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* flock is per open file: a second lock_acquire in one process contends. */
static void test_lock_one_holder(void **state)
{
	struct testdir d;
	struct lock a = LOCK_INIT, b = LOCK_INIT;
	struct buf err = BUF_INIT, want = BUF_INIT;
	struct stat st;
	double t0;

	(void)state;
	testdir_make(&d, "torq-lock");
	assert_int_equal(lock_acquire(&a, d.path, "acme SOC", 0, on_wait,
				      NULL, &err), 0);
	journal_state_path(d.path, "locks", "acme SOC", ".lock", &want);
	assert_string_equal(a.path, want.s);
	assert_int_equal(stat(a.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* fail at once, naming this process as the holder */
	waits = 0;
	assert_int_equal(lock_acquire(&b, d.path, "acme SOC", 0, on_wait,
				      NULL, &err), -2);
	assert_int_equal(b.fd, -1);
	assert_non_null(strstr(err.s, "workspace 'acme SOC' is being changed"
			       " by pid"));
	buf_reset(&want);
	buf_addf(&want, "pid %ld on ", (long)getpid());
	assert_non_null(strstr(err.s, want.s));

	/* wait a while: told once who holds it, then give up */
	buf_reset(&err);
	t0 = now();
	assert_int_equal(lock_acquire(&b, d.path, "acme SOC", 0.3, on_wait,
				      NULL, &err), -2);
	assert_true(now() - t0 >= 0.3);
	assert_int_equal(waits, 1);
	assert_string_equal(waited_for, "acme SOC");
	assert_int_equal(waited_pid, (long)getpid());

	/* another workspace is another lock */
	buf_reset(&err);
	assert_int_equal(lock_acquire(&b, d.path, "globex SOC", 0, NULL, NULL,
				      &err), 0);
	lock_release(&b);

	/* released, it is free again */
	lock_release(&a);
	lock_release(&a);	/* twice is harmless */
	buf_reset(&err);
	assert_int_equal(lock_acquire(&b, d.path, "acme SOC", 0, NULL, NULL,
				      &err), 0);
	lock_release(&b);
	buf_release(&err);
	buf_release(&want);
	testdir_remove(&d);
}

/* Something that is not a regular file at the lock's path is an error. */
static void test_lock_not_a_file(void **state)
{
	struct testdir d;
	struct lock l = LOCK_INIT;
	struct buf err = BUF_INIT, path = BUF_INIT;

	(void)state;
	testdir_make(&d, "torq-lock");
	journal_state_path(d.path, "locks", "acme", ".lock", &path);
	assert_int_equal(mkdir(testdir_at(&d, ".torq-apply"), 0700), 0);
	assert_int_equal(mkdir(testdir_at(&d, ".torq-apply/locks"), 0700), 0);
	assert_int_equal(mkdir(path.s, 0700), 0);
	assert_int_equal(lock_acquire(&l, d.path, "acme", 0, NULL, NULL, &err),
			 -1);
	assert_non_null(strstr(err.s, "cannot open lock file"));
	buf_release(&err);
	buf_release(&path);
	testdir_remove(&d);
}

static void test_lock_describe_unknown(void **state)
{
	struct lock_holder h;
	struct buf out = BUF_INIT;

	(void)state;
	memset(&h, 0, sizeof(h));
	lock_describe(&h, &out);
	assert_string_equal(out.s, "another torq-apply");
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_one_holder),
		cmocka_unit_test(test_lock_not_a_file),
		cmocka_unit_test(test_lock_describe_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
