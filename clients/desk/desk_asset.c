/*
 * desk_asset: the estate's equipment and what the work cost (issue 19):
 * `asset list` (the register with open tickets, filtered by kind, building
 * or vendor), `asset show ID` (an asset's tickets, newest first, with their
 * states and costs), the costs of a resolve (--part, --labour, --invoice)
 * and the cost lines of `show`.
 */
#include "desk.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dc_cost.h"
#include "dc_json.h"
#include "dc_time.h"

/* ---- costs at a resolve ---- */

int desk_cost_opts(const struct desk_opts *o, Dispatch__Transition *tr, struct desk_costs *k)
{
	char err[256];

	memset(k, 0, sizeof *k);
	for (int i = 0; i < o->part.n; i++) {
		if (dc_cost_part_parse(o->part.v[i], &k->parts[i], k->items[i], sizeof k->items[i], err, sizeof err) <
		    0)
			return desk_usage("%s", err);
		k->ptrs[i] = &k->parts[i];
	}
	tr->parts = k->ptrs;
	tr->n_parts = (size_t)o->part.n;
	if (o->labour && dc_labour_parse(o->labour, &tr->labour_minutes) < 0)
		return desk_usage("--labour wants the minutes worked, a whole number from 1 to 10080, not '%s'",
				  o->labour);
	if (o->invoice_cents >= 0)
		tr->invoice_cents = o->invoice_cents;
	return 0;
}

void desk_print_costs(const Dispatch__Ticket *t)
{
	char buf[256], a[32], item[96];

	if (dc_cost_summary(t, buf, sizeof buf)[0] == '\0')
		return;
	printf("  %-10s %s\n", "cost", buf);
	for (size_t i = 0; i < t->n_parts; i++) {
		const Dispatch__CostPart *p = t->parts[i];
		printf("  %-10s %s x %u at %s", i ? "" : "parts", dc_clean(p->item, item, sizeof item), p->quantity,
		       dc_format_cents(p->unit_cents, a, sizeof a));
		printf(" = %s\n", dc_format_cents(p->total_cents, a, sizeof a));
	}
}

/* ---- the register ---- */

enum { A_ID, A_KIND, A_WHERE, A_CREW, A_OPEN, A_TICKETS, A_NOTES, A_N };

static const char *const a_names[A_N] = { "ID", "KIND", "WHERE", "CREW", "OPEN", "TICKETS", "NOTES" };

struct arow {
	char where[96], open[16], tickets[16], crew[64];
};

struct asset_ctx {
	const struct desk_opts *o;
	const Dispatch__Reply *r;
	struct arow *rows;
};

static void asset_row(const void *ctx, size_t i, const char **cells, const char **colors)
{
	const struct asset_ctx *x = ctx;
	const Dispatch__AssetInfo *a = x->r->assets[i];

	cells[A_ID] = a->id;
	cells[A_KIND] = a->kind;
	cells[A_WHERE] = x->rows[i].where;
	cells[A_CREW] = x->rows[i].crew;
	cells[A_OPEN] = x->rows[i].open;
	cells[A_TICKETS] = x->rows[i].tickets;
	cells[A_NOTES] = a->notes && *a->notes ? a->notes : NULL;
	if (a->open)
		colors[A_OPEN] = x->o->c.yellow;
}

static void asset_where(const Dispatch__AssetInfo *a, char *buf, size_t size)
{
	if (a->unit && *a->unit)
		snprintf(buf, size, "unit %s", a->unit);
	else if (a->building && *a->building)
		snprintf(buf, size, "building %s", a->building);
	else if (a->zone && *a->zone)
		snprintf(buf, size, "zone %s", a->zone);
	else
		snprintf(buf, size, "-");
}

static int need_assets(Dispatch__Reply *r)
{
	for (size_t i = 0; i < r->n_assets; i++)
		if (!r->assets[i]) {
			fprintf(stderr, DESK_PROG ": the daemon's reply has an empty asset\n");
			return DC_EXIT_UNAVAILABLE;
		}
	for (size_t i = 0; i < r->n_tickets; i++)
		if (!r->tickets[i]) {
			fprintf(stderr, DESK_PROG ": the daemon's reply has an empty ticket\n");
			return DC_EXIT_UNAVAILABLE;
		}
	return 0;
}

int desk_asset_list(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__AssetList al = DISPATCH__ASSET_LIST__INIT;
	Dispatch__Reply *r = NULL;
	struct arow *rows = NULL;
	int rc;

	if (o->kind.n > 1 || o->building.n > 1)
		return desk_usage("%s", "asset list takes one --kind and one --building");
	if (o->kind.n)
		al.kind = (char *)o->kind.v[0];
	if (o->building.n)
		al.building = (char *)o->building.v[0];
	if (o->vendor)
		al.vendor = (char *)o->vendor;
	req.body_case = DISPATCH__REQUEST__BODY_ASSET_LIST;
	req.asset_list = &al;
	if ((rc = desk_call(dc, &req, &r)) != 0)
		return rc;
	if ((rc = need_assets(r)) != 0)
		goto out;
	if (o->json) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < r->n_assets; i++)
			if (json_array_append_new(a, dc_json_asset(r->assets[i])) < 0) {
				json_decref(a);
				a = NULL;
			}
		rc = desk_print_json(a);
		goto out;
	}
	if (r->n_assets == 0) {
		printf("no assets match\n");
		goto out;
	}
	if ((rows = calloc(r->n_assets, sizeof *rows)) == NULL) {
		fprintf(stderr, DESK_PROG ": out of memory\n");
		rc = DC_EXIT_UNAVAILABLE;
		goto out;
	}
	for (size_t i = 0; i < r->n_assets; i++) {
		const Dispatch__AssetInfo *a = r->assets[i];
		asset_where(a, rows[i].where, sizeof rows[i].where);
		snprintf(rows[i].open, sizeof rows[i].open, "%u", a->open);
		snprintf(rows[i].tickets, sizeof rows[i].tickets, "%u", a->tickets);
		snprintf(rows[i].crew, sizeof rows[i].crew, "%s%s", a->crew, a->outsourced ? " (vendor)" : "");
	}
	{
		struct asset_ctx x = { o, r, rows };
		struct desk_table tab = { a_names, A_N, NULL, 60, asset_row, &x, r->n_assets };
		desk_table_print(o, &tab);
	}
	printf("%s\n", r->message);
out:
	free(rows);
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

/* ---- one asset's history ---- */

enum { H_ID, H_CREATED, H_KIND, H_STATE, H_CREW, H_COST, H_TEXT, H_N };

static const char *const h_names[H_N] = { "ID", "CREATED", "KIND", "STATE", "CREW", "COST", "TEXT" };

struct hrow {
	char id[24], created[32], crew[80], cost[32];
};

struct history_ctx {
	const struct desk_opts *o;
	const Dispatch__Reply *r;
	struct hrow *rows;
};

static void history_row(const void *ctx, size_t i, const char **cells, const char **colors)
{
	const struct history_ctx *x = ctx;
	const Dispatch__Ticket *t = x->r->tickets[i];
	int open = t->state != DISPATCH__STATE__STATE_CLOSED && t->state != DISPATCH__STATE__STATE_CANCELLED;

	cells[H_ID] = x->rows[i].id;
	cells[H_CREATED] = x->rows[i].created;
	cells[H_KIND] = dc_kind_name(t->kind);
	cells[H_STATE] = dc_state_name(t->state);
	cells[H_CREW] = x->rows[i].crew;
	cells[H_COST] = x->rows[i].cost[0] ? x->rows[i].cost : NULL;
	cells[H_TEXT] = t->text;
	if (open)
		colors[H_STATE] = x->o->c.yellow;
}

int desk_asset_show(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__AssetHistory ah = DISPATCH__ASSET_HISTORY__INIT;
	Dispatch__Reply *r = NULL;
	struct hrow *rows = NULL;
	const Dispatch__AssetInfo *a;
	char where[96], money[32];
	int64_t now;
	int rc;

	ah.asset = o->args[0];
	ah.limit = o->limit;
	req.body_case = DISPATCH__REQUEST__BODY_ASSET_HISTORY;
	req.asset_history = &ah;
	if ((rc = desk_call(dc, &req, &r)) != 0)
		return rc;
	if ((rc = need_assets(r)) != 0)
		goto out;
	if (r->n_assets != 1) {
		fprintf(stderr, DESK_PROG ": the daemon's reply does not describe the asset\n");
		rc = DC_EXIT_UNAVAILABLE;
		goto out;
	}
	a = r->assets[0];
	if (o->json) {
		json_t *v = json_object(), *ts = json_array();
		for (size_t i = 0; ts && i < r->n_tickets; i++)
			if (json_array_append_new(ts, dc_json_ticket(r->tickets[i])) < 0) {
				json_decref(ts);
				ts = NULL;
			}
		if (v && ts && json_object_set_new(v, "asset", dc_json_asset(a)) == 0 &&
		    json_object_set_new(v, "tickets", ts) == 0 &&
		    json_object_set_new(v, "more", json_boolean(r->more)) == 0) {
			rc = desk_print_json(v);
		} else {
			json_decref(v);
			rc = desk_print_json(NULL);
		}
		goto out;
	}
	asset_where(a, where, sizeof where);
	printf("%sasset %s%s: %s, %s", o->c.bold, a->id, o->c.off, a->kind && *a->kind ? a->kind : "-", where);
	if (a->zone && *a->zone && strncmp(where, "zone ", 5) != 0)
		printf(", zone %s", a->zone);
	putchar('\n');
	if (a->crew && *a->crew)
		printf("  %-10s %s%s\n", "crew", a->crew, a->outsourced ? " (vendor)" : "");
	if (a->notes && *a->notes)
		printf("  %-10s %s\n", "notes", a->notes);
	printf("  %-10s %u (%u open), cost %s\n", "tickets", a->tickets, a->open,
	       dc_format_cents(a->cost_cents, money, sizeof money));
	if (r->n_tickets == 0)
		goto out;
	if ((rows = calloc(r->n_tickets, sizeof *rows)) == NULL) {
		fprintf(stderr, DESK_PROG ": out of memory\n");
		rc = DC_EXIT_UNAVAILABLE;
		goto out;
	}
	now = r->now_ms ? r->now_ms : dc_wall_ms();
	for (size_t i = 0; i < r->n_tickets; i++) {
		const Dispatch__Ticket *t = r->tickets[i];
		snprintf(rows[i].id, sizeof rows[i].id, "%" PRIu64, t->id);
		dc_time_short(t->created_ms, now, rows[i].created, sizeof rows[i].created);
		snprintf(rows[i].crew, sizeof rows[i].crew, "%s%s%s", t->crew, t->member && *t->member ? "/" : "",
			 t->member);
		if (t->cost_cents > 0)
			dc_format_cents(t->cost_cents, rows[i].cost, sizeof rows[i].cost);
	}
	{
		struct history_ctx x = { o, r, rows };
		struct desk_table tab = { h_names, H_N, NULL, 60, history_row, &x, r->n_tickets };
		desk_table_print(o, &tab);
	}
	if (r->more)
		printf("(the newest %zu shown; --limit N for more, up to 1000)\n", r->n_tickets);
out:
	free(rows);
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}
