/* The Levenshtein helper behind every "did you mean". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/suggest.h"
#include "torq/banned.h"

static const char *const top_keys[] = {
	"version", "extends", "vars", "workspace", "source", "users",
	"claim_mappings", "integrations", "step_runners", "workflows",
};
#define NKEYS (sizeof(top_keys) / sizeof(top_keys[0]))

static void test_suggest_edit_distance_basics(void **state)
{
	(void)state;
	assert_int_equal(edit_distance("", ""), 0);
	assert_int_equal(edit_distance("users", "users"), 0);
	assert_int_equal(edit_distance("", "abc"), 3);
	assert_int_equal(edit_distance("abc", ""), 3);
	/* one substitution, insertion, deletion */
	assert_int_equal(edit_distance("cat", "cut"), 1);
	assert_int_equal(edit_distance("user", "users"), 1);
	assert_int_equal(edit_distance("users", "user"), 1);
	assert_int_equal(edit_distance("kitten", "sitting"), 3);
	assert_int_equal(edit_distance("abc", "xyz"), 3);
}

static void test_suggest_edit_distance_transposition(void **state)
{
	(void)state;
	/* a swap of two neighbours is one edit, not two */
	assert_int_equal(edit_distance("ab", "ba"), 1);
	assert_int_equal(edit_distance("usres", "users"), 1);
	assert_int_equal(edit_distance("wrokflows", "workflows"), 1);
	assert_int_equal(edit_distance("vesrion", "version"), 1);
	/* two separate swaps are two edits */
	assert_int_equal(edit_distance("abcd", "badc"), 2);
	/* a swap and a substitution */
	assert_int_equal(edit_distance("usrez", "users"), 2);
}

static void test_suggest_edit_distance_ignores_case(void **state)
{
	(void)state;
	assert_int_equal(edit_distance("USERS", "users"), 0);
	assert_int_equal(edit_distance("Owner", "oWNER"), 0);
	assert_int_equal(edit_distance("Usres", "users"), 1);
	assert_int_equal(edit_distance("OWNR", "owner"), 1);
}

static void test_suggest_edit_distance_is_symmetric(void **state)
{
	static const char *const words[] = {
		"", "a", "users", "usres", "workspace", "wrkspce", "Owner",
		"kitten", "sitting", "claim_mappings",
	};
	size_t i, j, n = sizeof(words) / sizeof(words[0]);

	(void)state;
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (edit_distance(words[i], words[j]) !=
			    edit_distance(words[j], words[i]))
				fail_msg("'%s' vs '%s'", words[i], words[j]);
}

static void test_suggest_finds_plausible_misspellings(void **state)
{
	(void)state;
	assert_string_equal(suggest("usres", top_keys, NKEYS), "users");
	assert_string_equal(suggest("worflows", top_keys, NKEYS),
			    "workflows");
	assert_string_equal(suggest("integration", top_keys, NKEYS),
			    "integrations");
	assert_string_equal(suggest("step_runner", top_keys, NKEYS),
			    "step_runners");
	assert_string_equal(suggest("claim_mapping", top_keys, NKEYS),
			    "claim_mappings");
	assert_string_equal(suggest("vresion", top_keys, NKEYS), "version");
	/* a different case is still worth pointing out */
	assert_string_equal(suggest("Users", top_keys, NKEYS), "users");
	/* the answer points into the candidates */
	assert_ptr_equal(suggest("usres", top_keys, NKEYS), top_keys[5]);
}

static void test_suggest_nothing_for_far_words(void **state)
{
	(void)state;
	assert_null(suggest("zzz", top_keys, NKEYS));
	assert_null(suggest("policy", top_keys, NKEYS));
	assert_null(suggest("completely_unrelated", top_keys, NKEYS));
	assert_null(suggest("", top_keys, NKEYS));
	/* nothing to choose from */
	assert_null(suggest("users", top_keys, 0));
}

static void test_suggest_nothing_for_exact_match(void **state)
{
	(void)state;
	assert_null(suggest("users", top_keys, NKEYS));
	assert_null(suggest("workflows", top_keys, NKEYS));
}

/* About a third of the word may be wrong, at least one edit, at most four. */
static void test_suggest_threshold_scales_with_length(void **state)
{
	static const char *const one[] = { "abc" };
	static const char *const ws[] = { "workspace" };
	static const char *const longw[] = { "abcdefghijklmnopqrstuvwxyz" };

	(void)state;
	/* short words: one edit */
	assert_string_equal(suggest("ab", one, 1), "abc");
	assert_null(suggest("xbd", one, 1));
	/* "wrkspce" has 7 letters: two edits allowed, and it is two away */
	assert_int_equal(edit_distance("wrkspce", "workspace"), 2);
	assert_string_equal(suggest("wrkspce", ws, 1), "workspace");
	/* "wkspce" has 6 letters: two edits allowed, but it is three away */
	assert_int_equal(edit_distance("wkspce", "workspace"), 3);
	assert_null(suggest("wkspce", ws, 1));
	/* long words: never more than four edits */
	assert_string_equal(suggest("abcdefghijklmnopqrstuv", longw, 1),
			    "abcdefghijklmnopqrstuvwxyz");
	assert_null(suggest("abcdefghijklmnopqrstu", longw, 1));
}

static void test_suggest_prefers_the_closest(void **state)
{
	static const char *const cands[] = { "Viewer", "Owner", "Operator",
					     "Creator" };

	(void)state;
	assert_string_equal(suggest("Ownr", cands, 4), "Owner");
	assert_string_equal(suggest("Operater", cands, 4), "Operator");
	assert_string_equal(suggest("Createor", cands, 4), "Creator");
	assert_string_equal(suggest("viewr", cands, 4), "Viewer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suggest_edit_distance_basics),
		cmocka_unit_test(test_suggest_edit_distance_transposition),
		cmocka_unit_test(test_suggest_edit_distance_ignores_case),
		cmocka_unit_test(test_suggest_edit_distance_is_symmetric),
		cmocka_unit_test(test_suggest_finds_plausible_misspellings),
		cmocka_unit_test(test_suggest_nothing_for_far_words),
		cmocka_unit_test(test_suggest_nothing_for_exact_match),
		cmocka_unit_test(test_suggest_threshold_scales_with_length),
		cmocka_unit_test(test_suggest_prefers_the_closest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
