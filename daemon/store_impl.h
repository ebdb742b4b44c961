/*
 * store_impl: the store's inside, shared by store.c and store_migrate.c
 * only (no other module includes this): the struct, the index layout and
 * the helpers every write goes through. The small helpers are static
 * inline so that splitting the migrations out costs the hot path nothing.
 */
#ifndef STORE_IMPL_H
#define STORE_IMPL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain.h"
#include "store.h"

#define STORE_KEY_MAX 511 /* LMDB's default max key size */

/*
 * The load table: each member's open assignments, in memory, so that
 * routing reads a count instead of walking every candidate's part of
 * the member index (which cost O(open tickets) per route and dominated the
 * daemon's CPU once a few thousand tickets were open). Built from the
 * index at open; store_put_ticket() changes it together with the index
 * and logs the inverse change, so aborting a transaction (a refused
 * request's child, a batch replayed after MDB_MAP_FULL) puts it back and
 * only what commits stays. Marks record where each open write
 * transaction's part of the log begins.
 */
struct store_load {
	char *member; /* NULL: free slot */
	unsigned open;
};

struct store_undo {
	const char *member; /* the load table's own copy */
	int delta;          /* to add back on abort */
};

struct store_mark {
	MDB_txn *txn;
	size_t undo_from;
};

/* A stored reply's key: role, who, NUL, request id (store_reply_key()). */
#define STORE_REPLY_KEY_MAX (1 + 64 + 1 + 256)

#define STORE_MEMO_NAME 96 /* longer names are not remembered: read again */

struct store {
	MDB_env *env;
	MDB_dbi meta, tickets, events, ticket_events, idx, requests, outages, duty, presence, vendor_incidents;
	struct store_load *load; /* open addressing, cap a power of two */
	size_t load_cap, load_n;
	bool load_ready; /* built: from now on kept in step (not during migrations at open) */
	struct store_undo *undo;
	size_t nundo, capundo;
	struct store_mark *marks; /* open write transactions, outermost first */
	size_t nmarks, capmarks;
	uint64_t writes; /* puts and deletes so far: store_writes() */
	/* A copy of the packed bytes of the event appended last, handed back
	 * by store_append_event(): LMDB's own may move at the next write (a
	 * spill of dirty pages), and the caller publishes these bytes. */
	uint8_t *last_ev;
	size_t last_ev_cap;
	/* The ticket snapshot store_append_event() packed into the event it
	 * appended last (ticket snap_id as of event snap_seq), for the tickets
	 * database to take the same bytes: store_put_ticket_snapshot(). And the
	 * event packed without it, before the two are put together. */
	uint8_t *snap, *ev_rest;
	size_t snap_len, snap_cap, ev_rest_cap;
	uint64_t snap_id, snap_seq;
	/* What the tickets database holds of the ticket put last by
	 * store_put_ticket_snapshot(), as far as its indexes go, so that the
	 * next such put of it in this transaction (a submission's second
	 * event) need not read and unpack it again. Valid until any
	 * transaction ends or anything else puts a ticket. */
	struct store_put_memo {
		bool valid;
		uint64_t id;
		Dispatch__State state;
		int64_t due_ms, created_ms;
		bool vendor_incident;
		char member[STORE_MEMO_NAME], crew[STORE_MEMO_NAME], unit[STORE_MEMO_NAME];
		char vendor[STORE_MEMO_NAME], asset[STORE_MEMO_NAME];
	} memo;
	/* Where store_expire_replies()'s sweep of the stored replies goes on
	 * (sweep_len 0: from the first). */
	unsigned char sweep_key[STORE_REPLY_KEY_MAX];
	size_t sweep_len;
	uint64_t fail_write; /* tests: this write fails once (0: none) */
};

/*
 * An index over names: its database, and the letter that leads each of
 * its keys when it shares that database with others (0: it has one of its
 * own). The open indexes, the deadlines and the search indexes share
 * "index": a submission's commit writes one B-tree's pages, not five's
 * (schema 5). What it writes there is the leaves its keys fall in and
 * their branches, so schema 9 writes fewer keys (store_unit_set()).
 */
struct store_ix {
	MDB_dbi dbi;
	unsigned char tag;
};

#define STORE_TAG_MEMBER 'm'
#define STORE_TAG_CREW 'c'
#define STORE_TAG_DUE 'd'
/* Before schema 9 only (the migrations write them, 8 -> 9 takes them
 * out): the open tickets by unit, now the value of the by-unit key, and
 * the stored replies in time order, now found by a sweep. */
#define STORE_TAG_UNIT 'u'
#define STORE_TAG_EXPIRY 't'
/* Schema 7: every ticket, open or not, for the list's search (store.h). */
#define STORE_TAG_ALL_UNIT 'A'
/* the value of a by-unit key (schema 9): the ticket is open, or not */
#define STORE_UNIT_CLOSED 0
#define STORE_UNIT_OPEN 1
#define STORE_TAG_CREATED 'C'
/* Schema 8: the tickets naming an asset (issue 19; store.h). */
#define STORE_TAG_ASSET 'E'
#define STORE_TAG_OPEN_ASSET 'e'
/* A ticket's asset index entries: both for a new ticket, or moved as its
 * asset or state changed since old (NULL: new). */
int store_asset_move(store_t *s, MDB_txn *txn, const Dispatch__Ticket *old, const Dispatch__Ticket *t);

static inline struct store_ix store_ix_of(const store_t *s, unsigned char tag)
{
	return (struct store_ix){ s->idx, tag };
}

static inline void store_be64(unsigned char out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

static inline uint64_t store_get_be64(const void *p)
{
	const unsigned char *b = p;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

/* Every write goes through these, so that store_writes() can tell a
 * caller whether anything was written since it last looked. */
static inline int store_count_write(MDB_txn *txn)
{
	store_t *s = mdb_env_get_userctx(mdb_txn_env(txn));

	if (s && ++s->writes == s->fail_write) {
		s->fail_write = 0;
		return EIO;
	}
	return 0;
}

static inline int store_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *d, unsigned flags)
{
	int rc = store_count_write(txn);

	return rc ? rc : mdb_put(txn, dbi, k, d, flags);
}

static inline int store_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *d)
{
	int rc = store_count_write(txn);

	return rc ? rc : mdb_del(txn, dbi, k, d);
}

static inline int store_cursor_del(MDB_cursor *cur, unsigned flags)
{
	int rc = store_count_write(mdb_cursor_txn(cur));

	return rc ? rc : mdb_cursor_del(cur, flags);
}

/* Shared by store.c and store_migrate.c. */
int store_meta_get_u64(store_t *s, MDB_txn *txn, const char *key, uint64_t *v);
int store_meta_put_u64(store_t *s, MDB_txn *txn, const char *key, uint64_t v);
int store_chain_head_get(store_t *s, MDB_txn *txn, uint8_t head[CHAIN_HASH_LEN]);
int store_chain_head_put(store_t *s, MDB_txn *txn, const uint8_t head[CHAIN_HASH_LEN]);
int store_index_set(MDB_txn *txn, struct store_ix ix, const char *name, uint64_t id, bool present);
/* The search indexes' entries of ticket t (schema 7): present or not. */
int store_search_set(store_t *s, MDB_txn *txn, const Dispatch__Ticket *t, bool present);
/* Replace the stored event seq with its EVENT_PURGED tombstone, which
 * keeps its place in the hash chain (store.c; head office's copy makes the
 * same tombstone, byte for byte, through this one function). 0 when there
 * is no such event or it is one already. */
int store_tombstone(store_t *s, MDB_txn *txn, uint64_t seq);
/* A stored reply's key: role, identity, NUL, request id (store.h). */
int store_reply_key(unsigned char out[STORE_REPLY_KEY_MAX], Dispatch__Role role, const char *who,
		    const char *request_id, size_t *len);
int store_put_reply_at(store_t *s, MDB_txn *txn, const unsigned char *kb, size_t klen,
		       const uint8_t digest[STORE_DIGEST_LEN], int64_t now_ms, const void *data, size_t len);

/* store_open() in two steps around the migration: the environment and
 * its databases (NULL with err), then, once the schema is current, the
 * write counter and the load table (0, or an error with err). */
store_t *store_env_open(const char *dir, size_t map_size, char *err, size_t errlen);
int store_env_ready(store_t *s, const char *dir, char *err, size_t errlen);

/* Check the schema version in a write transaction of its own, and bring
 * an older store up to this one (store_migrate.c). 0, -1 with err, or an
 * LMDB error with err. */
int store_migrate(store_t *s, char *err, size_t errlen);

#endif
