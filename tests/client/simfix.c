/* The fixture shared by the client and apply tests (simfix.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "simfix.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

const char *sim_bin;

/* A running torq-sim and a client pointed at it. */

static void log_line(void *ctx, const char *line)
{
	struct buf *b = ctx;

	buf_addstr(b, line);
	buf_addch(b, '\n');
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The test controls, with plain libcurl so they cannot share a bug. */
json_t *control(struct fix *f, const char *method, const char *path,
		       const char *body)
{
	CURL *e = curl_easy_init();
	struct buf url = BUF_INIT;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	json_t *j;
	long status = 0;

	buf_addf(&url, "%s%s", f->sim.base, path);
	curl_easy_setopt(e, CURLOPT_URL, url.s);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, mem);
	if (body)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	assert_int_equal(curl_easy_perform(e), CURLE_OK);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	fclose(mem);
	if (status != 200)
		fprintf(stderr, "%s %s: %ld %s\n", method, path, status, text);
	assert_int_equal(status, 200);
	j = json_loadb(text, len, 0, NULL);
	assert_non_null(j);
	free(text);
	buf_release(&url);
	curl_easy_cleanup(e);
	return j;
}

void faults(struct fix *f, const char *rules)
{
	json_decref(control(f, "POST", "/_sim/faults", rules));
}

long stat_of(struct fix *f, const char *group, const char *key)
{
	json_t *st = control(f, "GET", "/_sim/stats", NULL);
	json_t *v = group ? json_object_get(json_object_get(st, group), key)
		: json_object_get(st, key);
	long n = json_is_integer(v) ? (long)json_integer_value(v) : 0;

	json_decref(st);
	return n;
}

void fix_client(struct fix *f)
{
	struct buf err = BUF_INIT;

	client_free(f->c);
	f->c = client_new(&f->cfg, &err);
	assert_non_null(f->c);
	f->admin = client_session(f->c, "sim-admin", "sim-admin-secret");
	buf_release(&err);
}

/*
 * args, with the quirks of $SIMFIX_QUIRKS added (the suite runs again
 * with --quirks extra-fields: answers as a v1alpha API may change).
 * Returns a new NULL-terminated array whose strings are borrowed, or in
 * *owned.
 */
static const char **with_quirks(const char *const *args, char **owned)
{
	const char *more = getenv("SIMFIX_QUIRKS");
	size_t n = 0, i;
	const char **out;
	int merged = 0;

	*owned = NULL;
	while (args && args[n])
		n++;
	out = xcalloc(n + 3, sizeof(*out));
	for (i = 0; i < n; i++) {
		out[i] = args[i];
		if (more && *more && i && !strcmp(args[i - 1], "--quirks")) {
			size_t len = strlen(args[i]) + strlen(more) + 2;

			*owned = xmalloc(len);
			snprintf(*owned, len, "%s,%s", args[i], more);
			out[i] = *owned;
			merged = 1;
		}
	}
	if (more && *more && !merged) {
		out[n++] = "--quirks";
		out[n++] = more;
	}
	out[n] = NULL;
	return out;
}

struct fix *fix_start(const char *const *args)
{
	struct fix *f = xcalloc(1, sizeof(*f));
	char *owned;
	const char **all = with_quirks(args, &owned);

	buf_init(&f->log);
	assert_int_equal(simproc_start(&f->sim, sim_bin, all), 0);
	free(all);
	free(owned);
	snprintf(f->api, sizeof(f->api), "%s/public/v1alpha", f->sim.base);
	snprintf(f->token_url, sizeof(f->token_url), "%s/v1/auth/token",
		 f->sim.base);
	client_config_init(&f->cfg);
	f->cfg.api = f->api;
	f->cfg.token_url = f->token_url;
	f->cfg.seed = 42;
	f->cfg.backoff_base_ms = 20;
	f->cfg.backoff_cap_ms = 200;
	f->cfg.log = log_line;
	f->cfg.log_ctx = &f->log;
	fix_client(f);
	return f;
}

void fix_stop(struct fix *f)
{
	client_free(f->c);
	assert_int_equal(simproc_stop(&f->sim, SIGTERM), 0);
	buf_release(&f->log);
	free(f);
}

int fix_setup(void **state)
{
	static const char *const args[] = { "--rate-limit", "0",
					    "--runner-quota", "100", NULL };

	*state = fix_start(args);
	return 0;
}

int fix_teardown(void **state)
{
	fix_stop(*state);
	return 0;
}

/* Each test starts from the seed, no faults, a fresh client. */
int fix_reset(void **state)
{
	struct fix *f = *state;

	json_decref(control(f, "POST", "/_sim/reset", NULL));
	client_config_init(&f->cfg);
	f->cfg.api = f->api;
	f->cfg.token_url = f->token_url;
	f->cfg.seed = 42;
	f->cfg.backoff_base_ms = 20;
	f->cfg.backoff_cap_ms = 200;
	f->cfg.log = log_line;
	f->cfg.log_ctx = &f->log;
	buf_reset(&f->log);
	fix_client(f);
	return 0;
}

int call(struct fix *f, const char *method, const char *path,
		json_t *body, json_t **out, struct buf *err)
{
	buf_reset(err);
	return client_call(f->c, f->admin, method, path, body, out, err);
}

json_t *must_call(struct fix *f, const char *method, const char *path,
			 json_t *body)
{
	struct buf err = BUF_INIT;
	json_t *out = NULL;
	int rc = call(f, method, path, body, &out, &err);

	if (rc)
		fprintf(stderr, "%s %s: %s\n", method, path, err.s);
	assert_int_equal(rc, CLIENT_OK);
	buf_release(&err);
	return out;
}

