#ifndef TORQ_WRAPPER_H
#define TORQ_WRAPPER_H

#include <stddef.h>

/*
 * Allocation helpers that never return NULL: on out-of-memory they print
 * one line to stderr and abort, since no caller could do better.
 */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/*
 * Grow *items so that it holds at least nr elements of size elt. It starts
 * small: a plan holds a list of changes per step, for 100,000 steps.
 */
#define ALLOC_GROW(items, nr, alloc) \
	do { \
		if ((nr) > (alloc)) { \
			(alloc) = (alloc) < 4 ? 4 : (alloc); \
			while ((alloc) < (nr)) \
				(alloc) *= 2; \
			(items) = xrealloc((items), (alloc) * sizeof(*(items))); \
		} \
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Parse a whole decimal integer in [min, max] (OpenBSD strtonum). Returns 0
 * and sets *out on success; -1 when s is empty, has trailing characters or
 * is out of range.
 */
int parse_long(const char *s, long min, long max, long *out);

/* Overwrite len bytes of p with zeros in a way the compiler keeps. */
void secure_zero(void *p, size_t len);

#endif
