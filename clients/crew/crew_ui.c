/*
 * crew_ui: the handheld's full-screen UI (ncurses), sized for a small
 * screen (40x20 is enough).
 *
 *   row 0        member, name, duty, link state
 *   row 1        crew, open count, the daemon's time; when the list does not
 *                fit, what it hides instead: "9 open, 8 shown, ↓1 more"
 *   rows 2..     assignments, two rows each: unacknowledged first, then by
 *                priority (P1 marked), nearest deadline, newest; deadlines
 *                count down. Or, after Enter, the detail view of one job:
 *                all its text wrapped, resident, phone, deadlines, history
 *   a row        the keys that apply to the selected job
 *   1-3 rows     what just happened, wrapped to the width, or a prompt:
 *                resolve asks for a note and then the parts used; hold asks
 *                for the reason (one key) and, for "other", a note; duty
 *                asks for a y. A key that does not apply is refused before
 *                anything is asked.
 *
 * One thread: the loop waits for an event or a key (dc_next_event_fd on
 * stdin), at most a second so the countdowns tick. The list is the
 * daemon's List{member}, fetched at start, at every presence ping, and on
 * every sign of lost events (crew_link), and kept current in between from
 * the member's events. A new assignment rings the bell and stays
 * highlighted until it is accepted; so does an escalation addressed to the
 * member (the assignment moved to them, or, for a supervisor, an alert).
 * Held work stays in the list, marked HELD with its reason, deadlines
 * paused, until it is resumed. A job that leaves the list says where it
 * went ("ticket 8 taken from you (acknowledge deadline missed), now with
 * T01"), from the event that moved it or, when events were lost, from a
 * Get of the ticket.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "crew.h"

#include <inttypes.h>
#include <langinfo.h>
#include <stdarg.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include <ncurses.h>

#include "dc_cost.h"
#include "dc_term.h"
#include "dc_time.h"

#define NOTE_MAX 400 /* characters of a resolve note */

enum { PAIR_HEADER = 1, PAIR_NEW, PAIR_LATE, PAIR_ALERT, PAIR_OK };

/* The bottom row's questions, in the order a step asks them. */
enum prompt { PROMPT_NONE, PROMPT_RESOLVE_NOTE, PROMPT_PARTS, PROMPT_HOLD_REASON, PROMPT_HOLD_NOTE, PROMPT_DUTY };

#define STATUS_ROWS_MAX 3 /* a long message wraps onto at most this many rows */
#define GONE_LOOKUPS 4    /* tickets a refetch asks about when they left the list */

struct item {
	Dispatch__Ticket *t; /* owned copy */
	int escalation;      /* escalated to this member: not theirs to work */
	char reason[256];    /* why, for an escalation */
};

struct ui {
	struct crew_link *l;
	struct item *v;
	size_t n, cap;
	uint64_t sel_id; /* the selected item, by ticket id ... */
	int sel_esc;     /* ... and kind, so it survives re-sorting */
	size_t sel_row;  /* its row when last drawn: where the cursor stays if it leaves */
	size_t top;      /* first item shown */
	char status[1024];
	int status_alert;
	int status_link; /* the status says the link failed: cleared once it is back */
	int duty_on;     /* PROMPT_DUTY: what the member is asked to confirm */
	/* The detail view of one ticket (0: the list is shown). */
	uint64_t detail_id;
	int detail_esc;
	Dispatch__Reply *detail_r; /* Get{history}: the ticket and its events */
	char detail_err[300];      /* why there is no history */
	int detail_scroll;
	int prompt; /* enum prompt: what the bottom row is asking */
	uint64_t prompt_id;
	wchar_t note[NOTE_MAX + 1];
	size_t note_len;
	char saved[NOTE_MAX * 4 + 1]; /* resolve's note, while asking for parts */
	Dispatch__HoldReason hold_reason;
	int color;
	int quit;
};

static Dispatch__Ticket *ticket_copy(const Dispatch__Ticket *t)
{
	size_t len = dispatch__ticket__get_packed_size(t);
	uint8_t *buf = malloc(len ? len : 1);
	Dispatch__Ticket *c;

	if (!buf)
		return NULL;
	dispatch__ticket__pack(t, buf);
	c = dispatch__ticket__unpack(NULL, len, buf);
	free(buf);
	return c;
}

static void say(struct ui *u, int alert, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(struct ui *u, int alert, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->status, sizeof u->status, fmt, ap);
	va_end(ap);
	u->status_alert = alert;
	u->status_link = 0;
}

/* A status line about the link to the daemon: it goes once the link is back. */
static void say_link(struct ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say_link(struct ui *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->status, sizeof u->status, fmt, ap);
	va_end(ap);
	u->status_alert = 1;
	u->status_link = 1;
}

static void link_back(struct ui *u)
{
	if (u->status_link)
		say(u, 0, "the link to the daemon is back");
}

static struct item *find(struct ui *u, uint64_t id, int escalation)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->v[i].t->id == id && u->v[i].escalation == escalation)
			return &u->v[i];
	return NULL;
}

static void drop(struct ui *u, struct item *it)
{
	size_t i = (size_t)(it - u->v);

	dispatch__ticket__free_unpacked(it->t, NULL);
	memmove(&u->v[i], &u->v[i + 1], (u->n - i - 1) * sizeof *u->v);
	u->n--;
}

/* Add or replace; returns the item, or NULL when out of memory. */
static struct item *put(struct ui *u, const Dispatch__Ticket *t, int escalation)
{
	struct item *it = find(u, t->id, escalation);
	Dispatch__Ticket *c = ticket_copy(t);

	if (!c)
		return NULL;
	if (it) {
		dispatch__ticket__free_unpacked(it->t, NULL);
		it->t = c;
		return it;
	}
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct item *v = realloc(u->v, cap * sizeof *v);
		if (!v) {
			dispatch__ticket__free_unpacked(c, NULL);
			return NULL;
		}
		u->v = v;
		u->cap = cap;
	}
	it = &u->v[u->n++];
	memset(it, 0, sizeof *it);
	it->t = c;
	it->escalation = escalation;
	return it;
}

/* A ticket that is the member's to work on: assigned to them and not done. */
static int is_mine(const struct ui *u, const Dispatch__Ticket *t)
{
	return crew_is_working(u->l->member, t);
}

static void ring(struct ui *u, const Dispatch__Ticket *t, const char *what)
{
	char unit[64];

	beep();
	say(u, 1, "** %s: #%" PRIu64 " %s %s **", what, t->id, dc_kind_name(t->kind),
	    dc_term_fit(t->unit, 16, unit, sizeof unit));
}

/* Get one ticket (with its history if asked), one quick try: 0 with
 * *reply, or -1 with why in err. */
static int get_ticket(struct ui *u, uint64_t id, int history, Dispatch__Reply **reply, char *err, size_t size)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Get get = DISPATCH__GET__INIT;
	int rc;

	get.ticket_id = id;
	get.history = history;
	req.body_case = DISPATCH__REQUEST__BODY_GET;
	req.get = &get;
	dc_set_tries(u->l->dc, 1);
	rc = dc_request(u->l->dc, &req, reply);
	dc_set_tries(u->l->dc, DC_DEFAULT_TRIES);
	if (rc < 0) {
		snprintf(err, size, "%s", dc_error(u->l->dc));
		return -1;
	}
	if ((*reply)->status != DISPATCH__STATUS__STATUS_OK || !(*reply)->ticket) {
		dc_clean((*reply)->message, err, size);
		if (!*err)
			snprintf(err, size, "the daemon answered %s", dc_status_name((*reply)->status));
		dispatch__reply__free_unpacked(*reply, NULL);
		*reply = NULL;
		return -1;
	}
	return 0;
}

/* A ticket left the list while events were lost: ask where it went. */
static void say_gone(struct ui *u, uint64_t id)
{
	Dispatch__Reply *r = NULL;
	char err[300], line[700];

	if (get_ticket(u, id, 0, &r, err, sizeof err) == 0 &&
	    crew_gone_line(u->l->member, r->ticket, NULL, line, sizeof line))
		say(u, 1, "%s", line);
	else
		say(u, 1, "ticket %" PRIu64 " left your list", id);
	dispatch__reply__free_unpacked(r, NULL);
}

/* Take a List{member} answer: the truth about the member's assignments. */
static void sync_list(struct ui *u, const Dispatch__Reply *r, int announce)
{
	uint64_t gone[GONE_LOOKUPS];
	size_t i, j, n_gone = 0;

	for (i = 0; i < u->n;) { /* gone from the daemon's list: not ours any more */
		int keep = u->v[i].escalation;
		for (j = 0; !keep && j < r->n_tickets; j++)
			keep = r->tickets[j] && r->tickets[j]->id == u->v[i].t->id && is_mine(u, r->tickets[j]);
		if (keep) {
			i++;
			continue;
		}
		if (n_gone < GONE_LOOKUPS)
			gone[n_gone++] = u->v[i].t->id;
		drop(u, &u->v[i]);
	}
	for (i = 0; i < n_gone; i++)
		say_gone(u, gone[i]);
	for (j = 0; j < r->n_tickets; j++) {
		const Dispatch__Ticket *t = r->tickets[j];
		int known;

		if (!t || !is_mine(u, t))
			continue;
		known = find(u, t->id, 0) != NULL;
		if (!put(u, t, 0)) {
			say(u, 1, "out of memory");
			return;
		}
		/* Missed while the link was down: as new as a live one. */
		if (!known && announce && t->state == DISPATCH__STATE__STATE_ASSIGNED)
			ring(u, t, "NEW ASSIGNMENT");
	}
}

static int refetch(struct ui *u, int announce)
{
	Dispatch__Reply *r = NULL;
	int rc;

	dc_set_tries(u->l->dc, 1); /* the screen must not freeze on a bad link */
	rc = crew_link_fetch(u->l, &r);
	dc_set_tries(u->l->dc, DC_DEFAULT_TRIES);
	if (rc) {
		say_link(u, "cannot fetch assignments: %s", u->l->err);
		return -1;
	}
	link_back(u);
	sync_list(u, r, announce);
	dispatch__reply__free_unpacked(r, NULL);
	return 0;
}

static void on_event(struct ui *u, const Dispatch__Event *e)
{
	const Dispatch__Ticket *t = e->ticket;
	struct item *it;

	switch (e->type) {
	case DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT: return;
	case DISPATCH__EVENT_TYPE__EVENT_DUTY:
		if (e->member && strcmp(e->member, u->l->member) != 0)
			return;
		u->l->duty = e->on_duty ? 1 : 0;
		say(u, 0, "you are now %s duty", e->on_duty ? "on" : "off");
		return;
	case DISPATCH__EVENT_TYPE__EVENT_ESCALATED:
		if (t && e->member && strcmp(e->member, u->l->member) != 0) {
			/* Moved on from this member by the escalation chain: say
			 * so, and where it is now. */
			char line[700];
			it = find(u, t->id, 0);
			if (it && crew_gone_line(u->l->member, t, e, line, sizeof line)) {
				drop(u, it);
				say(u, 1, "%s", line);
			}
			return;
		}
		if (!t || !e->member)
			return;
		if (is_mine(u, t)) {
			/* The assignment moved to this member: theirs to work,
			 * and as urgent as a new one. */
			if (!put(u, t, 0)) {
				say(u, 1, "out of memory");
				return;
			}
			ring(u, t, "ESCALATED TO YOU");
			return;
		}
		if (find(u, t->id, 1))
			return;
		it = put(u, t, 1);
		if (it) {
			dc_clean(e->reason, it->reason, sizeof it->reason);
			if (e->deadline && !*it->reason)
				snprintf(it->reason, sizeof it->reason, "%s deadline missed",
					 dc_deadline_name(e->deadline));
			ring(u, t, "ESCALATED TO YOU");
		}
		return;
	default: break;
	}
	if (!t)
		return;
	it = find(u, t->id, 0);
	if (is_mine(u, t)) {
		if (it && it->t->last_seq > t->last_seq)
			return; /* older than what we have (a fetch got ahead) */
		if (!put(u, t, 0)) {
			say(u, 1, "out of memory");
			return;
		}
		if (e->type == DISPATCH__EVENT_TYPE__EVENT_REOPENED)
			ring(u, t, "REOPENED");
		else if (!it && t->state == DISPATCH__STATE__STATE_ASSIGNED)
			ring(u, t, "NEW ASSIGNMENT");
	} else if (it) {
		char line[700];

		drop(u, it);
		if (crew_gone_line(u->l->member, t, e, line, sizeof line))
			say(u, 1, "%s", line);
	}
	/* An escalated ticket that found a member needs nobody's attention. */
	if (t->member && *t->member && (it = find(u, t->id, 1)) != NULL)
		drop(u, it);
}

/* ---- order and selection ---- */

static int64_t g_now; /* for the comparator: qsort has no context argument */

static int cmp_items(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	struct dc_due da, db;
	int64_t ta, tb;
	unsigned pa_, pb_;
	int na, nb;

	/* Escalations, then unacknowledged, then the rest. */
	na = a->escalation ? 0 : a->t->state == DISPATCH__STATE__STATE_ASSIGNED ? 1 : 2;
	nb = b->escalation ? 0 : b->t->state == DISPATCH__STATE__STATE_ASSIGNED ? 1 : 2;
	if (na != nb)
		return na - nb;
	pa_ = a->t->priority ? a->t->priority : 3; /* 0: the rule's default, middling */
	pb_ = b->t->priority ? b->t->priority : 3;
	if (pa_ != pb_)
		return pa_ < pb_ ? -1 : 1;
	ta = dc_time_due(a->t, g_now, &da) ? da.at_ms : INT64_MAX;
	tb = dc_time_due(b->t, g_now, &db) ? db.at_ms : INT64_MAX;
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return a->t->id > b->t->id ? -1 : a->t->id < b->t->id; /* newest first */
}

static size_t selected(struct ui *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->v[i].t->id == u->sel_id && u->v[i].escalation == u->sel_esc)
			return i;
	/* It left the list: the cursor stays on its row. */
	if (u->n == 0)
		return 0;
	return u->sel_row < u->n ? u->sel_row : u->n - 1;
}

static void select_index(struct ui *u, size_t i)
{
	if (u->n == 0)
		return;
	if (i >= u->n)
		i = u->n - 1;
	u->sel_id = u->v[i].t->id;
	u->sel_esc = u->v[i].escalation;
	u->sel_row = i;
}

/* Sort, and put the cursor back on its ticket: what the member looks at
 * does not change under their finger when a job arrives or moves (a
 * second 'a' on the job just accepted is refused at once, sending
 * nothing); only when its ticket leaves does it stay on the row. */
static void order(struct ui *u, int64_t now)
{
	g_now = now;
	if (u->n > 1)
		qsort(u->v, u->n, sizeof *u->v, cmp_items);
	select_index(u, selected(u));
}

/* The kinds resolved without a visit (the daemon's table): no arrive. */
static int no_visit(const Dispatch__Ticket *t)
{
	return t->kind == DISPATCH__KIND__KIND_COMPLAINT || t->kind == DISPATCH__KIND__KIND_INQUIRY ||
	       t->kind == DISPATCH__KIND__KIND_SUGGESTION;
}

/* Whether key k (a, r, s, h, u) applies to the item now, by the daemon's
 * transition table for a crew member; if not, why, for the status line.
 * Asked before any prompt, so that nothing typed is lost to a refusal. */
static int allowed(const struct item *it, wint_t k, char *why, size_t size)
{
	const Dispatch__Ticket *t = it->t;
	unsigned long long id = (unsigned long long)t->id;
	Dispatch__State st = t->state;

	if (it->escalation) {
		snprintf(why, size, "#%llu is escalated to you, not assigned: assign it from the desk", id);
		return 0;
	}
	if (st == DISPATCH__STATE__STATE_ON_HOLD && k != L'u') {
		snprintf(why, size, "#%llu is on hold: u resumes it", id);
		return 0;
	}
	switch (k) {
	case L'a':
		if (st == DISPATCH__STATE__STATE_ASSIGNED)
			return 1;
		snprintf(why, size,
			 st == DISPATCH__STATE__STATE_ON_SITE ? "#%llu: you are already on site"
							      : "#%llu is already accepted",
			 id);
		return 0;
	case L'r':
		if (st == DISPATCH__STATE__STATE_ACCEPTED)
			return 1;
		snprintf(why, size,
			 st == DISPATCH__STATE__STATE_ASSIGNED ? "#%llu: accept it first (a)"
							       : "#%llu: you are already on site",
			 id);
		return 0;
	case L's':
		if (st == DISPATCH__STATE__STATE_ON_SITE ||
		    (no_visit(t) && (st == DISPATCH__STATE__STATE_ASSIGNED || st == DISPATCH__STATE__STATE_ACCEPTED)))
			return 1;
		snprintf(why, size,
			 st == DISPATCH__STATE__STATE_ASSIGNED ? "#%llu: accept and arrive first (a, then r)"
							       : "#%llu: arrive first (r), then resolve",
			 id);
		return 0;
	case L'h': return 1;
	case L'u':
		if (st == DISPATCH__STATE__STATE_ON_HOLD)
			return 1;
		snprintf(why, size, "#%llu is not on hold", id);
		return 0;
	default: snprintf(why, size, "no such key"); return 0;
	}
}

/* ---- drawing ---- */

static void put_text(int y, int x, const char *s, int width)
{
	char buf[2048];

	if (width <= 0)
		return;
	mvaddstr(y, x, dc_term_fit(s, width, buf, sizeof buf));
}

static attr_t attr_of(const struct ui *u, int pair, attr_t mono)
{
	return u->color ? (attr_t)COLOR_PAIR(pair) : mono;
}

/* Row 1 says what the list hides ("9 open, 8 shown, ↓1 more") when it
 * does not fit; more is that text, or "". */
static void draw_header(struct ui *u, int w, int64_t now, const char *more)
{
	char left[400], right[64], line[512], clock[16];
	const char *duty;
	int open = 0;
	size_t i;

	for (i = 0; i < u->n; i++)
		open += !u->v[i].escalation;
	duty = u->l->duty == 1 ? "ON DUTY" : u->l->duty == 0 ? "OFF DUTY" : "";
	snprintf(right, sizeof right, "%s%s%s", crew_link_up(u->l) ? "" : "LINK DOWN",
		 !crew_link_up(u->l) && *duty ? " " : "", duty);
	snprintf(left, sizeof left, "%s %s", u->l->member, u->l->name);
	attron(attr_of(u, PAIR_HEADER, A_REVERSE) | A_BOLD);
	mvhline(0, 0, ' ', w);
	put_text(0, 0, left, w - dc_width(right) - 1);
	mvaddstr(0, w - dc_width(right), right);
	attroff(attr_of(u, PAIR_HEADER, A_REVERSE) | A_BOLD);
	{
		time_t t = (time_t)(now / 1000);
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(clock, sizeof clock, "%H:%M:%S", &tm);
		else
			snprintf(clock, sizeof clock, "--:--:--");
	}
	if (*more) {
		/* The crew's name goes first when room is short. */
		snprintf(line, sizeof line, "%s  %s", u->l->crew, more);
		if (dc_width(line) > w - 9)
			snprintf(line, sizeof line, "%s", more);
	} else {
		snprintf(line, sizeof line, "%s  %d open", u->l->crew, open);
	}
	put_text(1, 0, line, w - 9);
	mvaddstr(1, w - 8 > 0 ? w - 8 : 0, clock);
}

/* The word for an item's state, as the list and the detail show it. */
static const char *state_word(const struct item *it)
{
	if (it->escalation)
		return "ESCALATED";
	if (it->t->state == DISPATCH__STATE__STATE_ON_HOLD)
		return "HELD";
	if (it->t->state == DISPATCH__STATE__STATE_ASSIGNED)
		return "NEW";
	return dc_state_name(it->t->state);
}

/* Issue 19: a visit window and its countdown to the start, "visit 14:00-16:00
 * in 3h05" ("now, until 16:00" within it, "missed" after it). */
static void visit_words(const Dispatch__Ticket *t, int64_t now, char *buf, size_t size)
{
	char a[32], b[32], span[16];
	int before = t->state <= DISPATCH__STATE__STATE_ACCEPTED || t->state == DISPATCH__STATE__STATE_ON_HOLD;

	buf[0] = '\0';
	if (t->visit_from_ms <= 0 || t->visit_to_ms <= 0)
		return;
	dc_time_short(t->visit_from_ms, now, a, sizeof a);
	dc_time_short(t->visit_to_ms, t->visit_from_ms, b, sizeof b);
	if (!before)
		snprintf(buf, size, "visit %s-%s", a, b);
	else if (now < t->visit_from_ms)
		snprintf(buf, size, "visit %s-%s in %s", a, b, dc_time_span(t->visit_from_ms - now, span, sizeof span));
	else if (now < t->visit_to_ms)
		snprintf(buf, size, "visit %s-%s now, until %s", a, b, b);
	else
		snprintf(buf, size, "visit %s-%s missed", a, b);
}

/* The list's second line: the visit and "planned" before the text. */
static void visit_prefix(const Dispatch__Ticket *t, int64_t now, char *text, size_t size)
{
	char v[160], rest[1800];

	visit_words(t, now, v, sizeof v);
	if (!*v && !t->planned)
		return;
	snprintf(rest, sizeof rest, "%.1700s", text);
	snprintf(text, size, "%s%s%s%s%.1800s", *v ? "[" : "", v, *v ? "] " : "", t->planned ? "[planned] " : "", rest);
}

static void draw_item(struct ui *u, const struct item *it, int y, int w, int sel, int64_t now)
{
	const Dispatch__Ticket *t = it->t;
	struct dc_due d;
	char id[24], due[32], span[16], line2[2300], text[2048];
	const char *word = state_word(it);
	int late = 0, fresh = !it->escalation && t->state == DISPATCH__STATE__STATE_ASSIGNED;
	int x, dw;
	attr_t a = A_NORMAL;

	snprintf(id, sizeof id, "#%" PRIu64, t->id);
	due[0] = '\0';
	if (t->state == DISPATCH__STATE__STATE_ON_HOLD) {
		/* Deadlines are paused: the reason is what the member needs. */
		snprintf(due, sizeof due, "%s", dc_hold_reason_name(t->hold_reason));
	} else if (!it->escalation && dc_time_due(t, now, &d)) {
		late = d.overdue;
		dc_time_span(d.at_ms - now, span, sizeof span);
		snprintf(due, sizeof due, "%s %s%s", d.abbrev, late ? "-" : "", span);
	}
	if (fresh || it->escalation)
		a = attr_of(u, PAIR_NEW, A_REVERSE) | A_BOLD;
	else if (sel)
		a = A_BOLD;
	attron(a);
	mvhline(y, 0, ' ', w);
	mvaddstr(y, 0, sel ? ">" : " ");
	mvaddstr(y, 1, id);
	x = 1 + (int)strlen(id) + 1;
	if (t->priority == 1) {
		/* Urgent: marked in words, not only sorted first. */
		attr_t pa = attr_of(u, PAIR_LATE, A_UNDERLINE) | A_BOLD;
		attron(pa);
		mvaddstr(y, x, "P1");
		attroff(pa);
		attron(a);
		x += 3;
	}
	mvaddstr(y, x, word);
	x += (int)strlen(word) + 1;
	dw = dc_width(due);
	put_text(y, x, t->unit, w - x - dw - 1);
	attroff(a);
	if (*due) {
		attr_t da = late ? attr_of(u, PAIR_LATE, A_BOLD) | A_BOLD : a;
		attron(da);
		mvaddstr(y, w - dw, due);
		attroff(da);
	}
	dc_clean(t->text, text, sizeof text);
	visit_prefix(t, now, text, sizeof text); /* issue 19 */
	if (it->escalation)
		snprintf(line2, sizeof line2, "%s queued: %s", t->crew ? t->crew : "-",
			 *it->reason ? it->reason : text);
	else if (t->escalation_step || t->n_passed_over)
		snprintf(line2, sizeof line2, "escalated %s: %s", dc_kind_name(t->kind), text);
	else
		snprintf(line2, sizeof line2, "%s: %s", dc_kind_name(t->kind), text);
	mvhline(y + 1, 0, ' ', w);
	put_text(y + 1, 3, line2, w - 3);
}

/* ---- the detail view: all of one ticket, wrapped to the screen ---- */

struct text {
	char *s;
	size_t len, cap;
	int lines;
};

static void text_line(struct text *x, const char *line, size_t n)
{
	if (x->len + n + 2 > x->cap) {
		size_t cap = (x->cap + n + 2) * 2;
		char *s = realloc(x->s, cap);
		if (!s)
			return;
		x->s = s;
		x->cap = cap;
	}
	memcpy(x->s + x->len, line, n);
	x->len += n;
	x->s[x->len++] = '\n';
	x->s[x->len] = '\0';
	x->lines++;
}

/* Add s wrapped to width columns, each line after indent spaces. */
static void text_add(struct text *x, int width, int indent, const char *s)
{
	size_t n = (s ? strlen(s) : 0) * 2 + 2;
	char *wrapped = malloc(n), *p, *nl, line[4200];

	if (!wrapped)
		return;
	if (dc_term_wrap(s, width - indent, wrapped, n) == 0) {
		free(wrapped);
		return;
	}
	for (p = wrapped; p; p = nl ? nl + 1 : NULL) {
		size_t len;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > sizeof line - (size_t)indent - 1)
			len = sizeof line - (size_t)indent - 1;
		memset(line, ' ', (size_t)indent);
		memcpy(line + indent, p, len);
		text_line(x, line, (size_t)indent + len);
	}
	free(wrapped);
}

static void text_addf(struct text *x, int width, int indent, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void text_addf(struct text *x, int width, int indent, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	text_add(x, width, indent, buf);
}

/* One deadline: "arrive by 10:40 (in 29:30)", or the time it had left on hold. */
static void deadline_text(struct text *x, int w, const char *what, int64_t by, int64_t left, int held, int64_t now)
{
	char at[32], span[16];

	if (held && left > 0) {
		text_addf(x, w, 0, "%s: %s left (paused)", what, dc_time_span(left, span, sizeof span));
	} else if (!held && by > 0) {
		dc_time_short(by, now, at, sizeof at);
		dc_time_span(by - now, span, sizeof span);
		text_addf(x, w, 0, "%s by %s (%s %s)", what, at, by < now ? "late" : "in", span);
	}
}

static void history_text(struct text *x, int w, const Dispatch__Event *e, int64_t now)
{
	char at[32], actor[80], who[80], note[2048], line[2400];
	size_t o;

	dc_time_short(e->time_ms, now, at, sizeof at);
	dc_clean(e->actor, actor, sizeof actor);
	dc_clean(e->member, who, sizeof who);
	dc_clean(e->note, note, sizeof note);
	o = (size_t)snprintf(line, sizeof line, "%s %s", at, dc_event_type_name(e->type));
	if ((e->type == DISPATCH__EVENT_TYPE__EVENT_ASSIGNED || e->type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED) &&
	    *who && o < sizeof line)
		o += (size_t)snprintf(line + o, sizeof line - o, " to %s", who);
	if (e->deadline && o < sizeof line)
		o += (size_t)snprintf(line + o, sizeof line - o, " (%s missed)", dc_deadline_name(e->deadline));
	if (*actor && strcmp(actor, "dispatchd") != 0 && o < sizeof line)
		o += (size_t)snprintf(line + o, sizeof line - o, " by %s", actor);
	if (*note && o < sizeof line)
		snprintf(line + o, sizeof line - o, ": %s", note);
	text_add(x, w, 2, line);
}

static void detail_text(struct ui *u, const struct item *it, int w, int64_t now, struct text *x)
{
	const Dispatch__Ticket *t = it->t;
	const Dispatch__Reply *r = u->detail_r;
	int held = t->state == DISPATCH__STATE__STATE_ON_HOLD;
	char a[400], b[400];
	size_t i;

	text_addf(x, w, 0, "#%" PRIu64 " %s%s %s", t->id, t->priority == 1 ? "P1 " : "", dc_kind_name(t->kind),
		  state_word(it));
	dc_clean(t->unit, a, sizeof a);
	if (t->zone && *t->zone)
		text_addf(x, w, 0, "unit %s, zone %s", a, dc_clean(t->zone, b, sizeof b));
	else
		text_addf(x, w, 0, "unit %s", a);
	if (t->asset && *t->asset) /* issue 19: the equipment it concerns */
		text_addf(x, w, 0, "asset %s", dc_clean(t->asset, a, sizeof a));
	if (t->person && *t->person)
		text_addf(x, w, 0, "resident %s", dc_clean(t->person, a, sizeof a));
	if (t->phone && *t->phone)
		text_addf(x, w, 0, "phone %s", dc_clean(t->phone, a, sizeof a));
	{
		/* issue 19: the appointment, and planned work */
		char v[160];
		visit_words(t, now, v, sizeof v);
		if (*v)
			text_addf(x, w, 0, "%s (booked with the resident: arrive by its end)", v);
		if (t->planned) {
			dc_time_short(t->planned_for_ms, now, b, sizeof b);
			text_addf(x, w, 0, "planned work: schedule %s, %s, for %s", dc_clean(t->schedule, a, 64),
				  t->target ? t->target : "", b);
		}
	}
	text_add(x, w, 0, "text:");
	text_add(x, w, 2, t->text && *t->text ? t->text : "-");
	if (t->category && *t->category)
		text_addf(x, w, 0, "category %s", dc_clean(t->category, a, sizeof a));
	if (t->source)
		text_addf(x, w, 0, "source %s", dc_source_name(t->source));
	if (t->priority)
		text_addf(x, w, 0, "priority %u%s", t->priority, t->priority == 1 ? " (urgent)" : "");
	if (held) {
		dc_clean(t->hold_note, a, sizeof a);
		text_addf(x, w, 0, "held: %s%s%s", dc_hold_reason_name(t->hold_reason), *a ? ": " : "", a);
	}
	if (!it->escalation) {
		if (t->state <= DISPATCH__STATE__STATE_ASSIGNED || (held && t->acknowledge_left_ms))
			deadline_text(x, w, "acknowledge", t->acknowledge_by_ms, t->acknowledge_left_ms, held, now);
		if (t->state <= DISPATCH__STATE__STATE_ACCEPTED || (held && t->arrive_left_ms))
			deadline_text(x, w, "arrive", t->arrive_by_ms, t->arrive_left_ms, held, now);
		deadline_text(x, w, "resolve", t->resolve_by_ms, t->resolve_left_ms, held, now);
	} else if (*it->reason) {
		text_addf(x, w, 0, "escalated: %s", it->reason);
	}
	if (t->n_passed_over) {
		size_t o = 0;
		a[0] = '\0';
		for (i = 0; i < t->n_passed_over && o + 2 < sizeof a; i++)
			o += (size_t)snprintf(a + o, sizeof a - o, "%s%s", i ? ", " : "",
					      dc_clean(t->passed_over[i], b, sizeof b));
		text_addf(x, w, 0, "passed over: %s", a);
	}
	if (t->note && *t->note)
		text_addf(x, w, 0, "note: %s", dc_clean(t->note, a, sizeof a));
	if (dc_cost_summary(t, a, sizeof a)[0]) /* issue 19: what the job cost */
		text_addf(x, w, 0, "cost %s", a);
	if (r && r->ticket && r->ticket->id == t->id) {
		text_addf(x, w, 0, "history (%zu):", r->n_events);
		for (i = 0; i < r->n_events; i++)
			if (r->events[i])
				history_text(x, w, r->events[i], now);
	} else {
		text_addf(x, w, 0, "history: %s", *u->detail_err ? u->detail_err : "not fetched yet");
	}
}

/* Draw the detail of it on rows y..y+rows-1; more says what is hidden. */
static void draw_detail(struct ui *u, const struct item *it, int y, int rows, int w, int64_t now, char *more,
			size_t size)
{
	struct text x = { NULL, 0, 0, 0 };
	const char *p;
	int i, below;

	detail_text(u, it, w, now, &x);
	if (u->detail_scroll > x.lines - rows)
		u->detail_scroll = x.lines - rows;
	if (u->detail_scroll < 0)
		u->detail_scroll = 0;
	for (i = 0, p = x.s; p && *p; i++) {
		const char *nl = strchr(p, '\n');
		char line[4200];
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len >= sizeof line)
			len = sizeof line - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		if (i >= u->detail_scroll && i < u->detail_scroll + rows) {
			if (i == 0)
				attron(A_BOLD);
			put_text(y + i - u->detail_scroll, 0, line, w);
			if (i == 0)
				attroff(A_BOLD);
		}
		p = nl ? nl + 1 : NULL;
	}
	below = x.lines - u->detail_scroll - rows;
	if (u->detail_scroll > 0 && below > 0)
		snprintf(more, size, "\xe2\x86\x91%d \xe2\x86\x93%d more lines", u->detail_scroll, below);
	else if (u->detail_scroll > 0)
		snprintf(more, size, "\xe2\x86\x91%d more lines", u->detail_scroll);
	else if (below > 0)
		snprintf(more, size, "\xe2\x86\x93%d more lines", below);
	free(x.s);
}

/* The keys that apply to the selected job, in words if they fit. */
static void keys_line(const struct ui *u, const struct item *it, int w, char *buf, size_t size)
{
	static const struct {
		wint_t key;
		const char *word, *brief;
	} acts[] = {
		{ L'a', "a:accept", "a:acc" }, { L'r', "r:arrive", "r:arr" }, { L's', "s:resolve", "s:res" },
		{ L'h', "h:hold", "h:hold" },  { L'u', "u:resume", "u:res" },
	};
	int brief;
	size_t k;

	for (brief = 0; brief < 2; brief++) {
		char why[16];
		size_t o;

		o = (size_t)snprintf(buf, size, "%s",
				     u->detail_id ? (brief ? "Esc" : "Esc:back j/k:scroll")
						  : (brief ? "Enter" : "Enter:detail"));
		for (k = 0; it && k < sizeof acts / sizeof acts[0] && o < size; k++)
			if (allowed(it, acts[k].key, why, sizeof why))
				o += (size_t)snprintf(buf + o, size - o, " %s", brief ? acts[k].brief : acts[k].word);
		if (it && it->escalation && o < size)
			o += (size_t)snprintf(buf + o, size - o, " %s", brief ? "x" : "x:dismiss");
		if (o < size)
			snprintf(buf + o, size - o, " %s", brief ? "d q" : "d:duty q:quit");
		if (dc_width(buf) <= w)
			return;
	}
}

/* Words in lines of at most w columns, two spaces apart, never split. */
static void pack(const char *const *words, size_t n, int w, char *buf, size_t size)
{
	size_t i, o = 0;
	int used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < size; i++) {
		int ww = dc_width(words[i]);
		if (i && used + 2 + ww > w) {
			o += (size_t)snprintf(buf + o, size - o, "\n%s", words[i]);
			used = ww;
		} else {
			o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "  " : "", words[i]);
			used += (i ? 2 : 0) + ww;
		}
	}
}

/* The bottom rows' text, '\n' between rows: a menu, a question, or the
 * status wrapped to the width. 0 for a prompt that is typed into (one
 * row, drawn by draw()). */
static int bottom_text(const struct ui *u, int w, char *buf, size_t size)
{
	if (u->prompt == PROMPT_HOLD_REASON) {
		char head[64];
		const char *words[] = { head, "a away", "n no-access", "o other", "Esc back" };

		snprintf(head, sizeof head, "hold #%" PRIu64 ": p parts", u->prompt_id);
		pack(words, sizeof words / sizeof words[0], w, buf, size);
	} else if (u->prompt == PROMPT_DUTY) {
		char q[128];

		snprintf(q, sizeof q, "go %s duty? y: yes, any other key: no", u->duty_on ? "on" : "off");
		dc_term_wrap(q, w, buf, size);
	} else if (u->prompt) {
		return 0;
	} else {
		dc_term_wrap(u->status, w, buf, size);
	}
	{
		int n = 1;
		const char *p;
		for (p = buf; *p; p++)
			n += *p == '\n';
		return n;
	}
}

/* Draw the bottom rows' text from row y, at most rows rows; what does not
 * fit is joined on the last row and cut there. */
static void draw_bottom(const char *text, int y, int rows, int w)
{
	char buf[4096];
	const char *p = text;
	int i;

	for (i = 0; i < rows && p; i++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl && i < rows - 1 ? (size_t)(nl - p) : strlen(p);
		size_t k;

		if (len >= sizeof buf)
			len = sizeof buf - 1;
		memcpy(buf, p, len);
		buf[len] = '\0';
		for (k = 0; k < len; k++)
			if (buf[k] == '\n')
				buf[k] = ' ';
		put_text(y + i, 0, buf, w);
		p = nl && i < rows - 1 ? nl + 1 : NULL;
	}
}

static struct item *detail_item(struct ui *u)
{
	return u->detail_id ? find(u, u->detail_id, u->detail_esc) : NULL;
}

static void close_detail(struct ui *u)
{
	u->detail_id = 0;
	u->detail_scroll = 0;
	u->detail_err[0] = '\0';
	dispatch__reply__free_unpacked(u->detail_r, NULL);
	u->detail_r = NULL;
}

static void draw(struct ui *u)
{
	int h = LINES, w = COLS, rows, per_screen, y, nb, rows_bottom;
	int64_t now = dc_daemon_now_ms(u->l->dc);
	char bottom[4096], keys[256], more[160] = "";
	struct item *it;
	size_t i, sel, shown = 0;

	erase();
	if (h < 8 || w < 24) {
		mvaddstr(0, 0, "screen too small");
		refresh();
		return;
	}
	order(u, now);
	sel = selected(u);
	if (u->detail_id && !detail_item(u))
		close_detail(u); /* it left the list: the status says where it went */
	it = u->detail_id ? detail_item(u) : u->n ? &u->v[sel] : NULL;
	nb = bottom_text(u, w, bottom, sizeof bottom);
	rows_bottom = nb == 0 ? 1 : nb < (h >= 12 ? STATUS_ROWS_MAX : 2) ? nb : (h >= 12 ? STATUS_ROWS_MAX : 2);
	rows = h - 3 - rows_bottom; /* the header's two rows, the keys' row */
	if (u->detail_id) {
		draw_detail(u, it, 2, rows, w, now, more, sizeof more);
	} else {
		per_screen = rows / 2 > 0 ? rows / 2 : 1;
		if (sel < u->top)
			u->top = sel;
		if (sel >= u->top + (size_t)per_screen)
			u->top = sel - (size_t)per_screen + 1;
		/* A taller screen shows more again, from the top. */
		if (u->top + (size_t)per_screen > u->n)
			u->top = u->n > (size_t)per_screen ? u->n - (size_t)per_screen : 0;
		if (u->n == 0)
			put_text(3, 1, "no open assignments", w - 2);
		for (i = u->top, y = 2; i < u->n && y + 1 < 2 + rows; i++, y += 2, shown++)
			draw_item(u, &u->v[i], y, w, i == sel, now);
		if (shown < u->n) {
			size_t below = u->n - u->top - shown;
			char up[32] = "", down[32] = "";

			if (u->top)
				snprintf(up, sizeof up, "\xe2\x86\x91%zu", u->top);
			if (below)
				snprintf(down, sizeof down, "\xe2\x86\x93%zu", below);
			snprintf(more, sizeof more, "%zu open, %zu shown, %s%s%s more", u->n, shown, up,
				 *up && *down ? " " : "", down);
		}
	}
	draw_header(u, w, now, more);
	keys_line(u, it, w, keys, sizeof keys);
	attron(A_DIM);
	put_text(h - 1 - rows_bottom, 0, keys, w);
	attroff(A_DIM);
	if (u->prompt == PROMPT_HOLD_REASON || u->prompt == PROMPT_DUTY) {
		attron(A_BOLD);
		draw_bottom(bottom, h - rows_bottom, rows_bottom, w);
		attroff(A_BOLD);
		curs_set(0);
	} else if (u->prompt) {
		char note[NOTE_MAX * 4 + 1], line[NOTE_MAX * 4 + 64];
		const char *label = u->prompt == PROMPT_PARTS       ? "parts"
				    : u->prompt == PROMPT_HOLD_NOTE ? "why"
								    : "note";
		int cx;
		size_t k, o = 0;

		for (k = 0; k < u->note_len && o + MB_CUR_MAX < sizeof note; k++) {
			int len = wctomb(note + o, u->note[k]);
			if (len > 0)
				o += (size_t)len;
		}
		note[o] = '\0';
		snprintf(line, sizeof line, "%s #%" PRIu64 ": %s", label, u->prompt_id, note);
		/* Show the end of a long note: that is where the typing is. */
		cx = dc_width(line);
		if (cx >= w) {
			const char *p = line;
			while (*p && dc_width(p) >= w - 1)
				p++;
			while ((*p & 0xc0) == 0x80)
				p++;
			mvaddstr(h - 1, 0, p);
			cx = dc_width(p);
		} else {
			mvaddstr(h - 1, 0, line);
		}
		move(h - 1, cx < w ? cx : w - 1);
		curs_set(1);
	} else {
		attr_t a = u->status_alert ? attr_of(u, PAIR_ALERT, A_BOLD) | A_BOLD : A_NORMAL;
		attron(a);
		draw_bottom(bottom, h - rows_bottom, rows_bottom, w);
		attroff(a);
		curs_set(0);
	}
	refresh();
}

/* ---- actions ---- */

/* The job the keys act on: the one in the detail view, else the selected one. */
static struct item *current(struct ui *u)
{
	if (u->detail_id)
		return detail_item(u);
	if (u->n == 0)
		return NULL;
	return &u->v[selected(u)];
}

/* Ask for the ticket's history for the detail view; on failure the view
 * shows what the list knows and says why the history is missing. */
static void detail_fetch(struct ui *u)
{
	Dispatch__Reply *r = NULL;

	if (!u->detail_id)
		return;
	if (get_ticket(u, u->detail_id, 1, &r, u->detail_err, sizeof u->detail_err) < 0)
		return;
	u->detail_err[0] = '\0';
	dispatch__reply__free_unpacked(u->detail_r, NULL);
	u->detail_r = r;
}

static void open_detail(struct ui *u, const struct item *it)
{
	close_detail(u);
	u->detail_id = it->t->id;
	u->detail_esc = it->escalation;
	u->sel_id = it->t->id;
	u->sel_esc = it->escalation;
	say(u, 0, "fetching the history of #%" PRIu64 "...", it->t->id);
	draw(u);
	detail_fetch(u);
	if (*u->detail_err)
		say_link(u, "history of #%" PRIu64 ": %s", it->t->id, u->detail_err);
	else
		say(u, 0, "#%" PRIu64 ": Esc goes back to the list", it->t->id);
}

static void send_step(struct ui *u, Dispatch__Transition *tr);

static void act(struct ui *u, Dispatch__Action action, uint64_t id, const char *note)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	tr.ticket_id = id;
	tr.action = action;
	if (note && *note)
		tr.note = (char *)note;
	send_step(u, &tr);
}

/* 'd' asks first: going off duty by a stray key stops the dispatch. */
static void ask_duty(struct ui *u)
{
	/* Following the calendar: the opposite of what the shift says. */
	u->duty_on = u->l->duty == 1 ? 0 : u->l->duty == 0 ? 1 : !u->l->on_shift;
	u->prompt = PROMPT_DUTY;
}

static void send_duty(struct ui *u, int on)
{
	Dispatch__Reply *r = NULL;
	int rc;

	say(u, 0, "sending duty %s...", on ? "on" : "off");
	draw(u);
	rc = crew_link_duty(u->l, on, &r);
	if (rc == DC_EXIT_UNAVAILABLE) {
		say_link(u, "duty: %s", u->l->err);
		return;
	}
	if (rc) {
		say(u, 1, "duty: %s", u->l->err);
		return;
	}
	say(u, 0, "you are now %s duty", on ? "on" : "off");
	dispatch__reply__free_unpacked(r, NULL);
}

static void send_step(struct ui *u, Dispatch__Transition *tr)
{
	Dispatch__Reply *r = NULL;
	uint64_t id = tr->ticket_id;

	int rc;

	say(u, 0, "sending %s for #%" PRIu64 "...", dc_action_name(tr->action), id);
	draw(u);
	rc = crew_link_send(u->l, tr, &r);
	if (rc == DC_EXIT_UNAVAILABLE) {
		say_link(u, "#%" PRIu64 " %s not sent: %s", id, dc_action_name(tr->action), u->l->err);
		return;
	}
	if (rc) {
		say(u, 1, "#%" PRIu64 ": %s", id, u->l->err);
		return;
	}
	if (r->ticket->state == DISPATCH__STATE__STATE_ON_HOLD)
		say(u, 0, "ticket %" PRIu64 " is now on hold (%s)", r->ticket->id,
		    dc_hold_reason_name(r->ticket->hold_reason));
	else
		say(u, 0, "ticket %" PRIu64 " is now %s", r->ticket->id, dc_state_name(r->ticket->state));
	if (is_mine(u, r->ticket))
		put(u, r->ticket, 0);
	else if (find(u, r->ticket->id, 0))
		drop(u, find(u, r->ticket->id, 0));
	dispatch__reply__free_unpacked(r, NULL);
	if (u->detail_id == id)
		detail_fetch(u);
}

static void typed(const struct ui *u, char *buf, size_t size)
{
	size_t k, o = 0;

	for (k = 0; k < u->note_len && o + MB_CUR_MAX < size; k++) {
		int len = wctomb(buf + o, u->note[k]);
		if (len > 0)
			o += (size_t)len;
	}
	buf[o] = '\0';
}

static void finish_prompt(struct ui *u, int send)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	char text[NOTE_MAX * 4 + 1];
	int was = u->prompt;

	typed(u, text, sizeof text);
	u->prompt = PROMPT_NONE;
	u->note_len = 0;
	if (!send) {
		say(u, 0, "%s cancelled", was == PROMPT_HOLD_NOTE ? "hold" : "resolve");
		return;
	}
	tr.ticket_id = u->prompt_id;
	switch (was) {
	case PROMPT_RESOLVE_NOTE:
		/* Then what was used: Enter alone for nothing. */
		snprintf(u->saved, sizeof u->saved, "%s", text);
		u->prompt = PROMPT_PARTS;
		return;
	case PROMPT_PARTS:
		tr.action = DISPATCH__ACTION__ACTION_RESOLVE;
		tr.note = u->saved;
		tr.parts_used = text;
		break;
	case PROMPT_HOLD_NOTE:
		if (!*text && u->hold_reason == DISPATCH__HOLD_REASON__HOLD_OTHER) {
			say(u, 1, "hold: say why (or Esc)");
			u->prompt = PROMPT_HOLD_NOTE;
			return;
		}
		tr.action = DISPATCH__ACTION__ACTION_HOLD;
		tr.hold_reason = u->hold_reason;
		tr.note = text;
		break;
	default: return;
	}
	send_step(u, &tr);
}

/* One key picks the reason; "other" asks why. */
static void on_hold_key(struct ui *u, int is_key, wint_t c)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__HoldReason reason;

	if (is_key)
		return;
	switch (c) {
	case L'p': reason = DISPATCH__HOLD_REASON__HOLD_PARTS; break;
	case L'a': reason = DISPATCH__HOLD_REASON__HOLD_RESIDENT_AWAY; break;
	case L'n': reason = DISPATCH__HOLD_REASON__HOLD_NO_ACCESS; break;
	case L'o':
		u->hold_reason = DISPATCH__HOLD_REASON__HOLD_OTHER;
		u->prompt = PROMPT_HOLD_NOTE;
		u->note_len = 0;
		return;
	case 27: /* Esc */
		u->prompt = PROMPT_NONE;
		say(u, 0, "hold cancelled");
		return;
	default: return;
	}
	u->prompt = PROMPT_NONE;
	tr.ticket_id = u->prompt_id;
	tr.action = DISPATCH__ACTION__ACTION_HOLD;
	tr.hold_reason = reason;
	send_step(u, &tr);
}

static void on_prompt_key(struct ui *u, int is_key, wint_t c)
{
	if (!is_key && (c == L'\n' || c == L'\r')) {
		finish_prompt(u, 1);
	} else if (is_key && c == KEY_ENTER) {
		finish_prompt(u, 1);
	} else if (!is_key && c == 27) { /* Esc */
		finish_prompt(u, 0);
	} else if ((is_key && c == KEY_BACKSPACE) || (!is_key && (c == 127 || c == 8))) {
		if (u->note_len)
			u->note_len--;
	} else if (!is_key && c == 21) { /* ^U: start over */
		u->note_len = 0;
	} else if (!is_key && iswprint((wint_t)c) && u->note_len < NOTE_MAX) {
		u->note[u->note_len++] = (wchar_t)c;
	}
}

/* Keys of the detail view that are not the list's: scrolling and going back. */
static int on_detail_key(struct ui *u, int is_key, wint_t c)
{
	int page = LINES > 8 ? LINES - 6 : 1;

	if (is_key) {
		switch (c) {
		case KEY_UP: u->detail_scroll--; return 1;
		case KEY_DOWN: u->detail_scroll++; return 1;
		case KEY_PPAGE: u->detail_scroll -= page; return 1;
		case KEY_NPAGE: u->detail_scroll += page; return 1;
		case KEY_HOME: u->detail_scroll = 0; return 1;
		case KEY_LEFT:
		case KEY_BACKSPACE:
		case KEY_ENTER: close_detail(u); return 1;
		default: return 0;
		}
	}
	switch (c) {
	case L'k': u->detail_scroll--; return 1;
	case L'j': u->detail_scroll++; return 1;
	case L' ': u->detail_scroll += page; return 1;
	case 27: /* Esc */
	case L'q':
	case L'\r':
	case L'\n':
	case 127:
	case 8:
		close_detail(u);
		say(u, 0, "back to the list");
		return 1;
	default: return 0;
	}
}

static void on_key(struct ui *u, int is_key, wint_t c)
{
	struct item *it = current(u);
	size_t sel = selected(u);
	char why[300];

	if (u->prompt == PROMPT_HOLD_REASON) {
		on_hold_key(u, is_key, c);
		return;
	}
	if (u->prompt == PROMPT_DUTY) {
		if (is_key && c == KEY_RESIZE)
			return;
		u->prompt = PROMPT_NONE;
		if (!is_key && (c == L'y' || c == L'Y'))
			send_duty(u, u->duty_on);
		else
			say(u, 0, "duty unchanged");
		return;
	}
	if (u->prompt) {
		on_prompt_key(u, is_key, c);
		return;
	}
	if (u->detail_id && on_detail_key(u, is_key, c))
		return;
	if (is_key) {
		if (c == KEY_UP && sel > 0)
			select_index(u, sel - 1);
		else if (c == KEY_DOWN)
			select_index(u, sel + 1);
		else if (c == KEY_ENTER && it)
			open_detail(u, it);
		return;
	}
	switch (c) {
	case L'k':
		if (sel > 0)
			select_index(u, sel - 1);
		break;
	case L'j': select_index(u, sel + 1); break;
	case L'\r':
	case L'\n':
		if (it)
			open_detail(u, it);
		else
			say(u, 0, "no assignment selected");
		break;
	case L'q':
	case L'Q': u->quit = 1; break;
	case L'd': ask_duty(u); break;
	case L'a':
	case L'r':
	case L's':
	case L'h':
	case L'u':
		if (!it) {
			say(u, 0, "no assignment selected");
			break;
		}
		/* Refused at once, before any prompt: nothing typed is lost. */
		if (!allowed(it, c, why, sizeof why)) {
			say(u, 1, "%s", why);
			break;
		}
		if (c == L'a')
			act(u, DISPATCH__ACTION__ACTION_ACCEPT, it->t->id, NULL);
		else if (c == L'r')
			act(u, DISPATCH__ACTION__ACTION_ARRIVE, it->t->id, NULL);
		else if (c == L'u')
			act(u, DISPATCH__ACTION__ACTION_RESUME, it->t->id, NULL);
		else {
			u->prompt = c == L'h' ? PROMPT_HOLD_REASON : PROMPT_RESOLVE_NOTE;
			u->prompt_id = it->t->id;
			u->note_len = 0;
		}
		break;
	case L'x':
		if (it && it->escalation) {
			say(u, 0, "escalation #%" PRIu64 " dismissed", it->t->id);
			drop(u, it);
		}
		break;
	case 12: /* ^L */ clearok(curscr, TRUE); break;
	default: break;
	}
}

static void read_keys(struct ui *u)
{
	wint_t c;
	int rc;

	while (!u->quit && (rc = get_wch(&c)) != ERR)
		on_key(u, rc == KEY_CODE_YES, c);
}

/* ---- set up and run ---- */

static void start_curses(struct ui *u)
{
	/* Names and notes are UTF-8 whatever LANG says; ncursesw needs a
	 * UTF-8 locale to draw them. */
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(100);
	curs_set(0);
	if (u->color && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_HEADER, COLOR_WHITE, COLOR_BLUE);
		init_pair(PAIR_NEW, COLOR_BLACK, COLOR_YELLOW);
		init_pair(PAIR_LATE, COLOR_RED, -1);
		init_pair(PAIR_ALERT, COLOR_YELLOW, -1);
		init_pair(PAIR_OK, COLOR_GREEN, -1);
	} else {
		u->color = 0;
	}
}

int crew_ui(struct crew_link *l, int color)
{
	struct ui u;
	Dispatch__Reply *r = NULL;
	const char *resync = NULL; /* events may have been lost: fetch again */
	int64_t next_try = 0;
	size_t i;
	int rc;

	memset(&u, 0, sizeof u);
	u.l = l;
	u.color = color;
	/* Fail before the screen is taken: an unknown member or no daemon
	 * is said on stderr, with the usual exit code. */
	rc = crew_link_fetch(l, &r);
	if (rc) {
		fprintf(stderr, CREW_PROG ": %s\n", l->err);
		return rc;
	}
	dispatch__reply__free_unpacked(r, NULL);
	if (crew_link_ping(l) < 0)
		say_link(&u, "ping: %s", l->err);
	rc = crew_link_subscribe(l);
	if (rc > 0) {
		fprintf(stderr, CREW_PROG ": %s\n", l->err);
		return rc;
	}
	if (crew_stop)
		return 0;
	refetch(&u, 0); /* after the subscription is live: nothing slips between */
	if (!*u.status)
		say(&u, 0, "%s: ready", l->member);
	start_curses(&u);
	while (!u.quit && !crew_stop) {
		Dispatch__Event *e = NULL;
		const char *why = NULL;

		draw(&u);
		rc = crew_link_next(l, 1000, STDIN_FILENO, &e, &why);
		if (rc == DC_OK && e) {
			on_event(&u, e);
			/* The detail view's history grows with the ticket. */
			if (u.detail_id && e->ticket_id == u.detail_id && detail_item(&u))
				detail_fetch(&u);
		}
		dispatch__event__free_unpacked(e, NULL);
		if (rc < 0 && rc != DC_ERR_TIMEOUT && rc != DC_ERR_INTERRUPTED)
			say_link(&u, "%s", dc_error(l->dc));
		if (why) {
			resync = why;
			next_try = 0;
		}
		if (resync && crew_now_ms() >= next_try) {
			/* The daemon may have restarted and forgotten that we are
			 * here: be present again, then take its list; until that
			 * works, try again every second. */
			crew_link_ping(l);
			if (refetch(&u, 1) == 0) {
				if (!u.status_alert)
					say(&u, 0, "resynchronised (%s)", resync);
				resync = NULL;
			} else {
				next_try = crew_now_ms() + 1000;
			}
		} else if (crew_now_ms() >= l->next_ping) {
			if (crew_link_ping(l) < 0) {
				say_link(&u, "ping: %s", l->err);
			} else {
				link_back(&u);
				refetch(&u, 1);
			}
		}
		read_keys(&u);
	}
	endwin();
	close_detail(&u);
	for (i = 0; i < u.n; i++)
		dispatch__ticket__free_unpacked(u.v[i].t, NULL);
	free(u.v);
	return 0;
}
