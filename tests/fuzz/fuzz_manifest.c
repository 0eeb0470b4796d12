/*
 * libFuzzer harness: YAML bytes through the loader, the manifest schema,
 * the semantic checks and diagnostic rendering. Any crash, leak or
 * sanitizer report is a bug. (Substitution and extends read files and the
 * environment, so they are exercised by the unit tests instead.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "torq/check.h"
#include "torq/load.h"
#include "torq/schema.h"
#include "torq/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct schema *schema;
	struct diag_list diags;
	struct buf out = BUF_INIT;
	struct doc doc;
	json_t *root = NULL;

	if (!schema && schema_new(&schema, manifest_schema_text,
				  manifest_schema_len, &out))
		abort();
	doc_init(&doc);
	diag_list_init(&diags, DIAG_MAX_ERRORS);
	load_buffer(&doc, "fuzz.yaml", (const char *)data, size, &root,
		    &diags);
	if (root) {
		doc.root = root;
		schema_validate(schema, doc.root, &doc, &diags);
		check_manifest(&doc, &diags);
	}
	diag_render(&diags, &out, doc_source_line, &doc, 1);
	buf_release(&out);
	diag_list_release(&diags);
	doc_release(&doc);
	return 0;
}
