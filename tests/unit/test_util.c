/* The small shared helpers: buf, path, suggest, options, identity, doc. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/buf.h"
#include "torq/doc.h"
#include "torq/identity.h"
#include "torq/options.h"
#include "torq/path.h"
#include "torq/suggest.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static void test_buf_grows_and_quotes(void **state)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t len, i;

	(void)state;
	assert_string_equal(b.s, "");
	for (i = 0; i < 10000; i++)
		buf_addf(&b, "%zu,", i % 10);
	assert_int_equal(b.len, 20000);
	assert_int_equal(strlen(b.s), 20000);
	buf_reset(&b);
	buf_addquoted(&b, "a\"b\\c\nd\x01");
	assert_string_equal(b.s, "\"a\\\"b\\\\c\\nd\\u0001\"");
	s = buf_detach(&b, &len);
	assert_int_equal(len, strlen(s));
	assert_string_equal(b.s, "");
	free(s);
	assert_int_equal(buf_read_file(&b, "/nonexistent", 10), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(buf_read_file(&b, "/etc/passwd", 4), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

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

static void test_identity_keys(void **state)
{
	const struct identity_rule *users = identity_rule_for("users");
	const struct identity_rule *cm =
		identity_rule_for("claim_mappings.items");
	struct buf k = BUF_INIT;
	json_t *u = json_pack("{s:s}", "email", "Alice@X.io");
	json_t *c = json_pack("{s:s,s:s}", "claim", "g", "value", "v");
	json_t *bad = json_pack("{s:s}", "claim", "g");

	(void)state;
	assert_null(identity_rule_for("policy"));
	assert_int_equal(identity_key(users, u, &k), 0);
	assert_string_equal(k.s, "alice@x.io");
	buf_reset(&k);
	assert_int_equal(identity_key(cm, c, &k), 0);
	assert_string_equal(k.s, "g\nv");
	buf_reset(&k);
	assert_int_equal(identity_key(cm, bad, &k), -1);
	buf_reset(&k);
	identity_label(cm, c, &k);
	assert_string_equal(k.s, "g=v");
	json_decref(u);
	json_decref(c);
	json_decref(bad);
	buf_release(&k);
}

static void test_doc_marks_copies_and_secrets(void **state)
{
	struct doc doc;
	json_t *obj = json_object(), *copy, *s;
	struct mark m = { "f.yaml", 1, 2, 0 }, km = { "f.yaml", 3, 4, 1 };
	size_t len, i;

	(void)state;
	doc_init(&doc);
	s = json_string("${secret:env:X}");
	json_object_set_new(obj, "k", s);
	doc_set_mark(&doc, obj, NULL, &m);
	doc_set_mark(&doc, obj, "k", &km);
	doc_set_secret(&doc, s, "value", 5);
	/* a key mark falls back to its value's mark when unset */
	assert_null(doc_mark(&doc, obj, "nokey"));
	assert_int_equal(doc_mark(&doc, obj, "k")->line, 3);
	copy = doc_deep_copy(&doc, obj);
	assert_int_equal(doc_mark(&doc, copy, NULL)->col, 2);
	assert_int_equal(doc_mark(&doc, copy, "k")->col, 4);
	assert_string_equal(doc_secret_value(&doc, json_object_get(copy, "k"),
					     &len), "value");
	assert_string_equal(json_string_value(json_object_get(copy, "k")),
			    "${secret:env:X}");
	for (i = 0; i < 10000; i++) {
		json_t *n = json_integer((json_int_t)i);

		m.line = (unsigned)i + 1;
		doc_set_mark(&doc, n, NULL, &m);
		json_decref(n);
	}
	assert_int_equal(doc_mark(&doc, obj, NULL)->line, 1);
	json_decref(copy);
	json_decref(obj);
	doc_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_quotes),
		cmocka_unit_test(test_path_relative_to),
		cmocka_unit_test(test_suggest_distance_and_threshold),
		cmocka_unit_test(test_options_parse),
		cmocka_unit_test(test_identity_keys),
		cmocka_unit_test(test_doc_marks_copies_and_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
