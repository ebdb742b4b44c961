/*
 * dc_cost: what a job cost, as people type and read it (issue 19): a part
 * "ITEM:QTY[:PRICE]" (dispatch-crew resolve --part, the desk's too), labour
 * minutes, and a ticket's costs in one line. Part of libdispatchclient.
 */
#ifndef DC_COST_H
#define DC_COST_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch.pb-c.h"

/* Parse "ITEM:QTY" or "ITEM:QTY:PRICE" (PRICE in HK$: 35, 35.50) into p,
 * whose item points into item (a copy of ITEM, size bytes). 0, or -1 with
 * why in err (for the usage line). */
int dc_cost_part_parse(const char *s, Dispatch__CostPart *p, char *item, size_t size, char *err, size_t errlen);
/* Parse labour minutes, 1..10080 ("90"); -1 if bad. */
int dc_labour_parse(const char *s, uint32_t *minutes);
/* "HK$1,562.50 (parts HK$25.00, labour 90 min HK$270.00, invoice HK$1,267.50)"
 * or "" when the ticket records no cost. Returns buf. */
char *dc_cost_summary(const Dispatch__Ticket *t, char *buf, size_t size);

#endif
