#ifndef TORQ_HISTORY_H
#define TORQ_HISTORY_H

#include <stddef.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/model.h"
#include "torq/report.h"

/*
 * The report's history (report --history DIR): one JSON file per run,
 * report_json()'s document with the time it was taken, named by that UTC
 * time so that names sort as times do (20261204T091500.123456Z.json).
 * Read back to show how each figure changed since the run before and
 * since 30 days ago, and to draw trends. docs/history-format.md has the
 * format.
 */

/* A workspace's figures in a snapshot. */
struct history_row {
	char *name;			/* NULL: the API gave none */
	char *id;			/* NULL: the API gave none */
	long fig[REPORT_FIGURES];
};

struct history_snapshot {
	char *file;			/* its name in the directory, or NULL */
	char *taken;			/* as written: RFC 3339, UTC */
	long long sec;			/* taken, seconds since 1970 */
	long nsec;
	struct history_row *rows;
	size_t nr, alloc;
	long totals[REPORT_FIGURES];
};

/* The snapshots of a directory, oldest first (ties: by file name). */
struct history {
	struct history_snapshot *snaps;
	size_t nr, alloc;
};

#define HISTORY_INIT { NULL, 0, 0 }
/* How far back the second change looks. */
#define HISTORY_MONTH_SECONDS (30LL * 24 * 60 * 60)

void history_init(struct history *h);
/* Free every snapshot. Accepts NULL. */
void history_release(struct history *h);
/* Free what s owns. Accepts NULL. */
void history_snapshot_release(struct history_snapshot *s);

/*
 * Parse one snapshot's text into out (whose file stays NULL). Returns 0,
 * or -1 with why it is not one in why (out then holds nothing).
 */
int history_parse(const char *text, size_t len,
		  struct history_snapshot *out, struct buf *why);

/*
 * Read every *.json file of dir into h, oldest first; dir is created
 * (mode 0700, parents too) when missing. A file that cannot be read or is
 * not a snapshot is left out with a line in warnings naming it and why
 * ("skipping 'hist/x.json': not valid JSON: ..."). Returns 0, or -1 with
 * a message when dir cannot be made or read as a directory.
 */
int history_read(struct history *h, const char *dir, struct buf *warnings,
		 struct buf *err);

/*
 * The snapshot nearest to the time (sec, nsec) but not after it, or NULL
 * when every snapshot is later. Borrowed.
 */
const struct history_snapshot *history_at_or_before(const struct history *h,
						    long long sec, long nsec);

/*
 * A workspace's figures in s: the row with its id when both have one,
 * else the row with its name. Returns 0, or -1 when s has no such row.
 */
int history_find(const struct history_snapshot *s, const char *id,
		 const char *name, long out[REPORT_FIGURES]);

/*
 * The changes of the figures of ws (and their totals, the last row)
 * since s into c, whose arrays are allocated here (release with
 * history_change_release); c->since borrows s->taken. With s NULL,
 * c->since is NULL and nothing is known.
 */
void history_change(const struct history_snapshot *s,
		    const struct model_workspace *ws, size_t nr,
		    struct report_change *c);
void history_change_release(struct report_change *c);

/* Append the time sec as RFC 3339 in UTC, to the second. */
void history_add_time(struct buf *out, long long sec);

/*
 * Write doc (report_json()'s document, borrowed; "taken" is set in it)
 * as the snapshot taken at (sec, nsec) into dir, atomically, mode 0644,
 * never replacing a file. Its path goes to path. Returns 0, or -1 with
 * a message.
 */
int history_write(const char *dir, long long sec, long nsec, json_t *doc,
		  struct buf *path, struct buf *err);

#endif
