/*
 * handle: request handlers (see handle.h).
 *
 * Every field from the network is checked here before it is used:
 * protobuf-c checks neither enum ranges nor sizes. Tickets that a handler
 * changes are always heap-owned (unpacked from the store, or packed and
 * unpacked once when new), so their strings are replaced through
 * handle_set_string() and freed with dispatch__ticket__free_unpacked().
 */
#include "handle.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "publish.h"
#include "route.h"
#include "ticket.h"
#include "xalloc.h"

#define HANDLE_LIST_DEFAULT 200
#define HANDLE_LIST_MAX 1000
#define HANDLE_REPLAY_DEFAULT 200
#define HANDLE_REPLAY_MAX 500
#define HANDLE_REPLAY_BYTES (1024 * 1024)
#define HANDLE_REPLY_EVENTS 32    /* events one mutating request reports back */
#define HANDLE_DRAIN_MAX 100      /* queued tickets offered per drain */
#define HANDLE_OUTAGE_TICKETS 10000

/* ---- replies and checks ----------------------------------------------- */

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
			   "the request could not be stored (%s); nothing was changed, please retry", store_strerror(rc));
}

static int handle_ok(struct handle_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int handle_ok(struct handle_ctx *c, const char *fmt, ...)
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

bool handle_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned n;
		uint32_t cp;
		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\t' && *p != '\n')
				return false; /* control characters have no place in a ticket */
			p++;
			continue;
		} else if ((*p & 0xe0) == 0xc0) {
			n = 1, cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2, cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3, cp = *p & 0x07;
		} else {
			return false;
		}
		p++;
		for (unsigned i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*p & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

int handle_check_text(struct handle_ctx *c, const char *field, const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n < min)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field, "%s is required", field);
	if (n > max)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field, "%s is too long (%zu bytes; at most %zu)",
				   field, n, max);
	if (n > 0 && !handle_utf8_ok(s))
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
				   "%s is not valid UTF-8 text (or holds control characters)", field);
	return 0;
}

int handle_check_id(struct handle_ctx *c, const char *field, const char *s, size_t min, size_t max)
{
	if (handle_check_text(c, field, s, min, max) != 0)
		return -1;
	for (const char *p = s ? s : ""; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '_' || ch == '/' || ch == '*' || ch == '?'))
			return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
					   "%s '%s' may hold only letters, digits, '-', '_' and '/'", field, s);
	}
	return 0;
}

int handle_check_enum(struct handle_ctx *c, const char *field, int value, int lo, int hi, const char *hint)
{
	if (value < lo || value > hi)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field, "unknown %s %d; use %s", field, value, hint);
	return 0;
}

/* ---- owned tickets and events ----------------------------------------- */

static void handle_free_ticket(void *p) { dispatch__ticket__free_unpacked(p, NULL); }
static void handle_free_event(void *p) { dispatch__event__free_unpacked(p, NULL); }
static void handle_free_outage(void *p) { dispatch__outage__free_unpacked(p, NULL); }

/* Replace a string field of a heap-owned (unpacked) message. */
void handle_set_string(char **field, const char *value)
{
	if (value == *field)
		return; /* its own value: freeing first would copy freed memory */
	if (*field != NULL && *field != protobuf_c_empty_string)
		free(*field);
	*field = xstrdup(value ? value : "");
}

static void handle_push_id(uint64_t **v, size_t *n, uint64_t id)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = id;
}

/* A heap-owned copy of t, freed when the arena resets. */
static Dispatch__Ticket *handle_own(struct handle_ctx *c, const Dispatch__Ticket *t)
{
	size_t len = dispatch__ticket__get_packed_size(t);
	uint8_t *buf = arena_alloc(c->a, len ? len : 1);
	Dispatch__Ticket *copy;

	dispatch__ticket__pack(t, buf);
	copy = dispatch__ticket__unpack(NULL, len, buf);
	if (copy == NULL) { /* we just packed it: only memory can fail here */
		log_err("cannot copy a ticket; out of memory");
		exit(70);
	}
	arena_defer(c->a, handle_free_ticket, copy);
	return copy;
}

static int handle_load(struct handle_ctx *c, uint64_t id, const char *field, Dispatch__Ticket **out)
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
static void handle_reply_event(struct handle_ctx *c, const Dispatch__Event *ev)
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
static int handle_append(struct handle_ctx *c, Dispatch__Event *ev)
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
	for (unsigned i = 0; i < cfg->rules_count; i++)
		if (strcmp(cfg->rules[i].name, t->rule) == 0)
			return &cfg->rules[i];
	for (unsigned i = 0; i < cfg->rules_count; i++)
		if (strcmp(cfg->rules[i].crew, t->crew) == 0)
			return &cfg->rules[i];
	return NULL;
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
	if (r->deadlines) {
		t->acknowledge_by_ms = r->deadlines->acknowledge_ms ? c->now + r->deadlines->acknowledge_ms : 0;
		t->arrive_by_ms = r->deadlines->arrive_ms ? c->now + r->deadlines->arrive_ms : 0;
		t->resolve_by_ms = r->deadlines->resolve_ms ? c->now + r->deadlines->resolve_ms : 0;
	}
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
	    handle_check_id(c, "submit.about_member", sub->about_member, 0, 32))
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
	if (sub->priority > 5)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "submit.priority",
				   "priority %u is out of range; use 1 (urgent) to 5 (low), or leave it out", sub->priority);
	if (sub->n_tags > 16)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "submit.tags", "too many tags (%zu; at most 16)",
				   sub->n_tags);
	for (size_t i = 0; i < sub->n_tags; i++)
		if (handle_check_text(c, "submit.tags", sub->tags[i], 1, 32))
			return -1;
	return 0;
}

/* A new ticket from a Submit body (not stored; heap-owned). */
static Dispatch__Ticket *handle_ticket_from(struct handle_ctx *c, const Dispatch__Submit *sub)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	char building[64];
	const char *zone;

	t.kind = sub->kind;
	t.unit = sub->unit;
	t.person = sub->person;
	t.phone = sub->phone;
	t.source = sub->source;
	t.text = sub->text;
	t.priority = sub->priority;
	t.category = sub->category;
	t.n_tags = sub->n_tags;
	t.tags = sub->tags;
	t.fee_cents = sub->fee_cents;
	t.about_member = sub->about_member;
	t.follow_up = sub->kind == DISPATCH__KIND__KIND_COMPLAINT; /* clause 4.2: always called back */
	t.created_ms = c->now;
	config_unit_building(sub->unit, building, sizeof building);
	zone = config_zone_of(c->cfg, building);
	t.building = building;
	t.zone = (char *)(zone ? zone : "");
	return handle_own(c, &t);
}

static bool handle_outage_matches(const config_t *cfg, const Dispatch__Outage *o, const Dispatch__Ticket *t, int64_t now)
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
	if (o->linked_to == 0 && o->outage_id == 0 && o->kind == f->t->kind && strcmp(o->category, f->t->category) == 0 &&
	    strcmp(o->about_member, f->t->about_member) == 0 &&
	    f->c->now - o->created_ms <= f->c->cfg->duplicate_window_ms && o->state != DISPATCH__STATE__STATE_RESOLVED) {
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
	snprintf(note, sizeof note, "same problem as ticket %llu; not dispatched again", (unsigned long long)f.found->id);
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
	handle_ok(c, "ticket %llu is the same problem as ticket %llu (%s%s%s); linked to it, not dispatched again. "
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
static void handle_complaint_route(struct handle_ctx *c, const Dispatch__Ticket *t, struct route_result *res)
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
static int handle_hold_for_consent(struct handle_ctx *c, Dispatch__Ticket *t)
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
	return handle_ok(c, "ticket %llu recorded for %s; nobody is sent until the resident's consent to the fee "
			    "(HK$%lld.%02lld) is recorded",
			 (unsigned long long)t->id, t->crew, (long long)(t->fee_cents / 100),
			 (long long)(t->fee_cents % 100));
}

/* Dispatch t on its own, as a submission would (a duplicate unlinked):
 * its rule's crew and member, a complaint's supervisor, or the consent
 * hold of a paid service. (A rule with `continue` adds no second crew's
 * part here: the first report had them.) */
static int handle_dispatch(struct handle_ctx *c, Dispatch__Ticket *t)
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
static int handle_release_duplicates(struct handle_ctx *c, const Dispatch__Ticket *t, Dispatch__Ticket *into,
				     const char *why)
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
			snprintf(note, sizeof note, "ticket %llu was %s; dispatched on its own", (unsigned long long)t->id, why);
		} else {
			d->linked_to = into->id;
			handle_push_id(&into->links, &into->n_links, d->id);
			snprintf(note, sizeof note, "ticket %llu was %s; now linked to ticket %llu", (unsigned long long)t->id,
				 why, (unsigned long long)into->id);
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
	if (old) {
		t->replaces = old->id;
		snprintf(msg, sizeof msg, "corrects ticket %llu", (unsigned long long)old->id);
		ev.note = arena_strdup(c->a, msg);
	}
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
			used += (size_t)snprintf(msg + used, sizeof msg - used, "%sticket %llu assigned to %s (%s) of %s by rule %s",
						 k ? "; " : "", (unsigned long long)part->id, a->member->id, a->member->name,
						 a->crew->id, a->rule->name);
		else
			used += (size_t)snprintf(msg + used, sizeof msg - used,
						 "%sticket %llu queued for %s by rule %s: nobody can take it now; %s told",
						 k ? "; " : "", (unsigned long long)part->id, a->crew->id, a->rule->name,
						 part->escalated_to);
		if (used >= sizeof msg)
			used = sizeof msg - 1;
	}
	if (res.n > 1 && (rc = store_put_ticket(c->store, c->txn, t)) != 0) /* its links */
		return handle_store_fail(c, rc);
	c->rep->ticket = t;
	return handle_ok(c, "%s", msg);
}

int handle_explain_check(struct handle_ctx *c)
{
	const Dispatch__Explain *x = c->req->explain;

	if (x->submit == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "explain.submit", "explain needs the ticket's fields");
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
			 "a paid service (fee HK$%lld.%02lld): it waits on hold for the resident's consent, and nobody is "
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
					   : res.a[k].crew->supervisor ? res.a[k].crew->supervisor : "control-center");
		c->rep->decisions[c->rep->n_decisions++] = d;
	}
	return handle_ok(c, "dry run: nothing was stored");
}

/* ---- transitions --------------------------------------------------------- */

/* Close or cancel the duplicates of t together with it. */
static int handle_close_duplicates(struct handle_ctx *c, Dispatch__Ticket *t, Dispatch__State to)
{
	char note[128];

	snprintf(note, sizeof note, "%s together with ticket %llu", to == DISPATCH__STATE__STATE_CLOSED ? "closed" : "cancelled",
		 (unsigned long long)t->id);
	for (size_t i = 0; i < t->n_links; i++) {
		Dispatch__Ticket *d = NULL;
		Dispatch__Event ev;
		int rc = store_get_ticket(c->store, c->txn, t->links[i], &d);
		if (rc == STORE_NOTFOUND)
			continue;
		if (rc != 0)
			return handle_store_fail(c, rc);
		arena_defer(c->a, handle_free_ticket, d);
		if (d->link != DISPATCH__LINK_KIND__LINK_DUPLICATE || d->state == DISPATCH__STATE__STATE_CLOSED ||
		    d->state == DISPATCH__STATE__STATE_CANCELLED)
			continue;
		handle_system_event(&ev, to == DISPATCH__STATE__STATE_CLOSED ? DISPATCH__EVENT_TYPE__EVENT_CLOSED
									      : DISPATCH__EVENT_TYPE__EVENT_CANCELLED);
		ev.note = arena_strdup(c->a, note);
		if (handle_record(c, d, to, &ev, NULL, NULL) != 0)
			return -1;
	}
	return 0;
}

/* Hold pauses the deadlines: each keeps the time it had left. */
static void handle_pause(struct handle_ctx *c, Dispatch__Ticket *t)
{
	int64_t *by[] = { &t->acknowledge_by_ms, &t->arrive_by_ms, &t->resolve_by_ms };
	int64_t *left[] = { &t->acknowledge_left_ms, &t->arrive_left_ms, &t->resolve_left_ms };

	for (int i = 0; i < 3; i++) {
		*left[i] = *by[i] > 0 ? (*by[i] > c->now ? *by[i] - c->now : 1) : 0;
		*by[i] = 0;
	}
}

static void handle_unpause(struct handle_ctx *c, Dispatch__Ticket *t)
{
	int64_t *by[] = { &t->acknowledge_by_ms, &t->arrive_by_ms, &t->resolve_by_ms };
	int64_t *left[] = { &t->acknowledge_left_ms, &t->arrive_left_ms, &t->resolve_left_ms };

	for (int i = 0; i < 3; i++) {
		*by[i] = *left[i] > 0 ? c->now + *left[i] : 0;
		*left[i] = 0;
	}
}

int handle_reopen(struct handle_ctx *c, Dispatch__Ticket *t, const char *why)
{
	const struct config_rule *rule = handle_rule_of(c->cfg, t);
	const struct config_crew *crew = config_crew(c->cfg, t->crew);
	struct route_assignment a;
	Dispatch__Event ev;
	int rc;

	t->reopen_count++;
	/* A new round of work: a new follow-up, fresh deadlines and chain. */
	t->followed_up_ms = 0;
	t->follow_up_by_ms = 0;
	t->missed = 0;
	t->escalation_step = 0;
	for (size_t i = 0; i < t->n_passed_over; i++)
		free(t->passed_over[i]);
	t->n_passed_over = 0;
	handle_set_string(&t->member, "");
	handle_system_event(&ev, DISPATCH__EVENT_TYPE__EVENT_REOPENED);
	ev.note = arena_strdup(c->a, why);
	if (handle_record(c, t, DISPATCH__STATE__STATE_NEW, &ev, NULL, NULL) != 0)
		return -1;
	if (rule == NULL || crew == NULL) {
		/* its rule or crew is gone from the configuration: route afresh */
		struct route_result res;
		if ((rc = route_ticket(c->cfg, c->store, c->txn, c->roster, &c->rt, t, true, &res)) != 0)
			return handle_store_fail(c, rc);
		return handle_assign(c, t, &res.a[0]);
	}
	if ((rc = route_member(c->cfg, c->store, c->txn, c->roster, &c->rt, t, rule, crew, true, &a)) != 0)
		return handle_store_fail(c, rc);
	return handle_assign(c, t, &a);
}

/* A consent: the paid service is dispatched now. */
static int handle_consented(struct handle_ctx *c, Dispatch__Ticket *t)
{
	struct route_result res;
	int rc;

	if ((rc = route_ticket(c->cfg, c->store, c->txn, c->roster, &c->rt, t, true, &res)) != 0)
		return handle_store_fail(c, rc);
	return handle_assign(c, t, &res.a[0]);
}

/* Apply what a transition carries to t, before it is recorded. */
static void handle_apply(struct handle_ctx *c, const Dispatch__Transition *tr, Dispatch__Ticket *t)
{
	const struct config_rule *rule;

	if (tr->cause[0])
		handle_set_string(&t->cause, tr->cause);
	if (tr->corrective_action[0])
		handle_set_string(&t->corrective_action, tr->corrective_action);
	switch (tr->action) {
	case DISPATCH__ACTION__ACTION_ACCEPT:
		if (t->acknowledged_ms == 0)
			t->acknowledged_ms = c->now;
		break;
	case DISPATCH__ACTION__ACTION_ARRIVE:
		if (t->arrived_ms == 0)
			t->arrived_ms = c->now;
		break;
	case DISPATCH__ACTION__ACTION_RESOLVE:
		if (tr->note[0])
			handle_set_string(&t->note, tr->note);
		if (tr->parts_used[0])
			handle_set_string(&t->parts_used, tr->parts_used);
		if (t->fee_cents > 0)
			t->charged_cents = tr->charged_cents;
		t->resolved_ms = c->now;
		rule = handle_rule_of(c->cfg, t);
		t->follow_up_by_ms = t->follow_up && rule && rule->deadlines && rule->deadlines->follow_up_ms
					     ? c->now + rule->deadlines->follow_up_ms
					     : 0;
		break;
	case DISPATCH__ACTION__ACTION_CLOSE:
		t->closed_ms = c->now;
		break;
	case DISPATCH__ACTION__ACTION_CANCEL:
		handle_set_string(&t->cancel_reason, tr->note);
		break;
	case DISPATCH__ACTION__ACTION_HOLD:
		t->hold_reason = tr->hold_reason;
		handle_set_string(&t->hold_note, tr->note);
		t->held_from = t->state;
		t->held_since_ms = c->now;
		handle_pause(c, t);
		break;
	case DISPATCH__ACTION__ACTION_RESUME:
		handle_unpause(c, t);
		break;
	case DISPATCH__ACTION__ACTION_CONSENT:
		t->consent_ms = c->now;
		handle_set_string(&t->consent_by, c->actor);
		break;
	case DISPATCH__ACTION__ACTION_FOLLOW_UP:
		t->satisfaction = tr->satisfaction;
		handle_set_string(&t->follow_up_remark, tr->note);
		t->followed_up_ms = c->now;
		handle_set_string(&t->followed_up_by, c->actor);
		break;
	case DISPATCH__ACTION__ACTION_INSPECT:
		t->inspection_result = tr->inspection;
		handle_set_string(&t->inspection_remark, tr->note);
		t->inspected_ms = c->now;
		handle_set_string(&t->inspector, c->actor);
		if (tr->inspection == DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL)
			t->inspection = true; /* it must pass before it closes again */
		break;
	case DISPATCH__ACTION__ACTION_FLAG_VENDOR:
		handle_set_string(&t->vendor_incident, tr->note);
		t->vendor_flagged_ms = c->now;
		break;
	case DISPATCH__ACTION__ACTION_REVIEW_VENDOR:
		handle_set_string(&t->vendor_review, tr->note);
		t->vendor_reviewed_ms = c->now;
		break;
	case DISPATCH__ACTION__ACTION_UNLINK:
		t->linked_to = 0;
		t->link = DISPATCH__LINK_KIND__LINK_NONE;
		break;
	default:
		break;
	}
}

/* What a transition's check found, for its apply. */
struct handle_transition_state {
	Dispatch__Ticket *t;                  /* the ticket, heap-owned (arena) */
	const struct ticket_transition *row;  /* its row of the transition table */
	const struct config_member *m;        /* assign: the member ... */
	const struct config_crew *mcrew;      /* ... and that member's crew */
};

int handle_transition_check(struct handle_ctx *c)
{
	const Dispatch__Transition *tr = c->req->transition;
	struct handle_transition_state *st = arena_alloc(c->a, sizeof *st);
	const struct ticket_transition *row;
	const struct config_member *m = NULL;
	const struct config_crew *mcrew = NULL;
	const char *field = NULL;
	Dispatch__Ticket *t = NULL;
	char msg[256];
	int rc;

	if (tr->ticket_id == 0)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.ticket_id", "a ticket id is required");
	if (handle_check_enum(c, "transition.action", tr->action, DISPATCH__ACTION__ACTION_ACCEPT,
			      DISPATCH__ACTION__ACTION_UNLINK,
			      "accept, arrive, resolve, close, cancel, assign, hold, resume, follow-up, inspect, consent, "
			      "flag-vendor, review-vendor or unlink") ||
	    handle_check_enum(c, "transition.hold_reason", tr->hold_reason, 0, DISPATCH__HOLD_REASON__HOLD_OTHER,
			      "parts, resident-away, no-access or other") ||
	    handle_check_enum(c, "transition.inspection", tr->inspection, 0, DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL,
			      "pass or fail") ||
	    handle_check_text(c, "transition.note", tr->note, 0, 2000) ||
	    handle_check_text(c, "transition.cause", tr->cause, 0, 2000) ||
	    handle_check_text(c, "transition.corrective_action", tr->corrective_action, 0, 2000) ||
	    handle_check_text(c, "transition.parts_used", tr->parts_used, 0, 500) ||
	    handle_check_id(c, "transition.member", tr->member, 0, 32))
		return -1;
	if (tr->action == DISPATCH__ACTION__ACTION_ASSIGN) {
		if (tr->member[0] == '\0')
			return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.member",
					   "assign needs the member to assign the ticket to");
		if ((m = config_member(c->cfg, tr->member, &mcrew)) == NULL)
			return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "transition.member", "no such member %s in %s",
					   tr->member, c->cfg->estate);
	}
	if (handle_load(c, tr->ticket_id, "transition.ticket_id", &t) != 0)
		return -1;

	rc = ticket_rule(t, tr->action, c->role, c->actor, tr->note, &row, msg, sizeof msg);
	if (rc == 0)
		rc = ticket_guard(t, tr, &field, msg, sizeof msg);
	switch (rc) {
	case 0: break;
	case TICKET_CONFLICT: return handle_fail(c, DISPATCH__STATUS__STATUS_CONFLICT, NULL, "%s", msg);
	case TICKET_FORBIDDEN: return handle_fail(c, DISPATCH__STATUS__STATUS_FORBIDDEN, NULL, "%s", msg);
	default: return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field ? field : "transition.note", "%s", msg);
	}
	st->t = t;
	st->row = row;
	st->m = m;
	st->mcrew = mcrew;
	c->state = st;
	return 0;
}

int handle_transition_apply(struct handle_ctx *c)
{
	const Dispatch__Transition *tr = c->req->transition;
	const struct handle_transition_state *st = c->state;
	const struct ticket_transition *row = st->row;
	const struct config_member *m = st->m;
	const struct config_crew *mcrew = st->mcrew;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	Dispatch__Ticket *t = st->t;
	Dispatch__State to;
	char msg[256], previous[80], was_crew[80];
	bool reopen = false;
	uint64_t unlinked_from;

	snprintf(previous, sizeof previous, "%s", t->member);
	snprintf(was_crew, sizeof was_crew, "%s", t->crew);
	unlinked_from = t->linked_to;
	to = row->to;
	if (to == DISPATCH__STATE__STATE_UNSPECIFIED) /* STAY rows: the handler decides */
		to = tr->action == DISPATCH__ACTION__ACTION_RESUME    ? t->held_from
		     : tr->action == DISPATCH__ACTION__ACTION_CONSENT ? DISPATCH__STATE__STATE_NEW
								       : t->state;
	handle_apply(c, tr, t);
	if (tr->action == DISPATCH__ACTION__ACTION_ASSIGN) {
		const struct config_rule *rule = handle_rule_of(c->cfg, t);
		handle_set_string(&t->crew, mcrew->id);
		handle_set_string(&t->member, m->id);
		handle_set_string(&t->escalated_to, "");
		if (mcrew->outsourced)
			handle_set_string(&t->vendor, mcrew->id);
		/* the new member gets the acknowledge time afresh */
		t->acknowledge_by_ms = rule && rule->deadlines && rule->deadlines->acknowledge_ms
					       ? c->now + rule->deadlines->acknowledge_ms
					       : 0;
	}
	ev.type = row->event;
	ev.actor = (char *)c->actor;
	ev.actor_role = c->role;
	ev.note = tr->note;
	/* An outside provider has no handheld: the desk records its steps, and
	 * the record says for whom. */
	if (row->proxy && c->role != DISPATCH__ROLE__ROLE_CREW && ticket_outsourced(t) && t->member[0])
		ev.on_behalf_of = arena_strdup(c->a, t->member);
	if (tr->action == DISPATCH__ACTION__ACTION_ASSIGN) {
		snprintf(msg, sizeof msg, "assigned by %s%s%s", c->actor, previous[0] ? "; was " : "", previous);
		ev.reason = arena_strdup(c->a, msg);
	}
	/* the member who loses it by an assignment hears of it too */
	if (handle_record(c, t, to, &ev, was_crew,
			  tr->action == DISPATCH__ACTION__ACTION_ASSIGN && previous[0] && strcmp(previous, m->id) != 0
				  ? previous
				  : NULL) != 0)
		return -1;
	/* Closing closes the duplicates with it (the problem is fixed);
	 * cancelling does not void them: the oldest is dispatched instead. */
	if (to == DISPATCH__STATE__STATE_CLOSED && handle_close_duplicates(c, t, to) != 0)
		return -1;
	if (to == DISPATCH__STATE__STATE_CANCELLED && handle_release_duplicates(c, t, NULL, "cancelled") != 0)
		return -1;

	switch (tr->action) {
	case DISPATCH__ACTION__ACTION_CONSENT:
		if (handle_consented(c, t) != 0)
			return -1;
		break;
	case DISPATCH__ACTION__ACTION_UNLINK:
		if (handle_dispatch(c, t) != 0)
			return -1;
		break;
	case DISPATCH__ACTION__ACTION_FOLLOW_UP:
		if (tr->satisfaction <= c->cfg->follow_up_threshold) {
			snprintf(msg, sizeof msg, "the resident is not satisfied (score %u of 5): %s", tr->satisfaction,
				 tr->note[0] ? tr->note : "no remark");
			reopen = true;
		}
		break;
	case DISPATCH__ACTION__ACTION_INSPECT:
		if (tr->inspection == DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL) {
			snprintf(msg, sizeof msg, "quality inspection failed: %s", tr->note);
			reopen = true;
		}
		break;
	default:
		break;
	}
	if (reopen && handle_reopen(c, t, msg) != 0)
		return -1;
	c->rep->ticket = t;
	if (tr->action == DISPATCH__ACTION__ACTION_ASSIGN)
		return handle_ok(c, "ticket %llu is now assigned to %s (%s) of %s", (unsigned long long)t->id, m->id, m->name,
				 mcrew->id);
	if (reopen)
		return handle_ok(c, "ticket %llu is reopened (%u time%s) and %s%s", (unsigned long long)t->id,
				 t->reopen_count, t->reopen_count == 1 ? "" : "s",
				 t->member[0] ? "assigned to " : "queued for ", t->member[0] ? t->member : t->crew);
	if (tr->action == DISPATCH__ACTION__ACTION_UNLINK)
		return handle_ok(c, "ticket %llu is unlinked from ticket %llu and %s%s", (unsigned long long)t->id,
				 (unsigned long long)unlinked_from, t->member[0] ? "assigned to " : "queued for ",
				 t->member[0] ? t->member : t->crew);
	if (tr->action == DISPATCH__ACTION__ACTION_CONSENT)
		return handle_ok(c, "consent recorded; ticket %llu is %s%s", (unsigned long long)t->id,
				 t->member[0] ? "assigned to " : "queued for ", t->member[0] ? t->member : t->crew);
	if (ev.on_behalf_of[0])
		return handle_ok(c, "ticket %llu is now %s (recorded by %s for %s of %s)", (unsigned long long)t->id,
				 ticket_state_name(t->state), c->actor, ev.on_behalf_of, t->crew);
	return handle_ok(c, "ticket %llu is now %s", (unsigned long long)t->id, ticket_state_name(t->state));
}

/* ---- queries --------------------------------------------------------------- */

/* Collects unpacked events into an arena-backed array. */
struct handle_events {
	struct handle_ctx *c;
	Dispatch__Event **v;
	size_t n, cap, bytes, max, max_bytes;
	bool strip_ticket;
	const char *member;       /* only events addressed to this member (NULL: all) */
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
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "declare_outage.outage", "the outage is missing");
	if (handle_check_text(c, "outage.text", in->text, 1, 500))
		return -1;
	if (in->n_buildings + in->n_zones + in->n_units == 0)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "outage.buildings",
				   "say where the outage is: buildings, zones or unit patterns");
	if (in->n_buildings > 100 || in->n_zones > 100 || in->n_units > 100 || in->n_kinds > 16 ||
	    in->n_categories > 100)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "outage", "too many entries in the outage's lists");
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
	snprintf(note, sizeof note, "outage %llu ended%s%s", (unsigned long long)o->id, e->note[0] ? ": " : "", e->note);
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
