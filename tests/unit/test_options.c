#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/options.h"
#include "torq/banned.h"

static int seen;
static int count_cb(const struct option *o, const char *arg, void *ctx,
		    struct buf *err)
{
	(void)o;
	(void)ctx;
	if (!strcmp(arg, "bad")) {
		buf_addstr(err, "bad value");
		return -1;
	}
	seen = seen * 10 + (arg[0] - '0');
	return 0;
}

static void test_options_parse(void **state)
{
	int flag = 0, n = 0;
	const char *out = NULL;
	struct buf err = BUF_INIT;
	const struct option opts[] = {
		OPT_FLAG_("quiet", 'q', &flag, "quiet"),
		OPT_STRING_("out", 'o', &out, "FILE", "output"),
		OPT_CALLBACK_("var", 0, count_cb, "X", "var"),
		OPT_END_(),
	};
	const char *a1[] = { "m.yaml", "--var", "1", "-q", "--out=p",
			     "--var=2", "--", "--not-an-option" };
	const char *a2[] = { "--outt", "x" };
	const char *a3[] = { "--quiet=1" };
	const char *a4[] = { "--out" };
	const char *a5[] = { "x", "-h" };
	const char *a6[] = { "--var", "bad" };

	(void)state;
	seen = 0;
	assert_int_equal(parse_options(8, a1, opts, NULL, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a1[0], "m.yaml");
	assert_string_equal(a1[1], "--not-an-option");
	assert_int_equal(flag, 1);
	assert_string_equal(out, "p");
	assert_int_equal(seen, 12);
	assert_int_equal(parse_options(2, a2, opts, NULL, &n, &err), -1);
	assert_string_equal(err.s, "unknown option '--outt'; did you mean "
			    "'--out'?");
	buf_reset(&err);
	assert_int_equal(parse_options(1, a3, opts, NULL, &n, &err), -1);
	assert_string_equal(err.s, "option '--quiet' takes no value");
	buf_reset(&err);
	assert_int_equal(parse_options(1, a4, opts, NULL, &n, &err), -1);
	assert_string_equal(err.s, "option '--out' needs a value (FILE)");
	assert_int_equal(parse_options(2, a5, opts, NULL, &n, &err),
			 OPTIONS_HELP);
	buf_reset(&err);
	assert_int_equal(parse_options(2, a6, opts, NULL, &n, &err), -1);
	assert_string_equal(err.s, "bad value");
	buf_reset(&err);
	options_usage("u", "s", opts, &err);
	assert_non_null(strstr(err.s, "  -o, --out FILE  output\n"));
	assert_non_null(strstr(err.s, "  --var X         var\n"));
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
