/* zloop: libev prepare/check/idle/io watchers for one ZeroMQ socket. */
#include "zloop.h"

#include <stdlib.h>
#include <zmq.h>

#include "xalloc.h"

struct zloop_reader {
	struct ev_loop *loop;
	void *socket;
	zloop_fn *fn;
	void *arg;
	ev_prepare prepare;
	ev_check check;
	ev_idle idle;
	ev_io io;
};

static int zloop_readable(void *socket)
{
	int events = 0;
	size_t len = sizeof events;

	if (zmq_getsockopt(socket, ZMQ_EVENTS, &events, &len) != 0)
		return 0;
	return (events & ZMQ_POLLIN) != 0;
}

static void zloop_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	zloop_reader_t *r = w->data;
	(void)revents;
	if (zloop_readable(r->socket))
		ev_idle_start(loop, &r->idle);
	else
		ev_idle_stop(loop, &r->idle);
}

static void zloop_check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	zloop_reader_t *r = w->data;
	(void)revents;
	ev_idle_stop(loop, &r->idle);
	if (zloop_readable(r->socket))
		r->fn(r->arg);
}

/* The io and idle watchers only keep the loop awake; check does the work. */
static void zloop_noop_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)w, (void)revents;
}
static void zloop_noop_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop, (void)w, (void)revents;
}

zloop_reader_t *zloop_reader_new(struct ev_loop *loop, void *socket, zloop_fn *fn, void *arg)
{
	zloop_reader_t *r;
	int fd;
	size_t len = sizeof fd;

	if (zmq_getsockopt(socket, ZMQ_FD, &fd, &len) != 0)
		return NULL;
	r = xcalloc(1, sizeof *r);
	r->loop = loop;
	r->socket = socket;
	r->fn = fn;
	r->arg = arg;
	ev_prepare_init(&r->prepare, zloop_prepare_cb);
	ev_check_init(&r->check, zloop_check_cb);
	ev_idle_init(&r->idle, zloop_noop_idle);
	ev_io_init(&r->io, zloop_noop_io, fd, EV_READ);
	r->prepare.data = r->check.data = r;
	ev_prepare_start(loop, &r->prepare);
	ev_check_start(loop, &r->check);
	ev_io_start(loop, &r->io);
	return r;
}

void zloop_reader_destroy(zloop_reader_t **rp)
{
	zloop_reader_t *r;

	if (rp == NULL || *rp == NULL)
		return;
	r = *rp;
	ev_prepare_stop(r->loop, &r->prepare);
	ev_check_stop(r->loop, &r->check);
	ev_idle_stop(r->loop, &r->idle);
	ev_io_stop(r->loop, &r->io);
	free(r);
	*rp = NULL;
}

void zloop_keepalive(void *socket)
{
	int on = 1, idle = 30, intvl = 10, cnt = 3;

	zmq_setsockopt(socket, ZMQ_TCP_KEEPALIVE, &on, sizeof on);
	zmq_setsockopt(socket, ZMQ_TCP_KEEPALIVE_IDLE, &idle, sizeof idle);
	zmq_setsockopt(socket, ZMQ_TCP_KEEPALIVE_INTVL, &intvl, sizeof intvl);
	zmq_setsockopt(socket, ZMQ_TCP_KEEPALIVE_CNT, &cnt, sizeof cnt);
}
