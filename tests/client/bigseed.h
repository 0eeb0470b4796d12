#ifndef TORQ_TESTS_BIGSEED_H
#define TORQ_TESTS_BIGSEED_H

#include "torq/buf.h"
#include "torq/client.h"

/*
 * Fill the workspace of session s with users (invited, on top of the
 * seeded owner), integrations, step runners and workflows, through the
 * API, all at once. Names: user0000@example.com, int-000, runner-0,
 * wf-000. Returns 0, or -1 with the failures in err.
 */
struct bigseed {
	unsigned users, integrations, runners, workflows;
};

int bigseed_run(struct client *c, struct session *s,
		const struct bigseed *b, struct buf *err);

/* The import body of a workflow called name with that trigger type. */
json_t *bigseed_workflow(const char *name, const char *trigger);

#endif
