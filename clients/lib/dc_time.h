/*
 * dc_time: times as people type and read them, and the deadlines of a
 * ticket. Part of libdispatchclient (see dispatch_client.h).
 *
 * All times are unix milliseconds. "Now" is always passed in, so that a
 * program can use the daemon's clock (dc_daemon_now_ms()) rather than its
 * own: a test daemon may run at another time of day.
 */
#ifndef DC_TIME_H
#define DC_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "dc_request.h"
#include "dispatch.pb-c.h"

/*
 * The estate's clock. Every time this library parses or formats (the
 * functions below and dc_format_time()) is local time, and local time is
 * the estate's: the zone the daemon names in every reply (Reply.timezone,
 * its configuration's "timezone"). dc_request() applies it to the whole
 * process (TZ and tzset(), so the program's own localtime_r() and
 * strftime() follow too) as soon as a reply carries it. Until then, and
 * with a daemon that names no zone, it is this machine's zone. A program
 * that reads a time before it has asked the daemon anything (the desk's
 * "--until 12:00") calls dc_estate_clock() first.
 */

/*
 * Use zone, a zoneinfo name such as "Asia/Hong_Kong", for local time in
 * this process. DC_ERR_ARG, and nothing changes, for a name that is not a
 * plain zone name (empty, longer than 64 bytes, absolute, with "..", or
 * characters other than letters, digits and "/_+-") or that this machine
 * has no zoneinfo file for (its times would silently be UTC). Sets TZ:
 * not thread-safe; the client programs are single-threaded (libzmq's own
 * threads read no time zone).
 */
int dc_time_use_zone(const char *zone);

/* The zone dc_time_use_zone() applied last, or NULL: this machine's. */
const char *dc_time_zone(void);

/*
 * Ask the daemon (a Ping) for its zone and its clock: applies the zone as
 * any reply does and sets *now_ms (if not NULL) to the daemon's "now".
 * Returns DC_OK, or dc_request()'s error with dc_error() set.
 */
int dc_estate_clock(dc_t *dc, int64_t *now_ms);

/*
 * Parse a local time: "HH:MM" (that time on the day of now_ms),
 * "YYYY-MM-DDTHH:MM", "YYYY-MM-DD HH:MM", each optionally with ":SS", or
 * "now". Returns 0 with *out set, or DC_ERR_ARG.
 */
int dc_time_parse(const char *s, int64_t now_ms, int64_t *out);

/*
 * A duration for a small screen, at most 6 columns: "0:42", "12:05"
 * (minutes:seconds under an hour), "3h05" (under a day), "2d03h".
 * Negative durations get no sign; the caller says "overdue". Returns buf.
 */
char *dc_time_span(int64_t ms, char *buf, size_t size);

/* "HH:MM" if ms is on the day of now_ms, else "MM-DD HH:MM"; "-" for 0. */
char *dc_time_short(int64_t ms, int64_t now_ms, char *buf, size_t size);

/* The deadline a ticket is working towards. */
struct dc_due {
	const char *what;   /* "acknowledge", "arrive", "resolve", "follow-up" (static) */
	const char *abbrev; /* "ack", "arr", "res", "fup" */
	int64_t at_ms;      /* the deadline */
	int overdue;        /* at_ms is before now */
};

/*
 * The earliest deadline of a step the ticket has not done yet: acknowledge
 * while new or assigned, arrive until on site, resolve until resolved,
 * then the follow-up call while the daemon waits for one. Returns 1 with
 * *due filled, or 0 when nothing is pending (no deadlines, on hold: the
 * deadlines are paused, closed or cancelled).
 */
int dc_time_due(const Dispatch__Ticket *t, int64_t now_ms, struct dc_due *due);

#endif
