/*
 * bench_raw: the machine's own limits, measured the way dispatchd uses
 * LMDB and ZeroMQ, so the daemon's numbers can be read as a fraction of
 * them; and the loader that fills a store for the scale section.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "notices.h"
#include "store.h"
#include "ticket.h"

/* ---- latency samples and time ------------------------------------------- */

void bench_lat_add(struct bench_lat *l, double us)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (l->v == NULL)
			abort();
	}
	l->v[l->n++] = us;
}

void bench_lat_free(struct bench_lat *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_lat_pct(struct bench_lat *l, double p)
{
	size_t i;

	if (l->n == 0)
		return 0;
	qsort(l->v, l->n, sizeof *l->v, bench_cmp_double);
	i = (size_t)(p / 100.0 * (double)(l->n - 1) + 0.5);
	return l->v[i < l->n ? i : l->n - 1];
}

double bench_lat_max(struct bench_lat *l)
{
	return bench_lat_pct(l, 100);
}

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void bench_sleep(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- LMDB ----------------------------------------------------------------- */

static void bench_be64(unsigned char *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
}

/* An environment like the daemon's (same flags, synced commits). */
static MDB_env *bench_raw_env(const char *dir, MDB_dbi *dbi)
{
	MDB_env *env;
	MDB_txn *txn;

	mkdir(dir, 0750);
	if (mdb_env_create(&env) != 0)
		return NULL;
	mdb_env_set_mapsize(env, (size_t)4 << 30);
	if (mdb_env_open(env, dir, MDB_NOTLS, 0640) != 0 || mdb_txn_begin(env, NULL, 0, &txn) != 0 ||
	    mdb_dbi_open(txn, NULL, 0, dbi) != 0 || mdb_txn_commit(txn) != 0) {
		mdb_env_close(env);
		return NULL;
	}
	return env;
}

double bench_raw_lmdb_commits(const char *dir, size_t rec_size, double secs, struct bench_lat *lat)
{
	MDB_dbi dbi;
	MDB_env *env = bench_raw_env(dir, &dbi);
	unsigned char kb[8], *rec = calloc(1, rec_size);
	uint64_t n = 0;
	double t0, t;

	if (env == NULL)
		return -1;
	memset(rec, 'x', rec_size);
	t0 = t = bench_now();
	do {
		MDB_txn *txn;
		MDB_val k = { 8, kb }, v = { rec_size, rec };
		double t1 = t;
		bench_be64(kb, ++n);
		if (mdb_txn_begin(env, NULL, 0, &txn) != 0 || mdb_put(txn, dbi, &k, &v, 0) != 0 ||
		    mdb_txn_commit(txn) != 0) {
			n = 0;
			break;
		}
		t = bench_now();
		if (lat)
			bench_lat_add(lat, (t - t1) * 1e6);
	} while (t - t0 < secs);
	mdb_env_close(env);
	free(rec);
	return n ? (double)n / (t - t0) : -1;
}

/* A store of a submission's shape (bench.h): ndbs databases a few
 * thousand records deep and a shared index of 20,000 small entries. */
struct bench_shaped {
	MDB_env *env;
	MDB_dbi dbi[BENCH_SPREAD_MAX + 1];
	int ndbs, nidx;
	size_t rec_size;
	unsigned char *rec;
	uint64_t rnd, n;
};

static void bench_shaped_close(struct bench_shaped *b)
{
	if (b->env)
		mdb_env_close(b->env);
	free(b->rec);
	b->env = NULL;
	b->rec = NULL;
}

static int bench_shaped_open(struct bench_shaped *b, const char *dir, int ndbs, int nidx, size_t rec_size)
{
	MDB_txn *txn;
	unsigned char kb[8];

	memset(b, 0, sizeof *b);
	if (ndbs < 1 || ndbs > BENCH_SPREAD_MAX || nidx < 0)
		return -1;
	b->ndbs = ndbs, b->nidx = nidx, b->rec_size = rec_size;
	b->rnd = 88172645463325252ULL;
	mkdir(dir, 0750);
	if (mdb_env_create(&b->env) != 0) {
		b->env = NULL;
		return -1;
	}
	b->rec = calloc(1, rec_size);
	memset(b->rec, 's', rec_size);
	mdb_env_set_mapsize(b->env, (size_t)4 << 30);
	mdb_env_set_maxdbs(b->env, BENCH_SPREAD_MAX + 1);
	if (mdb_env_open(b->env, dir, MDB_NOTLS, 0640) != 0 || mdb_txn_begin(b->env, NULL, 0, &txn) != 0)
		goto fail;
	/* each database a few thousand records deep, as after a few days */
	for (int d = 0; d < ndbs; d++) {
		char name[16];
		snprintf(name, sizeof name, "db%d", d);
		if (mdb_dbi_open(txn, name, MDB_CREATE, &b->dbi[d]) != 0)
			goto fail_txn;
		for (uint64_t i = 0; i < 5000; i++) {
			MDB_val k = { 8, kb }, v = { rec_size, b->rec };
			bench_be64(kb, i);
			if (mdb_put(txn, b->dbi[d], &k, &v, 0) != 0)
				goto fail_txn;
		}
	}
	/* the shared index: 20,000 small entries, each commit adding nidx at
	 * random places (a crew's, a member's, a unit's ... keys) */
	if (nidx > 0) {
		if (mdb_dbi_open(txn, "index", MDB_CREATE, &b->dbi[ndbs]) != 0)
			goto fail_txn;
		for (int i = 0; i < 20000; i++) {
			MDB_val k = { 8, kb }, v = { 0, b->rec };
			b->rnd ^= b->rnd << 13, b->rnd ^= b->rnd >> 7, b->rnd ^= b->rnd << 17;
			bench_be64(kb, b->rnd);
			if (mdb_put(txn, b->dbi[ndbs], &k, &v, 0) != 0)
				goto fail_txn;
		}
	}
	if (mdb_txn_commit(txn) != 0)
		goto fail;
	b->n = 5000;
	return 0;
fail_txn:
	mdb_txn_abort(txn);
fail:
	bench_shaped_close(b);
	return -1;
}

/* One synced commit of k submissions' shape. */
static int bench_shaped_commit(struct bench_shaped *b, int k)
{
	MDB_txn *txn;
	unsigned char kb[8];

	if (mdb_txn_begin(b->env, NULL, 0, &txn) != 0)
		return -1;
	for (int j = 0; j < k; j++) {
		b->n++;
		for (int d = 0; d < b->ndbs; d++) {
			MDB_val key = { 8, kb }, v = { b->rec_size, b->rec };
			bench_be64(kb, b->n);
			if (mdb_put(txn, b->dbi[d], &key, &v, 0) != 0)
				goto fail;
		}
		for (int i = 0; i < b->nidx; i++) {
			MDB_val key = { 8, kb }, v = { 0, b->rec };
			b->rnd ^= b->rnd << 13, b->rnd ^= b->rnd >> 7, b->rnd ^= b->rnd << 17;
			bench_be64(kb, b->rnd);
			if (mdb_put(txn, b->dbi[b->ndbs], &key, &v, 0) != 0)
				goto fail;
		}
	}
	return mdb_txn_commit(txn) == 0 ? 0 : -1;
fail:
	mdb_txn_abort(txn);
	return -1;
}

double bench_raw_lmdb_commits_spread(const char *dir, int ndbs, int nidx, size_t rec_size, int per_commit, double secs,
				     struct bench_lat *lat)
{
	struct bench_shaped b;
	uint64_t n = 0;
	double t0, t;

	if (per_commit < 1 || bench_shaped_open(&b, dir, ndbs, nidx, rec_size) != 0)
		return -1;
	t0 = t = bench_now();
	do {
		double t1 = t;
		if (bench_shaped_commit(&b, per_commit) != 0) {
			bench_shaped_close(&b);
			return -1;
		}
		n++;
		t = bench_now();
		if (lat)
			bench_lat_add(lat, (t - t1) * 1e6);
	} while (t - t0 < secs);
	bench_shaped_close(&b);
	return (double)n / (t - t0);
}

double bench_raw_lmdb_puts(const char *dir, size_t rec_size, unsigned n)
{
	MDB_dbi dbi;
	MDB_env *env = bench_raw_env(dir, &dbi);
	unsigned char kb[8], *rec = calloc(1, rec_size);
	MDB_txn *txn;
	double t0, t = -1;

	if (env == NULL)
		return -1;
	memset(rec, 'y', rec_size);
	if (mdb_txn_begin(env, NULL, 0, &txn) == 0) {
		t0 = bench_now();
		for (unsigned i = 0; i < n; i++) {
			MDB_val k = { 8, kb }, v = { rec_size, rec };
			bench_be64(kb, (uint64_t)1 << 40 | i);
			if (mdb_put(txn, dbi, &k, &v, 0) != 0)
				break;
		}
		t = bench_now() - t0; /* the puts alone: the commit is the other number */
		mdb_txn_commit(txn);
	}
	mdb_env_close(env);
	free(rec);
	return t > 0 ? n / t : -1;
}

double bench_store_bytes_per_ticket(const char *dir)
{
	char err[512];
	store_t *s = store_open(dir, 0, err, sizeof err);
	MDB_env *env;
	MDB_envinfo info;
	MDB_txn *txn;
	uint64_t tickets = 0;

	if (s == NULL)
		return -1;
	if (store_txn_begin(s, NULL, 1, &txn) == 0) {
		store_last_ticket(s, txn, &tickets);
		store_txn_abort(txn);
	}
	store_destroy(&s);
	/* pages in use, from the environment itself */
	if (tickets == 0 || mdb_env_create(&env) != 0)
		return -1;
	if (mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0640) != 0 || mdb_env_info(env, &info) != 0) {
		mdb_env_close(env);
		return -1;
	}
	mdb_env_close(env);
	return (double)(info.me_last_pgno + 1) * 4096.0 / (double)tickets;
}

/* ---- ZeroMQ --------------------------------------------------------------- */

struct bench_echo {
	void *ctx;
	const char *ep;
	const char *curve_secret;    /* the server's CURVE secret key (Z85); NULL: plain */
	struct bench_shaped *commit; /* a synced commit of a submission's shape before each answer */
	int oneway;                  /* count, do not answer */
	unsigned expect;             /* one-way: messages to wait for */
	double done_at;
	volatile int ready;
};

static void *bench_echo_main(void *arg)
{
	struct bench_echo *e = arg;
	void *s = zmq_socket(e->ctx, ZMQ_ROUTER);
	int hwm = 0, timeout = 2000;
	unsigned got = 0;
	char id[256], buf[65536];

	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
	if (e->curve_secret) {
		int one = 1;
		zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one);
		zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, e->curve_secret, 40);
	}
	if (zmq_bind(s, e->ep) != 0) {
		fprintf(stderr, "bench: cannot bind %s: %s\n", e->ep, zmq_strerror(errno));
		e->ready = -1;
		zmq_close(s);
		return NULL;
	}
	e->ready = 1;
	for (;;) {
		int idn = zmq_recv(s, id, sizeof id, 0), n;
		if (idn < 0)
			break;
		if ((n = zmq_recv(s, buf, sizeof buf, 0)) < 0)
			break;
		if (n == 0) /* the end */
			break;
		if (e->oneway) {
			if (++got == e->expect) {
				e->done_at = bench_now();
				break;
			}
			continue;
		}
		if (e->commit && bench_shaped_commit(e->commit, 1) != 0)
			break;
		zmq_send(s, id, (size_t)idn, ZMQ_SNDMORE);
		zmq_send(s, buf, (size_t)n, 0);
	}
	zmq_close(s);
	return NULL;
}

static double bench_raw_zmq(const char *ep, size_t msg_size, double secs, unsigned n, int oneway, int curve)
{
	void *ctx = zmq_ctx_new(), *c;
	struct bench_echo e = { .ctx = ctx, .ep = ep, .oneway = oneway, .expect = n };
	pthread_t th;
	char *msg = calloc(1, msg_size), buf[65536];
	char server_pub[41], server_sec[41], client_pub[41], client_sec[41];
	int hwm = 0, linger = 0;
	double t0, rate = -1;
	uint64_t count = 0;

	if (curve) {
		if (zmq_curve_keypair(server_pub, server_sec) != 0 || zmq_curve_keypair(client_pub, client_sec) != 0) {
			fprintf(stderr, "bench: no CURVE keys: %s\n", zmq_strerror(errno));
			zmq_ctx_term(ctx);
			free(msg);
			return -1;
		}
		e.curve_secret = server_sec;
	}
	pthread_create(&th, NULL, bench_echo_main, &e);
	while (e.ready == 0)
		bench_sleep(0.001);
	if (e.ready < 0)
		goto out;
	c = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(c, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(c, ZMQ_LINGER, &linger, sizeof linger);
	if (curve) {
		zmq_setsockopt(c, ZMQ_CURVE_SERVERKEY, server_pub, 40);
		zmq_setsockopt(c, ZMQ_CURVE_PUBLICKEY, client_pub, 40);
		zmq_setsockopt(c, ZMQ_CURVE_SECRETKEY, client_sec, 40);
	}
	zmq_connect(c, ep);
	memset(msg, 'z', msg_size);
	/* one round trip first: the connection is up */
	zmq_send(c, msg, msg_size, 0);
	if (!oneway)
		zmq_recv(c, buf, sizeof buf, 0);
	else
		e.expect = n + 1;
	t0 = bench_now();
	if (oneway) {
		for (unsigned i = 0; i < n; i++)
			zmq_send(c, msg, msg_size, 0);
		pthread_join(th, NULL);
		rate = e.done_at > t0 ? n / (e.done_at - t0) : -1;
	} else {
		double t = t0;
		do {
			zmq_send(c, msg, msg_size, 0);
			if (zmq_recv(c, buf, sizeof buf, 0) < 0)
				break;
			count++;
			t = bench_now();
		} while (t - t0 < secs);
		rate = (double)count / (t - t0);
		zmq_send(c, "", 0, 0);
		pthread_join(th, NULL);
	}
	zmq_close(c);
	zmq_ctx_term(ctx);
	free(msg);
	return rate;
out:
	pthread_join(th, NULL);
	zmq_ctx_term(ctx);
	free(msg);
	return rate;
}

double bench_raw_zmq_rtt(const char *ep, size_t msg_size, double secs, int curve)
{
	return bench_raw_zmq(ep, msg_size, secs, 0, 0, curve);
}

double bench_raw_zmq_oneway(const char *ep, size_t msg_size, unsigned n, int curve)
{
	return bench_raw_zmq(ep, msg_size, 0, n, 1, curve);
}

int bench_raw_commit_behind_echo(const char *dir, const char *ep, size_t rec_size, size_t msg_size, double rate,
				 double secs, struct bench_lat *lat)
{
	struct bench_shaped b;
	void *ctx, *c;
	struct bench_echo e = { .ep = ep, .commit = &b };
	pthread_t th;
	char *msg, buf[65536];
	int linger = 0, rc = -1;
	double t0;

	if (bench_shaped_open(&b, dir, BENCH_SHAPED_DBS, BENCH_SHAPED_KEYS, rec_size) != 0)
		return -1;
	ctx = zmq_ctx_new();
	e.ctx = ctx;
	msg = calloc(1, msg_size);
	memset(msg, 'z', msg_size);
	pthread_create(&th, NULL, bench_echo_main, &e);
	while (e.ready == 0)
		bench_sleep(0.001);
	if (e.ready < 0) {
		pthread_join(th, NULL);
		goto out;
	}
	c = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(c, ZMQ_LINGER, &linger, sizeof linger);
	zmq_connect(c, ep);
	zmq_send(c, msg, msg_size, 0); /* the connection is up */
	zmq_recv(c, buf, sizeof buf, 0);
	t0 = bench_now();
	for (uint64_t i = 0;; i++) {
		double due = t0 + (double)i / rate, now = bench_now();
		int64_t ns;
		if (due - t0 >= secs)
			break;
		if (due > now)
			bench_sleep(due - now); /* idle between, as the daemon is at this rate */
		ns = bench_now_ns();
		zmq_send(c, msg, msg_size, 0);
		if (zmq_recv(c, buf, sizeof buf, 0) < 0)
			break;
		bench_lat_add(lat, (double)(bench_now_ns() - ns) / 1e3);
	}
	rc = 0;
	zmq_send(c, "", 0, 0);
	pthread_join(th, NULL);
	zmq_close(c);
out:
	zmq_ctx_term(ctx);
	free(msg);
	bench_shaped_close(&b);
	return rc;
}

/* ---- the loader ----------------------------------------------------------- */

/* A ticket as a bench submission would make it. */
static void bench_sample_ticket(Dispatch__Ticket *t, uint64_t i, char *unit, size_t unitlen, char *text, size_t textlen)
{
	dispatch__ticket__init(t);
	snprintf(unit, unitlen, "%u-%llu", (unsigned)(i % 30) + 1, (unsigned long long)(i % 100000));
	snprintf(text, textlen, "loaded report %llu: the corridor light flickers on the way to the lift lobby",
		 (unsigned long long)i);
	t->kind = DISPATCH__KIND__KIND_REPAIR;
	t->unit = unit;
	t->text = text;
	t->source = DISPATCH__SOURCE__SOURCE_INTERCOM;
	t->category = (char *)"electrical";
	t->crew = (char *)"technical";
	t->member = (char *)"";
	t->rule = (char *)"electrical-repairs";
	t->skill = (char *)"electrician";
	t->building = (char *)"1";
	t->zone = (char *)"north";
	t->priority = 3;
	t->follow_up = 1;
}

size_t bench_ticket_size(void)
{
	Dispatch__Ticket t;
	char unit[32], text[160];

	bench_sample_ticket(&t, 123456, unit, sizeof unit, text, sizeof text);
	t.id = 123456;
	t.state = DISPATCH__STATE__STATE_ASSIGNED;
	t.member = (char *)"T3";
	t.created_ms = t.updated_ms = 1764500000000;
	t.acknowledge_by_ms = t.arrive_by_ms = t.resolve_by_ms = 1764500000000;
	t.last_seq = 1234567;
	return dispatch__ticket__get_packed_size(&t);
}

double bench_load(const char *dir, size_t map_size, uint64_t n)
{
	char err[1024], path[1100];
	store_t *s = store_open(dir, map_size, err, sizeof err);
	double t0 = bench_now();
	int64_t base_ms = 1764500000000 - (int64_t)n * 1000; /* one report a second, before the bench */
	MDB_txn *txn0;
	uint64_t i = 0;
	int fd, rc = 0;

	if (s == NULL) {
		fprintf(stderr, "bench: cannot make the store: %s\n", err);
		return -1;
	}
	store_set_nosync(s);
	while (i < n && rc == 0) {
		MDB_txn *txn;
		if ((rc = store_txn_begin(s, NULL, 0, &txn)) != 0)
			break;
		for (uint64_t end = i + 100000; i < n && i < end && rc == 0; i++) {
			Dispatch__Ticket t;
			Dispatch__Event ev;
			char unit[32], text[160], member[8];
			int64_t at = base_ms + (int64_t)i * 1000;

			bench_sample_ticket(&t, i, unit, sizeof unit, text, sizeof text);
			t.created_ms = at;
			if ((rc = store_next_ticket_id(s, txn, &t.id)) != 0)
				break;
			dispatch__event__init(&ev);
			ev.type = DISPATCH__EVENT_TYPE__EVENT_SUBMITTED;
			ev.actor = (char *)"desk";
			ev.actor_role = DISPATCH__ROLE__ROLE_DESK;
			if ((rc = ticket_record(s, txn, &t, DISPATCH__STATE__STATE_NEW, &ev, at, NULL, NULL)) != 0)
				break;
			snprintf(member, sizeof member, "T%u", (unsigned)(i % 8) + 1);
			t.member = member;
			dispatch__event__init(&ev);
			if (i % 1000 == 999) {
				/* still open: assigned and not yet accepted */
				ev.type = DISPATCH__EVENT_TYPE__EVENT_ASSIGNED;
				ev.actor = (char *)"dispatchd";
				ev.actor_role = DISPATCH__ROLE__ROLE_SYSTEM;
				rc = ticket_record(s, txn, &t, DISPATCH__STATE__STATE_ASSIGNED, &ev, at + 5, NULL,
						   NULL);
			} else {
				ev.type = DISPATCH__EVENT_TYPE__EVENT_CLOSED;
				ev.actor = (char *)"desk";
				ev.actor_role = DISPATCH__ROLE__ROLE_DESK;
				rc = ticket_record(s, txn, &t, DISPATCH__STATE__STATE_CLOSED, &ev, at + 600000, NULL,
						   NULL);
			}
		}
		if (rc == 0)
			rc = store_txn_commit(txn);
		else
			store_txn_abort(txn);
	}
	/* As a store the daemon made holds it from its first start: the
	 * estate notices in force (none here). Without it the daemon's first
	 * start reads them from the whole log, once (ingest.c). */
	if (rc == 0 && (rc = store_txn_begin(s, NULL, 0, &txn0)) == 0) {
		notices_t *none = notices_new();
		if ((rc = notices_save(none, s, txn0)) == 0)
			rc = store_txn_commit(txn0);
		else
			store_txn_abort(txn0);
		notices_destroy(&none);
	}
	store_destroy(&s);
	if (rc != 0) {
		fprintf(stderr, "bench: loading the store failed at ticket %llu: %s\n", (unsigned long long)i,
			store_strerror(rc));
		return -1;
	}
	/* Unsynced so far: put it on disk before the daemon opens it. */
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	if ((fd = open(path, O_RDWR)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return bench_now() - t0;
}
