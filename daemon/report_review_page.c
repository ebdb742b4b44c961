/*
 * report_review_page: the management review for people: aligned text, one
 * self-contained HTML page (inline SVG charts, no script, nothing fetched)
 * and one SVG picture. The figures come computed (report_review.c); this
 * file only lays them out.
 *
 * A manager reads the body: the headline against the previous period,
 * per crew and member, volumes, times, compliance, satisfaction, and the
 * first REPORT_TOP of each long list (complaints, vendor incidents, repeat
 * problems) with "and N more". Every list cut in the body is given whole
 * in the appendix at the end (and always in the CSV and JSON).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_impl.h"
#include "xalloc.h"

static const char *const review_kind_colors[REVIEW_KINDS] = { "#9e9e9e", "#1f77b4", "#d62728", "#9467bd",
							      "#2ca02c", "#17becf", "#ff7f0e", "#bcbd22" };

/* How the headline "resolved by the deadline" and "met every deadline" are
 * counted: the same words under the text, the cards and the chart. */
static const char review_resolve_def[] =
	"Resolved by the deadline: of the tickets whose resolve deadline is decided (met, or missed; "
	"still pending ones are left out), the share that met it. The monthly chart shows the same "
	"figure per month.";
static const char review_every_def[] =
	"Met every deadline: of the tickets with at least one decided deadline, the share that missed "
	"none of them (acknowledge, arrive, resolve, follow-up).";

static size_t review_shown(size_t n)
{
	return n < REPORT_TOP ? n : REPORT_TOP;
}

/* ---- text ---- */

static void review_text_counts(FILE *f, const char *title, const struct review_counts *c, uint64_t total)
{
	char pct[16];
	fprintf(f, "\n%s\n", title);
	for (size_t i = 0; i < c->n; i++) {
		fputs("  ", f);
		report_pad(f, c->v[i].key, 24);
		fprintf(f, " %7" PRIu64 "  %6s\n", c->v[i].n, review_pct_str(c->v[i].n, total, pct, sizeof pct));
	}
}

/* Text wrapped at 76 columns, each line indented. */
static void review_text_wrap(FILE *f, const char *s, const char *indent)
{
	size_t col = 0, w;

	while (*s) {
		while (*s == ' ')
			s++;
		w = strcspn(s, " ");
		if (w == 0)
			break;
		if (col && col + 1 + w > 76) {
			fputc('\n', f);
			col = 0;
		}
		if (col == 0)
			col = (size_t)fprintf(f, "%s", indent);
		else
			col += (size_t)fprintf(f, " ");
		col += fwrite(s, 1, w, f);
		s += w;
	}
	fputc('\n', f);
}

static void review_text_group(FILE *f, const char *name, const struct review_group *g)
{
	char a[32], b[32], c[32], d[16], e[16], s[48];
	uint64_t n;
	double avg = review_sat_avg(g, &n);

	if (n)
		snprintf(s, sizeof s, "%.2f (%" PRIu64 ")", avg, n);
	else
		snprintf(s, sizeof s, "-");
	report_pad(f, name, 24);
	fprintf(f, " %7" PRIu64 " %5" PRIu64 " %11s %9s %9s %9s %9s  %s\n", g->tickets, g->open,
		report_dur(review_pct(&g->ack, 50), a, sizeof a), report_dur(review_pct(&g->arr, 50), b, sizeof b),
		report_dur(review_pct(&g->res, 50), c, sizeof c),
		review_pct_str(g->dl_met[REVIEW_RESOLVE], g->dl_decided[REVIEW_RESOLVE], d, sizeof d),
		review_pct_str(g->every_met, g->every_decided, e, sizeof e), s);
}

static void review_text_complaint(FILE *f, const struct review_item *c)
{
	char buf[32];

	fprintf(f, "  #%" PRIu64 " %s %s about %s, %s", c->id, REPORT_DAY(c->created_ms, buf), c->unit, c->who,
		c->state);
	if (c->score)
		fprintf(f, ", satisfaction %u", c->score);
	fprintf(f, ": %s -> %s\n", c->a[0] ? c->a : "(cause not recorded)",
		c->b[0] ? c->b : "(no corrective action yet)");
}

static void review_text_incident(FILE *f, const struct review_item *v)
{
	fprintf(f, "  %s #%" PRIu64 " %s: %s\n      review: %s\n", v->who, v->id, v->unit, v->a,
		v->b[0] ? v->b : "(not reviewed yet)");
}

static void review_text_repeat(FILE *f, const struct review_item *p)
{
	char b[160];

	snprintf(b, sizeof b, "%s %s", p->unit, p->a);
	fputs("  ", f);
	report_pad(f, b, 32);
	fprintf(f, " %3u times: tickets %s\n", p->score, p->b);
}

static void review_text_more(FILE *f, size_t n)
{
	if (n > REPORT_TOP)
		fprintf(f, "  ... and %zu more (all %zu in the appendix)\n", n - REPORT_TOP, n);
}

void review_text(const struct review *r, const struct report_opts *o, const struct report_stamp *st)
{
	const struct review_group *g = &r->all;
	const struct review_durs *ds[3] = { &g->ack, &g->arr, &g->res };
	FILE *f = o->out;
	char buf[64], b2[64], b3[64];
	uint64_t n;
	double avg = review_sat_avg(g, &n);
	struct review_figure fig[REVIEW_FIGURES];

	fprintf(f, "Management review (管理評審): %s, %s to %s (exclusive)\n", o->estate ? o->estate : "",
		REPORT_DAY(r->from_ms, buf), REPORT_DAY(r->to_ms, b2));
	fprintf(f, "covers the event log up to seq %" PRIu64 ", chain head %s\n", st->last_seq, st->head);

	review_headline(r, fig);
	if (r->prev)
		fprintf(f, "\nHeadline, against the previous period (%s to %s)\n", REPORT_DAY(r->prev->from_ms, buf),
			REPORT_DAY(r->prev->to_ms, b2));
	else
		fprintf(f, "\nHeadline\n");
	fprintf(f, "  %-32s %14s %14s  %s\n", "", "this period", "previous", "change");
	for (int i = 0; i < REVIEW_FIGURES; i++)
		fprintf(f, "  %-32s %14s %14s  %s\n", fig[i].label, review_figure_str(&fig[i], false, buf, sizeof buf),
			review_figure_str(&fig[i], true, b2, sizeof b2), review_change_str(&fig[i], b3, sizeof b3));
	review_text_wrap(f, review_resolve_def, "  ");
	review_text_wrap(f, review_every_def, "  ");

	fprintf(f, "\nTickets: %" PRIu64 " (%" PRIu64 " open, %" PRIu64 " closed, %" PRIu64 " cancelled)\n", g->tickets,
		g->open, g->closed, g->cancelled);
	fprintf(f, "\nBy crew and member: tickets, still open, median times to acknowledge, arrive and resolve,\n"
		   "resolved by the deadline, met every deadline, satisfaction (follow-ups)\n");
	fprintf(f, "%-24s %7s %5s %11s %9s %9s %9s %9s  %s\n", "crew / member", "tickets", "open", "acknowledge",
		"arrive", "resolve", "resolved", "every", "satisfaction");
	for (size_t i = 0; i < r->crews.n; i++) {
		const struct review_group *c = &r->crews.v[i];
		review_text_group(f, c->crew, c);
		for (size_t j = 0; j < r->members.n; j++)
			if (strcmp(r->members.v[j].crew, c->crew) == 0) {
				snprintf(buf, sizeof buf, "  %s", review_member_name(&r->members.v[j]));
				review_text_group(f, buf, &r->members.v[j]);
			}
	}
	review_text_group(f, "all crews", g);

	fprintf(f, "\nBy kind\n");
	for (int k = 0; k < REVIEW_KINDS; k++)
		if (g->kinds[k])
			fprintf(f, "  %-24s %7" PRIu64 "  %6s\n", REPORT_KIND(k, buf), g->kinds[k],
				review_pct_str(g->kinds[k], g->tickets, b2, sizeof b2));
	review_text_counts(f, "By category", &r->cats, g->tickets);
	review_text_counts(f, "By building", &r->buildings, g->tickets);
	fprintf(f, "\nBy month                   tickets  resolved by deadline  met every deadline\n");
	for (int i = 0; i < r->nmonths; i++) {
		const struct review_group *m = &r->months[i];
		fprintf(f, "  %-24s %7" PRIu64 "  %20s  %18s\n", review_month_name(r, i, buf, sizeof buf), m->tickets,
			review_pct_str(m->dl_met[REVIEW_RESOLVE], m->dl_decided[REVIEW_RESOLVE], b2, sizeof b2),
			review_pct_str(m->every_met, m->every_decided, b3, sizeof b3));
	}
	fprintf(f, "\nTimes (from the report, or a paid service's consent)   median        p90  tickets\n");
	for (int i = 0; i < 3; i++) {
		char m[32], p[32];
		fprintf(f, "  to %-50s %9s %10s %8zu\n", review_deadline_names[i],
			report_dur(review_pct(ds[i], 50), m, sizeof m), report_dur(review_pct(ds[i], 90), p, sizeof p),
			ds[i]->n);
	}
	fprintf(f, "\nDeadline compliance\n");
	for (int d = 0; d < 4; d++)
		fprintf(f, "  %-24s %6s  (%" PRIu64 " of %" PRIu64 " met)\n", review_deadline_names[d],
			review_pct_str(g->dl_met[d], g->dl_decided[d], buf, sizeof buf), g->dl_met[d],
			g->dl_decided[d]);
	fprintf(f, "  %-24s %6s  (%" PRIu64 " of %" PRIu64 " tickets)\n", "every deadline",
		review_pct_str(g->every_met, g->every_decided, buf, sizeof buf), g->every_met, g->every_decided);
	fprintf(f, "\nSatisfaction (every follow-up recorded in the period): %" PRIu64 " scored, average %.2f\n", n,
		avg);
	for (int i = 5; i >= 1; i--)
		fprintf(f, "  %d  %7" PRIu64 "  %6s\n", i, g->sat[i], review_pct_str(g->sat[i], n, buf, sizeof buf));
	fprintf(f,
		"\nSuggestions and opinions: %" PRIu64 " (%" PRIu64 " praise), %" PRIu64 " acted on, %" PRIu64
		" followed up\n",
		r->sugg, r->sugg_praise, r->sugg_done, r->sugg_followed);
	fprintf(f,
		"\nPlanned work: %" PRIu64 " planned, %" PRIu64 " reported; visits booked with residents: %" PRIu64
		", missed by the crew: %" PRIu64 "\n",
		r->planned, r->all.tickets - r->planned, r->visits, r->visits_missed); /* issue 19 */
	fprintf(f, "\nComplaints: %zu\n", r->complaints.n);
	for (size_t i = 0; i < r->causes.n; i++) {
		fputs("  cause: ", f);
		report_pad(f, r->causes.v[i].key, 40);
		fprintf(f, " %5" PRIu64 "\n", r->causes.v[i].n);
	}
	if (r->complaints.n > REPORT_TOP)
		fprintf(f, "  the %d that most need attention (still open first, then the lowest scores):\n",
			REPORT_TOP);
	for (size_t i = 0; i < review_shown(r->complaints.n); i++)
		review_text_complaint(f, r->attention[i]);
	review_text_more(f, r->complaints.n);
	fprintf(f, "\nReopened: %" PRIu64 " of %" PRIu64 " resolved tickets (%s), %" PRIu64 " reopenings\n",
		g->reopened, g->resolved, review_pct_str(g->reopened, g->resolved, buf, sizeof buf), r->reopens);
	fprintf(f,
		"\nPaid special services: %" PRIu64 " (%" PRIu64 " consented), quoted %s, charged %s on %" PRIu64 "\n",
		r->paid, r->paid_consented, review_money(r->paid_quoted, buf, sizeof buf),
		review_money(g->paid_charged, b2, sizeof b2), r->paid_charged_n);
	fprintf(f, "\nVendors (outsourced crews): tickets handled, incidents\n");
	for (size_t i = 0; i < r->vendors.n; i++) {
		uint64_t inc = 0, rev = 0;
		for (size_t j = 0; j < r->incidents.n; j++)
			if (strcmp(r->incidents.v[j].who, r->vendors.v[i].key) == 0) {
				inc++;
				rev += r->incidents.v[j].b[0] != '\0';
			}
		fprintf(f, "  %-24s %7" PRIu64 " tickets, %" PRIu64 " incident(s), %" PRIu64 " reviewed\n",
			r->vendors.v[i].key, r->vendors.v[i].n, inc, rev);
	}
	if (r->incidents.n > REPORT_TOP)
		fprintf(f, "  the first %d (not reviewed yet first):\n", REPORT_TOP);
	for (size_t i = 0; i < review_shown(r->incidents.n); i++)
		review_text_incident(f, &r->incidents.v[i]);
	review_text_more(f, r->incidents.n);
	fprintf(f, "\nRepeat problems (same unit and category %d or more times): %zu\n", REPORT_REPEAT_MIN,
		r->repeats.n);
	for (size_t i = 0; i < review_shown(r->repeats.n); i++)
		review_text_repeat(f, &r->repeats.v[i]);
	review_text_more(f, r->repeats.n);
	review_cost_text(f, &r->costing); /* issue 19: costs, repeat failures per asset */

	if (r->complaints.n <= REPORT_TOP && r->incidents.n <= REPORT_TOP && r->repeats.n <= REPORT_TOP)
		return;
	fprintf(f, "\nAppendix: the full lists\n");
	if (r->complaints.n > REPORT_TOP) {
		fprintf(f, "\nAll complaints (%zu), by ticket\n", r->complaints.n);
		for (size_t i = 0; i < r->complaints.n; i++)
			review_text_complaint(f, &r->complaints.v[i]);
	}
	if (r->incidents.n > REPORT_TOP) {
		fprintf(f, "\nAll vendor incidents (%zu)\n", r->incidents.n);
		for (size_t i = 0; i < r->incidents.n; i++)
			review_text_incident(f, &r->incidents.v[i]);
	}
	if (r->repeats.n > REPORT_TOP) {
		fprintf(f, "\nAll repeat problems (%zu)\n", r->repeats.n);
		for (size_t i = 0; i < r->repeats.n; i++)
			review_text_repeat(f, &r->repeats.v[i]);
	}
}

/* ---- pictures (inline SVG) ---- */

/* A bar chart at (x, y), w by h: n bars of k stacked series (v[i*k+j]),
 * a y axis from 0 to max with 4 gridlines labelled by axis_fmt, each bar
 * by fmt. A bar whose
 * first value is below 0 has no data: no bar, labelled "-". Under narrow
 * bars only every few labels is written, so that they never overlap. */
static void review_bars(FILE *f, const char *id, int x, int y, int w, int h, const char *title, size_t n,
			char labels[][16], const double *v, int k, const char *const *colors, double max,
			const char *fmt, const char *axis_fmt)
{
	const int left = 48, bottom = 36, top = 28;
	double pw = w - left - 10, ph = h - top - bottom, bw;
	size_t every;
	char lab[32];

	if (max <= 0)
		max = 1;
	bw = n ? pw / (double)n : pw;
	every = bw >= 50 ? 1 : (size_t)(50 / bw) + 1; /* "2026-01" is about 45 px wide */
	fprintf(f, "<g id=\"%s\" transform=\"translate(%d,%d)\" font-family=\"sans-serif\" font-size=\"11\">\n", id, x,
		y);
	fprintf(f, "<text x=\"%d\" y=\"16\" font-size=\"14\" font-weight=\"bold\">", left);
	report_xml(f, title);
	fprintf(f, "</text>\n");
	for (int g = 0; g <= 4; g++) {
		double gy = top + ph - ph * g / 4.0;
		snprintf(lab, sizeof lab, axis_fmt, max * g / 4.0);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, gy, left + pw,
			gy);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>\n", left - 4, gy + 4,
			lab);
	}
	for (size_t i = 0; i < n; i++) {
		double base = top + ph, bx = left + bw * (double)i + bw * 0.12, total = 0;
		bool none = v[i * (size_t)k] < 0;
		for (int j = 0; j < k && !none; j++) {
			double bh = ph * v[i * (size_t)k + (size_t)j] / max;
			total += v[i * (size_t)k + (size_t)j];
			if (bh <= 0)
				continue;
			base -= bh;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>", bx, base,
				bw * 0.76, bh, colors[j]);
		}
		if (none)
			snprintf(lab, sizeof lab, "-");
		else
			snprintf(lab, sizeof lab, fmt, total);
		if (bw >= 24 || i % every == 0)
			fprintf(f,
				"<text class=\"value\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\" "
				"fill=\"#333\">%s</text>",
				bx + bw * 0.38, base - 3, lab);
		if (i % every == 0) {
			fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">",
				bx + bw * 0.38, top + ph + 14);
			report_xml(f, labels[i]);
			fprintf(f, "</text>");
		}
		fputc('\n', f);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n</g>\n", left, top + ph,
		left + pw, top + ph);
}

/* A round top for an axis: 1, 2 or 5 times a power of ten, at least v,
 * so the four gridlines fall on round numbers. */
static double review_nice(double v)
{
	double p = 1;

	if (v <= 4)
		return 4;
	while (p * 10 <= v)
		p *= 10;
	for (int i = 0; i < 3; i++) {
		static const double steps[] = { 2, 4, 8 }; /* 4 gridlines: keep them integral */
		if (v <= steps[i] * p)
			return steps[i] * p;
	}
	return 10 * p;
}

/* The three charts, each w x 300, stacked from y. Returns the height used. */
static int review_charts(FILE *f, const struct review *r, int w, int y0)
{
	char labels[REPORT_MONTHS_MAX][16], sl[5][16];
	double *v = xcalloc((size_t)r->nmonths * REVIEW_KINDS + 1, sizeof *v), max = 0, sv[5];
	static const char *const green[] = { "#2ca02c" }, *const blue[] = { "#1f77b4" };
	char legend[64];
	int y = y0;

	for (int i = 0; i < r->nmonths; i++) {
		review_month_name(r, i, labels[i], sizeof labels[i]); /* "2026-03" */
		for (int k = 0; k < REVIEW_KINDS; k++)
			v[i * REVIEW_KINDS + k] = (double)r->months[i].kinds[k];
		if ((double)r->months[i].tickets > max)
			max = (double)r->months[i].tickets;
	}
	review_bars(f, "chart-volume", 0, y, w, 300, "Tickets per month, by kind", (size_t)r->nmonths, labels, v,
		    REVIEW_KINDS, review_kind_colors, review_nice(max * 1.05), "%.0f", "%.0f");
	/* legend */
	for (int k = 1, lx = 60; k < REVIEW_KINDS; k++, lx += 100) {
		fprintf(f,
			"<g font-family=\"sans-serif\" font-size=\"11\"><rect x=\"%d\" y=\"%d\" width=\"10\" "
			"height=\"10\" "
			"fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text></g>\n",
			lx, y + 288, review_kind_colors[k], lx + 14, y + 297, REPORT_KIND(k, legend));
	}
	y += 310;
	/* the headline's own figure, month by month */
	for (int i = 0; i < r->nmonths; i++) {
		const struct review_group *m = &r->months[i];
		v[i] = m->dl_decided[REVIEW_RESOLVE]
			       ? 100.0 * (double)m->dl_met[REVIEW_RESOLVE] / (double)m->dl_decided[REVIEW_RESOLVE]
			       : -1;
	}
	review_bars(f, "chart-resolved", 0, y, w, 300,
		    "Resolved by the deadline, per month (% of decided resolve deadlines met)", (size_t)r->nmonths,
		    labels, v, 1, green, 100, "%.1f%%", "%.0f%%");
	y += 310;
	for (int i = 0; i < 5; i++) {
		snprintf(sl[i], sizeof sl[i], "%d", i + 1);
		sv[i] = (double)r->all.sat[i + 1];
	}
	max = 0;
	for (int i = 0; i < 5; i++)
		if (sv[i] > max)
			max = sv[i];
	review_bars(f, "chart-satisfaction", 0, y, w, 300,
		    "Satisfaction at follow-up (1 poor .. 5 excellent): follow-ups", 5, sl, sv, 1, blue,
		    review_nice(max * 1.05), "%.0f", "%.0f");
	y += 310;
	free(v);
	return y - y0;
}

void review_svg(const struct review *r, const struct report_opts *o, const struct report_stamp *st)
{
	FILE *f = o->out;
	char buf[64], b2[64];
	const int w = 900, head = 70, h = head + 3 * 310 + 10;

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"10\" y=\"24\" font-family=\"sans-serif\" font-size=\"18\" font-weight=\"bold\">Management "
		"review: ",
		w, h, w, h);
	report_xml(f, o->estate ? o->estate : "");
	fprintf(f, ", %s to %s</text>\n", REPORT_DAY(r->from_ms, buf), REPORT_DAY(r->to_ms, b2));
	fprintf(f,
		"<text x=\"10\" y=\"46\" font-family=\"monospace\" font-size=\"10\" fill=\"#555\">%" PRIu64
		" tickets; event log up to seq %" PRIu64 ", chain head %s</text>\n",
		r->all.tickets, st->last_seq, st->head);
	review_charts(f, r, w, head);
	fprintf(f, "</svg>\n");
}

/* ---- HTML ---- */

static void review_html_counts(FILE *f, const char *title, const struct review_counts *c, uint64_t total, size_t max)
{
	char pct[16];
	fprintf(f, "<h3>");
	report_xml(f, title);
	fprintf(f, "</h3>\n<table><tr><th></th><th>tickets</th><th>share</th></tr>\n");
	for (size_t i = 0; i < c->n && i < max; i++) {
		fprintf(f, "<tr><td>");
		report_xml(f, c->v[i].key);
		fprintf(f, "</td><td>%" PRIu64 "</td><td>%s</td></tr>\n", c->v[i].n,
			review_pct_str(c->v[i].n, total, pct, sizeof pct));
	}
	if (c->n > max)
		fprintf(f, "<tr><td colspan=\"3\">... and %zu more (see the CSV or JSON)</td></tr>\n", c->n - max);
	fprintf(f, "</table>\n");
}

static void review_html_more(FILE *f, size_t n, int cols)
{
	if (n > REPORT_TOP)
		fprintf(f,
			"<tr class=\"more\"><td colspan=\"%d\">... and %zu more (all %zu in the appendix)</td></tr>\n",
			cols, n - REPORT_TOP, n);
}

static void review_html_td(FILE *f, const char *s)
{
	fputs("<td>", f);
	report_xml(f, s);
	fputs("</td>", f);
}

/* A row of the crew table; cls: "crew", "member" or "total". */
static void review_html_group(FILE *f, const char *name, const struct review_group *g, const char *cls)
{
	char a[32], b[32], c[32], d[16], e[16];
	uint64_t n;
	double avg = review_sat_avg(g, &n);

	fprintf(f, "<tr class=\"%s\">", cls);
	review_html_td(f, name);
	fprintf(f, "<td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>",
		g->tickets, g->open, report_dur(review_pct(&g->ack, 50), a, sizeof a),
		report_dur(review_pct(&g->arr, 50), b, sizeof b), report_dur(review_pct(&g->res, 50), c, sizeof c),
		review_pct_str(g->dl_met[REVIEW_RESOLVE], g->dl_decided[REVIEW_RESOLVE], d, sizeof d),
		review_pct_str(g->every_met, g->every_decided, e, sizeof e));
	if (n)
		fprintf(f, "<td>%.2f (%" PRIu64 ")</td></tr>\n", avg, n);
	else
		fprintf(f, "<td>-</td></tr>\n");
}

static void review_html_complaints_head(FILE *f)
{
	fprintf(f,
		"<table "
		"class=\"list\"><tr><th>ticket</th><th>date</th><th>unit</th><th>about</th><th>state</th><th>cause</th>"
		"<th>corrective action</th><th>satisfaction</th></tr>\n");
}

static void review_html_complaint(FILE *f, const struct review_item *c)
{
	char buf[32], m[16];

	fprintf(f, "<tr><td>%" PRIu64 "</td><td>%s</td>", c->id, REPORT_DAY(c->created_ms, buf));
	review_html_td(f, c->unit);
	review_html_td(f, c->who);
	review_html_td(f, c->state);
	review_html_td(f, c->a);
	review_html_td(f, c->b);
	fprintf(f, "<td>%s</td></tr>\n", c->score ? (snprintf(m, sizeof m, "%u", c->score), m) : "-");
}

static void review_html_incident(FILE *f, const struct review_item *v)
{
	fputs("<tr>", f);
	review_html_td(f, v->who);
	fprintf(f, "<td>%" PRIu64 "</td>", v->id);
	review_html_td(f, v->unit);
	review_html_td(f, v->a);
	review_html_td(f, v->b[0] ? v->b : "(not reviewed yet)");
	fputs("</tr>\n", f);
}

static void review_html_repeat(FILE *f, const struct review_item *q)
{
	fputs("<tr>", f);
	review_html_td(f, q->unit);
	review_html_td(f, q->a);
	fprintf(f, "<td>%u</td><td>%s</td></tr>\n", q->score, q->b);
}

static const char review_html_style[] =
	"body{font-family:sans-serif;margin:2em;color:#222;max-width:1000px}\n"
	"table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
	"text-align:left;vertical-align:top}th{background:#f3f3f3}\n"
	"td.num,th.num{text-align:right}tr.member td:first-child{padding-left:1.6em;color:#444}\n"
	"tr.crew td,tr.total td{font-weight:bold}tr.crew td{background:#f8f8f8}tr.more "
	"td{font-style:italic;color:#555}\n"
	"#crews td:first-child,table.list td:nth-child(-n+4){white-space:nowrap}\n"
	".cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;padding:.6em 1em}"
	".card b{display:block;font-size:1.6em}.card small{display:block;color:#555}\n"
	".stamp{font-family:monospace;color:#555;font-size:.85em}.def{color:#444;font-size:.9em}\n";

void review_html(const struct review *r, const struct report_opts *o, const struct report_stamp *st)
{
	const struct review_group *g = &r->all;
	const struct review_durs *ds[3] = { &g->ack, &g->arr, &g->res };
	static const int cards[] = { 0, 3, 4, 5, 6, 7, 8 }; /* headline figures shown as cards */
	struct review_figure fig[REVIEW_FIGURES];
	FILE *f = o->out;
	char buf[64], b2[64], m[32], p[32];
	uint64_t n;

	review_sat_avg(g, &n);
	review_headline(r, fig);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Management review: ");
	report_xml(f, o->estate ? o->estate : "");
	fprintf(f, "</title>\n<style>\n%s</style></head><body>\n<h1>Management review (管理評審): ", review_html_style);
	report_xml(f, o->estate ? o->estate : "");
	fprintf(f, "</h1>\n<p>Tickets reported from %s to %s (exclusive).</p>\n", REPORT_DAY(r->from_ms, buf),
		REPORT_DAY(r->to_ms, b2));
	fprintf(f,
		"<p class=\"stamp\">Computed from one snapshot of the store: event log up to seq %" PRIu64
		", hash chain head %s.</p>\n",
		st->last_seq, st->head);
	fprintf(f, "<div class=\"cards\">");
	for (size_t i = 0; i < sizeof cards / sizeof cards[0]; i++) {
		const struct review_figure *x = &fig[cards[i]];
		fprintf(f, "<div class=\"card\" id=\"card-%s\"><b>%s</b>", x->key,
			review_figure_str(x, false, buf, sizeof buf));
		report_xml(f, x->label);
		if (r->prev && x->prev_has)
			fprintf(f, "<small>previous %s (%s)</small>", review_figure_str(x, true, buf, sizeof buf),
				review_change_str(x, b2, sizeof b2));
		else if (r->prev)
			fprintf(f, "<small>no previous figure</small>");
		fprintf(f, "</div>");
	}
	fprintf(f, "</div>\n<p class=\"def\">");
	report_xml(f, review_resolve_def);
	fputc(' ', f);
	report_xml(f, review_every_def);
	fprintf(f, "</p>\n");
	if (r->prev) {
		fprintf(f,
			"<h2>Against the previous period</h2>\n<p>The previous period: %s to %s (exclusive), of the "
			"same length%s.</p>\n<table id=\"comparison\"><tr><th>figure</th><th class=\"num\">this "
			"period</th>"
			"<th class=\"num\">previous</th><th class=\"num\">change</th></tr>\n",
			REPORT_DAY(r->prev->from_ms, buf), REPORT_DAY(r->prev->to_ms, b2),
			r->prev->all.tickets ? ""
					     : "; no tickets were reported in it, so there is nothing to compare with");
		for (int i = 0; i < REVIEW_FIGURES; i++) {
			fprintf(f, "<tr>");
			review_html_td(f, fig[i].label);
			fprintf(f, "<td class=\"num\">");
			report_xml(f, review_figure_str(&fig[i], false, buf, sizeof buf));
			fprintf(f, "</td><td class=\"num\">");
			report_xml(f, review_figure_str(&fig[i], true, buf, sizeof buf));
			fprintf(f, "</td><td class=\"num\">");
			report_xml(f, review_change_str(&fig[i], buf, sizeof buf));
			fprintf(f, "</td></tr>\n");
		}
		fprintf(f, "</table>\n");
	}
	fprintf(f, "<h2>Charts</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"930\" "
		   "viewBox=\"0 0 900 930\" role=\"img\" aria-label=\"monthly volume, resolved by the deadline, "
		   "satisfaction\">\n");
	review_charts(f, r, 900, 0);
	fprintf(f, "</svg>\n<h2>By crew and member</h2>\n<table id=\"crews\"><tr><th>crew / member</th>"
		   "<th>tickets</th><th>open</th><th>median to acknowledge</th><th>median to arrive</th>"
		   "<th>median to resolve</th><th>resolved by the deadline</th><th>met every deadline</th>"
		   "<th>satisfaction (follow-ups)</th></tr>\n");
	for (size_t i = 0; i < r->crews.n; i++) {
		const struct review_group *c = &r->crews.v[i];
		review_html_group(f, c->crew, c, "crew");
		for (size_t j = 0; j < r->members.n; j++)
			if (strcmp(r->members.v[j].crew, c->crew) == 0)
				review_html_group(f, review_member_name(&r->members.v[j]), &r->members.v[j], "member");
	}
	review_html_group(f, "all crews", g, "total");
	fprintf(f, "</table>\n<h2>Volumes</h2>\n<h3>By "
		   "kind</h3>\n<table><tr><th></th><th>tickets</th><th>share</th></tr>\n");
	for (int k = 0; k < REVIEW_KINDS; k++)
		if (g->kinds[k])
			fprintf(f, "<tr><td>%s</td><td>%" PRIu64 "</td><td>%s</td></tr>\n", REPORT_KIND(k, b2),
				g->kinds[k], review_pct_str(g->kinds[k], g->tickets, buf, sizeof buf));
	fprintf(f, "</table>\n");
	review_html_counts(f, "By category", &r->cats, g->tickets, 50);
	review_html_counts(f, "By building", &r->buildings, g->tickets, 100);
	fprintf(f, "<h3>By month</h3>\n<table><tr><th>month</th><th>tickets</th><th>resolved by the deadline</th>"
		   "<th>met every deadline</th></tr>\n");
	for (int i = 0; i < r->nmonths; i++) {
		const struct review_group *mo = &r->months[i];
		fprintf(f, "<tr><td>%s</td><td>%" PRIu64 "</td><td>%s</td>", review_month_name(r, i, b2, sizeof b2),
			mo->tickets,
			review_pct_str(mo->dl_met[REVIEW_RESOLVE], mo->dl_decided[REVIEW_RESOLVE], buf, sizeof buf));
		fprintf(f, "<td>%s</td></tr>\n", review_pct_str(mo->every_met, mo->every_decided, buf, sizeof buf));
	}
	fprintf(f, "</table>\n<h2>Response</h2>\n<table><tr><th>time to</th><th>median</th><th>90th percentile</th>"
		   "<th>tickets</th></tr>\n");
	for (int i = 0; i < 3; i++)
		fprintf(f, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%zu</td></tr>\n", review_deadline_names[i],
			report_dur(review_pct(ds[i], 50), m, sizeof m), report_dur(review_pct(ds[i], 90), p, sizeof p),
			ds[i]->n);
	fprintf(f, "</table>\n<h3>Deadline compliance</h3>\n<table><tr><th>deadline</th><th>met</th><th>of</th>"
		   "<th>rate</th></tr>\n");
	for (int d = 0; d < 4; d++)
		fprintf(f, "<tr><td>%s</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%s</td></tr>\n",
			review_deadline_names[d], g->dl_met[d], g->dl_decided[d],
			review_pct_str(g->dl_met[d], g->dl_decided[d], buf, sizeof buf));
	fprintf(f, "<tr><td>every deadline (tickets)</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%s</td></tr>\n",
		g->every_met, g->every_decided, review_pct_str(g->every_met, g->every_decided, buf, sizeof buf));
	fprintf(f, "</table>\n<h2>Satisfaction</h2>\n<table><tr><th>score</th><th>tickets</th><th>share</th></tr>\n");
	for (int i = 5; i >= 1; i--)
		fprintf(f, "<tr><td>%d</td><td>%" PRIu64 "</td><td>%s</td></tr>\n", i, g->sat[i],
			review_pct_str(g->sat[i], n, buf, sizeof buf));
	fprintf(f,
		"</table>\n<h2>Suggestions and opinions</h2>\n<p>%" PRIu64 " received (%" PRIu64 " praise), %" PRIu64
		" acted on, %" PRIu64 " followed up</p>\n",
		r->sugg, r->sugg_praise, r->sugg_done, r->sugg_followed);
	fprintf(f, "<h2>Complaints (%zu)</h2>\n", r->complaints.n);
	review_html_counts(f, "By cause", &r->causes, r->complaints.n, 100);
	if (r->complaints.n > REPORT_TOP)
		fprintf(f, "<p>The %d that most need attention: still open first, then the lowest scores.</p>\n",
			REPORT_TOP);
	review_html_complaints_head(f);
	for (size_t i = 0; i < review_shown(r->complaints.n); i++)
		review_html_complaint(f, r->attention[i]);
	review_html_more(f, r->complaints.n, 8);
	fprintf(f,
		"</table>\n<h2>Reopened work</h2>\n<p>%" PRIu64 " of %" PRIu64 " resolved tickets were reopened (%s); "
		"%" PRIu64 " reopenings in all.</p>\n",
		g->reopened, g->resolved, review_pct_str(g->reopened, g->resolved, buf, sizeof buf), r->reopens);
	fprintf(f,
		"<h2>Paid special services</h2>\n<p>%" PRIu64 " paid services (%" PRIu64 " consented); quoted %s, "
		"charged %s on %" PRIu64 ".</p>\n",
		r->paid, r->paid_consented, review_money(r->paid_quoted, buf, sizeof buf),
		review_money(g->paid_charged, b2, sizeof b2), r->paid_charged_n);
	fprintf(f, "<h2>Vendors and their incidents</h2>\n");
	review_html_counts(f, "Tickets handled by outsourced crews", &r->vendors, g->tickets, 100);
	fprintf(f, "<table "
		   "class=\"list\"><tr><th>vendor</th><th>ticket</th><th>unit</th><th>incident</th><th>review</th></"
		   "tr>\n");
	for (size_t i = 0; i < review_shown(r->incidents.n); i++)
		review_html_incident(f, &r->incidents.v[i]);
	review_html_more(f, r->incidents.n, 5);
	fprintf(f,
		"</table>\n<h2>Repeat problems (%zu)</h2>\n<p>The same unit and category %d or more times.</p>\n"
		"<table class=\"list\"><tr><th>unit</th><th>category</th><th>times</th><th>tickets</th></tr>\n",
		r->repeats.n, REPORT_REPEAT_MIN);
	for (size_t i = 0; i < review_shown(r->repeats.n); i++)
		review_html_repeat(f, &r->repeats.v[i]);
	review_html_more(f, r->repeats.n, 4);
	fprintf(f, "</table>\n");
	review_cost_html(f, &r->costing); /* issue 19: costs, repeat failures per asset */
	if (r->complaints.n > REPORT_TOP || r->incidents.n > REPORT_TOP || r->repeats.n > REPORT_TOP) {
		fprintf(f, "<h2 id=\"appendix\">Appendix: the full lists</h2>\n");
		if (r->complaints.n > REPORT_TOP) {
			fprintf(f, "<h3>All complaints (%zu), by ticket</h3>\n", r->complaints.n);
			review_html_complaints_head(f);
			for (size_t i = 0; i < r->complaints.n; i++)
				review_html_complaint(f, &r->complaints.v[i]);
			fprintf(f, "</table>\n");
		}
		if (r->incidents.n > REPORT_TOP) {
			fprintf(f,
				"<h3>All vendor incidents (%zu)</h3>\n<table "
				"class=\"list\"><tr><th>vendor</th><th>ticket</th>"
				"<th>unit</th><th>incident</th><th>review</th></tr>\n",
				r->incidents.n);
			for (size_t i = 0; i < r->incidents.n; i++)
				review_html_incident(f, &r->incidents.v[i]);
			fprintf(f, "</table>\n");
		}
		if (r->repeats.n > REPORT_TOP) {
			fprintf(f,
				"<h3>All repeat problems (%zu)</h3>\n<table><tr><th>unit</th><th>category</th>"
				"<th>times</th><th>tickets</th></tr>\n",
				r->repeats.n);
			for (size_t i = 0; i < r->repeats.n; i++)
				review_html_repeat(f, &r->repeats.v[i]);
			fprintf(f, "</table>\n");
		}
	}
	fprintf(f, "</body></html>\n");
}
