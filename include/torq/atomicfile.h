#ifndef TORQ_ATOMICFILE_H
#define TORQ_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "torq/buf.h"

/*
 * Writing a whole file so that readers see the old contents or the new,
 * never a part: a temporary file beside path, created exclusively with
 * mode (so no one else's file or link is ever written through), written,
 * fsynced, then put in place, and the directory fsynced.
 */
enum atomicfile_flags {
	/* Refuse to replace an existing path (link(), atomically). */
	ATOMICFILE_NO_CLOBBER = 1 << 0,
	/* Create missing parent directories, mode 0700. */
	ATOMICFILE_MKDIRS = 1 << 1,
};

/*
 * Write len bytes of data to path. what names the file in messages
 * ("credentials file"). With ATOMICFILE_NO_CLOBBER an existing path is an
 * error saying so, and returns -2. Returns 0, or -1 with a message.
 */
int atomicfile_write(const char *path, const void *data, size_t len,
		     mode_t mode, unsigned flags, const char *what,
		     struct buf *err);

/*
 * Write all len bytes to fd, again after a short write or EINTR. Returns
 * 0, or -1 with errno set.
 */
int atomicfile_write_all(int fd, const void *data, size_t len);

/*
 * mkdir -p dir, each new directory with mode (less the umask); something
 * in the way that is not a directory is an error. Returns 0, or -1 with
 * a message.
 */
int atomicfile_mkdirs(const char *dir, mode_t mode, struct buf *err);

#endif
