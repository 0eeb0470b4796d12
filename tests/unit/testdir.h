#ifndef TORQ_TESTS_TESTDIR_H
#define TORQ_TESTS_TESTDIR_H

#include <stddef.h>
#include <sys/types.h>

#include "torq/buf.h"

/*
 * A fresh directory under /tmp for a unit test's files, removed with all
 * it holds afterwards. Every unit test program links testdir.o. The
 * helpers assert with cmocka, so they belong in tests and their setup and
 * teardown functions.
 */
struct testdir {
	char path[64];		/* "/tmp/PREFIX-XXXXXX" */
	struct buf scratch;	/* what testdir_at() returns */
};

/* Create /tmp/PREFIX-XXXXXX (mkdtemp) and fill in d. */
void testdir_make(struct testdir *d, const char *prefix);

/* "DIR/name", valid until the next testdir_at() or testdir_remove(). */
const char *testdir_at(struct testdir *d, const char *name);

/*
 * Write len bytes of text to DIR/name with the given mode, replacing what
 * is there and creating the directories on the way (mode 0700). Leaves
 * what testdir_at() last returned alone.
 */
void testdir_put(struct testdir *d, const char *name, const char *text,
		 size_t len, mode_t mode);

/* Remove the directory and all it holds (rm -rf), and release d. */
void testdir_remove(struct testdir *d);

#endif
