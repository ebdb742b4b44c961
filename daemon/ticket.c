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

static const struct ticket_transition ticket_table[] = {
	/* from        action      to            event       who                   assignee note */
	{ S(ASSIGNED), A(ACCEPT),  S(ACCEPTED),  E(ACCEPTED),  R(CREW),              true,  false },
	{ S(ACCEPTED), A(ARRIVE),  S(ON_SITE),   E(ON_SITE),   R(CREW),              true,  false },
	{ S(ON_SITE),  A(RESOLVE), S(RESOLVED),  E(RESOLVED),  R(CREW),              true,  false },
	{ S(RESOLVED), A(CLOSE),   S(CLOSED),    E(CLOSED),    R(DESK) | R(SUPERVISOR), false, false },
	{ S(NEW),      A(CANCEL),  S(CANCELLED), E(CANCELLED), R(DESK) | R(SUPERVISOR), false, true },
	{ S(ASSIGNED), A(CANCEL),  S(CANCELLED), E(CANCELLED), R(DESK) | R(SUPERVISOR), false, true },
	{ S(ACCEPTED), A(CANCEL),  S(CANCELLED), E(CANCELLED), R(DESK) | R(SUPERVISOR), false, true },
	{ S(ON_SITE),  A(CANCEL),  S(CANCELLED), E(CANCELLED), R(DESK) | R(SUPERVISOR), false, true },
	/* (re)assignment by a person: out of the crew queue, or to someone else */
	{ S(NEW),      A(ASSIGN),  S(ASSIGNED),  E(ASSIGNED),  R(DESK) | R(SUPERVISOR), false, false },
	{ S(ASSIGNED), A(ASSIGN),  S(ASSIGNED),  E(ASSIGNED),  R(DESK) | R(SUPERVISOR), false, false },
	{ S(ACCEPTED), A(ASSIGN),  S(ASSIGNED),  E(ASSIGNED),  R(DESK) | R(SUPERVISOR), false, false },
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
	default: return "unknown";
	}
}

const char *ticket_action_name(Dispatch__Action a)
{
	switch (a) {
	case A(ACCEPT): return "accept";
	case A(ARRIVE): return "arrive";
	case A(RESOLVE): return "resolve";
	case A(CLOSE): return "close";
	case A(CANCEL): return "cancel";
	case A(ASSIGN): return "assign";
	default: return "unknown action";
	}
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

/* The states from which action a is possible, for the error message. */
static void ticket_allowed_from(Dispatch__Action a, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof ticket_table / sizeof ticket_table[0]; i++) {
		if (ticket_table[i].action != a)
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
				 ticket_state_name(ticket_table[i].from));
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

int ticket_rule(const Dispatch__Ticket *t, Dispatch__Action a, Dispatch__Role role, const char *actor,
		const char *note, const struct ticket_transition **out, char *msg, size_t msglen)
{
	const struct ticket_transition *tr = NULL;
	char states[128];

	for (size_t i = 0; i < sizeof ticket_table / sizeof ticket_table[0]; i++)
		if (ticket_table[i].from == t->state && ticket_table[i].action == a) {
			tr = &ticket_table[i];
			break;
		}
	if (tr == NULL) {
		ticket_allowed_from(a, states, sizeof states);
		snprintf(msg, msglen, "ticket %llu is %s; %s is possible only when it is %s",
			 (unsigned long long)t->id, ticket_state_name(t->state), ticket_action_name(a),
			 states[0] ? states : "(never)");
		return TICKET_CONFLICT;
	}
	if ((tr->roles & TICKET_ROLE(role)) == 0) {
		snprintf(msg, msglen, "the %s role may not %s a ticket", ticket_role_name(role), ticket_action_name(a));
		return TICKET_FORBIDDEN;
	}
	if (tr->assignee_only && role == DISPATCH__ROLE__ROLE_CREW &&
	    (t->member == NULL || actor == NULL || strcmp(t->member, actor) != 0)) {
		snprintf(msg, msglen, "ticket %llu is assigned to %s, not to %s", (unsigned long long)t->id,
			 t->member && t->member[0] ? t->member : "nobody", actor ? actor : "(unknown)");
		return TICKET_FORBIDDEN;
	}
	if (tr->needs_note && (note == NULL || note[0] == '\0')) {
		snprintf(msg, msglen, "to %s a ticket, give a reason", ticket_action_name(a));
		return TICKET_INVALID;
	}
	*out = tr;
	return 0;
}

int ticket_record(store_t *s, MDB_txn *txn, Dispatch__Ticket *t, Dispatch__State to,
		  Dispatch__Event *ev, int64_t now_ms)
{
	uint64_t last;
	int rc;

	if ((rc = store_last_seq(s, txn, &last)) != 0)
		return rc;
	ev->ticket_id = t->id;
	ev->from_state = t->state;
	ev->to_state = to;
	ev->time_ms = now_ms;
	t->state = to;
	t->updated_ms = now_ms;
	t->last_seq = last + 1; /* the seq store_append_event() is about to assign */
	ev->crew = t->crew;
	if (ev->member == NULL || ev->member[0] == '\0')
		ev->member = t->member; /* unless addressed elsewhere (an escalation) */
	ev->ticket = t;
	if ((rc = store_append_event(s, txn, ev)) != 0)
		return rc;
	return store_put_ticket(s, txn, t);
}
