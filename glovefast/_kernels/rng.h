/* Random-number helpers shared by the training shuffles (and any other seeded draw): a seeded
 * splitmix64 stream, unbiased bounded integers, a counter-based draw any thread can compute for
 * any index, and a Fisher-Yates shuffle. Every path gives the same bits on every compiler, so a
 * seed means the same order everywhere.
 */
#ifndef GF_RNG_H
#define GF_RNG_H

#include <stdint.h>

/* splitmix64: a small, well-mixed generator so shuffles are reproducible from one seed. */
static inline uint64_t gf_splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The full 128-bit product a * b as its high and low halves. GCC and Clang have a 128-bit integer
 * on 64-bit targets; MSVC has none, but has the instructions as intrinsics; anything else (and
 * GF_PORTABLE_MUL128, which the portability check uses to test this path) gets 32-bit pieces.
 * All paths give the same bits, so shuffles do not depend on the compiler. */
#if defined(__SIZEOF_INT128__) && !defined(GF_PORTABLE_MUL128)
static inline uint64_t gf_mul128(uint64_t a, uint64_t b, uint64_t *lo) {
    __uint128_t m = (__uint128_t)a * b;
    *lo = (uint64_t)m;
    return (uint64_t)(m >> 64);
}
#elif defined(_MSC_VER) && defined(_M_X64) && !defined(GF_PORTABLE_MUL128)
#include <intrin.h>
static __inline uint64_t gf_mul128(uint64_t a, uint64_t b, uint64_t *lo) {
    uint64_t hi;
    *lo = _umul128(a, b, &hi);
    return hi;
}
#elif defined(_MSC_VER) && defined(_M_ARM64) && !defined(GF_PORTABLE_MUL128)
#include <intrin.h>
static __inline uint64_t gf_mul128(uint64_t a, uint64_t b, uint64_t *lo) {
    *lo = a * b;
    return __umulh(a, b);
}
#else
static inline uint64_t gf_mul128(uint64_t a, uint64_t b, uint64_t *lo) {
    const uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10; /* < 3 * 2^32: no overflow */
    *lo = (mid << 32) | (uint32_t)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
#endif

/* Unbiased integer in [0, bound) (Lemire's multiply-shift with rejection). */
static inline uint64_t gf_bounded(uint64_t *s, uint64_t bound) {
    uint64_t lo;
    uint64_t hi = gf_mul128(gf_splitmix64(s), bound, &lo);
    if (lo < bound) {
        uint64_t thresh = (0 - bound) % bound;
        while (lo < thresh) hi = gf_mul128(gf_splitmix64(s), bound, &lo);
    }
    return hi;
}

/* The bucket of triple k: a counter-based draw (splitmix64's finaliser of seed + k), so any
 * thread can compute it for any k and the result does not depend on how work is split. The
 * multiply-shift maps it to [0, nb) with a bias below nb / 2^64. */
static inline uint64_t gf_bucket_of(uint64_t seed, int64_t k, uint64_t nb) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (uint64_t)(k + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    uint64_t lo;
    return gf_mul128(z, nb, &lo);
}

/* Fisher-Yates over block indices, for the per-epoch block order. */
static void gf_shuffle_i64(int64_t *a, int64_t n, uint64_t seed) {
    uint64_t s = seed;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)gf_bounded(&s, (uint64_t)i + 1);
        int64_t tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
    }
}

#endif /* GF_RNG_H */
