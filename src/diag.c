#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torq/diag.h"
#include "torq/utf8.h"
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
		l->dropping = l->max_errors && l->warnings > l->max_errors;
		if (l->dropping) {
			l->dropped_warnings++;
			return;
		}
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
			to->dropping = to->max_errors &&
				       to->warnings > to->max_errors;
			if (to->dropping)
				to->dropped_warnings++;
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
	to->warnings += from->dropped_warnings;
	to->dropped_warnings += from->dropped_warnings;
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

/* Byte offset of character chars of s (len bytes), or len. */
static size_t char_offset(const char *s, size_t len, size_t chars)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && !chars--)
			return i;
	return len;
}

/* Append len bytes of s through utf8_add_clean (which wants a string). */
static void add_clean_n(struct buf *out, const char *s, size_t len)
{
	struct buf tmp = BUF_INIT;

	buf_add(&tmp, s, len);
	utf8_add_clean(out, tmp.s);
	buf_release(&tmp);
}

/*
 * The excerpt of a source line: at most DIAG_EXCERPT_CHARS characters
 * around the column, "..." where it was cut, shown through
 * utf8_add_clean() so no byte of it can drive the terminal. *caret is
 * the column of the marked character in what was added.
 */
static void add_excerpt(struct buf *out, const char *line, size_t len,
			size_t col, size_t *caret)
{
	size_t chars = count_chars(line, len), from = 0, to = chars;
	size_t b_from, b_col, b_to, at = out->len;

	if (col > chars)
		col = chars;
	if (chars > DIAG_EXCERPT_CHARS) {
		from = col > DIAG_EXCERPT_CHARS / 2 ?
		       col - DIAG_EXCERPT_CHARS / 2 : 0;
		to = from + DIAG_EXCERPT_CHARS;
		if (to > chars) {
			to = chars;
			from = to - DIAG_EXCERPT_CHARS;
		}
	}
	b_from = char_offset(line, len, from);
	b_col = char_offset(line, len, col);
	b_to = char_offset(line, len, to);
	if (from)
		buf_addstr(out, "...");
	add_clean_n(out, line + b_from, b_col - b_from);
	*caret = count_chars(out->s + at, out->len - at);
	add_clean_n(out, line + b_col, b_to - b_col);
	if (to < chars)
		buf_addstr(out, "...");
}

/* A message, escaped, cut after DIAG_MESSAGE_CHARS characters. */
static void add_message(struct buf *out, const char *message)
{
	struct buf clean = BUF_INIT;

	utf8_add_clean(&clean, message);
	if (count_chars(clean.s, clean.len) > DIAG_MESSAGE_CHARS) {
		buf_add(out, clean.s, char_offset(clean.s, clean.len,
						  DIAG_MESSAGE_CHARS));
		buf_addstr(out, "...");
	} else {
		buf_add(out, clean.s, clean.len);
	}
	buf_release(&clean);
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
	/* libyaml counts columns in characters. */
	add_excerpt(out, line, len, d->mark.col ? d->mark.col - 1 : 0, &col);
	buf_addch(out, '\n');
	buf_addf(out, " %*s | ", w, "");
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
			utf8_add_clean(out, d->mark.file);
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
		/* messages quote names from the manifest: escape them */
		buf_addch(out, ' ');
		add_message(out, d->message);
		if (d->path) {
			buf_addstr(out, " (at ");
			utf8_add_clean(out, d->path);
			buf_addch(out, ')');
		}
		buf_addch(out, '\n');
		render_source(out, d, source, ctx, color);
	}
	if (l->dropped)
		buf_addf(out, "torq-apply: %zu more error%s not shown\n",
			 l->dropped, l->dropped == 1 ? "" : "s");
	if (l->dropped_warnings)
		buf_addf(out, "torq-apply: %zu more warning%s not shown\n",
			 l->dropped_warnings,
			 l->dropped_warnings == 1 ? "" : "s");
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
	/* By hand: called for every item of every list, printf is slow. */
	char digits[3 * sizeof(index) + 2];
	char *p = digits + sizeof(digits);

	*--p = ']';
	do {
		*--p = (char)('0' + index % 10);
		index /= 10;
	} while (index);
	*--p = '[';
	buf_add(path, p, (size_t)(digits + sizeof(digits) - p));
}
