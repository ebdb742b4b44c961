/*
 * fuzz_common: a store in a temporary directory, the built-in sample
 * estate and a detached ingest, shared by the libFuzzer harnesses. Every
 * reply must decode (the daemon answers every frame), and every few
 * hundred inputs the store's invariants are checked: a violation aborts,
 * which libFuzzer reports as a crash with the input that caused it.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "ingest.h"
#include "log.h"
#include "roster.h"
#include "store.h"
#include "verify.h"

static ingest_t *fuzz_ingest;
static store_t *fuzz_store;
static unsigned long fuzz_runs;

static void fuzz_init(void)
{
	static char dir[] = "/tmp/dispatchd-fuzz-XXXXXX";
	char err[4096];
	config_t *cfg;
	roster_t *roster;

	if (fuzz_ingest)
		return;
	log_set_level(LOG_ERR);
	clock_configure(0, 1.0);
	if (mkdtemp(dir) == NULL || (fuzz_store = store_open(dir, 0, err, sizeof err)) == NULL) {
		fprintf(stderr, "fuzz: cannot open a store in %s: %s\n", dir, err);
		abort();
	}
	store_set_nosync(fuzz_store); /* the CPU path is what is fuzzed; fsync would only slow it */
	if ((cfg = config_load_default(err, sizeof err)) == NULL) {
		fprintf(stderr, "fuzz: %s", err);
		abort();
	}
	cfg->presence->require_online = false; /* let tickets reach members and move on */
	roster = roster_new();
	fuzz_ingest = ingest_new_detached(fuzz_store, cfg, roster); /* both live until exit */
}

/* Feed one payload; the reply must decode. */
static void fuzz_feed(const void *data, size_t len)
{
	uint8_t *reply = NULL;
	size_t rlen = 0;
	Dispatch__Reply *r;

	if (ingest_feed(fuzz_ingest, data, len, &reply, &rlen) != 0) {
		fprintf(stderr, "fuzz: no reply\n");
		abort();
	}
	r = dispatch__reply__unpack(NULL, rlen, reply);
	if (r == NULL || r->status == DISPATCH__STATUS__STATUS_UNSPECIFIED) {
		fprintf(stderr, "fuzz: the reply does not decode or has no status\n");
		abort();
	}
	dispatch__reply__free_unpacked(r, NULL);
	free(reply);
	if (++fuzz_runs % 500 == 0) {
		FILE *devnull = fopen("/dev/null", "w");
		long bad = verify_store(fuzz_store, devnull ? devnull : stderr);
		if (devnull)
			fclose(devnull);
		if (bad != 0) {
			verify_store(fuzz_store, stderr);
			abort();
		}
	}
}

#endif
