# Declarations of platform.h (compiler and operating-system differences, CPU-feature dispatch, padded
# vectors), and the thread clamp every kernel applies.
from libc.stdint cimport int64_t

cdef extern from "platform.h" nogil:
    int gf_openmp_enabled()
    size_t gf_page_size()
    void gf_release_pages(void *p, size_t n)
    void *gf_big_alloc(size_t bytes)
    void *gf_big_realloc(void *p, size_t bytes)
    void gf_big_free(void *p)
    int gf_cpu_has_avx2_fma()
    int gf_have_clones()
    int64_t gf_padded_dim(int64_t d)
    enum: GF_LANES

# Mirrors glovefast._util.validation.MAX_THREADS. The Python layer validates every thread count; the
# clamp is a second line of defence, because OpenMP given an absurd count crashes the process
# (100,000 threads segfaulted libgomp) instead of raising.
cdef enum:
    MAX_THREADS = 256


cdef inline int clamp_threads(int n) noexcept nogil:
    if n < 1:
        return 1
    if n > MAX_THREADS:
        return MAX_THREADS
    return n
