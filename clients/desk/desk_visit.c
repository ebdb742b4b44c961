/*
 * desk_visit: appointments with residents (issue 19): the visit window
 * given as FROM/TO on the command line, and the visit command that books
 * or moves it. The daemon refuses a window that ends before it starts or
 * lies in the past (exit 1); this file refuses only what it cannot read
 * (exit 2).
 */
#include "desk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_time.h"

int desk_visit_arg(dc_t *dc, const char *what, const char *s, int64_t *from, int64_t *to)
{
	char a[64];
	const char *slash = strchr(s, '/');
	int64_t now = 0;
	int rc;

	if (slash == NULL || (size_t)(slash - s) >= sizeof a || slash[1] == '\0' || strchr(slash + 1, '/')) {
		fprintf(stderr,
			DESK_PROG
			": %s: expected a window FROM/TO such as 2026-12-04T14:00/16:00, not '%s'; try '" DESK_PROG
			" --help'\n",
			what, s);
		return DC_EXIT_USAGE;
	}
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	/* read on the estate's clock and in its zone */
	if ((rc = desk_estate_clock(dc, &now)) != 0)
		return rc;
	if (strchr(a, 'T') == NULL && strchr(a, ' ') == NULL) {
		fprintf(stderr, DESK_PROG ": %s: the window's start needs its day: YYYY-MM-DDTHH:MM, not '%s'\n", what,
			a);
		return DC_EXIT_USAGE;
	}
	if (dc_time_parse(a, now, from) < 0) {
		fprintf(stderr, DESK_PROG ": %s: '%s' is not a time YYYY-MM-DDTHH:MM in the estate's zone\n", what, a);
		return DC_EXIT_USAGE;
	}
	/* TO: "HH:MM" is on the start's day */
	if (dc_time_parse(slash + 1, *from, to) < 0) {
		fprintf(stderr, DESK_PROG ": %s: '%s' is not a time (HH:MM, or YYYY-MM-DDTHH:MM)\n", what, slash + 1);
		return DC_EXIT_USAGE;
	}
	return 0;
}

int desk_visit(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	int rc;

	if ((rc = desk_visit_arg(dc, "visit", o->args[1], &tr.visit_from_ms, &tr.visit_to_ms)) != 0)
		return rc;
	tr.action = DISPATCH__ACTION__ACTION_VISIT;
	tr.note = (char *)o->note;
	return desk_transition(dc, o, &tr);
}
