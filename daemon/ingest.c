/*
 * ingest: request socket, batching and handlers (see ingest.h).
 *
 * Every frame is untrusted. A request is decoded, its envelope checked
 * (version, body, role, actor, request_id), then its body checked field by
 * field (protobuf-c checks neither enum ranges nor UTF-8 nor sizes) before
 * any handler touches the store. A failure anywhere is one error Reply
 * naming the field; nothing is written.
 */
#include "ingest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "arena.h"
#include "clock.h"
#include "log.h"
#include "route.h"
#include "ticket.h"
#include "xalloc.h"
#include "zloop.h"

#define INGEST_BATCH 256            /* requests per loop pass (one commit) */
#define INGEST_MAX_ENVELOPE 4       /* routing frames kept before the payload */
#define INGEST_MAX_MSG (64 * 1024)  /* ZMQ_MAXMSGSIZE: larger peers are cut off */
#define INGEST_LIST_DEFAULT 200
#define INGEST_LIST_MAX 1000
#define INGEST_REPLAY_DEFAULT 200
#define INGEST_REPLAY_MAX 500
#define INGEST_REPLAY_BYTES (1024 * 1024)
#define INGEST_EVENTS_MAX 8         /* events one mutating request may emit */

/* One received request and, once handled, its packed reply. */
struct ingest_msg {
	zmq_msg_t env[INGEST_MAX_ENVELOPE];
	int nenv;
	zmq_msg_t payload;
	uint8_t *reply;     /* malloc'd packed Reply */
	size_t reply_len;
	bool wrote;         /* changed the store: must not be acknowledged unless the batch commits */
	char request_id[65];
};

/* An event to publish once the batch is on disk. */
struct ingest_out {
	char topic[160];
	uint8_t *data;
	size_t len;
	uint64_t seq;
};

struct ingest {
	void *socket;
	store_t *store;
	const config_t *cfg;
	publish_t *pub;
	zloop_reader_t *reader;
	arena_t *arena;
	struct ingest_msg batch[INGEST_BATCH];
	struct ingest_out *out;
	size_t nout, capout;
	struct ingest_stats stats;
};

/* The request being handled. */
struct ingest_ctx {
	ingest_t *in;
	MDB_txn *txn;                 /* the request's own nested transaction */
	const Dispatch__Request *req;
	Dispatch__Reply *rep;
	arena_t *a;
	int64_t now;
};

typedef int (ingest_handler_fn)(struct ingest_ctx *c);

struct ingest_command {
	Dispatch__Request__BodyCase body;
	const char *name;
	bool mutating;      /* needs a request_id; its OK reply is stored */
	unsigned roles;     /* TICKET_ROLE() bits; 0 = any role */
	ingest_handler_fn *handler;
};

/* ---- replies ---------------------------------------------------------- */

static int ingest_fail(struct ingest_ctx *c, Dispatch__Status status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int ingest_fail(struct ingest_ctx *c, Dispatch__Status status, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->rep->status = status;
	c->rep->message = arena_strdup(c->a, msg);
	if (field)
		c->rep->field = arena_strdup(c->a, field);
	return -1;
}

static int ingest_store_fail(struct ingest_ctx *c, int rc)
{
	log_err("store error while handling a request: %s", store_strerror(rc));
	return ingest_fail(c, DISPATCH__STATUS__STATUS_STORAGE, NULL,
			   "the request could not be stored (%s); nothing was changed, please retry",
			   store_strerror(rc));
}

/* ---- validation --------------------------------------------------------- */

static bool ingest_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned n;
		uint32_t cp;
		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\t' && *p != '\n')
				return false; /* control characters have no place in a ticket */
			p++;
			continue;
		} else if ((*p & 0xe0) == 0xc0) {
			n = 1, cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2, cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3, cp = *p & 0x07;
		} else {
			return false;
		}
		p++;
		for (unsigned i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*p & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

/* A text field: UTF-8, between min and max bytes. */
static int ingest_check_text(struct ingest_ctx *c, const char *field, const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n < min)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, field, "%s is required", field);
	if (n > max)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, field, "%s is too long (%zu bytes; at most %zu)",
				   field, n, max);
	if (n > 0 && !ingest_utf8_ok(s))
		return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
				   "%s is not valid UTF-8 text (or holds control characters)", field);
	return 0;
}

/* An identifier (unit, member, crew): letters, digits and - _ / only. */
static int ingest_check_id(struct ingest_ctx *c, const char *field, const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (ingest_check_text(c, field, s, min, max) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_' || ch == '/'))
			return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, field,
					   "%s '%s' may hold only letters, digits, '-', '_' and '/'", field, s);
	}
	return 0;
}

static int ingest_check_enum(struct ingest_ctx *c, const char *field, int value, int lo, int hi, const char *hint)
{
	if (value < lo || value > hi)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, field, "unknown %s %d; use %s", field, value,
				   hint);
	return 0;
}

/* ---- recording and emitting events ---------------------------------------- */

/* Queue ev for publication after commit and add it to the reply. */
static void ingest_emit(struct ingest_ctx *c, const Dispatch__Event *ev)
{
	ingest_t *in = c->in;
	struct ingest_out *o;
	Dispatch__Event *copy;

	if (in->nout == in->capout) {
		in->capout = in->capout ? in->capout * 2 : 64;
		in->out = xrealloc(in->out, in->capout * sizeof *in->out);
	}
	o = &in->out[in->nout++];
	publish_topic(ev, o->topic, sizeof o->topic);
	o->len = dispatch__event__get_packed_size(ev);
	o->data = xmalloc(o->len);
	dispatch__event__pack(ev, o->data);
	o->seq = ev->seq;

	/* The reply carries the events without the ticket snapshot: the reply's
	 * own ticket is the current state. */
	if (c->rep->events == NULL)
		c->rep->events = arena_alloc(c->a, INGEST_EVENTS_MAX * sizeof *c->rep->events);
	if (c->rep->n_events < INGEST_EVENTS_MAX) {
		copy = arena_memdup(c->a, ev, sizeof *ev);
		copy->ticket = NULL;
		c->rep->events[c->rep->n_events++] = copy;
	}
}

static void ingest_drop_out(ingest_t *in, size_t from)
{
	while (in->nout > from)
		free(in->out[--in->nout].data);
}

/* Replace a string field of an unpacked message (system allocator). */
static void ingest_set_string(char **field, const char *value)
{
	if (*field != NULL && *field != protobuf_c_empty_string)
		free(*field);
	*field = xstrdup(value);
}

static void ingest_free_ticket(void *p) { dispatch__ticket__free_unpacked(p, NULL); }
static void ingest_free_event(void *p) { dispatch__event__free_unpacked(p, NULL); }

/* ---- handlers ------------------------------------------------------------- */

static int ingest_submit(struct ingest_ctx *c)
{
	const Dispatch__Submit *sub = c->req->submit;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	Dispatch__Ticket *t;
	struct route_decision d;
	int rc;

	if (ingest_check_enum(c, "submit.kind", sub->kind, DISPATCH__KIND__KIND_REPAIR, DISPATCH__KIND__KIND_INQUIRY,
			      "repair, complaint, special, security, cleaning or inquiry") ||
	    ingest_check_id(c, "submit.unit", sub->unit, 1, 32) ||
	    ingest_check_text(c, "submit.text", sub->text, 1, 2000) ||
	    ingest_check_text(c, "submit.person", sub->person, 0, 128) ||
	    ingest_check_text(c, "submit.phone", sub->phone, 0, 32) ||
	    ingest_check_enum(c, "submit.source", sub->source, 0, DISPATCH__SOURCE__SOURCE_SENSOR,
			      "intercom, phone, walk-in, app or sensor") ||
	    ingest_check_text(c, "submit.category", sub->category, 0, 64))
		return -1;
	if (sub->priority > 5)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, "submit.priority",
				   "priority %u is out of range; use 1 (urgent) to 5 (low), or leave it out", sub->priority);
	if (sub->n_tags > 16)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, "submit.tags",
				   "too many tags (%zu; at most 16)", sub->n_tags);
	for (size_t i = 0; i < sub->n_tags; i++)
		if (ingest_check_text(c, "submit.tags", sub->tags[i], 1, 32))
			return -1;

	t = arena_alloc(c->a, sizeof *t);
	dispatch__ticket__init(t);
	if ((rc = store_next_ticket_id(c->in->store, c->txn, &t->id)) != 0)
		return ingest_store_fail(c, rc);
	t->kind = sub->kind;
	t->unit = sub->unit;
	t->person = sub->person;
	t->phone = sub->phone;
	t->source = sub->source;
	t->text = sub->text;
	t->priority = sub->priority;
	t->category = sub->category;
	t->n_tags = sub->n_tags;
	t->tags = sub->tags;
	t->created_ms = c->now;

	ev.type = DISPATCH__EVENT_TYPE__EVENT_SUBMITTED;
	ev.actor = c->req->actor;
	ev.actor_role = c->req->role;
	if ((rc = ticket_record(c->in->store, c->txn, t, DISPATCH__STATE__STATE_NEW, &ev, c->now)) != 0)
		return ingest_store_fail(c, rc);
	ingest_emit(c, &ev);

	rc = route_ticket(c->in->cfg, c->in->store, c->txn, t, &d);
	if (rc == ROUTE_NOMATCH) {
		c->rep->ticket = t;
		c->rep->status = DISPATCH__STATUS__STATUS_OK;
		c->rep->message = arena_strdup(c->a, "ticket stored; no routing rule matches it, so it waits at the desk");
		log_warn("ticket %llu (%s) matched no routing rule; add a catch-all rule", (unsigned long long)t->id,
			 ticket_kind_name(t->kind));
		return 0;
	}
	if (rc != 0)
		return ingest_store_fail(c, rc);

	dispatch__event__init(&ev);
	t->crew = (char *)d.crew->id;
	t->rule = (char *)d.rule->name;
	ev.actor = (char *)"dispatchd";
	ev.actor_role = DISPATCH__ROLE__ROLE_SYSTEM;
	ev.rule = (char *)d.rule->name;
	ev.reason = arena_strdup(c->a, d.reason); /* the reply is packed after d is gone */
	if (d.member) {
		t->member = (char *)d.member->id;
		ev.type = DISPATCH__EVENT_TYPE__EVENT_ASSIGNED;
		rc = ticket_record(c->in->store, c->txn, t, DISPATCH__STATE__STATE_ASSIGNED, &ev, c->now);
	} else {
		ev.type = DISPATCH__EVENT_TYPE__EVENT_QUEUED;
		rc = ticket_record(c->in->store, c->txn, t, DISPATCH__STATE__STATE_NEW, &ev, c->now);
	}
	if (rc != 0)
		return ingest_store_fail(c, rc);
	ingest_emit(c, &ev);

	c->rep->ticket = t;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	if (d.member) {
		char msg[256];
		snprintf(msg, sizeof msg, "ticket %llu assigned to %s (%s) of %s by rule %s", (unsigned long long)t->id,
			 d.member->id, d.member->name, d.crew->id, d.rule->name);
		c->rep->message = arena_strdup(c->a, msg);
	} else {
		char msg[256];
		snprintf(msg, sizeof msg, "ticket %llu queued for %s by rule %s: nobody can take it now",
			 (unsigned long long)t->id, d.crew->id, d.rule->name);
		c->rep->message = arena_strdup(c->a, msg);
	}
	/* The strings above are borrowed from the config and the arena; the
	 * record is already packed into the store and the event queue. */
	return 0;
}

static int ingest_transition(struct ingest_ctx *c)
{
	const Dispatch__Transition *tr = c->req->transition;
	const struct ticket_transition *row;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	Dispatch__Ticket *t = NULL;
	char msg[256];
	int rc;

	if (tr->ticket_id == 0)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.ticket_id", "a ticket id is required");
	if (ingest_check_enum(c, "transition.action", tr->action, DISPATCH__ACTION__ACTION_ACCEPT,
			      DISPATCH__ACTION__ACTION_CANCEL, "accept, arrive, resolve, close or cancel") ||
	    ingest_check_text(c, "transition.note", tr->note, 0, 2000))
		return -1;

	rc = store_get_ticket(c->in->store, c->txn, tr->ticket_id, &t);
	if (rc == STORE_NOTFOUND)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "transition.ticket_id", "no such ticket %llu",
				   (unsigned long long)tr->ticket_id);
	if (rc != 0)
		return ingest_store_fail(c, rc);
	arena_defer(c->a, ingest_free_ticket, t);

	rc = ticket_rule(t, tr->action, c->req->role, c->req->actor, tr->note, &row, msg, sizeof msg);
	switch (rc) {
	case 0: break;
	case TICKET_CONFLICT: return ingest_fail(c, DISPATCH__STATUS__STATUS_CONFLICT, NULL, "%s", msg);
	case TICKET_FORBIDDEN: return ingest_fail(c, DISPATCH__STATUS__STATUS_FORBIDDEN, NULL, "%s", msg);
	default: return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, "transition.note", "%s", msg);
	}

	if (tr->action == DISPATCH__ACTION__ACTION_RESOLVE && tr->note[0])
		ingest_set_string(&t->note, tr->note);
	if (tr->action == DISPATCH__ACTION__ACTION_CANCEL)
		ingest_set_string(&t->cancel_reason, tr->note);
	ev.type = row->event;
	ev.actor = c->req->actor;
	ev.actor_role = c->req->role;
	ev.note = tr->note;
	if ((rc = ticket_record(c->in->store, c->txn, t, row->to, &ev, c->now)) != 0)
		return ingest_store_fail(c, rc);
	ingest_emit(c, &ev);

	c->rep->ticket = t;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	snprintf(msg, sizeof msg, "ticket %llu is now %s", (unsigned long long)t->id, ticket_state_name(t->state));
	c->rep->message = arena_strdup(c->a, msg);
	return 0;
}

/* Collects unpacked events into an arena-backed array. */
struct ingest_events {
	struct ingest_ctx *c;
	Dispatch__Event **v;
	size_t n, cap, bytes, max, max_bytes;
	bool strip_ticket;
};

static int ingest_collect_event(Dispatch__Event *ev, void *arg)
{
	struct ingest_events *e = arg;

	arena_defer(e->c->a, ingest_free_event, ev);
	if (e->strip_ticket && ev->ticket) {
		dispatch__ticket__free_unpacked(ev->ticket, NULL);
		ev->ticket = NULL;
	}
	if (e->n == e->cap) {
		Dispatch__Event **v = arena_alloc(e->c->a, (e->cap ? e->cap * 2 : 16) * sizeof *v);
		if (e->n)
			memcpy(v, e->v, e->n * sizeof *v);
		e->v = v;
		e->cap = e->cap ? e->cap * 2 : 16;
	}
	e->v[e->n++] = ev;
	e->bytes += dispatch__event__get_packed_size(ev);
	return (e->n >= e->max || e->bytes >= e->max_bytes) ? 1 : 0;
}

static int ingest_get(struct ingest_ctx *c)
{
	const Dispatch__Get *g = c->req->get;
	Dispatch__Ticket *t = NULL;
	int rc;

	if (g->ticket_id == 0)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, "get.ticket_id", "a ticket id is required");
	rc = store_get_ticket(c->in->store, c->txn, g->ticket_id, &t);
	if (rc == STORE_NOTFOUND)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "get.ticket_id", "no such ticket %llu",
				   (unsigned long long)g->ticket_id);
	if (rc != 0)
		return ingest_store_fail(c, rc);
	arena_defer(c->a, ingest_free_ticket, t);
	if (g->history) {
		struct ingest_events e = { .c = c, .max = SIZE_MAX, .max_bytes = SIZE_MAX, .strip_ticket = true };
		if ((rc = store_ticket_history(c->in->store, c->txn, t->id, ingest_collect_event, &e)) != 0)
			return ingest_store_fail(c, rc);
		c->rep->events = e.v;
		c->rep->n_events = e.n;
	}
	c->rep->ticket = t;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	return 0;
}

struct ingest_list {
	struct ingest_ctx *c;
	const Dispatch__List *q;
	Dispatch__Ticket **v;
	size_t n, max;
	int err;
};

static int ingest_list_add(struct ingest_list *l, Dispatch__Ticket *t)
{
	l->v[l->n++] = t;
	return l->n >= l->max ? 1 : 0;
}

static int ingest_list_id(uint64_t id, void *arg)
{
	struct ingest_list *l = arg;
	Dispatch__Ticket *t = NULL;
	int rc = store_get_ticket(l->c->in->store, l->c->txn, id, &t);

	if (rc != 0) {
		l->err = rc;
		return -1;
	}
	arena_defer(l->c->a, ingest_free_ticket, t);
	if (l->q->crew[0] && strcmp(t->crew, l->q->crew) != 0)
		return 0;
	return ingest_list_add(l, t);
}

static int ingest_list_any(Dispatch__Ticket *t, void *arg)
{
	struct ingest_list *l = arg;

	arena_defer(l->c->a, ingest_free_ticket, t);
	if ((l->q->crew[0] && strcmp(t->crew, l->q->crew) != 0) ||
	    (l->q->member[0] && strcmp(t->member, l->q->member) != 0))
		return 0;
	return ingest_list_add(l, t);
}

static int ingest_list(struct ingest_ctx *c)
{
	const Dispatch__List *q = c->req->list;
	struct ingest_list l = { .c = c, .q = q };
	int rc;

	if ((q->crew[0] && ingest_check_id(c, "list.crew", q->crew, 1, 32)) ||
	    (q->member[0] && ingest_check_id(c, "list.member", q->member, 1, 32)))
		return -1;
	if (q->crew[0] && config_crew(c->in->cfg, q->crew) == NULL)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "list.crew", "no such crew %s", q->crew);
	if (q->member[0]) {
		const struct config_crew *crew = NULL;
		const struct config_member *m = config_member(c->in->cfg, q->member, &crew);
		Dispatch__Member *pm;
		unsigned open = 0;
		if (m == NULL)
			return ingest_fail(c, DISPATCH__STATUS__STATUS_NOT_FOUND, "list.member",
					   "no such member %s in %s", q->member, c->in->cfg->estate);
		if ((rc = store_open_count(c->in->store, c->txn, m->id, &open)) != 0)
			return ingest_store_fail(c, rc);
		pm = arena_alloc(c->a, sizeof *pm);
		dispatch__member__init(pm);
		pm->id = m->id;
		pm->name = m->name;
		pm->crew = crew->id;
		pm->skills = m->skills;
		pm->n_skills = m->skills_count;
		pm->open = open;
		c->rep->member = pm;
	}
	l.max = q->limit ? (q->limit < INGEST_LIST_MAX ? q->limit : INGEST_LIST_MAX) : INGEST_LIST_DEFAULT;
	l.v = arena_alloc(c->a, l.max * sizeof *l.v);
	if (q->include_closed)
		rc = store_tickets(c->in->store, c->txn, ingest_list_any, &l);
	else
		rc = store_open_ids(c->in->store, c->txn, q->member[0] ? NULL : (q->crew[0] ? q->crew : NULL),
				    q->member[0] ? q->member : NULL, ingest_list_id, &l);
	if (rc != 0)
		return ingest_store_fail(c, l.err ? l.err : rc);
	c->rep->tickets = l.v;
	c->rep->n_tickets = l.n;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	return 0;
}

static int ingest_replay(struct ingest_ctx *c)
{
	const Dispatch__Replay *r = c->req->replay;
	struct ingest_events e = { .c = c, .max_bytes = INGEST_REPLAY_BYTES };
	int rc;

	e.max = r->limit ? (r->limit < INGEST_REPLAY_MAX ? r->limit : INGEST_REPLAY_MAX) : INGEST_REPLAY_DEFAULT;
	if ((rc = store_events_from(c->in->store, c->txn, r->from_seq ? r->from_seq : 1, ingest_collect_event, &e)) != 0)
		return ingest_store_fail(c, rc);
	if ((rc = store_last_seq(c->in->store, c->txn, &c->rep->last_seq)) != 0)
		return ingest_store_fail(c, rc);
	c->rep->events = e.v;
	c->rep->n_events = e.n;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	return 0;
}

static int ingest_ping(struct ingest_ctx *c)
{
	int rc;

	if ((rc = store_last_seq(c->in->store, c->txn, &c->rep->last_seq)) != 0)
		return ingest_store_fail(c, rc);
	c->rep->estate = c->in->cfg->estate;
	c->rep->status = DISPATCH__STATUS__STATUS_OK;
	c->rep->message = (char *)"dispatchd is up";
	return 0;
}

#define ROLES_DESK (TICKET_ROLE(DISPATCH__ROLE__ROLE_DESK) | TICKET_ROLE(DISPATCH__ROLE__ROLE_SUPERVISOR) | \
		    TICKET_ROLE(DISPATCH__ROLE__ROLE_ADMIN))

static const struct ingest_command ingest_commands[] = {
	{ DISPATCH__REQUEST__BODY_SUBMIT, "submit", true, ROLES_DESK, ingest_submit },
	{ DISPATCH__REQUEST__BODY_TRANSITION, "transition", true, 0, ingest_transition },
	{ DISPATCH__REQUEST__BODY_GET, "get", false, 0, ingest_get },
	{ DISPATCH__REQUEST__BODY_LIST, "list", false, 0, ingest_list },
	{ DISPATCH__REQUEST__BODY_REPLAY, "replay", false, 0, ingest_replay },
	{ DISPATCH__REQUEST__BODY_PING, "ping", false, 0, ingest_ping },
};

/* ---- one request ---------------------------------------------------------- */

/* Checks common to every request. */
static int ingest_check_envelope(struct ingest_ctx *c, const struct ingest_command **cmd_out)
{
	const Dispatch__Request *req = c->req;
	const struct ingest_command *cmd = NULL;

	if (req->version != DISPATCH__WIRE_VERSION__WIRE_VERSION)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_UNSUPPORTED_VERSION, "version",
				   "wire version %u is not supported; this dispatchd speaks version %d", req->version,
				   DISPATCH__WIRE_VERSION__WIRE_VERSION);
	if (ingest_check_text(c, "request_id", req->request_id, 0, 64) ||
	    ingest_check_enum(c, "role", req->role, DISPATCH__ROLE__ROLE_DESK, DISPATCH__ROLE__ROLE_ADMIN,
			      "desk, crew, monitor, qc, supervisor or admin") ||
	    ingest_check_id(c, "actor", req->actor, 1, 32))
		return -1;
	for (size_t i = 0; i < sizeof ingest_commands / sizeof ingest_commands[0]; i++)
		if (ingest_commands[i].body == req->body_case)
			cmd = &ingest_commands[i];
	if (cmd == NULL)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, "body",
				   "the request has no body this dispatchd understands (body %d)", (int)req->body_case);
	if (cmd->mutating && req->request_id[0] == '\0')
		return ingest_fail(c, DISPATCH__STATUS__STATUS_INVALID, "request_id",
				   "%s needs a request_id so that a retry cannot do it twice", cmd->name);
	if (cmd->roles && (cmd->roles & TICKET_ROLE(req->role)) == 0)
		return ingest_fail(c, DISPATCH__STATUS__STATUS_FORBIDDEN, "role", "the %s role may not %s",
				   ticket_role_name(req->role), cmd->name);
	*cmd_out = cmd;
	return 0;
}

static void ingest_pack_reply(struct ingest_msg *m, const Dispatch__Reply *rep)
{
	m->reply_len = dispatch__reply__get_packed_size(rep);
	m->reply = xmalloc(m->reply_len);
	dispatch__reply__pack(rep, m->reply);
}

static void ingest_handle(ingest_t *in, MDB_txn *batch_txn, struct ingest_msg *m)
{
	Dispatch__Reply rep = DISPATCH__REPLY__INIT;
	struct ingest_ctx c = { .in = in, .rep = &rep, .a = in->arena, .now = clock_now_ms() };
	const struct ingest_command *cmd = NULL;
	Dispatch__Request *req;
	size_t mark = in->nout;
	int rc;

	arena_reset(in->arena);
	rep.version = DISPATCH__WIRE_VERSION__WIRE_VERSION;
	m->wrote = false;
	req = dispatch__request__unpack(NULL, zmq_msg_size(&m->payload), zmq_msg_data(&m->payload));
	if (req == NULL) {
		ingest_fail(&c, DISPATCH__STATUS__STATUS_INVALID, "request",
			    "the message is not a valid dispatch Request (%zu bytes); is the client speaking wire version %d?",
			    zmq_msg_size(&m->payload), DISPATCH__WIRE_VERSION__WIRE_VERSION);
		goto reply;
	}
	c.req = req;
	rep.request_id = req->request_id;
	if (ingest_check_envelope(&c, &cmd) != 0)
		goto reply;

	if (batch_txn == NULL) {
		ingest_fail(&c, DISPATCH__STATUS__STATUS_STORAGE, NULL,
			    "the store cannot take requests right now; nothing was changed, please retry");
		goto reply;
	}
	if (cmd->mutating) {
		const void *data;
		size_t len;
		rc = store_get_reply(in->store, batch_txn, req->request_id, &data, &len);
		if (rc == 0) {
			/* A retry: answer exactly as the first time; change nothing. */
			log_debug("request %s is a retry; sending the stored reply", req->request_id);
			m->reply_len = len;
			m->reply = memcpy(xmalloc(len), data, len);
			/* The first answer may be in this very batch: not on disk until it commits. */
			m->wrote = true;
			goto done;
		}
		if (rc != STORE_NOTFOUND) {
			ingest_store_fail(&c, rc);
			goto reply;
		}
	}

	if ((rc = store_txn_begin(in->store, batch_txn, 0, &c.txn)) != 0) {
		ingest_store_fail(&c, rc);
		goto reply;
	}
	rc = cmd->handler(&c);
	if (rc == 0 && cmd->mutating) {
		ingest_pack_reply(m, &rep);
		rc = store_put_reply(in->store, c.txn, req->request_id, c.now, m->reply, m->reply_len);
		if (rc != 0) {
			free(m->reply);
			m->reply = NULL;
			ingest_store_fail(&c, rc);
			rc = -1;
		}
	}
	if (rc == 0) {
		if ((rc = store_txn_commit(c.txn)) != 0) {
			free(m->reply);
			m->reply = NULL;
			ingest_store_fail(&c, rc);
		}
	} else {
		store_txn_abort(c.txn);
	}
	c.txn = NULL;
	if (rc != 0) {
		ingest_drop_out(in, mark);
		in->stats.errors++;
		goto reply;
	}
	m->wrote = cmd->mutating;
	if (m->reply)
		goto done;
reply:
	if (rep.status != DISPATCH__STATUS__STATUS_OK)
		log_debug("request %s refused: %s%s%s", req && req->request_id[0] ? req->request_id : "(no id)",
			  rep.message ? rep.message : "", rep.field ? " field " : "", rep.field ? rep.field : "");
	ingest_pack_reply(m, &rep);
done:
	if (req)
		snprintf(m->request_id, sizeof m->request_id, "%s", req->request_id);
	dispatch__request__free_unpacked(req, NULL);
	arena_reset(in->arena);
}

/* ---- the socket ----------------------------------------------------------- */

/* Receive one whole message (envelope + payload) without blocking.
 * Returns 1 if one was received, 0 if none is waiting. */
static int ingest_recv(ingest_t *in, struct ingest_msg *m)
{
	int more;
	size_t len = sizeof more;
	zmq_msg_t part;

	m->nenv = 0;
	m->reply = NULL;
	m->wrote = false;
	m->request_id[0] = '\0';
	zmq_msg_init(&m->payload);
	for (;;) {
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, in->socket, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&part);
			if (m->nenv == 0 && zmq_msg_size(&m->payload) == 0)
				return 0;
			break; /* cannot happen mid-message: ZeroMQ delivers whole messages */
		}
		zmq_getsockopt(in->socket, ZMQ_RCVMORE, &more, &len);
		if (!more) {
			zmq_msg_close(&m->payload);
			m->payload = part;
			return 1;
		}
		if (m->nenv < INGEST_MAX_ENVELOPE)
			m->env[m->nenv++] = part;
		else
			zmq_msg_close(&part); /* too many routing frames: the reply will not find its way; fine */
	}
	for (int i = 0; i < m->nenv; i++)
		zmq_msg_close(&m->env[i]);
	zmq_msg_close(&m->payload);
	return 0;
}

static void ingest_send(ingest_t *in, struct ingest_msg *m)
{
	for (int i = 0; i < m->nenv; i++) {
		if (zmq_msg_send(&m->env[i], in->socket, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
			/* Peer gone (ROUTER_MANDATORY) or its queue full: it retries with
			 * the same request_id and gets the stored reply. */
			log_debug("reply to request %s not sent: %s", m->request_id, zmq_strerror(errno));
			goto done;
		}
	}
	if (zmq_send(in->socket, m->reply, m->reply_len, ZMQ_DONTWAIT) < 0)
		log_debug("reply to request %s not sent: %s", m->request_id, zmq_strerror(errno));
done:
	for (int i = 0; i < m->nenv; i++)
		zmq_msg_close(&m->env[i]);
	zmq_msg_close(&m->payload);
	free(m->reply);
	m->reply = NULL;
}

/* Replace the reply of a request whose writes did not reach the disk. */
static void ingest_unacknowledge(struct ingest_msg *m, int rc)
{
	Dispatch__Reply rep = DISPATCH__REPLY__INIT;
	char msg[256];

	snprintf(msg, sizeof msg, "the request could not be stored (%s); nothing was changed, please retry",
		 store_strerror(rc));
	rep.version = DISPATCH__WIRE_VERSION__WIRE_VERSION;
	rep.request_id = m->request_id;
	rep.status = DISPATCH__STATUS__STATUS_STORAGE;
	rep.message = msg;
	free(m->reply);
	ingest_pack_reply(m, &rep);
}

static void ingest_on_readable(void *arg)
{
	ingest_t *in = arg;
	MDB_txn *txn = NULL;
	int n = 0, rc;

	while (n < INGEST_BATCH && ingest_recv(in, &in->batch[n]))
		n++;
	if (n == 0)
		return;
	in->stats.batches++;
	in->stats.requests += (uint64_t)n;

	if ((rc = store_txn_begin(in->store, NULL, 0, &txn)) != 0) {
		log_err("cannot begin a write transaction: %s", store_strerror(rc));
		txn = NULL;
	}
	for (int i = 0; i < n; i++)
		ingest_handle(in, txn, &in->batch[i]);
	if (txn) {
		rc = store_txn_commit(txn);
		if (rc != 0) {
			log_err("commit of %d request(s) failed: %s; they were answered with a storage error",
				n, store_strerror(rc));
			for (int i = 0; i < n; i++)
				if (in->batch[i].wrote)
					ingest_unacknowledge(&in->batch[i], rc);
			ingest_drop_out(in, 0);
		} else {
			in->stats.commits++;
		}
	}
	/* On disk now: publish, then answer. */
	for (size_t i = 0; i < in->nout; i++) {
		publish_send(in->pub, in->out[i].topic, in->out[i].data, in->out[i].len);
		publish_set_last_seq(in->pub, in->out[i].seq);
	}
	ingest_drop_out(in, 0);
	for (int i = 0; i < n; i++)
		ingest_send(in, &in->batch[i]);
}

ingest_t *ingest_new(void *zmq_ctx, struct ev_loop *loop, const char *endpoint, store_t *s,
		     const config_t *cfg, publish_t *pub, char *err, size_t errlen)
{
	ingest_t *in = xcalloc(1, sizeof *in);
	int one = 1, linger = 0, ivl = 5000, ttl = 15000, timeout = 15000;
	int64_t maxmsg = INGEST_MAX_MSG;

	in->store = s;
	in->cfg = cfg;
	in->pub = pub;
	in->arena = arena_new();
	in->socket = zmq_socket(zmq_ctx, ZMQ_ROUTER);
	if (in->socket == NULL) {
		snprintf(err, errlen, "cannot create the request socket: %s", zmq_strerror(errno));
		goto fail;
	}
	zmq_setsockopt(in->socket, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
	zmq_setsockopt(in->socket, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
	zmq_setsockopt(in->socket, ZMQ_LINGER, &linger, sizeof linger);
	/* ZMTP heartbeats: notice dead handhelds on flaky Wi-Fi. */
	zmq_setsockopt(in->socket, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
	zmq_setsockopt(in->socket, ZMQ_HEARTBEAT_TTL, &ttl, sizeof ttl);
	zmq_setsockopt(in->socket, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
	if (zmq_bind(in->socket, endpoint) != 0) {
		snprintf(err, errlen, "cannot listen for requests on %s: %s", endpoint, zmq_strerror(errno));
		goto fail;
	}
	in->reader = zloop_reader_new(loop, in->socket, ingest_on_readable, in);
	if (in->reader == NULL) {
		snprintf(err, errlen, "cannot watch the request socket: %s", zmq_strerror(errno));
		goto fail;
	}
	return in;
fail:
	ingest_destroy(&in);
	return NULL;
}

void ingest_destroy(ingest_t **inp)
{
	ingest_t *in;

	if (inp == NULL || *inp == NULL)
		return;
	in = *inp;
	zloop_reader_destroy(&in->reader);
	if (in->socket)
		zmq_close(in->socket);
	ingest_drop_out(in, 0);
	free(in->out);
	arena_destroy(&in->arena);
	free(in);
	*inp = NULL;
}

void ingest_set_config(ingest_t *in, const config_t *cfg) { in->cfg = cfg; }

void ingest_get_stats(const ingest_t *in, struct ingest_stats *out) { *out = in->stats; }
