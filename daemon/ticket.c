/*
 * ticket: transition table and recording (see ticket.h). The whole state
 * machine is the table: each row says from where an action leads where,
 * who may do it, its guard (what it needs beyond the state) and its
 * effect (what it writes into the ticket), so the table alone says where
 * an action leads and what it needs (OpenSMTPD's commands with a check
 * and a proceed each). Later workflows add rows and their guard and
 * effect here, not branches in the handlers.
 */
#include "ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "xalloc.h"

#define S(x) DISPATCH__STATE__STATE_##x
#define A(x) DISPATCH__ACTION__ACTION_##x
#define E(x) DISPATCH__EVENT_TYPE__EVENT_##x
#define R(x) TICKET_ROLE(DISPATCH__ROLE__ROLE_##x)

#define DESKS (R(DESK) | R(SUPERVISOR))
#define HOLDERS (R(CREW) | R(DESK) | R(SUPERVISOR))
/* The follow-up: the desk's call back, or the resident's own rating on the
 * residents' page (issue 17: a resident key sends it as ResidentRate only,
 * never as a Transition; command.c). */
#define RATERS (DESKS | R(RESIDENT))
#define STAY TICKET_STAY      /* stays in its state */
#define BACK TICKET_HELD_FROM /* back to the state it was held from */

void ticket_set_string(char **field, const char *value)
{
	if (value == *field)
		return; /* its own value: freeing first would copy freed memory */
	if (*field != NULL && *field != protobuf_c_empty_string)
		free(*field);
	*field = xstrdup(value ? value : "");
}

/* ---- guards: what a row needs beyond the state, the role and a note ---- */

static int ticket_guard_close(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field, char *msg,
			      size_t msglen)
{
	unsigned long long id = (unsigned long long)t->id;
	bool complaint = t->kind == DISPATCH__KIND__KIND_COMPLAINT;

	if ((t->follow_up || complaint) && t->followed_up_ms == 0) {
		snprintf(msg, msglen, "ticket %llu needs a follow-up call to the resident before it can be closed", id);
		return TICKET_CONFLICT;
	}
	if (t->inspection && t->inspection_result != DISPATCH__INSPECTION_RESULT__INSPECTION_PASS) {
		snprintf(msg, msglen, "ticket %llu needs a passed quality inspection before it can be closed%s", id,
			 t->inspection_result == DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL ? " (the last one failed)"
											      : "");
		return TICKET_CONFLICT;
	}
	if (complaint && ((t->cause[0] == '\0' && tr->cause[0] == '\0') ||
			  (t->corrective_action[0] == '\0' && tr->corrective_action[0] == '\0'))) {
		*field = t->cause[0] == '\0' && tr->cause[0] == '\0' ? "transition.cause"
								     : "transition.corrective_action";
		snprintf(msg, msglen, "complaint %llu cannot close without its cause and the corrective action taken",
			 id);
		return TICKET_INVALID;
	}
	return 0;
}

static int ticket_guard_assign(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field, char *msg,
			       size_t msglen)
{
	unsigned long long id = (unsigned long long)t->id;

	if (t->member[0] && strcmp(t->member, tr->member) != 0 && tr->note[0] == '\0') {
		*field = "transition.note";
		snprintf(msg, msglen, "ticket %llu is assigned to %s; to reassign it, give a reason", id, t->member);
		return TICKET_INVALID;
	}
	if (t->about_member[0] && strcmp(t->about_member, tr->member) == 0) {
		snprintf(msg, msglen, "complaint %llu is about %s; it cannot be assigned to them", id, tr->member);
		return TICKET_FORBIDDEN;
	}
	return 0;
}

static int ticket_guard_hold(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field, char *msg,
			     size_t msglen)
{
	unsigned long long id = (unsigned long long)t->id;

	if (tr->hold_reason < DISPATCH__HOLD_REASON__HOLD_PARTS ||
	    tr->hold_reason > DISPATCH__HOLD_REASON__HOLD_OTHER ||
	    tr->hold_reason == DISPATCH__HOLD_REASON__HOLD_CONSENT) {
		*field = "transition.hold_reason";
		snprintf(msg, msglen, "say why ticket %llu is on hold: parts, resident away, no access, or other", id);
		return TICKET_INVALID;
	}
	if (tr->hold_reason == DISPATCH__HOLD_REASON__HOLD_OTHER && tr->note[0] == '\0') {
		*field = "transition.note";
		snprintf(msg, msglen, "a hold for another reason needs a note saying what it is");
		return TICKET_INVALID;
	}
	return 0;
}

static int ticket_guard_resume(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field, char *msg,
			       size_t msglen)
{
	unsigned long long id = (unsigned long long)t->id;

	(void)field;
	(void)tr;
	if (t->hold_reason == DISPATCH__HOLD_REASON__HOLD_CONSENT) {
		snprintf(msg, msglen,
			 "ticket %llu waits for the resident's consent to the fee; record it with consent, "
			 "or cancel the ticket if the resident declines",
			 id);
		return TICKET_CONFLICT;
	}
	return 0;
}

static int ticket_guard_consent(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field,
				char *msg, size_t msglen)
{
	unsigned long long id = (unsigned long long)t->id;

	(void)field;
	(void)tr;
	if (t->hold_reason != DISPATCH__HOLD_REASON__HOLD_CONSENT) {
		snprintf(msg, msglen, "ticket %llu is not waiting for a consent", id);
		return TICKET_CONFLICT;
	}
	return 0;
}

static int ticket_guard_follow_up(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field,
				  char *msg, size_t msglen)
{
	(void)t;
	if (tr->satisfaction < 1 || tr->satisfaction > 5) {
		*field = "transition.satisfaction";
		snprintf(msg, msglen,
			 "a follow-up records the resident's satisfaction from 1 (very unhappy) to 5 "
			 "(very satisfied)");
		return TICKET_INVALID;
	}
	return 0;
}

static int ticket_guard_inspect(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field,
				char *msg, size_t msglen)
{
	(void)t;
	if (tr->inspection != DISPATCH__INSPECTION_RESULT__INSPECTION_PASS &&
	    tr->inspection != DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL) {
		*field = "transition.inspection";
		snprintf(msg, msglen, "an inspection is either pass or fail");
		return TICKET_INVALID;
	}
	if (tr->inspection == DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL && tr->note[0] == '\0') {
		*field = "transition.note";
		snprintf(msg, msglen, "a failed inspection needs a remark saying what is wrong");
		return TICKET_INVALID;
	}
	return 0;
}

static int ticket_guard_flag_vendor(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field,
				    char *msg, size_t msglen)
{
	unsigned long long id = (unsigned long long)t->id;

	(void)field;
	(void)tr;
	if (t->vendor[0] == '\0') {
		snprintf(msg, msglen, "ticket %llu was not handled by an outsourced crew", id);
		return TICKET_CONFLICT;
	}
	return 0;
}

static int ticket_guard_unlink(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field, char *msg,
			       size_t msglen)
{
	unsigned long long id = (unsigned long long)t->id;

	(void)field;
	(void)tr;
	if (t->link != DISPATCH__LINK_KIND__LINK_DUPLICATE || t->linked_to == 0) {
		snprintf(msg, msglen, "ticket %llu is not linked to another ticket as a duplicate", id);
		return TICKET_CONFLICT;
	}
	return 0;
}

static int ticket_guard_review_vendor(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field,
				      char *msg, size_t msglen)
{
	unsigned long long id = (unsigned long long)t->id;

	(void)field;
	(void)tr;
	if (t->vendor_incident[0] == '\0') {
		snprintf(msg, msglen, "ticket %llu has no vendor incident to review; flag it first", id);
		return TICKET_CONFLICT;
	}
	return 0;
}

static int ticket_guard_resolve(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field,
				char *msg, size_t msglen)
{
	unsigned long long id = (unsigned long long)t->id;

	if (t->fee_cents > 0 && tr->charged_cents <= 0 && tr->note[0] == '\0') {
		*field = "transition.charged_cents";
		snprintf(msg, msglen,
			 "ticket %llu is a paid service: record the amount charged (or say in the note why "
			 "nothing was charged)",
			 id);
		return TICKET_INVALID;
	}
	if (tr->charged_cents < 0 || tr->charged_cents > 100000000) {
		*field = "transition.charged_cents";
		snprintf(msg, msglen, "the amount charged is out of range");
		return TICKET_INVALID;
	}
	return 0;
}

/* ---- effects: what a row writes into the ticket, before it is recorded ---- */

/* Hold pauses the deadlines: each keeps the time it had left. */
static void ticket_pause(Dispatch__Ticket *t, int64_t now, const struct config_calendar *cal)
{
	int64_t *by[] = { &t->acknowledge_by_ms, &t->arrive_by_ms, &t->resolve_by_ms };
	int64_t *left[] = { &t->acknowledge_left_ms, &t->arrive_left_ms, &t->resolve_left_ms };

	for (int i = 0; i < 3; i++) {
		int64_t rest = *by[i] > now ? (cal ? calendar_between(cal, now, *by[i]) : *by[i] - now) : 1;
		*left[i] = *by[i] > 0 ? (rest > 0 ? rest : 1) : 0;
		*by[i] = 0;
	}
}

static void ticket_unpause(Dispatch__Ticket *t, int64_t now, const struct config_calendar *cal)
{
	int64_t *by[] = { &t->acknowledge_by_ms, &t->arrive_by_ms, &t->resolve_by_ms };
	int64_t *left[] = { &t->acknowledge_left_ms, &t->arrive_left_ms, &t->resolve_left_ms };

	for (int i = 0; i < 3; i++) {
		*by[i] = *left[i] > 0 ? (cal ? calendar_add(cal, now, *left[i]) : now + *left[i]) : 0;
		if (i == 1 && *by[i] > 0 && t->visit_to_ms > 0)
			*by[i] = t->visit_to_ms; /* issue 19: a visit's arrival is its window's end */
		*left[i] = 0;
	}
}

static void ticket_effect_accept(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	(void)tr;
	if (t->acknowledged_ms == 0)
		t->acknowledged_ms = x->now;
}

static void ticket_effect_arrive(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	(void)tr;
	if (t->arrived_ms == 0)
		t->arrived_ms = x->now;
}

static void ticket_effect_resolve(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	if (tr->note[0])
		ticket_set_string(&t->note, tr->note);
	if (tr->parts_used[0])
		ticket_set_string(&t->parts_used, tr->parts_used);
	if (t->fee_cents > 0)
		t->charged_cents = tr->charged_cents;
	t->resolved_ms = x->now;
	t->follow_up_by_ms = t->follow_up && x->follow_up_ms ? x->now + x->follow_up_ms : 0;
}

static void ticket_effect_close(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	(void)tr;
	t->closed_ms = x->now;
}

static void ticket_effect_cancel(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	(void)x;
	ticket_set_string(&t->cancel_reason, tr->note);
}

static void ticket_effect_hold(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	t->hold_reason = tr->hold_reason;
	ticket_set_string(&t->hold_note, tr->note);
	t->held_from = t->state;
	t->held_since_ms = x->now;
	ticket_pause(t, x->now, x->calendar);
	if (tr->visit_to_ms > 0) {
		/* issue 19: the resident away proposes a new window: the
		 * arrival is due at its end once resumed */
		t->visit_from_ms = tr->visit_from_ms;
		t->visit_to_ms = tr->visit_to_ms;
		t->missed &= ~2u; /* DUE_MISSED_ARRIVE */
		if (t->held_from <= DISPATCH__STATE__STATE_ACCEPTED)
			t->arrive_left_ms = t->visit_to_ms - x->now;
	}
}

/* Issue 19: the visit window; the arrive deadline is its end (on hold:
 * from the resume). A new window may be missed anew. */
static void ticket_effect_visit(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	t->visit_from_ms = tr->visit_from_ms;
	t->visit_to_ms = tr->visit_to_ms;
	t->missed &= ~2u; /* DUE_MISSED_ARRIVE */
	if (t->state == DISPATCH__STATE__STATE_ON_HOLD) {
		if (t->held_from <= DISPATCH__STATE__STATE_ACCEPTED)
			t->arrive_left_ms = t->visit_to_ms - x->now;
	} else if (t->state == DISPATCH__STATE__STATE_NEW || t->state == DISPATCH__STATE__STATE_ASSIGNED ||
		   t->state == DISPATCH__STATE__STATE_ACCEPTED)
		t->arrive_by_ms = t->visit_to_ms;
}

static void ticket_effect_resume(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	(void)tr;
	ticket_unpause(t, x->now, x->calendar);
}

static void ticket_effect_consent(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	(void)tr;
	t->consent_ms = x->now;
	ticket_set_string(&t->consent_by, x->actor);
}

static void ticket_effect_follow_up(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	t->satisfaction = tr->satisfaction;
	ticket_set_string(&t->follow_up_remark, tr->note);
	t->followed_up_ms = x->now;
	ticket_set_string(&t->followed_up_by, x->actor);
}

static void ticket_effect_inspect(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	t->inspection_result = tr->inspection;
	ticket_set_string(&t->inspection_remark, tr->note);
	t->inspected_ms = x->now;
	ticket_set_string(&t->inspector, x->actor);
	if (tr->inspection == DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL)
		t->inspection = true; /* it must pass before it closes again */
}

static void ticket_effect_flag_vendor(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	ticket_set_string(&t->vendor_incident, tr->note);
	t->vendor_flagged_ms = x->now;
}

static void ticket_effect_review_vendor(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	ticket_set_string(&t->vendor_review, tr->note);
	t->vendor_reviewed_ms = x->now;
}

static void ticket_effect_unlink(Dispatch__Ticket *t, const Dispatch__Transition *tr, const struct ticket_act *x)
{
	(void)tr;
	(void)x;
	t->linked_to = 0;
	t->link = DISPATCH__LINK_KIND__LINK_NONE;
}

/* Every allowed (state, action); anything else is refused with CONFLICT.
 * "to": where it leads (STAY, or BACK to the held-from state). "assignee":
 * a crew actor must be the assigned member. "note": a reason or remark is
 * required. "guard": what depends on more than the state (a complaint's
 * cause before closing, a follow-up before closing, consent only for a
 * consent hold). "effect": what it writes into the ticket. Where the
 * action leads next (a reopen, a dispatch) is the handler's. */
static const struct ticket_transition ticket_table[] = {
	/* from         action              to            event                 who                     assignee note   kinds            proxy  guard, effect */
	{ S(ASSIGNED), A(ACCEPT), S(ACCEPTED), E(ACCEPTED), R(CREW), true, false, 0, true, NULL, ticket_effect_accept },
	{ S(ACCEPTED), A(ARRIVE), S(ON_SITE), E(ON_SITE), R(CREW), true, false, 0, true, NULL, ticket_effect_arrive },
	/* which kinds need a visit: these are resolved by phone or in the office */
	{ S(ASSIGNED), A(RESOLVE), S(RESOLVED), E(RESOLVED), R(CREW) | DESKS, true, false, TICKET_NO_VISIT, true,
	  ticket_guard_resolve, ticket_effect_resolve },
	{ S(ACCEPTED), A(RESOLVE), S(RESOLVED), E(RESOLVED), R(CREW) | DESKS, true, false, TICKET_NO_VISIT, true,
	  ticket_guard_resolve, ticket_effect_resolve },
	{ S(ON_SITE), A(RESOLVE), S(RESOLVED), E(RESOLVED), R(CREW) | DESKS, true, false, 0, true, ticket_guard_resolve,
	  ticket_effect_resolve },
	{ S(RESOLVED), A(CLOSE), S(CLOSED), E(CLOSED), DESKS, false, false, 0, false, ticket_guard_close,
	  ticket_effect_close },
	{ S(NEW), A(CANCEL), S(CANCELLED), E(CANCELLED), DESKS, false, true, 0, false, NULL, ticket_effect_cancel },
	{ S(ASSIGNED), A(CANCEL), S(CANCELLED), E(CANCELLED), DESKS, false, true, 0, false, NULL,
	  ticket_effect_cancel },
	{ S(ACCEPTED), A(CANCEL), S(CANCELLED), E(CANCELLED), DESKS, false, true, 0, false, NULL,
	  ticket_effect_cancel },
	{ S(ON_SITE), A(CANCEL), S(CANCELLED), E(CANCELLED), DESKS, false, true, 0, false, NULL, ticket_effect_cancel },
	{ S(ON_HOLD), A(CANCEL), S(CANCELLED), E(CANCELLED), DESKS, false, true, 0, false, NULL, ticket_effect_cancel },
	/* (re)assignment by a person: out of the crew queue, or to someone
	 * else (then with a reason: ticket_guard) */
	{ S(NEW), A(ASSIGN), S(ASSIGNED), E(ASSIGNED), DESKS, false, false, 0, false, ticket_guard_assign, NULL },
	{ S(ASSIGNED), A(ASSIGN), S(ASSIGNED), E(ASSIGNED), DESKS, false, false, 0, false, ticket_guard_assign, NULL },
	{ S(ACCEPTED), A(ASSIGN), S(ASSIGNED), E(ASSIGNED), DESKS, false, false, 0, false, ticket_guard_assign, NULL },
	{ S(ON_SITE), A(ASSIGN), S(ASSIGNED), E(ASSIGNED), DESKS, false, false, 0, false, ticket_guard_assign, NULL },
	/* hold: deadlines pause; resume returns to the held-from state */
	{ S(ASSIGNED), A(HOLD), S(ON_HOLD), E(ON_HOLD), HOLDERS, true, false, 0, false, ticket_guard_hold,
	  ticket_effect_hold },
	{ S(ACCEPTED), A(HOLD), S(ON_HOLD), E(ON_HOLD), HOLDERS, true, false, 0, false, ticket_guard_hold,
	  ticket_effect_hold },
	{ S(ON_SITE), A(HOLD), S(ON_HOLD), E(ON_HOLD), HOLDERS, true, false, 0, false, ticket_guard_hold,
	  ticket_effect_hold },
	{ S(ON_HOLD), A(RESUME), BACK, E(RESUMED), HOLDERS, true, false, 0, false, ticket_guard_resume,
	  ticket_effect_resume },
	/* a paid special service starts once the resident consents to the fee */
	{ S(ON_HOLD), A(CONSENT), S(NEW), E(CONSENTED), DESKS, false, false, 0, false, ticket_guard_consent,
	  ticket_effect_consent },
	/* after the work: the call back, and quality control's inspection;
	 * an unsatisfied resident or a failed inspection reopens it */
	{ S(RESOLVED), A(FOLLOW_UP), STAY, E(FOLLOWED_UP), RATERS, false, false, 0, false, ticket_guard_follow_up,
	  ticket_effect_follow_up },
	{ S(CLOSED), A(FOLLOW_UP), STAY, E(FOLLOWED_UP), RATERS, false, false, 0, false, ticket_guard_follow_up,
	  ticket_effect_follow_up },
	{ S(RESOLVED), A(INSPECT), STAY, E(INSPECTED), R(QC), false, false, 0, false, ticket_guard_inspect,
	  ticket_effect_inspect },
	{ S(CLOSED), A(INSPECT), STAY, E(INSPECTED), R(QC), false, false, 0, false, ticket_guard_inspect,
	  ticket_effect_inspect },
	/* vendor incidents (clause 4.5): flagged, then reviewed */
	{ S(ASSIGNED), A(FLAG_VENDOR), STAY, E(VENDOR_FLAGGED), DESKS | R(QC), false, true, 0, false,
	  ticket_guard_flag_vendor, ticket_effect_flag_vendor },
	{ S(ACCEPTED), A(FLAG_VENDOR), STAY, E(VENDOR_FLAGGED), DESKS | R(QC), false, true, 0, false,
	  ticket_guard_flag_vendor, ticket_effect_flag_vendor },
	{ S(ON_SITE), A(FLAG_VENDOR), STAY, E(VENDOR_FLAGGED), DESKS | R(QC), false, true, 0, false,
	  ticket_guard_flag_vendor, ticket_effect_flag_vendor },
	{ S(ON_HOLD), A(FLAG_VENDOR), STAY, E(VENDOR_FLAGGED), DESKS | R(QC), false, true, 0, false,
	  ticket_guard_flag_vendor, ticket_effect_flag_vendor },
	{ S(RESOLVED), A(FLAG_VENDOR), STAY, E(VENDOR_FLAGGED), DESKS | R(QC), false, true, 0, false,
	  ticket_guard_flag_vendor, ticket_effect_flag_vendor },
	{ S(CLOSED), A(FLAG_VENDOR), STAY, E(VENDOR_FLAGGED), DESKS | R(QC), false, true, 0, false,
	  ticket_guard_flag_vendor, ticket_effect_flag_vendor },
	{ S(CANCELLED), A(FLAG_VENDOR), STAY, E(VENDOR_FLAGGED), DESKS | R(QC), false, true, 0, false,
	  ticket_guard_flag_vendor, ticket_effect_flag_vendor },
	{ S(ASSIGNED), A(REVIEW_VENDOR), STAY, E(VENDOR_REVIEWED), R(SUPERVISOR) | R(QC), false, true, 0, false,
	  ticket_guard_review_vendor, ticket_effect_review_vendor },
	{ S(ACCEPTED), A(REVIEW_VENDOR), STAY, E(VENDOR_REVIEWED), R(SUPERVISOR) | R(QC), false, true, 0, false,
	  ticket_guard_review_vendor, ticket_effect_review_vendor },
	{ S(ON_SITE), A(REVIEW_VENDOR), STAY, E(VENDOR_REVIEWED), R(SUPERVISOR) | R(QC), false, true, 0, false,
	  ticket_guard_review_vendor, ticket_effect_review_vendor },
	{ S(ON_HOLD), A(REVIEW_VENDOR), STAY, E(VENDOR_REVIEWED), R(SUPERVISOR) | R(QC), false, true, 0, false,
	  ticket_guard_review_vendor, ticket_effect_review_vendor },
	{ S(RESOLVED), A(REVIEW_VENDOR), STAY, E(VENDOR_REVIEWED), R(SUPERVISOR) | R(QC), false, true, 0, false,
	  ticket_guard_review_vendor, ticket_effect_review_vendor },
	{ S(CLOSED), A(REVIEW_VENDOR), STAY, E(VENDOR_REVIEWED), R(SUPERVISOR) | R(QC), false, true, 0, false,
	  ticket_guard_review_vendor, ticket_effect_review_vendor },
	{ S(CANCELLED), A(REVIEW_VENDOR), STAY, E(VENDOR_REVIEWED), R(SUPERVISOR) | R(QC), false, true, 0, false,
	  ticket_guard_review_vendor, ticket_effect_review_vendor },
	/* issue 19: a visit window booked with the resident, or moved */
	{ S(NEW), A(VISIT), STAY, E(VISIT_BOOKED), DESKS, false, false, 0, false, NULL, ticket_effect_visit },
	{ S(ASSIGNED), A(VISIT), STAY, E(VISIT_BOOKED), DESKS, false, false, 0, false, NULL, ticket_effect_visit },
	{ S(ACCEPTED), A(VISIT), STAY, E(VISIT_BOOKED), DESKS, false, false, 0, false, NULL, ticket_effect_visit },
	{ S(ON_HOLD), A(VISIT), STAY, E(VISIT_BOOKED), DESKS, false, false, 0, false, NULL, ticket_effect_visit },
	/* a duplicate that is another problem after all: dispatched on its own */
	{ S(NEW), A(UNLINK), STAY, E(UNLINKED), DESKS, false, false, 0, false, ticket_guard_unlink,
	  ticket_effect_unlink },
};

const char *ticket_state_name(Dispatch__State st)
{
	switch (st) {
	case S(NEW): return "new";
	case S(ASSIGNED): return "assigned";
	case S(ACCEPTED): return "accepted";
	case S(ON_SITE): return "on site";
	case S(RESOLVED): return "resolved";
	case S(CLOSED): return "closed";
	case S(CANCELLED): return "cancelled";
	case S(ON_HOLD): return "on hold";
	default: return "unknown";
	}
}

/* How refusals speak of each action: what a role may not do, the state
 * an action needs ("<subject> can be <done> only when ..."), and what its
 * required note must give. */
struct ticket_wording {
	const char *name;    /* "accept" */
	const char *verb;    /* "accept a ticket": "the crew role may not accept a ticket" */
	const char *subject; /* "it" or "a follow-up" */
	const char *done;    /* "accepted", "recorded" */
	const char *note;    /* "give the reason" */
};

static const struct ticket_wording *ticket_wording(Dispatch__Action a)
{
	static const struct ticket_wording w[] = {
		[A(ACCEPT)] = { "accept", "accept a ticket", "it", "accepted", "give a note" },
		[A(ARRIVE)] = { "arrive", "record an arrival", "an arrival", "recorded", "give a note" },
		[A(RESOLVE)] = { "resolve", "resolve a ticket", "it", "resolved", "give the work note" },
		[A(CLOSE)] = { "close", "close a ticket", "it", "closed", "give a note" },
		[A(CANCEL)] = { "cancel", "cancel a ticket", "it", "cancelled", "give the reason" },
		[A(ASSIGN)] = { "assign", "assign a ticket", "it", "assigned", "give the reason" },
		[A(HOLD)] = { "hold", "put a ticket on hold", "it", "put on hold", "give the reason" },
		[A(RESUME)] = { "resume", "resume a ticket", "it", "resumed", "give a note" },
		[A(FOLLOW_UP)] = { "follow-up", "record a follow-up", "a follow-up", "recorded", "give the remark" },
		[A(INSPECT)] = { "inspect", "record an inspection", "an inspection", "recorded", "give the remark" },
		[A(CONSENT)] = { "consent", "record a consent", "a consent", "recorded", "give a note" },
		[A(FLAG_VENDOR)] = { "flag-vendor", "flag a vendor incident", "a vendor incident", "flagged",
				     "say what the vendor did" },
		[A(REVIEW_VENDOR)] = { "review-vendor", "review a vendor incident", "a vendor incident", "reviewed",
				       "give the review's improvement note" },
		[A(UNLINK)] = { "unlink", "unlink a duplicate", "it", "unlinked", "give a note" },
		[A(VISIT)] = { "visit", "book a visit", "a visit", "booked", "give a note" },
	};
	static const struct ticket_wording unknown = { "unknown action", "do that", "it", "done", "give a note" };

	if ((unsigned)a < sizeof w / sizeof w[0] && w[a].name)
		return &w[a];
	return &unknown;
}

const char *ticket_action_name(Dispatch__Action a)
{
	return ticket_wording(a)->name;
}

const char *ticket_kind_name(Dispatch__Kind k)
{
	switch (k) {
	case DISPATCH__KIND__KIND_REPAIR: return "repair";
	case DISPATCH__KIND__KIND_COMPLAINT: return "complaint";
	case DISPATCH__KIND__KIND_SPECIAL: return "special";
	case DISPATCH__KIND__KIND_SECURITY: return "security";
	case DISPATCH__KIND__KIND_CLEANING: return "cleaning";
	case DISPATCH__KIND__KIND_INQUIRY: return "inquiry";
	case DISPATCH__KIND__KIND_SUGGESTION: return "suggestion";
	default: return "unknown";
	}
}

const char *ticket_role_name(Dispatch__Role r)
{
	switch (r) {
	case DISPATCH__ROLE__ROLE_DESK: return "desk";
	case DISPATCH__ROLE__ROLE_CREW: return "crew";
	case DISPATCH__ROLE__ROLE_MONITOR: return "monitor";
	case DISPATCH__ROLE__ROLE_QC: return "quality control";
	case DISPATCH__ROLE__ROLE_SUPERVISOR: return "supervisor";
	case DISPATCH__ROLE__ROLE_ADMIN: return "admin";
	case DISPATCH__ROLE__ROLE_SYSTEM: return "system";
	case DISPATCH__ROLE__ROLE_RESIDENT: return "resident";
	default: return "unknown role";
	}
}

bool ticket_outsourced(const Dispatch__Ticket *t)
{
	return t->vendor && t->vendor[0] && t->crew && strcmp(t->vendor, t->crew) == 0;
}

static bool ticket_row_for(const struct ticket_transition *row, Dispatch__Kind kind)
{
	return row->kinds == 0 || ((unsigned)kind < 32 && (row->kinds & TICKET_KIND(kind)));
}

/* The states from which action a is possible for kind, for the error
 * message: "assigned", "resolved or closed", "assigned, accepted or on site". */
static void ticket_allowed_from(Dispatch__Action a, Dispatch__Kind kind, char *buf, size_t len)
{
	const char *names[16];
	size_t n = 0, used = 0;

	for (size_t i = 0; i < sizeof ticket_table / sizeof ticket_table[0]; i++) {
		const char *name = ticket_state_name(ticket_table[i].from);
		bool seen = false;
		if (ticket_table[i].action != a || !ticket_row_for(&ticket_table[i], kind))
			continue;
		for (size_t k = 0; k < n; k++)
			seen = seen || names[k] == name;
		if (!seen && n < sizeof names / sizeof names[0])
			names[n++] = name;
	}
	buf[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		int w = snprintf(buf + used, len - used, "%s%s", k == 0 ? "" : k + 1 == n ? " or " : ", ", names[k]);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

int ticket_rule(const Dispatch__Ticket *t, Dispatch__Action a, Dispatch__Role role, const char *actor, const char *note,
		const struct ticket_transition **out, char *msg, size_t msglen)
{
	const struct ticket_transition *tr = NULL;
	char states[128];

	for (size_t i = 0; i < sizeof ticket_table / sizeof ticket_table[0]; i++)
		if (ticket_table[i].from == t->state && ticket_table[i].action == a &&
		    ticket_row_for(&ticket_table[i], t->kind)) {
			tr = &ticket_table[i];
			break;
		}
	if (tr == NULL) {
		const struct ticket_wording *w = ticket_wording(a);
		bool it = strcmp(w->subject, "it") == 0;
		ticket_allowed_from(a, t->kind, states, sizeof states);
		if (states[0] == '\0')
			snprintf(msg, msglen, "ticket %llu is %s; no ticket can %s", (unsigned long long)t->id,
				 ticket_state_name(t->state), w->verb);
		else
			snprintf(msg, msglen, "ticket %llu is %s; %s can be %s only when %s is %s",
				 (unsigned long long)t->id, ticket_state_name(t->state), w->subject, w->done,
				 it ? "it" : "the ticket", states);
		return TICKET_CONFLICT;
	}
	if ((tr->roles & TICKET_ROLE(role)) == 0 &&
	    !(tr->proxy && (DESKS & TICKET_ROLE(role)) && ticket_outsourced(t))) {
		snprintf(msg, msglen, "the %s role may not %s", ticket_role_name(role), ticket_wording(a)->verb);
		return TICKET_FORBIDDEN;
	}
	if (tr->assignee_only && role == DISPATCH__ROLE__ROLE_CREW &&
	    (t->member == NULL || actor == NULL || strcmp(t->member, actor) != 0)) {
		snprintf(msg, msglen, "ticket %llu is assigned to %s, not to %s", (unsigned long long)t->id,
			 t->member && t->member[0] ? t->member : "nobody", actor ? actor : "(unknown)");
		return TICKET_FORBIDDEN;
	}
	if (tr->needs_note && (note == NULL || note[0] == '\0')) {
		snprintf(msg, msglen, "to %s, %s", ticket_wording(a)->verb, ticket_wording(a)->note);
		return TICKET_INVALID;
	}
	*out = tr;
	return 0;
}

int ticket_guard(const Dispatch__Ticket *t, const Dispatch__Transition *tr, const char **field, char *msg,
		 size_t msglen)
{
	*field = NULL;
	for (size_t i = 0; i < sizeof ticket_table / sizeof ticket_table[0]; i++)
		if (ticket_table[i].action == tr->action)
			return ticket_table[i].guard ? ticket_table[i].guard(t, tr, field, msg, msglen) : 0;
	return 0;
}

int64_t ticket_due_ms(const Dispatch__Ticket *t, Dispatch__Deadline *which)
{
	return due_next_ms(t, which);
}

int ticket_record(store_t *s, MDB_txn *txn, Dispatch__Ticket *t, Dispatch__State to, Dispatch__Event *ev,
		  int64_t now_ms, const void **stored, size_t *stored_len)
{
	int rc;

	ev->ticket_id = t->id;
	ev->from_state = t->state;
	ev->to_state = to;
	ev->time_ms = now_ms;
	t->state = to;
	t->updated_ms = now_ms;
	t->due_ms = due_next_ms(t, NULL); /* store_put_ticket() moves its deadlines index entry */
	ev->crew = t->crew;
	if (ev->member == NULL || ev->member[0] == '\0')
		ev->member = t->member; /* unless addressed elsewhere (an escalation) */
	ev->ticket = t;
	/* it stamps t->last_seq with the event's seq */
	if ((rc = store_append_event(s, txn, ev, stored, stored_len)) != 0)
		return rc;
	return store_put_ticket_snapshot(s, txn, t);
}

Dispatch__State ticket_target(const struct ticket_transition *row, const Dispatch__Ticket *t)
{
	if (row->to == TICKET_HELD_FROM)
		return t->held_from;
	return row->to == TICKET_STAY ? t->state : row->to;
}

void ticket_apply(const struct ticket_transition *row, Dispatch__Ticket *t, const Dispatch__Transition *tr,
		  const struct ticket_act *x)
{
	if (tr->cause[0])
		ticket_set_string(&t->cause, tr->cause);
	if (tr->corrective_action[0])
		ticket_set_string(&t->corrective_action, tr->corrective_action);
	if (row->effect)
		row->effect(t, tr, x);
}
