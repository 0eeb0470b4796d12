/* Where the API and its token endpoint live, from options alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/endpoint.h"
#include "torq/banned.h"

/* Resolve o, expecting success with these three results. */
static void expect_ok(const struct endpoint_options *o, const char *api,
		      const char *token_url, const char *host)
{
	struct endpoint e;
	struct buf err = BUF_INIT;

	if (endpoint_resolve(o, &e, &err))
		fail_msg("unexpected error: %s", err.s);
	assert_string_equal(e.api, api);
	assert_string_equal(e.token_url, token_url);
	assert_string_equal(e.host, host);
	assert_int_equal(err.len, 0);
	endpoint_release(&e);
	buf_release(&err);
}

/* Resolve o, expecting failure with a message holding want. */
static void expect_error(const struct endpoint_options *o, const char *want)
{
	struct endpoint e;
	struct buf err = BUF_INIT;

	if (!endpoint_resolve(o, &e, &err))
		fail_msg("accepted; expected an error with '%s'", want);
	if (!strstr(err.s, want))
		fail_msg("message '%s' lacks '%s'", err.s, want);
	assert_null(e.api);
	assert_null(e.token_url);
	assert_null(e.host);
	buf_release(&err);
}

static void expect_url_error(const char *url, const char *want)
{
	struct endpoint_options o = { 0 };

	o.endpoint = url;
	expect_error(&o, want);
}

static void test_endpoint_default(void **state)
{
	struct endpoint_options o = { 0 };

	(void)state;
	expect_ok(&o, "https://api.torq.io/public/v1alpha",
		  "https://auth.torq.io/v1/auth/token", "api.torq.io");
}

static void test_endpoint_regions(void **state)
{
	struct endpoint_options o = { 0 };

	(void)state;
	o.region = "eu";
	expect_ok(&o, "https://api.eu.torq.io/public/v1alpha",
		  "https://auth.eu.torq.io/v1/auth/token", "api.eu.torq.io");
	o.region = "us";
	expect_ok(&o, "https://api.torq.io/public/v1alpha",
		  "https://auth.torq.io/v1/auth/token", "api.torq.io");
}

static void test_endpoint_unknown_region(void **state)
{
	struct endpoint_options o = { 0 };

	(void)state;
	o.region = "ap";
	expect_error(&o, "unknown region 'ap': use one of us, eu");
	o.region = "";
	expect_error(&o, "us, eu");
}

static void test_endpoint_precedence(void **state)
{
	struct endpoint_options o = { 0 };

	(void)state;
	o.env_endpoint = "https://env.example.com";
	expect_ok(&o, "https://env.example.com/public/v1alpha",
		  "https://env.example.com/v1/auth/token", "env.example.com");
	o.endpoint = "https://flag.example.com";
	expect_ok(&o, "https://flag.example.com/public/v1alpha",
		  "https://flag.example.com/v1/auth/token",
		  "flag.example.com");
	/* An empty variable counts as unset. */
	o.endpoint = NULL;
	o.env_endpoint = "";
	expect_ok(&o, "https://api.torq.io/public/v1alpha",
		  "https://auth.torq.io/v1/auth/token", "api.torq.io");
}

static void test_endpoint_region_must_agree(void **state)
{
	struct endpoint_options o = { 0 };

	(void)state;
	o.region = "eu";
	o.endpoint = "https://API.EU.torq.io/";
	expect_ok(&o, "https://api.eu.torq.io/public/v1alpha",
		  "https://auth.eu.torq.io/v1/auth/token", "api.eu.torq.io");
	o.endpoint = "https://api.torq.io";
	expect_error(&o, "--endpoint 'https://api.torq.io' is not in region "
		     "'eu' (api.eu.torq.io)");
	o.endpoint = NULL;
	o.env_endpoint = "http://127.0.0.1:8080";
	o.region = "us";
	expect_error(&o, "$TORQ_ENDPOINT 'http://127.0.0.1:8080' is not in "
		     "region 'us'");
}

static void test_endpoint_token_url_for_cloud_hosts(void **state)
{
	struct endpoint_options o = { 0 };

	(void)state;
	o.endpoint = "https://api.ap1.torq.io";
	expect_ok(&o, "https://api.ap1.torq.io/public/v1alpha",
		  "https://auth.ap1.torq.io/v1/auth/token", "api.ap1.torq.io");
	/* Not of the form api.<X>.torq.io: tokens on the same host. */
	o.endpoint = "https://api.torq.io.evil.com";
	expect_ok(&o, "https://api.torq.io.evil.com/public/v1alpha",
		  "https://api.torq.io.evil.com/v1/auth/token",
		  "api.torq.io.evil.com");
	o.endpoint = "https://apitorq.io";
	expect_ok(&o, "https://apitorq.io/public/v1alpha",
		  "https://apitorq.io/v1/auth/token", "apitorq.io");
	o.endpoint = "https://proxy.torq.io";
	expect_ok(&o, "https://proxy.torq.io/public/v1alpha",
		  "https://proxy.torq.io/v1/auth/token", "proxy.torq.io");
}

static void test_endpoint_path_and_port(void **state)
{
	struct endpoint_options o = { 0 };

	(void)state;
	/* The path goes into the API URL only, never into the token URL. */
	o.endpoint = "https://gw.example.com:8443/torq/api//";
	expect_ok(&o, "https://gw.example.com:8443/torq/api/public/v1alpha",
		  "https://gw.example.com:8443/v1/auth/token",
		  "gw.example.com:8443");
	/* An '@' in the path is no user name. */
	o.endpoint = "https://gw.example.com/a@b/";
	expect_ok(&o, "https://gw.example.com/a@b/public/v1alpha",
		  "https://gw.example.com/v1/auth/token", "gw.example.com");
	o.endpoint = "http://127.0.0.1:9/";
	expect_ok(&o, "http://127.0.0.1:9/public/v1alpha",
		  "http://127.0.0.1:9/v1/auth/token", "127.0.0.1:9");
	o.endpoint = "http://[::1]:8080";
	expect_ok(&o, "http://[::1]:8080/public/v1alpha",
		  "http://[::1]:8080/v1/auth/token", "[::1]:8080");
	o.endpoint = "HTTP://LocalHost:65535";
	expect_ok(&o, "http://localhost:65535/public/v1alpha",
		  "http://localhost:65535/v1/auth/token", "localhost:65535");
	o.endpoint = "https://[2001:db8::1]";
	expect_ok(&o, "https://[2001:db8::1]/public/v1alpha",
		  "https://[2001:db8::1]/v1/auth/token", "[2001:db8::1]");
}

static void test_endpoint_prefix(void **state)
{
	struct endpoint_options o = { 0 };

	(void)state;
	o.endpoint = "http://localhost:1234";
	o.prefix = "";
	expect_ok(&o, "http://localhost:1234",
		  "http://localhost:1234/v1/auth/token", "localhost:1234");
	o.prefix = "/v2/";
	expect_ok(&o, "http://localhost:1234/v2",
		  "http://localhost:1234/v1/auth/token", "localhost:1234");
	o.prefix = "/";
	expect_ok(&o, "http://localhost:1234",
		  "http://localhost:1234/v1/auth/token", "localhost:1234");
	o.prefix = "v2";
	expect_error(&o, "API prefix 'v2' must start with '/'");
	o.prefix = "/v2?x=1";
	expect_error(&o, "must not contain '?'");
}

static void test_endpoint_auth_endpoint(void **state)
{
	struct endpoint_options o = { 0 };

	(void)state;
	o.auth_endpoint = "https://login.example.com/tenant/";
	expect_ok(&o, "https://api.torq.io/public/v1alpha",
		  "https://login.example.com/tenant/v1/auth/token",
		  "api.torq.io");
	o.endpoint = "http://127.0.0.1:8080/x";
	o.auth_endpoint = "http://localhost:9090";
	expect_ok(&o, "http://127.0.0.1:8080/x/public/v1alpha",
		  "http://localhost:9090/v1/auth/token", "127.0.0.1:8080");
	o.auth_endpoint = "http://auth.example.com";
	expect_error(&o, "refusing plain http to 'auth.example.com'");
	o.auth_endpoint = "https://auth.example.com?x=1";
	expect_error(&o, "--auth-endpoint must not have a query");
	o.auth_endpoint = "auth.example.com";
	expect_error(&o, "--auth-endpoint 'auth.example.com' has no scheme");
}

static void test_endpoint_refuses_bad_urls(void **state)
{
	(void)state;
	expect_url_error("api.torq.io", "--endpoint 'api.torq.io' has no "
			 "scheme: write 'https://api.torq.io'");
	expect_url_error("://api.torq.io", "'://api.torq.io' has no scheme");
	expect_url_error("1x://h", "--endpoint '1x://h' has no scheme");
	expect_url_error("h/x://y", "'h/x://y' has no scheme");
	expect_url_error("localhost:8080", "--endpoint 'localhost:8080' has "
			 "no scheme: write 'https://localhost:8080'");
	expect_url_error("", "--endpoint is empty");
	expect_url_error("ftp://api.torq.io", "has the scheme 'ftp': use "
			 "https");
	expect_url_error("httpx://api.torq.io", "scheme 'httpx'");
	expect_url_error("https://api.torq.io/x?a=b", "must not have a query");
	expect_url_error("https://api.torq.io/#frag",
			 "must not have a fragment");
	expect_url_error("https://", "'https://' has no host");
	expect_url_error("https:///path", "has no host");
	expect_url_error("https://:443", "has no host");
	expect_url_error("https://h:", "has a bad port ''");
	expect_url_error("https://h:0", "has a bad port '0'");
	expect_url_error("https://h:65536", "has a bad port '65536'");
	expect_url_error("https://h:+80", "bad port '+80'");
	expect_url_error("https://h:8o", "bad port '8o'");
	expect_url_error("https://h:99999999999999999999", "bad port");
	expect_url_error("https://[::1:443", "bad host");
	expect_url_error("https://[::1]x", "bad host");
	expect_url_error("https://[zz]", "bad host");
	expect_url_error("https://a..b", "bad host 'a..b'");
	expect_url_error("https://a.b.", "bad host");
	expect_url_error("https://ex%41mple.com", "bad host");
	expect_url_error("https://api .torq.io", "must not contain spaces");
	expect_url_error("https://api.torq.io\n", "control characters");
}

static void test_endpoint_refuses_user_info(void **state)
{
	static const char *const urls[] = {
		"https://user:hunter2@api.torq.io",
		"https://hunter2@api.torq.io/x",
		"user:hunter2@api.torq.io",
		"ftp://user:hunter2@api.torq.io",
		"https://user:hunter2@api.torq.io?q",
		"user:hunter2@api.torq.io/x://y",
		"1x://user:hunter2@api.torq.io",
	};
	struct endpoint_options o = { 0 };
	struct endpoint e;
	struct buf err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		o.endpoint = urls[i];
		buf_reset(&err);
		assert_int_equal(endpoint_resolve(&o, &e, &err), -1);
		assert_string_equal(err.s, "--endpoint must not contain a "
				    "user name or password");
		assert_null(strstr(err.s, "hunter2"));
	}
	buf_release(&err);
}

static void test_endpoint_refuses_plain_http(void **state)
{
	(void)state;
	expect_url_error("http://example.com", "refusing plain http to "
			 "'example.com': use https, or a loopback address "
			 "for torq-sim");
	expect_url_error("http://127.0.0.1.evil.com:80",
			 "refusing plain http to '127.0.0.1.evil.com'");
	expect_url_error("http://localhost.evil.com",
			 "refusing plain http to 'localhost.evil.com'");
	expect_url_error("http://[::2]:80", "refusing plain http to '[::2]'");
	expect_url_error("http://128.0.0.1", "refusing plain http");
	expect_url_error("http://127.0.0.256", "refusing plain http");
}

static void test_endpoint_loopback(void **state)
{
	static const char *const yes[] = {
		"localhost", "LOCALHOST", "LocalHost", "127.0.0.1",
		"127.255.255.255", "127.1.2.3", "127.0.0.0", "[::1]",
	};
	static const char *const no[] = {
		"localhost.evil.com", "127.0.0.1.evil.com", "evil127.0.0.1",
		"127.0.0", "127.0.0.1.", "127.0.0.256", "127..0.1",
		"127.0.0.01", "127.0.0.-1", "127.0.0.1a", "128.0.0.1",
		"0177.0.0.1", "[::2]", "::1", "[::1]:80", "", "localhost:80",
		"127.0.0.1:80",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!endpoint_host_is_loopback(yes[i]))
			fail_msg("'%s' should be loopback", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (endpoint_host_is_loopback(no[i]))
			fail_msg("'%s' should not be loopback", no[i]);
	assert_int_equal(endpoint_host_is_loopback(NULL), 0);
}

static void test_endpoint_release_twice(void **state)
{
	struct endpoint_options o = { 0 };
	struct endpoint e;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(endpoint_resolve(&o, &e, &err), 0);
	endpoint_release(&e);
	assert_null(e.api);
	endpoint_release(&e);
	endpoint_release(NULL);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_default),
		cmocka_unit_test(test_endpoint_regions),
		cmocka_unit_test(test_endpoint_unknown_region),
		cmocka_unit_test(test_endpoint_precedence),
		cmocka_unit_test(test_endpoint_region_must_agree),
		cmocka_unit_test(test_endpoint_token_url_for_cloud_hosts),
		cmocka_unit_test(test_endpoint_path_and_port),
		cmocka_unit_test(test_endpoint_prefix),
		cmocka_unit_test(test_endpoint_auth_endpoint),
		cmocka_unit_test(test_endpoint_refuses_bad_urls),
		cmocka_unit_test(test_endpoint_refuses_user_info),
		cmocka_unit_test(test_endpoint_refuses_plain_http),
		cmocka_unit_test(test_endpoint_loopback),
		cmocka_unit_test(test_endpoint_release_twice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
