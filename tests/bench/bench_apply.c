/*
 * bench_apply: what applying a submission costs the daemon's one thread,
 * without the disk and without the sockets: the real request decoding,
 * checks, routing, store writes (LMDB, unsynced), event packing, hash
 * chain and reply, through ingest_feed_batch() in batches of B.
 *
 * Under `valgrind --tool=callgrind` its instruction counts per ticket are
 * the same from run to run, whatever else the machine is doing, which the
 * closed-loop numbers of `make bench` are not; so this is the program to
 * profile when the daemon's CPU cost per ticket is the question:
 *
 *   valgrind --tool=callgrind --toggle-collect=ingest_run_batch \
 *       build/bench_apply --tickets 20000 --batch 256
 *
 * Prints microseconds per ticket (median of rounds). Asserts nothing.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "config.h"
#include "dispatch.pb-c.h"
#include "ingest.h"
#include "log.h"
#include "roster.h"
#include "store.h"

/* One packed submission as the desk sends it: an electrical repair in a
 * unit of the sample estate, with a time-ordered request id. */
static uint8_t *submission(uint64_t i, size_t *len)
{
	Dispatch__Request rq = DISPATCH__REQUEST__INIT;
	Dispatch__Submit sub = DISPATCH__SUBMIT__INIT;
	char rid[48], unit[32];
	uint8_t *buf;

	snprintf(rid, sizeof rid, "%016" PRIx64 "-apply", i);
	/* A fresh unit each time, as in an estate where one flat rarely has
	 * two open tickets: the sample register's 12-F* pattern takes them
	 * (its 1,920 flats would repeat, and repeats are linked, not routed). */
	snprintf(unit, sizeof unit, "12-F%" PRIu64, i + 1);
	rq.version = DISPATCH__WIRE_VERSION__WIRE_VERSION;
	rq.request_id = rid;
	rq.role = DISPATCH__ROLE__ROLE_DESK;
	rq.actor = (char *)"bench-desk";
	rq.body_case = DISPATCH__REQUEST__BODY_SUBMIT;
	rq.submit = &sub;
	sub.kind = DISPATCH__KIND__KIND_REPAIR;
	sub.category = (char *)"electrical";
	sub.unit = unit;
	sub.source = DISPATCH__SOURCE__SOURCE_INTERCOM;
	sub.text = (char *)"the corridor light flickers on the way to the lift lobby";
	*len = dispatch__request__get_packed_size(&rq);
	buf = malloc(*len);
	dispatch__request__pack(&rq, buf);
	return buf;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tickets", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long tickets = 20000, batch = 256, rounds = 3;
	char dir[64], err[512], cmd[128];
	struct bench_lat per = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': tickets = strtoul(optarg, NULL, 10); break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		case 'r': rounds = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: bench_apply [--tickets N] [--batch B (1..%d)] [--rounds R]\n",
				INGEST_BATCH);
			return c == 'h' ? 0 : 2;
		}
	}
	if (tickets == 0 || batch == 0 || batch > INGEST_BATCH || rounds == 0) {
		fprintf(stderr, "bench_apply: --tickets and --rounds must be > 0, --batch 1..%d\n", INGEST_BATCH);
		return 2;
	}
	log_set_level(LOG_ERR);
	setenv("TZ", "Asia/Hong_Kong", 1);
	for (unsigned long r = 0; r < rounds; r++) {
		store_t *st;
		config_t *cfg;
		roster_t *roster;
		ingest_t *in;
		const void **pl = malloc(batch * sizeof *pl);
		size_t *lens = malloc(batch * sizeof *lens), *rlens = malloc(batch * sizeof *rlens);
		uint8_t **replies = malloc(batch * sizeof *replies);
		double t = 0;

		snprintf(dir, sizeof dir, "/tmp/dispatchd-apply-XXXXXX");
		if (mkdtemp(dir) == NULL || (st = store_open(dir, (size_t)4 << 30, err, sizeof err)) == NULL) {
			fprintf(stderr, "bench_apply: cannot open a store in /tmp: %s\n", err);
			return 1;
		}
		store_set_nosync(st); /* the CPU only: the disk is make bench's raw limits */
		if ((cfg = config_load_default(err, sizeof err)) == NULL) {
			fprintf(stderr, "bench_apply: %s\n", err);
			return 1;
		}
		cfg->presence->require_online = false;
		roster = roster_new();
		in = ingest_new_detached(st, cfg, roster);
		for (unsigned long done = 0; done < tickets;) {
			int n = (int)(tickets - done < batch ? tickets - done : batch);
			double t0;
			for (int i = 0; i < n; i++)
				pl[i] = submission(r * tickets + done + (unsigned long)i, &lens[i]);
			t0 = bench_now();
			if (ingest_feed_batch(in, pl, lens, n, replies, rlens) != 0) {
				fprintf(stderr, "bench_apply: a batch was refused\n");
				return 1;
			}
			t += bench_now() - t0;
			for (int i = 0; i < n; i++) {
				Dispatch__Reply *rep = dispatch__reply__unpack(NULL, rlens[i], replies[i]);
				if (rep == NULL || rep->status != DISPATCH__STATUS__STATUS_OK) {
					fprintf(stderr, "bench_apply: submission refused: %s\n",
						rep && rep->message ? rep->message : "(no reply)");
					return 1;
				}
				dispatch__reply__free_unpacked(rep, NULL);
				free(replies[i]);
				free((void *)pl[i]);
			}
			done += (unsigned long)n;
		}
		bench_lat_add(&per, t / (double)tickets * 1e6);
		ingest_destroy(&in);
		roster_destroy(&roster);
		config_destroy(&cfg);
		store_destroy(&st);
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_apply: could not remove %s\n", dir);
		free(pl), free(lens), free(rlens), free(replies);
	}
	printf("apply: %lu submissions in batches of %lu, unsynced store: %.1f us a ticket (median of %lu; %.0f/s of "
	       "one core)\n",
	       tickets, batch, bench_lat_pct(&per, 50), rounds, 1e6 / bench_lat_pct(&per, 50));
	bench_lat_free(&per);
	return 0;
}
