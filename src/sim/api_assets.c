#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "torq/sim/api_assets.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/*
 * Integrations: parameters are stored, never returned. sharing_data as
 * documented: not_shared unless shared (the /_sim/share control).
 */

static json_t *integration_json(json_t *in)
{
	json_t *out = json_object();

	sim_copy_fields(out, in, (const char *const[]){ "id", "name",
		"display_name", "type_id", "created_at", "created_by",
		"last_used_at", "sharing_data", NULL });
	if (!json_object_get(out, "sharing_data"))
		json_object_set_new(out, "sharing_data", json_pack(
			"{s:s}", "direction", "not_shared"));
	if (!strcmp(sim_get(in, "type_id"), "webhook")) {
		struct buf url = BUF_INIT;

		buf_addf(&url, "https://hooks.torq.io/v1/webhooks/%s",
			 sim_get(in, "id"));
		json_object_set_new(out, "details", json_pack(
			"{s:{s:s}}", "trigger", "webhook_url", url.s));
		buf_release(&url);
	}
	return sim_prune(out);
}

/* An integration shared into this workspace is used here, changed there. */
static int shared_in(struct sim_call *c, json_t *in)
{
	const char *dir = sim_get(json_object_get(in, "sharing_data"),
				  "direction");

	if (!dir || strcmp(dir, "incoming"))
		return 0;
	sim_fail(c, 403, SIM_PERMISSION_DENIED, "integration '%s' is shared "
		 "into this workspace: only the workspace that shares it can "
		 "change it", sim_get(in, "display_name"));
	return 1;
}

static json_t *integration_item(struct sim_call *c, json_t *in,
				size_t index)
{
	(void)c;
	(void)index;
	return integration_json(in);
}

/* For the filtered lists: an element whose field equals the query's. */
struct field_is {
	const char *field, *value;
};

static int field_is(const json_t *elem, const void *arg)
{
	const struct field_is *f = arg;
	const char *v = sim_get(elem, f->field);

	return v && !strcmp(v, f->value);
}

/*
 * The list of list whose field equals value (all of it when value is
 * absent or empty), answered a page at a time.
 */
static void reply_filtered(struct sim_call *c, const char *name,
			   json_t *list, const char *field,
			   const char *value, sim_item_fn item)
{
	struct field_is f = { field, value };
	struct buf filter = BUF_INIT;
	const size_t *pick = NULL;
	size_t n = json_array_size(list);

	buf_addf(&filter, "%s=%s", field, value ? value : "");
	if (value && *value)
		pick = sim_state_pick(c->state, list, filter.s, field_is, &f,
				      &n);
	sim_reply_page(c, name, list, pick, n, item, filter.s);
	buf_release(&filter);
}

void sim_list_integrations(struct sim_call *c)
{
	reply_filtered(c, "integrations",
		       json_object_get(c->ws, "integrations"), "type_id",
		       sim_query(c, "type_id", "typeId"), integration_item);
}

/* The parameters object of the body, or NULL; -1 after a 400. */
static int body_parameters(struct sim_call *c, json_t **out)
{
	json_t *v = json_object_get(c->body, "parameters");

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "'parameters' must be an object");
		return -1;
	}
	*out = v;
	return 0;
}

void sim_create_integration(struct sim_call *c)
{
	const char *display, *type, *email = sim_get(c->key, "email");
	json_t *list = json_object_get(c->ws, "integrations"), *params, *in;
	char id[SIM_UUID_LEN + 1], now[SIM_TIME_LEN + 1];
	struct buf name = BUF_INIT;

	if (sim_body_string(c, "display_name", 1, &display) ||
	    sim_body_string(c, "type_id", 1, &type) ||
	    body_parameters(c, &params))
		goto out;
	if (!(c->api->cfg->quirks & SIM_QUIRK_DUPLICATE_NAMES) &&
	    sim_find_ci(list, "display_name", display)) {
		sim_fail(c, 409, SIM_ALREADY_EXISTS,
			 "an integration named '%s' already exists", display);
		goto out;
	}
	sim_state_id(c->state, id);
	sim_time_now(now);
	sim_slug(&name, display);
	in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", id,
		       "name", name.s, "display_name", display, "type_id",
		       type, "created_at", now, "created_by",
		       email ? email : "", "parameters",
		       params ? json_deep_copy(params) : json_object());
	json_array_append_new(list, in);
	sim_reply(c, 200, integration_json(in));
out:
	buf_release(&name);
}

void sim_update_integration(struct sim_call *c)
{
	json_t *in, *params;
	const char *display;

	in = sim_find(json_object_get(c->ws, "integrations"), "id",
		      c->ids[0]);
	if (!in) {
		sim_not_found(c, "integration", c->ids[0]);
		return;
	}
	if (sim_body_string(c, "display_name", 0, &display) ||
	    body_parameters(c, &params))
		return;
	if (display && strcmp(display, sim_get(in, "display_name"))) {
		sim_fail(c, 400, SIM_FAILED_PRECONDITION,
			 "the display name of an integration cannot change");
		return;
	}
	if (shared_in(c, in))
		return;
	if (params)
		json_object_set_new(in, "parameters", json_deep_copy(params));
	sim_reply(c, 200, integration_json(in));
}

void sim_delete_integration(struct sim_call *c)
{
	json_t *in = sim_find(json_object_get(c->ws, "integrations"), "id",
			      c->ids[0]);

	if (in && shared_in(c, in))
		return;
	sim_delete_by_id(c, "integrations", "integration");
}

/* Step runners. */

/*
 * The documented StepRunner: no platform, no options (they are only
 * asked for); quirk runner-platform answers them too.
 */
static json_t *runner_json(struct sim_call *c, json_t *r)
{
	json_t *out = json_object();

	sim_copy_fields(out, r, (const char *const[]){ "id", "name",
		"display_name", "created_time", "last_seen_time", NULL });
	if (c->api->cfg->quirks & SIM_QUIRK_RUNNER_PLATFORM)
		sim_copy_fields(out, r, (const char *const[]){ "platform",
			"kubernetes_options", NULL });
	/* a runner connected (the seed's "connected") was just seen */
	if (json_is_true(json_object_get(r, "connected"))) {
		char now[SIM_TIME_LEN + 1];

		sim_time_now(now);
		json_object_set_new(out, "last_seen_time", json_string(now));
	}
	return sim_prune(out);
}

static json_t *runner_item(struct sim_call *c, json_t *r, size_t index)
{
	(void)index;
	return runner_json(c, r);
}

void sim_list_step_runners(struct sim_call *c)
{
	json_t *list = json_object_get(c->ws, "step_runners");

	sim_reply_page(c, "step_runners", list, NULL, json_array_size(list),
		       runner_item, NULL);
}

void sim_create_step_runner(struct sim_call *c)
{
	json_t *list = json_object_get(c->ws, "step_runners"), *r, *out;
	json_t *opts, *allow = NULL;
	const char *display, *platform;
	char id[SIM_UUID_LEN + 1], now[SIM_TIME_LEN + 1], secret[33];
	struct buf name = BUF_INIT, cmd = BUF_INIT;

	if (sim_body_string(c, "display_name", 1, &display) ||
	    sim_body_string(c, "platform", 1, &platform))
		goto out;
	if (strcmp(platform, "kubernetes") && strcmp(platform, "docker")) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "platform must be kubernetes or docker");
		goto out;
	}
	opts = json_object_get(c->body, "kubernetes_options");
	if (opts && !json_is_null(opts)) {
		allow = json_object_get(opts, "allow_cluster_management");
		if (!json_is_object(opts) ||
		    (allow && !json_is_boolean(allow))) {
			sim_fail(c, 400, SIM_INVALID_ARGUMENT,
				 "kubernetes_options.allow_cluster_management"
				 " must be a boolean");
			goto out;
		}
	}
	if ((long)json_array_size(list) >= c->api->cfg->runner_quota) {
		sim_fail(c, 429, SIM_RESOURCE_EXHAUSTED,
			 "the workspace already has %ld step runners",
			 c->api->cfg->runner_quota);
		goto out;
	}
	if (!(c->api->cfg->quirks & SIM_QUIRK_DUPLICATE_NAMES) &&
	    sim_find_ci(list, "display_name", display)) {
		sim_fail(c, 409, SIM_ALREADY_EXISTS,
			 "a step runner named '%s' already exists", display);
		goto out;
	}
	sim_state_id(c->state, id);
	sim_time_now(now);
	sim_random_hex(&c->state->rng, secret, 16);
	sim_slug(&name, display);
	r = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "name", name.s,
		      "display_name", display, "platform", platform,
		      "created_time", now);
	if (json_is_true(allow))
		json_object_set_new(r, "kubernetes_options", json_pack(
			"{s:b}", "allow_cluster_management", 1));
	json_array_append_new(list, r);
	if (!strcmp(platform, "kubernetes"))
		buf_addf(&cmd, "curl -s -L 'https://sim.torq.invalid/v1/"
			 "step_runners/%s/config?token=%s' | kubectl apply "
			 "-f -", id, secret);
	else
		buf_addf(&cmd, "docker run -d --name %s -e RUNNER_TOKEN=%s "
			 "torq/step-runner:latest", name.s, secret);
	out = runner_json(c, r);
	json_object_set_new(out, "install_command", json_string(cmd.s));
	sim_reply(c, 200, json_pack("{s:o}", "step_runner", out));
out:
	buf_release(&name);
	buf_release(&cmd);
}

void sim_delete_step_runner(struct sim_call *c)
{
	sim_delete_by_id(c, "step_runners", "step runner");
}

/* Workflows. */

static json_t *workflow_json(json_t *wf)
{
	json_t *out = json_object(), *tags = json_array(), *t;
	size_t i;

	sim_copy_fields(out, wf, (const char *const[]){ "id", "name",
		"created_at", "updated_at", NULL });
	json_array_foreach(json_object_get(wf, "tags"), i, t)
		json_array_append_new(tags, json_pack("{s:O}", "name", t));
	json_object_set_new(out, "tags", tags);
	sim_copy_field(out, wf, "current_revision_id");
	sim_copy_field(out, wf, "published_revision_id");
	return sim_prune(out);
}

static json_t *find_workflow(struct sim_call *c)
{
	json_t *wf = sim_find(json_object_get(c->ws, "workflows"), "id",
			      c->ids[0]);

	if (!wf)
		sim_not_found(c, "workflow", c->ids[0]);
	return wf;
}

static void touch(json_t *wf)
{
	char now[SIM_TIME_LEN + 1];

	sim_time_now(now);
	json_object_set_new(wf, "updated_at", json_string(now));
}

static json_t *workflow_item(struct sim_call *c, json_t *wf, size_t index)
{
	(void)c;
	(void)index;
	return workflow_json(wf);
}

void sim_list_workflows(struct sim_call *c)
{
	reply_filtered(c, "workflows", json_object_get(c->ws, "workflows"),
		       "name", sim_query(c, "name", NULL), workflow_item);
}

void sim_get_workflow(struct sim_call *c)
{
	json_t *wf = find_workflow(c);

	if (wf)
		sim_reply(c, 200, workflow_json(wf));
}

void sim_get_revision(struct sim_call *c)
{
	json_t *wf = find_workflow(c), *rev, *out;

	if (!wf)
		return;
	rev = sim_find(json_object_get(wf, "revisions"), "id", c->ids[1]);
	if (!rev) {
		sim_not_found(c, "revision", c->ids[1]);
		return;
	}
	out = json_object();
	sim_copy_field(out, rev, "id");
	json_object_set(out, "workflow_id", json_object_get(wf, "id"));
	sim_copy_field(out, rev, "created_at");
	sim_copy_field(out, rev, "yaml");
	sim_reply(c, 200, json_pack("{s:o}", "revision", sim_prune(out)));
}

/* The body's YAML, analysed; -1 after a 400. */
static int body_yaml(struct sim_call *c, const char **yaml, json_t **info)
{
	struct buf err = BUF_INIT;
	int ret = -1;

	*info = NULL;
	if (sim_body_string(c, "yaml", 1, yaml))
		goto out;
	if (sim_workflow_analyze(*yaml, info, &err)) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT, "%s", err.s);
		goto out;
	}
	ret = 0;
out:
	buf_release(&err);
	return ret;
}

void sim_import_workflow(struct sim_call *c)
{
	const char *yaml, *name;
	json_t *info = NULL, *wf;

	if (sim_body_string(c, "name", 0, &name) ||
	    body_yaml(c, &yaml, &info))
		goto out;
	if (!name || !*name)
		name = sim_get(info, "name");
	if (!name || !*name) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "the workflow has no name: give 'name' or a "
			 "top-level name: in the YAML");
		goto out;
	}
	wf = sim_workflow_add(c->state, c->ws, name, yaml, info);
	sim_reply(c, 200, json_pack("{s:O, s:O}", "workflow_id",
				    json_object_get(wf, "id"), "revision_id",
				    json_object_get(wf,
						    "current_revision_id")));
out:
	json_decref(info);
}

void sim_update_workflow(struct sim_call *c)
{
	json_t *wf = find_workflow(c), *info = NULL;
	const char *yaml;

	if (!wf || body_yaml(c, &yaml, &info))
		goto out;
	sim_workflow_add_revision(c->state, wf, yaml, info);
	sim_reply(c, 200, workflow_json(wf));
out:
	json_decref(info);
}

/* Every nested workflow rev names exists and is published; else a 400. */
static int nested_published(struct sim_call *c, json_t *rev)
{
	json_t *name, *wf, *all = json_object_get(c->ws, "workflows");
	size_t i, j;

	json_array_foreach(json_object_get(rev, "nested"), i, name) {
		const char *n = json_string_value(name);
		int found = 0, published = 0;

		json_array_foreach(all, j, wf) {
			if (strcmp(sim_get(wf, "name"), n))
				continue;
			found = 1;
			if (sim_get(wf, "published_revision_id"))
				published = 1;
		}
		if (!published) {
			sim_fail(c, 400, SIM_FAILED_PRECONDITION,
				 found ? "nested workflow '%s' is not "
				 "published" : "nested workflow '%s' does "
				 "not exist", n);
			return -1;
		}
	}
	return 0;
}

void sim_publish_workflow(struct sim_call *c)
{
	json_t *wf = find_workflow(c), *rev, *saved;
	const char *desc;

	if (!wf)
		return;
	rev = sim_find(json_object_get(wf, "revisions"), "id", c->ids[1]);
	if (!rev) {
		sim_not_found(c, "revision", c->ids[1]);
		return;
	}
	if (sim_body_string(c, "description", 0, &desc))
		return;
	saved = json_object_get(c->body, "time_saved");
	if (saved && !json_is_null(saved) && !json_is_number(saved)) {
		sim_fail(c, 400, SIM_INVALID_ARGUMENT,
			 "'time_saved' must be a number");
		return;
	}
	if (strcmp(c->ids[1], sim_get(wf, "current_revision_id"))) {
		sim_fail(c, 400, SIM_FAILED_PRECONDITION,
			 "only the current revision '%s' can be published",
			 sim_get(wf, "current_revision_id"));
		return;
	}
	if (sim_get(wf, "published_revision_id") &&
	    !strcmp(sim_get(wf, "published_revision_id"), c->ids[1])) {
		sim_reply(c, 200, workflow_json(wf));
		return;
	}
	if (nested_published(c, rev))
		return;
	if (desc)
		json_object_set_new(rev, "description", json_string(desc));
	if (json_is_number(saved))
		json_object_set(rev, "time_saved", saved);
	json_object_set(wf, "published_revision_id", json_object_get(rev,
								     "id"));
	touch(wf);
	sim_reply(c, 200, workflow_json(wf));
}

void sim_add_workflow_tag(struct sim_call *c)
{
	json_t *wf = find_workflow(c), *tags, *t;
	const char *name;
	size_t i;

	if (!wf || sim_body_string(c, "name", 1, &name))
		return;
	tags = json_object_get(wf, "tags");
	json_array_foreach(tags, i, t)
		if (!strcmp(json_string_value(t), name))
			break;
	if (i == json_array_size(tags)) {
		json_array_append_new(tags, json_string(name));
		touch(wf);
	}
	sim_reply(c, 200, workflow_json(wf));
}

void sim_delete_workflow_tag(struct sim_call *c)
{
	json_t *wf = find_workflow(c), *tags, *t;
	size_t i;

	if (!wf)
		return;
	tags = json_object_get(wf, "tags");
	json_array_foreach(tags, i, t)
		if (!strcmp(json_string_value(t), c->ids[1]))
			break;
	if (i == json_array_size(tags)) {
		sim_not_found(c, "tag", c->ids[1]);
		return;
	}
	json_array_remove(tags, i);
	touch(wf);
	sim_reply(c, 200, workflow_json(wf));
}

void sim_delete_workflow(struct sim_call *c)
{
	sim_delete_by_id(c, "workflows", "workflow");
}
