/*
 * watch.h: what the parts of dispatch-watch share. watch.c has the command
 * line, the filters and the event stream; watch_summary.c is the live
 * full-screen summary.
 */
#ifndef WATCH_H
#define WATCH_H

#include <signal.h>
#include <stdint.h>

#include "dispatch_client.h"

#define WATCH_PROG "dispatch-watch"
#define WATCH_MULTI_MAX 32

extern volatile sig_atomic_t watch_stop;

/* What to show. Empty fields match everything. */
struct watch_filter {
	const char *crew, *member;
	Dispatch__Kind kinds[WATCH_MULTI_MAX];
	int n_kinds;
	const char *units[WATCH_MULTI_MAX]; /* fnmatch patterns */
	int n_units;
};

/* Whether the filter has anything in it. */
int watch_filter_any(const struct watch_filter *f);
/* Whether a ticket passes (crew, member, kind, unit). */
int watch_filter_ticket(const struct watch_filter *f, const Dispatch__Ticket *t);
/* Whether an event passes: by its ticket, or by its own crew and member
 * for events without one (duty); outages and notices pass unless crew or
 * member is asked for. */
int watch_filter_event(const struct watch_filter *f, const Dispatch__Event *e);

/* "HH:MM:SS" of a daemon time in BUF, in the estate's zone (dc_time.h);
 * "--:--:--" if it cannot be shown. Returns BUF. */
char *watch_hms(int64_t ms, char *buf, size_t size);

/* The live summary; returns the exit code. */
int watch_summary(dc_t *dc, const struct watch_filter *f, int color);

#endif
