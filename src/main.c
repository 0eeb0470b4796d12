/*
 * torq-apply: a declarative onboarding engine for Torq workspaces. This
 * file holds the command table and nothing else (git.c).
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "torq/cli.h"
#include "torq/exitcode.h"
#include "torq/suggest.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

struct command {
	const char *name;
	int (*fn)(int argc, const char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "apply", cmd_apply,
	  "make the live workspace match the manifest" },
	{ "doctor", cmd_doctor,
	  "check every API call torq-apply relies on, reading only" },
	{ "export", cmd_export,
	  "write a manifest that matches a live workspace" },
	{ "fleet", cmd_fleet,
	  "plan or apply every client of an MSP fleet at once" },
	{ "plan", cmd_plan,
	  "show what apply would change in the live workspace" },
	{ "report", cmd_report,
	  "list the organisation's workspaces with usage figures" },
	{ "validate", cmd_validate,
	  "check manifests and report every problem with file:line:col" },
	{ "version", cmd_version, "print the version" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: torq-apply COMMAND [ARGS]\n\n"
		"A declarative onboarding engine for Torq workspaces.\n\n"
		"commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s  %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\n'torq-apply COMMAND --help' describes a command.\n");
}

/*
 * Keys and integration secrets live in this process's memory: a core
 * dump (a crash, SIGQUIT, gcore) must not write them to disk. No core
 * file, and not dumpable (nor attachable by other users' debuggers).
 */
static void no_core_dumps(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	const char **args = (const char **)argv + 1;
	const char *names[ARRAY_SIZE(commands)];
	const char *hint;
	size_t i;

	no_core_dumps();
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(args[0], "--help") || !strcmp(args[0], "-h") ||
	    !strcmp(args[0], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(args[0], "--version"))
		return cmd_version(argc - 1, args);
	/* torq-apply --plan MANIFEST is torq-apply plan MANIFEST */
	if (!strcmp(args[0], "--plan")) {
		args[0] = "plan";
		return cmd_plan(argc - 1, args);
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		names[i] = commands[i].name;
		if (!strcmp(args[0], commands[i].name))
			return commands[i].fn(argc - 1, args);
	}
	/* torq-apply MANIFEST ... is torq-apply apply MANIFEST ... */
	if (args[0][0] != '-' && !access(args[0], R_OK)) {
		argv[0] = "apply";
		return cmd_apply(argc, (const char **)argv);
	}
	hint = suggest(args[0], names, ARRAY_SIZE(commands));
	if (hint)
		cli_error("'%s' is not a command; did you mean '%s'?",
			  args[0], hint);
	else
		cli_error("'%s' is not a command; see 'torq-apply --help'",
			  args[0]);
	return EXIT_ERROR;
}
