/*
 * Unit tests for deadlines (daemon/deadline.c with ticket.c and ingest.c):
 * a real store in a temporary directory, the sample estate, requests fed
 * through a detached ingest, and the daemon's clock moved by hand. Every
 * batch fires what is due, so a request after a clock jump is what makes
 * a passed deadline fire.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "ingest.h"
#include "log.h"
#include "roster.h"
#include "store.h"
#include "ticket.h"
#include "verify.h"

#define MIN (60 * 1000LL)
/* Monday 2026-11-30 10:00 in Hong Kong: the day shift is on. */
#define MONDAY_10 1796004000000LL

static char dir[64];
static store_t *st;
static config_t *cfg;
static roster_t *roster;
static ingest_t *in;
static int seq;

static void at(int64_t ms) { clock_freeze(ms); }

static void setup(void)
{
	char err[4096];

	log_set_level(LOG_ERR);
	setenv("TZ", "Asia/Hong_Kong", 1); /* the estate's shifts are in its local time */
	tzset();
	snprintf(dir, sizeof dir, "/tmp/dispatchd-deadline-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	st = store_open(dir, 0, err, sizeof err);
	ck_assert_msg(st != NULL, "%s", err);
	store_set_nosync(st);
	cfg = config_load_default(err, sizeof err);
	ck_assert_msg(cfg != NULL, "%s", err);
	cfg->presence->require_online = false;
	roster = roster_new();
	in = ingest_new_detached(st, cfg, roster);
}

static void teardown(void)
{
	char cmd[128];

	ck_assert_int_eq(verify_store(st, stderr), 0);
	ingest_destroy(&in);
	roster_destroy(&roster);
	store_destroy(&st);
	config_destroy(&cfg);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Send req (role, actor and request id filled here); return the reply. */
static Dispatch__Reply *send_req(Dispatch__Request *req, Dispatch__Role role, const char *actor)
{
	char id[32];
	uint8_t *buf, *reply = NULL;
	size_t len, rlen = 0;
	Dispatch__Reply *r;

	snprintf(id, sizeof id, "t-%d", ++seq);
	req->version = DISPATCH__WIRE_VERSION__WIRE_VERSION;
	req->request_id = id;
	req->role = role;
	req->actor = (char *)actor;
	len = dispatch__request__get_packed_size(req);
	buf = malloc(len ? len : 1);
	dispatch__request__pack(req, buf);
	ck_assert_int_eq(ingest_feed(in, buf, len, &reply, &rlen), 0);
	free(buf);
	r = dispatch__reply__unpack(NULL, rlen, reply);
	free(reply);
	ck_assert_ptr_nonnull(r);
	return r;
}

static Dispatch__Reply *act(uint64_t id, Dispatch__Action a, Dispatch__HoldReason why, Dispatch__Role role,
			    const char *actor)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	tr.ticket_id = id;
	tr.action = a;
	tr.hold_reason = why;
	req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
	req.transition = &tr;
	return send_req(&req, role, actor);
}

/* The ticket as stored now (after a ping, so that due deadlines fire). */
static Dispatch__Reply *get(uint64_t id)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Get g = DISPATCH__GET__INIT;

	g.ticket_id = id;
	g.history = true;
	req.body_case = DISPATCH__REQUEST__BODY_GET;
	req.get = &g;
	return send_req(&req, DISPATCH__ROLE__ROLE_MONITOR, "qc");
}

static uint64_t submit_lighting(void)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Reply *r;
	uint64_t id;

	sub.kind = DISPATCH__KIND__KIND_REPAIR;
	sub.unit = (char *)"12-1A";
	sub.category = (char *)"lighting";
	sub.text = (char *)"basement lights out";
	req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
	req.submit = &sub;
	r = send_req(&req, DISPATCH__ROLE__ROLE_DESK, "desk");
	ck_assert_int_eq(r->status, DISPATCH__STATUS__STATUS_OK);
	ck_assert_str_eq(r->ticket->member, "T07");
	id = r->ticket->id;
	dispatch__reply__free_unpacked(r, NULL);
	return id;
}

static size_t count_escalations(const Dispatch__Reply *r, Dispatch__Deadline which)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_events; i++)
		n += r->events[i]->type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED && r->events[i]->deadline == which;
	return n;
}

START_TEST(hold_pauses_and_resume_restarts_with_the_time_left)
{
	Dispatch__Reply *r;
	uint64_t id;

	at(MONDAY_10);
	id = submit_lighting(); /* acknowledge 10 min, arrive 30 min, resolve 4 h */
	at(MONDAY_10 + 2 * MIN);
	r = act(id, DISPATCH__ACTION__ACTION_ACCEPT, 0, DISPATCH__ROLE__ROLE_CREW, "T07");
	ck_assert_int_eq(r->status, DISPATCH__STATUS__STATUS_OK);
	dispatch__reply__free_unpacked(r, NULL);

	at(MONDAY_10 + 5 * MIN);
	r = act(id, DISPATCH__ACTION__ACTION_HOLD, DISPATCH__HOLD_REASON__HOLD_PARTS, DISPATCH__ROLE__ROLE_CREW, "T07");
	ck_assert_msg(r->status == DISPATCH__STATUS__STATUS_OK, "%s", r->message);
	ck_assert_int_eq(r->ticket->state, DISPATCH__STATE__STATE_ON_HOLD);
	ck_assert_int_eq(r->ticket->arrive_left_ms, 25 * MIN);
	ck_assert_int_eq(r->ticket->resolve_left_ms, 235 * MIN);
	ck_assert_int_eq(r->ticket->due_ms, 0);
	dispatch__reply__free_unpacked(r, NULL);

	/* two hours waiting for parts: nothing is missed while on hold */
	at(MONDAY_10 + 125 * MIN);
	r = get(id);
	ck_assert_int_eq(r->ticket->missed, 0);
	ck_assert_uint_eq(count_escalations(r, DISPATCH__DEADLINE__DEADLINE_ARRIVE), 0);
	dispatch__reply__free_unpacked(r, NULL);

	r = act(id, DISPATCH__ACTION__ACTION_RESUME, 0, DISPATCH__ROLE__ROLE_CREW, "T07");
	ck_assert_msg(r->status == DISPATCH__STATUS__STATUS_OK, "%s", r->message);
	ck_assert_int_eq(r->ticket->state, DISPATCH__STATE__STATE_ACCEPTED); /* where it was held from */
	ck_assert_int_eq(r->ticket->arrive_by_ms, MONDAY_10 + 150 * MIN);
	ck_assert_int_eq(r->ticket->resolve_by_ms, MONDAY_10 + 360 * MIN);
	ck_assert_int_eq(r->ticket->due_ms, MONDAY_10 + 150 * MIN);
	dispatch__reply__free_unpacked(r, NULL);

	/* one minute before the restarted arrive deadline: nothing; one after: the supervisor hears */
	at(MONDAY_10 + 149 * MIN);
	r = get(id);
	ck_assert_int_eq(r->ticket->missed, 0);
	dispatch__reply__free_unpacked(r, NULL);
	at(MONDAY_10 + 151 * MIN);
	r = get(id);
	ck_assert_int_eq(r->ticket->missed, TICKET_MISSED_ARRIVE);
	ck_assert_uint_eq(count_escalations(r, DISPATCH__DEADLINE__DEADLINE_ARRIVE), 1);
	ck_assert_str_eq(r->events[r->n_events - 1]->member, "T01");
	dispatch__reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(the_acknowledge_chain_one_step_per_deadline)
{
	Dispatch__Reply *r;
	uint64_t id;

	at(MONDAY_10);
	id = submit_lighting();
	/* 9 minutes: still T07's */
	at(MONDAY_10 + 9 * MIN);
	r = get(id);
	ck_assert_str_eq(r->ticket->member, "T07");
	dispatch__reply__free_unpacked(r, NULL);
	/* 11 minutes: the next electrician on shift (T12 or T01; never T07 again) */
	at(MONDAY_10 + 11 * MIN);
	r = get(id);
	ck_assert_str_ne(r->ticket->member, "T07");
	ck_assert_uint_eq(r->ticket->n_passed_over, 1);
	ck_assert_str_eq(r->ticket->passed_over[0], "T07");
	ck_assert_int_eq(r->ticket->acknowledge_by_ms, MONDAY_10 + 16 * MIN); /* escalation_every: 5m */
	dispatch__reply__free_unpacked(r, NULL);
	/* and on, until the control center; then nothing more is timed for acknowledging */
	for (int m = 17; m <= 60; m += 6) {
		at(MONDAY_10 + m * MIN);
		r = get(id);
		dispatch__reply__free_unpacked(r, NULL);
	}
	r = get(id);
	ck_assert_str_eq(r->ticket->escalated_to, "control-center");
	ck_assert_int_eq(r->ticket->acknowledge_by_ms, 0);
	ck_assert_uint_ge(count_escalations(r, DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE), 3);
	dispatch__reply__free_unpacked(r, NULL);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("deadline");
	TCase *tc = tcase_create("timers");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hold_pauses_and_resume_restarts_with_the_time_left);
	tcase_add_test(tc, the_acknowledge_chain_one_step_per_deadline);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
