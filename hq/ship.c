/*
 * dispatch-ship: one estate's event log to head office's NATS JetStream,
 * every event exactly once and in order (issue 18).
 *
 * It reads the log from the estate's LMDB store in read-only transactions
 * (beside the daemon, which writes) and publishes each stored record's
 * exact bytes to estate.<id>.events, stream ESTATE_<id>, which holds that
 * one subject, so the stream's sequence is the estate's sequence. Each
 * message carries:
 *   Dispatch-Seq: N                        the estate's seq
 *   Nats-Msg-Id: <id>:N                    the server's duplicate window
 *   Nats-Expected-Stream: ESTATE_<id>
 *   Nats-Expected-Last-Sequence: N-1       (N = 1: an empty subject)
 * so a duplicate, a gap or a message out of order is refused by the
 * server, never stored. Publishing is asynchronous (a window of
 * messages in flight); the first refusal or timeout stops it, and the
 * shipper asks the server where the stream ends (its last message) and
 * starts again from the next seq. It keeps no bookkeeping of its own:
 * the server's answer is the only truth, on start and after every error.
 * Before it publishes seq L+1 it checks that the estate's record L still
 * has the link (chain.h) of the message head office holds for L: a log
 * rewritten after shipping is refused, not shipped on top.
 *
 * It wakes on the daemon's events socket (every event, and the heartbeat
 * once a second, which carries the last seq), and looks at the store at
 * least every --idle seconds anyway.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <lmdb.h>
#include <nats/nats.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "dispatch.pb-c.h"
#include "dispatch_client.h"
#include "nconf.h"

#define PROG "dispatch-ship"
#define BATCH 512 /* records read per read transaction */

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNAVAILABLE = 3 };

struct ship {
	struct nconf nc;
	char *estate, *state_dir, *request, *events, *key, *server_key;
	char stream[96], subject[128];
	int once, idle_s, window;
	MDB_env *env;
	MDB_dbi events_dbi, meta_dbi;
	natsConnection *conn;
	jsCtx *js;
	/* set by the ack handler (nats.c's thread) */
	atomic_int failed;
	atomic_uint_fast64_t acked, dups;
	char fail_text[256];
	uint64_t head;         /* what the server holds: its last seq */
	uint8_t head_link[32]; /* the link of its last message */
	uint64_t shipped_total;
	unsigned char *lastrec; /* the last record published, to take its link */
	size_t lastrec_len, lastrec_cap;
};

static volatile sig_atomic_t stop_flag;

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " --config FILE [--once] [--idle SECONDS]\n"
		   "Ship this estate's event log to head office's NATS JetStream, each event once, in order.\n"
		   "\n"
		   "  -c, --config FILE   the shipper's configuration (see dispatch-ship(8)):\n"
		   "                        servers = nats://hq1:4222, nats://hq2:4222\n"
		   "                        estate = harbour-view      (the estate's id at head office)\n"
		   "                        state-dir = /var/lib/dispatchd\n"
		   "                        user = harbour-view, password-file = FILE (or creds, nkey-seed)\n"
		   "                        tls-ca = FILE, tls-cert = FILE, tls-key = FILE\n"
		   "                        events = ipc:///run/dispatchd/events, request = ... (to wake)\n"
		   "      --once          ship what the log holds now, then exit (0 when all is at head office)\n"
		   "      --idle SECONDS  look at the store at least this often without a wake-up (default 5)\n"
		   "  -h, --help          this text\n"
		   "\n"
		   "Exit: 0 stopped (or --once done), 1 refused (head office holds a different log, or\n"
		   "more of it, than this store), 2 usage or configuration, 3 the store or the servers\n"
		   "cannot be used (--once).\n");
}

static int own_key(const char *key, const char *val, void *arg, char *err, size_t errlen)
{
	struct ship *sh = arg;
	char **slot = NULL;

	if (strcmp(key, "estate") == 0) {
		if (!nconf_valid_id(val)) {
			snprintf(err, errlen, "estate \"%.60s\": an id is 1-64 letters, digits, '-' or '_'", val);
			return -2;
		}
		slot = &sh->estate;
	} else if (strcmp(key, "state-dir") == 0) {
		slot = &sh->state_dir;
	} else if (strcmp(key, "request") == 0) {
		slot = &sh->request;
	} else if (strcmp(key, "events") == 0) {
		slot = &sh->events;
	} else if (strcmp(key, "key") == 0) {
		slot = &sh->key;
	} else if (strcmp(key, "server-key") == 0) {
		slot = &sh->server_key;
	} else if (strcmp(key, "window") == 0) {
		sh->window = atoi(val);
		if (sh->window < 1 || sh->window > 1000000) {
			snprintf(err, errlen, "window wants 1..1000000 messages in flight");
			return -2;
		}
		return 0;
	} else {
		return -1;
	}
	free(*slot);
	*slot = strdup(val);
	return 0;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the estate's store, read-only ------------------------------------- */

static void be64(unsigned char out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

static uint64_t get_be64(const void *p)
{
	const unsigned char *b = p;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

static int store_open_ro(struct ship *sh, char *err, size_t errlen)
{
	MDB_txn *txn = NULL;
	int rc;

	if ((rc = mdb_env_create(&sh->env)) != 0 || (rc = mdb_env_set_maxdbs(sh->env, 16)) != 0)
		goto fail;
	/* MDB_RDONLY: never a write; the lock file is shared with the daemon */
	if ((rc = mdb_env_open(sh->env, sh->state_dir, MDB_RDONLY | MDB_NOTLS, 0640)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(sh->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "events", 0, &sh->events_dbi)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", 0, &sh->meta_dbi)) != 0)
		goto fail;
	/* committed, not aborted: an aborted transaction closes the handles */
	if ((rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot read the estate's store in %s: %s", sh->state_dir,
		 rc == MDB_NOTFOUND ? "no event log there (not a dispatchd state directory?)" : mdb_strerror(rc));
	if (txn)
		mdb_txn_abort(txn);
	if (sh->env)
		mdb_env_close(sh->env);
	sh->env = NULL;
	return -1;
}

/* A read transaction; the daemon may have grown the map since we opened. */
static int ro_begin(struct ship *sh, MDB_txn **txn)
{
	int rc = mdb_txn_begin(sh->env, NULL, MDB_RDONLY, txn);

	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(sh->env, 0);
		rc = mdb_txn_begin(sh->env, NULL, MDB_RDONLY, txn);
	}
	return rc;
}

static int estate_last_seq(struct ship *sh, uint64_t *last)
{
	MDB_txn *txn;
	MDB_val k = { 8, (void *)"last_seq" }, d;
	int rc;

	if ((rc = ro_begin(sh, &txn)) != 0)
		return rc;
	rc = mdb_get(txn, sh->meta_dbi, &k, &d);
	if (rc == MDB_NOTFOUND) {
		*last = 0;
		rc = 0;
	} else if (rc == 0) {
		*last = d.mv_size == 8 ? get_be64(d.mv_data) : 0;
	}
	mdb_txn_abort(txn);
	return rc;
}

static int record_link(const void *rec, size_t len, uint8_t out[32], Dispatch__Event **evp)
{
	Dispatch__Event *ev = dispatch__event__unpack(NULL, len, rec);

	if (ev == NULL)
		return -1;
	chain_link(ev, rec, len, out);
	if (evp)
		*evp = ev;
	else
		dispatch__event__free_unpacked(ev, NULL);
	return 0;
}

/* ---- head office's side ------------------------------------------------ */

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct ship *sh = closure;

	(void)js;
	if (pae) {
		if (atomic_exchange(&sh->failed, 1) == 0)
			snprintf(sh->fail_text, sizeof sh->fail_text, "%s (%s, error %d)",
				 pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err),
				 natsStatus_GetText(pae->Err), (int)pae->ErrCode);
	} else if (pa) {
		if (pa->Duplicate)
			atomic_fetch_add(&sh->dups, 1);
		uint64_t cur = atomic_load(&sh->acked);
		while (pa->Sequence > cur && !atomic_compare_exchange_weak(&sh->acked, &cur, pa->Sequence))
			;
	}
	natsMsg_Destroy(msg);
}

static void disconnect(struct ship *sh)
{
	if (sh->js)
		jsCtx_Destroy(sh->js);
	sh->js = NULL;
	if (sh->conn) {
		natsConnection_Close(sh->conn);
		natsConnection_Destroy(sh->conn);
	}
	sh->conn = NULL;
}

static int connect_hq(struct ship *sh, char *err, size_t errlen)
{
	jsOptions o;
	char name[160], inbox[96];

	snprintf(name, sizeof name, PROG " %s", sh->estate);
	snprintf(inbox, sizeof inbox, "_INBOX_%s", sh->estate);
	if (nconf_connect(&sh->nc, name, inbox, &sh->conn, err, errlen) != 0)
		return -1;
	jsOptions_Init(&o);
	o.Wait = 5000;
	o.PublishAsync.MaxPending = sh->window;
	o.PublishAsync.AckHandler = on_ack;
	o.PublishAsync.AckHandlerClosure = sh;
	o.PublishAsync.StallWait = 2000;
	if (natsConnection_JetStream(&sh->js, sh->conn, &o) != NATS_OK) {
		snprintf(err, errlen, "cannot use JetStream: %s", nats_GetLastError(NULL));
		disconnect(sh);
		return -1;
	}
	return 0;
}

/* Where the estate's stream ends at head office: sh->head and the link of
 * that message. 0, -1 with err (try again later), -2 refused (exit 1). */
static int resync(struct ship *sh, char *err, size_t errlen)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsMsg *m = NULL;
	natsStatus s;
	uint64_t last;

	s = js_GetStreamInfo(&si, sh->js, sh->stream, NULL, &jerr);
	if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
		snprintf(err, errlen,
			 "head office has no stream %s for estate %s yet (head office runs `dispatch-hq init`); "
			 "trying again",
			 sh->stream, sh->estate);
		return -1;
	}
	if (s != NATS_OK) {
		snprintf(err, errlen, "cannot ask head office where estate %s's log ends: %s", sh->estate,
			 nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
		return -1;
	}
	last = si->State.LastSeq;
	jsStreamInfo_Destroy(si);
	sh->head = last;
	memset(sh->head_link, 0, sizeof sh->head_link);
	if (last == 0)
		return 0;
	s = js_GetLastMsg(&m, sh->js, sh->stream, sh->subject, NULL, &jerr);
	if (s != NATS_OK) {
		snprintf(err, errlen, "cannot read head office's last message of estate %s: %s", sh->estate,
			 nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
		return -1;
	}
	{
		const char *hs = NULL;
		uint64_t hseq = 0;

		if (natsMsgHeader_Get(m, NCONF_SEQ_HEADER, &hs) == NATS_OK && hs)
			hseq = strtoull(hs, NULL, 10);
		if (hseq != last || natsMsg_GetSequence(m) != last ||
		    record_link(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), sh->head_link, NULL) != 0) {
			snprintf(err, errlen,
				 "head office's stream %s ends with a message that is not estate %s's event %" PRIu64
				 " (header seq %" PRIu64 "); refusing to ship on top of it",
				 sh->stream, sh->estate, last, hseq);
			natsMsg_Destroy(m);
			return -2;
		}
	}
	natsMsg_Destroy(m);
	return 0;
}

/* Publish records head+1 .. as far as the log goes; 0 when all of them are
 * acknowledged, -1 with err after an error (resync and try again), -2
 * refused. */
static int ship_all(struct ship *sh, char *err, size_t errlen)
{
	uint64_t last, next = sh->head + 1, first = next;
	int rc;

	if ((rc = estate_last_seq(sh, &last)) != 0) {
		snprintf(err, errlen, "cannot read the estate's store: %s", mdb_strerror(rc));
		return -1;
	}
	if (last < sh->head) {
		snprintf(err, errlen,
			 "head office holds %" PRIu64 " events of estate %s, this store only %" PRIu64
			 ": another estate's id, or a store replaced by an older one; not shipping",
			 sh->head, sh->estate, last);
		return -2;
	}
	atomic_store(&sh->failed, 0);
	while (next <= last && !stop_flag) {
		MDB_txn *txn;
		MDB_cursor *cur;
		unsigned char kb[8];
		MDB_val k = { 8, kb }, d;
		unsigned n = 0;

		if ((rc = ro_begin(sh, &txn)) != 0 || (rc = mdb_cursor_open(txn, sh->events_dbi, &cur)) != 0) {
			snprintf(err, errlen, "cannot read the estate's store: %s", mdb_strerror(rc));
			return -1;
		}
		/* the link head office holds must still be the estate's record's */
		if (next == first && sh->head > 0) {
			uint8_t link[32];

			be64(kb, sh->head);
			if ((rc = mdb_get(txn, sh->events_dbi, &k, &d)) != 0 ||
			    record_link(d.mv_data, d.mv_size, link, NULL) != 0 ||
			    memcmp(link, sh->head_link, 32) != 0) {
				snprintf(err, errlen,
					 "estate %s's event %" PRIu64
					 " is not the one head office holds (its hash differs): the log was changed "
					 "after it was shipped; not shipping (check with dispatchd --verify)",
					 sh->estate, sh->head);
				mdb_cursor_close(cur);
				mdb_txn_abort(txn);
				return -2;
			}
		}
		be64(kb, next);
		for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_KEY); rc == 0 && n < BATCH && next <= last;
		     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT), n++, next++) {
			jsPubOptions po;
			natsMsg *m = NULL;
			char id[128], seqs[24];

			if (k.mv_size != 8 || get_be64(k.mv_data) != next) {
				snprintf(err, errlen, "the estate's log has no event %" PRIu64 " (found %" PRIu64 ")",
					 next, k.mv_size == 8 ? get_be64(k.mv_data) : 0);
				rc = -3;
				break;
			}
			if (atomic_load(&sh->failed))
				break;
			snprintf(id, sizeof id, "%s:%" PRIu64, sh->estate, next);
			snprintf(seqs, sizeof seqs, "%" PRIu64, next);
			jsPubOptions_Init(&po);
			po.MsgId = id;
			po.ExpectStream = sh->stream;
			if (next == 1)
				po.ExpectNoMessage = true;
			else
				po.ExpectLastSeq = next - 1;
			if (natsMsg_Create(&m, sh->subject, NULL, d.mv_data, (int)d.mv_size) != NATS_OK ||
			    natsMsgHeader_Set(m, NCONF_SEQ_HEADER, seqs) != NATS_OK ||
			    js_PublishMsgAsync(sh->js, &m, &po) != NATS_OK) {
				snprintf(err, errlen, "cannot publish event %" PRIu64 ": %s", next,
					 nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "?");
				natsMsg_Destroy(m);
				rc = -3;
				break;
			}
			if (d.mv_size > sh->lastrec_cap) {
				sh->lastrec_cap = d.mv_size * 2;
				if ((sh->lastrec = realloc(sh->lastrec, sh->lastrec_cap)) == NULL)
					abort();
			}
			memcpy(sh->lastrec, d.mv_data, d.mv_size);
			sh->lastrec_len = d.mv_size;
		}
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
		if (rc == -3 || atomic_load(&sh->failed))
			break;
		if (rc != 0 && rc != MDB_NOTFOUND) {
			snprintf(err, errlen, "cannot read the estate's store: %s", mdb_strerror(rc));
			break;
		}
		if (rc == MDB_NOTFOUND && next <= last) {
			snprintf(err, errlen, "the estate's log ends at %" PRIu64 " before its last seq %" PRIu64,
				 next - 1, last);
			rc = -3;
			break;
		}
		rc = 0;
	}
	{
		jsPubOptions po;
		natsStatus s;

		jsPubOptions_Init(&po);
		po.MaxWait = 15000;
		s = js_PublishAsyncComplete(sh->js, &po);
		if (atomic_load(&sh->failed)) {
			snprintf(err, errlen, "head office refused or lost a message: %s", sh->fail_text);
			return -1;
		}
		if (rc != 0)
			return -1;
		if (s != NATS_OK) {
			snprintf(err, errlen, "head office did not acknowledge in time: %s", natsStatus_GetText(s));
			return -1;
		}
	}
	if (next > first) {
		sh->shipped_total += next - first;
		say("estate %s: events %" PRIu64 "..%" PRIu64 " at head office", sh->estate, first, next - 1);
		/* what head office now ends with, for the next check */
		if (record_link(sh->lastrec, sh->lastrec_len, sh->head_link, NULL) != 0) {
			snprintf(err, errlen, "event %" PRIu64 " does not decode", next - 1);
			return -1;
		}
	}
	sh->head = next - 1;
	return 0;
}

/* ---- waking ------------------------------------------------------------ */

static dc_t *wake_open(struct ship *sh)
{
	static const char *const prefixes[] = { "crew.", "desk.", "control.", "estate." };
	dc_t *dc;

	if (sh->events == NULL || sh->request == NULL)
		return NULL;
	if ((dc = dc_new(sh->request, sh->events, DISPATCH__ROLE__ROLE_MONITOR, PROG)) == NULL)
		return NULL;
	if ((sh->key || sh->server_key) && dc_set_keys(dc, sh->key, sh->server_key) != 0) {
		say("%s; waking by the clock only", dc_error(dc));
		dc_destroy(&dc);
		return NULL;
	}
	dc_set_heartbeats(dc, 1);
	if (dc_subscribe(dc, prefixes, 4, 0) != 0) {
		say("cannot subscribe to the daemon's events (%s); waking by the clock only", dc_error(dc));
		dc_destroy(&dc);
		return NULL;
	}
	return dc;
}

/* Wait until the log may have grown past sh->head (an event, or a
 * heartbeat with a later seq), or idle_ms passed. */
static void wake_wait(struct ship *sh, dc_t *dc, int idle_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		Dispatch__Event *ev = NULL;
		int left, rc;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = idle_ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || stop_flag)
			return;
		if (dc == NULL) {
			struct timespec ts = { 0, 100 * 1000000L };

			nanosleep(&ts, NULL);
			continue;
		}
		rc = dc_next_event(dc, left, &ev);
		if (rc == DC_OK && ev) {
			int more = ev->seq > sh->head;

			dispatch__event__free_unpacked(ev, NULL);
			if (more)
				return;
		} else if (rc != DC_ERR_TIMEOUT && rc != DC_ERR_INTERRUPTED) {
			return;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "idle", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ship sh = { .idle_s = 5, .window = 4096 };
	const char *config = NULL;
	char err[1024];
	int c, rc = EXIT_OK, backoff = 250, synced = 0;
	dc_t *dc = NULL;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'o': sh.once = 1; break;
		case 'i':
			sh.idle_s = atoi(optarg);
			if (sh.idle_s < 1) {
				fprintf(stderr, PROG ": --idle wants whole seconds, at least 1\n");
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || config == NULL) {
		fprintf(stderr, PROG ": %s\n", config ? "unexpected arguments" : "--config FILE is required");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (nconf_read(config, &sh.nc, own_key, &sh, err, sizeof err) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return EXIT_USAGE;
	}
	if (sh.estate == NULL || sh.state_dir == NULL) {
		fprintf(stderr, PROG ": %s: needs \"estate = ID\" and \"state-dir = DIR\"\n", config);
		rc = EXIT_USAGE;
		goto out;
	}
	nconf_stream(sh.stream, sizeof sh.stream, sh.estate);
	nconf_subject(sh.subject, sizeof sh.subject, sh.estate);
	if (chain_init() != 0) {
		fprintf(stderr, PROG ": cannot get SHA-256 from libcrypto\n");
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
	if (store_open_ro(&sh, err, sizeof err) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
	dc_stop_on_signals(&stop_flag);
	if (!sh.once)
		dc = wake_open(&sh);
	while (!stop_flag) {
		int r = 0;

		if (sh.conn == NULL && connect_hq(&sh, err, sizeof err) != 0) {
			say("%s", err);
			goto retry;
		}
		/* where the server's copy ends: asked on start and after every
		 * error, never taken from bookkeeping of our own */
		if (!synced && (r = resync(&sh, err, sizeof err)) == 0)
			synced = 1;
		if (r == 0)
			r = ship_all(&sh, err, sizeof err);
		if (r != 0)
			synced = 0;
		if (r == -2) {
			say("%s", err);
			rc = EXIT_REFUSED;
			break;
		}
		if (r != 0) {
			say("%s; asking head office where the log ends and starting again", err);
			goto retry;
		}
		backoff = 250;
		if (sh.once)
			break;
		/* shipped all there is; wait for more, then ship from where the
		 * server says (the next resync costs one request) */
		wake_wait(&sh, dc, sh.idle_s * 1000);
		continue;
	retry:
		if (sh.once && backoff >= 8000) {
			rc = EXIT_UNAVAILABLE;
			break;
		}
		/* a connection that failed its JetStream requests starts afresh */
		if (sh.conn && natsConnection_Status(sh.conn) != NATS_CONN_STATUS_CONNECTED)
			disconnect(&sh);
		for (int i = 0; i < backoff / 50 && !stop_flag; i++)
			usleep(50 * 1000);
		if (backoff < 8000)
			backoff *= 2;
	}
out:
	dc_destroy(&dc);
	disconnect(&sh);
	if (sh.env)
		mdb_env_close(sh.env);
	nconf_free(&sh.nc);
	free(sh.estate);
	free(sh.state_dir);
	free(sh.request);
	free(sh.events);
	free(sh.key);
	free(sh.server_key);
	free(sh.lastrec);
	/* no nats_Close(): with TLS it frees OpenSSL's state, and libcrypto's
	 * own exit handler then crashes on it (nats.c 3.4 with OpenSSL 3);
	 * the process ends here anyway */
	return rc;
}
