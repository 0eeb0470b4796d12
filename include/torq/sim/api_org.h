#ifndef TORQ_SIM_API_ORG_H
#define TORQ_SIM_API_ORG_H

#include "torq/sim/api.h"

/*
 * Handlers of the organisation and access calls: workspaces, users, roles
 * and SSO claim mappings (docs/sim-api.md). Each answers through c->res;
 * each is called with the state lock held and the caller authenticated.
 */
void sim_list_workspaces(struct sim_call *c);
void sim_create_workspace(struct sim_call *c);

void sim_list_users(struct sim_call *c);
void sim_invite_user(struct sim_call *c);
void sim_update_user(struct sim_call *c);
void sim_delete_user(struct sim_call *c);
void sim_list_roles(struct sim_call *c);

void sim_list_claim_mappings(struct sim_call *c);
void sim_add_claim_mapping(struct sim_call *c);
void sim_get_claim_mapping(struct sim_call *c);
void sim_update_claim_mapping(struct sim_call *c);
void sim_delete_claim_mapping(struct sim_call *c);

#endif
