/*
 * libFuzzer harness: the manifest front end as `validate` and `plan` run
 * it. The input is written as m.yaml in a private directory that also
 * holds a template (base.yaml, for `extends:`), a workflow file
 * (wf.yaml) and a secret file (secret.txt); FUZZ_ENV and FUZZ_SECRET are
 * set in the environment. Then: load, extends, variables and secrets
 * (resolve.h), the schema, the semantic checks, the typed desired state
 * and a plan of it against a workspace that does not exist yet, and the
 * diagnostics rendered with their source lines. The same bytes also go
 * through the workflow-YAML reader (wfyaml.h), which reads workflow files
 * the manifest names. Any crash, leak or sanitizer report is a bug.
 * FUZZ_VERBOSE=1 prints each input's diagnostics and plan size.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torq/desired.h"
#include "torq/diag.h"
#include "torq/manifest.h"
#include "torq/model.h"
#include "torq/plan.h"
#include "torq/resolve.h"
#include "torq/wfyaml.h"
#include "torq/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[128];
static struct varset vars;

static void put(const char *name, const char *text, size_t len)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f))
		abort();
}

static void cleanup(void)
{
	static const char *const names[] = {
		"m.yaml", "base.yaml", "wf.yaml", "secret.txt",
	};
	char p[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	varset_release(&vars);
}

static void setup(void)
{
	static const char base[] =
		"version: 1\n"
		"workspace: { name: \"${client}-soc\", create: true }\n"
		"users:\n"
		"  - { email: analyst@msp.example, role: Viewer }\n"
		"integrations:\n"
		"  - name: Slack\n"
		"    vendor: slack\n"
		"    parameters: { token: \"${secret:file:secret.txt}\" }\n"
		"workflows:\n"
		"  - { name: Triage, file: wf.yaml, publish: true }\n";
	static const char wf[] =
		"name: Triage\n"
		"steps:\n"
		"  - { type: nested, workflow: Enrich }\n";
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/torq-fuzz-XXXXXX",
		 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/m.yaml", dir);
	put("base.yaml", base, sizeof(base) - 1);
	put("wf.yaml", wf, sizeof(wf) - 1);
	put("secret.txt", "fuzz-secret\n", 12);
	setenv("FUZZ_ENV", "from-env", 1);
	setenv("FUZZ_SECRET", "fuzz-env-secret", 1);
	varset_init(&vars);
	varset_set(&vars, "client", "acme");
	atexit(cleanup);
}

static void workflow_yaml(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	char digest[65];
	char **nested = NULL;
	size_t i, nr = 0;

	wfyaml_digest("fuzz", (const char *)data, size, digest, &err);
	buf_reset(&err);
	if (!wfyaml_nested("fuzz", (const char *)data, size, &nested, &nr,
			   &err)) {
		for (i = 0; i < nr; i++)
			free(nested[i]);
		free(nested);
	}
	buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list diags;
	struct buf out = BUF_INIT;
	struct doc doc;
	struct model desired;
	struct plan p;
	struct plan_input in;

	if (!dir[0])
		setup();
	put("m.yaml", (const char *)data, size);
	doc_init(&doc);
	diag_list_init(&diags, DIAG_MAX_ERRORS);
	model_init(&desired);
	plan_init(&p);
	if (!manifest_load(&doc, path, &vars, 0, &diags) &&
	    !desired_from_manifest(&doc, &desired, &diags)) {
		memset(&in, 0, sizeof(in));
		in.desired = &desired;
		in.prune = size & 1;
		plan_make(&in, &p, &diags);
	}
	diag_render(&diags, &out, doc_source_line, &doc, 1);
	/* FUZZ_VERBOSE=1 ./fuzz_manifest FILE: what this input did. */
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "%s%zu plan steps\n", out.s ? out.s : "",
			p.steps_nr);
	plan_release(&p);
	model_release(&desired);
	buf_release(&out);
	diag_list_release(&diags);
	doc_release(&doc);
	workflow_yaml(data, size);
	return 0;
}
