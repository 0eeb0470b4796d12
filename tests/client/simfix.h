#ifndef TORQ_TESTS_SIMFIX_H
#define TORQ_TESTS_SIMFIX_H

#include <jansson.h>

#include "../sim/simproc.h"
#include "torq/buf.h"
#include "torq/client.h"

/*
 * The shared fixture of the tests that drive torq-sim through the client:
 * a running emulator (argv[1] of the test program, in sim_bin) and a
 * client pointed at it, logging into f->log. Helpers assert with cmocka.
 */
extern const char *sim_bin;

struct fix {
	struct simproc sim;
	struct client_config cfg;
	struct client *c;
	struct session *admin;
	char api[96], token_url[96];
	struct buf log;
};

double now_s(void);
/* A /_sim/ control call with plain libcurl; asserts a 200, returns the JSON. */
json_t *control(struct fix *f, const char *method, const char *path,
		const char *body);
void faults(struct fix *f, const char *rules);
/* A counter of /_sim/stats (group NULL for the top level). */
long stat_of(struct fix *f, const char *group, const char *key);
/* A new client from f->cfg, with the sim-admin session. */
void fix_client(struct fix *f);
struct fix *fix_start(const char *const *args);
void fix_stop(struct fix *f);
/* cmocka group setup/teardown (torq-sim without a rate limit), and a per-test reset. */
int fix_setup(void **state);
int fix_teardown(void **state);
int fix_reset(void **state);
int call(struct fix *f, const char *method, const char *path, json_t *body,
	 json_t **out, struct buf *err);
json_t *must_call(struct fix *f, const char *method, const char *path,
		  json_t *body);

#endif
