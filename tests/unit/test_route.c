/* Unit tests for configuration checks and routing (daemon/config.c, route.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "route.h"

static const char estate_yaml[] =
	"estate: Test Estate\n"
	"crews:\n"
	"  - id: technical\n"
	"    name: Technical\n"
	"    members:\n"
	"      - { id: T07, name: Chan }\n"
	"      - { id: T08, name: Leung }\n"
	"  - id: security\n"
	"    name: Security\n"
	"    members:\n"
	"      - { id: S01, name: Wong }\n"
	"rules:\n"
	"  - name: repairs\n"
	"    kinds: [repair, cleaning]\n"
	"    crew: technical\n"
	"  - name: guards\n"
	"    kinds: [security]\n"
	"    crew: security\n";

static char dir[256];

static config_t *load(const char *yaml, char *err, size_t errlen)
{
	return config_load_data("test.yaml", yaml, strlen(yaml), err, errlen);
}

static store_t *fresh_store(void)
{
	char err[512];
	store_t *s;
	snprintf(dir, sizeof dir, "/tmp/dispatchd-route-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	s = store_open(dir, 0, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	return s;
}

static void remove_store(store_t **s)
{
	char cmd[300];
	store_destroy(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Route a ticket of kind k and, if assigned, store it as open for that member. */
static int route_and_store(const config_t *cfg, store_t *s, Dispatch__Kind k, struct route_decision *d)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	MDB_txn *txn;
	int rc;

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_next_ticket_id(s, txn, &t.id), 0);
	t.kind = k;
	rc = route_ticket(cfg, s, txn, &t, d);
	if (rc == 0 && d->member) {
		t.state = DISPATCH__STATE__STATE_ASSIGNED;
		t.crew = (char *)d->crew->id;
		t.member = (char *)d->member->id;
		ck_assert_int_eq(store_put_ticket(s, txn, &t), 0);
	}
	ck_assert_int_eq(store_txn_commit(txn), 0);
	return rc;
}

START_TEST(first_matching_rule_and_least_loaded_member)
{
	char err[1024];
	config_t *cfg = load(estate_yaml, err, sizeof err);
	store_t *s = fresh_store();
	struct route_decision d;

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_int_eq(route_and_store(cfg, s, DISPATCH__KIND__KIND_REPAIR, &d), 0);
	ck_assert_str_eq(d.rule->name, "repairs");
	ck_assert_str_eq(d.member->id, "T07"); /* tie: config order */
	ck_assert_int_eq(route_and_store(cfg, s, DISPATCH__KIND__KIND_CLEANING, &d), 0);
	ck_assert_str_eq(d.member->id, "T08"); /* T07 has one open now */
	ck_assert_msg(strstr(d.reason, "fewest open assignments (0)") != NULL, "reason: %s", d.reason);
	ck_assert_int_eq(route_and_store(cfg, s, DISPATCH__KIND__KIND_REPAIR, &d), 0);
	ck_assert_str_eq(d.member->id, "T07");
	ck_assert_int_eq(route_and_store(cfg, s, DISPATCH__KIND__KIND_SECURITY, &d), 0);
	ck_assert_str_eq(d.crew->id, "security");
	ck_assert_str_eq(d.member->id, "S01");
	/* no rule for complaints in this estate */
	ck_assert_int_eq(route_and_store(cfg, s, DISPATCH__KIND__KIND_COMPLAINT, &d), ROUTE_NOMATCH);
	remove_store(&s);
	config_destroy(&cfg);
	ck_assert_ptr_null(cfg);
}
END_TEST

START_TEST(builtin_sample_estate_is_valid_and_routes_every_kind)
{
	char err[1024];
	config_t *cfg = config_load_default(err, sizeof err);
	store_t *s = fresh_store();
	struct route_decision d;

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_ptr_nonnull(config_crew(cfg, "security"));
	ck_assert_ptr_nonnull(config_crew(cfg, "cleaning"));
	ck_assert_ptr_nonnull(config_crew(cfg, "technical"));
	for (int k = DISPATCH__KIND__KIND_REPAIR; k <= DISPATCH__KIND__KIND_INQUIRY; k++)
		ck_assert_int_eq(route_and_store(cfg, s, (Dispatch__Kind)k, &d), 0);
	ck_assert_int_eq(route_and_store(cfg, s, DISPATCH__KIND__KIND_REPAIR, &d), 0);
	ck_assert_str_eq(d.crew->id, "technical");
	remove_store(&s);
	config_destroy(&cfg);
}
END_TEST

START_TEST(config_errors_name_the_problem)
{
	char err[2048];
	config_t *cfg;

	cfg = load("estate: X\ncrews:\n  - id: a\n    name: A\n    members: [{id: X1, name: x}]\n"
		   "rules:\n  - name: r\n    crew: nosuch\n", err, sizeof err);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(err, "rule 'r': crew 'nosuch' is not defined") != NULL, "%s", err);

	cfg = load("estate: X\ncrews:\n  - id: a\n    name: A\n    members: [{id: X1, name: x}, {id: X1, name: y}]\n"
		   "rules:\n  - name: r\n    crew: a\n", err, sizeof err);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(err, "member id 'X1' is used twice") != NULL, "%s", err);

	cfg = load("estate: X\ncrews:\n  - id: a\n    name: A\n    members: [{id: X1, name: x}]\n"
		   "rules:\n  - name: r\n    kinds: [repiar]\n    crew: a\n", err, sizeof err);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(err, "repiar") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "line") != NULL, "%s", err);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("route");
	TCase *tc = tcase_create("rules");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, first_matching_rule_and_least_loaded_member);
	tcase_add_test(tc, builtin_sample_estate_is_valid_and_routes_every_kind);
	tcase_add_test(tc, config_errors_name_the_problem);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
