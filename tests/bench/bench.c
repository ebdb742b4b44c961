/*
 * bench: `make bench` (issue 9). Measures the machine's raw limits, then
 * the real dispatchd, durable, over ipc and TCP loopback, and prints one
 * table plus a JSON file so runs can be compared:
 *
 *   bench [--quick] [--scale none|1m|10m] [--json FILE] [--dispatchd PATH]
 *         [--route PATH] [--gen-year PATH] [--dir DIR]
 *
 * Default: about 5 minutes, the scale section at 1 million stored tickets
 * (--scale 10m adds 10 million: some 15 GB of disk and 5 more minutes of
 * loading). --quick: under a minute, shorter runs, the scale section at
 * 100,000 tickets. The search section (issue 22) generates a year with
 * tests/tools/gen-year and times the desk's searches over it. Each ratio
 * in the targets is between numbers of this one run; the machine is
 * shared, so compare ratios, not absolutes.
 *
 * The daemon's TCP endpoints are CURVE (encrypted, each client known by
 * its key), so the tcp section runs it with keys the bench makes, and the
 * raw limits measure TCP both plain and with CURVE: "tcp+curve" is what
 * the daemon over TCP is a fraction of.
 */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.pb-c.h"

#define NTP 6

struct tp_row {
	int clients, depth;
	double rate, p50, p99;
	unsigned errors;
};

struct lat_row {
	double offered;
	double ack[4], dlv[4]; /* p50 p99 p99.9 max, us */
	size_t nack, ndlv;
	unsigned lost;
};

struct transport_res {
	const char *name;
	int curve;      /* its endpoints were CURVE */
	double raw_rtt; /* raw ZeroMQ round trips/s over the same transport (with CURVE if it) */
	struct tp_row tp[NTP];
	struct lat_row lat[2];
	double start_s;
	long rss_kb;
	double bytes_per_ticket; /* the store's pages over its tickets */
	double pages_per_commit; /* 4 kB pages written by a submission's own commit (wchar) */
};

struct scale_row {
	uint64_t tickets;
	double load_s, start_s;
	long rss_start_kb, rss_after_kb;
	double tp_8x1, tp_64x16;
	struct lat_row lat;
};

static struct {
	int quick;
	uint64_t scales[4];
	int nscales;
	const char *json, *dispatchd, *route, *dir;
	const char *gen_year; /* tests/tools/gen-year, for the search section */
	const char *only;     /* comma-separated sections, NULL = all */
	int keep;             /* leave the stores and logs behind */
	int peers;            /* --peers: Redis beside the daemon (issue 20) */
} opt = { .json = "build/bench-results.json",
	  .dispatchd = "build/dispatchd",
	  .route = "build/bench_route",
	  .dir = "/tmp",
	  .gen_year = "build/gen-year" };

static char rundir[512], config[600];

static int want(const char *section)
{
	char buf[256], *tok, *save;

	if (opt.only == NULL)
		return 1;
	snprintf(buf, sizeof buf, "%s", opt.only);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, section) == 0)
			return 1;
	return 0;
}

/* ---- the raw limits ------------------------------------------------------- */

static double median3(double a, double b, double c)
{
	return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
}

struct raw {
	size_t rec_size, msg_size;
	double commits, puts;
	double commit_p50, commit_p99;         /* us, all rounds together */
	double shaped, shaped_p50, shaped_p99; /* commits of a submission's shape (SUBMIT_DBS, SUBMIT_INDEX_KEYS) */
	double shaped_p999, shaped_slow;       /* ... their p99.9, and the share of them over 4 ms */
	double shaped_pages;                   /* ... and the 4 kB pages each wrote (wchar) */
	double rtt[3], oneway[3];              /* RAW_IPC, RAW_TCP, RAW_TCP_CURVE */
	double echo[3];                        /* ECHO_SHAPES through the echo: the ceiling for the daemon's protocol */
	double shaped8, shaped8_p50;           /* commits of 8 submissions' shape each (an 8 x 1 batch) */
	double floor_p50, floor_p99;           /* a shaped commit behind an ipc echo at 1,000/s: the ack's floor */
};

/* The echo's shapes (clients x in flight), as the daemon's rows 1x1, 8x1
 * and 64x16; and the size of a submission's Reply (its ticket and two
 * events), which the echo answers with. */
static const int echo_shape[3][2] = { { 1, 1 }, { 8, 1 }, { 64, 16 } };
#define SUBMIT_REPLY_BYTES 612

#define SUBMIT_DBS BENCH_SHAPED_DBS
#define SUBMIT_INDEX_KEYS BENCH_SHAPED_KEYS

enum { RAW_IPC, RAW_TCP, RAW_TCP_CURVE, RAW_NTRANSPORTS };

static size_t request_size(void)
{
	Dispatch__Request rq = DISPATCH__REQUEST__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;

	rq.version = 1;
	rq.request_id = (char *)"00001234567890ab.b12.22.1e240"; /* as bench_drive.c makes them */
	rq.role = DISPATCH__ROLE__ROLE_DESK;
	rq.actor = (char *)"bench-desk";
	rq.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
	rq.submit = &sub;
	sub.kind = DISPATCH__KIND__KIND_REPAIR;
	sub.unit = (char *)"12-R12C34N123456";
	sub.source = DISPATCH__SOURCE__SOURCE_INTERCOM;
	sub.text = (char *)"bench 1234567890123 the corridor light flickers on the way to the lift lobby";
	sub.category = (char *)"electrical";
	return dispatch__request__get_packed_size(&rq);
}

static void raw_limits(struct raw *r)
{
	double c[3], p[3], rt[3], ow[3];
	char dir[700];
	int rounds = opt.quick ? 1 : 3;

	r->rec_size = bench_ticket_size();
	r->msg_size = request_size();
	struct bench_lat lat = { 0 };

	for (int i = 0; i < rounds; i++) {
		snprintf(dir, sizeof dir, "%s/raw-commit-%d", rundir, i);
		c[i] = bench_raw_lmdb_commits(dir, r->rec_size, opt.quick ? 0.5 : 1.5, &lat);
		snprintf(dir, sizeof dir, "%s/raw-puts-%d", rundir, i);
		p[i] = bench_raw_lmdb_puts(dir, r->rec_size, opt.quick ? 100000 : 300000);
	}
	r->commits = rounds == 3 ? median3(c[0], c[1], c[2]) : c[0];
	r->commit_p50 = bench_lat_pct(&lat, 50);
	r->commit_p99 = bench_lat_pct(&lat, 99);
	bench_lat_free(&lat);
	long long wb0 = bench_write_bytes(0), wb1;
	for (int i = 0; i < rounds; i++) {
		snprintf(dir, sizeof dir, "%s/raw-shaped-%d", rundir, i);
		c[i] = bench_raw_lmdb_commits_spread(dir, SUBMIT_DBS, SUBMIT_INDEX_KEYS, r->rec_size, 1,
						     opt.quick ? 0.5 : 1.5, &lat);
	}
	wb1 = bench_write_bytes(0);
	if (wb0 >= 0 && wb1 > wb0 && lat.n > 0)
		r->shaped_pages = (double)(wb1 - wb0) / 4096.0 / (double)lat.n;
	r->shaped = rounds == 3 ? median3(c[0], c[1], c[2]) : c[0];
	r->shaped_p50 = bench_lat_pct(&lat, 50);
	r->shaped_p99 = bench_lat_pct(&lat, 99);
	r->shaped_p999 = bench_lat_pct(&lat, 99.9);
	/* the disk's rare slow syncs: each holds up every request behind it */
	for (size_t i = 0; i < lat.n; i++)
		r->shaped_slow += lat.v[i] > 4000;
	r->shaped_slow = lat.n ? r->shaped_slow / (double)lat.n : 0;
	bench_lat_free(&lat);
	/* Eight desks that each wait for their answer are one batch of
	 * eight: the commit 8 x 1 is made of */
	for (int i = 0; i < rounds; i++) {
		snprintf(dir, sizeof dir, "%s/raw-shaped8-%d", rundir, i);
		c[i] = bench_raw_lmdb_commits_spread(dir, SUBMIT_DBS, SUBMIT_INDEX_KEYS, r->rec_size, 8,
						     opt.quick ? 0.5 : 1.5, &lat);
	}
	r->shaped8 = rounds == 3 ? median3(c[0], c[1], c[2]) : c[0];
	r->shaped8_p50 = bench_lat_pct(&lat, 50);
	bench_lat_free(&lat);
	/* The ack at 1,000/s with nothing of the daemon in it: ZeroMQ both
	 * ways, the wake-ups of an idle machine, and the commit */
	for (int i = 0; i < rounds; i++) {
		char ep[700];
		snprintf(dir, sizeof dir, "%s/raw-floor-%d", rundir, i);
		snprintf(ep, sizeof ep, "ipc://%s/raw-floor-%d.sock", rundir, i);
		bench_raw_commit_behind_echo(dir, ep, r->rec_size, r->msg_size, 1000, opt.quick ? 1.5 : 3.0, &lat);
	}
	r->floor_p50 = bench_lat_pct(&lat, 50);
	r->floor_p99 = bench_lat_pct(&lat, 99);
	bench_lat_free(&lat);
	r->puts = rounds == 3 ? median3(p[0], p[1], p[2]) : p[0];
	for (int t = 0; t < RAW_NTRANSPORTS; t++) {
		for (int i = 0; i < rounds; i++) {
			char ep[700];
			int curve = t == RAW_TCP_CURVE;
			if (t == RAW_IPC)
				snprintf(ep, sizeof ep, "ipc://%s/raw-%d", rundir, i);
			else
				snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", 20000 + (getpid() % 20000) + 4 * t + i);
			rt[i] = bench_raw_zmq_rtt(ep, r->msg_size, opt.quick ? 0.5 : 1.0, curve);
			/* CURVE encrypts each message: fewer of them, for a like duration */
			ow[i] = bench_raw_zmq_oneway(ep, r->msg_size, (opt.quick ? 200000 : 500000) / (curve ? 4 : 1),
						     curve);
		}
		r->rtt[t] = rounds == 3 ? median3(rt[0], rt[1], rt[2]) : rt[0];
		r->oneway[t] = rounds == 3 ? median3(ow[0], ow[1], ow[2]) : ow[0];
	}
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < rounds; i++) {
			struct bench_daemon d;
			unsigned errors;
			if (bench_echo_start(&d, rundir, SUBMIT_REPLY_BYTES) != 0)
				return;
			rt[i] = bench_throughput(&d, echo_shape[k][0], echo_shape[k][1], opt.quick ? 0.5 : 1.0, NULL,
						 NULL, &errors);
			bench_daemon_stop(&d);
		}
		r->echo[k] = rounds == 3 ? median3(rt[0], rt[1], rt[2]) : rt[0];
	}
}

/* ---- the routing micro-benchmark (its own program) ------------------------ */

struct route_res {
	double route_us, commit_us;
	char text[2048];
};

static void route_bench(struct route_res *r)
{
	FILE *p = popen(opt.route, "r");
	char line[256];
	size_t used = 0;

	memset(r, 0, sizeof *r);
	if (p == NULL)
		return;
	while (fgets(line, sizeof line, p)) {
		if (used + strlen(line) < sizeof r->text)
			used += (size_t)snprintf(r->text + used, sizeof r->text - used, "%s", line);
		sscanf(line, " route one ticket %lf", &r->route_us);
		sscanf(line, " synced LMDB commit %lf", &r->commit_us);
	}
	pclose(p);
}

/* ---- the daemon ----------------------------------------------------------- */

static void lat_fill(struct lat_row *row, double offered, struct bench_lat *ack, struct bench_lat *dlv, unsigned lost)
{
	row->offered = offered;
	row->nack = ack->n;
	row->ndlv = dlv->n;
	row->ack[0] = bench_lat_pct(ack, 50), row->ack[1] = bench_lat_pct(ack, 99);
	row->ack[2] = bench_lat_pct(ack, 99.9), row->ack[3] = bench_lat_max(ack);
	row->dlv[0] = bench_lat_pct(dlv, 50), row->dlv[1] = bench_lat_pct(dlv, 99);
	row->dlv[2] = bench_lat_pct(dlv, 99.9), row->dlv[3] = bench_lat_max(dlv);
	row->lost = lost;
}

static int latency_run(const struct bench_daemon *d, double rate, double secs, struct lat_row *row)
{
	struct bench_lat ack = { 0 }, dlv = { 0 };
	unsigned lost = 0;

	/* On a settled disk, as the raw commits were timed: the rows before
	 * leave tens of megabytes of the store's pages to be written back,
	 * which would otherwise share the disk with the commits timed here. */
	sync();
	usleep(500000);
	bench_ping_members(d);
	if (bench_latency(d, rate, secs, &ack, &dlv, &lost) != 0)
		return -1;
	lat_fill(row, rate, &ack, &dlv, lost);
	bench_lat_free(&ack);
	bench_lat_free(&dlv);
	return 0;
}

static void print_lat(const char *label, const struct lat_row *l)
{
	printf("  %-22s %7.0f/s  ack  p50 %7.0f  p99 %7.0f  p99.9 %7.0f  max %7.0f us\n", label, l->offered, l->ack[0],
	       l->ack[1], l->ack[2], l->ack[3]);
	printf("  %-22s %9s  dlv  p50 %7.0f  p99 %7.0f  p99.9 %7.0f  max %7.0f us  (%zu acks, %zu deliveries, %u "
	       "lost)\n",
	       "", "", l->dlv[0], l->dlv[1], l->dlv[2], l->dlv[3], l->nack, l->ndlv, l->lost);
}

static int transport_run(const char *name, const struct raw *raw, struct transport_res *r)
{
	static const int shape[NTP][2] = { { 1, 1 }, { 1, 16 }, { 8, 1 }, { 8, 16 }, { 64, 1 }, { 64, 16 } };
	struct bench_daemon d;
	char state[700];
	double secs = opt.quick ? 0.7 : 3.0;

	memset(r, 0, sizeof *r);
	r->name = name;
	r->curve = strcmp(name, "tcp") == 0;
	r->raw_rtt = raw->rtt[r->curve ? RAW_TCP_CURVE : RAW_IPC];
	snprintf(state, sizeof state, "%s/store-%s", rundir, name);
	if (bench_daemon_start(&d, opt.dispatchd, config, state, name, rundir, 4096) != 0) {
		printf("\n[%s] dispatchd did not start; see the message above\n", name);
		return -1;
	}
	r->start_s = d.start_s;
	printf("\n[%s] dispatchd %s%s, durable, fresh store; started in %.3f s\n", name, d.request,
	       r->curve ? " with CURVE (each driver with its own key)" : "", d.start_s);
	if (r->raw_rtt > 0)
		printf("  raw ZeroMQ over the same%s: %.0f round trips/s, one in flight\n",
		       r->curve ? " (tcp+curve)" : "", r->raw_rtt);
	printf("  %-22s %12s %10s %10s %7s\n", "clients x in flight", "tickets/s", "ack p50", "ack p99", "errors");
	fflush(stdout);
	for (int i = 0; i < NTP; i++) {
		struct tp_row *t = &r->tp[i];
		char label[32];
		t->clients = shape[i][0];
		t->depth = shape[i][1];
		bench_ping_members(&d);
		t->rate = bench_throughput(&d, t->clients, t->depth, secs, &t->p50, &t->p99, &t->errors);
		snprintf(label, sizeof label, "%d x %d", t->clients, t->depth);
		printf("  %-22s %12.0f %8.0fus %8.0fus %7u\n", label, t->rate, t->p50, t->p99, t->errors);
		fflush(stdout);
	}
	/* after the rows: a store of tens of thousands of tickets, its trees
	 * as deep as an estate's */
	r->pages_per_commit = bench_pages_per_submission(&d, opt.quick ? 300 : 1000);
	printf("  %-22s %12.1f  (one desk, one at a time: each its own commit; the raw shaped commit: %.1f)\n",
	       "pages per submission", r->pages_per_commit, raw->shaped_pages);
	for (int i = 0; i < 2; i++) {
		double rate = i == 0 ? 1000 : 10000;
		if (latency_run(&d, rate, opt.quick ? 1.5 : 5.0, &r->lat[i]) == 0)
			print_lat(i == 0 ? "latency at" : "", &r->lat[i]);
		fflush(stdout);
	}
	r->rss_kb = bench_daemon_rss_anon_kb(&d);
	bench_daemon_stop(&d);
	r->bytes_per_ticket = bench_store_bytes_per_ticket(state);
	printf("  daemon RssAnon after the runs: %ld kB; the store holds %.0f bytes a ticket\n", r->rss_kb,
	       r->bytes_per_ticket);
	return 0;
}

struct fan_res {
	int handhelds, monitors;
	double rate;
	double hh[3], mon[3], ack[3]; /* p50 p99 max */
	size_t nhh, nmon;
	unsigned lost;
};

static int fanout_run(struct fan_res *f)
{
	struct bench_daemon d;
	struct bench_lat hh = { 0 }, mon = { 0 }, ack = { 0 };
	char state[700];

	f->handhelds = 1000;
	f->monitors = 10;
	f->rate = 1000;
	snprintf(state, sizeof state, "%s/store-fanout", rundir);
	if (bench_daemon_start(&d, opt.dispatchd, config, state, "ipc", rundir, 4096) != 0)
		return -1;
	if (bench_fanout(&d, f->handhelds, f->monitors, f->rate, opt.quick ? 1.5 : 4.0, &hh, &mon, &ack, &f->lost) !=
	    0) {
		bench_daemon_stop(&d);
		return -1;
	}
	f->nhh = hh.n, f->nmon = mon.n;
	f->hh[0] = bench_lat_pct(&hh, 50), f->hh[1] = bench_lat_pct(&hh, 99), f->hh[2] = bench_lat_max(&hh);
	f->mon[0] = bench_lat_pct(&mon, 50), f->mon[1] = bench_lat_pct(&mon, 99), f->mon[2] = bench_lat_max(&mon);
	f->ack[0] = bench_lat_pct(&ack, 50), f->ack[1] = bench_lat_pct(&ack, 99), f->ack[2] = bench_lat_max(&ack);
	bench_lat_free(&hh);
	bench_lat_free(&mon);
	bench_lat_free(&ack);
	bench_daemon_stop(&d);
	printf("\n[fan-out] ipc, %d handheld SUBs (one topic each) + %d monitors (everything), %.0f tickets/s\n",
	       f->handhelds, f->monitors, f->rate);
	printf("  acks       p50 %7.0f  p99 %7.0f  max %7.0f us\n", f->ack[0], f->ack[1], f->ack[2]);
	printf("  handhelds  p50 %7.0f  p99 %7.0f  max %7.0f us  (%zu deliveries)\n", f->hh[0], f->hh[1], f->hh[2],
	       f->nhh);
	printf("  monitors   p50 %7.0f  p99 %7.0f  max %7.0f us  (%zu deliveries; %u lost in all)\n", f->mon[0],
	       f->mon[1], f->mon[2], f->nmon, f->lost);
	return 0;
}

static int scale_run(uint64_t n, struct scale_row *s)
{
	struct bench_daemon d;
	char state[700], cmd[800];
	/* about 1.6 kB a ticket with its two events and indexes; room to grow */
	size_t map_mb = (size_t)(n / 1000 * 4) + 2048;
	double secs = opt.quick ? 0.7 : 3.0;
	unsigned errors;

	memset(s, 0, sizeof *s);
	s->tickets = n;
	snprintf(state, sizeof state, "%s/store-scale-%llu", rundir, (unsigned long long)n);
	if (n > 0) {
		printf("  loading %llu tickets ...", (unsigned long long)n);
		fflush(stdout);
		if ((s->load_s = bench_load(state, map_mb << 20, n)) < 0)
			return -1;
		printf(" %.1f s\n", s->load_s);
	}
	if (bench_daemon_start(&d, opt.dispatchd, config, state, "ipc", rundir, map_mb) != 0)
		return -1;
	s->start_s = d.start_s;
	s->rss_start_kb = bench_daemon_rss_anon_kb(&d);
	bench_ping_members(&d);
	s->tp_8x1 = bench_throughput(&d, 8, 1, secs, NULL, NULL, &errors);
	bench_ping_members(&d);
	s->tp_64x16 = bench_throughput(&d, 64, 16, secs, NULL, NULL, &errors);
	latency_run(&d, 1000, opt.quick ? 1.5 : 4.0, &s->lat);
	s->rss_after_kb = bench_daemon_rss_anon_kb(&d);
	bench_daemon_stop(&d);
	printf("  %-10llu start %6.3f s  RssAnon %6ld -> %6ld kB  8x1 %8.0f/s  64x16 %8.0f/s  1000/s ack p99 %6.0f us"
	       "  dlv p99 %6.0f us\n",
	       (unsigned long long)n, s->start_s, s->rss_start_kb, s->rss_after_kb, s->tp_8x1, s->tp_64x16,
	       s->lat.ack[1], s->lat.dlv[1]);
	fflush(stdout);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state);
	if (!opt.keep && system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", state);
	return 0;
}

/* ---- the peers (issue 20): Redis streams, durable as the daemon is ------ */

/*
 * What a user would pick instead of dispatchd for a durable queue: Redis
 * with its append-only file synced before every reply (appendonly yes,
 * appendfsync always), XADD of a submission-sized entry, on the same disk
 * (its files in the run's directory) and over a Unix socket, as the
 * daemon's ipc rows are. redis-benchmark drives it at the daemon's shapes:
 * 1 client, 8 clients, and 64 clients x 16 pipelined. An XADD does about
 * a fifth of a submission's work (no routing, no indexes, no chain, no
 * stored reply), so the ratios are a stretch, not parity.
 */
struct peer_res {
	int ran;
	double rate[3], p50[3], p99[3]; /* echo_shape's three; us */
};

static int peer_redis_up(const char *sock)
{
	char cmd[700];

	snprintf(cmd, sizeof cmd, "redis-cli -s '%s' ping >/dev/null 2>&1", sock);
	for (int i = 0; i < 100; i++) {
		if (system(cmd) == 0)
			return 0;
		bench_sleep(0.05);
	}
	return -1;
}

static int peers_run(struct peer_res *p)
{
	char dir[600], sock[600], cmd[2000], line[512];
	static const unsigned n_full[3] = { 4000, 30000, 400000 };
	pid_t pid;
	int rc = -1;

	memset(p, 0, sizeof *p);
	printf("\n[peers] Redis %s XADD, appendonly yes, appendfsync always, its files in this run's directory,"
	       " over a Unix socket\n",
	       system("redis-server --version >/dev/null 2>&1") == 0 ? "(Debian's redis-server)" : "");
	if (system("command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null && command -v "
		   "redis-cli >/dev/null") != 0) {
		printf("  redis-server, redis-cli or redis-benchmark is not installed: make bench-peers installs "
		       "them (Debian's redis-server and redis-tools)\n");
		return -1;
	}
	snprintf(dir, sizeof dir, "%s/redis", rundir);
	snprintf(sock, sizeof sock, "%s/redis.sock", rundir);
	mkdir(dir, 0755);
	if ((pid = fork()) == 0) {
		char log[700];
		snprintf(log, sizeof log, "%s/redis.log", rundir);
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock, "--dir", dir,
		       "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--logfile",
		       log, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || peer_redis_up(sock) != 0) {
		printf("  redis-server did not start (see %s/redis.log)\n", rundir);
		goto done;
	}
	for (int k = 0; k < 3; k++) {
		FILE *f;
		unsigned n = opt.quick ? n_full[k] / 4 : n_full[k];
		/* a value of a submission's size, as the desk's text is */
		snprintf(cmd, sizeof cmd,
			 "redis-benchmark -s '%s' -c %d -P %d -n %u --csv XADD bench '*' text "
			 "bench-0123456789-the-corridor-light-flickers-on-the-way-to-the-lift-lobby-12-R12C34N123456-"
			 "electrical-intercom-repair 2>/dev/null",
			 sock, echo_shape[k][0], echo_shape[k][1], n);
		if ((f = popen(cmd, "r")) == NULL)
			continue;
		while (fgets(line, sizeof line, f)) {
			/* "XADD ...","rps","avg","min","p50","p95","p99","max" (ms) */
			double v[8];
			char *q = line;
			int nv = 0;
			if (strncmp(line, "\"test\"", 6) == 0)
				continue;
			while (nv < 8 && (q = strstr(q, "\",\"")) != NULL) {
				q += 3;
				v[nv++] = strtod(q, NULL);
			}
			if (nv >= 6) {
				p->rate[k] = v[0];
				p->p50[k] = v[3] * 1000;
				p->p99[k] = v[5] * 1000;
			}
		}
		pclose(f);
		printf("  %2d x %-2d  XADD %10.0f /s   p50 %7.0f us   p99 %7.0f us\n", echo_shape[k][0],
		       echo_shape[k][1], p->rate[k], p->p50[k], p->p99[k]);
		fflush(stdout);
	}
	p->ran = p->rate[0] > 0;
	rc = p->ran ? 0 : -1;
done:
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	return rc;
}

/* ---- the search over a year (issue 22) ------------------------------------ */

/* One search's figures: the median of its runs. */
struct search_fig {
	const char *name;
	double ms[32], median_ms;
	unsigned pages, found, scanned;
};

struct search_res {
	uint64_t tickets;
	double gen_s;
	struct search_fig fig[5];
	int nfig;
	/* issue 19: the review over the year, with assets and costs, and over
	 * the same year generated without them (the same seed: the same
	 * tickets otherwise), each the median of its runs */
	double review_ms, review_plain_ms;
	unsigned assets; /* distinct assets the year's tickets name */
};

static int cmp_double(const void *a, const void *b);

/* Issue 19: the median time of `dispatchd report review` over state's year. */
static double review_time(const char *state, int runs, const char *out)
{
	char cmd[1600];
	double ms[16];

	if (runs > 16)
		runs = 16;
	snprintf(cmd, sizeof cmd,
		 "'%s' --state-dir '%s' report review --from 2026-01-01 --to 2027-01-01 --format json >'%s' 2>&1",
		 opt.dispatchd, state, out);
	for (int i = 0; i < runs; i++) {
		double t0 = bench_now();
		if (system(cmd) != 0)
			return -1;
		ms[i] = (bench_now() - t0) * 1000.0;
	}
	qsort(ms, (size_t)runs, sizeof ms[0], cmp_double);
	return ms[runs / 2];
}

/* Issue 19: how many assets the review's by_asset lists. */
static unsigned review_assets(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	unsigned n = 0;
	int in = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "\"by_asset\""))
			in = 1;
		else if (strstr(line, "\"by_vendor\""))
			in = 0;
		else if (in && strstr(line, "\"asset\": \""))
			n++;
	}
	fclose(f);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A generated year (gen-year: ~50,000 tickets of a 3,000-unit estate)
 * served by dispatchd, and the desk's searches over it through the real
 * socket, each to its end (every page): the text scans every ticket kept,
 * the unit and the month come from the search indexes. */
static int search_run(struct search_res *r)
{
	static const char *unit[] = { "11-6A" }, *pattern[] = { "11-*" };
	static Dispatch__Kind complaint[] = { DISPATCH__KIND__KIND_COMPLAINT };
	Dispatch__List q[5];
	struct bench_daemon d;
	char state[700], cmd[1600];
	int runs = opt.quick ? 5 : 11;
	double t0;

	memset(r, 0, sizeof *r);
	snprintf(state, sizeof state, "%s/store-year", rundir);
	snprintf(cmd, sizeof cmd, "'%s' --seed 2026 '%s' >'%s/gen-year.log' 2>&1", opt.gen_year, state, rundir);
	t0 = bench_now();
	if (system(cmd) != 0) {
		printf("  gen-year (%s) failed; see %s/gen-year.log\n", opt.gen_year, rundir);
		return -1;
	}
	r->gen_s = bench_now() - t0;
	r->tickets = 50000;
	if (bench_daemon_start(&d, opt.dispatchd, config, state, "ipc", rundir, 4096) != 0)
		return -1;
	for (int i = 0; i < 5; i++) {
		dispatch__list__init(&q[i]);
		q[i].include_closed = 1;
		q[i].limit = 1000;
	}
	r->fig[0].name = "text scan, no match", q[0].text = (char *)"nothing anybody wrote";
	r->fig[1].name = "text scan, Chinese, no match", q[1].text = (char *)"漏水";
	r->fig[2].name = "unit index, one unit", q[2].units = (char **)unit, q[2].n_units = 1;
	r->fig[3].name = "unit index, a building", q[3].units = (char **)pattern, q[3].n_units = 1;
	r->fig[4].name = "created index, complaints of a month", q[4].kinds = complaint, q[4].n_kinds = 1;
	q[4].created_from_ms = 1772294400000LL; /* 2026-03-01 00:00 Hong Kong */
	q[4].created_to_ms = 1774972800000LL;   /* 2026-04-01 */
	r->nfig = 5;
	for (int f = 0; f < r->nfig; f++) {
		struct search_fig *g = &r->fig[f];
		for (int i = 0; i < runs; i++)
			if (bench_search(&d, &q[f], &g->ms[i], &g->pages, &g->found, &g->scanned) != 0) {
				bench_daemon_stop(&d);
				return -1;
			}
		qsort(g->ms, (size_t)runs, sizeof g->ms[0], cmp_double);
		g->median_ms = g->ms[runs / 2];
	}
	bench_daemon_stop(&d);
	{
		/* issue 19: the review over the year with its assets and costs, and
		 * the same year without them (gen-year --no-assets) as the baseline */
		char plain[700], out[800];
		int rruns = opt.quick ? 1 : 3;
		snprintf(out, sizeof out, "%s/review-year.json", rundir);
		r->review_ms = review_time(state, rruns, out);
		r->assets = review_assets(out);
		snprintf(plain, sizeof plain, "%s/store-year-plain", rundir);
		snprintf(cmd, sizeof cmd, "'%s' --seed 2026 --no-assets '%s' >>'%s/gen-year.log' 2>&1", opt.gen_year,
			 plain, rundir);
		r->review_plain_ms = system(cmd) == 0 ? review_time(plain, rruns, out) : -1;
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", plain);
		if (!opt.keep && system(cmd) != 0)
			fprintf(stderr, "bench: could not remove %s\n", plain);
	}
	printf("\n[search over a year] %llu generated tickets (gen-year, %.1f s), through dispatchd's socket;"
	       " each the whole search, every page; median of %d\n",
	       (unsigned long long)r->tickets, r->gen_s, runs);
	for (int f = 0; f < r->nfig; f++)
		printf("  %-40s %9.1f ms   %3u page(s), %5u found, %6u examined\n", r->fig[f].name, r->fig[f].median_ms,
		       r->fig[f].pages, r->fig[f].found, r->fig[f].scanned);
	printf("\n[review over a year] dispatchd report review of the same year, %u assets named, costs at every "
	       "resolution; median of %d\n",
	       r->assets, opt.quick ? 1 : 3);
	printf("  %-40s %9.1f ms\n", "review with assets and costs", r->review_ms);
	printf("  %-40s %9.1f ms   (the same year generated without them)\n", "review without (baseline)",
	       r->review_plain_ms);
	fflush(stdout);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state);
	if (!opt.keep && system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", state);
	return 0;
}

/* ---- report --------------------------------------------------------------- */

struct target {
	const char *name;
	double measured, target;
	int higher_is_better, met;
	const char *unit;
	double best; /* the best this run's raw limits allow (0: not known) */
};

static void json_lat(FILE *f, const char *key, const double *v)
{
	fprintf(f, "\"%s\": {\"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f}", key, v[0], v[1],
		v[2], v[3]);
}

static void write_json(const char *path, const struct raw *raw, const struct route_res *route,
		       const struct transport_res *tr, int ntr, const struct fan_res *fan, int have_fan,
		       const struct scale_row *sc, int nsc, const struct search_res *se, int have_se,
		       const struct target *tg, int ntg, double total_s)
{
	char dir[600], *slash;
	time_t now = time(NULL);
	char when[64], host[128] = "";
	FILE *f;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	gethostname(host, sizeof host - 1);
	fprintf(f, "{\n  \"format\": 1, \"when\": \"%s\", \"host\": \"%s\", \"quick\": %s, \"seconds\": %.1f,\n", when,
		host, opt.quick ? "true" : "false", total_s);
	fprintf(f,
		"  \"raw\": {\"record_bytes\": %zu, \"message_bytes\": %zu, \"lmdb_synced_commits_per_s\": %.0f,"
		" \"lmdb_commit_p50_us\": %.1f, \"lmdb_commit_p99_us\": %.1f, \"lmdb_puts_per_s_one_txn\": %.0f,\n"
		"          \"lmdb_submission_shaped_commits_per_s\": %.0f, \"lmdb_submission_shaped_commit_p50_us\": "
		"%.1f,"
		" \"lmdb_submission_shaped_commit_p99_us\": %.1f, \"lmdb_submission_shaped_commit_p999_us\": %.1f,"
		" \"lmdb_submission_shaped_commits_over_4ms\": %.5f,\n"
		"          \"zmq_ipc_round_trips_per_s\": %.0f, \"zmq_ipc_one_way_per_s\": %.0f,"
		" \"zmq_tcp_round_trips_per_s\": %.0f, \"zmq_tcp_one_way_per_s\": %.0f,\n"
		"          \"zmq_tcp_curve_round_trips_per_s\": %.0f, \"zmq_tcp_curve_one_way_per_s\": %.0f,\n"
		"          \"echo_1x1_per_s\": %.0f, \"echo_8x1_per_s\": %.0f, \"echo_64x16_per_s\": %.0f},\n",
		raw->rec_size, raw->msg_size, raw->commits, raw->commit_p50, raw->commit_p99, raw->puts, raw->shaped,
		raw->shaped_p50, raw->shaped_p99, raw->shaped_p999, raw->shaped_slow, raw->rtt[RAW_IPC],
		raw->oneway[RAW_IPC], raw->rtt[RAW_TCP], raw->oneway[RAW_TCP], raw->rtt[RAW_TCP_CURVE],
		raw->oneway[RAW_TCP_CURVE], raw->echo[0], raw->echo[1], raw->echo[2]);
	fprintf(f, "  \"route\": {\"route_one_ticket_us\": %.2f, \"synced_commit_us\": %.1f},\n", route->route_us,
		route->commit_us);
	fprintf(f, "  \"transports\": [\n");
	for (int i = 0; i < ntr; i++) {
		const struct transport_res *t = &tr[i];
		fprintf(f,
			"    {\"transport\": \"%s\", \"curve\": %s, \"raw_round_trips_per_s\": %.0f, \"start_s\": %.3f,"
			" \"rss_anon_kb\": %ld, \"store_bytes_per_ticket\": %.0f,\n"
			"     \"throughput\": [",
			t->name, t->curve ? "true" : "false", t->raw_rtt, t->start_s, t->rss_kb, t->bytes_per_ticket);
		for (int k = 0; k < NTP; k++)
			fprintf(f,
				"%s\n       {\"clients\": %d, \"depth\": %d, \"tickets_per_s\": %.0f, \"ack_p50_us\": "
				"%.1f,"
				" \"ack_p99_us\": %.1f, \"errors\": %u}",
				k ? "," : "", t->tp[k].clients, t->tp[k].depth, t->tp[k].rate, t->tp[k].p50,
				t->tp[k].p99, t->tp[k].errors);
		fprintf(f, "],\n     \"latency\": [");
		for (int k = 0; k < 2; k++) {
			fprintf(f, "%s\n       {\"offered_per_s\": %.0f, ", k ? "," : "", t->lat[k].offered);
			json_lat(f, "ack", t->lat[k].ack);
			fprintf(f, ", ");
			json_lat(f, "delivery", t->lat[k].dlv);
			fprintf(f, ", \"acks\": %zu, \"deliveries\": %zu, \"lost\": %u}", t->lat[k].nack,
				t->lat[k].ndlv, t->lat[k].lost);
		}
		fprintf(f, "]}%s\n", i + 1 < ntr ? "," : "");
	}
	fprintf(f, "  ],\n");
	if (have_fan)
		fprintf(f,
			"  \"fanout\": {\"transport\": \"ipc\", \"handhelds\": %d, \"monitors\": %d, "
			"\"offered_per_s\": %.0f,"
			" \"handheld_p50_us\": %.1f, \"handheld_p99_us\": %.1f, \"handheld_max_us\": %.1f,"
			" \"monitor_p50_us\": %.1f, \"monitor_p99_us\": %.1f, \"monitor_max_us\": %.1f,"
			" \"ack_p50_us\": %.1f, \"ack_p99_us\": %.1f, \"lost\": %u},\n",
			fan->handhelds, fan->monitors, fan->rate, fan->hh[0], fan->hh[1], fan->hh[2], fan->mon[0],
			fan->mon[1], fan->mon[2], fan->ack[0], fan->ack[1], fan->lost);
	fprintf(f, "  \"scale\": [");
	for (int i = 0; i < nsc; i++) {
		const struct scale_row *s = &sc[i];
		fprintf(f,
			"%s\n    {\"tickets\": %llu, \"load_s\": %.1f, \"start_s\": %.3f, \"rss_anon_start_kb\": %ld,"
			" \"rss_anon_after_kb\": %ld, \"tickets_per_s_8x1\": %.0f, \"tickets_per_s_64x16\": %.0f, ",
			i ? "," : "", (unsigned long long)s->tickets, s->load_s, s->start_s, s->rss_start_kb,
			s->rss_after_kb, s->tp_8x1, s->tp_64x16);
		json_lat(f, "ack_at_1000", s->lat.ack);
		fprintf(f, ", ");
		json_lat(f, "delivery_at_1000", s->lat.dlv);
		fprintf(f, "}");
	}
	fprintf(f, "],\n");
	if (have_se) {
		fprintf(f, "  \"search\": {\"tickets\": %llu, \"generate_s\": %.1f, \"figures\": [",
			(unsigned long long)se->tickets, se->gen_s);
		for (int i = 0; i < se->nfig; i++)
			fprintf(f,
				"%s\n    {\"search\": \"%s\", \"median_ms\": %.2f, \"pages\": %u, \"found\": %u, "
				"\"examined\": %u}",
				i ? "," : "", se->fig[i].name, se->fig[i].median_ms, se->fig[i].pages, se->fig[i].found,
				se->fig[i].scanned);
		fprintf(f, "],\n    \"review_with_costs_ms\": %.1f, \"review_without_ms\": %.1f, \"assets\": %u},\n",
			se->review_ms, se->review_plain_ms, se->assets);
	}
	fprintf(f, "  \"targets\": [");
	for (int i = 0; i < ntg; i++)
		fprintf(f,
			"%s\n    {\"target\": \"%s\", \"measured\": %.3f, \"limit\": %.3f, \"unit\": \"%s\", \"met\": "
			"%s, \"best_the_raw_limits_allow\": %.3f}",
			i ? "," : "", tg[i].name, tg[i].measured, tg[i].target, tg[i].unit,
			tg[i].met ? "true" : "false", tg[i].best);
	fprintf(f, "]\n}\n");
	fclose(f);
}

static void add_target(struct target *tg, int *n, const char *name, double measured, double target, int higher,
		       const char *unit)
{
	tg[*n] = (struct target){ name, measured, target, higher, higher ? measured >= target : measured < target,
				  unit, 0 };
	(*n)++;
}

/* The last target added: the best the raw limits of this run allow it. */
static void target_best(struct target *tg, int n, double best)
{
	if (n > 0 && best > 0)
		tg[n - 1].best = best;
}

/* --trace: the daemon logged a line per batch (ingest.c, at debug
 * level); print the median and p99 of each phase, so that where a
 * request's time goes under this load is one command away. */
static void trace_summary(const char *log)
{
	static const char *phase[7] = { "batch size", "idle", "receive", "gather", "apply", "commit", "answer" };
	struct bench_lat v[7] = { { 0 } };
	char line[512];
	FILE *f = fopen(log, "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f)) {
		double x[7];
		const char *p = strstr(line, "batch of ");
		if (p &&
		    sscanf(p, "batch of %lf: idle %lf us, receive %lf, gather %lf, apply %lf, commit %lf, answer %lf",
			   &x[0], &x[1], &x[2], &x[3], &x[4], &x[5], &x[6]) == 7)
			for (int i = 0; i < 7; i++)
				bench_lat_add(&v[i], x[i]);
	}
	fclose(f);
	printf("trace: %zu batches (the daemon's own clock, us; idle: the loop between batches)\n", v[0].n);
	for (int i = 0; i < 7; i++) {
		if (v[i].n)
			printf("  %-11s p50 %7.0f  p99 %7.0f  max %7.0f\n", phase[i], bench_lat_pct(&v[i], 50),
			       bench_lat_pct(&v[i], 99), bench_lat_max(&v[i]));
		bench_lat_free(&v[i]);
	}
}

/* --soak N,D,SECS: one closed-loop run, long enough to attach perf or
 * strace to the daemon (its pid is printed), and nothing else;
 * --soak @RATE,SECS: the open loop at RATE tickets/s instead. */
static int soak_run(const char *spec)
{
	struct bench_daemon d;
	char state[700];
	int n = 0, depth = 0;
	double secs = 0, offered = 0, p50, p99;
	unsigned errors = 0;

	if (spec[0] == '@' ? sscanf(spec + 1, "%lf,%lf", &offered, &secs) != 2 || offered <= 0 || secs <= 0
			   : sscanf(spec, "%d,%d,%lf", &n, &depth, &secs) != 3 || n < 1 || depth < 1 || secs <= 0) {
		fprintf(stderr,
			"bench: --soak wants N,D,SECS (clients, in flight each, seconds) or @RATE,SECS (tickets/s,"
			" seconds), not '%s'\n",
			spec);
		return 2;
	}
	snprintf(state, sizeof state, "%s/store-soak", rundir);
	if (bench_daemon_start(&d, opt.dispatchd, config, state, "ipc", rundir, 4096) != 0)
		return 1;
	if (offered > 0) {
		struct lat_row l;
		printf("soak: dispatchd pid %d on %s, open loop at %.0f/s for %.0f s\n", (int)d.pid, d.request, offered,
		       secs);
		fflush(stdout);
		if (latency_run(&d, offered, secs, &l) == 0)
			print_lat("soak", &l);
		bench_daemon_stop(&d);
		if (strcmp(bench_daemon_log_level, "debug") == 0)
			trace_summary(d.log);
		return 0;
	}
	printf("soak: dispatchd pid %d on %s, %d x %d for %.0f s\n", (int)d.pid, d.request, n, depth, secs);
	fflush(stdout);
	bench_ping_members(&d);
	double rate = bench_throughput(&d, n, depth, secs, &p50, &p99, &errors);
	printf("soak: %.0f tickets/s, ack p50 %.0f us, p99 %.0f us, %u errors\n", rate, p50, p99, errors);
	bench_daemon_stop(&d);
	if (strcmp(bench_daemon_log_level, "debug") == 0)
		trace_summary(d.log);
	printf("soak: the store holds %.0f bytes a ticket (%s)\n", bench_store_bytes_per_ticket(state), state);
	return 0;
}

static uint64_t parse_scale(const char *s)
{
	if (strcmp(s, "none") == 0)
		return 0;
	if (strcmp(s, "10m") == 0)
		return 10000000;
	if (strcmp(s, "1m") == 0)
		return 1000000;
	if (strcmp(s, "100k") == 0)
		return 100000;
	return strtoull(s, NULL, 10);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "scale", required_argument, NULL, 's' },
		{ "json", required_argument, NULL, 'j' },
		{ "dispatchd", required_argument, NULL, 'd' },
		{ "route", required_argument, NULL, 'r' },
		{ "dir", required_argument, NULL, 'D' },
		{ "only", required_argument, NULL, 'o' },
		{ "keep", no_argument, NULL, 'k' },
		{ "soak", required_argument, NULL, 'S' },
		{ "gen-year", required_argument, NULL, 'g' },
		{ "peers", no_argument, NULL, 'P' },
		{ "trace", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct raw raw;
	struct route_res route;
	struct transport_res tr[2];
	struct fan_res fan;
	struct scale_row sc[4];
	struct search_res se;
	struct peer_res peers;
	int have_peers = 0;
	struct target tg[24];
	struct rlimit rl;
	const char *scale = NULL, *soak = NULL;
	int ntr = 0, nsc = 0, ntg = 0, have_fan = 0, have_se = 0, c;
	double t0 = bench_now();
	char cmd[700];

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': opt.quick = 1; break;
		case 's': scale = optarg; break;
		case 'j': opt.json = optarg; break;
		case 'd': opt.dispatchd = optarg; break;
		case 'r': opt.route = optarg; break;
		case 'D': opt.dir = optarg; break;
		case 'o': opt.only = optarg; break;
		case 'k': opt.keep = 1; break;
		case 'S': soak = optarg; break;
		case 'g': opt.gen_year = optarg; break;
		case 'P': opt.peers = 1; break;
		case 'T': bench_daemon_log_level = "debug"; break;
		default:
			fprintf(stderr,
				"usage: bench [--quick] [--scale none|100k|1m|10m] [--json FILE] [--dispatchd PATH]"
				" [--route PATH] [--gen-year PATH] [--dir DIR] [--only "
				"raw,route,ipc,tcp,fanout,scale,search]"
				" [--keep] [--peers] [--trace]"
				" [--soak N,D,SECS | @RATE,SECS]\n");
			return 2;
		}
	}
	/* The empty store first: the row every scale is compared with. */
	opt.scales[opt.nscales++] = 0;
	if (scale == NULL)
		opt.scales[opt.nscales++] = opt.quick ? 100000 : 1000000;
	else if (strcmp(scale, "10m") == 0 && !opt.quick)
		opt.scales[opt.nscales++] = 1000000, opt.scales[opt.nscales++] = 10000000;
	else if (parse_scale(scale) > 0)
		opt.scales[opt.nscales++] = parse_scale(scale);

	/* A thousand handhelds: sockets in this process and connections in
	 * the daemon, which inherits the limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536) {
		rl.rlim_cur = 65536;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	signal(SIGPIPE, SIG_IGN);
	setenv("TZ", "Asia/Hong_Kong", 1);
	snprintf(rundir, sizeof rundir, "%s/dbench-XXXXXX", opt.dir);
	if (mkdtemp(rundir) == NULL) {
		fprintf(stderr, "bench: cannot make a directory in %s: %s\n", opt.dir, strerror(errno));
		return 1;
	}
	snprintf(config, sizeof config, "%s/bench.yaml", rundir);
	if (bench_write_config(config) != 0) {
		fprintf(stderr, "bench: cannot write %s\n", config);
		return 1;
	}

	if (soak)
		return soak_run(soak);
	printf("dispatchd benchmark%s: durable (fsync before every reply), in %s\n", opt.quick ? " (--quick)" : "",
	       rundir);
	memset(&raw, 0, sizeof raw);
	if (want("raw")) {
		printf("\n[raw limits] median of %d\n", opt.quick ? 1 : 3);
		fflush(stdout);
		raw_limits(&raw);
		printf("  LMDB synced commits, one %zu-byte record each   %10.0f /s   (each: p50 %.0f us, p99 %.0f "
		       "us)\n",
		       raw.rec_size, raw.commits, raw.commit_p50, raw.commit_p99);
		printf("  LMDB synced commits, a submission's shape: one record into each of %d databases and %d keys\n"
		       "  into a shared index   %34.0f /s   (each: p50 %.0f us, p99 %.0f us, p99.9 %.0f us;"
		       " %.2f%% over 4 ms)\n",
		       SUBMIT_DBS, SUBMIT_INDEX_KEYS, raw.shaped, raw.shaped_p50, raw.shaped_p99, raw.shaped_p999,
		       100 * raw.shaped_slow);
		printf("  ... 8 submissions of that shape in each commit (8 desks' batch) %8.0f /s   (each: p50 %.0f "
		       "us)\n",
		       raw.shaped8, raw.shaped8_p50);
		printf("  ... one such commit behind a ZeroMQ echo, ipc, 1,000/s: the round trip p50 %.0f us, p99 %.0f "
		       "us\n",
		       raw.floor_p50, raw.floor_p99);
		printf("  LMDB puts in one transaction (%zu bytes)        %10.0f /s\n", raw.rec_size, raw.puts);
		printf("  ZeroMQ round trips (%zu bytes)      ipc %10.0f /s   tcp %10.0f /s   tcp+curve %10.0f /s\n",
		       raw.msg_size, raw.rtt[RAW_IPC], raw.rtt[RAW_TCP], raw.rtt[RAW_TCP_CURVE]);
		printf("  ZeroMQ one-way messages             ipc %10.0f /s   tcp %10.0f /s   tcp+curve %10.0f /s\n",
		       raw.oneway[RAW_IPC], raw.oneway[RAW_TCP], raw.oneway[RAW_TCP_CURVE]);
		printf("  the daemon's protocol with nothing behind it: the bench's submitters against a process that\n"
		       "  unpacks each Request and answers a %d-byte Reply at once (ipc, no store, no sync)\n"
		       "                                      1 x 1 %8.0f /s   8 x 1 %8.0f /s   64 x 16 %8.0f /s\n",
		       SUBMIT_REPLY_BYTES, raw.echo[0], raw.echo[1], raw.echo[2]);
	}

	memset(&route, 0, sizeof route);
	if (want("route")) {
		printf("\n[routing] tests/bench/bench_route.c\n");
		fflush(stdout);
		route_bench(&route);
		fputs(route.text, stdout);
	}

	if (want("ipc") && transport_run("ipc", &raw, &tr[ntr]) == 0)
		ntr++;
	/* Every TCP endpoint of the daemon is CURVE (issue 7): the bench
	 * makes the keys, one per identity its drivers act as. */
	if (want("tcp") && transport_run("tcp", &raw, &tr[ntr]) == 0)
		ntr++;
	have_fan = want("fanout") && fanout_run(&fan) == 0;

	if (want("scale") && opt.nscales > 0)
		printf("\n[scale] ipc; the store filled by a loader through daemon/store.c, then dispatchd started on "
		       "it\n");
	for (int i = 0; want("scale") && i < opt.nscales; i++)
		if (scale_run(opt.scales[i], &sc[nsc]) == 0)
			nsc++;

	have_se = want("search") && search_run(&se) == 0;

	if (opt.peers)
		have_peers = peers_run(&peers) == 0;

	/* ---- the targets (issue 20: each a ratio within this run) ---- */
	for (int i = 0; i < ntr && raw.shaped > 0; i++) {
		char *n1 = malloc(96), *n2 = malloc(96), *n3 = malloc(96);
		snprintf(n1, 96, "%s: ack p99 at 1,000/s / shaped commit p99 <= 2", tr[i].name);
		int ipc = strcmp(tr[i].name, "ipc") == 0;
		add_target(tg, &ntg, n1, tr[i].lat[0].ack[1] / raw.shaped_p99, 2.0, 0, "ratio");
		if (ipc) /* the commit behind an echo: no daemon in the round trip */
			target_best(tg, ntg, raw.floor_p99 / raw.shaped_p99);
		snprintf(n2, 96, "%s: ack p50 at 1,000/s / shaped commit p50 <= 1.5", tr[i].name);
		add_target(tg, &ntg, n2, tr[i].lat[0].ack[0] / raw.shaped_p50, 1.5, 0, "ratio");
		if (ipc)
			target_best(tg, ntg, raw.floor_p50 / raw.shaped_p50);
		snprintf(n3, 96, "%s: 8x1 / (8 x shaped commits/s) >= 0.8", tr[i].name);
		add_target(tg, &ntg, n3, tr[i].tp[2].rate / (8 * raw.shaped), 0.8, 1, "ratio");
		/* eight desks, each waiting: at best a round is the commit of
		 * their eight submissions plus the echo's round of eight */
		if (ipc && raw.shaped8_p50 > 0 && raw.echo[1] > 0)
			target_best(tg, ntg, 8 / (raw.shaped8_p50 / 1e6 + 8 / raw.echo[1]) / (8 * raw.shaped));
	}
	for (int i = 0; i < ntr; i++) {
		if (strcmp(tr[i].name, "ipc") != 0)
			continue;
		if (tr[i].pages_per_commit > 0)
			add_target(tg, &ntg, "ipc: pages written per submission commit <= 12", tr[i].pages_per_commit,
				   12.0, 0, "pages");
		if (raw.echo[2] > 0)
			add_target(tg, &ntg, "ipc: 64x16 / the echo's 64x16 >= 0.3", tr[i].tp[5].rate / raw.echo[2],
				   0.3, 1, "ratio");
		if (have_peers) {
			static const int row[3] = { 0, 2, 5 }; /* 1x1, 8x1, 64x16 */
			static const double need[3] = { 0.5, 0.6, 0.3 };
			for (int k = 0; k < 3; k++) {
				char *n = malloc(96);
				snprintf(n, 96, "peers: ipc %dx%d / Redis XADD %dx%d >= %.1f", echo_shape[k][0],
					 echo_shape[k][1], echo_shape[k][0], echo_shape[k][1], need[k]);
				add_target(tg, &ntg, n, peers.rate[k] > 0 ? tr[i].tp[row[k]].rate / peers.rate[k] : 0,
					   need[k], 1, "ratio");
			}
		}
	}
	if (have_se) {
		/* issue 22: a text scan over a year under a second */
		add_target(tg, &ntg, "search over a year: text scan < 1 s", se.fig[0].median_ms, 1000, 0, "ms");
	}
	if (nsc >= 2 && sc[0].tickets == 0) {
		const struct scale_row *e = &sc[0], *big = &sc[nsc - 1];
		char *n1 = malloc(96), *n2 = malloc(96), *n3 = malloc(96), *n4 = malloc(96);
		snprintf(n1, 96, "%llu tickets: 64x16 within 20%% of empty", (unsigned long long)big->tickets);
		add_target(tg, &ntg, n1, e->tp_64x16 > 0 ? big->tp_64x16 / e->tp_64x16 : 0, 0.8, 1, "ratio");
		snprintf(n2, 96, "%llu tickets: 8x1 within 20%% of empty", (unsigned long long)big->tickets);
		add_target(tg, &ntg, n2, e->tp_8x1 > 0 ? big->tp_8x1 / e->tp_8x1 : 0, 0.8, 1, "ratio");
		snprintf(n3, 96, "%llu tickets: start < 1 s", (unsigned long long)big->tickets);
		add_target(tg, &ntg, n3, big->start_s, 1.0, 0, "s");
		snprintf(n4, 96, "%llu tickets: RssAnon < 64 MB", (unsigned long long)big->tickets);
		add_target(tg, &ntg, n4,
			   (double)(big->rss_after_kb > big->rss_start_kb ? big->rss_after_kb : big->rss_start_kb) /
				   1024.0,
			   64, 0, "MB");
	}
	printf("\n[targets] each a ratio or value from this run\n");
	printf("  (CPU per ticket is bench_apply's instruction count under callgrind, not run here: see the "
	       "README)\n");
	printf("  (best: what this run's raw limits allow at most, where they bound it)\n");
	for (int i = 0; i < ntg; i++) {
		const struct target *t = &tg[i];
		int beyond = t->best > 0 && (t->higher_is_better ? t->best < t->target : t->best >= t->target);
		printf("  %-46s %12.2f %-9s %s %10.2f   %-7s", t->name, t->measured, t->unit,
		       t->higher_is_better ? ">=" : "< ", t->target, t->met ? "met" : "NOT MET");
		if (t->best > 0)
			printf("  best %.2f%s", t->best, beyond ? ": beyond this machine" : "");
		printf("\n");
	}
	write_json(opt.json, &raw, &route, tr, ntr, &fan, have_fan, sc, nsc, &se, have_se, tg, ntg, bench_now() - t0);
	printf("\nresults in %s; %.0f s in all\n", opt.json, bench_now() - t0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", rundir);
	if (opt.keep)
		printf("kept %s\n", rundir);
	else if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", rundir);
	return 0;
}
