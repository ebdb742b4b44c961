/*
 * desk_procedure: the steps of the customer-service procedure (clause 4)
 * that the desk, supervisors and quality control take: hold and resume,
 * the follow-up call, the inspection, the resident's consent to a fee,
 * vendor incidents and their review, and estate notices.
 *
 * Each step is one request. The daemon decides whether it is allowed (the
 * state, the role, a complaint's missing cause); this file checks only
 * what the command line alone can tell, so that a typo is a usage error
 * (exit 2) and never reaches the daemon.
 */
#include "desk.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dc_json.h"
#include "dc_time.h"

int desk_hold(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__HoldReason reason;

	if (!o->reason)
		return desk_usage("%s needs --reason parts, resident-away, no-access or other", "hold");
	if (dc_hold_reason_parse(o->reason, &reason) < 0)
		return desk_usage("hold: --reason is parts, resident-away, no-access or other, not '%s'", o->reason);
	if (reason == DISPATCH__HOLD_REASON__HOLD_OTHER && (!o->note || !*o->note))
		return desk_usage("%s: --reason other needs --note saying why", "hold");
	if (o->visit) {
		int rc;
		if (reason != DISPATCH__HOLD_REASON__HOLD_RESIDENT_AWAY)
			return desk_usage("%s: --visit goes with --reason resident-away (the window the resident "
					  "proposed)",
					  "hold");
		if ((rc = desk_visit_arg(dc, "hold --visit", o->visit, &tr.visit_from_ms, &tr.visit_to_ms)) != 0)
			return rc;
	}
	tr.action = DISPATCH__ACTION__ACTION_HOLD;
	tr.hold_reason = reason;
	tr.note = (char *)o->note;
	return desk_transition(dc, o, &tr);
}

/* A step whose only text is an optional note. */
static int note_step(dc_t *dc, const struct desk_opts *o, Dispatch__Action action)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	tr.action = action;
	tr.note = (char *)o->note;
	return desk_transition(dc, o, &tr);
}

int desk_resume(dc_t *dc, const struct desk_opts *o)
{
	return note_step(dc, o, DISPATCH__ACTION__ACTION_RESUME);
}

int desk_follow_up(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	if (!o->score)
		return desk_usage("%s needs --score 1-5: the resident's satisfaction", "follow-up");
	tr.action = DISPATCH__ACTION__ACTION_FOLLOW_UP;
	tr.satisfaction = o->score;
	tr.note = (char *)o->remark;
	return desk_transition(dc, o, &tr);
}

int desk_inspect(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	if (!o->inspection)
		return desk_usage("%s needs --pass or --fail", "inspect");
	/* A fail sends the crew back: say what was wrong. */
	if (o->inspection == DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL && (!o->remark || !*o->remark))
		return desk_usage("%s: --fail needs --remark saying what was wrong", "inspect");
	tr.action = DISPATCH__ACTION__ACTION_INSPECT;
	tr.inspection = o->inspection;
	tr.note = (char *)o->remark;
	return desk_transition(dc, o, &tr);
}

int desk_consent(dc_t *dc, const struct desk_opts *o)
{
	return note_step(dc, o, DISPATCH__ACTION__ACTION_CONSENT);
}

static int vendor_step(dc_t *dc, const struct desk_opts *o, const char *cmd, Dispatch__Action action, const char *what)
{
	if (!o->note || !*o->note)
		return desk_usage(what, cmd);
	return note_step(dc, o, action);
}

int desk_vendor_flag(dc_t *dc, const struct desk_opts *o)
{
	return vendor_step(dc, o, "vendor-flag", DISPATCH__ACTION__ACTION_FLAG_VENDOR,
			   "%s needs --note: what the vendor did that affected the service");
}

int desk_vendor_review(dc_t *dc, const struct desk_opts *o)
{
	return vendor_step(dc, o, "vendor-review", DISPATCH__ACTION__ACTION_REVIEW_VENDOR,
			   "%s needs --note: the improvement agreed");
}

/* ---- vendor incidents ---- */

enum { V_ID, V_VENDOR, V_STATE, V_UNIT, V_FLAGGED, V_INCIDENT, V_REVIEW, V_N };

static const char *const v_names[V_N] = {
	"ID", "VENDOR", "STATE", "UNIT", "FLAGGED", "INCIDENT", "REVIEW",
};

struct vrow {
	char id[24], flagged[32];
};

struct vendor_ctx {
	const struct desk_opts *o;
	const Dispatch__Reply *r;
	struct vrow *rows;
};

static void vendor_row(const void *ctx, size_t i, const char **cells, const char **colors)
{
	const struct vendor_ctx *x = ctx;
	const Dispatch__Ticket *t = x->r->tickets[i];
	int reviewed = t->vendor_review && *t->vendor_review;

	cells[V_ID] = x->rows[i].id;
	cells[V_VENDOR] = t->vendor && *t->vendor ? t->vendor : t->crew;
	cells[V_STATE] = dc_state_name(t->state);
	cells[V_UNIT] = t->unit;
	cells[V_FLAGGED] = x->rows[i].flagged;
	cells[V_INCIDENT] = t->vendor_incident;
	cells[V_REVIEW] = reviewed ? t->vendor_review : "(not reviewed)";
	if (!reviewed)
		colors[V_REVIEW] = x->o->c.yellow;
}

int desk_vendor_incidents(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__VendorIncidents vi = DISPATCH__VENDOR_INCIDENTS__INIT;
	Dispatch__Reply *r = NULL;
	struct vrow *rows = NULL;
	int64_t now;
	size_t i;
	int rc;

	if (o->vendor)
		vi.vendor = (char *)o->vendor;
	vi.unreviewed_only = o->unreviewed;
	req.body_case = DISPATCH__REQUEST__BODY_VENDOR_INCIDENTS;
	req.vendor_incidents = &vi;
	rc = desk_call(dc, &req, &r);
	if (rc)
		return rc;
	for (i = 0; i < r->n_tickets; i++)
		if (!r->tickets[i]) {
			fprintf(stderr, DESK_PROG ": the daemon's reply has an empty ticket\n");
			rc = DC_EXIT_UNAVAILABLE;
			goto out;
		}
	if (o->json) {
		json_t *a = json_array();

		for (i = 0; a && i < r->n_tickets; i++)
			if (json_array_append_new(a, dc_json_ticket(r->tickets[i])) < 0) {
				json_decref(a);
				a = NULL;
			}
		rc = desk_print_json(a);
		goto out;
	}
	if (r->n_tickets == 0) {
		printf("no %svendor incidents%s%s\n", o->unreviewed ? "unreviewed " : "", o->vendor ? " for " : "",
		       o->vendor ? o->vendor : "");
		goto out;
	}
	rows = calloc(r->n_tickets, sizeof *rows);
	if (!rows) {
		fprintf(stderr, DESK_PROG ": out of memory\n");
		rc = DC_EXIT_UNAVAILABLE;
		goto out;
	}
	now = r->now_ms ? r->now_ms : dc_wall_ms();
	for (i = 0; i < r->n_tickets; i++) {
		snprintf(rows[i].id, sizeof rows[i].id, "%" PRIu64, r->tickets[i]->id);
		dc_time_short(r->tickets[i]->vendor_flagged_ms, now, rows[i].flagged, sizeof rows[i].flagged);
	}
	{
		struct vendor_ctx x = { o, r, rows };
		struct desk_table tab = { v_names, V_N, NULL, 0, vendor_row, &x, r->n_tickets };

		desk_table_print(o, &tab);
	}
out:
	free(rows);
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

/* ---- notices ---- */

static void print_notice(const struct desk_opts *o, const Dispatch__Notice *n, uint64_t seq)
{
	char from[64], to[64];
	size_t i;

	printf("%snotice published%s", o->c.bold, o->c.off);
	if (seq)
		printf(" (event %" PRIu64 ")", seq);
	printf(": %s: ", dc_notice_kind_name(n->kind));
	dc_pad(stdout, n->text, 0);
	putchar('\n');
	if (n->from_ms || n->to_ms)
		printf("  when     %s .. %s\n", n->from_ms ? dc_format_time(n->from_ms, from, sizeof from) : "-",
		       n->to_ms ? dc_format_time(n->to_ms, to, sizeof to) : "-");
	fputs("  where    ", stdout);
	if (n->n_buildings == 0)
		fputs("the whole estate", stdout);
	for (i = 0; i < n->n_buildings; i++) {
		fputs(i ? ", " : "building ", stdout);
		dc_pad(stdout, n->buildings[i], 0);
	}
	putchar('\n');
}

int desk_notice(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__PublishNotice pub = DISPATCH__PUBLISH_NOTICE__INIT;
	Dispatch__Notice n = DISPATCH__NOTICE__INIT;
	Dispatch__Reply *r = NULL;
	const Dispatch__Notice *shown = &n;
	Dispatch__NoticeKind kind = DISPATCH__NOTICE_KIND__NOTICE_GENERAL;
	int64_t now = dc_wall_ms(), from = 0, to = 0;
	uint64_t seq = 0;
	size_t i;
	int rc;

	if (!o->text || !*o->text)
		return desk_usage("%s needs --text: what residents should read", "notice");
	if (o->kind.n > 1)
		return desk_usage("%s takes one --kind", "notice");
	if (o->kind.n && dc_notice_kind_parse(o->kind.v[0], &kind) < 0)
		return desk_usage("notice: --kind is general, activity or works, not '%s'", o->kind.v[0]);
	if (o->from && dc_time_parse(o->from, now, &from) < 0)
		return desk_usage("--from wants HH:MM, YYYY-MM-DDTHH:MM or now, not '%s'", o->from);
	if (o->until && dc_time_parse(o->until, now, &to) < 0)
		return desk_usage("--to wants HH:MM, YYYY-MM-DDTHH:MM or now, not '%s'", o->until);
	/* The words are right: read them again on the estate's clock. */
	if ((o->from || o->until) && (rc = desk_estate_clock(dc, &now)) != 0)
		return rc;
	if ((o->from && dc_time_parse(o->from, now, &from) < 0) || (o->until && dc_time_parse(o->until, now, &to) < 0))
		return desk_usage("%s: that time does not exist in the estate's time zone", "--from/--to");
	if (from && to && to <= from)
		return desk_usage("notice: --to must be later than --from (%s)", o->from);
	n.kind = kind;
	n.text = (char *)o->text;
	n.from_ms = from;
	n.to_ms = to;
	n.buildings = (char **)o->building.v;
	n.n_buildings = (size_t)o->building.n;
	pub.notice = &n;
	req.body_case = DISPATCH__REQUEST__BODY_NOTICE;
	req.notice = &pub;
	rc = desk_call(dc, &req, &r);
	if (rc)
		return rc;
	/* The stored event, if the daemon sends it back, is the record. */
	for (i = 0; i < r->n_events; i++)
		if (r->events[i] && r->events[i]->notice) {
			shown = r->events[i]->notice;
			seq = r->events[i]->seq;
			break;
		}
	if (o->json) {
		json_t *j = dc_json_notice(shown);

		if (j && seq)
			json_object_set_new(j, "seq", json_integer((json_int_t)seq));
		rc = desk_print_json(j);
	} else {
		print_notice(o, shown, seq);
	}
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}
