#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "torq/fleet.h"
#include "torq/wrapper.h"
#include "torq/banned.h"

static char *write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/torq-fleet-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_fleet_shard_parse(void **state)
{
	unsigned k, n;
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(fleet_parse_shard("2/4", &k, &n, &err), 0);
	assert_int_equal(k, 2);
	assert_int_equal(n, 4);
	assert_int_equal(fleet_parse_shard("4/4", &k, &n, &err), -1);
	assert_non_null(strstr(err.s, "0 <= K < N"));
	buf_reset(&err);
	assert_int_equal(fleet_parse_shard("3", &k, &n, &err), -1);
	assert_int_equal(fleet_parse_shard("a/b", &k, &n, &err), -1);
	buf_release(&err);
}

/* Every client in exactly one shard, the same one on every run. */
static void test_fleet_shards_partition(void **state)
{
	char name[16];
	unsigned k, n = 5, hits, count[5] = { 0 };
	int i;

	(void)state;
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "client%d", i);
		for (hits = 0, k = 0; k < n; k++)
			if (fleet_in_shard(name, k, n)) {
				hits++;
				count[k]++;
				assert_true(fleet_in_shard(name, k, n));
			}
		assert_int_equal(hits, 1);
	}
	/* a fair spread: no shard empty or holding most */
	for (k = 0; k < n; k++)
		assert_true(count[k] > 50 && count[k] < 200);
	assert_true(fleet_in_shard("anything", 0, 1));
}

static void test_fleet_load(void **state)
{
	struct fleet f;
	struct diag_list d;
	char *path = write_tmp("version: 1\ntemplate: t/soc.yaml\nclients:\n"
			       "  - { name: acme, vars: { client: acme, n: 3, "
			       "on: true }, credentials: k/acme.json }\n");

	(void)state;
	diag_list_init(&d, 0);
	assert_int_equal(fleet_load(&f, path, 0, &d), 0);
	assert_int_equal(f.nr, 1);
	assert_string_equal(f.template_path, "/tmp/t/soc.yaml");
	assert_string_equal(f.clients[0].credentials, "/tmp/k/acme.json");
	assert_string_equal(varset_get(&f.clients[0].vars, "client"), "acme");
	assert_string_equal(varset_get(&f.clients[0].vars, "n"), "3");
	assert_string_equal(varset_get(&f.clients[0].vars, "on"), "true");
	fleet_release(&f);
	diag_list_release(&d);
	unlink(path);
	free(path);
}

static void test_fleet_load_errors(void **state)
{
	struct fleet f;
	struct diag_list d;
	char *path = write_tmp("version: 2\nclients: []\nextra: 1\n");

	(void)state;
	diag_list_init(&d, 0);
	assert_int_equal(fleet_load(&f, path, 0, &d), -1);
	/* unknown key, version, template, empty clients */
	assert_int_equal(d.errors, 4);
	assert_int_equal(d.items[0].mark.line, 3);
	fleet_release(&f);
	diag_list_release(&d);
	unlink(path);
	free(path);
}

/* The template is read as a manifest: only YAML in the fleet's tree. */
static void test_fleet_template_outside_the_tree(void **state)
{
	static const char *const refused[] = {
		"/etc/passwd", "/etc/torq-nowhere/soc.yaml", "k/acme.json",
	};
	struct fleet f;
	struct diag_list d;
	struct buf text = BUF_INIT;
	char *path;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		buf_reset(&text);
		buf_addf(&text, "version: 1\ntemplate: %s\nclients:\n"
			 "  - { name: acme, credentials: k/acme.json }\n",
			 refused[i]);
		path = write_tmp(text.s);
		diag_list_init(&d, 0);
		assert_int_equal(fleet_load(&f, path, 0, &d), -1);
		assert_int_equal(d.errors, 1);
		assert_string_equal(d.items[0].path, "template");
		assert_non_null(strstr(d.items[0].message,
				       "--allow-extends-outside"));
		assert_int_equal(d.items[0].mark.line, 2);
		fleet_release(&f);
		diag_list_release(&d);
		/* the flag lets the user read it anyway */
		diag_list_init(&d, 0);
		assert_int_equal(fleet_load(&f, path,
					    RESOLVE_EXTENDS_ANYWHERE, &d), 0);
		fleet_release(&f);
		diag_list_release(&d);
		unlink(path);
		free(path);
	}
	buf_release(&text);
}

static json_t *part(const char *names, const char *status)
{
	json_t *clients = json_array();
	char buf[64], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", names);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		json_array_append_new(clients, json_pack(
			"{s:s, s:s, s:i, s:i, s:i, s:f}", "name", tok,
			"status", status, "add", 1, "change", 0, "destroy", 0,
			"seconds", 0.5));
	return json_pack("{s:i, s:s, s:o}", "format_version", 1, "command",
			 "apply", "clients", clients);
}

static void test_fleet_summary_merge(void **state)
{
	json_t *parts[2], *all;
	struct buf err = BUF_INIT, text = BUF_INIT;

	(void)state;
	parts[0] = part("zeta,alpha", "applied");
	parts[1] = part("mid", "failed");
	all = fleet_summary_merge(parts, 2, &err);
	assert_non_null(all);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(all, "clients"), 0), "name")), "alpha");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		all, "totals"), "failed")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		all, "totals"), "applied")), 2);
	fleet_summary_text(all, &text);
	assert_non_null(strstr(text.s, "Fleet: 3 clients: 0 ok, 0 with "
			       "changes, 2 applied, 1 failed."));
	json_decref(all);
	json_decref(parts[1]);
	/* the same shard twice is refused */
	parts[1] = part("alpha", "ok");
	assert_null(fleet_summary_merge(parts, 2, &err));
	assert_non_null(strstr(err.s, "client 'alpha' is in more than one"));
	json_decref(parts[0]);
	json_decref(parts[1]);
	buf_release(&err);
	buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fleet_shard_parse),
		cmocka_unit_test(test_fleet_shards_partition),
		cmocka_unit_test(test_fleet_load),
		cmocka_unit_test(test_fleet_load_errors),
		cmocka_unit_test(test_fleet_template_outside_the_tree),
		cmocka_unit_test(test_fleet_summary_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
