#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
#include "torq/atomicfile.h"
#include "torq/banned.h"

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_atomicfile_write_replace_and_refuse(void **state)
{
	struct testdir d;
	const char *path;
	char text[16] = "";
	struct buf err = BUF_INIT;
	struct stat st;
	FILE *f;

	(void)state;
	testdir_make(&d, "torq-atomic");
	path = testdir_at(&d, "plan.json");
	assert_int_equal(atomicfile_write(path, "one", 3, 0600, 0, "plan file",
					  &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* replaced when allowed */
	assert_int_equal(atomicfile_write(path, "two", 3, 0644, 0, "plan file",
					  &err), 0);
	/* refused, untouched, and no temporary file left behind */
	assert_int_equal(atomicfile_write(path, "three", 5, 0600,
					  ATOMICFILE_NO_CLOBBER, "plan file",
					  &err), -2);
	assert_non_null(strstr(err.s, "plan.json' already exists"));
	f = fopen(path, "r");
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_string_equal(text, "two");
	assert_int_equal(entries(d.path), 1);
	/* a directory that does not exist: a message, no crash */
	buf_reset(&err);
	path = testdir_at(&d, "no/such/file");
	assert_int_equal(atomicfile_write(path, "x", 1, 0600, 0, "plan file",
					  &err), -1);
	assert_non_null(strstr(err.s, "cannot create a temporary file beside"));
	testdir_remove(&d);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atomicfile_write_replace_and_refuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
