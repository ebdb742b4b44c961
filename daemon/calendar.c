/* calendar: working-hours arithmetic (see calendar.h). */
#include "calendar.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

const struct config_calendar *config_calendar(const config_t *cfg, const char *id)
{
	if (id == NULL)
		return NULL;
	for (unsigned i = 0; i < cfg->calendars_count; i++)
		if (strcmp(cfg->calendars[i].id, id) == 0)
			return &cfg->calendars[i];
	return NULL;
}

static int calendar_month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int calendar_parse_date(const char *s, int *ymd)
{
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1 || d > calendar_month_days(y, m))
		return -1;
	*ymd = y * 10000 + m * 100 + d;
	return 0;
}

int calendar_is_holiday(const struct config_calendar *c, int y, int m, int d)
{
	int ymd = y * 10000 + m * 100 + d;

	for (unsigned i = 0; i < c->holiday_n; i++)
		if (c->holiday_ymd[i] == ymd)
			return 1;
	return 0;
}

/* Local y-m-d (tm_mday may run past the month: mktime normalises) at
 * minute-of-day min, as unix ms. */
static int64_t calendar_local_ms(int y, int mon0, int mday, int min)
{
	struct tm tm = { .tm_year = y - 1900,
			 .tm_mon = mon0,
			 .tm_mday = mday,
			 .tm_hour = min / 60,
			 .tm_min = min % 60,
			 .tm_isdst = -1 };

	return (int64_t)mktime(&tm) * 1000;
}

/* Walk c's working windows from the local day of from_ms on: each window
 * [ws, we) clipped to [from_ms, until_ms), to fn, until fn says stop. */
typedef int(calendar_fn)(int64_t ws, int64_t we, void *arg);

static void calendar_walk(const struct config_calendar *c, int64_t from_ms, int64_t until_ms, calendar_fn *fn,
			  void *arg)
{
	time_t secs = (time_t)(from_ms / 1000);
	struct tm tm;

	localtime_r(&secs, &tm);
	for (int day = 0; day < CALENDAR_HORIZON_DAYS; day++) {
		int y = tm.tm_year + 1900, mon0 = tm.tm_mon, mday = tm.tm_mday + day;
		struct tm norm = {
			.tm_year = y - 1900, .tm_mon = mon0, .tm_mday = mday, .tm_hour = 12, .tm_isdst = -1
		};
		mktime(&norm); /* this day's real date and weekday */
		if (calendar_local_ms(y, mon0, mday, 0) >= until_ms)
			return;
		if (calendar_is_holiday(c, norm.tm_year + 1900, norm.tm_mon + 1, norm.tm_mday))
			continue;
		for (unsigned i = 0; i < c->week_n[norm.tm_wday]; i++) {
			const struct config_window *w = &c->week[norm.tm_wday][i];
			int64_t ws = calendar_local_ms(y, mon0, mday, w->from),
				we = calendar_local_ms(y, mon0, mday, w->to);
			if (ws < from_ms)
				ws = from_ms;
			if (we > until_ms)
				we = until_ms;
			if (ws < we && fn(ws, we, arg))
				return;
		}
	}
}

struct calendar_add_arg {
	int64_t left, at;
};

static int calendar_add_fn(int64_t ws, int64_t we, void *arg)
{
	struct calendar_add_arg *a = arg;

	if (a->left <= we - ws) {
		a->at = ws + a->left;
		return 1;
	}
	a->left -= we - ws;
	return 0;
}

int64_t calendar_add(const struct config_calendar *c, int64_t from_ms, int64_t work_ms)
{
	struct calendar_add_arg a = { .left = work_ms, .at = 0 };

	if (work_ms <= 0)
		return from_ms;
	calendar_walk(c, from_ms, INT64_MAX, calendar_add_fn, &a);
	/* no office hours in the horizon (the check refuses such a calendar): wall clock */
	return a.at ? a.at : from_ms + work_ms;
}

static int calendar_sum_fn(int64_t ws, int64_t we, void *arg)
{
	*(int64_t *)arg += we - ws;
	return 0;
}

int64_t calendar_between(const struct config_calendar *c, int64_t a_ms, int64_t b_ms)
{
	int64_t sum = 0;

	if (b_ms <= a_ms)
		return 0;
	calendar_walk(c, a_ms, b_ms, calendar_sum_fn, &sum);
	return sum;
}
