/*
 * export: one period's records as newline-delimited JSON, for archiving
 * (clause 4.7). One object per event of the log whose time falls in
 * [from_ms, to_ms), in log order, each with the ticket as it was after the
 * event, every field of both under its name in dispatch.proto. Read from
 * one snapshot; the daemon may keep serving.
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

/* Returns the number of events written, or a negative store error. */
long export_events(store_t *s, int64_t from_ms, int64_t to_ms, FILE *out);

#endif
