/* Facts about workflow YAML: the digest of its meaning, nested calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/wfyaml.h"
#include "torq/sha256.h"
#include "torq/banned.h"

static void digest_ok(const char *yaml, char out[65])
{
	struct buf err = BUF_INIT;

	if (wfyaml_digest("w.yaml", yaml, strlen(yaml), out, &err))
		fail_msg("digest failed: %s", err.s);
	assert_int_equal(strlen(out), 64);
	buf_release(&err);
}

static int same_digest(const char *one, const char *two)
{
	char a[65], b[65];

	digest_ok(one, a);
	digest_ok(two, b);
	return !strcmp(a, b);
}

static const char phishing[] =
	"name: Phishing triage\n"
	"trigger:\n"
	"  type: webhook\n"
	"  integration: phishing_webhook\n"
	"steps:\n"
	"  - id: enrich\n"
	"    type: nested\n"
	"    workflow: Enrich IOC\n"
	"  - id: notify\n"
	"    type: integration\n"
	"    timeout: 30\n";

static void test_wfyaml_same_meaning_same_digest(void **state)
{
	static const char *const same[] = {
		/* comments, key order, flow style, quoting, blank lines */
		"# the phishing flow\n"
		"steps:\n"
		"- {id: enrich, workflow: \"Enrich IOC\", type: nested}\n"
		"- type: 'integration'\n"
		"  id: notify   # tell the SOC\n"
		"  timeout: 30\n"
		"\n"
		"trigger: {integration: phishing_webhook, type: webhook}\n"
		"name: \"Phishing triage\"\n",
		/* JSON is YAML too; an anchor and hex change nothing */
		"{\"name\": \"Phishing triage\", \"trigger\": {\"type\": "
		"\"webhook\", \"integration\": \"phishing_webhook\"}, "
		"\"steps\": [{\"id\": \"enrich\", \"type\": \"nested\", "
		"\"workflow\": \"Enrich IOC\"}, {\"id\": \"notify\", "
		"\"type\": \"integration\", \"timeout\": 30}]}",
		"name: Phishing triage\n"
		"trigger: &t\n"
		"  type: webhook\n"
		"  integration: phishing_webhook\n"
		"steps:\n"
		"  - id: enrich\n"
		"    type: nested\n"
		"    workflow: Enrich IOC\n"
		"  - id: notify\n"
		"    type: integration\n"
		"    timeout: 0x1E\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (!same_digest(phishing, same[i]))
			fail_msg("text %zu has another digest", i);
}

/* The digest is SHA-256 of the canonical JSON, so others can check it. */
static void test_wfyaml_digest_is_sha256_of_json(void **state)
{
	static const char canon[] = "{\"a\":[1,true,null],\"b\":\"x\"}";
	char got[65], want[65];

	(void)state;
	digest_ok("b: x\na: [1, true, ~]\n", got);
	sha256_hex(canon, strlen(canon), want);
	assert_string_equal(got, want);
	digest_ok("", got);
	sha256_hex("null", 4, want);
	assert_string_equal(got, want);
}

static void test_wfyaml_changed_value_changes_digest(void **state)
{
	static const char *const other[] = {
		"name: Phishing triage\ntrigger: {type: webhook, integration: "
		"phishing_webhook}\nsteps: [{id: enrich, type: nested, "
		"workflow: Enrich IOCs}, {id: notify, type: integration, "
		"timeout: 30}]\n",
		/* a number is not a string */
		"name: Phishing triage\ntrigger: {type: webhook, integration: "
		"phishing_webhook}\nsteps: [{id: enrich, type: nested, "
		"workflow: Enrich IOC}, {id: notify, type: integration, "
		"timeout: \"30\"}]\n",
		/* step order counts */
		"name: Phishing triage\ntrigger: {type: webhook, integration: "
		"phishing_webhook}\nsteps: [{id: notify, type: integration, "
		"timeout: 30}, {id: enrich, type: nested, workflow: Enrich "
		"IOC}]\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (same_digest(phishing, other[i]))
			fail_msg("text %zu has the same digest", i);
}

static void test_wfyaml_malformed(void **state)
{
	struct buf err = BUF_INIT;
	char out[65];
	char **names = (char **)&err;
	size_t nr = 7;
	static const char bad[] = "name: x\nsteps: [a, b\n";

	(void)state;
	assert_int_equal(wfyaml_digest("wf/x.yaml", bad, strlen(bad), out,
				       &err), -1);
	if (strncmp(err.s, "wf/x.yaml: line ", 16))
		fail_msg("unexpected message '%s'", err.s);
	buf_reset(&err);
	assert_int_equal(wfyaml_nested("workflow 'X' in the source workspace",
				       bad, strlen(bad), &names, &nr, &err),
			 -1);
	if (strncmp(err.s, "workflow 'X' in the source workspace: line ", 43))
		fail_msg("unexpected message '%s'", err.s);
	assert_null(names);
	assert_int_equal(nr, 0);

	/* what the loader refuses beyond syntax: duplicate keys */
	buf_reset(&err);
	assert_int_equal(wfyaml_digest("d.yaml", "a: 1\na: 2\n", 10, out,
				       &err), -1);
	assert_string_equal(err.s, "d.yaml: line 2, column 1: duplicate key "
			    "'a'");
	buf_release(&err);
}

static void expect_nested(const char *yaml, const char *const *want,
			  size_t want_nr)
{
	struct buf err = BUF_INIT;
	char **names = NULL;
	size_t nr = 0, i;

	if (wfyaml_nested("w.yaml", yaml, strlen(yaml), &names, &nr, &err))
		fail_msg("nested failed: %s", err.s);
	assert_int_equal(nr, want_nr);
	for (i = 0; i < nr; i++)
		assert_string_equal(names[i], want[i]);
	if (!nr)
		assert_null(names);
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	buf_release(&err);
}

static void test_wfyaml_nested(void **state)
{
	static const char yaml[] =
		"name: Parent\n"
		"trigger: {type: nested}\n"
		"steps:\n"
		"  - type: nested\n"
		"    workflow: Zeta\n"
		"  - type: condition\n"
		"    branches:\n"
		"      - when: x\n"
		"        steps:\n"
		"          - {type: nested, workflow: Alpha}\n"
		"          - {type: nested, workflow: Zeta}\n"
		"      - otherwise:\n"
		"          deeper:\n"
		"            step: {type: nested, workflow: Mid dle}\n"
		"  - {type: nested, workflow: Alpha}\n"
		"  - {type: integration, workflow: NotNested}\n"
		"  - {type: nested, workflow: 42}\n"
		"  - {type: nested}\n"
		"  - {type: Nested, workflow: WrongCase}\n"
		"  - [{type: nested, workflow: \"Beta\"}]\n";
	static const char *const want[] = { "Alpha", "Beta", "Mid dle",
					    "Zeta" };

	(void)state;
	expect_nested(yaml, want, 4);
	expect_nested("name: Leaf\nsteps: []\n", NULL, 0);
	expect_nested("", NULL, 0);
	expect_nested("{type: nested, workflow: Top}\n",
		      (const char *const[]){ "Top" }, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wfyaml_same_meaning_same_digest),
		cmocka_unit_test(test_wfyaml_digest_is_sha256_of_json),
		cmocka_unit_test(test_wfyaml_changed_value_changes_digest),
		cmocka_unit_test(test_wfyaml_malformed),
		cmocka_unit_test(test_wfyaml_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
