#ifndef TORQ_CONNECT_H
#define TORQ_CONNECT_H

#include "torq/buf.h"
#include "torq/client.h"
#include "torq/credentials.h"
#include "torq/endpoint.h"
#include "torq/options.h"
#include "torq/trace.h"

/*
 * The connection options every command that talks to Torq shares, and
 * turning them (with the environment) into a ready client. A command puts
 * CONNECT_OPTIONS(&co) in its option table, then calls connect_open.
 */
struct connect_options {
	const char *endpoint;
	const char *region;
	const char *auth_endpoint;
	const char *api_prefix;
	const char *credentials;
	const char *parallel;
	const char *rate_limit;
	const char *timeout;
	int verbose;
	const char *trace_path;
	/* Not an option: rate-limit buckets shared across threads, or NULL. */
	struct ratelimit_pool *pool;
	/* Not an option: the --trace file every client writes to, or NULL. */
	struct trace *trace;
};

#define CONNECT_OPTIONS(co) \
	CONNECT_OPTIONS_COMMON(co), \
	OPT_STRING_("parallel", 0, &(co)->parallel, "N", \
		    "API requests in flight (default 8)")

/* All but --parallel, for commands that give it another meaning. */
#define CONNECT_OPTIONS_COMMON(co) \
	OPT_STRING_("endpoint", 0, &(co)->endpoint, "URL", \
		    "API endpoint (default $TORQ_ENDPOINT, else " \
		    ENDPOINT_DEFAULT ")"), \
	OPT_STRING_("region", 0, &(co)->region, "REGION", \
		    "'us' or 'eu': that cloud region's endpoint"), \
	OPT_STRING_("auth-endpoint", 0, &(co)->auth_endpoint, "URL", \
		    "where tokens come from (default: derived from the " \
		    "endpoint)"), \
	OPT_STRING_("api-prefix", 0, &(co)->api_prefix, "PATH", \
		    "API path prefix (default " ENDPOINT_PREFIX ")"), \
	OPT_STRING_("credentials", 0, &(co)->credentials, "FILE", \
		    "API key file, mode 0600 (default: $TORQ_CLIENT_ID " \
		    "and $TORQ_CLIENT_SECRET)"), \
	OPT_STRING_("rate-limit", 0, &(co)->rate_limit, "RPS", \
		    "requests per second per workspace, slower after a " \
		    "429 (default 50, Torq's limit; 0: none)"), \
	OPT_STRING_("timeout", 0, &(co)->timeout, "SECONDS", \
		    "for one API request (default 30)"), \
	OPT_FLAG_("verbose", 'v', &(co)->verbose, \
		  "log every API call to stderr, secrets redacted"), \
	OPT_STRING_("trace", 0, &(co)->trace_path, "FILE", \
		    "write each API call and answer to FILE (JSON lines)")

/*
 * Open the --trace file, if one was given, once for every client the
 * command makes (a fleet's threads share it). Call after parsing the
 * options and before connect_open. Returns 0, or -1 with a message.
 */
int connect_trace_open(struct connect_options *o, struct buf *err);
/*
 * Close it. Returns 0, or -1 with a message when some of the trace could
 * not be written.
 */
int connect_trace_close(struct connect_options *o, struct buf *err);

/* -v's log: "torq-apply: line" on stderr (a client_config.log). */
void connect_log(void *ctx, const char *line);

struct connection {
	struct endpoint endpoint;
	struct client *client;
};

/*
 * Work out the endpoint (options, then $TORQ_ENDPOINT) and the client
 * settings, and make the client. Returns 0, or -1 with a message.
 */
int connect_open(const struct connect_options *o, struct connection *out,
		 struct buf *err);
void connect_close(struct connection *c);

/*
 * The API key to use: the file given (path, from --credentials or the
 * manifest), else $TORQ_CLIENT_ID and $TORQ_CLIENT_SECRET. Returns 0, or
 * -1 with a message that says how to give one.
 */
int connect_key(const char *path, struct credentials *out, struct buf *err);

#endif
