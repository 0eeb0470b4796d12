/* Salted fingerprints of integration parameters, and the state file. */
#include <dirent.h>
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
#include "torq/fingerprint.h"
#include "torq/manifest.h"
#include "torq/sha256.h"
#include "torq/banned.h"

static const char salt1[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char salt2[] =
	"ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct fixture {
	struct testdir d;
	struct doc doc;
	struct buf err;
	struct fingerprint_store store;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	testdir_make(&f->d, "torq-fp");
	doc_init(&f->doc);
	buf_init(&f->err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testdir_remove(&f->d);
	fingerprint_store_release(&f->store);
	doc_release(&f->doc);
	buf_release(&f->err);
	test_free(f);
	return 0;
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (!v)
		fail_msg("bad test JSON: %s", jerr.text);
	return v;
}

/* Put a tree in the doc; "secret" nodes get their values set by tests. */
static json_t *put_params(struct fixture *f, const char *text)
{
	json_decref(f->doc.root);
	f->doc.root = parse(text);
	return f->doc.root;
}

static void fp_ok(struct fixture *f, const json_t *params, const char *salt,
		  char out[65])
{
	buf_reset(&f->err);
	if (fingerprint_params(&f->doc, params, salt, out, &f->err))
		fail_msg("fingerprint failed: %s", f->err.s);
	assert_int_equal(strlen(out), 64);
	assert_int_equal(strspn(out, "0123456789abcdef"), 64);
}

static void set_secret(struct fixture *f, json_t *node, const char *value)
{
	doc_set_secret(&f->doc, node, value, strlen(value));
}

static const char *in_dir(struct fixture *f, const char *name)
{
	return testdir_at(&f->d, name);
}

static void write_file(struct fixture *f, const char *name, const char *text)
{
	testdir_put(&f->d, name, text, strlen(text), 0644);
}

/* How many names a directory holds, "." and ".." aside. */
static size_t entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_fingerprint_is_stable(void **state)
{
	struct fixture *f = *state;
	char a[65], b[65];
	json_t *p = put_params(f, "{\"url\": \"https://x\", \"n\": [1, 2.5,"
			       " true, null, {\"k\": \"v\"}]}");

	fp_ok(f, p, salt1, a);
	fp_ok(f, p, salt1, b);
	assert_string_equal(a, b);
	assert_int_equal(fingerprint_has_secret(&f->doc, p), 0);
}

/* The definition: HMAC-SHA256 under the salt's bytes of canonical JSON. */
static void test_fingerprint_is_hmac_of_canonical_json(void **state)
{
	struct fixture *f = *state;
	static const char canon[] =
		"{\"a\":1,\"token\":\"s3cret\",\"z\":\"x\"}";
	unsigned char key[32];
	char got[65], want[65];
	json_t *p = put_params(f, "{\"z\": \"x\", \"token\": "
			       "\"${secret:env:T}\", \"a\": 1}");
	size_t i;

	set_secret(f, json_object_get(p, "token"), "s3cret");
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	hmac_sha256_hex(key, sizeof(key), canon, strlen(canon), want);
	fp_ok(f, p, salt1, got);
	assert_string_equal(got, want);
}

static void test_fingerprint_secret_value_counts(void **state)
{
	struct fixture *f = *state;
	char a[65], b[65];
	json_t *p = put_params(f, "{\"url\": \"https://x\", \"api_token\": "
			       "\"${secret:env:TOKEN}\"}");
	json_t *token = json_object_get(p, "api_token");

	set_secret(f, token, "first-value");
	assert_int_equal(fingerprint_has_secret(&f->doc, p), 1);
	fp_ok(f, p, salt1, a);
	set_secret(f, token, "second-value");
	fp_ok(f, p, salt1, b);
	assert_string_not_equal(a, b);
	set_secret(f, token, "first-value");
	fp_ok(f, p, salt1, b);
	assert_string_equal(a, b);

	/* the value counts as if written in place of the reference */
	p = put_params(f, "{\"url\": \"https://x\", \"api_token\": "
		       "\"first-value\"}");
	fp_ok(f, p, salt1, b);
	assert_string_equal(a, b);
	assert_int_equal(fingerprint_has_secret(&f->doc, p), 0);
}

static void test_fingerprint_key_order_does_not_count(void **state)
{
	struct fixture *f = *state;
	char a[65], b[65];
	json_t *p;

	p = put_params(f, "{\"b\": {\"y\": 1, \"x\": 2}, \"a\": \"${secret:"
		       "env:A}\", \"c\": [3, 4]}");
	set_secret(f, json_object_get(p, "a"), "v");
	fp_ok(f, p, salt1, a);
	p = put_params(f, "{\"c\": [3, 4], \"a\": \"${secret:env:A}\", "
		       "\"b\": {\"x\": 2, \"y\": 1}}");
	set_secret(f, json_object_get(p, "a"), "v");
	fp_ok(f, p, salt1, b);
	assert_string_equal(a, b);
	/* but array order does */
	p = put_params(f, "{\"c\": [4, 3], \"a\": \"${secret:env:A}\", "
		       "\"b\": {\"x\": 2, \"y\": 1}}");
	set_secret(f, json_object_get(p, "a"), "v");
	fp_ok(f, p, salt1, b);
	assert_string_not_equal(a, b);
}

static void test_fingerprint_salt_counts(void **state)
{
	struct fixture *f = *state;
	char a[65], b[65], upper[65];
	json_t *p = put_params(f, "{\"url\": \"https://x\"}");
	size_t i;

	fp_ok(f, p, salt1, a);
	fp_ok(f, p, salt2, b);
	assert_string_not_equal(a, b);
	/* the salt's bytes count, not the case of its digits */
	for (i = 0; i < 65; i++)
		upper[i] = salt1[i] >= 'a' && salt1[i] <= 'f' ?
			   (char)(salt1[i] - 'a' + 'A') : salt1[i];
	fp_ok(f, p, upper, b);
	assert_string_equal(a, b);
}

static void test_fingerprint_bad_salt(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"", "00", "zz0102030405060708090a0b0c0d0e0f101112131415161718"
		"191a1b1c1d1e1f", NULL,
	};
	char out[65];
	json_t *p = put_params(f, "{}");
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&f->err);
		assert_int_equal(fingerprint_params(&f->doc, p, bad[i], out,
						    &f->err), -1);
		assert_string_equal(f->err.s, "cannot fingerprint the "
				    "parameters: the salt is not 64 hex "
				    "digits");
	}
}

/* Secrets at any depth, inside arrays; the hex never carries one. */
static void test_fingerprint_nested_secrets(void **state)
{
	struct fixture *f = *state;
	char a[65], b[65];
	json_t *p = put_params(f, "{\"list\": [{\"k\": \"${secret:env:K}\"},"
			       " \"plain\"], \"deep\": {\"x\": {\"y\": "
			       "\"${secret:file:y.txt}\"}}}");
	json_t *k = json_object_get(json_array_get(json_object_get(p,
		"list"), 0), "k");
	json_t *y = json_object_get(json_object_get(json_object_get(p,
		"deep"), "x"), "y");

	/* references without values are secrets all the same */
	assert_int_equal(fingerprint_has_secret(&f->doc, p), 1);
	set_secret(f, k, "abcdef");
	set_secret(f, y, "0123456789");
	assert_int_equal(fingerprint_has_secret(&f->doc, p), 1);
	fp_ok(f, p, salt1, a);
	assert_null(strstr(a, "abcdef"));
	assert_null(strstr(a, "0123456789"));
	set_secret(f, y, "0123456788");
	fp_ok(f, p, salt1, b);
	assert_string_not_equal(a, b);
	/* the tree still shows only references */
	assert_string_equal(json_string_value(y), "${secret:file:y.txt}");
}

/* A value with a NUL and quotes is hashed whole, escaped as JSON. */
static void test_fingerprint_binary_value(void **state)
{
	struct fixture *f = *state;
	char a[65], b[65];
	json_t *p = put_params(f, "{\"t\": \"${secret:env:T}\"}");
	json_t *t = json_object_get(p, "t");

	doc_set_secret(&f->doc, t, "a\0b\"", 4);
	fp_ok(f, p, salt1, a);
	doc_set_secret(&f->doc, t, "a\0c\"", 4);
	fp_ok(f, p, salt1, b);
	assert_string_not_equal(a, b);
}

static void test_fingerprint_secret_not_utf8(void **state)
{
	struct fixture *f = *state;
	char out[65];
	json_t *p = put_params(f, "{\"t\": \"Bearer ${secret:env:TOK}\"}");

	set_secret(f, json_object_get(p, "t"), "Bearer hunter2\xff");
	assert_int_equal(fingerprint_params(&f->doc, p, salt1, out, &f->err),
			 -1);
	assert_string_equal(f->err.s, "cannot fingerprint the parameters: "
			    "secret '${secret:env:TOK}' is not UTF-8 text");
	assert_null(strstr(f->err.s, "hunter2"));
}

static const char manifest[] =
	"version: 1\n"
	"workspace:\n"
	"  name: acme\n"
	"integrations:\n"
	"  - name: jira\n"
	"    vendor: jira\n"
	"    parameters:\n"
	"      url: https://acme.example\n"
	"      api_token: ${secret:env:TORQ_FP_TOKEN}\n";

static json_t *load_params(struct fixture *f, unsigned flags)
{
	struct diag_list diags;
	json_t *p;

	write_file(f, "m.yaml", manifest);
	doc_release(&f->doc);
	diag_list_init(&diags, 0);
	manifest_load(&f->doc, in_dir(f, "m.yaml"), NULL, flags, &diags);
	diag_list_release(&diags);
	p = json_object_get(json_array_get(json_object_get(f->doc.root,
		"integrations"), 0), "parameters");
	assert_non_null(p);
	return p;
}

/* Through the real front end: the same as a tree with the value in. */
static void test_fingerprint_manifest_secret(void **state)
{
	struct fixture *f = *state;
	char got[65], want[65];
	struct doc empty;
	json_t *p, *plain;

	setenv("TORQ_FP_TOKEN", "tok-123", 1);
	p = load_params(f, 0);
	unsetenv("TORQ_FP_TOKEN");
	assert_int_equal(fingerprint_has_secret(&f->doc, p), 1);
	fp_ok(f, p, salt1, got);
	plain = parse("{\"url\": \"https://acme.example\", "
		      "\"api_token\": \"tok-123\"}");
	doc_init(&empty);
	buf_reset(&f->err);
	assert_int_equal(fingerprint_params(&empty, plain, salt1, want,
					    &f->err), 0);
	doc_release(&empty);
	json_decref(plain);
	assert_string_equal(got, want);
}

static void test_fingerprint_missing_secret(void **state)
{
	struct fixture *f = *state;
	char out[65];
	json_t *p;

	unsetenv("TORQ_FP_TOKEN");
	p = load_params(f, RESOLVE_SECRETS_OPTIONAL);
	assert_int_equal(fingerprint_has_secret(&f->doc, p), 1);
	assert_int_equal(fingerprint_params(&f->doc, p, salt1, out, &f->err),
			 -1);
	assert_string_equal(f->err.s, "cannot fingerprint the parameters: "
			    "secret '${secret:env:TORQ_FP_TOKEN}' has no "
			    "value");
}

static void test_fingerprint_no_params(void **state)
{
	struct fixture *f = *state;
	char out[65];

	assert_int_equal(fingerprint_params(&f->doc, NULL, salt1, out,
					    &f->err), -1);
	assert_string_equal(f->err.s, "cannot fingerprint the parameters: "
			    "there are none");
	assert_int_equal(fingerprint_has_secret(&f->doc, NULL), 0);
}

/* The store. */

static void open_ok(struct fixture *f)
{
	fingerprint_store_release(&f->store);
	buf_reset(&f->err);
	if (fingerprint_store_open(&f->store, f->d.path, &f->err))
		fail_msg("open failed: %s", f->err.s);
}

static void save_ok(struct fixture *f)
{
	buf_reset(&f->err);
	if (fingerprint_store_save(&f->store, &f->err))
		fail_msg("save failed: %s", f->err.s);
}

static void test_fingerprint_store_fresh(void **state)
{
	struct fixture *f = *state;
	struct fingerprint_store other;
	struct stat st;

	open_ok(f);
	assert_int_equal(strlen(f->store.salt), 64);
	assert_int_equal(strspn(f->store.salt, "0123456789abcdef"), 64);
	assert_null(fingerprint_store_get(&f->store, "acme", "jira"));
	assert_int_equal(f->store.dirty, 0);
	save_ok(f);
	/* nothing to record, so nothing written */
	assert_int_equal(stat(in_dir(f, ".torq-apply"), &st), -1);

	assert_int_equal(fingerprint_store_open(&other, f->d.path, &f->err), 0);
	assert_string_not_equal(other.salt, f->store.salt);
	fingerprint_store_release(&other);
}

static void test_fingerprint_store_round_trip(void **state)
{
	struct fixture *f = *state;
	char salt[65], fp[65];

	open_ok(f);
	memcpy(salt, f->store.salt, sizeof(salt));
	sha256_hex("one", 3, fp);
	fingerprint_store_set(&f->store, "acme SOC", "jira", fp);
	fingerprint_store_set(&f->store, "acme SOC", "slack", "ab");
	fingerprint_store_set(&f->store, "globex", "jira", "cd");
	assert_int_equal(f->store.dirty, 1);
	assert_string_equal(fingerprint_store_get(&f->store, "acme SOC",
						  "jira"), fp);
	save_ok(f);
	assert_int_equal(f->store.dirty, 0);

	open_ok(f);
	assert_string_equal(f->store.salt, salt);
	assert_string_equal(fingerprint_store_get(&f->store, "acme SOC",
						  "jira"), fp);
	assert_string_equal(fingerprint_store_get(&f->store, "acme SOC",
						  "slack"), "ab");
	assert_string_equal(fingerprint_store_get(&f->store, "globex",
						  "jira"), "cd");
	assert_null(fingerprint_store_get(&f->store, "globex", "slack"));
	assert_null(fingerprint_store_get(&f->store, "initech", "jira"));

	/* setting what is there already changes nothing */
	fingerprint_store_set(&f->store, "globex", "jira", "cd");
	assert_int_equal(f->store.dirty, 0);
	fingerprint_store_set(&f->store, "globex", "jira", "ef");
	assert_int_equal(f->store.dirty, 1);
	assert_string_equal(fingerprint_store_get(&f->store, "globex",
						  "jira"), "ef");
}

static void test_fingerprint_store_forget(void **state)
{
	struct fixture *f = *state;
	json_t *ws;

	open_ok(f);
	fingerprint_store_set(&f->store, "acme", "jira", "ab");
	fingerprint_store_set(&f->store, "acme", "slack", "cd");
	save_ok(f);
	fingerprint_store_set(&f->store, "acme", "nothing", NULL);
	fingerprint_store_set(&f->store, "nobody", "jira", NULL);
	assert_int_equal(f->store.dirty, 0);
	fingerprint_store_set(&f->store, "acme", "jira", NULL);
	assert_int_equal(f->store.dirty, 1);
	assert_null(fingerprint_store_get(&f->store, "acme", "jira"));
	assert_string_equal(fingerprint_store_get(&f->store, "acme", "slack"),
			    "cd");
	fingerprint_store_set(&f->store, "acme", "slack", NULL);
	save_ok(f);

	open_ok(f);
	ws = json_object_get(f->store.root, "workspaces");
	assert_true(json_is_object(ws));
	assert_int_equal(json_object_size(ws), 0);
}

static void test_fingerprint_store_revisions(void **state)
{
	struct fixture *f = *state;

	open_ok(f);
	fingerprint_store_set(&f->store, "acme", "jira", "ab");
	fingerprint_store_set_revision(&f->store, "acme", "Triage", "r1", "d1");
	fingerprint_store_set_revision(&f->store, "globex", "Triage", "r7",
				       "d7");
	save_ok(f);
	open_ok(f);
	assert_string_equal(fingerprint_store_get_revision(&f->store, "acme",
		"Triage", "r1"), "d1");
	/* another revision, workflow or workspace: not known */
	assert_null(fingerprint_store_get_revision(&f->store, "acme",
		"Triage", "r2"));
	assert_null(fingerprint_store_get_revision(&f->store, "acme",
		"Other", "r1"));
	assert_null(fingerprint_store_get_revision(&f->store, "initech",
		"Triage", "r1"));
	assert_null(fingerprint_store_get_revision(&f->store, "acme",
		"Triage", NULL));
	assert_string_equal(fingerprint_store_get_revision(&f->store,
		"globex", "Triage", "r7"), "d7");

	/* the same again changes nothing; a new revision replaces the old */
	fingerprint_store_set_revision(&f->store, "acme", "Triage", "r1", "d1");
	assert_int_equal(f->store.dirty, 0);
	fingerprint_store_set_revision(&f->store, "acme", "Triage", "r2", "d2");
	assert_int_equal(f->store.dirty, 1);
	assert_null(fingerprint_store_get_revision(&f->store, "acme",
		"Triage", "r1"));
	assert_string_equal(fingerprint_store_get_revision(&f->store, "acme",
		"Triage", "r2"), "d2");

	/* forgetting keeps the integrations; the last one takes the workspace */
	fingerprint_store_set_revision(&f->store, "acme", "Triage", NULL,
				       NULL);
	assert_null(fingerprint_store_get_revision(&f->store, "acme",
		"Triage", "r2"));
	assert_string_equal(fingerprint_store_get(&f->store, "acme", "jira"),
			    "ab");
	fingerprint_store_set_revision(&f->store, "globex", "Triage", NULL,
				       NULL);
	assert_null(json_object_get(json_object_get(f->store.root,
		"workspaces"), "globex"));
	fingerprint_store_set(&f->store, "acme", "jira", NULL);
	assert_int_equal(json_object_size(json_object_get(f->store.root,
		"workspaces")), 0);
}

static void test_fingerprint_store_modes(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	char *text;
	json_t *j;

	open_ok(f);
	fingerprint_store_set(&f->store, "acme", "jira", "ab");
	save_ok(f);
	assert_int_equal(stat(in_dir(f, ".torq-apply"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(in_dir(f, ".torq-apply/state.json"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	/* the format, and no temporary file left behind */
	j = json_load_file(in_dir(f, ".torq-apply/state.json"), 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j,
		"format_version")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "salt")),
			    f->store.salt);
	text = json_dumps(json_object_get(j, "workspaces"),
			  JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"acme\":{\"integrations\":"
			    "{\"jira\":\"ab\"}}}");
	free(text);
	json_decref(j);
	assert_int_equal(entries(in_dir(f, ".torq-apply")), 1);

	/* a second save replaces the file, still 0600 */
	fingerprint_store_set(&f->store, "acme", "jira", "cd");
	save_ok(f);
	assert_int_equal(stat(in_dir(f, ".torq-apply/state.json"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

/* Opening a state file of text fails with a message that starts so. */
static void expect_open_error(struct fixture *f, const char *text,
			      const char *why)
{
	struct buf want = BUF_INIT;

	write_file(f, ".torq-apply/state.json", text);
	fingerprint_store_release(&f->store);
	buf_reset(&f->err);
	assert_int_equal(fingerprint_store_open(&f->store, f->d.path, &f->err),
			 -1);
	buf_addf(&want, "'%s/.torq-apply/state.json' %s", f->d.path, why);
	if (strncmp(f->err.s, want.s, want.len))
		fail_msg("got '%s', expected '%s...'", f->err.s, want.s);
	/* and what to do about it */
	assert_non_null(strstr(f->err.s, "; restore it, or remove it to "
			       "start afresh"));
	buf_release(&want);
}

static void test_fingerprint_store_bad_files(void **state)
{
	struct fixture *f = *state;
	static const char good_salt[] = "\"salt\": \"000102030405060708090a0b"
		"0c0d0e0f101112131415161718191a1b1c1d1e1f\"";
	struct buf text = BUF_INIT;

	/* the rest is jansson's words */
	expect_open_error(f, "{\"format_version\": 1,",
			  "is not valid JSON: line 1, column ");
	expect_open_error(f, "{\"format_version\": 1, \"format_version\": 1}",
			  "is not valid JSON: line 1, column ");
	expect_open_error(f, "[]", "is not a torq-apply state file: it has "
			  "no integer 'format_version'");
	expect_open_error(f, "{\"format_version\": 2}", "has format_version "
			  "2; this torq-apply reads version 1 only");
	expect_open_error(f, "{\"format_version\": 1, \"salt\": \"ab\", "
			  "\"workspaces\": {}}", "is not a torq-apply state "
			  "file: 'salt' is not 64 hex digits");
	buf_addf(&text, "{\"format_version\": 1, %s}", good_salt);
	expect_open_error(f, text.s, "is not a torq-apply state file: "
			  "'workspaces' is not an object");
	buf_reset(&text);
	buf_addf(&text, "{\"format_version\": 1, %s, \"workspaces\": "
		 "{\"a\": {\"integrations\": {\"j\": 3}}}}", good_salt);
	expect_open_error(f, text.s, "is not a torq-apply state file: a "
			  "fingerprint is not a string");
	buf_reset(&text);
	buf_addf(&text, "{\"format_version\": 1, %s, \"workspaces\": "
		 "{\"a\": []}}", good_salt);
	expect_open_error(f, text.s, "is not a torq-apply state file: a "
			  "workspace is not an object");
	buf_reset(&text);
	buf_addf(&text, "{\"format_version\": 1, %s, \"workspaces\": "
		 "{\"a\": {\"integrations\": []}}}", good_salt);
	expect_open_error(f, text.s, "is not a torq-apply state file: a "
			  "workspace's 'integrations' is not an object");
	buf_reset(&text);
	buf_addf(&text, "{\"format_version\": 1, %s, \"workspaces\": "
		 "{\"a\": {\"workflows\": {\"w\": {\"revision\": 1, "
		 "\"digest\": \"ab\"}}}}}", good_salt);
	expect_open_error(f, text.s, "is not a torq-apply state file: a "
			  "workflow has no string 'revision' and 'digest'");

	/* and one that is right */
	buf_reset(&text);
	buf_addf(&text, "{\"format_version\": 1, %s, \"workspaces\": "
		 "{\"a\": {\"integrations\": {\"j\": \"ff\"}}}}", good_salt);
	write_file(f, ".torq-apply/state.json", text.s);
	open_ok(f);
	assert_string_equal(fingerprint_store_get(&f->store, "a", "j"), "ff");
	assert_string_equal(f->store.salt, salt1);
	buf_release(&text);
}

static void test_fingerprint_store_cannot_write(void **state)
{
	struct fixture *f = *state;
	struct buf want = BUF_INIT;

	assert_int_equal(fingerprint_store_open(&f->store,
		in_dir(f, "missing"), &f->err), 0);
	fingerprint_store_set(&f->store, "acme", "jira", "ab");
	assert_int_equal(fingerprint_store_save(&f->store, &f->err), -1);
	buf_addf(&want, "cannot create directory '%s/missing/.torq-apply': "
		 "No such file or directory", f->d.path);
	assert_string_equal(f->err.s, want.s);
	assert_int_equal(f->store.dirty, 1);
	buf_release(&want);
}

static void test_fingerprint_store_cannot_read(void **state)
{
	struct fixture *f = *state;
	struct buf want = BUF_INIT;

	write_file(f, "file", "x");
	assert_int_equal(fingerprint_store_open(&f->store, in_dir(f, "file"),
						&f->err), -1);
	buf_addf(&want, "cannot read '%s/file/.torq-apply/state.json': Not a "
		 "directory", f->d.path);
	assert_string_equal(f->err.s, want.s);
	buf_release(&want);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fingerprint_is_stable),
		T(test_fingerprint_is_hmac_of_canonical_json),
		T(test_fingerprint_secret_value_counts),
		T(test_fingerprint_key_order_does_not_count),
		T(test_fingerprint_salt_counts),
		T(test_fingerprint_bad_salt),
		T(test_fingerprint_nested_secrets),
		T(test_fingerprint_binary_value),
		T(test_fingerprint_secret_not_utf8),
		T(test_fingerprint_manifest_secret),
		T(test_fingerprint_missing_secret),
		T(test_fingerprint_no_params),
		T(test_fingerprint_store_fresh),
		T(test_fingerprint_store_round_trip),
		T(test_fingerprint_store_forget),
		T(test_fingerprint_store_revisions),
		T(test_fingerprint_store_modes),
		T(test_fingerprint_store_bad_files),
		T(test_fingerprint_store_cannot_write),
		T(test_fingerprint_store_cannot_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
