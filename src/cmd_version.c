#include <stdio.h>

#include <jansson.h>

#include "torq/cli.h"
#include "torq/exitcode.h"
#include "torq/load.h"
#include "torq/banned.h"

int cmd_version(int argc, const char **argv)
{
	(void)argc;
	(void)argv;
	printf("torq-apply %s (libyaml %s, jansson %s)\n", TORQ_VERSION,
	       load_yaml_version(), JANSSON_VERSION);
	return EXIT_OK;
}
