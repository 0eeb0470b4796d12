#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/buf.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_quotes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
