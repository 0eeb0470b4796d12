#ifndef TORQ_TESTS_CANNED_H
#define TORQ_TESTS_CANNED_H

#include <stddef.h>

/*
 * A loopback HTTP/1.1 server for tests of answers torq-sim never gives
 * (bodies that are not JSON, lists that are not lists, paging that never
 * ends): it answers the requests, in the order they arrive, with the
 * given answers, then 404 {"code": 5} to every further one. One request
 * per connection (Connection: close); a thread of its own.
 */
struct canned_answer {
	int status;
	const char *body;	/* sent as is, with Content-Length */
};

struct canned;

/* Start on a free port; answers (borrowed) live until canned_stop. */
struct canned *canned_start(const struct canned_answer *answers, size_t nr);
/* "http://127.0.0.1:PORT" */
const char *canned_url(const struct canned *c);
/* Requests answered so far. */
size_t canned_requests(struct canned *c);
/* The request line ("GET /path HTTP/1.1") of request i, or "". */
const char *canned_request(struct canned *c, size_t i);
void canned_stop(struct canned *c);

#endif
