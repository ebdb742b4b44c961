/*
 * dispatch-desk: the service desk's and control center's command line.
 *
 * One subcommand per desk task; each is one request (import: one per line)
 * through clients/lib, and the exit code says whether the daemon did it
 * (0), refused it (1), the command line was wrong (2) or the daemon could
 * not be reached or failed (3). This file holds the command line and the
 * command table; the commands live in desk_ticket.c, desk_import.c,
 * desk_roster.c and desk_outage.c.
 */
#include "desk.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "dc_time.h"

static const char usage_text[] =
	"usage: " DESK_PROG " [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"The service desk's and control center's client for dispatchd.\n"
	"\n"
	"tickets:\n"
	"  submit --unit U --kind K --text T [--source S] [--person P] [--phone N]\n"
	"         [--priority 1-5] [--category C] [--tag T]... [--request-id ID]\n"
	"         [--fee AMOUNT] [--about MEMBER] [--replaces ID] [--json]\n"
	"                        file a ticket; prints its id, where it went, the rule,\n"
	"                        and the resident's page (its link, or its token when the\n"
	"                        estate sets no residents.page_url) to give the resident\n"
	"                        kinds: repair complaint special security cleaning inquiry\n"
	"                        suggestion (an opinion or, with --category praise, praise)\n"
	"                        sources: intercom phone walk-in app sensor\n"
	"                        --fee: a paid special service's quoted fee in HK$ (350,\n"
	"                        350.50); it waits for the resident's consent\n"
	"                        --about: the crew member a complaint is about\n"
	"                        --replaces: this corrects open ticket ID (misrouted,\n"
	"                        wrong details): ID is cancelled, this one dispatched\n"
	"  import [FILE] [--dry-run] [--json]\n"
	"                        submit one ticket per line of newline-delimited JSON\n"
	"                        (FILE or stdin); reports each line, goes on past bad ones\n"
	"  show ID [--json]      the ticket, its full history and the resident's page\n"
	"  list [--crew C] [--member M] [--kind K]... [--unit PATTERN]... [--overdue]\n"
	"       [--at TIME] [--all] [--limit N] [--json | --csv]\n"
	"       [--text T] [--person P] [--phone N] [--category C]... [--state S]...\n"
	"       [--from DAY] [--to DAY] [--after ID]\n"
	"                        open tickets, newest first (--all: closed and cancelled\n"
	"                        too): a search of every ticket kept, by the daemon\n"
	"                        --text, --person: a part of the text or name (Chinese\n"
	"                        too; ASCII in either case); --phone: digits of the number\n"
	"                        --unit: 12-1A, or a pattern such as 12-* or 1?-[AB]*\n"
	"                        --state: new assigned accepted on-site on-hold resolved\n"
	"                        closed cancelled (any state, without --all)\n"
	"                        --from, --to: days (YYYY-MM-DD, --to takes the whole\n"
	"                        day) or times, of when the ticket was created\n"
	"                        --limit N rows (default 200); when more match, a last\n"
	"                        line says \"more: use --after ID\": the same search with\n"
	"                        --after ID shows the next N; --csv for a spreadsheet\n"
	"  close ID [--note T] [--cause T --corrective T]\n"
	"                        close a resolved ticket; a complaint needs its cause and\n"
	"                        corrective action (here or when it was resolved)\n"
	"  cancel ID --reason T  cancel a ticket (the reason is required); a resident who\n"
	"                        declines a paid service's fee is a cancel too\n"
	"  assign ID --member M [--reason T]\n"
	"                        (re)assign a ticket to a member (desk or supervisor);\n"
	"                        taking it from someone needs the reason\n"
	"  accept ID [--note T]  an outside provider (outsourced crew, no handheld) took\n"
	"                        the job by phone: recorded by the desk for the provider\n"
	"  arrive ID [--note T]  the provider is on site (recorded for it, as accept)\n"
	"  resolve ID [--note T] [--parts T] [--charged AMOUNT] [--cause T --corrective T]\n"
	"                        record the work as done (as the assignee's supervisor,\n"
	"                        or for an outside provider)\n"
	"\n"
	"the service procedure:\n"
	"  hold ID --reason parts|resident-away|no-access|other [--note T]\n"
	"                        pause a ticket and its deadlines (other: say why in --note)\n"
	"  resume ID             back to where it was held, with the time that was left\n"
	"  follow-up ID --score 1-5 [--remark T]\n"
	"                        the call back to the resident (回訪); a low score reopens it\n"
	"  inspect ID --pass|--fail [--remark T]\n"
	"                        quality control's inspection (acts as --role qc unless\n"
	"                        told); a fail reopens the work\n"
	"  consent ID [--note T] the resident agreed to the quoted fee: dispatch starts\n"
	"  unlink ID [--note T]  a report linked as a duplicate is another problem after\n"
	"                        all: unlinked and dispatched (cancelling the first report\n"
	"                        dispatches its duplicates too)\n"
	"  vendor-flag ID --note T    quality affected by the vendor: what happened\n"
	"  vendor-review ID --note T  the review of a flagged incident: the improvement\n"
	"                        (acts as --role qc unless told)\n"
	"  vendor-incidents [--vendor V] [--unreviewed] [--json]\n"
	"                        tickets flagged as vendor incidents, by vendor\n"
	"  notice --text T [--kind general|activity|works] [--from TIME] [--to TIME]\n"
	"         [--building B]...\n"
	"                        publish an estate notice to every subscriber\n"
	"\n"
	"dispatching:\n"
	"  crews [--crew C] [--json]\n"
	"                        every crew: who is on shift, online, on duty, available,\n"
	"                        how many open assignments each has, how many queued\n"
	"  explain --unit U --kind K [submit options] [--json]\n"
	"                        where such a ticket would go and why; nothing is stored\n"
	"  outage declare --text T (--building B | --zone Z | --unit PATTERN)...\n"
	"         [--kind K]... [--category C]... [--from TIME] --until TIME\n"
	"                        declare an outage: matching reports get the text back\n"
	"                        and no crew is sent\n"
	"  outage end ID [--note T]   end it; its reports are closed together\n"
	"  outage list [--all] [--json]   current outages (--all: ended ones too)\n"
	"  ping                  check that the daemon answers\n"
	"\n"
	"equipment and costs:\n"
	"  submit ... --asset ID the ticket concerns this asset of the register (a lift, a\n"
	"                        pump...); an id the register does not hold is refused\n"
	"  asset list [--kind K] [--building B] [--vendor V] [--json]\n"
	"                        the register: each asset, where, who is responsible, its\n"
	"                        open and total tickets (--vendor: the responsible crew)\n"
	"  asset show ID [--limit N] [--json]\n"
	"                        an asset's tickets, newest first, with states and costs\n"
	"  resolve ID ... [--part ITEM:QTY[:PRICE]]... [--labour MINUTES] [--invoice AMOUNT]\n"
	"                        what the job cost: parts (priced from the estate's parts\n"
	"                        list; an item not listed needs its PRICE), labour minutes\n"
	"                        (costed at the estate's labour rate), a vendor's invoice\n"
	"\n"
	"appointments (a visit window booked with the resident):\n"
	"  submit ... --visit FROM/TO\n"
	"  visit ID FROM/TO      book (or move) the window: FROM/TO as 2026-12-04T14:00/16:00\n"
	"                        (TO: HH:MM that day, or a full time); the crew must arrive\n"
	"                        by its end (a missed visit escalates), and only a member\n"
	"                        on shift for the whole window is chosen for it\n"
	"  hold ID --reason resident-away --visit FROM/TO\n"
	"                        the resident was away: the new window they proposed\n"
	"TIME is local: \"HH:MM\" (today), \"YYYY-MM-DDTHH:MM\", or \"now\".\n"
	"\n"
	"options:\n"
	"  --endpoint EP   request socket (env DISPATCH_ENDPOINT, default " DC_DEFAULT_ENDPOINT ")\n"
	"  --events EP     events socket (env DISPATCH_EVENTS, default " DC_DEFAULT_EVENTS ")\n"
	"  --key FILE      this client's CURVE key pair, for tcp endpoints (env DISPATCH_KEY)\n"
	"  --server-key FILE   the daemon's public key, for tcp endpoints (env DISPATCH_SERVER_KEY)\n"
	"  --actor NAME    who is acting (default $USER, else \"desk\"; over tcp the key decides)\n"
	"  --role ROLE     act as desk (default), supervisor, qc, monitor or admin\n"
	"  --color WHEN    auto (default: only on a terminal, not with NO_COLOR), always, never\n"
	"  --help          this text\n"
	"\n"
	"examples:\n"
	"  " DESK_PROG " submit --unit 12-1A --kind repair --source intercom --text \"basement lights out\"\n"
	"  " DESK_PROG " import requests.ndjson\n"
	"      with lines like {\"unit\":\"12-1A\",\"kind\":\"repair\",\"text\":\"no water\",\"source\":\"intercom\"}\n"
	"  " DESK_PROG " list --crew technical --overdue\n"
	"  " DESK_PROG " list --all --unit 11-6A --from 2026-01-01 --to 2026-06-30\n"
	"  " DESK_PROG " list --all --text 漏水 --csv > leaks.csv\n"
	"  " DESK_PROG " show 17\n"
	"  " DESK_PROG " assign 17 --member T08\n"
	"  " DESK_PROG " cancel 17 --reason \"resident fixed it\"\n"
	"  " DESK_PROG " submit --unit 5-3C --kind special --fee 350.50 --text \"move a piano\"\n"
	"  " DESK_PROG " consent 18\n"
	"  " DESK_PROG " hold 17 --reason parts --note \"breaker on order\"\n"
	"  " DESK_PROG " follow-up 17 --score 4 --remark \"happy, light works\"\n"
	"  " DESK_PROG " inspect 17 --fail --remark \"cover plate missing\"\n"
	"  " DESK_PROG " notice --kind works --text \"Lift B out of service\" --building 12 \\\n"
	"        --from 2026-12-01T09:00 --to 2026-12-01T17:00\n"
	"  " DESK_PROG " explain --unit 12-1A --kind repair\n"
	"  " DESK_PROG " submit --unit 12-5C --kind repair --category lift --asset L2 --text \"stuck at 5/F\"\n"
	"  " DESK_PROG " resolve 19 --part lift-contactor:1 --invoice 1800 --note \"contactor replaced\"\n"
	"  " DESK_PROG " asset list --kind lift --building 12\n"
	"  " DESK_PROG " asset show L2\n"
	"  " DESK_PROG " outage declare --text \"Water is off in block 3 until noon\" --building 3 \\\n"
	"        --kind repair --from 09:00 --until 12:00\n"
	"\n"
	"exit codes: 0 ok, 1 the daemon refused (invalid, not found, conflict, forbidden)\n"
	"            or an import line failed, 2 usage error, 3 daemon unreachable or\n"
	"            storage error\n";

/* Options that belong to some commands only; the table below says which. */
enum desk_opt {
	O_UNIT,
	O_KIND,
	O_SOURCE,
	O_TEXT,
	O_PERSON,
	O_PHONE,
	O_PRIORITY,
	O_CATEGORY,
	O_TAG,
	O_CREW,
	O_MEMBER,
	O_ALL,
	O_NOTE,
	O_REASON,
	O_LIMIT,
	O_JSON,
	O_OVERDUE,
	O_AT,
	O_BUILDING,
	O_ZONE,
	O_FROM,
	O_UNTIL,
	O_DRY_RUN,
	O_REQUEST_ID,
	O_SCORE,
	O_REMARK,
	O_PASS,
	O_FAIL,
	O_VENDOR,
	O_UNREVIEWED,
	O_FEE,
	O_ABOUT,
	O_CAUSE,
	O_CORRECTIVE,
	O_PARTS,
	O_CHARGED,
	O_REPLACES,
	O_STATE,
	O_AFTER,
	O_CSV,
	O_ASSET, /* issue 19 */
	O_PART,
	O_LABOUR,
	O_INVOICE,
	O_VISIT, /* issue 19: appointments */
	O_N_SCOPED,
	/* Global options, accepted everywhere. */
	O_ENDPOINT = O_N_SCOPED,
	O_EVENTS,
	O_KEY,
	O_SERVER_KEY,
	O_ACTOR,
	O_ROLE,
	O_COLOR,
	O_HELP,
};
#define OPT_VAL(o) (256 + (o))
#define B(o) (UINT64_C(1) << (o))

static const struct option long_opts[] = {
	{ "unit", required_argument, NULL, OPT_VAL(O_UNIT) },
	{ "kind", required_argument, NULL, OPT_VAL(O_KIND) },
	{ "source", required_argument, NULL, OPT_VAL(O_SOURCE) },
	{ "text", required_argument, NULL, OPT_VAL(O_TEXT) },
	{ "person", required_argument, NULL, OPT_VAL(O_PERSON) },
	{ "phone", required_argument, NULL, OPT_VAL(O_PHONE) },
	{ "priority", required_argument, NULL, OPT_VAL(O_PRIORITY) },
	{ "category", required_argument, NULL, OPT_VAL(O_CATEGORY) },
	{ "tag", required_argument, NULL, OPT_VAL(O_TAG) },
	{ "crew", required_argument, NULL, OPT_VAL(O_CREW) },
	{ "member", required_argument, NULL, OPT_VAL(O_MEMBER) },
	{ "all", no_argument, NULL, OPT_VAL(O_ALL) },
	{ "note", required_argument, NULL, OPT_VAL(O_NOTE) },
	{ "reason", required_argument, NULL, OPT_VAL(O_REASON) },
	{ "limit", required_argument, NULL, OPT_VAL(O_LIMIT) },
	{ "json", no_argument, NULL, OPT_VAL(O_JSON) },
	{ "overdue", no_argument, NULL, OPT_VAL(O_OVERDUE) },
	{ "at", required_argument, NULL, OPT_VAL(O_AT) },
	{ "building", required_argument, NULL, OPT_VAL(O_BUILDING) },
	{ "zone", required_argument, NULL, OPT_VAL(O_ZONE) },
	{ "from", required_argument, NULL, OPT_VAL(O_FROM) },
	{ "until", required_argument, NULL, OPT_VAL(O_UNTIL) },
	{ "to", required_argument, NULL, OPT_VAL(O_UNTIL) },
	{ "dry-run", no_argument, NULL, OPT_VAL(O_DRY_RUN) },
	{ "request-id", required_argument, NULL, OPT_VAL(O_REQUEST_ID) },
	{ "score", required_argument, NULL, OPT_VAL(O_SCORE) },
	{ "remark", required_argument, NULL, OPT_VAL(O_REMARK) },
	{ "pass", no_argument, NULL, OPT_VAL(O_PASS) },
	{ "fail", no_argument, NULL, OPT_VAL(O_FAIL) },
	{ "vendor", required_argument, NULL, OPT_VAL(O_VENDOR) },
	{ "unreviewed", no_argument, NULL, OPT_VAL(O_UNREVIEWED) },
	{ "fee", required_argument, NULL, OPT_VAL(O_FEE) },
	{ "about", required_argument, NULL, OPT_VAL(O_ABOUT) },
	{ "cause", required_argument, NULL, OPT_VAL(O_CAUSE) },
	{ "corrective", required_argument, NULL, OPT_VAL(O_CORRECTIVE) },
	{ "parts", required_argument, NULL, OPT_VAL(O_PARTS) },
	{ "charged", required_argument, NULL, OPT_VAL(O_CHARGED) },
	{ "replaces", required_argument, NULL, OPT_VAL(O_REPLACES) },
	{ "state", required_argument, NULL, OPT_VAL(O_STATE) },
	{ "after", required_argument, NULL, OPT_VAL(O_AFTER) },
	{ "csv", no_argument, NULL, OPT_VAL(O_CSV) },
	{ "asset", required_argument, NULL, OPT_VAL(O_ASSET) },
	{ "part", required_argument, NULL, OPT_VAL(O_PART) },
	{ "labour", required_argument, NULL, OPT_VAL(O_LABOUR) },
	{ "labor", required_argument, NULL, OPT_VAL(O_LABOUR) },
	{ "invoice", required_argument, NULL, OPT_VAL(O_INVOICE) },
	{ "visit", required_argument, NULL, OPT_VAL(O_VISIT) },
	{ "endpoint", required_argument, NULL, OPT_VAL(O_ENDPOINT) },
	{ "events", required_argument, NULL, OPT_VAL(O_EVENTS) },
	{ "key", required_argument, NULL, OPT_VAL(O_KEY) },
	{ "server-key", required_argument, NULL, OPT_VAL(O_SERVER_KEY) },
	{ "actor", required_argument, NULL, OPT_VAL(O_ACTOR) },
	{ "role", required_argument, NULL, OPT_VAL(O_ROLE) },
	{ "color", required_argument, NULL, OPT_VAL(O_COLOR) },
	{ "colour", required_argument, NULL, OPT_VAL(O_COLOR) },
	{ "help", no_argument, NULL, OPT_VAL(O_HELP) },
	{ NULL, 0, NULL, 0 },
};

#define SUBMIT_OPTS                                                                                                    \
	(B(O_UNIT) | B(O_KIND) | B(O_SOURCE) | B(O_TEXT) | B(O_PERSON) | B(O_PHONE) | B(O_PRIORITY) | B(O_CATEGORY) |  \
	 B(O_TAG) | B(O_FEE) | B(O_ABOUT) | B(O_ASSET))
#define COMPLAINT_OPTS (B(O_CAUSE) | B(O_CORRECTIVE))
#define COST_OPTS (B(O_PART) | B(O_LABOUR) | B(O_INVOICE)) /* issue 19 */

struct command {
	const char *name;
	uint64_t allowed;       /* B(enum desk_opt) */
	int min_args, max_args; /* positional arguments */
	const char *args_hint;  /* for the usage error */
	int (*run)(dc_t *dc, const struct desk_opts *o);
	Dispatch__Role role; /* acts as this role unless --role says */
};

#define DESK DISPATCH__ROLE__ROLE_DESK
#define QC DISPATCH__ROLE__ROLE_QC

static const struct command commands[] = {
	{ "submit", SUBMIT_OPTS | B(O_REQUEST_ID) | B(O_REPLACES) | B(O_JSON) | B(O_VISIT), 0, 0, "", desk_submit,
	  DESK },
	{ "import", B(O_DRY_RUN) | B(O_JSON), 0, 1, "at most one FILE", desk_import, DESK },
	{ "show", B(O_JSON), 1, 1, "one ticket id", desk_show, DESK },
	{ "list",
	  B(O_CREW) | B(O_MEMBER) | B(O_KIND) | B(O_UNIT) | B(O_OVERDUE) | B(O_AT) | B(O_ALL) | B(O_LIMIT) | B(O_JSON) |
		  B(O_TEXT) | B(O_PERSON) | B(O_PHONE) | B(O_CATEGORY) | B(O_FROM) | B(O_UNTIL) | B(O_STATE) |
		  B(O_AFTER) | B(O_CSV),
	  0, 0, "", desk_list, DESK },
	{ "close", B(O_NOTE) | COMPLAINT_OPTS, 1, 1, "one ticket id", desk_close, DESK },
	{ "cancel", B(O_REASON), 1, 1, "one ticket id", desk_cancel, DESK },
	{ "assign", B(O_MEMBER) | B(O_NOTE) | B(O_REASON), 1, 1, "one ticket id", desk_assign, DESK },
	{ "reassign", B(O_MEMBER) | B(O_NOTE) | B(O_REASON), 1, 1, "one ticket id", desk_assign, DESK },
	{ "accept", B(O_NOTE), 1, 1, "one ticket id", desk_accept, DESK },
	{ "arrive", B(O_NOTE), 1, 1, "one ticket id", desk_arrive, DESK },
	{ "resolve", B(O_NOTE) | B(O_PARTS) | B(O_CHARGED) | COMPLAINT_OPTS | COST_OPTS, 1, 1, "one ticket id",
	  desk_resolve, DESK },
	{ "hold", B(O_REASON) | B(O_NOTE) | B(O_VISIT), 1, 1, "one ticket id", desk_hold, DESK },
	{ "visit", B(O_NOTE), 2, 2, "one ticket id and a window FROM/TO", desk_visit, DESK }, /* issue 19 */
	{ "resume", B(O_NOTE), 1, 1, "one ticket id", desk_resume, DESK },
	{ "follow-up", B(O_SCORE) | B(O_REMARK), 1, 1, "one ticket id", desk_follow_up, DESK },
	/* Inspections are the quality-control group's (clause 3.1). */
	{ "inspect", B(O_PASS) | B(O_FAIL) | B(O_REMARK), 1, 1, "one ticket id", desk_inspect, QC },
	{ "consent", B(O_NOTE), 1, 1, "one ticket id", desk_consent, DESK },
	{ "unlink", B(O_NOTE), 1, 1, "one ticket id", desk_unlink, DESK },
	{ "vendor-flag", B(O_NOTE), 1, 1, "one ticket id", desk_vendor_flag, DESK },
	{ "vendor-review", B(O_NOTE), 1, 1, "one ticket id", desk_vendor_review, QC },
	{ "vendor-incidents", B(O_VENDOR) | B(O_UNREVIEWED) | B(O_JSON), 0, 0, "", desk_vendor_incidents, DESK },
	{ "notice", B(O_TEXT) | B(O_KIND) | B(O_FROM) | B(O_UNTIL) | B(O_BUILDING) | B(O_JSON), 0, 0, "", desk_notice,
	  DESK },
	{ "crews", B(O_CREW) | B(O_JSON), 0, 0, "", desk_crews, DESK },
	{ "explain", SUBMIT_OPTS | B(O_JSON), 0, 0, "", desk_explain, DESK },
	{ "outage declare",
	  B(O_TEXT) | B(O_BUILDING) | B(O_ZONE) | B(O_UNIT) | B(O_KIND) | B(O_CATEGORY) | B(O_FROM) | B(O_UNTIL) |
		  B(O_JSON),
	  0, 0, "", desk_outage_declare, DESK },
	{ "outage end", B(O_NOTE) | B(O_JSON), 1, 1, "one outage id", desk_outage_end, DESK },
	{ "outage list", B(O_ALL) | B(O_JSON), 0, 0, "", desk_outage_list, DESK },
	{ "ping", 0, 0, 0, "", NULL, DESK },
	/* issue 19: the equipment register */
	{ "asset list", B(O_KIND) | B(O_BUILDING) | B(O_VENDOR) | B(O_JSON), 0, 0, "", desk_asset_list, DESK },
	{ "asset show", B(O_JSON) | B(O_LIMIT), 1, 1, "one asset id", desk_asset_show, DESK },
};

int desk_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, DESK_PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; try '" DESK_PROG " --help'\n");
	return DC_EXIT_USAGE;
}

int desk_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
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

int desk_id_arg(const char *s, const char *what, uint64_t *id)
{
	unsigned long long v;
	char msg[128];

	if (desk_parse_uint(s, UINT64_MAX, &v) < 0 || v == 0) {
		snprintf(msg, sizeof msg, "'%%s' is not %s (a positive number)", what);
		desk_usage(msg, s);
		return -1;
	}
	*id = v;
	return 0;
}

int desk_call(dc_t *dc, const Dispatch__Request *req, Dispatch__Reply **reply)
{
	int rc = dc_request(dc, req, reply);

	if (rc < 0) {
		fprintf(stderr, DESK_PROG ": %s\n", dc_error(dc));
		return dc_err_exit(rc);
	}
	if ((*reply)->status != DISPATCH__STATUS__STATUS_OK) {
		rc = dc_report(stderr, DESK_PROG, *reply);
		dispatch__reply__free_unpacked(*reply, NULL);
		*reply = NULL;
		return rc;
	}
	return 0;
}

int desk_estate_clock(dc_t *dc, int64_t *now)
{
	int rc = dc_estate_clock(dc, now);

	if (rc < 0) {
		fprintf(stderr, DESK_PROG ": %s\n", dc_error(dc));
		return dc_err_exit(rc);
	}
	return 0;
}

int desk_print_json(json_t *v)
{
	int rc = 0;

	if (!v || json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
		fprintf(stderr, DESK_PROG ": cannot encode the answer as JSON (out of memory?)\n");
		rc = DC_EXIT_UNAVAILABLE;
	} else {
		putchar('\n');
	}
	json_decref(v);
	return rc;
}

static int cmd_ping(dc_t *dc)
{
	Dispatch__Reply *r = NULL;
	char estate[256];
	int rc = dc_ping(dc, &r);

	if (rc < 0) {
		fprintf(stderr, DESK_PROG ": %s\n", dc_error(dc));
		return dc_err_exit(rc);
	}
	if (r->status != DISPATCH__STATUS__STATUS_OK) {
		rc = dc_report(stderr, DESK_PROG, r);
		goto out;
	}
	printf("dispatchd at %s: estate \"%s\", last seq %" PRIu64 "\n", dc_request_endpoint(dc),
	       dc_clean(r->estate, estate, sizeof estate), r->last_seq);
out:
	dispatch__reply__free_unpacked(r, NULL);
	return rc;
}

static int multi_add(struct desk_multi *m, const char *name, const char *v)
{
	if (m->n == DESK_MULTI_MAX)
		return desk_usage("too many --%s options (at most 32)", name);
	m->v[m->n++] = v;
	return 0;
}

/* An amount of money for --fee or --charged, in cents. */
static int money_arg(const char *name, const char *s, int64_t *out)
{
	char msg[160];

	if (dc_cents_parse(s, out) == 0)
		return 0;
	snprintf(msg, sizeof msg,
		 "--%s wants an amount in HK dollars such as 350 or 350.50 "
		 "(no sign, at most two decimals), not '%%s'",
		 name);
	return desk_usage(msg, s);
}

static int parse_args(int argc, char **argv, struct desk_opts *o, uint64_t *given, const char **color, const char **cmd)
{
	int c;

	opterr = 0; /* our own messages, with our name rather than argv[0] */
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		unsigned long long v;
		int rc = 0;

		if (c >= OPT_VAL(0) && c < OPT_VAL(O_N_SCOPED))
			*given |= B(c - OPT_VAL(0));
		switch (c) {
		case OPT_VAL(O_ENDPOINT): o->endpoint = optarg; break;
		case OPT_VAL(O_EVENTS): o->events = optarg; break;
		case OPT_VAL(O_KEY): o->key = optarg; break;
		case OPT_VAL(O_SERVER_KEY): o->server_key = optarg; break;
		case OPT_VAL(O_ACTOR): o->actor = optarg; break;
		case OPT_VAL(O_COLOR): *color = optarg; break;
		case OPT_VAL(O_HELP): fputs(usage_text, stdout); exit(DC_EXIT_OK);
		case OPT_VAL(O_ROLE):
			*given |= B(O_ROLE);
			if (dc_role_parse(optarg, &o->role) < 0)
				return desk_usage("unknown role '%s' (desk, supervisor, qc, monitor, admin)", optarg);
			break;
		case OPT_VAL(O_UNIT): rc = multi_add(&o->unit, "unit", optarg); break;
		case OPT_VAL(O_KIND): rc = multi_add(&o->kind, "kind", optarg); break;
		case OPT_VAL(O_CATEGORY): rc = multi_add(&o->category, "category", optarg); break;
		case OPT_VAL(O_TAG): rc = multi_add(&o->tag, "tag", optarg); break;
		case OPT_VAL(O_BUILDING): rc = multi_add(&o->building, "building", optarg); break;
		case OPT_VAL(O_ZONE): rc = multi_add(&o->zone, "zone", optarg); break;
		case OPT_VAL(O_SOURCE): o->source = optarg; break;
		case OPT_VAL(O_TEXT): o->text = optarg; break;
		case OPT_VAL(O_PERSON): o->person = optarg; break;
		case OPT_VAL(O_PHONE): o->phone = optarg; break;
		case OPT_VAL(O_CREW): o->crew = optarg; break;
		case OPT_VAL(O_MEMBER): o->member = optarg; break;
		case OPT_VAL(O_ALL): o->all = 1; break;
		case OPT_VAL(O_JSON): o->json = 1; break;
		case OPT_VAL(O_OVERDUE): o->overdue = 1; break;
		case OPT_VAL(O_DRY_RUN): o->dry_run = 1; break;
		case OPT_VAL(O_NOTE): o->note = optarg; break;
		case OPT_VAL(O_REASON): o->reason = optarg; break;
		case OPT_VAL(O_AT): o->at = optarg; break;
		case OPT_VAL(O_FROM): o->from = optarg; break;
		case OPT_VAL(O_UNTIL): o->until = optarg; break;
		case OPT_VAL(O_REQUEST_ID): o->request_id = optarg; break;
		case OPT_VAL(O_REMARK): o->remark = optarg; break;
		case OPT_VAL(O_VENDOR): o->vendor = optarg; break;
		case OPT_VAL(O_UNREVIEWED): o->unreviewed = 1; break;
		case OPT_VAL(O_ABOUT): o->about = optarg; break;
		case OPT_VAL(O_CAUSE): o->cause = optarg; break;
		case OPT_VAL(O_CORRECTIVE): o->corrective = optarg; break;
		case OPT_VAL(O_PARTS): o->parts = optarg; break;
		case OPT_VAL(O_FEE): rc = money_arg("fee", optarg, &o->fee_cents); break;
		case OPT_VAL(O_CHARGED): rc = money_arg("charged", optarg, &o->charged_cents); break;
		case OPT_VAL(O_PASS):
		case OPT_VAL(O_FAIL):
			if (o->inspection)
				return desk_usage("%s", "give one of --pass and --fail");
			o->inspection = c == OPT_VAL(O_PASS) ? DISPATCH__INSPECTION_RESULT__INSPECTION_PASS
							     : DISPATCH__INSPECTION_RESULT__INSPECTION_FAIL;
			break;
		case OPT_VAL(O_SCORE):
			if (desk_parse_uint(optarg, 5, &v) < 0 || v < 1)
				return desk_usage("--score is the resident's satisfaction, 1 (very unhappy) to "
						  "5 (very happy), not '%s'",
						  optarg);
			o->score = (unsigned)v;
			break;
		case OPT_VAL(O_PRIORITY):
			if (desk_parse_uint(optarg, 5, &v) < 0 || v < 1)
				return desk_usage("--priority must be 1 (urgent) to 5 (low), not '%s'", optarg);
			o->priority = (unsigned)v;
			break;
		case OPT_VAL(O_STATE): rc = multi_add(&o->state, "state", optarg); break;
		case OPT_VAL(O_CSV): o->csv = 1; break;
		case OPT_VAL(O_ASSET): o->asset = optarg; break;
		case OPT_VAL(O_VISIT): o->visit = optarg; break;
		case OPT_VAL(O_PART): rc = multi_add(&o->part, "part", optarg); break;
		case OPT_VAL(O_LABOUR): o->labour = optarg; break;
		case OPT_VAL(O_INVOICE): rc = money_arg("invoice", optarg, &o->invoice_cents); break;
		case OPT_VAL(O_AFTER):
			if (desk_parse_uint(optarg, UINT64_MAX, &v) < 0 || v == 0)
				return desk_usage("--after needs a ticket id (from a \"more: use --after ID\" line), "
						  "not '%s'",
						  optarg);
			o->after = v;
			break;
		case OPT_VAL(O_REPLACES):
			if (desk_parse_uint(optarg, UINT64_MAX, &v) < 0 || v == 0)
				return desk_usage("--replaces needs a ticket id, not '%s'", optarg);
			o->replaces = v;
			break;
		case OPT_VAL(O_LIMIT):
			if (desk_parse_uint(optarg, UINT32_MAX, &v) < 0)
				return desk_usage("--limit must be a number, not '%s'", optarg);
			o->limit = (unsigned)v;
			break;
		case ':': return desk_usage("option '%s' needs a value", argv[optind - 1]);
		default: return desk_usage("unknown option '%s'", argv[optind - 1]);
		}
		if (rc)
			return rc;
	}
	if (optind >= argc)
		return desk_usage("%s", "no command given (submit, import, show, list, close, cancel, "
					"assign, hold, resume, follow-up, inspect, consent, notice, "
					"crews, explain, outage, ping)");
	*cmd = argv[optind];
	o->args = argv + optind + 1;
	o->n_args = argc - optind - 1;
	return 0;
}

static const char *opt_name(unsigned id)
{
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++)
		if (lo->val == OPT_VAL((int)id))
			return lo->name;
	return "?";
}

static const struct command *find_command(struct desk_opts *o, const char *word)
{
	char name[64];
	size_t i;

	/* "outage" takes a second word: declare, end or list; "asset": list or show. */
	if (strcmp(word, "outage") == 0 || strcmp(word, "asset") == 0) {
		if (o->n_args < 1) {
			desk_usage(strcmp(word, "asset") == 0 ? "%s needs list or show"
							      : "%s needs declare, end or list",
				   word);
			return NULL;
		}
		snprintf(name, sizeof name, "%s %s", word, o->args[0]);
		o->args++;
		o->n_args--;
		word = name;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, word) == 0)
			return &commands[i];
	if (strcmp(word, "notify") == 0 || strcmp(word, "announce") == 0) {
		desk_usage("unknown command '%s'; an estate notice is 'notice --text T'", word);
		return NULL;
	}
	desk_usage("unknown command '%s'", word);
	return NULL;
}

int main(int argc, char **argv)
{
	struct desk_opts o;
	const struct command *cmd;
	const char *actor, *color = NULL, *word = NULL;
	uint64_t given = 0;
	unsigned id;
	dc_t *dc;
	int rc;

	memset(&o, 0, sizeof o);
	o.role = DISPATCH__ROLE__ROLE_DESK;
	o.fee_cents = -1;
	o.charged_cents = -1;
	o.invoice_cents = -1;
	rc = parse_args(argc, argv, &o, &given, &color, &word);
	if (rc)
		return rc;
	cmd = find_command(&o, word);
	if (!cmd)
		return DC_EXIT_USAGE;
	for (id = 0; id < O_N_SCOPED; id++) {
		if ((given & B(id)) && !(cmd->allowed & B(id))) {
			fprintf(stderr, DESK_PROG ": %s does not take --%s; try '" DESK_PROG " --help'\n", cmd->name,
				opt_name(id));
			return DC_EXIT_USAGE;
		}
	}
	if (o.n_args < cmd->min_args || o.n_args > cmd->max_args) {
		if (cmd->max_args == 0)
			return desk_usage("%s takes no arguments", cmd->name);
		fprintf(stderr, DESK_PROG ": %s takes %s; try '" DESK_PROG " --help'\n", cmd->name, cmd->args_hint);
		return DC_EXIT_USAGE;
	}
	if (!(given & B(O_ROLE)))
		o.role = cmd->role;
	o.color = dc_term_color(STDOUT_FILENO, color);
	if (o.color < 0)
		return desk_usage("--color takes auto, always or never, not '%s'", color);
	dc_term_sgr(&o.c, o.color);
	actor = o.actor;
	if (!actor || !*actor)
		actor = getenv("USER");
	if (!actor || !*actor)
		actor = "desk";
	dc = dc_new(o.endpoint ? o.endpoint : dc_env_endpoint(), o.events ? o.events : dc_env_events(), o.role, actor);
	if (!dc) {
		fprintf(stderr, DESK_PROG ": cannot set up the client (empty endpoint or out of memory)\n");
		return o.endpoint && !*o.endpoint ? DC_EXIT_USAGE : DC_EXIT_UNAVAILABLE;
	}
	if (dc_set_keys(dc, o.key, o.server_key) != DC_OK) {
		fprintf(stderr, DESK_PROG ": %s\n", dc_error(dc));
		dc_destroy(&dc);
		return DC_EXIT_USAGE;
	}
	rc = cmd->run ? cmd->run(dc, &o) : cmd_ping(dc);
	dc_destroy(&dc);
	return rc;
}
