/*
 * hq_view: what head office looks at (issue 18).
 *
 *   live       every estate's events as they are shipped, one line each with
 *              the estate's name (an ordered consumer per estate, from now
 *              on; nothing is acknowledged, head office's copy is not touched)
 *   summary    per estate, from head office's copy: open, overdue, escalated,
 *              held tickets and outages in force, worst first
 *   qc-sample  the quality-control group's inspection sample (clause 3.1):
 *              every ticket an estate's rules marked for inspection and not yet
 *              inspected, and a company sample of finished work across estates
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dc_json.h"
#include "dispatch_client.h"
#include "hq.h"

/* ---- live -------------------------------------------------------------- */

struct live {
	struct hq *h;
	const char *crew, *unit;
	int kind, json;
	pthread_mutex_t mu;
};

struct live_sub {
	struct live *l;
	const struct hq_estate *e;
};

static void live_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct live_sub *ls = closure;
	struct live *l = ls->l;
	Dispatch__Event *ev;
	const Dispatch__Ticket *t;
	const char *crew;

	(void)nc;
	(void)sub;
	ev = dispatch__event__unpack(NULL, (size_t)natsMsg_GetDataLength(msg), (const uint8_t *)natsMsg_GetData(msg));
	natsMsg_Destroy(msg);
	if (ev == NULL)
		return;
	t = ev->ticket;
	crew = ev->crew && ev->crew[0] ? ev->crew : t && t->crew ? t->crew : "";
	if ((l->crew && strcmp(crew, l->crew) != 0) || (l->unit && (t == NULL || strcmp(t->unit, l->unit) != 0)) ||
	    (l->kind && (t == NULL || (int)t->kind != l->kind)))
		goto out;
	pthread_mutex_lock(&l->mu);
	if (l->json) {
		json_t *o = dc_json_event(ev);

		json_object_set_new(o, "estate", json_string(ls->e->id));
		json_object_set_new(o, "estate_name", json_string(ls->e->name));
		dc_json_print(stdout, o);
		json_decref(o);
	} else {
		time_t secs = (time_t)(ev->time_ms / 1000);
		struct tm tm;
		char when[16];

		localtime_r(&secs, &tm);
		strftime(when, sizeof when, "%H:%M:%S", &tm);
		printf("%s  %-24s #%-7" PRIu64 " %-16s", when, ls->e->name, ev->seq, dc_event_type_name(ev->type));
		if (ev->ticket_id)
			printf(" ticket %" PRIu64, ev->ticket_id);
		if (t && t->unit && t->unit[0])
			printf(" unit %s", t->unit);
		if (t)
			printf(" %s", dc_kind_name(t->kind));
		if (crew[0])
			printf(" crew %s", crew);
		if (ev->member && ev->member[0])
			printf(" member %s", ev->member);
		if (ev->note && ev->note[0])
			printf(" \"%.60s\"", ev->note);
		putchar('\n');
	}
	fflush(stdout);
	pthread_mutex_unlock(&l->mu);
out:
	dispatch__event__free_unpacked(ev, NULL);
}

int hq_live(struct hq *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "estate", required_argument, NULL, 'e' },
		{ "group", required_argument, NULL, 'g' },
		{ "crew", required_argument, NULL, 'c' },
		{ "kind", required_argument, NULL, 'k' },
		{ "unit", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct live l = { .h = h };
	const char *estate = NULL, *group = NULL;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	natsSubscription **subs;
	struct live_sub *ls;
	int c, rc = HQ_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': estate = optarg; break;
		case 'g': group = optarg; break;
		case 'c': l.crew = optarg; break;
		case 'u': l.unit = optarg; break;
		case 'j': l.json = 1; break;
		case 'k': {
			Dispatch__Kind k;

			if (dc_kind_parse(optarg, &k) != 0) {
				fprintf(stderr, HQ_PROG ": --kind: unknown kind %s (repair, complaint, ...)\n", optarg);
				return HQ_EXIT_USAGE;
			}
			l.kind = (int)k;
			break;
		}
		default: return HQ_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, HQ_PROG ": live: unexpected argument %s\n", argv[optind]);
		return HQ_EXIT_USAGE;
	}
	if ((rc = hq_select(h, estate, group)) != 0)
		return rc;
	if (hq_connect(h, &nc, &js) != 0)
		return HQ_EXIT_UNAVAILABLE;
	pthread_mutex_init(&l.mu, NULL);
	subs = calloc(h->nsel, sizeof *subs);
	ls = calloc(h->nsel, sizeof *ls);
	dc_stop_on_signals(&hq_stop);
	for (unsigned k = 0; k < h->nsel; k++) {
		const struct hq_estate *e = &h->estates[h->sel[k]];
		jsSubOptions so;
		jsErrCode jerr = 0;

		ls[k].l = &l;
		ls[k].e = e;
		jsSubOptions_Init(&so);
		so.Stream = e->stream;
		so.Ordered = true;
		so.Config.DeliverPolicy = js_DeliverNew;
		if (js_Subscribe(&subs[k], js, e->subject, live_msg, &ls[k], NULL, &so, &jerr) != NATS_OK) {
			fprintf(stderr, HQ_PROG ": estate %s: cannot follow %s: %s\n", e->id, e->stream,
				nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "?");
			rc = HQ_EXIT_UNAVAILABLE;
			goto out;
		}
	}
	fprintf(stderr, HQ_PROG ": live on %u estate(s)\n", h->nsel);
	while (!hq_stop)
		pause();
out:
	for (unsigned k = 0; k < h->nsel; k++)
		if (subs[k]) {
			natsSubscription_Unsubscribe(subs[k]); /* the ordered consumer is ours */
			natsSubscription_Destroy(subs[k]);
		}
	free(subs);
	free(ls);
	jsCtx_Destroy(js);
	natsConnection_Close(nc);
	natsConnection_Destroy(nc);
	return rc;
}

/* ---- summary ----------------------------------------------------------- */

struct tally {
	const struct hq_estate *e;
	uint64_t open, overdue, escalated, held, outages, seq;
	int64_t now;
	store_t *s;
	MDB_txn *txn;
	int ok;
};

static int tally_open(const char *unit, uint64_t id, void *arg)
{
	struct tally *t = arg;
	Dispatch__Ticket *tk = NULL;

	(void)unit;
	if (store_get_ticket(t->s, t->txn, id, &tk) != 0)
		return 0;
	t->open++;
	if (tk->due_ms && tk->due_ms < t->now)
		t->overdue++;
	if (tk->escalated_to && tk->escalated_to[0])
		t->escalated++;
	if (tk->state == DISPATCH__STATE__STATE_ON_HOLD)
		t->held++;
	dispatch__ticket__free_unpacked(tk, NULL);
	return 0;
}

static int tally_outage(Dispatch__Outage *o, void *arg)
{
	struct tally *t = arg;

	if (!o->ended && (o->to_ms == 0 || o->to_ms > t->now))
		t->outages++;
	dispatch__outage__free_unpacked(o, NULL);
	return 0;
}

static int worst_first(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	if (x->overdue != y->overdue)
		return x->overdue > y->overdue ? -1 : 1;
	if (x->escalated != y->escalated)
		return x->escalated > y->escalated ? -1 : 1;
	if (x->outages != y->outages)
		return x->outages > y->outages ? -1 : 1;
	if (x->open != y->open)
		return x->open > y->open ? -1 : 1;
	return strcmp(x->e->id, y->e->id);
}

static void summary_once(struct hq *h, int64_t now, int clear)
{
	struct tally *ts = calloc(h->nsel, sizeof *ts);
	time_t secs = (time_t)(now / 1000);
	struct tm tm;
	char when[32];

	for (unsigned k = 0; k < h->nsel; k++) {
		struct tally *t = &ts[k];

		t->e = &h->estates[h->sel[k]];
		t->now = now;
		if ((t->s = hq_open_copy(h, t->e)) == NULL)
			continue;
		if (store_txn_begin(t->s, NULL, 1, &t->txn) == 0) {
			store_last_seq(t->s, t->txn, &t->seq);
			store_each_index(t->s, t->txn, STORE_OPEN_BY_UNIT, tally_open, t);
			store_outages(t->s, t->txn, tally_outage, t);
			store_txn_abort(t->txn);
			t->ok = 1;
		}
		store_destroy(&t->s);
	}
	qsort(ts, h->nsel, sizeof *ts, worst_first);
	localtime_r(&secs, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	if (clear)
		fputs("\033[H\033[2J", stdout);
	printf("head office: %u estate(s) at %s, worst first\n", h->nsel, when);
	printf("%-20s %-26s %7s %8s %9s %5s %7s %9s\n", "estate", "name", "open", "overdue", "escalated", "held",
	       "outages", "log seq");
	for (unsigned k = 0; k < h->nsel; k++) {
		struct tally *t = &ts[k];

		if (!t->ok) {
			printf("%-20s %-26.26s   (no copy)\n", t->e->id, t->e->name);
			continue;
		}
		printf("%-20s %-26.26s %7" PRIu64 " %8" PRIu64 " %9" PRIu64 " %5" PRIu64 " %7" PRIu64 " %9" PRIu64 "\n",
		       t->e->id, t->e->name, t->open, t->overdue, t->escalated, t->held, t->outages, t->seq);
	}
	fflush(stdout);
	free(ts);
}

int hq_summary(struct hq *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },           { "interval", required_argument, NULL, 'i' },
		{ "estate", required_argument, NULL, 'e' },   { "group", required_argument, NULL, 'g' },
		{ "clock-at", required_argument, NULL, 'C' }, { NULL, 0, NULL, 0 },
	};
	const char *estate = NULL, *group = NULL;
	int c, once = 0, interval = 2, rc;
	int64_t at = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': once = 1; break;
		case 'i':
			interval = atoi(optarg);
			if (interval < 1) {
				fprintf(stderr, HQ_PROG ": --interval wants whole seconds\n");
				return HQ_EXIT_USAGE;
			}
			break;
		case 'e': estate = optarg; break;
		case 'g': group = optarg; break;
		case 'C': {
			struct tm tm = { 0 };
			const char *end = strptime(optarg, "%Y-%m-%dT%H:%M:%S", &tm);

			if (end == NULL || *end) {
				fprintf(stderr, HQ_PROG ": --clock-at wants YYYY-MM-DDTHH:MM:SS (local time)\n");
				return HQ_EXIT_USAGE;
			}
			tm.tm_isdst = -1;
			at = (int64_t)mktime(&tm) * 1000;
			break;
		}
		default: return HQ_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return HQ_EXIT_USAGE;
	if ((rc = hq_select(h, estate, group)) != 0)
		return rc;
	if (once) {
		summary_once(h, at ? at : clock_now_ms(), 0);
		return HQ_EXIT_OK;
	}
	dc_stop_on_signals(&hq_stop);
	while (!hq_stop) {
		summary_once(h, at ? at : clock_now_ms(), isatty(1));
		for (int i = 0; i < interval * 10 && !hq_stop; i++)
			usleep(100 * 1000);
	}
	return HQ_EXIT_OK;
}

/* ---- qc-sample --------------------------------------------------------- */

struct qc {
	const struct hq_estate *e;
	store_t *s;
	MDB_txn *txn;
	unsigned percent;
	int json;
	unsigned long listed;
};

/* The company's pick, the same however often it is asked: by estate and
 * ticket id (FNV-1a), spread evenly over the estates. */
static unsigned company_pick(const char *estate, uint64_t id)
{
	uint64_t h = 1469598103934665603ULL;
	char buf[160];
	int n = snprintf(buf, sizeof buf, "%s:%" PRIu64, estate, id);

	for (int i = 0; i < n; i++) {
		h ^= (unsigned char)buf[i];
		h *= 1099511628211ULL;
	}
	return (unsigned)(h % 100);
}

static int qc_ticket(uint64_t id, void *arg)
{
	struct qc *q = arg;
	Dispatch__Ticket *t = NULL;
	const char *why = NULL;
	int finished;

	if (store_get_ticket(q->s, q->txn, id, &t) != 0)
		return 0;
	finished = t->state == DISPATCH__STATE__STATE_RESOLVED || t->state == DISPATCH__STATE__STATE_CLOSED;
	if (t->inspection_result == DISPATCH__INSPECTION_RESULT__INSPECTION_NONE) {
		if (t->inspection)
			why = "estate's rule";
		else if (finished && q->percent && company_pick(q->e->id, t->id) < q->percent)
			why = "company sample";
	}
	if (why) {
		q->listed++;
		if (q->json) {
			json_t *o = json_object();

			json_object_set_new(o, "estate", json_string(q->e->id));
			json_object_set_new(o, "estate_name", json_string(q->e->name));
			json_object_set_new(o, "why", json_string(why));
			json_object_set_new(o, "ticket", dc_json_ticket(t));
			dc_json_print(stdout, o);
			json_decref(o);
		} else {
			printf("%-16s %-24.24s #%-7" PRIu64 " %-10s %-10s %-14s %-12s %-10s %s\n", q->e->id, q->e->name,
			       t->id, t->unit, dc_kind_name(t->kind), t->crew, t->member, dc_state_name(t->state), why);
		}
	}
	dispatch__ticket__free_unpacked(t, NULL);
	return 0;
}

int hq_qc_sample(struct hq *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "percent", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "estate", required_argument, NULL, 'e' },
		{ "group", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *estate = NULL, *group = NULL;
	int64_t from = 0, to = 0;
	unsigned percent = 5;
	unsigned long total = 0;
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': {
			char *end;
			unsigned long p = strtoul(optarg, &end, 10);

			if (*end || p > 100) {
				fprintf(stderr, HQ_PROG ": --percent wants 0..100\n");
				return HQ_EXIT_USAGE;
			}
			percent = (unsigned)p;
			break;
		}
		case 'f':
		case 't': {
			struct tm tm = { 0 };
			const char *end = strptime(optarg, "%Y-%m-%d", &tm);

			if (end == NULL || *end) {
				fprintf(stderr, HQ_PROG ": --from and --to want YYYY-MM-DD\n");
				return HQ_EXIT_USAGE;
			}
			tm.tm_isdst = -1;
			*(c == 'f' ? &from : &to) = (int64_t)mktime(&tm) * 1000;
			break;
		}
		case 'e': estate = optarg; break;
		case 'g': group = optarg; break;
		case 'j': json = 1; break;
		default: return HQ_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return HQ_EXIT_USAGE;
	if ((rc = hq_select(h, estate, group)) != 0)
		return rc;
	if (!json)
		printf("%-16s %-24s %-8s %-10s %-10s %-14s %-12s %-10s %s\n", "estate", "name", "ticket", "unit",
		       "kind", "crew", "member", "state", "why");
	for (unsigned k = 0; k < h->nsel; k++) {
		struct qc q = { .e = &h->estates[h->sel[k]], .percent = percent, .json = json };

		if ((q.s = hq_open_copy(h, q.e)) == NULL) {
			rc = HQ_EXIT_UNAVAILABLE;
			continue;
		}
		if (store_txn_begin(q.s, NULL, 1, &q.txn) == 0) {
			store_created_tickets(q.s, q.txn, from, to, qc_ticket, &q);
			store_txn_abort(q.txn);
		}
		total += q.listed;
		store_destroy(&q.s);
	}
	if (!json)
		printf("%lu ticket(s) to inspect across %u estate(s) (company sample %u%% of finished work)\n", total,
		       h->nsel, percent);
	return rc;
}
