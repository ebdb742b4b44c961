/* plan: planned work, schedules expanded by libical (see plan.h). */
#include "plan.h"

#include <ctype.h>
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "handle_impl.h"
#include "log.h"
#include "publish.h"
#include "route.h"
#include "store.h"
#include "xalloc.h"

#define PLAN_SCAN_MAX 200000 /* occurrences one expansion walks at most (an hourly rule: 20 years) */

struct plan_timer {
	struct ev_loop *loop; /* NULL: no timer */
	ev_timer timer;
	void (*wake)(void *arg);
	void *arg;
	int64_t next_due; /* the earliest next occurrence (0: none; -1: look at the next batch) */
};

const struct config_schedule *config_schedule(const config_t *cfg, const char *id)
{
	if (id == NULL)
		return NULL;
	for (unsigned i = 0; i < cfg->schedules_count; i++)
		if (strcmp(cfg->schedules[i].id, id) == 0)
			return &cfg->schedules[i];
	return NULL;
}

/* ---- the rule ------------------------------------------------------------ */

static struct icaltimetype plan_ical(const int tmv[5])
{
	struct icaltimetype t = icaltime_null_time();

	t.year = tmv[0];
	t.month = tmv[1];
	t.day = tmv[2];
	t.hour = tmv[3];
	t.minute = tmv[4];
	t.is_date = 0;
	return t;
}

/* A floating local time as unix ms, in the estate's zone (TZ). */
static int64_t plan_ms(struct icaltimetype t)
{
	struct tm tm = { .tm_year = t.year - 1900,
			 .tm_mon = t.month - 1,
			 .tm_mday = t.day,
			 .tm_hour = t.hour,
			 .tm_min = t.minute,
			 .tm_sec = t.second,
			 .tm_isdst = -1 };

	return (int64_t)mktime(&tm) * 1000;
}

static icalrecur_iterator *plan_iter(const struct config_schedule *s)
{
	struct icalrecurrencetype r;

	icalerror_set_errors_are_fatal(0);
	icalerror_clear_errno();
	r = icalrecurrencetype_from_string(s->rrule);
	if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR)
		return NULL;
	return icalrecur_iterator_new(r, plan_ical(s->start_tm));
}

static uint64_t plan_digest(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = a; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ '\n') * 1099511628211ull;
	for (const char *p = b; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h ? h : 1;
}

/* "YYYY-MM-DDTHH:MM" (seconds, if given, must be :00). */
static int plan_parse_start(const char *s, int tmv[5])
{
	static const char shape[] = "dddd-dd-ddTdd:dd";
	size_t n = strlen(s);

	if (n != 16 && !(n == 19 && strcmp(s + 16, ":00") == 0))
		return -1;
	for (int i = 0; i < 16; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return -1;
	tmv[0] = atoi(s);
	tmv[1] = atoi(s + 5);
	tmv[2] = atoi(s + 8);
	tmv[3] = atoi(s + 11);
	tmv[4] = atoi(s + 14);
	if (tmv[0] < 1970 || tmv[0] > 2200 || tmv[1] < 1 || tmv[1] > 12 || tmv[2] < 1 || tmv[3] > 23 || tmv[4] > 59)
		return -1;
	{
		static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		bool leap = (tmv[0] % 4 == 0 && tmv[0] % 100 != 0) || tmv[0] % 400 == 0;
		if (tmv[2] > mdays[tmv[1] - 1] || (tmv[1] == 2 && tmv[2] == 29 && !leap))
			return -1;
	}
	return 0;
}

int plan_check(struct config_schedule *s, char *why, size_t len, const char **which)
{
	struct icalrecurrencetype r;
	icalrecur_iterator *it;
	struct icaltimetype first;

	*which = "start";
	if (s->start == NULL || plan_parse_start(s->start, s->start_tm) != 0) {
		snprintf(why, len,
			 "expected the first occurrence as local YYYY-MM-DDTHH:MM (e.g. 2026-01-05T10:00), not '%s'",
			 s->start ? s->start : "");
		return -1;
	}
	*which = "rrule";
	icalerror_set_errors_are_fatal(0);
	icalerror_clear_errno();
	if (strncmp(s->rrule, "RRULE:", 6) == 0)
		memmove(s->rrule, s->rrule + 6, strlen(s->rrule + 6) + 1);
	r = icalrecurrencetype_from_string(s->rrule);
	if (strstr(s->rrule, "FREQ=") == NULL) {
		snprintf(why, len, "the rule '%s' has no FREQ (e.g. FREQ=MONTHLY;BYDAY=1MO)", s->rrule);
		return -1;
	}
	if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
		snprintf(why, len, "'%s' is not an iCalendar RRULE (RFC 5545; e.g. FREQ=MONTHLY;BYDAY=1MO)", s->rrule);
		return -1;
	}
	if (r.freq == ICAL_SECONDLY_RECURRENCE || r.freq == ICAL_MINUTELY_RECURRENCE) {
		snprintf(why, len, "planned work repeats at most hourly (FREQ=HOURLY), not %s",
			 icalrecur_freq_to_string(r.freq));
		return -1;
	}
	if ((it = icalrecur_iterator_new(r, plan_ical(s->start_tm))) == NULL) {
		snprintf(why, len, "the rule '%s' cannot be expanded from %s (an impossible date?)", s->rrule,
			 s->start);
		return -1;
	}
	first = icalrecur_iterator_next(it);
	icalrecur_iterator_free(it);
	if (icaltime_is_null_time(first)) {
		snprintf(why, len, "the rule '%s' has no occurrence from %s on", s->rrule, s->start);
		return -1;
	}
	s->digest = plan_digest(s->rrule, s->start);
	return 0;
}

unsigned plan_occurrences(const struct config_schedule *s, int64_t after_ms, int64_t upto_ms, int64_t *out,
			  unsigned max, bool latest)
{
	icalrecur_iterator *it = plan_iter(s);
	unsigned n = 0;

	if (it == NULL)
		return 0;
	for (int i = 0; i < PLAN_SCAN_MAX; i++) {
		struct icaltimetype t = icalrecur_iterator_next(it);
		int64_t ms;
		if (icaltime_is_null_time(t) || (ms = plan_ms(t)) > upto_ms)
			break;
		if (ms <= after_ms)
			continue;
		if (n < max)
			out[n] = ms;
		else if (latest && max > 0) {
			memmove(out, out + 1, (max - 1) * sizeof *out);
			out[max - 1] = ms;
		}
		n++;
	}
	icalrecur_iterator_free(it);
	return n;
}

int64_t plan_next(const struct config_schedule *s, int64_t after_ms)
{
	icalrecur_iterator *it = plan_iter(s);
	int64_t next = 0;

	if (it == NULL)
		return 0;
	for (int i = 0; i < PLAN_SCAN_MAX; i++) {
		struct icaltimetype t = icalrecur_iterator_next(it);
		int64_t ms;
		if (icaltime_is_null_time(t))
			break;
		if ((ms = plan_ms(t)) > after_ms) {
			next = ms;
			break;
		}
	}
	icalrecur_iterator_free(it);
	return next;
}

/* ---- the tickets --------------------------------------------------------- */

/* Is asset a one of s's targets (by id or pattern, or by kind)? */
static bool plan_has_asset(const struct config_schedule *s, const struct config_asset *a)
{
	for (unsigned i = 0; i < s->assets_count; i++)
		if (config_asset_matches(a, s->assets[i], NULL, NULL, NULL))
			return true;
	for (unsigned i = 0; i < s->asset_kinds_count; i++)
		if (config_asset_matches(a, NULL, s->asset_kinds[i], NULL, NULL))
			return true;
	return false;
}

/* How many tickets one occurrence of s creates. */
static unsigned plan_targets(const config_t *cfg, const struct config_schedule *s)
{
	unsigned n = s->units_count + s->buildings_count;

	for (unsigned i = 0; i < cfg->assets_count; i++)
		n += plan_has_asset(s, &cfg->assets[i]);
	return n;
}

/* One planned ticket for target (a unit, or a building: then its unit is
 * the building; or asset: at its unit, building or zone) of s's
 * occurrence at occ_ms, recorded and routed. */
static int plan_create(struct handle_ctx *c, const struct config_schedule *s, const char *target, bool building,
		       const struct config_asset *asset, int64_t occ_ms)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT, *tk;
	Dispatch__Event ev;
	char bld[64], when[32], note[256], text[160];
	const char *zone;
	struct tm tm;
	time_t secs = (time_t)(occ_ms / 1000);
	int rc;

	localtime_r(&secs, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
	snprintf(text, sizeof text, "planned work: %s", s->id);
	t.kind = s->kind ? s->kind : DISPATCH__KIND__KIND_REPAIR;
	t.unit = (char *)target;
	t.text = s->text ? s->text : text;
	t.category = s->category ? s->category : (char *)"";
	t.priority = s->priority;
	t.created_ms = c->now;
	t.planned = true;
	t.schedule = s->id;
	t.planned_for_ms = occ_ms;
	t.target = (char *)target;
	if (asset) {
		t.asset = asset->id;
		t.unit = asset->unit ? asset->unit : asset->in_building[0] ? (char *)asset->in_building : asset->id;
		snprintf(bld, sizeof bld, "%s", asset->in_building);
	} else if (building)
		snprintf(bld, sizeof bld, "%s", target);
	else
		config_unit_building(target, bld, sizeof bld);
	zone = asset && asset->in_zone ? asset->in_zone : config_zone_of(c->cfg, bld);
	t.building = bld;
	t.zone = (char *)(zone ? zone : "");
	tk = handle_own(c, &t);
	if ((rc = store_next_ticket_id(c->store, c->txn, &tk->id)) != 0)
		return handle_store_fail(c, rc);
	handle_system_event(&ev, DISPATCH__EVENT_TYPE__EVENT_SUBMITTED);
	snprintf(note, sizeof note, "planned: schedule %s, occurrence %s, %s %s", s->id, when,
		 asset      ? "asset"
		 : building ? "building"
			    : "unit",
		 target);
	ev.note = arena_strdup(c->a, note);
	if (handle_record(c, tk, DISPATCH__STATE__STATE_NEW, &ev, NULL, NULL) != 0)
		return -1;
	if (s->crew) {
		const struct config_crew *crew = config_crew(c->cfg, s->crew);
		struct route_assignment a;
		if (crew == NULL)
			return handle_fail(c, DISPATCH__STATUS__STATUS_INTERNAL, NULL, "no crew %s", s->crew);
		if ((rc = route_member(c->cfg, c->store, c->txn, c->roster, &c->rt, tk, &s->rule, crew, true, &a)) != 0)
			return handle_store_fail(c, rc);
		return handle_assign(c, tk, &a);
	}
	return handle_dispatch(c, tk);
}

static void plan_key(char *buf, size_t len, const char *prefix, const char *id)
{
	snprintf(buf, len, "%s%s", prefix, id);
}

/* ---- the timer ----------------------------------------------------------- */

static void plan_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	plan_timer_t *p = w->data;

	(void)loop, (void)revents;
	p->wake(p->arg);
}

plan_timer_t *plan_timer_new(struct ev_loop *loop, void (*wake)(void *arg), void *arg)
{
	plan_timer_t *p = xcalloc(1, sizeof *p);

	p->loop = loop;
	p->wake = wake;
	p->arg = arg;
	p->next_due = -1;
	if (loop) {
		ev_timer_init(&p->timer, plan_timer_cb, 0.0, 0.0);
		p->timer.data = p;
		ev_timer_start(loop, &p->timer);
	}
	return p;
}

void plan_timer_destroy(plan_timer_t **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	if ((*pp)->loop)
		ev_timer_stop((*pp)->loop, &(*pp)->timer);
	free(*pp);
	*pp = NULL;
}

void plan_timer_reset(plan_timer_t *p)
{
	if (p == NULL)
		return;
	p->next_due = -1;
	if (p->loop) {
		ev_timer_stop(p->loop, &p->timer);
		ev_timer_set(&p->timer, 0.0, 0.0);
		ev_timer_start(p->loop, &p->timer);
	}
}

void plan_timer_arm(plan_timer_t *p)
{
	double after;

	if (p == NULL || p->loop == NULL)
		return;
	ev_timer_stop(p->loop, &p->timer);
	if (p->next_due == 0)
		return;
	after = p->next_due < 0 ? 1.0 : clock_seconds_until(p->next_due) + 0.001;
	ev_timer_set(&p->timer, after, 0.0);
	ev_timer_start(p->loop, &p->timer);
}

/* One schedule's due occurrences, each with its tickets and the mark in a
 * child transaction of its own. *made counts the tickets; returns 0, or
 * -1 when one failed (tried again at the next pass). */
static int plan_schedule(const struct handle_ctx *base, MDB_txn *batch_txn, const struct config_schedule *s,
			 int64_t now, unsigned *made, int64_t *next, bool *map_full)
{
	Dispatch__Reply rep = DISPATCH__REPLY__INIT;
	struct handle_ctx c = *base;
	char key[96], dkey[96];
	uint64_t mark = 0, digest = 0;
	int64_t occ[PLAN_CATCHUP_MAX];
	unsigned n, targets = plan_targets(base->cfg, s);
	int rc;

	c.rep = &rep;
	c.role = DISPATCH__ROLE__ROLE_SYSTEM;
	c.actor = PLAN_ACTOR;
	c.now = now;
	roster_time(now, &c.rt);
	plan_key(key, sizeof key, "plan/", s->id);
	plan_key(dkey, sizeof dkey, "plan#/", s->id);
	if ((rc = store_plan_mark(base->store, batch_txn, key, &mark)) != 0 ||
	    (rc = store_plan_mark(base->store, batch_txn, dkey, &digest)) != 0) {
		log_warn("schedule %s: its mark cannot be read: %s", s->id, store_strerror(rc));
		return -1;
	}
	if (mark == 0 || digest != s->digest) {
		/* first seen, or its timing changed: it counts from now */
		if (mark != 0)
			log_notice("schedule %s changed: its occurrences count from now", s->id);
		if ((int64_t)mark < now)
			mark = (uint64_t)now;
		if ((rc = store_plan_set_mark(base->store, batch_txn, key, mark)) != 0 ||
		    (rc = store_plan_set_mark(base->store, batch_txn, dkey, s->digest)) != 0) {
			if (rc == MDB_MAP_FULL)
				*map_full = true;
			return -1;
		}
	}
	n = plan_occurrences(s, (int64_t)mark, now, occ, PLAN_CATCHUP_MAX, true);
	if (n > PLAN_CATCHUP_MAX) {
		char from[32];
		time_t secs = (time_t)((int64_t)mark / 1000);
		struct tm tm;
		localtime_r(&secs, &tm);
		strftime(from, sizeof from, "%Y-%m-%d %H:%M", &tm);
		log_notice("schedule %s: %u occurrences missed since %s; creating the latest %d, skipping %u", s->id, n,
			   from, PLAN_CATCHUP_MAX, n - PLAN_CATCHUP_MAX);
		n = PLAN_CATCHUP_MAX;
	}
	for (unsigned k = 0; k < n; k++) {
		size_t outmark = c.out->n;
		if (*made + targets > PLAN_TICKETS_PER_PASS && *made > 0) {
			*next = now; /* the rest at the next pass */
			return 0;
		}
		arena_reset(c.a);
		dispatch__reply__init(&rep);
		if ((rc = store_txn_begin(c.store, batch_txn, 0, &c.txn)) != 0)
			return -1;
		for (unsigned i = 0; i < c.cfg->assets_count && rc == 0; i++)
			if (plan_has_asset(s, &c.cfg->assets[i]))
				rc = plan_create(&c, s, c.cfg->assets[i].id, false, &c.cfg->assets[i], occ[k]);
		for (unsigned u = 0; u < s->units_count && rc == 0; u++)
			rc = plan_create(&c, s, s->units[u], false, NULL, occ[k]);
		for (unsigned b = 0; b < s->buildings_count && rc == 0; b++)
			rc = plan_create(&c, s, s->buildings[b], true, NULL, occ[k]);
		if (rc == 0)
			rc = store_plan_set_mark(c.store, c.txn, key, (uint64_t)occ[k]);
		if (rc == 0)
			rc = store_txn_commit(c.txn);
		else
			store_txn_abort(c.txn);
		c.txn = NULL;
		if (rc != 0) {
			if (c.store_rc == MDB_MAP_FULL || rc == MDB_MAP_FULL)
				*map_full = true;
			log_warn("schedule %s: occurrence not created: %s", s->id,
				 rep.message ? rep.message : store_strerror(rc));
			publish_outbox_drop(c.out, outmark);
			arena_reset(c.a);
			return -1;
		}
		*made += targets;
		log_info("schedule %s: %u planned ticket(s) created", s->id, targets);
	}
	arena_reset(c.a);
	{
		int64_t nx = plan_next(s, now > (int64_t)mark ? now : (int64_t)mark);
		if (nx > 0 && (*next == 0 || nx < *next))
			*next = nx;
	}
	return 0;
}

void plan_run(plan_timer_t *p, const struct handle_ctx *base, MDB_txn *batch_txn, bool *map_full)
{
	int64_t now = clock_now_ms(), next = 0;
	unsigned made = 0;
	bool failed = false;

	if (p == NULL || base->cfg->schedules_count == 0) {
		if (p)
			p->next_due = 0;
		return;
	}
	if (p->next_due == 0 || (p->next_due > 0 && p->next_due > now))
		return;
	for (unsigned i = 0; i < base->cfg->schedules_count; i++)
		if (plan_schedule(base, batch_txn, &base->cfg->schedules[i], now, &made, &next, map_full) != 0)
			failed = true;
	p->next_due = failed ? -1 : next;
}
