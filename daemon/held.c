/*
 * held: replies a peer's queue could not take yet (see held.h).
 */
#include "held.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* Replies held for peers whose queue is full: per peer, and in all. */
#define HELD_BYTES (32u << 20)
#define HELD_PEERS 256 /* peers with replies held at once */
/* A peer with less than this left of its held allowance is saturated: the
 * reply to a list (some 200 kB for a thousand tickets) would not fit. */
#define HELD_SATURATED_SLACK (256u << 10)

/* A reply a peer's queue could not take yet, in the order it was due. */
struct held_reply {
	zmq_msg_t env[HELD_MAX_ENVELOPE];
	int nenv;
	uint64_t peer;
	uint8_t *reply; /* malloc'd packed Reply */
	size_t len;
};

/* What is held for one peer; peer 0 marks a free slot. */
struct held_peer {
	uint64_t peer;
	size_t bytes;
	unsigned n;
	bool blocked; /* its queue was full in this flush: the rest wait */
};

struct held {
	struct ev_loop *loop; /* NULL: no retry timer (detached) */
	void *socket;         /* the ROUTER the replies go out on (borrowed) */
	struct held_reply *v; /* oldest first */
	size_t n, cap, bytes;
	struct held_peer peers[HELD_PEERS]; /* what each peer has held (open addressing) */
	ev_timer timer;                     /* tries the held replies again while there are any */
};

/*
 * libzmq queues INGEST_REPLY_HWM (ingest.c) replies per peer and then, with
 * ROUTER_MANDATORY, refuses the next (EAGAIN). One commit may answer more
 * of a pipelining client's requests than that at once (a batch holds up to
 * 1024), and those replies used to be dropped: a client with 64 requests
 * in flight lost 2% of its answers, with 200 in flight 9%, and waited for
 * its timeout to ask again. Now what a peer's queue cannot take waits
 * here, in order, and goes as the queue drains: tried again before each
 * pass's replies, and on a timer while any wait (every millisecond, backing
 * off to 100 ms while nothing moves). A peer that does not read cannot make
 * the daemon hold more than HELD_PEER_BYTES for it, nor all of them
 * together more than HELD_BYTES: past that a reply is dropped as
 * before, and the client, resending its request_id, gets the stored one.
 */
#define HELD_RETRY 0.001
#define HELD_RETRY_MAX 0.1

/* peer's slot (added if add and there is room), or NULL. */
static struct held_peer *held_peer(held_t *q, uint64_t peer, bool add)
{
	size_t at = (size_t)(peer >> 8) % HELD_PEERS;

	peer = peer ? peer : 1; /* 0 marks a free slot */
	for (size_t k = 0; k < HELD_PEERS; k++, at = (at + 1) % HELD_PEERS) {
		struct held_peer *p = &q->peers[at];
		if (p->peer == peer)
			return p;
		if (p->peer == 0) {
			if (!add)
				return NULL;
			p->peer = peer;
			return p;
		}
	}
	return NULL;
}

/* Send a reply's frames: 0 sent, EAGAIN its peer's queue is full (nothing
 * was sent), another errno (the peer is gone: ROUTER_MANDATORY). */
int held_send(void *socket, zmq_msg_t *env, int nenv, const uint8_t *reply, size_t len)
{
	for (int i = 0; i < nenv; i++)
		if (zmq_msg_send(&env[i], socket, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
			return errno ? errno : EIO;
	if (zmq_send(socket, reply, len, ZMQ_DONTWAIT) < 0)
		return errno ? errno : EIO;
	return 0;
}

/* Fill h with a reply for peer: the frames of env[0..nenv) moved in, and
 * *reply taken. */
static void held_take(struct held_reply *h, zmq_msg_t *env, int nenv, uint64_t peer, uint8_t **reply, size_t len)
{
	for (int i = 0; i < nenv; i++) {
		zmq_msg_init(&h->env[i]);
		zmq_msg_move(&h->env[i], &env[i]);
	}
	h->nenv = nenv;
	h->peer = peer;
	h->reply = *reply;
	h->len = len;
	*reply = NULL;
}

/* Keep a reply (its frames and *reply, taken) for peer; false if the
 * bounds say drop it. */
bool held_keep(held_t *q, uint64_t peer, zmq_msg_t *env, int nenv, uint8_t **reply, size_t len)
{
	struct held_peer *p;
	struct held_reply *h;

	if (q->bytes + len > HELD_BYTES || (p = held_peer(q, peer, true)) == NULL || p->bytes + len > HELD_PEER_BYTES)
		return false;
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->v = xrealloc(q->v, q->cap * sizeof q->v[0]);
	}
	h = &q->v[q->n++];
	held_take(h, env, nenv, peer, reply, len);
	p->bytes += len;
	p->n++;
	q->bytes += len;
	if (q->loop) {
		q->timer.repeat = HELD_RETRY;
		ev_timer_again(q->loop, &q->timer);
	}
	return true;
}

static void held_free(struct held_reply *h)
{
	for (int i = 0; i < h->nenv; i++)
		zmq_msg_close(&h->env[i]);
	free(h->reply);
	h->reply = NULL;
	h->nenv = 0;
}

/* Send what the peers' queues take now, oldest first; a peer whose queue
 * is full keeps the rest of its replies, in order. */
void held_flush(held_t *q)
{
	size_t kept = 0, sent = 0;

	for (size_t i = 0; i < HELD_PEERS; i++)
		q->peers[i].blocked = false;
	for (size_t i = 0; i < q->n; i++) {
		struct held_reply *h = &q->v[i];
		struct held_peer *p = held_peer(q, h->peer, false);
		int rc = EAGAIN;
		assert(p != NULL && p->n > 0);
		if (!p->blocked)
			rc = held_send(q->socket, h->env, h->nenv, h->reply, h->len);
		if (rc == EAGAIN) {
			p->blocked = true;
			if (kept != i)
				held_take(&q->v[kept], h->env, h->nenv, h->peer, &h->reply, h->len);
			kept++;
			continue;
		}
		if (rc != 0)
			log_debug("a held reply was not sent: %s", zmq_strerror(rc));
		p->bytes -= h->len;
		p->n--;
		q->bytes -= h->len;
		held_free(h);
		sent++;
	}
	q->n = kept;
	if (kept == 0) {
		memset(q->peers, 0, sizeof q->peers);
		q->bytes = 0;
		if (q->loop)
			ev_timer_stop(q->loop, &q->timer);
	} else if (q->loop && sent > 0 && q->timer.repeat > HELD_RETRY) {
		q->timer.repeat = HELD_RETRY; /* a peer reads again: keep up with it */
		ev_timer_again(q->loop, &q->timer);
	} else if (q->loop && sent == 0 && q->timer.repeat < HELD_RETRY_MAX) {
		q->timer.repeat *= 2; /* nothing moved: a peer that is not reading */
		ev_timer_again(q->loop, &q->timer);
	}
}

static void held_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	held_flush(w->data);
}

held_t *held_new(struct ev_loop *loop, void *socket)
{
	held_t *q = xcalloc(1, sizeof *q);

	q->loop = loop;
	q->socket = socket;
	ev_init(&q->timer, held_cb); /* started by held_keep() */
	q->timer.data = q;
	return q;
}

void held_destroy(held_t **qp)
{
	held_t *q;

	if (qp == NULL || *qp == NULL)
		return;
	q = *qp;
	if (q->loop)
		ev_timer_stop(q->loop, &q->timer);
	for (size_t i = 0; i < q->n; i++)
		held_free(&q->v[i]);
	free(q->v);
	free(q);
	*qp = NULL;
}

size_t held_count(const held_t *q)
{
	return q->n;
}

bool held_has(held_t *q, uint64_t peer)
{
	const struct held_peer *p = held_peer(q, peer, false);

	return p && p->n > 0;
}

size_t held_bytes_of(held_t *q, uint64_t peer)
{
	const struct held_peer *p = held_peer(q, peer, false);

	return p ? p->bytes : 0;
}

bool held_saturated(held_t *q, uint64_t peer)
{
	const struct held_peer *p = held_peer(q, peer, false);

	return (p && p->bytes + HELD_SATURATED_SLACK > HELD_PEER_BYTES) || q->bytes + HELD_SATURATED_SLACK > HELD_BYTES;
}
