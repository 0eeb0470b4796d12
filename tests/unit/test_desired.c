/* The desired state: a resolved manifest as a struct model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
#include "torq/desired.h"
#include "torq/manifest.h"
#include "torq/banned.h"

#define SINGLE "manifests/examples/single-workspace.yaml"
#define GLOBEX "manifests/examples/msp-globex.yaml"
#define SOC "manifests/templates/soc.yaml"

/* Values no output may ever show. */
#define ENV_CANARY "env-canary-4f1d"
#define FILE_CANARY "file-canary-9a2c"

struct fixture {
	struct testdir d;
	struct doc doc;
	struct diag_list diags;
	struct model m;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	testdir_make(&f->d, "torq-desired");
	doc_init(&f->doc);
	diag_list_init(&f->diags, 0);
	model_init(&f->m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testdir_remove(&f->d);
	model_release(&f->m);
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	test_free(f);
	return 0;
}

/* "DIR/name". */
static const char *in_dir(struct fixture *f, const char *name)
{
	return testdir_at(&f->d, name);
}

/* Write DIR/name, creating its directories. */
static void put(struct fixture *f, const char *name, const char *text)
{
	testdir_put(&f->d, name, text, strlen(text), 0644);
}

/*
 * Load the manifest at path, which must be valid, and convert it. Returns
 * what desired_from_manifest() returned.
 */
static int desired(struct fixture *f, const char *path)
{
	struct buf out = BUF_INIT;

	model_release(&f->m);
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	/* templates in ../ of a directory outside any git work tree */
	if (manifest_load(&f->doc, path, NULL, RESOLVE_EXTENDS_ANYWHERE,
			  &f->diags)) {
		diag_render(&f->diags, &out, doc_source_line, &f->doc, 0);
		fail_msg("'%s' is not valid:\n%s", path, out.s);
	}
	buf_release(&out);
	diag_list_release(&f->diags);
	return desired_from_manifest(&f->doc, &f->m, &f->diags);
}

static int desired_in_dir(struct fixture *f, const char *name)
{
	return desired(f, in_dir(f, name));
}

/* model_to_json as text; the caller frees it. */
static char *dump(const struct model *m)
{
	json_t *j = model_to_json(m);
	char *s = json_dumps(j, JSON_SORT_KEYS);

	json_decref(j);
	assert_non_null(s);
	return s;
}

static void assert_tags(const struct model_workflow *w, int set,
			const char *const *tags, size_t nr)
{
	size_t i;

	assert_int_equal(w->tags_set, set);
	assert_int_equal(w->tags_nr, nr);
	for (i = 0; i < nr; i++)
		assert_string_equal(w->tags[i], tags[i]);
}

static void assert_mark(const struct mark *m, const char *file,
			unsigned line, unsigned col)
{
	assert_non_null(m);
	assert_string_equal(m->file, file);
	if (m->line != line || m->col != col)
		fail_msg("mark %u:%u, expected %u:%u", m->line, m->col, line,
			 col);
}

/* The model holds nothing, as after a failure. */
static void assert_empty(const struct model *m)
{
	static const struct model zero;

	assert_memory_equal(m, &zero, sizeof(*m));
}

static void test_desired_single_workspace_example(void **state)
{
	static const char *const t_enrich[] = { "enrichment" };
	static const char *const t_phish[] = { "phishing", "tier-1" };
	static const char *const t_hr[] = { "hr" };
	struct fixture *f = *state;
	const struct model *m = &f->m;
	json_t *items, *params;
	char *s;

	setenv("SLACK_WEBHOOK", ENV_CANARY "-slack", 1);
	setenv("JIRA_TOKEN", ENV_CANARY "-jira", 1);
	assert_int_equal(desired(f, SINGLE), 0);
	assert_int_equal(f->diags.nr, 0);
	assert_int_equal(m->kinds, MODEL_USERS | MODEL_CLAIM_MAPPINGS |
			 MODEL_INTEGRATIONS | MODEL_RUNNERS | MODEL_WORKFLOWS);

	assert_string_equal(m->workspace.name, "acme SOC");
	assert_null(m->workspace.id);
	assert_int_equal(m->workspace.create, 1);
	assert_int_equal(m->workspace.copy_sso, 1);
	assert_null(m->workspace.credentials);
	/* ../../secrets/ from manifests/examples/: relative to the cwd */
	assert_string_equal(m->workspace.credentials_out, "secrets/acme.json");
	assert_string_equal(m->source_credentials, "secrets/template.json");
	assert_int_equal(m->copy_claims_from_source, 1);
	assert_int_equal(m->prune, 0);
	assert_int_equal(m->roles_nr, 0);

	assert_int_equal(m->claim_mappings_nr, 3);
	assert_int_equal(m->claim_mappings[0].rank, 1);
	assert_string_equal(m->claim_mappings[0].claim, "groups");
	assert_string_equal(m->claim_mappings[0].value, "acme-soc");
	assert_string_equal(m->claim_mappings[0].role, "Operator");
	assert_int_equal(m->claim_mappings[1].rank, 2);
	assert_string_equal(m->claim_mappings[1].value, "acme-soc-leads");
	assert_string_equal(m->claim_mappings[1].role, "Contributor");
	assert_int_equal(m->claim_mappings[2].rank, 3);
	assert_string_equal(m->claim_mappings[2].value, "acme-admins");
	assert_string_equal(m->claim_mappings[2].role, "Owner");
	assert_mark(m->claim_mappings[2].mark, SINGLE, 26, 7);

	assert_int_equal(m->users_nr, 4);
	assert_string_equal(m->users[0].email, "alice@acme.example");
	assert_string_equal(m->users[0].role, "Owner");
	assert_string_equal(m->users[1].email, "bob@acme.example");
	assert_string_equal(m->users[2].email, "carol@acme.example");
	assert_string_equal(m->users[3].email, "dave@acme.example");
	assert_string_equal(m->users[3].role, "Viewer");
	assert_int_equal(m->users[3].status, MODEL_USER_UNKNOWN);
	assert_null(m->users[3].id);
	assert_mark(m->users[0].mark, SINGLE, 29, 5);
	assert_mark(m->users[3].mark, SINGLE, 32, 5);

	assert_int_equal(m->integrations_nr, 2);
	assert_string_equal(m->integrations[0].name, "slack-acme");
	assert_string_equal(m->integrations[0].vendor, "slack");
	assert_string_equal(m->integrations[1].name, "jira-acme");
	assert_string_equal(m->integrations[1].vendor, "jira");
	assert_null(m->integrations[0].fingerprint);
	/* the doc's own parameters node, not a copy */
	items = json_object_get(f->doc.root, "integrations");
	params = json_object_get(json_array_get(items, 0), "parameters");
	assert_ptr_equal(m->integrations[0].parameters, params);
	assert_string_equal(json_string_value(json_object_get(params,
			    "channel")), "#acme-alerts");
	assert_true(doc_is_secret(&f->doc, json_object_get(params,
				  "webhook_url")));
	assert_mark(m->integrations[1].mark, SINGLE, 40, 5);

	assert_int_equal(m->runners_nr, 2);
	assert_string_equal(m->runners[0].name, "acme-k8s");
	assert_string_equal(m->runners[0].platform, "kubernetes");
	assert_int_equal(m->runners[0].allow_cluster_management, 0);
	assert_string_equal(m->runners[0].install_commands_out,
			    "runners/acme-k8s.sh");
	assert_string_equal(m->runners[1].name, "acme-docker");
	assert_string_equal(m->runners[1].platform, "docker");
	assert_string_equal(m->runners[1].install_commands_out,
			    "runners/acme-docker.sh");

	assert_int_equal(m->workflows_nr, 3);
	assert_string_equal(m->workflows[0].name, "Enrich IOC");
	assert_int_equal(m->workflows[0].from_source, 1);
	assert_int_equal(m->workflows[0].published, 1);
	assert_null(m->workflows[0].file);
	assert_tags(&m->workflows[0], 1, t_enrich, 1);
	assert_string_equal(m->workflows[1].name, "Phishing triage");
	assert_tags(&m->workflows[1], 1, t_phish, 2);
	assert_string_equal(m->workflows[2].name, "Offboarding");
	assert_int_equal(m->workflows[2].from_source, 0);
	assert_int_equal(m->workflows[2].published, 0);
	assert_null(m->workflows[2].content);
	assert_tags(&m->workflows[2], 1, t_hr, 1);
	/* usable from the current directory, where the tests run */
	assert_string_equal(m->workflows[2].file,
			    "manifests/examples/workflows/offboarding.yaml");
	assert_int_equal(access(m->workflows[2].file, R_OK), 0);

	s = dump(m);
	assert_null(strstr(s, "canary"));
	assert_non_null(strstr(s, SENSITIVE));
	free(s);
	unsetenv("SLACK_WEBHOOK");
	unsetenv("JIRA_TOKEN");
}

/* An MSP client: the template's objects merged with the client's. */
static void test_desired_msp_client_merges_template(void **state)
{
	static const char *const t_phish[] = { "phishing", "tier-1" };
	struct fixture *f = *state;
	const struct model *m = &f->m;
	char *s;

	setenv("SLACK_WEBHOOK", ENV_CANARY, 1);
	assert_int_equal(desired(f, GLOBEX), 0);
	assert_int_equal(m->kinds, MODEL_USERS | MODEL_CLAIM_MAPPINGS |
			 MODEL_INTEGRATIONS | MODEL_RUNNERS | MODEL_WORKFLOWS);
	assert_string_equal(m->workspace.name, "globex SOC");
	/* written in the template, so relative to the template */
	assert_string_equal(m->workspace.credentials_out,
			    "secrets/globex.json");
	assert_string_equal(m->source_credentials, "secrets/template.json");

	/* the template's users first, merged by email, then the client's */
	assert_int_equal(m->users_nr, 3);
	assert_string_equal(m->users[0].email, "soc-lead@msp.example");
	assert_string_equal(m->users[0].role, "Owner");
	assert_mark(m->users[0].mark, SOC, 23, 5);
	assert_string_equal(m->users[1].email, "analyst@msp.example");
	assert_string_equal(m->users[1].role, "Contributor");
	assert_string_equal(m->users[1].mark->file, GLOBEX);
	assert_string_equal(m->users[2].email, "it@globex.example");
	assert_string_equal(m->users[2].role, "Contributor");
	assert_mark(m->users[2].mark, GLOBEX, 13, 5);

	assert_int_equal(m->workflows_nr, 2);
	assert_string_equal(m->workflows[0].name, "Enrich IOC");
	assert_int_equal(m->workflows[0].published, 1);
	assert_string_equal(m->workflows[1].name, "Phishing triage");
	/* publish overridden by the client, the rest from the template */
	assert_int_equal(m->workflows[1].published, 0);
	assert_int_equal(m->workflows[1].from_source, 1);
	assert_tags(&m->workflows[1], 1, t_phish, 2);

	assert_int_equal(m->claim_mappings_nr, 1);
	assert_string_equal(m->claim_mappings[0].value, "globex-soc");
	assert_int_equal(m->claim_mappings[0].rank, 1);
	assert_int_equal(m->integrations_nr, 1);
	assert_string_equal(m->integrations[0].name, "slack-globex");
	assert_int_equal(m->runners_nr, 1);
	assert_string_equal(m->runners[0].name, "globex-k8s");
	assert_string_equal(m->runners[0].install_commands_out,
			    "runners/globex.sh");
	s = dump(m);
	assert_null(strstr(s, ENV_CANARY));
	free(s);
	unsetenv("SLACK_WEBHOOK");
}

static void test_desired_kinds_follow_the_manifest_keys(void **state)
{
	struct fixture *f = *state;

	put(f, "a.yaml", "version: 1\nworkspace: { name: w }\n");
	assert_int_equal(desired_in_dir(f, "a.yaml"), 0);
	assert_int_equal(f->m.kinds, 0);
	assert_string_equal(f->m.workspace.name, "w");

	/* present but empty still manages the kind (prune deletes all) */
	put(f, "b.yaml", "version: 1\nusers: []\nworkflows: []\n");
	assert_int_equal(desired_in_dir(f, "b.yaml"), 0);
	assert_int_equal(f->m.kinds, MODEL_USERS | MODEL_WORKFLOWS);
	assert_int_equal(f->m.users_nr, 0);
	assert_null(f->m.workspace.name);

	put(f, "c.yaml", "version: 1\nclaim_mappings: {}\nintegrations: []\n"
	    "step_runners: []\n");
	assert_int_equal(desired_in_dir(f, "c.yaml"), 0);
	assert_int_equal(f->m.kinds, MODEL_CLAIM_MAPPINGS |
			 MODEL_INTEGRATIONS | MODEL_RUNNERS);
	assert_int_equal(f->m.copy_claims_from_source, 0);
	assert_int_equal(f->m.claim_mappings_nr, 0);
	assert_false(f->m.kinds & MODEL_ROLES);
}

static void test_desired_defaults(void **state)
{
	static const char *const t_c[] = { "a", "m", "z" };
	struct fixture *f = *state;
	const struct model *m = &f->m;

	put(f, "m.yaml", "version: 1\n"
	    "workspace: { name: w }\n"
	    "source: { credentials: s.json }\n"
	    "policy: { prune: true }\n"
	    "claim_mappings: { copy_from_source: true }\n"
	    "integrations:\n"
	    "  - { name: i, vendor: webhook }\n"
	    "step_runners:\n"
	    "  - { name: k, platform: kubernetes }\n"
	    "  - { name: k2, platform: kubernetes, "
	    "allow_cluster_management: true }\n"
	    "workflows:\n"
	    "  - { name: a, from: source }\n"
	    "  - { name: b, from: source, publish: true, tags: [] }\n"
	    "  - { name: c, from: source, publish: false, tags: [z, a, m] }\n");
	assert_int_equal(desired_in_dir(f, "m.yaml"), 0);
	assert_int_equal(m->workspace.create, 0);
	assert_int_equal(m->workspace.copy_sso, 0);
	assert_null(m->workspace.credentials);
	assert_null(m->workspace.credentials_out);
	assert_int_equal(m->prune, 1);
	assert_int_equal(m->copy_claims_from_source, 1);
	assert_int_equal(m->claim_mappings_nr, 0);
	assert_null(m->integrations[0].parameters);
	assert_int_equal(m->runners[0].allow_cluster_management, 0);
	assert_null(m->runners[0].install_commands_out);
	assert_int_equal(m->runners[1].allow_cluster_management, 1);
	assert_int_equal(m->workflows[0].published, 0);
	assert_int_equal(m->workflows[0].from_source, 1);
	assert_null(m->workflows[0].file);
	assert_tags(&m->workflows[0], 0, NULL, 0);
	assert_int_equal(m->workflows[1].published, 1);
	/* tags: [] is set: the planner removes every tag */
	assert_tags(&m->workflows[1], 1, NULL, 0);
	assert_int_equal(m->workflows[2].published, 0);
	assert_tags(&m->workflows[2], 1, t_c, 3);
}

/* Lists stay in manifest order; a claim mapping's rank is its place. */
static void test_desired_keeps_manifest_order(void **state)
{
	struct fixture *f = *state;
	const struct model *m = &f->m;
	const char *name = in_dir(f, "m.yaml");
	struct buf file = BUF_INIT;

	buf_addstr(&file, name);
	put(f, "m.yaml", "version: 1\n"
	    "claim_mappings:\n"
	    "  items:\n"
	    "    - { claim: groups, value: z, role: Owner }\n"
	    "    - { claim: email, value: a, role: viewer }\n"
	    "    - claim: groups\n"
	    "      value: b\n"
	    "      role: Operator\n"
	    "users:\n"
	    "  - { email: Zed@X.io, role: Owner }\n"
	    "  - { email: amy@x.io, role: Viewer }\n"
	    "step_runners:\n"
	    "  - { name: z, platform: docker }\n"
	    "  - { name: a, platform: docker }\n");
	assert_int_equal(desired_in_dir(f, "m.yaml"), 0);
	assert_int_equal(m->claim_mappings_nr, 3);
	assert_string_equal(m->claim_mappings[0].value, "z");
	assert_int_equal(m->claim_mappings[0].rank, 1);
	assert_string_equal(m->claim_mappings[1].claim, "email");
	assert_int_equal(m->claim_mappings[1].rank, 2);
	/* the role as written; the planner matches it case-insensitively */
	assert_string_equal(m->claim_mappings[1].role, "viewer");
	assert_string_equal(m->claim_mappings[2].value, "b");
	assert_int_equal(m->claim_mappings[2].rank, 3);
	assert_mark(m->claim_mappings[1].mark, file.s, 5, 7);
	assert_mark(m->claim_mappings[2].mark, file.s, 6, 7);
	/* e-mails keep their case */
	assert_string_equal(m->users[0].email, "Zed@X.io");
	assert_string_equal(m->users[1].email, "amy@x.io");
	assert_mark(m->users[1].mark, file.s, 11, 5);
	assert_string_equal(m->runners[0].name, "z");
	assert_string_equal(m->runners[1].name, "a");
	buf_release(&file);
}

/*
 * Every path is relative to the file that holds it, a template included,
 * and comes out usable from the current directory.
 */
static void test_desired_paths_relative_to_their_file(void **state)
{
	struct fixture *f = *state;
	const struct model *m = &f->m;

	put(f, "t/base.yaml", "version: 1\n"
	    "workspace: { name: w, credentials: keys/base.json }\n"
	    "source: { credentials: ../src.json }\n"
	    "workflows:\n"
	    "  - { name: Base, file: flows/base.yaml }\n"
	    "step_runners:\n"
	    "  - { name: r, platform: docker,\n"
	    "      install_commands_out: out/r.sh }\n");
	put(f, "t/flows/base.yaml", "name: Base\n");
	put(f, "sub/m.yaml", "version: 1\n"
	    "extends: ../t/base.yaml\n"
	    "workspace: { name: w, credentials_out: ../out/new.json }\n"
	    "workflows:\n"
	    "  - { name: Mine, file: ./flows/../flows/mine.yaml }\n"
	    "step_runners:\n"
	    "  - { name: abs, platform: docker, "
	    "install_commands_out: /var/tmp/abs.sh }\n");
	put(f, "sub/flows/mine.yaml", "name: Mine\n");
	assert_int_equal(desired_in_dir(f, "sub/m.yaml"), 0);
	assert_string_equal(m->workspace.credentials,
			    in_dir(f, "t/keys/base.json"));
	assert_string_equal(m->workspace.credentials_out,
			    in_dir(f, "out/new.json"));
	assert_string_equal(m->source_credentials, in_dir(f, "src.json"));
	assert_int_equal(m->workflows_nr, 2);
	assert_string_equal(m->workflows[0].file,
			    in_dir(f, "t/flows/base.yaml"));
	assert_int_equal(access(m->workflows[0].file, R_OK), 0);
	assert_string_equal(m->workflows[1].file,
			    in_dir(f, "sub/flows/mine.yaml"));
	assert_int_equal(access(m->workflows[1].file, R_OK), 0);
	assert_string_equal(m->runners[0].install_commands_out,
			    in_dir(f, "t/out/r.sh"));
	/* an absolute path is kept */
	assert_string_equal(m->runners[1].install_commands_out,
			    "/var/tmp/abs.sh");
}

/*
 * Parameters stay the doc's node, secrets as their reference text, so the
 * planner looks the value up in the doc and nothing printed shows it.
 */
static void test_desired_secret_parameters_stay_references(void **state)
{
	struct fixture *f = *state;
	const json_t *params, *token, *url;
	size_t len;
	char *s;

	setenv("TORQ_T_DESIRED", ENV_CANARY, 1);
	put(f, "tok.txt", FILE_CANARY "\n");
	put(f, "m.yaml", "version: 1\n"
	    "integrations:\n"
	    "  - name: hook\n"
	    "    vendor: webhook\n"
	    "    parameters:\n"
	    "      token: ${secret:env:TORQ_T_DESIRED}\n"
	    "      url: https://x.example/${secret:file:tok.txt}/hook\n"
	    "      nested: { list: [\"${secret:env:TORQ_T_DESIRED}\"] }\n"
	    "      plain: visible\n");
	assert_int_equal(desired_in_dir(f, "m.yaml"), 0);
	params = f->m.integrations[0].parameters;
	assert_non_null(params);
	/* one reference held by the doc's tree, one by the model */
	assert_true(params->refcount >= 2);
	token = json_object_get(params, "token");
	url = json_object_get(params, "url");
	assert_string_equal(json_string_value(token),
			    "${secret:env:TORQ_T_DESIRED}");
	assert_string_equal(doc_secret_value(&f->doc, token, &len),
			    ENV_CANARY);
	assert_string_equal(doc_secret_value(&f->doc, url, &len),
			    "https://x.example/" FILE_CANARY "/hook");

	s = dump(&f->m);
	assert_null(strstr(s, "canary"));
	assert_null(strstr(s, "visible"));
	assert_non_null(strstr(s, "\"parameters\": \"" SENSITIVE "\""));
	free(s);
	s = json_dumps(params, JSON_SORT_KEYS);
	assert_null(strstr(s, "canary"));
	assert_non_null(strstr(s, "visible"));
	free(s);

	/* the model's reference outlives the doc */
	doc_release(&f->doc);
	assert_string_equal(json_string_value(json_object_get(params,
			    "plain")), "visible");
	unsetenv("TORQ_T_DESIRED");
}

/* A secret as a name or a tag would be sent as its reference text. */
static void test_desired_secret_outside_parameters(void **state)
{
	struct fixture *f = *state;
	struct buf file = BUF_INIT;

	setenv("TORQ_T_DESIRED", ENV_CANARY, 1);
	buf_addstr(&file, in_dir(f, "m.yaml"));
	put(f, "m.yaml", "version: 1\n"
	    "workspace: { name: \"${secret:env:TORQ_T_DESIRED}\" }\n"
	    "source: { credentials: s.json }\n"
	    "workflows:\n"
	    "  - name: w\n"
	    "    from: source\n"
	    "    tags: [ok, \"${secret:env:TORQ_T_DESIRED}\"]\n");
	/* manifest_load reads the model too: every command refuses it */
	assert_int_equal(manifest_load(&f->doc, file.s, NULL, 0, &f->diags),
			 -1);
	assert_int_equal(f->diags.errors, 2);
	diag_list_release(&f->diags);
	assert_int_equal(desired_from_manifest(&f->doc, &f->m, &f->diags),
			 -1);
	assert_int_equal(f->diags.errors, 2);
	assert_int_equal(f->diags.nr, 2);
	assert_string_equal(f->diags.items[0].message,
			    "a secret can only be used in integration "
			    "parameters");
	assert_string_equal(f->diags.items[0].path, "workspace.name");
	assert_mark(&f->diags.items[0].mark, file.s, 2, 20);
	assert_string_equal(f->diags.items[1].path, "workflows[0].tags[1]");
	assert_mark(&f->diags.items[1].mark, file.s, 7, 16);
	assert_empty(&f->m);
	/* without the secret (validate), the same errors, and warnings */
	unsetenv("TORQ_T_DESIRED");
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	assert_int_equal(manifest_load(&f->doc, file.s, NULL,
				       RESOLVE_SECRETS_OPTIONAL, &f->diags),
			 -1);
	assert_int_equal(f->diags.errors, 2);
	assert_int_equal(f->diags.warnings, 2);
	buf_release(&file);
}

/* Whatever the model held before is overwritten, not freed. */
static void test_desired_initialises_out(void **state)
{
	struct fixture *f = *state;
	struct model m;

	put(f, "m.yaml", "version: 1\n"
	    "users: [{ email: a@x.io, role: Owner }]\n");
	assert_int_equal(desired_in_dir(f, "m.yaml"), 0);
	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(desired_from_manifest(&f->doc, &m, &f->diags), 0);
	assert_int_equal(m.kinds, MODEL_USERS);
	assert_int_equal(m.users_nr, 1);
	assert_null(m.workspace.name);
	assert_null(m.source_credentials);
	assert_int_equal(m.runners_nr, 0);
	model_release(&m);
}

static void expect(struct fixture *f, size_t i, const char *path,
		   const char *message)
{
	const struct diag *d;

	if (i >= f->diags.nr)
		fail_msg("no diagnostic %zu, expected '%s'", i, message);
	d = &f->diags.items[i];
	assert_int_equal(d->severity, DIAG_ERROR);
	assert_string_equal(d->path, path);
	assert_string_equal(d->message, message);
}

/* A tree the schema would refuse: every problem reported, no crash. */
static void test_desired_wrong_shapes_are_errors(void **state)
{
	struct fixture *f = *state;
	json_error_t err;

	f->doc.root = json_loads("{\"version\": 1, \"workspace\": \"w\","
		"\"users\": {\"email\": \"x\"},"
		"\"claim_mappings\": {\"items\": [1, {\"claim\": \"g\","
		"\"value\": 2}]},"
		"\"integrations\": [{\"name\": \"i\", \"vendor\": \"v\","
		"\"parameters\": [1]}],"
		"\"step_runners\": [{\"name\": \"r\", \"platform\": \"docker\","
		"\"allow_cluster_management\": \"yes\"}],"
		"\"workflows\": [{\"name\": \"w\", \"from\": \"elsewhere\","
		"\"tags\": \"t\"}, {\"from\": \"source\", \"tags\": [3]}]}",
		0, &err);
	assert_non_null(f->doc.root);
	assert_int_equal(desired_from_manifest(&f->doc, &f->m, &f->diags), -1);
	expect(f, 0, "workspace", "expected a mapping, found a string");
	expect(f, 1, "claim_mappings.items[0]",
	       "expected a mapping, found a number");
	expect(f, 2, "claim_mappings.items[1].value",
	       "expected a string, found a number");
	expect(f, 3, "claim_mappings.items[1].role", "'role' is missing");
	expect(f, 4, "users", "expected a list, found a mapping");
	expect(f, 5, "integrations[0].parameters",
	       "expected a mapping, found a list");
	expect(f, 6, "step_runners[0].allow_cluster_management",
	       "expected a boolean, found a string");
	expect(f, 7, "workflows[0].from",
	       "expected 'source', found 'elsewhere'");
	expect(f, 8, "workflows[0].tags", "expected a list, found a string");
	expect(f, 9, "workflows[1].name", "'name' is missing");
	expect(f, 10, "workflows[1].tags[0]",
	       "expected a string, found a number");
	assert_int_equal(f->diags.nr, 11);
	assert_int_equal(f->diags.errors, 11);
	assert_empty(&f->m);
}

static void test_desired_root_not_a_mapping(void **state)
{
	struct fixture *f = *state;

	/* no tree at all */
	assert_int_equal(desired_from_manifest(&f->doc, &f->m, &f->diags), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.items[0].message,
			    "expected the manifest to be a mapping, found "
			    "nothing");
	assert_null(f->diags.items[0].path);
	f->doc.root = json_pack("[i]", 1);
	assert_int_equal(desired_from_manifest(&f->doc, &f->m, &f->diags), -1);
	assert_string_equal(f->diags.items[1].message,
			    "expected the manifest to be a mapping, found "
			    "a list");
	assert_empty(&f->m);
}

/* Every test gets a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_desired_single_workspace_example),
		T(test_desired_msp_client_merges_template),
		T(test_desired_kinds_follow_the_manifest_keys),
		T(test_desired_defaults),
		T(test_desired_keeps_manifest_order),
		T(test_desired_paths_relative_to_their_file),
		T(test_desired_secret_parameters_stay_references),
		T(test_desired_secret_outside_parameters),
		T(test_desired_initialises_out),
		T(test_desired_wrong_shapes_are_errors),
		T(test_desired_root_not_a_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
