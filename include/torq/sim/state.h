#ifndef TORQ_SIM_STATE_H
#define TORQ_SIM_STATE_H

#include <pthread.h>
#include <jansson.h>

#include "torq/buf.h"
#include "torq/sim/util.h"

/*
 * The emulator's model: one organisation, its workspaces and everything in
 * them, and the issued tokens. It is a jansson tree whose shape is also the
 * --state file format (docs/internals/sim.md), so saving and loading are a
 * dump and a parse. One mutex guards all of it: every function below except
 * init, release and the pure helpers expects the caller to hold it, and
 * every json_t returned is borrowed from the tree and valid only while the
 * lock is held and the tree is not changed.
 */
/*
 * The positions of the elements of one array that one filter keeps, kept
 * between requests so that a page of a filtered list does not rescan the
 * whole array. Valid while the state's generation has not moved on.
 */
struct sim_pick {
	const json_t *list;	/* borrowed: the array, NULL when unused */
	char *key;		/* owned: the filter, e.g. "sso_provision=1" */
	unsigned long generation;
	size_t *pos;		/* owned: positions in list, in order */
	size_t nr, alloc;
};

#define SIM_PICKS 16

struct sim_state {
	pthread_mutex_t lock;
	json_t *root;		/* owned: the live state */
	json_t *seed;		/* owned: what a reset returns to */
	char *path;		/* owned: --state FILE, or NULL */
	struct sim_rng rng;	/* ids and secrets */
	/*
	 * Moves on before anything may change the tree (every request but a
	 * GET, a reset), so that what is derived from the tree can be kept
	 * exactly as long as it is right.
	 */
	unsigned long generation;
	struct sim_pick picks[SIM_PICKS];
	unsigned picks_next;	/* the slot to reuse next */
};

/*
 * Load the seed (seed_path, or the default fixture) and, when state_path
 * names an existing file, the state from it; otherwise start from the seed
 * (and save it when state_path is set). Returns 0, or -1 with err set.
 */
int sim_state_init(struct sim_state *st, const char *seed_path,
		   const char *state_path, struct buf *err);
/* Free everything. Accepts NULL. */
void sim_state_release(struct sim_state *st);

void sim_state_lock(struct sim_state *st);
void sim_state_unlock(struct sim_state *st);

/*
 * Say that the tree may be about to change: forgets everything derived
 * from it (the picks). Call it, holding the lock, before any change.
 */
void sim_state_touch(struct sim_state *st);

/*
 * The positions in list (an array of the tree) of the elements for which
 * match(element, arg) is true, in order, and their number in *nr. key
 * names the filter (list and key together must decide the answer). The
 * answer is kept until the next sim_state_touch, so asking again costs
 * nothing; it is borrowed and valid until then.
 */
const size_t *sim_state_pick(struct sim_state *st, const json_t *list,
			     const char *key,
			     int (*match)(const json_t *elem, const void *arg),
			     const void *arg, size_t *nr);

/*
 * Write the state to its file atomically (temporary file, fsync, rename).
 * A no-op without --state. Returns 0, or -1 with err set.
 */
int sim_state_save(struct sim_state *st, struct buf *err);
/* Back to the seed (same ids as at start), then save. */
int sim_state_reset(struct sim_state *st, struct buf *err);

/*
 * Fill in what a fixture may leave out (ids, times, preset roles, role
 * names for ids, workflow revisions from "yaml") and check what it may
 * not. root is changed in place. Returns 0, or -1 with err set.
 */
int sim_state_normalize(struct sim_state *st, json_t *root, struct buf *err);

/* A fresh UUID. */
void sim_state_id(struct sim_state *st, char out[SIM_UUID_LEN + 1]);

json_t *sim_state_org(struct sim_state *st);
json_t *sim_state_workspaces(struct sim_state *st);
json_t *sim_state_workspace(struct sim_state *st, const char *id);

/* The string field of obj, or NULL when absent or not a string. */
const char *sim_get(const json_t *obj, const char *field);
/* The first element of array arr whose field equals value (or NULL). */
json_t *sim_find(const json_t *arr, const char *field, const char *value);
/* The same, compared case-insensitively. */
json_t *sim_find_ci(const json_t *arr, const char *field, const char *value);
/* The index of the element with field == value, or -1. */
long sim_find_index(const json_t *arr, const char *field, const char *value);

/*
 * The workspace owning API key client_id:secret (and the key in *key), or
 * NULL when no key matches.
 */
json_t *sim_state_by_key(struct sim_state *st, const char *client_id,
			 const char *secret, json_t **key);

/*
 * A new workspace named name, with the preset roles, owner_email as its
 * Owner and a new API key (in *key). Not checked for duplicates.
 */
json_t *sim_state_add_workspace(struct sim_state *st, const char *name,
				const char *owner_email, json_t **key);

/* Issue a token for key of ws, valid for ttl seconds. */
void sim_state_issue_token(struct sim_state *st, json_t *ws, json_t *key,
			   long ttl, char out[SIM_UUID_LEN + 1]);

enum sim_token_status {
	SIM_TOKEN_OK,
	SIM_TOKEN_UNKNOWN,
	SIM_TOKEN_EXPIRED,
};

/* Look token up; on SIM_TOKEN_OK *ws and *key are set. */
enum sim_token_status sim_state_token(struct sim_state *st,
				      const char *token, json_t **ws,
				      json_t **key);
/* Make token expired at once (the expire_token fault). */
void sim_state_expire_token(struct sim_state *st, const char *token);

/* The role of ws with that name (case-insensitive), or NULL. */
json_t *sim_role_by_name(json_t *ws, const char *name);
/* The name of the role with that id, or NULL. */
const char *sim_role_name(json_t *ws, const char *role_id);
/* The role name of the user who owns key, or NULL. */
const char *sim_key_role(json_t *ws, json_t *key);

/*
 * The Organization Management metrics of ws (docs/sim-api.md) as a new
 * object: workflows_usage, nested_usage, editors_usage,
 * cases_operators_usage, runners_usage (integers) and owners_emails
 * (sorted array).
 */
json_t *sim_workspace_metrics(json_t *ws);

/*
 * What the emulator reads from workflow YAML: a new object with "name"
 * (when the YAML has one), "trigger" (default on_demand) and "nested" (the
 * names of the workflows its nested steps call). Returns 0, or -1 with err
 * set when the YAML does not parse or is not a mapping.
 */
int sim_workflow_analyze(const char *yaml, json_t **info, struct buf *err);

/* A new workflow of ws with one revision; returns it (borrowed). */
json_t *sim_workflow_add(struct sim_state *st, json_t *ws, const char *name,
			 const char *yaml, json_t *info);
/* A new current revision of wf; returns it (borrowed). */
json_t *sim_workflow_add_revision(struct sim_state *st, json_t *wf,
				  const char *yaml, json_t *info);
/* The published revision of wf, or NULL. */
json_t *sim_workflow_published(json_t *wf);

#endif
