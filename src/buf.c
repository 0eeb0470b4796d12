#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torq/buf.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

char buf_empty[1];

void buf_init(struct buf *b)
{
	b->s = buf_empty;
	b->len = 0;
	b->alloc = 0;
}

void buf_release(struct buf *b)
{
	if (!b)
		return;
	if (b->alloc)
		free(b->s);
	buf_init(b);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *s;

	if (!b->alloc)
		buf_grow(b, 0);
	s = b->s;
	if (len)
		*len = b->len;
	buf_init(b);
	return s;
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;

	if (want <= b->alloc)
		return;
	if (!b->alloc)
		b->s = NULL;
	if (want < 2 * b->alloc)
		want = 2 * b->alloc;
	if (want < 64)
		want = 64;
	b->s = xrealloc(b->s, want);
	if (!b->alloc)
		b->s[0] = '\0';
	b->alloc = want;
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	buf_grow(b, len);
	memcpy(b->s + b->len, data, len);
	buf_setlen(b, b->len + len);
}

void buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

void buf_addchars(struct buf *b, char c, size_t n)
{
	buf_grow(b, n);
	memset(b->s + b->len, c, n);
	buf_setlen(b, b->len + n);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_setlen(struct buf *b, size_t len)
{
	if (!b->alloc) {
		if (len)
			abort();
		return;
	}
	b->len = len;
	b->s[len] = '\0';
}

void buf_reset(struct buf *b)
{
	buf_setlen(b, 0);
}

void buf_addquoted(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_addch(b, '\\');
			buf_addch(b, (char)c);
		} else if (c == '\n') {
			buf_addstr(b, "\\n");
		} else if (c == '\t') {
			buf_addstr(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			buf_addf(b, "\\u%04x", c);
		} else {
			buf_addch(b, (char)c);
		}
	}
	buf_addch(b, '"');
}

int buf_read_file(struct buf *b, const char *path, size_t max)
{
	FILE *f;
	char chunk[8192];
	size_t n;
	size_t start = b->len;
	int ret = -1;
	int saved;

	f = fopen(path, "rb");
	if (!f)
		return -1;
	errno = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len - start + n > max) {
			errno = EFBIG;
			goto out;
		}
		buf_add(b, chunk, n);
	}
	if (ferror(f)) {
		if (!errno)
			errno = EIO;
		goto out;
	}
	ret = 0;
out:
	saved = errno;
	if (ret)
		buf_setlen(b, b->alloc ? start : 0);
	fclose(f);
	errno = saved;
	return ret;
}
