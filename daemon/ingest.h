/*
 * ingest: the ROUTER request socket, group commit and the request handlers.
 *
 * One loop pass drains up to a bounded batch of requests and applies them
 * all in one LMDB write transaction, each in a nested transaction of its
 * own so that a request that fails changes nothing while its neighbours
 * still commit. Only after the batch commits (fsync) are the replies sent
 * and the events published: a reply means "on disk".
 *
 * Ownership: ingest borrows the store, config, roster and publisher; they
 * must outlive it.
 */
#ifndef INGEST_H
#define INGEST_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "config.h"
#include "publish.h"
#include "roster.h"
#include "store.h"

typedef struct ingest ingest_t;

/* Requests applied per loop pass, in one commit: enough for 64 clients
 * with 16 in flight each to share one fsync. */
#define INGEST_BATCH 1024

/* auth (may be NULL): makes a tcp endpoint CURVE, and then each request's
 * role and actor are its key's, checked against auth's role policy. */
ingest_t *ingest_new(void *zmq_ctx, struct ev_loop *loop, const char *endpoint, store_t *s, const config_t *cfg,
		     roster_t *roster, publish_t *pub, auth_t *auth, char *err, size_t errlen);
void ingest_destroy(ingest_t **in);

/* Without sockets, for tests and fuzzing: apply one request payload as a
 * batch of its own (committed), and hand back the packed Reply (malloc'd;
 * the caller frees it). Events are not published. */
ingest_t *ingest_new_detached(store_t *s, const config_t *cfg, roster_t *roster);
int ingest_feed(ingest_t *in, const void *payload, size_t len, uint8_t **reply, size_t *reply_len);
/* The same for n (1..INGEST_BATCH) requests applied as one batch, one
 * commit, as from the socket; replies[i] is malloc'd, the caller's. */
int ingest_feed_batch(ingest_t *in, const void *const *payloads, const size_t *lens, int n, uint8_t **replies,
		      size_t *reply_lens);

/* When the LMDB map fills, it doubles up to this many bytes (0: as far as
 * the disk allows) and the batch is applied again. */
void ingest_set_map_max(ingest_t *in, size_t bytes);

/* Swap the configuration used for routing (SIGHUP reload). */
void ingest_set_config(ingest_t *in, const config_t *cfg);

struct ingest_stats {
	uint64_t requests, batches, commits, errors;
	uint64_t redos; /* batches applied again because a request failed after writing */
};
void ingest_get_stats(const ingest_t *in, struct ingest_stats *out);

#endif
