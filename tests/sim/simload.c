/*
 * simload: requests per second that torq-sim sustains on loopback with
 * the rate limit off. Starts the emulator, takes a token, then runs
 * several threads, each with its own keep-alive connection, doing
 * GET /v1alpha/users for a fixed time. With --users N the emulator starts
 * from a fixture of one workspace holding N users (every tenth provisioned
 * by SSO, so the default list is filtered), which is what shows whether a
 * page costs the page or the workspace.
 *
 *   simload [--threads N] [--seconds S] [--min RPS] [--users N]
 *           PATH-TO-TORQ-SIM
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "simproc.h"
#include "torq/buf.h"
#include "torq/options.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

struct worker {
	pthread_t thread;
	const char *url;
	const char *auth;
	double until;
	long ok, failed;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;

	if (b)
		buf_add(b, p, size * n);
	return size * n;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct curl_slist *hdrs = curl_slist_append(NULL, w->auth);
	CURL *h = curl_easy_init();
	long status;

	curl_easy_setopt(h, CURLOPT_URL, w->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	while (now_s() < w->until) {
		status = 0;
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200)
			w->ok++;
		else
			w->failed++;
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return NULL;
}

static int get_token(const char *base, struct buf *auth)
{
	struct buf url = BUF_INIT, body = BUF_INIT;
	CURL *h = curl_easy_init();
	const char *tok, *end;
	int ret = -1;

	buf_addf(&url, "%s/v1/auth/token", base);
	curl_easy_setopt(h, CURLOPT_URL, url.s);
	curl_easy_setopt(h, CURLOPT_USERPWD, "sim-admin:sim-admin-secret");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS,
			 "grant_type=client_credentials");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	if (curl_easy_perform(h) != CURLE_OK)
		goto out;
	tok = strstr(body.s, "\"access_token\":\"");
	if (!tok)
		goto out;
	tok += 16;
	end = strchr(tok, '"');
	if (!end)
		goto out;
	buf_addf(auth, "Authorization: Bearer %.*s", (int)(end - tok), tok);
	ret = 0;
out:
	curl_easy_cleanup(h);
	buf_release(&url);
	buf_release(&body);
	return ret;
}

/*
 * A fixture of one workspace with users users: the owner, whose key is
 * the default fixture's sim-admin, and users - 1 viewers.
 */
static int write_seed(char *path, long users)
{
	struct buf s = BUF_INIT;
	int fd = mkstemp(path), ret = -1;
	long i;

	if (fd < 0)
		return -1;
	buf_addstr(&s, "{\"workspaces\": [{\"name\": \"Load\", "
		   "\"api_keys\": [{\"client_id\": \"sim-admin\", "
		   "\"client_secret\": \"sim-admin-secret\", "
		   "\"email\": \"owner@example.com\"}], \"users\": ["
		   "{\"email\": \"owner@example.com\", \"role\": \"Owner\"}");
	for (i = 1; i < users; i++)
		buf_addf(&s, ", {\"email\": \"user%ld@example.com\", "
			 "\"role\": \"Viewer\"%s}", i,
			 i % 10 ? "" : ", \"sso_provision\": true");
	buf_addstr(&s, "]}]}\n");
	if (write(fd, s.s, s.len) == (ssize_t)s.len)
		ret = 0;
	if (close(fd))
		ret = -1;
	buf_release(&s);
	return ret;
}

int main(int argc, char **argv)
{
	const char *threads_s = NULL, *seconds_s = NULL, *min_s = NULL;
	const char *users_s = NULL;
	char seed[] = "/tmp/torq-simload-XXXXXX";
	const char *sim_args[] = { "--rate-limit", "0", NULL, NULL, NULL };
	struct option opts[] = {
		OPT_STRING_("threads", 't', &threads_s, "N",
			    "client threads (default 4)"),
		OPT_STRING_("seconds", 's', &seconds_s, "S",
			    "how long to run (default 3)"),
		OPT_STRING_("min", 0, &min_s, "RPS",
			    "fail below this many requests per second"),
		OPT_STRING_("users", 'u', &users_s, "N",
			    "start from a workspace of N users"),
		OPT_END_(),
	};
	struct buf err = BUF_INIT, auth = BUF_INIT, url = BUF_INIT;
	struct worker *w = NULL;
	struct simproc sim;
	long threads = 4, seconds = 3, min = 0, ok = 0, failed = 0, i;
	long users = 0;
	int nargs, rc, started = 0, seeded = 0, ret = 1;
	double t0, elapsed, rps;

	rc = parse_options(argc - 1, (const char **)argv + 1, opts, NULL,
			   &nargs, &err);
	if (rc == OPTIONS_HELP) {
		options_usage("simload [options] PATH-TO-TORQ-SIM",
			      "Measure torq-sim's requests per second.", opts,
			      &err);
		fputs(err.s, stdout);
		ret = 0;
		goto out;
	}
	if (rc || nargs != 1 ||
	    (threads_s && parse_long(threads_s, 1, 256, &threads)) ||
	    (seconds_s && parse_long(seconds_s, 1, 600, &seconds)) ||
	    (min_s && parse_long(min_s, 0, 100000000, &min)) ||
	    (users_s && parse_long(users_s, 1, 10000000, &users))) {
		fprintf(stderr, "simload: %s\n",
			err.len ? err.s : "bad arguments (see --help)");
		goto out;
	}
	if (users) {
		if (write_seed(seed, users)) {
			fprintf(stderr, "simload: cannot write '%s'\n", seed);
			goto out;
		}
		seeded = 1;
		sim_args[2] = "--seed";
		sim_args[3] = seed;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (simproc_start(&sim, argv[1], sim_args))
		goto out;
	started = 1;
	if (get_token(sim.base, &auth)) {
		fprintf(stderr, "simload: cannot get a token\n");
		goto out;
	}
	buf_addf(&url, "%s/v1alpha/users", sim.base);
	w = xcalloc((size_t)threads, sizeof(*w));
	t0 = now_s();
	for (i = 0; i < threads; i++) {
		w[i].url = url.s;
		w[i].auth = auth.s;
		w[i].until = t0 + (double)seconds;
		pthread_create(&w[i].thread, NULL, work, &w[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		ok += w[i].ok;
		failed += w[i].failed;
	}
	elapsed = now_s() - t0;
	rps = (double)ok / elapsed;
	printf("simload: %ld requests in %.2f s with %ld threads: %.0f "
	       "req/s (GET /v1alpha/users), %ld failed\n", ok, elapsed,
	       threads, rps, failed);
	if (users)
		printf("simload: workspace of %ld users\n", users);
	ret = failed || rps < (double)min;
	if (rps < (double)min)
		fprintf(stderr, "simload: below the minimum of %ld req/s\n",
			min);
out:
	if (started && simproc_stop(&sim, SIGTERM))
		ret = 1;
	if (seeded)
		unlink(seed);
	free(w);
	buf_release(&err);
	buf_release(&auth);
	buf_release(&url);
	curl_global_cleanup();
	return ret;
}
