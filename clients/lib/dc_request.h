/*
 * dc_request: the base of libdispatchclient: a connection object, its
 * CURVE keys, and requests with retry and an idempotency key.
 *
 * A dc_t holds a ZeroMQ context and a DEALER on the daemon's request
 * (ROUTER) endpoint. dc_request() sends one packed Request as a single
 * frame and waits for the matching Reply. It is the Lazy Pirate pattern:
 * on a timeout the socket is closed and reopened (a DEALER cannot
 * otherwise abandon a lost exchange) and the same bytes, with the SAME
 * request_id, are sent again, up to DC_DEFAULT_TRIES times. The daemon
 * remembers mutating requests by request_id, so a retry never creates a
 * second ticket. The subscription (dc_subscribe.h) rides on the same dc_t.
 *
 * Ownership:
 *   - Every Dispatch__Reply returned through an out-parameter is owned by
 *     the caller and freed with dispatch__reply__free_unpacked(r, NULL).
 *   - Request messages passed in stay owned by the caller and are not
 *     modified; the library fills defaults in a private shallow copy.
 *   - dc_error() points into the dc_t and is valid until the next call on
 *     the same dc_t.
 *
 * Errors: functions return 0 (DC_OK) or a negative DC_ERR_* code; the
 * detail, ready to print, is in dc_error(dc).
 *
 * Not thread-safe: one dc_t per thread, as with any ZeroMQ socket.
 */
#ifndef DC_REQUEST_H
#define DC_REQUEST_H

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
	DC_EXIT_REFUSED = 1, /* invalid / not found / conflict / forbidden */
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
dc_t *dc_new(const char *request_endpoint, const char *events_endpoint, Dispatch__Role role, const char *actor);

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
int dc_request_bytes(dc_t *dc, const void *data, size_t len, const char *expect_id, Dispatch__Reply **reply);

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
 * Endpoints for command-line programs: $DISPATCH_ENDPOINT / $DISPATCH_EVENTS
 * if set and not empty, else DC_DEFAULT_ENDPOINT / DC_DEFAULT_EVENTS.
 * The strings are static or the environment's.
 */
const char *dc_env_endpoint(void);
const char *dc_env_events(void);

#endif
