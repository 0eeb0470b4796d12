/*
 * JSON Schema draft-07 over jansson trees, with diagnostics written for
 * people who edit YAML. See docs/internals/schema.md for the keywords, the
 * message forms and what is left out.
 *
 * schema_new checks every schema reachable from the root once: keyword
 * values have the right shape, every $ref resolves (its target is cached),
 * every pattern compiles (the regex_t is cached by pattern text). So
 * validation can trust the schema and never fails for its own reasons,
 * except for the $ref depth guard.
 */
#include <limits.h>
#include <math.h>		/* isfinite only: libm is not linked */
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "torq/schema.h"
#include "torq/suggest.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

#define REF_DEPTH_MAX	64	/* $refs being followed at once */
#define QUOTE_MAX	40	/* characters of a value in a message */
#define ENUM_SHOW_MAX	10	/* enum members listed in a message */

struct schema_regex {
	char *pattern;		/* the ECMA-262 text: the cache key */
	regex_t re;
};

struct schema_ref {
	const json_t *holder;	/* the schema object holding "$ref" */
	const json_t *target;
};

struct schema {
	json_t *root;
	struct schema_regex **regexes;	/* sorted by pattern */
	size_t regexes_nr, regexes_alloc;
	struct schema_ref *refs;	/* sorted by holder */
	size_t refs_nr, refs_alloc;
};

/* Outcome of validating one value against one schema. */
enum {
	V_OK,
	V_FAIL,
	V_TYPE,		/* failed on its own "type"; nothing else ran */
};

/*
 * What one schema_validate call shares across its branches: the $ref
 * depth guard, once tripped, ends the whole run, so a schema that
 * recurses through anyOf cannot take exponential time.
 */
struct vrun {
	int aborted;
	struct mark mark;		/* where the guard tripped */
	int has_mark;
	struct buf path;
};

struct vctx {
	struct vrun *run;
	const struct schema *s;
	const struct doc *doc;
	struct diag_list *diags;	/* NULL: count, stop at the first */
	struct buf *path;		/* key path of the value checked */
	size_t errors;			/* failures counted by this run */
	unsigned ref_depth;
	/* A key checked by propertyNames: a temporary node, the key's mark. */
	const json_t *name_node;
	const struct mark *name_mark;
	/*
	 * Where the value being checked sits, for the marks of true, false
	 * and null, which jansson shares (doc_value_mark).
	 */
	const json_t *slot_parent;
	const char *slot_key;
	size_t slot_index;
};

static const char *const type_names[] = {
	"null", "boolean", "object", "array", "number", "string", "integer",
};

/* ---- messages --------------------------------------------------------- */

/* Bytes of the UTF-8 sequence starting with lead byte c (1 when invalid). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* Code points in s (jansson strings are valid UTF-8). */
static size_t utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Add s for a message, cut to QUOTE_MAX characters, with control
 * characters escaped so a message stays on one line.
 */
static void add_text(struct buf *b, const char *s, size_t len)
{
	size_t i = 0, chars = 0, n;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (chars++ == QUOTE_MAX) {
			buf_addstr(b, "...");
			return;
		}
		n = utf8_len(c);
		if (n > len - i)
			n = len - i;
		if (c == '\n')
			buf_addstr(b, "\\n");
		else if (c == '\t')
			buf_addstr(b, "\\t");
		else if (c == '\r')
			buf_addstr(b, "\\r");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(b, "\\x%02x", c);
		else
			buf_add(b, s + i, n);
		i += n;
	}
}

/* Add 'string' for a message. */
static void add_quoted(struct buf *b, const json_t *str)
{
	buf_addch(b, '\'');
	add_text(b, json_string_value(str), json_string_length(str));
	buf_addch(b, '\'');
}

/* Add a value as compact JSON (1, "x", [1,2]), cut like a string. */
static void add_value(struct buf *b, const json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
			     JSON_REAL_PRECISION(15));

	if (!s) {
		buf_addstr(b, "a value");
		return;
	}
	add_text(b, s, strlen(s));
	free(s);
}

static const char *type_article(const char *type)
{
	if (!strcmp(type, "array"))
		return "a list";
	if (!strcmp(type, "object"))
		return "a mapping";
	if (!strcmp(type, "integer"))
		return "an integer";
	if (!strcmp(type, "null"))
		return "null";
	if (!strcmp(type, "boolean"))
		return "a boolean";
	if (!strcmp(type, "number"))
		return "a number";
	return "a string";
}

/* What the value is, for "got ...": "a number", "the string 'yes'". */
static void add_got(struct buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_addstr(b, "the string ");
		add_quoted(b, v);
		break;
	case JSON_OBJECT:
		buf_addstr(b, "a mapping");
		break;
	case JSON_ARRAY:
		buf_addstr(b, "a list");
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		buf_addstr(b, "a number");
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		buf_addstr(b, "a boolean");
		break;
	default:
		buf_addstr(b, "null");
		break;
	}
}

/* Words YAML 1.1 read as booleans and YAML 1.2 reads as strings. */
static int is_yaml11_bool(const json_t *v)
{
	static const char *const words[] = { "yes", "no", "on", "off", "y",
					     "n" };
	const char *s;
	size_t i, k;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	for (i = 0; i < ARRAY_SIZE(words); i++) {
		for (k = 0; s[k] && words[i][k]; k++)
			if ((s[k] | 0x20) != words[i][k])
				break;
		if (!s[k] && !words[i][k])
			return 1;
	}
	return 0;
}

static const struct mark *mark_of(const struct vctx *c, const json_t *v)
{
	if (c->name_node && v == c->name_node)
		return c->name_mark;
	if (doc_shared_node(v) && c->slot_parent)
		return doc_value_mark(c->doc, c->slot_parent, c->slot_key,
				      c->slot_index);
	return doc_mark(c->doc, v, NULL);
}

/* Count one failure; record it when the run keeps diagnostics. */
static void fail(struct vctx *c, const struct mark *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct vctx *c, const struct mark *m, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	c->errors++;
	if (!c->diags)
		return;
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	diag_add(c->diags, DIAG_ERROR, m, c->path->s, "%s", msg.s);
	buf_release(&msg);
}

/* A run without diagnostics stops at its first failure. */
static int stop(const struct vctx *c)
{
	return (!c->diags && c->errors) || c->run->aborted;
}

/* ---- equality --------------------------------------------------------- */

/* JSON Schema equality: 1 equals 1.0, key order does not matter. */
static int json_same(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b),
			       json_string_length(a));
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!json_same(json_array_get(a, i),
				       json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, key, v) {
			json_t *w = json_object_get(b, key);

			if (!w || !json_same(v, w))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

/*
 * Arithmetic without libm, which the build does not link: doubles of 2^53
 * and more are whole numbers, smaller ones fit a long long.
 */
static double dabs(double d)
{
	return d < 0 ? -d : d;
}

static int is_whole(double d)
{
	return dabs(d) >= 9007199254740992.0 || d == (double)(long long)d;
}

/* The distance from d to the nearest whole number (d is finite). */
static double frac_dist(double d)
{
	double r;

	if (dabs(d) >= 9007199254740992.0)
		return 0;
	r = d - (double)(long long)d;	/* in (-1, 1) */
	r = dabs(r);
	return r > 0.5 ? 1 - r : r;
}

/* -1, 0 or 1 as a is below, at or above b; exact for two integers. */
static int num_cmp(const json_t *a, const json_t *b)
{
	double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a);
		json_int_t j = json_integer_value(b);

		return i < j ? -1 : i > j;
	}
	x = json_number_value(a);
	y = json_number_value(b);
	return x < y ? -1 : x > y;
}

/* ---- regular expressions ---------------------------------------------- */

static const char space_chars[] = " \t\n\r\f\v";

/* Read hex digits s[0..n) into *cp. */
static int read_hex(const char *s, size_t n, unsigned long *cp)
{
	size_t i;

	*cp = 0;
	for (i = 0; i < n; i++) {
		char h = s[i];

		if (h >= '0' && h <= '9')
			*cp = *cp * 16 + (unsigned long)(h - '0');
		else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
			*cp = *cp * 16 + (unsigned long)((h | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

static void add_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_addch(b, (char)cp);
	} else if (cp < 0x800) {
		buf_addch(b, (char)(0xc0 | (cp >> 6)));
		buf_addch(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addch(b, (char)(0xe0 | (cp >> 12)));
		buf_addch(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/*
 * The escapes both contexts share: \xHH, \uHHHH and the control letters.
 * *p points after the backslash and is moved past the escape. Returns 0
 * with the code point in *cp, 1 when this is no such escape, -1 on a bad
 * one.
 */
static int char_escape(const char **p, unsigned long *cp, struct buf *why)
{
	const char *s = *p;

	switch (*s) {
	case 'n': *cp = '\n'; break;
	case 't': *cp = '\t'; break;
	case 'r': *cp = '\r'; break;
	case 'f': *cp = '\f'; break;
	case 'v': *cp = '\v'; break;
	case 'x':
	case 'u':
		if (strnlen(s + 1, 4) < (*s == 'x' ? 2u : 4u) ||
		    read_hex(s + 1, *s == 'x' ? 2 : 4, cp)) {
			buf_addf(why, "'\\%c' needs %d hex digits", *s,
				 *s == 'x' ? 2 : 4);
			return -1;
		}
		if (!*cp) {
			buf_addstr(why, "a NUL character cannot be matched");
			return -1;
		}
		if (*cp >= 0xd800 && *cp < 0xe000) {
			buf_addstr(why, "surrogate escapes are not supported");
			return -1;
		}
		*p = s + (*s == 'x' ? 3 : 5);
		return 0;
	default:
		return 1;
	}
	*p = s + 1;
	return 0;
}

/* Why an escape we do not translate is refused. */
static int bad_escape(char e, struct buf *why)
{
	if (e == 'b' || e == 'B')
		buf_addf(why, "'\\%c' (word boundary) is not supported", e);
	else if (e >= '0' && e <= '9')
		buf_addf(why, "'\\%c' (back reference or NUL) is not "
			 "supported", e);
	else if (!e)
		buf_addstr(why, "the pattern ends with a backslash");
	else
		buf_addf(why, "'\\%c' is not supported", e);
	return -1;
}

static int is_ascii_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' &&
					  (c | 0x20) <= 'z');
}

/* The bracket contents for \d, \w, \s (any case; the caller negates). */
static const char *class_text(char e)
{
	switch (e | 0x20) {
	case 'd':
		return "0-9";
	case 'w':
		return "A-Za-z0-9_";
	case 's':
		return space_chars;
	default:
		return NULL;
	}
}

/* Whether e (after a backslash) is a negated class: \D \W \S. */
static int class_negated(char e)
{
	return e == 'D' || e == 'W' || e == 'S';
}

/*
 * One member of an ECMA class: a character (returns 0, *cp set), a class
 * escape (returns 1, *cls set) or an error (-1).
 */
static int class_atom(const char **p, unsigned long *cp, char *cls,
		      struct buf *why)
{
	const char *s = *p;
	int r;

	if (*s != '\\') {
		if ((unsigned char)*s >= 0x80) {
			buf_addstr(why, "non-ASCII characters inside [...] "
				   "are not supported");
			return -1;
		}
		*cp = (unsigned char)*s;
		*p = s + 1;
		return 0;
	}
	s++;
	if (class_text(*s)) {
		*cls = *s;
		*p = s + 1;
		return 1;
	}
	if (*s == 'b') {	/* backspace inside a class */
		*cp = '\b';
		*p = s + 1;
		return 0;
	}
	r = char_escape(&s, cp, why);
	if (r < 0)
		return -1;
	if (r == 0) {
		*p = s;
		if (*cp >= 0x80) {
			buf_addstr(why, "non-ASCII characters inside [...] "
				   "are not supported");
			return -1;
		}
		return 0;
	}
	if (!*s || is_ascii_alnum(*s))
		return bad_escape(*s, why);
	*cp = (unsigned char)*s;
	*p = s + 1;
	return 0;
}

/*
 * regcomp sees bytes in the C locale, where torq-apply runs (it never calls
 * setlocale), but ECMA matches characters. What can match a non-ASCII
 * character ('.', [^...], \S, \D, \W) therefore spells out one UTF-8
 * sequence; positive classes hold ASCII only. In a multibyte locale
 * regcomp counts characters itself and the plain forms are right.
 */
#define ERE_HIGH_BYTES	"\x80-\xff"
#define ERE_MULTIBYTE	"[\xc2-\xdf][\x80-\xbf]|" \
			"[\xe0-\xef][\x80-\xbf][\x80-\xbf]|" \
			"[\xf0-\xf4][\x80-\xbf][\x80-\xbf][\x80-\xbf]"

static int bytes_locale(void)
{
	return MB_CUR_MAX == 1;
}

/* Any character but the ASCII members (bracket text without '^' or ']'). */
static void add_negated(struct buf *out, const char *members)
{
	if (bytes_locale())
		buf_addf(out, "([^%s" ERE_HIGH_BYTES "]|" ERE_MULTIBYTE ")",
			 members);
	else
		buf_addf(out, "[^%s]", members);
}

/*
 * Translate the ECMA class at *p (just after '[') to a POSIX bracket
 * expression. POSIX has no escapes inside brackets, so ']' must come
 * first, '-' last, '^' anywhere but first and '[' where it cannot start
 * "[:" or "[.": the special characters are collected and placed.
 */
static int translate_class(const char **p, struct buf *out, struct buf *why)
{
	struct buf gen = BUF_INIT;
	const char *s = *p;
	int neg = 0, rb = 0, dash = 0, caret = 0, lb = 0, wide, r, ret = -1;
	char cls = 0, negcls = 0;
	int negcls_nr = 0, items = 0;
	unsigned long a, z;
	size_t start;

	if (*s == '^') {
		neg = 1;
		s++;
	}
	while (*s != ']') {
		if (!*s) {
			buf_addstr(why, "a '[' is not closed");
			goto out;
		}
		r = class_atom(&s, &a, &cls, why);
		if (r < 0)
			goto out;
		items++;
		if (r == 1) {
			if (class_negated(cls)) {
				negcls = cls;
				negcls_nr++;
			} else {
				buf_addstr(&gen, class_text(cls));
			}
			continue;
		}
		if (*s == '-' && s[1] && s[1] != ']') {
			s++;
			r = class_atom(&s, &z, &cls, why);
			if (r < 0)
				goto out;
			if (r == 1 || strchr("[]^-", (int)a) ||
			    strchr("[]^-", (int)z)) {
				buf_addstr(why, "this range inside [...] is "
					   "not supported");
				goto out;
			}
			if (z < a) {
				buf_addf(why, "the range '%c-%c' is out of "
					 "order", (char)a, (char)z);
				goto out;
			}
			buf_addch(&gen, (char)a);
			buf_addch(&gen, '-');
			buf_addch(&gen, (char)z);
			continue;
		}
		if (a == ']')
			rb = 1;
		else if (a == '-')
			dash = 1;
		else if (a == '^')
			caret = 1;
		else if (a == '[')
			lb = 1;
		else
			buf_addch(&gen, (char)a);
	}
	s++;
	if (!items && neg) {
		/* [^] is any character, newlines too. */
		add_negated(out, "");
		ret = 0;
		goto out;
	}
	if (!items) {
		buf_addstr(why, "the empty class '[]' is not supported");
		goto out;
	}
	if (negcls_nr) {
		/* [\S] is [^\s]; \S among other members has no POSIX form. */
		if (items > 1) {
			buf_addf(why, "'\\%c' inside [...] with other members "
				 "is not supported", negcls);
			goto out;
		}
		if (neg)
			buf_addf(out, "[%s]", class_text(negcls));
		else
			add_negated(out, class_text(negcls));
		ret = 0;
		goto out;
	}
	wide = neg && bytes_locale();
	if (wide)
		buf_addch(out, '(');
	buf_addch(out, '[');
	if (neg)
		buf_addch(out, '^');
	start = out->len;
	if (rb)
		buf_addch(out, ']');
	if (wide)
		buf_addstr(out, ERE_HIGH_BYTES);
	buf_add(out, gen.s, gen.len);
	if (caret && !neg && out->len == start) {
		/* A leading '^' would negate: something else goes first. */
		if (lb) {
			buf_addch(out, '[');
			lb = 0;
		} else if (dash) {
			buf_addch(out, '-');
			dash = 0;
		} else {
			buf_setlen(out, start - 1);
			buf_addstr(out, "\\^");
			ret = 0;
			goto out;
		}
	}
	if (caret)
		buf_addch(out, '^');
	if (lb)
		buf_addch(out, '[');
	if (dash)
		buf_addch(out, '-');
	buf_addch(out, ']');
	if (wide)
		buf_addstr(out, "|" ERE_MULTIBYTE ")");
	ret = 0;
out:
	*p = s;
	buf_release(&gen);
	return ret;
}

/* Whether s starts an ECMA quantifier {n}, {n,} or {n,m}; sets its length. */
static int interval_len(const char *s, size_t *len)
{
	size_t i = 1;

	if (!(s[i] >= '0' && s[i] <= '9'))
		return 0;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (s[i] == ',') {
		i++;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (s[i] != '}')
		return 0;
	*len = i + 1;
	return 1;
}

/* Add one literal character outside brackets. */
static void add_literal(struct buf *out, unsigned long cp)
{
	if (cp < 0x80 && strchr(".[\\()*+?{|^$", (int)cp)) {
		buf_addch(out, '\\');
		buf_addch(out, (char)cp);
	} else if (cp >= 0x80) {
		/* A group, so that a quantifier takes the whole character. */
		buf_addch(out, '(');
		add_utf8(out, cp);
		buf_addch(out, ')');
	} else {
		buf_addch(out, (char)cp);
	}
}

/*
 * Translate an ECMA-262 pattern to a POSIX extended one. Quantifiers
 * lose their lazy '?' (it cannot change whether a search matches), '.'
 * stops at line ends as in ECMA, '\d' '\w' '\s' are ASCII as in ECMA
 * (ECMA's '\s' also has Unicode spaces: not here), and what POSIX cannot
 * say is refused with the reason in why.
 */
static int ecma_to_ere(const char *src, struct buf *out, struct buf *why)
{
	const char *p = src;
	int quant = 0;		/* the last thing added is a quantifier */
	unsigned long cp;
	size_t n;
	int r;

	while (*p) {
		char ch = *p;

		if ((ch == '?' || ch == '*' || ch == '+') && !quant) {
			buf_addch(out, ch);
			p++;
			quant = 1;
			continue;
		}
		if (ch == '?' && quant) {
			p++;	/* lazy */
			quant = 0;
			continue;
		}
		quant = 0;
		switch (ch) {
		case '\\':
			p++;
			if (class_text(*p)) {
				if (class_negated(*p))
					add_negated(out, class_text(*p));
				else
					buf_addf(out, "[%s]", class_text(*p));
				p++;
				break;
			}
			r = char_escape(&p, &cp, why);
			if (r < 0)
				return -1;
			if (r == 0) {
				add_literal(out, cp);
				break;
			}
			if (!*p || is_ascii_alnum(*p))
				return bad_escape(*p, why);
			n = utf8_len((unsigned char)*p);
			if (n > 1) {
				buf_addch(out, '(');
				buf_add(out, p, strnlen(p, n));
				buf_addch(out, ')');
				p += strnlen(p, n);
			} else {
				add_literal(out, (unsigned char)*p++);
			}
			break;
		case '[':
			p++;
			if (translate_class(&p, out, why))
				return -1;
			break;
		case '.':
			add_negated(out, "\n\r");
			p++;
			break;
		case '(':
			if (p[1] == '?') {
				if (p[2] != ':') {
					buf_addstr(why, "look-around and named "
						   "groups are not supported");
					return -1;
				}
				p += 2;
			}
			buf_addch(out, '(');
			p++;
			break;
		case '{':
			if (interval_len(p, &n)) {
				buf_add(out, p, n);
				p += n;
				quant = 1;
			} else {
				buf_addstr(out, "\\{");
				p++;
			}
			break;
		default:
			n = utf8_len((unsigned char)ch);
			n = strnlen(p, n);
			if (n > 1) {
				buf_addch(out, '(');
				buf_add(out, p, n);
				buf_addch(out, ')');
			} else {
				buf_addch(out, ch);
			}
			p += n;
			break;
		}
	}
	return 0;
}

static int regex_cmp(const void *key, const void *elt)
{
	const struct schema_regex *const *r = elt;

	return strcmp(key, (*r)->pattern);
}

static const regex_t *regex_find(const struct schema *s, const char *pattern)
{
	struct schema_regex **r;

	r = bsearch(pattern, s->regexes, s->regexes_nr, sizeof(*s->regexes),
		    regex_cmp);
	return r ? &(*r)->re : NULL;
}

/* An unanchored search, as ECMA's RegExp.prototype.test. */
static int regex_search(const struct schema *s, const char *pattern,
			const char *text)
{
	const regex_t *re = regex_find(s, pattern);

	return re && !regexec(re, text, 0, NULL, 0);
}

/* ---- compiling -------------------------------------------------------- */

struct compiler {
	struct schema *s;
	const json_t **targets;	/* $ref targets already checked */
	size_t targets_nr, targets_alloc;
	struct buf ptr;		/* JSON pointer of the node checked */
	struct buf *err;
};

static int compile_schema(struct compiler *cc, const json_t *node);

/* Append "/token" to a JSON pointer, escaping '~' and '/'. */
static void ptr_push(struct buf *ptr, const char *tok)
{
	buf_addch(ptr, '/');
	for (; *tok; tok++) {
		if (*tok == '~')
			buf_addstr(ptr, "~0");
		else if (*tok == '/')
			buf_addstr(ptr, "~1");
		else
			buf_addch(ptr, *tok);
	}
}

/* Write "invalid schema at '#/ptr[/kw]': message" into err; returns -1. */
static int bad_schema(struct compiler *cc, const char *kw, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static int bad_schema(struct compiler *cc, const char *kw, const char *fmt,
		      ...)
{
	size_t len = cc->ptr.len;
	va_list ap;

	if (kw)
		ptr_push(&cc->ptr, kw);
	buf_addf(cc->err, "invalid schema at '#%s': ", cc->ptr.s);
	va_start(ap, fmt);
	buf_vaddf(cc->err, fmt, ap);
	va_end(ap);
	buf_setlen(&cc->ptr, len);
	return -1;
}

static int add_regex(struct compiler *cc, const char *kw, const char *pattern)
{
	struct schema *s = cc->s;
	struct buf ere = BUF_INIT, why = BUF_INIT;
	struct schema_regex *r = NULL;
	size_t lo = 0, hi = s->regexes_nr, mid;
	char msg[256];
	int c, rc, ret = -1;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(pattern, s->regexes[mid]->pattern);
		if (!c) {
			ret = 0;
			goto out;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (ecma_to_ere(pattern, &ere, &why)) {
		bad_schema(cc, kw, "cannot use the pattern '%s': %s", pattern,
			   why.s);
		goto out;
	}
	r = xcalloc(1, sizeof(*r));
	rc = regcomp(&r->re, ere.s, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &r->re, msg, sizeof(msg));
		bad_schema(cc, kw, "cannot compile the pattern '%s': %s",
			   pattern, msg);
		free(r);
		r = NULL;
		goto out;
	}
	r->pattern = xstrdup(pattern);
	ALLOC_GROW(s->regexes, s->regexes_nr + 1, s->regexes_alloc);
	memmove(s->regexes + lo + 1, s->regexes + lo,
		(s->regexes_nr - lo) * sizeof(*s->regexes));
	s->regexes[lo] = r;
	s->regexes_nr++;
	ret = 0;
out:
	buf_release(&ere);
	buf_release(&why);
	return ret;
}

/*
 * Resolve a same-document reference "#" or "#/json/pointer" (RFC 6901
 * in a URI fragment: %-decoded first, then split at '/' with ~1 and ~0
 * unescaped). Returns 0 with *out set, or -1 with the reason in why.
 */
static int resolve_ref(json_t *root, const char *ref, json_t **out,
		       struct buf *why)
{
	struct buf frag = BUF_INIT, tok = BUF_INIT;
	json_t *node = root;
	const char *p;
	unsigned long hex;
	long idx;
	int ret = -1;

	if (*ref != '#') {
		buf_addstr(why, "only references inside the schema ('#/...') "
			   "are supported, not remote or $id-based ones");
		goto out;
	}
	for (p = ref + 1; *p; p++) {
		if (*p != '%') {
			buf_addch(&frag, *p);
			continue;
		}
		if (strnlen(p + 1, 2) < 2 || read_hex(p + 1, 2, &hex) || !hex) {
			buf_addstr(why, "bad %-escape");
			goto out;
		}
		buf_addch(&frag, (char)hex);
		p += 2;
	}
	if (frag.len && frag.s[0] != '/') {
		buf_addstr(why, "plain-name fragments ($id anchors) are not "
			   "supported");
		goto out;
	}
	p = frag.s;
	while (*p) {
		buf_reset(&tok);
		for (p++; *p && *p != '/'; p++) {
			if (*p == '~' && (p[1] == '0' || p[1] == '1')) {
				buf_addch(&tok, p[1] == '0' ? '~' : '/');
				p++;
			} else if (*p == '~') {
				buf_addstr(why, "bad ~-escape");
				goto out;
			} else {
				buf_addch(&tok, *p);
			}
		}
		if (json_is_object(node)) {
			node = json_object_get(node, tok.s);
		} else if (json_is_array(node)) {
			/* Digits only, no leading zero (RFC 6901). */
			if (tok.s[0] < '0' || tok.s[0] > '9' ||
			    (tok.len > 1 && tok.s[0] == '0') ||
			    parse_long(tok.s, 0, LONG_MAX, &idx))
				node = NULL;
			else
				node = json_array_get(node, (size_t)idx);
		} else {
			node = NULL;
		}
		if (!node) {
			buf_addf(why, "there is no '%s' at that place",
				 tok.s);
			goto out;
		}
	}
	*out = node;
	ret = 0;
out:
	buf_release(&frag);
	buf_release(&tok);
	return ret;
}

static int compile_ref(struct compiler *cc, const json_t *holder,
		       const json_t *ref)
{
	struct buf why = BUF_INIT, saved = BUF_INIT;
	struct schema_ref *e;
	json_t *target;
	size_t i;
	int ret = -1;

	if (!json_is_string(ref)) {
		bad_schema(cc, "$ref", "a $ref must be a string");
		goto out;
	}
	if (resolve_ref(cc->s->root, json_string_value(ref), &target, &why)) {
		bad_schema(cc, "$ref", "cannot resolve $ref '%s': %s",
			   json_string_value(ref), why.s);
		goto out;
	}
	ALLOC_GROW(cc->s->refs, cc->s->refs_nr + 1, cc->s->refs_alloc);
	e = &cc->s->refs[cc->s->refs_nr++];
	e->holder = holder;
	e->target = target;
	for (i = 0; i < cc->targets_nr; i++)
		if (cc->targets[i] == target)
			break;
	if (i < cc->targets_nr) {
		ret = 0;
		goto out;
	}
	ALLOC_GROW(cc->targets, cc->targets_nr + 1, cc->targets_alloc);
	cc->targets[cc->targets_nr++] = target;
	/* Errors inside the target are reported at the place it names. */
	buf_add(&saved, cc->ptr.s, cc->ptr.len);
	buf_reset(&cc->ptr);
	buf_addstr(&cc->ptr, json_string_value(ref) + 1);
	ret = compile_schema(cc, target);
	buf_reset(&cc->ptr);
	buf_add(&cc->ptr, saved.s, saved.len);
out:
	buf_release(&why);
	buf_release(&saved);
	return ret;
}

/* Compile kw's value as a schema. */
static int compile_sub(struct compiler *cc, const char *kw, const json_t *v)
{
	size_t len = cc->ptr.len;
	int ret;

	ptr_push(&cc->ptr, kw);
	ret = compile_schema(cc, v);
	buf_setlen(&cc->ptr, len);
	return ret;
}

/* Compile every member of an array of schemas. */
static int compile_list(struct compiler *cc, const char *kw, const json_t *v,
			int nonempty)
{
	size_t len = cc->ptr.len, i;
	char num[32];
	int ret = -1;

	if (!json_is_array(v) || (nonempty && !json_array_size(v)))
		return bad_schema(cc, kw, "expected a %slist of schemas",
				  nonempty ? "non-empty " : "");
	ptr_push(&cc->ptr, kw);
	for (i = 0; i < json_array_size(v); i++) {
		size_t at = cc->ptr.len;

		snprintf(num, sizeof(num), "%zu", i);
		ptr_push(&cc->ptr, num);
		if (compile_schema(cc, json_array_get(v, i)))
			goto out;
		buf_setlen(&cc->ptr, at);
	}
	ret = 0;
out:
	buf_setlen(&cc->ptr, len);
	return ret;
}

/*
 * Compile every value of an object of schemas. pattern: the keys are
 * patterns; deps: values may also be lists of key names (dependencies).
 */
static int compile_map(struct compiler *cc, const char *kw, const json_t *v,
		       int pattern, int deps)
{
	size_t len = cc->ptr.len, i;
	const char *key;
	json_t *sub;
	int ret = -1;

	if (!json_is_object(v))
		return bad_schema(cc, kw, "expected an object");
	ptr_push(&cc->ptr, kw);
	json_object_foreach((json_t *)v, key, sub) {
		size_t at = cc->ptr.len;

		if (pattern && add_regex(cc, key, key))
			goto out;
		if (deps && json_is_array(sub)) {
			for (i = 0; i < json_array_size(sub); i++) {
				if (json_is_string(json_array_get(sub, i)))
					continue;
				bad_schema(cc, key, "expected a list of "
					   "key names");
				goto out;
			}
			continue;
		}
		ptr_push(&cc->ptr, key);
		if (compile_schema(cc, sub))
			goto out;
		buf_setlen(&cc->ptr, at);
	}
	ret = 0;
out:
	buf_setlen(&cc->ptr, len);
	return ret;
}

static int is_count(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return json_integer_value(v) >= 0;
	if (!json_is_real(v))
		return 0;
	d = json_real_value(v);
	return d >= 0 && is_whole(d);
}

static int compile_type(struct compiler *cc, const json_t *t)
{
	const json_t *name;
	size_t i, k;

	if (!json_is_array(t) && !json_is_string(t))
		return bad_schema(cc, "type", "expected a type name or a "
				  "list of them");
	if (json_is_array(t) && !json_array_size(t))
		return bad_schema(cc, "type", "the list of types is empty");
	for (i = 0; i < (json_is_array(t) ? json_array_size(t) : 1); i++) {
		name = json_is_array(t) ? json_array_get(t, i) : t;
		if (!json_is_string(name))
			return bad_schema(cc, "type", "expected a type name");
		for (k = 0; k < ARRAY_SIZE(type_names); k++)
			if (!strcmp(json_string_value(name), type_names[k]))
				break;
		if (k == ARRAY_SIZE(type_names))
			return bad_schema(cc, "type", "unknown type '%s'",
					  json_string_value(name));
	}
	return 0;
}

static int compile_schema(struct compiler *cc, const json_t *node)
{
	static const char *const counts[] = {
		"maxLength", "minLength", "maxItems", "minItems",
		"maxProperties", "minProperties",
	};
	static const char *const numbers[] = {
		"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
		"multipleOf",
	};
	static const char *const subs[] = {
		"additionalItems", "additionalProperties", "contains",
		"propertyNames", "not", "if", "then", "else",
	};
	static const char *const lists[] = { "allOf", "anyOf", "oneOf" };
	const json_t *v;
	size_t i;

	if (json_is_boolean(node))
		return 0;
	if (!json_is_object(node))
		return bad_schema(cc, NULL, "a schema must be an object or a "
				  "boolean");
	if ((v = json_object_get(node, "$ref")) && compile_ref(cc, node, v))
		return -1;
	if ((v = json_object_get(node, "type")) && compile_type(cc, v))
		return -1;
	for (i = 0; i < ARRAY_SIZE(counts); i++)
		if ((v = json_object_get(node, counts[i])) && !is_count(v))
			return bad_schema(cc, counts[i], "expected a "
					  "non-negative integer");
	for (i = 0; i < ARRAY_SIZE(numbers); i++)
		if ((v = json_object_get(node, numbers[i])) &&
		    !json_is_number(v))
			return bad_schema(cc, numbers[i], "expected a number");
	if ((v = json_object_get(node, "multipleOf")) &&
	    json_number_value(v) <= 0)
		return bad_schema(cc, "multipleOf", "expected a number "
				  "greater than 0");
	if ((v = json_object_get(node, "required"))) {
		if (!json_is_array(v))
			return bad_schema(cc, "required", "expected a list of "
					  "key names");
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return bad_schema(cc, "required", "expected "
						  "a list of key names");
	}
	if ((v = json_object_get(node, "enum")) && !json_is_array(v))
		return bad_schema(cc, "enum", "expected a list");
	if ((v = json_object_get(node, "uniqueItems")) && !json_is_boolean(v))
		return bad_schema(cc, "uniqueItems", "expected true or false");
	if ((v = json_object_get(node, "format")) && !json_is_string(v))
		return bad_schema(cc, "format", "expected a string");
	if ((v = json_object_get(node, "pattern"))) {
		if (!json_is_string(v))
			return bad_schema(cc, "pattern", "expected a string");
		if (add_regex(cc, "pattern", json_string_value(v)))
			return -1;
	}
	for (i = 0; i < ARRAY_SIZE(subs); i++)
		if ((v = json_object_get(node, subs[i])) &&
		    compile_sub(cc, subs[i], v))
			return -1;
	for (i = 0; i < ARRAY_SIZE(lists); i++)
		if ((v = json_object_get(node, lists[i])) &&
		    compile_list(cc, lists[i], v, 1))
			return -1;
	if ((v = json_object_get(node, "items"))) {
		if (json_is_array(v) ? compile_list(cc, "items", v, 0) :
		    compile_sub(cc, "items", v))
			return -1;
	}
	if ((v = json_object_get(node, "properties")) &&
	    compile_map(cc, "properties", v, 0, 0))
		return -1;
	if ((v = json_object_get(node, "patternProperties")) &&
	    compile_map(cc, "patternProperties", v, 1, 0))
		return -1;
	if ((v = json_object_get(node, "definitions")) &&
	    compile_map(cc, "definitions", v, 0, 0))
		return -1;
	if ((v = json_object_get(node, "dependencies")) &&
	    compile_map(cc, "dependencies", v, 0, 1))
		return -1;
	return 0;
}

static int ref_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct schema_ref *)a)->holder;
	uintptr_t y = (uintptr_t)((const struct schema_ref *)b)->holder;

	return x < y ? -1 : x > y;
}

static const json_t *ref_target(const struct schema *s, const json_t *holder)
{
	struct schema_ref key, *e;

	key.holder = holder;
	e = bsearch(&key, s->refs, s->refs_nr, sizeof(*s->refs), ref_cmp);
	return e ? e->target : NULL;
}

/*
 * A $ref whose target is itself only a $ref, round and round, would
 * recurse without looking at any value: refuse it here.
 */
static int check_ref_loops(struct compiler *cc)
{
	const struct schema *s = cc->s;
	const json_t *at;
	size_t i, steps;

	for (i = 0; i < s->refs_nr; i++) {
		at = s->refs[i].target;
		for (steps = 0; steps <= s->refs_nr; steps++) {
			if (at == s->refs[i].holder) {
				buf_addf(cc->err, "invalid schema: the $ref "
					 "'%s' leads back to itself",
					 json_string_value(json_object_get(
						 at, "$ref")));
				return -1;
			}
			at = ref_target(s, at);
			if (!at)
				break;
		}
	}
	return 0;
}

int schema_new_json(struct schema **out, json_t *root, struct buf *err)
{
	struct compiler cc;
	struct schema *s;
	size_t i, n;
	int ret = -1;

	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	s->root = json_incref(root);
	memset(&cc, 0, sizeof(cc));
	cc.s = s;
	cc.err = err;
	buf_init(&cc.ptr);
	ALLOC_GROW(cc.targets, 1, cc.targets_alloc);
	/* "#" needs no second look. */
	cc.targets[cc.targets_nr++] = root;
	if (!root) {
		buf_addstr(err, "invalid schema: no schema given");
		goto out;
	}
	if (compile_schema(&cc, root))
		goto out;
	if (s->refs_nr)
		qsort(s->refs, s->refs_nr, sizeof(*s->refs), ref_cmp);
	/* A target met again through another $ref was recorded twice. */
	for (i = n = 0; i < s->refs_nr; i++)
		if (!n || s->refs[n - 1].holder != s->refs[i].holder)
			s->refs[n++] = s->refs[i];
	s->refs_nr = n;
	if (check_ref_loops(&cc))
		goto out;
	*out = s;
	s = NULL;
	ret = 0;
out:
	schema_free(s);
	free(cc.targets);
	buf_release(&cc.ptr);
	return ret;
}

int schema_new(struct schema **out, const char *text, size_t len,
	       struct buf *err)
{
	json_error_t jerr;
	json_t *root;
	int ret = -1;

	*out = NULL;
	root = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			  &jerr);
	if (!root) {
		buf_addf(err, "cannot parse the schema: %s (line %d, "
			 "column %d)", jerr.text, jerr.line, jerr.column);
		goto out;
	}
	ret = schema_new_json(out, root, err);
out:
	json_decref(root);
	return ret;
}

void schema_free(struct schema *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->regexes_nr; i++) {
		regfree(&s->regexes[i]->re);
		free(s->regexes[i]->pattern);
		free(s->regexes[i]);
	}
	free(s->regexes);
	free(s->refs);
	json_decref(s->root);
	free(s);
}

/* ---- validating ------------------------------------------------------- */

static int validate(struct vctx *c, const json_t *schema, const json_t *v);

/* Validate without diagnostics, for branches that only need a verdict. */
static int probe(const struct vctx *c, const json_t *schema, const json_t *v)
{
	struct vctx sub = *c;

	sub.diags = NULL;
	sub.errors = 0;
	return validate(&sub, schema, v);
}

static int type_matches(const char *type, const json_t *v)
{
	double d;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return !strcmp(type, "object");
	case JSON_ARRAY:
		return !strcmp(type, "array");
	case JSON_STRING:
		return !strcmp(type, "string");
	case JSON_INTEGER:
		return !strcmp(type, "integer") || !strcmp(type, "number");
	case JSON_REAL:
		if (!strcmp(type, "number"))
			return 1;
		d = json_real_value(v);
		return !strcmp(type, "integer") && is_whole(d);
	case JSON_TRUE:
	case JSON_FALSE:
		return !strcmp(type, "boolean");
	default:
		return !strcmp(type, "null");
	}
}

/* Add the names of type keyword t to names (without repeats). */
static void collect_types(const json_t *t, const char **names, size_t *nr)
{
	size_t i, k;

	if (!t)
		return;
	for (i = 0; i < (json_is_array(t) ? json_array_size(t) : 1); i++) {
		const char *name = json_string_value(json_is_array(t) ?
						     json_array_get(t, i) : t);

		for (k = 0; k < *nr; k++)
			if (!strcmp(names[k], name))
				break;
		if (k == *nr && *nr < ARRAY_SIZE(type_names))
			names[(*nr)++] = name;
	}
}

/* "expected a string or an object, got a number", and a YAML hint. */
static void fail_type(struct vctx *c, const json_t *v, const char **names,
		      size_t nr)
{
	struct buf msg = BUF_INIT;
	int boolean = 0;
	size_t i;

	buf_addstr(&msg, "expected ");
	for (i = 0; i < nr; i++) {
		if (i)
			buf_addstr(&msg, i + 1 == nr ? " or " : ", ");
		buf_addstr(&msg, type_article(names[i]));
		boolean |= !strcmp(names[i], "boolean");
	}
	buf_addstr(&msg, ", got ");
	add_got(&msg, v);
	if (boolean && is_yaml11_bool(v)) {
		buf_addstr(&msg, "; YAML 1.2 reads ");
		add_quoted(&msg, v);
		buf_addstr(&msg, " as a string, write true or false");
	}
	fail(c, mark_of(c, v), "%s", msg.s);
	buf_release(&msg);
}

/* Returns -1 when the value has none of the schema's types. */
static int check_type(struct vctx *c, const json_t *schema, const json_t *v)
{
	const json_t *t = json_object_get(schema, "type");
	const char *names[ARRAY_SIZE(type_names)];
	size_t i, nr = 0;

	if (!t)
		return 0;
	if (json_is_string(t) && type_matches(json_string_value(t), v))
		return 0;
	for (i = 0; i < json_array_size(t); i++)
		if (type_matches(json_string_value(json_array_get(t, i)), v))
			return 0;
	collect_types(t, names, &nr);
	fail_type(c, v, names, nr);
	return -1;
}

static void check_enum(struct vctx *c, const json_t *schema, const json_t *v)
{
	const json_t *e = json_object_get(schema, "enum");
	const char **cands = NULL;
	struct buf msg = BUF_INIT;
	const char *hint;
	size_t i, n;

	if (!e)
		return;
	n = json_array_size(e);
	for (i = 0; i < n; i++)
		if (json_same(json_array_get(e, i), v))
			return;
	for (i = 0; i < n && json_is_string(json_array_get(e, i)); i++)
		;
	if (!n || i < n) {
		fail(c, mark_of(c, v), "value is not one of the allowed "
		     "values");
		return;
	}
	cands = xcalloc(n, sizeof(*cands));
	if (json_is_string(v))
		add_quoted(&msg, v);
	else
		add_value(&msg, v);
	buf_addstr(&msg, " is not one of ");
	for (i = 0; i < n; i++) {
		cands[i] = json_string_value(json_array_get(e, i));
		if (i == ENUM_SHOW_MAX) {
			buf_addstr(&msg, ", ...");
			continue;
		}
		if (i > ENUM_SHOW_MAX)
			continue;
		if (i)
			buf_addstr(&msg, ", ");
		add_quoted(&msg, json_array_get(e, i));
	}
	hint = json_is_string(v) ? suggest(json_string_value(v), cands, n) :
	       NULL;
	if (hint)
		buf_addf(&msg, "; did you mean '%s'?", hint);
	fail(c, mark_of(c, v), "%s", msg.s);
	free(cands);
	buf_release(&msg);
}

static void check_const(struct vctx *c, const json_t *schema,
			const json_t *v)
{
	const json_t *k = json_object_get(schema, "const");
	struct buf msg = BUF_INIT;

	if (!k || json_same(k, v))
		return;
	buf_addstr(&msg, "expected ");
	add_value(&msg, k);
	buf_addstr(&msg, ", got ");
	add_value(&msg, v);
	fail(c, mark_of(c, v), "%s", msg.s);
	buf_release(&msg);
}

/* "the key 'x' is not allowed here", for a false schema on a key. */
static void fail_key(struct vctx *c, const struct mark *m, const char *key)
{
	struct buf msg = BUF_INIT;

	add_text(&msg, key, strlen(key));
	fail(c, m, "the key '%s' is not allowed here", msg.s);
	buf_release(&msg);
}

/* Validate the value of key (in object o) against sub, path extended. */
static void check_member(struct vctx *c, const json_t *sub, const json_t *o,
			 const char *key)
{
	size_t len = c->path->len;
	const json_t *parent = c->slot_parent;
	const char *skey = c->slot_key;
	size_t sindex = c->slot_index;

	path_push_key(c->path, key);
	c->slot_parent = o;
	c->slot_key = key;
	if (json_is_false(sub))
		fail_key(c, doc_mark(c->doc, o, key), key);
	else
		validate(c, sub, json_object_get(o, key));
	c->slot_parent = parent;
	c->slot_key = skey;
	c->slot_index = sindex;
	buf_setlen(c->path, len);
}

/* The name in schema's properties that key is a misspelling of, or NULL. */
static const char *suggest_property(const json_t *schema, const char *key)
{
	const json_t *props = json_object_get(schema, "properties");
	const char **cands;
	const char *name, *hint;
	json_t *ignored;
	size_t n = 0;

	cands = xcalloc(json_object_size(props) + 1, sizeof(*cands));
	json_object_foreach((json_t *)props, name, ignored)
		cands[n++] = name;
	hint = suggest(key, cands, n);
	free(cands);
	return hint;	/* a key of props: lives as long as the schema */
}

static void fail_unknown_key(struct vctx *c, const json_t *schema,
			     const json_t *o, const char *key)
{
	struct buf msg = BUF_INIT;
	const char *hint = suggest_property(schema, key);
	size_t len = c->path->len;

	buf_addstr(&msg, "unknown key '");
	add_text(&msg, key, strlen(key));
	buf_addch(&msg, '\'');
	if (hint)
		buf_addf(&msg, "; did you mean '%s'?", hint);
	path_push_key(c->path, key);
	fail(c, doc_mark(c->doc, o, key), "%s", msg.s);
	buf_setlen(c->path, len);
	buf_release(&msg);
}

static void check_keys(struct vctx *c, const json_t *schema, const json_t *o)
{
	const json_t *props = json_object_get(schema, "properties");
	const json_t *pats = json_object_get(schema, "patternProperties");
	const json_t *extra = json_object_get(schema, "additionalProperties");
	const char *key, *pat;
	json_t *v, *sub;
	int matched;

	if (!props && !pats && !extra)
		return;
	json_object_foreach((json_t *)o, key, v) {
		matched = 0;
		if ((sub = json_object_get(props, key))) {
			matched = 1;
			check_member(c, sub, o, key);
		}
		json_object_foreach((json_t *)pats, pat, sub) {
			if (!regex_search(c->s, pat, key))
				continue;
			matched = 1;
			check_member(c, sub, o, key);
		}
		if (!matched && json_is_false(extra))
			fail_unknown_key(c, schema, o, key);
		else if (!matched && extra)
			check_member(c, extra, o, key);
		if (stop(c))
			return;
	}
}

static void check_names(struct vctx *c, const json_t *schema,
			const json_t *o)
{
	const json_t *names = json_object_get(schema, "propertyNames");
	const json_t *saved_node = c->name_node;
	const struct mark *saved_mark = c->name_mark;
	size_t len = c->path->len;
	const char *key;
	json_t *v, *name;

	if (!names || json_is_true(names))
		return;
	json_object_foreach((json_t *)o, key, v) {
		path_push_key(c->path, key);
		name = json_string(key);
		c->name_node = name;
		c->name_mark = doc_mark(c->doc, o, key);
		if (json_is_false(names))
			fail_key(c, c->name_mark, key);
		else if (name)
			validate(c, names, name);
		c->name_node = saved_node;
		c->name_mark = saved_mark;
		json_decref(name);
		buf_setlen(c->path, len);
		if (stop(c))
			return;
	}
}

static void check_dependencies(struct vctx *c, const json_t *schema,
			       const json_t *o)
{
	const json_t *deps = json_object_get(schema, "dependencies");
	const char *key;
	json_t *dep, *name;
	size_t i;

	json_object_foreach((json_t *)deps, key, dep) {
		if (!json_object_get(o, key))
			continue;
		if (!json_is_array(dep)) {
			validate(c, dep, o);
			continue;
		}
		json_array_foreach(dep, i, name) {
			if (json_object_get(o, json_string_value(name)))
				continue;
			fail(c, mark_of(c, o), "missing required key '%s' "
			     "(needed when '%s' is present)",
			     json_string_value(name), key);
		}
	}
}

/*
 * The count keywords (minLength and maxLength, minItems and maxItems,
 * minProperties and maxProperties): "must <verb> at least N <noun>s<tail>".
 */
static void check_counts(struct vctx *c, const json_t *schema,
			 const json_t *v, size_t n, const char *kw_min,
			 const char *kw_max, const char *verb, const char *noun,
			 const char *tail)
{
	const json_t *lim;
	double d;

	if ((lim = json_object_get(schema, kw_min)) &&
	    (double)n < (d = json_number_value(lim)))
		fail(c, mark_of(c, v), "must %s at least %.0f %s%s%s", verb, d,
		     noun, d == 1 ? "" : "s", tail);
	if ((lim = json_object_get(schema, kw_max)) &&
	    (double)n > (d = json_number_value(lim)))
		fail(c, mark_of(c, v), "must %s at most %.0f %s%s%s", verb, d,
		     noun, d == 1 ? "" : "s", tail);
}

/*
 * 1 when o has a key that will be reported as unknown with "did you mean
 * 'name'?": then "missing required key 'name'" would only repeat it.
 * The unknown key still fails the object, so the verdict is the same.
 */
static int misspelt_as(const json_t *schema, const json_t *o,
		       const char *name)
{
	const json_t *props = json_object_get(schema, "properties");
	const char *key, *hint;
	json_t *ignored;

	if (!json_is_false(json_object_get(schema, "additionalProperties")) ||
	    json_object_get(schema, "patternProperties"))
		return 0;
	json_object_foreach((json_t *)o, key, ignored) {
		if (json_object_get(props, key))
			continue;
		hint = suggest_property(schema, key);
		if (hint && !strcmp(hint, name))
			return 1;
	}
	return 0;
}

static void check_object(struct vctx *c, const json_t *schema,
			 const json_t *o)
{
	const json_t *req = json_object_get(schema, "required");
	size_t i;

	for (i = 0; i < json_array_size(req); i++) {
		const char *name = json_string_value(json_array_get(req, i));

		if (!json_object_get(o, name) && !misspelt_as(schema, o, name))
			fail(c, mark_of(c, o), "missing required key '%s'",
			     name);
	}
	check_counts(c, schema, o, json_object_size(o), "minProperties",
		     "maxProperties", "have", "key", "");
	if (stop(c))
		return;
	check_keys(c, schema, o);
	if (stop(c))
		return;
	check_names(c, schema, o);
	if (stop(c))
		return;
	check_dependencies(c, schema, o);
}

/* Validate item i of array a against sub, path extended. */
static void check_item(struct vctx *c, const json_t *sub, const json_t *a,
		       size_t i)
{
	size_t len = c->path->len;
	const json_t *parent = c->slot_parent;
	const char *skey = c->slot_key;
	size_t sindex = c->slot_index;

	path_push_index(c->path, i);
	c->slot_parent = a;
	c->slot_key = NULL;
	c->slot_index = i;
	validate(c, sub, json_array_get(a, i));
	c->slot_parent = parent;
	c->slot_key = skey;
	c->slot_index = sindex;
	buf_setlen(c->path, len);
}

static void check_array(struct vctx *c, const json_t *schema,
			const json_t *a)
{
	const json_t *items = json_object_get(schema, "items");
	const json_t *extra = json_object_get(schema, "additionalItems");
	const json_t *contains = json_object_get(schema, "contains");
	size_t i, j, n = json_array_size(a), fixed;

	check_counts(c, schema, a, n, "minItems", "maxItems", "have", "item",
		     "");
	if (json_is_true(json_object_get(schema, "uniqueItems"))) {
		for (j = 1; j < n && !stop(c); j++) {
			for (i = 0; i < j; i++)
				if (json_same(json_array_get(a, i),
					      json_array_get(a, j)))
					break;
			if (i < j)
				fail(c, mark_of(c, a), "items %zu and %zu are "
				     "equal", i, j);
		}
	}
	if (json_is_array(items)) {
		fixed = json_array_size(items);
		for (i = 0; i < n && i < fixed && !stop(c); i++)
			check_item(c, json_array_get(items, i), a, i);
		if (n > fixed && json_is_false(extra))
			fail(c, mark_of(c, a), "must have at most %zu item%s",
			     fixed, fixed == 1 ? "" : "s");
		else if (extra)
			for (i = fixed; i < n && !stop(c); i++)
				check_item(c, extra, a, i);
	} else if (items) {
		for (i = 0; i < n && !stop(c); i++)
			check_item(c, items, a, i);
	}
	if (contains && !stop(c)) {
		for (i = 0; i < n; i++)
			if (probe(c, contains, json_array_get(a, i)) == V_OK)
				break;
		if (i == n)
			fail(c, mark_of(c, a), "must contain at least one "
			     "matching item");
	}
}

/*
 * format "email": a dot-atom local part (no leading, trailing or double
 * dots), one '@', and a domain of dot-separated labels (letters, digits,
 * inner hyphens, at most 63 each, at least two labels) or an address
 * literal in brackets. RFC 5321 limits: local part 64 octets, domain
 * 255, the whole address 254 (a path of 256 less its angle brackets).
 */
static int is_email(const char *s, size_t len)
{
	static const char atext[] = "!#$%&'*+/=?^_`{|}~-";
	const char *at = memchr(s, '@', len), *p, *end = s + len;
	size_t label, labels = 0;

	if (!at || at == s || memchr(at + 1, '@', (size_t)(end - at - 1)))
		return 0;
	if (len > 254 || at - s > 64 || (size_t)(end - at - 1) > 255)
		return 0;
	for (p = s; p < at; p++) {
		if (*p == '.') {
			if (p == s || p + 1 == at || p[1] == '.')
				return 0;
		} else if (!is_ascii_alnum(*p) && (!*p || !strchr(atext, *p))) {
			return 0;
		}
	}
	p = at + 1;
	if (p == end)
		return 0;
	if (*p == '[' && end[-1] == ']')
		return 1;
	for (label = 0; p <= end; p++) {
		if (p == end || *p == '.') {
			if (!label || p[-1] == '-')
				return 0;
			label = 0;
			labels++;
			continue;
		}
		if (!is_ascii_alnum(*p) && (*p != '-' || !label))
			return 0;
		if (++label > 63)
			return 0;
	}
	/* a@b is a name on the local network, not an address to invite */
	return labels >= 2;
}

static void check_string(struct vctx *c, const json_t *schema,
			 const json_t *str)
{
	const json_t *pat, *hint, *fmt;
	const char *s = json_string_value(str);
	size_t len = json_string_length(str);
	struct buf msg = BUF_INIT;

	check_counts(c, schema, str, utf8_count(s, len), "minLength",
		     "maxLength", "be", "character", " long");
	pat = json_object_get(schema, "pattern");
	if (pat && !regex_search(c->s, json_string_value(pat), s)) {
		hint = json_object_get(schema, "x-hint");
		add_quoted(&msg, str);
		if (json_is_string(hint)) {
			buf_addf(&msg, " is not valid: %s",
				 json_string_value(hint));
		} else {
			buf_addstr(&msg, " does not match the pattern '");
			buf_addstr(&msg, json_string_value(pat));
			buf_addch(&msg, '\'');
		}
		fail(c, mark_of(c, str), "%s", msg.s);
	}
	fmt = json_object_get(schema, "format");
	if (fmt && !strcmp(json_string_value(fmt), "email") &&
	    !is_email(s, len)) {
		buf_reset(&msg);
		add_quoted(&msg, str);
		fail(c, mark_of(c, str), "%s is not an email address", msg.s);
	}
	buf_release(&msg);
}

/* Whether x is a multiple of m, forgiving binary fractions (0.1). */
static int is_multiple(const json_t *x, const json_t *m)
{
	double q;

	if (json_is_integer(x) && json_is_integer(m))
		return json_integer_value(x) % json_integer_value(m) == 0;
	q = json_number_value(x) / json_number_value(m);
	if (!isfinite(q))
		return 0;
	return frac_dist(q) <= 1e-9 * (dabs(q) > 1 ? dabs(q) : 1);
}

static void check_number(struct vctx *c, const json_t *schema,
			 const json_t *num)
{
	static const struct {
		const char *kw;
		int bad;	/* the num_cmp result that fails */
		int equal_bad;	/* equality fails too */
		const char *what;
	} limits[] = {
		{ "minimum", -1, 0, "at least" },
		{ "exclusiveMinimum", -1, 1, "greater than" },
		{ "maximum", 1, 0, "at most" },
		{ "exclusiveMaximum", 1, 1, "less than" },
	};
	const json_t *lim;
	struct buf msg = BUF_INIT;
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		lim = json_object_get(schema, limits[i].kw);
		if (!lim)
			continue;
		r = num_cmp(num, lim);
		if (r != limits[i].bad && !(r == 0 && limits[i].equal_bad))
			continue;
		buf_reset(&msg);
		add_value(&msg, lim);
		fail(c, mark_of(c, num), "must be %s %s", limits[i].what,
		     msg.s);
	}
	lim = json_object_get(schema, "multipleOf");
	if (lim && !is_multiple(num, lim)) {
		buf_reset(&msg);
		add_value(&msg, lim);
		fail(c, mark_of(c, num), "must be a multiple of %s", msg.s);
	}
	buf_release(&msg);
}

/* Follow $refs from schema to the schema object that holds "type". */
static const json_t *branch_type(const struct schema *s, const json_t *schema)
{
	unsigned hops;

	for (hops = 0; hops <= REF_DEPTH_MAX && json_is_object(schema);
	     hops++) {
		if (!json_object_get(schema, "$ref"))
			return json_object_get(schema, "type");
		schema = ref_target(s, schema);
	}
	return NULL;
}

/*
 * anyOf and oneOf. Each branch runs into its own list. When all fail: if
 * each failed on its "type", one message names every type; otherwise the
 * branch that got furthest speaks: one that got past its type, then
 * fewest errors, then the first.
 */
static void check_branches(struct vctx *c, const json_t *list,
			   const json_t *v, int one)
{
	struct diag_list best, cur;
	const char *names[ARRAY_SIZE(type_names)];
	size_t i, n = json_array_size(list), passed = 0, nr = 0;
	size_t best_errors = 0;
	int best_rank = -1, rank, st, all_type = 1;
	struct vctx sub;

	diag_list_init(&best, 0);
	for (i = 0; i < n; i++) {
		diag_list_init(&cur, 0);
		sub = *c;
		sub.diags = c->diags ? &cur : NULL;
		sub.errors = 0;
		st = validate(&sub, json_array_get(list, i), v);
		if (st == V_OK) {
			diag_list_release(&cur);
			if (++passed > 1 || !one)
				break;
			continue;
		}
		all_type &= st == V_TYPE;
		rank = st == V_TYPE;
		if (best_rank < 0 || rank < best_rank ||
		    (rank == best_rank && sub.errors < best_errors)) {
			diag_list_release(&best);
			best = cur;
			best_rank = rank;
			best_errors = sub.errors;
		} else {
			diag_list_release(&cur);
		}
	}
	if (passed > 1 && one) {
		fail(c, mark_of(c, v), "matches more than one of the allowed "
		     "forms");
	} else if (!passed && all_type) {
		for (i = 0; i < n; i++)
			collect_types(branch_type(c->s,
						  json_array_get(list, i)),
				      names, &nr);
		fail_type(c, v, names, nr);
	} else if (!passed) {
		c->errors += best_errors;
		if (c->diags)
			diag_list_move(c->diags, &best);
	}
	diag_list_release(&best);
}

static void check_logic(struct vctx *c, const json_t *schema,
			const json_t *v)
{
	const json_t *sub, *branch;
	size_t i;

	if ((sub = json_object_get(schema, "allOf")))
		json_array_foreach(sub, i, branch)
			if (!stop(c))
				validate(c, branch, v);
	if ((sub = json_object_get(schema, "anyOf")) && !stop(c))
		check_branches(c, sub, v, 0);
	if ((sub = json_object_get(schema, "oneOf")) && !stop(c))
		check_branches(c, sub, v, 1);
	if ((sub = json_object_get(schema, "not")) && !stop(c) &&
	    probe(c, sub, v) == V_OK)
		fail(c, mark_of(c, v), "must not match the forbidden form");
	if ((sub = json_object_get(schema, "if")) && !stop(c)) {
		branch = json_object_get(schema, probe(c, sub, v) == V_OK ?
					 "then" : "else");
		if (branch)
			validate(c, branch, v);
	}
}

/* Trip the $ref depth guard: the run ends, and says where. */
static void abort_run(struct vctx *c, const json_t *v)
{
	const struct mark *m = mark_of(c, v);

	c->errors++;
	c->run->aborted = 1;
	c->run->has_mark = m != NULL;
	if (m)
		c->run->mark = *m;
	buf_add(&c->run->path, c->path->s, c->path->len);
}

static int validate(struct vctx *c, const json_t *schema, const json_t *v)
{
	size_t before = c->errors;
	const json_t *target;
	int st;

	if (c->run->aborted) {
		c->errors++;
		return V_FAIL;
	}
	if (json_is_true(schema))
		return V_OK;
	if (json_is_false(schema)) {
		fail(c, mark_of(c, v), "no value is allowed here");
		return V_FAIL;
	}
	if (json_object_get(schema, "$ref")) {
		/* draft-07: a $ref makes its sibling keywords ignored. */
		target = ref_target(c->s, schema);
		if (!target || c->ref_depth >= REF_DEPTH_MAX) {
			abort_run(c, v);
			return V_FAIL;
		}
		c->ref_depth++;
		st = validate(c, target, v);
		c->ref_depth--;
		return st;
	}
	if (check_type(c, schema, v))
		return V_TYPE;
	check_enum(c, schema, v);
	check_const(c, schema, v);
	if (stop(c))
		return V_FAIL;
	if (json_is_object(v))
		check_object(c, schema, v);
	else if (json_is_array(v))
		check_array(c, schema, v);
	else if (json_is_string(v))
		check_string(c, schema, v);
	else if (json_is_number(v))
		check_number(c, schema, v);
	if (!stop(c))
		check_logic(c, schema, v);
	return c->errors > before ? V_FAIL : V_OK;
}

/*
 * Diagnostics go to a list of our own first: when the depth guard trips,
 * what was found on the way is dropped (branches cut short would explain
 * nothing) and the guard's one message is reported instead.
 */
int schema_validate(const struct schema *s, const json_t *instance,
		    const struct doc *doc, struct diag_list *diags)
{
	struct buf path = BUF_INIT;
	struct diag_list found;
	struct vrun run;
	struct vctx c;

	diag_list_init(&found, 0);
	memset(&run, 0, sizeof(run));
	buf_init(&run.path);
	memset(&c, 0, sizeof(c));
	c.run = &run;
	c.s = s;
	c.doc = doc;
	c.diags = diags ? &found : NULL;
	c.path = &path;
	if (instance)
		validate(&c, s->root, instance);
	else
		fail(&c, NULL, "there is no document to check");
	if (diags && run.aborted)
		diag_add(diags, DIAG_ERROR, run.has_mark ? &run.mark : NULL,
			 run.path.s, "cannot check this value: the schema "
			 "nests $ref more than %d deep", REF_DEPTH_MAX);
	else if (diags)
		diag_list_move(diags, &found);
	diag_list_release(&found);
	buf_release(&run.path);
	buf_release(&path);
	return c.errors ? -1 : 0;
}
