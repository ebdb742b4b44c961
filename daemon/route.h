/*
 * route: the dispatcher. Picks the rule, the crew and the member for a
 * ticket, and says why, so every routing decision can be recorded.
 *
 * First step (issue 2): rules match on kind; first match wins; the member
 * is the crew member with the fewest open assignments, ties in config
 * order. Issue 3 deepens matching and member choice behind this interface.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include "config.h"
#include "dispatch.pb-c.h"
#include "store.h"

enum { ROUTE_NOMATCH = -20 };

struct route_decision {
	const struct config_rule *rule;      /* borrowed from the config */
	const struct config_crew *crew;
	const struct config_member *member;  /* NULL: nobody can take it, queue */
	char reason[256];                    /* why this member, for the record */
};

/* Decide for ticket t, reading current loads in txn. Returns 0,
 * ROUTE_NOMATCH when no rule matches, or a store error. */
int route_ticket(const config_t *cfg, store_t *s, MDB_txn *txn, const Dispatch__Ticket *t,
		 struct route_decision *out);

#endif
