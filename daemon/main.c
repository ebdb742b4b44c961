/*
 * main: arguments, configuration, the store, the sockets, signals, and the
 * one libev loop everything runs on (one thread). The offline subcommands
 * (backup, export, purge, report, verify, gen-keys, check-config) are the
 * table in admin.c; main runs the one selected, or serves.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "admin.h"
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "ingest.h"
#include "keys.h"
#include "log.h"
#include "notify.h"
#include "publish.h"
#include "roster.h"
#include "store.h"
#include "verify.h"
#include "export.h"
#include "report.h"

#define DISPATCHD_VERSION "0.1.0"
#define DEFAULT_STATE_DIR "/var/lib/dispatchd"
#define DEFAULT_REQUEST "tcp://127.0.0.1:7450"
#define DEFAULT_EVENTS "tcp://127.0.0.1:7451"

/* EXIT_IN_USE: another dispatchd serves the state directory (its pid is
 * in the message); a supervisor may try again once that one has stopped. */
enum { EXIT_OK = 0, EXIT_START = 1, EXIT_USAGE = 2, EXIT_IN_USE = 3 };
#define LOCK_FILE "dispatchd.lock"

struct daemon {
	struct admin_options opt;
	config_t *cfg;
	store_t *store;
	void *zmq;
	publish_t *pub;
	roster_t *roster;
	ingest_t *ingest;
	auth_t *auth; /* NULL when no endpoint is tcp */
	int lock_fd;  /* state-dir/dispatchd.lock, write-locked while we serve; -1: none */
	ev_signal sigint, sigterm, sighup;
	ev_timer watchdog; /* WATCHDOG=1 at half the interval systemd asked for */
	ev_timer status;   /* STATUS= with counts */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dispatchd [OPTIONS]\n"
		"       dispatchd [--state-dir DIR] backup DEST\n"
		"       dispatchd [--state-dir DIR] export [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
		"       dispatchd [--state-dir DIR] purge --older-than 7y [--yes]\n"
		"       dispatchd [--state-dir DIR] report daily [--date YYYY-MM-DD]\n"
		"                 [--format text|csv|csv-wide|json]\n"
		"       dispatchd [--state-dir DIR] report review [--from D] [--to D]\n"
		"                 [--format text|csv|csv-wide|json|html|svg] [--output FILE]\n"
		"       dispatchd --gen-keys DIR [--name NAME]\n"
		"\n"
		"The dispatch daemon of an estate's service center: takes tickets over ZeroMQ,\n"
		"routes them to crews, stores them in LMDB and publishes every change.\n"
		"\n"
		"  -c, --config FILE      estate configuration (YAML); default: the built-in sample estate\n"
		"  -d, --state-dir DIR    where the store lives (default: $STATE_DIRECTORY or %s)\n"
		"      --request EP       request endpoint (default: config listen.request or %s)\n"
		"      --events EP        event endpoint (default: config listen.events or %s)\n"
		"      --check-config     check the configuration, print a summary, and exit (0 valid, 1 not)\n"
		"      --verify           check the store's invariants (event log, tickets, indexes) and exit\n"
		"                         (0 all good, 1 a violation was found or the store cannot be read)\n"
		"      --log-level LEVEL  error, warning, notice, info (default) or debug\n"
		"      --map-size MB      LMDB map size in MiB to start with (default 1024)\n"
		"      --map-max MB       the map doubles when full, up to this (default: as the disk allows)\n"
		"      --pub-hwm N        events queued per subscriber before they are dropped (default 10000;\n"
		"                         a subscriber that falls behind replays from the log)\n"
		"      --clock-offset MS  shift the daemon's clock (tests)\n"
		"      --clock-scale X    run the daemon's clock X times faster (tests)\n"
		"      --clock-at TIME    start the daemon's clock at local TIME, YYYY-MM-DDTHH:MM:SS (tests)\n"
		"      --gen-keys DIR     write a CURVE key pair, DIR/NAME.key (secret, mode 0600) and DIR/NAME.pub,\n"
		"                         and exit; never overwrites\n"
		"      --name NAME        with --gen-keys: the key's name (default: server; for a client, e.g. desk-1\n"
		"                         or a member id), then list NAME.pub's key in the clients file\n"
		"  -h, --help             this help\n"
		"  -V, --version          print the version\n"
		"\n"
		"Commands (on the store in --state-dir, while the daemon runs or not):\n"
		"  backup DEST            a hot, compacted copy of the store into directory DEST\n"
		"  export                 the event log as NDJSON on stdout, one object per event with the\n"
		"                         ticket as it was; --from (inclusive) and --to (exclusive) pick a period\n"
		"  purge                  retention purge: tickets closed or cancelled more than --older-than ago\n"
		"                         (e.g. 7y, 400d) are deleted and their events reduced to tombstones;\n"
		"                         without --yes it only says what it would remove. The purge is recorded\n"
		"                         in the event log. Nothing is ever deleted otherwise.\n"
		"  report daily           the daily work report of --date (default today, the estate's local date)\n"
		"  report review          the management review of tickets reported from --from (inclusive) to\n"
		"                         --to (exclusive); default the year up to and including today; per crew,\n"
		"                         member and month, against the period of the same length before it.\n"
		"                         csv-wide: one row per month, crew and member, one column per figure\n"
		"\n"
		"Signals: SIGINT/SIGTERM stop cleanly; SIGHUP reloads the configuration file and the client keys.\n"
		"Exit status: 0 stopped cleanly, 1 could not start (configuration, store, sockets), 2 usage error,\n"
		"3 the state directory is in use by another dispatchd (its pid is named; see dispatchd(8)).\n"
		"\n"
		"Example:\n"
		"  dispatchd --config /etc/dispatchd/dispatchd.yaml --state-dir /var/lib/dispatchd\n",
		DEFAULT_STATE_DIR, DEFAULT_REQUEST, DEFAULT_EVENTS);
}

static int parse_options(int argc, char **argv, struct admin_options *o)
{
	enum {
		OPT_REQUEST = 256,
		OPT_EVENTS,
		OPT_CHECK,
		OPT_LOG,
		OPT_MAP,
		OPT_COFF,
		OPT_CSCALE,
		OPT_CAT,
		OPT_VERIFY,
		OPT_MAPMAX,
		OPT_HWM,
		OPT_FROM,
		OPT_TO,
		OPT_OLDER,
		OPT_YES,
		OPT_DATE,
		OPT_FORMAT,
		OPT_OUTPUT,
		OPT_GENKEYS,
		OPT_NAME
	};
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "request", required_argument, NULL, OPT_REQUEST },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "log-level", required_argument, NULL, OPT_LOG },
		{ "map-size", required_argument, NULL, OPT_MAP },
		{ "map-max", required_argument, NULL, OPT_MAPMAX },
		{ "pub-hwm", required_argument, NULL, OPT_HWM },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "older-than", required_argument, NULL, OPT_OLDER },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "date", required_argument, NULL, OPT_DATE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "gen-keys", required_argument, NULL, OPT_GENKEYS },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "clock-offset", required_argument, NULL, OPT_COFF },
		{ "clock-scale", required_argument, NULL, OPT_CSCALE },
		{ "clock-at", required_argument, NULL, OPT_CAT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, level;
	char *end;

	memset(o, 0, sizeof *o);
	o->clock_scale = 1.0;
	o->state_dir = getenv("STATE_DIRECTORY") ? getenv("STATE_DIRECTORY") : DEFAULT_STATE_DIR;
	while ((ch = getopt_long(argc, argv, "c:d:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'd': o->state_dir = optarg; break;
		case OPT_REQUEST: o->request = optarg; break;
		case OPT_EVENTS: o->events = optarg; break;
		case OPT_CHECK: o->check_config = 1; break;
		case OPT_VERIFY: o->verify = 1; break;
		case OPT_FROM: o->from = optarg; break;
		case OPT_TO: o->to = optarg; break;
		case OPT_OLDER: o->older_than = optarg; break;
		case OPT_YES: o->yes = 1; break;
		case OPT_DATE: o->date = optarg; break;
		case OPT_FORMAT: o->format = optarg; break;
		case OPT_OUTPUT: o->output = optarg; break;
		case OPT_GENKEYS: o->gen_keys = optarg; break;
		case OPT_NAME: o->key_name = optarg; break;
		case OPT_LOG:
			if ((level = log_parse_level(optarg)) < 0) {
				fprintf(stderr,
					"dispatchd: unknown log level '%s'; use error, warning, notice, info or "
					"debug\n",
					optarg);
				return -1;
			}
			log_set_level((enum log_level)level);
			break;
		case OPT_MAP:
			errno = 0;
			o->map_size = (size_t)strtoull(optarg, &end, 10) * 1024 * 1024;
			if (errno || *end || o->map_size == 0) {
				fprintf(stderr, "dispatchd: --map-size wants a size in MiB, e.g. 1024\n");
				return -1;
			}
			break;
		case OPT_MAPMAX:
			errno = 0;
			o->map_max = (size_t)strtoull(optarg, &end, 10) * 1024 * 1024;
			if (errno || *end || o->map_max == 0) {
				fprintf(stderr, "dispatchd: --map-max wants a size in MiB, e.g. 65536\n");
				return -1;
			}
			break;
		case OPT_HWM:
			errno = 0;
			o->pub_hwm = (int)strtol(optarg, &end, 10);
			if (errno || *end || o->pub_hwm <= 0) {
				fprintf(stderr, "dispatchd: --pub-hwm wants a positive number of messages\n");
				return -1;
			}
			break;
		case OPT_COFF:
			errno = 0;
			o->clock_offset_ms = strtoll(optarg, &end, 10);
			if (errno || *end) {
				fprintf(stderr, "dispatchd: --clock-offset wants milliseconds\n");
				return -1;
			}
			break;
		case OPT_CSCALE:
			o->clock_scale = strtod(optarg, &end);
			if (*end || o->clock_scale <= 0) {
				fprintf(stderr, "dispatchd: --clock-scale wants a positive number\n");
				return -1;
			}
			break;
		case OPT_CAT: o->clock_at = optarg; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case 'V': printf("dispatchd %s\n", DISPATCHD_VERSION); exit(EXIT_OK);
		default: fprintf(stderr, "dispatchd: try 'dispatchd --help'\n"); return -1;
		}
	}
	if (optind < argc && strcmp(argv[optind], "backup") == 0) {
		o->command = "backup";
		if (optind + 2 != argc) {
			fprintf(stderr, "dispatchd: backup wants one destination directory: dispatchd backup DEST\n");
			return -1;
		}
		o->backup_dest = argv[optind + 1];
		return 0;
	}
	if (optind < argc && strcmp(argv[optind], "purge") == 0) {
		o->command = "purge";
		optind++;
		if (o->older_than == NULL) {
			fprintf(stderr, "dispatchd: purge needs --older-than, e.g. --older-than 7y\n");
			return -1;
		}
	}
	if (optind < argc && strcmp(argv[optind], "report") == 0) {
		o->command = "report";
		if (optind + 1 >= argc ||
		    (strcmp(argv[optind + 1], "daily") != 0 && strcmp(argv[optind + 1], "review") != 0)) {
			fprintf(stderr,
				"dispatchd: report wants daily or review: dispatchd report daily|review [OPTIONS]\n");
			return -1;
		}
		o->report = argv[optind + 1];
		optind += 2;
	}
	if ((o->date || o->format || o->output) && (o->command == NULL || strcmp(o->command, "report") != 0)) {
		fprintf(stderr, "dispatchd: --date, --format and --output go with the report command\n");
		return -1;
	}
	if (optind < argc && strcmp(argv[optind], "export") == 0) {
		/* getopt_long has already taken the options that follow it */
		o->command = "export";
		optind++;
	}
	if (optind < argc) {
		fprintf(stderr, "dispatchd: unexpected argument '%s'; try 'dispatchd --help'\n", argv[optind]);
		return -1;
	}
	if ((o->older_than || o->yes) && (o->command == NULL || strcmp(o->command, "purge") != 0)) {
		fprintf(stderr, "dispatchd: --older-than and --yes go with the purge command\n");
		return -1;
	}
	if (o->key_name && o->gen_keys == NULL) {
		fprintf(stderr, "dispatchd: --name goes with --gen-keys DIR\n");
		return -1;
	}
	if ((o->from || o->to) && o->command == NULL) {
		fprintf(stderr, "dispatchd: --from and --to go with the export and report commands\n");
		return -1;
	}
	return 0;
}

/* --clock-at: the offset that makes "now" the given local time. */
static int clock_at_offset(const char *when, int64_t *offset_ms)
{
	struct tm tm;
	struct timespec ts;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof tm);
	end = strptime(when, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	*offset_ms = ((int64_t)t - ts.tv_sec) * 1000 - ts.tv_nsec / 1000000;
	return 0;
}

static int load_presence(const char *member, int64_t last_seen_ms, void *arg)
{
	roster_restore_seen(arg, member, last_seen_ms);
	return 0;
}

struct save_presence {
	store_t *store;
	MDB_txn *txn;
	int rc;
};

static void save_presence(const char *member, int64_t last_seen_ms, void *arg)
{
	struct save_presence *sp = arg;
	if (sp->rc == 0)
		sp->rc = store_put_presence(sp->store, sp->txn, member, last_seen_ms);
}

static int load_duty(const char *member, int duty, void *arg)
{
	roster_set_duty(arg, member, duty ? ROSTER_DUTY_ON : ROSTER_DUTY_OFF);
	return 0;
}

static char *state_path(const struct admin_options *o, const char *path)
{
	char *p;

	if (path[0] == '/' || asprintf(&p, "%s/%s", o->state_dir, path) < 0)
		return strdup(path);
	return p;
}

/* An ipc socket is guarded by the permissions of its directory (README,
 * "Security"): in one that any user may write, another user can delete
 * the socket or put one of their own in its place, and clients would
 * talk to that. Warned about once the socket is bound, not refused: a
 * test or a deliberate setup may want it, and the warning says what to
 * change. Abstract sockets (ipc://@name) have no directory. */
static void warn_open_ipc_dir(const char *endpoint)
{
	const char *path;
	char *dir, *slash;
	struct stat st;

	if (strncmp(endpoint, "ipc://", 6) != 0 || endpoint[6] == '@' || endpoint[6] == '\0')
		return;
	path = endpoint + 6;
	if ((slash = strrchr(path, '/')) == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_IWOTH))
		log_warn("the directory %s of %s is writable by any user (mode %04o): another user could delete the "
			 "socket or replace it with their own%s; run chmod 0700 %s (0750 and a group for the clients) "
			 "and keep it owned by the service user",
			 dir, endpoint, (unsigned)(st.st_mode & 07777),
			 (st.st_mode & S_ISVTX) ? " before dispatchd binds it (the sticky bit guards it afterwards)"
						: "",
			 dir);
	free(dir);
}

/* Every tcp endpoint is CURVE: start the ZAP handler with the configured
 * keys (generated first if the configuration says so). */
static int start_auth(struct daemon *d, struct ev_loop *loop, const char *request, const char *events)
{
	const struct config_security *sec = d->cfg->security;
	char err[8192], *server_key = NULL, *clients = NULL;
	int rc = -1;

	if (!auth_endpoint_needs_curve(request) && !auth_endpoint_needs_curve(events))
		return 0; /* ipc: the directory's permissions guard it */
	if (sec == NULL) {
		log_err("%s is TCP, and every TCP endpoint is encrypted and authenticated (CURVE); the configuration "
			"has no security: section naming the keys (server_key, clients; see README, \"Security\"). "
			"Add one, or listen on ipc:// endpoints",
			auth_endpoint_needs_curve(request) ? request : events);
		return -1;
	}
	server_key = state_path(&d->opt, sec->server_key);
	clients = state_path(&d->opt, sec->clients);
	if (server_key == NULL || clients == NULL) {
		log_err("out of memory");
		goto done;
	}
	if (sec->generate && mkdir(d->opt.state_dir, 0700) != 0 && errno != EEXIST) {
		log_err("cannot create the state directory %s: %s", d->opt.state_dir, strerror(errno));
		goto done;
	}
	if (sec->generate && auth_generate_demo(server_key, clients, d->cfg, err, sizeof err) != 0) {
		log_err("cannot generate the keys: %s", err);
		goto done;
	}
	if ((d->auth = auth_new(d->zmq, loop, server_key, clients, err, sizeof err)) == NULL) {
		log_err("%s", err);
		goto done;
	}
	rc = 0;
done:
	free(server_key);
	free(clients);
	return rc;
}

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)w, (void)revents;
	notify_send("WATCHDOG=1");
}

/* STATUS= for systemctl status: what the office would ask first. */
static void send_status(struct daemon *d)
{
	struct ingest_stats st;
	uint64_t tickets = 0, seq = 0;
	char msg[256];
	MDB_txn *txn;

	ingest_get_stats(d->ingest, &st);
	if (store_txn_begin(d->store, NULL, 1, &txn) == 0) {
		store_last_ticket(d->store, txn, &tickets);
		store_last_seq(d->store, txn, &seq);
		store_txn_abort(txn);
	}
	snprintf(msg, sizeof msg,
		 "STATUS=serving %s: %llu tickets, %llu events; %llu requests since start, %llu refused",
		 d->cfg->estate, (unsigned long long)tickets, (unsigned long long)seq, (unsigned long long)st.requests,
		 (unsigned long long)st.errors);
	notify_send(msg);
}

static void on_status(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	send_status(w->data);
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("received %s; stopping", w->signum == SIGINT ? "SIGINT" : "SIGTERM");
	ev_break(loop, EVBREAK_ALL);
}

static void on_reload(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	char err[8192];
	config_t *cfg;

	(void)loop, (void)revents;
	auth_reload(d->auth);
	if (d->opt.config == NULL) {
		log_notice("SIGHUP: running on the built-in configuration; nothing to reload");
		return;
	}
	notify_send("RELOADING=1");
	cfg = config_load_file(d->opt.config, err, sizeof err);
	notify_send("READY=1");
	if (cfg == NULL) {
		log_err("SIGHUP: %s has errors; keeping the running configuration:", d->opt.config);
		for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
			log_err("  %s", line);
		return;
	}
	ingest_set_config(d->ingest, cfg);
	admin_apply_timezone(cfg);
	config_destroy(&d->cfg);
	d->cfg = cfg;
	log_info("SIGHUP: configuration reloaded from %s (%u crews, %u rules)", d->opt.config, cfg->crews_count,
		 cfg->rules_count);
}

/* One daemon per store: two would each keep their own sequence, timers
 * and subscribers, and handhelds on one would miss the other's events
 * (LMDB itself lets many processes in). The lock is an fcntl write lock on
 * STATE/dispatchd.lock, held until the process ends, however it ends: a
 * lock file left by a dead daemon holds no lock and does not block. The
 * file says the pid for people; the pid in the refusal comes from the
 * kernel (F_GETLK). Returns 0, or EXIT_START / EXIT_IN_USE. */
static int lock_state_dir(struct daemon *d)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char *path = NULL, pid[32];
	int fd, rc = EXIT_START, n;

	if (mkdir(d->opt.state_dir, 0750) != 0 && errno != EEXIST) {
		log_err("cannot create the state directory %s: %s", d->opt.state_dir, strerror(errno));
		return EXIT_START;
	}
	if (asprintf(&path, "%s/%s", d->opt.state_dir, LOCK_FILE) < 0) {
		log_err("out of memory");
		return EXIT_START;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		log_err("cannot open the lock file %s: %s", path, strerror(errno));
		goto out;
	}
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		if (errno != EACCES && errno != EAGAIN) {
			log_err("cannot lock %s: %s", path, strerror(errno));
			close(fd);
			goto out;
		}
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
			log_err("the state directory %s is in use by another dispatchd (pid %ld, lock %s); not "
				"starting a second daemon on the same store. Stop that one first, or give this one "
				"another --state-dir",
				d->opt.state_dir, (long)fl.l_pid, path);
		else
			log_err("the state directory %s is in use by another dispatchd (lock %s held); not starting "
				"a second daemon on the same store",
				d->opt.state_dir, path);
		close(fd);
		rc = EXIT_IN_USE;
		goto out;
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("cannot write the pid into %s: %s", path, strerror(errno));
	d->lock_fd = fd;
	rc = 0;
out:
	free(path);
	return rc;
}

static int daemon_start(struct daemon *d, struct ev_loop *loop)
{
	char err[8192];
	const char *request, *events;
	uint64_t last_seq = 0;
	MDB_txn *txn;
	int rc;

	d->cfg = admin_load_config(d->opt.config, err, sizeof err);
	if (d->cfg == NULL) {
		log_err("the configuration has errors; not starting:");
		for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
			log_err("  %s", line);
		return -1;
	}
	request = d->opt.request ? d->opt.request : d->cfg->listen->request ? d->cfg->listen->request : DEFAULT_REQUEST;
	events = d->opt.events ? d->opt.events : d->cfg->listen->events ? d->cfg->listen->events : DEFAULT_EVENTS;

	if ((rc = lock_state_dir(d)) != 0)
		return rc;
	d->store = store_open(d->opt.state_dir, d->opt.map_size, err, sizeof err);
	if (d->store == NULL) {
		log_err("%s", err);
		return -1;
	}
	d->roster = roster_new();
	if (store_txn_begin(d->store, NULL, 1, &txn) == 0) {
		store_last_seq(d->store, txn, &last_seq);
		store_duties(d->store, txn, load_duty, d->roster);
		store_presences(d->store, txn, load_presence, d->roster);
		store_txn_abort(txn);
	}
	d->zmq = zmq_ctx_new();
	if (d->zmq == NULL) {
		log_err("cannot start ZeroMQ: %s", zmq_strerror(errno));
		return -1;
	}
	if (start_auth(d, loop, request, events) != 0)
		return -1;
	d->pub = publish_new(d->zmq, loop, events, d->opt.pub_hwm, d->auth, err, sizeof err);
	if (d->pub == NULL) {
		log_err("%s", err);
		return -1;
	}
	publish_set_last_seq(d->pub, last_seq);
	d->ingest = ingest_new(d->zmq, loop, request, d->store, d->cfg, d->roster, d->pub, d->auth, err, sizeof err);
	if (d->ingest == NULL) {
		log_err("%s", err);
		return -1;
	}
	ingest_set_map_max(d->ingest, d->opt.map_max);
	warn_open_ipc_dir(request);
	warn_open_ipc_dir(events);
	log_info("ready: estate '%s', store %s (last event %llu), requests on %s, events on %s", d->cfg->estate,
		 d->opt.state_dir, (unsigned long long)last_seq, request, events);
	return 0;
}

static void daemon_stop(struct daemon *d)
{
	if (d->store && d->roster) {
		/* Handhelds seen just now are still there after a restart. */
		struct save_presence sp = { .store = d->store };
		if (store_txn_begin(d->store, NULL, 0, &sp.txn) == 0) {
			roster_each_seen(d->roster, save_presence, &sp);
			if (sp.rc == 0)
				sp.rc = store_txn_commit(sp.txn);
			else
				store_txn_abort(sp.txn);
		}
		if (sp.rc != 0)
			log_warn("could not save handheld presence: %s", store_strerror(sp.rc));
	}
	ingest_destroy(&d->ingest);
	publish_destroy(&d->pub);
	auth_destroy(&d->auth);
	if (d->zmq) {
		zmq_ctx_term(d->zmq);
		d->zmq = NULL;
	}
	store_destroy(&d->store);
	roster_destroy(&d->roster);
	config_destroy(&d->cfg);
	if (d->lock_fd >= 0) {
		/* the store is closed: the next daemon may have it (the file stays; it holds no lock now) */
		close(d->lock_fd);
		d->lock_fd = -1;
	}
}

int main(int argc, char **argv)
{
	struct daemon d;
	struct ev_loop *loop;
	int rc = EXIT_OK;

	memset(&d, 0, sizeof d);
	d.lock_fd = -1;
	if (parse_options(argc, argv, &d.opt) != 0)
		return EXIT_USAGE;
	if (d.opt.clock_at) {
		/* The time zone decides what local TIME means: load it first. */
		char err[8192];
		config_t *cfg = admin_load_config(d.opt.config, err, sizeof err);
		config_destroy(&cfg);
		if (clock_at_offset(d.opt.clock_at, &d.opt.clock_offset_ms) != 0) {
			fprintf(stderr, "dispatchd: --clock-at wants local time as YYYY-MM-DDTHH:MM:SS, not '%s'\n",
				d.opt.clock_at);
			return EXIT_USAGE;
		}
	}
	clock_configure(d.opt.clock_offset_ms, d.opt.clock_scale);

	if ((rc = admin_run(&d.opt)) >= 0)
		return rc;
	rc = EXIT_OK;
	signal(SIGPIPE, SIG_IGN);

	loop = ev_default_loop(EVFLAG_AUTO);
	if (loop == NULL) {
		log_err("cannot create the event loop");
		return EXIT_START;
	}
	if ((rc = daemon_start(&d, loop)) != 0) {
		rc = rc == EXIT_IN_USE ? EXIT_IN_USE : EXIT_START;
		goto out;
	}
	ev_signal_init(&d.sigint, on_stop, SIGINT);
	ev_signal_init(&d.sigterm, on_stop, SIGTERM);
	ev_signal_init(&d.sighup, on_reload, SIGHUP);
	d.sighup.data = &d;
	ev_signal_start(loop, &d.sigint);
	ev_signal_start(loop, &d.sigterm);
	ev_signal_start(loop, &d.sighup);
	memset(&d.watchdog, 0, sizeof d.watchdog);

	/* Tell systemd we serve, and keep telling it we are alive. */
	notify_send("READY=1");
	send_status(&d);
	ev_timer_init(&d.status, on_status, 10.0, 10.0);
	d.status.data = &d;
	ev_timer_start(loop, &d.status);
	if (notify_watchdog_usec() > 0) {
		double every = (double)notify_watchdog_usec() / 2e6;
		ev_timer_init(&d.watchdog, on_watchdog, every, every);
		ev_timer_start(loop, &d.watchdog);
		log_info("systemd watchdog: pinging every %.1f s", every);
	}

	ev_run(loop, 0);

	notify_send("STOPPING=1");
	ev_timer_stop(loop, &d.status);
	ev_timer_stop(loop, &d.watchdog);

	ev_signal_stop(loop, &d.sigint);
	ev_signal_stop(loop, &d.sigterm);
	ev_signal_stop(loop, &d.sighup);
out:
	daemon_stop(&d);
	if (rc == EXIT_OK)
		log_info("stopped cleanly");
	return rc;
}
