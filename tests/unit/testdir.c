/* A temporary directory for a unit test's files (testdir.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
#include "torq/banned.h"

void testdir_make(struct testdir *d, const char *prefix)
{
	int n = snprintf(d->path, sizeof(d->path), "/tmp/%s-XXXXXX", prefix);

	assert_true(n > 0 && (size_t)n < sizeof(d->path));
	if (!mkdtemp(d->path))
		fail_msg("mkdtemp '%s': %s", d->path, strerror(errno));
	buf_init(&d->scratch);
}

const char *testdir_at(struct testdir *d, const char *name)
{
	buf_reset(&d->scratch);
	buf_addf(&d->scratch, "%s/%s", d->path, name);
	return d->scratch.s;
}

void testdir_put(struct testdir *d, const char *name, const char *text,
		 size_t len, mode_t mode)
{
	struct buf path = BUF_INIT;
	char *p;
	int fd;

	buf_addf(&path, "%s/%s", d->path, name);
	for (p = path.s + strlen(d->path) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path.s, 0700) && errno != EEXIST)
			fail_msg("mkdir '%s': %s", path.s, strerror(errno));
		*p = '/';
	}
	if (unlink(path.s) && errno != ENOENT)
		fail_msg("unlink '%s': %s", path.s, strerror(errno));
	fd = open(path.s, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		fail_msg("create '%s': %s", path.s, strerror(errno));
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	buf_release(&path);
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void testdir_remove(struct testdir *d)
{
	if (nftw(d->path, remove_one, 16, FTW_DEPTH | FTW_PHYS))
		fail_msg("cannot remove '%s': %s", d->path, strerror(errno));
	buf_release(&d->scratch);
}
