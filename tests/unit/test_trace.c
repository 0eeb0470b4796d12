/* The --trace line: what it holds, and that no secret gets into it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "testdir.h"
#include "torq/trace.h"
#include "torq/banned.h"

static void exchange(struct client_exchange *x, const char *response)
{
	memset(x, 0, sizeof(*x));
	x->method = "POST";
	x->url = "http://127.0.0.1:1/public/v1alpha/integrations";
	x->status = 200;
	x->content_type = "application/json";
	x->retry_after = "";
	x->request_id = "sim-7";
	x->response = response;
	x->response_len = response ? strlen(response) : 0;
	x->elapsed_ms = 12;
}

/* Format x, check it is one line of JSON, and return it parsed. */
static json_t *formatted(const struct client_exchange *x, struct buf *text)
{
	json_error_t jerr;
	json_t *line;

	buf_reset(text);
	trace_format(x, text);
	assert_true(text->len > 0);
	assert_int_equal(text->s[text->len - 1], '\n');
	assert_null(memchr(text->s, '\n', text->len - 1));
	line = json_loadb(text->s, text->len, 0, &jerr);
	if (!line)
		fail_msg("not JSON (%s): %s", jerr.text, text->s);
	return line;
}

static const char *str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void test_trace_line_fields(void **state)
{
	struct client_exchange x;
	struct buf text = BUF_INIT;
	json_t *line, *headers;

	(void)state;
	exchange(&x, "{\"id\": \"i-1\",\n\"name\": \"slack\"}");
	x.request_body = "{\"name\":\"slack\"}";
	x.retry_after = "3";
	line = formatted(&x, &text);
	assert_string_equal(str(line, "method"), "POST");
	assert_string_equal(str(line, "url"), x.url);
	assert_int_equal(json_integer_value(json_object_get(line, "status")),
			 200);
	assert_int_equal(json_integer_value(json_object_get(line,
							    "elapsed_ms")), 12);
	assert_true(json_is_false(json_object_get(line, "token")));
	headers = json_object_get(line, "headers");
	assert_string_equal(str(headers, "Content-Type"), "application/json");
	assert_string_equal(str(headers, "Retry-After"), "3");
	assert_string_equal(str(headers, "X-Request-Id"), "sim-7");
	assert_string_equal(str(json_object_get(line, "request"), "name"),
			    "slack");
	assert_string_equal(str(json_object_get(line, "response"), "id"),
			    "i-1");
	assert_null(json_object_get(line, "error"));
	json_decref(line);
	buf_release(&text);
}

static void test_trace_redacts_bodies(void **state)
{
	struct client_exchange x;
	struct buf text = BUF_INIT;
	json_t *line;

	(void)state;
	exchange(&x, "{\"parameters\": {\"webhook\": \"S3cret-answer\"}}");
	x.request_body = "{\"name\":\"jira\",\"parameters\":"
			 "{\"token\":\"S3cret-asked\"},\"client_secret\":\"cs\"}";
	line = formatted(&x, &text);
	assert_null(strstr(text.s, "S3cret"));
	assert_null(strstr(text.s, "\"cs\""));
	assert_string_equal(str(json_object_get(json_object_get(line,
			"request"), "parameters"), "token"), "(sensitive)");
	assert_string_equal(str(json_object_get(json_object_get(line,
			"response"), "parameters"), "webhook"), "(sensitive)");
	json_decref(line);
	buf_release(&text);
}

static void test_trace_token_call(void **state)
{
	struct client_exchange x;
	struct buf text = BUF_INIT;
	json_t *line;

	(void)state;
	exchange(&x, "{\"access_token\":\"tok-S3cret\",\"expires_in\":60}");
	x.url = "http://127.0.0.1:1/v1/auth/token";
	x.is_token = 1;
	/* the client never gives it, but the trace must not show it anyway */
	x.request_body = "grant_type=client_credentials&client_secret=S3cret";
	line = formatted(&x, &text);
	assert_null(strstr(text.s, "S3cret"));
	assert_true(json_is_true(json_object_get(line, "token")));
	assert_string_equal(str(line, "request"), "(sensitive)");
	assert_string_equal(str(json_object_get(line, "response"),
				"access_token"), "(sensitive)");
	json_decref(line);

	/* an answer that is not JSON may be a token too */
	exchange(&x, "access_token=S3cret");
	x.is_token = 1;
	line = formatted(&x, &text);
	assert_null(strstr(text.s, "S3cret"));
	assert_string_equal(str(line, "response"), "(sensitive)");
	json_decref(line);
	buf_release(&text);
}

static void test_trace_text_and_failures(void **state)
{
	struct client_exchange x;
	struct buf text = BUF_INIT;
	json_t *line;

	(void)state;
	exchange(&x, "<html>Bad gateway</html>");
	x.method = "GET";
	x.status = 502;
	x.content_type = "";
	line = formatted(&x, &text);
	assert_string_equal(str(line, "response"), "<html>Bad gateway</html>");
	assert_true(json_is_null(json_object_get(line, "request")));
	assert_null(json_object_get(json_object_get(line, "headers"),
				    "Content-Type"));
	json_decref(line);

	exchange(&x, "\xff\xfe");
	line = formatted(&x, &text);
	assert_string_equal(str(line, "response"), "(not UTF-8)");
	json_decref(line);

	exchange(&x, NULL);
	x.status = 0;
	x.error = "GET http://127.0.0.1:1/x: Connection refused";
	line = formatted(&x, &text);
	assert_true(json_is_null(json_object_get(line, "response")));
	assert_string_equal(str(line, "error"), x.error);
	json_decref(line);
	buf_release(&text);
}

static void test_trace_file_mode_and_lines(void **state)
{
	struct testdir d;
	struct client_exchange x;
	struct buf err = BUF_INIT, got = BUF_INIT;
	struct trace *t;
	struct stat st;
	const char *path;
	size_t i, lines = 0;
	mode_t mode;

	(void)state;
	testdir_make(&d, "torq-trace");
	testdir_put(&d, "t.jsonl", "old and longer than the trace\n", 30,
		    0644);
	path = testdir_at(&d, "t.jsonl");
	t = trace_open(path, &err);
	assert_non_null(t);
	exchange(&x, "{}");
	trace_hook(t, &x);
	trace_hook(t, &x);
	assert_int_equal(trace_close(t, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(buf_read_file(&got, path, 1 << 20), 0);
	assert_null(strstr(got.s, "old and longer"));
	for (i = 0; i < got.len; i++)
		lines += got.s[i] == '\n';
	assert_int_equal(lines, 2);

	/* a device is written to, and its mode left alone */
	assert_int_equal(stat("/dev/null", &st), 0);
	mode = st.st_mode;
	t = trace_open("/dev/null", &err);
	assert_non_null(t);
	trace_hook(t, &x);
	assert_int_equal(trace_close(t, &err), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_int_equal(st.st_mode, mode);

	assert_null(trace_open(testdir_at(&d, "no/such/t.jsonl"), &err));
	assert_non_null(strstr(err.s, "cannot create trace file"));
	assert_int_equal(trace_close(NULL, &err), 0);
	buf_release(&err);
	buf_release(&got);
	testdir_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_line_fields),
		cmocka_unit_test(test_trace_redacts_bodies),
		cmocka_unit_test(test_trace_token_call),
		cmocka_unit_test(test_trace_text_and_failures),
		cmocka_unit_test(test_trace_file_mode_and_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
