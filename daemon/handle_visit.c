/*
 * handle_visit: appointments with residents (issue 19). A visit window is
 * booked at submit (Submit.visit_*_ms), later (ACTION_VISIT), or proposed
 * with a hold for a resident who was away (ACTION_HOLD, HOLD_RESIDENT_AWAY).
 * The arrive deadline is the window's end: the resident expects the crew
 * by then, and a crew that has not arrived when it closes has missed the
 * visit (it escalates as a missed arrival, deadline.c). The routing skips
 * a member whose shift does not cover the whole window (route.c).
 */
#include <stdio.h>

#include "handle.h"

#define VISIT_MAX_MS (24LL * 3600 * 1000)         /* a window is at most a day */
#define VISIT_AHEAD_MS (366LL * 24 * 3600 * 1000) /* and within a year */

int handle_check_visit(struct handle_ctx *c, const char *field, int64_t from, int64_t to)
{
	if (from == 0 && to == 0)
		return 0;
	if (from <= 0 || to <= 0)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
				   "a visit window needs both its start and its end");
	if (to <= from)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
				   "the visit window ends before it starts (or when it starts); give FROM/TO with TO "
				   "after FROM");
	if (to - from > VISIT_MAX_MS)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
				   "a visit window is at most 24 hours; book one window on the day");
	if (to <= c->now)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
				   "the visit window is in the past; book one that ends later than now");
	if (from > c->now + VISIT_AHEAD_MS)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
				   "the visit window is more than a year ahead");
	return 0;
}
