/*
 * dispatch_client: the one C client library for dispatchd.
 *
 * A dc_t holds a ZeroMQ context and up to two sockets:
 *   - a DEALER on the daemon's request (ROUTER) endpoint. dc_request() sends
 *     one packed Request as a single frame and waits for the matching Reply.
 *     It is the Lazy Pirate pattern: on a timeout the socket is closed and
 *     reopened (a DEALER cannot otherwise abandon a lost exchange) and the
 *     same bytes, with the SAME request_id, are sent again, up to
 *     DC_DEFAULT_TRIES times. The daemon remembers mutating requests by
 *     request_id, so a retry never creates a second ticket.
 *   - a SUB on the daemon's events (PUB) endpoint, opened by dc_subscribe().
 *     PUB drops messages silently (slow joiners, full queues), so for an
 *     unfiltered subscription ("") dc_next_event() tracks the global seq and
 *     fills any gap, or any lag a heartbeat reveals, with Replay requests
 *     over the request socket: events come out dense and in order, never
 *     twice. A member-filtered subscription sees a sparse subset of seqs and
 *     cannot detect gaps; its program re-fetches open assignments instead,
 *     when dc_resubscribed() reports a reconnect (the SUB socket is
 *     monitored) or Event.member_seq jumps.
 *
 * Wire facts the library relies on (see proto/dispatch.proto):
 *   events are two frames [topic][packed Event]; topics
 *   "crew.<crew>.<member>." ("-" for a queued ticket), "desk.", "hb.".
 *
 * Ownership:
 *   - Every Dispatch__Reply returned through an out-parameter is owned by
 *     the caller and freed with dispatch__reply__free_unpacked(r, NULL).
 *   - Every Dispatch__Event returned by dc_next_event() is owned by the
 *     caller and freed with dispatch__event__free_unpacked(e, NULL).
 *   - Request messages passed in stay owned by the caller and are not
 *     modified; the library fills defaults in a private shallow copy.
 *   - Strings returned by the dc_*_name() helpers are static.
 *   - dc_error() points into the dc_t and is valid until the next call on
 *     the same dc_t.
 *
 * Errors: functions return 0 (DC_OK) or a negative DC_ERR_* code; the
 * detail, ready to print, is in dc_error(dc).
 *
 * Not thread-safe: one dc_t per thread, as with any ZeroMQ socket.
 *
 * The rest of the library, in headers of their own:
 *   dc_time.h   times people type and read; a ticket's pending deadline
 *   dc_term.h   colour only on a terminal; text cut to display columns
 *   dc_json.h   wire messages as JSON (jansson)
 */
#ifndef DISPATCH_CLIENT_H
#define DISPATCH_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dispatch.pb-c.h"

#define DC_WIRE_VERSION 1
#define DC_DEFAULT_ENDPOINT "tcp://127.0.0.1:7450"
#define DC_DEFAULT_EVENTS "tcp://127.0.0.1:7451"
#define DC_DEFAULT_TIMEOUT_MS 2500
#define DC_DEFAULT_TRIES 3
#define DC_REQUEST_ID_MAX 64 /* bytes, per the wire contract */

enum dc_err {
	DC_OK = 0,
	DC_ERR_UNREACHABLE = -1, /* no matching reply after every try */
	DC_ERR_PROTOCOL = -2,    /* the daemon sent something unusable */
	DC_ERR_SYSTEM = -3,      /* ZeroMQ, memory or OS failure */
	DC_ERR_ARG = -4,         /* the caller passed something invalid */
	DC_ERR_TIMEOUT = -5,     /* dc_next_event/dc_wait_ready: nothing in time */
	DC_ERR_INTERRUPTED = -6, /* a signal arrived while waiting */
	DC_ERR_REFUSED = -7,     /* the daemon refused a request the library
	                            made itself (a Replay) */
	DC_FD_READY = 1,         /* dc_next_event_fd(): the extra fd is readable */
};

/* Process exit codes shared by every dispatch program. */
enum dc_exit {
	DC_EXIT_OK = 0,
	DC_EXIT_REFUSED = 1,     /* invalid / not found / conflict / forbidden */
	DC_EXIT_USAGE = 2,
	DC_EXIT_UNAVAILABLE = 3, /* daemon unreachable, storage or internal error */
};

typedef struct dc dc_t;

/*
 * Create a connection object. request_endpoint is required; events_endpoint
 * may be NULL if the caller never subscribes; actor may be NULL (empty).
 * No socket is opened yet and nothing is sent. Returns NULL on bad
 * arguments or out of memory.
 */
dc_t *dc_new(const char *request_endpoint, const char *events_endpoint,
             Dispatch__Role role, const char *actor);

/*
 * CURVE keys for tcp:// endpoints (ipc:// ones rely on file permissions and
 * use none). key_file: this client's key pair (NAME.key from dispatchd
 * --gen-keys, mode 0600); server_key_file: the daemon's public key (its
 * .pub file). NULL keeps what dc_new() took from $DISPATCH_KEY and
 * $DISPATCH_SERVER_KEY. With a tcp endpoint the files are read now: a
 * missing or bad file is DC_ERR_ARG, and dc_error() names the file and
 * says why. Without this call, they are read when a tcp socket opens.
 */
int dc_set_keys(dc_t *dc, const char *key_file, const char *server_key_file);

/* Close sockets, free everything, set *p = NULL. Safe on NULL and *p NULL. */
void dc_destroy(dc_t **p);

/* The last error message, never NULL ("" if none). */
const char *dc_error(const dc_t *dc);

/* Reply timeout per try in ms (default DC_DEFAULT_TIMEOUT_MS; must be > 0). */
void dc_set_timeout(dc_t *dc, int timeout_ms);
/* Number of tries before DC_ERR_UNREACHABLE (default DC_DEFAULT_TRIES). */
void dc_set_tries(dc_t *dc, int tries);

const char *dc_request_endpoint(const dc_t *dc);
const char *dc_events_endpoint(const dc_t *dc);

/*
 * Send req and wait for its Reply. In a private copy of req, fills
 * version = DC_WIRE_VERSION if req->version is 0, a fresh time-ordered
 * request_id (dc_make_request_id) if req->request_id is empty, and role /
 * actor from dc_new() if they are unset. The caller sets the body
 * (body_case and the member).
 *
 * Returns DC_OK with *reply set (owned by the caller) whenever a reply with
 * the same request_id arrived, WHATEVER its status: check
 * (*reply)->status. Replies with another request_id (stale ones from an
 * earlier try) are discarded. A reply whose version is not DC_WIRE_VERSION
 * is DC_ERR_PROTOCOL. After every try timed out: DC_ERR_UNREACHABLE with
 * dc_error() "daemon not reachable at <endpoint> after 3 tries".
 * A request larger than DISPATCH__LIMIT__LIMIT_REQUEST_BYTES packed is not
 * sent (the daemon would drop it unanswered): DC_OK with a reply made here,
 * STATUS_INVALID naming the largest field ("submit.text is too long ...").
 */
int dc_request(dc_t *dc, const Dispatch__Request *req, Dispatch__Reply **reply);

/*
 * Test hook: send arbitrary bytes as the request frame, with the same retry
 * policy. If expect_id is NULL the first decodable reply is taken (e.g. the
 * daemon's answer to a frame it could not decode has no request_id);
 * otherwise only a reply echoing expect_id. The reply's version is not
 * checked. *reply is owned by the caller.
 */
int dc_request_bytes(dc_t *dc, const void *data, size_t len, const char *expect_id,
                     Dispatch__Reply **reply);

/* Convenience: a Ping. *reply carries estate and last_seq. */
int dc_ping(dc_t *dc, Dispatch__Reply **reply);

/*
 * Write a fresh request id into buf, which must hold at least 33 bytes:
 * 32 lowercase hex digits, NUL-terminated, that sort by time (UUIDv7's
 * layout): the first 12 are the milliseconds since the epoch (wall clock,
 * big-endian, zero-padded), the other 20 are random (getrandom). Ids made
 * in different milliseconds sort in the order they were made (unless the
 * wall clock steps back); within one millisecond their order is random.
 * Returns 0, or DC_ERR_ARG / DC_ERR_SYSTEM.
 */
int dc_make_request_id(char *buf, size_t size);

/*
 * Open the SUB socket and subscribe to each prefix in prefixes[0..n-1]
 * (n may be 0) and always to "hb.". Only one subscription per dc_t.
 *
 * If one prefix is "" (everything), gap detection is on: from_seq 0 means
 * "events after now" (the current last seq is learned with a Ping, which
 * fails with DC_ERR_UNREACHABLE if the daemon is down); from_seq N > 0
 * means "start at seq N": events N.. are replayed before live ones.
 * Without "", from_seq must be 0 and events are delivered as they come.
 */
int dc_subscribe(dc_t *dc, const char *const *prefixes, size_t n, uint64_t from_seq);

/* Whether dc_next_event() returns heartbeats too (default: no). */
void dc_set_heartbeats(dc_t *dc, int want);

/*
 * Wait until the subscription is live, i.e. the first message (at the
 * latest the once-a-second heartbeat) has arrived, so that events published
 * from now on will be seen. Messages received meanwhile are kept for
 * dc_next_event(). DC_ERR_TIMEOUT if nothing came within timeout_ms.
 */
int dc_wait_ready(dc_t *dc, int timeout_ms);

/*
 * The next event: DC_OK with *event set (owned by the caller; free with
 * dispatch__event__free_unpacked(*event, NULL)). timeout_ms < 0 waits for
 * ever. DC_ERR_TIMEOUT when nothing arrived in time, DC_ERR_INTERRUPTED
 * when a signal arrived (check your flag and call again), other negative
 * codes when a gap could not be filled (the events after the gap are kept
 * and come out on the next call once the replay works).
 */
int dc_next_event(dc_t *dc, int timeout_ms, Dispatch__Event **event);

/*
 * As dc_next_event(), but also wait for fd (e.g. a terminal's stdin, for a
 * program that reads keys while it follows events): DC_FD_READY, with
 * *event NULL, when fd became readable and no event is waiting. fd < 0
 * behaves exactly like dc_next_event().
 */
int dc_next_event_fd(dc_t *dc, int timeout_ms, int fd, Dispatch__Event **event);

/*
 * The daemon's "now" in unix ms: this machine's clock corrected by the
 * difference seen in the last heartbeat (the daemon's clock may be set
 * apart, in tests, or this machine's may be off). Without a heartbeat yet,
 * this machine's clock. Deadlines are in the daemon's clock, so count down
 * against this.
 */
int64_t dc_daemon_now_ms(const dc_t *dc);

/* This machine's clock, unix ms. */
int64_t dc_wall_ms(void);

/*
 * 1 once after the events socket has re-established its connection (a
 * daemon restart, a network break), else 0. Whatever was published while
 * it was down is lost to a member-filtered subscription, so its program
 * fetches its state again when this says so. Checked and reset; updated
 * while dc_next_event() waits, so call it after every return of that.
 */
int dc_resubscribed(dc_t *dc);

/* The last seq delivered (or the baseline), with gap detection on. */
uint64_t dc_last_seq(const dc_t *dc);

/* Readable words for enums. Unknown values give "unknown". */
#define DC_EVENT_NAME_WIDTH 15 /* columns of the longest event type name */
const char *dc_kind_name(int kind);
const char *dc_state_name(int state);
const char *dc_event_type_name(int type);
const char *dc_status_name(int status);
const char *dc_source_name(int source);
const char *dc_role_name(int role);
const char *dc_action_name(int action);
const char *dc_link_name(int link);
/* Words for the procedure's enums: hold reasons "parts", "resident-away",
 * "no-access", "consent", "other"; inspections "none", "pass", "fail";
 * deadlines "acknowledge", "arrive", "resolve", "follow-up"; notice kinds
 * "general", "activity", "works". */
const char *dc_hold_reason_name(int reason);
const char *dc_inspection_name(int result);
const char *dc_deadline_name(int deadline);
const char *dc_notice_kind_name(int kind);

/*
 * Parse words (case-insensitive) into enums for command lines: kinds
 * "repair", "complaint", "special", "security", "cleaning", "inquiry", "suggestion";
 * sources "intercom", "phone", "walk-in", "app", "sensor". Return 0 and set
 * *out, or DC_ERR_ARG for an unknown word.
 */
int dc_kind_parse(const char *word, Dispatch__Kind *out);
int dc_source_parse(const char *word, Dispatch__Source *out);
/* Roles a client may act as: desk, crew, monitor, qc, supervisor, admin. */
int dc_role_parse(const char *word, Dispatch__Role *out);
/* Hold reasons a person may give: parts, resident-away, no-access, other
 * ("consent" is the daemon's own, for a paid service awaiting consent). */
int dc_hold_reason_parse(const char *word, Dispatch__HoldReason *out);
/* Notice kinds: general, activity, works. */
int dc_notice_kind_parse(const char *word, Dispatch__NoticeKind *out);

/*
 * Money, in Hong Kong dollars and cents on the wire. dc_cents_parse()
 * takes "350", "350.5", "350.50", optionally after "HK$" or "$": no sign,
 * at most two decimals, at most 10 digits of dollars. 0 with *out in
 * cents, or DC_ERR_ARG. dc_format_cents() writes "HK$350.50"; returns buf.
 */
int dc_cents_parse(const char *s, int64_t *out);
char *dc_format_cents(int64_t cents, char *buf, size_t size);

/*
 * Endpoints for command-line programs: $DISPATCH_ENDPOINT / $DISPATCH_EVENTS
 * if set and not empty, else DC_DEFAULT_ENDPOINT / DC_DEFAULT_EVENTS.
 * The strings are static or the environment's.
 */
const char *dc_env_endpoint(void);
const char *dc_env_events(void);

/*
 * Print a non-OK reply as one line on f: "<prog>: <message>", with
 * " (field: <field>)" on STATUS_INVALID; the daemon's message is meant for
 * people. Returns the exit code for the status (see dc_status_exit()).
 */
int dc_report(FILE *f, const char *prog, const Dispatch__Reply *reply);

/* Exit code for a reply status (DC_EXIT_OK for STATUS_OK). */
int dc_status_exit(int status);
/* Exit code for a negative dc_* return code. */
int dc_err_exit(int rc);

/*
 * Copy s (which may be NULL) into buf for display: control characters and
 * bytes of invalid UTF-8 become '?', so text from the network cannot drive
 * the terminal. Truncates to fit. Returns buf.
 */
char *dc_clean(const char *s, char *buf, size_t size);

/*
 * Terminal columns s takes once cleaned: East Asian wide characters count
 * two (units, names and texts may be in Chinese), combining marks zero.
 */
int dc_width(const char *s);
/* Print s cleaned, then spaces up to width columns. */
void dc_pad(FILE *f, const char *s, int width);

/* Format unix ms as local "YYYY-MM-DD HH:MM:SS" into buf. Returns buf. */
char *dc_format_time(int64_t ms, char *buf, size_t size);

#endif
