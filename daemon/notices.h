/*
 * notices: the estate notices (clause 4.4) in force, in memory, for the
 * residents' pages (issue 17).
 *
 * A notice is only an event in the log (EVENT_NOTICE, no ticket), and the
 * store has no table of them. Rather than a new database (a schema
 * change, and a second copy of what the log holds), the daemon rebuilds
 * this list from the log at start (notices_load: one pass over the stored
 * bytes that decodes only the notices) and adds each notice once its
 * batch is on disk (notices_committed, from ingest's commit). A notice is
 * in force until its window's end; one without an end, for
 * NOTICES_OPEN_DAYS after it starts (or was published): a notice cannot be
 * withdrawn, and a page must not show last year's. At most NOTICES_MAX are
 * kept; past that the one that ends first goes.
 *
 * Ownership: the list owns its events; notices_for() hands out pointers
 * into it, valid until the next notices_load/notices_committed.
 */
#ifndef NOTICES_H
#define NOTICES_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch.pb-c.h"
#include "publish.h"
#include "store.h"

#define NOTICES_MAX 256
#define NOTICES_OPEN_DAYS 14

typedef struct notices notices_t;

notices_t *notices_new(void);
void notices_destroy(notices_t **n);

/* Read every notice of the log still in force at now. 0 or a store error. */
int notices_load(notices_t *n, store_t *s, MDB_txn *txn, int64_t now_ms);
/* The notices among a committed batch's events (the outbox before it is
 * sent). n may be NULL. */
void notices_committed(notices_t *n, const struct publish_outbox *o, int64_t now_ms);
/* Add one notice event (copied). */
void notices_add(notices_t *n, const Dispatch__Event *ev, int64_t now_ms);

/* The notices in force at now for building ("" or NULL: only the
 * estate-wide ones), oldest first, up to max into out; the count. */
size_t notices_for(const notices_t *n, const char *building, int64_t now_ms, const Dispatch__Notice **out, size_t max);
/* How many are kept (tests). */
size_t notices_count(const notices_t *n);

#endif
