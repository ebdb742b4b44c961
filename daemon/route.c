/* route: rule matching and member choice (see route.h). */
#include "route.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

static bool route_rule_matches(const struct config_rule *r, const Dispatch__Ticket *t)
{
	if (r->kinds_count == 0)
		return true;
	for (unsigned i = 0; i < r->kinds_count; i++)
		if (r->kinds[i] == (int)t->kind)
			return true;
	return false;
}

int route_ticket(const config_t *cfg, store_t *s, MDB_txn *txn, const Dispatch__Ticket *t,
		 struct route_decision *out)
{
	const struct config_rule *rule = NULL;
	unsigned best_open = UINT_MAX, candidates = 0;
	int rc;

	out->rule = NULL;
	out->crew = NULL;
	out->member = NULL;
	out->reason[0] = '\0';
	for (unsigned i = 0; i < cfg->rules_count && rule == NULL; i++)
		if (route_rule_matches(&cfg->rules[i], t))
			rule = &cfg->rules[i];
	if (rule == NULL)
		return ROUTE_NOMATCH;
	out->rule = rule;
	out->crew = config_crew(cfg, rule->crew);
	if (out->crew == NULL) /* config_check() guarantees this */
		return ROUTE_NOMATCH;

	for (unsigned i = 0; i < out->crew->members_count; i++) {
		const struct config_member *m = &out->crew->members[i];
		unsigned open;
		if ((rc = store_open_count(s, txn, m->id, &open)) != 0)
			return rc;
		candidates++;
		if (open < best_open) {
			best_open = open;
			out->member = m;
		}
	}
	if (out->member)
		snprintf(out->reason, sizeof out->reason,
			 "fewest open assignments (%u) among %u member(s) of %s", best_open, candidates,
			 out->crew->id);
	else
		snprintf(out->reason, sizeof out->reason, "no member of %s can take it; queued for the crew",
			 out->crew->id);
	return 0;
}
