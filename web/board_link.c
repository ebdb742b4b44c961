/*
 * board_link: the gateway's one subscription to dispatchd, the ring of the
 * latest events, and the Server-Sent-Events streams that read it.
 *
 * The link thread owns a monitor dc_t subscribed to "" with the library's
 * gap detection: events come dense and in order, also across a daemon
 * restart (the library replays what the heartbeats show was missed). Each
 * event is rendered once, as the SSE text "id: SEQ\ndata: JSON\n\n", into
 * a reference-counted message kept in a ring of board_opts.ring entries.
 *
 * A stream is a cursor (the last seq it sent) and the message it is in the
 * middle of. MHD's content reader asks it for bytes; with nothing new it
 * joins the waiting list and suspends its connection, and the link thread
 * resumes the waiting ones after each event (and every PING_MS, so a
 * browser that went away is noticed). A stream is never sent more than the
 * socket takes: a browser that does not read keeps only its cursor and one
 * message, so the gateway's memory does not grow with it; once it falls
 * behind the ring's oldest event it is dropped, and its browser reconnects
 * with Last-Event-ID and is served from the daemon's log (Replay) up to the
 * ring, then from the ring.
 *
 * The link's state is told to the streams as "event: link" messages
 * (no id): up or down (nothing heard for SILENCE_MS), so the board can say
 * "reconnecting…" and load its state again when the link is back.
 */
#include "board.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SILENCE_MS 3500        /* heartbeats come every second */
#define PING_MS 15000          /* a comment on idle streams */
#define BATCH_MAX 512          /* events taken before the streams are woken */
#define LIST_KEEP 20           /* escalations and notices kept for the board */
#define BACKLOG_MAX (4u << 20) /* bytes of replayed events per reconnecting stream */

struct msg {
	unsigned refs; /* under L.mu */
	uint64_t seq;
	uint64_t ticket;
	size_t len;
	char text[];
};

struct stream {
	struct MHD_Connection *conn;
	uint64_t cursor;      /* the last seq sent (or skipped) */
	uint64_t only_ticket; /* a resident's stream: 0 for the board's */
	unsigned link_gen;    /* the link state last told */
	unsigned ping_gen;
	int hello;       /* the retry: line sent */
	int waiting;     /* on the waiting list, suspended */
	struct msg *cur; /* being sent, with cur_off of it done */
	size_t cur_off;
	char *backlog; /* replayed events before the ring, being sent */
	size_t blen, boff;
};

static struct {
	pthread_mutex_t mu;
	struct msg **ring; /* cap entries, n of them from head */
	unsigned cap, head, n;
	uint64_t last_seq;
	int up, stopping;
	unsigned link_gen, ping_gen;
	struct stream **wait;
	size_t n_wait, cap_wait;
	json_t *esc, *notices;
	int lang_en; /* the estate's language (Reply.language) is English */
	pthread_t th;
	int started;
} L = { .mu = PTHREAD_MUTEX_INITIALIZER };

int64_t board_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct msg *msg_new(uint64_t seq, uint64_t ticket, const char *text, size_t len)
{
	struct msg *m = malloc(sizeof *m + len + 1);

	if (!m)
		return NULL;
	m->refs = 1;
	m->seq = seq;
	m->ticket = ticket;
	m->len = len;
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	return m;
}

/* Under L.mu. */
static void msg_unref(struct msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

static struct msg *ring_at(unsigned i)
{
	return L.ring[(L.head + i) % L.cap];
}

/* The index of the first message with seq > after, or L.n. Under L.mu. */
static unsigned ring_after(uint64_t after)
{
	unsigned lo = 0, hi = L.n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (ring_at(mid)->seq <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Resume every waiting stream (outside the lock: the list is taken). */
static void wake_all(void)
{
	struct stream **w;
	size_t n, i;

	pthread_mutex_lock(&L.mu);
	w = L.wait;
	n = L.n_wait;
	L.wait = NULL;
	L.n_wait = L.cap_wait = 0;
	for (i = 0; i < n; i++)
		w[i]->waiting = 0;
	pthread_mutex_unlock(&L.mu);
	for (i = 0; i < n; i++)
		MHD_resume_connection(w[i]->conn);
	free(w);
}

static void keep_list(json_t *list, json_t *v)
{
	json_array_append_new(list, v);
	while (json_array_size(list) > LIST_KEEP)
		json_array_remove(list, 0);
}

/* Render an event into the ring. */
static void push_event(const Dispatch__Event *e)
{
	json_t *j = api_event_json(e);
	char *data, head[64];
	size_t dlen, hlen;
	struct msg *m;
	char *text;

	if (!j)
		return;
	data = json_dumps(j, JSON_COMPACT);
	if (!data) {
		json_decref(j);
		return;
	}
	dlen = strlen(data);
	hlen = (size_t)snprintf(head, sizeof head, "id: %" PRIu64 "\ndata: ", e->seq);
	text = malloc(hlen + dlen + 3);
	if (!text) {
		free(data);
		json_decref(j);
		return;
	}
	memcpy(text, head, hlen);
	memcpy(text + hlen, data, dlen);
	memcpy(text + hlen + dlen, "\n\n", 3);
	m = msg_new(e->seq, e->ticket_id, text, hlen + dlen + 2);
	free(text);
	free(data);
	pthread_mutex_lock(&L.mu);
	if (m && (L.n == 0 || e->seq > ring_at(L.n - 1)->seq)) {
		if (L.n == L.cap) {
			msg_unref(L.ring[L.head]);
			L.head = (L.head + 1) % L.cap;
			L.n--;
		}
		L.ring[(L.head + L.n) % L.cap] = m;
		L.n++;
		m = NULL;
	}
	if (e->seq > L.last_seq)
		L.last_seq = e->seq;
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED)
		keep_list(L.esc, json_incref(j));
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_NOTICE)
		keep_list(L.notices, json_incref(j));
	msg_unref(m);
	pthread_mutex_unlock(&L.mu);
	json_decref(j);
}

static void set_up(int up)
{
	pthread_mutex_lock(&L.mu);
	if (L.up != up) {
		L.up = up;
		L.link_gen++;
	}
	pthread_mutex_unlock(&L.mu);
}

static int stopping(void)
{
	int s;

	pthread_mutex_lock(&L.mu);
	s = L.stopping;
	pthread_mutex_unlock(&L.mu);
	return s;
}

static dc_t *link_connect(void)
{
	dc_t *dc = dc_new(board_opts.endpoint, board_opts.events, DISPATCH__ROLE__ROLE_MONITOR, "board");

	if (!dc)
		return NULL;
	if (board_opts.key || board_opts.server_key) {
		if (dc_set_keys(dc, board_opts.key, board_opts.server_key) < 0) {
			fprintf(stderr, BOARD_PROG ": %s\n", dc_error(dc));
			dc_destroy(&dc);
			return NULL;
		}
	}
	dc_set_heartbeats(dc, 1);
	dc_set_timeout(dc, 1000);
	return dc;
}

/* The last `count` events up to `last` from the log, so that a board
 * opened now shows today's escalations and notices and a browser that
 * reconnects after a gateway restart is served from the ring. */
static void backfill(dc_t *dc, uint64_t last, unsigned count)
{
	uint64_t from = last > count ? last - count + 1 : 1;

	while (from <= last && !stopping()) {
		Dispatch__Request req = DISPATCH__REQUEST__INIT;
		Dispatch__Replay rp = DISPATCH__REPLAY__INIT;
		Dispatch__Reply *r = NULL;
		uint64_t next = from;
		size_t i;

		rp.from_seq = from;
		req.body_case = DISPATCH__REQUEST__BODY_REPLAY;
		req.replay = &rp;
		if (dc_request(dc, &req, &r) < 0)
			return;
		link_note_language(r->language);
		for (i = 0; r->status == DISPATCH__STATUS__STATUS_OK && i < r->n_events; i++) {
			if (!r->events[i] || r->events[i]->seq < from || r->events[i]->seq > last)
				continue;
			push_event(r->events[i]);
			next = r->events[i]->seq + 1;
		}
		dispatch__reply__free_unpacked(r, NULL);
		if (next == from)
			return;
		from = next;
	}
}

static void *link_main(void *arg)
{
	const char *prefixes[1] = { "" };
	dc_t *dc = NULL;
	int64_t heard = 0, pinged = board_mono_ms();
	int subscribed = 0;

	(void)arg;
	while (!stopping()) {
		Dispatch__Event *e = NULL;
		int rc;

		if (!subscribed) {
			if (!dc && !(dc = link_connect())) {
				sleep(1);
				continue;
			}
			if (dc_subscribe(dc, prefixes, 1, 0) < 0) {
				/* The daemon is not there (yet): try again. */
				dc_destroy(&dc);
				for (int i = 0; i < 10 && !stopping(); i++)
					usleep(100 * 1000);
				continue;
			}
			subscribed = 1;
			backfill(dc, dc_last_seq(dc), board_opts.backfill < L.cap ? board_opts.backfill : L.cap);
			pthread_mutex_lock(&L.mu);
			if (dc_last_seq(dc) > L.last_seq)
				L.last_seq = dc_last_seq(dc);
			pthread_mutex_unlock(&L.mu);
			heard = board_mono_ms();
			set_up(1);
			wake_all();
		}
		rc = dc_next_event(dc, 500, &e);
		if (rc == DC_OK && e) {
			heard = board_mono_ms();
			if (!link_up()) {
				set_up(1);
				wake_all();
			}
			if (e->type != DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT) {
				/* What else has come, then one wake-up for them all:
				 * a commit batch is many events. */
				int n = 0;
				push_event(e);
				while (n++ < BATCH_MAX) {
					Dispatch__Event *more = NULL;
					if (dc_next_event(dc, 0, &more) != DC_OK || !more)
						break;
					if (more->type != DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT)
						push_event(more);
					dispatch__event__free_unpacked(more, NULL);
				}
				wake_all();
			}
			dispatch__event__free_unpacked(e, NULL);
		}
		if (link_up() && board_mono_ms() - heard > SILENCE_MS) {
			set_up(0);
			wake_all();
		}
		if (board_mono_ms() - pinged > PING_MS) {
			pinged = board_mono_ms();
			pthread_mutex_lock(&L.mu);
			L.ping_gen++;
			pthread_mutex_unlock(&L.mu);
			wake_all();
		}
	}
	dc_destroy(&dc);
	return NULL;
}

int link_start(void)
{
	L.cap = board_opts.ring ? board_opts.ring : 4096;
	L.ring = calloc(L.cap, sizeof *L.ring);
	L.esc = json_array();
	L.notices = json_array();
	if (!L.ring || !L.esc || !L.notices)
		return -1;
	if (pthread_create(&L.th, NULL, link_main, NULL) != 0)
		return -1;
	L.started = 1;
	return 0;
}

void link_stop(void)
{
	pthread_mutex_lock(&L.mu);
	L.stopping = 1;
	pthread_mutex_unlock(&L.mu);
	wake_all();
	if (L.started)
		pthread_join(L.th, NULL);
	L.started = 0;
}

/* After MHD stopped: the ring itself. */
void link_free(void);
void link_free(void)
{
	unsigned i;

	pthread_mutex_lock(&L.mu);
	for (i = 0; i < L.n; i++)
		msg_unref(ring_at(i));
	free(L.ring);
	L.ring = NULL;
	L.n = 0;
	free(L.wait);
	L.wait = NULL;
	json_decref(L.esc);
	json_decref(L.notices);
	L.esc = L.notices = NULL;
	pthread_mutex_unlock(&L.mu);
}

int link_up(void)
{
	int up;

	pthread_mutex_lock(&L.mu);
	up = L.up;
	pthread_mutex_unlock(&L.mu);
	return up;
}

uint64_t link_last_seq(void)
{
	uint64_t s;

	pthread_mutex_lock(&L.mu);
	s = L.last_seq;
	pthread_mutex_unlock(&L.mu);
	return s;
}

json_t *link_escalations(void)
{
	json_t *v;

	pthread_mutex_lock(&L.mu);
	v = json_deep_copy(L.esc);
	pthread_mutex_unlock(&L.mu);
	return v;
}

json_t *link_notices(void)
{
	json_t *v;

	pthread_mutex_lock(&L.mu);
	v = json_deep_copy(L.notices);
	pthread_mutex_unlock(&L.mu);
	return v;
}

void link_note_language(const char *lang)
{
	pthread_mutex_lock(&L.mu);
	L.lang_en = lang != NULL && strcmp(lang, "en") == 0;
	pthread_mutex_unlock(&L.mu);
}

const char *board_lang(void)
{
	int en;

	if (board_opts.lang)
		return board_opts.lang;
	pthread_mutex_lock(&L.mu);
	en = L.lang_en;
	pthread_mutex_unlock(&L.mu);
	return en ? "en" : "zh-Hant";
}

/* ---- the streams ---- */

/* Under L.mu: the next message for s, or NULL (nothing now); *drop set
 * when s fell behind the ring. */
static struct msg *next_msg(struct stream *s, int *drop)
{
	char text[160];
	int n;
	unsigned i;

	if (!s->hello) {
		s->hello = 1;
		n = snprintf(text, sizeof text, "retry: 1000\n\n");
		return msg_new(0, 0, text, (size_t)n);
	}
	if (s->link_gen != L.link_gen) {
		s->link_gen = L.link_gen;
		n = snprintf(text, sizeof text, "event: link\ndata: {\"up\":%s,\"seq\":%" PRIu64 "}\n\n",
			     L.up ? "true" : "false", L.last_seq);
		return msg_new(0, 0, text, (size_t)n);
	}
	if (L.n && s->cursor + 1 < ring_at(0)->seq && !s->only_ticket) {
		*drop = 1; /* what it needs next is gone from the ring */
		return NULL;
	}
	for (i = ring_after(s->cursor); i < L.n; i++) {
		struct msg *m = ring_at(i);
		s->cursor = m->seq;
		if (!s->only_ticket) {
			m->refs++;
			return m;
		}
		if (m->ticket == s->only_ticket) {
			n = snprintf(text, sizeof text, "id: %" PRIu64 "\nevent: changed\ndata: {}\n\n", m->seq);
			return msg_new(0, 0, text, (size_t)n);
		}
	}
	if (s->ping_gen != L.ping_gen) {
		s->ping_gen = L.ping_gen;
		return msg_new(0, 0, ": ping\n\n", 8);
	}
	return NULL;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t done = 0, n;
	int drop = 0;

	(void)pos;
	if (max == 0)
		return 0;
	if (s->backlog && s->boff < s->blen) {
		n = s->blen - s->boff < max ? s->blen - s->boff : max;
		memcpy(buf, s->backlog + s->boff, n);
		s->boff += n;
		return (ssize_t)n;
	}
	pthread_mutex_lock(&L.mu);
	if (L.stopping) {
		pthread_mutex_unlock(&L.mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	/* As many messages as fit: one write for a commit batch. */
	while (done < max) {
		if (!s->cur) {
			s->cur = next_msg(s, &drop);
			s->cur_off = 0;
		}
		if (!s->cur)
			break;
		n = s->cur->len - s->cur_off < max - done ? s->cur->len - s->cur_off : max - done;
		memcpy(buf + done, s->cur->text + s->cur_off, n);
		s->cur_off += n;
		done += n;
		if (s->cur_off == s->cur->len) {
			msg_unref(s->cur);
			s->cur = NULL;
		}
	}
	if (drop && done == 0) {
		pthread_mutex_unlock(&L.mu);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (done == 0) {
		/* Nothing to send: wait, suspended, for the link thread. */
		if (L.n_wait == L.cap_wait) {
			size_t cap = L.cap_wait ? L.cap_wait * 2 : 64;
			struct stream **w = realloc(L.wait, cap * sizeof *w);
			if (!w) {
				pthread_mutex_unlock(&L.mu);
				return MHD_CONTENT_READER_END_WITH_ERROR;
			}
			L.wait = w;
			L.cap_wait = cap;
		}
		L.wait[L.n_wait++] = s;
		s->waiting = 1;
		MHD_suspend_connection(s->conn);
	}
	pthread_mutex_unlock(&L.mu);
	return (ssize_t)done;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	size_t i;

	pthread_mutex_lock(&L.mu);
	msg_unref(s->cur);
	for (i = 0; s->waiting && i < L.n_wait; i++) {
		if (L.wait[i] == s) {
			L.wait[i] = L.wait[--L.n_wait];
			break;
		}
	}
	pthread_mutex_unlock(&L.mu);
	free(s->backlog);
	free(s);
}

/* Append SSE text to a growing buffer; -1 once max would be passed. */
static int buf_add(char **b, size_t *len, size_t *cap, const char *t, size_t n, size_t max)
{
	if (*len + n > max)
		return -1;
	if (*len + n > *cap) {
		size_t c = *cap ? *cap * 2 : 65536;
		char *v;
		while (c < *len + n)
			c *= 2;
		if (!(v = realloc(*b, c)))
			return -1;
		*b = v;
		*cap = c;
	}
	memcpy(*b + *len, t, n);
	*len += n;
	return 0;
}

/* Events (from, upto) from the daemon's log as SSE text for s: its
 * backlog. Too many (or no answer): a "reset" (the page loads the board
 * again), and the stream goes on from the ring. */
static void fill_backlog(struct stream *s, uint64_t from, uint64_t upto)
{
	dc_t *dc = board_daemon(0);
	char *b = NULL;
	size_t len = 0, cap = 0;
	uint64_t next = from + 1;
	int ok = dc != NULL;

	while (ok && next < upto) {
		Dispatch__Request req = DISPATCH__REQUEST__INIT;
		Dispatch__Replay rp = DISPATCH__REPLAY__INIT;
		Dispatch__Reply *r = NULL;
		uint64_t was = next;
		size_t i;

		rp.from_seq = next;
		req.body_case = DISPATCH__REQUEST__BODY_REPLAY;
		req.replay = &rp;
		if (dc_request(dc, &req, &r) < 0) {
			ok = 0;
			break;
		}
		for (i = 0; ok && r->status == DISPATCH__STATUS__STATUS_OK && i < r->n_events; i++) {
			const Dispatch__Event *e = r->events[i];
			json_t *j;
			char *data, head[64];
			int hl;
			if (!e || e->seq < next || e->seq >= upto)
				continue;
			j = api_event_json(e);
			data = j ? json_dumps(j, JSON_COMPACT) : NULL;
			json_decref(j);
			hl = snprintf(head, sizeof head, "id: %" PRIu64 "\ndata: ", e->seq);
			if (!data || buf_add(&b, &len, &cap, head, (size_t)hl, BACKLOG_MAX) < 0 ||
			    buf_add(&b, &len, &cap, data, strlen(data), BACKLOG_MAX) < 0 ||
			    buf_add(&b, &len, &cap, "\n\n", 2, BACKLOG_MAX) < 0)
				ok = 0;
			free(data);
			next = e->seq + 1;
		}
		dispatch__reply__free_unpacked(r, NULL);
		if (next == was)
			break;
	}
	if (!ok) {
		static const char reset[] = "event: reset\ndata: {}\n\n";
		free(b);
		b = malloc(sizeof reset);
		if (b)
			memcpy(b, reset, sizeof reset - 1);
		len = b ? sizeof reset - 1 : 0;
	}
	s->backlog = b;
	s->blen = len;
	s->cursor = upto - 1;
}

struct MHD_Response *link_stream(struct MHD_Connection *conn, uint64_t from, int has_from, uint64_t only_ticket)
{
	struct stream *s = calloc(1, sizeof *s);
	struct MHD_Response *resp;
	uint64_t first = 0, last;

	if (!s)
		return NULL;
	s->conn = conn;
	s->only_ticket = only_ticket;
	pthread_mutex_lock(&L.mu);
	if (L.n)
		first = ring_at(0)->seq;
	last = L.last_seq;
	s->link_gen = L.link_gen - 1; /* tell the link's state first */
	s->ping_gen = L.ping_gen;
	pthread_mutex_unlock(&L.mu);
	if (only_ticket || !has_from)
		s->cursor = last;
	else if (first && from + 1 < first)
		fill_backlog(s, from, first);
	else
		s->cursor = from;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, s, stream_free);
	if (!resp) {
		free(s->backlog);
		free(s);
	}
	return resp;
}
