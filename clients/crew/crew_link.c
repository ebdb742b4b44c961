/*
 * crew_link: a handheld's connection to dispatchd, shared by the line mode
 * (follow) and the full-screen UI.
 *
 * A member's topic carries a sparse subset of the global seq, so gaps
 * cannot be seen from seqs. Instead the handheld fetches its open
 * assignments again whenever events may have been lost: the SUB socket
 * reconnected (a daemon restart), heartbeats resumed after a silence (a
 * network drop), or the member's own sequence jumped. It also pings as the
 * member every ping interval: the daemon counts a member online only while
 * their handheld is heard from, and forgets that on a restart, so a resync
 * pings at once too.
 */
#include "crew.h"
#include "topic.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

volatile sig_atomic_t crew_stop;

int64_t crew_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int crew_valid_id(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return 0;
	}
	return n > 0 && n <= CREW_ID_MAX;
}

int crew_is_working(const char *member, const Dispatch__Ticket *t)
{
	if (!t || !t->member || strcmp(t->member, member) != 0)
		return 0;
	/* Held work is still the member's: resume brings it back. */
	return (t->state >= DISPATCH__STATE__STATE_ASSIGNED && t->state <= DISPATCH__STATE__STATE_ON_SITE) ||
	       t->state == DISPATCH__STATE__STATE_ON_HOLD;
}

static int passed_over(const char *member, const Dispatch__Ticket *t)
{
	size_t i;

	for (i = 0; i < t->n_passed_over; i++)
		if (t->passed_over[i] && strcmp(t->passed_over[i], member) == 0)
			return 1;
	return 0;
}

int crew_gone_line(const char *member, const Dispatch__Ticket *t, const Dispatch__Event *e, char *buf, size_t size)
{
	char who[80], actor[80], why[400], where[160];
	unsigned long long id;
	Dispatch__Deadline missed = e ? e->deadline : DISPATCH__DEADLINE__DEADLINE_NONE;

	if (!t || crew_is_working(member, t))
		return 0;
	id = (unsigned long long)t->id;
	dc_clean(t->member, who, sizeof who);
	dc_clean(e ? e->actor : NULL, actor, sizeof actor);
	if (*who && strcmp(who, member) != 0)
		snprintf(where, sizeof where, "now with %s", who);
	else if (!*who && t->crew && *t->crew)
		snprintf(where, sizeof where, "now queued for %s", t->crew);
	else
		snprintf(where, sizeof where, "now %s", dc_state_name(t->state));
	if (t->state == DISPATCH__STATE__STATE_CANCELLED) {
		dc_clean(t->cancel_reason, why, sizeof why);
		snprintf(buf, size, "ticket %llu was cancelled%s%s%s%s", id, *actor ? " by " : "", actor,
			 *why ? ": " : "", why);
	} else if (*who && strcmp(who, member) == 0) {
		/* Still named as the member's, but done: resolved or closed for them. */
		snprintf(buf, size, "ticket %llu is now %s%s%s", id, dc_state_name(t->state), *actor ? " by " : "",
			 actor);
	} else if ((e && e->type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED) || (!e && passed_over(member, t))) {
		/* The chain moved it on: the member did not acknowledge in time. */
		if (!missed && passed_over(member, t))
			missed = DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE;
		if (missed)
			snprintf(buf, size, "ticket %llu taken from you (%s deadline missed), %s", id,
				 dc_deadline_name(missed), where);
		else
			snprintf(buf, size, "ticket %llu taken from you, %s", id, where);
	} else if (e && e->type == DISPATCH__EVENT_TYPE__EVENT_ASSIGNED) {
		snprintf(buf, size, "ticket %llu reassigned%s%s, %s", id, *actor ? " by " : "", actor, where);
	} else {
		snprintf(buf, size, "ticket %llu left your list, %s", id, where);
	}
	return 1;
}

/* Turn a failed or refused exchange into err and an exit code. */
static int fail_reply(struct crew_link *l, int rc, Dispatch__Reply **reply)
{
	char msg[400], field[64];

	if (rc < 0) {
		snprintf(l->err, sizeof l->err, "%s", dc_error(l->dc));
		return dc_err_exit(rc);
	}
	dc_clean((*reply)->message, msg, sizeof msg);
	dc_clean((*reply)->field, field, sizeof field);
	if (!*msg)
		snprintf(msg, sizeof msg, "the daemon answered: %s", dc_status_name((*reply)->status));
	if ((*reply)->status == DISPATCH__STATUS__STATUS_INVALID && *field)
		snprintf(l->err, sizeof l->err, "%s (field: %s)", msg, field);
	else
		snprintf(l->err, sizeof l->err, "%s", msg);
	rc = dc_status_exit((*reply)->status);
	dispatch__reply__free_unpacked(*reply, NULL);
	*reply = NULL;
	return rc;
}

int crew_link_fetch(struct crew_link *l, Dispatch__Reply **reply)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__List list = DISPATCH__LIST__INIT;
	int rc;

	list.member = l->member;
	req.body_case = DISPATCH__REQUEST__BODY_LIST;
	req.list = &list;
	rc = dc_request(l->dc, &req, reply);
	if (rc < 0 || (*reply)->status != DISPATCH__STATUS__STATUS_OK)
		return fail_reply(l, rc, reply);
	if ((*reply)->member) {
		const Dispatch__Member *m = (*reply)->member;

		if (!*l->crew) {
			if (!crew_valid_id(m->crew)) {
				snprintf(l->err, sizeof l->err, "the daemon did not say which crew %s belongs to",
					 l->member);
				dispatch__reply__free_unpacked(*reply, NULL);
				*reply = NULL;
				return DC_EXIT_UNAVAILABLE;
			}
			snprintf(l->crew, sizeof l->crew, "%s", m->crew);
		}
		dc_clean(m->name, l->name, sizeof l->name);
		l->duty = m->duty ? (m->duty->on ? 1 : 0) : -1;
		l->on_shift = m->on_shift;
	} else if (!*l->crew) {
		snprintf(l->err, sizeof l->err, "the daemon did not say which crew %s belongs to", l->member);
		dispatch__reply__free_unpacked(*reply, NULL);
		*reply = NULL;
		return DC_EXIT_UNAVAILABLE;
	}
	return 0;
}

int crew_link_subscribe(struct crew_link *l)
{
	char topic[2 * CREW_ID_MAX + 16];
	const char *prefixes[1];
	int rc;

	topic_member(topic, sizeof topic, l->crew, l->member);
	prefixes[0] = topic;
	dc_set_heartbeats(l->dc, 1); /* to notice a lost link, not to show */
	rc = dc_subscribe(l->dc, prefixes, 1, 0);
	if (rc < 0) {
		snprintf(l->err, sizeof l->err, "%s", dc_error(l->dc));
		return dc_err_exit(rc);
	}
	rc = dc_wait_ready(l->dc, CREW_READY_TIMEOUT_MS);
	if (rc < 0 && rc != DC_ERR_INTERRUPTED) {
		/* Not fatal: a handheld keeps listening on a flaky link. */
		snprintf(l->err, sizeof l->err, "%s; listening anyway", dc_error(l->dc));
		l->last_heard = crew_now_ms() - CREW_SILENCE_MS - 1;
		return -1;
	}
	l->last_heard = crew_now_ms();
	return 0;
}

int crew_link_ping(struct crew_link *l)
{
	Dispatch__Reply *r = NULL;
	int rc;

	l->next_ping = crew_now_ms() + l->ping_ms;
	dc_set_tries(l->dc, 1);
	rc = dc_ping(l->dc, &r);
	dc_set_tries(l->dc, DC_DEFAULT_TRIES);
	if (rc < 0 || r->status != DISPATCH__STATUS__STATUS_OK) {
		fail_reply(l, rc, &r);
		return -1;
	}
	dispatch__reply__free_unpacked(r, NULL);
	return 0;
}

int crew_link_up(const struct crew_link *l)
{
	return crew_now_ms() - l->last_heard <= CREW_SILENCE_MS;
}

int crew_link_next(struct crew_link *l, int timeout_ms, int fd, Dispatch__Event **e, const char **resync)
{
	int rc = dc_next_event_fd(l->dc, timeout_ms, fd, e);

	*resync = NULL;
	if (dc_resubscribed(l->dc))
		*resync = "the link to the daemon was re-established";
	if (rc == DC_OK && *e) {
		const Dispatch__Event *ev = *e;

		if (!crew_link_up(l))
			*resync = "heartbeats resumed after a silence";
		l->last_heard = crew_now_ms();
		if (ev->type != DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT && ev->member_seq) {
			if (l->last_member_seq && ev->member_seq > l->last_member_seq + 1)
				*resync = "events addressed to you were missed";
			if (ev->member_seq > l->last_member_seq)
				l->last_member_seq = ev->member_seq;
		}
	}
	return rc;
}

int crew_link_send(struct crew_link *l, Dispatch__Transition *tr, Dispatch__Reply **reply)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	int rc;

	req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
	req.transition = tr;
	rc = dc_request(l->dc, &req, reply);
	if (rc < 0 || (*reply)->status != DISPATCH__STATUS__STATUS_OK)
		return fail_reply(l, rc, reply);
	if (!(*reply)->ticket) {
		snprintf(l->err, sizeof l->err, "the daemon's reply carries no ticket");
		dispatch__reply__free_unpacked(*reply, NULL);
		*reply = NULL;
		return DC_EXIT_UNAVAILABLE;
	}
	return 0;
}

int crew_link_transition(struct crew_link *l, uint64_t id, Dispatch__Action action, const char *note,
			 Dispatch__Reply **reply)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	tr.ticket_id = id;
	tr.action = action;
	if (note && *note)
		tr.note = (char *)note;
	return crew_link_send(l, &tr, reply);
}

int crew_link_duty(struct crew_link *l, int on, Dispatch__Reply **reply)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Duty duty = DISPATCH__DUTY__INIT;
	int rc;

	duty.on = on;
	req.body_case = DISPATCH__REQUEST__BODY_DUTY;
	req.duty = &duty;
	rc = dc_request(l->dc, &req, reply);
	if (rc < 0 || (*reply)->status != DISPATCH__STATUS__STATUS_OK)
		return fail_reply(l, rc, reply);
	l->duty = on;
	return 0;
}
