/*
 * dc_time: parsing and formatting times for people, and ticket deadlines.
 * See dc_time.h. Local time throughout: an operator types and reads the
 * clock on the wall, and mktime() with tm_isdst = -1 settles summer time.
 * The wall is the estate's: the zone from the daemon's replies is this
 * process's TZ (dc_time_use_zone), so libc's local time is the estate's.
 */
#include "dc_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>

#include "dispatch_client.h"

#define ZONE_MAX 64

static char zone_applied[ZONE_MAX + 1];

static int zone_name_ok(const char *z)
{
	size_t n = 0;

	if (!z || z[0] == '\0' || z[0] == '/' || z[0] == '-' || strstr(z, ".."))
		return 0;
	for (; z[n]; n++) {
		char c = z[n];
		if (n >= ZONE_MAX || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				       c == '/' || c == '_' || c == '+' || c == '-'))
			return 0;
	}
	return 1;
}

int dc_time_use_zone(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	struct stat st;

	if (!zone_name_ok(zone))
		return DC_ERR_ARG;
	if (strcmp(zone, zone_applied) == 0)
		return 0;
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) /* a region's directory is no zone */
		return DC_ERR_ARG;
	if (setenv("TZ", zone, 1) != 0)
		return DC_ERR_SYSTEM;
	tzset();
	snprintf(zone_applied, sizeof zone_applied, "%s", zone);
	return 0;
}

const char *dc_time_zone(void)
{
	return zone_applied[0] ? zone_applied : NULL;
}

int dc_estate_clock(dc_t *dc, int64_t *now_ms)
{
	Dispatch__Reply *r = NULL;
	int rc = dc_ping(dc, &r);

	if (rc < 0)
		return rc;
	/* dc_request() applied the zone; a daemon too old to say "now" leaves ours. */
	if (now_ms && r->now_ms > 0)
		*now_ms = r->now_ms;
	dispatch__reply__free_unpacked(r, NULL);
	return DC_OK;
}

static int local_day(int64_t ms, struct tm *tm)
{
	time_t t = (time_t)(ms / 1000);

	return localtime_r(&t, tm) ? 0 : -1;
}

int dc_time_parse(const char *s, int64_t now_ms, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec = 0, n = 0;
	char sep;
	time_t t;

	if (!s || !out)
		return DC_ERR_ARG;
	if (strcasecmp(s, "now") == 0) {
		*out = now_ms;
		return 0;
	}
	if (local_day(now_ms, &tm) < 0)
		return DC_ERR_ARG;
	if ((sscanf(s, "%2d:%2d%n", &h, &mi, &n) == 2 && s[n] == '\0') ||
	    (sscanf(s, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) == 3 && s[n] == '\0')) {
		/* today */
	} else if ((sscanf(s, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &n) == 6 && s[n] == '\0') ||
		   (sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &sec, &n) == 7 &&
		    s[n] == '\0')) {
		if ((sep != 'T' && sep != ' ') || mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970)
			return DC_ERR_ARG;
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
	} else {
		return DC_ERR_ARG;
	}
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return DC_ERR_ARG;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	{
		int want_mday = tm.tm_mday;

		t = mktime(&tm);
		if (t == (time_t)-1 || tm.tm_mday != want_mday) /* 31 April rolls over */
			return DC_ERR_ARG;
	}
	*out = (int64_t)t * 1000;
	return 0;
}

char *dc_time_span(int64_t ms, char *buf, size_t size)
{
	long long s;

	if (!buf || size == 0)
		return buf;
	if (ms < 0)
		ms = -ms;
	s = (long long)(ms / 1000);
	if (s < 3600)
		snprintf(buf, size, "%lld:%02lld", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh%02lld", s / 3600, s % 3600 / 60);
	else if (s < 100LL * 86400)
		snprintf(buf, size, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
	else
		snprintf(buf, size, "%lldd", s / 86400);
	return buf;
}

char *dc_time_short(int64_t ms, int64_t now_ms, char *buf, size_t size)
{
	struct tm a, b;

	if (!buf || size == 0)
		return buf;
	if (ms <= 0 || local_day(ms, &a) < 0 || local_day(now_ms, &b) < 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	if (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)
		strftime(buf, size, "%H:%M", &a);
	else
		strftime(buf, size, "%m-%d %H:%M", &a);
	return buf;
}

int dc_time_due(const Dispatch__Ticket *t, int64_t now_ms, struct dc_due *due)
{
	/* The steps in order, and the last state in which each is pending. */
	static const struct {
		const char *what, *abbrev;
		Dispatch__State until;
	} steps[] = {
		{ "acknowledge", "ack", DISPATCH__STATE__STATE_ASSIGNED },
		{ "arrive", "arr", DISPATCH__STATE__STATE_ACCEPTED },
		{ "resolve", "res", DISPATCH__STATE__STATE_ON_SITE },
	};
	int64_t at[3];
	int i, best = -1;

	if (t && due && t->state == DISPATCH__STATE__STATE_RESOLVED && t->follow_up_by_ms > 0 &&
	    t->due_ms == t->follow_up_by_ms) {
		/* The call back the daemon is still waiting for (due_ms is the
		 * deadline it watches; a follow-up already made clears it). */
		due->what = "follow-up";
		due->abbrev = "fup";
		due->at_ms = t->follow_up_by_ms;
		due->overdue = t->follow_up_by_ms < now_ms;
		return 1;
	}
	/* On hold: paused; resolved and after: nothing left to do in time. */
	if (!t || !due || t->state < DISPATCH__STATE__STATE_NEW || t->state > DISPATCH__STATE__STATE_ON_SITE)
		return 0;
	at[0] = t->acknowledge_by_ms;
	at[1] = t->arrive_by_ms;
	at[2] = t->resolve_by_ms;
	for (i = 0; i < 3; i++) {
		if (at[i] <= 0 || t->state > steps[i].until)
			continue;
		if (best < 0 || at[i] < at[best])
			best = i;
	}
	if (best < 0)
		return 0;
	due->what = steps[best].what;
	due->abbrev = steps[best].abbrev;
	due->at_ms = at[best];
	due->overdue = at[best] < now_ms;
	return 1;
}
