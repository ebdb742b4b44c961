/*
 * dispatch-crew: a crew member's handheld.
 *
 * On a terminal, with no command, it is the full-screen UI (crew_ui.c).
 * For scripts there is a plain line mode: `follow` prints the member's
 * open assignments, then every event about them as it arrives; accept,
 * arrive, resolve move one ticket along; duty on|off reports on or off
 * duty. Events already covered by a fetched ticket (seq not newer than the
 * ticket's last_seq) are not printed twice.
 */
#include "crew.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dc_cost.h"
#include "dc_term.h"

#define STOPPED (-1) /* a signal asked us to stop: exit 0 quietly */

static const char usage_text[] =
	"usage: " CREW_PROG " --member ID [OPTIONS] [COMMAND [ARGS]]\n"
	"\n"
	"A crew member's handheld for dispatchd.\n"
	"\n"
	"commands:\n"
	"  ui                     the full-screen handheld (the default on a terminal):\n"
	"                         your open assignments, newest and most urgent first,\n"
	"                         deadlines counting down, P1 marked; a new one rings\n"
	"                         the bell; a job taken away says where it went\n"
	"                         keys: Enter the job's detail (full text, resident,\n"
	"                         phone, deadlines, history; Esc back), a accept,\n"
	"                         r arrive, s resolve (asks for a note, then the parts\n"
	"                         used), h hold (asks for the reason), u resume,\n"
	"                         d duty on/off (asks to confirm with y), x dismiss an\n"
	"                         escalation, up/down or j/k select, q quit\n"
	"  follow                 print your open assignments, then each new event\n"
	"                         about them as it arrives, until Ctrl-C\n"
	"  accept ID [--note T]   acknowledge an assignment\n"
	"  arrive ID [--note T]   record that you are on site\n"
	"  resolve ID [--note T] [--parts T] [--charged AMOUNT] [--cause T --corrective T]\n"
	"                         record that the work is done: the note says what was\n"
	"                         done, --parts what was used, --charged the amount a paid\n"
	"                         service cost (HK$, e.g. 350.50); a complaint needs its\n"
	"                         cause and corrective action before it can close;\n"
	"                         complaints, inquiries and suggestions need no arrive\n"
	"  resolve ID ... [--part ITEM:QTY[:PRICE]]... [--labour MINUTES] [--invoice AMOUNT]\n"
	"                         what the job cost: each part used (priced from the\n"
	"                         estate's parts list; an item not listed needs its PRICE\n"
	"                         in HK$), the minutes of labour, a vendor's invoice\n"
	"  hold ID --reason parts|resident-away|no-access|other [--note T]\n"
	"                         pause the work and its deadlines (other: say why in --note)\n"
	"  resume ID [--note T]   carry on where it was held, with the time that was left\n"
	"  duty on|off            report on or off duty\n"
	"\n"
	"ui and follow tell the daemon every 20 s that your handheld is on, which\n"
	"is what keeps you online for dispatch.\n"
	"\n"
	"options:\n"
	"  --member ID     your member id, e.g. T07 (required)\n"
	"  --note TEXT     a work note for accept, arrive, resolve, hold or resume\n"
	"  --endpoint EP   request socket (env DISPATCH_ENDPOINT, default " DC_DEFAULT_ENDPOINT ")\n"
	"  --events EP     events socket (env DISPATCH_EVENTS, default " DC_DEFAULT_EVENTS ")\n"
	"  --key FILE      this client's CURVE key pair, for tcp endpoints (env DISPATCH_KEY)\n"
	"  --server-key FILE   the daemon's public key, for tcp endpoints (env DISPATCH_SERVER_KEY)\n"
	"  --ping-interval S  seconds between presence pings (default 20)\n"
	"  --color WHEN    auto (default: only on a terminal, not with NO_COLOR), always, never\n"
	"  --help          this text\n"
	"\n"
	"examples:\n"
	"  " CREW_PROG " --member T07\n"
	"  " CREW_PROG " --member T07 follow\n"
	"  " CREW_PROG " --member T07 accept 17\n"
	"  " CREW_PROG " --member T07 resolve 17 --note \"replaced the breaker\"\n"
	"  " CREW_PROG " --member T07 resolve 18 --part fuse-13a:2 --part gasket:1:35 --labour 45\n"
	"  " CREW_PROG " --member T07 hold 17 --reason parts --note \"breaker on order\"\n"
	"  " CREW_PROG " --member T07 resume 17\n"
	"  " CREW_PROG " --member T07 duty off\n"
	"\n"
	"exit codes: 0 ok, 1 the daemon refused (invalid, not found, conflict, forbidden),\n"
	"            2 usage error, 3 daemon unreachable or storage error\n";

enum {
	OPT_MEMBER = 256,
	OPT_NOTE,
	OPT_ENDPOINT,
	OPT_EVENTS,
	OPT_KEY,
	OPT_SERVER_KEY,
	OPT_PING,
	OPT_COLOR,
	OPT_HELP,
	OPT_REASON,
	OPT_PARTS,
	OPT_CHARGED,
	OPT_CAUSE,
	OPT_CORRECTIVE,
	OPT_PART, /* issue 19 */
	OPT_LABOUR,
	OPT_INVOICE
};

static const struct option long_opts[] = {
	{ "member", required_argument, NULL, OPT_MEMBER },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "server-key", required_argument, NULL, OPT_SERVER_KEY },
	{ "ping-interval", required_argument, NULL, OPT_PING },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "colour", required_argument, NULL, OPT_COLOR },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "parts", required_argument, NULL, OPT_PARTS },
	{ "charged", required_argument, NULL, OPT_CHARGED },
	{ "cause", required_argument, NULL, OPT_CAUSE },
	{ "corrective", required_argument, NULL, OPT_CORRECTIVE },
	{ "part", required_argument, NULL, OPT_PART },
	{ "labour", required_argument, NULL, OPT_LABOUR },
	{ "labor", required_argument, NULL, OPT_LABOUR },
	{ "invoice", required_argument, NULL, OPT_INVOICE },
	{ NULL, 0, NULL, 0 },
};

/* Tickets printed so far, so that an event already shown as part of a
 * fetched ticket is not shown again. */
struct seen {
	uint64_t *id, *last_seq;
	size_t n, cap;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, CREW_PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; try '" CREW_PROG " --help'\n");
	return DC_EXIT_USAGE;
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

	printf("  ticket %" PRIu64 "  %-9s %s at ", t->id, dc_state_name(t->state), dc_kind_name(t->kind));
	dc_pad(stdout, t->unit, 0);
	fputs("  \"", stdout);
	dc_pad(stdout, t->text, 0);
	fputs("\"", stdout);
	if (t->priority)
		printf("  priority %u", t->priority);
	if (t->state == DISPATCH__STATE__STATE_ON_HOLD)
		printf("  held: %s", dc_hold_reason_name(t->hold_reason));
	if (t->escalation_step)
		printf("  escalated");
	printf("  since %s\n", dc_format_time(t->created_ms, when, sizeof when));
}

/* Print the fetched tickets the member has not seen yet; announce: mark
 * an unseen assignment as new (it arrived while events were lost). */
static int print_unseen(const Dispatch__Reply *r, struct seen *seen, int announce, int bell, int *printed)
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
			fprintf(stderr, CREW_PROG ": out of memory\n");
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

/* Fetch the open assignments; print the error if that fails. */
static int fetch(struct crew_link *l, Dispatch__Reply **r)
{
	int rc = crew_link_fetch(l, r);

	if (rc && crew_stop)
		return STOPPED;
	if (rc)
		fprintf(stderr, CREW_PROG ": %s\n", l->err);
	return rc;
}

/* Ping and fetch the open assignments again; print what the member missed. */
static int refetch(struct crew_link *l, struct seen *seen, int bell, const char *why)
{
	Dispatch__Reply *r = NULL;
	int rc, printed = 0;

	printf("%s; fetching open assignments again\n", why);
	if (crew_link_ping(l) < 0)
		fprintf(stderr, CREW_PROG ": ping: %s\n", l->err);
	rc = fetch(l, &r);
	if (rc)
		return rc;
	rc = print_unseen(r, seen, 1, bell, &printed);
	dispatch__reply__free_unpacked(r, NULL);
	if (rc == 0 && printed == 0)
		printf("  nothing new\n");
	fflush(stdout);
	return rc;
}

static void print_ticket_brief(const Dispatch__Ticket *t)
{
	if (!t)
		return;
	printf(": %s at ", dc_kind_name(t->kind));
	dc_pad(stdout, t->unit, 0);
	fputs(" \"", stdout);
	dc_pad(stdout, t->text, 0);
	fputs("\"", stdout);
	if (t->priority)
		printf(" priority %u", t->priority);
}

/* The start of a line that wants the member's attention (and a bell). */
static void print_alarm(const Dispatch__Event *e, const char *when, const char *what, int bell)
{
	printf("%s%s  *** %s *** ticket %" PRIu64, bell ? "\a" : "", when, what, e->ticket_id);
	print_ticket_brief(e->ticket);
}

static void print_event(const char *member, const Dispatch__Event *e, int bell)
{
	const Dispatch__Ticket *t = e->ticket;
	char when[64], gone[700];

	dc_format_time(e->time_ms, when, sizeof when);
	/* An assignment that moved away from this member (a missed
	 * acknowledge, the desk's reassignment) is told as such, never as
	 * news for them. */
	if (((e->type == DISPATCH__EVENT_TYPE__EVENT_ESCALATED && e->member && strcmp(e->member, member) != 0) ||
	     e->type == DISPATCH__EVENT_TYPE__EVENT_ASSIGNED) &&
	    t && t->member && *t->member && strcmp(t->member, member) != 0 &&
	    crew_gone_line(member, t, e, gone, sizeof gone)) {
		printf("%s  %s\n", when, gone);
		fflush(stdout);
		return;
	}
	switch (e->type) {
	case DISPATCH__EVENT_TYPE__EVENT_ASSIGNED:
		print_alarm(e, when, "NEW ASSIGNMENT", bell);
		if (e->rule && *e->rule) {
			fputs(" (rule ", stdout);
			dc_pad(stdout, e->rule, 0);
			fputs(")", stdout);
		}
		break;
	case DISPATCH__EVENT_TYPE__EVENT_ESCALATED:
		print_alarm(e, when, "ESCALATED TO YOU", bell);
		if (e->deadline)
			printf(" (%s deadline missed)", dc_deadline_name(e->deadline));
		if (t && t->member && *t->member) {
			/* Moved to this member, or an alert about someone's work. */
			fputs(", assigned to ", stdout);
			dc_pad(stdout, t->member, 0);
		} else if (t && t->crew && *t->crew) {
			fputs(", queued for ", stdout);
			dc_pad(stdout, t->crew, 0);
		}
		if (e->reason && *e->reason) {
			fputs(": ", stdout);
			dc_pad(stdout, e->reason, 0);
		}
		break;
	case DISPATCH__EVENT_TYPE__EVENT_REOPENED:
		/* Back to work after a low follow-up score or a failed inspection. */
		print_alarm(e, when, "REOPENED", bell);
		if (e->note && *e->note) {
			fputs(": \"", stdout);
			dc_pad(stdout, e->note, 0);
			fputs("\"", stdout);
		}
		break;
	case DISPATCH__EVENT_TYPE__EVENT_DUTY:
		printf("%s  you are now %s duty", when, e->on_duty ? "on" : "off");
		if (e->actor && *e->actor && e->actor_role != DISPATCH__ROLE__ROLE_CREW) {
			fputs(" (set by ", stdout);
			dc_pad(stdout, e->actor, 0);
			fputs(")", stdout);
		}
		break;
	default:
		printf("%s  ticket %" PRIu64 " %s", when, e->ticket_id, dc_event_type_name(e->type));
		if (e->from_state || e->to_state)
			printf(" (%s -> %s)", dc_state_name(e->from_state), dc_state_name(e->to_state));
		if (e->type == DISPATCH__EVENT_TYPE__EVENT_LINKED && t && t->linked_to)
			printf(" to ticket %" PRIu64, t->linked_to);
		if (e->type == DISPATCH__EVENT_TYPE__EVENT_ON_HOLD && t && t->hold_reason)
			printf(" (%s)", dc_hold_reason_name(t->hold_reason));
		if (e->actor && *e->actor) {
			fputs(" by ", stdout);
			dc_pad(stdout, e->actor, 0);
		}
		if (e->note && *e->note) {
			fputs(": \"", stdout);
			dc_pad(stdout, e->note, 0);
			fputs("\"", stdout);
		}
		break;
	}
	putchar('\n');
	fflush(stdout);
}

static int cmd_follow(struct crew_link *l)
{
	Dispatch__Reply *r = NULL;
	struct seen seen = { NULL, NULL, 0, 0 };
	int bell = isatty(STDOUT_FILENO);
	int rc, printed;

	rc = fetch(l, &r);
	if (rc)
		goto done;
	printf("%s%s%s (%s): %zu open assignment%s\n", l->member, *l->name ? " " : "", l->name, l->crew, r->n_tickets,
	       r->n_tickets == 1 ? "" : "s");
	rc = print_unseen(r, &seen, 0, bell, &printed);
	dispatch__reply__free_unpacked(r, NULL);
	r = NULL;
	if (rc)
		goto done;
	fflush(stdout);
	/* Present from the start: the daemon dispatches only to members
	 * whose handheld it has heard from. */
	if (crew_link_ping(l) < 0)
		fprintf(stderr, CREW_PROG ": ping: %s\n", l->err);
	rc = crew_link_subscribe(l);
	if (rc > 0) {
		fprintf(stderr, CREW_PROG ": %s\n", l->err);
		goto done;
	}
	if (rc < 0)
		fprintf(stderr, CREW_PROG ": %s\n", l->err);
	if (crew_stop)
		goto done;
	/* Anything assigned between the fetch and a live subscription would
	 * be lost, so fetch again once the subscription is known live. */
	rc = fetch(l, &r);
	if (rc)
		goto done;
	rc = print_unseen(r, &seen, 1, bell, &printed);
	dispatch__reply__free_unpacked(r, NULL);
	r = NULL;
	if (rc)
		goto done;
	printf("following %s on crew %s; waiting for new assignments (Ctrl-C to stop)\n", l->member, l->crew);
	fflush(stdout);

	while (!crew_stop) {
		Dispatch__Event *e = NULL;
		const char *why = NULL;

		/* A bounded wait so that a signal between two checks is seen. */
		rc = crew_link_next(l, 1000, -1, &e, &why);
		if (rc == DC_ERR_INTERRUPTED && !why)
			continue;
		if (rc < 0 && rc != DC_ERR_TIMEOUT && rc != DC_ERR_INTERRUPTED) {
			fprintf(stderr, CREW_PROG ": %s\n", dc_error(l->dc));
			rc = dc_err_exit(rc);
			goto done;
		}
		if (why) {
			/* A failed fetch has been reported; a handheld keeps
			 * listening rather than die on a flaky link. */
			rc = refetch(l, &seen, bell, why);
			if (rc == STOPPED) {
				dispatch__event__free_unpacked(e, NULL);
				goto done;
			}
		} else if (crew_now_ms() >= l->next_ping && crew_link_ping(l) < 0) {
			fprintf(stderr, CREW_PROG ": ping: %s\n", l->err);
		}
		if (e && e->type != DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT) {
			int news = 1;

			if (e->ticket_id) {
				news = seen_note(&seen, e->ticket_id, e->seq);
				if (news < 0) {
					fprintf(stderr, CREW_PROG ": out of memory\n");
					dispatch__event__free_unpacked(e, NULL);
					rc = DC_EXIT_UNAVAILABLE;
					goto done;
				}
			}
			if (news)
				print_event(l->member, e, bell);
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

static int parse_id(const char *s, uint64_t *id)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v == 0)
		return -1;
	*id = v;
	return 0;
}

static int cmd_transition(struct crew_link *l, Dispatch__Transition *tr, const char *id_arg)
{
	Dispatch__Reply *r = NULL;
	char money[32];
	int rc;

	if (parse_id(id_arg, &tr->ticket_id) < 0)
		return usage_error("'%s' is not a ticket id (a positive number)", id_arg);
	rc = crew_link_send(l, tr, &r);
	if (rc) {
		fprintf(stderr, CREW_PROG ": %s\n", l->err);
		return rc;
	}
	printf("ticket %" PRIu64 " is now %s", r->ticket->id, dc_state_name(r->ticket->state));
	if (r->ticket->state == DISPATCH__STATE__STATE_ON_HOLD)
		printf(" (%s)", dc_hold_reason_name(r->ticket->hold_reason));
	if (tr->action == DISPATCH__ACTION__ACTION_RESOLVE && r->ticket->charged_cents > 0)
		printf(", charged %s", dc_format_cents(r->ticket->charged_cents, money, sizeof money));
	if (tr->action == DISPATCH__ACTION__ACTION_RESOLVE && r->ticket->cost_cents > 0) {
		char cost[256];
		printf(", cost %s", dc_cost_summary(r->ticket, cost, sizeof cost));
	}
	putchar('\n');
	dispatch__reply__free_unpacked(r, NULL);
	return 0;
}

static int cmd_duty(struct crew_link *l, const char *word)
{
	Dispatch__Reply *r = NULL;
	int on, rc;

	if (strcmp(word, "on") == 0)
		on = 1;
	else if (strcmp(word, "off") == 0)
		on = 0;
	else
		return usage_error("duty takes on or off, not '%s'", word);
	rc = crew_link_duty(l, on, &r);
	if (rc) {
		fprintf(stderr, CREW_PROG ": %s\n", l->err);
		return rc;
	}
	printf("%s is now %s duty\n", l->member, on ? "on" : "off");
	dispatch__reply__free_unpacked(r, NULL);
	return 0;
}

/* The options of one transition, checked against what it takes. */
static int transition_opts(Dispatch__Transition *tr, const char *cmd, const char *note, const char *reason,
			   const char *parts, const char *charged, const char *cause, const char *corrective)
{
	int resolve = tr->action == DISPATCH__ACTION__ACTION_RESOLVE;
	int hold = tr->action == DISPATCH__ACTION__ACTION_HOLD;

	if (reason && !hold)
		return usage_error("%s does not take --reason (hold does)", cmd);
	if ((parts || charged || cause || corrective) && !resolve)
		return usage_error("%s does not take --parts, --charged, --cause or --corrective "
				   "(resolve does)",
				   cmd);
	if (note && *note)
		tr->note = (char *)note;
	if (hold) {
		if (!reason)
			return usage_error("%s needs --reason parts, resident-away, no-access or other", cmd);
		if (dc_hold_reason_parse(reason, &tr->hold_reason) < 0)
			return usage_error("hold: --reason is parts, resident-away, no-access or other, "
					   "not '%s'",
					   reason);
		if (tr->hold_reason == DISPATCH__HOLD_REASON__HOLD_OTHER && !tr->note)
			return usage_error("%s: --reason other needs --note saying why", cmd);
	}
	if (!cause != !corrective)
		return usage_error("%s: a complaint's --cause and --corrective go together", cmd);
	if (charged && dc_cents_parse(charged, &tr->charged_cents) < 0)
		return usage_error("--charged wants an amount in HK dollars such as 350 or 350.50 "
				   "(no sign, at most two decimals), not '%s'",
				   charged);
	tr->parts_used = (char *)parts;
	tr->cause = (char *)cause;
	tr->corrective_action = (char *)corrective;
	return 0;
}

/* Issue 19: a resolve's costs (--part, --labour, --invoice) into tr. */
#define CREW_PARTS_MAX 32
struct crew_costs {
	const char *part[CREW_PARTS_MAX];
	int n_parts;
	const char *labour, *invoice;
	Dispatch__CostPart parts[CREW_PARTS_MAX], *ptrs[CREW_PARTS_MAX];
	char items[CREW_PARTS_MAX][72];
};

static int cost_opts(Dispatch__Transition *tr, const char *cmd, struct crew_costs *k)
{
	char err[256];

	if ((k->n_parts || k->labour || k->invoice) && tr->action != DISPATCH__ACTION__ACTION_RESOLVE)
		return usage_error("%s does not take --part, --labour or --invoice (resolve does)", cmd);
	for (int i = 0; i < k->n_parts; i++) {
		if (dc_cost_part_parse(k->part[i], &k->parts[i], k->items[i], sizeof k->items[i], err, sizeof err) < 0)
			return usage_error("%s", err);
		k->ptrs[i] = &k->parts[i];
	}
	tr->parts = k->ptrs;
	tr->n_parts = (size_t)k->n_parts;
	if (k->labour && dc_labour_parse(k->labour, &tr->labour_minutes) < 0)
		return usage_error("--labour wants the minutes worked, a whole number from 1 to 10080, not '%s'",
				   k->labour);
	if (k->invoice && dc_cents_parse(k->invoice, &tr->invoice_cents) < 0)
		return usage_error("--invoice wants an amount in HK dollars such as 1800 or 1800.50 "
				   "(no sign, at most two decimals), not '%s'",
				   k->invoice);
	return 0;
}

int main(int argc, char **argv)
{
	static struct crew_costs costs;
	const char *member = NULL, *note = NULL, *endpoint = NULL, *events = NULL, *color = NULL;
	const char *reason = NULL, *parts = NULL, *charged = NULL, *cause = NULL, *corrective = NULL;
	const char *cmd = "ui", *key = NULL, *server_key = NULL;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	int extras; /* options that only some transitions take */
	struct crew_link link;
	unsigned long ping_s = CREW_PING_DEFAULT_S;
	int c, rc, n_args, use_color;

	setlocale(LC_ALL, "");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case OPT_MEMBER: member = optarg; break;
		case OPT_NOTE: note = optarg; break;
		case OPT_ENDPOINT: endpoint = optarg; break;
		case OPT_EVENTS: events = optarg; break;
		case OPT_KEY: key = optarg; break;
		case OPT_SERVER_KEY: server_key = optarg; break;
		case OPT_COLOR: color = optarg; break;
		case OPT_HELP: fputs(usage_text, stdout); return DC_EXIT_OK;
		case OPT_REASON: reason = optarg; break;
		case OPT_PARTS: parts = optarg; break;
		case OPT_CHARGED: charged = optarg; break;
		case OPT_CAUSE: cause = optarg; break;
		case OPT_CORRECTIVE: corrective = optarg; break;
		case OPT_PART:
			if (costs.n_parts == CREW_PARTS_MAX)
				return usage_error("too many --part options (at most %d)", "32");
			costs.part[costs.n_parts++] = optarg;
			break;
		case OPT_LABOUR: costs.labour = optarg; break;
		case OPT_INVOICE: costs.invoice = optarg; break;
		case OPT_PING:
			errno = 0;
			ping_s = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || errno || *end || ping_s < 1 || ping_s > 3600)
				return usage_error("--ping-interval wants seconds from 1 to 3600, not '%s'", optarg);
			break;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	n_args = 0;
	if (optind < argc) {
		cmd = argv[optind];
		n_args = argc - optind - 1;
	} else if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		return usage_error("%s", "no command given (ui, follow, accept, arrive, resolve, hold, "
					 "resume, duty); "
					 "the full-screen ui needs a terminal");
	}
	if (!member)
		return usage_error("%s needs --member ID", cmd);
	if (!crew_valid_id(member))
		return usage_error("'%s' is not a member id (letters, digits, '-', '_')", member);
	use_color = dc_term_color(STDOUT_FILENO, color);
	if (use_color < 0)
		return usage_error("--color takes auto, always or never, not '%s'", color);
	extras = reason || parts || charged || cause || corrective || costs.n_parts || costs.labour || costs.invoice;
	if (strcmp(cmd, "follow") == 0 || strcmp(cmd, "ui") == 0) {
		if (n_args != 0)
			return usage_error("%s takes no arguments", cmd);
		if (note || extras)
			return usage_error("%s takes no --note, --reason, --parts, --charged, --cause or "
					   "--corrective",
					   cmd);
	} else if (strcmp(cmd, "duty") == 0) {
		if (n_args != 1)
			return usage_error("%s takes on or off", cmd);
		if (note || extras)
			return usage_error("%s takes no --note or other ticket options", cmd);
	} else {
		if (strcmp(cmd, "accept") == 0)
			tr.action = DISPATCH__ACTION__ACTION_ACCEPT;
		else if (strcmp(cmd, "arrive") == 0)
			tr.action = DISPATCH__ACTION__ACTION_ARRIVE;
		else if (strcmp(cmd, "resolve") == 0)
			tr.action = DISPATCH__ACTION__ACTION_RESOLVE;
		else if (strcmp(cmd, "hold") == 0)
			tr.action = DISPATCH__ACTION__ACTION_HOLD;
		else if (strcmp(cmd, "resume") == 0)
			tr.action = DISPATCH__ACTION__ACTION_RESUME;
		else
			return usage_error("unknown command '%s' (ui, follow, accept, arrive, resolve, hold, "
					   "resume, duty)",
					   cmd);
		if (n_args != 1)
			return usage_error("%s needs one ticket id", cmd);
		rc = transition_opts(&tr, cmd, note, reason, parts, charged, cause, corrective);
		if (rc == 0)
			rc = cost_opts(&tr, cmd, &costs);
		if (rc)
			return rc;
	}
	if (strcmp(cmd, "ui") == 0 && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
		return usage_error("%s needs a terminal; for scripts use follow", cmd);

	memset(&link, 0, sizeof link);
	snprintf(link.member, sizeof link.member, "%s", member);
	link.ping_ms = (int)ping_s * 1000;
	link.duty = -1;
	/* The member acts as itself: the daemon checks actor == assignee. */
	link.dc = dc_new(endpoint ? endpoint : dc_env_endpoint(), events ? events : dc_env_events(),
			 DISPATCH__ROLE__ROLE_CREW, member);
	if (!link.dc) {
		fprintf(stderr, CREW_PROG ": cannot set up the client (empty endpoint or out of memory)\n");
		return DC_EXIT_USAGE;
	}
	/* Over tcp the daemon takes the member from the key, not from --member. */
	if (dc_set_keys(link.dc, key, server_key) != DC_OK) {
		fprintf(stderr, CREW_PROG ": %s\n", dc_error(link.dc));
		dc_destroy(&link.dc);
		return DC_EXIT_USAGE;
	}
	/* A stop signal wakes every wait at once, also one about to start. */
	if (dc_stop_on_signals(&crew_stop) < 0) {
		fprintf(stderr, CREW_PROG ": cannot install signal handlers: %s\n", strerror(errno));
		dc_destroy(&link.dc);
		return DC_EXIT_UNAVAILABLE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "ui") == 0)
		rc = crew_ui(&link, use_color);
	else if (strcmp(cmd, "follow") == 0)
		rc = cmd_follow(&link);
	else if (strcmp(cmd, "duty") == 0)
		rc = cmd_duty(&link, argv[optind + 1]);
	else
		rc = cmd_transition(&link, &tr, argv[optind + 1]);
	dc_destroy(&link.dc);
	return rc;
}
