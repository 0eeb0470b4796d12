/*
 * libFuzzer harness for torq-sim's request handling, without HTTP: the
 * first input byte picks a route (with real ids of the seed put in its
 * path), the second a query string, the rest is the request body. Every
 * run starts from the seed. The emulator must answer everything with a
 * status and a JSON body, never crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "torq/sim/api.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sim_config cfg;
static struct sim_state state;
static struct sim_faults faults;
static struct sim_api api;
static char ids[6][64];	/* user, claim mapping, integration, runner, workflow, revision */

static const struct {
	const char *method;
	const char *path;	/* %1..%6: ids[0..5] */
} routes[] = {
	{ "GET", "/v1alpha/workspaces" }, { "POST", "/v1alpha/workspaces" },
	{ "GET", "/v1alpha/users" }, { "POST", "/v1alpha/users/invite" },
	{ "PATCH", "/v1alpha/users/%1" }, { "DELETE", "/v1alpha/users/%1" },
	{ "GET", "/public/v1alpha/roles" }, { "GET", "/v1alpha/users/roles" },
	{ "GET", "/v1alpha/sso/claim_mappings" },
	{ "POST", "/v1alpha/sso/claim_mappings" },
	{ "GET", "/v1alpha/sso/claim_mappings/%2" },
	{ "PATCH", "/v1alpha/sso/claim_mappings/%2" },
	{ "DELETE", "/v1alpha/sso/claim_mappings/%2" },
	{ "GET", "/v1alpha/integrations" }, { "POST", "/v1alpha/integrations" },
	{ "PATCH", "/v1alpha/integrations/%3" },
	{ "DELETE", "/v1alpha/integrations/%3" },
	{ "GET", "/v1alpha/step_runners" }, { "POST", "/v1alpha/step_runners" },
	{ "DELETE", "/v1alpha/step_runners/%4" },
	{ "GET", "/v1alpha/workflows" }, { "GET", "/v1alpha/workflows/%5" },
	{ "PUT", "/v1alpha/workflows/%5" },
	{ "DELETE", "/v1alpha/workflows/%5" },
	{ "GET", "/v1alpha/workflows/%5/revisions/%6" },
	{ "PATCH", "/v1alpha/workflows/%5/revisions/%6/publish" },
	{ "POST", "/v1alpha/workflows/import" },
	{ "POST", "/v1alpha/workflows/%5/tags" },
	{ "DELETE", "/v1alpha/workflows/%5/tags/phishing" },
	{ "POST", "/_sim/faults" }, { "POST", "/v1/auth/token" },
	{ "GET", "/v1alpha/%1/%2/%3" },
};

static const char *const queries[] = {
	"", "page_size=1", "page_size=0", "page_size=101", "page_token=xyz",
	"pageSize=2&pageToken=MTpmb28", "sso_provision=true", "type_id=slack",
	"name=Enrich%20IOC", "page_size=-1", "page_size=99999999999999999999",
};

static json_t *call(const char *method, const char *path, const char *auth,
		    const char *body, size_t len, const char *query)
{
	struct sim_request req;
	struct sim_response res;
	json_t *j;

	sim_request_init(&req);
	req.method = method;
	req.path = path;
	req.authorization = auth;
	req.body = body;
	req.body_len = len;
	if (query && *query) {
		/* one key=value is enough to reach the paging code */
		char *q = xstrdup(query), *eq = strchr(q, '=');

		if (eq) {
			*eq = '\0';
			ALLOC_GROW(req.params, req.params_nr + 1,
				   req.params_alloc);
			req.params[req.params_nr].key = xstrdup(q);
			req.params[req.params_nr].value = xstrdup(eq + 1);
			req.params_nr++;
		}
		free(q);
	}
	sim_response_init(&res);
	sim_api_handle(&api, &req, &res);
	if (!res.drop && (res.status < 200 || res.status > 599))
		abort();
	j = json_loadb(res.body.s, res.body.len, 0, NULL);
	if (!res.drop && res.body.len && !j)
		abort();	/* every answer is JSON */
	sim_response_release(&res);
	sim_request_release(&req);
	return j;
}

static void token(struct buf *auth)
{
	/* Basic base64("sim-admin:sim-admin-secret") */
	json_t *j = call("POST", "/v1/auth/token",
			 "Basic c2ltLWFkbWluOnNpbS1hZG1pbi1zZWNyZXQ=",
			 "grant_type=client_credentials", 29, NULL);

	buf_reset(auth);
	buf_addf(auth, "Bearer %s",
		 json_string_value(json_object_get(j, "access_token")));
	json_decref(j);
}

static void first_id(const char *auth, const char *path, const char *list,
		     const char *field, char *out)
{
	json_t *j = call("GET", path, auth, NULL, 0, NULL);
	const char *id = json_string_value(json_object_get(
		json_array_get(json_object_get(j, list), 0), field));

	snprintf(out, 64, "%s", id ? id : "none");
	json_decref(j);
}

static void setup(void)
{
	struct buf err = BUF_INIT, auth = BUF_INIT;

	sim_config_init(&cfg);
	cfg.rate_limit = 0;
	if (sim_state_init(&state, NULL, NULL, &err))
		abort();
	sim_faults_init(&faults, &cfg);
	sim_api_init(&api, &cfg, &state, &faults);
	token(&auth);
	first_id(auth.s, "/v1alpha/users", "users", "id", ids[0]);
	first_id(auth.s, "/v1alpha/sso/claim_mappings", "claim_mappings",
		 "id", ids[1]);
	first_id(auth.s, "/v1alpha/integrations", "integrations", "id",
		 ids[2]);
	first_id(auth.s, "/v1alpha/step_runners", "step_runners", "id",
		 ids[3]);
	first_id(auth.s, "/v1alpha/workflows", "workflows", "id", ids[4]);
	first_id(auth.s, "/v1alpha/workflows", "workflows",
		 "current_revision_id", ids[5]);
	buf_release(&auth);
	buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct buf path = BUF_INIT, auth = BUF_INIT, err = BUF_INIT;
	const char *p;
	size_t r;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 2)
		return 0;
	r = data[0] % (sizeof(routes) / sizeof(routes[0]));
	for (p = routes[r].path; *p; p++) {
		if (*p == '%' && p[1] >= '1' && p[1] <= '6')
			buf_addstr(&path, ids[*++p - '1']);
		else
			buf_addch(&path, *p);
	}
	token(&auth);
	json_decref(call(routes[r].method, path.s, auth.s,
			 (const char *)data + 2, size - 2,
			 queries[data[1] % (sizeof(queries) /
					    sizeof(queries[0]))]));
	/* Faults installed by the input must not leak into the next run. */
	json_decref(call("DELETE", "/_sim/faults", NULL, NULL, 0, NULL));
	if (sim_state_reset(&state, &err))
		abort();
	buf_release(&path);
	buf_release(&auth);
	buf_release(&err);
	return 0;
}
