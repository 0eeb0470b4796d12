#ifndef TORQ_APPLY_H
#define TORQ_APPLY_H

#include <signal.h>
#include <stddef.h>

#include "torq/client.h"
#include "torq/doc.h"
#include "torq/fingerprint.h"
#include "torq/journal.h"
#include "torq/model.h"
#include "torq/plan.h"

/*
 * The executor: runs a plan's steps against the API in dependency order,
 * as many at once as the client allows, each step re-checking through the
 * API when a mutation's outcome is unknown or refused as a duplicate, so
 * that a crash, a timeout or a concurrent change never leaves duplicates.
 * A failed step fails its dependents (skipped, with the reason); the
 * independent ones still run. See docs/internals/apply.md.
 */

enum apply_status {
	APPLY_PENDING,
	APPLY_RUNNING,
	APPLY_DONE,
	APPLY_FAILED,
	APPLY_SKIPPED,
};

/* What the progress callback hears: a step started or ended. */
struct apply_event {
	size_t index;
	const struct plan_step *step;
	enum apply_status status;
	const char *message;		/* why it failed or was skipped, a note, or NULL */
	double seconds;			/* from start to end */
	/* in requests; the rest of seconds waited (slots, limiter, backoff) */
	double request_seconds;
};

struct apply_env {
	struct client *client;
	struct session *org;		/* creates the workspace; NULL if not needed */
	struct session *target;		/* NULL until the workspace exists */
	const struct doc *doc;		/* the manifest: where secret values live */
	const struct model *desired;	/* with contents and fingerprints filled */
	const struct model *live;	/* the target as read (its roles), or NULL */
	struct fingerprint_store *store;	/* records parameter fingerprints */
	struct journal *journal;	/* or NULL */
	int force;			/* replace an existing credentials_out */
	/*
	 * Set (by a signal handler) to start no more steps: those running
	 * finish, the others end skipped. NULL: never.
	 */
	const volatile sig_atomic_t *stop;
	void (*progress)(void *ctx, const struct apply_event *ev);
	void *progress_ctx;
};

struct apply_result {
	size_t done, failed, skipped;
	char **files;			/* written: the key file, install commands */
	size_t files_nr, files_alloc;
	struct session *created;	/* the new workspace's session, or NULL */
	int key_lost;			/* the workspace was created, its key lost */
};

/*
 * Run every step of p. Returns 0 when all are done, -1 when some failed
 * or were skipped (each reported through progress), -2 when the client
 * itself broke down (err says why).
 */
int apply_run(struct apply_env *env, const struct plan *p,
	      struct apply_result *res, struct buf *err);
void apply_result_release(struct apply_result *r);

const char *apply_status_name(enum apply_status s);

#endif
