/*
 * held: the replies a peer's queue could not take yet, kept in order and
 * sent as the queue drains, within bounds per peer and in all (held.c
 * says why and how much). A small object of its own so that ingest's
 * socket code says only "send, or hold what would not go".
 *
 * Peers are named by a hash of their routing id (ingest computes it).
 * Ownership: held borrows the socket; it must outlive the queue.
 */
#ifndef HELD_H
#define HELD_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#define HELD_MAX_ENVELOPE 4        /* routing frames a reply carries before its payload */
#define HELD_PEER_BYTES (4u << 20) /* held for one peer at most */

typedef struct held held_t;

/* loop may be NULL (no retry timer); socket may be NULL when nothing is
 * ever sent (detached). */
held_t *held_new(struct ev_loop *loop, void *socket);
void held_destroy(held_t **q);

/* Send a reply's frames: 0 sent, EAGAIN its peer's queue is full (nothing
 * was sent), another errno (the peer is gone: ROUTER_MANDATORY). */
int held_send(void *socket, zmq_msg_t *env, int nenv, const uint8_t *reply, size_t len);
/* Keep a reply for peer: the frames of env[0..nenv) are moved in and
 * *reply is taken; false (nothing taken) if the bounds say drop it. */
bool held_keep(held_t *q, uint64_t peer, zmq_msg_t *env, int nenv, uint8_t **reply, size_t len);
/* Send what the peers' queues take now, oldest first. */
void held_flush(held_t *q);

size_t held_count(const held_t *q);             /* replies held in all */
bool held_has(held_t *q, uint64_t peer);        /* peer has replies waiting: a new one goes behind them */
size_t held_bytes_of(held_t *q, uint64_t peer); /* what peer has held */
/* Whether peer already has about as much held as it may: a large reply
 * to it now would be dropped. */
bool held_saturated(held_t *q, uint64_t peer);

#endif
