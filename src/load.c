#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "torq/load.h"
#include "torq/buf.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

struct anchor {
	char *name;
	json_t *node;		/* holds a reference */
	size_t size;		/* nodes in the subtree */
	size_t bytes;		/* scalar bytes in the subtree */
};

struct frame {
	json_t *node;		/* the container being built */
	size_t size;		/* nodes so far, the container included */
	size_t bytes;		/* scalar bytes so far */
	char *key;		/* pending key of a mapping, or NULL */
	struct mark key_mark;
	char *anchor;		/* anchor to register when the container ends */
};

struct loader {
	struct doc *doc;
	struct diag_list *diags;
	const char *file;	/* the doc's copy of the name */
	struct frame *stack;
	size_t depth, alloc;
	struct anchor *anchors;
	size_t anchors_nr, anchors_alloc;
	size_t alias_nodes;
	size_t alias_bytes;	/* scalar bytes copied by aliases */
	json_t *root;
	int failed;		/* an error was reported */
	int stop;		/* and parsing cannot go on */
	int alias_limit_hit;
};

static struct mark mark_of(const struct loader *l, yaml_mark_t m, int plain)
{
	struct mark mk;

	mk.file = l->file;
	mk.line = (unsigned)m.line + 1;
	mk.col = (unsigned)m.column + 1;
	mk.plain = (unsigned char)plain;
	return mk;
}

static int match_any(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == len && !memcmp(s, *words, len))
			return 1;
	return 0;
}

static int all_in(const char *s, size_t len, const char *set)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		if (!strchr(set, s[i]))
			return 0;
	return 1;
}

static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const trues[] = { "true", "True", "TRUE", NULL };
static const char *const falses[] = { "false", "False", "FALSE", NULL };
static const char *const infs[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf",
	"+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL };

static json_t *parse_int(const char *s, size_t len)
{
	char tmp[64];
	char *end;
	long long v;
	int base = 10;
	const char *digits = tmp;

	if (len >= sizeof(tmp))
		return NULL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (len > 2 && tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'o')) {
		base = tmp[1] == 'x' ? 16 : 8;
		digits = tmp + 2;
		if (!all_in(digits, len - 2, base == 16 ?
			    "0123456789abcdefABCDEF" : "01234567"))
			return NULL;
	} else {
		size_t off = (tmp[0] == '-' || tmp[0] == '+');

		if (!all_in(tmp + off, len - off, "0123456789"))
			return NULL;
	}
	errno = 0;
	v = strtoll(digits, &end, base);
	if (*end)
		return NULL;
	if (errno == ERANGE)
		return json_real(strtod(tmp, NULL));
	return json_integer(v);
}

static int is_float(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (!digits)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		if (i >= len)
			return 0;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	}
	return i == len;
}

json_t *load_plain_scalar(const char *text, size_t len, const char **why)
{
	json_t *v;

	if (match_any(text, len, nulls))
		return json_null();
	if (match_any(text, len, trues))
		return json_true();
	if (match_any(text, len, falses))
		return json_false();
	if (match_any(text, len, infs)) {
		*why = "infinite and not-a-number values cannot be used here";
		return NULL;
	}
	if (len && (v = parse_int(text, len)))
		return v;
	if (is_float(text, len)) {
		char *tmp = xstrndup(text, len);
		double d = strtod(tmp, NULL);

		free(tmp);
		if (isfinite(d))
			return json_real(d);
		*why = "number out of range";
		return NULL;
	}
	return json_stringn(text, len);
}

/* Resolve an explicitly tagged scalar; NULL with *why when it does not fit. */
static json_t *tagged_scalar(const char *tag, const char *text, size_t len,
			     const char **why)
{
	json_t *v;

	if (!strcmp(tag, "!") || !strcmp(tag, YAML_STR_TAG))
		return json_stringn(text, len);
	if (strcmp(tag, YAML_NULL_TAG) && strcmp(tag, YAML_BOOL_TAG) &&
	    strcmp(tag, YAML_INT_TAG) && strcmp(tag, YAML_FLOAT_TAG)) {
		*why = "unsupported tag";
		return NULL;
	}
	v = load_plain_scalar(text, len, why);
	if (!v)
		return NULL;
	if ((!strcmp(tag, YAML_NULL_TAG) && json_is_null(v)) ||
	    (!strcmp(tag, YAML_BOOL_TAG) && json_is_boolean(v)) ||
	    (!strcmp(tag, YAML_INT_TAG) && json_is_integer(v)) ||
	    (!strcmp(tag, YAML_FLOAT_TAG) && json_is_number(v)))
		return v;
	json_decref(v);
	*why = "value does not fit its tag";
	return NULL;
}

static void fail(struct loader *l, const struct mark *m, const char *fmt,
		 const char *arg)
{
	diag_add(l->diags, DIAG_ERROR, m, NULL, fmt, arg);
	l->failed = 1;
}

static struct anchor *find_anchor(struct loader *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->anchors_nr; i++)
		if (!strcmp(l->anchors[i].name, name))
			return &l->anchors[i];
	return NULL;
}

static void add_anchor(struct loader *l, const char *name, json_t *node,
		       size_t size, size_t bytes)
{
	/* A later anchor of the same name replaces the earlier one (YAML). */
	struct anchor *a = find_anchor(l, name);

	if (!a) {
		ALLOC_GROW(l->anchors, l->anchors_nr + 1, l->anchors_alloc);
		a = &l->anchors[l->anchors_nr++];
		a->name = xstrdup(name);
	} else {
		json_decref(a->node);
	}
	a->node = json_incref(node);
	a->size = size;
	a->bytes = bytes;
}

/*
 * Place a finished node: as the root, as the next key or value of the
 * mapping on top of the stack, or as the next item of a sequence. Steals
 * the reference to node.
 */
static void attach(struct loader *l, json_t *node, size_t size,
		   size_t bytes, const struct mark *m, int is_scalar)
{
	struct frame *top;

	if (!l->depth) {
		json_decref(l->root);
		l->root = node;
		return;
	}
	top = &l->stack[l->depth - 1];
	top->size += size;
	top->bytes += bytes;
	if (json_is_array(top->node)) {
		if (doc_shared_node(node))
			doc_set_value_mark(l->doc, top->node, NULL,
					   json_array_size(top->node), m);
		json_array_append_new(top->node, node);
		return;
	}
	if (!top->key) {
		struct buf key = BUF_INIT;
		const struct mark *first;

		if (!is_scalar) {
			fail(l, m, "mapping keys must be plain scalars%s", "");
			json_decref(node);
			top->key = xstrdup("");
			top->key_mark = *m;
			return;
		}
		if (json_is_string(node)) {
			buf_add(&key, json_string_value(node),
				json_string_length(node));
		} else if (!json_is_null(node)) {
			char *txt = json_dumps(node, JSON_ENCODE_ANY);

			buf_addstr(&key, txt);
			free(txt);
		}
		json_decref(node);
		if (strlen(key.s) != key.len)
			fail(l, m, "mapping keys cannot contain NUL%s", "");
		first = json_object_get(top->node, key.s) ?
			doc_mark(l->doc, top->node, key.s) : NULL;
		if (first) {
			struct mark fm = *first;

			fail(l, m, "duplicate key '%s'", key.s);
			diag_add(l->diags, DIAG_NOTE, &fm, NULL,
				 "'%s' first defined here", key.s);
		}
		top->key = buf_detach(&key, NULL);
		top->key_mark = *m;
		return;
	}
	if (!json_object_get(top->node, top->key)) {
		if (doc_shared_node(node))
			doc_set_value_mark(l->doc, top->node, top->key, 0, m);
		json_object_set_new(top->node, top->key, node);
		doc_set_mark(l->doc, top->node, top->key, &top->key_mark);
	} else {
		json_decref(node);
	}
	free(top->key);
	top->key = NULL;
}

static void push(struct loader *l, json_t *node, const struct mark *m,
		 const char *anchor)
{
	struct frame *f;

	if (l->depth >= LOAD_MAX_DEPTH) {
		fail(l, m, "nesting deeper than %s levels", "256");
		json_decref(node);
		l->stop = 1;
		return;
	}
	doc_set_mark(l->doc, node, NULL, m);
	ALLOC_GROW(l->stack, l->depth + 1, l->alloc);
	f = &l->stack[l->depth++];
	f->node = node;
	f->size = 1;
	f->bytes = 0;
	f->key = NULL;
	f->anchor = anchor ? xstrdup(anchor) : NULL;
}

static void pop(struct loader *l)
{
	struct frame f = l->stack[--l->depth];
	const struct mark *m = doc_mark(l->doc, f.node, NULL);
	struct mark copy = *m;

	if (f.key) {
		/* A key without a value cannot come from libyaml; be safe. */
		free(f.key);
	}
	if (f.anchor) {
		add_anchor(l, f.anchor, f.node, f.size, f.bytes);
		free(f.anchor);
	}
	attach(l, f.node, f.size, f.bytes, &copy, 0);
}

/* 1 when the next node attached is a mapping key. */
static int is_key(const struct loader *l)
{
	const struct frame *top;

	if (!l->depth)
		return 0;
	top = &l->stack[l->depth - 1];
	return json_is_object(top->node) && !top->key;
}

static void on_scalar(struct loader *l, yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	/* A tagged scalar keeps its tag's type: it is not re-read later. */
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag;
	struct mark m = mark_of(l, ev->start_mark, plain);
	const char *why = NULL;
	json_t *v;

	if (tag)
		v = tagged_scalar(tag, text, len, &why);
	else if (plain)
		v = load_plain_scalar(text, len, &why);
	else
		v = json_stringn(text, len);
	if (!v) {
		if (tag && !strcmp(why, "unsupported tag"))
			fail(l, &m, "unsupported tag '%s'", tag);
		else
			fail(l, &m, "%s", why);
		/* Go on with the text, so later checks see a value. */
		v = json_stringn(text, len);
	}
	/*
	 * A mapping key's node is dropped once its text is taken (the key
	 * gets its own mark in attach), so marking it would only keep it
	 * alive in the doc; unless an anchor keeps it for later aliases.
	 */
	if (!is_key(l) || ev->data.scalar.anchor)
		doc_set_mark(l->doc, v, NULL, &m);
	if (ev->data.scalar.anchor)
		add_anchor(l, (const char *)ev->data.scalar.anchor, v, 1, len);
	attach(l, v, 1, len, &m, 1);
}

static void on_alias(struct loader *l, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct mark m = mark_of(l, ev->start_mark, 0);
	struct anchor *a = find_anchor(l, name);

	if (!a) {
		struct buf text = BUF_INIT;
		json_t *v;

		fail(l, &m, "unknown alias '*%s'", name);
		/* Go on with the text as written, so no error follows from it. */
		buf_addf(&text, "*%s", name);
		v = json_string(text.s);
		doc_set_mark(l->doc, v, NULL, &m);
		attach(l, v, 1, text.len, &m, 1);
		buf_release(&text);
		return;
	}
	if (l->alias_limit_hit) {
		attach(l, json_null(), 1, 0, &m, 1);
		return;
	}
	/*
	 * An attack more likely than a mistake: stop here. Nodes bound the
	 * billion laughs; bytes one long string aliased many times.
	 */
	if (l->alias_nodes + a->size > LOAD_MAX_ALIAS_NODES ||
	    l->alias_bytes + a->bytes > LOAD_MAX_ALIAS_BYTES) {
		l->alias_limit_hit = 1;
		l->stop = 1;
		if (l->alias_nodes + a->size > LOAD_MAX_ALIAS_NODES)
			diag_add(l->diags, DIAG_ERROR, &m, NULL,
				 "aliases expand to more than %u nodes; "
				 "refusing (a \"billion laughs\" document?)",
				 LOAD_MAX_ALIAS_NODES);
		else
			diag_add(l->diags, DIAG_ERROR, &m, NULL,
				 "aliases expand to more than %u MiB of "
				 "text; refusing", LOAD_MAX_ALIAS_BYTES >> 20);
		l->failed = 1;
		attach(l, json_null(), 1, 0, &m, 1);
		return;
	}
	l->alias_nodes += a->size;
	l->alias_bytes += a->bytes;
	attach(l, doc_deep_copy(l->doc, a->node), a->size, a->bytes, &m,
	       !json_is_object(a->node) && !json_is_array(a->node));
}

/*
 * Check UTF-8 ourselves so the message can say where: libyaml only says
 * "invalid leading UTF-8 octet". Rejects overlongs, surrogates and NUL.
 */
static int check_utf8(struct loader *l, const unsigned char *s, size_t len)
{
	size_t i = 0;
	unsigned line = 1, col = 1;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		unsigned long cp;
		struct mark m = { l->file, line, col, 0 };

		if (c == 0) {
			fail(l, &m, "NUL byte in the file%s", "");
			return -1;
		}
		if (c < 0x80) {
			n = 1;
			cp = c;
		} else if ((c & 0xe0) == 0xc0) {
			n = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		if (i + n > len)
			goto bad;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		/*
		 * libyaml takes these for line breaks (YAML 1.1), so every
		 * later position would be off; invisible line breaks in a
		 * manifest are a trap anyway.
		 */
		if (cp == 0x85 || cp == 0x2028 || cp == 0x2029 ||
		    (c == '\r' && (i + 1 >= len || s[i + 1] != '\n'))) {
			char name[16];

			if (c == '\r')
				snprintf(name, sizeof(name), "carriage return");
			else
				snprintf(name, sizeof(name), "U+%04lX", cp);
			diag_add(l->diags, DIAG_ERROR, &m, NULL,
				 "a line break other than newline (%s); save "
				 "the file with \\n or \\r\\n line ends", name);
			l->failed = 1;
			return -1;
		}
		i += n;
		if (c == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		continue;
bad:
		{
			char hex[8];

			snprintf(hex, sizeof(hex), "0x%02x", c);
			fail(l, &m, "invalid UTF-8 (byte %s); save the file "
			     "as UTF-8", hex);
		}
		return -1;
	}
	return 0;
}

/*
 * Inside { } or [ ], YAML ends a plain scalar at '{', '}', ',', '[' or ']',
 * so an unquoted ${name} there is a syntax error. Say so when it looks
 * like that is what happened.
 */
static int flow_reference(yaml_parser_t *p, const char *text, size_t len)
{
	size_t i, start = p->problem_mark.index, end;

	if (!p->context || !strstr(p->context, "flow"))
		return 0;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	for (end = start; end < len && text[end] != '\n'; end++)
		;
	for (i = start; i + 1 < end; i++)
		if (text[i] == '$' && text[i + 1] == '{')
			return 1;
	return 0;
}

static void parser_error(struct loader *l, yaml_parser_t *p,
			 const char *text, size_t len)
{
	struct mark m = mark_of(l, p->problem_mark, 0);
	struct buf msg = BUF_INIT;

	buf_addstr(&msg, "invalid YAML: ");
	buf_addstr(&msg, p->problem ? p->problem : "parse error");
	if (p->context) {
		buf_addf(&msg, " %s", p->context);
		if (p->context_mark.line != p->problem_mark.line)
			buf_addf(&msg, " (line %zu)",
				 p->context_mark.line + 1);
	}
	l->stop = 1;
	if (flow_reference(p, text, len))
		buf_addstr(&msg, "; inside { } or [ ] quote values that hold "
			   "${...}, e.g. \"${client}-soc\"");
	fail(l, &m, "%s", msg.s);
	buf_release(&msg);
}

int load_buffer(struct doc *doc, const char *name, const char *text,
		size_t len, json_t **out, struct diag_list *diags)
{
	struct loader l;
	yaml_parser_t parser;
	yaml_event_t ev;
	int documents = 0, done = 0, parser_ready = 0;
	size_t i;
	int ret = -1;

	memset(&l, 0, sizeof(l));
	l.doc = doc;
	l.diags = diags;
	l.file = doc_add_source(doc, name, text, len);
	*out = NULL;

	if (len > LOAD_MAX_BYTES) {
		struct mark m = { l.file, 0, 0, 0 };

		diag_add(diags, DIAG_ERROR, &m, NULL,
			 "file is larger than %u MiB", LOAD_MAX_BYTES >> 20);
		goto out;
	}
	if (check_utf8(&l, (const unsigned char *)text, len))
		goto out;
	/*
	 * Dense YAML, a list of short flow mappings, has about a mark per 12
	 * bytes; the index costs 8 bytes a slot, so an overestimate is cheap.
	 */
	doc_reserve_marks(doc, len / 12);
	if (!yaml_parser_initialize(&parser))
		abort();
	parser_ready = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     len);
	while (!done && !l.stop) {
		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(&l, &parser, text, len);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (documents++) {
				struct mark m = mark_of(&l, ev.start_mark, 0);

				fail(&l, &m, "more than one YAML document in "
				     "the file; a manifest is one document%s",
				     "");
				l.stop = 1;
			}
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT: {
			struct mark m = mark_of(&l, ev.start_mark, 0);
			int map = ev.type == YAML_MAPPING_START_EVENT;
			const char *tag = map ?
				(const char *)ev.data.mapping_start.tag :
				(const char *)ev.data.sequence_start.tag;
			const char *anchor = map ?
				(const char *)ev.data.mapping_start.anchor :
				(const char *)ev.data.sequence_start.anchor;

			if (tag && strcmp(tag, "!") &&
			    strcmp(tag, map ? YAML_MAP_TAG : YAML_SEQ_TAG))
				fail(&l, &m, "unsupported tag '%s'", tag);
			push(&l, map ? json_object() : json_array(), &m,
			     anchor);
			break;
		}
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			pop(&l);
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(&l, &ev);
			break;
		case YAML_ALIAS_EVENT:
			on_alias(&l, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	if (!l.stop && !l.depth) {
		*out = l.root ? l.root : json_null();
		l.root = NULL;
	}
	if (!l.failed)
		ret = 0;
out:
	while (l.depth) {
		struct frame *f = &l.stack[--l.depth];

		json_decref(f->node);
		free(f->key);
		free(f->anchor);
	}
	free(l.stack);
	for (i = 0; i < l.anchors_nr; i++) {
		free(l.anchors[i].name);
		json_decref(l.anchors[i].node);
	}
	free(l.anchors);
	json_decref(l.root);
	if (parser_ready)
		yaml_parser_delete(&parser);
	return ret;
}

int load_file(struct doc *doc, const char *path, json_t **out,
	      struct diag_list *diags)
{
	struct buf text = BUF_INIT;
	int ret;

	*out = NULL;
	if (buf_read_file(&text, path, LOAD_MAX_BYTES)) {
		struct mark m = { path, 0, 0, 0 };

		if (errno == EFBIG)
			diag_add(diags, DIAG_ERROR, &m, NULL,
				 "file is larger than %u MiB",
				 LOAD_MAX_BYTES >> 20);
		else
			diag_add(diags, DIAG_ERROR, &m, NULL,
				 "cannot read file: %s", strerror(errno));
		buf_release(&text);
		return -1;
	}
	ret = load_buffer(doc, path, text.s, text.len, out, diags);
	buf_release(&text);
	return ret;
}

const char *load_yaml_version(void)
{
	return yaml_get_version_string();
}
