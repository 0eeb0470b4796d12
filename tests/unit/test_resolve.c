/* Resolving a manifest: templates, variables, environment and secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
#include "torq/resolve.h"
#include "torq/secretcmd.h"
#include "torq/banned.h"

struct fixture {
	struct testdir d;
	struct doc doc;
	struct diag_list diags;
	struct varset vars;
	struct buf tmp;		/* scratch for messages */
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	testdir_make(&f->d, "torq-resolve");
	doc_init(&f->doc);
	diag_list_init(&f->diags, 0);
	varset_init(&f->vars);
	buf_init(&f->tmp);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testdir_remove(&f->d);
	varset_release(&f->vars);
	diag_list_release(&f->diags);
	doc_release(&f->doc);
	buf_release(&f->tmp);
	test_free(f);
	return 0;
}

/* Write dir/name, creating the directories on the way. */
static void put_len(struct fixture *f, const char *name, const char *text,
		    size_t len)
{
	testdir_put(&f->d, name, text, len, 0644);
}

static void put(struct fixture *f, const char *name, const char *text)
{
	put_len(f, name, text, strlen(text));
}

/* "DIR/name", for resolving and for messages that name files. */
static const char *in_dir(struct fixture *f, const char *name)
{
	return testdir_at(&f->d, name);
}

/* Resolve dir/name afresh. */
static int resolve(struct fixture *f, const char *name, unsigned flags)
{
	doc_release(&f->doc);
	diag_list_release(&f->diags);
	return resolve_manifest(&f->doc, in_dir(f, name), &f->vars, flags,
				&f->diags);
}

static json_t *at(struct fixture *f, const char *a, const char *b)
{
	json_t *v = json_object_get(f->doc.root, a);

	return b ? json_object_get(v, b) : v;
}

static const char *str_at(struct fixture *f, const char *a, const char *b)
{
	return json_string_value(at(f, a, b));
}

static void assert_diag(struct fixture *f, size_t i, enum diag_severity sev,
			const char *message, unsigned line, unsigned col,
			const char *path)
{
	const struct diag *d;

	if (i >= f->diags.nr)
		fail_msg("no diagnostic %zu, expected '%s'", i, message);
	d = &f->diags.items[i];
	assert_int_equal(d->severity, sev);
	assert_string_equal(d->message, message);
	if (d->mark.line != line || d->mark.col != col)
		fail_msg("'%s' at %u:%u, expected %u:%u", d->message,
			 d->mark.line, d->mark.col, line, col);
	if (path)
		assert_string_equal(d->path, path);
	else
		assert_null(d->path);
}

static void test_resolve_variables_cli_beats_vars(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "vars: { client: acme, n: 3, on: true }\n"
	    "workspace:\n  name: ${client} SOC\n  note: n=${n} on=${on}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_int_equal(f->diags.nr, 0);
	assert_string_equal(str_at(f, "workspace", "name"), "acme SOC");
	assert_string_equal(str_at(f, "workspace", "note"), "n=3 on=true");

	varset_set(&f->vars, "client", "globex");
	varset_set(&f->vars, "n", "4");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_string_equal(str_at(f, "workspace", "name"), "globex SOC");
	assert_string_equal(str_at(f, "workspace", "note"), "n=4 on=true");
	/* vars: itself is kept as written */
	assert_string_equal(str_at(f, "vars", "client"), "acme");
}

static void test_resolve_vars_are_taken_literally(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "vars: { a: \"${b}\", b: x }\nv: ${a}\nw: <${a}>\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	/* a variable's value is not expanded again */
	assert_string_equal(str_at(f, "v", NULL), "${b}");
	assert_string_equal(str_at(f, "w", NULL), "<${b}>");
	assert_string_equal(str_at(f, "vars", "a"), "${b}");
}

static void test_resolve_several_references_in_one_string(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "vars: { a: x, b: y }\ns: ${a}-${b}/${a}\n"
	    "list:\n  - pre ${a}\n  - ${b} post\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_string_equal(str_at(f, "s", NULL), "x-y/x");
	assert_string_equal(json_string_value(json_array_get(at(f, "list",
			    NULL), 0)), "pre x");
	assert_string_equal(json_string_value(json_array_get(at(f, "list",
			    NULL), 1)), "y post");
}

static void test_resolve_plain_reference_is_typed(void **state)
{
	struct fixture *f = *state;
	json_t *list;

	setenv("TORQ_T_NUM", "42", 1);
	put(f, "m.yaml", "vars: { n: 3, b: true, s: hello }\n"
	    "count: ${n}\nquoted: \"${n}\"\nsingle: '${n}'\nflag: ${b}\n"
	    "text: ${s}\nmixed: ${n}px\ntwice: ${n}${n}\n"
	    "env: ${env:TORQ_T_NUM}\nlist:\n  - ${n}\n  - ${b}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	unsetenv("TORQ_T_NUM");
	assert_true(json_is_integer(at(f, "count", NULL)));
	assert_int_equal(json_integer_value(at(f, "count", NULL)), 3);
	assert_string_equal(str_at(f, "quoted", NULL), "3");
	assert_string_equal(str_at(f, "single", NULL), "3");
	assert_true(json_is_true(at(f, "flag", NULL)));
	assert_string_equal(str_at(f, "text", NULL), "hello");
	assert_string_equal(str_at(f, "mixed", NULL), "3px");
	assert_string_equal(str_at(f, "twice", NULL), "33");
	assert_int_equal(json_integer_value(at(f, "env", NULL)), 42);
	list = at(f, "list", NULL);
	assert_int_equal(json_integer_value(json_array_get(list, 0)), 3);
	assert_true(json_is_true(json_array_get(list, 1)));
	/* the new values keep the places of the references */
	assert_int_equal(doc_mark(&f->doc, at(f, "count", NULL), NULL)->line,
			 2);
	assert_int_equal(doc_mark(&f->doc, at(f, "count", NULL), NULL)->col,
			 8);
	assert_int_equal(doc_value_mark(&f->doc, f->doc.root, "flag", 0)->line,
			 5);
	assert_int_equal(doc_value_mark(&f->doc, list, NULL, 1)->line, 12);
	assert_int_equal(doc_value_mark(&f->doc, list, NULL, 1)->col, 5);
}

/* `!!str` says string, whatever the variable holds. */
static void test_resolve_str_tag_keeps_a_string(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "vars: { n: 3 }\nliteral: !!str 3\nid: !!str ${n}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_string_equal(str_at(f, "literal", NULL), "3");
	if (!json_is_string(at(f, "id", NULL)))
		fail_msg("'id: !!str ${n}' with n=3 did not stay a string");
	assert_string_equal(str_at(f, "id", NULL), "3");
}

/* A number written 0.1 is the text 0.1 in a string, not 0.1000...01. */
static void test_resolve_numbers_in_text_keep_their_text(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "vars: { v: 1.1, r: 0.1 }\n"
	    "name: release-${v}\nratio: \"${r}\"\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_string_equal(str_at(f, "name", NULL), "release-1.1");
	assert_string_equal(str_at(f, "ratio", NULL), "0.1");
}

static void test_resolve_dollar_escape(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "vars: { b: B }\na: x$${y}z\nb: $$\nc: cost $5\n"
	    "d: $${a} ${b}\ne: $${n}\nf: \"$\"\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_int_equal(f->diags.nr, 0);
	assert_string_equal(str_at(f, "a", NULL), "x${y}z");
	assert_string_equal(str_at(f, "b", NULL), "$$");
	assert_string_equal(str_at(f, "c", NULL), "cost $5");
	assert_string_equal(str_at(f, "d", NULL), "${a} B");
	/* an escaped reference is text, never re-read as YAML */
	assert_string_equal(str_at(f, "e", NULL), "${n}");
	assert_string_equal(str_at(f, "f", NULL), "$");
}

static void test_resolve_undefined_variable_suggests(void **state)
{
	struct fixture *f = *state;

	varset_set(&f->vars, "region", "eu");
	put(f, "m.yaml", "vars: { client: acme }\nname: ${cleint}\n"
	    "other: ${nothing_like_it}\nr: x-${regoin}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 3);
	assert_diag(f, 0, DIAG_ERROR, "undefined variable 'cleint'; did you "
		    "mean 'client'?", 2, 7, "name");
	assert_diag(f, 1, DIAG_ERROR, "undefined variable 'nothing_like_it'; "
		    "set it with --var nothing_like_it=VALUE, --var-file or "
		    "vars:", 3, 8, "other");
	/* --var names are candidates too */
	assert_diag(f, 2, DIAG_ERROR, "undefined variable 'regoin'; did you "
		    "mean 'region'?", 4, 4, "r");
	/* what could be resolved is still there */
	assert_non_null(f->doc.root);
}

static void test_resolve_paths_of_diagnostics(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "integrations:\n  - name: s\n    parameters:\n"
	    "      url: ${nope}\n\"a b\": ${nope}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 2);
	assert_string_equal(f->diags.items[0].path,
			    "integrations[0].parameters.url");
	assert_int_equal(f->diags.items[0].mark.line, 4);
	assert_string_equal(f->diags.items[1].path, "[\"a b\"]");
}

static void test_resolve_unterminated_and_unknown_references(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "workspace:\n  name: ${client SOC\n"
	    "bad: ${vault:acme}\nempty: ${}\nfile: ${secret:file:}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 4);
	assert_diag(f, 0, DIAG_ERROR, "unterminated '${' in '${client SOC'; "
		    "write '$${' for a literal '${'", 2, 9, "workspace.name");
	assert_diag(f, 1, DIAG_ERROR, "unknown reference '${vault:acme}'; "
		    "use ${name}, ${env:NAME}, ${secret:env:NAME}, "
		    "${secret:file:PATH} or ${secret:cmd:COMMAND}", 3, 6,
		    "bad");
	assert_diag(f, 2, DIAG_ERROR, "unknown reference '${}'; use ${name}, "
		    "${env:NAME}, ${secret:env:NAME}, ${secret:file:PATH} or "
		    "${secret:cmd:COMMAND}",
		    4, 8, "empty");
	assert_diag(f, 3, DIAG_ERROR, "'${secret:file:}' needs a file name",
		    5, 7, "file");
}

static void test_resolve_environment(void **state)
{
	struct fixture *f = *state;

	setenv("TORQ_T_PLAIN", "plain-value", 1);
	unsetenv("TORQ_T_UNSET");
	put(f, "m.yaml", "a: ${env:TORQ_T_PLAIN}\nb: <${env:TORQ_T_PLAIN}>\n"
	    "c: ${env:TORQ_T_UNSET}\nd: ${env:1X}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_string_equal(str_at(f, "a", NULL), "plain-value");
	assert_string_equal(str_at(f, "b", NULL), "<plain-value>");
	/* the environment is not a secret */
	assert_false(doc_is_secret(&f->doc, at(f, "a", NULL)));
	assert_int_equal(f->diags.errors, 2);
	assert_diag(f, 0, DIAG_ERROR, "environment variable 'TORQ_T_UNSET' is "
		    "not set", 3, 4, "c");
	assert_diag(f, 1, DIAG_ERROR, "invalid environment variable name '1X'",
		    4, 4, "d");
	/* an unset variable is an error even when secrets are optional */
	assert_int_equal(resolve(f, "m.yaml", RESOLVE_SECRETS_OPTIONAL), -1);
	unsetenv("TORQ_T_PLAIN");
	assert_int_equal(f->diags.errors, 2);
	assert_int_equal(f->diags.items[0].severity, DIAG_ERROR);
}

static void test_resolve_secret_from_env(void **state)
{
	struct fixture *f = *state;
	json_t *hook, *pin;
	size_t len = 0;
	char *dump;

	setenv("TORQ_T_SECRET", "s3cr3t", 1);
	setenv("TORQ_T_PIN", "1234", 1);
	put(f, "m.yaml", "vars: { host: x.example }\n"
	    "hook: \"https://${host}/${secret:env:TORQ_T_SECRET}\"\n"
	    "pin: ${secret:env:TORQ_T_PIN}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	unsetenv("TORQ_T_SECRET");
	unsetenv("TORQ_T_PIN");
	hook = at(f, "hook", NULL);
	/* the tree keeps the reference; variables are expanded around it */
	assert_string_equal(json_string_value(hook),
			    "https://x.example/${secret:env:TORQ_T_SECRET}");
	assert_true(doc_is_secret(&f->doc, hook));
	assert_string_equal(doc_secret_value(&f->doc, hook, &len),
			    "https://x.example/s3cr3t");
	assert_int_equal(len, 24);
	assert_string_equal(doc_display(&f->doc, hook), SENSITIVE);
	/* a secret is never re-read as a number */
	pin = at(f, "pin", NULL);
	assert_string_equal(json_string_value(pin),
			    "${secret:env:TORQ_T_PIN}");
	assert_string_equal(doc_secret_value(&f->doc, pin, NULL), "1234");
	/* and printing the tree cannot show it */
	dump = json_dumps(f->doc.root, 0);
	assert_null(strstr(dump, "s3cr3t"));
	assert_null(strstr(dump, "1234"));
	free(dump);
}

/*
 * ${secret:cmd:...}: variables expand inside it, it holds nothing until
 * its command ran, each distinct command is listed once, and the value
 * is put together from the answers.
 */
static void test_resolve_secret_command(void **state)
{
	struct fixture *f = *state;
	struct secretcmd_cache *c = secretcmd_cache_new(NULL, NULL);
	json_t *a, *b;
	size_t len;

	put(f, "m.yaml", "vars: { client: acme }\n"
	    "a: \"Bearer ${secret:cmd:printf %s ${client}-key $${x}}!\"\n"
	    "b: ${secret:cmd:printf  %s  '${client}-key $${x}'}\n"
	    "c: ${secret:cmd:printf %s \"a b\"}${secret:cmd:printf x}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	a = at(f, "a", NULL);
	b = at(f, "b", NULL);
	assert_string_equal(json_string_value(a), "Bearer ${secret:cmd:printf "
			    "%s ${client}-key $${x}}!");
	assert_true(doc_is_secret(&f->doc, a));
	assert_null(doc_secret_value(&f->doc, a, NULL));
	/* a and b split into other words: two commands, then c's two */
	assert_int_equal(f->doc.cmds.nr, 4);
	assert_string_equal(f->doc.cmds.items[0].words.v[2], "acme-key");
	assert_string_equal(f->doc.cmds.items[0].words.v[3], "${x}");
	assert_string_equal(f->doc.cmds.items[1].words.v[2],
			    "acme-key ${x}");
	assert_string_equal(f->doc.cmds.items[0].mark.file,
			    in_dir(f, "m.yaml"));
	assert_int_equal(f->doc.cmds.items[0].mark.line, 2);
	assert_string_equal(f->doc.cmds.items[0].where, "a");
	assert_int_equal(doc_fill_deferred(&f->doc), 3);
	secretcmd_batch_wait(secretcmd_batch_start(&f->doc.cmds, c, 5));
	assert_int_equal(doc_fill_deferred(&f->doc), 0);
	assert_string_equal(doc_secret_value(&f->doc, a, &len),
			    "Bearer acme-key${x}!");
	assert_string_equal(doc_secret_value(&f->doc, b, NULL),
			    "acme-key ${x}");
	assert_string_equal(doc_secret_value(&f->doc, at(f, "c", NULL),
					     NULL), "a bx");
	secretcmd_cache_free(c);
}

/* The same command twice is one; a failed one leaves its secrets empty. */
static void test_resolve_secret_command_shared_and_failed(void **state)
{
	struct fixture *f = *state;
	struct secretcmd_cache *c = secretcmd_cache_new(NULL, NULL);

	put(f, "m.yaml", "a: ${secret:cmd:sh -c 'exit 2'}\n"
	    "b:\n  - \"${secret:cmd:sh -c 'exit 2'}\"\n"
	    "  - ${secret:cmd:printf y}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_int_equal(f->doc.cmds.nr, 2);
	secretcmd_batch_wait(secretcmd_batch_start(&f->doc.cmds, c, 5));
	assert_int_equal(secretcmd_cache_runs(c), 2);
	assert_int_equal(f->doc.cmds.items[0].res->outcome, SECRETCMD_EXIT);
	assert_int_equal(doc_fill_deferred(&f->doc), 2);
	assert_null(doc_secret_value(&f->doc, at(f, "a", NULL), NULL));
	assert_string_equal(doc_secret_value(&f->doc,
			    json_array_get(at(f, "b", NULL), 1), NULL), "y");
	secretcmd_cache_free(c);
}

/*
 * Bad commands are errors where they are written; validate
 * (RESOLVE_SECRETS_OPTIONAL) lists no command to run, and only warns
 * when the program is missing.
 */
static void test_resolve_secret_command_problems(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "a: ${secret:cmd:no-such-torq-tool x}\n"
	    "b: ${secret:cmd:printf 'x}\n"
	    "c: ${secret:cmd:printf ${secret:env:HOME}}\n"
	    "d: ${secret:cmd:printf ${nope}}\n"
	    "e: ${secret:cmd:printf ${x}\n"
	    "f: ${secret:cmd:}\n");
	assert_int_equal(resolve(f, "m.yaml", RESOLVE_SECRETS_OPTIONAL), -1);
	assert_int_equal(f->doc.cmds.nr, 0);
	assert_diag(f, 0, DIAG_WARNING, "command 'no-such-torq-tool' of "
		    "${secret:cmd:...} is not found in PATH; the secret is "
		    "needed to plan and apply", 1, 4, "a");
	assert_diag(f, 1, DIAG_ERROR, "${secret:cmd:...}: unterminated single "
		    "quote in 'printf 'x'", 2, 4, "b");
	assert_diag(f, 2, DIAG_ERROR, "'${secret:env:HOME}' inside "
		    "${secret:cmd:...}: a command cannot hold a secret, as any "
		    "user of the machine may read its arguments", 3, 4, "c");
	assert_diag(f, 3, DIAG_ERROR, "undefined variable 'nope'; set it with "
		    "--var nope=VALUE, --var-file or vars:", 4, 4, "d");
	assert_diag(f, 4, DIAG_ERROR, "unterminated '${' in "
		    "'${secret:cmd:printf ${x}'; write '$${' for a literal "
		    "'${'", 5, 4, "e");
	assert_diag(f, 5, DIAG_ERROR, "${secret:cmd:...}: the command is "
		    "empty", 6, 4, "f");
	assert_true(doc_is_secret(&f->doc, at(f, "a", NULL)));
	/* plan and apply: a missing program is an error */
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_diag(f, 0, DIAG_ERROR, "command 'no-such-torq-tool' of "
		    "${secret:cmd:...} is not found in PATH; the secret is "
		    "needed to plan and apply", 1, 4, "a");
}

static void test_resolve_missing_secret_warns_only_when_optional(void **state)
{
	struct fixture *f = *state;
	json_t *a;

	unsetenv("TORQ_T_ABSENT");
	put(f, "m.yaml", "a: ${secret:env:TORQ_T_ABSENT}\n"
	    "t: ${secret:file:none.txt}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 2);
	assert_int_equal(f->diags.warnings, 0);
	assert_diag(f, 0, DIAG_ERROR, "environment variable 'TORQ_T_ABSENT' "
		    "is not set; the secret is needed to plan and apply",
		    1, 4, "a");
	buf_reset(&f->tmp);
	buf_addf(&f->tmp, "cannot read secret file '%s/none.txt': No such "
		 "file or directory", f->d.path);
	assert_diag(f, 1, DIAG_ERROR, f->tmp.s, 2, 4, "t");

	assert_int_equal(resolve(f, "m.yaml", RESOLVE_SECRETS_OPTIONAL), 0);
	assert_int_equal(f->diags.errors, 0);
	assert_int_equal(f->diags.warnings, 2);
	assert_int_equal(f->diags.items[0].severity, DIAG_WARNING);
	assert_int_equal(f->diags.items[1].severity, DIAG_WARNING);
	a = at(f, "a", NULL);
	/*
	 * no value to hold: the reference text, still a secret (a name
	 * that is one is refused without its value too), with no value
	 */
	assert_string_equal(json_string_value(a),
			    "${secret:env:TORQ_T_ABSENT}");
	assert_true(doc_is_secret(&f->doc, a));
	assert_null(doc_secret_value(&f->doc, a, NULL));
	assert_string_equal(str_at(f, "t", NULL), "${secret:file:none.txt}");
}

static void test_resolve_secret_file(void **state)
{
	struct fixture *f = *state;
	size_t len = 0;
	const char *v;

	put(f, "sub/m.yaml", "tok: ${secret:file:tok.txt}\n"
	    "two: ${secret:file:two.txt}\ncrlf: ${secret:file:crlf.txt}\n"
	    "none: ${secret:file:none.txt}\nbin: ${secret:file:d/bin}\n"
	    "up: ${secret:file:../up.txt}\n");
	put(f, "sub/tok.txt", "file-secret\n");
	put(f, "sub/two.txt", "v\n\n");
	put(f, "sub/crlf.txt", "w\r\n");
	put(f, "sub/none.txt", "no-newline");
	put_len(f, "sub/d/bin", "a\0b\n", 4);
	put(f, "up.txt", "above\n");
	/* the secret files are next to the manifest, not in the cwd */
	assert_int_equal(resolve(f, "sub/m.yaml", 0), 0);
	v = doc_secret_value(&f->doc, at(f, "tok", NULL), &len);
	assert_string_equal(v, "file-secret");
	assert_int_equal(len, 11);
	assert_string_equal(str_at(f, "tok", NULL), "${secret:file:tok.txt}");
	/* only one trailing newline goes */
	v = doc_secret_value(&f->doc, at(f, "two", NULL), &len);
	assert_string_equal(v, "v\n");
	assert_int_equal(len, 2);
	v = doc_secret_value(&f->doc, at(f, "crlf", NULL), &len);
	assert_string_equal(v, "w");
	v = doc_secret_value(&f->doc, at(f, "none", NULL), &len);
	assert_string_equal(v, "no-newline");
	v = doc_secret_value(&f->doc, at(f, "bin", NULL), &len);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "a\0b", 3);
	v = doc_secret_value(&f->doc, at(f, "up", NULL), &len);
	assert_string_equal(v, "above");
}

static void test_resolve_secret_file_too_large(void **state)
{
	struct fixture *f = *state;
	size_t n = RESOLVE_MAX_SECRET_FILE + 1;
	char *big = test_malloc(n);

	memset(big, 'k', n);
	put_len(f, "big.txt", big, n);
	test_free(big);
	put(f, "m.yaml", "k: ${secret:file:big.txt}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	buf_reset(&f->tmp);
	buf_addf(&f->tmp, "cannot read secret file '%s/big.txt': larger than "
		 "1 MiB", f->d.path);
	assert_diag(f, 0, DIAG_ERROR, f->tmp.s, 1, 4, "k");
}

static void test_resolve_errors_of_all_stages_in_one_run(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "a: 1\na: 2\nb: ${nope}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 2);
	assert_string_equal(f->diags.items[0].message, "duplicate key 'a'");
	assert_int_equal(f->diags.items[1].severity, DIAG_NOTE);
	assert_non_null(strstr(f->diags.items[2].message,
			       "undefined variable 'nope'"));
	assert_int_equal(json_integer_value(at(f, "a", NULL)), 1);
}

static void test_resolve_other_roots(void **state)
{
	struct fixture *f = *state;

	put(f, "list.yaml", "- ${x}\n");
	/* not a mapping: nothing to substitute, the schema will say so */
	assert_int_equal(resolve(f, "list.yaml", 0), 0);
	assert_true(json_is_array(f->doc.root));
	put(f, "empty.yaml", "");
	assert_int_equal(resolve(f, "empty.yaml", 0), 0);
	assert_true(json_is_null(f->doc.root));
	assert_int_equal(resolve(f, "missing.yaml", 0), -1);
	assert_string_equal(f->diags.items[0].message,
			    "cannot read file: No such file or directory");
	assert_string_equal(f->diags.items[0].mark.file,
			    in_dir(f, "missing.yaml"));
}

/* A template only its owner may read (a key file?) is never quoted. */
static void test_resolve_extends_owner_only_template_not_quoted(void **state)
{
	struct fixture *f = *state;
	const char *text = "{client_id: k, client_secret: s3cr3t-value}\n";
	size_t len;

	put(f, "m.yaml", "version: 1\nextends: key.yaml\n");
	testdir_put(&f->d, "key.yaml", text, strlen(text), 0600);
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_non_null(doc_source_line(&f->doc, in_dir(f, "m.yaml"), 1,
					&len));
	assert_null(doc_source_line(&f->doc, in_dir(f, "key.yaml"), 1,
				    &len));
	/* readable by others: a template like any other, quoted */
	testdir_put(&f->d, "key.yaml", text, strlen(text), 0644);
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_non_null(doc_source_line(&f->doc, in_dir(f, "key.yaml"), 1,
					&len));
	/* a template that is not a mapping is not quoted either */
	put(f, "key.yaml", "root:x:0:0:root:/root:/bin/sh\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_null(doc_source_line(&f->doc, in_dir(f, "key.yaml"), 1,
				    &len));
}

/* Only .yaml and .yml files in the manifest's tree, unless allowed. */
static void test_resolve_extends_stays_in_the_tree(void **state)
{
	struct fixture *f = *state;

	put(f, "m.yaml", "version: 1\nextends: ../nowhere/t.yaml\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_non_null(strstr(f->diags.items[0].message,
			       "is outside the manifest's tree"));
	assert_int_equal(f->diags.items[0].mark.line, 2);
	assert_int_equal(resolve(f, "m.yaml", RESOLVE_EXTENDS_ANYWHERE), -1);
	assert_non_null(strstr(f->diags.items[0].message,
			       "cannot read template"));
	put(f, "m.yaml", "version: 1\nextends: t.json\n");
	put(f, "t.json", "{}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_non_null(strstr(f->diags.items[0].message,
			       "/t.json' is not a .yaml or .yml file; "
			       "refusing to read it (--allow-extends-outside "
			       "reads it anyway)"));
	assert_int_equal(resolve(f, "m.yaml", RESOLVE_EXTENDS_ANYWHERE), 0);
	/* a link named .yaml to a file that is not YAML: the same */
	buf_reset(&f->tmp);
	buf_addstr(&f->tmp, in_dir(f, "t.json"));
	assert_int_equal(symlink(f->tmp.s, in_dir(f, "l.yaml")), 0);
	put(f, "m.yaml", "version: 1\nextends: l.yaml\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_non_null(strstr(f->diags.items[0].message, "not a .yaml"));
}

static void test_resolve_extends_merges_maps(void **state)
{
	struct fixture *f = *state;
	const struct mark *m;
	json_t *ws;

	put(f, "t/base.yaml", "version: 1\nworkspace:\n  name: base\n"
	    "  create: true\n  settings: { a: 1, b: 2 }\n"
	    "  copy_sso: true\nsource: { credentials: c.json }\n");
	put(f, "m.yaml", "extends: t/base.yaml\nworkspace:\n  name: mine\n"
	    "  settings: { b: 3, c: 4 }\n  copy_sso: false\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_null(at(f, "extends", NULL));
	assert_int_equal(json_integer_value(at(f, "version", NULL)), 1);
	ws = at(f, "workspace", NULL);
	assert_string_equal(json_string_value(json_object_get(ws, "name")),
			    "mine");
	assert_true(json_is_true(json_object_get(ws, "create")));
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(ws, "settings"), "a")), 1);
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(ws, "settings"), "b")), 3);
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(ws, "settings"), "c")), 4);
	assert_string_equal(str_at(f, "source", "credentials"), "c.json");
	/* each value, true and false included, keeps the place it came from */
	m = doc_value_mark(&f->doc, ws, "create", 0);
	assert_non_null(m);
	assert_string_equal(m->file, in_dir(f, "t/base.yaml"));
	assert_int_equal(m->line, 4);
	assert_true(json_is_false(json_object_get(ws, "copy_sso")));
	m = doc_value_mark(&f->doc, ws, "copy_sso", 0);
	assert_non_null(m);
	assert_string_equal(m->file, in_dir(f, "m.yaml"));
	assert_int_equal(m->line, 5);
	assert_int_equal(m->col, 13);
	m = doc_mark(&f->doc, ws, "name");
	assert_string_equal(m->file, in_dir(f, "m.yaml"));
	assert_int_equal(m->line, 3);
}

static void test_resolve_extends_merges_users_by_email(void **state)
{
	struct fixture *f = *state;
	json_t *users, *u;

	put(f, "base.yaml", "users:\n"
	    "  - { email: A@x.example, role: Owner, name: Alice }\n"
	    "  - { email: b@x.example, role: Viewer }\n"
	    "  - { email: d@x.example, role: Viewer }\n");
	put(f, "m.yaml", "extends: base.yaml\nusers:\n"
	    "  - { email: c@x.example, role: Viewer }\n"
	    "  - { email: D@X.EXAMPLE, role: Operator }\n"
	    "  - { email: a@X.example, role: Contributor }\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	users = at(f, "users", NULL);
	assert_int_equal(json_array_size(users), 4);
	/* template order kept, the matches merged (manifest wins) */
	u = json_array_get(users, 0);
	assert_string_equal(json_string_value(json_object_get(u, "email")),
			    "a@X.example");
	assert_string_equal(json_string_value(json_object_get(u, "role")),
			    "Contributor");
	assert_string_equal(json_string_value(json_object_get(u, "name")),
			    "Alice");
	u = json_array_get(users, 1);
	assert_string_equal(json_string_value(json_object_get(u, "email")),
			    "b@x.example");
	u = json_array_get(users, 2);
	assert_string_equal(json_string_value(json_object_get(u, "email")),
			    "D@X.EXAMPLE");
	assert_string_equal(json_string_value(json_object_get(u, "role")),
			    "Operator");
	/* new ones appended */
	u = json_array_get(users, 3);
	assert_string_equal(json_string_value(json_object_get(u, "email")),
			    "c@x.example");
}

static void test_resolve_extends_merges_named_lists(void **state)
{
	struct fixture *f = *state;
	json_t *cm, *ints;

	put(f, "base.yaml", "claim_mappings:\n  copy_from_source: false\n"
	    "  items:\n    - { claim: g, value: v, role: Viewer }\n"
	    "    - { claim: g, value: w, role: Viewer }\n"
	    "integrations:\n  - { name: s, vendor: slack, x: 1 }\n"
	    "  - { name: j, vendor: jira }\n"
	    "workspace: { tags: [a, b] }\n");
	put(f, "m.yaml", "extends: base.yaml\nclaim_mappings:\n  items:\n"
	    "    - { claim: g, value: v, role: Owner }\n"
	    "    - { claim: h, value: v, role: Owner }\n"
	    "integrations:\n  - { name: S, vendor: slack }\n"
	    "  - { name: s, vendor: teams }\n"
	    "workspace: { tags: [c] }\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	cm = at(f, "claim_mappings", "items");
	assert_int_equal(json_array_size(cm), 3);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(cm, 0), "role")), "Owner");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(cm, 1), "value")), "w");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(cm, 2), "claim")), "h");
	assert_true(json_is_false(at(f, "claim_mappings",
				     "copy_from_source")));
	/* names compare as written: 'S' is another integration */
	ints = at(f, "integrations", NULL);
	assert_int_equal(json_array_size(ints), 3);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(ints, 0), "vendor")), "teams");
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(ints, 0), "x")), 1);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(ints, 1), "name")), "j");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(ints, 2), "name")), "S");
	/* any other list is replaced */
	assert_int_equal(json_array_size(at(f, "workspace", "tags")), 1);
	assert_string_equal(json_string_value(json_array_get(
		at(f, "workspace", "tags"), 0)), "c");
}

static void test_resolve_extends_chain_and_relative_paths(void **state)
{
	struct fixture *f = *state;
	const struct mark *m;

	put(f, "t/a.yaml", "extends: b.yaml\nvars: { who: a }\n"
	    "from_a: ${who}\nsecret: ${secret:file:s.txt}\n");
	put(f, "t/b.yaml", "vars: { who: b, only_b: yes }\nfrom_b: x\n"
	    "flag: ${only_b}\n");
	put(f, "t/s.txt", "template-secret\n");
	put(f, "m.yaml", "extends: t/a.yaml\nvars: { who: m }\nmine: ${who}\n");
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	/* the nearest file's vars: win, and every level's are seen */
	assert_string_equal(str_at(f, "from_a", NULL), "m");
	assert_string_equal(str_at(f, "mine", NULL), "m");
	assert_string_equal(str_at(f, "from_b", NULL), "x");
	assert_string_equal(str_at(f, "flag", NULL), "yes");
	/* a secret file is relative to the template that names it */
	assert_string_equal(doc_secret_value(&f->doc, at(f, "secret", NULL),
					     NULL), "template-secret");
	/* marks point into the file each value came from */
	m = doc_mark(&f->doc, at(f, "from_b", NULL), NULL);
	assert_non_null(m);
	assert_string_equal(m->file, in_dir(f, "t/b.yaml"));
	assert_int_equal(m->line, 2);
	m = doc_mark(&f->doc, at(f, "mine", NULL), NULL);
	assert_string_equal(m->file, in_dir(f, "m.yaml"));
	assert_int_equal(m->line, 3);
}

static void test_resolve_extends_cycle(void **state)
{
	struct fixture *f = *state;
	struct buf msg = BUF_INIT;

	put(f, "a.yaml", "version: 1\nextends: b.yaml\n");
	put(f, "b.yaml", "extends: a.yaml\n");
	assert_int_equal(resolve(f, "a.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 1);
	buf_addf(&msg, "extends cycle: %s/a.yaml -> %s/b.yaml -> %s/a.yaml",
		 f->d.path, f->d.path, f->d.path);
	assert_diag(f, 0, DIAG_ERROR, msg.s, 1, 10, "extends");
	assert_string_equal(f->diags.items[0].mark.file, in_dir(f, "b.yaml"));
	/* a file that extends itself */
	put(f, "self.yaml", "extends: ./self.yaml\n");
	assert_int_equal(resolve(f, "self.yaml", 0), -1);
	buf_reset(&msg);
	buf_addf(&msg, "extends cycle: %s/self.yaml -> %s/self.yaml",
		 f->d.path, f->d.path);
	assert_diag(f, 0, DIAG_ERROR, msg.s, 1, 10, "extends");
	buf_release(&msg);
}

static void test_resolve_extends_missing_template(void **state)
{
	struct fixture *f = *state;
	struct buf msg = BUF_INIT;

	put(f, "m.yaml", "version: 1\nextends: templates/none.yaml\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 1);
	buf_addf(&msg, "cannot read template '%s/templates/none.yaml': No "
		 "such file or directory", f->d.path);
	assert_diag(f, 0, DIAG_ERROR, msg.s, 2, 10, "extends");
	assert_string_equal(f->diags.items[0].mark.file, in_dir(f, "m.yaml"));
	buf_release(&msg);
}

static void test_resolve_extends_template_not_a_mapping(void **state)
{
	struct fixture *f = *state;
	struct buf msg = BUF_INIT;

	put(f, "list.yaml", "- a\n- b\n");
	put(f, "m.yaml", "extends: list.yaml\n");
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	buf_addf(&msg, "template '%s/list.yaml' is not a mapping", f->d.path);
	assert_diag(f, 0, DIAG_ERROR, msg.s, 1, 10, "extends");
	buf_release(&msg);
}

/* Write m.yaml extending t1.yaml ... tN.yaml, the last with no extends. */
static void put_chain(struct fixture *f, int n)
{
	char name[32], text[64];
	int i;

	put(f, "m.yaml", "extends: t1.yaml\n");
	for (i = 1; i < n; i++) {
		snprintf(name, sizeof(name), "t%d.yaml", i);
		snprintf(text, sizeof(text), "extends: t%d.yaml\nk%d: v\n",
			 i + 1, i);
		put(f, name, text);
	}
	snprintf(name, sizeof(name), "t%d.yaml", n);
	put(f, name, "deep: yes\n");
}

static void test_resolve_extends_depth_is_bounded(void **state)
{
	struct fixture *f = *state;

	put_chain(f, 15);
	assert_int_equal(resolve(f, "m.yaml", 0), 0);
	assert_string_equal(str_at(f, "k14", NULL), "v");
	assert_string_equal(str_at(f, "deep", NULL), "yes");
	put_chain(f, RESOLVE_MAX_EXTENDS + 1);
	assert_int_equal(resolve(f, "m.yaml", 0), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_string_equal(f->diags.items[0].message,
			    "templates nest deeper than 16 levels");
	assert_int_equal(f->diags.items[0].mark.line, 1);
	assert_string_equal(f->diags.items[0].path, "extends");
}

/*
 * RESOLVE_MAX_EXTENDS is the deepest chain: 16 templates are not "deeper
 * than 16 levels" (and struct chain has room for the manifest and 16).
 */
static void test_resolve_extends_sixteen_templates_are_allowed(void **state)
{
	struct fixture *f = *state;

	put_chain(f, RESOLVE_MAX_EXTENDS);
	if (resolve(f, "m.yaml", 0))
		fail_msg("%d templates refused: %s", RESOLVE_MAX_EXTENDS,
			 f->diags.items[0].message);
	assert_string_equal(str_at(f, "deep", NULL), "yes");
}

static void test_resolve_varset_basics(void **state)
{
	struct fixture *f = *state;

	assert_null(varset_get(&f->vars, "a"));
	assert_null(varset_get(NULL, "a"));
	varset_set(&f->vars, "a", "1");
	varset_set(&f->vars, "b", "2");
	varset_set(&f->vars, "a", "3");
	assert_int_equal(f->vars.nr, 2);
	assert_string_equal(varset_get(&f->vars, "a"), "3");
	assert_string_equal(varset_get(&f->vars, "b"), "2");
	assert_null(varset_get(&f->vars, "A"));
	assert_true(var_name_ok("a", 1));
	assert_true(var_name_ok("_x9", 3));
	assert_true(var_name_ok("Client_Name", 11));
	assert_false(var_name_ok("", 0));
	assert_false(var_name_ok("9x", 2));
	assert_false(var_name_ok("a-b", 3));
	assert_false(var_name_ok("a.b", 3));
	assert_false(var_name_ok("a b", 3));
	/* only len characters count */
	assert_true(var_name_ok("ab-", 2));
}

static void test_resolve_varset_parse(void **state)
{
	struct fixture *f = *state;
	struct buf err = BUF_INIT;

	assert_int_equal(varset_parse(&f->vars, "a=1=2", &err), 0);
	assert_string_equal(varset_get(&f->vars, "a"), "1=2");
	assert_int_equal(varset_parse(&f->vars, "empty=", &err), 0);
	assert_string_equal(varset_get(&f->vars, "empty"), "");
	assert_string_equal(err.s, "");
	assert_int_equal(varset_parse(&f->vars, "noequals", &err), -1);
	assert_string_equal(err.s, "--var 'noequals' is not of the form "
			    "NAME=VALUE");
	buf_reset(&err);
	assert_int_equal(varset_parse(&f->vars, "9x=1", &err), -1);
	assert_string_equal(err.s, "--var '9x': a variable name is letters, "
			    "digits and _, not starting with a digit");
	buf_reset(&err);
	assert_int_equal(varset_parse(&f->vars, "=v", &err), -1);
	assert_string_equal(err.s, "--var '': a variable name is letters, "
			    "digits and _, not starting with a digit");
	buf_reset(&err);
	assert_int_equal(varset_parse(&f->vars, "a-b=v", &err), -1);
	assert_null(varset_get(&f->vars, "a-b"));
	assert_int_equal(f->vars.nr, 2);
	buf_release(&err);
}

static void test_resolve_varset_load_file(void **state)
{
	struct fixture *f = *state;

	put(f, "v.yaml", "n: 3\nb: true\nf: false\ns: x\nq: \"007\"\n");
	assert_int_equal(varset_load_file(&f->vars, &f->doc,
					  in_dir(f, "v.yaml"), &f->diags), 0);
	assert_int_equal(f->diags.nr, 0);
	assert_string_equal(varset_get(&f->vars, "n"), "3");
	assert_string_equal(varset_get(&f->vars, "b"), "true");
	assert_string_equal(varset_get(&f->vars, "f"), "false");
	assert_string_equal(varset_get(&f->vars, "s"), "x");
	assert_string_equal(varset_get(&f->vars, "q"), "007");
	/* the file's text is kept for diagnostics */
	assert_non_null(doc_source_line(&f->doc, in_dir(f, "v.yaml"), 1,
					&(size_t){ 0 }));
}

static void test_resolve_varset_load_file_errors(void **state)
{
	struct fixture *f = *state;

	put(f, "v.yaml", "client: [a, b]\n2x: y\nok: 1\nm: {k: v}\n");
	assert_int_equal(varset_load_file(&f->vars, &f->doc,
					  in_dir(f, "v.yaml"), &f->diags), -1);
	assert_int_equal(f->diags.errors, 3);
	assert_diag(f, 0, DIAG_ERROR, "variable 'client' must be a string, "
		    "number or boolean", 1, 9, "client");
	assert_diag(f, 1, DIAG_ERROR, "invalid variable name '2x'; use "
		    "letters, digits and _", 2, 1, NULL);
	assert_diag(f, 2, DIAG_ERROR, "variable 'm' must be a string, number "
		    "or boolean", 4, 4, "m");
	/* the good ones are still set */
	assert_string_equal(varset_get(&f->vars, "ok"), "1");
	assert_null(varset_get(&f->vars, "client"));

	diag_list_release(&f->diags);
	put(f, "list.yaml", "- a\n");
	assert_int_equal(varset_load_file(&f->vars, &f->doc,
					  in_dir(f, "list.yaml"), &f->diags),
			 -1);
	assert_diag(f, 0, DIAG_ERROR, "a variable file is a mapping of names "
		    "to values", 1, 1, NULL);
	diag_list_release(&f->diags);
	assert_int_equal(varset_load_file(&f->vars, &f->doc,
					  in_dir(f, "none.yaml"), &f->diags),
			 -1);
	assert_string_equal(f->diags.items[0].message,
			    "cannot read file: No such file or directory");
}

/* Every diagnostic has its place, a null value's too. */
static void test_resolve_varset_load_file_null_value_has_a_place(void **state)
{
	struct fixture *f = *state;

	put(f, "v.yaml", "ok: 1\nempty: ~\n");
	assert_int_equal(varset_load_file(&f->vars, &f->doc,
					  in_dir(f, "v.yaml"), &f->diags), -1);
	assert_int_equal(f->diags.errors, 1);
	assert_diag(f, 0, DIAG_ERROR, "variable 'empty' must be a string, "
		    "number or boolean", 2, 8, "empty");
}

/* A number written 0.1 in a variable file is the text "0.1". */
static void test_resolve_varset_load_file_numbers_keep_text(void **state)
{
	struct fixture *f = *state;

	put(f, "v.yaml", "v: 1.1\nr: 0.1\n");
	assert_int_equal(varset_load_file(&f->vars, &f->doc,
					  in_dir(f, "v.yaml"), &f->diags), 0);
	assert_string_equal(varset_get(&f->vars, "v"), "1.1");
	assert_string_equal(varset_get(&f->vars, "r"), "0.1");
}

/* Every test gets a fresh fixture. */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_resolve_variables_cli_beats_vars),
		T(test_resolve_secret_command),
		T(test_resolve_secret_command_shared_and_failed),
		T(test_resolve_secret_command_problems),
		T(test_resolve_vars_are_taken_literally),
		T(test_resolve_several_references_in_one_string),
		T(test_resolve_plain_reference_is_typed),
		T(test_resolve_str_tag_keeps_a_string),
		T(test_resolve_numbers_in_text_keep_their_text),
		T(test_resolve_dollar_escape),
		T(test_resolve_undefined_variable_suggests),
		T(test_resolve_paths_of_diagnostics),
		T(test_resolve_unterminated_and_unknown_references),
		T(test_resolve_environment),
		T(test_resolve_secret_from_env),
		T(test_resolve_missing_secret_warns_only_when_optional),
		T(test_resolve_secret_file),
		T(test_resolve_secret_file_too_large),
		T(test_resolve_errors_of_all_stages_in_one_run),
		T(test_resolve_other_roots),
		T(test_resolve_extends_owner_only_template_not_quoted),
		T(test_resolve_extends_stays_in_the_tree),
		T(test_resolve_extends_merges_maps),
		T(test_resolve_extends_merges_users_by_email),
		T(test_resolve_extends_merges_named_lists),
		T(test_resolve_extends_chain_and_relative_paths),
		T(test_resolve_extends_cycle),
		T(test_resolve_extends_missing_template),
		T(test_resolve_extends_template_not_a_mapping),
		T(test_resolve_extends_depth_is_bounded),
		T(test_resolve_extends_sixteen_templates_are_allowed),
		T(test_resolve_varset_basics),
		T(test_resolve_varset_parse),
		T(test_resolve_varset_load_file),
		T(test_resolve_varset_load_file_errors),
		T(test_resolve_varset_load_file_null_value_has_a_place),
		T(test_resolve_varset_load_file_numbers_keep_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
