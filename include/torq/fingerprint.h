#ifndef TORQ_FINGERPRINT_H
#define TORQ_FINGERPRINT_H

#include <jansson.h>

#include "torq/buf.h"
#include "torq/doc.h"

/*
 * Integration parameters hold credentials and the Torq API never returns
 * them, so torq-apply tells a change by a salted hash of what it last set,
 * kept beside the manifest. The hash is keyed by a random salt kept in
 * that file, so a fingerprint seen elsewhere (a saved plan, a log) cannot
 * be used to test guesses of a secret, and the same secret in two
 * directories gives two fingerprints.
 */

#define FINGERPRINT_HEX_LEN 64

/*
 * The fingerprint of params: HMAC-SHA256, keyed by the 32 bytes the salt's
 * 64 hex digits stand for, of params as canonical JSON (sorted keys,
 * compact) with every secret node of doc replaced by its value. out gets
 * 64 lower-case hex digits and a NUL. Returns 0, or -1 with a message in
 * err when the salt is not 64 hex digits or a secret has no value (one
 * left unresolved when the manifest was loaded with
 * RESOLVE_SECRETS_OPTIONAL: a string that is not a secret yet still holds
 * "${secret:...}", which the tree cannot tell from a literal written
 * "$${secret:...}"); the message names the reference, never a value. The
 * canonical text is wiped before it is freed.
 */
int fingerprint_params(const struct doc *doc, const json_t *params,
		       const char *salt_hex, char out[FINGERPRINT_HEX_LEN + 1],
		       struct buf *err);

/* 1 when a string anywhere in params is a secret, resolved or not. */
int fingerprint_has_secret(const struct doc *doc, const json_t *params);

/*
 * What torq-apply last set, in <dir>/.torq-apply/state.json (mode 0600, in
 * a directory of mode 0700):
 *   {"format_version": 1, "salt": "<64 hex>",
 *    "workspaces": {"<workspace>": {
 *        "integrations": {"<integration>": "<fingerprint>"},
 *        "workflows": {"<workflow>": {"revision": "<id>",
 *                                     "digest": "<wfyaml digest>"}}}}}
 * Names are the workspace's, the integrations' and the workflows' names
 * as the manifest gives them; both parts are optional. The workflows part
 * is a cache: a revision never changes, so the digest of its YAML, once
 * read, spares reading it again while the workflow stays at that revision.
 * The file holds no secret.
 */
struct fingerprint_store {
	char *path;			/* the state file */
	char salt[FINGERPRINT_HEX_LEN + 1];
	json_t *root;			/* the whole file, as above */
	int dirty;			/* changed since open or save */
};

#define FINGERPRINT_FORMAT_VERSION 1
#define FINGERPRINT_MAX_FILE (64u << 20)

/*
 * Read the state file of dir (the manifest's directory). When there is
 * none, start empty with a fresh salt from /dev/urandom; nothing is
 * written until fingerprint_store_save. Refuses a file that is not valid
 * JSON of the form above or has another format_version, with a message
 * naming it. Returns 0, or -1 with a message in err and nothing left to
 * release (releasing it again does no harm).
 */
int fingerprint_store_open(struct fingerprint_store *s, const char *dir,
			   struct buf *err);

/*
 * Recorded for an integration whose parameters torq-apply cannot vouch
 * for: it was in the workspace when the state file first met the
 * workspace (a fresh CI runner, an adopted workspace). Plans note it as
 * not verifiable instead of guessing a change; setting the parameters
 * (--strict-secrets, --rotate-secrets) replaces it with a fingerprint.
 * An integration with no record at all in a workspace the state knows
 * was made by a run that died before recording: it is set again.
 */
#define FINGERPRINT_UNVERIFIED "unverified"

/* 1 when the state holds anything of the workspace. */
int fingerprint_store_knows(const struct fingerprint_store *s,
			    const char *workspace);

/*
 * The fingerprint recorded for an integration of a workspace, or NULL.
 * Borrowed: valid until the same entry is set again or the store is
 * released.
 */
const char *fingerprint_store_get(const struct fingerprint_store *s,
				  const char *workspace,
				  const char *integration);

/*
 * Record fp (copied) for an integration of a workspace; NULL forgets it
 * (and the workspace, when it was its last). Marks the store dirty when
 * that changes anything.
 */
void fingerprint_store_set(struct fingerprint_store *s, const char *workspace,
			   const char *integration, const char *fp);

/*
 * The digest recorded for a workflow of a workspace at revision, or NULL
 * when none is (or one for another revision). Borrowed, as above.
 */
const char *fingerprint_store_get_revision(const struct fingerprint_store *s,
					   const char *workspace,
					   const char *workflow,
					   const char *revision);

/*
 * Record the digest of a workflow's YAML at revision (both copied); NULL
 * for either forgets the workflow. Marks the store dirty when that
 * changes anything.
 */
void fingerprint_store_set_revision(struct fingerprint_store *s,
				   const char *workspace, const char *workflow,
				   const char *revision, const char *digest);

/*
 * Write the state file when it changed: atomically (a temporary file in
 * the same directory, created 0600, synced, renamed over the old one),
 * creating the .torq-apply directory 0700 when missing. Returns 0, or -1
 * with a message in err (the old file, if any, is left as it was).
 */
int fingerprint_store_save(struct fingerprint_store *s, struct buf *err);

/* Free everything. Accepts a store that failed to open, or NULL. */
void fingerprint_store_release(struct fingerprint_store *s);

#endif
