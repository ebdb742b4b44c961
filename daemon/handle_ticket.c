/*
 * handle_ticket: the transitions of one ticket (accept, arrive, hold,
 * resolve, follow-up, inspect, consent, assign, close, cancel, unlink,
 * vendor flags). The check loads the ticket and asks the transition
 * table (ticket.c) whether the action is allowed; the apply records it
 * and follows it where it leads (duplicates closed or released, a reopen,
 * a consent's dispatch). handle_reopen is shared with deadline.c.
 */
#include "handle.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle_impl.h"
#include "route.h"
#include "ticket.h"

/* ---- transitions --------------------------------------------------------- */

/* Close or cancel the duplicates of t together with it. */
static int handle_close_duplicates(struct handle_ctx *c, Dispatch__Ticket *t, Dispatch__State to)
{
	char note[128];

	snprintf(note, sizeof note, "%s together with ticket %llu",
		 to == DISPATCH__STATE__STATE_CLOSED ? "closed" : "cancelled", (unsigned long long)t->id);
	for (size_t i = 0; i < t->n_links; i++) {
		Dispatch__Ticket *d = NULL;
		Dispatch__Event ev;
		int rc = store_get_ticket(c->store, c->txn, t->links[i], &d);
		if (rc == STORE_NOTFOUND)
			continue;
		if (rc != 0)
			return handle_store_fail(c, rc);
		arena_defer(c->a, handle_free_ticket, d);
		if (d->link != DISPATCH__LINK_KIND__LINK_DUPLICATE || d->state == DISPATCH__STATE__STATE_CLOSED ||
		    d->state == DISPATCH__STATE__STATE_CANCELLED)
			continue;
		handle_system_event(&ev, to == DISPATCH__STATE__STATE_CLOSED ? DISPATCH__EVENT_TYPE__EVENT_CLOSED
									     : DISPATCH__EVENT_TYPE__EVENT_CANCELLED);
		ev.note = arena_strdup(c->a, note);
		if (handle_record(c, d, to, &ev, NULL, NULL) != 0)
			return -1;
	}
	return 0;
}

int handle_reopen(struct handle_ctx *c, Dispatch__Ticket *t, const char *why)
{
	const struct config_rule *rule = handle_rule_of(c->cfg, t);
	const struct config_crew *crew = config_crew(c->cfg, t->crew);
	struct route_assignment a;
	Dispatch__Event ev;
	int rc;

	t->reopen_count++;
	/* A new round of work: a new follow-up, fresh deadlines and chain. */
	t->followed_up_ms = 0;
	t->follow_up_by_ms = 0;
	t->missed = 0;
	t->escalation_step = 0;
	for (size_t i = 0; i < t->n_passed_over; i++)
		free(t->passed_over[i]);
	t->n_passed_over = 0;
	handle_set_string(&t->member, "");
	handle_system_event(&ev, DISPATCH__EVENT_TYPE__EVENT_REOPENED);
	ev.note = arena_strdup(c->a, why);
	if (handle_record(c, t, DISPATCH__STATE__STATE_NEW, &ev, NULL, NULL) != 0)
		return -1;
	if (rule == NULL || crew == NULL) {
		/* its rule or crew is gone from the configuration: route afresh */
		struct route_result res;
		if ((rc = route_ticket(c->cfg, c->store, c->txn, c->roster, &c->rt, t, true, &res)) != 0)
			return handle_store_fail(c, rc);
		return handle_assign(c, t, &res.a[0]);
	}
	if ((rc = route_member(c->cfg, c->store, c->txn, c->roster, &c->rt, t, rule, crew, true, &a)) != 0)
		return handle_store_fail(c, rc);
	return handle_assign(c, t, &a);
}

/* A consent: the paid service is dispatched now. */
static int handle_consented(struct handle_ctx *c, Dispatch__Ticket *t)
{
	struct route_result res;
	int rc;

	if ((rc = route_ticket(c->cfg, c->store, c->txn, c->roster, &c->rt, t, true, &res)) != 0)
		return handle_store_fail(c, rc);
	return handle_assign(c, t, &res.a[0]);
}

/* What a transition's check found, for its apply. */
struct handle_transition_state {
	Dispatch__Ticket *t;                 /* the ticket, heap-owned (arena) */
	const struct ticket_transition *row; /* its row of the transition table */
	const struct config_member *m;       /* assign: the member ... */
	const struct config_crew *mcrew;     /* ... and that member's crew */
};

int handle_transition_check(struct handle_ctx *c)
{
	const Dispatch__Transition *tr = c->req->transition;
	struct handle_transition_state *st = arena_alloc(c->a, sizeof *st);
	const struct ticket_transition *row;
	const struct config_member *m = NULL;
	const struct config_crew *mcrew = NULL;
	const char *field = NULL;
	Dispatch__Ticket *t = NULL;
	char msg[256];
	int rc;

	if (tr->ticket_id == 0)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.ticket_id",
				   "a ticket id is required");
	if ((tr->action != DISPATCH__ACTION__ACTION_VISIT &&
	     handle_check_enum(
		     c, "transition.action", tr->action, DISPATCH__ACTION__ACTION_ACCEPT,
		     DISPATCH__ACTION__ACTION_UNLINK,
		     "accept, arrive, resolve, close, cancel, assign, hold, resume, follow-up, inspect, consent, "
		     "flag-vendor, review-vendor, unlink or visit")) ||
	    handle_check_enum(c, "transition.hold_reason", tr->hold_reason, 0, DISPATCH__HOLD_REASON__HOLD_OTHER,
			      "parts, resident-away, no-access or other") ||
	    handle_check_enum(c, "transition.inspection", tr->inspection, 0,
			      DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL, "pass or fail") ||
	    handle_check_text(c, "transition.note", tr->note, 0, 2000) ||
	    handle_check_text(c, "transition.cause", tr->cause, 0, 2000) ||
	    handle_check_text(c, "transition.corrective_action", tr->corrective_action, 0, 2000) ||
	    handle_check_text(c, "transition.parts_used", tr->parts_used, 0, 500) ||
	    handle_check_id(c, "transition.member", tr->member, 0, 32))
		return -1;
	if (tr->action == DISPATCH__ACTION__ACTION_ASSIGN) {
		if (tr->member[0] == '\0')
			return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.member",
					   "assign needs the member to assign the ticket to");
		if ((m = config_member(c->cfg, tr->member, &mcrew)) == NULL)
			return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "transition.member",
					   "no such member %s in %s", tr->member, c->cfg->estate);
	}
	if (handle_check_costs(c, tr) != 0) /* issue 19: only at a resolve, and sane */
		return -1;
	/* issue 19: a visit window, booked, or proposed with a resident-away hold */
	if (tr->action == DISPATCH__ACTION__ACTION_VISIT && tr->visit_from_ms == 0 && tr->visit_to_ms == 0)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.visit_from_ms",
				   "visit needs the window: FROM and TO");
	if ((tr->visit_from_ms || tr->visit_to_ms) && tr->action != DISPATCH__ACTION__ACTION_VISIT &&
	    !(tr->action == DISPATCH__ACTION__ACTION_HOLD &&
	      tr->hold_reason == DISPATCH__HOLD_REASON__HOLD_RESIDENT_AWAY))
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.visit_from_ms",
				   "a visit window goes with visit, or with a hold for a resident who was away");
	if (handle_check_visit(c, "transition.visit_from_ms", tr->visit_from_ms, tr->visit_to_ms) != 0)
		return -1;
	if (handle_load(c, tr->ticket_id, "transition.ticket_id", &t) != 0)
		return -1;

	rc = ticket_rule(t, tr->action, c->role, c->actor, tr->note, &row, msg, sizeof msg);
	if (rc == 0 && row->guard)
		rc = row->guard(t, tr, &field, msg, sizeof msg);
	switch (rc) {
	case 0: break;
	case TICKET_CONFLICT: return handle_fail(c, DISPATCH__STATUS__STATUS_CONFLICT, NULL, "%s", msg);
	case TICKET_FORBIDDEN: return handle_fail(c, DISPATCH__STATUS__STATUS_FORBIDDEN, NULL, "%s", msg);
	default: return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field ? field : "transition.note", "%s", msg);
	}
	st->t = t;
	st->row = row;
	st->m = m;
	st->mcrew = mcrew;
	c->state = st;
	return 0;
}

int handle_transition_apply(struct handle_ctx *c)
{
	const Dispatch__Transition *tr = c->req->transition;
	const struct handle_transition_state *st = c->state;
	const struct ticket_transition *row = st->row;
	const struct config_member *m = st->m;
	const struct config_crew *mcrew = st->mcrew;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	Dispatch__Ticket *t = st->t;
	Dispatch__State to;
	char msg[256], previous[80], was_crew[80];
	bool reopen = false;
	uint64_t unlinked_from;

	snprintf(previous, sizeof previous, "%s", t->member);
	snprintf(was_crew, sizeof was_crew, "%s", t->crew);
	unlinked_from = t->linked_to;
	to = ticket_target(row, t);
	{
		const struct config_rule *rule = handle_rule_of(c->cfg, t);
		struct ticket_act x = {
			.now = c->now,
			.actor = c->actor,
			.follow_up_ms = rule && rule->deadlines ? rule->deadlines->follow_up_ms : 0,
			.calendar = config_calendar(c->cfg, t->calendar[0] ? t->calendar : NULL),
		};
		ticket_apply(row, t, tr, &x);
	}
	if (tr->action == DISPATCH__ACTION__ACTION_RESOLVE)
		handle_apply_costs(c, t, tr); /* issue 19 */
	if (tr->action == DISPATCH__ACTION__ACTION_ASSIGN) {
		const struct config_rule *rule = handle_rule_of(c->cfg, t);
		handle_set_string(&t->crew, mcrew->id);
		handle_set_string(&t->member, m->id);
		handle_set_string(&t->escalated_to, "");
		if (mcrew->outsourced)
			handle_set_string(&t->vendor, mcrew->id);
		/* the new member gets the acknowledge time afresh */
		t->acknowledge_by_ms =
			handle_due_after(rule, c->now, rule && rule->deadlines ? rule->deadlines->acknowledge_ms : 0);
	}
	ev.type = row->event;
	ev.actor = (char *)c->actor;
	ev.actor_role = c->role;
	ev.note = tr->note;
	/* An outside provider has no handheld: the desk records its steps, and
	 * the record says for whom. */
	if (row->proxy && c->role != DISPATCH__ROLE__ROLE_CREW && ticket_outsourced(t) && t->member[0])
		ev.on_behalf_of = arena_strdup(c->a, t->member);
	if (tr->action == DISPATCH__ACTION__ACTION_ASSIGN) {
		snprintf(msg, sizeof msg, "assigned by %s%s%s", c->actor, previous[0] ? "; was " : "", previous);
		ev.reason = arena_strdup(c->a, msg);
	}
	/* the member who loses it by an assignment hears of it too */
	if (handle_record(c, t, to, &ev, was_crew,
			  tr->action == DISPATCH__ACTION__ACTION_ASSIGN && previous[0] && strcmp(previous, m->id) != 0
				  ? previous
				  : NULL) != 0)
		return -1;
	/* Closing closes the duplicates with it (the problem is fixed);
	 * cancelling does not void them: the oldest is dispatched instead. */
	if (to == DISPATCH__STATE__STATE_CLOSED && handle_close_duplicates(c, t, to) != 0)
		return -1;
	if (to == DISPATCH__STATE__STATE_CANCELLED && handle_release_duplicates(c, t, NULL, "cancelled") != 0)
		return -1;

	switch (tr->action) {
	case DISPATCH__ACTION__ACTION_CONSENT:
		if (handle_consented(c, t) != 0)
			return -1;
		break;
	case DISPATCH__ACTION__ACTION_UNLINK:
		if (handle_dispatch(c, t) != 0)
			return -1;
		break;
	case DISPATCH__ACTION__ACTION_FOLLOW_UP:
		if (tr->satisfaction <= c->cfg->follow_up_threshold) {
			snprintf(msg, sizeof msg, "the resident is not satisfied (score %u of 5): %s", tr->satisfaction,
				 tr->note[0] ? tr->note : "no remark");
			reopen = true;
		}
		break;
	case DISPATCH__ACTION__ACTION_INSPECT:
		if (tr->inspection == DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL) {
			snprintf(msg, sizeof msg, "quality inspection failed: %s", tr->note);
			reopen = true;
		}
		break;
	default: break;
	}
	if (reopen && handle_reopen(c, t, msg) != 0)
		return -1;
	c->rep->ticket = t;
	if (tr->action == DISPATCH__ACTION__ACTION_ASSIGN)
		return handle_ok(c, "ticket %llu is now assigned to %s (%s) of %s", (unsigned long long)t->id, m->id,
				 m->name, mcrew->id);
	if (reopen)
		return handle_ok(c, "ticket %llu is reopened (%u time%s) and %s%s", (unsigned long long)t->id,
				 t->reopen_count, t->reopen_count == 1 ? "" : "s",
				 t->member[0] ? "assigned to " : "queued for ", t->member[0] ? t->member : t->crew);
	if (tr->action == DISPATCH__ACTION__ACTION_UNLINK)
		return handle_ok(c, "ticket %llu is unlinked from ticket %llu and %s%s", (unsigned long long)t->id,
				 (unsigned long long)unlinked_from, t->member[0] ? "assigned to " : "queued for ",
				 t->member[0] ? t->member : t->crew);
	if (tr->action == DISPATCH__ACTION__ACTION_CONSENT)
		return handle_ok(c, "consent recorded; ticket %llu is %s%s", (unsigned long long)t->id,
				 t->member[0] ? "assigned to " : "queued for ", t->member[0] ? t->member : t->crew);
	if (ev.on_behalf_of[0])
		return handle_ok(c, "ticket %llu is now %s (recorded by %s for %s of %s)", (unsigned long long)t->id,
				 ticket_state_name(t->state), c->actor, ev.on_behalf_of, t->crew);
	return handle_ok(c, "ticket %llu is now %s", (unsigned long long)t->id, ticket_state_name(t->state));
}
