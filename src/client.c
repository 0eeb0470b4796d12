#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "torq/backoff.h"
#include "torq/client.h"
#include "torq/doc.h"
#include "torq/ratelimit.h"
#include "torq/redact.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

/*
 * How the pieces fit (docs/internals/client.md): every request is a struct
 * req on one queue. client_run loops: start what may start (a token
 * first when its session has none, then as many requests as the limiter
 * and `parallel` allow), let curl move bytes, finish what completed
 * (done, retried later, or sent back to wait for a fresh token), and
 * sleep in curl_multi_poll until the next event or the next moment a
 * waiting request may start.
 */

/*
 * A request whose token is refused is sent again with a new one, this
 * many times: once covers a token expiring in flight; more covers a new
 * token refused too, which a second refusal of the same key then ends.
 */
#define MAX_REAUTHS 3

struct session {
	struct session *next;
	char *client_id;
	char *client_secret;
	char *token;			/* NULL until fetched, or after a 302/401 */
	size_t token_len;
	int64_t token_expires_ms;	/* renew from token_renew_ms on */
	int64_t token_renew_ms;
	unsigned token_gen;		/* counts tokens, to spot stale 401s */
	int token_busy;			/* a token request is queued or running */
	char *auth_error;		/* the key was refused: every request fails */
	struct ratelimit rl;
};

struct req {
	struct req *next;		/* in the queue */
	struct req *anext;		/* in the list of running attempts */
	struct client *c;
	struct session *s;
	char *method;
	char *path;
	char *body;			/* serialized JSON, or NULL */
	char *body_log;			/* redacted, for -v */
	int is_token;
	int mutation;
	client_done_fn *done;
	void *ctx;

	CURL *easy;
	struct curl_slist *headers;
	struct buf resp;
	char request_id[96];
	char retry_after[64];
	char content_type[96];
	char curl_error[CURL_ERROR_SIZE];
	int too_large;

	unsigned attempts;
	int reauthed;			/* times sent again with a new token */
	unsigned token_gen;
	int64_t first_ms;
	int64_t started_ms;
	int64_t busy_ms;		/* in attempts, not waiting to start */
	int64_t not_before_ms;
	struct buf last_error;		/* why the last attempt failed */
};

struct client {
	struct client_config cfg;
	char *api;
	char *token_url;
	CURLM *multi;
	struct session *sessions;
	struct req *queue, *queue_tail;	/* waiting to start */
	struct req *active;		/* attempts in flight */
	unsigned in_flight;
	uint32_t rnd;
	struct client_stats stats;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logf_(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logf_(struct client *c, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	if (!c->cfg.log)
		return;
	va_start(ap, fmt);
	buf_vaddf(&line, fmt, ap);
	va_end(ap);
	c->cfg.log(c->cfg.log_ctx, line.s);
	buf_release(&line);
}

void client_config_init(struct client_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->rate_limit = CLIENT_DEFAULT_RATE;
	cfg->parallel = CLIENT_DEFAULT_PARALLEL;
	cfg->timeout_ms = CLIENT_DEFAULT_TIMEOUT_MS;
	cfg->connect_timeout_ms = 10000;
	cfg->max_attempts = CLIENT_DEFAULT_ATTEMPTS;
	cfg->retry_budget_ms = CLIENT_DEFAULT_RETRY_BUDGET_MS;
	cfg->backoff_base_ms = 250;
	cfg->backoff_cap_ms = 8000;
	cfg->retry_after_cap_ms = 60000;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct client *client_new(const struct client_config *cfg, struct buf *err)
{
	struct client *c;

	if (!cfg->api || !cfg->token_url) {
		buf_addstr(err, "no API endpoint configured");
		return NULL;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_result) {
		buf_addstr(err, "cannot initialise libcurl");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->cfg = *cfg;
	c->api = xstrdup(cfg->api);
	c->token_url = xstrdup(cfg->token_url);
	c->cfg.api = c->api;
	c->cfg.token_url = c->token_url;
	if (!c->cfg.parallel)
		c->cfg.parallel = 1;
	if (!c->cfg.max_attempts)
		c->cfg.max_attempts = 1;
	c->rnd = cfg->seed ? cfg->seed : (uint32_t)now_ms() ^ 0x9e3779b9u;
	if (!c->rnd)
		c->rnd = 1;
	c->multi = curl_multi_init();
	if (!c->multi) {
		buf_addstr(err, "cannot initialise libcurl");
		client_free(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)c->cfg.parallel);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  (long)c->cfg.parallel + 1);
	return c;
}

static void wipe_free(char *s)
{
	if (s) {
		secure_zero(s, strlen(s));
		free(s);
	}
}

static void req_free(struct req *r)
{
	if (!r)
		return;
	if (r->easy) {
		curl_multi_remove_handle(r->c->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->headers);
	if (r->resp.alloc)
		secure_zero(r->resp.s, r->resp.alloc);
	buf_release(&r->resp);
	buf_release(&r->last_error);
	if (r->body) {
		secure_zero(r->body, strlen(r->body));
		free(r->body);
	}
	free(r->body_log);
	free(r->method);
	free(r->path);
	free(r);
}

void client_free(struct client *c)
{
	struct session *s, *next;
	struct req *r, *rnext;

	if (!c)
		return;
	for (r = c->queue; r; r = rnext) {
		rnext = r->next;
		req_free(r);
	}
	for (r = c->active; r; r = rnext) {
		rnext = r->anext;
		req_free(r);
	}
	for (s = c->sessions; s; s = next) {
		next = s->next;
		free(s->client_id);
		wipe_free(s->client_secret);
		wipe_free(s->token);
		free(s->auth_error);
		free(s);
	}
	if (c->multi)
		curl_multi_cleanup(c->multi);
	free(c->api);
	free(c->token_url);
	free(c);
}

struct session *client_session(struct client *c, const char *client_id,
			       const char *client_secret)
{
	struct session *s;

	for (s = c->sessions; s; s = s->next)
		if (!strcmp(s->client_id, client_id) &&
		    !strcmp(s->client_secret, client_secret))
			return s;
	s = xcalloc(1, sizeof(*s));
	s->client_id = xstrdup(client_id);
	s->client_secret = xstrdup(client_secret);
	ratelimit_init(&s->rl, c->cfg.rate_limit, c->cfg.rate_limit);
	s->next = c->sessions;
	c->sessions = s;
	return s;
}

const struct client_stats *client_stats(const struct client *c)
{
	return &c->stats;
}

void client_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_addch(out, (char)*p);
		} else {
			buf_addch(out, '%');
			buf_addch(out, hex[*p >> 4]);
			buf_addch(out, hex[*p & 15]);
		}
	}
}

/* The queue. */

static void enqueue(struct client *c, struct req *r, int front)
{
	r->next = NULL;
	if (!c->queue) {
		c->queue = c->queue_tail = r;
	} else if (front) {
		r->next = c->queue;
		c->queue = r;
	} else {
		c->queue_tail->next = r;
		c->queue_tail = r;
	}
}

static void unlink_req(struct client *c, struct req *prev, struct req *r)
{
	if (prev)
		prev->next = r->next;
	else
		c->queue = r->next;
	if (c->queue_tail == r)
		c->queue_tail = prev;
	r->next = NULL;
}

void client_submit(struct client *c, struct session *s, const char *method,
		   const char *path, json_t *body, client_done_fn *done,
		   void *ctx)
{
	struct req *r = xcalloc(1, sizeof(*r));
	json_t *shown;

	r->c = c;
	r->s = s;
	r->method = xstrdup(method);
	r->path = xstrdup(path);
	r->mutation = strcmp(method, "GET") && strcmp(method, "HEAD");
	r->done = done;
	r->ctx = ctx;
	buf_init(&r->resp);
	buf_init(&r->last_error);
	if (body) {
		r->body = json_dumps(body, JSON_COMPACT);
		if (!r->body)
			r->body = xstrdup("null");
		if (c->cfg.log) {
			shown = redact_json(body);
			r->body_log = json_dumps(shown, JSON_COMPACT);
			json_decref(shown);
		}
		json_decref(body);
	}
	enqueue(c, r, 0);
}

/* Finishing a request: tell the caller, then free it. */

static const char *grpc_name(long code)
{
	static const char *const names[] = {
		"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
		"DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
		"PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
		"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
		"UNAUTHENTICATED",
	};

	if (code >= 0 && code < (long)ARRAY_SIZE(names))
		return names[code];
	return NULL;
}

static void complete(struct req *r, enum client_code code, long http,
		     json_t *body, const char *error)
{
	struct client_response res;

	res.code = code;
	res.http_status = http;
	res.body = body;
	res.method = r->method;
	res.path = r->path;
	res.error = code == CLIENT_OK ? "" : error;
	res.request_id = r->request_id;
	res.attempts = r->attempts;
	res.seconds = (double)r->busy_ms / 1000;
	if (r->done)
		r->done(r->ctx, &res);
	req_free(r);
}

/*
 * End r with an error. A token request's failure is its session's: no
 * token is on its way any more, and the requests waiting for one fail
 * with the same message instead of waiting for ever.
 */
static void fail_req(struct req *r, enum client_code code, long http,
		     const char *msg)
{
	if (r->is_token) {
		r->s->token_busy = 0;
		free(r->s->auth_error);
		r->s->auth_error = xstrdup(msg);
	}
	complete(r, code, http, NULL, msg);
}

/*
 * "POST /public/v1alpha/users/invite: HTTP 409 ALREADY_EXISTS: user
 * 'a@b.c' already exists (request id sim-12)". Torq's message comes from
 * the google.rpc.Status body; anything else is summarised, never dumped.
 */
static void describe_http(struct req *r, long http, json_t *body,
			  struct buf *out)
{
	json_t *code = json_object_get(body, "code");
	const char *msg = json_string_value(json_object_get(body, "message"));
	const char *name = NULL;

	buf_reset(out);
	if (r->is_token)
		buf_addf(out, "POST %s", r->c->token_url);
	else
		buf_addf(out, "%s %s%s", r->method, r->c->api, r->path);
	buf_addf(out, ": HTTP %ld", http);
	if (json_is_integer(code))
		name = grpc_name((long)json_integer_value(code));
	if (name)
		buf_addf(out, " %s", name);
	if (msg && *msg)
		buf_addf(out, ": %s", msg);
	else if (http == 302)
		buf_addstr(out, ": the token has expired");
	if (r->request_id[0])
		buf_addf(out, " (request id %s)", r->request_id);
}

static void describe_curl(struct req *r, CURLcode cc, struct buf *out)
{
	buf_reset(out);
	if (r->is_token)
		buf_addf(out, "POST %s", r->c->token_url);
	else
		buf_addf(out, "%s %s%s", r->method, r->c->api, r->path);
	if (r->too_large)
		buf_addf(out, ": the answer is larger than %u MiB",
			 CLIENT_MAX_RESPONSE >> 20);
	else
		buf_addf(out, ": %s", r->curl_error[0] ? r->curl_error :
			 curl_easy_strerror(cc));
}

/* Starting an attempt. */

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct req *r = ctx;

	if (r->resp.len + size * n > CLIENT_MAX_RESPONSE) {
		r->too_large = 1;
		return 0;
	}
	buf_add(&r->resp, data, size * n);
	return size * n;
}

static void header_value(const char *line, size_t len, const char *name,
			 char *out, size_t outsz)
{
	size_t nl = strlen(name), vlen;
	const char *v;

	if (len <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return;
	v = line + nl + 1;
	len -= nl + 1;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
		       v[len - 1] == ' '))
		len--;
	vlen = len < outsz - 1 ? len : outsz - 1;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct req *r = ctx;

	header_value(data, size * n, "x-request-id", r->request_id,
		     sizeof(r->request_id));
	header_value(data, size * n, "retry-after", r->retry_after,
		     sizeof(r->retry_after));
	header_value(data, size * n, "content-type", r->content_type,
		     sizeof(r->content_type));
	return size * n;
}

static int start(struct client *c, struct req *r, int64_t now)
{
	struct buf url = BUF_INIT, auth = BUF_INIT;
	CURL *e = curl_easy_init();

	if (!e)
		return -1;
	r->easy = e;
	r->attempts++;
	if (!r->first_ms)
		r->first_ms = now;
	r->started_ms = now;
	r->request_id[0] = r->retry_after[0] = r->curl_error[0] = '\0';
	r->content_type[0] = '\0';
	r->too_large = 0;
	buf_reset(&r->resp);

	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_error);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->cfg.timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 c->cfg.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "torq-apply/0.1");
	/* Never follow: a 302 means an expired token, not a new place. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	r->headers = curl_slist_append(NULL, "Accept: application/json");

	if (r->is_token) {
		c->stats.token_requests++;
		curl_easy_setopt(e, CURLOPT_URL, c->token_url);
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, r->s->client_id);
		curl_easy_setopt(e, CURLOPT_PASSWORD, r->s->client_secret);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
				 "grant_type=client_credentials");
		r->headers = curl_slist_append(r->headers,
			"Content-Type: application/x-www-form-urlencoded");
		logf_(c, "> POST %s (client id '%s', secret %s)",
		      c->token_url, r->s->client_id, SENSITIVE);
	} else {
		c->stats.requests++;
		r->token_gen = r->s->token_gen;
		buf_addf(&url, "%s%s", c->api, r->path);
		curl_easy_setopt(e, CURLOPT_URL, url.s);
		buf_addf(&auth, "Authorization: Bearer %s", r->s->token);
		r->headers = curl_slist_append(r->headers, auth.s);
		secure_zero(auth.s, auth.len);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
		/*
		 * libcurl silently sends a request again when a reused
		 * connection dies before any answer byte. For a POST, which
		 * may create a second object, that is not ours to allow:
		 * POSTs get a connection of their own.
		 */
		if (!strcmp(r->method, "POST"))
			curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		if (r->body) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
			r->headers = curl_slist_append(r->headers,
				"Content-Type: application/json");
		} else if (r->mutation) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		}
		logf_(c, "> %s %s%s%s", r->method, r->path,
		      r->body_log ? " " : "", r->body_log ? r->body_log : "");
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	buf_release(&url);
	buf_release(&auth);
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		return -1;
	r->anext = c->active;
	c->active = r;
	c->in_flight++;
	if (c->in_flight > c->stats.max_in_flight)
		c->stats.max_in_flight = c->in_flight;
	return 0;
}

static void end_attempt(struct client *c, struct req *r)
{
	struct req **p;

	for (p = &c->active; *p; p = &(*p)->anext)
		if (*p == r) {
			*p = r->anext;
			break;
		}
	r->anext = NULL;
	r->busy_ms += now_ms() - r->started_ms;
	curl_multi_remove_handle(c->multi, r->easy);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
	curl_slist_free_all(r->headers);
	r->headers = NULL;
	c->in_flight--;
}

/* Queue a token request for s, ahead of everything else. */
static void want_token(struct client *c, struct session *s)
{
	struct req *r;

	if (s->token_busy || s->auth_error)
		return;
	r = xcalloc(1, sizeof(*r));
	r->c = c;
	r->s = s;
	r->is_token = 1;
	r->mutation = 0;
	r->method = xstrdup("POST");
	r->path = xstrdup("(token)");
	buf_init(&r->resp);
	buf_init(&r->last_error);
	s->token_busy = 1;
	enqueue(c, r, 1);
}

static int token_usable(const struct session *s, int64_t now)
{
	return s->token && now < s->token_expires_ms;
}

/*
 * Start whatever may start now. Returns how long until something waiting
 * may start (backoff or the limiter), or -1 when nothing waits for time.
 */
static int64_t start_ready(struct client *c)
{
	struct req *r, *prev = NULL, *next;
	int64_t now = now_ms(), wait = -1, w;
	struct session *s;

	/* Tokens first: a session with work and no fresh token asks for one. */
	for (r = c->queue; r; r = r->next)
		if (!r->is_token && !r->s->auth_error &&
		    (!r->s->token || now >= r->s->token_renew_ms))
			want_token(c, r->s);

	for (r = c->queue; r && c->in_flight < c->cfg.parallel; r = next) {
		next = r->next;
		s = r->s;
		if (!r->is_token && s->auth_error) {
			unlink_req(c, prev, r);
			complete(r, CLIENT_UNAUTHORIZED, 0, NULL, s->auth_error);
			continue;
		}
		if (r->not_before_ms > now) {
			w = r->not_before_ms - now;
			wait = wait < 0 || w < wait ? w : wait;
			prev = r;
			continue;
		}
		if (!r->is_token) {
			/* Waits for the token request, which wakes the loop. */
			if (!token_usable(s, now)) {
				prev = r;
				continue;
			}
			w = c->cfg.pool ?
				ratelimit_pool_take(c->cfg.pool,
						    s->client_id, now) :
				ratelimit_take(&s->rl, now);
			if (w > 0) {
				c->stats.throttled++;
				wait = wait < 0 || w < wait ? w : wait;
				prev = r;
				continue;
			}
		}
		unlink_req(c, prev, r);
		if (start(c, r, now))
			fail_req(r, CLIENT_ERROR, 0,
				 "cannot start a transfer (libcurl)");
	}
	return wait;
}

/*
 * Adaptive pacing (ratelimit.h): a 429 slows the key's bucket down and
 * pauses it for the Retry-After; any answer that is not one lets it
 * recover towards the limit set.
 */
static void pace(struct client *c, struct session *s, int too_fast,
		 int64_t pause_ms)
{
	int64_t now = now_ms();

	if (c->cfg.pool && too_fast)
		ratelimit_pool_slow_down(c->cfg.pool, s->client_id, now,
					 pause_ms);
	else if (c->cfg.pool)
		ratelimit_pool_recover(c->cfg.pool, s->client_id, now);
	else if (too_fast)
		ratelimit_slow_down(&s->rl, now, pause_ms);
	else
		ratelimit_recover(&s->rl, now);
}

/* Finishing an attempt. */

static void give_up_or_retry(struct client *c, struct req *r, int64_t delay,
			     enum client_code final)
{
	int64_t now = now_ms();

	if (r->attempts >= c->cfg.max_attempts ||
	    now + delay - r->first_ms > c->cfg.retry_budget_ms) {
		buf_addf(&r->last_error, " (gave up after %u attempt%s)",
			 r->attempts, r->attempts == 1 ? "" : "s");
		fail_req(r, final, 0, r->last_error.s);
		return;
	}
	c->stats.retries++;
	logf_(c, "! %s; retrying in %lld ms (attempt %u of %u)",
	      r->last_error.s, (long long)delay, r->attempts + 1,
	      c->cfg.max_attempts);
	r->not_before_ms = now + delay;
	enqueue(c, r, 1);
}

static int64_t backoff(struct client *c, struct req *r)
{
	return backoff_delay_ms(r->attempts, c->cfg.backoff_base_ms,
				c->cfg.backoff_cap_ms,
				backoff_random(&c->rnd));
}

/* Network failures worth another attempt; the rest are final. */
static int transient(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static void token_done(struct client *c, struct req *r, long http,
		       json_t *body)
{
	struct session *s = r->s;
	const char *tok = json_string_value(json_object_get(body,
							    "access_token"));
	json_t *ttl_node = json_object_get(body, "expires_in");
	long ttl = 3600;
	int64_t now = now_ms(), life, margin;
	struct buf msg = BUF_INIT;

	if (http == 429 || http >= 500) {
		c->stats.rate_limited += http == 429;
		describe_http(r, http, body, &r->last_error);
		give_up_or_retry(c, r, backoff(c, r), CLIENT_UNAVAILABLE);
		return;
	}
	s->token_busy = 0;
	if (http != 200 || !tok || !*tok) {
		describe_http(r, http, body, &msg);
		if (http == 200)
			buf_addstr(&msg, ": the answer has no access_token");
		free(s->auth_error);
		s->auth_error = NULL;
		buf_reset(&r->last_error);
		buf_addf(&r->last_error,
			 "cannot get a token for client id '%s': %s",
			 s->client_id, msg.s);
		s->auth_error = xstrdup(r->last_error.s);
		logf_(c, "< %ld token refused for '%s'", http, s->client_id);
		complete(r, CLIENT_UNAUTHORIZED, http, NULL,
			 r->last_error.s);
		buf_release(&msg);
		return;
	}
	/* at most 2^30 s, as for a string: life in ms must not overflow */
	if (json_is_integer(ttl_node) && json_integer_value(ttl_node) > 0)
		ttl = json_integer_value(ttl_node) < (1L << 30) ?
			(long)json_integer_value(ttl_node) : 1L << 30;
	else if (json_is_string(ttl_node))
		parse_long(json_string_value(ttl_node), 1, 1L << 30, &ttl);
	wipe_free(s->token);
	s->token = xstrdup(tok);
	s->token_gen++;
	life = (int64_t)ttl * 1000;
	/* Renew early enough that no request goes out with a dying token. */
	margin = life / 4 < 60000 ? life / 4 : 60000;
	s->token_expires_ms = now + life;
	s->token_renew_ms = now + life - margin;
	logf_(c, "< 200 token for '%s' (expires in %ld s)", s->client_id,
	      ttl);
	complete(r, CLIENT_OK, http, NULL, NULL);
}

/*
 * Hand the attempt that just ended to the trace hook. The token request's
 * Basic header and form body are the client's own secrets: the hook is
 * told only that it was the token call.
 */
static void trace_attempt(struct client *c, struct req *r, long http,
			  CURLcode cc)
{
	struct client_exchange x;
	struct buf url = BUF_INIT, error = BUF_INIT;

	if (!c->cfg.trace)
		return;
	if (r->is_token)
		buf_addstr(&url, c->token_url);
	else
		buf_addf(&url, "%s%s", c->api, r->path);
	memset(&x, 0, sizeof(x));
	x.method = r->method;
	x.url = url.s;
	x.is_token = r->is_token;
	x.request_body = r->is_token ? NULL : r->body;
	x.status = http;
	x.content_type = r->content_type;
	x.retry_after = r->retry_after;
	x.request_id = r->request_id;
	x.response = r->resp.s;
	x.response_len = r->resp.len;
	x.elapsed_ms = (long)(now_ms() - r->started_ms);
	if (cc != CURLE_OK) {
		describe_curl(r, cc, &error);
		x.error = error.s;
	}
	c->cfg.trace(c->cfg.trace_ctx, &x);
	buf_release(&url);
	buf_release(&error);
}

static void finish(struct client *c, struct req *r, CURLcode cc)
{
	long http = 0, sent = 0;
	json_t *body = NULL;
	json_error_t jerr;
	struct session *s = r->s;
	int64_t delay;
	enum client_code code;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent);
	trace_attempt(c, r, http, cc);
	end_attempt(c, r);

	if (cc != CURLE_OK) {
		describe_curl(r, cc, &r->last_error);
		if (!transient(cc) || r->too_large) {
			fail_req(r, CLIENT_ERROR, 0, r->last_error.s);
		} else if (r->mutation && !r->is_token && sent > 0) {
			buf_addstr(&r->last_error,
				   "; the request was sent, so it may or may not"
				   " have taken effect");
			logf_(c, "! %s", r->last_error.s);
			complete(r, CLIENT_OUTCOME_UNKNOWN, 0, NULL,
				 r->last_error.s);
		} else {
			give_up_or_retry(c, r, backoff(c, r),
					 CLIENT_UNAVAILABLE);
		}
		return;
	}

	if (r->resp.len) {
		body = json_loadb(r->resp.s, r->resp.len, 0, &jerr);
		if (!body && http >= 200 && http < 300) {
			describe_http(r, http, NULL, &r->last_error);
			buf_addf(&r->last_error,
				 ": the answer is not JSON (%s)", jerr.text);
			fail_req(r, CLIENT_ERROR, http, r->last_error.s);
			return;
		}
	}
	if (r->is_token) {
		token_done(c, r, http, body);
		json_decref(body);
		return;
	}
	logf_(c, "< %ld %s %s (%lld ms)%s%s", http, r->method, r->path,
	      (long long)(now_ms() - r->started_ms),
	      r->request_id[0] ? " " : "", r->request_id);

	if (http == 302 || http == 401) {
		describe_http(r, http, body, &r->last_error);
		if (r->reauthed < MAX_REAUTHS) {
			/* Expired (302) or refused (401): a fresh token. */
			r->reauthed++;
			if (r->token_gen == s->token_gen && s->token) {
				c->stats.reauths++;
				wipe_free(s->token);
				s->token = NULL;
			}
			enqueue(c, r, 1);
		} else {
			complete(r, CLIENT_UNAUTHORIZED, http, body,
				 r->last_error.s);
		}
		json_decref(body);
		return;
	}
	if (http >= 200 && http < 300) {
		pace(c, r->s, 0, 0);
		complete(r, CLIENT_OK, http, body, NULL);
		json_decref(body);
		return;
	}
	describe_http(r, http, body, &r->last_error);
	if (http == 429 || http == 503 ||
	    (!r->mutation && (http == 500 || http == 502 || http == 504))) {
		/* Not done (429, 503), or a read: safe to send again. */
		delay = backoff(c, r);
		if (http == 429) {
			c->stats.rate_limited++;
			if (r->retry_after[0] &&
			    !backoff_parse_retry_after(r->retry_after,
						       time(NULL), &delay) &&
			    delay > c->cfg.retry_after_cap_ms)
				delay = c->cfg.retry_after_cap_ms;
			/* every request of this key slows down, not just it */
			pace(c, r->s, 1, r->retry_after[0] ? delay : 0);
		}
		give_up_or_retry(c, r, delay, CLIENT_UNAVAILABLE);
		json_decref(body);
		return;
	}
	if (http == 500 || http == 502 || http == 504) {
		buf_addstr(&r->last_error,
			   "; the request may or may not have taken effect");
		code = CLIENT_OUTCOME_UNKNOWN;
	} else if (http == 404) {
		code = CLIENT_NOT_FOUND;
	} else if (http == 409) {
		code = CLIENT_CONFLICT;
	} else {
		code = CLIENT_ERROR;
	}
	complete(r, code, http, body, r->last_error.s);
	json_decref(body);
}

int client_run(struct client *c, struct buf *err)
{
	struct req *r;
	CURLMsg *m;
	CURLMcode mc;
	int running, left, finished;
	int64_t wait;

	while (c->queue || c->in_flight) {
		wait = start_ready(c);
		if (!c->queue && !c->in_flight)
			break;
		mc = curl_multi_perform(c->multi, &running);
		if (mc != CURLM_OK) {
			buf_addf(err, "libcurl: %s", curl_multi_strerror(mc));
			return -1;
		}
		finished = 0;
		while ((m = curl_multi_info_read(c->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			r = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
					  (char **)&r);
			finish(c, r, m->data.result);
			finished = 1;
		}
		if (finished)
			continue;
		if (wait < 0 || wait > 1000)
			wait = 1000;
		mc = curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
		if (mc != CURLM_OK) {
			buf_addf(err, "libcurl: %s", curl_multi_strerror(mc));
			return -1;
		}
	}
	return 0;
}

struct call_result {
	int code;
	json_t *body;
	struct buf *err;
};

static void call_done(void *ctx, const struct client_response *res)
{
	struct call_result *cr = ctx;

	cr->code = res->code;
	if (res->code == CLIENT_OK)
		cr->body = json_incref(res->body);
	else
		buf_addstr(cr->err, res->error);
}

int client_call(struct client *c, struct session *s, const char *method,
		const char *path, json_t *body, json_t **out,
		struct buf *err)
{
	struct call_result cr = { CLIENT_ERROR, NULL, err };

	client_submit(c, s, method, path, body, call_done, &cr);
	if (client_run(c, err))
		return CLIENT_ERROR;
	if (out)
		*out = cr.body;
	else
		json_decref(cr.body);
	return cr.code;
}
