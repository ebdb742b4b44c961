/*
 * dispatch-desk: the service desk's and control center's command line.
 * One subcommand per desk task (submit, show, list, close, cancel, ping);
 * each is one request through clients/lib, and the exit code says whether
 * the daemon did it (0), refused it (1), the command line was wrong (2) or
 * the daemon could not be reached or failed (3).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_client.h"

#define PROG "dispatch-desk"
#define MAX_TAGS 32

static const char usage_text[] =
	"usage: " PROG " [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"The service desk's client for dispatchd.\n"
	"\n"
	"commands:\n"
	"  submit --unit U --kind K --text T [--source S] [--person P] [--phone N]\n"
	"         [--priority 1-5] [--category C] [--tag T]...\n"
	"                        file a ticket; prints its id, where it went, and the rule\n"
	"                        kinds: repair complaint special security cleaning inquiry\n"
	"                        sources: intercom phone walk-in app sensor\n"
	"  show ID               the ticket and its full history\n"
	"  list [--crew C] [--member M] [--all] [--limit N]\n"
	"                        open tickets (--all: closed and cancelled too)\n"
	"  close ID [--note T]   close a resolved ticket\n"
	"  cancel ID --reason T  cancel a ticket (the reason is required)\n"
	"  ping                  check that the daemon answers\n"
	"\n"
	"options:\n"
	"  --endpoint EP   request socket (env DISPATCH_ENDPOINT, default " DC_DEFAULT_ENDPOINT ")\n"
	"  --events EP     events socket (env DISPATCH_EVENTS, default " DC_DEFAULT_EVENTS ")\n"
	"  --actor NAME    who is acting (default $USER, else \"desk\")\n"
	"  --help          this text\n"
	"\n"
	"examples:\n"
	"  " PROG " submit --unit 12-1A --kind repair --source intercom --text \"basement lights out\"\n"
	"  " PROG " show 17\n"
	"  " PROG " list --crew technical\n"
	"  " PROG " cancel 17 --reason \"resident fixed it\"\n"
	"\n"
	"exit codes: 0 ok, 1 the daemon refused (invalid, not found, conflict, forbidden),\n"
	"            2 usage error, 3 daemon unreachable or storage error\n";

/* Which options a command accepts, as bits, to reject misplaced ones. */
enum opt_bit {
	O_UNIT = 1 << 0, O_KIND = 1 << 1, O_SOURCE = 1 << 2, O_TEXT = 1 << 3,
	O_PERSON = 1 << 4, O_PHONE = 1 << 5, O_PRIORITY = 1 << 6, O_CATEGORY = 1 << 7,
	O_TAG = 1 << 8, O_CREW = 1 << 9, O_MEMBER = 1 << 10, O_ALL = 1 << 11,
	O_NOTE = 1 << 12, O_REASON = 1 << 13, O_LIMIT = 1 << 14,
};

/* Above every opt_bit, so getopt values of the two kinds never collide. */
enum { OPT_ENDPOINT = 1 << 20, OPT_EVENTS, OPT_ACTOR, OPT_HELP };

static const struct option long_opts[] = {
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "actor", required_argument, NULL, OPT_ACTOR },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "unit", required_argument, NULL, O_UNIT },
	{ "kind", required_argument, NULL, O_KIND },
	{ "source", required_argument, NULL, O_SOURCE },
	{ "text", required_argument, NULL, O_TEXT },
	{ "person", required_argument, NULL, O_PERSON },
	{ "phone", required_argument, NULL, O_PHONE },
	{ "priority", required_argument, NULL, O_PRIORITY },
	{ "category", required_argument, NULL, O_CATEGORY },
	{ "tag", required_argument, NULL, O_TAG },
	{ "crew", required_argument, NULL, O_CREW },
	{ "member", required_argument, NULL, O_MEMBER },
	{ "all", no_argument, NULL, O_ALL },
	{ "note", required_argument, NULL, O_NOTE },
	{ "reason", required_argument, NULL, O_REASON },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	const char *endpoint, *events, *actor;
	const char *unit, *kind, *source, *text, *person, *phone, *category;
	const char *crew, *member, *note, *reason;
	const char *tags[MAX_TAGS];
	size_t n_tags;
	unsigned priority, limit;
	unsigned given;           /* enum opt_bit of the options seen */
	int all;
	const char *cmd;
	char **args;              /* positional arguments after the command */
	int n_args;
};

struct command {
	const char *name;
	unsigned allowed;         /* enum opt_bit */
	int n_args;               /* exact number of positional arguments */
	int (*run)(dc_t *dc, const struct opts *o);
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; try '" PROG " --help'\n");
	return DC_EXIT_USAGE;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Send req; on failure print one line and return the exit code, else 0. */
static int call(dc_t *dc, const Dispatch__Request *req, Dispatch__Reply **reply)
{
	int rc = dc_request(dc, req, reply);

	if (rc < 0) {
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

static int need_ticket(const Dispatch__Reply *r)
{
	if (r->ticket)
		return 0;
	fprintf(stderr, PROG ": the daemon's reply carries no ticket\n");
	return DC_EXIT_UNAVAILABLE;
}

static int cmd_submit(dc_t *dc, const struct opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	Dispatch__Reply *r = NULL;
	Dispatch__Kind kind;
	Dispatch__Source source = DISPATCH__SOURCE__SOURCE_UNSPECIFIED;
	char unit[128], crew[128], member[128], rule[128];
	int rc;

	if (!o->unit || !*o->unit)
		return usage_error("%s needs --unit", "submit");
	if (!o->kind)
		return usage_error("%s needs --kind", "submit");
	if (!o->text || !*o->text)
		return usage_error("%s needs --text", "submit");
	if (dc_kind_parse(o->kind, &kind) < 0)
		return usage_error("unknown kind '%s' (repair, complaint, special, security, "
		                   "cleaning, inquiry)", o->kind);
	if (o->source && dc_source_parse(o->source, &source) < 0)
		return usage_error("unknown source '%s' (intercom, phone, walk-in, app, sensor)",
		                   o->source);
	sub.kind = kind;
	sub.source = source;
	sub.unit = (char *)o->unit;
	sub.text = (char *)o->text;
	if (o->person)
		sub.person = (char *)o->person;
	if (o->phone)
		sub.phone = (char *)o->phone;
	if (o->category)
		sub.category = (char *)o->category;
	sub.priority = o->priority;
	sub.n_tags = o->n_tags;
	sub.tags = (char **)o->tags;
	req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
	req.submit = &sub;
	rc = call(dc, &req, &r);
	if (rc)
		return rc;
	rc = need_ticket(r);
	if (rc)
		goto out;
	dc_clean(r->ticket->unit, unit, sizeof unit);
	dc_clean(r->ticket->crew, crew, sizeof crew);
	dc_clean(r->ticket->member, member, sizeof member);
	dc_clean(r->ticket->rule, rule, sizeof rule);
	printf("ticket %" PRIu64 " submitted: %s at %s -> ", r->ticket->id,
	       dc_kind_name(r->ticket->kind), unit);
	if (*member)
		printf("%s/%s", crew, member);
	else if (*crew)
		printf("queued for %s (no member free)", crew);
	else
		printf("not routed");
	printf(" (rule %s)\n", *rule ? rule : "-");
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

static void field_line(const char *label, const char *value)
{
	printf("  %-10s ", label);
	dc_pad(stdout, value && *value ? value : "-", 0);
	putchar('\n');
}

static void print_ticket(const Dispatch__Ticket *t)
{
	char buf[64];
	size_t i;

	printf("ticket %" PRIu64 ": %s, %s\n", t->id, dc_kind_name(t->kind), dc_state_name(t->state));
	field_line("unit", t->unit);
	field_line("person", t->person);
	field_line("phone", t->phone);
	field_line("source", dc_source_name(t->source));
	snprintf(buf, sizeof buf, "%u", t->priority);
	field_line("priority", t->priority ? buf : "default");
	field_line("category", t->category);
	printf("  %-10s ", "tags");
	if (t->n_tags == 0)
		fputs("-", stdout);
	for (i = 0; i < t->n_tags; i++) {
		if (i)
			fputs(", ", stdout);
		dc_pad(stdout, t->tags[i], 0);
	}
	putchar('\n');
	field_line("text", t->text);
	field_line("crew", t->crew);
	field_line("member", t->member);
	field_line("rule", t->rule);
	field_line("created", dc_format_time(t->created_ms, buf, sizeof buf));
	field_line("updated", dc_format_time(t->updated_ms, buf, sizeof buf));
	field_line("note", t->note);
	if (t->state == DISPATCH__STATE__STATE_CANCELLED || (t->cancel_reason && *t->cancel_reason))
		field_line("reason", t->cancel_reason);
}

/* Append the cleaned s to the string in buf, truncating at the end of buf. */
static void append(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf);
	char clean[512];

	if (len + 1 < size)
		snprintf(buf + len, size - len, "%s", dc_clean(s, clean, sizeof clean));
}

/* One history line: time, event, actor, state change, then what explains
 * it (where it went and why, the note). */
static void print_history_line(const Dispatch__Event *e)
{
	char when[64], actor[160], change[64], detail[1024] = "";
	char a[96];

	dc_format_time(e->time_ms, when, sizeof when);
	dc_clean(e->actor, a, sizeof a);
	snprintf(actor, sizeof actor, "%s (%s)", *a ? a : "-", dc_role_name(e->actor_role));
	if (e->from_state == DISPATCH__STATE__STATE_UNSPECIFIED)
		snprintf(change, sizeof change, "-> %s", dc_state_name(e->to_state));
	else
		snprintf(change, sizeof change, "%s -> %s", dc_state_name(e->from_state),
		         dc_state_name(e->to_state));
	if ((e->type == DISPATCH__EVENT_TYPE__EVENT_ASSIGNED ||
	     e->type == DISPATCH__EVENT_TYPE__EVENT_QUEUED) && e->crew && *e->crew) {
		append(detail, sizeof detail, " to ");
		append(detail, sizeof detail, e->crew);
		if (e->member && *e->member) {
			append(detail, sizeof detail, "/");
			append(detail, sizeof detail, e->member);
		} else {
			append(detail, sizeof detail, " (queued)");
		}
	}
	if (e->rule && *e->rule) {
		append(detail, sizeof detail, " rule ");
		append(detail, sizeof detail, e->rule);
	}
	if (e->reason && *e->reason) {
		append(detail, sizeof detail, ": ");
		append(detail, sizeof detail, e->reason);
	}
	if (e->note && *e->note) {
		append(detail, sizeof detail, " note \"");
		append(detail, sizeof detail, e->note);
		append(detail, sizeof detail, "\"");
	}
	printf("  %s  ", when);
	dc_pad(stdout, dc_event_type_name(e->type), 10);
	putchar(' ');
	dc_pad(stdout, actor, 20);
	putchar(' ');
	/* No trailing blanks when nothing follows the state change. */
	dc_pad(stdout, change, *detail ? 22 : 0);
	fputs(detail, stdout);
	putchar('\n');
}

static int ticket_id_arg(const struct opts *o, uint64_t *id)
{
	unsigned long long v;

	if (parse_uint(o->args[0], UINT64_MAX, &v) < 0 || v == 0) {
		usage_error("'%s' is not a ticket id (a positive number)", o->args[0]);
		return -1;
	}
	*id = v;
	return 0;
}

static int cmd_show(dc_t *dc, const struct opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Get get = DISPATCH__GET__INIT;
	Dispatch__Reply *r = NULL;
	uint64_t id;
	size_t i;
	int rc;

	if (ticket_id_arg(o, &id) < 0)
		return DC_EXIT_USAGE;
	get.ticket_id = id;
	get.history = 1;
	req.body_case = DISPATCH__REQUEST__BODY_GET;
	req.get = &get;
	rc = call(dc, &req, &r);
	if (rc)
		return rc;
	rc = need_ticket(r);
	if (rc)
		goto out;
	print_ticket(r->ticket);
	printf("history (%zu event%s):\n", r->n_events, r->n_events == 1 ? "" : "s");
	for (i = 0; i < r->n_events; i++)
		if (r->events[i])
			print_history_line(r->events[i]);
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

enum { COL_ID, COL_STATE, COL_KIND, COL_PRI, COL_UNIT, COL_CREW, COL_MEMBER, COL_CREATED, COL_TEXT, N_COLS };

static const char *const col_names[N_COLS] = {
	"ID", "STATE", "KIND", "PRI", "UNIT", "CREW", "MEMBER", "CREATED", "TEXT",
};

/* The cells of one table row; buffers keep numbers and times. */
static void list_cells(const Dispatch__Ticket *t, const char *cells[N_COLS],
                       char id[32], char pri[16], char created[64])
{
	snprintf(id, 32, "%" PRIu64, t->id);
	if (t->priority)
		snprintf(pri, 16, "%u", t->priority);
	else
		snprintf(pri, 16, "-");
	/* Minutes are enough for a table; show gives the seconds. */
	dc_format_time(t->created_ms, created, 64);
	if (strlen(created) == 19)
		created[16] = '\0';
	cells[COL_ID] = id;
	cells[COL_STATE] = dc_state_name(t->state);
	cells[COL_KIND] = dc_kind_name(t->kind);
	cells[COL_PRI] = pri;
	cells[COL_UNIT] = t->unit;
	cells[COL_CREW] = t->crew && *t->crew ? t->crew : "-";
	cells[COL_MEMBER] = t->member && *t->member ? t->member : "-";
	cells[COL_CREATED] = created;
	cells[COL_TEXT] = t->text;
}

static int cmd_list(dc_t *dc, const struct opts *o)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__List list = DISPATCH__LIST__INIT;
	Dispatch__Reply *r = NULL;
	int width[N_COLS];
	const char *cells[N_COLS];
	char id[32], pri[16], created[64];
	size_t i;
	int c, rc;

	if (o->crew)
		list.crew = (char *)o->crew;
	if (o->member)
		list.member = (char *)o->member;
	list.include_closed = o->all;
	list.limit = o->limit;
	req.body_case = DISPATCH__REQUEST__BODY_LIST;
	req.list = &list;
	rc = call(dc, &req, &r);
	if (rc)
		return rc;
	if (r->n_tickets == 0) {
		printf("no %stickets\n", o->all ? "" : "open ");
		goto out;
	}
	for (c = 0; c < N_COLS; c++)
		width[c] = dc_width(col_names[c]);
	for (i = 0; i < r->n_tickets; i++) {
		if (!r->tickets[i])
			continue;
		list_cells(r->tickets[i], cells, id, pri, created);
		for (c = 0; c < N_COLS; c++) {
			int w = dc_width(cells[c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	for (c = 0; c < N_COLS; c++) {
		dc_pad(stdout, col_names[c], c == N_COLS - 1 ? 0 : width[c] + 2);
	}
	putchar('\n');
	for (i = 0; i < r->n_tickets; i++) {
		if (!r->tickets[i])
			continue;
		list_cells(r->tickets[i], cells, id, pri, created);
		for (c = 0; c < N_COLS; c++)
			dc_pad(stdout, cells[c], c == N_COLS - 1 ? 0 : width[c] + 2);
		putchar('\n');
	}
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

static int transition(dc_t *dc, const struct opts *o, Dispatch__Action action, const char *note)
{
	Dispatch__Request req = DISPATCH__REQUEST__INIT;
	Dispatch__Transition tr = DISPATCH__TRANSITION__INIT;
	Dispatch__Reply *r = NULL;
	uint64_t id;
	int rc;

	if (ticket_id_arg(o, &id) < 0)
		return DC_EXIT_USAGE;
	tr.ticket_id = id;
	tr.action = action;
	if (note)
		tr.note = (char *)note;
	req.body_case = DISPATCH__REQUEST__BODY_TRANSITION;
	req.transition = &tr;
	rc = call(dc, &req, &r);
	if (rc)
		return rc;
	rc = need_ticket(r);
	if (rc == 0)
		printf("ticket %" PRIu64 " is now %s\n", r->ticket->id, dc_state_name(r->ticket->state));
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

static int cmd_close(dc_t *dc, const struct opts *o)
{
	return transition(dc, o, DISPATCH__ACTION__ACTION_CLOSE, o->note);
}

static int cmd_cancel(dc_t *dc, const struct opts *o)
{
	/* The procedure keeps a reason for every cancelled request. */
	if (!o->reason || !*o->reason)
		return usage_error("%s needs --reason TEXT", "cancel");
	return transition(dc, o, DISPATCH__ACTION__ACTION_CANCEL, o->reason);
}

static int cmd_ping(dc_t *dc, const struct opts *o)
{
	Dispatch__Reply *r = NULL;
	char estate[256];
	int rc = dc_ping(dc, &r);

	(void)o;
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", dc_error(dc));
		return dc_err_exit(rc);
	}
	if (r->status != DISPATCH__STATUS__STATUS_OK) {
		rc = dc_report(stderr, PROG, r);
		goto out;
	}
	printf("dispatchd at %s: estate \"%s\", last seq %" PRIu64 "\n", dc_request_endpoint(dc),
	       dc_clean(r->estate, estate, sizeof estate), r->last_seq);
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

static const struct command commands[] = {
	{ "submit", O_UNIT | O_KIND | O_SOURCE | O_TEXT | O_PERSON | O_PHONE | O_PRIORITY |
	                    O_CATEGORY | O_TAG, 0, cmd_submit },
	{ "show", 0, 1, cmd_show },
	{ "list", O_CREW | O_MEMBER | O_ALL | O_LIMIT, 0, cmd_list },
	{ "close", O_NOTE, 1, cmd_close },
	{ "cancel", O_REASON, 1, cmd_cancel },
	{ "ping", 0, 0, cmd_ping },
};

static const char *opt_name(unsigned bit)
{
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++)
		if ((unsigned)lo->val == bit)
			return lo->name;
	return "?";
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	opterr = 0; /* our own messages, with our name rather than argv[0] */
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		unsigned long long v;

		if (c > 0 && c <= O_LIMIT && (c & (c - 1)) == 0)
			o->given |= (unsigned)c;
		switch (c) {
		case OPT_ENDPOINT: o->endpoint = optarg; break;
		case OPT_EVENTS: o->events = optarg; break;
		case OPT_ACTOR: o->actor = optarg; break;
		case OPT_HELP: fputs(usage_text, stdout); exit(DC_EXIT_OK);
		case O_UNIT: o->unit = optarg; break;
		case O_KIND: o->kind = optarg; break;
		case O_SOURCE: o->source = optarg; break;
		case O_TEXT: o->text = optarg; break;
		case O_PERSON: o->person = optarg; break;
		case O_PHONE: o->phone = optarg; break;
		case O_CATEGORY: o->category = optarg; break;
		case O_CREW: o->crew = optarg; break;
		case O_MEMBER: o->member = optarg; break;
		case O_ALL: o->all = 1; break;
		case O_NOTE: o->note = optarg; break;
		case O_REASON: o->reason = optarg; break;
		case O_PRIORITY:
			if (parse_uint(optarg, 5, &v) < 0 || v < 1)
				return usage_error("--priority must be 1 (urgent) to 5 (low), not '%s'", optarg);
			o->priority = (unsigned)v;
			break;
		case O_LIMIT:
			if (parse_uint(optarg, UINT32_MAX, &v) < 0)
				return usage_error("--limit must be a number, not '%s'", optarg);
			o->limit = (unsigned)v;
			break;
		case O_TAG:
			if (o->n_tags == MAX_TAGS)
				return usage_error("too many --tag options (at most %s)", "32");
			o->tags[o->n_tags++] = optarg;
			break;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no command given (submit, show, list, close, cancel, ping)");
	o->cmd = argv[optind];
	o->args = argv + optind + 1;
	o->n_args = argc - optind - 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	const struct command *cmd = NULL;
	const char *actor;
	dc_t *dc;
	size_t i;
	unsigned bit;
	int rc;

	memset(&o, 0, sizeof o);
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, o.cmd) == 0)
			cmd = &commands[i];
	if (!cmd)
		return usage_error("unknown command '%s'", o.cmd);
	for (bit = 1; bit <= O_LIMIT; bit <<= 1) {
		if ((o.given & bit) && !(cmd->allowed & bit)) {
			fprintf(stderr, PROG ": %s does not take --%s; try '" PROG " --help'\n",
			        cmd->name, opt_name(bit));
			return DC_EXIT_USAGE;
		}
	}
	if (o.n_args != cmd->n_args) {
		if (cmd->n_args == 0)
			return usage_error("%s takes no arguments", cmd->name);
		return usage_error("%s needs one ticket id", cmd->name);
	}
	actor = o.actor;
	if (!actor || !*actor)
		actor = getenv("USER");
	if (!actor || !*actor)
		actor = "desk";
	dc = dc_new(o.endpoint ? o.endpoint : dc_env_endpoint(),
	            o.events ? o.events : dc_env_events(), DISPATCH__ROLE__ROLE_DESK, actor);
	if (!dc) {
		fprintf(stderr, PROG ": cannot set up the client (empty endpoint or out of memory)\n");
		return o.endpoint && !*o.endpoint ? DC_EXIT_USAGE : DC_EXIT_UNAVAILABLE;
	}
	rc = cmd->run(dc, &o);
	dc_destroy(&dc);
	return rc;
}
