/* How the objects of each manifest list are told apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/identity.h"
#include "torq/banned.h"

static void test_identity_rules_for_each_list(void **state)
{
	static const struct {
		const char *list, *kind, *field, *field2;
		int fold_case;
	} want[] = {
		{ "users", "user", "email", NULL, 1 },
		{ "integrations", "integration", "name", NULL, 0 },
		{ "step_runners", "step runner", "name", NULL, 0 },
		{ "workflows", "workflow", "name", NULL, 0 },
		{ "claim_mappings.items", "claim mapping", "claim", "value",
		  0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct identity_rule *r = identity_rule_for(want[i].list);

		assert_non_null(r);
		assert_string_equal(r->list, want[i].list);
		assert_string_equal(r->kind, want[i].kind);
		assert_string_equal(r->field, want[i].field);
		if (want[i].field2)
			assert_string_equal(r->field2, want[i].field2);
		else
			assert_null(r->field2);
		assert_int_equal(r->fold_case, want[i].fold_case);
	}
}

static void test_identity_no_rule_for_other_paths(void **state)
{
	(void)state;
	assert_null(identity_rule_for("policy"));
	assert_null(identity_rule_for(""));
	assert_null(identity_rule_for("claim_mappings"));
	assert_null(identity_rule_for("items"));
	assert_null(identity_rule_for("Users"));
	assert_null(identity_rule_for("users.email"));
	assert_null(identity_rule_for("workspace"));
}

static void test_identity_user_key_is_lower_cased_email(void **state)
{
	const struct identity_rule *r = identity_rule_for("users");
	json_t *a = json_pack("{s:s,s:s}", "email", "Alice@ACME.Example",
			      "role", "Owner");
	json_t *b = json_pack("{s:s,s:s}", "email", "alice@acme.example",
			      "role", "Viewer");
	struct buf ka = BUF_INIT, kb = BUF_INIT;

	(void)state;
	assert_int_equal(identity_key(r, a, &ka), 0);
	assert_string_equal(ka.s, "alice@acme.example");
	assert_int_equal(identity_key(r, b, &kb), 0);
	/* the role is no part of the identity */
	assert_string_equal(ka.s, kb.s);
	json_decref(a);
	json_decref(b);
	buf_release(&ka);
	buf_release(&kb);
}

static void test_identity_names_keep_their_case(void **state)
{
	const struct identity_rule *r = identity_rule_for("integrations");
	json_t *a = json_pack("{s:s}", "name", "Slack-SOC");
	json_t *b = json_pack("{s:s}", "name", "slack-soc");
	struct buf ka = BUF_INIT, kb = BUF_INIT;

	(void)state;
	assert_int_equal(identity_key(r, a, &ka), 0);
	assert_int_equal(identity_key(r, b, &kb), 0);
	assert_string_equal(ka.s, "Slack-SOC");
	assert_string_equal(kb.s, "slack-soc");
	assert_string_not_equal(ka.s, kb.s);
	json_decref(a);
	json_decref(b);
	buf_release(&ka);
	buf_release(&kb);
}

static void test_identity_claim_mapping_key_uses_both_fields(void **state)
{
	const struct identity_rule *r =
		identity_rule_for("claim_mappings.items");
	json_t *a = json_pack("{s:s,s:s,s:s}", "claim", "groups", "value",
			      "soc", "role", "Owner");
	json_t *b = json_pack("{s:s,s:s,s:s}", "claim", "groups", "value",
			      "soc", "role", "Viewer");
	json_t *c = json_pack("{s:s,s:s}", "claim", "groups", "value", "it");
	json_t *d = json_pack("{s:s,s:s}", "claim", "roles", "value", "soc");
	struct buf ka = BUF_INIT, kb = BUF_INIT, kc = BUF_INIT, kd = BUF_INIT;

	(void)state;
	assert_int_equal(identity_key(r, a, &ka), 0);
	assert_int_equal(identity_key(r, b, &kb), 0);
	assert_int_equal(identity_key(r, c, &kc), 0);
	assert_int_equal(identity_key(r, d, &kd), 0);
	assert_string_equal(ka.s, kb.s);
	assert_string_not_equal(ka.s, kc.s);
	assert_string_not_equal(ka.s, kd.s);
	/* claim and value are compared as written */
	assert_non_null(strstr(ka.s, "groups"));
	assert_non_null(strstr(ka.s, "soc"));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
	buf_release(&ka);
	buf_release(&kb);
	buf_release(&kc);
	buf_release(&kd);
}

/*
 * Two different pairs must never share a key, whatever their text: the
 * schema lets claim and value hold any string, a newline included.
 */
static void test_identity_claim_mapping_keys_do_not_collide(void **state)
{
	const struct identity_rule *r =
		identity_rule_for("claim_mappings.items");
	json_t *a = json_pack("{s:s,s:s}", "claim", "a\nb", "value", "c");
	json_t *b = json_pack("{s:s,s:s}", "claim", "a", "value", "b\nc");
	json_t *c = json_pack("{s:s,s:s}", "claim", "a b", "value", "c");
	json_t *d = json_pack("{s:s,s:s}", "claim", "a", "value", "b c");
	struct buf ka = BUF_INIT, kb = BUF_INIT, kc = BUF_INIT, kd = BUF_INIT;
	int rc[4], same_space, same_newline;

	(void)state;
	rc[0] = identity_key(r, a, &ka);
	rc[1] = identity_key(r, b, &kb);
	rc[2] = identity_key(r, c, &kc);
	rc[3] = identity_key(r, d, &kd);
	same_newline = ka.len == kb.len && !memcmp(ka.s, kb.s, ka.len);
	same_space = kc.len == kd.len && !memcmp(kc.s, kd.s, kc.len);
	/* release first, so a failure leaks nothing */
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
	buf_release(&ka);
	buf_release(&kb);
	buf_release(&kc);
	buf_release(&kd);
	assert_int_equal(rc[0] | rc[1] | rc[2] | rc[3], 0);
	assert_false(same_space);
	if (same_newline)
		fail_msg("claim 'a\\nb' value 'c' and claim 'a' value 'b\\nc' "
			 "have the same identity key");
}

static void test_identity_missing_field_is_an_error(void **state)
{
	const struct identity_rule *users = identity_rule_for("users");
	const struct identity_rule *cm =
		identity_rule_for("claim_mappings.items");
	const struct identity_rule *wf = identity_rule_for("workflows");
	json_t *no_email = json_pack("{s:s}", "role", "Owner");
	json_t *num_email = json_pack("{s:i}", "email", 3);
	json_t *null_email = json_pack("{s:n}", "email");
	json_t *claim_only = json_pack("{s:s}", "claim", "g");
	json_t *value_only = json_pack("{s:s}", "value", "v");
	json_t *not_obj = json_string("alice@x.io");
	json_t *arr = json_pack("[s]", "name");
	struct buf k = BUF_INIT;

	(void)state;
	assert_int_equal(identity_key(users, no_email, &k), -1);
	buf_reset(&k);
	assert_int_equal(identity_key(users, num_email, &k), -1);
	buf_reset(&k);
	assert_int_equal(identity_key(users, null_email, &k), -1);
	buf_reset(&k);
	assert_int_equal(identity_key(cm, claim_only, &k), -1);
	buf_reset(&k);
	assert_int_equal(identity_key(cm, value_only, &k), -1);
	buf_reset(&k);
	assert_int_equal(identity_key(users, not_obj, &k), -1);
	buf_reset(&k);
	assert_int_equal(identity_key(wf, arr, &k), -1);
	buf_reset(&k);
	assert_int_equal(identity_key(wf, NULL, &k), -1);
	json_decref(no_email);
	json_decref(num_email);
	json_decref(null_email);
	json_decref(claim_only);
	json_decref(value_only);
	json_decref(not_obj);
	json_decref(arr);
	buf_release(&k);
}

static void test_identity_labels(void **state)
{
	const struct identity_rule *users = identity_rule_for("users");
	const struct identity_rule *cm =
		identity_rule_for("claim_mappings.items");
	const struct identity_rule *sr = identity_rule_for("step_runners");
	json_t *u = json_pack("{s:s}", "email", "Alice@X.io");
	json_t *c = json_pack("{s:s,s:s}", "claim", "groups", "value", "soc");
	json_t *half = json_pack("{s:s}", "claim", "groups");
	json_t *r = json_pack("{s:s}", "name", "Runner-1");
	json_t *empty = json_object();
	struct buf l = BUF_INIT;

	(void)state;
	/* the label shows the text as written, not the folded key */
	identity_label(users, u, &l);
	assert_string_equal(l.s, "Alice@X.io");
	buf_reset(&l);
	identity_label(cm, c, &l);
	assert_string_equal(l.s, "groups=soc");
	buf_reset(&l);
	identity_label(cm, half, &l);
	assert_string_equal(l.s, "groups=?");
	buf_reset(&l);
	identity_label(sr, r, &l);
	assert_string_equal(l.s, "Runner-1");
	buf_reset(&l);
	identity_label(users, empty, &l);
	assert_string_equal(l.s, "?");
	buf_reset(&l);
	identity_label(cm, empty, &l);
	assert_string_equal(l.s, "?=?");
	json_decref(u);
	json_decref(c);
	json_decref(half);
	json_decref(r);
	json_decref(empty);
	buf_release(&l);
}

#define T(fn) cmocka_unit_test(fn)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity_rules_for_each_list),
		T(test_identity_no_rule_for_other_paths),
		T(test_identity_user_key_is_lower_cased_email),
		T(test_identity_names_keep_their_case),
		T(test_identity_claim_mapping_key_uses_both_fields),
		T(test_identity_claim_mapping_keys_do_not_collide),
		T(test_identity_missing_field_is_an_error),
		T(test_identity_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
