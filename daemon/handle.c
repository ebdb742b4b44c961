/*
 * handle: what every request handler shares (see handle.h): replies,
 * tickets and events owned by the request's arena, the one place a
 * ticket's change is recorded and put in the outbox (handle_record), and
 * the assignment step that submission, reopening, deadlines and the
 * queue all end in (handle_assign).
 *
 * The handlers themselves live by family, one file each: handle_submit.c
 * (reports coming in, explain, duplicates, consent), handle_ticket.c
 * (transitions of one ticket), handle_query.c (reads), handle_estate.c
 * (duty, outages, notices); field checks are handle_check.c, which the
 * envelope check in ingest uses too. Tickets that a handler changes are
 * always heap-owned (unpacked from the store, or packed and unpacked once
 * when new), so their strings are replaced through handle_set_string()
 * and freed with dispatch__ticket__free_unpacked().
 */
#include "handle.h"

#include "calendar.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle_impl.h"
#include "log.h"
#include "pbcopy.h"
#include "publish.h"
#include "route.h"
#include "ticket.h"
#include "xalloc.h"

/* ---- replies ------------------------------------------------------------ */

int handle_fail(struct handle_ctx *c, Dispatch__Status status, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->rep->status = status;
	c->rep->message = arena_strdup(c->a, msg);
	if (field)
		c->rep->field = arena_strdup(c->a, field);
	return -1;
}

int handle_store_fail(struct handle_ctx *c, int rc)
{
	c->store_rc = rc;
	if (store_is_full(c->store, rc))
		return handle_fail(c, DISPATCH__STATUS__STATUS_STORAGE, NULL, "%s", HANDLE_STORAGE_FULL);
	log_err("store error while handling a request: %s", store_strerror(rc));
	return handle_fail(c, DISPATCH__STATUS__STATUS_STORAGE, NULL,
			   "the request could not be stored (%s); nothing was changed, please retry",
			   store_strerror(rc));
}

int handle_ok(struct handle_ctx *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	c->rep->message = arena_strdup(c->a, msg);
	return 0;
}

/* ---- owned tickets and events ----------------------------------------- */

void handle_free_ticket(void *p)
{
	dispatch__ticket__free_unpacked(p, NULL);
}
void handle_free_event(void *p)
{
	dispatch__event__free_unpacked(p, NULL);
}
void handle_free_outage(void *p)
{
	dispatch__outage__free_unpacked(p, NULL);
}

/* Replace a string field of a heap-owned (unpacked) message. */
void handle_set_string(char **field, const char *value)
{
	ticket_set_string(field, value);
}

void handle_push_id(uint64_t **v, size_t *n, uint64_t id)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = id;
}

/* A heap-owned copy of t, freed when the arena resets. */
Dispatch__Ticket *handle_own(struct handle_ctx *c, const Dispatch__Ticket *t)
{
	Dispatch__Ticket *copy = (Dispatch__Ticket *)pb_copy(&t->base);

	arena_defer(c->a, handle_free_ticket, copy);
	return copy;
}

int handle_load(struct handle_ctx *c, uint64_t id, const char *field, Dispatch__Ticket **out)
{
	int rc = store_get_ticket(c->store, c->txn, id, out);

	if (rc == STORE_NOTFOUND)
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, field, "no such ticket %llu",
				   (unsigned long long)id);
	if (rc != 0)
		return handle_store_fail(c, rc);
	arena_defer(c->a, handle_free_ticket, *out);
	return 0;
}

/* Add a copy of ev (without the ticket snapshot) to the reply. */
void handle_reply_event(struct handle_ctx *c, const Dispatch__Event *ev)
{
	Dispatch__Event *copy;

	if (c->rep->events == NULL)
		c->rep->events = arena_alloc(c->a, HANDLE_REPLY_EVENTS * sizeof *c->rep->events);
	if (c->rep->n_events >= HANDLE_REPLY_EVENTS)
		return;
	copy = arena_memdup(c->a, ev, sizeof *ev);
	copy->ticket = NULL;
	/* the strings may belong to a ticket changed again before the reply is packed */
	copy->note = arena_strdup(c->a, ev->note ? ev->note : "");
	copy->crew = arena_strdup(c->a, ev->crew ? ev->crew : "");
	copy->member = arena_strdup(c->a, ev->member ? ev->member : "");
	copy->rule = arena_strdup(c->a, ev->rule ? ev->rule : "");
	copy->reason = arena_strdup(c->a, ev->reason ? ev->reason : "");
	copy->actor = arena_strdup(c->a, ev->actor ? ev->actor : "");
	copy->on_behalf_of = arena_strdup(c->a, ev->on_behalf_of ? ev->on_behalf_of : "");
	c->rep->events[c->rep->n_events++] = copy;
}

/* Record t's move to state `to` with event ev, put it in the outbox, and
 * report it in the reply. */
int handle_record(struct handle_ctx *c, Dispatch__Ticket *t, Dispatch__State to, Dispatch__Event *ev,
		  const char *also_crew, const char *also_member)
{
	const void *stored;
	size_t len;
	int rc = ticket_record(c->store, c->txn, t, to, ev, c->now, &stored, &len);

	if (rc != 0)
		return handle_store_fail(c, rc);
	publish_outbox_add(c->out, ev, stored, len, also_crew, also_member);
	handle_reply_event(c, ev);
	return 0;
}

/* Append an event that moves no ticket (duty, outages, notices), put it
 * in the outbox, and report it in the reply. */
int handle_append(struct handle_ctx *c, Dispatch__Event *ev)
{
	const void *stored;
	size_t len;
	int rc = store_append_event(c->store, c->txn, ev, &stored, &len);

	if (rc != 0)
		return handle_store_fail(c, rc);
	publish_outbox_add(c->out, ev, stored, len, NULL, NULL);
	handle_reply_event(c, ev);
	return 0;
}

void handle_system_event(Dispatch__Event *ev, Dispatch__EventType type)
{
	dispatch__event__init(ev);
	ev->type = type;
	ev->actor = (char *)"dispatchd";
	ev->actor_role = DISPATCH__ROLE__ROLE_SYSTEM;
}

/* The rule a ticket was routed by, in the running config (it may have
 * been renamed by a reload: then the crew's first rule, else none). */
const struct config_rule *handle_rule_of(const config_t *cfg, const Dispatch__Ticket *t)
{
	if (t->planned && t->rule && strncmp(t->rule, "plan:", 5) == 0) {
		/* issue 19: routed by its schedule's own rule */
		const struct config_schedule *sch = config_schedule(cfg, t->schedule);
		if (sch && sch->crew)
			return &sch->rule;
	}
	for (unsigned i = 0; i < cfg->rules_count; i++)
		if (strcmp(cfg->rules[i].name, t->rule) == 0)
			return &cfg->rules[i];
	for (unsigned i = 0; i < cfg->rules_count; i++)
		if (strcmp(cfg->rules[i].crew, t->crew) == 0)
			return &cfg->rules[i];
	return NULL;
}

int64_t handle_due_after(const struct config_rule *r, int64_t now, int64_t span_ms)
{
	if (span_ms <= 0)
		return 0;
	return r && r->cal ? calendar_add(r->cal, now, span_ms) : now + span_ms;
}

/* Put t with the decision a: its crew, rule, skill, priority, deadlines,
 * flags; assigned to the member, or queued and escalated at once. */
int handle_assign(struct handle_ctx *c, Dispatch__Ticket *t, const struct route_assignment *a)
{
	const struct config_rule *r = a->rule;
	Dispatch__Event ev;

	handle_set_string(&t->crew, a->crew->id);
	handle_set_string(&t->rule, r->name);
	handle_set_string(&t->skill, r->skill);
	if (t->priority == 0 && r->priority)
		t->priority = r->priority;
	/* issue 19: a rule with a calendar counts working time */
	handle_set_string(&t->calendar, r->cal ? r->cal->id : "");
	if (r->deadlines) {
		t->acknowledge_by_ms = handle_due_after(r, c->now, r->deadlines->acknowledge_ms);
		t->arrive_by_ms = handle_due_after(r, c->now, r->deadlines->arrive_ms);
		t->resolve_by_ms = handle_due_after(r, c->now, r->deadlines->resolve_ms);
	}
	/* a visit booked with the resident: the crew must be there by its end */
	if (t->visit_to_ms > 0)
		t->arrive_by_ms = t->visit_to_ms;
	t->follow_up = t->follow_up || r->follow_up || t->kind == DISPATCH__KIND__KIND_COMPLAINT;
	/* A rule may sample a share of its tickets for inspection; by id, so
	 * the choice is the same however often it is asked. */
	t->inspection = t->inspection || r->inspection ||
			(r->inspection_sample && (t->id * 2654435761u >> 7) % 100 < r->inspection_sample);
	if (a->crew->outsourced)
		handle_set_string(&t->vendor, a->crew->id);

	handle_system_event(&ev, a->member ? DISPATCH__EVENT_TYPE__EVENT_ASSIGNED : DISPATCH__EVENT_TYPE__EVENT_QUEUED);
	ev.rule = r->name;
	ev.reason = (char *)a->reason;
	if (a->member) {
		handle_set_string(&t->member, a->member->id);
		handle_set_string(&t->escalated_to, a->escalated ? a->member->id : "");
		return handle_record(c, t, DISPATCH__STATE__STATE_ASSIGNED, &ev, NULL, NULL);
	}
	handle_set_string(&t->member, "");
	t->queue_escalates = true; /* its acknowledge deadline walks the chain (deadline.c) */
	if (handle_record(c, t, DISPATCH__STATE__STATE_NEW, &ev, NULL, NULL) != 0)
		return -1;

	/* Nobody can take it: the supervisor hears at once, or else the
	 * control center; on the acknowledge deadline the rest of the rule's
	 * chain follows, as for an assignment nobody acknowledged. */
	handle_system_event(&ev, DISPATCH__EVENT_TYPE__EVENT_ESCALATED);
	ev.rule = r->name;
	if (a->crew->supervisor && strcmp(a->crew->supervisor, t->about_member) != 0) {
		handle_set_string(&t->escalated_to, a->crew->supervisor);
		ev.member = a->crew->supervisor;
		ev.note = arena_strdup(c->a, "nobody in the crew can take it now; please assign it");
	} else {
		handle_set_string(&t->escalated_to, TOPIC_CONTROL_CENTER);
		ev.member = (char *)TOPIC_CONTROL_CENTER; /* topic "control.", and the report names it */
		ev.note = arena_strdup(c->a, "nobody in the crew can take it and it has no supervisor");
	}
	return handle_record(c, t, DISPATCH__STATE__STATE_NEW, &ev, NULL, NULL);
}
