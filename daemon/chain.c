/* chain: SHA-256 links of the event log (see chain.h). */
#include "chain.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Fetched once and reused: a fresh context per hash costs as much as
 * hashing a short event. The daemon hashes on its one thread only. */
static EVP_MD *chain_md;
static EVP_MD_CTX *chain_ctx;

int chain_init(void)
{
	if (chain_ctx)
		return 0;
	if ((chain_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL || (chain_ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	return 0;
}

void chain_hash(const void *data, size_t len, uint8_t out[CHAIN_HASH_LEN])
{
	unsigned int n = 0;

	/* Only a bug (no chain_init) or a broken libcrypto can fail here. */
	if (chain_ctx == NULL || EVP_DigestInit_ex(chain_ctx, chain_md, NULL) != 1 ||
	    EVP_DigestUpdate(chain_ctx, data, len) != 1 || EVP_DigestFinal_ex(chain_ctx, out, &n) != 1 ||
	    n != CHAIN_HASH_LEN) {
		log_err("SHA-256 from libcrypto failed; the hash chain cannot be kept, exiting");
		exit(70);
	}
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
