/*
 * jsts DIR: run the official JSON-Schema-Test-Suite (draft7 directory)
 * against src/schema.c. Only the files of the keywords we implement are
 * run (files[]); test groups that need what we deliberately leave out are
 * skipped through skips[], each with its reason, and an entry there that
 * matches no group is itself an error so the table cannot rot. Prints one
 * PASS/FAIL line per file and "N passed, N failed, N skipped"; exits 1 on
 * any failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "torq/buf.h"
#include "torq/diag.h"
#include "torq/schema.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static const char *const files[] = {
	"additionalItems.json",
	"additionalProperties.json",
	"allOf.json",
	"anyOf.json",
	"boolean_schema.json",
	"const.json",
	"contains.json",
	"default.json",
	"definitions.json",
	"dependencies.json",
	"enum.json",
	"exclusiveMaximum.json",
	"exclusiveMinimum.json",
	"if-then-else.json",
	"items.json",
	"maxItems.json",
	"maxLength.json",
	"maxProperties.json",
	"maximum.json",
	"minItems.json",
	"minLength.json",
	"minProperties.json",
	"minimum.json",
	"multipleOf.json",
	"not.json",
	"oneOf.json",
	"pattern.json",
	"patternProperties.json",
	"properties.json",
	"propertyNames.json",
	"ref.json",
	"required.json",
	"type.json",
	"uniqueItems.json",
	"optional/format/email.json",
	"optional/zeroTerminatedFloats.json",
};

static const struct skip {
	const char *file;
	const char *group;	/* the group's "description" */
	const char *reason;
} skips[] = {
	{ "ref.json", "remote ref, containing refs itself",
	  "a remote $ref (the draft-07 metaschema by URL)" },
	{ "ref.json", "Recursive references between schemas",
	  "$id-based resolution ($ref 'node' against a sub-schema's $id)" },
	{ "definitions.json", "valid definition",
	  "validates against the draft-07 metaschema, a remote $ref" },
	{ "definitions.json", "invalid definition",
	  "validates against the draft-07 metaschema, a remote $ref" },
};

struct totals {
	size_t passed, failed, skipped;
};

static const struct skip *find_skip(const char *file, const char *group,
				    int *seen)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(skips); i++) {
		if (strcmp(skips[i].file, file) ||
		    strcmp(skips[i].group, group))
			continue;
		seen[i] = 1;
		return &skips[i];
	}
	return NULL;
}

/*
 * Run one test. Beyond the verdict, a run with diagnostics must agree with
 * a run without, and an invalid verdict must come with at least one
 * diagnostic (and a valid one with none).
 */
static int run_test(const struct schema *s, const json_t *test,
		    struct buf *why)
{
	struct diag_list diags;
	json_t *data = json_object_get(test, "data");
	int want = json_is_true(json_object_get(test, "valid"));
	int got, quiet, ret = -1;

	diag_list_init(&diags, 0);
	got = !schema_validate(s, data, NULL, &diags);
	quiet = !schema_validate(s, data, NULL, NULL);
	if (got != want) {
		buf_addf(why, "expected %s, got %s", want ? "valid" : "invalid",
			 got ? "valid" : "invalid");
		if (diags.nr)
			buf_addf(why, " (%s)", diags.items[0].message);
		goto out;
	}
	if (quiet != got) {
		buf_addstr(why, "the verdict without diagnostics differs");
		goto out;
	}
	if (got != !diags.errors) {
		buf_addf(why, "%zu diagnostics for a %s value", diags.errors,
			 got ? "valid" : "invalid");
		goto out;
	}
	ret = 0;
out:
	diag_list_release(&diags);
	return ret;
}

/* Run one group; failures are described in report. */
static void run_group(const json_t *group, struct totals *t,
		      struct totals *ft, struct buf *report)
{
	const char *desc = json_string_value(json_object_get(group,
							     "description"));
	json_t *tests = json_object_get(group, "tests"), *test;
	struct schema *s = NULL;
	struct buf err = BUF_INIT, why = BUF_INIT;
	size_t i, n = json_array_size(tests);

	if (schema_new_json(&s, json_object_get(group, "schema"), &err)) {
		buf_addf(report, "    %s: the schema does not compile: %s\n",
			 desc, err.s);
		t->failed += n;
		ft->failed += n;
		goto out;
	}
	json_array_foreach(tests, i, test) {
		buf_reset(&why);
		if (!run_test(s, test, &why)) {
			t->passed++;
			ft->passed++;
			continue;
		}
		buf_addf(report, "    %s / %s: %s\n", desc,
			 json_string_value(json_object_get(test,
							   "description")),
			 why.s);
		t->failed++;
		ft->failed++;
	}
out:
	schema_free(s);
	buf_release(&err);
	buf_release(&why);
}

static void run_file(const char *dir, const char *file, int *seen,
		     struct totals *t)
{
	struct totals ft = { 0, 0, 0 };
	struct buf path = BUF_INIT, report = BUF_INIT;
	json_error_t jerr;
	json_t *groups, *group;
	size_t i;

	buf_addf(&path, "%s/%s", dir, file);
	groups = json_load_file(path.s, 0, &jerr);
	if (!json_is_array(groups)) {
		printf("FAIL %s: cannot load '%s': %s\n", file, path.s,
		       groups ? "not a list of test groups" : jerr.text);
		t->failed++;
		goto out;
	}
	json_array_foreach(groups, i, group) {
		const char *desc = json_string_value(
			json_object_get(group, "description"));
		size_t n = json_array_size(json_object_get(group, "tests"));

		if (desc && find_skip(file, desc, seen)) {
			t->skipped += n;
			ft.skipped += n;
			continue;
		}
		run_group(group, t, &ft, &report);
	}
	if (ft.failed)
		printf("FAIL %s (%zu test%s, %zu failed, %zu skipped)\n%s",
		       file, ft.passed + ft.failed,
		       ft.passed + ft.failed == 1 ? "" : "s", ft.failed,
		       ft.skipped, report.s);
	else
		printf("PASS %s (%zu test%s, %zu skipped)\n", file, ft.passed,
		       ft.passed == 1 ? "" : "s", ft.skipped);
out:
	json_decref(groups);
	buf_release(&path);
	buf_release(&report);
}

int main(int argc, char **argv)
{
	int seen[ARRAY_SIZE(skips)] = { 0 };
	struct totals t = { 0, 0, 0 };
	struct stat st;
	size_t i;
	int rotten = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: jsts DIR (JSON-Schema-Test-Suite "
			"tests/draft7)\n");
		return 2;
	}
	errno = 0;
	if (stat(argv[1], &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "jsts: cannot open '%s': %s; run 'make deps' "
			"to install json-schema-test-suite\n", argv[1],
			errno ? strerror(errno) : "Not a directory");
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(files); i++)
		run_file(argv[1], files[i], seen, &t);
	for (i = 0; i < ARRAY_SIZE(skips); i++) {
		if (seen[i])
			continue;
		printf("FAIL skip table: no group '%s' in %s\n",
		       skips[i].group, skips[i].file);
		rotten = 1;
	}
	printf("%zu passed, %zu failed, %zu skipped\n", t.passed, t.failed,
	       t.skipped);
	return t.failed || rotten ? 1 : 0;
}
