/*
 * handle_resident: the residents' pages (issue 17):
 *
 *  - a submission's OK reply carries the resident's token (resident.h) and,
 *    when the estate configures residents.page_url, the page's address; a
 *    get's carries them to the desk, supervisors and admin (never to crew,
 *    monitors or quality control), so the desk can read the link out again;
 *  - ResidentView: what a resident may see of the one ticket a token
 *    names: its kind, state, unit and text, the crew's name (the member's
 *    only if residents.show_member_name), the hold reason, the steps with
 *    their times, whether it may be rated, the last rating, the estate
 *    notices in force for its building, the text of the outage it is
 *    attached to and the token of the corrected report that replaced it.
 *    Never a phone, the reporter's name, a member id, a staff note,
 *    another ticket, a routing reason;
 *  - ResidentRate: the resident's rating, recorded through the very
 *    transition the desk's follow-up takes (handle_transition_*: the same
 *    table row, EVENT_FOLLOWED_UP, the same follow_up_threshold reopening
 *    it), with actor "resident" and role resident; accepted once per
 *    resolution.
 *
 * A token that is wrong in any way, or names a ticket no longer kept, is
 * one answer: NOT_FOUND, the same words, no id.
 */
#include "handle.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle_impl.h"
#include "notices.h"
#include "resident.h"

#define RESIDENT_STEPS_MAX 200  /* steps a view carries: the first, then the latest */
#define RESIDENT_NOTICES_MAX 32 /* notices a view carries */
#define RESIDENT_REMARK_MAX 1000
#define RESIDENT_TOKEN_FIELD_MAX 128
#define RESIDENT_ACTOR "resident"

#define S(x) DISPATCH__STATE__STATE_##x
#define E(x) DISPATCH__EVENT_TYPE__EVENT_##x

static const char resident_unknown[] =
	"no resident's page has this token: check the link given when the report was made";

/* ---- the token on the submission's reply --------------------------------- */

/* The reply's resident_token and resident_url for the ticket it carries;
 * create: make the store's secret if there is none yet (a write). */
static int handle_resident_link(struct handle_ctx *c, bool create)
{
	uint8_t key[RESIDENT_SECRET_LEN];
	char *token;
	int rc;

	if (c->rep->ticket == NULL || c->rep->ticket->id == 0)
		return 0;
	rc = resident_secret(c->store, c->txn, create, key);
	if (rc == STORE_NOTFOUND && !create)
		return 0; /* no submission made one: no ticket has a page */
	if (rc != 0)
		return handle_store_fail(c, rc);
	token = arena_alloc(c->a, RESIDENT_TOKEN_LEN + 1);
	resident_token(key, c->rep->ticket->id, token);
	sodium_memzero(key, sizeof key);
	c->rep->resident_token = token;
	if (c->cfg->residents && c->cfg->residents->page_url) {
		size_t n = strlen(c->cfg->residents->page_url) + 3 + RESIDENT_TOKEN_LEN + 1;
		char *url = arena_alloc(c->a, n);
		snprintf(url, n, "%s/r/%s", c->cfg->residents->page_url, token);
		c->rep->resident_url = url;
	}
	return 0;
}

int handle_submit_resident_apply(struct handle_ctx *c)
{
	if (handle_submit_apply(c) != 0)
		return -1;
	return handle_resident_link(c, true);
}

/* The desk may read the link out again (dispatch-desk show); the roles
 * that do not deal with residents never see it: a crew member with it
 * could rate their own work, and a monitor's screen is a wall's. */
int handle_get_resident_apply(struct handle_ctx *c)
{
	if (handle_get_apply(c) != 0)
		return -1;
	if (c->role != DISPATCH__ROLE__ROLE_DESK && c->role != DISPATCH__ROLE__ROLE_SUPERVISOR &&
	    c->role != DISPATCH__ROLE__ROLE_ADMIN)
		return 0;
	return handle_resident_link(c, false);
}

/* A notice is kept with the notices in force (notices.h) in its own
 * transaction, so the list in meta and the log never disagree. */
int handle_notice_resident_apply(struct handle_ctx *c)
{
	int rc;

	if (handle_notice_apply(c) != 0)
		return -1;
	if (c->rep->n_events == 0) /* handle_notice_apply reports its event */
		return handle_fail(c, DISPATCH__STATUS__STATUS_INTERNAL, NULL, "the notice was not recorded");
	if ((rc = notices_publish(c->store, c->txn, c->rep->events[c->rep->n_events - 1], c->now)) != 0)
		return handle_store_fail(c, rc);
	return 0;
}

/* The token of ticket id into the arena ("" when no secret is made). */
static int handle_resident_token_of(struct handle_ctx *c, uint64_t id, char **out)
{
	uint8_t key[RESIDENT_SECRET_LEN];
	int rc = resident_secret(c->store, c->txn, false, key);

	*out = (char *)"";
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return handle_store_fail(c, rc);
	*out = arena_alloc(c->a, RESIDENT_TOKEN_LEN + 1);
	resident_token(key, id, *out);
	sodium_memzero(key, sizeof key);
	return 0;
}

/* ---- finding the ticket of a token --------------------------------------- */

static int handle_resident_find(struct handle_ctx *c, const char *field, const char *token, Dispatch__Ticket **out)
{
	uint8_t key[RESIDENT_SECRET_LEN];
	uint64_t id = 0;
	bool ok;
	int rc;

	*out = NULL;
	if (token == NULL || token[0] == '\0')
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field, "%s is required (the resident's token)",
				   field);
	if (strlen(token) > RESIDENT_TOKEN_FIELD_MAX)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field, "%s is too long (at most %d bytes)",
				   field, RESIDENT_TOKEN_FIELD_MAX);
	rc = resident_secret(c->store, c->txn, false, key);
	if (rc == STORE_NOTFOUND) /* no token was ever given */
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, field, "%s", resident_unknown);
	if (rc != 0)
		return handle_store_fail(c, rc);
	ok = resident_token_check(key, token, &id);
	sodium_memzero(key, sizeof key);
	if (!ok)
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, field, "%s", resident_unknown);
	rc = store_get_ticket(c->store, c->txn, id, out);
	if (rc == STORE_NOTFOUND) /* purged by the retention */
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, field, "%s", resident_unknown);
	if (rc != 0)
		return handle_store_fail(c, rc);
	arena_defer(c->a, handle_free_ticket, *out);
	return 0;
}

/* ---- what the resident sees ---------------------------------------------- */

static bool handle_resident_awaits_rating(const Dispatch__Ticket *t)
{
	return (t->state == S(RESOLVED) || t->state == S(CLOSED)) &&
	       (t->followed_up_ms == 0 || t->followed_up_ms < t->resolved_ms);
}

static const char *handle_resident_crew_name(const struct handle_ctx *c, const char *crew)
{
	const struct config_crew *cr;

	if (crew == NULL || crew[0] == '\0')
		return "";
	cr = config_crew(c->cfg, crew);
	return cr && cr->name ? cr->name : crew;
}

static const char *handle_resident_member_name(const struct handle_ctx *c, const char *member)
{
	const struct config_member *m;

	if (!c->cfg->residents || !c->cfg->residents->show_member_name || member == NULL || member[0] == '\0')
		return "";
	m = config_member(c->cfg, member, NULL);
	return m && m->name ? m->name : "";
}

/* Which events are steps of the resident's page: what happened to their
 * report, not the staff's bookkeeping (escalations, links, inspections,
 * vendor flags). */
static bool handle_resident_step_type(Dispatch__EventType type)
{
	switch (type) {
	case E(SUBMITTED):
	case E(ASSIGNED):
	case E(QUEUED):
	case E(ACCEPTED):
	case E(ON_SITE):
	case E(ON_HOLD):
	case E(RESUMED):
	case E(RESOLVED):
	case E(FOLLOWED_UP):
	case E(REOPENED):
	case E(LINKED):
	case E(CONSENTED):
	case E(CLOSED):
	case E(CANCELLED): return true;
	default: return false;
	}
}

struct handle_resident_steps {
	struct handle_ctx *c;
	Dispatch__ResidentStep **v; /* the first step, then a ring of the latest */
	size_t n;                   /* steps seen */
};

static int handle_resident_step_cb(Dispatch__Event *ev, void *arg)
{
	struct handle_resident_steps *st = arg;
	struct handle_ctx *c = st->c;
	Dispatch__ResidentStep *s;
	size_t slot;

	if (!handle_resident_step_type(ev->type)) {
		dispatch__event__free_unpacked(ev, NULL);
		return 0;
	}
	s = arena_alloc(c->a, sizeof *s);
	dispatch__resident_step__init(s);
	s->type = ev->type;
	s->time_ms = ev->time_ms;
	s->state = ev->to_state;
	if (ev->type == E(ASSIGNED) || ev->type == E(QUEUED)) {
		s->crew_name = arena_strdup(c->a, handle_resident_crew_name(c, ev->crew));
		if (ev->type == E(ASSIGNED))
			s->member_name = arena_strdup(c->a, handle_resident_member_name(c, ev->member));
	}
	if (ev->type == E(ON_HOLD) && ev->ticket)
		s->hold_reason = ev->ticket->hold_reason;
	if (ev->type == E(FOLLOWED_UP)) {
		s->satisfaction = ev->ticket ? ev->ticket->satisfaction : 0;
		s->by_resident = ev->actor_role == DISPATCH__ROLE__ROLE_RESIDENT;
	}
	dispatch__event__free_unpacked(ev, NULL);
	/* slot 0 keeps the report's receipt; 1.. a ring of the latest */
	slot = st->n < RESIDENT_STEPS_MAX ? st->n : 1 + (st->n - 1) % (RESIDENT_STEPS_MAX - 1);
	st->v[slot] = s;
	st->n++;
	return 0;
}

static int handle_resident_view(struct handle_ctx *c, const Dispatch__Ticket *t, Dispatch__ResidentTicket **out)
{
	Dispatch__ResidentTicket *r = arena_alloc(c->a, sizeof *r);
	struct handle_resident_steps st = { .c = c };
	const Dispatch__Notice *nv[RESIDENT_NOTICES_MAX];
	size_t kept;
	int rc;

	dispatch__resident_ticket__init(r);
	r->id = t->id;
	r->kind = t->kind;
	r->state = t->state;
	r->unit = t->unit;
	r->text = t->text;
	r->created_ms = t->created_ms;
	r->fee_cents = t->fee_cents;
	r->crew_name = arena_strdup(c->a, handle_resident_crew_name(c, t->crew));
	r->member_name = arena_strdup(c->a, handle_resident_member_name(c, t->member));
	if (t->state == S(ON_HOLD))
		r->hold_reason = t->hold_reason;
	r->can_rate = handle_resident_awaits_rating(t);
	r->satisfaction = t->satisfaction;
	r->last_seq = t->last_seq;

	st.v = arena_alloc(c->a, RESIDENT_STEPS_MAX * sizeof *st.v);
	if ((rc = store_ticket_history(c->store, c->txn, t->id, handle_resident_step_cb, &st)) != 0)
		return handle_store_fail(c, rc);
	kept = st.n < RESIDENT_STEPS_MAX ? st.n : RESIDENT_STEPS_MAX;
	r->steps = arena_alloc(c->a, (kept ? kept : 1) * sizeof *r->steps);
	if (st.n <= RESIDENT_STEPS_MAX) {
		memcpy(r->steps, st.v, kept * sizeof *r->steps);
	} else {
		/* the receipt, then the ring from its oldest entry on */
		size_t oldest = 1 + (st.n - 1) % (RESIDENT_STEPS_MAX - 1);
		r->steps[0] = st.v[0];
		for (size_t i = 1; i < kept; i++)
			r->steps[i] = st.v[1 + (oldest - 1 + i - 1) % (RESIDENT_STEPS_MAX - 1)];
	}
	r->n_steps = kept;

	/* a corrected report took its place: the resident follows that one */
	if (t->replaced_by && handle_resident_token_of(c, t->replaced_by, &r->replaced_by_token) != 0)
		return -1;
	if (t->outage_id) {
		Dispatch__Outage *o = NULL;
		rc = store_get_outage(c->store, c->txn, t->outage_id, &o);
		if (rc == 0) {
			arena_defer(c->a, handle_free_outage, o);
			if (!o->ended && (o->to_ms == 0 || o->to_ms > c->now))
				r->outage_text = o->text;
		} else if (rc != STORE_NOTFOUND) {
			return handle_store_fail(c, rc);
		}
	}
	r->n_notices = notices_for(c->notices, t->building, c->now, nv, RESIDENT_NOTICES_MAX);
	if (r->n_notices) {
		r->notices = arena_alloc(c->a, r->n_notices * sizeof *r->notices);
		for (size_t i = 0; i < r->n_notices; i++)
			r->notices[i] = (Dispatch__Notice *)nv[i];
	}
	*out = r;
	return 0;
}

int handle_resident_view_check(struct handle_ctx *c)
{
	Dispatch__Ticket *t;

	if (handle_resident_find(c, "resident_view.token", c->req->resident_view->token, &t) != 0)
		return -1;
	c->state = t;
	return 0;
}

int handle_resident_view_apply(struct handle_ctx *c)
{
	if (handle_resident_view(c, c->state, &c->rep->resident) != 0)
		return -1;
	return handle_ok(c, "ticket %llu", (unsigned long long)c->rep->resident->id);
}

/* ---- the resident's rating ------------------------------------------------- */

/* The desk's follow-up, as the resident gives it: a transition request of
 * our own making, checked and applied by the transition's own steps. */
struct handle_resident_rate {
	Dispatch__Request req;
	Dispatch__Transition tr;
	void *transition_state; /* handle_transition_check's, for its apply */
	Dispatch__Ticket *t;
	uint32_t reopens; /* before the rating */
};

/* Run step (the transition's check or apply) as the resident. */
static int handle_resident_as_resident(struct handle_ctx *c, struct handle_resident_rate *st, handle_fn *step)
{
	const Dispatch__Request *req = c->req;
	Dispatch__Role role = c->role;
	const char *actor = c->actor;
	void *state = c->state;
	int rc;

	c->req = &st->req;
	c->role = DISPATCH__ROLE__ROLE_RESIDENT;
	c->actor = RESIDENT_ACTOR;
	c->state = st->transition_state;
	rc = step(c);
	st->transition_state = c->state;
	c->req = req;
	c->role = role;
	c->actor = actor;
	c->state = state;
	return rc;
}

int handle_resident_rate_check(struct handle_ctx *c)
{
	const Dispatch__ResidentRate *rr = c->req->resident_rate;
	struct handle_resident_rate *st = arena_alloc(c->a, sizeof *st);
	Dispatch__Ticket *t;

	if (handle_resident_find(c, "resident_rate.token", rr->token, &t) != 0)
		return -1;
	if (rr->satisfaction < 1 || rr->satisfaction > 5)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "resident_rate.satisfaction",
				   "a rating is a score from 1 (very dissatisfied) to 5 (very satisfied), not %u",
				   rr->satisfaction);
	if (handle_check_text(c, "resident_rate.remark", rr->remark, 0, RESIDENT_REMARK_MAX))
		return -1;
	if (t->state == S(CANCELLED))
		return handle_fail(c, DISPATCH__STATUS__STATUS_CONFLICT, NULL,
				   "this report was cancelled: there is no work to rate");
	if (t->state != S(RESOLVED) && t->state != S(CLOSED))
		return handle_fail(c, DISPATCH__STATUS__STATUS_CONFLICT, NULL,
				   "not resolved yet: the work can be rated once it is done");
	if (!handle_resident_awaits_rating(t))
		return handle_fail(c, DISPATCH__STATUS__STATUS_CONFLICT, NULL,
				   "already rated: a rating of this work is recorded (%u of 5)", t->satisfaction);
	dispatch__request__init(&st->req);
	dispatch__transition__init(&st->tr);
	st->req.version = c->req->version;
	st->req.request_id = c->req->request_id;
	st->req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
	st->req.transition = &st->tr;
	st->tr.ticket_id = t->id;
	st->tr.action = DISPATCH__ACTION__ACTION_FOLLOW_UP;
	st->tr.satisfaction = rr->satisfaction;
	st->tr.note = rr->remark;
	st->reopens = t->reopen_count;
	if (handle_resident_as_resident(c, st, handle_transition_check) != 0)
		return -1;
	c->state = st;
	return 0;
}

int handle_resident_rate_apply(struct handle_ctx *c)
{
	struct handle_resident_rate *st = c->state;
	Dispatch__Ticket *t;
	unsigned score = st->tr.satisfaction;

	if (handle_resident_as_resident(c, st, handle_transition_apply) != 0)
		return -1;
	/* The transition's reply is staff's: the whole ticket and its events
	 * (members, notes, routing). The resident gets their view instead. */
	t = c->rep->ticket;
	c->rep->ticket = NULL;
	c->rep->events = NULL;
	c->rep->n_events = 0;
	if (t == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INTERNAL, NULL, "the rating was not recorded");
	if (handle_resident_view(c, t, &c->rep->resident) != 0)
		return -1;
	if (t->reopen_count != st->reopens)
		return handle_ok(
			c, "thank you: your rating (%u of 5) is recorded, and the work will be looked at again", score);
	return handle_ok(c, "thank you: your rating (%u of 5) is recorded", score);
}
