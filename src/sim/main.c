#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torq/exitcode.h"
#include "torq/options.h"
#include "torq/sim/api.h"
#include "torq/sim/config.h"
#include "torq/sim/faults.h"
#include "torq/sim/replay.h"
#include "torq/sim/server.h"
#include "torq/sim/state.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static const char usage[] =
	"torq-sim [--port N] [--state FILE] [--seed FILE] [--latency-ms N]\n"
	"       [--rate-limit RPS] [--fault-rate P] [--fault-seed N]\n"
	"       [--quirks LIST] [--token-ttl S] [--runner-quota N]\n"
	"       [--replay TRACE]";

static const char summary[] =
	"An emulator of the Torq public REST API on 127.0.0.1, for the demo,\n"
	"the tests and offline CI. Test controls live under /_sim/ (see\n"
	"docs/sim-api.md).";

struct args {
	const char *port, *latency, *rate, *fault_rate, *fault_seed;
	const char *quirks, *ttl, *quota, *replay;
};

static int number(const char *opt, const char *s, long min, long max,
		  long *out, struct buf *err)
{
	if (!s)
		return 0;
	if (parse_long(s, min, max, out)) {
		buf_addf(err, "option '--%s' needs a whole number from %ld "
			 "to %ld, not '%s'", opt, min, max, s);
		return -1;
	}
	return 0;
}

static int real(const char *opt, const char *s, double min, double max,
		double *out, struct buf *err)
{
	char *end;
	double v;

	if (!s)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < min || v > max) {
		buf_addf(err, "option '--%s' needs a number from %g to %g, "
			 "not '%s'", opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int configure(struct sim_config *cfg, const struct args *a,
		     struct buf *err)
{
	long seed = 0;

	if (number("port", a->port, 0, 65535, &cfg->port, err) ||
	    number("latency-ms", a->latency, 0, 600000, &cfg->latency_ms,
		   err) ||
	    real("rate-limit", a->rate, 0, 1e9, &cfg->rate_limit, err) ||
	    real("fault-rate", a->fault_rate, 0, 1, &cfg->fault_rate, err) ||
	    number("fault-seed", a->fault_seed, 0, 0x7fffffffL, &seed, err) ||
	    number("token-ttl", a->ttl, 1, 100L * 24 * 3600,
		   &cfg->token_ttl, err) ||
	    number("runner-quota", a->quota, 0, 1000000, &cfg->runner_quota,
		   err))
		return -1;
	cfg->fault_seed = (unsigned long)seed;
	cfg->fault_seed_set = a->fault_seed != NULL;
	if (a->quirks && sim_quirks_parse(a->quirks, &cfg->quirks, err))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct sim_config cfg;
	struct sim_state state;
	struct sim_faults faults;
	struct sim_api api;
	struct sim_server srv;
	struct sim_replay *replay = NULL;
	struct args a;
	struct buf err = BUF_INIT, help = BUF_INIT;
	sigset_t stop;
	int nargs = 0, sig, rc, started = 0, state_ready = 0;
	int ret = EXIT_ERROR;
	struct option opts[] = {
		OPT_STRING_("port", 'p', &a.port, "N",
			    "listen on 127.0.0.1:N (default 0: a free port)"),
		OPT_STRING_("state", 0, &cfg.state_path, "FILE",
			    "load the state from FILE and save it there "
			    "after every change"),
		OPT_STRING_("seed", 0, &cfg.seed_path, "FILE",
			    "start from the JSON fixture FILE, not the "
			    "default one"),
		OPT_STRING_("latency-ms", 0, &a.latency, "N",
			    "answer every request N ms late"),
		OPT_STRING_("rate-limit", 0, &a.rate, "RPS",
			    "requests per second per workspace (default 50,"
			    " 0: off)"),
		OPT_STRING_("fault-rate", 0, &a.fault_rate, "P",
			    "fail this fraction of requests with 429, 502, "
			    "503 or a drop"),
		OPT_STRING_("fault-seed", 0, &a.fault_seed, "N",
			    "seed the fault generator (repeatable runs)"),
		OPT_STRING_("quirks", 0, &a.quirks, "LIST",
			    "comma-separated answers to switch, see "
			    "docs/sim-api.md"),
		OPT_STRING_("token-ttl", 0, &a.ttl, "S",
			    "token lifetime in seconds (default 3600)"),
		OPT_STRING_("runner-quota", 0, &a.quota, "N",
			    "step runners per workspace (default 10)"),
		OPT_STRING_("replay", 0, &a.replay, "TRACE",
			    "answer from a torq-apply --trace file, in "
			    "order; anything else fails"),
		OPT_END_(),
	};

	memset(&a, 0, sizeof(a));
	sim_config_init(&cfg);
	rc = parse_options(argc - 1, (const char **)argv + 1, opts, NULL,
			   &nargs, &err);
	if (rc == OPTIONS_HELP) {
		options_usage(usage, summary, opts, &help);
		buf_addf(&help, "\nquirks: %s\n", sim_quirk_names());
		fputs(help.s, stdout);
		ret = EXIT_OK;
		goto out;
	}
	if (rc == OPTIONS_OK && nargs)
		buf_addf(&err, "unexpected argument '%s'", argv[1]);
	if (rc != OPTIONS_OK || nargs || configure(&cfg, &a, &err)) {
		fprintf(stderr, "torq-sim: %s\n", err.s);
		goto out;
	}

	/*
	 * Every thread libmicrohttpd starts inherits this mask, so the
	 * stop signals reach only sigwait below.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sim_state_init(&state, cfg.seed_path, cfg.state_path, &err)) {
		fprintf(stderr, "torq-sim: %s\n", err.s);
		state_ready = 1;
		goto out;
	}
	state_ready = 1;
	sim_faults_init(&faults, &cfg);
	sim_api_init(&api, &cfg, &state, &faults);
	if (a.replay && !(replay = sim_replay_load(a.replay, &err))) {
		fprintf(stderr, "torq-sim: %s\n", err.s);
		sim_faults_release(&faults);
		goto out;
	}
	api.replay = replay;
	if (sim_server_start(&srv, &api, (unsigned)cfg.port, &err)) {
		fprintf(stderr, "torq-sim: %s\n", err.s);
		sim_faults_release(&faults);
		goto out;
	}
	started = 1;
	printf("torq-sim listening on http://127.0.0.1:%u\n", srv.port);
	fflush(stdout);
	while (sigwait(&stop, &sig))
		;
	ret = EXIT_OK;
out:
	if (started) {
		sim_server_stop(&srv);
		sim_faults_release(&faults);
	}
	/* a replay that went otherwise than its trace fails the run */
	if (started && replay && sim_replay_finish(replay, &err)) {
		fprintf(stderr, "torq-sim: the replay did not match the "
			"trace:\n%s", err.s);
		ret = EXIT_ERROR;
	}
	sim_replay_free(replay);
	if (state_ready)
		sim_state_release(&state);
	buf_release(&err);
	buf_release(&help);
	return ret;
}
