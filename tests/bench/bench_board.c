/*
 * bench_board: `make bench`'s web-gateway part (issue 17). Many browsers'
 * event streams (SSE clients, not browsers) held by dispatch-board while
 * tickets are submitted at a steady rate, beside a direct subscriber of
 * the daemon's PUB socket in the same run:
 *
 *   bench_board --dispatchd PATH --board PATH [--clients N] [--rate R]
 *               [--seconds S] [--quick] [--port P] [--dir DIR]
 *
 * Default 1,000 streams at 1,000 tickets/s for 10 s; --quick 50 at 100/s
 * for 3 s. Delivery is from the event's time_ms (the daemon's clock when it
 * made the event, in its commit batch) to the moment the bytes reach the
 * client, here and for the direct subscriber; p50 and p99 over every
 * (event, client). Also the gateway's peak RSS and its CPU over the run
 * (and the daemon's), the events each stream got of those published, and
 * the streams the gateway dropped (fallen behind its ring). It measures;
 * it asserts nothing. Other options (those of `bench`) are ignored.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "dispatch_client.h"

#define HIST_MS 60000
#define SUBMITTERS 8
#define LINE_MAX_B 160 /* the head of a line: "data: {\"seq\":N,\"time\":...,\"time_ms\":T" */

struct hist {
	uint64_t n[HIST_MS + 1];
	uint64_t total;
};

static struct hist gw_hist, pub_hist;
static char dir[512], req_ep[600], ev_ep[600];
static int port = 18180, clients = 1000, seconds = 10;
static double rate = 1000;
static volatile int submitting = 1, sub_stop;
static uint64_t submitted, pub_events;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t wall_ms(void)
{
	return dc_wall_ms();
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hist_add(struct hist *h, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms > HIST_MS)
		ms = HIST_MS;
	h->n[ms]++;
	h->total++;
}

static double hist_q(const struct hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->total), seen = 0;

	for (int i = 0; i <= HIST_MS; i++) {
		seen += h->n[i];
		if (seen > want)
			return i;
	}
	return HIST_MS;
}

static pid_t spawn(const char *const argv[], const char *log)
{
	pid_t p = fork();

	if (p == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return p;
}

static int wait_log(const char *log, const char *what, int seconds_)
{
	char buf[8192];

	for (int i = 0; i < seconds_ * 10; i++) {
		FILE *f = fopen(log, "r");
		size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		if (strstr(buf, what))
			return 0;
		usleep(100000);
	}
	return -1;
}

/* ticks of CPU (user + system) and RSS peak (kB) of a process */
static void proc_usage(pid_t pid, unsigned long long *ticks, long *rss_peak, long *rss_now)
{
	char path[64], buf[4096], *p;
	FILE *f;
	unsigned long long ut = 0, st = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r"))) {
		if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')))
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
		fclose(f);
	}
	*ticks = ut + st;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r"))) {
		while (fgets(buf, sizeof buf, f))
			if (strncmp(buf, "VmHWM:", 6) == 0)
				*rss_peak = atol(buf + 6);
			else if (strncmp(buf, "VmRSS:", 6) == 0)
				*rss_now = atol(buf + 6);
		fclose(f);
	}
}

static int tcp_connect(int nonblock)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static int login(char *cookie, size_t size)
{
	char req[1024], resp[4096], *c;
	int fd = tcp_connect(0), n, len;
	const char *body = "{\"name\":\"bench\",\"password\":\"bench-password\"}";

	if (fd < 0)
		return -1;
	len = snprintf(req, sizeof req,
		       "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n"
		       "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		       port, port, strlen(body), body);
	if (write(fd, req, (size_t)len) != len) {
		close(fd);
		return -1;
	}
	n = (int)read(fd, resp, sizeof resp - 1);
	close(fd);
	if (n <= 0)
		return -1;
	resp[n] = '\0';
	if (!(c = strstr(resp, "dboard=")))
		return -1;
	snprintf(cookie, size, "%.71s", c);
	return 0;
}

/* The daemon's own PUB, directly: the baseline. */
static void *sub_main(void *arg)
{
	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_SUB);
	int to = 200;

	(void)arg;
	zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &to, sizeof to);
	zmq_connect(s, ev_ep);
	while (!sub_stop) {
		zmq_msg_t topic, body;
		Dispatch__Event *e;
		zmq_msg_init(&topic);
		zmq_msg_init(&body);
		if (zmq_msg_recv(&topic, s, 0) < 0 || !zmq_msg_more(&topic) || zmq_msg_recv(&body, s, 0) < 0) {
			zmq_msg_close(&topic);
			zmq_msg_close(&body);
			continue;
		}
		e = dispatch__event__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
		if (e && e->type != DISPATCH__EVENT_TYPE__EVENT_HEARTBEAT) {
			int64_t now = wall_ms();
			pthread_mutex_lock(&mu);
			hist_add(&pub_hist, now - e->time_ms);
			pub_events++;
			pthread_mutex_unlock(&mu);
		}
		dispatch__event__free_unpacked(e, NULL);
		zmq_msg_close(&topic);
		zmq_msg_close(&body);
	}
	zmq_close(s);
	zmq_ctx_term(ctx);
	return NULL;
}

static void *submit_main(void *arg)
{
	int k = (int)(intptr_t)arg;
	dc_t *dc = dc_new(req_ep, NULL, DISPATCH__ROLE__ROLE_DESK, "bench");
	double each = SUBMITTERS / rate, next = mono_s() + k * each / SUBMITTERS, end = mono_s() + seconds;
	unsigned i = 0;

	while (submitting && mono_s() < end) {
		Dispatch__Request req = DISPATCH__REQUEST__INIT;
		Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
		Dispatch__Reply *r = NULL;
		char unit[16];
		double now = mono_s();

		if (now < next)
			usleep((useconds_t)((next - now) * 1e6));
		next += each;
		snprintf(unit, sizeof unit, "2A-%u%c", 1 + (i / 8) % 20, 'A' + (char)(i % 8));
		i++;
		sub.kind = DISPATCH__KIND__KIND_INQUIRY;
		sub.unit = unit;
		sub.text = (char *)"bench: a resident asks about the management fee";
		req.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
		req.submit = &sub;
		if (dc_request(dc, &req, &r) == 0) {
			pthread_mutex_lock(&mu);
			submitted++;
			pthread_mutex_unlock(&mu);
		}
		dispatch__reply__free_unpacked(r, NULL);
	}
	dc_destroy(&dc);
	return NULL;
}

struct client {
	int fd;
	int state; /* 0 headers, 1 chunk size, 2 chunk data, 3 chunk CRLF */
	size_t chunk_left;
	char hdr[8192];
	size_t hlen;
	char line[LINE_MAX_B];
	size_t llen;
	char size_line[32];
	size_t slen;
	uint64_t events;
	int closed;
};

static void on_line(struct client *c, const char *l, size_t n, int64_t now)
{
	const char *t;

	(void)n;
	if (strncmp(l, "data: {\"seq\":", 13) != 0)
		return;
	if ((t = strstr(l, "\"time_ms\":")) != NULL) {
		hist_add(&gw_hist, now - strtoll(t + 10, NULL, 10));
		c->events++;
	}
}

/* SSE lines; only a line's head is kept (time_ms is near the start). */
static void on_data(struct client *c, const char *p, size_t n, int64_t now)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		size_t room = sizeof c->line - 1 - c->llen;
		size_t copy = take < room ? take : room;

		memcpy(c->line + c->llen, p, copy);
		c->llen += copy;
		if (!nl)
			return;
		c->line[c->llen] = '\0';
		on_line(c, c->line, c->llen, now);
		c->llen = 0;
		p = nl + 1;
		n -= take + 1;
	}
}

/* HTTP/1.1 chunked decoding, then SSE lines. */
static void on_bytes(struct client *c, const char *p, size_t n, int64_t now)
{
	size_t i = 0;

	while (i < n) {
		if (c->state == 0) {
			if (c->hlen < sizeof c->hdr - 1)
				c->hdr[c->hlen++] = p[i];
			i++;
			c->hdr[c->hlen] = '\0';
			if (c->hlen >= 4 && strcmp(c->hdr + c->hlen - 4, "\r\n\r\n") == 0)
				c->state = 1;
		} else if (c->state == 1) {
			if (p[i] == '\n') {
				c->size_line[c->slen] = '\0';
				c->chunk_left = strtoul(c->size_line, NULL, 16);
				c->slen = 0;
				c->state = c->chunk_left ? 2 : 0;
			} else if (p[i] != '\r' && c->slen < sizeof c->size_line - 1) {
				c->size_line[c->slen++] = p[i];
			}
			i++;
		} else if (c->state == 2) {
			size_t take = n - i < c->chunk_left ? n - i : c->chunk_left;
			on_data(c, p + i, take, now);
			i += take;
			c->chunk_left -= take;
			if (!c->chunk_left)
				c->state = 3;
		} else {
			if (p[i] == '\n')
				c->state = 1;
			i++;
		}
	}
}

int main(int argc, char **argv)
{
	const char *dispatchd = "build/dispatchd", *board = "build/dispatch-board";
	char users[700], state[700], dlog[700], blog[700], cookie[128], listen_at[64], conn[16];
	pid_t dpid, bpid;
	pthread_t sub, subs[SUBMITTERS];
	struct client *cs;
	int ep, quick = 0, open_ = 0, dropped = 0;
	unsigned long long d0, d1, b0, b1;
	long rss_b = 0, rss_d = 0, rss_b0 = 0, now_b = 0, now_b0 = 0, now_d = 0;
	double t0, t1, hz = (double)sysconf(_SC_CLK_TCK);
	uint64_t min_ev = UINT64_MAX, max_ev = 0;
	struct rlimit rl;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else if (strcmp(argv[i], "--dispatchd") == 0 && i + 1 < argc)
			dispatchd = argv[++i];
		else if (strcmp(argv[i], "--board") == 0 && i + 1 < argc)
			board = argv[++i];
		else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
			clients = atoi(argv[++i]);
		else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
			rate = atof(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = atoi(argv[++i]);
	}
	if (quick) {
		clients = clients == 1000 ? 50 : clients;
		rate = rate == 1000 ? 100 : rate;
		seconds = seconds == 10 ? 3 : seconds;
	}
	if (clients < 1 || rate <= 0 || seconds < 1) {
		fprintf(stderr, "bench_board: --clients, --rate and --seconds must be positive\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof dir, "/tmp/bench-board.XXXXXX");
	if (!mkdtemp(dir))
		return 3;
	snprintf(req_ep, sizeof req_ep, "ipc://%s/req", dir);
	snprintf(ev_ep, sizeof ev_ep, "ipc://%s/ev", dir);
	snprintf(users, sizeof users, "%s/users", dir);
	snprintf(state, sizeof state, "%s/state", dir);
	snprintf(dlog, sizeof dlog, "%s/dispatchd.log", dir);
	snprintf(blog, sizeof blog, "%s/board.log", dir);
	{
		const char *dargv[] = { dispatchd, "--state-dir", state, "--request", req_ep, "--events", ev_ep, NULL };
		dpid = spawn(dargv, dlog);
	}
	if (wait_log(dlog, "ready", 20) != 0) {
		fprintf(stderr, "bench_board: dispatchd did not start; see %s\n", dlog);
		kill(dpid, SIGTERM);
		return 3;
	}
	{
		char cmd[2000];
		snprintf(cmd, sizeof cmd,
			 "printf 'bench-password\\n' | %s --users %s --add-user bench --role monitor >/dev/null", board,
			 users);
		if (system(cmd) != 0)
			return 3;
	}
	snprintf(listen_at, sizeof listen_at, "127.0.0.1:%d", port);
	snprintf(conn, sizeof conn, "%d", clients + 64);
	{
		char bstate[700];
		snprintf(bstate, sizeof bstate, "%s/board", dir);
		const char *bargv[] = { board,  "--listen",          listen_at, "--users",  users,   "--state-dir",
					bstate, "--endpoint",        req_ep,    "--events", ev_ep,   "--max-per-ip",
					"0",    "--max-connections", conn,      "--ring",   "65536", NULL };
		bpid = spawn(bargv, blog);
	}
	if (wait_log(blog, "serving", 10) != 0 || (usleep(1500000), login(cookie, sizeof cookie)) != 0) {
		fprintf(stderr, "bench_board: dispatch-board did not serve; see %s\n", blog);
		kill(bpid, SIGTERM);
		kill(dpid, SIGTERM);
		return 3;
	}
	cs = calloc((size_t)clients, sizeof *cs);
	ep = epoll_create1(0);
	for (int i = 0; i < clients; i++) {
		char req[512];
		int n, fd = tcp_connect(0);
		if (fd < 0)
			continue;
		n = snprintf(req, sizeof req, "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: %s\r\n\r\n",
			     port, cookie);
		if (write(fd, req, (size_t)n) != n) {
			close(fd);
			continue;
		}
		fcntl(fd, F_SETFL, O_NONBLOCK);
		cs[i].fd = fd;
		open_++;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cs[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
	pthread_create(&sub, NULL, sub_main, NULL);
	sleep(1); /* every stream has its first bytes; the SUB is connected */
	proc_usage(bpid, &b0, &rss_b0, &now_b0);
	proc_usage(dpid, &d0, &rss_d, &now_d);
	memset(&gw_hist, 0, sizeof gw_hist);
	pthread_mutex_lock(&mu);
	memset(&pub_hist, 0, sizeof pub_hist);
	pub_events = 0;
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < clients; i++)
		cs[i].events = 0;
	t0 = mono_s();
	for (int k = 0; k < SUBMITTERS; k++)
		pthread_create(&subs[k], NULL, submit_main, (void *)(intptr_t)k);
	{
		static char buf[1 << 16];
		struct epoll_event evs[256];
		double stop_at = t0 + seconds + 3; /* and the stragglers */
		while (mono_s() < stop_at) {
			int n = epoll_wait(ep, evs, 256, 100);
			int64_t now = wall_ms();
			for (int i = 0; i < n; i++) {
				struct client *c = evs[i].data.ptr;
				ssize_t got;
				while ((got = read(c->fd, buf, sizeof buf)) > 0)
					on_bytes(c, buf, (size_t)got, now);
				if (got == 0 || (got < 0 && errno != EAGAIN)) {
					epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
					close(c->fd);
					c->closed = 1;
					dropped++;
				}
			}
			if (mono_s() > t0 + seconds)
				submitting = 0;
		}
	}
	submitting = 0;
	for (int k = 0; k < SUBMITTERS; k++)
		pthread_join(subs[k], NULL);
	t1 = mono_s();
	proc_usage(bpid, &b1, &rss_b, &now_b);
	proc_usage(dpid, &d1, &rss_d, &now_d);
	sub_stop = 1;
	pthread_join(sub, NULL);
	for (int i = 0; i < clients; i++) {
		if (!cs[i].fd)
			continue;
		if (cs[i].events < min_ev)
			min_ev = cs[i].events;
		if (cs[i].events > max_ev)
			max_ev = cs[i].events;
		if (!cs[i].closed)
			close(cs[i].fd);
	}
	printf("== web gateway (dispatch-board): %d SSE streams, %.0f tickets/s offered for %d s (ipc to the daemon)\n",
	       open_, rate, seconds);
	printf("  submitted           %" PRIu64 " tickets (%.0f/s), %" PRIu64 " events published\n", submitted,
	       (double)submitted / seconds, pub_events);
	printf("  daemon PUB -> SUB   delivery p50 %6.0f ms  p99 %6.0f ms   (%" PRIu64 " events, 1 subscriber)\n",
	       hist_q(&pub_hist, 0.5), hist_q(&pub_hist, 0.99), pub_hist.total);
	printf("  gateway -> streams  delivery p50 %6.0f ms  p99 %6.0f ms   (%" PRIu64 " deliveries)\n",
	       hist_q(&gw_hist, 0.5), hist_q(&gw_hist, 0.99), gw_hist.total);
	printf("  per stream          %" PRIu64 "..%" PRIu64 " of %" PRIu64
	       " events; %d streams dropped (behind the ring)\n",
	       min_ev == UINT64_MAX ? 0 : min_ev, max_ev, pub_events, dropped);
	printf("  gateway             RSS %ld kB at the end (%ld kB with the streams open, before), peak %ld kB "
	       "(argon2id's 64 MB for the sign-in), CPU %.0f%% of a core\n",
	       now_b, now_b0, rss_b, 100.0 * (double)(b1 - b0) / hz / (t1 - t0));
	printf("  daemon              CPU %.0f%% of a core\n", 100.0 * (double)(d1 - d0) / hz / (t1 - t0));
	kill(bpid, SIGTERM);
	waitpid(bpid, NULL, 0);
	kill(dpid, SIGTERM);
	waitpid(dpid, NULL, 0);
	{
		char cmd[700];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_board: could not remove %s\n", dir);
	}
	free(cs);
	close(ep);
	return 0;
}
