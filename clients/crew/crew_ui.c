/*
 * crew_ui: the handheld's full-screen UI (ncurses), sized for a small
 * screen (40x20 is enough).
 *
 *   row 0        member, name, duty, link state
 *   row 1        crew, open count, the daemon's time
 *   rows 2..H-3  assignments, two rows each: unacknowledged first, then by
 *                priority, nearest deadline, newest; deadlines count down
 *   row H-2      the keys
 *   row H-1      what just happened, or a prompt: resolve asks for a note
 *                and then the parts used; hold asks for the reason (one
 *                key) and, for "other", a note
 *
 * One thread: the loop waits for an event or a key (dc_next_event_fd on
 * stdin), at most a second so the countdowns tick. The list is the
 * daemon's List{member}, fetched at start, at every presence ping, and on
 * every sign of lost events (crew_link), and kept current in between from
 * the member's events. A new assignment rings the bell and stays
 * highlighted until it is accepted; so does an escalation addressed to the
 * member (the assignment moved to them, or, for a supervisor, an alert).
 * Held work stays in the list, marked HELD with its reason, deadlines
 * paused, until it is resumed.
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

#include "dc_term.h"
#include "dc_time.h"

#define NOTE_MAX 400 /* characters of a resolve note */

enum { PAIR_HEADER = 1, PAIR_NEW, PAIR_LATE, PAIR_ALERT, PAIR_OK };

/* The bottom row's questions, in the order a step asks them. */
enum prompt { PROMPT_NONE, PROMPT_RESOLVE_NOTE, PROMPT_PARTS, PROMPT_HOLD_REASON, PROMPT_HOLD_NOTE };

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
	size_t top;      /* first item shown */
	char status[512];
	int status_alert;
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

/* Take a List{member} answer: the truth about the member's assignments. */
static void sync_list(struct ui *u, const Dispatch__Reply *r, int announce)
{
	size_t i, j;

	for (i = 0; i < u->n;) { /* gone from the daemon's list: not ours any more */
		int keep = u->v[i].escalation;
		for (j = 0; !keep && j < r->n_tickets; j++)
			keep = r->tickets[j] && r->tickets[j]->id == u->v[i].t->id && is_mine(u, r->tickets[j]);
		if (keep)
			i++;
		else
			drop(u, &u->v[i]);
	}
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
		say(u, 1, "cannot fetch assignments: %s", u->l->err);
		return -1;
	}
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
		if (!t || !e->member || strcmp(e->member, u->l->member) != 0)
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
		drop(u, it);
		if (t->state == DISPATCH__STATE__STATE_CANCELLED)
			say(u, 1, "ticket %" PRIu64 " was cancelled", t->id);
		else if (t->member && strcmp(t->member, u->l->member) != 0)
			say(u, 1, "ticket %" PRIu64 " was reassigned", t->id);
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
	return 0;
}

static void select_index(struct ui *u, size_t i)
{
	if (u->n == 0)
		return;
	if (i >= u->n)
		i = u->n - 1;
	u->sel_id = u->v[i].t->id;
	u->sel_esc = u->v[i].escalation;
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

static void draw_header(struct ui *u, int w, int64_t now)
{
	char left[400], right[64], line[256], clock[16];
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
	snprintf(line, sizeof line, "%s  %d open", u->l->crew, open);
	put_text(1, 0, line, w - 9);
	mvaddstr(1, w - 8 > 0 ? w - 8 : 0, clock);
}

static void draw_item(struct ui *u, const struct item *it, int y, int w, int sel, int64_t now)
{
	const Dispatch__Ticket *t = it->t;
	struct dc_due d;
	char id[24], due[32], span[16], line2[2300], text[2048];
	const char *word;
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
	if (it->escalation)
		word = "ESCALATED";
	else if (t->state == DISPATCH__STATE__STATE_ON_HOLD)
		word = "HELD";
	else if (fresh)
		word = "NEW";
	else
		word = dc_state_name(t->state);
	if (fresh || it->escalation)
		a = attr_of(u, PAIR_NEW, A_REVERSE) | A_BOLD;
	else if (sel)
		a = A_BOLD;
	attron(a);
	mvhline(y, 0, ' ', w);
	mvaddstr(y, 0, sel ? ">" : " ");
	mvaddstr(y, 1, id);
	x = 1 + (int)strlen(id) + 1;
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

static void draw(struct ui *u)
{
	int h = LINES, w = COLS, rows, per_screen, y;
	int64_t now = dc_daemon_now_ms(u->l->dc);
	size_t i, sel;
	const char *keys;

	erase();
	if (h < 8 || w < 24) {
		mvaddstr(0, 0, "screen too small");
		refresh();
		return;
	}
	g_now = now;
	if (u->n > 1)
		qsort(u->v, u->n, sizeof *u->v, cmp_items);
	sel = selected(u);
	select_index(u, sel);
	draw_header(u, w, now);
	rows = h - 4;
	per_screen = rows / 2;
	if (sel < u->top)
		u->top = sel;
	if (per_screen > 0 && sel >= u->top + (size_t)per_screen)
		u->top = sel - (size_t)per_screen + 1;
	if (u->top >= u->n)
		u->top = 0;
	if (u->n == 0)
		put_text(3, 1, "no open assignments", w - 2);
	for (i = u->top, y = 2; i < u->n && y + 1 < 2 + rows; i++, y += 2)
		draw_item(u, &u->v[i], y, w, i == sel, now);
	keys = w >= 64 ? "a accept  r arrive  s resolve  h hold  u resume  d duty  q quit"
		       : "a:acc r:arr s:res h:hold u:resume d q";
	attron(A_DIM);
	put_text(h - 2, 0, keys, w);
	attroff(A_DIM);
	if (u->prompt == PROMPT_HOLD_REASON) {
		char line[128];

		snprintf(line, sizeof line, "hold #%" PRIu64 ": p parts a away n no-access o other", u->prompt_id);
		attron(A_BOLD);
		put_text(h - 1, 0, line, w);
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
		put_text(h - 1, 0, u->status, w);
		attroff(a);
		curs_set(0);
	}
	refresh();
}

/* ---- actions ---- */

static struct item *current(struct ui *u)
{
	if (u->n == 0)
		return NULL;
	return &u->v[selected(u)];
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

static void toggle_duty(struct ui *u)
{
	Dispatch__Reply *r = NULL;
	/* Following the calendar: the opposite of what the shift says. */
	int on = u->l->duty == 1 ? 0 : u->l->duty == 0 ? 1 : !u->l->on_shift;

	say(u, 0, "sending duty %s...", on ? "on" : "off");
	draw(u);
	if (crew_link_duty(u->l, on, &r)) {
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

	say(u, 0, "sending %s for #%" PRIu64 "...", dc_action_name(tr->action), id);
	draw(u);
	if (crew_link_send(u->l, tr, &r)) {
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

static void on_key(struct ui *u, int is_key, wint_t c)
{
	struct item *it = current(u);
	size_t sel = selected(u);

	if (u->prompt == PROMPT_HOLD_REASON) {
		on_hold_key(u, is_key, c);
		return;
	}
	if (u->prompt) {
		on_prompt_key(u, is_key, c);
		return;
	}
	if (is_key) {
		if (c == KEY_UP && sel > 0)
			select_index(u, sel - 1);
		else if (c == KEY_DOWN)
			select_index(u, sel + 1);
		return;
	}
	switch (c) {
	case L'k':
		if (sel > 0)
			select_index(u, sel - 1);
		break;
	case L'j': select_index(u, sel + 1); break;
	case L'q':
	case L'Q': u->quit = 1; break;
	case L'd': toggle_duty(u); break;
	case L'a':
	case L'r':
	case L's':
	case L'h':
	case L'u':
		if (!it) {
			say(u, 0, "no assignment selected");
			break;
		}
		if (it->escalation) {
			say(u, 1, "#%" PRIu64 " is escalated to you, not assigned: assign it from the desk", it->t->id);
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
		say(&u, 1, "ping: %s", l->err);
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
		if (rc == DC_OK && e)
			on_event(&u, e);
		dispatch__event__free_unpacked(e, NULL);
		if (rc < 0 && rc != DC_ERR_TIMEOUT && rc != DC_ERR_INTERRUPTED)
			say(&u, 1, "%s", dc_error(l->dc));
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
			if (crew_link_ping(l) < 0)
				say(&u, 1, "ping: %s", l->err);
			else
				refetch(&u, 1);
		}
		read_keys(&u);
	}
	endwin();
	for (i = 0; i < u.n; i++)
		dispatch__ticket__free_unpacked(u.v[i].t, NULL);
	free(u.v);
	return 0;
}
