/*
 * store-tamper: edit a dispatchd store the way an intruder with file
 * access would, through LMDB directly and not through dispatchd, so tests
 * can check that `dispatchd --verify` notices (clause 4.7).
 *
 *   store-tamper DIR note SEQ TEXT   rewrite event SEQ with another note
 *                                    (a well-formed record, old prev_hash)
 *   store-tamper DIR byte SEQ        flip one byte of event SEQ's record
 *   store-tamper DIR schema7         make the store as schema 7 left it: the
 *                                    asset indexes ('E', 'e' in "index") taken
 *                                    out, the version set back (issue 19)
 *   store-tamper DIR drop-asset ASSET take the first entry of ASSET out of
 *                                    the asset history index ('E'), as a
 *                                    lost write would (issue 19)
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

/* Back to schema 7: what a schema 7 dispatchd wrote had no asset indexes. */
static int to_schema7(const char *dir)
{
	static const unsigned char seven[8] = { 0, 0, 0, 0, 0, 0, 0, 7 };
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi meta, idx;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	unsigned long dropped = 0;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_maxdbs(env, 32)) != 0 ||
	    (rc = mdb_env_open(env, dir, 0, 0640)) != 0 || (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", 0, &meta)) != 0 || (rc = mdb_dbi_open(txn, "index", 0, &idx)) != 0 ||
	    (rc = mdb_cursor_open(txn, idx, &cur)) != 0)
		goto fail;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		unsigned char tag = k.mv_size ? *(const unsigned char *)k.mv_data : 0;
		if (tag == 'E' || tag == 'e') {
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				goto fail;
			dropped++;
		}
	}
	mdb_cursor_close(cur);
	cur = NULL;
	k.mv_size = 6, k.mv_data = (void *)"schema";
	v.mv_size = 8, v.mv_data = (void *)seven;
	if ((rc = mdb_put(txn, meta, &k, &v, 0)) != 0)
		goto fail;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	printf("store-tamper: schema 7 now, %lu asset index entries taken out\n", dropped);
	mdb_env_close(env);
	return 0;
fail:
	fprintf(stderr, "store-tamper: %s: %s\n", dir, mdb_strerror(rc));
	if (cur)
		mdb_cursor_close(cur);
	if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	return 1;
}

/* One 'E' entry of asset gone: what --verify must notice. */
static int drop_asset(const char *dir, const char *asset)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi idx;
	MDB_cursor *cur = NULL;
	unsigned char kb[128];
	size_t n = strlen(asset);
	MDB_val k = { n + 2, kb }, v;
	int rc;

	if (n + 2 > sizeof kb)
		return 2;
	kb[0] = 'E';
	memcpy(kb + 1, asset, n);
	kb[n + 1] = '\0';
	if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_maxdbs(env, 32)) != 0 ||
	    (rc = mdb_env_open(env, dir, 0, 0640)) != 0 || (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "index", 0, &idx)) != 0 || (rc = mdb_cursor_open(txn, idx, &cur)) != 0 ||
	    (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) != 0)
		goto fail;
	if (k.mv_size != n + 10 || memcmp(k.mv_data, kb, n + 2) != 0) {
		fprintf(stderr, "store-tamper: no ticket names asset %s\n", asset);
		rc = MDB_NOTFOUND;
		goto fail;
	}
	if ((rc = mdb_cursor_del(cur, 0)) != 0)
		goto fail;
	mdb_cursor_close(cur);
	cur = NULL;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	printf("store-tamper: one entry of asset %s taken out of its history index\n", asset);
	mdb_env_close(env);
	return 0;
fail:
	fprintf(stderr, "store-tamper: %s: %s\n", dir, mdb_strerror(rc));
	if (cur)
		mdb_cursor_close(cur);
	if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	return 1;
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

	if (argc == 3 && strcmp(argv[2], "schema7") == 0)
		return to_schema7(argv[1]);
	if (argc == 4 && strcmp(argv[2], "drop-asset") == 0)
		return drop_asset(argv[1], argv[3]);
	if (argc < 4 || (strcmp(argv[2], "note") == 0 && argc != 5) || (strcmp(argv[2], "byte") == 0 && argc != 4)) {
		fprintf(stderr, "usage: store-tamper DIR note SEQ TEXT | store-tamper DIR byte SEQ | store-tamper DIR "
				"schema7 | store-tamper DIR drop-asset ASSET\n");
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
