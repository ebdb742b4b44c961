/*
 * calendar: working-hours arithmetic over a calendar of the configuration
 * (issue 19). A calendar gives office hours per weekday and public
 * holidays, in the estate's time zone (TZ, set at load). A routing rule
 * that names one counts its acknowledge, arrive and resolve deadlines in
 * working time: the clock runs only inside office hours, not on holidays.
 * A hold pauses that clock as it pauses the wall clock: the working time
 * left is kept and counted again from the resume.
 */
#ifndef CALENDAR_H
#define CALENDAR_H

#include <stdint.h>

#include "config.h"

/* How far calendar_add and calendar_between look (days): a calendar with
 * no office hours in that span is refused by the configuration check. */
#define CALENDAR_HORIZON_DAYS 3700

/* The instant when work_ms of working time has passed since from_ms. A
 * deadline that ends exactly at a window's close lands on the close. */
int64_t calendar_add(const struct config_calendar *c, int64_t from_ms, int64_t work_ms);
/* The working time inside [a_ms, b_ms) (0 if b <= a). */
int64_t calendar_between(const struct config_calendar *c, int64_t a_ms, int64_t b_ms);
/* Is local date y-m-d one of c's holidays? */
int calendar_is_holiday(const struct config_calendar *c, int y, int m, int d);
/* "YYYY-MM-DD" into *ymd (YYYYMMDD); -1 if not a real date. */
int calendar_parse_date(const char *s, int *ymd);

#endif
