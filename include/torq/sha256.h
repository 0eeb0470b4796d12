#ifndef TORQ_SHA256_H
#define TORQ_SHA256_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), small and portable:
 * enough for fingerprints and digests, not for bulk data. Shared by the
 * engine and the emulator. Nothing here allocates or fails.
 */

#define SHA256_LEN 32			/* bytes of a digest */
#define SHA256_HEX_LEN 64		/* its lower-case hex, without NUL */

struct sha256_ctx {
	uint32_t h[8];
	unsigned char block[64];
	size_t used;			/* bytes waiting in block */
	uint64_t total;			/* bytes hashed so far */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/*
 * The digest of everything added since sha256_init. The context is wiped
 * (it may hold key material); sha256_init it again to reuse it.
 */
void sha256_final(struct sha256_ctx *c, unsigned char out[SHA256_LEN]);

/* SHA-256 of data as 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

/*
 * HMAC-SHA256 of data under key (any length) as 64 lower-case hex digits
 * and a NUL. Intermediate state is wiped before returning.
 */
void hmac_sha256_hex(const void *key, size_t keylen, const void *data,
		     size_t len, char out[SHA256_HEX_LEN + 1]);

#endif
