/*
 * dc_request: the connection object and requests with Lazy Pirate retries
 * (see dc_request.h for the contract).
 *
 * Design: one DEALER, opened lazily and thrown away after every try that
 * timed out, because a DEALER cannot cancel an exchange: a fresh socket is
 * the only way to be sure a late reply is never taken for the answer to
 * the next request. Every try sends the same bytes with the same
 * request_id, which is what makes a retry safe: the daemon answers a
 * repeated id from its stored replies. A request too large for the daemon
 * is answered here, as the daemon would answer it, rather than sent to be
 * dropped unanswered.
 */
#include "dc_private.h"
#include "dc_stop.h"
#include "dc_time.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void dc_fail(dc_t *dc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dc->err, sizeof dc->err, fmt, ap);
	va_end(ap);
}

int64_t dc_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1 = none, then -1 = wait for ever). */
long dc_remaining_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - dc_mono_ms();
	return left > 0 ? (long)left : 0;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* libzmq starts its I/O and reaper threads with a context's first socket,
 * and they inherit the signal mask of the thread that creates it. The
 * kernel may hand a SIGTERM or Ctrl-C to any thread that does not block
 * it; taken by one of those, it sets the program's flag but interrupts no
 * zmq_poll, and the program notices only when its wait times out (inside a
 * request, up to three tries of 2.5 s: longer than a test or a service
 * manager waits before SIGKILL). So the threads are started here, at once,
 * with the signals a client stops on blocked: those always reach the
 * thread that waits. */
static int dc_start_threads(void *ctx)
{
	sigset_t stop, old;
	void *s;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigaddset(&stop, SIGQUIT);
	sigaddset(&stop, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	s = zmq_socket(ctx, ZMQ_PAIR);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (s == NULL)
		return -1;
	zmq_close(s);
	return 0;
}

dc_t *dc_new(const char *request_endpoint, const char *events_endpoint, Dispatch__Role role, const char *actor)
{
	dc_t *dc;

	if (!request_endpoint || !*request_endpoint)
		return NULL;
	dc = calloc(1, sizeof *dc);
	if (!dc)
		return NULL;
	dc->role = role;
	dc->timeout_ms = DC_DEFAULT_TIMEOUT_MS;
	dc->tries = DC_DEFAULT_TRIES;
	dc->req_ep = strdup(request_endpoint);
	dc->ev_ep = events_endpoint ? strdup(events_endpoint) : NULL;
	dc->actor = dup_or_empty(actor);
	if (!dc->req_ep || (events_endpoint && !dc->ev_ep) || !dc->actor)
		goto fail;
	if (getenv("DISPATCH_KEY") && *getenv("DISPATCH_KEY") && !(dc->key_file = strdup(getenv("DISPATCH_KEY"))))
		goto fail;
	if (getenv("DISPATCH_SERVER_KEY") && *getenv("DISPATCH_SERVER_KEY") &&
	    !(dc->server_key_file = strdup(getenv("DISPATCH_SERVER_KEY"))))
		goto fail;
	dc->ctx = zmq_ctx_new();
	if (!dc->ctx || dc_start_threads(dc->ctx) != 0)
		goto fail;
	return dc;
fail:
	dc_destroy(&dc);
	return NULL;
}

void dc_close_socket(void **s)
{
	if (*s) {
		zmq_close(*s);
		*s = NULL;
	}
}

void dc_destroy(dc_t **p)
{
	dc_t *dc;

	if (!p || !*p)
		return;
	dc = *p;
	dc_close_socket(&dc->req);
	if (dc->sub)
		zmq_socket_monitor(dc->sub, NULL, 0);
	dc_close_socket(&dc->mon);
	dc_close_socket(&dc->sub);
	/* Every socket has ZMQ_LINGER 0, so this cannot block on unsent data. */
	if (dc->ctx)
		zmq_ctx_term(dc->ctx);
	dc_subscribe_free(dc);
	free(dc->req_ep);
	free(dc->ev_ep);
	free(dc->actor);
	dc_keys_free(dc);
	free(dc);
	*p = NULL;
}

const char *dc_error(const dc_t *dc)
{
	return dc ? dc->err : "no client";
}

void dc_set_timeout(dc_t *dc, int timeout_ms)
{
	if (dc && timeout_ms > 0)
		dc->timeout_ms = timeout_ms;
}

void dc_set_tries(dc_t *dc, int tries)
{
	if (dc && tries > 0)
		dc->tries = tries;
}

const char *dc_request_endpoint(const dc_t *dc)
{
	return dc ? dc->req_ep : "";
}

const char *dc_events_endpoint(const dc_t *dc)
{
	return dc && dc->ev_ep ? dc->ev_ep : "";
}

/* UUIDv7's layout in hex: the store keeps stored replies in a B-tree keyed
 * by request id, and ids that grow with time are appended at its right
 * edge, where random ones would dirty a leaf page anywhere in the tree on
 * every commit. The random tail keeps ids from many clients, and from one
 * client within a millisecond, apart. */
int dc_make_request_id(char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	struct timespec ts;
	uint64_t ms;
	size_t got = 6, i;

	if (!buf || size < 2 * sizeof raw + 1)
		return DC_ERR_ARG;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return DC_ERR_SYSTEM;
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (i = 0; i < 6; i++) /* 48 bits, big-endian: good until the year 10889 */
		raw[i] = (unsigned char)(ms >> (8 * (5 - i)));
	while (got < sizeof raw) {
		ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return DC_ERR_SYSTEM;
		}
		got += (size_t)n;
	}
	for (i = 0; i < sizeof raw; i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[2 * sizeof raw] = '\0';
	return 0;
}

/* Open a socket with the options every socket here needs. */
static void *open_socket(dc_t *dc, int type, const char *endpoint, int64_t max_msg)
{
	int linger = 0;
	void *s = zmq_socket(dc->ctx, type);

	if (!s) {
		dc_fail(dc, "cannot create socket: %s", zmq_strerror(errno));
		return NULL;
	}
	/* LINGER 0: a request we gave up on must not keep the process alive. */
	if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
	    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max_msg, sizeof max_msg) < 0) {
		dc_fail(dc, "cannot set socket options: %s", zmq_strerror(errno));
		goto fail;
	}
	if (dc_keys_secure(dc, s, endpoint) != DC_OK)
		goto fail;
	if (zmq_connect(s, endpoint) < 0) {
		dc_fail(dc, "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
		goto fail;
	}
	return s;
fail:
	zmq_close(s);
	return NULL;
}

/*
 * Receive one whole multipart message without blocking and return its last
 * frame, the payload: the ROUTER echoes whatever envelope precedes it, so
 * the payload is always last. Returns 1 with *msg set, 0 if nothing was
 * there, negative on error.
 */
int dc_recv_last_frame(dc_t *dc, void *sock, zmq_msg_t *msg, int *frames)
{
	int more;
	size_t more_len;

	*frames = 0;
	zmq_msg_init(msg);
	do {
		if (*frames > 0) {
			zmq_msg_close(msg);
			zmq_msg_init(msg);
		}
		if (zmq_msg_recv(msg, sock, ZMQ_DONTWAIT) < 0) {
			int e = errno;
			zmq_msg_close(msg);
			if (e == EAGAIN && *frames == 0)
				return 0;
			if (e == EINTR)
				return DC_ERR_INTERRUPTED;
			dc_fail(dc, "receive failed: %s", zmq_strerror(e));
			return DC_ERR_SYSTEM;
		}
		(*frames)++;
		more = 0;
		more_len = sizeof more;
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &more_len);
	} while (more);
	return 1;
}

/*
 * The Lazy Pirate loop shared by dc_request() and dc_request_bytes().
 */
static int exchange(dc_t *dc, const void *data, size_t len, const char *expect_id, int check_version,
		    Dispatch__Reply **reply)
{
	int attempt;

	*reply = NULL;
	for (attempt = 1; attempt <= dc->tries; attempt++) {
		int64_t deadline;

		if (!dc->req) {
			dc->req = open_socket(dc, ZMQ_DEALER, dc->req_ep, DC_MAX_REPLY_BYTES);
			if (!dc->req)
				return DC_ERR_SYSTEM;
		}
		/* One frame, no empty delimiter: the daemon is a ROUTER and the
		 * DEALER adds no envelope of its own. EAGAIN (nothing to queue
		 * on) just lets this try time out like a lost reply. */
		if (zmq_send(dc->req, data, len, ZMQ_DONTWAIT) < 0 && errno != EAGAIN) {
			if (errno == EINTR)
				return DC_ERR_INTERRUPTED;
			dc_fail(dc, "cannot send to %s: %s", dc->req_ep, zmq_strerror(errno));
			return DC_ERR_SYSTEM;
		}
		deadline = dc_mono_ms() + dc->timeout_ms;
		for (;;) {
			/* The stop pipe beside the socket: see dc_stop.h. */
			zmq_pollitem_t items[2] = { { dc->req, 0, ZMQ_POLLIN, 0 },
						    { NULL, dc_stop_fd(), ZMQ_POLLIN, 0 } };
			Dispatch__Reply *r;
			zmq_msg_t msg;
			long left = dc_remaining_ms(deadline);
			int rc, frames;

			if (left <= 0)
				break;
			rc = zmq_poll(items, items[1].fd >= 0 ? 2 : 1, left);
			if (rc < 0) {
				if (errno == EINTR)
					return DC_ERR_INTERRUPTED;
				dc_fail(dc, "poll failed: %s", zmq_strerror(errno));
				return DC_ERR_SYSTEM;
			}
			if (rc == 0)
				break;
			if (items[1].revents)
				return DC_ERR_INTERRUPTED;
			rc = dc_recv_last_frame(dc, dc->req, &msg, &frames);
			if (rc < 0)
				return rc;
			if (rc == 0)
				continue;
			r = dispatch__reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
			zmq_msg_close(&msg);
			if (!r)
				continue; /* not a Reply: nothing we could match it to */
			if (expect_id && strcmp(r->request_id ? r->request_id : "", expect_id) != 0) {
				dispatch__reply__free_unpacked(r, NULL); /* stale: an earlier try */
				continue;
			}
			if (check_version && r->version != DC_WIRE_VERSION) {
				dc_fail(dc, "daemon at %s replied with wire version %u; this client speaks %d",
					dc->req_ep, r->version, DC_WIRE_VERSION);
				dispatch__reply__free_unpacked(r, NULL);
				return DC_ERR_PROTOCOL;
			}
			/* The estate's zone, for every time this process shows or reads. */
			if (r->timezone && *r->timezone)
				dc_time_use_zone(r->timezone);
			*reply = r;
			return DC_OK;
		}
		/* A DEALER cannot cancel an exchange; a fresh socket is the only
		 * way to be sure a late reply or a queued resend is dropped. */
		dc_close_socket(&dc->req);
	}
	dc_fail(dc, "daemon not reachable at %s after %d tries", dc->req_ep, dc->tries);
	return DC_ERR_UNREACHABLE;
}

int dc_request_bytes(dc_t *dc, const void *data, size_t len, const char *expect_id, Dispatch__Reply **reply)
{
	if (!dc || !reply || (!data && len))
		return DC_ERR_ARG;
	return exchange(dc, data, len, expect_id, 0, reply);
}

/* The bytes a field's value takes (strings and bytes; repeated ones summed). */
static size_t field_bytes(const ProtobufCFieldDescriptor *f, const void *msg)
{
	const char *base = msg;
	size_t total = 0;

	if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_BYTES)
		return 0;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = *(const size_t *)(base + f->quantifier_offset);
		const void *v = *(const void *const *)(base + f->offset);
		for (size_t i = 0; i < n; i++)
			total += f->type == PROTOBUF_C_TYPE_STRING
					 ? strlen(((const char *const *)v)[i] ? ((const char *const *)v)[i] : "")
					 : ((const ProtobufCBinaryData *)v)[i].len;
		return total;
	}
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *str = *(const char *const *)(base + f->offset);
		return str ? strlen(str) : 0;
	}
	return ((const ProtobufCBinaryData *)(base + f->offset))->len;
}

/* The largest string field of msg and the messages in it, as the daemon
 * names fields ("submit.text", "notice.text"); prefix is msg's name. */
static void largest_field(const ProtobufCMessage *msg, const char *prefix, char *name, size_t namelen, size_t *best,
			  int depth)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		size_t n;

		if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED && depth < 3) {
			const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)((const char *)msg + f->offset);
			/* a nested message is named by its field alone (outage.text) */
			if (sub)
				largest_field(sub, f->name, name, namelen, best, depth + 1);
			continue;
		}
		if ((n = field_bytes(f, msg)) > *best) {
			*best = n;
			snprintf(name, namelen, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", f->name);
		}
	}
}

/* A request too large for the daemon (LIMIT_REQUEST_BYTES) would be
 * dropped with its connection and never answered: answer it here as the
 * daemon answers a field that is too long. */
static int refuse_oversized(dc_t *dc, const Dispatch__Request *req, size_t len, Dispatch__Reply **reply)
{
	Dispatch__Reply r = DISPATCH__REPLY__INIT;
	char field[128] = "request", message[320];
	size_t best = 0, plen;
	uint8_t *buf;

	largest_field(&req->base, NULL, field, sizeof field, &best, 0);
	if (best > 0)
		snprintf(message, sizeof message,
			 "%s is too long (%zu bytes); a request may be at most %d bytes in all, so nothing was sent",
			 field, best, DISPATCH__LIMIT__LIMIT_REQUEST_BYTES);
	else
		snprintf(message, sizeof message,
			 "the request is too large (%zu bytes; at most %d), so nothing was sent", len,
			 DISPATCH__LIMIT__LIMIT_REQUEST_BYTES);
	r.version = DC_WIRE_VERSION;
	r.request_id = req->request_id;
	r.status = DISPATCH__STATUS__STATUS_INVALID;
	r.message = message;
	r.field = field;
	/* packed and unpacked, so the caller frees it like any reply */
	plen = dispatch__reply__get_packed_size(&r);
	if (!(buf = malloc(plen ? plen : 1))) {
		dc_fail(dc, "out of memory");
		return DC_ERR_SYSTEM;
	}
	dispatch__reply__pack(&r, buf);
	*reply = dispatch__reply__unpack(NULL, plen, buf);
	free(buf);
	if (!*reply) {
		dc_fail(dc, "out of memory");
		return DC_ERR_SYSTEM;
	}
	return DC_OK;
}

int dc_request(dc_t *dc, const Dispatch__Request *req, Dispatch__Reply **reply)
{
	Dispatch__Request copy;
	char id[2 * DC_REQUEST_ID_MAX];
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if (!dc || !req || !reply)
		return DC_ERR_ARG;
	*reply = NULL;
	copy = *req;
	if (copy.version == 0)
		copy.version = DC_WIRE_VERSION;
	if (!copy.request_id || !*copy.request_id) {
		if (dc_make_request_id(id, sizeof id) < 0) {
			dc_fail(dc, "cannot make a random request id: %s", strerror(errno));
			return DC_ERR_SYSTEM;
		}
		copy.request_id = id;
	}
	if (strlen(copy.request_id) > DC_REQUEST_ID_MAX) {
		dc_fail(dc, "request id is longer than %d bytes", DC_REQUEST_ID_MAX);
		return DC_ERR_ARG;
	}
	if (copy.role == DISPATCH__ROLE__ROLE_UNSPECIFIED)
		copy.role = dc->role;
	if (!copy.actor || !*copy.actor)
		copy.actor = dc->actor;
	len = dispatch__request__get_packed_size(&copy);
	if (len > DISPATCH__LIMIT__LIMIT_REQUEST_BYTES)
		return refuse_oversized(dc, &copy, len, reply);
	buf = malloc(len ? len : 1);
	if (!buf) {
		dc_fail(dc, "out of memory");
		return DC_ERR_SYSTEM;
	}
	dispatch__request__pack(&copy, buf);
	rc = exchange(dc, buf, len, copy.request_id, 1, reply);
	free(buf);
	return rc;
}

int dc_ping(dc_t *dc, Dispatch__Reply **reply)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Ping ping = DISPATCH__PING__INIT;

	int rc;

	req.body_case = DISPATCH__REQUEST__BODY_PING;
	req.ping = &ping;
	rc = dc_request(dc, &req, reply);
	/* The daemon's clock until the first heartbeat says it (a ping is
	 * never a stored reply, so its now_ms is now). */
	if (rc == DC_OK && (*reply)->now_ms > 0 && !dc->have_skew) {
		dc->skew_ms = (*reply)->now_ms - dc_wall_ms();
		dc->have_skew = 1;
	}
	return rc;
}

const char *dc_env_endpoint(void)
{
	const char *s = getenv("DISPATCH_ENDPOINT");

	return s && *s ? s : DC_DEFAULT_ENDPOINT;
}

const char *dc_env_events(void)
{
	const char *s = getenv("DISPATCH_EVENTS");

	return s && *s ? s : DC_DEFAULT_EVENTS;
}
