/*
 * deadline: what happens when a ticket's deadline passes (DESIGN "Time").
 *
 * Each ticket's next deadline is Ticket.due_ms (due_next_ms() decides it
 * from the state), kept in the store's deadlines index by
 * store_put_ticket(). ingest runs deadline_fire() for every index entry
 * that is due, in the same batch transactions as requests, so an
 * escalation is on disk before anyone hears of it, and one libev timer is
 * armed for the earliest entry after every commit. Since the index is in
 * the store, a deadline that passed while the daemon was down fires at
 * start.
 *
 * A missed acknowledge walks the rule's escalation chain one step per
 * deadline: the next member who qualifies, the crew supervisor, then the
 * control center; each step gives the new holder escalation_every (or the
 * acknowledge time again) to acknowledge. A missed arrive or resolve
 * alerts the crew supervisor once; a missed follow-up alerts the desk
 * supervisor. Every step is one ESCALATED event naming the deadline.
 */
#ifndef DEADLINE_H
#define DEADLINE_H

#include <stdint.h>

#include "handle.h"

/* Act on the deadlines index entry (due_ms, id), due now. Afterwards the
 * entry is gone (the ticket's next deadline is later, or none); a stale
 * entry is just removed. 0, or -1 with c->rep filled (store error). */
int deadline_fire(struct handle_ctx *c, uint64_t id, int64_t due_ms);

#endif
