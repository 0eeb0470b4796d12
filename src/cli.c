#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torq/cli.h"
#include "torq/utf8.h"
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

void cli_print(FILE *stream, const char *fmt, ...)
{
	struct buf msg = BUF_INIT, out = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	utf8_add_clean_lines(&out, msg.s);
	fputs(out.s, stream);
	buf_release(&msg);
	buf_release(&out);
}

void cli_error(const char *fmt, ...)
{
	struct buf msg = BUF_INIT, out = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	/* names from the manifest or the API must not drive the terminal */
	buf_addstr(&out, "torq-apply: ");
	utf8_add_clean_lines(&out, msg.s);
	buf_addch(&out, '\n');
	fputs(out.s, stderr);
	buf_release(&msg);
	buf_release(&out);
}

void cli_vars_init(struct cli_vars *v)
{
	varset_init(&v->vars);
	v->resolve_flags = 0;
	doc_init(&v->doc);
	diag_list_init(&v->diags, DIAG_MAX_ERRORS);
}

void cli_vars_release(struct cli_vars *v)
{
	varset_release(&v->vars);
	doc_release(&v->doc);
	diag_list_release(&v->diags);
}

int cli_opt_var(const struct option *o, const char *arg, void *ctx,
		struct buf *err)
{
	struct cli_vars *v = ctx;

	(void)o;
	return varset_parse(&v->vars, arg, err);
}

int cli_opt_extends_anywhere(const struct option *o, const char *arg,
			     void *ctx, struct buf *err)
{
	struct cli_vars *v = ctx;

	(void)o;
	(void)arg;
	(void)err;
	v->resolve_flags |= RESOLVE_EXTENDS_ANYWHERE;
	return 0;
}

int cli_opt_var_file(const struct option *o, const char *arg, void *ctx,
		     struct buf *err)
{
	struct cli_vars *v = ctx;

	(void)o;
	if (varset_load_file(&v->vars, &v->doc, arg, &v->diags)) {
		buf_addf(err, "invalid variable file '%s'", arg);
		return -1;
	}
	return 0;
}
