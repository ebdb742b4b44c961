/*
 * desk_roster: what the desk asks about crews and routing: the crew
 * overview (Crews) and the dry run of routing (Explain).
 */
#include "desk.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dc_json.h"
#include "dc_time.h"

enum { M_ID, M_NAME, M_SHIFT, M_ONLINE, M_SEEN, M_DUTY, M_AVAIL, M_OPEN, M_SKILLS, M_N };

static const char *const m_names[M_N] = {
	"MEMBER", "NAME", "SHIFT", "ONLINE", "LAST SEEN", "DUTY", "AVAILABLE", "OPEN", "SKILLS",
};

struct mrow {
	char id[72], seen[32], open[16], skills[256];
	const char *cells[M_N];
};

static void mrow_fill(struct mrow *w, const Dispatch__Member *m, int64_t now)
{
	size_t i, n = 0;

	snprintf(w->id, sizeof w->id, "%s%s", m->id ? m->id : "", m->supervisor ? "*" : "");
	if (m->last_seen_ms > 0)
		dc_time_short(m->last_seen_ms, now, w->seen, sizeof w->seen);
	else
		snprintf(w->seen, sizeof w->seen, "never");
	snprintf(w->open, sizeof w->open, "%u", m->open);
	w->skills[0] = '\0';
	for (i = 0; i < m->n_skills && n + 2 < sizeof w->skills; i++)
		n += (size_t)snprintf(w->skills + n, sizeof w->skills - n, "%s%s", i ? "," : "",
				      m->skills[i] ? m->skills[i] : "");
	w->cells[M_ID] = w->id;
	w->cells[M_NAME] = m->name && *m->name ? m->name : "-";
	w->cells[M_SHIFT] = m->on_shift ? "on" : "off";
	w->cells[M_ONLINE] = m->online ? "yes" : "no";
	w->cells[M_SEEN] = w->seen;
	/* No Duty: the member follows the shift calendar. */
	w->cells[M_DUTY] = m->duty ? (m->duty->on ? "on" : "off") : "shift";
	w->cells[M_AVAIL] = m->available ? "yes" : "no";
	w->cells[M_OPEN] = w->open;
	w->cells[M_SKILLS] = *w->skills ? w->skills : "-";
}

struct mrow_ctx {
	const struct desk_opts *o;
	const Dispatch__CrewInfo *c;
	const struct mrow *rows;
};

static void mrow_cells(const void *ctx, size_t i, const char **cells, const char **colors)
{
	const struct mrow_ctx *x = ctx;
	const Dispatch__Member *m = x->c->members[i];

	memcpy(cells, x->rows[i].cells, sizeof x->rows[i].cells);
	colors[M_AVAIL] = m->available ? x->o->c.green : x->o->c.dim;
	if (!m->online)
		colors[M_ONLINE] = x->o->c.dim;
}

static void print_crew(const struct desk_opts *o, const Dispatch__CrewInfo *c, int64_t now)
{
	struct mrow rows[256];
	size_t n = c->n_members < 256 ? c->n_members : 256, i;

	printf("%s", o->c.bold);
	dc_pad(stdout, c->id, 0);
	printf("%s", o->c.off);
	if (c->name && *c->name) {
		fputs(" (", stdout);
		dc_pad(stdout, c->name, 0);
		fputs(")", stdout);
	}
	if (c->outsourced)
		fputs(" outsourced", stdout);
	fputs("  supervisor ", stdout);
	dc_pad(stdout, c->supervisor && *c->supervisor ? c->supervisor : "-", 0);
	if (c->phone && *c->phone) {
		fputs("  phone ", stdout);
		dc_pad(stdout, c->phone, 0);
	}
	printf("  queued %s%u%s\n", c->queued ? o->c.yellow : "", c->queued, c->queued ? o->c.off : "");
	for (i = 0; i < n; i++)
		mrow_fill(&rows[i], c->members[i], now);
	{
		struct mrow_ctx x = { o, c, rows };
		struct desk_table tab = { m_names, M_N, "  ", 0, mrow_cells, &x, n };

		desk_table_print(o, &tab);
	}
}

int desk_crews(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Crews crews = DISPATCH__CREWS__INIT;
	Dispatch__Reply *r = NULL;
	int64_t now = dc_wall_ms();
	size_t i;
	int rc;

	if (o->crew)
		crews.crew = (char *)o->crew;
	req.body_case = DISPATCH__REQUEST__BODY_CREWS;
	req.crews = &crews;
	rc = desk_call(dc, &req, &r);
	if (rc)
		return rc;
	if (r->now_ms)
		now = r->now_ms; /* "last seen" by the daemon's clock */
	if (o->json) {
		json_t *a = json_array();
		for (i = 0; a && i < r->n_crews; i++)
			if (json_array_append_new(a, dc_json_crew(r->crews[i])) < 0) {
				json_decref(a);
				a = NULL;
			}
		rc = desk_print_json(a);
		goto out;
	}
	if (r->n_crews == 0)
		printf("no crews\n");
	for (i = 0; i < r->n_crews; i++) {
		if (i)
			putchar('\n');
		print_crew(o, r->crews[i], now);
	}
	if (r->n_crews)
		printf("\n* supervisor. DUTY \"shift\": follows the shift calendar. "
		       "AVAILABLE: would be sent a ticket now.\n");
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

int desk_explain(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Explain ex = DISPATCH__EXPLAIN__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Reply *r = NULL;
	char unit[128];
	size_t i;
	int rc;

	rc = desk_submit_from_opts(o, "explain", &sub);
	if (rc)
		return rc;
	ex.submit = &sub;
	req.body_case = DISPATCH__REQUEST__BODY_EXPLAIN;
	req.explain = &ex;
	rc = desk_call(dc, &req, &r);
	if (rc)
		return rc;
	if (o->json) {
		json_t *a = json_array();
		for (i = 0; a && i < r->n_decisions; i++)
			if (json_array_append_new(a, dc_json_decision(r->decisions[i])) < 0) {
				json_decref(a);
				a = NULL;
			}
		rc = desk_print_json(a);
		goto out;
	}
	printf("a %s at %s would go to:\n", dc_kind_name(sub.kind), dc_clean(sub.unit, unit, sizeof unit));
	if (r->n_decisions == 0)
		printf("  nobody: no rule matched\n");
	for (i = 0; i < r->n_decisions; i++) {
		const Dispatch__Decision *d = r->decisions[i];

		fputs("  rule ", stdout);
		dc_pad(stdout, d->rule && *d->rule ? d->rule : "-", 0);
		fputs(": ", stdout);
		dc_pad(stdout, d->crew && *d->crew ? d->crew : "-", 0);
		fputs(" -> ", stdout);
		if (d->member && *d->member) {
			printf("%s", o->c.green);
			dc_pad(stdout, d->member, 0);
			printf("%s", o->c.off);
		} else {
			printf("%squeued%s", o->c.yellow, o->c.off);
			if (d->escalated_to && *d->escalated_to) {
				fputs(" -> escalated to ", stdout);
				dc_pad(stdout, d->escalated_to, 0);
			}
		}
		putchar('\n');
		if (d->reason && *d->reason) {
			fputs("    why: ", stdout);
			dc_pad(stdout, d->reason, 0);
			putchar('\n');
		}
	}
	printf("nothing was stored: this was a dry run\n");
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}
