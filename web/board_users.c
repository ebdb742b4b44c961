/*
 * board_users: who may sign in to the board, their sessions, and the
 * per-address limits on failed tries.
 *
 * The users file is the administrator's: one account a line,
 *   NAME ROLE HASH
 * where HASH is libsodium's crypto_pwhash_str (argon2id, with its salt and
 * costs in the string); '#' starts a comment. `dispatch-board --add-user`
 * writes a line (replacing NAME's), so nobody edits hashes by hand. The
 * file is read at every sign-in: a removed account cannot sign in again,
 * and its sessions end when they expire (SESSION_MS after the sign-in) or
 * are signed out; to end them all at once, remove STATE/sessions and
 * restart the gateway.
 *
 * A session is a random 256-bit id in an HttpOnly, SameSite=Strict
 * cookie, and a second random value the page sends back in X-CSRF-Token
 * on every POST. They are kept in STATE/sessions (mode 0600), so a
 * restart of the gateway signs nobody out.
 */
#include "board.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#define SESSIONS_MAX 256
#define SESSION_MS (30LL * 24 * 3600 * 1000) /* a wall screen stays signed in: a month */
#define LIMIT_SLOTS 1024
#define LIMIT_TRIES 10              /* failures per address ... */
#define LIMIT_WINDOW_MS (60 * 1000) /* ... per minute */
#define LINE_MAX_LEN 512

static const char *const role_names[] = {
	[BR_NONE] = "none", [BR_MONITOR] = "monitor",       [BR_DESK] = "desk",
	[BR_QC] = "qc",     [BR_SUPERVISOR] = "supervisor",
};

const char *users_role_name(enum board_role r)
{
	return (unsigned)r < sizeof role_names / sizeof role_names[0] ? role_names[r] : "none";
}

int users_role_parse(const char *s, enum board_role *out)
{
	for (unsigned i = BR_MONITOR; i < sizeof role_names / sizeof role_names[0]; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum board_role)i;
			return 0;
		}
	}
	return -1;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* The password: a line from stdin (asked for, without echo, on a terminal). */
static int read_password(char *buf, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	size_t n;

	if (tty) {
		fprintf(stderr, "password: ");
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	if (!fgets(buf, (int)size, stdin))
		buf[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fprintf(stderr, "\n");
	}
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return (int)n;
}

int users_add(const char *file, const char *name, const char *role)
{
	char pw[256], hash[crypto_pwhash_STRBYTES], tmp[4200], line[LINE_MAX_LEN];
	enum board_role r;
	FILE *in, *out;
	int fd;

	if (!name_ok(name)) {
		fprintf(stderr, BOARD_PROG ": --add-user %s: a name is 1..32 letters, digits, '-', '_' or '.'\n", name);
		return DC_EXIT_USAGE;
	}
	if (users_role_parse(role, &r) != 0) {
		fprintf(stderr, BOARD_PROG ": --role %s: one of monitor, desk, qc, supervisor\n", role);
		return DC_EXIT_USAGE;
	}
	if (read_password(pw, sizeof pw) < 8) {
		fprintf(stderr, BOARD_PROG ": the password (on stdin) must have at least 8 characters\n");
		return DC_EXIT_USAGE;
	}
	if (crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		sodium_memzero(pw, sizeof pw);
		fprintf(stderr, BOARD_PROG ": out of memory hashing the password\n");
		return DC_EXIT_UNAVAILABLE;
	}
	sodium_memzero(pw, sizeof pw);
	snprintf(tmp, sizeof tmp, "%s.tmp", file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !(out = fdopen(fd, "w"))) {
		fprintf(stderr, BOARD_PROG ": %s: cannot create: %s\n", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return DC_EXIT_UNAVAILABLE;
	}
	if ((in = fopen(file, "r")) != NULL) {
		while (fgets(line, sizeof line, in)) {
			char first[64];
			if (sscanf(line, "%63s", first) == 1 && strcmp(first, name) == 0)
				continue;
			fputs(line, out);
		}
		fclose(in);
	} else {
		fprintf(out, "# dispatch-board users: NAME ROLE ARGON2ID-HASH (dispatch-board --add-user)\n");
	}
	fprintf(out, "%s %s %s\n", name, users_role_name(r), hash);
	if (fclose(out) != 0 || rename(tmp, file) != 0) {
		fprintf(stderr, BOARD_PROG ": %s: cannot write: %s\n", file, strerror(errno));
		unlink(tmp);
		return DC_EXIT_UNAVAILABLE;
	}
	printf("%s: %s may sign in as %s\n", file, name, users_role_name(r));
	return 0;
}

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
	unsigned char pw[16];

	randombytes_buf(pw, sizeof pw);
	if (crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof pw, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy_hash[0] = '\0';
}

enum board_role users_check(const char *file, const char *name, const char *password)
{
	char line[LINE_MAX_LEN], n[64], role[32], hash[crypto_pwhash_STRBYTES];
	enum board_role r = BR_NONE, found = BR_NONE;
	FILE *f;
	int matched = 0;

	if (!file || !(f = fopen(file, "r")))
		return BR_NONE;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%63s %31s %127s", n, role, hash) != 3 || strcmp(n, name) != 0)
			continue;
		if (users_role_parse(role, &r) != 0)
			continue;
		matched = 1;
		if (crypto_pwhash_str_verify(hash, password, strlen(password)) == 0)
			found = r;
		break;
	}
	fclose(f);
	if (!matched) {
		/* As slow as a wrong password, so names cannot be told apart. */
		pthread_once(&dummy_once, dummy_init);
		if (crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
			found = BR_NONE;
	}
	return found;
}

/* ---- sessions ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct session sessions[SESSIONS_MAX];
static char sessions_file[4200];
static unsigned char mac_key[crypto_generichash_KEYBYTES];

static int64_t wall_ms(void)
{
	return dc_wall_ms();
}

static void random_hex(char *out, size_t bytes)
{
	unsigned char raw[32];

	randombytes_buf(raw, bytes);
	sodium_bin2hex(out, bytes * 2 + 1, raw, bytes);
}

/* Under mu: the sessions to their file, so that a restart of the gateway
 * does not sign out every wall screen. */
static void sessions_save(void)
{
	char tmp[4300];
	FILE *f;
	int fd;

	if (!sessions_file[0])
		return;
	snprintf(tmp, sizeof tmp, "%s.tmp", sessions_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		fprintf(stderr, BOARD_PROG ": %s: cannot write: %s\n", tmp, strerror(errno));
		return;
	}
	for (int i = 0; i < SESSIONS_MAX; i++)
		if (sessions[i].id[0] && sessions[i].expires_ms > wall_ms())
			fprintf(f, "%s %s %s %s %lld\n", sessions[i].id, sessions[i].csrf, sessions[i].name,
				users_role_name(sessions[i].role), (long long)sessions[i].expires_ms);
	if (fclose(f) != 0 || rename(tmp, sessions_file) != 0) {
		fprintf(stderr, BOARD_PROG ": %s: cannot write: %s\n", sessions_file, strerror(errno));
		unlink(tmp);
	}
}

/* The gateway's secret (the resident pages' form tokens) and the sessions,
 * from dir; both made there on the first run. */
int users_init(const char *dir)
{
	char path[4200], line[LINE_MAX_LEN];
	FILE *f;
	int fd, n = 0;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, BOARD_PROG ": --state-dir %s: cannot create: %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/secret", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t got = read(fd, mac_key, sizeof mac_key);
		close(fd);
		if (got != (ssize_t)sizeof mac_key) {
			fprintf(stderr, BOARD_PROG ": %s: not %zu bytes; remove it to make a new one\n", path,
				sizeof mac_key);
			return -1;
		}
	} else {
		randombytes_buf(mac_key, sizeof mac_key);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, mac_key, sizeof mac_key) != (ssize_t)sizeof mac_key) {
			fprintf(stderr, BOARD_PROG ": %s: cannot write: %s\n", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	snprintf(sessions_file, sizeof sessions_file, "%s/sessions", dir);
	if ((f = fopen(sessions_file, "r")) != NULL) {
		while (n < SESSIONS_MAX && fgets(line, sizeof line, f)) {
			struct session *s = &sessions[n];
			char role[32];
			long long exp;
			if (sscanf(line, "%64s %64s %63s %31s %lld", s->id, s->csrf, s->name, role, &exp) != 5 ||
			    strlen(s->id) != 64 || strlen(s->csrf) != 64 || users_role_parse(role, &s->role) != 0 ||
			    exp <= wall_ms()) {
				memset(s, 0, sizeof *s);
				continue;
			}
			s->expires_ms = exp;
			n++;
		}
		fclose(f);
	}
	return 0;
}

int users_session_new(const char *name, enum board_role role, struct session *out)
{
	int64_t now = wall_ms();
	int i, slot = -1;

	pthread_mutex_lock(&mu);
	for (i = 0; i < SESSIONS_MAX; i++) {
		if (!sessions[i].id[0] || sessions[i].expires_ms <= now) {
			slot = i;
			break;
		}
	}
	if (slot < 0) { /* full: the oldest goes */
		slot = 0;
		for (i = 1; i < SESSIONS_MAX; i++)
			if (sessions[i].expires_ms < sessions[slot].expires_ms)
				slot = i;
	}
	random_hex(sessions[slot].id, 32);
	random_hex(sessions[slot].csrf, 32);
	snprintf(sessions[slot].name, sizeof sessions[slot].name, "%s", name);
	sessions[slot].role = role;
	sessions[slot].expires_ms = now + SESSION_MS;
	*out = sessions[slot];
	sessions_save();
	pthread_mutex_unlock(&mu);
	return 0;
}

int users_session_get(const char *id, struct session *out)
{
	int64_t now = wall_ms();
	int rc = -1;

	if (!id || strlen(id) != 64)
		return -1;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < SESSIONS_MAX; i++) {
		if (sessions[i].id[0] && sodium_memcmp(sessions[i].id, id, 64) == 0) {
			if (sessions[i].expires_ms <= now) {
				memset(&sessions[i], 0, sizeof sessions[i]);
				sessions_save();
				break;
			}
			*out = sessions[i];
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

void users_session_end(const char *id)
{
	if (!id || strlen(id) != 64)
		return;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < SESSIONS_MAX; i++)
		if (sessions[i].id[0] && sodium_memcmp(sessions[i].id, id, 64) == 0)
			memset(&sessions[i], 0, sizeof sessions[i]);
	sessions_save();
	pthread_mutex_unlock(&mu);
}

/* ---- limits ---- */

struct limit {
	char addr[64];
	int64_t since_ms;
	unsigned fails;
};
static struct limit limits[LIMIT_SLOTS];

static struct limit *limit_of(const char *addr, int make)
{
	unsigned h = 2166136261u;
	const char *p;
	struct limit *l;

	for (p = addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	l = &limits[h % LIMIT_SLOTS];
	if (strcmp(l->addr, addr) == 0)
		return l;
	if (!make)
		return NULL;
	/* Another address in the slot: it is replaced (a collision can only
	 * forgive an attacker's count, by another attacker's address). */
	memset(l, 0, sizeof *l);
	snprintf(l->addr, sizeof l->addr, "%s", addr);
	l->since_ms = board_mono_ms();
	return l;
}

int users_limited(const char *addr)
{
	struct limit *l;
	int limited = 0;

	pthread_mutex_lock(&mu);
	l = limit_of(addr, 0);
	if (l && board_mono_ms() - l->since_ms <= LIMIT_WINDOW_MS && l->fails >= LIMIT_TRIES)
		limited = 1;
	pthread_mutex_unlock(&mu);
	return limited;
}

void users_failed(const char *addr)
{
	struct limit *l;

	pthread_mutex_lock(&mu);
	l = limit_of(addr, 1);
	if (board_mono_ms() - l->since_ms > LIMIT_WINDOW_MS) {
		l->since_ms = board_mono_ms();
		l->fails = 0;
	}
	l->fails++;
	pthread_mutex_unlock(&mu);
}

void users_mac(const char *s, char *out)
{
	unsigned char h[32];

	crypto_generichash(h, sizeof h, (const unsigned char *)s, strlen(s), mac_key, sizeof mac_key);
	sodium_bin2hex(out, 65, h, sizeof h);
}
