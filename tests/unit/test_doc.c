#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torq/doc.h"
#include "torq/banned.h"

static void test_doc_marks_copies_and_secrets(void **state)
{
	struct doc doc;
	json_t *obj = json_object(), *copy, *s;
	struct mark m = { "f.yaml", 1, 2, 0 }, km = { "f.yaml", 3, 4, 1 };
	size_t len, i;

	(void)state;
	doc_init(&doc);
	s = json_string("${secret:env:X}");
	json_object_set_new(obj, "k", s);
	doc_set_mark(&doc, obj, NULL, &m);
	doc_set_mark(&doc, obj, "k", &km);
	doc_set_secret(&doc, s, "value", 5);
	/* a key mark falls back to its value's mark when unset */
	assert_null(doc_mark(&doc, obj, "nokey"));
	assert_int_equal(doc_mark(&doc, obj, "k")->line, 3);
	copy = doc_deep_copy(&doc, obj);
	assert_int_equal(doc_mark(&doc, copy, NULL)->col, 2);
	assert_int_equal(doc_mark(&doc, copy, "k")->col, 4);
	assert_string_equal(doc_secret_value(&doc, json_object_get(copy, "k"),
					     &len), "value");
	assert_string_equal(json_string_value(json_object_get(copy, "k")),
			    "${secret:env:X}");
	for (i = 0; i < 10000; i++) {
		json_t *n = json_integer((json_int_t)i);

		m.line = (unsigned)i + 1;
		doc_set_mark(&doc, n, NULL, &m);
		json_decref(n);
	}
	assert_int_equal(doc_mark(&doc, obj, NULL)->line, 1);
	json_decref(copy);
	json_decref(obj);
	doc_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_marks_copies_and_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
