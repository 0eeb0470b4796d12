#ifndef TORQ_FLEET_H
#define TORQ_FLEET_H

#include <stddef.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/connect.h"
#include "torq/diag.h"
#include "torq/doc.h"
#include "torq/lock.h"
#include "torq/resolve.h"

/*
 * MSP fleets (DESIGN.md section 4): one template manifest, many clients,
 * each with its variables and its key file.
 *
 *   version: 1
 *   template: ../templates/soc.yaml
 *   clients:
 *     - { name: acme, vars: { client: acme }, credentials: secrets/acme.json }
 *
 * A client whose key file exists is planned against that workspace; one
 * whose file does not exist yet gets its workspace created with the
 * organisation key, and the new key is written to that file (0600).
 */

struct fleet_client {
	char *name;
	struct varset vars;
	char *credentials;		/* usable from the current directory */
	const struct mark *mark;
};

struct fleet {
	struct doc doc;
	char *path;
	char *dir;			/* the fleet file's directory */
	char *template_path;		/* usable from the current directory */
	struct fleet_client *clients;
	size_t nr, alloc;
};

/*
 * Read and check a fleet file. Its template must be a .yaml or .yml file
 * in the fleet file's tree unless resolve_flags has
 * RESOLVE_EXTENDS_ANYWHERE (resolve_template_allowed). Returns 0, or -1
 * with errors in diags.
 */
int fleet_load(struct fleet *f, const char *path, unsigned resolve_flags,
	       struct diag_list *diags);
void fleet_release(struct fleet *f);

/* "K/N" with 0 <= K < N (a Kubernetes Indexed Job's index). */
int fleet_parse_shard(const char *arg, unsigned *k, unsigned *n,
		      struct buf *err);
/* 1 when client name falls in shard k of n (by a hash of the name). */
int fleet_in_shard(const char *name, unsigned k, unsigned n);

enum fleet_status {
	FLEET_OK,			/* nothing to change */
	FLEET_CHANGES,			/* plan: there are changes */
	FLEET_APPLIED,			/* apply: changes made */
	FLEET_FAILED,
};

struct fleet_result {
	const struct fleet_client *client;
	enum fleet_status status;
	char *workspace;
	size_t add, change, destroy;
	/*
	 * The workspace's step runners, and how many were seen in the last
	 * day (last_seen_time); -1 when the template manages no runners.
	 */
	long runners, runners_seen;
	double seconds;
	char *error;			/* why it failed, or NULL */
	struct buf output;		/* the plan, and apply's step lines */
};

/* Clients at once unless told: a fleet's speed grows with it to here. */
#define FLEET_DEFAULT_PARALLEL 64

struct fleet_options {
	int apply;
	const struct connect_options *co;	/* co->pool shared by all */
	const struct varset *vars;		/* --var: under each client's */
	unsigned resolve_flags;			/* RESOLVE_EXTENDS_ANYWHERE */
	int prune, rotate_secrets, force;
	int dedupe;			/* plan.h: delete identical copies */
	int strict_secrets;		/* prepare.h */
	long max_destroy;		/* brake.h; -1: the template's */
	int allow_destroy;
	unsigned parallel;			/* clients at once */
	/* step runners to delete and create again in every client (plan.h) */
	const char *const *replace_runners;
	size_t replace_runners_nr;
	/* --target (target.h): in every client, only these objects */
	const struct target *targets;
	size_t targets_nr;
	/* apply: each client's lock (prepare.h), waited for this long */
	double lock_timeout;
	double secret_timeout;		/* prepare.h; 0: the default */
	void (*lock_wait)(void *ctx, const char *workspace, const char *path,
			  const struct lock_holder *h);
};

/*
 * Plan (or apply) the clients at the given indexes, parallel at once,
 * each in its own thread with its own API client. One client's failure
 * never stops the others. results has nr entries, in the given order.
 * Returns the number of clients that failed.
 */
size_t fleet_run(const struct fleet *f, const size_t *which, size_t nr,
		 const struct fleet_options *o, struct fleet_result *results);
void fleet_result_release(struct fleet_result *r);

const char *fleet_status_name(enum fleet_status s);

/*
 * The JSON summary (docs: README "Fleets"): one entry per client and the
 * totals. shard_n 0 means no sharding. Returns a new reference.
 */
json_t *fleet_summary_json(const char *command, const char *fleet_path,
			   unsigned shard_k, unsigned shard_n,
			   const struct fleet_result *r, size_t nr);
/*
 * Merge summaries (several shards' --json outputs) into one: clients
 * concatenated and sorted by name, totals recomputed. Returns a new
 * reference, or NULL with a message.
 */
json_t *fleet_summary_merge(json_t *const *parts, size_t nr, struct buf *err);
/* The summary as a table, one row per client, then a totals line. */
void fleet_summary_text(const json_t *summary, struct buf *out);

#endif
