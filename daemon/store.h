/*
 * store: the LMDB environment and every database dispatchd keeps.
 *
 *   meta            "schema" -> u32 BE, "next_ticket" -> u64 BE,
 *                   "last_seq" -> u64 BE, "mseq/<member>" -> u64 BE,
 *                   "chain_head" -> 32 bytes: the event log's hash chain (chain.h)
 *   tickets         u64 BE id -> packed Ticket
 *   events          u64 BE seq -> packed Event   (append-only log)
 *   ticket_events   u64 BE id -> u64 BE seq      (dupsort: a ticket's history)
 *   index           the indexes a submission's commit touches, in one B-tree
 *                   (fewer pages to write and sync), each key led by a letter:
 *     'c' "<crew>\0" u64 BE id -> ""    (open tickets of a crew)
 *     'd' i64 BE due_ms + u64 BE ticket id -> ""  (what the deadline timer fires next)
 *     'm' "<member>\0" u64 BE id -> ""  (open tickets of a member)
 *     't' i64 BE stored_ms + the requests key -> ""  (stored replies, in expiry order)
 *     'u' "<unit>\0" u64 BE id -> ""    (open tickets of a unit: duplicates)
 *     'A' "<unit>\0" u64 BE id -> ""    (every ticket of a unit: the list's search)
 *     'C' i64 BE created_ms + u64 BE id -> ""  (every ticket by creation time: the search)
 *     'E' "<asset>\0" u64 BE id -> ""   (every ticket naming an asset: its history; schema 8)
 *     'e' "<asset>\0" u64 BE id -> ""   (open tickets naming an asset: the register's counts)
 *   outages         u64 BE id -> packed Outage
 *   duty            member id -> 1 byte (0 off, 1 on); absent = shift calendar
 *   presence        member id -> i64 BE last seen (saved at a clean stop)
 *   requests        u8 role + identity "\0" + request_id
 *                   -> i64 BE stored_ms + digest (16 bytes) + packed Reply
 *   vendor_incidents vendor "\0" + u64 BE ticket id -> ""  (flagged vendor incidents, clause 4.5)
 *
 * Big-endian keys make cursor order numeric order. Every write goes through
 * a caller's write transaction, so a ticket, its events and its indexes
 * change together or not at all. store_put_ticket() keeps the open indexes
 * in step with the ticket; nothing else writes them.
 *
 * Ownership: unpacked messages returned through out-parameters belong to
 * the caller (free with dispatch__*__free_unpacked(x, NULL)). Messages
 * passed in are only read.
 */
#ifndef STORE_H
#define STORE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatch.pb-c.h"

/* 1: the first release (issue 2). 2: adds open_by_unit and
 * requests_by_time, filled from the tickets and stored replies by the
 * migration in store_open(). 3: adds deadlines, each open ticket's next
 * deadline (Ticket.due_ms), filled by the 2 -> 3 migration. 4: the
 * event log is hash-chained (chain.h); the 3 -> 4 migration chains the
 * log as it stands. 5: open_by_member, open_by_crew, open_by_unit,
 * deadlines and requests_by_time become the one database "index" (a
 * submission's commit wrote ten B-trees, now six); the 4 -> 5 migration
 * moves their entries. 6: a stored reply belongs to the identity that
 * asked (role and key's identity, or over ipc the stated actor) and
 * carries a digest of its request; the 5 -> 6 migration keys each old
 * reply by the actor of the first event it reports, and drops those
 * that report none. 7: the search indexes 'A' (every ticket by unit) and
 * 'C' (every ticket by creation time), which list searches over years of
 * records use; the 6 -> 7 migration builds them from the tickets. 8: the
 * asset indexes 'E' (every ticket naming an asset) and 'e' (the open ones),
 * for an asset's history and the register's open counts (issue 19); the
 * 7 -> 8 migration builds them from the tickets. */
#define STORE_SCHEMA_VERSION 10

/* Negative error codes; other negatives are LMDB codes (mdb_strerror). */
enum {
	STORE_NOTFOUND = -1,
	STORE_CORRUPT = -2,
};

typedef struct store store_t;

/* Open (creating if needed) the store in directory dir. map_size 0 means
 * the default. On failure returns NULL with a message in err. Refuses a
 * store whose schema version this build does not know. */
store_t *store_open(const char *dir, size_t map_size, char *err, size_t errlen);
void store_destroy(store_t **s);
/* Skip fsync at commit: for fuzzing and benchmarks of the CPU path only,
 * never for a store that holds residents' tickets. */
int store_set_nosync(store_t *s);

/* Transactions. parent may be NULL; a child of a write txn can be aborted
 * alone (the request that failed) while its siblings commit together. */
int store_txn_begin(store_t *s, MDB_txn *parent, int readonly, MDB_txn **out);
int store_txn_commit(MDB_txn *txn);
void store_txn_abort(MDB_txn *txn);
/* Puts and deletes made through this store so far (a running count): a
 * caller compares two readings to learn whether anything was written. */
uint64_t store_writes(const store_t *s);
/* Tests: the nth write from now fails (EIO), once; 0 cancels. */
void store_fail_write(store_t *s, uint64_t nth);

/* Counters. */
int store_last_seq(store_t *s, MDB_txn *txn, uint64_t *seq);
int store_next_ticket_id(store_t *s, MDB_txn *txn, uint64_t *id);

int store_get_ticket(store_t *s, MDB_txn *txn, uint64_t id, Dispatch__Ticket **out);
/* Write a ticket and move it between the open indexes as its state,
 * crew and member say. */
int store_put_ticket(store_t *s, MDB_txn *txn, const Dispatch__Ticket *t);
/* store_put_ticket() of t just after store_append_event() appended an
 * event with t as its snapshot: the tickets database takes the bytes
 * packed for the event (t must not have changed since). */
int store_put_ticket_snapshot(store_t *s, MDB_txn *txn, const Dispatch__Ticket *t);
/* The packed bytes of t as the last event store_append_event() appended
 * holds it, if that event was t's latest (its id and last_seq): valid
 * until the next append. The caller vouches that t has not changed since. */
bool store_snapshot_of(const store_t *s, const Dispatch__Ticket *t, const void **data, size_t *len);
/* The earliest entry of the deadlines index (kept by store_put_ticket()
 * from Ticket.due_ms): *due_ms = 0 when there is none. */
int store_first_due(store_t *s, MDB_txn *txn, int64_t *due_ms, uint64_t *id);
/* Remove an index entry that no longer matches its ticket. */
int store_drop_due(store_t *s, MDB_txn *txn, int64_t due_ms, uint64_t id);
/* For --verify: is (due_ms, id) in the deadlines index? */
int store_due_has(store_t *s, MDB_txn *txn, int64_t due_ms, uint64_t id, int *has);

/* Append to the log. Assigns ev->seq (and ev->member_seq when ev->member
 * is set, and ev->ticket->last_seq when it carries a ticket) before
 * writing. *stored, *stored_len (either may be NULL) get the packed bytes
 * as stored (prev_hash included): the store's, valid until the next
 * append. */
int store_append_event(store_t *s, MDB_txn *txn, Dispatch__Event *ev, const void **stored, size_t *stored_len);
int store_get_event(store_t *s, MDB_txn *txn, uint64_t seq, Dispatch__Event **out);
/* The hash chain's head: the link of the last event (chain.h); all zeros
 * for an empty log. */
int store_chain_head(store_t *s, MDB_txn *txn, uint8_t head[32]);

/* Iteration: fn returns 0 to go on, 1 to stop, negative to fail. */
typedef int(store_event_fn)(Dispatch__Event *ev, void *arg);  /* fn owns ev: free it or keep it */
typedef int(store_ticket_fn)(Dispatch__Ticket *t, void *arg); /* fn owns t: free it or keep it */
typedef int(store_id_fn)(uint64_t id, void *arg);

int store_ticket_history(store_t *s, MDB_txn *txn, uint64_t id, store_event_fn *fn, void *arg);
/* How many events ticket t's history holds (schema 10: the chain back from
 * its last event, and what ticket_events lists); STORE_CORRUPT if a link
 * of the chain is about another ticket or does not go back. */
int store_history_count(store_t *s, MDB_txn *txn, const Dispatch__Ticket *t, uint64_t *n);
int store_events_from(store_t *s, MDB_txn *txn, uint64_t from_seq, store_event_fn *fn, void *arg);
/* The stored bytes of each event from from_seq on, without decoding them
 * (hash checks, fast scans). data is valid only during the call. */
typedef int(store_record_fn)(uint64_t seq, const void *data, size_t len, void *arg);
int store_event_records(store_t *s, MDB_txn *txn, uint64_t from_seq, store_record_fn *fn, void *arg);
/* Open ticket ids of a member (or of a crew when member is NULL), ascending. */
int store_open_ids(store_t *s, MDB_txn *txn, const char *crew, const char *member, store_id_fn *fn, void *arg);
int store_open_count(store_t *s, MDB_txn *txn, const char *member, unsigned *count);
/* Open ticket ids of a unit, ascending. */
int store_open_ids_by_unit(store_t *s, MDB_txn *txn, const char *unit, store_id_fn *fn, void *arg);
/* Tickets of a vendor flagged "quality affected by vendor", ascending. */
int store_vendor_incident_ids(store_t *s, MDB_txn *txn, const char *vendor, store_id_fn *fn, void *arg);
/* All tickets in id order (the list command without filters). */
int store_tickets(store_t *s, MDB_txn *txn, store_ticket_fn *fn, void *arg);

/* The search (list with filters, newest first). The stored bytes of each
 * ticket with an id below before_id (0: every ticket), in descending id
 * order, without decoding them; data is valid only during the call. */
typedef int(store_raw_ticket_fn)(uint64_t id, const void *data, size_t len, void *arg);
int store_tickets_desc(store_t *s, MDB_txn *txn, uint64_t before_id, store_raw_ticket_fn *fn, void *arg);
/* One ticket's stored bytes (valid until txn ends or the next write). */
int store_ticket_bytes(store_t *s, MDB_txn *txn, uint64_t id, const void **data, size_t *len);
/* Every ticket whose unit starts with prefix ("" = all), in unit order,
 * from the 'A' index: fn(unit, id) with unit valid only during the call. */
typedef int(store_unit_fn)(const char *unit, uint64_t id, void *arg);
int store_unit_tickets(store_t *s, MDB_txn *txn, const char *prefix, store_unit_fn *fn, void *arg);
/* Every ticket created in [from_ms, to_ms) (to_ms 0: no end), in creation
 * order, from the 'C' index. */
int store_created_tickets(store_t *s, MDB_txn *txn, int64_t from_ms, int64_t to_ms, store_id_fn *fn, void *arg);
/* Issue 19: the tickets naming an asset, ascending id (every one kept, or
 * only the open ones), and how many there are of each. */
int store_asset_tickets(store_t *s, MDB_txn *txn, const char *asset, bool open_only, store_id_fn *fn, void *arg);
int store_asset_counts(store_t *s, MDB_txn *txn, const char *asset, unsigned *all, unsigned *open);

/* Idempotency: a request id is the sender's, not everyone's. A reply is
 * stored under who sent it (role and identity: the CURVE key's, or over
 * ipc the stated actor) and the request id, with a digest of the request
 * (STORE_DIGEST_LEN bytes; all zeros: not known, as for replies migrated
 * from schema 5, which any request of that sender and id matches). A
 * reply stored before not_before_ms is past the idempotency window and
 * STORE_NOTFOUND, whether or not store_expire_replies() has swept it. On
 * success *data points into the map and digest gets the stored one:
 * valid only until txn ends. who must not hold NUL (ids never do). */
#define STORE_DIGEST_LEN 16
int store_get_reply(store_t *s, MDB_txn *txn, Dispatch__Role role, const char *who, const char *request_id,
		    int64_t not_before_ms, uint8_t digest[STORE_DIGEST_LEN], const void **data, size_t *len);
int store_put_reply(store_t *s, MDB_txn *txn, Dispatch__Role role, const char *who, const char *request_id,
		    const uint8_t digest[STORE_DIGEST_LEN], int64_t now_ms, const void *data, size_t len);

/* Outages (declared by the desk; reports in their area attach to them). */
int store_next_outage_id(store_t *s, MDB_txn *txn, uint64_t *id);
int store_put_outage(store_t *s, MDB_txn *txn, const Dispatch__Outage *o);
int store_get_outage(store_t *s, MDB_txn *txn, uint64_t id, Dispatch__Outage **out);
typedef int(store_outage_fn)(Dispatch__Outage *o, void *arg); /* fn owns o */
int store_outages(store_t *s, MDB_txn *txn, store_outage_fn *fn, void *arg);

/* Duty reports: duty is 0 (off) or 1 (on). */
int store_put_duty(store_t *s, MDB_txn *txn, const char *member, int duty);
typedef int(store_duty_fn)(const char *member, int duty, void *arg);
int store_duties(store_t *s, MDB_txn *txn, store_duty_fn *fn, void *arg);

/* Presence saved at a clean stop, so a restart does not take every
 * handheld offline. */
int store_put_presence(store_t *s, MDB_txn *txn, const char *member, int64_t last_seen_ms);
typedef int(store_presence_fn)(const char *member, int64_t last_seen_ms, void *arg);
int store_presences(store_t *s, MDB_txn *txn, store_presence_fn *fn, void *arg);

/* Forget stored replies older than before_ms: a sweep over the stored
 * replies that looks at max of them a call, going on where the last call
 * stopped and starting over at the end, so that every reply is looked at
 * once in a round of calls; *n gets how many went. */
int store_expire_replies(store_t *s, MDB_txn *txn, int64_t before_ms, unsigned max, unsigned *n);

/* For --verify: every entry of an open index, and every (ticket, seq)
 * pair of the history index. */
enum store_index {
	STORE_OPEN_BY_MEMBER,
	STORE_OPEN_BY_CREW,
	STORE_OPEN_BY_UNIT,
	STORE_VENDOR_INCIDENTS,
	STORE_BY_ASSET,      /* schema 8: every ticket naming an asset */
	STORE_OPEN_BY_ASSET, /* ... and the open ones */
};
typedef int(store_index_fn)(const char *name, uint64_t id, void *arg);
int store_each_index(store_t *s, MDB_txn *txn, enum store_index which, store_index_fn *fn, void *arg);
typedef int(store_pair_fn)(uint64_t id, uint64_t seq, void *arg);
int store_each_ticket_event(store_t *s, MDB_txn *txn, store_pair_fn *fn, void *arg);
/* Does the named open index hold (name, id)? */
int store_index_has(store_t *s, MDB_txn *txn, enum store_index which, const char *name, uint64_t id, int *has);
/* Which ticket states each index holds (the single definition). */
int store_state_counts_for_member(Dispatch__State st);
int store_state_is_open(Dispatch__State st);
int store_last_ticket(store_t *s, MDB_txn *txn, uint64_t *id);
/* Issue 19: planned work's marks in meta ("plan/<schedule>": the last
 * occurrence done, "plan#/<schedule>": its rule's digest; plan.h). A key
 * not there reads 0. Meta keys, not a schema change. */
int store_plan_mark(store_t *s, MDB_txn *txn, const char *key, uint64_t *v);
int store_plan_set_mark(store_t *s, MDB_txn *txn, const char *key, uint64_t v);

/* A hot, compacted copy of the store into directory dest (created if
 * missing; must not hold a store already) while the daemon serves. */
int store_backup(store_t *s, const char *dest, char *err, size_t errlen);

/* Retention purge (clause 4.7: only when the admin asks): tickets closed
 * or cancelled before before_ms are deleted, and each of their events is
 * replaced by an EVENT_PURGED tombstone (seq, time and ticket id kept, so
 * the log stays dense and ordered). Counts go to *tickets and *events. */
int store_purge(store_t *s, MDB_txn *txn, int64_t before_ms, uint64_t *tickets, uint64_t *events);

/* The map: its size, and doubling it (no transaction may be open in this
 * process). Returns -1 when max_size is reached. */
/* Whether rc, from a write or a commit, means there is no room: the map
 * is full (and may not grow), or the disk is. LMDB turns a short write at
 * a full disk into EIO (on tmpfs writev writes 8192 of more bytes), so an
 * EIO is a full disk when the store's filesystem has less than
 * STORE_LOW_SPACE left for us: more than the largest batch's commit
 * writes (1024 submissions, some 3 MB of pages). */
#define STORE_LOW_SPACE (16u << 20)
bool store_is_full(store_t *s, int rc);
size_t store_map_size(store_t *s);
int store_grow(store_t *s, size_t max_size, size_t *new_size);

const char *store_strerror(int rc);

/* Bytes the daemon keeps in meta under a name of its own (issue 17:
 * "resident_secret", the residents' pages' token key; "notices", the
 * estate notices in force). Not in the event log, so not in an export; a
 * backup copies them with the store. get: STORE_NOTFOUND when absent; else
 * *data points into the map, valid until txn ends or the next write. */
int store_meta_get_bytes(store_t *s, MDB_txn *txn, const char *name, const void **data, size_t *len);
int store_meta_put_bytes(store_t *s, MDB_txn *txn, const char *name, const void *data, size_t len);

#endif
