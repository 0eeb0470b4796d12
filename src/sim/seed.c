#include <stdlib.h>

#include "torq/sim/seed.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static const char *const owner_scopes[] = {
	"playbook.get", "playbook.list", "playbook.execute", "playbook.write",
	"playbook.publish", "event.read", "integration.read",
	"integration.write", "apikey.read", "apikey.write", "user.read",
	"user.write", "step.read", "step.execute", "workspace.variables.read",
	"interaction.submit", "interaction.write", "organizations.write",
	"resource.share", "settings.page.view", NULL,
};
static const char *const contributor_scopes[] = {
	"playbook.get", "playbook.list", "playbook.execute", "playbook.write",
	"playbook.publish", "event.read", "integration.read",
	"integration.write", "user.read", "step.read", "step.execute",
	"workspace.variables.read", "interaction.submit", NULL,
};
static const char *const creator_scopes[] = {
	"playbook.get", "playbook.list", "playbook.execute", "playbook.write",
	"event.read", "integration.read", "integration.write", "step.read",
	"step.execute", "workspace.variables.read", NULL,
};
static const char *const operator_scopes[] = {
	"playbook.get", "playbook.list", "playbook.execute", "event.read",
	"integration.read", "step.read", "step.execute", NULL,
};
static const char *const viewer_scopes[] = {
	"playbook.get", "playbook.list", "event.read", "integration.read",
	"step.read", NULL,
};
static const char *const interact_scopes[] = {
	"interaction.submit", NULL,
};
static const char *const cases_viewer_scopes[] = {
	"case.read", NULL,
};
static const char *const workspace_viewer_scopes[] = {
	"playbook.get", "playbook.list", "event.read", "case.read", NULL,
};
static const char *const cases_analyst_scopes[] = {
	"case.read", "case.write", "interaction.submit", NULL,
};
static const char *const cases_contributor_scopes[] = {
	"case.read", "case.write", "case.manage", "interaction.submit", NULL,
};

const struct sim_preset_role sim_preset_roles[] = {
	{ "Owner", "Full access to the workspace", owner_scopes },
	{ "Contributor", "Build, publish and run workflows",
	  contributor_scopes },
	{ "Creator", "Build workflows; publishing needs a review",
	  creator_scopes },
	{ "Operator", "Run workflows and steps", operator_scopes },
	{ "Viewer", "Read-only access", viewer_scopes },
	{ "Interact Only", "Answer interactions only", interact_scopes },
	{ "Cases Viewer", "Read cases", cases_viewer_scopes },
	{ "Workspace Viewer", "Read the workspace and its cases",
	  workspace_viewer_scopes },
	{ "Cases Analyst", "Work on cases", cases_analyst_scopes },
	{ "Cases Contributor", "Work on and manage cases",
	  cases_contributor_scopes },
};
const unsigned sim_preset_roles_nr = ARRAY_SIZE(sim_preset_roles);

static const char enrich_yaml[] =
	"name: Enrich IOC\n"
	"trigger:\n"
	"  type: nested\n"
	"steps:\n"
	"  - id: lookup\n"
	"    type: integration\n"
	"    integration: virustotal\n"
	"    action: lookup_indicator\n";

static const char phishing_yaml[] =
	"name: Phishing triage\n"
	"trigger:\n"
	"  type: webhook\n"
	"  integration: phishing_webhook\n"
	"steps:\n"
	"  - id: enrich\n"
	"    type: nested\n"
	"    workflow: Enrich IOC\n"
	"  - id: notify\n"
	"    type: integration\n"
	"    integration: slack_alerts\n"
	"    action: send_message\n";

static const char escalation_yaml[] =
	"name: Case escalation\n"
	"trigger:\n"
	"  type: case\n"
	"steps:\n"
	"  - id: enrich\n"
	"    type: nested\n"
	"    workflow: Enrich IOC\n"
	"  - id: page\n"
	"    type: integration\n"
	"    integration: slack_alerts\n"
	"    action: send_message\n";

static const char offboarding_yaml[] =
	"name: Offboarding\n"
	"trigger:\n"
	"  type: on_demand\n"
	"steps:\n"
	"  - id: disable\n"
	"    type: http\n"
	"    url: https://idp.example.com/users/disable\n";

static const char report_yaml[] =
	"name: Daily report\n"
	"trigger:\n"
	"  type: schedule\n"
	"  cron: \"0 7 * * *\"\n"
	"steps:\n"
	"  - id: report\n"
	"    type: integration\n"
	"    integration: slack_alerts\n"
	"    action: send_message\n";

json_t *sim_seed_default(void)
{
	json_t *seed;

	seed = json_pack(
		"{s:i, s:{s:s, s:b}, s:[{s:s, s:[{s:s, s:s, s:s}],"
		" s:[{s:s, s:s, s:s}, {s:s, s:s}, {s:s, s:s},"
		" {s:s, s:s, s:b}, {s:s, s:s, s:s}],"
		" s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s},"
		" {s:s, s:s, s:s}],"
		" s:[{s:s, s:s, s:{s:s, s:s}}, {s:s, s:s, s:{}},"
		" {s:s, s:s, s:{s:s}}],"
		" s:[{s:s, s:s, s:b}],"
		" s:[{s:s, s:b, s:[s]}, {s:s, s:b, s:[s, s]},"
		" {s:s, s:b, s:[s]}, {s:s, s:b, s:[s]}, {s:s, s:b}]}]}",
		"version", 1,
		"organization", "name", "Example Org",
		"automatic_workspace_creation", 1,
		"workspaces", "name", "Template",
		"api_keys", "client_id", "sim-admin",
		"client_secret", "sim-admin-secret",
		"email", "owner@example.com",
		"users",
		"email", "owner@example.com", "role", "Owner",
		"last_login_time", "2024-01-02T03:04:05.000000000Z",
		"email", "alice@example.com", "role", "Contributor",
		"email", "bob@example.com", "role", "Creator",
		"email", "carol@example.com", "role", "Cases Analyst",
		"sso_provision", 1,
		"email", "dave@example.com", "role", "Viewer",
		"status", "INVITATION_SENT",
		"claim_mappings",
		"claim_name", "groups", "claim_value", "secops-admins",
		"role", "Owner",
		"claim_name", "groups", "claim_value", "secops",
		"role", "Contributor",
		"claim_name", "groups", "claim_value", "soc-analysts",
		"role", "Cases Analyst",
		"claim_name", "department", "claim_value", "it",
		"role", "Viewer",
		"integrations",
		"display_name", "Slack Alerts", "type_id", "slack",
		"parameters", "workspace", "example", "bot_token", "xoxb-sim",
		"display_name", "Phishing Webhook", "type_id", "webhook",
		"parameters",
		"display_name", "VirusTotal", "type_id", "virustotal",
		"parameters", "api_key", "vt-sim-key",
		"step_runners",
		"display_name", "Primary Runner", "platform", "kubernetes",
		"connected", 1,
		"workflows",
		"yaml", enrich_yaml, "published", 1, "tags", "enrichment",
		"yaml", phishing_yaml, "published", 1, "tags", "phishing",
		"email",
		"yaml", escalation_yaml, "published", 1, "tags", "cases",
		"yaml", offboarding_yaml, "published", 1, "tags", "identity",
		"yaml", report_yaml, "published", 0);
	if (!seed)
		abort();
	return seed;
}
