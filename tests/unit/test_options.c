/* Option tables: parsing arguments and printing --help from one table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/options.h"
#include "torq/banned.h"

/* What the callbacks saw, in order. */
struct record {
	struct buf seen;
	int calls;
};

static int record_cb(const struct option *o, const char *arg, void *ctx,
		     struct buf *err)
{
	struct record *r = ctx;

	if (!strcmp(arg, "bad")) {
		buf_addf(err, "--%s: bad value", o->long_name);
		return -1;
	}
	buf_addf(&r->seen, "%s=%s;", o->long_name, arg);
	r->calls++;
	return 0;
}

struct fixture {
	int quiet, verbose;
	const char *out, *name;
	struct record rec;
	struct buf err;
	struct option opts[6];
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	const struct option opts[] = {
		OPT_FLAG_("quiet", 'q', &f->quiet, "print less"),
		OPT_FLAG_("verbose", 0, &f->verbose, "print more"),
		OPT_STRING_("out", 'o', &f->out, "FILE", "write to FILE"),
		OPT_STRING_("name", 0, &f->name, "NAME", "the name"),
		OPT_CALLBACK_("var", 'V', record_cb, "NAME=VALUE",
			      "set a variable"),
		OPT_END_(),
	};

	memcpy(f->opts, opts, sizeof(opts));
	buf_init(&f->rec.seen);
	buf_init(&f->err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	buf_release(&f->rec.seen);
	buf_release(&f->err);
	test_free(f);
	return 0;
}

static int parse(struct fixture *f, int argc, const char **argv, int *n)
{
	return parse_options(argc, argv, f->opts, &f->rec, n, &f->err);
}

static void test_options_long_and_short_flags(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "--quiet", "--verbose" };
	const char *argv2[] = { "-q" };
	int n = -1;

	assert_int_equal(parse(f, 2, argv, &n), OPTIONS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(f->quiet, 1);
	assert_int_equal(f->verbose, 1);
	f->quiet = 0;
	assert_int_equal(parse(f, 1, argv2, &n), OPTIONS_OK);
	assert_int_equal(f->quiet, 1);
	assert_string_equal(f->err.s, "");
}

static void test_options_values_in_every_form(void **state)
{
	struct fixture *f = *state;
	const char *a1[] = { "--out=a.json" };
	const char *a2[] = { "--out", "b.json" };
	const char *a3[] = { "-o", "c.json" };
	const char *a4[] = { "--out=" };
	const char *a5[] = { "--out=k=v" };
	const char *a6[] = { "--out", "--quiet" };
	const char *a7[] = { "--out", "x", "--out", "y" };
	int n;

	assert_int_equal(parse(f, 1, a1, &n), OPTIONS_OK);
	assert_string_equal(f->out, "a.json");
	assert_int_equal(parse(f, 2, a2, &n), OPTIONS_OK);
	assert_string_equal(f->out, "b.json");
	assert_int_equal(n, 0);
	assert_int_equal(parse(f, 2, a3, &n), OPTIONS_OK);
	assert_string_equal(f->out, "c.json");
	/* an empty value is a value */
	assert_int_equal(parse(f, 1, a4, &n), OPTIONS_OK);
	assert_string_equal(f->out, "");
	/* only the first '=' separates */
	assert_int_equal(parse(f, 1, a5, &n), OPTIONS_OK);
	assert_string_equal(f->out, "k=v");
	/* the next argument is the value, whatever it looks like */
	assert_int_equal(parse(f, 2, a6, &n), OPTIONS_OK);
	assert_string_equal(f->out, "--quiet");
	assert_int_equal(f->quiet, 0);
	/* the last one wins */
	assert_int_equal(parse(f, 4, a7, &n), OPTIONS_OK);
	assert_string_equal(f->out, "y");
	/* the value points into argv */
	assert_ptr_equal(f->out, a7[3]);
}

static void test_options_positionals_are_compacted(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "a.yaml", "-q", "b.yaml", "--out", "o.json",
			       "-", "c.yaml", "--name=n" };
	int n = -1;

	assert_int_equal(parse(f, 8, argv, &n), OPTIONS_OK);
	assert_int_equal(n, 4);
	assert_string_equal(argv[0], "a.yaml");
	assert_string_equal(argv[1], "b.yaml");
	/* a lone "-" is an argument (standard input, by convention) */
	assert_string_equal(argv[2], "-");
	assert_string_equal(argv[3], "c.yaml");
	assert_int_equal(f->quiet, 1);
	assert_string_equal(f->out, "o.json");
	assert_string_equal(f->name, "n");
}

static void test_options_double_dash_ends_options(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "-q", "--", "--verbose", "-o", "x", "--" };
	int n = -1;

	assert_int_equal(parse(f, 6, argv, &n), OPTIONS_OK);
	assert_int_equal(n, 4);
	assert_string_equal(argv[0], "--verbose");
	assert_string_equal(argv[1], "-o");
	assert_string_equal(argv[2], "x");
	assert_string_equal(argv[3], "--");
	assert_int_equal(f->quiet, 1);
	assert_int_equal(f->verbose, 0);
	assert_null(f->out);
}

static void test_options_callbacks_in_order(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "--var", "a=1", "m.yaml", "-V", "b=2",
			       "--var=c=3", "--var", "a=4" };
	int n = -1;

	assert_int_equal(parse(f, 8, argv, &n), OPTIONS_OK);
	assert_int_equal(f->rec.calls, 4);
	assert_string_equal(f->rec.seen.s, "var=a=1;var=b=2;var=c=3;var=a=4;");
	assert_int_equal(n, 1);
	assert_string_equal(argv[0], "m.yaml");
}

static void test_options_callback_error_stops(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "--var", "a=1", "--var", "bad", "--var", "c=3" };
	int n = -1;

	assert_int_equal(parse(f, 6, argv, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "--var: bad value");
	/* nothing after the bad one was applied */
	assert_string_equal(f->rec.seen.s, "var=a=1;");
}

static void test_options_flag_with_value_is_an_error(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "--quiet=1" };
	int n = -1;

	assert_int_equal(parse(f, 1, argv, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "option '--quiet' takes no value");
	assert_int_equal(f->quiet, 0);
}

static void test_options_missing_value(void **state)
{
	struct fixture *f = *state;
	const char *a1[] = { "m.yaml", "--out" };
	const char *a2[] = { "-o" };
	const char *a3[] = { "--var" };
	int n = -1;

	assert_int_equal(parse(f, 2, a1, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "option '--out' needs a value (FILE)");
	buf_reset(&f->err);
	/* named by its long name even when given short */
	assert_int_equal(parse(f, 1, a2, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "option '--out' needs a value (FILE)");
	buf_reset(&f->err);
	assert_int_equal(parse(f, 1, a3, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s,
			    "option '--var' needs a value (NAME=VALUE)");
	assert_int_equal(f->rec.calls, 0);
}

static void test_options_unknown_with_did_you_mean(void **state)
{
	struct fixture *f = *state;
	const char *a1[] = { "--qiuet" };
	const char *a2[] = { "--outt=x" };
	const char *a3[] = { "--vra", "x" };
	int n = -1;

	assert_int_equal(parse(f, 1, a1, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "unknown option '--qiuet'; did you "
			    "mean '--quiet'?");
	buf_reset(&f->err);
	/* the value is no part of the name shown */
	assert_int_equal(parse(f, 1, a2, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "unknown option '--outt'; did you "
			    "mean '--out'?");
	buf_reset(&f->err);
	assert_int_equal(parse(f, 2, a3, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "unknown option '--vra'; did you "
			    "mean '--var'?");
}

static void test_options_unknown_without_hint(void **state)
{
	struct fixture *f = *state;
	const char *a1[] = { "--frobnicate" };
	const char *a2[] = { "-z" };
	const char *a3[] = { "-qo" };
	const char *a4[] = { "---" };
	int n = -1;

	assert_int_equal(parse(f, 1, a1, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "unknown option '--frobnicate'");
	buf_reset(&f->err);
	assert_int_equal(parse(f, 1, a2, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "unknown option '-z'");
	buf_reset(&f->err);
	/* short options are not bundled */
	assert_int_equal(parse(f, 1, a3, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "unknown option '-qo'");
	assert_int_equal(f->quiet, 0);
	buf_reset(&f->err);
	assert_int_equal(parse(f, 1, a4, &n), OPTIONS_ERROR);
	assert_string_equal(f->err.s, "unknown option '---'");
}

static void test_options_help(void **state)
{
	struct fixture *f = *state;
	const char *a1[] = { "--help" };
	const char *a2[] = { "m.yaml", "-q", "-h" };
	const char *a3[] = { "--", "--help" };
	int n = -1;

	assert_int_equal(parse(f, 1, a1, &n), OPTIONS_HELP);
	assert_int_equal(parse(f, 3, a2, &n), OPTIONS_HELP);
	/* after "--" it is an argument */
	assert_int_equal(parse(f, 2, a3, &n), OPTIONS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(a3[0], "--help");
	assert_string_equal(f->err.s, "");
}

static void test_options_usage_lists_every_option(void **state)
{
	struct fixture *f = *state;
	struct buf out = BUF_INIT;

	options_usage("torq-apply thing [options] FILE...",
		      "Do the thing.", f->opts, &out);
	assert_string_equal(out.s,
		"usage: torq-apply thing [options] FILE...\n"
		"\n"
		"Do the thing.\n"
		"\n"
		"options:\n"
		"  -q, --quiet           print less\n"
		"  --verbose             print more\n"
		"  -o, --out FILE        write to FILE\n"
		"  --name NAME           the name\n"
		"  -V, --var NAME=VALUE  set a variable\n"
		"  -h, --help            show this help\n");
	buf_release(&out);
}

static void test_options_empty_table(void **state)
{
	struct fixture *f = *state;
	const struct option none[] = { OPT_END_() };
	const char *a1[] = { "x", "y" };
	const char *a2[] = { "--quiet" };
	struct buf out = BUF_INIT;
	int n = -1;

	assert_int_equal(parse_options(2, a1, none, NULL, &n, &f->err),
			 OPTIONS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(parse_options(1, a2, none, NULL, &n, &f->err),
			 OPTIONS_ERROR);
	assert_string_equal(f->err.s, "unknown option '--quiet'");
	assert_int_equal(parse_options(0, a1, none, NULL, &n, &f->err),
			 OPTIONS_OK);
	assert_int_equal(n, 0);
	options_usage("u", "s", none, &out);
	assert_string_equal(out.s, "usage: u\n\ns\n\noptions:\n"
			    "  -h, --help  show this help\n");
	buf_release(&out);
}

/* Every test gets a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_options_long_and_short_flags),
		T(test_options_values_in_every_form),
		T(test_options_positionals_are_compacted),
		T(test_options_double_dash_ends_options),
		T(test_options_callbacks_in_order),
		T(test_options_callback_error_stops),
		T(test_options_flag_with_value_is_an_error),
		T(test_options_missing_value),
		T(test_options_unknown_with_did_you_mean),
		T(test_options_unknown_without_hint),
		T(test_options_help),
		T(test_options_usage_lists_every_option),
		T(test_options_empty_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
