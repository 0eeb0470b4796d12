#ifndef TORQ_EXITCODE_H
#define TORQ_EXITCODE_H

/* The exit codes of torq-apply (README "Exit codes"). */
enum {
	EXIT_OK = 0,		/* success; valid; no changes */
	EXIT_ERROR = 1,		/* bad input, invalid manifest, API failure */
	EXIT_CHANGES = 2,	/* --detailed-exitcode: the plan has changes */
};

#endif
