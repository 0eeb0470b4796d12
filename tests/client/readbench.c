/*
 * `make bench`: requests and wall time of a full live-state read of a
 * large workspace (1,000 users, 200 integrations, 10 runners, 300
 * workflows) from torq-sim with 50 ms injected on every request, with the
 * default client settings and with one request at a time for contrast.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../sim/simproc.h"
#include "bigseed.h"
#include "torq/client.h"
#include "torq/model.h"
#include "torq/reader.h"

#include "torq/banned.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int control(const char *base, const char *method, const char *path,
		   const char *body)
{
	CURL *e = curl_easy_init();
	char url[256];
	long status = 0;
	FILE *null = fopen("/dev/null", "w");

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, null);
	if (body)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	fclose(null);
	return status == 200 ? 0 : -1;
}

static int read_once(const struct client_config *cfg, const char *label)
{
	struct buf err = BUF_INIT;
	struct client *c = client_new(cfg, &err);
	struct session *s;
	struct model m;
	double t0;
	int rc = -1;

	model_init(&m);
	if (!c)
		goto out;
	s = client_session(c, "sim-admin", "sim-admin-secret");
	t0 = now_s();
	if (reader_read(c, s, NULL, &m, &err))
		goto out;
	printf("read %-26s %3lu requests (%lu token + %lu API), "
	       "%6.3f s wall: %zu users, %zu integrations, %zu runners, "
	       "%zu workflows\n", label,
	       client_stats(c)->token_requests + client_stats(c)->requests,
	       client_stats(c)->token_requests, client_stats(c)->requests,
	       now_s() - t0, m.users_nr, m.integrations_nr, m.runners_nr,
	       m.workflows_nr);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "readbench: %s\n", err.s);
	model_release(&m);
	client_free(c);
	buf_release(&err);
	return rc;
}

int main(int argc, char **argv)
{
	static const char *const args[] = { "--rate-limit", "0",
					    "--runner-quota", "100", NULL };
	/* with the seed's 5 users, 3 integrations, 1 runner, 5 workflows */
	static const struct bigseed big = { 995, 197, 9, 295 };
	struct simproc sim;
	struct client_config cfg;
	struct client *c;
	struct buf err = BUF_INIT;
	char api[128], token[128];
	int rc = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: readbench TORQ_SIM\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (simproc_start(&sim, argv[1], args))
		return 1;
	snprintf(api, sizeof(api), "%s/public/v1alpha", sim.base);
	snprintf(token, sizeof(token), "%s/v1/auth/token", sim.base);
	client_config_init(&cfg);
	cfg.api = api;
	cfg.token_url = token;
	cfg.rate_limit = 0;
	cfg.parallel = 16;
	c = client_new(&cfg, &err);
	if (!c || bigseed_run(c, client_session(c, "sim-admin",
			"sim-admin-secret"), &big, &err)) {
		fprintf(stderr, "readbench: %s\n", err.s);
		goto out;
	}
	if (control(sim.base, "POST", "/_sim/faults",
		    "{\"rules\":[{\"route\":\"*\",\"kind\":\"latency\","
		    "\"latency_ms\":50,\"every\":1}]}"))
		goto out;
	client_config_init(&cfg);
	cfg.api = api;
	cfg.token_url = token;
	if (read_once(&cfg, "(defaults, 50 ms latency)"))
		goto out;
	cfg.parallel = 1;
	if (read_once(&cfg, "(--parallel 1, 50 ms)"))
		goto out;
	rc = 0;
out:
	client_free(c);
	buf_release(&err);
	simproc_stop(&sim, SIGTERM);
	return rc;
}
