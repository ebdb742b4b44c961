/*
 * dc_cost: parts, labour and a ticket's cost line (dc_cost.h). The daemon
 * checks everything again; these only give the person at the keyboard a
 * usage error before anything is sent.
 */
#include "dc_cost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_words.h"

int dc_cost_part_parse(const char *s, Dispatch__CostPart *p, char *item, size_t size, char *err, size_t errlen)
{
	const char *c1 = strchr(s, ':'), *c2;
	char qty[32], *end;
	unsigned long q;
	size_t n;

	dispatch__cost_part__init(p);
	if (c1 == NULL || c1 == s) {
		snprintf(err, errlen, "--part wants ITEM:QTY or ITEM:QTY:PRICE (e.g. fuse-13a:2), not '%s'", s);
		return -1;
	}
	n = (size_t)(c1 - s);
	if (n >= size) {
		snprintf(err, errlen, "--part: the item of '%s' is too long", s);
		return -1;
	}
	memcpy(item, s, n);
	item[n] = '\0';
	c2 = strchr(c1 + 1, ':');
	n = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
	if (n == 0 || n >= sizeof qty) {
		snprintf(err, errlen, "--part %s: the quantity is a whole number from 1 to 10000", s);
		return -1;
	}
	memcpy(qty, c1 + 1, n);
	qty[n] = '\0';
	errno = 0;
	q = strtoul(qty, &end, 10);
	if (qty[0] < '0' || qty[0] > '9' || *end || errno || q < 1 || q > 10000) {
		snprintf(err, errlen, "--part %s: the quantity is a whole number from 1 to 10000, not '%s'", s, qty);
		return -1;
	}
	p->item = item;
	p->quantity = (uint32_t)q;
	if (c2) {
		if (dc_cents_parse(c2 + 1, &p->unit_cents) != 0 || p->unit_cents <= 0) {
			snprintf(err, errlen,
				 "--part %s: the price is an amount in HK dollars such as 35 or 35.50 (more than 0)",
				 s);
			return -1;
		}
	}
	return 0;
}

int dc_labour_parse(const char *s, uint32_t *minutes)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < 1 || v > 10080)
		return -1;
	*minutes = (uint32_t)v;
	return 0;
}

char *dc_cost_summary(const Dispatch__Ticket *t, char *buf, size_t size)
{
	char a[32], b[32], c[32], d[32];
	int64_t parts = 0;
	size_t used;

	buf[0] = '\0';
	if (t->cost_cents <= 0 && t->n_parts == 0 && t->labour_minutes == 0 && t->invoice_cents == 0)
		return buf;
	for (size_t i = 0; i < t->n_parts; i++)
		parts += t->parts[i]->total_cents;
	used = (size_t)snprintf(buf, size, "%s (", dc_format_cents(t->cost_cents, a, sizeof a));
	if (used < size && t->n_parts)
		used += (size_t)snprintf(buf + used, size - used, "parts %s", dc_format_cents(parts, b, sizeof b));
	if (used < size && t->labour_minutes)
		used += (size_t)snprintf(buf + used, size - used, "%slabour %u min %s", t->n_parts ? ", " : "",
					 t->labour_minutes, dc_format_cents(t->labour_cents, c, sizeof c));
	if (used < size && t->invoice_cents)
		used += (size_t)snprintf(buf + used, size - used, "%sinvoice %s",
					 t->n_parts || t->labour_minutes ? ", " : "",
					 dc_format_cents(t->invoice_cents, d, sizeof d));
	if (used < size)
		snprintf(buf + used, size - used, ")");
	return buf;
}
