#ifndef TORQ_WFDIFF_H
#define TORQ_WFDIFF_H

#include <stddef.h>
#include <jansson.h>

#include "torq/buf.h"

/*
 * What changes in a workflow, for a plan's reviewer: two workflow YAML
 * texts (old: the live revision, or NULL for an import; new: the file's or
 * the source workspace's) compared by meaning, not formatting. Pure: no
 * I/O, no globals. See docs/internals/wfdiff.md.
 *
 * Normalised text. Both texts are read by the loader that wfyaml_digest
 * uses (load.h) and written again as block-style YAML:
 * - in a mapping, "name", "id" and "type" first (in that order), then the
 *   other keys by strcmp; sequences keep their order; {} and [] when empty;
 * - a string is plain unless it would read back as something else or
 *   needs care (what the core schema reads as null, a boolean or a number:
 *   "null", "true", "123"; empty; leading or trailing space; ": " or
 *   " #"; an indicator first; control or invisible characters), then it is
 *   double-quoted with JSON-style escapes ("\n", "\t", "\u2028");
 * - a string of several lines is a "|" block scalar, unless a line ends in
 *   white space or it holds a character that needs an escape (then
 *   quoted, so nothing invisible hides in the diff);
 * - comments, anchors and aliases (expanded), tags and styles are gone.
 * The text is a function of the loaded tree alone: texts of the same
 * wfyaml_digest normalise alike, and loading the normalised text gives
 * that digest again (volatile keys aside).
 *
 * Volatile keys, which Torq sets on its own and which are dropped from
 * the normalised text. Only where the workflow's own metadata lives, never
 * inside a step's input (an HTTP body may well hold "position"):
 * - in the top-level mapping: "created_at", "updated_at", "revision_id",
 *   "workflow_id" (the revision's record, set by Torq on each save),
 *   "position" and "ui" (the editor's layout);
 * - in each step: "created_at", "updated_at", "position" and "ui". A
 *   step's "workflow_id" or "revision_id" may name what a nested step
 *   calls, so it stays.
 * A step is a mapping in a sequence under a key "steps", at any depth.
 * Dropping them is for the reviewer's eyes only: wfyaml_digest, which the
 * planner compares, still counts them, so a plan may list a workflow as
 * changed whose diff is empty.
 */

/*
 * Normalise yaml (len bytes) into out (appended). Returns 0, or -1 with
 * "NAME: line L, column C: what is wrong" in err, as wfyaml_digest.
 */
int wfdiff_normalise(const char *name, const char *yaml, size_t len,
		     struct buf *out, struct buf *err);

enum wfdiff_kind {
	WFDIFF_HUNK,		/* "@@ -a,b +c,d @@" */
	WFDIFF_CONTEXT,		/* ' ' */
	WFDIFF_DEL,		/* '-' */
	WFDIFF_ADD		/* '+' */
};

/*
 * One line of the unified diff. text has no newline and no prefix
 * character; for WFDIFF_HUNK it is the whole header. old_line and
 * new_line are the line's numbers (from 1) in the old and new normalised
 * texts, 0 on the side it is not in; a hunk's are its start lines.
 */
struct wfdiff_line {
	enum wfdiff_kind kind;
	char *text;
	size_t old_line, new_line;
};

/*
 * A hunk: the header's numbers (a start is the line before when its count
 * is 0, as in diff -u) and where its lines are in wfdiff.lines: line is
 * the index of its header, lines_nr its lines kept (header included),
 * fewer than the hunk has when max_lines cut it.
 */
struct wfdiff_hunk {
	size_t old_start, old_nr, new_start, new_nr;
	size_t line, lines_nr;
};

struct wfdiff_opts {
	int context;		/* lines around a change; < 0: 3 */
	size_t max_lines;	/* diff lines kept, headers counted; 0: all */
};

#define WFDIFF_OPTS_INIT { 3, 0 }

/*
 * The comparison. Step lists hold step names in the order they appear:
 * added and changed (same name, other content) in the new text's order,
 * removed in the old's; moved are the steps in both whose order among
 * the others changed (those outside a longest common order), in the new
 * text's order. A step's name is its "id" when that is a string, else
 * "#N", N its position (from 1) in its sequence. A step inside another
 * (a "steps" sequence within a step, at any depth) is named
 * "PARENT/CHILD", or "PARENT/PATH/CHILD" when the sequence is deeper than
 * the step's own "steps" key, PATH its keys and indexes joined by '/'
 * ("check/branches/0/notify"). A step counts as changed only when it
 * changes outside its inner steps. Where two steps have one name, the
 * first is matched.
 *
 * top_changed: the top-level keys other than "steps" whose values differ
 * (added, removed or changed), by strcmp; all of them for an import. When
 * a text's top level is not a mapping, the whole text is one key "" and
 * its steps none.
 *
 * The diff: lines of every hunk, of the shortest diff there is (Myers);
 * unless finding it would take more than a second or so (tens of
 * thousands of changed lines interleaved with unchanged ones), then of a
 * right but longer one. cut is how many more lines the diff has
 * beyond lines_nr (0 when whole); plus and minus count its '+' and '-'
 * lines before the cut. old_text and new_text are the normalised texts
 * ("" for an absent side).
 *
 * Everything is owned by the struct; wfdiff_release frees it.
 */
struct wfdiff {
	char **added, **removed, **changed, **moved;
	size_t added_nr, removed_nr, changed_nr, moved_nr;
	char **top_changed;
	size_t top_changed_nr;
	struct wfdiff_hunk *hunks;
	size_t hunks_nr;
	struct wfdiff_line *lines;
	size_t lines_nr;
	size_t cut;
	size_t plus, minus;
	char *old_text, *new_text;
};

/*
 * Compare old_yaml (NULL or old_len 0: absent, an import: everything is
 * added) with new_yaml (NULL or new_len 0: absent, everything removed).
 * opts may be NULL for WFDIFF_OPTS_INIT. The names say where each text
 * came from in messages. Fills *out (which need not be initialised) and
 * returns 0; or returns -1 with a message in err as wfdiff_normalise
 * gives, *out then empty (wfdiff_release may still be called).
 */
int wfdiff_compute(const char *old_name, const char *old_yaml,
		   size_t old_len, const char *new_name, const char *new_yaml,
		   size_t new_len, const struct wfdiff_opts *opts,
		   struct wfdiff *out, struct buf *err);
void wfdiff_release(struct wfdiff *d);

/* 1 when nothing differs: no diff line and no step or top-level change. */
int wfdiff_empty(const struct wfdiff *d);

/*
 * Append the unified diff as text, a line each with its prefix (' ', '-',
 * '+'; hunk headers as they are), then "… N more lines" when cut. colour:
 * ANSI red for '-', green for '+', cyan for headers.
 */
void wfdiff_render_text(const struct wfdiff *d, int colour, struct buf *out);

/*
 * The same inside a Markdown ```diff fence (no colour); the trailer
 * follows the fence. Every diff line starts with ' ', '-', '+' or "@@",
 * so none can close the fence.
 */
void wfdiff_render_markdown(const struct wfdiff *d, struct buf *out);

/*
 * Everything as JSON, a new reference: {"summary", "steps": {"added",
 * "removed", "changed", "moved"}, "top_changed", "plus", "minus", "cut",
 * "hunks": [{"old_start", "old_lines", "new_start", "new_lines",
 * "lines": [{"kind": "context" | "removed" | "added", "text"}]}]}, the
 * hunks and lines those kept.
 */
json_t *wfdiff_json(const struct wfdiff *d);

/*
 * Append one line without newline: "steps: 1 added (x), 1 changed
 * (notify); trigger changed"; for an import (no old text) "all new; "
 * and the steps, not the top-level keys; "steps changed" when only the
 * diff shows it (items of "steps" that are not mappings); or "no
 * change". Lists of more than five names end "and N more".
 */
void wfdiff_summary_text(const struct wfdiff *d, struct buf *out);

#endif
