#ifndef TORQ_CLI_H
#define TORQ_CLI_H

#include <stdio.h>

#include "torq/diag.h"
#include "torq/doc.h"

#define TORQ_VERSION "0.1.0"

/*
 * The commands, dispatched from the table in main.c. Each gets its own
 * arguments (argv[0] is the command name) and returns the exit code; only
 * commands and main() print final errors.
 */
int cmd_validate(int argc, const char **argv);
int cmd_version(int argc, const char **argv);

/* 1 when stream is a terminal and NO_COLOR is unset (https://no-color.org). */
int cli_color(FILE *stream);

/*
 * Print diagnostics to stderr, with source lines from doc (may be NULL)
 * and colour when stderr is a terminal.
 */
void cli_print_diags(const struct diag_list *diags, struct doc *doc);

/* "torq-apply: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
