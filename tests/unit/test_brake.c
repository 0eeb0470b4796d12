#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "torq/brake.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

/* The safety brake on hand-made plans. */

static struct plan_step *step(struct plan *p, enum plan_step_kind k,
			      enum plan_action a, enum plan_resource r,
			      const char *identity)
{
	struct plan_step *s;

	ALLOC_GROW(p->steps, p->steps_nr + 1, p->steps_alloc);
	s = &p->steps[p->steps_nr++];
	memset(s, 0, sizeof(*s));
	s->kind = k;
	s->action = a;
	s->resource = r;
	s->identity = xstrdup(identity);
	s->desired = s->live = s->source = -1;
	return s;
}

static void live_of(struct model *m, size_t integrations, size_t users)
{
	size_t i;

	model_init(m);
	for (i = 0; i < integrations; i++)
		model_add_integration(m);
	for (i = 0; i < users; i++)
		model_add_user(m);
}

static void test_quarter_of_a_kind(void **state)
{
	struct plan p;
	struct model live;
	struct brake b = { -1, 0 };
	struct buf why = BUF_INIT;

	(void)state;
	plan_init(&p);
	live_of(&live, 8, 100);
	step(&p, STEP_DELETE_INTEGRATION, PLAN_DELETE, RES_INTEGRATION, "a");
	step(&p, STEP_DELETE_INTEGRATION, PLAN_DELETE, RES_INTEGRATION, "b");
	step(&p, STEP_DELETE_USER, PLAN_DELETE, RES_USER, "u@x.example");
	step(&p, STEP_REMOVE_TAG, PLAN_DELETE, RES_WORKFLOW, "w");
	/* 2 of 8 integrations is a quarter, not more; 1 of 100 users */
	assert_int_equal(brake_check(&p, &live, &b, &why), 0);
	step(&p, STEP_DELETE_INTEGRATION, PLAN_DELETE, RES_INTEGRATION, "c");
	assert_int_equal(brake_check(&p, &live, &b, &why), -1);
	assert_string_equal(why.s, "the plan deletes more than a quarter of "
			    "the integrations (3 of 8): integration 'a', "
			    "integration 'b', integration 'c'");
	b.allow_destroy = 1;
	assert_int_equal(brake_check(&p, &live, &b, &why), 0);
	plan_release(&p);
	model_release(&live);
	buf_release(&why);
}

/* max_destroy counts every kind; copies and replaced runners never. */
static void test_max_destroy(void **state)
{
	struct plan p;
	struct model live;
	struct brake b = { 1, 0 };
	struct buf why = BUF_INIT;
	char name[16];
	int i;

	(void)state;
	plan_init(&p);
	live_of(&live, 100, 100);
	step(&p, STEP_DELETE_INTEGRATION, PLAN_DELETE, RES_INTEGRATION,
	     "copy")->duplicate = 1;
	step(&p, STEP_DELETE_RUNNER, PLAN_DELETE, RES_RUNNER, "k8s");
	step(&p, STEP_CREATE_RUNNER, PLAN_CREATE, RES_RUNNER, "k8s");
	step(&p, STEP_DELETE_USER, PLAN_DELETE, RES_USER, "u@x.example");
	assert_int_equal(brake_check(&p, &live, &b, &why), 0);
	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "i%02d", i);
		step(&p, STEP_DELETE_INTEGRATION, PLAN_DELETE,
		     RES_INTEGRATION, name);
	}
	assert_int_equal(brake_check(&p, &live, &b, &why), -1);
	assert_non_null(strstr(why.s, "deletes 26 objects, more than the 1 "
			       "max_destroy allows: user 'u@x.example', "
			       "integration 'i00'"));
	assert_non_null(strstr(why.s, "integration 'i18' and 6 more"));
	/* 0: no deletion at all */
	plan_release(&p);
	plan_init(&p);
	b.max_destroy = 0;
	step(&p, STEP_DELETE_USER, PLAN_DELETE, RES_USER, "u@x.example");
	buf_reset(&why);
	assert_int_equal(brake_check(&p, &live, &b, &why), -1);
	plan_release(&p);
	model_release(&live);
	buf_release(&why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quarter_of_a_kind),
		cmocka_unit_test(test_max_destroy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
