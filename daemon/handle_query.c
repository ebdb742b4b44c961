/*
 * handle_query: the requests that only read (get, list, replay, ping,
 * crews, vendor incidents). Their answers are collections, bounded in
 * count and bytes so a reply stays one message; their rows in the request
 * table (command.c) weigh them heavy for the batch.
 */
#include "handle.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle_impl.h"
#include "ticket.h"

/* ---- queries --------------------------------------------------------------- */

/* Collects unpacked events into an arena-backed array. */
struct handle_events {
	struct handle_ctx *c;
	Dispatch__Event **v;
	size_t n, cap, bytes, max, max_bytes;
	bool strip_ticket;
	const char *member; /* only events addressed to this member (NULL: all) */
};

static int handle_collect_event(Dispatch__Event *ev, void *arg)
{
	struct handle_events *e = arg;

	arena_defer(e->c->a, handle_free_event, ev);
	if (e->member && (ev->member == NULL || strcmp(ev->member, e->member) != 0))
		return 0;
	if (e->strip_ticket && ev->ticket) {
		dispatch__ticket__free_unpacked(ev->ticket, NULL);
		ev->ticket = NULL;
	}
	if (e->n == e->cap) {
		Dispatch__Event **v = arena_alloc(e->c->a, (e->cap ? e->cap * 2 : 16) * sizeof *v);
		if (e->n)
			memcpy(v, e->v, e->n * sizeof *v);
		e->v = v;
		e->cap = e->cap ? e->cap * 2 : 16;
	}
	e->v[e->n++] = ev;
	e->bytes += dispatch__event__get_packed_size(ev);
	return (e->n >= e->max || e->bytes >= e->max_bytes) ? 1 : 0;
}

int handle_get_check(struct handle_ctx *c)
{
	const Dispatch__Get *g = c->req->get;
	Dispatch__Ticket *t = NULL;

	if (g->ticket_id == 0)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "get.ticket_id", "a ticket id is required");
	if (handle_load(c, g->ticket_id, "get.ticket_id", &t) != 0)
		return -1;
	c->state = t;
	return 0;
}

int handle_get_apply(struct handle_ctx *c)
{
	const Dispatch__Get *g = c->req->get;
	Dispatch__Ticket *t = c->state;
	int rc;

	if (g->history) {
		struct handle_events e = { .c = c, .max = SIZE_MAX, .max_bytes = SIZE_MAX, .strip_ticket = true };
		if ((rc = store_ticket_history(c->store, c->txn, t->id, handle_collect_event, &e)) != 0)
			return handle_store_fail(c, rc);
		c->rep->events = e.v;
		c->rep->n_events = e.n;
	}
	c->rep->ticket = t;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	return 0;
}

struct handle_list {
	struct handle_ctx *c;
	const Dispatch__List *q;
	Dispatch__Ticket **v;
	size_t n, max, bytes;
	int err;
};

static int handle_list_add(struct handle_list *l, Dispatch__Ticket *t)
{
	l->v[l->n++] = t;
	l->bytes += dispatch__ticket__get_packed_size(t);
	/* bounded in bytes too, like a replay page: a reply stays one message */
	return l->n >= l->max || l->bytes >= HANDLE_REPLAY_BYTES ? 1 : 0;
}

static int handle_list_id(uint64_t id, void *arg)
{
	struct handle_list *l = arg;
	Dispatch__Ticket *t = NULL;
	int rc = store_get_ticket(l->c->store, l->c->txn, id, &t);

	if (rc != 0) {
		l->err = rc;
		return -1;
	}
	arena_defer(l->c->a, handle_free_ticket, t);
	if (l->q->crew[0] && strcmp(t->crew, l->q->crew) != 0)
		return 0;
	return handle_list_add(l, t);
}

static int handle_list_any(Dispatch__Ticket *t, void *arg)
{
	struct handle_list *l = arg;

	arena_defer(l->c->a, handle_free_ticket, t);
	if ((l->q->crew[0] && strcmp(t->crew, l->q->crew) != 0) ||
	    (l->q->member[0] && strcmp(t->member, l->q->member) != 0))
		return 0;
	return handle_list_add(l, t);
}

/* A member's state for the reply (list by member, crews overview). */
static int handle_member_info(struct handle_ctx *c, const struct config_crew *crew, const struct config_member *m,
			      Dispatch__Member **out)
{
	Dispatch__Member *pm = arena_alloc(c->a, sizeof *pm);
	bool require = c->cfg->presence->require_online;
	unsigned window = c->cfg->presence->online_window;
	enum roster_duty duty = roster_duty(c->roster, m->id);
	unsigned open = 0;
	int rc;

	if ((rc = store_open_count(c->store, c->txn, m->id, &open)) != 0)
		return handle_store_fail(c, rc);
	dispatch__member__init(pm);
	pm->id = m->id;
	pm->name = m->name;
	pm->crew = crew->id;
	pm->skills = m->skills;
	pm->n_skills = m->skills_count;
	pm->zone = (char *)(m->zone ? m->zone : "");
	pm->open = open;
	pm->on_shift = roster_on_shift(m, &c->rt);
	pm->online = roster_online(c->roster, m->id, c->now, window);
	pm->last_seen_ms = roster_last_seen(c->roster, m->id);
	if (duty != ROSTER_DUTY_CALENDAR) {
		pm->duty = arena_alloc(c->a, sizeof *pm->duty);
		dispatch__duty__init(pm->duty);
		pm->duty->on = duty == ROSTER_DUTY_ON;
	}
	pm->available = roster_working(c->roster, m, &c->rt) && (!require || pm->online);
	pm->supervisor = crew->supervisor && strcmp(crew->supervisor, m->id) == 0;
	*out = pm;
	return 0;
}

int handle_list_check(struct handle_ctx *c)
{
	const Dispatch__List *q = c->req->list;

	if ((q->crew[0] && handle_check_id(c, "list.crew", q->crew, 1, 32)) ||
	    (q->member[0] && handle_check_id(c, "list.member", q->member, 1, 32)))
		return -1;
	if (q->crew[0] && config_crew(c->cfg, q->crew) == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "list.crew", "no such crew %s", q->crew);
	if (q->member[0] && config_member(c->cfg, q->member, NULL) == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "list.member", "no such member %s in %s",
				   q->member, c->cfg->estate);
	return 0;
}

int handle_list_apply(struct handle_ctx *c)
{
	const Dispatch__List *q = c->req->list;
	struct handle_list l = { .c = c, .q = q };
	int rc;

	if (q->member[0]) {
		const struct config_crew *crew = NULL;
		const struct config_member *m = config_member(c->cfg, q->member, &crew);
		if (handle_member_info(c, crew, m, &c->rep->member) != 0)
			return -1;
	}
	l.max = q->limit ? (q->limit < HANDLE_LIST_MAX ? q->limit : HANDLE_LIST_MAX) : HANDLE_LIST_DEFAULT;
	l.v = arena_alloc(c->a, l.max * sizeof *l.v);
	if (q->include_closed)
		rc = store_tickets(c->store, c->txn, handle_list_any, &l);
	else
		rc = store_open_ids(c->store, c->txn, q->member[0] ? NULL : (q->crew[0] ? q->crew : NULL),
				    q->member[0] ? q->member : NULL, handle_list_id, &l);
	if (rc != 0 || l.err)
		return handle_store_fail(c, l.err ? l.err : rc);
	c->rep->tickets = l.v;
	c->rep->n_tickets = l.n;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	return 0;
}

int handle_replay_apply(struct handle_ctx *c)
{
	const Dispatch__Replay *r = c->req->replay;
	struct handle_events e = { .c = c, .max_bytes = HANDLE_REPLAY_BYTES, .member = c->scope_member };
	int rc;

	e.max = r->limit ? (r->limit < HANDLE_REPLAY_MAX ? r->limit : HANDLE_REPLAY_MAX) : HANDLE_REPLAY_DEFAULT;
	if ((rc = store_events_from(c->store, c->txn, r->from_seq ? r->from_seq : 1, handle_collect_event, &e)) != 0)
		return handle_store_fail(c, rc);
	if ((rc = store_last_seq(c->store, c->txn, &c->rep->last_seq)) != 0)
		return handle_store_fail(c, rc);
	c->rep->events = e.v;
	c->rep->n_events = e.n;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	return 0;
}

int handle_ping_apply(struct handle_ctx *c)
{
	int rc;

	if ((rc = store_last_seq(c->store, c->txn, &c->rep->last_seq)) != 0)
		return handle_store_fail(c, rc);
	c->rep->estate = c->cfg->estate;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	c->rep->message = (char *)"dispatchd is up";
	return 0;
}

struct handle_queued {
	struct handle_ctx *c;
	unsigned n;
	int err;
};

static int handle_count_queued(uint64_t id, void *arg)
{
	struct handle_queued *q = arg;
	Dispatch__Ticket *t = NULL;
	int rc = store_get_ticket(q->c->store, q->c->txn, id, &t);

	if (rc != 0) {
		q->err = rc;
		return -1;
	}
	if (t->state == DISPATCH__STATE__STATE_NEW && t->member[0] == '\0')
		q->n++;
	dispatch__ticket__free_unpacked(t, NULL);
	return 0;
}

int handle_crews_check(struct handle_ctx *c)
{
	const Dispatch__Crews *q = c->req->crews;

	if (q->crew[0] && handle_check_id(c, "crews.crew", q->crew, 1, 32))
		return -1;
	if (q->crew[0] && config_crew(c->cfg, q->crew) == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "crews.crew", "no such crew %s", q->crew);
	return 0;
}

int handle_crews_apply(struct handle_ctx *c)
{
	const Dispatch__Crews *q = c->req->crews;
	unsigned n = 0;

	c->rep->crews = arena_alloc(c->a, c->cfg->crews_count * sizeof *c->rep->crews);
	for (unsigned i = 0; i < c->cfg->crews_count; i++) {
		const struct config_crew *crew = &c->cfg->crews[i];
		struct handle_queued queued = { .c = c };
		Dispatch__CrewInfo *ci;
		int rc;
		if (q->crew[0] && strcmp(q->crew, crew->id) != 0)
			continue;
		ci = arena_alloc(c->a, sizeof *ci);
		dispatch__crew_info__init(ci);
		ci->id = crew->id;
		ci->name = crew->name;
		ci->supervisor = (char *)(crew->supervisor ? crew->supervisor : "");
		ci->outsourced = crew->outsourced;
		ci->phone = (char *)(crew->phone ? crew->phone : "");
		ci->members = arena_alloc(c->a, crew->members_count * sizeof *ci->members);
		for (unsigned j = 0; j < crew->members_count; j++)
			if (handle_member_info(c, crew, &crew->members[j], &ci->members[ci->n_members++]) != 0)
				return -1;
		rc = store_open_ids(c->store, c->txn, crew->id, NULL, handle_count_queued, &queued);
		if (rc != 0 || queued.err)
			return handle_store_fail(c, queued.err ? queued.err : rc);
		ci->queued = queued.n;
		c->rep->crews[n++] = ci;
	}
	c->rep->n_crews = n;
	c->rep->estate = c->cfg->estate;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	return 0;
}

struct handle_incidents {
	struct handle_ctx *c;
	const Dispatch__VendorIncidents *q;
	Dispatch__Ticket **v;
	size_t n, bytes;
	int err;
};

static int handle_incident_id(uint64_t id, void *arg)
{
	struct handle_incidents *h = arg;
	Dispatch__Ticket *t = NULL;
	int rc = store_get_ticket(h->c->store, h->c->txn, id, &t);

	if (rc != 0) {
		h->err = rc;
		return -1;
	}
	arena_defer(h->c->a, handle_free_ticket, t);
	if (h->q->unreviewed_only && t->vendor_review[0])
		return 0;
	h->v[h->n++] = t;
	h->bytes += dispatch__ticket__get_packed_size(t);
	return h->n >= HANDLE_LIST_MAX || h->bytes >= HANDLE_REPLAY_BYTES ? 1 : 0;
}

static int handle_incident_entry(const char *vendor, uint64_t id, void *arg)
{
	(void)vendor;
	return handle_incident_id(id, arg);
}

/* Clause 4.5: vendor incidents, for review, from their own index. */
int handle_vendor_incidents_check(struct handle_ctx *c)
{
	const Dispatch__VendorIncidents *q = c->req->vendor_incidents;

	if (q->vendor[0] && handle_check_id(c, "vendor_incidents.vendor", q->vendor, 1, 32))
		return -1;
	return 0;
}

int handle_vendor_incidents_apply(struct handle_ctx *c)
{
	const Dispatch__VendorIncidents *q = c->req->vendor_incidents;
	struct handle_incidents h = { .c = c, .q = q };
	int rc;

	/* No check against the configuration: a vendor since dropped from it
	 * keeps its record. */
	h.v = arena_alloc(c->a, HANDLE_LIST_MAX * sizeof *h.v);
	/* every vendor's, in vendor order, or one vendor's */
	rc = q->vendor[0] ? store_vendor_incident_ids(c->store, c->txn, q->vendor, handle_incident_id, &h)
			  : store_each_index(c->store, c->txn, STORE_VENDOR_INCIDENTS, handle_incident_entry, &h);
	if (rc != 0 || h.err)
		return handle_store_fail(c, h.err ? h.err : rc);
	c->rep->tickets = h.v;
	c->rep->n_tickets = h.n;
	return handle_ok(c, "%zu vendor incident%s", h.n, h.n == 1 ? "" : "s");
}
