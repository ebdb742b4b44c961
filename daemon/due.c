/* due: a ticket's next deadline (see due.h). */
#include "due.h"

#include <stdbool.h>

#define S(x) DISPATCH__STATE__STATE_##x

int64_t due_next_ms(const Dispatch__Ticket *t, Dispatch__Deadline *which)
{
	int64_t due = 0;
	Dispatch__Deadline w = DISPATCH__DEADLINE__DEADLINE_NONE;
	bool working =
		t->state == S(NEW) || t->state == S(ASSIGNED) || t->state == S(ACCEPTED) || t->state == S(ON_SITE);

#define DUE_CONSIDER(cond, at, kind)                                                                                   \
	do {                                                                                                           \
		if ((cond) && (at) > 0 && (due == 0 || (at) < due)) {                                                  \
			due = (at);                                                                                    \
			w = (kind);                                                                                    \
		}                                                                                                      \
	} while (0)
	/* A queued ticket's acknowledge deadline walks the chain too: nobody
	 * taking it is the case that most needs the control center. */
	bool queued = t->state == S(NEW) && t->queue_escalates && (t->member == NULL || t->member[0] == '\0') &&
		      t->linked_to == 0 && t->outage_id == 0;

	DUE_CONSIDER(t->state == S(ASSIGNED) || queued, t->acknowledge_by_ms, DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE);
	DUE_CONSIDER(working && t->state != S(ON_SITE) && !(t->missed & DUE_MISSED_ARRIVE), t->arrive_by_ms,
		     DISPATCH__DEADLINE__DEADLINE_ARRIVE);
	DUE_CONSIDER(working && !(t->missed & DUE_MISSED_RESOLVE), t->resolve_by_ms,
		     DISPATCH__DEADLINE__DEADLINE_RESOLVE);
	DUE_CONSIDER(t->state == S(RESOLVED) && t->followed_up_ms == 0 && !(t->missed & DUE_MISSED_FOLLOW_UP),
		     t->follow_up_by_ms, DISPATCH__DEADLINE__DEADLINE_FOLLOW_UP);
#undef DUE_CONSIDER
	if (which)
		*which = w;
	return due;
}
