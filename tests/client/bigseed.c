#include <stdio.h>

#include <jansson.h>

#include "bigseed.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

struct seed_ctx {
	struct buf *err;
	unsigned failed;
};

static void seed_done(void *ctx, const struct client_response *res)
{
	struct seed_ctx *sc = ctx;

	if (res->code == CLIENT_OK)
		return;
	if (sc->failed++ < 5)
		buf_addf(sc->err, "seed: %s\n", res->error);
}

json_t *bigseed_workflow(const char *name, const char *trigger)
{
	struct buf y = BUF_INIT;
	json_t *j;

	buf_addf(&y, "name: %s\ntrigger:\n  type: %s\nsteps: []\n", name,
		 trigger);
	j = json_pack("{s:s}", "yaml", y.s);
	buf_release(&y);
	return j;
}

int bigseed_run(struct client *c, struct session *s,
		const struct bigseed *b, struct buf *err)
{
	struct seed_ctx sc = { err, 0 };
	struct buf name = BUF_INIT;
	unsigned i;

	for (i = 0; i < b->users; i++) {
		buf_reset(&name);
		buf_addf(&name, "user%04u@example.com", i);
		client_submit(c, s, "POST", "/users/invite",
			      json_pack("{s:s}", "email", name.s),
			      seed_done, &sc);
	}
	for (i = 0; i < b->integrations; i++) {
		buf_reset(&name);
		buf_addf(&name, "int-%03u", i);
		client_submit(c, s, "POST", "/integrations",
			      json_pack("{s:s, s:s, s:{}}", "display_name",
					name.s, "type_id", "webhook",
					"parameters"), seed_done, &sc);
	}
	for (i = 0; i < b->runners; i++) {
		buf_reset(&name);
		buf_addf(&name, "runner-%u", i);
		client_submit(c, s, "POST", "/step_runners",
			      json_pack("{s:s, s:s}", "display_name", name.s,
					"platform", "docker"), seed_done, &sc);
	}
	for (i = 0; i < b->workflows; i++) {
		buf_reset(&name);
		buf_addf(&name, "wf-%03u", i);
		client_submit(c, s, "POST", "/workflows/import",
			      bigseed_workflow(name.s, "on_demand"),
			      seed_done, &sc);
	}
	buf_release(&name);
	if (client_run(c, err))
		return -1;
	return sc.failed ? -1 : 0;
}
