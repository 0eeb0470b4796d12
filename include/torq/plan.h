#ifndef TORQ_PLAN_H
#define TORQ_PLAN_H

#include <stddef.h>

#include "torq/diag.h"
#include "torq/model.h"

struct target;
struct wfdiff;

/* Diff lines a workflow's diff keeps in a plan; the rest are counted. */
#define PLAN_DIFF_LINES 120

/*
 * The planner: desired state + live state -> the ordered, idempotent
 * steps that make the live workspace match. A pure function: no I/O, no
 * clock, no randomness; the same inputs give the same plan, byte for byte
 * once rendered. See docs/internals/plan.md.
 *
 * Identity (DESIGN.md): users by e-mail (case-insensitively), claim
 * mappings by claim and value, integrations, runners and workflows by
 * name, tags by name. Roles compare by name, case-insensitively.
 */

enum plan_action {
	PLAN_CREATE,		/* "+" */
	PLAN_UPDATE,		/* "~" */
	PLAN_DELETE,		/* "-" */
};

enum plan_step_kind {
	STEP_CREATE_WORKSPACE,
	STEP_CREATE_CLAIM_MAPPING,
	STEP_UPDATE_CLAIM_MAPPING,	/* role and/or rank */
	STEP_DELETE_CLAIM_MAPPING,
	STEP_INVITE_USER,
	STEP_UPDATE_USER,		/* role */
	STEP_DELETE_USER,
	STEP_CREATE_INTEGRATION,
	STEP_UPDATE_INTEGRATION,	/* parameters */
	STEP_DELETE_INTEGRATION,
	STEP_CREATE_RUNNER,
	STEP_DELETE_RUNNER,
	STEP_IMPORT_WORKFLOW,
	STEP_UPDATE_WORKFLOW,		/* content */
	STEP_DELETE_WORKFLOW,
	STEP_PUBLISH_WORKFLOW,
	STEP_ADD_TAG,
	STEP_REMOVE_TAG,
	STEP_KIND_NR
};

/* The kinds of object, in the order plans group them. */
enum plan_resource {
	RES_WORKSPACE,
	RES_CLAIM_MAPPING,
	RES_USER,
	RES_INTEGRATION,
	RES_RUNNER,
	RES_WORKFLOW,
	RES_NR
};

/* One field's change; NULL before for a new object, NULL after for a gone one. */
struct plan_change {
	char *field;		/* "role", "rank", "parameters", "tags", "published" */
	char *before;
	char *after;
	int sensitive;		/* values are never shown: SENSITIVE instead */
};

struct plan_step {
	enum plan_step_kind kind;
	enum plan_action action;
	enum plan_resource resource;
	char *identity;		/* "alice@acme.example", "groups=soc", a name */
	char *id;		/* the live object's id, when it exists */
	char *detail;		/* the tag of a tag step, or NULL */
	struct plan_change *changes;
	size_t changes_nr, changes_alloc;
	size_t *deps;		/* indexes of steps that must finish first */
	size_t deps_nr, deps_alloc;
	long desired;		/* index in the desired model's list, or -1 */
	long live;		/* index in the live model's list, or -1 */
	long source;		/* index in the source model's workflows, or -1 */
	/*
	 * A delete of a newer identical copy of a managed object (--dedupe):
	 * what the manifest says lives on in the copy kept.
	 */
	int duplicate;
	/*
	 * An import or update of a workflow: what changes in it (the live
	 * revision's YAML against the file's or the source's), or NULL when
	 * a side's YAML was not read.
	 */
	struct wfdiff *diff;
	const struct mark *mark;	/* where the manifest says so, or NULL */
};

/* An object of a managed kind that the manifest does not name. */
struct plan_unmanaged {
	enum plan_resource resource;
	char *identity;
	char *why;		/* why it is kept even under prune, or NULL */
};

/*
 * Something wrong in the workspace that no step of this plan mends, with
 * the option that does: a step runner whose install command was lost,
 * managed objects held twice.
 */
struct plan_problem {
	enum plan_resource resource;
	char *identity;
	char *message;		/* "install command never delivered" */
	char *fix;		/* "--replace step_runner:acme-k8s", or NULL */
	char *fix_does;		/* "deletes it and makes it again, ...", or NULL */
};

/* Something worth knowing that needs no change: a runner not connected. */
struct plan_note {
	enum plan_resource resource;
	char *identity;
	char *message;		/* "never connected: run its install command" */
};

struct plan {
	char *workspace;		/* the workspace's name */
	int workspace_exists;
	int prune;			/* made with prune on */
	int dedupe;			/* made with --dedupe */
	struct plan_step *steps;	/* in an order that respects deps */
	size_t steps_nr, steps_alloc;
	struct plan_unmanaged *unmanaged;
	size_t unmanaged_nr, unmanaged_alloc;
	struct plan_problem *problems;
	size_t problems_nr, problems_alloc;
	struct plan_note *notes;
	size_t notes_nr, notes_alloc;
	/* per object, Terraform-style: created / changed / deleted / same */
	size_t to_add, to_change, to_destroy, unchanged;
	/* the same per kind of object (a replaced one adds and destroys) */
	struct plan_counts {
		size_t add, change, destroy;
	} by_kind[RES_NR];
	/*
	 * Made with --target: "workflow:Offboarding", ...; the plan holds
	 * those objects' steps and what they depend on, and nothing else
	 * was checked (no unmanaged objects are listed).
	 */
	char **targets;
	size_t targets_nr;
	/*
	 * Why apply would refuse this plan (the safety brake, brake.h), set
	 * by the caller before rendering; NULL: it would not.
	 */
	char *refused;
};

struct plan_input {
	const struct model *desired;	/* desired.c, with the I/O filled in (below) */
	const struct model *live;	/* the target as read; NULL when it does not exist */
	const struct model *source;	/* the source workspace as read, or NULL */
	int prune;			/* policy.prune or --prune */
	int rotate_secrets;		/* update every integration holding a secret */
	/*
	 * Step runners to delete and create again (apply --replace), by
	 * name: the way to a new install command. A name the manifest or
	 * the workspace lacks is ignored here (the command checks it).
	 */
	const char *const *replace_runners;
	size_t replace_runners_nr;
	/*
	 * Managed objects held more than once (two applies racing, a copy
	 * made by hand): plan against the oldest copy and delete the newer
	 * ones when they are identical to it (apply --dedupe); 0: show
	 * them as a problem. Copies that differ are an error either way.
	 * Live integrations', runners' and workflows' created_at tell the
	 * oldest; claim mappings keep the one ranked first.
	 */
	int dedupe;
	/* --target (target.h): plan only these objects; none: everything */
	const struct target *targets;
	size_t targets_nr;
	/*
	 * Seconds since 1970 when the plan is made, for "not seen for 3
	 * days" (the planner has no clock); 0: only "never connected".
	 */
	long long now;
	/*
	 * Filled by the caller before planning, as the planner does no I/O:
	 * - desired integrations' fingerprint: a salted hash of their
	 *   parameters (secrets resolved); live integrations' fingerprint: the
	 *   one recorded when torq-apply last set them (NULL: unknown, set
	 *   them; FINGERPRINT_UNVERIFIED: not verifiable, a note unless
	 *   rotate_secrets sets them);
	 * - has_secret on desired integrations;
	 * - desired workflows' content_digest (of the file, or of the source
	 *   workflow) and nested; live workflows' content_digest when read;
	 * - live runners' undelivered (from the journal).
	 */
};

void plan_init(struct plan *p);
void plan_release(struct plan *p);

/*
 * Make the plan. Problems that make a plan impossible (a role the
 * workspace does not have, a workflow missing from the source, two live
 * workflows with one name that differ, a type that cannot change) are errors in diags
 * at the manifest's place; the plan is then incomplete and must not be
 * applied. Returns 0, or -1 when diags got an error.
 */
int plan_make(const struct plan_input *in, struct plan *out,
	      struct diag_list *diags);

/* "create", "update", "delete"; "+", "~", "-". */
const char *plan_action_name(enum plan_action a);
const char *plan_action_sign(enum plan_action a);
/* "invite_user" ... as in the JSON format. */
const char *plan_step_kind_name(enum plan_step_kind k);
/* "user", "claim_mapping", ...; and "users", "claim mappings" for headings. */
const char *plan_resource_name(enum plan_resource r);
const char *plan_resource_title(enum plan_resource r);
/* "step runner", "claim mapping": the name in sentences. */
const char *plan_resource_label(enum plan_resource r);

/* 1 when the plan changes nothing. */
int plan_empty(const struct plan *p);

#endif
