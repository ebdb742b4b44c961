/*
 * Unit tests for the service procedure's workflows and deadlines
 * (daemon/handle.c, deadline.c, ticket.c through ingest.c):
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

static void at(int64_t ms)
{
	clock_freeze(ms);
}

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
	ck_assert_ptr_nonnull(r);
	/* the bytes are the reply packed whole, though a submission's ticket
	 * was spliced in from its stored snapshot (ingest.c) */
	ck_assert_uint_eq(dispatch__reply__get_packed_size(r), rlen);
	buf = malloc(rlen ? rlen : 1);
	ck_assert_uint_eq(dispatch__reply__pack(r, buf), rlen);
	ck_assert_msg(memcmp(buf, reply, rlen) == 0, "the reply's bytes are not those of packing it whole");
	free(buf);
	free(reply);
	return r;
}

/* Send a transition tr (ticket id and action filled in here). */
static Dispatch__Reply *act_with(uint64_t id, Dispatch__Action a, Dispatch__Transition *tr, Dispatch__Role role,
				 const char *actor)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;

	tr->ticket_id = id;
	tr->action = a;
	req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
	req.transition = tr;
	return send_req(&req, role, actor);
}

static Dispatch__Reply *act(uint64_t id, Dispatch__Action a, Dispatch__HoldReason why, Dispatch__Role role,
			    const char *actor)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	tr.hold_reason = why;
	return act_with(id, a, &tr, role, actor);
}

/* act(), and the reply's status must be want; the reply is freed. */
static void act_ok(uint64_t id, Dispatch__Action a, Dispatch__Transition *tr, Dispatch__Role role, const char *actor,
		   Dispatch__Status want)
{
	Dispatch__Reply *r = act_with(id, a, tr, role, actor);
	ck_assert_msg(r->status == want, "action %d on %llu: status %d (%s), want %d", a, (unsigned long long)id,
		      r->status, r->message, want);
	dispatch__reply__free_unpacked(r, NULL);
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

static Dispatch__Reply *submit(Dispatch__Submit *sub)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;

	req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
	req.submit = sub;
	return send_req(&req, DISPATCH__ROLE__ROLE_DESK, "desk");
}

static uint64_t submit_lighting_at(const char *unit)
{
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Reply *r;
	uint64_t id;

	sub.kind = DISPATCH__KIND__KIND_REPAIR;
	sub.unit = (char *)unit;
	sub.category = (char *)"lighting";
	sub.text = (char *)"basement lights out";
	r = submit(&sub);
	ck_assert_int_eq(r->status, DISPATCH__STATUS__STATUS_OK);
	ck_assert_str_eq(r->ticket->member, "T07");
	id = r->ticket->id;
	dispatch__reply__free_unpacked(r, NULL);
	return id;
}

static uint64_t submit_lighting(void)
{
	return submit_lighting_at("12-1A");
}

/* Take a ticket assigned to member through to resolved. */
static void work_it(uint64_t id, const char *member, Dispatch__Transition *resolve)
{
	Dispatch__Transition none = DISPATCH__TRANSITION__INIT;

	act_ok(id, DISPATCH__ACTION__ACTION_ACCEPT, &none, DISPATCH__ROLE__ROLE_CREW, member,
	       DISPATCH__STATUS__STATUS_OK);
	act_ok(id, DISPATCH__ACTION__ACTION_ARRIVE, &none, DISPATCH__ROLE__ROLE_CREW, member,
	       DISPATCH__STATUS__STATUS_OK);
	act_ok(id, DISPATCH__ACTION__ACTION_RESOLVE, resolve ? resolve : &none, DISPATCH__ROLE__ROLE_CREW, member,
	       DISPATCH__STATUS__STATUS_OK);
}

static size_t count_escalations(const Dispatch__Reply *r, Dispatch__Deadline which)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_events; i++)
		n += r->events[i]->type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED && r->events[i]->deadline == which;
	return n;
}

/* Work a reopened ticket through again, by whoever holds it now. */
static void rework(uint64_t id)
{
	Dispatch__Reply *r = get(id);
	char member[32];

	snprintf(member, sizeof member, "%s", r->ticket->member);
	dispatch__reply__free_unpacked(r, NULL);
	work_it(id, member, NULL);
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
	uint64_t id, other;

	at(MONDAY_10);
	id = submit_lighting();
	other = submit_lighting_at("12-9F"); /* due at the same moment: both fire in one pass */
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
	r = get(other);
	ck_assert_str_eq(r->ticket->passed_over[0], "T07");
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

START_TEST(a_complaint_goes_to_the_supervisor_and_needs_cause_and_follow_up)
{
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__Reply *r;
	uint64_t id;

	at(MONDAY_10);
	sub.kind = DISPATCH__KIND__KIND_COMPLAINT;
	sub.unit = (char *)"5-3B";
	sub.text = (char *)"the guard at gate 2 was rude";
	sub.about_member = (char *)"S02";
	r = submit(&sub);
	ck_assert_msg(r->status == DISPATCH__STATUS__STATUS_OK, "%s", r->message);
	ck_assert_str_eq(r->ticket->crew, "security"); /* the crew concerned, not customer service */
	ck_assert_str_eq(r->ticket->member, "S01");    /* its supervisor */
	ck_assert_str_eq(r->ticket->escalated_to, "S01");
	ck_assert(r->ticket->follow_up);
	id = r->ticket->id;
	dispatch__reply__free_unpacked(r, NULL);
	/* the member complained about may never get it */
	tr.member = (char *)"S02";
	tr.note = (char *)"S02 knows the resident";
	act_ok(id, DISPATCH__ACTION__ACTION_ASSIGN, &tr, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_FORBIDDEN);

	work_it(id, "S01", NULL);
	Dispatch__Transition close = DISPATCH__TRANSITION__INIT;
	act_ok(id, DISPATCH__ACTION__ACTION_CLOSE, &close, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_CONFLICT);
	Dispatch__Transition fu = DISPATCH__TRANSITION__INIT;
	fu.satisfaction = 4;
	fu.note = (char *)"resident accepts the apology";
	act_ok(id, DISPATCH__ACTION__ACTION_FOLLOW_UP, &fu, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_OK);
	act_ok(id, DISPATCH__ACTION__ACTION_CLOSE, &close, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_INVALID);
	close.cause = (char *)"guard enforced the visitor rule abruptly";
	close.corrective_action = (char *)"courtesy briefing for the gate team";
	act_ok(id, DISPATCH__ACTION__ACTION_CLOSE, &close, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_OK);
	r = get(id);
	ck_assert_int_eq(r->ticket->state, DISPATCH__STATE__STATE_CLOSED);
	ck_assert_str_eq(r->ticket->cause, "guard enforced the visitor rule abruptly");
	ck_assert_uint_eq(r->ticket->satisfaction, 4);
	dispatch__reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(complaints_about_different_members_and_about_a_vendor)
{
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Reply *r;

	at(MONDAY_10);
	sub.kind = DISPATCH__KIND__KIND_COMPLAINT;
	sub.unit = (char *)"3-2B";
	sub.text = (char *)"rude on the phone";
	sub.about_member = (char *)"S02";
	r = submit(&sub);
	ck_assert_str_eq(r->ticket->member, "S01");
	dispatch__reply__free_unpacked(r, NULL);
	/* the same unit, minutes later, about someone else: not a duplicate */
	sub.about_member = (char *)"T08";
	r = submit(&sub);
	ck_assert_uint_eq(r->ticket->linked_to, 0);
	ck_assert_str_eq(r->ticket->member, "T01");
	dispatch__reply__free_unpacked(r, NULL);
	/* about the vendor's only engineer: the desk supervisor takes it */
	sub.about_member = (char *)"V01";
	r = submit(&sub);
	ck_assert_str_eq(r->ticket->crew, "customer-service");
	ck_assert_str_eq(r->ticket->member, "K01");
	dispatch__reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(explain_says_a_paid_service_waits_for_consent)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Explain x = DISPATCH__EXPLAIN__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Reply *r;

	at(MONDAY_10);
	sub.kind = DISPATCH__KIND__KIND_SPECIAL;
	sub.unit = (char *)"3-2B";
	sub.fee_cents = 10000;
	x.submit = &sub;
	req.body_case = DISPATCH__REQUEST__BODY_EXPLAIN;
	req.explain = &x;
	r = send_req(&req, DISPATCH__ROLE__ROLE_DESK, "desk");
	ck_assert_int_eq(r->status, DISPATCH__STATUS__STATUS_OK);
	ck_assert_uint_eq(r->n_decisions, 1);
	ck_assert_str_eq(r->decisions[0]->member, "");
	ck_assert_str_eq(r->decisions[0]->escalated_to, "");
	ck_assert_ptr_nonnull(strstr(r->decisions[0]->reason, "consent"));
	dispatch__reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(a_paid_service_waits_for_consent_and_records_the_charge)
{
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__Reply *r;
	uint64_t id;

	at(MONDAY_10);
	sub.kind = DISPATCH__KIND__KIND_SPECIAL;
	sub.unit = (char *)"12-1A";
	sub.text = (char *)"mount a television on the living-room wall";
	sub.fee_cents = 35000;
	r = submit(&sub);
	ck_assert_msg(r->status == DISPATCH__STATUS__STATUS_OK, "%s", r->message);
	ck_assert_int_eq(r->ticket->state, DISPATCH__STATE__STATE_ON_HOLD);
	ck_assert_int_eq(r->ticket->hold_reason, DISPATCH__HOLD_REASON__HOLD_CONSENT);
	ck_assert_str_eq(r->ticket->member, ""); /* nobody sent */
	id = r->ticket->id;
	dispatch__reply__free_unpacked(r, NULL);
	/* resume is not how it starts; consent is */
	act_ok(id, DISPATCH__ACTION__ACTION_RESUME, &tr, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_CONFLICT);
	act_ok(id, DISPATCH__ACTION__ACTION_CONSENT, &tr, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_OK);
	r = get(id);
	ck_assert_int_eq(r->ticket->state, DISPATCH__STATE__STATE_ASSIGNED);
	ck_assert_str_eq(r->ticket->consent_by, "desk");
	ck_assert_int_eq(r->ticket->consent_ms, MONDAY_10);
	ck_assert_str_ne(r->ticket->member, "");
	{
		char member[32];
		Dispatch__Transition res = DISPATCH__TRANSITION__INIT;
		snprintf(member, sizeof member, "%s", r->ticket->member);
		dispatch__reply__free_unpacked(r, NULL);
		Dispatch__Transition none = DISPATCH__TRANSITION__INIT;
		act_ok(id, DISPATCH__ACTION__ACTION_ACCEPT, &none, DISPATCH__ROLE__ROLE_CREW, member,
		       DISPATCH__STATUS__STATUS_OK);
		act_ok(id, DISPATCH__ACTION__ACTION_ARRIVE, &none, DISPATCH__ROLE__ROLE_CREW, member,
		       DISPATCH__STATUS__STATUS_OK);
		/* the amount charged must be recorded */
		act_ok(id, DISPATCH__ACTION__ACTION_RESOLVE, &res, DISPATCH__ROLE__ROLE_CREW, member,
		       DISPATCH__STATUS__STATUS_INVALID);
		res.charged_cents = 38000;
		res.note = (char *)"bracket supplied by us";
		act_ok(id, DISPATCH__ACTION__ACTION_RESOLVE, &res, DISPATCH__ROLE__ROLE_CREW, member,
		       DISPATCH__STATUS__STATUS_OK);
	}
	r = get(id);
	ck_assert_int_eq(r->ticket->charged_cents, 38000);
	ck_assert_int_eq(r->ticket->fee_cents, 35000);
	dispatch__reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(low_score_and_failed_inspection_reopen_the_work)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__Reply *r;
	uint64_t id;

	at(MONDAY_10);
	id = submit_lighting();
	work_it(id, "T07", NULL);
	tr.satisfaction = 2; /* the sample estate's threshold */
	tr.note = (char *)"light flickers again";
	act_ok(id, DISPATCH__ACTION__ACTION_FOLLOW_UP, &tr, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_OK);
	r = get(id);
	ck_assert_int_eq(r->ticket->state, DISPATCH__STATE__STATE_ASSIGNED);
	ck_assert_uint_eq(r->ticket->reopen_count, 1);
	ck_assert_int_eq(r->ticket->followed_up_ms, 0); /* a new call is needed after the new work */
	ck_assert_int_eq(r->events[r->n_events - 2]->type, DISPATCH__EVENT_TYPE__EVENT_REOPENED);
	dispatch__reply__free_unpacked(r, NULL);

	/* done again; quality control fails it: reopened once more */
	rework(id);
	Dispatch__Transition qc = DISPATCH__TRANSITION__INIT;
	qc.inspection = DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL;
	act_ok(id, DISPATCH__ACTION__ACTION_INSPECT, &qc, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_FORBIDDEN);
	act_ok(id, DISPATCH__ACTION__ACTION_INSPECT, &qc, DISPATCH__ROLE__ROLE_QC, "qc1",
	       DISPATCH__STATUS__STATUS_INVALID);
	qc.note = (char *)"diffuser missing";
	act_ok(id, DISPATCH__ACTION__ACTION_INSPECT, &qc, DISPATCH__ROLE__ROLE_QC, "qc1", DISPATCH__STATUS__STATUS_OK);
	r = get(id);
	ck_assert_uint_eq(r->ticket->reopen_count, 2);
	ck_assert(r->ticket->inspection); /* must pass before it closes */
	dispatch__reply__free_unpacked(r, NULL);
	rework(id);
	Dispatch__Transition close = DISPATCH__TRANSITION__INIT, fu = DISPATCH__TRANSITION__INIT;
	fu.satisfaction = 5;
	act_ok(id, DISPATCH__ACTION__ACTION_FOLLOW_UP, &fu, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_OK);
	act_ok(id, DISPATCH__ACTION__ACTION_CLOSE, &close, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_CONFLICT);
	qc.inspection = DISPATCH__INSPECTION_RESULT__INSPECTION_PASS;
	qc.note = (char *)"";
	act_ok(id, DISPATCH__ACTION__ACTION_INSPECT, &qc, DISPATCH__ROLE__ROLE_QC, "qc1", DISPATCH__STATUS__STATUS_OK);
	act_ok(id, DISPATCH__ACTION__ACTION_CLOSE, &close, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_OK);
}
END_TEST

START_TEST(vendor_incidents_are_flagged_reviewed_and_listed_by_vendor)
{
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__VendorIncidents q = DISPATCH__VENDOR_INCIDENTS__INIT;
	Dispatch__Reply *r;
	uint64_t lift, light;

	at(MONDAY_10);
	sub.kind = DISPATCH__KIND__KIND_REPAIR;
	sub.unit = (char *)"3-8C";
	sub.category = (char *)"lift";
	sub.text = (char *)"lift B stops between floors";
	r = submit(&sub);
	ck_assert_str_eq(r->ticket->vendor, "lift-vendor");
	lift = r->ticket->id;
	dispatch__reply__free_unpacked(r, NULL);
	light = submit_lighting();

	tr.note = (char *)"engineer left oil on the lobby floor";
	act_ok(light, DISPATCH__ACTION__ACTION_FLAG_VENDOR, &tr, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_CONFLICT); /* our own technician: not a vendor's */
	act_ok(lift, DISPATCH__ACTION__ACTION_REVIEW_VENDOR, &tr, DISPATCH__ROLE__ROLE_QC, "qc1",
	       DISPATCH__STATUS__STATUS_CONFLICT); /* nothing flagged yet */
	act_ok(lift, DISPATCH__ACTION__ACTION_FLAG_VENDOR, &tr, DISPATCH__ROLE__ROLE_DESK, "desk",
	       DISPATCH__STATUS__STATUS_OK);
	/* taken over by our own technician: the vendor stays on record */
	{
		Dispatch__Transition as = DISPATCH__TRANSITION__INIT;
		as.member = (char *)"T12";
		as.note = (char *)"vendor engineer left; T12 finishes";
		act_ok(lift, DISPATCH__ACTION__ACTION_ASSIGN, &as, DISPATCH__ROLE__ROLE_SUPERVISOR, "T01",
		       DISPATCH__STATUS__STATUS_OK);
	}

	req.body_case = DISPATCH__REQUEST__BODY_VENDOR_INCIDENTS;
	req.vendor_incidents = &q;
	q.vendor = (char *)"lift-vendor";
	q.unreviewed_only = true;
	r = send_req(&req, DISPATCH__ROLE__ROLE_QC, "qc1");
	ck_assert_uint_eq(r->n_tickets, 1);
	ck_assert_int_eq(r->tickets[0]->id, lift);
	dispatch__reply__free_unpacked(r, NULL);

	tr.note = (char *)"vendor to carry drip trays; checked at next visit";
	act_ok(lift, DISPATCH__ACTION__ACTION_REVIEW_VENDOR, &tr, DISPATCH__ROLE__ROLE_CREW, "V01",
	       DISPATCH__STATUS__STATUS_FORBIDDEN);
	act_ok(lift, DISPATCH__ACTION__ACTION_REVIEW_VENDOR, &tr, DISPATCH__ROLE__ROLE_QC, "qc1",
	       DISPATCH__STATUS__STATUS_OK);
	r = send_req(&req, DISPATCH__ROLE__ROLE_QC, "qc1");
	ck_assert_uint_eq(r->n_tickets, 0); /* reviewed now */
	dispatch__reply__free_unpacked(r, NULL);
	q.unreviewed_only = false;
	q.vendor = (char *)"";
	r = send_req(&req, DISPATCH__ROLE__ROLE_QC, "qc1");
	ck_assert_uint_eq(r->n_tickets, 1);
	ck_assert_str_eq(r->tickets[0]->vendor, "lift-vendor");
	ck_assert_str_eq(r->tickets[0]->vendor_review, "vendor to carry drip trays; checked at next visit");
	dispatch__reply__free_unpacked(r, NULL);
}
END_TEST

START_TEST(a_notice_is_an_event_in_the_log)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__PublishNotice pn = DISPATCH__PUBLISH_NOTICE__INIT;
	Dispatch__Notice n = DISPATCH__NOTICE__INIT;
	Dispatch__Reply *r;

	at(MONDAY_10);
	n.kind = DISPATCH__NOTICE_KIND__NOTICE_ACTIVITY;
	n.text = (char *)"Open day in the clubhouse, Saturday 10:00-16:00";
	pn.notice = &n;
	req.body_case = DISPATCH__REQUEST__BODY_NOTICE;
	req.notice = &pn;
	r = send_req(&req, DISPATCH__ROLE__ROLE_MONITOR, "watcher");
	ck_assert_int_eq(r->status, DISPATCH__STATUS__STATUS_FORBIDDEN); /* the desk publishes */
	dispatch__reply__free_unpacked(r, NULL);
	r = send_req(&req, DISPATCH__ROLE__ROLE_DESK, "desk");
	ck_assert_msg(r->status == DISPATCH__STATUS__STATUS_OK, "%s", r->message);
	ck_assert_uint_eq(r->n_events, 1);
	dispatch__reply__free_unpacked(r, NULL);
	{
		Dispatch__Request rq = DISPATCH__REQUEST__INIT;
		Dispatch__Replay rp = DISPATCH__REPLAY__INIT;
		rp.from_seq = 1;
		rq.body_case = DISPATCH__REQUEST__BODY_REPLAY;
		rq.replay = &rp;
		r = send_req(&rq, DISPATCH__ROLE__ROLE_MONITOR, "watcher");
		ck_assert_uint_eq(r->n_events, 1);
		ck_assert_int_eq(r->events[0]->type, DISPATCH__EVENT_TYPE__EVENT_NOTICE);
		ck_assert_str_eq(r->events[0]->notice->text, "Open day in the clubhouse, Saturday 10:00-16:00");
		dispatch__reply__free_unpacked(r, NULL);
	}
}
END_TEST

/* A packed submission of a lighting repair at unit, request id rid. */
static uint8_t *packed_submit(const char *unit, const char *rid, size_t *len)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	uint8_t *buf;

	sub.kind = DISPATCH__KIND__KIND_REPAIR;
	sub.unit = (char *)unit;
	sub.category = (char *)"lighting";
	sub.text = (char *)"corridor light out";
	req.version = DISPATCH__WIRE_VERSION__WIRE_VERSION;
	req.request_id = (char *)rid;
	req.role = DISPATCH__ROLE__ROLE_DESK;
	req.actor = (char *)"desk";
	req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
	req.submit = &sub;
	*len = dispatch__request__get_packed_size(&req);
	buf = malloc(*len);
	dispatch__request__pack(&req, buf);
	return buf;
}

/* Feed n packed requests as one batch; check each reply's status. */
static void feed_batch(const void **pl, size_t *lens, int n, const Dispatch__Status *want)
{
	uint8_t *replies[8];
	size_t rlens[8];

	ck_assert_int_eq(ingest_feed_batch(in, pl, lens, n, replies, rlens), 0);
	for (int i = 0; i < n; i++) {
		Dispatch__Reply *r = dispatch__reply__unpack(NULL, rlens[i], replies[i]);
		ck_assert_ptr_nonnull(r);
		ck_assert_msg(r->status == want[i], "request %d: status %d (%s), want %d", i, r->status, r->message,
			      want[i]);
		dispatch__reply__free_unpacked(r, NULL);
		free(replies[i]);
	}
}

/* Requests of a batch write straight into its transaction; one that
 * fails after writing must leave nothing, so the batch is applied again
 * with a savepoint per request. A refusal (checked before any write)
 * must not cost that second round. */
START_TEST(a_request_that_fails_after_writing_leaves_nothing_behind)
{
	const void *pl[3];
	size_t lens[3];
	uint64_t before, per_submit, last;
	struct ingest_stats st0, st1;
	const Dispatch__Status ok3[3] = { DISPATCH__STATUS__STATUS_OK, DISPATCH__STATUS__STATUS_OK,
					  DISPATCH__STATUS__STATUS_OK };
	const Dispatch__Status refused[3] = { DISPATCH__STATUS__STATUS_OK, DISPATCH__STATUS__STATUS_CONFLICT,
					      DISPATCH__STATUS__STATUS_OK };
	Dispatch__Reply *r;
	MDB_txn *txn;

	at(MONDAY_10);
	/* how many writes one submission makes */
	pl[0] = packed_submit("12-1A", "b-0", &lens[0]);
	before = store_writes(st);
	feed_batch(pl, lens, 1, ok3);
	per_submit = store_writes(st) - before;
	free((void *)pl[0]);
	ck_assert_uint_gt(per_submit, 4);

	/* the second of three fails half-way through its writes, once */
	pl[0] = packed_submit("12-2A", "b-1", &lens[0]);
	pl[1] = packed_submit("12-3A", "b-2", &lens[1]);
	pl[2] = packed_submit("12-5A", "b-3", &lens[2]);
	ingest_get_stats(in, &st0);
	store_fail_write(st, per_submit + per_submit / 2);
	feed_batch(pl, lens, 3, ok3);
	ingest_get_stats(in, &st1);
	ck_assert_uint_eq(st1.redos - st0.redos, 1);
	ck_assert_uint_eq(st1.commits - st0.commits, 1);
	for (int i = 0; i < 3; i++)
		free((void *)pl[i]);
	/* four tickets, each with its two events (submitted, assigned), once */
	ck_assert_int_eq(store_txn_begin(st, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_last_seq(st, txn, &last), 0);
	store_txn_abort(txn);
	ck_assert_uint_eq(last, 8);
	r = get(4);
	ck_assert_int_eq(r->status, DISPATCH__STATUS__STATUS_OK);
	ck_assert_str_eq(r->ticket->unit, "12-5A");
	ck_assert_uint_eq(r->n_events, 2);
	dispatch__reply__free_unpacked(r, NULL);

	/* a refusal in the middle: no second round */
	{
		Dispatch__Request req = DISPATCH__REQUEST__INIT;
		Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
		tr.ticket_id = 1;
		tr.action = DISPATCH__ACTION__ACTION_CLOSE; /* an assigned ticket cannot close */
		req.version = DISPATCH__WIRE_VERSION__WIRE_VERSION;
		req.request_id = (char *)"b-5";
		req.role = DISPATCH__ROLE__ROLE_DESK;
		req.actor = (char *)"desk";
		req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
		req.transition = &tr;
		lens[1] = dispatch__request__get_packed_size(&req);
		pl[1] = malloc(lens[1]);
		dispatch__request__pack(&req, (uint8_t *)pl[1]);
	}
	pl[0] = packed_submit("12-6A", "b-4", &lens[0]);
	pl[2] = packed_submit("12-7A", "b-6", &lens[2]);
	feed_batch(pl, lens, 3, refused);
	ingest_get_stats(in, &st0);
	ck_assert_uint_eq(st0.redos, st1.redos);
	for (int i = 0; i < 3; i++)
		free((void *)pl[i]);
}
END_TEST

/* A retry (the same request_id) gets the first answer byte for byte,
 * although the store keeps the reported events only once, in the log;
 * also when the retry comes in the same batch as the first. */
START_TEST(a_retry_gets_the_first_answer_byte_for_byte)
{
	const void *pl[2];
	size_t lens[2], rlens[2], l1, l2;
	uint8_t *replies[2], *r1, *r2;
	Dispatch__Reply *r;
	uint64_t last;
	MDB_txn *txn;

	at(MONDAY_10);
	pl[0] = packed_submit("12-1A", "r-1", &lens[0]);
	ck_assert_int_eq(ingest_feed(in, pl[0], lens[0], &r1, &l1), 0);
	ck_assert_int_eq(ingest_feed(in, pl[0], lens[0], &r2, &l2), 0);
	ck_assert_uint_eq(l1, l2);
	ck_assert_int_eq(memcmp(r1, r2, l1), 0);
	r = dispatch__reply__unpack(NULL, l1, r1);
	ck_assert_int_eq(r->status, DISPATCH__STATUS__STATUS_OK);
	ck_assert_uint_eq(r->n_events, 2); /* submitted, assigned */
	ck_assert_ptr_null(r->events[1]->ticket);
	ck_assert_str_eq(r->events[1]->member, "T07");
	dispatch__reply__free_unpacked(r, NULL);
	free(r1), free(r2), free((void *)pl[0]);

	/* twice in one batch */
	pl[0] = pl[1] = packed_submit("12-2A", "r-2", &lens[0]);
	lens[1] = lens[0];
	ck_assert_int_eq(ingest_feed_batch(in, pl, lens, 2, replies, rlens), 0);
	ck_assert_uint_eq(rlens[0], rlens[1]);
	ck_assert_int_eq(memcmp(replies[0], replies[1], rlens[0]), 0);
	free(replies[0]), free(replies[1]), free((void *)pl[0]);
	/* two tickets, two events each: nothing twice */
	ck_assert_int_eq(store_txn_begin(st, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_last_seq(st, txn, &last), 0);
	store_txn_abort(txn);
	ck_assert_uint_eq(last, 4);
}
END_TEST

/* Send req (as desk-1, under request id `id`) twice; the second answer
 * is the first byte for byte. The first, unpacked. */
static Dispatch__Reply *answered_twice_alike(Dispatch__Request *req, const char *id)
{
	uint8_t *first = NULL, *again = NULL, *buf;
	size_t n1 = 0, n2 = 0, len;
	Dispatch__Reply *r;

	req->version = DISPATCH__WIRE_VERSION__WIRE_VERSION;
	req->request_id = (char *)id;
	req->role = DISPATCH__ROLE__ROLE_DESK;
	req->actor = (char *)"desk-1";
	len = dispatch__request__get_packed_size(req);
	buf = malloc(len);
	dispatch__request__pack(req, buf);
	ck_assert_int_eq(ingest_feed(in, buf, len, &first, &n1), 0);
	ck_assert_int_eq(ingest_feed(in, buf, len, &again, &n2), 0);
	free(buf);
	ck_assert_uint_eq(n1, n2);
	ck_assert_msg(memcmp(first, again, n1) == 0, "request %s: the retry's answer differs from the first", id);
	r = dispatch__reply__unpack(NULL, n1, first);
	ck_assert_ptr_nonnull(r);
	free(first);
	free(again);
	return r;
}

/* A paid service's reply (its ticket on hold for the resident's consent)
 * is stored without its events and ticket as a submission's is, and a
 * retry gets it back byte for byte (a_retry_gets_the_first_answer...);
 * so does a retry of the consent, a transition, whose stored reply keeps
 * its ticket. */
START_TEST(a_paid_services_retry_is_answered_byte_for_byte)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT, treq = DISPATCH__REQUEST__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__Reply *r;

	sub.kind = DISPATCH__KIND__KIND_SPECIAL;
	sub.unit = (char *)"12-1A";
	sub.text = (char *)"move a sofa";
	sub.fee_cents = 35000;
	req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
	req.submit = &sub;
	r = answered_twice_alike(&req, "fee-1");
	ck_assert_int_eq(r->status, DISPATCH__STATUS__STATUS_OK);
	ck_assert_int_eq(r->ticket->state, DISPATCH__STATE__STATE_ON_HOLD);
	tr.ticket_id = r->ticket->id;
	dispatch__reply__free_unpacked(r, NULL);

	tr.action = DISPATCH__ACTION__ACTION_CONSENT;
	treq.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
	treq.transition = &tr;
	r = answered_twice_alike(&treq, "consent-1");
	ck_assert_msg(r->status == DISPATCH__STATUS__STATUS_OK, "consent: %s", r->message);
	ck_assert_ptr_nonnull(r->ticket);
	dispatch__reply__free_unpacked(r, NULL);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("procedure");
	TCase *tc = tcase_create("timers");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hold_pauses_and_resume_restarts_with_the_time_left);
	tcase_add_test(tc, a_paid_services_retry_is_answered_byte_for_byte);
	tcase_add_test(tc, the_acknowledge_chain_one_step_per_deadline);
	tcase_add_test(tc, a_complaint_goes_to_the_supervisor_and_needs_cause_and_follow_up);
	tcase_add_test(tc, a_paid_service_waits_for_consent_and_records_the_charge);
	tcase_add_test(tc, complaints_about_different_members_and_about_a_vendor);
	tcase_add_test(tc, explain_says_a_paid_service_waits_for_consent);
	tcase_add_test(tc, low_score_and_failed_inspection_reopen_the_work);
	tcase_add_test(tc, vendor_incidents_are_flagged_reviewed_and_listed_by_vendor);
	tcase_add_test(tc, a_notice_is_an_event_in_the_log);
	tcase_add_test(tc, a_request_that_fails_after_writing_leaves_nothing_behind);
	tcase_add_test(tc, a_retry_gets_the_first_answer_byte_for_byte);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
