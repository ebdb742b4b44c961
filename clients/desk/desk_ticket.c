/*
 * desk_ticket: the desk's ticket commands: submit, show, list, close,
 * cancel, assign. list's filters are the daemon's (a search over every
 * ticket kept, paged); only --overdue, which needs the time it is measured
 * at, is applied here, on the tickets it returns.
 */
#include "desk.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dc_json.h"
#include "dc_time.h"

static int need_ticket(const Dispatch__Reply *r)
{
	if (r->ticket)
		return 0;
	fprintf(stderr, DESK_PROG ": the daemon's reply carries no ticket\n");
	return DC_EXIT_UNAVAILABLE;
}

int desk_submit_from_opts(const struct desk_opts *o, const char *cmd, Dispatch__Submit *sub)
{
	Dispatch__Kind kind;
	Dispatch__Source source = DISPATCH__SOURCE__SOURCE_UNSPECIFIED;

	if (o->unit.n != 1 || !*o->unit.v[0])
		return desk_usage("%s needs one --unit", cmd);
	if (o->kind.n != 1)
		return desk_usage("%s needs one --kind", cmd);
	if (o->category.n > 1)
		return desk_usage("%s takes one --category", cmd);
	if (dc_kind_parse(o->kind.v[0], &kind) < 0)
		return desk_usage("unknown kind '%s' (repair, complaint, special, security, "
				  "cleaning, inquiry, suggestion)",
				  o->kind.v[0]);
	if (o->source && dc_source_parse(o->source, &source) < 0)
		return desk_usage("unknown source '%s' (intercom, phone, walk-in, app, sensor)", o->source);
	sub->kind = kind;
	sub->source = source;
	sub->unit = (char *)o->unit.v[0];
	if (o->text)
		sub->text = (char *)o->text;
	if (o->person)
		sub->person = (char *)o->person;
	if (o->phone)
		sub->phone = (char *)o->phone;
	if (o->category.n)
		sub->category = (char *)o->category.v[0];
	sub->priority = o->priority;
	sub->n_tags = (size_t)o->tag.n;
	sub->tags = (char **)o->tag.v;
	if (o->fee_cents >= 0) {
		/* A fee is what makes a special service paid (clause 4.3). */
		if (kind != DISPATCH__KIND__KIND_SPECIAL)
			return desk_usage("%s: --fee is for a paid special service (--kind special)", cmd);
		if (o->fee_cents == 0)
			return desk_usage("%s: --fee 0 is a free service: leave --fee out", cmd);
		sub->fee_cents = o->fee_cents;
	}
	if (o->about) {
		if (kind != DISPATCH__KIND__KIND_COMPLAINT)
			return desk_usage("%s: --about names the member a complaint is about (--kind complaint)", cmd);
		sub->about_member = (char *)o->about;
	}
	if (o->asset)
		sub->asset = (char *)o->asset; /* issue 19 */
	return 0;
}

void desk_print_destination(const Dispatch__Ticket *t, const char *message)
{
	char unit[128], crew[128], member[128], rule[128], esc[128], msg[512];

	dc_clean(t->unit, unit, sizeof unit);
	dc_clean(t->crew, crew, sizeof crew);
	dc_clean(t->member, member, sizeof member);
	dc_clean(t->rule, rule, sizeof rule);
	dc_clean(t->escalated_to, esc, sizeof esc);
	printf("%s at %s -> ", dc_kind_name(t->kind), unit);
	if (t->outage_id)
		printf("attached to outage %" PRIu64 ", no crew sent", t->outage_id);
	else if (t->state == DISPATCH__STATE__STATE_ON_HOLD && t->hold_reason == DISPATCH__HOLD_REASON__HOLD_CONSENT)
		printf("waiting for the resident's consent to the fee of %s, nobody sent yet",
		       dc_format_cents(t->fee_cents, msg, sizeof msg));
	else if (t->linked_to && t->link == DISPATCH__LINK_KIND__LINK_DUPLICATE)
		printf("linked to ticket %" PRIu64 " (a duplicate), not dispatched again", t->linked_to);
	else if (*member)
		printf("%s/%s", crew, member);
	else if (*crew && *esc)
		printf("queued for %s (no member free), escalated to %s", crew, esc);
	else if (*crew)
		printf("queued for %s (no member free)", crew);
	else
		printf("not routed");
	printf(" (rule %s)\n", *rule ? rule : "-");
	if (t->outage_id && message && *message)
		printf("  tell the resident: %s\n", dc_clean(message, msg, sizeof msg));
	for (size_t i = 0; i < t->n_links; i++)
		printf("  linked: ticket %" PRIu64 "\n", t->links[i]);
	if (t->linked_to && t->link == DISPATCH__LINK_KIND__LINK_DUPLICATE && !t->outage_id)
		printf("  another problem? dispatch it with: " DESK_PROG " unlink %" PRIu64 "\n"
		       "  a correction of ticket %" PRIu64 "? cancel that one (" DESK_PROG " cancel %" PRIu64
		       " --reason ...) and this one is dispatched\n",
		       t->id, t->linked_to, t->linked_to);
}

int desk_submit(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Reply *r = NULL;
	int rc;

	rc = desk_submit_from_opts(o, "submit", &sub);
	if (rc)
		return rc;
	if (!o->text || !*o->text)
		return desk_usage("%s needs --text", "submit");
	sub.replaces = o->replaces;
	if (o->visit &&
	    (rc = desk_visit_arg(dc, "submit --visit", o->visit, &sub.visit_from_ms, &sub.visit_to_ms)) != 0)
		return rc;
	if (o->request_id)
		req.request_id = (char *)o->request_id;
	req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
	req.submit = &sub;
	rc = desk_call(dc, &req, &r);
	if (rc)
		return rc;
	rc = need_ticket(r);
	if (rc == 0 && o->json) {
		json_t *j = json_object();
		if (j) {
			json_object_set_new(j, "ticket", dc_json_ticket(r->ticket));
			json_object_set_new(j, "message", json_string(r->message ? r->message : ""));
			desk_json_resident(j, r);
		}
		rc = desk_print_json(j);
	} else if (rc == 0) {
		printf("ticket %" PRIu64 " submitted: ", r->ticket->id);
		desk_print_destination(r->ticket, r->message);
		desk_print_resident(r);
	}
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

/* The resident's page of a submitted ticket (issue 17): read it out, or
 * the intercom system sends it. Only the daemon knows the token. */
void desk_print_resident(const Dispatch__Reply *r)
{
	if (r->resident_url && *r->resident_url)
		printf("  resident page: %s\n", r->resident_url);
	else if (r->resident_token && *r->resident_token)
		printf("  resident token: %s (the estate sets no residents.page_url)\n", r->resident_token);
}

void desk_json_resident(json_t *j, const Dispatch__Reply *r)
{
	if (r->resident_token && *r->resident_token)
		json_object_set_new(j, "resident_token", json_string(r->resident_token));
	if (r->resident_url && *r->resident_url)
		json_object_set_new(j, "resident_url", json_string(r->resident_url));
}

static void field_line(const char *label, const char *value)
{
	printf("  %-10s ", label);
	dc_pad(stdout, value && *value ? value : "-", 0);
	putchar('\n');
}

static void deadline_line(const struct desk_opts *o, const char *label, int64_t at, int pending, int64_t now)
{
	char when[64], span[32];

	if (at <= 0)
		return;
	dc_format_time(at, when, sizeof when);
	printf("  %-10s %s", label, when);
	if (pending && at < now)
		printf("  %sOVERDUE by %s%s", o->c.red, dc_time_span(now - at, span, sizeof span), o->c.off);
	else if (pending)
		printf("  (in %s)", dc_time_span(at - now, span, sizeof span));
	putchar('\n');
}

/* A deadline paused by a hold: the time that was left. */
static void paused_line(const char *label, int64_t at, int64_t left)
{
	char span[32];

	if (at <= 0 && left <= 0)
		return;
	if (left > 0)
		printf("  %-10s paused, %s left\n", label, dc_time_span(left, span, sizeof span));
	else
		printf("  %-10s paused\n", label);
}

/* A line with a label, then the cleaned parts, "-" for empty ones skipped. */
static void who_when_line(const char *label, const char *what, const char *who, int64_t ms)
{
	char when[64];

	printf("  %-10s ", label);
	dc_pad(stdout, what, 0);
	if (who && *who) {
		fputs(" by ", stdout);
		dc_pad(stdout, who, 0);
	}
	if (ms > 0)
		printf(" at %s", dc_format_time(ms, when, sizeof when));
	putchar('\n');
}

static void join_line(const char *label, char **v, size_t n)
{
	size_t i;

	printf("  %-10s ", label);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", stdout);
		dc_pad(stdout, v[i], 0);
	}
	putchar('\n');
}

/* The procedure's fields (clause 4), each only when it is set. */
static void print_procedure(const struct desk_opts *o, const Dispatch__Ticket *t, int64_t now)
{
	char buf[512], a[64], b[64], when[64], span[32];
	int held = t->state == DISPATCH__STATE__STATE_ON_HOLD;
	int d;

	if (held) {
		snprintf(buf, sizeof buf, "%s%s%s", o->c.yellow, dc_hold_reason_name(t->hold_reason), o->c.off);
		printf("  %-10s %s", "on hold", buf);
		if (t->hold_note && *t->hold_note) {
			fputs(": ", stdout);
			dc_pad(stdout, t->hold_note, 0);
		}
		if (t->held_since_ms > 0)
			printf(" (since %s, %s)", dc_format_time(t->held_since_ms, when, sizeof when),
			       dc_time_span(now - t->held_since_ms, span, sizeof span));
		putchar('\n');
		if (t->held_from)
			field_line("resumes to", dc_state_name(t->held_from));
		paused_line("ack", t->acknowledge_by_ms, t->acknowledge_left_ms);
		paused_line("arrive", t->arrive_by_ms, t->arrive_left_ms);
		paused_line("resolve", t->resolve_by_ms, t->resolve_left_ms);
	} else if (t->hold_reason) {
		snprintf(buf, sizeof buf, "%s", dc_hold_reason_name(t->hold_reason));
		printf("  %-10s %s", "was held", buf);
		if (t->hold_note && *t->hold_note) {
			fputs(": ", stdout);
			dc_pad(stdout, t->hold_note, 0);
		}
		putchar('\n');
	}
	if (t->follow_up_by_ms > 0)
		deadline_line(o, "follow by", t->follow_up_by_ms,
			      t->state == DISPATCH__STATE__STATE_RESOLVED && !t->followed_up_ms, now);
	if (t->missed) {
		size_t n = 0;

		buf[0] = '\0';
		for (d = DISPATCH__DEADLINE__DEADLINE_ACKNOWLEDGE; d <= DISPATCH__DEADLINE__DEADLINE_FOLLOW_UP; d++)
			if (t->missed & (1u << (d - 1)))
				n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? ", " : "",
						      dc_deadline_name(d));
		printf("  %-10s %s%s%s\n", "missed", o->c.red, buf, o->c.off);
	}
	if (t->escalation_step) {
		snprintf(buf, sizeof buf, "%u step%s of the rule's chain", t->escalation_step,
			 t->escalation_step == 1 ? "" : "s");
		field_line("escalation", buf);
	}
	if (t->n_passed_over)
		join_line("passed over", t->passed_over, t->n_passed_over);
	if (t->reopen_count) {
		snprintf(buf, sizeof buf, "%u time%s", t->reopen_count, t->reopen_count == 1 ? "" : "s");
		field_line("reopened", buf);
	}
	if (t->about_member && *t->about_member)
		field_line("about", t->about_member);
	if (t->kind == DISPATCH__KIND__KIND_COMPLAINT || (t->cause && *t->cause))
		field_line("cause", t->cause);
	if (t->kind == DISPATCH__KIND__KIND_COMPLAINT || (t->corrective_action && *t->corrective_action))
		field_line("corrective", t->corrective_action);
	if (t->fee_cents > 0) {
		field_line("fee", dc_format_cents(t->fee_cents, a, sizeof a));
		if (t->consent_ms > 0)
			who_when_line("consent", "given", t->consent_by, t->consent_ms);
		else if (t->state != DISPATCH__STATE__STATE_CANCELLED)
			field_line("consent", "not yet: nobody is sent before the resident agrees");
	}
	if (t->charged_cents > 0 || (t->fee_cents > 0 && t->resolved_ms > 0))
		field_line("charged", dc_format_cents(t->charged_cents, b, sizeof b));
	if (t->parts_used && *t->parts_used)
		field_line("parts used", t->parts_used);
	desk_print_costs(t); /* issue 19 */
	if (t->followed_up_ms > 0 || t->satisfaction) {
		snprintf(buf, sizeof buf, "score %u/5", t->satisfaction);
		who_when_line("follow-up", buf, t->followed_up_by, t->followed_up_ms);
		if (t->follow_up_remark && *t->follow_up_remark)
			field_line("remark", t->follow_up_remark);
	}
	if (t->inspection_result) {
		int pass = t->inspection_result == DISPATCH__INSPECTION_RESULT__INSPECTION_PASS;
		snprintf(buf, sizeof buf, "%s%s%s", pass ? o->c.green : o->c.red,
			 dc_inspection_name(t->inspection_result), o->c.off);
		who_when_line("inspection", buf, t->inspector, t->inspected_ms);
		if (t->inspection_remark && *t->inspection_remark)
			field_line("remark", t->inspection_remark);
	}
	if (t->vendor && *t->vendor)
		field_line("vendor", t->vendor);
	if (t->vendor_incident && *t->vendor_incident) {
		who_when_line("incident", t->vendor_incident, NULL, t->vendor_flagged_ms);
		if (t->vendor_review && *t->vendor_review)
			who_when_line("review", t->vendor_review, NULL, t->vendor_reviewed_ms);
		else
			field_line("review", "not reviewed yet");
	}
}

/* Issue 19: the visit window, working hours, planned work. */
static void plan_lines(const struct desk_opts *o, const Dispatch__Ticket *t, int open, int64_t now)
{
	char buf[160], a[32], b[32], span[32];

	if (t->visit_from_ms > 0 && t->visit_to_ms > 0) {
		dc_format_time(t->visit_from_ms, a, sizeof a);
		dc_format_time(t->visit_to_ms, b, sizeof b);
		printf("  %-10s %.16s-%.5s", "visit", a, b + 11);
		if (open && t->state <= DISPATCH__STATE__STATE_ACCEPTED && now < t->visit_from_ms)
			printf("  (starts in %s)", dc_time_span(t->visit_from_ms - now, span, sizeof span));
		else if (open && t->state <= DISPATCH__STATE__STATE_ACCEPTED && now < t->visit_to_ms)
			printf("  %s(now, until %.5s)%s", o->c.yellow, b + 11, o->c.off);
		putchar('\n');
	}
	if (t->calendar && *t->calendar) {
		snprintf(buf, sizeof buf, "working hours of calendar %s", t->calendar);
		field_line("deadlines", buf);
	}
	if (t->planned) {
		snprintf(buf, sizeof buf, "schedule %s%s%s, for %s", t->schedule, t->target && *t->target ? ", " : "",
			 t->target ? t->target : "", dc_format_time(t->planned_for_ms, a, sizeof a));
		field_line("planned", buf);
	}
}

static void print_ticket(const struct desk_opts *o, const Dispatch__Ticket *t, int64_t now)
{
	char buf[256];
	size_t i;
	int open = t->state >= DISPATCH__STATE__STATE_NEW && t->state <= DISPATCH__STATE__STATE_ON_SITE;

	printf("%sticket %" PRIu64 ": %s, %s%s\n", o->c.bold, t->id, dc_kind_name(t->kind), dc_state_name(t->state),
	       o->c.off);
	field_line("unit", t->unit);
	if (t->asset && *t->asset)
		field_line("asset", t->asset); /* issue 19 */
	if ((t->building && *t->building) || (t->zone && *t->zone)) {
		char b[64], z[64];
		snprintf(buf, sizeof buf, "%s%s%s", dc_clean(t->building, b, sizeof b),
			 t->zone && *t->zone ? ", zone " : "", dc_clean(t->zone, z, sizeof z));
		field_line("building", buf);
	}
	field_line("person", t->person);
	field_line("phone", t->phone);
	field_line("source", dc_source_name(t->source));
	snprintf(buf, sizeof buf, "%u", t->priority);
	field_line("priority", t->priority ? buf : "default");
	field_line("category", t->category);
	printf("  %-10s ", "tags");
	if (t->n_tags == 0)
		fputs("-", stdout);
	for (i = 0; i < t->n_tags; i++) {
		if (i)
			fputs(", ", stdout);
		dc_pad(stdout, t->tags[i], 0);
	}
	putchar('\n');
	field_line("text", t->text);
	field_line("crew", t->crew);
	field_line("member", t->member);
	field_line("rule", t->rule);
	if (t->skill && *t->skill)
		field_line("skill", t->skill);
	if (t->escalated_to && *t->escalated_to)
		field_line("escalated", t->escalated_to);
	field_line("created", dc_format_time(t->created_ms, buf, sizeof buf));
	field_line("updated", dc_format_time(t->updated_ms, buf, sizeof buf));
	deadline_line(o, "ack by", t->acknowledge_by_ms, open && t->state <= DISPATCH__STATE__STATE_ASSIGNED, now);
	deadline_line(o, "arrive by", t->arrive_by_ms, open && t->state <= DISPATCH__STATE__STATE_ACCEPTED, now);
	deadline_line(o, "resolve by", t->resolve_by_ms, open, now);
	plan_lines(o, t, open, now);
	if (t->follow_up || t->inspection) {
		snprintf(buf, sizeof buf, "%s%s%s", t->follow_up ? "follow-up call" : "",
			 t->follow_up && t->inspection ? ", " : "", t->inspection ? "quality inspection" : "");
		field_line("needs", buf);
	}
	if (t->linked_to) {
		if (t->link == DISPATCH__LINK_KIND__LINK_DUPLICATE && t->state == DISPATCH__STATE__STATE_NEW)
			snprintf(buf, sizeof buf,
				 "ticket %" PRIu64 " (this is a duplicate report; undo: " DESK_PROG " unlink %" PRIu64
				 ")",
				 t->linked_to, t->id);
		else
			snprintf(buf, sizeof buf, "ticket %" PRIu64 " (%s)", t->linked_to,
				 t->link == DISPATCH__LINK_KIND__LINK_DUPLICATE ? "this is a duplicate report"
										: "another crew's part");
		field_line("linked to", buf);
	}
	if (t->replaces) {
		snprintf(buf, sizeof buf, "ticket %" PRIu64 " (this report corrects it)", t->replaces);
		field_line("replaces", buf);
	}
	if (t->replaced_by) {
		snprintf(buf, sizeof buf, "ticket %" PRIu64 " (a corrected report)", t->replaced_by);
		field_line("replaced by", buf);
	}
	if (t->n_links) {
		size_t n = 0;
		buf[0] = '\0';
		for (i = 0; i < t->n_links && n + 24 < sizeof buf; i++)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%" PRIu64, i ? ", " : "", t->links[i]);
		field_line("links", buf);
	}
	if (t->outage_id) {
		snprintf(buf, sizeof buf, "%" PRIu64, t->outage_id);
		field_line("outage", buf);
	}
	print_procedure(o, t, now);
	field_line("note", t->note);
	if (t->state == DISPATCH__STATE__STATE_CANCELLED || (t->cancel_reason && *t->cancel_reason))
		field_line("reason", t->cancel_reason);
}

/* Append the cleaned s to the string in buf, truncating at the end of buf. */
static void append(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf);
	char clean[512];

	if (len + 1 < size)
		snprintf(buf + len, size - len, "%s", dc_clean(s, clean, sizeof clean));
}

/* One history line: time, event, actor, state change, then what explains
 * it (where it went and why, the note). */
static void print_history_line(const Dispatch__Event *e)
{
	char when[64], actor[160], change[64], detail[1024] = "";
	char a[96], num[32];

	dc_format_time(e->time_ms, when, sizeof when);
	dc_clean(e->actor, a, sizeof a);
	snprintf(actor, sizeof actor, "%s (%s)", *a ? a : "-", dc_role_name(e->actor_role));
	if (e->from_state == DISPATCH__STATE__STATE_UNSPECIFIED)
		snprintf(change, sizeof change, "-> %s", dc_state_name(e->to_state));
	else
		snprintf(change, sizeof change, "%s -> %s", dc_state_name(e->from_state), dc_state_name(e->to_state));
	if (e->on_behalf_of && *e->on_behalf_of) {
		append(detail, sizeof detail, " for ");
		append(detail, sizeof detail, e->on_behalf_of);
		append(detail, sizeof detail, " (an outside provider, as told by phone)");
	}
	switch (e->type) {
	case DISPATCH__EVENT_TYPE__EVENT_ASSIGNED:
	case DISPATCH__EVENT_TYPE__EVENT_QUEUED:
		if (!e->crew || !*e->crew)
			break;
		append(detail, sizeof detail, " to ");
		append(detail, sizeof detail, e->crew);
		if (e->member && *e->member) {
			append(detail, sizeof detail, "/");
			append(detail, sizeof detail, e->member);
		} else {
			append(detail, sizeof detail, " (queued)");
		}
		break;
	case DISPATCH__EVENT_TYPE__EVENT_ESCALATED:
		append(detail, sizeof detail, " to ");
		append(detail, sizeof detail, e->member && *e->member ? e->member : "-");
		if (e->deadline) {
			append(detail, sizeof detail, " (missed ");
			append(detail, sizeof detail, dc_deadline_name(e->deadline));
			append(detail, sizeof detail, ")");
		}
		break;
	case DISPATCH__EVENT_TYPE__EVENT_ON_HOLD:
		if (e->ticket && e->ticket->hold_reason) {
			append(detail, sizeof detail, " ");
			append(detail, sizeof detail, dc_hold_reason_name(e->ticket->hold_reason));
		}
		break;
	case DISPATCH__EVENT_TYPE__EVENT_FOLLOWED_UP:
		if (e->ticket && e->ticket->satisfaction) {
			snprintf(num, sizeof num, " score %u", e->ticket->satisfaction);
			append(detail, sizeof detail, num);
		}
		break;
	case DISPATCH__EVENT_TYPE__EVENT_INSPECTED:
		if (e->ticket && e->ticket->inspection_result) {
			append(detail, sizeof detail, " ");
			append(detail, sizeof detail, dc_inspection_name(e->ticket->inspection_result));
		}
		break;
	case DISPATCH__EVENT_TYPE__EVENT_REOPENED:
		if (e->ticket && e->ticket->reopen_count) {
			snprintf(num, sizeof num, " (reopen %u)", e->ticket->reopen_count);
			append(detail, sizeof detail, num);
		}
		break;
	case DISPATCH__EVENT_TYPE__EVENT_LINKED:
		if (e->ticket && e->ticket->outage_id) {
			snprintf(num, sizeof num, "%" PRIu64, e->ticket->outage_id);
			append(detail, sizeof detail, " to outage ");
			append(detail, sizeof detail, num);
		} else if (e->ticket && e->ticket->linked_to) {
			snprintf(num, sizeof num, "%" PRIu64, e->ticket->linked_to);
			append(detail, sizeof detail, " to ticket ");
			append(detail, sizeof detail, num);
		}
		break;
	default: break;
	}
	if (e->rule && *e->rule) {
		append(detail, sizeof detail, " rule ");
		append(detail, sizeof detail, e->rule);
	}
	if (e->reason && *e->reason) {
		append(detail, sizeof detail, ": ");
		append(detail, sizeof detail, e->reason);
	}
	if (e->note && *e->note) {
		append(detail, sizeof detail, " note \"");
		append(detail, sizeof detail, e->note);
		append(detail, sizeof detail, "\"");
	}
	printf("  %s  ", when);
	dc_pad(stdout, dc_event_type_name(e->type), DC_EVENT_NAME_WIDTH);
	putchar(' ');
	dc_pad(stdout, actor, 20);
	putchar(' ');
	/* No trailing blanks when nothing follows the state change. */
	dc_pad(stdout, change, *detail ? 22 : 0);
	fputs(detail, stdout);
	putchar('\n');
}

int desk_show(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Get get = DISPATCH__GET__INIT;
	Dispatch__Reply *r = NULL;
	uint64_t id;
	size_t i;
	int rc;

	if (desk_id_arg(o->args[0], "a ticket id", &id) < 0)
		return DC_EXIT_USAGE;
	get.ticket_id = id;
	get.history = 1;
	req.body_case = DISPATCH__REQUEST__BODY_GET;
	req.get = &get;
	rc = desk_call(dc, &req, &r);
	if (rc)
		return rc;
	rc = need_ticket(r);
	if (rc)
		goto out;
	if (o->json) {
		json_t *j = json_object(), *h = json_array();

		for (i = 0; h && i < r->n_events; i++)
			if (r->events[i])
				json_array_append_new(h, dc_json_event(r->events[i]));
		if (j && h) {
			json_object_set_new(j, "ticket", dc_json_ticket(r->ticket));
			json_object_set_new(j, "history", h);
			desk_json_resident(j, r);
			h = NULL;
		}
		json_decref(h);
		rc = desk_print_json(j);
		goto out;
	}
	/* Deadlines by the daemon's clock: a test daemon runs at another time. */
	print_ticket(o, r->ticket, r->now_ms ? r->now_ms : dc_wall_ms());
	desk_print_resident(r);
	printf("history (%zu event%s):\n", r->n_events, r->n_events == 1 ? "" : "s");
	for (i = 0; i < r->n_events; i++)
		if (r->events[i])
			print_history_line(r->events[i]);
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

/* ---- list ---- */

enum { COL_ID, COL_STATE, COL_KIND, COL_PRI, COL_UNIT, COL_CREW, COL_MEMBER, COL_CREATED, COL_DUE, COL_TEXT, N_COLS };

static const char *const col_names[N_COLS] = {
	"ID", "STATE", "KIND", "PRI", "UNIT", "CREW", "MEMBER", "CREATED", "DUE", "TEXT",
};
/* What may be cut, after the text, when a terminal is too narrow. */
static const int col_cut[N_COLS] = { [COL_KIND] = 1, [COL_CREW] = 1, [COL_MEMBER] = 1 };

/* The widest the free text may make a line; longer texts are cut. */
#define TEXT_MAX_WIDTH 60
/* The daemon's largest page, and the page the desk shows by default. */
#define LIST_PAGE_MAX 1000
#define LIST_DEFAULT 200
/* A terminal narrower than this gets the short CREATED (short_created()). */
#define LIST_WIDE 120

struct row {
	const Dispatch__Ticket *t;
	char id[32], pri[16], created[64], due[48];
	char text[640]; /* issue 19: "[planned] ", "[visit ...] " before the text */
	int overdue;
};

/* A narrow terminal's CREATED: "HH:MM" today, "MM-DD HH:MM" this year,
 * the day ("YYYY-MM-DD") before that. */
static void short_created(int64_t ms, int64_t now, char *buf, size_t size)
{
	char full[64], today[64];

	dc_format_time(ms, full, sizeof full);
	dc_format_time(now, today, sizeof today);
	if (strlen(full) != 19 || strlen(today) != 19)
		return; /* keep the long form */
	if (strncmp(full, today, 10) == 0)
		snprintf(buf, size, "%.5s", full + 11);
	else if (strncmp(full, today, 4) == 0)
		snprintf(buf, size, "%.11s", full + 5);
	else
		snprintf(buf, size, "%.10s", full);
}

static void row_fill(struct row *w, const Dispatch__Ticket *t, int64_t now, int narrow)
{
	struct dc_due d;
	char span[32];

	w->t = t;
	snprintf(w->id, sizeof w->id, "%" PRIu64, t->id);
	if (t->priority)
		snprintf(w->pri, sizeof w->pri, "%u", t->priority);
	else
		snprintf(w->pri, sizeof w->pri, "-");
	/* Minutes are enough for a table; show gives the seconds. */
	dc_format_time(t->created_ms, w->created, sizeof w->created);
	if (strlen(w->created) == 19)
		w->created[16] = '\0';
	if (narrow)
		short_created(t->created_ms, now, w->created, sizeof w->created);
	w->overdue = 0;
	if (t->state == DISPATCH__STATE__STATE_ON_HOLD) {
		/* Deadlines stop while held: say why instead of a countdown. */
		snprintf(w->due, sizeof w->due, "held: %s", dc_hold_reason_name(t->hold_reason));
	} else if (dc_time_due(t, now, &d)) {
		w->overdue = d.overdue;
		dc_time_span(d.at_ms - now, span, sizeof span);
		snprintf(w->due, sizeof w->due, "%s %s%s", d.abbrev, d.overdue ? "-" : "", span);
	} else {
		snprintf(w->due, sizeof w->due, "-");
	}
	w->text[0] = '\0';
	if (t->visit_from_ms > 0 && t->visit_to_ms > 0) {
		char a[32], b[32];
		dc_format_time(t->visit_from_ms, a, sizeof a);
		dc_format_time(t->visit_to_ms, b, sizeof b);
		snprintf(w->text, sizeof w->text, "[visit %.11s-%.5s] ", a + 5, b + 11);
	}
	if (t->planned)
		snprintf(w->text + strlen(w->text), sizeof w->text - strlen(w->text), "[planned] ");
	if (t->asset && *t->asset) /* "[ASSET] text" when the ticket names an asset */
		snprintf(w->text + strlen(w->text), sizeof w->text - strlen(w->text), "[%s] ", t->asset);
	snprintf(w->text + strlen(w->text), sizeof w->text - strlen(w->text), "%s", t->text ? t->text : "");
}

/* Newest first, as the daemon searches (and an older daemon, which
 * answered crew by crew, is put in that order too). */
static int row_newest_first(const void *a, const void *b)
{
	uint64_t x = ((const struct row *)a)->t->id, y = ((const struct row *)b)->t->id;

	return x > y ? -1 : x < y;
}

static const char *state_color(const struct desk_opts *o, int state);

struct list_ctx {
	const struct desk_opts *o;
	const struct row *rows;
};

static void row_cells(const void *ctx, size_t i, const char **cells, const char **colors)
{
	const struct list_ctx *x = ctx;
	const struct row *w = &x->rows[i];
	const Dispatch__Ticket *t = w->t;

	colors[COL_STATE] = state_color(x->o, t->state);
	if (w->overdue)
		colors[COL_DUE] = x->o->c.red;

	cells[COL_ID] = w->id;
	cells[COL_STATE] = dc_state_name(t->state);
	cells[COL_KIND] = dc_kind_name(t->kind);
	cells[COL_PRI] = w->pri;
	cells[COL_UNIT] = t->unit;
	cells[COL_CREW] = t->crew && *t->crew ? t->crew : "-";
	cells[COL_MEMBER] = t->member && *t->member ? t->member : "-";
	cells[COL_CREATED] = w->created;
	cells[COL_DUE] = w->due;
	cells[COL_TEXT] = w->text;
}

static const char *state_color(const struct desk_opts *o, int state)
{
	switch (state) {
	case DISPATCH__STATE__STATE_NEW:
	case DISPATCH__STATE__STATE_ON_HOLD: return o->c.yellow;
	case DISPATCH__STATE__STATE_ASSIGNED: return o->c.cyan;
	case DISPATCH__STATE__STATE_ACCEPTED:
	case DISPATCH__STATE__STATE_ON_SITE: return o->c.blue;
	case DISPATCH__STATE__STATE_RESOLVED:
	case DISPATCH__STATE__STATE_CLOSED: return o->c.green;
	default: return o->c.dim;
	}
}

/* A state word as people type it: "on-site", "on_site" and "on site" alike. */
static int state_parse(const char *word, Dispatch__State *out)
{
	char want[32];
	size_t i;

	for (i = 0; word[i] && i + 1 < sizeof want; i++)
		want[i] = word[i] == '-' || word[i] == '_' ? ' ' : (char)tolower((unsigned char)word[i]);
	want[i] = '\0';
	if (word[i])
		return -1;
	for (int st = DISPATCH__STATE__STATE_NEW; st <= DISPATCH__STATE__STATE_ON_HOLD; st++)
		if (strcmp(want, dc_state_name(st)) == 0) {
			*out = (Dispatch__State)st;
			return 0;
		}
	return -1;
}

/* The daemon's rule for a unit pattern (handle_query.c), checked here
 * first so a typo is a usage error: NULL if good, else what is wrong. */
static const char *unit_pattern_error(const char *p)
{
	if (!*p)
		return "nothing";
	if (strlen(p) > 32)
		return "more than 32 characters";
	for (size_t i = 0; p[i]; i++) {
		if (p[i] == '[') {
			size_t j = i + 1;
			if (p[j] == '!')
				j++;
			if (p[j] == ']')
				j++;
			while (p[j] && p[j] != ']' && p[j] != '[')
				j++;
			if (p[j] != ']')
				return "a '[' without its closing ']'";
			i = j;
		} else if (p[i] == ']') {
			return "a ']' without its opening '['";
		} else if (!isalnum((unsigned char)p[i]) && !strchr("-_/*?", p[i])) {
			return "a character that is neither in a unit nor a pattern's '*', '?' or '[...]'";
		}
	}
	return NULL;
}

/* --from and --to: a day ("2026-03-01": --to takes the whole day) or a
 * time as dc_time_parse() reads it. */
static int date_arg(const char *opt, const char *s, int end, int64_t now, int64_t *out)
{
	int y, mo, d, n = 0;
	char msg[200];

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && s[n] == '\0') {
		struct tm tm;
		time_t t;
		memset(&tm, 0, sizeof tm);
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_isdst = -1;
		if (y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && mktime(&tm) != (time_t)-1 &&
		    tm.tm_mday == d) {                  /* 31 April rolls over: not a day */
			tm.tm_mday = d + (end ? 1 : 0); /* --to a day: up to its end */
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
			tm.tm_isdst = -1;
			if ((t = mktime(&tm)) != (time_t)-1) {
				*out = (int64_t)t * 1000;
				return 0;
			}
		}
	} else if (dc_time_parse(s, now, out) == 0) {
		return 0;
	}
	snprintf(msg, sizeof msg, "--%s wants a day (YYYY-MM-DD), a time (YYYY-MM-DDTHH:MM, HH:MM) or now, not '%%s'",
		 opt);
	return desk_usage(msg, s);
}

/* RFC 4180: a field with a comma, a quote or a line break is quoted, its
 * quotes doubled; records end in CRLF. */
static void csv_field(const char *s, int last)
{
	s = s ? s : "";
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	fputs(last ? "\r\n" : ",", stdout);
}

static void print_csv(const struct row *rows, size_t n)
{
	static const char *const head[] = {
		"id",      "state", "kind",    "priority", "category", "unit", "crew",  "member", "created",
		"updated", "due",   "overdue", "person",   "phone",    "text", "asset", "cost"
	}; /* issue 19: asset and cost (HK$) last */
	size_t nh = sizeof head / sizeof head[0];
	char created[64], updated[64];

	for (size_t c = 0; c < nh; c++)
		csv_field(head[c], c + 1 == nh);
	for (size_t i = 0; i < n; i++) {
		const Dispatch__Ticket *t = rows[i].t;
		dc_format_time(t->created_ms, created, sizeof created);
		dc_format_time(t->updated_ms, updated, sizeof updated);
		csv_field(rows[i].id, 0);
		csv_field(dc_state_name(t->state), 0);
		csv_field(dc_kind_name(t->kind), 0);
		csv_field(rows[i].pri, 0);
		csv_field(t->category, 0);
		csv_field(t->unit, 0);
		csv_field(t->crew, 0);
		csv_field(t->member, 0);
		csv_field(created, 0);
		csv_field(t->updated_ms ? updated : "", 0);
		csv_field(strcmp(rows[i].due, "-") ? rows[i].due : "", 0);
		csv_field(rows[i].overdue ? "yes" : "no", 0);
		csv_field(t->person, 0);
		csv_field(t->phone, 0);
		csv_field(t->text, 0);
		csv_field(t->asset, 0);
		if (t->cost_cents > 0)
			snprintf(updated, sizeof updated, "%lld.%02lld", (long long)(t->cost_cents / 100),
				 (long long)(t->cost_cents % 100));
		else
			updated[0] = '\0';
		csv_field(updated, 1);
	}
}

/* The columns of the terminal on stdout; 0 when it is not one. */
static int term_columns(void)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
		return 0;
	return ws.ws_col;
}

/* The search from the options; 0 or the usage exit code. */
static int list_query(const struct desk_opts *o, int64_t now, Dispatch__List *list, Dispatch__Kind *kinds,
		      Dispatch__State *states)
{
	const char *why;
	int c;

	for (c = 0; c < o->kind.n; c++)
		if (dc_kind_parse(o->kind.v[c], &kinds[c]) < 0)
			return desk_usage("unknown kind '%s' (repair, complaint, special, security, "
					  "cleaning, inquiry, suggestion)",
					  o->kind.v[c]);
	for (c = 0; c < o->state.n; c++)
		if (state_parse(o->state.v[c], &states[c]) < 0)
			return desk_usage("unknown state '%s' (new, assigned, accepted, on-site, on-hold, "
					  "resolved, closed, cancelled)",
					  o->state.v[c]);
	for (c = 0; c < o->unit.n; c++)
		if ((why = unit_pattern_error(o->unit.v[c])) != NULL) {
			char msg[200];
			snprintf(msg, sizeof msg,
				 "--unit '%%s' holds %s; give a unit (12-1A) or a pattern (12-*, 1?-[AB]*)", why);
			return desk_usage(msg, o->unit.v[c]);
		}
	if (o->unit.n > 8)
		return desk_usage("%s", "list takes at most 8 --unit patterns");
	if (o->kind.n > 16 || o->state.n > 16)
		return desk_usage("%s", "list takes at most 16 --kind and 16 --state");
	if (o->text && (!*o->text || strlen(o->text) > 200))
		return desk_usage("--text wants 1 to 200 bytes of text to look for, not '%s'", o->text);
	if (o->person && (!*o->person || strlen(o->person) > 100))
		return desk_usage("--person wants 1 to 100 bytes of a name to look for, not '%s'", o->person);
	if (o->phone) {
		size_t digits = 0;
		for (const char *p = o->phone; *p; p++) {
			if (!strchr("0123456789 +-()", *p))
				return desk_usage("--phone wants digits (spaces, '+', '-', '(' and ')' are ignored), "
						  "not '%s'",
						  o->phone);
			digits += isdigit((unsigned char)*p) != 0;
		}
		if (digits < 3 || digits > 20)
			return desk_usage("--phone wants 3 to 20 digits to look for, not '%s'", o->phone);
	}
	if (o->from && date_arg("from", o->from, 0, now, &list->created_from_ms))
		return DC_EXIT_USAGE;
	if (o->until && date_arg("to", o->until, 1, now, &list->created_to_ms))
		return DC_EXIT_USAGE;
	if (o->from && o->until && list->created_from_ms >= list->created_to_ms)
		return desk_usage("--from %s is not before --to; give the earlier day first", o->from);
	if (o->at && !o->overdue)
		return desk_usage("%s: --at only says when --overdue is measured", "list");
	if (o->json && o->csv)
		return desk_usage("%s: give one of --json and --csv", "list");
	if (o->crew)
		list->crew = (char *)o->crew;
	if (o->member)
		list->member = (char *)o->member;
	if (o->text)
		list->text = (char *)o->text;
	if (o->person)
		list->person = (char *)o->person;
	if (o->phone)
		list->phone = (char *)o->phone;
	list->units = (char **)o->unit.v;
	list->n_units = (size_t)o->unit.n;
	list->kinds = kinds;
	list->n_kinds = (size_t)o->kind.n;
	list->categories = (char **)o->category.v;
	list->n_categories = (size_t)o->category.n;
	list->states = states;
	list->n_states = (size_t)o->state.n;
	list->include_closed = o->all;
	list->after_id = o->after;
	return 0;
}

int desk_list(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__List list = DISPATCH__LIST__INIT;
	Dispatch__Reply **pages = NULL;
	Dispatch__Kind kinds[DESK_MULTI_MAX];
	Dispatch__State states[DESK_MULTI_MAX];
	struct row *rows = NULL;
	size_t i, n = 0, npages = 0, want = o->limit ? o->limit : LIST_DEFAULT;
	uint64_t more_after = 0;
	int rc, filtered, columns = term_columns(), narrow = columns > 0 && columns < LIST_WIDE;
	int64_t now = dc_wall_ms();

	if (o->at && dc_time_parse(o->at, now, &now) < 0)
		return desk_usage("--at wants HH:MM, YYYY-MM-DDTHH:MM or now, not '%s'", o->at);
	if ((rc = list_query(o, now, &list, kinds, states)) != 0)
		return rc;
	/* The words are right: read the times again on the estate's clock. */
	if (o->at || o->from || o->until) {
		if ((rc = desk_estate_clock(dc, &now)) != 0)
			return rc;
		if (o->at && dc_time_parse(o->at, now, &now) < 0)
			return desk_usage("--at: '%s' does not exist in the estate's time zone", o->at);
		if ((o->from && date_arg("from", o->from, 0, now, &list.created_from_ms)) ||
		    (o->until && date_arg("to", o->until, 1, now, &list.created_to_ms)))
			return DC_EXIT_USAGE;
	}
	filtered = o->kind.n || o->unit.n || o->overdue || o->crew || o->member || o->text || o->person || o->phone ||
		   o->category.n || o->state.n || o->from || o->until;
	req.body_case = DISPATCH__REQUEST__BODY_LIST;
	req.list = &list;
	/* Page by page until one more row than asked for (then there are
	 * more to show) or the end: the daemon bounds each page. */
	for (;;) {
		Dispatch__Reply *r = NULL, **grown;
		struct row *more_rows;

		list.limit = (uint32_t)(o->overdue || want + 1 - n > LIST_PAGE_MAX ? LIST_PAGE_MAX : want + 1 - n);
		if ((rc = desk_call(dc, &req, &r)) != 0)
			goto out;
		grown = realloc(pages, (npages + 1) * sizeof *pages);
		more_rows = grown ? realloc(rows, (n + r->n_tickets + 1) * sizeof *rows) : NULL;
		if (!grown || !more_rows) {
			if (grown)
				pages = grown;
			dispatch__reply__free_unpacked(r, NULL);
			fprintf(stderr, DESK_PROG ": out of memory\n");
			rc = DC_EXIT_UNAVAILABLE;
			goto out;
		}
		pages = grown;
		rows = more_rows;
		pages[npages++] = r;
		if (!o->at && r->now_ms)
			now = r->now_ms; /* overdue by the daemon's clock */
		for (i = 0; i < r->n_tickets && n <= want; i++) {
			if (!r->tickets[i])
				continue;
			row_fill(&rows[n], r->tickets[i], now, narrow);
			if (o->overdue && !rows[n].overdue)
				continue;
			n++;
		}
		if (n > want || !r->more || r->next_after == 0 || (list.after_id && r->next_after >= list.after_id))
			break;
		list.after_id = r->next_after;
	}
	qsort(rows, n, sizeof *rows, row_newest_first);
	if (n > want) {
		n = want;
		more_after = rows[n - 1].t->id;
	}
	if (o->json) {
		json_t *a = json_array();

		for (i = 0; a && i < n; i++) {
			json_t *t = dc_json_ticket(rows[i].t);
			struct dc_due d;

			if (t && dc_time_due(rows[i].t, now, &d)) {
				json_object_set_new(t, "due", dc_json_string(d.what));
				json_object_set_new(t, "due_ms", json_integer(d.at_ms));
			}
			if (t)
				json_object_set_new(t, "overdue", json_boolean(rows[i].overdue));
			if (!t || json_array_append_new(a, t) < 0) {
				json_decref(a);
				a = NULL;
			}
		}
		rc = desk_print_json(a);
	} else if (o->csv) {
		print_csv(rows, n);
	} else if (n == 0) {
		printf("no %s%stickets%s\n", o->all || o->state.n ? "" : "open ", o->overdue ? "overdue " : "",
		       filtered ? " that match" : "");
	} else {
		struct list_ctx x = { o, rows };
		struct desk_table tab = { col_names, N_COLS, NULL, TEXT_MAX_WIDTH, row_cells, &x, n };

		desk_table_print_fit(o, &tab, columns, col_cut);
	}
	/* The table's reader reads it on stdout; a CSV or JSON reader must
	 * not get it in the data. */
	if (rc == 0 && more_after)
		fprintf(o->json || o->csv ? stderr : stdout, "more: use --after %" PRIu64 " for the next %zu\n",
			more_after, want);
out:
	for (i = 0; i < npages; i++)
		dispatch__reply__free_unpacked(pages[i], NULL);
	free(pages);
	free(rows);
	return rc;
}

/* ---- transitions ---- */

/* After the state, where the ticket is now when that is news: routed again
 * (reopened, consented, resumed to assigned) or reassigned. */
static void print_outcome(const Dispatch__Transition *tr, const Dispatch__Ticket *t)
{
	char money[32];
	int routed = t->state == DISPATCH__STATE__STATE_ASSIGNED || t->state == DISPATCH__STATE__STATE_NEW;

	if (tr->action == DISPATCH__ACTION__ACTION_HOLD)
		printf(" (%s)", dc_hold_reason_name(t->hold_reason));
	/* Where it went, when this step sent it somewhere. */
	if (tr->action == DISPATCH__ACTION__ACTION_ASSIGN ||
	    (routed &&
	     (tr->action == DISPATCH__ACTION__ACTION_CONSENT || tr->action == DISPATCH__ACTION__ACTION_FOLLOW_UP ||
	      tr->action == DISPATCH__ACTION__ACTION_UNLINK || tr->action == DISPATCH__ACTION__ACTION_INSPECT))) {
		fputs(" (", stdout);
		dc_pad(stdout, t->crew && *t->crew ? t->crew : "-", 0);
		fputs("/", stdout);
		dc_pad(stdout, t->member && *t->member ? t->member : "-", 0);
		fputs(")", stdout);
	}
	switch (tr->action) {
	case DISPATCH__ACTION__ACTION_FOLLOW_UP:
		printf(": follow-up recorded, score %u", t->satisfaction ? t->satisfaction : tr->satisfaction);
		break;
	case DISPATCH__ACTION__ACTION_INSPECT: printf(": inspection %s", dc_inspection_name(tr->inspection)); break;
	case DISPATCH__ACTION__ACTION_CONSENT:
		printf(": consent to %s recorded", dc_format_cents(t->fee_cents, money, sizeof money));
		break;
	case DISPATCH__ACTION__ACTION_FLAG_VENDOR: fputs(": flagged as a vendor incident", stdout); break;
	case DISPATCH__ACTION__ACTION_REVIEW_VENDOR: fputs(": vendor incident reviewed", stdout); break;
	case DISPATCH__ACTION__ACTION_RESOLVE:
		if (t->charged_cents > 0)
			printf(", charged %s", dc_format_cents(t->charged_cents, money, sizeof money));
		break;
	default: break;
	}
	if ((tr->action == DISPATCH__ACTION__ACTION_FOLLOW_UP || tr->action == DISPATCH__ACTION__ACTION_INSPECT) &&
	    routed)
		printf("; reopened (%u time%s)", t->reopen_count, t->reopen_count == 1 ? "" : "s");
}

int desk_transition(dc_t *dc, const struct desk_opts *o, Dispatch__Transition *tr)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Reply *r = NULL;
	uint64_t id;
	int rc;

	if (desk_id_arg(o->args[0], "a ticket id", &id) < 0)
		return DC_EXIT_USAGE;
	tr->ticket_id = id;
	req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
	req.transition = tr;
	rc = desk_call(dc, &req, &r);
	if (rc)
		return rc;
	rc = need_ticket(r);
	if (rc == 0) {
		printf("ticket %" PRIu64 " is now %s", r->ticket->id, dc_state_name(r->ticket->state));
		print_outcome(tr, r->ticket);
		/* a step recorded for an outside provider says so */
		if (r->n_events > 0 && r->events[0]->on_behalf_of && *r->events[0]->on_behalf_of) {
			fputs(" (recorded by ", stdout);
			dc_pad(stdout, r->events[0]->actor, 0);
			fputs(" for ", stdout);
			dc_pad(stdout, r->events[0]->on_behalf_of, 0);
			fputs(" of ", stdout);
			dc_pad(stdout, r->ticket->crew, 0);
			fputs(")", stdout);
		}
		putchar('\n');
	}
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

/* Cause and corrective action of a complaint, given together or not at all. */
static int complaint_notes(const struct desk_opts *o, const char *cmd, Dispatch__Transition *tr)
{
	if (!o->cause != !o->corrective)
		return desk_usage("%s: a complaint's --cause and --corrective go together", cmd);
	if (o->cause && (!*o->cause || !*o->corrective))
		return desk_usage("%s: --cause and --corrective need some text", cmd);
	tr->cause = (char *)o->cause;
	tr->corrective_action = (char *)o->corrective;
	return 0;
}

int desk_close(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	int rc = complaint_notes(o, "close", &tr);

	if (rc)
		return rc;
	tr.action = DISPATCH__ACTION__ACTION_CLOSE;
	tr.note = (char *)o->note;
	return desk_transition(dc, o, &tr);
}

int desk_resolve(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	struct desk_costs costs;
	int rc = complaint_notes(o, "resolve", &tr);

	if (rc == 0)
		rc = desk_cost_opts(o, &tr, &costs); /* issue 19 */
	if (rc)
		return rc;
	tr.action = DISPATCH__ACTION__ACTION_RESOLVE;
	tr.note = (char *)o->note;
	tr.parts_used = (char *)o->parts;
	if (o->charged_cents >= 0)
		tr.charged_cents = o->charged_cents;
	return desk_transition(dc, o, &tr);
}

/* An outside provider (a vendor, a hired van) has no handheld: the desk
 * records its acceptance and arrival, as told by phone. */
int desk_accept(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	tr.action = DISPATCH__ACTION__ACTION_ACCEPT;
	tr.note = (char *)o->note;
	return desk_transition(dc, o, &tr);
}

int desk_arrive(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	tr.action = DISPATCH__ACTION__ACTION_ARRIVE;
	tr.note = (char *)o->note;
	return desk_transition(dc, o, &tr);
}

int desk_unlink(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	tr.action = DISPATCH__ACTION__ACTION_UNLINK;
	tr.note = (char *)o->note;
	return desk_transition(dc, o, &tr);
}

int desk_cancel(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	/* The procedure keeps a reason for every cancelled request. */
	if (!o->reason || !*o->reason)
		return desk_usage("%s needs --reason TEXT", "cancel");
	tr.action = DISPATCH__ACTION__ACTION_CANCEL;
	tr.note = (char *)o->reason;
	return desk_transition(dc, o, &tr);
}

int desk_assign(dc_t *dc, const struct desk_opts *o)
{
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;

	if (!o->member || !*o->member)
		return desk_usage("%s needs --member M", "assign");
	if (o->reason && o->note)
		return desk_usage("%s: --reason and --note are the same thing here; give one", "assign");
	/* Taking a ticket from someone needs a reason; the daemon knows
	 * whether anyone has it, so it says when one is missing. */
	tr.action = DISPATCH__ACTION__ACTION_ASSIGN;
	tr.note = (char *)(o->reason ? o->reason : o->note);
	tr.member = (char *)o->member;
	return desk_transition(dc, o, &tr);
}
