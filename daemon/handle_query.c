/*
 * handle_query: the requests that only read (get, list, replay, ping,
 * crews, vendor incidents). Their answers are collections, bounded in
 * count and bytes so a reply stays one message; their rows in the request
 * table (command.c) weigh them heavy for the batch.
 */
#include "handle.h"
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle_impl.h"
#include "ticket.h"
#include "xalloc.h"

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

/*
 * list: a search over every ticket kept, newest first. One source gives
 * the candidates (the cheapest that covers the filters: the search index
 * by unit, the open indexes, the search index by creation time, or every
 * ticket), each candidate is checked against every filter, and a page
 * ends at its count, its bytes or HANDLE_LIST_SCAN candidates examined,
 * whichever comes first, so that no request holds the loop for long; the
 * reply then says where to go on (Reply.more, next_after).
 */
#define HANDLE_LIST_SCAN 20000
#define HANDLE_LIST_UNITS 8
#define HANDLE_LIST_KINDS 16
#define HANDLE_LIST_CATEGORIES 32
#define HANDLE_LIST_STATES 16

struct handle_search {
	struct handle_ctx *c;
	const Dispatch__List *q;
	bool open_only; /* neither include_closed nor states: open tickets only */
	char phone[24]; /* the digits wanted (list.phone without its punctuation) */
	Dispatch__Ticket **v;
	size_t n, max, bytes;
	uint32_t scanned; /* candidates examined */
	uint64_t last;    /* the last candidate examined */
	bool stopped;     /* a bound stopped the page before the last candidate */
	uint64_t *ids;    /* an index's candidates (heap) */
	size_t nids, capids;
	int err;
};

/* haystack holds needle, ASCII letters in either case (UTF-8 sequences
 * never hold ASCII bytes, so Chinese matches byte for byte). */
static bool handle_has_ci(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return true;
	for (size_t i = 0; i + nlen <= hlen; i++) {
		size_t j = 0;
		while (j < nlen && tolower((unsigned char)hay[i + j]) == tolower((unsigned char)needle[j]))
			j++;
		if (j == nlen)
			return true;
	}
	return false;
}

static bool handle_str_has(const char *s, const char *needle)
{
	return handle_has_ci(s ? s : "", s ? strlen(s) : 0, needle, strlen(needle));
}

/* The digits of s into out (at most size - 1). */
static size_t handle_digits(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; s && *s && n + 1 < size; s++)
		if (*s >= '0' && *s <= '9')
			out[n++] = *s;
	out[n] = '\0';
	return n;
}

/* A unit pattern: a unit's characters and the glob's '*', '?' and
 * '[...]' (a set or range, '!' first for "not"). NULL if good, else why. */
static const char *handle_unit_pattern_error(const char *p)
{
	for (size_t i = 0; p[i]; i++) {
		char ch = p[i];
		if (ch == '[') {
			size_t j = i + 1;
			if (p[j] == '!')
				j++;
			if (p[j] == ']')
				j++;
			while (p[j] && p[j] != ']') {
				if (p[j] == '[')
					return "a '[' inside a '[...]' set";
				j++;
			}
			if (p[j] != ']')
				return "a '[' without its closing ']'";
			i = j;
		} else if (ch == ']') {
			return "a ']' without its opening '['";
		} else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			     ch == '-' || ch == '_' || ch == '/' || ch == '*' || ch == '?')) {
			return "a character that is neither in a unit nor a pattern's '*', '?' or '[...]'";
		}
	}
	return NULL;
}

static bool handle_search_match(const struct handle_search *h, const Dispatch__Ticket *t)
{
	const Dispatch__List *q = h->q;
	size_t i;

	if (h->open_only && !(q->member[0] ? store_state_counts_for_member(t->state) : store_state_is_open(t->state)))
		return false;
	if (q->n_states) {
		for (i = 0; i < q->n_states && q->states[i] != t->state; i++)
			;
		if (i == q->n_states)
			return false;
	}
	if ((q->crew[0] && strcmp(t->crew, q->crew) != 0) || (q->member[0] && strcmp(t->member, q->member) != 0))
		return false;
	if (q->n_kinds) {
		for (i = 0; i < q->n_kinds && q->kinds[i] != t->kind; i++)
			;
		if (i == q->n_kinds)
			return false;
	}
	if (q->n_categories) {
		for (i = 0; i < q->n_categories && strcmp(q->categories[i], t->category) != 0; i++)
			;
		if (i == q->n_categories)
			return false;
	}
	if (q->n_units) {
		for (i = 0; i < q->n_units && fnmatch(q->units[i], t->unit, 0) != 0; i++)
			;
		if (i == q->n_units)
			return false;
	}
	if ((q->created_from_ms && t->created_ms < q->created_from_ms) ||
	    (q->created_to_ms && t->created_ms >= q->created_to_ms))
		return false;
	if ((q->text[0] && !handle_str_has(t->text, q->text)) ||
	    (q->person[0] && !handle_str_has(t->person, q->person)))
		return false;
	if (h->phone[0]) {
		char digits[64];
		handle_digits(t->phone, digits, sizeof digits);
		if (strstr(digits, h->phone) == NULL)
			return false;
	}
	return true;
}

/* One candidate, as stored: 0 go on, 1 the page is done, -1 failed. */
static int handle_search_visit(uint64_t id, const void *data, size_t len, void *arg)
{
	struct handle_search *h = arg;
	const Dispatch__List *q = h->q;
	Dispatch__Ticket *t;

	if (h->n >= h->max || h->bytes >= HANDLE_REPLAY_BYTES || h->scanned >= HANDLE_LIST_SCAN) {
		h->stopped = true;
		return 1;
	}
	h->scanned++;
	h->last = id;
	/* The text and the name are stored as they are: a ticket whose bytes
	 * do not hold them cannot match, and is not decoded. */
	if ((q->text[0] && !handle_has_ci(data, len, q->text, strlen(q->text))) ||
	    (q->person[0] && !handle_has_ci(data, len, q->person, strlen(q->person))))
		return 0;
	if ((t = dispatch__ticket__unpack(NULL, len, data)) == NULL) {
		h->err = STORE_CORRUPT;
		return -1;
	}
	if (!handle_search_match(h, t)) {
		dispatch__ticket__free_unpacked(t, NULL); /* at once: a page may pass over thousands */
		return 0;
	}
	arena_defer(h->c->a, handle_free_ticket, t);
	h->v[h->n++] = t;
	h->bytes += len;
	return 0;
}

static int handle_search_collect(uint64_t id, void *arg)
{
	struct handle_search *h = arg;

	if (h->q->after_id && id >= h->q->after_id)
		return 0;
	if (h->nids == h->capids) {
		h->capids = h->capids ? h->capids * 2 : 256;
		h->ids = xrealloc(h->ids, h->capids * sizeof *h->ids);
	}
	h->ids[h->nids++] = id;
	return 0;
}

static int handle_search_unit(const char *unit, uint64_t id, void *arg)
{
	struct handle_search *h = arg;

	for (size_t i = 0; i < h->q->n_units; i++)
		if (fnmatch(h->q->units[i], unit, 0) == 0)
			return handle_search_collect(id, h);
	return 0;
}

static int handle_id_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x > y ? -1 : x < y;
}

/* The index's candidates, newest first, each once. */
static int handle_search_ids(struct handle_search *h)
{
	if (h->nids > 1) /* none at all: h->ids is NULL, which qsort may not be given */
		qsort(h->ids, h->nids, sizeof *h->ids, handle_id_desc);
	for (size_t i = 0; i < h->nids; i++) {
		const void *data;
		size_t len;
		int rc;
		if (i > 0 && h->ids[i] == h->ids[i - 1])
			continue;
		if ((rc = store_ticket_bytes(h->c->store, h->c->txn, h->ids[i], &data, &len)) == STORE_NOTFOUND)
			continue; /* the index is kept with the tickets; not ours to judge here (--verify) */
		if (rc != 0)
			return rc;
		if ((rc = handle_search_visit(h->ids[i], data, len, h)) != 0)
			return rc < 0 ? (h->err ? h->err : rc) : 0;
	}
	return 0;
}

int handle_list_check(struct handle_ctx *c)
{
	const Dispatch__List *q = c->req->list;
	char digits[64];
	size_t i;

	if ((q->crew[0] && handle_check_id(c, "list.crew", q->crew, 1, 32)) ||
	    (q->member[0] && handle_check_id(c, "list.member", q->member, 1, 32)))
		return -1;
	if (q->crew[0] && config_crew(c->cfg, q->crew) == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "list.crew", "no such crew %s", q->crew);
	if (q->member[0] && config_member(c->cfg, q->member, NULL) == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "list.member", "no such member %s in %s",
				   q->member, c->cfg->estate);
	if (handle_check_text(c, "list.text", q->text, 0, 200) ||
	    handle_check_text(c, "list.person", q->person, 0, 100) ||
	    handle_check_text(c, "list.phone", q->phone, 0, 40))
		return -1;
	for (const char *p = q->phone; *p; p++)
		if (!strchr("0123456789 +-()", *p))
			return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "list.phone",
					   "list.phone '%s' may hold only digits, spaces, '+', '-', '(' and ')'",
					   q->phone);
	i = handle_digits(q->phone, digits, sizeof digits);
	if (q->phone[0] && (i < 3 || i > 20))
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "list.phone",
				   "list.phone needs 3 to 20 digits to look for, not %zu", i);
	if (q->n_units > HANDLE_LIST_UNITS)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "list.units",
				   "too many unit patterns (%zu; at most %d)", q->n_units, HANDLE_LIST_UNITS);
	for (i = 0; i < q->n_units; i++) {
		const char *why;
		if (handle_check_text(c, "list.units", q->units[i], 1, 32))
			return -1;
		if ((why = handle_unit_pattern_error(q->units[i])) != NULL)
			return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "list.units",
					   "unit pattern '%s' holds %s; use a unit such as 12-1A, or a pattern "
					   "such as 12-* or 1?-[AB]*",
					   q->units[i], why);
	}
	if (q->created_from_ms < 0 || q->created_to_ms < 0)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID,
				   q->created_from_ms < 0 ? "list.created_from_ms" : "list.created_to_ms",
				   "a date range's ends are unix milliseconds, not negative");
	if (q->created_from_ms && q->created_to_ms && q->created_from_ms >= q->created_to_ms)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "list.created_to_ms",
				   "the date range ends (%lld) before or where it starts (%lld); give the earlier "
				   "time first",
				   (long long)q->created_to_ms, (long long)q->created_from_ms);
	if (q->n_kinds > HANDLE_LIST_KINDS || q->n_categories > HANDLE_LIST_CATEGORIES ||
	    q->n_states > HANDLE_LIST_STATES)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID,
				   q->n_kinds > HANDLE_LIST_KINDS             ? "list.kinds"
				   : q->n_categories > HANDLE_LIST_CATEGORIES ? "list.categories"
									      : "list.states",
				   "too many values (at most %d kinds, %d categories, %d states)", HANDLE_LIST_KINDS,
				   HANDLE_LIST_CATEGORIES, HANDLE_LIST_STATES);
	for (i = 0; i < q->n_kinds; i++)
		if (handle_check_enum(c, "list.kinds", (int)q->kinds[i], DISPATCH__KIND__KIND_REPAIR,
				      DISPATCH__KIND__KIND_SUGGESTION, "1 (repair) to 7 (suggestion)"))
			return -1;
	for (i = 0; i < q->n_states; i++)
		if (handle_check_enum(c, "list.states", (int)q->states[i], DISPATCH__STATE__STATE_NEW,
				      DISPATCH__STATE__STATE_ON_HOLD, "1 (new) to 8 (on hold)"))
			return -1;
	for (i = 0; i < q->n_categories; i++)
		if (handle_check_id(c, "list.categories", q->categories[i], 1, 32))
			return -1;
	return 0;
}

int handle_list_apply(struct handle_ctx *c)
{
	const Dispatch__List *q = c->req->list;
	struct handle_search h = { .c = c, .q = q };
	bool from_index = true;
	int rc = 0;

	if (q->member[0]) {
		const struct config_crew *crew = NULL;
		const struct config_member *m = config_member(c->cfg, q->member, &crew);
		if (handle_member_info(c, crew, m, &c->rep->member) != 0)
			return -1;
	}
	h.open_only = !q->include_closed && q->n_states == 0;
	handle_digits(q->phone, h.phone, sizeof h.phone);
	h.max = q->limit ? (q->limit < HANDLE_LIST_MAX ? q->limit : HANDLE_LIST_MAX) : HANDLE_LIST_DEFAULT;
	h.v = arena_alloc(c->a, h.max * sizeof *h.v);
	if (q->n_units) {
		/* each pattern's literal start narrows the walk of the unit index */
		for (size_t i = 0; i < q->n_units && rc == 0; i++) {
			char prefix[40];
			size_t n = strcspn(q->units[i], "*?[");
			snprintf(prefix, sizeof prefix, "%.*s", (int)n, q->units[i]);
			rc = store_unit_tickets(c->store, c->txn, prefix, handle_search_unit, &h);
		}
	} else if (h.open_only) {
		rc = store_open_ids(c->store, c->txn, q->member[0] ? NULL : (q->crew[0] ? q->crew : NULL),
				    q->member[0] ? q->member : NULL, handle_search_collect, &h);
	} else if (q->created_from_ms || q->created_to_ms) {
		rc = store_created_tickets(c->store, c->txn, q->created_from_ms, q->created_to_ms,
					   handle_search_collect, &h);
	} else {
		from_index = false;
		rc = store_tickets_desc(c->store, c->txn, q->after_id, handle_search_visit, &h);
	}
	if (rc == 0 && from_index)
		rc = handle_search_ids(&h);
	free(h.ids);
	if (rc != 0 || h.err)
		return handle_store_fail(c, h.err ? h.err : rc);
	c->rep->tickets = h.v;
	c->rep->n_tickets = h.n;
	c->rep->more = h.stopped;
	c->rep->next_after = h.stopped ? h.last : 0;
	c->rep->scanned = h.scanned;
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
