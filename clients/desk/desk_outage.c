/*
 * desk_outage: declared outages ("water off, building 3, 09:00-12:00").
 * Matching reports attach to the outage and get its text back instead of
 * a crew; ending it closes them together. The daemon does the matching;
 * this file turns command-line words into the Outage message and back.
 */
#include "desk.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dc_json.h"
#include "dc_time.h"

/* "a, b, c" from a repeated string field, cleaned, into buf. */
static char *join(char **v, size_t n, char *buf, size_t size)
{
	size_t i, o = 0;
	char clean[256];

	buf[0] = '\0';
	for (i = 0; i < n && o + 1 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", dc_clean(v[i], clean, sizeof clean));
	return buf;
}

static char *area_text(const Dispatch__Outage *x, char *buf, size_t size)
{
	char part[512];
	size_t o = 0;

	buf[0] = '\0';
	if (x->n_buildings && o < size)
		o += (size_t)snprintf(buf + o, size - o, "building %s",
				      join(x->buildings, x->n_buildings, part, sizeof part));
	if (x->n_zones && o < size)
		o += (size_t)snprintf(buf + o, size - o, "%szone %s", o ? "; " : "",
				      join(x->zones, x->n_zones, part, sizeof part));
	if (x->n_units && o < size)
		snprintf(buf + o, size - o, "%sunits %s", o ? "; " : "", join(x->units, x->n_units, part, sizeof part));
	if (!*buf)
		snprintf(buf, size, "-");
	return buf;
}

static char *kinds_text(const Dispatch__Outage *x, char *buf, size_t size)
{
	size_t i, o = 0;
	char cats[512];

	buf[0] = '\0';
	for (i = 0; i < x->n_kinds && o + 1 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "," : "", dc_kind_name(x->kinds[i]));
	if (!x->n_kinds)
		o += (size_t)snprintf(buf, size, "any kind");
	if (x->n_categories && o + 1 < size)
		snprintf(buf + o, size - o, "; category %s", join(x->categories, x->n_categories, cats, sizeof cats));
	return buf;
}

static void print_outage(const struct desk_opts *o, const Dispatch__Outage *x, const char *verb)
{
	char buf[1024], from[64], to[64];
	size_t i;

	printf("%soutage %" PRIu64 " %s%s: ", o->c.bold, x->id, verb, o->c.off);
	dc_pad(stdout, x->text, 0);
	putchar('\n');
	printf("  area     %s\n", area_text(x, buf, sizeof buf));
	printf("  reports  %s\n", kinds_text(x, buf, sizeof buf));
	printf("  from     %s\n", dc_format_time(x->from_ms, from, sizeof from));
	printf("  until    %s\n", dc_format_time(x->to_ms, to, sizeof to));
	if (x->declared_by && *x->declared_by) {
		fputs("  by       ", stdout);
		dc_pad(stdout, x->declared_by, 0);
		putchar('\n');
	}
	printf("  tickets  %zu attached", x->n_tickets);
	for (i = 0; i < x->n_tickets; i++)
		printf("%s%" PRIu64, i ? ", " : ": ", x->tickets[i]);
	putchar('\n');
}

/* The first outage of a reply, or NULL after saying it is missing. */
static const Dispatch__Outage *first_outage(const Dispatch__Reply *r)
{
	if (r->n_outages && r->outages[0])
		return r->outages[0];
	fprintf(stderr, DESK_PROG ": the daemon's reply carries no outage\n");
	return NULL;
}

static int print_reply_outage(const struct desk_opts *o, const Dispatch__Reply *r, const char *verb)
{
	const Dispatch__Outage *x = first_outage(r);

	if (!x)
		return DC_EXIT_UNAVAILABLE;
	if (o->json)
		return desk_print_json(dc_json_outage(x));
	print_outage(o, x, verb);
	return 0;
}

int desk_outage_declare(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__DeclareOutage decl = DISPATCH__DECLARE_OUTAGE__INIT;
	Dispatch__Outage x = DISPATCH__OUTAGE__INIT;
	Dispatch__Kind kinds[DESK_MULTI_MAX];
	Dispatch__Reply *r = NULL;
	int64_t now = dc_wall_ms(), from = now, to;
	int i, rc;

	if (!o->text || !*o->text)
		return desk_usage("%s needs --text: what residents should hear", "outage declare");
	if (!o->building.n && !o->zone.n && !o->unit.n)
		return desk_usage("%s needs an area: --building, --zone or --unit (each may repeat)", "outage declare");
	if (!o->until)
		return desk_usage("%s needs --until TIME", "outage declare");
	if (o->from && dc_time_parse(o->from, now, &from) < 0)
		return desk_usage("--from wants HH:MM, YYYY-MM-DDTHH:MM or now, not '%s'", o->from);
	if (dc_time_parse(o->until, now, &to) < 0)
		return desk_usage("--until wants HH:MM, YYYY-MM-DDTHH:MM or now, not '%s'", o->until);
	/* The words are right: read them again on the estate's clock. */
	if ((rc = desk_estate_clock(dc, &now)) != 0)
		return rc;
	from = now;
	if ((o->from && dc_time_parse(o->from, now, &from) < 0) || dc_time_parse(o->until, now, &to) < 0)
		return desk_usage("%s: that time does not exist in the estate's time zone", "--from/--until");
	if (to <= from)
		return desk_usage("--until must be later than --from (%s)", o->from ? o->from : "now");
	for (i = 0; i < o->kind.n; i++)
		if (dc_kind_parse(o->kind.v[i], &kinds[i]) < 0)
			return desk_usage("unknown kind '%s' (repair, complaint, special, security, "
					  "cleaning, inquiry, suggestion)",
					  o->kind.v[i]);
	x.text = (char *)o->text;
	x.buildings = (char **)o->building.v;
	x.n_buildings = (size_t)o->building.n;
	x.zones = (char **)o->zone.v;
	x.n_zones = (size_t)o->zone.n;
	x.units = (char **)o->unit.v;
	x.n_units = (size_t)o->unit.n;
	x.kinds = kinds;
	x.n_kinds = (size_t)o->kind.n;
	x.categories = (char **)o->category.v;
	x.n_categories = (size_t)o->category.n;
	x.from_ms = from;
	x.to_ms = to;
	decl.outage = &x;
	req.body_case = DISPATCH__REQUEST__BODY_DECLARE_OUTAGE;
	req.declare_outage = &decl;
	rc = desk_call(dc, &req, &r);
	if (rc)
		return rc;
	rc = print_reply_outage(o, r, "declared");
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

int desk_outage_end(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__EndOutage end = DISPATCH__END_OUTAGE__INIT;
	Dispatch__Reply *r = NULL;
	uint64_t id;
	int rc;

	if (desk_id_arg(o->args[0], "an outage id", &id) < 0)
		return DC_EXIT_USAGE;
	end.outage_id = id;
	if (o->note)
		end.note = (char *)o->note;
	req.body_case = DISPATCH__REQUEST__BODY_END_OUTAGE;
	req.end_outage = &end;
	rc = desk_call(dc, &req, &r);
	if (rc)
		return rc;
	rc = print_reply_outage(o, r, "ended");
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

enum { X_ID, X_STATE, X_FROM, X_UNTIL, X_AREA, X_REPORTS, X_TICKETS, X_TEXT, X_N };

static const char *const x_names[X_N] = {
	"ID", "STATE", "FROM", "UNTIL", "AREA", "REPORTS", "TICKETS", "TEXT",
};

struct xrow {
	char id[24], from[32], until[32], area[256], reports[256], tickets[16];
	const char *cells[X_N];
};

static void xrow_fill(struct xrow *w, const Dispatch__Outage *x, int64_t now)
{
	snprintf(w->id, sizeof w->id, "%" PRIu64, x->id);
	dc_time_short(x->from_ms, now, w->from, sizeof w->from);
	dc_time_short(x->to_ms, now, w->until, sizeof w->until);
	area_text(x, w->area, sizeof w->area);
	kinds_text(x, w->reports, sizeof w->reports);
	snprintf(w->tickets, sizeof w->tickets, "%zu", x->n_tickets);
	w->cells[X_ID] = w->id;
	w->cells[X_STATE] = x->ended ? "ended" : x->from_ms > now ? "planned" : x->to_ms < now ? "over" : "active";
	w->cells[X_FROM] = w->from;
	w->cells[X_UNTIL] = w->until;
	w->cells[X_AREA] = w->area;
	w->cells[X_REPORTS] = w->reports;
	w->cells[X_TICKETS] = w->tickets;
	w->cells[X_TEXT] = x->text;
}

static void xrow_cells(const void *ctx, size_t i, const char **cells, const char **colors)
{
	const struct xrow *w = &((const struct xrow *)ctx)[i];

	(void)colors;
	memcpy(cells, w->cells, sizeof w->cells);
}

int desk_outage_list(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__ListOutages lo = DISPATCH__LIST_OUTAGES__INIT;
	Dispatch__Reply *r = NULL;
	struct xrow rows[512];
	int64_t now = dc_wall_ms();
	size_t i, n;
	int rc;

	lo.include_ended = o->all;
	req.body_case = DISPATCH__REQUEST__BODY_LIST_OUTAGES;
	req.list_outages = &lo;
	rc = desk_call(dc, &req, &r);
	if (rc)
		return rc;
	if (o->json) {
		json_t *a = json_array();
		for (i = 0; a && i < r->n_outages; i++)
			if (json_array_append_new(a, dc_json_outage(r->outages[i])) < 0) {
				json_decref(a);
				a = NULL;
			}
		rc = desk_print_json(a);
		goto out;
	}
	n = r->n_outages < 512 ? r->n_outages : 512;
	if (r->now_ms)
		now = r->now_ms; /* "active" by the daemon's clock, not this machine's */
	if (n == 0) {
		printf("no %soutages\n", o->all ? "" : "current ");
		goto out;
	}
	for (i = 0; i < n; i++)
		xrow_fill(&rows[i], r->outages[i], now);
	{
		struct desk_table tab = { x_names, X_N, NULL, 0, xrow_cells, rows, n };

		desk_table_print(o, &tab);
	}
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}
