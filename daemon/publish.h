/*
 * publish: the PUB events socket, and the outbox of what is to be
 * published. Handlers put each event they store into an outbox (its
 * stored bytes, copied); after the batch commits, ingest hands the outbox
 * to publish_outbox_send(). The topics (topic.h) are built here and
 * nowhere else in the daemon.
 *
 * PUB drops when a subscriber is slow or absent; that is why every event
 * carries its seq and a heartbeat with the latest seq goes out every
 * second: subscribers detect gaps and replay from the log.
 */
#ifndef PUBLISH_H
#define PUBLISH_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "dispatch.pb-c.h"
#include "topic.h"

typedef struct publish publish_t;

/* Bind a PUB socket on endpoint; NULL with a message in err on failure.
 * hwm: messages queued per subscriber before PUB drops (0: the default).
 * auth (may be NULL): a tcp endpoint is made CURVE by it (auth_secure). */
publish_t *publish_new(void *zmq_ctx, struct ev_loop *loop, const char *endpoint, int hwm, auth_t *auth, char *err,
		       size_t errlen);
void publish_destroy(publish_t **p);

/* The latest stored seq, announced by the heartbeat (at start; then
 * publish_outbox_send keeps it). */
void publish_set_last_seq(publish_t *p, uint64_t seq);

/* One message to publish once its batch is on disk. */
struct publish_item {
	char topic[TOPIC_MAX];
	uint8_t *data; /* the packed Event as stored (malloc'd, the outbox's) */
	size_t len;
	uint64_t seq;
};

/* Events to publish after a commit, in order. Zero-initialised is empty. */
struct publish_outbox {
	struct publish_item *v;
	size_t n, cap;
};

/* Queue ev, whose stored bytes are data[0..len) (copied now: they are the
 * store's, valid only until its next write), under its topic; with
 * also_member (not NULL or ""), under "crew.<also_crew>.<also_member>."
 * too (a reassignment tells the member who lost the ticket). */
void publish_outbox_add(struct publish_outbox *o, const Dispatch__Event *ev, const void *data, size_t len,
			const char *also_crew, const char *also_member);
/* Forget what was queued from index `from` on (a request that failed). */
void publish_outbox_drop(struct publish_outbox *o, size_t from);
/* Free the outbox's memory (it is empty and usable again afterwards). */
void publish_outbox_free(struct publish_outbox *o);
/* Send every queued event (p may be NULL: nothing is sent), note the
 * latest seq for the heartbeat, and empty the outbox. Never blocks. */
void publish_outbox_send(publish_t *p, struct publish_outbox *o);

#endif
