/*
 * Unit tests for src/schema.c through include/torq/schema.h: the exact
 * text, key path and mark of every message form, the choices made for
 * anyOf/oneOf, schema_new's refusals, the regex cache and the $ref depth
 * guard. Instances are JSON texts with marks set by hand where a test
 * looks at them, as the YAML loader would set them.
 */
#define _GNU_SOURCE	/* RTLD_NEXT, for counting regcomp calls */
#include <dlfcn.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/buf.h"
#include "torq/diag.h"
#include "torq/doc.h"
#include "torq/schema.h"
#include "torq/banned.h"

#define FILE_NAME "m.yaml"

/*
 * regcomp and regfree, interposed to count calls, so a test can see that
 * patterns compile once per distinct text at schema_new and are freed by
 * schema_free.
 */
static size_t regcomp_calls, regfree_calls;

int regcomp(regex_t *restrict re, const char *restrict pattern, int flags)
{
	static int (*real)(regex_t *restrict, const char *restrict, int);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "regcomp");
	regcomp_calls++;
	return real(re, pattern, flags);
}

void regfree(regex_t *re)
{
	static void (*real)(regex_t *);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "regfree");
	regfree_calls++;
	real(re);
}

struct fx {
	struct doc doc;
	struct diag_list diags;
	struct schema *schema;
	struct buf err;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	doc_init(&fx->doc);
	diag_list_init(&fx->diags, 0);
	buf_init(&fx->err);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	schema_free(fx->schema);
	diag_list_release(&fx->diags);
	doc_release(&fx->doc);
	buf_release(&fx->err);
	free(fx);
	return 0;
}

/* Compile a schema that must compile. */
static void compile(struct fx *fx, const char *text)
{
	schema_free(fx->schema);
	fx->schema = NULL;
	buf_reset(&fx->err);
	if (schema_new(&fx->schema, text, strlen(text), &fx->err))
		fail_msg("schema does not compile: %s", fx->err.s);
}

/* Compile a schema that must not compile; returns the message. */
static const char *refuse(struct fx *fx, const char *text)
{
	struct schema *s = NULL;

	buf_reset(&fx->err);
	assert_int_equal(schema_new(&s, text, strlen(text), &fx->err), -1);
	assert_null(s);
	return fx->err.s;
}

/* Make text the document's root (replacing any earlier one). */
static void load(struct fx *fx, const char *text)
{
	json_error_t jerr;

	doc_release(&fx->doc);
	diag_list_release(&fx->diags);
	fx->doc.root = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!fx->doc.root)
		fail_msg("bad test instance: %s", jerr.text);
}

/* The node at a slash-separated path ("users/0/email"; "" is the root). */
static json_t *node_at(struct fx *fx, const char *path)
{
	json_t *node = fx->doc.root;
	char *copy = strdup(path), *tok, *next;

	assert_non_null(copy);
	for (tok = copy; node && *tok; tok = next) {
		next = strchr(tok, '/');
		if (next)
			*next++ = '\0';
		else
			next = tok + strlen(tok);
		if (json_is_array(node))
			node = json_array_get(node, strtoul(tok, NULL, 10));
		else
			node = json_object_get(node, tok);
	}
	free(copy);
	assert_non_null(node);
	return node;
}

/* Give the node at path (or its key) a mark. */
static void mark(struct fx *fx, const char *path, const char *key,
		 unsigned line, unsigned col)
{
	struct mark m = { FILE_NAME, line, col, 1 };

	doc_set_mark(&fx->doc, node_at(fx, path), key, &m);
}

/* Load an instance and validate it; returns schema_validate's result. */
static int check(struct fx *fx, const char *instance)
{
	load(fx, instance);
	return schema_validate(fx->schema, fx->doc.root, &fx->doc,
			       &fx->diags);
}

/* Validate an already loaded instance again (after marking it). */
static int recheck(struct fx *fx)
{
	diag_list_release(&fx->diags);
	return schema_validate(fx->schema, fx->doc.root, &fx->doc,
			       &fx->diags);
}

/* Diagnostic i is an error with this text, path ("" for the root) and mark. */
static void expect(struct fx *fx, size_t i, const char *message,
		   const char *path, unsigned line, unsigned col)
{
	const struct diag *d;

	if (i >= fx->diags.nr)
		fail_msg("no diagnostic %zu (have %zu), wanted '%s'", i,
			 fx->diags.nr, message);
	d = &fx->diags.items[i];
	assert_int_equal(d->severity, DIAG_ERROR);
	assert_string_equal(d->message, message);
	if (*path)
		assert_string_equal(d->path ? d->path : "(root)", path);
	else
		assert_null(d->path);
	assert_int_equal(d->mark.line, line);
	assert_int_equal(d->mark.col, col);
	if (line)
		assert_string_equal(d->mark.file, FILE_NAME);
}

/* The only diagnostic is an error with this text, at an unmarked place. */
static void expect_only(struct fx *fx, const char *message, const char *path)
{
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, message, path, 0, 0);
}

static void test_schema_type_message(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"name\": {\"type\": \"string\"}}}");
	load(fx, "{\"name\": 42}");
	mark(fx, "name", NULL, 3, 9);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "expected a string, got a number", "name", 3, 9);

	compile(fx, "{\"type\": \"object\"}");
	assert_int_equal(check(fx, "[1]"), -1);
	expect_only(fx, "expected a mapping, got a list", "");
	assert_int_equal(check(fx, "null"), -1);
	expect_only(fx, "expected a mapping, got null", "");
	assert_int_equal(check(fx, "true"), -1);
	expect_only(fx, "expected a mapping, got a boolean", "");
	compile(fx, "{\"type\": \"array\"}");
	assert_int_equal(check(fx, "{}"), -1);
	expect_only(fx, "expected a list, got a mapping", "");
	compile(fx, "{\"type\": \"null\"}");
	assert_int_equal(check(fx, "0"), -1);
	expect_only(fx, "expected null, got a number", "");
}

/*
 * jansson shares one node for every true, false and null: their marks are
 * per slot (doc_set_value_mark), and messages must find them there.
 */
static void test_schema_marks_of_shared_nodes(void **state)
{
	struct fx *fx = *state;
	struct mark m1 = { FILE_NAME, 2, 9, 1 }, m2 = { FILE_NAME, 3, 9, 1 };
	struct mark m3 = { FILE_NAME, 4, 6, 1 }, m4 = { FILE_NAME, 5, 6, 1 };

	compile(fx, "{\"properties\": {\"a\": {\"type\": \"string\"}, "
		"\"b\": {\"type\": \"string\"}, \"l\": {\"items\": "
		"{\"type\": \"integer\"}}}}");
	load(fx, "{\"a\": true, \"b\": null, \"l\": [false, null]}");
	doc_set_value_mark(&fx->doc, fx->doc.root, "a", 0, &m1);
	doc_set_value_mark(&fx->doc, fx->doc.root, "b", 0, &m2);
	doc_set_value_mark(&fx->doc, node_at(fx, "l"), NULL, 0, &m3);
	doc_set_value_mark(&fx->doc, node_at(fx, "l"), NULL, 1, &m4);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 4);
	expect(fx, 0, "expected a string, got a boolean", "a", 2, 9);
	expect(fx, 1, "expected a string, got null", "b", 3, 9);
	expect(fx, 2, "expected an integer, got a boolean", "l[0]", 4, 6);
	expect(fx, 3, "expected an integer, got null", "l[1]", 5, 6);
}

static void test_schema_type_quotes_strings(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"type\": \"integer\"}");
	assert_int_equal(check(fx, "\"12\""), -1);
	expect_only(fx, "expected an integer, got the string '12'", "");
	/* Cut at 40 characters (not bytes), control characters escaped. */
	assert_int_equal(check(fx, "\"0123456789012345678901234567890123456"
			       "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\""),
			 -1);
	expect_only(fx, "expected an integer, got the string "
		    "'0123456789012345678901234567890123456\xc3\xa9\xc3\xa9"
		    "\xc3\xa9...'", "");
	assert_int_equal(check(fx, "\"a\\nb\""), -1);
	expect_only(fx, "expected an integer, got the string 'a\\nb'", "");
}

static void test_schema_type_boolean_yaml_hint(void **state)
{
	struct fx *fx = *state;
	static const char *const words[] = { "yes", "No", "ON", "off", "y",
					     "N" };
	char in[32], want[160];
	size_t i;

	compile(fx, "{\"properties\": {\"create\": {\"type\": \"boolean\"}}}");
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		snprintf(in, sizeof(in), "{\"create\": \"%s\"}", words[i]);
		load(fx, in);
		mark(fx, "create", NULL, 4, 11);
		assert_int_equal(recheck(fx), -1);
		snprintf(want, sizeof(want), "expected a boolean, got the "
			 "string '%s'; YAML 1.2 reads '%s' as a string, write "
			 "true or false", words[i], words[i]);
		expect(fx, 0, want, "create", 4, 11);
	}
	assert_int_equal(check(fx, "{\"create\": \"yess\"}"), -1);
	expect_only(fx, "expected a boolean, got the string 'yess'",
		    "create");
	assert_int_equal(check(fx, "{\"create\": true}"), 0);
}

static void test_schema_type_list(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"type\": [\"string\", \"object\"]}");
	assert_int_equal(check(fx, "5"), -1);
	expect_only(fx, "expected a string or a mapping, got a number", "");
	assert_int_equal(check(fx, "{}"), 0);
	compile(fx, "{\"type\": [\"string\", \"number\", \"boolean\"]}");
	assert_int_equal(check(fx, "[]"), -1);
	expect_only(fx, "expected a string, a number or a boolean, got a "
		    "list", "");
	assert_int_equal(check(fx, "\"on\""), 0);
	assert_int_equal(check(fx, "{\"a\": 1}"), -1);
	compile(fx, "{\"type\": [\"integer\", \"boolean\"]}");
	assert_int_equal(check(fx, "\"off\""), -1);
	expect_only(fx, "expected an integer or a boolean, got the string "
		    "'off'; YAML 1.2 reads 'off' as a string, write true or "
		    "false", "");
}

static void test_schema_type_integer_accepts_whole_reals(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"type\": \"integer\"}");
	assert_int_equal(check(fx, "1"), 0);
	assert_int_equal(check(fx, "1.0"), 0);
	assert_int_equal(check(fx, "-3e2"), 0);
	assert_int_equal(check(fx, "1.5"), -1);
	expect_only(fx, "expected an integer, got a number", "");
	compile(fx, "{\"type\": \"number\"}");
	assert_int_equal(check(fx, "7"), 0);
}

static void test_schema_required(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"users\": {\"items\": "
		"{\"required\": [\"email\", \"role\"]}}}}");
	load(fx, "{\"users\": [{\"email\": \"a@b.c\", \"role\": \"Owner\"}, "
	     "{\"name\": \"x\"}]}");
	mark(fx, "users/1", NULL, 5, 5);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 2);
	expect(fx, 0, "missing required key 'email'", "users[1]", 5, 5);
	expect(fx, 1, "missing required key 'role'", "users[1]", 5, 5);
}

static void test_schema_unknown_key_suggestion(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"additionalProperties\": false, \"properties\": "
		"{\"users\": {}, \"version\": {}, \"workspace\": {\"type\": "
		"\"object\", \"additionalProperties\": false, "
		"\"properties\": {\"name\": {}, \"create\": {}}}}}");
	load(fx, "{\"version\": 1, \"usres\": [], \"zzz\": 1, "
	     "\"workspace\": {\"nmae\": \"acme\"}}");
	mark(fx, "", "usres", 2, 1);
	mark(fx, "usres", NULL, 2, 8);
	mark(fx, "", "zzz", 3, 1);
	mark(fx, "workspace", "nmae", 5, 3);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 3);
	expect(fx, 0, "unknown key 'usres'; did you mean 'users'?", "usres",
	       2, 1);
	expect(fx, 1, "unknown key 'zzz'", "zzz", 3, 1);
	expect(fx, 2, "unknown key 'nmae'; did you mean 'name'?",
	       "workspace.nmae", 5, 3);
}

/* A misspelt required key is reported once, as the unknown key. */
static void test_schema_misspelt_required_key_reported_once(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"type\": \"object\", \"additionalProperties\": false, "
		"\"required\": [\"name\", \"vendor\"], \"properties\": "
		"{\"name\": {}, \"vendor\": {}}}");
	load(fx, "{\"nmae\": \"x\"}");
	mark(fx, "", "nmae", 4, 3);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 2);
	expect(fx, 0, "missing required key 'vendor'", "", 0, 0);
	expect(fx, 1, "unknown key 'nmae'; did you mean 'name'?", "nmae", 4,
	       3);
	/* the verdict without diagnostics is the same */
	assert_int_equal(schema_validate(fx->schema, fx->doc.root, NULL, NULL), -1);
}

static void test_schema_unknown_key_falls_back_to_value_mark(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"additionalProperties\": false}");
	load(fx, "{\"odd key\": 1}");
	mark(fx, "odd key", NULL, 7, 12);
	assert_int_equal(recheck(fx), -1);
	expect(fx, 0, "unknown key 'odd key'", "[\"odd key\"]", 7, 12);
}

static void test_schema_additional_properties_schema(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"vars\": {\"additionalProperties\": "
		"{\"type\": [\"string\", \"number\", \"boolean\"]}}}}");
	load(fx, "{\"vars\": {\"region\": \"eu\", \"list\": [1]}}");
	mark(fx, "vars/list", NULL, 4, 9);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "expected a string, a number or a boolean, got a list",
	       "vars.list", 4, 9);
}

static void test_schema_enum_strings(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"role\": {\"enum\": [\"Owner\", "
		"\"Viewer\"]}}}");
	load(fx, "{\"role\": \"Ownr\"}");
	mark(fx, "role", NULL, 2, 9);
	assert_int_equal(recheck(fx), -1);
	expect(fx, 0, "'Ownr' is not one of 'Owner', 'Viewer'; did you mean "
	       "'Owner'?", "role", 2, 9);
	assert_int_equal(check(fx, "{\"role\": \"Boss\"}"), -1);
	expect_only(fx, "'Boss' is not one of 'Owner', 'Viewer'", "role");
	assert_int_equal(check(fx, "{\"role\": 3}"), -1);
	expect_only(fx, "3 is not one of 'Owner', 'Viewer'", "role");
	assert_int_equal(check(fx, "{\"role\": \"Viewer\"}"), 0);
}

static void test_schema_enum_other_values(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"enum\": [1, \"a\", null, {\"k\": [1, 2]}]}");
	assert_int_equal(check(fx, "2"), -1);
	expect_only(fx, "value is not one of the allowed values", "");
	assert_int_equal(check(fx, "1.0"), 0);
	assert_int_equal(check(fx, "{\"k\": [1.0, 2]}"), 0);
	assert_int_equal(check(fx, "{\"k\": [2, 1]}"), -1);
}

static void test_schema_const(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"version\": {\"const\": 1}}}");
	load(fx, "{\"version\": 2}");
	mark(fx, "version", NULL, 1, 10);
	assert_int_equal(recheck(fx), -1);
	expect(fx, 0, "expected 1, got 2", "version", 1, 10);
	assert_int_equal(check(fx, "{\"version\": 1.0}"), 0);
	compile(fx, "{\"const\": \"source\"}");
	assert_int_equal(check(fx, "\"sauce\""), -1);
	expect_only(fx, "expected \"source\", got \"sauce\"", "");
	compile(fx, "{\"const\": {\"a\": 1, \"b\": [true, null]}}");
	assert_int_equal(check(fx, "{\"b\": [true, null], \"a\": 1.0}"), 0);
	assert_int_equal(check(fx, "0.5"), -1);
	expect_only(fx, "expected {\"a\":1,\"b\":[true,null]}, got 0.5", "");
}

static void test_schema_pattern(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"name\": {\"pattern\": "
		"\"^[a-z]+$\"}, \"vendor\": {\"pattern\": \"^[a-z]+$\", "
		"\"x-hint\": \"vendor ids are lower case letters\"}}}");
	load(fx, "{\"name\": \"bad name\", \"vendor\": \"Slack\"}");
	mark(fx, "name", NULL, 2, 7);
	mark(fx, "vendor", NULL, 3, 9);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 2);
	expect(fx, 0, "'bad name' does not match the pattern '^[a-z]+$'",
	       "name", 2, 7);
	expect(fx, 1, "'Slack' is not valid: vendor ids are lower case "
	       "letters", "vendor", 3, 9);
	/* Not strings: pattern does not apply. */
	assert_int_equal(check(fx, "{\"name\": 5}"), 0);
}

/* One pattern against one text. */
static int matches(struct fx *fx, const char *pattern_json, const char *text)
{
	char schema[256], inst[256];

	snprintf(schema, sizeof(schema), "{\"pattern\": \"%s\"}",
		 pattern_json);
	snprintf(inst, sizeof(inst), "\"%s\"", text);
	compile(fx, schema);
	return !check(fx, inst);
}

static void test_schema_pattern_translation(void **state)
{
	struct fx *fx = *state;

	/* Unanchored search. */
	assert_true(matches(fx, "b+", "abbc"));
	assert_false(matches(fx, "^b+", "abbc"));
	/* Class escapes, also inside brackets. */
	assert_true(matches(fx, "^\\\\d{3}-\\\\w+$", "123-ab_9"));
	assert_false(matches(fx, "^\\\\d{3}$", "12a"));
	assert_true(matches(fx, "^\\\\D\\\\W\\\\S$", "a-b"));
	assert_false(matches(fx, "\\\\s", "nospace"));
	assert_true(matches(fx, "^[^\\\\s].*[^\\\\s]$|^[^\\\\s]$", "a b"));
	assert_false(matches(fx, "^[^\\\\s].*[^\\\\s]$|^[^\\\\s]$", " ab"));
	assert_false(matches(fx, "^[^\\\\s].*[^\\\\s]$|^[^\\\\s]$", "ab\\t"));
	assert_true(matches(fx, "^[\\\\d_]+$", "1_2"));
	assert_true(matches(fx, "^[\\\\S]$", "x"));
	assert_false(matches(fx, "^[\\\\S]$", " "));
	/* Escaped characters, in and out of brackets. */
	assert_true(matches(fx, "^a\\\\.b$", "a.b"));
	assert_false(matches(fx, "^a\\\\.b$", "axb"));
	assert_true(matches(fx, "^\\\\(x\\\\)\\\\/\\\\-$", "(x)/-"));
	assert_true(matches(fx, "^[\\\\]\\\\-^]+$", "]-^"));
	assert_false(matches(fx, "^[\\\\]\\\\-^]+$", "a"));
	assert_true(matches(fx, "^[\\\\^]$", "^"));
	assert_true(matches(fx, "^[a-z0-9_.-]*$", "a.b-c_1"));
	assert_true(matches(fx, "^\\\\x41\\\\u0042$", "AB"));
	assert_true(matches(fx, "^\\\\u00e9+$", "\\u00e9\\u00e9"));
	/* '.' stops at line ends; (?:) groups; lazy quantifiers; a '{'. */
	assert_false(matches(fx, "^a.b$", "a\\nb"));
	assert_true(matches(fx, "^(?:ab)+$", "abab"));
	assert_true(matches(fx, "^a+?b*?$", "aab"));
	assert_true(matches(fx, "^a{x}$", "a{x}"));
	assert_true(matches(fx, "^a{2}$", "aa"));
	/* Characters, not bytes, whatever can match a non-ASCII one. */
	assert_true(matches(fx, "^.$", "\\u00e9"));
	assert_true(matches(fx, "^.$", "\\ud83d\\ude00"));
	assert_false(matches(fx, "^.$", "ab"));
	assert_true(matches(fx, "^[^a]\\\\S\\\\D\\\\W$",
			    "\\u00e9\\u20ac\\u00e9\\u00e9"));
	assert_false(matches(fx, "^[^a]{2}$", "\\u00e9"));
	assert_true(matches(fx, "^[^\\\\s]$", "\\u00e9"));
	assert_true(matches(fx, "^a[^]b$", "a\\u00e9b"));
	assert_true(matches(fx, "^a[^]b$", "a\\nb"));
	assert_false(matches(fx, "^a[^]b$", "ab"));
}

static void test_schema_pattern_refused(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(refuse(fx, "{\"pattern\": \"\\\\bword\"}"),
			    "invalid schema at '#/pattern': cannot use the "
			    "pattern '\\bword': '\\b' (word boundary) is not "
			    "supported");
	assert_string_equal(refuse(fx, "{\"properties\": {\"a\": "
				   "{\"pattern\": \"(?=x)\"}}}"),
			    "invalid schema at '#/properties/a/pattern': "
			    "cannot use the pattern '(?=x)': look-around and "
			    "named groups are not supported");
	assert_string_equal(refuse(fx, "{\"pattern\": \"[a\\\\Sb]\"}"),
			    "invalid schema at '#/pattern': cannot use the "
			    "pattern '[a\\Sb]': '\\S' inside [...] with other "
			    "members is not supported");
	assert_string_equal(refuse(fx, "{\"pattern\": \"a[]\"}"),
			    "invalid schema at '#/pattern': cannot use the "
			    "pattern 'a[]': the empty class '[]' is not "
			    "supported");
	assert_non_null(strstr(refuse(fx, "{\"pattern\": \"(\"}"),
			       "invalid schema at '#/pattern': cannot "
			       "compile the pattern '(': "));
	assert_non_null(strstr(refuse(fx, "{\"patternProperties\": "
				      "{\"a{2,1}\": {}}}"),
			       "invalid schema at "
			       "'#/patternProperties/a{2,1}': "
			       "cannot compile the pattern 'a{2,1}': "));
	assert_string_equal(refuse(fx, "{\"pattern\": \"[z-a]\"}"),
			    "invalid schema at '#/pattern': cannot use the "
			    "pattern '[z-a]': the range 'z-a' is out of "
			    "order");
}

static void test_schema_lengths_count_characters(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"a\": {\"minLength\": 1}, \"b\": "
		"{\"maxLength\": 2}, \"c\": {\"minLength\": 2}, \"d\": "
		"{\"maxLength\": 1}}}");
	load(fx, "{\"a\": \"\", \"b\": \"\\u00e9\\u00e9\\u00e9\", \"c\": "
	     "\"x\", \"d\": \"xy\"}");
	mark(fx, "a", NULL, 1, 4);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 4);
	expect(fx, 0, "must be at least 1 character long", "a", 1, 4);
	expect(fx, 1, "must be at most 2 characters long", "b", 0, 0);
	expect(fx, 2, "must be at least 2 characters long", "c", 0, 0);
	expect(fx, 3, "must be at most 1 character long", "d", 0, 0);
	/* Two characters in four bytes. */
	assert_int_equal(check(fx, "{\"b\": \"\\u00e9\\u00e9\"}"), 0);
	assert_int_equal(check(fx, "{\"b\": \"\\ud83d\\ude00\\u00e9\"}"), 0);
}

static void test_schema_item_counts(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"a\": {\"minItems\": 1}, \"b\": "
		"{\"maxItems\": 2}, \"c\": {\"minItems\": 2}, \"d\": "
		"{\"maxItems\": 1}, \"e\": {\"minProperties\": 1}, \"f\": "
		"{\"maxProperties\": 1}}}");
	load(fx, "{\"a\": [], \"b\": [1, 2, 3], \"c\": [1], \"d\": [1, 2], "
	     "\"e\": {}, \"f\": {\"x\": 1, \"y\": 2}}");
	mark(fx, "a", NULL, 1, 7);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 6);
	expect(fx, 0, "must have at least 1 item", "a", 1, 7);
	expect(fx, 1, "must have at most 2 items", "b", 0, 0);
	expect(fx, 2, "must have at least 2 items", "c", 0, 0);
	expect(fx, 3, "must have at most 1 item", "d", 0, 0);
	expect(fx, 4, "must have at least 1 key", "e", 0, 0);
	expect(fx, 5, "must have at most 1 key", "f", 0, 0);
}

static void test_schema_unique_items(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"tags\": {\"uniqueItems\": true}}}");
	load(fx, "{\"tags\": [\"a\", \"b\", \"a\"]}");
	mark(fx, "tags", NULL, 5, 11);
	mark(fx, "tags/2", NULL, 5, 20);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "items 0 and 2 are equal", "tags", 5, 11);
	/* 1 and 1.0 are equal; key order does not matter. */
	assert_int_equal(check(fx, "{\"tags\": [1, 1.0]}"), -1);
	expect_only(fx, "items 0 and 1 are equal", "tags");
	assert_int_equal(check(fx, "{\"tags\": [{\"a\": 1, \"b\": [2]}, "
			       "{\"b\": [2.0], \"a\": 1}]}"), -1);
	assert_int_equal(check(fx, "{\"tags\": [1, true, \"1\", [1], "
			       "{\"1\": 1}, null, 0, false]}"), 0);
	assert_int_equal(check(fx, "{\"tags\": [[1, 2], [2, 1]]}"), 0);
}

/* RFC 5321: local part 64 octets at most, the address 254. */
static void email_lengths(struct fx *fx)
{
	struct buf in = BUF_INIT;
	size_t i;

	for (i = 63; i <= 66; i++) {
		buf_reset(&in);
		buf_addstr(&in, "{\"email\": \"");
		buf_addchars(&in, 'l', i);
		buf_addstr(&in, "@x.example\"}");
		if (!check(fx, in.s) != (i <= 64))
			fail_msg("a local part of %zu octets: wrong verdict",
				 i);
	}
	for (i = 253; i <= 256; i++) {
		/* a@ then labels of 50 and the rest, ending in ".example" */
		size_t domain = i - 2, rest = domain - 8;

		buf_reset(&in);
		buf_addstr(&in, "{\"email\": \"a@");
		while (rest > 51) {
			buf_addchars(&in, 'd', 50);
			buf_addch(&in, '.');
			rest -= 51;
		}
		buf_addchars(&in, 'e', rest);
		buf_addstr(&in, ".example\"}");
		if (!check(fx, in.s) != (i <= 254))
			fail_msg("an address of %zu octets: wrong verdict", i);
	}
	buf_release(&in);
}

static void test_schema_format_email(void **state)
{
	struct fx *fx = *state;
	static const char *const good[] = {
		"alice@acme.example", "a.b+tag@x-y.example",
		"o'hara@example.com", "joe@[192.0.2.1]",
	};
	static const char *const bad[] = {
		"bob", "@acme.example", "bob@", "a..b@x.example",
		".a@x.example", "a.@x.example", "a@@x.example",
		"a@b@x.example", "a@-x.example", "a@x-.example",
		"a@x..example", "a@x.example.", "a b@x.example",
		"\\u00e9@x.example", "a@x_y.example",
		/* RFC 5321 wants a domain; a bare host name is not one */
		"x@localhost", "a@b",
	};
	char in[128], want[160];
	size_t i;

	compile(fx, "{\"properties\": {\"email\": {\"format\": \"email\"}}}");
	load(fx, "{\"email\": \"bob\"}");
	mark(fx, "email", NULL, 3, 12);
	assert_int_equal(recheck(fx), -1);
	expect(fx, 0, "'bob' is not an email address", "email", 3, 12);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(in, sizeof(in), "{\"email\": \"%s\"}", good[i]);
		if (check(fx, in))
			fail_msg("'%s' was refused", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(in, sizeof(in), "{\"email\": \"%s\"}", bad[i]);
		if (!check(fx, in))
			fail_msg("'%s' was accepted", bad[i]);
	}
	email_lengths(fx);
	snprintf(want, sizeof(want), "'a@x.example.' is not an email "
		 "address");
	assert_int_equal(check(fx, "{\"email\": \"a@x.example.\"}"), -1);
	expect_only(fx, want, "email");
	/* Other formats are annotations only. */
	compile(fx, "{\"format\": \"date-time\"}");
	assert_int_equal(check(fx, "\"yesterday\""), 0);
}

static void test_schema_number_limits(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"a\": {\"minimum\": 1}, \"b\": "
		"{\"exclusiveMinimum\": 0}, \"c\": {\"maximum\": 10}, \"d\": "
		"{\"exclusiveMaximum\": 2.5}, \"e\": {\"multipleOf\": 2}}}");
	load(fx, "{\"a\": 0, \"b\": 0, \"c\": 10.5, \"d\": 2.5, \"e\": 3}");
	mark(fx, "a", NULL, 1, 5);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 5);
	expect(fx, 0, "must be at least 1", "a", 1, 5);
	expect(fx, 1, "must be greater than 0", "b", 0, 0);
	expect(fx, 2, "must be at most 10", "c", 0, 0);
	expect(fx, 3, "must be less than 2.5", "d", 0, 0);
	expect(fx, 4, "must be a multiple of 2", "e", 0, 0);
	assert_int_equal(check(fx, "{\"a\": 1, \"b\": 0.1, \"c\": 10, "
			       "\"d\": 2.4, \"e\": 4.0}"), 0);
}

static void test_schema_multiple_of_is_tolerant(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"multipleOf\": 0.01}");
	assert_int_equal(check(fx, "0.07"), 0);
	assert_int_equal(check(fx, "19.99"), 0);
	assert_int_equal(check(fx, "0.075"), -1);
	expect_only(fx, "must be a multiple of 0.01", "");
	compile(fx, "{\"multipleOf\": 0.1}");
	assert_int_equal(check(fx, "0.3"), 0);
	/* Integers divide exactly, past 2^53 where doubles would not. */
	compile(fx, "{\"multipleOf\": 2}");
	assert_int_equal(check(fx, "9007199254740993"), -1);
	assert_int_equal(check(fx, "-8"), 0);
	compile(fx, "{\"multipleOf\": 1e-300}");
	assert_int_equal(check(fx, "1e300"), -1);
}

static void test_schema_not(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"a\": {\"not\": {\"type\": "
		"\"string\"}}}}");
	load(fx, "{\"a\": \"x\"}");
	mark(fx, "a", NULL, 2, 4);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "must not match the forbidden form", "a", 2, 4);
	assert_int_equal(check(fx, "{\"a\": 1}"), 0);
}

static void test_schema_any_of_names_every_type(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"definitions\": {\"obj\": {\"type\": \"object\", "
		"\"required\": [\"a\"]}}, \"properties\": {\"x\": {\"anyOf\": "
		"[{\"type\": \"string\", \"minLength\": 1}, "
		"{\"$ref\": \"#/definitions/obj\"}]}}}");
	load(fx, "{\"x\": 5}");
	mark(fx, "x", NULL, 6, 4);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "expected a string or a mapping, got a number", "x", 6,
	       4);
	assert_int_equal(check(fx, "{\"x\": \"s\"}"), 0);
	assert_int_equal(check(fx, "{\"x\": {\"a\": 1}}"), 0);
	compile(fx, "{\"oneOf\": [{\"type\": [\"string\", \"null\"]}, "
		"{\"type\": \"boolean\"}, {\"type\": \"string\"}]}");
	assert_int_equal(check(fx, "[]"), -1);
	expect_only(fx, "expected a string, null or a boolean, got a list",
		    "");
}

static void test_schema_any_of_reports_furthest_branch(void **state)
{
	struct fx *fx = *state;

	/* The string branch failed on its type: the object branches went on. */
	compile(fx, "{\"anyOf\": [{\"type\": \"string\"}, {\"type\": "
		"\"object\", \"required\": [\"a\", \"b\"]}, {\"type\": "
		"\"object\", \"required\": [\"c\"]}]}");
	load(fx, "{}");
	mark(fx, "", NULL, 1, 1);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "missing required key 'c'", "", 1, 1);
	/* A tie goes to the first branch. */
	compile(fx, "{\"anyOf\": [{\"required\": [\"a\"]}, "
		"{\"required\": [\"b\"]}]}");
	assert_int_equal(check(fx, "{}"), -1);
	expect_only(fx, "missing required key 'a'", "");
	/* A branch's nested errors keep their own paths and marks. */
	compile(fx, "{\"anyOf\": [{\"properties\": {\"n\": {\"type\": "
		"\"string\"}, \"m\": {\"type\": \"string\"}}}, "
		"{\"properties\": {\"n\": {\"type\": \"integer\"}}}]}");
	load(fx, "{\"n\": 1.5, \"m\": 2}");
	mark(fx, "n", NULL, 2, 4);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "expected an integer, got a number", "n", 2, 4);
}

static void test_schema_one_of(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"oneOf\": [{\"type\": \"number\"}, {\"type\": "
		"\"integer\"}]}");
	load(fx, "1");
	mark(fx, "", NULL, 1, 1);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "matches more than one of the allowed forms", "", 1, 1);
	assert_int_equal(check(fx, "1.5"), 0);
	assert_int_equal(check(fx, "\"x\""), -1);
	expect_only(fx, "expected a number or an integer, got the string "
		    "'x'", "");
	/* The manifest's workflow origin: file or from, not both. */
	compile(fx, "{\"oneOf\": [{\"required\": [\"file\"]}, {\"required\": "
		"[\"from\"]}]}");
	assert_int_equal(check(fx, "{\"file\": \"f\", \"from\": \"s\"}"), -1);
	expect_only(fx, "matches more than one of the allowed forms", "");
	assert_int_equal(check(fx, "{}"), -1);
	expect_only(fx, "missing required key 'file'", "");
}

static void test_schema_if_then_else(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"if\": {\"properties\": {\"platform\": {\"const\": "
		"\"docker\"}}}, \"then\": {\"properties\": "
		"{\"allow_cluster_management\": false}}, \"else\": "
		"{\"required\": [\"namespace\"]}}");
	load(fx, "{\"platform\": \"docker\", \"allow_cluster_management\": "
	     "true}");
	mark(fx, "", "allow_cluster_management", 3, 3);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "the key 'allow_cluster_management' is not allowed "
	       "here", "allow_cluster_management", 3, 3);
	assert_int_equal(check(fx, "{\"platform\": \"kubernetes\"}"), -1);
	expect_only(fx, "missing required key 'namespace'", "");
	assert_int_equal(check(fx, "{\"platform\": \"docker\"}"), 0);
}

static void test_schema_contains_and_items(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"contains\": {\"const\": \"admin\"}}");
	assert_int_equal(check(fx, "[\"a\", \"b\"]"), -1);
	expect_only(fx, "must contain at least one matching item", "");
	assert_int_equal(check(fx, "[\"a\", \"admin\"]"), 0);
	compile(fx, "{\"items\": [{\"type\": \"string\"}, {\"type\": "
		"\"integer\"}], \"additionalItems\": false}");
	assert_int_equal(check(fx, "[\"a\", 1, 2]"), -1);
	expect_only(fx, "must have at most 2 items", "");
	assert_int_equal(check(fx, "[\"a\", \"b\"]"), -1);
	expect_only(fx, "expected an integer, got the string 'b'", "[1]");
	compile(fx, "{\"properties\": {\"l\": {\"items\": {\"type\": "
		"\"string\"}}}}");
	load(fx, "{\"l\": [\"a\", [], \"c\"]}");
	mark(fx, "l/1", NULL, 4, 5);
	assert_int_equal(recheck(fx), -1);
	expect(fx, 0, "expected a string, got a list", "l[1]", 4, 5);
}

static void test_schema_dependencies(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"dependencies\": {\"credentials_out\": [\"create\"], "
		"\"copy_sso\": {\"properties\": {\"create\": {\"const\": "
		"true}}, \"required\": [\"create\"]}}}");
	load(fx, "{\"credentials_out\": \"c.json\"}");
	mark(fx, "", NULL, 2, 3);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "missing required key 'create' (needed when "
	       "'credentials_out' is present)", "", 2, 3);
	assert_int_equal(check(fx, "{\"copy_sso\": true, \"create\": false}"),
			 -1);
	expect_only(fx, "expected true, got false", "create");
	assert_int_equal(check(fx, "{\"create\": false}"), 0);
}

static void test_schema_property_names(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"properties\": {\"vars\": {\"propertyNames\": "
		"{\"pattern\": \"^[A-Za-z_][A-Za-z0-9_]*$\", \"x-hint\": "
		"\"variable names are letters, digits and _\"}}}}");
	load(fx, "{\"vars\": {\"ok\": 1, \"1x\": 2}}");
	mark(fx, "vars", "1x", 4, 3);
	mark(fx, "vars/1x", NULL, 4, 7);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "'1x' is not valid: variable names are letters, "
	       "digits and _", "vars[\"1x\"]", 4, 3);
	compile(fx, "{\"propertyNames\": false}");
	assert_int_equal(check(fx, "{\"a\": 1}"), -1);
	expect_only(fx, "the key 'a' is not allowed here", "a");
	assert_int_equal(check(fx, "{}"), 0);
}

static void test_schema_boolean_schemas(void **state)
{
	struct fx *fx = *state;

	compile(fx, "true");
	assert_int_equal(check(fx, "{\"anything\": [1]}"), 0);
	compile(fx, "false");
	load(fx, "3");
	mark(fx, "", NULL, 1, 1);
	assert_int_equal(recheck(fx), -1);
	expect(fx, 0, "no value is allowed here", "", 1, 1);
	compile(fx, "{\"properties\": {\"a\": false}, \"items\": false}");
	assert_int_equal(check(fx, "{\"a\": 1, \"b\": 2}"), -1);
	expect_only(fx, "the key 'a' is not allowed here", "a");
	assert_int_equal(check(fx, "[1]"), -1);
	expect_only(fx, "no value is allowed here", "[0]");
}

static void test_schema_all_of_collects_every_error(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"allOf\": [{\"required\": [\"a\"]}, {\"required\": "
		"[\"b\"]}, {\"minProperties\": 3}]}");
	assert_int_equal(check(fx, "{\"c\": 1}"), -1);
	assert_int_equal(fx->diags.nr, 3);
	expect(fx, 0, "missing required key 'a'", "", 0, 0);
	expect(fx, 1, "missing required key 'b'", "", 0, 0);
	expect(fx, 2, "must have at least 3 keys", "", 0, 0);
}

static void test_schema_ref(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"definitions\": {\"name\": {\"type\": \"string\"}, "
		"\"a/b\": {\"minimum\": 1}, \"t~n\": {\"maximum\": 1}, "
		"\"p%\": {\"const\": 0}}, \"properties\": {\"n\": {\"$ref\": "
		"\"#/definitions/name\", \"type\": \"integer\"}, \"s\": "
		"{\"$ref\": \"#/definitions/a~1b\"}, \"t\": {\"$ref\": "
		"\"#/definitions/t~0n\"}, \"p\": {\"$ref\": "
		"\"#/definitions/p%25\"}, \"r\": {\"$ref\": \"#\"}, \"i\": "
		"{\"$ref\": \"#/properties/n\"}}}");
	/* draft-07: "type": "integer" beside the $ref is ignored. */
	assert_int_equal(check(fx, "{\"n\": \"x\", \"s\": 1, \"t\": 1, "
			       "\"p\": 0, \"r\": {\"n\": \"y\"}, \"i\": "
			       "\"z\"}"), 0);
	assert_int_equal(check(fx, "{\"s\": 0}"), -1);
	expect_only(fx, "must be at least 1", "s");
	assert_int_equal(check(fx, "{\"t\": 2}"), -1);
	expect_only(fx, "must be at most 1", "t");
	assert_int_equal(check(fx, "{\"p\": 1}"), -1);
	expect_only(fx, "expected 0, got 1", "p");
	assert_int_equal(check(fx, "{\"r\": {\"r\": {\"n\": 5}}}"), -1);
	expect_only(fx, "expected a string, got a number", "r.r.n");
	compile(fx, "{\"items\": [{\"type\": \"integer\"}, {\"$ref\": "
		"\"#/items/0\"}]}");
	assert_int_equal(check(fx, "[1, \"x\"]"), -1);
	expect_only(fx, "expected an integer, got the string 'x'", "[1]");
}

static void test_schema_ref_missing_definition(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(refuse(fx, "{\"definitions\": {\"user\": {}}, "
				   "\"properties\": {\"a\": {\"$ref\": "
				   "\"#/definitions/usr\"}}}"),
			    "invalid schema at '#/properties/a/$ref': cannot "
			    "resolve $ref '#/definitions/usr': there is no "
			    "'usr' at that place");
	assert_string_equal(refuse(fx, "{\"$ref\": \"#/items/1\", \"items\": "
				   "[true]}"),
			    "invalid schema at '#/$ref': cannot resolve $ref "
			    "'#/items/1': there is no '1' at that place");
	assert_string_equal(refuse(fx, "{\"$ref\": \"http://json-schema.org"
				   "/draft-07/schema#\"}"),
			    "invalid schema at '#/$ref': cannot resolve $ref "
			    "'http://json-schema.org/draft-07/schema#': only "
			    "references inside the schema ('#/...') are "
			    "supported, not remote or $id-based ones");
	assert_string_equal(refuse(fx, "{\"$ref\": \"#foo\"}"),
			    "invalid schema at '#/$ref': cannot resolve $ref "
			    "'#foo': plain-name fragments ($id anchors) are "
			    "not supported");
	assert_string_equal(refuse(fx, "{\"$ref\": 5}"),
			    "invalid schema at '#/$ref': a $ref must be a "
			    "string");
	/* Errors inside a $ref's target are reported where it points. */
	assert_string_equal(refuse(fx, "{\"x-defs\": {\"a\": {\"type\": "
				   "\"strnig\"}}, \"$ref\": \"#/x-defs/a\"}"),
			    "invalid schema at '#/x-defs/a/type': unknown "
			    "type 'strnig'");
}

static void test_schema_refuses_bad_schemas(void **state)
{
	struct fx *fx = *state;

	assert_non_null(strstr(refuse(fx, "{\"type\": "),
			       "cannot parse the schema: "));
	assert_string_equal(refuse(fx, "{\"properties\": {\"a\": 5}}"),
			    "invalid schema at '#/properties/a': a schema "
			    "must be an object or a boolean");
	assert_string_equal(refuse(fx, "{\"minLength\": -1}"),
			    "invalid schema at '#/minLength': expected a "
			    "non-negative integer");
	assert_string_equal(refuse(fx, "{\"multipleOf\": 0}"),
			    "invalid schema at '#/multipleOf': expected a "
			    "number greater than 0");
	assert_string_equal(refuse(fx, "{\"required\": [1]}"),
			    "invalid schema at '#/required': expected a list "
			    "of key names");
	assert_string_equal(refuse(fx, "{\"anyOf\": []}"),
			    "invalid schema at '#/anyOf': expected a "
			    "non-empty list of schemas");
	assert_string_equal(refuse(fx, "{\"type\": [\"string\", \"lsit\"]}"),
			    "invalid schema at '#/type': unknown type 'lsit'");
	assert_string_equal(refuse(fx, "{\"properties\": {\"a/b\": "
				   "{\"items\": [{}, 1]}}}"),
			    "invalid schema at '#/properties/a~1b/items/1': "
			    "a schema must be an object or a boolean");
	/* Keywords we do not know are ignored, as draft-07 says. */
	compile(fx, "{\"x-whatever\": 5, \"title\": [1], "
		"\"format\": \"ipv4\"}");
}

static void test_schema_new_json_takes_its_own_reference(void **state)
{
	struct fx *fx = *state;
	json_t *root = json_pack("{s:s}", "type", "string");
	struct schema *s = NULL;

	assert_non_null(root);
	assert_int_equal(schema_new_json(&s, root, &fx->err), 0);
	json_decref(root);
	load(fx, "1");
	assert_int_equal(schema_validate(s, fx->doc.root, NULL, NULL), -1);
	schema_free(s);
	schema_free(NULL);
}

static void test_schema_regex_cache(void **state)
{
	struct fx *fx = *state;
	size_t comp = regcomp_calls, freed = regfree_calls, i;

	/* Two distinct patterns, used five times. */
	compile(fx, "{\"definitions\": {\"n\": {\"pattern\": \"^a+$\"}}, "
		"\"properties\": {\"x\": {\"pattern\": \"^a+$\"}, \"y\": "
		"{\"pattern\": \"^b\"}, \"z\": {\"$ref\": "
		"\"#/definitions/n\"}}, "
		"\"patternProperties\": {\"^a+$\": {}, \"^b\": {}}}");
	assert_int_equal(regcomp_calls - comp, 2);
	for (i = 0; i < 3; i++) {
		assert_int_equal(check(fx, "{\"x\": \"aa\", \"y\": \"bc\", "
				       "\"z\": \"a\"}"), 0);
		assert_int_equal(check(fx, "{\"x\": \"ab\"}"), -1);
	}
	assert_int_equal(regcomp_calls - comp, 2);
	schema_free(fx->schema);
	fx->schema = NULL;
	assert_int_equal(regfree_calls - freed, 2);
	/* A schema that fails to compile frees what it compiled. */
	freed = regfree_calls;
	refuse(fx, "{\"pattern\": \"^a\", \"properties\": {\"b\": "
	       "{\"pattern\": \"(\"}}}");
	assert_int_equal(regfree_calls - freed, 1);
}

static void test_schema_ref_recursion_guard(void **state)
{
	struct fx *fx = *state;
	struct buf deep = BUF_INIT;
	int i;

	/* A $ref that only leads to $refs is refused at once. */
	assert_string_equal(refuse(fx, "{\"$ref\": \"#\"}"),
			    "invalid schema: the $ref '#' leads back to "
			    "itself");
	assert_non_null(strstr(refuse(fx, "{\"definitions\": {\"a\": "
				      "{\"$ref\": \"#/definitions/b\"}, \"b\": "
				      "{\"$ref\": \"#/definitions/a\"}}}"),
			       "leads back to itself"));
	/* Through anyOf it recurses at run time: the guard stops it. */
	compile(fx, "{\"anyOf\": [{\"$ref\": \"#\"}]}");
	assert_int_equal(check(fx, "1"), -1);
	expect_only(fx, "cannot check this value: the schema nests $ref "
		    "more than 64 deep", "");
	load(fx, "1");
	assert_int_equal(schema_validate(fx->schema, fx->doc.root, NULL,
					 NULL), -1);
	/*
	 * Branching recursion would take 3^64 steps: the first trip ends
	 * the run, and only the guard speaks, where it tripped.
	 */
	compile(fx, "{\"properties\": {\"a\": {\"anyOf\": [{\"$ref\": "
		"\"#/properties/a\"}, {\"not\": {\"$ref\": "
		"\"#/properties/a\"}}, {\"allOf\": [{\"$ref\": "
		"\"#/properties/a\"}]}]}}, \"required\": [\"b\"]}");
	load(fx, "{\"a\": 1}");
	mark(fx, "a", NULL, 2, 4);
	assert_int_equal(recheck(fx), -1);
	assert_int_equal(fx->diags.nr, 1);
	expect(fx, 0, "cannot check this value: the schema nests $ref more "
	       "than 64 deep", "a", 2, 4);
	/* A recursive schema over a deep value: fine up to the guard. */
	compile(fx, "{\"properties\": {\"c\": {\"$ref\": \"#\"}}, "
		"\"required\": [\"v\"]}");
	for (i = 0; i < 70; i++)
		buf_addstr(&deep, "{\"v\": 1, \"c\": ");
	buf_addstr(&deep, "{\"v\": 2}");
	for (i = 0; i < 70; i++)
		buf_addch(&deep, '}');
	assert_int_equal(check(fx, deep.s), -1);
	assert_int_equal(fx->diags.nr, 1);
	assert_string_equal(fx->diags.items[0].message, "cannot check this "
			    "value: the schema nests $ref more than 64 deep");
	buf_setlen(&deep, 0);
	for (i = 0; i < 60; i++)
		buf_addstr(&deep, "{\"v\": 1, \"c\": ");
	buf_addstr(&deep, "{\"v\": 2}");
	for (i = 0; i < 60; i++)
		buf_addch(&deep, '}');
	assert_int_equal(check(fx, deep.s), 0);
	buf_release(&deep);
}

static void test_schema_null_diags_still_fails(void **state)
{
	struct fx *fx = *state;

	compile(fx, "{\"type\": \"object\", \"required\": [\"a\"], "
		"\"anyOf\": [{\"required\": [\"b\"]}, {\"required\": "
		"[\"c\"]}], \"not\": {\"required\": [\"d\"]}}");
	load(fx, "{\"a\": 1, \"b\": 2}");
	assert_int_equal(schema_validate(fx->schema, fx->doc.root, NULL,
					 NULL), 0);
	load(fx, "{\"a\": 1}");
	assert_int_equal(schema_validate(fx->schema, fx->doc.root, NULL,
					 NULL), -1);
	load(fx, "{\"a\": 1, \"c\": 1, \"d\": 1}");
	assert_int_equal(schema_validate(fx->schema, fx->doc.root, &fx->doc,
					 NULL), -1);
	load(fx, "[]");
	assert_int_equal(schema_validate(fx->schema, fx->doc.root, NULL,
					 NULL), -1);
}

static void test_schema_respects_the_error_cap(void **state)
{
	struct fx *fx = *state;

	diag_list_release(&fx->diags);
	compile(fx, "{\"items\": {\"type\": \"string\"}}");
	load(fx, "[1, 2, 3, 4, 5]");
	fx->diags.max_errors = 2;
	assert_int_equal(schema_validate(fx->schema, fx->doc.root, &fx->doc,
					 &fx->diags), -1);
	assert_int_equal(fx->diags.nr, 2);
	assert_int_equal(fx->diags.errors, 5);
	assert_int_equal(fx->diags.dropped, 3);
	fx->diags.max_errors = 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_schema_type_message),
		T(test_schema_marks_of_shared_nodes),
		T(test_schema_type_quotes_strings),
		T(test_schema_type_boolean_yaml_hint),
		T(test_schema_type_list),
		T(test_schema_type_integer_accepts_whole_reals),
		T(test_schema_required),
		T(test_schema_unknown_key_suggestion),
		T(test_schema_misspelt_required_key_reported_once),
		T(test_schema_unknown_key_falls_back_to_value_mark),
		T(test_schema_additional_properties_schema),
		T(test_schema_enum_strings),
		T(test_schema_enum_other_values),
		T(test_schema_const),
		T(test_schema_pattern),
		T(test_schema_pattern_translation),
		T(test_schema_pattern_refused),
		T(test_schema_lengths_count_characters),
		T(test_schema_item_counts),
		T(test_schema_unique_items),
		T(test_schema_format_email),
		T(test_schema_number_limits),
		T(test_schema_multiple_of_is_tolerant),
		T(test_schema_not),
		T(test_schema_any_of_names_every_type),
		T(test_schema_any_of_reports_furthest_branch),
		T(test_schema_one_of),
		T(test_schema_if_then_else),
		T(test_schema_contains_and_items),
		T(test_schema_dependencies),
		T(test_schema_property_names),
		T(test_schema_boolean_schemas),
		T(test_schema_all_of_collects_every_error),
		T(test_schema_ref),
		T(test_schema_ref_missing_definition),
		T(test_schema_refuses_bad_schemas),
		T(test_schema_new_json_takes_its_own_reference),
		T(test_schema_regex_cache),
		T(test_schema_ref_recursion_guard),
		T(test_schema_null_diags_still_fails),
		T(test_schema_respects_the_error_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
