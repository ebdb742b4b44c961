/*
 * crew.h: what the parts of dispatch-crew share. crew.c has the command
 * line and the line-mode commands; crew_link.c keeps a handheld in touch
 * with the daemon (fetch, subscribe, the presence ping, signs that events
 * were lost); crew_ui.c is the full-screen terminal UI.
 */
#ifndef CREW_H
#define CREW_H

#include <signal.h>
#include <stdint.h>

#include "dispatch_client.h"

#define CREW_PROG "dispatch-crew"
#define CREW_ID_MAX 64
#define CREW_READY_TIMEOUT_MS 5000
#define CREW_SILENCE_MS 3500   /* heartbeats come every second: a lost link */
#define CREW_PING_DEFAULT_S 20 /* the daemon counts a handheld online for 90 s */

/* Set by SIGINT/SIGTERM: leave quietly, exit 0. */
extern volatile sig_atomic_t crew_stop;

/* One member's handheld connection. */
struct crew_link {
	dc_t *dc;
	char member[CREW_ID_MAX + 1];
	char crew[CREW_ID_MAX + 1];
	char name[256];           /* cleaned for display */
	int ping_ms;              /* presence ping (and refetch) interval */
	int64_t next_ping;        /* monotonic ms */
	int64_t last_heard;       /* monotonic ms of the last message */
	uint64_t last_member_seq; /* 0 until the first addressed event */
	int duty;                 /* -1 follows the shift calendar, else 0/1 */
	int on_shift;             /* from the daemon's Member, if it says */
	char err[512];            /* why the last call failed */
};

/* Monotonic milliseconds. */
int64_t crew_now_ms(void);

/* Member and crew ids become topic levels: letters, digits, '-', '_'. */
int crew_valid_id(const char *s);

/*
 * List{member}: the member's open assignments and the Member. On success
 * returns 0 with *reply (caller frees) and fills crew, name, duty. Else
 * the exit code (enum dc_exit) with link->err set; DC_EXIT_OK never.
 */
int crew_link_fetch(struct crew_link *l, Dispatch__Reply **reply);

/*
 * Subscribe to the member's topic and wait (bounded) until it is live.
 * Call after a successful crew_link_fetch(). 0, or an exit code with err.
 */
int crew_link_subscribe(struct crew_link *l);

/*
 * A Ping as the member (role crew), which keeps the member online. One
 * quick try: a handheld on a bad link must not freeze for the full retry
 * policy. Schedules the next one. 0, or -1 with err.
 */
int crew_link_ping(struct crew_link *l);

/*
 * Wait up to timeout_ms for an event (and for fd, if >= 0). Returns as
 * dc_next_event_fd(). *resync is set to a reason (static text) when events
 * may have been lost (a reconnect, heartbeats after a silence, a gap in
 * the member's sequence); the caller then pings and fetches again.
 * Heartbeats come out too; the caller ignores them.
 */
int crew_link_next(struct crew_link *l, int timeout_ms, int fd, Dispatch__Event **e, const char **resync);

/* Whether heartbeats are arriving (the link is up). */
int crew_link_up(const struct crew_link *l);

/*
 * Send one transition (or Duty when action is UNSPECIFIED, with on) as the
 * member. 0 with *reply (status OK, caller frees), or an exit code with err
 * set to a line a person can read.
 */
int crew_link_transition(struct crew_link *l, uint64_t id, Dispatch__Action action, const char *note,
			 Dispatch__Reply **reply);
int crew_link_duty(struct crew_link *l, int on, Dispatch__Reply **reply);
/* The same for a Transition the caller filled (hold reason, parts used,
 * charged amount...); tr stays the caller's. */
int crew_link_send(struct crew_link *l, Dispatch__Transition *tr, Dispatch__Reply **reply);

/* A ticket the member works on: assigned to them and open, held included. */
int crew_is_working(const char *member, const Dispatch__Ticket *t);

/*
 * Where a ticket went when it is no longer member's to work: one line for
 * a person, e.g. "ticket 8 taken from you (acknowledge deadline missed),
 * now with T01", "ticket 8 reassigned by K01, now with T05", "ticket 8 was
 * cancelled: false alarm". t is the ticket as it is now; e, if not NULL,
 * the event that moved it (its actor and missed deadline are used).
 * Returns 1 with buf filled, or 0 if t is still member's to work.
 */
int crew_gone_line(const char *member, const Dispatch__Ticket *t, const Dispatch__Event *e, char *buf, size_t size);

/* The full-screen UI; returns the exit code. */
int crew_ui(struct crew_link *l, int color);

#endif
