/*
 * route: the dispatcher. For a ticket it finds the matching rules (first
 * match wins; a rule with `continue` lets later rules match too, giving one
 * assignment per crew), then chooses the member in each crew, and explains
 * the choice so that the decision can be recorded and shown.
 *
 * Member choice: candidates are working now (shift calendar or duty
 * report), online if the estate requires it, and have the rule's skill.
 * Among them: the ticket's zone first, then the fewest open assignments,
 * then round robin after the member chosen last in that crew.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stdbool.h>

#include "config.h"
#include "dispatch.pb-c.h"
#include "roster.h"
#include "store.h"

#define ROUTE_MAX_ASSIGN 4
#define ROUTE_REASON_MAX 1024

struct route_assignment {
	const struct config_rule *rule; /* borrowed from the config */
	const struct config_crew *crew;
	const struct config_member *member; /* NULL: nobody qualifies; queue */
	int member_index;                   /* in crew->members, or -1 */
	char reason[ROUTE_REASON_MAX];      /* candidates and why the winner won */
	bool escalated;                     /* member is the supervisor, by escalation */
};

struct route_result {
	struct route_assignment a[ROUTE_MAX_ASSIGN];
	unsigned n;
};

/* Does rule r match ticket t at local time now? (No match block: yes.) */
bool route_rule_matches(const config_t *cfg, const struct config_rule *r, const Dispatch__Ticket *t,
			const struct roster_time *now);

/* Route ticket t: the matching rules, and a member for each. Reads loads
 * in txn. When commit is true the round-robin cursors advance (a real
 * dispatch); false for a dry run. Returns 0 or a store error. A valid
 * config ends in a default rule, so n >= 1. */
int route_ticket(const config_t *cfg, store_t *s, MDB_txn *txn, roster_t *roster, const struct roster_time *now,
		 const Dispatch__Ticket *t, bool commit, struct route_result *out);

/* Choose a member of crew for ticket t under rule (the queue drain and
 * reassignment use it too). Members t was moved away from unacknowledged
 * (passed_over) and a complaint's subject (about_member) are never chosen. */
int route_member(const config_t *cfg, store_t *s, MDB_txn *txn, roster_t *roster, const struct roster_time *now,
		 const Dispatch__Ticket *t, const struct config_rule *rule, const struct config_crew *crew, bool commit,
		 struct route_assignment *out);

#endif
