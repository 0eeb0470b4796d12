#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "torq/sim/replay.h"
#include "torq/sim/util.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

#define REPLAY_MAX_FILE (256u << 20)

struct exchange {
	char *method;
	char *path;		/* decoded, without "/public" */
	char *query;		/* "k=v&k=v", decoded, "" when none */
	char *shown;		/* the URL as recorded, for messages */
	int status;		/* 0: the connection was dropped */
	char *content_type, *retry_after, *request_id;	/* or NULL */
	struct buf body;
	int used;
	size_t line;
};

struct sim_replay {
	struct exchange *x;
	size_t nr, alloc;
	pthread_mutex_t lock;	/* the used flags and the mismatches */
	struct buf mismatches;	/* one line each */
	size_t mismatches_nr;
};

/* The API path without the "/public" the real endpoint puts before it. */
static const char *api_path(const char *path)
{
	if (!strncmp(path, "/public/", 8))
		return path + 7;
	return path;
}

static char *decoded(const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	sim_form_decode(&b, s, len);
	return buf_detach(&b, NULL);
}

/* "http://host:port/path?a=b" into a decoded path and query. */
static int split_url(struct exchange *x, const char *url)
{
	const char *p = strstr(url, "://"), *q, *amp;
	struct buf query = BUF_INIT;
	char *path;

	if (!p || !(p = strchr(p + 3, '/')))
		return -1;
	q = strchr(p, '?');
	path = decoded(p, q ? (size_t)(q - p) : strlen(p));
	x->path = xstrdup(api_path(path));
	free(path);
	/* decoded pair by pair, as the server hands the query over */
	for (q = q ? q + 1 : NULL; q && *q; q = amp ? amp + 1 : NULL) {
		amp = strchr(q, '&');
		if (query.len)
			buf_addch(&query, '&');
		sim_form_decode(&query, q, amp ? (size_t)(amp - q) :
				strlen(q));
	}
	x->query = buf_detach(&query, NULL);
	return 0;
}

static char *header(json_t *headers, const char *name)
{
	const char *v = json_string_value(json_object_get(headers, name));

	return v ? xstrdup(v) : NULL;
}

static int load_exchange(struct exchange *x, json_t *line)
{
	const char *method = json_string_value(json_object_get(line,
							       "method"));
	const char *url = json_string_value(json_object_get(line, "url"));
	json_t *status = json_object_get(line, "status");
	json_t *headers = json_object_get(line, "headers");
	json_t *body = json_object_get(line, "response");
	char *text;

	if (!method || !url || !json_is_integer(status) ||
	    json_integer_value(status) < 0 ||
	    json_integer_value(status) > 999 || split_url(x, url))
		return -1;
	x->method = xstrdup(method);
	x->shown = xstrdup(url);
	x->status = (int)json_integer_value(status);
	x->content_type = header(headers, "Content-Type");
	x->retry_after = header(headers, "Retry-After");
	x->request_id = header(headers, "X-Request-Id");
	buf_init(&x->body);
	if (json_is_string(body)) {
		buf_addstr(&x->body, json_string_value(body));
	} else if (body && !json_is_null(body)) {
		text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER |
				  JSON_ENCODE_ANY);
		if (text)
			buf_addstr(&x->body, text);
		free(text);
	}
	return 0;
}

static void exchange_release(struct exchange *x)
{
	free(x->method);
	free(x->path);
	free(x->query);
	free(x->shown);
	free(x->content_type);
	free(x->retry_after);
	free(x->request_id);
	buf_release(&x->body);
}

/* Each non-empty line of text is one exchange. */
static int parse_lines(struct sim_replay *rp, const char *path, char *text,
		       struct buf *err)
{
	char *line = text, *nl;
	size_t no = 0;
	json_error_t jerr;
	json_t *j;
	int bad;

	for (; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		no++;
		if (!*line)
			continue;
		j = json_loads(line, 0, &jerr);
		ALLOC_GROW(rp->x, rp->nr + 1, rp->alloc);
		memset(&rp->x[rp->nr], 0, sizeof(rp->x[rp->nr]));
		bad = !j || load_exchange(&rp->x[rp->nr], j);
		json_decref(j);
		if (bad) {
			exchange_release(&rp->x[rp->nr]);
			buf_addf(err, "'%s' line %zu is not a trace line "
				 "(method, url and status)", path, no);
			return -1;
		}
		rp->x[rp->nr].line = no;
		rp->nr++;
	}
	return 0;
}

struct sim_replay *sim_replay_load(const char *path, struct buf *err)
{
	struct sim_replay *rp = xcalloc(1, sizeof(*rp));
	struct buf text = BUF_INIT;

	pthread_mutex_init(&rp->lock, NULL);
	buf_init(&rp->mismatches);
	if (buf_read_file(&text, path, REPLAY_MAX_FILE)) {
		buf_addf(err, "cannot read trace '%s': %s", path,
			 strerror(errno));
		goto fail;
	}
	if (parse_lines(rp, path, text.s, err))
		goto fail;
	if (!rp->nr) {
		buf_addf(err, "trace '%s' holds no request", path);
		goto fail;
	}
	buf_release(&text);
	return rp;
fail:
	buf_release(&text);
	sim_replay_free(rp);
	return NULL;
}

void sim_replay_free(struct sim_replay *rp)
{
	size_t i;

	if (!rp)
		return;
	for (i = 0; i < rp->nr; i++)
		exchange_release(&rp->x[i]);
	free(rp->x);
	buf_release(&rp->mismatches);
	pthread_mutex_destroy(&rp->lock);
	free(rp);
}

/* The request's query as split_url gives a recorded one. */
static void request_query(const struct sim_request *req, struct buf *out)
{
	size_t i;

	for (i = 0; i < req->params_nr; i++) {
		if (i)
			buf_addch(out, '&');
		buf_addf(out, "%s=%s", req->params[i].key,
			 req->params[i].value);
	}
}

static struct exchange *next_match(struct sim_replay *rp,
				   const struct sim_request *req,
				   const char *query)
{
	const char *path = api_path(req->path);
	size_t i;

	for (i = 0; i < rp->nr; i++) {
		struct exchange *x = &rp->x[i];

		if (!x->used && !strcmp(x->method, req->method) &&
		    !strcmp(x->path, path) && !strcmp(x->query, query))
			return x;
	}
	return NULL;
}

static void answer(const struct exchange *x, struct sim_response *res)
{
	if (!x->status) {
		res->drop = 1;
		return;
	}
	res->status = x->status;
	buf_add(&res->body, x->body.s, x->body.len);
	if (x->content_type)
		sim_response_header(res, "Content-Type", x->content_type);
	if (x->retry_after)
		sim_response_header(res, "Retry-After", x->retry_after);
	if (x->request_id)
		sim_response_header(res, "X-Request-Id", x->request_id);
}

static void mismatch(struct sim_replay *rp, const struct sim_request *req,
		     const char *query, struct sim_response *res)
{
	struct buf what = BUF_INIT;
	json_t *body;
	char *text;

	buf_addf(&what, "%s %s%s%s", req->method, req->path,
		 *query ? "?" : "", query);
	buf_addf(&rp->mismatches, "unexpected request %s: the trace has no "
		 "such request left\n", what.s);
	rp->mismatches_nr++;
	body = json_pack("{s:i, s:s+, s:[]}", "code", 13, "message",
			 "torq-sim --replay: unexpected request ", what.s,
			 "details");
	text = json_dumps(body, JSON_COMPACT);
	res->status = 599;
	res->content_type = "application/json";
	buf_addstr(&res->body, text ? text : "{}");
	free(text);
	json_decref(body);
	buf_release(&what);
}

void sim_replay_handle(struct sim_replay *rp, const struct sim_request *req,
		       struct sim_response *res)
{
	struct buf query = BUF_INIT;
	struct exchange *x;

	request_query(req, &query);
	pthread_mutex_lock(&rp->lock);
	x = next_match(rp, req, query.s);
	if (x) {
		x->used = 1;
		answer(x, res);
	} else {
		mismatch(rp, req, query.s, res);
	}
	pthread_mutex_unlock(&rp->lock);
	buf_release(&query);
}

int sim_replay_finish(struct sim_replay *rp, struct buf *err)
{
	size_t i, unused = 0;

	pthread_mutex_lock(&rp->lock);
	buf_add(err, rp->mismatches.s, rp->mismatches.len);
	for (i = 0; i < rp->nr; i++) {
		if (rp->x[i].used)
			continue;
		unused++;
		buf_addf(err, "line %zu of the trace was never asked for: "
			 "%s %s\n", rp->x[i].line, rp->x[i].method,
			 rp->x[i].shown);
	}
	pthread_mutex_unlock(&rp->lock);
	return rp->mismatches_nr || unused ? -1 : 0;
}
