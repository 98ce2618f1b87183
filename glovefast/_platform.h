/* Compiler and operating-system differences of the kernels, in one place.
 *
 * The kernels are written for GCC and Clang on Linux and macOS and for MSVC on Windows; what one
 * of them lacks is wrapped here (and gf_mul128 in _rng.h), so the other headers hold no
 * compiler or OS tests beyond optional fast paths (AVX2 in _train.h, huge pages in _cooc.h).
 */
#ifndef GF_PLATFORM_H
#define GF_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

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

/* An OpenMP pragma inside a macro. */
#if defined(_MSC_VER)
#define GF_PRAGMA(x) __pragma(x) /* MSVC's C compiler has _Pragma only with /std:c11 */
#else
#define GF_PRAGMA(x) _Pragma(#x)
#endif

static int gf_openmp_enabled(void) {
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

/* Bytes per page of virtual memory. */
static size_t gf_page_size(void) {
#if defined(_WIN32)
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return (size_t)si.dwPageSize;
#else
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
#endif
}

/* Drop the pages of [p, p + n) (page-aligned p) from a read-only file mapping: the process's
 * resident memory shrinks, the page cache keeps the data and a later read faults it back in.
 * Windows has no equivalent for a mapped view here, so the call does nothing there and a mapped
 * file stays in the working set until the OS trims it (clean file pages, dropped under pressure).
 * madvise is not ISO C: a strict -std=c99 compile hides it, but an extension module includes
 * Python.h first, whose pyconfig.h asks for the POSIX and GNU/Darwin extensions. */
static void gf_release_pages(void *p, size_t n) {
#if defined(MADV_DONTNEED)
    madvise(p, n, MADV_DONTNEED);
#else
    (void)p;
    (void)n;
#endif
}

#endif /* GF_PLATFORM_H */
