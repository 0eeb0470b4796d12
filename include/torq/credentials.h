#ifndef TORQ_CREDENTIALS_H
#define TORQ_CREDENTIALS_H

#include "torq/buf.h"

/*
 * A Torq API key: client id and secret. The secret is wiped when the
 * struct is released and never appears in a message.
 */
struct credentials {
	char *client_id;
	char *client_secret;
	/*
	 * The workspace the key was made for, as a key file torq-apply
	 * wrote records it (from the answer that created the workspace and
	 * its key); NULL when the file says nothing. Not secret.
	 */
	char *workspace_name;
	char *workspace_id;
};

#define CREDENTIALS_MAX_FILE (64 * 1024)

/*
 * Read a key file, JSON {"client_id": "...", "client_secret": "..."}
 * and, optionally, "workspace_name" and "workspace_id" (other keys
 * ignored). Refused unless it is a regular file that neither
 * group nor others can read or write (mode 0600 or stricter): a message
 * says which mode it has and how to fix it. Returns 0, or -1 with a
 * message naming the file in err.
 */
int credentials_read_file(const char *path, struct credentials *out,
			  struct buf *err);

/*
 * The key from TORQ_CLIENT_ID and TORQ_CLIENT_SECRET (pass getenv's
 * results). Returns 0 when both are set and not empty, 1 when neither is,
 * -1 with a message when only one is.
 */
int credentials_from_env(const char *id, const char *secret,
			 struct credentials *out, struct buf *err);

/*
 * Write a key file atomically (a temporary file in the same directory,
 * created 0600, then renamed), with the workspace's name and id when
 * set. Refuses an existing path unless force is set. Returns 0, or -1
 * with a message in err.
 */
int credentials_write_file(const char *path, const struct credentials *c,
			   int force, struct buf *err);

void credentials_release(struct credentials *c);

#endif
