/*
 * ingest: the request socket, the envelope, batching and group commit
 * (see ingest.h). What a request does is the request table's (command.c)
 * and its handlers'; the wire reader (wire.c), the stored replies
 * (replies.c), the held replies (held.c) and the deadline timer
 * (deadline.c) are their own. Some 900 lines, for a reason: receiving,
 * applying with its redo and map-growth passes, and gathering a batch
 * share the batch array and its per-request flags; split, each part would
 * reach into the others' state.
 *
 * Every frame is untrusted. A request is decoded, its envelope checked
 * (version, body, role, actor, request_id), then its body checked field by
 * field (protobuf-c checks neither enum ranges nor UTF-8 nor sizes) before
 * any handler touches the store. A failure anywhere is one error Reply
 * naming the field; nothing is written.
 */
#include "ingest.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "arena.h"
#include "chain.h"
#include "clock.h"
#include "command.h"
#include "deadline.h"
#include "plan.h"
#include "held.h"
#include "log.h"
#include "notices.h"
#include "replies.h"
#include "handle.h"
#include "roster.h"
#include "ticket.h"
#include "wire.h"
#include "xalloc.h"
#include "zloop.h"

#define INGEST_MAX_ENVELOPE HELD_MAX_ENVELOPE               /* routing frames kept before the payload */
#define INGEST_MAX_MSG DISPATCH__LIMIT__LIMIT_REQUEST_BYTES /* ZMQ_MAXMSGSIZE: larger peers are cut off */
/* Replies libzmq queues per peer. Its default of 1000 let one peer that
 * stops reading hold a thousand list replies (100+ MB) in the daemon; what
 * a pipelining client has beyond this waits in the daemon, bounded in
 * bytes (ingest_hold). */
#define INGEST_REPLY_HWM 32
/* ZMQ_RCVHWM: requests libzmq reads ahead from one peer before it stops
 * reading that peer's connection (the peer's sends then wait). libzmq's
 * default, 1000, let one peer's frames of up to INGEST_MAX_MSG take 64 MB
 * of the daemon's memory; 128 bounds it at 8 MiB, some eight times what
 * the most a client keeps in flight (the bench's 16) needs. */
#define INGEST_REQUEST_HWM 128
#define INGEST_REDO (-30999) /* ingest_apply(): a request failed after writing */

/* One received request and, once handled, its packed reply. */
struct ingest_msg {
	zmq_msg_t env[INGEST_MAX_ENVELOPE];
	int nenv;
	zmq_msg_t payload;
	uint8_t *reply; /* malloc'd packed Reply */
	size_t reply_len;
	bool wrote;       /* changed the store: must not be acknowledged unless the batch commits */
	bool seen;        /* presence noted (on the batch's first attempt only) */
	bool came_online; /* ... and it brought its member online */
	bool skipped;     /* not answered: its peer could take no more (ingest_peer_saturated) */
	char request_id[65];
};

struct ingest {
	void *socket;
	store_t *store;
	const config_t *cfg;
	roster_t *roster;
	publish_t *pub;
	auth_t *auth; /* CURVE identities and role policy; NULL: clients say who they are */
	/* the estate notices in force, for the residents' pages (issue 17) */
	notices_t *notices;
	zloop_reader_t *reader;
	arena_t *arena;
	struct ingest_msg batch[INGEST_BATCH];
	struct publish_outbox out; /* what the batch stored, to publish once it is on disk */
	struct ingest_stats stats;
	size_t map_max; /* the map grows up to this (0: no limit but the disk) */
	struct ev_loop *loop;
	ev_timer expire;             /* forgets stored replies past the idempotency window */
	deadline_timer_t *deadlines; /* fires what is due at the start of each batch */
	plan_timer_t *plan;          /* issue 19: planned work's occurrences, made at the start of a batch */
	bool map_full;               /* a request of this batch met MDB_MAP_FULL */
	bool savepoints;             /* each request in a child transaction of its own (see ingest_handle) */
	bool redo;                   /* a request failed after writing: apply the batch again with savepoints */
	bool no_room;                /* the map may not grow: a last pass, each request alone, commits what fits */
	int64_t saturated_logged_ms; /* when a saturated peer was last logged (ingest_peer_saturated) */
	bool panic;                  /* LMDB refuses every transaction from now on */
	/* Gathering a batch (ingest_gather): the peers answered by the last
	 * pass (sorted hashes of their routing ids) and the pass before, and
	 * how many of those came back with a request within a pass (0..100). */
	uint64_t answered[2][INGEST_BATCH];
	int nanswered[2];
	uint64_t peers[2 * INGEST_BATCH]; /* ingest_gather: the union of answered[], sorted ... */
	bool back[2 * INGEST_BATCH];      /* ... and which of them are in the batch */
	int comeback;
	int zmq_fd; /* the request socket's ZMQ_FD, to wait on while gathering */
	/* --log-level debug: where a batch's time goes (ingest_on_readable) */
	bool trace;
	double trace_commit_us; /* the last commit's, fsync included */
	double trace_end_us;    /* when the last batch's replies had gone */
	held_t *held;           /* replies for peers whose queue was full, until it drains */
};

/* ---- one request ---------------------------------------------------------- */

/* Checks common to every request. */
static int ingest_check_envelope(struct handle_ctx *c, const struct command **cmd_out)
{
	const Dispatch__Request *req = c->req;
	const struct command *cmd;

	if (req->version != DISPATCH__WIRE_VERSION__WIRE_VERSION)
		return handle_fail(c, DISPATCH__STATUS__STATUS_UNSUPPORTED_VERSION, "version",
				   "wire version %u is not supported; this dispatchd speaks version %d", req->version,
				   DISPATCH__WIRE_VERSION__WIRE_VERSION);
	if (handle_check_text(c, "request_id", req->request_id, 0, 64) ||
	    handle_check_enum(c, "role", c->role, DISPATCH__ROLE__ROLE_DESK, DISPATCH__ROLE__ROLE_RESIDENT,
			      "desk, crew, monitor, qc, supervisor, admin or resident") ||
	    (c->role == DISPATCH__ROLE__ROLE_SYSTEM &&
	     handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "role",
			 "role is not one of desk, crew, monitor, qc, supervisor, admin or resident (the system role "
			 "is dispatchd's own)")) ||
	    handle_check_id(c, "actor", c->actor, 1, 32))
		return -1;
	if ((cmd = command_find(req->body_case)) == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "body",
				   "the request has no body this dispatchd understands (body %d)", (int)req->body_case);
	if (cmd->mutating && req->request_id[0] == '\0')
		return handle_fail(c, DISPATCH__STATUS__STATUS_INVALID, "request_id",
				   "%s needs a request_id so that a retry cannot do it twice", cmd->name);
	/* A resident (the web gateway's residents' pages) does only what its
	 * rows name, over ipc as with a key (issue 17). */
	if ((cmd->ipc_roles && (cmd->ipc_roles & TICKET_ROLE(c->role)) == 0) ||
	    (c->role == DISPATCH__ROLE__ROLE_RESIDENT && (cmd->ipc_roles & TICKET_ROLE(c->role)) == 0))
		return handle_fail(c, DISPATCH__STATUS__STATUS_FORBIDDEN, "role", "the %s role may not %s",
				   ticket_role_name(c->role), cmd->name);
	if (c->role == DISPATCH__ROLE__ROLE_CREW && config_member(c->cfg, c->actor, NULL) == NULL)
		return handle_fail(c, DISPATCH__STATUS__STATUS_FORBIDDEN, "actor",
				   "%s is not a member of any crew in %s", c->actor, c->cfg->estate);
	*cmd_out = cmd;
	return 0;
}

static void ingest_pack_reply(struct ingest_msg *m, const Dispatch__Reply *rep)
{
	m->reply_len = dispatch__reply__get_packed_size(rep);
	m->reply = xmalloc(m->reply_len);
	dispatch__reply__pack(rep, m->reply);
}

/* The reply of a handler that says its ticket is as its last event stored
 * it (handle_ctx.rep_ticket_stored): that snapshot's bytes spliced in,
 * the same bytes as packing the reply whole. */
#define INGEST_REPLY_TICKET_FIELD 6
static void ingest_pack_reply_of(struct ingest_msg *m, Dispatch__Reply *rep, const struct handle_ctx *c)
{
	Dispatch__Ticket *t = rep->ticket;
	const void *tb;
	size_t tl, rest;
	uint8_t *buf;

	if (!c->rep_ticket_stored || t == NULL || !store_snapshot_of(c->store, t, &tb, &tl)) {
		ingest_pack_reply(m, rep);
		return;
	}
	rep->ticket = NULL;
	rest = dispatch__reply__get_packed_size(rep);
	buf = xmalloc(rest ? rest : 1);
	dispatch__reply__pack(rep, buf);
	rep->ticket = t;
	m->reply_len = wire_splice_size(rest, INGEST_REPLY_TICKET_FIELD, tl);
	m->reply = xmalloc(m->reply_len);
	if (wire_splice(m->reply, buf, rest, INGEST_REPLY_TICKET_FIELD, tb, tl) != m->reply_len) {
		free(m->reply); /* protobuf-c's own bytes: not reached */
		ingest_pack_reply(m, rep);
	}
	free(buf);
}

/* A member's handheld just came online: offer its crew's queue again, in
 * a transaction of its own so the request's outcome does not decide it. */
static void ingest_came_online(ingest_t *in, MDB_txn *batch_txn, struct handle_ctx *c, const char *member)
{
	const struct config_crew *crew = NULL;
	Dispatch__Reply scratch = DISPATCH__REPLY__INIT;
	size_t mark = in->out.n;

	if (config_member(in->cfg, member, &crew) == NULL)
		return;
	log_info("%s of %s is online", member, crew->id);
	c->rep = &scratch;
	if (store_txn_begin(in->store, batch_txn, 0, &c->txn) != 0)
		return;
	if (handle_drain_queue(c, crew) == 0 && store_txn_commit(c->txn) == 0) {
		c->txn = NULL;
		return;
	}
	if (c->txn)
		store_txn_abort(c->txn);
	c->txn = NULL;
	publish_outbox_drop(&in->out, mark);
}

static uint64_t ingest_peer(const struct ingest_msg *m);

/* Whether m's peer already has as much held as it may: a reply to it now
 * would be dropped (ingest_hold). */
static bool ingest_peer_saturated(ingest_t *in, const struct ingest_msg *m)
{
	if (held_count(in->held) == 0 || m->nenv == 0)
		return false;
	return held_saturated(in->held, ingest_peer(m));
}

static void ingest_handle(ingest_t *in, MDB_txn *batch_txn, struct ingest_msg *m)
{
	Dispatch__Reply rep = DISPATCH__REPLY__INIT;
	struct handle_ctx c = {
		.store = in->store,
		.cfg = in->cfg,
		.roster = in->roster,
		.rep = &rep,
		.a = in->arena,
		.now = clock_now_ms(),
		.out = &in->out,
		.notices = in->notices,
	};
	const struct command *cmd = NULL;
	Dispatch__Request *req;
	struct auth_who who;
	char why[256];
	size_t mark = in->out.n;
	bool came_online = false;
	uint8_t digest[STORE_DIGEST_LEN] = { 0 };
	uint64_t writes;
	int rc = 0;

	arena_reset(in->arena);
	roster_time(c.now, &c.rt);
	rep.version = DISPATCH__WIRE_VERSION__WIRE_VERSION;
	rep.now_ms = c.now;
	rep.timezone = in->cfg->timezone; /* the config's string; NULL packs as empty */
	rep.language = in->cfg->language;
	m->wrote = false;
	/* The ROUTER puts the peer's identity in front; a DEALER adds nothing
	 * and a REQ one empty delimiter. Any other frame is not routing the
	 * client meant, so the message is not a request to act on. */
	if (m->nenv > 2 || (m->nenv == 2 && zmq_msg_size(&m->env[1]) != 0)) {
		req = NULL;
		handle_fail(&c, DISPATCH__STATUS__STATUS_INVALID, "frames",
			    "a request is one message of one frame (a REQ socket's empty delimiter aside); this one "
			    "had %s%d frames",
			    m->nenv == INGEST_MAX_ENVELOPE ? "at least " : "", m->nenv);
		goto reply;
	}
	req = dispatch__request__unpack(NULL, zmq_msg_size(&m->payload), zmq_msg_data(&m->payload));
	if (req == NULL) {
		handle_fail(&c, DISPATCH__STATUS__STATUS_INVALID, "request",
			    "the message is not a valid dispatch Request (%zu bytes); is the client speaking wire "
			    "version %d?",
			    zmq_msg_size(&m->payload), DISPATCH__WIRE_VERSION__WIRE_VERSION);
		goto reply;
	}
	c.req = req;
	/* The reply echoes the id, and a Reply string that is not UTF-8 is one
	 * a strict parser refuses whole: such an id is never echoed. */
	if (req->request_id[0] != '\0' && !handle_utf8_ok(req->request_id)) {
		handle_fail(
			&c, DISPATCH__STATUS__STATUS_INVALID, "request_id",
			"request_id is not valid UTF-8 text (or holds control characters), so this reply cannot echo"
			" it: its request_id is left empty; send ids of 1 to 64 bytes of UTF-8 text");
		goto reply;
	}
	rep.request_id = req->request_id;
	if (auth_identify(in->auth, &m->payload, &who) != 0) {
		log_notice("refused a request from the revoked key %s", who.key);
		handle_fail(&c, DISPATCH__STATUS__STATUS_FORBIDDEN, NULL,
			    "this key is no longer allowed in; ask the administrator for a new one");
		goto reply;
	}
	/* Over CURVE the key says who this is, and what the request claims
	 * is ignored; over ipc the request says it. */
	c.role = who.authenticated ? who.role : req->role;
	c.actor = who.authenticated ? who.identity : req->actor;
	if (who.authenticated && who.role == DISPATCH__ROLE__ROLE_CREW)
		c.scope_member = who.identity;
	if (ingest_check_envelope(&c, &cmd) != 0)
		goto reply;
	if (command_allow_key(&who, req, why, sizeof why) != 0) {
		handle_fail(&c, DISPATCH__STATUS__STATUS_FORBIDDEN, "role", "%s", why);
		goto reply;
	}
	if (!cmd->mutating && ingest_peer_saturated(in, m)) {
		/* Its answer would be dropped, so building it (a list: a
		 * thousand tickets unpacked and packed) would only spend the
		 * loop's time ahead of the peers that read. Nothing changes;
		 * the peer, once it reads again, asks again. */
		if (c.now - in->saturated_logged_ms >= 60000) {
			log_notice("a client reads none of its replies and has %u MiB of them waiting; its reads are "
				   "not answered until it reads again (logged once a minute)",
				   HELD_PEER_BYTES >> 20);
			in->saturated_logged_ms = c.now;
		}
		log_debug("request %s not answered: its peer can take no more", req->request_id);
		m->skipped = true;
		goto done;
	}
	/* Once per request, however often its batch is applied. */
	if (!m->seen && c.role == DISPATCH__ROLE__ROLE_CREW)
		m->came_online = roster_seen(in->roster, c.actor, c.now, in->cfg->presence->online_window);
	m->seen = true;
	came_online = m->came_online;

	if (batch_txn == NULL) {
		handle_fail(&c, DISPATCH__STATUS__STATUS_STORAGE, NULL,
			    "the store cannot take requests right now; nothing was changed, please retry");
		goto reply;
	}
	if (cmd->mutating) {
		uint8_t stored[STORE_DIGEST_LEN];
		const void *data;
		size_t len;
		replies_digest(zmq_msg_data(&m->payload), zmq_msg_size(&m->payload), digest);
		/* The id is the sender's: the same id from someone else is a new request. */
		rc = store_get_reply(in->store, batch_txn, c.role, c.actor, req->request_id,
				     c.now - in->cfg->idempotency_window_ms, stored, &data, &len);
		if (rc == 0 && !replies_digest_unknown(stored) && memcmp(stored, digest, STORE_DIGEST_LEN) != 0) {
			/* The first answer may be in this very batch: not on disk until it commits. */
			m->wrote = true;
			handle_fail(&c, DISPATCH__STATUS__STATUS_CONFLICT, "request_id",
				    "request id already used for a different request; nothing was changed (a retry must"
				    " send the same request; a new request needs a new id)");
			goto reply;
		}
		if (rc == 0)
			rc = replies_get(in->store, batch_txn, data, len, &m->reply, &m->reply_len);
		if (rc == 0) {
			/* A retry: answer exactly as the first time; change nothing. */
			log_debug("request %s is a retry; sending the stored reply", req->request_id);
			/* The first answer may be in this very batch: not on disk until it commits. */
			m->wrote = true;
			goto done;
		}
		if (rc != STORE_NOTFOUND) {
			handle_store_fail(&c, rc);
			goto reply;
		}
	}

	/* A request that fails must leave nothing behind. An LMDB child
	 * transaction per request would say so, but it copies every page the
	 * batch already touched (malloc, zero, copy: a quarter of the CPU a
	 * submission costs). So requests write straight into the batch, and
	 * one that fails after writing sends the batch round again with a
	 * child per request (ingest_run_batch). Handlers check before they
	 * write, so that is a storage error's path, not a refusal's. */
	writes = store_writes(in->store);
	if (!in->savepoints)
		c.txn = batch_txn;
	else if ((rc = store_txn_begin(in->store, batch_txn, 0, &c.txn)) != 0) {
		handle_store_fail(&c, rc);
		goto reply;
	}
	/* A check only reads: a request it refuses has changed nothing. */
	rc = cmd->check ? cmd->check(&c) : 0;
	assert(store_writes(in->store) == writes);
	if (rc == 0)
		rc = cmd->apply(&c);
	/* Every reply says how far the log goes, this request's events included. */
	if (rc == 0)
		rc = store_last_seq(in->store, c.txn, &rep.last_seq);
	if (rc == 0 && cmd->mutating) {
		ingest_pack_reply_of(m, &rep, &c);
		rc = replies_put(in->store, c.txn, c.role, c.actor, req->request_id, digest, c.now, &rep,
				 c.rep_ticket_stored, m->reply, m->reply_len);
	}
	if (in->savepoints) {
		if (rc == 0)
			rc = store_txn_commit(c.txn);
		else
			store_txn_abort(c.txn);
	} else if (rc != 0 && store_writes(in->store) != writes) {
		in->redo = true;
	}
	c.txn = NULL;
	if (rc != 0) {
		if (rep.status == DISPATCH__STATUS__STATUS_OK) /* the store failed after the handler succeeded */
			handle_store_fail(&c, rc);
		free(m->reply);
		m->reply = NULL;
		publish_outbox_drop(&in->out, mark);
		in->stats.errors++;
		goto reply;
	}
	m->wrote = cmd->mutating;
	if (m->reply)
		goto done;
reply:
	if (batch_txn && store_last_seq(in->store, batch_txn, &rep.last_seq) != 0)
		rep.last_seq = 0;
	if (rep.status != DISPATCH__STATUS__STATUS_OK)
		log_debug("request %s refused: %s%s%s", req && req->request_id[0] ? req->request_id : "(no id)",
			  rep.message ? rep.message : "", rep.field ? " field " : "", rep.field ? rep.field : "");
	ingest_pack_reply(m, &rep);
done:
	if (c.store_rc == MDB_MAP_FULL || rc == MDB_MAP_FULL)
		in->map_full = true;
	if (came_online && batch_txn)
		ingest_came_online(in, batch_txn, &c, c.actor);
	/* the id as the reply echoes it: empty if it was not fit to echo */
	snprintf(m->request_id, sizeof m->request_id, "%s", rep.request_id);
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
	m->seen = m->came_online = m->skipped = false;
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

static void ingest_send_reply(ingest_t *in, struct ingest_msg *m);

static void ingest_send(ingest_t *in, struct ingest_msg *m)
{
	if (m->skipped) {
		for (int i = 0; i < m->nenv; i++)
			zmq_msg_close(&m->env[i]);
		zmq_msg_close(&m->payload);
		return;
	}
	ingest_send_reply(in, m);
}

static void ingest_send_reply(ingest_t *in, struct ingest_msg *m)
{
	/* the peer is hashed only when something is held, or this must be */
	bool any = held_count(in->held) > 0;
	uint64_t peer = any ? ingest_peer(m) : 0;
	int rc = EAGAIN;

	/* behind what is held for the same peer, or it would overtake it */
	if (!any || !held_has(in->held, peer))
		rc = held_send(in->socket, m->env, m->nenv, m->reply, m->reply_len);
	if (rc == EAGAIN && !any)
		peer = ingest_peer(m);
	if (rc == EAGAIN && !held_keep(in->held, peer, m->env, m->nenv, &m->reply, m->reply_len))
		log_debug("reply to request %s dropped: its peer has %u kB waiting already; a retry gets the stored"
			  " reply",
			  m->request_id, (unsigned)(held_bytes_of(in->held, peer) >> 10));
	else if (rc != 0 && rc != EAGAIN)
		log_debug("reply to request %s not sent: %s", m->request_id, zmq_strerror(rc));
	for (int i = 0; i < m->nenv; i++)
		zmq_msg_close(&m->env[i]);
	zmq_msg_close(&m->payload);
	free(m->reply);
	m->reply = NULL;
}

/* Replace the reply of a request whose writes did not reach the disk. */
static void ingest_unacknowledge(ingest_t *in, struct ingest_msg *m, int rc, uint64_t in_last_seq)
{
	Dispatch__Reply rep = DISPATCH__REPLY__INIT;
	char msg[256];

	if (store_is_full(in->store, rc))
		snprintf(msg, sizeof msg, "%s", HANDLE_STORAGE_FULL);
	else
		snprintf(msg, sizeof msg, "the request could not be stored (%s); nothing was changed, please retry",
			 store_strerror(rc));
	rep.version = DISPATCH__WIRE_VERSION__WIRE_VERSION;
	rep.request_id = m->request_id;
	rep.status = DISPATCH__STATUS__STATUS_STORAGE;
	rep.message = msg;
	rep.last_seq = in_last_seq;
	rep.timezone = in->cfg->timezone;
	rep.language = in->cfg->language;
	free(m->reply);
	ingest_pack_reply(m, &rep);
}

static double ingest_now_us(void);

/* Apply the batch in one write transaction and commit it. Returns the
 * commit's result (0, or the error every writing request is told about). */
static int ingest_apply(ingest_t *in, int n)
{
	MDB_txn *txn = NULL;
	int rc;

	in->map_full = false;
	if ((rc = store_txn_begin(in->store, NULL, 0, &txn)) != 0) {
		log_err("cannot begin a write transaction: %s", store_strerror(rc));
		txn = NULL;
	}
	/* What fell due before these requests came is applied first: an
	 * acknowledgement that arrives after its deadline finds the ticket
	 * already moved on. */
	if (txn != NULL) {
		const struct handle_ctx base = {
			.store = in->store,
			.cfg = in->cfg,
			.roster = in->roster,
			.a = in->arena,
			.out = &in->out,
		};
		plan_run(in->plan, &base, txn, &in->map_full);
		deadline_run(in->deadlines, &base, txn, &in->map_full);
	}
	for (int i = 0; i < n; i++)
		ingest_handle(in, txn, &in->batch[i]);
	deadline_note_next(in->deadlines, in->store, txn);
	if (txn == NULL)
		return rc;
	if (in->map_full && !in->no_room) {
		store_txn_abort(txn);
		return MDB_MAP_FULL;
	}
	if (in->redo) {
		store_txn_abort(txn);
		return INGEST_REDO;
	}
	if (!in->trace)
		return store_txn_commit(txn);
	double t0 = ingest_now_us();
	rc = store_txn_commit(txn);
	in->trace_commit_us = ingest_now_us() - t0;
	return rc;
}

/* Apply batch[0..n) (map growth included) and commit. The replies are
 * left in the batch and what it emitted in the outbox: the caller sends
 * the replies, then publishes (ingest_publish). */
static void ingest_run_batch(ingest_t *in, int n)
{
	int rc;

	in->stats.batches++;
	in->stats.requests += (uint64_t)n;
	in->savepoints = false;
	in->no_room = false;
	for (int attempt = 0;; attempt++) {
		size_t size;
		in->redo = false;
		rc = ingest_apply(in, n);
		if (rc == INGEST_REDO && !in->savepoints) {
			/* Nothing of the failed attempt was committed, published
			 * or answered; this time each request has a savepoint. */
			log_debug("a request failed after writing; applying %d request(s) again, each alone", n);
			in->stats.redos++;
			in->savepoints = true;
		} else if (rc != MDB_MAP_FULL || in->no_room) {
			break;
		} else if (attempt < 8 && store_grow(in->store, in->map_max, &size) == 0) {
			/* Grow the map and apply the whole batch again. */
			log_notice("store map grown to %zu MiB; applying %d request(s) again", size >> 20, n);
		} else {
			/* After MDB_MAP_FULL the batch's transaction refuses
			 * everything (MDB_BAD_TXN), reads included, so the requests
			 * after the one that met it were told nothing useful. Once
			 * more, each in a child of its own: a child that meets the
			 * full map is aborted alone and its request told "storage
			 * full", the parent stays usable, and reads and whatever
			 * still fits are answered as usual. */
			log_err("the store is full and may not grow beyond %zu MiB; refusing writes until space is "
				"made",
				store_map_size(in->store) >> 20);
			in->no_room = true;
			in->savepoints = true;
		}
		publish_outbox_drop(&in->out, 0);
		for (int i = 0; i < n; i++) {
			free(in->batch[i].reply);
			in->batch[i].reply = NULL;
			in->batch[i].wrote = false;
		}
	}
	if (rc != 0) {
		log_err("commit of %d request(s) failed: %s; writes were answered with a storage error", n,
			store_strerror(rc));
		if (rc == MDB_PANIC)
			in->panic = true;
		uint64_t committed = 0;
		MDB_txn *rtxn = NULL;
		/* the log as it is on disk, for the replies' last_seq */
		if (store_txn_begin(in->store, NULL, 1, &rtxn) == 0) {
			if (store_last_seq(in->store, rtxn, &committed) != 0)
				committed = 0;
			store_txn_abort(rtxn);
		}
		for (int i = 0; i < n; i++)
			if (in->batch[i].wrote)
				ingest_unacknowledge(in, &in->batch[i], rc, committed);
		publish_outbox_drop(&in->out, 0);
		plan_timer_reset(in->plan); /* what it made was not kept: again */
	} else {
		in->stats.commits++;
		notices_committed(in->notices, &in->out, clock_now_ms());
	}
	deadline_timer_arm(in->deadlines);
	plan_timer_arm(in->plan);
}

/* On disk now: publish what the batch emitted. After the replies
 * (DESIGN: commit, then reply and publish), so that a desk's answer does
 * not wait behind the event's copies to every subscriber. */
static void ingest_publish(ingest_t *in)
{
	publish_outbox_send(in->pub, &in->out);
}

/*
 * A batch's replies are all held until its commit, so the batch is bounded
 * by what its replies may cost, not only by its count: a request whose
 * answer is a collection weighs COMMAND_HEAVY (its row in command.c), any
 * other 1, and a batch takes requests up to INGEST_BATCH of weight. 64
 * lists of 600 tickets are some 12 MB; a thousand of them, from a peer
 * that sends and never reads, were 180.
 */

static unsigned ingest_weight(const struct ingest_msg *m)
{
	return command_weight(wire_first_field(zmq_msg_data((zmq_msg_t *)&m->payload),
					       zmq_msg_size((zmq_msg_t *)&m->payload), DISPATCH__REQUEST__BODY_SUBMIT));
}

/*
 * Gathering. Clients that wait for each answer before sending again (a
 * desk, a handheld) fall into two groups that take turns: one group's
 * requests arrive while the other's commit is syncing, so each commit
 * carries half of them and the disk syncs twice per round. So a batch
 * waits, up to INGEST_GATHER_US, for the peers the last two passes
 * answered, and one commit carries both groups: 8 such clients went from
 * about 2,500 to 3,400-4,600 tickets/s on the test machine. Whether to
 * wait is learnt: the share of those peers that did come back (waited for
 * or not) is kept as a moving average, and below INGEST_COMEBACK nobody
 * waits, so clients that come back slowly (an operator typing, an open
 * loop of many desks) cost nothing. A lone client is back at once: no
 * wait either.
 */
#define INGEST_GATHER_US 250
#define INGEST_COMEBACK 40 /* percent: wait only from this on */

static uint64_t ingest_peer(const struct ingest_msg *m)
{
	const unsigned char *p;
	uint64_t h = 1469598103934665603ULL;

	if (m->nenv == 0)
		return 0;
	p = zmq_msg_data((zmq_msg_t *)&m->env[0]);
	for (size_t i = 0; i < zmq_msg_size((zmq_msg_t *)&m->env[0]); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static int ingest_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Index of h in the sorted v[0..n), or -1. */
static int ingest_find(const uint64_t *v, int n, uint64_t h)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (v[mid] == h)
			return mid;
		if (v[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* m came from one of the peers gathered for: note it; 1 if it is the
 * first of that peer's in the batch. */
static int ingest_mark_back(ingest_t *in, int np, const struct ingest_msg *m)
{
	int k = ingest_find(in->peers, np, ingest_peer(m));

	if (k < 0 || in->back[k])
		return 0;
	in->back[k] = true;
	return 1;
}

static double ingest_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Receive more of the batch (n so far, of weight *weight) while peers the
 * last two passes answered are still to come back; returns the new n. */
static int ingest_gather(ingest_t *in, int n, unsigned *weight)
{
	uint64_t *peers = in->peers;
	int np = 0, i0 = 0, i1 = 0, missing, total;
	double deadline;

	/* the union of the two passes' peers, sorted */
	while (i0 < in->nanswered[0] || i1 < in->nanswered[1]) {
		uint64_t h;
		if (i1 >= in->nanswered[1] || (i0 < in->nanswered[0] && in->answered[0][i0] <= in->answered[1][i1]))
			h = in->answered[0][i0++];
		else
			h = in->answered[1][i1++];
		if (np == 0 || peers[np - 1] != h)
			in->back[np] = false, peers[np++] = h;
	}
	if (np == 0)
		return n;
	missing = total = np;
	for (int i = 0; i < n; i++)
		missing -= ingest_mark_back(in, np, &in->batch[i]);
	deadline = ingest_now_us() + INGEST_GATHER_US;
	while (in->comeback >= INGEST_COMEBACK && in->zmq_fd >= 0 && missing > 0 && n < INGEST_BATCH &&
	       *weight < INGEST_BATCH) {
		struct pollfd pfd = { in->zmq_fd, POLLIN, 0 };
		struct timespec ts;
		double left;
		if (ingest_recv(in, &in->batch[n])) {
			missing -= ingest_mark_back(in, np, &in->batch[n]);
			*weight += ingest_weight(&in->batch[n++]);
			continue;
		}
		if ((left = deadline - ingest_now_us()) <= 0)
			break;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1000);
		ppoll(&pfd, 1, &ts, NULL); /* ZMQ_FD: then ZMQ_EVENTS says (ingest_recv) */
	}
	/* how many came back, waited for or not: whether to wait next time */
	in->comeback = (3 * in->comeback + 100 * (total - missing) / total) / 4;
	return n;
}

/* Remember the peers this batch answers (before the replies go). */
static void ingest_note_answered(ingest_t *in, int n)
{
	int m = 0;

	memcpy(in->answered[1], in->answered[0], (size_t)in->nanswered[0] * sizeof in->answered[0][0]);
	in->nanswered[1] = in->nanswered[0];
	for (int i = 0; i < n; i++)
		if (in->batch[i].nenv > 0)
			in->answered[0][m++] = ingest_peer(&in->batch[i]);
	qsort(in->answered[0], (size_t)m, sizeof in->answered[0][0], ingest_cmp_u64);
	in->nanswered[0] = m;
}

static void ingest_on_readable(void *arg)
{
	ingest_t *in = arg;
	unsigned weight = 0;
	int n = 0;

	double t[5] = { 0 };

	/* One line per batch at debug level: how long the loop was elsewhere,
	 * then receiving, gathering, applying and committing (the commit and
	 * its fsyncs apart) and answering. That is the trace that says where a
	 * request's time goes under load (issue 20). */
	in->trace = log_enabled(LOG_DEBUG);
	if (in->trace)
		t[0] = ingest_now_us();
	while (n < INGEST_BATCH && weight < INGEST_BATCH && ingest_recv(in, &in->batch[n]))
		weight += ingest_weight(&in->batch[n++]);
	if (n == 0)
		return;
	if (in->trace)
		t[1] = ingest_now_us();
	n = ingest_gather(in, n, &weight);
	if (in->trace)
		t[2] = ingest_now_us();
	in->trace_commit_us = 0;
	ingest_run_batch(in, n);
	if (in->trace)
		t[3] = ingest_now_us();
	ingest_note_answered(in, n);
	if (held_count(in->held) > 0)
		held_flush(in->held); /* older replies first */
	for (int i = 0; i < n; i++)
		ingest_send(in, &in->batch[i]);
	ingest_publish(in);
	if (in->trace) {
		t[4] = ingest_now_us();
		log_debug("batch of %d: idle %.0f us, receive %.0f, gather %.0f, apply %.0f, commit %.0f, answer %.0f "
			  "(comeback %d%%)",
			  n, in->trace_end_us > 0 ? t[0] - in->trace_end_us : 0, t[1] - t[0], t[2] - t[1],
			  t[3] - t[2] - in->trace_commit_us, in->trace_commit_us, t[4] - t[3], in->comeback);
		in->trace_end_us = t[4];
	}
	if (in->panic) {
		/* After a failed write of its meta page LMDB refuses every
		 * transaction until the environment is opened again: exit, and let
		 * the service manager (Restart=on-failure) start us afresh. */
		log_err("the store is in a fatal state (LMDB panic); exiting so that dispatchd is restarted");
		exit(75);
	}
}

/* The notices in force (notices.h): from meta, or once from the log of a
 * store older than that, then kept in meta. Without them a page shows
 * none until the next is published, which is no reason to stop. */
static void ingest_load_notices(ingest_t *in)
{
	MDB_txn *txn = NULL;
	bool from_log = false;
	uint64_t events = 0;
	int rc;

	in->notices = notices_new();
	if ((rc = store_txn_begin(in->store, NULL, 0, &txn)) == 0) {
		rc = notices_load(in->notices, in->store, txn, clock_now_ms(), &from_log);
		if (rc == 0 && from_log)
			rc = store_last_seq(in->store, txn, &events);
		if (rc == 0 && from_log && (rc = notices_save(in->notices, in->store, txn)) == 0)
			rc = store_txn_commit(txn);
		else
			store_txn_abort(txn);
	}
	if (rc == 0 && from_log && events > 0)
		/* once, for a store from before the list was kept: some seconds
		 * for ten million events */
		log_notice("the estate notices in force (%zu) read once from the event log's %llu events; kept in the "
			   "store from now on",
			   notices_count(in->notices), (unsigned long long)events);
	if (rc != 0)
		log_warn("cannot read the estate notices from the log (%s); residents' pages show only those "
			 "published from now on",
			 store_strerror(rc));
}

ingest_t *ingest_new_detached(store_t *s, const config_t *cfg, roster_t *roster)
{
	ingest_t *in = xcalloc(1, sizeof *in);

	in->store = s;
	in->cfg = cfg;
	in->roster = roster;
	in->arena = arena_new();
	in->zmq_fd = -1;
	in->deadlines = deadline_timer_new(NULL, NULL, NULL);
	in->plan = plan_timer_new(NULL, NULL, NULL);
	in->held = held_new(NULL, NULL);
	ingest_load_notices(in);
	return in;
}

int ingest_feed_batch(ingest_t *in, const void *const *payloads, const size_t *lens, int n, uint8_t **replies,
		      size_t *reply_lens)
{
	if (n < 1 || n > INGEST_BATCH)
		return -1;
	for (int i = 0; i < n; i++) {
		struct ingest_msg *m = &in->batch[i];
		if (zmq_msg_init_size(&m->payload, lens[i]) != 0) {
			while (i-- > 0)
				zmq_msg_close(&in->batch[i].payload);
			return -1;
		}
		if (lens[i])
			memcpy(zmq_msg_data(&m->payload), payloads[i], lens[i]);
		m->nenv = 0;
		m->reply = NULL;
		m->wrote = false;
		m->seen = m->came_online = m->skipped = false;
		m->request_id[0] = '\0';
	}
	ingest_run_batch(in, n);
	ingest_publish(in);
	for (int i = 0; i < n; i++) {
		struct ingest_msg *m = &in->batch[i];
		zmq_msg_close(&m->payload);
		replies[i] = m->reply;
		reply_lens[i] = m->reply_len;
		m->reply = NULL;
	}
	return 0;
}

int ingest_feed(ingest_t *in, const void *payload, size_t len, uint8_t **reply, size_t *reply_len)
{
	if (ingest_feed_batch(in, &payload, &len, 1, reply, reply_len) != 0)
		return -1;
	return *reply ? 0 : -1;
}

/* Stored replies are kept for the idempotency window (a retry after it is
 * a new request: store_get_reply()), and their room is taken back by a
 * sweep that looks at INGEST_SWEEP of them a pass, so that a large store
 * of them never stalls the loop: a pass every 2 s goes round 100,000 of
 * them in under a minute. */
#define INGEST_SWEEP 4096
static void ingest_expire_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ingest_t *in = w->data;
	MDB_txn *txn;
	unsigned n = 0;
	int rc;

	(void)loop, (void)revents;
	if (store_txn_begin(in->store, NULL, 0, &txn) != 0)
		return;
	rc = store_expire_replies(in->store, txn, clock_now_ms() - in->cfg->idempotency_window_ms, INGEST_SWEEP, &n);
	if (rc == 0 && n > 0)
		rc = store_txn_commit(txn);
	else
		store_txn_abort(txn);
	if (rc != 0)
		log_warn("could not forget old stored replies: %s", store_strerror(rc));
	else if (n > 0)
		log_debug("forgot %u stored repl%s older than the idempotency window", n, n == 1 ? "y" : "ies");
}

/* A deadline is due: a batch of no requests fires it. */
static void ingest_deadline_wake(void *arg)
{
	ingest_run_batch(arg, 0);
	ingest_publish(arg);
}

ingest_t *ingest_new(void *zmq_ctx, struct ev_loop *loop, const char *endpoint, store_t *s, const config_t *cfg,
		     roster_t *roster, publish_t *pub, auth_t *auth, char *err, size_t errlen)
{
	ingest_t *in = xcalloc(1, sizeof *in);
	int one = 1, linger = 0, hwm = INGEST_REPLY_HWM, rcvhwm = INGEST_REQUEST_HWM;
	int64_t maxmsg = INGEST_MAX_MSG;

	in->store = s;
	in->cfg = cfg;
	in->roster = roster;
	in->pub = pub;
	in->auth = auth;
	in->arena = arena_new();
	ingest_load_notices(in);
	in->socket = zmq_socket(zmq_ctx, ZMQ_ROUTER);
	if (in->socket == NULL) {
		snprintf(err, errlen, "cannot create the request socket: %s", zmq_strerror(errno));
		goto fail;
	}
	zmq_setsockopt(in->socket, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
	zmq_setsockopt(in->socket, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
	zmq_setsockopt(in->socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(in->socket, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
	zmq_setsockopt(in->socket, ZMQ_LINGER, &linger, sizeof linger);
	zloop_keepalive(in->socket); /* dead handhelds on flaky Wi-Fi */
	if (auth_secure(auth, in->socket, endpoint, "request", err, errlen) < 0)
		goto fail;
	if (zmq_bind(in->socket, endpoint) != 0) {
		snprintf(err, errlen, "cannot listen for requests on %s: %s", endpoint, zmq_strerror(errno));
		goto fail;
	}
	in->loop = loop;
	ev_timer_init(&in->expire, ingest_expire_cb, 1.0, 2.0);
	in->expire.data = in;
	ev_timer_start(loop, &in->expire);
	in->deadlines = deadline_timer_new(loop, ingest_deadline_wake, in);
	in->plan = plan_timer_new(loop, ingest_deadline_wake, in);
	in->held = held_new(loop, in->socket);
	in->reader = zloop_reader_new(loop, in->socket, ingest_on_readable, in);
	{
		size_t len = sizeof in->zmq_fd;
		if (zmq_getsockopt(in->socket, ZMQ_FD, &in->zmq_fd, &len) != 0)
			in->zmq_fd = -1;
	}
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
	if (in->loop) {
		ev_timer_stop(in->loop, &in->expire);
	}
	held_destroy(&in->held);
	if (in->socket)
		zmq_close(in->socket);
	deadline_timer_destroy(&in->deadlines);
	plan_timer_destroy(&in->plan);
	publish_outbox_free(&in->out);
	notices_destroy(&in->notices);
	arena_destroy(&in->arena);
	free(in);
	*inp = NULL;
}

void ingest_set_config(ingest_t *in, const config_t *cfg)
{
	in->cfg = cfg;
	plan_timer_reset(in->plan); /* issue 19: the schedules may have changed */
}

void ingest_set_map_max(ingest_t *in, size_t bytes)
{
	in->map_max = bytes;
}

void ingest_get_stats(const ingest_t *in, struct ingest_stats *out)
{
	*out = in->stats;
}
