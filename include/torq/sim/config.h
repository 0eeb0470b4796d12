#ifndef TORQ_SIM_CONFIG_H
#define TORQ_SIM_CONFIG_H

#include "torq/buf.h"

/*
 * The emulator's settings, fixed at start from the command line and read
 * by every module without a lock. See docs/sim-api.md for the quirks.
 */
enum sim_quirk {
	SIM_QUIRK_EXPIRED_401 = 1 << 0,
	SIM_QUIRK_EMPTY_NEXT_TOKEN = 1 << 1,
	SIM_QUIRK_NO_RETRY_AFTER = 1 << 2,
	SIM_QUIRK_API_KEY_NESTED = 1 << 3,
	SIM_QUIRK_INVITE_EXISTING_400 = 1 << 4,
	SIM_QUIRK_INVITE_EXISTING_200 = 1 << 5,
	SIM_QUIRK_INT64_STRINGS = 1 << 6,
	SIM_QUIRK_DUPLICATE_NAMES = 1 << 7,
	SIM_QUIRK_RUNNER_PLATFORM = 1 << 8,
	SIM_QUIRK_EXTRA_FIELDS = 1 << 9,
};

struct sim_config {
	long port;		/* 0: any free port */
	const char *state_path;	/* --state (borrowed), or NULL */
	const char *seed_path;	/* --seed, borrowed from argv, or NULL */
	long latency_ms;	/* added to every API and token request */
	double rate_limit;	/* requests per second per workspace; 0 off */
	double fault_rate;	/* random faults on every route; 0 off */
	unsigned long fault_seed;
	int fault_seed_set;
	unsigned quirks;	/* enum sim_quirk */
	long token_ttl;		/* seconds */
	long runner_quota;
};

void sim_config_init(struct sim_config *cfg);

/*
 * Parse a comma-separated quirk list ("expired-401,no-retry-after") into
 * *out. Returns 0, or -1 with a message (and a did-you-mean) in err.
 */
int sim_quirks_parse(const char *list, unsigned *out, struct buf *err);

/* The names of every quirk, comma-separated, for --help. */
const char *sim_quirk_names(void);

#endif
