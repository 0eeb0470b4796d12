#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/path.h"
#include "torq/banned.h"

static void test_path_relative_to(void **state)
{
	static const char *const cases[][3] = {
		{ "a/b.yaml", "../c.yaml", "c.yaml" },
		{ "x.yaml", "t/y.yaml", "t/y.yaml" },
		{ "x.yaml", "/abs/y", "/abs/y" },
		{ "manifests/examples/m.yaml", "../../s.json", "s.json" },
		{ "m.yaml", "../x", "../x" },
		{ "a/m.yaml", "../../x", "../x" },
		{ "a/m.yaml", ".//b/./c", "a/b/c" },
		{ "/r/m.yaml", "../../../x", "/x" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		path_relative_to(cases[i][0], cases[i][1], &b);
		assert_string_equal(b.s, cases[i][2]);
	}
	buf_reset(&b);
	path_dirname("file", &b);
	assert_string_equal(b.s, ".");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_relative_to),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
