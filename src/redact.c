#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "torq/redact.h"
#include "torq/buf.h"
#include "torq/utf8.h"
#include "torq/doc.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static const char *const sensitive_keys[] = {
	"client_secret", "access_token", "refresh_token", "password",
	"secret", "token", "authorization", "api_key",
};

int redact_key_is_sensitive(const char *key)
{
	size_t i;

	if (!key)
		return 0;
	for (i = 0; i < ARRAY_SIZE(sensitive_keys); i++)
		if (!strcasecmp(key, sensitive_keys[i]))
			return 1;
	return 0;
}

static json_t *hidden(void)
{
	json_t *s = json_string(SENSITIVE);

	if (!s)
		abort();
	return s;
}

/* A new reference; jansson fails only when out of memory. */
static json_t *checked(json_t *v)
{
	if (!v)
		abort();
	return v;
}

/*
 * Integration parameters hold credentials in any of their values, so
 * only the keys are kept. Anything but an object is hidden whole.
 */
static json_t *redact_parameters(json_t *params)
{
	json_t *out, *v;
	const char *key;

	if (!json_is_object(params))
		return hidden();
	out = checked(json_object());
	json_object_foreach(params, key, v)
		json_object_set_new(out, key, hidden());
	return out;
}

static json_t *redact(json_t *v)
{
	json_t *out, *item;
	const char *key;
	size_t i;

	if (json_is_object(v)) {
		out = checked(json_object());
		json_object_foreach(v, key, item) {
			if (redact_key_is_sensitive(key))
				json_object_set_new(out, key, hidden());
			else if (!strcasecmp(key, "parameters"))
				json_object_set_new(out, key,
						    redact_parameters(item));
			else
				json_object_set_new(out, key, redact(item));
		}
		return out;
	}
	if (json_is_array(v)) {
		out = checked(json_array());
		json_array_foreach(v, i, item)
			json_array_append_new(out, redact(item));
		return out;
	}
	/* Scalars are immutable in use here; a copy keeps ownership simple. */
	return checked(json_copy(v));
}

json_t *redact_json(const json_t *body)
{
	if (!body)
		return NULL;
	/* jansson's iterators take non-const pointers but do not write. */
	return redact((json_t *)body);
}

/* The secret that starts at p, if any: its length, else 0. */
static size_t secret_at(const char *p, size_t left,
			const char *const *secrets, const size_t *lens,
			size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lens[i] && lens[i] <= left && !memcmp(p, secrets[i],
							  lens[i]))
			return lens[i];
	return 0;
}

/* One line: as redact_json shows it when it is JSON, else as it is. */
static void redact_line(const char *line, size_t len, struct buf *out)
{
	json_t *j = json_loadb(line, len, 0, NULL), *r;
	char *text;

	if (json_is_object(j) || json_is_array(j)) {
		r = redact_json(j);
		text = json_dumps(r, JSON_COMPACT);
		buf_addstr(out, text ? text : SENSITIVE);
		free(text);
		json_decref(r);
	} else {
		buf_add(out, line, len);
	}
	json_decref(j);
}

void redact_text(const char *text, size_t len, const char *const *secrets,
		 const size_t *lens, size_t n, struct buf *out)
{
	struct buf hidden = BUF_INIT, lines = BUF_INIT;
	size_t i, k, start;

	for (i = 0; i < len;) {
		k = secret_at(text + i, len - i, secrets, lens, n);
		if (k) {
			buf_addstr(&hidden, SENSITIVE);
			i += k;
		} else {
			/* a NUL would end the text early: shown as '?' */
			buf_addch(&hidden, text[i] ? text[i] : '?');
			i++;
		}
	}
	for (start = i = 0; i <= hidden.len; i++) {
		if (i < hidden.len && hidden.s[i] != '\n')
			continue;
		redact_line(hidden.s + start, i - start, &lines);
		if (i < hidden.len)
			buf_addch(&lines, '\n');
		start = i + 1;
	}
	utf8_add_clean_lines(out, lines.s);
	secure_zero(hidden.s, hidden.alloc);
	buf_release(&hidden);
	buf_release(&lines);
}
