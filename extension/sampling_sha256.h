/*
 * sampling_sha256.h: SHA-256 (FIPS 180-4) for the ranking keys of draws.
 *
 * A draw hashes every target key of its population once and every candidate
 * inspector of every drawn target once: tens of millions of short messages.
 * A call through pg_cryptohash costs a context setup and a finalisation in
 * OpenSSL per message; this file keeps the state on the stack and uses the
 * x86 SHA extensions when the CPU has them (checked once at run time), else a
 * portable implementation (always, when supervision.sha256_code = portable).
 * Both are checked against the server's sha256() in
 * test/regress/sql/sampling.sql.
 *
 * Usage: sampling_sha256_init(&c); sampling_sha256_update(&c, p, n) ...;
 * sampling_sha256_final(&c, out). A context may be copied to reuse a prefix.
 */
#ifndef SAMPLING_SHA256_H
#define SAMPLING_SHA256_H

#include "c.h"

#define SAMPLING_SHA256_LEN 32

typedef void (*SamplingSha256Compress) (uint32 *h, const uint8 *block);

typedef struct SamplingSha256
{
	SamplingSha256Compress compress;
	uint32		h[8];
	uint64		total;			/* bytes hashed so far */
	uint32		buflen;			/* bytes waiting in buf */
	uint8		buf[64];
} SamplingSha256;

extern void sampling_sha256_init(SamplingSha256 *c);
extern void sampling_sha256_update(SamplingSha256 *c, const void *data, size_t len);
extern void sampling_sha256_final(SamplingSha256 *c, uint8 *out);

/* Which compression function new contexts use: "sha-ni" or "portable". */
extern const char *sampling_sha256_impl(void);

/* Defines the GUC supervision.sha256_code (called from _PG_init). */
extern void sampling_sha256_define_guc(void);

#endif
