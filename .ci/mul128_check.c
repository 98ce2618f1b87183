/* gf_mul128's fallbacks must give the same bits as the 128-bit-integer path (.ci/portability.sh).
 * Built three times: with -DWRAP=mul_native, with -DWRAP=mul_portable -DGF_PORTABLE_MUL128 (each
 * only wraps _rng.h's gf_mul128), and without WRAP (this main, which compares them). */
#include <stdint.h>
#include <stdio.h>

#ifdef WRAP
#include "_rng.h"
uint64_t WRAP(uint64_t a, uint64_t b, uint64_t *lo) { return gf_mul128(a, b, lo); }
#else
uint64_t mul_native(uint64_t a, uint64_t b, uint64_t *lo);
uint64_t mul_portable(uint64_t a, uint64_t b, uint64_t *lo);

int main(void) {
    const uint64_t edges[] = {0, 1, 2, 0xFFFFFFFFULL, 0x100000000ULL, 0x100000001ULL, 0x7FFFFFFFFFFFFFFFULL,
                              0x8000000000000000ULL, 0xFFFFFFFFFFFFFFFEULL, 0xFFFFFFFFFFFFFFFFULL};
    const int ne = (int)(sizeof edges / sizeof edges[0]);
    uint64_t s = 12345, bad = 0, n = 0;
    for (int k = 0; k < 2000000 + ne * ne; k++) {
        uint64_t a, b;
        if (k < ne * ne) {
            a = edges[k / ne];
            b = edges[k % ne];
        } else { /* splitmix64 draws, half of them narrowed to small bounds as gf_bounded uses */
            s += 0x9E3779B97F4A7C15ULL;
            uint64_t z = s;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            a = z ^ (z >> 31);
            b = (k & 1) ? (a * 0x2545F4914F6CDD1DULL) : (a >> (k % 64));
        }
        uint64_t lo1, lo2, hi1 = mul_native(a, b, &lo1), hi2 = mul_portable(a, b, &lo2);
        n++;
        if (hi1 != hi2 || lo1 != lo2) {
            if (bad++ < 5)
                printf("mismatch: %llx * %llx\n", (unsigned long long)a, (unsigned long long)b);
        }
    }
    printf("gf_mul128: %llu products, %llu mismatches between the native and the portable path\n",
           (unsigned long long)n, (unsigned long long)bad);
    return bad != 0;
}
#endif
