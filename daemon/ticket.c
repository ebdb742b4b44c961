/*
 * ticket: transition table and recording (see ticket.h). Later workflows
 * (hold, follow-up, inspection, reopen) add rows here, not branches
 * elsewhere.
 */
#include "ticket.h"

#include <stdio.h>
#include <string.h>

#define S(x) DISPATCH__STATE__STATE_##x
#define A(x) DISPATCH__ACTION__ACTION_##x
#define E(x) DISPATCH__EVENT_TYPE__EVENT_##x
#define R(x) TICKET_ROLE(DISPATCH__ROLE__ROLE_##x)

#define DESKS (R(DESK) | R(SUPERVISOR))
#define HOLDERS (R(CREW) | R(DESK) | R(SUPERVISOR))
#define STAY S(UNSPECIFIED) /* the handler decides: same state, held-from state, or dispatch */

/* Every allowed (state, action); anything else is refused with CONFLICT.
 * "assignee": a crew actor must be the assigned member. "note": a reason
 * or remark is required. Guards that depend on more than the state (a
 * complaint's cause before closing, a follow-up before closing, consent
 * only for a consent hold) are in ticket_guard(). */
static const struct ticket_transition ticket_table[] = {
	/* from         action              to            event                 who                     assignee note   kinds            proxy */
	{ S(ASSIGNED),  A(ACCEPT),          S(ACCEPTED),  E(ACCEPTED),          R(CREW),                true,  false,  0,               true },
	{ S(ACCEPTED),  A(ARRIVE),          S(ON_SITE),   E(ON_SITE),           R(CREW),                true,  false,  0,               true },
	/* which kinds need a visit: these are resolved by phone or in the office */
	{ S(ASSIGNED),  A(RESOLVE),         S(RESOLVED),  E(RESOLVED),          R(CREW) | DESKS,        true,  false,  TICKET_NO_VISIT, true },
	{ S(ACCEPTED),  A(RESOLVE),         S(RESOLVED),  E(RESOLVED),          R(CREW) | DESKS,        true,  false,  TICKET_NO_VISIT, true },
	{ S(ON_SITE),   A(RESOLVE),         S(RESOLVED),  E(RESOLVED),          R(CREW) | DESKS,        true,  false,  0,               true },
	{ S(RESOLVED),  A(CLOSE),           S(CLOSED),    E(CLOSED),            DESKS,                  false, false,  0,               false },
	{ S(NEW),       A(CANCEL),          S(CANCELLED), E(CANCELLED),         DESKS,                  false, true,  0,               false },
	{ S(ASSIGNED),  A(CANCEL),          S(CANCELLED), E(CANCELLED),         DESKS,                  false, true,  0,               false },
	{ S(ACCEPTED),  A(CANCEL),          S(CANCELLED), E(CANCELLED),         DESKS,                  false, true,  0,               false },
	{ S(ON_SITE),   A(CANCEL),          S(CANCELLED), E(CANCELLED),         DESKS,                  false, true,  0,               false },
	{ S(ON_HOLD),   A(CANCEL),          S(CANCELLED), E(CANCELLED),         DESKS,                  false, true,  0,               false },
	/* (re)assignment by a person: out of the crew queue, or to someone
	 * else (then with a reason: ticket_guard) */
	{ S(NEW),       A(ASSIGN),          S(ASSIGNED),  E(ASSIGNED),          DESKS,                  false, false,  0,               false },
	{ S(ASSIGNED),  A(ASSIGN),          S(ASSIGNED),  E(ASSIGNED),          DESKS,                  false, false,  0,               false },
	{ S(ACCEPTED),  A(ASSIGN),          S(ASSIGNED),  E(ASSIGNED),          DESKS,                  false, false,  0,               false },
	{ S(ON_SITE),   A(ASSIGN),          S(ASSIGNED),  E(ASSIGNED),          DESKS,                  false, false,  0,               false },
	/* hold: deadlines pause; resume returns to the held-from state */
	{ S(ASSIGNED),  A(HOLD),            S(ON_HOLD),   E(ON_HOLD),           HOLDERS,                true,  false,  0,               false },
	{ S(ACCEPTED),  A(HOLD),            S(ON_HOLD),   E(ON_HOLD),           HOLDERS,                true,  false,  0,               false },
	{ S(ON_SITE),   A(HOLD),            S(ON_HOLD),   E(ON_HOLD),           HOLDERS,                true,  false,  0,               false },
	{ S(ON_HOLD),   A(RESUME),          STAY,         E(RESUMED),           HOLDERS,                true,  false,  0,               false },
	/* a paid special service starts once the resident consents to the fee */
	{ S(ON_HOLD),   A(CONSENT),         STAY,         E(CONSENTED),         DESKS,                  false, false,  0,               false },
	/* after the work: the call back, and quality control's inspection;
	 * an unsatisfied resident or a failed inspection reopens it */
	{ S(RESOLVED),  A(FOLLOW_UP),       STAY,         E(FOLLOWED_UP),       DESKS,                  false, false,  0,               false },
	{ S(CLOSED),    A(FOLLOW_UP),       STAY,         E(FOLLOWED_UP),       DESKS,                  false, false,  0,               false },
	{ S(RESOLVED),  A(INSPECT),         STAY,         E(INSPECTED),         R(QC),                  false, false,  0,               false },
	{ S(CLOSED),    A(INSPECT),         STAY,         E(INSPECTED),         R(QC),                  false, false,  0,               false },
	/* vendor incidents (clause 4.5): flagged, then reviewed */
	{ S(ASSIGNED),  A(FLAG_VENDOR),     STAY,         E(VENDOR_FLAGGED),    DESKS | R(QC),          false, true,  0,               false },
	{ S(ACCEPTED),  A(FLAG_VENDOR),     STAY,         E(VENDOR_FLAGGED),    DESKS | R(QC),          false, true,  0,               false },
	{ S(ON_SITE),   A(FLAG_VENDOR),     STAY,         E(VENDOR_FLAGGED),    DESKS | R(QC),          false, true,  0,               false },
	{ S(ON_HOLD),   A(FLAG_VENDOR),     STAY,         E(VENDOR_FLAGGED),    DESKS | R(QC),          false, true,  0,               false },
	{ S(RESOLVED),  A(FLAG_VENDOR),     STAY,         E(VENDOR_FLAGGED),    DESKS | R(QC),          false, true,  0,               false },
	{ S(CLOSED),    A(FLAG_VENDOR),     STAY,         E(VENDOR_FLAGGED),    DESKS | R(QC),          false, true,  0,               false },
	{ S(CANCELLED), A(FLAG_VENDOR),     STAY,         E(VENDOR_FLAGGED),    DESKS | R(QC),          false, true,  0,               false },
	{ S(ASSIGNED),  A(REVIEW_VENDOR),   STAY,         E(VENDOR_REVIEWED),   R(SUPERVISOR) | R(QC),  false, true,  0,               false },
	{ S(ACCEPTED),  A(REVIEW_VENDOR),   STAY,         E(VENDOR_REVIEWED),   R(SUPERVISOR) | R(QC),  false, true,  0,               false },
	{ S(ON_SITE),   A(REVIEW_VENDOR),   STAY,         E(VENDOR_REVIEWED),   R(SUPERVISOR) | R(QC),  false, true,  0,               false },
	{ S(ON_HOLD),   A(REVIEW_VENDOR),   STAY,         E(VENDOR_REVIEWED),   R(SUPERVISOR) | R(QC),  false, true,  0,               false },
	{ S(RESOLVED),  A(REVIEW_VENDOR),   STAY,         E(VENDOR_REVIEWED),   R(SUPERVISOR) | R(QC),  false, true,  0,               false },
	{ S(CLOSED),    A(REVIEW_VENDOR),   STAY,         E(VENDOR_REVIEWED),   R(SUPERVISOR) | R(QC),  false, true,  0,               false },
	{ S(CANCELLED), A(REVIEW_VENDOR),   STAY,         E(VENDOR_REVIEWED),   R(SUPERVISOR) | R(QC),  false, true,  0,               false },
	/* a duplicate that is another problem after all: dispatched on its own */
	{ S(NEW),       A(UNLINK),          STAY,         E(UNLINKED),          DESKS,                  false, false,  0,               false },
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
	const char *name;     /* "accept" */
	const char *verb;     /* "accept a ticket": "the crew role may not accept a ticket" */
	const char *subject;  /* "it" or "a follow-up" */
	const char *done;     /* "accepted", "recorded" */
	const char *note;     /* "give the reason" */
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

int ticket_rule(const Dispatch__Ticket *t, Dispatch__Action a, Dispatch__Role role, const char *actor,
		const char *note, const struct ticket_transition **out, char *msg, size_t msglen)
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
			snprintf(msg, msglen, "ticket %llu is %s; %s can be %s only when %s is %s", (unsigned long long)t->id,
				 ticket_state_name(t->state), w->subject, w->done, it ? "it" : "the ticket", states);
		return TICKET_CONFLICT;
	}
	if ((tr->roles & TICKET_ROLE(role)) == 0 && !(tr->proxy && (DESKS & TICKET_ROLE(role)) && ticket_outsourced(t))) {
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
	unsigned long long id = (unsigned long long)t->id;
	bool complaint = t->kind == DISPATCH__KIND__KIND_COMPLAINT;

	*field = NULL;
	switch (tr->action) {
	case A(CLOSE):
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
			snprintf(msg, msglen, "complaint %llu cannot close without its cause and the corrective action taken", id);
			return TICKET_INVALID;
		}
		return 0;
	case A(ASSIGN):
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
	case A(HOLD):
		if (tr->hold_reason < DISPATCH__HOLD_REASON__HOLD_PARTS || tr->hold_reason > DISPATCH__HOLD_REASON__HOLD_OTHER ||
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
	case A(RESUME):
		if (t->hold_reason == DISPATCH__HOLD_REASON__HOLD_CONSENT) {
			snprintf(msg, msglen, "ticket %llu waits for the resident's consent to the fee; record it with consent, "
					      "or cancel the ticket if the resident declines", id);
			return TICKET_CONFLICT;
		}
		return 0;
	case A(CONSENT):
		if (t->hold_reason != DISPATCH__HOLD_REASON__HOLD_CONSENT) {
			snprintf(msg, msglen, "ticket %llu is not waiting for a consent", id);
			return TICKET_CONFLICT;
		}
		return 0;
	case A(FOLLOW_UP):
		if (tr->satisfaction < 1 || tr->satisfaction > 5) {
			*field = "transition.satisfaction";
			snprintf(msg, msglen, "a follow-up records the resident's satisfaction from 1 (very unhappy) to 5 "
					      "(very satisfied)");
			return TICKET_INVALID;
		}
		return 0;
	case A(INSPECT):
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
	case A(FLAG_VENDOR):
		if (t->vendor[0] == '\0') {
			snprintf(msg, msglen, "ticket %llu was not handled by an outsourced crew", id);
			return TICKET_CONFLICT;
		}
		return 0;
	case A(UNLINK):
		if (t->link != DISPATCH__LINK_KIND__LINK_DUPLICATE || t->linked_to == 0) {
			snprintf(msg, msglen, "ticket %llu is not linked to another ticket as a duplicate", id);
			return TICKET_CONFLICT;
		}
		return 0;
	case A(REVIEW_VENDOR):
		if (t->vendor_incident[0] == '\0') {
			snprintf(msg, msglen, "ticket %llu has no vendor incident to review; flag it first", id);
			return TICKET_CONFLICT;
		}
		return 0;
	case A(RESOLVE):
		if (t->fee_cents > 0 && tr->charged_cents <= 0 && tr->note[0] == '\0') {
			*field = "transition.charged_cents";
			snprintf(msg, msglen, "ticket %llu is a paid service: record the amount charged (or say in the note why "
					      "nothing was charged)", id);
			return TICKET_INVALID;
		}
		if (tr->charged_cents < 0 || tr->charged_cents > 100000000) {
			*field = "transition.charged_cents";
			snprintf(msg, msglen, "the amount charged is out of range");
			return TICKET_INVALID;
		}
		return 0;
	default:
		return 0;
	}
}

int64_t ticket_due_ms(const Dispatch__Ticket *t, Dispatch__Deadline *which) { return due_next_ms(t, which); }

int ticket_record(store_t *s, MDB_txn *txn, Dispatch__Ticket *t, Dispatch__State to,
		  Dispatch__Event *ev, int64_t now_ms, const void **stored, size_t *stored_len)
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
	return store_put_ticket(s, txn, t);
}
