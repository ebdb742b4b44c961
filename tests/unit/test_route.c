/* Unit tests for routing (daemon/route.c, roster.c): matching and member choice. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "roster.h"
#include "route.h"

static char dir[256];
static store_t *store;
static roster_t *roster;
static config_t *cfg;

/* Monday 10:00 local time, and other instants built by hand. */
static struct roster_time at(int wday, int hour, int minute)
{
	struct roster_time t = { .now_ms = 1000000, .wday = wday, .minute = hour * 60 + minute };
	return t;
}

static config_t *load(const char *yaml)
{
	char err[2048];
	config_t *c = config_load_data("test.yaml", yaml, strlen(yaml), err, sizeof err);
	ck_assert_msg(c != NULL, "config: %s", err);
	return c;
}

static void setup(void)
{
	char err[512];
	snprintf(dir, sizeof dir, "/tmp/dispatchd-route-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	store = store_open(dir, 0, err, sizeof err);
	ck_assert_msg(store != NULL, "%s", err);
	roster = roster_new();
	cfg = NULL;
}

static void teardown(void)
{
	char cmd[300];
	store_destroy(&store);
	roster_destroy(&roster);
	config_destroy(&cfg);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static Dispatch__Ticket ticket(Dispatch__Kind kind, const char *unit, const char *category)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	t.kind = kind;
	t.unit = (char *)unit;
	t.category = (char *)category;
	return t;
}

/* Route t at time now; store it as open for its member when one is chosen. */
static void route(Dispatch__Ticket *t, const struct roster_time *now, struct route_result *res)
{
	MDB_txn *txn;

	ck_assert_int_eq(store_txn_begin(store, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_next_ticket_id(store, txn, &t->id), 0);
	ck_assert_int_eq(route_ticket(cfg, store, txn, roster, now, t, true, res), 0);
	if (res->n > 0 && res->a[0].member) {
		Dispatch__Ticket copy = *t;
		copy.state = DISPATCH__STATE__STATE_ASSIGNED;
		copy.crew = (char *)res->a[0].crew->id;
		copy.member = (char *)res->a[0].member->id;
		ck_assert_int_eq(store_put_ticket(store, txn, &copy), 0);
	}
	ck_assert_int_eq(store_txn_commit(txn), 0);
}

static const char *first_member(Dispatch__Kind kind, const char *unit, const char *category,
				const struct roster_time *now)
{
	static char id[64];
	Dispatch__Ticket t = ticket(kind, unit, category);
	struct route_result res;

	route(&t, now, &res);
	ck_assert_uint_ge(res.n, 1);
	snprintf(id, sizeof id, "%s", res.a[0].member ? res.a[0].member->id : "(queued)");
	return id;
}

static const char *first_rule(Dispatch__Ticket *t, const struct roster_time *now)
{
	struct route_result res;
	route(t, now, &res);
	ck_assert_uint_ge(res.n, 1);
	return res.a[0].rule->name;
}

/* ---- matching ------------------------------------------------------------- */

static const char matchers_yaml[] = "estate: T\n"
				    "zones: [{ id: north, buildings: ['1', '12'] }]\n"
				    "crews:\n"
				    "  - { id: c, name: C, members: [{ id: M1, name: m }] }\n"
				    "rules:\n"
				    "  - { name: by-kind, match: { kinds: [complaint] }, crew: c }\n"
				    "  - { name: by-category, match: { categories: [lift] }, crew: c }\n"
				    "  - { name: by-tag, match: { tags: [vip] }, crew: c }\n"
				    "  - { name: by-building, match: { buildings: ['7'] }, crew: c }\n"
				    "  - { name: by-zone, match: { zones: [north] }, crew: c }\n"
				    "  - { name: by-unit, match: { units: ['9-*'] }, crew: c }\n"
				    "  - { name: by-source, match: { sources: [sensor] }, crew: c }\n"
				    "  - { name: by-priority, match: { priorities: [1] }, crew: c }\n"
				    "  - { name: night, match: { hours: '22:00-06:00' }, crew: c }\n"
				    "  - { name: weekend, match: { days: [weekend] }, crew: c }\n"
				    "  - { name: default, crew: c }\n";

START_TEST(each_matcher_and_rule_order)
{
	struct roster_time mon10 = at(1, 10, 0);
	Dispatch__Ticket t;
	char *vip[] = { (char *)"vip" };

	cfg = load(matchers_yaml);
	t = ticket(DISPATCH__KIND__KIND_COMPLAINT, "12-1A", "lift"); /* kind comes first */
	ck_assert_str_eq(first_rule(&t, &mon10), "by-kind");
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "12-1A", "lift");
	ck_assert_str_eq(first_rule(&t, &mon10), "by-category");
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "12-1A", "");
	t.n_tags = 1, t.tags = vip;
	ck_assert_str_eq(first_rule(&t, &mon10), "by-tag");
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "7-3C", "");
	ck_assert_str_eq(first_rule(&t, &mon10), "by-building");
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "12-1A", "");
	ck_assert_str_eq(first_rule(&t, &mon10), "by-zone");
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "9-2B", "");
	ck_assert_str_eq(first_rule(&t, &mon10), "by-unit");
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "90-2B", ""); /* '9-*' is not '9*' */
	ck_assert_str_eq(first_rule(&t, &mon10), "default");
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "8-1A", "");
	t.source = DISPATCH__SOURCE__SOURCE_SENSOR;
	ck_assert_str_eq(first_rule(&t, &mon10), "by-source");
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "8-1A", "");
	t.priority = 1;
	ck_assert_str_eq(first_rule(&t, &mon10), "by-priority");
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "8-1A", "");
	ck_assert_str_eq(first_rule(&t, &mon10), "default");
}
END_TEST

START_TEST(time_windows_cross_midnight_and_weekdays)
{
	Dispatch__Ticket t;
	struct roster_time tue_0230 = at(2, 2, 30), tue_2230 = at(2, 22, 30), tue_0600 = at(2, 6, 0);
	struct roster_time sat_1200 = at(6, 12, 0), sun_0300 = at(0, 3, 0);

	cfg = load(matchers_yaml);
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "8-1A", "");
	ck_assert_str_eq(first_rule(&t, &tue_0230), "night");
	ck_assert_str_eq(first_rule(&t, &tue_2230), "night");
	ck_assert_str_eq(first_rule(&t, &tue_0600), "default"); /* the window ends at 06:00 */
	ck_assert_str_eq(first_rule(&t, &sat_1200), "weekend");
	ck_assert_str_eq(first_rule(&t, &sun_0300), "night");
}
END_TEST

START_TEST(window_with_days_belongs_to_the_day_it_starts)
{
	Dispatch__Ticket t;
	struct roster_time fri_2300 = at(5, 23, 0), sat_0200 = at(6, 2, 0), sun_0200 = at(0, 2, 0);

	cfg = load("estate: T\n"
		   "crews: [{ id: c, name: C, members: [{ id: M1, name: m }] }]\n"
		   "rules:\n"
		   "  - { name: friday-night, match: { days: [fri], hours: '22:00-06:00' }, crew: c }\n"
		   "  - { name: default, crew: c }\n");
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "8-1A", "");
	ck_assert_str_eq(first_rule(&t, &fri_2300), "friday-night");
	ck_assert_str_eq(first_rule(&t, &sat_0200), "friday-night");
	ck_assert_str_eq(first_rule(&t, &sun_0200), "default");
}
END_TEST

START_TEST(continue_gives_one_assignment_per_crew)
{
	Dispatch__Ticket t;
	struct route_result res;
	struct roster_time mon10 = at(1, 10, 0);

	cfg = load("estate: T\n"
		   "crews:\n"
		   "  - { id: security, name: S, members: [{ id: S1, name: s }] }\n"
		   "  - { id: technical, name: T, members: [{ id: T1, name: t }] }\n"
		   "rules:\n"
		   "  - { name: fire-sec, match: { categories: [fire] }, crew: security, continue: true }\n"
		   "  - { name: fire-sec-again, match: { categories: [fire] }, crew: security, continue: true }\n"
		   "  - { name: fire-tech, match: { categories: [fire] }, crew: technical }\n"
		   "  - { name: never, match: { categories: [fire] }, crew: security }\n"
		   "  - { name: default, crew: security }\n");
	t = ticket(DISPATCH__KIND__KIND_SECURITY, "1-1A", "fire");
	route(&t, &mon10, &res);
	ck_assert_uint_eq(res.n, 2);
	ck_assert_str_eq(res.a[0].rule->name, "fire-sec");
	ck_assert_str_eq(res.a[1].rule->name, "fire-tech");
	ck_assert_str_eq(res.a[1].member->id, "T1");
	t = ticket(DISPATCH__KIND__KIND_SECURITY, "1-1A", "theft");
	route(&t, &mon10, &res);
	ck_assert_uint_eq(res.n, 1);
	ck_assert_str_eq(res.a[0].rule->name, "default");
}
END_TEST

/* ---- member choice ------------------------------------------------------ */

static const char crew_yaml[] =
	"estate: T\n"
	"presence: { require_online: true, online_window: 60 }\n"
	"zones: [{ id: north, buildings: ['1'] }, { id: south, buildings: ['5'] }]\n"
	"crews:\n"
	"  - id: tech\n"
	"    name: Tech\n"
	"    supervisor: BOSS\n"
	"    members:\n"
	"      - { id: DAY, name: d, skills: [electrician], zone: south,\n"
	"          shifts: [{ days: [weekdays], hours: '08:00-18:00' }] }\n"
	"      - { id: NIGHT, name: n, skills: [electrician], zone: south,\n"
	"          shifts: [{ days: [every-day], hours: '18:00-08:00' }] }\n"
	"      - { id: PLUMB, name: p, skills: [plumber], zone: north }\n"
	"      - { id: ELEC, name: e, skills: [electrician], zone: north }\n"
	"      - { id: BOSS, name: b, skills: [supervisor] }\n"
	"rules:\n"
	"  - { name: elec, match: { categories: [electrical] }, crew: tech, skill: electrician }\n"
	"  - { name: any, crew: tech }\n";

static void all_online(int64_t now_ms)
{
	static const char *ids[] = { "DAY", "NIGHT", "PLUMB", "ELEC", "BOSS" };
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		roster_seen(roster, ids[i], now_ms, 60);
}

START_TEST(shift_skill_and_zone_decide)
{
	struct roster_time mon10 = at(1, 10, 0), mon20 = at(1, 20, 0), tue03 = at(2, 3, 0);

	cfg = load(crew_yaml);
	all_online(mon10.now_ms);
	/* electrical in the south at 10:00: DAY (on shift, skill, zone) beats ELEC (other zone) */
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "5-1A", "electrical", &mon10), "DAY");
	/* at 20:00 DAY is off shift; NIGHT is on */
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "5-1A", "electrical", &mon20), "NIGHT");
	/* Tuesday 03:00 is still Monday's night shift */
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "5-1A", "electrical", &tue03), "NIGHT");
	/* north zone: ELEC; PLUMB lacks the skill */
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "1-1A", "electrical", &mon10), "ELEC");
	{
		/* the reason says once what qualifies, then each member in turn */
		Dispatch__Ticket t = ticket(DISPATCH__KIND__KIND_REPAIR, "1-1A", "electrical");
		struct route_result res;
		const char *r;
		route(&t, &mon10, &res);
		r = res.a[0].reason;
		ck_assert_msg(strncmp(r, "ELEC chosen (in zone, 1 open", 28) == 0, "%s", r);
		ck_assert_msg(strstr(r, "(qualified: on shift, online, skill electrician; zone north). ") != NULL, "%s",
			      r);
		ck_assert_msg(strstr(r, "ELEC: in zone, 1 open") != NULL, "%s", r);
		ck_assert_msg(strstr(r, "PLUMB: lacks skill electrician") != NULL, "%s", r);
		ck_assert_msg(strstr(r, "NIGHT: off shift") != NULL, "%s", r);
	}
}
END_TEST

START_TEST(offline_and_off_duty_members_are_skipped)
{
	struct roster_time mon10 = at(1, 10, 0);
	Dispatch__Ticket t;
	struct route_result res;

	cfg = load(crew_yaml);
	roster_seen(roster, "ELEC", mon10.now_ms - 120 * 1000, 60); /* two minutes ago: offline */
	roster_seen(roster, "DAY", mon10.now_ms, 60);
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "1-1A", "electrical", &mon10), "DAY");
	roster_set_duty(roster, "DAY", ROSTER_DUTY_OFF);
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "1-1A", "electrical");
	route(&t, &mon10, &res);
	ck_assert_ptr_null(res.a[0].member);
	ck_assert_msg(strstr(res.a[0].reason, "nobody in tech qualifies") != NULL, "%s", res.a[0].reason);
	ck_assert_msg(strstr(res.a[0].reason, "DAY: off duty") != NULL, "%s", res.a[0].reason);
	ck_assert_msg(strstr(res.a[0].reason, "ELEC: offline") != NULL, "%s", res.a[0].reason);
	/* duty on outside the shift makes a member available (overtime) */
	roster_set_duty(roster, "NIGHT", ROSTER_DUTY_ON);
	roster_seen(roster, "NIGHT", mon10.now_ms, 60);
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "1-1A", "electrical", &mon10), "NIGHT");
}
END_TEST

START_TEST(fewest_open_then_round_robin)
{
	struct roster_time mon10 = at(1, 10, 0);
	Dispatch__Ticket t;
	struct route_result res;

	cfg = load(crew_yaml);
	roster_seen(roster, "PLUMB", mon10.now_ms, 60);
	roster_seen(roster, "ELEC", mon10.now_ms, 60);
	roster_seen(roster, "BOSS", mon10.now_ms, 60);
	/* "any" rule, building 8 has no zone: PLUMB, ELEC, BOSS all qualify with 0 open */
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "8-1A", "", &mon10), "PLUMB");
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "8-1A", "", &mon10), "ELEC");
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "8-1A", "", &mon10), "BOSS");
	/* all have 1 open now: round robin wraps to the first */
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "8-1A", "", &mon10), "PLUMB");
	/* a dry run does not move the cursor */
	t = ticket(DISPATCH__KIND__KIND_REPAIR, "8-1A", "");
	{
		MDB_txn *txn;
		ck_assert_int_eq(store_txn_begin(store, NULL, 1, &txn), 0);
		ck_assert_int_eq(route_ticket(cfg, store, txn, roster, &mon10, &t, false, &res), 0);
		store_txn_abort(txn);
	}
	ck_assert_str_eq(res.a[0].member->id, "ELEC");
	ck_assert_str_eq(first_member(DISPATCH__KIND__KIND_REPAIR, "8-1A", "", &mon10), "ELEC");
	ck_assert_msg(strstr(res.a[0].reason, "ELEC chosen") != NULL, "%s", res.a[0].reason);
}
END_TEST

START_TEST(builtin_sample_estate_routes_every_kind)
{
	char err[1024];
	struct roster_time mon10 = at(1, 10, 0);
	struct route_result res;
	Dispatch__Ticket t;

	cfg = config_load_default(err, sizeof err);
	ck_assert_msg(cfg != NULL, "%s", err);
	for (int k = DISPATCH__KIND__KIND_REPAIR; k <= DISPATCH__KIND__KIND_INQUIRY; k++) {
		t = ticket((Dispatch__Kind)k, "12-1A", "");
		route(&t, &mon10, &res);
		ck_assert_uint_ge(res.n, 1);
	}
	t = ticket(DISPATCH__KIND__KIND_SECURITY, "12-1A", "fire-alarm");
	route(&t, &mon10, &res);
	ck_assert_uint_eq(res.n, 2);
	ck_assert_str_eq(res.a[0].crew->id, "security");
	ck_assert_str_eq(res.a[1].crew->id, "technical");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("route");
	TCase *tc = tcase_create("rules");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, each_matcher_and_rule_order);
	tcase_add_test(tc, time_windows_cross_midnight_and_weekdays);
	tcase_add_test(tc, window_with_days_belongs_to_the_day_it_starts);
	tcase_add_test(tc, continue_gives_one_assignment_per_crew);
	tcase_add_test(tc, shift_skill_and_zone_decide);
	tcase_add_test(tc, offline_and_off_duty_members_are_skipped);
	tcase_add_test(tc, fewest_open_then_round_robin);
	tcase_add_test(tc, builtin_sample_estate_routes_every_kind);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
