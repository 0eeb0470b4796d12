#ifndef TORQ_DIAG_H
#define TORQ_DIAG_H

#include <stddef.h>

#include "torq/buf.h"

/*
 * Diagnostics: errors, warnings and notes about input files, each with a
 * source position, collected rather than printed so that one run reports
 * every problem (capped). See docs/internals/diagnostics.md.
 */

/*
 * A position in a source file. file is borrowed (the struct doc or the
 * caller keeps it alive); line and col are 1-based, line 0 means "the whole
 * file". plain is set for YAML scalars written without quotes.
 */
struct mark {
	const char *file;
	unsigned line;
	unsigned col;
	unsigned char plain;
};

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
	DIAG_NOTE,	/* belongs to the error or warning just before it */
};

struct diag {
	enum diag_severity severity;
	struct mark mark;	/* mark.file is copied and owned here */
	char *path;		/* key path such as "users[3].email", or NULL */
	char *message;
};

struct diag_list {
	struct diag *items;
	size_t nr, alloc;
	size_t errors;		/* errors recorded, counting dropped ones */
	size_t warnings;
	size_t max_errors;	/* 0: no cap */
	size_t dropped;		/* errors past max_errors, not kept */
	size_t dropped_warnings; /* warnings past max_errors, not kept */
	int dropping;		/* the last error was dropped: drop its notes */
};

/* Errors kept per list, and (separately) warnings. */
#define DIAG_MAX_ERRORS 50
/* Characters of a source line shown around the column. */
#define DIAG_EXCERPT_CHARS 120
/* Characters of a message shown (a 1 MB key quoted in one is cut). */
#define DIAG_MESSAGE_CHARS 500

void diag_list_init(struct diag_list *l, size_t max_errors);
void diag_list_release(struct diag_list *l);

/*
 * Record a diagnostic. mark may be NULL (no position), path may be NULL or
 * empty (the document root).
 */
void diag_add(struct diag_list *l, enum diag_severity sev,
	      const struct mark *mark, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Move every diagnostic of from onto the end of to; from is left empty. */
void diag_list_move(struct diag_list *to, struct diag_list *from);

/*
 * Look-up of source text, so rendering can show the offending line. Returns
 * the text of line (1-based) of file without its newline and sets *len, or
 * NULL when unknown.
 */
typedef const char *(*diag_source_fn)(void *ctx, const char *file,
				      unsigned line, size_t *len);

/*
 * Render every diagnostic as
 *   file:line:col: error: message (at path)
 *       12 | the source line
 *          |     ^
 * followed by a "too many errors" line when some were dropped. color adds
 * ANSI colours. source may be NULL. Names, messages and the source line
 * go through utf8_add_clean(), so nothing from a file can drive the
 * terminal; a line longer than DIAG_EXCERPT_CHARS characters is cut to
 * that many around the column, with "..." where it was cut; a message
 * is cut after DIAG_MESSAGE_CHARS characters the same way.
 */
void diag_render(const struct diag_list *l, struct buf *out,
		 diag_source_fn source, void *ctx, int color);

/* Key path helpers: append ".key" (or "key" at the root, or ["k y"]) and "[i]". */
void path_push_key(struct buf *path, const char *key);
void path_push_index(struct buf *path, size_t index);

#endif
