#ifndef TORQ_TRACE_H
#define TORQ_TRACE_H

#include "torq/buf.h"
#include "torq/client.h"

/*
 * The --trace file: every API attempt as one JSON object on one line
 * (JSON Lines), for a bug report or for `torq-sim --replay`. Each line
 * holds method, url, status, elapsed_ms, token (the token call or not),
 * headers (the answer's Content-Type, Retry-After and X-Request-Id when
 * present), request (the JSON sent, or null), response (the JSON answer,
 * or its text when it is not JSON, or null) and error when no usable
 * answer came. Bodies are redacted as -v redacts them (redact.h); the
 * token call's request is SENSITIVE whole, and so is its answer when it
 * is not JSON.
 */

/* Append x as one line, newline included, to out. */
void trace_format(const struct client_exchange *x, struct buf *out);

struct trace;

/*
 * Create path (or truncate it) for writing, mode 0600 whatever it had.
 * Returns the trace, or NULL with a message in err.
 */
struct trace *trace_open(const char *path, struct buf *err);

/*
 * The client_config.trace hook; ctx is a struct trace. Safe from several
 * threads: each line goes out whole in one write(2). A failed write is
 * kept for trace_close to report.
 */
void trace_hook(void *ctx, const struct client_exchange *x);

/*
 * Close and free. Returns 0, or -1 with a message in err when a write
 * failed along the way. Accepts NULL.
 */
int trace_close(struct trace *t, struct buf *err);

#endif
