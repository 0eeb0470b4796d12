#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/suggest.h"
#include "torq/banned.h"

static void test_suggest_distance_and_threshold(void **state)
{
	static const char *const keys[] = { "users", "workspace", "workflows",
					    "version" };

	(void)state;
	assert_int_equal(edit_distance("usres", "users"), 1);
	assert_int_equal(edit_distance("USERS", "users"), 0);
	assert_int_equal(edit_distance("", "abc"), 3);
	assert_string_equal(suggest("usres", keys, 4), "users");
	assert_string_equal(suggest("worflows", keys, 4), "workflows");
	assert_null(suggest("zzz", keys, 4));
	assert_null(suggest("users", keys, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suggest_distance_and_threshold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
