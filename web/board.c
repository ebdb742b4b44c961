/*
 * dispatch-board: the web gateway (see board.h for its shape). This file:
 * options, the HTTP routes, static files, and what every answer carries.
 *
 * Routes:
 *   GET  /                    -> /board (signed in) or /login
 *   GET  /login, /board       the pages (static files); /board needs a session
 *   GET  /r/TOKEN             the resident's page (a static file; its data
 *                             comes from /api/r/TOKEN)
 *   GET  /static/NAME         scripts, styles
 *   GET  /api/config          the default language (public)
 *   POST /api/login           {"name","password"} -> a session cookie
 *   POST /api/logout          (X-CSRF-Token)
 *   GET  /api/me              who is signed in
 *   GET  /api/board           the board's state now, with the seq it is at
 *   GET  /api/events?from=SEQ the board's event stream (SSE; Last-Event-ID)
 *   GET  /api/ticket/ID       a ticket's full history (not for monitor)
 *   GET  /api/r/TOKEN         what the resident may see of their ticket
 *   GET  /api/r/TOKEN/events  "changed" whenever the ticket changes (SSE)
 *   POST /api/r/TOKEN/rate    {"score","remark","form_token"}
 *
 * Every POST must be JSON (a cross-site form cannot send that without a
 * CORS preflight, which this server never grants) and carry an Origin
 * equal to the page's own; the signed-in ones also the session's CSRF
 * token, the rating its page's form token. Sizes are bounded everywhere:
 * URL and headers by MHD's per-connection memory (answered 414/431),
 * bodies by BODY_MAX (413), connections in total and per address.
 */
#include "board.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define BODY_MAX 8192
#define URL_MAX 2048
#define TOKEN_MAX 128
#define COOKIE "dboard"
#define STREAM_SNDBUF (64 * 1024)

struct board_opts board_opts;
void link_free(void);

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
			  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
			  "frame-ancestors 'none'";

/* What a request gathers over MHD's calls: its body. */
struct req {
	char body[BODY_MAX + 1];
	size_t len;
	int too_big;
};

static void headers(struct MHD_Response *r, const char *ctype, int nocache)
{
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	/* The resident's page has its token in the URL: never pass it on. */
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", nocache ? "no-store" : "no-cache");
}

static enum MHD_Result send_resp(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *ctype, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);

	if (!r)
		return MHD_NO;
	headers(r, ctype, 1);
	return send_resp(c, status, r);
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j, const char *cookie)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct MHD_Response *r;

	json_decref(j);
	if (!s)
		return send_text(c, 500, "application/json", "{\"error\":\"out of memory\"}");
	r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(s);
		return MHD_NO;
	}
	headers(r, "application/json; charset=utf-8", 1);
	if (cookie)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	return send_resp(c, status, r);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return send_json(c, status, json_pack("{s:s}", "error", msg), NULL);
}

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);

	if (!r)
		return MHD_NO;
	headers(r, NULL, 1);
	MHD_add_response_header(r, "Location", to);
	return send_resp(c, 303, r);
}

static const char *ctype_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (!dot)
		return "application/octet-stream";
	if (strcmp(dot, ".html") == 0)
		return "text/html; charset=utf-8";
	if (strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	if (strcmp(dot, ".ico") == 0)
		return "image/x-icon";
	return "application/octet-stream";
}

static int safe_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static enum MHD_Result send_file(struct MHD_Connection *c, const char *name)
{
	char path[PATH_MAX];
	struct MHD_Response *r;
	struct stat st;
	int fd;

	if (!safe_name(name))
		return send_text(c, 404, "text/plain; charset=utf-8", "not found\n");
	snprintf(path, sizeof path, "%s/%s", board_opts.static_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return send_text(c, 404, "text/plain; charset=utf-8", "not found\n");
	}
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	headers(r, ctype_of(name), 0);
	return send_resp(c, 200, r);
}

static void client_addr(struct MHD_Connection *c, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(buf, size, "?");
	if (ci && ci->client_addr)
		getnameinfo(ci->client_addr,
			    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								   : sizeof(struct sockaddr_in),
			    buf, (socklen_t)size, NULL, 0, NI_NUMERICHOST);
}

static int signed_in(struct MHD_Connection *c, struct session *s)
{
	return users_session_get(MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE), s) == 0;
}

/* A POST from one of our own pages: JSON, and the Origin is this host's. */
static int same_origin_json(struct MHD_Connection *c)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const char *rest;

	if (!origin || !host || !ctype || strncmp(ctype, "application/json", 16) != 0)
		return 0;
	if (strncmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else if (strncmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	else
		return 0;
	return strcmp(rest, host) == 0;
}

static int token_ok(const char *t)
{
	size_t n = strlen(t);

	if (n < 8 || n > TOKEN_MAX)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || *t == '-' ||
		      *t == '_'))
			return 0;
	return 1;
}

static int parse_seq(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || strlen(s) > 20 || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return 0;
	*out = v;
	return 1;
}

static enum MHD_Result stream(struct MHD_Connection *c, uint64_t only_ticket)
{
	const char *lei = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	const char *from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
	struct MHD_Response *r;
	uint64_t seq = 0;
	int has = parse_seq(lei, &seq) || parse_seq(from, &seq);

	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	int sndbuf = STREAM_SNDBUF;

	/* The kernel's buffer for a stream stays small, so that a browser
	 * that does not read costs little and soon falls behind the ring. */
	if (ci)
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	r = link_stream(c, seq, has, only_ticket);
	if (!r)
		return MHD_NO;
	headers(r, "text/event-stream; charset=utf-8", 1);
	MHD_add_response_header(r, "X-Accel-Buffering", "no"); /* nginx: pass each event on at once */
	return send_resp(c, 200, r);
}

static enum MHD_Result login(struct MHD_Connection *c, struct req *rq)
{
	char addr[64], cookie[256];
	json_t *body;
	const char *name, *pw;
	enum board_role role;
	struct session s;

	client_addr(c, addr, sizeof addr);
	if (users_limited(addr))
		return send_error(c, 429, "too many failed sign-ins from this address: wait a minute");
	body = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, NULL);
	name = json_string_value(json_object_get(body, "name"));
	pw = json_string_value(json_object_get(body, "password"));
	if (!name || !pw || strlen(name) > 32 || strlen(pw) > 256) {
		json_decref(body);
		return send_error(c, 400, "send {\"name\": ..., \"password\": ...}");
	}
	role = users_check(board_opts.users, name, pw);
	if (role == BR_NONE) {
		json_decref(body);
		users_failed(addr);
		return send_error(c, 401, "wrong name or password");
	}
	users_session_new(name, role, &s);
	json_decref(body);
	snprintf(cookie, sizeof cookie, COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s", s.id,
		 board_opts.secure_cookies ? "; Secure" : "");
	return send_json(c, 200,
			 json_pack("{s:s,s:s,s:s}", "name", s.name, "role", users_role_name(s.role), "csrf", s.csrf),
			 cookie);
}

static enum MHD_Result resident(struct MHD_Connection *c, const char *method, const char *path, struct req *rq)
{
	char token[TOKEN_MAX + 1], addr[64];
	const char *slash = strchr(path, '/');
	const char *rest = slash ? slash : "";
	size_t n = slash ? (size_t)(slash - path) : strlen(path);
	json_t *j = NULL;
	int http = 500;

	client_addr(c, addr, sizeof addr);
	if (users_limited(addr))
		return send_error(c, 429, "too many tries from this address: wait a minute");
	if (n > TOKEN_MAX) {
		users_failed(addr);
		return send_error(c, 404, "not found");
	}
	memcpy(token, path, n);
	token[n] = '\0';
	if (!token_ok(token)) {
		users_failed(addr);
		return send_error(c, 404, "not found");
	}
	if (strcmp(method, "GET") == 0 && strcmp(rest, "") == 0) {
		j = api_resident_view(token, &http);
	} else if (strcmp(method, "GET") == 0 && strcmp(rest, "/events") == 0) {
		uint64_t id, last;
		if (api_resident_ticket(token, &id, &last) != 0) {
			users_failed(addr);
			return send_error(c, 404, "not found");
		}
		return stream(c, id);
	} else if (strcmp(method, "POST") == 0 && strcmp(rest, "/rate") == 0) {
		json_t *body;
		if (!same_origin_json(c))
			return send_error(c, 403, "refused: not from this site's page");
		body = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(body)) {
			json_decref(body);
			return send_error(c, 400, "send {\"score\": 1..5, \"remark\": ..., \"form_token\": ...}");
		}
		j = api_resident_rate(token, body, &http);
		json_decref(body);
	} else {
		return send_error(c, 405, "not allowed");
	}
	if (http == 404)
		users_failed(addr);
	return send_json(c, (unsigned)http, j, NULL);
}

static enum MHD_Result route(struct MHD_Connection *c, const char *url, const char *method, struct req *rq)
{
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int post = strcmp(method, "POST") == 0;
	struct session s;
	int in = 0;

	if (strlen(url) > URL_MAX)
		return send_text(c, 414, "text/plain; charset=utf-8", "URL too long\n");
	if (!get && !post)
		return send_text(c, 405, "text/plain; charset=utf-8", "method not allowed\n");
	if (rq->too_big)
		return send_error(c, 413, "request body too large");
	if (strncmp(url, "/r/", 3) == 0 && get)
		return send_file(c, "resident.html");
	if (strncmp(url, "/api/r/", 7) == 0)
		return resident(c, method, url + 7, rq);
	if (strncmp(url, "/static/", 8) == 0 && get)
		return send_file(c, url + 8);
	if (strcmp(url, "/api/config") == 0 && get)
		return send_json(c, 200, json_pack("{s:s}", "lang", board_lang()), NULL);
	if (strcmp(url, "/login") == 0 && get)
		return send_file(c, "login.html");
	if (strcmp(url, "/api/login") == 0 && post) {
		if (!same_origin_json(c))
			return send_error(c, 403, "refused: not from this site's page");
		return login(c, rq);
	}
	in = signed_in(c, &s);
	if (strcmp(url, "/") == 0 && get)
		return redirect(c, in ? "/board" : "/login");
	if (strcmp(url, "/board") == 0 && get)
		return in ? send_file(c, "board.html") : redirect(c, "/login");
	if (strncmp(url, "/api/", 5) != 0)
		return send_text(c, 404, "text/plain; charset=utf-8", "not found\n");
	if (!in)
		return send_error(c, 401, "sign in first");
	if (post) {
		const char *csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
		if (!same_origin_json(c) || !csrf || strlen(csrf) != 64 || sodium_memcmp(csrf, s.csrf, 64) != 0)
			return send_error(c, 403, "refused: no valid CSRF token");
		if (strcmp(url, "/api/logout") == 0) {
			users_session_end(s.id);
			return send_json(c, 200, json_pack("{s:b}", "ok", 1),
					 COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
		}
		return send_error(c, 404, "not found");
	}
	if (strcmp(url, "/api/me") == 0)
		return send_json(c, 200,
				 json_pack("{s:s,s:s,s:s,s:s}", "name", s.name, "role", users_role_name(s.role), "csrf",
					   s.csrf, "lang", board_lang()),
				 NULL);
	if (strcmp(url, "/api/board") == 0) {
		int http;
		json_t *j = api_board(&http, s.role);
		return send_json(c, (unsigned)http, j, NULL);
	}
	if (strcmp(url, "/api/events") == 0)
		return stream(c, 0);
	if (strncmp(url, "/api/ticket/", 12) == 0) {
		uint64_t id;
		int http;
		json_t *j;
		if (s.role == BR_MONITOR)
			return send_error(c, 403, "a monitor account sees the board, not ticket histories");
		if (!parse_seq(url + 12, &id) || id == 0)
			return send_error(c, 400, "a ticket id is a number");
		j = api_ticket(id, &http);
		return send_json(c, (unsigned)http, j, NULL);
	}
	return send_error(c, 404, "not found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct req *rq = *con_cls;

	(void)cls;
	(void)version;
	if (!rq) {
		if (!(rq = calloc(1, sizeof *rq)))
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->len + *upload_size > BODY_MAX)
			rq->too_big = 1;
		else {
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	rq->body[rq->len] = '\0';
	return route(c, url, method, rq);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " BOARD_PROG " [OPTION...]                      serve the wall board and residents' pages\n"
		   "       " BOARD_PROG " --users FILE --add-user NAME --role ROLE   add or replace an account\n"
		   "                 (the password is read from stdin; at least 8 characters)\n"
		   "\n"
		   "  --listen HOST:PORT    where to serve HTTP (default 127.0.0.1:8080)\n"
		   "  --endpoint EP         dispatchd's request endpoint ($DISPATCH_ENDPOINT, else " DC_DEFAULT_ENDPOINT
		   ")\n"
		   "  --events EP           its events endpoint ($DISPATCH_EVENTS, else " DC_DEFAULT_EVENTS ")\n"
		   "  --key FILE            the monitor key pair for tcp endpoints ($DISPATCH_KEY)\n"
		   "  --server-key FILE     the daemon's public key ($DISPATCH_SERVER_KEY)\n"
		   "  --resident-key FILE   the resident role's key pair (tcp endpoints)\n"
		   "  --users FILE          the accounts (default /etc/dispatch-board/users)\n"
		   "  --static-dir DIR      the pages (default: beside the program, see the man page)\n"
		   "  --state-dir DIR       sessions and the gateway's secret (default /var/lib/dispatch-board)\n"
		   "  --lang zh-Hant|en     the board's default language (default: the estate's\n"
		   "                        `language`, else zh-Hant; residents' pages: zh-Hant)\n"
		   "  --secure-cookies      behind a TLS proxy: cookies only over https\n"
		   "  --max-connections N   at most N connections (default 2048)\n"
		   "  --max-per-ip N        at most N from one address (default 64; 0 = no limit)\n"
		   "  --threads N           HTTP threads (default 4)\n"
		   "  --ring N              events kept for reconnecting browsers (default 4096)\n"
		   "  -h, --help            this text\n"
		   "\n"
		   "Roles: supervisor, desk, qc see the board and open ticket histories; monitor\n"
		   "(a wall screen's account) sees the board only. Exit: 0 stopped by a signal,\n"
		   "1 refused, 2 usage, 3 cannot serve (port taken, files missing).\n");
}

/* The pages beside the program: installed, PREFIX/share/dispatch-board/static
 * next to PREFIX/bin; in the source tree, web/static next to build/. */
static const char *default_static(void)
{
	static char dir[PATH_MAX + 64];
	char exe[PATH_MAX], cand[PATH_MAX + 64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	struct stat st;
	static const char *const rel[] = { "../share/dispatch-board/static", "../web/static", "../../web/static" };

	if (n <= 0)
		return "/usr/local/share/dispatch-board/static";
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')))
		*slash = '\0';
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		snprintf(cand, sizeof cand, "%s/%s/board.html", exe, rel[i]);
		if (stat(cand, &st) == 0) {
			snprintf(dir, sizeof dir, "%s/%s", exe, rel[i]);
			return dir;
		}
	}
	return "/usr/local/share/dispatch-board/static";
}

static int parse_uint(const char *opt, const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > max) {
		fprintf(stderr, BOARD_PROG ": %s %s: a number up to %u\n", opt, s, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", 1, 0, 'l' },
		{ "endpoint", 1, 0, 'e' },
		{ "events", 1, 0, 'E' },
		{ "key", 1, 0, 'k' },
		{ "server-key", 1, 0, 'K' },
		{ "resident-key", 1, 0, 'R' },
		{ "users", 1, 0, 'u' },
		{ "static-dir", 1, 0, 's' },
		{ "lang", 1, 0, 'L' },
		{ "secure-cookies", 0, 0, 'S' },
		{ "max-connections", 1, 0, 'm' },
		{ "max-per-ip", 1, 0, 'p' },
		{ "threads", 1, 0, 't' },
		{ "ring", 1, 0, 'r' },
		{ "add-user", 1, 0, 'a' },
		{ "role", 1, 0, 'o' },
		{ "state-dir", 1, 0, 'D' },
		{ "help", 0, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *listen_at = "127.0.0.1:8080", *add_user = NULL, *role = NULL;
	char host[256], *colon, port[16];
	struct addrinfo hints = { 0 }, *ai = NULL;
	struct MHD_Daemon *d;
	struct rlimit rl;
	sigset_t sigs;
	unsigned flags;
	int opt, sig;

	board_opts.endpoint = dc_env_endpoint();
	board_opts.events = dc_env_events();
	board_opts.key = getenv("DISPATCH_KEY") && *getenv("DISPATCH_KEY") ? getenv("DISPATCH_KEY") : NULL;
	board_opts.server_key =
		getenv("DISPATCH_SERVER_KEY") && *getenv("DISPATCH_SERVER_KEY") ? getenv("DISPATCH_SERVER_KEY") : NULL;
	board_opts.users = "/etc/dispatch-board/users";
	board_opts.state_dir = "/var/lib/dispatch-board";
	board_opts.ring = 4096;
	board_opts.backfill = 2000;
	board_opts.max_conn = 2048;
	board_opts.max_per_ip = 64;
	board_opts.threads = 4;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': listen_at = optarg; break;
		case 'e': board_opts.endpoint = optarg; break;
		case 'E': board_opts.events = optarg; break;
		case 'k': board_opts.key = optarg; break;
		case 'K': board_opts.server_key = optarg; break;
		case 'R': board_opts.resident_key = optarg; break;
		case 'u': board_opts.users = optarg; break;
		case 's': board_opts.static_dir = optarg; break;
		case 'L':
			if (strcmp(optarg, "zh-Hant") != 0 && strcmp(optarg, "en") != 0) {
				fprintf(stderr, BOARD_PROG ": --lang %s: zh-Hant or en\n", optarg);
				return DC_EXIT_USAGE;
			}
			board_opts.lang = optarg;
			break;
		case 'S': board_opts.secure_cookies = 1; break;
		case 'm':
			if (parse_uint("--max-connections", optarg, 100000, &board_opts.max_conn) < 0)
				return DC_EXIT_USAGE;
			break;
		case 'p':
			if (parse_uint("--max-per-ip", optarg, 100000, &board_opts.max_per_ip) < 0)
				return DC_EXIT_USAGE;
			break;
		case 't':
			if (parse_uint("--threads", optarg, 64, &board_opts.threads) < 0 || board_opts.threads == 0)
				return DC_EXIT_USAGE;
			break;
		case 'r':
			if (parse_uint("--ring", optarg, 1000000, &board_opts.ring) < 0 || board_opts.ring < 16)
				return DC_EXIT_USAGE;
			break;
		case 'a': add_user = optarg; break;
		case 'o': role = optarg; break;
		case 'D': board_opts.state_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return DC_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, BOARD_PROG ": unexpected argument %s (see --help)\n", argv[optind]);
		return DC_EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, BOARD_PROG ": libsodium failed to start\n");
		return DC_EXIT_UNAVAILABLE;
	}
	if (add_user || role) {
		if (!add_user || !role) {
			fprintf(stderr, BOARD_PROG ": --add-user NAME goes with --role ROLE\n");
			return DC_EXIT_USAGE;
		}
		return users_add(board_opts.users, add_user, role);
	}
	if (!board_opts.static_dir)
		board_opts.static_dir = default_static();
	if (users_init(board_opts.state_dir) != 0)
		return DC_EXIT_UNAVAILABLE;
	{
		char probe[PATH_MAX];
		snprintf(probe, sizeof probe, "%s/board.html", board_opts.static_dir);
		if (access(probe, R_OK) != 0) {
			fprintf(stderr, BOARD_PROG ": %s: no pages there (give --static-dir)\n", board_opts.static_dir);
			return DC_EXIT_UNAVAILABLE;
		}
	}
	if (access(board_opts.users, R_OK) != 0)
		fprintf(stderr,
			BOARD_PROG ": warning: %s: %s; nobody can sign in to the board until an account is added "
				   "(--add-user)\n",
			board_opts.users, strerror(errno));
	snprintf(host, sizeof host, "%s", listen_at);
	colon = strrchr(host, ':');
	if (!colon || !colon[1]) {
		fprintf(stderr, BOARD_PROG ": --listen %s: HOST:PORT\n", listen_at);
		return DC_EXIT_USAGE;
	}
	*colon = '\0';
	snprintf(port, sizeof port, "%s", colon + 1);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
		fprintf(stderr, BOARD_PROG ": --listen %s: not an address and port\n", listen_at);
		return DC_EXIT_USAGE;
	}
	/* A thousand streams need more descriptors than the usual 1024. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (link_start() != 0) {
		fprintf(stderr, BOARD_PROG ": cannot start the link to the daemon\n");
		freeaddrinfo(ai);
		return DC_EXIT_UNAVAILABLE;
	}
	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			     MHD_OPTION_THREAD_POOL_SIZE, board_opts.threads, MHD_OPTION_CONNECTION_LIMIT,
			     board_opts.max_conn, MHD_OPTION_PER_IP_CONNECTION_LIMIT, board_opts.max_per_ip,
			     MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
			     MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!d) {
		fprintf(stderr, BOARD_PROG ": cannot serve at %s: %s (taken? see --listen)\n", listen_at,
			strerror(errno));
		link_stop();
		link_free();
		return DC_EXIT_UNAVAILABLE;
	}
	fprintf(stderr, BOARD_PROG ": serving http://%s/ (pages from %s; daemon at %s)\n", listen_at,
		board_opts.static_dir, board_opts.endpoint);
	do {
		if (sigwait(&sigs, &sig) != 0)
			break;
	} while (sig == SIGHUP);
	fprintf(stderr, BOARD_PROG ": stopping\n");
	link_stop();
	MHD_stop_daemon(d);
	board_daemons_destroy();
	link_free();
	return 0;
}
