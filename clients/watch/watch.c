/*
 * dispatch-watch: a monitor for supervisors and quality control.
 *
 * Without filters it subscribes to every event ("") and the client
 * library's gap detection makes the stream dense: every seq after the
 * start is printed exactly once, in order, even if PUB dropped some live.
 *
 * With --crew or --member it subscribes to that topic prefix only
 * ("crew.<crew>." or "crew.<crew>.<member>."), so a busy estate does not
 * flood a supervisor's link; such a stream is sparse and gaps cannot be
 * seen from seqs, so after a reconnect or a silence it replays the log
 * from the last heartbeat it saw and prints the matching events it had
 * not printed. --kind and --unit are filtered here, on the event's ticket.
 * With --from-seq, the stored log is needed from that seq on, so the
 * subscription is "" and every filter is applied here.
 *
 * Estate notices (topic "estate.") reach every unfiltered watcher and are
 * printed so that they stand out.
 *
 * --summary is the live full-screen view (watch_summary.c).
 */
#include "watch.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dc_json.h"
#include "dc_term.h"
#include "topic.h"

#define SILENCE_MS 3500 /* heartbeats come every second */
#define RECENT 1024     /* seqs remembered to print each event once */

static const char usage_text[] =
	"usage: " WATCH_PROG " [OPTIONS]\n"
	"\n"
	"Print dispatchd events as they happen, one line each, until Ctrl-C;\n"
	"or, with --summary, a live full-screen summary.\n"
	"\n"
	"options:\n"
	"  --crew C        only events of crew C (subscribes to its topic)\n"
	"  --member M      only events of member M (subscribes to its topic)\n"
	"  --kind K        only tickets of kind K (may repeat)\n"
	"  --unit PATTERN  only tickets whose unit matches, e.g. 12-* (may repeat)\n"
	"  --summary       full screen: open tickets per state and per crew (every\n"
	"                  crew, who is on shift, + online), today's closed and\n"
	"                  cancelled, overdue tickets, outages with their text,\n"
	"                  escalations, the latest notice, recent events (q quits)\n"
	"  --json          one JSON object per line instead of text\n"
	"  --count N       exit after N events (heartbeats not counted)\n"
	"  --from-seq N    start with the stored events from seq N (1 = everything)\n"
	"  --heartbeats    print heartbeats too\n"
	"  --color WHEN    auto (default: only on a terminal, not with NO_COLOR), always, never\n"
	"  --endpoint EP   request socket (env DISPATCH_ENDPOINT, default " DC_DEFAULT_ENDPOINT ")\n"
	"  --events EP     events socket (env DISPATCH_EVENTS, default " DC_DEFAULT_EVENTS ")\n"
	"  --key FILE      this client's CURVE key pair, for tcp endpoints (env DISPATCH_KEY)\n"
	"  --server-key FILE   the daemon's public key, for tcp endpoints (env DISPATCH_SERVER_KEY)\n"
	"  --help          this text\n"
	"\n"
	"examples:\n"
	"  " WATCH_PROG "\n"
	"  " WATCH_PROG " --crew technical --kind repair\n"
	"  " WATCH_PROG " --summary\n"
	"  " WATCH_PROG " --json --from-seq 1 --count 100 > events.jsonl\n"
	"\n"
	"When the daemon is silent for 3.5 s (heartbeats come every second) it says\n"
	"\"link lost since HH:MM:SS\" (on stderr; on the summary's screen) and waits;\n"
	"once the daemon is back it shows what was missed, by itself.\n"
	"Times are the estate's (the daemon's time zone), whatever this machine's TZ.\n"
	"\n"
	"exit codes: 0 ok, 1 the daemon refused, 2 usage error,\n"
	"            3 daemon unreachable or storage error\n";

enum {
	OPT_JSON = 256,
	OPT_COUNT,
	OPT_FROM,
	OPT_HB,
	OPT_ENDPOINT,
	OPT_EVENTS,
	OPT_KEY,
	OPT_SERVER_KEY,
	OPT_HELP,
	OPT_CREW,
	OPT_MEMBER,
	OPT_KIND,
	OPT_UNIT,
	OPT_SUMMARY,
	OPT_COLOR
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "from-seq", required_argument, NULL, OPT_FROM },
	{ "heartbeats", no_argument, NULL, OPT_HB },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "server-key", required_argument, NULL, OPT_SERVER_KEY },
	{ "crew", required_argument, NULL, OPT_CREW },
	{ "member", required_argument, NULL, OPT_MEMBER },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "colour", required_argument, NULL, OPT_COLOR },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

volatile sig_atomic_t watch_stop;

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, WATCH_PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; try '" WATCH_PROG " --help'\n");
	return DC_EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int valid_id(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return 0;
	}
	return n > 0 && n <= 64;
}

/* ---- filters ---- */

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int watch_filter_any(const struct watch_filter *f)
{
	return f->crew || f->member || f->n_kinds || f->n_units;
}

int watch_filter_ticket(const struct watch_filter *f, const Dispatch__Ticket *t)
{
	int i, ok;

	if (!t)
		return !watch_filter_any(f);
	if (f->crew && !same(t->crew, f->crew))
		return 0;
	if (f->member && !same(t->member, f->member))
		return 0;
	if (f->n_kinds) {
		for (i = 0, ok = 0; i < f->n_kinds && !ok; i++)
			ok = t->kind == f->kinds[i];
		if (!ok)
			return 0;
	}
	if (f->n_units) {
		for (i = 0, ok = 0; i < f->n_units && !ok; i++)
			ok = fnmatch(f->units[i], t->unit ? t->unit : "", 0) == 0;
		if (!ok)
			return 0;
	}
	return 1;
}

int watch_filter_event(const struct watch_filter *f, const Dispatch__Event *e)
{
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT)
		return 1;
	/* Estate-wide: not any crew's or member's. */
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_OUTAGE || e->type == DISPATCH__EVENT_TYPE__EVENT_NOTICE)
		return !f->crew && !f->member;
	if (!e->ticket) { /* duty */
		if (f->n_kinds || f->n_units)
			return 0;
		return (!f->crew || same(e->crew, f->crew)) && (!f->member || same(e->member, f->member));
	}
	/* An escalation is addressed to the member escalated to. */
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED && f->member && same(e->member, f->member)) {
		struct watch_filter g = *f;
		g.member = NULL;
		return watch_filter_ticket(&g, e->ticket);
	}
	return watch_filter_ticket(f, e->ticket);
}

/* ---- printing ---- */

static void print_outage_brief(const Dispatch__Outage *x)
{
	char from[64], to[64];
	size_t i;

	printf("outage %" PRIu64 " %s: \"", x->id, x->ended ? "ended" : "declared");
	dc_pad(stdout, x->text, 0);
	putchar('"');
	for (i = 0; i < x->n_buildings; i++) {
		fputs(i ? "," : " building ", stdout);
		dc_pad(stdout, x->buildings[i], 0);
	}
	for (i = 0; i < x->n_zones; i++) {
		fputs(i ? "," : " zone ", stdout);
		dc_pad(stdout, x->zones[i], 0);
	}
	for (i = 0; i < x->n_units; i++) {
		fputs(i ? "," : " units ", stdout);
		dc_pad(stdout, x->units[i], 0);
	}
	printf(" %s..%s", dc_format_time(x->from_ms, from, sizeof from), dc_format_time(x->to_ms, to, sizeof to));
	if (x->ended)
		printf(", %zu ticket%s closed", x->n_tickets, x->n_tickets == 1 ? "" : "s");
}

static void print_notice(const Dispatch__Notice *n, const struct dc_term_sgr *c)
{
	char from[64], to[64];
	size_t i;

	/* Estate-wide news: it stands out in a stream of ticket lines. */
	printf("%s*** NOTICE (%s) ***%s \"", c->bold, dc_notice_kind_name(n->kind), c->off);
	dc_pad(stdout, n->text, 0);
	putchar('"');
	if (n->from_ms || n->to_ms)
		printf(" %s..%s", n->from_ms ? dc_format_time(n->from_ms, from, sizeof from) : "",
		       n->to_ms ? dc_format_time(n->to_ms, to, sizeof to) : "");
	if (n->n_buildings == 0)
		fputs(" whole estate", stdout);
	for (i = 0; i < n->n_buildings; i++) {
		fputs(i ? "," : " building ", stdout);
		dc_pad(stdout, n->buildings[i], 0);
	}
}

/* What an event of the procedure adds to its line: the hold reason, the
 * score, the inspection, the missed deadline. */
static void print_procedure(const Dispatch__Event *e)
{
	const Dispatch__Ticket *t = e->ticket;
	char money[32];

	switch (e->type) {
	case DISPATCH__EVENT_TYPE__EVENT_ESCALATED:
		if (e->deadline)
			printf("  missed %s", dc_deadline_name(e->deadline));
		break;
	case DISPATCH__EVENT_TYPE__EVENT_ON_HOLD:
		if (t)
			printf("  %s", dc_hold_reason_name(t->hold_reason));
		break;
	case DISPATCH__EVENT_TYPE__EVENT_RESUMED:
		if (t)
			printf("  to %s", dc_state_name(t->state));
		break;
	case DISPATCH__EVENT_TYPE__EVENT_FOLLOWED_UP:
		if (t)
			printf("  score %u", t->satisfaction);
		break;
	case DISPATCH__EVENT_TYPE__EVENT_INSPECTED:
		if (t)
			printf("  %s", dc_inspection_name(t->inspection_result));
		break;
	case DISPATCH__EVENT_TYPE__EVENT_REOPENED:
		if (t)
			printf("  reopen %u", t->reopen_count);
		break;
	case DISPATCH__EVENT_TYPE__EVENT_CONSENTED:
		if (t)
			printf("  fee %s", dc_format_cents(t->fee_cents, money, sizeof money));
		break;
	case DISPATCH__EVENT_TYPE__EVENT_RESOLVED:
		if (t && t->charged_cents > 0)
			printf("  charged %s", dc_format_cents(t->charged_cents, money, sizeof money));
		break;
	case DISPATCH__EVENT_TYPE__EVENT_VENDOR_FLAGGED:
	case DISPATCH__EVENT_TYPE__EVENT_VENDOR_REVIEWED:
		if (t && t->vendor && *t->vendor) {
			fputs("  vendor ", stdout);
			dc_pad(stdout, t->vendor, 0);
		}
		break;
	default: break;
	}
}

static const char *type_color(const struct dc_term_sgr *c, int type)
{
	switch (type) {
	case DISPATCH__EVENT_TYPE__EVENT_ESCALATED:
	case DISPATCH__EVENT_TYPE__EVENT_REOPENED:
	case DISPATCH__EVENT_TYPE__EVENT_VENDOR_FLAGGED: return c->red;
	case DISPATCH__EVENT_TYPE__EVENT_ON_HOLD: return c->yellow;
	case DISPATCH__EVENT_TYPE__EVENT_NOTICE: return c->magenta;
	case DISPATCH__EVENT_TYPE__EVENT_QUEUED: return c->yellow;
	case DISPATCH__EVENT_TYPE__EVENT_ASSIGNED: return c->cyan;
	case DISPATCH__EVENT_TYPE__EVENT_RESOLVED:
	case DISPATCH__EVENT_TYPE__EVENT_CLOSED: return c->green;
	case DISPATCH__EVENT_TYPE__EVENT_OUTAGE: return c->magenta;
	case DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT: return c->dim;
	default: return "";
	}
}

static void print_text(const Dispatch__Event *e, const struct dc_term_sgr *c)
{
	const Dispatch__Ticket *t = e->ticket;
	const char *on = type_color(c, e->type);
	char when[64], who[160];

	printf("%s  #%-5" PRIu64 " ", dc_format_time(e->time_ms, when, sizeof when), e->seq);
	fputs(on, stdout);
	dc_pad(stdout, dc_event_type_name(e->type), DC_EVENT_NAME_WIDTH);
	if (*on)
		fputs(c->off, stdout);
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT) {
		putchar('\n');
		return;
	}
	putchar(' ');
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_OUTAGE && e->outage) {
		print_outage_brief(e->outage);
	} else if (e->type == DISPATCH__EVENT_TYPE__EVENT_NOTICE && e->notice) {
		print_notice(e->notice, c);
	} else if (e->type == DISPATCH__EVENT_TYPE__EVENT_DUTY) {
		dc_pad(stdout, e->member && *e->member ? e->member : "-", 0);
		if (e->crew && *e->crew) {
			fputs(" (", stdout);
			dc_pad(stdout, e->crew, 0);
			fputs(")", stdout);
		}
		printf(" is now %s duty", e->on_duty ? "on" : "off");
	} else {
		printf("ticket %-5" PRIu64 " ", e->ticket_id);
		dc_pad(stdout, t ? dc_kind_name(t->kind) : "-", 9);
		putchar(' ');
		dc_pad(stdout, t && t->unit && *t->unit ? t->unit : "-", 8);
		putchar(' ');
		if (e->type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED) {
			snprintf(who, sizeof who, "%s -> %s", t && t->crew && *t->crew ? t->crew : "-",
				 e->member && *e->member ? e->member : "-");
		} else if (e->crew && *e->crew) {
			snprintf(who, sizeof who, "%s/%s", e->crew, e->member && *e->member ? e->member : "-");
		} else {
			snprintf(who, sizeof who, "-");
		}
		dc_pad(stdout, who, 16);
		if (e->type == DISPATCH__EVENT_TYPE__EVENT_LINKED && t) {
			if (t->outage_id)
				printf(" to outage %" PRIu64, t->outage_id);
			else if (t->linked_to)
				printf(" to ticket %" PRIu64 " (%s)", t->linked_to,
				       t->link == DISPATCH__LINK_KIND__LINK_DUPLICATE ? "duplicate" : "another crew");
		}
	}
	fputs(" by ", stdout);
	snprintf(who, sizeof who, "%s (%s)", e->actor && *e->actor ? e->actor : "-", dc_role_name(e->actor_role));
	dc_pad(stdout, who, 0);
	if (e->on_behalf_of && *e->on_behalf_of) {
		fputs(" for ", stdout);
		dc_pad(stdout, e->on_behalf_of, 0);
	}
	print_procedure(e);
	if (e->rule && *e->rule) {
		fputs("  rule ", stdout);
		dc_pad(stdout, e->rule, 0);
	}
	if (e->reason && *e->reason) {
		fputs(": ", stdout);
		dc_pad(stdout, e->reason, 0);
	}
	/* A notice's note is its text, already shown. */
	if (e->note && *e->note && e->type != DISPATCH__EVENT_TYPE__EVENT_NOTICE) {
		fputs("  note \"", stdout);
		dc_pad(stdout, e->note, 0);
		putchar('"');
	}
	putchar('\n');
}

/* ---- the stream ---- */

struct stream {
	dc_t *dc;
	const struct watch_filter *f;
	int json, want_hb, sparse;
	struct dc_term_sgr c;
	uint64_t count, shown;
	uint64_t hb_seq;         /* latest seq a heartbeat (or event) told of */
	int64_t last_heard;      /* monotonic ms (sparse: of the last catch-up check) */
	int64_t heard;           /* monotonic ms of the last message */
	int64_t heard_ms;        /* the daemon's time then, for "link lost since" */
	int silent;              /* "link lost" said, "link back" not yet */
	uint64_t recent[RECENT]; /* seqs printed lately, to print each once */
	size_t n_recent, i_recent;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *watch_hms(int64_t ms, char *buf, size_t size)
{
	time_t tt = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&tt, &tm) || strftime(buf, size, "%H:%M:%S", &tm) == 0)
		snprintf(buf, size, "--:--:--");
	return buf;
}

/* The link, told on stderr (stdout is the events'): lost once nothing,
 * not even a heartbeat, came for SILENCE_MS; back with the next message.
 * The SUB socket reconnects by itself, and what was missed is replayed
 * (the library fills the gap; a sparse stream catches up here). */
static void link_check(struct stream *s)
{
	char since[16];

	if (s->silent || mono_ms() - s->heard <= SILENCE_MS)
		return;
	s->silent = 1;
	fprintf(stderr, WATCH_PROG ": link lost since %s (no heartbeat for %.1f s); waiting for the daemon\n",
		watch_hms(s->heard_ms, since, sizeof since), SILENCE_MS / 1000.0);
}

static void link_heard(struct stream *s)
{
	char since[16], now[16];

	watch_hms(s->heard_ms, since, sizeof since);
	s->heard = mono_ms();
	s->heard_ms = dc_daemon_now_ms(s->dc);
	if (!s->silent)
		return;
	s->silent = 0;
	fprintf(stderr, WATCH_PROG ": link back at %s (lost since %s); showing what was missed\n",
		watch_hms(s->heard_ms, now, sizeof now), since);
}

static int printed_before(struct stream *s, uint64_t seq)
{
	size_t i;

	for (i = 0; i < s->n_recent; i++)
		if (s->recent[i] == seq)
			return 1;
	s->recent[s->i_recent] = seq;
	s->i_recent = (s->i_recent + 1) % RECENT;
	if (s->n_recent < RECENT)
		s->n_recent++;
	return 0;
}

/* Print e if it passes the filter; count it. */
static void show(struct stream *s, const Dispatch__Event *e)
{
	int hb = e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT;

	if (hb && !s->want_hb)
		return;
	if (!hb && (!watch_filter_event(s->f, e) || (s->sparse && printed_before(s, e->seq))))
		return;
	if (s->json) {
		json_t *j = dc_json_event(e);
		if (dc_json_print(stdout, j) < 0)
			fprintf(stderr, WATCH_PROG ": cannot encode event %" PRIu64 " as JSON\n", e->seq);
		json_decref(j);
	} else {
		print_text(e, &s->c);
	}
	fflush(stdout);
	if (!hb)
		s->shown++;
}

/*
 * A sparse stream may have lost events while the link was down: replay
 * the log from the last seq a heartbeat told of, up to the daemon's last,
 * and show what matches and was not shown. Bounded by the daemon's answer.
 */
static int catch_up(struct stream *s)
{
	uint64_t from = s->hb_seq + 1;

	for (;;) {
		Dispatch__Request req = DISPATCH__REQUEST__INIT;
		Dispatch__Replay replay = DISPATCH__REPLAY__INIT;
		Dispatch__Reply *r = NULL;
		uint64_t last;
		size_t i;
		int rc;

		replay.from_seq = from;
		req.body_case = DISPATCH__REQUEST__BODY_REPLAY;
		req.replay = &replay;
		rc = dc_request(s->dc, &req, &r);
		if (rc < 0)
			return rc;
		if (r->status != DISPATCH__STATUS__STATUS_OK) {
			dc_report(stderr, WATCH_PROG, r);
			dispatch__reply__free_unpacked(r, NULL);
			return DC_ERR_REFUSED;
		}
		last = from - 1;
		for (i = 0; i < r->n_events && (!s->count || s->shown < s->count); i++) {
			if (!r->events[i] || r->events[i]->seq < from)
				continue;
			show(s, r->events[i]);
			last = r->events[i]->seq;
		}
		if (r->last_seq > s->hb_seq)
			s->hb_seq = r->last_seq;
		dispatch__reply__free_unpacked(r, NULL);
		if (last < from || last >= s->hb_seq || (s->count && s->shown >= s->count))
			return 0;
		from = last + 1;
	}
}

static int run_stream(struct stream *s, uint64_t from_seq)
{
	char topic[160];
	const char *prefixes[1] = { "" };
	int rc, lost = 0;

	if (s->sparse) {
		if (s->f->member)
			topic_member(topic, sizeof topic, s->f->crew, s->f->member);
		else
			topic_crew(topic, sizeof topic, s->f->crew);
		prefixes[0] = topic;
		dc_set_heartbeats(s->dc, 1); /* for the seq to catch up from */
		/* Where the log is now: a catch-up never goes further back. */
		{
			Dispatch__Reply *r = NULL;
			rc = dc_ping(s->dc, &r);
			if (rc < 0)
				return rc;
			s->hb_seq = r->last_seq;
			dispatch__reply__free_unpacked(r, NULL);
		}
	} else {
		dc_set_heartbeats(s->dc, 1); /* a silence is a lost link; shown only if asked */
	}
	rc = dc_subscribe(s->dc, prefixes, 1, s->sparse ? 0 : from_seq);
	if (rc < 0)
		return rc;
	/* The ready line (stderr; stdout is the events'): the daemon's first
	 * message, at the latest its once-a-second heartbeat, has come. The
	 * topic was subscribed before "hb.", so the publisher has it too:
	 * whatever is published from now on is shown. What arrives while we
	 * wait is kept for dc_next_event(). */
	do
		rc = dc_wait_ready(s->dc, 1000);
	while ((rc == DC_ERR_TIMEOUT || rc == DC_ERR_INTERRUPTED) && !watch_stop);
	if (rc < 0)
		return watch_stop ? 0 : rc;
	if (prefixes[0][0])
		fprintf(stderr, WATCH_PROG ": subscribed to %s (topic %s)\n", dc_events_endpoint(s->dc), prefixes[0]);
	else
		fprintf(stderr, WATCH_PROG ": subscribed to %s (every event)\n", dc_events_endpoint(s->dc));
	s->last_heard = s->heard = mono_ms();
	s->heard_ms = dc_daemon_now_ms(s->dc);
	while (!watch_stop && (s->count == 0 || s->shown < s->count)) {
		Dispatch__Event *e = NULL;
		int caught_up = 0;

		/* Bounded, so that a signal between two checks is seen. */
		rc = dc_next_event(s->dc, 1000, &e);
		/* Kept until a message shows the daemon is back: a reconnect
		 * may be noticed on a wait that then times out. */
		lost |= dc_resubscribed(s->dc);
		link_check(s);
		if (rc == DC_ERR_TIMEOUT || rc == DC_ERR_INTERRUPTED)
			continue;
		if (rc < 0) {
			/* A gap the daemon could not fill yet: the events after it
			 * are kept, and come once the replay works. */
			if (!s->silent)
				return rc;
			continue;
		}
		link_heard(s);
		if (s->sparse) {
			lost |= mono_ms() - s->last_heard > SILENCE_MS;
			s->last_heard = mono_ms();
			if (lost) {
				rc = catch_up(s);
				if (rc < 0 && rc != DC_ERR_REFUSED)
					fprintf(stderr, WATCH_PROG ": could not replay what was missed: %s\n",
						dc_error(s->dc));
				else
					lost = 0;
				caught_up = 1;
			}
			if (e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT && e->seq > s->hb_seq && !caught_up)
				s->hb_seq = e->seq;
		}
		if (!s->count || s->shown < s->count)
			show(s, e);
		dispatch__event__free_unpacked(e, NULL);
	}
	return 0;
}

/* The member's crew, for the member's topic. */
static int member_crew(dc_t *dc, const char *member, char *crew, size_t size)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__List list = DISPATCH__LIST__INIT;
	Dispatch__Reply *r = NULL;
	int rc;

	list.member = (char *)member;
	list.limit = 1;
	req.body_case = DISPATCH__REQUEST__BODY_LIST;
	req.list = &list;
	rc = dc_request(dc, &req, &r);
	if (rc < 0) {
		fprintf(stderr, WATCH_PROG ": %s\n", dc_error(dc));
		return dc_err_exit(rc);
	}
	if (r->status != DISPATCH__STATUS__STATUS_OK) {
		rc = dc_report(stderr, WATCH_PROG, r);
	} else if (!r->member || !r->member->crew || !valid_id(r->member->crew)) {
		fprintf(stderr, WATCH_PROG ": the daemon did not say which crew %s belongs to\n", member);
		rc = DC_EXIT_UNAVAILABLE;
	} else {
		snprintf(crew, size, "%s", r->member->crew);
		rc = 0;
	}
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

int main(int argc, char **argv)
{
	const char *endpoint = NULL, *events = NULL, *actor, *color = NULL, *key = NULL, *server_key = NULL;
	struct watch_filter f;
	struct stream *s;
	uint64_t count = 0, from = 0;
	int json = 0, hb = 0, summary = 0, use_color, c, rc;
	char crew[72];
	dc_t *dc;

	setlocale(LC_ALL, "");
	memset(&f, 0, sizeof f);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = 1; break;
		case OPT_HB: hb = 1; break;
		case OPT_SUMMARY: summary = 1; break;
		case OPT_ENDPOINT: endpoint = optarg; break;
		case OPT_EVENTS: events = optarg; break;
		case OPT_KEY: key = optarg; break;
		case OPT_SERVER_KEY: server_key = optarg; break;
		case OPT_COLOR: color = optarg; break;
		case OPT_HELP: fputs(usage_text, stdout); return DC_EXIT_OK;
		case OPT_CREW:
			if (!valid_id(optarg))
				return usage_error("'%s' is not a crew id (letters, digits, '-', '_')", optarg);
			f.crew = optarg;
			break;
		case OPT_MEMBER:
			if (!valid_id(optarg))
				return usage_error("'%s' is not a member id (letters, digits, '-', '_')", optarg);
			f.member = optarg;
			break;
		case OPT_KIND:
			if (f.n_kinds == WATCH_MULTI_MAX)
				return usage_error("too many --kind options (at most %s)", "32");
			if (dc_kind_parse(optarg, &f.kinds[f.n_kinds]) < 0)
				return usage_error("unknown kind '%s' (repair, complaint, special, security, "
						   "cleaning, inquiry, suggestion)",
						   optarg);
			f.n_kinds++;
			break;
		case OPT_UNIT:
			if (f.n_units == WATCH_MULTI_MAX)
				return usage_error("too many --unit options (at most %s)", "32");
			f.units[f.n_units++] = optarg;
			break;
		case OPT_COUNT:
			if (parse_u64(optarg, &count) < 0 || count == 0)
				return usage_error("--count needs a positive number, not '%s'", optarg);
			break;
		case OPT_FROM:
			if (parse_u64(optarg, &from) < 0 || from == 0)
				return usage_error("--from-seq needs a positive number, not '%s'", optarg);
			break;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (summary && (json || count || from || hb))
		return usage_error("%s shows the live state; it takes no --json, --count, --from-seq "
				   "or --heartbeats",
				   "--summary");
	if (summary && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
		return usage_error("%s needs a terminal", "--summary");
	use_color = dc_term_color(STDOUT_FILENO, color);
	if (use_color < 0)
		return usage_error("--color takes auto, always or never, not '%s'", color);

	/* A stop signal wakes every wait at once, also one about to start. */
	if (dc_stop_on_signals(&watch_stop) < 0) {
		fprintf(stderr, WATCH_PROG ": cannot install signal handlers: %s\n", strerror(errno));
		return DC_EXIT_UNAVAILABLE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	actor = getenv("USER");
	dc = dc_new(endpoint ? endpoint : dc_env_endpoint(), events ? events : dc_env_events(),
		    DISPATCH__ROLE__ROLE_MONITOR, actor && *actor && valid_id(actor) ? actor : "watch");
	if (!dc) {
		fprintf(stderr, WATCH_PROG ": cannot set up the client (empty endpoint or out of memory)\n");
		return DC_EXIT_USAGE;
	}
	if (dc_set_keys(dc, key, server_key) != DC_OK) {
		fprintf(stderr, WATCH_PROG ": %s\n", dc_error(dc));
		dc_destroy(&dc);
		return DC_EXIT_USAGE;
	}
	if (summary) {
		rc = watch_summary(dc, &f, use_color);
		dc_destroy(&dc);
		return rc;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		dc_destroy(&dc);
		return DC_EXIT_UNAVAILABLE;
	}
	s->dc = dc;
	s->f = &f;
	s->json = json;
	s->want_hb = hb;
	s->count = count;
	dc_term_sgr(&s->c, use_color && !json);
	/* A topic prefix where the filter names a crew or member and the
	 * stored log is not wanted; the whole stream otherwise. */
	s->sparse = (f.crew || f.member) && !from;
	if (s->sparse && f.member && !f.crew) {
		rc = member_crew(dc, f.member, crew, sizeof crew);
		if (rc) {
			free(s);
			dc_destroy(&dc);
			return rc;
		}
		f.crew = crew;
	}
	rc = run_stream(s, from);
	free(s);
	if (rc < 0 && rc != DC_ERR_INTERRUPTED) {
		fprintf(stderr, WATCH_PROG ": %s\n", dc_error(dc));
		dc_destroy(&dc);
		return dc_err_exit(rc);
	}
	dc_destroy(&dc);
	return DC_EXIT_OK;
}
