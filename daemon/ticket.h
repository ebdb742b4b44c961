/*
 * ticket: the ticket state machine as one table, and the one function
 * through which every state change passes and is recorded.
 *
 * ticket_rule() answers whether (state, action) by (role, actor) is allowed
 * and what it leads to; ticket_record() writes the new ticket state and
 * its event in the caller's write transaction, so both land or neither.
 */
#ifndef TICKET_H
#define TICKET_H

#include <stdbool.h>
#include <stddef.h>

#include "dispatch.pb-c.h"
#include "due.h"
#include "store.h"

enum {
	TICKET_CONFLICT = -10,  /* not allowed in the ticket's current state */
	TICKET_FORBIDDEN = -11, /* not allowed for this role or actor */
	TICKET_INVALID = -12,   /* a required field (e.g. cancel reason) missing */
};

/* Role bits for the table. */
#define TICKET_ROLE(r) (1u << (r))

/* Where a row leads besides a state of its own: the state it is in
 * (STAY: a remark, an inspection) or the state it was held from (resume). */
#define TICKET_STAY DISPATCH__STATE__STATE_UNSPECIFIED
#define TICKET_HELD_FROM ((Dispatch__State)-1)

/* What a transition's effect may use besides the ticket and the request. */
struct ticket_act {
	int64_t now;
	const char *actor;                      /* who does it (recorded as consenter, caller, inspector) */
	int64_t follow_up_ms;                   /* the rule's follow-up time (0: none), for a resolve */
	const struct config_calendar *calendar; /* issue 19: the ticket's working hours (NULL: wall clock) */
};

/* A row's guard: what the action needs beyond state, role and note (a
 * close needs the follow-up...). 0, or a TICKET_* code with a message
 * and, for TICKET_INVALID, the request field to name in *field. */
typedef int(ticket_guard_fn)(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field, char *msg,
			     size_t msglen);
/* A row's effect: what the action writes into t before it is recorded. */
typedef void(ticket_effect_fn)(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x);

struct ticket_transition {
	Dispatch__State from;
	Dispatch__Action action;
	Dispatch__State to; /* or TICKET_STAY, TICKET_HELD_FROM: ticket_target() */
	Dispatch__EventType event;
	unsigned roles;           /* TICKET_ROLE() bits allowed */
	bool assignee_only;       /* a crew actor must be the assigned member */
	bool needs_note;          /* e.g. a cancel needs its reason */
	unsigned kinds;           /* TICKET_KIND() bits the row is for; 0: every kind */
	bool proxy;               /* the desk or a supervisor may do it for an outsourced
	                       * crew's member, who has no handheld (issue 21) */
	ticket_guard_fn *guard;   /* NULL: nothing beyond the columns */
	ticket_effect_fn *effect; /* NULL: the state change alone */
};

/* Kind bits for the table. */
#define TICKET_KIND(k) (1u << (k))
/* The kinds usually handled by phone or in the office: resolved without a
 * visit (no "arrive" needed). */
#define TICKET_NO_VISIT                                                                                                \
	(TICKET_KIND(DISPATCH__KIND__KIND_COMPLAINT) | TICKET_KIND(DISPATCH__KIND__KIND_INQUIRY) |                     \
	 TICKET_KIND(DISPATCH__KIND__KIND_SUGGESTION))

/* Is t with an outsourced crew now (the vendor it records is its crew)? */
bool ticket_outsourced(const Dispatch__Ticket *t);

/* Find the transition for ticket t and action a by role/actor. On success
 * returns 0 and *out; otherwise a TICKET_* code with a message for the
 * person who asked written to msg. */
int ticket_rule(const Dispatch__Ticket *t, Dispatch__Action a, Dispatch__Role role, const char *actor, const char *note,
		const struct ticket_transition **out, char *msg, size_t msglen);

/* The state row leads t to. */
Dispatch__State ticket_target(const struct ticket_transition *row, const Dispatch__Ticket *t);
/* Write what the transition tr carries into t (its cause and corrective
 * action, then the row's effect); before ticket_record(). */
void ticket_apply(const struct ticket_transition *row, Dispatch__Ticket *t, const Dispatch__Transition *tr,
		  const struct ticket_act *x);
/* Replace a string field of a heap-owned (unpacked) message. */
void ticket_set_string(char **field, const char *value);

/* The guard of tr's action (the table's guard column), for a ticket in any
 * state: a close needs the
 * follow-up, inspection, and a complaint's cause; a reassignment needs a
 * reason; consent only for a consent hold... 0, or a TICKET_* code with a
 * message and, for TICKET_INVALID, the request field to name. */
int ticket_guard(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field, char *msg,
		 size_t msglen);

/* Ticket.missed bits (due.h), under the state machine's names. */
#define TICKET_MISSED_ACKNOWLEDGE DUE_MISSED_ACKNOWLEDGE
#define TICKET_MISSED_ARRIVE DUE_MISSED_ARRIVE
#define TICKET_MISSED_RESOLVE DUE_MISSED_RESOLVE
#define TICKET_MISSED_FOLLOW_UP DUE_MISSED_FOLLOW_UP

/* The next deadline of t, and which: due_next_ms() (due.h). */
int64_t ticket_due_ms(const Dispatch__Ticket *t, Dispatch__Deadline *which);

/* Move t to state `to` and record it: fills ev's ticket_id, from/to state,
 * time, crew, member and ticket snapshot (ev->ticket points at t: keep t
 * alive while ev is used), appends ev (the store assigns its seq and
 * stamps t->last_seq), sets t's next deadline (due_ms) and writes t.
 * *stored, *stored_len (may be NULL): the event's bytes as stored (see
 * store_append_event). The caller sets ev's type, actor, actor_role,
 * note, rule and reason, and may set ev->member to address the event to
 * someone other than the assignee. */
int ticket_record(store_t *s, MDB_txn *txn, Dispatch__Ticket *t, Dispatch__State to, Dispatch__Event *ev,
		  int64_t now_ms, const void **stored, size_t *stored_len);

const char *ticket_state_name(Dispatch__State st);
const char *ticket_action_name(Dispatch__Action a);
const char *ticket_kind_name(Dispatch__Kind k);
const char *ticket_role_name(Dispatch__Role r);

#endif
