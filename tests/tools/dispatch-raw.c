/*
 * dispatch-raw: a test tool that sends deliberately bad (or deliberately
 * repeated) requests and prints what the daemon answered, one "key: value"
 * per line, so shell tests can grep it:
 *   status: STATUS_INVALID
 *   field: kind
 *   message: ...
 *   ticket: 17          (when the reply carries a ticket)
 * Exit 0 if a reply arrived, whatever its status; 3 if none; 2 on usage.
 *
 * The frame and flood modes talk to the daemon's ROUTER through a DEALER of
 * their own rather than the client library, which only ever sends one
 * well-formed frame and waits for its answer: here the point is to send
 * what a correct client never would, and to count what comes back.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "dispatch_client.h"

#define PROG "dispatch-raw"

static const char usage_text[] =
	"usage: " PROG " [--endpoint EP] MODE...\n"
	"\n"
	"Send one test request to dispatchd and print the reply's status, field,\n"
	"message and ticket id. Without a mode, sends a normal valid submit.\n"
	"\n"
	"modes (--kind, --version and --request-id combine):\n"
	"  --garbage          a frame that is not a protobuf Request\n"
	"  --no-body          a Request without a body\n"
	"  --kind N           a submit with kind = N (e.g. 99, not a known kind)\n"
	"  --version N        a submit with wire version N\n"
	"  --request-id ID    a submit with this fixed request id (idempotency)\n"
	"  --text TEXT        the submit's text (default \"dispatch-raw test request\")\n"
	"  --unit UNIT        the submit's unit (default 1-1A)\n"
	"  --accept ID        instead of a submit, accept ticket ID (a crew member's)\n"
	"  --ping             instead of a submit, a ping\n"
	"  --cost ID:ACTION:ITEM:QTY:CENTS:LABOUR:INVOICE\n"
	"                     instead of a submit, a transition of ticket ID with action\n"
	"                     number ACTION carrying one part (ITEM, QTY and unit CENTS\n"
	"                     as given, unchecked: QTY -1 is sent as 4294967295),\n"
	"                     LABOUR minutes and INVOICE cents (issue 19)\n"
	"  --role ROLE        the role the request states (desk, crew, ...; default desk)\n"
	"  --actor NAME       the actor the request states (default dispatch-raw); over\n"
	"                     CURVE the daemon takes both from the key instead\n"
	"  --save-reply FILE  write the reply's bytes, packed again, to FILE\n"
	"  --truncate         only the first half of the packed request\n"
	"  --bad-utf8         a submit whose text is not valid UTF-8\n"
	"  --tags N           a submit with N tags (the daemon allows 16)\n"
	"  --size BYTES       one frame of BYTES bytes (a submit padded with a long\n"
	"                     text); past the daemon's 64 KiB limit no reply is due\n"
	"  --empty-frames N   N empty frames before the request, in one message\n"
	"  --extra-frame      a frame \"junk\" before the request, in one message\n"
	"  --flood N          N requests sent without waiting for replies, while\n"
	"                     reading whatever comes back; prints sent, replies,\n"
	"                     ok and seconds, and \"ticket: ID\" per stored ticket\n"
	"                     (\"refused: MESSAGE\" per submit refused)\n"
	"  --flood-body B     what --flood sends: ping (default), list, submit, or\n"
	"                     garbage (frames of --size bytes, default 64, that are\n"
	"                     not a Request)\n"
	"  --body B           the one request to send: submit (default), ping, list,\n"
	"                     or get (ticket 1); the reply's last_seq is printed\n"
	"  --list-filter K=V  with --body list: a filter as sent, unchecked (up to 8):\n"
	"                     unit, kind, state (numbers, any), from, to (ms), text,\n"
	"                     person, phone, category, after; prints tickets, more\n"
	"                     and next_after\n"
	"  --stall-sub SECS   subscribe to every event on --events EP (env\n"
	"                     DISPATCH_EVENTS) and read none for SECS seconds\n"
	"  --window W         with --flood: at most W requests unanswered at a time\n"
	"                     (W = 1 prints the round trips' p50, p99 and max)\n"
	"                     (a pipelining client the daemon need drop nothing for)\n"
	"  --replay SEQ       a replay from SEQ; prints \"event: SEQ MEMBER\" for each\n"
	"                     event (a crew key gets only its own member's)\n"
	"  --no-read SECONDS  with --flood: read nothing; hold the socket open for\n"
	"                     SECONDS, then count the replies waiting (a dead peer)\n"
	"\n"
	"options:\n"
	"  --endpoint EP      request socket (env DISPATCH_ENDPOINT, default " DC_DEFAULT_ENDPOINT ")\n"
	"  --timeout MS       reply timeout per try (default 2500)\n"
	"  --help             this text\n"
	"\n"
	"examples:\n"
	"  " PROG " --garbage\n"
	"  " PROG " --kind 99\n"
	"  " PROG " --request-id test-1; " PROG " --request-id test-1\n"
	"\n"
	"  " PROG " --tags 5000\n"
	"  " PROG " --flood 2000 --flood-body ping\n"
	"\n"
	"exit codes: 0 a reply arrived (any status; --flood: every request was\n"
	"            sent), 2 usage error, 3 no reply\n";

enum {
	OPT_GARBAGE = 256,
	OPT_NO_BODY,
	OPT_KIND,
	OPT_VERSION,
	OPT_RID,
	OPT_ENDPOINT,
	OPT_TIMEOUT,
	OPT_HELP,
	OPT_TRUNCATE,
	OPT_BAD_UTF8,
	OPT_TAGS,
	OPT_SIZE,
	OPT_EMPTY_FRAMES,
	OPT_EXTRA_FRAME,
	OPT_FLOOD,
	OPT_FLOOD_BODY,
	OPT_NO_READ,
	OPT_STALL_SUB,
	OPT_EVENTS,
	OPT_WINDOW,
	OPT_REPLAY,
	OPT_TEXT,
	OPT_UNIT,
	OPT_ACCEPT,
	OPT_PING,
	OPT_ROLE,
	OPT_ACTOR,
	OPT_SAVE_REPLY,
	OPT_BODY,
	OPT_LIST_FILTER,
	OPT_COST
};

static const struct option long_opts[] = {
	{ "garbage", no_argument, NULL, OPT_GARBAGE },
	{ "no-body", no_argument, NULL, OPT_NO_BODY },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "version", required_argument, NULL, OPT_VERSION },
	{ "request-id", required_argument, NULL, OPT_RID },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "truncate", no_argument, NULL, OPT_TRUNCATE },
	{ "bad-utf8", no_argument, NULL, OPT_BAD_UTF8 },
	{ "tags", required_argument, NULL, OPT_TAGS },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "empty-frames", required_argument, NULL, OPT_EMPTY_FRAMES },
	{ "extra-frame", no_argument, NULL, OPT_EXTRA_FRAME },
	{ "flood", required_argument, NULL, OPT_FLOOD },
	{ "flood-body", required_argument, NULL, OPT_FLOOD_BODY },
	{ "no-read", required_argument, NULL, OPT_NO_READ },
	{ "stall-sub", required_argument, NULL, OPT_STALL_SUB },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "text", required_argument, NULL, OPT_TEXT },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "accept", required_argument, NULL, OPT_ACCEPT },
	{ "ping", no_argument, NULL, OPT_PING },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "actor", required_argument, NULL, OPT_ACTOR },
	{ "save-reply", required_argument, NULL, OPT_SAVE_REPLY },
	{ "body", required_argument, NULL, OPT_BODY },
	{ "list-filter", required_argument, NULL, OPT_LIST_FILTER },
	{ "cost", required_argument, NULL, OPT_COST },
	{ NULL, 0, NULL, 0 },
};

/* Field 1 with wire type 7, which does not exist: no protobuf parser can
 * read past the first byte. */
static const unsigned char garbage[] = { 0x0f, 0xff, 0xff, 0xff, 0xff, 'n', 'o', 't', ' ', 'a',
					 ' ',  'p',  'r',  'o',  't',  'o', 'b', 'u', 'f' };

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; try '" PROG " --help'\n");
	return DC_EXIT_USAGE;
}

static int parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void print_reply(const Dispatch__Reply *r)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&dispatch__status__descriptor, r->status);
	char buf[1024];

	if (v)
		printf("status: %s\n", v->name);
	else
		printf("status: %d\n", (int)r->status);
	printf("version: %u\n", r->version);
	printf("request_id: %s\n", dc_clean(r->request_id, buf, sizeof buf));
	printf("field: %s\n", dc_clean(r->field, buf, sizeof buf));
	printf("message: %s\n", dc_clean(r->message, buf, sizeof buf));
	printf("last_seq: %" PRIu64 "\n", r->last_seq);
	if (r->ticket)
		printf("ticket: %" PRIu64 "\n", r->ticket->id);
	if (r->n_tickets || r->more)
		printf("tickets: %zu\nmore: %d\nnext_after: %" PRIu64 "\n", r->n_tickets, (int)r->more, r->next_after);
	for (size_t i = 0; i < r->n_events; i++)
		printf("event: %" PRIu64 " %s\n", r->events[i]->seq,
		       r->events[i]->member && *r->events[i]->member ? dc_clean(r->events[i]->member, buf, sizeof buf)
								     : "-");
}

/* What to send and how; filled from the command line. */
struct raw_opts {
	const char *endpoint, *rid, *text, *unit, *actor, *save_reply;
	long long kind, version, accept, role;
	int ping;
	int garbage, no_body, truncate, bad_utf8, extra_frame, timeout;
	long long tags, size, empty_frames, flood, no_read, window, replay, stall_sub;
	const char *flood_body, *events, *body;
	const char *list_filter[8]; /* --list-filter KEY=VALUE, as given */
	int n_list_filter;
	const char *cost; /* --cost, as given */
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Pack a request of the kind the options ask for, with request id rid.
 * Returns a malloc'd buffer and its length in *len, or NULL. */
static uint8_t *pack_request(const struct raw_opts *o, const char *rid, const char *body, unsigned seq, size_t *len)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Ping ping = DISPATCH__PING__INIT;
	Dispatch__List list = DISPATCH__LIST__INIT;
	Dispatch__Replay replay = DISPATCH__REPLAY__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__Get get = DISPATCH__GET__INIT;
	char **tags = NULL, *text = NULL, unit[32];
	uint8_t *buf = NULL;
	long long i;

	if (strcmp(body, "garbage") == 0) {
		/* not a Request: 0xff is a field key with no end (a varint that never stops) */
		*len = o->size > 0 ? (size_t)o->size : 64;
		if ((buf = malloc(*len)) != NULL)
			memset(buf, 0xff, *len);
		return buf;
	}
	req.version = (uint32_t)o->version;
	req.request_id = (char *)rid;
	req.role = (Dispatch__Role)o->role;
	req.actor = (char *)(o->actor ? o->actor : PROG);
	if (strcmp(body, "accept") == 0) {
		tr.ticket_id = (uint64_t)o->accept;
		tr.action = DISPATCH__ACTION__ACTION_ACCEPT;
		req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
		req.transition = &tr;
	} else if (strcmp(body, "cost") == 0) {
		static Dispatch__CostPart part = DISPATCH__COST_PART__INIT, *parts[1] = { &part };
		static char item[64];
		unsigned long long id;
		long long qty, cents, labour, invoice;
		int action;
		if (sscanf(o->cost, "%llu:%d:%63[^:]:%lld:%lld:%lld:%lld", &id, &action, item, &qty, &cents, &labour,
			   &invoice) != 7)
			return NULL;
		tr.ticket_id = id;
		tr.action = (Dispatch__Action)action;
		part.item = item;
		part.quantity = (uint32_t)qty;
		part.unit_cents = cents;
		tr.parts = parts;
		tr.n_parts = strcmp(item, "-") == 0 ? 0 : 1;
		tr.labour_minutes = (uint32_t)labour;
		tr.invoice_cents = invoice;
		req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
		req.transition = &tr;
	} else if (strcmp(body, "ping") == 0) {
		req.body_case = DISPATCH__REQUEST__BODY_PING;
		req.ping = &ping;
	} else if (strcmp(body, "replay") == 0) {
		replay.from_seq = (uint64_t)o->replay;
		req.body_case = DISPATCH__REQUEST__BODY_REPLAY;
		req.replay = &replay;
	} else if (strcmp(body, "get") == 0) {
		get.ticket_id = 1;
		req.body_case = DISPATCH__REQUEST__BODY_GET;
		req.get = &get;
	} else if (strcmp(body, "list") == 0) {
		static char *units[8], *cats[8];
		static Dispatch__Kind kinds[8];
		static Dispatch__State states[8];
		list.limit = 1000;
		list.units = units, list.categories = cats, list.kinds = kinds, list.states = states;
		for (int f = 0; f < o->n_list_filter; f++) {
			const char *kv = o->list_filter[f], *v = strchr(kv, '=') + 1;
			size_t kl = (size_t)(v - 1 - kv);
			if (strncmp(kv, "unit", kl) == 0)
				units[list.n_units++] = (char *)v;
			else if (strncmp(kv, "category", kl) == 0)
				cats[list.n_categories++] = (char *)v;
			else if (strncmp(kv, "kind", kl) == 0)
				kinds[list.n_kinds++] = (Dispatch__Kind)atoi(v);
			else if (strncmp(kv, "state", kl) == 0)
				states[list.n_states++] = (Dispatch__State)atoi(v);
			else if (strncmp(kv, "from", kl) == 0)
				list.created_from_ms = strtoll(v, NULL, 10);
			else if (strncmp(kv, "to", kl) == 0)
				list.created_to_ms = strtoll(v, NULL, 10);
			else if (strncmp(kv, "after", kl) == 0)
				list.after_id = strtoull(v, NULL, 10);
			else if (strncmp(kv, "text", kl) == 0)
				list.text = (char *)v;
			else if (strncmp(kv, "person", kl) == 0)
				list.person = (char *)v;
			else if (strncmp(kv, "phone", kl) == 0)
				list.phone = (char *)v;
		}
		req.body_case = DISPATCH__REQUEST__BODY_LIST;
		req.list = &list;
	} else if (!o->no_body) {
		sub.kind = (Dispatch__Kind)o->kind;
		/* A unit per flood request: the same unit twice would be linked
		 * as a duplicate report instead of dispatched. */
		if (seq)
			snprintf(unit, sizeof unit, "12-F%u", seq);
		else
			snprintf(unit, sizeof unit, "%.31s", o->unit ? o->unit : "1-1A");
		sub.unit = unit;
		sub.source = DISPATCH__SOURCE__SOURCE_APP;
		sub.text = (char *)(o->bad_utf8 ? "lift stuck \xff\xfe\xc3 between floors"
				    : o->text   ? o->text
						: "dispatch-raw test request");
		if (o->tags > 0) {
			tags = calloc((size_t)o->tags, sizeof *tags);
			if (!tags)
				return NULL;
			for (i = 0; i < o->tags; i++)
				tags[i] = (char *)"tag";
			sub.n_tags = (size_t)o->tags;
			sub.tags = tags;
		}
		req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
		req.submit = &sub;
		if (o->size > 0) {
			/* Pad the text until the whole frame is exactly o->size
			 * bytes (the length prefix grows with the text). */
			size_t base = dispatch__request__get_packed_size(&req) - strlen(sub.text);
			size_t want = (size_t)o->size, tl = want > base ? want - base : 0;

			text = malloc(want + 1);
			if (!text) {
				free(tags);
				return NULL;
			}
			for (int round = 0; round < 4; round++) {
				size_t got;
				memset(text, 'x', tl);
				text[tl] = '\0';
				sub.text = text;
				got = dispatch__request__get_packed_size(&req);
				if (got == want || (got > want && tl == 0))
					break;
				tl = got > want ? tl - (got - want) : tl + (want - got);
			}
		}
	}
	*len = dispatch__request__get_packed_size(&req);
	buf = malloc(*len ? *len : 1);
	if (buf)
		dispatch__request__pack(&req, buf);
	free(tags);
	free(text);
	return buf;
}

/* A DEALER of our own on the request endpoint; sndhwm 0 = unlimited.
 * stalled: a peer that does not read, as far as ZeroMQ lets us be one
 * (its I/O thread still reads, so keep its queue and buffer tiny);
 * otherwise take every reply the daemon sends, however many. */
static void *raw_socket(void *ctx, const char *endpoint, int sndhwm, int stalled)
{
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 0, rcvhwm = stalled ? 1 : 0, rcvbuf = 4096;

	if (!s)
		return NULL;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(s, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm);
	zmq_setsockopt(s, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
	if (stalled)
		zmq_setsockopt(s, ZMQ_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (zmq_connect(s, endpoint) != 0) {
		zmq_close(s);
		return NULL;
	}
	return s;
}

/* Receive one whole message, waiting up to timeout_ms; its last frame is
 * decoded as a Reply (NULL if it is not one). 1 if a message came, 0 if
 * none did. *frames: how many frames it had. */
static int recv_reply(void *s, int timeout_ms, Dispatch__Reply **reply, int *frames)
{
	zmq_pollitem_t item = { s, 0, ZMQ_POLLIN, 0 };
	zmq_msg_t msg;
	int more;
	size_t ml;

	*reply = NULL;
	*frames = 0;
	if (zmq_poll(&item, 1, timeout_ms) <= 0)
		return 0;
	zmq_msg_init(&msg);
	for (;;) {
		if (zmq_msg_recv(&msg, s, ZMQ_DONTWAIT) < 0)
			break;
		(*frames)++;
		more = 0;
		ml = sizeof more;
		zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
		if (!more) {
			*reply = dispatch__reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
			break;
		}
	}
	zmq_msg_close(&msg);
	return *frames > 0;
}

/* --empty-frames / --extra-frame: one message of several frames. */
static int send_frames(const struct raw_opts *o, const uint8_t *buf, size_t len)
{
	void *ctx = zmq_ctx_new(), *s = NULL;
	Dispatch__Reply *reply = NULL;
	int rc = DC_EXIT_UNAVAILABLE, frames = 0;

	if (!ctx || !(s = raw_socket(ctx, o->endpoint, 1000, 0))) {
		fprintf(stderr, PROG ": cannot connect to %s: %s\n", o->endpoint, zmq_strerror(errno));
		goto out;
	}
	for (long long i = 0; i < o->empty_frames; i++)
		zmq_send(s, "", 0, ZMQ_SNDMORE);
	if (o->extra_frame)
		zmq_send(s, "junk", 4, ZMQ_SNDMORE);
	zmq_send(s, buf, len, 0);
	if (!recv_reply(s, o->timeout, &reply, &frames)) {
		fprintf(stderr, PROG ": no reply within %d ms\n", o->timeout);
		goto out;
	}
	printf("reply_frames: %d\n", frames);
	if (!reply) {
		fprintf(stderr, PROG ": the reply's last frame is not a Reply\n");
		goto out;
	}
	print_reply(reply);
	dispatch__reply__free_unpacked(reply, NULL);
	rc = DC_EXIT_OK;
out:
	if (s)
		zmq_close(s);
	if (ctx)
		zmq_ctx_term(ctx);
	return rc;
}

struct flood_count {
	long long replies, ok;
};

static void flood_note(struct flood_count *c, Dispatch__Reply *r, int print_tickets)
{
	c->replies++;
	if (!r)
		return;
	if (r->status == DISPATCH__STATUS__STATUS_OK) {
		c->ok++;
		if (print_tickets && r->ticket)
			printf("ticket: %" PRIu64 "\n", r->ticket->id);
	} else if (print_tickets) {
		printf("refused: %s\n", r->message ? r->message : "");
	}
	dispatch__reply__free_unpacked(r, NULL);
}

#define RTT_MAX 100000 /* --window 1: round trips kept for their percentiles */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* --flood N: send N requests without waiting for answers. Reading as we
 * go (unless --no-read) keeps the daemon's queue to us from filling, so
 * every request should be answered; with --no-read the socket is a peer
 * that stopped reading, and the daemon must drop rather than keep. */
static int flood(const struct raw_opts *o)
{
	void *ctx = zmq_ctx_new(), *s = NULL;
	struct flood_count c = { 0, 0 };
	struct timespec t0, t1;
	static double rtt[RTT_MAX];
	long long sent = 0;
	int rc = DC_EXIT_UNAVAILABLE, frames, submit = strcmp(o->flood_body, "submit") == 0;
	Dispatch__Reply *r;
	char rid[64];

	if (!ctx || !(s = raw_socket(ctx, o->endpoint, 0, o->no_read > 0))) {
		fprintf(stderr, PROG ": cannot connect to %s: %s\n", o->endpoint, zmq_strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (sent = 0; sent < o->flood; sent++) {
		uint8_t *buf;
		size_t len;

		while (o->window && sent - c.replies >= o->window) {
			if (!recv_reply(s, o->timeout, &r, &frames)) {
				fprintf(stderr, PROG ": no reply within %d ms with %lld unanswered\n", o->timeout,
					sent - c.replies);
				goto out;
			}
			flood_note(&c, r, submit);
		}
		if (o->window == 1 && sent > 0 && sent <= RTT_MAX)
			rtt[sent - 1] = seconds_since(&t1) * 1000.0;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		snprintf(rid, sizeof rid, "flood-%d-%lld", (int)getpid(), sent);
		buf = pack_request(o, rid, o->flood_body, (unsigned)sent + 1, &len);
		if (!buf || zmq_send(s, buf, len, 0) < 0) {
			free(buf);
			fprintf(stderr, PROG ": send %lld failed: %s\n", sent, zmq_strerror(errno));
			goto out;
		}
		free(buf);
		while (!o->no_read && recv_reply(s, 0, &r, &frames))
			flood_note(&c, r, submit);
	}
	printf("sent: %lld\n", sent);
	fflush(stdout);
	if (o->no_read) {
		sleep((unsigned)o->no_read);
		printf("held: %lld s\n", o->no_read);
	}
	/* Whatever is still to come (or, after --no-read, waiting for us):
	 * until every request is answered or the daemon is quiet for the
	 * reply timeout. */
	while (c.replies < o->flood && recv_reply(s, o->timeout, &r, &frames))
		flood_note(&c, r, submit);
	if (o->window == 1 && sent > 0 && c.replies == sent) {
		/* one at a time: each round trip, as another client sees the daemon */
		size_t n = (size_t)(sent < RTT_MAX ? sent : RTT_MAX);
		rtt[n - 1] = seconds_since(&t1) * 1000.0;
		qsort(rtt, n, sizeof rtt[0], cmp_double);
		printf("rtt_ms: p50 %.2f p99 %.2f max %.2f\n", rtt[n / 2], rtt[n * 99 / 100], rtt[n - 1]);
	}
	printf("replies: %lld\n", c.replies);
	printf("ok: %lld\n", c.ok);
	printf("seconds: %.2f\n", seconds_since(&t0));
	rc = DC_EXIT_OK;
out:
	if (s)
		zmq_close(s);
	if (ctx)
		zmq_ctx_term(ctx);
	return rc;
}

/* --stall-sub SECS: a subscriber that takes every event and reads none, as
 * far as ZeroMQ lets it (its I/O thread reads until its queue of 1 and a
 * small kernel buffer are full): the daemon's queue to it fills to its
 * high-water mark. Prints "subscribed" once connected. */
static int stall_sub(const struct raw_opts *o)
{
	void *ctx = zmq_ctx_new(), *s = ctx ? zmq_socket(ctx, ZMQ_SUB) : NULL;
	const char *ep = o->events ? o->events : getenv("DISPATCH_EVENTS");
	int linger = 0, one = 1, rcvbuf = 4096, rc = DC_EXIT_UNAVAILABLE;

	if (!s || !ep || !*ep) {
		fprintf(stderr, PROG ": --stall-sub needs --events EP or DISPATCH_EVENTS\n");
		goto out;
	}
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(s, ZMQ_RCVHWM, &one, sizeof one);
	zmq_setsockopt(s, ZMQ_RCVBUF, &rcvbuf, sizeof rcvbuf);
	zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
	if (zmq_connect(s, ep) != 0) {
		fprintf(stderr, PROG ": cannot connect to %s: %s\n", ep, zmq_strerror(errno));
		goto out;
	}
	printf("subscribed\n");
	fflush(stdout);
	sleep((unsigned)o->stall_sub);
	rc = DC_EXIT_OK;
out:
	if (s)
		zmq_close(s);
	if (ctx)
		zmq_ctx_term(ctx);
	return rc;
}

int main(int argc, char **argv)
{
	struct raw_opts o = {
		.kind = DISPATCH__KIND__KIND_REPAIR,
		.version = DC_WIRE_VERSION,
		.timeout = DC_DEFAULT_TIMEOUT_MS,
		.flood_body = "ping",
		.role = DISPATCH__ROLE__ROLE_DESK,
	};
	const ProtobufCEnumValue *rv;
	char rolename[64];
	Dispatch__Reply *reply = NULL;
	char idbuf[64];
	long long v;
	int c, rc;
	uint8_t *buf = NULL;
	size_t len;
	dc_t *dc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_GARBAGE: o.garbage = 1; break;
		case OPT_NO_BODY: o.no_body = 1; break;
		case OPT_RID: o.rid = optarg; break;
		case OPT_ENDPOINT: o.endpoint = optarg; break;
		case OPT_TRUNCATE: o.truncate = 1; break;
		case OPT_BAD_UTF8: o.bad_utf8 = 1; break;
		case OPT_EXTRA_FRAME: o.extra_frame = 1; break;
		case OPT_HELP: fputs(usage_text, stdout); return DC_EXIT_OK;
		case OPT_KIND:
			/* Any int32: the point is to send values the daemon must reject. */
			if (parse_num(optarg, INT32_MIN, INT32_MAX, &o.kind) < 0)
				return usage_error("--kind needs an integer, not '%s'", optarg);
			break;
		case OPT_VERSION:
			if (parse_num(optarg, 0, UINT32_MAX, &o.version) < 0)
				return usage_error("--version needs a number, not '%s'", optarg);
			break;
		case OPT_TIMEOUT:
			if (parse_num(optarg, 1, 600000, &v) < 0)
				return usage_error("--timeout needs milliseconds, not '%s'", optarg);
			o.timeout = (int)v;
			break;
		case OPT_TAGS:
			if (parse_num(optarg, 0, 1000000, &o.tags) < 0)
				return usage_error("--tags needs a count up to 1000000, not '%s'", optarg);
			break;
		case OPT_SIZE:
			if (parse_num(optarg, 64, 64 * 1024 * 1024, &o.size) < 0)
				return usage_error("--size needs 64 .. 67108864 bytes, not '%s'", optarg);
			break;
		case OPT_EMPTY_FRAMES:
			if (parse_num(optarg, 0, 100, &o.empty_frames) < 0)
				return usage_error("--empty-frames needs 0 .. 100, not '%s'", optarg);
			break;
		case OPT_FLOOD:
			if (parse_num(optarg, 1, 1000000, &o.flood) < 0)
				return usage_error("--flood needs 1 .. 1000000 requests, not '%s'", optarg);
			break;
		case OPT_FLOOD_BODY:
			if (strcmp(optarg, "ping") && strcmp(optarg, "list") && strcmp(optarg, "submit") &&
			    strcmp(optarg, "garbage"))
				return usage_error("--flood-body is ping, list, submit or garbage, not '%s'", optarg);
			o.flood_body = optarg;
			break;
		case OPT_WINDOW:
			if (parse_num(optarg, 1, 100000, &o.window) < 0)
				return usage_error("--window needs 1 .. 100000 requests, not '%s'", optarg);
			break;
		case OPT_BODY:
			if (strcmp(optarg, "ping") && strcmp(optarg, "list") && strcmp(optarg, "submit") &&
			    strcmp(optarg, "get"))
				return usage_error("--body is submit, ping, list or get, not '%s'", optarg);
			o.body = optarg;
			break;
		case OPT_LIST_FILTER: {
			static const char *const keys[] = { "unit", "kind",   "state", "from",     "to",
							    "text", "person", "phone", "category", "after" };
			const char *eq = strchr(optarg, '=');
			size_t k = 0;
			while (eq && k < sizeof keys / sizeof keys[0] &&
			       (strlen(keys[k]) != (size_t)(eq - optarg) ||
				strncmp(keys[k], optarg, (size_t)(eq - optarg))))
				k++;
			if (!eq || k == sizeof keys / sizeof keys[0] || o.n_list_filter == 8)
				return usage_error(
					"--list-filter wants KEY=VALUE with KEY one of unit, kind, state, from, to, "
					"text, person, phone, category, after (at most 8), not '%s'",
					optarg);
			o.list_filter[o.n_list_filter++] = optarg;
			break;
		}
		case OPT_REPLAY:
			if (parse_num(optarg, 1, INT64_MAX, &o.replay) < 0)
				return usage_error("--replay needs a seq from 1, not '%s'", optarg);
			break;
		case OPT_TEXT: o.text = optarg; break;
		case OPT_UNIT: o.unit = optarg; break;
		case OPT_PING: o.ping = 1; break;
		case OPT_COST: o.cost = optarg; break;
		case OPT_ACTOR: o.actor = optarg; break;
		case OPT_SAVE_REPLY: o.save_reply = optarg; break;
		case OPT_ACCEPT:
			if (parse_num(optarg, 1, INT64_MAX, &o.accept) < 0)
				return usage_error("--accept needs a ticket id, not '%s'", optarg);
			break;
		case OPT_ROLE:
			snprintf(rolename, sizeof rolename, "ROLE_%s", optarg);
			for (char *q = rolename; *q; q++)
				if (*q >= 'a' && *q <= 'z')
					*q = (char)(*q - 'a' + 'A');
			rv = protobuf_c_enum_descriptor_get_value_by_name(&dispatch__role__descriptor, rolename);
			if (!rv)
				return usage_error(
					"--role needs desk, crew, monitor, qc, supervisor or admin, not '%s'", optarg);
			o.role = rv->value;
			break;
		case OPT_NO_READ:
			if (parse_num(optarg, 1, 600, &o.no_read) < 0)
				return usage_error("--no-read needs 1 .. 600 seconds, not '%s'", optarg);
			break;
		case OPT_STALL_SUB:
			if (parse_num(optarg, 1, 600, &o.stall_sub) < 0)
				return usage_error("--stall-sub needs 1 .. 600 seconds, not '%s'", optarg);
			break;
		case OPT_EVENTS: o.events = optarg; break;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o.rid && (!*o.rid || strlen(o.rid) > DC_REQUEST_ID_MAX))
		return usage_error("--request-id must be 1..64 bytes, not '%s'", o.rid);
	if ((o.no_read || o.window) && !o.flood)
		return usage_error("%s", "--no-read and --window go with --flood");
	if (!o.endpoint)
		o.endpoint = dc_env_endpoint();
	if (o.flood)
		return flood(&o);
	if (o.stall_sub)
		return stall_sub(&o);

	if (!o.rid && !o.garbage) {
		if (dc_make_request_id(idbuf, sizeof idbuf) < 0) {
			fprintf(stderr, PROG ": cannot make a request id\n");
			return DC_EXIT_UNAVAILABLE;
		}
		o.rid = idbuf;
	}
	if (o.garbage) {
		len = sizeof garbage;
		buf = malloc(len);
		if (buf)
			memcpy(buf, garbage, len);
	} else {
		/* Packed here rather than by dc_request(), which would fill in the
		 * version and check the reply's: this tool wants neither. */
		buf = pack_request(&o, o.rid,
				   o.replay   ? "replay"
				   : o.accept ? "accept"
				   : o.cost   ? "cost"
				   : o.ping   ? "ping"
				   : o.body   ? o.body
					      : "submit",
				   0, &len);
	}
	if (!buf) {
		fprintf(stderr, PROG ": out of memory\n");
		return DC_EXIT_UNAVAILABLE;
	}
	if (o.truncate)
		len /= 2; /* cut mid-field: no parser can finish it */
	if (o.empty_frames || o.extra_frame) {
		rc = send_frames(&o, buf, len);
		free(buf);
		return rc;
	}

	dc = dc_new(o.endpoint, NULL, DISPATCH__ROLE__ROLE_DESK, PROG);
	if (!dc) {
		free(buf);
		fprintf(stderr, PROG ": cannot set up the client\n");
		return DC_EXIT_USAGE;
	}
	dc_set_timeout(dc, o.timeout);
	/* An oversized frame gets the connection dropped, not an answer: one
	 * try is enough to see that. */
	if (o.size)
		dc_set_tries(dc, 1);
	if (o.size)
		printf("frame: %zu bytes\n", len);
	/* Any reply: each run is one request on a fresh socket, and a daemon
	 * that fails to echo the id should be seen, not timed out on;
	 * request_id is printed for tests to check. */
	rc = dc_request_bytes(dc, buf, len, NULL, &reply);
	free(buf);
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", dc_error(dc));
		dc_destroy(&dc);
		return DC_EXIT_UNAVAILABLE;
	}
	print_reply(reply);
	rc = DC_EXIT_OK;
	if (o.save_reply) {
		/* protobuf-c keeps a string's bytes as they came: packed again,
		 * they are what the daemon sent, for a stricter parser to read. */
		size_t rl = dispatch__reply__get_packed_size(reply);
		uint8_t *rb = malloc(rl ? rl : 1);
		FILE *f = rb ? fopen(o.save_reply, "wb") : NULL;
		if (!f || fwrite(rb, 1, dispatch__reply__pack(reply, rb), f) != rl)
			rc = DC_EXIT_UNAVAILABLE;
		if (f && fclose(f) != 0)
			rc = DC_EXIT_UNAVAILABLE;
		if (rc != DC_EXIT_OK)
			fprintf(stderr, PROG ": cannot write %s\n", o.save_reply);
		free(rb);
	}
	dispatch__reply__free_unpacked(reply, NULL);
	dc_destroy(&dc);
	return rc;
}
