/*
 * Export: a live model written as a manifest. Most tests close the loop:
 * the text is written to a directory, loaded and checked as `validate`
 * does, turned into a desired model and planned against the model it came
 * from, and the plan must be empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testdir.h"
#include "torq/desired.h"
#include "torq/export.h"
#include "torq/load.h"
#include "torq/manifest.h"
#include "torq/plan.h"
#include "torq/wfyaml.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* Values no manifest may ever show. */
#define PARAM_CANARY "param-canary-7e31"
#define FP_CANARY "fingerprint-canary-c0de"

struct fixture {
	struct testdir d;
	struct model live;
	struct export_result res;
	struct buf err;
	/* the loop closed: */
	struct doc doc;
	struct diag_list diags;
	struct model desired;
	struct plan plan;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	testdir_make(&f->d, "torq-export");
	model_init(&f->live);
	export_result_init(&f->res);
	buf_init(&f->err);
	doc_init(&f->doc);
	diag_list_init(&f->diags, 0);
	model_init(&f->desired);
	plan_init(&f->plan);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testdir_remove(&f->d);
	model_release(&f->live);
	export_result_release(&f->res);
	buf_release(&f->err);
	plan_release(&f->plan);
	model_release(&f->desired);
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	test_free(f);
	return 0;
}

/* Building a live model, as the reader would give it. */

static char *dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void role(struct model *m, const char *name)
{
	struct model_role *r = model_add_role(m);
	char id[32];

	snprintf(id, sizeof(id), "role-%zu", m->roles_nr);
	r->id = dup(id);
	r->name = dup(name);
	m->kinds |= MODEL_ROLES;
}

static void user(struct model *m, const char *email, const char *role_name,
		 enum model_user_status st)
{
	struct model_user *u = model_add_user(m);

	u->id = dup(email);
	u->email = dup(email);
	u->role = dup(role_name);
	u->status = st;
}

static void mapping(struct model *m, const char *claim, const char *value,
		    const char *role_name, long rank)
{
	struct model_claim_mapping *c = model_add_claim_mapping(m);

	c->id = dup(value);
	c->claim = dup(claim);
	c->value = dup(value);
	c->role = dup(role_name);
	c->rank = rank;
}

static struct model_integration *integration(struct model *m,
					     const char *name,
					     const char *vendor)
{
	struct model_integration *in = model_add_integration(m);

	in->id = dup(name);
	in->name = dup(name);
	in->vendor = dup(vendor);
	return in;
}

static void runner(struct model *m, const char *name, const char *platform,
		   int cluster)
{
	struct model_runner *r = model_add_runner(m);

	r->id = dup(name);
	r->name = dup(name);
	r->platform = dup(platform);
	r->allow_cluster_management = cluster;
}

static struct model_workflow *workflow(struct model *m, const char *name,
				       int published)
{
	struct model_workflow *w = model_add_workflow(m);
	char yaml[256];

	snprintf(yaml, sizeof(yaml), "name: w\ntrigger:\n  type: on_demand\n"
		 "steps:\n  - id: s\n    type: http\n    url: https://x.example"
		 "/%zu\n", m->workflows_nr);
	w->id = dup(name);
	w->name = dup(name);
	w->current_revision_id = dup("rev-2");
	w->published = published;
	w->published_revision_id = published ? dup("rev-2") : NULL;
	w->content = dup(yaml);
	w->tags_set = 1;
	return w;
}

/* A workspace with every kind, the names as awkward as Torq allows. */
static void awkward(struct model *m)
{
	struct model_workflow *w;

	m->kinds = MODEL_ALL;
	role(m, "Owner");
	role(m, "Viewer");
	role(m, "SOC: lead #1");
	role(m, "yes");
	mapping(m, "groups", "${client}-soc", "SOC: lead #1", 2);
	mapping(m, "dept", "it: \"ops\"", "Viewer", 3);
	mapping(m, "groups", "admins", "Owner", 1);
	user(m, "owner@example.com", "Owner", MODEL_USER_VERIFIED);
	user(m, "Zed+ops@Example.COM", "yes", MODEL_USER_INVITED);
	integration(m, "Key: value # not a comment", "webhook");
	integration(m, "yes", "slack");
	integration(m, "${HOME} and $${x}", "jira");
	integration(m, "\xc3\x9cn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9 \xe2\x9c\x93",
		    "virustotal");
	integration(m, "tab\there \xe2\x80\xa8 line sep", "webhook");
	runner(m, "k8s #2", "kubernetes", 1);
	runner(m, "null", "docker", 0);
	w = workflow(m, "Triage: \"urgent\"", 1);
	model_workflow_add_tag(w, "yes");
	model_workflow_add_tag(w, "${tier}");
	model_workflow_add_tag(w, "1.0");
	workflow(m, "triage urgent", 0);
	w = workflow(m, "- dash \xe2\x80\xae bidi", 0);
	free(w->published_revision_id);
	w->published_revision_id = dup("rev-1");
	model_sort(m);
}

/* Closing the loop. */

/* The export's files in f->d; then the manifest as validate sees it. */
static void load_back(struct fixture *f)
{
	size_t i;
	int rc;

	for (i = 0; i < f->res.files_nr; i++)
		testdir_put(&f->d, f->res.files[i].path,
			    f->res.files[i].content, f->res.files[i].len, 0644);
	testdir_put(&f->d, "m.yaml", f->res.manifest.s, f->res.manifest.len,
		    0644);
	rc = manifest_load(&f->doc, testdir_at(&f->d, "m.yaml"), NULL, 0,
			   &f->diags);
	if (rc || f->diags.errors) {
		struct buf out = BUF_INIT;

		diag_render(&f->diags, &out, NULL, NULL, 0);
		print_message("%s\n%s", f->res.manifest.s, out.s);
		buf_release(&out);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(desired_from_manifest(&f->doc, &f->desired,
					       &f->diags), 0);
}

/* What prepare.c does before planning: the workflows' digests. */
static void digest(struct model_workflow *w)
{
	struct buf text = BUF_INIT, err = BUF_INIT;
	char d[65];

	if (!w->file && !w->content)
		return;	/* as prepare.c: a workflow not read */
	if (w->file) {
		assert_int_equal(buf_read_file(&text, w->file, 1 << 20), 0);
		free(w->content);
		w->content = buf_detach(&text, NULL);
	}
	assert_int_equal(wfyaml_digest("w", w->content, strlen(w->content),
				       d, &err), 0);
	free(w->content_digest);
	w->content_digest = xstrdup(d);
	if (w->file)
		assert_int_equal(wfyaml_nested("w", w->content,
					       strlen(w->content), &w->nested,
					       &w->nested_nr, &err), 0);
	buf_release(&err);
	buf_release(&text);
}

/* Export f->live, load it back, plan it against f->live: no change. */
static void round_trip(struct fixture *f, const char *credentials)
{
	struct export_options o = { "Template", credentials };
	struct plan_input in;
	size_t i, warnings;

	assert_int_equal(export_manifest(&f->live, &o, &f->res, &f->err), 0);
	load_back(f);
	for (i = 0; i < f->desired.workflows_nr; i++)
		digest(&f->desired.workflows[i]);
	for (i = 0; i < f->live.workflows_nr; i++)
		digest(&f->live.workflows[i]);
	/* validate may warn (a custom role); the planner may not */
	warnings = f->diags.warnings;
	memset(&in, 0, sizeof(in));
	in.desired = &f->desired;
	in.live = &f->live;
	assert_int_equal(plan_make(&in, &f->plan, &f->diags), 0);
	assert_int_equal(f->diags.errors, 0);
	assert_int_equal(f->diags.warnings, warnings);
	assert_true(plan_empty(&f->plan));
}

/* Tests. */

static void test_export_scalar_quoting(void **state)
{
	static const char *const cases[][2] = {
		{ "Template", "Template" },
		{ "acme SOC", "acme SOC" },
		{ "a+b@example.com", "a+b@example.com" },
		{ "../secrets/t.json", "../secrets/t.json" },
		{ "./t.json", "./t.json" },
		{ ".t.json", "\".t.json\"" },
		{ "two  spaces", "two  spaces" },
		/* what YAML reads as something else than a string */
		{ "yes", "\"yes\"" }, { "No", "\"No\"" }, { "ON", "\"ON\"" },
		{ "off", "\"off\"" }, { "y", "\"y\"" }, { "True", "\"True\"" },
		{ "null", "\"null\"" }, { "NULL", "\"NULL\"" },
		{ "~", "\"~\"" }, { "1.0", "\"1.0\"" }, { "0x1F", "\"0x1F\"" },
		{ "1e3", "\"1e3\"" },
		{ "-1", "\"-1\"" }, { ".inf", "\".inf\"" }, { "", "\"\"" },
		/* indicators and structure */
		{ "a: b", "\"a: b\"" }, { "a #b", "\"a #b\"" },
		{ "#x", "\"#x\"" }, { "- x", "\"- x\"" },
		{ "x, y", "\"x, y\"" },
		{ "[x]", "\"[x]\"" }, { "{x}", "\"{x}\"" }, { "&a", "\"&a\"" },
		{ "*a", "\"*a\"" }, { "!a", "\"!a\"" }, { "|", "\"|\"" },
		{ ">", "\">\"" }, { "%x", "\"%x\"" }, { "@x", "\"@x\"" },
		{ "`x", "\"`x\"" }, { "?x", "\"?x\"" },
		{ " lead", "\" lead\"" }, { "trail ", "\"trail \"" },
		{ "'single'", "\"'single'\"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		/* what would end a line, or is not printable */
		{ "a\nb", "\"a\\nb\"" }, { "a\rb", "\"a\\rb\"" },
		{ "a\tb", "\"a\\tb\"" }, { "a\x01" "b", "\"a\\x01b\"" },
		{ "a\x1b[31m", "\"a\\e[31m\"" }, { "a\x7f", "\"a\\x7F\"" },
		{ "a\xc2\x85" "b", "\"a\\Nb\"" },
		{ "a\xe2\x80\xa8" "b", "\"a\\Lb\"" },
		{ "a\xe2\x80\xa9" "b", "\"a\\Pb\"" },
		{ "\xef\xbb\xbf" "bom", "\"\\uFEFFbom\"" },
		{ "a\xe2\x80\xae" "b", "\"a\\u202Eb\"" },
		{ "a\xc2\x9f", "\"a\\x9F\"" },
		/* UTF-8 stays as it is, quoted */
		{ "\xc3\x9cnic\xc3\xb8" "de", "\"\xc3\x9cnic\xc3\xb8" "de\"" },
		/* references: a literal "${" is "$${" */
		{ "${x}", "\"$${x}\"" }, { "$${x}", "\"$$${x}\"" },
		{ "a$b", "\"a$b\"" }, { "${a}${b}", "\"$${a}$${b}\"" },
		{ "$", "\"$\"" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_reset(&b);
		export_scalar(&b, cases[i][0]);
		if (strcmp(b.s, cases[i][1]))
			fail_msg("'%s': got %s, want %s", cases[i][0], b.s,
				 cases[i][1]);
	}
	buf_release(&b);
}

/* Each scalar, read back by the loader, is the same string. */
static void test_export_scalar_reads_back(void **state)
{
	static const char *const cases[] = {
		"yes", "No", "null", "~", "1.0", "0o17", "-.5", "+1", "1_000",
		"a: b", "a #b", "- x", "? x", "x, y", "[x]", "{x}", "&a", "*a",
		"!a", "!!str", "|", ">", "%x", "@x", "`x", "---", "...",
		" lead", "trail ", "'q'", "\"dq\"", "back\\slash", "a\nb",
		"a\r\nb", "a\tb", "\x01\x02\x1f", "\x1b[0m", "a\x7f",
		"a\xc2\x85" "b", "a\xe2\x80\xa8" "b", "a\xe2\x80\xa9" "b",
		"\xef\xbb\xbf" "x", "\xe2\x80\xae" "x", "\xc2\x80\xc2\x9f",
		"\xf0\x9f\x98\x80 emoji", "a$b", "two  spaces", "x #", "x:",
		"a+b@example.com", "../s/t.json", "Template",
	};
	struct buf yaml = BUF_INIT;
	struct doc doc;
	struct diag_list diags;
	json_t *root;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		doc_init(&doc);
		diag_list_init(&diags, 0);
		buf_reset(&yaml);
		buf_addstr(&yaml, "k: ");
		export_scalar(&yaml, cases[i]);
		buf_addstr(&yaml, "\nl: [");
		export_scalar(&yaml, cases[i]);
		buf_addstr(&yaml, ", x]\nm: { k: ");
		export_scalar(&yaml, cases[i]);
		buf_addstr(&yaml, " }\n");
		root = NULL;
		if (load_buffer(&doc, "t.yaml", yaml.s, yaml.len, &root,
				&diags))
			fail_msg("does not load: %s", yaml.s);
		assert_string_equal(json_string_value(json_object_get(root,
								      "k")),
				    cases[i]);
		assert_string_equal(json_string_value(json_array_get(
			json_object_get(root, "l"), 0)), cases[i]);
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(root, "m"), "k")), cases[i]);
		json_decref(root);
		diag_list_release(&diags);
		doc_release(&doc);
	}
	buf_release(&yaml);
}

static void test_export_round_trip_awkward_names(void **state)
{
	struct fixture *f = *state;
	const struct model *d = &f->desired;
	size_t i;

	awkward(&f->live);
	round_trip(f, "../secrets/t.json");
	assert_int_equal(f->res.notes_nr, 0);
	assert_int_equal(d->kinds, MODEL_USERS | MODEL_CLAIM_MAPPINGS |
			 MODEL_INTEGRATIONS | MODEL_RUNNERS | MODEL_WORKFLOWS);
	assert_string_equal(d->workspace.name, "Template");
	assert_null(d->workspace.credentials_out);
	assert_int_equal(d->workspace.create, 0);
	assert_int_equal(d->users_nr, 2);
	assert_string_equal(d->users[1].email, "Zed+ops@Example.COM");
	assert_string_equal(d->users[1].role, "yes");
	assert_int_equal(d->integrations_nr, 5);
	assert_int_equal(d->runners_nr, 2);
	assert_int_equal(d->workflows_nr, 3);
	assert_int_equal(f->res.claim_mappings, 3);
	assert_int_equal(f->res.users, 2);
	assert_int_equal(f->res.integrations, 5);
	assert_int_equal(f->res.runners, 2);
	assert_int_equal(f->res.workflows, 3);
	assert_int_equal(f->plan.unmanaged_nr, 0);
	/* every name comes back as it was */
	for (i = 0; i < d->integrations_nr; i++)
		assert_string_equal(d->integrations[i].name,
				    f->live.integrations[i].name);
	for (i = 0; i < d->workflows_nr; i++)
		assert_string_equal(d->workflows[i].name,
				    f->live.workflows[i].name);
	assert_string_equal(d->claim_mappings[0].value, "admins");
	assert_string_equal(d->claim_mappings[1].value, "${client}-soc");
	assert_string_equal(d->claim_mappings[2].value, "it: \"ops\"");
}

static void test_export_workspace_credentials(void **state)
{
	struct fixture *f = *state;

	f->live.kinds = MODEL_USERS;
	round_trip(f, "../secrets/t.json");
	assert_non_null(strstr(f->res.manifest.s, "\nworkspace:\n"
			       "  name: Template\n"
			       "  credentials: ../secrets/t.json\n"));
	/* the model holds it resolved against the manifest's directory */
	assert_string_equal(f->desired.workspace.credentials,
			    "/tmp/secrets/t.json");
	assert_int_equal(f->desired.kinds, MODEL_USERS);
	assert_non_null(strstr(f->res.manifest.s, "\nusers: []\n"));
}

static void test_export_without_credentials(void **state)
{
	struct fixture *f = *state;

	f->live.kinds = MODEL_USERS;
	user(&f->live, "a@example.com", "Owner", MODEL_USER_VERIFIED);
	role(&f->live, "Owner");
	round_trip(f, NULL);
	assert_null(f->desired.workspace.credentials);
	assert_null(strstr(f->res.manifest.s, "  credentials:"));
	assert_non_null(strstr(f->res.manifest.s, "$TORQ_CLIENT_ID"));
}

static void test_export_orders(void **state)
{
	struct fixture *f = *state;
	const char *s;

	awkward(&f->live);
	round_trip(f, NULL);
	/* claim mappings by rank, whatever the model's order */
	s = f->res.manifest.s;
	assert_true(strstr(s, "value: admins") <
		    strstr(s, "value: \"$${client}-soc\""));
	assert_true(strstr(s, "value: \"$${client}-soc\"") <
		    strstr(s, "value: \"it: \\\"ops\\\"\""));
	assert_int_equal(f->desired.claim_mappings[0].rank, 1);
	/* the rest in the model's (sorted) order */
	assert_string_equal(f->desired.users[0].email, "owner@example.com");
	assert_string_equal(f->desired.runners[0].name, "k8s #2");
	assert_string_equal(f->desired.runners[1].name, "null");
	/* tags sorted, quoted where needed */
	assert_non_null(strstr(s, "    tags: [\"$${tier}\", \"1.0\", "
			       "\"yes\"]\n"));
}

static void test_export_publish_and_tags(void **state)
{
	struct fixture *f = *state;
	const char *s;

	awkward(&f->live);
	round_trip(f, NULL);
	s = f->res.manifest.s;
	assert_non_null(strstr(s, "  - name: \"Triage: \\\"urgent\\\"\"\n"
			       "    file: workflows/triage-urgent.yaml\n"
			       "    publish: true\n"
			       "    tags: ["));
	assert_non_null(strstr(s, "  - name: triage urgent\n"
			       "    file: workflows/triage-urgent-2.yaml\n"
			       "    publish: false\n"));
	assert_non_null(strstr(s, "    publish: false    # an earlier "
			       "revision is published\n"));
	/* no tags: no tags key, so tags are left alone */
	assert_false(f->desired.workflows[2].tags_set);
	assert_true(f->desired.workflows[1].tags_set);
	assert_int_equal(f->desired.workflows[1].published, 1);
	assert_non_null(strstr(s, "    allow_cluster_management: true\n"));
	assert_int_equal(f->desired.runners[0].allow_cluster_management, 1);
}

/* Parameters are never in a manifest; only a commented-out example. */
static void test_export_secrets_never_present(void **state)
{
	struct fixture *f = *state;
	struct model_integration *in;
	const char *line, *s, *end, *hit, *p;

	awkward(&f->live);
	in = integration(&f->live, "Slack Alerts", "slack");
	in->parameters = json_pack("{s:s}", "token", PARAM_CANARY);
	in->fingerprint = dup(FP_CANARY);
	in->has_secret = 1;
	model_sort(&f->live);
	round_trip(f, NULL);
	s = f->res.manifest.s;
	assert_null(strstr(s, PARAM_CANARY));
	assert_null(strstr(s, FP_CANARY));
	assert_non_null(strstr(s, "  # \"Slack Alerts\": its parameters "
			       "cannot be read back; e.g.\n"
			       "  #   parameters:\n"
			       "  #     api_token: "
			       "${secret:env:TORQ_SLACK_ALERTS_SECRET}\n"
			       "  - name: Slack Alerts\n"));
	/* "parameters" only ever in comments */
	for (line = s; *line; line = end + 1) {
		end = strchr(line, '\n');
		assert_non_null(end);	/* every line ends */
		hit = strstr(line, "parameters");
		if (hit && hit < end) {
			p = line + strspn(line, " ");
			assert_int_equal(*p, '#');
		}
	}
	assert_null(f->desired.integrations[0].parameters);
}

static void test_export_env_names(void **state)
{
	static const char *const cases[][2] = {
		{ "Slack Alerts", "TORQ_SLACK_ALERTS_SECRET" },
		{ "slack-acme", "TORQ_SLACK_ACME_SECRET" },
		{ "--a--b--", "TORQ_A_B_SECRET" },
		{ "jira 2", "TORQ_JIRA_2_SECRET" },
		{ "\xe6\x97\xa5\xe6\x9c\xac", "TORQ_INTEGRATION_SECRET" },
		{ "${x}", "TORQ_X_SECRET" },
	};
	struct fixture *f = *state;
	struct export_options o = { "Template", NULL };
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_reset(&b);
		export_env_name(&b, cases[i][0]);
		assert_string_equal(b.s, cases[i][1]);
	}
	buf_release(&b);
	/* two that make the same name get different ones */
	f->live.kinds = MODEL_INTEGRATIONS;
	integration(&f->live, "a-b", "webhook");
	integration(&f->live, "a b", "webhook");
	model_sort(&f->live);
	assert_int_equal(export_manifest(&f->live, &o, &f->res, &f->err), 0);
	assert_non_null(strstr(f->res.manifest.s,
			       "${secret:env:TORQ_A_B_SECRET}\n"));
	assert_non_null(strstr(f->res.manifest.s,
			       "${secret:env:TORQ_A_B_SECRET_2}\n"));
}

static void test_export_file_names_unique(void **state)
{
	static const char *const want[] = {
		"workflows/triage-urgent.yaml",
		"workflows/triage-urgent-2.yaml",
		"workflows/triage-urgent-3.yaml",
		"workflows/triage-urgent-2-2.yaml",
		"workflows/workflow.yaml",
		"workflows/workflow-2.yaml",
		"workflows/con.yaml",
	};
	static const char *const names[] = {
		"Triage: urgent", "triage urgent", "TRIAGE--URGENT",
		"triage urgent 2", "\xe6\x97\xa5\xe6\x9c\xac", "!!!", "con",
	};
	struct fixture *f = *state;
	char long_name[101];
	size_t i, j;

	f->live.kinds = MODEL_WORKFLOWS;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		workflow(&f->live, names[i], 0);
	memset(long_name, 'a', 100);
	long_name[100] = '\0';
	workflow(&f->live, long_name, 0);
	round_trip(f, NULL);
	assert_int_equal(f->res.files_nr, ARRAY_SIZE(names) + 1);
	/* in manifest order, which is the model's order */
	for (i = 0; i < f->res.files_nr; i++) {
		const char *p = f->res.files[i].path;

		for (j = 0; j < ARRAY_SIZE(names); j++)
			if (!strcmp(f->res.files[i].workflow, names[j]))
				assert_string_equal(p, want[j]);
		assert_int_equal(strncmp(p, "workflows/", 10), 0);
		assert_int_equal(strspn(p + 10, "abcdefghijklmnopqrstuvwxyz"
					"0123456789-"), strlen(p) - 15);
		assert_string_equal(p + strlen(p) - 5, ".yaml");
		assert_true(strlen(p) <= 10 + 60 + 5);
		for (j = 0; j < i; j++)
			assert_string_not_equal(p, f->res.files[j].path);
		assert_string_equal(f->res.files[i].content,
				    f->live.workflows[i].content);
	}
}

/* What a manifest cannot say is left out, said once, and plans empty. */
static void test_export_leaves_out_what_cannot_be_said(void **state)
{
	struct fixture *f = *state;
	struct model_workflow *w;
	const char *s;

	f->live.kinds = MODEL_ALL;
	role(&f->live, "Owner");
	user(&f->live, "a@example.com", "Owner", MODEL_USER_VERIFIED);
	user(&f->live, "b@example.com", NULL, MODEL_USER_VERIFIED);
	user(&f->live, "C@example.com", "Owner", MODEL_USER_VERIFIED);
	user(&f->live, "c@example.com", "Owner", MODEL_USER_VERIFIED);
	mapping(&f->live, "groups", "x", "Owner", 1);
	mapping(&f->live, "groups", "y", NULL, 2);
	integration(&f->live, " lead", "webhook");
	integration(&f->live, "dup", "webhook");
	integration(&f->live, "dup", "webhook");
	integration(&f->live, "dup", "webhook");
	integration(&f->live, "Bad Type", "Web Hook");
	integration(&f->live, "ok", "webhook");
	runner(&f->live, "odd", "windows", 0);
	runner(&f->live, "multi\nline", "docker", 0);
	w = workflow(&f->live, "no yaml", 1);
	free(w->content);
	w->content = NULL;
	w = workflow(&f->live, "long tag", 0);
	model_workflow_add_tag(w, "x");
	model_workflow_add_tag(w, "0123456789012345678901234567890123456789"
			       "0123456789012345678901234");	/* 65 */
	model_sort(&f->live);
	round_trip(f, NULL);
	s = f->res.manifest.s;
	assert_int_equal(f->res.notes_nr, 10);
	assert_string_equal(f->res.notes[0], "claim mappings are not exported "
			    "(plan leaves them alone): mapping groups=y: its "
			    "role is not one of the workspace's roles");
	assert_null(strstr(s, "\nclaim_mappings:"));
	assert_non_null(strstr(s, "\n# claim_mappings: not exported"));
	assert_int_equal(f->desired.kinds & MODEL_CLAIM_MAPPINGS, 0);
	assert_string_equal(f->res.notes[1], "user 'b@example.com' is not "
			    "exported: its role is not one of the "
			    "workspace's roles");
	assert_string_equal(f->res.notes[2], "user 'C@example.com' is not "
			    "exported: the workspace lists more than one user "
			    "with that e-mail address");
	assert_string_equal(f->res.notes[3], "integration ' lead' is not "
			    "exported: its name starts or ends with white "
			    "space");
	assert_string_equal(f->res.notes[4], "integration 'Bad Type' is not "
			    "exported: its type id is not lower-case letters,"
			    " digits, '_', '.' and '-'");
	assert_string_equal(f->res.notes[5], "integration 'dup' is not "
			    "exported: the workspace has more than one "
			    "integration of that name");
	assert_string_equal(f->res.notes[6], "step runner 'multi\\nline' is "
			    "not exported: its name holds a line break");
	assert_string_equal(f->res.notes[7], "step runner 'odd' is not "
			    "exported: its platform is neither kubernetes nor "
			    "docker");
	assert_string_equal(f->res.notes[8], "the tags of workflow 'long tag' "
			    "are not exported (plan leaves them alone): one is"
			    " empty or longer than 64 characters");
	assert_string_equal(f->res.notes[9], "workflow 'no yaml' is not "
			    "exported: its YAML was not read");
	assert_non_null(strstr(s, "  # not exported: step runner "
			       "\"multi\\nline\": its name holds a line "
			       "break\n"));
	assert_int_equal(f->res.users, 1);
	assert_int_equal(f->res.integrations, 1);
	assert_int_equal(f->res.runners, 0);
	assert_non_null(strstr(s, "\nstep_runners:\n  # not exported"));
	assert_int_equal(f->res.workflows, 1);
	assert_false(f->desired.workflows[0].tags_set);
	/* all of them unmanaged: listed by plan, not changed */
	assert_true(f->plan.unmanaged_nr > 0);
}

static void test_export_refuses_workspace_names(void **state)
{
	struct fixture *f = *state;
	struct export_options o = { " Template", NULL };

	assert_int_equal(export_manifest(&f->live, &o, &f->res, &f->err), -1);
	assert_string_equal(f->err.s, "workspace ' Template' cannot be named "
			    "in a manifest: its name starts or ends with white"
			    " space");
	buf_reset(&f->err);
	o.workspace = NULL;
	assert_int_equal(export_manifest(&f->live, &o, &f->res, &f->err), -1);
	assert_string_equal(f->err.s, "workspace '' cannot be named in a "
			    "manifest: it has no name");
}

/* Only the kinds the model covers; an empty one as []. */
static void test_export_kinds(void **state)
{
	struct fixture *f = *state;
	const char *s;

	f->live.kinds = MODEL_ALL;
	round_trip(f, NULL);
	s = f->res.manifest.s;
	assert_non_null(strstr(s, "\nclaim_mappings:\n  items: []\n"));
	assert_non_null(strstr(s, "\nusers: []\n"));
	assert_non_null(strstr(s, "\nintegrations: []\n"));
	assert_non_null(strstr(s, "\nstep_runners: []\n"));
	assert_non_null(strstr(s, "\nworkflows: []\n"));
	assert_int_equal(f->desired.kinds, MODEL_ALL & ~MODEL_ROLES);
	export_result_release(&f->res);
	export_result_init(&f->res);
	plan_release(&f->plan);
	plan_init(&f->plan);
	model_release(&f->desired);
	doc_release(&f->doc);
	doc_init(&f->doc);
	f->live.kinds = 0;
	round_trip(f, NULL);
	assert_null(strstr(f->res.manifest.s, "users"));
	assert_int_equal(f->desired.kinds, 0);
}

static void test_export_relpath(void **state)
{
	static const char *const cases[][4] = {
		/* path, dir, cwd, result */
		{ "secrets/t.json", "exported", "/w", "../secrets/t.json" },
		{ "secrets/t.json", ".", "/w", "secrets/t.json" },
		{ "/abs/t.json", "x", "/w", "/abs/t.json" },
		{ "t.json", "/tmp/out", "/w", "../../w/t.json" },
		{ "a/b/t.json", "a/b", "/w", "t.json" },
		{ "a/b/t.json", "a", "/w", "b/t.json" },
		{ "./a/../t.json", "x/y/..", "/w", "../t.json" },
		{ "t.json", "../up", "/w/sub", "../sub/t.json" },
		{ "x", "x", "/w", "." },
		{ "s/t.json", "e", "/", "../s/t.json" },
		{ "s//t.json", "e/", "/w/", "../s/t.json" },
		{ "../../t.json", "o", "/w", "../../t.json" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_reset(&b);
		export_relpath(cases[i][0], cases[i][1], cases[i][2], &b);
		if (strcmp(b.s, cases[i][3]))
			fail_msg("'%s' from '%s' in '%s': got '%s', want '%s'",
				 cases[i][0], cases[i][1], cases[i][2], b.s,
				 cases[i][3]);
	}
	buf_release(&b);
}

static void test_export_clean(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	export_clean(&b, "a\nb\t\"c\"\\ \xe2\x80\xae\x1b \xc3\xa9");
	assert_string_equal(b.s, "a\\nb\\t\"c\"\\ \\u202E\\e \xc3\xa9");
	buf_release(&b);
}

static void test_export_release_accepts_null(void **state)
{
	(void)state;
	export_result_release(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_export_scalar_quoting),
		T(test_export_scalar_reads_back),
		T(test_export_round_trip_awkward_names),
		T(test_export_workspace_credentials),
		T(test_export_without_credentials),
		T(test_export_orders),
		T(test_export_publish_and_tags),
		T(test_export_secrets_never_present),
		T(test_export_env_names),
		T(test_export_file_names_unique),
		T(test_export_leaves_out_what_cannot_be_said),
		T(test_export_refuses_workspace_names),
		T(test_export_kinds),
		T(test_export_relpath),
		T(test_export_clean),
		T(test_export_release_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
