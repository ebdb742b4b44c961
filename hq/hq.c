/*
 * dispatch-hq: head office above the estates (issue 18).
 *
 *   init       create each estate's stream (replicated, duplicate window,
 *              nothing deleted but by age) and head office's durable consumer
 *   consume    the durable consumer: every estate's records into head
 *              office's copy of that estate (hq_store.h), acknowledged
 *              only once committed, so a restart resumes where it stopped
 *              and a redelivery is recognised by its seq and not applied twice
 *   status     each copy's position and chain head
 *   verify     each copy's hash chain and invariants (dispatchd --verify's code)
 *   report     the daily work report and the management review (dispatchd's
 *              report code over head office's copy), per estate
 *   live, summary, qc-sample   hq_view.c
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "clock.h"
#include "dispatch_client.h"
#include "hq.h"
#include "hq_store.h"
#include "report.h"
#include "verify.h"

volatile sig_atomic_t hq_stop;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " HQ_PROG " --config FILE COMMAND [OPTIONS]\n"
		"Head office: every estate's event log, shipped by dispatch-ship to NATS JetStream.\n"
		"\n"
		"commands:\n"
		"  init                      create each estate's stream and head office's consumer\n"
		"  consume [--lag-log FILE]  keep head office's copy of every estate up to date (a service);\n"
		"                            --lag-log: each event's lag from the estate's commit (benchmark)\n"
		"  status                    each estate's copy: last seq and chain head\n"
		"  live [--estate ID] [--group G] [--crew C] [--kind K] [--unit U] [--json]\n"
		"                            the live event stream of all estates, one line each\n"
		"  summary [--once] [--interval S]\n"
		"                            per estate: open, overdue, escalated, held, outages; worst first\n"
		"  report daily|review [--estate ID | --group G] [--date D | --from D --to D]\n"
		"         [--format text|csv|csv-wide|json|html|svg] [--clock-at YYYY-MM-DDTHH:MM:SS]\n"
		"                            the estate's reports over head office's copy, one per estate\n"
		"  verify [--estate ID | --group G]\n"
		"                            each estate's hash chain and records; names a changed estate and event\n"
		"  qc-sample [--percent P] [--from D --to D] [--estate ID | --group G] [--json]\n"
		"                            the quality-control group's inspection sample across estates\n"
		"\n"
		"The configuration (see dispatch-hq(8)):\n"
		"  servers = nats://hq1:4222, nats://hq2:4222\n"
		"  user = hq   password-file = FILE   (or creds / nkey-seed; tls-ca, tls-cert, tls-key)\n"
		"  store = /var/lib/dispatch-hq       head office's copies, one directory per estate\n"
		"  estate = ID Name of the estate     one line per estate\n"
		"  group = NAME ID ID ...             estates reported together\n"
		"  replicas = 3   duplicates = 600    keep-days = 0   (init: the streams' settings)\n"
		"\n"
		"Exit: 0 ok, 1 refused or a check failed, 2 usage, 3 the servers or a copy cannot be used.\n");
}

/* ---- configuration ----------------------------------------------------- */

static int own_key(const char *key, const char *val, void *arg, char *err, size_t errlen)
{
	struct hq *h = arg;

	if (strcmp(key, "store") == 0) {
		free(h->store_dir);
		h->store_dir = strdup(val);
	} else if (strcmp(key, "estate") == 0) {
		char id[128];
		const char *rest;
		size_t n = strcspn(val, " \t");

		if (n == 0 || n >= sizeof id) {
			snprintf(err, errlen, "estate wants \"ID Name of the estate\"");
			return -2;
		}
		memcpy(id, val, n);
		id[n] = '\0';
		if (!nconf_valid_id(id)) {
			snprintf(err, errlen, "estate id \"%s\": 1-64 letters, digits, '-' or '_'", id);
			return -2;
		}
		for (unsigned i = 0; i < h->nestates; i++)
			if (strcmp(h->estates[i].id, id) == 0) {
				snprintf(err, errlen, "estate %s is listed twice", id);
				return -2;
			}
		rest = val + n;
		rest += strspn(rest, " \t");
		h->estates = realloc(h->estates, (h->nestates + 1) * sizeof *h->estates);
		struct hq_estate *e = &h->estates[h->nestates++];
		memset(e, 0, sizeof *e);
		e->id = strdup(id);
		e->name = strdup(*rest ? rest : id);
		nconf_stream(e->stream, sizeof e->stream, id);
		nconf_subject(e->subject, sizeof e->subject, id);
	} else if (strcmp(key, "group") == 0) {
		char *copy = strdup(val), *save = NULL, *w = strtok_r(copy, " \t", &save);
		struct hq_group g = { 0 };

		if (w == NULL) {
			free(copy);
			snprintf(err, errlen, "group wants \"NAME ID ID ...\"");
			return -2;
		}
		g.name = strdup(w);
		while ((w = strtok_r(NULL, " \t,", &save)) != NULL) {
			g.ids = realloc(g.ids, (g.n + 1) * sizeof *g.ids);
			g.ids[g.n++] = strdup(w);
		}
		free(copy);
		h->groups = realloc(h->groups, (h->ngroups + 1) * sizeof *h->groups);
		h->groups[h->ngroups++] = g;
	} else if (strcmp(key, "replicas") == 0) {
		h->replicas = atoi(val);
		if (h->replicas < 1 || h->replicas > 5) {
			snprintf(err, errlen, "replicas wants 1..5 (3 for a 3-server cluster)");
			return -2;
		}
	} else if (strcmp(key, "duplicates") == 0) {
		h->duplicates_s = atoll(val);
		if (h->duplicates_s < 1) {
			snprintf(err, errlen, "duplicates wants the duplicate window in seconds");
			return -2;
		}
	} else if (strcmp(key, "keep-days") == 0) {
		h->keep_days = atoll(val);
		if (h->keep_days < 0) {
			snprintf(err, errlen, "keep-days wants days (0: keep for ever)");
			return -2;
		}
	} else {
		return -1;
	}
	return 0;
}

static int load_config(struct hq *h, const char *path)
{
	char err[1024];

	h->replicas = 3;
	h->duplicates_s = 600;
	if (nconf_read(path, &h->nc, own_key, h, err, sizeof err) != 0) {
		fprintf(stderr, HQ_PROG ": %s\n", err);
		return -1;
	}
	if (h->store_dir == NULL) {
		fprintf(stderr, HQ_PROG ": %s: needs \"store = DIR\" (head office's copies)\n", path);
		return -1;
	}
	if (h->nestates == 0) {
		fprintf(stderr, HQ_PROG ": %s: lists no estate (\"estate = ID Name\")\n", path);
		return -1;
	}
	for (unsigned g = 0; g < h->ngroups; g++)
		for (unsigned i = 0; i < h->groups[g].n; i++) {
			unsigned j;

			for (j = 0; j < h->nestates; j++)
				if (strcmp(h->estates[j].id, h->groups[g].ids[i]) == 0)
					break;
			if (j == h->nestates) {
				fprintf(stderr, HQ_PROG ": %s: group %s names estate %s, which is not listed\n", path,
					h->groups[g].name, h->groups[g].ids[i]);
				return -1;
			}
		}
	return 0;
}

int hq_select(struct hq *h, const char *estate, const char *group)
{
	free(h->sel);
	h->sel = calloc(h->nestates, sizeof *h->sel);
	h->nsel = 0;
	if (estate && group) {
		fprintf(stderr, HQ_PROG ": --estate or --group, not both\n");
		return HQ_EXIT_USAGE;
	}
	if (estate) {
		for (unsigned i = 0; i < h->nestates; i++)
			if (strcmp(h->estates[i].id, estate) == 0)
				h->sel[h->nsel++] = i;
		if (h->nsel == 0) {
			fprintf(stderr, HQ_PROG ": no estate %s in the configuration\n", estate);
			return HQ_EXIT_REFUSED;
		}
		return 0;
	}
	if (group) {
		for (unsigned g = 0; g < h->ngroups; g++) {
			if (strcmp(h->groups[g].name, group) != 0)
				continue;
			for (unsigned i = 0; i < h->groups[g].n; i++)
				for (unsigned j = 0; j < h->nestates; j++)
					if (strcmp(h->estates[j].id, h->groups[g].ids[i]) == 0)
						h->sel[h->nsel++] = j;
			return 0;
		}
		fprintf(stderr, HQ_PROG ": no group %s in the configuration\n", group);
		return HQ_EXIT_REFUSED;
	}
	for (unsigned i = 0; i < h->nestates; i++)
		h->sel[h->nsel++] = i;
	return 0;
}

void hq_estate_dir(const struct hq *h, const struct hq_estate *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", h->store_dir, e->id);
}

store_t *hq_open_copy(const struct hq *h, const struct hq_estate *e)
{
	char dir[4096], err[1024];
	store_t *s;

	if (mkdir(h->store_dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, HQ_PROG ": cannot create %s: %s\n", h->store_dir, strerror(errno));
		return NULL;
	}
	hq_estate_dir(h, e, dir, sizeof dir);
	if ((s = store_open(dir, 0, err, sizeof err)) == NULL)
		fprintf(stderr, HQ_PROG ": head office's copy of estate %s: %s\n", e->id, err);
	return s;
}

int hq_connect(const struct hq *h, natsConnection **nc, jsCtx **js)
{
	char err[1024];
	jsOptions o;

	if (nconf_connect(&h->nc, HQ_PROG, NULL, nc, err, sizeof err) != 0) {
		fprintf(stderr, HQ_PROG ": %s\n", err);
		return -1;
	}
	jsOptions_Init(&o);
	o.Wait = 10000;
	if (natsConnection_JetStream(js, *nc, &o) != NATS_OK) {
		fprintf(stderr, HQ_PROG ": cannot use JetStream: %s\n", nats_GetLastError(NULL));
		natsConnection_Destroy(*nc);
		*nc = NULL;
		return -1;
	}
	return 0;
}

static void hq_disconnect(natsConnection **nc, jsCtx **js)
{
	if (*js)
		jsCtx_Destroy(*js);
	*js = NULL;
	if (*nc) {
		natsConnection_Close(*nc);
		natsConnection_Destroy(*nc);
	}
	*nc = NULL;
}

/* ---- init -------------------------------------------------------------- */

static void consumer_config(const struct hq_estate *e, jsConsumerConfig *cc, char *deliver, size_t len)
{
	snprintf(deliver, len, "hq.deliver.%s", e->id);
	jsConsumerConfig_Init(cc);
	cc->Durable = HQ_DURABLE;
	cc->DeliverSubject = deliver;
	cc->DeliverPolicy = js_DeliverAll;
	cc->AckPolicy = js_AckExplicit;
	cc->AckWait = 5LL * 1000000000; /* a message not acknowledged in 5 s comes again */
	cc->MaxAckPending = 20000;
	cc->FlowControl = true;
	cc->Heartbeat = 2LL * 1000000000;
	cc->Description = "head office's copy (dispatch-hq consume)";
}

static int cmd_init(struct hq *h)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	int rc = HQ_EXIT_OK;

	if (hq_connect(h, &nc, &js) != 0)
		return HQ_EXIT_UNAVAILABLE;
	for (unsigned i = 0; i < h->nestates; i++) {
		struct hq_estate *e = &h->estates[i];
		jsStreamConfig sc;
		jsConsumerConfig cc;
		jsStreamInfo *si = NULL;
		jsConsumerInfo *ci = NULL;
		jsErrCode jerr = 0;
		const char *subjects[1] = { e->subject };
		char deliver[160];
		natsStatus s;

		jsStreamConfig_Init(&sc);
		sc.Name = e->stream;
		sc.Subjects = subjects;
		sc.SubjectsLen = 1;
		sc.Storage = js_FileStorage;
		sc.Replicas = h->replicas;
		sc.Duplicates = h->duplicates_s * 1000000000LL;
		sc.MaxAge = h->keep_days * 86400LL * 1000000000LL;
		sc.DenyDelete = true; /* head office's copy is the estate's record: no edits */
		sc.DenyPurge = true;
		s = js_AddStream(&si, js, &sc, NULL, &jerr);
		if (s != NATS_OK && jerr == JSStreamNameExistErr) {
			jerr = 0;
			s = js_UpdateStream(&si, js, &sc, NULL, &jerr);
		}
		if (s != NATS_OK) {
			fprintf(stderr, HQ_PROG ": cannot create stream %s for estate %s: %s (%d)\n", e->stream, e->id,
				nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s), (int)jerr);
			rc = HQ_EXIT_UNAVAILABLE;
			continue;
		}
		jsStreamInfo_Destroy(si);
		consumer_config(e, &cc, deliver, sizeof deliver);
		s = js_AddConsumer(&ci, js, e->stream, &cc, NULL, &jerr);
		if (s != NATS_OK) {
			fprintf(stderr, HQ_PROG ": cannot create head office's consumer of %s: %s (%d)\n", e->stream,
				nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s), (int)jerr);
			rc = HQ_EXIT_UNAVAILABLE;
			continue;
		}
		jsConsumerInfo_Destroy(ci);
		printf("estate %s (%s): stream %s, subject %s, %d replicas, consumer %s\n", e->id, e->name, e->stream,
		       e->subject, h->replicas, HQ_DURABLE);
	}
	hq_disconnect(&nc, &js);
	return rc;
}

/* ---- consume ----------------------------------------------------------- */

struct qitem {
	natsMsg *msg;
	unsigned est;
	struct qitem *next;
};

struct consumer {
	struct hq *h;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct qitem *head, *tail;
	size_t n;
	store_t **stores;
	uint64_t *last;
	uint64_t applied, dups, early;
	FILE *lag; /* consume --lag-log: "estate seq lag_ms" per applied event */
};

/* what a subscription's callback is handed: which estate, whose queue */
struct closure {
	unsigned est;
	struct consumer *c;
};

/* How long a restarted consumer waits for a binding its dead predecessor
 * left (consume). */
#define HQ_BIND_WAIT_MS 30000

/* The last subscribe failed because the durable consumer is bound to a
 * subscription already (nats.c says so only in words). */
static bool hq_still_bound(void)
{
	const char *err = nats_GetLastError(NULL);

	return err != NULL && strstr(err, "already bound") != NULL;
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
	struct closure *cl = closure;
	struct consumer *c = cl->c;
	struct qitem *q = malloc(sizeof *q);

	(void)nc;
	(void)sub;
	if (q == NULL) {
		natsMsg_Destroy(msg); /* not acknowledged: it comes again */
		return;
	}
	q->msg = msg;
	q->est = cl->est;
	q->next = NULL;
	pthread_mutex_lock(&c->mu);
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	c->n++;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static int lock_store(const struct hq *h)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[4096];
	int fd;

	if (mkdir(h->store_dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, HQ_PROG ": cannot create %s: %s\n", h->store_dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/consume.lock", h->store_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0 || fcntl(fd, F_SETLK, &fl) != 0) {
		fprintf(stderr, HQ_PROG ": %s is in use by another " HQ_PROG " consume (lock %s)\n", h->store_dir,
			path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Apply one batch: per estate in one write transaction; acknowledge only
 * what is committed (applied now or before). */
static void apply_batch(struct consumer *c, struct qitem *list)
{
	struct hq *h = c->h;
	MDB_txn **txn = calloc(h->nestates, sizeof *txn);
	uint64_t *was = calloc(h->nestates, sizeof *was);
	struct qitem *q, *next;
	int *bad = calloc(h->nestates, sizeof *bad);

	for (unsigned i = 0; i < h->nestates; i++)
		was[i] = c->last[i];
	for (q = list; q; q = q->next) {
		unsigned e = q->est;
		jsMsgMetaData *md = NULL;
		uint64_t seq = 0, hseq = 0;
		const char *hs = NULL;
		struct hq_apply_note note;
		int rc;

		if (natsMsg_GetMetaData(&md, q->msg) == NATS_OK) {
			seq = md->Sequence.Stream;
			jsMsgMetaData_Destroy(md);
		}
		if (natsMsgHeader_Get(q->msg, NCONF_SEQ_HEADER, &hs) == NATS_OK && hs)
			hseq = strtoull(hs, NULL, 10);
		if (seq == 0 || hseq != seq) {
			fprintf(stderr,
				HQ_PROG ": estate %s: stream message %" PRIu64 " says seq %" PRIu64 "; ignored\n",
				h->estates[e].id, seq, hseq);
			natsMsg_Term(q->msg, NULL);
			natsMsg_Destroy(q->msg);
			q->msg = NULL;
			continue;
		}
		if (seq <= c->last[e]) { /* applied before: a redelivery */
			c->dups++;
			continue;
		}
		if (seq != c->last[e] + 1 || bad[e]) { /* an earlier one is missing: it comes again */
			c->early++;
			natsMsg_Destroy(q->msg);
			q->msg = NULL;
			continue;
		}
		if (txn[e] == NULL && (rc = store_txn_begin(c->stores[e], NULL, 0, &txn[e])) != 0) {
			fprintf(stderr, HQ_PROG ": estate %s: %s\n", h->estates[e].id, store_strerror(rc));
			bad[e] = 1;
			natsMsg_Destroy(q->msg);
			q->msg = NULL;
			continue;
		}
		rc = hq_apply(c->stores[e], txn[e], seq, natsMsg_GetData(q->msg), (size_t)natsMsg_GetDataLength(q->msg),
			      &note);
		if (rc != 0) {
			fprintf(stderr, HQ_PROG ": estate %s: cannot store event %" PRIu64 ": %s\n", h->estates[e].id,
				seq, store_strerror(rc));
			store_txn_abort(txn[e]);
			txn[e] = NULL;
			c->last[e] = was[e];
			bad[e] = 1;
			natsMsg_Destroy(q->msg);
			q->msg = NULL;
			continue;
		}
		if (note.purge_mismatch)
			fprintf(stderr,
				HQ_PROG ": estate %s: the retention purge at event %" PRIu64
					" could not be matched exactly (%" PRIu64 " tickets, %" PRIu64
					" events removed here); verify the copy\n",
				h->estates[e].id, seq, note.purge_tickets, note.purge_events);
		c->last[e] = seq;
		c->applied++;
		if (c->lag) {
			struct timespec now;

			clock_gettime(CLOCK_REALTIME, &now);
			fprintf(c->lag, "%s %" PRIu64 " %" PRId64 "\n", h->estates[e].id, seq,
				(int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - note.time_ms);
		}
	}
	for (unsigned e = 0; e < h->nestates; e++) {
		int rc;

		if (txn[e] == NULL)
			continue;
		if ((rc = store_txn_commit(txn[e])) != 0) {
			fprintf(stderr, HQ_PROG ": estate %s: cannot commit: %s\n", h->estates[e].id,
				store_strerror(rc));
			c->last[e] = was[e];
			bad[e] = 2;
		} else if (c->last[e] > was[e]) {
			printf("estate %s: events %" PRIu64 "..%" PRIu64 "\n", h->estates[e].id, was[e] + 1,
			       c->last[e]);
		}
	}
	fflush(stdout);
	for (q = list; q; q = next) {
		next = q->next;
		if (q->msg) {
			if (bad[q->est] != 2) /* committed (or applied before) */
				natsMsg_Ack(q->msg, NULL);
			natsMsg_Destroy(q->msg);
		}
		free(q);
	}
	free(txn);
	free(was);
	free(bad);
}

static int cmd_consume(struct hq *h, const char *lag_log)
{
	struct consumer c = { .h = h };
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	natsSubscription **subs = NULL;
	struct closure *cl = NULL;
	int rc = HQ_EXIT_OK, lockfd;

	if ((lockfd = lock_store(h)) < 0)
		return HQ_EXIT_REFUSED;
	if (lag_log && (c.lag = fopen(lag_log, "w")) == NULL) {
		fprintf(stderr, HQ_PROG ": cannot write %s: %s\n", lag_log, strerror(errno));
		close(lockfd);
		return HQ_EXIT_USAGE;
	}
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	c.stores = calloc(h->nestates, sizeof *c.stores);
	c.last = calloc(h->nestates, sizeof *c.last);
	subs = calloc(h->nestates, sizeof *subs);
	cl = calloc(h->nestates, sizeof *cl);
	for (unsigned i = 0; i < h->nestates; i++) {
		MDB_txn *txn;

		if ((c.stores[i] = hq_open_copy(h, &h->estates[i])) == NULL) {
			rc = HQ_EXIT_UNAVAILABLE;
			goto out;
		}
		if (store_txn_begin(c.stores[i], NULL, 1, &txn) == 0) {
			store_last_seq(c.stores[i], txn, &c.last[i]);
			store_txn_abort(txn);
		}
	}
	if (hq_connect(h, &nc, &js) != 0) {
		rc = HQ_EXIT_UNAVAILABLE;
		goto out;
	}
	dc_stop_on_signals(&hq_stop);
	for (unsigned i = 0; i < h->nestates && !hq_stop; i++) {
		struct hq_estate *e = &h->estates[i];
		jsSubOptions so;
		jsConsumerInfo *ci = NULL;
		jsConsumerConfig cc;
		jsErrCode jerr = 0;
		char deliver[160];
		natsStatus s;

		/* the durable consumer is made here if init did not (never by the
		 * subscription, which would delete what it made at the end) */
		consumer_config(e, &cc, deliver, sizeof deliver);
		if (js_GetConsumerInfo(&ci, js, e->stream, HQ_DURABLE, NULL, &jerr) != NATS_OK) {
			jerr = 0;
			if ((s = js_AddConsumer(&ci, js, e->stream, &cc, NULL, &jerr)) != NATS_OK) {
				fprintf(stderr,
					HQ_PROG ": estate %s: no stream %s or consumer %s at head office's servers "
						"(run `" HQ_PROG " init`): %s\n",
					e->id, e->stream, HQ_DURABLE,
					nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
				rc = HQ_EXIT_UNAVAILABLE;
				goto out;
			}
		}
		jsConsumerInfo_Destroy(ci);
		cl[i].est = i;
		cl[i].c = &c;
		jsSubOptions_Init(&so);
		so.Stream = e->stream;
		so.Consumer = HQ_DURABLE;
		so.ManualAck = true;
		s = js_Subscribe(&subs[i], js, e->subject, on_msg, &cl[i], NULL, &so, &jerr);
		/* A consumer that died without unsubscribing (killed, or its
		 * host gone) leaves the durable consumer bound to its deliver
		 * subject until the servers notice, which in a cluster can take
		 * seconds: a restart right after waits for that, a while. */
		for (int waited = 0; s != NATS_OK && !hq_stop && waited < HQ_BIND_WAIT_MS && hq_still_bound();
		     waited += 250) {
			if (waited == 0)
				fprintf(stderr,
					HQ_PROG
					": estate %s: %s is still bound to an earlier subscription (a consumer "
					"that stopped without unsubscribing?); waiting up to %d s for the servers to "
					"let it go\n",
					e->id, HQ_DURABLE, HQ_BIND_WAIT_MS / 1000);
			nats_Sleep(250);
			s = js_Subscribe(&subs[i], js, e->subject, on_msg, &cl[i], NULL, &so, &jerr);
		}
		if (s != NATS_OK) {
			fprintf(stderr, HQ_PROG ": estate %s: cannot consume %s: %s\n", e->id, e->stream,
				nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
			rc = HQ_EXIT_UNAVAILABLE;
			goto out;
		}
		natsSubscription_SetPendingLimits(subs[i], 1000000, 1024 * 1024 * 1024);
	}
	fprintf(stderr, HQ_PROG ": consuming %u estate(s) into %s\n", h->nestates, h->store_dir);
	while (!hq_stop) {
		struct qitem *list;
		struct timespec ts;

		pthread_mutex_lock(&c.mu);
		if (c.head == NULL) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&c.cv, &c.mu, &ts);
		}
		list = c.head;
		c.head = c.tail = NULL;
		c.n = 0;
		pthread_mutex_unlock(&c.mu);
		if (list)
			apply_batch(&c, list);
	}
out:
	for (unsigned i = 0; i < h->nestates; i++)
		if (subs && subs[i])
			natsSubscription_Destroy(subs[i]); /* not Unsubscribe: the durable consumer stays */
	hq_disconnect(&nc, &js);
	while (c.head) { /* not acknowledged: redelivered to the next run */
		struct qitem *q = c.head;

		c.head = q->next;
		natsMsg_Destroy(q->msg);
		free(q);
	}
	for (unsigned i = 0; i < h->nestates; i++)
		if (c.stores && c.stores[i])
			store_destroy(&c.stores[i]);
	free(c.stores);
	free(c.last);
	free(subs);
	free(cl);
	if (c.lag)
		fclose(c.lag);
	close(lockfd);
	return rc;
}

/* ---- status, verify ---------------------------------------------------- */

static int copy_position(store_t *s, uint64_t *last, char hex[65])
{
	MDB_txn *txn;
	uint8_t head[32];
	int rc;

	if ((rc = store_txn_begin(s, NULL, 1, &txn)) != 0)
		return rc;
	if ((rc = store_last_seq(s, txn, last)) == 0 && (rc = store_chain_head(s, txn, head)) == 0)
		chain_hex(head, hex);
	store_txn_abort(txn);
	return rc;
}

static int cmd_status(struct hq *h)
{
	int rc = HQ_EXIT_OK;

	for (unsigned k = 0; k < h->nsel; k++) {
		struct hq_estate *e = &h->estates[h->sel[k]];
		store_t *s = hq_open_copy(h, e);
		uint64_t last = 0;
		char hex[65] = "";

		if (s == NULL || copy_position(s, &last, hex) != 0) {
			rc = HQ_EXIT_UNAVAILABLE;
			store_destroy(&s);
			continue;
		}
		printf("%s\t%s\tseq %" PRIu64 "\tchain head %s\n", e->id, e->name, last, hex);
		store_destroy(&s);
	}
	return rc;
}

static int cmd_verify(struct hq *h)
{
	int rc = HQ_EXIT_OK;

	for (unsigned k = 0; k < h->nsel; k++) {
		struct hq_estate *e = &h->estates[h->sel[k]];
		store_t *s = hq_open_copy(h, e);
		char *buf = NULL, hex[65] = "";
		size_t len = 0;
		uint64_t last = 0;
		FILE *mem;
		long bad;

		if (s == NULL) {
			rc = HQ_EXIT_UNAVAILABLE;
			continue;
		}
		mem = open_memstream(&buf, &len);
		bad = verify_store(s, mem);
		fclose(mem);
		copy_position(s, &last, hex);
		if (bad < 0) {
			printf("estate %s (%s): cannot verify: %s\n", e->id, e->name, store_strerror((int)bad));
			rc = HQ_EXIT_UNAVAILABLE;
		} else if (bad == 0 && last == 0) {
			printf("estate %s (%s): ok, no events yet\n", e->id, e->name);
		} else if (bad == 0) {
			printf("estate %s (%s): ok, events 1..%" PRIu64 ", chain head %s\n", e->id, e->name, last, hex);
		} else {
			char *save = NULL;

			for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
				printf("estate %s (%s): %s\n", e->id, e->name, line);
			printf("estate %s (%s): %ld problem(s) in head office's copy (events 1..%" PRIu64 ")\n", e->id,
			       e->name, bad, last);
			if (rc == HQ_EXIT_OK)
				rc = HQ_EXIT_REFUSED;
		}
		free(buf);
		store_destroy(&s);
	}
	return rc;
}

/* ---- report ------------------------------------------------------------ */

static int parse_day(const char *s, int64_t *ms)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d", &tm);

	if (end == NULL || *end)
		return -1;
	tm.tm_isdst = -1;
	*ms = (int64_t)mktime(&tm) * 1000;
	return 0;
}

static int64_t next_midnight(int64_t ms, int days)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_mday += days;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

static int cmd_report(struct hq *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "estate", required_argument, NULL, 'e' },   { "group", required_argument, NULL, 'g' },
		{ "date", required_argument, NULL, 'd' },     { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },       { "format", required_argument, NULL, 'F' },
		{ "clock-at", required_argument, NULL, 'C' }, { NULL, 0, NULL, 0 },
	};
	const char *estate = NULL, *group = NULL, *date = NULL, *from = NULL, *to = NULL, *fmt = "text",
		   *clock_at = NULL;
	struct report_opts ro = { .out = stdout };
	int daily, c, rc;
	int64_t now;

	if (argc < 2 || (strcmp(argv[1], "daily") != 0 && strcmp(argv[1], "review") != 0)) {
		fprintf(stderr, HQ_PROG ": report daily|review [--estate ID | --group G] ...\n");
		return HQ_EXIT_USAGE;
	}
	daily = strcmp(argv[1], "daily") == 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': estate = optarg; break;
		case 'g': group = optarg; break;
		case 'd': date = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'F': fmt = optarg; break;
		case 'C': clock_at = optarg; break;
		default: return HQ_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, HQ_PROG ": report: unexpected argument %s\n", argv[optind]);
		return HQ_EXIT_USAGE;
	}
	if (report_format_parse(fmt, &ro.format) != 0) {
		fprintf(stderr, HQ_PROG ": --format wants text, csv, csv-wide, json, html or svg\n");
		return HQ_EXIT_USAGE;
	}
	now = clock_now_ms();
	if (clock_at) {
		struct tm tm = { 0 };
		const char *end = strptime(clock_at, "%Y-%m-%dT%H:%M:%S", &tm);

		if (end == NULL || *end) {
			fprintf(stderr, HQ_PROG ": --clock-at wants YYYY-MM-DDTHH:MM:SS (local time)\n");
			return HQ_EXIT_USAGE;
		}
		tm.tm_isdst = -1;
		now = (int64_t)mktime(&tm) * 1000;
	}
	if (daily) {
		if (from || to) {
			fprintf(stderr, HQ_PROG ": the daily report takes --date, not --from/--to\n");
			return HQ_EXIT_USAGE;
		}
		if (date ? parse_day(date, &ro.from_ms) != 0 : (ro.from_ms = next_midnight(now, 0), 0))
			goto bad_date;
		ro.to_ms = next_midnight(ro.from_ms, 1);
	} else {
		if (date) {
			fprintf(stderr, HQ_PROG ": the review takes --from and --to, not --date\n");
			return HQ_EXIT_USAGE;
		}
		if (to ? parse_day(to, &ro.to_ms) != 0 : (ro.to_ms = next_midnight(now, 1), 0))
			goto bad_date;
		if (from ? parse_day(from, &ro.from_ms) != 0 : 0)
			goto bad_date;
		if (!from) {
			time_t t = (time_t)(ro.to_ms / 1000);
			struct tm tm;

			localtime_r(&t, &tm);
			tm.tm_year--;
			tm.tm_isdst = -1;
			ro.from_ms = (int64_t)mktime(&tm) * 1000;
		}
		if (ro.from_ms >= ro.to_ms) {
			fprintf(stderr, HQ_PROG ": --from must come before --to (--to is the first day not covered)\n");
			return HQ_EXIT_USAGE;
		}
	}
	ro.now_ms = now;
	if ((rc = hq_select(h, estate, group)) != 0)
		return rc;
	rc = HQ_EXIT_OK;
	for (unsigned k = 0; k < h->nsel; k++) {
		struct hq_estate *e = &h->estates[h->sel[k]];
		store_t *s = hq_open_copy(h, e);
		int r;

		if (s == NULL) {
			rc = HQ_EXIT_UNAVAILABLE;
			continue;
		}
		ro.estate = e->name;
		r = daily ? report_daily(s, &ro) : report_review(s, &ro);
		if (r != 0) {
			fprintf(stderr, HQ_PROG ": estate %s: the report failed: %s\n", e->id,
				r == -EINVAL ? "the period is too long or the format is not for this report"
					     : store_strerror(r));
			rc = HQ_EXIT_REFUSED;
		}
		store_destroy(&s);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, HQ_PROG ": writing the report failed: %s\n", strerror(errno));
		rc = HQ_EXIT_REFUSED;
	}
	return rc;
bad_date:
	fprintf(stderr, HQ_PROG ": report wants dates as YYYY-MM-DD (local dates)\n");
	return HQ_EXIT_USAGE;
}

/* ---- main -------------------------------------------------------------- */

static void hq_free(struct hq *h)
{
	nconf_free(&h->nc);
	free(h->store_dir);
	for (unsigned i = 0; i < h->nestates; i++) {
		free(h->estates[i].id);
		free(h->estates[i].name);
	}
	free(h->estates);
	for (unsigned g = 0; g < h->ngroups; g++) {
		for (unsigned i = 0; i < h->groups[g].n; i++)
			free(h->groups[g].ids[i]);
		free(h->groups[g].ids);
		free(h->groups[g].name);
	}
	free(h->groups);
	free(h->sel);
}

static int select_only(struct hq *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "estate", required_argument, NULL, 'e' },
		{ "group", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *estate = NULL, *group = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': estate = optarg; break;
		case 'g': group = optarg; break;
		default: return HQ_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, HQ_PROG ": unexpected argument %s\n", argv[optind]);
		return HQ_EXIT_USAGE;
	}
	return hq_select(h, estate, group);
}

int main(int argc, char **argv)
{
	struct hq h = { 0 };
	const char *config = NULL, *cmd;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return HQ_EXIT_OK;
		}
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc)
			config = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			config = argv[i] + 9;
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, HQ_PROG ": which command? (init, consume, status, live, summary, report, verify, "
					"qc-sample)\n");
		usage(stderr);
		return HQ_EXIT_USAGE;
	}
	cmd = argv[i];
	argc -= i;
	argv += i;
	if (config == NULL) {
		fprintf(stderr, HQ_PROG ": --config FILE is required\n");
		return HQ_EXIT_USAGE;
	}
	if (load_config(&h, config) != 0) {
		hq_free(&h);
		return HQ_EXIT_USAGE;
	}
	if (chain_init() != 0) {
		fprintf(stderr, HQ_PROG ": cannot get SHA-256 from libcrypto\n");
		hq_free(&h);
		return HQ_EXIT_UNAVAILABLE;
	}
	if (strcmp(cmd, "init") == 0)
		rc = argc == 1 ? cmd_init(&h) : HQ_EXIT_USAGE;
	else if (strcmp(cmd, "consume") == 0)
		rc = argc == 1                                        ? cmd_consume(&h, NULL)
		     : argc == 3 && strcmp(argv[1], "--lag-log") == 0 ? cmd_consume(&h, argv[2])
								      : HQ_EXIT_USAGE;
	else if (strcmp(cmd, "status") == 0)
		rc = (rc = select_only(&h, argc, argv)) != 0 ? rc : cmd_status(&h);
	else if (strcmp(cmd, "verify") == 0)
		rc = (rc = select_only(&h, argc, argv)) != 0 ? rc : cmd_verify(&h);
	else if (strcmp(cmd, "report") == 0)
		rc = cmd_report(&h, argc, argv);
	else if (strcmp(cmd, "live") == 0)
		rc = hq_live(&h, argc, argv);
	else if (strcmp(cmd, "summary") == 0)
		rc = hq_summary(&h, argc, argv);
	else if (strcmp(cmd, "qc-sample") == 0)
		rc = hq_qc_sample(&h, argc, argv);
	else {
		fprintf(stderr, HQ_PROG ": unknown command %s\n", cmd);
		usage(stderr);
		rc = HQ_EXIT_USAGE;
	}
	hq_free(&h);
	/* no nats_Close(): with TLS it frees OpenSSL's state, and libcrypto's
	 * own exit handler then crashes on it (nats.c 3.4 with OpenSSL 3);
	 * the process ends here anyway */
	return rc;
}
