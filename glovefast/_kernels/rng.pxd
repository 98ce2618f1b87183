# Declarations of rng.h (seeded random-number helpers).
from libc.stdint cimport int64_t, uint64_t

cdef extern from "rng.h" nogil:
    uint64_t gf_splitmix64(uint64_t *s)
    uint64_t gf_bounded(uint64_t *s, uint64_t bound)
    uint64_t gf_bucket_of(uint64_t seed, int64_t k, uint64_t nb)
    void gf_shuffle_i64(int64_t *a, int64_t n, uint64_t seed)
