/* route: rule matching and member choice (see route.h). */
#include "route.h"

#include <limits.h>
#include <stdarg.h>
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

/* Append to a bounded reason string. */
static void route_say(char *buf, size_t *used, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void route_say(char *buf, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= ROUTE_REASON_MAX - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, ROUTE_REASON_MAX - *used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*used += (size_t)n < ROUTE_REASON_MAX - *used ? (size_t)n : ROUTE_REASON_MAX - 1 - *used;
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

		route_say(detail, &dused, "%s%s: ", dused ? "; " : "", m->id);
		if (route_excluded(t, m->id)) {
			route_say(detail, &dused, "%s", strcmp(t->about_member, m->id) == 0 ? "complained about" : "passed over");
			continue;
		}
		if (!roster_working(roster, m, now)) {
			route_say(detail, &dused, "%s",
				  roster_duty(roster, m->id) == ROSTER_DUTY_OFF ? "off duty" : "off shift");
			continue;
		}
		if (require_online && !roster_online(roster, m->id, now->now_ms, window)) {
			route_say(detail, &dused, "offline");
			continue;
		}
		if (rule->skill && !config_member_has_skill(m, rule->skill)) {
			route_say(detail, &dused, "on shift, lacks skill %s", rule->skill);
			continue;
		}
		if ((rc = store_open_count(s, txn, m->id, &open)) != 0)
			return rc;
		nqual++;
		route_say(detail, &dused, "on shift%s%s%s%s%s, %u open", require_online ? ", online" : "",
			  rule->skill ? ", skill " : "", rule->skill ? rule->skill : "", in_zone ? ", zone " : "",
			  in_zone ? zone : "", open);
		/* Better: in the ticket's zone, then fewer open, then the first
		 * after the round-robin cursor (members after it come first). */
		if (best < 0 || (in_zone && !best_zone) ||
		    (in_zone == best_zone &&
		     (open < best_open || (open == best_open && best <= rr && (int)i > rr)))) {
			best = (int)i;
			best_open = open;
			best_zone = in_zone;
		}
	}
	if (best >= 0) {
		out->member = &crew->members[best];
		out->member_index = best;
		route_say(out->reason, &used, "%s chosen (%s%u open%s) among %u qualified of %u in %s. ", out->member->id,
			  best_zone ? "in zone, " : "", best_open, nqual > 1 ? ", then round robin" : "", nqual,
			  crew->members_count, crew->id);
		if (commit)
			roster_rr_set(roster, crew->id, best);
	} else {
		route_say(out->reason, &used, "nobody in %s qualifies now; queued for the crew. ", crew->id);
	}
	route_say(out->reason, &used, "%s", detail);
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
