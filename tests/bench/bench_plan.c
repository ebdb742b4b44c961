/*
 * bench_plan: issue 19's planned work at start. A 3,000-unit estate with
 * 2,000 assets and 50 daily schedules (40 assets each) was down for a
 * day: the time the daemon's plan pass takes to create the day's missed
 * occurrences (2,000 planned tickets, each routed, deadlined, recorded in
 * the event log and committed durably), next to the raw limit measured
 * in the same run: 2,000 bare ticket writes in one synced LMDB commit.
 *
 * Prints medians of a few rounds. Not a test: it asserts nothing; `make
 * bench` runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "arena.h"
#include "clock.h"
#include "config.h"
#include "handle.h"
#include "log.h"
#include "plan.h"
#include "publish.h"
#include "roster.h"
#include "store.h"

#define ASSETS 2000
#define SCHEDULES 50
#define ROUNDS 3

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static char *estate(void)
{
	size_t cap = 4 << 20, n = 0;
	char *y = malloc(cap);

#define OUT(...) (n += (size_t)snprintf(y + n, cap - n, __VA_ARGS__))
	OUT("estate: Bench Estate\ntimezone: Asia/Hong_Kong\ncrews:\n");
	OUT("  - id: technical\n    name: Technical\n    supervisor: T0\n    members:\n");
	for (int m = 0; m < 10; m++)
		OUT("      - { id: T%d, name: Tech, skills: [electrician] }\n", m);
	OUT("rules:\n  - { name: default, crew: technical, deadlines: { acknowledge: 1h, resolve: 1d } }\n");
	/* 3,000 units: 15 buildings of 20 floors of 10 flats */
	OUT("units:\n");
	for (int b = 1; b <= 15; b++)
		OUT("  - { building: \"%d\", floors: 1-20, flats: A-J }\n", b);
	OUT("assets:\n");
	for (int a = 0; a < ASSETS; a++) {
		static const char *const kinds[] = { "fire-extinguisher", "lift", "pump", "cctv" };
		OUT("  - { id: A%04d, kind: %s, building: \"%d\", crew: technical }\n", a, kinds[a % 4], a % 15 + 1);
	}
	OUT("schedules:\n");
	for (int s = 0; s < SCHEDULES; s++) {
		OUT("  - id: s%02d\n    rrule: FREQ=DAILY\n    start: 2026-01-01T08:00\n    crew: technical\n"
		    "    deadlines: { resolve: 4h }\n    assets: [",
		    s);
		for (int a = 0; a < ASSETS / SCHEDULES; a++)
			OUT("%sA%04d", a ? ", " : "", s * (ASSETS / SCHEDULES) + a);
		OUT("]\n");
	}
	return y;
}

/* unix ms of local Hong Kong time */
static int64_t hk(int y, int mo, int d, int h)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h };
	return ((int64_t)timegm(&tm) - 8 * 3600) * 1000;
}

/* One plan pass in its own synced commit, at local day d 12:00. */
static int pass(store_t *s, config_t *cfg, roster_t *roster, arena_t *a, int day, unsigned *tickets)
{
	struct publish_outbox out = { 0 };
	struct handle_ctx base = { .store = s, .cfg = cfg, .roster = roster, .a = a, .out = &out };
	plan_timer_t *p = plan_timer_new(NULL, NULL, NULL);
	MDB_txn *txn;
	bool full = false;
	int rc;

	clock_freeze(hk(2026, 12, day, 12));
	if ((rc = store_txn_begin(s, NULL, 0, &txn)) != 0)
		return rc;
	plan_run(p, &base, txn, &full);
	rc = store_txn_commit(txn);
	*tickets = (unsigned)out.n;
	publish_outbox_free(&out);
	plan_timer_destroy(&p);
	return rc;
}

int main(void)
{
	char err[8192], dir[] = "/tmp/dispatchd-bench-plan-XXXXXX", cmd[160];
	char *yaml = estate();
	config_t *cfg;
	double plan_s[ROUNDS], raw_s[ROUNDS];
	unsigned events = 0;

	log_set_level(LOG_WARNING); /* not a line per schedule */
	setenv("TZ", "Asia/Hong_Kong", 1);
	tzset();
	if ((cfg = config_load_data("bench-plan.yaml", yaml, strlen(yaml), err, sizeof err)) == NULL) {
		fprintf(stderr, "bench_plan: %s", err);
		return 1;
	}
	if (mkdtemp(dir) == NULL) {
		perror("bench_plan: mkdtemp");
		return 1;
	}
	for (int round = 0; round < ROUNDS; round++) {
		roster_t *roster = roster_new();
		arena_t *a = arena_new();
		store_t *s;
		double t0;
		char sub[200];

		snprintf(sub, sizeof sub, "%s/r%d", dir, round);
		if (mkdir(sub, 0700) != 0 || (s = store_open(sub, 0, err, sizeof err)) == NULL) {
			fprintf(stderr, "bench_plan: cannot make a store: %s\n", err);
			return 1;
		}
		/* first seen on 9 December; the daemon is down over the 10th's 08:00 */
		if (pass(s, cfg, roster, a, 9, &events) != 0)
			return 1;
		t0 = now_s();
		if (pass(s, cfg, roster, a, 10, &events) != 0) {
			fprintf(stderr, "bench_plan: the pass failed\n");
			return 1;
		}
		plan_s[round] = now_s() - t0;

		/* the raw limit: as many bare tickets, one synced commit */
		{
			Dispatch__Ticket t = DISPATCH__TICKET__INIT;
			MDB_txn *txn;
			t.kind = DISPATCH__KIND__KIND_REPAIR;
			t.unit = (char *)"1-1A";
			t.text = (char *)"raw";
			t.state = DISPATCH__STATE__STATE_ASSIGNED;
			t.crew = (char *)"technical";
			t.member = (char *)"T1";
			t0 = now_s();
			store_txn_begin(s, NULL, 0, &txn);
			for (int i = 0; i < ASSETS; i++) {
				store_next_ticket_id(s, txn, &t.id);
				store_put_ticket(s, txn, &t);
			}
			if (store_txn_commit(txn) != 0)
				return 1;
			raw_s[round] = now_s() - t0;
		}
		store_destroy(&s);
		roster_destroy(&roster);
		arena_destroy(&a);
	}
	qsort(plan_s, ROUNDS, sizeof *plan_s, cmp_double);
	qsort(raw_s, ROUNDS, sizeof *raw_s, cmp_double);
	printf("planned work at start: 3000 units, %d assets, %d daily schedules, one day missed; median of %d\n",
	       ASSETS, SCHEDULES, ROUNDS);
	printf("  create the day's occurrences  %8.1f ms  (%u events: %d planned tickets, routed and recorded)\n",
	       plan_s[ROUNDS / 2] * 1e3, events, ASSETS);
	printf("  raw: %d bare ticket writes, one synced commit  %8.1f ms\n", ASSETS, raw_s[ROUNDS / 2] * 1e3);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_plan: could not remove %s\n", dir);
	config_destroy(&cfg);
	free(yaml);
	return 0;
}
