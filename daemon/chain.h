/*
 * chain: the hash chain over the event log (clause 4.7: records stay
 * traceable; an edit made outside dispatchd is detected).
 *
 * What is hashed: the link of a stored event is SHA-256 over the exact
 * bytes stored under its seq in the `events` database, i.e. the packed
 * Event with its own prev_hash. Event n carries in prev_hash the link of
 * event n-1 (32 zero bytes for event 1), so each record's hash covers the
 * whole log before it. meta "chain_head" keeps the link of the last event,
 * which covers the last record too (it has no successor to vouch for it).
 *
 * A retention purge replaces a record by an EVENT_PURGED tombstone that
 * keeps the original's prev_hash and carries the original's link in
 * purged_hash; a tombstone's link is that purged_hash, so the chain runs
 * through purged stretches unchanged. The tombstone's own seq, time and
 * ticket id are not covered: the record they were hashed with is gone.
 *
 * SHA-256 comes from OpenSSL's libcrypto, which uses the CPU's SHA
 * instructions: 0.5 us for a 600-byte event against libsodium's 2.4 us
 * (portable C) on the 2-core test machine, and hashing was a fifth of
 * what a submission cost. The tests check it against libsodium's.
 */
#ifndef CHAIN_H
#define CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch.pb-c.h"

#define CHAIN_HASH_LEN 32

/* Call once before hashing (fetches SHA-256 from libcrypto); 0 or -1. */
int chain_init(void);
/* SHA-256 of len bytes. */
void chain_hash(const void *data, size_t len, uint8_t out[CHAIN_HASH_LEN]);
/* The link of a stored record: rec/len are its stored bytes and ev the
 * same record unpacked (for the tombstone case). */
void chain_link(const Dispatch__Event *ev, const void *rec, size_t len, uint8_t out[CHAIN_HASH_LEN]);
/* Lower-case hex, NUL-terminated. */
void chain_hex(const uint8_t h[CHAIN_HASH_LEN], char out[2 * CHAIN_HASH_LEN + 1]);

#endif
