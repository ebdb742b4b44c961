/*
 * handle_submit: reports coming in (submit, explain) and the dispatch of a
 * new or released report: outages that cover it, duplicates of an open
 * report, a complaint's supervisor, a paid service's consent hold, and
 * the crews of every matching rule. The transition family uses
 * handle_dispatch and handle_release_duplicates (an unlink, a cancel).
 */
#include "handle.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle_impl.h"
#include "log.h"
#include "route.h"
#include "ticket.h"

/* ---- submit ------------------------------------------------------------ */

/* dry_run: an Explain may leave out what routing does not read (the text). */
static int handle_check_submit(struct handle_ctx *c, const Dispatch__Submit *sub, bool dry_run)
{
	if (handle_check_enum(c, "submit.kind", sub->kind, DISPATCH__KIND__KIND_REPAIR, DISPATCH__KIND__KIND_SUGGESTION,
			      "repair, complaint, special, security, cleaning, inquiry or suggestion") ||
	    handle_check_id(c, "submit.unit", sub->unit, 1, 32) ||
	    handle_check_text(c, "submit.text", sub->text, dry_run ? 0 : 1, 2000) ||
	    handle_check_text(c, "submit.person", sub->person, 0, 128) ||
	    handle_check_text(c, "submit.phone", sub->phone, 0, 32) ||
	    handle_check_enum(c, "submit.source", sub->source, 0, DISPATCH__SOURCE__SOURCE_SENSOR,
			      "intercom, phone, walk-in, app or sensor") ||
	    handle_check_text(c, "submit.category", sub->category, 0, 64) ||
	    handle_check_id(c, "submit.about_member", sub->about_member, 0, 32) ||
	    handle_check_asset(c, "submit.asset", sub->asset))
		return -1;
	if (sub->fee_cents < 0 || sub->fee_cents > 100000000)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "submit.fee_cents",
				   "the quoted fee is out of range (0 to 1,000,000.00)");
	if (sub->fee_cents > 0 && sub->kind != DISPATCH__KIND__KIND_SPECIAL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "submit.fee_cents",
				   "only a special service carries a fee; submit it with kind special");
	if (sub->about_member[0]) {
		if (sub->kind != DISPATCH__KIND__KIND_COMPLAINT)
			return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "submit.about_member",
					   "only a complaint is about a crew member; submit it with kind complaint");
		if (config_member(c->cfg, sub->about_member, NULL) == NULL)
			return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "submit.about_member",
					   "no member %s in %s", sub->about_member, c->cfg->estate);
	}
	if (strchr(sub->unit, '*') || strchr(sub->unit, '?'))
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "submit.unit", "a unit cannot hold '*' or '?'");
	if (!config_unit_known(c->cfg, sub->unit)) {
		char near[160];
		if (config_unit_suggest(c->cfg, sub->unit, near, sizeof near) > 0)
			return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "submit.unit",
					   "no unit %s in this estate; did you mean %s?", sub->unit, near);
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "submit.unit",
				   "no unit %s in this estate (the units are listed under units: in the configuration)",
				   sub->unit);
	}
	if (sub->priority > 5)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "submit.priority",
				   "priority %u is out of range; use 1 (urgent) to 5 (low), or leave it out",
				   sub->priority);
	if (sub->n_tags > 16)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "submit.tags",
				   "too many tags (%zu; at most 16)", sub->n_tags);
	for (size_t i = 0; i < sub->n_tags; i++)
		if (handle_check_text(c, "submit.tags", sub->tags[i], 1, 32))
			return -1;
	if (handle_check_visit(c, "submit.visit_from_ms", sub->visit_from_ms, sub->visit_to_ms) != 0)
		return -1; /* issue 19 */
	return 0;
}

/* A new ticket from a Submit body (not stored; heap-owned). */
static Dispatch__Ticket *handle_ticket_from(struct handle_ctx *c, const Dispatch__Submit *sub)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	const struct config_unit *contact = config_unit_contact(c->cfg, sub->unit);
	char building[64];
	const char *zone;

	t.kind = sub->kind;
	t.unit = sub->unit;
	t.person = sub->person;
	t.phone = sub->phone;
	if (contact && sub->person[0] == '\0' && sub->phone[0] == '\0') {
		/* The report named nobody: the register's resident, on record
		 * with the ticket (the crew calls them, the history shows it). */
		t.person = contact->resident ? contact->resident : (char *)"";
		t.phone = contact->phone ? contact->phone : (char *)"";
	}
	t.source = sub->source;
	t.text = sub->text;
	t.priority = sub->priority;
	t.category = sub->category;
	t.n_tags = sub->n_tags;
	t.tags = sub->tags;
	t.fee_cents = sub->fee_cents;
	t.about_member = sub->about_member;
	t.asset = sub->asset;                                      /* issue 19 */
	t.follow_up = sub->kind == DISPATCH__KIND__KIND_COMPLAINT; /* clause 4.2: always called back */
	t.created_ms = c->now;
	t.visit_from_ms = sub->visit_from_ms; /* issue 19: the visit booked with the resident */
	t.visit_to_ms = sub->visit_to_ms;
	config_unit_building(sub->unit, building, sizeof building);
	zone = config_zone_of(c->cfg, building);
	t.building = building;
	t.zone = (char *)(zone ? zone : "");
	return handle_own(c, &t);
}

static bool handle_outage_matches(const config_t *cfg, const Dispatch__Outage *o, const Dispatch__Ticket *t,
				  int64_t now)
{
	bool area = false, kind = o->n_kinds == 0, category = o->n_categories == 0;
	const char *zone = config_zone_of(cfg, t->building);

	if (o->ended || now < o->from_ms || now >= o->to_ms)
		return false;
	for (size_t i = 0; i < o->n_buildings && !area; i++)
		area = strcmp(o->buildings[i], t->building) == 0;
	for (size_t i = 0; i < o->n_zones && !area; i++)
		area = zone && strcmp(o->zones[i], zone) == 0;
	for (size_t i = 0; i < o->n_units && !area; i++)
		area = config_glob(o->units[i], t->unit);
	for (size_t i = 0; i < o->n_kinds && !kind; i++)
		kind = o->kinds[i] == t->kind;
	for (size_t i = 0; i < o->n_categories && !category; i++)
		category = strcmp(o->categories[i], t->category) == 0;
	return area && kind && category;
}

struct handle_find_outage {
	struct handle_ctx *c;
	const Dispatch__Ticket *t;
	Dispatch__Outage *found;
};

static int handle_find_outage_fn(Dispatch__Outage *o, void *arg)
{
	struct handle_find_outage *f = arg;

	arena_defer(f->c->a, handle_free_outage, o);
	if (handle_outage_matches(f->c->cfg, o, f->t, f->c->now)) {
		f->found = o;
		return 1;
	}
	return 0;
}

/* Attach t to an active outage covering it, if any; 1 if attached. */
static int handle_attach_outage(struct handle_ctx *c, Dispatch__Ticket *t)
{
	struct handle_find_outage f = { .c = c, .t = t };
	Dispatch__Event ev;
	int rc;

	if ((rc = store_outages(c->store, c->txn, handle_find_outage_fn, &f)) != 0)
		return handle_store_fail(c, rc);
	if (f.found == NULL)
		return 0;
	if (f.found->n_tickets >= HANDLE_OUTAGE_TICKETS)
		return 0; /* absurdly many: dispatch normally rather than grow the record forever */
	t->outage_id = f.found->id;
	handle_system_event(&ev, DISPATCH__EVENT_TYPE__EVENT_LINKED);
	ev.note = f.found->text;
	if (handle_record(c, t, DISPATCH__STATE__STATE_NEW, &ev, NULL, NULL) != 0)
		return -1;
	handle_push_id(&f.found->tickets, &f.found->n_tickets, t->id);
	if ((rc = store_put_outage(c->store, c->txn, f.found)) != 0)
		return handle_store_fail(c, rc);
	c->rep->ticket = t;
	handle_ok(c, "%s", f.found->text);
	return 1;
}

struct handle_find_dup {
	struct handle_ctx *c;
	const Dispatch__Ticket *t;
	Dispatch__Ticket *found;
	int err;
};

static int handle_find_dup_fn(uint64_t id, void *arg)
{
	struct handle_find_dup *f = arg;
	Dispatch__Ticket *o = NULL;
	int rc;

	if (id == f->t->id)
		return 0;
	if ((rc = store_get_ticket(f->c->store, f->c->txn, id, &o)) != 0) {
		f->err = rc;
		return -1;
	}
	arena_defer(f->c->a, handle_free_ticket, o);
	/* (complaints about different members are different complaints) */
	if (o->linked_to == 0 && o->outage_id == 0 && o->kind == f->t->kind &&
	    strcmp(o->category, f->t->category) == 0 && strcmp(o->about_member, f->t->about_member) == 0 &&
	    !(o->asset[0] && f->t->asset[0] && strcmp(o->asset, f->t->asset) != 0) && /* lift L1 is not L2 */
	    f->c->now - o->created_ms <= f->c->cfg->duplicate_window_ms &&
	    o->state != DISPATCH__STATE__STATE_RESOLVED) {
		f->found = o;
		return 1;
	}
	return 0;
}

/* Link t to an open report of the same problem at the same unit; 1 if linked. */
static int handle_link_duplicate(struct handle_ctx *c, Dispatch__Ticket *t)
{
	struct handle_find_dup f = { .c = c, .t = t };
	Dispatch__Event ev;
	char note[160];
	int rc;

	if (c->cfg->duplicate_window_ms <= 0)
		return 0;
	rc = store_open_ids_by_unit(c->store, c->txn, t->unit, handle_find_dup_fn, &f);
	if (rc != 0 || f.err != 0)
		return handle_store_fail(c, f.err ? f.err : rc);
	if (f.found == NULL)
		return 0;
	t->linked_to = f.found->id;
	t->link = DISPATCH__LINK_KIND__LINK_DUPLICATE;
	handle_system_event(&ev, DISPATCH__EVENT_TYPE__EVENT_LINKED);
	snprintf(note, sizeof note, "same problem as ticket %llu; not dispatched again",
		 (unsigned long long)f.found->id);
	ev.note = arena_strdup(c->a, note);
	if (handle_record(c, t, DISPATCH__STATE__STATE_NEW, &ev, NULL, NULL) != 0)
		return -1;

	handle_push_id(&f.found->links, &f.found->n_links, t->id);
	handle_system_event(&ev, DISPATCH__EVENT_TYPE__EVENT_LINKED);
	snprintf(note, sizeof note, "ticket %llu reports the same problem", (unsigned long long)t->id);
	ev.note = arena_strdup(c->a, note);
	if (handle_record(c, f.found, f.found->state, &ev, NULL, NULL) != 0)
		return -1;
	c->rep->ticket = t;
	handle_ok(
		c,
		"ticket %llu is the same problem as ticket %llu (%s%s%s); linked to it, not dispatched again. "
		"If it is another problem, unlink it (dispatch-desk unlink %llu) and it is dispatched; if it corrects "
		"ticket %llu, cancel that one and this one is dispatched",
		(unsigned long long)t->id, (unsigned long long)f.found->id, f.found->crew,
		f.found->member[0] ? "/" : "", f.found->member, (unsigned long long)t->id,
		(unsigned long long)f.found->id);
	return 1;
}

/* Clause 4.2: a complaint goes to the supervisor of the crew concerned
 * (the crew of the member it is about, else the rule's crew), never to
 * the member complained about; one ticket, however many rules matched. */
void handle_complaint_route(struct handle_ctx *c, const Dispatch__Ticket *t, struct route_result *res)
{
	struct route_assignment *a = &res->a[0];
	const struct config_crew *crew = a->crew, *desk;
	const struct config_member *sup;

	res->n = 1;
	if (t->about_member[0])
		config_member(c->cfg, t->about_member, &crew);
	a->crew = crew;
	sup = crew->supervisor ? config_member(c->cfg, crew->supervisor, NULL) : NULL;
	if (sup && strcmp(sup->id, t->about_member) != 0) {
		a->member = sup;
		a->escalated = true;
		snprintf(a->reason, sizeof a->reason,
			 "a complaint goes to %s, supervisor of %s, the crew concerned%s%s", sup->id, crew->id,
			 t->about_member[0] ? "; it is about " : "", t->about_member);
		return;
	}
	/* The crew has no supervisor but the one complained about (a vendor's
	 * engineer, say): the desk supervisor answers for it. */
	desk = NULL;
	sup = c->cfg->desk_supervisor ? config_member(c->cfg, c->cfg->desk_supervisor, &desk) : NULL;
	if (sup && strcmp(sup->id, t->about_member) != 0) {
		a->crew = desk;
		a->member = sup;
		a->escalated = true;
		snprintf(a->reason, sizeof a->reason,
			 "a complaint about %s of %s, which has no other supervisor, goes to the desk supervisor %s",
			 t->about_member, crew->id, sup->id);
		return;
	}
	a->member = NULL;
	snprintf(a->reason, sizeof a->reason, "a complaint about %s of %s, whose crew has no other supervisor",
		 t->about_member, a->crew->id);
}

/* Clause 4.3: a paid service is routed on paper (crew and rule recorded)
 * but nobody is sent before the resident consents to the quoted fee. */
int handle_hold_for_consent(struct handle_ctx *c, Dispatch__Ticket *t)
{
	struct route_result res;
	Dispatch__Event ev;
	char note[160];
	int rc;

	if ((rc = route_ticket(c->cfg, c->store, c->txn, c->roster, &c->rt, t, false, &res)) != 0)
		return handle_store_fail(c, rc);
	handle_set_string(&t->crew, res.a[0].crew->id);
	handle_set_string(&t->rule, res.a[0].rule->name);
	t->hold_reason = DISPATCH__HOLD_REASON__HOLD_CONSENT;
	t->held_from = DISPATCH__STATE__STATE_NEW;
	t->held_since_ms = c->now;
	snprintf(note, sizeof note, "waiting for the resident's consent to the quoted fee of HK$%lld.%02lld",
		 (long long)(t->fee_cents / 100), (long long)(t->fee_cents % 100));
	handle_set_string(&t->hold_note, note);
	handle_system_event(&ev, DISPATCH__EVENT_TYPE__EVENT_ON_HOLD);
	ev.note = arena_strdup(c->a, note);
	ev.rule = res.a[0].rule->name;
	return handle_record(c, t, DISPATCH__STATE__STATE_ON_HOLD, &ev, NULL, NULL);
}

static int handle_await_consent(struct handle_ctx *c, Dispatch__Ticket *t)
{
	if (handle_hold_for_consent(c, t) != 0)
		return -1;
	c->rep->ticket = t;
	c->rep_ticket_stored = true; /* its hold's event was the last to change it */
	return handle_ok(c,
			 "ticket %llu recorded for %s; nobody is sent until the resident's consent to the fee "
			 "(HK$%lld.%02lld) is recorded",
			 (unsigned long long)t->id, t->crew, (long long)(t->fee_cents / 100),
			 (long long)(t->fee_cents % 100));
}

/* Dispatch t on its own, as a submission would (a duplicate unlinked):
 * its rule's crew and member, a complaint's supervisor, or the consent
 * hold of a paid service. (A rule with `continue` adds no second crew's
 * part here: the first report had them.) */
int handle_dispatch(struct handle_ctx *c, Dispatch__Ticket *t)
{
	struct route_result res;
	int rc;

	if (t->fee_cents > 0 && t->consent_ms == 0)
		return handle_hold_for_consent(c, t);
	if ((rc = route_ticket(c->cfg, c->store, c->txn, c->roster, &c->rt, t, true, &res)) != 0)
		return handle_store_fail(c, rc);
	if (t->kind == DISPATCH__KIND__KIND_COMPLAINT)
		handle_complaint_route(c, t, &res);
	return handle_assign(c, t, &res.a[0]);
}

/* The first report t is cancelled or replaced: its open duplicates are
 * not void with it. With into (the report replacing t) they are linked to
 * that one; without, the oldest is dispatched on its own and the others
 * are linked to it. into's links are written when into is next recorded. */
int handle_release_duplicates(struct handle_ctx *c, const Dispatch__Ticket *t, Dispatch__Ticket *into, const char *why)
{
	Dispatch__Ticket *first = NULL;
	char note[256];

	for (size_t i = 0; i < t->n_links; i++) {
		Dispatch__Ticket *d = NULL;
		Dispatch__Event ev;
		int rc = store_get_ticket(c->store, c->txn, t->links[i], &d);
		if (rc == STORE_NOTFOUND)
			continue;
		if (rc != 0)
			return handle_store_fail(c, rc);
		arena_defer(c->a, handle_free_ticket, d);
		if (d->link != DISPATCH__LINK_KIND__LINK_DUPLICATE || d->linked_to != t->id ||
		    d->state != DISPATCH__STATE__STATE_NEW)
			continue;
		handle_system_event(&ev, DISPATCH__EVENT_TYPE__EVENT_UNLINKED);
		ev.actor = (char *)c->actor;
		ev.actor_role = c->role;
		if (into == NULL) {
			/* the oldest open one stands for the problem now */
			into = first = d;
			d->linked_to = 0;
			d->link = DISPATCH__LINK_KIND__LINK_NONE;
			snprintf(note, sizeof note, "ticket %llu was %s; dispatched on its own",
				 (unsigned long long)t->id, why);
		} else {
			d->linked_to = into->id;
			handle_push_id(&into->links, &into->n_links, d->id);
			snprintf(note, sizeof note, "ticket %llu was %s; now linked to ticket %llu",
				 (unsigned long long)t->id, why, (unsigned long long)into->id);
		}
		ev.note = arena_strdup(c->a, note);
		if (handle_record(c, d, DISPATCH__STATE__STATE_NEW, &ev, NULL, NULL) != 0)
			return -1;
	}
	return first ? handle_dispatch(c, first) : 0;
}

/* check: the fields, and the report it corrects (c->state: that ticket, or NULL). */
int handle_submit_check(struct handle_ctx *c)
{
	const Dispatch__Submit *sub = c->req->submit;
	Dispatch__Ticket *old = NULL;

	if (handle_check_submit(c, sub, false) != 0)
		return -1;
	if (sub->replaces && handle_load(c, sub->replaces, "submit.replaces", &old) != 0)
		return -1;
	if (old && (old->state == DISPATCH__STATE__STATE_RESOLVED || old->state == DISPATCH__STATE__STATE_CLOSED ||
		    old->state == DISPATCH__STATE__STATE_CANCELLED))
		return handle_fail(c, DISPATCH__STATUS__STATUS_CONFLICT, "submit.replaces",
				   "ticket %llu is %s; only an open ticket can be replaced by a corrected report",
				   (unsigned long long)old->id, ticket_state_name(old->state));
	c->state = old;
	return 0;
}

int handle_submit_apply(struct handle_ctx *c)
{
	const Dispatch__Submit *sub = c->req->submit;
	struct route_result res;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	Dispatch__Ticket *t, *old = c->state;
	char msg[1024];
	size_t used = 0;
	int rc;

	t = handle_ticket_from(c, sub);
	if ((rc = store_next_ticket_id(c->store, c->txn, &t->id)) != 0)
		return handle_store_fail(c, rc);
	ev.type = DISPATCH__EVENT_TYPE__EVENT_SUBMITTED;
	ev.actor = (char *)c->actor;
	ev.actor_role = c->role;
	msg[0] = '\0';
	if (old) {
		t->replaces = old->id;
		snprintf(msg, sizeof msg, "corrects ticket %llu", (unsigned long long)old->id);
	}
	if (sub->person[0] == '\0' && sub->phone[0] == '\0' && (t->person[0] || t->phone[0]))
		snprintf(msg + strlen(msg), sizeof msg - strlen(msg),
			 "%sthe resident's contact is from the unit register", msg[0] ? "; " : "");
	if (msg[0])
		ev.note = arena_strdup(c->a, msg);
	if (handle_record(c, t, DISPATCH__STATE__STATE_NEW, &ev, NULL, NULL) != 0)
		return -1;
	if (old) {
		/* The corrected report replaces the first: that one is cancelled
		 * (its duplicates follow the new one), and this one is never its
		 * duplicate. */
		Dispatch__Event cev = DISPATCH__EVENT__INIT;
		snprintf(msg, sizeof msg, "replaced by ticket %llu (a corrected report)", (unsigned long long)t->id);
		handle_set_string(&old->cancel_reason, msg);
		old->replaced_by = t->id;
		cev.type = DISPATCH__EVENT_TYPE__EVENT_CANCELLED;
		cev.actor = (char *)c->actor;
		cev.actor_role = c->role;
		cev.note = arena_strdup(c->a, msg);
		if (handle_record(c, old, DISPATCH__STATE__STATE_CANCELLED, &cev, NULL, NULL) != 0 ||
		    handle_release_duplicates(c, old, t, "replaced") != 0)
			return -1;
	}

	if ((rc = handle_attach_outage(c, t)) != 0)
		return rc < 0 ? -1 : 0;
	if ((rc = handle_link_duplicate(c, t)) != 0)
		return rc < 0 ? -1 : 0;

	if (t->fee_cents > 0)
		return handle_await_consent(c, t);
	if ((rc = route_ticket(c->cfg, c->store, c->txn, c->roster, &c->rt, t, true, &res)) != 0)
		return handle_store_fail(c, rc);
	if (t->kind == DISPATCH__KIND__KIND_COMPLAINT)
		handle_complaint_route(c, t, &res);
	msg[0] = '\0';
	for (unsigned k = 0; k < res.n; k++) {
		const struct route_assignment *a = &res.a[k];
		Dispatch__Ticket *part = t;
		if (k > 0) {
			/* Another crew's part of the same report: its own ticket, linked. */
			part = handle_ticket_from(c, sub);
			if ((rc = store_next_ticket_id(c->store, c->txn, &part->id)) != 0)
				return handle_store_fail(c, rc);
			part->linked_to = t->id;
			part->link = DISPATCH__LINK_KIND__LINK_CREW;
			dispatch__event__init(&ev);
			ev.type = DISPATCH__EVENT_TYPE__EVENT_SUBMITTED;
			ev.actor = (char *)c->actor;
			ev.actor_role = c->role;
			ev.note = arena_strdup(c->a, "another crew's part of the same report");
			if (handle_record(c, part, DISPATCH__STATE__STATE_NEW, &ev, NULL, NULL) != 0)
				return -1;
			handle_push_id(&t->links, &t->n_links, part->id);
		}
		if (handle_assign(c, part, a) != 0)
			return -1;
		if (a->member)
			used += (size_t)snprintf(msg + used, sizeof msg - used,
						 "%sticket %llu assigned to %s (%s) of %s by rule %s", k ? "; " : "",
						 (unsigned long long)part->id, a->member->id, a->member->name,
						 a->crew->id, a->rule->name);
		else
			used += (size_t)snprintf(
				msg + used, sizeof msg - used,
				"%sticket %llu queued for %s by rule %s: nobody can take it now; %s told",
				k ? "; " : "", (unsigned long long)part->id, a->crew->id, a->rule->name,
				part->escalated_to);
		if (used >= sizeof msg)
			used = sizeof msg - 1;
	}
	if (res.n > 1 && (rc = store_put_ticket(c->store, c->txn, t)) != 0) /* its links */
		return handle_store_fail(c, rc);
	c->rep->ticket = t;
	c->rep_ticket_stored = res.n == 1; /* its assignment's event was the last to change it */
	return handle_ok(c, "%s", msg);
}

int handle_explain_check(struct handle_ctx *c)
{
	const Dispatch__Explain *x = c->req->explain;

	if (x->submit == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "explain.submit",
				   "explain needs the ticket's fields");
	return handle_check_submit(c, x->submit, true);
}

int handle_explain_apply(struct handle_ctx *c)
{
	const Dispatch__Explain *x = c->req->explain;
	struct route_result res;
	Dispatch__Ticket *t;
	int rc;

	t = handle_ticket_from(c, x->submit);
	if ((rc = route_ticket(c->cfg, c->store, c->txn, c->roster, &c->rt, t, false, &res)) != 0)
		return handle_store_fail(c, rc);
	if (t->kind == DISPATCH__KIND__KIND_COMPLAINT)
		handle_complaint_route(c, t, &res);
	if (x->submit->fee_cents > 0) {
		/* a paid service is routed on paper only, until the consent */
		res.n = 1;
		res.a[0].member = NULL;
		snprintf(res.a[0].reason, sizeof res.a[0].reason,
			 "a paid service (fee HK$%lld.%02lld): it waits on hold for the resident's consent, and nobody "
			 "is "
			 "sent before it; then routed by rule %s to %s",
			 (long long)(x->submit->fee_cents / 100), (long long)(x->submit->fee_cents % 100),
			 res.a[0].rule->name, res.a[0].crew->id);
	}
	c->rep->decisions = arena_alloc(c->a, res.n * sizeof *c->rep->decisions);
	for (unsigned k = 0; k < res.n; k++) {
		Dispatch__Decision *d = arena_alloc(c->a, sizeof *d);
		dispatch__decision__init(d);
		d->rule = res.a[k].rule->name;
		d->crew = res.a[k].crew->id;
		d->member = (char *)(res.a[k].member ? res.a[k].member->id : "");
		d->reason = arena_strdup(c->a, res.a[k].reason);
		d->escalated_to = (char *)(res.a[k].member || x->submit->fee_cents > 0 ? ""
					   : res.a[k].crew->supervisor                 ? res.a[k].crew->supervisor
										       : "control-center");
		c->rep->decisions[c->rep->n_decisions++] = d;
	}
	return handle_ok(c, "dry run: nothing was stored");
}
