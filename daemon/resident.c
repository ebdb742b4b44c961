/* resident: the residents' pages' tokens (see resident.h). */
#include "resident.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

/* The MAC covers a label as well as the id, so that this key could sign
 * something else one day without one being taken for the other. */
static const char resident_label[] = "dispatchd resident page v1";

/* The HMAC's state once keyed and past the label, for the last key: a
 * token then costs two SHA-256 blocks instead of four (the ipad and opad
 * blocks and the label are the same for every ticket). One key per store,
 * and the daemon makes tokens on its one thread only. */
static struct {
	bool ok;
	uint8_t key[RESIDENT_SECRET_LEN];
	crypto_auth_hmacsha256_state st;
} resident_keyed;

static void resident_mac(const uint8_t key[RESIDENT_SECRET_LEN], const uint8_t idb[8], uint8_t mac[RESIDENT_MAC_LEN])
{
	crypto_auth_hmacsha256_state st;
	uint8_t full[crypto_auth_hmacsha256_BYTES];

	if (!resident_keyed.ok || sodium_memcmp(resident_keyed.key, key, RESIDENT_SECRET_LEN) != 0) {
		crypto_auth_hmacsha256_init(&resident_keyed.st, key, RESIDENT_SECRET_LEN);
		crypto_auth_hmacsha256_update(&resident_keyed.st, (const unsigned char *)resident_label,
					      sizeof resident_label);
		memcpy(resident_keyed.key, key, RESIDENT_SECRET_LEN);
		resident_keyed.ok = true;
	}
	st = resident_keyed.st;
	crypto_auth_hmacsha256_update(&st, idb, 8);
	crypto_auth_hmacsha256_final(&st, full);
	memcpy(mac, full, RESIDENT_MAC_LEN);
	sodium_memzero(full, sizeof full);
	sodium_memzero(&st, sizeof st);
}

int resident_secret(store_t *s, MDB_txn *txn, bool create, uint8_t key[RESIDENT_SECRET_LEN])
{
	const void *data;
	size_t len;
	int rc = store_meta_get_bytes(s, txn, RESIDENT_SECRET_NAME, &data, &len);

	if (rc == 0 && len != RESIDENT_SECRET_LEN)
		return STORE_CORRUPT;
	if (rc == 0)
		memcpy(key, data, RESIDENT_SECRET_LEN);
	if (rc != STORE_NOTFOUND || !create)
		return rc;
	if (sodium_init() < 0)
		return STORE_CORRUPT; /* no randomness to be had: make no secret */
	randombytes_buf(key, RESIDENT_SECRET_LEN);
	return store_meta_put_bytes(s, txn, RESIDENT_SECRET_NAME, key, RESIDENT_SECRET_LEN);
}

void resident_token(const uint8_t key[RESIDENT_SECRET_LEN], uint64_t id, char out[RESIDENT_TOKEN_LEN + 1])
{
	uint8_t raw[8 + RESIDENT_MAC_LEN];

	for (int i = 0; i < 8; i++)
		raw[RESIDENT_MAC_LEN + i] = (uint8_t)(id >> (56 - 8 * i));
	resident_mac(key, raw + RESIDENT_MAC_LEN, raw);
	sodium_bin2base64(out, RESIDENT_TOKEN_LEN + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool resident_token_check(const uint8_t key[RESIDENT_SECRET_LEN], const char *token, uint64_t *id)
{
	uint8_t raw[8 + RESIDENT_MAC_LEN], mac[RESIDENT_MAC_LEN];
	size_t n = 0;
	uint64_t v = 0;
	bool ok;

	*id = 0;
	if (token == NULL || strlen(token) != RESIDENT_TOKEN_LEN ||
	    sodium_base642bin(raw, sizeof raw, token, RESIDENT_TOKEN_LEN, NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != sizeof raw)
		return false;
	resident_mac(key, raw + RESIDENT_MAC_LEN, mac);
	ok = sodium_memcmp(mac, raw, RESIDENT_MAC_LEN) == 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | raw[RESIDENT_MAC_LEN + i];
	if (!ok || v == 0)
		return false;
	*id = v;
	return true;
}
