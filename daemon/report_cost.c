/*
 * report_cost: what the work cost, and the repeat failures per asset, in
 * the management review (issue 19; report_review.c calls in here). The
 * cost of a ticket is what all its work cost (Ticket.cost_cents: parts,
 * labour and invoices, a reopened job's rounds added up); the review sums
 * the tickets reported in its period by crew (the one that held it last),
 * kind, building, asset and vendor, beside the totals. A repeat failure is
 * an asset named by REPORT_REPEAT_MIN or more repair tickets in the
 * period, listed beside the repeat problems per unit.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report_impl.h"
#include "xalloc.h"

/* The daily report's share of a ticket: what its resolution that day added. */
static bool cost_round;

static void cost_add(struct review_cost *c, const Dispatch__Ticket *t)
{
	int64_t parts = 0;

	if (cost_round) {
		c->n++;
		c->cents += t->cost_round_cents;
		return;
	}
	for (size_t i = 0; i < t->n_parts; i++)
		parts += t->parts[i]->total_cents;
	c->n++;
	c->cents += t->cost_cents;
	c->parts += parts;
	c->labour += t->labour_cents;
	c->invoice += t->invoice_cents;
	c->minutes += t->labour_minutes;
}

static size_t cost_hash(const char *k)
{
	size_t h = 1469598103934665603ULL;
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211ULL;
	return h;
}

static void cost_rehash(struct review_costs *cs)
{
	free(cs->slot);
	cs->nslot = cs->nslot ? cs->nslot * 2 : 64;
	cs->slot = xcalloc(cs->nslot, sizeof *cs->slot);
	for (size_t i = 0; i < cs->n; i++) {
		size_t h = cost_hash(cs->v[i].key) & (cs->nslot - 1);
		while (cs->slot[h])
			h = (h + 1) & (cs->nslot - 1);
		cs->slot[h] = i + 1;
	}
}

static void cost_count(struct review_costs *cs, const char *key, const Dispatch__Ticket *t)
{
	size_t h;

	if (cs->nslot < 2 * (cs->n + 1))
		cost_rehash(cs);
	for (h = cost_hash(key) & (cs->nslot - 1); cs->slot[h]; h = (h + 1) & (cs->nslot - 1))
		if (strcmp(cs->v[cs->slot[h] - 1].key, key) == 0) {
			cost_add(&cs->v[cs->slot[h] - 1], t);
			return;
		}
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? 2 * cs->cap : 32;
		cs->v = xrealloc(cs->v, cs->cap * sizeof *cs->v);
	}
	memset(&cs->v[cs->n], 0, sizeof cs->v[0]);
	cs->v[cs->n].key = xstrdup(key);
	cost_add(&cs->v[cs->n], t);
	cs->slot[h] = ++cs->n;
}

void review_cost_ticket(struct review_costing *k, const Dispatch__Ticket *t)
{
	char kind[32];

	if (t->asset[0] && t->kind == DISPATCH__KIND__KIND_REPAIR) {
		if (k->npairs == k->cappairs) {
			k->cappairs = k->cappairs ? 2 * k->cappairs : 1024;
			k->pairs = xrealloc(k->pairs, k->cappairs * sizeof *k->pairs);
		}
		k->pairs[k->npairs].key = xstrdup(t->asset);
		k->pairs[k->npairs++].id = t->id;
	}
	if (t->cost_cents <= 0 && t->n_parts == 0 && t->labour_minutes == 0)
		return;
	cost_add(&k->total, t);
	cost_count(&k->crews, t->crew[0] ? t->crew : "(none)", t);
	cost_count(&k->kinds, REPORT_KIND(t->kind, kind), t);
	cost_count(&k->buildings, t->building[0] ? t->building : "(none)", t);
	if (t->asset[0])
		cost_count(&k->assets, t->asset, t);
	if (t->vendor[0])
		cost_count(&k->vendors, t->vendor, t);
}

void review_cost_resolved(struct review_costing *k, const Dispatch__Ticket *t)
{
	char kind[32];

	if (t->cost_round_cents <= 0)
		return;
	cost_round = true;
	cost_add(&k->total, t);
	cost_count(&k->crews, t->crew[0] ? t->crew : "(none)", t);
	cost_count(&k->kinds, REPORT_KIND(t->kind, kind), t);
	cost_count(&k->buildings, t->building[0] ? t->building : "(none)", t);
	if (t->asset[0])
		cost_count(&k->assets, t->asset, t);
	if (t->vendor[0])
		cost_count(&k->vendors, t->vendor, t);
	cost_round = false;
}

json_t *review_cost_day_json(const struct review_costing *k)
{
	json_t *o =
		json_pack("{s:I,s:I}", "resolutions", (json_int_t)k->total.n, "cost_cents", (json_int_t)k->total.cents);
	const struct review_costs *all[] = { &k->crews, &k->kinds, &k->buildings, &k->assets, &k->vendors };
	static const char *const names[] = { "crew", "kind", "building", "asset", "vendor" };

	for (size_t n = 0; n < 5; n++) {
		json_t *a = json_array();
		char key[16];
		for (size_t i = 0; i < all[n]->n; i++)
			json_array_append_new(a, json_pack("{s:s,s:I,s:I}", names[n], all[n]->v[i].key, "resolutions",
							   (json_int_t)all[n]->v[i].n, "cost_cents",
							   (json_int_t)all[n]->v[i].cents));
		snprintf(key, sizeof key, "by_%s", names[n]);
		json_object_set_new(o, key, a);
	}
	return o;
}

void review_cost_day_text(FILE *f, const struct review_costing *k)
{
	char a[32];
	const struct review_costs *all[] = { &k->crews, &k->kinds, &k->buildings, &k->assets, &k->vendors };
	static const char *const names[] = { "crew", "kind", "building", "asset", "vendor" };

	fprintf(f, "\nWhat the day's resolved work cost: %s (%" PRIu64 " resolutions with costs)\n",
		review_money(k->total.cents, a, sizeof a), k->total.n);
	for (size_t n = 0; n < 5; n++) {
		if (all[n]->n == 0)
			continue;
		fprintf(f, "  by %s:", names[n]);
		for (size_t i = 0; i < all[n]->n && i < REPORT_TOP; i++)
			fprintf(f, "%s %s %s", i ? "," : "", all[n]->v[i].key,
				review_money(all[n]->v[i].cents, a, sizeof a));
		fputc('\n', f);
	}
}

void review_cost_day_csv(FILE *f, const struct review_costing *k)
{
	char money[32];
	const struct review_costs *all[] = { &k->crews, &k->kinds, &k->buildings, &k->assets, &k->vendors };
	static const char *const names[] = { "crew", "kind", "building", "asset", "vendor" };

	report_csv_row(f, "cost\x1f"
			  "by\x1fkey\x1f"
			  "cost\x1fresolutions");
	report_csv_row(f, "cost\x1ftotal\x1f\x1f%s\x1f%" PRIu64,
		       review_money_plain(k->total.cents, money, sizeof money), k->total.n);
	for (size_t n = 0; n < 5; n++)
		for (size_t i = 0; i < all[n]->n; i++)
			report_csv_row(f, "cost\x1f%s\x1f%s\x1f%s\x1f%" PRIu64, names[n], all[n]->v[i].key,
				       review_money_plain(all[n]->v[i].cents, money, sizeof money), all[n]->v[i].n);
}

static int cost_cmp(const void *a, const void *b)
{
	const struct review_cost *x = a, *y = b;

	if (x->cents != y->cents)
		return x->cents < y->cents ? 1 : -1; /* most first */
	return strcmp(x->key, y->key);
}

static int cost_cmp_pair(const void *a, const void *b)
{
	const struct review_pair *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

static int cost_cmp_repeat(const void *a, const void *b)
{
	const struct review_item *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(x->unit, y->unit);
}

void review_cost_finish(struct review_costing *k)
{
	struct review_costs *all[] = { &k->crews, &k->kinds, &k->buildings, &k->assets, &k->vendors };
	size_t i, j;

	for (size_t n = 0; n < sizeof all / sizeof all[0]; n++) {
		report_sort(all[n]->v, all[n]->n, sizeof *all[n]->v, cost_cmp);
		free(all[n]->slot); /* the order changed: no more lookups */
		all[n]->slot = NULL;
		all[n]->nslot = 0;
	}
	report_sort(k->pairs, k->npairs, sizeof *k->pairs, cost_cmp_pair);
	for (i = 0; i < k->npairs; i = j) {
		for (j = i; j < k->npairs && strcmp(k->pairs[j].key, k->pairs[i].key) == 0; j++)
			;
		if (j - i >= REPORT_REPEAT_MIN) {
			struct review_item *it;
			char ids[1024];
			size_t off = 0;
			if (k->repeats.n == k->repeats.cap) {
				k->repeats.cap = k->repeats.cap ? 2 * k->repeats.cap : 64;
				k->repeats.v = xrealloc(k->repeats.v, k->repeats.cap * sizeof *k->repeats.v);
			}
			it = &k->repeats.v[k->repeats.n++];
			memset(it, 0, sizeof *it);
			it->unit = xstrdup(k->pairs[i].key); /* the asset */
			it->score = (unsigned)(j - i);
			ids[0] = '\0';
			for (size_t x = i; x < j && off + 24 < sizeof ids; x++)
				off += (size_t)snprintf(ids + off, sizeof ids - off, "%s%" PRIu64, x > i ? " " : "",
							k->pairs[x].id);
			it->b = xstrdup(ids);
			it->a = xstrdup(""), it->who = xstrdup(""), it->state = xstrdup(""), it->c = xstrdup("");
		}
	}
	report_sort(k->repeats.v, k->repeats.n, sizeof *k->repeats.v, cost_cmp_repeat);
}

static void cost_list_free(struct review_costs *cs)
{
	free(cs->slot);
	for (size_t i = 0; i < cs->n; i++)
		free(cs->v[i].key);
	free(cs->v);
}

void review_cost_free(struct review_costing *k)
{
	cost_list_free(&k->crews), cost_list_free(&k->kinds), cost_list_free(&k->buildings);
	cost_list_free(&k->assets), cost_list_free(&k->vendors);
	for (size_t i = 0; i < k->repeats.n; i++) {
		struct review_item *it = &k->repeats.v[i];
		free(it->unit), free(it->who), free(it->state), free(it->a), free(it->b), free(it->c);
	}
	free(k->repeats.v);
	for (size_t i = 0; i < k->npairs; i++)
		free(k->pairs[i].key);
	free(k->pairs);
}

/* ---- JSON and CSV ---- */

static json_t *cost_json(const struct review_cost *c, const char *name)
{
	json_t *o = json_object();

	if (name)
		json_object_set_new(o, name, json_string(c->key));
	json_object_set_new(o, "tickets", json_integer((json_int_t)c->n));
	json_object_set_new(o, "cost_cents", json_integer((json_int_t)c->cents));
	json_object_set_new(o, "parts_cents", json_integer((json_int_t)c->parts));
	json_object_set_new(o, "labour_cents", json_integer((json_int_t)c->labour));
	json_object_set_new(o, "labour_minutes", json_integer((json_int_t)c->minutes));
	json_object_set_new(o, "invoice_cents", json_integer((json_int_t)c->invoice));
	return o;
}

static json_t *cost_list_json(const struct review_costs *cs, const char *name)
{
	json_t *a = json_array();

	for (size_t i = 0; i < cs->n; i++)
		json_array_append_new(a, cost_json(&cs->v[i], name));
	return a;
}

json_t *review_cost_json(const struct review_costing *k)
{
	json_t *o = cost_json(&k->total, NULL);

	json_object_set_new(o, "by_crew", cost_list_json(&k->crews, "crew"));
	json_object_set_new(o, "by_kind", cost_list_json(&k->kinds, "kind"));
	json_object_set_new(o, "by_building", cost_list_json(&k->buildings, "building"));
	json_object_set_new(o, "by_asset", cost_list_json(&k->assets, "asset"));
	json_object_set_new(o, "by_vendor", cost_list_json(&k->vendors, "vendor"));
	json_object_set_new(
		o, "definition",
		json_string("what the work on the tickets reported in the period cost: parts, labour "
			    "and vendors' invoices (HK$ cents); a crew is the one that held the ticket last"));
	return o;
}

json_t *review_repeat_assets_json(const struct review_costing *k)
{
	json_t *a = json_array();

	for (size_t i = 0; i < k->repeats.n; i++)
		json_array_append_new(a, json_pack("{s:s,s:i,s:s}", "asset", k->repeats.v[i].unit, "count",
						   (int)k->repeats.v[i].score, "tickets", k->repeats.v[i].b));
	return a;
}

static void cost_csv_rows(FILE *f, const char *by, const struct review_costs *cs)
{
	char money[32];

	for (size_t i = 0; i < cs->n; i++)
		report_csv_row(f, "cost_%s\x1f%s\x1f%s\x1f%" PRIu64 " tickets", by, cs->v[i].key,
			       review_money_plain(cs->v[i].cents, money, sizeof money), cs->v[i].n);
}

void review_cost_csv(FILE *f, const struct review_costing *k)
{
	char money[32];

	report_csv_row(f, "cost\x1ftotal\x1f%s\x1f%" PRIu64 " tickets", review_money_plain(k->total.cents, money, 32),
		       k->total.n);
	report_csv_row(f, "cost\x1fparts\x1f%s\x1f", review_money_plain(k->total.parts, money, sizeof money));
	report_csv_row(f, "cost\x1flabour\x1f%s\x1f%" PRIu64 " minutes",
		       review_money_plain(k->total.labour, money, sizeof money), k->total.minutes);
	report_csv_row(f, "cost\x1finvoice\x1f%s\x1f", review_money_plain(k->total.invoice, money, sizeof money));
	cost_csv_rows(f, "crew", &k->crews);
	cost_csv_rows(f, "kind", &k->kinds);
	cost_csv_rows(f, "building", &k->buildings);
	cost_csv_rows(f, "asset", &k->assets);
	cost_csv_rows(f, "vendor", &k->vendors);
	for (size_t i = 0; i < k->repeats.n; i++)
		report_csv_row(f, "repeat_asset\x1f%s\x1f%u\x1ftickets %s", k->repeats.v[i].unit, k->repeats.v[i].score,
			       k->repeats.v[i].b);
}

/* ---- text and HTML ---- */

static void cost_text_list(FILE *f, const char *title, const struct review_costs *cs)
{
	char money[32];
	size_t n = cs->n < REPORT_TOP ? cs->n : REPORT_TOP;

	if (cs->n == 0)
		return;
	fprintf(f, "  by %s%s\n", title, cs->n > n ? " (the costliest)" : "");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "    ");
		report_pad(f, cs->v[i].key, 22);
		fprintf(f, " %16s  %6" PRIu64 " tickets\n", review_money(cs->v[i].cents, money, sizeof money),
			cs->v[i].n);
	}
}

void review_cost_text(FILE *f, const struct review_costing *k)
{
	char a[32], b[32], c[32], d[32];

	fprintf(f, "\nWhat the work cost (parts, labour, vendors' invoices)\n");
	fprintf(f, "  total %s on %" PRIu64 " tickets: parts %s, labour %s (%" PRIu64 " min), invoices %s\n",
		review_money(k->total.cents, a, sizeof a), k->total.n, review_money(k->total.parts, b, sizeof b),
		review_money(k->total.labour, c, sizeof c), k->total.minutes,
		review_money(k->total.invoice, d, sizeof d));
	cost_text_list(f, "crew", &k->crews);
	cost_text_list(f, "kind", &k->kinds);
	cost_text_list(f, "building", &k->buildings);
	cost_text_list(f, "asset", &k->assets);
	cost_text_list(f, "vendor", &k->vendors);
	fprintf(f, "\nRepeat failures per asset (%d or more repairs) (%zu)\n", REPORT_REPEAT_MIN, k->repeats.n);
	for (size_t i = 0; i < k->repeats.n && i < REPORT_TOP; i++)
		fprintf(f, "  %-14s %3u repairs  tickets %s\n", k->repeats.v[i].unit, k->repeats.v[i].score,
			k->repeats.v[i].b);
	if (k->repeats.n > REPORT_TOP)
		fprintf(f, "  ... and %zu more (JSON and CSV list them all)\n", k->repeats.n - REPORT_TOP);
}

static void cost_html_list(FILE *f, const char *title, const struct review_costs *cs)
{
	char money[32];

	if (cs->n == 0)
		return;
	fprintf(f, "<h3>By %s</h3>\n<table><tr><th>%s</th><th>cost</th><th>tickets</th></tr>\n", title, title);
	for (size_t i = 0; i < cs->n && i < REPORT_TOP; i++) {
		fputs("<tr><td>", f);
		report_xml(f, cs->v[i].key);
		fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
			review_money(cs->v[i].cents, money, sizeof money), cs->v[i].n);
	}
	fputs("</table>\n", f);
}

void review_cost_html(FILE *f, const struct review_costing *k)
{
	char a[32], b[32], c[32], d[32];

	fprintf(f,
		"<h2 id=\"costs\">What the work cost</h2>\n<p>%s on %" PRIu64
		" tickets: parts %s, labour %s, vendors' invoices %s.</p>\n",
		review_money(k->total.cents, a, sizeof a), k->total.n, review_money(k->total.parts, b, sizeof b),
		review_money(k->total.labour, c, sizeof c), review_money(k->total.invoice, d, sizeof d));
	cost_html_list(f, "crew", &k->crews);
	cost_html_list(f, "kind", &k->kinds);
	cost_html_list(f, "building", &k->buildings);
	cost_html_list(f, "asset", &k->assets);
	cost_html_list(f, "vendor", &k->vendors);
	fprintf(f, "<h2 id=\"repeat-assets\">Repeat failures per asset</h2>\n");
	if (k->repeats.n == 0) {
		fprintf(f, "<p>No asset needed %d or more repairs.</p>\n", REPORT_REPEAT_MIN);
		return;
	}
	fputs("<table><tr><th>asset</th><th>repairs</th><th>tickets</th></tr>\n", f);
	for (size_t i = 0; i < k->repeats.n && i < REPORT_TOP; i++) {
		fputs("<tr><td>", f);
		report_xml(f, k->repeats.v[i].unit);
		fprintf(f, "</td><td class=\"n\">%u</td><td>", k->repeats.v[i].score);
		report_xml(f, k->repeats.v[i].b);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}
