/*
 * Integration tests of torq-sim: the real binary (argv[1], or $TORQ_SIM)
 * driven over real HTTP with libcurl. The server runs under $VALGRIND
 * when that is set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "simproc.h"
#include "torq/buf.h"
#include "torq/sha256.h"
#include "torq/sim/util.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static const char *sim_bin;
static struct simproc main_sim;
static char *admin;		/* a token of sim-admin on main_sim */
static CURL *curl;
/*
 * Use a new connection for the next call: libcurl silently retries once
 * when a reused connection closes without an answer, hiding a drop.
 */
static int fresh_connection;

/* HTTP. */

struct resp {
	long status;		/* 0: no answer (dropped connection) */
	json_t *json;		/* NULL: empty body or not JSON */
	struct buf body;
	char *retry_after, *cache_control, *content_type;
	double seconds;
};

static void resp_release(struct resp *r)
{
	json_decref(r->json);
	buf_release(&r->body);
	free(r->retry_after);
	free(r->cache_control);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
	buf_init(&r->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	buf_add(&((struct resp *)ctx)->body, p, size * n);
	return size * n;
}

static void header_value(const char *line, size_t len, const char *name,
			 char **out)
{
	size_t nlen = strlen(name);

	if (len <= nlen + 1 || strncasecmp(line, name, nlen) ||
	    line[nlen] != ':')
		return;
	line += nlen + 1;
	len -= nlen + 1;
	while (len && *line == ' ')
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	free(*out);
	*out = xstrndup(line, len);
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;

	header_value(p, size * n, "Retry-After", &r->retry_after);
	header_value(p, size * n, "Cache-Control", &r->cache_control);
	header_value(p, size * n, "Content-Type", &r->content_type);
	return size * n;
}

/*
 * One request. auth is a bearer token, or "basic:ID:SECRET" for the token
 * endpoint; body NULL sends none. Returns the status.
 */
static long call(const struct simproc *p, const char *method,
		 const char *path, const char *auth, const char *body,
		 struct resp *r)
{
	struct buf url = BUF_INIT, hdr = BUF_INIT;
	struct curl_slist *hdrs = NULL;
	struct timespec t0, t1;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body);
	buf_addf(&url, "%s%s", p->base, path);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url.s);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
	if (fresh_connection)
		curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
	fresh_connection = 0;
	if (auth && !strncmp(auth, "basic:", 6)) {
		curl_easy_setopt(curl, CURLOPT_USERPWD, auth + 6);
	} else if (auth) {
		buf_addf(&hdr, "Authorization: Bearer %s", auth);
		hdrs = curl_slist_append(hdrs, hdr.s);
	}
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(body));
		if (strncmp(body, "grant_type", 10) &&
		    strncmp(body, "client_id", 9))
			hdrs = curl_slist_append(
				hdrs, "Content-Type: application/json");
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (r->body.len)
		r->json = json_loadb(r->body.s, r->body.len, 0, NULL);
	curl_slist_free_all(hdrs);
	buf_release(&url);
	buf_release(&hdr);
	return r->status;
}

/* A status-only call. */
static long status_of(const struct simproc *p, const char *method,
		      const char *path, const char *auth, const char *body)
{
	struct resp r;
	long s = call(p, method, path, auth, body, &r);

	resp_release(&r);
	return s;
}

/* A call that must answer want; returns the JSON (new reference). */
static json_t *must(const struct simproc *p, const char *method,
		    const char *path, const char *auth, const char *body,
		    long want)
{
	struct resp r;
	json_t *j;

	call(p, method, path, auth, body, &r);
	if (r.status != want)
		fprintf(stderr, "%s %s: %ld, wanted %ld: %s\n", method, path,
			r.status, want, r.body.s);
	assert_int_equal(r.status, want);
	j = json_incref(r.json);
	resp_release(&r);
	return j;
}

static char *token_for(const struct simproc *p, const char *id,
		       const char *secret)
{
	struct buf auth = BUF_INIT;
	json_t *j;
	char *tok;

	buf_addf(&auth, "basic:%s:%s", id, secret);
	j = must(p, "POST", "/v1/auth/token", auth.s,
		 "grant_type=client_credentials", 200);
	tok = xstrdup(json_string_value(json_object_get(j, "access_token")));
	json_decref(j);
	buf_release(&auth);
	return tok;
}

/* Follow "a.b[2].c" into j (borrowed), or NULL. */
static json_t *jget(json_t *j, const char *path)
{
	char key[128];

	while (j && *path) {
		size_t n = strcspn(path, ".[");

		if (n) {
			if (n >= sizeof(key))
				return NULL;
			memcpy(key, path, n);
			key[n] = '\0';
			j = json_object_get(j, key);
			path += n;
		} else if (*path == '[') {
			long i;
			char *end;

			i = strtol(path + 1, &end, 10);
			j = json_array_get(j, (size_t)i);
			path = end + (*end == ']');
		} else {
			path++;
		}
	}
	return j;
}

static const char *jstr(json_t *j, const char *path)
{
	return json_string_value(jget(j, path));
}

static long long jint(json_t *j, const char *path)
{
	return json_integer_value(jget(j, path));
}

static void assert_error(json_t *j, int code)
{
	assert_non_null(j);
	assert_int_equal(jint(j, "code"), code);
	assert_non_null(jstr(j, "message"));
	assert_true(json_is_array(jget(j, "details")));
}

/* The id of the role named name in the caller's workspace (new string). */
static char *role_id(const struct simproc *p, const char *tok,
		     const char *name)
{
	json_t *j = must(p, "GET", "/v1alpha/roles", tok, NULL, 200), *r;
	char *id = NULL;
	size_t i;

	json_array_foreach(json_object_get(j, "roles"), i, r)
		if (!strcmp(jstr(r, "name"), name))
			id = xstrdup(jstr(r, "id"));
	json_decref(j);
	assert_non_null(id);
	return id;
}

static void start(struct simproc *p, const char *const *args)
{
	assert_int_equal(simproc_start(p, sim_bin, args), 0);
}

static void stop(struct simproc *p)
{
	assert_int_equal(simproc_stop(p, SIGTERM), 0);
}

/* A fresh workspace on main_sim; its token in *tok (new string). */
static void new_workspace(const char *name, char **tok)
{
	struct buf body = BUF_INIT;
	json_t *j;

	buf_addf(&body, "{\"name\": \"%s\"}", name);
	j = must(&main_sim, "POST", "/v1alpha/workspaces", admin, body.s,
		 200);
	*tok = token_for(&main_sim, jstr(j, "api_key.client_id"),
			 jstr(j, "api_key.client_secret"));
	json_decref(j);
	buf_release(&body);
}

static int reset_main(void **unused)
{
	(void)unused;
	assert_int_equal(status_of(&main_sim, "POST", "/_sim/reset", NULL,
				   NULL), 200);
	free(admin);
	admin = token_for(&main_sim, "sim-admin", "sim-admin-secret");
	return 0;
}

/* Run the binary with args; its exit code, its output in out. */
static int run_cli(const char *args, struct buf *out)
{
	struct buf cmd = BUF_INIT;
	const char *vg = getenv("VALGRIND");
	char chunk[512];
	size_t n;
	FILE *f;
	int status;

	buf_addf(&cmd, "%s %s %s 2>&1", vg ? vg : "", sim_bin, args);
	f = popen(cmd.s, "r");
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	status = pclose(f);
	buf_release(&cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Tokens. */

static void test_sim_token(void **unused)
{
	struct resp r;

	(void)unused;
	call(&main_sim, "POST", "/v1/auth/token",
	     "basic:sim-admin:sim-admin-secret",
	     "grant_type=client_credentials", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(strlen(jstr(r.json, "access_token")), 36);
	assert_int_equal(jint(r.json, "expires_in"), 3600);
	assert_string_equal(jstr(r.json, "token_type"), "Bearer");
	assert_string_equal(r.cache_control, "no-store");
	resp_release(&r);

	call(&main_sim, "POST", "/v1/auth/token", "basic:sim-admin:wrong",
	     "grant_type=client_credentials", &r);
	assert_int_equal(r.status, 401);
	assert_error(r.json, 16);
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "POST", "/v1/auth/token",
				   "basic:nobody:x",
				   "grant_type=client_credentials"), 401);
	call(&main_sim, "POST", "/v1/auth/token",
	     "basic:sim-admin:sim-admin-secret", "grant_type=password", &r);
	assert_int_equal(r.status, 400);
	assert_error(r.json, 3);
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "POST", "/v1/auth/token",
				   "basic:sim-admin:sim-admin-secret", ""),
			 400);
	/* credentials in the form body work too */
	assert_int_equal(status_of(&main_sim, "POST", "/v1/auth/token", NULL,
				   "grant_type=client_credentials&client_id="
				   "sim-admin&client_secret=sim-admin-secret"),
			 200);
}

static void test_sim_auth_and_prefixes(void **unused)
{
	json_t *a, *b, *c;
	struct resp r;

	(void)unused;
	a = must(&main_sim, "GET", "/public/v1alpha/roles", admin, NULL, 200);
	b = must(&main_sim, "GET", "/v1alpha/roles", admin, NULL, 200);
	c = must(&main_sim, "GET", "/v1alpha/users/roles", admin, NULL, 200);
	assert_int_equal(json_array_size(jget(a, "roles")), 10);
	assert_true(json_equal(a, b));
	assert_true(json_equal(a, c));
	assert_null(jget(a, "next_page_token"));
	assert_string_equal(jstr(a, "roles[0].name"), "Owner");
	assert_true(json_is_array(jget(a, "roles[0].scope_names")));
	assert_null(jget(a, "roles[0].is_custom"));
	json_decref(a);
	json_decref(b);
	json_decref(c);

	call(&main_sim, "GET", "/v1alpha/roles", NULL, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_error(r.json, 16);
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/roles",
				   "00000000-0000-4000-8000-000000000000",
				   NULL), 401);
	call(&main_sim, "GET", "/v1alpha/nothing", admin, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_error(r.json, 5);
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "GET", "/v2/roles", admin,
				   NULL), 404);
}

static void test_sim_token_expiry(void **unused)
{
	const char *const args[] = { "--token-ttl", "1", NULL };
	struct simproc p;
	struct resp r;
	char *tok;

	(void)unused;
	start(&p, args);
	call(&p, "POST", "/v1/auth/token", "basic:sim-admin:sim-admin-secret",
	     "grant_type=client_credentials", &r);
	assert_int_equal(jint(r.json, "expires_in"), 1);
	resp_release(&r);
	tok = token_for(&p, "sim-admin", "sim-admin-secret");
	assert_int_equal(status_of(&p, "GET", "/v1alpha/roles", tok, NULL),
			 200);
	sim_sleep_ms(1200);
	call(&p, "GET", "/v1alpha/roles", tok, NULL, &r);
	assert_int_equal(r.status, 302);
	assert_int_equal(r.body.len, 0);
	resp_release(&r);
	free(tok);
	tok = token_for(&p, "sim-admin", "sim-admin-secret");
	assert_int_equal(status_of(&p, "GET", "/v1alpha/roles", tok, NULL),
			 200);
	free(tok);
	stop(&p);
}

/* Workspaces. */

static void test_sim_workspaces(void **unused)
{
	json_t *j, *ws;
	char *tok, *t1, *t2;
	struct resp r;

	(void)unused;
	j = must(&main_sim, "GET", "/v1alpha/workspaces", admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "workspaces")), 1);
	ws = jget(j, "workspaces[0]");
	assert_string_equal(jstr(ws, "name"), "Template");
	assert_int_equal(strlen(jstr(ws, "id")), 36);
	assert_int_equal(strlen(jstr(ws, "created_at")), 30);
	assert_int_equal(jint(ws, "workflows_usage"), 2);
	assert_int_equal(jint(ws, "nested_usage"), 1);
	assert_int_equal(jint(ws, "editors_usage"), 3);
	assert_int_equal(jint(ws, "cases_operators_usage"), 1);
	assert_int_equal(jint(ws, "runners_usage"), 1);
	assert_int_equal(json_array_size(jget(ws, "owners_emails")), 1);
	assert_string_equal(jstr(ws, "owners_emails[0]"),
			    "owner@example.com");
	json_decref(j);

	j = must(&main_sim, "POST", "/public/v1alpha/workspaces", admin,
		 "{\"name\": \"Acme\", \"copy_sso_config\": true}", 200);
	assert_string_equal(jstr(j, "workspace.name"), "Acme");
	assert_int_equal(jint(j, "workspace.editors_usage"), 1);
	assert_null(jget(j, "workspace.workflows_usage"));
	assert_string_equal(jstr(j, "workspace.owners_emails[0]"),
			    "owner@example.com");
	assert_non_null(jstr(j, "api_key.client_id"));
	assert_non_null(jstr(j, "api_key.client_secret"));
	assert_null(jget(j, "workspace.api_key"));
	tok = token_for(&main_sim, jstr(j, "api_key.client_id"),
			jstr(j, "api_key.client_secret"));
	json_decref(j);

	/* the new key works, in the new workspace, with its own roles */
	j = must(&main_sim, "GET", "/v1alpha/users", tok, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "users")), 1);
	assert_string_equal(jstr(j, "users[0].email"), "owner@example.com");
	assert_string_equal(jstr(j, "users[0].status"), "VERIFIED");
	t1 = role_id(&main_sim, tok, "Owner");
	assert_string_equal(jstr(j, "users[0].role_id"), t1);
	t2 = role_id(&main_sim, admin, "Owner");
	assert_string_not_equal(t1, t2);
	free(t1);
	free(t2);
	json_decref(j);

	call(&main_sim, "POST", "/v1alpha/workspaces", admin,
	     "{\"name\": \"ACME\"}", &r);
	assert_int_equal(r.status, 409);
	assert_error(r.json, 6);
	resp_release(&r);
	call(&main_sim, "POST", "/v1alpha/workspaces", admin, "{\"name\":",
	     &r);
	assert_int_equal(r.status, 400);
	assert_error(r.json, 3);
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/workspaces",
				   admin, "{\"name\": 7}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/workspaces",
				   admin, "{}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/workspaces",
				   admin, "{\"name\": \"X\", "
				   "\"copy_sso_config\": \"yes\"}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/workspaces",
				   admin, "[1]"), 400);

	j = must(&main_sim, "GET", "/v1alpha/workspaces", tok, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "workspaces")), 2);
	json_decref(j);
	free(tok);
}

/* Users. */

static void test_sim_users(void **unused)
{
	json_t *j;
	char *viewer, *creator, *id;
	struct resp r;
	struct buf path = BUF_INIT, body = BUF_INIT;

	(void)unused;
	j = must(&main_sim, "GET", "/v1alpha/users", admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "users")), 4);
	assert_null(jget(j, "users[0].sso_provision"));
	assert_non_null(jstr(j, "users[0].last_login_time"));
	assert_null(jget(j, "users[1].last_login_time"));
	json_decref(j);
	j = must(&main_sim, "GET", "/v1alpha/users?sso_provision=false",
		 admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "users")), 4);
	json_decref(j);
	j = must(&main_sim, "GET", "/v1alpha/users?sso_provision=true", admin,
		 NULL, 200);
	assert_int_equal(json_array_size(jget(j, "users")), 1);
	assert_string_equal(jstr(j, "users[0].email"), "carol@example.com");
	assert_true(json_is_true(jget(j, "users[0].sso_provision")));
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "GET",
				   "/v1alpha/users?sso_provision=maybe",
				   admin, NULL), 400);

	viewer = role_id(&main_sim, admin, "Viewer");
	creator = role_id(&main_sim, admin, "Creator");
	j = must(&main_sim, "POST", "/v1alpha/users/invite", admin,
		 "{\"email\": \"new@example.com\"}", 200);
	assert_string_equal(jstr(j, "email"), "new@example.com");
	assert_string_equal(jstr(j, "status"), "INVITATION_SENT");
	assert_string_equal(jstr(j, "role_id"), viewer);
	id = xstrdup(jstr(j, "id"));
	json_decref(j);

	call(&main_sim, "POST", "/v1alpha/users/invite", admin,
	     "{\"email\": \"NEW@example.com\"}", &r);
	assert_int_equal(r.status, 409);
	assert_error(r.json, 6);
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/users/invite",
				   admin, "{\"email\": \"x@example.com\", "
				   "\"role_id\": \"nope\"}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/users/invite",
				   admin, "{\"role_id\": \"x\"}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/users/invite",
				   admin, "{\"email\": \"no-at-sign\"}"),
			 400);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/users/invite",
				   admin, "{\"email\": [\"a@b.c\"]}"), 400);

	buf_addf(&path, "/v1alpha/users/%s", id);
	buf_addf(&body, "{\"role_id\": \"%s\"}", creator);
	j = must(&main_sim, "PATCH", path.s, admin, body.s, 200);
	assert_string_equal(jstr(j, "role_id"), creator);
	assert_string_equal(jstr(j, "id"), id);
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "PATCH", path.s, admin,
				   "{\"role_id\": \"bogus\"}"), 400);
	assert_int_equal(status_of(&main_sim, "PATCH", path.s, admin, "{}"),
			 400);
	assert_int_equal(status_of(&main_sim, "PATCH", "/v1alpha/users/nope",
				   admin, body.s), 404);
	j = must(&main_sim, "DELETE", path.s, admin, NULL, 200);
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "DELETE", path.s, admin, NULL),
			 404);
	j = must(&main_sim, "GET", "/v1alpha/users", admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "users")), 4);
	json_decref(j);
	free(viewer);
	free(creator);
	free(id);
	buf_release(&path);
	buf_release(&body);
}

/* Claim mappings. */

static void add_mappings(const char *tok, const char *role,
			 const char *values, char ids[][40])
{
	struct buf body = BUF_INIT;
	json_t *j;
	size_t i;

	for (i = 0; values[i]; i++) {
		buf_reset(&body);
		buf_addf(&body, "{\"claim_name\": \"groups\", \"claim_value\":"
			 " \"%c\", \"role_id\": \"%s\"}", values[i], role);
		j = must(&main_sim, "POST", "/v1alpha/sso/claim_mappings", tok,
			 body.s, 200);
		assert_int_equal(jint(j, "rank"), (long long)i + 1);
		snprintf(ids[i], 40, "%s", jstr(j, "id"));
		json_decref(j);
	}
	buf_release(&body);
}

static void assert_order(const char *tok, const char *want)
{
	json_t *j = must(&main_sim, "GET", "/v1alpha/sso/claim_mappings", tok,
			 NULL, 200), *m;
	size_t i;

	assert_int_equal(json_array_size(jget(j, "claim_mappings")),
			 strlen(want));
	json_array_foreach(jget(j, "claim_mappings"), i, m) {
		assert_int_equal(jstr(m, "claim_value")[0], want[i]);
		assert_int_equal(jint(m, "rank"), (long long)i + 1);
	}
	json_decref(j);
}

static void test_sim_claim_mappings(void **unused)
{
	char *tok, *viewer, ids[5][40];
	struct buf path = BUF_INIT;
	json_t *j;

	(void)unused;
	new_workspace("Claims", &tok);
	viewer = role_id(&main_sim, tok, "Viewer");
	add_mappings(tok, viewer, "abcde", ids);
	assert_order(tok, "abcde");

	buf_addf(&path, "/v1alpha/sso/claim_mappings/%s", ids[2]);
	j = must(&main_sim, "PATCH", path.s, tok, "{\"rank\": 2}", 200);
	assert_int_equal(jint(j, "rank"), 2);
	assert_string_equal(jstr(j, "claim_value"), "c");
	json_decref(j);
	assert_order(tok, "acbde");
	/* rank as a proto3 int64 string, and a move down */
	j = must(&main_sim, "PATCH", path.s, tok, "{\"rank\": \"5\"}", 200);
	json_decref(j);
	assert_order(tok, "abdec");
	assert_int_equal(status_of(&main_sim, "PATCH", path.s, tok,
				   "{\"rank\": 0}"), 400);
	assert_int_equal(status_of(&main_sim, "PATCH", path.s, tok,
				   "{\"rank\": 6}"), 400);
	assert_int_equal(status_of(&main_sim, "PATCH", path.s, tok,
				   "{\"rank\": true}"), 400);
	assert_int_equal(status_of(&main_sim, "PATCH", path.s, tok,
				   "{\"role_id\": \"nope\"}"), 400);
	j = must(&main_sim, "PATCH", path.s, tok,
		 "{\"claim_value\": \"c2\"}", 200);
	assert_string_equal(jstr(j, "claim_value"), "c2");
	assert_int_equal(jint(j, "rank"), 5);
	json_decref(j);
	j = must(&main_sim, "GET", path.s, tok, NULL, 200);
	assert_string_equal(jstr(j, "id"), ids[2]);
	assert_string_equal(jstr(j, "role_id"), viewer);
	assert_string_equal(jstr(j, "claim_name"), "groups");
	json_decref(j);

	buf_reset(&path);
	buf_addf(&path, "/v1alpha/sso/claim_mappings/%s", ids[1]);
	j = must(&main_sim, "DELETE", path.s, tok, NULL, 200);
	json_decref(j);
	assert_order(tok, "adec");
	assert_int_equal(status_of(&main_sim, "GET", path.s, tok, NULL), 404);
	assert_int_equal(status_of(&main_sim, "PATCH", path.s, tok,
				   "{\"rank\": 1}"), 404);
	assert_int_equal(status_of(&main_sim, "DELETE", path.s, tok, NULL),
			 404);
	assert_int_equal(status_of(&main_sim, "POST",
				   "/v1alpha/sso/claim_mappings", tok,
				   "{\"claim_name\": \"g\", \"claim_value\":"
				   " \"v\"}"), 400);
	free(tok);
	free(viewer);
	buf_release(&path);
}

/* Paging. */

static void test_sim_paging(void **unused)
{
	char *tok, *viewer, ids[5][40];
	struct buf path = BUF_INIT;
	json_t *j, *w;
	char *next;

	(void)unused;
	new_workspace("Pages", &tok);
	viewer = role_id(&main_sim, tok, "Viewer");
	add_mappings(tok, viewer, "abcde", ids);

	j = must(&main_sim, "GET", "/v1alpha/sso/claim_mappings?page_size=2",
		 tok, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "claim_mappings")), 2);
	assert_string_equal(jstr(j, "claim_mappings[0].claim_value"), "a");
	next = xstrdup(jstr(j, "next_page_token"));
	json_decref(j);
	buf_addf(&path, "/v1alpha/sso/claim_mappings?page_size=2&"
		 "page_token=%s", next);
	free(next);
	j = must(&main_sim, "GET", path.s, tok, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "claim_mappings")), 2);
	assert_string_equal(jstr(j, "claim_mappings[0].claim_value"), "c");
	assert_int_equal(jint(j, "claim_mappings[0].rank"), 3);
	next = xstrdup(jstr(j, "next_page_token"));
	json_decref(j);
	buf_reset(&path);
	buf_addf(&path, "/v1alpha/sso/claim_mappings?pageSize=2&"
		 "pageToken=%s", next);
	j = must(&main_sim, "GET", path.s, tok, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "claim_mappings")), 1);
	assert_string_equal(jstr(j, "claim_mappings[0].claim_value"), "e");
	assert_null(jget(j, "next_page_token"));
	json_decref(j);

	/* a token of another list, a broken one, a bad size */
	buf_reset(&path);
	buf_addf(&path, "/v1alpha/workflows?page_token=%s", next);
	free(next);
	assert_int_equal(status_of(&main_sim, "GET", path.s, tok, NULL), 400);
	assert_int_equal(status_of(&main_sim, "GET",
				   "/v1alpha/sso/claim_mappings?page_token="
				   "!!notbase64", tok, NULL), 400);
	assert_int_equal(status_of(&main_sim, "GET",
				   "/v1alpha/sso/claim_mappings?page_token="
				   "OTk6eA", tok, NULL), 400);
	assert_int_equal(status_of(&main_sim, "GET",
				   "/v1alpha/sso/claim_mappings?page_size=x",
				   tok, NULL), 400);
	assert_int_equal(status_of(&main_sim, "GET",
				   "/v1alpha/sso/claim_mappings?page_size=-1",
				   tok, NULL), 400);
	j = must(&main_sim, "GET",
		 "/v1alpha/sso/claim_mappings?page_size=1000", tok, NULL,
		 200);
	assert_int_equal(json_array_size(jget(j, "claim_mappings")), 5);
	json_decref(j);
	/* an empty list omits its field */
	j = must(&main_sim, "GET", "/v1alpha/workflows", tok, NULL, 200);
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
	/* the name filter is part of the list */
	j = must(&main_sim, "GET", "/v1alpha/workflows?page_size=1", admin,
		 NULL, 200);
	w = jget(j, "next_page_token");
	assert_non_null(w);
	buf_reset(&path);
	buf_addf(&path, "/v1alpha/workflows?name=Offboarding&page_token=%s",
		 json_string_value(w));
	assert_int_equal(status_of(&main_sim, "GET", path.s, admin, NULL),
			 400);
	json_decref(j);
	free(tok);
	free(viewer);
	buf_release(&path);
}

/* Integrations. */

static void test_sim_integrations(void **unused)
{
	json_t *j;
	char *id, *dump;
	struct buf path = BUF_INIT;

	(void)unused;
	j = must(&main_sim, "GET", "/v1alpha/integrations", admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "integrations")), 3);
	assert_null(jget(j, "integrations[0].parameters"));
	json_decref(j);
	j = must(&main_sim, "GET", "/v1alpha/integrations?type_id=webhook",
		 admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "integrations")), 1);
	assert_string_equal(jstr(j, "integrations[0].name"),
			    "phishing_webhook");
	assert_non_null(jstr(j, "integrations[0].details.trigger."
			     "webhook_url"));
	json_decref(j);

	j = must(&main_sim, "POST", "/v1alpha/integrations", admin,
		 "{\"display_name\": \"My  Jira-Cloud!\", \"type_id\": "
		 "\"jira\", \"parameters\": {\"url\": \"https://x\", "
		 "\"token\": \"s3cret\"}}", 200);
	assert_string_equal(jstr(j, "name"), "my_jira_cloud");
	assert_string_equal(jstr(j, "display_name"), "My  Jira-Cloud!");
	assert_string_equal(jstr(j, "type_id"), "jira");
	assert_string_equal(jstr(j, "created_by"), "owner@example.com");
	assert_null(jget(j, "parameters"));
	dump = json_dumps(j, 0);
	assert_null(strstr(dump, "s3cret"));
	free(dump);
	/* documented: sharing_data; invented fields are gone */
	assert_string_equal(jstr(j, "sharing_data.direction"), "not_shared");
	assert_null(jget(j, "parameters_fingerprint"));
	id = xstrdup(jstr(j, "id"));
	json_decref(j);

	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/integrations",
				   admin, "{\"display_name\": \"my  jira-cloud"
				   "!\", \"type_id\": \"jira\"}"), 409);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/integrations",
				   admin, "{\"display_name\": \"Y\"}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/integrations",
				   admin, "{\"display_name\": \"Y\", "
				   "\"type_id\": \"t\", \"parameters\": 3}"),
			 400);

	buf_addf(&path, "/v1alpha/integrations/%s", id);
	j = must(&main_sim, "PATCH", path.s, admin,
		 "{\"parameters\": {\"url\": \"https://y\"}}", 200);
	assert_null(jget(j, "parameters"));
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "PATCH", path.s, admin,
				   "{\"display_name\": \"Other\"}"), 400);
	j = must(&main_sim, "DELETE", path.s, admin, NULL, 200);
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "DELETE", path.s, admin, NULL),
			 404);
	assert_int_equal(status_of(&main_sim, "PATCH", path.s, admin, "{}"),
			 404);
	/* the secret is in the state, never in an answer */
	j = must(&main_sim, "GET", "/v1alpha/integrations", admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "integrations")), 3);
	json_decref(j);
	free(id);
	buf_release(&path);
}

/*
 * An integration shared into another workspace (/_sim/share): incoming
 * there, usable but refused any change; outgoing where it comes from.
 */
static void test_sim_share(void **unused)
{
	struct buf body = BUF_INIT, path = BUF_INIT;
	struct resp r;
	json_t *j;
	char *tok, *id;

	(void)unused;
	new_workspace("Shared into", &tok);
	j = must(&main_sim, "POST", "/v1alpha/integrations", admin,
		 "{\"display_name\": \"To share\", \"type_id\": \"slack\","
		 " \"parameters\": {\"token\": \"x\"}}", 200);
	id = xstrdup(jstr(j, "id"));
	json_decref(j);
	buf_addf(&body, "{\"integration_id\": \"%s\", \"to\": \"shared "
		 "INTO\"}", id);
	j = must(&main_sim, "POST", "/_sim/share", NULL, body.s, 200);
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "POST", "/_sim/share", NULL,
				   "{\"integration_id\": \"nope\", \"to\": "
				   "\"Template\"}"), 400);
	j = must(&main_sim, "GET", "/v1alpha/integrations", tok, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "integrations")), 1);
	assert_string_equal(jstr(j, "integrations[0].sharing_data.direction"),
			    "incoming");
	assert_non_null(jstr(j, "integrations[0].sharing_data."
			     "workspace_ids[0]"));
	json_decref(j);
	buf_addf(&path, "/v1alpha/integrations/%s", id);
	call(&main_sim, "PATCH", path.s, tok, "{\"parameters\": {}}", &r);
	assert_int_equal(r.status, 403);
	assert_error(r.json, 7);
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "DELETE", path.s, tok, NULL),
			 403);
	j = must(&main_sim, "GET", "/v1alpha/integrations", admin, NULL, 200);
	json_decref(j);
	j = must(&main_sim, "PATCH", path.s, admin, "{\"parameters\": {}}",
		 200);
	assert_string_equal(jstr(j, "sharing_data.direction"), "outgoing");
	json_decref(j);
	j = must(&main_sim, "DELETE", path.s, admin, NULL, 200);
	json_decref(j);
	free(tok);
	free(id);
	buf_release(&body);
	buf_release(&path);
}

/* Step runners. */

static void test_sim_step_runners(void **unused)
{
	struct buf body = BUF_INIT, path = BUF_INIT;
	json_t *j;
	char *tok, *id = NULL;
	struct resp r;
	int i;

	(void)unused;
	j = must(&main_sim, "GET", "/v1alpha/step_runners", admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "step_runners")), 1);
	assert_string_equal(jstr(j, "step_runners[0].name"), "primary_runner");
	assert_null(jget(j, "step_runners[0].install_command"));
	json_decref(j);

	new_workspace("Runners", &tok);
	for (i = 0; i < 10; i++) {
		buf_reset(&body);
		buf_addf(&body, "{\"display_name\": \"Runner %d\", "
			 "\"platform\": \"%s\", \"kubernetes_options\": "
			 "{\"allow_cluster_management\": %s}}", i,
			 i % 2 ? "docker" : "kubernetes", i ? "false" : "true");
		j = must(&main_sim, "POST", "/v1alpha/step_runners", tok,
			 body.s, 200);
		assert_non_null(jstr(j, "step_runner.install_command"));
		buf_reset(&path);
		buf_addf(&path, "Runner %d", i);
		assert_string_equal(jstr(j, "step_runner.display_name"),
				    path.s);
		buf_reset(&path);
		buf_addf(&path, "runner_%d", i);
		assert_string_equal(jstr(j, "step_runner.name"), path.s);
		if (!i) {
			/* the documented StepRunner: no platform, options */
			assert_null(jget(j, "step_runner.kubernetes_options"));
			assert_null(jget(j, "step_runner.platform"));
			assert_non_null(jstr(j, "step_runner.created_time"));
			id = xstrdup(jstr(j, "step_runner.id"));
		}
		json_decref(j);
	}
	call(&main_sim, "POST", "/v1alpha/step_runners", tok,
	     "{\"display_name\": \"Eleven\", \"platform\": \"docker\"}", &r);
	assert_int_equal(r.status, 429);
	assert_error(r.json, 8);
	resp_release(&r);
	j = must(&main_sim, "GET", "/v1alpha/workspaces", tok, NULL, 200);
	assert_int_equal(jint(j, "workspaces[1].runners_usage"), 10);
	json_decref(j);

	buf_reset(&path);
	buf_addf(&path, "/v1alpha/step_runners/%s", id);
	j = must(&main_sim, "DELETE", path.s, tok, NULL, 200);
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "DELETE", path.s, tok, NULL),
			 404);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/step_runners",
				   tok, "{\"display_name\": \"Runner 1\", "
				   "\"platform\": \"docker\"}"), 409);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/step_runners",
				   tok, "{\"display_name\": \"Z\", "
				   "\"platform\": \"vm\"}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/step_runners",
				   tok, "{\"display_name\": \"Z\", "
				   "\"platform\": \"docker\", "
				   "\"kubernetes_options\": "
				   "{\"allow_cluster_management\": 1}}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/step_runners",
				   tok, "{\"display_name\": \"Again\", "
				   "\"platform\": \"docker\"}"), 200);
	free(tok);
	free(id);
	buf_release(&body);
	buf_release(&path);
}

/* Workflows. */

static char *import(const char *tok, const char *body, char **rev)
{
	json_t *j = must(&main_sim, "POST", "/v1alpha/workflows/import", tok,
			 body, 200);
	char *id = xstrdup(jstr(j, "workflow_id"));

	if (rev)
		*rev = xstrdup(jstr(j, "revision_id"));
	json_decref(j);
	return id;
}

static long publish(const char *tok, const char *wf, const char *rev,
		    json_t **out)
{
	struct buf path = BUF_INIT;
	struct resp r;
	long s;

	buf_addf(&path, "/v1alpha/workflows/%s/revisions/%s/publish", wf, rev);
	s = call(&main_sim, "PATCH", path.s, tok,
		 "{\"description\": \"v1\", \"time_saved\": 30.5}", &r);
	if (out)
		*out = json_incref(r.json);
	resp_release(&r);
	buf_release(&path);
	return s;
}

static void test_sim_workflows(void **unused)
{
	json_t *j;
	char *child, *child2, *parent, *rev0, *rev1, *prev;
	struct buf path = BUF_INIT;
	struct resp r;

	(void)unused;
	j = must(&main_sim, "GET", "/v1alpha/workflows", admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "workflows")), 5);
	json_decref(j);
	j = must(&main_sim, "GET", "/v1alpha/workflows?name=Phishing%20triage",
		 admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "workflows")), 1);
	assert_null(jget(j, "workflows[0].trigger"));	/* undocumented */
	assert_string_equal(jstr(j, "workflows[0].tags[0].name"), "phishing");
	assert_string_equal(jstr(j, "workflows[0].current_revision_id"),
			    jstr(j, "workflows[0].published_revision_id"));
	buf_addf(&path, "/v1alpha/workflows/%s/revisions/%s",
		 jstr(j, "workflows[0].id"),
		 jstr(j, "workflows[0].current_revision_id"));
	json_decref(j);
	j = must(&main_sim, "GET", path.s, admin, NULL, 200);
	assert_non_null(strstr(jstr(j, "revision.yaml"),
			       "workflow: Enrich IOC"));
	assert_non_null(jstr(j, "revision.workflow_id"));
	json_decref(j);
	j = must(&main_sim, "GET", "/v1alpha/workflows?name=Daily%20report",
		 admin, NULL, 200);
	assert_null(jget(j, "workflows[0].published_revision_id"));
	assert_null(jget(j, "workflows[0].tags"));
	json_decref(j);

	/* import always makes a new workflow */
	child = import(admin, "{\"yaml\": \"name: Child\\ntrigger:\\n  type:"
		       " nested\\n\"}", &rev0);
	child2 = import(admin, "{\"yaml\": \"name: Child\\n\"}", NULL);
	assert_string_not_equal(child, child2);
	j = must(&main_sim, "GET", "/v1alpha/workflows?name=Child", admin,
		 NULL, 200);
	assert_int_equal(json_array_size(jget(j, "workflows")), 2);
	json_decref(j);
	buf_reset(&path);
	buf_addf(&path, "/v1alpha/workflows/%s", child2);
	j = must(&main_sim, "DELETE", path.s, admin, NULL, 200);
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "GET", path.s, admin, NULL),
			 404);
	assert_int_equal(status_of(&main_sim, "DELETE", path.s, admin, NULL),
			 404);

	/* a parent cannot be published before its nested child */
	parent = import(admin, "{\"name\": \"Parent\", \"yaml\": \"name: "
			"Ignored\\ntrigger:\\n  type: webhook\\nsteps:\\n  - "
			"type: nested\\n    workflow: Child\\n\"}", &prev);
	assert_int_equal(publish(admin, parent, prev, &j), 400);
	assert_error(j, 9);
	assert_non_null(strstr(jstr(j, "message"), "Child"));
	json_decref(j);

	/* only the current revision */
	buf_reset(&path);
	buf_addf(&path, "/v1alpha/workflows/%s", child);
	j = must(&main_sim, "PUT", path.s, admin, "{\"yaml\": \"name: Child\\n"
		 "trigger:\\n  type: nested\\nsteps: []\\n\"}", 200);
	rev1 = xstrdup(jstr(j, "current_revision_id"));
	assert_string_not_equal(rev0, rev1);
	assert_null(jget(j, "published_revision_id"));
	json_decref(j);
	assert_int_equal(publish(admin, child, rev0, &j), 400);
	assert_error(j, 9);
	json_decref(j);
	assert_int_equal(publish(admin, child, "nope", &j), 404);
	json_decref(j);
	assert_int_equal(publish(admin, child, rev1, &j), 200);
	assert_string_equal(jstr(j, "published_revision_id"), rev1);
	assert_string_equal(jstr(j, "name"), "Child");
	json_decref(j);
	assert_int_equal(publish(admin, child, rev1, &j), 200);
	assert_string_equal(jstr(j, "published_revision_id"), rev1);
	json_decref(j);
	assert_int_equal(publish(admin, parent, prev, &j), 200);
	assert_string_equal(jstr(j, "name"), "Parent");
	json_decref(j);

	/* the metrics follow */
	j = must(&main_sim, "GET", "/v1alpha/workspaces", admin, NULL, 200);
	assert_int_equal(jint(j, "workspaces[0].workflows_usage"), 3);
	assert_int_equal(jint(j, "workspaces[0].nested_usage"), 2);
	json_decref(j);

	/* tags do not make a revision */
	buf_reset(&path);
	buf_addf(&path, "/v1alpha/workflows/%s/tags", parent);
	j = must(&main_sim, "POST", path.s, admin, "{\"name\": \"prod\"}",
		 200);
	assert_string_equal(jstr(j, "tags[0].name"), "prod");
	assert_string_equal(jstr(j, "current_revision_id"), prev);
	json_decref(j);
	j = must(&main_sim, "POST", path.s, admin, "{\"name\": \"prod\"}",
		 200);
	assert_int_equal(json_array_size(jget(j, "tags")), 1);
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "POST", path.s, admin, "{}"),
			 400);
	buf_addstr(&path, "/prod");
	j = must(&main_sim, "DELETE", path.s, admin, NULL, 200);
	assert_null(jget(j, "tags"));
	assert_string_equal(jstr(j, "current_revision_id"), prev);
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "DELETE", path.s, admin, NULL),
			 404);

	/* bad imports */
	call(&main_sim, "POST", "/v1alpha/workflows/import", admin,
	     "{\"yaml\": \"a: [\"}", &r);
	assert_int_equal(r.status, 400);
	assert_error(r.json, 3);
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "POST",
				   "/v1alpha/workflows/import", admin,
				   "{\"yaml\": \"trigger: x\\n\"}"), 400);
	assert_int_equal(status_of(&main_sim, "POST",
				   "/v1alpha/workflows/import", admin,
				   "{\"yaml\": \"- a\\n\"}"), 400);
	assert_int_equal(status_of(&main_sim, "POST",
				   "/v1alpha/workflows/import", admin,
				   "{\"yaml\": 5}"), 400);
	assert_int_equal(status_of(&main_sim, "GET",
				   "/v1alpha/workflows/nope", admin, NULL),
			 404);
	buf_reset(&path);
	buf_addf(&path, "/v1alpha/workflows/%s/revisions/nope", parent);
	assert_int_equal(status_of(&main_sim, "GET", path.s, admin, NULL),
			 404);
	free(child);
	free(child2);
	free(parent);
	free(rev0);
	free(rev1);
	free(prev);
	buf_release(&path);
}

/* Bad requests. */

static void test_sim_bad_requests(void **unused)
{
	struct buf big = BUF_INIT;
	struct resp r;

	(void)unused;
	buf_addstr(&big, "{\"email\": \"");
	buf_addchars(&big, 'x', 2u << 20);
	buf_addstr(&big, "@example.com\"}");
	call(&main_sim, "POST", "/v1alpha/users/invite", admin, big.s, &r);
	assert_int_equal(r.status, 413);
	assert_non_null(r.json);
	resp_release(&r);
	call(&main_sim, "POST", "/v1alpha/users/invite", admin, "{bad", &r);
	assert_int_equal(r.status, 400);
	assert_error(r.json, 3);
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/users/invite",
				   admin, "\"str\""), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/users/invite",
				   admin, "{\"email\": \"a@b.c\", "
				   "\"email\": \"d@e.f\"}"), 400);
	/* still alive */
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/users", admin,
				   NULL), 200);
	buf_release(&big);
}

/* Rate limit. */

static void test_sim_rate_limit(void **unused)
{
	const char *const args[] = { "--rate-limit", "5", NULL };
	struct simproc p;
	struct resp r;
	char *tok;
	int i;

	(void)unused;
	start(&p, args);
	tok = token_for(&p, "sim-admin", "sim-admin-secret");
	for (i = 0; i < 5; i++)
		assert_int_equal(status_of(&p, "GET", "/v1alpha/roles", tok,
					   NULL), 200);
	call(&p, "GET", "/v1alpha/roles", tok, NULL, &r);
	assert_int_equal(r.status, 429);
	assert_error(r.json, 8);
	assert_non_null(r.retry_after);
	assert_string_equal(r.retry_after, "1");
	resp_release(&r);
	/* the controls are never limited */
	assert_int_equal(status_of(&p, "GET", "/_sim/stats", NULL, NULL),
			 200);
	sim_sleep_ms(1100);
	assert_int_equal(status_of(&p, "GET", "/v1alpha/roles", tok, NULL),
			 200);
	free(tok);
	stop(&p);
}

/* Faults. */

static void set_faults(const struct simproc *p, const char *rules)
{
	json_t *j = must(p, "POST", "/_sim/faults", NULL, rules, 200);

	json_decref(j);
}

static void test_sim_faults(void **unused)
{
	struct resp r;
	char seq1[41], seq2[41];
	int i, pass;

	(void)unused;
	/* status on the nth match, with Retry-After */
	set_faults(&main_sim, "{\"rules\": [{\"route\": \"GET /v1alpha/roles\","
		   " \"kind\": \"status\", \"status\": 503, \"retry_after\": 2,"
		   " \"nth\": 2}]}");
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/roles", admin,
				   NULL), 200);
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/users", admin,
				   NULL), 200);
	call(&main_sim, "GET", "/public/v1alpha/roles", admin, NULL, &r);
	assert_int_equal(r.status, 503);
	assert_error(r.json, 14);
	assert_string_equal(r.retry_after, "2");
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/roles", admin,
				   NULL), 200);

	/* a dropped connection, once */
	set_faults(&main_sim, "{\"rules\": [{\"route\": \"GET /v1alpha/users\","
		   " \"kind\": \"drop\", \"count\": 1}]}");
	fresh_connection = 1;
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/users", admin,
				   NULL), 0);
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/users", admin,
				   NULL), 200);

	/* latency */
	set_faults(&main_sim, "{\"rules\": [{\"route\": \"*\", \"kind\": "
		   "\"latency\", \"latency_ms\": 300}]}");
	call(&main_sim, "GET", "/v1alpha/roles", admin, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(r.seconds >= 0.3);
	resp_release(&r);

	/* token expiry */
	set_faults(&main_sim, "{\"rules\": [{\"route\": "
		   "\"GET /v1alpha/roles\", \"kind\": \"expire_token\", "
		   "\"count\": 1}]}");
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/roles", admin,
				   NULL), 302);
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/users", admin,
				   NULL), 302);
	free(admin);
	admin = token_for(&main_sim, "sim-admin", "sim-admin-secret");
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/roles", admin,
				   NULL), 200);

	/* a 429 fault says Retry-After: 1 */
	set_faults(&main_sim, "{\"rules\": [{\"kind\": \"status\", \"status\":"
		   " 429, \"every\": 1}]}");
	call(&main_sim, "GET", "/v1alpha/users", admin, NULL, &r);
	assert_int_equal(r.status, 429);
	assert_error(r.json, 8);
	assert_string_equal(r.retry_after, "1");
	resp_release(&r);

	/* a seeded rate repeats */
	for (pass = 0; pass < 2; pass++) {
		char *seq = pass ? seq2 : seq1;

		set_faults(&main_sim, "{\"rules\": [{\"route\": "
			   "\"GET /v1alpha/roles\", \"kind\": \"status\", "
			   "\"status\": 502, \"rate\": 0.5}], \"seed\": 42}");
		for (i = 0; i < 40; i++)
			seq[i] = status_of(&main_sim, "GET", "/v1alpha/roles",
					   admin, NULL) == 200 ? '.' : 'x';
		seq[40] = '\0';
	}
	assert_string_equal(seq1, seq2);
	assert_non_null(strchr(seq1, 'x'));
	assert_non_null(strchr(seq1, '.'));

	/* bad rules are refused and keep the old ones */
	assert_int_equal(status_of(&main_sim, "POST", "/_sim/faults", NULL,
				   "{\"rules\": [{\"kind\": \"boom\"}]}"),
			 400);
	assert_int_equal(status_of(&main_sim, "POST", "/_sim/faults", NULL,
				   "{\"rules\": [{\"kind\": \"drop\", "
				   "\"rate\": 2}]}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/_sim/faults", NULL,
				   "{\"rules\": [{\"kind\": \"drop\", "
				   "\"nth\": 1, \"every\": 2}]}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/_sim/faults", NULL,
				   "{\"rules\": [{\"kind\": \"drop\", "
				   "\"rout\": \"*\"}]}"), 400);
	assert_int_equal(status_of(&main_sim, "POST", "/_sim/faults", NULL,
				   "nope"), 400);
	call(&main_sim, "DELETE", "/_sim/faults", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	resp_release(&r);
	call(&main_sim, "GET", "/_sim/faults", NULL, NULL, &r);
	assert_int_equal(json_array_size(jget(r.json, "rules")), 0);
	resp_release(&r);
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/roles", admin,
				   NULL), 200);
}

static void test_sim_fault_rate_option(void **unused)
{
	const char *const args[] = { "--fault-rate", "1", "--fault-seed", "7",
				     NULL };
	struct simproc p;
	int i, failures = 0;

	(void)unused;
	start(&p, args);
	for (i = 0; i < 8; i++) {
		long s = status_of(&p, "GET", "/v1alpha/roles", "x", NULL);

		assert_true(s == 0 || s == 429 || s == 502 || s == 503);
		failures++;
	}
	assert_int_equal(failures, 8);
	/* the controls are never faulted */
	assert_int_equal(status_of(&p, "GET", "/_sim/stats", NULL, NULL), 200);
	stop(&p);
}

/* Stats and reset. */

static void test_sim_stats(void **unused)
{
	json_t *j;

	(void)unused;
	assert_int_equal(status_of(&main_sim, "POST", "/_sim/reset", NULL,
				   NULL), 200);
	free(admin);
	admin = token_for(&main_sim, "sim-admin", "sim-admin-secret");
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/roles", admin,
				   NULL), 200);
	assert_int_equal(status_of(&main_sim, "GET", "/public/v1alpha/roles",
				   admin, NULL), 200);
	assert_int_equal(status_of(&main_sim, "POST", "/v1alpha/users/invite",
				   admin, "{\"email\": \"s@example.com\"}"),
			 200);
	assert_int_equal(status_of(&main_sim, "PATCH", "/v1alpha/users/nope",
				   admin, "{}"), 404);
	assert_int_equal(status_of(&main_sim, "GET", "/_sim/state", NULL,
				   NULL), 200);
	j = must(&main_sim, "GET", "/_sim/stats", NULL, NULL, 200);
	assert_int_equal(jint(j, "requests_total"), 5);
	assert_int_equal(jint(j, "mutations_total"), 1);
	assert_int_equal(jint(j, "by_route.POST /v1/auth/token"), 1);
	assert_int_equal(jint(j, "by_route.GET /v1alpha/roles"), 2);
	assert_int_equal(jint(j, "by_route.POST /v1alpha/users/invite"), 1);
	assert_int_equal(jint(j, "by_route.PATCH /v1alpha/users/{id}"), 1);
	assert_int_equal(jint(j, "by_status.200"), 4);
	assert_int_equal(jint(j, "by_status.404"), 1);
	assert_int_equal(jint(j, "by_workspace.Template"), 4);
	json_decref(j);

	/* reset: the seed again, counters zeroed, old tokens gone */
	j = must(&main_sim, "POST", "/_sim/reset", NULL, NULL, 200);
	json_decref(j);
	j = must(&main_sim, "GET", "/_sim/stats", NULL, NULL, 200);
	assert_int_equal(jint(j, "requests_total"), 0);
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "GET", "/v1alpha/roles", admin,
				   NULL), 401);
	free(admin);
	admin = token_for(&main_sim, "sim-admin", "sim-admin-secret");
	j = must(&main_sim, "GET", "/v1alpha/users", admin, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "users")), 4);
	json_decref(j);
	j = must(&main_sim, "GET", "/_sim/state", NULL, NULL, 200);
	assert_string_equal(jstr(j, "workspaces[0].api_keys[0].client_id"),
			    "sim-admin");
	json_decref(j);
	assert_int_equal(status_of(&main_sim, "GET", "/_sim/nothing", NULL,
				   NULL), 404);
}

/* Persistence. */

static void test_sim_persistence(void **unused)
{
	char dir[] = "/tmp/torq-sim-test-XXXXXX";
	struct buf file = BUF_INIT;
	const char *args[3] = { "--state", NULL, NULL };
	struct dirent *e;
	DIR *d;
	struct simproc p;
	json_t *j, *saved;
	char *tok;

	(void)unused;
	assert_non_null(mkdtemp(dir));
	buf_addf(&file, "%s/state.json", dir);
	args[1] = file.s;
	start(&p, args);
	tok = token_for(&p, "sim-admin", "sim-admin-secret");
	j = must(&p, "POST", "/v1alpha/workspaces", tok,
		 "{\"name\": \"Persisted\"}", 200);
	json_decref(j);
	j = must(&p, "POST", "/v1alpha/users/invite", tok,
		 "{\"email\": \"kept@example.com\"}", 200);
	json_decref(j);
	assert_int_equal(simproc_stop(&p, SIGKILL), 128 + SIGKILL);

	saved = json_load_file(file.s, 0, NULL);
	assert_non_null(saved);
	assert_int_equal(json_array_size(jget(saved, "workspaces")), 2);
	assert_string_equal(jstr(saved, "workspaces[1].name"), "Persisted");
	json_decref(saved);

	start(&p, args);
	/* the same token still works after the restart */
	j = must(&p, "GET", "/v1alpha/workspaces", tok, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "workspaces")), 2);
	json_decref(j);
	j = must(&p, "GET", "/v1alpha/users", tok, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "users")), 5);
	json_decref(j);
	stop(&p);
	/* no temporary file is left behind */
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			assert_string_equal(e->d_name, "state.json");
	closedir(d);
	unlink(file.s);
	rmdir(dir);
	free(tok);
	buf_release(&file);
}

/* A --seed fixture: creation off, a Viewer key. */

static const char fixture[] =
	"{\"organization\": {\"automatic_workspace_creation\": false},"
	" \"workspaces\": [{\"name\": \"Solo\","
	"  \"api_keys\": [{\"client_id\": \"owner-key\", \"client_secret\":"
	"   \"s1\", \"email\": \"o@example.com\"},"
	"   {\"client_id\": \"viewer-key\", \"client_secret\": \"s2\","
	"    \"email\": \"v@example.com\"}],"
	"  \"users\": [{\"email\": \"o@example.com\", \"role\": \"Owner\"},"
	"   {\"email\": \"v@example.com\", \"role\": \"viewer\"}],"
	"  \"workflows\": [{\"yaml\": \"name: W\\n\", \"published\": true}]"
	"}]}";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_sim_seed(void **unused)
{
	char path[] = "/tmp/torq-sim-seed-XXXXXX";
	const char *args[3] = { "--seed", path, NULL };
	struct simproc p;
	struct resp r;
	json_t *j;
	char *owner, *viewer;
	int fd;

	(void)unused;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, fixture);
	start(&p, args);
	owner = token_for(&p, "owner-key", "s1");
	viewer = token_for(&p, "viewer-key", "s2");
	call(&p, "POST", "/v1alpha/workspaces", owner, "{\"name\": \"New\"}",
	     &r);
	assert_int_equal(r.status, 403);
	assert_error(r.json, 7);
	resp_release(&r);
	call(&p, "POST", "/v1alpha/users/invite", viewer,
	     "{\"email\": \"z@example.com\"}", &r);
	assert_int_equal(r.status, 403);
	assert_error(r.json, 7);
	resp_release(&r);
	assert_int_equal(status_of(&p, "DELETE", "/v1alpha/users/x", viewer,
				   NULL), 403);
	j = must(&p, "POST", "/v1alpha/users/invite", owner,
		 "{\"email\": \"z@example.com\"}", 200);
	json_decref(j);
	j = must(&p, "GET", "/v1alpha/workspaces", viewer, NULL, 200);
	assert_string_equal(jstr(j, "workspaces[0].name"), "Solo");
	assert_int_equal(jint(j, "workspaces[0].workflows_usage"), 1);
	assert_int_equal(jint(j, "workspaces[0].editors_usage"), 1);
	json_decref(j);
	j = must(&p, "GET", "/v1alpha/roles", viewer, NULL, 200);
	assert_int_equal(json_array_size(jget(j, "roles")), 10);
	json_decref(j);
	stop(&p);

	/* a broken fixture stops the start with a message */
	write_file(path, "{\"workspaces\": [{\"name\": \"S\", \"users\": "
		   "[{\"email\": \"a@b.c\", \"role\": \"Boss\"}]}]}");
	{
		struct buf out = BUF_INIT, a = BUF_INIT;

		buf_addf(&a, "--seed %s", path);
		assert_int_equal(run_cli(a.s, &out), 1);
		assert_non_null(strstr(out.s, "unknown role 'Boss'"));
		buf_release(&out);
		buf_release(&a);
	}
	unlink(path);
	free(owner);
	free(viewer);
}

/*
 * A large list paged through in small pages: every user once, in order,
 * whichever of the two user lists; a change between pages is seen by the
 * next page (nothing is served from before it), and a token whose offset
 * the shrunk list no longer reaches is refused.
 */

#define BIG_USERS 1000

static int big_is_sso(int i)
{
	return i && !(i % 3);	/* the owner (0) is local */
}

/* Page through list (query) at size 7; the emails, in order, into seen. */
static void page_all(const struct simproc *p, const char *tok,
		     const char *query, json_t *seen, char **late)
{
	struct buf path = BUF_INIT;
	char *next = NULL;
	json_t *j, *u;
	size_t i, pages = 0;

	do {
		buf_reset(&path);
		buf_addf(&path, "/v1alpha/users?%s&page_size=7%s%s", query,
			 next ? "&page_token=" : "", next ? next : "");
		j = must(p, "GET", path.s, tok, NULL, 200);
		json_array_foreach(jget(j, "users"), i, u)
			json_array_append(seen, json_object_get(u, "email"));
		assert_true(json_array_size(jget(j, "users")) == 7 ||
			    !jget(j, "next_page_token"));
		free(next);
		next = jget(j, "next_page_token") ?
		       xstrdup(jstr(j, "next_page_token")) : NULL;
		/* a token near the end of the list, for later */
		if (late && next && !*late && json_array_size(seen) >= 646)
			*late = xstrdup(next);
		json_decref(j);
		pages++;
	} while (next);
	assert_int_equal(pages, (json_array_size(seen) + 6) / 7);
	buf_release(&path);
}

static void test_sim_paging_large(void **unused)
{
	char path[] = "/tmp/torq-sim-big-XXXXXX";
	const char *args[] = { "--seed", path, "--rate-limit", "0", NULL };
	struct buf seed = BUF_INIT, url = BUF_INIT, email = BUF_INIT;
	json_t *local = json_array(), *sso = json_array(), *j, *u;
	char *tok, *late = NULL;
	struct simproc p;
	size_t nl = 0, ns = 0, i;
	int fd, k;

	(void)unused;
	buf_addstr(&seed, "{\"workspaces\": [{\"name\": \"Big\", "
		   "\"api_keys\": [{\"client_id\": \"big\", \"client_secret\": "
		   "\"s\", \"email\": \"u0000@example.com\"}], \"users\": [");
	for (k = 0; k < BIG_USERS; k++)
		buf_addf(&seed, "%s{\"email\": \"u%04d@example.com\", "
			 "\"role\": \"%s\"%s}", k ? ", " : "", k,
			 k ? "Viewer" : "Owner",
			 big_is_sso(k) ? ", \"sso_provision\": true" : "");
	buf_addstr(&seed, "]}]}");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, seed.s);
	start(&p, args);
	tok = token_for(&p, "big", "s");

	page_all(&p, tok, "sso_provision=false", local, &late);
	page_all(&p, tok, "ssoProvision=true", sso, NULL);
	for (k = 0; k < BIG_USERS; k++) {
		json_t *list = big_is_sso(k) ? sso : local;
		size_t at = big_is_sso(k) ? ns++ : nl++;

		buf_reset(&email);
		buf_addf(&email, "u%04d@example.com", k);
		assert_true(at < json_array_size(list));
		assert_string_equal(json_string_value(json_array_get(list,
								     at)),
				    email.s);
	}
	assert_int_equal(json_array_size(local), nl);
	assert_int_equal(json_array_size(sso), ns);
	assert_non_null(late);

	/* a token of one user list is refused by the other */
	buf_addf(&url, "/v1alpha/users?sso_provision=true&page_token=%s",
		 late);
	assert_int_equal(status_of(&p, "GET", url.s, tok, NULL), 400);

	/* a user invited between pages is on the next page */
	j = must(&p, "POST", "/v1alpha/users/invite", tok,
		 "{\"email\": \"zz@example.com\"}", 200);
	json_decref(j);
	json_array_clear(local);
	page_all(&p, tok, "sso_provision=false", local, NULL);
	assert_int_equal(json_array_size(local), nl + 1);
	assert_string_equal(json_string_value(json_array_get(local, nl)),
			    "zz@example.com");
	json_array_clear(sso);
	page_all(&p, tok, "sso_provision=true", sso, NULL);
	assert_int_equal(json_array_size(sso), ns);

	/* the list shrinks below the late token's offset: 400 */
	buf_reset(&url);
	buf_addf(&url, "/v1alpha/users?page_size=7&page_token=%s", late);
	assert_int_equal(status_of(&p, "GET", url.s, tok, NULL), 200);
	j = must(&p, "GET", "/v1alpha/users?page_size=20", tok, NULL, 200);
	json_array_foreach(jget(j, "users"), i, u) {
		if (!i)
			continue;	/* the owner keeps the key working */
		buf_reset(&email);
		buf_addf(&email, "/v1alpha/users/%s", jstr(u, "id"));
		assert_int_equal(status_of(&p, "DELETE", email.s, tok, NULL),
				 200);
	}
	json_decref(j);
	assert_int_equal(status_of(&p, "GET", url.s, tok, NULL), 400);

	stop(&p);
	unlink(path);
	free(tok);
	free(late);
	json_decref(local);
	json_decref(sso);
	buf_release(&seed);
	buf_release(&url);
	buf_release(&email);
}

/* Quirks. */

static void test_sim_quirks(void **unused)
{
	const char *const args[] = {
		"--quirks", "api-key-nested,int64-strings,empty-next-token,"
		"invite-existing-200,expired-401,no-retry-after", NULL,
	};
	const char *const args400[] = {
		"--quirks", "invite-existing-400", NULL,
	};
	struct simproc p;
	struct resp r;
	json_t *j;
	char *tok;

	(void)unused;
	start(&p, args);
	tok = token_for(&p, "sim-admin", "sim-admin-secret");
	j = must(&p, "POST", "/v1alpha/workspaces", tok, "{\"name\": \"Q\"}",
		 200);
	assert_non_null(jstr(j, "workspace.api_key.client_secret"));
	assert_null(jget(j, "api_key"));
	json_decref(j);
	j = must(&p, "GET", "/v1alpha/sso/claim_mappings", tok, NULL, 200);
	assert_string_equal(jstr(j, "claim_mappings[0].rank"), "1");
	assert_string_equal(jstr(j, "claim_mappings[3].rank"), "4");
	assert_string_equal(jstr(j, "next_page_token"), "");
	json_decref(j);
	j = must(&p, "POST", "/v1alpha/users/invite", tok,
		 "{\"email\": \"Alice@example.com\"}", 200);
	assert_string_equal(jstr(j, "email"), "alice@example.com");
	assert_string_equal(jstr(j, "status"), "VERIFIED");
	json_decref(j);
	set_faults(&p, "{\"rules\": [{\"kind\": \"status\", \"status\": 429,"
		   " \"nth\": 1}]}");
	call(&p, "GET", "/v1alpha/roles", tok, NULL, &r);
	assert_int_equal(r.status, 429);
	assert_null(r.retry_after);
	resp_release(&r);
	set_faults(&p, "{\"rules\": [{\"kind\": \"expire_token\"}]}");
	call(&p, "GET", "/v1alpha/roles", tok, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_error(r.json, 16);
	resp_release(&r);
	free(tok);
	stop(&p);

	start(&p, args400);
	tok = token_for(&p, "sim-admin", "sim-admin-secret");
	call(&p, "POST", "/v1alpha/users/invite", tok,
	     "{\"email\": \"bob@example.com\"}", &r);
	assert_int_equal(r.status, 400);
	assert_error(r.json, 3);
	resp_release(&r);
	free(tok);
	stop(&p);
}

/*
 * What the docs do not say, behind quirks: a runner's platform answered;
 * extra-fields adds unknown fields and drops optional ones everywhere.
 */
static void test_sim_evidence_quirks(void **unused)
{
	const char *const args[] = {
		"--quirks", "runner-platform,extra-fields", NULL,
	};
	struct simproc p;
	json_t *j;
	char *tok;

	(void)unused;
	start(&p, args);
	tok = token_for(&p, "sim-admin", "sim-admin-secret");
	j = must(&p, "POST", "/v1alpha/step_runners", tok,
		 "{\"display_name\": \"K\", \"platform\": \"kubernetes\", "
		 "\"kubernetes_options\": {\"allow_cluster_management\": "
		 "true}}", 200);
	assert_string_equal(jstr(j, "step_runner.platform"), "kubernetes");
	assert_true(json_is_true(jget(j, "step_runner.kubernetes_options."
				      "allow_cluster_management")));
	assert_true(json_is_true(jget(j, "step_runner.x_sim_flag")));
	assert_true(json_is_true(jget(j, "x_sim_flag")));
	json_decref(j);
	j = must(&p, "GET", "/v1alpha/integrations", tok, NULL, 200);
	assert_non_null(jget(j, "integrations[0].x_sim_unknown"));
	assert_null(jget(j, "integrations[0].created_by"));
	assert_null(jget(j, "integrations[0].sharing_data"));
	assert_non_null(jstr(j, "integrations[0].created_at"));
	json_decref(j);
	free(tok);
	stop(&p);
}

/* The command line. */

static void test_sim_cli(void **unused)
{
	struct buf out = BUF_INIT;

	(void)unused;
	assert_int_equal(run_cli("--help", &out), 0);
	assert_non_null(strstr(out.s, "usage: torq-sim"));
	assert_non_null(strstr(out.s, "--rate-limit RPS"));
	buf_reset(&out);
	assert_int_equal(run_cli("--port abc", &out), 1);
	assert_non_null(strstr(out.s, "torq-sim: option '--port'"));
	buf_reset(&out);
	assert_int_equal(run_cli("--quirks expird-401", &out), 1);
	assert_non_null(strstr(out.s, "did you mean 'expired-401'"));
	buf_reset(&out);
	assert_int_equal(run_cli("--rate-limt 3", &out), 1);
	assert_non_null(strstr(out.s, "did you mean '--rate-limit'"));
	buf_reset(&out);
	assert_int_equal(run_cli("--fault-rate 2", &out), 1);
	buf_reset(&out);
	assert_int_equal(run_cli("extra", &out), 1);
	buf_reset(&out);
	assert_int_equal(run_cli("--seed /nonexistent/seed.json", &out), 1);
	assert_non_null(strstr(out.s, "cannot read '/nonexistent/seed.json'"));
	buf_release(&out);
}

static int setup(void **unused)
{
	const char *const args[] = { "--rate-limit", "0", NULL };

	(void)unused;
	curl = curl_easy_init();
	if (simproc_start(&main_sim, sim_bin, args))
		return -1;
	admin = token_for(&main_sim, "sim-admin", "sim-admin-secret");
	return 0;
}

static int teardown(void **unused)
{
	int rc;

	(void)unused;
	free(admin);
	admin = NULL;
	curl_easy_cleanup(curl);
	rc = simproc_stop(&main_sim, SIGTERM);
	if (rc)
		fprintf(stderr, "torq-sim exited with %d\n", rc);
	return rc ? -1 : 0;
}

#define T(f) cmocka_unit_test_setup(f, reset_main)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_sim_token),
		T(test_sim_auth_and_prefixes),
		T(test_sim_token_expiry),
		T(test_sim_workspaces),
		T(test_sim_users),
		T(test_sim_claim_mappings),
		T(test_sim_paging),
		T(test_sim_integrations),
		T(test_sim_step_runners),
		T(test_sim_workflows),
		T(test_sim_bad_requests),
		T(test_sim_rate_limit),
		T(test_sim_faults),
		T(test_sim_fault_rate_option),
		T(test_sim_stats),
		T(test_sim_persistence),
		T(test_sim_seed),
		T(test_sim_paging_large),
		T(test_sim_quirks),
		T(test_sim_evidence_quirks),
		T(test_sim_share),
		T(test_sim_cli),
	};
	int rc;

	sim_bin = argc > 1 ? argv[1] : getenv("TORQ_SIM");
	if (!sim_bin) {
		fprintf(stderr, "usage: test_sim PATH-TO-TORQ-SIM\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("torq-sim", tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
