/*
 * sampling_sha256.c: SHA-256 for the ranking keys of draws (see
 * sampling_sha256.h). Two compression functions, one interface:
 *
 *   portable  FIPS 180-4 section 6.2.2, one 64-byte block at a time
 *   sha-ni    the x86 SHA extensions (SHA256RNDS2, SHA256MSG1, SHA256MSG2),
 *             used when CPUID says the CPU has them and SSSE3/SSE4.1
 *
 * Which one runs is decided when a context is initialised: sha-ni when the
 * CPU has it (asked once per backend) and supervision.sha256_code = auto,
 * portable otherwise. Both give the same digests.
 */
#include "postgres.h"

#include "port/pg_bswap.h"
#include "utils/guc.h"

#include "sampling_sha256.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define SAMPLING_HAVE_SHANI_CODE 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32 sampling_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static const uint32 sampling_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

/* ------------------------------------------------------------- portable */

static inline uint32
sampling_ror(uint32 x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void
sampling_compress_portable(uint32 *h, const uint8 *block)
{
	uint32		w[64];
	uint32		a = h[0],
				b = h[1],
				c = h[2],
				d = h[3],
				e = h[4],
				f = h[5],
				g = h[6],
				hh = h[7];
	int			i;

	for (i = 0; i < 16; i++)
		w[i] = ((uint32) block[4 * i] << 24) | ((uint32) block[4 * i + 1] << 16) |
			((uint32) block[4 * i + 2] << 8) | (uint32) block[4 * i + 3];
	for (i = 16; i < 64; i++)
	{
		uint32		s0 = sampling_ror(w[i - 15], 7) ^ sampling_ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32		s1 = sampling_ror(w[i - 2], 17) ^ sampling_ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	for (i = 0; i < 64; i++)
	{
		uint32		S1 = sampling_ror(e, 6) ^ sampling_ror(e, 11) ^ sampling_ror(e, 25);
		uint32		ch = (e & f) ^ (~e & g);
		uint32		t1 = hh + S1 + ch + sampling_k[i] + w[i];
		uint32		S0 = sampling_ror(a, 2) ^ sampling_ror(a, 13) ^ sampling_ror(a, 22);
		uint32		maj = (a & b) ^ (a & c) ^ (b & c);
		uint32		t2 = S0 + maj;

		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

/* --------------------------------------------------------------- sha-ni */

#ifdef SAMPLING_HAVE_SHANI_CODE

/*
 * The SHA extensions keep the eight working variables in two registers,
 * ABEF and CDGH (A in the highest lane). SHA256RNDS2 does two rounds from the
 * low two lanes of W+K and returns the new ABEF; the old ABEF is then the new
 * CDGH, so the two registers swap roles every two rounds.
 */
#define SAMPLING_FOUR_ROUNDS(wv, i) \
	do { \
		__m128i		wk_ = _mm_add_epi32((wv), _mm_loadu_si128((const __m128i *) &sampling_k[(i)])); \
		cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk_); \
		wk_ = _mm_shuffle_epi32(wk_, 0x0E); \
		abef = _mm_sha256rnds2_epu32(abef, cdgh, wk_); \
	} while (0)

/* W[i+16..i+19] from W[i..i+15] held in w0..w3 (w0 oldest) */
#define SAMPLING_NEXT_W(w0, w1, w2, w3) \
	_mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), _mm_alignr_epi8((w3), (w2), 4)), (w3))

__attribute__((target("sha,sse4.1,ssse3")))
static void
sampling_compress_shani(uint32 *h, const uint8 *block)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i		abcd = _mm_loadu_si128((const __m128i *) &h[0]);
	__m128i		efgh = _mm_loadu_si128((const __m128i *) &h[4]);
	__m128i		abef,
				cdgh,
				abef0,
				cdgh0,
				w0,
				w1,
				w2,
				w3,
				t;
	int			i;

	/* [a b c d] [e f g h] (lane 0 first) -> ABEF = [f e b a], CDGH = [h g d c] */
	abcd = _mm_shuffle_epi32(abcd, 0xB1);	/* [b a d c] */
	efgh = _mm_shuffle_epi32(efgh, 0x1B);	/* [h g f e] */
	abef = _mm_alignr_epi8(abcd, efgh, 8);
	cdgh = _mm_blend_epi16(efgh, abcd, 0xF0);
	abef0 = abef;
	cdgh0 = cdgh;

	w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (block + 0)), bswap);
	w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (block + 16)), bswap);
	w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (block + 32)), bswap);
	w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (block + 48)), bswap);

	SAMPLING_FOUR_ROUNDS(w0, 0);
	SAMPLING_FOUR_ROUNDS(w1, 4);
	SAMPLING_FOUR_ROUNDS(w2, 8);
	SAMPLING_FOUR_ROUNDS(w3, 12);
	for (i = 16; i < 64; i += 4)
	{
		t = SAMPLING_NEXT_W(w0, w1, w2, w3);
		w0 = w1;
		w1 = w2;
		w2 = w3;
		w3 = t;
		SAMPLING_FOUR_ROUNDS(w3, i);
	}

	abef = _mm_add_epi32(abef, abef0);
	cdgh = _mm_add_epi32(cdgh, cdgh0);

	/* back to [a b c d] [e f g h] */
	t = _mm_shuffle_epi32(abef, 0x1B);	/* [a b e f] */
	cdgh = _mm_shuffle_epi32(cdgh, 0xB1);	/* [g h c d] */
	_mm_storeu_si128((__m128i *) &h[0], _mm_blend_epi16(t, cdgh, 0xF0));
	_mm_storeu_si128((__m128i *) &h[4], _mm_alignr_epi8(cdgh, t, 8));
}

static bool
sampling_cpu_has_shani(void)
{
	unsigned int a,
				b,
				c,
				d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	if (!(c & (1u << 9)) || !(c & (1u << 19)))	/* SSSE3, SSE4.1 */
		return false;
	if (__get_cpuid_max(0, NULL) < 7)
		return false;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & (1u << 29)) != 0;	/* SHA */
}
#endif							/* SAMPLING_HAVE_SHANI_CODE */

/* --------------------------------------------------------------- driver */

enum
{
	SAMPLING_SHA256_AUTO,
	SAMPLING_SHA256_PORTABLE
};

static const struct config_enum_entry sampling_sha256_codes[] = {
	{"auto", SAMPLING_SHA256_AUTO, false},
	{"portable", SAMPLING_SHA256_PORTABLE, false},
	{NULL, 0, false}
};

static int	sampling_sha256_code = SAMPLING_SHA256_AUTO;

void
sampling_sha256_define_guc(void)
{
	DefineCustomEnumVariable("supervision.sha256_code",
							 "Which SHA-256 code ranks the targets and inspectors of draws.",
							 "auto: the CPU's SHA instructions when it has them, else portable C; portable: always the "
							 "portable C. Both give the same digests.",
							 &sampling_sha256_code, SAMPLING_SHA256_AUTO, sampling_sha256_codes,
							 PGC_USERSET, 0, NULL, NULL, NULL);
}

static SamplingSha256Compress
sampling_pick_compress(void)
{
#ifdef SAMPLING_HAVE_SHANI_CODE
	static int	has_shani = -1;	/* a property of the CPU: asked once */

	if (has_shani < 0)
		has_shani = sampling_cpu_has_shani() ? 1 : 0;
	if (has_shani == 1 && sampling_sha256_code == SAMPLING_SHA256_AUTO)
		return sampling_compress_shani;
#endif
	return sampling_compress_portable;
}

const char *
sampling_sha256_impl(void)
{
	return sampling_pick_compress() == sampling_compress_portable ? "portable" : "sha-ni";
}

void
sampling_sha256_init(SamplingSha256 *c)
{
	c->compress = sampling_pick_compress();
	memcpy(c->h, sampling_h0, sizeof(c->h));
	c->total = 0;
	c->buflen = 0;
}

void
sampling_sha256_update(SamplingSha256 *c, const void *data, size_t len)
{
	const uint8 *p = data;
	SamplingSha256Compress compress = c->compress;

	c->total += len;
	if (c->buflen > 0)
	{
		size_t		n = Min(len, 64 - (size_t) c->buflen);

		memcpy(c->buf + c->buflen, p, n);
		c->buflen += n;
		p += n;
		len -= n;
		if (c->buflen < 64)
			return;
		compress(c->h, c->buf);
		c->buflen = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		compress(c->h, p);
	if (len > 0)
	{
		memcpy(c->buf, p, len);
		c->buflen = len;
	}
}

void
sampling_sha256_final(SamplingSha256 *c, uint8 *out)
{
	uint64		bits = pg_hton64(c->total * 8);
	int			i;

	c->buf[c->buflen++] = 0x80;
	if (c->buflen > 56)
	{
		memset(c->buf + c->buflen, 0, 64 - c->buflen);
		c->compress(c->h, c->buf);
		c->buflen = 0;
	}
	memset(c->buf + c->buflen, 0, 56 - c->buflen);
	memcpy(c->buf + 56, &bits, sizeof(bits));
	c->compress(c->h, c->buf);
	for (i = 0; i < 8; i++)
	{
		uint32		w = pg_hton32(c->h[i]);

		memcpy(out + 4 * i, &w, sizeof(w));
	}
}
