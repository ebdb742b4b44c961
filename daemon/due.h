/*
 * due: when a ticket's next deadline falls, from the ticket alone.
 *
 * Below both the store (which keeps the deadlines index from
 * Ticket.due_ms, and fills it in a migration) and the state machine
 * (which sets due_ms on every change): a pure function of one ticket, so
 * that neither has to call the other for it.
 */
#ifndef DUE_H
#define DUE_H

#include <stdint.h>

#include "dispatch.pb-c.h"

/* Ticket.missed bits: deadlines passed and told, not to fire again. */
#define DUE_MISSED_ACKNOWLEDGE 1u
#define DUE_MISSED_ARRIVE 2u
#define DUE_MISSED_RESOLVE 4u
#define DUE_MISSED_FOLLOW_UP 8u

/* The next deadline the daemon must act on for t in its current state
 * (0: none; on hold, finished, or all missed and told), and which (may be
 * NULL). */
int64_t due_next_ms(const Dispatch__Ticket *t, Dispatch__Deadline *which);

#endif
