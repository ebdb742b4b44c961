/* Unit tests for the ticket transition table (daemon/ticket.c). */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pbcopy.h"
#include "ticket.h"

static Dispatch__Ticket make_ticket(Dispatch__State st, const char *member)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	t.id = 42;
	t.state = st;
	t.member = (char *)member;
	return t;
}

static int rule(Dispatch__State st, Dispatch__Action a, Dispatch__Role role, const char *actor, const char *note,
		Dispatch__State *to)
{
	Dispatch__Ticket t = make_ticket(st, "T07");
	const struct ticket_transition *tr = NULL;
	char msg[256];
	int rc = ticket_rule(&t, a, role, actor, note, &tr, msg, sizeof msg);
	if (rc == 0 && to)
		*to = tr->to;
	return rc;
}

START_TEST(main_path_by_the_assignee)
{
	Dispatch__State to;
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ASSIGNED, DISPATCH__ACTION__ACTION_ACCEPT,
			      DISPATCH__ROLE__ROLE_CREW, "T07", "", &to),
			 0);
	ck_assert_int_eq(to, DISPATCH__STATE__STATE_ACCEPTED);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ACCEPTED, DISPATCH__ACTION__ACTION_ARRIVE,
			      DISPATCH__ROLE__ROLE_CREW, "T07", "", &to),
			 0);
	ck_assert_int_eq(to, DISPATCH__STATE__STATE_ON_SITE);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ON_SITE, DISPATCH__ACTION__ACTION_RESOLVE,
			      DISPATCH__ROLE__ROLE_CREW, "T07", "fixed", &to),
			 0);
	ck_assert_int_eq(to, DISPATCH__STATE__STATE_RESOLVED);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_RESOLVED, DISPATCH__ACTION__ACTION_CLOSE,
			      DISPATCH__ROLE__ROLE_DESK, "desk", "", &to),
			 0);
	ck_assert_int_eq(to, DISPATCH__STATE__STATE_CLOSED);
}
END_TEST

START_TEST(skipping_a_step_is_a_conflict_with_a_message)
{
	Dispatch__Ticket t = make_ticket(DISPATCH__STATE__STATE_ASSIGNED, "T07");
	const struct ticket_transition *tr = NULL;
	char msg[256];

	ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_RESOLVE, DISPATCH__ROLE__ROLE_CREW, "T07", "", &tr,
				     msg, sizeof msg),
			 TICKET_CONFLICT);
	ck_assert_ptr_null(tr);
	ck_assert_str_eq(msg, "ticket 42 is assigned; it can be resolved only when it is on site");
}
END_TEST

/* Issue 21: every refusal the table generates reads as a sentence ("record
 * a follow-up for is possible only when it is resolved, closed" did not). */
START_TEST(refusals_read_as_sentences)
{
	static const char *const bad[] = { " for is ",      " of is ",      " on is ",      "(never)",
					   " for a ticket", " of a ticket", " on a ticket", "unknown" };
	char msg[256];

	for (int st = DISPATCH__STATE__STATE_NEW; st <= DISPATCH__STATE__STATE_ON_HOLD; st++)
		for (int a = DISPATCH__ACTION__ACTION_ACCEPT; a <= DISPATCH__ACTION__ACTION_UNLINK; a++)
			for (int role = DISPATCH__ROLE__ROLE_DESK; role <= DISPATCH__ROLE__ROLE_ADMIN; role++) {
				Dispatch__Ticket t = make_ticket((Dispatch__State)st, "T07");
				const struct ticket_transition *tr = NULL;
				int rc = ticket_rule(&t, (Dispatch__Action)a, (Dispatch__Role)role, "T07", "", &tr, msg,
						     sizeof msg);
				if (rc == 0)
					continue;
				for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
					ck_assert_msg(strstr(msg, bad[i]) == NULL, "state %d action %d role %d: \"%s\"",
						      st, a, role, msg);
				if (rc == TICKET_CONFLICT)
					ck_assert_msg(strstr(msg, " can be ") && strstr(msg, " only when "),
						      "state %d action %d: \"%s\"", st, a, msg);
				/* a list of states ends in "or", never in a bare comma */
				if (rc == TICKET_CONFLICT && strchr(strstr(msg, " only when "), ','))
					ck_assert_msg(strstr(strstr(msg, " only when "), " or "), "\"%s\"", msg);
			}
	{
		Dispatch__Ticket t = make_ticket(DISPATCH__STATE__STATE_ASSIGNED, "T07");
		const struct ticket_transition *tr = NULL;
		ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_FOLLOW_UP, DISPATCH__ROLE__ROLE_DESK, "desk",
					     "", &tr, msg, sizeof msg),
				 TICKET_CONFLICT);
		ck_assert_str_eq(msg, "ticket 42 is assigned; a follow-up can be recorded only when the ticket is "
				      "resolved or closed");
		t.state = DISPATCH__STATE__STATE_ASSIGNED;
		ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_CANCEL, DISPATCH__ROLE__ROLE_DESK, "desk", "",
					     &tr, msg, sizeof msg),
				 TICKET_INVALID);
		ck_assert_str_eq(msg, "to cancel a ticket, give the reason");
	}
}
END_TEST

/* Issue 21: the table says which kinds need a visit. A complaint or an
 * inquiry is usually handled by phone or in the office: resolved once
 * assigned or accepted, without "arrive"; a repair still needs it. */
START_TEST(kinds_handled_by_phone_resolve_without_a_visit)
{
	static const Dispatch__Kind by_phone[] = { DISPATCH__KIND__KIND_COMPLAINT, DISPATCH__KIND__KIND_INQUIRY };
	static const Dispatch__State before[] = { DISPATCH__STATE__STATE_ASSIGNED, DISPATCH__STATE__STATE_ACCEPTED };
	const struct ticket_transition *tr;
	char msg[256];

	for (size_t k = 0; k < sizeof by_phone / sizeof by_phone[0]; k++)
		for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) {
			Dispatch__Ticket t = make_ticket(before[i], "K02");
			t.kind = by_phone[k];
			tr = NULL;
			ck_assert_msg(ticket_rule(&t, DISPATCH__ACTION__ACTION_RESOLVE, DISPATCH__ROLE__ROLE_CREW,
						  "K02", "", &tr, msg, sizeof msg) == 0,
				      "kind %d from state %d: %s", by_phone[k], before[i], msg);
			ck_assert_int_eq(tr->to, DISPATCH__STATE__STATE_RESOLVED);
		}
	{
		Dispatch__Ticket t = make_ticket(DISPATCH__STATE__STATE_ACCEPTED, "T07");
		t.kind = DISPATCH__KIND__KIND_REPAIR;
		ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_RESOLVE, DISPATCH__ROLE__ROLE_CREW, "T07", "",
					     &tr, msg, sizeof msg),
				 TICKET_CONFLICT);
		ck_assert_str_eq(msg, "ticket 42 is accepted; it can be resolved only when it is on site");
		t.kind = DISPATCH__KIND__KIND_COMPLAINT;
		t.state = DISPATCH__STATE__STATE_NEW;
		ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_RESOLVE, DISPATCH__ROLE__ROLE_DESK, "desk",
					     "", &tr, msg, sizeof msg),
				 TICKET_CONFLICT);
		ck_assert_str_eq(msg,
				 "ticket 42 is new; it can be resolved only when it is assigned, accepted or on site");
	}
}
END_TEST

/* Issue 21: an outside provider (a van, the lift vendor's engineer) has
 * no handheld; the desk or a supervisor records its steps for it. */
START_TEST(desk_records_an_outsourced_providers_steps)
{
	Dispatch__Ticket t = make_ticket(DISPATCH__STATE__STATE_ASSIGNED, "V01");
	const struct ticket_transition *tr = NULL;
	char msg[256];

	t.kind = DISPATCH__KIND__KIND_REPAIR;
	t.crew = (char *)"lift-vendor";
	t.vendor = (char *)"lift-vendor";
	ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_ACCEPT, DISPATCH__ROLE__ROLE_DESK, "desk", "", &tr,
				     msg, sizeof msg),
			 0);
	t.state = DISPATCH__STATE__STATE_ACCEPTED;
	ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_ARRIVE, DISPATCH__ROLE__ROLE_SUPERVISOR, "T01", "",
				     &tr, msg, sizeof msg),
			 0);
	t.state = DISPATCH__STATE__STATE_ON_SITE;
	ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_RESOLVE, DISPATCH__ROLE__ROLE_DESK, "desk", "", &tr,
				     msg, sizeof msg),
			 0);
	/* the estate's own crews accept on their handhelds, as before */
	t.state = DISPATCH__STATE__STATE_ASSIGNED;
	t.crew = (char *)"technical";
	t.member = (char *)"T07";
	ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_ACCEPT, DISPATCH__ROLE__ROLE_DESK, "desk", "", &tr,
				     msg, sizeof msg),
			 TICKET_FORBIDDEN);
	/* and quality control never acts for a provider */
	t.crew = (char *)"lift-vendor";
	ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_ACCEPT, DISPATCH__ROLE__ROLE_QC, "qc", "", &tr, msg,
				     sizeof msg),
			 TICKET_FORBIDDEN);
}
END_TEST

START_TEST(another_member_may_not_act)
{
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ASSIGNED, DISPATCH__ACTION__ACTION_ACCEPT,
			      DISPATCH__ROLE__ROLE_CREW, "T08", "", NULL),
			 TICKET_FORBIDDEN);
}
END_TEST

START_TEST(crew_may_not_close_and_monitor_may_not_cancel)
{
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_RESOLVED, DISPATCH__ACTION__ACTION_CLOSE,
			      DISPATCH__ROLE__ROLE_CREW, "T07", "", NULL),
			 TICKET_FORBIDDEN);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ASSIGNED, DISPATCH__ACTION__ACTION_CANCEL,
			      DISPATCH__ROLE__ROLE_MONITOR, "mon", "dup", NULL),
			 TICKET_FORBIDDEN);
}
END_TEST

START_TEST(cancel_needs_a_reason_and_ends_anywhere_open)
{
	static const Dispatch__State open[] = { DISPATCH__STATE__STATE_NEW, DISPATCH__STATE__STATE_ASSIGNED,
						DISPATCH__STATE__STATE_ACCEPTED, DISPATCH__STATE__STATE_ON_SITE };
	Dispatch__State to;
	for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
		ck_assert_int_eq(
			rule(open[i], DISPATCH__ACTION__ACTION_CANCEL, DISPATCH__ROLE__ROLE_DESK, "desk", "", NULL),
			TICKET_INVALID);
		ck_assert_int_eq(rule(open[i], DISPATCH__ACTION__ACTION_CANCEL, DISPATCH__ROLE__ROLE_DESK, "desk",
				      "duplicate call", &to),
				 0);
		ck_assert_int_eq(to, DISPATCH__STATE__STATE_CANCELLED);
	}
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_CLOSED, DISPATCH__ACTION__ACTION_CANCEL, DISPATCH__ROLE__ROLE_DESK,
			      "desk", "late", NULL),
			 TICKET_CONFLICT);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_CANCELLED, DISPATCH__ACTION__ACTION_ACCEPT,
			      DISPATCH__ROLE__ROLE_CREW, "T07", "", NULL),
			 TICKET_CONFLICT);
}
END_TEST

START_TEST(unknown_action_is_a_conflict_not_a_crash)
{
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ASSIGNED, (Dispatch__Action)77, DISPATCH__ROLE__ROLE_DESK, "desk",
			      "", NULL),
			 TICKET_CONFLICT);
}
END_TEST

/* The whole table against this independent statement of the procedure:
 * every (state, action) allowed and who may do it. Anything not here must
 * be refused: CONFLICT when the state does not allow the action at all,
 * FORBIDDEN when it does but not for that role. */
static const struct {
	const char *state, *action, *roles;
} allowed[] = {
	{ "assigned", "accept", "crew" },
	{ "accepted", "arrive", "crew" },
	{ "on_site", "resolve", "crew desk supervisor" },
	{ "resolved", "close", "desk supervisor" },
	{ "new", "cancel", "desk supervisor" },
	{ "assigned", "cancel", "desk supervisor" },
	{ "accepted", "cancel", "desk supervisor" },
	{ "on_site", "cancel", "desk supervisor" },
	{ "on_hold", "cancel", "desk supervisor" },
	{ "new", "assign", "desk supervisor" },
	{ "assigned", "assign", "desk supervisor" },
	{ "accepted", "assign", "desk supervisor" },
	{ "on_site", "assign", "desk supervisor" },
	{ "assigned", "hold", "crew desk supervisor" },
	{ "accepted", "hold", "crew desk supervisor" },
	{ "on_site", "hold", "crew desk supervisor" },
	{ "on_hold", "resume", "crew desk supervisor" },
	{ "on_hold", "consent", "desk supervisor" },
	{ "resolved", "follow_up", "desk supervisor" },
	{ "closed", "follow_up", "desk supervisor" },
	{ "resolved", "inspect", "qc" },
	{ "closed", "inspect", "qc" },
	{ "assigned", "flag_vendor", "desk supervisor qc" },
	{ "accepted", "flag_vendor", "desk supervisor qc" },
	{ "on_site", "flag_vendor", "desk supervisor qc" },
	{ "on_hold", "flag_vendor", "desk supervisor qc" },
	{ "resolved", "flag_vendor", "desk supervisor qc" },
	{ "closed", "flag_vendor", "desk supervisor qc" },
	{ "cancelled", "flag_vendor", "desk supervisor qc" },
	{ "assigned", "review_vendor", "supervisor qc" },
	{ "accepted", "review_vendor", "supervisor qc" },
	{ "on_site", "review_vendor", "supervisor qc" },
	{ "on_hold", "review_vendor", "supervisor qc" },
	{ "resolved", "review_vendor", "supervisor qc" },
	{ "closed", "review_vendor", "supervisor qc" },
	{ "cancelled", "review_vendor", "supervisor qc" },
};

static const char *state_names[] = { "",         "new",    "assigned",  "accepted", "on_site",
				     "resolved", "closed", "cancelled", "on_hold" };
static const char *action_names[] = { "",        "accept",  "arrive",      "resolve",      "close",
				      "cancel",  "assign",  "hold",        "resume",       "follow_up",
				      "inspect", "consent", "flag_vendor", "review_vendor" };
static const char *role_names[] = { "", "desk", "crew", "monitor", "qc", "supervisor", "admin", "system" };

static bool word_in(const char *word, const char *list)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

START_TEST(every_transition_and_who_may_perform_it)
{
	unsigned allowed_seen = 0;

	for (int st = 1; st <= 8; st++)
		for (int a = 1; a <= 13; a++) {
			const char *roles = NULL;
			for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
				if (strcmp(allowed[i].state, state_names[st]) == 0 &&
				    strcmp(allowed[i].action, action_names[a]) == 0)
					roles = allowed[i].roles;
			for (int r = 1; r <= 7; r++) {
				/* the assignee acting, with a note: only the table decides */
				int rc = rule((Dispatch__State)st, (Dispatch__Action)a, (Dispatch__Role)r, "T07",
					      "a note", NULL);
				int want = roles == NULL                   ? TICKET_CONFLICT
					   : word_in(role_names[r], roles) ? 0
									   : TICKET_FORBIDDEN;
				ck_assert_msg(rc == want, "%s %s by %s: got %d, want %d", state_names[st],
					      action_names[a], role_names[r], rc, want);
				allowed_seen += rc == 0;
			}
		}
	ck_assert_uint_eq(allowed_seen, 80); /* the sum of the roles listed above */
}
END_TEST

START_TEST(crew_acts_only_on_its_own_assignment)
{
	/* every crew action, by another member than the assignee */
	const int crew_actions[] = { DISPATCH__ACTION__ACTION_ACCEPT, DISPATCH__ACTION__ACTION_ARRIVE,
				     DISPATCH__ACTION__ACTION_RESOLVE, DISPATCH__ACTION__ACTION_HOLD };
	const int from[] = { DISPATCH__STATE__STATE_ASSIGNED, DISPATCH__STATE__STATE_ACCEPTED,
			     DISPATCH__STATE__STATE_ON_SITE, DISPATCH__STATE__STATE_ASSIGNED };
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(rule((Dispatch__State)from[i], (Dispatch__Action)crew_actions[i],
				      DISPATCH__ROLE__ROLE_CREW, "T08", "n", NULL),
				 TICKET_FORBIDDEN);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ON_HOLD, DISPATCH__ACTION__ACTION_RESUME,
			      DISPATCH__ROLE__ROLE_CREW, "T08", "", NULL),
			 TICKET_FORBIDDEN);
}
END_TEST

static int guard(Dispatch__Ticket *t, Dispatch__Transition *tr, const char **field)
{
	char msg[256];
	return ticket_guard(t, tr, field, msg, sizeof msg);
}

START_TEST(close_needs_follow_up_inspection_and_a_complaints_cause)
{
	Dispatch__Ticket t = make_ticket(DISPATCH__STATE__STATE_RESOLVED, "K01");
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	const char *field;

	tr.action = DISPATCH__ACTION__ACTION_CLOSE;
	ck_assert_int_eq(guard(&t, &tr, &field), 0);
	t.follow_up = true;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_CONFLICT);
	t.followed_up_ms = 1;
	ck_assert_int_eq(guard(&t, &tr, &field), 0);
	t.inspection = true;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_CONFLICT);
	t.inspection_result = DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_CONFLICT);
	t.inspection_result = DISPATCH__INSPECTION_RESULT__INSPECTION_PASS;
	ck_assert_int_eq(guard(&t, &tr, &field), 0);
	/* a complaint: the cause and the corrective action, on the ticket or in the close */
	t.kind = DISPATCH__KIND__KIND_COMPLAINT;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_INVALID);
	ck_assert_str_eq(field, "transition.cause");
	tr.cause = (char *)"guard followed the rules but was curt";
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_INVALID);
	ck_assert_str_eq(field, "transition.corrective_action");
	tr.corrective_action = (char *)"courtesy briefing for the night shift";
	ck_assert_int_eq(guard(&t, &tr, &field), 0);
	/* and a complaint always needs its follow-up, rule or not */
	t.follow_up = false;
	t.followed_up_ms = 0;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_CONFLICT);
}
END_TEST

START_TEST(hold_consent_follow_up_inspect_and_reassign_guards)
{
	Dispatch__Ticket t = make_ticket(DISPATCH__STATE__STATE_ASSIGNED, "T07");
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	const char *field;

	tr.action = DISPATCH__ACTION__ACTION_HOLD;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_INVALID); /* no reason */
	tr.hold_reason = DISPATCH__HOLD_REASON__HOLD_CONSENT;     /* the daemon's own */
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_INVALID);
	tr.hold_reason = DISPATCH__HOLD_REASON__HOLD_OTHER; /* needs a note */
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_INVALID);
	tr.hold_reason = DISPATCH__HOLD_REASON__HOLD_PARTS;
	ck_assert_int_eq(guard(&t, &tr, &field), 0);

	t.state = DISPATCH__STATE__STATE_ON_HOLD;
	t.hold_reason = DISPATCH__HOLD_REASON__HOLD_CONSENT;
	tr.action = DISPATCH__ACTION__ACTION_RESUME;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_CONFLICT); /* consent, not resume */
	tr.action = DISPATCH__ACTION__ACTION_CONSENT;
	ck_assert_int_eq(guard(&t, &tr, &field), 0);
	t.hold_reason = DISPATCH__HOLD_REASON__HOLD_PARTS;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_CONFLICT);

	tr.action = DISPATCH__ACTION__ACTION_FOLLOW_UP;
	tr.satisfaction = 0;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_INVALID);
	tr.satisfaction = 6;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_INVALID);
	tr.satisfaction = 1;
	ck_assert_int_eq(guard(&t, &tr, &field), 0);

	tr.action = DISPATCH__ACTION__ACTION_INSPECT;
	tr.inspection = DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_INVALID); /* a fail says what is wrong */
	tr.note = (char *)"tap still drips";
	ck_assert_int_eq(guard(&t, &tr, &field), 0);

	tr.action = DISPATCH__ACTION__ACTION_ASSIGN;
	tr.member = (char *)"T08";
	tr.note = (char *)"";
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_INVALID); /* away from T07: a reason */
	tr.note = (char *)"T07 is off sick";
	ck_assert_int_eq(guard(&t, &tr, &field), 0);
	t.about_member = (char *)"T08";
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_FORBIDDEN); /* never to the one complained about */

	tr.action = DISPATCH__ACTION__ACTION_FLAG_VENDOR;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_CONFLICT); /* not a vendor's ticket */
	t.vendor = (char *)"lift-vendor";
	ck_assert_int_eq(guard(&t, &tr, &field), 0);
	tr.action = DISPATCH__ACTION__ACTION_REVIEW_VENDOR;
	ck_assert_int_eq(guard(&t, &tr, &field), TICKET_CONFLICT); /* nothing flagged */
	t.vendor_incident = (char *)"left the lift car dirty";
	ck_assert_int_eq(guard(&t, &tr, &field), 0);
}
END_TEST

START_TEST(the_next_deadline_follows_the_state)
{
	Dispatch__Ticket t = make_ticket(DISPATCH__STATE__STATE_ASSIGNED, "T07");
	Dispatch__Deadline w;

	t.acknowledge_by_ms = 1000;
	t.arrive_by_ms = 3000;
	t.resolve_by_ms = 9000;
	ck_assert_int_eq(ticket_due_ms(&t, &w), 1000);
	ck_assert_int_eq(w, DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE);
	t.state = DISPATCH__STATE__STATE_ACCEPTED; /* acknowledged */
	ck_assert_int_eq(ticket_due_ms(&t, &w), 3000);
	ck_assert_int_eq(w, DISPATCH__DEADLINE__DEADLINE_ARRIVE);
	t.missed = TICKET_MISSED_ARRIVE; /* told once */
	ck_assert_int_eq(ticket_due_ms(&t, &w), 9000);
	ck_assert_int_eq(w, DISPATCH__DEADLINE__DEADLINE_RESOLVE);
	t.state = DISPATCH__STATE__STATE_ON_HOLD; /* paused */
	ck_assert_int_eq(ticket_due_ms(&t, &w), 0);
	t.state = DISPATCH__STATE__STATE_RESOLVED;
	ck_assert_int_eq(ticket_due_ms(&t, &w), 0);
	t.follow_up_by_ms = 20000;
	ck_assert_int_eq(ticket_due_ms(&t, &w), 20000);
	ck_assert_int_eq(w, DISPATCH__DEADLINE__DEADLINE_FOLLOW_UP);
	t.followed_up_ms = 15000;
	ck_assert_int_eq(ticket_due_ms(&t, &w), 0);
	t.state = DISPATCH__STATE__STATE_CLOSED;
	ck_assert_int_eq(ticket_due_ms(&t, &w), 0);
}
END_TEST

/* handle_own()'s copy (pbcopy.c): the same message, owning every block,
 * freed by protobuf-c as an unpacked one is (ASan runs check the frees). */
START_TEST(a_copied_ticket_is_the_same_and_owns_its_parts)
{
	Dispatch__Ticket t = make_ticket(DISPATCH__STATE__STATE_ASSIGNED, "T07"), *c, *u;
	Dispatch__CostPart p1 = DISPATCH__COST_PART__INIT, p2 = DISPATCH__COST_PART__INIT, *parts[2] = { &p1, &p2 };
	char text[] = "水喉漏水 the tap leaks", tag0[] = "water", *tags[2] = { tag0, (char *)"" };
	uint64_t links[3] = { 7, 8, 9 };
	uint8_t a[512], b[512], wire[600];
	size_t na, nb, nw;

	t.text = text;
	t.unit = (char *)"12-1A";
	t.n_tags = 2;
	t.tags = tags;
	t.n_links = 3;
	t.links = links;
	p1.item = (char *)"washer";
	p1.quantity = 4;
	p2.item = (char *)"tap";
	p2.unit_cents = 9900;
	t.n_parts = 2;
	t.parts = parts;
	t.fee_cents = -1;
	t.follow_up = 1;
	c = (Dispatch__Ticket *)pb_copy(&t.base);
	na = dispatch__ticket__pack(&t, a);
	nb = dispatch__ticket__pack(c, b);
	ck_assert_uint_eq(na, nb);
	ck_assert(memcmp(a, b, na) == 0);
	/* its own blocks: changing the original does not change the copy */
	text[0] = 'X';
	tag0[0] = 'X';
	links[0] = 70;
	p1.quantity = 5;
	ck_assert_ptr_ne(c->text, t.text);
	ck_assert_str_eq(c->tags[0], "water");
	ck_assert_uint_eq(c->links[0], 7);
	ck_assert_uint_eq(c->parts[0]->quantity, 4);
	ck_assert_str_eq(c->member, "T07");
	ck_assert_str_eq(c->crew, ""); /* a default stays the default */
	dispatch__ticket__free_unpacked(c, NULL);

	/* an unpacked one with a field this build does not know keeps it */
	memcpy(wire, a, na);
	nw = na;
	wire[nw++] = ((120 << 3 | 2) & 0x7f) | 0x80; /* field 120, length-delimited */
	wire[nw++] = (120 << 3 | 2) >> 7;
	wire[nw++] = 3;
	memcpy(wire + nw, "new", 3);
	nw += 3;
	u = dispatch__ticket__unpack(NULL, nw, wire);
	ck_assert_ptr_nonnull(u);
	ck_assert_uint_eq(u->base.n_unknown_fields, 1);
	c = (Dispatch__Ticket *)pb_copy(&u->base);
	dispatch__ticket__free_unpacked(u, NULL);
	nb = dispatch__ticket__get_packed_size(c);
	ck_assert_uint_eq(nb, nw);
	ck_assert_uint_eq(dispatch__ticket__pack(c, b), nw);
	ck_assert(memcmp(b, wire, nw) == 0);
	dispatch__ticket__free_unpacked(c, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ticket");
	TCase *tc = tcase_create("transitions");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, main_path_by_the_assignee);
	tcase_add_test(tc, skipping_a_step_is_a_conflict_with_a_message);
	tcase_add_test(tc, another_member_may_not_act);
	tcase_add_test(tc, crew_may_not_close_and_monitor_may_not_cancel);
	tcase_add_test(tc, cancel_needs_a_reason_and_ends_anywhere_open);
	tcase_add_test(tc, unknown_action_is_a_conflict_not_a_crash);
	tcase_add_test(tc, every_transition_and_who_may_perform_it);
	tcase_add_test(tc, crew_acts_only_on_its_own_assignment);
	tcase_add_test(tc, close_needs_follow_up_inspection_and_a_complaints_cause);
	tcase_add_test(tc, hold_consent_follow_up_inspect_and_reassign_guards);
	tcase_add_test(tc, the_next_deadline_follows_the_state);
	tcase_add_test(tc, refusals_read_as_sentences);
	tcase_add_test(tc, kinds_handled_by_phone_resolve_without_a_visit);
	tcase_add_test(tc, desk_records_an_outsourced_providers_steps);
	tcase_add_test(tc, a_copied_ticket_is_the_same_and_owns_its_parts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
