/*
 * watch_summary: the live full-screen summary for supervisors and quality
 * control (ncurses).
 *
 * State: every open ticket (the daemon's List at start, then each event's
 * ticket, which is the ticket as it is after the event), so the counts are
 * the daemon's whenever the view was started, and "open" is what
 * `dispatch-desk list` counts (dc_state_open); every crew with who is on
 * shift and online (Crews at start, again every CREWS_EVERY_MS and after a
 * duty change: presence is not an event); the outages with their text
 * (ListOutages at start, then OUTAGE events); today's closed, cancelled
 * and reopened tickets, notices, escalations and recent events (the log
 * of the estate's day at start, then events: load_today).
 * The subscription is "" with the library's gap detection, so no event is
 * missed; an event older than what a ticket already shows is ignored,
 * which makes the List/subscribe overlap harmless. Redrawn on every event
 * and once a second, for the overdue countdowns.
 *
 * The link: heartbeats come every second; after SILENCE_MS without any
 * message the view says "link lost since HH:MM:SS" (the last time it heard
 * the daemon) and keeps waiting. When messages come again (the SUB socket
 * reconnects by itself after a daemon restart), it loads the state again
 * and the library replays the events missed meanwhile, which show up under
 * RECENT and in the counts.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "watch.h"

#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ncurses.h>

#include "dc_term.h"
#include "dc_time.h"

#define RECENT_MAX 50
#define ESC_MAX 20
#define CREWS_MAX 64
#define LIST_MAX 1000       /* the daemon's largest List answer */
#define SILENCE_MS 3500     /* heartbeats come every second: a lost link */
#define CREWS_EVERY_MS 5000 /* presence and shifts change without events */

enum { PAIR_HEADER = 1, PAIR_LATE, PAIR_ESC, PAIR_OK };

/* Open states, in the order the counts are shown. */
static const Dispatch__State open_states[] = {
	DISPATCH__STATE__STATE_NEW,     DISPATCH__STATE__STATE_ASSIGNED, DISPATCH__STATE__STATE_ACCEPTED,
	DISPATCH__STATE__STATE_ON_SITE, DISPATCH__STATE__STATE_ON_HOLD,  DISPATCH__STATE__STATE_RESOLVED,
};
#define N_OPEN 6

struct sum {
	dc_t *dc;
	const struct watch_filter *f;
	int color;
	char estate[128];
	Dispatch__Ticket **t; /* open tickets, owned copies */
	size_t n, cap;
	Dispatch__Outage **o; /* outages not ended, owned copies */
	size_t n_o, cap_o;
	char esc[ESC_MAX][256]; /* latest escalations, newest first */
	int n_esc;
	char recent[RECENT_MAX][256]; /* latest events, newest first */
	int n_recent;
	Dispatch__Reply *crews;     /* the last Crews answer (owned), or NULL */
	int64_t next_crews;         /* monotonic ms: ask for it again */
	int truncated;              /* the List was cut at its limit */
	int64_t heard;              /* monotonic ms of the last message */
	int64_t heard_ms;           /* the daemon's time then, for "since" */
	int lost;                   /* no message for SILENCE_MS */
	unsigned closed, cancelled; /* today, in the estate */
	unsigned reopened, notices; /* today */
	int64_t day_end;            /* the daemon's ms of the next midnight */
	char notice[256];           /* the latest estate notice */
	int64_t started;
	char err[256];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *copy_msg(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *d)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len ? len : 1);
	void *c;

	if (!buf)
		return NULL;
	protobuf_c_message_pack(m, buf);
	c = protobuf_c_message_unpack(d, NULL, len, buf);
	free(buf);
	return c;
}

static Dispatch__Ticket **find_ticket(struct sum *s, uint64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->t[i]->id == id)
			return &s->t[i];
	return NULL;
}

static void forget_ticket(struct sum *s, Dispatch__Ticket **p)
{
	size_t i = (size_t)(p - s->t);

	dispatch__ticket__free_unpacked(*p, NULL);
	s->t[i] = s->t[--s->n];
}

/* Take the ticket as it is now, if newer than what we have. */
static void take_ticket(struct sum *s, const Dispatch__Ticket *t)
{
	Dispatch__Ticket **p = find_ticket(s, t->id), *c;

	if (p && (*p)->last_seq > t->last_seq)
		return;
	if (!dc_state_open(t->state) || !watch_filter_ticket(s->f, t)) {
		if (p)
			forget_ticket(s, p);
		return;
	}
	c = copy_msg(&t->base, &dispatch__ticket__descriptor);
	if (!c)
		return;
	if (p) {
		dispatch__ticket__free_unpacked(*p, NULL);
		*p = c;
		return;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		Dispatch__Ticket **v = realloc(s->t, cap * sizeof *v);
		if (!v) {
			dispatch__ticket__free_unpacked(c, NULL);
			return;
		}
		s->t = v;
		s->cap = cap;
	}
	s->t[s->n++] = c;
}

static void take_outage(struct sum *s, const Dispatch__Outage *x)
{
	size_t i;
	Dispatch__Outage *c;

	for (i = 0; i < s->n_o; i++) {
		if (s->o[i]->id == x->id) {
			dispatch__outage__free_unpacked(s->o[i], NULL);
			s->o[i] = s->o[--s->n_o];
			break;
		}
	}
	if (x->ended)
		return;
	c = copy_msg(&x->base, &dispatch__outage__descriptor);
	if (!c)
		return;
	if (s->n_o == s->cap_o) {
		size_t cap = s->cap_o ? s->cap_o * 2 : 8;
		Dispatch__Outage **v = realloc(s->o, cap * sizeof *v);
		if (!v) {
			dispatch__outage__free_unpacked(c, NULL);
			return;
		}
		s->o = v;
		s->cap_o = cap;
	}
	s->o[s->n_o++] = c;
}

/* Push a line on a newest-first list of fixed size. */
static void push_line(char (*lines)[256], int *n, int max, const char *line)
{
	memmove(lines[1], lines[0], (size_t)(*n < max ? *n : max - 1) * sizeof lines[0]);
	snprintf(lines[0], sizeof lines[0], "%s", line);
	if (*n < max)
		(*n)++;
}

/* An event: counted for today, in the lines, and (live ones) applied to
 * the state. The library hands each seq over once, and today's history
 * (load_today) stops where the live stream starts, so each is counted
 * once. A replayed history event changes no state: List said it. */
static void on_event(struct sum *s, const Dispatch__Event *e, int history)
{
	const Dispatch__Ticket *t = e->ticket;
	char line[256], when[16], unit[64], who[96];

	if (e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT || !watch_filter_event(s->f, e))
		return;
	watch_hms(e->time_ms, when, sizeof when);
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_DUTY && !history)
		s->next_crews = 0; /* who is on shift changed: ask again */
	if (e->outage && !history)
		take_outage(s, e->outage);
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_CLOSED)
		s->closed++;
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_CANCELLED)
		s->cancelled++;
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_REOPENED)
		s->reopened++;
	if (t && !history)
		take_ticket(s, t);
	dc_term_fit(t ? t->unit : "", 12, unit, sizeof unit);
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED && t) {
		char reason[160];
		snprintf(line, sizeof line, "%.5s #%" PRIu64 " %s %s -> %s %s", when, t->id, dc_kind_name(t->kind),
			 unit, e->member ? e->member : "-", dc_clean(e->reason, reason, sizeof reason));
		push_line(s->esc, &s->n_esc, ESC_MAX, line);
	}
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_NOTICE && e->notice) {
		char text[200];
		s->notices++;
		snprintf(s->notice, sizeof s->notice, "%.5s %s: %s", when, dc_notice_kind_name(e->notice->kind),
			 dc_clean(e->notice->text, text, sizeof text));
	}
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_NOTICE)
		snprintf(who, sizeof who, "%s", e->notice ? dc_notice_kind_name(e->notice->kind) : "-");
	else if (e->type == DISPATCH__EVENT_TYPE__EVENT_DUTY)
		snprintf(who, sizeof who, "%s %s duty", e->member ? e->member : "-", e->on_duty ? "on" : "off");
	else if (e->type == DISPATCH__EVENT_TYPE__EVENT_OUTAGE && e->outage)
		snprintf(who, sizeof who, "outage %" PRIu64 " %s", e->outage->id,
			 e->outage->ended ? "ended" : "declared");
	else if (e->crew && *e->crew)
		snprintf(who, sizeof who, "#%" PRIu64 " %s %s/%s", e->ticket_id, unit, e->crew,
			 e->member && *e->member ? e->member : "-");
	else
		snprintf(who, sizeof who, "#%" PRIu64 " %s", e->ticket_id, unit);
	snprintf(line, sizeof line, "%s %-9s %s", when, dc_event_type_name(e->type), who);
	push_line(s->recent, &s->n_recent, RECENT_MAX, line);
}

/* ---- start ---- */

/* The crews with their members' shift and presence, kept until the next
 * answer. Quietly keeps the last one when the daemon does not answer:
 * the link line says why. */
static void load_crews(struct sum *s, int tries)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Crews crews = DISPATCH__CREWS__INIT;
	Dispatch__Reply *r = NULL;

	s->next_crews = mono_ms() + CREWS_EVERY_MS;
	if (s->f->crew)
		crews.crew = (char *)s->f->crew;
	req.body_case = DISPATCH__REQUEST__BODY_CREWS;
	req.crews = &crews;
	dc_set_tries(s->dc, tries); /* the screen must not freeze on a link just lost */
	if (dc_request(s->dc, &req, &r) == 0) {
		if (r->status == DISPATCH__STATUS__STATUS_OK) {
			dispatch__reply__free_unpacked(s->crews, NULL);
			s->crews = r;
			r = NULL;
		}
		dispatch__reply__free_unpacked(r, NULL);
	}
	dc_set_tries(s->dc, DC_DEFAULT_TRIES);
}

static void forget_all(struct sum *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		dispatch__ticket__free_unpacked(s->t[i], NULL);
	for (i = 0; i < s->n_o; i++)
		dispatch__outage__free_unpacked(s->o[i], NULL);
	s->n = s->n_o = 0;
}

/* The daemon's state now: its open tickets, outages and crews. At start
 * and again once a lost link is back (events missed meanwhile are then
 * replayed by the library, and the older ones ignored). */
static int load(struct sum *s)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__List list = DISPATCH__LIST__INIT;
	Dispatch__ListOutages lo = DISPATCH__LIST_OUTAGES__INIT;
	Dispatch__Reply *r = NULL;
	size_t i;
	int rc;

	if (s->f->crew)
		list.crew = (char *)s->f->crew;
	if (s->f->member)
		list.member = (char *)s->f->member;
	list.limit = LIST_MAX;
	req.body_case = DISPATCH__REQUEST__BODY_LIST;
	req.list = &list;
	rc = dc_request(s->dc, &req, &r);
	if (rc < 0) {
		snprintf(s->err, sizeof s->err, "%s", dc_error(s->dc));
		return dc_err_exit(rc);
	}
	if (r->status != DISPATCH__STATUS__STATUS_OK) {
		char msg[200];
		snprintf(s->err, sizeof s->err, "the daemon refused the list: %s",
			 dc_clean(r->message, msg, sizeof msg));
		rc = dc_status_exit(r->status);
		dispatch__reply__free_unpacked(r, NULL);
		return rc;
	}
	forget_all(s);
	s->truncated = r->n_tickets >= LIST_MAX;
	for (i = 0; i < r->n_tickets; i++)
		if (r->tickets[i])
			take_ticket(s, r->tickets[i]);
	if (r->estate && *r->estate)
		dc_clean(r->estate, s->estate, sizeof s->estate);
	dispatch__reply__free_unpacked(r, NULL);
	/* Outages are the dispatcher's (issue 3); a daemon without them says
	 * INVALID, and the view simply has none. */
	req.body_case = DISPATCH__REQUEST__BODY_LIST_OUTAGES;
	req.list_outages = &lo;
	if (dc_request(s->dc, &req, &r) == 0) {
		if (r->status == DISPATCH__STATUS__STATUS_OK)
			for (i = 0; i < r->n_outages; i++)
				if (r->outages[i])
					take_outage(s, r->outages[i]);
		dispatch__reply__free_unpacked(r, NULL);
	}
	load_crews(s, DC_DEFAULT_TRIES);
	return 0;
}

/* The estate's midnight that starts the day of ms (days = 0) or the next
 * one (days = 1). */
static int64_t midnight(int64_t ms, int days)
{
	time_t tt = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return ms;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	tt = mktime(&tm);
	return tt == (time_t)-1 ? ms : (int64_t)tt * 1000;
}

/* Events from seq `from` on, at most `limit` (0: the daemon's page), or NULL. */
static Dispatch__Reply *replay(struct sum *s, uint64_t from, uint32_t limit)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Replay rp = DISPATCH__REPLAY__INIT;
	Dispatch__Reply *r = NULL;

	rp.from_seq = from;
	rp.limit = limit;
	req.body_case = DISPATCH__REQUEST__BODY_REPLAY;
	req.replay = &rp;
	if (dc_request(s->dc, &req, &r) < 0)
		return NULL;
	if (r->status != DISPATCH__STATUS__STATUS_OK) {
		dispatch__reply__free_unpacked(r, NULL);
		return NULL;
	}
	return r;
}

/*
 * Today so far, from the log: the closed, cancelled and reopened tickets,
 * the notices, escalations and recent events of the estate's day, up to
 * `upto` (where the live stream starts), so that they do not depend on
 * when the view was started. The day's first seq is found by bisection
 * (the log's times grow with its seqs): a few one-event replays, then the
 * day's events page by page.
 */
static void load_today(struct sum *s, uint64_t upto)
{
	int64_t start = midnight(dc_daemon_now_ms(s->dc), 0);
	uint64_t lo = 1, hi = upto + 1, from;
	Dispatch__Reply *r;

	s->day_end = midnight(dc_daemon_now_ms(s->dc), 1);
	while (lo < hi) { /* the first seq in [lo, hi) at or after start; hi: none */
		uint64_t mid = lo + (hi - lo) / 2;
		if (!(r = replay(s, mid, 1)))
			return;
		if (r->n_events == 0 || !r->events[0] || r->events[0]->seq >= hi || r->events[0]->time_ms >= start)
			hi = mid;
		else
			lo = r->events[0]->seq + 1;
		dispatch__reply__free_unpacked(r, NULL);
	}
	for (from = lo; from <= upto;) {
		uint64_t next = from;
		size_t i;
		if (!(r = replay(s, from, 0)))
			return;
		for (i = 0; i < r->n_events; i++) {
			const Dispatch__Event *e = r->events[i];
			if (!e || e->seq < from || e->seq > upto)
				continue;
			on_event(s, e, 1);
			next = e->seq + 1;
		}
		dispatch__reply__free_unpacked(r, NULL);
		if (next == from) /* nothing more (purged, or the log ends) */
			return;
		from = next;
	}
}

/* ---- drawing ---- */

static attr_t pair_or(const struct sum *s, int pair, attr_t mono)
{
	return s->color ? (attr_t)COLOR_PAIR(pair) : mono;
}

static void text_at(int y, int x, const char *str, int width)
{
	char buf[1024];

	if (width > 0 && y >= 0 && y < LINES)
		mvaddstr(y, x, dc_term_fit(str, width, buf, sizeof buf));
}

static int by_due(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* One row of the crew table: a crew of the estate, or one only tickets name. */
struct crew_row {
	char id[72];
	const Dispatch__CrewInfo *info; /* NULL: not in the Crews answer */
	unsigned c[N_OPEN], late;
};

static int crew_row_of(struct crew_row *rows, int *n, const char *id)
{
	int i;

	for (i = 0; i < *n; i++)
		if (strcmp(rows[i].id, id) == 0)
			return i;
	if (*n == CREWS_MAX)
		return -1;
	memset(&rows[*n], 0, sizeof rows[*n]);
	snprintf(rows[*n].id, sizeof rows[*n].id, "%s", id);
	return (*n)++;
}

/* Who of the crew is on shift (the duty they reported wins over the
 * calendar), "+" after those whose handheld is online. */
static void crew_people(const Dispatch__CrewInfo *ci, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; ci && i < ci->n_members && n + 1 < size; i++) {
		const Dispatch__Member *m = ci->members[i];
		char id[40];
		if (!m || !(m->duty ? m->duty->on : m->on_shift))
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%s%s", n ? " " : "", dc_clean(m->id, id, sizeof id),
				      m->online ? "+" : "");
	}
	if (n >= size)
		n = size - 1;
	if (n == 0)
		snprintf(buf, size, "%s", ci ? "nobody on shift" : "-");
}

/* An outage's area, as the desk declared it. */
static void outage_area(const Dispatch__Outage *x, char *buf, size_t size)
{
	size_t i, n = 0;
	char v[64];

	buf[0] = '\0';
	for (i = 0; i < x->n_buildings && n + 1 < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "bldg ",
				      dc_clean(x->buildings[i], v, sizeof v));
	for (i = 0; i < x->n_zones && n + 1 < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      i   ? ","
				      : n ? " zone "
					  : "zone ",
				      dc_clean(x->zones[i], v, sizeof v));
	for (i = 0; i < x->n_units && n + 1 < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      i   ? ","
				      : n ? " units "
					  : "units ",
				      dc_clean(x->units[i], v, sizeof v));
}

static void draw(struct sum *s)
{
	int h = LINES, w = COLS, y, i, k;
	int64_t now = dc_daemon_now_ms(s->dc);
	unsigned counts[N_OPEN] = { 0 }, total = 0, late_total = 0;
	struct crew_row crews[CREWS_MAX];
	int n_crews = 0;
	int64_t(*late)[2] = calloc(s->n ? s->n : 1, sizeof *late); /* {due, index} */
	char line[512], clock[16], since[16];
	size_t j;

	erase();
	if (!late) {
		mvaddstr(0, 0, "out of memory");
		refresh();
		return;
	}
	/* Every crew of the estate, also those with nothing open. */
	for (j = 0; s->crews && j < s->crews->n_crews; j++)
		if (s->crews->crews[j] && (i = crew_row_of(crews, &n_crews, s->crews->crews[j]->id)) >= 0)
			crews[i].info = s->crews->crews[j];
	for (j = 0; j < s->n; j++) {
		const Dispatch__Ticket *t = s->t[j];
		struct dc_due d;
		int c;

		for (k = 0; k < N_OPEN; k++)
			if (t->state == open_states[k])
				counts[k]++;
		total++;
		c = crew_row_of(crews, &n_crews, t->crew && *t->crew ? t->crew : "-");
		for (k = 0; c >= 0 && k < N_OPEN; k++)
			if (t->state == open_states[k])
				crews[c].c[k]++;
		if (dc_time_due(t, now, &d) && d.overdue) {
			late[late_total][0] = d.at_ms;
			late[late_total][1] = (int64_t)j;
			late_total++;
			if (c >= 0)
				crews[c].late++;
		}
	}
	qsort(late, late_total, sizeof *late, by_due);
	watch_hms(now, clock, sizeof clock);
	watch_hms(s->heard_ms, since, sizeof since);
	/* header */
	attron(pair_or(s, PAIR_HEADER, A_REVERSE) | A_BOLD);
	mvhline(0, 0, ' ', w);
	snprintf(line, sizeof line, "%s: live summary%s%s%s", s->estate, watch_filter_any(s->f) ? " (filtered)" : "",
		 s->lost ? "  LINK LOST since " : "", s->lost ? since : "");
	text_at(0, 0, line, w - 10);
	mvaddstr(0, w - 8 > 0 ? w - 8 : 0, clock);
	attroff(pair_or(s, PAIR_HEADER, A_REVERSE) | A_BOLD);
	snprintf(line, sizeof line, "open %u%s: new %u  assigned %u  accepted %u  on site %u  held %u  resolved %u",
		 total, s->truncated ? "+" : "", counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
	text_at(1, 0, line, w);
	snprintf(line, sizeof line,
		 "today: closed %u  cancelled %u  reopened %u  notices %u   "
		 "overdue %u   outages %zu",
		 s->closed, s->cancelled, s->reopened, s->notices, late_total, s->n_o);
	text_at(2, 0, line, w);
	y = 3;
	if (*s->notice) {
		attron(pair_or(s, PAIR_ESC, A_BOLD) | A_BOLD);
		snprintf(line, sizeof line, "NOTICE %s", s->notice);
		text_at(y, 0, line, w);
		attroff(pair_or(s, PAIR_ESC, A_BOLD) | A_BOLD);
	}
	y = 4;
	attron(A_BOLD);
	text_at(y++, 0, "CREW              NEW ASGN  ACC SITE HELD  RES LATE  ON SHIFT (+ online)", w);
	attroff(A_BOLD);
	for (i = 0; i < n_crews && y < h - 6; i++, y++) {
		char name[32], people[256];
		dc_term_fit(crews[i].id, 16, name, sizeof name);
		crew_people(crews[i].info, people, sizeof people);
		snprintf(line, sizeof line, "%-16s %4u %4u %4u %4u %4u %4u %4u  %s", name, crews[i].c[0], crews[i].c[1],
			 crews[i].c[2], crews[i].c[3], crews[i].c[4], crews[i].c[5], crews[i].late, people);
		if (crews[i].late)
			attron(pair_or(s, PAIR_LATE, A_BOLD));
		text_at(y, 0, line, w);
		if (crews[i].late)
			attroff(pair_or(s, PAIR_LATE, A_BOLD));
	}
	if (n_crews == 0)
		text_at(y++, 0, "(no crews, no open tickets)", w);
	if (s->n_o && y < h - 5) {
		y++;
		attron(A_BOLD);
		snprintf(line, sizeof line, "OUTAGES (%zu)", s->n_o);
		text_at(y++, 0, line, w);
		attroff(A_BOLD);
	}
	for (j = 0; j < s->n_o && y < h - 5; j++, y++) {
		const Dispatch__Outage *x = s->o[j];
		char from[32], to[32], area[128], text[256];
		dc_time_short(x->from_ms, now, from, sizeof from);
		dc_time_short(x->to_ms, now, to, sizeof to);
		outage_area(x, area, sizeof area);
		snprintf(line, sizeof line, "#%" PRIu64 " %s..%s %s: %s", x->id, from, to, area,
			 dc_clean(x->text, text, sizeof text));
		text_at(y, 2, line, w - 2);
	}
	y++;
	attron(A_BOLD);
	snprintf(line, sizeof line, "OVERDUE (%u)", late_total);
	text_at(y++, 0, line, w);
	attroff(A_BOLD);
	for (j = 0; j < late_total && y < h - 5; j++, y++) {
		const Dispatch__Ticket *t = s->t[late[j][1]];
		struct dc_due d;
		char span[16], unit[32];

		dc_time_due(t, now, &d);
		snprintf(line, sizeof line, "#%" PRIu64 " %s/%s %s %s  %s -%s", t->id, t->crew ? t->crew : "-",
			 t->member && *t->member ? t->member : "-", dc_kind_name(t->kind),
			 dc_term_fit(t->unit, 12, unit, sizeof unit), d.abbrev,
			 dc_time_span(now - d.at_ms, span, sizeof span));
		attron(pair_or(s, PAIR_LATE, A_BOLD));
		text_at(y, 2, line, w - 2);
		attroff(pair_or(s, PAIR_LATE, A_BOLD));
	}
	y++;
	attron(A_BOLD);
	snprintf(line, sizeof line, "ESCALATIONS (%d)", s->n_esc);
	text_at(y++, 0, line, w);
	attroff(A_BOLD);
	for (i = 0; i < s->n_esc && y < h - 3; i++, y++) {
		attron(pair_or(s, PAIR_ESC, A_NORMAL));
		text_at(y, 2, s->esc[i], w - 2);
		attroff(pair_or(s, PAIR_ESC, A_NORMAL));
	}
	y++;
	if (y < h - 1) {
		attron(A_BOLD);
		text_at(y++, 0, "RECENT", w);
		attroff(A_BOLD);
	}
	for (i = 0; i < s->n_recent && y < h - 1; i++, y++)
		text_at(y, 2, s->recent[i], w - 2);
	if (s->lost) {
		snprintf(line, sizeof line, "link lost since %s: waiting for the daemon; q quit", since);
		attron(pair_or(s, PAIR_LATE, A_BOLD) | A_BOLD);
		text_at(h - 1, 0, line, w);
		attroff(pair_or(s, PAIR_LATE, A_BOLD) | A_BOLD);
	} else {
		attron(A_DIM);
		text_at(h - 1, 0, *s->err ? s->err : "q quit", w);
		attroff(A_DIM);
	}
	refresh();
	free(late);
}

int watch_summary(dc_t *dc, const struct watch_filter *f, int color)
{
	static struct sum s; /* large (fixed line buffers); one per process */
	const char *prefixes[1] = { "" };
	Dispatch__Reply *r = NULL;
	uint64_t live_from;
	int rc, quit = 0;

	memset(&s, 0, sizeof s);
	s.dc = dc;
	s.f = f;
	s.color = color;
	/* Heartbeats too: a silence is how a lost link shows. */
	dc_set_heartbeats(dc, 1);
	/* Subscribe first (which also learns the last seq), then load: an
	 * event in between is seen twice, and ignored the second time. */
	rc = dc_subscribe(dc, prefixes, 1, 0);
	if (rc < 0) {
		fprintf(stderr, WATCH_PROG ": %s\n", dc_error(dc));
		return dc_err_exit(rc);
	}
	live_from = dc_last_seq(dc); /* the live stream hands over what comes after */
	if (dc_ping(dc, &r) == 0) {
		dc_clean(r->estate, s.estate, sizeof s.estate);
		dispatch__reply__free_unpacked(r, NULL);
	}
	rc = load(&s);
	if (rc) {
		fprintf(stderr, WATCH_PROG ": %s\n", s.err);
		goto out;
	}
	load_today(&s, live_from);
	s.heard = mono_ms();
	s.heard_ms = dc_daemon_now_ms(dc);
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (color && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_HEADER, COLOR_WHITE, COLOR_BLUE);
		init_pair(PAIR_LATE, COLOR_RED, -1);
		init_pair(PAIR_ESC, COLOR_YELLOW, -1);
		init_pair(PAIR_OK, COLOR_GREEN, -1);
	} else {
		s.color = 0;
	}
	while (!quit && !watch_stop) {
		Dispatch__Event *e = NULL;
		int key;

		draw(&s);
		rc = dc_next_event_fd(dc, 1000, STDIN_FILENO, &e);
		if (rc == DC_OK && e) {
			if (s.lost) {
				/* Back: what the daemon holds now; what was missed
				 * meanwhile comes as replayed events. */
				char since[16];
				s.lost = 0;
				watch_hms(s.heard_ms, since, sizeof since);
				if (load(&s) == 0)
					snprintf(s.err, sizeof s.err, "link back; it was lost since %s", since);
			} else if (e->type != DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT) {
				s.err[0] = '\0';
			}
			s.heard = mono_ms();
			s.heard_ms = dc_daemon_now_ms(dc);
			on_event(&s, e, 0);
		} else if (rc < 0 && rc != DC_ERR_TIMEOUT && rc != DC_ERR_INTERRUPTED) {
			snprintf(s.err, sizeof s.err, "%s", dc_error(dc));
		}
		dispatch__event__free_unpacked(e, NULL);
		if (!s.lost && mono_ms() - s.heard > SILENCE_MS)
			s.lost = 1;
		if (dc_daemon_now_ms(dc) >= s.day_end) { /* a new day in the estate */
			s.closed = s.cancelled = s.reopened = s.notices = 0;
			s.day_end = midnight(dc_daemon_now_ms(dc), 1);
		}
		if (!s.lost && mono_ms() >= s.next_crews)
			load_crews(&s, 1);
		while ((key = getch()) != ERR)
			if (key == 'q' || key == 'Q')
				quit = 1;
	}
	endwin();
	rc = 0;
out:
	forget_all(&s);
	free(s.t);
	free(s.o);
	dispatch__reply__free_unpacked(s.crews, NULL);
	return rc;
}
