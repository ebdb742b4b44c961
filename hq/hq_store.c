/* hq_store: see hq_store.h. Writes a dispatchd store through its inside
 * (store_impl.h), as store.c does, for records that come already made. */
#include "hq_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "store_impl.h"

/* Take ticket id out of the copy: its open indexes (as a closed ticket),
 * its search entries, its history index and the ticket. With events set,
 * each event of its history becomes a tombstone, counted in *n. */
static int drop_ticket(store_t *s, MDB_txn *txn, uint64_t id, int events, uint64_t *n)
{
	Dispatch__Ticket *t = NULL;
	unsigned char kb[8];
	MDB_val k = { 8, kb };
	MDB_cursor *hc = NULL;
	int rc, r;

	rc = store_get_ticket(s, txn, id, &t);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (store_state_is_open(t->state)) { /* out of the open indexes first */
		t->state = DISPATCH__STATE__STATE_CLOSED;
		t->due_ms = 0;
		if ((rc = store_put_ticket(s, txn, t)) != 0)
			goto out;
	}
	if ((rc = store_search_set(s, txn, t, false)) != 0)
		goto out;
	store_be64(kb, id);
	if (events) {
		MDB_val hk = k, hv;

		if ((rc = mdb_cursor_open(txn, s->ticket_events, &hc)) != 0)
			goto out;
		for (r = mdb_cursor_get(hc, &hk, &hv, MDB_SET_KEY); r == 0;
		     r = mdb_cursor_get(hc, &hk, &hv, MDB_NEXT_DUP)) {
			if ((rc = store_tombstone(s, txn, store_get_be64(hv.mv_data))) != 0)
				goto out;
			(*n)++;
		}
	}
	if ((rc = store_del(txn, s->ticket_events, &k, NULL)) != 0 && rc != MDB_NOTFOUND)
		goto out;
	rc = store_del(txn, s->tickets, &k, NULL);
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	if (hc)
		mdb_cursor_close(hc);
	dispatch__ticket__free_unpacked(t, NULL);
	return rc;
}

struct cand {
	int64_t updated_ms;
	uint64_t id;
};

struct cands {
	struct cand *v;
	size_t n, cap;
};

static int collect(Dispatch__Ticket *t, void *arg)
{
	struct cands *c = arg;

	if (!store_state_is_open(t->state)) {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 1024;
			c->v = realloc(c->v, c->cap * sizeof *c->v);
			if (c->v == NULL)
				abort();
		}
		c->v[c->n++] = (struct cand){ t->updated_ms, t->id };
	}
	dispatch__ticket__free_unpacked(t, NULL);
	return 0;
}

static int by_update(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->updated_ms != y->updated_ms)
		return x->updated_ms < y->updated_ms ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The estate's purge, replayed: see hq_store.h. */
static int apply_purge(store_t *s, MDB_txn *txn, const Dispatch__Event *ev, struct hq_apply_note *note)
{
	unsigned long long tickets = 0, events = 0;
	const char *p;
	struct cands c = { 0 };
	uint64_t n = 0;
	size_t take;
	int rc;

	if (ev->note == NULL || sscanf(ev->note, "retention purge: %llu ticket(s)", &tickets) != 1 ||
	    (p = strstr(ev->note, " removed, ")) == NULL || sscanf(p, " removed, %llu event(s)", &events) != 1) {
		if (note)
			note->purge_mismatch = 1;
		return 0;
	}
	if ((rc = store_tickets(s, txn, collect, &c)) != 0)
		goto out;
	qsort(c.v, c.n, sizeof *c.v, by_update);
	take = tickets < c.n ? (size_t)tickets : c.n;
	/* a prefix by last update cannot split tickets updated in the same ms */
	while (take > 0 && take < c.n && c.v[take].updated_ms == c.v[take - 1].updated_ms)
		take--;
	for (size_t i = 0; i < take; i++)
		if ((rc = drop_ticket(s, txn, c.v[i].id, 1, &n)) != 0)
			goto out;
	if (note) {
		note->purge_tickets = take;
		note->purge_events = n;
		note->purge_mismatch = take != tickets || n != events;
	}
out:
	free(c.v);
	return rc;
}

int hq_apply(store_t *s, MDB_txn *txn, uint64_t seq, const void *rec, size_t len, struct hq_apply_note *note)
{
	Dispatch__Event *ev = dispatch__event__unpack(NULL, len, rec);
	uint8_t link[CHAIN_HASH_LEN];
	unsigned char kb[8], vb[8];
	MDB_val k = { 8, kb }, d = { len, (void *)rec };
	int rc;

	if (note)
		memset(note, 0, sizeof *note);
	store_be64(kb, seq);
	if ((rc = store_put(txn, s->events, &k, &d, MDB_APPEND)) != 0)
		goto out;
	if ((rc = store_meta_put_u64(s, txn, "last_seq", seq)) != 0)
		goto out;
	if (ev && note)
		note->time_ms = ev->time_ms;
	if (ev)
		chain_link(ev, rec, len, link);
	else
		chain_hash(rec, len, link);
	if ((rc = store_chain_head_put(s, txn, link)) != 0 || ev == NULL)
		goto out;
	if (ev->member && ev->member[0]) {
		char mkey[64];

		snprintf(mkey, sizeof mkey, "mseq/%s", ev->member);
		if ((rc = store_meta_put_u64(s, txn, mkey, ev->member_seq)) != 0)
			goto out;
	}
	if (ev->type == DISPATCH__EVENT_TYPE__EVENT_PURGED) {
		uint64_t n = 0;

		/* the estate purged this ticket before this seq was shipped */
		if (ev->ticket_id)
			rc = drop_ticket(s, txn, ev->ticket_id, 0, &n);
		goto out;
	}
	if (ev->ticket_id) {
		store_be64(kb, ev->ticket_id);
		store_be64(vb, seq);
		d.mv_size = 8;
		d.mv_data = vb;
		if ((rc = store_put(txn, s->ticket_events, &k, &d, 0)) != 0)
			goto out;
	}
	if (ev->ticket) {
		uint64_t last = 0;

		if ((rc = store_put_ticket(s, txn, ev->ticket)) != 0)
			goto out;
		if ((rc = store_meta_get_u64(s, txn, "last_ticket", &last)) != 0)
			goto out;
		if (ev->ticket->id > last && (rc = store_meta_put_u64(s, txn, "last_ticket", ev->ticket->id)) != 0)
			goto out;
	}
	if (ev->type == DISPATCH__EVENT_TYPE__EVENT_OUTAGE && ev->outage) {
		uint64_t last = 0;

		if ((rc = store_put_outage(s, txn, ev->outage)) != 0)
			goto out;
		if ((rc = store_meta_get_u64(s, txn, "last_outage", &last)) != 0)
			goto out;
		if (ev->outage->id > last && (rc = store_meta_put_u64(s, txn, "last_outage", ev->outage->id)) != 0)
			goto out;
	}
	if (ev->type == DISPATCH__EVENT_TYPE__EVENT_DUTY && ev->member && ev->member[0])
		rc = store_put_duty(s, txn, ev->member, ev->on_duty ? 1 : 0);
	if (ev->type == DISPATCH__EVENT_TYPE__EVENT_RETENTION_PURGE)
		rc = apply_purge(s, txn, ev, note);
out:
	if (ev)
		dispatch__event__free_unpacked(ev, NULL);
	return rc;
}
