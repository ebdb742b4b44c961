/*
 * config_asset: the estate's equipment (assets:) and the parts price list
 * (parts:, labour_rate:) of issue 19: their schema, the checks after
 * loading (every problem at its FILE:LINE:COLUMN, in the same pass as the
 * rest of the file: config.c), and the lookups the daemon makes of them.
 *
 * An estate of 3,000 units has a couple of thousand assets and names one
 * on a ticket at each submission and in each report line: the register is
 * indexed by id once at load (a sorted array of pointers, bsearch), and
 * the parts list, some dozens of items, is walked.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_impl.h"
#include "xalloc.h"

/* ---- schema ----------------------------------------------------------- */

static const cyaml_schema_field_t config_asset_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct config_asset, id, 1, 32),
	CYAML_FIELD_STRING_PTR("kind", CYAML_FLAG_POINTER, struct config_asset, kind, 1, 32),
	CYAML_FIELD_STRING_PTR("building", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_asset, building, 1,
			       16),
	CYAML_FIELD_STRING_PTR("unit", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_asset, unit, 1, 32),
	CYAML_FIELD_STRING_PTR("zone", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_asset, zone, 1, 32),
	CYAML_FIELD_STRING_PTR("crew", CYAML_FLAG_POINTER, struct config_asset, crew, 1, 32),
	CYAML_FIELD_STRING_PTR("notes", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_asset, notes, 1, 500),
	CYAML_FIELD_END
};
const cyaml_schema_value_t config_asset_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_asset, config_asset_fields),
};

static const cyaml_schema_field_t config_part_fields[] = {
	CYAML_FIELD_STRING_PTR("item", CYAML_FLAG_POINTER, struct config_part, item, 1, 64),
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct config_part, name, 1, 128),
	CYAML_FIELD_STRING_PTR("price", CYAML_FLAG_POINTER, struct config_part, price, 1, 16), CYAML_FIELD_END
};
const cyaml_schema_value_t config_part_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct config_part, config_part_fields),
};

/* ---- parsing ---------------------------------------------------------- */

#define CONFIG_CENTS_MAX 10000000000LL /* HK$100,000,000.00 */

int64_t config_parse_cents(const char *s)
{
	int64_t whole = 0, frac = 0;
	int digits = 0, nfrac = 0;

	if (s == NULL)
		return -1;
	if (strncmp(s, "HK$", 3) == 0)
		s += 3;
	for (; isdigit((unsigned char)*s); s++) {
		if (++digits > 9)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (digits == 0)
		return -1;
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++) {
			if (++nfrac > 2)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
		if (nfrac == 0)
			return -1;
		if (nfrac == 1)
			frac *= 10;
	}
	if (*s != '\0' || whole * 100 + frac > CONFIG_CENTS_MAX)
		return -1;
	return whole * 100 + frac;
}

/* An asset id, a kind or a part's item: letters, digits, '-', '_' (and '.'
 * for items: "cable-2.5mm"). */
static bool config_asset_word(const char *s, bool dot)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && !(dot && *s == '.'))
			return false;
	return true;
}

/* ---- the index -------------------------------------------------------- */

static int config_asset_cmp(const void *a, const void *b)
{
	const struct config_asset *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

static int config_asset_key_cmp(const void *key, const void *elem)
{
	const struct config_asset *const *y = elem;

	return strcmp(key, (*y)->id);
}

const struct config_asset *config_asset_find(const config_t *cfg, const char *id)
{
	const struct config_asset *const *hit;

	if (cfg == NULL || id == NULL || cfg->asset_index == NULL)
		return NULL;
	hit = bsearch(id, cfg->asset_index, cfg->assets_count, sizeof *cfg->asset_index, config_asset_key_cmp);
	return hit ? *hit : NULL;
}

bool config_asset_matches(const struct config_asset *a, const char *id_glob, const char *kind, const char *building,
			  const char *crew)
{
	if (id_glob && id_glob[0] && !config_glob(id_glob, a->id))
		return false;
	if (kind && kind[0] && strcmp(kind, a->kind) != 0)
		return false;
	if (building && building[0] && strcmp(building, a->in_building) != 0)
		return false;
	if (crew && crew[0] && strcmp(crew, a->crew) != 0)
		return false;
	return true;
}

const struct config_part *config_part_find(const config_t *cfg, const char *item)
{
	for (unsigned i = 0; i < cfg->parts_count; i++)
		if (strcmp(cfg->parts[i].item, item) == 0)
			return &cfg->parts[i];
	return NULL;
}

void config_assets_free(config_t *cfg)
{
	free(cfg->asset_index);
	cfg->asset_index = NULL;
}

/* ---- checks after loading --------------------------------------------- */

/* Is building one of the estate's, as far as the file says (zones and the
 * unit register)? Any building is, when the file lists neither. */
static bool config_building_known(const config_t *cfg, const char *b)
{
	char ub[64];

	if (cfg->zones_count == 0 && cfg->units_count == 0)
		return true;
	if (config_zone_of(cfg, b))
		return true;
	for (unsigned i = 0; i < cfg->units_count; i++) {
		const struct config_unit *u = &cfg->units[i];
		if (u->building && strcmp(u->building, b) == 0)
			return true;
		if (u->unit) {
			config_unit_building(u->unit, ub, sizeof ub);
			if (strcmp(ub, b) == 0)
				return true;
		}
	}
	return false;
}

static bool config_zone_known(const config_t *cfg, const char *z)
{
	for (unsigned i = 0; i < cfg->zones_count; i++)
		if (strcmp(cfg->zones[i].id, z) == 0)
			return true;
	return false;
}

static void config_check_asset(config_t *cfg, unsigned i, struct config_errbuf *e, const struct config_positions *ps)
{
	struct config_asset *a = &cfg->assets[i];
	const struct config_crew *crew;
	int places = (a->building != NULL) + (a->unit != NULL) + (a->zone != NULL);
	char path[64];

	snprintf(path, sizeof path, "assets[%u].id", i);
	if (!config_asset_word(a->id, false))
		config_problem(e, ps, path,
			       "asset id '%s' may hold only letters, digits, '-' and '_' (e.g. L2, PUMP-3)", a->id);
	snprintf(path, sizeof path, "assets[%u].kind", i);
	if (!config_asset_word(a->kind, false))
		config_problem(e, ps, path,
			       "an asset's kind is one word of letters, digits and '-' (lift, pump, generator, "
			       "fire-extinguisher, gate, cctv, ...), not '%s'",
			       a->kind);
	if (places != 1) {
		snprintf(path, sizeof path, "assets[%u]", i);
		config_problem(e, ps, path, "an asset is in one place: give one of 'building', 'unit' or 'zone'%s",
			       places ? "; this one gives more than one" : "; this one gives none");
	}
	if (a->building) {
		snprintf(path, sizeof path, "assets[%u].building", i);
		if (!config_building_known(cfg, a->building))
			config_problem(e, ps, path,
				       "building '%s' is not in this estate (neither under zones nor in the unit "
				       "register)",
				       a->building);
		snprintf(a->in_building, sizeof a->in_building, "%s", a->building);
	}
	if (a->unit) {
		snprintf(path, sizeof path, "assets[%u].unit", i);
		if (!config_unit_known(cfg, a->unit))
			config_problem(e, ps, path, "unit '%s' is not in the estate's unit register", a->unit);
		config_unit_building(a->unit, a->in_building, sizeof a->in_building);
	}
	if (a->zone) {
		snprintf(path, sizeof path, "assets[%u].zone", i);
		if (!config_zone_known(cfg, a->zone))
			config_problem(e, ps, path, "zone '%s' is not defined under zones", a->zone);
		a->in_zone = a->zone;
	} else if (a->in_building[0]) {
		a->in_zone = config_zone_of(cfg, a->in_building);
	}
	snprintf(path, sizeof path, "assets[%u].crew", i);
	if ((crew = config_crew(cfg, a->crew)) == NULL)
		config_problem(e, ps, path,
			       "crew or vendor '%s' is not defined under crews (an asset's responsible crew, or an "
			       "outsourced crew for a vendor)",
			       a->crew);
	else
		a->outsourced = crew->outsourced;
}

void config_check_assets(config_t *cfg, struct config_errbuf *e, const struct config_positions *ps)
{
	char path[64];

	for (unsigned i = 0; i < cfg->assets_count; i++)
		config_check_asset(cfg, i, e, ps);
	if (cfg->assets_count > 0) {
		cfg->asset_index = xcalloc(cfg->assets_count, sizeof *cfg->asset_index);
		for (unsigned i = 0; i < cfg->assets_count; i++)
			cfg->asset_index[i] = &cfg->assets[i];
		qsort(cfg->asset_index, cfg->assets_count, sizeof *cfg->asset_index, config_asset_cmp);
		/* a duplicate sits next to its first: name the later one, at its line */
		for (unsigned i = 1; i < cfg->assets_count; i++)
			if (strcmp(cfg->asset_index[i - 1]->id, cfg->asset_index[i]->id) == 0) {
				const struct config_asset *x = cfg->asset_index[i - 1], *y = cfg->asset_index[i];
				const struct config_asset *later = x > y ? x : y, *first = x > y ? y : x;
				snprintf(path, sizeof path, "assets[%u].id", (unsigned)(later - cfg->assets));
				config_problem(e, ps, path, "asset '%s' is listed twice (first as entry %u of assets)",
					       later->id, (unsigned)(first - cfg->assets) + 1);
			}
	}
	for (unsigned i = 0; i < cfg->parts_count; i++) {
		struct config_part *p = &cfg->parts[i];
		snprintf(path, sizeof path, "parts[%u].item", i);
		if (!config_asset_word(p->item, true))
			config_problem(
				e, ps, path,
				"a part's item is one word of letters, digits, '-', '_' and '.' (e.g. fuse-13a), "
				"not '%s'",
				p->item);
		for (unsigned k = 0; k < i; k++)
			if (strcmp(cfg->parts[k].item, p->item) == 0) {
				config_problem(e, ps, path, "part '%s' is listed twice", p->item);
				break;
			}
		snprintf(path, sizeof path, "parts[%u].price", i);
		if ((p->price_cents = config_parse_cents(p->price)) < 0) {
			config_problem(e, ps, path, "expected a price in HK$ such as 12.50, not '%s'", p->price);
			p->price_cents = 0;
		}
	}
	cfg->labour_rate_cents = 0;
	if (cfg->labour_rate && (cfg->labour_rate_cents = config_parse_cents(cfg->labour_rate)) < 0) {
		config_problem(e, ps, "labour_rate", "expected HK$ per hour of labour such as 180.00, not '%s'",
			       cfg->labour_rate);
		cfg->labour_rate_cents = 0;
	}
}
