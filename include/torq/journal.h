#ifndef TORQ_JOURNAL_H
#define TORQ_JOURNAL_H

#include <stddef.h>

#include "torq/buf.h"

/*
 * The apply journal: one line of JSON per event, appended as each step
 * ends, so that a run cut short (a crash, SIGKILL, a power cut) is
 * reported clearly by the next one. The file is
 *   <dir>/.torq-apply/journal/<name>.jsonl
 * where <dir> is the manifest's directory and <name> the workspace name
 * made safe for a file name (see journal_path). Directories are created
 * 0700, the file 0600; it is only ever appended to. Each record is one
 * write() followed by fsync(), so a killed run leaves whole lines, and at
 * worst one torn last line, which readers ignore. Records:
 *   {"t": "2026-11-23T10:00:00Z", "event": "begin", "run": R,
 *    "workspace": W, "steps": N}
 *   {"t", "event": "workspace_created", "run", "workspace", "id",
 *    "credentials": path of the key file}
 *   {"t", "event": "step", "run", "index", "kind", "identity",
 *    "status": "done"|"failed"|"skipped"|"unknown", "id", "message"}
 *   {"t", "event": "end", "run", "status": "ok"|"failed",
 *    "done", "failed", "skipped"}
 *   {"t", "event": "runner_intent", "run", "name", "file"}
 *   {"t", "event": "runner_delivered", "run", "name", "id", "file",
 *    "digest": SHA-256 of the install command file, 64 hex digits}
 * A runner's intent is written before the request that creates it, its
 * delivery once its install command file is written: an intent with no
 * delivery for the runner that exists is an install command lost.
 * A field whose string is NULL ("id", "message", "credentials") is left
 * out. struct journal does not change after journal_open.
 * The journal holds no secret: callers pass kinds, identities, ids,
 * statuses and messages, never a value from a secret.
 */

#define JOURNAL_RUN_LEN 40		/* a run id and its NUL */
#define JOURNAL_MAX_READ (64u << 20)	/* the tail journal_last_run reads */

struct journal {
	char *path;			/* owned; NULL when not open */
	int fd;				/* -1 when not open */
	char run[JOURNAL_RUN_LEN];	/* this run's id, in every record */
};

/*
 * Append to out the journal's path for workspace in dir (NULL or "" is
 * "."). The name keeps lower-case ASCII letters, digits, '-' and '_',
 * lower-cases upper-case ASCII letters, turns every other byte into '_',
 * is cut at 64 bytes, and ends with '-' and the first 8 hex digits of the
 * SHA-256 of the exact workspace name, so that names that sanitize alike
 * still get files of their own.
 */
void journal_path(const char *dir, const char *workspace, struct buf *out);

/*
 * The same name for another file of the workspace's under
 * <dir>/.torq-apply/<sub>/, ending in ext (".lock"): the lock's.
 */
void journal_state_path(const char *dir, const char *sub,
			const char *workspace, const char *ext, struct buf *out);

/*
 * Open (creating what is missing) the journal of workspace in dir and
 * make a fresh run id from the time, the process id and /dev/urandom.
 * Returns 0, or -1 with a message in err; either way j can be given to
 * journal_close.
 */
int journal_open(struct journal *j, const char *dir, const char *workspace,
		 struct buf *err);

/*
 * Append one record each; see the top of this file. Strings are copied
 * into the record; one that is not UTF-8 has its non-ASCII bytes written
 * as '?'. A last line left torn (by a crash, or a write that failed) is
 * first ended with a newline, so that the new record is a line of its
 * own. Each returns 0 once the line is written and synced, or -1 with a
 * message in err.
 */
int journal_begin(struct journal *j, const char *workspace, size_t steps,
		  struct buf *err);
int journal_step(struct journal *j, size_t index, const char *kind,
		 const char *identity, const char *status, const char *id,
		 const char *message, struct buf *err);
/* The one record apply must never lose: written as soon as it exists. */
int journal_workspace_created(struct journal *j, const char *workspace,
			      const char *id, const char *credentials_path,
			      struct buf *err);
int journal_end(struct journal *j, const char *status, size_t done,
		size_t failed, size_t skipped, struct buf *err);
/* Step runners, whose install command Torq shows only once. */
int journal_runner_intent(struct journal *j, const char *name,
			  const char *file, struct buf *err);
int journal_runner_delivered(struct journal *j, const char *name,
			     const char *id, const char *file,
			     const char *digest, struct buf *err);

/*
 * Close the file and free the path. Accepts NULL, or a journal that
 * journal_open failed to open; a second call does nothing.
 */
void journal_close(struct journal *j);

/* What the last run in a journal did, for the next run's report. */
struct journal_last {
	int found;			/* a "begin" was read */
	int finished;			/* its "end" was read */
	int ok;				/* ... with status "ok" */
	char run[JOURNAL_RUN_LEN];
	char started[32];		/* the begin's "t" */
	size_t steps;			/* planned */
	/* The run's step records by status ("unknown": any other). */
	size_t done, failed, skipped, unknown;
	char *created_id;		/* owned; NULL if none was created */
	char *created_credentials;	/* owned; the key file, or NULL */
};

/*
 * Read the journal of workspace in dir, if there is one (found is 0 when
 * not), and fill out from its last "begin" and the records of the same
 * run after it. Lines that are not JSON objects, a torn last line among
 * them, are skipped. Of a file larger than JOURNAL_MAX_READ only the last
 * JOURNAL_MAX_READ bytes are read. Returns 0, or -1 with a message in err;
 * either way out is to be given to journal_last_release.
 */
int journal_last_run(const char *dir, const char *workspace,
		     struct journal_last *out, struct buf *err);
/* Free what l owns. Accepts NULL. */
void journal_last_release(struct journal_last *l);

/* The runner records of every run in a journal, in the file's order. */
struct journal_runner_event {
	int delivered;			/* 0: an intent */
	char *name;			/* owned */
	char *id;			/* owned; NULL for an intent */
	char *file;			/* owned, or NULL */
	char *digest;			/* owned; NULL for an intent */
};

struct journal_runners {
	struct journal_runner_event *ev;
	size_t nr, alloc;
};

/*
 * Read every runner_intent and runner_delivered record of the journal of
 * workspace in dir (none when there is no journal), within the last
 * JOURNAL_MAX_READ bytes. Returns 0, or -1 with a message in err; either
 * way out is to be given to journal_runners_release.
 */
int journal_runners_read(const char *dir, const char *workspace,
			 struct journal_runners *out, struct buf *err);
/* Free what r owns. Accepts NULL. */
void journal_runners_release(struct journal_runners *r);

/*
 * Append to out one line (no newline) about the last run when there is
 * something to say: that it was interrupted, or that it finished with
 * failures. Returns 1 when it wrote, 0 when there is nothing to report
 * (no run, or one that finished ok).
 */
int journal_describe_last(const struct journal_last *l, struct buf *out);

#endif
