/*
 * gen-year: a realistic year of an estate's service center, written
 * through the store module (ticket_record, so tickets, events, indexes and
 * the hash chain are the real thing), for timing the reports and for
 * tests with known figures.
 *
 *   gen-year [--seed N] [--tickets N] [--year YYYY] [--days N] [--no-assets] [--truth FILE] DIR
 *
 * 3,000 units (30 towers x 25 floors x 4 flats), ~50,000 tickets a year
 * by default: repairs, cleaning, security, inquiries, complaints and paid
 * special services, each taken through the procedure: assignment,
 * acknowledgement (escalated when late), arrival, holds, resolution,
 * follow-up with a score and a remark (a low score reopens the work),
 * inspection, vendor incidents and their review, closing; a few are
 * cancelled and the last days' work is still open. Some units report the
 * same problem again and again (repeat problems). Times are in the
 * process's TZ (the tests set Asia/Hong_Kong, the sample estate's).
 *
 * Issue 19: repairs and alarms name the asset they concern (lifts, pumps,
 * generators, air conditioners, gates, CCTV, fire extinguishers of each
 * tower: some 2,000 in all; a hot unit's repeat problem is one asset's
 * repeat failure), and each resolution records what it cost (parts from a
 * price list, labour minutes at HK$180 an hour, a vendor's invoice), a
 * reopened job's rounds added up as dispatchd adds them. These come from a
 * random stream of their own, so the rest of a seed's year is what it was
 * before them. --no-assets leaves them out.
 *
 * --truth writes what was generated as NDJSON (one object per ticket as it
 * ended, then one per event), so a test can compute the figures a report
 * must show without going through report.c. Test-only: never installed.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "ticket.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

enum act {
	A_SUBMIT,
	A_HOLD_CONSENT,
	A_CONSENT,
	A_ASSIGN,
	A_ESC_ACK,
	A_ACCEPT,
	A_ESC_ARRIVE,
	A_ARRIVE,
	A_HOLD,
	A_RESUME,
	A_ESC_RESOLVE,
	A_RESOLVE,
	A_ESC_FOLLOW,
	A_FOLLOW,
	A_REOPEN,
	A_INSPECT,
	A_FLAG,
	A_REVIEW,
	A_CLOSE,
	A_CANCEL
};

struct step {
	int64_t t;
	uint32_t ticket; /* index: id - 1 */
	uint16_t idx;    /* order within the ticket */
	uint8_t act, arg;
};

#define GEN_PARTS 8
struct gen_ticket {
	Dispatch__Ticket t;
	char unit[16], building[8], remark[80];
	char asset[24];                      /* issue 19 */
	Dispatch__CostPart parts[GEN_PARTS]; /* what its resolutions used */
	Dispatch__CostPart *pp[GEN_PARTS];
	char *passed[4];
	uint32_t member; /* index into the crew's members */
};

struct crew {
	const char *id;
	const char *members[12];
	int n;
	int outsourced;
};

static const struct crew crews[] = {
	{ "security", { "S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09", "S10", "S11", "S12" }, 12, 0 },
	{ "cleaning", { "C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08", "C09", "C10" }, 10, 0 },
	{ "technical", { "T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08", "T09", "T10" }, 10, 0 },
	{ "customer-service", { "D01", "D02", "D03", "D04" }, 4, 0 },
	{ "lift-co", { "L01", "L02", "L03" }, 3, 1 },
	{ "green-gardens", { "G01", "G02", "G03" }, 3, 1 },
};
enum { SECURITY, CLEANING, TECHNICAL, CUSTOMER, LIFTCO, GARDENS };

static const char *const remarks_good[] = { "very quick, thank you", "polite technician", "problem solved", "satisfied",
					    "" };
static const char *const remarks_bad[] = { "had to call twice", "came late and left a mess", "the leak is back",
					   "nobody explained what was done" };
static const char *const causes[] = { "staff attitude", "late response", "work not done properly", "noise from works" };
static const char *const actions[] = { "coached the member, apologised to the resident",
				       "added a second technician to the evening shift",
				       "redid the work and added a check by the supervisor",
				       "limited works to 09:00-17:00 and told residents in advance" };

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible for a given seed on every machine */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}
static double rnd_unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}
/* exponential with the given mean, at least 1 s */
static int64_t rnd_exp(int64_t mean)
{
	double u = rnd_unit();
	int64_t v = (int64_t)(-(double)mean * log(1.0 - u));
	return v < 1000 ? 1000 : v;
}

/* Issue 19: the assets' and costs' own stream (see the top). */
static uint64_t rng2_state;
static int gen_assets = 1;

static unsigned rnd2_below(unsigned n)
{
	rng2_state ^= rng2_state >> 12;
	rng2_state ^= rng2_state << 25;
	rng2_state ^= rng2_state >> 27;
	return (unsigned)((rng2_state * 2685821657736338717ULL) % n);
}

/* The asset a ticket concerns, from its unit and category (so a unit's
 * repeat problem names one asset each time), or none. */
static void make_asset(struct gen_ticket *g)
{
	const Dispatch__Ticket *t = &g->t;
	const char *c = t->category;
	unsigned h = 0, floor = 0;

	g->asset[0] = '\0';
	if (!gen_assets)
		return;
	for (const char *p = g->unit; *p; p++)
		h = h * 31 + (unsigned char)*p;
	sscanf(strchr(g->unit, '-') + 1, "%u", &floor);
	if (t->kind == DISPATCH__KIND__KIND_REPAIR) {
		if (strcmp(c, "lift") == 0)
			snprintf(g->asset, sizeof g->asset, "L%s-%u", g->building, 1 + h % 4);
		else if (strcmp(c, "plumbing") == 0 || strcmp(c, "water-leak") == 0) {
			if (h % 3 == 0)
				snprintf(g->asset, sizeof g->asset, "PUMP%s-%u", g->building, 1 + h % 2);
		} else if (strcmp(c, "aircon") == 0)
			snprintf(g->asset, sizeof g->asset, "AC%s-%u", g->building, floor);
		else if (strcmp(c, "electrical") == 0 && h % 4 == 0)
			snprintf(g->asset, sizeof g->asset, "GEN%s", g->building);
		else if (strcmp(c, "door-lock") == 0 && h % 2 == 0)
			snprintf(g->asset, sizeof g->asset, "GATE%s", g->building);
	} else if (t->kind == DISPATCH__KIND__KIND_SECURITY && strcmp(c, "alarm") == 0) {
		if (rnd2_below(2) == 0)
			snprintf(g->asset, sizeof g->asset, "FE%s-%u-%u", g->building, floor, 1 + h % 2);
		else
			snprintf(g->asset, sizeof g->asset, "CCTV%s-%u", g->building, 1 + h % 4);
	}
}

/* What one resolution cost, added to t as dispatchd adds it (handle_cost.c). */
static void gen_costs(struct gen_ticket *g)
{
	static const struct {
		const char *item;
		int64_t cents;
	} price[] = { { "fuse-13a", 1250 },    { "lamp-led-18w", 4500 },     { "valve-15mm", 8800 },
		      { "pump-seal", 32000 },  { "lift-contactor", 125000 }, { "washer-kit", 1500 },
		      { "door-closer", 68000 } };
	Dispatch__Ticket *t = &g->t;
	int vendor = t->vendor[0] != '\0';
	unsigned minutes = 0, nparts = 0;
	int64_t parts = 0, invoice = 0;

	t->cost_round_cents = 0;
	if (!gen_assets)
		return;
	if (t->kind == DISPATCH__KIND__KIND_REPAIR || t->kind == DISPATCH__KIND__KIND_SPECIAL)
		nparts = rnd2_below(4);
	if (vendor)
		invoice = 30000 + 10000 * (int64_t)rnd2_below(58);
	else if (t->kind == DISPATCH__KIND__KIND_REPAIR || t->kind == DISPATCH__KIND__KIND_SPECIAL ||
		 t->kind == DISPATCH__KIND__KIND_CLEANING || t->kind == DISPATCH__KIND__KIND_SECURITY)
		minutes = 10 + 5 * rnd2_below(40);
	for (unsigned i = 0; i < nparts && t->n_parts < GEN_PARTS; i++) {
		Dispatch__CostPart *p = &g->parts[t->n_parts];
		unsigned k = rnd2_below((unsigned)(sizeof price / sizeof price[0]));
		dispatch__cost_part__init(p);
		p->item = (char *)price[k].item;
		p->quantity = 1 + rnd2_below(3);
		p->unit_cents = price[k].cents;
		p->total_cents = (int64_t)p->quantity * p->unit_cents;
		parts += p->total_cents;
		g->pp[t->n_parts++] = p;
	}
	t->parts = g->pp;
	t->labour_minutes += minutes;
	t->labour_cents += ((int64_t)minutes * 18000 + 30) / 60;
	t->invoice_cents += invoice;
	t->cost_round_cents = parts + ((int64_t)minutes * 18000 + 30) / 60 + invoice;
	t->cost_cents += t->cost_round_cents;
}

static struct step *steps;
static size_t nsteps, capsteps;

static void plan(uint32_t ticket, uint16_t *idx, int64_t t, enum act a, uint8_t arg)
{
	if (nsteps == capsteps) {
		capsteps = capsteps ? 2 * capsteps : 1 << 20;
		steps = realloc(steps, capsteps * sizeof *steps);
		if (steps == NULL) {
			fprintf(stderr, "gen-year: out of memory\n");
			exit(1);
		}
	}
	steps[nsteps++] = (struct step){ t, ticket, (*idx)++, (uint8_t)a, arg };
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_step(const void *a, const void *b)
{
	const struct step *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->ticket != y->ticket)
		return x->ticket < y->ticket ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* What happens to one ticket, as steps in time. */
static void plan_ticket(struct gen_ticket *g, uint32_t i, int64_t end)
{
	Dispatch__Ticket *t = &g->t;
	uint16_t idx = 0;
	int64_t c = t->created_ms, now = c, ack_dl, arr_dl, res_dl;
	int complaint = t->kind == DISPATCH__KIND__KIND_COMPLAINT, follow, reopen = 0;

	(void)end;
	plan(i, &idx, now, A_SUBMIT, 0);
	if (t->fee_cents > 0) {
		plan(i, &idx, now + 1000, A_HOLD_CONSENT, 0);
		if (rnd_below(10) == 0) {
			plan(i, &idx, now + 2 * DAY_MS, A_CANCEL, 1);
			return;
		}
		now += HOUR_MS + (int64_t)rnd_below(47) * HOUR_MS;
		plan(i, &idx, now, A_CONSENT, 0);
	}
	if (rnd_below(50) == 0) { /* cancelled: a duplicate call, the resident fixed it */
		plan(i, &idx, now + 1000, A_ASSIGN, 0);
		plan(i, &idx, now + 10 * MIN_MS + rnd_exp(30 * MIN_MS), A_CANCEL, 0);
		return;
	}
	ack_dl = complaint ? 5 * MIN_MS : 10 * MIN_MS;
	arr_dl = t->kind == DISPATCH__KIND__KIND_SECURITY ? 30 * MIN_MS : 60 * MIN_MS;
	res_dl = complaint ? 48 * HOUR_MS : t->kind == DISPATCH__KIND__KIND_REPAIR ? 24 * HOUR_MS : 8 * HOUR_MS;
	follow = complaint || t->fee_cents > 0 || (t->kind == DISPATCH__KIND__KIND_REPAIR && rnd_below(5) < 2);
	now += 1000;
again:
	plan(i, &idx, now, A_ASSIGN, 0);
	{
		int64_t start = now, ack = rnd_exp(4 * MIN_MS), arr, res;
		if (ack > ack_dl && !reopen) {
			plan(i, &idx, start + ack_dl, A_ESC_ACK, 0);
			ack = ack_dl + rnd_exp(3 * MIN_MS);
		}
		now = start + ack;
		plan(i, &idx, now, A_ACCEPT, 0);
		arr = rnd_exp(t->kind == DISPATCH__KIND__KIND_SECURITY ? 8 * MIN_MS : 20 * MIN_MS);
		if (!reopen && now + arr > start + arr_dl)
			plan(i, &idx, start + arr_dl, A_ESC_ARRIVE, 0);
		now += arr;
		plan(i, &idx, now, A_ARRIVE, 0);
		if (rnd_below(20) == 0) {
			plan(i, &idx, now + 5 * MIN_MS, A_HOLD, 0);
			now += 5 * MIN_MS + HOUR_MS + (int64_t)rnd_below(30) * HOUR_MS;
			plan(i, &idx, now, A_RESUME, 0);
		}
		res = rnd_exp(t->kind == DISPATCH__KIND__KIND_REPAIR ? 90 * MIN_MS : 40 * MIN_MS);
		if (!reopen && now + res > start + res_dl)
			plan(i, &idx, start + res_dl, A_ESC_RESOLVE, 0);
		now += res;
		plan(i, &idx, now, A_RESOLVE, 0);
	}
	if (rnd_below(20) == 0)
		plan(i, &idx, now + HOUR_MS, A_INSPECT, (uint8_t)(rnd_below(10) == 0 ? 2 : 1));
	if ((strcmp(t->crew, "lift-co") == 0 || strcmp(t->crew, "green-gardens") == 0) && rnd_below(25) == 0 &&
	    !reopen) {
		plan(i, &idx, now + DAY_MS, A_FLAG, 0);
		if (rnd_below(4) != 0)
			plan(i, &idx, now + DAY_MS + (int64_t)(3 + rnd_below(7)) * DAY_MS, A_REVIEW, 0);
	}
	if (follow) {
		int64_t fu = 2 * HOUR_MS + (int64_t)rnd_below(28) * HOUR_MS;
		unsigned r = rnd_below(100), score = r < 45 ? 5 : r < 75 ? 4 : r < 88 ? 3 : r < 95 ? 2 : 1;
		if (reopen)
			score = 4 + rnd_below(2);
		if (rnd_below(15) == 0) {
			plan(i, &idx, now + 48 * HOUR_MS, A_ESC_FOLLOW, 0);
			fu = 48 * HOUR_MS + (int64_t)rnd_below(24) * HOUR_MS;
		}
		now += fu;
		plan(i, &idx, now, A_FOLLOW, (uint8_t)score);
		if (score <= 2 && !reopen) {
			plan(i, &idx, now + 1000, A_REOPEN, 0);
			now += 2000;
			reopen = 1;
			goto again;
		}
	}
	plan(i, &idx, now + HOUR_MS + (int64_t)rnd_below(24) * HOUR_MS, A_CLOSE, 0);
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd_below((unsigned)n)];
}
#define PICK(v) pick((v), sizeof(v) / sizeof((v)[0]))

/* A new ticket: kind, category, crew, unit. Hot units report one problem
 * again and again. */
static void make_ticket(struct gen_ticket *g, int64_t created)
{
	static const char *const repair_cat[] = {
		"electrical", "plumbing", "lift", "aircon", "door-lock", "water-leak"
	};
	static const char *const clean_cat[] = { "corridor", "garbage", "carpark", "garden" };
	static const char *const sec_cat[] = { "noise", "parking", "suspicious-person", "alarm" };
	static const char *const inq_cat[] = { "fees", "facilities", "parcel" };
	static const char *const comp_cat[] = { "staff", "noise", "slow-repair", "cleanliness" };
	static const char *const spec_cat[] = { "aircon-cleaning", "moving-help", "carpet-wash" };
	Dispatch__Ticket *t = &g->t;
	unsigned r = rnd_below(100), b, fl, fx;
	int crew;

	dispatch__ticket__init(t);
	t->created_ms = t->updated_ms = created;
	t->source = (Dispatch__Source)(1 + rnd_below(4));
	if (rnd_below(50) == 0) { /* one of 100 hot units, always the same problem */
		unsigned h = rnd_below(100);
		b = 1 + h % 30, fl = 1 + (h * 7) % 25, fx = h % 4;
		t->kind = DISPATCH__KIND__KIND_REPAIR;
		t->category = (char *)repair_cat[h % 6];
	} else {
		b = 1 + rnd_below(30), fl = 1 + rnd_below(25), fx = rnd_below(4);
		t->kind = r < 45   ? DISPATCH__KIND__KIND_REPAIR
			  : r < 65 ? DISPATCH__KIND__KIND_CLEANING
			  : r < 77 ? DISPATCH__KIND__KIND_SECURITY
			  : r < 87 ? DISPATCH__KIND__KIND_INQUIRY
			  : r < 93 ? DISPATCH__KIND__KIND_COMPLAINT
				   : DISPATCH__KIND__KIND_SPECIAL;
		switch (t->kind) {
		case DISPATCH__KIND__KIND_REPAIR: t->category = (char *)PICK(repair_cat); break;
		case DISPATCH__KIND__KIND_CLEANING: t->category = (char *)PICK(clean_cat); break;
		case DISPATCH__KIND__KIND_SECURITY: t->category = (char *)PICK(sec_cat); break;
		case DISPATCH__KIND__KIND_INQUIRY: t->category = (char *)PICK(inq_cat); break;
		case DISPATCH__KIND__KIND_COMPLAINT: t->category = (char *)PICK(comp_cat); break;
		default: t->category = (char *)PICK(spec_cat); break;
		}
	}
	snprintf(g->unit, sizeof g->unit, "%u-%u%c", b, fl, "ABCD"[fx]);
	snprintf(g->building, sizeof g->building, "%u", b);
	t->unit = g->unit;
	t->building = g->building;
	t->zone = b <= 15 ? (char *)"north" : (char *)"south";
	t->text = (char *)"reported by the resident";
	t->priority = 3;
	switch (t->kind) {
	case DISPATCH__KIND__KIND_REPAIR: crew = strcmp(t->category, "lift") == 0 ? LIFTCO : TECHNICAL; break;
	case DISPATCH__KIND__KIND_CLEANING: crew = strcmp(t->category, "garden") == 0 ? GARDENS : CLEANING; break;
	case DISPATCH__KIND__KIND_SECURITY: crew = SECURITY; break;
	case DISPATCH__KIND__KIND_SPECIAL: crew = strcmp(t->category, "moving-help") == 0 ? CLEANING : TECHNICAL; break;
	default: crew = CUSTOMER; break;
	}
	t->crew = (char *)crews[crew].id;
	t->rule = (char *)"generated";
	if (crews[crew].outsourced)
		t->vendor = (char *)crews[crew].id;
	if (t->kind == DISPATCH__KIND__KIND_SPECIAL && rnd_below(10) < 7)
		t->fee_cents = 20000 + 5000 * (int64_t)rnd_below(13);
	if (t->kind == DISPATCH__KIND__KIND_COMPLAINT && rnd_below(2) == 0)
		t->about_member = (char *)crews[rnd_below(3)].members[rnd_below(4)];
	t->follow_up = t->kind == DISPATCH__KIND__KIND_COMPLAINT;
	g->member = rnd_below((unsigned)crews[crew].n);
}

/* Issue 19: some repairs are planned work (a schedule's occurrence) and
 * some have a visit window booked with the resident. Chosen by the
 * ticket's index, not the random stream, so every other figure of a
 * seed stays what it was. */
static void make_plan(struct gen_ticket *g, size_t i)
{
	Dispatch__Ticket *t = &g->t;
	unsigned h = (unsigned)((i * 2654435761u) >> 8);

	if (t->kind != DISPATCH__KIND__KIND_REPAIR || t->fee_cents > 0)
		return;
	if (h % 20 == 0) {
		t->planned = true;
		t->schedule = (char *)"gen-maintenance";
		t->planned_for_ms = t->created_ms;
		t->target = t->unit;
		t->text = (char *)"planned maintenance";
	} else if (h % 15 == 1) {
		t->visit_from_ms = t->created_ms + HOUR_MS;
		t->visit_to_ms = t->created_ms + 3 * HOUR_MS;
	}
}

static int crew_index(const char *id)
{
	for (int i = 0; i < (int)(sizeof crews / sizeof crews[0]); i++)
		if (strcmp(crews[i].id, id) == 0)
			return i;
	return 0;
}

/* Apply one step to its ticket: the transition and its event. */
static int apply(store_t *s, MDB_txn *txn, struct gen_ticket *g, const struct step *st, FILE *truth)
{
	Dispatch__Ticket *t = &g->t;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	const struct crew *cr = &crews[crew_index(t->crew)];
	Dispatch__State to = t->state;
	int64_t now = st->t;
	uint64_t id;
	int rc;

	ev.actor = (char *)"desk";
	ev.actor_role = DISPATCH__ROLE__ROLE_DESK;
	switch ((enum act)st->act) {
	case A_SUBMIT:
		if ((rc = store_next_ticket_id(s, txn, &id)) != 0)
			return rc;
		if (id != (uint64_t)st->ticket + 1) {
			fprintf(stderr, "gen-year: ticket ids out of step (%" PRIu64 ")\n", id);
			return -1;
		}
		t->id = id;
		ev.type = DISPATCH__EVENT_TYPE__EVENT_SUBMITTED;
		to = DISPATCH__STATE__STATE_NEW;
		break;
	case A_HOLD_CONSENT:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_ON_HOLD;
		t->hold_reason = DISPATCH__HOLD_REASON__HOLD_CONSENT;
		t->held_from = DISPATCH__STATE__STATE_NEW;
		t->held_since_ms = now;
		to = DISPATCH__STATE__STATE_ON_HOLD;
		break;
	case A_CONSENT:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_CONSENTED;
		t->consent_ms = now;
		t->consent_by = (char *)"desk";
		to = DISPATCH__STATE__STATE_NEW;
		break;
	case A_ASSIGN:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_ASSIGNED;
		ev.rule = (char *)"generated";
		t->member = (char *)cr->members[g->member % (unsigned)cr->n];
		if (t->acknowledge_by_ms == 0) {
			int complaint = t->kind == DISPATCH__KIND__KIND_COMPLAINT;
			t->acknowledge_by_ms = now + (complaint ? 5 : 10) * MIN_MS;
			t->arrive_by_ms = now + (t->kind == DISPATCH__KIND__KIND_SECURITY ? 30 : 60) * MIN_MS;
			t->resolve_by_ms = now + (complaint                                ? 48 * HOUR_MS
						  : t->kind == DISPATCH__KIND__KIND_REPAIR ? 24 * HOUR_MS
											   : 8 * HOUR_MS);
		}
		to = DISPATCH__STATE__STATE_ASSIGNED;
		break;
	case A_ESC_ACK:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_ESCALATED;
		ev.deadline = DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE;
		ev.actor = (char *)"dispatchd";
		ev.actor_role = DISPATCH__ROLE__ROLE_SYSTEM;
		t->missed |= 1;
		if (t->n_passed_over < 4) {
			g->passed[t->n_passed_over++] = t->member;
			t->passed_over = g->passed;
		}
		g->member++;
		t->member = (char *)cr->members[g->member % (unsigned)cr->n];
		t->escalated_to = t->member;
		t->escalation_step++;
		ev.member = t->member;
		break;
	case A_ESC_ARRIVE:
	case A_ESC_RESOLVE:
	case A_ESC_FOLLOW:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_ESCALATED;
		ev.deadline = st->act == A_ESC_ARRIVE    ? DISPATCH__DEADLINE__DEADLINE_ARRIVE
			      : st->act == A_ESC_RESOLVE ? DISPATCH__DEADLINE__DEADLINE_RESOLVE
							 : DISPATCH__DEADLINE__DEADLINE_FOLLOW_UP;
		ev.actor = (char *)"dispatchd";
		ev.actor_role = DISPATCH__ROLE__ROLE_SYSTEM;
		t->missed |= st->act == A_ESC_ARRIVE ? 2 : st->act == A_ESC_RESOLVE ? 4 : 8;
		ev.member = (char *)(st->act == A_ESC_FOLLOW ? crews[CUSTOMER].members[0] : cr->members[0]);
		t->escalated_to = ev.member;
		break;
	case A_ACCEPT:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_ACCEPTED;
		ev.actor = t->member;
		ev.actor_role = DISPATCH__ROLE__ROLE_CREW;
		if (!t->acknowledged_ms)
			t->acknowledged_ms = now;
		to = DISPATCH__STATE__STATE_ACCEPTED;
		break;
	case A_ARRIVE:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_ON_SITE;
		ev.actor = t->member;
		ev.actor_role = DISPATCH__ROLE__ROLE_CREW;
		if (!t->arrived_ms)
			t->arrived_ms = now;
		to = DISPATCH__STATE__STATE_ON_SITE;
		break;
	case A_HOLD:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_ON_HOLD;
		t->hold_reason = DISPATCH__HOLD_REASON__HOLD_PARTS;
		t->held_from = t->state;
		t->held_since_ms = now;
		to = DISPATCH__STATE__STATE_ON_HOLD;
		break;
	case A_RESUME:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_RESUMED;
		to = t->held_from;
		break;
	case A_RESOLVE:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_RESOLVED;
		ev.actor = t->member;
		ev.actor_role = DISPATCH__ROLE__ROLE_CREW;
		ev.note = (char *)"done";
		t->note = (char *)"done";
		if (!t->resolved_ms)
			t->resolved_ms = now;
		if (t->kind == DISPATCH__KIND__KIND_COMPLAINT) {
			unsigned c = (unsigned)(t->id % 4);
			t->cause = (char *)causes[c];
			t->corrective_action = (char *)actions[c];
		}
		if (t->fee_cents > 0)
			t->charged_cents = t->fee_cents;
		gen_costs(g); /* issue 19 */
		if (t->follow_up || t->fee_cents > 0)
			t->follow_up_by_ms = now + 48 * HOUR_MS;
		to = DISPATCH__STATE__STATE_RESOLVED;
		break;
	case A_FOLLOW:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_FOLLOWED_UP;
		t->satisfaction = st->arg;
		snprintf(g->remark, sizeof g->remark, "%s", st->arg <= 2 ? PICK(remarks_bad) : PICK(remarks_good));
		t->follow_up_remark = g->remark;
		t->followed_up_ms = now;
		t->followed_up_by = (char *)"desk";
		if (t->follow_up_by_ms == 0)
			t->follow_up_by_ms = now; /* a repair followed up without a rule: met */
		ev.note = g->remark;
		break;
	case A_REOPEN:
		/* as dispatchd does: a new round of work, with fresh deadlines */
		ev.type = DISPATCH__EVENT_TYPE__EVENT_REOPENED;
		t->reopen_count++;
		t->followed_up_ms = t->follow_up_by_ms = 0;
		t->missed = 0;
		t->escalation_step = 0;
		t->n_passed_over = 0;
		t->member = (char *)"";
		t->acknowledge_by_ms = 0;
		to = DISPATCH__STATE__STATE_NEW;
		break;
	case A_INSPECT:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_INSPECTED;
		ev.actor = (char *)"qc";
		ev.actor_role = DISPATCH__ROLE__ROLE_QC;
		t->inspection_result = (Dispatch__InspectionResult)st->arg;
		t->inspected_ms = now;
		t->inspector = (char *)"qc";
		break;
	case A_FLAG:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_VENDOR_FLAGGED;
		t->vendor_incident = (char *)(strcmp(t->crew, "lift-co") == 0 ? "lift stopped again the next day"
									      : "cuttings left on the footpath");
		t->vendor_flagged_ms = now;
		break;
	case A_REVIEW:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_VENDOR_REVIEWED;
		t->vendor_review = (char *)"vendor retrained its crew; checked by our supervisor for a month";
		t->vendor_reviewed_ms = now;
		break;
	case A_CLOSE:
		if (t->state == DISPATCH__STATE__STATE_CLOSED || t->state == DISPATCH__STATE__STATE_CANCELLED)
			return 0;
		ev.type = DISPATCH__EVENT_TYPE__EVENT_CLOSED;
		t->closed_ms = now;
		to = DISPATCH__STATE__STATE_CLOSED;
		break;
	case A_CANCEL:
		ev.type = DISPATCH__EVENT_TYPE__EVENT_CANCELLED;
		t->cancel_reason = (char *)(st->arg ? "the resident declined the fee" : "duplicate call");
		ev.note = t->cancel_reason;
		to = DISPATCH__STATE__STATE_CANCELLED;
		break;
	}
	if ((rc = ticket_record(s, txn, t, to, &ev, now, NULL, NULL)) != 0)
		return rc;
	if (truth) {
		/* the event and the ticket as it stood after it */
		const char *held = t->member;
		if (ev.type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED &&
		    ev.deadline == DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE && t->n_passed_over)
			held = t->passed_over[t->n_passed_over - 1];
		fprintf(truth,
			"{\"e\":%" PRIu64 ",\"ticket\":%" PRIu64 ",\"type\":%d,\"time\":%" PRId64 ",\"crew\":\"%s\","
			"\"member\":\"%s\",\"held\":\"%s\",\"tmember\":\"%s\",\"state\":%d,\"deadline\":%d,"
			"\"kind\":%d,\"created\":%" PRId64 ",\"missed\":%u,\"ack_by\":%" PRId64 ",\"ack\":%" PRId64
			",\"arrive_by\":%" PRId64 ",\"arrived\":%" PRId64 ",\"resolve_by\":%" PRId64
			",\"resolved\":%" PRId64 ",\"sat\":%u,\"unit\":\"%s\",\"round\":%" PRId64 ",\"asset\":\"%s\","
			"\"building\":\"%s\",\"vendor\":\"%s\"}\n",
			ev.seq, t->id, (int)ev.type, now, ev.crew, ev.member ? ev.member : "", held, t->member,
			(int)t->state, (int)ev.deadline, (int)t->kind, t->created_ms, t->missed, t->acknowledge_by_ms,
			t->acknowledged_ms, t->arrive_by_ms, t->arrived_ms, t->resolve_by_ms, t->resolved_ms,
			t->satisfaction, t->unit,
			ev.type == DISPATCH__EVENT_TYPE__EVENT_RESOLVED ? t->cost_round_cents : 0, t->asset,
			t->building, t->vendor);
	}
	return 0;
}

static void truth_ticket(FILE *f, const Dispatch__Ticket *t)
{
	fprintf(f,
		"{\"t\":%" PRIu64 ",\"kind\":%d,\"state\":%d,\"unit\":\"%s\",\"building\":\"%s\",\"category\":\"%s\","
		"\"crew\":\"%s\",\"member\":\"%s\",\"created\":%" PRId64 ",\"consent\":%" PRId64 ",\"ack\":%" PRId64
		",\"arrived\":%" PRId64 ",\"resolved\":%" PRId64 ",\"followed\":%" PRId64 ",\"ack_by\":%" PRId64
		",\"arrive_by\":%" PRId64 ",\"resolve_by\":%" PRId64 ",\"follow_by\":%" PRId64 ",\"missed\":%u,"
		"\"sat\":%u,\"reopen\":%u,\"fee\":%" PRId64 ",\"charged\":%" PRId64 ",\"vendor\":\"%s\","
		"\"incident\":\"%s\",\"review\":\"%s\",\"cause\":\"%s\",\"about\":\"%s\",\"remark\":\"%s\","
		"\"passed\":\"%s\",\"asset\":\"%s\",\"cost\":%" PRId64 ",\"labour_c\":%" PRId64 ",\"minutes\":%u,"
		"\"invoice\":%" PRId64 ",\"parts_c\":%" PRId64 ",\"planned\":%d,\"visit_to\":%" PRId64 "}\n",
		t->id, (int)t->kind, (int)t->state, t->unit, t->building, t->category, t->crew, t->member,
		t->created_ms, t->consent_ms, t->acknowledged_ms, t->arrived_ms, t->resolved_ms, t->followed_up_ms,
		t->acknowledge_by_ms, t->arrive_by_ms, t->resolve_by_ms, t->follow_up_by_ms, t->missed, t->satisfaction,
		t->reopen_count, t->fee_cents, t->charged_cents, t->vendor, t->vendor_incident, t->vendor_review,
		t->cause, t->about_member, t->follow_up_remark,
		t->n_passed_over ? t->passed_over[t->n_passed_over - 1] : "", t->asset, t->cost_cents, t->labour_cents,
		t->labour_minutes, t->invoice_cents, t->cost_cents - t->labour_cents - t->invoice_cents,
		(int)t->planned, t->visit_to_ms);
}

int main(int argc, char **argv)
{
	unsigned long long seed = 2026, want = 50000;
	int year = 2026, days = 0;
	const char *dir = NULL, *truth_path = NULL;
	struct gen_ticket *g;
	FILE *truth = NULL;
	char err[1024];
	store_t *s;
	MDB_txn *txn = NULL;
	struct tm tm;
	int64_t start, end, span;
	size_t per_txn = 20000, done = 0;
	struct timespec t0, t1;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--tickets") == 0 && i + 1 < argc)
			want = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--year") == 0 && i + 1 < argc)
			year = atoi(argv[++i]);
		else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc)
			days = atoi(argv[++i]);
		else if (strcmp(argv[i], "--truth") == 0 && i + 1 < argc)
			truth_path = argv[++i];
		else if (strcmp(argv[i], "--no-assets") == 0)
			gen_assets = 0;
		else if (argv[i][0] != '-' && dir == NULL)
			dir = argv[i];
		else {
			fprintf(stderr, "usage: gen-year [--seed N] [--tickets N] [--year YYYY] [--days N] "
					"[--no-assets] [--truth "
					"FILE] DIR\n");
			return 2;
		}
	}
	if (dir == NULL || want == 0) {
		fprintf(stderr, "usage: gen-year [--seed N] [--tickets N] [--year YYYY] [--days N] [--no-assets] "
				"[--truth FILE] DIR\n");
		return 2;
	}
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	rng2_state = seed * 0xD1B54A32D192ED03ULL + 7;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	start = (int64_t)mktime(&tm) * 1000;
	tm.tm_year++;
	tm.tm_isdst = -1;
	end = (int64_t)mktime(&tm) * 1000;
	if (days > 0) /* a shorter stretch from 1 January: small fixtures */
		end = start + (int64_t)days * DAY_MS;
	span = end - start;

	/* creation times: spread over the year, busier by day than by night */
	g = calloc(want, sizeof *g);
	if (g == NULL) {
		fprintf(stderr, "gen-year: out of memory\n");
		return 1;
	}
	{
		int64_t *times = malloc(want * sizeof *times);
		if (times == NULL) {
			fprintf(stderr, "gen-year: out of memory\n");
			return 1;
		}
		for (size_t i = 0; i < want; i++) {
			int64_t day = (int64_t)rnd_below((unsigned)(span / DAY_MS)) * DAY_MS, tod;
			do
				tod = (int64_t)(rnd_unit() * (double)DAY_MS);
			while (rnd_unit() > (tod > 7 * HOUR_MS && tod < 23 * HOUR_MS ? 1.0 : 0.25));
			times[i] = start + day + tod;
		}
		qsort(times, want, sizeof *times, cmp_i64);
		for (size_t i = 1; i < want; i++) /* ids follow creation order */
			if (times[i] <= times[i - 1])
				times[i] = times[i - 1] + 1;
		for (size_t i = 0; i < want; i++) {
			make_ticket(&g[i], times[i]);
			make_asset(&g[i]);
			g[i].t.asset = g[i].asset;
			make_plan(&g[i], i); /* issue 19 */
			plan_ticket(&g[i], (uint32_t)i, end);
		}
		free(times);
	}
	qsort(steps, nsteps, sizeof *steps, cmp_step);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((s = store_open(dir, (size_t)8 << 30, err, sizeof err)) == NULL) {
		fprintf(stderr, "gen-year: %s\n", err);
		return 1;
	}
	/* a generated store, not residents' records: skip the fsync per commit */
	store_set_nosync(s);
	if (truth_path && (truth = fopen(truth_path, "w")) == NULL) {
		fprintf(stderr, "gen-year: cannot write %s: %s\n", truth_path, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < nsteps; i++) {
		if (steps[i].t >= end)
			break; /* next year's: the ticket stays open at the year's end */
		if (txn == NULL && (rc = store_txn_begin(s, NULL, 0, &txn)) != 0)
			goto fail;
		if ((rc = apply(s, txn, &g[steps[i].ticket], &steps[i], truth)) != 0)
			goto fail;
		if (++done % per_txn == 0) {
			rc = store_txn_commit(txn);
			txn = NULL;
			if (rc != 0)
				goto fail;
		}
	}
	if (txn && (rc = store_txn_commit(txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	txn = NULL;
	if (truth) {
		for (size_t i = 0; i < want; i++)
			truth_ticket(truth, &g[i].t);
		fclose(truth);
	}
	store_destroy(&s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("gen-year: %llu tickets, %zu events in %s (%.1f s)\n", want, done, dir,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(steps);
	free(g);
	return 0;
fail:
	fprintf(stderr, "gen-year: writing the store failed: %s\n", rc < 0 ? store_strerror(rc) : mdb_strerror(rc));
	if (txn)
		store_txn_abort(txn);
	store_destroy(&s);
	return 1;
}
