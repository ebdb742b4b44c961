/* chain: SHA-256 links of the event log (see chain.h). */
#include "chain.h"

#include <sodium.h>
#include <string.h>

int chain_init(void)
{
	/* 0 first time, 1 already done; -1 cannot happen on Linux but say so */
	return sodium_init() < 0 ? -1 : 0;
}

void chain_hash(const void *data, size_t len, uint8_t out[CHAIN_HASH_LEN])
{
	crypto_hash_sha256(out, data, len);
}

void chain_link(const Dispatch__Event *ev, const void *rec, size_t len, uint8_t out[CHAIN_HASH_LEN])
{
	if (ev->type == DISPATCH__EVENT_TYPE__EVENT_PURGED && ev->purged_hash.len == CHAIN_HASH_LEN)
		memcpy(out, ev->purged_hash.data, CHAIN_HASH_LEN);
	else
		chain_hash(rec, len, out);
}

void chain_hex(const uint8_t h[CHAIN_HASH_LEN], char out[2 * CHAIN_HASH_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < CHAIN_HASH_LEN; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[2 * CHAIN_HASH_LEN] = '\0';
}
