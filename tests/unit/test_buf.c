/* struct buf: growth, formatting, quoting and reading files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
#include "torq/buf.h"
#include "torq/banned.h"

static void test_buf_starts_empty_and_printable(void **state)
{
	struct buf a = BUF_INIT, b;

	(void)state;
	assert_non_null(a.s);
	assert_string_equal(a.s, "");
	assert_int_equal(a.len, 0);
	assert_int_equal(a.alloc, 0);
	buf_init(&b);
	assert_non_null(b.s);
	assert_string_equal(b.s, "");
	assert_int_equal(b.alloc, 0);
	/* releasing what was never grown, twice, and NULL are all fine */
	buf_release(&a);
	buf_release(&a);
	buf_release(NULL);
	assert_string_equal(a.s, "");
	buf_reset(&b);
	buf_setlen(&b, 0);
	assert_string_equal(b.s, "");
}

static void test_buf_add_grows_across_many_kb(void **state)
{
	struct buf b = BUF_INIT;
	char chunk[333];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)('a' + i % 26);
	for (i = 0; i < 600; i++)
		buf_add(&b, chunk, sizeof(chunk));
	assert_int_equal(b.len, 600 * sizeof(chunk));
	assert_true(b.alloc > b.len);
	assert_int_equal(strlen(b.s), b.len);
	for (i = 0; i < 600; i++)
		for (j = 0; j < sizeof(chunk); j++)
			if (b.s[i * sizeof(chunk) + j] != chunk[j])
				fail_msg("byte %zu differs",
					 i * sizeof(chunk) + j);
	/* bytes, not a C string: NULs go in and the end stays terminated */
	buf_reset(&b);
	buf_add(&b, "x\0y", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.s, "x\0y", 4);
	buf_release(&b);
}

static void test_buf_addf_grows_and_appends(void **state)
{
	struct buf b = BUF_INIT;
	char expect[64];
	size_t i, off = 0;

	(void)state;
	/* the first format already longer than the first allocation */
	buf_addf(&b, "%0200d|", 7);
	assert_int_equal(b.len, 201);
	assert_int_equal(b.s[199], '7');
	assert_int_equal(b.s[0], '0');
	assert_int_equal(b.s[200], '|');
	buf_reset(&b);
	for (i = 0; i < 5000; i++)
		buf_addf(&b, "<%zu:%s>", i, i % 2 ? "odd" : "even");
	assert_int_equal(strlen(b.s), b.len);
	for (i = 0; i < 5000; i++) {
		int n = snprintf(expect, sizeof(expect), "<%zu:%s>", i,
				 i % 2 ? "odd" : "even");

		assert_memory_equal(b.s + off, expect, (size_t)n);
		off += (size_t)n;
	}
	assert_int_equal(off, b.len);
	assert_true(b.len > 40000);
	buf_release(&b);
}

static void test_buf_addstr_addch_addchars(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_addstr(&b, "ab");
	buf_addch(&b, 'c');
	buf_addchars(&b, '-', 3);
	buf_addchars(&b, '+', 0);
	buf_addstr(&b, "");
	assert_string_equal(b.s, "abc---");
	assert_int_equal(b.len, 6);
	buf_addchars(&b, ' ', 5000);
	assert_int_equal(b.len, 5006);
	assert_int_equal(strlen(b.s), 5006);
	assert_int_equal(b.s[5005], ' ');
	buf_release(&b);
	assert_string_equal(b.s, "");
	assert_int_equal(b.alloc, 0);
}

static void vaddf_helper(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

static void test_buf_vaddf(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	vaddf_helper(&b, "%s=%d", "n", 42);
	vaddf_helper(&b, ";%c", 'z');
	assert_string_equal(b.s, "n=42;z");
	assert_int_equal(b.len, 6);
	buf_release(&b);
}

static void test_buf_detach_hands_the_string_over(void **state)
{
	struct buf b = BUF_INIT;
	size_t len = 99;
	char *s;

	(void)state;
	/* even an empty buffer hands over memory the caller can free */
	s = buf_detach(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);

	buf_addstr(&b, "hello, world");
	s = buf_detach(&b, &len);
	assert_string_equal(s, "hello, world");
	assert_int_equal(len, 12);
	assert_string_equal(b.s, "");
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	/* the buffer is usable again and does not share the old memory */
	buf_addstr(&b, "again");
	assert_ptr_not_equal(b.s, s);
	assert_string_equal(s, "hello, world");
	free(s);
	s = buf_detach(&b, NULL);
	assert_string_equal(s, "again");
	free(s);
	buf_release(&b);
}

static void test_buf_setlen_truncates(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_addstr(&b, "abcdef");
	buf_setlen(&b, 3);
	assert_string_equal(b.s, "abc");
	assert_int_equal(b.len, 3);
	buf_addstr(&b, "XY");
	assert_string_equal(b.s, "abcXY");
	buf_setlen(&b, 0);
	assert_string_equal(b.s, "");
	assert_true(b.alloc > 0);
	buf_addch(&b, 'q');
	buf_reset(&b);
	assert_string_equal(b.s, "");
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_buf_grow_reserves_without_changing(void **state)
{
	struct buf b = BUF_INIT;
	char *before;

	(void)state;
	buf_addstr(&b, "keep");
	buf_grow(&b, 10000);
	assert_true(b.alloc >= b.len + 10000 + 1);
	assert_string_equal(b.s, "keep");
	assert_int_equal(b.len, 4);
	before = b.s;
	buf_addchars(&b, 'x', 10000);
	/* the room was reserved, so no reallocation happened */
	assert_ptr_equal(b.s, before);
	buf_release(&b);
}

static void test_buf_addquoted_escapes(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "a\\b", "\"a\\\\b\"" },
		{ "l1\nl2", "\"l1\\nl2\"" },
		{ "t\tt", "\"t\\tt\"" },
		{ "cr\r", "\"cr\\u000d\"" },
		{ "\x01", "\"\\u0001\"" },
		{ "\x1f|\x1b", "\"\\u001f|\\u001b\"" },
		{ "del\x7f", "\"del\\u007f\"" },
		/* UTF-8 passes through untouched */
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_addquoted(&b, cases[i].in);
		if (strcmp(b.s, cases[i].out))
			fail_msg("case %zu: got %s, expected %s", i, b.s,
				 cases[i].out);
	}
	/* it appends */
	buf_reset(&b);
	buf_addstr(&b, "k=");
	buf_addquoted(&b, "v");
	assert_string_equal(b.s, "k=\"v\"");
	buf_release(&b);
}

struct tmp {
	struct testdir d;
	const char *path;	/* DIR/f */
};

static void make_file(struct tmp *t, size_t size)
{
	char *text = test_malloc(size + 1);
	size_t i;

	for (i = 0; i < size; i++)
		text[i] = (char)('0' + i % 10);
	testdir_make(&t->d, "torq-buf");
	testdir_put(&t->d, "f", text, size, 0644);
	t->path = testdir_at(&t->d, "f");
	test_free(text);
}

static void drop_file(struct tmp *t)
{
	testdir_remove(&t->d);
}

static void test_buf_read_file_whole_and_appended(void **state)
{
	struct buf b = BUF_INIT;
	struct tmp t;
	size_t i;

	(void)state;
	make_file(&t, 20000);
	buf_addstr(&b, "pre:");
	/* exactly max bytes is allowed */
	assert_int_equal(buf_read_file(&b, t.path, 20000), 0);
	assert_int_equal(b.len, 4 + 20000);
	assert_memory_equal(b.s, "pre:0123456789", 14);
	for (i = 0; i < 20000; i++)
		if (b.s[4 + i] != '0' + (char)(i % 10))
			fail_msg("byte %zu differs", i);
	assert_int_equal(b.s[b.len], '\0');
	buf_release(&b);
	drop_file(&t);
}

static void test_buf_read_file_refuses_over_max(void **state)
{
	struct buf b = BUF_INIT;
	struct tmp t;

	(void)state;
	make_file(&t, 20000);
	buf_addstr(&b, "pre:");
	errno = 0;
	assert_int_equal(buf_read_file(&b, t.path, 19999), -1);
	assert_int_equal(errno, EFBIG);
	/* what was there before is left as it was */
	assert_string_equal(b.s, "pre:");
	assert_int_equal(b.len, 4);
	/* and from an empty buffer */
	buf_release(&b);
	errno = 0;
	assert_int_equal(buf_read_file(&b, t.path, 10), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.s, "");
	buf_release(&b);
	drop_file(&t);
}

static void test_buf_read_file_empty_file(void **state)
{
	struct buf b = BUF_INIT;
	struct tmp t;

	(void)state;
	make_file(&t, 0);
	assert_int_equal(buf_read_file(&b, t.path, 0), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.s, "");
	buf_release(&b);
	drop_file(&t);
}

static void test_buf_read_file_errors_keep_errno(void **state)
{
	struct buf b = BUF_INIT;
	struct testdir d;

	(void)state;
	buf_addstr(&b, "kept");
	errno = 0;
	assert_int_equal(buf_read_file(&b, "/nonexistent/torq/m.yaml", 100),
			 -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(b.s, "kept");
	/* a directory says so, not a vague I/O error */
	testdir_make(&d, "torq-bufdir");
	errno = 0;
	assert_int_equal(buf_read_file(&b, d.path, 100), -1);
	assert_int_equal(errno, EISDIR);
	assert_string_equal(b.s, "kept");
	testdir_remove(&d);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_starts_empty_and_printable),
		cmocka_unit_test(test_buf_add_grows_across_many_kb),
		cmocka_unit_test(test_buf_addf_grows_and_appends),
		cmocka_unit_test(test_buf_addstr_addch_addchars),
		cmocka_unit_test(test_buf_vaddf),
		cmocka_unit_test(test_buf_detach_hands_the_string_over),
		cmocka_unit_test(test_buf_setlen_truncates),
		cmocka_unit_test(test_buf_grow_reserves_without_changing),
		cmocka_unit_test(test_buf_addquoted_escapes),
		cmocka_unit_test(test_buf_read_file_whole_and_appended),
		cmocka_unit_test(test_buf_read_file_refuses_over_max),
		cmocka_unit_test(test_buf_read_file_empty_file),
		cmocka_unit_test(test_buf_read_file_errors_keep_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
