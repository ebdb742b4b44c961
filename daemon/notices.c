/* notices: the estate notices in force, in memory (see notices.h). */
#include "notices.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "topic.h"
#include "wire.h"
#include "xalloc.h"

#define NOTICES_OPEN_MS ((int64_t)NOTICES_OPEN_DAYS * 24 * 3600 * 1000)

struct notices {
	Dispatch__Event *v[NOTICES_MAX]; /* unpacked EVENT_NOTICE events, in seq order */
	size_t n;
};

notices_t *notices_new(void)
{
	return xcalloc(1, sizeof(notices_t));
}

static void notices_clear(notices_t *n)
{
	for (size_t i = 0; i < n->n; i++)
		dispatch__event__free_unpacked(n->v[i], NULL);
	n->n = 0;
}

void notices_destroy(notices_t **n)
{
	if (n == NULL || *n == NULL)
		return;
	notices_clear(*n);
	free(*n);
	*n = NULL;
}

/* When a notice stops being in force. */
static int64_t notices_end(const Dispatch__Event *ev)
{
	const Dispatch__Notice *no = ev->notice;
	int64_t start = no->from_ms > ev->time_ms ? no->from_ms : ev->time_ms;

	return no->to_ms ? no->to_ms : start + NOTICES_OPEN_MS;
}

static void notices_remove(notices_t *n, size_t i)
{
	dispatch__event__free_unpacked(n->v[i], NULL);
	memmove(&n->v[i], &n->v[i + 1], (n->n - i - 1) * sizeof n->v[0]);
	n->n--;
}

static void notices_prune(notices_t *n, int64_t now_ms)
{
	for (size_t i = n->n; i-- > 0;)
		if (notices_end(n->v[i]) <= now_ms)
			notices_remove(n, i);
}

/* Take ev (owned) into the list, if it is a notice still in force. */
static void notices_take(notices_t *n, Dispatch__Event *ev, int64_t now_ms)
{
	if (ev->type != DISPATCH__EVENT_TYPE__EVENT_NOTICE || ev->notice == NULL || notices_end(ev) <= now_ms) {
		dispatch__event__free_unpacked(ev, NULL);
		return;
	}
	for (size_t i = 0; i < n->n; i++)
		if (n->v[i]->seq == ev->seq) { /* seen already */
			dispatch__event__free_unpacked(ev, NULL);
			return;
		}
	notices_prune(n, now_ms);
	if (n->n == NOTICES_MAX) {
		size_t first = 0;
		for (size_t i = 1; i < n->n; i++)
			if (notices_end(n->v[i]) < notices_end(n->v[first]))
				first = i;
		if (notices_end(ev) <= notices_end(n->v[first])) {
			dispatch__event__free_unpacked(ev, NULL);
			return;
		}
		notices_remove(n, first);
	}
	n->v[n->n++] = ev;
}

static Dispatch__Event *notices_unpack(const void *data, size_t len)
{
	return dispatch__event__unpack(NULL, len, data);
}

void notices_add(notices_t *n, const Dispatch__Event *ev, int64_t now_ms)
{
	size_t len = dispatch__event__get_packed_size(ev);
	uint8_t *buf = xmalloc(len ? len : 1);
	Dispatch__Event *copy;

	dispatch__event__pack(ev, buf);
	copy = notices_unpack(buf, len);
	free(buf);
	if (copy)
		notices_take(n, copy, now_ms);
}

/* An Event's type (field 4) from its packed bytes, without unpacking. */
static uint64_t notices_peek_type(const uint8_t *p, size_t len)
{
	size_t i = 0;
	uint64_t tag, v;

	while (i < len) {
		if (!wire_varint(p, len, &i, &tag))
			return 0;
		if (tag >> 3 == 4 && (tag & 7) == 0)
			return wire_varint(p, len, &i, &v) ? v : 0;
		if (!wire_skip_value(p, len, &i, (unsigned)(tag & 7)))
			return 0;
	}
	return 0;
}

struct notices_scan {
	notices_t *n;
	int64_t now_ms;
};

static int notices_scan_cb(uint64_t seq, const void *data, size_t len, void *arg)
{
	struct notices_scan *sc = arg;
	Dispatch__Event *ev;

	(void)seq;
	if (notices_peek_type(data, len) != DISPATCH__EVENT_TYPE__EVENT_NOTICE)
		return 0;
	if ((ev = notices_unpack(data, len)) != NULL)
		notices_take(sc->n, ev, sc->now_ms);
	return 0;
}

/* The list from meta's value; false if it is not one notices_save wrote. */
static bool notices_decode(notices_t *n, const uint8_t *p, size_t len, int64_t now_ms)
{
	size_t i = 0;

	while (i < len) {
		Dispatch__Event *ev;
		uint32_t l;
		if (len - i < 4)
			return false;
		l = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
		i += 4;
		if (l > len - i || (ev = notices_unpack(p + i, l)) == NULL)
			return false;
		notices_take(n, ev, now_ms);
		i += l;
	}
	return true;
}

int notices_load(notices_t *n, store_t *s, MDB_txn *txn, int64_t now_ms, bool *from_log)
{
	struct notices_scan sc = { n, now_ms };
	const void *data;
	size_t len;
	int rc;

	notices_clear(n);
	*from_log = false;
	rc = store_meta_get_bytes(s, txn, NOTICES_META, &data, &len);
	if (rc == 0 && notices_decode(n, data, len, now_ms))
		return 0;
	if (rc != 0 && rc != STORE_NOTFOUND)
		return rc;
	notices_clear(n);
	*from_log = true;
	return store_event_records(s, txn, 1, notices_scan_cb, &sc);
}

int notices_save(const notices_t *n, store_t *s, MDB_txn *txn)
{
	size_t total = 0, at = 0, sizes[NOTICES_MAX];
	uint8_t *buf;
	int rc;

	for (size_t i = 0; i < n->n; i++)
		total += 4 + (sizes[i] = dispatch__event__get_packed_size(n->v[i]));
	buf = xmalloc(total ? total : 1);
	for (size_t i = 0; i < n->n; i++) {
		buf[at] = (uint8_t)(sizes[i] >> 24);
		buf[at + 1] = (uint8_t)(sizes[i] >> 16);
		buf[at + 2] = (uint8_t)(sizes[i] >> 8);
		buf[at + 3] = (uint8_t)sizes[i];
		at += 4 + dispatch__event__pack(n->v[i], buf + at + 4);
	}
	rc = store_meta_put_bytes(s, txn, NOTICES_META, buf, total);
	free(buf);
	return rc;
}

int notices_publish(store_t *s, MDB_txn *txn, const Dispatch__Event *ev, int64_t now_ms)
{
	notices_t *n = notices_new();
	bool from_log;
	int rc = notices_load(n, s, txn, now_ms, &from_log);

	/* from the log: ev is there already (appended through txn) */
	if (rc == 0 && !from_log)
		notices_add(n, ev, now_ms);
	if (rc == 0)
		rc = notices_save(n, s, txn);
	notices_destroy(&n);
	return rc;
}

void notices_committed(notices_t *n, const struct publish_outbox *o, int64_t now_ms)
{
	for (size_t i = 0; n && i < o->n; i++) {
		Dispatch__Event *ev;
		if (strcmp(o->v[i].topic, TOPIC_ESTATE) != 0 ||
		    notices_peek_type(o->v[i].data, o->v[i].len) != DISPATCH__EVENT_TYPE__EVENT_NOTICE)
			continue;
		if ((ev = notices_unpack(o->v[i].data, o->v[i].len)) != NULL)
			notices_take(n, ev, now_ms);
	}
}

size_t notices_for(const notices_t *n, const char *building, int64_t now_ms, const Dispatch__Notice **out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; n && i < n->n && k < max; i++) {
		const Dispatch__Notice *no = n->v[i]->notice;
		bool here = no->n_buildings == 0;
		if (notices_end(n->v[i]) <= now_ms)
			continue;
		for (size_t b = 0; !here && building && b < no->n_buildings; b++)
			here = strcmp(no->buildings[b], building) == 0;
		if (here)
			out[k++] = no;
	}
	return k;
}

size_t notices_count(const notices_t *n)
{
	return n ? n->n : 0;
}
