#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "torq/sim/server.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* The body of one request, gathered across upload callbacks. */
struct upload {
	struct buf body;
	int too_large;
};

static enum MHD_Result add_param(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct sim_request *req = cls;

	(void)kind;
	ALLOC_GROW(req->params, req->params_nr + 1, req->params_alloc);
	req->params[req->params_nr].key = xstrdup(key);
	req->params[req->params_nr].value = xstrdup(value ? value : "");
	req->params_nr++;
	return MHD_YES;
}

static enum MHD_Result send_response(struct MHD_Connection *conn,
				     struct sim_response *res)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	size_t len, i;
	char *body = buf_detach(&res->body, &len);

	mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!mr) {
		free(body);
		return MHD_NO;
	}
	if (res->content_type)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
					res->content_type);
	for (i = 0; i < res->headers_nr; i++)
		MHD_add_response_header(mr, res->headers[i].name,
					res->headers[i].value);
	ret = MHD_queue_response(conn, (unsigned)res->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct sim_server *srv = cls;
	struct upload *up = *con_cls;
	struct sim_request req;
	struct sim_response res;
	enum MHD_Result ret;

	(void)version;
	if (!up) {
		up = xcalloc(1, sizeof(*up));
		buf_init(&up->body);
		*con_cls = up;
		return MHD_YES;
	}
	if (*data_size) {
		if (up->too_large || up->body.len + *data_size > SIM_MAX_BODY) {
			up->too_large = 1;
			buf_release(&up->body);
		} else {
			buf_add(&up->body, data, *data_size);
		}
		*data_size = 0;
		return MHD_YES;
	}
	sim_request_init(&req);
	sim_response_init(&res);
	req.method = method;
	req.path = url;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_param,
				  &req);
	req.authorization = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	req.body = up->body.s;
	req.body_len = up->body.len;
	req.body_too_large = up->too_large;
	sim_api_handle(srv->api, &req, &res);
	/* MHD_NO closes the connection without an answer: a dropped one */
	ret = res.drop ? MHD_NO : send_response(conn, &res);
	sim_request_release(&req);
	sim_response_release(&res);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!up)
		return;
	buf_release(&up->body);
	free(up);
	*con_cls = NULL;
}

int sim_server_start(struct sim_server *srv, struct sim_api *api,
		     unsigned port, struct buf *err)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(srv, 0, sizeof(*srv));
	srv->api = api;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	errno = 0;
	srv->daemon = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD,
		(uint16_t)port, NULL, NULL, on_request, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)128,
		MHD_OPTION_END);
	if (!srv->daemon) {
		buf_addf(err, "cannot listen on 127.0.0.1:%u: %s", port,
			 errno ? strerror(errno) : "libmicrohttpd failed");
		return -1;
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : port;
	return 0;
}

void sim_server_stop(struct sim_server *srv)
{
	if (srv && srv->daemon) {
		MHD_stop_daemon(srv->daemon);
		srv->daemon = NULL;
	}
}
