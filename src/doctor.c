#include <stdlib.h>
#include <string.h>

#include "torq/doctor.h"
#include "torq/utf8.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

static const char *const result_names[] = {
	"ok", "differs", "refused", "absent", "failed", "skipped",
};

const char *doctor_result_name(enum doctor_result r)
{
	return (size_t)r < ARRAY_SIZE(result_names) ? result_names[r] : "?";
}

/* The value at a dotted path ("revision.yaml"), or NULL. */
static const json_t *at(const json_t *o, const char *path)
{
	const char *dot;
	char key[128];
	size_t len;

	while (o && (dot = strchr(path, '.'))) {
		len = (size_t)(dot - path);
		if (len >= sizeof(key))
			return NULL;
		memcpy(key, path, len);
		key[len] = '\0';
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return o ? json_object_get(o, path) : NULL;
}

static int digits_only(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/*
 * Check one rule on one object. Returns NULL when it holds, else why
 * ("missing", "not a string"), with the field's name in *field.
 */
static const char *check_rule(const json_t *o, const char *rule,
			      struct buf *field)
{
	const char *colon, *alt, *p;
	const json_t *v = NULL;
	char type = 's';
	int optional = 0;
	struct buf key = BUF_INIT;

	if (*rule == '?') {
		optional = 1;
		rule++;
	}
	colon = strchr(rule, ':');
	if (colon)
		type = colon[1];
	buf_reset(field);
	buf_add(field, rule, colon ? (size_t)(colon - rule) : strlen(rule));
	/* "a|b": the first key present */
	for (p = field->s; !v && *p; p = alt ? alt + 1 : p + strlen(p)) {
		alt = strchr(p, '|');
		buf_reset(&key);
		buf_add(&key, p, alt ? (size_t)(alt - p) : strlen(p));
		v = at(o, key.s);
	}
	buf_release(&key);
	if (!v || json_is_null(v))
		return optional ? NULL : "missing";
	switch (type) {
	case 'n':
		if (json_is_integer(v) || (json_is_string(v) &&
					   digits_only(json_string_value(v))))
			return NULL;
		return "not a number";
	case 'a':
		return json_is_array(v) ? NULL : "not a list";
	case 'b':
		return json_is_boolean(v) ? NULL : "not a boolean";
	default:
		return json_is_string(v) ? NULL : "not a string";
	}
}

/* The first broken rule of o, described in detail; 0 when none. */
static int check_object(const json_t *o, const char *const *fields,
			const char *where, struct buf *detail)
{
	struct buf field = BUF_INIT;
	const char *why = NULL;
	size_t i;

	if (!json_is_object(o)) {
		buf_addf(detail, "%s: not an object", where);
		return 1;
	}
	for (i = 0; !why && fields[i]; i++)
		if ((why = check_rule(o, fields[i], &field)))
			buf_addf(detail, "%s%s%s: %s", where, *where ? "." :
				 "", field.s, why);
	buf_release(&field);
	return why != NULL;
}

enum doctor_result doctor_judge(const struct doctor_shape *shape,
				const json_t *body, const char *what,
				struct buf *detail)
{
	const json_t *list, *it;
	struct buf where = BUF_INIT, first = BUF_INIT;
	size_t i, bad = 0;

	buf_reset(detail);
	if (!json_is_object(body)) {
		buf_addstr(detail, "the answer is not a JSON object");
		return DOCTOR_DIFFERS;
	}
	if (!shape->list) {
		if (check_object(body, shape->fields, "", detail))
			return DOCTOR_DIFFERS;
		buf_addf(detail, "%s as needed", what);
		return DOCTOR_OK;
	}
	list = json_object_get(body, shape->list);
	if (!json_is_array(list)) {
		buf_addf(detail, "%s: %s", shape->list, list ? "not a list" :
			 "missing");
		return DOCTOR_DIFFERS;
	}
	json_array_foreach(list, i, it) {
		buf_reset(&where);
		buf_addf(&where, "%s[%zu]", shape->list, i);
		if (check_object(it, shape->fields, where.s,
				 bad ? &where : &first))
			bad++;
	}
	if (bad) {
		buf_addf(detail, "%s (%zu of %zu items)", first.s, bad,
			 json_array_size(list));
	} else {
		buf_addf(detail, "%zu %s", json_array_size(list), what);
	}
	buf_release(&where);
	buf_release(&first);
	return bad ? DOCTOR_DIFFERS : DOCTOR_OK;
}

int doctor_usable(const struct doctor_call *calls, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (calls[i].result != DOCTOR_OK &&
		    (!calls[i].optional ||
		     calls[i].result == DOCTOR_DIFFERS))
			return 0;
	return 1;
}

void doctor_text(const char *endpoint, const struct doctor_call *calls,
		 size_t nr, struct buf *out)
{
	size_t i, w = 4;

	for (i = 0; i < nr; i++)
		if (strlen(calls[i].call) > w)
			w = strlen(calls[i].call);
	buf_addstr(out, "Calls torq-apply relies on, at ");
	utf8_add_clean(out, endpoint);
	buf_addf(out, ":\n\n%-*s  %-8s  %s\n", (int)w, "CALL", "RESULT",
		 "DETAIL");
	for (i = 0; i < nr; i++) {
		buf_addf(out, "%-*s  %-8s  ", (int)w, calls[i].call,
			 doctor_result_name(calls[i].result));
		utf8_add_clean(out, calls[i].detail ? calls[i].detail : "");
		buf_addch(out, '\n');
		if (calls[i].result == DOCTOR_OK ||
		    calls[i].result == DOCTOR_SKIPPED)
			continue;
		buf_addf(out, "%-*s  %-8s  %s: %s\n", (int)w, "", "",
			 calls[i].optional ? "limits" : "breaks",
			 calls[i].breaks);
	}
	buf_addstr(out, doctor_usable(calls, nr) ?
		   "\nEvery call plan and apply need is usable.\n" :
		   "\nSome calls plan and apply need are not usable "
		   "(above).\n");
}

json_t *doctor_json(const char *endpoint, const struct doctor_call *calls,
		    size_t nr)
{
	json_t *j = json_object(), *a = json_array(), *c;
	size_t i;

	json_object_set_new(j, "endpoint", utf8_json_string(endpoint));
	json_object_set_new(j, "usable",
			    json_boolean(doctor_usable(calls, nr)));
	for (i = 0; i < nr; i++) {
		c = json_object();
		json_object_set_new(c, "call", json_string(calls[i].call));
		json_object_set_new(c, "result", json_string(
				doctor_result_name(calls[i].result)));
		json_object_set_new(c, "detail",
				    utf8_json_string(calls[i].detail));
		json_object_set_new(c, "breaks",
				    json_string(calls[i].breaks));
		json_object_set_new(c, "optional",
				    json_boolean(calls[i].optional));
		json_array_append_new(a, c);
	}
	json_object_set_new(j, "calls", a);
	return j;
}
