/*
 * watch_summary: the live full-screen summary for supervisors and quality
 * control (ncurses).
 *
 * State: every open ticket (the daemon's List at start, then each event's
 * ticket, which is the ticket as it is after the event), the escalations
 * and the recent events seen since start, closed and cancelled counts
 * since start, and the outages (ListOutages at start, then OUTAGE events).
 * The subscription is "" with the library's gap detection, so no event is
 * missed; an event older than what a ticket already shows is ignored,
 * which makes the List/subscribe overlap harmless. Redrawn on every event
 * and once a second, for the overdue countdowns.
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
	unsigned closed, cancelled; /* since start */
	unsigned reopened, notices; /* since start */
	char notice[256];           /* the latest estate notice */
	int64_t started;
	char err[256];
};

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

static int is_open(int state)
{
	return (state >= DISPATCH__STATE__STATE_NEW && state <= DISPATCH__STATE__STATE_RESOLVED) ||
	       state == DISPATCH__STATE__STATE_ON_HOLD;
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
	if (!is_open(t->state) || !watch_filter_ticket(s->f, t)) {
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

static void on_event(struct sum *s, const Dispatch__Event *e)
{
	const Dispatch__Ticket *t = e->ticket;
	char line[256], when[16], unit[64], who[96];
	time_t tt = (time_t)(e->time_ms / 1000);
	struct tm tm;

	if (e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT || !watch_filter_event(s->f, e))
		return;
	if (localtime_r(&tt, &tm))
		strftime(when, sizeof when, "%H:%M:%S", &tm);
	else
		snprintf(when, sizeof when, "--:--:--");
	if (e->outage)
		take_outage(s, e->outage);
	if (t) {
		Dispatch__Ticket **p = find_ticket(s, t->id);
		int fresh = !p || (*p)->last_seq < e->seq;

		if (fresh && e->type == DISPATCH__EVENT_TYPE__EVENT_CLOSED)
			s->closed++;
		if (fresh && e->type == DISPATCH__EVENT_TYPE__EVENT_CANCELLED)
			s->cancelled++;
		if (fresh && e->type == DISPATCH__EVENT_TYPE__EVENT_REOPENED)
			s->reopened++;
		take_ticket(s, t);
	}
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
	list.limit = 1000;
	req.body_case = DISPATCH__REQUEST__BODY_LIST;
	req.list = &list;
	rc = dc_request(s->dc, &req, &r);
	if (rc < 0) {
		fprintf(stderr, WATCH_PROG ": %s\n", dc_error(s->dc));
		return dc_err_exit(rc);
	}
	if (r->status != DISPATCH__STATUS__STATUS_OK) {
		rc = dc_report(stderr, WATCH_PROG, r);
		dispatch__reply__free_unpacked(r, NULL);
		return rc;
	}
	for (i = 0; i < r->n_tickets; i++)
		if (r->tickets[i])
			take_ticket(s, r->tickets[i]);
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
	return 0;
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

static void draw(struct sum *s)
{
	int h = LINES, w = COLS, y, i, k;
	int64_t now = dc_daemon_now_ms(s->dc);
	unsigned counts[N_OPEN] = { 0 }, total = 0, late_total = 0;
	struct {
		char id[72];
		unsigned c[N_OPEN], late;
	} crews[CREWS_MAX];
	int n_crews = 0;
	int64_t(*late)[2] = calloc(s->n ? s->n : 1, sizeof *late); /* {due, index} */
	char line[512], clock[16];
	size_t j;

	erase();
	if (!late) {
		mvaddstr(0, 0, "out of memory");
		refresh();
		return;
	}
	for (j = 0; j < s->n; j++) {
		const Dispatch__Ticket *t = s->t[j];
		struct dc_due d;
		int c = -1;

		for (k = 0; k < N_OPEN; k++)
			if (t->state == open_states[k])
				counts[k]++;
		total++;
		for (i = 0; i < n_crews; i++)
			if (strcmp(crews[i].id, t->crew ? t->crew : "") == 0)
				c = i;
		if (c < 0 && n_crews < CREWS_MAX) {
			c = n_crews++;
			memset(&crews[c], 0, sizeof crews[c]);
			snprintf(crews[c].id, sizeof crews[c].id, "%s", t->crew && *t->crew ? t->crew : "-");
		}
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
	{
		time_t tt = (time_t)(now / 1000);
		struct tm tm;
		if (localtime_r(&tt, &tm))
			strftime(clock, sizeof clock, "%H:%M:%S", &tm);
		else
			snprintf(clock, sizeof clock, "--:--:--");
	}
	/* header */
	attron(pair_or(s, PAIR_HEADER, A_REVERSE) | A_BOLD);
	mvhline(0, 0, ' ', w);
	snprintf(line, sizeof line, "%s: live summary%s", s->estate, watch_filter_any(s->f) ? " (filtered)" : "");
	text_at(0, 0, line, w - 10);
	mvaddstr(0, w - 8 > 0 ? w - 8 : 0, clock);
	attroff(pair_or(s, PAIR_HEADER, A_REVERSE) | A_BOLD);
	snprintf(line, sizeof line, "open %u: new %u  assigned %u  accepted %u  on site %u  held %u  resolved %u",
		 total, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
	text_at(1, 0, line, w);
	snprintf(line, sizeof line,
		 "since start: closed %u  cancelled %u  reopened %u  notices %u   "
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
	text_at(y++, 0, "CREW              NEW ASGN  ACC SITE HELD  RES LATE", w);
	attroff(A_BOLD);
	for (i = 0; i < n_crews && y < h - 6; i++, y++) {
		char name[32];
		dc_term_fit(crews[i].id, 16, name, sizeof name);
		snprintf(line, sizeof line, "%-16s %4u %4u %4u %4u %4u %4u %4u", name, crews[i].c[0], crews[i].c[1],
			 crews[i].c[2], crews[i].c[3], crews[i].c[4], crews[i].c[5], crews[i].late);
		if (crews[i].late)
			attron(pair_or(s, PAIR_LATE, A_BOLD));
		text_at(y, 0, line, w);
		if (crews[i].late)
			attroff(pair_or(s, PAIR_LATE, A_BOLD));
	}
	if (n_crews == 0)
		text_at(y++, 0, "(no open tickets)", w);
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
	attron(A_DIM);
	text_at(h - 1, 0, *s->err ? s->err : "q quit", w);
	attroff(A_DIM);
	refresh();
	free(late);
}

int watch_summary(dc_t *dc, const struct watch_filter *f, int color)
{
	static struct sum s; /* large (fixed line buffers); one per process */
	const char *prefixes[1] = { "" };
	Dispatch__Reply *r = NULL;
	int rc, quit = 0;
	size_t i;

	memset(&s, 0, sizeof s);
	s.dc = dc;
	s.f = f;
	s.color = color;
	/* Subscribe first (which also learns the last seq), then load: an
	 * event in between is seen twice, and ignored the second time. */
	rc = dc_subscribe(dc, prefixes, 1, 0);
	if (rc < 0) {
		fprintf(stderr, WATCH_PROG ": %s\n", dc_error(dc));
		return dc_err_exit(rc);
	}
	if (dc_ping(dc, &r) == 0) {
		dc_clean(r->estate, s.estate, sizeof s.estate);
		dispatch__reply__free_unpacked(r, NULL);
	}
	rc = load(&s);
	if (rc)
		goto out;
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
			on_event(&s, e);
			s.err[0] = '\0';
		} else if (rc < 0 && rc != DC_ERR_TIMEOUT && rc != DC_ERR_INTERRUPTED) {
			snprintf(s.err, sizeof s.err, "%s", dc_error(dc));
		}
		dispatch__event__free_unpacked(e, NULL);
		while ((key = getch()) != ERR)
			if (key == 'q' || key == 'Q')
				quit = 1;
	}
	endwin();
	rc = 0;
out:
	for (i = 0; i < s.n; i++)
		dispatch__ticket__free_unpacked(s.t[i], NULL);
	for (i = 0; i < s.n_o; i++)
		dispatch__outage__free_unpacked(s.o[i], NULL);
	free(s.t);
	free(s.o);
	return rc;
}
