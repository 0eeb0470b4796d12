/* What a log line may show of a JSON body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/redact.h"
#include "torq/doc.h"
#include "torq/buf.h"
#include "torq/banned.h"

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);

	if (!v)
		fail_msg("bad test JSON: %s", jerr.text);
	return v;
}

/* redact_json(in) must equal want, and leave in as it was. */
static void expect_redacted(const char *in, const char *want)
{
	json_t *body = parse(in), *before = parse(in), *expected = parse(want);
	json_t *got = redact_json(body);
	char *text;

	assert_non_null(got);
	assert_ptr_not_equal(got, body);
	if (!json_equal(got, expected)) {
		text = json_dumps(got, JSON_SORT_KEYS);
		fail_msg("redact(%s) = %s, expected %s", in, text, want);
	}
	assert_true(json_equal(body, before));
	json_decref(body);
	json_decref(before);
	json_decref(expected);
	json_decref(got);
}

static void test_redact_keys(void **state)
{
	static const char *const yes[] = {
		"client_secret", "access_token", "refresh_token", "password",
		"secret", "token", "authorization", "api_key",
		"Client_Secret", "AUTHORIZATION", "Api_Key", "Token",
	};
	static const char *const no[] = {
		"client_id", "token_type", "expires_in", "name", "secrets",
		"my_password", "", "tokens", "parameters", "api_keys",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!redact_key_is_sensitive(yes[i]))
			fail_msg("'%s' should be sensitive", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (redact_key_is_sensitive(no[i]))
			fail_msg("'%s' should not be sensitive", no[i]);
	assert_int_equal(redact_key_is_sensitive(NULL), 0);
}

static void test_redact_token_response(void **state)
{
	(void)state;
	expect_redacted("{\"access_token\": \"eyJ.x.y\", \"token_type\": "
			"\"Bearer\", \"expires_in\": 3600}",
			"{\"access_token\": \"(sensitive)\", \"token_type\": "
			"\"Bearer\", \"expires_in\": 3600}");
}

static void test_redact_nested_and_case(void **state)
{
	(void)state;
	expect_redacted("{\"a\": {\"b\": {\"Client_Secret\": \"s\", "
			"\"client_id\": \"id\"}}, \"PASSWORD\": null, "
			"\"n\": 1.5, \"ok\": true}",
			"{\"a\": {\"b\": {\"Client_Secret\": \"(sensitive)\", "
			"\"client_id\": \"id\"}}, \"PASSWORD\": "
			"\"(sensitive)\", \"n\": 1.5, \"ok\": true}");
	/* A sensitive key hides its whole value, whatever its type. */
	expect_redacted("{\"api_key\": {\"id\": \"k\", \"secret\": \"s\"}, "
			"\"token\": [\"t1\", \"t2\"], \"secret\": 42}",
			"{\"api_key\": \"(sensitive)\", \"token\": "
			"\"(sensitive)\", \"secret\": \"(sensitive)\"}");
}

static void test_redact_arrays_of_objects(void **state)
{
	(void)state;
	expect_redacted("{\"items\": [{\"name\": \"a\", \"password\": \"p1\"},"
			" {\"name\": \"b\", \"refresh_token\": \"r\"}, 7, "
			"[{\"authorization\": \"Bearer x\"}]]}",
			"{\"items\": [{\"name\": \"a\", \"password\": "
			"\"(sensitive)\"}, {\"name\": \"b\", \"refresh_token\":"
			" \"(sensitive)\"}, 7, [{\"authorization\": "
			"\"(sensitive)\"}]]}");
	expect_redacted("[{\"secret\": \"s\"}, \"secret\"]",
			"[{\"secret\": \"(sensitive)\"}, \"secret\"]");
}

static void test_redact_parameters(void **state)
{
	(void)state;
	/* Keys kept, every value hidden, nested objects and arrays too. */
	expect_redacted("{\"integrations\": [{\"name\": \"slack\", "
			"\"Parameters\": {\"url\": \"https://x\", \"auth\": "
			"{\"user\": \"u\", \"pass\": \"p\"}, "
			"\"scopes\": [\"a\"], \"port\": 443, \"on\": false}}]}",
			"{\"integrations\": [{\"name\": \"slack\", "
			"\"Parameters\": {\"url\": \"(sensitive)\", \"auth\": "
			"\"(sensitive)\", \"scopes\": \"(sensitive)\", "
			"\"port\": \"(sensitive)\", \"on\": "
			"\"(sensitive)\"}}]}");
	/* Parameters that are not an object are hidden whole. */
	expect_redacted("{\"parameters\": [\"k\", \"v\"], \"x\": {"
			"\"parameters\": \"p\"}}",
			"{\"parameters\": \"(sensitive)\", \"x\": {"
			"\"parameters\": \"(sensitive)\"}}");
	expect_redacted("{\"parameters\": {}}", "{\"parameters\": {}}");
}

static void test_redact_scalars_and_null(void **state)
{
	json_t *v = json_string("token");
	json_t *got;

	(void)state;
	assert_null(redact_json(NULL));
	got = redact_json(v);
	assert_string_equal(json_string_value(got), "token");
	/* A copy: changing it leaves the original alone. */
	json_string_set(got, SENSITIVE);
	assert_string_equal(json_string_value(v), "token");
	json_decref(got);
	json_decref(v);
	expect_redacted("{}", "{}");
	expect_redacted("[]", "[]");
}

static void test_redact_is_a_deep_copy(void **state)
{
	json_t *body = parse("{\"a\": {\"b\": [1, {\"c\": \"d\"}]}}");
	json_t *got = redact_json(body);
	json_t *inner;

	(void)state;
	inner = json_object_get(json_array_get(json_object_get(
		json_object_get(got, "a"), "b"), 1), "c");
	assert_non_null(inner);
	assert_ptr_not_equal(json_object_get(got, "a"),
			     json_object_get(body, "a"));
	json_string_set(inner, "changed");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(json_object_get(body, "a"), "b"), 1), "c")),
		"d");
	json_decref(got);
	json_decref(body);
}

/* Free text: known secrets, JSON lines and terminal controls. */
static void test_redact_text(void **state)
{
	const char *secrets[] = { "hunter2", "", "pa\0ss" };
	const size_t lens[] = { 7, 0, 5 };
	const char text[] = "token hunter2 and hunter2x\n"
			    "{\"password\": \"p\", \"user\": \"u\"}\n"
			    "pa\0ss \x1b[2J done";
	struct buf out = BUF_INIT;

	(void)state;
	redact_text(text, sizeof(text) - 1, secrets, lens, 3, &out);
	assert_string_equal(out.s, "token (sensitive) and (sensitive)x\n"
			    "{\"password\":\"(sensitive)\",\"user\":\"u\"}\n"
			    "(sensitive) \\x1b[2J done");
	buf_reset(&out);
	redact_text("", 0, NULL, NULL, 0, &out);
	assert_string_equal(out.s, "");
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_keys),
		cmocka_unit_test(test_redact_token_response),
		cmocka_unit_test(test_redact_nested_and_case),
		cmocka_unit_test(test_redact_arrays_of_objects),
		cmocka_unit_test(test_redact_parameters),
		cmocka_unit_test(test_redact_scalars_and_null),
		cmocka_unit_test(test_redact_is_a_deep_copy),
		cmocka_unit_test(test_redact_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
