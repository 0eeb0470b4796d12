#include <stdlib.h>
#include <string.h>

#include "torq/wfdiff.h"
#include "torq/wfyaml.h"
#include "torq/load.h"
#include "torq/utf8.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/*
 * libyaml reads a mapping key without "? " only when it is at most 1024
 * characters long; longer keys are written as explicit keys.
 */
#define SIMPLE_KEY_MAX 1000

/* Where a mapping stands, for the volatile keys it may drop. */
enum level {
	LEVEL_TOP,		/* the document's mapping */
	LEVEL_STEP,		/* an item of a "steps" sequence */
	LEVEL_STEPS,		/* a "steps" sequence */
	LEVEL_OTHER
};

static const char *const top_volatile[] = { "created_at", "position",
	"revision_id", "ui", "updated_at", "workflow_id", NULL };
static const char *const step_volatile[] = { "created_at", "position",
	"ui", "updated_at", NULL };

struct names {
	char **items;
	size_t nr, alloc;
};

static void names_add(struct names *n, const char *s)
{
	ALLOC_GROW(n->items, n->nr + 1, n->alloc);
	n->items[n->nr++] = xstrdup(s);
}

static void names_free(char **items, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(items[i]);
	free(items);
}

static int listed(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(key, *list))
			return 1;
	return 0;
}

/*
 * A copy of node (new reference) without the volatile keys of its level
 * and, unless keep_steps, without any "steps" sequence: a step's own
 * content, its inner steps aside. Scalars are shared, never changed.
 */
static json_t *copy_tree(const json_t *node, enum level lv, int keep_steps)
{
	const char *key;
	json_t *v, *copy;
	size_t i;

	if (json_is_array(node)) {
		copy = json_array();
		json_array_foreach(node, i, v)
			json_array_append_new(copy, copy_tree(v, lv ==
				LEVEL_STEPS ? LEVEL_STEP : LEVEL_OTHER,
				keep_steps));
		return copy;
	}
	if (!json_is_object(node))
		return json_incref((json_t *)node);
	copy = json_object();
	json_object_foreach((json_t *)node, key, v) {
		int steps = !strcmp(key, "steps") && json_is_array(v);

		if ((lv == LEVEL_TOP && listed(key, top_volatile)) ||
		    (lv == LEVEL_STEP && listed(key, step_volatile)) ||
		    (steps && !keep_steps))
			continue;
		json_object_set_new(copy, key, copy_tree(v, steps ?
				    LEVEL_STEPS : LEVEL_OTHER, keep_steps));
	}
	return copy;
}

/* Load and drop the volatile keys: *tree is a new reference. */
static int load_clean(const char *name, const char *yaml, size_t len,
		      json_t **tree, struct buf *err)
{
	json_t *root = NULL;

	*tree = NULL;
	if (wfyaml_load(name, yaml, len, &root, err))
		return -1;
	*tree = copy_tree(root, LEVEL_TOP, 1);
	json_decref(root);
	return 0;
}

/* Written as an escape: what could hide or rewrite text, and what YAML
 * reads as a line break or refuses as it is. */
static int needs_escape(unsigned long cp)
{
	return utf8_unsafe(cp) || cp == 0xfeff || cp == 0xfffe ||
		cp == 0xffff;
}

/* Decode the character at s[i] (i < len); never 0 bytes long. */
static size_t char_at(const char *s, size_t i, unsigned long *cp)
{
	size_t n = utf8_decode(s + i, cp);

	if (!n) {
		*cp = (unsigned char)s[i];
		n = 1;
	}
	return n;
}

static int has_escape(const char *s, size_t len, int newline_ok)
{
	unsigned long cp;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		n = char_at(s, i, &cp);
		if (needs_escape(cp) && !(newline_ok && cp == '\n'))
			return 1;
	}
	return 0;
}

static void add_quoted(struct buf *b, const char *s, size_t len)
{
	unsigned long cp;
	size_t i, n;

	buf_addch(b, '"');
	for (i = 0; i < len; i += n) {
		n = char_at(s, i, &cp);
		if (cp == '"' || cp == '\\') {
			buf_addch(b, '\\');
			buf_addch(b, (char)cp);
		} else if (cp == '\n') {
			buf_addstr(b, "\\n");
		} else if (cp == '\t') {
			buf_addstr(b, "\\t");
		} else if (needs_escape(cp)) {
			buf_addf(b, "\\u%04lx", cp);
		} else {
			buf_add(b, s + i, n);
		}
	}
	buf_addch(b, '"');
}

/* 1 when s may be written plain and reads back as the same string. */
static int plain_ok(const char *s, size_t len)
{
	const char *why = NULL;
	json_t *v;
	size_t i;
	int ok;

	if (!len || s[0] == ' ' || s[len - 1] == ' ' || s[len - 1] == ':' ||
	    strchr("-?:,[]{}#&*!|>'\"%@`", s[0]) ||
	    (len >= 3 && !memcmp(s, "...", 3)) || has_escape(s, len, 0))
		return 0;
	for (i = 0; i + 1 < len; i++)
		if ((s[i] == ':' && s[i + 1] == ' ') ||
		    (s[i] == ' ' && s[i + 1] == '#'))
			return 0;
	v = load_plain_scalar(s, len, &why);
	ok = v && json_is_string(v);
	json_decref(v);
	return ok;
}

/*
 * 1 when s is best a "|" block: several lines, nothing to escape, no line
 * ending in white space (it would not show), something besides newlines.
 */
static int literal_ok(const char *s, size_t len)
{
	size_t i;

	if (!memchr(s, '\n', len) || has_escape(s, len, 1) ||
	    s[len - 1] == ' ' || strspn(s, "\n") == len)
		return 0;
	for (i = 0; i + 1 < len; i++)
		if (s[i] == ' ' && s[i + 1] == '\n')
			return 0;
	return 1;
}

/* A block scalar whose lines stand at column indent. */
static void add_literal(struct buf *b, const char *s, size_t len,
			size_t indent)
{
	size_t lead = strspn(s, "\n"), trail = 0, start = 0, i;

	while (trail < len && s[len - 1 - trail] == '\n')
		trail++;
	buf_addch(b, '|');
	/* a first line that starts with a space would set the indent */
	if (s[lead] == ' ')
		buf_addch(b, '2');
	if (trail != 1)
		buf_addch(b, trail ? '+' : '-');
	buf_addch(b, '\n');
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		if (i > start) {
			buf_addchars(b, ' ', indent);
			buf_add(b, s + start, i - start);
		}
		buf_addch(b, '\n');
		start = i + 1;
	}
}

/* Returns 1 when it wrote a block (literal allowed), which ends its line. */
static int add_string(struct buf *b, const char *s, size_t len,
		      size_t indent, int literal)
{
	if (plain_ok(s, len)) {
		buf_add(b, s, len);
	} else if (literal && literal_ok(s, len)) {
		add_literal(b, s, len, indent);
		return 1;
	} else {
		add_quoted(b, s, len);
	}
	return 0;
}

/* A scalar or empty collection, then its newline; a block's lines at
 * column indent. */
static void emit_scalar(struct buf *b, const json_t *v, size_t indent)
{
	char *text;

	if (json_is_string(v)) {
		if (add_string(b, json_string_value(v), json_string_length(v),
			       indent, 1))
			return;
	} else if (json_is_object(v) || json_is_array(v)) {
		buf_addstr(b, json_is_object(v) ? "{}" : "[]");
	} else {
		/* null, booleans and numbers as wfyaml_digest writes them */
		text = json_dumps(v, JSON_ENCODE_ANY);
		buf_addstr(b, text);
		free(text);
	}
	buf_addch(b, '\n');
}

static int key_rank(const char *key)
{
	static const char *const first[] = { "name", "id", "type" };
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(first); i++)
		if (!strcmp(key, first[i]))
			return i;
	return (int)ARRAY_SIZE(first);
}

static int cmp_keys(const void *a, const void *b)
{
	const char *x = *(const char *const *)a;
	const char *y = *(const char *const *)b;
	int rx = key_rank(x), ry = key_rank(y);

	return rx != ry ? rx - ry : strcmp(x, y);
}

static void emit_mapping(struct buf *b, const json_t *obj, size_t indent,
			 int inline_first);
static void emit_sequence(struct buf *b, const json_t *arr, size_t indent,
			  int inline_first);

/* v after "key:" (item 0) or "-" (item 1) of a collection at indent. */
static void emit_after(struct buf *b, const json_t *v, size_t indent,
		       int item)
{
	int map = json_is_object(v) && json_object_size(v);
	int seq = json_is_array(v) && json_array_size(v);

	buf_addch(b, map || seq ? (item ? ' ' : '\n') : ' ');
	if (map)
		emit_mapping(b, v, indent + 2, item);
	else if (seq)
		emit_sequence(b, v, indent + 2, item);
	else
		emit_scalar(b, v, indent + 2);
}

static void emit_key(struct buf *b, const char *key, size_t indent)
{
	struct buf k = BUF_INIT;

	add_string(&k, key, strlen(key), indent, 0);
	if (k.len > SIMPLE_KEY_MAX) {
		buf_addstr(b, "? ");
		buf_add(b, k.s, k.len);
		buf_addch(b, '\n');
		buf_addchars(b, ' ', indent);
	} else {
		buf_add(b, k.s, k.len);
	}
	buf_addch(b, ':');
	buf_release(&k);
}

static void emit_mapping(struct buf *b, const json_t *obj, size_t indent,
			 int inline_first)
{
	const char **keys;
	const char *key;
	json_t *v;
	size_t nr = 0, i;

	keys = xmalloc(json_object_size(obj) * sizeof(*keys));
	json_object_foreach((json_t *)obj, key, v)
		keys[nr++] = key;
	qsort(keys, nr, sizeof(*keys), cmp_keys);
	for (i = 0; i < nr; i++) {
		if (i || !inline_first)
			buf_addchars(b, ' ', indent);
		emit_key(b, keys[i], indent);
		emit_after(b, json_object_get(obj, keys[i]), indent, 0);
	}
	free(keys);
}

static void emit_sequence(struct buf *b, const json_t *arr, size_t indent,
			  int inline_first)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		if (i || !inline_first)
			buf_addchars(b, ' ', indent);
		buf_addch(b, '-');
		emit_after(b, v, indent, 1);
	}
}

static void emit(struct buf *b, const json_t *root)
{
	if (json_is_object(root) && json_object_size(root))
		emit_mapping(b, root, 0, 0);
	else if (json_is_array(root) && json_array_size(root))
		emit_sequence(b, root, 0, 0);
	else
		emit_scalar(b, root, 2);
}

int wfdiff_normalise(const char *name, const char *yaml, size_t len,
		     struct buf *out, struct buf *err)
{
	json_t *tree;

	if (load_clean(name, yaml, len, &tree, err))
		return -1;
	emit(out, tree);
	json_decref(tree);
	return 0;
}

/* Steps, in document order (a step before its inner steps). */
struct step {
	char *name;
	json_t *bare;		/* the step without inner steps */
	size_t pos;
	long other;		/* matching step on the other side, or -1 */
};

struct steps {
	struct step *items;
	size_t nr, alloc;
};

static void collect_steps(const json_t *seq, const char *prefix,
			  struct steps *out);

/* Find "steps" sequences inside a step; path holds "STEP/" and the way. */
static void find_inner(const json_t *node, struct buf *path,
		       struct steps *out)
{
	const char *key;
	size_t len = path->len, i;
	json_t *v;

	if (json_is_object(node)) {
		json_object_foreach((json_t *)node, key, v) {
			if (!strcmp(key, "steps") && json_is_array(v)) {
				collect_steps(v, path->s, out);
				continue;
			}
			buf_addf(path, "%s/", key);
			find_inner(v, path, out);
			buf_setlen(path, len);
		}
	} else if (json_is_array(node)) {
		json_array_foreach(node, i, v) {
			buf_addf(path, "%zu/", i);
			find_inner(v, path, out);
			buf_setlen(path, len);
		}
	}
}

static void collect_steps(const json_t *seq, const char *prefix,
			  struct steps *out)
{
	struct buf name = BUF_INIT;
	struct step *s;
	const char *id;
	json_t *v;
	size_t i;

	json_array_foreach(seq, i, v) {
		if (!json_is_object(v))
			continue;
		id = json_string_value(json_object_get(v, "id"));
		buf_reset(&name);
		buf_addstr(&name, prefix);
		if (id)
			buf_addstr(&name, id);
		else
			buf_addf(&name, "#%zu", i + 1);
		ALLOC_GROW(out->items, out->nr + 1, out->alloc);
		s = &out->items[out->nr];
		s->name = xstrdup(name.s);
		s->bare = copy_tree(v, LEVEL_OTHER, 0);
		s->pos = out->nr++;
		s->other = -1;
		buf_addch(&name, '/');
		find_inner(v, &name, out);
	}
	buf_release(&name);
}

static void steps_release(struct steps *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++) {
		free(s->items[i].name);
		json_decref(s->items[i].bare);
	}
	free(s->items);
}

static int cmp_step_names(const void *a, const void *b)
{
	const struct step *x = *(const struct step *const *)a;
	const struct step *y = *(const struct step *const *)b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The first step named name in sorted (by name, then position), or NULL. */
static struct step *find_step(struct step **sorted, size_t nr,
			      const char *name)
{
	size_t lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(sorted[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nr && !strcmp(sorted[lo]->name, name) ? sorted[lo] : NULL;
}

/*
 * Mark the steps of common (old positions, in new order) that are not in
 * a longest increasing run: the ones that moved.
 */
static void find_moved(const long *common, size_t nr, char *moved)
{
	size_t *tail = xmalloc((nr + 1) * sizeof(*tail));
	long *prev = xmalloc((nr + 1) * sizeof(*prev));
	size_t len = 0, lo, hi, mid, i;
	long k;

	for (i = 0; i < nr; i++) {
		lo = 0;
		hi = len;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (common[tail[mid]] < common[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		prev[i] = lo ? (long)tail[lo - 1] : -1;
		tail[lo] = i;
		if (lo == len)
			len++;
		moved[i] = 1;
	}
	for (k = len ? (long)tail[len - 1] : -1; k >= 0; k = prev[k])
		moved[k] = 0;
	free(tail);
	free(prev);
}

static void compare_steps(struct steps *old, struct steps *new,
			  struct wfdiff *d)
{
	struct names added = { 0 }, removed = { 0 }, changed = { 0 };
	struct names moved = { 0 };
	struct step **sorted = xmalloc((old->nr + 1) * sizeof(*sorted));
	long *common = xmalloc((new->nr + 1) * sizeof(*common));
	size_t *which = xmalloc((new->nr + 1) * sizeof(*which));
	char *is_moved = xmalloc(new->nr + 1);
	struct step *o;
	size_t i, nr = 0;

	for (i = 0; i < old->nr; i++)
		sorted[i] = &old->items[i];
	qsort(sorted, old->nr, sizeof(*sorted), cmp_step_names);
	for (i = 0; i < new->nr; i++) {
		struct step *s = &new->items[i];

		o = find_step(sorted, old->nr, s->name);
		if (!o || o->other >= 0) {
			names_add(&added, s->name);
			continue;
		}
		o->other = (long)i;
		s->other = (long)o->pos;
		if (!json_equal(o->bare, s->bare))
			names_add(&changed, s->name);
		common[nr] = (long)o->pos;
		which[nr++] = i;
	}
	for (i = 0; i < old->nr; i++)
		if (old->items[i].other < 0)
			names_add(&removed, old->items[i].name);
	find_moved(common, nr, is_moved);
	for (i = 0; i < nr; i++)
		if (is_moved[i])
			names_add(&moved, new->items[which[i]].name);
	d->added = added.items;
	d->added_nr = added.nr;
	d->removed = removed.items;
	d->removed_nr = removed.nr;
	d->changed = changed.items;
	d->changed_nr = changed.nr;
	d->moved = moved.items;
	d->moved_nr = moved.nr;
	free(sorted);
	free(common);
	free(which);
	free(is_moved);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The top-level keys but "steps" whose values differ; NULL: absent. */
static void compare_top(const json_t *old, const json_t *new,
			struct wfdiff *d)
{
	struct names top = { 0 };
	const json_t *sides[2] = { old, new };
	const char *key;
	json_t *v;
	int i;

	if ((old && !json_is_object(old)) || (new && !json_is_object(new))) {
		if (!old || !new || !json_equal((json_t *)old, (json_t *)new))
			names_add(&top, "");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (!sides[i])
			continue;
		json_object_foreach((json_t *)sides[i], key, v) {
			const json_t *w = sides[!i] ?
				json_object_get(sides[!i], key) : NULL;

			if (!strcmp(key, "steps") || (i && w))
				continue;
			if (!w || !json_equal(v, (json_t *)w))
				names_add(&top, key);
		}
	}
	if (top.nr)
		qsort(top.items, top.nr, sizeof(*top.items), cmp_str);
out:
	d->top_changed = top.items;
	d->top_changed_nr = top.nr;
}

static void top_steps(const json_t *tree, struct steps *out)
{
	const json_t *seq = json_is_object(tree) ?
		json_object_get(tree, "steps") : NULL;

	if (json_is_array(seq))
		collect_steps(seq, "", out);
}

/* The lines of a text, each interned as a number: equal lines, equal ids. */
struct lines {
	const char **s;
	size_t *len;
	long *id;
	size_t nr;
};

static void split_lines(const char *text, size_t len, struct lines *l)
{
	size_t i, start = 0, alloc = 0;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			alloc++;
	alloc++;
	l->s = xmalloc(alloc * sizeof(*l->s));
	l->len = xmalloc(alloc * sizeof(*l->len));
	l->id = xmalloc(alloc * sizeof(*l->id));
	for (i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		l->s[l->nr] = text + start;
		l->len[l->nr++] = i - start;
		start = i + 1;
	}
}

static void lines_release(struct lines *l)
{
	free(l->s);
	free(l->len);
	free(l->id);
}

static unsigned long hash_line(const char *s, size_t len)
{
	unsigned long h = 2166136261ul;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619ul;
	return h;
}

/* Number the lines of both sides alike, through one open hash table. */
static void intern(struct lines *a, struct lines *b)
{
	struct lines *sides[2] = { a, b };
	size_t size = 16, mask, i, slot;
	struct { const char *s; size_t len; long id; } *table;
	long next = 0;
	int k;

	while (size < 2 * (a->nr + b->nr))
		size *= 2;
	mask = size - 1;
	table = xcalloc(size, sizeof(*table));
	for (k = 0; k < 2; k++) {
		struct lines *l = sides[k];

		for (i = 0; i < l->nr; i++) {
			slot = hash_line(l->s[i], l->len[i]) & mask;
			while (table[slot].s && (table[slot].len != l->len[i] ||
			       memcmp(table[slot].s, l->s[i], l->len[i])))
				slot = (slot + 1) & mask;
			if (!table[slot].s) {
				table[slot].s = l->s[i];
				table[slot].len = l->len[i];
				table[slot].id = next++;
			}
			l->id[i] = table[slot].id;
		}
	}
	free(table);
}

/*
 * The diagonals Myers' search may try in all, a second or so: a
 * diff beyond it (tens of thousands of lines changed apart from each
 * other) shows what is left of each region as removed and added, still a
 * right diff, only not the shortest.
 */
#define DIFF_COST_MAX (1L << 28)

static void diff_range(const long *a, long n, const long *b, long m,
		       char *del, char *ins, long *budget);

/*
 * One of the two paths of Myers' search: forward from the start, or
 * backward from the end. v[off + k] is the furthest x reached on diagonal
 * k (counted from the path's own end), -1 where none yet.
 */
struct path {
	long *v;
	long kstart, kend;	/* diagonals left behind at either side */
	int back;
};

/* Extend path p on diagonal k at cost d, following its snake. */
static long extend(struct path *p, long off, long k, long d, const long *a,
		   long n, const long *b, long m)
{
	long *v = p->v + off, x, y;

	if (k == -d || (k != d && v[k - 1] < v[k + 1]))
		x = v[k + 1];
	else
		x = v[k - 1] + 1;
	for (y = x - k; x < n && y < m; x++, y++)
		if (p->back ? a[n - x - 1] != b[m - y - 1] : a[x] != b[y])
			break;
	v[k] = x;
	return x;
}

/*
 * Myers' middle snake in linear space (as diff-match-patch's bisect):
 * split the problem where the forward and backward paths meet, then solve
 * both halves. O((N+M)D) time.
 */
static void bisect(const long *a, long n, const long *b, long m, char *del,
		   char *ins, long *budget)
{
	long max_d = (n + m + 1) / 2, off = max_d, vlen = 2 * max_d + 2;
	long delta = n - m, d, k, i, x, ko, fk, sx = 0, sy = 0;
	struct path paths[2] = { { NULL, 0, 0, 0 }, { NULL, 0, 0, 1 } };
	int front = delta % 2 != 0, found = 0, dir;

	for (dir = 0; dir < 2; dir++) {
		paths[dir].v = xmalloc(vlen * sizeof(*paths[dir].v));
		for (i = 0; i < vlen; i++)
			paths[dir].v[i] = -1;
		paths[dir].v[off + 1] = 0;
	}
	for (d = 0; d < max_d && !found && *budget > 0; d++) {
		*budget -= 2 * d + 1;
		for (dir = 0; dir < 2 && !found; dir++) {
			struct path *p = &paths[dir];
			const long *other = paths[!dir].v;

			for (k = -d + p->kstart; k <= d - p->kend && !found;
			     k += 2) {
				x = extend(p, off, k, d, a, n, b, m);
				if (x > n) {
					p->kend += 2;
					continue;
				}
				if (x - k > m) {
					p->kstart += 2;
					continue;
				}
				/* the paths can overlap only on one turn */
				ko = off + delta - k;
				if (front == dir || ko < 0 || ko >= vlen ||
				    other[ko] == -1)
					continue;
				/* forward x against backward x */
				if ((dir ? other[ko] : x) <
				    n - (dir ? x : other[ko]))
					continue;
				sx = dir ? other[ko] : x;
				fk = dir ? delta - k : k;
				sy = sx - fk;
				found = 1;
			}
		}
	}
	free(paths[0].v);
	free(paths[1].v);
	/* no meeting (nothing in common), or one that would not progress */
	if (!found || (!sx && !sy) || (sx == n && sy == m)) {
		memset(del, 1, (size_t)n);
		memset(ins, 1, (size_t)m);
		return;
	}
	diff_range(a, sx, b, sy, del, ins, budget);
	diff_range(a + sx, n - sx, b + sy, m - sy, del + sx, ins + sy,
		   budget);
}

/* Mark in del the lines of a not kept, in ins the lines of b added. */
static void diff_range(const long *a, long n, const long *b, long m,
		       char *del, char *ins, long *budget)
{
	while (n && m && a[0] == b[0]) {
		a++;
		b++;
		del++;
		ins++;
		n--;
		m--;
	}
	while (n && m && a[n - 1] == b[m - 1]) {
		n--;
		m--;
	}
	if (!n || !m) {
		memset(del, 1, (size_t)n);
		memset(ins, 1, (size_t)m);
		return;
	}
	bisect(a, n, b, m, del, ins, budget);
}

/* One entry of the edit script: kind, and the lines before it per side. */
struct edit {
	char kind;		/* ' ', '-', '+' */
	size_t a, b;
};

static void add_line(struct wfdiff *d, size_t *alloc, size_t max,
		     enum wfdiff_kind kind, const char *s, size_t len,
		     size_t old_line, size_t new_line)
{
	struct wfdiff_line *l;

	if (max && d->lines_nr >= max) {
		d->cut++;
		return;
	}
	ALLOC_GROW(d->lines, d->lines_nr + 1, *alloc);
	l = &d->lines[d->lines_nr++];
	l->kind = kind;
	l->text = xstrndup(s, len);
	l->old_line = old_line;
	l->new_line = new_line;
}

static void add_hunk(struct wfdiff *d, const struct edit *e, size_t start,
		     size_t end, const struct lines *a, const struct lines *b,
		     size_t max, size_t *lines_alloc, size_t *hunks_alloc)
{
	struct wfdiff_hunk h = { 0, 0, 0, 0, 0, 0 };
	struct buf head = BUF_INIT;
	size_t i;

	for (i = start; i < end; i++) {
		h.old_nr += e[i].kind != '+';
		h.new_nr += e[i].kind != '-';
	}
	h.old_start = e[start].a + (h.old_nr > 0);
	h.new_start = e[start].b + (h.new_nr > 0);
	buf_addf(&head, "@@ -%zu", h.old_start);
	if (h.old_nr != 1)
		buf_addf(&head, ",%zu", h.old_nr);
	buf_addf(&head, " +%zu", h.new_start);
	if (h.new_nr != 1)
		buf_addf(&head, ",%zu", h.new_nr);
	buf_addstr(&head, " @@");
	h.line = d->lines_nr;
	add_line(d, lines_alloc, max, WFDIFF_HUNK, head.s, head.len,
		 h.old_start, h.new_start);
	for (i = start; i < end; i++) {
		size_t ai = e[i].a, bi = e[i].b;

		if (e[i].kind == '+')
			add_line(d, lines_alloc, max, WFDIFF_ADD, b->s[bi],
				 b->len[bi], 0, bi + 1);
		else
			add_line(d, lines_alloc, max, e[i].kind == '-' ?
				 WFDIFF_DEL : WFDIFF_CONTEXT, a->s[ai],
				 a->len[ai], ai + 1,
				 e[i].kind == '-' ? 0 : bi + 1);
	}
	if (h.line < d->lines_nr) {
		h.lines_nr = d->lines_nr - h.line;
		ALLOC_GROW(d->hunks, d->hunks_nr + 1, *hunks_alloc);
		d->hunks[d->hunks_nr++] = h;
	}
	buf_release(&head);
}

static void diff_texts(const char *old, size_t old_len, const char *new,
		       size_t new_len, size_t context, size_t max,
		       struct wfdiff *d)
{
	struct lines a, b;
	struct edit *e;
	char *del, *ins;
	size_t i = 0, j = 0, nr = 0, start, last, next, end, done = 0;
	size_t lines_alloc = 0, hunks_alloc = 0;
	long budget = DIFF_COST_MAX;

	split_lines(old, old_len, &a);
	split_lines(new, new_len, &b);
	intern(&a, &b);
	del = xcalloc(a.nr + 1, 1);
	ins = xcalloc(b.nr + 1, 1);
	diff_range(a.id, (long)a.nr, b.id, (long)b.nr, del, ins, &budget);
	e = xmalloc((a.nr + b.nr + 1) * sizeof(*e));
	while (i < a.nr || j < b.nr) {
		e[nr].a = i;
		e[nr].b = j;
		if (i < a.nr && del[i]) {
			e[nr].kind = '-';
			i++;
			d->minus++;
		} else if (j < b.nr && (ins[j] || i == a.nr)) {
			e[nr].kind = '+';
			j++;
			d->plus++;
		} else {
			e[nr].kind = ' ';
			i++;
			j++;
		}
		nr++;
	}
	for (;;) {
		for (next = done; next < nr && e[next].kind == ' '; next++)
			;
		if (next == nr)
			break;
		start = next > done + context ? next - context : done;
		last = next;
		for (;;) {
			for (next = last + 1; next < nr && e[next].kind == ' ';
			     next++)
				;
			if (next == nr || next - last - 1 > 2 * context)
				break;
			last = next;
		}
		end = last + 1 + context < nr ? last + 1 + context : nr;
		add_hunk(d, e, start, end, &a, &b, max, &lines_alloc,
			 &hunks_alloc);
		done = end;
	}
	free(e);
	free(del);
	free(ins);
	lines_release(&a);
	lines_release(&b);
}

void wfdiff_release(struct wfdiff *d)
{
	size_t i;

	if (!d)
		return;
	names_free(d->added, d->added_nr);
	names_free(d->removed, d->removed_nr);
	names_free(d->changed, d->changed_nr);
	names_free(d->moved, d->moved_nr);
	names_free(d->top_changed, d->top_changed_nr);
	for (i = 0; i < d->lines_nr; i++)
		free(d->lines[i].text);
	free(d->lines);
	free(d->hunks);
	free(d->old_text);
	free(d->new_text);
	memset(d, 0, sizeof(*d));
}

int wfdiff_compute(const char *old_name, const char *old_yaml,
		   size_t old_len, const char *new_name, const char *new_yaml,
		   size_t new_len, const struct wfdiff_opts *opts,
		   struct wfdiff *out, struct buf *err)
{
	struct wfdiff_opts defaults = WFDIFF_OPTS_INIT;
	json_t *old = NULL, *new = NULL;
	struct buf ot = BUF_INIT, nt = BUF_INIT;
	struct steps os = { NULL, 0, 0 }, ns = { NULL, 0, 0 };
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &defaults;
	if (old_yaml && old_len &&
	    load_clean(old_name, old_yaml, old_len, &old, err))
		goto out;
	if (new_yaml && new_len &&
	    load_clean(new_name, new_yaml, new_len, &new, err))
		goto out;
	if (old)
		emit(&ot, old);
	if (new)
		emit(&nt, new);
	compare_top(old, new, out);
	top_steps(old, &os);
	top_steps(new, &ns);
	compare_steps(&os, &ns, out);
	diff_texts(ot.s, ot.len, nt.s, nt.len,
		   opts->context < 0 ? 3 : (size_t)opts->context,
		   opts->max_lines, out);
	out->old_text = buf_detach(&ot, NULL);
	out->new_text = buf_detach(&nt, NULL);
	ret = 0;
out:
	steps_release(&os);
	steps_release(&ns);
	buf_release(&ot);
	buf_release(&nt);
	json_decref(old);
	json_decref(new);
	return ret;
}

int wfdiff_empty(const struct wfdiff *d)
{
	return !d->lines_nr && !d->cut && !d->added_nr && !d->removed_nr &&
		!d->changed_nr && !d->moved_nr && !d->top_changed_nr;
}

/* "… N more lines" when the diff was cut. */
static void add_trailer(const struct wfdiff *d, struct buf *out)
{
	if (d->cut)
		buf_addf(out, "\xe2\x80\xa6 %zu more line%s\n", d->cut,
			 d->cut == 1 ? "" : "s");
}

static void render_lines(const struct wfdiff *d, int colour,
			 struct buf *out)
{
	static const char *const prefix[] = { "", " ", "-", "+" };
	static const char *const ansi[] = { "\033[36m", "", "\033[31m",
		"\033[32m" };
	size_t i;

	for (i = 0; i < d->lines_nr; i++) {
		const struct wfdiff_line *l = &d->lines[i];
		int paint = colour && *ansi[l->kind];

		buf_addf(out, "%s%s%s%s\n", paint ? ansi[l->kind] : "",
			 prefix[l->kind], l->text, paint ? "\033[0m" : "");
	}
}

void wfdiff_render_text(const struct wfdiff *d, int colour, struct buf *out)
{
	render_lines(d, colour, out);
	add_trailer(d, out);
}

void wfdiff_render_markdown(const struct wfdiff *d, struct buf *out)
{
	buf_addstr(out, "```diff\n");
	render_lines(d, 0, out);
	buf_addstr(out, "```\n");
	add_trailer(d, out);
}

static json_t *names_json(char **names, size_t nr)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < nr; i++)
		json_array_append_new(a, utf8_json_string(names[i]));
	return a;
}

json_t *wfdiff_json(const struct wfdiff *d)
{
	static const char *const kinds[] = { "hunk", "context", "removed",
		"added" };
	struct buf summary = BUF_INIT;
	json_t *hunks = json_array(), *lines, *j;
	size_t h, i;

	for (h = 0; h < d->hunks_nr; h++) {
		const struct wfdiff_hunk *hk = &d->hunks[h];

		lines = json_array();
		for (i = hk->line + 1; i < hk->line + hk->lines_nr; i++)
			json_array_append_new(lines, json_pack("{s:s, s:o}",
				"kind", kinds[d->lines[i].kind], "text",
				utf8_json_string(d->lines[i].text)));
		json_array_append_new(hunks, json_pack("{s:I, s:I, s:I, s:I, "
			"s:o}", "old_start", (json_int_t)hk->old_start,
			"old_lines", (json_int_t)hk->old_nr, "new_start",
			(json_int_t)hk->new_start, "new_lines",
			(json_int_t)hk->new_nr, "lines", lines));
	}
	wfdiff_summary_text(d, &summary);
	j = json_pack("{s:s, s:{s:o, s:o, s:o, s:o}, s:o, s:I, s:I, s:I, "
		      "s:o}", "summary", summary.s, "steps",
		      "added", names_json(d->added, d->added_nr),
		      "removed", names_json(d->removed, d->removed_nr),
		      "changed", names_json(d->changed, d->changed_nr),
		      "moved", names_json(d->moved, d->moved_nr),
		      "top_changed", names_json(d->top_changed,
						d->top_changed_nr),
		      "plus", (json_int_t)d->plus,
		      "minus", (json_int_t)d->minus,
		      "cut", (json_int_t)d->cut, "hunks", hunks);
	buf_release(&summary);
	return j;
}

/* "N what (a, b, c)", at most five names. */
static void summary_list(struct buf *out, const char *what, char **names,
			 size_t nr, int *first)
{
	size_t i, shown = nr > 5 ? 5 : nr;

	if (!nr)
		return;
	buf_addf(out, "%s%zu %s (", *first ? "" : ", ", nr, what);
	*first = 0;
	for (i = 0; i < shown; i++)
		buf_addf(out, "%s%s", i ? ", " : "", names[i]);
	if (nr > shown)
		buf_addf(out, " and %zu more", nr - shown);
	buf_addch(out, ')');
}

void wfdiff_summary_text(const struct wfdiff *d, struct buf *out)
{
	/* an import: every top-level key is new, no news to list */
	int first = 1, fresh = d->old_text && !*d->old_text &&
		d->new_text && *d->new_text;
	size_t i, top = fresh ? 0 : d->top_changed_nr;

	if (fresh)
		buf_addstr(out, "all new; ");
	if (d->added_nr || d->removed_nr || d->changed_nr || d->moved_nr)
		buf_addstr(out, "steps: ");
	summary_list(out, "added", d->added, d->added_nr, &first);
	summary_list(out, "removed", d->removed, d->removed_nr, &first);
	summary_list(out, "changed", d->changed, d->changed_nr, &first);
	summary_list(out, "moved", d->moved, d->moved_nr, &first);
	for (i = 0; i < top; i++)
		buf_addf(out, "%s%s", i ? ", " : first ? "" : "; ",
			 *d->top_changed[i] ? d->top_changed[i] :
			 "the whole text");
	if (top)
		buf_addstr(out, " changed");
	else if (first && (d->lines_nr || d->cut))
		buf_addstr(out, "steps changed");
	else if (first)
		buf_addstr(out, "no change");
}
