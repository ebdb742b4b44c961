/*
 * store_migrate: bringing a store written by an older dispatchd up to
 * this schema version, at open, in one write transaction (a crash mid-way
 * leaves the store as it was). Kept apart from store.c because it runs
 * once per upgrade and reads the store's past layouts, which the rest of
 * the store no longer knows; it uses only the store's own inside
 * (store_impl.h) and the pure deadline rule (due.h), never the modules
 * above the store. store_open() is here too: open, migrate, make ready.
 */
#include "store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "due.h"
#include "log.h"
#include "xalloc.h"

/* Chain a log written before the hash chain existed: every record gets
 * the link of the one before it, in seq order, in the caller's (one)
 * transaction. What was stored before this point is vouched for from here
 * on, not before: the chain proves nothing was changed after the upgrade. */
static int store_chain_build(store_t *s, MDB_txn *txn)
{
	uint8_t head[CHAIN_HASH_LEN] = { 0 };
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	uint64_t last, seq;
	int rc;

	if ((rc = store_meta_get_u64(s, txn, "last_seq", &last)) != 0)
		return rc;
	for (seq = 1; seq <= last; seq++) {
		Dispatch__Event *ev;
		ProtobufCBinaryData mine;
		store_be64(kb, seq);
		if ((rc = mdb_get(txn, s->events, &k, &d)) != 0)
			return rc == MDB_NOTFOUND ? STORE_CORRUPT : rc;
		if ((ev = dispatch__event__unpack(NULL, d.mv_size, d.mv_data)) == NULL)
			return STORE_CORRUPT;
		mine = ev->prev_hash; /* the unpacked message frees its own */
		ev->prev_hash.data = head;
		ev->prev_hash.len = CHAIN_HASH_LEN;
		d.mv_size = dispatch__event__get_packed_size(ev);
		if ((rc = store_put(txn, s->events, &k, &d, MDB_RESERVE)) == 0) {
			dispatch__event__pack(ev, d.mv_data);
			chain_link(ev, d.mv_data, d.mv_size, head);
		}
		ev->prev_hash = mine;
		dispatch__event__free_unpacked(ev, NULL);
		if (rc != 0)
			return rc;
	}
	if (last > 0 && (rc = store_chain_head_put(s, txn, head)) != 0)
		return rc;
	log_notice("migration: the event log's %llu record(s) are now hash-chained", (unsigned long long)last);
	return 0;
}

static int store_migrate_1_to_2(store_t *s, MDB_txn *txn)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	unsigned long tickets = 0, replies = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->tickets, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Dispatch__Ticket *t = dispatch__ticket__unpack(NULL, v.mv_size, v.mv_data);
		if (t == NULL) {
			rc = STORE_CORRUPT;
			break;
		}
		rc = store_state_is_open(t->state)
			     ? store_index_set(txn, store_ix_of(s, STORE_TAG_UNIT), t->unit, t->id, true)
			     : 0;
		dispatch__ticket__free_unpacked(t, NULL);
		if (rc != 0)
			break;
		tickets++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->requests, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		unsigned char tk[9 + 256];
		MDB_val t = { 9 + k.mv_size, tk }, empty = { 0, NULL };
		if (v.mv_size < 8 || k.mv_size > 256) {
			rc = STORE_CORRUPT;
			break;
		}
		tk[0] = STORE_TAG_EXPIRY;
		memcpy(tk + 1, v.mv_data, 8); /* stored_ms, already big-endian */
		memcpy(tk + 9, k.mv_data, k.mv_size);
		if ((rc = store_put(txn, s->idx, &t, &empty, 0)) != 0)
			break;
		replies++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return rc;
	log_notice("migration: indexed %lu ticket(s) by unit and %lu stored repl%s by time", tickets, replies,
		   replies == 1 ? "y" : "ies");
	return 0;
}

/* Version 3 adds the deadlines index: give every open ticket its next
 * deadline (version 2 stored the deadlines but nothing watched them). */
struct store_due_ids {
	uint64_t *v;
	size_t n, cap;
};

static int store_collect_due(Dispatch__Ticket *t, void *arg)
{
	struct store_due_ids *ids = arg;

	if (due_next_ms(t, NULL) > 0) {
		if (ids->n == ids->cap)
			ids->v = xrealloc(ids->v, (ids->cap = ids->cap ? ids->cap * 2 : 64) * sizeof *ids->v);
		ids->v[ids->n++] = t->id;
	}
	dispatch__ticket__free_unpacked(t, NULL);
	return 0;
}

static int store_migrate_2_to_3(store_t *s, MDB_txn *txn)
{
	struct store_due_ids ids = { NULL, 0, 0 };
	int rc;

	/* Collect first: writing tickets while walking them would move the cursor. */
	rc = store_tickets(s, txn, store_collect_due, &ids);
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		Dispatch__Ticket *t = NULL;
		if ((rc = store_get_ticket(s, txn, ids.v[i], &t)) != 0)
			break;
		t->due_ms = due_next_ms(t, NULL);
		rc = store_put_ticket(s, txn, t);
		dispatch__ticket__free_unpacked(t, NULL);
	}
	if (rc == 0)
		log_notice("migration: %zu open ticket(s) with deadlines indexed", ids.n);
	free(ids.v);
	return rc;
}

/* Version 5 keeps the open indexes, the deadlines and the replies'
 * expiry order in one database: each entry of the five of version 4 moves
 * there under its index's letter, and the five are deleted. Entries the
 * earlier migrations just wrote are in "index" already; a store of version
 * 1 still has its member and crew indexes in the old databases, and they
 * move the same way. */
static int store_migrate_4_to_5(store_t *s, MDB_txn *txn)
{
	static const struct {
		const char *name;
		unsigned char tag;
	} old[] = {
		{ "open_by_member", STORE_TAG_MEMBER },   { "open_by_crew", STORE_TAG_CREW },
		{ "open_by_unit", STORE_TAG_UNIT },       { "deadlines", STORE_TAG_DUE },
		{ "requests_by_time", STORE_TAG_EXPIRY },
	};
	unsigned long moved = 0;
	int rc = 0;

	for (size_t i = 0; i < sizeof old / sizeof old[0] && rc == 0; i++) {
		MDB_cursor *cur = NULL;
		MDB_dbi dbi;
		MDB_val k, v;
		if ((rc = mdb_dbi_open(txn, old[i].name, 0, &dbi)) == MDB_NOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc != 0 || (rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
			break;
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			unsigned char kb[STORE_KEY_MAX + 1];
			MDB_val nk = { k.mv_size + 1, kb }, empty = { 0, NULL };
			if (k.mv_size > STORE_KEY_MAX - 1) {
				rc = STORE_CORRUPT;
				break;
			}
			kb[0] = old[i].tag;
			memcpy(kb + 1, k.mv_data, k.mv_size);
			if ((rc = store_put(txn, s->idx, &nk, &empty, 0)) != 0)
				break;
			moved++;
		}
		mdb_cursor_close(cur);
		if (rc == MDB_NOTFOUND)
			rc = mdb_drop(txn, dbi, 1);
	}
	if (rc == 0)
		log_notice("migration: %lu index entr%s moved into one database", moved, moved == 1 ? "y" : "ies");
	return rc;
}

/*
 * Version 6 keys a stored reply by who asked as well as by its id. A
 * version 5 reply was keyed by the id alone; who sent it is not recorded
 * with it, but every reply a mutating request stores reports the events
 * it wrote, and each event names its actor and role: the first event
 * that a person (not the daemon) did is the sender's. Those replies keep
 * working for their sender's retries, with an unknown digest (any body
 * from that sender and id gets them, as before). A reply that reports no
 * such event (none does that a handler of this release stored; a purged
 * ticket's events are tombstones without actors) cannot be attributed and
 * is dropped: handing it to anyone, as version 5 did, is the fault being
 * fixed, and it would have expired within the idempotency window anyway.
 */
static bool store_person_role(Dispatch__Role r)
{
	return r >= DISPATCH__ROLE__ROLE_DESK && r <= DISPATCH__ROLE__ROLE_ADMIN;
}

/* The sender of an old stored reply (v: after its stored_ms), into
 * *role and who; false if it names none. */
static int store_reply_sender(store_t *s, MDB_txn *txn, const uint8_t *v, size_t len, Dispatch__Role *role,
			      char who[65], bool *found)
{
	*found = false;
	if (len >= 2 && v[0] == 0x00) { /* compact (ingest.c): the events are seqs into the log */
		size_t nev = v[1];
		if (len < 2 + 8 * nev)
			return STORE_CORRUPT;
		for (size_t i = 0; i < nev && !*found; i++) {
			Dispatch__Event *ev = NULL;
			int rc = store_get_event(s, txn, store_get_be64(v + 2 + 8 * i), &ev);
			if (rc == STORE_NOTFOUND)
				continue;
			if (rc != 0)
				return rc;
			if (store_person_role(ev->actor_role) && ev->actor && *ev->actor && strlen(ev->actor) <= 64) {
				*role = ev->actor_role;
				snprintf(who, 65, "%s", ev->actor);
				*found = true;
			}
			dispatch__event__free_unpacked(ev, NULL);
		}
		return 0;
	}
	Dispatch__Reply *rep = dispatch__reply__unpack(NULL, len, v);
	if (rep == NULL)
		return 0; /* not a reply we can read: nobody to give it to */
	for (size_t i = 0; i < rep->n_events && !*found; i++) {
		const Dispatch__Event *ev = rep->events[i];
		if (store_person_role(ev->actor_role) && ev->actor && *ev->actor && strlen(ev->actor) <= 64) {
			*role = ev->actor_role;
			snprintf(who, 65, "%s", ev->actor);
			*found = true;
		}
	}
	dispatch__reply__free_unpacked(rep, NULL);
	return 0;
}

struct store_old_keys {
	char **v;
	size_t *len;
	size_t n, cap;
};

static int store_migrate_5_to_6(store_t *s, MDB_txn *txn)
{
	static const uint8_t unknown[STORE_DIGEST_LEN] = { 0 };
	struct store_old_keys keys = { NULL, NULL, 0, 0 };
	unsigned long kept = 0, dropped = 0;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	uint8_t *copy = NULL;
	int rc;

	/* Collect first: writing while walking would move the cursor. */
	if ((rc = mdb_cursor_open(txn, s->requests, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (keys.n == keys.cap) {
			keys.cap = keys.cap ? keys.cap * 2 : 64;
			keys.v = xrealloc(keys.v, keys.cap * sizeof *keys.v);
			keys.len = xrealloc(keys.len, keys.cap * sizeof *keys.len);
		}
		keys.v[keys.n] = memcpy(xmalloc(k.mv_size ? k.mv_size : 1), k.mv_data, k.mv_size);
		keys.len[keys.n++] = k.mv_size;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto done;
	rc = 0;
	for (size_t i = 0; i < keys.n && rc == 0; i++) {
		MDB_val ok = { keys.len[i], keys.v[i] };
		unsigned char tk[9 + 256], kb[STORE_REPLY_KEY_MAX];
		MDB_val t = { 9 + ok.mv_size, tk };
		Dispatch__Role role = DISPATCH__ROLE__ROLE_UNSPECIFIED;
		char who[65], rid[257];
		bool found = false;
		size_t len, klen;
		int64_t stored_ms;

		if ((rc = mdb_get(txn, s->requests, &ok, &v)) != 0)
			break;
		if (v.mv_size < 8 || ok.mv_size > 256) {
			rc = STORE_CORRUPT;
			break;
		}
		/* The value moves: copy it out before writing. */
		len = v.mv_size - 8;
		stored_ms = (int64_t)store_get_be64(v.mv_data);
		copy = xrealloc(copy, len ? len : 1);
		memcpy(copy, (const char *)v.mv_data + 8, len);
		if ((rc = store_reply_sender(s, txn, copy, len, &role, who, &found)) != 0)
			break;
		tk[0] = STORE_TAG_EXPIRY;
		store_be64(tk + 1, (uint64_t)stored_ms);
		memcpy(tk + 9, ok.mv_data, ok.mv_size);
		if ((rc = store_del(txn, s->requests, &ok, NULL)) != 0)
			break;
		if ((rc = store_del(txn, s->idx, &t, NULL)) != 0 && rc != MDB_NOTFOUND)
			break;
		rc = 0;
		memcpy(rid, ok.mv_data, ok.mv_size);
		rid[ok.mv_size] = '\0';
		if (!found || memchr(ok.mv_data, '\0', ok.mv_size) != NULL ||
		    store_reply_key(kb, role, who, rid, &klen) != 0) {
			dropped++;
			continue;
		}
		if ((rc = store_put_reply_at(s, txn, kb, klen, unknown, stored_ms, copy, len)) != 0)
			break;
		kept++;
	}
	if (rc == 0)
		log_notice("migration: %lu stored repl%s now keyed by who sent %s, %lu naming no sender dropped", kept,
			   kept == 1 ? "y" : "ies", kept == 1 ? "it" : "them", dropped);
done:
	for (size_t i = 0; i < keys.n; i++)
		free(keys.v[i]);
	free(keys.v);
	free(keys.len);
	free(copy);
	return rc;
}

/* Version 7 adds the search indexes (every ticket by unit and by creation
 * time): an entry of each for every ticket kept. Writing into "index"
 * while walking "tickets" moves no cursor of this walk. */
static int store_migrate_6_to_7(store_t *s, MDB_txn *txn)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	unsigned long tickets = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->tickets, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Dispatch__Ticket *t = dispatch__ticket__unpack(NULL, v.mv_size, v.mv_data);
		if (t == NULL) {
			rc = STORE_CORRUPT;
			break;
		}
		rc = store_search_set(s, txn, t, true);
		dispatch__ticket__free_unpacked(t, NULL);
		if (rc != 0)
			break;
		tickets++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return rc;
	log_notice("migration: %lu ticket(s) indexed for search by unit and creation time", tickets);
	return 0;
}

/* Version 8 adds the asset indexes (issue 19): every ticket naming an
 * asset, and the open ones. A ticket written before 8 names none unless a
 * newer dispatchd wrote it and an older one was run on the store since,
 * which the index must then catch up with: built from the tickets. */
static int store_migrate_7_to_8(store_t *s, MDB_txn *txn)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	unsigned long tickets = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->tickets, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Dispatch__Ticket *t = dispatch__ticket__unpack(NULL, v.mv_size, v.mv_data);
		if (t == NULL) {
			rc = STORE_CORRUPT;
			break;
		}
		if (t->asset[0]) {
			rc = store_asset_move(s, txn, NULL, t);
			tickets++;
		}
		dispatch__ticket__free_unpacked(t, NULL);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return rc;
	log_notice("migration: %lu ticket(s) naming an asset indexed", tickets);
	return 0;
}

/* Version 9 writes fewer index keys a submission: the open tickets at a
 * unit are the value of the by-unit key (every ticket's), not keys of
 * their own, and the stored replies have no time order beside them (a
 * sweep finds the old ones). Each 'u' key becomes its ticket's by-unit
 * key saying open, and the 't' keys go. Seeking again after each change
 * keeps no cursor across a write. */
static int store_migrate_8_to_9(store_t *s, MDB_txn *txn)
{
	unsigned char open = STORE_UNIT_OPEN;
	MDB_cursor *cur = NULL;
	unsigned long units = 0, times = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->idx, &cur)) != 0)
		return rc;
	for (;;) {
		unsigned char tag = STORE_TAG_UNIT, kb[STORE_KEY_MAX];
		MDB_val k = { 1, &tag }, v, a, flag = { 1, &open };
		if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) != 0)
			break;
		if (k.mv_size < 1 || ((const unsigned char *)k.mv_data)[0] != STORE_TAG_UNIT)
			break;
		if (k.mv_size > sizeof kb) {
			rc = STORE_CORRUPT;
			break;
		}
		memcpy(kb, k.mv_data, k.mv_size);
		kb[0] = STORE_TAG_ALL_UNIT; /* the same name and id under the by-unit tag */
		a.mv_size = k.mv_size;
		a.mv_data = kb;
		if ((rc = store_cursor_del(cur, 0)) != 0 || (rc = store_put(txn, s->idx, &a, &flag, 0)) != 0)
			break;
		units++;
	}
	while (rc == 0 || rc == MDB_NOTFOUND) {
		unsigned char tag = STORE_TAG_EXPIRY;
		MDB_val k = { 1, &tag }, v;
		if ((rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) != 0)
			break;
		if (k.mv_size < 1 || ((const unsigned char *)k.mv_data)[0] != STORE_TAG_EXPIRY)
			break;
		if ((rc = store_cursor_del(cur, 0)) != 0)
			break;
		times++;
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	log_notice("migration: %lu open ticket(s) now marked open on their unit's key; %lu reply time key(s) "
		   "dropped (a sweep finds old replies)",
		   units, times);
	return 0;
}

/* Version 10 lists no event in ticket_events: each event of a ticket
 * names the one before it (Event.ticket_prev_seq), and a history is that
 * chain back from the ticket's last event (store.c). The events before
 * stay listed where they are, so there is nothing to rewrite; the version
 * says that an older dispatchd, which reads only the list, must not open
 * the store. */
static int store_migrate_9_to_10(store_t *s, MDB_txn *txn)
{
	(void)s, (void)txn;
	log_notice("migration: events from now on name their ticket's previous event; those before stay listed "
		   "in ticket_events");
	return 0;
}

/* step[v] takes a store from version v to v + 1. */
static int (*const store_steps[STORE_SCHEMA_VERSION])(store_t *, MDB_txn *) = {
	[1] = store_migrate_1_to_2, [2] = store_migrate_2_to_3, [3] = store_chain_build,
	[4] = store_migrate_4_to_5, [5] = store_migrate_5_to_6, [6] = store_migrate_6_to_7,
	[7] = store_migrate_7_to_8, [8] = store_migrate_8_to_9, [9] = store_migrate_9_to_10,
};

/* Check or write the schema version in a fresh write transaction: an
 * older store is brought up to this one's version in that one
 * transaction, so a crash mid-way leaves it as it was. */
int store_migrate(store_t *s, char *err, size_t errlen)
{
	MDB_txn *txn = NULL;
	uint64_t version;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = store_meta_get_u64(s, txn, "schema", &version)) != 0)
		goto fail;
	if (version == 0) {
		MDB_stat st;
		/* A store with tickets but no version is not ours to guess about. */
		if ((rc = mdb_stat(txn, s->tickets, &st)) != 0)
			goto fail;
		if (st.ms_entries > 0) {
			snprintf(err, errlen, "store has tickets but no schema version; refusing to open it");
			mdb_txn_abort(txn);
			return -1;
		}
		if ((rc = store_meta_put_u64(s, txn, "schema", STORE_SCHEMA_VERSION)) != 0)
			goto fail;
	} else if (version < STORE_SCHEMA_VERSION) {
		log_notice("migrating the store from schema version %llu to %d", (unsigned long long)version,
			   STORE_SCHEMA_VERSION);
		for (uint64_t v = version; v < STORE_SCHEMA_VERSION; v++)
			if ((rc = store_steps[v](s, txn)) != 0)
				goto fail;
		if ((rc = store_meta_put_u64(s, txn, "schema", STORE_SCHEMA_VERSION)) != 0)
			goto fail;
	} else if (version != STORE_SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "store schema version %llu is not supported by this dispatchd (it reads version %d); "
			 "use the dispatchd release that wrote it, or restore a backup",
			 (unsigned long long)version, STORE_SCHEMA_VERSION);
		mdb_txn_abort(txn);
		return -1;
	}
	return mdb_txn_commit(txn);
fail:
	snprintf(err, errlen, "cannot check the store's schema: %s", store_strerror(rc));
	if (txn)
		mdb_txn_abort(txn);
	return rc;
}

/* The store's front door: open, migrate, then make ready. Here rather
 * than in store.c so that the migrations sit above the store they
 * migrate, and store.c never calls up into them. */
store_t *store_open(const char *dir, size_t map_size, char *err, size_t errlen)
{
	store_t *s = store_env_open(dir, map_size, err, errlen);

	if (s == NULL)
		return NULL;
	if (store_migrate(s, err, errlen) != 0 || store_env_ready(s, dir, err, errlen) != 0) {
		store_destroy(&s);
		return NULL;
	}
	return s;
}
