#ifndef TORQ_OPTIONS_H
#define TORQ_OPTIONS_H

#include "torq/buf.h"

/*
 * Command-line options, one table per command (git parse-options). The
 * same table parses the arguments and prints --help, so help cannot drift
 * from what is accepted.
 */
enum opt_kind {
	OPT_END,
	OPT_FLAG,	/* int *target set to 1, or cb called (arg NULL) */
	OPT_STRING,	/* const char **target set to the argument */
	OPT_CALLBACK,	/* cb called with the argument, in order */
};

struct option;
typedef int (*opt_cb)(const struct option *opt, const char *arg, void *ctx,
		      struct buf *err);

struct option {
	const char *long_name;
	char short_name;	/* 0: none */
	enum opt_kind kind;
	void *target;
	opt_cb cb;
	const char *argname;	/* "FILE"; NULL for flags */
	const char *help;
};

#define OPT_FLAG_(l, s, t, h)        { l, s, OPT_FLAG, t, NULL, NULL, h }
#define OPT_FLAG_CB_(l, s, c, h)     { l, s, OPT_FLAG, NULL, c, NULL, h }
#define OPT_STRING_(l, s, t, a, h)   { l, s, OPT_STRING, t, NULL, a, h }
#define OPT_CALLBACK_(l, s, c, a, h) { l, s, OPT_CALLBACK, NULL, c, a, h }
#define OPT_END_()                   { NULL, 0, OPT_END, NULL, NULL, NULL, NULL }

enum {
	OPTIONS_OK = 0,
	OPTIONS_ERROR = -1,	/* err says why */
	OPTIONS_HELP = 1,	/* --help or -h was given */
};

/*
 * Parse argv[0..argc) (argv[0] is the first argument, not the program).
 * Options and positional arguments may be mixed; "--" ends options.
 * Positional arguments are compacted to the front of argv and counted in
 * *nargs. Unknown options get a did-you-mean in err.
 */
int parse_options(int argc, const char **argv, const struct option *opts,
		  void *ctx, int *nargs, struct buf *err);

/* "usage: <usage>\n\n<summary>\n\noptions:\n  -s, --long ARG  help\n..." */
void options_usage(const char *usage, const char *summary,
		   const struct option *opts, struct buf *out);

#endif
