/*
 * dispatch_client: requests with Lazy Pirate retries, and a subscriber
 * with gap detection and replay. See dispatch_client.h for the contract.
 *
 * Subscriber design: dc_next_event() hands out events from a FIFO. The FIFO
 * is fed either by one live message from the SUB socket or, while a gap is
 * being filled, by one Replay batch from the request socket. While filling
 * we read no live messages, so at most one live message (the one that
 * revealed the gap) waits in `pending`; it is released, or dropped as a
 * duplicate, once the fill is done. Filling batch by batch keeps memory
 * bounded by the daemon's replay cap however long the gap is.
 */
#include "dispatch_client.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <wchar.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

/* Larger than any reply the daemon should send (a long history or list),
 * small enough that a hostile peer cannot make us allocate without bound. */
#define DC_MAX_REPLY_BYTES (64 * 1024 * 1024)
#define DC_MAX_EVENT_BYTES (4 * 1024 * 1024)
#define DC_MAX_TOPIC 256
#define DC_FILL_CATCH_UP UINT64_MAX /* fill until the daemon's last seq */

struct dc {
	void *ctx;
	void *req;              /* DEALER; NULL until needed and after a timeout */
	void *sub;              /* SUB; NULL until dc_subscribe() */
	void *mon;              /* PAIR reading the SUB socket's monitor events */
	unsigned connects;      /* times the SUB socket connected */
	int resubscribed;       /* a reconnect not yet reported */
	char *req_ep;
	char *ev_ep;
	char *key_file;         /* this client's CURVE key pair (tcp endpoints) */
	char *server_key_file;  /* the daemon's public key */
	int keys_loaded;
	char pub[41], sec[41], srv[41]; /* Z85 */
	Dispatch__Role role;
	char *actor;
	int timeout_ms;
	int tries;
	int gap_detect;         /* unfiltered subscription: seqs must be dense */
	int want_hb;            /* hand heartbeats to the caller too */
	int ready;              /* a message arrived on the SUB socket */
	int64_t skew_ms;        /* daemon clock minus ours, from the last heartbeat */
	int have_skew;          /* a heartbeat has set skew_ms */
	uint64_t last;          /* highest seq queued or delivered */
	uint64_t fill_to;       /* replay until last >= fill_to; 0 = not filling */
	Dispatch__Event *pending; /* live message held back behind a fill */
	Dispatch__Event **q;    /* FIFO for dc_next_event() */
	size_t q_head, q_len, q_cap;
	char err[512];
};

static void set_err(dc_t *dc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(dc_t *dc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dc->err, sizeof dc->err, fmt, ap);
	va_end(ap);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dc_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1 = none, then -1 = wait for ever). */
static long remaining_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left > 0 ? (long)left : 0;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

dc_t *dc_new(const char *request_endpoint, const char *events_endpoint,
             Dispatch__Role role, const char *actor)
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
	if (!dc->ctx)
		goto fail;
	return dc;
fail:
	dc_destroy(&dc);
	return NULL;
}

static void close_socket(void **s)
{
	if (*s) {
		zmq_close(*s);
		*s = NULL;
	}
}

void dc_destroy(dc_t **p)
{
	dc_t *dc;
	size_t i;

	if (!p || !*p)
		return;
	dc = *p;
	close_socket(&dc->req);
	if (dc->sub)
		zmq_socket_monitor(dc->sub, NULL, 0);
	close_socket(&dc->mon);
	close_socket(&dc->sub);
	/* Every socket has ZMQ_LINGER 0, so this cannot block on unsent data. */
	if (dc->ctx)
		zmq_ctx_term(dc->ctx);
	for (i = dc->q_head; i < dc->q_len; i++)
		dispatch__event__free_unpacked(dc->q[i], NULL);
	free(dc->q);
	dispatch__event__free_unpacked(dc->pending, NULL);
	free(dc->req_ep);
	free(dc->ev_ep);
	free(dc->actor);
	free(dc->key_file);
	free(dc->server_key_file);
	memset(dc->sec, 0, sizeof dc->sec);
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

/* ---- CURVE ------------------------------------------------------------------ */

static int is_tcp(const char *endpoint)
{
	return endpoint && strncmp(endpoint, "tcp://", 6) == 0;
}

/* Read "public-key = KEY" / "secret-key = KEY" lines (dispatchd
 * --gen-keys writes them); need_secret: the secret one too, in a file
 * nobody else may read. */
static int read_key_file(dc_t *dc, const char *what, const char *path, char *pub, char *sec)
{
	char line[256], name[32], value[64];
	unsigned lineno = 0;
	uint8_t raw[32];
	struct stat st;
	FILE *f = fopen(path, "r");

	pub[0] = '\0';
	if (sec)
		sec[0] = '\0';
	if (!f) {
		set_err(dc, "%s %s: cannot open: %s", what, path, strerror(errno));
		return DC_ERR_ARG;
	}
	while (fgets(line, sizeof line, f)) {
		char *p = line;
		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		if (sscanf(p, "%31[a-z-] = %63s", name, value) != 2 || strlen(value) != 40 ||
		    !zmq_z85_decode(raw, value)) {
			set_err(dc, "%s %s:%u: expected 'public-key = KEY' or 'secret-key = KEY' (40 characters of Z85)",
			        what, path, lineno);
			fclose(f);
			return DC_ERR_ARG;
		}
		if (strcmp(name, "public-key") == 0)
			memcpy(pub, value, 41);
		else if (strcmp(name, "secret-key") == 0 && sec)
			memcpy(sec, value, 41);
	}
	fclose(f);
	if (!pub[0]) {
		set_err(dc, "%s %s: no 'public-key = KEY' line; is it a key file from dispatchd --gen-keys?", what, path);
		return DC_ERR_ARG;
	}
	if (sec && !sec[0]) {
		set_err(dc, "%s %s: holds no secret key; name the NAME.key file, not NAME.pub", what, path);
		return DC_ERR_ARG;
	}
	if (sec && stat(path, &st) == 0 && (st.st_mode & 077)) {
		set_err(dc, "%s %s: the secret key is readable by others (mode %04o); chmod 600 %s", what, path,
		        (unsigned)(st.st_mode & 07777), path);
		return DC_ERR_ARG;
	}
	return DC_OK;
}

static int load_keys(dc_t *dc)
{
	int rc;

	if (dc->keys_loaded)
		return DC_OK;
	if (!dc->key_file || !dc->server_key_file) {
		set_err(dc, "%s is encrypted (CURVE): name this client's key pair with --key FILE (or DISPATCH_KEY) "
		        "and the daemon's public key with --server-key FILE (or DISPATCH_SERVER_KEY); "
		        "the daemon prints where its keys are when it starts",
		        is_tcp(dc->req_ep) ? dc->req_ep : dc->ev_ep);
		return DC_ERR_ARG;
	}
	if ((rc = read_key_file(dc, "key", dc->key_file, dc->pub, dc->sec)) != DC_OK ||
	    (rc = read_key_file(dc, "server key", dc->server_key_file, dc->srv, NULL)) != DC_OK)
		return rc;
	dc->keys_loaded = 1;
	return DC_OK;
}

int dc_set_keys(dc_t *dc, const char *key_file, const char *server_key_file)
{
	if (!dc)
		return DC_ERR_ARG;
	if (key_file) {
		free(dc->key_file);
		if (!(dc->key_file = strdup(key_file)))
			return DC_ERR_SYSTEM;
	}
	if (server_key_file) {
		free(dc->server_key_file);
		if (!(dc->server_key_file = strdup(server_key_file)))
			return DC_ERR_SYSTEM;
	}
	dc->keys_loaded = 0;
	if (is_tcp(dc->req_ep) || is_tcp(dc->ev_ep) || key_file || server_key_file)
		return load_keys(dc);
	return DC_OK;
}

/* Before connect: a tcp endpoint is CURVE with this client's keys. */
static int secure_socket(dc_t *dc, void *s, const char *endpoint)
{
	int rc;

	if (!is_tcp(endpoint))
		return DC_OK;
	if ((rc = load_keys(dc)) != DC_OK)
		return rc;
	if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, dc->srv, 40) < 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, dc->pub, 40) < 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, dc->sec, 40) < 0) {
		set_err(dc, "cannot set the CURVE keys: %s", zmq_strerror(errno));
		return DC_ERR_SYSTEM;
	}
	return DC_OK;
}

/* Open a socket with the options every socket here needs. */
static void *open_socket(dc_t *dc, int type, const char *endpoint, int64_t max_msg)
{
	int linger = 0;
	void *s = zmq_socket(dc->ctx, type);

	if (!s) {
		set_err(dc, "cannot create socket: %s", zmq_strerror(errno));
		return NULL;
	}
	/* LINGER 0: a request we gave up on must not keep the process alive. */
	if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
	    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max_msg, sizeof max_msg) < 0) {
		set_err(dc, "cannot set socket options: %s", zmq_strerror(errno));
		goto fail;
	}
	if (secure_socket(dc, s, endpoint) != DC_OK)
		goto fail;
	if (zmq_connect(s, endpoint) < 0) {
		set_err(dc, "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
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
static int recv_last_frame(dc_t *dc, void *sock, zmq_msg_t *msg, int *frames)
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
			set_err(dc, "receive failed: %s", zmq_strerror(e));
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
static int exchange(dc_t *dc, const void *data, size_t len, const char *expect_id,
                    int check_version, Dispatch__Reply **reply)
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
			set_err(dc, "cannot send to %s: %s", dc->req_ep, zmq_strerror(errno));
			return DC_ERR_SYSTEM;
		}
		deadline = now_ms() + dc->timeout_ms;
		for (;;) {
			zmq_pollitem_t item = { dc->req, 0, ZMQ_POLLIN, 0 };
			Dispatch__Reply *r;
			zmq_msg_t msg;
			long left = remaining_ms(deadline);
			int rc, frames;

			if (left <= 0)
				break;
			rc = zmq_poll(&item, 1, left);
			if (rc < 0) {
				if (errno == EINTR)
					return DC_ERR_INTERRUPTED;
				set_err(dc, "poll failed: %s", zmq_strerror(errno));
				return DC_ERR_SYSTEM;
			}
			if (rc == 0)
				break;
			rc = recv_last_frame(dc, dc->req, &msg, &frames);
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
				set_err(dc, "daemon at %s replied with wire version %u; this client speaks %d",
				        dc->req_ep, r->version, DC_WIRE_VERSION);
				dispatch__reply__free_unpacked(r, NULL);
				return DC_ERR_PROTOCOL;
			}
			*reply = r;
			return DC_OK;
		}
		/* A DEALER cannot cancel an exchange; a fresh socket is the only
		 * way to be sure a late reply or a queued resend is dropped. */
		close_socket(&dc->req);
	}
	set_err(dc, "daemon not reachable at %s after %d tries", dc->req_ep, dc->tries);
	return DC_ERR_UNREACHABLE;
}

int dc_request_bytes(dc_t *dc, const void *data, size_t len, const char *expect_id,
                     Dispatch__Reply **reply)
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
static void largest_field(const ProtobufCMessage *msg, const char *prefix, char *name, size_t namelen,
                          size_t *best, int depth)
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
		set_err(dc, "out of memory");
		return DC_ERR_SYSTEM;
	}
	dispatch__reply__pack(&r, buf);
	*reply = dispatch__reply__unpack(NULL, plen, buf);
	free(buf);
	if (!*reply) {
		set_err(dc, "out of memory");
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
			set_err(dc, "cannot make a random request id: %s", strerror(errno));
			return DC_ERR_SYSTEM;
		}
		copy.request_id = id;
	}
	if (strlen(copy.request_id) > DC_REQUEST_ID_MAX) {
		set_err(dc, "request id is longer than %d bytes", DC_REQUEST_ID_MAX);
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
		set_err(dc, "out of memory");
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

	req.body_case = DISPATCH__REQUEST__BODY_PING;
	req.ping = &ping;
	return dc_request(dc, &req, reply);
}

/* ---- subscriber ---- */

static int queue_push(dc_t *dc, Dispatch__Event *e)
{
	if (dc->q_head == dc->q_len)
		dc->q_head = dc->q_len = 0;
	if (dc->q_len == dc->q_cap) {
		size_t cap = dc->q_cap ? dc->q_cap * 2 : 64;
		Dispatch__Event **q;

		if (dc->q_head > 0) { /* reclaim the consumed front first */
			memmove(dc->q, dc->q + dc->q_head, (dc->q_len - dc->q_head) * sizeof *dc->q);
			dc->q_len -= dc->q_head;
			dc->q_head = 0;
		} else {
			q = realloc(dc->q, cap * sizeof *q);
			if (!q) {
				set_err(dc, "out of memory");
				dispatch__event__free_unpacked(e, NULL);
				return DC_ERR_SYSTEM;
			}
			dc->q = q;
			dc->q_cap = cap;
		}
	}
	dc->q[dc->q_len++] = e;
	return 0;
}

/* An independent copy of an event that lives inside a Reply, so the caller
 * can free it on its own with dispatch__event__free_unpacked(). */
static Dispatch__Event *event_copy(const Dispatch__Event *e)
{
	size_t len = dispatch__event__get_packed_size(e);
	uint8_t *buf = malloc(len ? len : 1);
	Dispatch__Event *c;

	if (!buf)
		return NULL;
	dispatch__event__pack(e, buf);
	c = dispatch__event__unpack(NULL, len, buf);
	free(buf);
	return c;
}

/*
 * Watch the SUB socket's connections: ZeroMQ reconnects by itself after a
 * daemon restart, silently, and whatever was published meanwhile is lost.
 * A filtered subscriber can only learn of that from here.
 */
static int open_monitor(dc_t *dc, void *sub)
{
	char addr[64];
	int linger = 0;

	snprintf(addr, sizeof addr, "inproc://dc-monitor-%p", (void *)dc);
	if (zmq_socket_monitor(sub, addr, ZMQ_EVENT_CONNECTED) < 0)
		goto fail;
	dc->mon = zmq_socket(dc->ctx, ZMQ_PAIR);
	if (!dc->mon)
		goto fail;
	if (zmq_setsockopt(dc->mon, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
	    zmq_connect(dc->mon, addr) < 0)
		goto fail;
	return 0;
fail:
	set_err(dc, "cannot monitor the events socket: %s", zmq_strerror(errno));
	close_socket(&dc->mon);
	return DC_ERR_SYSTEM;
}

/* Read one monitor message: [uint16 event, uint32 value][endpoint]. */
static void read_monitor(dc_t *dc)
{
	zmq_msg_t msg;
	int frames;
	uint16_t event = 0;

	/* Only the first frame says what happened; take it, drop the rest. */
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, dc->mon, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&msg);
		return;
	}
	if (zmq_msg_size(&msg) >= sizeof event)
		memcpy(&event, zmq_msg_data(&msg), sizeof event);
	frames = zmq_msg_more(&msg);
	zmq_msg_close(&msg);
	if (frames) {
		int rc = recv_last_frame(dc, dc->mon, &msg, &frames);
		if (rc > 0)
			zmq_msg_close(&msg);
	}
	if (event == ZMQ_EVENT_CONNECTED && ++dc->connects > 1)
		dc->resubscribed = 1;
}

int dc_resubscribed(dc_t *dc)
{
	int r;

	if (!dc)
		return 0;
	r = dc->resubscribed;
	dc->resubscribed = 0;
	return r;
}

int dc_subscribe(dc_t *dc, const char *const *prefixes, size_t n, uint64_t from_seq)
{
	int all = 0;
	size_t i;
	void *s = NULL;
	int64_t max_msg = DC_MAX_EVENT_BYTES;
	int linger = 0;

	if (!dc || (n && !prefixes))
		return DC_ERR_ARG;
	if (dc->sub) {
		set_err(dc, "already subscribed");
		return DC_ERR_ARG;
	}
	if (!dc->ev_ep) {
		set_err(dc, "no events endpoint given");
		return DC_ERR_ARG;
	}
	for (i = 0; i < n; i++) {
		if (!prefixes[i]) {
			set_err(dc, "NULL topic prefix");
			return DC_ERR_ARG;
		}
		if (!*prefixes[i])
			all = 1;
	}
	if (!all && from_seq) {
		set_err(dc, "a start seq needs the unfiltered subscription \"\"");
		return DC_ERR_ARG;
	}
	s = zmq_socket(dc->ctx, ZMQ_SUB);
	if (!s) {
		set_err(dc, "cannot create socket: %s", zmq_strerror(errno));
		return DC_ERR_SYSTEM;
	}
	if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
	    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max_msg, sizeof max_msg) < 0)
		goto fail_opt;
	/* Member topics before "hb.": subscriptions reach the publisher in
	 * order, so the first heartbeat proves the others are in place too. */
	for (i = 0; i < n; i++)
		if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, prefixes[i], strlen(prefixes[i])) < 0)
			goto fail_opt;
	if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, "hb.", 3) < 0)
		goto fail_opt;
	if (secure_socket(dc, s, dc->ev_ep) != DC_OK) {
		zmq_close(s);
		return DC_ERR_ARG;
	}
	if (open_monitor(dc, s) < 0)
		goto fail;
	if (zmq_connect(s, dc->ev_ep) < 0) {
		set_err(dc, "cannot connect to %s: %s", dc->ev_ep, zmq_strerror(errno));
		goto fail;
	}
	dc->sub = s;
	dc->gap_detect = all;
	dc->ready = 0;
	if (!all)
		return 0;
	if (from_seq) {
		dc->last = from_seq - 1;
		dc->fill_to = DC_FILL_CATCH_UP;
		return 0;
	} else {
		/* Connected before asking, so nothing published after the
		 * answer can slip by: it arrives live or a gap reveals it. */
		Dispatch__Reply *r = NULL;
		int rc = dc_ping(dc, &r);

		if (rc < 0)
			return rc;
		if (r->status != DISPATCH__STATUS__STATUS_OK) {
			set_err(dc, "daemon refused a ping: %s", r->message);
			dispatch__reply__free_unpacked(r, NULL);
			return DC_ERR_REFUSED;
		}
		dc->last = r->last_seq;
		dispatch__reply__free_unpacked(r, NULL);
	}
	return 0;
fail_opt:
	set_err(dc, "cannot set socket options: %s", zmq_strerror(errno));
fail:
	zmq_socket_monitor(s, NULL, 0);
	close_socket(&dc->mon);
	zmq_close(s);
	return DC_ERR_SYSTEM;
}

void dc_set_heartbeats(dc_t *dc, int want)
{
	if (dc)
		dc->want_hb = !!want;
}

uint64_t dc_last_seq(const dc_t *dc)
{
	return dc ? dc->last : 0;
}

/* The fill is over: let the held-back live message through, unless the
 * replay already delivered it. */
static int release_pending(dc_t *dc)
{
	Dispatch__Event *e = dc->pending;

	dc->pending = NULL;
	dc->fill_to = 0;
	if (!e)
		return 0;
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT) {
		if (dc->want_hb)
			return queue_push(dc, e);
	} else if (e->seq > dc->last) {
		dc->last = e->seq;
		return queue_push(dc, e);
	}
	dispatch__event__free_unpacked(e, NULL);
	return 0;
}

/* One Replay batch from last+1; queue what it brings. */
static int fill_batch(dc_t *dc)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Replay replay = DISPATCH__REPLAY__INIT;
	Dispatch__Reply *r = NULL;
	int progress = 0, rc;
	size_t i;

	replay.from_seq = dc->last + 1;
	req.body_case = DISPATCH__REQUEST__BODY_REPLAY;
	req.replay = &replay;
	rc = dc_request(dc, &req, &r);
	if (rc < 0)
		return rc;
	if (r->status != DISPATCH__STATUS__STATUS_OK) {
		set_err(dc, "daemon refused to replay from seq %llu: %s",
		        (unsigned long long)replay.from_seq, r->message);
		rc = DC_ERR_REFUSED;
		goto out;
	}
	for (i = 0; i < r->n_events; i++) {
		const Dispatch__Event *e = r->events[i];
		Dispatch__Event *c;

		/* Only ever forward: a replay that overlaps or is out of order
		 * must not make us deliver a seq twice. */
		if (!e || e->seq <= dc->last || e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT)
			continue;
		c = event_copy(e);
		if (!c) {
			set_err(dc, "out of memory");
			rc = DC_ERR_SYSTEM;
			goto out;
		}
		dc->last = e->seq;
		rc = queue_push(dc, c);
		if (rc < 0)
			goto out;
		progress = 1;
	}
	if (dc->fill_to == DC_FILL_CATCH_UP || r->last_seq < dc->fill_to)
		dc->fill_to = r->last_seq;
	/* An empty batch means the daemon has nothing more: stop rather than
	 * ask for ever. */
	if (!progress || dc->last >= dc->fill_to)
		rc = release_pending(dc);
	else
		rc = 0;
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

/*
 * Hold e back until the fill up to `upto` is done. Only dc_wait_ready(),
 * which reads live messages without filling, can get here with a message
 * already held: keep the later one, the fill covers the other.
 */
static void hold(dc_t *dc, Dispatch__Event *e, uint64_t upto)
{
	Dispatch__Event *old = dc->pending;

	if (upto > dc->fill_to)
		dc->fill_to = upto;
	if (old && (old->seq > e->seq ||
	            (old->seq == e->seq && e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT))) {
		dispatch__event__free_unpacked(e, NULL);
		return;
	}
	dispatch__event__free_unpacked(old, NULL);
	dc->pending = e;
}

/* Decide what a live message means for the FIFO (takes ownership of e). */
static int take_live(dc_t *dc, Dispatch__Event *e)
{
	int hb = e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT;

	dc->ready = 1;
	if (hb && e->time_ms > 0) {
		dc->skew_ms = e->time_ms - dc_wall_ms();
		dc->have_skew = 1;
	}
	if (!dc->gap_detect) {
		if (hb && !dc->want_hb) {
			dispatch__event__free_unpacked(e, NULL);
			return 0;
		}
		return queue_push(dc, e);
	}
	if (hb) {
		if (e->seq > dc->last) { /* we missed the tail: fill it first */
			hold(dc, e, e->seq);
			return 0;
		}
		if (dc->want_hb)
			return queue_push(dc, e);
		dispatch__event__free_unpacked(e, NULL);
		return 0;
	}
	if (e->seq == 0 || e->seq <= dc->last) { /* invalid, or already delivered */
		dispatch__event__free_unpacked(e, NULL);
		return 0;
	}
	if (e->seq > dc->last + 1 || dc->pending) {
		hold(dc, e, e->seq - 1);
		return 0;
	}
	dc->last = e->seq;
	return queue_push(dc, e);
}

/*
 * Make progress: one fill batch if a gap is open (and allowed), else one
 * live message. 0 on progress (the FIFO may still be empty).
 */
static int pump(dc_t *dc, int64_t deadline, int allow_fill, int wake_fd)
{
	zmq_pollitem_t items[3];
	zmq_msg_t topic, body;
	Dispatch__Event *e;
	int rc, more, n;
	size_t more_len = sizeof more;

	if (allow_fill && dc->fill_to && dc->fill_to > dc->last)
		return fill_batch(dc);
	if (allow_fill && dc->fill_to) /* nothing left to fill */
		return release_pending(dc);
	memset(items, 0, sizeof items);
	items[0].socket = dc->sub;
	items[0].events = ZMQ_POLLIN;
	n = 1;
	if (dc->mon) {
		items[n].socket = dc->mon;
		items[n].events = ZMQ_POLLIN;
		n++;
	}
	if (wake_fd >= 0) {
		items[n].fd = wake_fd;
		items[n].events = ZMQ_POLLIN;
		n++;
	}
	rc = zmq_poll(items, n, remaining_ms(deadline));
	if (rc < 0) {
		if (errno == EINTR)
			return DC_ERR_INTERRUPTED;
		set_err(dc, "poll failed: %s", zmq_strerror(errno));
		return DC_ERR_SYSTEM;
	}
	if (rc == 0)
		return DC_ERR_TIMEOUT;
	if (dc->mon && (items[1].revents & ZMQ_POLLIN)) {
		read_monitor(dc);
		return 0;
	}
	if (wake_fd >= 0 && (items[n - 1].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) &&
	    !(items[0].revents & ZMQ_POLLIN))
		return DC_FD_READY;

	/* Exactly [topic][Event]; anything else is dropped whole. */
	zmq_msg_init(&topic);
	zmq_msg_init(&body);
	if (zmq_msg_recv(&topic, dc->sub, ZMQ_DONTWAIT) < 0) {
		rc = errno == EAGAIN ? 0 : errno == EINTR ? DC_ERR_INTERRUPTED : DC_ERR_SYSTEM;
		if (rc == DC_ERR_SYSTEM)
			set_err(dc, "receive failed: %s", zmq_strerror(errno));
		goto out;
	}
	if (!zmq_msg_more(&topic) || zmq_msg_size(&topic) > DC_MAX_TOPIC)
		goto drain;
	if (zmq_msg_recv(&body, dc->sub, ZMQ_DONTWAIT) < 0 || zmq_msg_more(&body))
		goto drain;
	e = dispatch__event__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
	rc = e ? take_live(dc, e) : 0;
	goto out;
drain:
	more = 0;
	zmq_getsockopt(dc->sub, ZMQ_RCVMORE, &more, &more_len);
	while (more) {
		zmq_msg_close(&body);
		zmq_msg_init(&body);
		if (zmq_msg_recv(&body, dc->sub, ZMQ_DONTWAIT) < 0)
			break;
		more_len = sizeof more;
		zmq_getsockopt(dc->sub, ZMQ_RCVMORE, &more, &more_len);
	}
	rc = 0;
out:
	zmq_msg_close(&topic);
	zmq_msg_close(&body);
	return rc;
}

int dc_wait_ready(dc_t *dc, int timeout_ms)
{
	int64_t deadline;

	if (!dc || !dc->sub)
		return DC_ERR_ARG;
	deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	while (!dc->ready) {
		int rc = pump(dc, deadline, 0, -1);

		if (rc == DC_ERR_TIMEOUT)
			set_err(dc, "no heartbeat from %s within %d ms", dc->ev_ep, timeout_ms);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int dc_next_event_fd(dc_t *dc, int timeout_ms, int fd, Dispatch__Event **event)
{
	int64_t deadline;

	if (!dc || !event || !dc->sub)
		return DC_ERR_ARG;
	*event = NULL;
	deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	for (;;) {
		int rc;

		if (dc->q_head < dc->q_len) {
			*event = dc->q[dc->q_head++];
			return DC_OK;
		}
		rc = pump(dc, deadline, 1, fd);
		if (rc != 0)
			return rc;
	}
}

int dc_next_event(dc_t *dc, int timeout_ms, Dispatch__Event **event)
{
	return dc_next_event_fd(dc, timeout_ms, -1, event);
}

int64_t dc_daemon_now_ms(const dc_t *dc)
{
	return dc_wall_ms() + (dc && dc->have_skew ? dc->skew_ms : 0);
}

/* ---- words ---- */

static const char *name_of(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n || !names[v])
		return "unknown";
	return names[v];
}

#define NAME_OF(table, v) name_of(table, sizeof table / sizeof table[0], v)

static const char *const kind_names[] = {
	"unspecified", "repair", "complaint", "special", "security", "cleaning", "inquiry",
	"suggestion",
};
static const char *const state_names[] = {
	"unspecified", "new", "assigned", "accepted", "on site", "resolved", "closed", "cancelled",
	"on hold",
};
static const char *const event_names[] = {
	"unspecified", "submitted", "assigned", "queued", "accepted",
	"on site", "resolved", "closed", "cancelled", "escalated",
	"linked", "duty", "outage", "purged", "retention purge",
	"on hold", "resumed", "followed up", "inspected", "reopened",
	"consented", "vendor flagged", "vendor reviewed", "notice",
	"unlinked",
};
static const char *const status_names[] = {
	"unspecified", "ok", "invalid", "not found", "conflict",
	"forbidden", "unsupported version", "storage error", "internal error",
};
static const char *const source_names[] = {
	"unspecified", "intercom", "phone", "walk-in", "app", "sensor",
};
static const char *const role_names[] = {
	"unspecified", "desk", "crew", "monitor", "qc", "supervisor", "admin", "system",
};
static const char *const action_names[] = {
	"unspecified", "accept", "arrive", "resolve", "close", "cancel", "assign",
	"hold", "resume", "follow-up", "inspect", "consent", "flag vendor", "review vendor",
	"unlink",
};
static const char *const link_names[] = {
	"none", "crew", "duplicate",
};
/* Command-line words: one token each, so they can be typed back. */
static const char *const hold_reason_names[] = {
	"unspecified", "parts", "resident-away", "no-access", "consent", "other",
};
static const char *const inspection_names[] = {
	"none", "pass", "fail",
};
static const char *const deadline_names[] = {
	"none", "acknowledge", "arrive", "resolve", "follow-up",
};
static const char *const notice_kind_names[] = {
	"general", "activity", "works",
};

const char *dc_kind_name(int kind) { return NAME_OF(kind_names, kind); }
const char *dc_state_name(int state) { return NAME_OF(state_names, state); }
const char *dc_status_name(int status) { return NAME_OF(status_names, status); }
const char *dc_source_name(int source) { return NAME_OF(source_names, source); }
const char *dc_role_name(int role) { return NAME_OF(role_names, role); }
const char *dc_action_name(int action) { return NAME_OF(action_names, action); }
const char *dc_link_name(int link) { return NAME_OF(link_names, link); }
const char *dc_hold_reason_name(int r) { return NAME_OF(hold_reason_names, r); }
const char *dc_inspection_name(int r) { return NAME_OF(inspection_names, r); }
const char *dc_deadline_name(int d) { return NAME_OF(deadline_names, d); }
const char *dc_notice_kind_name(int k) { return NAME_OF(notice_kind_names, k); }

const char *dc_event_type_name(int type)
{
	if (type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT)
		return "heartbeat";
	return NAME_OF(event_names, type);
}

/* Index 0 ("unspecified") is never a valid answer to a parse. */
static int parse_word(const char *const *names, size_t n, const char *word, int *out)
{
	size_t i;

	if (!word)
		return DC_ERR_ARG;
	for (i = 1; i < n; i++) {
		if (strcasecmp(names[i], word) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return DC_ERR_ARG;
}

int dc_kind_parse(const char *word, Dispatch__Kind *out)
{
	int v;

	if (parse_word(kind_names, sizeof kind_names / sizeof kind_names[0], word, &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__Kind)v;
	return 0;
}

int dc_role_parse(const char *word, Dispatch__Role *out)
{
	int v;

	/* "system" is the daemon's own: no client speaks as it. */
	if (parse_word(role_names, sizeof role_names / sizeof role_names[0] - 1, word, &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__Role)v;
	return 0;
}

int dc_source_parse(const char *word, Dispatch__Source *out)
{
	int v;

	if (word && (strcasecmp(word, "walkin") == 0 || strcasecmp(word, "walk_in") == 0))
		word = "walk-in";
	if (parse_word(source_names, sizeof source_names / sizeof source_names[0], word, &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__Source)v;
	return 0;
}

int dc_hold_reason_parse(const char *word, Dispatch__HoldReason *out)
{
	int v;

	if (word && (strcasecmp(word, "resident_away") == 0 || strcasecmp(word, "away") == 0))
		word = "resident-away";
	if (word && strcasecmp(word, "no_access") == 0)
		word = "no-access";
	/* "consent" is the daemon's own hold for a paid service; consent ends it. */
	if (word && strcasecmp(word, "consent") == 0)
		return DC_ERR_ARG;
	if (parse_word(hold_reason_names, sizeof hold_reason_names / sizeof hold_reason_names[0], word,
	               &v) < 0)
		return DC_ERR_ARG;
	*out = (Dispatch__HoldReason)v;
	return 0;
}

int dc_notice_kind_parse(const char *word, Dispatch__NoticeKind *out)
{
	size_t i;

	/* Index 0 ("general") is a real choice here, unlike the other enums. */
	for (i = 0; word && i < sizeof notice_kind_names / sizeof notice_kind_names[0]; i++) {
		if (strcasecmp(notice_kind_names[i], word) == 0) {
			*out = (Dispatch__NoticeKind)i;
			return 0;
		}
	}
	return DC_ERR_ARG;
}

/* ---- money ---- */

int dc_cents_parse(const char *s, int64_t *out)
{
	int64_t whole = 0;
	int digits = 0, frac = 0, n_frac = 0;
	const char *p = s;

	if (!p || !out)
		return DC_ERR_ARG;
	if (strncasecmp(p, "HK$", 3) == 0)
		p += 3;
	else if (*p == '$')
		p++;
	for (; *p >= '0' && *p <= '9'; p++) {
		/* 10 billion dollars is no estate's fee: a typo, not a price. */
		if (++digits > 10)
			return DC_ERR_ARG;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++n_frac > 2)
				return DC_ERR_ARG;
			frac = frac * 10 + (*p - '0');
		}
		if (n_frac == 0)
			return DC_ERR_ARG;
		if (n_frac == 1)
			frac *= 10;
	}
	if (*p != '\0' || digits == 0)
		return DC_ERR_ARG;
	*out = whole * 100 + frac;
	return 0;
}

char *dc_format_cents(int64_t cents, char *buf, size_t size)
{
	uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;

	snprintf(buf, size, "%sHK$%" PRIu64 ".%02u", cents < 0 ? "-" : "", a / 100, (unsigned)(a % 100));
	return buf;
}

int dc_status_exit(int status)
{
	switch (status) {
	case DISPATCH__STATUS__STATUS_OK:
		return DC_EXIT_OK;
	case DISPATCH__STATUS__STATUS_INVALID:
	case DISPATCH__STATUS__STATUS_NOT_FOUND:
	case DISPATCH__STATUS__STATUS_CONFLICT:
	case DISPATCH__STATUS__STATUS_FORBIDDEN:
	case DISPATCH__STATUS__STATUS_UNSUPPORTED_VERSION:
		return DC_EXIT_REFUSED;
	default: /* storage, internal, or a status this client does not know */
		return DC_EXIT_UNAVAILABLE;
	}
}

int dc_err_exit(int rc)
{
	if (rc == DC_ERR_ARG)
		return DC_EXIT_USAGE;
	if (rc == DC_ERR_REFUSED)
		return DC_EXIT_REFUSED;
	return rc < 0 ? DC_EXIT_UNAVAILABLE : DC_EXIT_OK;
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

int dc_report(FILE *f, const char *prog, const Dispatch__Reply *reply)
{
	char msg[1024], field[128];

	if (!reply)
		return DC_EXIT_UNAVAILABLE;
	dc_clean(reply->message, msg, sizeof msg);
	if (!*msg) /* a daemon should always explain; say at least what it was */
		snprintf(msg, sizeof msg, "the daemon answered: %s", dc_status_name(reply->status));
	dc_clean(reply->field, field, sizeof field);
	if (reply->status == DISPATCH__STATUS__STATUS_INVALID && *field)
		fprintf(f, "%s: %s (field: %s)\n", prog, msg, field);
	else
		fprintf(f, "%s: %s\n", prog, msg);
	return dc_status_exit(reply->status);
}

/* ---- text for terminals ---- */

/* Length of the valid UTF-8 sequence at s (1..4) with its code point, or 0. */
static int utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0];
	int len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

char *dc_clean(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0;

	if (!buf || size == 0)
		return buf;
	while (*p) {
		uint32_t cp;
		int len = utf8_next(p, &cp);

		if (len == 0 || is_control(cp)) {
			if (o + 1 >= size)
				break;
			buf[o++] = '?';
			p += len ? len : 1;
			continue;
		}
		if (o + (size_t)len >= size)
			break; /* never split a character */
		memcpy(buf + o, p, (size_t)len);
		o += (size_t)len;
		p += len;
	}
	buf[o] = '\0';
	return buf;
}

/* The built-in table, for a libc without a UTF-8 locale to ask. */
static int cp_width_table(uint32_t cp)
{
	if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || cp == 0xfeff)
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

/*
 * wcwidth() answers by the LC_CTYPE in force, and a program run under
 * LANG=C would count every Chinese character as unprintable. Ask under a
 * UTF-8 locale of our own instead (uselocale() switches only this thread,
 * and only for the call), so widths do not depend on the caller's locale.
 */
static locale_t utf8_locale(void)
{
	static locale_t loc;
	static int tried;

	if (!tried) {
		tried = 1;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (!loc)
			loc = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
	}
	return loc;
}

static int cp_width(uint32_t cp)
{
	locale_t loc = utf8_locale(), old;
	int w;

	if (!loc)
		return cp_width_table(cp);
	old = uselocale(loc);
	w = wcwidth((wchar_t)cp);
	uselocale(old);
	/* -1: printable to us but unknown to libc; the terminal shows one cell. */
	return w < 0 ? 1 : w;
}

int dc_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int w = 0;

	while (*p) {
		uint32_t cp;
		int len = utf8_next(p, &cp);

		if (len == 0 || is_control(cp)) {
			w++; /* shown as '?' */
			p += len ? len : 1;
			continue;
		}
		w += cp_width(cp);
		p += len;
	}
	return w;
}

void dc_pad(FILE *f, const char *s, int width)
{
	char buf[1024];
	int w;

	dc_clean(s, buf, sizeof buf);
	fputs(buf, f);
	for (w = dc_width(buf); w < width; w++)
		fputc(' ', f);
}

char *dc_format_time(int64_t ms, char *buf, size_t size)
{
	struct tm tm;
	time_t t;

	if (!buf || size == 0)
		return buf;
	if (ms <= 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	t = (time_t)(ms / 1000);
	if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)ms);
	return buf;
}
