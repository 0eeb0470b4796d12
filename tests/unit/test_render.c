#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/doc.h"
#include "torq/plan.h"
#include "torq/render.h"
#include "torq/wfdiff.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/*
 * The renderers on plans built by hand, as the planner builds them:
 * values already formatted ("\"Owner\"", "5", "true"), strings
 * xstrdup'd and freed by plan_release. Outputs are compared whole
 * against golden strings.
 */

/* What the planner gives each kind. */
static const struct {
	enum plan_action action;
	enum plan_resource resource;
} kinds[STEP_KIND_NR] = {
	[STEP_CREATE_WORKSPACE] = { PLAN_CREATE, RES_WORKSPACE },
	[STEP_CREATE_CLAIM_MAPPING] = { PLAN_CREATE, RES_CLAIM_MAPPING },
	[STEP_UPDATE_CLAIM_MAPPING] = { PLAN_UPDATE, RES_CLAIM_MAPPING },
	[STEP_DELETE_CLAIM_MAPPING] = { PLAN_DELETE, RES_CLAIM_MAPPING },
	[STEP_INVITE_USER] = { PLAN_CREATE, RES_USER },
	[STEP_UPDATE_USER] = { PLAN_UPDATE, RES_USER },
	[STEP_DELETE_USER] = { PLAN_DELETE, RES_USER },
	[STEP_CREATE_INTEGRATION] = { PLAN_CREATE, RES_INTEGRATION },
	[STEP_UPDATE_INTEGRATION] = { PLAN_UPDATE, RES_INTEGRATION },
	[STEP_DELETE_INTEGRATION] = { PLAN_DELETE, RES_INTEGRATION },
	[STEP_CREATE_RUNNER] = { PLAN_CREATE, RES_RUNNER },
	[STEP_DELETE_RUNNER] = { PLAN_DELETE, RES_RUNNER },
	[STEP_IMPORT_WORKFLOW] = { PLAN_CREATE, RES_WORKFLOW },
	[STEP_UPDATE_WORKFLOW] = { PLAN_UPDATE, RES_WORKFLOW },
	[STEP_DELETE_WORKFLOW] = { PLAN_DELETE, RES_WORKFLOW },
	[STEP_PUBLISH_WORKFLOW] = { PLAN_UPDATE, RES_WORKFLOW },
	[STEP_ADD_TAG] = { PLAN_CREATE, RES_WORKFLOW },
	[STEP_REMOVE_TAG] = { PLAN_DELETE, RES_WORKFLOW },
};

static char *dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void start(struct plan *p, const char *workspace, int exists)
{
	plan_init(p);
	p->workspace = dup(workspace);
	p->workspace_exists = exists;
}

/* Append a step; the helpers below fill in the last one. */
static void step(struct plan *p, enum plan_step_kind kind,
		 const char *identity, const char *id)
{
	struct plan_step *s;

	ALLOC_GROW(p->steps, p->steps_nr + 1, p->steps_alloc);
	s = &p->steps[p->steps_nr++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->action = kinds[kind].action;
	s->resource = kinds[kind].resource;
	s->identity = dup(identity);
	s->id = dup(id);
	s->desired = s->live = s->source = -1;
}

static struct plan_step *last(struct plan *p)
{
	return &p->steps[p->steps_nr - 1];
}

static void change(struct plan *p, const char *field, const char *before,
		   const char *after, int sensitive)
{
	struct plan_step *s = last(p);
	struct plan_change *c;

	ALLOC_GROW(s->changes, s->changes_nr + 1, s->changes_alloc);
	c = &s->changes[s->changes_nr++];
	c->field = dup(field);
	c->before = dup(before);
	c->after = dup(after);
	c->sensitive = sensitive;
}

static void tag(struct plan *p, const char *name)
{
	last(p)->detail = dup(name);
}

static void dep(struct plan *p, size_t on)
{
	struct plan_step *s = last(p);

	ALLOC_GROW(s->deps, s->deps_nr + 1, s->deps_alloc);
	s->deps[s->deps_nr++] = on;
}

static void unmanaged(struct plan *p, enum plan_resource r,
		      const char *identity, const char *why)
{
	struct plan_unmanaged *u;

	ALLOC_GROW(p->unmanaged, p->unmanaged_nr + 1, p->unmanaged_alloc);
	u = &p->unmanaged[p->unmanaged_nr++];
	u->resource = r;
	u->identity = dup(identity);
	u->why = dup(why);
}

static void counts(struct plan *p, size_t add, size_t chg, size_t destroy,
		   size_t unchanged)
{
	p->to_add = add;
	p->to_change = chg;
	p->to_destroy = destroy;
	p->unchanged = unchanged;
}

static void kind_counts(struct plan *p, enum plan_resource r, size_t add,
			size_t chg, size_t destroy)
{
	p->by_kind[r].add = add;
	p->by_kind[r].change = chg;
	p->by_kind[r].destroy = destroy;
}

/*
 * The plan of README's example: every resource but runners, objects
 * created, changed and deleted, a claim mapping created and then moved
 * (two steps apart), workflows imported or changed with tags and
 * publish, a secret the planner (wrongly) left in a sensitive value.
 */
static void example(struct plan *p)
{
	start(p, "acme SOC", 1);
	step(p, STEP_CREATE_CLAIM_MAPPING, "groups=acme-soc", NULL); /* 0 */
	change(p, "role", NULL, "\"Operator\"", 0);
	step(p, STEP_UPDATE_CLAIM_MAPPING, "groups=secops", "cm-2"); /* 1 */
	change(p, "rank", "2", "1", 0);
	step(p, STEP_UPDATE_CLAIM_MAPPING, "groups=acme-soc", NULL); /* 2 */
	change(p, "rank", NULL, "5", 0);
	dep(p, 0);
	dep(p, 1);
	step(p, STEP_INVITE_USER, "alice@acme.example", NULL); /* 3 */
	change(p, "role", NULL, "\"Owner\"", 0);
	step(p, STEP_UPDATE_USER, "bob@acme.example", "u-bob"); /* 4 */
	change(p, "role", "\"Viewer\"", "\"Operator\"", 0);
	step(p, STEP_DELETE_USER, "eve@acme.example", "u-eve"); /* 5 */
	step(p, STEP_CREATE_INTEGRATION, "slack-acme", NULL); /* 6 */
	change(p, "vendor", NULL, "\"slack\"", 0);
	change(p, "parameters", NULL, "xoxb-SECRET-TOKEN", 1);
	step(p, STEP_IMPORT_WORKFLOW, "Phishing triage", NULL); /* 7 */
	change(p, "from", NULL, "\"workflows/phishing.yaml\"", 0);
	dep(p, 6);
	step(p, STEP_ADD_TAG, "Phishing triage", NULL); /* 8 */
	tag(p, "tier-1");
	dep(p, 7);
	step(p, STEP_PUBLISH_WORKFLOW, "Phishing triage", NULL); /* 9 */
	change(p, "published", NULL, "true", 0);
	dep(p, 7);
	dep(p, 8);
	step(p, STEP_UPDATE_WORKFLOW, "Offboarding", "wf-off"); /* 10 */
	change(p, "content", NULL, "(as in the file)", 0);
	step(p, STEP_ADD_TAG, "Offboarding", "wf-off"); /* 11 */
	tag(p, "tier-1");
	step(p, STEP_REMOVE_TAG, "Offboarding", "wf-off"); /* 12 */
	tag(p, "old");
	step(p, STEP_PUBLISH_WORKFLOW, "Offboarding", "wf-off"); /* 13 */
	change(p, "published", "false", "true", 0);
	counts(p, 4, 3, 1, 12);
	kind_counts(p, RES_CLAIM_MAPPING, 1, 1, 0);
	kind_counts(p, RES_USER, 1, 1, 1);
	kind_counts(p, RES_INTEGRATION, 1, 0, 0);
	kind_counts(p, RES_WORKFLOW, 1, 1, 0);
	unmanaged(p, RES_USER, "carol@example.com", NULL);
	unmanaged(p, RES_USER, "owner@example.com", "an Owner: never pruned");
	unmanaged(p, RES_INTEGRATION, "old-jira", NULL);
}

#define EXAMPLE_UNMANAGED \
	"Unmanaged (not in the manifest, left alone; --prune deletes them):\n" \
	"  user carol@example.com\n" \
	"  user owner@example.com (an Owner: never pruned)\n" \
	"  integration 'old-jira'\n"

static const char example_text[] =
	"torq-apply will make these changes to workspace 'acme SOC':\n"
	"\n"
	"  # claim mappings\n"
	"  + claim mapping groups=acme-soc\n"
	"      role: \"Operator\"\n"
	"      rank: 5\n"
	"  ~ claim mapping groups=secops\n"
	"      rank: 2 -> 1\n"
	"\n"
	"  # users\n"
	"  + user alice@acme.example\n"
	"      role: \"Owner\"\n"
	"  ~ user bob@acme.example\n"
	"      role: \"Viewer\" -> \"Operator\"\n"
	"  - user eve@acme.example\n"
	"\n"
	"  # integrations\n"
	"  + integration 'slack-acme'\n"
	"      vendor: \"slack\"\n"
	"      parameters: (sensitive)\n"
	"\n"
	"  # workflows\n"
	"  + workflow 'Phishing triage'\n"
	"      from: \"workflows/phishing.yaml\"\n"
	"      + tag tier-1\n"
	"      published: true\n"
	"  ~ workflow 'Offboarding'\n"
	"      content: (as in the file)\n"
	"      + tag tier-1\n"
	"      - tag old\n"
	"      published: false -> true\n"
	"\n"
	"Plan: 4 to add, 3 to change, 1 to destroy.\n"
	"  claim mappings: 1 to add, 1 to change\n"
	"  users:          1 to add, 1 to change, 1 to destroy\n"
	"  integrations:   1 to add\n"
	"  workflows:      1 to add, 1 to change\n"
	"12 unchanged.\n"
	"\n"
	EXAMPLE_UNMANAGED;

static const char example_markdown[] =
	"### torq-apply plan for workspace 'acme SOC'\n"
	"\n"
	"**Plan: 4 to add, 3 to change, 1 to destroy.** 12 unchanged.\n"
	"\n"
	"| kind | add | change | destroy |\n"
	"|---|---:|---:|---:|\n"
	"| claim mappings | 1 | 1 | 0 |\n"
	"| users | 1 | 1 | 1 |\n"
	"| integrations | 1 | 0 | 0 |\n"
	"| workflows | 1 | 1 | 0 |\n"
	"\n"
	"```diff\n"
	"  # claim mappings\n"
	"+   claim mapping groups=acme-soc\n"
	"      role: \"Operator\"\n"
	"      rank: 5\n"
	"!   claim mapping groups=secops\n"
	"      rank: 2 -> 1\n"
	"\n"
	"  # users\n"
	"+   user alice@acme.example\n"
	"      role: \"Owner\"\n"
	"!   user bob@acme.example\n"
	"      role: \"Viewer\" -> \"Operator\"\n"
	"-   user eve@acme.example\n"
	"\n"
	"  # integrations\n"
	"+   integration 'slack-acme'\n"
	"      vendor: \"slack\"\n"
	"      parameters: (sensitive)\n"
	"\n"
	"  # workflows\n"
	"+   workflow 'Phishing triage'\n"
	"      from: \"workflows/phishing.yaml\"\n"
	"+       tag tier-1\n"
	"      published: true\n"
	"!   workflow 'Offboarding'\n"
	"      content: (as in the file)\n"
	"+       tag tier-1\n"
	"-       tag old\n"
	"      published: false -> true\n"
	"```\n"
	"\n"
	"Unmanaged (not in the manifest, left alone; `--prune` deletes them):\n"
	"\n"
	"- user `carol@example.com`\n"
	"- user `owner@example.com` (an Owner: never pruned)\n"
	"- integration `old-jira`\n"
	"\n"
	"**Verdict: destroys.** 4 to add, 3 to change, 1 to destroy in "
	"workspace 'acme SOC': review what goes.\n";

/* Every output: ends with a newline, no line ends in white space. */
static void assert_tidy(const char *s)
{
	size_t len = strlen(s);

	assert_true(len > 0);
	assert_int_equal(s[len - 1], '\n');
	assert_null(strstr(s, " \n"));
	assert_null(strstr(s, "\t\n"));
}

static void test_render_text_example(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	example(&p);
	render_text(&p, 0, &out);
	assert_string_equal(out.s, example_text);
	assert_tidy(out.s);
	assert_null(strchr(out.s, '\033'));
	/* appends, and the same plan gives the same bytes */
	render_text(&p, 0, &out);
	assert_int_equal(out.len, 2 * strlen(example_text));
	assert_string_equal(out.s + strlen(example_text), example_text);
	buf_release(&out);
	plan_release(&p);
}

static void test_render_text_colour(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	start(&p, "acme SOC", 1);
	step(&p, STEP_UPDATE_USER, "bob@acme.example", "u-bob");
	change(&p, "role", "\"Viewer\"", "\"Operator\"", 0);
	step(&p, STEP_INVITE_USER, "alice@acme.example", NULL);
	change(&p, "role", NULL, "\"Owner\"", 0);
	step(&p, STEP_DELETE_USER, "eve@acme.example", "u-eve");
	step(&p, STEP_UPDATE_WORKFLOW, "Offboarding", "wf-off");
	change(&p, "content", NULL, "(as in the file)", 0);
	step(&p, STEP_ADD_TAG, "Offboarding", "wf-off");
	tag(&p, "x");
	step(&p, STEP_REMOVE_TAG, "Offboarding", "wf-off");
	tag(&p, "y");
	counts(&p, 1, 2, 1, 0);
	unmanaged(&p, RES_USER, "carol@example.com", NULL);

	render_text(&p, 1, &out);
	assert_string_equal(out.s,
		"torq-apply will make these changes to workspace 'acme SOC':\n"
		"\n"
		"  \033[1m# users\033[0m\n"
		"  \033[33m~ user bob@acme.example\033[0m\n"
		"      role: \"Viewer\" -> \"Operator\"\n"
		"  \033[32m+ user alice@acme.example\033[0m\n"
		"      role: \"Owner\"\n"
		"  \033[31m- user eve@acme.example\033[0m\n"
		"\n"
		"  \033[1m# workflows\033[0m\n"
		"  \033[33m~ workflow 'Offboarding'\033[0m\n"
		"      content: (as in the file)\n"
		"      \033[32m+ tag x\033[0m\n"
		"      \033[31m- tag y\033[0m\n"
		"\n"
		"Plan: 1 to add, 2 to change, 1 to destroy.\n"
		"\n"
		"Unmanaged (not in the manifest, left alone; --prune deletes "
		"them):\n"
		"  user carol@example.com\n");
	assert_tidy(out.s);

	/* the same without colour: not one escape */
	buf_reset(&out);
	render_text(&p, 0, &out);
	assert_null(strchr(out.s, '\033'));
	assert_non_null(strstr(out.s,
			       "\n  # users\n  ~ user bob@acme.example\n"));
	assert_non_null(strstr(out.s, "\n      + tag x\n      - tag y\n"));
	buf_release(&out);
	plan_release(&p);
}

static void test_render_text_new_workspace(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	/* steps out of resource order: the groups still follow the enum */
	start(&p, "acme SOC", 0);
	step(&p, STEP_CREATE_WORKSPACE, "acme SOC", NULL);
	change(&p, "copy_sso", NULL, "true", 0);
	step(&p, STEP_INVITE_USER, "alice@acme.example", NULL);
	change(&p, "role", NULL, "\"Owner\"", 0);
	dep(&p, 0);
	step(&p, STEP_CREATE_CLAIM_MAPPING, "groups=soc", NULL);
	change(&p, "role", NULL, "\"Operator\"", 0);
	dep(&p, 0);
	counts(&p, 3, 0, 0, 0);

	render_text(&p, 0, &out);
	assert_string_equal(out.s,
		"torq-apply will create workspace 'acme SOC' and make these "
		"changes:\n"
		"\n"
		"  # workspace\n"
		"  + workspace 'acme SOC'\n"
		"      copy_sso: true\n"
		"\n"
		"  # claim mappings\n"
		"  + claim mapping groups=soc\n"
		"      role: \"Operator\"\n"
		"\n"
		"  # users\n"
		"  + user alice@acme.example\n"
		"      role: \"Owner\"\n"
		"\n"
		"Plan: 3 to add, 0 to change, 0 to destroy.\n");
	assert_tidy(out.s);
	buf_release(&out);
	plan_release(&p);
}

/*
 * One block per object: a workflow's tag and publish steps under it even
 * when other steps come between; tags added to an existing workflow make
 * a "~" block, not a "+"; the same name in two resources stays two
 * objects; a publish step without changes still says what it does.
 */
static void test_render_text_merges_steps_per_object(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	start(&p, "w", 1);
	step(&p, STEP_CREATE_RUNNER, "r1", NULL);
	change(&p, "platform", NULL, "\"docker\"", 0);
	step(&p, STEP_ADD_TAG, "A", "wf-a");
	tag(&p, "t1");
	step(&p, STEP_ADD_TAG, "B", "wf-b");
	tag(&p, "t2");
	step(&p, STEP_REMOVE_TAG, "A", "wf-a");
	tag(&p, "t0");
	step(&p, STEP_PUBLISH_WORKFLOW, "A", "wf-a");
	step(&p, STEP_DELETE_RUNNER, "r2", "run-2");
	step(&p, STEP_UPDATE_INTEGRATION, "x", "int-x");
	change(&p, "parameters", "\"a\"", NULL, 0);
	step(&p, STEP_UPDATE_WORKFLOW, "x", "wf-x");
	change(&p, "content", NULL, "(as in the file)", 0);
	step(&p, STEP_REMOVE_TAG, "C", "wf-c");
	step(&p, STEP_DELETE_WORKFLOW, "D", "wf-d");
	counts(&p, 1, 5, 2, 0);

	render_text(&p, 0, &out);
	assert_string_equal(out.s,
		"torq-apply will make these changes to workspace 'w':\n"
		"\n"
		"  # integrations\n"
		"  ~ integration 'x'\n"
		"      parameters: \"a\" -> (none)\n"
		"\n"
		"  # step runners\n"
		"  + step runner 'r1'\n"
		"      platform: \"docker\"\n"
		"  - step runner 'r2'\n"
		"\n"
		"  # workflows\n"
		"  ~ workflow 'A'\n"
		"      + tag t1\n"
		"      - tag t0\n"
		"      published: false -> true\n"
		"  ~ workflow 'B'\n"
		"      + tag t2\n"
		"  ~ workflow 'x'\n"
		"      content: (as in the file)\n"
		"  ~ workflow 'C'\n"
		"      - tag ''\n"
		"  - workflow 'D'\n"
		"\n"
		"Plan: 1 to add, 5 to change, 2 to destroy.\n");
	assert_tidy(out.s);
	buf_release(&out);
	plan_release(&p);
}

static void test_render_text_empty(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	start(&p, "acme SOC", 1);
	render_text(&p, 1, &out);
	assert_string_equal(out.s,
		"No changes. Workspace 'acme SOC' matches the manifest.\n");

	buf_reset(&out);
	counts(&p, 0, 0, 0, 7);
	unmanaged(&p, RES_USER, "carol@example.com", NULL);
	unmanaged(&p, RES_USER, "owner@example.com",
		  "an Owner: never pruned");
	unmanaged(&p, RES_RUNNER, "old runner", NULL);
	unmanaged(&p, RES_CLAIM_MAPPING, "groups=legacy", NULL);
	unmanaged(&p, RES_WORKFLOW, "Old flow", NULL);
	render_text(&p, 1, &out);
	assert_string_equal(out.s,
		"No changes. Workspace 'acme SOC' matches the manifest.\n"
		"7 unchanged.\n"
		"\n"
		"Unmanaged (not in the manifest, left alone; --prune deletes "
		"them):\n"
		"  user carol@example.com\n"
		"  user owner@example.com (an Owner: never pruned)\n"
		"  step runner 'old runner'\n"
		"  claim mapping groups=legacy\n"
		"  workflow 'Old flow'\n");
	assert_tidy(out.s);
	buf_release(&out);
	plan_release(&p);
}

/* Whatever the planner leaves in a sensitive change, it is never shown. */
static void test_render_sensitive_values_never_shown(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;
	json_t *j, *ch;
	char *text;

	(void)state;
	start(&p, "acme SOC", 1);
	step(&p, STEP_CREATE_INTEGRATION, "new", NULL);
	change(&p, "vendor", NULL, "\"slack\"", 0);
	change(&p, "parameters", NULL, "hunter2-after", 1);
	step(&p, STEP_UPDATE_INTEGRATION, "old", "int-old");
	change(&p, "parameters", "hunter2-before", "hunter2-after", 1);
	step(&p, STEP_UPDATE_INTEGRATION, "gone", "int-gone");
	change(&p, "token", "hunter2-before", NULL, 1);
	change(&p, "api_key", NULL, NULL, 1);
	counts(&p, 1, 2, 0, 0);

	render_text(&p, 0, &out);
	assert_string_equal(out.s,
		"torq-apply will make these changes to workspace 'acme SOC':\n"
		"\n"
		"  # integrations\n"
		"  + integration 'new'\n"
		"      vendor: \"slack\"\n"
		"      parameters: (sensitive)\n"
		"  ~ integration 'old'\n"
		"      parameters: (sensitive) -> (sensitive)\n"
		"  ~ integration 'gone'\n"
		"      token: (sensitive) -> (none)\n"
		"      api_key: (sensitive)\n"
		"\n"
		"Plan: 1 to add, 2 to change, 0 to destroy.\n");
	render_text(&p, 1, &out);
	render_markdown(&p, &out);
	assert_null(strstr(out.s, "hunter2"));
	assert_non_null(strstr(out.s, "\n!   integration 'old'\n      "
			       "parameters: (sensitive) -> (sensitive)\n"));

	j = render_json(&p);
	text = json_dumps(j, 0);
	assert_non_null(text);
	assert_null(strstr(text, "hunter2"));
	ch = json_array_get(json_object_get(json_array_get(
		json_object_get(j, "steps"), 1), "changes"), 0);
	assert_string_equal(json_string_value(json_object_get(ch, "before")),
			    SENSITIVE);
	assert_string_equal(json_string_value(json_object_get(ch, "after")),
			    SENSITIVE);
	assert_true(json_is_true(json_object_get(ch, "sensitive")));
	ch = json_array_get(json_object_get(json_array_get(
		json_object_get(j, "steps"), 2), "changes"), 0);
	assert_string_equal(json_string_value(json_object_get(ch, "before")),
			    SENSITIVE);
	assert_true(json_is_null(json_object_get(ch, "after")));
	ch = json_array_get(json_object_get(json_array_get(
		json_object_get(j, "steps"), 0), "changes"), 0);
	assert_string_equal(json_string_value(json_object_get(ch, "after")),
			    "\"slack\"");
	assert_true(json_is_false(json_object_get(ch, "sensitive")));
	free(text);
	json_decref(j);
	buf_release(&out);
	plan_release(&p);
}

/*
 * Names read from a workspace may hold anything: control characters,
 * terminal escapes, bidirectional overrides and stray bytes are shown
 * escaped, so no name can add a line to a plan or recolour it.
 */
static void test_render_text_escapes_control_characters(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	start(&p, "acme\tSOC", 1);
	step(&p, STEP_DELETE_USER, "eve@x\n  + user root@x", "u-eve");
	step(&p, STEP_DELETE_WORKFLOW, "\033[2Jboom\r", "wf-1");
	step(&p, STEP_DELETE_WORKFLOW, "abc\xe2\x80\xae" "fdp.exe\xff", "wf-2");
	step(&p, STEP_DELETE_WORKFLOW, "caf\xc3\xa9 \xc2\x9b" "1m", "wf-3");
	change(&p, "field\x7f", "\"a\\nb\"", "x\ny", 0);
	counts(&p, 0, 0, 4, 0);
	unmanaged(&p, RES_USER, "carol\n@x", "why\033");

	render_text(&p, 0, &out);
	assert_string_equal(out.s,
		"torq-apply will make these changes to workspace "
		"'acme\\tSOC':\n"
		"\n"
		"  # users\n"
		"  - user eve@x\\n  + user root@x\n"
		"\n"
		"  # workflows\n"
		"  - workflow '\\x1b[2Jboom\\r'\n"
		"  - workflow 'abc\\u202efdp.exe\\xff'\n"
		"  - workflow 'caf\xc3\xa9 \\u009b1m'\n"
		"      field\\x7f: \"a\\nb\" -> x\\ny\n"
		"\n"
		"Plan: 0 to add, 0 to change, 4 to destroy.\n"
		"\n"
		"Unmanaged (not in the manifest, left alone; --prune deletes "
		"them):\n"
		"  user carol\\n@x (why\\x1b)\n");
	assert_tidy(out.s);
	buf_release(&out);
	plan_release(&p);
}

static void test_render_markdown_example(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	example(&p);
	render_markdown(&p, &out);
	assert_string_equal(out.s, example_markdown);
	assert_tidy(out.s);
	assert_null(strchr(out.s, '\033'));
	assert_null(strstr(out.s, "SECRET"));
	buf_release(&out);
	plan_release(&p);
}

static void test_render_markdown_empty(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	start(&p, "acme SOC", 1);
	render_markdown(&p, &out);
	assert_string_equal(out.s,
		"### torq-apply plan for workspace 'acme SOC'\n"
		"\n"
		"**No changes.** Workspace 'acme SOC' matches the manifest.\n"
		"\n"
		"**Verdict: no changes.** Workspace 'acme SOC' matches the "
		"manifest.\n");

	buf_reset(&out);
	counts(&p, 0, 0, 0, 3);
	unmanaged(&p, RES_USER, "owner@example.com",
		  "an Owner: never pruned");
	render_markdown(&p, &out);
	assert_string_equal(out.s,
		"### torq-apply plan for workspace 'acme SOC'\n"
		"\n"
		"**No changes.** Workspace 'acme SOC' matches the manifest. "
		"3 unchanged.\n"
		"\n"
		"Unmanaged (not in the manifest, left alone; `--prune` deletes "
		"them):\n"
		"\n"
		"- user `owner@example.com` (an Owner: never pruned)\n"
		"\n"
		"**Verdict: no changes.** Workspace 'acme SOC' matches the "
		"manifest.\n");
	assert_tidy(out.s);
	buf_release(&out);
	plan_release(&p);
}

/*
 * Backticks in a name cannot close the diff block early: the fence is
 * longer than any run of backticks inside it, and a newline in a name is
 * escaped, so a name never starts a line. Outside the block, names sit
 * in code spans (no mention, link or HTML) and the workspace's name in
 * the heading is escaped.
 */
static void test_render_markdown_fence_cannot_be_closed(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	start(&p, "*acme* <b>_SOC_</b>", 1);
	step(&p, STEP_UPDATE_WORKFLOW, "a```b", "wf-1");
	change(&p, "content", NULL, "(as in the file)", 0);
	step(&p, STEP_DELETE_WORKFLOW, "evil\n```\n# @everyone", "wf-2");
	counts(&p, 0, 1, 1, 0);
	kind_counts(&p, RES_WORKFLOW, 0, 1, 1);
	unmanaged(&p, RES_USER, "`lead@x", NULL);
	unmanaged(&p, RES_WORKFLOW, "x````y", "kept [for] *now*");
	unmanaged(&p, RES_WORKFLOW, "@security-team", NULL);

	render_markdown(&p, &out);
	assert_string_equal(out.s,
		"### torq-apply plan for workspace "
		"'\\*acme\\* \\<b\\>\\_SOC\\_\\</b\\>'\n"
		"\n"
		"**Plan: 0 to add, 1 to change, 1 to destroy.**\n"
		"\n"
		"| kind | add | change | destroy |\n"
		"|---|---:|---:|---:|\n"
		"| workflows | 0 | 1 | 1 |\n"
		"\n"
		"````diff\n"
		"  # workflows\n"
		"!   workflow 'a```b'\n"
		"      content: (as in the file)\n"
		"-   workflow 'evil\\n```\\n# @everyone'\n"
		"````\n"
		"\n"
		"Unmanaged (not in the manifest, left alone; `--prune` deletes "
		"them):\n"
		"\n"
		"- user `` `lead@x ``\n"
		"- workflow `````x````y````` (kept \\[for\\] \\*now\\*)\n"
		"- workflow `@security-team`\n"
		"\n"
		"**Verdict: destroys.** 0 to add, 1 to change, 1 to destroy in "
		"workspace '\\*acme\\* \\<b\\>\\_SOC\\_\\</b\\>': review "
		"what goes.\n");
	assert_tidy(out.s);
	buf_release(&out);
	plan_release(&p);
}

static json_t *reparse(json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2));
	json_error_t err;
	json_t *back;

	assert_non_null(text);
	back = json_loads(text, 0, &err);
	if (!back)
		fail_msg("render_json gave bad JSON: %s", err.text);
	free(text);
	json_decref(j);
	return back;
}

static const char *str_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("'%s' is not a string", key);
	return json_string_value(v);
}

static json_int_t int_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("'%s' is not an integer", key);
	return json_integer_value(v);
}

static void test_render_json_structure(void **state)
{
	struct plan p;
	json_t *j, *o, *steps, *s, *ch, *u;
	size_t i;

	(void)state;
	example(&p);
	j = reparse(render_json(&p));
	assert_true(json_is_object(j));
	assert_int_equal(int_at(j, "format_version"), 1);

	o = json_object_get(j, "workspace");
	assert_string_equal(str_at(o, "name"), "acme SOC");
	assert_true(json_is_true(json_object_get(o, "exists")));
	assert_int_equal(json_object_size(o), 2);

	o = json_object_get(j, "summary");
	assert_int_equal(int_at(o, "add"), 4);
	assert_int_equal(int_at(o, "change"), 3);
	assert_int_equal(int_at(o, "destroy"), 1);
	assert_int_equal(int_at(o, "unchanged"), 12);

	/* every step, in plan order, unmerged */
	steps = json_object_get(j, "steps");
	assert_int_equal(json_array_size(steps), p.steps_nr);
	json_array_foreach(steps, i, s) {
		assert_int_equal(int_at(s, "index"), i);
		assert_string_equal(str_at(s, "kind"),
				    plan_step_kind_name(p.steps[i].kind));
		assert_string_equal(str_at(s, "identity"),
				    p.steps[i].identity);
		assert_true(json_is_array(json_object_get(s, "changes")));
		assert_true(json_is_array(json_object_get(s, "depends_on")));
		/* "tag" only on tag steps */
		assert_int_equal(json_object_get(s, "tag") != NULL,
				 p.steps[i].kind == STEP_ADD_TAG ||
				 p.steps[i].kind == STEP_REMOVE_TAG);
	}

	s = json_array_get(steps, 0);
	assert_string_equal(str_at(s, "kind"), "create_claim_mapping");
	assert_string_equal(str_at(s, "action"), "create");
	assert_string_equal(str_at(s, "resource"), "claim_mapping");
	assert_string_equal(str_at(s, "identity"), "groups=acme-soc");
	assert_true(json_is_null(json_object_get(s, "id")));
	ch = json_array_get(json_object_get(s, "changes"), 0);
	assert_string_equal(str_at(ch, "field"), "role");
	assert_true(json_is_null(json_object_get(ch, "before")));
	assert_string_equal(str_at(ch, "after"), "\"Operator\"");
	assert_true(json_is_false(json_object_get(ch, "sensitive")));
	assert_int_equal(json_array_size(json_object_get(s, "depends_on")), 0);

	s = json_array_get(steps, 1);
	assert_string_equal(str_at(s, "action"), "update");
	assert_string_equal(str_at(s, "id"), "cm-2");
	ch = json_array_get(json_object_get(s, "changes"), 0);
	assert_string_equal(str_at(ch, "before"), "2");
	assert_string_equal(str_at(ch, "after"), "1");

	s = json_array_get(steps, 2);
	o = json_object_get(s, "depends_on");
	assert_int_equal(json_array_size(o), 2);
	assert_int_equal(json_integer_value(json_array_get(o, 0)), 0);
	assert_int_equal(json_integer_value(json_array_get(o, 1)), 1);

	s = json_array_get(steps, 5);
	assert_string_equal(str_at(s, "kind"), "delete_user");
	assert_string_equal(str_at(s, "action"), "delete");
	assert_string_equal(str_at(s, "resource"), "user");
	assert_int_equal(json_array_size(json_object_get(s, "changes")), 0);

	s = json_array_get(steps, 6);
	ch = json_array_get(json_object_get(s, "changes"), 1);
	assert_string_equal(str_at(ch, "field"), "parameters");
	assert_true(json_is_null(json_object_get(ch, "before")));
	assert_string_equal(str_at(ch, "after"), SENSITIVE);
	assert_true(json_is_true(json_object_get(ch, "sensitive")));

	s = json_array_get(steps, 12);
	assert_string_equal(str_at(s, "kind"), "remove_tag");
	assert_string_equal(str_at(s, "action"), "delete");
	assert_string_equal(str_at(s, "resource"), "workflow");
	assert_string_equal(str_at(s, "tag"), "old");
	assert_string_equal(str_at(s, "id"), "wf-off");

	o = json_object_get(j, "unmanaged");
	assert_int_equal(json_array_size(o), 3);
	u = json_array_get(o, 0);
	assert_string_equal(str_at(u, "resource"), "user");
	assert_string_equal(str_at(u, "identity"), "carol@example.com");
	assert_true(json_is_null(json_object_get(u, "kept_because")));
	u = json_array_get(o, 1);
	assert_string_equal(str_at(u, "kept_because"),
			    "an Owner: never pruned");
	u = json_array_get(o, 2);
	assert_string_equal(str_at(u, "resource"), "integration");
	assert_string_equal(str_at(u, "identity"), "old-jira");

	json_decref(j);
	plan_release(&p);
}

/* Keys in the documented order, as docs/plan-format.md shows them. */
static void test_render_json_exact(void **state)
{
	struct plan p;
	json_t *j;
	char *text;

	(void)state;
	start(&p, "w", 0);
	step(&p, STEP_CREATE_WORKSPACE, "w", NULL);
	step(&p, STEP_CREATE_RUNNER, "r", NULL);
	change(&p, "platform", NULL, "\"docker\"", 0);
	dep(&p, 0);
	step(&p, STEP_ADD_TAG, "f", "wf-f");
	dep(&p, 0);
	counts(&p, 2, 1, 0, 0);
	kind_counts(&p, RES_WORKSPACE, 1, 0, 0);
	kind_counts(&p, RES_RUNNER, 1, 0, 0);
	kind_counts(&p, RES_WORKFLOW, 0, 1, 0);
	unmanaged(&p, RES_RUNNER, "old", "why");

	j = render_json(&p);
	text = json_dumps(j, JSON_COMPACT);
	assert_string_equal(text,
		"{\"format_version\":1,"
		"\"workspace\":{\"name\":\"w\",\"exists\":false},\"prune\":false,"
		"\"summary\":{\"add\":2,\"change\":1,\"destroy\":0,"
		"\"unchanged\":0,\"by_kind\":{\"workspace\":{\"add\":1,"
		"\"change\":0,\"destroy\":0},\"step_runner\":{\"add\":1,"
		"\"change\":0,\"destroy\":0},\"workflow\":{\"add\":0,"
		"\"change\":1,\"destroy\":0}},\"verdict\":\"changes\"},"
		"\"steps\":["
		"{\"index\":0,\"kind\":\"create_workspace\","
		"\"action\":\"create\",\"resource\":\"workspace\","
		"\"identity\":\"w\",\"id\":null,\"changes\":[],"
		"\"depends_on\":[]},"
		"{\"index\":1,\"kind\":\"create_step_runner\","
		"\"action\":\"create\",\"resource\":\"step_runner\","
		"\"identity\":\"r\",\"id\":null,\"changes\":["
		"{\"field\":\"platform\",\"before\":null,"
		"\"after\":\"\\\"docker\\\"\",\"sensitive\":false}],"
		"\"depends_on\":[0]},"
		"{\"index\":2,\"kind\":\"add_tag\",\"action\":\"create\","
		"\"resource\":\"workflow\",\"identity\":\"f\","
		"\"id\":\"wf-f\",\"tag\":null,\"changes\":[],"
		"\"depends_on\":[0]}],"
		"\"unmanaged\":[{\"resource\":\"step_runner\","
		"\"identity\":\"old\",\"kept_because\":\"why\"}]}");
	free(text);
	json_decref(j);
	plan_release(&p);
}

/* jansson refuses bytes that are not UTF-8; no key may go missing. */
static void test_render_json_empty_and_not_utf8(void **state)
{
	struct plan p;
	json_t *j, *s;

	(void)state;
	start(&p, "caf\xe9", 1);
	j = reparse(render_json(&p));
	assert_string_equal(str_at(json_object_get(j, "workspace"), "name"),
			    "caf\xef\xbf\xbd");
	assert_int_equal(json_array_size(json_object_get(j, "steps")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "unmanaged")), 0);
	assert_int_equal(int_at(json_object_get(j, "summary"), "add"), 0);
	json_decref(j);

	step(&p, STEP_UPDATE_USER, "bad\xc3(@x", "id\x80");
	change(&p, "role", "\"\xf5\"", "\"Owner\"", 0);
	tag(&p, "ignored: not a tag step");
	unmanaged(&p, RES_USER, "\xed\xa0\x80@x", NULL);
	j = reparse(render_json(&p));
	s = json_array_get(json_object_get(j, "steps"), 0);
	assert_string_equal(str_at(s, "identity"), "bad\xef\xbf\xbd(@x");
	assert_string_equal(str_at(s, "id"), "id\xef\xbf\xbd");
	assert_null(json_object_get(s, "tag"));
	assert_string_equal(str_at(json_array_get(json_object_get(s,
		"changes"), 0), "before"), "\"\xef\xbf\xbd\"");
	assert_string_equal(str_at(json_array_get(json_object_get(j,
		"unmanaged"), 0), "identity"),
		"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd@x");
	json_decref(j);
	plan_release(&p);
}


/* A workflow's diff on the last step: old (NULL: an import) to new. */
static void diff(struct plan *p, const char *old, const char *new,
		 size_t max_lines)
{
	struct wfdiff_opts o = WFDIFF_OPTS_INIT;
	struct plan_step *s = last(p);
	struct buf err = BUF_INIT;

	o.max_lines = max_lines;
	s->diff = xcalloc(1, sizeof(*s->diff));
	assert_int_equal(wfdiff_compute("old", old, old ? strlen(old) : 0,
					"new", new, strlen(new), &o, s->diff,
					&err), 0);
	buf_release(&err);
}

static const char flow_old[] =
	"name: F\nsteps:\n  - id: a\n    type: http\n  - id: b\n"
	"    type: http\n    url: https://x.example/old\n"
	"    body: \"line one\\n\\nline three\"\n";
static const char flow_new[] =
	"name: F\nsteps:\n  - id: a\n    type: http\n  - id: b\n"
	"    type: http\n    url: https://x.example/new\n"
	"    body: \"line one\\n\\nline three\"\n";

/*
 * Text: the summary and the diff inside the workflow's block, a context
 * line of nothing left empty, colours only when asked.
 */
static void test_render_workflow_diff_text(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	start(&p, "w", 1);
	step(&p, STEP_UPDATE_WORKFLOW, "F", "wf-1");
	change(&p, "content", NULL, "(as in the file)", 0);
	diff(&p, flow_old, flow_new, 0);
	counts(&p, 0, 1, 0, 0);
	render_text(&p, 0, &out);
	assert_non_null(strstr(out.s,
		"  ~ workflow 'F'\n"
		"      content: (as in the file)\n"
		"      diff: steps: 1 changed (b)\n"
		"        @@ -8,4 +8,4 @@\n"
		"               line one\n"
		"\n"
		"               line three\n"
		"        -    url: https://x.example/old\n"
		"        +    url: https://x.example/new\n"));
	assert_tidy(out.s);
	assert_null(strchr(out.s, '\033'));
	buf_reset(&out);
	render_text(&p, 1, &out);
	assert_non_null(strstr(out.s, "\033[31m-    url: https://x.example/old"
			       "\033[0m\n"));
	assert_non_null(strstr(out.s, "\033[32m+    url: https://x.example/new"
			       "\033[0m\n"));
	buf_release(&out);
	plan_release(&p);
}

/* Cut to a few lines, the rest counted; an import is "all new". */
static void test_render_workflow_diff_cut(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	start(&p, "w", 1);
	step(&p, STEP_IMPORT_WORKFLOW, "F", NULL);
	diff(&p, NULL, flow_new, 4);
	counts(&p, 1, 0, 0, 0);
	render_text(&p, 0, &out);
	assert_non_null(strstr(out.s,
		"      diff: all new; steps: 2 added (a, b)\n"
		"        @@ -0,0 +1,11 @@\n"
		"        +name: F\n"
		"        +steps:\n"
		"        +  - id: a\n"
		"        ... 8 more lines (see the workflow's file)\n"));
	assert_tidy(out.s);
	buf_release(&out);
	plan_release(&p);
}

/*
 * Markdown: each diff folded below the plan's block, its title escaped
 * as HTML, its fence longer than any backticks the YAML holds.
 */
static void test_render_workflow_diff_markdown(void **state)
{
	struct plan p;
	struct buf out = BUF_INIT;

	(void)state;
	start(&p, "w", 1);
	step(&p, STEP_UPDATE_WORKFLOW, "<b>F</b> & co", "wf-1");
	change(&p, "content", NULL, "(as in the file)", 0);
	diff(&p, "name: F\nsteps:\n  - id: a\n    run: \"```\"\n",
	     "name: F\nsteps:\n  - id: a\n    run: \"````x\"\n", 0);
	counts(&p, 0, 1, 0, 0);
	kind_counts(&p, RES_WORKFLOW, 0, 1, 0);
	render_markdown(&p, &out);
	assert_non_null(strstr(out.s, "      diff: steps: 1 changed (a) "
			       "(below)\n"));
	assert_non_null(strstr(out.s,
		"<details><summary>workflow &#39;&lt;b&gt;F&lt;/b&gt; &amp; co&#39;: "
		"steps: 1 changed (a)</summary>\n"
		"\n"
		"`````diff\n"
		"@@ -1,4 +1,4 @@\n"
		" name: F\n"
		" steps:\n"
		"   - id: a\n"
		"-    run: \"```\"\n"
		"+    run: \"````x\"\n"
		"`````\n"
		"\n"
		"</details>\n"));
	assert_tidy(out.s);
	buf_release(&out);
	plan_release(&p);
}

/* JSON: the step carries the diff, summary, steps and hunks. */
static void test_render_workflow_diff_json(void **state)
{
	struct plan p;
	json_t *j, *d;

	(void)state;
	start(&p, "w", 1);
	step(&p, STEP_UPDATE_WORKFLOW, "F", "wf-1");
	diff(&p, flow_old, flow_new, 0);
	j = reparse(render_json(&p));
	d = json_object_get(json_array_get(json_object_get(j, "steps"), 0),
			    "diff");
	assert_non_null(d);
	assert_string_equal(str_at(d, "summary"), "steps: 1 changed (b)");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		json_object_get(d, "steps"), "changed"), 0)), "b");
	assert_int_equal(json_integer_value(json_object_get(d, "plus")), 1);
	assert_int_equal(json_array_size(json_object_get(d, "hunks")), 1);
	json_decref(j);
	plan_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_text_example),
		cmocka_unit_test(test_render_text_colour),
		cmocka_unit_test(test_render_text_new_workspace),
		cmocka_unit_test(test_render_text_merges_steps_per_object),
		cmocka_unit_test(test_render_text_empty),
		cmocka_unit_test(test_render_sensitive_values_never_shown),
		cmocka_unit_test(test_render_text_escapes_control_characters),
		cmocka_unit_test(test_render_markdown_example),
		cmocka_unit_test(test_render_markdown_empty),
		cmocka_unit_test(test_render_markdown_fence_cannot_be_closed),
		cmocka_unit_test(test_render_json_structure),
		cmocka_unit_test(test_render_json_exact),
		cmocka_unit_test(test_render_json_empty_and_not_utf8),
		cmocka_unit_test(test_render_workflow_diff_text),
		cmocka_unit_test(test_render_workflow_diff_cut),
		cmocka_unit_test(test_render_workflow_diff_markdown),
		cmocka_unit_test(test_render_workflow_diff_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
