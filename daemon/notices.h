/*
 * notices: the estate notices (clause 4.4) in force, in memory, for the
 * residents' pages (issue 17).
 *
 * A notice is only an event in the log (EVENT_NOTICE, no ticket), and the
 * store has no table of them. A new database would be a schema change
 * (and a second copy of what the log holds); a pass over the whole log at
 * every start would cost a start on a store of years (0.06 s per 343,000
 * events warm, far more from a cold disk). So the notices in force are
 * kept as one value in meta, "notices" (the packed events, each led by its
 * length as 4 bytes big-endian), rewritten by every notice in the notice's
 * own transaction (notices_publish), so the value and the log never
 * disagree; a store without the value (older than this) is read from the
 * log once, at the first start, and the value written then. In memory the
 * daemon keeps the same list, read at start and added to at each commit
 * (notices_committed). A notice is in force until its window's end; one
 * without an end, for NOTICES_OPEN_DAYS after it starts (or was
 * published): a notice cannot be withdrawn, and a page must not show last
 * year's. A notice whose window is still to come is in force (residents
 * are told ahead). At most NOTICES_MAX are kept; past that the one that
 * ends first goes.
 *
 * Ownership: the list owns its events; notices_for() hands out pointers
 * into it, valid until the next notices_load/notices_committed.
 */
#ifndef NOTICES_H
#define NOTICES_H

#include <stdbool.h>
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

#define NOTICES_META "notices"

/* The notices still in force at now: from meta "notices", or (none there,
 * or not readable) from the whole log, and then *from_log is true: save
 * them with notices_save. 0 or a store error. */
int notices_load(notices_t *n, store_t *s, MDB_txn *txn, int64_t now_ms, bool *from_log);
/* Write the list to meta "notices" through txn (a write transaction). */
int notices_save(const notices_t *n, store_t *s, MDB_txn *txn);
/* A notice event just appended through txn: meta "notices" with it. */
int notices_publish(store_t *s, MDB_txn *txn, const Dispatch__Event *ev, int64_t now_ms);
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
