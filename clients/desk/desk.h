/*
 * desk.h: what the parts of dispatch-desk share. desk.c parses the command
 * line into a struct desk_opts and runs one command; each command lives in
 * the file of its concern (tickets, the procedure's steps, import, roster,
 * outages) and returns the process exit code (enum dc_exit). desk_table.c
 * prints every table.
 */
#ifndef DESK_H
#define DESK_H

#include <stdint.h>

#include "dc_term.h"
#include "dispatch_client.h"

#define DESK_PROG "dispatch-desk"
#define DESK_MULTI_MAX 32 /* values of one repeatable option */

/* A repeatable option's values, in command-line order. */
struct desk_multi {
	const char *v[DESK_MULTI_MAX];
	int n;
};

struct desk_opts {
	const char *endpoint, *events, *actor;
	const char *key, *server_key; /* CURVE key files (tcp endpoints) */
	struct desk_multi unit, kind, category, tag, building, zone;
	const char *source, *text, *person, *phone;
	const char *crew, *member, *note, *reason, *from, *until, *at, *request_id;
	const char *remark, *vendor, *about, *cause, *corrective, *parts;
	int64_t fee_cents, charged_cents; /* -1: not given */
	unsigned priority, limit, score;  /* score 0: not given */
	uint64_t replaces;                /* submit --replaces: 0 = not given */
	int all, json, overdue, dry_run, unreviewed;
	Dispatch__InspectionResult inspection; /* --pass / --fail */
	Dispatch__Role role;
	struct dc_term_sgr c; /* colours for stdout (empty strings when off) */
	int color;
	char **args; /* positional arguments after the command */
	int n_args;
	struct desk_multi state; /* list --state */
	uint64_t after;          /* list --after: ids below this one (0: from the newest) */
	int csv;                 /* list --csv */
	/* issue 19: equipment and costs */
	const char *asset;      /* submit --asset */
	struct desk_multi part; /* resolve --part ITEM:QTY[:PRICE] */
	const char *labour;     /* resolve --labour MINUTES */
	int64_t invoice_cents;  /* resolve --invoice AMOUNT; -1: not given */
	const char *visit;      /* submit/hold --visit FROM/TO (issue 19) */
};

/* Print "dispatch-desk: <fmt with arg>; try ..." and return DC_EXIT_USAGE. */
int desk_usage(const char *fmt, const char *arg);

/* Send req. 0 with *reply set (status OK), or the exit code after one
 * line on stderr saying why (the reply is freed then). */
int desk_call(dc_t *dc, const Dispatch__Request *req, Dispatch__Reply **reply);
/* Before reading a time the operator typed: the estate's zone and the
 * daemon's now (dc_estate_clock) into *now. 0, or the exit code (printed). */
int desk_estate_clock(dc_t *dc, int64_t *now);

/* Parse a positive ticket or outage id; prints a usage error and returns
 * -1 if s is not one. */
int desk_id_arg(const char *s, const char *what, uint64_t *id);

/* Parse a number 0..max; -1 if s is not one. */
int desk_parse_uint(const char *s, unsigned long long max, unsigned long long *out);

/* Print a JSON value, or say it could not be made; returns an exit code. */
struct json_t;
int desk_print_json(struct json_t *v);

/* Where a submitted ticket went: the rest of a "ticket N submitted: "
 * line, then a line for each link and the outage text, if any. */
void desk_print_destination(const Dispatch__Ticket *t, const char *message);
/* The resident's page of a submission's reply (issue 17): a line, or its
 * keys resident_token and resident_url in a JSON object. */
void desk_print_resident(const Dispatch__Reply *r);
void desk_json_resident(struct json_t *j, const Dispatch__Reply *r);

/* A table: headings, then one row per call of row(ctx, i, cells, colors),
 * which sets cells[0..n_cols-1] (NULL prints "-") and may set colors[c]
 * to an SGR sequence of o->c (they start as ""). */
#define DESK_TABLE_MAX_COLS 16
struct desk_table {
	const char *const *names;
	int n_cols;
	const char *indent; /* before every line (NULL: none) */
	int last_max;       /* the last column is cut to this width (0: never) */
	void (*row)(const void *ctx, size_t i, const char **cells, const char **colors);
	const void *ctx;
	size_t n_rows;
};
void desk_table_print(const struct desk_opts *o, const struct desk_table *t);
/* The same, each line fitted into max_width columns (0: no limit): the
 * last column (the free text) is cut first, then columns that hold
 * nothing but "-" are left out, then the columns with cut[c] set (NULL:
 * none) are cut, widest first, then the gaps narrow and the last column
 * is cut further. */
void desk_table_print_fit(const struct desk_opts *o, const struct desk_table *t, int max_width, const int *cut);

/* Send one Transition for the ticket id in o->args[0] (tr->ticket_id is
 * set here) and print what became of the ticket. Returns an exit code. */
int desk_transition(dc_t *dc, const struct desk_opts *o, Dispatch__Transition *tr);

/* The commands. */
int desk_submit(dc_t *dc, const struct desk_opts *o);
int desk_show(dc_t *dc, const struct desk_opts *o);
int desk_list(dc_t *dc, const struct desk_opts *o);
int desk_close(dc_t *dc, const struct desk_opts *o);
int desk_cancel(dc_t *dc, const struct desk_opts *o);
int desk_assign(dc_t *dc, const struct desk_opts *o);
int desk_resolve(dc_t *dc, const struct desk_opts *o);
int desk_accept(dc_t *dc, const struct desk_opts *o);
int desk_arrive(dc_t *dc, const struct desk_opts *o);
int desk_hold(dc_t *dc, const struct desk_opts *o);
/* Issue 19 (desk_visit.c): book a visit window; parse FROM/TO (local,
 * the estate's zone: the daemon is asked) into unix ms. */
int desk_visit(dc_t *dc, const struct desk_opts *o);
int desk_visit_arg(dc_t *dc, const char *what, const char *s, int64_t *from, int64_t *to);
int desk_resume(dc_t *dc, const struct desk_opts *o);
int desk_follow_up(dc_t *dc, const struct desk_opts *o);
int desk_inspect(dc_t *dc, const struct desk_opts *o);
int desk_consent(dc_t *dc, const struct desk_opts *o);
int desk_unlink(dc_t *dc, const struct desk_opts *o);
int desk_vendor_flag(dc_t *dc, const struct desk_opts *o);
int desk_vendor_review(dc_t *dc, const struct desk_opts *o);
int desk_vendor_incidents(dc_t *dc, const struct desk_opts *o);
int desk_notice(dc_t *dc, const struct desk_opts *o);
int desk_import(dc_t *dc, const struct desk_opts *o);
int desk_crews(dc_t *dc, const struct desk_opts *o);
int desk_explain(dc_t *dc, const struct desk_opts *o);
int desk_outage_declare(dc_t *dc, const struct desk_opts *o);
int desk_outage_end(dc_t *dc, const struct desk_opts *o);
int desk_outage_list(dc_t *dc, const struct desk_opts *o);

/* Issue 19 (desk_asset.c): the asset commands; a resolve's --part,
 * --labour and --invoice into tr (the parts live in k); the cost lines of
 * show. */
struct desk_costs {
	Dispatch__CostPart parts[DESK_MULTI_MAX];
	Dispatch__CostPart *ptrs[DESK_MULTI_MAX];
	char items[DESK_MULTI_MAX][72];
};
int desk_asset_list(dc_t *dc, const struct desk_opts *o);
int desk_asset_show(dc_t *dc, const struct desk_opts *o);
int desk_cost_opts(const struct desk_opts *o, Dispatch__Transition *tr, struct desk_costs *k);
void desk_print_costs(const Dispatch__Ticket *t);

/* A Submit from the options, shared by submit and explain. Strings point
 * into o; tags into o too. Returns 0 or the usage exit code. */
int desk_submit_from_opts(const struct desk_opts *o, const char *cmd, Dispatch__Submit *sub);

#endif
