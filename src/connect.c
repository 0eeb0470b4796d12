#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torq/connect.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

void connect_log(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "torq-apply: %s\n", line);
}

static int number(const char *opt, const char *arg, long min, long max,
		  long *out, struct buf *err)
{
	if (!arg)
		return 0;
	if (parse_long(arg, min, max, out)) {
		buf_addf(err, "--%s wants a whole number from %ld to %ld, not "
			 "'%s'", opt, min, max, arg);
		return -1;
	}
	return 0;
}

int connect_open(const struct connect_options *o, struct connection *out,
		 struct buf *err)
{
	struct endpoint_options eo;
	struct client_config cfg;
	long parallel = CLIENT_DEFAULT_PARALLEL;
	long rate = (long)CLIENT_DEFAULT_RATE;
	long timeout = CLIENT_DEFAULT_TIMEOUT_MS / 1000;

	memset(out, 0, sizeof(*out));
	memset(&eo, 0, sizeof(eo));
	eo.endpoint = o->endpoint;
	eo.env_endpoint = getenv("TORQ_ENDPOINT");
	eo.region = o->region;
	eo.auth_endpoint = o->auth_endpoint;
	eo.prefix = o->api_prefix;
	if (number("parallel", o->parallel, 1, 256, &parallel, err) ||
	    number("rate-limit", o->rate_limit, 0, 100000, &rate, err) ||
	    number("timeout", o->timeout, 1, 3600, &timeout, err))
		return -1;
	if (endpoint_resolve(&eo, &out->endpoint, err))
		return -1;
	client_config_init(&cfg);
	cfg.api = out->endpoint.api;
	cfg.token_url = out->endpoint.token_url;
	cfg.parallel = (unsigned)parallel;
	cfg.rate_limit = (double)rate;
	cfg.timeout_ms = timeout * 1000;
	cfg.pool = o->pool;
	if (o->verbose)
		cfg.log = connect_log;
	if (o->trace) {
		cfg.trace = trace_hook;
		cfg.trace_ctx = o->trace;
	} else if (o->trace_path) {
		/* a command that forgot connect_trace_open */
		buf_addstr(err, "--trace is not supported here");
		endpoint_release(&out->endpoint);
		return -1;
	}
	out->client = client_new(&cfg, err);
	if (!out->client) {
		endpoint_release(&out->endpoint);
		return -1;
	}
	return 0;
}

int connect_trace_open(struct connect_options *o, struct buf *err)
{
	if (!o->trace_path || o->trace)
		return 0;
	o->trace = trace_open(o->trace_path, err);
	return o->trace ? 0 : -1;
}

int connect_trace_close(struct connect_options *o, struct buf *err)
{
	int rc = trace_close(o->trace, err);

	o->trace = NULL;
	return rc;
}

void connect_close(struct connection *c)
{
	if (!c)
		return;
	client_free(c->client);
	c->client = NULL;
	endpoint_release(&c->endpoint);
}

int connect_key(const char *path, struct credentials *out, struct buf *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (path)
		return credentials_read_file(path, out, err);
	rc = credentials_from_env(getenv("TORQ_CLIENT_ID"),
				  getenv("TORQ_CLIENT_SECRET"), out, err);
	if (rc == 1) {
		buf_addstr(err, "no API key: give --credentials FILE, or set "
			   "TORQ_CLIENT_ID and TORQ_CLIENT_SECRET");
		return -1;
	}
	return rc;
}
