/* Compiler and operating-system differences of the kernels, in one place.
 *
 * The kernels are written for GCC and Clang on Linux and macOS and for MSVC on Windows; what one
 * of them lacks is wrapped here (and gf_mul128 in rng.h), so the other headers hold no
 * compiler or OS tests. Also here, for every training kernel (GloVe's in glove.h, and any other
 * model's): the CPU-feature dispatch (GF_CLONES, GF_TARGET_AVX2, gf_cpu_has_avx2_fma) and the
 * padded vector layout (GF_LANES, gf_padded_dim, gf_hsum256).
 */
#ifndef GF_PLATFORM_H
#define GF_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

#if defined(__GNUC__)
#define GF_PREFETCHW(p) __builtin_prefetch((p), 1, 3)
#define GF_PREFETCHR(p) __builtin_prefetch((p), 0, 3)
#define GF_RESTRICT __restrict__
#elif defined(_MSC_VER)
/* MSVC has no write-prefetch hint that does not need a newer target; prefetching is only a
 * speed hint, so it is left out there. */
#define GF_PREFETCHW(p) ((void)0)
#define GF_PREFETCHR(p) ((void)0)
#define GF_RESTRICT __restrict
#else
#define GF_PREFETCHW(p) ((void)0)
#define GF_PREFETCHR(p) ((void)0)
#define GF_RESTRICT
#endif

/* ------------------------------------------------------------------------------------------ */
/* CPU features: kernels are built for the baseline ISA (portable wheels) and choose faster code  */
/* at run time.                                                                               */
/*                                                                                            */
/* GF_CLONES: on x86-64 with GCC/Clang and glibc (ifunc), `target_clones` adds an x86-64-v3 (AVX2,  */
/* FMA) clone of a plain C loop, picked at load time. GLOVEFAST_NATIVE=1 builds define            */
/* GF_NO_CLONES and use -march=native instead.                                                    */
/* GF_TARGET_AVX2 (when GF_HAVE_AVX2): a function written with AVX2/FMA intrinsics, to be called  */
/* only when gf_cpu_has_avx2_fma() says the CPU has them.                                         */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && !defined(GF_NO_CLONES)
#define GF_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#define GF_HAVE_CLONES 1
#else
#define GF_CLONES
#define GF_HAVE_CLONES 0
#endif

#if defined(__GNUC__) && defined(__x86_64__) && !defined(GF_NO_AVX2_KERNEL)
#include <immintrin.h>
#define GF_HAVE_AVX2 1
#define GF_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define GF_HAVE_AVX2 0
#endif

static inline int gf_cpu_has_avx2_fma(void) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static inline int gf_have_clones(void) { return GF_HAVE_CLONES; }

/* ------------------------------------------------------------------------------------------ */
/* Padded vectors: a parameter vector of d components is stored in dp = gf_padded_dim(d) slots,  */
/* a multiple of GF_LANES (one AVX register of floats), so vector loops have no remainder; the   */
/* padding starts at 0 and stays 0 (a model keeps its optimiser state there at values that never */
/* move it). What follows the vector in a row is the model's own (see glove.h).                  */
#define GF_LANES 8

static inline int64_t gf_padded_dim(int64_t d) { return (d + GF_LANES - 1) / GF_LANES * GF_LANES; }

#if GF_HAVE_AVX2
/* The sum of the 8 floats of a register (a dot product's last step). */
GF_TARGET_AVX2
static inline float gf_hsum256(__m256 acc) {
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    s4 = _mm_add_ss(s4, _mm_shuffle_ps(s4, s4, 1));
    return _mm_cvtss_f32(s4);
}
#endif

/* An OpenMP pragma inside a macro. */
#if defined(_MSC_VER)
#define GF_PRAGMA(x) __pragma(x) /* MSVC's C compiler has _Pragma only with /std:c11 */
#else
#define GF_PRAGMA(x) _Pragma(#x)
#endif

static inline int gf_openmp_enabled(void) {
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

/* Bytes per page of virtual memory. */
static inline size_t gf_page_size(void) {
#if defined(_WIN32)
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return (size_t)si.dwPageSize;
#else
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
#endif
}

/* Drop the pages of [p, p + n) (page-aligned p). From a read-only file mapping: the process's
 * resident memory shrinks, the page cache keeps the data and a later read faults it back in. From
 * private anonymous memory: the contents are gone (a later read sees zeros) and the pages go back
 * to the OS for the next allocation.
 * Windows has no equivalent for a mapped view here, so the call does nothing there and a mapped
 * file stays in the working set until the OS trims it (clean file pages, dropped under pressure).
 * madvise is not ISO C: a strict -std=c99 compile hides it, but an extension module includes
 * Python.h first, whose pyconfig.h asks for the POSIX and GNU/Darwin extensions. */
static inline void gf_release_pages(void *p, size_t n) {
#if defined(MADV_DONTNEED)
    madvise(p, n, MADV_DONTNEED);
#else
    (void)p;
    (void)n;
#endif
}

/* ------------------------------------------------------------------------------------------ */
/* large buffers                                                                               */

/* Counting's large buffers (the dense table, the id stream, the overflow buffers and their sort
 * scratch, the sorted runs) are written once in a process that usually starts just before:
 * every page is a fresh page fault. In 4 KB pages a 1M-token count took ~25,000 faults, and on a
 * virtual machine whose host backs guest memory lazily each one costs microseconds (the faults
 * were a third of that count's time); the dense table is also hit at random, where 2 MB pages
 * keep the TLB useful. So on Linux, buffers of GF_BIG_MIN or more are their own mappings,
 * aligned to 2 MB by hand so the whole range can be huge, with MADV_HUGEPAGE (advice: with
 * transparent huge pages off they are normal pages), faulted in 2 MB at a time and grown with
 * mremap without copying; smaller ones, and every buffer elsewhere, come from malloc. A header
 * before the returned pointer says which it is. Buffers from these functions must be freed with
 * gf_big_free. */
#define GF_HUGE ((size_t)2 << 20)
#define GF_BIG_MIN GF_HUGE
#define GF_BIG_HDR 64 /* keeps the returned pointer 64-byte aligned on a mapping */

typedef struct {
    void *base;    /* the mapping's start (the header sits at its first 2 MB boundary) */
    size_t mapped; /* bytes of the mapping from base, 0 when the block came from malloc */
    size_t bytes;  /* usable bytes asked for */
} gf_big_hdr;

#if defined(__linux__) && defined(MADV_HUGEPAGE) && defined(MREMAP_MAYMOVE)
#define GF_BIG_MAPS 1
#else
#define GF_BIG_MAPS 0
#endif

static inline void *gf_big_realloc(void *p, size_t bytes) {
    gf_big_hdr *h = p ? (gf_big_hdr *)((char *)p - GF_BIG_HDR) : NULL;
#if GF_BIG_MAPS
    const size_t page = 4096;
    size_t len = (bytes + GF_BIG_HDR + page - 1) / page * page; /* from the header on */
    if (h && h->mapped) {
        const size_t lead = (size_t)((char *)h - (char *)h->base);
        if (lead + len <= h->mapped) { h->bytes = bytes; return p; }
        char *q = (char *)mremap(h->base, h->mapped, lead + len, MREMAP_MAYMOVE);
        if (q == (char *)MAP_FAILED) return NULL;
        h = (gf_big_hdr *)(q + lead); /* the contents, header included, moved with the mapping */
        madvise(q, lead + len, MADV_HUGEPAGE);
        h->base = q;
        h->mapped = lead + len;
        h->bytes = bytes;
        return (char *)h + GF_BIG_HDR;
    }
    if (bytes >= GF_BIG_MIN) {
        char *q = (char *)mmap(NULL, len + GF_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (q == (char *)MAP_FAILED) return NULL;
        gf_big_hdr *n = (gf_big_hdr *)(((uintptr_t)q + GF_HUGE - 1) & ~(uintptr_t)(GF_HUGE - 1));
        /* the whole mapping: advising part of it would split it, and mremap cannot move a split one */
        madvise(q, len + GF_HUGE, MADV_HUGEPAGE);
        n->base = q;
        n->mapped = len + GF_HUGE;
        n->bytes = bytes;
        if (h) {
            memcpy((char *)n + GF_BIG_HDR, p, h->bytes < bytes ? h->bytes : bytes);
            free(h);
        }
        return (char *)n + GF_BIG_HDR;
    }
#endif
    gf_big_hdr *n = (gf_big_hdr *)realloc(h, bytes + GF_BIG_HDR);
    if (!n) return NULL;
    n->base = n;
    n->mapped = 0;
    n->bytes = bytes;
    return (char *)n + GF_BIG_HDR;
}

static inline void *gf_big_alloc(size_t bytes) {
    return gf_big_realloc(NULL, bytes);
}

/* A zero-filled gf_big buffer (a fresh mapping already is: only malloc'd ones are cleared). */
static inline void *gf_big_calloc(size_t bytes) {
    void *p = gf_big_alloc(bytes);
    if (p && !((gf_big_hdr *)((char *)p - GF_BIG_HDR))->mapped) memset(p, 0, bytes);
    return p;
}

static inline void gf_big_free(void *p) {
    if (!p) return;
    gf_big_hdr *h = (gf_big_hdr *)((char *)p - GF_BIG_HDR);
#if GF_BIG_MAPS
    if (h->mapped) { munmap(h->base, h->mapped); return; }
#endif
    free(h);
}

#endif /* GF_PLATFORM_H */
