#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "torq/atomicfile.h"

#include "torq/banned.h"

#define TEMP_ATTEMPTS 100

/* A temporary file beside path, created exclusively; its name goes to tmp. */
static int create_temp(const char *path, mode_t mode, struct buf *tmp,
		       struct buf *err)
{
	struct timespec ts;
	uint32_t x;
	int fd = -1, i;

	/* No shared counter: threads may write files at once. */
	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint32_t)getpid() * 2654435761u ^ (uint32_t)ts.tv_nsec ^
	    (uint32_t)ts.tv_sec ^ (uint32_t)(uintptr_t)&ts;
	for (i = 0; i < TEMP_ATTEMPTS; i++) {
		x = x ? x : 0x9e3779b9u;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf_reset(tmp);
		buf_addf(tmp, "%s.tmp-%08x", path, (unsigned)x);
		fd = open(tmp->s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
			  O_NOCTTY, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		buf_addf(err, "cannot create a temporary file beside '%s': %s",
			 path, strerror(errno));
		buf_reset(tmp);
	}
	return fd;
}

int atomicfile_write_all(int fd, const void *buf, size_t len)
{
	const char *data = buf;
	ssize_t n;

	while (len) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Make a new name in path's directory durable; failure costs only that. */
static void sync_dir(const char *path)
{
	struct buf dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		buf_addch(&dir, '.');
	else
		buf_add(&dir, path, slash == path ? 1 : (size_t)(slash - path));
	fd = open(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	buf_release(&dir);
}

/*
 * Put the finished temporary file at path. Without clobbering, link()
 * refuses an existing path atomically; a file system without hard links
 * falls back to a check, then rename(). Returns 0, -1, or -2 (exists).
 */
static int install(const char *tmp, const char *path, unsigned flags,
		   const char *what, struct buf *err)
{
	struct stat st;

	if (flags & ATOMICFILE_NO_CLOBBER) {
		if (!link(tmp, path)) {
			unlink(tmp);
			sync_dir(path);
			return 0;
		}
		if (errno == EEXIST)
			goto exists;
		if (errno != EPERM && errno != ENOTSUP && errno != ENOSYS)
			goto fail;
		if (!lstat(path, &st))
			goto exists;
		if (errno != ENOENT)
			goto fail;
	}
	if (!rename(tmp, path)) {
		sync_dir(path);
		return 0;
	}
fail:
	buf_addf(err, "cannot write %s '%s': %s", what, path,
		 strerror(errno));
	return -1;
exists:
	buf_addf(err, "%s '%s' already exists", what, path);
	return -2;
}

/* mkdir -p of path's directory, each new one with mode. */
static int make_parents(const char *path, mode_t mode, struct buf *err)
{
	struct buf dir = BUF_INIT;
	struct stat st;
	const char *p;
	int ret = 0;

	for (p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		buf_reset(&dir);
		buf_add(&dir, path, (size_t)(p - path));
		if (!mkdir(dir.s, mode))
			continue;
		if (errno == EEXIST && (stat(dir.s, &st) ||
					!S_ISDIR(st.st_mode)))
			errno = ENOTDIR;
		if (errno != EEXIST) {
			buf_addf(err, "cannot create directory '%s': %s",
				 dir.s, strerror(errno));
			ret = -1;
			break;
		}
	}
	buf_release(&dir);
	return ret;
}

int atomicfile_write(const char *path, const void *data, size_t len,
		     mode_t mode, unsigned flags, const char *what,
		     struct buf *err)
{
	struct buf tmp = BUF_INIT;
	int fd, ret = -1;

	if ((flags & ATOMICFILE_MKDIRS) && make_parents(path, 0700, err))
		return -1;
	fd = create_temp(path, mode, &tmp, err);
	if (fd < 0)
		goto out;
	if (atomicfile_write_all(fd, data, len) || fsync(fd)) {
		buf_addf(err, "cannot write %s '%s': %s", what, path,
			 strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd)) {
		buf_addf(err, "cannot write %s '%s': %s", what, path,
			 strerror(errno));
		goto out;
	}
	ret = install(tmp.s, path, flags, what, err);
	if (!ret)
		buf_reset(&tmp);
out:
	if (tmp.len)
		unlink(tmp.s);
	buf_release(&tmp);
	return ret;
}

int atomicfile_mkdirs(const char *dir, mode_t mode, struct buf *err)
{
	struct buf path = BUF_INIT;
	int ret;

	/* the parents of a file in dir are dir and its parents */
	buf_addf(&path, "%s/.", dir);
	ret = make_parents(path.s, mode, err);
	buf_release(&path);
	return ret;
}
