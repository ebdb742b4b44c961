/*
 * dispatch-board: the web gateway of dispatchd (issue 17). One process,
 * a client of the daemon like any other (clients/lib), serving the control
 * center's wall board and the residents' own page to browsers.
 *
 * Threads: libmicrohttpd's epoll thread pool answers HTTP; one link thread
 * (board_link.c) owns the monitor subscription and keeps the latest events
 * in a ring that every Server-Sent-Events stream reads from. A stream with
 * nothing to send is suspended (MHD_suspend_connection) and resumed by the
 * link thread when an event arrives, so no thread waits on a stream and no
 * loop spins. Requests to the daemon from HTTP threads (List, Get, Replay,
 * the resident's view and rating) go through a dc_t per thread
 * (board_daemon()).
 *
 * Modules: board.c (options, HTTP routing, static files, headers),
 * board_link.c (link_*: the subscription, the ring, the streams),
 * board_users.c (users_*: the users file, argon2id, sessions, rate limits),
 * board_api.c (api_*: the JSON answers built from the daemon's replies).
 */
#ifndef BOARD_H
#define BOARD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "dispatch_client.h"

#define BOARD_PROG "dispatch-board"

/* What the gateway was told at start; read-only after main() set it. */
struct board_opts {
	const char *endpoint, *events; /* the daemon's request and events endpoints */
	const char *key, *server_key;  /* the monitor's CURVE key pair, the daemon's public key */
	const char *resident_key;      /* the resident role's key pair (tcp) */
	const char *static_dir;        /* the pages, scripts and styles */
	const char *users;             /* the users file */
	const char *state_dir;         /* the sessions and the secret */
	const char *lang;              /* --lang: "zh-Hant" or "en"; NULL: the estate's (board_lang) */
	int secure_cookies;            /* behind TLS: cookies get Secure */
	unsigned ring;                 /* events kept for streams that reconnect */
	unsigned max_conn, max_per_ip; /* connection limits */
	unsigned threads;              /* HTTP threads */
	unsigned backfill;             /* events loaded from the log at start */
};
extern struct board_opts board_opts;

/* ---- board_link.c ---- */

/* Start the link thread (it connects, and reconnects, by itself). 0 or -1. */
int link_start(void);
/* Stop it, end every stream (resumed first, as MHD requires). */
void link_stop(void);
/* Whether the daemon was heard within the last few seconds; its last seq. */
int link_up(void);
uint64_t link_last_seq(void);
/* The latest escalations and notices (JSON arrays, new references). */
json_t *link_escalations(void);
json_t *link_notices(void);
/* The estate's language, as a reply of the daemon's says (Reply.language),
 * and the pages' default: --lang, else the estate's, else zh-Hant. */
void link_note_language(const char *lang);
const char *board_lang(void);

/* A Server-Sent-Events stream: the board's (every event) or a resident's
 * (a bare "changed" for one ticket). from: the last seq the browser has
 * (Last-Event-ID or ?from=), 0 for "from now". The backlog of events
 * before the ring's oldest is fetched from the daemon's log. Returns a
 * response to queue, or NULL (out of memory). */
struct MHD_Response *link_stream(struct MHD_Connection *conn, uint64_t from, int has_from, uint64_t only_ticket);

/* ---- board_users.c ---- */

enum board_role { BR_NONE = 0, BR_MONITOR, BR_DESK, BR_QC, BR_SUPERVISOR };
const char *users_role_name(enum board_role r);
int users_role_parse(const char *s, enum board_role *out);
/* --add-user: hash the password read from stdin and write NAME's line. */
int users_add(const char *file, const char *name, const char *role);
/* Check a name and password against the file; the role, or BR_NONE. */
enum board_role users_check(const char *file, const char *name, const char *password);

struct session {
	char id[65];   /* the cookie's value */
	char csrf[65]; /* sent back in X-CSRF-Token on POSTs */
	char name[64];
	enum board_role role;
	int64_t expires_ms; /* wall clock */
};
/* The secret and the sessions kept in the state directory. 0 or -1. */
int users_init(const char *dir);
/* A new session for name (copied into *out). 0, or -1 when full. */
int users_session_new(const char *name, enum board_role role, struct session *out);
/* The session of a cookie value, copied into *out: 0, or -1. */
int users_session_get(const char *id, struct session *out);
void users_session_end(const char *id);

/* Per-address limits on failures (a wrong password, a wrong token):
 * users_limited() says whether addr has used its tries; users_failed()
 * counts one. */
int users_limited(const char *addr);
void users_failed(const char *addr);

/* A keyed hash of s in hex (the gateway's random key of this run): the
 * resident page's form token. out holds 65 bytes. */
void users_mac(const char *s, char *out);
int64_t board_mono_ms(void);

/* ---- board_api.c ---- */

/* A dc_t for this HTTP thread, made on first use: the monitor's (resident
 * 0) or the resident role's (1). NULL when it cannot be made. */
dc_t *board_daemon(int resident);
void board_daemons_destroy(void);

/* The answers: a JSON body and an HTTP status. */
json_t *api_board(int *http, enum board_role role);
json_t *api_ticket(uint64_t id, int *http);
json_t *api_resident_view(const char *token, int *http);
json_t *api_resident_rate(const char *token, const json_t *body, int *http);
/* The ticket id and last seq a resident token names (for its stream). 0 or -1. */
int api_resident_ticket(const char *token, uint64_t *id, uint64_t *last_seq);
/* The event as the board's streams carry it (residents' names and phones
 * left out). A new reference, or NULL. */
json_t *api_event_json(const Dispatch__Event *e);
void api_redact_ticket(json_t *t);

#endif
