/*
 * report: the helpers both reports share, and the daily work report (see
 * report.h). The management review is in report_review.c (its figures,
 * JSON and CSV) and report_review_page.c (text, HTML, SVG); what the
 * files share is declared in report_impl.h.
 */
#include "report.h"

#include "due.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "report_impl.h"
#include "xalloc.h"

/* ---- shared ---------------------------------------------------------------- */

int report_stamp(store_t *s, MDB_txn *txn, struct report_stamp *st)
{
	uint8_t head[CHAIN_HASH_LEN];
	int rc;

	if ((rc = store_last_seq(s, txn, &st->last_seq)) != 0 || (rc = store_chain_head(s, txn, head)) != 0)
		return rc;
	chain_hex(head, st->head);
	return 0;
}

int report_format_parse(const char *name, enum report_format *f)
{
	static const char *names[] = { "text", "csv", "json", "html", "svg", "csv-wide" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0) {
			*f = (enum report_format)i;
			return 0;
		}
	return -1;
}

const char *report_fmt_time(int64_t ms, const char *fmt, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(buf, len, fmt, &tm);
	return buf;
}

/* A duration for people: "45s", "12m", "3h 05m", "2d 04h". */
const char *report_dur(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		snprintf(buf, len, "-");
	else if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m %02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h %02" PRId64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%" PRId64 "d %02" PRId64 "h", s / 86400, s / 3600 % 24);
	return buf;
}

/* "KIND_REPAIR" -> "repair". */
const char *report_enum(const ProtobufCEnumDescriptor *d, int value, char *buf, size_t len)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
	const char *name, *us;

	if (v == NULL) {
		snprintf(buf, len, "%d", value);
		return buf;
	}
	name = v->name;
	us = strchr(name, '_');
	snprintf(buf, len, "%s", us ? us + 1 : name);
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return buf;
}

/* One CSV field: quoted when it holds a comma, a quote or a line break. */
void report_csv(FILE *f, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

/* A CSV row from a printf-like list of fields separated by '\x1f'. */
void report_csv_row(FILE *f, const char *fmt, ...)
{
	char buf[8192], *p = buf, *sep;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	while ((sep = strchr(p, '\x1f')) != NULL) {
		*sep = '\0';
		report_csv(f, p, false);
		p = sep + 1;
	}
	report_csv(f, p, true);
}

/* Text for HTML and SVG. */
void report_xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

char *report_strdup(const char *s)
{
	return xstrdup(s ? s : "");
}

/* Display width of UTF-8 text, for aligned columns: CJK characters take
 * two cells (good enough for names and categories; not a full wcwidth). */
int report_width(const char *s)
{
	int w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		unsigned c = *p;
		int n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		w += n >= 3 ? 2 : 1;
		for (int i = 0; i < n && *p; i++)
			p++;
	}
	return w;
}

/* Left-aligned text padded to width cells. */
void report_pad(FILE *f, const char *s, int width)
{
	fputs(s, f);
	for (int w = report_width(s); w < width; w++)
		fputc(' ', f);
}

/* qsort, but for an empty array too (whose pointer may be NULL). */
void report_sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(v, n, size, cmp);
}

/* ---- a cheap look at a stored event ----------------------------------------- */

static int report_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return 0;
	}
	return -1;
}

int report_peek(const uint8_t *p, size_t len, struct report_head *h)
{
	const uint8_t *end = p + len;
	uint64_t key, v;

	memset(h, 0, sizeof *h);
	while (p < end) {
		if (report_varint(&p, end, &key) != 0)
			return -1;
		switch (key & 7) {
		case 0:
			if (report_varint(&p, end, &v) != 0)
				return -1;
			switch (key >> 3) {
			case 1: h->seq = v; break;
			case 3: h->ticket = v; break;
			case 4: h->type = (int)v; break;
			case 7: h->time_ms = (int64_t)v; break;
			case 9: h->to_state = (int)v; break;
			}
			break;
		case 1: p += 8; break;
		case 5: p += 4; break;
		case 2:
			if (report_varint(&p, end, &v) != 0 || v > (uint64_t)(end - p))
				return -1;
			p += v;
			break;
		default: return -1;
		}
	}
	return p == end ? 0 : -1;
}

bool report_is_open(int st)
{
	return st == DISPATCH__STATE__STATE_NEW || st == DISPATCH__STATE__STATE_ASSIGNED ||
	       st == DISPATCH__STATE__STATE_ACCEPTED || st == DISPATCH__STATE__STATE_ON_SITE ||
	       st == DISPATCH__STATE__STATE_ON_HOLD;
}

/* ---- the daily work report ----------------------------------------------------- */

struct daily_row {
	char *crew, *member; /* member "" = nobody yet (the crew's queue) */
	unsigned received, dispatched, resolved, open, overdue, escalations, followups, sat_sum;
};

struct daily_line { /* an escalation, a complaint, a remark or a suggestion */
	int64_t time_ms;
	uint64_t ticket;
	char *unit, *crew, *member, *a, *b, *c, *d, *e;
	unsigned score;
};

struct daily_list {
	struct daily_line *v;
	size_t n, cap;
};

/* Per ticket: its last event before the end of the day. */
struct daily_ticket {
	uint64_t seq;
	uint8_t state;
	bool today; /* an event of the day is about it */
};

struct daily {
	store_t *s;
	MDB_txn *txn;
	int64_t from_ms, to_ms, now_ms;
	struct daily_ticket *tk;
	uint64_t ntk;
	uint64_t *day; /* seqs of the day's ticket events, in log order */
	size_t nday, capday;
	struct daily_row *rows;
	size_t nrows, caprows;
	struct daily_list esc, complaints, remarks, suggestions;
	uint64_t events_today;
	/* issue 19: of the day's received tickets, planned by a schedule (the
	 * rest were reported) and those with a visit booked; visits missed */
	unsigned planned, visits, visits_missed;
	struct review_costing costs; /* issue 19: what the day's resolutions cost */
};

static struct daily_row *daily_row(struct daily *d, const char *crew, const char *member)
{
	crew = crew && crew[0] ? crew : "(none)";
	member = member ? member : "";
	for (size_t i = 0; i < d->nrows; i++)
		if (strcmp(d->rows[i].crew, crew) == 0 && strcmp(d->rows[i].member, member) == 0)
			return &d->rows[i];
	if (d->nrows == d->caprows) {
		d->caprows = d->caprows ? 2 * d->caprows : 32;
		d->rows = xrealloc(d->rows, d->caprows * sizeof *d->rows);
	}
	memset(&d->rows[d->nrows], 0, sizeof d->rows[0]);
	d->rows[d->nrows].crew = xstrdup(crew);
	d->rows[d->nrows].member = xstrdup(member);
	return &d->rows[d->nrows++];
}

static struct daily_line *daily_add(struct daily_list *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	memset(&l->v[l->n], 0, sizeof l->v[0]);
	return &l->v[l->n++];
}

static void daily_list_free(struct daily_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].unit), free(l->v[i].crew), free(l->v[i].member);
		free(l->v[i].a), free(l->v[i].b), free(l->v[i].c), free(l->v[i].d), free(l->v[i].e);
	}
	free(l->v);
}

/* Pass 1: every record's header; remember each ticket's last event
 * before the end of the day (log order), and which tickets the day saw. */
static int daily_scan(uint64_t seq, const void *data, size_t len, void *arg)
{
	struct daily *d = arg;
	struct report_head h;

	if (report_peek(data, len, &h) != 0)
		return STORE_CORRUPT;
	h.seq = seq;
	if (h.ticket == 0 || h.time_ms >= d->to_ms || h.type == DISPATCH__EVENT_TYPE__EVENT_PURGED)
		return 0;
	if (h.ticket >= d->ntk) {
		uint64_t n = h.ticket * 2 + 1024;
		d->tk = xrealloc(d->tk, n * sizeof *d->tk);
		memset(d->tk + d->ntk, 0, (n - d->ntk) * sizeof *d->tk);
		d->ntk = n;
	}
	d->tk[h.ticket].seq = h.seq;
	d->tk[h.ticket].state = (uint8_t)h.to_state;
	if (h.time_ms >= d->from_ms) {
		d->tk[h.ticket].today = true;
		if (d->nday == d->capday) {
			d->capday = d->capday ? 2 * d->capday : 1024;
			d->day = xrealloc(d->day, d->capday * sizeof *d->day);
		}
		d->day[d->nday++] = h.seq;
	}
	return 0;
}

/* Pass 2: the day's own events, decoded. */
static int daily_event(Dispatch__Event *ev, void *arg)
{
	struct daily *d = arg;
	const Dispatch__Ticket *t = ev->ticket;
	struct daily_line *l;
	char buf[32];

	if (ev->time_ms < d->from_ms || ev->time_ms >= d->to_ms || ev->ticket_id == 0 || t == NULL)
		goto done;
	d->events_today++;
	switch (ev->type) {
	case DISPATCH__EVENT_TYPE__EVENT_ASSIGNED: daily_row(d, ev->crew, ev->member)->dispatched++; break;
	case DISPATCH__EVENT_TYPE__EVENT_RESOLVED:
		daily_row(d, ev->crew, ev->member)->resolved++;
		review_cost_resolved(&d->costs, t); /* issue 19 */
		break;
	case DISPATCH__EVENT_TYPE__EVENT_ESCALATED: {
		/* counted against whoever held it when the deadline passed */
		const char *who = t->member;
		if (ev->deadline == DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE && t->n_passed_over > 0)
			who = t->passed_over[t->n_passed_over - 1];
		daily_row(d, t->crew, who)->escalations++;
		l = daily_add(&d->esc);
		l->time_ms = ev->time_ms;
		l->ticket = ev->ticket_id;
		l->unit = report_strdup(t->unit);
		l->crew = report_strdup(t->crew);
		l->member = report_strdup(who);
		l->a = report_strdup(ev->member); /* escalated to */
		l->b = xstrdup(ev->deadline == DISPATCH__DEADLINE__DEADLINE_NONE
				       ? "nobody could take it"
				       : report_enum(&dispatch__deadline__descriptor, ev->deadline, buf, sizeof buf));
		l->c = report_strdup(ev->note);
		break;
	}
	case DISPATCH__EVENT_TYPE__EVENT_FOLLOWED_UP: {
		struct daily_row *r = daily_row(d, t->crew, t->member);
		r->followups++;
		r->sat_sum += t->satisfaction;
		l = daily_add(&d->remarks);
		l->time_ms = ev->time_ms;
		l->ticket = ev->ticket_id;
		l->unit = report_strdup(t->unit);
		l->crew = report_strdup(t->crew);
		l->member = report_strdup(t->member);
		l->score = t->satisfaction;
		l->a = report_strdup(t->follow_up_remark);
		break;
	}
	default: break;
	}
done:
	dispatch__event__free_unpacked(ev, NULL);
	return 0;
}

/* Pass 3: each ticket of the day or still open at its end, as it stood
 * then: received, open, overdue, complaints. */
static int daily_ticket(struct daily *d, uint64_t id)
{
	Dispatch__Event *ev = NULL;
	const Dispatch__Ticket *t;
	struct daily_row *r;
	char buf[32];
	int64_t end = d->now_ms < d->to_ms ? d->now_ms : d->to_ms;
	int rc;

	if ((rc = store_get_event(d->s, d->txn, d->tk[id].seq, &ev)) != 0)
		return rc == STORE_NOTFOUND ? 0 : rc;
	if ((t = ev->ticket) == NULL)
		goto done;
	if (t->created_ms >= d->from_ms && t->created_ms < d->to_ms) {
		daily_row(d, t->crew, t->member)->received++;
		d->planned += t->planned;
		d->visits += t->visit_to_ms > 0;
	}
	/* issue 19: a visit whose window closed today without the crew there
	 * (told as a missed arrival, or arrived after it closed) */
	if (t->visit_to_ms >= d->from_ms && t->visit_to_ms < d->to_ms &&
	    ((t->missed & DUE_MISSED_ARRIVE) ||
	     (t->visit_to_ms < end && (t->arrived_ms == 0 || t->arrived_ms > t->visit_to_ms))))
		d->visits_missed++;
	if (report_is_open(t->state)) {
		r = daily_row(d, t->crew, t->member);
		r->open++;
		/* overdue: a deadline missed, or one that passed before the day
		 * ended (or before now, on a day not over yet) */
		if (t->missed || (t->acknowledge_by_ms && !t->acknowledged_ms && t->acknowledge_by_ms < end) ||
		    (t->arrive_by_ms && !t->arrived_ms && t->arrive_by_ms < end) ||
		    (t->resolve_by_ms && !t->resolved_ms && t->resolve_by_ms < end))
			r->overdue++;
	}
	if (t->kind == DISPATCH__KIND__KIND_COMPLAINT && d->tk[id].today) {
		struct daily_line *l = daily_add(&d->complaints);
		l->time_ms = t->created_ms;
		l->ticket = t->id;
		l->unit = report_strdup(t->unit);
		l->crew = report_strdup(t->crew);
		l->member = report_strdup(t->about_member);
		l->a = xstrdup(REPORT_STATE(t->state, buf));
		l->b = report_strdup(t->cause);
		l->c = report_strdup(t->corrective_action);
		l->score = t->satisfaction;
	}
	/* "Every opinion is a gift": the text itself, what was done with it
	 * and the call back, the same day. */
	if (t->kind == DISPATCH__KIND__KIND_SUGGESTION && d->tk[id].today) {
		struct daily_line *l = daily_add(&d->suggestions);
		l->time_ms = t->created_ms;
		l->ticket = t->id;
		l->unit = report_strdup(t->unit);
		l->crew = report_strdup(t->crew);
		l->member = report_strdup(t->member);
		l->a = xstrdup(REPORT_STATE(t->state, buf));
		l->b = report_strdup(t->text);
		l->c = report_strdup(t->resolved_ms ? t->note : "");
		l->d = report_strdup(t->followed_up_ms ? t->follow_up_remark : "");
		l->e = report_strdup(t->category);
		l->score = t->followed_up_ms ? t->satisfaction : 0;
	}
done:
	dispatch__event__free_unpacked(ev, NULL);
	return 0;
}

static int daily_cmp_row(const void *a, const void *b)
{
	const struct daily_row *x = a, *y = b;
	int c = strcmp(x->crew, y->crew);
	return c ? c : strcmp(x->member, y->member);
}

/* A crew's total: the sum of its member rows. */
static void daily_total(const struct daily *d, size_t from, size_t to, struct daily_row *sum)
{
	memset(sum, 0, sizeof *sum);
	for (size_t i = from; i < to; i++) {
		const struct daily_row *r = &d->rows[i];
		sum->received += r->received, sum->dispatched += r->dispatched, sum->resolved += r->resolved;
		sum->open += r->open, sum->overdue += r->overdue, sum->escalations += r->escalations;
		sum->followups += r->followups, sum->sat_sum += r->sat_sum;
	}
}

static const char *daily_avg(const struct daily_row *r, char *buf, size_t len)
{
	if (r->followups == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", (double)r->sat_sum / r->followups);
	return buf;
}

static json_t *daily_row_json(const struct daily_row *r, const char *member)
{
	json_t *o = json_object();

	if (member)
		json_object_set_new(o, "member", json_string(member));
	json_object_set_new(o, "received", json_integer(r->received));
	json_object_set_new(o, "dispatched", json_integer(r->dispatched));
	json_object_set_new(o, "resolved", json_integer(r->resolved));
	json_object_set_new(o, "open", json_integer(r->open));
	json_object_set_new(o, "overdue", json_integer(r->overdue));
	json_object_set_new(o, "escalations", json_integer(r->escalations));
	json_object_set_new(o, "follow_ups", json_integer(r->followups));
	json_object_set_new(o, "satisfaction_avg",
			    r->followups ? json_real((double)r->sat_sum / r->followups) : json_null());
	return o;
}

static void daily_out(const struct daily *d, const struct report_opts *o, const struct report_stamp *st)
{
	FILE *f = o->out;
	char day[32], t1[32], avg[16];
	struct daily_row sum, all;
	size_t i, j;

	REPORT_DAY(d->from_ms, day);
	daily_total(d, 0, d->nrows, &all);
	if (o->format == REPORT_JSON) {
		json_t *root = json_object(), *crews = json_array(), *a;
		json_object_set_new(root, "report", json_string("daily"));
		json_object_set_new(root, "estate", json_string(o->estate ? o->estate : ""));
		json_object_set_new(root, "date", json_string(day));
		json_object_set_new(root, "last_seq", json_integer((json_int_t)st->last_seq));
		json_object_set_new(root, "chain_head", json_string(st->head));
		json_object_set_new(root, "totals", daily_row_json(&all, NULL));
		json_object_set_new(root, "planned", json_integer(d->planned)); /* issue 19 */
		json_object_set_new(root, "reported", json_integer((json_int_t)all.received - d->planned));
		json_object_set_new(root, "visits_booked", json_integer(d->visits));
		json_object_set_new(root, "visits_missed", json_integer(d->visits_missed));
		for (i = 0; i < d->nrows; i = j) {
			json_t *c = json_object(), *m = json_array();
			for (j = i; j < d->nrows && strcmp(d->rows[j].crew, d->rows[i].crew) == 0; j++)
				json_array_append_new(m, daily_row_json(&d->rows[j], d->rows[j].member));
			daily_total(d, i, j, &sum);
			json_object_set_new(c, "crew", json_string(d->rows[i].crew));
			json_object_set_new(c, "totals", daily_row_json(&sum, NULL));
			json_object_set_new(c, "members", m);
			json_array_append_new(crews, c);
		}
		json_object_set_new(root, "crews", crews);
		a = json_array();
		for (i = 0; i < d->esc.n; i++) {
			const struct daily_line *l = &d->esc.v[i];
			json_array_append_new(
				a, json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "time", REPORT_MINUTE(l->time_ms, t1),
					     "ticket", (json_int_t)l->ticket, "unit", l->unit, "crew", l->crew,
					     "member", l->member, "to", l->a, "deadline", l->b, "note", l->c));
		}
		json_object_set_new(root, "escalations", a);
		a = json_array();
		for (i = 0; i < d->complaints.n; i++) {
			const struct daily_line *l = &d->complaints.v[i];
			json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "ticket",
							   (json_int_t)l->ticket, "unit", l->unit, "crew", l->crew,
							   "about_member", l->member, "state", l->a, "cause", l->b,
							   "corrective_action", l->c, "satisfaction", (int)l->score));
		}
		json_object_set_new(root, "complaints", a);
		a = json_array();
		for (i = 0; i < d->remarks.n; i++) {
			const struct daily_line *l = &d->remarks.v[i];
			json_array_append_new(
				a, json_pack("{s:s,s:I,s:s,s:s,s:s,s:i,s:s}", "time", REPORT_MINUTE(l->time_ms, t1),
					     "ticket", (json_int_t)l->ticket, "unit", l->unit, "crew", l->crew,
					     "member", l->member, "satisfaction", (int)l->score, "remark", l->a));
		}
		json_object_set_new(root, "remarks", a);
		a = json_array();
		for (i = 0; i < d->suggestions.n; i++) {
			const struct daily_line *l = &d->suggestions.v[i];
			json_array_append_new(a,
					      json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "time",
							REPORT_MINUTE(l->time_ms, t1), "ticket", (json_int_t)l->ticket,
							"unit", l->unit, "category", l->e, "crew", l->crew, "member",
							l->member, "state", l->a, "text", l->b, "done", l->c,
							"follow_up_remark", l->d, "satisfaction", (int)l->score));
		}
		json_object_set_new(root, "suggestions", a);
		json_object_set_new(root, "costs", review_cost_day_json(&d->costs)); /* issue 19 */
		json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', f);
		json_decref(root);
		return;
	}
	if (o->format == REPORT_CSV || o->format == REPORT_CSV_WIDE) {
		report_csv_row(f, "section\x1f"
				  "crew\x1f"
				  "member\x1f"
				  "received\x1f"
				  "dispatched\x1f"
				  "resolved\x1f"
				  "open\x1f"
				  "overdue\x1f"
				  "escalations\x1f"
				  "follow_ups\x1f"
				  "satisfaction_avg");
		for (i = 0; i < d->nrows; i = j) {
			for (j = i; j < d->nrows && strcmp(d->rows[j].crew, d->rows[i].crew) == 0; j++) {
				const struct daily_row *r = &d->rows[j];
				report_csv_row(f, "member\x1f%s\x1f%s\x1f%u\x1f%u\x1f%u\x1f%u\x1f%u\x1f%u\x1f%u\x1f%s",
					       r->crew, r->member, r->received, r->dispatched, r->resolved, r->open,
					       r->overdue, r->escalations, r->followups, daily_avg(r, avg, sizeof avg));
			}
			daily_total(d, i, j, &sum);
			report_csv_row(f, "crew\x1f%s\x1f\x1f%u\x1f%u\x1f%u\x1f%u\x1f%u\x1f%u\x1f%u\x1f%s",
				       d->rows[i].crew, sum.received, sum.dispatched, sum.resolved, sum.open,
				       sum.overdue, sum.escalations, sum.followups, daily_avg(&sum, avg, sizeof avg));
		}
		report_csv_row(f, "total\x1f\x1f\x1f%u\x1f%u\x1f%u\x1f%u\x1f%u\x1f%u\x1f%u\x1f%s", all.received,
			       all.dispatched, all.resolved, all.open, all.overdue, all.escalations, all.followups,
			       daily_avg(&all, avg, sizeof avg));
		if (o->format == REPORT_CSV_WIDE) /* the one table: a row per member, crew and the total */
			return;
		fputc('\n', f);
		report_csv_row(f, "escalation\x1f"
				  "time\x1f"
				  "ticket\x1f"
				  "unit\x1f"
				  "crew\x1f"
				  "member\x1f"
				  "to\x1f"
				  "deadline\x1f"
				  "note");
		for (i = 0; i < d->esc.n; i++) {
			const struct daily_line *l = &d->esc.v[i];
			report_csv_row(f, "escalation\x1f%s\x1f%" PRIu64 "\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s",
				       REPORT_MINUTE(l->time_ms, t1), l->ticket, l->unit, l->crew, l->member, l->a,
				       l->b, l->c);
		}
		fputc('\n', f);
		report_csv_row(f, "complaint\x1f"
				  "ticket\x1f"
				  "unit\x1f"
				  "crew\x1f"
				  "about_member\x1f"
				  "state\x1f"
				  "cause\x1f"
				  "corrective_action\x1f"
				  "satisfaction");
		for (i = 0; i < d->complaints.n; i++) {
			const struct daily_line *l = &d->complaints.v[i];
			report_csv_row(f, "complaint\x1f%" PRIu64 "\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%u",
				       l->ticket, l->unit, l->crew, l->member, l->a, l->b, l->c, l->score);
		}
		fputc('\n', f);
		report_csv_row(f, "remark\x1f"
				  "time\x1f"
				  "ticket\x1f"
				  "unit\x1f"
				  "crew\x1f"
				  "member\x1f"
				  "satisfaction\x1f"
				  "remark");
		for (i = 0; i < d->remarks.n; i++) {
			const struct daily_line *l = &d->remarks.v[i];
			report_csv_row(f, "remark\x1f%s\x1f%" PRIu64 "\x1f%s\x1f%s\x1f%s\x1f%u\x1f%s",
				       REPORT_MINUTE(l->time_ms, t1), l->ticket, l->unit, l->crew, l->member, l->score,
				       l->a);
		}
		fputc('\n', f);
		report_csv_row(f, "suggestion\x1f"
				  "time\x1f"
				  "ticket\x1f"
				  "unit\x1f"
				  "category\x1f"
				  "crew\x1f"
				  "member\x1f"
				  "state\x1f"
				  "text\x1f"
				  "done\x1f"
				  "follow_up_remark\x1f"
				  "satisfaction");
		for (i = 0; i < d->suggestions.n; i++) {
			const struct daily_line *l = &d->suggestions.v[i];
			report_csv_row(f,
				       "suggestion\x1f%s\x1f%" PRIu64
				       "\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%u",
				       REPORT_MINUTE(l->time_ms, t1), l->ticket, l->unit, l->e, l->crew, l->member,
				       l->a, l->b, l->c, l->d, l->score);
		}
		fputc('\n', f);
		review_cost_day_csv(f, &d->costs); /* issue 19 */
		return;
	}
	/* text */
	fprintf(f, "Daily work report (工作日報): %s, %s\n", o->estate ? o->estate : "", day);
	fprintf(f, "covers the event log up to seq %" PRIu64 ", chain head %s\n\n", st->last_seq, st->head);
	fprintf(f, "%-24s %8s %10s %8s %6s %7s %11s %10s %12s\n", "crew / member", "received", "dispatched", "resolved",
		"open", "overdue", "escalations", "follow-ups", "satisfaction");
	for (i = 0; i < d->nrows; i = j) {
		for (j = i; j < d->nrows && strcmp(d->rows[j].crew, d->rows[i].crew) == 0; j++)
			;
		daily_total(d, i, j, &sum);
		report_pad(f, d->rows[i].crew, 24);
		fprintf(f, " %8u %10u %8u %6u %7u %11u %10u %12s\n", sum.received, sum.dispatched, sum.resolved,
			sum.open, sum.overdue, sum.escalations, sum.followups, daily_avg(&sum, avg, sizeof avg));
		for (size_t k = i; k < j; k++) {
			const struct daily_row *r = &d->rows[k];
			char name[80];
			snprintf(name, sizeof name, "  %s", r->member[0] ? r->member : "(queue)");
			report_pad(f, name, 24);
			fprintf(f, " %8u %10u %8u %6u %7u %11u %10u %12s\n", r->received, r->dispatched, r->resolved,
				r->open, r->overdue, r->escalations, r->followups, daily_avg(r, avg, sizeof avg));
		}
	}
	report_pad(f, "all crews", 24);
	fprintf(f, " %8u %10u %8u %6u %7u %11u %10u %12s\n", all.received, all.dispatched, all.resolved, all.open,
		all.overdue, all.escalations, all.followups, daily_avg(&all, avg, sizeof avg));
	fprintf(f, "received: %u reported, %u planned; visits booked with residents: %u, missed by the crew: %u\n",
		all.received - d->planned, d->planned, d->visits, d->visits_missed); /* issue 19 */
	fprintf(f, "\nEscalations (%zu)\n", d->esc.n);
	for (i = 0; i < d->esc.n; i++) {
		const struct daily_line *l = &d->esc.v[i];
		fprintf(f, "  %s  #%" PRIu64 " %s  %s/%s -> %s (%s)%s%s\n", REPORT_MINUTE(l->time_ms, t1) + 11,
			l->ticket, l->unit, l->crew, l->member[0] ? l->member : "-", l->a, l->b, l->c[0] ? ": " : "",
			l->c);
	}
	fprintf(f, "\nComplaints (%zu)\n", d->complaints.n);
	for (i = 0; i < d->complaints.n; i++) {
		const struct daily_line *l = &d->complaints.v[i];
		fprintf(f, "  #%" PRIu64 " %s  %s  %s%s%s", l->ticket, l->unit, l->a, l->crew,
			l->member[0] ? ", about " : "", l->member);
		if (l->b[0] || l->c[0])
			fprintf(f, "  cause: %s; corrective action: %s", l->b[0] ? l->b : "-", l->c[0] ? l->c : "-");
		fputc('\n', f);
	}
	fprintf(f, "\nFollow-ups and residents' remarks (%zu, satisfaction average %s)\n", d->remarks.n,
		daily_avg(&all, avg, sizeof avg));
	for (i = 0; i < d->remarks.n; i++) {
		const struct daily_line *l = &d->remarks.v[i];
		fprintf(f, "  %s  #%" PRIu64 " %s  %s/%s  %u/5%s%s%s\n", REPORT_MINUTE(l->time_ms, t1) + 11, l->ticket,
			l->unit, l->crew, l->member[0] ? l->member : "-", l->score, l->a[0] ? "  \"" : "", l->a,
			l->a[0] ? "\"" : "");
	}
	fprintf(f, "\nSuggestions and opinions (%zu)\n", d->suggestions.n);
	for (i = 0; i < d->suggestions.n; i++) {
		const struct daily_line *l = &d->suggestions.v[i];
		fprintf(f, "  %s  #%" PRIu64 " %s  %s/%s  %s%s%s%s  \"%s\"\n", REPORT_MINUTE(l->time_ms, t1) + 11,
			l->ticket, l->unit, l->crew, l->member[0] ? l->member : "-", l->a, l->e[0] ? " (" : "", l->e,
			l->e[0] ? ")" : "", l->b);
		if (l->c[0])
			fprintf(f, "      done: %s\n", l->c);
		if (l->score)
			fprintf(f, "      follow-up: %u/5%s%s%s\n", l->score, l->d[0] ? " \"" : "", l->d,
				l->d[0] ? "\"" : "");
		else
			fprintf(f, "      follow-up: not yet\n");
	}
	review_cost_day_text(f, &d->costs); /* issue 19 */
}

int report_daily(store_t *s, const struct report_opts *o)
{
	struct daily d = { .s = s, .from_ms = o->from_ms, .to_ms = o->to_ms, .now_ms = o->now_ms };
	struct report_stamp st;
	int rc;

	if (o->format == REPORT_HTML || o->format == REPORT_SVG)
		return -EINVAL;
	if ((rc = store_txn_begin(s, NULL, 1, &d.txn)) != 0)
		goto fail;
	if ((rc = report_stamp(s, d.txn, &st)) != 0)
		goto fail;
	if ((rc = store_event_records(s, d.txn, 1, daily_scan, &d)) != 0)
		goto fail;
	for (size_t i = 0; i < d.nday; i++) {
		Dispatch__Event *ev = NULL;
		if ((rc = store_get_event(s, d.txn, d.day[i], &ev)) != 0 || (rc = daily_event(ev, &d)) != 0)
			goto fail;
	}
	for (uint64_t id = 1; id < d.ntk; id++)
		if (d.tk[id].seq && (d.tk[id].today || report_is_open(d.tk[id].state)) &&
		    (rc = daily_ticket(&d, id)) != 0)
			goto fail;
	report_sort(d.rows, d.nrows, sizeof *d.rows, daily_cmp_row);
	review_cost_finish(&d.costs); /* issue 19: costliest first */
	daily_out(&d, o, &st);
fail:
	if (d.txn)
		store_txn_abort(d.txn);
	for (size_t i = 0; i < d.nrows; i++)
		free(d.rows[i].crew), free(d.rows[i].member);
	free(d.rows);
	free(d.tk);
	free(d.day);
	daily_list_free(&d.esc);
	daily_list_free(&d.complaints);
	daily_list_free(&d.remarks);
	daily_list_free(&d.suggestions);
	review_cost_free(&d.costs);
	return rc;
}
