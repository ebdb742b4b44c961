/*
 * config_unit: the estate's unit register (config.h, struct config_unit):
 * is a unit listed, its resident's contact, and the listed units closest
 * to one that is not. The register is the configuration's units: list,
 * loaded and checked in config.c; this is what the daemon asks of it.
 *
 * Lookups walk the entries: an estate's register is some dozens of blocks
 * and a few hundred units in full, and a unit is looked up once per
 * submission. A suggestion spells out every unit of every block (bounded)
 * and is made only for a refusal.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int config_unit_parse_floors(const char *s, int *from, int *to)
{
	char *end;
	long a, b;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	a = strtol(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return -1;
		b = strtol(end + 1, &end, 10);
	}
	if (*end != '\0' || a > b || b > 9999)
		return -1;
	*from = (int)a;
	*to = (int)b;
	return 0;
}

int config_unit_parse_flats(const char *s, char *from, char *to)
{
	if (s[0] < 'A' || s[0] > 'Z')
		return -1;
	*from = *to = s[0];
	if (s[1] == '\0')
		return 0;
	if (s[1] != '-' || s[2] < 'A' || s[2] > 'Z' || s[3] != '\0' || s[2] < s[0])
		return -1;
	*to = s[2];
	return 0;
}

/* Is unit one of block b's units? The floor is written without leading
 * zeros, as the register spells it: "12-01A" is not "12-1A". */
static bool config_block_has(const struct config_unit *b, const char *unit)
{
	size_t n = strlen(b->building);
	const char *p = unit + n;
	long floor = 0;

	if (strncmp(unit, b->building, n) != 0 || *p != '-' || !isdigit((unsigned char)p[1]))
		return false;
	p++;
	if (p[0] == '0' && isdigit((unsigned char)p[1]))
		return false;
	for (; isdigit((unsigned char)*p); p++)
		if ((floor = floor * 10 + (*p - '0')) > 9999)
			return false;
	if (floor < b->floor_from || floor > b->floor_to)
		return false;
	if (b->flat_from == 0)
		return *p == '\0';
	return p[0] >= b->flat_from && p[0] <= b->flat_to && p[1] == '\0';
}

bool config_unit_known(const config_t *cfg, const char *unit)
{
	if (cfg->units_count == 0)
		return true;
	for (unsigned i = 0; i < cfg->units_count; i++) {
		const struct config_unit *u = &cfg->units[i];
		if ((u->unit && strcmp(u->unit, unit) == 0) || (u->pattern && config_glob(u->pattern, unit)) ||
		    (u->building && config_block_has(u, unit)))
			return true;
	}
	return false;
}

const struct config_unit *config_unit_contact(const config_t *cfg, const char *unit)
{
	for (unsigned i = 0; i < cfg->units_count; i++) {
		const struct config_unit *u = &cfg->units[i];
		if (u->unit && (u->resident || u->phone) && strcmp(u->unit, unit) == 0)
			return u;
	}
	return NULL;
}

#define CONFIG_SUGGEST_MAX 3
#define CONFIG_UNIT_LEN 40

/* Typing slips a register should forgive: case and separators ("121a"
 * for "12-1A"), then a character or two wrong, missing or extra. */
struct config_suggest {
	char want[CONFIG_UNIT_LEN], want_norm[CONFIG_UNIT_LEN];
	char best[CONFIG_SUGGEST_MAX][CONFIG_UNIT_LEN];
	int best_score[CONFIG_SUGGEST_MAX];
	int n;
	long budget; /* candidates still to look at: 50,000, some 20 ms (an estate has a few thousand units) */
};

static void config_unit_norm(const char *s, char *out, size_t len)
{
	size_t k = 0;
	for (; *s && k + 1 < len; s++)
		if (isalnum((unsigned char)*s))
			out[k++] = (char)toupper((unsigned char)*s);
	out[k] = '\0';
}

/* Levenshtein distance of two short strings. */
static int config_distance(const char *a, const char *b)
{
	int prev[CONFIG_UNIT_LEN + 1], cur[CONFIG_UNIT_LEN + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > CONFIG_UNIT_LEN || lb > CONFIG_UNIT_LEN)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]), del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof prev);
	}
	return prev[lb];
}

static void config_suggest_consider(struct config_suggest *s, const char *cand)
{
	char norm[CONFIG_UNIT_LEN];
	int d, score, worst = 0;

	s->budget--;
	config_unit_norm(cand, norm, sizeof norm);
	if (strlen(norm) + 2 < strlen(s->want_norm) || strlen(s->want_norm) + 2 < strlen(norm))
		return; /* lengths alone put it too far */
	d = config_distance(s->want_norm, norm);
	if (d > (strlen(s->want_norm) >= 6 ? 2 : 1) || (d > 0 && strlen(s->want_norm) < 3))
		return;                                   /* too far to be a slip of the same unit */
	score = d * 100 + config_distance(s->want, cand); /* the same keys first, then the spelling */
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->best[i], cand) == 0)
			return;
	if (s->n < CONFIG_SUGGEST_MAX) {
		worst = s->n++;
	} else {
		for (int i = 1; i < s->n; i++)
			if (s->best_score[i] > s->best_score[worst])
				worst = i;
		if (s->best_score[worst] <= score)
			return;
	}
	snprintf(s->best[worst], sizeof s->best[worst], "%s", cand);
	s->best_score[worst] = score;
}

int config_unit_suggest(const config_t *cfg, const char *unit, char *buf, size_t len)
{
	/* A refusal is answered on the loop thread: a bound on the work, some
	 * milliseconds, whatever the register and however many refusals come. */
	struct config_suggest s = { .budget = 50000 };
	int order[CONFIG_SUGGEST_MAX], k = 0;
	size_t used = 0;

	buf[0] = '\0';
	snprintf(s.want, sizeof s.want, "%s", unit);
	config_unit_norm(unit, s.want_norm, sizeof s.want_norm);
	for (unsigned i = 0; i < cfg->units_count && s.budget > 0; i++) {
		const struct config_unit *u = &cfg->units[i];
		char cand[CONFIG_UNIT_LEN];
		if (u->unit)
			config_suggest_consider(&s, u->unit);
		if (u->building == NULL)
			continue;
		for (int f = u->floor_from; f <= u->floor_to && s.budget > 0; f++) {
			if (u->flat_from == 0) {
				snprintf(cand, sizeof cand, "%s-%d", u->building, f);
				config_suggest_consider(&s, cand);
			}
			for (char c = u->flat_from; c && c <= u->flat_to; c++) {
				snprintf(cand, sizeof cand, "%s-%d%c", u->building, f, c);
				config_suggest_consider(&s, cand);
			}
		}
	}
	/* best first */
	for (int i = 0; i < s.n; i++)
		order[i] = i;
	for (int i = 1; i < s.n; i++)
		for (int j = i; j > 0 && s.best_score[order[j]] < s.best_score[order[j - 1]]; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	/* only the closest: "121A" is 12-1A (or 1-21A), not also 1-1A one key away */
	while (s.n > 1 && s.best_score[order[s.n - 1]] > s.best_score[order[0]])
		s.n--;
	for (k = 0; k < s.n; k++)
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 k == 0         ? ""
					 : k == s.n - 1 ? " or "
							: ", ",
					 s.best[order[k]]);
	return s.n;
}
