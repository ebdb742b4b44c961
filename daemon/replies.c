/*
 * replies: the stored replies' codec, by which a retry gets the answer
 * the first attempt got (see replies.h). The store keeps the bytes; this
 * file decides what they are.
 */
#include "replies.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "wire.h"
#include "xalloc.h"

/*
 * Stored replies. A mutating request's reply lists the events it wrote,
 * which the log holds already; stored in full they were a third of the
 * bytes a submission adds to the store. So when a reply reports events it
 * is stored as: 0x00, the number of events (one byte), their seqs (8
 * bytes each, big-endian), then the packed Reply without them; a retry
 * gets them back from the log (ticket snapshot and chain link left out,
 * as in the first answer). A packed Reply never begins with 0x00 (there
 * is no field number 0), so a reply stored whole reads back as before.
 */
#define REPLIES_COMPACT 0x00
#define REPLIES_COMPACT_MAX 255
/*
 * And when the reply's ticket is the snapshot one of those events holds
 * (a submission's: ingest.c splices those very bytes into the reply), the
 * ticket is left out too, a third of what was left: 0x01, the number of
 * events, their seqs, then one byte, which of them holds the ticket, then
 * the packed Reply without events and ticket. 0x01 is no packed Reply's
 * first byte either (field number 0 again).
 */
#define REPLIES_COMPACT_TICKET 0x01

/* A Reply field's number, from the generated descriptor. */
static unsigned replies_field(const char *name)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(&dispatch__reply__descriptor, name);

	assert(f != NULL && f->id < 64);
	return f->id;
}

static unsigned replies_events_field(void)
{
	static unsigned id;

	if (id == 0)
		id = replies_field("events");
	return id;
}

static unsigned replies_ticket_field(void)
{
	static unsigned id;

	if (id == 0)
		id = replies_field("ticket");
	return id;
}

/*
 * What makes two requests "the same request" for a retry: the packed
 * Request without its request_id, role and actor (the id is the lookup
 * key, and who asked is part of it: over CURVE what a request claims to be
 * is ignored, so it must not make a retry differ), hashed with SHA-256 and
 * cut to STORE_DIGEST_LEN bytes: 128 bits, where a collision would only
 * let one sender confuse two of its own requests. A digest of all zeros
 * means "unknown" to the store (migrated replies), so none is made.
 */
#define REPLIES_DIGEST_DROP (((uint64_t)1 << 2) | ((uint64_t)1 << 3) | ((uint64_t)1 << 4))

bool replies_digest_unknown(const uint8_t d[STORE_DIGEST_LEN])
{
	for (int i = 0; i < STORE_DIGEST_LEN; i++)
		if (d[i] != 0)
			return false;
	return true;
}

void replies_digest(const uint8_t *p, size_t len, uint8_t out[STORE_DIGEST_LEN])
{
	size_t n;
	uint8_t *kept = xmalloc(len ? len : 1), h[CHAIN_HASH_LEN];

	n = wire_strip_fields(p, len, REPLIES_DIGEST_DROP, kept);
	if (n == 0) /* a form protobuf-c took and this scan does not: the whole payload, then */
		chain_hash(p, len, h);
	else
		chain_hash(kept, n, h);
	free(kept);
	memcpy(out, h, STORE_DIGEST_LEN);
	if (replies_digest_unknown(out))
		out[0] = 1;
}

int replies_put(store_t *s, MDB_txn *txn, Dispatch__Role role, const char *who, const char *request_id,
		const uint8_t digest[STORE_DIGEST_LEN], int64_t now, const Dispatch__Reply *rep, bool ticket_stored,
		const uint8_t *packed, size_t packed_len)
{
	Dispatch__Event **evs = rep->events;
	size_t nev = rep->n_events, len, at;
	uint64_t drop = (uint64_t)1 << replies_events_field();
	int holder = -1;
	uint8_t *buf;
	int rc;

	for (size_t i = 0; i < nev; i++)
		if (evs[i]->seq == 0) /* not from the log: keep it whole */
			nev = 0;
	if (nev == 0 || nev > REPLIES_COMPACT_MAX)
		return store_put_reply(s, txn, role, who, request_id, digest, now, packed, packed_len);
	/* the event whose snapshot the reply's ticket is, if the handler says it is one */
	for (size_t i = 0; ticket_stored && rep->ticket && i < nev && holder < 0; i++)
		if (evs[i]->seq == rep->ticket->last_seq && evs[i]->ticket_id == rep->ticket->id)
			holder = (int)i;
	buf = xmalloc(3 + 8 * nev + packed_len);
	buf[0] = holder >= 0 ? REPLIES_COMPACT_TICKET : REPLIES_COMPACT;
	buf[1] = (uint8_t)nev;
	at = 2;
	for (size_t i = 0; i < nev; i++)
		for (int b = 7; b >= 0; b--)
			buf[at++] = (uint8_t)(evs[i]->seq >> (8 * b));
	if (holder >= 0) {
		buf[at++] = (uint8_t)holder;
		drop |= (uint64_t)1 << replies_ticket_field();
	}
	len = wire_strip_fields(packed, packed_len, drop, buf + at);
	assert(len > 0); /* packed was packed from rep: well-formed, and never empty when it has events */
	rc = store_put_reply(s, txn, role, who, request_id, digest, now, buf, at + len);
	free(buf);
	return rc;
}

int replies_get(store_t *s, MDB_txn *txn, const uint8_t *data, size_t len, uint8_t **out, size_t *out_len)
{
	Dispatch__Event *evs[REPLIES_COMPACT_MAX];
	Dispatch__Ticket *tickets[REPLIES_COMPACT_MAX];
	ProtobufCBinaryData links[REPLIES_COMPACT_MAX];
	Dispatch__Reply *rep;
	size_t nev, n = 0, head;
	int rc = 0, holder = -1, held = -1;

	if (len == 0 || (data[0] != REPLIES_COMPACT && data[0] != REPLIES_COMPACT_TICKET)) {
		*out = memcpy(xmalloc(len ? len : 1), data, len);
		*out_len = len;
		return 0;
	}
	if (len < 2)
		return STORE_CORRUPT;
	nev = data[1];
	head = 2 + 8 * nev + (data[0] == REPLIES_COMPACT_TICKET);
	if (len < head)
		return STORE_CORRUPT;
	if (data[0] == REPLIES_COMPACT_TICKET && (holder = data[head - 1]) >= (int)nev)
		return STORE_CORRUPT;
	if ((rep = dispatch__reply__unpack(NULL, len - head, data + head)) == NULL)
		return STORE_CORRUPT;
	if (holder >= 0 && rep->ticket != NULL) { /* left out, so not there */
		dispatch__reply__free_unpacked(rep, NULL);
		return STORE_CORRUPT;
	}
	for (size_t i = 0; i < nev && rc == 0; i++) {
		uint64_t seq = 0;
		for (int b = 0; b < 8; b++)
			seq = (seq << 8) | data[2 + 8 * i + (size_t)b];
		rc = store_get_event(s, txn, seq, &evs[n]);
		if (rc == STORE_NOTFOUND) { /* purged since: the reply tells what is left */
			rc = 0;
			continue;
		}
		if (rc == 0) {
			if ((int)i == holder)
				held = (int)n;
			tickets[n] = evs[n]->ticket, evs[n]->ticket = NULL;
			links[n] = evs[n]->prev_hash, evs[n]->prev_hash.data = NULL, evs[n]->prev_hash.len = 0;
			n++;
		}
	}
	if (rc == 0) {
		rep->events = evs;
		rep->n_events = n;
		/* the ticket as its event holds it (purged since: the reply has none left) */
		if (held >= 0)
			rep->ticket = tickets[held];
		*out_len = dispatch__reply__get_packed_size(rep);
		*out = xmalloc(*out_len ? *out_len : 1);
		dispatch__reply__pack(rep, *out);
		rep->events = NULL;
		rep->n_events = 0;
		if (held >= 0)
			rep->ticket = NULL; /* the event's, freed with it */
	}
	for (size_t i = 0; i < n; i++) {
		evs[i]->ticket = tickets[i];
		evs[i]->prev_hash = links[i];
		dispatch__event__free_unpacked(evs[i], NULL);
	}
	dispatch__reply__free_unpacked(rep, NULL);
	return rc;
}
