/*
 * replies: what is stored for a mutating request so that a retry (the
 * same request_id from the same sender) is answered exactly as the first
 * time and changes nothing: a digest of the request, to tell a retry from
 * a different request reusing an id, and the reply, compacted (its events
 * are the log's, stored as their seqs). See replies.c for the format.
 */
#ifndef REPLIES_H
#define REPLIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatch.pb-c.h"
#include "store.h"

/* The digest of a packed Request without its request_id, role and actor. */
void replies_digest(const uint8_t *payload, size_t len, uint8_t out[STORE_DIGEST_LEN]);
/* A digest the store does not know (a reply stored before digests). */
bool replies_digest_unknown(const uint8_t d[STORE_DIGEST_LEN]);
/* Store the reply rep, packed as packed[0..packed_len), for (role, who,
 * request_id). ticket_stored: rep->ticket is the snapshot its latest
 * event (among rep's) holds, unchanged (handle_ctx.rep_ticket_stored), so
 * it need not be stored again. */
int replies_put(store_t *s, MDB_txn *txn, Dispatch__Role role, const char *who, const char *request_id,
		const uint8_t digest[STORE_DIGEST_LEN], int64_t now, const Dispatch__Reply *rep, bool ticket_stored,
		const uint8_t *packed, size_t packed_len);
/* The stored reply data[0..len) whole again (its events from the log):
 * malloc'd into *out, the caller's. */
int replies_get(store_t *s, MDB_txn *txn, const uint8_t *data, size_t len, uint8_t **out, size_t *out_len);

#endif
