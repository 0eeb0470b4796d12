#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torq/cli.h"
#include "torq/lock.h"
#include "torq/secretcmd.h"
#include "torq/utf8.h"
#include "torq/wrapper.h"
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

#define REPLACE_KIND "step_runner:"

int cli_opt_replace(const struct option *o, const char *arg, void *ctx,
		    struct buf *err)
{
	struct cli_replace *r = o->target;
	const char *colon = strchr(arg, ':');

	(void)ctx;
	if (!colon || colon == arg || !colon[1]) {
		buf_addf(err, "--replace needs KIND:NAME, as in "
			 "step_runner:acme-k8s, not '%s'", arg);
		return -1;
	}
	if (strncmp(arg, REPLACE_KIND, strlen(REPLACE_KIND))) {
		buf_addf(err, "--replace cannot replace a '%.*s': only "
			 "step_runner:NAME (a step runner's install command "
			 "comes only with a new runner)", (int)(colon - arg),
			 arg);
		return -1;
	}
	ALLOC_GROW(r->names, r->nr + 1, r->alloc);
	r->names[r->nr++] = colon + 1;
	return 0;
}

int cli_opt_target(const struct option *o, const char *arg, void *ctx,
		   struct buf *err)
{
	struct target_list *l = o->target;

	(void)ctx;
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	if (target_parse(arg, &l->items[l->nr], err))
		return -1;
	l->nr++;
	return 0;
}

void cli_warn_targeted(const struct plan *p)
{
	struct buf list = BUF_INIT;
	size_t i;

	if (!p->targets_nr)
		return;
	for (i = 0; i < p->targets_nr; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", p->targets[i]);
	cli_print(stderr, "torq-apply: warning: --target: only %s and what "
		  "%s on %s planned; the rest of workspace '%s' is not "
		  "checked. Plan without --target to see it whole.\n", list.s,
		  p->targets_nr == 1 ? "it depends" : "they depend",
		  p->targets_nr == 1 ? "is" : "are", p->workspace);
	buf_release(&list);
}

int cli_opt_lock_timeout(const struct option *o, const char *arg, void *ctx,
			 struct buf *err)
{
	double *timeout = o->target;
	long n;

	(void)ctx;
	if (parse_long(arg, 0, 86400, &n)) {
		buf_addf(err, "--lock-timeout needs whole seconds from 0 to "
			 "86400, not '%s'", arg);
		return -1;
	}
	*timeout = (double)n;
	return 0;
}

int cli_opt_secret_timeout(const struct option *o, const char *arg,
			   void *ctx, struct buf *err)
{
	double *timeout = o->target, t;
	char *end = NULL;

	(void)ctx;
	errno = 0;
	t = arg && *arg ? strtod(arg, &end) : -1;
	/* "nan" and "inf" fail the comparisons */
	if (errno || !end || *end || !(t > 0 && t <= SECRETCMD_MAX_TIMEOUT)) {
		buf_addf(err, "--secret-timeout needs seconds above 0 and at "
			 "most %g (such as 30 or 0.5), not '%s'",
			 SECRETCMD_MAX_TIMEOUT, arg ? arg : "");
		return -1;
	}
	*timeout = t;
	return 0;
}

int cli_opt_max_destroy(const struct option *o, const char *arg, void *ctx,
			struct buf *err)
{
	long *max = o->target;

	(void)ctx;
	if (parse_long(arg, 0, 1000000000, max)) {
		buf_addf(err, "--max-destroy needs a whole number of objects "
			  "from 0, not '%s'", arg);
		return -1;
	}
	return 0;
}

void cli_lock_wait(void *ctx, const char *workspace, const char *path,
		   const struct lock_holder *h)
{
	struct buf who = BUF_INIT;

	(void)ctx;
	lock_describe(h, &who);
	cli_print(stderr, "torq-apply: workspace '%s' is being changed by "
		  "%s; waiting for it to finish (lock '%s'; --lock-timeout "
		  "SECONDS gives up)\n", workspace, who.s, path);
	buf_release(&who);
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
