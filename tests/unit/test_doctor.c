#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/doctor.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* Answers judged against the shape torq-apply needs. */

static enum doctor_result judge(const struct doctor_shape *sh,
				const char *text, struct buf *detail)
{
	json_t *j = json_loads(text, 0, NULL);
	enum doctor_result r;

	assert_non_null(j);
	r = doctor_judge(sh, j, "things", detail);
	json_decref(j);
	return r;
}

static void test_lists(void **state)
{
	static const char *const fields[] = {
		"id", "display_name|name", "?rank:n", "?tags:a",
		"?sharing_data.direction", NULL,
	};
	const struct doctor_shape sh = { "things", fields };
	struct buf d = BUF_INIT;

	(void)state;
	/* unknown fields ignored; int64 as a string; the other key */
	assert_int_equal(judge(&sh, "{\"things\": [{\"id\": \"1\", \"name\":"
			       " \"a\", \"rank\": \"2\", \"new\": {}}, {\"id\":"
			       " \"2\", \"display_name\": \"b\", \"rank\": 3,"
			       " \"tags\": [], \"sharing_data\": {\"direction"
			       "\": \"incoming\"}}], \"next_page_token\": "
			       "\"\"}", &d), DOCTOR_OK);
	assert_string_equal(d.s, "2 things");
	assert_int_equal(judge(&sh, "{\"things\": []}", &d), DOCTOR_OK);
	assert_string_equal(d.s, "0 things");

	/* the first difference, and how many items differ */
	assert_int_equal(judge(&sh, "{\"things\": [{\"id\": \"1\", \"name\":"
			       " \"a\"}, {\"id\": 2, \"name\": \"b\"}, {\"name"
			       "\": \"c\"}]}", &d), DOCTOR_DIFFERS);
	assert_string_equal(d.s, "things[1].id: not a string (2 of 3 items)");
	assert_int_equal(judge(&sh, "{\"things\": [{\"id\": \"1\"}]}", &d),
			 DOCTOR_DIFFERS);
	assert_string_equal(d.s, "things[0].display_name|name: missing "
			    "(1 of 1 items)");
	assert_int_equal(judge(&sh, "{\"things\": [{\"id\": \"1\", \"name\":"
			       " \"a\", \"rank\": \"x2\"}]}", &d),
			 DOCTOR_DIFFERS);
	assert_non_null(strstr(d.s, "rank: not a number"));
	assert_int_equal(judge(&sh, "{\"things\": [{\"id\": \"1\", \"name\":"
			       " \"a\", \"sharing_data\": {\"direction\": 1}}]}",
			       &d), DOCTOR_DIFFERS);
	assert_non_null(strstr(d.s, "sharing_data.direction: not a string"));
	assert_int_equal(judge(&sh, "{\"items\": []}", &d), DOCTOR_DIFFERS);
	assert_string_equal(d.s, "things: missing");
	assert_int_equal(judge(&sh, "{\"things\": {}}", &d), DOCTOR_DIFFERS);
	assert_string_equal(d.s, "things: not a list");
	assert_int_equal(judge(&sh, "[]", &d), DOCTOR_DIFFERS);
	assert_int_equal(judge(&sh, "{\"things\": [3]}", &d), DOCTOR_DIFFERS);
	assert_non_null(strstr(d.s, "things[0]: not an object"));
	buf_release(&d);
}

static void test_objects(void **state)
{
	static const char *const fields[] = { "revision.yaml", NULL };
	const struct doctor_shape sh = { NULL, fields };
	struct buf d = BUF_INIT;

	(void)state;
	assert_int_equal(judge(&sh, "{\"revision\": {\"yaml\": \"a: 1\"}}",
			       &d), DOCTOR_OK);
	assert_int_equal(judge(&sh, "{\"revision\": {\"text\": \"a: 1\"}}",
			       &d), DOCTOR_DIFFERS);
	assert_string_equal(d.s, "revision.yaml: missing");
	assert_int_equal(judge(&sh, "{\"yaml\": \"a: 1\"}", &d),
			 DOCTOR_DIFFERS);
	buf_release(&d);
}

/* Optional calls may be refused; never may they differ. */
static void test_usable_and_text(void **state)
{
	struct doctor_call calls[2] = {
		{ "GET /roles", "plan", 0, DOCTOR_OK, NULL },
		{ "GET /workspaces", "report", 1, DOCTOR_REFUSED, NULL },
	};
	struct buf out = BUF_INIT;
	json_t *j;

	(void)state;
	calls[0].detail = xstrdup("10 roles");
	calls[1].detail = xstrdup("HTTP 403 \033[31m");
	assert_true(doctor_usable(calls, 2));
	doctor_text("http://x", calls, 2, &out);
	assert_non_null(strstr(out.s, "GET /roles       ok        10 roles\n"));
	assert_non_null(strstr(out.s, "limits: report"));
	assert_null(strchr(out.s, '\033'));
	assert_non_null(strstr(out.s, "Every call plan and apply need is "
			       "usable."));
	calls[1].result = DOCTOR_DIFFERS;
	assert_false(doctor_usable(calls, 2));
	calls[1].result = DOCTOR_OK;
	calls[0].result = DOCTOR_ABSENT;
	assert_false(doctor_usable(calls, 2));
	j = doctor_json("http://x", calls, 2);
	assert_true(json_is_false(json_object_get(j, "usable")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(j, "calls"), 0), "result")), "absent");
	json_decref(j);
	free(calls[0].detail);
	free(calls[1].detail);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_usable_and_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
