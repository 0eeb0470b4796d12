#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "torq/buf.h"
#include "torq/keycheck.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted, lower-case, de-duplicated ", "-joined list of strings. */
static void joined(char **v, size_t nr, struct buf *out)
{
	size_t i;
	char *p;

	for (i = 0; i < nr; i++)
		for (p = v[i]; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	if (nr)
		qsort(v, nr, sizeof(*v), by_string);
	for (i = 0; i < nr; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		if (out->len)
			buf_addstr(out, ", ");
		buf_addstr(out, v[i]);
	}
}

void keycheck_owners(const struct model *m, const struct model *roles,
		     struct buf *out)
{
	char **v = xcalloc(m->users_nr + 1, sizeof(*v));
	const struct model_user *u;
	const struct model_role *r;
	const char *role;
	size_t i, nr = 0;

	for (i = 0; i < m->users_nr; i++) {
		u = &m->users[i];
		role = u->role;
		if (!role && roles && u->role_id &&
		    (r = model_role_by_id(roles, u->role_id)))
			role = r->name;
		if (u->email && role && !strcasecmp(role, "Owner"))
			v[nr++] = xstrdup(u->email);
	}
	buf_reset(out);
	joined(v, nr, out);
	for (i = 0; i < nr; i++)
		free(v[i]);
	free(v);
}

void keycheck_listed_owners(const struct model_workspace *ws,
			    struct buf *out)
{
	char **v = xcalloc(ws->owners_nr + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < ws->owners_nr; i++)
		v[i] = xstrdup(ws->owners[i] ? ws->owners[i] : "");
	buf_reset(out);
	joined(v, ws->owners_nr, out);
	for (i = 0; i < ws->owners_nr; i++)
		free(v[i]);
	free(v);
}

static int matches(const struct model_workspace *ws, const char *owners,
		   long runners, struct buf *tmp)
{
	keycheck_listed_owners(ws, tmp);
	return !strcmp(tmp->s, owners) && ws->runners_usage == runners;
}

enum keycheck_verdict keycheck_judge(const struct model_workspace *all,
				     size_t nr, const char *name,
				     const char *owners, long runners,
				     const struct model_workspace **other)
{
	struct buf tmp = BUF_INIT;
	const struct model_workspace *named = NULL;
	enum keycheck_verdict v;
	size_t i;

	*other = NULL;
	for (i = 0; i < nr; i++) {
		if (all[i].name && name && !strcasecmp(all[i].name, name)) {
			if (!named)
				named = &all[i];
		} else if (!*other && matches(&all[i], owners, runners,
					      &tmp)) {
			*other = &all[i];
		}
	}
	if (!named)
		v = KEYCHECK_MISSING;
	else if (matches(named, owners, runners, &tmp))
		v = KEYCHECK_OK;
	else
		v = *other ? KEYCHECK_OTHER : KEYCHECK_UNSURE;
	if (v == KEYCHECK_OK)
		*other = NULL;
	buf_release(&tmp);
	return v;
}
