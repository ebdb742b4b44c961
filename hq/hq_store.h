/*
 * hq_store: head office's copy of one estate, in a store of dispatchd's
 * own format (store.h), filled from the shipped records (issue 18).
 *
 * Each shipped message is the exact record the estate stored under its
 * seq. hq_apply() writes those bytes under the same seq, moves last_seq
 * and the chain head (chain.h) as the estate's store did, and rebuilds
 * the rest from what the record carries: the ticket snapshot (the
 * ticket as it was after the event) into the tickets table with its
 * indexes and history, outages, duty. So dispatchd's own report, export
 * and --verify code reads head office's copy as it reads the estate's.
 *
 * A retention purge (EVENT_RETENTION_PURGE, dispatchd purge at the
 * estate) is applied to the copy as the estate applied it: the estate
 * purged the closed and cancelled tickets last updated before a cut-off,
 * which is a prefix of those tickets ordered by their last update; the
 * purge event says how many tickets (and events) it removed, so head
 * office removes that prefix and turns each of their events into the
 * same tombstone (store.c's store_tombstone), byte for byte. A tombstone
 * shipped as such (the purge came before shipping reached that seq)
 * takes its ticket out of the copy at once.
 */
#ifndef HQ_STORE_H
#define HQ_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct hq_apply_note {
	int purge_mismatch; /* a purge whose counts head office could not match */
	uint64_t purge_tickets, purge_events;
	int64_t time_ms; /* the event's time (the estate's clock at its commit) */
};

/* Apply record seq (its exact bytes) in txn; seq must be the copy's last
 * seq + 1 (the caller checks). 0 or a store error. A record that does not
 * decode is kept as it came (verify names it). */
int hq_apply(store_t *s, MDB_txn *txn, uint64_t seq, const void *rec, size_t len, struct hq_apply_note *note);

#endif
