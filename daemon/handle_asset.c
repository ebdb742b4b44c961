/*
 * handle_asset: the estate's equipment (issue 19). A ticket may name the
 * asset it concerns (Submit.asset, checked here against the register);
 * AssetList gives the register with each asset's open tickets, filtered
 * by kind, building or responsible crew; AssetHistory gives one asset's
 * tickets, newest first, with what they cost. The register is the
 * configuration's (config_asset.c); the tickets naming an asset are the
 * store's asset indexes (schema 8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"
#include "handle_impl.h"

#define HANDLE_ASSET_HISTORY_DEFAULT 200
#define HANDLE_ASSET_HISTORY_MAX 1000

int handle_check_asset(struct handle_ctx *c, const char *field, const char *asset)
{
	if (handle_check_id(c, field, asset, 0, 32) != 0)
		return -1;
	if (asset == NULL || asset[0] == '\0' || config_asset_find(c->cfg, asset) != NULL)
		return 0;
	if (c->cfg->assets_count == 0)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
				   "no asset %s: %s lists no equipment (assets: in the configuration)", asset,
				   c->cfg->estate);
	return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
			   "no asset %s in the register of %s; `dispatch-desk asset list` shows its %u assets", asset,
			   c->cfg->estate, c->cfg->assets_count);
}

static Dispatch__AssetInfo *handle_asset_info(struct handle_ctx *c, const struct config_asset *a, const char *id)
{
	Dispatch__AssetInfo *ai = arena_alloc(c->a, sizeof *ai);

	dispatch__asset_info__init(ai);
	ai->id = (char *)(a ? a->id : id);
	if (a) {
		ai->kind = a->kind;
		ai->building = (char *)a->in_building;
		ai->unit = a->unit ? a->unit : (char *)"";
		ai->zone = (char *)(a->in_zone ? a->in_zone : "");
		ai->crew = a->crew;
		ai->outsourced = a->outsourced;
		ai->notes = a->notes ? a->notes : (char *)"";
	}
	return ai;
}

/* ---- the register ------------------------------------------------------ */

int handle_asset_list_check(struct handle_ctx *c)
{
	const Dispatch__AssetList *q = c->req->asset_list;
	bool any = false;

	if (handle_check_id(c, "asset_list.kind", q->kind, 0, 32) ||
	    handle_check_id(c, "asset_list.building", q->building, 0, 16) ||
	    handle_check_id(c, "asset_list.vendor", q->vendor, 0, 32))
		return -1;
	if (q->vendor[0] && config_crew(c->cfg, q->vendor) == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "asset_list.vendor",
				   "no crew or vendor %s in %s", q->vendor, c->cfg->estate);
	if (q->kind[0]) {
		char kinds[256] = "";
		size_t used = 0;
		for (unsigned i = 0; i < c->cfg->assets_count && !any; i++)
			any = strcmp(c->cfg->assets[i].kind, q->kind) == 0;
		if (!any) {
			for (unsigned i = 0; i < c->cfg->assets_count && used + 40 < sizeof kinds; i++) {
				const char *k = c->cfg->assets[i].kind;
				bool seen = false;
				for (unsigned j = 0; j < i && !seen; j++)
					seen = strcmp(c->cfg->assets[j].kind, k) == 0;
				if (!seen)
					used += (size_t)snprintf(kinds + used, sizeof kinds - used, "%s%s",
								 used ? ", " : "", k);
			}
			return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "asset_list.kind",
					   "no asset of kind %s in %s%s%s", q->kind, c->cfg->estate,
					   kinds[0] ? "; its kinds are " : "", kinds);
		}
	}
	return 0;
}

int handle_asset_list_apply(struct handle_ctx *c)
{
	const Dispatch__AssetList *q = c->req->asset_list;
	const config_t *cfg = c->cfg;
	unsigned open_total = 0;
	size_t n = 0;
	int rc;

	c->rep->assets = arena_alloc(c->a, (cfg->assets_count ? cfg->assets_count : 1) * sizeof *c->rep->assets);
	for (unsigned i = 0; i < cfg->assets_count; i++) {
		const struct config_asset *a = &cfg->assets[i];
		Dispatch__AssetInfo *ai;
		unsigned all, open;
		if (!config_asset_matches(a, NULL, q->kind, q->building, q->vendor))
			continue;
		if ((rc = store_asset_counts(c->store, c->txn, a->id, &all, &open)) != 0)
			return handle_store_fail(c, rc);
		ai = handle_asset_info(c, a, a->id);
		ai->open = open;
		ai->tickets = all;
		open_total += open;
		c->rep->assets[n++] = ai;
	}
	c->rep->n_assets = n;
	return handle_ok(c, "%zu asset%s, %u open ticket%s", n, n == 1 ? "" : "s", open_total,
			 open_total == 1 ? "" : "s");
}

/* ---- one asset's history ------------------------------------------------- */

struct handle_asset_ids {
	uint64_t *v;
	size_t n, cap;
};

static int handle_asset_id(uint64_t id, void *arg)
{
	struct handle_asset_ids *ids = arg;

	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? ids->cap * 2 : 64;
		ids->v = realloc(ids->v, ids->cap * sizeof *ids->v);
		if (ids->v == NULL)
			return -1;
	}
	ids->v[ids->n++] = id;
	return 0;
}

int handle_asset_history_check(struct handle_ctx *c)
{
	const Dispatch__AssetHistory *q = c->req->asset_history;

	if (handle_check_id(c, "asset_history.asset", q->asset, 1, 32) != 0)
		return -1;
	if (q->limit > HANDLE_ASSET_HISTORY_MAX)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "asset_history.limit",
				   "limit %u is too large (at most %d)", q->limit, HANDLE_ASSET_HISTORY_MAX);
	return 0;
}

static void handle_free_ids(void *p)
{
	free(((struct handle_asset_ids *)p)->v);
}

int handle_asset_history_apply(struct handle_ctx *c)
{
	const Dispatch__AssetHistory *q = c->req->asset_history;
	const struct config_asset *a = config_asset_find(c->cfg, q->asset);
	struct handle_asset_ids *ids = arena_alloc(c->a, sizeof *ids);
	unsigned limit = q->limit ? q->limit : HANDLE_ASSET_HISTORY_DEFAULT, open = 0;
	Dispatch__AssetInfo *ai;
	int64_t cost = 0;
	char money[32];
	int rc;

	memset(ids, 0, sizeof *ids);
	arena_defer(c->a, handle_free_ids, ids);
	if ((rc = store_asset_tickets(c->store, c->txn, q->asset, false, handle_asset_id, ids)) != 0)
		return handle_store_fail(c, rc);
	if (a == NULL && ids->n == 0)
		return handle_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "asset_history.asset",
				   "no asset %s in the register of %s, and no ticket names it", q->asset,
				   c->cfg->estate);
	ai = handle_asset_info(c, a, arena_strdup(c->a, q->asset));
	c->rep->tickets = arena_alloc(c->a, (ids->n < limit ? ids->n + 1 : limit) * sizeof *c->rep->tickets);
	/* newest first; the cost and counts are of every ticket kept */
	for (size_t i = ids->n; i-- > 0;) {
		Dispatch__Ticket *t = NULL;
		if ((rc = store_get_ticket(c->store, c->txn, ids->v[i], &t)) != 0)
			return handle_store_fail(c, rc);
		arena_defer(c->a, handle_free_ticket, t);
		cost += t->cost_cents;
		open += t->state != DISPATCH__STATE__STATE_CLOSED && t->state != DISPATCH__STATE__STATE_CANCELLED;
		if (c->rep->n_tickets < limit)
			c->rep->tickets[c->rep->n_tickets++] = t;
		else
			c->rep->more = true;
	}
	ai->tickets = (uint32_t)ids->n;
	ai->open = open;
	ai->cost_cents = cost;
	c->rep->assets = arena_alloc(c->a, sizeof *c->rep->assets);
	c->rep->assets[0] = ai;
	c->rep->n_assets = 1;
	snprintf(money, sizeof money, "%lld.%02lld", (long long)(cost / 100), (long long)(cost % 100));
	return handle_ok(c, "asset %s%s: %zu ticket%s, %u open, cost HK$%s%s", ai->id,
			 a ? "" : " (no longer in the register)", ids->n, ids->n == 1 ? "" : "s", open, money,
			 c->rep->more ? " (the newest shown)" : "");
}
