#ifndef TORQ_SIM_SEED_H
#define TORQ_SIM_SEED_H

#include <jansson.h>

/*
 * What a fresh emulator holds, in the fixture format that --seed FILE also
 * takes (docs/internals/sim.md): ids, times and roles may be left out and
 * are filled in by sim_state_normalize.
 */

/* The default fixture. Returns a new reference. */
json_t *sim_seed_default(void);

/* The ten preset roles every workspace gets, in order. */
struct sim_preset_role {
	const char *name;
	const char *description;
	const char *const *scopes;	/* NULL-terminated */
};

extern const struct sim_preset_role sim_preset_roles[];
extern const unsigned sim_preset_roles_nr;

#endif
