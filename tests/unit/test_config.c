/* Unit tests for configuration loading and its error messages (daemon/config.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char err[4096];

static config_t *load(const char *yaml)
{
	return config_load_data("estate.yaml", yaml, strlen(yaml), err, sizeof err);
}

#define ASSERT_ERR(needle) ck_assert_msg(strstr(err, needle) != NULL, "expected '%s' in:\n%s", needle, err)

static const char good_head[] = "estate: X\n"
				"crews:\n"
				"  - id: a\n"
				"    name: A\n"
				"    members: [{ id: X1, name: x }]\n";

START_TEST(schema_errors_carry_line_and_column)
{
	char yaml[1024];

	ck_assert_ptr_null(load("estate: X\ncrews:\n  - id: a\n    name: A\n    membres: []\nrules: []\n"));
	ASSERT_ERR("estate.yaml:5:5: unknown setting 'membres' here; expected one of: id, name, supervisor");

	snprintf(yaml, sizeof yaml, "%srules:\n  - name: r\n    match: { kinds: [repiar] }\n    crew: a\n", good_head);
	ck_assert_ptr_null(load(yaml));
	ASSERT_ERR("estate.yaml:8:22: unknown value 'repiar'");

	snprintf(yaml, sizeof yaml,
		 "estate: X\ncrews:\n  - id: a\n    name: A\n"
		 "    members: [{ id: X1, name: x, shifts: [{ days: [mon, funday], hours: '08:00-10:00' }] }]\n"
		 "rules: [{ name: d, crew: a }]\n");
	ck_assert_ptr_null(load(yaml));
	ASSERT_ERR("estate.yaml:5:");
	ASSERT_ERR("unknown day 'funday'");
}
END_TEST

START_TEST(semantic_errors_carry_line_and_column)
{
	ck_assert_ptr_null(load("estate: X\n"                             /* 1 */
				"crews:\n"                                /* 2 */
				"  - id: a\n"                             /* 3 */
				"    name: A\n"                           /* 4 */
				"    supervisor: Z9\n"                    /* 5 */
				"    members:\n"                          /* 6 */
				"      - { id: X1, name: x, hours: 1 }\n" /* 7: unknown key */
				"rules: []\n"));
	ASSERT_ERR("estate.yaml:7:");

	ck_assert_ptr_null(load("estate: X\n"                                                       /* 1 */
				"crews:\n"                                                          /* 2 */
				"  - id: a\n"                                                       /* 3 */
				"    name: A\n"                                                     /* 4 */
				"    supervisor: Z9\n"                                              /* 5 */
				"    members:\n"                                                    /* 6 */
				"      - { id: X1, name: x, shifts: [{ hours: '25:00-06:00' }] }\n" /* 7 */
				"      - { id: X1, name: y }\n"                                     /* 8 */
				"rules:\n"                                                          /* 9 */
				"  - name: r\n"                                                     /* 10 */
				"    crew: nosuch\n"                                                /* 11 */
				"    deadlines: { acknowledge: 10 minutes }\n"                      /* 12 */
				"  - { name: last, match: { kinds: [repair] }, crew: a }\n"));      /* 13 */
	ASSERT_ERR("estate.yaml:5:17: supervisor 'Z9' is not a member of any crew");
	ASSERT_ERR("estate.yaml:7:46: expected hours as HH:MM-HH:MM");
	ASSERT_ERR("estate.yaml:8:15: member id 'X1' is used twice");
	ASSERT_ERR("estate.yaml:11:11: crew 'nosuch' is not defined under crews");
	ASSERT_ERR("estate.yaml:12:31: expected a duration such as 90s, 10m, 2h or 1d, not '10 minutes'");
	ASSERT_ERR("estate.yaml:13:5: the last rule must be a default rule");
}
END_TEST

/* Issue 23: files that crashed the loader or passed as valid. */
START_TEST(empty_and_comment_only_files_are_refused)
{
	ck_assert_ptr_null(config_load_data("estate.yaml", "", 0, err, sizeof err));
	ASSERT_ERR("estate.yaml: the file holds no settings");
	ck_assert_ptr_null(load("# nothing here\n\n  # nor here\n"));
	ASSERT_ERR("estate.yaml: the file holds no settings");
}
END_TEST

START_TEST(not_a_mapping_and_bad_bytes_carry_a_position)
{
	static const char nul[] = "estate: X\ncrews: [\0]\n";

	ck_assert_ptr_null(load("- estate: X\n- crews: []\n"));
	ASSERT_ERR("estate.yaml:1:1: expected a mapping (\"key: value\" lines) here, not a list");
	ck_assert_ptr_null(load("hello there\n"));
	ASSERT_ERR("estate.yaml:1:1: expected a mapping (\"key: value\" lines) here, not a single value");
	ck_assert_ptr_null(load("estate: X\npresence: [1, 2]\n"));
	ASSERT_ERR("estate.yaml:2:11: expected a mapping");
	ck_assert_ptr_null(config_load_data("estate.yaml", nul, sizeof nul - 1, err, sizeof err));
	ASSERT_ERR("estate.yaml:2:9: ");
}
END_TEST

START_TEST(booleans_are_true_or_false)
{
	char yaml[1024];

	snprintf(yaml, sizeof yaml, "%spresence: { require_online: flase }\nrules: [{ name: d, crew: a }]\n",
		 good_head);
	ck_assert_ptr_null(load(yaml));
	ASSERT_ERR("estate.yaml:6:29: expected true or false, not 'flase'");
	snprintf(yaml, sizeof yaml, "%srules: [{ name: d, crew: a, follow_up: sometimes }]\n", good_head);
	ck_assert_ptr_null(load(yaml));
	ASSERT_ERR("expected true or false, not 'sometimes'");
	/* a deadline named follow_up is a duration, not a boolean */
	snprintf(yaml, sizeof yaml,
		 "%srules: [{ name: d, crew: a, follow_up: yes, deadlines: { follow_up: 2d } }]\n"
		 "presence: { require_online: off }\n",
		 good_head);
	config_t *cfg = load(yaml);
	ck_assert_msg(cfg != NULL, "refused: %s", err);
	ck_assert(cfg->rules[0].follow_up);
	ck_assert(!cfg->presence->require_online);
	config_destroy(&cfg);
}
END_TEST

START_TEST(time_zones_are_zone_files)
{
	char yaml[1024];
	static const char *const bad[] = { "Asia", "zone.tab", "Nowhere/City", "../etc/passwd", "/etc/localtime" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(yaml, sizeof yaml, "timezone: %s\n%srules: [{ name: d, crew: a }]\n", bad[i], good_head);
		ck_assert_ptr_null(load(yaml));
		ASSERT_ERR("estate.yaml:1:11: unknown time zone");
	}
	snprintf(yaml, sizeof yaml, "timezone: Asia/Hong_Kong\n%srules: [{ name: d, crew: a }]\n", good_head);
	config_t *cfg = load(yaml);
	ck_assert_msg(cfg != NULL, "refused: %s", err);
	config_destroy(&cfg);
}
END_TEST

START_TEST(files_that_are_not_files)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[64];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_null(config_load_file(dir, err, sizeof err));
	ASSERT_ERR("is a directory");
	ck_assert_ptr_null(config_load_file("/dev/zero", err, sizeof err));
	ASSERT_ERR("/dev/zero: larger than 4 MiB, the limit for a configuration file");
	snprintf(path, sizeof path, "%s/none.yaml", dir);
	ck_assert_ptr_null(config_load_file(path, err, sizeof err));
	ASSERT_ERR("none.yaml: cannot open: No such file or directory");
	rmdir(dir);
}
END_TEST

START_TEST(durations_windows_and_globs)
{
	struct config_window w;
	char b[16];

	ck_assert_int_eq(config_parse_duration_ms("90s"), 90000);
	ck_assert_int_eq(config_parse_duration_ms("10m"), 600000);
	ck_assert_int_eq(config_parse_duration_ms("2h"), 7200000);
	ck_assert_int_eq(config_parse_duration_ms("1d"), 86400000);
	ck_assert_int_eq(config_parse_duration_ms("45"), 45000);
	ck_assert_int_eq(config_parse_duration_ms("10 m"), -1);
	ck_assert_int_eq(config_parse_duration_ms("-5m"), -1);
	ck_assert_int_eq(config_parse_duration_ms("m"), -1);

	ck_assert_int_eq(config_parse_window("22:00-06:00", &w), 0);
	ck_assert(config_window_contains(&w, 23 * 60));
	ck_assert(config_window_contains(&w, 0));
	ck_assert(!config_window_contains(&w, 6 * 60));
	ck_assert(!config_window_contains(&w, 12 * 60));
	ck_assert_int_eq(config_parse_window("08:00-24:00", &w), 0);
	ck_assert(config_window_contains(&w, 23 * 60 + 59));
	ck_assert_int_eq(config_parse_window("08:00-08:00", &w), -1);
	ck_assert_int_eq(config_parse_window("8:00-18:00", &w), -1);
	ck_assert_int_eq(config_parse_window("08:60-18:00", &w), -1);

	ck_assert(config_glob("12-*", "12-1A"));
	ck_assert(!config_glob("12-*", "120-1A"));
	ck_assert(config_glob("*-1?", "7-1A"));
	ck_assert(!config_glob("*-1?", "7-1AB"));
	ck_assert(config_glob("*", ""));

	config_unit_building("2A-1B", b, sizeof b);
	ck_assert_str_eq(b, "2A");
	config_unit_building("lobby", b, sizeof b);
	ck_assert_str_eq(b, "lobby");
}
END_TEST

START_TEST(sample_estate_loads_with_defaults_filled)
{
	config_t *cfg = config_load_default(err, sizeof err);

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert(cfg->presence->require_online);
	ck_assert_uint_eq(cfg->presence->online_window, 90);
	ck_assert_int_eq(cfg->duplicate_window_ms, 30 * 60 * 1000);
	ck_assert_str_eq(config_zone_of(cfg, "12"), "north");
	ck_assert_ptr_nonnull(config_member(cfg, "T07", NULL));
	ck_assert(config_crew(cfg, "lift-vendor")->outsourced);
	config_destroy(&cfg);
	ck_assert_ptr_null(cfg);
}
END_TEST

/* Issue 22: every problem of a file in one pass, in our words, in the
 * file's order; the checks after loading run even when the structure is
 * wrong elsewhere. */
START_TEST(every_problem_in_one_pass)
{
	ck_assert_ptr_null(load("estate: X\n"                                                        /* 1 */
				"presence: { online_window: soon }\n"                                /* 2 */
				"crews:\n"                                                           /* 3 */
				"  - id: a\n"                                                        /* 4 */
				"    name: A\n"                                                      /* 5 */
				"    colour: red\n"                                                  /* 6 */
				"    members:\n"                                                     /* 7 */
				"      - { id: X1, name: x, shifts: [{ hours: \"8:00-17:00\" }] }\n" /* 8 */
				"  - { id: b, members: [{ id: Y1, name: y }] }\n"                    /* 9 */
				"rules:\n"                                                           /* 10 */
				"  - { name: r, crew: nosuch, match: { kinds: [repiar] } }\n"        /* 11 */
				"  - { name: d, crew: a, priority: high }\n"));                      /* 12 */
	ASSERT_ERR(
		"estate.yaml:2:28: expected a whole number (0 or more), not 'soon'\n"
		"estate.yaml:6:5: unknown setting 'colour' here; expected one of: id, name, supervisor, outsourced, "
		"phone, members\n"
		"estate.yaml:8:46: expected hours as HH:MM-HH:MM (e.g. 08:00-20:00 or 22:00-06:00), not '8:00-17:00'\n"
		"estate.yaml:9:5: 'name' is missing here (it is required)\n"
		"estate.yaml:11:22: crew 'nosuch' is not defined under crews\n"
		"estate.yaml:11:47: unknown value 'repiar'; expected one of: repair, complaint,");
	ASSERT_ERR("estate.yaml:12:35: expected a whole number (0 or more), not 'high'\n");
	/* never libcyaml's own words */
	ck_assert_msg(strstr(err, "STRING length") == NULL && strstr(err, "Unexpected key") == NULL &&
			      strstr(err, "Invalid") == NULL,
		      "a raw libcyaml message:\n%s", err);

	/* text that is not YAML, and a file with aliases (left to libcyaml): our words too */
	ck_assert_ptr_null(load("estate: a: b\n"));
	ASSERT_ERR("estate.yaml:1:10: not valid YAML: a ':' where no key can start");
	ck_assert_ptr_null(load("estate: [X\n"));
	ASSERT_ERR("estate.yaml:2:1: not valid YAML:");
	ck_assert_ptr_null(load("estate: &e X\ncrews: *e\nrules: [{ name: d, crew: a }]\n"));
	ASSERT_ERR("expected a list here, not a single value"); /* (libcyaml places it at the anchor) */
}
END_TEST

static const char register_yaml[] = "estate: X\n"
				    "crews: [{ id: a, name: A, members: [{ id: X1, name: x }] }]\n"
				    "rules: [{ name: d, crew: a }]\n"
				    "units:\n"
				    "  - { building: \"12\", floors: 1-20, flats: A-H }\n"
				    "  - { building: \"1\", floors: 1-30, flats: A-D }\n"
				    "  - { building: P, floors: 1-300 }\n"
				    "  - { unit: 12-20H, resident: Chan Tai-man, phone: \"+852 9123 4567\" }\n"
				    "  - { unit: G-CLUB }\n"
				    "  - { pattern: \"TMP-*\" }\n";

START_TEST(the_unit_register)
{
	char near[160];
	config_t *cfg = load(register_yaml);
	const struct config_unit *u;

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert(config_unit_known(cfg, "12-1A"));
	ck_assert(config_unit_known(cfg, "12-20H"));
	ck_assert(config_unit_known(cfg, "P-300"));
	ck_assert(config_unit_known(cfg, "G-CLUB"));
	ck_assert(config_unit_known(cfg, "TMP-7"));
	ck_assert(!config_unit_known(cfg, "12-21A")); /* floor 21 */
	ck_assert(!config_unit_known(cfg, "12-1J"));  /* flat J */
	ck_assert(!config_unit_known(cfg, "12-01A")); /* not how the register writes it */
	ck_assert(!config_unit_known(cfg, "12-1"));
	ck_assert(!config_unit_known(cfg, "P-301"));
	ck_assert(!config_unit_known(cfg, "121A"));

	/* "121A" is 12-1A and 1-21A with the separator lost: both, nothing further */
	ck_assert_int_eq(config_unit_suggest(cfg, "121A", near, sizeof near), 2);
	ck_assert_str_eq(near, "12-1A or 1-21A");
	ck_assert_int_eq(config_unit_suggest(cfg, "12-1a", near, sizeof near), 1);
	ck_assert_str_eq(near, "12-1A");
	ck_assert_int_eq(config_unit_suggest(cfg, "g club", near, sizeof near), 1);
	ck_assert_str_eq(near, "G-CLUB");
	ck_assert_int_eq(config_unit_suggest(cfg, "Q-99Z", near, sizeof near), 0);

	ck_assert_ptr_null(config_unit_contact(cfg, "12-1A"));
	ck_assert_ptr_null(config_unit_contact(cfg, "G-CLUB"));
	u = config_unit_contact(cfg, "12-20H");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->resident, "Chan Tai-man");
	ck_assert_str_eq(u->phone, "+852 9123 4567");
	config_destroy(&cfg);

	/* no register: any unit, as before */
	cfg = load("estate: X\ncrews: [{ id: a, name: A, members: [{ id: X1, name: x }] }]\n"
		   "rules: [{ name: d, crew: a }]\n");
	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert(config_unit_known(cfg, "anything-at-all"));
	config_destroy(&cfg);
}
END_TEST

START_TEST(register_mistakes_are_named)
{
	ck_assert_ptr_null(load("estate: X\n"
				"crews: [{ id: a, name: A, members: [{ id: X1, name: x }] }]\n"
				"rules: [{ name: d, crew: a }]\n"
				"units:\n"
				"  - { building: \"12\", floors: 20-1, flats: a-h }\n"   /* 5 */
				"  - { building: \"13\" }\n"                             /* 6 */
				"  - { unit: 12-1A, building: \"12\", floors: \"1\" }\n" /* 7 */
				"  - { pattern: \"P-*\", resident: Chan }\n"             /* 8 */
				"  - { unit: 12-1A }\n"                                  /* 9 */
				"  - { unit: 12-1B }\n"                                  /* 10 */
				"  - { unit: 12-1B }\n"));                               /* 11 */
	ASSERT_ERR("estate.yaml:5:31: expected floors as FROM-TO or one floor (e.g. 1-20 or 7), not '20-1'");
	ASSERT_ERR("estate.yaml:5:44: expected flats as capital letters FROM-TO or one letter (e.g. A-H), not 'a-h'");
	ASSERT_ERR("estate.yaml:6:17: a block of units needs 'floors'");
	ASSERT_ERR("estate.yaml:7:5: a register entry is one of:");
	ASSERT_ERR("estate.yaml:8:33: a resident and a phone belong to one unit");
	ASSERT_ERR("estate.yaml:11:13: unit '12-1B' is listed twice");
}
END_TEST

/* Issue 19: the sample estate's register, its lookups and filters. */
START_TEST(the_asset_register)
{
	config_t *cfg = config_load_default(err, sizeof err);
	const struct config_asset *a;
	unsigned lifts = 0, in_p = 0, security = 0;

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_uint_ge(cfg->assets_count, 20);
	a = config_asset_find(cfg, "L2");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->kind, "lift");
	ck_assert_str_eq(a->in_building, "12");
	ck_assert_str_eq(a->in_zone, "north");
	ck_assert(a->outsourced);
	a = config_asset_find(cfg, "FE-12-20H"); /* in a unit: its building from the unit */
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->in_building, "12");
	a = config_asset_find(cfg, "GATE-S"); /* of a zone: no building */
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->in_building, "");
	ck_assert_str_eq(a->in_zone, "south");
	ck_assert_ptr_null(config_asset_find(cfg, "L9"));
	ck_assert_ptr_null(config_asset_find(cfg, ""));
	for (unsigned i = 0; i < cfg->assets_count; i++) {
		lifts += config_asset_matches(&cfg->assets[i], "L?", "lift", "12", NULL);
		in_p += config_asset_matches(&cfg->assets[i], NULL, NULL, "P", NULL);
		security += config_asset_matches(&cfg->assets[i], NULL, "", NULL, "security");
	}
	ck_assert_uint_eq(lifts, 4);
	ck_assert_uint_eq(in_p, 5);
	ck_assert_uint_eq(security, 6);
	ck_assert_ptr_nonnull(config_part_find(cfg, "fuse-13a"));
	ck_assert_int_eq(config_part_find(cfg, "fuse-13a")->price_cents, 1250);
	ck_assert_int_eq(cfg->labour_rate_cents, 18000);
	ck_assert_int_eq(config_parse_cents("HK$12.5"), 1250);
	ck_assert_int_eq(config_parse_cents("0"), 0);
	ck_assert_int_eq(config_parse_cents("12.505"), -1);
	ck_assert_int_eq(config_parse_cents("-3"), -1);
	ck_assert_int_eq(config_parse_cents("1000000000"), -1);
	config_destroy(&cfg);
}
END_TEST

/* Every mistake of the register and the parts list, each at its place. */
START_TEST(asset_mistakes_are_named)
{
	ck_assert_ptr_null(load("estate: X\n"                                                   /* 1 */
				"zones: [{ id: n, buildings: [\"1\"] }]\n"                      /* 2 */
				"crews: [{ id: a, name: A, members: [{ id: X1, name: x }] }]\n" /* 3 */
				"rules: [{ name: d, crew: a }]\n"                               /* 4 */
				"assets:\n"                                                     /* 5 */
				"  - { id: L1, kind: lift, building: \"1\", crew: a }\n"        /* 6 */
				"  - { id: L1, kind: lift, building: \"1\", crew: b }\n"        /* 7 */
				"  - { id: G1, kind: gate, zone: s, crew: a }\n"                /* 8 */
				"  - { id: P1, kind: pump, building: \"9\", crew: a }\n"        /* 9 */
				"  - { id: P2, kind: pump, crew: a }\n"                         /* 10 */
				"parts:\n"                                                      /* 11 */
				"  - { item: fuse, price: \"1.234\" }\n"                        /* 12 */
				"labour_rate: cheap\n"));                                       /* 13 */
	ASSERT_ERR("estate.yaml:7:11: asset 'L1' is listed twice");
	ASSERT_ERR("estate.yaml:7:48: crew or vendor 'b' is not defined under crews");
	ASSERT_ERR("estate.yaml:8:33: zone 's' is not defined under zones");
	ASSERT_ERR("estate.yaml:9:37: building '9' is not in this estate");
	ASSERT_ERR("estate.yaml:10:5: an asset is in one place");
	ASSERT_ERR("estate.yaml:12:26: expected a price in HK$ such as 12.50, not '1.234'");
	ASSERT_ERR("estate.yaml:13:14: expected HK$ per hour of labour");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("config");
	TCase *tc = tcase_create("load");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, schema_errors_carry_line_and_column);
	tcase_add_test(tc, semantic_errors_carry_line_and_column);
	tcase_add_test(tc, empty_and_comment_only_files_are_refused);
	tcase_add_test(tc, not_a_mapping_and_bad_bytes_carry_a_position);
	tcase_add_test(tc, booleans_are_true_or_false);
	tcase_add_test(tc, time_zones_are_zone_files);
	tcase_add_test(tc, files_that_are_not_files);
	tcase_add_test(tc, durations_windows_and_globs);
	tcase_add_test(tc, sample_estate_loads_with_defaults_filled);
	tcase_add_test(tc, every_problem_in_one_pass);
	tcase_add_test(tc, the_unit_register);
	tcase_add_test(tc, register_mistakes_are_named);
	tcase_add_test(tc, the_asset_register);
	tcase_add_test(tc, asset_mistakes_are_named);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
