/*
 * handle_cost: what a job cost (issue 19), recorded at its resolution:
 * structured parts (item, quantity, unit price: the configuration's parts
 * list gives the price of a listed item, an item not listed needs its
 * price), labour minutes (costed at the estate's labour_rate), and a
 * vendor's invoice. The check refuses a cost on any other action, and
 * every absurd value, before anything is written; the apply prices the
 * parts and adds them to the ticket, whose cost_cents is the total. A
 * reopened job resolved again adds its second round to the first: the
 * ticket's cost is what all its work cost. A paid service's fee and
 * charge (fee_cents, charged_cents) are the resident's, and stay apart.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"
#include "handle_impl.h"
#include "xalloc.h"

#define COST_PARTS_MAX 32
#define COST_QUANTITY_MAX 10000
#define COST_UNIT_MAX 10000000LL      /* HK$100,000.00 for one part */
#define COST_INVOICE_MAX 100000000LL  /* HK$1,000,000.00 for one invoice */
#define COST_LABOUR_MAX (7 * 24 * 60) /* a week of one job's labour */

bool handle_has_costs(const Dispatch__Transition *tr)
{
	return tr->n_parts > 0 || tr->labour_minutes > 0 || tr->invoice_cents != 0;
}

static bool handle_item_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

int handle_check_costs(struct handle_ctx *c, const Dispatch__Transition *tr)
{
	if (!handle_has_costs(tr))
		return 0;
	if (tr->action != DISPATCH__ACTION__ACTION_RESOLVE)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID,
				   tr->n_parts          ? "transition.parts"
				   : tr->labour_minutes ? "transition.labour_minutes"
							: "transition.invoice_cents",
				   "parts, labour and an invoice are recorded when the work is resolved, not with %s",
				   tr->action == DISPATCH__ACTION__ACTION_CLOSE ? "a close" : "this action");
	if (tr->n_parts > COST_PARTS_MAX)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.parts",
				   "too many parts (%zu; at most %d on one resolution)", tr->n_parts, COST_PARTS_MAX);
	for (size_t i = 0; i < tr->n_parts; i++) {
		const Dispatch__CostPart *p = tr->parts[i];
		if (!handle_item_ok(p->item))
			return handle_fail(
				c, DISPATCH__STATUS__STATUS_INVALID, "transition.parts",
				"part %zu: an item is 1 to 64 letters, digits, '-', '_' or '.' (e.g. fuse-13a)", i + 1);
		if (p->quantity < 1 || p->quantity > COST_QUANTITY_MAX)
			return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.parts",
					   "part %s: a quantity is a whole number from 1 to %d, not %u", p->item,
					   COST_QUANTITY_MAX, p->quantity);
		if (p->unit_cents < 0 || p->unit_cents > COST_UNIT_MAX)
			return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.parts",
					   "part %s: a unit price is from HK$0.01 to HK$100,000.00", p->item);
		if (p->unit_cents == 0 && config_part_find(c->cfg, p->item) == NULL)
			return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.parts",
					   "part %s is not in the estate's parts list: give its price (ITEM:QTY:PRICE, "
					   "e.g. %s:%u:35.00)",
					   p->item, p->item, p->quantity);
	}
	if (tr->labour_minutes > COST_LABOUR_MAX)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.labour_minutes",
				   "%u minutes of labour on one job is more than a week; give the minutes worked",
				   tr->labour_minutes);
	if (tr->invoice_cents < 0 || tr->invoice_cents > COST_INVOICE_MAX)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.invoice_cents",
				   "an invoice is from HK$0 to HK$1,000,000.00");
	return 0;
}

void handle_apply_costs(struct handle_ctx *c, Dispatch__Ticket *t, const Dispatch__Transition *tr)
{
	int64_t parts = 0;

	t->cost_round_cents = 0; /* this resolution's share: none, unless it carries costs */
	if (!handle_has_costs(tr))
		return;
	t->parts = xrealloc(t->parts, (t->n_parts + tr->n_parts) * sizeof *t->parts);
	for (size_t i = 0; i < tr->n_parts; i++) {
		const Dispatch__CostPart *p = tr->parts[i];
		const struct config_part *listed = config_part_find(c->cfg, p->item);
		Dispatch__CostPart *q = xcalloc(1, sizeof *q);
		dispatch__cost_part__init(q);
		q->item = xstrdup(p->item);
		q->quantity = p->quantity;
		q->unit_cents = p->unit_cents > 0 ? p->unit_cents : listed ? listed->price_cents : 0;
		q->total_cents = (int64_t)q->quantity * q->unit_cents;
		t->parts[t->n_parts++] = q;
	}
	t->labour_minutes += tr->labour_minutes;
	/* costed at the rate in force now, and kept: a later rate does not rewrite the past */
	t->labour_cents += ((int64_t)tr->labour_minutes * c->cfg->labour_rate_cents + 30) / 60;
	t->invoice_cents += tr->invoice_cents;
	for (size_t i = 0; i < t->n_parts; i++)
		parts += t->parts[i]->total_cents;
	t->cost_round_cents = parts + t->labour_cents + t->invoice_cents - t->cost_cents;
	t->cost_cents = parts + t->labour_cents + t->invoice_cents;
}
