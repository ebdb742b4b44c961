/*
 * zloop: ZeroMQ sockets on a libev loop.
 *
 * ZMQ_FD only signals that the socket's state *may* have changed (edge
 * style): after it fires, and after every send, messages may already be
 * waiting that will never fire it again. So, per socket: an ev_prepare
 * checks ZMQ_EVENTS before the loop blocks and, if input is waiting, starts
 * an ev_idle so the loop does not block; an ev_check calls the handler
 * while ZMQ_EVENTS says POLLIN; an ev_io on ZMQ_FD wakes the loop when the
 * socket signals. The handler should drain a bounded batch and return; the
 * prepare watcher makes sure the rest is handled on the next pass.
 */
#ifndef ZLOOP_H
#define ZLOOP_H

#include <ev.h>

typedef void(zloop_fn)(void *arg);
typedef struct zloop_reader zloop_reader_t;

/* Watch socket (borrowed; outlives the reader) on loop; call fn(arg) when
 * it has input. Returns NULL if ZMQ_FD cannot be read. */
zloop_reader_t *zloop_reader_new(struct ev_loop *loop, void *socket, zloop_fn *fn, void *arg);
void zloop_reader_destroy(zloop_reader_t **r);

/* Dead-peer detection for a daemon socket: TCP keepalive (idle 30 s,
 * then 3 probes 10 s apart), not ZMTP heartbeats. libzmq 4.3.4 asserts
 * and aborts the whole process when a heartbeat times out on a
 * connection whose input is stopped by backpressure (libzmq issues
 * #3937, #4364, #4767): a client flooding the request socket while the
 * daemon is busy did exactly that. */
void zloop_keepalive(void *socket);

#endif
