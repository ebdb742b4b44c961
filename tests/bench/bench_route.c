/*
 * bench_route: what routing one ticket costs against a large estate (200
 * rules, 500 members), next to what it must stay far below: one synced
 * LMDB commit of a ticket, measured on the same machine in the same run.
 *
 * Prints medians of several rounds and the ratio. Not a test: it asserts
 * nothing; `make bench` runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "roster.h"
#include "route.h"
#include "store.h"

#define CREWS 5
#define MEMBERS_PER_CREW 100
#define RULES 200
#define ROUNDS 5

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

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* A big estate: every member has shifts, a zone and skills; every rule
 * has several matchers, and only the last few match the benchmark ticket. */
static char *big_estate(void)
{
	size_t cap = 1 << 20, n = 0;
	char *y = malloc(cap);

#define OUT(...) (n += (size_t)snprintf(y + n, cap - n, __VA_ARGS__))
	OUT("estate: Bench Estate\npresence: { require_online: true, online_window: 90 }\nzones:\n");
	for (int z = 0; z < 10; z++)
		OUT("  - { id: z%d, buildings: ['%d', '%d', '%d'] }\n", z, z * 3, z * 3 + 1, z * 3 + 2);
	OUT("crews:\n");
	for (int c = 0; c < CREWS; c++) {
		OUT("  - id: crew%d\n    name: Crew %d\n    supervisor: M%d-0\n    members:\n", c, c, c);
		for (int m = 0; m < MEMBERS_PER_CREW; m++)
			OUT("      - { id: M%d-%d, name: Member, skills: [s%d, s%d], zone: z%d,"
			    " shifts: [{ days: [weekdays], hours: '07:00-19:00' }, { days: [weekend], hours: "
			    "'19:00-07:00' }] }\n",
			    c, m, m % 7, m % 5, m % 10);
	}
	OUT("rules:\n");
	for (int r = 0; r < RULES - 1; r++)
		OUT("  - { name: rule%d, match: { kinds: [repair], categories: [cat%d, other%d], units: ['%d-*'],"
		    " hours: '06:00-23:00' }, crew: crew%d, skill: s%d }\n",
		    r, r, r, r % 30, r % CREWS, r % 5);
	OUT("  - { name: default, crew: crew0 }\n");
	return y;
}

int main(void)
{
	char err[4096], dir[] = "/tmp/dispatchd-bench-XXXXXX", cmd[128];
	char *yaml = big_estate();
	config_t *cfg = config_load_data("bench.yaml", yaml, strlen(yaml), err, sizeof err);
	struct roster_time now = { .now_ms = 1000000, .wday = 1, .minute = 10 * 60 };
	double route_us[ROUNDS], commit_us[ROUNDS];
	roster_t *roster = roster_new();
	store_t *s;
	int routes = 20000, commits = 200;

	if (cfg == NULL) {
		fprintf(stderr, "bench_route: %s", err);
		return 1;
	}
	if (mkdtemp(dir) == NULL || (s = store_open(dir, 0, err, sizeof err)) == NULL) {
		fprintf(stderr, "bench_route: cannot make a store: %s\n", err);
		return 1;
	}
	for (int c = 0; c < CREWS; c++)
		for (int m = 0; m < MEMBERS_PER_CREW; m++) {
			char id[32];
			snprintf(id, sizeof id, "M%d-%d", c, m);
			roster_seen(roster, id, now.now_ms, 90);
		}

	for (int round = 0; round < ROUNDS; round++) {
		Dispatch__Ticket t = DISPATCH__TICKET__INIT;
		struct route_result res;
		MDB_txn *txn;
		double t0;

		/* matches rule 197 of 200 (unit "17-..." and category cat197) */
		t.kind = DISPATCH__KIND__KIND_REPAIR;
		t.unit = (char *)"17-1A";
		t.category = (char *)"cat197";
		store_txn_begin(s, NULL, 1, &txn);
		t0 = now_s();
		for (int i = 0; i < routes; i++)
			if (route_ticket(cfg, s, txn, roster, &now, &t, true, &res) != 0 || res.n != 1 ||
			    res.a[0].member == NULL) {
				fprintf(stderr, "bench_route: routing failed\n");
				return 1;
			}
		route_us[round] = (now_s() - t0) / routes * 1e6;
		store_txn_abort(txn);

		/* one synced commit of one ticket, as dispatchd does per batch */
		t0 = now_s();
		for (int i = 0; i < commits; i++) {
			t.state = DISPATCH__STATE__STATE_ASSIGNED;
			t.crew = (char *)"crew2";
			t.member = (char *)"M2-17";
			store_txn_begin(s, NULL, 0, &txn);
			store_next_ticket_id(s, txn, &t.id);
			store_put_ticket(s, txn, &t);
			if (store_txn_commit(txn) != 0) {
				fprintf(stderr, "bench_route: commit failed\n");
				return 1;
			}
		}
		commit_us[round] = (now_s() - t0) / commits * 1e6;
	}
	printf("routing: %d rules, %d members (the match is rule %d), median of %d rounds\n", RULES,
	       CREWS * MEMBERS_PER_CREW, RULES - 3, ROUNDS);
	printf("  route one ticket      %10.1f us\n", median(route_us, ROUNDS));
	printf("  synced LMDB commit    %10.1f us\n", median(commit_us, ROUNDS));
	printf("  ratio commit/route    %10.1f x\n", median(commit_us, ROUNDS) / median(route_us, ROUNDS));
	store_destroy(&s);
	roster_destroy(&roster);
	config_destroy(&cfg);
	free(yaml);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
