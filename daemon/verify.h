/*
 * verify: check a store's invariants (dispatchd --verify). The event log
 * is dense from 1 to the last seq; every ticket decodes, has its history,
 * and its state is the state its last event led to; the history index
 * points at events of the right ticket; the open-ticket indexes hold
 * exactly the tickets they should. One line per violation.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stdio.h>

#include "store.h"

/* Check s in one read snapshot; write violations to out. Returns the
 * number of violations (0: all good), or a negative store error. */
long verify_store(store_t *s, FILE *out);

#endif
