#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "torq/atomicfile.h"
#include "torq/credentials.h"
#include "torq/utf8.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* Attempts at a fresh temporary name before giving up. */
#define TEMP_ATTEMPTS 100

static void free_secret(char *s)
{
	if (!s)
		return;
	secure_zero(s, strlen(s));
	free(s);
}

void credentials_release(struct credentials *c)
{
	if (!c)
		return;
	free(c->client_id);
	free_secret(c->client_secret);
	free(c->workspace_name);
	free(c->workspace_id);
	c->client_id = NULL;
	c->client_secret = NULL;
	c->workspace_name = NULL;
	c->workspace_id = NULL;
}

/*
 * Read all of fd into data (capacity cap), without growing: a realloc
 * would leave copies of the secret in freed memory. Returns the length,
 * cap + 1 when the file holds more than cap bytes, or -1 with errno.
 */
static ssize_t read_all(int fd, char *data, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len <= cap) {
		n = read(fd, data + len, cap + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

/* The string at key, or NULL with a message when it is missing or empty. */
static const char *get_field(json_t *root, const char *path, const char *key,
			     struct buf *err)
{
	json_t *v = json_object_get(root, key);

	if (!json_is_string(v) || !json_string_length(v)) {
		buf_addf(err, "credentials file '%s' has no '%s': it must "
			 "be a non-empty string", path, key);
		return NULL;
	}
	return json_string_value(v);
}

int credentials_read_file(const char *path, struct credentials *out,
			  struct buf *err)
{
	struct stat st;
	json_error_t jerr;
	json_t *root = NULL, *secret;
	char *data = NULL;
	const char *id, *sec;
	ssize_t len = 0;
	int fd = -1, i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		buf_addf(err, "cannot read credentials file '%s': %s", path,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_addf(err, "credentials file '%s' is not a regular file",
			 path);
		goto out;
	}
	if (st.st_mode & 077) {
		buf_addf(err, "credentials file '%s' has mode %04o; it holds a "
			 "secret, so it must not be %s by others: chmod 600 "
			 "'%s'", path, (unsigned)(st.st_mode & 07777),
			 st.st_mode & 044 ? "readable" :
			 st.st_mode & 022 ? "writable" : "accessible", path);
		goto out;
	}
	data = xmalloc(CREDENTIALS_MAX_FILE + 1);
	len = read_all(fd, data, CREDENTIALS_MAX_FILE);
	if (len < 0) {
		buf_addf(err, "cannot read credentials file '%s': %s", path,
			 strerror(errno));
		goto out;
	}
	if (len > CREDENTIALS_MAX_FILE) {
		buf_addf(err, "credentials file '%s' is larger than %d KiB",
			 path, CREDENTIALS_MAX_FILE / 1024);
		goto out;
	}
	/* jansson's own message can quote the text, the secret included. */
	root = json_loadb(data, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		buf_addf(err, "credentials file '%s' is not valid JSON (line "
			 "%d, column %d)", path, jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(root)) {
		buf_addf(err, "credentials file '%s' must hold a JSON object "
			 "with 'client_id' and 'client_secret'", path);
		goto out;
	}
	id = get_field(root, path, "client_id", err);
	sec = id ? get_field(root, path, "client_secret", err) : NULL;
	if (!sec)
		goto out;
	out->client_id = xstrdup(id);
	out->client_secret = xstrdup(sec);
	for (i = 0; i < 2; i++) {
		const char *k = i ? "workspace_id" : "workspace_name";
		json_t *v = json_object_get(root, k);
		char **to = i ? &out->workspace_id : &out->workspace_name;

		if (!v)
			continue;
		if (!json_is_string(v) || !json_string_length(v)) {
			buf_addf(err, "credentials file '%s': '%s' must be a "
				 "non-empty string", path, k);
			credentials_release(out);
			goto out;
		}
		*to = xstrdup(json_string_value(v));
	}
	ret = 0;
out:
	/*
	 * Wipe jansson's copy of the secret too: we hold the only reference,
	 * and the string is freed unwiped otherwise.
	 */
	secret = json_object_get(root, "client_secret");
	if (json_is_string(secret))
		secure_zero((char *)json_string_value(secret),
			    json_string_length(secret));
	json_decref(root);
	/* All of it: a failed read may have filled part of it. */
	if (data)
		secure_zero(data, CREDENTIALS_MAX_FILE + 1);
	free(data);
	if (fd >= 0)
		close(fd);
	return ret;
}

int credentials_from_env(const char *id, const char *secret,
			 struct credentials *out, struct buf *err)
{
	int have_id = id && *id, have_secret = secret && *secret;

	memset(out, 0, sizeof(*out));
	if (!have_id && !have_secret)
		return 1;
	if (!have_id || !have_secret) {
		buf_addf(err, "%s is set but %s is not: set both, or neither",
			 have_id ? "TORQ_CLIENT_ID" : "TORQ_CLIENT_SECRET",
			 have_id ? "TORQ_CLIENT_SECRET" : "TORQ_CLIENT_ID");
		return -1;
	}
	out->client_id = xstrdup(id);
	out->client_secret = xstrdup(secret);
	return 0;
}

int credentials_write_file(const char *path, const struct credentials *c,
			   int force, struct buf *err)
{
	struct buf json = BUF_INIT;
	struct stat st;
	int ret = -1;

	if (!c->client_id || !*c->client_id || !c->client_secret ||
	    !*c->client_secret) {
		buf_addf(err, "cannot write credentials file '%s': the client "
			 "id and secret must not be empty", path);
		goto out;
	}
	if (!utf8_valid(c->client_id) || !utf8_valid(c->client_secret)) {
		buf_addf(err, "cannot write credentials file '%s': the client "
			 "id and secret must be UTF-8 text", path);
		goto out;
	}
	if (!force && !lstat(path, &st)) {
		buf_addf(err, "credentials file '%s' already exists; not "
			 "replacing it without --force", path);
		goto out;
	}
	/*
	 * Room for the worst case (every byte escaped as \u00XX), so the
	 * buffer never moves and leaves no copy of the secret behind.
	 */
	buf_grow(&json, 6 * (strlen(c->client_id) +
			     strlen(c->client_secret) +
			     (c->workspace_name ? strlen(c->workspace_name) :
			      0) +
			     (c->workspace_id ? strlen(c->workspace_id) : 0))
		 + 128);
	buf_addstr(&json, "{\n  \"client_id\": ");
	buf_addquoted(&json, c->client_id);
	buf_addstr(&json, ",\n  \"client_secret\": ");
	buf_addquoted(&json, c->client_secret);
	if (c->workspace_name) {
		buf_addstr(&json, ",\n  \"workspace_name\": ");
		buf_addquoted(&json, c->workspace_name);
	}
	if (c->workspace_id) {
		buf_addstr(&json, ",\n  \"workspace_id\": ");
		buf_addquoted(&json, c->workspace_id);
	}
	buf_addstr(&json, "\n}\n");

	ret = atomicfile_write(path, json.s, json.len, 0600,
			       ATOMICFILE_MKDIRS |
			       (force ? 0 : ATOMICFILE_NO_CLOBBER),
			       "credentials file", err);
	if (ret == -2) {
		buf_addstr(err, "; not replacing it without --force");
		ret = -1;
	}
out:
	secure_zero(json.s, json.len);
	buf_release(&json);
	return ret;
}
