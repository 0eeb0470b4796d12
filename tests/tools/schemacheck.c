/*
 * schemacheck MANIFEST [NAME=VALUE...]: load and resolve a manifest the way
 * torq-apply does, then print on the first line our schema verdict
 * ("valid", "invalid", or "unloadable" when it cannot be resolved) and on
 * the second the resolved document as JSON, for tests/differential.py to
 * judge with python3-jsonschema. Secrets print as their reference text.
 */
#include <stdio.h>
#include <stdlib.h>

#include "torq/buf.h"
#include "torq/doc.h"
#include "torq/resolve.h"
#include "torq/schema.h"
#include "torq/banned.h"

int main(int argc, char **argv)
{
	struct doc doc;
	struct diag_list diags;
	struct varset vars;
	struct schema *schema = NULL;
	struct buf err = BUF_INIT;
	char *json = NULL;
	int i, ret = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: schemacheck MANIFEST [NAME=VALUE...]\n");
		return 2;
	}
	doc_init(&doc);
	diag_list_init(&diags, 0);
	varset_init(&vars);
	for (i = 2; i < argc; i++) {
		if (varset_parse(&vars, argv[i], &err)) {
			/* torq-apply refuses these arguments; nothing to judge */
			printf("unloadable\n");
			ret = 0;
			goto out;
		}
	}
	if (schema_new(&schema, manifest_schema_text, manifest_schema_len,
		       &err)) {
		fprintf(stderr, "schemacheck: %s\n", err.s);
		goto out;
	}
	if (resolve_manifest(&doc, argv[1], &vars, RESOLVE_SECRETS_OPTIONAL,
			     &diags) || !doc.root) {
		printf("unloadable\n");
		ret = 0;
		goto out;
	}
	printf("%s\n", schema_validate(schema, doc.root, &doc, NULL) ?
	       "invalid" : "valid");
	json = json_dumps(doc.root, JSON_ENCODE_ANY | JSON_COMPACT);
	printf("%s\n", json);
	ret = 0;
out:
	free(json);
	schema_free(schema);
	buf_release(&err);
	varset_release(&vars);
	diag_list_release(&diags);
	doc_release(&doc);
	return ret;
}
