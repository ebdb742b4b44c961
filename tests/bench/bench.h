/*
 * bench: the whole-system benchmark `make bench` runs (issue 9).
 *
 *   bench.c        options, the order of the sections, the table and the JSON
 *   bench_raw.c    what the machine allows: synced LMDB commits, puts in one
 *                  transaction, ZeroMQ round trips and one-way messages; and
 *                  the loader that fills a store for the scale section
 *   bench_drive.c  the real dispatchd as a child process, and the clients
 *                  that drive it: closed-loop submitters (N clients x D in
 *                  flight), an open-loop submitter at a fixed rate with
 *                  handheld SUBs timing delivery, and the fan-out run; on
 *                  tcp each with the CURVE key of whom it acts as
 *
 * Benchmarks measure; they assert nothing. Each section's numbers are
 * medians or percentiles from this run only, so ratios between sections
 * are meaningful on a noisy shared machine while absolute values are not.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A growing sample of latencies in microseconds. */
struct bench_lat {
	double *v;
	size_t n, cap;
};

void bench_lat_add(struct bench_lat *l, double us);
void bench_lat_free(struct bench_lat *l);
/* p in [0, 100]; sorts l. 0 when empty. */
double bench_lat_pct(struct bench_lat *l, double p);
double bench_lat_max(struct bench_lat *l);

double bench_now(void); /* CLOCK_MONOTONIC seconds */
int64_t bench_now_ns(void);
void bench_sleep(double s);

/* ---- bench_raw.c ---- */

/* Synced commits per second, each writing one record of rec_size bytes;
 * each commit's time goes to lat (may be NULL). */
double bench_raw_lmdb_commits(const char *dir, size_t rec_size, double secs, struct bench_lat *lat);
/* Synced commits per second, each putting one record of rec_size bytes
 * at the end of each of ndbs (<= BENCH_SPREAD_MAX) databases a few
 * thousand records deep, and (nidx > 0) nidx empty records at random
 * places into one more database of 20,000: the shape of a submission's
 * commit, which appends to the tickets, the log and the reply store, and
 * adds its keys to the shared index (schema 5), each a B-tree. */
#define BENCH_SPREAD_MAX 16
/* A submission's commit: a record into each of tickets, events,
 * ticket_events, requests and meta, and five keys into "index": crew,
 * member, deadline, and the search's two, every ticket by unit and by
 * creation time (schema 9; 8 had seven: an open-by-unit key, now the
 * by-unit key's value, and a reply's time key, now a sweep). */
#define BENCH_SHAPED_DBS 5
#define BENCH_SHAPED_KEYS 5
/* ... per_commit submissions of that shape in each commit (a batch);
 * commits per second. */
double bench_raw_lmdb_commits_spread(const char *dir, int ndbs, int nidx, size_t rec_size, int per_commit, double secs,
				     struct bench_lat *lat);
/* Bytes of the store in dir per ticket it holds (after the daemon stopped). */
double bench_store_bytes_per_ticket(const char *dir);
/* Puts per second inside one transaction (n records of rec_size). */
double bench_raw_lmdb_puts(const char *dir, size_t rec_size, unsigned n);
/* ZeroMQ: round trips per second (DEALER <-> ROUTER echo, one in flight)
 * and one-way messages per second (DEALER -> ROUTER), msg_size bytes,
 * over endpoint ep ("ipc://..." or "tcp://127.0.0.1:port"); curve: the
 * connection encrypted with fresh CURVE keys, as the daemon's tcp ones
 * are (no ZAP handler: it costs once per connection, not per message). */
double bench_raw_zmq_rtt(const char *ep, size_t msg_size, double secs, int curve);
double bench_raw_zmq_oneway(const char *ep, size_t msg_size, unsigned n, int curve);
/* The floor under the daemon's ack at a given rate: a DEALER sends a
 * msg_size message rate times a second (idle in between) to a ROUTER that
 * makes one synced commit of a submission's shape (records of rec_size,
 * in a store in dir)
 * before it echoes it. Each round trip goes to lat; 0 or -1. */
int bench_raw_commit_behind_echo(const char *dir, const char *ep, size_t rec_size, size_t msg_size, double rate,
				 double secs, struct bench_lat *lat);

/* Fill a fresh store in dir with n tickets (closed, each with its
 * submitted and closed events; one in every 1000 left assigned to a
 * technician) in big unsynced transactions, then fsync it. Returns the
 * seconds it took, or < 0 on failure. */
double bench_load(const char *dir, size_t map_size, uint64_t n);
/* The packed size of the ticket a bench submission becomes. */
size_t bench_ticket_size(void);

/* ---- bench_drive.c ---- */

struct bench_keys; /* bench_drive.c: the CURVE keys of a daemon on tcp */

struct bench_daemon {
	pid_t pid;
	char state[512];   /* its store directory */
	char request[600]; /* endpoints */
	char events[600];
	char log[600];
	char config[600];        /* the configuration it runs with */
	double start_s;          /* exec to the first reply */
	struct bench_keys *keys; /* tcp: owned, freed by bench_daemon_stop; ipc: NULL */
};
/* The machine's ceiling for the daemon's protocol: a child process whose
 * ROUTER (on ipc, in rundir) unpacks each Request and answers it OK at
 * once with a Reply of about reply_size bytes, with no store, no routing
 * and no sync; d->request is its
 * endpoint, and bench_daemon_stop() ends it. Driven with
 * bench_throughput() it measures what ZeroMQ, protobuf-c and the drivers
 * themselves leave of the two cores. */
int bench_echo_start(struct bench_daemon *d, const char *rundir, size_t reply_size);

/* Write the bench estate's configuration into path. */
int bench_write_config(const char *path);
/* Start build/dispatchd on state (created if missing) with the bench
 * configuration, on transport "ipc" or "tcp", and wait until it answers.
 * On tcp every endpoint is CURVE: fresh keys for the daemon and for
 * each identity the drivers act as (the desk, a monitor, the technicians
 * T1..T8) go to rundir, with a copy of config that names them in its
 * security: section. Over ipc the drivers state their role and actor. */
/* The daemons' --log-level ("notice"; "debug" logs a line per batch with
 * where its time went: bench --trace). */
extern const char *bench_daemon_log_level;
int bench_daemon_start(struct bench_daemon *d, const char *dispatchd, const char *config, const char *state,
		       const char *transport, const char *rundir, size_t map_mb);
void bench_daemon_stop(struct bench_daemon *d);
/* RssAnon of the daemon in kB (from /proc), -1 if unknown. */
long bench_daemon_rss_anon_kb(const struct bench_daemon *d);
/* Mark every bench technician online (a handheld ping as each; on tcp
 * with each technician's own key, which is what says who pings). */
int bench_ping_members(const struct bench_daemon *d);

/* One desk submits n tickets one after the other, each waiting for its
 * answer, so that each is a commit of its own: the 4 kB pages the daemon
 * wrote per submission (its /proc/PID/io wchar), -1 if unknown. */
double bench_pages_per_submission(const struct bench_daemon *d, unsigned n);
/* /proc/PID/io wchar (pid 0: this process), -1 if unknown. */
long long bench_write_bytes(pid_t pid);

/* Closed loop: n clients, each depth requests in flight, for secs after a
 * warm-up. Returns tickets acknowledged OK per second; ack latency p50 and
 * p99 go to the out-parameters (may be NULL). */
double bench_throughput(const struct bench_daemon *d, int n, int depth, double secs, double *p50_us, double *p99_us,
			unsigned *errors);

/* Open loop at rate tickets/s for secs: submit->ack latencies into ack,
 * submit->delivery at the technicians' handheld SUBs into dlv. */
int bench_latency(const struct bench_daemon *d, double rate, double secs, struct bench_lat *ack, struct bench_lat *dlv,
		  unsigned *lost);

/* Fan-out: handhelds SUB sockets, each on its own member topic, plus
 * monitors on the empty topic; rate tickets/s for secs across the fan-out
 * crews. Delivery latencies into hh (handhelds) and mon (monitors),
 * submit->ack into ack. */
int bench_fanout(const struct bench_daemon *d, int handhelds, int monitors, double rate, double secs,
		 struct bench_lat *hh, struct bench_lat *mon, struct bench_lat *ack, unsigned *lost);

/* The desk's search: List q sent again with after_id = next_after until
 * the daemon says there is no more; the whole search's time in *ms, and
 * the pages, tickets found and tickets the daemon examined. 0 or -1. */
struct Dispatch__List;
int bench_search(const struct bench_daemon *d, const struct Dispatch__List *q, double *ms, unsigned *pages,
		 unsigned *found, unsigned *scanned);

#endif
