/* Lexical file-name arithmetic: paths relative to the file naming them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/path.h"
#include "torq/banned.h"

static void test_path_dirname(void **state)
{
	static const char *const cases[][2] = {
		{ "a/b.yaml", "a" },
		{ "file", "." },
		{ "", "." },
		{ "/x", "/" },
		{ "/a/b/c.yaml", "/a/b" },
		{ "a/b/", "a/b" },
		{ "./m.yaml", "." },
		{ "../m.yaml", ".." },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		path_dirname(cases[i][0], &b);
		if (strcmp(b.s, cases[i][1]))
			fail_msg("dirname('%s') = '%s', expected '%s'",
				 cases[i][0], b.s, cases[i][1]);
	}
	buf_release(&b);
}

static void test_path_dirname_appends(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_addstr(&b, "dir=");
	path_dirname("x/y/z.yaml", &b);
	assert_string_equal(b.s, "dir=x/y");
	buf_release(&b);
}

static void check_cases(const char *const (*cases)[3], size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		buf_reset(&b);
		path_relative_to(cases[i][0], cases[i][1], &b);
		if (strcmp(b.s, cases[i][2]))
			fail_msg("'%s' + '%s' = '%s', expected '%s'",
				 cases[i][0], cases[i][1], b.s, cases[i][2]);
	}
	buf_release(&b);
}

static void test_path_relative_to_the_including_file(void **state)
{
	static const char *const cases[][3] = {
		{ "a/b.yaml", "../c.yaml", "c.yaml" },
		{ "x.yaml", "t/y.yaml", "t/y.yaml" },
		{ "a/m.yaml", "t/y.yaml", "a/t/y.yaml" },
		{ "manifests/examples/m.yaml", "../../s.json", "s.json" },
		{ "manifests/examples/m.yaml", "../s.json",
		  "manifests/s.json" },
		{ "/etc/torq/m.yaml", "t/a.yaml", "/etc/torq/t/a.yaml" },
		{ "/etc/torq/m.yaml", "../x", "/etc/x" },
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_path_relative_to_keeps_absolute(void **state)
{
	static const char *const cases[][3] = {
		{ "x.yaml", "/abs/y", "/abs/y" },
		{ "a/b/m.yaml", "/abs/y", "/abs/y" },
		{ "/r/m.yaml", "/s/t", "/s/t" },
		/* folded, but never above the root */
		{ "x.yaml", "/abs/./y/../z", "/abs/z" },
		{ "/r/m.yaml", "../../../x", "/x" },
		{ "x.yaml", "/..", "/" },
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_path_relative_to_keeps_leading_dotdot(void **state)
{
	static const char *const cases[][3] = {
		{ "m.yaml", "../x", "../x" },
		{ "a/m.yaml", "../../x", "../x" },
		{ "a/b/m.yaml", "../../../../x", "../../x" },
		{ "../m.yaml", "x", "../x" },
		{ "../../m.yaml", "../x", "../../../x" },
		{ "../a/m.yaml", "../x", "../x" },
		{ "m.yaml", "../a/../b", "../b" },
		{ "m.yaml", "../a/../..", "../.." },
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_path_relative_to_folds_dot_and_slashes(void **state)
{
	static const char *const cases[][3] = {
		{ "a/m.yaml", ".//b/./c", "a/b/c" },
		{ "./m.yaml", "./x.yaml", "x.yaml" },
		{ "a//m.yaml", "b//c", "a/b/c" },
		{ "a/./b/m.yaml", "c", "a/b/c" },
		{ "m.yaml", ".", "." },
		{ "m.yaml", "a/..", "." },
		{ "a/m.yaml", "..", "." },
		{ "m.yaml", "dir/", "dir" },
		{ "m.yaml", "a/b/../../c", "c" },
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_path_relative_to_appends(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_addstr(&b, "> ");
	path_relative_to("a/m.yaml", "../x", &b);
	assert_string_equal(b.s, "> x");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_dirname),
		cmocka_unit_test(test_path_dirname_appends),
		cmocka_unit_test(test_path_relative_to_the_including_file),
		cmocka_unit_test(test_path_relative_to_keeps_absolute),
		cmocka_unit_test(test_path_relative_to_keeps_leading_dotdot),
		cmocka_unit_test(test_path_relative_to_folds_dot_and_slashes),
		cmocka_unit_test(test_path_relative_to_appends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
