#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "torq/atomicfile.h"
#include "torq/doc.h"
#include "torq/redact.h"
#include "torq/trace.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

struct trace {
	char *path;
	int fd;
	int write_errno;	/* the first failed write's, or 0 */
	pthread_mutex_t lock;	/* one line at a time, and write_errno */
};

/* A body as the trace shows it: redacted JSON, else its text. */
static json_t *shown_body(const char *data, size_t len, int secret)
{
	json_t *body, *shown;

	if (!data || !len)
		return json_null();
	body = json_loadb(data, len, JSON_DECODE_ANY, NULL);
	if (!body && secret)
		return json_string(SENSITIVE);
	if (!body) {
		/* an HTML error page, say; bytes that are not text stay out */
		shown = json_stringn(data, len);
		return shown ? shown : json_string("(not UTF-8)");
	}
	shown = redact_json(body);
	json_decref(body);
	return shown;
}

static void set_header(json_t *headers, const char *name, const char *value)
{
	if (value && *value)
		json_object_set_new(headers, name, json_string(value));
}

void trace_format(const struct client_exchange *x, struct buf *out)
{
	json_t *line = json_object(), *headers = json_object(), *sent;
	char *text;

	json_object_set_new(line, "method", json_string(x->method));
	json_object_set_new(line, "url", json_string(x->url));
	json_object_set_new(line, "status", json_integer(x->status));
	json_object_set_new(line, "elapsed_ms", json_integer(x->elapsed_ms));
	json_object_set_new(line, "token", json_boolean(x->is_token));
	set_header(headers, "Content-Type", x->content_type);
	set_header(headers, "Retry-After", x->retry_after);
	set_header(headers, "X-Request-Id", x->request_id);
	json_object_set_new(line, "headers", headers);
	if (x->is_token)
		sent = json_string(SENSITIVE);
	else
		sent = shown_body(x->request_body, x->request_body ?
				  strlen(x->request_body) : 0, 0);
	json_object_set_new(line, "request", sent);
	json_object_set_new(line, "response",
			    shown_body(x->response, x->response_len,
				       x->is_token));
	if (x->error)
		json_object_set_new(line, "error", json_string(x->error));
	/* JSON_COMPACT escapes every newline: one object, one line */
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER |
			  JSON_ENCODE_ANY);
	if (text) {
		buf_addstr(out, text);
		buf_addch(out, '\n');
		free(text);
	}
	json_decref(line);
}

struct trace *trace_open(const char *path, struct buf *err)
{
	struct trace *t;
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC |
		  O_NOCTTY, 0600);
	/*
	 * An existing file keeps its mode through O_CREAT: set it. A pipe
	 * or a device (/dev/stderr) is not ours to change.
	 */
	if (fd >= 0 && (fstat(fd, &st) ||
			(S_ISREG(st.st_mode) && fchmod(fd, 0600)))) {
		buf_addf(err, "cannot make trace file '%s' private: %s", path,
			 strerror(errno));
		close(fd);
		return NULL;
	}
	if (fd < 0) {
		buf_addf(err, "cannot create trace file '%s': %s", path,
			 strerror(errno));
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->path = xstrdup(path);
	t->fd = fd;
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void trace_hook(void *ctx, const struct client_exchange *x)
{
	struct trace *t = ctx;
	struct buf line = BUF_INIT;

	trace_format(x, &line);
	pthread_mutex_lock(&t->lock);
	if (!t->write_errno &&
	    atomicfile_write_all(t->fd, line.s, line.len))
		t->write_errno = errno;
	pthread_mutex_unlock(&t->lock);
	buf_release(&line);
}

int trace_close(struct trace *t, struct buf *err)
{
	int ret = 0;

	if (!t)
		return 0;
	if (close(t->fd) && !t->write_errno)
		t->write_errno = errno;
	if (t->write_errno) {
		buf_addf(err, "cannot write trace file '%s': %s", t->path,
			 strerror(t->write_errno));
		ret = -1;
	}
	pthread_mutex_destroy(&t->lock);
	free(t->path);
	free(t);
	return ret;
}
