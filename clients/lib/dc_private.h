/*
 * dc_private: what the modules of libdispatchclient share and programs
 * never see: the connection object itself and a few socket helpers.
 *
 * One dc_t carries both sides: dc_request.c owns the context, the request
 * socket and the error text; dc_keys.c the CURVE keys every tcp socket
 * needs; dc_subscribe.c the SUB socket, its monitor and the event FIFO.
 * The fields are grouped by the module that owns them; dc_new() and
 * dc_destroy() (dc_request.c) create and free the whole.
 */
#ifndef DC_PRIVATE_H
#define DC_PRIVATE_H

#include <stdint.h>

#include <zmq.h>

#include "dispatch_client.h"

/* Larger than any reply the daemon should send (a long history or list),
 * small enough that a hostile peer cannot make us allocate without bound. */
#define DC_MAX_REPLY_BYTES (64 * 1024 * 1024)
#define DC_MAX_EVENT_BYTES (4 * 1024 * 1024)
#define DC_MAX_TOPIC 256
#define DC_FILL_CATCH_UP UINT64_MAX /* fill until the daemon's last seq */

struct dc {
	/* dc_request.c */
	void *ctx;           /* the ZeroMQ context every socket lives in */
	void *req;           /* DEALER; NULL until needed and after a timeout */
	char *req_ep;        /* the daemon's request endpoint */
	char *ev_ep;         /* its events endpoint; NULL if never subscribing */
	Dispatch__Role role; /* filled into requests that leave it unset */
	char *actor;         /* likewise; "" for none */
	int timeout_ms;      /* per try */
	int tries;           /* before DC_ERR_UNREACHABLE */
	char err[512];       /* dc_error() */

	/* dc_keys.c */
	char *key_file;                 /* this client's CURVE key pair (tcp endpoints) */
	char *server_key_file;          /* the daemon's public key */
	int keys_loaded;                /* pub, sec and srv hold the files' keys */
	char pub[41], sec[41], srv[41]; /* Z85; sec is wiped by dc_destroy() */

	/* dc_subscribe.c */
	void *sub;                   /* SUB; NULL until dc_subscribe() */
	void *mon;                   /* PAIR reading the SUB socket's monitor events */
	unsigned connects;           /* times the SUB socket connected */
	int resubscribed;            /* a reconnect not yet reported */
	int gap_detect;              /* unfiltered subscription: seqs must be dense */
	int want_hb;                 /* hand heartbeats to the caller too */
	int ready;                   /* a message arrived on the SUB socket */
	int64_t skew_ms;             /* daemon clock minus ours, from the last heartbeat */
	int have_skew;               /* a heartbeat has set skew_ms */
	uint64_t last;               /* highest seq queued or delivered */
	uint64_t fill_to;            /* replay until last >= fill_to; 0 = not filling */
	Dispatch__Event *pending;    /* live message held back behind a fill */
	Dispatch__Event **q;         /* FIFO for dc_next_event() */
	size_t q_head, q_len, q_cap; /* next out, one past the last in, allocated */
};

/* dc_request.c */
void dc_fail(dc_t *dc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int64_t dc_mono_ms(void);
long dc_remaining_ms(int64_t deadline);
void dc_close_socket(void **s);
int dc_recv_last_frame(dc_t *dc, void *sock, zmq_msg_t *msg, int *frames);

/* dc_keys.c: before connect, make a tcp socket CURVE with this client's
 * keys (loading them on first use); other endpoints are left alone. */
int dc_keys_secure(dc_t *dc, void *s, const char *endpoint);
void dc_keys_free(dc_t *dc);

/* dc_subscribe.c: free the FIFO and the held-back event (dc_destroy). */
void dc_subscribe_free(dc_t *dc);

#endif
