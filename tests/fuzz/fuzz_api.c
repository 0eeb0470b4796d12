/*
 * libFuzzer harness for every answer torq-apply's API client reads: the
 * token answer, error bodies, paged lists, workflow revisions, the
 * workspace list, and what apply parses when it creates, patches, imports
 * and recovers by listing. The real client (libcurl) talks HTTP/1.1 over
 * loopback to a tiny server thread below, which hands out answers taken
 * from the input, one per request, in the order the requests arrive.
 * Any crash, leak or sanitizer report is a bug in torq-apply.
 *
 * The input (plain text, so seeds can be written by hand):
 *
 *   @rpRwac             optional first line: the phases to run, in order
 *   200                 record 1: the status line (3 digits; anything else,
 *   X-Request-Id: r-1   or a status outside 200..599, is 200), then header
 *                       lines up to an empty line, then the body
 *   {"access_token": "t", "expires_in": 3600}
 *   %%                  a line of exactly "%%" ends a record
 *   200
 *   {"roles": []}       no empty line: no headers, the rest is the body
 *
 * Only the headers Retry-After, X-Request-Id, Location and Content-Type
 * are passed on (the server writes Content-Length and Connection itself,
 * so no answer can make the client wait for bytes that never come).
 * Bodies of 204 and 304 answers are dropped. When the records run out,
 * every request is answered 401 {"code": 16, ...}: its token is renewed,
 * refused, and every waiting request of that session fails at once, so a
 * run ends in a request or two.
 *
 * Phases, each with a client of its own (so each begins with a token
 * request), parallel 1, no backoff and no rate limit, so the order of
 * requests depends on the input alone:
 *   r  reader_read of the target workspace (all kinds; the YAML of the
 *      manifest's workflows), then what plan does with it: digests of
 *      the workflows read, the fingerprint look-up, plan_make against
 *      the manifest below, and the plan rendered three ways;
 *   p  the same, then apply_run of that plan with the same client, as
 *      `torq-apply apply` does;
 *   R  reader_read of every workflow's YAML, then export_manifest;
 *   w  reader_workspaces with the organisation's key, then the report in
 *      text, CSV and JSON;
 *   a  apply_run of a plan for an existing workspace (made once from the
 *      manifest and a live state built in code): every step kind but the
 *      workspace's, with a journal and a fingerprint store;
 *   c  apply_run of the plan that creates the workspace first, then
 *      everything in it with the new key the answer holds.
 * Without the @ line all six run, in the order rRpwac.
 *
 * FUZZ_API_TRACE=1 in the environment prints each request and the record
 * that answered it, which is how the seeds in tests/fuzz/seeds-api were
 * written. Files apply writes (the key file, install commands, the
 * journal) go to a directory under /dev/shm (else /tmp), deleted after
 * each input; the directory is removed at exit and after a sanitizer
 * report (not after a libFuzzer timeout, which ends the process at once).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "torq/apply.h"
#include "torq/client.h"
#include "torq/desired.h"
#include "torq/export.h"
#include "torq/fingerprint.h"
#include "torq/journal.h"
#include "torq/manifest.h"
#include "torq/plan.h"
#include "torq/reader.h"
#include "torq/render.h"
#include "torq/report.h"
#include "torq/wfyaml.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The server: one connection at a time, static buffers only. */

#define MAX_RECORDS	1024
#define REQ_MAX		(64 * 1024)
#define ANSWER_MAX	(64 * 1024)
#define BODY_MAX	(ANSWER_MAX - 4096)

struct record {
	const char *p;
	size_t len;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct record records[MAX_RECORDS];	/* of the current input */
static size_t records_nr, records_next;
static int listen_fd = -1;
static int trace;
static char req[REQ_MAX];
static char answer[ANSWER_MAX];

static const char default_answer[] =
	"401\n\n{\"code\": 16, \"message\": \"fuzz: no more answers\"}";

/* The offset just past the first "\r\n\r\n" in p[0..n), or 0. */
static size_t head_end(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (!memcmp(p + i, "\r\n\r\n", 4))
			return i + 4;
	return 0;
}

/* The value of header name in the request head, or NULL. */
static const char *req_header(const char *head, size_t n, const char *name,
			      size_t *len)
{
	size_t nl = strlen(name), i = 0, e;

	while (i < n) {
		for (e = i; e < n && head[e] != '\r' && head[e] != '\n'; e++)
			;
		if (e - i > nl && !strncasecmp(head + i, name, nl) &&
		    head[i + nl] == ':') {
			i += nl + 1;
			while (i < e && (head[i] == ' ' || head[i] == '\t'))
				i++;
			*len = e - i;
			return head + i;
		}
		i = e + 1;
	}
	return NULL;
}

static int send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static const char *const passed_headers[] = {
	"retry-after", "x-request-id", "location", "content-type",
};

/* One header line of a record, passed on when it is one of the above. */
static size_t add_header(const char *line, size_t len, char *out,
			 size_t at, int *has_type)
{
	const char *colon = memchr(line, ':', len);
	size_t nl, i, k;

	if (!colon)
		return at;
	nl = (size_t)(colon - line);
	for (k = 0; k < ARRAY_SIZE(passed_headers); k++)
		if (nl == strlen(passed_headers[k]) &&
		    !strncasecmp(line, passed_headers[k], nl))
			break;
	if (k == ARRAY_SIZE(passed_headers) || at + len + 2 > BODY_MAX)
		return at;
	if (k == 3)
		*has_type = 1;
	memcpy(out + at, passed_headers[k], nl);
	at += nl;
	out[at++] = ':';
	/* no control characters: they would end the header early */
	for (i = nl + 1; i < len; i++)
		if ((unsigned char)line[i] >= 0x20 && line[i] != 0x7f)
			out[at++] = line[i];
	out[at++] = '\r';
	out[at++] = '\n';
	return at;
}

/* The HTTP answer for record p[0..len) in answer[]; returns its length. */
static size_t make_answer(const char *p, size_t len, int *status_out)
{
	static char headers[BODY_MAX];
	const char *end = p + len, *rest, *line, *nl, *body = NULL;
	const char *hend = NULL;
	size_t hlen = 0, blen, ll, n;
	int status = 0, i, has_type = 0;

	for (i = 0; i < 3 && p + i < end && p[i] >= '0' && p[i] <= '9'; i++)
		status = status * 10 + (p[i] - '0');
	if (i < 3 || status < 200 || status > 599)
		status = 200;
	nl = memchr(p, '\n', len);
	rest = nl ? nl + 1 : end;
	/* headers up to an empty line; without one, all of it is body */
	for (line = rest; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			break;
		ll = (size_t)(nl - line);
		if (!ll || (ll == 1 && *line == '\r')) {
			hend = line;
			body = nl + 1;
			break;
		}
	}
	if (body) {
		for (line = rest; line < hend; line = nl + 1) {
			nl = memchr(line, '\n', (size_t)(hend - line));
			ll = (size_t)(nl - line);
			if (ll && line[ll - 1] == '\r')
				ll--;
			hlen = add_header(line, ll, headers, hlen, &has_type);
		}
	} else {
		body = rest;
	}
	blen = (size_t)(end - body);
	if (blen > BODY_MAX)
		blen = BODY_MAX;
	if (status == 204 || status == 304)
		blen = 0;
	n = (size_t)snprintf(answer, ANSWER_MAX - BODY_MAX,
			     "HTTP/1.1 %d Fuzz\r\n%sContent-Length: %zu\r\n"
			     "Connection: close\r\n", status, has_type ? "" :
			     "Content-Type: application/json\r\n", blen);
	if (n + hlen + 2 + blen > ANSWER_MAX)
		hlen = 0;
	memcpy(answer + n, headers, hlen);
	n += hlen;
	memcpy(answer + n, "\r\n", 2);
	n += 2;
	memcpy(answer + n, body, blen);
	*status_out = status;
	return n + blen;
}

static void serve_one(int fd)
{
	static char sink[4096];
	struct timeval tv = { 2, 0 };
	size_t got = 0, he, vlen, n;
	const char *v, *sp;
	long clen = 0, left;
	ssize_t r;
	int status;
	char num[24];

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (!(he = head_end(req, got))) {
		if (got == sizeof(req))
			return;
		r = recv(fd, req + got, sizeof(req) - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		got += (size_t)r;
	}
	v = req_header(req, he, "content-length", &vlen);
	if (v && vlen < sizeof(num)) {
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		if (parse_long(num, 0, 1L << 30, &clen))
			clen = 0;
	}
	/* read the whole body, so closing never resets the connection */
	left = clen - (long)(got - he);
	v = req_header(req, he, "expect", &vlen);
	if (left > 0 && v && vlen >= 3 && !strncmp(v, "100", 3) &&
	    send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25))
		return;
	while (left > 0) {
		r = recv(fd, sink, left < (long)sizeof(sink) ? (size_t)left :
			 sizeof(sink), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		left -= (long)r;
	}

	pthread_mutex_lock(&lock);
	if (records_next < records_nr)
		n = make_answer(records[records_next].p,
				records[records_next].len, &status);
	else
		n = make_answer(default_answer, sizeof(default_answer) - 1,
				&status);
	if (trace) {
		sp = memchr(req, '\r', he);
		fprintf(stderr, "fuzz_api: %.*s -> %s %zu: %d\n",
			(int)(sp ? sp - req : 0), req,
			records_next < records_nr ? "record" : "default",
			records_next + 1, status);
	}
	records_next++;
	pthread_mutex_unlock(&lock);
	if (!send_all(fd, answer, n))
		shutdown(fd, SHUT_WR);
}

static void *serve(void *arg)
{
	int fd;

	(void)arg;
	for (;;) {
		fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		serve_one(fd);
		close(fd);
	}
	return NULL;
}

static unsigned short start_server(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	pthread_t t;
	int one = 1;

	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0)
		abort();
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(listen_fd, 64) ||
	    getsockname(listen_fd, (struct sockaddr *)&a, &alen))
		abort();
	if (pthread_create(&t, NULL, serve, NULL))
		abort();
	pthread_detach(t);
	return ntohs(a.sin_port);
}

/* Splitting the input into records. */

static void add_record(const char *p, size_t len)
{
	if (records_nr < MAX_RECORDS) {
		records[records_nr].p = p;
		records[records_nr].len = len;
		records_nr++;
	}
}

/* The phases asked for into phases; records[] point into the input. */
static void split_input(const char *p, size_t n, char *phases, size_t max)
{
	const char *end = p + n, *line, *nl, *start;
	size_t k = 0, ll;

	phases[0] = '\0';
	if (n && *p == '@') {
		nl = memchr(p, '\n', n);
		for (line = p + 1; line < (nl ? nl : end); line++)
			if (*line && strchr("rRpwac", *line) && k + 1 < max)
				phases[k++] = *line;
		phases[k] = '\0';
		p = nl ? nl + 1 : end;
	} else {
		snprintf(phases, max, "rRpwac");
	}
	records_nr = records_next = 0;
	start = line = p;
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		ll = (size_t)((nl ? nl : end) - line);
		if ((ll == 2 || (ll == 3 && line[2] == '\r')) &&
		    line[0] == '%' && line[1] == '%') {
			add_record(start, line > start ?
				   (size_t)(line - 1 - start) : 0);
			start = nl ? nl + 1 : end;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	if (start < end)
		add_record(start, (size_t)(end - start));
}

/* The workspace, as a manifest and as the live state of plan a. */

#define WS_NAME "Fuzz SOC"

static const char manifest_text[] =
	"version: 1\n"
	"workspace:\n"
	"  name: " WS_NAME "\n"
	"  create: true\n"
	"  copy_sso: true\n"
	"  credentials_out: out/new-key.json\n"
	"claim_mappings:\n"
	"  items:\n"
	"    - { claim: groups, value: soc, role: Operator }\n"
	"    - { claim: groups, value: leads, role: Contributor }\n"
	"    - { claim: groups, value: admins, role: Owner }\n"
	"users:\n"
	"  - { email: alice@acme.example, role: Owner }\n"
	"  - { email: bob@acme.example, role: Contributor }\n"
	"  - { email: carol@acme.example, role: Operator }\n"
	"integrations:\n"
	"  - name: slack-acme\n"
	"    vendor: slack\n"
	"    parameters:\n"
	"      webhook_url: ${secret:file:webhook.secret}\n"
	"      channel: \"#acme-alerts\"\n"
	"  - name: jira-acme\n"
	"    vendor: jira\n"
	"    parameters: { url: \"https://acme.atlassian.example\" }\n"
	"step_runners:\n"
	"  - name: acme-k8s\n"
	"    platform: kubernetes\n"
	"    allow_cluster_management: true\n"
	"    install_commands_out: out/acme-k8s.sh\n"
	"  - name: acme-docker\n"
	"    platform: docker\n"
	"    install_commands_out: out/acme-docker.sh\n"
	"workflows:\n"
	"  - { name: Enrich IOC, file: enrich.yaml, publish: true,"
	" tags: [enrichment] }\n"
	"  - { name: Offboarding, file: offboarding.yaml, publish: true,"
	" tags: [hr] }\n"
	"policy:\n"
	"  prune: true\n";

static const char enrich_yaml[] =
	"name: Enrich IOC\ntrigger: webhook\nsteps:\n"
	"  - { id: lookup, type: http, url: \"https://vt.example/x\" }\n";
static const char offboarding_yaml[] =
	"name: Offboarding\ntrigger: manual\nsteps:\n"
	"  - { id: disable, type: http, url: \"https://idp.example/d\" }\n";
static const char old_yaml[] =
	"name: Enrich IOC\ntrigger: webhook\nsteps: []\n";

static char dir[128];
static char api_url[96], token_url[96];
static struct doc doc;
static struct model desired, live_a;
static struct plan plan_a, plan_c;

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (!fp || fputs(text, fp) < 0 || fclose(fp) || chmod(path, mode))
		abort();
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void cleanup(void)
{
	if (dir[0])
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void digest(struct model_workflow *w, int nested)
{
	struct buf err = BUF_INIT;
	char d[65];

	if (wfyaml_digest("fuzz", w->content, strlen(w->content), d, &err) ||
	    (nested && wfyaml_nested("fuzz", w->content, strlen(w->content),
				     &w->nested, &w->nested_nr, &err)))
		abort();
	w->content_digest = xstrdup(d);
	buf_release(&err);
}

static void add_live_role(const char *id, const char *name)
{
	struct model_role *r = model_add_role(&live_a);

	r->id = xstrdup(id);
	r->name = xstrdup(name);
}

static void add_live_user(const char *id, const char *email,
			  const char *role_id, const char *role)
{
	struct model_user *u = model_add_user(&live_a);

	u->id = xstrdup(id);
	u->email = xstrdup(email);
	u->role_id = xstrdup(role_id);
	u->role = xstrdup(role);
	u->status = MODEL_USER_VERIFIED;
}

static void add_live_mapping(const char *id, const char *value,
			     const char *role_id, const char *role, long rank)
{
	struct model_claim_mapping *m = model_add_claim_mapping(&live_a);

	m->id = xstrdup(id);
	m->claim = xstrdup("groups");
	m->value = xstrdup(value);
	m->role_id = xstrdup(role_id);
	m->role = xstrdup(role);
	m->rank = rank;
}

/*
 * The live state plan a is made against: each difference to the manifest
 * gives one kind of step (see the comments).
 */
static void build_live(void)
{
	struct model_integration *in;
	struct model_runner *rn;
	struct model_workflow *wf;

	model_init(&live_a);
	live_a.kinds = MODEL_ALL;
	live_a.workspace.name = xstrdup(WS_NAME);
	add_live_role("r-owner", "Owner");
	add_live_role("r-contrib", "Contributor");
	add_live_role("r-op", "Operator");
	add_live_role("r-view", "Viewer");
	add_live_user("u-alice", "alice@acme.example", "r-owner", "Owner");
	/* update_user (role), delete_user; carol is invited */
	add_live_user("u-bob", "bob@acme.example", "r-view", "Viewer");
	add_live_user("u-dave", "dave@acme.example", "r-op", "Operator");
	/* update_claim_mapping (role, then rank), delete; admins created */
	add_live_mapping("cm-leads", "leads", "r-contrib", "Contributor", 1);
	add_live_mapping("cm-soc", "soc", "r-view", "Viewer", 2);
	add_live_mapping("cm-old", "old", "r-op", "Operator", 3);
	/* update_integration (no fingerprint recorded), delete; jira made */
	in = model_add_integration(&live_a);
	in->id = xstrdup("i-slack");
	in->name = xstrdup("slack-acme");
	in->vendor = xstrdup("slack");
	in = model_add_integration(&live_a);
	in->id = xstrdup("i-old");
	in->name = xstrdup("old-integration");
	in->vendor = xstrdup("webhook");
	/* delete_step_runner; both of the manifest's are created */
	rn = model_add_runner(&live_a);
	rn->id = xstrdup("s-old");
	rn->name = xstrdup("old-runner");
	rn->platform = xstrdup("docker");
	/* update, add_tag, remove_tag, publish; Offboarding imported */
	wf = model_add_workflow(&live_a);
	wf->id = xstrdup("w-enrich");
	wf->name = xstrdup("Enrich IOC");
	wf->current_revision_id = xstrdup("rev-2");
	wf->published_revision_id = xstrdup("rev-1");
	wf->content = xstrdup(old_yaml);
	model_workflow_add_tag(wf, "legacy");
	wf->tags_set = 1;
	digest(wf, 0);
	/* delete_workflow */
	wf = model_add_workflow(&live_a);
	wf->id = xstrdup("w-legacy");
	wf->name = xstrdup("Legacy");
	wf->current_revision_id = xstrdup("rev-9");
	wf->tags_set = 1;
	model_sort(&live_a);
}

static void make_plan(const struct model *live, struct plan *out)
{
	struct plan_input in;
	struct diag_list diags;

	memset(&in, 0, sizeof(in));
	in.desired = &desired;
	in.live = live;
	in.prune = 1;
	diag_list_init(&diags, DIAG_MAX_ERRORS);
	if (plan_make(&in, out, &diags) || diags.errors) {
		fprintf(stderr, "fuzz_api: the fixed plan has errors\n");
		abort();
	}
	diag_list_release(&diags);
}

static void setup(void)
{
	static const char *const bases[] = { "/dev/shm", "/tmp" };
	struct diag_list diags;
	struct varset vars;
	struct fingerprint_store store;
	struct buf err = BUF_INIT, path = BUF_INIT, text = BUF_INIT;
	unsigned seen = 0;
	unsigned short port;
	size_t i;
	char fp[65];

	trace = getenv("FUZZ_API_TRACE") != NULL;
	for (i = 0; i < ARRAY_SIZE(bases) && !dir[0]; i++) {
		snprintf(dir, sizeof(dir), "%s/fuzz-api-XXXXXX", bases[i]);
		if (!mkdtemp(dir))
			dir[0] = '\0';
	}
	if (!dir[0])
		abort();
	atexit(cleanup);
	__sanitizer_set_death_callback(cleanup);	/* a crash, too */
	write_file("m.yaml", manifest_text, 0644);
	write_file("webhook.secret", "https://hooks.example/T0/B0/s3cr3t\n",
		   0600);
	write_file("enrich.yaml", enrich_yaml, 0644);
	write_file("offboarding.yaml", offboarding_yaml, 0644);

	/* The desired state, as prepare.c makes it. */
	doc_init(&doc);
	varset_init(&vars);
	diag_list_init(&diags, DIAG_MAX_ERRORS);
	buf_addf(&path, "%s/m.yaml", dir);
	if (manifest_load(&doc, path.s, &vars, 0, &diags) ||
	    desired_from_manifest(&doc, &desired, &diags)) {
		diag_render(&diags, &err, doc_source_line, &doc, 0);
		fprintf(stderr, "fuzz_api: the fixed manifest: %s\n", err.s);
		abort();
	}
	for (i = 0; i < desired.workflows_nr; i++) {
		buf_reset(&text);
		if (buf_read_file(&text, desired.workflows[i].file, 1 << 20))
			abort();
		desired.workflows[i].content = buf_detach(&text, NULL);
		digest(&desired.workflows[i], 1);
	}
	if (fingerprint_store_open(&store, dir, &err))
		abort();
	for (i = 0; i < desired.integrations_nr; i++) {
		struct model_integration *in = &desired.integrations[i];

		in->has_secret = fingerprint_has_secret(&doc, in->parameters);
		if (fingerprint_params(&doc, in->parameters, store.salt, fp,
				       &err))
			abort();
		in->fingerprint = xstrdup(fp);
	}
	fingerprint_store_release(&store);

	/* The two plans; together they hold every kind of step. */
	build_live();
	make_plan(&live_a, &plan_a);
	make_plan(NULL, &plan_c);
	for (i = 0; i < plan_a.steps_nr; i++)
		seen |= 1u << plan_a.steps[i].kind;
	for (i = 0; i < plan_c.steps_nr; i++)
		seen |= 1u << plan_c.steps[i].kind;
	if (seen != (1u << STEP_KIND_NR) - 1) {
		fprintf(stderr, "fuzz_api: the fixed plans miss step kinds "
			"(%#x)\n", seen);
		abort();
	}

	if (trace) {
		render_text(&plan_a, 0, &text);
		render_text(&plan_c, 0, &text);
		fprintf(stderr, "fuzz_api: the fixed plans:\n%s", text.s);
	}
	port = start_server();
	snprintf(api_url, sizeof(api_url), "http://127.0.0.1:%u/public/v1alpha",
		 port);
	snprintf(token_url, sizeof(token_url),
		 "http://127.0.0.1:%u/v1/auth/token", port);
	varset_release(&vars);
	diag_list_release(&diags);
	buf_release(&err);
	buf_release(&path);
	buf_release(&text);
}

/* The phases. */

static void quiet_log(void *ctx, const char *line)
{
	(void)ctx;
	if (strlen(line) > (64u << 20))
		abort();
}

static void quiet_progress(void *ctx, const struct apply_event *ev)
{
	(void)ctx;
	if (ev->message && strlen(ev->message) > (64u << 20))
		abort();
}

static struct client *new_client(struct session **target,
				 struct session **org)
{
	struct client_config cfg;
	struct client *c;
	struct buf err = BUF_INIT;

	client_config_init(&cfg);
	cfg.api = api_url;
	cfg.token_url = token_url;
	cfg.rate_limit = 0;
	cfg.parallel = 1;
	cfg.timeout_ms = 2000;
	cfg.connect_timeout_ms = 2000;
	cfg.max_attempts = 2;
	cfg.retry_budget_ms = 10000;
	/*
	 * No backoff at all: with even 1 ms, a retried request would start
	 * before or after the next queued one depending on timing, and the
	 * records would answer other requests from run to run.
	 */
	cfg.backoff_base_ms = 0;
	cfg.backoff_cap_ms = 0;
	cfg.retry_after_cap_ms = 0;
	cfg.seed = 1;
	cfg.log = quiet_log;
	c = client_new(&cfg, &err);
	if (!c)
		abort();
	buf_release(&err);
	*target = client_session(c, "fuzz-target", "fuzz-target-secret");
	*org = client_session(c, "fuzz-org", "fuzz-org-secret");
	return c;
}

/*
 * What prepare.c does with a workspace read: digests of the workflows'
 * YAML, the fingerprints recorded, the live state's digest, the plan.
 * Returns 0 with a plan in p (to be released), or -1 where prepare stops.
 */
static int plan_read(struct model *live, struct fingerprint_store *store,
		     struct plan *p)
{
	struct plan_input in;
	struct diag_list diags;
	struct buf err = BUF_INIT, out = BUF_INIT;
	json_t *j;
	char *text, d[65];
	const char *rec;
	size_t i;
	int ret = -1;

	plan_init(p);
	for (i = 0; i < live->workflows_nr; i++) {
		struct model_workflow *w = &live->workflows[i];

		if (!w->content)
			continue;
		if (wfyaml_digest("live", w->content, strlen(w->content), d,
				  &err))
			goto out;
		free(w->content_digest);
		w->content_digest = xstrdup(d);
	}
	for (i = 0; i < live->integrations_nr; i++) {
		rec = fingerprint_store_get(store, WS_NAME,
					    live->integrations[i].name);
		free(live->integrations[i].fingerprint);
		live->integrations[i].fingerprint = rec ? xstrdup(rec) : NULL;
	}
	j = model_to_json(live);
	text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	free(text);
	json_decref(j);

	memset(&in, 0, sizeof(in));
	in.desired = &desired;
	in.live = live;
	in.prune = 1;
	diag_list_init(&diags, DIAG_MAX_ERRORS);
	if (!plan_make(&in, p, &diags) && !diags.errors)
		ret = 0;
	diag_render(&diags, &out, doc_source_line, &doc, 0);
	diag_list_release(&diags);
out:
	buf_release(&err);
	buf_release(&out);
	return ret;
}

/* apply_run as prepared_apply does it, then nothing left behind. */
static void run_apply(struct client *c, struct session *org,
		      struct session *target, const struct plan *p,
		      const struct model *live)
{
	struct fingerprint_store store;
	struct journal jn;
	struct apply_env env;
	struct apply_result res;
	struct buf err = BUF_INIT, path = BUF_INIT;
	size_t i;
	int rc;

	if (fingerprint_store_open(&store, dir, &err) ||
	    journal_open(&jn, dir, p->workspace, &err) ||
	    journal_begin(&jn, p->workspace, p->steps_nr, &err)) {
		fprintf(stderr, "fuzz_api: %s\n", err.s);
		abort();
	}
	memset(&env, 0, sizeof(env));
	env.client = c;
	env.org = org;
	env.target = target;
	env.doc = &doc;
	env.desired = &desired;
	env.live = live;
	env.store = &store;
	env.journal = &jn;
	env.progress = quiet_progress;
	rc = apply_run(&env, p, &res, &err);
	journal_end(&jn, rc ? "failed" : "ok", res.done, res.failed,
		    res.skipped, &err);
	journal_close(&jn);
	if (trace)
		fprintf(stderr, "fuzz_api: apply: %d, %zu done, %zu failed, "
			"%zu skipped\n", rc, res.done, res.failed,
			res.skipped);
	/* every step ends, done, failed or skipped */
	if (res.done + res.failed + res.skipped != p->steps_nr && rc != -2) {
		fprintf(stderr, "fuzz_api: %zu of %zu steps ended\n",
			res.done + res.failed + res.skipped, p->steps_nr);
		abort();
	}

	for (i = 0; i < res.files_nr; i++)
		unlink(res.files[i]);
	apply_result_release(&res);
	if (desired.workspace.credentials_out)
		unlink(desired.workspace.credentials_out);
	for (i = 0; i < desired.runners_nr; i++)
		if (desired.runners[i].install_commands_out)
			unlink(desired.runners[i].install_commands_out);
	journal_path(dir, p->workspace, &path);
	unlink(path.s);
	fingerprint_store_release(&store);
	buf_release(&err);
	buf_release(&path);
}

/* r, R, p: read; then plan (and apply that plan), or export. */
static void phase_read(char what)
{
	static const char *const names[] = { "Enrich IOC", "Offboarding" };
	struct reader_options o;
	struct session *target, *org;
	struct client *c = new_client(&target, &org);
	struct fingerprint_store store;
	struct export_options eo = { WS_NAME, NULL };
	struct export_result er;
	struct model live;
	struct plan p;
	struct buf err = BUF_INIT, out = BUF_INIT;

	memset(&o, 0, sizeof(o));
	o.page_size = 2;
	if (what == 'R') {
		o.all_contents = 1;
	} else {
		o.contents = names;
		o.contents_nr = ARRAY_SIZE(names);
	}
	model_init(&live);
	if (reader_read(c, target, &o, &live, &err)) {
		if (trace)
			fprintf(stderr, "fuzz_api: read failed: %s\n", err.s);
		goto out;
	}
	if (trace)
		fprintf(stderr, "fuzz_api: read %zu users, %zu mappings, "
			"%zu integrations, %zu runners, %zu workflows\n",
			live.users_nr, live.claim_mappings_nr,
			live.integrations_nr, live.runners_nr,
			live.workflows_nr);
	if (what == 'R') {
		export_result_init(&er);
		if (export_manifest(&live, &eo, &er, &err) && trace)
			fprintf(stderr, "fuzz_api: export: %s\n", err.s);
		export_result_release(&er);
		goto out;
	}
	if (fingerprint_store_open(&store, dir, &err))
		abort();
	if (!plan_read(&live, &store, &p)) {
		render_text(&p, 1, &out);
		render_markdown(&p, &out);
		json_decref(render_json(&p));
		if (trace)
			fprintf(stderr, "fuzz_api: a plan of %zu steps\n",
				p.steps_nr);
		if (what == 'p')
			run_apply(c, org, target, &p, &live);
	} else if (trace) {
		fprintf(stderr, "fuzz_api: no plan (prepare would stop)\n");
	}
	plan_release(&p);
	fingerprint_store_release(&store);
out:
	model_release(&live);
	buf_release(&err);
	buf_release(&out);
	client_free(c);
}

static void phase_workspaces(void)
{
	struct session *target, *org;
	struct client *c = new_client(&target, &org);
	struct model_workspace *ws = NULL;
	struct report_totals t;
	struct buf err = BUF_INIT, out = BUF_INIT;
	size_t nr = 0, i;

	if (reader_workspaces(c, org, &ws, &nr, &err)) {
		if (trace)
			fprintf(stderr, "fuzz_api: read failed: %s\n", err.s);
	} else {
		if (trace)
			fprintf(stderr, "fuzz_api: %zu workspaces\n", nr);
		report_totals(ws, nr, &t);
		report_text(ws, nr, &out);
		report_csv(ws, nr, NULL, &out);
		json_decref(report_json(ws, nr, NULL));
		for (i = 0; i < nr; i++)
			model_workspace_release(&ws[i]);
		free(ws);
	}
	buf_release(&err);
	buf_release(&out);
	client_free(c);
}

/* a, c: the fixed plans. */
static void phase_apply(int create)
{
	struct session *target, *org;
	struct client *c = new_client(&target, &org);

	run_apply(c, org, create ? NULL : target, create ? &plan_c : &plan_a,
		  create ? NULL : &live_a);
	client_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char phases[9];
	const char *ph;

	if (!ready) {
		setup();
		ready = 1;
	}
	pthread_mutex_lock(&lock);
	split_input((const char *)data, size, phases, sizeof(phases));
	pthread_mutex_unlock(&lock);
	for (ph = phases; *ph; ph++) {
		switch (*ph) {
		case 'r':
		case 'R':
		case 'p':
			phase_read(*ph);
			break;
		case 'w':
			phase_workspaces();
			break;
		case 'a':
			phase_apply(0);
			break;
		case 'c':
			phase_apply(1);
			break;
		}
	}
	/* The input is freed after this: the server must not see it. */
	pthread_mutex_lock(&lock);
	records_nr = records_next = 0;
	pthread_mutex_unlock(&lock);
	return 0;
}
