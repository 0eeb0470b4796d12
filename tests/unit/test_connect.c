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
#include "torq/connect.h"
#include "torq/banned.h"

static int setup(void **state)
{
	(void)state;
	unsetenv("TORQ_ENDPOINT");
	unsetenv("TORQ_CLIENT_ID");
	unsetenv("TORQ_CLIENT_SECRET");
	return 0;
}

static void test_connect_default_endpoint(void **state)
{
	struct connect_options o = { 0 };
	struct connection c;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(connect_open(&o, &c, &err), 0);
	assert_string_equal(c.endpoint.api,
			    "https://api.torq.io/public/v1alpha");
	assert_string_equal(c.endpoint.token_url,
			    "https://auth.torq.io/v1/auth/token");
	connect_close(&c);
	buf_release(&err);
}

static void test_connect_env_and_flag(void **state)
{
	struct connect_options o = { 0 };
	struct connection c;
	struct buf err = BUF_INIT;

	(void)state;
	setenv("TORQ_ENDPOINT", "http://127.0.0.1:8080", 1);
	assert_int_equal(connect_open(&o, &c, &err), 0);
	assert_string_equal(c.endpoint.api,
			    "http://127.0.0.1:8080/public/v1alpha");
	assert_string_equal(c.endpoint.token_url,
			    "http://127.0.0.1:8080/v1/auth/token");
	connect_close(&c);
	/* the flag wins over the variable */
	o.endpoint = "https://api.eu.torq.io";
	assert_int_equal(connect_open(&o, &c, &err), 0);
	assert_string_equal(c.endpoint.token_url,
			    "https://auth.eu.torq.io/v1/auth/token");
	connect_close(&c);
	/* plain http to anything but loopback is refused */
	o.endpoint = "http://torq.example.com";
	assert_int_equal(connect_open(&o, &c, &err), -1);
	assert_non_null(strstr(err.s, "refusing plain http"));
	buf_release(&err);
}

static void test_connect_numbers(void **state)
{
	struct connect_options o = { 0 };
	struct connection c;
	struct buf err = BUF_INIT;

	(void)state;
	o.parallel = "0";
	assert_int_equal(connect_open(&o, &c, &err), -1);
	assert_string_equal(err.s, "--parallel wants a whole number from 1 "
			    "to 256, not '0'");
	buf_reset(&err);
	o.parallel = "4";
	o.timeout = "ten";
	assert_int_equal(connect_open(&o, &c, &err), -1);
	assert_non_null(strstr(err.s, "--timeout wants"));
	buf_reset(&err);
	o.timeout = "10";
	o.rate_limit = "0";
	assert_int_equal(connect_open(&o, &c, &err), 0);
	connect_close(&c);
	buf_release(&err);
}

static void test_connect_key_sources(void **state)
{
	static const char key[] =
		"{\"client_id\": \"file-id\", \"client_secret\": \"x\"}";
	struct credentials k;
	struct buf err = BUF_INIT;
	struct testdir d;
	const char *path;

	(void)state;
	assert_int_equal(connect_key(NULL, &k, &err), -1);
	assert_non_null(strstr(err.s, "no API key: give --credentials FILE"));
	buf_reset(&err);
	setenv("TORQ_CLIENT_ID", "id-1", 1);
	assert_int_equal(connect_key(NULL, &k, &err), -1);
	assert_non_null(strstr(err.s, "TORQ_CLIENT_SECRET"));
	buf_reset(&err);
	setenv("TORQ_CLIENT_SECRET", "s3cret", 1);
	assert_int_equal(connect_key(NULL, &k, &err), 0);
	assert_string_equal(k.client_id, "id-1");
	assert_string_equal(k.client_secret, "s3cret");
	credentials_release(&k);

	/* a file wins over the environment */
	testdir_make(&d, "torq-connect");
	testdir_put(&d, "key.json", key, sizeof(key) - 1, 0644);
	path = testdir_at(&d, "key.json");
	assert_int_equal(connect_key(path, &k, &err), -1);
	assert_non_null(strstr(err.s, "mode 0644"));
	chmod(path, 0600);
	assert_int_equal(connect_key(path, &k, &err), 0);
	assert_string_equal(k.client_id, "file-id");
	credentials_release(&k);
	testdir_remove(&d);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_connect_default_endpoint, setup),
		cmocka_unit_test_setup(test_connect_env_and_flag, setup),
		cmocka_unit_test_setup(test_connect_numbers, setup),
		cmocka_unit_test_setup(test_connect_key_sources, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
