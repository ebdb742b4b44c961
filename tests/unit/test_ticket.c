/* Unit tests for the ticket transition table (daemon/ticket.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

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
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ASSIGNED, DISPATCH__ACTION__ACTION_ACCEPT, DISPATCH__ROLE__ROLE_CREW,
			      "T07", "", &to), 0);
	ck_assert_int_eq(to, DISPATCH__STATE__STATE_ACCEPTED);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ACCEPTED, DISPATCH__ACTION__ACTION_ARRIVE, DISPATCH__ROLE__ROLE_CREW,
			      "T07", "", &to), 0);
	ck_assert_int_eq(to, DISPATCH__STATE__STATE_ON_SITE);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ON_SITE, DISPATCH__ACTION__ACTION_RESOLVE, DISPATCH__ROLE__ROLE_CREW,
			      "T07", "fixed", &to), 0);
	ck_assert_int_eq(to, DISPATCH__STATE__STATE_RESOLVED);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_RESOLVED, DISPATCH__ACTION__ACTION_CLOSE, DISPATCH__ROLE__ROLE_DESK,
			      "desk", "", &to), 0);
	ck_assert_int_eq(to, DISPATCH__STATE__STATE_CLOSED);
}
END_TEST

START_TEST(skipping_a_step_is_a_conflict_with_a_message)
{
	Dispatch__Ticket t = make_ticket(DISPATCH__STATE__STATE_ASSIGNED, "T07");
	const struct ticket_transition *tr = NULL;
	char msg[256];

	ck_assert_int_eq(ticket_rule(&t, DISPATCH__ACTION__ACTION_RESOLVE, DISPATCH__ROLE__ROLE_CREW, "T07", "", &tr, msg,
				     sizeof msg), TICKET_CONFLICT);
	ck_assert_ptr_null(tr);
	ck_assert_str_eq(msg, "ticket 42 is assigned; resolve is possible only when it is on site");
}
END_TEST

START_TEST(another_member_may_not_act)
{
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ASSIGNED, DISPATCH__ACTION__ACTION_ACCEPT, DISPATCH__ROLE__ROLE_CREW,
			      "T08", "", NULL), TICKET_FORBIDDEN);
}
END_TEST

START_TEST(crew_may_not_close_and_monitor_may_not_cancel)
{
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_RESOLVED, DISPATCH__ACTION__ACTION_CLOSE, DISPATCH__ROLE__ROLE_CREW,
			      "T07", "", NULL), TICKET_FORBIDDEN);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ASSIGNED, DISPATCH__ACTION__ACTION_CANCEL,
			      DISPATCH__ROLE__ROLE_MONITOR, "mon", "dup", NULL), TICKET_FORBIDDEN);
}
END_TEST

START_TEST(cancel_needs_a_reason_and_ends_anywhere_open)
{
	static const Dispatch__State open[] = { DISPATCH__STATE__STATE_NEW, DISPATCH__STATE__STATE_ASSIGNED,
						DISPATCH__STATE__STATE_ACCEPTED, DISPATCH__STATE__STATE_ON_SITE };
	Dispatch__State to;
	for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
		ck_assert_int_eq(rule(open[i], DISPATCH__ACTION__ACTION_CANCEL, DISPATCH__ROLE__ROLE_DESK, "desk", "",
				      NULL), TICKET_INVALID);
		ck_assert_int_eq(rule(open[i], DISPATCH__ACTION__ACTION_CANCEL, DISPATCH__ROLE__ROLE_DESK, "desk",
				      "duplicate call", &to), 0);
		ck_assert_int_eq(to, DISPATCH__STATE__STATE_CANCELLED);
	}
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_CLOSED, DISPATCH__ACTION__ACTION_CANCEL, DISPATCH__ROLE__ROLE_DESK,
			      "desk", "late", NULL), TICKET_CONFLICT);
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_CANCELLED, DISPATCH__ACTION__ACTION_ACCEPT,
			      DISPATCH__ROLE__ROLE_CREW, "T07", "", NULL), TICKET_CONFLICT);
}
END_TEST

START_TEST(unknown_action_is_a_conflict_not_a_crash)
{
	ck_assert_int_eq(rule(DISPATCH__STATE__STATE_ASSIGNED, (Dispatch__Action)77, DISPATCH__ROLE__ROLE_DESK, "desk",
			      "", NULL), TICKET_CONFLICT);
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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
