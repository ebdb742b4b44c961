/* verify: store invariants, read in one snapshot (see verify.h). */
#include "verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "chain.h"
#include "due.h"
#include "ticket.h"

#define VERIFY_REPORT_MAX 100 /* violations printed; the count goes on */

struct verify {
	store_t *s;
	MDB_txn *txn;
	FILE *out;
	long bad;
	uint64_t last_seq, last_ticket, expect_seq, tickets, events;
	uint8_t link[CHAIN_HASH_LEN]; /* link of the event before the one being read */
	uint64_t broken;              /* broken links of the hash chain */
	uint64_t at[2];               /* where the first two were seen (the seq that did not match) */
	uint64_t about_tickets;       /* events about a ticket (not tombstones) ... */
	uint64_t in_histories;        /* ... and those the tickets' histories hold: the same */
};

static void verify_bad(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int verify_event(Dispatch__Event *ev, void *arg);

static void verify_bad(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	if (v->bad++ >= VERIFY_REPORT_MAX)
		return;
	va_start(ap, fmt);
	vfprintf(v->out, fmt, ap);
	va_end(ap);
	fputc('\n', v->out);
}

/* A record whose prev_hash is not the link of the record before it: the
 * link (seq-1 -> seq) is broken. */
static void verify_broken(struct verify *v, uint64_t seq)
{
	if (v->broken < 2)
		v->at[v->broken] = seq;
	v->broken++;
}

/* One link of the hash chain (chain.h): ev, stored as rec/len, must hold
 * the link of its predecessor. */
static void verify_link(struct verify *v, uint64_t seq, const Dispatch__Event *ev, const void *rec, size_t len)
{
	if (ev->prev_hash.len != CHAIN_HASH_LEN || memcmp(ev->prev_hash.data, v->link, CHAIN_HASH_LEN) != 0)
		verify_broken(v, seq);
	chain_link(ev, rec, len, v->link);
}

/* Name the record that was changed. An edit of record k breaks the link
 * k -> k+1 (its bytes no longer hash to what k+1 holds); if the edit
 * touched k's own prev_hash, the link k-1 -> k breaks too. So two breaks
 * in a row point at the first, a lone one at the record before it. */
static void verify_chain_verdict(struct verify *v)
{
	uint64_t k;

	if (v->broken == 0)
		return;
	if (v->broken > 1 && v->at[1] == v->at[0] + 1) {
		k = v->at[0];
		verify_bad(v,
			   "hash chain: first broken link at seq %" PRIu64 ": its record was changed outside dispatchd "
			   "(neither its link to seq %" PRIu64 " nor its own hash match; compare it with a backup)",
			   k, k - 1);
	} else if (v->at[0] > v->last_seq) {
		k = v->last_seq;
		verify_bad(v,
			   "hash chain: first broken link at seq %" PRIu64 ": the last record no longer hashes to the "
			   "chain head kept in meta; it (or the head) was changed outside dispatchd",
			   k);
	} else {
		k = v->at[0] > 1 ? v->at[0] - 1 : 1;
		verify_bad(v,
			   "hash chain: first broken link at seq %" PRIu64 ": its record no longer hashes to the link "
			   "seq %" PRIu64 " holds; seq %" PRIu64 " was changed outside dispatchd (or seq %" PRIu64
			   "'s link to it); compare it with a backup",
			   k, k + 1, k, k + 1);
	}
	if (v->broken > 2)
		verify_bad(v, "hash chain: %" PRIu64 " broken link(s) in all; the first is named above", v->broken);
}

/* A tombstone's link is the purged record's, so its own bytes are not
 * hashed: it must hold exactly what store_purge() writes and nothing else
 * (its seq, time and ticket id cannot be checked; chain.h). */
static void verify_tombstone(struct verify *v, uint64_t seq, const Dispatch__Event *ev, const void *rec, size_t len)
{
	Dispatch__Event t = DISPATCH__EVENT__INIT;
	uint8_t buf[256];

	t.seq = ev->seq;
	t.ticket_id = ev->ticket_id;
	t.time_ms = ev->time_ms;
	t.type = ev->type;
	t.prev_hash = ev->prev_hash;
	t.purged_hash = ev->purged_hash;
	if (ev->purged_hash.len != CHAIN_HASH_LEN || dispatch__event__get_packed_size(&t) != len || len > sizeof buf ||
	    dispatch__event__pack(&t, buf) != len || memcmp(buf, rec, len) != 0)
		verify_bad(v,
			   "event log: seq %" PRIu64 " is a tombstone with more (or less) than a purge writes "
			   "(seq, time, ticket id, the chain links): changed outside dispatchd",
			   seq);
}

static int verify_record(uint64_t seq, const void *rec, size_t len, void *arg)
{
	struct verify *v = arg;
	Dispatch__Event *ev = dispatch__event__unpack(NULL, len, rec);

	v->events++;
	if (ev == NULL) {
		verify_bad(v, "event log: seq %" PRIu64 " does not decode (changed outside dispatchd?)", seq);
		verify_broken(v, seq);
		chain_hash(rec, len, v->link);
		v->expect_seq = seq + 1;
		return 0;
	}
	if (ev->seq != seq)
		verify_bad(v, "event log: the record stored as seq %" PRIu64 " says it is seq %" PRIu64, seq, ev->seq);
	verify_link(v, seq, ev, rec, len);
	if (ev->type == DISPATCH__EVENT_TYPE__EVENT_PURGED)
		verify_tombstone(v, seq, ev, rec, len);
	v->events--; /* verify_event counts it */
	return verify_event(ev, v);
}

static int verify_event(Dispatch__Event *ev, void *arg)
{
	struct verify *v = arg;

	v->events++;
	if (ev->ticket_id && ev->type != DISPATCH__EVENT_TYPE__EVENT_PURGED)
		v->about_tickets++;
	if (ev->seq != v->expect_seq)
		verify_bad(v, "event log: expected seq %" PRIu64 ", found %" PRIu64 " (a gap or a reordering)",
			   v->expect_seq, ev->seq);
	v->expect_seq = ev->seq + 1;
	dispatch__event__free_unpacked(ev, NULL);
	return 0;
}

static void verify_index(struct verify *v, enum store_index which, const char *iname, const char *name, uint64_t id,
			 int want)
{
	int has = 0;
	int rc = store_index_has(v->s, v->txn, which, name, id, &has);

	if (rc != 0)
		verify_bad(v, "ticket %" PRIu64 ": cannot read %s: %s", id, iname, store_strerror(rc));
	else if (has && !want)
		verify_bad(v, "ticket %" PRIu64 ": listed in %s under '%s' but should not be", id, iname, name);
	else if (!has && want)
		verify_bad(v, "ticket %" PRIu64 ": missing from %s under '%s'", id, iname, name);
}

/* A deadline that is not in the index would never fire: the ticket's
 * next deadline must be what its state says, and indexed. */
static void verify_deadline(struct verify *v, const Dispatch__Ticket *t)
{
	int64_t want = due_next_ms(t, NULL);
	int has = 0, rc;

	if (t->due_ms != want)
		verify_bad(v, "ticket %" PRIu64 ": next deadline %" PRId64 ", but its state says %" PRId64, t->id,
			   t->due_ms, want);
	if (t->due_ms <= 0)
		return;
	if ((rc = store_due_has(v->s, v->txn, t->due_ms, t->id, &has)) != 0)
		verify_bad(v, "ticket %" PRIu64 ": cannot read the deadlines index: %s", t->id, store_strerror(rc));
	else if (!has)
		verify_bad(v, "ticket %" PRIu64 ": its deadline %" PRId64 " is missing from the deadlines index", t->id,
			   t->due_ms);
}

static int verify_ticket(Dispatch__Ticket *t, void *arg)
{
	struct verify *v = arg;
	Dispatch__Event *ev = NULL;
	int rc;

	v->tickets++;
	if (t->id == 0 || t->id > v->last_ticket)
		verify_bad(v, "ticket %" PRIu64 ": id beyond the last issued (%" PRIu64 ")", t->id, v->last_ticket);
	if (t->last_seq == 0 || t->last_seq > v->last_seq) {
		verify_bad(v, "ticket %" PRIu64 ": last event %" PRIu64 " is not in the log (last seq %" PRIu64 ")",
			   t->id, t->last_seq, v->last_seq);
	} else if ((rc = store_get_event(v->s, v->txn, t->last_seq, &ev)) != 0) {
		verify_bad(v, "ticket %" PRIu64 ": its last event %" PRIu64 " cannot be read: %s", t->id, t->last_seq,
			   store_strerror(rc));
	} else {
		if (ev->ticket_id != t->id)
			verify_bad(v, "ticket %" PRIu64 ": its last event %" PRIu64 " is about ticket %" PRIu64, t->id,
				   t->last_seq, ev->ticket_id);
		else if (ev->to_state != t->state)
			verify_bad(v, "ticket %" PRIu64 ": state %d, but its last event led to %d", t->id,
				   (int)t->state, (int)ev->to_state);
		dispatch__event__free_unpacked(ev, NULL);
	}
	/* its history: the chain back from its last event (schema 10) */
	{
		uint64_t n = 0;
		if ((rc = store_history_count(v->s, v->txn, t, &n)) != 0)
			verify_bad(v,
				   "ticket %" PRIu64 ": its history cannot be followed back from event %" PRIu64
				   ": %s (an event's link to the one before is about another ticket, or does not go "
				   "back)",
				   t->id, t->last_seq, store_strerror(rc));
		v->in_histories += n;
	}
	verify_index(v, STORE_OPEN_BY_MEMBER, "open_by_member", t->member, t->id,
		     t->member[0] && store_state_counts_for_member(t->state));
	if (t->crew[0])
		verify_index(v, STORE_OPEN_BY_CREW, "open_by_crew", t->crew, t->id, store_state_is_open(t->state));
	if (t->unit[0])
		verify_index(v, STORE_OPEN_BY_UNIT, "open_by_unit", t->unit, t->id, store_state_is_open(t->state));
	if (t->asset[0]) { /* issue 19 */
		verify_index(v, STORE_BY_ASSET, "tickets_by_asset", t->asset, t->id, 1);
		verify_index(v, STORE_OPEN_BY_ASSET, "open_by_asset", t->asset, t->id, store_state_is_open(t->state));
	}
	verify_deadline(v, t);
	if (t->vendor_incident[0])
		verify_index(v, STORE_VENDOR_INCIDENTS, "vendor_incidents", t->vendor, t->id, 1);
	dispatch__ticket__free_unpacked(t, NULL);
	return 0;
}

/* Every index entry must name an existing ticket that belongs there. */
struct verify_entry {
	struct verify *v;
	enum store_index which;
	const char *iname;
};

static int verify_entry(const char *name, uint64_t id, void *arg)
{
	struct verify_entry *e = arg;
	Dispatch__Ticket *t = NULL;
	int rc = store_get_ticket(e->v->s, e->v->txn, id, &t);
	const char *field;
	int open;

	if (rc != 0) {
		verify_bad(e->v, "%s: entry '%s' -> ticket %" PRIu64 ", which cannot be read: %s", e->iname, name, id,
			   store_strerror(rc));
		return 0;
	}
	field = e->which == STORE_OPEN_BY_MEMBER ? t->member : e->which == STORE_OPEN_BY_CREW ? t->crew : t->unit;
	if (e->which == STORE_BY_ASSET || e->which == STORE_OPEN_BY_ASSET)
		field = t->asset;
	open = e->which == STORE_OPEN_BY_MEMBER ? store_state_counts_for_member(t->state)
	       : e->which == STORE_BY_ASSET     ? 1
						: store_state_is_open(t->state);
	if (strcmp(field, name) != 0 || !open)
		verify_bad(e->v, "%s: entry '%s' -> ticket %" PRIu64 ", which is %s '%s' in state %d", e->iname, name,
			   id, e->which == STORE_OPEN_BY_UNIT ? "at" : "with", field, (int)t->state);
	dispatch__ticket__free_unpacked(t, NULL);
	return 0;
}

static int verify_pair(uint64_t id, uint64_t seq, void *arg)
{
	struct verify *v = arg;
	Dispatch__Event *ev = NULL;
	int rc = store_get_event(v->s, v->txn, seq, &ev);

	if (rc != 0) {
		verify_bad(v, "ticket_events: ticket %" PRIu64 " -> event %" PRIu64 ", which cannot be read: %s", id,
			   seq, store_strerror(rc));
		return 0;
	}
	if (ev->ticket_id != id)
		verify_bad(v, "ticket_events: ticket %" PRIu64 " -> event %" PRIu64 ", which is about ticket %" PRIu64,
			   id, seq, ev->ticket_id);
	dispatch__event__free_unpacked(ev, NULL);
	return 0;
}

long verify_store(store_t *s, FILE *out)
{
	struct verify v = { .s = s, .out = out, .expect_seq = 1 };
	uint8_t head[CHAIN_HASH_LEN];
	static const struct {
		enum store_index which;
		const char *name;
	} idx[] = {
		{ STORE_OPEN_BY_MEMBER, "open_by_member" }, { STORE_OPEN_BY_CREW, "open_by_crew" },
		{ STORE_OPEN_BY_UNIT, "open_by_unit" },     { STORE_BY_ASSET, "tickets_by_asset" },
		{ STORE_OPEN_BY_ASSET, "open_by_asset" },
	};
	int rc;

	if ((rc = store_txn_begin(s, NULL, 1, &v.txn)) != 0)
		return rc;
	if ((rc = store_last_seq(s, v.txn, &v.last_seq)) != 0 ||
	    (rc = store_last_ticket(s, v.txn, &v.last_ticket)) != 0)
		goto fail;
	if ((rc = store_event_records(s, v.txn, 1, verify_record, &v)) != 0)
		goto fail;
	if (v.expect_seq != v.last_seq + 1)
		verify_bad(&v, "event log: ends at seq %" PRIu64 " but the counter says %" PRIu64, v.expect_seq - 1,
			   v.last_seq);
	if ((rc = store_chain_head(s, v.txn, head)) != 0) {
		verify_bad(&v, "hash chain: the chain head in meta cannot be read: %s", store_strerror(rc));
	} else if (memcmp(head, v.link, CHAIN_HASH_LEN) != 0) {
		verify_broken(&v, v.expect_seq); /* the head vouches for the last record */
	}
	verify_chain_verdict(&v);
	if ((rc = store_tickets(s, v.txn, verify_ticket, &v)) != 0)
		goto fail;
	for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
		struct verify_entry e = { .v = &v, .which = idx[i].which, .iname = idx[i].name };
		if ((rc = store_each_index(s, v.txn, idx[i].which, verify_entry, &e)) != 0)
			goto fail;
	}
	if ((rc = store_each_ticket_event(s, v.txn, verify_pair, &v)) != 0)
		goto fail;
	/* Histories are disjoint (an event has one ticket), so as many in them
	 * as there are events about tickets means each is in its ticket's. */
	if (v.in_histories != v.about_tickets)
		verify_bad(&v,
			   "histories: %" PRIu64
			   " event(s) are about tickets, but their tickets' histories hold %" PRIu64
			   ": a history misses events (a ticket's chain back through its events is cut)",
			   v.about_tickets, v.in_histories);
	store_txn_abort(v.txn);
	if (v.bad > VERIFY_REPORT_MAX)
		fprintf(out, "... and %ld more\n", v.bad - VERIFY_REPORT_MAX);
	fprintf(out, "%s: %" PRIu64 " ticket(s), %" PRIu64 " event(s), %ld violation(s)\n", v.bad ? "FAILED" : "ok",
		v.tickets, v.events, v.bad);
	return v.bad;
fail:
	store_txn_abort(v.txn);
	return rc < 0 ? rc : -rc;
}
