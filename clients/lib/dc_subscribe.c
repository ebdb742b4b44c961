/*
 * dc_subscribe: the events socket, with gap detection and replay (see
 * dc_subscribe.h for the contract).
 *
 * Design: dc_next_event() hands out events from a FIFO. The FIFO is fed
 * either by one live message from the SUB socket or, while a gap is being
 * filled, by one Replay batch from the request socket. While filling we
 * read no live messages, so at most one live message (the one that
 * revealed the gap) waits in `pending`; it is released, or dropped as a
 * duplicate, once the fill is done. Filling batch by batch keeps memory
 * bounded by the daemon's replay cap however long the gap is. The SUB
 * socket is monitored, because ZeroMQ reconnects silently and a filtered
 * subscriber can learn of a reconnect only from there.
 */
#include "dc_private.h"
#include "dc_stop.h"
#include "topic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int queue_push(dc_t *dc, Dispatch__Event *e)
{
	if (dc->q_head == dc->q_len)
		dc->q_head = dc->q_len = 0;
	if (dc->q_len == dc->q_cap) {
		size_t cap = dc->q_cap ? dc->q_cap * 2 : 64;
		Dispatch__Event **q;

		if (dc->q_head > 0) { /* reclaim the consumed front first */
			memmove(dc->q, dc->q + dc->q_head, (dc->q_len - dc->q_head) * sizeof *dc->q);
			dc->q_len -= dc->q_head;
			dc->q_head = 0;
		} else {
			q = realloc(dc->q, cap * sizeof *q);
			if (!q) {
				dc_fail(dc, "out of memory");
				dispatch__event__free_unpacked(e, NULL);
				return DC_ERR_SYSTEM;
			}
			dc->q = q;
			dc->q_cap = cap;
		}
	}
	dc->q[dc->q_len++] = e;
	return 0;
}

/* An independent copy of an event that lives inside a Reply, so the caller
 * can free it on its own with dispatch__event__free_unpacked(). */
static Dispatch__Event *event_copy(const Dispatch__Event *e)
{
	size_t len = dispatch__event__get_packed_size(e);
	uint8_t *buf = malloc(len ? len : 1);
	Dispatch__Event *c;

	if (!buf)
		return NULL;
	dispatch__event__pack(e, buf);
	c = dispatch__event__unpack(NULL, len, buf);
	free(buf);
	return c;
}

/*
 * Watch the SUB socket's connections: ZeroMQ reconnects by itself after a
 * daemon restart, silently, and whatever was published meanwhile is lost.
 * A filtered subscriber can only learn of that from here.
 */
static int open_monitor(dc_t *dc, void *sub)
{
	char addr[64];
	int linger = 0;

	snprintf(addr, sizeof addr, "inproc://dc-monitor-%p", (void *)dc);
	if (zmq_socket_monitor(sub, addr, ZMQ_EVENT_CONNECTED) < 0)
		goto fail;
	dc->mon = zmq_socket(dc->ctx, ZMQ_PAIR);
	if (!dc->mon)
		goto fail;
	if (zmq_setsockopt(dc->mon, ZMQ_LINGER, &linger, sizeof linger) < 0 || zmq_connect(dc->mon, addr) < 0)
		goto fail;
	return 0;
fail:
	dc_fail(dc, "cannot monitor the events socket: %s", zmq_strerror(errno));
	dc_close_socket(&dc->mon);
	return DC_ERR_SYSTEM;
}

/* Read one monitor message: [uint16 event, uint32 value][endpoint]. */
static void read_monitor(dc_t *dc)
{
	zmq_msg_t msg;
	int frames;
	uint16_t event = 0;

	/* Only the first frame says what happened; take it, drop the rest. */
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, dc->mon, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&msg);
		return;
	}
	if (zmq_msg_size(&msg) >= sizeof event)
		memcpy(&event, zmq_msg_data(&msg), sizeof event);
	frames = zmq_msg_more(&msg);
	zmq_msg_close(&msg);
	if (frames) {
		int rc = dc_recv_last_frame(dc, dc->mon, &msg, &frames);
		if (rc > 0)
			zmq_msg_close(&msg);
	}
	if (event == ZMQ_EVENT_CONNECTED && ++dc->connects > 1)
		dc->resubscribed = 1;
}

int dc_resubscribed(dc_t *dc)
{
	int r;

	if (!dc)
		return 0;
	r = dc->resubscribed;
	dc->resubscribed = 0;
	return r;
}

int dc_subscribe(dc_t *dc, const char *const *prefixes, size_t n, uint64_t from_seq)
{
	int all = 0;
	size_t i;
	void *s = NULL;
	int64_t max_msg = DC_MAX_EVENT_BYTES;
	int linger = 0;

	if (!dc || (n && !prefixes))
		return DC_ERR_ARG;
	if (dc->sub) {
		dc_fail(dc, "already subscribed");
		return DC_ERR_ARG;
	}
	if (!dc->ev_ep) {
		dc_fail(dc, "no events endpoint given");
		return DC_ERR_ARG;
	}
	for (i = 0; i < n; i++) {
		if (!prefixes[i]) {
			dc_fail(dc, "NULL topic prefix");
			return DC_ERR_ARG;
		}
		if (!*prefixes[i])
			all = 1;
	}
	if (!all && from_seq) {
		dc_fail(dc, "a start seq needs the unfiltered subscription \"\"");
		return DC_ERR_ARG;
	}
	s = zmq_socket(dc->ctx, ZMQ_SUB);
	if (!s) {
		dc_fail(dc, "cannot create socket: %s", zmq_strerror(errno));
		return DC_ERR_SYSTEM;
	}
	if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
	    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max_msg, sizeof max_msg) < 0)
		goto fail_opt;
	/* Member topics before "hb.": subscriptions reach the publisher in
	 * order, so the first heartbeat proves the others are in place too. */
	for (i = 0; i < n; i++)
		if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, prefixes[i], strlen(prefixes[i])) < 0)
			goto fail_opt;
	if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, TOPIC_HEARTBEAT, strlen(TOPIC_HEARTBEAT)) < 0)
		goto fail_opt;
	if (dc_keys_secure(dc, s, dc->ev_ep) != DC_OK) {
		zmq_close(s);
		return DC_ERR_ARG;
	}
	if (open_monitor(dc, s) < 0)
		goto fail;
	if (zmq_connect(s, dc->ev_ep) < 0) {
		dc_fail(dc, "cannot connect to %s: %s", dc->ev_ep, zmq_strerror(errno));
		goto fail;
	}
	dc->sub = s;
	dc->gap_detect = all;
	dc->ready = 0;
	if (!all)
		return 0;
	if (from_seq) {
		dc->last = from_seq - 1;
		dc->fill_to = DC_FILL_CATCH_UP;
		return 0;
	} else {
		/* Connected before asking, so nothing published after the
		 * answer can slip by: it arrives live or a gap reveals it. */
		Dispatch__Reply *r = NULL;
		int rc = dc_ping(dc, &r);

		if (rc < 0)
			return rc;
		if (r->status != DISPATCH__STATUS__STATUS_OK) {
			dc_fail(dc, "daemon refused a ping: %s", r->message);
			dispatch__reply__free_unpacked(r, NULL);
			return DC_ERR_REFUSED;
		}
		dc->last = r->last_seq;
		dispatch__reply__free_unpacked(r, NULL);
	}
	return 0;
fail_opt:
	dc_fail(dc, "cannot set socket options: %s", zmq_strerror(errno));
fail:
	zmq_socket_monitor(s, NULL, 0);
	dc_close_socket(&dc->mon);
	zmq_close(s);
	return DC_ERR_SYSTEM;
}

void dc_set_heartbeats(dc_t *dc, int want)
{
	if (dc)
		dc->want_hb = !!want;
}

uint64_t dc_last_seq(const dc_t *dc)
{
	return dc ? dc->last : 0;
}

/* The fill is over: let the held-back live message through, unless the
 * replay already delivered it. */
static int release_pending(dc_t *dc)
{
	Dispatch__Event *e = dc->pending;

	dc->pending = NULL;
	dc->fill_to = 0;
	if (!e)
		return 0;
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT) {
		if (dc->want_hb)
			return queue_push(dc, e);
	} else if (e->seq > dc->last) {
		dc->last = e->seq;
		return queue_push(dc, e);
	}
	dispatch__event__free_unpacked(e, NULL);
	return 0;
}

/* One Replay batch from last+1; queue what it brings. */
static int fill_batch(dc_t *dc)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Replay replay = DISPATCH__REPLAY__INIT;
	Dispatch__Reply *r = NULL;
	int progress = 0, rc;
	size_t i;

	replay.from_seq = dc->last + 1;
	req.body_case = DISPATCH__REQUEST__BODY_REPLAY;
	req.replay = &replay;
	rc = dc_request(dc, &req, &r);
	if (rc < 0)
		return rc;
	if (r->status != DISPATCH__STATUS__STATUS_OK) {
		dc_fail(dc, "daemon refused to replay from seq %llu: %s", (unsigned long long)replay.from_seq,
			r->message);
		rc = DC_ERR_REFUSED;
		goto out;
	}
	for (i = 0; i < r->n_events; i++) {
		const Dispatch__Event *e = r->events[i];
		Dispatch__Event *c;

		/* Only ever forward: a replay that overlaps or is out of order
		 * must not make us deliver a seq twice. */
		if (!e || e->seq <= dc->last || e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT)
			continue;
		c = event_copy(e);
		if (!c) {
			dc_fail(dc, "out of memory");
			rc = DC_ERR_SYSTEM;
			goto out;
		}
		dc->last = e->seq;
		rc = queue_push(dc, c);
		if (rc < 0)
			goto out;
		progress = 1;
	}
	if (dc->fill_to == DC_FILL_CATCH_UP || r->last_seq < dc->fill_to)
		dc->fill_to = r->last_seq;
	/* An empty batch means the daemon has nothing more: stop rather than
	 * ask for ever. */
	if (!progress || dc->last >= dc->fill_to)
		rc = release_pending(dc);
	else
		rc = 0;
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

/*
 * Hold e back until the fill up to `upto` is done. Only dc_wait_ready(),
 * which reads live messages without filling, can get here with a message
 * already held: keep the later one, the fill covers the other.
 */
static void hold(dc_t *dc, Dispatch__Event *e, uint64_t upto)
{
	Dispatch__Event *old = dc->pending;

	if (upto > dc->fill_to)
		dc->fill_to = upto;
	if (old && (old->seq > e->seq || (old->seq == e->seq && e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT))) {
		dispatch__event__free_unpacked(e, NULL);
		return;
	}
	dispatch__event__free_unpacked(old, NULL);
	dc->pending = e;
}

/* Decide what a live message means for the FIFO (takes ownership of e). */
static int take_live(dc_t *dc, Dispatch__Event *e)
{
	int hb = e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT;

	dc->ready = 1;
	if (hb && e->time_ms > 0) {
		dc->skew_ms = e->time_ms - dc_wall_ms();
		dc->have_skew = 1;
	}
	if (!dc->gap_detect) {
		if (hb && !dc->want_hb) {
			dispatch__event__free_unpacked(e, NULL);
			return 0;
		}
		return queue_push(dc, e);
	}
	if (hb) {
		if (e->seq > dc->last) { /* we missed the tail: fill it first */
			hold(dc, e, e->seq);
			return 0;
		}
		if (dc->want_hb)
			return queue_push(dc, e);
		dispatch__event__free_unpacked(e, NULL);
		return 0;
	}
	if (e->seq == 0 || e->seq <= dc->last) { /* invalid, or already delivered */
		dispatch__event__free_unpacked(e, NULL);
		return 0;
	}
	if (e->seq > dc->last + 1 || dc->pending) {
		hold(dc, e, e->seq - 1);
		return 0;
	}
	dc->last = e->seq;
	return queue_push(dc, e);
}

/*
 * Make progress: one fill batch if a gap is open (and allowed), else one
 * live message. 0 on progress (the FIFO may still be empty).
 */
static int pump(dc_t *dc, int64_t deadline, int allow_fill, int wake_fd)
{
	zmq_pollitem_t items[4];
	zmq_msg_t topic, body;
	Dispatch__Event *e;
	int rc, more, n, stop;
	size_t more_len = sizeof more;

	if (allow_fill && dc->fill_to && dc->fill_to > dc->last)
		return fill_batch(dc);
	if (allow_fill && dc->fill_to) /* nothing left to fill */
		return release_pending(dc);
	memset(items, 0, sizeof items);
	items[0].socket = dc->sub;
	items[0].events = ZMQ_POLLIN;
	n = 1;
	if (dc->mon) {
		items[n].socket = dc->mon;
		items[n].events = ZMQ_POLLIN;
		n++;
	}
	if (wake_fd >= 0) {
		items[n].fd = wake_fd;
		items[n].events = ZMQ_POLLIN;
		n++;
	}
	stop = n; /* the stop pipe, last: see dc_stop.h */
	items[n].fd = dc_stop_fd();
	items[n].events = ZMQ_POLLIN;
	if (items[n].fd >= 0)
		n++;
	rc = zmq_poll(items, n, dc_remaining_ms(deadline));
	if (rc < 0) {
		if (errno == EINTR)
			return DC_ERR_INTERRUPTED;
		dc_fail(dc, "poll failed: %s", zmq_strerror(errno));
		return DC_ERR_SYSTEM;
	}
	if (rc == 0)
		return DC_ERR_TIMEOUT;
	if (stop < n && items[stop].revents)
		return DC_ERR_INTERRUPTED;
	if (dc->mon && (items[1].revents & ZMQ_POLLIN)) {
		read_monitor(dc);
		return 0;
	}
	if (wake_fd >= 0 && (items[stop - 1].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) && !(items[0].revents & ZMQ_POLLIN))
		return DC_FD_READY;

	/* Exactly [topic][Event]; anything else is dropped whole. */
	zmq_msg_init(&topic);
	zmq_msg_init(&body);
	if (zmq_msg_recv(&topic, dc->sub, ZMQ_DONTWAIT) < 0) {
		rc = errno == EAGAIN ? 0 : errno == EINTR ? DC_ERR_INTERRUPTED : DC_ERR_SYSTEM;
		if (rc == DC_ERR_SYSTEM)
			dc_fail(dc, "receive failed: %s", zmq_strerror(errno));
		goto out;
	}
	if (!zmq_msg_more(&topic) || zmq_msg_size(&topic) > DC_MAX_TOPIC)
		goto drain;
	if (zmq_msg_recv(&body, dc->sub, ZMQ_DONTWAIT) < 0 || zmq_msg_more(&body))
		goto drain;
	e = dispatch__event__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
	rc = e ? take_live(dc, e) : 0;
	goto out;
drain:
	more = 0;
	zmq_getsockopt(dc->sub, ZMQ_RCVMORE, &more, &more_len);
	while (more) {
		zmq_msg_close(&body);
		zmq_msg_init(&body);
		if (zmq_msg_recv(&body, dc->sub, ZMQ_DONTWAIT) < 0)
			break;
		more_len = sizeof more;
		zmq_getsockopt(dc->sub, ZMQ_RCVMORE, &more, &more_len);
	}
	rc = 0;
out:
	zmq_msg_close(&topic);
	zmq_msg_close(&body);
	return rc;
}

int dc_wait_ready(dc_t *dc, int timeout_ms)
{
	int64_t deadline;

	if (!dc || !dc->sub)
		return DC_ERR_ARG;
	deadline = timeout_ms < 0 ? -1 : dc_mono_ms() + timeout_ms;
	while (!dc->ready) {
		int rc = pump(dc, deadline, 0, -1);

		if (rc == DC_ERR_TIMEOUT)
			dc_fail(dc, "no heartbeat from %s within %d ms", dc->ev_ep, timeout_ms);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int dc_next_event_fd(dc_t *dc, int timeout_ms, int fd, Dispatch__Event **event)
{
	int64_t deadline;

	if (!dc || !event || !dc->sub)
		return DC_ERR_ARG;
	*event = NULL;
	deadline = timeout_ms < 0 ? -1 : dc_mono_ms() + timeout_ms;
	for (;;) {
		int rc;

		if (dc->q_head < dc->q_len) {
			*event = dc->q[dc->q_head++];
			return DC_OK;
		}
		rc = pump(dc, deadline, 1, fd);
		if (rc != 0)
			return rc;
	}
}

int dc_next_event(dc_t *dc, int timeout_ms, Dispatch__Event **event)
{
	return dc_next_event_fd(dc, timeout_ms, -1, event);
}

int64_t dc_daemon_now_ms(const dc_t *dc)
{
	return dc_wall_ms() + (dc && dc->have_skew ? dc->skew_ms : 0);
}

void dc_subscribe_free(dc_t *dc)
{
	for (size_t i = dc->q_head; i < dc->q_len; i++)
		dispatch__event__free_unpacked(dc->q[i], NULL);
	free(dc->q);
	dc->q = NULL;
	dc->q_head = dc->q_len = dc->q_cap = 0;
	dispatch__event__free_unpacked(dc->pending, NULL);
	dc->pending = NULL;
}
