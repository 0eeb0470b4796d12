#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "torq/redact.h"
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
