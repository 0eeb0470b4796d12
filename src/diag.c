#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torq/diag.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

void diag_list_init(struct diag_list *l, size_t max_errors)
{
	memset(l, 0, sizeof(*l));
	l->max_errors = max_errors;
}

void diag_list_release(struct diag_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nr; i++) {
		free((char *)l->items[i].mark.file);
		free(l->items[i].path);
		free(l->items[i].message);
	}
	free(l->items);
	diag_list_init(l, l->max_errors);
}

static void push(struct diag_list *l, enum diag_severity sev,
		 const struct mark *mark, const char *path, char *message)
{
	struct diag *d;

	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	d = &l->items[l->nr++];
	d->severity = sev;
	if (mark) {
		d->mark = *mark;
		d->mark.file = mark->file ? xstrdup(mark->file) : NULL;
	} else {
		memset(&d->mark, 0, sizeof(d->mark));
	}
	d->path = path && *path ? xstrdup(path) : NULL;
	d->message = message;
}

void diag_add(struct diag_list *l, enum diag_severity sev,
	      const struct mark *mark, const char *path, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	if (sev == DIAG_ERROR) {
		l->errors++;
		l->dropping = l->max_errors && l->errors > l->max_errors;
		if (l->dropping) {
			l->dropped++;
			return;
		}
	} else if (sev == DIAG_WARNING) {
		l->warnings++;
		l->dropping = 0;
	} else if (l->dropping) {
		return;
	}
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	push(l, sev, mark, path, buf_detach(&msg, NULL));
}

void diag_list_move(struct diag_list *to, struct diag_list *from)
{
	size_t i;

	for (i = 0; i < from->nr; i++) {
		struct diag *d = &from->items[i];

		if (d->severity == DIAG_ERROR) {
			to->errors++;
			to->dropping = to->max_errors &&
				       to->errors > to->max_errors;
			if (to->dropping)
				to->dropped++;
		} else if (d->severity == DIAG_WARNING) {
			to->warnings++;
			to->dropping = 0;
		}
		if (to->dropping) {
			free((char *)d->mark.file);
			free(d->path);
			free(d->message);
			continue;
		}
		ALLOC_GROW(to->items, to->nr + 1, to->alloc);
		to->items[to->nr++] = *d;
	}
	to->errors += from->dropped;
	to->dropped += from->dropped;
	free(from->items);
	diag_list_init(from, from->max_errors);
}

static const char *const sev_name[] = { "error", "warning", "note" };
static const char *const sev_color[] = { "\033[1;31m", "\033[1;35m",
					 "\033[1;36m" };

/* Characters (not bytes) in the first len bytes of s. */
static size_t count_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n, k;

	if (s[0] < 0x80)
		return 1;
	n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 :
	    (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!n || n > len)
		return 0;
	for (k = 1; k < n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Copy a source line for display: tabs become spaces; control characters,
 * Unicode line breaks and bytes that are not UTF-8 become '?', so a
 * terminal shows the line as one line.
 */
static void add_printable(struct buf *out, const char *line, size_t len)
{
	const unsigned char *s = (const unsigned char *)line;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq(s + i, len - i);
		if (s[i] == '\t')
			buf_addch(out, ' ');
		else if (!n || s[i] < 0x20 || s[i] == 0x7f ||
			 (n == 2 && s[i] == 0xc2 && s[i + 1] == 0x85) ||
			 (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
			  (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)))
			buf_addch(out, '?');	/* invisible or a line break */
		else
			buf_add(out, s + i, n);
		i += n ? n : 1;
	}
}

static void render_source(struct buf *out, const struct diag *d,
			  diag_source_fn source, void *ctx, int color)
{
	const char *line;
	size_t len, col;
	char num[32];
	int w;

	if (!source || !d->mark.file || !d->mark.line)
		return;
	line = source(ctx, d->mark.file, d->mark.line, &len);
	if (!line)
		return;
	w = snprintf(num, sizeof(num), "%u", d->mark.line);
	buf_addf(out, " %*s | ", w, num);
	add_printable(out, line, len);
	buf_addch(out, '\n');
	buf_addf(out, " %*s | ", w, "");
	/* libyaml counts columns in characters. */
	col = d->mark.col ? d->mark.col - 1 : 0;
	if (col > count_chars(line, len))
		col = count_chars(line, len);
	buf_addchars(out, ' ', col);
	if (color)
		buf_addstr(out, "\033[1;32m");
	buf_addch(out, '^');
	if (color)
		buf_addstr(out, "\033[0m");
	buf_addch(out, '\n');
}

void diag_render(const struct diag_list *l, struct buf *out,
		 diag_source_fn source, void *ctx, int color)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		const struct diag *d = &l->items[i];

		if (color)
			buf_addstr(out, "\033[1m");
		if (d->mark.file) {
			buf_addstr(out, d->mark.file);
			if (d->mark.line)
				buf_addf(out, ":%u:%u", d->mark.line,
					 d->mark.col);
			buf_addstr(out, ": ");
		}
		if (color)
			buf_addf(out, "\033[0m%s", sev_color[d->severity]);
		buf_addf(out, "%s:", sev_name[d->severity]);
		if (color)
			buf_addstr(out, "\033[0m");
		buf_addf(out, " %s", d->message);
		if (d->path)
			buf_addf(out, " (at %s)", d->path);
		buf_addch(out, '\n');
		render_source(out, d, source, ctx, color);
	}
	if (l->dropped)
		buf_addf(out, "torq-apply: %zu more error%s not shown\n",
			 l->dropped, l->dropped == 1 ? "" : "s");
}

static int is_ident(const char *key)
{
	const char *p;

	if (!*key || isdigit((unsigned char)*key))
		return 0;
	for (p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return 0;
	return 1;
}

void path_push_key(struct buf *path, const char *key)
{
	if (!is_ident(key)) {
		buf_addch(path, '[');
		buf_addquoted(path, key);
		buf_addch(path, ']');
		return;
	}
	if (path->len)
		buf_addch(path, '.');
	buf_addstr(path, key);
}

void path_push_index(struct buf *path, size_t index)
{
	buf_addf(path, "[%zu]", index);
}
