/*
 * report_impl: what the report files share, and nothing outside them
 * includes. report.c holds the shared helpers and the daily work report;
 * report_review.c computes the management review and writes its JSON and
 * CSV; report_review_page.c writes it for people (text, HTML, SVG).
 *
 * Strings a helper returns are in the caller's buffer. A review's figures
 * are owned by the struct review that holds them (review_free()).
 */
#ifndef REPORT_IMPL_H
#define REPORT_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "chain.h"
#include "report.h"

#define REPORT_MONTHS_MAX 240 /* a review covers at most 20 years */
#define REPORT_REPEAT_MIN 3   /* same unit and category this often is a repeat problem */
#define REPORT_TOP 10         /* a long list shows this many in the body, all in the appendix */

/* ---- shared (report.c) ---- */

/* Where in the log a report stands: reproduce it from a copy of the store
 * whose log has this seq with this head. */
struct report_stamp {
	uint64_t last_seq;
	char head[2 * CHAIN_HASH_LEN + 1];
};

int report_stamp(store_t *s, MDB_txn *txn, struct report_stamp *st);
const char *report_fmt_time(int64_t ms, const char *fmt, char *buf, size_t len);
#define REPORT_DAY(ms, buf) report_fmt_time((ms), "%Y-%m-%d", (buf), sizeof(buf))
#define REPORT_MINUTE(ms, buf) report_fmt_time((ms), "%Y-%m-%d %H:%M", (buf), sizeof(buf))
/* A duration for people: "45s", "12m 05s", "3h 05m", "2d 04h"; "-" below 0. */
const char *report_dur(int64_t ms, char *buf, size_t len);
/* "KIND_REPAIR" -> "repair". */
const char *report_enum(const ProtobufCEnumDescriptor *d, int value, char *buf, size_t len);
#define REPORT_KIND(k, buf) report_enum(&dispatch__kind__descriptor, (k), (buf), sizeof(buf))
#define REPORT_STATE(st, buf) report_enum(&dispatch__state__descriptor, (st), (buf), sizeof(buf))
/* One CSV field (quoted when needed), then ',' or, if last, '\n'. */
void report_csv(FILE *f, const char *s, bool last);
/* A CSV row from a printf-like list of fields separated by '\x1f'. */
void report_csv_row(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text for HTML and SVG. */
void report_xml(FILE *f, const char *s);
char *report_strdup(const char *s); /* NULL -> "" */
int report_width(const char *s);    /* display cells of UTF-8 text */
void report_pad(FILE *f, const char *s, int width);
void report_sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* The header fields of a packed Event, read straight from the protobuf
 * wire format without decoding the ticket snapshot: a year's log is
 * scanned in milliseconds instead of seconds. Field numbers are those of
 * proto/dispatch.proto. */
struct report_head {
	uint64_t seq, ticket;
	int type, to_state;
	int64_t time_ms;
};

int report_peek(const uint8_t *p, size_t len, struct report_head *h);
bool report_is_open(int st);

/* ---- the management review (report_review.c) ---- */

#define REVIEW_KINDS 8   /* Kind 0..7; 0 = unspecified */
#define REVIEW_RESOLVE 2 /* the deadline of the headline "resolved by the deadline" */

extern const char *const review_deadline_names[4]; /* acknowledge, arrive, resolve, follow-up */

struct review_count {
	char *key;
	uint64_t n;
};

struct review_counts {
	struct review_count *v;
	size_t n, cap;
};

struct review_durs {
	int64_t *v;
	size_t n, cap;
};

/* A complaint, a vendor incident or a repeat problem, as listed. */
struct review_item {
	uint64_t id;
	int64_t created_ms, when_ms;
	char *unit, *who, *state, *a, *b, *c;
	unsigned score;
	bool open; /* a complaint not yet resolved */
};

struct review_items {
	struct review_item *v;
	size_t n, cap;
};

struct review_pair { /* (unit, category) of one ticket: repeat problems */
	char *key;   /* "unit\tcategory" */
	uint64_t id;
};

/* The figures of one month, crew, member, or the whole period. Ticket
 * figures count the tickets reported in it (for a crew or member: those
 * it holds, or held last); satisfaction counts the follow-ups recorded in
 * it (for a crew or member: on tickets it held then). */
struct review_group {
	char *crew, *member; /* a crew's or member's row ("" = the crew's queue); NULL otherwise */
	uint64_t kinds[REVIEW_KINDS];
	uint64_t tickets, open, closed, cancelled, resolved, reopened, complaints;
	struct review_durs ack, arr, res;  /* sorted once the scan is done */
	uint64_t dl_decided[4], dl_met[4]; /* per deadline: met or missed; met */
	uint64_t every_decided, every_met; /* tickets with a decided deadline; those that missed none */
	uint64_t sat[6];                   /* follow-ups by score 1..5 */
	int64_t paid_charged;              /* cents */
};

struct review_groups {
	struct review_group *v;
	size_t n, cap;
};

/* Issue 19 (report_cost.c): what the work cost, summed by one key, and
 * the repeat failures per asset. */
struct review_cost {
	char *key;
	uint64_t n, minutes;
	int64_t cents, parts, labour, invoice;
};

struct review_costs {
	struct review_cost *v;
	size_t n, cap;
	size_t *slot; /* open addressing over v by key (index + 1; 0 free): a year names thousands of assets */
	size_t nslot; /* a power of two, at least twice n */
};

struct review_costing {
	struct review_cost total;
	struct review_costs crews, kinds, buildings, assets, vendors; /* costliest first */
	struct review_items repeats;                                  /* unit = the asset, score = repairs, b = ids */
	struct review_pair *pairs;                                    /* (asset, ticket) of each repair */
	size_t npairs, cappairs;
};

struct review {
	int64_t from_ms, to_ms;
	int first_month, nmonths; /* year*12 + month of from_ms; months covered */
	struct review_group all;
	struct review_group months[REPORT_MONTHS_MAX];
	struct review_groups crews, members; /* sorted by crew, then member */
	uint64_t reopens;
	struct review_counts cats, buildings, causes, vendors;
	uint64_t paid, paid_consented, paid_charged_n;
	uint64_t sugg, sugg_praise, sugg_done, sugg_followed; /* suggestions: received, praise, acted on, called back */
	int64_t paid_quoted;
	struct review_items complaints, incidents, repeats; /* complaints by ticket; repeats most first */
	struct review_item **attention;                     /* the complaints that most need attention first */
	struct review_pair *pairs;
	size_t npairs, cappairs;
	struct review *prev;           /* the period of the same length just before, or NULL */
	struct review_costing costing; /* issue 19 */
	/* issue 19, planned work: of the period's tickets, created by a
	 * schedule; with a visit booked; visits the crew missed */
	uint64_t planned, visits, visits_missed;
};

/* Nearest-rank percentile of sorted values; -1 when there are none. */
int64_t review_pct(const struct review_durs *d, int p);
double review_ratio(uint64_t a, uint64_t b);
/* "97.7%", or "-" for b == 0. */
const char *review_pct_str(uint64_t a, uint64_t b, char *buf, size_t len);
/* "HK$12,345.50": an amount for people. */
const char *review_money(int64_t cents, char *buf, size_t len);
/* "12345.50": an amount for a machine (CSV). */
const char *review_money_plain(int64_t cents, char *buf, size_t len);
const char *review_month_name(const struct review *r, int i, char *buf, size_t len); /* "2026-01" */
/* The average score of g's follow-ups (0 with none), their number in *n. */
double review_sat_avg(const struct review_group *g, uint64_t *n);
/* "(queue)" for the member "" */
const char *review_member_name(const struct review_group *g);

/* The headline figures, each this period's against the previous one's. */
enum review_figure_kind { FIG_COUNT, FIG_DURATION, FIG_RATE, FIG_SCORE, FIG_MONEY };

struct review_figure {
	const char *key, *label;
	enum review_figure_kind kind;
	bool has, prev_has; /* defined (a rate of nothing, a median of nothing are not) */
	double value, prev; /* counts, ms, rates 0..1, scores, cents */
};

#define REVIEW_FIGURES 10
void review_headline(const struct review *r, struct review_figure fig[REVIEW_FIGURES]);
/* The figure for people ("97.7%", "1h 08m", "HK$12,345.50"), and its
 * change from the previous period ("+1.2 pts", "-4m 00s", "+20 (+5.3%)"). */
const char *review_figure_str(const struct review_figure *x, bool prev, char *buf, size_t len);
const char *review_change_str(const struct review_figure *x, char *buf, size_t len);

/* Issue 19 (report_cost.c): a ticket into the costs; sorted and the
 * repeat failures found once the scan is done; the sections of each
 * format. */
struct json_t;
void review_cost_ticket(struct review_costing *k, const Dispatch__Ticket *t);
void review_cost_finish(struct review_costing *k);
void review_cost_free(struct review_costing *k);
struct json_t *review_cost_json(const struct review_costing *k);
struct json_t *review_repeat_assets_json(const struct review_costing *k);
void review_cost_csv(FILE *f, const struct review_costing *k);
void review_cost_text(FILE *f, const struct review_costing *k);
void review_cost_html(FILE *f, const struct review_costing *k);
/* The daily report's: what each resolution of the day added (Ticket.cost_round_cents). */
void review_cost_resolved(struct review_costing *k, const Dispatch__Ticket *t);
struct json_t *review_cost_day_json(const struct review_costing *k);
void review_cost_day_text(FILE *f, const struct review_costing *k);
void review_cost_day_csv(FILE *f, const struct review_costing *k);

/* ---- the review for people (report_review_page.c) ---- */

void review_text(const struct review *r, const struct report_opts *o, const struct report_stamp *st);
void review_html(const struct review *r, const struct report_opts *o, const struct report_stamp *st);
void review_svg(const struct review *r, const struct report_opts *o, const struct report_stamp *st);

#endif
