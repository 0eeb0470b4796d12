#ifndef TORQ_SIM_API_ASSETS_H
#define TORQ_SIM_API_ASSETS_H

#include "torq/sim/api.h"

/*
 * Handlers of the calls on what a workspace runs: integrations, step
 * runners, workflows, revisions and tags (docs/sim-api.md). Each answers
 * through c->res; each is called with the state lock held and the caller
 * authenticated.
 */
void sim_list_integrations(struct sim_call *c);
void sim_create_integration(struct sim_call *c);
void sim_update_integration(struct sim_call *c);
void sim_delete_integration(struct sim_call *c);

void sim_list_step_runners(struct sim_call *c);
void sim_create_step_runner(struct sim_call *c);
void sim_delete_step_runner(struct sim_call *c);

void sim_list_workflows(struct sim_call *c);
void sim_get_workflow(struct sim_call *c);
void sim_get_revision(struct sim_call *c);
void sim_import_workflow(struct sim_call *c);
void sim_update_workflow(struct sim_call *c);
void sim_publish_workflow(struct sim_call *c);
void sim_add_workflow_tag(struct sim_call *c);
void sim_delete_workflow_tag(struct sim_call *c);
void sim_delete_workflow(struct sim_call *c);

#endif
