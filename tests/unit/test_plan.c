/* Unit tests for issue 19's planned work: the working-hours calendar
 * arithmetic (daemon/calendar.c) and its configuration checks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "config.h"
#include "plan.h"

static char err[8192];

static const char head[] = "estate: X\n"
			   "timezone: Asia/Hong_Kong\n"
			   "crews:\n"
			   "  - id: a\n"
			   "    name: A\n"
			   "    members: [{ id: X1, name: x }]\n"
			   "rules:\n"
			   "  - { name: slow, match: { categories: [paint] }, crew: a, calendar: office,\n"
			   "      deadlines: { acknowledge: 2h, resolve: 3d } }\n"
			   "  - { name: d, crew: a }\n";

static config_t *load_with(const char *calendars)
{
	char yaml[4096];

	snprintf(yaml, sizeof yaml, "%s%s", head, calendars);
	return config_load_data("estate.yaml", yaml, strlen(yaml), err, sizeof err);
}

#define ASSERT_ERR(needle) ck_assert_msg(strstr(err, needle) != NULL, "expected '%s' in:\n%s", needle, err)

static const char office[] = "calendars:\n"
			     "  - id: office\n"
			     "    hours:\n"
			     "      - { days: [weekdays], hours: '09:00-18:00' }\n"
			     "      - { days: [sat], hours: '09:00-13:00' }\n"
			     "    day: 9h\n"
			     "    holidays: [2026-12-25, 2026-12-26]\n";

/* Local Hong Kong time (UTC+8, no summer time) as unix ms. */
static int64_t hk(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };

	return ((int64_t)timegm(&tm) - 8 * 3600) * 1000;
}

#define HOUR (3600 * 1000LL)
#define MIN (60 * 1000LL)

static void zone(void)
{
	setenv("TZ", "Asia/Hong_Kong", 1);
	tzset();
}

START_TEST(working_time_skips_nights_weekends_and_holidays)
{
	config_t *cfg;
	const struct config_calendar *c;

	zone();
	ck_assert_ptr_nonnull(cfg = load_with(office));
	ck_assert_ptr_nonnull(c = config_calendar(cfg, "office"));
	ck_assert_int_eq(c->day_ms, 9 * HOUR);
	/* Thursday 24 December 16:00 + 27 working hours: 2 h on Thursday,
	 * Christmas (Friday) and Boxing Day (Saturday) are holidays, Sunday
	 * has no hours, 9 on Monday and Tuesday, 7 on Wednesday: 16:00. */
	ck_assert_int_eq(calendar_add(c, hk(2026, 12, 24, 16, 0), 27 * HOUR), hk(2026, 12, 30, 16, 0));
	/* the same span a week earlier meets a Saturday morning (4 h) */
	ck_assert_int_eq(calendar_add(c, hk(2026, 12, 17, 16, 0), 27 * HOUR), hk(2026, 12, 22, 12, 0));
	/* from the night: the clock starts at the next opening */
	ck_assert_int_eq(calendar_add(c, hk(2026, 12, 3, 23, 30), 30 * MIN), hk(2026, 12, 4, 9, 30));
	/* a span that ends at the close lands on the close, not next morning */
	ck_assert_int_eq(calendar_add(c, hk(2026, 12, 3, 17, 0), HOUR), hk(2026, 12, 3, 18, 0));
	/* seconds count */
	ck_assert_int_eq(calendar_add(c, hk(2026, 12, 3, 17, 59) + 30000, 45000), hk(2026, 12, 4, 9, 0) + 15000);
	/* and back: the working time between two instants */
	ck_assert_int_eq(calendar_between(c, hk(2026, 12, 24, 16, 0), hk(2026, 12, 30, 16, 0)), 27 * HOUR);
	ck_assert_int_eq(calendar_between(c, hk(2026, 12, 25, 0, 0), hk(2026, 12, 28, 0, 0)), 0);
	ck_assert_int_eq(calendar_between(c, hk(2026, 12, 28, 10, 0), hk(2026, 12, 28, 9, 0)), 0);
	ck_assert(calendar_is_holiday(c, 2026, 12, 25));
	ck_assert(!calendar_is_holiday(c, 2026, 12, 24));
	/* the rule's "3d" is three working days of 9 h */
	ck_assert_ptr_eq(cfg->rules[0].cal, c);
	ck_assert_int_eq(cfg->rules[0].deadlines->resolve_ms, 27 * HOUR);
	ck_assert_int_eq(cfg->rules[0].deadlines->acknowledge_ms, 2 * HOUR);
	config_destroy(&cfg);
}
END_TEST

START_TEST(split_days_and_the_default_day)
{
	config_t *cfg;
	const struct config_calendar *c;

	zone();
	/* a lunch break, given out of order; no `day`: the longest day's hours (7 h) */
	ck_assert_ptr_nonnull(cfg = load_with("calendars:\n"
					      "  - id: office\n"
					      "    hours:\n"
					      "      - { days: [mon], hours: '14:00-18:00' }\n"
					      "      - { days: [mon], hours: '09:00-12:00' }\n"));
	c = config_calendar(cfg, "office");
	ck_assert_int_eq(c->day_ms, 7 * HOUR);
	ck_assert_int_eq(c->week_n[1], 2);
	ck_assert_int_eq(c->week[1][0].from, 9 * 60);
	/* Monday 11:00 + 2 h: 1 h before lunch, 1 h after */
	ck_assert_int_eq(calendar_add(c, hk(2026, 11, 30, 11, 0), 2 * HOUR), hk(2026, 11, 30, 15, 0));
	/* Monday 17:00 + 2 h: next Monday 10:00 */
	ck_assert_int_eq(calendar_add(c, hk(2026, 11, 30, 17, 0), 2 * HOUR), hk(2026, 12, 7, 10, 0));
	ck_assert_int_eq(cfg->rules[0].deadlines->resolve_ms, 21 * HOUR);
	config_destroy(&cfg);
}
END_TEST

START_TEST(bad_calendars_are_named_with_their_place)
{
	ck_assert_ptr_null(load_with("calendars:\n"                                         /* 11 */
				     "  - id: office\n"                                     /* 12 */
				     "    hours:\n"                                         /* 13 */
				     "      - { days: [weekdays], hours: '09:00-18:00' }\n" /* 14 */
				     "      - { days: [mon], hours: '17:00-19:00' }\n"      /* 15 */
				     "      - { days: [sun], hours: '22:00-02:00' }\n"      /* 16 */
				     "    holidays: [2026-12-25, 2026-02-30, 25/12/2026]\n" /* 17 */));
	ASSERT_ERR("estate.yaml:15:31: office hours '17:00-19:00' overlap another entry on mon");
	ASSERT_ERR("estate.yaml:16:31: office hours '22:00-02:00' cross midnight");
	ASSERT_ERR("estate.yaml:17:28: expected a holiday as a date YYYY-MM-DD (e.g. 2026-12-25), not '2026-02-30'");
	ASSERT_ERR("estate.yaml:17:40: expected a holiday as a date YYYY-MM-DD (e.g. 2026-12-25), not '25/12/2026'");

	ck_assert_ptr_null(load_with("calendars:\n  - { id: office, hours: [{ hours: '9-5' }] }\n"));
	ASSERT_ERR("estate.yaml:12:36: expected office hours as HH:MM-HH:MM, not '9-5'");

	ck_assert_ptr_null(load_with("calendars:\n  - { id: shop, hours: [{ hours: '09:00-17:00' }] }\n"));
	ASSERT_ERR("estate.yaml:8:70: calendar 'office' is not defined under calendars");
}
END_TEST

/* A schedule as the configuration gives it (plan_check fills the rest). */
static struct config_schedule sched(const char *rrule, const char *start)
{
	struct config_schedule s;

	memset(&s, 0, sizeof s);
	s.id = (char *)"t";
	s.rrule = strdup(rrule);
	s.start = (char *)start;
	return s;
}

START_TEST(rrule_expansion)
{
	struct config_schedule s;
	const char *which;
	char why[512];
	int64_t occ[40];
	unsigned n;

	zone();
	/* the first Monday of each month, 10:00 local */
	s = sched("FREQ=MONTHLY;BYDAY=1MO", "2026-01-05T10:00");
	ck_assert_int_eq(plan_check(&s, why, sizeof why, &which), 0);
	n = plan_occurrences(&s, hk(2026, 11, 1, 0, 0), hk(2027, 3, 1, 0, 0), occ, 40, false);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(occ[0], hk(2026, 11, 2, 10, 0));
	ck_assert_int_eq(occ[1], hk(2026, 12, 7, 10, 0));
	ck_assert_int_eq(occ[2], hk(2027, 1, 4, 10, 0));
	ck_assert_int_eq(occ[3], hk(2027, 2, 1, 10, 0));
	/* (after, upto]: an occurrence at `after` is done, one at `upto` is due */
	n = plan_occurrences(&s, hk(2026, 12, 7, 10, 0), hk(2027, 1, 4, 10, 0), occ, 40, false);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(occ[0], hk(2027, 1, 4, 10, 0));
	ck_assert_int_eq(plan_next(&s, hk(2026, 12, 3, 17, 0)), hk(2026, 12, 7, 10, 0));
	free(s.rrule);

	/* every year in March (on the start's day): 2 March */
	s = sched("RRULE:FREQ=YEARLY;BYMONTH=3", "2026-03-02T09:00");
	ck_assert_int_eq(plan_check(&s, why, sizeof why, &which), 0);
	ck_assert_str_eq(s.rrule, "FREQ=YEARLY;BYMONTH=3"); /* the property name is dropped */
	ck_assert_int_eq(plan_next(&s, hk(2026, 12, 3, 0, 0)), hk(2027, 3, 2, 9, 0));
	free(s.rrule);

	/* the cap keeps the latest: 60 days of a daily rule, 31 kept */
	s = sched("FREQ=DAILY", "2026-01-01T08:00");
	ck_assert_int_eq(plan_check(&s, why, sizeof why, &which), 0);
	n = plan_occurrences(&s, hk(2026, 10, 1, 9, 0), hk(2026, 11, 30, 9, 0), occ, 31, true);
	ck_assert_uint_eq(n, 60);
	ck_assert_int_eq(occ[0], hk(2026, 10, 31, 8, 0));
	ck_assert_int_eq(occ[30], hk(2026, 11, 30, 8, 0));
	/* COUNT ends it */
	free(s.rrule);
	s = sched("FREQ=DAILY;COUNT=2", "2026-01-01T08:00");
	ck_assert_int_eq(plan_check(&s, why, sizeof why, &which), 0);
	ck_assert_int_eq(plan_next(&s, hk(2026, 1, 2, 8, 0)), 0);
	free(s.rrule);
}
END_TEST

START_TEST(impossible_rules_are_refused)
{
	static const struct {
		const char *rrule, *start, *which, *why;
	} bad[] = {
		{ "BYDAY=1MO", "2026-01-05T10:00", "rrule", "has no FREQ" },
		{ "FREQ=MONTHLY;BYDAI=1MO", "2026-01-05T10:00", "rrule", "is not an iCalendar RRULE" },
		{ "FREQ=FORTNIGHTLY", "2026-01-05T10:00", "rrule", "is not an iCalendar RRULE" },
		{ "FREQ=MINUTELY", "2026-01-05T10:00", "rrule", "at most hourly" },
		{ "FREQ=DAILY;UNTIL=20250101T000000", "2026-01-05T10:00", "rrule", "has no occurrence" },
		{ "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "2026-01-05T10:00", "rrule", "" },
		{ "FREQ=DAILY", "2026-02-29T10:00", "start", "expected the first occurrence" },
		{ "FREQ=DAILY", "2026-01-05 10:00", "start", "expected the first occurrence" },
		{ "FREQ=DAILY", "2026-01-05T25:00", "start", "expected the first occurrence" },
	};
	char why[512];
	const char *which;

	zone();
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct config_schedule s = sched(bad[i].rrule, bad[i].start);
		ck_assert_msg(plan_check(&s, why, sizeof why, &which) != 0, "accepted %s from %s", bad[i].rrule,
			      bad[i].start);
		ck_assert_str_eq(which, bad[i].which);
		ck_assert_msg(strstr(why, bad[i].why) != NULL, "'%s' not in '%s'", bad[i].why, why);
		free(s.rrule);
	}
}
END_TEST

static Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("calendar");

	tcase_add_test(tc, working_time_skips_nights_weekends_and_holidays);
	tcase_add_test(tc, split_days_and_the_default_day);
	tcase_add_test(tc, bad_calendars_are_named_with_their_place);
	tcase_add_test(tc, rrule_expansion);
	tcase_add_test(tc, impossible_rules_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(plan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
