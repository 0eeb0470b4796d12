#ifndef TORQ_CLIENT_H
#define TORQ_CLIENT_H

#include <stdint.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/ratelimit.h"

/*
 * The Torq API client: the only module that knows HTTP (and the only one
 * that includes <curl/curl.h>). See docs/internals/client.md.
 *
 * A client runs many requests at once over reused connections (a curl
 * multi handle; HTTP/2 where the server offers it), at most `parallel` in
 * flight. Requests belong to a session, one per API key (one per
 * workspace): the session holds the key, the bearer token (fetched when
 * first needed, renewed before it expires and after a 302 or 401)
 * and a rate limiter, so no session exceeds its requests per second.
 *
 * Failures are retried with exponential backoff and jitter, bounded in
 * attempts and in total time: 429 (after Retry-After when given), 503,
 * timeouts and dropped connections for every request; 500, 502 and 504
 * only for reads. A mutation that may have reached the server (a timeout,
 * a dropped connection, 500/502/504) is never sent again: it ends with
 * CLIENT_OUTCOME_UNKNOWN and the caller re-reads the state to learn what
 * happened.
 *
 * Usage: client_new, client_session per key, client_submit requests (each
 * with a callback), client_run until all are done; callbacks may submit
 * more (the next page, a dependent step). client_call is the one-request
 * shortcut. A client is used from one thread.
 */

struct client;
struct session;

/*
 * One finished attempt, for the trace hook (client_config.trace): what
 * was asked and what came back. The client leaves out the secrets it adds
 * itself (the bearer token, the token call's Basic header and form body);
 * the bodies are as on the wire, so the hook redacts them (trace.c does).
 * Everything is borrowed for the call only.
 */
struct client_exchange {
	const char *method;
	const char *url;
	int is_token;			/* a token request: its body is secret */
	const char *request_body;	/* JSON text sent, or NULL */
	long status;			/* 0 when no answer came */
	const char *content_type;	/* of the answer, "" when absent */
	const char *retry_after;	/* "" when absent */
	const char *request_id;		/* X-Request-Id, "" when absent */
	const char *response;		/* the answer's bytes, not terminated */
	size_t response_len;
	long elapsed_ms;
	const char *error;		/* why no usable answer came, or NULL */
};

/* The outcome of a request, for callers that act on it. */
enum client_code {
	CLIENT_OK = 0,
	CLIENT_ERROR = -1,		/* refused (4xx) or broken: the message says */
	CLIENT_NOT_FOUND = -2,		/* 404 */
	CLIENT_CONFLICT = -3,		/* 409: it exists already */
	CLIENT_UNAUTHORIZED = -4,	/* the key or the token was refused */
	CLIENT_UNAVAILABLE = -5,	/* retries exhausted; the request had no effect */
	CLIENT_OUTCOME_UNKNOWN = -6,	/* a mutation that may have taken effect */
};

/* Defaults, also shown by --help. */
#define CLIENT_DEFAULT_RATE		50.0	/* requests per second per key: Torq's */
#define CLIENT_DEFAULT_PARALLEL		8
#define CLIENT_DEFAULT_TIMEOUT_MS	30000
#define CLIENT_DEFAULT_ATTEMPTS		6
#define CLIENT_DEFAULT_RETRY_BUDGET_MS	120000
#define CLIENT_MAX_RESPONSE		(64u << 20)

struct client_config {
	const char *api;		/* base URL with prefix, e.g. ".../public/v1alpha" */
	const char *token_url;		/* ".../v1/auth/token" */
	double rate_limit;		/* per session; 0 = no limit */
	unsigned parallel;		/* requests in flight, at least 1 */
	long timeout_ms;		/* one attempt, connection included */
	long connect_timeout_ms;
	unsigned max_attempts;		/* per request, the first included */
	long retry_budget_ms;		/* from the first attempt to the last retry */
	long backoff_base_ms;
	long backoff_cap_ms;
	long retry_after_cap_ms;	/* a longer Retry-After is cut to this */
	uint32_t seed;			/* for jitter; 0 picks one */
	/* Buckets shared with other clients (ratelimit.h), or NULL. */
	struct ratelimit_pool *pool;
	/*
	 * Verbose log, one line per call (no newline), or NULL. Bodies are
	 * redacted (redact.h) and the Authorization header is never shown.
	 */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
	/*
	 * Called after every attempt (trace.h writes them to a file), or
	 * NULL. Clients in several threads may share one hook and context:
	 * the hook serialises its own writes.
	 */
	void (*trace)(void *ctx, const struct client_exchange *x);
	void *trace_ctx;
};

/* Fill cfg with the defaults (api and token_url NULL). */
void client_config_init(struct client_config *cfg);

/* What a finished request gives its callback; everything is borrowed. */
struct client_response {
	enum client_code code;
	long http_status;		/* 0 when no answer came */
	json_t *body;			/* the parsed answer, or NULL */
	const char *method;
	const char *path;		/* as submitted, below the API base */
	const char *error;		/* "" when code is CLIENT_OK */
	const char *request_id;		/* X-Request-Id, or "" */
	unsigned attempts;
	/* Spent in attempts: not in the queue, the limiter or backoff. */
	double seconds;
};

typedef void client_done_fn(void *ctx, const struct client_response *res);

/* Counters since client_new, for tests and `make bench`. */
struct client_stats {
	unsigned long requests;		/* HTTP attempts to the API */
	unsigned long token_requests;	/* HTTP attempts to the token URL */
	unsigned long retries;		/* attempts after a retryable failure */
	unsigned long reauths;		/* tokens renewed after a 302 or 401 */
	unsigned long rate_limited;	/* 429 answers seen */
	unsigned long throttled;	/* times a request waited for the limiter */
	unsigned long max_in_flight;
};

/*
 * A new client, or NULL with a message in err (the configuration is
 * refused or curl cannot start). cfg's strings are copied. Clients may be
 * made and used in several threads, one client per thread.
 */
struct client *client_new(const struct client_config *cfg, struct buf *err);
/* Release everything, wiping keys and tokens. Accepts NULL. */
void client_free(struct client *c);

/*
 * The session for an API key, made on first use and kept (with its token)
 * until client_free: asking again with the same client id returns the same
 * session. The strings are copied. Never NULL.
 */
struct session *client_session(struct client *c, const char *client_id,
			       const char *client_secret);

/*
 * Queue a request. path is below the API base and may carry a query
 * ("/users?sso_provision=true"); body (stolen, may be NULL) is sent as
 * JSON. done is called exactly once, from client_run, with the outcome.
 */
void client_submit(struct client *c, struct session *s, const char *method,
		   const char *path, json_t *body, client_done_fn *done,
		   void *ctx);

/*
 * Run until every queued request (and every request the callbacks queue)
 * is done. Returns 0, or -1 with a message in err when the transfer
 * machinery itself fails (requests still pending are then failed too).
 */
int client_run(struct client *c, struct buf *err);

/*
 * One request, run to the end: submit and run. On CLIENT_OK *out (may be
 * NULL) gets the answer as a new reference (NULL for an empty body); else
 * err gets the message. Returns the enum client_code. Not to be called
 * from a callback.
 */
int client_call(struct client *c, struct session *s, const char *method,
		const char *path, json_t *body, json_t **out,
		struct buf *err);

const struct client_stats *client_stats(const struct client *c);

/* Append s to out percent-encoded for a query value or a path segment. */
void client_escape(struct buf *out, const char *s);

#endif
