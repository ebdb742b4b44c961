/*
 * resident: the residents' pages' tokens (issue 17).
 *
 * A token names one ticket and proves that its bearer was given it: the
 * first RESIDENT_MAC_LEN bytes of HMAC-SHA-256 under the store's own
 * secret of the ticket id, followed by the id (8 bytes, big-endian), in
 * base64url without padding (RESIDENT_TOKEN_LEN characters; 24 bytes are
 * exactly 32 of them, so no two spellings decode alike). Nothing of
 * it is stored: the daemon computes it again to check one, so a token is
 * never in a ticket, an event, the log's export or the events socket. The
 * secret (RESIDENT_SECRET_LEN random bytes) lives in the store's meta
 * database under "resident_secret", made by the first submission that
 * needs it, so tokens outlive restarts and go with a backup of the store.
 * Guessing a token is guessing a 128-bit MAC; a wrong one is checked in
 * constant time and says nothing about any ticket.
 */
#ifndef RESIDENT_H
#define RESIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define RESIDENT_SECRET_LEN 32
#define RESIDENT_MAC_LEN 16
#define RESIDENT_TOKEN_LEN 32 /* base64url of 8 + 16 bytes */
#define RESIDENT_SECRET_NAME "resident_secret"

/* The store's secret into key: 0, STORE_NOTFOUND (none made yet; with
 * create, one is made and written through txn, a write transaction), or
 * a store error. */
int resident_secret(store_t *s, MDB_txn *txn, bool create, uint8_t key[RESIDENT_SECRET_LEN]);

/* The token of ticket id into out (room for RESIDENT_TOKEN_LEN + 1). */
void resident_token(const uint8_t key[RESIDENT_SECRET_LEN], uint64_t id, char out[RESIDENT_TOKEN_LEN + 1]);

/* Is token one this key made? Then *id is its ticket. Anything else (a
 * wrong length or alphabet, an altered MAC) is false, with *id 0. */
bool resident_token_check(const uint8_t key[RESIDENT_SECRET_LEN], const char *token, uint64_t *id);

#endif
