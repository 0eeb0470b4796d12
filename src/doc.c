#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "torq/doc.h"
#include "torq/buf.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/*
 * Marks are kept densely, in the order they were set (which is document
 * order), and found through a separate open-addressing index of small
 * slots. A large manifest has millions of marks: probing an index of 8
 * bytes a slot, then reading marks that lie near the last ones read,
 * keeps most lookups in cache, where a table of whole entries did not.
 */
struct doc_mark_entry {
	json_t *node;		/* holds a reference */
	const char *key;	/* interned (key_names); NULL: the node's own */
	struct mark mark;
};

struct doc_mark_slot {
	uint32_t entry;		/* index in marks, plus one; 0: empty */
	uint32_t check;		/* the hash's high half, spares compares */
};

struct doc_source {
	char *name;
	char *text;
	size_t len;
	size_t *line_starts;	/* offsets of each line, built on demand */
	size_t lines;
};

struct doc_secret {
	json_t *node;
	char *value;
	size_t len;
};

struct doc_deferred {
	json_t *node;
	struct doc_deferred_part *parts;
	size_t nr, alloc;
};

void doc_init(struct doc *doc)
{
	memset(doc, 0, sizeof(*doc));
}

void doc_release(struct doc *doc)
{
	size_t i;

	if (!doc)
		return;
	json_decref(doc->root);
	for (i = 0; i < doc->marks_nr; i++) {
		json_decref(doc->marks[i].node);
	}
	json_decref(doc->key_names);
	free(doc->marks);
	free(doc->mark_slots);
	for (i = 0; i < doc->sources_nr; i++) {
		free(doc->sources[i].name);
		free(doc->sources[i].text);
		free(doc->sources[i].line_starts);
	}
	free(doc->sources);
	for (i = 0; i < doc->secrets_nr; i++) {
		secure_zero(doc->secrets[i].value, doc->secrets[i].len);
		free(doc->secrets[i].value);
		json_decref(doc->secrets[i].node);
	}
	free(doc->secrets);
	free(doc->secret_slots);
	for (i = 0; i < doc->deferred_nr; i++) {
		struct doc_deferred *d = &doc->deferred[i];
		size_t j;

		for (j = 0; j < d->nr; j++) {
			secure_zero(d->parts[j].text, d->parts[j].len);
			free(d->parts[j].text);
		}
		free(d->parts);
		json_decref(d->node);
	}
	free(doc->deferred);
	secretcmd_list_release(&doc->cmds);
	doc_init(doc);
}

const char *doc_add_source(struct doc *doc, const char *name,
			   const char *text, size_t len)
{
	struct doc_source *s;
	size_t i;

	for (i = 0; i < doc->sources_nr; i++)
		if (!strcmp(doc->sources[i].name, name))
			return doc->sources[i].name;
	ALLOC_GROW(doc->sources, doc->sources_nr + 1, doc->sources_alloc);
	s = &doc->sources[doc->sources_nr++];
	s->name = xstrdup(name);
	s->text = xmalloc(len + 1);
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->len = len;
	s->line_starts = NULL;
	s->lines = 0;
	return s->name;
}

static void index_lines(struct doc_source *s)
{
	size_t i, alloc = 0;

	ALLOC_GROW(s->line_starts, 1, alloc);
	s->line_starts[s->lines++] = 0;
	for (i = 0; i < s->len; i++) {
		if (s->text[i] != '\n')
			continue;
		ALLOC_GROW(s->line_starts, s->lines + 1, alloc);
		s->line_starts[s->lines++] = i + 1;
	}
}

void doc_hide_source(struct doc *doc, const char *name)
{
	size_t i;

	for (i = 0; i < doc->sources_nr; i++) {
		struct doc_source *s = &doc->sources[i];

		if (strcmp(s->name, name) || !s->text)
			continue;
		secure_zero(s->text, s->len);
		free(s->text);
		free(s->line_starts);
		s->text = NULL;
		s->line_starts = NULL;
		s->len = s->lines = 0;
	}
}

const char *doc_source_line(void *ctx, const char *file, unsigned line,
			    size_t *len)
{
	struct doc *doc = ctx;
	struct doc_source *s = NULL;
	size_t i, start, end;

	for (i = 0; i < doc->sources_nr; i++)
		if (!strcmp(doc->sources[i].name, file))
			s = &doc->sources[i];
	if (!s || !s->text || !line)
		return NULL;
	if (!s->line_starts)
		index_lines(s);
	if (line > s->lines)
		return NULL;
	start = s->line_starts[line - 1];
	end = line < s->lines ? s->line_starts[line] - 1 : s->len;
	if (end > start && s->text[end - 1] == '\r')
		end--;
	*len = end - start;
	return s->text + start;
}

/*
 * The doc's one copy of a key, or NULL when it has none and add is 0.
 * Marks hold these copies: a manifest of 100,000 users would otherwise
 * hold 200,000 copies of "email" and "role", and keys compare as pointers.
 */
static const char *intern_key(const struct doc *doc, const char *key, int add)
{
	struct doc *d = (struct doc *)doc;	/* add is 0 for a const doc */
	void *it;

	if (!doc->key_names) {
		if (!add)
			return NULL;
		d->key_names = json_object();
		if (!d->key_names)
			abort();
	}
	it = json_object_iter_at(doc->key_names, key);
	if (!it && add) {
		if (json_object_set_new_nocheck(d->key_names, key, json_null()))
			abort();
		it = json_object_iter_at(doc->key_names, key);
	}
	return it ? json_object_iter_key(it) : NULL;
}

/* key is interned: its address stands for it. */
static uint64_t hash_entry(const json_t *node, const char *key)
{
	uint64_t h = (uint64_t)(uintptr_t)node * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)(uintptr_t)key * 0xc2b2ae3d27d4eb4fULL;
	return h ^ (h >> 29);
}

/*
 * Where the search for a mark starts. A node's own mark starts at its
 * address: nodes are made and read in document order, so their marks'
 * slots are near one another and the index is read like an array rather
 * than at random. A key's mark starts at its hash, so that an object's
 * many keys do not crowd one place.
 */
static size_t first_slot(const json_t *node, const char *key, uint64_t hash)
{
	return key ? (size_t)hash : (size_t)((uintptr_t)node >> 4);
}

/*
 * The slot holding the mark of node and (interned) key, or the empty slot
 * where it would go. The index always has an empty slot (it is at most 3/4
 * full).
 */
static struct doc_mark_slot *probe(const struct doc *doc, const json_t *node,
				   const char *key, uint64_t hash)
{
	size_t mask = doc->mark_slots_nr - 1;
	size_t i = first_slot(node, key, hash) & mask;
	uint32_t check = (uint32_t)(hash >> 32);

	for (;; i = (i + 1) & mask) {
		struct doc_mark_slot *s = &doc->mark_slots[i];
		const struct doc_mark_entry *e;

		if (!s->entry)
			return s;
		if (s->check != check)
			continue;
		e = &doc->marks[s->entry - 1];
		if (e->node == node && e->key == key)
			return s;
	}
}

/* The entry of node and key, or NULL. */
static struct doc_mark_entry *find_entry(const struct doc *doc,
					 const json_t *node, const char *key)
{
	struct doc_mark_slot *s;

	if (!doc->mark_slots_nr)
		return NULL;
	if (key && !(key = intern_key(doc, key, 0)))
		return NULL;
	s = probe(doc, node, key, hash_entry(node, key));
	return s->entry ? &doc->marks[s->entry - 1] : NULL;
}

/* Rebuild the index with room for n marks. */
static void index_marks(struct doc *doc, size_t n)
{
	size_t i, slots = doc->mark_slots_nr ? doc->mark_slots_nr : 256;

	while (n * 4 > slots * 3)
		slots *= 2;
	if (slots == doc->mark_slots_nr)
		return;
	free(doc->mark_slots);
	doc->mark_slots_nr = slots;
	doc->mark_slots = xcalloc(doc->mark_slots_nr,
				  sizeof(*doc->mark_slots));
	/* The entries are unique: each goes to the first empty slot. */
	for (i = 0; i < doc->marks_nr; i++) {
		const struct doc_mark_entry *e = &doc->marks[i];
		uint64_t hash = hash_entry(e->node, e->key);
		size_t j = first_slot(e->node, e->key, hash);

		for (;; j++) {
			j &= doc->mark_slots_nr - 1;
			if (!doc->mark_slots[j].entry)
				break;
		}
		doc->mark_slots[j].entry = (uint32_t)(i + 1);
		doc->mark_slots[j].check = (uint32_t)(hash >> 32);
	}
}

void doc_reserve_marks(struct doc *doc, size_t n)
{
	if (n < UINT32_MAX - doc->marks_nr)
		index_marks(doc, doc->marks_nr + n);
}

void doc_set_mark(struct doc *doc, json_t *node, const char *key,
		  const struct mark *mark)
{
	struct doc_mark_entry *e;
	struct doc_mark_slot *s;
	uint64_t hash;

	if (!node || !mark || (!key && doc_shared_node(node)))
		return;
	if (doc->marks_nr >= UINT32_MAX - 1)
		abort();	/* beyond any file the loader accepts */
	if ((doc->marks_nr + 1) * 4 > doc->mark_slots_nr * 3)
		index_marks(doc, doc->marks_nr + 1);
	if (key)
		key = intern_key(doc, key, 1);
	hash = hash_entry(node, key);
	s = probe(doc, node, key, hash);
	if (s->entry) {
		doc->marks[s->entry - 1].mark = *mark;
		return;
	}
	ALLOC_GROW(doc->marks, doc->marks_nr + 1, doc->marks_alloc);
	e = &doc->marks[doc->marks_nr++];
	e->node = json_incref(node);
	e->key = key;
	e->mark = *mark;
	s->entry = (uint32_t)doc->marks_nr;
	s->check = (uint32_t)(hash >> 32);
}

int doc_shared_node(const json_t *node)
{
	return json_is_boolean(node) || json_is_null(node);
}

/* The table key of a slot: "\001key" in an object, "\002index" in an array. */
static void slot_key(struct buf *out, const char *key, size_t index)
{
	if (key)
		buf_addf(out, "\001%s", key);
	else
		buf_addf(out, "\002%zu", index);
}

void doc_set_value_mark(struct doc *doc, json_t *parent, const char *key,
			size_t index, const struct mark *mark)
{
	struct buf k = BUF_INIT;

	slot_key(&k, key, index);
	doc_set_mark(doc, parent, k.s, mark);
	buf_release(&k);
}

const struct mark *doc_value_mark(const struct doc *doc,
				  const json_t *parent, const char *key,
				  size_t index)
{
	const json_t *v = key ? json_object_get(parent, key) :
			  json_array_get(parent, index);
	const struct mark *m = NULL;
	struct buf k = BUF_INIT;
	struct doc_mark_entry *e;

	if (!v)
		return NULL;
	if (!doc_shared_node(v))
		return doc_mark(doc, v, NULL);
	if (!doc)
		return NULL;
	slot_key(&k, key, index);
	e = find_entry(doc, parent, k.s);
	if (e)
		m = &e->mark;
	buf_release(&k);
	return m;
}

const struct mark *doc_mark(const struct doc *doc, const json_t *node,
			    const char *key)
{
	struct doc_mark_entry *e;

	if (!doc || !node || !doc->marks_nr)
		return NULL;
	if (!key && doc_shared_node(node))
		return NULL;
	e = find_entry(doc, node, key);
	if (e)
		return &e->mark;
	if (key)
		return doc_value_mark(doc, node, key, 0);
	return NULL;
}

static void copy_slot_mark(struct doc *doc, const json_t *node,
			   const char *key, size_t index, json_t *copy)
{
	const json_t *v = key ? json_object_get(node, key) :
			  json_array_get(node, index);
	const struct mark *m;
	struct mark tmp;

	if (!doc_shared_node(v))
		return;
	m = doc_value_mark(doc, node, key, index);
	if (!m)
		return;
	tmp = *m;
	doc_set_value_mark(doc, copy, key, index, &tmp);
}

void doc_copy_marks(struct doc *doc, const json_t *node, json_t *copy)
{
	const struct mark *m;
	const char *key;
	json_t *v;

	if (!doc->marks_nr)
		return;
	m = doc_mark(doc, node, NULL);
	if (m) {
		struct mark tmp = *m;

		doc_set_mark(doc, copy, NULL, &tmp);
	}
	if (json_is_array(node)) {
		size_t i;

		for (i = 0; i < json_array_size(node); i++)
			copy_slot_mark(doc, node, NULL, i, copy);
		return;
	}
	if (!json_is_object(node))
		return;
	json_object_foreach((json_t *)node, key, v) {
		struct doc_mark_entry *e;

		e = find_entry(doc, node, key);
		if (e) {
			struct mark tmp = e->mark;

			doc_set_mark(doc, copy, key, &tmp);
		}
		copy_slot_mark(doc, node, key, 0, copy);
	}
}

json_t *doc_deep_copy(struct doc *doc, json_t *node)
{
	json_t *copy, *v;
	const char *key;
	size_t i;

	if (json_is_object(node)) {
		copy = json_object();
		json_object_foreach(node, key, v)
			json_object_set_new(copy, key, doc_deep_copy(doc, v));
	} else if (json_is_array(node)) {
		copy = json_array();
		json_array_foreach(node, i, v)
			json_array_append_new(copy, doc_deep_copy(doc, v));
	} else {
		copy = json_copy(node);
	}
	if (!copy)
		abort();
	doc_copy_marks(doc, node, copy);
	if (doc_is_secret(doc, node)) {
		size_t len = 0;
		const char *val = doc_secret_value(doc, node, &len);

		doc_set_secret(doc, copy, val, len);
	}
	return copy;
}

/*
 * Secrets are found through an index too (index in secrets plus one, 0:
 * empty): a manifest may hold a secret in each of 100,000 integrations.
 */
static uint32_t *secret_slot(const struct doc *doc, const json_t *node)
{
	size_t mask = doc->secret_slots_nr - 1;
	size_t i = (size_t)hash_entry(node, NULL) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t *s = &doc->secret_slots[i];

		if (!*s || doc->secrets[*s - 1].node == node)
			return s;
	}
}

static struct doc_secret *find_secret(const struct doc *doc,
				      const json_t *node)
{
	uint32_t *s;

	if (!doc->secret_slots_nr)
		return NULL;
	s = secret_slot(doc, node);
	return *s ? &doc->secrets[*s - 1] : NULL;
}

static void grow_secret_index(struct doc *doc)
{
	size_t i;

	free(doc->secret_slots);
	doc->secret_slots_nr = doc->secret_slots_nr ?
			       doc->secret_slots_nr * 2 : 64;
	doc->secret_slots = xcalloc(doc->secret_slots_nr,
				    sizeof(*doc->secret_slots));
	for (i = 0; i < doc->secrets_nr; i++)
		*secret_slot(doc, doc->secrets[i].node) = (uint32_t)(i + 1);
}

void doc_set_secret(struct doc *doc, json_t *node, const char *value,
		    size_t len)
{
	struct doc_secret *s = find_secret(doc, node);

	if (!s) {
		if (doc->secrets_nr >= UINT32_MAX - 1)
			abort();	/* beyond any file the loader accepts */
		if ((doc->secrets_nr + 1) * 4 > doc->secret_slots_nr * 3)
			grow_secret_index(doc);
		ALLOC_GROW(doc->secrets, doc->secrets_nr + 1,
			   doc->secrets_alloc);
		s = &doc->secrets[doc->secrets_nr++];
		s->node = json_incref(node);
		*secret_slot(doc, node) = (uint32_t)doc->secrets_nr;
	} else {
		secure_zero(s->value, s->len);
		free(s->value);
	}
	s->value = NULL;
	s->len = 0;
	if (!value)
		return;		/* a secret whose value is not known */
	s->value = xmalloc(len + 1);
	memcpy(s->value, value, len);
	s->value[len] = '\0';
	s->len = len;
}

int doc_is_secret(const struct doc *doc, const json_t *node)
{
	return find_secret(doc, node) != NULL;
}

const char *doc_secret_value(const struct doc *doc, const json_t *node,
			     size_t *len)
{
	struct doc_secret *s = find_secret(doc, node);

	if (!s)
		return NULL;
	if (len)
		*len = s->len;
	return s->value;
}

const char *doc_display(const struct doc *doc, const json_t *node)
{
	if (!json_is_string(node))
		return NULL;
	if (doc_is_secret(doc, node))
		return SENSITIVE;
	return json_string_value(node);
}

size_t doc_defer_secret(struct doc *doc, json_t *node)
{
	struct doc_deferred *d;

	doc_set_secret(doc, node, NULL, 0);
	ALLOC_GROW(doc->deferred, doc->deferred_nr + 1, doc->deferred_alloc);
	d = &doc->deferred[doc->deferred_nr];
	memset(d, 0, sizeof(*d));
	d->node = json_incref(node);
	return doc->deferred_nr++;
}

void doc_deferred_add(struct doc *doc, size_t deferred, const char *text,
		      size_t len, long cmd)
{
	struct doc_deferred *d = &doc->deferred[deferred];
	struct doc_deferred_part *p;

	ALLOC_GROW(d->parts, d->nr + 1, d->alloc);
	p = &d->parts[d->nr++];
	p->text = NULL;
	p->len = 0;
	p->cmd = text ? -1 : cmd;
	if (text) {
		p->text = xmalloc(len + 1);
		memcpy(p->text, text, len);
		p->text[len] = '\0';
		p->len = len;
	}
}

/* The answer a part stands for, or NULL when its command failed. */
static const struct buf *part_answer(const struct doc *doc,
				     const struct doc_deferred_part *p)
{
	const struct secretcmd_result *r = doc->cmds.items[p->cmd].res;

	return r && r->outcome == SECRETCMD_OK ? &r->out : NULL;
}

size_t doc_fill_deferred(struct doc *doc)
{
	struct buf value = BUF_INIT;
	const struct buf *answer;
	size_t i, j, left = 0;

	for (i = 0; i < doc->deferred_nr; i++) {
		struct doc_deferred *d = &doc->deferred[i];

		buf_reset(&value);
		for (j = 0; j < d->nr; j++) {
			if (d->parts[j].cmd < 0) {
				buf_add(&value, d->parts[j].text,
					d->parts[j].len);
				continue;
			}
			answer = part_answer(doc, &d->parts[j]);
			if (!answer)
				break;
			buf_add(&value, answer->s, answer->len);
		}
		if (j < d->nr)
			left++;
		else
			doc_set_secret(doc, d->node, value.s, value.len);
		secure_zero(value.s, value.alloc);
	}
	buf_release(&value);
	return left;
}
