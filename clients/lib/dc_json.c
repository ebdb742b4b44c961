/*
 * dc_json: wire messages to jansson values. See dc_json.h.
 *
 * Every builder collects failures in one flag and gives up at the end, so
 * a partial object never reaches the caller.
 */
#include "dc_json.h"

#include <stdio.h>

#include "dispatch_client.h"

json_t *dc_json_string(const char *s)
{
	char buf[8192];
	json_t *j = json_string(s ? s : "");

	if (j) /* jansson accepts only valid UTF-8 */
		return j;
	return json_string(dc_clean(s, buf, sizeof buf));
}

static void put(json_t *o, const char *key, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		*bad = 1;
}

static json_t *time_text(int64_t ms)
{
	char buf[64];

	if (ms <= 0)
		return json_null();
	return dc_json_string(dc_format_time(ms, buf, sizeof buf));
}

static json_t *strings(char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, dc_json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *ids(const uint64_t *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_integer((json_int_t)v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Ticket.missed bits as the deadlines' words. */
static json_t *missed(uint32_t bits)
{
	json_t *a = json_array();
	int d;

	for (d = DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE; a && d <= DISPATCH__DEADLINE__DEADLINE_FOLLOW_UP; d++)
		if ((bits & (1u << (d - 1))) && json_array_append_new(a, json_string(dc_deadline_name(d))) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *done(json_t *o, int bad)
{
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *dc_json_ticket(const Dispatch__Ticket *t)
{
	json_t *o = json_object();
	int bad = 0;

	if (!o || !t)
		return done(o, 1);
	put(o, "id", json_integer((json_int_t)t->id), &bad);
	put(o, "kind", dc_json_string(dc_kind_name(t->kind)), &bad);
	put(o, "state", dc_json_string(dc_state_name(t->state)), &bad);
	put(o, "unit", dc_json_string(t->unit), &bad);
	put(o, "building", dc_json_string(t->building), &bad);
	put(o, "zone", dc_json_string(t->zone), &bad);
	put(o, "person", dc_json_string(t->person), &bad);
	put(o, "phone", dc_json_string(t->phone), &bad);
	put(o, "source", dc_json_string(dc_source_name(t->source)), &bad);
	put(o, "text", dc_json_string(t->text), &bad);
	put(o, "priority", json_integer(t->priority), &bad);
	put(o, "category", dc_json_string(t->category), &bad);
	put(o, "tags", strings(t->tags, t->n_tags), &bad);
	put(o, "crew", dc_json_string(t->crew), &bad);
	put(o, "member", dc_json_string(t->member), &bad);
	put(o, "rule", dc_json_string(t->rule), &bad);
	put(o, "skill", dc_json_string(t->skill), &bad);
	put(o, "created", time_text(t->created_ms), &bad);
	put(o, "created_ms", json_integer(t->created_ms), &bad);
	put(o, "updated_ms", json_integer(t->updated_ms), &bad);
	put(o, "acknowledge_by_ms", json_integer(t->acknowledge_by_ms), &bad);
	put(o, "arrive_by_ms", json_integer(t->arrive_by_ms), &bad);
	put(o, "resolve_by_ms", json_integer(t->resolve_by_ms), &bad);
	put(o, "note", dc_json_string(t->note), &bad);
	put(o, "cancel_reason", dc_json_string(t->cancel_reason), &bad);
	put(o, "follow_up", json_boolean(t->follow_up), &bad);
	put(o, "inspection", json_boolean(t->inspection), &bad);
	put(o, "linked_to", json_integer((json_int_t)t->linked_to), &bad);
	put(o, "link", dc_json_string(dc_link_name(t->link)), &bad);
	put(o, "links", ids(t->links, t->n_links), &bad);
	put(o, "outage_id", json_integer((json_int_t)t->outage_id), &bad);
	put(o, "escalated_to", dc_json_string(t->escalated_to), &bad);
	put(o, "last_seq", json_integer((json_int_t)t->last_seq), &bad);
	/* The procedure (clause 4): hold, deadlines, escalation. */
	put(o, "hold_reason", t->hold_reason ? dc_json_string(dc_hold_reason_name(t->hold_reason)) : json_null(), &bad);
	put(o, "hold_note", dc_json_string(t->hold_note), &bad);
	put(o, "held_from", t->held_from ? dc_json_string(dc_state_name(t->held_from)) : json_null(), &bad);
	put(o, "held_since_ms", json_integer(t->held_since_ms), &bad);
	put(o, "acknowledge_left_ms", json_integer(t->acknowledge_left_ms), &bad);
	put(o, "arrive_left_ms", json_integer(t->arrive_left_ms), &bad);
	put(o, "resolve_left_ms", json_integer(t->resolve_left_ms), &bad);
	put(o, "follow_up_by_ms", json_integer(t->follow_up_by_ms), &bad);
	put(o, "due_ms", json_integer(t->due_ms), &bad);
	put(o, "escalation_step", json_integer(t->escalation_step), &bad);
	put(o, "passed_over", strings(t->passed_over, t->n_passed_over), &bad);
	put(o, "missed", missed(t->missed), &bad);
	put(o, "reopen_count", json_integer(t->reopen_count), &bad);
	/* Follow-up and inspection. */
	put(o, "satisfaction", json_integer(t->satisfaction), &bad);
	put(o, "follow_up_remark", dc_json_string(t->follow_up_remark), &bad);
	put(o, "followed_up_ms", json_integer(t->followed_up_ms), &bad);
	put(o, "followed_up_by", dc_json_string(t->followed_up_by), &bad);
	put(o, "inspection_result", dc_json_string(dc_inspection_name(t->inspection_result)), &bad);
	put(o, "inspection_remark", dc_json_string(t->inspection_remark), &bad);
	put(o, "inspected_ms", json_integer(t->inspected_ms), &bad);
	put(o, "inspector", dc_json_string(t->inspector), &bad);
	put(o, "cause", dc_json_string(t->cause), &bad);
	put(o, "corrective_action", dc_json_string(t->corrective_action), &bad);
	put(o, "about_member", dc_json_string(t->about_member), &bad);
	/* Paid service: cents, as on the wire. */
	put(o, "fee_cents", json_integer(t->fee_cents), &bad);
	put(o, "consent_ms", json_integer(t->consent_ms), &bad);
	put(o, "consent_by", dc_json_string(t->consent_by), &bad);
	put(o, "charged_cents", json_integer(t->charged_cents), &bad);
	put(o, "parts_used", dc_json_string(t->parts_used), &bad);
	/* Vendor incidents (clause 4.5). */
	put(o, "vendor", dc_json_string(t->vendor), &bad);
	put(o, "vendor_incident", dc_json_string(t->vendor_incident), &bad);
	put(o, "vendor_flagged_ms", json_integer(t->vendor_flagged_ms), &bad);
	put(o, "vendor_review", dc_json_string(t->vendor_review), &bad);
	put(o, "vendor_reviewed_ms", json_integer(t->vendor_reviewed_ms), &bad);
	/* When each step was first done. */
	put(o, "acknowledged_ms", json_integer(t->acknowledged_ms), &bad);
	put(o, "arrived_ms", json_integer(t->arrived_ms), &bad);
	put(o, "resolved_ms", json_integer(t->resolved_ms), &bad);
	put(o, "closed_ms", json_integer(t->closed_ms), &bad);
	/* Issue 19: working hours, the visit window, planned work. */
	put(o, "calendar", dc_json_string(t->calendar), &bad);
	put(o, "visit_from", t->visit_from_ms ? time_text(t->visit_from_ms) : json_null(), &bad);
	put(o, "visit_to", t->visit_to_ms ? time_text(t->visit_to_ms) : json_null(), &bad);
	put(o, "visit_from_ms", json_integer(t->visit_from_ms), &bad);
	put(o, "visit_to_ms", json_integer(t->visit_to_ms), &bad);
	put(o, "planned", json_boolean(t->planned), &bad);
	put(o, "schedule", dc_json_string(t->schedule), &bad);
	put(o, "planned_for_ms", json_integer(t->planned_for_ms), &bad);
	put(o, "target", dc_json_string(t->target), &bad);
	/* Equipment and costs (issue 19): cents, as on the wire. */
	put(o, "asset", dc_json_string(t->asset), &bad);
	put(o, "parts", dc_json_cost_parts(t->parts, t->n_parts), &bad);
	put(o, "labour_minutes", json_integer(t->labour_minutes), &bad);
	put(o, "labour_cents", json_integer(t->labour_cents), &bad);
	put(o, "invoice_cents", json_integer(t->invoice_cents), &bad);
	put(o, "cost_cents", json_integer(t->cost_cents), &bad);
	return done(o, bad);
}

json_t *dc_json_cost_parts(Dispatch__CostPart *const *v, size_t n)
{
	json_t *a = json_array();
	int bad = 0;

	if (!a)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		if (!o) {
			bad = 1;
			break;
		}
		put(o, "item", dc_json_string(v[i]->item), &bad);
		put(o, "quantity", json_integer(v[i]->quantity), &bad);
		put(o, "unit_cents", json_integer(v[i]->unit_cents), &bad);
		put(o, "total_cents", json_integer(v[i]->total_cents), &bad);
		if (json_array_append_new(a, o) != 0)
			bad = 1;
	}
	return done(a, bad);
}

json_t *dc_json_asset(const Dispatch__AssetInfo *x)
{
	json_t *o = json_object();
	int bad = 0;

	if (!o || !x)
		return done(o, 1);
	put(o, "id", dc_json_string(x->id), &bad);
	put(o, "kind", dc_json_string(x->kind), &bad);
	put(o, "building", dc_json_string(x->building), &bad);
	put(o, "unit", dc_json_string(x->unit), &bad);
	put(o, "zone", dc_json_string(x->zone), &bad);
	put(o, "crew", dc_json_string(x->crew), &bad);
	put(o, "outsourced", json_boolean(x->outsourced), &bad);
	put(o, "notes", dc_json_string(x->notes), &bad);
	put(o, "open", json_integer(x->open), &bad);
	put(o, "tickets", json_integer(x->tickets), &bad);
	put(o, "cost_cents", json_integer(x->cost_cents), &bad);
	return done(o, bad);
}

json_t *dc_json_notice(const Dispatch__Notice *n)
{
	json_t *o = json_object();
	int bad = 0;

	if (!o || !n)
		return done(o, 1);
	put(o, "kind", dc_json_string(dc_notice_kind_name(n->kind)), &bad);
	put(o, "text", dc_json_string(n->text), &bad);
	put(o, "from", time_text(n->from_ms), &bad);
	put(o, "from_ms", json_integer(n->from_ms), &bad);
	put(o, "to", time_text(n->to_ms), &bad);
	put(o, "to_ms", json_integer(n->to_ms), &bad);
	put(o, "buildings", strings(n->buildings, n->n_buildings), &bad);
	return done(o, bad);
}

json_t *dc_json_outage(const Dispatch__Outage *x)
{
	json_t *o = json_object(), *kinds;
	size_t i;
	int bad = 0;

	if (!o || !x)
		return done(o, 1);
	put(o, "id", json_integer((json_int_t)x->id), &bad);
	put(o, "text", dc_json_string(x->text), &bad);
	put(o, "buildings", strings(x->buildings, x->n_buildings), &bad);
	put(o, "zones", strings(x->zones, x->n_zones), &bad);
	put(o, "units", strings(x->units, x->n_units), &bad);
	kinds = json_array();
	for (i = 0; kinds && i < x->n_kinds; i++)
		if (json_array_append_new(kinds, dc_json_string(dc_kind_name(x->kinds[i]))) < 0)
			bad = 1;
	put(o, "kinds", kinds, &bad);
	put(o, "categories", strings(x->categories, x->n_categories), &bad);
	put(o, "from", time_text(x->from_ms), &bad);
	put(o, "from_ms", json_integer(x->from_ms), &bad);
	put(o, "to", time_text(x->to_ms), &bad);
	put(o, "to_ms", json_integer(x->to_ms), &bad);
	put(o, "ended", json_boolean(x->ended), &bad);
	put(o, "tickets", ids(x->tickets, x->n_tickets), &bad);
	put(o, "declared_by", dc_json_string(x->declared_by), &bad);
	return done(o, bad);
}

json_t *dc_json_event(const Dispatch__Event *e)
{
	const Dispatch__Ticket *t;
	json_t *o = json_object();
	int bad = 0;

	if (!o || !e)
		return done(o, 1);
	t = e->ticket;
	put(o, "seq", json_integer((json_int_t)e->seq), &bad);
	put(o, "time", time_text(e->time_ms), &bad);
	put(o, "time_ms", json_integer(e->time_ms), &bad);
	put(o, "type", dc_json_string(dc_event_type_name(e->type)), &bad);
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT)
		return done(o, bad);
	/* The flat ticket keys first: what a one-line consumer needs. */
	put(o, "member_seq", json_integer((json_int_t)e->member_seq), &bad);
	put(o, "ticket_id", json_integer((json_int_t)e->ticket_id), &bad);
	put(o, "kind", t ? dc_json_string(dc_kind_name(t->kind)) : json_null(), &bad);
	put(o, "unit", t ? dc_json_string(t->unit) : json_null(), &bad);
	put(o, "state", t ? dc_json_string(dc_state_name(t->state)) : json_null(), &bad);
	put(o, "crew", dc_json_string(e->crew), &bad);
	put(o, "member", dc_json_string(e->member), &bad);
	put(o, "actor", dc_json_string(e->actor), &bad);
	put(o, "actor_role", dc_json_string(dc_role_name(e->actor_role)), &bad);
	if (e->on_behalf_of && *e->on_behalf_of)
		put(o, "on_behalf_of", dc_json_string(e->on_behalf_of), &bad);
	put(o, "from_state", dc_json_string(dc_state_name(e->from_state)), &bad);
	put(o, "to_state", dc_json_string(dc_state_name(e->to_state)), &bad);
	put(o, "note", dc_json_string(e->note), &bad);
	put(o, "rule", dc_json_string(e->rule), &bad);
	put(o, "reason", dc_json_string(e->reason), &bad);
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_DUTY)
		put(o, "on_duty", json_boolean(e->on_duty), &bad);
	if (e->outage)
		put(o, "outage", dc_json_outage(e->outage), &bad);
	if (e->deadline)
		put(o, "deadline", dc_json_string(dc_deadline_name(e->deadline)), &bad);
	if (e->notice)
		put(o, "notice", dc_json_notice(e->notice), &bad);
	if (t)
		put(o, "ticket", dc_json_ticket(t), &bad);
	return done(o, bad);
}

json_t *dc_json_member(const Dispatch__Member *m)
{
	json_t *o = json_object();
	int bad = 0;

	if (!o || !m)
		return done(o, 1);
	put(o, "id", dc_json_string(m->id), &bad);
	put(o, "name", dc_json_string(m->name), &bad);
	put(o, "crew", dc_json_string(m->crew), &bad);
	put(o, "skills", strings(m->skills, m->n_skills), &bad);
	put(o, "zone", dc_json_string(m->zone), &bad);
	put(o, "supervisor", json_boolean(m->supervisor), &bad);
	put(o, "on_shift", json_boolean(m->on_shift), &bad);
	put(o, "online", json_boolean(m->online), &bad);
	put(o, "last_seen", time_text(m->last_seen_ms), &bad);
	put(o, "last_seen_ms", json_integer(m->last_seen_ms), &bad);
	/* Absent duty: the member follows the shift calendar. */
	put(o, "duty", m->duty ? dc_json_string(m->duty->on ? "on" : "off") : dc_json_string("shift"), &bad);
	put(o, "available", json_boolean(m->available), &bad);
	put(o, "open", json_integer(m->open), &bad);
	return done(o, bad);
}

json_t *dc_json_crew(const Dispatch__CrewInfo *c)
{
	json_t *o = json_object(), *members;
	size_t i;
	int bad = 0;

	if (!o || !c)
		return done(o, 1);
	put(o, "id", dc_json_string(c->id), &bad);
	put(o, "name", dc_json_string(c->name), &bad);
	put(o, "supervisor", dc_json_string(c->supervisor), &bad);
	put(o, "outsourced", json_boolean(c->outsourced), &bad);
	put(o, "phone", dc_json_string(c->phone), &bad);
	put(o, "queued", json_integer(c->queued), &bad);
	members = json_array();
	for (i = 0; members && i < c->n_members; i++)
		if (json_array_append_new(members, dc_json_member(c->members[i])) < 0)
			bad = 1;
	put(o, "members", members, &bad);
	return done(o, bad);
}

json_t *dc_json_decision(const Dispatch__Decision *d)
{
	json_t *o = json_object();
	int bad = 0;

	if (!o || !d)
		return done(o, 1);
	put(o, "rule", dc_json_string(d->rule), &bad);
	put(o, "crew", dc_json_string(d->crew), &bad);
	put(o, "member", dc_json_string(d->member), &bad);
	put(o, "queued", json_boolean(!d->member || !*d->member), &bad);
	put(o, "escalated_to", dc_json_string(d->escalated_to), &bad);
	put(o, "reason", dc_json_string(d->reason), &bad);
	return done(o, bad);
}

int dc_json_print(FILE *f, const json_t *v)
{
	if (!v || json_dumpf(v, f, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0)
		return -1;
	fputc('\n', f);
	return 0;
}
