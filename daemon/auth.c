/* auth: CURVE, the ZAP handler and identities (see auth.h). */
#include "auth.h"

#include <errno.h>
#include <stdint.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"
#include "zloop.h"

/* Stable since libzmq 4.3.0, yet zmq.h of 4.3.4 declares it only with the
 * draft API; the library takes it either way. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif
#define AUTH_ZAP_ENDPOINT "inproc://zeromq.zap.01" /* fixed by RFC 27 */
#define AUTH_MAX_SOCKETS 4
#define AUTH_ZAP_FRAMES 8  /* a ZAP request has 6 or 7 frames (RFC 27) */
#define AUTH_QUIET_KEYS 16 /* refused keys whose log lines are rate-limited */
#define AUTH_QUIET_MS 60000

struct auth_socket {
	void *socket;  /* borrowed */
	char name[16]; /* "request", "events" */
};

struct auth {
	void *zap; /* REP on AUTH_ZAP_ENDPOINT */
	zloop_reader_t *reader;
	char server_public[KEYS_Z85_LEN + 1];
	char server_secret[KEYS_Z85_LEN + 1];
	char *clients_path;
	keys_list_t *clients;
	struct auth_socket sockets[AUTH_MAX_SOCKETS];
	int nsockets;
	struct {
		char key[KEYS_Z85_LEN + 1 + 64]; /* the key, '@', the socket's ZAP domain */
		int64_t logged_ms;
	} quiet[AUTH_QUIET_KEYS]; /* refused keys logged lately, per socket */
};

/* ---- identities ------------------------------------------------------------- */

int auth_identify(const auth_t *a, const zmq_msg_t *frame, struct auth_who *who)
{
	const struct keys_client *c;
	const char *uid;

	memset(who, 0, sizeof *who);
	if (a == NULL)
		return 0;
	/* Only the ZAP handler sets a User-Id: none means no CURVE (ipc). */
	uid = zmq_msg_gets((zmq_msg_t *)frame, "User-Id");
	if (uid == NULL || uid[0] == '\0')
		return 0;
	who->authenticated = true;
	snprintf(who->key, sizeof who->key, "%s", uid);
	if ((c = keys_find(a->clients, uid)) == NULL)
		return -1;
	who->role = c->role;
	snprintf(who->identity, sizeof who->identity, "%s", c->identity);
	return 0;
}

/* ---- the ZAP handler (RFC 27) ------------------------------------------------ */

static void auth_zap_reply(auth_t *a, const char *request_id, size_t id_len, const char *code, const char *text,
			   const char *user_id)
{
	zmq_send(a->zap, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(a->zap, request_id, id_len, ZMQ_SNDMORE);
	zmq_send(a->zap, code, strlen(code), ZMQ_SNDMORE);
	zmq_send(a->zap, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(a->zap, user_id, strlen(user_id), ZMQ_SNDMORE);
	zmq_send(a->zap, "", 0, 0);
}

/* Frame i as a NUL-terminated string (cut to fit buf). */
static const char *auth_frame_str(zmq_msg_t *f, char *buf, size_t len)
{
	size_t n = zmq_msg_size(f) < len - 1 ? zmq_msg_size(f) : len - 1;

	memcpy(buf, zmq_msg_data(f), n);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

/* A refused client retries every reconnect interval: say so once a minute
 * per key and socket, not ten times a second. (Per socket: a client such
 * as dispatch-watch is turned away on both, and each is worth a line.) */
static bool auth_should_log(auth_t *a, const char *k, const char *domain)
{
	struct timespec ts;
	int64_t now;
	size_t oldest = 0;
	char key[sizeof a->quiet[0].key];

	snprintf(key, sizeof key, "%s@%s", k, domain);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (size_t i = 0; i < AUTH_QUIET_KEYS; i++) {
		if (strcmp(a->quiet[i].key, key) == 0) {
			if (now - a->quiet[i].logged_ms < AUTH_QUIET_MS)
				return false;
			a->quiet[i].logged_ms = now;
			return true;
		}
		if (a->quiet[i].logged_ms < a->quiet[oldest].logged_ms)
			oldest = i;
	}
	snprintf(a->quiet[oldest].key, sizeof a->quiet[oldest].key, "%s", key);
	a->quiet[oldest].logged_ms = now;
	return true;
}

static void auth_zap_one(auth_t *a)
{
	zmq_msg_t f[AUTH_ZAP_FRAMES];
	int n = 0, more = 1;
	size_t len = sizeof more;
	char domain[64], address[64], mech[16], key[KEYS_Z85_LEN + 1];
	const struct keys_client *c;

	while (more) {
		zmq_msg_t part;
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, a->zap, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&part);
			break;
		}
		if (n < AUTH_ZAP_FRAMES)
			f[n++] = part;
		else
			zmq_msg_close(&part);
		zmq_getsockopt(a->zap, ZMQ_RCVMORE, &more, &len);
	}
	if (n == 0)
		return;
	/* version, request id, domain, address, routing id, mechanism, credentials */
	if (n < 6 || zmq_msg_size(&f[0]) != 3 || memcmp(zmq_msg_data(&f[0]), "1.0", 3) != 0) {
		log_err("ZAP: a malformed request from libzmq (%d frames); refusing the connection", n);
		if (n >= 2)
			auth_zap_reply(a, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), "500", "malformed ZAP request", "");
		else
			auth_zap_reply(a, "", 0, "500", "malformed ZAP request", "");
		goto done;
	}
	auth_frame_str(&f[2], domain, sizeof domain);
	auth_frame_str(&f[3], address, sizeof address);
	auth_frame_str(&f[5], mech, sizeof mech);
	if (strcmp(mech, "CURVE") != 0 || n < 7 || zmq_msg_size(&f[6]) != 32) {
		log_warn("refused a %s connection from %s on %s: only CURVE keys are accepted", mech, address, domain);
		auth_zap_reply(a, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), "400", "CURVE only", "");
		goto done;
	}
	zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
	if ((c = keys_find(a->clients, key)) == NULL) {
		if (auth_should_log(a, key, domain))
			log_warn("refused an unknown CURVE key %s from %s on %s (not in %s)", key, address, domain,
				 a->clients_path);
		auth_zap_reply(a, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), "400", "unknown key", "");
		goto done;
	}
	/* A resident key (the web gateway's residents' pages) views and rates
	 * one ticket at a time by its token: the events socket publishes every
	 * ticket whole (phones, names), so it is not for that key (issue 17). */
	if (c->role == DISPATCH__ROLE__ROLE_RESIDENT && strcmp(domain, "dispatchd-events") == 0) {
		if (auth_should_log(a, key, domain))
			log_warn(
				"refused %s (resident) from %s on %s: a resident key may only view and rate residents' "
				"pages; the gateway follows events with a monitor key",
				c->identity, address, domain);
		auth_zap_reply(a, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), "400", "resident keys do not subscribe",
			       "");
		goto done;
	}
	log_info("%s (%s) connected from %s on %s", c->identity, keys_role_word(c->role), address, domain);
	/* The User-Id is the key: each request looks its role up afresh, so a
	 * key revoked by a reload is refused on a connection still open. */
	auth_zap_reply(a, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), "200", "OK", key);
done:
	for (int i = 0; i < n; i++)
		zmq_msg_close(&f[i]);
}

static void auth_on_zap(void *arg)
{
	auth_t *a = arg;

	/* Bounded: the rest waits for the next loop pass. */
	for (int i = 0; i < 64; i++) {
		int events = 0;
		size_t len = sizeof events;
		if (zmq_getsockopt(a->zap, ZMQ_EVENTS, &events, &len) != 0 || !(events & ZMQ_POLLIN))
			break;
		auth_zap_one(a);
	}
}

/* ---- sockets ---------------------------------------------------------------- */

bool auth_endpoint_needs_curve(const char *endpoint)
{
	return endpoint && strncmp(endpoint, "tcp://", 6) == 0;
}

int auth_secure(auth_t *a, void *socket, const char *endpoint, const char *name, char *err, size_t errlen)
{
	int one = 1;
	char domain[32];

	if (!auth_endpoint_needs_curve(endpoint))
		return 0;
	if (a == NULL) {
		snprintf(err, errlen,
			 "%s endpoint %s is TCP, and every TCP endpoint is encrypted and authenticated (CURVE): add a "
			 "security: section (server_key, clients) to the configuration, or use an ipc:// endpoint",
			 name, endpoint);
		return -1;
	}
	if (a->nsockets == AUTH_MAX_SOCKETS) {
		snprintf(err, errlen, "too many secured sockets (a bug in dispatchd)");
		return -1;
	}
	snprintf(domain, sizeof domain, "dispatchd-%s", name);
	if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
	    zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, a->server_secret, KEYS_Z85_LEN) != 0 ||
	    zmq_setsockopt(socket, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0 ||
	    zmq_setsockopt(socket, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) != 0) {
		snprintf(err, errlen, "cannot make the %s socket a CURVE server: %s", name, zmq_strerror(errno));
		return -1;
	}
	a->sockets[a->nsockets].socket = socket;
	snprintf(a->sockets[a->nsockets].name, sizeof a->sockets[0].name, "%s", name);
	a->nsockets++;
	return 1;
}

/* Close every connection of a bound socket: unbind, then bind the same
 * endpoint again (the old listener closes asynchronously, so retry). */
static void auth_rebind(struct auth_socket *s)
{
	char ep[256];
	size_t len = sizeof ep;
	struct timespec pause = { 0, 10 * 1000 * 1000 };

	if (zmq_getsockopt(s->socket, ZMQ_LAST_ENDPOINT, ep, &len) != 0 || ep[0] == '\0') {
		log_err("revocation: cannot tell where the %s socket listens: %s", s->name, zmq_strerror(errno));
		return;
	}
	if (zmq_unbind(s->socket, ep) != 0) {
		log_err("revocation: cannot unbind the %s socket from %s: %s", s->name, ep, zmq_strerror(errno));
		return;
	}
	for (int i = 0; i < 200; i++) {
		if (zmq_bind(s->socket, ep) == 0) {
			log_notice("revocation: closed every connection on %s (%s); clients reconnect by themselves",
				   ep, s->name);
			return;
		}
		if (errno != EADDRINUSE)
			break;
		nanosleep(&pause, NULL);
	}
	log_err("revocation: cannot listen on %s (%s) again: %s; restart dispatchd", ep, s->name, zmq_strerror(errno));
}

int auth_reload(auth_t *a)
{
	char err[4096];
	keys_list_t *k;
	int revoked = 0;

	if (a == NULL)
		return 0;
	if ((k = keys_load(a->clients_path, err, sizeof err)) == NULL) {
		log_err("SIGHUP: %s has errors; keeping the keys already loaded:", a->clients_path);
		for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
			log_err("  %s", line);
		return -1;
	}
	for (size_t i = 0; i < a->clients->n; i++) {
		const struct keys_client *old = &a->clients->v[i], *now = keys_find(k, old->public_key);
		if (now == NULL) {
			log_notice("SIGHUP: key of %s (%s) revoked", old->identity, keys_role_word(old->role));
			revoked++;
		} else if (now->role != old->role || strcmp(now->identity, old->identity) != 0) {
			log_notice("SIGHUP: key of %s (%s) now stands for %s (%s)", old->identity,
				   keys_role_word(old->role), now->identity, keys_role_word(now->role));
			revoked++;
		}
	}
	log_info("SIGHUP: %zu client key(s) loaded from %s", k->n, a->clients_path);
	keys_destroy(&a->clients);
	a->clients = k;
	/* Requests from a revoked key are refused from now on; its open
	 * connections are closed too, so it must authenticate again. */
	if (revoked)
		for (int i = 0; i < a->nsockets; i++)
			auth_rebind(&a->sockets[i]);
	return revoked;
}

/* ---- lifetime ---------------------------------------------------------------- */

auth_t *auth_new(void *zmq_ctx, struct ev_loop *loop, const char *server_key, const char *clients, char *err,
		 size_t errlen)
{
	auth_t *a = xcalloc(1, sizeof *a);
	struct keys_pair kp;
	int linger = 0;

	if (keys_read_pair(server_key, true, &kp, err, errlen) != 0)
		goto fail;
	memcpy(a->server_public, kp.public_key, sizeof a->server_public);
	memcpy(a->server_secret, kp.secret_key, sizeof a->server_secret);
	memset(&kp, 0, sizeof kp);
	a->clients_path = xstrdup(clients);
	if ((a->clients = keys_load(clients, err, errlen)) == NULL)
		goto fail;
	if ((a->zap = zmq_socket(zmq_ctx, ZMQ_REP)) == NULL) {
		snprintf(err, errlen, "cannot create the ZAP socket: %s", zmq_strerror(errno));
		goto fail;
	}
	zmq_setsockopt(a->zap, ZMQ_LINGER, &linger, sizeof linger);
	if (zmq_bind(a->zap, AUTH_ZAP_ENDPOINT) != 0) {
		snprintf(err, errlen, "cannot start the ZAP handler on %s: %s", AUTH_ZAP_ENDPOINT, zmq_strerror(errno));
		goto fail;
	}
	if ((a->reader = zloop_reader_new(loop, a->zap, auth_on_zap, a)) == NULL) {
		snprintf(err, errlen, "cannot watch the ZAP socket: %s", zmq_strerror(errno));
		goto fail;
	}
	log_info("CURVE: server key %s (public %s), %zu client key(s) from %s", server_key, a->server_public,
		 a->clients->n, clients);
	return a;
fail:
	auth_destroy(&a);
	return NULL;
}

void auth_destroy(auth_t **ap)
{
	auth_t *a;

	if (ap == NULL || *ap == NULL)
		return;
	a = *ap;
	zloop_reader_destroy(&a->reader);
	if (a->zap)
		zmq_close(a->zap);
	keys_destroy(&a->clients);
	free(a->clients_path);
	memset(a->server_secret, 0, sizeof a->server_secret);
	free(a);
	*ap = NULL;
}

/* ---- first-run demo keys ------------------------------------------------------ */

static int auth_demo_client(FILE *f, const char *dir, const char *name, const char *role, char *err, size_t errlen)
{
	struct keys_pair kp;
	char path[4096];

	/* A pair left from an earlier run is listed again, not replaced. */
	snprintf(path, sizeof path, "%s/%s.key", dir, name);
	if (access(path, F_OK) == 0) {
		if (keys_read_pair(path, false, &kp, err, errlen) != 0)
			return -1;
	} else if (keys_generate(dir, name, &kp, err, errlen) != 0) {
		return -1;
	}
	fprintf(f, "%s  %-10s %s\n", kp.public_key, role, name);
	return 0;
}

int auth_generate_demo(const char *server_key, const char *clients, const config_t *cfg, char *err, size_t errlen)
{
	char sdir[4096], cdir[4096], buf[4096], tmp[4200], name[4096], *base;
	static const char *const roles[] = { "desk", "monitor", "qc", "supervisor", "admin", "resident" };
	struct keys_pair kp;
	FILE *f;

	snprintf(buf, sizeof buf, "%s", server_key);
	snprintf(sdir, sizeof sdir, "%s", dirname(buf)); /* dirname() may write into buf */
	snprintf(buf, sizeof buf, "%s", clients);
	snprintf(cdir, sizeof cdir, "%s", dirname(buf));
	if (access(server_key, F_OK) != 0) {
		snprintf(name, sizeof name, "%s", server_key);
		base = basename(name);
		if (strlen(base) < 5 || strcmp(base + strlen(base) - 4, ".key") != 0) {
			snprintf(err, errlen, "security.server_key %s: to generate it, name it NAME.key", server_key);
			return -1;
		}
		base[strlen(base) - 4] = '\0';
		if (keys_generate(sdir, base, &kp, err, errlen) != 0)
			return -1;
		log_notice("generated the server key pair %s (public half next to it, %s.pub)", server_key, base);
	}
	if (access(clients, F_OK) == 0)
		goto tell;
	snprintf(tmp, sizeof tmp, "%s.tmp", clients);
	if (mkdir(cdir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", cdir, strerror(errno));
		return -1;
	}
	if ((f = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(f,
		"# dispatchd clients: PUBLIC-KEY ROLE IDENTITY, one key a line (README, \"Security\").\n"
		"# Generated on the first run for %s: a demo set, one key pair per role and per\n"
		"# crew member, in %s. Issue your own with dispatchd --gen-keys before\n"
		"# the estate's network sees this daemon. SIGHUP reloads this file.\n",
		cfg->estate, cdir);
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (auth_demo_client(f, cdir, roles[i], roles[i], err, errlen) != 0)
			goto fail;
	for (unsigned i = 0; i < cfg->crews_count; i++)
		for (unsigned j = 0; j < cfg->crews[i].members_count; j++)
			if (auth_demo_client(f, cdir, cfg->crews[i].members[j].id, "crew", err, errlen) != 0)
				goto fail;
	if (fclose(f) != 0 || rename(tmp, clients) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", clients, strerror(errno));
		unlink(tmp);
		return -1;
	}
	log_notice("generated demo client keys in %s, listed in %s: one per role (desk, monitor, qc, supervisor, "
		   "admin, resident) and per crew member",
		   cdir, clients);
tell:
	snprintf(name, sizeof name, "%s", server_key);
	if (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".key") == 0)
		name[strlen(name) - 4] = '\0';
	log_notice("clients connect with: export DISPATCH_SERVER_KEY=%s.pub DISPATCH_KEY=%s/desk.key "
		   "(a handheld: DISPATCH_KEY=%s/MEMBER.key, a monitor: %s/monitor.key)",
		   name, cdir, cdir, cdir);
	return 0;
fail:
	fclose(f);
	unlink(tmp);
	return -1;
}
