/* Unit tests for the LMDB store (daemon/store.c) on a real file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lmdb.h>
#include <sodium.h>

#include "store.h"
#include "verify.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/dispatchd-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static store_t *open_store(void)
{
	char err[512];
	store_t *s = store_open(dir, 0, err, sizeof err);
	ck_assert_msg(s != NULL, "store_open: %s", err);
	return s;
}

/* The store's file opened with plain LMDB, behind the store's back (the
 * store closed first), and a transaction on it: flags 0 or MDB_RDONLY. */
static void raw_begin(MDB_env **env, MDB_txn **txn, unsigned flags)
{
	ck_assert_int_eq(mdb_env_create(env), 0);
	mdb_env_set_maxdbs(*env, 32);
	ck_assert_int_eq(mdb_env_open(*env, dir, flags, 0640), 0);
	ck_assert_int_eq(mdb_txn_begin(*env, NULL, flags, txn), 0);
}

/* Write a ticket in state st for member m, with one event, and commit. */
static uint64_t put_ticket(store_t *s, Dispatch__State st, const char *crew, const char *member)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	MDB_txn *txn;

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_next_ticket_id(s, txn, &t.id), 0);
	t.state = st;
	t.unit = (char *)"12-1A";
	t.crew = (char *)crew;
	t.member = (char *)member;
	t.kind = DISPATCH__KIND__KIND_REPAIR;
	ev.ticket_id = t.id;
	ev.type = DISPATCH__EVENT_TYPE__EVENT_SUBMITTED;
	ev.member = (char *)member;
	ev.to_state = st;
	ck_assert_int_eq(store_append_event(s, txn, &ev, NULL, NULL), 0);
	t.last_seq = ev.seq;
	ck_assert_int_eq(store_put_ticket(s, txn, &t), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	return t.id;
}

static unsigned open_count(store_t *s, const char *member)
{
	MDB_txn *txn;
	unsigned n;
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_open_count(s, txn, member, &n), 0);
	store_txn_abort(txn);
	return n;
}

/* The ids the open index `which` holds under name, read through the index
 * itself (a cursor over its keys), at most 15: ids[0] is how many. */
static int collect_id(uint64_t id, void *arg)
{
	uint64_t *v = arg;
	ck_assert_uint_lt(v[0], 15);
	v[++v[0]] = id;
	return 0;
}

static void index_ids(store_t *s, enum store_index which, const char *name, uint64_t ids[16])
{
	MDB_txn *txn;

	memset(ids, 0, 16 * sizeof *ids);
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	if (which == STORE_OPEN_BY_MEMBER)
		ck_assert_int_eq(store_open_ids(s, txn, NULL, name, collect_id, ids), 0);
	else
		ck_assert_int_eq(store_open_ids(s, txn, name, NULL, collect_id, ids), 0);
	store_txn_abort(txn);
}

/* Whether the open index `which` has the key (name, id): a point lookup. */
static int index_has(store_t *s, enum store_index which, const char *name, uint64_t id)
{
	MDB_txn *txn;
	int has = -1;

	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_index_has(s, txn, which, name, id, &has), 0);
	store_txn_abort(txn);
	return has;
}

/* The member index under name holds exactly the one ticket id (0: none),
 * by cursor and by lookup, and the load count agrees with it. */
static void member_index_is(store_t *s, const char *name, uint64_t id)
{
	uint64_t ids[16];

	index_ids(s, STORE_OPEN_BY_MEMBER, name, ids);
	if (id == 0) {
		ck_assert_msg(ids[0] == 0, "member index under %s holds %u id(s), the first %u; expected none", name,
			      (unsigned)ids[0], (unsigned)ids[1]);
	} else {
		ck_assert_msg(ids[0] == 1 && ids[1] == id,
			      "member index under %s holds %u id(s), the first %u; expected %u", name, (unsigned)ids[0],
			      (unsigned)ids[1], (unsigned)id);
		ck_assert_msg(index_has(s, STORE_OPEN_BY_MEMBER, name, id) == 1, "no member index key (%s, %u)", name,
			      (unsigned)id);
	}
	ck_assert_uint_eq(open_count(s, name), ids[0]);
}

START_TEST(put_get_and_reopen)
{
	store_t *s = open_store();
	Dispatch__Ticket *t = NULL;
	MDB_txn *txn;
	uint64_t id1 = put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	uint64_t id2 = put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	uint64_t seq;

	ck_assert_uint_eq(id1, 1);
	ck_assert_uint_eq(id2, 2);
	store_destroy(&s);
	ck_assert_ptr_null(s);
	store_destroy(&s); /* safe on NULL */

	s = open_store();
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_get_ticket(s, txn, 2, &t), 0);
	ck_assert_str_eq(t->unit, "12-1A");
	ck_assert_str_eq(t->member, "T07");
	dispatch__ticket__free_unpacked(t, NULL);
	ck_assert_int_eq(store_get_ticket(s, txn, 3, &t), STORE_NOTFOUND);
	ck_assert_int_eq(store_last_seq(s, txn, &seq), 0);
	ck_assert_uint_eq(seq, 2);
	store_txn_abort(txn);
	/* ids keep increasing after a reopen */
	ck_assert_uint_eq(put_ticket(s, DISPATCH__STATE__STATE_NEW, "technical", ""), 3);
	store_destroy(&s);
}
END_TEST

START_TEST(open_index_follows_the_state)
{
	store_t *s = open_store();
	Dispatch__Ticket *t = NULL;
	MDB_txn *txn;
	uint64_t ids[16];
	uint64_t id = put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	uint64_t id70 = put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T070");

	/* Read the index itself, not the in-memory load count: the count is
	 * kept beside the index and would pass with the index broken. */
	member_index_is(s, "T07", id);
	member_index_is(s, "T070", id70); /* a prefix is not a match */
	ck_assert_int_eq(index_has(s, STORE_OPEN_BY_MEMBER, "T07", id70), 0);
	index_ids(s, STORE_OPEN_BY_CREW, "technical", ids);
	ck_assert_uint_eq(ids[0], 2);

	/* reassign to T08, then close: the index moves, then empties */
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_get_ticket(s, txn, id, &t), 0);
	free(t->member);
	t->member = (char *)"T08"; /* a literal: reset before free_unpacked below */
	ck_assert_int_eq(store_put_ticket(s, txn, t), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	member_index_is(s, "T07", 0);
	member_index_is(s, "T08", id);
	member_index_is(s, "T070", id70);

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	t->state = DISPATCH__STATE__STATE_CLOSED;
	ck_assert_int_eq(store_put_ticket(s, txn, t), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	member_index_is(s, "T08", 0);
	ck_assert_int_eq(index_has(s, STORE_OPEN_BY_MEMBER, "T08", id), 0);
	index_ids(s, STORE_OPEN_BY_CREW, "technical", ids);
	ck_assert_msg(ids[0] == 1 && ids[1] == id70, "crew index after the close: %u id(s), the first %u",
		      (unsigned)ids[0], (unsigned)ids[1]);

	/* and after a reopen, which rebuilds the load count from the index */
	store_destroy(&s);
	s = open_store();
	member_index_is(s, "T07", 0);
	member_index_is(s, "T08", 0);
	member_index_is(s, "T070", id70);
	t->member = NULL;
	dispatch__ticket__free_unpacked(t, NULL);
	store_destroy(&s);
}
END_TEST

static int collect_seq(Dispatch__Event *ev, void *arg)
{
	uint64_t *v = arg;
	v[++v[0]] = ev->seq;
	dispatch__event__free_unpacked(ev, NULL);
	return 0;
}

START_TEST(event_log_is_dense_and_history_is_per_ticket)
{
	store_t *s = open_store();
	uint64_t seqs[16] = { 0 };
	MDB_txn *txn;

	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_events_from(s, txn, 2, collect_seq, seqs), 0);
	ck_assert_uint_eq(seqs[0], 2);
	ck_assert_uint_eq(seqs[1], 2);
	ck_assert_uint_eq(seqs[2], 3);
	memset(seqs, 0, sizeof seqs);
	ck_assert_int_eq(store_ticket_history(s, txn, 2, collect_seq, seqs), 0);
	ck_assert_uint_eq(seqs[0], 1);
	ck_assert_uint_eq(seqs[1], 2);
	store_txn_abort(txn);
	store_destroy(&s);
}
END_TEST

/* store_append_event() packs the snapshot once and puts its bytes into the
 * event where protobuf-c would: the stored record is byte for byte the
 * event packed whole (the hash chain, verify and head office's copy rely
 * on that), and the tickets database holds the same snapshot's bytes. */
struct one_record {
	uint64_t seq;
	uint8_t *data;
	size_t len;
};

static int keep_record(uint64_t seq, const void *data, size_t len, void *arg)
{
	struct one_record *r = arg;
	if (seq != r->seq)
		return 0;
	r->data = malloc(len);
	memcpy(r->data, data, len);
	r->len = len;
	return 1;
}

START_TEST(an_event_is_stored_as_if_packed_whole)
{
	store_t *s = open_store();
	Dispatch__Ticket t = DISPATCH__TICKET__INIT, other = DISPATCH__TICKET__INIT;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	Dispatch__CostPart part = DISPATCH__COST_PART__INIT, *parts[1] = { &part };
	char *tags[2] = { (char *)"lift", (char *)"night" };
	uint8_t zero[32] = { 0 }, *whole;
	struct one_record rec = { 0 };
	const void *tb;
	size_t tl, n;
	MDB_txn *txn;

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_next_ticket_id(s, txn, &t.id), 0);
	t.state = DISPATCH__STATE__STATE_ASSIGNED;
	t.unit = (char *)"12-1A";
	t.crew = (char *)"technical";
	t.member = (char *)"T07";
	t.text = (char *)"the lift stops between floors 3 and 4; 電梯停了";
	t.n_tags = 2;
	t.tags = tags;
	t.n_parts = 1;
	t.parts = parts;
	part.item = (char *)"fuse-10a";
	part.quantity = 2;
	part.unit_cents = 1250;
	t.created_ms = 1780000000000;
	t.due_ms = 1780000900000;
	t.visit_to_ms = 1780003600000;
	ev.ticket_id = t.id;
	ev.type = DISPATCH__EVENT_TYPE__EVENT_ASSIGNED;
	ev.actor = (char *)"desk-1";
	ev.member = (char *)"T07";
	ev.note = (char *)"a note before the snapshot's field";
	ev.to_state = t.state;
	ev.on_duty = 1;                                    /* 16 */
	ev.deadline = DISPATCH__DEADLINE__DEADLINE_ARRIVE; /* 18 */
	ev.on_behalf_of = (char *)"vendor-x";              /* 20 */
	ev.ticket = &t;
	ck_assert_int_eq(store_append_event(s, txn, &ev, NULL, NULL), 0);
	ck_assert_uint_eq(t.last_seq, ev.seq);
	ck_assert_ptr_eq(ev.ticket, &t);
	ck_assert_int_eq(store_put_ticket_snapshot(s, txn, &t), 0);
	/* another ticket is packed for itself, not given t's bytes */
	ck_assert_int_eq(store_next_ticket_id(s, txn, &other.id), 0);
	other.unit = (char *)"3-2B";
	other.state = DISPATCH__STATE__STATE_NEW;
	other.last_seq = ev.seq;
	ck_assert_int_eq(store_put_ticket_snapshot(s, txn, &other), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);

	ev.prev_hash.data = zero;
	ev.prev_hash.len = sizeof zero;
	n = dispatch__event__get_packed_size(&ev);
	whole = malloc(n);
	dispatch__event__pack(&ev, whole);
	rec.seq = ev.seq;
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_event_records(s, txn, ev.seq, keep_record, &rec), 0);
	ck_assert_ptr_nonnull(rec.data);
	ck_assert_uint_eq(rec.len, n);
	ck_assert_msg(memcmp(rec.data, whole, n) == 0, "the stored event differs from the event packed whole");
	free(whole);
	n = dispatch__ticket__get_packed_size(&t);
	whole = malloc(n);
	dispatch__ticket__pack(&t, whole);
	ck_assert_int_eq(store_ticket_bytes(s, txn, t.id, &tb, &tl), 0);
	ck_assert_uint_eq(tl, n);
	ck_assert(memcmp(tb, whole, n) == 0);
	free(whole);
	n = dispatch__ticket__get_packed_size(&other);
	whole = malloc(n);
	dispatch__ticket__pack(&other, whole);
	ck_assert_int_eq(store_ticket_bytes(s, txn, other.id, &tb, &tl), 0);
	ck_assert_uint_eq(tl, n);
	ck_assert(memcmp(tb, whole, n) == 0);
	free(whole);
	store_txn_abort(txn);
	free(rec.data);
	store_destroy(&s);
}
END_TEST

START_TEST(aborted_nested_txn_leaves_nothing)
{
	store_t *s = open_store();
	MDB_txn *txn, *child;
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	uint64_t seq, id;

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_txn_begin(s, txn, 0, &child), 0);
	ck_assert_int_eq(store_next_ticket_id(s, child, &id), 0);
	ck_assert_int_eq(store_append_event(s, child, &ev, NULL, NULL), 0);
	store_txn_abort(child);
	ck_assert_int_eq(store_last_seq(s, txn, &seq), 0);
	ck_assert_uint_eq(seq, 0);
	ck_assert_int_eq(store_next_ticket_id(s, txn, &id), 0);
	ck_assert_uint_eq(id, 1);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	store_destroy(&s);
}
END_TEST

/* The in-memory open counts follow what commits, not what is aborted,
 * and are rebuilt from the index on reopen. */
START_TEST(open_counts_follow_commits_and_aborts)
{
	store_t *s = open_store();
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	MDB_txn *txn, *child;
	uint64_t a = put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");

	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	put_ticket(s, DISPATCH__STATE__STATE_NEW, "technical", "");
	ck_assert_uint_eq(open_count(s, "T07"), 2);

	/* a child reassigns a to T08 and is aborted; a sibling closes it and commits */
	t.id = a;
	t.unit = (char *)"12-1A";
	t.crew = (char *)"technical";
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_txn_begin(s, txn, 0, &child), 0);
	t.state = DISPATCH__STATE__STATE_ASSIGNED;
	t.member = (char *)"T08";
	ck_assert_int_eq(store_put_ticket(s, child, &t), 0);
	ck_assert_uint_eq(open_count(s, "T08"), 1);
	store_txn_abort(child);
	ck_assert_uint_eq(open_count(s, "T08"), 0);
	ck_assert_uint_eq(open_count(s, "T07"), 2);
	ck_assert_int_eq(store_txn_begin(s, txn, 0, &child), 0);
	t.state = DISPATCH__STATE__STATE_CLOSED;
	t.member = (char *)"T07";
	ck_assert_int_eq(store_put_ticket(s, child, &t), 0);
	ck_assert_int_eq(store_txn_commit(child), 0);
	ck_assert_uint_eq(open_count(s, "T07"), 1);
	/* the whole batch aborted: nothing of it stays */
	store_txn_abort(txn);
	ck_assert_uint_eq(open_count(s, "T07"), 2);

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_put_ticket(s, txn, &t), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	ck_assert_uint_eq(open_count(s, "T07"), 1);
	store_destroy(&s);
	s = open_store();
	ck_assert_uint_eq(open_count(s, "T07"), 1);
	ck_assert_uint_eq(open_count(s, "T08"), 0);
	store_destroy(&s);
}
END_TEST

START_TEST(unknown_schema_version_is_refused)
{
	store_t *s = open_store();
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	unsigned char v[8] = { 0, 0, 0, 0, 0, 0, 0, 99 };
	MDB_val k = { 6, (void *)"schema" }, d = { 8, v };
	char err[512];

	store_destroy(&s);
	/* Write a future version with plain LMDB, as a newer dispatchd would. */
	raw_begin(&env, &txn, 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	ck_assert_int_eq(mdb_put(txn, meta, &k, &d, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	s = store_open(dir, 0, err, sizeof err);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "schema version 99 is not supported") != NULL, "message was: %s", err);
}
END_TEST

START_TEST(stored_replies_by_sender_and_request_id)
{
	static const uint8_t d1[STORE_DIGEST_LEN] = { 1, 2, 3 };
	store_t *s = open_store();
	uint8_t got[STORE_DIGEST_LEN];
	MDB_txn *txn;
	const void *data;
	size_t len;

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_get_reply(s, txn, DISPATCH__ROLE__ROLE_DESK, "desk", "abc", 0, got, &data, &len),
			 STORE_NOTFOUND);
	ck_assert_int_eq(store_put_reply(s, txn, DISPATCH__ROLE__ROLE_DESK, "desk", "abc", d1, 1000, "hello", 5), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_get_reply(s, txn, DISPATCH__ROLE__ROLE_DESK, "desk", "abc", 0, got, &data, &len), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(data, "hello", 5), 0);
	ck_assert_int_eq(memcmp(got, d1, STORE_DIGEST_LEN), 0);
	/* the id is the sender's: another identity, or the same name in another role, has none */
	ck_assert_int_eq(store_get_reply(s, txn, DISPATCH__ROLE__ROLE_CREW, "T08", "abc", 0, got, &data, &len),
			 STORE_NOTFOUND);
	ck_assert_int_eq(store_get_reply(s, txn, DISPATCH__ROLE__ROLE_SUPERVISOR, "desk", "abc", 0, got, &data, &len),
			 STORE_NOTFOUND);
	/* a prefix of one identity is not the identity */
	ck_assert_int_eq(store_get_reply(s, txn, DISPATCH__ROLE__ROLE_DESK, "des", "kabc", 0, got, &data, &len),
			 STORE_NOTFOUND);
	store_txn_abort(txn);
	store_destroy(&s);
}
END_TEST

/* Change the store behind the daemon's back with plain LMDB. */
static void tamper(const char *db, const void *key, size_t klen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { klen, (void *)key };

	raw_begin(&env, &txn, 0);
	ck_assert_int_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
	ck_assert_int_eq(mdb_del(txn, dbi, &k, NULL), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

START_TEST(verify_finds_a_missing_index_entry_and_a_gap)
{
	store_t *s = open_store();
	unsigned char seq2[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };
	char key[32];
	FILE *out = tmpfile();
	char report[4096] = "";

	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T08");
	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	ck_assert_int_eq(verify_store(s, out), 0);
	store_destroy(&s);

	/* drop ticket 1 from the crew index, and event 2 from the log */
	memcpy(key, "ctechnical\0\0\0\0\0\0\0\0\1", 19);
	tamper("index", key, 19);
	tamper("events", seq2, 8);

	s = open_store();
	rewind(out);
	ck_assert_int_ge(verify_store(s, out), 2);
	rewind(out);
	ck_assert_uint_gt(fread(report, 1, sizeof report - 1, out), 0);
	ck_assert_msg(strstr(report, "ticket 1: missing from open_by_crew under 'technical'") != NULL, "%s", report);
	ck_assert_msg(strstr(report, "event log: expected seq 2, found 3") != NULL, "%s", report);
	ck_assert_msg(strstr(report, "ticket 2: its last event 2 cannot be read") != NULL, "%s", report);
	fclose(out);
	store_destroy(&s);
}
END_TEST

static void raw_put(MDB_txn *txn, const char *db, const void *k, size_t kl, const void *v, size_t vl)
{
	MDB_dbi dbi;
	MDB_val key = { kl, (void *)k }, val = { vl, (void *)v };

	ck_assert_int_eq(mdb_dbi_open(txn, db,
				      MDB_CREATE | (strcmp(db, "ticket_events") ? 0 : MDB_DUPSORT | MDB_DUPFIXED),
				      &dbi),
			 0);
	ck_assert_int_eq(mdb_put(txn, dbi, &key, &val, 0), 0);
}

/* An index entry as version v kept it: a database of its own before 5,
 * the one "index" database under the index's letter from 5 on. */
static void raw_ix_put(MDB_txn *txn, unsigned char version, const char *old_db, char tag, const void *k, size_t kl)
{
	unsigned char kb[300];

	if (version < 5) {
		raw_put(txn, old_db, k, kl, "", 0);
		return;
	}
	ck_assert_uint_lt(kl, sizeof kb);
	kb[0] = (unsigned char)tag;
	memcpy(kb + 1, k, kl);
	raw_put(txn, "index", kb, kl + 1, "", 0);
}

/* A stored reply as versions 1 to 5 kept it: request_id -> i64 BE
 * stored_ms (5 here) + reply, and its expiry entry from version 2 on. */
static void raw_reply_put(MDB_txn *txn, unsigned char version, const char *rid, const void *reply, size_t len)
{
	unsigned char v[600], tk[80];
	size_t rl = strlen(rid);

	ck_assert_uint_lt(len + 8, sizeof v);
	memcpy(v, "\0\0\0\0\0\0\0\5", 8);
	memcpy(v + 8, reply, len);
	raw_put(txn, "requests", rid, rl, v, len + 8);
	if (version >= 2) {
		memcpy(tk, "\0\0\0\0\0\0\0\5", 8);
		memcpy(tk + 8, rid, rl);
		raw_ix_put(txn, version, "requests_by_time", 't', tk, rl + 8);
	}
}

/* A store as an earlier release wrote it: one open ticket, assigned and
 * with an acknowledge deadline, its event (by desk-1, role desk), and one
 * stored reply reporting that event; version 1 has no unit index and no
 * reply time index, versions 1 and 2 no deadlines index; versions 1 to 4
 * keep each index in a database of its own, version 5 all in "index".
 * Version 5 gets two more replies: one in the compact form (the event's
 * seq, ingest.c) and one that reports no event, so names no sender. */
static void write_old_store(unsigned char version)
{
	static const unsigned char one[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	const unsigned char schema[8] = { 0, 0, 0, 0, 0, 0, 0, version };
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	Dispatch__Event ev = DISPATCH__EVENT__INIT, *evs[1] = { &ev };
	Dispatch__Reply rep = DISPATCH__REPLY__INIT;
	unsigned char tb[256], eb[512], rb[512];
	char key[32];
	MDB_env *env;
	MDB_txn *txn;
	size_t tl, el, rl;

	t.id = 1, t.state = DISPATCH__STATE__STATE_ASSIGNED, t.unit = (char *)"12-1A";
	t.acknowledge_by_ms = 5000;
	t.crew = (char *)"technical", t.member = (char *)"T07", t.last_seq = 1;
	ev.seq = 1, ev.ticket_id = 1, ev.to_state = DISPATCH__STATE__STATE_ASSIGNED;
	ev.type = DISPATCH__EVENT_TYPE__EVENT_ASSIGNED;
	ev.actor = (char *)"desk-1", ev.actor_role = DISPATCH__ROLE__ROLE_DESK;
	tl = dispatch__ticket__pack(&t, tb);
	el = dispatch__event__pack(&ev, eb);
	rep.status = DISPATCH__STATUS__STATUS_OK;
	rep.message = (char *)"ticket 1 submitted";
	rep.events = evs, rep.n_events = 1;
	rl = dispatch__reply__pack(&rep, rb);
	raw_begin(&env, &txn, 0);
	raw_put(txn, "meta", "schema", 6, schema, 8);
	raw_put(txn, "meta", "last_seq", 8, one, 8);
	raw_put(txn, "meta", "last_ticket", 11, one, 8);
	raw_put(txn, "tickets", one, 8, tb, tl);
	raw_put(txn, "events", one, 8, eb, el);
	raw_put(txn, "ticket_events", one, 8, one, 8);
	memcpy(key, "technical\0\0\0\0\0\0\0\0\1", 18);
	raw_ix_put(txn, version, "open_by_crew", 'c', key, 18);
	memcpy(key, "T07\0\0\0\0\0\0\0\0\1", 12);
	raw_ix_put(txn, version, "open_by_member", 'm', key, 12);
	raw_reply_put(txn, version, "req-1", rb, rl);
	if (version >= 2) {
		memcpy(key, "12-1A\0\0\0\0\0\0\0\0\1", 14);
		raw_ix_put(txn, version, "open_by_unit", 'u', key, 14);
	}
	if (version >= 3) {
		memcpy(key, "\0\0\0\0\0\0\x13\x88\0\0\0\0\0\0\0\1", 16); /* due 5000 ms, ticket 1 */
		raw_ix_put(txn, version, "deadlines", 'd', key, 16);
	}
	if (version >= 5) {
		unsigned char compact[64] = { 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 1 }; /* one event: seq 1 */
		Dispatch__Reply bare = DISPATCH__REPLY__INIT;
		size_t n;
		bare.status = DISPATCH__STATUS__STATUS_OK;
		bare.message = (char *)"ok";
		n = dispatch__reply__pack(&bare, compact + 10);
		raw_reply_put(txn, version, "req-2", compact, 10 + n);
		raw_reply_put(txn, version, "req-3", compact + 10, n);
	}
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* The deadline of the old store's ticket is indexed, so it will fire. */
static void assert_deadline_indexed(store_t *st)
{
	MDB_txn *txn;
	int64_t due;
	uint64_t id;

	ck_assert_int_eq(store_txn_begin(st, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_first_due(st, txn, &due, &id), 0);
	ck_assert_int_eq(due, 5000);
	ck_assert_uint_eq(id, 1);
	store_txn_abort(txn);
}

START_TEST(a_version_2_store_is_migrated_in_place)
{
	store_t *st;

	write_old_store(2);
	st = open_store(); /* migrates */
	assert_deadline_indexed(st);
	ck_assert_int_eq(verify_store(st, stderr), 0);
	store_destroy(&st);
}
END_TEST

/* Version 4 to 5: the four index databases become one, entry for entry,
 * and are gone afterwards. (Its log is not chained here: only the
 * indexes are looked at.) */
START_TEST(a_version_4_stores_indexes_move_into_one_database)
{
	static const char *const gone[] = { "open_by_member", "open_by_crew", "open_by_unit", "deadlines",
					    "requests_by_time" };
	MDB_env *env;
	MDB_txn *txn;
	store_t *st;
	unsigned open = 0;
	int has = 0;

	write_old_store(4);
	st = open_store(); /* migrates */
	assert_deadline_indexed(st);
	ck_assert_int_eq(store_txn_begin(st, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_index_has(st, txn, STORE_OPEN_BY_UNIT, "12-1A", 1, &has), 0);
	ck_assert(has);
	ck_assert_int_eq(store_index_has(st, txn, STORE_OPEN_BY_CREW, "technical", 1, &has), 0);
	ck_assert(has);
	ck_assert_int_eq(store_index_has(st, txn, STORE_OPEN_BY_MEMBER, "T07", 1, &has), 0);
	ck_assert(has);
	ck_assert_int_eq(store_index_has(st, txn, STORE_OPEN_BY_MEMBER, "T08", 1, &has), 0);
	ck_assert(!has);
	ck_assert_int_eq(store_open_count(st, txn, "T07", &open), 0);
	ck_assert_uint_eq(open, 1); /* the load table is built from the moved entries */
	store_txn_abort(txn);
	/* the stored reply (kept at 5 ms) expires from its moved entry */
	{
		unsigned n = 0;
		ck_assert_int_eq(store_txn_begin(st, NULL, 0, &txn), 0);
		ck_assert_int_eq(store_expire_replies(st, txn, 5, 100, &n), 0);
		ck_assert_uint_eq(n, 0);
		ck_assert_int_eq(store_expire_replies(st, txn, 6, 100, &n), 0);
		ck_assert_uint_eq(n, 1);
		/* and only it: the unit index, whose letter sorts after, stays */
		ck_assert_int_eq(store_expire_replies(st, txn, INT64_MAX, 100, &n), 0);
		ck_assert_uint_eq(n, 0);
		ck_assert_int_eq(store_index_has(st, txn, STORE_OPEN_BY_UNIT, "12-1A", 1, &has), 0);
		ck_assert(has);
		ck_assert_int_eq(store_txn_commit(txn), 0);
	}
	store_destroy(&st);

	raw_begin(&env, &txn, MDB_RDONLY);
	for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
		MDB_dbi dbi;
		ck_assert_msg(mdb_dbi_open(txn, gone[i], 0, &dbi) == MDB_NOTFOUND, "%s is still there", gone[i]);
	}
	mdb_txn_abort(txn);
	mdb_env_close(env);
}
END_TEST

/* Version 5 to 6: a stored reply is keyed by who sent it, taken from the
 * event it reports (whole or compact); one that names nobody is dropped,
 * with its expiry entry; the expiry order keeps working. Checked in the
 * raw databases first, then through the store. */
START_TEST(a_version_5_stores_replies_are_keyed_by_their_sender)
{
	static const unsigned char six[8] = { 0, 0, 0, 0, 0, 0, 0, 6 }; /* its first 7 bytes: the rest is the version */
	static const char k1[] = "\x01"
				 "desk-1\0req-1",
			  k2[] = "\x01"
				 "desk-1\0req-2";
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, req, idx;
	MDB_val k, v;
	unsigned char tk[40];
	store_t *st;

	write_old_store(5);
	st = open_store(); /* migrates */
	store_destroy(&st);

	raw_begin(&env, &txn, MDB_RDONLY);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "requests", 0, &req), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "index", 0, &idx), 0);
	k.mv_size = 6, k.mv_data = (void *)"schema";
	ck_assert_int_eq(mdb_get(txn, meta, &k, &v), 0);
	ck_assert_msg(v.mv_size == 8 && memcmp(v.mv_data, six, 7) == 0 &&
			      ((const unsigned char *)v.mv_data)[7] == STORE_SCHEMA_VERSION,
		      "the schema is not the current version");
	k.mv_size = sizeof k1 - 1, k.mv_data = (void *)k1;
	ck_assert_msg(mdb_get(txn, req, &k, &v) == 0, "req-1 is not keyed by desk-1 (role desk)");
	k.mv_size = sizeof k2 - 1, k.mv_data = (void *)k2;
	ck_assert_msg(mdb_get(txn, req, &k, &v) == 0, "the compact req-2 is not keyed by desk-1 (role desk)");
	for (const char *const *old = (const char *const[]){ "req-1", "req-2", "req-3", NULL }; *old; old++) {
		k.mv_size = strlen(*old), k.mv_data = (void *)*old;
		ck_assert_msg(mdb_get(txn, req, &k, &v) == MDB_NOTFOUND, "%s is still keyed by its id alone", *old);
	}
	tk[0] = 't';
	memcpy(tk + 1, "\0\0\0\0\0\0\0\5", 8);
	memcpy(tk + 9, k1, sizeof k1 - 1);
	k.mv_size = 9 + sizeof k1 - 1, k.mv_data = tk;
	/* 6 moved its time key with it; 9 sweeps the replies instead, and drops them */
	ck_assert_msg(mdb_get(txn, idx, &k, &v) == MDB_NOTFOUND, "req-1's time key outlived schema 9");
	memcpy(tk + 9, "req-3", 5);
	k.mv_size = 14;
	ck_assert_msg(mdb_get(txn, idx, &k, &v) == MDB_NOTFOUND, "the dropped req-3 left its time key");
	mdb_txn_abort(txn);
	mdb_env_close(env);

	st = open_store();
	{
		uint8_t digest[STORE_DIGEST_LEN], zero[STORE_DIGEST_LEN] = { 0 };
		const void *data;
		size_t len;
		unsigned n = 0;
		ck_assert_int_eq(store_txn_begin(st, NULL, 0, &txn), 0);
		ck_assert_int_eq(
			store_get_reply(st, txn, DISPATCH__ROLE__ROLE_DESK, "desk-1", "req-1", 0, digest, &data, &len),
			0);
		ck_assert_int_eq(memcmp(digest, zero, STORE_DIGEST_LEN), 0); /* not known: any body of desk-1's */
		ck_assert_int_eq(
			store_get_reply(st, txn, DISPATCH__ROLE__ROLE_CREW, "T08", "req-1", 0, digest, &data, &len),
			STORE_NOTFOUND);
		ck_assert_int_eq(store_expire_replies(st, txn, 5, 100, &n), 0);
		ck_assert_uint_eq(n, 0);
		ck_assert_int_eq(store_expire_replies(st, txn, 6, 100, &n), 0);
		ck_assert_uint_eq(n, 2);
		ck_assert_int_eq(
			store_get_reply(st, txn, DISPATCH__ROLE__ROLE_DESK, "desk-1", "req-1", 0, digest, &data, &len),
			STORE_NOTFOUND);
		ck_assert_int_eq(store_txn_commit(txn), 0);
	}
	store_destroy(&st);
}
END_TEST

START_TEST(a_version_1_store_is_migrated_in_place)
{
	MDB_txn *txn;
	store_t *st;
	int has = 0;

	write_old_store(1);
	st = open_store(); /* migrates */
	assert_deadline_indexed(st);
	ck_assert_int_eq(store_txn_begin(st, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_index_has(st, txn, STORE_OPEN_BY_UNIT, "12-1A", 1, &has), 0);
	ck_assert(has);
	store_txn_abort(txn);
	ck_assert_int_eq(verify_store(st, stderr), 0);
	/* the migrated reply expires like a new one */
	{
		unsigned n = 0;
		ck_assert_int_eq(store_txn_begin(st, NULL, 0, &txn), 0);
		ck_assert_int_eq(store_expire_replies(st, txn, 6, 100, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_int_eq(store_txn_commit(txn), 0);
	}
	store_destroy(&st);
	/* and it is the current version now: a second open changes nothing */
	st = open_store();
	ck_assert_int_eq(verify_store(st, stderr), 0);
	store_destroy(&st);
}
END_TEST

/* The raw records of the log and their SHA-256, computed here with
 * libsodium directly rather than through chain.c. */
struct raw_log {
	size_t n;
	unsigned char hash[8][crypto_hash_sha256_BYTES];
	Dispatch__Event *ev[8];
};

static int collect_raw(uint64_t seq, const void *data, size_t len, void *arg)
{
	struct raw_log *l = arg;
	ck_assert_uint_eq(seq, l->n + 1);
	ck_assert_uint_lt(l->n, 8);
	crypto_hash_sha256(l->hash[l->n], data, len);
	l->ev[l->n++] = dispatch__event__unpack(NULL, len, data);
	return 0;
}

static void read_raw(store_t *s, struct raw_log *l)
{
	MDB_txn *txn;
	memset(l, 0, sizeof *l);
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_event_records(s, txn, 1, collect_raw, l), 0);
	store_txn_abort(txn);
}

static void free_raw(struct raw_log *l)
{
	for (size_t i = 0; i < l->n; i++)
		dispatch__event__free_unpacked(l->ev[i], NULL);
}

START_TEST(the_log_is_hash_chained_through_a_purge)
{
	static const unsigned char zero[32];
	struct raw_log a, b;
	uint8_t head[32];
	uint64_t tickets, events;
	MDB_txn *txn;
	store_t *s = open_store();

	put_ticket(s, DISPATCH__STATE__STATE_CLOSED, "technical", "T07");
	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "security", "S01");
	read_raw(s, &a);
	ck_assert_uint_eq(a.n, 3);
	ck_assert_uint_eq(a.ev[0]->prev_hash.len, 32);
	ck_assert_mem_eq(a.ev[0]->prev_hash.data, zero, 32);
	for (size_t i = 1; i < a.n; i++) {
		ck_assert_uint_eq(a.ev[i]->prev_hash.len, 32);
		ck_assert_mem_eq(a.ev[i]->prev_hash.data, a.hash[i - 1], 32);
	}
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_chain_head(s, txn, head), 0);
	store_txn_abort(txn);
	ck_assert_mem_eq(head, a.hash[2], 32);
	ck_assert_int_eq(verify_store(s, stderr), 0);

	/* purge ticket 1 (closed, updated at time 0): its event becomes a
	 * tombstone that keeps its place in the chain */
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_purge(s, txn, 1000, &tickets, &events), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	ck_assert_uint_eq(tickets, 1);
	ck_assert_uint_eq(events, 1);
	read_raw(s, &b);
	ck_assert_int_eq(b.ev[0]->type, DISPATCH__EVENT_TYPE__EVENT_PURGED);
	ck_assert_mem_eq(b.ev[0]->prev_hash.data, zero, 32);
	ck_assert_uint_eq(b.ev[0]->purged_hash.len, 32);
	ck_assert_mem_eq(b.ev[0]->purged_hash.data, a.hash[0], 32);
	ck_assert_mem_eq(b.hash[1], a.hash[1], 32); /* the rest is untouched */
	ck_assert_int_eq(verify_store(s, stderr), 0);
	free_raw(&a);
	free_raw(&b);
	store_destroy(&s);
}
END_TEST

/* An edit through LMDB behind the store's back: --verify names the seq. */
START_TEST(verify_names_the_first_broken_link)
{
	unsigned char kb[8] = { 0, 0, 0, 0, 0, 0, 0, 2 }, copy[4096];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { 8, kb }, d;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;
	store_t *s = open_store();

	for (int i = 0; i < 4; i++)
		put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	store_destroy(&s);
	raw_begin(&env, &txn, 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "events", 0, &dbi), 0);
	ck_assert_int_eq(mdb_get(txn, dbi, &k, &d), 0);
	ck_assert_uint_lt(d.mv_size, sizeof copy);
	memcpy(copy, d.mv_data, d.mv_size);
	copy[d.mv_size - 1] ^= 1; /* the last byte: a string, so it still decodes */
	d.mv_data = copy;
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &d, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	s = open_store();
	f = open_memstream(&out, &outlen);
	ck_assert_int_gt(verify_store(s, f), 0);
	fclose(f);
	ck_assert_msg(strstr(out, "first broken link at seq 2:") != NULL, "verify said: %s", out);
	free(out);
	store_destroy(&s);
}
END_TEST

/* A version 3 store (before the chain): its log is chained on opening. */
START_TEST(a_version_3_log_is_chained_in_place)
{
	static const unsigned char three[8] = { 0, 0, 0, 0, 0, 0, 0, 3 };
	unsigned char kb[8] = { 0 }, buf[4096];
	struct raw_log l;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi events, meta;
	MDB_val k = { 8, kb }, d, hk = { 10, (void *)"chain_head" };
	store_t *s = open_store();

	for (int i = 0; i < 3; i++)
		put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07");
	store_destroy(&s);
	/* take the chain away, as a version 3 dispatchd wrote it */
	raw_begin(&env, &txn, 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "events", 0, &events), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	for (unsigned char seq = 1; seq <= 3; seq++) {
		Dispatch__Event *ev;
		ProtobufCBinaryData keep;
		kb[7] = seq;
		ck_assert_int_eq(mdb_get(txn, events, &k, &d), 0);
		ev = dispatch__event__unpack(NULL, d.mv_size, d.mv_data);
		keep = ev->prev_hash;
		ev->prev_hash.len = 0;
		d.mv_size = dispatch__event__pack(ev, buf);
		d.mv_data = buf;
		ev->prev_hash = keep;
		dispatch__event__free_unpacked(ev, NULL);
		ck_assert_int_eq(mdb_put(txn, events, &k, &d, 0), 0);
	}
	ck_assert_int_eq(mdb_del(txn, meta, &hk, NULL), 0);
	d.mv_size = 8;
	d.mv_data = (void *)three;
	hk.mv_size = 6;
	hk.mv_data = (void *)"schema";
	ck_assert_int_eq(mdb_put(txn, meta, &hk, &d, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	s = open_store(); /* migrates 3 -> 4 */
	read_raw(s, &l);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_mem_eq(l.ev[2]->prev_hash.data, l.hash[1], 32);
	ck_assert_int_eq(verify_store(s, stderr), 0);
	free_raw(&l);
	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07"); /* and it goes on */
	ck_assert_int_eq(verify_store(s, stderr), 0);
	store_destroy(&s);
}
END_TEST

/* ---- the search indexes (schema 7) ---- */

static uint64_t put_search_ticket(store_t *s, const char *unit, int64_t created_ms, Dispatch__State st)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	MDB_txn *txn;

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_next_ticket_id(s, txn, &t.id), 0);
	t.state = st;
	t.unit = (char *)unit;
	t.crew = (char *)"technical";
	t.kind = DISPATCH__KIND__KIND_REPAIR;
	t.created_ms = t.updated_ms = created_ms;
	ck_assert_int_eq(store_put_ticket(s, txn, &t), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	return t.id;
}

/* What the search indexes give, as "unit:id unit:id ..." or "id id ...". */
struct found {
	char text[512];
};

static int found_unit(const char *unit, uint64_t id, void *arg)
{
	struct found *f = arg;
	size_t n = strlen(f->text);
	snprintf(f->text + n, sizeof f->text - n, "%s%s:%llu", n ? " " : "", unit, (unsigned long long)id);
	return 0;
}

static int found_id(uint64_t id, void *arg)
{
	struct found *f = arg;
	size_t n = strlen(f->text);
	snprintf(f->text + n, sizeof f->text - n, "%s%llu", n ? " " : "", (unsigned long long)id);
	return 0;
}

static int found_raw(uint64_t id, const void *data, size_t len, void *arg)
{
	Dispatch__Ticket *t = dispatch__ticket__unpack(NULL, len, data);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->id, id);
	dispatch__ticket__free_unpacked(t, NULL);
	return found_id(id, arg);
}

static const char *units_with(store_t *s, const char *prefix, struct found *f)
{
	MDB_txn *txn;
	memset(f, 0, sizeof *f);
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_unit_tickets(s, txn, prefix, found_unit, f), 0);
	store_txn_abort(txn);
	return f->text;
}

static const char *created_in(store_t *s, int64_t from, int64_t to, struct found *f)
{
	MDB_txn *txn;
	memset(f, 0, sizeof *f);
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_created_tickets(s, txn, from, to, found_id, f), 0);
	store_txn_abort(txn);
	return f->text;
}

static const char *newest_first(store_t *s, uint64_t before, struct found *f)
{
	MDB_txn *txn;
	memset(f, 0, sizeof *f);
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_tickets_desc(s, txn, before, found_raw, f), 0);
	store_txn_abort(txn);
	return f->text;
}

/* Every ticket, open or closed, is in both search indexes for as long as
 * it is kept; a purge takes its entries with it. */
START_TEST(search_indexes_hold_every_ticket_kept)
{
	store_t *s = open_store();
	struct found f;
	uint64_t purged = 0, events = 0;
	MDB_txn *txn;

	put_search_ticket(s, "12-1A", 1000, DISPATCH__STATE__STATE_CLOSED);     /* 1 */
	put_search_ticket(s, "2A-1B", 2000, DISPATCH__STATE__STATE_ASSIGNED);   /* 2 */
	put_search_ticket(s, "12-10C", 3000, DISPATCH__STATE__STATE_CANCELLED); /* 3 */
	put_search_ticket(s, "12-1A", 4000, DISPATCH__STATE__STATE_NEW);        /* 4 */
	put_search_ticket(s, "121-1A", 5000, DISPATCH__STATE__STATE_CLOSED);    /* 5 */
	ck_assert_str_eq(units_with(s, "12-", &f), "12-10C:3 12-1A:1 12-1A:4");
	ck_assert_str_eq(units_with(s, "12-1A", &f), "12-1A:1 12-1A:4");
	ck_assert_str_eq(units_with(s, "", &f), "12-10C:3 12-1A:1 12-1A:4 121-1A:5 2A-1B:2");
	ck_assert_str_eq(units_with(s, "9", &f), "");
	ck_assert_str_eq(created_in(s, 2000, 4000, &f), "2 3");
	ck_assert_str_eq(created_in(s, 0, 0, &f), "1 2 3 4 5");
	ck_assert_str_eq(created_in(s, 4001, 0, &f), "5");
	ck_assert_str_eq(newest_first(s, 0, &f), "5 4 3 2 1");
	ck_assert_str_eq(newest_first(s, 4, &f), "3 2 1");
	ck_assert_str_eq(newest_first(s, 99, &f), "5 4 3 2 1");
	ck_assert_str_eq(newest_first(s, 1, &f), "");
	/* a state change keeps the entries, once each */
	{
		Dispatch__Ticket *t = NULL;
		ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
		ck_assert_int_eq(store_get_ticket(s, txn, 4, &t), 0);
		t->state = DISPATCH__STATE__STATE_CLOSED;
		ck_assert_int_eq(store_put_ticket(s, txn, t), 0);
		dispatch__ticket__free_unpacked(t, NULL);
		ck_assert_int_eq(store_txn_commit(txn), 0);
	}
	ck_assert_str_eq(units_with(s, "12-1A", &f), "12-1A:1 12-1A:4");
	/* the purge of what closed before 4500: tickets 1, 3 and 4 */
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_purge(s, txn, 4500, &purged, &events), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	ck_assert_uint_eq(purged, 3);
	ck_assert_str_eq(units_with(s, "", &f), "121-1A:5 2A-1B:2");
	ck_assert_str_eq(created_in(s, 0, 0, &f), "2 5");
	ck_assert_str_eq(newest_first(s, 0, &f), "5 2");
	store_destroy(&s);
}
END_TEST

/* Version 6 to 7: a store without the search indexes (one written now,
 * with their entries taken out and the version set back) gets them built
 * from its tickets at open, and is at the current version after. */
START_TEST(a_version_6_store_gets_its_search_indexes)
{
	static const unsigned char six[8] = { 0, 0, 0, 0, 0, 0, 0, 6 };
	store_t *s = open_store();
	struct found f;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, idx;
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned dropped = 0;
	int rc;

	put_search_ticket(s, "12-1A", 1000, DISPATCH__STATE__STATE_CLOSED);
	put_search_ticket(s, "3-2B", 2000, DISPATCH__STATE__STATE_ASSIGNED);
	store_destroy(&s);

	raw_begin(&env, &txn, 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "index", 0, &idx), 0);
	ck_assert_int_eq(mdb_cursor_open(txn, idx, &cur), 0);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		unsigned char tag = *(const unsigned char *)k.mv_data;
		if (tag == 'A' || tag == 'C') {
			ck_assert_int_eq(mdb_cursor_del(cur, 0), 0);
			dropped++;
		}
	}
	mdb_cursor_close(cur);
	ck_assert_uint_eq(dropped, 4); /* two tickets, an entry in each index */
	k.mv_size = 6, k.mv_data = (void *)"schema";
	v.mv_size = 8, v.mv_data = (void *)six;
	ck_assert_int_eq(mdb_put(txn, meta, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	s = open_store(); /* migrates */
	ck_assert_str_eq(units_with(s, "", &f), "12-1A:1 3-2B:2");
	ck_assert_str_eq(created_in(s, 1500, 0, &f), "2");
	store_destroy(&s);
	/* the current version now: a second open changes nothing */
	s = open_store();
	ck_assert_str_eq(units_with(s, "", &f), "12-1A:1 3-2B:2");
	ck_assert_str_eq(created_in(s, 0, 0, &f), "1 2");
	store_destroy(&s);
}
END_TEST

/* ---- the asset indexes (schema 8, issue 19) ---- */

static uint64_t put_asset_ticket(store_t *s, const char *asset, Dispatch__State st)
{
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	MDB_txn *txn;

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_next_ticket_id(s, txn, &t.id), 0);
	t.state = st;
	t.unit = (char *)"12-1A";
	t.crew = (char *)"lift-vendor";
	t.asset = (char *)asset;
	t.created_ms = t.updated_ms = 1000 + (int64_t)t.id;
	ck_assert_int_eq(store_put_ticket(s, txn, &t), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	return t.id;
}

static const char *asset_ids(store_t *s, const char *asset, bool open_only, struct found *f)
{
	MDB_txn *txn;
	memset(f, 0, sizeof *f);
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_asset_tickets(s, txn, asset, open_only, found_id, f), 0);
	store_txn_abort(txn);
	return f->text;
}

/* Every ticket naming an asset is in its history; the open ones in its
 * open index, leaving it when closed; "L1" is not "L10". */
START_TEST(asset_indexes_follow_the_tickets)
{
	store_t *s = open_store();
	struct found f;
	unsigned all, open;
	MDB_txn *txn;
	Dispatch__Ticket *t = NULL;

	put_asset_ticket(s, "L1", DISPATCH__STATE__STATE_ASSIGNED);  /* 1 */
	put_asset_ticket(s, "L10", DISPATCH__STATE__STATE_ASSIGNED); /* 2 */
	put_asset_ticket(s, "", DISPATCH__STATE__STATE_ASSIGNED);    /* 3: none */
	put_asset_ticket(s, "L1", DISPATCH__STATE__STATE_NEW);       /* 4 */
	ck_assert_str_eq(asset_ids(s, "L1", false, &f), "1 4");
	ck_assert_str_eq(asset_ids(s, "L1", true, &f), "1 4");
	ck_assert_str_eq(asset_ids(s, "L10", false, &f), "2");
	ck_assert_str_eq(asset_ids(s, "", false, &f), "");
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_get_ticket(s, txn, 1, &t), 0);
	t->state = DISPATCH__STATE__STATE_CLOSED;
	ck_assert_int_eq(store_put_ticket(s, txn, t), 0);
	dispatch__ticket__free_unpacked(t, NULL);
	ck_assert_int_eq(store_asset_counts(s, txn, "L1", &all, &open), 0);
	ck_assert_uint_eq(all, 2);
	ck_assert_uint_eq(open, 1);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	ck_assert_str_eq(asset_ids(s, "L1", true, &f), "4");
	ck_assert_str_eq(asset_ids(s, "L1", false, &f), "1 4");
	store_destroy(&s);
}
END_TEST

/* Version 7 to 8: a store without the asset indexes gets them built from
 * its tickets at open. */
START_TEST(a_version_7_store_gets_its_asset_indexes)
{
	static const unsigned char seven[8] = { 0, 0, 0, 0, 0, 0, 0, 7 };
	store_t *s = open_store();
	struct found f;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, idx;
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned dropped = 0;
	int rc;

	put_asset_ticket(s, "L2", DISPATCH__STATE__STATE_CLOSED);
	put_asset_ticket(s, "PUMP-3", DISPATCH__STATE__STATE_ASSIGNED);
	put_asset_ticket(s, "L2", DISPATCH__STATE__STATE_ON_SITE);
	store_destroy(&s);

	raw_begin(&env, &txn, 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "index", 0, &idx), 0);
	ck_assert_int_eq(mdb_cursor_open(txn, idx, &cur), 0);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		unsigned char tag = *(const unsigned char *)k.mv_data;
		if (tag == 'E' || tag == 'e') {
			ck_assert_int_eq(mdb_cursor_del(cur, 0), 0);
			dropped++;
		}
	}
	mdb_cursor_close(cur);
	ck_assert_uint_eq(dropped, 5); /* three in the history, two open */
	k.mv_size = 6, k.mv_data = (void *)"schema";
	v.mv_size = 8, v.mv_data = (void *)seven;
	ck_assert_int_eq(mdb_put(txn, meta, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	s = open_store(); /* migrates */
	ck_assert_str_eq(asset_ids(s, "L2", false, &f), "1 3");
	ck_assert_str_eq(asset_ids(s, "L2", true, &f), "3");
	ck_assert_str_eq(asset_ids(s, "PUMP-3", true, &f), "2");
	store_destroy(&s);
	s = open_store(); /* current now: nothing changes */
	ck_assert_str_eq(asset_ids(s, "L2", false, &f), "1 3");
	store_destroy(&s);
}
END_TEST

/* Version 8 to 9: open tickets at a unit had keys of their own ('u') and
 * stored replies a time order ('t'); 9 marks the by-unit key open instead
 * and sweeps the replies. Made by writing a current store, then putting
 * it back as 8 wrote it: by-unit keys with no value, the 'u' and 't'
 * keys, schema 8. */
static int collect_unit_open(uint64_t id, void *arg)
{
	struct found *f = arg;
	snprintf(f->text + strlen(f->text), sizeof f->text - strlen(f->text), "%s%llu", f->text[0] ? " " : "",
		 (unsigned long long)id);
	return 0;
}

static const char *open_at_unit(store_t *s, const char *unit, struct found *f)
{
	MDB_txn *txn;

	f->text[0] = '\0';
	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_open_ids_by_unit(s, txn, unit, collect_unit_open, f), 0);
	store_txn_abort(txn);
	return f->text;
}

START_TEST(a_version_8_stores_unit_and_reply_time_keys_go)
{
	static const unsigned char eight[8] = { 0, 0, 0, 0, 0, 0, 0, 8 };
	store_t *s = open_store();
	struct found f;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, idx;
	MDB_cursor *cur;
	MDB_val k, v, empty = { 0, NULL };
	unsigned char kb[64];
	unsigned counts[256] = { 0 };
	int rc;

	put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07"); /* 1, open */
	put_ticket(s, DISPATCH__STATE__STATE_CLOSED, "technical", "");      /* 2 */
	put_ticket(s, DISPATCH__STATE__STATE_ON_HOLD, "technical", "T08");  /* 3, open */
	ck_assert_str_eq(open_at_unit(s, "12-1A", &f), "1 3");
	store_destroy(&s);

	raw_begin(&env, &txn, 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "index", 0, &idx), 0);
	ck_assert_int_eq(mdb_cursor_open(txn, idx, &cur), 0);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (*(const unsigned char *)k.mv_data == 'A')
			ck_assert_int_eq(mdb_cursor_put(cur, &k, &empty, MDB_CURRENT), 0);
	}
	mdb_cursor_close(cur);
	for (uint64_t id = 1; id <= 3; id += 2) { /* the open ones' 'u' keys */
		memcpy(kb, "u12-1A\0", 7);
		for (int b = 0; b < 8; b++)
			kb[7 + b] = (unsigned char)(id >> (56 - 8 * b));
		k.mv_size = 15, k.mv_data = kb;
		ck_assert_int_eq(mdb_put(txn, idx, &k, &empty, 0), 0);
	}
	k.mv_size = 14, k.mv_data = (void *)"t\0\0\0\0\0\0\0\5\2desk"; /* a reply's time key */
	ck_assert_int_eq(mdb_put(txn, idx, &k, &empty, 0), 0);
	k.mv_size = 6, k.mv_data = (void *)"schema";
	v.mv_size = 8, v.mv_data = (void *)eight;
	ck_assert_int_eq(mdb_put(txn, meta, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	s = open_store(); /* migrates */
	ck_assert_str_eq(open_at_unit(s, "12-1A", &f), "1 3");
	ck_assert_int_eq(verify_store(s, stderr), 0);
	store_destroy(&s);

	raw_begin(&env, &txn, MDB_RDONLY);
	ck_assert_int_eq(mdb_dbi_open(txn, "index", 0, &idx), 0);
	ck_assert_int_eq(mdb_cursor_open(txn, idx, &cur), 0);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		counts[*(const unsigned char *)k.mv_data]++;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	ck_assert_uint_eq(counts['u'], 0);
	ck_assert_uint_eq(counts['t'], 0);
	ck_assert_uint_eq(counts['A'], 3); /* every ticket's by-unit key stays */
}
END_TEST

/* A reply past the window is not given back, swept or not; the sweep
 * looks at `max` replies a call, goes on where it stopped, and in a round
 * of calls takes exactly the old ones. */
START_TEST(old_replies_are_forgotten_and_swept_in_steps)
{
	static const uint8_t d1[STORE_DIGEST_LEN] = { 9 };
	store_t *s = open_store();
	uint8_t got[STORE_DIGEST_LEN];
	const void *data;
	size_t len;
	MDB_txn *txn;
	unsigned n, total = 0;
	char rid[16];

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	for (int i = 1; i <= 10; i++) {
		snprintf(rid, sizeof rid, "r%02d", i);
		ck_assert_int_eq(store_put_reply(s, txn, DISPATCH__ROLE__ROLE_DESK, "desk", rid, d1, i * 100, "x", 1),
				 0);
	}
	ck_assert_int_eq(store_txn_commit(txn), 0);
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	/* r03 was stored at 300: kept from 300 on, forgotten before */
	ck_assert_int_eq(store_get_reply(s, txn, DISPATCH__ROLE__ROLE_DESK, "desk", "r03", 300, got, &data, &len), 0);
	ck_assert_int_eq(store_get_reply(s, txn, DISPATCH__ROLE__ROLE_DESK, "desk", "r03", 301, got, &data, &len),
			 STORE_NOTFOUND);
	/* 3 a call: four calls go round the ten, taking the five before 600 */
	for (int call = 0; call < 4; call++) {
		ck_assert_int_eq(store_expire_replies(s, txn, 600, 3, &n), 0);
		ck_assert_uint_le(n, 3);
		total += n;
	}
	ck_assert_uint_eq(total, 5);
	ck_assert_int_eq(store_expire_replies(s, txn, 600, 3, &n), 0);
	ck_assert_uint_eq(n, 0);
	for (int i = 1; i <= 10; i++) {
		snprintf(rid, sizeof rid, "r%02d", i);
		ck_assert_int_eq(store_get_reply(s, txn, DISPATCH__ROLE__ROLE_DESK, "desk", rid, 0, got, &data, &len),
				 i < 6 ? STORE_NOTFOUND : 0);
	}
	ck_assert_int_eq(store_txn_commit(txn), 0);
	store_destroy(&s);
}
END_TEST

/* Schema 10: a ticket's history is the chain back through its events
 * (each names the one before it about the same ticket), joined with what
 * ticket_events lists from before; a purge finds it the same way; and
 * verify notices a chain that is cut. */
static void chained_event(store_t *s, Dispatch__Ticket *t, Dispatch__State to)
{
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	MDB_txn *txn;

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	if (t->id == 0)
		ck_assert_int_eq(store_next_ticket_id(s, txn, &t->id), 0);
	ev.ticket_id = t->id;
	ev.type = DISPATCH__EVENT_TYPE__EVENT_ASSIGNED;
	ev.from_state = t->state;
	ev.to_state = to;
	ev.time_ms = 1000;
	t->state = to;
	t->updated_ms = 1000;
	ev.ticket = t;
	ck_assert_int_eq(store_append_event(s, txn, &ev, NULL, NULL), 0);
	ck_assert_int_eq(store_put_ticket_snapshot(s, txn, t), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
}

static void history_is(store_t *s, uint64_t id, uint64_t n, const uint64_t *want)
{
	uint64_t seqs[16] = { 0 };
	MDB_txn *txn;

	ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
	ck_assert_int_eq(store_ticket_history(s, txn, id, collect_seq, seqs), 0);
	store_txn_abort(txn);
	ck_assert_msg(seqs[0] == n, "ticket %u: %u event(s) in its history, expected %u", (unsigned)id,
		      (unsigned)seqs[0], (unsigned)n);
	for (uint64_t i = 0; i < n; i++)
		ck_assert_uint_eq(seqs[1 + i], want[i]);
}

START_TEST(a_history_is_the_chain_back_through_its_events)
{
	store_t *s = open_store();
	Dispatch__Ticket a = DISPATCH__TICKET__INIT, b = DISPATCH__TICKET__INIT;
	uint64_t pairs_id, purged_t = 0, purged_e = 0;
	MDB_txn *txn;
	FILE *out = tmpfile();
	char report[4096] = "";

	a.unit = b.unit = (char *)"12-1A";
	a.crew = b.crew = (char *)"technical";
	pairs_id = put_ticket(s, DISPATCH__STATE__STATE_ASSIGNED, "technical", "T07"); /* seq 1, listed */
	chained_event(s, &a, DISPATCH__STATE__STATE_NEW);                              /* 2 */
	chained_event(s, &b, DISPATCH__STATE__STATE_NEW);                              /* 3 */
	chained_event(s, &a, DISPATCH__STATE__STATE_ASSIGNED);                         /* 4 */
	chained_event(s, &b, DISPATCH__STATE__STATE_CANCELLED);                        /* 5 */
	chained_event(s, &a, DISPATCH__STATE__STATE_ACCEPTED);                         /* 6 */
	history_is(s, a.id, 3, (const uint64_t[]){ 2, 4, 6 });
	history_is(s, b.id, 2, (const uint64_t[]){ 3, 5 });
	history_is(s, pairs_id, 1, (const uint64_t[]){ 1 });
	ck_assert_int_eq(verify_store(s, stderr), 0);

	/* the ticket from before 10 goes on in the chain: its listed event, then the chained */
	{
		Dispatch__Ticket *old = NULL;
		ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
		ck_assert_int_eq(store_get_ticket(s, txn, pairs_id, &old), 0);
		store_txn_abort(txn);
		chained_event(s, old, DISPATCH__STATE__STATE_ACCEPTED); /* 7 */
		dispatch__ticket__free_unpacked(old, NULL);
	}
	history_is(s, pairs_id, 2, (const uint64_t[]){ 1, 7 });
	ck_assert_int_eq(verify_store(s, stderr), 0);

	/* a purge finds b's events by its chain: both become tombstones */
	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_purge(s, txn, 2000, &purged_t, &purged_e), 0);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	ck_assert_uint_eq(purged_t, 1);
	ck_assert_uint_eq(purged_e, 2);
	ck_assert_int_eq(verify_store(s, stderr), 0);

	/* cut a's chain: event 4 names no event before it (its record re-packed) */
	{
		Dispatch__Event *ev = NULL;
		MDB_env *env;
		MDB_dbi dbi;
		MDB_val k, d;
		unsigned char kb[8] = { 0, 0, 0, 0, 0, 0, 0, 4 }, buf[1024];
		size_t n;
		ck_assert_int_eq(store_txn_begin(s, NULL, 1, &txn), 0);
		ck_assert_int_eq(store_get_event(s, txn, 4, &ev), 0);
		store_txn_abort(txn);
		store_destroy(&s);
		ck_assert_uint_eq(ev->ticket_prev_seq, 2);
		ev->ticket_prev_seq = 0;
		n = dispatch__event__pack(ev, buf);
		dispatch__event__free_unpacked(ev, NULL);
		raw_begin(&env, &txn, 0);
		ck_assert_int_eq(mdb_dbi_open(txn, "events", 0, &dbi), 0);
		k.mv_size = 8, k.mv_data = kb;
		d.mv_size = n, d.mv_data = buf;
		ck_assert_int_eq(mdb_put(txn, dbi, &k, &d, 0), 0);
		ck_assert_int_eq(mdb_txn_commit(txn), 0);
		mdb_env_close(env);
		s = open_store();
	}
	ck_assert_int_ge(verify_store(s, out), 1);
	rewind(out);
	ck_assert_uint_gt(fread(report, 1, sizeof report - 1, out), 0);
	ck_assert_msg(strstr(report, "histories: 5 event(s) are about tickets, but their tickets' histories hold 4") !=
			      NULL,
		      "%s", report);
	fclose(out);
	store_destroy(&s);
}
END_TEST

/* A submission puts its ticket twice in one transaction (its two events);
 * the second put takes the first's index keys from memory, not from the
 * database. The indexes must follow both, and a child transaction that
 * is aborted must not leave a memory of a put that is gone. */
static void snapshot_put(store_t *s, MDB_txn *txn, Dispatch__Ticket *t, Dispatch__State to)
{
	Dispatch__Event ev = DISPATCH__EVENT__INIT;

	ev.ticket_id = t->id;
	ev.type = DISPATCH__EVENT_TYPE__EVENT_ASSIGNED;
	ev.to_state = to;
	t->state = to;
	ev.ticket = t;
	ck_assert_int_eq(store_append_event(s, txn, &ev, NULL, NULL), 0);
	ck_assert_int_eq(store_put_ticket_snapshot(s, txn, t), 0);
}

START_TEST(a_second_put_in_a_transaction_moves_the_indexes)
{
	store_t *s = open_store();
	Dispatch__Ticket t = DISPATCH__TICKET__INIT;
	struct found f;
	MDB_txn *txn, *child;
	uint64_t last;

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	ck_assert_int_eq(store_next_ticket_id(s, txn, &t.id), 0);
	t.unit = (char *)"12-1A";
	t.crew = (char *)"technical";
	snapshot_put(s, txn, &t, DISPATCH__STATE__STATE_NEW);
	t.unit = (char *)"3-2B"; /* corrected, and assigned, in the same transaction */
	t.member = (char *)"T07";
	snapshot_put(s, txn, &t, DISPATCH__STATE__STATE_ASSIGNED);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	member_index_is(s, "T07", t.id);
	ck_assert_str_eq(open_at_unit(s, "3-2B", &f), "1");
	ck_assert_str_eq(open_at_unit(s, "12-1A", &f), "");
	ck_assert_int_eq(verify_store(s, stderr), 0);

	ck_assert_int_eq(store_txn_begin(s, NULL, 0, &txn), 0);
	snapshot_put(s, txn, &t, DISPATCH__STATE__STATE_ACCEPTED);
	ck_assert_int_eq(store_txn_begin(s, txn, 0, &child), 0);
	last = t.last_seq;
	t.member = (char *)"T08";
	snapshot_put(s, child, &t, DISPATCH__STATE__STATE_ASSIGNED); /* reassigned, then thought better of */
	store_txn_abort(child);
	/* the ticket as the parent has it (a handler would read it again) */
	t.member = (char *)"T07";
	t.state = DISPATCH__STATE__STATE_ACCEPTED;
	t.last_seq = last;
	snapshot_put(s, txn, &t, DISPATCH__STATE__STATE_CLOSED);
	ck_assert_int_eq(store_txn_commit(txn), 0);
	member_index_is(s, "T07", 0);
	member_index_is(s, "T08", 0);
	ck_assert_str_eq(open_at_unit(s, "3-2B", &f), "");
	ck_assert_int_eq(verify_store(s, stderr), 0);
	store_destroy(&s);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("store");
	TCase *tc = tcase_create("lmdb");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_second_put_in_a_transaction_moves_the_indexes);
	tcase_add_test(tc, a_history_is_the_chain_back_through_its_events);
	tcase_add_test(tc, a_version_8_stores_unit_and_reply_time_keys_go);
	tcase_add_test(tc, old_replies_are_forgotten_and_swept_in_steps);
	tcase_add_test(tc, put_get_and_reopen);
	tcase_add_test(tc, open_index_follows_the_state);
	tcase_add_test(tc, event_log_is_dense_and_history_is_per_ticket);
	tcase_add_test(tc, an_event_is_stored_as_if_packed_whole);
	tcase_add_test(tc, aborted_nested_txn_leaves_nothing);
	tcase_add_test(tc, open_counts_follow_commits_and_aborts);
	tcase_add_test(tc, unknown_schema_version_is_refused);
	tcase_add_test(tc, stored_replies_by_sender_and_request_id);
	tcase_add_test(tc, verify_finds_a_missing_index_entry_and_a_gap);
	tcase_add_test(tc, a_version_1_store_is_migrated_in_place);
	tcase_add_test(tc, a_version_4_stores_indexes_move_into_one_database);
	tcase_add_test(tc, a_version_2_store_is_migrated_in_place);
	tcase_add_test(tc, a_version_5_stores_replies_are_keyed_by_their_sender);
	tcase_add_test(tc, the_log_is_hash_chained_through_a_purge);
	tcase_add_test(tc, verify_names_the_first_broken_link);
	tcase_add_test(tc, a_version_3_log_is_chained_in_place);
	tcase_add_test(tc, search_indexes_hold_every_ticket_kept);
	tcase_add_test(tc, a_version_6_store_gets_its_search_indexes);
	tcase_add_test(tc, asset_indexes_follow_the_tickets);
	tcase_add_test(tc, a_version_7_store_gets_its_asset_indexes);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
