#ifndef TORQ_MODEL_H
#define TORQ_MODEL_H

#include <stddef.h>

#include <jansson.h>

#include "torq/diag.h"

/*
 * The typed state of one workspace, the same for both sides of a plan:
 * the desired state (desired.c, from a resolved manifest) and the live
 * state (reader.c, from the API). The planner compares the two field by
 * field, so both sides speak in names, never in ids: roles are role
 * names, claim mappings are ordered by rank, tags are sorted names.
 *
 * Fields marked "live" are only filled by the reader; fields marked
 * "desired" only from a manifest. Every string is owned by the model
 * (allocated with xstrdup) and may be NULL when unknown or not set.
 * mark is borrowed from the struct doc the manifest came from and is NULL
 * on the live side.
 */

enum model_user_status {
	MODEL_USER_UNKNOWN = 0,
	MODEL_USER_INVITED,	/* INVITATION_SENT: pending, counts as present */
	MODEL_USER_VERIFIED,
};

struct model_role {
	char *id;
	char *name;
	int is_custom;
};

struct model_user {
	char *id;			/* live */
	char *email;
	char *role;			/* role name; live: NULL if the id is unknown */
	char *role_id;			/* live */
	enum model_user_status status;	/* live */
	int sso;			/* live: provisioned through SSO */
	const struct mark *mark;	/* desired */
};

struct model_claim_mapping {
	char *id;			/* live */
	char *claim;
	char *value;
	char *role;			/* role name; live: NULL if the id is unknown */
	char *role_id;			/* live */
	long rank;			/* live: 1..n; desired: position in the list, 1..n */
	const struct mark *mark;
};

struct model_integration {
	char *id;			/* live */
	char *name;			/* the display name, the identity */
	char *vendor;			/* type_id */
	char *created_at;		/* live: RFC 3339, or NULL */
	/*
	 * A salted hash of the parameters (secrets resolved): desired, of
	 * the manifest's; live, the one torq-apply recorded when it last set
	 * them (NULL: unknown). The API never returns parameters.
	 */
	char *fingerprint;
	int has_secret;			/* desired: a parameter is a secret */
	/*
	 * live: shared into this workspace by another (sharing_data
	 * direction incoming): usable here, changed only there
	 */
	int shared_in;
	/* desired: a new reference into the doc; may hold secret nodes */
	json_t *parameters;
	const struct mark *mark;
};

struct model_runner {
	char *id;			/* live */
	char *name;			/* the display name, the identity */
	char *platform;			/* "kubernetes" | "docker" */
	char *created_at;		/* live: created_time, RFC 3339 */
	char *last_seen;		/* live: last_seen_time, or NULL: never */
	int allow_cluster_management;
	/* desired: a path usable from the current directory */
	char *install_commands_out;
	/*
	 * live: why its install command reached no file (the journal holds
	 * a creation whose file was never written), or NULL
	 */
	char *undelivered;
	const struct mark *mark;
};

struct model_workflow {
	char *id;			/* live */
	char *name;
	char *current_revision_id;	/* live */
	char *published_revision_id;	/* live */
	char *trigger;			/* live, when served */
	char *created_at;		/* live: RFC 3339, or NULL */
	int published;			/* live: published_revision_id == current_revision_id;
					   desired: the manifest's publish (default 0) */
	char **tags;			/* sorted, no duplicates */
	size_t tags_nr, tags_alloc;
	int tags_set;			/* desired: the manifest says tags (even []) */
	int from_source;		/* desired: from: source */
	char *file;			/* desired: path of the workflow YAML file */
	char *content;			/* the YAML: live, the current revision's when
					   read; desired, the file's or the source's */
	char *content_digest;		/* of the YAML's meaning (wfyaml.h), or NULL */
	char **nested;			/* desired: workflows it calls, sorted */
	size_t nested_nr, nested_alloc;
	const struct mark *mark;
};

/* Which kinds a state covers: the manifest's keys, or what was read. */
enum model_kind {
	MODEL_ROLES		= 1 << 0,
	MODEL_USERS		= 1 << 1,
	MODEL_CLAIM_MAPPINGS	= 1 << 2,
	MODEL_INTEGRATIONS	= 1 << 3,
	MODEL_RUNNERS		= 1 << 4,
	MODEL_WORKFLOWS		= 1 << 5,
	MODEL_ALL		= (1 << 6) - 1,
};

struct model_workspace {
	char *id;			/* live */
	char *name;
	int create;			/* desired */
	int copy_sso;			/* desired */
	char *credentials;		/* desired: key file of the existing workspace */
	/* desired: where to write a created workspace's key */
	char *credentials_out;
	/* live, from the workspaces list (organisation view) */
	long workflows_usage, nested_usage, editors_usage;
	long cases_operators_usage, runners_usage;
	char **owners;
	size_t owners_nr, owners_alloc;
};

struct model {
	unsigned kinds;			/* enum model_kind: what this state covers */
	struct model_workspace workspace;
	char *source_credentials;	/* desired: source.credentials */
	int copy_claims_from_source;	/* desired */
	int prune;			/* desired: policy.prune */
	long max_destroy;		/* desired: policy.max_destroy, */
	int has_max_destroy;		/* when this is set */

	struct model_role *roles;
	size_t roles_nr, roles_alloc;
	struct model_user *users;
	size_t users_nr, users_alloc;
	struct model_claim_mapping *claim_mappings;
	size_t claim_mappings_nr, claim_mappings_alloc;
	struct model_integration *integrations;
	size_t integrations_nr, integrations_alloc;
	struct model_runner *runners;
	size_t runners_nr, runners_alloc;
	struct model_workflow *workflows;
	size_t workflows_nr, workflows_alloc;
};

void model_init(struct model *m);
/* Free everything the model owns. Accepts NULL. */
void model_release(struct model *m);

/* Append a zeroed element and return it (valid until the next append). */
struct model_role *model_add_role(struct model *m);
struct model_user *model_add_user(struct model *m);
struct model_claim_mapping *model_add_claim_mapping(struct model *m);
struct model_integration *model_add_integration(struct model *m);
struct model_runner *model_add_runner(struct model *m);
struct model_workflow *model_add_workflow(struct model *m);

/* Add tag to wf, keeping the list sorted; a duplicate is ignored. */
void model_workflow_add_tag(struct model_workflow *wf, const char *tag);
void model_workspace_release(struct model_workspace *ws);

/*
 * Put every list in its canonical order: roles, integrations, runners and
 * workflows by name, users by e-mail (case-insensitively), claim mappings
 * by rank. Two models holding the same state then compare equal item by
 * item.
 */
void model_sort(struct model *m);

/* The role of that name (case-insensitively), or NULL. Borrowed. */
const struct model_role *model_role_by_name(const struct model *m,
					    const char *name);
/* The role with that id, or NULL. Borrowed. */
const struct model_role *model_role_by_id(const struct model *m,
					  const char *id);

/*
 * The model as JSON, for tests and debugging: one key per kind, each a
 * list in the model's current order, ids included, parameters replaced by
 * SENSITIVE. Returns a new reference.
 */
json_t *model_to_json(const struct model *m);

#endif
