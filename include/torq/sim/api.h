#ifndef TORQ_SIM_API_H
#define TORQ_SIM_API_H

#include <stddef.h>
#include <jansson.h>

#include "torq/buf.h"
#include "torq/sim/config.h"
#include "torq/sim/faults.h"
#include "torq/sim/state.h"

/*
 * The emulator's API: one plain request in, one plain response out, no
 * HTTP library in sight (only server.c knows libmicrohttpd). Routing,
 * authentication, rate limiting, faults and the shared helpers of the
 * handlers live in api.c; the handlers themselves in api_org.c (workspaces,
 * users, roles, claim mappings) and api_assets.c (integrations, step
 * runners, workflows), one function per call so that each shape is easy
 * to change when the real one is known.
 */

struct sim_param {
	char *key;
	char *value;
};

/* A request as the server hands it over; everything owned by the server. */
struct sim_request {
	const char *method;
	const char *path;		/* decoded, without the query */
	struct sim_param *params;	/* query parameters, decoded */
	size_t params_nr, params_alloc;
	const char *authorization;	/* the header, or NULL */
	const char *body;
	size_t body_len;
	int body_too_large;		/* over SIM_MAX_BODY: answer 413 */
};

#define SIM_MAX_BODY (1u << 20)

struct sim_header {
	char *name;
	char *value;
};

/* A response; owned by the caller of sim_api_handle. */
struct sim_response {
	int status;
	int drop;		/* close the connection without answering */
	struct buf body;
	const char *content_type;	/* static string */
	struct sim_header *headers;
	size_t headers_nr, headers_alloc;
};

void sim_request_init(struct sim_request *req);
/* Frees the parameters only; the rest is borrowed. */
void sim_request_release(struct sim_request *req);
void sim_response_init(struct sim_response *res);
void sim_response_release(struct sim_response *res);
void sim_response_header(struct sim_response *res, const char *name,
			 const char *value);

struct sim_replay;

struct sim_api {
	const struct sim_config *cfg;	/* borrowed */
	/* --replay: answer every API call from it (replay.h); borrowed */
	struct sim_replay *replay;
	struct sim_state *state;	/* borrowed */
	struct sim_faults *faults;	/* borrowed */
	_Atomic unsigned long next_request_id;	/* for X-Request-Id */
};

void sim_api_init(struct sim_api *api, const struct sim_config *cfg,
		  struct sim_state *state, struct sim_faults *faults);

/*
 * Answer one request. Takes the locks it needs; may sleep (latency) with
 * none held. Safe to call from many threads at once.
 */
void sim_api_handle(struct sim_api *api, const struct sim_request *req,
		    struct sim_response *res);

/* What a handler sees: called with the state lock held. */
struct sim_call {
	struct sim_api *api;
	struct sim_state *state;
	const struct sim_request *req;
	struct sim_response *res;
	const char *route;	/* "GET /v1alpha/users" */
	json_t *ws;		/* the caller's workspace (borrowed) */
	json_t *key;		/* the caller's API key (borrowed) */
	const char *ids[3];	/* path parameters, in order */
	json_t *body;		/* parsed body (owned), after sim_body */
};

/* gRPC codes used in error bodies. */
enum sim_code {
	SIM_INVALID_ARGUMENT = 3,
	SIM_NOT_FOUND = 5,
	SIM_ALREADY_EXISTS = 6,
	SIM_PERMISSION_DENIED = 7,
	SIM_RESOURCE_EXHAUSTED = 8,
	SIM_FAILED_PRECONDITION = 9,
	SIM_UNIMPLEMENTED = 12,
	SIM_INTERNAL = 13,
	SIM_UNAVAILABLE = 14,
	SIM_UNAUTHENTICATED = 16,
};

/* Answer status with body (stolen), as JSON. */
void sim_reply(struct sim_call *c, int status, json_t *body);
/* Answer status with {"code", "message", "details": []}. */
void sim_fail(struct sim_call *c, int status, enum sim_code code,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 404 "<what> '<id>' not found". */
void sim_not_found(struct sim_call *c, const char *what, const char *id);

/*
 * Parse the body as a JSON object into c->body (an empty body is {}).
 * Returns 0, or -1 after answering 400.
 */
int sim_body(struct sim_call *c);
/*
 * A string field of c->body into *out (NULL when absent). Returns 0, or -1
 * after answering 400 when required and absent, empty or not a string.
 */
int sim_body_string(struct sim_call *c, const char *key, int required,
		    const char **out);
/* A boolean field (absent: 0). -1 after answering 400 on a wrong type. */
int sim_body_bool(struct sim_call *c, const char *key, int *out);

/* A query parameter (either spelling; alt may be NULL), or NULL. */
const char *sim_query(struct sim_call *c, const char *name, const char *alt);

/* 1 when the caller's key belongs to a user with role name, else 0. */
int sim_caller_is(struct sim_call *c, const char *role);
/* 0 when the caller is an Owner; else -1 after answering 403. */
int sim_need_owner(struct sim_call *c);

/* The answer for the element at position index of a list (a new reference). */
typedef json_t *(*sim_item_fn)(struct sim_call *c, json_t *elem,
			       size_t index);

/*
 * Answer a paged list: {"<field>": [page of items], "next_page_token"}.
 * The list is the elements of the array list (borrowed) at positions
 * pick[0..n), or all of them when pick is NULL (n is then its size);
 * item builds the answer for one, and is called only for the elements
 * on the page, so a page costs the page. filter names the query that made
 * the list, so a page token from another list is refused (400).
 */
void sim_reply_page(struct sim_call *c, const char *field, json_t *list,
		    const size_t *pick, size_t n, sim_item_fn item,
		    const char *filter);

/*
 * Drop the fields at their zero value (null, false, 0, "", [], {}) from
 * obj and its objects, as the real API's JSON does; returns obj.
 */
json_t *sim_prune(json_t *obj);

/*
 * The common DELETE: remove the object whose id is c->ids[0] from the
 * workspace's list and answer {}, or 404 naming kind ("step runner").
 */
void sim_delete_by_id(struct sim_call *c, const char *list, const char *kind);

/* Set key of out to a copy of the same field of in, when present. */
void sim_copy_field(json_t *out, const json_t *in, const char *key);
/* The same for each key of the NULL-terminated list keys. */
void sim_copy_fields(json_t *out, const json_t *in, const char *const *keys);

#endif
