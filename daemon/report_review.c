/*
 * report_review: the management review (管理評審, clause 4.6): its figures,
 * from one snapshot of the tickets table and one header scan of the event
 * log, and its JSON, CSV and wide CSV (report_review_page.c writes it for
 * people).
 *
 * Every figure is kept per group (struct review_group): the whole period,
 * each month, each crew and each member, so that a crew's median, a
 * month's compliance and the headline are computed by the same code and
 * cannot disagree. The period of the same length just before is computed
 * in the same passes, for the comparison of the headline figures.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_impl.h"
#include "xalloc.h"

const char *const review_deadline_names[4] = { "acknowledge", "arrive", "resolve", "follow-up" };

/* ---- collecting ---------------------------------------------------------------- */

static int review_month_of(int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&secs, &tm);
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

static void review_count(struct review_counts *c, const char *key, uint64_t n)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0) {
			c->v[i].n += n;
			return;
		}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n].key = xstrdup(key);
	c->v[c->n++].n = n;
}

static int review_cmp_count(const void *a, const void *b)
{
	const struct review_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1; /* most first */
	return strcmp(x->key, y->key);
}

static void review_counts_free(struct review_counts *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].key);
	free(c->v);
}

static void review_dur(struct review_durs *d, int64_t ms)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->v = xrealloc(d->v, d->cap * sizeof *d->v);
	}
	d->v[d->n++] = ms;
}

static int review_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values: the smallest value with at
 * least p% of the values at or below it (the median of 4 is the 2nd). */
int64_t review_pct(const struct review_durs *d, int p)
{
	size_t rank;

	if (d->n == 0)
		return -1;
	rank = ((size_t)p * d->n + 99) / 100;
	return d->v[rank ? rank - 1 : 0];
}

static struct review_item *review_item(struct review_items *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	memset(&l->v[l->n], 0, sizeof l->v[0]);
	return &l->v[l->n++];
}

static void review_items_free(struct review_items *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].unit), free(l->v[i].who), free(l->v[i].state);
		free(l->v[i].a), free(l->v[i].b), free(l->v[i].c);
	}
	free(l->v);
}

/* The row of a crew (member NULL) or of one of its members, made on first use. */
static struct review_group *review_group(struct review_groups *gs, const char *crew, const char *member)
{
	crew = crew && crew[0] ? crew : "(none)";
	for (size_t i = 0; i < gs->n; i++)
		if (strcmp(gs->v[i].crew, crew) == 0 && (member == NULL || strcmp(gs->v[i].member, member) == 0))
			return &gs->v[i];
	if (gs->n == gs->cap) {
		gs->cap = gs->cap ? 2 * gs->cap : 16;
		gs->v = xrealloc(gs->v, gs->cap * sizeof *gs->v);
	}
	memset(&gs->v[gs->n], 0, sizeof gs->v[0]);
	gs->v[gs->n].crew = xstrdup(crew);
	gs->v[gs->n].member = xstrdup(member ? member : "");
	return &gs->v[gs->n++];
}

static int review_cmp_group(const void *a, const void *b)
{
	const struct review_group *x = a, *y = b;
	int c = strcmp(x->crew, y->crew);
	return c ? c : strcmp(x->member, y->member);
}

static void review_group_sort(struct review_group *g)
{
	report_sort(g->ack.v, g->ack.n, sizeof *g->ack.v, review_cmp_i64);
	report_sort(g->arr.v, g->arr.n, sizeof *g->arr.v, review_cmp_i64);
	report_sort(g->res.v, g->res.n, sizeof *g->res.v, review_cmp_i64);
}

static void review_group_free(struct review_group *g)
{
	free(g->crew), free(g->member);
	free(g->ack.v), free(g->arr.v), free(g->res.v);
}

static void review_groups_free(struct review_groups *gs)
{
	for (size_t i = 0; i < gs->n; i++)
		review_group_free(&gs->v[i]);
	free(gs->v);
}

/* One deadline (d: 0 acknowledge .. 3 follow-up) of t: -1 the ticket has
 * none or it is still pending, 0 missed, 1 met. The daemon's own verdict
 * is Ticket.missed; a deadline counts once its milestone is reached or it
 * was missed. */
static int review_deadline(const Dispatch__Ticket *t, int d)
{
	static const uint32_t bit[4] = { 1, 2, 4, 8 };
	int64_t by[4] = { t->acknowledge_by_ms || t->acknowledge_left_ms, t->arrive_by_ms || t->arrive_left_ms,
			  t->resolve_by_ms || t->resolve_left_ms, t->follow_up_by_ms };
	int64_t done[4] = { t->acknowledged_ms, t->arrived_ms, t->resolved_ms, t->followed_up_ms };

	if (t->missed & bit[d])
		return 0;
	return by[d] && done[d] ? 1 : -1;
}

/* A ticket's figures into one group. */
static void review_group_add(struct review_group *g, const Dispatch__Ticket *t)
{
	int64_t start = t->consent_ms > t->created_ms ? t->consent_ms : t->created_ms;
	int decided = 0, missed = 0;

	g->tickets++;
	g->kinds[t->kind < REVIEW_KINDS ? t->kind : 0]++;
	if (report_is_open(t->state))
		g->open++;
	else if (t->state == DISPATCH__STATE__STATE_CANCELLED)
		g->cancelled++;
	else if (t->state == DISPATCH__STATE__STATE_CLOSED)
		g->closed++;
	/* times from the report, or for a paid service from the consent */
	if (t->acknowledged_ms >= start && t->acknowledged_ms)
		review_dur(&g->ack, t->acknowledged_ms - start);
	if (t->arrived_ms >= start && t->arrived_ms)
		review_dur(&g->arr, t->arrived_ms - start);
	if (t->resolved_ms >= start && t->resolved_ms)
		review_dur(&g->res, t->resolved_ms - start);
	for (int d = 0; d < 4; d++) {
		int v = review_deadline(t, d);
		if (v < 0)
			continue;
		g->dl_decided[d]++;
		g->dl_met[d] += (uint64_t)v;
		decided = 1;
		missed |= !v;
	}
	if (decided) {
		g->every_decided++;
		g->every_met += !missed;
	}
	g->resolved += t->resolved_ms != 0;
	g->reopened += t->reopen_count != 0;
	g->complaints += t->kind == DISPATCH__KIND__KIND_COMPLAINT;
	if (t->kind == DISPATCH__KIND__KIND_SPECIAL && t->fee_cents > 0 && t->charged_cents > 0)
		g->paid_charged += t->charged_cents;
}

static void review_ticket(struct review *r, const Dispatch__Ticket *t)
{
	char buf[64];
	int mi;

	if (t->created_ms < r->from_ms || t->created_ms >= r->to_ms)
		return;
	review_group_add(&r->all, t);
	review_cost_ticket(&r->costing, t); /* issue 19 */
	r->planned += t->planned;
	if (t->visit_to_ms > 0) {
		r->visits++;
		/* told as a missed arrival, or arrived after the window closed */
		r->visits_missed += (t->missed & 2u) != 0 || t->arrived_ms > t->visit_to_ms;
	}
	mi = review_month_of(t->created_ms) - r->first_month;
	if (mi >= 0 && mi < r->nmonths)
		review_group_add(&r->months[mi], t);
	review_group_add(review_group(&r->crews, t->crew, NULL), t);
	review_group_add(review_group(&r->members, t->crew, t->member ? t->member : ""), t);
	review_count(&r->cats, t->category[0] ? t->category : "(none)", 1);
	review_count(&r->buildings, t->building[0] ? t->building : "(none)", 1);
	r->reopens += t->reopen_count;
	if (t->kind == DISPATCH__KIND__KIND_SPECIAL && t->fee_cents > 0) {
		r->paid++;
		r->paid_quoted += t->fee_cents;
		r->paid_consented += t->consent_ms != 0;
		r->paid_charged_n += t->charged_cents > 0;
	}
	if (t->vendor[0])
		review_count(&r->vendors, t->vendor, 1);
	if (t->kind == DISPATCH__KIND__KIND_SUGGESTION) {
		r->sugg++;
		r->sugg_praise += strcmp(t->category, "praise") == 0;
		r->sugg_done += t->resolved_ms != 0;
		r->sugg_followed += t->followed_up_ms != 0;
	}
	if (t->kind == DISPATCH__KIND__KIND_COMPLAINT) {
		struct review_item *c = review_item(&r->complaints);
		c->id = t->id;
		c->created_ms = t->created_ms;
		c->unit = xstrdup(t->unit);
		c->who = xstrdup(t->about_member[0] ? t->about_member : t->crew);
		c->state = xstrdup(REPORT_STATE(t->state, buf));
		c->a = xstrdup(t->cause);
		c->b = xstrdup(t->corrective_action);
		c->c = xstrdup(t->follow_up_remark);
		c->score = t->satisfaction;
		c->open = t->resolved_ms == 0 && t->state != DISPATCH__STATE__STATE_CANCELLED;
		review_count(&r->causes, t->cause[0] ? t->cause : "(not yet recorded)", 1);
	}
	if (t->vendor_incident[0]) {
		struct review_item *v = review_item(&r->incidents);
		v->id = t->id;
		v->created_ms = t->created_ms;
		v->when_ms = t->vendor_flagged_ms;
		v->unit = xstrdup(t->unit);
		v->who = xstrdup(t->vendor[0] ? t->vendor : t->crew);
		v->state = xstrdup(t->vendor_review[0] ? "reviewed" : "not reviewed");
		v->a = xstrdup(t->vendor_incident);
		v->b = xstrdup(t->vendor_review);
		v->c = xstrdup("");
	}
	if (t->unit[0]) {
		char key[256];
		struct review_pair *p;
		snprintf(key, sizeof key, "%s\t%s", t->unit, t->category[0] ? t->category : REPORT_KIND(t->kind, buf));
		if (r->npairs == r->cappairs) {
			r->cappairs = r->cappairs ? 2 * r->cappairs : 4096;
			r->pairs = xrealloc(r->pairs, r->cappairs * sizeof *r->pairs);
		}
		p = &r->pairs[r->npairs++];
		p->key = xstrdup(key);
		p->id = t->id;
	}
}

/* A follow-up recorded in the period, with the score it gave: for the
 * period, the month it was recorded in, and the crew and member that held
 * the ticket then. */
static void review_follow_up_add(struct review *r, const Dispatch__Event *ev)
{
	const Dispatch__Ticket *t = ev->ticket;
	unsigned s;
	int mi;

	if (ev->time_ms < r->from_ms || ev->time_ms >= r->to_ms || t == NULL || t->satisfaction < 1 ||
	    t->satisfaction > 5)
		return;
	s = t->satisfaction;
	r->all.sat[s]++;
	mi = review_month_of(ev->time_ms) - r->first_month;
	if (mi >= 0 && mi < r->nmonths)
		r->months[mi].sat[s]++;
	review_group(&r->crews, t->crew, NULL)->sat[s]++;
	review_group(&r->members, t->crew, t->member ? t->member : "")->sat[s]++;
}

static int review_cmp_pair(const void *a, const void *b)
{
	const struct review_pair *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

static int review_cmp_repeat(const void *a, const void *b)
{
	const struct review_item *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(x->unit, y->unit) ? strcmp(x->unit, y->unit) : strcmp(x->a, y->a);
}

/* Vendor incidents: those not reviewed yet first (what a manager must
 * chase), then by vendor and ticket. */
static int review_cmp_incident(const void *a, const void *b)
{
	const struct review_item *x = a, *y = b;
	int c = (x->b[0] != '\0') - (y->b[0] != '\0');

	if (c == 0)
		c = strcmp(x->who, y->who);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* The complaints that most need attention: still open first, then those
 * the resident scored lowest (unscored after scored), then the newest. */
static int review_cmp_attention(const void *a, const void *b)
{
	const struct review_item *x = *(const struct review_item *const *)a, *y = *(const struct review_item *const *)b;
	unsigned sx = x->score ? x->score : 6, sy = y->score ? y->score : 6;

	if (x->open != y->open)
		return x->open ? -1 : 1;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return (x->id < y->id) - (x->id > y->id);
}

/* Repeat problems: runs of three or more of one (unit, category). Listed
 * as items: unit, a = category, score = count, b = the ticket ids. */
static void review_repeats(struct review *r)
{
	size_t i, j;

	report_sort(r->pairs, r->npairs, sizeof *r->pairs, review_cmp_pair);
	for (i = 0; i < r->npairs; i = j) {
		for (j = i; j < r->npairs && strcmp(r->pairs[j].key, r->pairs[i].key) == 0; j++)
			;
		if (j - i >= REPORT_REPEAT_MIN) {
			struct review_item *it = review_item(&r->repeats);
			char *tab = strchr(r->pairs[i].key, '\t'), ids[1024];
			size_t off = 0;
			*tab = '\0';
			it->unit = xstrdup(r->pairs[i].key);
			it->a = xstrdup(tab + 1);
			*tab = '\t';
			it->score = (unsigned)(j - i);
			ids[0] = '\0';
			for (size_t k = i; k < j && off + 24 < sizeof ids; k++)
				off += (size_t)snprintf(ids + off, sizeof ids - off, "%s%" PRIu64, k > i ? " " : "",
							r->pairs[k].id);
			it->b = xstrdup(ids);
			it->who = xstrdup(""), it->state = xstrdup(""), it->c = xstrdup("");
		}
	}
	report_sort(r->repeats.v, r->repeats.n, sizeof *r->repeats.v, review_cmp_repeat);
}

/* Everything sorted and derived, once the scans are done. */
static void review_finish(struct review *r)
{
	review_group_sort(&r->all);
	for (int i = 0; i < r->nmonths; i++)
		review_group_sort(&r->months[i]);
	for (size_t i = 0; i < r->crews.n; i++)
		review_group_sort(&r->crews.v[i]);
	for (size_t i = 0; i < r->members.n; i++)
		review_group_sort(&r->members.v[i]);
	report_sort(r->crews.v, r->crews.n, sizeof *r->crews.v, review_cmp_group);
	report_sort(r->members.v, r->members.n, sizeof *r->members.v, review_cmp_group);
	report_sort(r->cats.v, r->cats.n, sizeof *r->cats.v, review_cmp_count);
	report_sort(r->buildings.v, r->buildings.n, sizeof *r->buildings.v, review_cmp_count);
	report_sort(r->causes.v, r->causes.n, sizeof *r->causes.v, review_cmp_count);
	report_sort(r->vendors.v, r->vendors.n, sizeof *r->vendors.v, review_cmp_count);
	report_sort(r->incidents.v, r->incidents.n, sizeof *r->incidents.v, review_cmp_incident);
	review_repeats(r);
	review_cost_finish(&r->costing); /* issue 19 */
	r->attention = xcalloc(r->complaints.n + 1, sizeof *r->attention);
	for (size_t i = 0; i < r->complaints.n; i++)
		r->attention[i] = &r->complaints.v[i];
	report_sort(r->attention, r->complaints.n, sizeof *r->attention, review_cmp_attention);
}

static void review_free(struct review *r)
{
	if (r == NULL)
		return;
	review_free(r->prev);
	review_group_free(&r->all);
	for (int i = 0; i < REPORT_MONTHS_MAX; i++)
		review_group_free(&r->months[i]);
	review_groups_free(&r->crews), review_groups_free(&r->members);
	review_counts_free(&r->cats), review_counts_free(&r->buildings);
	review_counts_free(&r->causes), review_counts_free(&r->vendors);
	review_items_free(&r->complaints), review_items_free(&r->incidents), review_items_free(&r->repeats);
	free(r->attention);
	review_cost_free(&r->costing);
	for (size_t i = 0; i < r->npairs; i++)
		free(r->pairs[i].key);
	free(r->pairs);
	free(r);
}

static struct review *review_new(int64_t from_ms, int64_t to_ms)
{
	struct review *r = xcalloc(1, sizeof *r);

	r->from_ms = from_ms;
	r->to_ms = to_ms;
	r->first_month = review_month_of(from_ms);
	r->nmonths = review_month_of(to_ms - 1) - r->first_month + 1;
	if (r->nmonths < 1 || r->nmonths > REPORT_MONTHS_MAX) {
		free(r);
		return NULL;
	}
	return r;
}

/* The start of the period of the same length just before [from, to):
 * whole months back when both ends are the first of a month (a year
 * against the year before, a quarter against the quarter before), else as
 * many days back. */
static int64_t review_prev_from(int64_t from_ms, int64_t to_ms)
{
	time_t t = (time_t)(from_ms / 1000);
	struct tm a, b;

	localtime_r(&t, &a);
	t = (time_t)(to_ms / 1000);
	localtime_r(&t, &b);
	if (a.tm_mday == 1 && b.tm_mday == 1)
		a.tm_mon -= (b.tm_year - a.tm_year) * 12 + b.tm_mon - a.tm_mon;
	else /* local days, so a day of a clock change counts as one */
		a.tm_mday -= (int)((to_ms - from_ms + 43200000) / 86400000);
	a.tm_hour = a.tm_min = a.tm_sec = 0;
	a.tm_isdst = -1;
	return (int64_t)mktime(&a) * 1000;
}

/* ---- derived figures -------------------------------------------------------------- */

/* Rounding without libm (the daemon does not link it). */
static int64_t review_round(double v)
{
	return (int64_t)(v < 0 ? v - 0.5 : v + 0.5);
}

static double review_abs(double v)
{
	return v < 0 ? -v : v;
}

double review_ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

const char *review_pct_str(uint64_t a, uint64_t b, char *buf, size_t len)
{
	if (b == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", 100.0 * (double)a / (double)b);
	return buf;
}

const char *review_money_plain(int64_t cents, char *buf, size_t len)
{
	uint64_t u = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	snprintf(buf, len, "%s%" PRIu64 ".%02" PRIu64, cents < 0 ? "-" : "", u / 100, u % 100);
	return buf;
}

/* "HK$1,234,567.50": groups of three digits (the estates are in Hong Kong). */
const char *review_money(int64_t cents, char *buf, size_t len)
{
	uint64_t u = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents, whole = u / 100;
	char digits[32], grouped[48];
	size_t n, k = 0;

	n = (size_t)snprintf(digits, sizeof digits, "%" PRIu64, whole);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[k++] = ',';
		grouped[k++] = digits[i];
	}
	grouped[k] = '\0';
	snprintf(buf, len, "%sHK$%s.%02" PRIu64, cents < 0 ? "-" : "", grouped, u % 100);
	return buf;
}

const char *review_month_name(const struct review *r, int i, char *buf, size_t len)
{
	int ym = r->first_month + i;
	snprintf(buf, len, "%04d-%02d", ym / 12, ym % 12 + 1);
	return buf;
}

double review_sat_avg(const struct review_group *g, uint64_t *n)
{
	uint64_t sum = 0;
	*n = 0;
	for (int i = 1; i <= 5; i++) {
		sum += (uint64_t)i * g->sat[i];
		*n += g->sat[i];
	}
	return *n ? (double)sum / (double)*n : 0.0;
}

const char *review_member_name(const struct review_group *g)
{
	return g->member && g->member[0] ? g->member : "(queue)";
}

static void review_figures_of(const struct review *r, struct review_figure fig[REVIEW_FIGURES], bool prev)
{
	const struct review_group *g = &r->all;
	const struct review_durs *ds[3] = { &g->ack, &g->arr, &g->res };
	uint64_t n;
	double avg = review_sat_avg(g, &n);
	double v[REVIEW_FIGURES];
	bool has[REVIEW_FIGURES];

	v[0] = (double)g->tickets, has[0] = true;
	for (int i = 0; i < 3; i++)
		v[1 + i] = (double)review_pct(ds[i], 50), has[1 + i] = ds[i]->n > 0;
	v[4] = review_ratio(g->dl_met[REVIEW_RESOLVE], g->dl_decided[REVIEW_RESOLVE]);
	has[4] = g->dl_decided[REVIEW_RESOLVE] > 0;
	v[5] = review_ratio(g->every_met, g->every_decided), has[5] = g->every_decided > 0;
	v[6] = avg, has[6] = n > 0;
	v[7] = (double)g->complaints, has[7] = true;
	v[8] = review_ratio(g->reopened, g->resolved), has[8] = g->resolved > 0;
	v[9] = (double)g->paid_charged, has[9] = true;
	for (int i = 0; i < REVIEW_FIGURES; i++) {
		if (prev)
			fig[i].prev = v[i], fig[i].prev_has = has[i];
		else
			fig[i].value = v[i], fig[i].has = has[i];
	}
}

void review_headline(const struct review *r, struct review_figure fig[REVIEW_FIGURES])
{
	static const struct review_figure def[REVIEW_FIGURES] = {
		{ "tickets", "tickets reported", FIG_COUNT, 0, 0, 0, 0 },
		{ "acknowledge_median", "median time to acknowledge", FIG_DURATION, 0, 0, 0, 0 },
		{ "arrive_median", "median time to arrive", FIG_DURATION, 0, 0, 0, 0 },
		{ "resolve_median", "median time to resolve", FIG_DURATION, 0, 0, 0, 0 },
		{ "resolved_by_deadline", "resolved by the deadline", FIG_RATE, 0, 0, 0, 0 },
		{ "every_deadline_met", "met every deadline", FIG_RATE, 0, 0, 0, 0 },
		{ "satisfaction", "satisfaction (average score)", FIG_SCORE, 0, 0, 0, 0 },
		{ "complaints", "complaints", FIG_COUNT, 0, 0, 0, 0 },
		{ "reopen_rate", "resolved work reopened", FIG_RATE, 0, 0, 0, 0 },
		{ "paid_charged", "charged for paid services", FIG_MONEY, 0, 0, 0, 0 },
	};

	memcpy(fig, def, sizeof def);
	review_figures_of(r, fig, false);
	if (r->prev)
		review_figures_of(r->prev, fig, true);
}

static const char *review_value_str(enum review_figure_kind k, double v, char *buf, size_t len)
{
	switch (k) {
	case FIG_DURATION: return report_dur((int64_t)v, buf, len);
	case FIG_RATE: snprintf(buf, len, "%.1f%%", 100.0 * v); break;
	case FIG_SCORE: snprintf(buf, len, "%.2f", v); break;
	case FIG_MONEY: return review_money((int64_t)v, buf, len);
	default: snprintf(buf, len, "%.0f", v); break;
	}
	return buf;
}

const char *review_figure_str(const struct review_figure *x, bool prev, char *buf, size_t len)
{
	if (!(prev ? x->prev_has : x->has)) {
		snprintf(buf, len, "-");
		return buf;
	}
	return review_value_str(x->kind, prev ? x->prev : x->value, buf, len);
}

const char *review_change_str(const struct review_figure *x, char *buf, size_t len)
{
	double d = x->value - x->prev;
	char v[48];

	if (!x->has || !x->prev_has) {
		snprintf(buf, len, "-");
		return buf;
	}
	switch (x->kind) {
	case FIG_DURATION:
		report_dur((int64_t)review_abs(d), v, sizeof v);
		snprintf(buf, len, "%s%s", d < 0 ? "-" : d > 0 ? "+" : "", v);
		break;
	case FIG_RATE: snprintf(buf, len, "%+.1f pts", 100.0 * d); break;
	case FIG_SCORE: snprintf(buf, len, "%+.2f", d); break;
	case FIG_MONEY:
		review_money((int64_t)review_abs(d), v, sizeof v);
		snprintf(buf, len, "%s%s", d < 0 ? "-" : "+", v);
		break;
	default:
		if (x->prev > 0)
			snprintf(buf, len, "%+.0f (%+.1f%%)", d, 100.0 * d / x->prev);
		else
			snprintf(buf, len, "%+.0f", d);
	}
	return buf;
}

/* ---- JSON ---------------------------------------------------------------------- */

static json_t *review_counts_json(const struct review_counts *c)
{
	json_t *o = json_object();
	for (size_t i = 0; i < c->n; i++)
		json_object_set_new(o, c->v[i].key, json_integer((json_int_t)c->v[i].n));
	return o;
}

static json_t *review_durs_json(const struct review_durs *d)
{
	int64_t med = review_pct(d, 50), p90 = review_pct(d, 90);
	return json_pack("{s:I,s:o,s:o}", "n", (json_int_t)d->n, "median_ms", med < 0 ? json_null() : json_integer(med),
			 "p90_ms", p90 < 0 ? json_null() : json_integer(p90));
}

static json_t *review_compliance_json(const struct review_group *g)
{
	json_t *x = json_object();

	for (int d = 0; d < 4; d++)
		json_object_set_new(x, review_deadline_names[d],
				    json_pack("{s:I,s:I,s:f}", "decided", (json_int_t)g->dl_decided[d], "met",
					      (json_int_t)g->dl_met[d], "rate",
					      review_ratio(g->dl_met[d], g->dl_decided[d])));
	return x;
}

/* The figures of one group (a crew, a member, a month), as in the wide CSV. */
static json_t *review_group_json(const struct review_group *g)
{
	json_t *o = json_object(), *dl = review_compliance_json(g);
	uint64_t n;
	double avg = review_sat_avg(g, &n);

	json_object_set_new(dl, "every",
			    json_pack("{s:I,s:I,s:f}", "decided", (json_int_t)g->every_decided, "met",
				      (json_int_t)g->every_met, "rate", review_ratio(g->every_met, g->every_decided)));
	json_object_set_new(o, "tickets", json_integer((json_int_t)g->tickets));
	json_object_set_new(o, "open", json_integer((json_int_t)g->open));
	json_object_set_new(o, "closed", json_integer((json_int_t)g->closed));
	json_object_set_new(o, "cancelled", json_integer((json_int_t)g->cancelled));
	json_object_set_new(o, "resolved", json_integer((json_int_t)g->resolved));
	json_object_set_new(o, "reopened", json_integer((json_int_t)g->reopened));
	json_object_set_new(o, "complaints", json_integer((json_int_t)g->complaints));
	json_object_set_new(o, "times",
			    json_pack("{s:o,s:o,s:o}", "acknowledge", review_durs_json(&g->ack), "arrive",
				      review_durs_json(&g->arr), "resolve", review_durs_json(&g->res)));
	json_object_set_new(o, "deadline_compliance", dl);
	json_object_set_new(o, "satisfaction",
			    json_pack("{s:I,s:o}", "n", (json_int_t)n, "average", n ? json_real(avg) : json_null()));
	json_object_set_new(o, "paid_charged_cents", json_integer((json_int_t)g->paid_charged));
	return o;
}

static json_t *review_crews_json(const struct review *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->crews.n; i++) {
		const struct review_group *c = &r->crews.v[i];
		json_t *o = review_group_json(c), *m = json_array();
		for (size_t j = 0; j < r->members.n; j++) {
			const struct review_group *g = &r->members.v[j];
			json_t *x;
			if (strcmp(g->crew, c->crew) != 0)
				continue;
			x = review_group_json(g);
			json_object_set_new(x, "member", json_string(g->member));
			json_array_append_new(m, x);
		}
		json_object_set_new(o, "crew", json_string(c->crew));
		json_object_set_new(o, "members", m);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *review_figure_json(const struct review_figure *x, bool prev)
{
	double v = prev ? x->prev : x->value;

	if (!(prev ? x->prev_has : x->has))
		return json_null();
	return x->kind == FIG_RATE || x->kind == FIG_SCORE ? json_real(v) : json_integer((json_int_t)review_round(v));
}

static json_t *review_comparison_json(const struct review *r)
{
	struct review_figure fig[REVIEW_FIGURES];
	json_t *a = json_array();
	char b1[32], b2[32];

	review_headline(r, fig);
	for (int i = 0; i < REVIEW_FIGURES; i++) {
		const struct review_figure *x = &fig[i];
		json_t *change = json_null();
		if (x->has && x->prev_has)
			change = x->kind == FIG_RATE || x->kind == FIG_SCORE
					 ? json_real(x->value - x->prev)
					 : json_integer((json_int_t)(review_round(x->value) - review_round(x->prev)));
		json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o,s:o}", "figure", x->key, "label", x->label,
						   "current", review_figure_json(x, false), "previous",
						   review_figure_json(x, true), "change", change));
	}
	return json_pack("{s:s,s:s,s:o}", "from", REPORT_DAY(r->prev->from_ms, b1), "to",
			 REPORT_DAY(r->prev->to_ms, b2), "figures", a);
}

static void review_json(const struct review *r, const struct report_opts *o, const struct report_stamp *st)
{
	const struct review_group *g = &r->all;
	json_t *root = json_object(), *a, *x;
	char buf[64], b2[64];
	uint64_t n;
	double avg = review_sat_avg(g, &n);

	json_object_set_new(root, "report", json_string("review"));
	json_object_set_new(root, "estate", json_string(o->estate ? o->estate : ""));
	json_object_set_new(root, "from", json_string(REPORT_DAY(r->from_ms, buf)));
	json_object_set_new(root, "to", json_string(REPORT_DAY(r->to_ms, b2)));
	json_object_set_new(root, "last_seq", json_integer((json_int_t)st->last_seq));
	json_object_set_new(root, "chain_head", json_string(st->head));
	json_object_set_new(root, "tickets",
			    json_pack("{s:I,s:I,s:I,s:I}", "total", (json_int_t)g->tickets, "open", (json_int_t)g->open,
				      "closed", (json_int_t)g->closed, "cancelled", (json_int_t)g->cancelled));
	x = json_object();
	for (int k = 0; k < REVIEW_KINDS; k++)
		if (g->kinds[k])
			json_object_set_new(x, REPORT_KIND(k, buf), json_integer((json_int_t)g->kinds[k]));
	json_object_set_new(root, "by_kind", x);
	json_object_set_new(root, "by_category", review_counts_json(&r->cats));
	json_object_set_new(root, "by_building", review_counts_json(&r->buildings));
	a = json_array();
	for (int i = 0; i < r->nmonths; i++) {
		const struct review_group *m = &r->months[i];
		x = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "month", review_month_name(r, i, buf, sizeof buf), "tickets",
			      (json_int_t)m->tickets, "with_deadline", (json_int_t)m->every_decided, "deadlines_met",
			      (json_int_t)m->every_met, "resolve_decided", (json_int_t)m->dl_decided[REVIEW_RESOLVE],
			      "resolve_met", (json_int_t)m->dl_met[REVIEW_RESOLVE]);
		json_object_set_new(x, "figures", review_group_json(m));
		json_array_append_new(a, x);
	}
	json_object_set_new(root, "by_month", a);
	json_object_set_new(root, "by_crew", review_crews_json(r));
	json_object_set_new(root, "times",
			    json_pack("{s:o,s:o,s:o}", "acknowledge", review_durs_json(&g->ack), "arrive",
				      review_durs_json(&g->arr), "resolve", review_durs_json(&g->res)));
	json_object_set_new(root, "deadline_compliance", review_compliance_json(g));
	json_object_set_new(
		root, "resolved_by_deadline",
		json_pack("{s:I,s:I,s:f,s:s}", "decided", (json_int_t)g->dl_decided[REVIEW_RESOLVE], "met",
			  (json_int_t)g->dl_met[REVIEW_RESOLVE], "rate",
			  review_ratio(g->dl_met[REVIEW_RESOLVE], g->dl_decided[REVIEW_RESOLVE]), "definition",
			  "of the tickets whose resolve deadline is decided (met, or missed), the share met; "
			  "the headline and the monthly chart"));
	x = json_object();
	for (int i = 1; i <= 5; i++) {
		snprintf(buf, sizeof buf, "%d", i);
		json_object_set_new(x, buf, json_integer((json_int_t)g->sat[i]));
	}
	json_object_set_new(root, "satisfaction",
			    json_pack("{s:o,s:I,s:o}", "distribution", x, "n", (json_int_t)n, "average",
				      n ? json_real(avg) : json_null()));
	a = json_array();
	for (size_t i = 0; i < r->complaints.n; i++) {
		const struct review_item *c = &r->complaints.v[i];
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "ticket", (json_int_t)c->id,
						   "created", REPORT_DAY(c->created_ms, buf), "unit", c->unit, "about",
						   c->who, "state", c->state, "cause", c->a, "corrective_action", c->b,
						   "satisfaction", (int)c->score, "remark", c->c));
	}
	json_object_set_new(root, "complaints",
			    json_pack("{s:I,s:o,s:o}", "n", (json_int_t)r->complaints.n, "by_cause",
				      review_counts_json(&r->causes), "list", a));
	json_object_set_new(root, "suggestions",
			    json_pack("{s:I,s:I,s:I,s:I}", "n", (json_int_t)r->sugg, "praise",
				      (json_int_t)r->sugg_praise, "acted_on", (json_int_t)r->sugg_done, "followed_up",
				      (json_int_t)r->sugg_followed));
	json_object_set_new(root, "planned_work", /* issue 19 */
			    json_pack("{s:I,s:I,s:I,s:I}", "planned", (json_int_t)r->planned, "reported",
				      (json_int_t)(g->tickets - r->planned), "visits_booked", (json_int_t)r->visits,
				      "visits_missed", (json_int_t)r->visits_missed));
	json_object_set_new(root, "reopen",
			    json_pack("{s:I,s:I,s:I,s:f}", "resolved", (json_int_t)g->resolved, "reopened",
				      (json_int_t)g->reopened, "reopens", (json_int_t)r->reopens, "rate",
				      review_ratio(g->reopened, g->resolved)));
	json_object_set_new(root, "paid_services",
			    json_pack("{s:I,s:I,s:I,s:I,s:I}", "count", (json_int_t)r->paid, "consented",
				      (json_int_t)r->paid_consented, "charged", (json_int_t)r->paid_charged_n,
				      "quoted_cents", (json_int_t)r->paid_quoted, "charged_cents",
				      (json_int_t)g->paid_charged));
	a = json_array();
	for (size_t i = 0; i < r->incidents.n; i++) {
		const struct review_item *v = &r->incidents.v[i];
		json_array_append_new(a, json_pack("{s:s,s:I,s:s,s:s,s:s,s:s}", "vendor", v->who, "ticket",
						   (json_int_t)v->id, "unit", v->unit, "incident", v->a, "review", v->b,
						   "state", v->state));
	}
	json_object_set_new(root, "vendors",
			    json_pack("{s:o,s:o}", "tickets", review_counts_json(&r->vendors), "incidents", a));
	a = json_array();
	for (size_t i = 0; i < r->repeats.n; i++) {
		const struct review_item *p = &r->repeats.v[i];
		json_array_append_new(a, json_pack("{s:s,s:s,s:i,s:s}", "unit", p->unit, "category", p->a, "count",
						   (int)p->score, "tickets", p->b));
	}
	json_object_set_new(root, "repeat_problems", a);
	json_object_set_new(root, "costs", review_cost_json(&r->costing));                              /* issue 19 */
	json_object_set_new(root, "repeat_failures_per_asset", review_repeat_assets_json(&r->costing)); /* issue 19 */
	if (r->prev)
		json_object_set_new(root, "comparison", review_comparison_json(r));
	json_dumpf(root, o->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', o->out);
	json_decref(root);
}

/* ---- CSV (one table; the first column names the section) ---- */

static void review_csv(const struct review *r, const struct report_opts *o, const struct report_stamp *st)
{
	const struct review_group *g = &r->all;
	const struct review_durs *ds[3] = { &g->ack, &g->arr, &g->res };
	FILE *f = o->out;
	char buf[64], b2[64], b3[64];
	uint64_t n;
	double avg = review_sat_avg(g, &n);

	report_csv_row(f, "section\x1fkey\x1fvalue\x1f"
			  "detail");
	report_csv_row(f,
		       "stamp\x1f"
		       "estate\x1f%s\x1f",
		       o->estate ? o->estate : "");
	report_csv_row(f,
		       "stamp\x1f"
		       "from\x1f%s\x1f",
		       REPORT_DAY(r->from_ms, buf));
	report_csv_row(f,
		       "stamp\x1f"
		       "to\x1f%s\x1f"
		       "exclusive",
		       REPORT_DAY(r->to_ms, buf));
	report_csv_row(f, "stamp\x1flast_seq\x1f%" PRIu64 "\x1f", st->last_seq);
	report_csv_row(f,
		       "stamp\x1f"
		       "chain_head\x1f%s\x1f",
		       st->head);
	report_csv_row(f, "tickets\x1ftotal\x1f%" PRIu64 "\x1f", g->tickets);
	report_csv_row(f, "tickets\x1fopen\x1f%" PRIu64 "\x1f", g->open);
	report_csv_row(f,
		       "tickets\x1f"
		       "closed\x1f%" PRIu64 "\x1f",
		       g->closed);
	report_csv_row(f,
		       "tickets\x1f"
		       "cancelled\x1f%" PRIu64 "\x1f",
		       g->cancelled);
	for (int k = 0; k < REVIEW_KINDS; k++)
		if (g->kinds[k])
			report_csv_row(f, "kind\x1f%s\x1f%" PRIu64 "\x1f", REPORT_KIND(k, buf), g->kinds[k]);
	for (size_t i = 0; i < r->cats.n; i++)
		report_csv_row(f, "category\x1f%s\x1f%" PRIu64 "\x1f", r->cats.v[i].key, r->cats.v[i].n);
	for (size_t i = 0; i < r->buildings.n; i++)
		report_csv_row(f, "building\x1f%s\x1f%" PRIu64 "\x1f", r->buildings.v[i].key, r->buildings.v[i].n);
	for (int i = 0; i < r->nmonths; i++)
		report_csv_row(f, "month\x1f%s\x1f%" PRIu64 "\x1f", review_month_name(r, i, buf, sizeof buf),
			       r->months[i].tickets);
	for (int i = 0; i < 3; i++) {
		report_csv_row(f, "time_ms\x1f%s median\x1f%" PRId64 "\x1f%zu tickets", review_deadline_names[i],
			       review_pct(ds[i], 50), ds[i]->n);
		report_csv_row(f, "time_ms\x1f%s p90\x1f%" PRId64 "\x1f%zu tickets", review_deadline_names[i],
			       review_pct(ds[i], 90), ds[i]->n);
	}
	for (int d = 0; d < 4; d++)
		report_csv_row(f, "deadline\x1f%s\x1f%s\x1f%" PRIu64 " of %" PRIu64 " met", review_deadline_names[d],
			       review_pct_str(g->dl_met[d], g->dl_decided[d], buf, sizeof buf), g->dl_met[d],
			       g->dl_decided[d]);
	for (int i = 0; i < r->nmonths; i++)
		report_csv_row(f, "deadline_month\x1f%s\x1f%s\x1f%" PRIu64 " of %" PRIu64 " tickets met every deadline",
			       review_month_name(r, i, b2, sizeof b2),
			       review_pct_str(r->months[i].every_met, r->months[i].every_decided, buf, sizeof buf),
			       r->months[i].every_met, r->months[i].every_decided);
	for (int i = 0; i < r->nmonths; i++)
		report_csv_row(
			f, "resolved_by_deadline_month\x1f%s\x1f%s\x1f%" PRIu64 " of %" PRIu64 " resolve deadlines met",
			review_month_name(r, i, b2, sizeof b2),
			review_pct_str(r->months[i].dl_met[REVIEW_RESOLVE], r->months[i].dl_decided[REVIEW_RESOLVE],
				       buf, sizeof buf),
			r->months[i].dl_met[REVIEW_RESOLVE], r->months[i].dl_decided[REVIEW_RESOLVE]);
	for (int i = 1; i <= 5; i++)
		report_csv_row(f, "satisfaction\x1f%d\x1f%" PRIu64 "\x1f", i, g->sat[i]);
	report_csv_row(f,
		       "satisfaction\x1f"
		       "average\x1f%.2f\x1f%" PRIu64 " follow-ups",
		       avg, n);
	for (size_t i = 0; i < r->causes.n; i++)
		report_csv_row(f, "complaint_cause\x1f%s\x1f%" PRIu64 "\x1f", r->causes.v[i].key, r->causes.v[i].n);
	for (size_t i = 0; i < r->complaints.n; i++) {
		const struct review_item *c = &r->complaints.v[i];
		snprintf(b3, sizeof b3, "%" PRIu64, c->id);
		report_csv_row(f, "complaint\x1f%s\x1f%s\x1f%s %s about %s; cause: %s; corrective action: %s", b3,
			       c->state, REPORT_DAY(c->created_ms, buf), c->unit, c->who, c->a, c->b);
	}
	report_csv_row(f,
		       "suggestions\x1f"
		       "count\x1f%" PRIu64 "\x1f%" PRIu64 " praise, %" PRIu64 " acted on, %" PRIu64 " followed up",
		       r->sugg, r->sugg_praise, r->sugg_done, r->sugg_followed);
	report_csv_row(f,
		       "reopen\x1frate\x1f%s\x1f%" PRIu64 " of %" PRIu64 " resolved tickets reopened (%" PRIu64
		       " reopenings)",
		       review_pct_str(g->reopened, g->resolved, buf, sizeof buf), g->reopened, g->resolved, r->reopens);
	report_csv_row(f,
		       "paid\x1f"
		       "count\x1f%" PRIu64 "\x1f%" PRIu64 " consented",
		       r->paid, r->paid_consented);
	report_csv_row(f, "paid\x1fquoted\x1f%s\x1f", review_money_plain(r->paid_quoted, buf, sizeof buf));
	report_csv_row(f,
		       "paid\x1f"
		       "charged\x1f%s\x1f%" PRIu64 " charged",
		       review_money_plain(g->paid_charged, buf, sizeof buf), r->paid_charged_n);
	for (size_t i = 0; i < r->vendors.n; i++)
		report_csv_row(f, "vendor_tickets\x1f%s\x1f%" PRIu64 "\x1f", r->vendors.v[i].key, r->vendors.v[i].n);
	for (size_t i = 0; i < r->incidents.n; i++) {
		const struct review_item *v = &r->incidents.v[i];
		report_csv_row(f, "vendor_incident\x1f%s\x1f%" PRIu64 "\x1f%s; review: %s", v->who, v->id, v->a,
			       v->b[0] ? v->b : "(not reviewed)");
	}
	for (size_t i = 0; i < r->repeats.n; i++) {
		const struct review_item *p = &r->repeats.v[i];
		report_csv_row(f, "repeat\x1f%s %s\x1f%u\x1ftickets %s", p->unit, p->a, p->score, p->b);
	}
	review_cost_csv(f, &r->costing); /* issue 19 */
	if (r->prev) {
		struct review_figure fig[REVIEW_FIGURES];
		review_headline(r, fig);
		for (int i = 0; i < REVIEW_FIGURES; i++)
			report_csv_row(f, "compare\x1f%s\x1f%s\x1fprevious %s to %s: %s; change %s", fig[i].key,
				       review_figure_str(&fig[i], false, buf, sizeof buf),
				       REPORT_DAY(r->prev->from_ms, b2), REPORT_DAY(r->prev->to_ms, b3),
				       review_figure_str(&fig[i], true, (char[48]){ 0 }, 48),
				       review_change_str(&fig[i], (char[48]){ 0 }, 48));
	}
}

/* ---- wide CSV: one row per month, crew and member, one column per figure ---- */

/* A number or an empty cell: a spreadsheet reads "" as blank, not zero. */
static const char *review_cell(bool has, const char *fmt, double v, char *buf, size_t len)
{
	if (!has)
		buf[0] = '\0';
	else
		snprintf(buf, len, fmt, v);
	return buf;
}

static void review_wide_row(FILE *f, const char *row, const char *month, const struct review_group *g)
{
	const struct review_durs *ds[3] = { &g->ack, &g->arr, &g->res };
	char c[3][24], p[5][24], sat[24], money[32];
	uint64_t n;
	double avg = review_sat_avg(g, &n);

	for (int i = 0; i < 3; i++)
		review_cell(ds[i]->n > 0, "%.2f", (double)review_pct(ds[i], 50) / 60000.0, c[i], sizeof c[i]);
	for (int d = 0; d < 4; d++)
		review_cell(g->dl_decided[d] > 0, "%.1f", 100.0 * review_ratio(g->dl_met[d], g->dl_decided[d]), p[d],
			    sizeof p[d]);
	review_cell(g->every_decided > 0, "%.1f", 100.0 * review_ratio(g->every_met, g->every_decided), p[4],
		    sizeof p[4]);
	review_cell(n > 0, "%.2f", avg, sat, sizeof sat);
	report_csv_row(f,
		       "%s\x1f%s\x1f%s\x1f%s\x1f%" PRIu64 "\x1f%" PRIu64 "\x1f%" PRIu64 "\x1f%" PRIu64 "\x1f%" PRIu64
		       "\x1f%" PRIu64 "\x1f%" PRIu64 "\x1f%s\x1f%s\x1f%s\x1f"
		       "%" PRIu64 "\x1f%" PRIu64 "\x1f%s\x1f%" PRIu64 "\x1f%" PRIu64 "\x1f%s\x1f"
		       "%" PRIu64 "\x1f%" PRIu64 "\x1f%s\x1f%" PRIu64 "\x1f%" PRIu64 "\x1f%s\x1f"
		       "%" PRIu64 "\x1f%" PRIu64 "\x1f%s\x1f%" PRIu64 "\x1f%s\x1f%s",
		       row, month, g->crew ? g->crew : "", g->crew ? g->member : "", g->tickets, g->open, g->closed,
		       g->cancelled, g->resolved, g->reopened, g->complaints, c[0], c[1], c[2], g->dl_decided[0],
		       g->dl_met[0], p[0], g->dl_decided[1], g->dl_met[1], p[1], g->dl_decided[2], g->dl_met[2], p[2],
		       g->dl_decided[3], g->dl_met[3], p[3], g->every_decided, g->every_met, p[4], n, sat,
		       review_money_plain(g->paid_charged, money, sizeof money));
}

static void review_csv_wide(const struct review *r, const struct report_opts *o)
{
	FILE *f = o->out;
	char m[16];

	report_csv_row(f, "row\x1fmonth\x1f"
			  "crew\x1fmember\x1ftickets\x1fopen\x1f"
			  "closed\x1f"
			  "cancelled\x1fresolved\x1freopened\x1f"
			  "complaints\x1f"
			  "acknowledge_median_min\x1f"
			  "arrive_median_min\x1fresolve_median_min\x1f"
			  "acknowledge_decided\x1f"
			  "acknowledge_met\x1f"
			  "acknowledge_met_pct\x1f"
			  "arrive_decided\x1f"
			  "arrive_met\x1f"
			  "arrive_met_pct\x1fresolve_decided\x1fresolve_met\x1fresolve_met_pct\x1f"
			  "follow_up_decided\x1f"
			  "follow_up_met\x1f"
			  "follow_up_met_pct\x1f"
			  "every_deadline_decided\x1f"
			  "every_deadline_met\x1f"
			  "every_deadline_met_pct\x1f"
			  "follow_ups\x1fsatisfaction_avg\x1fpaid_charged");
	review_wide_row(f, "total", "", &r->all);
	for (int i = 0; i < r->nmonths; i++)
		review_wide_row(f, "month", review_month_name(r, i, m, sizeof m), &r->months[i]);
	for (size_t i = 0; i < r->crews.n; i++)
		review_wide_row(f, "crew", "", &r->crews.v[i]);
	for (size_t i = 0; i < r->members.n; i++)
		review_wide_row(f, "member", "", &r->members.v[i]);
}

/* ---- the passes over the store ------------------------------------------------------ */

struct review_pass {
	struct review *r[2]; /* this period and the one before */
};

static int review_ticket_cb(Dispatch__Ticket *t, void *arg)
{
	struct review_pass *p = arg;

	for (int i = 0; i < 2; i++)
		if (p->r[i])
			review_ticket(p->r[i], t);
	dispatch__ticket__free_unpacked(t, NULL);
	return 0;
}

/* Satisfaction: every follow-up recorded in the period, also those whose
 * low score reopened the work (the ticket keeps only its last score). The
 * header scan finds them; only they are decoded. */
static int review_follow_up_cb(uint64_t seq, const void *data, size_t len, void *arg)
{
	struct review_pass *p = arg;
	struct report_head h;
	Dispatch__Event *ev;
	int64_t lo = p->r[1] ? p->r[1]->from_ms : p->r[0]->from_ms;

	(void)seq;
	if (report_peek(data, len, &h) != 0)
		return STORE_CORRUPT;
	if (h.type != DISPATCH__EVENT_TYPE__EVENT_FOLLOWED_UP || h.time_ms < lo || h.time_ms >= p->r[0]->to_ms)
		return 0;
	if ((ev = dispatch__event__unpack(NULL, len, data)) == NULL)
		return STORE_CORRUPT;
	for (int i = 0; i < 2; i++)
		if (p->r[i])
			review_follow_up_add(p->r[i], ev);
	dispatch__event__free_unpacked(ev, NULL);
	return 0;
}

int report_review(store_t *s, const struct report_opts *o)
{
	struct review *r = review_new(o->from_ms, o->to_ms);
	struct review_pass pass = { { r, NULL } };
	struct report_stamp st;
	MDB_txn *txn = NULL;
	int rc;

	if (r == NULL)
		return -EINVAL;
	r->prev = review_new(review_prev_from(o->from_ms, o->to_ms), o->from_ms); /* NULL: too long a period */
	pass.r[1] = r->prev;
	if ((rc = store_txn_begin(s, NULL, 1, &txn)) != 0 || (rc = report_stamp(s, txn, &st)) != 0 ||
	    (rc = store_tickets(s, txn, review_ticket_cb, &pass)) != 0 ||
	    (rc = store_event_records(s, txn, 1, review_follow_up_cb, &pass)) != 0)
		goto fail;
	store_txn_abort(txn);
	txn = NULL;
	review_finish(r);
	if (r->prev)
		review_finish(r->prev);
	switch (o->format) {
	case REPORT_JSON: review_json(r, o, &st); break;
	case REPORT_CSV: review_csv(r, o, &st); break;
	case REPORT_CSV_WIDE: review_csv_wide(r, o); break;
	case REPORT_HTML: review_html(r, o, &st); break;
	case REPORT_SVG: review_svg(r, o, &st); break;
	default: review_text(r, o, &st); break;
	}
fail:
	if (txn)
		store_txn_abort(txn);
	review_free(r);
	return rc;
}
