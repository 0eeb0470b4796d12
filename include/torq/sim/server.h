#ifndef TORQ_SIM_SERVER_H
#define TORQ_SIM_SERVER_H

#include "torq/buf.h"
#include "torq/sim/api.h"

/*
 * The HTTP/1.1 listener on 127.0.0.1 (libmicrohttpd, one thread per
 * connection so that injected latency never holds up another client).
 * It turns each request into a struct sim_request, hands it to
 * sim_api_handle and sends back the struct sim_response.
 */
struct MHD_Daemon;

struct sim_server {
	struct MHD_Daemon *daemon;	/* owned */
	struct sim_api *api;		/* borrowed */
	unsigned port;			/* the bound port */
};

/*
 * Listen on 127.0.0.1:port (0: any free port, then srv->port tells).
 * Returns 0, or -1 with err set.
 */
int sim_server_start(struct sim_server *srv, struct sim_api *api,
		     unsigned port, struct buf *err);
/* Stop listening, close every connection and wait for their threads. */
void sim_server_stop(struct sim_server *srv);

#endif
