/*
 * board_api: the gateway's JSON answers, each made of one or a few
 * requests to dispatchd and the client library's JSON (dc_json.h).
 *
 * The board never shows residents' names and phone numbers (a wall
 * screen is seen by visitors too): they are taken out of every ticket the
 * board's answers and streams carry. A ticket's full history (/api/ticket)
 * is for the roles that work the tickets, and carries them.
 *
 * The resident's answers carry only what ResidentView says (the daemon
 * decides what a resident may see) plus a form token bound to the
 * resident's token (users_mac), which the rating must send back.
 */
#include "board.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dc_json.h"

#define LIST_MAX 1000
#define DAEMONS_MAX 64

static __thread dc_t *tl_dc[2];
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static dc_t *reg[DAEMONS_MAX];
static int n_reg;

dc_t *board_daemon(int resident)
{
	dc_t *dc;

	if (tl_dc[resident])
		return tl_dc[resident];
	dc = dc_new(board_opts.endpoint, NULL, resident ? DISPATCH__ROLE__ROLE_RESIDENT : DISPATCH__ROLE__ROLE_MONITOR,
		    resident ? "resident" : "board");
	if (!dc)
		return NULL;
	if (resident ? (board_opts.resident_key || board_opts.server_key) : (board_opts.key || board_opts.server_key)) {
		if (dc_set_keys(dc, resident ? board_opts.resident_key : board_opts.key, board_opts.server_key) < 0) {
			fprintf(stderr, BOARD_PROG ": %s\n", dc_error(dc));
			dc_destroy(&dc);
			return NULL;
		}
	}
	/* An HTTP thread must not hang on a daemon that is away. */
	dc_set_timeout(dc, 1500);
	dc_set_tries(dc, 2);
	pthread_mutex_lock(&reg_mu);
	if (n_reg == DAEMONS_MAX) {
		pthread_mutex_unlock(&reg_mu);
		dc_destroy(&dc);
		return NULL;
	}
	reg[n_reg++] = dc;
	pthread_mutex_unlock(&reg_mu);
	tl_dc[resident] = dc;
	return dc;
}

void board_daemons_destroy(void)
{
	pthread_mutex_lock(&reg_mu);
	for (int i = 0; i < n_reg; i++)
		dc_destroy(&reg[i]);
	n_reg = 0;
	pthread_mutex_unlock(&reg_mu);
}

/* What the board shows of a ticket; the rest (and the residents' names
 * and phones, never) is in its history. A stream's event is sent to every
 * browser: a quarter of the bytes. */
static const char *const board_keys[] = {
	"id",
	"kind",
	"state",
	"unit",
	"building",
	"zone",
	"crew",
	"member",
	"text",
	"priority",
	"category",
	"created_ms",
	"updated_ms",
	"due_ms",
	"last_seq",
	"hold_reason",
	"hold_note",
	"linked_to",
	"escalated_to",
	"reopen_count",
	"satisfaction",
	"acknowledge_by_ms",
	"arrive_by_ms",
	"resolve_by_ms",
	"follow_up_by_ms",
	"outage_id",
};

void api_redact_ticket(json_t *t)
{
	const char *key;
	json_t *v;
	void *tmp;

	if (!json_is_object(t))
		return;
	json_object_foreach_safe(t, tmp, key, v)
	{
		size_t i;
		for (i = 0; i < sizeof board_keys / sizeof board_keys[0]; i++)
			if (strcmp(key, board_keys[i]) == 0)
				break;
		if (i == sizeof board_keys / sizeof board_keys[0])
			json_object_del(t, key);
	}
}

json_t *api_event_json(const Dispatch__Event *e)
{
	json_t *j = dc_json_event(e);

	if (j)
		api_redact_ticket(json_object_get(j, "ticket"));
	return j;
}

static json_t *error_json(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

/* One request; *r set when the daemon answered. The HTTP status otherwise. */
static int ask(dc_t *dc, Dispatch__Request *req, Dispatch__Reply **r)
{
	if (!dc)
		return 500;
	if (dc_request(dc, req, r) < 0) {
		*r = NULL;
		return 503;
	}
	return 200;
}

static int status_http(int status)
{
	switch (status) {
	case DISPATCH__STATUS__STATUS_OK: return 200;
	case DISPATCH__STATUS__STATUS_NOT_FOUND: return 404;
	case DISPATCH__STATUS__STATUS_INVALID: return 400;
	case DISPATCH__STATUS__STATUS_CONFLICT: return 409;
	case DISPATCH__STATUS__STATUS_FORBIDDEN: return 403;
	default: return 503;
	}
}

static json_t *refused(Dispatch__Reply *r, int *http)
{
	char msg[300];
	json_t *j;

	*http = status_http(r->status);
	j = json_pack("{s:s,s:s}", "error", dc_clean(r->message, msg, sizeof msg), "status", dc_status_name(r->status));
	dispatch__reply__free_unpacked(r, NULL);
	return j;
}

json_t *api_board(int *http, enum board_role role)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__List list = DISPATCH__LIST__INIT;
	Dispatch__Crews crews = DISPATCH__CREWS__INIT;
	Dispatch__ListOutages lo = DISPATCH__LIST_OUTAGES__INIT;
	Dispatch__Reply *r = NULL;
	dc_t *dc = board_daemon(0);
	json_t *o, *a;
	uint64_t seq;
	size_t i;

	if (!link_up()) {
		*http = 503;
		return error_json("the daemon is not reachable; reconnecting");
	}
	/* The seq first: the stream goes on from it, and an event seen twice
	 * (in the list and on the stream) is older than what the page has. */
	seq = link_last_seq();
	list.limit = LIST_MAX;
	req.body_case = DISPATCH__REQUEST__BODY_LIST;
	req.list = &list;
	if ((*http = ask(dc, &req, &r)) != 200)
		return error_json("the daemon did not answer");
	if (r->status != DISPATCH__STATUS__STATUS_OK)
		return refused(r, http);
	o = json_object();
	a = json_array();
	for (i = 0; i < r->n_tickets; i++) {
		json_t *t = dc_json_ticket(r->tickets[i]);
		api_redact_ticket(t);
		json_array_append_new(a, t);
	}
	json_object_set_new(o, "tickets", a);
	json_object_set_new(o, "truncated", json_boolean(r->n_tickets >= LIST_MAX));
	if (r->estate && *r->estate) {
		json_object_set_new(o, "estate", dc_json_string(r->estate));
	} else {
		Dispatch__Reply *p = NULL;
		json_object_set_new(o, "estate", json_string(""));
		if (dc_ping(dc, &p) == 0) {
			json_object_set_new(o, "estate", dc_json_string(p->estate));
			dispatch__reply__free_unpacked(p, NULL);
		}
	}
	json_object_set_new(o, "timezone", dc_json_string(r->timezone));
	link_note_language(r->language);
	json_object_set_new(o, "now_ms", json_integer(r->now_ms));
	dispatch__reply__free_unpacked(r, NULL);
	req.body_case = DISPATCH__REQUEST__BODY_CREWS;
	req.crews = &crews;
	a = json_array();
	if (ask(dc, &req, &r) == 200) {
		for (i = 0; r->status == DISPATCH__STATUS__STATUS_OK && i < r->n_crews; i++)
			json_array_append_new(a, dc_json_crew(r->crews[i]));
		dispatch__reply__free_unpacked(r, NULL);
	}
	json_object_set_new(o, "crews", a);
	req.body_case = DISPATCH__REQUEST__BODY_LIST_OUTAGES;
	req.list_outages = &lo;
	a = json_array();
	if (ask(dc, &req, &r) == 200) {
		for (i = 0; r->status == DISPATCH__STATUS__STATUS_OK && i < r->n_outages; i++)
			json_array_append_new(a, dc_json_outage(r->outages[i]));
		dispatch__reply__free_unpacked(r, NULL);
	}
	json_object_set_new(o, "outages", a);
	json_object_set_new(o, "escalations", link_escalations());
	json_object_set_new(o, "notices", link_notices());
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	json_object_set_new(o, "lang", json_string(board_lang()));
	json_object_set_new(o, "role", json_string(users_role_name(role)));
	*http = 200;
	return o;
}

json_t *api_ticket(uint64_t id, int *http)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Get get = DISPATCH__GET__INIT;
	Dispatch__Reply *r = NULL;
	json_t *o, *a;
	size_t i;

	get.ticket_id = id;
	get.history = 1;
	req.body_case = DISPATCH__REQUEST__BODY_GET;
	req.get = &get;
	if ((*http = ask(board_daemon(0), &req, &r)) != 200)
		return error_json("the daemon did not answer");
	if (r->status != DISPATCH__STATUS__STATUS_OK)
		return refused(r, http);
	o = json_object();
	json_object_set_new(o, "ticket", r->ticket ? dc_json_ticket(r->ticket) : json_null());
	a = json_array();
	for (i = 0; i < r->n_events; i++)
		json_array_append_new(a, dc_json_event(r->events[i]));
	json_object_set_new(o, "events", a);
	json_object_set_new(o, "now_ms", json_integer(r->now_ms));
	dispatch__reply__free_unpacked(r, NULL);
	return o;
}

/* ---- the resident's page ---- */

static json_t *resident_json(const Dispatch__ResidentTicket *t, const char *token)
{
	json_t *o = json_object(), *a = json_array(), *n = json_array();
	char mac[65];
	size_t i;

	json_object_set_new(o, "id", json_integer((json_int_t)t->id));
	json_object_set_new(o, "kind", dc_json_string(dc_kind_name(t->kind)));
	json_object_set_new(o, "state", dc_json_string(dc_state_name(t->state)));
	json_object_set_new(o, "unit", dc_json_string(t->unit));
	json_object_set_new(o, "text", dc_json_string(t->text));
	json_object_set_new(o, "created_ms", json_integer(t->created_ms));
	json_object_set_new(o, "crew_name", dc_json_string(t->crew_name));
	json_object_set_new(o, "member_name", dc_json_string(t->member_name));
	json_object_set_new(o, "hold_reason",
			    dc_json_string(t->hold_reason ? dc_hold_reason_name(t->hold_reason) : ""));
	json_object_set_new(o, "can_rate", json_boolean(t->can_rate));
	json_object_set_new(o, "satisfaction", json_integer(t->satisfaction));
	json_object_set_new(o, "last_seq", json_integer((json_int_t)t->last_seq));
	json_object_set_new(o, "outage_text", dc_json_string(t->outage_text));
	json_object_set_new(o, "fee_cents", json_integer(t->fee_cents));
	json_object_set_new(o, "replaced_by_token", dc_json_string(t->replaced_by_token));
	for (i = 0; i < t->n_steps; i++) {
		const Dispatch__ResidentStep *s = t->steps[i];
		if (!s)
			continue;
		json_array_append_new(
			a, json_pack("{s:o,s:I,s:o,s:o,s:o,s:o,s:I,s:b}", "type",
				     dc_json_string(dc_event_type_name(s->type)), "time_ms", (json_int_t)s->time_ms,
				     "state", dc_json_string(dc_state_name(s->state)), "crew_name",
				     dc_json_string(s->crew_name), "member_name", dc_json_string(s->member_name),
				     "hold_reason",
				     dc_json_string(s->hold_reason ? dc_hold_reason_name(s->hold_reason) : ""),
				     "satisfaction", (json_int_t)s->satisfaction, "by_resident", s->by_resident));
	}
	json_object_set_new(o, "steps", a);
	for (i = 0; i < t->n_notices; i++)
		json_array_append_new(n, dc_json_notice(t->notices[i]));
	json_object_set_new(o, "notices", n);
	users_mac(token, mac);
	json_object_set_new(o, "form_token", json_string(mac));
	return o;
}

static json_t *resident_ask(Dispatch__Request *req, const char *token, int *http)
{
	Dispatch__Reply *r = NULL;
	json_t *o;

	if ((*http = ask(board_daemon(1), req, &r)) != 200)
		return error_json("the service is not reachable just now; please try again");
	if (r->status == DISPATCH__STATUS__STATUS_NOT_FOUND ||
	    (r->status == DISPATCH__STATUS__STATUS_OK && !r->resident)) {
		/* Nothing about any ticket: the same answer for every wrong token. */
		dispatch__reply__free_unpacked(r, NULL);
		*http = 404;
		return error_json("not found");
	}
	if (r->status != DISPATCH__STATUS__STATUS_OK)
		return refused(r, http);
	o = resident_json(r->resident, token);
	dispatch__reply__free_unpacked(r, NULL);
	*http = 200;
	return o;
}

json_t *api_resident_view(const char *token, int *http)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__ResidentView v = DISPATCH__RESIDENT_VIEW__INIT;

	v.token = (char *)token;
	req.body_case = DISPATCH__REQUEST__BODY_RESIDENT_VIEW;
	req.resident_view = &v;
	return resident_ask(&req, token, http);
}

json_t *api_resident_rate(const char *token, const json_t *body, int *http)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__ResidentRate rt = DISPATCH__RESIDENT_RATE__INIT;
	json_t *score = json_object_get(body, "score"), *remark = json_object_get(body, "remark");
	json_t *form = json_object_get(body, "form_token");
	char mac[65];

	users_mac(token, mac);
	if (!json_is_string(form) || strlen(json_string_value(form)) != 64 ||
	    sodium_memcmp(json_string_value(form), mac, 64) != 0) {
		*http = 403;
		return error_json("this form has expired: reload the page");
	}
	if (!json_is_integer(score) || json_integer_value(score) < 1 || json_integer_value(score) > 5) {
		*http = 400;
		return error_json("a score is 1 to 5");
	}
	if (remark && (!json_is_string(remark) || strlen(json_string_value(remark)) > 1000)) {
		*http = 400;
		return error_json("a remark is at most 1000 bytes of text");
	}
	rt.token = (char *)token;
	rt.satisfaction = (uint32_t)json_integer_value(score);
	rt.remark = remark ? (char *)json_string_value(remark) : (char *)"";
	req.body_case = DISPATCH__REQUEST__BODY_RESIDENT_RATE;
	req.resident_rate = &rt;
	return resident_ask(&req, token, http);
}

int api_resident_ticket(const char *token, uint64_t *id, uint64_t *last_seq)
{
	int http;
	json_t *o = api_resident_view(token, &http);
	int rc = -1;

	if (http == 200) {
		*id = (uint64_t)json_integer_value(json_object_get(o, "id"));
		*last_seq = (uint64_t)json_integer_value(json_object_get(o, "last_seq"));
		rc = 0;
	}
	json_decref(o);
	return rc;
}
