/*
 * handle_estate: estate-wide requests, not about one ticket: a member's
 * duty (and offering the crew's queue again, shared with ingest and
 * deadline through handle_drain_queue), outages that tickets attach to,
 * and notices to every subscriber.
 */
#include "handle.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle_impl.h"
#include "route.h"

/* ---- roster ---------------------------------------------------------------- */

struct handle_ids {
	uint64_t v[HANDLE_DRAIN_MAX];
	size_t n;
};

static int handle_collect_id(uint64_t id, void *arg)
{
	struct handle_ids *ids = arg;
	ids->v[ids->n++] = id;
	return ids->n >= HANDLE_DRAIN_MAX ? 1 : 0;
}

int handle_drain_queue(struct handle_ctx *c, const struct config_crew *crew)
{
	struct handle_ids ids = { .n = 0 };
	int rc;

	/* Collect first: assigning rewrites the index being walked. */
	if ((rc = store_open_ids(c->store, c->txn, crew->id, NULL, handle_collect_id, &ids)) != 0)
		return handle_store_fail(c, rc);
	for (size_t i = 0; i < ids.n; i++) {
		struct route_assignment a;
		const struct config_rule *rule;
		Dispatch__Ticket *t = NULL;
		if ((rc = store_get_ticket(c->store, c->txn, ids.v[i], &t)) != 0)
			return handle_store_fail(c, rc);
		arena_defer(c->a, handle_free_ticket, t);
		if (t->state != DISPATCH__STATE__STATE_NEW || t->member[0] || t->linked_to != 0 ||
		    (rule = handle_rule_of(c->cfg, t)) == NULL)
			continue;
		if ((rc = route_member(c->cfg, c->store, c->txn, c->roster, &c->rt, t, rule, crew, true, &a)) != 0)
			return handle_store_fail(c, rc);
		if (a.member == NULL)
			break; /* still nobody: the rest of the queue waits too */
		if (handle_assign(c, t, &a) != 0)
			return -1;
	}
	return 0;
}

int handle_duty_check(struct handle_ctx *c)
{
	if (c->role != DISPATCH__ROLE__ROLE_CREW || config_member(c->cfg, c->actor, NULL) == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_FORBIDDEN, "actor",
				   "only a crew member's handheld reports duty, for that member");
	return 0;
}

int handle_duty_apply(struct handle_ctx *c)
{
	const struct config_crew *crew = NULL;
	const struct config_member *m = config_member(c->cfg, c->actor, &crew);
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	int rc;

	if ((rc = store_put_duty(c->store, c->txn, m->id, c->req->duty->on)) != 0)
		return handle_store_fail(c, rc);
	ev.type = DISPATCH__EVENT_TYPE__EVENT_DUTY;
	ev.actor = (char *)c->actor;
	ev.actor_role = c->role;
	ev.crew = crew->id;
	ev.member = m->id;
	ev.on_duty = c->req->duty->on;
	ev.time_ms = c->now;
	if (handle_append(c, &ev) != 0)
		return -1;
	/* The roster follows the store only once this commits; a failed commit
	 * leaves the duty flag set in memory until the member reports again,
	 * which errs on the side of what the member asked. */
	roster_set_duty(c->roster, m->id, c->req->duty->on ? ROSTER_DUTY_ON : ROSTER_DUTY_OFF);
	if (c->req->duty->on && handle_drain_queue(c, crew) != 0)
		return -1;
	return handle_ok(c, "%s is now %s duty", m->id, c->req->duty->on ? "on" : "off");
}

/* ---- outages ----------------------------------------------------------------- */

static int handle_outage_event(struct handle_ctx *c, Dispatch__Outage *o, const char *note)
{
	Dispatch__Event ev = DISPATCH__EVENT__INIT;

	ev.type = DISPATCH__EVENT_TYPE__EVENT_OUTAGE;
	ev.actor = (char *)c->actor;
	ev.actor_role = c->role;
	ev.time_ms = c->now;
	ev.outage = o;
	ev.note = (char *)note;
	if (handle_append(c, &ev) != 0)
		return -1;
	return 0;
}

static void handle_reply_outage(struct handle_ctx *c, Dispatch__Outage *o)
{
	c->rep->outages = arena_alloc(c->a, sizeof *c->rep->outages);
	c->rep->outages[0] = o;
	c->rep->n_outages = 1;
}

int handle_declare_outage_check(struct handle_ctx *c)
{
	const Dispatch__Outage *in = c->req->declare_outage->outage;
	int64_t from_ms;

	if (in == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "declare_outage.outage",
				   "the outage is missing");
	if (handle_check_text(c, "outage.text", in->text, 1, 500))
		return -1;
	if (in->n_buildings + in->n_zones + in->n_units == 0)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "outage.buildings",
				   "say where the outage is: buildings, zones or unit patterns");
	if (in->n_buildings > 100 || in->n_zones > 100 || in->n_units > 100 || in->n_kinds > 16 ||
	    in->n_categories > 100)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "outage",
				   "too many entries in the outage's lists");
	for (size_t i = 0; i < in->n_buildings; i++)
		if (handle_check_id(c, "outage.buildings", in->buildings[i], 1, 32))
			return -1;
	for (size_t i = 0; i < in->n_zones; i++)
		if (handle_check_id(c, "outage.zones", in->zones[i], 1, 32))
			return -1;
	for (size_t i = 0; i < in->n_units; i++)
		if (handle_check_id(c, "outage.units", in->units[i], 1, 32))
			return -1;
	for (size_t i = 0; i < in->n_kinds; i++)
		if (handle_check_enum(c, "outage.kinds", in->kinds[i], DISPATCH__KIND__KIND_REPAIR,
				      DISPATCH__KIND__KIND_SUGGESTION,
				      "repair, complaint, special, security, cleaning, inquiry or suggestion"))
			return -1;
	for (size_t i = 0; i < in->n_categories; i++)
		if (handle_check_text(c, "outage.categories", in->categories[i], 1, 64))
			return -1;
	from_ms = in->from_ms ? in->from_ms : c->now;
	if (in->to_ms <= from_ms || in->to_ms <= c->now)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "outage.to_ms",
				   "the outage must end after it starts and in the future");
	return 0;
}

int handle_declare_outage_apply(struct handle_ctx *c)
{
	const Dispatch__Outage *in = c->req->declare_outage->outage;
	Dispatch__Outage o = DISPATCH__OUTAGE__INIT, *owned;
	uint8_t *buf;
	size_t len;
	int rc;

	o = *in;
	o.from_ms = in->from_ms ? in->from_ms : c->now;
	o.to_ms = in->to_ms;
	o.ended = false;
	o.n_tickets = 0;
	o.tickets = NULL;
	o.declared_by = (char *)c->actor;
	if ((rc = store_next_outage_id(c->store, c->txn, &o.id)) != 0)
		return handle_store_fail(c, rc);
	if ((rc = store_put_outage(c->store, c->txn, &o)) != 0)
		return handle_store_fail(c, rc);
	/* an owned copy for the reply and the event */
	len = dispatch__outage__get_packed_size(&o);
	buf = arena_alloc(c->a, len ? len : 1);
	dispatch__outage__pack(&o, buf);
	owned = dispatch__outage__unpack(NULL, len, buf);
	if (owned == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INTERNAL, NULL, "cannot copy the outage");
	arena_defer(c->a, handle_free_outage, owned);
	if (handle_outage_event(c, owned, "outage declared") != 0)
		return -1;
	handle_reply_outage(c, owned);
	return handle_ok(c, "outage %llu declared; matching reports will get its text and no crew is sent",
			 (unsigned long long)o.id);
}

int handle_end_outage_check(struct handle_ctx *c)
{
	const Dispatch__EndOutage *e = c->req->end_outage;
	Dispatch__Outage *o = NULL;
	int rc;

	if (handle_check_text(c, "end_outage.note", e->note, 0, 500))
		return -1;
	rc = store_get_outage(c->store, c->txn, e->outage_id, &o);
	if (rc == STORE_NOTFOUND)
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "end_outage.outage_id", "no such outage %llu",
				   (unsigned long long)e->outage_id);
	if (rc != 0)
		return handle_store_fail(c, rc);
	arena_defer(c->a, handle_free_outage, o);
	if (o->ended)
		return handle_fail(c, DISPATCH__STATUS__STATUS_CONFLICT, NULL, "outage %llu has already ended",
				   (unsigned long long)o->id);
	c->state = o;
	return 0;
}

int handle_end_outage_apply(struct handle_ctx *c)
{
	const Dispatch__EndOutage *e = c->req->end_outage;
	Dispatch__Outage *o = c->state;
	unsigned closed = 0;
	char note[600];
	int rc;

	o->ended = true;
	if (o->to_ms > c->now)
		o->to_ms = c->now;
	snprintf(note, sizeof note, "outage %llu ended%s%s", (unsigned long long)o->id, e->note[0] ? ": " : "",
		 e->note);
	for (size_t i = 0; i < o->n_tickets; i++) {
		Dispatch__Ticket *t = NULL;
		Dispatch__Event ev;
		if ((rc = store_get_ticket(c->store, c->txn, o->tickets[i], &t)) != 0) {
			if (rc == STORE_NOTFOUND)
				continue;
			return handle_store_fail(c, rc);
		}
		arena_defer(c->a, handle_free_ticket, t);
		if (t->state == DISPATCH__STATE__STATE_CLOSED || t->state == DISPATCH__STATE__STATE_CANCELLED)
			continue;
		dispatch__event__init(&ev);
		ev.type = DISPATCH__EVENT_TYPE__EVENT_CLOSED;
		ev.actor = (char *)c->actor;
		ev.actor_role = c->role;
		ev.note = arena_strdup(c->a, note);
		if (handle_record(c, t, DISPATCH__STATE__STATE_CLOSED, &ev, NULL, NULL) != 0)
			return -1;
		closed++;
	}
	if ((rc = store_put_outage(c->store, c->txn, o)) != 0)
		return handle_store_fail(c, rc);
	if (handle_outage_event(c, o, note) != 0)
		return -1;
	handle_reply_outage(c, o);
	return handle_ok(c, "outage %llu ended; %u attached report(s) closed", (unsigned long long)o->id, closed);
}

struct handle_outages {
	struct handle_ctx *c;
	bool include_ended;
	Dispatch__Outage **v;
	size_t n, cap;
};

static int handle_list_outage_fn(Dispatch__Outage *o, void *arg)
{
	struct handle_outages *l = arg;

	arena_defer(l->c->a, handle_free_outage, o);
	if (o->ended && !l->include_ended)
		return 0;
	if (l->n == l->cap) {
		Dispatch__Outage **v = arena_alloc(l->c->a, (l->cap ? l->cap * 2 : 16) * sizeof *v);
		if (l->n)
			memcpy(v, l->v, l->n * sizeof *v);
		l->v = v;
		l->cap = l->cap ? l->cap * 2 : 16;
	}
	l->v[l->n++] = o;
	return l->n >= HANDLE_LIST_MAX ? 1 : 0;
}

int handle_list_outages_apply(struct handle_ctx *c)
{
	struct handle_outages l = { .c = c, .include_ended = c->req->list_outages->include_ended };
	int rc;

	if ((rc = store_outages(c->store, c->txn, handle_list_outage_fn, &l)) != 0)
		return handle_store_fail(c, rc);
	c->rep->outages = l.v;
	c->rep->n_outages = l.n;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	return 0;
}

/* ---- notices and vendor incidents ------------------------------------------ */

int handle_notice_check(struct handle_ctx *c)
{
	const Dispatch__Notice *n = c->req->notice ? c->req->notice->notice : NULL;

	if (n == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "notice.notice", "a notice needs its text");
	if (handle_check_enum(c, "notice.kind", n->kind, 0, DISPATCH__NOTICE_KIND__NOTICE_WORKS,
			      "general, activity or works") ||
	    handle_check_text(c, "notice.text", n->text, 1, 2000))
		return -1;
	if (n->from_ms < 0 || n->to_ms < 0 || (n->to_ms && n->to_ms < n->from_ms))
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "notice.to_ms",
				   "the notice's window ends before it starts");
	if (n->n_buildings > 64)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "notice.buildings",
				   "too many buildings (%zu; at most 64)", n->n_buildings);
	for (size_t i = 0; i < n->n_buildings; i++)
		if (handle_check_id(c, "notice.buildings", n->buildings[i], 1, 16))
			return -1;
	return 0;
}

int handle_notice_apply(struct handle_ctx *c)
{
	const Dispatch__Notice *n = c->req->notice->notice;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;

	ev.type = DISPATCH__EVENT_TYPE__EVENT_NOTICE;
	ev.actor = (char *)c->actor;
	ev.actor_role = c->role;
	ev.time_ms = c->now;
	ev.notice = (Dispatch__Notice *)n;
	ev.note = n->text;
	if (handle_append(c, &ev) != 0)
		return -1;
	return handle_ok(c, "notice published to the estate (event %llu)", (unsigned long long)ev.seq);
}
