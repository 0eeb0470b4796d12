#ifndef TORQ_UTF8_H
#define TORQ_UTF8_H

#include <stddef.h>

#include <jansson.h>

#include "torq/buf.h"

/*
 * Strict UTF-8 (RFC 3629), as strict as jansson, so what passes here
 * json_string takes: no overlong forms, no surrogates, nothing above
 * U+10FFFF. Strings are NUL-terminated; a NUL is never a continuation
 * byte, so nothing reads past the end of one.
 */

/*
 * The length (1 to 4) of the valid sequence at s, with its code point in
 * *cp; 0 when s does not start one (a continuation byte, a lead byte no
 * sequence has, a sequence cut short, an overlong form, a surrogate or
 * beyond U+10FFFF), and *cp means nothing then. The NUL at the end
 * decodes as U+0000 of length 1.
 */
size_t utf8_decode(const char *s, unsigned long *cp);

/* 1 when all of s is valid UTF-8 (as JSON text must be), else 0. */
int utf8_valid(const char *s);

/*
 * Code points in valid UTF-8 s, as the schema's minLength and maxLength
 * count them: the bytes that are not continuation bytes.
 */
size_t utf8_count(const char *s);

/*
 * 1 for what would let a name rewrite the text it is shown in: C0
 * controls, DEL, C1 controls, the line and paragraph separators
 * (U+2028, U+2029), and the bidirectional overrides (U+202A-U+202E) and
 * isolates (U+2066-U+2069).
 */
int utf8_unsafe(unsigned long cp);

/*
 * Append s with what utf8_unsafe() names and bytes that are not UTF-8
 * escaped: "\n", "\t", "\r", "\x1b" below U+0080 (and for a byte that is
 * not UTF-8), "\u202e" above, hex in lower case. A name then stays on
 * its line, in its order, and cannot drive a terminal.
 */
void utf8_add_clean(struct buf *out, const char *s);
/*
 * The same for a message of several lines: "\n" stays a line break, all
 * else is escaped as utf8_add_clean() does. What the commands print as
 * errors (cli_error) goes through this.
 */
void utf8_add_clean_lines(struct buf *out, const char *s);

/*
 * s (NULL: nothing) cleaned as utf8_add_clean() does, then as HTML text
 * or an attribute's value: & < > " ' become entities, so a name can make
 * no tag and leave no attribute.
 */
void utf8_add_html(struct buf *out, const char *s);

/*
 * A JSON string of s (a new reference), or JSON null for NULL. jansson
 * refuses bytes that are not UTF-8 (json_string returns NULL, and a key
 * set to it would silently go missing), so each such byte becomes U+FFFD.
 */
json_t *utf8_json_string(const char *s);

#endif
