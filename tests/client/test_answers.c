/*
 * Answers torq-sim never gives, served by a canned loopback server
 * (canned.h) to the real client and reader: each must end in a clear
 * error naming the request, never a hang, a crash or a silently empty
 * list. docs/bad-input.md quotes these messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "canned.h"
#include "torq/buf.h"
#include "torq/client.h"
#include "torq/model.h"
#include "torq/reader.h"
#include "torq/banned.h"

#define TOKEN { 200, "{\"access_token\": \"t\", \"expires_in\": 3600}" }
#define N(a) (sizeof(a) / sizeof(*(a)))

/*
 * List the organisation's workspaces against these answers; returns
 * reader_workspaces' result, the message in err.
 */
static int list_workspaces(const struct canned_answer *answers, size_t nr,
			   size_t *requests, struct buf *err)
{
	struct canned *srv = canned_start(answers, nr);
	struct client_config cfg;
	struct client *c;
	struct model_workspace *ws = NULL;
	char api[96], token_url[96];
	size_t n = 0, i;
	int rc;

	snprintf(api, sizeof(api), "%s/public/v1alpha", canned_url(srv));
	snprintf(token_url, sizeof(token_url), "%s/v1/auth/token",
		 canned_url(srv));
	client_config_init(&cfg);
	cfg.api = api;
	cfg.token_url = token_url;
	cfg.parallel = 1;
	cfg.rate_limit = 0;
	cfg.max_attempts = 2;
	cfg.backoff_base_ms = 1;
	cfg.backoff_cap_ms = 2;
	cfg.timeout_ms = 5000;
	c = client_new(&cfg, err);
	assert_non_null(c);
	rc = reader_workspaces(c, client_session(c, "id", "secret"), &ws, &n,
			       err);
	for (i = 0; i < n; i++)
		model_workspace_release(&ws[i]);
	free(ws);
	client_free(c);
	if (requests)
		*requests = canned_requests(srv);
	canned_stop(srv);
	return rc;
}

static void expect_error(const struct canned_answer *answers, size_t nr,
			 const char *want)
{
	struct buf err = BUF_INIT;

	assert_int_equal(list_workspaces(answers, nr, NULL, &err), -1);
	if (!strstr(err.s, want))
		fail_msg("got '%s', expected '%s' in it", err.s, want);
	buf_release(&err);
}

static void test_answer_good(void **state)
{
	static const struct canned_answer a[] = {
		TOKEN,
		{ 200, "{\"workspaces\": [{\"id\": \"w1\", \"name\": \"A\"}],"
		       " \"next_page_token\": \"p2\"}" },
		{ 200, "{\"workspaces\": [{\"id\": \"w2\", \"name\": \"B\"}]}" },
	};
	struct buf err = BUF_INIT;
	size_t requests;

	(void)state;
	/* the fixture itself works: two pages, three requests */
	assert_int_equal(list_workspaces(a, N(a), &requests, &err), 0);
	assert_int_equal(requests, 3);
	buf_release(&err);
}

static void test_answer_not_json(void **state)
{
	static const struct canned_answer a[] = {
		TOKEN, { 200, "<html>maintenance</html>" },
	};

	(void)state;
	expect_error(a, N(a), "/workspaces?page_size=100: HTTP 200: the "
		     "answer is not JSON");
}

static void test_answer_not_an_object(void **state)
{
	static const struct canned_answer a[] = {
		TOKEN, { 200, "[{\"id\": \"w1\", \"name\": \"A\"}]" },
	};

	(void)state;
	/* not read as an empty list: that would plan to create everything */
	expect_error(a, N(a), "the answer is not a JSON object");
}

static void test_answer_list_not_a_list(void **state)
{
	static const struct canned_answer a[] = {
		TOKEN, { 200, "{\"workspaces\": {\"id\": \"w1\"}}" },
	};

	(void)state;
	expect_error(a, N(a), "'workspaces' in the answer is not a list");
}

static void test_answer_paging_loops(void **state)
{
	static const struct canned_answer a[] = {
		TOKEN,
		{ 200, "{\"workspaces\": [], \"next_page_token\": \"t1\"}" },
		{ 200, "{\"workspaces\": [], \"next_page_token\": \"t2\"}" },
		{ 200, "{\"workspaces\": [], \"next_page_token\": \"t1\"}" },
	};

	(void)state;
	expect_error(a, N(a), "the API sent page token 't1' again; the list "
		     "does not end");
}

static void test_answer_torq_error(void **state)
{
	static const struct canned_answer a[] = {
		TOKEN, { 400, "{\"code\": 3, \"message\": \"page_size too big\"}" },
	};

	(void)state;
	expect_error(a, N(a), "HTTP 400 INVALID_ARGUMENT: page_size too big");
}

static void test_answer_token_not_json(void **state)
{
	static const struct canned_answer a[] = {
		{ 200, "<html>login</html>" },
	};
	struct buf err = BUF_INIT;
	size_t requests;

	(void)state;
	/* once hung: the session waited for a token that never came */
	assert_int_equal(list_workspaces(a, N(a), &requests, &err), -1);
	assert_non_null(strstr(err.s, "/v1/auth/token: HTTP 200: the answer "
			       "is not JSON"));
	assert_int_equal(requests, 1);
	buf_release(&err);
}

static void test_answer_token_without_token(void **state)
{
	static const struct canned_answer a[] = {
		{ 200, "{\"token_type\": \"bearer\"}" },
	};

	(void)state;
	expect_error(a, N(a), "cannot get a token for client id 'id': POST ");
	expect_error(a, N(a), "the answer has no access_token");
}

static void test_answer_workspace_without_name(void **state)
{
	static const struct canned_answer a[] = {
		TOKEN, { 200, "{\"workspaces\": [{\"id\": \"w1\"}]}" },
	};

	(void)state;
	/* planned for, it would be a workspace named "(null)" */
	expect_error(a, N(a), "GET /workspaces: the API sent a workspace "
		     "without a string 'name' (id w1)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_good),
		cmocka_unit_test(test_answer_not_json),
		cmocka_unit_test(test_answer_not_an_object),
		cmocka_unit_test(test_answer_list_not_a_list),
		cmocka_unit_test(test_answer_paging_loops),
		cmocka_unit_test(test_answer_torq_error),
		cmocka_unit_test(test_answer_token_not_json),
		cmocka_unit_test(test_answer_token_without_token),
		cmocka_unit_test(test_answer_workspace_without_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
