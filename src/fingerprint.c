#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "torq/atomicfile.h"
#include "torq/fingerprint.h"
#include "torq/sha256.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

#define SALT_BYTES 32
#define STATE_DIR ".torq-apply"
#define STATE_FILE "state.json"

/* Parameters with their secrets' values in: a private tree. */
struct canon {
	const struct doc *doc;
	/* the copy's string nodes that hold a value; one reference each */
	json_t **values;
	size_t values_nr, values_alloc;
	struct buf *err;
};

/*
 * The "${secret:...}" reference in a string of the tree, whose text never
 * holds a value; NULL when there is none. *len (when len is not NULL) gets
 * its length.
 */
static const char *secret_ref(const json_t *node, int *len)
{
	const char *s = json_string_value(node), *p, *end;

	if (!s || !(p = strstr(s, "${secret:")) || !(end = strchr(p, '}')))
		return NULL;
	if (len)
		*len = (int)(end + 1 - p);
	return p;
}

/* A message about a secret, by its reference: never by its value. */
static void secret_error(struct canon *c, const json_t *node,
			 const char *what)
{
	const char *ref;
	int len;

	buf_addstr(c->err, "cannot fingerprint the parameters: ");
	ref = secret_ref(node, &len);
	if (ref)
		buf_addf(c->err, "secret '%.*s' %s", len, ref, what);
	else
		buf_addf(c->err, "a secret %s", what);
}

static json_t *with_value(struct canon *c, const json_t *node)
{
	const char *value;
	size_t len;
	json_t *copy;

	value = doc_secret_value(c->doc, node, &len);
	if (!value) {
		secret_error(c, node, "has no value");
		return NULL;
	}
	copy = json_stringn(value, len);
	if (!copy) {
		secret_error(c, node, "is not UTF-8 text");
		return NULL;
	}
	ALLOC_GROW(c->values, c->values_nr + 1, c->values_alloc);
	c->values[c->values_nr++] = json_incref(copy);
	return copy;
}

/*
 * A copy of node with every secret replaced by its value; what is not a
 * secret is shared, not copied. A new reference, or NULL with a message.
 */
static json_t *resolved_copy(struct canon *c, const json_t *node)
{
	json_t *copy, *sub, *v;
	const char *key;
	size_t i;

	if (doc_is_secret(c->doc, node))
		return with_value(c, node);
	if (json_is_object(node)) {
		copy = json_object();
		json_object_foreach((json_t *)node, key, v) {
			sub = resolved_copy(c, v);
			if (!sub || json_object_set_new(copy, key, sub))
				goto fail;
		}
		return copy;
	}
	if (json_is_array(node)) {
		copy = json_array();
		json_array_foreach(node, i, v) {
			sub = resolved_copy(c, v);
			if (!sub || json_array_append_new(copy, sub))
				goto fail;
		}
		return copy;
	}
	if (secret_ref(node, NULL)) {
		/* left unresolved: the tree holds the reference text */
		secret_error(c, node, "has no value");
		return NULL;
	}
	return json_incref((json_t *)node);
fail:
	json_decref(copy);
	return NULL;
}

static void canon_release(struct canon *c)
{
	size_t i;

	/*
	 * jansson frees strings without wiping them. The nodes are ours
	 * alone (the copy is never handed out), so their bytes may be
	 * overwritten in place.
	 */
	for (i = 0; i < c->values_nr; i++) {
		secure_zero((char *)json_string_value(c->values[i]),
			    json_string_length(c->values[i]));
		json_decref(c->values[i]);
	}
	free(c->values);
}

static int count_bytes(const char *data, size_t size, void *total)
{
	(void)data;
	*(size_t *)total += size;
	return 0;
}

/* Fill a buffer grown beforehand, so it never moves and leaves no copy. */
static int fill(const char *data, size_t size, void *out)
{
	struct buf *b = out;

	if (b->len + size + 1 > b->alloc)
		return -1;
	buf_add(b, data, size);
	return 0;
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int salt_bytes(const char *hex, unsigned char out[SALT_BYTES])
{
	size_t i;
	int hi, lo;

	if (!hex || strlen(hex) != 2 * SALT_BYTES)
		return -1;
	for (i = 0; i < SALT_BYTES; i++) {
		hi = hex_value(hex[2 * i]);
		lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int fingerprint_params(const struct doc *doc, const json_t *params,
		       const char *salt_hex, char out[FINGERPRINT_HEX_LEN + 1],
		       struct buf *err)
{
	const size_t flags = JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY;
	struct canon c = { doc, NULL, 0, 0, err };
	struct buf text = BUF_INIT;
	unsigned char key[SALT_BYTES];
	json_t *copy = NULL;
	size_t size = 0;
	int ret = -1;

	if (salt_bytes(salt_hex, key)) {
		buf_addstr(err, "cannot fingerprint the parameters: the salt "
			   "is not 64 hex digits");
		goto out;
	}
	if (!params) {
		buf_addstr(err, "cannot fingerprint the parameters: there are "
			   "none");
		goto out;
	}
	copy = resolved_copy(&c, params);
	if (!copy)
		goto out;
	/*
	 * Measured first: json_dumps grows its buffer by realloc and would
	 * leave pieces of the secrets in freed memory.
	 */
	if (json_dump_callback(copy, count_bytes, &size, flags))
		goto fail;
	buf_grow(&text, size);
	if (json_dump_callback(copy, fill, &text, flags))
		goto fail;
	hmac_sha256_hex(key, sizeof(key), text.s, text.len, out);
	ret = 0;
	goto out;
fail:
	buf_addstr(err, "cannot fingerprint the parameters: they cannot be "
		   "written as JSON");
out:
	secure_zero(key, sizeof(key));
	secure_zero(text.s, text.alloc);
	buf_release(&text);
	json_decref(copy);
	canon_release(&c);
	return ret;
}

int fingerprint_has_secret(const struct doc *doc, const json_t *params)
{
	const char *key;
	json_t *v;
	size_t i;

	if (doc_is_secret(doc, params) || secret_ref(params, NULL))
		return 1;
	if (json_is_object(params)) {
		json_object_foreach((json_t *)params, key, v)
			if (fingerprint_has_secret(doc, v))
				return 1;
	} else if (json_is_array(params)) {
		json_array_foreach(params, i, v)
			if (fingerprint_has_secret(doc, v))
				return 1;
	}
	return 0;
}

/* The store. */

static int fresh_salt(char out[FINGERPRINT_HEX_LEN + 1], struct buf *err)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[SALT_BYTES];
	size_t got = 0, i;
	ssize_t n;
	int fd, ret = -1;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	while (got < sizeof(raw)) {
		n = read(fd, raw + got, sizeof(raw) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			goto fail;
		}
		got += (size_t)n;
	}
	for (i = 0; i < SALT_BYTES; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[2 * SALT_BYTES] = '\0';
	ret = 0;
	goto out;
fail:
	buf_addf(err, "cannot read '/dev/urandom': %s", strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	secure_zero(raw, sizeof(raw));
	return ret;
}

/* What is wrong with a state file's tree, or NULL when nothing is. */
static const char *bad_shape(const json_t *root)
{
	const char *name, *key;
	json_t *ws, *v, *fp;

	if (!json_is_object(root))
		return "it is not a JSON object";
	if (!json_is_string(json_object_get(root, "salt")))
		return "'salt' is not a string";
	if (!json_is_object(json_object_get(root, "workspaces")))
		return "'workspaces' is not an object";
	json_object_foreach(json_object_get(root, "workspaces"), name, ws) {
		if (!json_is_object(ws))
			return "a workspace is not an object";
		v = json_object_get(ws, "integrations");
		if (v && !json_is_object(v))
			return "a workspace's 'integrations' is not an object";
		json_object_foreach(v, key, fp)
			if (!json_is_string(fp))
				return "a fingerprint is not a string";
		v = json_object_get(ws, "workflows");
		if (v && !json_is_object(v))
			return "a workspace's 'workflows' is not an object";
		json_object_foreach(v, key, fp)
			if (!json_is_string(json_object_get(fp, "revision")) ||
			    !json_is_string(json_object_get(fp, "digest")))
				return "a workflow has no string 'revision'"
				       " and 'digest'";
	}
	return NULL;
}

static int read_state(struct fingerprint_store *s, const char *text,
		      size_t len, struct buf *err)
{
	json_error_t jerr;
	json_t *version;
	const char *why;
	unsigned char raw[SALT_BYTES];

	s->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!s->root) {
		buf_addf(err, "'%s' is not valid JSON: line %d, column %d: %s",
			 s->path, jerr.line, jerr.column, jerr.text);
		return -1;
	}
	version = json_object_get(s->root, "format_version");
	if (!json_is_integer(version)) {
		buf_addf(err, "'%s' is not a torq-apply state file: it has no "
			 "integer 'format_version'", s->path);
		return -1;
	}
	if (json_integer_value(version) != FINGERPRINT_FORMAT_VERSION) {
		buf_addf(err, "'%s' has format_version %lld; this torq-apply "
			 "reads version %d only", s->path,
			 (long long)json_integer_value(version),
			 FINGERPRINT_FORMAT_VERSION);
		return -1;
	}
	why = bad_shape(s->root);
	if (!why && salt_bytes(json_string_value(json_object_get(s->root,
			"salt")), raw))
		why = "'salt' is not 64 hex digits";
	secure_zero(raw, sizeof(raw));
	if (why) {
		buf_addf(err, "'%s' is not a torq-apply state file: %s",
			 s->path, why);
		return -1;
	}
	memcpy(s->salt, json_string_value(json_object_get(s->root, "salt")),
	       sizeof(s->salt));
	return 0;
}

int fingerprint_store_open(struct fingerprint_store *s, const char *dir,
			   struct buf *err)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	int ret = -1;

	memset(s, 0, sizeof(*s));
	buf_addf(&path, "%s/" STATE_DIR "/" STATE_FILE,
		 dir && *dir ? dir : ".");
	s->path = buf_detach(&path, NULL);
	if (!buf_read_file(&text, s->path, FINGERPRINT_MAX_FILE)) {
		if (read_state(s, text.s, text.len, err)) {
			/* Say what losing it costs, so nobody deletes it blindly. */
			buf_addstr(err, "; restore it, or remove it to start"
				   " afresh (every integration then shows as"
				   " never set by torq-apply and the next apply"
				   " sets its parameters again)");
			goto out;
		}
	} else if (errno == ENOENT) {
		if (fresh_salt(s->salt, err))
			goto out;
		s->root = json_pack("{s:i, s:s, s:{}}", "format_version",
				    FINGERPRINT_FORMAT_VERSION, "salt",
				    s->salt, "workspaces");
	} else {
		buf_addf(err, "cannot read '%s': %s", s->path,
			 strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret)
		fingerprint_store_release(s);
	buf_release(&text);
	return ret;
}

/* A workspace's entry's part ("integrations", "workflows"), or NULL. */
static json_t *part_of(const struct fingerprint_store *s,
		       const char *workspace, const char *part)
{
	return json_object_get(json_object_get(json_object_get(s->root,
		"workspaces"), workspace), part);
}

/* The same, made when missing. */
static json_t *make_part(struct fingerprint_store *s, const char *workspace,
			 const char *part)
{
	json_t *all = json_object_get(s->root, "workspaces");
	json_t *ws = json_object_get(all, workspace), *p;

	if (!ws) {
		ws = json_object();
		json_object_set_new(all, workspace, ws);
	}
	p = json_object_get(ws, part);
	if (!p) {
		p = json_object();
		json_object_set_new(ws, part, p);
	}
	return p;
}

/* Forget key of a workspace's part, and what that leaves empty. */
static void forget(struct fingerprint_store *s, const char *workspace,
		   const char *part, const char *key)
{
	json_t *all = json_object_get(s->root, "workspaces");
	json_t *ws = json_object_get(all, workspace);
	json_t *p = json_object_get(ws, part);

	if (!json_object_get(p, key))
		return;
	json_object_del(p, key);
	if (!json_object_size(p))
		json_object_del(ws, part);
	if (!json_object_size(ws))
		json_object_del(all, workspace);
	s->dirty = 1;
}

int fingerprint_store_knows(const struct fingerprint_store *s,
			    const char *workspace)
{
	return json_object_size(json_object_get(json_object_get(s->root,
		"workspaces"), workspace)) > 0;
}

const char *fingerprint_store_get(const struct fingerprint_store *s,
				  const char *workspace,
				  const char *integration)
{
	return json_string_value(json_object_get(part_of(s, workspace,
		"integrations"), integration));
}

void fingerprint_store_set(struct fingerprint_store *s, const char *workspace,
			   const char *integration, const char *fp)
{
	const char *old = fingerprint_store_get(s, workspace, integration);

	if (!fp) {
		forget(s, workspace, "integrations", integration);
		return;
	}
	if (old && !strcmp(old, fp))
		return;
	json_object_set_new(make_part(s, workspace, "integrations"),
			    integration, json_string(fp));
	s->dirty = 1;
}

const char *fingerprint_store_get_revision(const struct fingerprint_store *s,
					   const char *workspace,
					   const char *workflow,
					   const char *revision)
{
	json_t *e = json_object_get(part_of(s, workspace, "workflows"),
				    workflow);
	const char *rev = json_string_value(json_object_get(e, "revision"));

	if (!rev || !revision || strcmp(rev, revision))
		return NULL;
	return json_string_value(json_object_get(e, "digest"));
}

void fingerprint_store_set_revision(struct fingerprint_store *s,
				   const char *workspace, const char *workflow,
				   const char *revision, const char *digest)
{
	const char *old;

	if (!revision || !digest) {
		forget(s, workspace, "workflows", workflow);
		return;
	}
	old = fingerprint_store_get_revision(s, workspace, workflow, revision);
	if (old && !strcmp(old, digest))
		return;
	json_object_set_new(make_part(s, workspace, "workflows"), workflow,
			    json_pack("{s:s, s:s}", "revision", revision,
				      "digest", digest));
	s->dirty = 1;
}

int fingerprint_store_save(struct fingerprint_store *s, struct buf *err)
{
	struct buf dir = BUF_INIT, text = BUF_INIT;
	char *dump = NULL;
	int ret = -1;

	if (!s->dirty)
		return 0;
	buf_add(&dir, s->path, strlen(s->path) - strlen("/" STATE_FILE));
	if (mkdir(dir.s, 0700) && errno != EEXIST) {
		buf_addf(err, "cannot create directory '%s': %s", dir.s,
			 strerror(errno));
		goto out;
	}
	dump = json_dumps(s->root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!dump) {
		buf_addf(err, "cannot write '%s': out of memory", s->path);
		goto out;
	}
	buf_addf(&text, "%s\n", dump);
	if (atomicfile_write(s->path, text.s, text.len, 0600, 0,
			     "state file", err))
		goto out;
	s->dirty = 0;
	ret = 0;
out:
	free(dump);
	buf_release(&text);
	buf_release(&dir);
	return ret;
}

void fingerprint_store_release(struct fingerprint_store *s)
{
	if (!s)
		return;
	free(s->path);
	json_decref(s->root);
	secure_zero(s->salt, sizeof(s->salt));
	memset(s, 0, sizeof(*s));
}
