#ifndef TORQ_DOCTOR_H
#define TORQ_DOCTOR_H

#include <stddef.h>

#include <jansson.h>

#include "torq/buf.h"

/*
 * torq-apply doctor: the first run against a real workspace. Every read
 * torq-apply relies on is called once (cmd_doctor.c) and its answer is
 * judged here against the shape torq-apply needs: which fields must be
 * there, of which type, and which commands break when one is not. Pure:
 * answers in, verdicts and their text or JSON out. Unknown fields are
 * never a difference (the API is v1alpha).
 */

enum doctor_result {
	DOCTOR_OK,		/* usable as torq-apply reads it */
	DOCTOR_DIFFERS,		/* answered, but not in the shape needed */
	DOCTOR_REFUSED,		/* 401 or 403: the key may not */
	DOCTOR_ABSENT,		/* 404: no such call */
	DOCTOR_FAILED,		/* no usable answer (5xx, network, ...) */
	DOCTOR_SKIPPED,		/* not called: what it needs was not there */
};

/*
 * What one call's answer must hold. fields: one rule per field, checked
 * on every item of the list (list: its key) or on the object (list
 * NULL): "name" a string, "a|b" a string under either key, "x.y" a path;
 * a suffix ":n" a number or a string of digits (proto3 int64), ":a" an
 * array, ":b" a boolean; a prefix "?" an optional field, checked only
 * when present. The list itself must be there (an empty one is fine).
 */
struct doctor_shape {
	const char *list;
	const char *const *fields;
};

struct doctor_call {
	const char *call;		/* "GET /roles" */
	const char *breaks;		/* "plan and apply of users" */
	int optional;			/* not needed by plan and apply */
	enum doctor_result result;
	char *detail;			/* what was found, or what differs */
};

/*
 * Judge an answer body against shape. Returns DOCTOR_OK with a count in
 * detail ("12 roles") or DOCTOR_DIFFERS with the first difference and
 * how many items differ ("users[2].email: missing (3 of 7 items)").
 */
enum doctor_result doctor_judge(const struct doctor_shape *shape,
				const json_t *body, const char *what,
				struct buf *detail);

const char *doctor_result_name(enum doctor_result r);

/* 1 when every call plan and apply need is usable. */
int doctor_usable(const struct doctor_call *calls, size_t nr);

/*
 * The table: call, result, detail, and what breaks when a call is not
 * usable; then a verdict line. Names from the API are shown cleaned.
 */
void doctor_text(const char *endpoint, const struct doctor_call *calls,
		 size_t nr, struct buf *out);

/* {"endpoint", "usable", "calls": [{call, result, detail, breaks, optional}]} */
json_t *doctor_json(const char *endpoint, const struct doctor_call *calls,
		    size_t nr);

#endif
