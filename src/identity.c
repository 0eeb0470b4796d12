#include <ctype.h>
#include <string.h>

#include "torq/identity.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static const struct identity_rule rules[] = {
	{ "users", "user", "email", NULL, 1 },
	{ "integrations", "integration", "name", NULL, 0 },
	{ "step_runners", "step runner", "name", NULL, 0 },
	{ "workflows", "workflow", "name", NULL, 0 },
	{ "claim_mappings.items", "claim mapping", "claim", "value", 0 },
};

const struct identity_rule *identity_rule_for(const char *path)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rules); i++)
		if (!strcmp(rules[i].list, path))
			return &rules[i];
	return NULL;
}

static int add_field(const struct identity_rule *rule, const json_t *item,
		     const char *field, struct buf *out)
{
	const char *s = json_string_value(json_object_get(item, field));

	if (!s)
		return -1;
	for (; *s; s++)
		buf_addch(out, rule->fold_case ?
			  (char)tolower((unsigned char)*s) : *s);
	return 0;
}

int identity_key(const struct identity_rule *rule, const json_t *item,
		 struct buf *out)
{
	const char *first = json_string_value(json_object_get(item,
							      rule->field));

	if (!json_is_object(item) || !first)
		return -1;
	/*
	 * With two fields, the first is length-prefixed: no separator
	 * character is safe, since either field may contain any of them.
	 */
	if (rule->field2)
		buf_addf(out, "%zu:", strlen(first));
	add_field(rule, item, rule->field, out);
	if (rule->field2 && add_field(rule, item, rule->field2, out))
		return -1;
	return 0;
}

void identity_label(const struct identity_rule *rule, const json_t *item,
		    struct buf *out)
{
	const char *a = json_string_value(json_object_get(item, rule->field));

	buf_addstr(out, a ? a : "?");
	if (rule->field2) {
		const char *b = json_string_value(json_object_get(item,
								 rule->field2));

		buf_addf(out, "=%s", b ? b : "?");
	}
}
