/* Strict UTF-8: decoding, validity, unsafe code points and cleaning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "torq/buf.h"
#include "torq/utf8.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/*
 * A string literal copied to a heap block of exactly its size, so that
 * ASan and valgrind see any read past its NUL.
 */
static char *exact(const char *s)
{
	size_t len = strlen(s) + 1;
	char *copy = xmalloc(len);

	memcpy(copy, s, len);
	return copy;
}

static size_t decode(const char *s, unsigned long *cp)
{
	char *copy = exact(s);
	size_t n = utf8_decode(copy, cp);

	free(copy);
	return n;
}

static void test_utf8_decode_valid(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		unsigned long cp;
	} cases[] = {
		/* the NUL at the end */
		{ "", 1, 0 },
		{ "A", 1, 0x41 },
		{ "\x7f", 1, 0x7f },
		/* the smallest and largest of each length */
		{ "\xc2\x80", 2, 0x80 },
		{ "\xe0\xa0\x80", 3, 0x800 },
		{ "\xf0\x90\x80\x80", 4, 0x10000 },
		{ "\xdf\xbf", 2, 0x7ff },
		{ "\xef\xbf\xbf", 3, 0xffff },
		{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff },
		/* either side of the surrogates */
		{ "\xed\x9f\xbf", 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 0xe000 },
		/* one sequence, not what follows */
		{ "\xc3\xa9x", 2, 0xe9 },
		{ "\xe2\x82\xac", 3, 0x20ac },
		{ "\xf0\x9f\x98\x80", 4, 0x1f600 },
	};
	unsigned long cp;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		cp = 0xdead;
		assert_int_equal(decode(cases[i].s, &cp), cases[i].len);
		assert_int_equal(cp, cases[i].cp);
	}
}

static void test_utf8_decode_refuses_invalid(void **state)
{
	static const char *const cases[] = {
		/* overlong */
		"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
		/* surrogates, alone and as a pair */
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xa0\xbd\xed\xb8\x80",
		/* beyond U+10FFFF, and lead bytes no sequence has */
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf7\xbf\xbf\xbf",
		"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80", "\xfe",
		"\xff",
		/* cut short, by the end or by another byte */
		"\xc3", "\xe2", "\xf0", "\xe2\x82", "\xf0\x9f\x98", "\xe2x\xac",
		"\xc3\xc3\xa9", "\xf0\x9f\x98x",
		/* a continuation byte first */
		"\x80", "\xbf", "\xa9x",
	};
	unsigned long cp;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (decode(cases[i], &cp))
			fail_msg("case %zu decoded", i);
}

static int valid(const char *s)
{
	char *copy = exact(s);
	int ok = utf8_valid(copy);

	free(copy);
	return ok;
}

static void test_utf8_valid_whole_strings(void **state)
{
	(void)state;
	assert_true(valid(""));
	assert_true(valid("plain ASCII\twith\ncontrols\x7f"));
	assert_true(valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	assert_true(valid("\xf4\x8f\xbf\xbf"));
	assert_false(valid("caf\xc3"));
	assert_false(valid("\xff" "abc"));
	assert_false(valid("abc\xed\xa0\x80" "def"));
	assert_false(valid("ok \xe0\x80\x80"));
	assert_false(valid("\xf4\x90\x80\x80"));
	assert_false(valid("\x80"));
}

/*
 * The point of strictness: what utf8_valid takes, json_string takes, for
 * every lead byte with every second byte, so no key goes missing.
 */
static void test_utf8_valid_agrees_with_jansson(void **state)
{
	static const char *const tails[] = { "", "\x80", "\x80\x80", "x" };
	char s[8];
	json_t *j;
	size_t t;
	int a, b;

	(void)state;
	for (a = 1; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			for (t = 0; t < ARRAY_SIZE(tails); t++) {
				s[0] = (char)a;
				s[1] = (char)b;
				memcpy(s + 2, tails[t], strlen(tails[t]) + 1);
				j = json_string(s);
				if (utf8_valid(s) != (j != NULL))
					fail_msg("%02x %02x tail %zu", a, b, t);
				json_decref(j);
			}
		}
	}
}

static void test_utf8_count_code_points(void **state)
{
	(void)state;
	assert_int_equal(utf8_count(""), 0);
	assert_int_equal(utf8_count("abc"), 3);
	assert_int_equal(utf8_count("caf\xc3\xa9"), 4);
	assert_int_equal(utf8_count("\xe2\x82\xac\xf0\x9f\x98\x80"), 2);
}

static void test_utf8_unsafe_code_points(void **state)
{
	static const unsigned long unsafe[] = {
		0x00, 0x09, 0x0a, 0x1b, 0x1f,		/* C0 */
		0x7f, 0x80, 0x85, 0x9b, 0x9f,		/* DEL, C1 */
		0x2028, 0x2029,			/* line, paragraph */
		0x202a, 0x202b, 0x202c, 0x202d, 0x202e,	/* overrides */
		0x2066, 0x2067, 0x2068, 0x2069,		/* isolates */
	};
	static const unsigned long safe[] = {
		0x20, 0x41, 0x7e, 0xa0, 0xe9, 0x2027, 0x202f,
		0x2065, 0x206a, 0xfeff, 0xfffd, 0x10ffff,
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(unsafe); i++)
		if (!utf8_unsafe(unsafe[i]))
			fail_msg("U+%04lX taken as safe", unsafe[i]);
	for (i = 0; i < ARRAY_SIZE(safe); i++)
		if (utf8_unsafe(safe[i]))
			fail_msg("U+%04lX taken as unsafe", safe[i]);
}

static void test_utf8_add_clean_escapes(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "plain name", "plain name" },
		{ "caf\xc3\xa9 \xf0\x9f\x98\x80",
		  "caf\xc3\xa9 \xf0\x9f\x98\x80" },
		{ "a\nb\tc\rd", "a\\nb\\tc\\rd" },
		{ "\x1b[31mred", "\\x1b[31mred" },
		{ "\x01\x1f\x7f", "\\x01\\x1f\\x7f" },
		/* C1 and the bidi controls as \u, hex in lower case */
		{ "\xc2\x85\xc2\x9b", "\\u0085\\u009b" },
		{ "a\xe2\x80\xae" "b", "a\\u202eb" },
		{ "\xe2\x81\xa6\xe2\x81\xa9", "\\u2066\\u2069" },
		/* line and paragraph separators break lines in viewers */
		{ "a\xe2\x80\xa8\xe2\x80\xa9", "a\\u2028\\u2029" },
		/* not in the set: the BOM */
		{ "\xef\xbb\xbf", "\xef\xbb\xbf" },
		/* bytes that are not UTF-8, one at a time */
		{ "\xff", "\\xff" },
		{ "\xc3(", "\\xc3(" },
		{ "\xe2\x82", "\\xe2\\x82" },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
		{ "\xc0\xaf", "\\xc0\\xaf" },
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },
	};
	struct buf b = BUF_INIT;
	char *copy;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_reset(&b);
		copy = exact(cases[i].in);
		utf8_add_clean(&b, copy);
		free(copy);
		assert_string_equal(b.s, cases[i].out);
	}
	/* appends */
	buf_reset(&b);
	buf_addstr(&b, "name: ");
	utf8_add_clean(&b, "x\n");
	assert_string_equal(b.s, "name: x\\n");
	/* the same, keeping line breaks, for messages of several lines */
	buf_reset(&b);
	utf8_add_clean_lines(&b, "a\x1b\nb\tc");
	assert_string_equal(b.s, "a\\x1b\nb\\tc");
	buf_release(&b);
}

static void test_utf8_json_string_replaces_bad_bytes(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		/* controls are JSON's business, not replaced */
		{ "a\n\x1b", "a\n\x1b" },
		{ "a\xff" "b", "a\xef\xbf\xbd" "b" },
		{ "\xc3", "\xef\xbf\xbd" },
		/* one U+FFFD per byte */
		{ "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xc3\xa9\xff\xc3\xa9", "\xc3\xa9\xef\xbf\xbd\xc3\xa9" },
		{ "\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd" },
	};
	json_t *j;
	char *copy;
	size_t i;

	(void)state;
	j = utf8_json_string(NULL);
	assert_true(json_is_null(j));
	json_decref(j);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		copy = exact(cases[i].in);
		j = utf8_json_string(copy);
		free(copy);
		assert_true(json_is_string(j));
		assert_string_equal(json_string_value(j), cases[i].out);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_decode_valid),
		cmocka_unit_test(test_utf8_decode_refuses_invalid),
		cmocka_unit_test(test_utf8_valid_whole_strings),
		cmocka_unit_test(test_utf8_valid_agrees_with_jansson),
		cmocka_unit_test(test_utf8_count_code_points),
		cmocka_unit_test(test_utf8_unsafe_code_points),
		cmocka_unit_test(test_utf8_add_clean_escapes),
		cmocka_unit_test(test_utf8_json_string_replaces_bad_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
