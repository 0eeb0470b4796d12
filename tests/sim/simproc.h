#ifndef TORQ_TESTS_SIMPROC_H
#define TORQ_TESTS_SIMPROC_H

#include <sys/types.h>

/*
 * A torq-sim child process for the tests and the load program: started
 * with --port 0 (under $VALGRIND when set), its port read from the first
 * line it prints.
 */
struct simproc {
	pid_t pid;
	unsigned port;
	char base[64];		/* "http://127.0.0.1:PORT" */
};

/*
 * Start bin with "--port 0" and the NULL-terminated extra arguments.
 * Returns 0, or -1 (with a message on stderr).
 */
int simproc_start(struct simproc *p, const char *bin,
		  const char *const *args);
/*
 * Send sig (SIGTERM for a clean stop) and wait. Returns the exit status,
 * 128 + the signal when killed by one, or -1.
 */
int simproc_stop(struct simproc *p, int sig);

#endif
