#ifndef TORQ_PREPARE_H
#define TORQ_PREPARE_H

#include <signal.h>

#include "torq/connect.h"
#include "torq/credentials.h"
#include "torq/diag.h"
#include "torq/doc.h"
#include "torq/fingerprint.h"
#include "torq/lock.h"
#include "torq/model.h"
#include "torq/plan.h"
#include "torq/resolve.h"
#include "torq/secretcmd.h"
#include "torq/target.h"

/*
 * Everything between a manifest on disk and a plan in memory, shared by
 * plan and apply: load and check the manifest, pick the workspace and its
 * key, read the live state (and the source's), read workflow files,
 * compute digests and fingerprints, and run the planner. No printing:
 * the caller shows diags and err.
 */
/*
 * What the clients of one fleet run read alike, read once: the
 * organisation's workspace names (per organisation key), the source
 * workspace (per key file and workflow list) and the answers of
 * ${secret:cmd:...} commands (per command, secretcmd.h). Thread-safe; what
 * it holds lives until prepare_cache_free.
 */
struct prepare_cache;

struct prepare_cache *prepare_cache_new(void);
void prepare_cache_free(struct prepare_cache *c);

struct prepare_options {
	const char *manifest;
	const struct varset *vars;
	unsigned resolve_flags;		/* RESOLVE_EXTENDS_ANYWHERE */
	const struct connect_options *co;
	int prune;			/* --prune (policy.prune counts too) */
	int rotate_secrets;
	int dedupe;			/* plan.h: delete identical copies */
	/* set what fingerprint.h marks unverified, as never set */
	int strict_secrets;
	/*
	 * A fleet client's key file, replacing the manifest's: when it
	 * exists it is the workspace's key (workspace.credentials); when
	 * not, the workspace is created and its key written there
	 * (credentials_out). NULL: as the manifest says.
	 */
	const char *client_credentials;
	/* Where .torq-apply/ (fingerprints, journal) lives; NULL: beside the manifest. */
	const char *state_dir;
	struct prepare_cache *cache;	/* or NULL: read everything */
	/*
	 * Read the YAML of every workflow the manifest names, even at a
	 * revision whose digest state.json recorded (apply --confirm=full
	 * does, and records what it read). 0: read only new revisions.
	 */
	int fresh_contents;
	/*
	 * Read and plan only these kinds (enum model_kind) of what the
	 * manifest names; 0: all of them. apply's confirmation reads the
	 * kinds it changed.
	 */
	unsigned only_kinds;
	/* Step runners to delete and create again (plan.h), by name. */
	const char *const *replace_runners;
	size_t replace_runners_nr;
	/*
	 * --target (target.h): plan only these objects and what they depend
	 * on. A target naming nothing in the manifest or the workspace is an
	 * error (-1).
	 */
	const struct target *targets;
	size_t targets_nr;
	/* apply's confirmation: a target may name what the run deleted */
	int targets_checked;
	/*
	 * Hold the workspace's lock (lock.h) from before state.json and the
	 * live state are read until prepared_release: what writes does. A
	 * busy lock is waited for lock_timeout seconds (negative: for ever),
	 * lock_wait (may be NULL) hearing once who holds it; still busy, the
	 * plan fails (-1, err names the holder).
	 */
	int lock;
	/*
	 * The key's workspace was checked already by this run (apply's
	 * confirmation): do not read the organisation's list again.
	 */
	int key_checked;
	double lock_timeout;
	void (*lock_wait)(void *ctx, const char *workspace,
			  const char *path, const struct lock_holder *h);
	/*
	 * --secret-timeout: how long each ${secret:cmd:...} command may
	 * take, in seconds; 0: SECRETCMD_DEFAULT_TIMEOUT. The commands run
	 * (once per cache) while the workspace is read.
	 */
	double secret_timeout;
};

struct prepared {
	struct doc doc;
	struct diag_list diags;		/* the manifest's and the planner's */
	struct model desired;
	struct connection conn;
	struct credentials org_key;	/* --credentials or the environment */
	struct credentials target_key;
	struct credentials source_key;
	int have_org_key, have_target, have_source;
	/* where target_key came from (borrowed), NULL: the org key's */
	const char *target_path;
	struct model live, source;
	const struct model *source_view;	/* &source, or the cache's */
	int live_exists;		/* 1 read, -1 to be created */
	struct fingerprint_store store;
	int store_open;
	char dir[4096];			/* the manifest's directory */
	struct plan plan;
	char live_fingerprint[65];	/* of the live state read */
	struct lock lock;		/* held with prepare_options.lock */
	/* Set by a signal handler: start no more steps (apply.h). */
	const volatile sig_atomic_t *stop;
	/* the secret commands' answers, when prepare_options has no cache */
	struct secretcmd_cache *own_secrets;
};

/*
 * Make the plan. Returns 0; -1 with err set (reading or connecting
 * failed), -2 with errors in diags (the manifest, or the plan), or -4
 * with errors in diags when a ${secret:cmd:...} command failed (the
 * workspace may have been read; nothing was changed). out must be
 * released with prepared_release either way.
 */
int prepare_plan(const struct prepare_options *o, struct prepared *out,
		 struct buf *err);
void prepared_release(struct prepared *p);

/*
 * The safety brake (brake.h) on the plan made: max_destroy from the
 * command line (-1: none given) wins over the manifest's policy.
 * Returns 0, or -1 with why, the end of the message included.
 */
int prepared_brake(const struct prepared *pp, long max_destroy,
		   int allow_destroy, struct buf *why);

/*
 * Run the plan made by prepare_plan: the executor with this run's keys,
 * a journal in the state directory, and the fingerprints of what was set
 * saved even when some steps failed. progress (may be NULL) hears every
 * step. Returns apply_run's result (0, -1 some failed, -2 the client
 * broke down), or -3 when the journal or the state file could not be
 * written (err says which); res is filled either way.
 */
struct apply_event;
struct apply_result;
int prepared_apply(struct prepared *pp, int force,
		   void (*progress)(void *ctx, const struct apply_event *ev),
		   void *progress_ctx, struct apply_result *res,
		   struct buf *err);

/* The key of the target workspace, once it exists; NULL before. */
const struct credentials *prepared_target_key(const struct prepared *p);

/*
 * Save what the read taught state.json (the digests of workflow revisions
 * read, reader.h), for the commands that write: apply when there was
 * nothing to do, and its confirmation. A failure is only a warning, as
 * state.json is a cache for these. Returns 0, or -1 with a message.
 */
int prepared_save_state(struct prepared *p, struct buf *err);

#endif
