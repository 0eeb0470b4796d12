#ifndef TORQ_RENDER_H
#define TORQ_RENDER_H

#include <jansson.h>

#include "torq/buf.h"
#include "torq/plan.h"

/*
 * The plan renderers: the only code that knows the output formats, all
 * three described in docs/plan-format.md. They print nothing and never
 * fail; the same plan gives the same bytes. No renderer ever shows the
 * value of a sensitive change: SENSITIVE ("(sensitive)") stands for
 * every value the planner set, whatever it holds.
 *
 * Text and Markdown group the steps by resource (enum plan_resource
 * order) and, within a resource, show every step of one object (same
 * identity) as one block, where that object's first step stands.
 * Control characters in names and values are shown escaped ("\n",
 * "\x1b"), so a name read from the workspace cannot forge a line of the
 * plan or drive the terminal.
 */

/*
 * The plan for review, like `terraform plan`, appended to out. With
 * color, ANSI colours: "+" lines green, "~" yellow, "-" red, headings
 * bold. Ends with a newline; no line has trailing white space.
 */
void render_text(const struct plan *p, int color, struct buf *out);

/*
 * One problem on one line, for an error message: "step runner 'k8s':
 * install command never delivered; 'apply --replace step_runner:k8s'
 * deletes it and makes it again, ...", apply being the command that
 * mends it ("apply", "fleet apply --only acme"). Names cleaned.
 */
void render_problem(const struct plan_problem *pr, const char *apply,
		    struct buf *out);

/*
 * The plan as data (format_version 1). Returns a new reference; the
 * caller json_decref()s it.
 */
json_t *render_json(const struct plan *p);

/*
 * The plan for a pull-request comment (GitHub-flavoured Markdown),
 * appended to out: a heading, the summary in bold, the text body in a
 * diff block ("!" instead of "~", so updates are highlighted too), and
 * the unmanaged objects as a list.
 */
void render_markdown(const struct plan *p, struct buf *out);

#endif
