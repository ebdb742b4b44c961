/* route: rule matching and member choice (see route.h). */
#include "route.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static bool route_in_strings(char **v, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

bool route_rule_matches(const config_t *cfg, const struct config_rule *r, const Dispatch__Ticket *t,
			const struct roster_time *now)
{
	const struct config_match *m = r->match;
	char building[64];
	const char *zone;
	bool hit;

	if (m == NULL)
		return true;
	if (m->kinds_count) {
		hit = false;
		for (unsigned i = 0; i < m->kinds_count && !hit; i++)
			hit = m->kinds[i] == (int)t->kind;
		if (!hit)
			return false;
	}
	if (m->categories_count && !route_in_strings(m->categories, m->categories_count, t->category))
		return false;
	if (m->tags_count) {
		hit = false;
		for (size_t i = 0; i < t->n_tags && !hit; i++)
			hit = route_in_strings(m->tags, m->tags_count, t->tags[i]);
		if (!hit)
			return false;
	}
	config_unit_building(t->unit, building, sizeof building);
	if (m->buildings_count && !route_in_strings(m->buildings, m->buildings_count, building))
		return false;
	if (m->zones_count) {
		zone = config_zone_of(cfg, building);
		if (zone == NULL || !route_in_strings(m->zones, m->zones_count, zone))
			return false;
	}
	if (m->units_count) {
		hit = false;
		for (unsigned i = 0; i < m->units_count && !hit; i++)
			hit = config_glob(m->units[i], t->unit);
		if (!hit)
			return false;
	}
	if (m->sources_count) {
		hit = false;
		for (unsigned i = 0; i < m->sources_count && !hit; i++)
			hit = m->sources[i] == (int)t->source;
		if (!hit)
			return false;
	}
	if (m->priorities_count) {
		hit = false;
		for (unsigned i = 0; i < m->priorities_count && !hit; i++)
			hit = m->priorities[i] == t->priority;
		if (!hit)
			return false;
	}
	if (m->win.set || m->days) {
		/* A window across midnight belongs to the day it starts on. */
		unsigned days = m->days ? m->days : CONFIG_ALL_DAYS;
		int day = now->wday;
		if (!config_window_contains(&m->win, now->minute))
			return false;
		if (m->win.set && m->win.from > m->win.to && now->minute < m->win.to)
			day = (day + 6) % 7;
		if ((days & CONFIG_DAY(day)) == 0)
			return false;
	}
	return true;
}

/* The reason is built on every routing decision, so it is appended
 * piece by piece rather than through printf: a bounded string, cut short
 * (never overrun) when a crew is very large. */
static void route_put(char *buf, size_t *used, const char *str)
{
	size_t n = strlen(str);

	if (n > ROUTE_REASON_MAX - 1 - *used)
		n = ROUTE_REASON_MAX - 1 - *used;
	memcpy(buf + *used, str, n);
	*used += n;
	buf[*used] = '\0';
}

static void route_put_uint(char *buf, size_t *used, unsigned v)
{
	char digits[16];
	size_t i = sizeof digits;

	digits[--i] = '\0';
	do
		digits[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && i > 0);
	route_put(buf, used, digits + i);
}

static bool route_excluded(const Dispatch__Ticket *t, const char *member)
{
	if (t->about_member && strcmp(t->about_member, member) == 0)
		return true;
	for (size_t i = 0; i < t->n_passed_over; i++)
		if (strcmp(t->passed_over[i], member) == 0)
			return true;
	return false;
}

/* Issue 19: is m on shift for every minute of [from_ms, to_ms)? (A
 * window is at most a day: at most 1440 looks.) */
static bool route_covers(const struct config_member *m, int64_t from_ms, int64_t to_ms)
{
	if (m->shifts_count == 0)
		return true;
	for (int64_t at = from_ms; at < to_ms; at += 60 * 1000) {
		struct roster_time rt;
		roster_time(at, &rt);
		if (!roster_on_shift(m, &rt))
			return false;
	}
	return true;
}

int route_member(const config_t *cfg, store_t *s, MDB_txn *txn, roster_t *roster, const struct roster_time *now,
		 const Dispatch__Ticket *t, const struct config_rule *rule, const struct config_crew *crew, bool commit,
		 struct route_assignment *out)
{
	char building[64], detail[ROUTE_REASON_MAX];
	const char *zone;
	bool require_online = cfg->presence && cfg->presence->require_online;
	unsigned window = cfg->presence ? cfg->presence->online_window : 90;
	unsigned best_open = UINT_MAX, nqual = 0;
	bool best_zone = false;
	int best = -1, rr = roster_rr_last(roster, crew->id);
	size_t dused = 0, used = 0;
	int rc;

	out->rule = rule;
	out->crew = crew;
	out->member = NULL;
	out->member_index = -1;
	out->escalated = false;
	out->reason[0] = detail[0] = '\0';
	config_unit_building(t->unit, building, sizeof building);
	zone = config_zone_of(cfg, building);

	for (unsigned i = 0; i < crew->members_count; i++) {
		const struct config_member *m = &crew->members[i];
		bool in_zone = zone && m->zone && strcmp(zone, m->zone) == 0;
		unsigned open;

		if (dused)
			route_put(detail, &dused, "; ");
		route_put(detail, &dused, m->id);
		route_put(detail, &dused, ": ");
		if (route_excluded(t, m->id)) {
			route_put(detail, &dused,
				  strcmp(t->about_member, m->id) == 0 ? "complained about" : "passed over");
			continue;
		}
		if (t->visit_to_ms > t->visit_from_ms && t->visit_from_ms > 0) {
			/* issue 19: a visit booked with the resident goes to a
			 * member on shift for the whole of its window */
			if (roster_duty(roster, m->id) == ROSTER_DUTY_OFF) {
				route_put(detail, &dused, "off duty");
				continue;
			}
			if (!route_covers(m, t->visit_from_ms, t->visit_to_ms)) {
				route_put(detail, &dused, "shift does not cover the visit");
				continue;
			}
		} else if (!roster_working(roster, m, now)) {
			route_put(detail, &dused,
				  roster_duty(roster, m->id) == ROSTER_DUTY_OFF ? "off duty" : "off shift");
			continue;
		}
		/* an outside provider is reached by phone: it has no handheld to be online with */
		if (require_online && !crew->outsourced && !roster_online(roster, m->id, now->now_ms, window)) {
			route_put(detail, &dused, "offline");
			continue;
		}
		if (rule->skill && !config_member_has_skill(m, rule->skill)) {
			route_put(detail, &dused, "lacks skill ");
			route_put(detail, &dused, rule->skill);
			continue;
		}
		if ((rc = store_open_count(s, txn, m->id, &open)) != 0)
			return rc;
		nqual++;
		/* what every qualified member shares is said once, below */
		if (in_zone)
			route_put(detail, &dused, "in zone, ");
		route_put_uint(detail, &dused, open);
		route_put(detail, &dused, " open");
		/* Better: in the ticket's zone, then fewer open, then the first
		 * after the round-robin cursor (members after it come first). */
		if (best < 0 || (in_zone && !best_zone) ||
		    (in_zone == best_zone && (open < best_open || (open == best_open && best <= rr && (int)i > rr)))) {
			best = (int)i;
			best_open = open;
			best_zone = in_zone;
		}
	}
	if (best >= 0) {
		out->member = &crew->members[best];
		out->member_index = best;
		route_put(out->reason, &used, out->member->id);
		route_put(out->reason, &used, best_zone ? " chosen (in zone, " : " chosen (");
		route_put_uint(out->reason, &used, best_open);
		route_put(out->reason, &used, nqual > 1 ? " open, then round robin) among " : " open) among ");
		route_put_uint(out->reason, &used, nqual);
		route_put(out->reason, &used, " qualified of ");
		route_put_uint(out->reason, &used, crew->members_count);
		route_put(out->reason, &used, " in ");
		route_put(out->reason, &used, crew->id);
		if (commit)
			roster_rr_set(roster, crew->id, best);
	} else {
		route_put(out->reason, &used, "nobody in ");
		route_put(out->reason, &used, crew->id);
		route_put(out->reason, &used, " qualifies now; queued for the crew");
	}
	/* qualified: on shift (or on duty), online if required, with the skill */
	route_put(out->reason, &used,
		  require_online && !crew->outsourced ? " (qualified: on shift, online" : " (qualified: on shift");
	if (require_online && crew->outsourced)
		route_put(out->reason, &used, "; an outside provider, reached by phone, needs no handheld");
	if (rule->skill) {
		route_put(out->reason, &used, ", skill ");
		route_put(out->reason, &used, rule->skill);
	}
	if (zone) {
		route_put(out->reason, &used, "; zone ");
		route_put(out->reason, &used, zone);
	}
	route_put(out->reason, &used, "). ");
	route_put(out->reason, &used, detail);
	return 0;
}

int route_ticket(const config_t *cfg, store_t *s, MDB_txn *txn, roster_t *roster, const struct roster_time *now,
		 const Dispatch__Ticket *t, bool commit, struct route_result *out)
{
	int rc;

	out->n = 0;
	for (unsigned i = 0; i < cfg->rules_count && out->n < ROUTE_MAX_ASSIGN; i++) {
		const struct config_rule *r = &cfg->rules[i];
		const struct config_crew *crew;
		bool dup = false;

		if (!route_rule_matches(cfg, r, t, now))
			continue;
		crew = config_crew(cfg, r->crew);
		if (crew == NULL) /* config_check() guarantees otherwise */
			continue;
		/* One assignment per crew: a later rule for the same crew adds nothing. */
		for (unsigned k = 0; k < out->n; k++)
			dup = dup || out->a[k].crew == crew;
		if (!dup) {
			if ((rc = route_member(cfg, s, txn, roster, now, t, r, crew, commit, &out->a[out->n])) != 0)
				return rc;
			out->n++;
		}
		if (!r->cont)
			break;
	}
	return 0;
}
