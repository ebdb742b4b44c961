/*
 * admin: the offline subcommands as a table (see admin.h). Kept out of
 * main.c so that main is the daemon's life (options, start, signals,
 * stop) and a new subcommand is one row here plus its function.
 */
#include "admin.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "export.h"
#include "keys.h"
#include "log.h"
#include "plan.h"
#include "report.h"
#include "store.h"
#include "verify.h"

/* The estate's local time is the config's time zone, process-wide. */
void admin_apply_timezone(const config_t *cfg)
{
	if (cfg->timezone)
		setenv("TZ", cfg->timezone, 1);
	tzset();
}

config_t *admin_load_config(const char *path, char *err, size_t errlen)
{
	config_t *cfg = path ? config_load_file(path, err, errlen) : config_load_default(err, errlen);
	if (cfg)
		admin_apply_timezone(cfg);
	return cfg;
}

void admin_print_errors(const char *errs)
{
	/* One line per problem, each already "FILE: message". */
	fputs(errs, stderr);
	if (errs[0] && errs[strlen(errs) - 1] != '\n')
		fputc('\n', stderr);
}

/* Issue 19: the calendars and schedules, and when each schedule next
 * creates its tickets (by the daemon's clock and the estate's zone). */
static void admin_plan_summary(const config_t *cfg)
{
	int64_t now = clock_now_ms();

	if (cfg->calendars_count == 0 && cfg->schedules_count == 0)
		return;
	admin_apply_timezone(cfg);
	printf("planned work: %u calendar(s), %u schedule(s)\n", cfg->calendars_count, cfg->schedules_count);
	for (unsigned i = 0; i < cfg->schedules_count; i++) {
		const struct config_schedule *s = &cfg->schedules[i];
		int64_t next = plan_next(s, now);
		char when[32] = "none";
		if (next > 0) {
			time_t secs = (time_t)(next / 1000);
			struct tm tm;
			localtime_r(&secs, &tm);
			strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		}
		printf("  schedule %s: %s, next %s\n", s->id, s->rrule, when);
	}
}

static int check_config(const struct admin_options *o)
{
	char err[8192];
	config_t *cfg = admin_load_config(o->config, err, sizeof err);
	unsigned members = 0;

	if (cfg == NULL) {
		admin_print_errors(err);
		return 1;
	}
	for (unsigned i = 0; i < cfg->crews_count; i++)
		members += cfg->crews[i].members_count;
	printf("%s: valid: estate '%s', %u crew(s), %u member(s), %u rule(s)\n",
	       o->config ? o->config : "(built-in sample-estate.yaml)", cfg->estate, cfg->crews_count, members,
	       cfg->rules_count);
	admin_plan_summary(cfg);
	config_destroy(&cfg);
	return 0;
}

/* Open an existing store for a command (never create one). */
static store_t *open_existing(const struct admin_options *o)
{
	char err[1024], path[4096];
	store_t *s;

	snprintf(path, sizeof path, "%s/data.mdb", o->state_dir);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "dispatchd: no store in %s: %s: %s\n", o->state_dir, path, strerror(errno));
		return NULL;
	}
	if ((s = store_open(o->state_dir, o->map_size, err, sizeof err)) == NULL)
		fprintf(stderr, "dispatchd: %s\n", err);
	return s;
}

static int backup(const struct admin_options *o)
{
	char err[1024];
	store_t *s = open_existing(o);
	int rc;

	if (s == NULL)
		return 1;
	rc = store_backup(s, o->backup_dest, err, sizeof err);
	store_destroy(&s);
	if (rc != 0) {
		fprintf(stderr, "dispatchd: backup failed: %s\n", err);
		return 1;
	}
	log_notice("backup of %s written to %s/data.mdb", o->state_dir, o->backup_dest);
	printf("backup of %s written to %s/data.mdb; check it with: dispatchd --verify --state-dir %s\n", o->state_dir,
	       o->backup_dest, o->backup_dest);
	return 0;
}

/* A local date YYYY-MM-DD as unix ms at its midnight. */
static int parse_day(const char *s, int64_t *ms)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

static int export_cmd(const struct admin_options *o)
{
	int64_t from = INT64_MIN, to = INT64_MAX;
	char err[8192];
	config_t *cfg;
	store_t *s;
	long n;

	/* Dates are the estate's local dates. */
	if ((cfg = admin_load_config(o->config, err, sizeof err)) != NULL)
		config_destroy(&cfg);
	if ((o->from && parse_day(o->from, &from) != 0) || (o->to && parse_day(o->to, &to) != 0)) {
		fprintf(stderr, "dispatchd: export wants dates as YYYY-MM-DD\n");
		return 2;
	}
	if ((s = open_existing(o)) == NULL)
		return 1;
	n = export_events(s, from, to, stdout);
	store_destroy(&s);
	if (n < 0) {
		fprintf(stderr, "dispatchd: export failed: %s\n", store_strerror((int)n));
		return 1;
	}
	fflush(stdout);
	fprintf(stderr, "dispatchd: exported %ld event(s)\n", n);
	return 0;
}

/* report daily|review: the period from the options, in the estate's
 * local dates; the file is written whole or not at all. */
static int report_cmd(const struct admin_options *o)
{
	struct report_opts ro = { .format = REPORT_TEXT, .out = stdout };
	int daily = strcmp(o->report, "daily") == 0, rc;
	char err[8192], tmp[4096] = "", day[16];
	config_t *cfg;
	store_t *s = NULL;
	time_t now = (time_t)(clock_now_ms() / 1000);
	struct tm tm;

	if ((cfg = admin_load_config(o->config, err, sizeof err)) == NULL) {
		admin_print_errors(err);
		return 1;
	}
	if (o->format && (report_format_parse(o->format, &ro.format) != 0 ||
			  (daily && (ro.format == REPORT_HTML || ro.format == REPORT_SVG)))) {
		fprintf(stderr, "dispatchd: --format wants %s (or csv-wide: one row per %s), not '%s'\n",
			daily ? "text, csv or json" : "text, csv, json, html or svg",
			daily ? "crew and member" : "month, crew and member", o->format);
		rc = 2;
		goto out;
	}
	if (daily && (o->from || o->to)) {
		fprintf(stderr, "dispatchd: the daily report takes --date, not --from/--to\n");
		rc = 2;
		goto out;
	}
	if (!daily && o->date) {
		fprintf(stderr, "dispatchd: the review takes --from and --to, not --date\n");
		rc = 2;
		goto out;
	}
	localtime_r(&now, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm); /* today, the estate's local date */
	if (daily) {
		if (parse_day(o->date ? o->date : day, &ro.from_ms) != 0)
			goto bad_date;
		/* the next local midnight (a day is not always 24 h where clocks change) */
		now = (time_t)(ro.from_ms / 1000);
		localtime_r(&now, &tm);
		tm.tm_mday++;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		ro.to_ms = (int64_t)mktime(&tm) * 1000;
	} else {
		if (o->to ? parse_day(o->to, &ro.to_ms) != 0 : parse_day(day, &ro.to_ms) != 0)
			goto bad_date;
		now = (time_t)(ro.to_ms / 1000);
		localtime_r(&now, &tm);
		if (o->to == NULL) /* through today */
			tm.tm_mday++;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		ro.to_ms = (int64_t)mktime(&tm) * 1000;
		if (o->from) {
			if (parse_day(o->from, &ro.from_ms) != 0)
				goto bad_date;
		} else {
			tm.tm_year--;
			tm.tm_isdst = -1;
			ro.from_ms = (int64_t)mktime(&tm) * 1000;
		}
		if (ro.from_ms >= ro.to_ms) {
			fprintf(stderr,
				"dispatchd: --from must come before --to (--to is the first day not covered)\n");
			rc = 2;
			goto out;
		}
	}
	ro.estate = cfg->estate;
	ro.now_ms = clock_now_ms();
	if ((s = open_existing(o)) == NULL) {
		rc = 1;
		goto out;
	}
	if (o->output) {
		snprintf(tmp, sizeof tmp, "%s.tmp", o->output);
		if ((ro.out = fopen(tmp, "w")) == NULL) {
			fprintf(stderr, "dispatchd: cannot write %s: %s\n", tmp, strerror(errno));
			rc = 1;
			goto out;
		}
	}
	rc = daily ? report_daily(s, &ro) : report_review(s, &ro);
	if (rc != 0) {
		fprintf(stderr, "dispatchd: the %s report failed: %s\n", o->report,
			rc == -EINVAL ? "the period is too long (at most 20 years)" : store_strerror(rc));
		rc = 1;
	} else if (ferror(ro.out) || fflush(ro.out) != 0) {
		fprintf(stderr, "dispatchd: writing the report failed: %s\n", strerror(errno));
		rc = 1;
	}
	if (o->output) {
		if (fclose(ro.out) != 0 && rc == 0) {
			fprintf(stderr, "dispatchd: writing %s failed: %s\n", tmp, strerror(errno));
			rc = 1;
		}
		if (rc == 0 && rename(tmp, o->output) != 0) {
			fprintf(stderr, "dispatchd: cannot rename %s to %s: %s\n", tmp, o->output, strerror(errno));
			rc = 1;
		}
		if (rc != 0)
			unlink(tmp);
	}
out:
	store_destroy(&s);
	config_destroy(&cfg);
	return rc;
bad_date:
	fprintf(stderr, "dispatchd: report wants dates as YYYY-MM-DD (the estate's local dates)\n");
	rc = 2;
	goto out;
}

static int purge(const struct admin_options *o)
{
	Dispatch__Event ev = DISPATCH__EVENT__INIT;
	uint64_t tickets = 0, events = 0;
	char *end, note[256], day[32];
	unsigned long n;
	int64_t before;
	time_t secs;
	struct tm tm;
	store_t *s;
	MDB_txn *txn;
	int rc;

	errno = 0;
	n = strtoul(o->older_than, &end, 10);
	if (errno || n == 0 || (strcmp(end, "y") != 0 && strcmp(end, "d") != 0)) {
		fprintf(stderr, "dispatchd: --older-than wants years or days, e.g. 7y or 400d\n");
		return 2;
	}
	before = clock_now_ms() - (int64_t)n * (*end == 'y' ? 36525LL * 864000 : 86400000LL);
	secs = (time_t)(before / 1000);
	localtime_r(&secs, &tm);
	strftime(day, sizeof day, "%Y-%m-%d %H:%M", &tm);
	if ((s = open_existing(o)) == NULL)
		return 1;
	if ((rc = store_txn_begin(s, NULL, 0, &txn)) != 0 || (rc = store_purge(s, txn, before, &tickets, &events)) != 0)
		goto fail;
	snprintf(note, sizeof note,
		 "retention purge: %llu ticket(s) closed or cancelled before %s removed, %llu event(s) "
		 "reduced to tombstones",
		 (unsigned long long)tickets, day, (unsigned long long)events);
	if (!o->yes) {
		store_txn_abort(txn);
		store_destroy(&s);
		printf("would purge: %s\nnothing was changed; add --yes to purge\n", note + 17);
		return 1;
	}
	ev.type = DISPATCH__EVENT_TYPE__EVENT_RETENTION_PURGE;
	ev.actor = getenv("SUDO_USER") ? getenv("SUDO_USER") : getenv("USER") ? getenv("USER") : (char *)"admin";
	ev.actor_role = DISPATCH__ROLE__ROLE_ADMIN;
	ev.time_ms = clock_now_ms();
	ev.note = note;
	if ((rc = store_append_event(s, txn, &ev, NULL, NULL)) != 0 || (rc = store_txn_commit(txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	store_destroy(&s);
	log_notice("%s (event %llu, by %s)", note, (unsigned long long)ev.seq, ev.actor);
	printf("%s\n", note);
	return 0;
fail:
	if (txn)
		store_txn_abort(txn);
	store_destroy(&s);
	fprintf(stderr, "dispatchd: purge failed, nothing was changed: %s\n", store_strerror(rc));
	return 1;
}

static int gen_keys(const struct admin_options *o)
{
	const char *name = o->key_name ? o->key_name : "server";
	struct keys_pair kp;
	char err[4200];

	if (keys_generate(o->gen_keys, name, &kp, err, sizeof err) != 0) {
		fprintf(stderr, "dispatchd: %s\n", err);
		return 1;
	}
	printf("wrote %s/%s.key (secret, mode 0600) and %s/%s.pub\n", o->gen_keys, name, o->gen_keys, name);
	if (o->key_name)
		printf("to let it in, add this line to the clients file (ROLE: desk, crew, monitor, qc, supervisor or "
		       "admin; a crew key's identity is the member id), then reload (SIGHUP):\n%s  ROLE  %s\n",
		       kp.public_key, name);
	else
		printf("name it in the configuration (security.server_key), and give clients %s/%s.pub\n", o->gen_keys,
		       name);
	return 0;
}

/* A security path: relative ones are in the state directory. */
static int verify(const struct admin_options *o)
{
	char err[1024], path[4096];
	store_t *s;
	long bad;

	snprintf(path, sizeof path, "%s/data.mdb", o->state_dir);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "dispatchd: no store to verify: %s: %s\n", path, strerror(errno));
		return 1;
	}
	s = store_open(o->state_dir, o->map_size, err, sizeof err);
	if (s == NULL) {
		fprintf(stderr, "dispatchd: %s\n", err);
		return 1;
	}
	bad = verify_store(s, stdout);
	store_destroy(&s);
	if (bad < 0) {
		fprintf(stderr, "dispatchd: cannot read the store in %s: %s\n", o->state_dir, store_strerror((int)bad));
		return 1;
	}
	return bad ? 1 : 0;
}

static int admin_wants_gen_keys(const struct admin_options *o)
{
	return o->gen_keys != NULL;
}
static int admin_wants_check(const struct admin_options *o)
{
	return o->check_config;
}
static int admin_wants_verify(const struct admin_options *o)
{
	return o->verify;
}
static int admin_is(const struct admin_options *o, const char *cmd)
{
	return o->command && strcmp(o->command, cmd) == 0;
}
static int admin_wants_backup(const struct admin_options *o)
{
	return admin_is(o, "backup");
}
static int admin_wants_export(const struct admin_options *o)
{
	return admin_is(o, "export");
}
static int admin_wants_purge(const struct admin_options *o)
{
	return admin_is(o, "purge");
}
static int admin_wants_report(const struct admin_options *o)
{
	return admin_is(o, "report");
}

/* The offline subcommands: each runs instead of the daemon, on the store
 * or the configuration, and returns the process's exit code. */
static const struct {
	const char *name; /* the command word, or the option that asks for it */
	int (*selected)(const struct admin_options *o);
	int (*run)(const struct admin_options *o);
} admin_commands[] = {
	{ "--gen-keys", admin_wants_gen_keys, gen_keys }, { "--check-config", admin_wants_check, check_config },
	{ "--verify", admin_wants_verify, verify },       { "backup", admin_wants_backup, backup },
	{ "export", admin_wants_export, export_cmd },     { "purge", admin_wants_purge, purge },
	{ "report", admin_wants_report, report_cmd },
};

int admin_run(const struct admin_options *o)
{
	for (size_t i = 0; i < sizeof admin_commands / sizeof admin_commands[0]; i++)
		if (admin_commands[i].selected(o))
			return admin_commands[i].run(o);
	return -1;
}
