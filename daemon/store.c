/*
 * store: LMDB environment, databases, ticket and event records and their
 * indexes (see store.h for the layout). Migrations from older schema
 * versions are in store_migrate.c; what both share is store_impl.h.
 *
 * Over 800 lines, for a reason: it is the one module that knows the
 * on-disk layout (keys, tags, the shared index database, the load table
 * kept in step with the member index and rolled back with aborted
 * transactions), and every record kind's put and walk uses those private
 * helpers; split by record kind, each part would need the whole inside.
 * The load table is the next part to move out (issue 16).
 */
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "chain.h"
#include "store_impl.h"
#include "log.h"
#include "due.h"
#include "wire.h"
#include "xalloc.h"

#define STORE_DEFAULT_MAP (1UL << 30) /* 1 GiB; sparse, grows later (issue 5) */

static int store_load_build(store_t *s);
static bool store_is_open(Dispatch__State st);

uint64_t store_writes(const store_t *s)
{
	return s->writes;
}

void store_fail_write(store_t *s, uint64_t nth)
{
	s->fail_write = nth ? s->writes + nth : 0;
}

const char *store_strerror(int rc)
{
	switch (rc) {
	case STORE_NOTFOUND: return "not found";
	case STORE_CORRUPT: return "a stored record could not be decoded";
	default: return mdb_strerror(rc);
	}
}

/* ---- the load table ------------------------------------------------------ */

static uint64_t store_hash(const char *str)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *str; str++)
		h = (h ^ (unsigned char)*str) * 1099511628211ULL;
	return h;
}

static struct store_load *store_load_find(const store_t *s, const char *member)
{
	if (s->load_cap == 0)
		return NULL;
	for (size_t i = store_hash(member) & (s->load_cap - 1); s->load[i].member; i = (i + 1) & (s->load_cap - 1))
		if (strcmp(s->load[i].member, member) == 0)
			return &s->load[i];
	return NULL;
}

/* The member's entry, made if missing. Entries move when the table
 * grows; their member strings do not. */
static struct store_load *store_load_get(store_t *s, const char *member)
{
	struct store_load *e = store_load_find(s, member);
	size_t i;

	if (e)
		return e;
	if ((s->load_n + 1) * 2 > s->load_cap) {
		struct store_load *old = s->load;
		size_t oldcap = s->load_cap;
		s->load_cap = s->load_cap ? s->load_cap * 2 : 64;
		s->load = xcalloc(s->load_cap, sizeof *s->load);
		for (size_t k = 0; k < oldcap; k++) {
			if (old[k].member == NULL)
				continue;
			for (i = store_hash(old[k].member) & (s->load_cap - 1); s->load[i].member;
			     i = (i + 1) & (s->load_cap - 1))
				;
			s->load[i] = old[k];
		}
		free(old);
	}
	for (i = store_hash(member) & (s->load_cap - 1); s->load[i].member; i = (i + 1) & (s->load_cap - 1))
		;
	s->load[i].member = xstrdup(member);
	s->load_n++;
	return &s->load[i];
}

static void store_load_add(store_t *s, const char *member, int delta)
{
	struct store_load *e;

	if (!s->load_ready || member == NULL || member[0] == '\0')
		return;
	e = store_load_get(s, member);
	assert(delta >= 0 || e->open >= (unsigned)-delta);
	e->open = (unsigned)((int)e->open + delta);
	if (s->nmarks == 0)
		return; /* not in a transaction of ours: nothing to undo it with */
	if (s->nundo == s->capundo) {
		s->capundo = s->capundo ? s->capundo * 2 : 256;
		s->undo = xrealloc(s->undo, s->capundo * sizeof *s->undo);
	}
	s->undo[s->nundo++] = (struct store_undo){ e->member, -delta };
}

/* Undo the load changes logged since position from. */
static void store_load_rollback(store_t *s, size_t from)
{
	while (s->nundo > from) {
		const struct store_undo *u = &s->undo[--s->nundo];
		struct store_load *e = store_load_find(s, u->member);
		e->open = (unsigned)((int)e->open + u->delta);
	}
}

static void store_load_free(store_t *s)
{
	for (size_t i = 0; i < s->load_cap; i++)
		free(s->load[i].member);
	free(s->load);
	free(s->undo);
	free(s->marks);
}

int store_meta_get_u64(store_t *s, MDB_txn *txn, const char *key, uint64_t *v)
{
	MDB_val k = { strlen(key), (void *)key }, d;
	int rc = mdb_get(txn, s->meta, &k, &d);

	if (rc == MDB_NOTFOUND) {
		*v = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	if (d.mv_size != 8)
		return STORE_CORRUPT;
	*v = store_get_be64(d.mv_data);
	return 0;
}

int store_meta_put_u64(store_t *s, MDB_txn *txn, const char *key, uint64_t v)
{
	unsigned char b[8];
	MDB_val k = { strlen(key), (void *)key }, d = { 8, b };

	store_be64(b, v);
	return store_put(txn, s->meta, &k, &d, 0);
}

/* meta "chain_head": the link of the last event (chain.h). Absent in an
 * empty log, where the first event's prev_hash is all zeros. */
int store_chain_head_get(store_t *s, MDB_txn *txn, uint8_t head[CHAIN_HASH_LEN])
{
	MDB_val k = { 10, (void *)"chain_head" }, d;
	uint64_t last;
	int rc = mdb_get(txn, s->meta, &k, &d);

	if (rc == MDB_NOTFOUND) {
		if ((rc = store_meta_get_u64(s, txn, "last_seq", &last)) != 0)
			return rc;
		memset(head, 0, CHAIN_HASH_LEN);
		return last == 0 ? 0 : STORE_CORRUPT; /* events but no chain: not a store we wrote */
	}
	if (rc != 0)
		return rc;
	if (d.mv_size != CHAIN_HASH_LEN)
		return STORE_CORRUPT;
	memcpy(head, d.mv_data, CHAIN_HASH_LEN);
	return 0;
}

int store_chain_head_put(store_t *s, MDB_txn *txn, const uint8_t head[CHAIN_HASH_LEN])
{
	MDB_val k = { 10, (void *)"chain_head" }, d = { CHAIN_HASH_LEN, (void *)head };

	return store_put(txn, s->meta, &k, &d, 0);
}

int store_chain_head(store_t *s, MDB_txn *txn, uint8_t head[32])
{
	return store_chain_head_get(s, txn, head);
}

store_t *store_env_open(const char *dir, size_t map_size, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		unsigned flags;
		size_t off;
	} dbs[] = {
		{ "meta", 0, offsetof(store_t, meta) },
		{ "tickets", 0, offsetof(store_t, tickets) },
		{ "events", 0, offsetof(store_t, events) },
		{ "ticket_events", MDB_DUPSORT | MDB_DUPFIXED, offsetof(store_t, ticket_events) },
		{ "index", 0, offsetof(store_t, idx) },
		{ "requests", 0, offsetof(store_t, requests) },
		{ "outages", 0, offsetof(store_t, outages) },
		{ "duty", 0, offsetof(store_t, duty) },
		{ "presence", 0, offsetof(store_t, presence) },
		{ "vendor_incidents", 0, offsetof(store_t, vendor_incidents) },
	};
	store_t *s = xcalloc(1, sizeof *s);
	MDB_txn *txn = NULL;
	int rc, dead = 0;
	const char *what = "";

	if (chain_init() != 0) {
		snprintf(err, errlen, "cannot get SHA-256 from libcrypto (for the event log's hash chain)");
		goto fail_quiet;
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", dir, strerror(errno));
		goto fail_quiet;
	}
	what = "create the LMDB environment";
	if ((rc = mdb_env_create(&s->env)) != 0)
		goto fail;
	what = "set the map size";
	if ((rc = mdb_env_set_mapsize(s->env, map_size ? map_size : STORE_DEFAULT_MAP)) != 0)
		goto fail;
	if ((rc = mdb_env_set_maxdbs(s->env, 16)) != 0)
		goto fail;
	what = "open the store";
	/* NOTLS: readers are tied to our one thread's transactions, not TLS. */
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0640)) != 0)
		goto fail;
	/* A crashed earlier process may have left reader slots behind. */
	mdb_reader_check(s->env, &dead);
	if (dead > 0)
		log_notice("cleared %d stale LMDB reader slot(s) left by a dead process", dead);
	what = "open the databases";
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto fail;
	for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)s + dbs[i].off);
		if ((rc = mdb_dbi_open(txn, dbs[i].name, dbs[i].flags | MDB_CREATE, dbi)) != 0)
			goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	return s;
fail:
	snprintf(err, errlen, "cannot %s in %s: %s", what, dir, store_strerror(rc));
fail_quiet:
	if (txn)
		mdb_txn_abort(txn);
	store_destroy(&s);
	return NULL;
}

int store_env_ready(store_t *s, const char *dir, char *err, size_t errlen)
{
	int rc;

	mdb_env_set_userctx(s->env, s);
	if ((rc = store_load_build(s)) != 0) {
		snprintf(err, errlen, "cannot count the open assignments in %s: %s", dir, store_strerror(rc));
		return rc;
	}
	return 0;
}

void store_destroy(store_t **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	if ((*sp)->env)
		mdb_env_close((*sp)->env);
	store_load_free(*sp);
	free((*sp)->last_ev);
	free((*sp)->snap);
	free((*sp)->ev_rest);
	free(*sp);
	*sp = NULL;
}

int store_set_nosync(store_t *s)
{
	return mdb_env_set_flags(s->env, MDB_NOSYNC, 1);
}

int store_txn_begin(store_t *s, MDB_txn *parent, int readonly, MDB_txn **out)
{
	int rc = mdb_txn_begin(s->env, parent, readonly ? MDB_RDONLY : 0, out);

	if (rc == 0 && !readonly) {
		if (s->nmarks == s->capmarks) {
			s->capmarks = s->capmarks ? s->capmarks * 2 : 8;
			s->marks = xrealloc(s->marks, s->capmarks * sizeof *s->marks);
		}
		s->marks[s->nmarks++] = (struct store_mark){ *out, s->nundo };
	}
	return rc;
}

/* txn ends: its load changes stay (committed) or go (aborted). A child's
 * stay in the log until its parent ends; the outermost commit clears it. */
static void store_txn_end(MDB_txn *txn, bool committed)
{
	store_t *s = mdb_env_get_userctx(mdb_txn_env(txn));
	size_t i;

	if (s == NULL)
		return;
	s->memo.valid = false;
	for (i = s->nmarks; i > 0 && s->marks[i - 1].txn != txn; i--)
		;
	if (i == 0)
		return; /* read-only */
	if (!committed)
		store_load_rollback(s, s->marks[i - 1].undo_from);
	s->nmarks = i - 1; /* children ended with it */
	if (s->nmarks == 0)
		s->nundo = 0;
}

int store_txn_commit(MDB_txn *txn)
{
	MDB_env *env = mdb_txn_env(txn);
	store_t *s = mdb_env_get_userctx(env);
	size_t i;
	int rc;

	/* mdb_txn_commit() frees txn: find its mark first. */
	if (s)
		s->memo.valid = false;
	for (i = s ? s->nmarks : 0; i > 0 && s->marks[i - 1].txn != txn; i--)
		;
	rc = mdb_txn_commit(txn);
	if (i == 0)
		return rc;
	if (rc != 0)
		store_load_rollback(s, s->marks[i - 1].undo_from);
	s->nmarks = i - 1;
	if (s->nmarks == 0)
		s->nundo = 0;
	return rc;
}

void store_txn_abort(MDB_txn *txn)
{
	store_txn_end(txn, false);
	mdb_txn_abort(txn);
}

int store_last_seq(store_t *s, MDB_txn *txn, uint64_t *seq)
{
	return store_meta_get_u64(s, txn, "last_seq", seq);
}

int store_next_ticket_id(store_t *s, MDB_txn *txn, uint64_t *id)
{
	uint64_t last;
	int rc = store_meta_get_u64(s, txn, "last_ticket", &last);

	if (rc != 0)
		return rc;
	*id = last + 1;
	return store_meta_put_u64(s, txn, "last_ticket", *id);
}

/* Unpack a stored protobuf value; STORE_CORRUPT if it does not decode. */
#define STORE_UNPACK(type, fn, val, out)                                                                               \
	do {                                                                                                           \
		*(out) = fn(NULL, (val).mv_size, (const uint8_t *)(val).mv_data);                                      \
		if (*(out) == NULL)                                                                                    \
			return STORE_CORRUPT;                                                                          \
	} while (0)

/* One cursor walk over dbi, from start (MDB_SET_RANGE) or from the first
 * key: fn(key, value, arg) returns 0 to go on, 1 to stop, negative to fail
 * with that code. Every iteration in this file goes through here. */
typedef int(store_walk_fn)(const MDB_val *k, const MDB_val *v, void *arg);

static int store_walk(MDB_txn *txn, MDB_dbi dbi, const MDB_val *start, store_walk_fn *fn, void *arg)
{
	MDB_cursor *cur = NULL;
	MDB_val k = { 0, NULL }, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	if (start)
		k = *start;
	for (rc = mdb_cursor_get(cur, &k, &v, start ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int r = fn(&k, &v, arg);
		if (r != 0) {
			rc = r < 0 ? r : 0;
			goto done;
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	mdb_cursor_close(cur);
	return rc;
}

static int store_load_count_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	store_t *s = arg;
	const char *name = (const char *)k->mv_data + 1;

	(void)v;
	if (k->mv_size < 1 || ((const unsigned char *)k->mv_data)[0] != STORE_TAG_MEMBER)
		return 1; /* past the member index */
	if (k->mv_size < 11 || memchr(name, '\0', k->mv_size - 9) != name + k->mv_size - 10)
		return STORE_CORRUPT;
	store_load_get(s, name)->open++;
	return 0;
}

/* Count every member's open assignments from the index. */
static int store_load_build(store_t *s)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return rc;
	rc = store_walk(txn, s->idx, &(MDB_val){ 1, (void *)"m" }, store_load_count_step, s);
	mdb_txn_abort(txn);
	s->load_ready = rc == 0;
	return rc;
}

int store_get_ticket(store_t *s, MDB_txn *txn, uint64_t id, Dispatch__Ticket **out)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	store_be64(kb, id);
	rc = mdb_get(txn, s->tickets, &k, &d);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return rc;
	STORE_UNPACK(Dispatch__Ticket, dispatch__ticket__unpack, d, out);
	return 0;
}

/* Index key: the index's letter (if it shares its database), "<name>\0",
 * then the id in big-endian. */
static size_t store_index_key(unsigned char *buf, size_t cap, struct store_ix ix, const char *name, uint64_t id)
{
	size_t n = strlen(name), at = ix.tag != 0;

	/* Crew and member names are bounded by config and request validation. */
	assert(at + n + 9 <= cap);
	buf[0] = ix.tag;
	memcpy(buf + at, name, n);
	buf[at + n] = '\0';
	store_be64(buf + at + n + 1, id);
	return at + n + 9;
}

int store_state_counts_for_member(Dispatch__State st)
{
	/* A ticket on hold stays with its member (waiting for parts is still their job). */
	return st == DISPATCH__STATE__STATE_ASSIGNED || st == DISPATCH__STATE__STATE_ACCEPTED ||
	       st == DISPATCH__STATE__STATE_ON_SITE || st == DISPATCH__STATE__STATE_ON_HOLD;
}

int store_state_is_open(Dispatch__State st)
{
	return st != DISPATCH__STATE__STATE_CLOSED && st != DISPATCH__STATE__STATE_CANCELLED;
}

static bool store_counts_for_member(Dispatch__State st)
{
	return store_state_counts_for_member(st) != 0;
}

static bool store_is_open(Dispatch__State st)
{
	return st != DISPATCH__STATE__STATE_CLOSED && st != DISPATCH__STATE__STATE_CANCELLED;
}

/* The key (name, id) of index ix: put with value d, or taken out. */
static int store_index_put(MDB_txn *txn, struct store_ix ix, const char *name, uint64_t id, bool present, MDB_val *d)
{
	unsigned char kb[STORE_KEY_MAX];
	MDB_val k;
	int rc;

	if (name == NULL || name[0] == '\0')
		return 0;
	k.mv_data = kb;
	k.mv_size = store_index_key(kb, sizeof kb, ix, name, id);
	if (present)
		return store_put(txn, ix.dbi, &k, d, 0);
	rc = store_del(txn, ix.dbi, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_index_set(MDB_txn *txn, struct store_ix ix, const char *name, uint64_t id, bool present)
{
	MDB_val empty = { 0, NULL };

	return store_index_put(txn, ix, name, id, present, &empty);
}

/* Created key: 'C', the creation time, then the ticket id, both big-endian. */
#define STORE_CREATED_KEY 17
static void store_created_key(unsigned char kb[STORE_CREATED_KEY], int64_t created_ms, uint64_t id)
{
	kb[0] = STORE_TAG_CREATED;
	store_be64(kb + 1, (uint64_t)(created_ms > 0 ? created_ms : 0));
	store_be64(kb + 9, id);
}

/* A by-unit key's value says its ticket is open. */
static bool store_unit_open(const MDB_val *v)
{
	return v->mv_size == 1 && *(const unsigned char *)v->mv_data == STORE_UNIT_OPEN;
}

/* The by-unit key of ticket id: present or not, and its value says
 * whether it is open (schema 9: one key serves the search by unit and the
 * open tickets at a unit, in one leaf of the index, not two). */
static int store_unit_set(store_t *s, MDB_txn *txn, const char *unit, uint64_t id, bool present, bool open)
{
	unsigned char flag = open ? STORE_UNIT_OPEN : STORE_UNIT_CLOSED;
	MDB_val d = { 1, &flag };

	return store_index_put(txn, store_ix_of(s, STORE_TAG_ALL_UNIT), unit, id, present, &d);
}

int store_search_set(store_t *s, MDB_txn *txn, const Dispatch__Ticket *t, bool present)
{
	unsigned char kb[STORE_CREATED_KEY];
	MDB_val k = { STORE_CREATED_KEY, kb }, d = { 0, NULL };
	int rc = store_unit_set(s, txn, t->unit, t->id, present, store_is_open(t->state));

	if (rc != 0)
		return rc;
	store_created_key(kb, t->created_ms, t->id);
	if (present)
		return store_put(txn, s->idx, &k, &d, 0);
	rc = store_del(txn, s->idx, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Deadlines key: 'd', the due time, then the ticket id, both big-endian. */
#define STORE_DUE_KEY 17
static void store_due_key(unsigned char kb[STORE_DUE_KEY], int64_t due_ms, uint64_t id)
{
	kb[0] = STORE_TAG_DUE;
	store_be64(kb + 1, (uint64_t)due_ms);
	store_be64(kb + 9, id);
}

static int store_deadline_set(store_t *s, MDB_txn *txn, int64_t due_ms, uint64_t id, bool present)
{
	unsigned char kb[STORE_DUE_KEY];
	MDB_val k = { STORE_DUE_KEY, kb }, d = { 0, NULL };
	int rc;

	if (due_ms <= 0)
		return 0;
	store_due_key(kb, due_ms, id);
	if (present)
		return store_put(txn, s->idx, &k, &d, 0);
	rc = store_del(txn, s->idx, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_first_due(store_t *s, MDB_txn *txn, int64_t *due_ms, uint64_t *id)
{
	unsigned char tag = STORE_TAG_DUE;
	MDB_cursor *cur;
	MDB_val k = { 1, &tag }, v;
	int rc;

	*due_ms = 0;
	*id = 0;
	if ((rc = mdb_cursor_open(txn, s->idx, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND ||
	    (rc == 0 && (k.mv_size < 1 || ((const unsigned char *)k.mv_data)[0] != STORE_TAG_DUE)))
		return 0; /* past the deadlines: there are none */
	if (rc != 0)
		return rc;
	if (k.mv_size != STORE_DUE_KEY)
		return STORE_CORRUPT;
	*due_ms = (int64_t)store_get_be64((const unsigned char *)k.mv_data + 1);
	*id = store_get_be64((const unsigned char *)k.mv_data + 9);
	return 0;
}

int store_due_has(store_t *s, MDB_txn *txn, int64_t due_ms, uint64_t id, int *has)
{
	unsigned char kb[STORE_DUE_KEY];
	MDB_val k = { STORE_DUE_KEY, kb }, d;
	int rc;

	store_due_key(kb, due_ms, id);
	rc = mdb_get(txn, s->idx, &k, &d);
	*has = rc == 0;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_drop_due(store_t *s, MDB_txn *txn, int64_t due_ms, uint64_t id)
{
	return store_deadline_set(s, txn, due_ms, id, false);
}

static bool store_same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Move t's entry in one index from its old key (if old had one) to its
 * new key (if t has one), touching the index only when that changes. */
static int store_index_move(MDB_txn *txn, struct store_ix ix, uint64_t id, const char *old_key, bool old_in,
			    const char *new_key, bool new_in)
{
	int rc = 0;

	if (old_in == new_in && (!new_in || store_same(old_key, new_key)))
		return 0;
	if (old_in)
		rc = store_index_set(txn, ix, old_key, id, false);
	if (rc == 0 && new_in)
		rc = store_index_set(txn, ix, new_key, id, true);
	return rc;
}

static bool store_memo_copy(char dst[STORE_MEMO_NAME], const char *src)
{
	size_t n = strlen(src ? src : "");

	if (n >= STORE_MEMO_NAME)
		return false;
	memcpy(dst, src ? src : "", n + 1);
	return true;
}

/* Remember t as the tickets database now holds it (store_put_memo). */
static void store_memo_keep(store_t *s, const Dispatch__Ticket *t)
{
	struct store_put_memo *m = &s->memo;

	m->valid = store_memo_copy(m->member, t->member) && store_memo_copy(m->crew, t->crew) &&
		   store_memo_copy(m->unit, t->unit) && store_memo_copy(m->vendor, t->vendor) &&
		   store_memo_copy(m->asset, t->asset);
	m->id = t->id;
	m->state = t->state;
	m->due_ms = t->due_ms;
	m->created_ms = t->created_ms;
	m->vendor_incident = t->vendor_incident && t->vendor_incident[0];
}

/* The remembered ticket as the old one, for the index moves. */
static void store_memo_ticket(const store_t *s, Dispatch__Ticket *o)
{
	const struct store_put_memo *m = &s->memo;

	dispatch__ticket__init(o);
	o->id = m->id;
	o->state = m->state;
	o->due_ms = m->due_ms;
	o->created_ms = m->created_ms;
	o->member = (char *)m->member;
	o->crew = (char *)m->crew;
	o->unit = (char *)m->unit;
	o->vendor = (char *)m->vendor;
	o->asset = (char *)m->asset;
	o->vendor_incident = (char *)(m->vendor_incident ? "yes" : "");
}

/* Put t, and keep its indexes in step; packed: t's packed bytes (len of
 * them), or NULL to pack it here. memo: the put is a snapshot's
 * (store_put_ticket_snapshot()), which may use and keeps store_put_memo. */
static int store_put_ticket_as(store_t *s, MDB_txn *txn, const Dispatch__Ticket *t, const void *packed, size_t len,
			       bool memo)
{
	Dispatch__Ticket *old = NULL, remembered;
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	bool was_member = false, was_open = false, was_vendor = false, moved;
	bool is_member = store_counts_for_member(t->state), is_open = store_is_open(t->state);
	int64_t old_due = 0;
	int rc;

	if (memo && s->memo.valid && s->memo.id == t->id) {
		store_memo_ticket(s, &remembered);
		old = &remembered;
		rc = 0;
	} else {
		rc = store_get_ticket(s, txn, t->id, &old);
		if (rc != 0 && rc != STORE_NOTFOUND)
			return rc;
	}
	s->memo.valid = false; /* until this put is done */
	if (old) {
		was_member = store_counts_for_member(old->state);
		was_open = store_is_open(old->state);
		was_vendor = old->vendor_incident[0] != '\0';
		old_due = old->due_ms;
	}
	/* the load follows the member index */
	if (was_member != is_member || (is_member && !store_same(old->member, t->member))) {
		if (was_member)
			store_load_add(s, old->member, -1);
		if (is_member)
			store_load_add(s, t->member, 1);
	}
	rc = store_index_move(txn, store_ix_of(s, STORE_TAG_MEMBER), t->id, old ? old->member : NULL, was_member,
			      t->member, is_member);
	if (rc == 0)
		rc = store_index_move(txn, store_ix_of(s, STORE_TAG_CREW), t->id, old ? old->crew : NULL, was_open,
				      t->crew, is_open);
	if (rc == 0 && old_due != t->due_ms) {
		rc = store_deadline_set(s, txn, old_due, t->id, false);
		if (rc == 0)
			rc = store_deadline_set(s, txn, t->due_ms, t->id, true);
	}
	if (rc == 0)
		rc = store_index_move(txn, (struct store_ix){ s->vendor_incidents, 0 }, t->id, old ? old->vendor : NULL,
				      was_vendor, t->vendor, t->vendor_incident[0] != '\0');
	if (rc == 0) /* issue 19: the asset indexes */
		rc = store_asset_move(s, txn, old, t);
	/* the search indexes: every ticket, for as long as it is kept; the
	 * by-unit key also says whether it is open */
	moved = old && (!store_same(old->unit, t->unit) || old->created_ms != t->created_ms);
	if (rc == 0 && moved)
		rc = store_search_set(s, txn, old, false);
	if (rc == 0 && (old == NULL || moved))
		rc = store_search_set(s, txn, t, true);
	else if (rc == 0 && was_open != is_open)
		rc = store_unit_set(s, txn, t->unit, t->id, true, is_open);
	if (old && old != &remembered)
		dispatch__ticket__free_unpacked(old, NULL);
	if (rc != 0)
		return rc;

	store_be64(kb, t->id);
	d.mv_size = packed ? len : dispatch__ticket__get_packed_size(t);
	/* Reserve the space in the map and pack (or copy) straight into it. */
	if ((rc = store_put(txn, s->tickets, &k, &d, MDB_RESERVE)) != 0)
		return rc;
	if (packed)
		memcpy(d.mv_data, packed, len);
	else
		dispatch__ticket__pack(t, d.mv_data);
	if (memo)
		store_memo_keep(s, t);
	return 0;
}

int store_put_ticket(store_t *s, MDB_txn *txn, const Dispatch__Ticket *t)
{
	return store_put_ticket_as(s, txn, t, NULL, 0, false);
}

bool store_snapshot_of(const store_t *s, const Dispatch__Ticket *t, const void **data, size_t *len)
{
	if (s->snap_len == 0 || s->snap_id != t->id || s->snap_seq != t->last_seq)
		return false;
	*data = s->snap;
	*len = s->snap_len;
	return true;
}

int store_put_ticket_snapshot(store_t *s, MDB_txn *txn, const Dispatch__Ticket *t)
{
	const void *packed = NULL;
	size_t len = 0;

	store_snapshot_of(s, t, &packed, &len); /* else packed here */
	return store_put_ticket_as(s, txn, t, packed, len, true);
}

/* Room for n bytes at *buf (of *cap). */
static uint8_t *store_room(uint8_t **buf, size_t *cap, size_t n)
{
	if (n > *cap) {
		*cap = n * 2;
		*buf = xrealloc(*buf, *cap);
	}
	return *buf;
}

/* Event.ticket's field number (the snapshot), and the one byte of its key. */
#define STORE_EVENT_TICKET_FIELD 15

int store_append_event(store_t *s, MDB_txn *txn, Dispatch__Event *ev, const void **stored, size_t *stored_len)
{
	unsigned char kb[8], vb[8];
	uint8_t head[CHAIN_HASH_LEN];
	MDB_val k = { 8, kb }, d;
	Dispatch__Ticket *snap;
	size_t rest;
	uint64_t last;
	int rc;

	if ((rc = store_meta_get_u64(s, txn, "last_seq", &last)) != 0)
		return rc;
	if ((rc = store_chain_head_get(s, txn, head)) != 0)
		return rc;
	ev->seq = last + 1;
	s->snap_len = 0;
	if ((snap = ev->ticket) != NULL) {
		/* the ticket's history: a chain back through its events (schema 10) */
		ev->ticket_prev_seq = snap->last_seq;
		snap->last_seq = ev->seq; /* the snapshot says which event it is of */
		/* Packed once: these bytes go into the event and, by
		 * store_put_ticket_snapshot(), into the tickets database. */
		s->snap_len = dispatch__ticket__get_packed_size(snap);
		dispatch__ticket__pack(snap, store_room(&s->snap, &s->snap_cap, s->snap_len ? s->snap_len : 1));
		s->snap_id = snap->id;
		s->snap_seq = ev->seq;
	}
	if ((rc = store_meta_put_u64(s, txn, "last_seq", ev->seq)) != 0)
		return rc;
	if (ev->member && ev->member[0]) {
		char mkey[64];
		uint64_t m;
		snprintf(mkey, sizeof mkey, "mseq/%s", ev->member);
		if ((rc = store_meta_get_u64(s, txn, mkey, &m)) != 0)
			return rc;
		ev->member_seq = m + 1;
		if ((rc = store_meta_put_u64(s, txn, mkey, ev->member_seq)) != 0)
			return rc;
	}
	store_be64(kb, ev->seq);
	/* The chain: the record links to its predecessor, and the new head is
	 * the hash of exactly the bytes stored. prev_hash points at our stack,
	 * so it is taken off ev again before returning. */
	ev->prev_hash.data = head;
	ev->prev_hash.len = CHAIN_HASH_LEN;
	/* The event without its snapshot, then the snapshot's record (field
	 * 15) put in where protobuf-c would have written it: the same bytes
	 * as packing ev whole, without packing the ticket a second time. */
	ev->ticket = NULL;
	rest = dispatch__event__get_packed_size(ev);
	dispatch__event__pack(ev, store_room(&s->ev_rest, &s->ev_rest_cap, rest ? rest : 1));
	ev->ticket = snap;
	d.mv_size = snap ? wire_splice_size(rest, STORE_EVENT_TICKET_FIELD, s->snap_len) : rest;
	/* APPEND: seqs only grow, so LMDB can skip the search. */
	rc = store_put(txn, s->events, &k, &d, MDB_RESERVE | MDB_APPEND);
	if (rc == 0 && !snap)
		memcpy(d.mv_data, s->ev_rest, rest);
	else if (rc == 0 &&
		 wire_splice(d.mv_data, s->ev_rest, rest, STORE_EVENT_TICKET_FIELD, s->snap, s->snap_len) != d.mv_size)
		rc = STORE_CORRUPT; /* protobuf-c's own bytes: not reached; the transaction goes */
	if (rc == 0) {
		chain_hash(d.mv_data, d.mv_size, head);
		memcpy(store_room(&s->last_ev, &s->last_ev_cap, d.mv_size), d.mv_data, d.mv_size);
		if (stored)
			*stored = s->last_ev;
		if (stored_len)
			*stored_len = d.mv_size;
	}
	ev->prev_hash.data = NULL;
	ev->prev_hash.len = 0;
	if (rc != 0 || (rc = store_chain_head_put(s, txn, head)) != 0)
		return rc;
	if (ev->ticket_id && snap == NULL) {
		/* about a ticket, but not of it (none of ours): listed as before 10 */
		store_be64(kb, ev->ticket_id);
		store_be64(vb, ev->seq);
		d.mv_size = 8;
		d.mv_data = vb;
		if ((rc = store_put(txn, s->ticket_events, &k, &d, 0)) != 0)
			return rc;
	}
	return 0;
}

int store_get_event(store_t *s, MDB_txn *txn, uint64_t seq, Dispatch__Event **out)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	store_be64(kb, seq);
	rc = mdb_get(txn, s->events, &k, &d);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return rc;
	STORE_UNPACK(Dispatch__Event, dispatch__event__unpack, d, out);
	return 0;
}

/* Hand one stored event to fn (which then owns it); returns fn's answer. */
static int store_visit_event(MDB_val *d, store_event_fn *fn, void *arg)
{
	Dispatch__Event *ev = dispatch__event__unpack(NULL, d->mv_size, d->mv_data);

	if (ev == NULL)
		return STORE_CORRUPT;
	return fn(ev, arg);
}

/* One event of a ticket's history, found by the chain (ev kept) or in
 * ticket_events (ev NULL: read when its turn comes). */
struct store_hist {
	uint64_t seq;
	Dispatch__Event *ev;
};

static int store_hist_cmp(const void *a, const void *b)
{
	const struct store_hist *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void store_hist_free(struct store_hist *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (h[i].ev)
			dispatch__event__free_unpacked(h[i].ev, NULL);
	free(h);
}

/* Ticket id's history, ascending: the events ticket_events lists (those
 * written before schema 10), and the chain back from last_seq through
 * each event's ticket_prev_seq until its first event or one of those.
 * keep: hand back the chain's events unpacked (else freed). A link that
 * is about another ticket or does not go back is STORE_CORRUPT. */
static int store_history(store_t *s, MDB_txn *txn, uint64_t id, uint64_t last_seq, bool keep, struct store_hist **out,
			 size_t *nout)
{
	struct store_hist *h = NULL;
	size_t n = 0, cap = 0, listed;
	MDB_cursor *cur = NULL;
	unsigned char kb[8];
	MDB_val k = { 8, kb }, v;
	int rc;

	store_be64(kb, id);
	if ((rc = mdb_cursor_open(txn, s->ticket_events, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		if (v.mv_size != 8) {
			rc = STORE_CORRUPT;
			break;
		}
		if (n == cap)
			h = xrealloc(h, (cap = cap ? 2 * cap : 16) * sizeof *h);
		h[n++] = (struct store_hist){ store_get_be64(v.mv_data), NULL };
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto fail;
	rc = 0;
	listed = n;
	for (uint64_t seq = last_seq; seq != 0;) {
		Dispatch__Event *ev = NULL;
		bool seen = false;
		for (size_t i = 0; i < listed && !seen; i++)
			seen = h[i].seq == seq;
		if (seen)
			break; /* the rest is listed */
		if ((rc = store_get_event(s, txn, seq, &ev)) != 0)
			goto fail;
		if (ev->ticket_id != id || (ev->ticket_prev_seq != 0 && ev->ticket_prev_seq >= seq)) {
			dispatch__event__free_unpacked(ev, NULL);
			rc = STORE_CORRUPT;
			goto fail;
		}
		if (n == cap)
			h = xrealloc(h, (cap = cap ? 2 * cap : 16) * sizeof *h);
		h[n++] = (struct store_hist){ seq, ev };
		seq = ev->ticket_prev_seq;
		if (!keep) {
			dispatch__event__free_unpacked(ev, NULL);
			h[n - 1].ev = NULL;
		}
	}
	if (n > 1)
		qsort(h, n, sizeof *h, store_hist_cmp);
	*out = h;
	*nout = n;
	return 0;
fail:
	store_hist_free(h, n);
	return rc;
}

int store_ticket_history(store_t *s, MDB_txn *txn, uint64_t id, store_event_fn *fn, void *arg)
{
	Dispatch__Ticket *t = NULL;
	struct store_hist *h = NULL;
	size_t n = 0, i;
	int rc = store_get_ticket(s, txn, id, &t);

	if (rc == STORE_NOTFOUND)
		rc = store_history(s, txn, id, 0, true, &h, &n); /* what ticket_events lists, if anything */
	else if (rc == 0)
		rc = store_history(s, txn, id, t->last_seq, true, &h, &n);
	if (t)
		dispatch__ticket__free_unpacked(t, NULL);
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++) {
		Dispatch__Event *ev = h[i].ev;
		int r;
		h[i].ev = NULL;
		if (ev == NULL && (rc = store_get_event(s, txn, h[i].seq, &ev)) != 0)
			break;
		r = fn(ev, arg); /* fn owns ev */
		if (r != 0) {
			rc = r < 0 ? r : 0;
			break;
		}
	}
	store_hist_free(h, n);
	return rc;
}

int store_history_count(store_t *s, MDB_txn *txn, const Dispatch__Ticket *t, uint64_t *n)
{
	struct store_hist *h = NULL;
	size_t nh = 0;
	int rc = store_history(s, txn, t->id, t->last_seq, false, &h, &nh);

	if (rc == 0)
		*n = nh;
	free(h);
	return rc;
}

struct store_event_walk {
	store_event_fn *fn;
	void *arg;
};

static int store_event_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_event_walk *w = arg;
	MDB_val d = *v;
	(void)k;
	return store_visit_event(&d, w->fn, w->arg);
}

int store_events_from(store_t *s, MDB_txn *txn, uint64_t from_seq, store_event_fn *fn, void *arg)
{
	struct store_event_walk w = { fn, arg };
	unsigned char kb[8];
	MDB_val start = { 8, kb };

	store_be64(kb, from_seq);
	return store_walk(txn, s->events, &start, store_event_step, &w);
}

struct store_record_walk {
	store_record_fn *fn;
	void *arg;
};

static int store_record_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_record_walk *w = arg;

	if (k->mv_size != 8)
		return STORE_CORRUPT;
	return w->fn(store_get_be64(k->mv_data), v->mv_data, v->mv_size, w->arg);
}

int store_event_records(store_t *s, MDB_txn *txn, uint64_t from_seq, store_record_fn *fn, void *arg)
{
	struct store_record_walk w = { fn, arg };
	unsigned char kb[8];
	MDB_val start = { 8, kb };

	store_be64(kb, from_seq);
	return store_walk(txn, s->events, &start, store_record_step, &w);
}

/* The ids under name in index ix (every name's, if name is NULL); open:
 * only the by-unit keys that say open. */
static int store_index_scan_as(MDB_txn *txn, struct store_ix ix, const char *name, bool open, store_id_fn *fn,
			       void *arg)
{
	unsigned char kb[STORE_KEY_MAX];
	size_t plen = ix.tag != 0;
	MDB_cursor *cur = NULL;
	MDB_val k = { plen, kb }, v;
	int rc, op = plen ? MDB_SET_RANGE : MDB_FIRST;

	kb[0] = ix.tag;
	if (name) {
		plen = store_index_key(kb, sizeof kb, ix, name, 0) - 8;
		k.mv_size = plen + 8;
		op = MDB_SET_RANGE;
	}
	if ((rc = mdb_cursor_open(txn, ix.dbi, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, op); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int r;
		if (k.mv_size < plen || memcmp(k.mv_data, kb, plen) != 0)
			break; /* past this name's (or this index's) keys */
		if (k.mv_size < 9 || (name && k.mv_size != plen + 8)) {
			rc = STORE_CORRUPT;
			break;
		}
		if (open && !store_unit_open(&v))
			continue;
		r = fn(store_get_be64((const char *)k.mv_data + k.mv_size - 8), arg);
		if (r != 0) {
			rc = r < 0 ? r : 0;
			goto done;
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	mdb_cursor_close(cur);
	return rc;
}

static int store_index_scan(MDB_txn *txn, struct store_ix ix, const char *name, store_id_fn *fn, void *arg)
{
	return store_index_scan_as(txn, ix, name, false, fn, arg);
}

int store_open_ids(store_t *s, MDB_txn *txn, const char *crew, const char *member, store_id_fn *fn, void *arg)
{
	return member ? store_index_scan(txn, store_ix_of(s, STORE_TAG_MEMBER), member, fn, arg)
		      : store_index_scan(txn, store_ix_of(s, STORE_TAG_CREW), crew, fn, arg);
}

/* The open tickets at one unit: its by-unit keys whose value says open. */
int store_open_ids_by_unit(store_t *s, MDB_txn *txn, const char *unit, store_id_fn *fn, void *arg)
{
	if (strlen(unit) + 10 > STORE_KEY_MAX)
		return 0; /* longer than any unit: none */
	return store_index_scan_as(txn, store_ix_of(s, STORE_TAG_ALL_UNIT), unit, true, fn, arg);
}

int store_asset_move(store_t *s, MDB_txn *txn, const Dispatch__Ticket *old, const Dispatch__Ticket *t)
{
	const char *was = old ? old->asset : NULL;
	int rc = store_index_move(txn, store_ix_of(s, STORE_TAG_ASSET), t->id, was, old != NULL && was[0], t->asset,
				  t->asset[0] != '\0');

	if (rc == 0)
		rc = store_index_move(txn, store_ix_of(s, STORE_TAG_OPEN_ASSET), t->id, was,
				      old != NULL && was[0] && store_is_open(old->state), t->asset,
				      t->asset[0] && store_is_open(t->state));
	return rc;
}

int store_asset_tickets(store_t *s, MDB_txn *txn, const char *asset, bool open_only, store_id_fn *fn, void *arg)
{
	if (asset == NULL || asset[0] == '\0' || strlen(asset) + 10 > STORE_KEY_MAX)
		return 0;
	return store_index_scan(txn, store_ix_of(s, open_only ? STORE_TAG_OPEN_ASSET : STORE_TAG_ASSET), asset, fn,
				arg);
}

static int store_count_id(uint64_t id, void *arg)
{
	(void)id;
	++*(unsigned *)arg;
	return 0;
}

int store_asset_counts(store_t *s, MDB_txn *txn, const char *asset, unsigned *all, unsigned *open)
{
	int rc;

	*all = *open = 0;
	if ((rc = store_asset_tickets(s, txn, asset, false, store_count_id, all)) != 0)
		return rc;
	return store_asset_tickets(s, txn, asset, true, store_count_id, open);
}

int store_vendor_incident_ids(store_t *s, MDB_txn *txn, const char *vendor, store_id_fn *fn, void *arg)
{
	return store_index_scan(txn, (struct store_ix){ s->vendor_incidents, 0 }, vendor, fn, arg);
}

int store_open_count(store_t *s, MDB_txn *txn, const char *member, unsigned *count)
{
	const struct store_load *e = store_load_find(s, member);

	(void)txn; /* the load table is in step with s's own write transaction */
	*count = e ? e->open : 0;
	return 0;
}

struct store_ticket_walk {
	store_ticket_fn *fn;
	void *arg;
};

static int store_ticket_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_ticket_walk *w = arg;
	Dispatch__Ticket *t = dispatch__ticket__unpack(NULL, v->mv_size, v->mv_data);
	(void)k;
	return t ? w->fn(t, w->arg) : STORE_CORRUPT;
}

int store_tickets(store_t *s, MDB_txn *txn, store_ticket_fn *fn, void *arg)
{
	struct store_ticket_walk w = { fn, arg };
	return store_walk(txn, s->tickets, NULL, store_ticket_step, &w);
}

int store_tickets_desc(store_t *s, MDB_txn *txn, uint64_t before_id, store_raw_ticket_fn *fn, void *arg)
{
	MDB_cursor *cur = NULL;
	unsigned char kb[8];
	MDB_val k = { 8, kb }, v;
	int rc, op;

	if ((rc = mdb_cursor_open(txn, s->tickets, &cur)) != 0)
		return rc;
	if (before_id == 0) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	} else {
		store_be64(kb, before_id);
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND) /* every id is below before_id */
			rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		else if (rc == 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_PREV); /* the first at or above it: one back */
	}
	for (op = MDB_PREV; rc == 0; rc = mdb_cursor_get(cur, &k, &v, op)) {
		int r;
		if (k.mv_size != 8) {
			rc = STORE_CORRUPT;
			break;
		}
		r = fn(store_get_be64(k.mv_data), v.mv_data, v.mv_size, arg);
		if (r != 0) {
			rc = r < 0 ? r : 0;
			goto done;
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	mdb_cursor_close(cur);
	return rc;
}

int store_ticket_bytes(store_t *s, MDB_txn *txn, uint64_t id, const void **data, size_t *len)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	store_be64(kb, id);
	rc = mdb_get(txn, s->tickets, &k, &d);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return rc;
	*data = d.mv_data;
	*len = d.mv_size;
	return 0;
}

struct store_unit_walk {
	store_unit_fn *fn;
	void *arg;
	const unsigned char *prefix;
	size_t plen; /* the tag and the unit prefix */
};

static int store_unit_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_unit_walk *w = arg;
	const char *kb = k->mv_data;
	char unit[STORE_KEY_MAX];

	(void)v;
	if (k->mv_size < w->plen || memcmp(kb, w->prefix, w->plen) != 0)
		return 1; /* past the units with this prefix */
	if (k->mv_size < 10 || kb[k->mv_size - 9] != '\0' || memchr(kb + 1, '\0', k->mv_size - 10) != NULL)
		return STORE_CORRUPT;
	memcpy(unit, kb + 1, k->mv_size - 9);
	return w->fn(unit, store_get_be64(kb + k->mv_size - 8), w->arg);
}

int store_unit_tickets(store_t *s, MDB_txn *txn, const char *prefix, store_unit_fn *fn, void *arg)
{
	unsigned char kb[STORE_KEY_MAX];
	size_t n = strlen(prefix);
	struct store_unit_walk w = { fn, arg, kb, n + 1 };
	MDB_val start = { n + 1, kb };

	if (n + 1 > sizeof kb)
		return 0; /* longer than any unit: none */
	kb[0] = STORE_TAG_ALL_UNIT;
	memcpy(kb + 1, prefix, n);
	return store_walk(txn, s->idx, &start, store_unit_step, &w);
}

struct store_created_walk {
	store_id_fn *fn;
	void *arg;
	int64_t to_ms;
};

static int store_created_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_created_walk *w = arg;
	const unsigned char *kb = k->mv_data;

	(void)v;
	if (k->mv_size < 1 || kb[0] != STORE_TAG_CREATED)
		return 1; /* past the creation times */
	if (k->mv_size != STORE_CREATED_KEY)
		return STORE_CORRUPT;
	if (w->to_ms > 0 && (int64_t)store_get_be64(kb + 1) >= w->to_ms)
		return 1;
	return w->fn(store_get_be64(kb + 9), w->arg);
}

int store_created_tickets(store_t *s, MDB_txn *txn, int64_t from_ms, int64_t to_ms, store_id_fn *fn, void *arg)
{
	unsigned char kb[STORE_CREATED_KEY];
	struct store_created_walk w = { fn, arg, to_ms };
	MDB_val start = { STORE_CREATED_KEY, kb };

	store_created_key(kb, from_ms, 0);
	return store_walk(txn, s->idx, &start, store_created_step, &w);
}

int store_reply_key(unsigned char out[STORE_REPLY_KEY_MAX], Dispatch__Role role, const char *who,
		    const char *request_id, size_t *len)
{
	size_t wl = strlen(who), rl = strlen(request_id);

	/* request ids are checked to be at most 64 bytes, identities 32 */
	if ((unsigned)role == 0 || (unsigned)role > 255 || wl > 64 || rl > 256)
		return EINVAL;
	out[0] = (unsigned char)role;
	memcpy(out + 1, who, wl);
	out[1 + wl] = '\0';
	memcpy(out + 2 + wl, request_id, rl);
	*len = 2 + wl + rl;
	return 0;
}

int store_get_reply(store_t *s, MDB_txn *txn, Dispatch__Role role, const char *who, const char *request_id,
		    int64_t not_before_ms, uint8_t digest[STORE_DIGEST_LEN], const void **data, size_t *len)
{
	unsigned char kb[STORE_REPLY_KEY_MAX];
	MDB_val k = { 0, kb }, d;
	int rc;

	if ((rc = store_reply_key(kb, role, who, request_id, &k.mv_size)) != 0)
		return rc;
	if ((rc = mdb_get(txn, s->requests, &k, &d)) == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return rc;
	if (d.mv_size < 8 + STORE_DIGEST_LEN)
		return STORE_CORRUPT;
	/* past the window: forgotten, whether or not the sweep has been by */
	if ((int64_t)store_get_be64(d.mv_data) < not_before_ms)
		return STORE_NOTFOUND;
	memcpy(digest, (const char *)d.mv_data + 8, STORE_DIGEST_LEN);
	*data = (const char *)d.mv_data + 8 + STORE_DIGEST_LEN;
	*len = d.mv_size - 8 - STORE_DIGEST_LEN;
	return 0;
}

/* Write a stored reply under its key k (store_reply_key): the time, the
 * request's digest, the reply. (Schema 9: no entry in a time order beside
 * it; store_expire_replies() finds the old ones by sweeping.) */
int store_put_reply_at(store_t *s, MDB_txn *txn, const unsigned char *kb, size_t klen,
		       const uint8_t digest[STORE_DIGEST_LEN], int64_t now_ms, const void *data, size_t len)
{
	MDB_val k = { klen, (void *)kb }, d = { len + 8 + STORE_DIGEST_LEN, NULL };
	int rc;

	assert(klen <= STORE_REPLY_KEY_MAX);
	if ((rc = store_put(txn, s->requests, &k, &d, MDB_RESERVE)) != 0)
		return rc;
	store_be64(d.mv_data, (uint64_t)now_ms);
	memcpy((char *)d.mv_data + 8, digest, STORE_DIGEST_LEN);
	memcpy((char *)d.mv_data + 8 + STORE_DIGEST_LEN, data, len);
	return 0;
}

int store_put_reply(store_t *s, MDB_txn *txn, Dispatch__Role role, const char *who, const char *request_id,
		    const uint8_t digest[STORE_DIGEST_LEN], int64_t now_ms, const void *data, size_t len)
{
	unsigned char kb[STORE_REPLY_KEY_MAX];
	size_t klen;
	int rc;

	if ((rc = store_reply_key(kb, role, who, request_id, &klen)) != 0)
		return rc;
	return store_put_reply_at(s, txn, kb, klen, digest, now_ms, data, len);
}

int store_expire_replies(store_t *s, MDB_txn *txn, int64_t before_ms, unsigned max, unsigned *n)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	unsigned seen = 0;
	int rc;

	*n = 0;
	if ((rc = mdb_cursor_open(txn, s->requests, &cur)) != 0)
		return rc;
	/* on from the key after the last pass's last, or from the first */
	k.mv_size = s->sweep_len;
	k.mv_data = s->sweep_key;
	rc = mdb_cursor_get(cur, &k, &v, s->sweep_len ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0 && seen < max) {
		seen++;
		if (v.mv_size < 8) {
			rc = STORE_CORRUPT;
			break;
		}
		if (k.mv_size <= sizeof s->sweep_key) {
			memcpy(s->sweep_key, k.mv_data, k.mv_size);
			s->sweep_len = k.mv_size;
		}
		if ((int64_t)store_get_be64(v.mv_data) < before_ms) {
			if ((rc = store_cursor_del(cur, 0)) != 0)
				break;
			(*n)++;
			/* on from the first key after the one that went */
			k.mv_size = s->sweep_len;
			k.mv_data = s->sweep_key;
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		} else {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
	}
	if (rc == MDB_NOTFOUND) { /* the end: the next pass starts from the first again */
		s->sweep_len = 0;
		rc = 0;
	}
	mdb_cursor_close(cur);
	return rc;
}

static struct store_ix store_index_ix(store_t *s, enum store_index which)
{
	switch (which) {
	case STORE_OPEN_BY_MEMBER: return store_ix_of(s, STORE_TAG_MEMBER);
	case STORE_OPEN_BY_CREW: return store_ix_of(s, STORE_TAG_CREW);
	case STORE_VENDOR_INCIDENTS: return (struct store_ix){ s->vendor_incidents, 0 };
	case STORE_BY_ASSET: return store_ix_of(s, STORE_TAG_ASSET);
	case STORE_OPEN_BY_ASSET: return store_ix_of(s, STORE_TAG_OPEN_ASSET);
	default: return store_ix_of(s, STORE_TAG_ALL_UNIT); /* the by-unit keys that say open */
	}
}

struct store_index_walk {
	store_index_fn *fn;
	void *arg;
	unsigned char tag;
	bool open_only; /* the by-unit keys: those whose value says open */
};

static int store_index_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_index_walk *w = arg;
	const char *kb = k->mv_data;
	size_t at = w->tag != 0;
	char name[STORE_KEY_MAX];
	if (at && (k->mv_size < 1 || (unsigned char)kb[0] != w->tag))
		return 1; /* past this index's keys */
	if (k->mv_size < at + 9 || kb[k->mv_size - 9] != '\0' || memchr(kb + at, '\0', k->mv_size - 9 - at) != NULL)
		return STORE_CORRUPT;
	if (w->open_only && !store_unit_open(v))
		return 0;
	memcpy(name, kb + at, k->mv_size - 8 - at);
	return w->fn(name, store_get_be64(kb + k->mv_size - 8), w->arg);
}

int store_each_index(store_t *s, MDB_txn *txn, enum store_index which, store_index_fn *fn, void *arg)
{
	struct store_ix ix = store_index_ix(s, which);
	struct store_index_walk w = { fn, arg, ix.tag, which == STORE_OPEN_BY_UNIT };
	MDB_val start = { 1, &w.tag };
	return store_walk(txn, ix.dbi, ix.tag ? &start : NULL, store_index_step, &w);
}

int store_index_has(store_t *s, MDB_txn *txn, enum store_index which, const char *name, uint64_t id, int *has)
{
	unsigned char kb[STORE_KEY_MAX];
	MDB_val k = { 0, kb }, d;
	int rc;

	struct store_ix ix = store_index_ix(s, which);

	if (strlen(name) + 10 > sizeof kb) {
		*has = 0;
		return 0;
	}
	k.mv_size = store_index_key(kb, sizeof kb, ix, name, id);
	rc = mdb_get(txn, ix.dbi, &k, &d);
	*has = rc == 0;
	if (rc == 0 && which == STORE_OPEN_BY_UNIT)
		*has = store_unit_open(&d);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct store_pair_walk {
	store_pair_fn *fn;
	void *arg;
};

static int store_pair_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_pair_walk *w = arg;
	if (k->mv_size != 8 || v->mv_size != 8)
		return STORE_CORRUPT;
	return w->fn(store_get_be64(k->mv_data), store_get_be64(v->mv_data), w->arg);
}

int store_each_ticket_event(store_t *s, MDB_txn *txn, store_pair_fn *fn, void *arg)
{
	struct store_pair_walk w = { fn, arg };
	return store_walk(txn, s->ticket_events, NULL, store_pair_step, &w);
}

int store_last_ticket(store_t *s, MDB_txn *txn, uint64_t *id)
{
	return store_meta_get_u64(s, txn, "last_ticket", id);
}

bool store_is_full(store_t *s, int rc)
{
	struct statvfs st;
	mdb_filehandle_t fd;

	if (rc == MDB_MAP_FULL || rc == ENOSPC || rc == EDQUOT)
		return true;
	if (rc != EIO || s == NULL || mdb_env_get_fd(s->env, &fd) != 0 || fstatvfs(fd, &st) != 0)
		return false;
	return (uint64_t)st.f_bavail * st.f_frsize < STORE_LOW_SPACE;
}

size_t store_map_size(store_t *s)
{
	MDB_envinfo info;
	mdb_env_info(s->env, &info);
	return info.me_mapsize;
}

int store_grow(store_t *s, size_t max_size, size_t *new_size)
{
	size_t size = store_map_size(s), next = size * 2;

	if (max_size && next > max_size)
		next = max_size;
	if (next <= size)
		return -1;
	if (mdb_env_set_mapsize(s->env, next) != 0)
		return -1;
	*new_size = next;
	return 0;
}

int store_next_outage_id(store_t *s, MDB_txn *txn, uint64_t *id)
{
	uint64_t last;
	int rc = store_meta_get_u64(s, txn, "last_outage", &last);

	if (rc != 0)
		return rc;
	*id = last + 1;
	return store_meta_put_u64(s, txn, "last_outage", *id);
}

int store_put_outage(store_t *s, MDB_txn *txn, const Dispatch__Outage *o)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d = { dispatch__outage__get_packed_size(o), NULL };
	int rc;

	store_be64(kb, o->id);
	if ((rc = store_put(txn, s->outages, &k, &d, MDB_RESERVE)) != 0)
		return rc;
	dispatch__outage__pack(o, d.mv_data);
	return 0;
}

int store_get_outage(store_t *s, MDB_txn *txn, uint64_t id, Dispatch__Outage **out)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	store_be64(kb, id);
	rc = mdb_get(txn, s->outages, &k, &d);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return rc;
	STORE_UNPACK(Dispatch__Outage, dispatch__outage__unpack, d, out);
	return 0;
}

struct store_outage_walk {
	store_outage_fn *fn;
	void *arg;
};

static int store_outage_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_outage_walk *w = arg;
	Dispatch__Outage *o = dispatch__outage__unpack(NULL, v->mv_size, v->mv_data);
	(void)k;
	return o ? w->fn(o, w->arg) : STORE_CORRUPT;
}

int store_outages(store_t *s, MDB_txn *txn, store_outage_fn *fn, void *arg)
{
	struct store_outage_walk w = { fn, arg };
	return store_walk(txn, s->outages, NULL, store_outage_step, &w);
}

int store_put_duty(store_t *s, MDB_txn *txn, const char *member, int duty)
{
	unsigned char b = duty ? 1 : 0;
	MDB_val k = { strlen(member), (void *)member }, d = { 1, &b };

	return store_put(txn, s->duty, &k, &d, 0);
}

/* Member-keyed tables (duty, presence): the key as a C string. */
static int store_member_key(const MDB_val *k, char *member, size_t len)
{
	if (k->mv_size == 0 || k->mv_size >= len)
		return STORE_CORRUPT;
	memcpy(member, k->mv_data, k->mv_size);
	member[k->mv_size] = '\0';
	return 0;
}

struct store_duty_walk {
	store_duty_fn *fn;
	void *arg;
};

static int store_duty_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_duty_walk *w = arg;
	char member[64];
	if (v->mv_size != 1 || store_member_key(k, member, sizeof member) != 0)
		return STORE_CORRUPT;
	return w->fn(member, *(const unsigned char *)v->mv_data, w->arg);
}

int store_duties(store_t *s, MDB_txn *txn, store_duty_fn *fn, void *arg)
{
	struct store_duty_walk w = { fn, arg };
	return store_walk(txn, s->duty, NULL, store_duty_step, &w);
}

int store_put_presence(store_t *s, MDB_txn *txn, const char *member, int64_t last_seen_ms)
{
	unsigned char b[8];
	MDB_val k = { strlen(member), (void *)member }, d = { 8, b };

	store_be64(b, (uint64_t)last_seen_ms);
	return store_put(txn, s->presence, &k, &d, 0);
}

struct store_presence_walk {
	store_presence_fn *fn;
	void *arg;
};

static int store_presence_step(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_presence_walk *w = arg;
	char member[64];
	if (v->mv_size != 8 || store_member_key(k, member, sizeof member) != 0)
		return STORE_CORRUPT;
	return w->fn(member, (int64_t)store_get_be64(v->mv_data), w->arg);
}

int store_presences(store_t *s, MDB_txn *txn, store_presence_fn *fn, void *arg)
{
	struct store_presence_walk w = { fn, arg };
	return store_walk(txn, s->presence, NULL, store_presence_step, &w);
}

int store_backup(store_t *s, const char *dest, char *err, size_t errlen)
{
	char path[4096];
	int rc;

	if (mkdir(dest, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dest, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/data.mdb", dest);
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s already holds a store; back up into an empty directory", dest);
		return -1;
	}
	/* A read transaction's snapshot, compacted: the daemon keeps writing. */
	if ((rc = mdb_env_copy2(s->env, dest, MDB_CP_COMPACT)) != 0) {
		snprintf(err, errlen, "cannot copy the store to %s: %s", dest, mdb_strerror(rc));
		unlink(path);
		return -1;
	}
	return 0;
}

/* Replace one stored event with its tombstone. The tombstone keeps the
 * original's place in the hash chain: its prev_hash, and the original's
 * link as purged_hash, so the next record still links to it (chain.h). */
int store_tombstone(store_t *s, MDB_txn *txn, uint64_t seq)
{
	Dispatch__Event *ev = NULL, t = DISPATCH__EVENT__INIT;
	uint8_t prev[CHAIN_HASH_LEN], link[CHAIN_HASH_LEN];
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	store_be64(kb, seq);
	rc = mdb_get(txn, s->events, &k, &d);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if ((ev = dispatch__event__unpack(NULL, d.mv_size, d.mv_data)) == NULL)
		return STORE_CORRUPT;
	if (ev->type == DISPATCH__EVENT_TYPE__EVENT_PURGED || ev->prev_hash.len != CHAIN_HASH_LEN) {
		rc = ev->type == DISPATCH__EVENT_TYPE__EVENT_PURGED ? 0 : STORE_CORRUPT; /* already one; or unchained */
		dispatch__event__free_unpacked(ev, NULL);
		return rc;
	}
	chain_link(ev, d.mv_data, d.mv_size, link);
	memcpy(prev, ev->prev_hash.data, CHAIN_HASH_LEN);
	t.seq = ev->seq;
	t.ticket_id = ev->ticket_id;
	t.time_ms = ev->time_ms;
	t.type = DISPATCH__EVENT_TYPE__EVENT_PURGED;
	t.prev_hash.data = prev;
	t.prev_hash.len = CHAIN_HASH_LEN;
	t.purged_hash.data = link;
	t.purged_hash.len = CHAIN_HASH_LEN;
	dispatch__event__free_unpacked(ev, NULL);
	d.mv_size = dispatch__event__get_packed_size(&t);
	if ((rc = store_put(txn, s->events, &k, &d, MDB_RESERVE)) != 0)
		return rc;
	dispatch__event__pack(&t, d.mv_data);
	return 0;
}

int store_purge(store_t *s, MDB_txn *txn, int64_t before_ms, uint64_t *tickets, uint64_t *events)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc;

	*tickets = *events = 0;
	if ((rc = mdb_cursor_open(txn, s->tickets, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		Dispatch__Ticket *t = dispatch__ticket__unpack(NULL, v.mv_size, v.mv_data);
		struct store_hist *h = NULL;
		uint64_t id, last_seq;
		size_t nh = 0;
		int r;

		if (t == NULL) {
			rc = STORE_CORRUPT;
			break;
		}
		id = t->id;
		last_seq = t->last_seq;
		r = store_is_open(t->state) || t->updated_ms >= before_ms;
		if (r == 0)
			rc = store_search_set(s, txn, t, false); /* its search entries go with it */
		if (r == 0 && rc == 0 && t->asset[0])            /* and its asset history's (issue 19) */
			rc = store_index_set(txn, store_ix_of(s, STORE_TAG_ASSET), t->asset, t->id, false);
		dispatch__ticket__free_unpacked(t, NULL);
		if (rc != 0)
			break;
		if (r)
			continue;
		/* its history (found before any of it is a tombstone): every event
		 * becomes one, then what ticket_events lists of it goes */
		if ((rc = store_history(s, txn, id, last_seq, false, &h, &nh)) != 0)
			break;
		for (size_t i = 0; i < nh && rc == 0; i++)
			if ((rc = store_tombstone(s, txn, h[i].seq)) == 0)
				(*events)++;
		free(h);
		if (rc != 0)
			break;
		if ((rc = store_del(txn, s->ticket_events, &k, NULL)) != 0 && rc != MDB_NOTFOUND)
			break;
		if ((rc = store_cursor_del(cur, 0)) != 0)
			break;
		(*tickets)++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- secrets in meta (issue 17) ------------------------------------------ */

int store_meta_get_bytes(store_t *s, MDB_txn *txn, const char *name, const void **data, size_t *len)
{
	MDB_val k = { strlen(name), (void *)name }, d;
	int rc = mdb_get(txn, s->meta, &k, &d);

	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return rc;
	*data = d.mv_data;
	*len = d.mv_size;
	return 0;
}

int store_meta_put_bytes(store_t *s, MDB_txn *txn, const char *name, const void *data, size_t len)
{
	MDB_val k = { strlen(name), (void *)name }, d = { len, (void *)data };

	return store_put(txn, s->meta, &k, &d, 0);
}

/* ---- issue 19: planned work's marks (plan.h) ------------------------------ */

int store_plan_mark(store_t *s, MDB_txn *txn, const char *key, uint64_t *v)
{
	if (strncmp(key, "plan", 4) != 0)
		return EINVAL;
	return store_meta_get_u64(s, txn, key, v);
}

int store_plan_set_mark(store_t *s, MDB_txn *txn, const char *key, uint64_t v)
{
	if (strncmp(key, "plan", 4) != 0)
		return EINVAL;
	return store_meta_put_u64(s, txn, key, v);
}
