#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torq/cli.h"
#include "torq/banned.h"

int cli_color(FILE *stream)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (nc && *nc)
		return 0;
	if (term && !strcmp(term, "dumb"))
		return 0;
	return isatty(fileno(stream));
}

void cli_print_diags(const struct diag_list *diags, struct doc *doc)
{
	struct buf out = BUF_INIT;

	diag_render(diags, &out, doc ? doc_source_line : NULL, doc,
		    cli_color(stderr));
	fputs(out.s, stderr);
	buf_release(&out);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("torq-apply: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
