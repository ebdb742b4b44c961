/*
 * dispatch-crew: a crew member's handheld, in line mode.
 *
 * `follow` prints the member's open assignments, then every event about
 * them as it arrives. A member's topic carries a sparse subset of the
 * global seq, so gaps cannot be detected from seqs; instead the open
 * assignments are fetched again whenever the link looks re-established
 * (a silence longer than a few heartbeats), which is what the design asks
 * of a handheld. Events already covered by a fetched ticket (seq not newer
 * than the ticket's last_seq) are not printed twice.
 *
 * accept / arrive / resolve move one ticket along, as the member.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dispatch_client.h"

#define PROG "dispatch-crew"
#define ID_MAX 64
#define READY_TIMEOUT_MS 5000
#define SILENCE_MS 3500 /* heartbeats come every second; this is a lost link */
#define STOPPED (-1)    /* a signal asked us to stop: exit 0 quietly */

static const char usage_text[] =
	"usage: " PROG " --member ID [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"A crew member's handheld for dispatchd.\n"
	"\n"
	"commands:\n"
	"  follow                 print your open assignments, then each new event\n"
	"                         about them as it arrives, until Ctrl-C\n"
	"  accept ID [--note T]   acknowledge an assignment\n"
	"  arrive ID [--note T]   record that you are on site\n"
	"  resolve ID [--note T]  record that the work is done (the note says what was done)\n"
	"\n"
	"options:\n"
	"  --member ID     your member id, e.g. T07 (required)\n"
	"  --note TEXT     a work note for accept, arrive or resolve\n"
	"  --endpoint EP   request socket (env DISPATCH_ENDPOINT, default " DC_DEFAULT_ENDPOINT ")\n"
	"  --events EP     events socket (env DISPATCH_EVENTS, default " DC_DEFAULT_EVENTS ")\n"
	"  --help          this text\n"
	"\n"
	"examples:\n"
	"  " PROG " --member T07 follow\n"
	"  " PROG " --member T07 accept 17\n"
	"  " PROG " --member T07 resolve 17 --note \"replaced the breaker\"\n"
	"\n"
	"exit codes: 0 ok, 1 the daemon refused (invalid, not found, conflict, forbidden),\n"
	"            2 usage error, 3 daemon unreachable or storage error\n";

enum { OPT_MEMBER = 256, OPT_NOTE, OPT_ENDPOINT, OPT_EVENTS, OPT_HELP };

static const struct option long_opts[] = {
	{ "member", required_argument, NULL, OPT_MEMBER },
	{ "note", required_argument, NULL, OPT_NOTE },
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

/* Tickets printed so far, so that an event already shown as part of a
 * fetched ticket is not shown again. */
struct seen {
	uint64_t *id, *last_seq;
	size_t n, cap;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; try '" PROG " --help'\n");
	return DC_EXIT_USAGE;
}

/* Member and crew ids become topic levels, so they must not contain the
 * level delimiter '.' or anything a terminal would interpret. */
static int valid_id(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return n > 0 && n <= ID_MAX;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t *seen_find(struct seen *s, uint64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->id[i] == id)
			return &s->last_seq[i];
	return NULL;
}

/* Record that ticket id is shown up to seq. 1 if this is news to the
 * member, 0 if already shown, negative on out of memory. */
static int seen_note(struct seen *s, uint64_t id, uint64_t seq)
{
	uint64_t *last = seen_find(s, id);

	if (last) {
		if (seq && seq <= *last)
			return 0;
		*last = seq;
		return 1;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		uint64_t *a = realloc(s->id, cap * sizeof *a);
		uint64_t *b;

		if (!a)
			return -1;
		s->id = a;
		b = realloc(s->last_seq, cap * sizeof *b);
		if (!b)
			return -1;
		s->last_seq = b;
		s->cap = cap;
	}
	s->id[s->n] = id;
	s->last_seq[s->n] = seq;
	s->n++;
	return 1;
}

static void print_ticket_line(const Dispatch__Ticket *t)
{
	char when[64];

	printf("  ticket %" PRIu64 "  %-9s %s at ", t->id, dc_state_name(t->state),
	       dc_kind_name(t->kind));
	dc_pad(stdout, t->unit, 0);
	fputs("  \"", stdout);
	dc_pad(stdout, t->text, 0);
	fputs("\"", stdout);
	if (t->priority)
		printf("  priority %u", t->priority);
	printf("  since %s\n", dc_format_time(t->created_ms, when, sizeof when));
}

/* List{member}: the member's open assignments, and the Member itself.
 * Returns 0, STOPPED, or an exit code after printing why. */
static int fetch_open(dc_t *dc, const char *member, Dispatch__Reply **reply)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__List list = DISPATCH__LIST__INIT;
	int rc;

	list.member = (char *)member;
	req.body_case = DISPATCH__REQUEST__BODY_LIST;
	req.list = &list;
	rc = dc_request(dc, &req, reply);
	if (rc < 0) {
		if (rc == DC_ERR_INTERRUPTED && stop_signal)
			return STOPPED;
		fprintf(stderr, PROG ": %s\n", dc_error(dc));
		return dc_err_exit(rc);
	}
	if ((*reply)->status != DISPATCH__STATUS__STATUS_OK) {
		rc = dc_report(stderr, PROG, *reply);
		dispatch__reply__free_unpacked(*reply, NULL);
		*reply = NULL;
		return rc;
	}
	return 0;
}

/* Print the fetched tickets the member has not seen yet; announce: mark
 * an unseen assignment as new (it arrived while events were lost). */
static int print_unseen(const Dispatch__Reply *r, struct seen *seen, int announce, int bell,
                        int *printed)
{
	size_t i;

	*printed = 0;
	for (i = 0; i < r->n_tickets; i++) {
		const Dispatch__Ticket *t = r->tickets[i];
		int news;

		if (!t)
			continue;
		news = seen_note(seen, t->id, t->last_seq);
		if (news < 0) {
			fprintf(stderr, PROG ": out of memory\n");
			return DC_EXIT_UNAVAILABLE;
		}
		if (news) {
			if (announce && t->state == DISPATCH__STATE__STATE_ASSIGNED)
				printf("%s*** NEW ASSIGNMENT ***\n", bell ? "\a" : "");
			print_ticket_line(t);
			(*printed)++;
		}
	}
	return 0;
}

/* Fetch the open assignments again and print what the member missed. */
static int refetch(dc_t *dc, const char *member, struct seen *seen, int bell, const char *why)
{
	Dispatch__Reply *r = NULL;
	int rc, printed = 0;

	printf("%s; fetching open assignments again\n", why);
	rc = fetch_open(dc, member, &r);
	if (rc)
		return rc;
	rc = print_unseen(r, seen, 1, bell, &printed);
	dispatch__reply__free_unpacked(r, NULL);
	if (rc == 0 && printed == 0)
		printf("  nothing new\n");
	fflush(stdout);
	return rc;
}

static void print_event(const Dispatch__Event *e, int bell)
{
	const Dispatch__Ticket *t = e->ticket;
	char when[64];

	dc_format_time(e->time_ms, when, sizeof when);
	if (e->type == DISPATCH__EVENT_TYPE__EVENT_ASSIGNED) {
		printf("%s%s  *** NEW ASSIGNMENT *** ticket %" PRIu64, bell ? "\a" : "", when,
		       e->ticket_id);
		if (t) {
			printf(": %s at ", dc_kind_name(t->kind));
			dc_pad(stdout, t->unit, 0);
			fputs(" \"", stdout);
			dc_pad(stdout, t->text, 0);
			fputs("\"", stdout);
			if (t->priority)
				printf(" priority %u", t->priority);
		}
		if (e->rule && *e->rule) {
			fputs(" (rule ", stdout);
			dc_pad(stdout, e->rule, 0);
			fputs(")", stdout);
		}
		putchar('\n');
	} else {
		printf("%s  ticket %" PRIu64 " %s", when, e->ticket_id, dc_event_type_name(e->type));
		if (e->from_state || e->to_state)
			printf(" (%s -> %s)", dc_state_name(e->from_state), dc_state_name(e->to_state));
		if (e->actor && *e->actor) {
			fputs(" by ", stdout);
			dc_pad(stdout, e->actor, 0);
		}
		if (e->note && *e->note) {
			fputs(": \"", stdout);
			dc_pad(stdout, e->note, 0);
			fputs("\"", stdout);
		}
		putchar('\n');
	}
	fflush(stdout);
}

static int cmd_follow(dc_t *dc, const char *member)
{
	Dispatch__Reply *r = NULL;
	struct seen seen = { NULL, NULL, 0, 0 };
	struct sigaction sa;
	char topic[2 * ID_MAX + 16], name[128], crew[ID_MAX + 1];
	const char *prefixes[1];
	int bell = isatty(STDOUT_FILENO);
	int64_t last_heard;
	uint64_t last_member_seq = 0; /* 0 until the first addressed event */
	int rc, printed;

	/* No SA_RESTART: a signal must wake the blocking poll. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = fetch_open(dc, member, &r);
	if (rc)
		goto done;
	if (!r->member || !valid_id(r->member->crew)) {
		fprintf(stderr, PROG ": the daemon did not say which crew %s belongs to\n", member);
		rc = DC_EXIT_UNAVAILABLE;
		goto done;
	}
	snprintf(crew, sizeof crew, "%s", r->member->crew);
	dc_clean(r->member->name, name, sizeof name);
	printf("%s%s%s (%s): %zu open assignment%s\n", member, *name ? " " : "", name, crew,
	       r->n_tickets, r->n_tickets == 1 ? "" : "s");
	rc = print_unseen(r, &seen, 0, bell, &printed);
	dispatch__reply__free_unpacked(r, NULL);
	r = NULL;
	if (rc)
		goto done;
	fflush(stdout);

	snprintf(topic, sizeof topic, "crew.%s.%s.", crew, member);
	prefixes[0] = topic;
	dc_set_heartbeats(dc, 1); /* to notice a lost link, not to print */
	rc = dc_subscribe(dc, prefixes, 1, 0);
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", dc_error(dc));
		rc = dc_err_exit(rc);
		goto done;
	}
	/* Anything assigned between the fetch and a live subscription would
	 * be lost, so fetch again once the subscription is known live. */
	rc = dc_wait_ready(dc, READY_TIMEOUT_MS);
	if (rc == DC_ERR_INTERRUPTED) {
		rc = 0;
		goto done;
	}
	if (rc < 0)
		fprintf(stderr, PROG ": %s; listening anyway\n", dc_error(dc));
	rc = fetch_open(dc, member, &r);
	if (rc)
		goto done;
	rc = print_unseen(r, &seen, 1, bell, &printed);
	dispatch__reply__free_unpacked(r, NULL);
	r = NULL;
	if (rc)
		goto done;
	printf("following %s on crew %s; waiting for new assignments (Ctrl-C to stop)\n", member, crew);
	fflush(stdout);

	last_heard = now_ms();
	while (!stop_signal) {
		Dispatch__Event *e = NULL;
		const char *why = NULL;

		/* A bounded wait so that a signal between two checks is seen. */
		rc = dc_next_event(dc, 1000, &e);
		if (rc == DC_ERR_INTERRUPTED)
			continue;
		if (rc < 0 && rc != DC_ERR_TIMEOUT) {
			fprintf(stderr, PROG ": %s\n", dc_error(dc));
			rc = dc_err_exit(rc);
			goto done;
		}
		/* Three signs that events may have been lost on the way. */
		if (dc_resubscribed(dc))
			why = "the link to the daemon was re-established";
		if (e) {
			if (now_ms() - last_heard > SILENCE_MS)
				why = "heartbeats resumed after a silence";
			last_heard = now_ms();
			if (e->type != DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT && e->member_seq) {
				if (last_member_seq && e->member_seq > last_member_seq + 1)
					why = "events addressed to you were missed";
				if (e->member_seq > last_member_seq)
					last_member_seq = e->member_seq;
			}
		}
		if (why) {
			/* A failed fetch has been reported; a handheld keeps
			 * listening rather than die on a flaky link. */
			rc = refetch(dc, member, &seen, bell, why);
			if (rc == STOPPED) {
				dispatch__event__free_unpacked(e, NULL);
				goto done;
			}
		}
		if (e && e->type != DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT && e->ticket_id) {
			int news = seen_note(&seen, e->ticket_id, e->seq);
			if (news < 0) {
				fprintf(stderr, PROG ": out of memory\n");
				dispatch__event__free_unpacked(e, NULL);
				rc = DC_EXIT_UNAVAILABLE;
				goto done;
			}
			if (news)
				print_event(e, bell);
		}
		dispatch__event__free_unpacked(e, NULL);
	}
	rc = 0;
done:
	if (rc == STOPPED)
		rc = 0;
	dispatch__reply__free_unpacked(r, NULL);
	free(seen.id);
	free(seen.last_seq);
	return rc;
}

static int cmd_transition(dc_t *dc, Dispatch__Action action, const char *id_arg, const char *note)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__Reply *r = NULL;
	unsigned long long id;
	char *end;
	int rc;

	errno = 0;
	id = strtoull(id_arg, &end, 10);
	if (*id_arg < '0' || *id_arg > '9' || errno || *end || id == 0)
		return usage_error("'%s' is not a ticket id (a positive number)", id_arg);
	tr.ticket_id = id;
	tr.action = action;
	if (note)
		tr.note = (char *)note;
	req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
	req.transition = &tr;
	rc = dc_request(dc, &req, &r);
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", dc_error(dc));
		return dc_err_exit(rc);
	}
	if (r->status != DISPATCH__STATUS__STATUS_OK) {
		rc = dc_report(stderr, PROG, r);
	} else if (!r->ticket) {
		fprintf(stderr, PROG ": the daemon's reply carries no ticket\n");
		rc = DC_EXIT_UNAVAILABLE;
	} else {
		printf("ticket %" PRIu64 " is now %s\n", r->ticket->id, dc_state_name(r->ticket->state));
		rc = 0;
	}
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

int main(int argc, char **argv)
{
	const char *member = NULL, *note = NULL, *endpoint = NULL, *events = NULL;
	const char *cmd;
	Dispatch__Action action = DISPATCH__ACTION__ACTION_UNSPECIFIED;
	dc_t *dc;
	int c, rc, n_args;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_MEMBER: member = optarg; break;
		case OPT_NOTE: note = optarg; break;
		case OPT_ENDPOINT: endpoint = optarg; break;
		case OPT_EVENTS: events = optarg; break;
		case OPT_HELP: fputs(usage_text, stdout); return DC_EXIT_OK;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no command given (follow, accept, arrive, resolve)");
	cmd = argv[optind];
	n_args = argc - optind - 1;
	if (!member)
		return usage_error("%s needs --member ID", cmd);
	if (!valid_id(member))
		return usage_error("'%s' is not a member id (letters, digits, '-', '_')", member);
	if (strcmp(cmd, "follow") == 0) {
		if (n_args != 0)
			return usage_error("%s takes no arguments", cmd);
		if (note)
			return usage_error("%s does not take --note", cmd);
	} else {
		if (strcmp(cmd, "accept") == 0)
			action = DISPATCH__ACTION__ACTION_ACCEPT;
		else if (strcmp(cmd, "arrive") == 0)
			action = DISPATCH__ACTION__ACTION_ARRIVE;
		else if (strcmp(cmd, "resolve") == 0)
			action = DISPATCH__ACTION__ACTION_RESOLVE;
		else
			return usage_error("unknown command '%s' (follow, accept, arrive, resolve)", cmd);
		if (n_args != 1)
			return usage_error("%s needs one ticket id", cmd);
	}
	/* The member acts as itself: the daemon checks actor == assignee. */
	dc = dc_new(endpoint ? endpoint : dc_env_endpoint(), events ? events : dc_env_events(),
	            DISPATCH__ROLE__ROLE_CREW, member);
	if (!dc) {
		fprintf(stderr, PROG ": cannot set up the client (empty endpoint or out of memory)\n");
		return DC_EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (action == DISPATCH__ACTION__ACTION_UNSPECIFIED)
		rc = cmd_follow(dc, member);
	else
		rc = cmd_transition(dc, action, argv[optind + 1], note);
	dc_destroy(&dc);
	return rc;
}
