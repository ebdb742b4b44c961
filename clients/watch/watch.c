/*
 * dispatch-watch: a monitor. Subscribes to every event ("") and prints each
 * as one line, readable or JSON (built with jansson). The client library's
 * gap detection makes the stream dense: every seq after the start is
 * printed exactly once, in order, even if PUB dropped some live.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dispatch_client.h"

#define PROG "dispatch-watch"

static const char usage_text[] =
	"usage: " PROG " [OPTIONS]\n"
	"\n"
	"Print every dispatchd event as one line, until Ctrl-C.\n"
	"\n"
	"options:\n"
	"  --json          one JSON object per line instead of text\n"
	"  --count N       exit after N events (heartbeats not counted)\n"
	"  --from-seq N    start with the stored events from seq N (1 = everything)\n"
	"  --heartbeats    print heartbeats too\n"
	"  --endpoint EP   request socket (env DISPATCH_ENDPOINT, default " DC_DEFAULT_ENDPOINT ")\n"
	"  --events EP     events socket (env DISPATCH_EVENTS, default " DC_DEFAULT_EVENTS ")\n"
	"  --help          this text\n"
	"\n"
	"examples:\n"
	"  " PROG "\n"
	"  " PROG " --json --from-seq 1 --count 100 > events.jsonl\n"
	"\n"
	"exit codes: 0 ok, 1 the daemon refused, 2 usage error,\n"
	"            3 daemon unreachable or storage error\n";

enum { OPT_JSON = 256, OPT_COUNT, OPT_FROM, OPT_HB, OPT_ENDPOINT, OPT_EVENTS, OPT_HELP };

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "from-seq", required_argument, NULL, OPT_FROM },
	{ "heartbeats", no_argument, NULL, OPT_HB },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; try '" PROG " --help'\n");
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

static void print_text(const Dispatch__Event *e)
{
	const Dispatch__Ticket *t = e->ticket;
	char when[64], who[160];

	printf("%s  #%-5" PRIu64 " ", dc_format_time(e->time_ms, when, sizeof when), e->seq);
	dc_pad(stdout, dc_event_type_name(e->type), 10);
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT) {
		putchar('\n');
		return;
	}
	printf(" ticket %-5" PRIu64 " ", e->ticket_id);
	dc_pad(stdout, t ? dc_kind_name(t->kind) : "-", 9);
	putchar(' ');
	dc_pad(stdout, t && t->unit && *t->unit ? t->unit : "-", 8);
	putchar(' ');
	if (e->crew && *e->crew)
		snprintf(who, sizeof who, "%s/%s", e->crew, e->member && *e->member ? e->member : "-");
	else
		snprintf(who, sizeof who, "-");
	dc_pad(stdout, who, 16);
	fputs(" by ", stdout);
	snprintf(who, sizeof who, "%s (%s)", e->actor && *e->actor ? e->actor : "-",
	         dc_role_name(e->actor_role));
	dc_pad(stdout, who, 0);
	if (e->rule && *e->rule) {
		fputs("  rule ", stdout);
		dc_pad(stdout, e->rule, 0);
	}
	if (e->reason && *e->reason) {
		fputs(": ", stdout);
		dc_pad(stdout, e->reason, 0);
	}
	if (e->note && *e->note) {
		fputs("  note \"", stdout);
		dc_pad(stdout, e->note, 0);
		putchar('"');
	}
	putchar('\n');
}

/* A JSON string from network text: as is when it is valid UTF-8 (jansson
 * checks), else cleaned, so one bad byte does not lose the whole event. */
static json_t *jstr(const char *s)
{
	char buf[4096];
	json_t *j = json_string(s ? s : "");

	if (j)
		return j;
	return json_string(dc_clean(s, buf, sizeof buf));
}

static int set(json_t *obj, const char *key, json_t *value)
{
	return value ? json_object_set_new(obj, key, value) : -1;
}

static int print_json(const Dispatch__Event *e)
{
	const Dispatch__Ticket *t = e->ticket;
	char when[64];
	json_t *o = json_object();
	int bad = 0;

	if (!o)
		return -1;
	bad |= set(o, "seq", json_integer((json_int_t)e->seq));
	bad |= set(o, "time", jstr(dc_format_time(e->time_ms, when, sizeof when)));
	bad |= set(o, "time_ms", json_integer(e->time_ms));
	bad |= set(o, "type", jstr(dc_event_type_name(e->type)));
	if (e->type != DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT) {
		bad |= set(o, "member_seq", json_integer((json_int_t)e->member_seq));
		bad |= set(o, "ticket_id", json_integer((json_int_t)e->ticket_id));
		bad |= set(o, "kind", t ? jstr(dc_kind_name(t->kind)) : json_null());
		bad |= set(o, "unit", t ? jstr(t->unit) : json_null());
		bad |= set(o, "state", t ? jstr(dc_state_name(t->state)) : json_null());
		bad |= set(o, "crew", jstr(e->crew));
		bad |= set(o, "member", jstr(e->member));
		bad |= set(o, "actor", jstr(e->actor));
		bad |= set(o, "actor_role", jstr(dc_role_name(e->actor_role)));
		bad |= set(o, "from_state", jstr(dc_state_name(e->from_state)));
		bad |= set(o, "to_state", jstr(dc_state_name(e->to_state)));
		bad |= set(o, "note", jstr(e->note));
		bad |= set(o, "rule", jstr(e->rule));
		bad |= set(o, "reason", jstr(e->reason));
	}
	if (!bad) {
		bad = json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(o);
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *endpoint = NULL, *events = NULL, *actor;
	const char *prefixes[1] = { "" };
	uint64_t count = 0, from = 0, seen = 0;
	int json = 0, hb = 0, c, rc;
	struct sigaction sa;
	dc_t *dc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = 1; break;
		case OPT_HB: hb = 1; break;
		case OPT_ENDPOINT: endpoint = optarg; break;
		case OPT_EVENTS: events = optarg; break;
		case OPT_HELP: fputs(usage_text, stdout); return DC_EXIT_OK;
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

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: wake the blocking poll */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	actor = getenv("USER");
	dc = dc_new(endpoint ? endpoint : dc_env_endpoint(), events ? events : dc_env_events(),
	            DISPATCH__ROLE__ROLE_MONITOR, actor && *actor ? actor : "watch");
	if (!dc) {
		fprintf(stderr, PROG ": cannot set up the client (empty endpoint or out of memory)\n");
		return DC_EXIT_USAGE;
	}
	dc_set_heartbeats(dc, hb);
	rc = dc_subscribe(dc, prefixes, 1, from);
	if (rc < 0)
		goto fail;
	while (!stop_signal && (count == 0 || seen < count)) {
		Dispatch__Event *e = NULL;

		/* Bounded, so that a signal between two checks is seen. */
		rc = dc_next_event(dc, 1000, &e);
		if (rc == DC_ERR_TIMEOUT || rc == DC_ERR_INTERRUPTED)
			continue;
		if (rc < 0)
			goto fail;
		if (json) {
			if (print_json(e) < 0)
				fprintf(stderr, PROG ": cannot encode event %" PRIu64 " as JSON\n", e->seq);
		} else {
			print_text(e);
		}
		fflush(stdout);
		if (e->type != DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT)
			seen++;
		dispatch__event__free_unpacked(e, NULL);
	}
	dc_destroy(&dc);
	return DC_EXIT_OK;
fail:
	if (rc == DC_ERR_INTERRUPTED) { /* a signal during the start-up ping */
		dc_destroy(&dc);
		return DC_EXIT_OK;
	}
	fprintf(stderr, PROG ": %s\n", dc_error(dc));
	dc_destroy(&dc);
	return dc_err_exit(rc);
}
