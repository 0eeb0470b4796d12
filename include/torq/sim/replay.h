#ifndef TORQ_SIM_REPLAY_H
#define TORQ_SIM_REPLAY_H

#include "torq/buf.h"
#include "torq/sim/api.h"

/*
 * torq-sim --replay: answer from a trace (torq-apply --trace, trace.h)
 * instead of the emulator's state. Each request takes the first recorded
 * exchange not yet used with the same method, path and query (in order;
 * a "/public" before the API path is ignored on both sides), and gets its
 * status, Content-Type, Retry-After, X-Request-Id and body; an exchange
 * that got no answer drops the connection. A request with no such
 * exchange is a mismatch: answered 599 with a JSON error, and counted.
 */
struct sim_replay;

/* Load the trace at path. Returns it, or NULL with a message in err. */
struct sim_replay *sim_replay_load(const char *path, struct buf *err);
void sim_replay_free(struct sim_replay *rp);

/* Answer req from the trace. Safe to call from many threads at once. */
void sim_replay_handle(struct sim_replay *rp, const struct sim_request *req,
		       struct sim_response *res);

/*
 * After the last request: 0 when every recorded exchange was asked for
 * and nothing else was; else -1 with every mismatch and every exchange
 * never asked for in err, one per line.
 */
int sim_replay_finish(struct sim_replay *rp, struct buf *err);

#endif
