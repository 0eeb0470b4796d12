#include <stdlib.h>
#include <string.h>

#include "torq/sim/config.h"
#include "torq/suggest.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static const struct {
	const char *name;
	unsigned flag;
} quirk_table[] = {
	{ "expired-401", SIM_QUIRK_EXPIRED_401 },
	{ "empty-next-token", SIM_QUIRK_EMPTY_NEXT_TOKEN },
	{ "no-retry-after", SIM_QUIRK_NO_RETRY_AFTER },
	{ "api-key-nested", SIM_QUIRK_API_KEY_NESTED },
	{ "invite-existing-400", SIM_QUIRK_INVITE_EXISTING_400 },
	{ "invite-existing-200", SIM_QUIRK_INVITE_EXISTING_200 },
	{ "int64-strings", SIM_QUIRK_INT64_STRINGS },
	{ "duplicate-names", SIM_QUIRK_DUPLICATE_NAMES },
	{ "runner-platform", SIM_QUIRK_RUNNER_PLATFORM },
	{ "extra-fields", SIM_QUIRK_EXTRA_FIELDS },
};

void sim_config_init(struct sim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->rate_limit = 50;
	cfg->token_ttl = 3600;
	cfg->runner_quota = 10;
}

const char *sim_quirk_names(void)
{
	return "expired-401, empty-next-token, no-retry-after, "
	       "api-key-nested, invite-existing-400, invite-existing-200, "
	       "int64-strings, duplicate-names, runner-platform, "
	       "extra-fields";
}

int sim_quirks_parse(const char *list, unsigned *out, struct buf *err)
{
	const char *names[ARRAY_SIZE(quirk_table)];
	const char *p = list, *hint;
	unsigned flags = 0;
	size_t i;
	char *word = NULL;
	int ret = -1;

	for (i = 0; i < ARRAY_SIZE(quirk_table); i++)
		names[i] = quirk_table[i].name;
	while (*p) {
		size_t len = strcspn(p, ",");

		free(word);
		word = xstrndup(p, len);
		p += len + (p[len] == ',');
		if (!*word)
			continue;
		for (i = 0; i < ARRAY_SIZE(quirk_table); i++)
			if (!strcmp(word, quirk_table[i].name))
				break;
		if (i == ARRAY_SIZE(quirk_table)) {
			buf_addf(err, "unknown quirk '%s'", word);
			hint = suggest(word, names, ARRAY_SIZE(names));
			if (hint)
				buf_addf(err, "; did you mean '%s'?", hint);
			goto out;
		}
		flags |= quirk_table[i].flag;
	}
	if ((flags & SIM_QUIRK_INVITE_EXISTING_400) &&
	    (flags & SIM_QUIRK_INVITE_EXISTING_200)) {
		buf_addstr(err, "quirks 'invite-existing-400' and "
			   "'invite-existing-200' exclude each other");
		goto out;
	}
	*out = flags;
	ret = 0;
out:
	free(word);
	return ret;
}
