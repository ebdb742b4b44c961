/*
 * store-tamper: edit a dispatchd store the way an intruder with file
 * access would, through LMDB directly and not through dispatchd, so tests
 * can check that `dispatchd --verify` notices (clause 4.7).
 *
 *   store-tamper DIR note SEQ TEXT   rewrite event SEQ with another note
 *                                    (a well-formed record, old prev_hash)
 *   store-tamper DIR byte SEQ        flip one byte of event SEQ's record
 *
 * Test-only: never installed.
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.pb-c.h"

static void be64(unsigned char out[8], unsigned long long v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

int main(int argc, char **argv)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	Dispatch__Event *ev = NULL;
	unsigned char *copy = NULL;
	int rc;

	if (argc < 4 || (strcmp(argv[2], "note") == 0 && argc != 5) || (strcmp(argv[2], "byte") == 0 && argc != 4)) {
		fprintf(stderr, "usage: store-tamper DIR note SEQ TEXT | store-tamper DIR byte SEQ\n");
		return 2;
	}
	be64(kb, strtoull(argv[3], NULL, 10));
	if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_maxdbs(env, 32)) != 0 ||
	    (rc = mdb_env_open(env, argv[1], 0, 0640)) != 0 || (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "events", 0, &dbi)) != 0 || (rc = mdb_get(txn, dbi, &k, &d)) != 0)
		goto fail;
	if (strcmp(argv[2], "byte") == 0) {
		copy = malloc(d.mv_size);
		memcpy(copy, d.mv_data, d.mv_size);
		copy[d.mv_size / 2] ^= 0x01;
		d.mv_data = copy;
	} else {
		if ((ev = dispatch__event__unpack(NULL, d.mv_size, d.mv_data)) == NULL) {
			fprintf(stderr, "store-tamper: event %s does not decode\n", argv[3]);
			goto out;
		}
		char *note = ev->note; /* the unpacked message's, freed with it */

		ev->note = argv[4];
		d.mv_size = dispatch__event__get_packed_size(ev);
		copy = malloc(d.mv_size);
		dispatch__event__pack(ev, copy);
		ev->note = note;
		d.mv_data = copy;
	}
	if ((rc = mdb_put(txn, dbi, &k, &d, 0)) != 0 || (rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	txn = NULL;
	printf("store-tamper: event %s rewritten behind dispatchd's back\n", argv[3]);
	free(copy);
	if (ev)
		dispatch__event__free_unpacked(ev, NULL);
	mdb_env_close(env);
	return 0;
fail:
	fprintf(stderr, "store-tamper: %s: %s\n", argv[1], mdb_strerror(rc));
out:
	free(copy);
	if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	return 1;
}
