/*
 * `make bench`: CPU time of plan_make for a manifest of 10,000 users and
 * 1,000 workflows (with tags, nested calls and content digests) against
 * a live state of the same size, with a little drift so the plan is not
 * empty, and of rendering it. The target is under 100 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torq/buf.h"
#include "torq/plan.h"
#include "torq/render.h"
#include "torq/wrapper.h"

#include "torq/banned.h"

#define USERS 10000
#define WORKFLOWS 1000
#define ROUNDS 5

static const char *const role_names[] = { "Owner", "Contributor",
					  "Operator", "Viewer" };

static void fill(struct model *m, int live)
{
	struct buf s = BUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(role_names); i++) {
		struct model_role *r = model_add_role(m);

		buf_reset(&s);
		buf_addf(&s, "role-%zu", i);
		r->id = xstrdup(s.s);
		r->name = xstrdup(role_names[i]);
	}
	for (i = 0; i < USERS; i++) {
		struct model_user *u = model_add_user(m);

		buf_reset(&s);
		buf_addf(&s, "user%05zu@example.com", i);
		u->email = xstrdup(s.s);
		/* one in a hundred has another role live */
		u->role = xstrdup(role_names[(i + (live && i % 100 == 0)) % 4]);
		if (live) {
			u->id = xstrdup(s.s);
			u->status = MODEL_USER_VERIFIED;
		}
	}
	for (i = 0; i < WORKFLOWS; i++) {
		struct model_workflow *w = model_add_workflow(m);

		buf_reset(&s);
		buf_addf(&s, "workflow %04zu", i);
		w->name = xstrdup(s.s);
		buf_reset(&s);
		buf_addf(&s, "%064zu", live && i % 50 == 0 ? i + 1 : i);
		w->content_digest = xstrdup(s.s);
		w->published = 1;
		model_workflow_add_tag(w, "soc");
		model_workflow_add_tag(w, i % 2 ? "odd" : "even");
		w->tags_set = 1;
		if (!live && i % 10 == 0 && i + 1 < WORKFLOWS) {
			buf_reset(&s);
			buf_addf(&s, "workflow %04zu", i + 1);
			ALLOC_GROW(w->nested, w->nested_nr + 1,
				   w->nested_alloc);
			w->nested[w->nested_nr++] = xstrdup(s.s);
		}
		if (live)
			w->id = xstrdup(w->name);
	}
	m->kinds = MODEL_ALL;
	if (!live)
		m->workspace.name = xstrdup("bench");
	model_sort(m);
	buf_release(&s);
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(void)
{
	struct model d, l;
	struct plan p;
	struct plan_input in;
	struct diag_list diags;
	struct buf out = BUF_INIT;
	double t0, plan_best = 1e9, render_best = 1e9, t;
	int i, rc = 0;

	model_init(&d);
	model_init(&l);
	fill(&d, 0);
	fill(&l, 1);
	memset(&in, 0, sizeof(in));
	in.desired = &d;
	in.live = &l;
	for (i = 0; i < ROUNDS; i++) {
		diag_list_init(&diags, 0);
		t0 = cpu_ms();
		if (plan_make(&in, &p, &diags))
			rc = 1;
		t = cpu_ms() - t0;
		plan_best = t < plan_best ? t : plan_best;
		t0 = cpu_ms();
		buf_reset(&out);
		render_text(&p, 0, &out);
		t = cpu_ms() - t0;
		render_best = t < render_best ? t : render_best;
		if (i == ROUNDS - 1)
			printf("plan %d users + %d workflows against the same: "
			       "%zu steps (%zu to change), %.1f ms CPU to plan, "
			       "%.1f ms to render (best of %d; target < 100 ms)"
			       "\n", USERS, WORKFLOWS, p.steps_nr, p.to_change,
			       plan_best, render_best, ROUNDS);
		plan_release(&p);
		diag_list_release(&diags);
	}
	buf_release(&out);
	model_release(&d);
	model_release(&l);
	return rc;
}
