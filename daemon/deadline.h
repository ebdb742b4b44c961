/*
 * deadline: what happens when a ticket's deadline passes (DESIGN "Time").
 *
 * Each ticket's next deadline is Ticket.due_ms (due_next_ms() decides it
 * from the state), kept in the store's deadlines index by
 * store_put_ticket(). Each batch runs deadline_run() first, which fires
 * every index entry that is due in the same transaction as the requests,
 * so an escalation is on disk before anyone hears of it; deadline owns
 * the one libev timer, armed for the earliest entry after every batch,
 * and the daemon's own actor in whose name deadlines act. Since the index is in
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

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "handle.h"

/* The daemon's own actor: what a deadline does is done by it. */
#define DEADLINE_ACTOR "dispatchd"

typedef struct deadline_timer deadline_timer_t;

/* wake(arg) is called when the earliest deadline is due; it runs a batch
 * of no requests (which calls deadline_run). loop may be NULL (no timer:
 * tests, fuzzing; deadline_run still fires what is due in each batch).
 * The timer starts at once: deadlines that passed while the daemon was
 * down fire now. */
deadline_timer_t *deadline_timer_new(struct ev_loop *loop, void (*wake)(void *arg), void *arg);
void deadline_timer_destroy(deadline_timer_t **d);

/* Within a batch's write transaction, before its requests: fire up to a
 * bounded number of due deadlines, each ticket in a child transaction of
 * its own, as the daemon's actor. base gives the store, configuration,
 * roster, arena and outbox. Sets *map_full if one met a full map (it is
 * tried again at the next pass). */
void deadline_run(deadline_timer_t *d, const struct handle_ctx *base, MDB_txn *batch_txn, bool *map_full);

/* At the end of a batch's transaction (txn NULL: the batch had none, look
 * again in a second): note the earliest deadline, its requests' included. */
void deadline_note_next(deadline_timer_t *d, store_t *s, MDB_txn *txn);
/* After the batch: arm the timer for the deadline noted. */
void deadline_timer_arm(deadline_timer_t *d);

/* Act on the deadlines index entry (due_ms, id), due now. Afterwards the
 * entry is gone (the ticket's next deadline is later, or none); a stale
 * entry is just removed. 0, or -1 with c->rep filled (store error). */
int deadline_fire(struct handle_ctx *c, uint64_t id, int64_t due_ms);

#endif
