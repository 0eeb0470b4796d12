#ifndef TORQ_LOCK_H
#define TORQ_LOCK_H

#include "torq/buf.h"

/*
 * One writer per workspace on this machine. apply (and each client of a
 * fleet apply) holds an flock(2) on
 *   <dir>/.torq-apply/locks/<name>.lock
 * (<dir> the state directory, <name> as journal_path makes it) from
 * before it reads the live state until it has confirmed the result, so a
 * second apply plans from what the first one left, never from what both
 * saw. The kernel drops the lock when its holder dies, even by SIGKILL:
 * a stale file never blocks anyone. The file holds the holder's pid,
 * host and start time, for the message of whoever waits. Writers on
 * other machines need the CI's own concurrency control (README).
 */
struct lock {
	int fd;				/* -1: not held */
	char *path;
};

/* What a lock file says of its holder; fields empty when unknown. */
struct lock_holder {
	long pid;
	char host[256];
	char since[32];			/* RFC 3339, UTC */
};

#define LOCK_INIT { -1, NULL }

/*
 * Take the lock of workspace under dir (directories created 0700).
 * timeout: seconds to wait; 0 fail at once; negative wait for ever. When
 * the lock is busy, on_wait (may be NULL) hears once who holds it, before
 * the wait. Returns 0 held; -2 still busy at the timeout (err names the
 * holder); -1 another error (err says which).
 */
int lock_acquire(struct lock *l, const char *dir, const char *workspace,
		 double timeout,
		 void (*on_wait)(void *ctx, const char *workspace,
				 const char *path,
				 const struct lock_holder *h),
		 void *ctx, struct buf *err);

/* Let go (the file stays, for the next holder). Accepts a lock not held. */
void lock_release(struct lock *l);

/* Describe a holder: "pid 123 on host since 2026-12-04T03:27:46Z". */
void lock_describe(const struct lock_holder *h, struct buf *out);

#endif
