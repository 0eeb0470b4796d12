#ifndef TORQ_READER_H
#define TORQ_READER_H

#include <stddef.h>

#include "torq/buf.h"
#include "torq/client.h"
#include "torq/model.h"

/*
 * The live-state reader: everything a plan needs to know about one
 * workspace, read through the client with list calls only (every page,
 * all kinds at once), into the same struct model the manifest gives. Role
 * ids become role names, claim mappings are ordered by rank, and the
 * lists are in model_sort order.
 *
 * The one per-object read: a workflow's YAML is not in the list, so for
 * each workflow named in `contents` (or every workflow with
 * all_contents) the reader fetches its current revision, one request
 * each.
 */
struct reader_options {
	unsigned kinds;			/* enum model_kind; 0 means MODEL_ALL */
	const char *const *contents;	/* workflow names whose YAML is needed */
	size_t contents_nr;
	int all_contents;
	/*
	 * Optional: returns 1 when the YAML of workflow `name` at revision
	 * `revision` is known already (its digest was recorded): it is then
	 * not read, and the workflow's content stays NULL.
	 */
	int (*known)(void *ctx, const char *name, const char *revision);
	void *known_ctx;
	unsigned page_size;		/* 0: 100, the API's maximum */
};

/*
 * Read the workspace behind session s into out (initialised by the
 * caller). Returns 0, or -1 with every failed call's message in err (one
 * per line); out then holds what was read and must still be released.
 */
int reader_read(struct client *c, struct session *s,
		const struct reader_options *o, struct model *out,
		struct buf *err);

/*
 * The YAML of the live workflows of m named in names whose content was
 * not read (a revision known already): one request each, side by side.
 * What a plan shows the diff of. Returns 0, or -1 with every failed
 * call's message in err.
 */
int reader_contents(struct client *c, struct session *s, struct model *m,
		    const char *const *names, size_t nr, struct buf *err);

/*
 * The organisation's workspaces as seen by the key of s (GET /workspaces,
 * every page), with their usage counters and owners, sorted by name.
 * *out is an array of *nr entries, each released with
 * model_workspace_release, then freed. Returns 0, or -1 with a message.
 */
int reader_workspaces(struct client *c, struct session *s,
		      struct model_workspace **out, size_t *nr,
		      struct buf *err);

#endif
