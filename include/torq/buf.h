#ifndef TORQ_BUF_H
#define TORQ_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable, always NUL-terminated byte buffer (git strbuf). buf.s is never
 * NULL after buf_init, so it can be printed at once. See
 * docs/internals/buf.md.
 */
struct buf {
	char *s;
	size_t len;
	size_t alloc;
};

#define BUF_INIT { buf_empty, 0, 0 }
extern char buf_empty[];

void buf_init(struct buf *b);
/* Free the memory and reset to empty. Accepts a NULL pointer. */
void buf_release(struct buf *b);
/* Hand the string to the caller (who frees it); b is reset to empty. */
char *buf_detach(struct buf *b, size_t *len);

void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_addstr(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Add n copies of c. */
void buf_addchars(struct buf *b, char c, size_t n);
void buf_setlen(struct buf *b, size_t len);
void buf_reset(struct buf *b);
/* Add s as a JSON-style quoted string, escaping what needs escaping. */
void buf_addquoted(struct buf *b, const char *s);

/*
 * Read a whole file into b, refusing files larger than max bytes. Returns 0
 * on success; -1 with errno set (EFBIG when over max) otherwise.
 */
int buf_read_file(struct buf *b, const char *path, size_t max);

#endif
