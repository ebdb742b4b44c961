/*
 * bench_drive: the real dispatchd as a child process and the clients that
 * drive it over its real sockets with the real wire format.
 *
 * Every submission carries its send time (CLOCK_MONOTONIC, ns) twice: in
 * its request_id, which the reply echoes (submit -> ack), and in its text,
 * which the stored ticket and so every event about it carries (submit ->
 * delivery at a handheld). No table of outstanding requests is needed,
 * and the daemon's work is exactly what a desk's submission costs. The
 * time leads the request id in fixed-width hex, so ids sort by time as
 * dc_make_request_id's do, and the daemon's stored replies are appended
 * at the right edge of their B-tree as a real client's would be.
 *
 * On tcp the daemon is CURVE, as every TCP endpoint of it is: the bench
 * makes a key pair for the daemon and one for each identity its drivers
 * act as, writes the daemon's pair and the clients file into the run
 * directory, and every driver socket carries the key of whom it acts
 * as: the desk's for submitters, each technician's own for the pings that
 * bring it online and for its handheld SUB, a monitor's for the start-up
 * probe and monitor SUBs. Over CURVE the key, not the request, says who
 * is asking, so a ping "as T3" is a socket with T3's key.
 *
 * Units are unique per submission so that no report is linked to an
 * earlier one as a duplicate (the bench estate keeps the 30-minute
 * duplicate window on, as estates do).
 */
#include "bench.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "dispatch.pb-c.h"

#define BENCH_TECHS 8      /* technicians T1..T8: the latency section's handhelds */
#define BENCH_FAN_CREWS 10 /* crews f0..f9 of BENCH_FAN_MEMBERS each: the fan-out section */
#define BENCH_FAN_MEMBERS 100
#define BENCH_RID_MAX 64 /* the wire contract's limit on a request id */

static atomic_uint bench_run_no;

const char *bench_daemon_log_level = "notice";

/* ---- the estate ----------------------------------------------------------- */

int bench_write_config(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fprintf(f,
		"# written by tests/bench: the sample estate's shape, with a crew of %d technicians\n"
		"# on call for the throughput and latency runs and %d crews of %d for the fan-out\n",
		BENCH_TECHS, BENCH_FAN_CREWS, BENCH_FAN_MEMBERS);
	fprintf(f, "estate: Bench Estate\ntimezone: Asia/Hong_Kong\n"
		   "presence: { require_online: true, online_window: 90 }\n"
		   "duplicate_window: 30m\nidempotency_window: 24h\n"
		   "zones:\n  - { id: north, buildings: [");
	for (int b = 1; b <= 15; b++)
		fprintf(f, "%s\"%d\"", b > 1 ? ", " : "", b);
	fprintf(f, "] }\n  - { id: south, buildings: [");
	for (int b = 16; b <= 30; b++)
		fprintf(f, "%s\"%d\"", b > 16 ? ", " : "", b);
	fprintf(f, "] }\ncrews:\n  - id: technical\n    name: Technical\n    supervisor: T1\n    members:\n");
	for (int m = 1; m <= BENCH_TECHS; m++)
		fprintf(f, "      - { id: T%d, name: Technician %d, skills: [electrician, plumber], zone: %s }\n", m, m,
			m % 2 ? "north" : "south");
	fprintf(f, "  - id: customer-service\n    name: Customer service\n    supervisor: K1\n    members:\n"
		   "      - { id: K1, name: Desk, skills: [supervisor] }\n");
	for (int c = 0; c < BENCH_FAN_CREWS; c++) {
		fprintf(f, "  - id: f%d\n    name: Patrol %d\n    supervisor: F%d-0\n    members:\n", c, c, c);
		for (int m = 0; m < BENCH_FAN_MEMBERS; m++)
			fprintf(f, "      - { id: F%d-%d, name: Patrol, skills: [patrol] }\n", c, m);
	}
	fprintf(f, "rules:\n"
		   "  - name: electrical-repairs\n"
		   "    match: { kinds: [repair], categories: [electrical, lighting] }\n"
		   "    crew: technical\n    skill: electrician\n"
		   "    deadlines: { acknowledge: 10m, arrive: 30m, resolve: 4h }\n"
		   "    escalation: [next-member, supervisor, control-center]\n    follow_up: true\n");
	for (int c = 0; c < BENCH_FAN_CREWS; c++)
		fprintf(f,
			"  - { name: patrol-%d, match: { categories: [fan%d] }, crew: f%d,"
			" deadlines: { acknowledge: 5m } }\n",
			c, c, c);
	fprintf(f, "  - name: everything-else\n    crew: customer-service\n");
	return fclose(f);
}

/* ---- the daemon ------------------------------------------------------------ */

static int bench_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void *bench_ctx(void)
{
	static void *ctx;
	if (ctx == NULL) {
		ctx = zmq_ctx_new();
		zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 8192);
		zmq_ctx_set(ctx, ZMQ_IO_THREADS, 1);
	}
	return ctx;
}

/* ---- CURVE keys (tcp) ------------------------------------------------------- */

struct bench_key {
	char pub[41], sec[41]; /* Z85 */
};

/* Whom a driver socket acts as; on tcp, the key it carries. */
enum bench_as { BENCH_AS_DESK, BENCH_AS_MONITOR, BENCH_AS_TECH /* + i for T<i+1> */ };

struct bench_keys {
	struct bench_key server;
	struct bench_key desk;              /* every submitter: role desk, "bench-desk" */
	struct bench_key monitor;           /* the start-up probe and monitor SUBs */
	struct bench_key tech[BENCH_TECHS]; /* T1..T8, role crew */
};

static int bench_keypair(struct bench_key *k)
{
	return zmq_curve_keypair(k->pub, k->sec);
}

/* Write text to path, created with mode (never over an existing file). */
static int bench_write_file(const char *path, mode_t mode, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t len = strlen(text);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

/* Key pairs for the daemon and the drivers; the server's pair as
 * dispatchd --gen-keys writes it (mode 0600) and the clients file into
 * dir, and config with a security: section naming both into out_config. */
static struct bench_keys *bench_keys_write(const char *dir, const char *config, const char *out_config)
{
	struct bench_keys *k = calloc(1, sizeof *k);
	char path[1024], text[4096], *conf = NULL;
	size_t used, clen = 0;
	FILE *in = NULL;

	if (k == NULL || mkdir(dir, 0700) != 0)
		goto fail;
	if (bench_keypair(&k->server) != 0 || bench_keypair(&k->desk) != 0 || bench_keypair(&k->monitor) != 0)
		goto fail;
	for (int i = 0; i < BENCH_TECHS; i++)
		if (bench_keypair(&k->tech[i]) != 0)
			goto fail;
	snprintf(path, sizeof path, "%s/server.key", dir);
	snprintf(text, sizeof text,
		 "# dispatchd CURVE key pair \"server\", made by tests/bench\npublic-key = %s\n"
		 "secret-key = %s\n",
		 k->server.pub, k->server.sec);
	if (bench_write_file(path, 0600, text) != 0)
		goto fail;
	snprintf(path, sizeof path, "%s/clients", dir);
	used = (size_t)snprintf(text, sizeof text,
				"# PUBLIC-KEY ROLE IDENTITY: whom the bench's drivers act as\n"
				"%s desk bench-desk\n%s monitor bench\n",
				k->desk.pub, k->monitor.pub);
	for (int i = 0; i < BENCH_TECHS; i++)
		used += (size_t)snprintf(text + used, sizeof text - used, "%s crew T%d\n", k->tech[i].pub, i + 1);
	if (bench_write_file(path, 0644, text) != 0)
		goto fail;
	/* The bench estate's configuration, and the keys. */
	if ((in = fopen(config, "r")) == NULL)
		goto fail;
	conf = malloc(1 << 20);
	if (conf == NULL || (clen = fread(conf, 1, (1 << 20) - 4096, in)) == 0 || ferror(in))
		goto fail;
	snprintf(conf + clen, 4096, "security:\n  server_key: '%s/server.key'\n  clients: '%s/clients'\n", dir, dir);
	if (bench_write_file(out_config, 0644, conf) != 0)
		goto fail;
	fclose(in);
	free(conf);
	return k;
fail:
	fprintf(stderr, "bench: cannot write the CURVE keys to %s and %s: %s\n", dir, out_config, strerror(errno));
	if (in)
		fclose(in);
	free(conf);
	free(k);
	return NULL;
}

/* The key socket s presents as who, when d is CURVE (tcp). */
static void bench_curve(void *s, const struct bench_daemon *d, int who)
{
	const struct bench_key *k;

	if (d->keys == NULL)
		return;
	if (who == BENCH_AS_DESK)
		k = &d->keys->desk;
	else if (who == BENCH_AS_MONITOR)
		k = &d->keys->monitor;
	else {
		assert(who - BENCH_AS_TECH >= 0 && who - BENCH_AS_TECH < BENCH_TECHS);
		k = &d->keys->tech[who - BENCH_AS_TECH];
	}
	zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, d->keys->server.pub, 40);
	zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, k->pub, 40);
	zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, k->sec, 40);
}

/* A DEALER to d's request socket acting as who. */
static void *bench_dealer(const struct bench_daemon *d, int who)
{
	void *s = zmq_socket(bench_ctx(), ZMQ_DEALER);
	int zero = 0, ivl = 10;

	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
	zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
	zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
	bench_curve(s, d, who);
	zmq_connect(s, d->request);
	return s;
}

/* A SUB to d's events socket on topic, acting as who. */
static void *bench_sub(const struct bench_daemon *d, int who, const char *topic)
{
	void *s = zmq_socket(bench_ctx(), ZMQ_SUB);
	int zero = 0, ivl = 10;

	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
	zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
	zmq_setsockopt(s, ZMQ_SUBSCRIBE, topic, strlen(topic));
	bench_curve(s, d, who);
	zmq_connect(s, d->events);
	return s;
}

/* Pack and send one request. */
static int bench_send(void *s, Dispatch__Request *rq)
{
	uint8_t buf[4096];
	size_t n = dispatch__request__get_packed_size(rq);

	if (n > sizeof buf)
		return -1;
	dispatch__request__pack(rq, buf);
	return zmq_send(s, buf, n, 0) < 0 ? -1 : 0;
}

static void bench_init_request(Dispatch__Request *rq, Dispatch__Role role, const char *actor)
{
	dispatch__request__init(rq);
	rq->version = DISPATCH__WIRE_VERSION__WIRE_VERSION;
	rq->role = role;
	rq->actor = (char *)actor;
}

/* Receive one Reply within timeout_ms; its status, or -1. */
static int bench_recv_reply(void *s, int timeout_ms, char *rid, size_t ridlen)
{
	zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
	zmq_msg_t m;
	Dispatch__Reply *rep;
	int status;

	if (zmq_poll(&it, 1, timeout_ms) <= 0)
		return -1;
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, s, 0) < 0) {
		zmq_msg_close(&m);
		return -1;
	}
	rep = dispatch__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
	zmq_msg_close(&m);
	if (rep == NULL)
		return -1;
	status = rep->status;
	if (rid)
		snprintf(rid, ridlen, "%s", rep->request_id);
	dispatch__reply__free_unpacked(rep, NULL);
	return status;
}

/* Handheld pings as count members, all answered: the technicians T1..
 * (fan 0) or the patrol members F<crew>-<n> (fan 1). Over ipc one DEALER
 * pings as each in turn; over CURVE each technician's ping goes on a
 * DEALER with its own key (the patrol members have none: the fan-out
 * runs on ipc). */
static int bench_ping(const struct bench_daemon *d, int fan, int count)
{
	void *s;
	int ok = 0;

	if (d->keys) {
		void *socks[BENCH_TECHS];
		if (fan || count > BENCH_TECHS) {
			fprintf(stderr, "bench: only the technicians have CURVE keys; the fan-out runs on ipc\n");
			return -1;
		}
		for (int i = 0; i < count; i++) {
			Dispatch__Request rq;
			Dispatch__Ping ping = DISPATCH__PING__INIT;
			char actor[32];
			snprintf(actor, sizeof actor, "T%d", i + 1);
			socks[i] = bench_dealer(d, BENCH_AS_TECH + i);
			bench_init_request(&rq, DISPATCH__ROLE__ROLE_CREW, actor);
			rq.body_case = DISPATCH__REQUEST__BODY_PING;
			rq.ping = &ping;
			bench_send(socks[i], &rq);
		}
		for (int i = 0; i < count; i++) {
			if (bench_recv_reply(socks[i], 10000, NULL, 0) == DISPATCH__STATUS__STATUS_OK)
				ok++;
			zmq_close(socks[i]);
		}
		return ok == count ? 0 : -1;
	}
	s = bench_dealer(d, BENCH_AS_DESK);

	/* At most 16 in flight: the daemon queues only 32 replies per peer. */
	for (int i = 0; i < count; i++) {
		Dispatch__Request rq;
		Dispatch__Ping ping = DISPATCH__PING__INIT;
		char actor[32];
		if (fan)
			snprintf(actor, sizeof actor, "F%d-%d", i / BENCH_FAN_MEMBERS, i % BENCH_FAN_MEMBERS);
		else
			snprintf(actor, sizeof actor, "T%d", i + 1);
		bench_init_request(&rq, DISPATCH__ROLE__ROLE_CREW, actor);
		rq.body_case = DISPATCH__REQUEST__BODY_PING;
		rq.ping = &ping;
		bench_send(s, &rq);
		if (i >= 15 && bench_recv_reply(s, 10000, NULL, 0) == DISPATCH__STATUS__STATUS_OK)
			ok++;
	}
	for (int i = 0; i < (count < 16 ? count : 15); i++)
		if (bench_recv_reply(s, 10000, NULL, 0) == DISPATCH__STATUS__STATUS_OK)
			ok++;
	zmq_close(s);
	return ok == count ? 0 : -1;
}

int bench_ping_members(const struct bench_daemon *d)
{
	return bench_ping(d, 0, BENCH_TECHS);
}

int bench_daemon_start(struct bench_daemon *d, const char *dispatchd, const char *config, const char *state,
		       const char *transport, const char *rundir, size_t map_mb)
{
	static unsigned n;
	char map[32];
	double t0;
	void *s;
	int status;

	memset(d, 0, sizeof d[0]);
	snprintf(d->state, sizeof d->state, "%s", state);
	snprintf(d->config, sizeof d->config, "%s", config);
	n++;
	if (strcmp(transport, "tcp") == 0) {
		char keydir[700];
		int req_port = bench_free_port(), ev_port = bench_free_port();
		while (ev_port == req_port)
			ev_port = bench_free_port();
		snprintf(d->request, sizeof d->request, "tcp://127.0.0.1:%d", req_port);
		snprintf(d->events, sizeof d->events, "tcp://127.0.0.1:%d", ev_port);
		snprintf(keydir, sizeof keydir, "%s/d%u-keys", rundir, n);
		snprintf(d->config, sizeof d->config, "%s/d%u.yaml", rundir, n);
		if ((d->keys = bench_keys_write(keydir, config, d->config)) == NULL)
			return -1;
	} else {
		snprintf(d->request, sizeof d->request, "ipc://%s/d%u-req", rundir, n);
		snprintf(d->events, sizeof d->events, "ipc://%s/d%u-ev", rundir, n);
	}
	snprintf(d->log, sizeof d->log, "%s/dispatchd-%u.log", rundir, n);
	snprintf(map, sizeof map, "%zu", map_mb);
	t0 = bench_now();
	d->pid = fork();
	if (d->pid < 0)
		return -1;
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		execl(dispatchd, dispatchd, "--config", d->config, "--state-dir", state, "--request", d->request,
		      "--events", d->events, "--map-size", map, "--log-level", bench_daemon_log_level, (char *)NULL);
		_exit(127);
	}
	/* Started means answering: a ping sent at once is queued until the
	 * socket exists and answered once the store is open. */
	s = bench_dealer(d, BENCH_AS_MONITOR);
	{
		Dispatch__Request rq;
		Dispatch__Ping ping = DISPATCH__PING__INIT;
		bench_init_request(&rq, DISPATCH__ROLE__ROLE_MONITOR, "bench");
		rq.body_case = DISPATCH__REQUEST__BODY_PING;
		rq.ping = &ping;
		bench_send(s, &rq);
	}
	for (;;) {
		if (bench_recv_reply(s, 5, NULL, 0) == DISPATCH__STATUS__STATUS_OK)
			break;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid || bench_now() - t0 > 120) {
			fprintf(stderr, "bench: dispatchd did not start; see %s\n", d->log);
			zmq_close(s);
			if (d->pid > 0)
				kill(d->pid, SIGKILL), waitpid(d->pid, &status, 0);
			d->pid = 0;
			free(d->keys);
			d->keys = NULL;
			return -1;
		}
	}
	d->start_s = bench_now() - t0;
	zmq_close(s);
	return 0;
}

void bench_daemon_stop(struct bench_daemon *d)
{
	int status;

	free(d->keys);
	d->keys = NULL;
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGTERM);
	waitpid(d->pid, &status, 0);
	d->pid = 0;
}

/* The echo's loop (a child process): each Request unpacked, checked for
 * a request id, and answered OK with a Reply of reply_size bytes (a
 * submission's carries the ticket and its two events). */
static void bench_echo_main(const char *ep, size_t reply_size)
{
	char text[1024];

	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_ROUTER);
	int zero = 0;

	zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
	zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
	if (zmq_bind(s, ep) != 0)
		_exit(1);
	memset(text, 'x', sizeof text);
	text[reply_size > 100 && reply_size < sizeof text + 60 ? reply_size - 60 : 40] = '\0';
	for (;;) {
		zmq_msg_t env[4], m;
		int nenv = 0, more = 1;
		uint8_t out[2048];
		Dispatch__Request *rq;
		Dispatch__Reply rep = DISPATCH__REPLY__INIT;
		zmq_msg_init(&m);
		while (more) {
			if (zmq_msg_recv(&m, s, 0) < 0)
				_exit(1);
			more = zmq_msg_more(&m);
			if (more && nenv < 4) {
				zmq_msg_init(&env[nenv]);
				zmq_msg_move(&env[nenv++], &m);
			}
		}
		rq = dispatch__request__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
		zmq_msg_close(&m);
		rep.request_id = rq && rq->request_id ? rq->request_id : (char *)"";
		rep.status = rq && rq->request_id ? DISPATCH__STATUS__STATUS_OK : DISPATCH__STATUS__STATUS_INVALID;
		rep.message = text;
		size_t n = dispatch__reply__get_packed_size(&rep);
		if (n <= sizeof out)
			dispatch__reply__pack(&rep, out);
		dispatch__request__free_unpacked(rq, NULL);
		for (int i = 0; i < nenv; i++)
			zmq_msg_send(&env[i], s, ZMQ_SNDMORE);
		zmq_send(s, out, n <= sizeof out ? n : 0, 0);
	}
}

int bench_echo_start(struct bench_daemon *d, const char *rundir, size_t reply_size)
{
	static unsigned n;

	memset(d, 0, sizeof d[0]);
	snprintf(d->request, sizeof d->request, "ipc://%s/echo%u-req", rundir, ++n);
	d->pid = fork();
	if (d->pid < 0)
		return -1;
	if (d->pid == 0)
		bench_echo_main(d->request, reply_size);
	return 0;
}

long bench_daemon_rss_anon_kb(const struct bench_daemon *d)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)d->pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ---- submissions ---------------------------------------------------------- */

/* Send one submission stamped with now; fan < 0: an electrical repair for
 * the technicians, else a report for patrol crew fan. */
static int bench_submit(void *s, unsigned run, unsigned client, uint64_t seq, int fan)
{
	Dispatch__Request rq;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	char rid[BENCH_RID_MAX + 1], unit[33], text[160], cat[16];
	int64_t ns = bench_now_ns();

	bench_init_request(&rq, DISPATCH__ROLE__ROLE_DESK, "bench-desk");
	/* 16 + 2 + 8 + 1 + 8 + 1 + 16 characters at most: within the limit */
	snprintf(rid, sizeof rid, "%016" PRIx64 ".b%x.%x.%" PRIx64, (uint64_t)ns, run, client, seq);
	snprintf(unit, sizeof unit, "%u-R%uC%uN%" PRIu64, (unsigned)(seq % 30) + 1, run, client, seq);
	snprintf(text, sizeof text, "bench %" PRId64 " the corridor light flickers on the way to the lift lobby", ns);
	rq.request_id = rid;
	rq.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
	rq.submit = &sub;
	sub.kind = fan < 0 ? DISPATCH__KIND__KIND_REPAIR : DISPATCH__KIND__KIND_SECURITY;
	sub.unit = unit;
	sub.source = DISPATCH__SOURCE__SOURCE_INTERCOM;
	sub.text = text;
	if (fan < 0) {
		sub.category = (char *)"electrical";
	} else {
		snprintf(cat, sizeof cat, "fan%d", fan);
		sub.category = cat;
	}
	return bench_send(s, &rq);
}

/* Bytes a process has passed to write(2) and its kin (/proc/PID/io
 * wchar; write_bytes, counted by the filesystem as it allocates, gave
 * many times the pages LMDB writes on ext4); -1 if unknown. pid 0: this
 * one. The daemon's include what its sockets send: a reply, some 600
 * bytes, when nothing subscribes. */
long long bench_write_bytes(pid_t pid)
{
	char path[64], line[256];
	long long b = -1;
	FILE *f;

	if (pid == 0)
		snprintf(path, sizeof path, "/proc/self/io");
	else
		snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "wchar: %lld", &b) == 1)
			break;
	fclose(f);
	return b;
}

double bench_pages_per_submission(const struct bench_daemon *d, unsigned n)
{
	void *s = bench_dealer(d, BENCH_AS_DESK);
	unsigned run = atomic_fetch_add(&bench_run_no, 1) + 1, ok = 0;
	long long before, after;

	/* one first, so that the store's first growth is not counted */
	bench_submit(s, run, 0, 0, -1);
	bench_recv_reply(s, 10000, NULL, 0);
	before = bench_write_bytes(d->pid);
	for (unsigned i = 1; i <= n; i++) {
		if (bench_submit(s, run, 0, i, -1) != 0)
			break;
		if (bench_recv_reply(s, 10000, NULL, 0) == DISPATCH__STATUS__STATUS_OK)
			ok++;
	}
	after = bench_write_bytes(d->pid);
	zmq_close(s);
	if (before < 0 || after < before || ok == 0)
		return -1;
	return (double)(after - before) / 4096.0 / ok;
}

/* The send time stamped in a request id ("<ns, 16 hex digits>.b<run>.<client>.<seq>"). */
static int64_t bench_rid_ns(const char *rid)
{
	return (int64_t)strtoull(rid, NULL, 16);
}

/* ---- closed loop ---------------------------------------------------------- */

struct bench_tp {
	const struct bench_daemon *d;
	unsigned run;
	int client, depth;
	double begin, end; /* the measured window */
	uint64_t ok;       /* acknowledged OK inside the window */
	unsigned errors;
	struct bench_lat lat;
	pthread_t th;
};

static void *bench_tp_main(void *arg)
{
	struct bench_tp *t = arg;
	void *s = bench_dealer(t->d, BENCH_AS_DESK);
	uint64_t seq = 0;
	int inflight = 0;
	char rid[80];

	for (; inflight < t->depth; inflight++)
		bench_submit(s, t->run, (unsigned)t->client, seq++, -1);
	while (inflight > 0) {
		int st = bench_recv_reply(s, 1000, rid, sizeof rid);
		double now = bench_now();
		if (st < 0) {
			if (now > t->end + 5)
				break; /* lost: counted as errors below */
			continue;
		}
		inflight--;
		if (st != DISPATCH__STATUS__STATUS_OK)
			t->errors++;
		else if (now >= t->begin && now < t->end) {
			t->ok++;
			bench_lat_add(&t->lat, (double)(bench_now_ns() - bench_rid_ns(rid)) / 1e3);
		}
		if (now < t->end) {
			bench_submit(s, t->run, (unsigned)t->client, seq++, -1);
			inflight++;
		}
	}
	t->errors += (unsigned)inflight;
	zmq_close(s);
	return NULL;
}

double bench_throughput(const struct bench_daemon *d, int n, int depth, double secs, double *p50_us, double *p99_us,
			unsigned *errors)
{
	struct bench_tp *t = calloc((size_t)n, sizeof *t);
	struct bench_lat all = { 0 };
	unsigned run = atomic_fetch_add(&bench_run_no, 1) + 1;
	double begin = bench_now() + (secs < 2 ? 0.3 : 1.0);
	uint64_t ok = 0;

	*errors = 0;
	for (int i = 0; i < n; i++) {
		t[i] = (struct bench_tp){
			.d = d, .run = run, .client = i, .depth = depth, .begin = begin, .end = begin + secs
		};
		pthread_create(&t[i].th, NULL, bench_tp_main, &t[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(t[i].th, NULL);
		ok += t[i].ok;
		*errors += t[i].errors;
		for (size_t k = 0; k < t[i].lat.n; k++)
			bench_lat_add(&all, t[i].lat.v[k]);
		bench_lat_free(&t[i].lat);
	}
	if (p50_us)
		*p50_us = bench_lat_pct(&all, 50);
	if (p99_us)
		*p99_us = bench_lat_pct(&all, 99);
	bench_lat_free(&all);
	free(t);
	return (double)ok / secs;
}

/* ---- open loop and subscribers --------------------------------------------- */

struct bench_subs {
	const struct bench_daemon *d;
	int nsub;     /* handheld SUBs */
	int fan;      /* handhelds are patrol members (fan-out) rather than technicians */
	int monitors; /* this thread's SUBs are monitors on "" */
	struct bench_lat *lat;
	uint64_t got;
	atomic_int ready;
	atomic_int stop;
	pthread_t th;
};

/* Delivery latency of an ASSIGNED event stamped by bench_submit. */
static void bench_subs_take(struct bench_subs *b, void *s)
{
	zmq_msg_t topic, body;
	int more;
	size_t len = sizeof more;
	Dispatch__Event *ev;

	for (;;) {
		zmq_msg_init(&topic);
		if (zmq_msg_recv(&topic, s, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&topic);
			return;
		}
		zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len);
		zmq_msg_close(&topic);
		if (!more)
			continue;
		zmq_msg_init(&body);
		zmq_msg_recv(&body, s, 0);
		ev = dispatch__event__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
		zmq_msg_close(&body);
		if (ev && ev->type == DISPATCH__EVENT_TYPE__EVENT_ASSIGNED && ev->ticket && ev->ticket->text &&
		    strncmp(ev->ticket->text, "bench ", 6) == 0) {
			int64_t ns = strtoll(ev->ticket->text + 6, NULL, 10);
			bench_lat_add(b->lat, (double)(bench_now_ns() - ns) / 1e3);
			b->got++;
		}
		dispatch__event__free_unpacked(ev, NULL);
	}
}

/* One epoll set over every SUB's ZMQ_FD, so that a wake-up costs what is
 * ready rather than a zmq_poll() over a thousand sockets. ZMQ_FD signals
 * edges: each ready socket is drained (bench_subs_take reads until
 * EAGAIN) and ZMQ_EVENTS rechecked. */
static void *bench_subs_main(void *arg)
{
	struct bench_subs *b = arg;
	void **socks = calloc((size_t)b->nsub, sizeof *socks);
	int ep = epoll_create1(0);

	for (int i = 0; i < b->nsub; i++) {
		char topic[64];
		struct epoll_event e = { .events = EPOLLIN | EPOLLET, .data.u32 = (uint32_t)i };
		int fd, who = BENCH_AS_MONITOR;
		size_t len = sizeof fd;
		if (b->monitors)
			topic[0] = '\0';
		else if (b->fan)
			snprintf(topic, sizeof topic, "crew.f%d.F%d-%d.", i / BENCH_FAN_MEMBERS, i / BENCH_FAN_MEMBERS,
				 i % BENCH_FAN_MEMBERS);
		else {
			snprintf(topic, sizeof topic, "crew.technical.T%d.", i + 1);
			who = BENCH_AS_TECH + i; /* a handheld connects with its member's key */
		}
		socks[i] = bench_sub(b->d, who, topic);
		zmq_getsockopt(socks[i], ZMQ_FD, &fd, &len);
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
	}
	atomic_store(&b->ready, 1);
	for (int i = 0; i < b->nsub; i++)
		bench_subs_take(b, socks[i]);
	while (!atomic_load(&b->stop)) {
		struct epoll_event ev[256];
		int n = epoll_wait(ep, ev, 256, 50);
		for (int k = 0; k < n; k++) {
			void *s = socks[ev[k].data.u32];
			int events;
			size_t len = sizeof events;
			do {
				bench_subs_take(b, s);
			} while (zmq_getsockopt(s, ZMQ_EVENTS, &events, &len) == 0 && (events & ZMQ_POLLIN));
		}
	}
	for (int i = 0; i < b->nsub; i++)
		zmq_close(socks[i]);
	close(ep);
	free(socks);
	return NULL;
}

static void bench_subs_start(struct bench_subs *b)
{
	pthread_create(&b->th, NULL, bench_subs_main, b);
	while (!atomic_load(&b->ready))
		bench_sleep(0.001);
}

static void bench_subs_stop(struct bench_subs *b)
{
	atomic_store(&b->stop, 1);
	pthread_join(b->th, NULL);
}

/* Submit at rate/s for secs without waiting for answers (so a slow
 * answer does not delay the next submission), spread over BENCH_DESKS
 * DEALERs, as from many desks and intercom panels at once. (Until the
 * daemon held the replies a peer's queue could not take, a desk with more
 * than 32 in flight lost answers; now one desk could carry it all.) fans
 * > 0 cycles the patrol crews. Returns how many were sent. */
#define BENCH_DESKS 64
static uint64_t bench_open_loop(const struct bench_daemon *d, double rate, double secs, int fans, struct bench_lat *ack,
				unsigned *errors)
{
	zmq_pollitem_t it[BENCH_DESKS];
	struct pollfd pfd[BENCH_DESKS];
	unsigned run = atomic_fetch_add(&bench_run_no, 1) + 1;
	double t0, end;
	uint64_t sent = 0, answered = 0;
	char rid[80];

	for (int i = 0; i < BENCH_DESKS; i++)
		it[i] = (zmq_pollitem_t){ bench_dealer(d, BENCH_AS_DESK), 0, ZMQ_POLLIN, 0 };
	/* Connected (over CURVE: handshake and ZAP done) before the clock
	 * starts, so that no submission's latency includes them. */
	for (int i = 0; i < BENCH_DESKS; i++) {
		Dispatch__Request rq;
		Dispatch__Ping ping = DISPATCH__PING__INIT;
		bench_init_request(&rq, DISPATCH__ROLE__ROLE_DESK, "bench-desk");
		rq.body_case = DISPATCH__REQUEST__BODY_PING;
		rq.ping = &ping;
		bench_send(it[i].socket, &rq);
	}
	for (int i = 0; i < BENCH_DESKS; i++) {
		size_t len = sizeof pfd[i].fd;
		bench_recv_reply(it[i].socket, 10000, NULL, 0);
		zmq_getsockopt(it[i].socket, ZMQ_FD, &pfd[i].fd, &len);
		pfd[i].events = POLLIN;
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	t0 = bench_now();
	end = t0 + secs;
	for (;;) {
		double now = bench_now(), due = t0 + (double)sent / rate, wait;
		while (now >= due && now < end) {
			bench_submit(it[sent % BENCH_DESKS].socket, run, (unsigned)(sent % BENCH_DESKS), sent,
				     fans > 0 ? (int)(sent % (uint64_t)fans) : -1);
			sent++;
			due = t0 + (double)sent / rate;
		}
		while (zmq_poll(it, BENCH_DESKS, 0) > 0) {
			for (int i = 0; i < BENCH_DESKS; i++) {
				int st;
				if (!(it[i].revents & ZMQ_POLLIN))
					continue;
				if ((st = bench_recv_reply(it[i].socket, 0, rid, sizeof rid)) < 0)
					continue;
				answered++;
				if (st == DISPATCH__STATUS__STATUS_OK)
					bench_lat_add(ack, (double)(bench_now_ns() - bench_rid_ns(rid)) / 1e3);
				else
					(*errors)++;
			}
		}
		now = bench_now();
		if (now >= end && (answered == sent || now > end + 5))
			break;
		wait = now < end ? due - now : 0.001;
		if (wait > 0) {
			/* Asleep on the desks' sockets until the next is due or
			 * an answer comes, whichever is first: an answer is timed
			 * when it arrives, not at the next turn of a sleep loop
			 * (that was up to 50 us on every ack at 1,000/s). ZMQ_FD
			 * says "look at ZMQ_EVENTS", which zmq_poll above did. */
			struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
			ppoll(pfd, BENCH_DESKS, &ts, NULL);
		}
	}
	*errors += (unsigned)(sent - answered);
	for (int i = 0; i < BENCH_DESKS; i++)
		zmq_close(it[i].socket);
	return sent;
}

int bench_latency(const struct bench_daemon *d, double rate, double secs, struct bench_lat *ack, struct bench_lat *dlv,
		  unsigned *lost)
{
	struct bench_subs b = { .d = d, .nsub = BENCH_TECHS, .lat = dlv };
	unsigned errors = 0;
	uint64_t sent;

	bench_subs_start(&b);
	bench_sleep(0.3); /* the subscriptions reach the daemon */
	sent = bench_open_loop(d, rate, secs, 0, ack, &errors);
	bench_sleep(0.2);
	bench_subs_stop(&b);
	*lost = errors + (unsigned)(sent - b.got);
	return 0;
}

int bench_fanout(const struct bench_daemon *d, int handhelds, int monitors, double rate, double secs,
		 struct bench_lat *hh, struct bench_lat *mon, struct bench_lat *ack, unsigned *lost)
{
	struct bench_subs h = { .d = d, .nsub = handhelds, .fan = 1, .lat = hh };
	struct bench_subs m = { .d = d, .nsub = monitors, .monitors = 1, .lat = mon };
	unsigned errors = 0;
	uint64_t sent;
	int crews = (handhelds + BENCH_FAN_MEMBERS - 1) / BENCH_FAN_MEMBERS;

	if (crews > BENCH_FAN_CREWS || d->keys != NULL)
		return -1; /* the patrol members have no CURVE keys: ipc only */
	/* Every patrol member online, so each report goes to one handheld. */
	if (bench_ping(d, 1, crews * BENCH_FAN_MEMBERS) != 0)
		return -1;
	bench_subs_start(&h);
	bench_subs_start(&m);
	bench_sleep(1.0);
	sent = bench_open_loop(d, rate, secs, crews, ack, &errors);
	bench_sleep(0.3);
	bench_subs_stop(&h);
	bench_subs_stop(&m);
	*lost = errors + (unsigned)(sent - h.got) + (unsigned)(sent * (uint64_t)monitors - m.got);
	return 0;
}

/* ---- the search ----------------------------------------------------------- */

int bench_search(const struct bench_daemon *d, const struct Dispatch__List *q, double *ms, unsigned *pages,
		 unsigned *found, unsigned *scanned)
{
	void *s = bench_dealer(d, BENCH_AS_DESK);
	Dispatch__List page = *q;
	double t0 = bench_now();
	int rc = 0;

	*pages = *found = *scanned = 0;
	for (;;) {
		Dispatch__Request rq;
		Dispatch__Reply *rep;
		zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
		zmq_msg_t m;
		char rid[32];

		bench_init_request(&rq, DISPATCH__ROLE__ROLE_DESK, "bench-desk");
		snprintf(rid, sizeof rid, "search-%u", *pages);
		rq.request_id = rid;
		rq.body_case = DISPATCH__REQUEST__BODY_LIST;
		rq.list = &page;
		if (bench_send(s, &rq) != 0 || zmq_poll(&it, 1, 30000) <= 0) {
			rc = -1;
			break;
		}
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, 0) < 0) {
			zmq_msg_close(&m);
			rc = -1;
			break;
		}
		rep = dispatch__reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
		zmq_msg_close(&m);
		if (rep == NULL || rep->status != DISPATCH__STATUS__STATUS_OK) {
			if (rep)
				fprintf(stderr, "bench: the search was refused: %s\n", rep->message);
			dispatch__reply__free_unpacked(rep, NULL);
			rc = -1;
			break;
		}
		(*pages)++;
		*found += (unsigned)rep->n_tickets;
		*scanned += rep->scanned;
		page.after_id = rep->next_after;
		if (!rep->more || rep->next_after == 0) {
			dispatch__reply__free_unpacked(rep, NULL);
			break;
		}
		dispatch__reply__free_unpacked(rep, NULL);
	}
	*ms = (bench_now() - t0) * 1000;
	zmq_close(s);
	return rc;
}
