#include <jansson.h>

#include "torq/buf.h"
#include "torq/utf8.h"

#include "torq/banned.h"

size_t utf8_decode(const char *str, unsigned long *cp)
{
	static const unsigned char mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	static const unsigned long min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	const unsigned char *s = (const unsigned char *)str;
	size_t n, i;
	unsigned long c;

	n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 :
		s[0] >= 0xe0 && s[0] <= 0xef ? 3 :
		s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	c = s[0] & mask[n];
	/* a NUL is not a continuation byte: never reads past the end */
	for (i = 1; i < n && (s[i] & 0xc0) == 0x80; i++)
		c = c << 6 | (s[i] & 0x3f);
	if (i < n || c < min[n] || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		n = 0;
	*cp = c;
	return n;
}

int utf8_valid(const char *s)
{
	unsigned long cp;
	size_t n = 1;

	for (; *s && n; s += n)
		n = utf8_decode(s, &cp);
	return n != 0;
}

size_t utf8_count(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int utf8_unsafe(unsigned long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		cp == 0x2028 || cp == 0x2029 ||	/* line, paragraph breaks */
		(cp >= 0x202a && cp <= 0x202e) ||	/* bidi overrides */
		(cp >= 0x2066 && cp <= 0x2069);	/* and isolates */
}

static void add_clean(struct buf *out, const char *s, int keep_newlines)
{
	unsigned long cp;
	size_t n;

	for (; *s; s += n) {
		n = utf8_decode(s, &cp);
		if (!n) {
			buf_addf(out, "\\x%02x", (unsigned char)*s);
			n = 1;
		} else if (cp == '\n' && keep_newlines) {
			buf_addch(out, '\n');
		} else if (cp == '\n') {
			buf_addstr(out, "\\n");
		} else if (cp == '\t') {
			buf_addstr(out, "\\t");
		} else if (cp == '\r') {
			buf_addstr(out, "\\r");
		} else if (cp < 0x80 && utf8_unsafe(cp)) {
			buf_addf(out, "\\x%02lx", cp);
		} else if (utf8_unsafe(cp)) {
			buf_addf(out, "\\u%04lx", cp);
		} else {
			buf_add(out, s, n);
		}
	}
}

void utf8_add_clean(struct buf *out, const char *s)
{
	add_clean(out, s, 0);
}

void utf8_add_clean_lines(struct buf *out, const char *s)
{
	add_clean(out, s, 1);
}

json_t *utf8_json_string(const char *s)
{
	struct buf fixed = BUF_INIT;
	unsigned long cp;
	json_t *j;
	size_t n;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		goto out;
	for (; *s; s += n) {
		n = utf8_decode(s, &cp);
		if (n) {
			buf_add(&fixed, s, n);
		} else {
			buf_addstr(&fixed, "\xef\xbf\xbd");
			n = 1;
		}
	}
	j = json_string(fixed.s);
out:
	buf_release(&fixed);
	return j;
}

void utf8_add_html(struct buf *out, const char *s)
{
	struct buf clean = BUF_INIT;
	const char *p;

	utf8_add_clean(&clean, s ? s : "");
	for (p = clean.s; *p; p++) {
		switch (*p) {
		case '&':
			buf_addstr(out, "&amp;");
			break;
		case '<':
			buf_addstr(out, "&lt;");
			break;
		case '>':
			buf_addstr(out, "&gt;");
			break;
		case '"':
			buf_addstr(out, "&quot;");
			break;
		case '\'':
			buf_addstr(out, "&#39;");
			break;
		default:
			buf_addch(out, *p);
		}
	}
	buf_release(&clean);
}
