#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/buf.h"
#include "torq/keycheck.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* Whose key: what it reads against the organisation's workspace list. */

static void listed(struct model_workspace *ws, const char *name,
		   const char *const *owners, long runners)
{
	memset(ws, 0, sizeof(*ws));
	ws->name = xstrdup(name);
	ws->runners_usage = runners;
	for (; *owners; owners++) {
		ALLOC_GROW(ws->owners, ws->owners_nr + 1, ws->owners_alloc);
		ws->owners[ws->owners_nr++] = xstrdup(*owners);
	}
}

struct fx {
	struct model_workspace all[3];
};

static int setup(void **state)
{
	static const char *const tmpl[] = { "Owner@Example.com",
					    "boss@example.com", NULL };
	static const char *const acme[] = { "ops@acme.example", NULL };
	static const char *const globex[] = { "owner@example.com", NULL };
	struct fx *f = xcalloc(1, sizeof(*f));

	listed(&f->all[0], "Template", tmpl, 2);
	listed(&f->all[1], "acme SOC", acme, 1);
	listed(&f->all[2], "globex SOC", globex, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < 3; i++)
		model_workspace_release(&f->all[i]);
	free(f);
	return 0;
}

static void test_owners_sorted_folded_once(void **state)
{
	struct model m, roles;
	struct model_user *u;
	struct model_role *r;
	struct buf out = BUF_INIT;

	(void)state;
	model_init(&m);
	model_init(&roles);
	r = model_add_role(&roles);
	r->id = xstrdup("role-owner");
	r->name = xstrdup("Owner");
	u = model_add_user(&m);
	u->email = xstrdup("b@x.example");
	u->role = xstrdup("owner");
	u = model_add_user(&m);
	u->email = xstrdup("A@X.example");
	u->role_id = xstrdup("role-owner");	/* named through roles */
	u = model_add_user(&m);
	u->email = xstrdup("a@x.example");
	u->role = xstrdup("Owner");
	u = model_add_user(&m);
	u->email = xstrdup("viewer@x.example");
	u->role = xstrdup("Viewer");
	keycheck_owners(&m, &roles, &out);
	assert_string_equal(out.s, "a@x.example, b@x.example");
	/* without the roles, an unnamed role id is no Owner */
	keycheck_owners(&m, NULL, &out);
	assert_string_equal(out.s, "a@x.example, b@x.example");
	free(m.users[2].role);
	m.users[2].role = NULL;
	keycheck_owners(&m, NULL, &out);
	assert_string_equal(out.s, "b@x.example");
	model_release(&m);
	model_release(&roles);
	buf_release(&out);
}

static void test_the_named_workspace(void **state)
{
	struct fx *f = *state;
	const struct model_workspace *other = &f->all[0];

	assert_int_equal(keycheck_judge(f->all, 3, "ACME soc",
					"ops@acme.example", 1, &other),
			 KEYCHECK_OK);
	assert_null(other);
}

/* The Template key in acme's file: its figures are Template's. */
static void test_another_workspace(void **state)
{
	struct fx *f = *state;
	const struct model_workspace *other;

	assert_int_equal(keycheck_judge(f->all, 3, "acme SOC",
					"boss@example.com, owner@example.com",
					2, &other), KEYCHECK_OTHER);
	assert_non_null(other);
	assert_string_equal(other->name, "Template");
	/* the same owners, told apart by the runners */
	assert_int_equal(keycheck_judge(f->all, 3, "acme SOC",
					"owner@example.com", 2, &other),
			 KEYCHECK_OTHER);
	assert_string_equal(other->name, "globex SOC");
}

/* Figures that match no workspace: late figures, not proof of a wrong key. */
static void test_unsure(void **state)
{
	struct fx *f = *state;
	const struct model_workspace *other;

	assert_int_equal(keycheck_judge(f->all, 3, "acme SOC",
					"ops@acme.example", 3, &other),
			 KEYCHECK_UNSURE);
	assert_null(other);
}

static void test_missing(void **state)
{
	struct fx *f = *state;
	const struct model_workspace *other;

	assert_int_equal(keycheck_judge(f->all, 3, "initech SOC",
					"owner@example.com", 2, &other),
			 KEYCHECK_MISSING);
	assert_string_equal(other->name, "globex SOC");
	assert_int_equal(keycheck_judge(f->all, 3, "initech SOC",
					"nobody@example.com", 0, &other),
			 KEYCHECK_MISSING);
	assert_null(other);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owners_sorted_folded_once),
		T(test_the_named_workspace),
		T(test_another_workspace),
		T(test_unsure),
		T(test_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
