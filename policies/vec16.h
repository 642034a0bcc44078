/* Sixteen bytes at a time, for the detectors' quick scans: GCC's vector
 * extension (SSE2 on x86-64, NEON on arm64, no intrinsics in the
 * detectors), and a lane mask turned into bits, lane k to bit k, with
 * SSE2's movemask where there is one. */
#ifndef POL_VEC16_H
#define POL_VEC16_H

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef uint8_t pol_v16 __attribute__((vector_size(16)));
typedef int8_t pol_m16 __attribute__((vector_size(16))); /* lanes 0 or -1 */

static inline pol_v16 v16_splat(uint8_t c)
{
	pol_v16 v;
	memset(&v, c, sizeof(v));
	return v;
}

/* Sixteen bytes from p, which need not be aligned. */
static inline pol_v16 v16_load(const unsigned char *p)
{
	pol_v16 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline unsigned v16_bits(pol_m16 m)
{
#if defined(__SSE2__)
	__m128i x;
	memcpy(&x, &m, sizeof(x));
	return (unsigned)_mm_movemask_epi8(x);
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* each lane is 0 or 0xff: gather their top bits */
	const uint64_t top = 0x8080808080808080ull, gather = 0x02040810204081ull;
	uint64_t h[2];
	memcpy(h, &m, sizeof(h));
	return (unsigned)(((h[0] & top) * gather) >> 56) | (unsigned)(((h[1] & top) * gather) >> 56)
	                                                       << 8;
#else
	int8_t lane[16];
	unsigned bits = 0;
	memcpy(lane, &m, sizeof(lane));
	for (unsigned k = 0; k < 16; k++)
		bits |= (lane[k] ? 1u : 0u) << k;
	return bits;
#endif
}

#endif
