/* API key files and variables: permissions, parsing, atomic writes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "torq/credentials.h"
#include "torq/banned.h"

/* A fresh directory per test, removed with its files afterwards. */
struct fixture {
	struct testdir d;
	struct buf path;	/* d.path + "/key.json" */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	testdir_make(&f->d, "torq-cred");
	buf_init(&f->path);
	buf_addf(&f->path, "%s/key.json", f->d.path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testdir_remove(&f->d);
	buf_release(&f->path);
	free(f);
	return 0;
}

/* Write DIR/key.json afresh with this mode. */
static void write_text(struct fixture *f, const char *text, mode_t mode)
{
	testdir_put(&f->d, "key.json", text, strlen(text), mode);
}

static size_t count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Read path expecting failure; the message must hold want. */
static void expect_read_error(const char *path, const char *want)
{
	struct credentials c;
	struct buf err = BUF_INIT;

	assert_int_equal(credentials_read_file(path, &c, &err), -1);
	if (!strstr(err.s, want))
		fail_msg("message '%s' lacks '%s'", err.s, want);
	if (strstr(err.s, "hunter2"))
		fail_msg("message '%s' shows the secret", err.s);
	assert_null(c.client_id);
	assert_null(c.client_secret);
	credentials_release(&c);
	buf_release(&err);
}

static void test_credentials_read(void **state)
{
	struct fixture *f = *state;
	struct credentials c;
	struct buf err = BUF_INIT;

	write_text(f, "{\"client_id\": \"id-1\", \"note\": [1],\n"
		   " \"client_secret\": \"hunter2\"}\n", 0600);
	assert_int_equal(credentials_read_file(f->path.s, &c, &err), 0);
	assert_string_equal(c.client_id, "id-1");
	assert_string_equal(c.client_secret, "hunter2");
	assert_int_equal(err.len, 0);
	credentials_release(&c);
	assert_null(c.client_id);
	assert_null(c.client_secret);
	credentials_release(&c);
	credentials_release(NULL);

	/* Stricter than 0600 is fine. */
	write_text(f, "{\"client_id\": \"a\", \"client_secret\": "
		   "\"b\"}", 0400);
	assert_int_equal(credentials_read_file(f->path.s, &c, &err), 0);
	assert_string_equal(c.client_secret, "b");
	credentials_release(&c);
	buf_release(&err);
}

static void test_credentials_read_refuses_open_modes(void **state)
{
	struct fixture *f = *state;
	struct buf want = BUF_INIT;

	write_text(f, "{\"client_id\": \"a\", \"client_secret\": "
		   "\"hunter2\"}", 0644);
	buf_addf(&want, "credentials file '%s' has mode 0644; it holds a "
		 "secret, so it must not be readable by others: chmod 600 "
		 "'%s'", f->path.s, f->path.s);
	expect_read_error(f->path.s, want.s);
	assert_int_equal(chmod(f->path.s, 0640), 0);
	expect_read_error(f->path.s, "has mode 0640; it holds a secret, so "
			  "it must not be readable by others");
	assert_int_equal(chmod(f->path.s, 0620), 0);
	expect_read_error(f->path.s, "has mode 0620; it holds a secret, so "
			  "it must not be writable by others");
	assert_int_equal(chmod(f->path.s, 0602), 0);
	expect_read_error(f->path.s, "mode 0602");
	assert_int_equal(chmod(f->path.s, 0610), 0);
	expect_read_error(f->path.s, "mode 0610");
	buf_release(&want);
}

static void test_credentials_read_refuses_other_files(void **state)
{
	struct fixture *f = *state;
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s/missing.json", f->d.path);
	expect_read_error(p.s, "cannot read credentials file '");
	expect_read_error(p.s, "missing.json': No such file or directory");
	expect_read_error(f->d.path, "' is not a regular file");
	/* A FIFO is refused at once, not waited on for a writer. */
	buf_reset(&p);
	buf_addf(&p, "%s/fifo", f->d.path);
	assert_int_equal(mkfifo(p.s, 0600), 0);
	expect_read_error(p.s, "fifo' is not a regular file");
	buf_release(&p);
}

static void test_credentials_read_refuses_bad_content(void **state)
{
	static const char *const cases[][2] = {
		{ "{\"client_id\": \"a\", \"client_secret\": hunter2}",
		  "is not valid JSON (line 1, column" },
		{ "{\"client_id\": \"a\",\n\"client_secret\": \"hunter2\"",
		  "is not valid JSON (line 2" },
		{ "", "is not valid JSON" },
		{ "[\"hunter2\"]", "must hold a JSON object with 'client_id' "
		  "and 'client_secret'" },
		{ "{\"client_id\": \"a\"}", "has no 'client_secret': it must "
		  "be a non-empty string" },
		{ "{\"client_id\": \"a\", \"client_secret\": \"\"}",
		  "has no 'client_secret'" },
		{ "{\"client_id\": \"a\", \"client_secret\": 7}",
		  "has no 'client_secret'" },
		{ "{\"client_secret\": \"hunter2\"}", "has no 'client_id'" },
		{ "{\"client_id\": \"\", \"client_secret\": \"hunter2\"}",
		  "has no 'client_id'" },
		{ "{\"client_id\": \"a\", \"client_secret\": \"x\", "
		  "\"client_secret\": \"hunter2\"}", "is not valid JSON" },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_text(f, cases[i][0], 0600);
		expect_read_error(f->path.s, cases[i][1]);
	}
}

static void test_credentials_read_refuses_large_file(void **state)
{
	struct fixture *f = *state;
	struct buf text = BUF_INIT;
	struct credentials c;
	struct buf err = BUF_INIT;

	/* Exactly the maximum is read; one byte more is refused. */
	buf_addstr(&text, "{\"client_id\": \"a\", \"client_secret\": \"b\"}");
	buf_addchars(&text, ' ', CREDENTIALS_MAX_FILE - text.len);
	write_text(f, text.s, 0600);
	assert_int_equal(credentials_read_file(f->path.s, &c, &err), 0);
	credentials_release(&c);
	buf_addch(&text, ' ');
	write_text(f, text.s, 0600);
	expect_read_error(f->path.s, "is larger than 64 KiB");
	buf_release(&text);
	buf_release(&err);
}

static void test_credentials_from_env(void **state)
{
	struct credentials c;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(credentials_from_env("id", "hunter2", &c, &err), 0);
	assert_string_equal(c.client_id, "id");
	assert_string_equal(c.client_secret, "hunter2");
	credentials_release(&c);

	assert_int_equal(credentials_from_env(NULL, NULL, &c, &err), 1);
	assert_null(c.client_id);
	assert_int_equal(credentials_from_env("", "", &c, &err), 1);
	assert_int_equal(err.len, 0);

	assert_int_equal(credentials_from_env("id", NULL, &c, &err), -1);
	assert_string_equal(err.s, "TORQ_CLIENT_ID is set but "
			    "TORQ_CLIENT_SECRET is not: set both, or neither");
	assert_null(c.client_id);
	buf_reset(&err);
	assert_int_equal(credentials_from_env("", "hunter2", &c, &err), -1);
	assert_string_equal(err.s, "TORQ_CLIENT_SECRET is set but "
			    "TORQ_CLIENT_ID is not: set both, or neither");
	assert_null(c.client_secret);
	buf_release(&err);
}

static void test_credentials_write_round_trip(void **state)
{
	struct fixture *f = *state;
	struct credentials in = { "id \"1\"", "s\\e\"c\nr\te\x01t \xc3\xa9",
				  NULL, NULL };
	struct credentials out;
	struct buf err = BUF_INIT;
	struct stat st;
	mode_t old = umask(0);

	assert_int_equal(credentials_write_file(f->path.s, &in, 0, &err), 0);
	umask(old);
	assert_int_equal(err.len, 0);
	assert_int_equal(lstat(f->path.s, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	/* No temporary file is left behind. */
	assert_int_equal(count_entries(f->d.path), 1);
	assert_int_equal(credentials_read_file(f->path.s, &out, &err), 0);
	assert_string_equal(out.client_id, in.client_id);
	assert_string_equal(out.client_secret, in.client_secret);
	credentials_release(&out);
	buf_release(&err);
}

/* A key file torq-apply writes says whose it is; the record reads back. */
static void test_credentials_workspace_record(void **state)
{
	struct fixture *f = *state;
	struct credentials in = { "id-9", "hunter2", "acme SOC", "ws-1" };
	struct credentials out;
	struct buf err = BUF_INIT;

	assert_int_equal(credentials_write_file(f->path.s, &in, 0, &err), 0);
	assert_int_equal(credentials_read_file(f->path.s, &out, &err), 0);
	assert_string_equal(out.workspace_name, "acme SOC");
	assert_string_equal(out.workspace_id, "ws-1");
	credentials_release(&out);
	assert_null(out.workspace_name);

	/* without a record: NULL; a record that is not a string: refused */
	write_text(f, "{\"client_id\": \"a\", \"client_secret\": "
		   "\"hunter2\"}", 0600);
	assert_int_equal(credentials_read_file(f->path.s, &out, &err), 0);
	assert_null(out.workspace_name);
	assert_null(out.workspace_id);
	credentials_release(&out);
	write_text(f, "{\"client_id\": \"a\", \"client_secret\": "
		   "\"hunter2\", \"workspace_name\": 7}", 0600);
	expect_read_error(f->path.s, "'workspace_name' must be a non-empty "
			  "string");
	buf_release(&err);
}

static void test_credentials_write_refuses_existing(void **state)
{
	struct fixture *f = *state;
	struct credentials a = { "a", "secret-a", NULL, NULL },
			   b = { "b", "secret-b", NULL, NULL };
	struct credentials out;
	struct buf err = BUF_INIT, link_path = BUF_INIT;
	struct stat st1, st2;

	assert_int_equal(credentials_write_file(f->path.s, &a, 0, &err), 0);
	assert_int_equal(stat(f->path.s, &st1), 0);
	assert_int_equal(credentials_write_file(f->path.s, &b, 0, &err), -1);
	assert_non_null(strstr(err.s, "' already exists; not replacing it "
			       "without --force"));
	assert_null(strstr(err.s, "secret"));
	assert_int_equal(count_entries(f->d.path), 1);
	assert_int_equal(credentials_read_file(f->path.s, &out, &err), 0);
	assert_string_equal(out.client_id, "a");
	credentials_release(&out);

	/* force replaces it with a new file, by rename. */
	buf_reset(&err);
	assert_int_equal(credentials_write_file(f->path.s, &b, 1, &err), 0);
	assert_int_equal(stat(f->path.s, &st2), 0);
	assert_int_not_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(st2.st_mode & 07777, 0600);
	assert_int_equal(count_entries(f->d.path), 1);
	assert_int_equal(credentials_read_file(f->path.s, &out, &err), 0);
	assert_string_equal(out.client_secret, "secret-b");
	credentials_release(&out);

	/* A dangling symbolic link exists too: never written through. */
	buf_addf(&link_path, "%s/link.json", f->d.path);
	assert_int_equal(symlink("nowhere.json", link_path.s), 0);
	assert_int_equal(credentials_write_file(link_path.s, &a, 0, &err), -1);
	assert_int_equal(count_entries(f->d.path), 2);
	buf_release(&link_path);
	buf_release(&err);
}

static void test_credentials_write_failures(void **state)
{
	struct fixture *f = *state;
	struct credentials ok = { "id", "hunter2", NULL, NULL };
	struct credentials empty = { "id", "", NULL, NULL };
	struct credentials none = { NULL, "hunter2", NULL, NULL };
	struct credentials bad = { "id", "hunter2\xff", NULL, NULL };
	struct buf err = BUF_INIT, p = BUF_INIT;

	/* missing directories are made, 0700; a file in the way is not */
	buf_addf(&p, "%s/path", f->path.s);
	assert_int_equal(credentials_write_file(f->path.s, &ok, 0, &err), 0);
	assert_int_equal(credentials_write_file(p.s, &ok, 0, &err), -1);
	assert_non_null(strstr(err.s, "cannot create directory '"));
	assert_non_null(strstr(err.s, "Not a directory"));
	unlink(f->path.s);

	buf_reset(&err);
	assert_int_equal(credentials_write_file(f->path.s, &empty, 0, &err),
			 -1);
	assert_non_null(strstr(err.s, "must not be empty"));
	assert_int_equal(credentials_write_file(f->path.s, &none, 0, &err),
			 -1);
	buf_reset(&err);
	assert_int_equal(credentials_write_file(f->path.s, &bad, 0, &err), -1);
	assert_non_null(strstr(err.s, "must be UTF-8 text"));
	assert_null(strstr(err.s, "hunter2"));

	/* A directory in the way: refused even with force, nothing left. */
	assert_int_equal(mkdir(f->path.s, 0700), 0);
	buf_reset(&err);
	assert_int_equal(credentials_write_file(f->path.s, &ok, 1, &err), -1);
	assert_non_null(strstr(err.s, "cannot write credentials file '"));
	assert_int_equal(count_entries(f->d.path), 1);
	buf_release(&err);
	buf_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_credentials_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_credentials_read_refuses_open_modes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_credentials_read_refuses_other_files, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_credentials_read_refuses_bad_content, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_credentials_read_refuses_large_file, setup,
			teardown),
		cmocka_unit_test(test_credentials_from_env),
		cmocka_unit_test_setup_teardown(
			test_credentials_workspace_record, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_credentials_write_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_credentials_write_refuses_existing, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_credentials_write_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
