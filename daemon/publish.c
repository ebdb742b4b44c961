/* publish: PUB socket, the outbox, topics and the once-a-second heartbeat (see publish.h). */
#include "publish.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "log.h"
#include "xalloc.h"
#include "zloop.h"

/* Messages queued per subscriber before PUB drops: about 6 MB of events
 * for a stalled one; past that it replays from the log. */
#define PUBLISH_HWM 10000

struct publish {
	void *socket;
	struct ev_loop *loop;
	ev_timer heartbeat;
	uint64_t last_seq;
};

void publish_outbox_add(struct publish_outbox *o, const Dispatch__Event *ev, const void *data, size_t len,
			const char *also_crew, const char *also_member)
{
	int copies = also_member && also_member[0] ? 2 : 1;

	for (int i = 0; i < copies; i++) {
		struct publish_item *it;
		if (o->n == o->cap) {
			o->cap = o->cap ? o->cap * 2 : 64;
			o->v = xrealloc(o->v, o->cap * sizeof *o->v);
		}
		it = &o->v[o->n++];
		if (i == 0 && copies == 2)
			topic_member(it->topic, sizeof it->topic, also_crew, also_member);
		else
			topic_event(it->topic, sizeof it->topic, ev->type, ev->crew, ev->member);
		it->data = memcpy(xmalloc(len ? len : 1), data, len);
		it->len = len;
		it->seq = ev->seq;
	}
}

void publish_outbox_drop(struct publish_outbox *o, size_t from)
{
	while (o->n > from)
		free(o->v[--o->n].data);
}

void publish_outbox_free(struct publish_outbox *o)
{
	publish_outbox_drop(o, 0);
	free(o->v);
	o->v = NULL;
	o->cap = 0;
}

static void publish_send(publish_t *p, const char *topic, const void *data, size_t len)
{
	/* PUB never blocks: at the high-water mark it drops, and subscribers
	 * recover through seq gaps and replay. */
	if (zmq_send(p->socket, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(p->socket, data, len, ZMQ_DONTWAIT) < 0)
		log_debug("publish on %s dropped: %s", topic, zmq_strerror(errno));
}

void publish_set_last_seq(publish_t *p, uint64_t seq)
{
	p->last_seq = seq;
}

void publish_outbox_send(publish_t *p, struct publish_outbox *o)
{
	for (size_t i = 0; p && i < o->n; i++) {
		publish_send(p, o->v[i].topic, o->v[i].data, o->v[i].len);
		p->last_seq = o->v[i].seq;
	}
	publish_outbox_drop(o, 0);
}

static void publish_heartbeat_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	publish_t *p = w->data;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	uint8_t buf[64];
	size_t len;

	(void)loop, (void)revents;
	ev.type = DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT;
	ev.seq = p->last_seq;
	ev.time_ms = clock_now_ms();
	len = dispatch__event__pack(&ev, buf);
	publish_send(p, TOPIC_HEARTBEAT, buf, len);
}

publish_t *publish_new(void *zmq_ctx, struct ev_loop *loop, const char *endpoint, int hwm, auth_t *auth, char *err,
		       size_t errlen)
{
	publish_t *p = xcalloc(1, sizeof *p);
	int linger = 0;

	if (hwm <= 0)
		hwm = PUBLISH_HWM;

	p->loop = loop;
	p->socket = zmq_socket(zmq_ctx, ZMQ_PUB);
	if (p->socket == NULL) {
		snprintf(err, errlen, "cannot create the events socket: %s", zmq_strerror(errno));
		goto fail;
	}
	zmq_setsockopt(p->socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(p->socket, ZMQ_LINGER, &linger, sizeof linger);
	zloop_keepalive(p->socket); /* a dead handheld's queue is dropped, not kept */
	if (auth_secure(auth, p->socket, endpoint, "events", err, errlen) < 0)
		goto fail;
	if (zmq_bind(p->socket, endpoint) != 0) {
		snprintf(err, errlen, "cannot listen for subscribers on %s: %s", endpoint, zmq_strerror(errno));
		goto fail;
	}
	ev_timer_init(&p->heartbeat, publish_heartbeat_cb, 1.0, 1.0);
	p->heartbeat.data = p;
	ev_timer_start(loop, &p->heartbeat);
	return p;
fail:
	publish_destroy(&p);
	return NULL;
}

void publish_destroy(publish_t **pp)
{
	publish_t *p;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	if (p->loop)
		ev_timer_stop(p->loop, &p->heartbeat);
	if (p->socket)
		zmq_close(p->socket);
	free(p);
	*pp = NULL;
}
