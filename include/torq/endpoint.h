#ifndef TORQ_ENDPOINT_H
#define TORQ_ENDPOINT_H

#include "torq/buf.h"

/*
 * Where the API and its token endpoint live, worked out from the
 * command line and the environment without touching the network.
 *
 * The cloud hosts are api.torq.io and api.eu.torq.io, with the token
 * endpoint on auth.torq.io and auth.eu.torq.io; any other endpoint (a
 * proxy, torq-sim) serves tokens on the same host unless an auth endpoint
 * is given. Plain http:// is accepted only for loopback hosts (localhost,
 * 127.0.0.0/8, ::1); everything else must be https://.
 */

#define ENDPOINT_DEFAULT	"https://api.torq.io"
#define ENDPOINT_EU		"https://api.eu.torq.io"
#define ENDPOINT_PREFIX		"/public/v1alpha"
#define ENDPOINT_TOKEN_PATH	"/v1/auth/token"

struct endpoint_options {
	const char *endpoint;		/* --endpoint, or NULL */
	const char *env_endpoint;	/* $TORQ_ENDPOINT, or NULL */
	const char *region;		/* --region: "us" or "eu", or NULL */
	const char *auth_endpoint;	/* --auth-endpoint, or NULL */
	const char *prefix;		/* --api-prefix, or NULL for ENDPOINT_PREFIX */
};

struct endpoint {
	char *api;		/* "https://api.torq.io/public/v1alpha", no trailing '/' */
	char *token_url;	/* "https://auth.torq.io/v1/auth/token" */
	char *host;		/* "api.torq.io", for messages */
};

/*
 * Work out the endpoint. --endpoint wins over $TORQ_ENDPOINT, which wins
 * over --region; --endpoint (or the variable) together with --region is an
 * error unless they agree. A URL must be scheme://host[:port][/path] with
 * no user name, query or fragment. Returns 0, or -1 with a message in err.
 */
int endpoint_resolve(const struct endpoint_options *o, struct endpoint *out,
		     struct buf *err);
void endpoint_release(struct endpoint *e);

/* 1 when host (as written in a URL, IPv6 in brackets) is loopback. */
int endpoint_host_is_loopback(const char *host);

#endif
