#include <stdlib.h>
#include <string.h>

#include "torq/options.h"
#include "torq/suggest.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static const struct option *find_long(const struct option *opts,
				      const char *name, size_t len)
{
	for (; opts->kind != OPT_END; opts++)
		if (strlen(opts->long_name) == len &&
		    !strncmp(opts->long_name, name, len))
			return opts;
	return NULL;
}

static const struct option *find_short(const struct option *opts, char c)
{
	for (; opts->kind != OPT_END; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

static void unknown(const struct option *opts, const char *arg,
		    struct buf *err)
{
	const char **names = NULL;
	const char *hint;
	size_t n = 0, alloc = 0, len;
	const char *eq = strchr(arg, '=');
	char *word;

	for (; opts->kind != OPT_END; opts++) {
		ALLOC_GROW(names, n + 1, alloc);
		names[n++] = opts->long_name;
	}
	len = eq ? (size_t)(eq - arg) : strlen(arg);
	word = xstrndup(arg + 2, len > 2 ? len - 2 : 0);
	hint = arg[1] == '-' ? suggest(word, names, n) : NULL;
	buf_addf(err, "unknown option '%.*s'", (int)len, arg);
	if (hint)
		buf_addf(err, "; did you mean '--%s'?", hint);
	free(word);
	free(names);
}

static int apply(const struct option *o, const char *arg, void *ctx,
		 struct buf *err)
{
	switch (o->kind) {
	case OPT_FLAG:
		if (o->cb)
			return o->cb(o, NULL, ctx, err) ? OPTIONS_ERROR : 0;
		*(int *)o->target = 1;
		return 0;
	case OPT_STRING:
		*(const char **)o->target = arg;
		return 0;
	case OPT_CALLBACK:
		return o->cb(o, arg, ctx, err) ? OPTIONS_ERROR : 0;
	default:
		return OPTIONS_ERROR;
	}
}

int parse_options(int argc, const char **argv, const struct option *opts,
		  void *ctx, int *nargs, struct buf *err)
{
	int i, n = 0, only_args = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct option *o;

		if (only_args || a[0] != '-' || !a[1]) {
			argv[n++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return OPTIONS_HELP;
		if (a[1] == '-') {
			const char *eq = strchr(a, '=');

			o = find_long(opts, a + 2, eq ? (size_t)(eq - a - 2) :
				      strlen(a + 2));
			if (eq)
				val = eq + 1;
		} else {
			o = a[2] ? NULL : find_short(opts, a[1]);
		}
		if (!o) {
			unknown(opts, a, err);
			return OPTIONS_ERROR;
		}
		if (o->kind == OPT_FLAG) {
			if (val) {
				buf_addf(err, "option '--%s' takes no value",
					 o->long_name);
				return OPTIONS_ERROR;
			}
		} else if (!val) {
			if (i + 1 >= argc) {
				buf_addf(err, "option '--%s' needs a value "
					 "(%s)", o->long_name, o->argname);
				return OPTIONS_ERROR;
			}
			val = argv[++i];
		}
		if (apply(o, val, ctx, err))
			return OPTIONS_ERROR;
	}
	*nargs = n;
	return OPTIONS_OK;
}

void options_usage(const char *usage, const char *summary,
		   const struct option *opts, struct buf *out)
{
	const struct option *o;
	size_t width = 0;
	struct buf left = BUF_INIT;

	buf_addf(out, "usage: %s\n\n%s\n", usage, summary);
	for (o = opts; o->kind != OPT_END; o++) {
		size_t w = strlen(o->long_name) + 2 +
			   (o->short_name ? 4 : 0) +
			   (o->argname ? strlen(o->argname) + 1 : 0);

		if (w > width)
			width = w;
	}
	buf_addstr(out, "\noptions:\n");
	for (o = opts; o->kind != OPT_END; o++) {
		buf_reset(&left);
		if (o->short_name)
			buf_addf(&left, "-%c, ", o->short_name);
		buf_addf(&left, "--%s", o->long_name);
		if (o->argname)
			buf_addf(&left, " %s", o->argname);
		buf_addf(out, "  %-*s  %s\n", (int)width, left.s, o->help);
	}
	buf_addf(out, "  %-*s  %s\n", (int)width, "-h, --help",
		 "show this help");
	buf_release(&left);
}
