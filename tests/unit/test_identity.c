#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/identity.h"
#include "torq/banned.h"

static void test_identity_keys(void **state)
{
	const struct identity_rule *users = identity_rule_for("users");
	const struct identity_rule *cm =
		identity_rule_for("claim_mappings.items");
	struct buf k = BUF_INIT;
	json_t *u = json_pack("{s:s}", "email", "Alice@X.io");
	json_t *c = json_pack("{s:s,s:s}", "claim", "g", "value", "v");
	json_t *bad = json_pack("{s:s}", "claim", "g");

	(void)state;
	assert_null(identity_rule_for("policy"));
	assert_int_equal(identity_key(users, u, &k), 0);
	assert_string_equal(k.s, "alice@x.io");
	buf_reset(&k);
	assert_int_equal(identity_key(cm, c, &k), 0);
	assert_string_equal(k.s, "g\nv");
	buf_reset(&k);
	assert_int_equal(identity_key(cm, bad, &k), -1);
	buf_reset(&k);
	identity_label(cm, c, &k);
	assert_string_equal(k.s, "g=v");
	json_decref(u);
	json_decref(c);
	json_decref(bad);
	buf_release(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
