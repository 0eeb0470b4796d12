#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "torq/atomicfile.h"
#include "torq/journal.h"
#include "torq/lock.h"
#include "torq/path.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

#define POLL_NS 100000000L		/* 0.1 s between tries */

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The holder's line: "pid host since", as lock_acquire writes it. */
static void read_holder(int fd, struct lock_holder *h)
{
	char line[512], host[256], since[32];
	ssize_t n;
	long pid;

	memset(h, 0, sizeof(*h));
	n = pread(fd, line, sizeof(line) - 1, 0);
	if (n <= 0)
		return;
	line[n] = '\0';
	if (sscanf(line, "%ld %255s %31s", &pid, host, since) != 3)
		return;
	h->pid = pid;
	memcpy(h->host, host, sizeof(host));
	memcpy(h->since, since, sizeof(since));
}

static void write_holder(int fd)
{
	char host[256] = "unknown", since[32] = "", line[512];
	time_t t = time(NULL);
	struct tm tm;
	int n;

	if (gethostname(host, sizeof(host) - 1))
		memcpy(host, "unknown", sizeof("unknown"));
	host[sizeof(host) - 1] = '\0';
	if (gmtime_r(&t, &tm))
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%ld %s %s\n", (long)getpid(), host,
		     since);
	/* Only a message for whoever waits: a failure costs only that. */
	if (n > 0 && !ftruncate(fd, 0) && pwrite(fd, line, (size_t)n, 0) < 0)
		return;
}

void lock_describe(const struct lock_holder *h, struct buf *out)
{
	if (!h->pid) {
		buf_addstr(out, "another torq-apply");
		return;
	}
	buf_addf(out, "pid %ld on %s since %s", h->pid, h->host, h->since);
}

int lock_acquire(struct lock *l, const char *dir, const char *workspace,
		 double timeout,
		 void (*on_wait)(void *ctx, const char *workspace,
				 const char *path,
				 const struct lock_holder *h),
		 void *ctx, struct buf *err)
{
	struct buf path = BUF_INIT, parent = BUF_INIT;
	struct lock_holder h;
	struct stat st;
	struct timespec nap = { 0, POLL_NS };
	double deadline = now_seconds() + timeout;
	int fd = -1, told = 0, ret = -1;

	l->fd = -1;
	l->path = NULL;
	journal_state_path(dir, "locks", workspace, ".lock", &path);
	path_dirname(path.s, &parent);
	if (atomicfile_mkdirs(parent.s, 0700, err))
		goto out;
	fd = open(path.s, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
		  0600);
	if (fd < 0 || fstat(fd, &st)) {
		buf_addf(err, "cannot open lock file '%s': %s", path.s,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_addf(err, "cannot open lock file '%s': not a regular file",
			 path.s);
		goto out;
	}
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			buf_addf(err, "cannot lock '%s': %s", path.s,
				 strerror(errno));
			goto out;
		}
		read_holder(fd, &h);
		if (timeout >= 0 && now_seconds() >= deadline) {
			buf_addf(err, "workspace '%s' is being changed by ",
				 workspace);
			lock_describe(&h, err);
			buf_addf(err, " (lock '%s')", path.s);
			ret = -2;
			goto out;
		}
		if (!told && on_wait)
			on_wait(ctx, workspace, path.s, &h);
		told = 1;
		nanosleep(&nap, NULL);
	}
	write_holder(fd);
	l->fd = fd;
	l->path = buf_detach(&path, NULL);
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	buf_release(&parent);
	return ret;
}

void lock_release(struct lock *l)
{
	if (l->fd >= 0) {
		/*
		 * The holder's line goes, so that no one is told of a run
		 * that ended; a failure costs only that.
		 */
		if (ftruncate(l->fd, 0)) {
		}
		flock(l->fd, LOCK_UN);
		close(l->fd);
	}
	l->fd = -1;
	free(l->path);
	l->path = NULL;
}
