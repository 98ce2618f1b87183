/* The Adagrad update of GloVe and its shuffled training triples, included by glove.pyx.
 *
 * Memory layout: every word owns one row of `stride` = GF_GLOVE_ROW(dp) elements,
 *     [ vector (dp) | Adagrad sums of the vector (dp) | bias, bias Adagrad sum, weight, padding ]
 * with dp = gf_padded_dim(no_components) (platform.h), so one update touches two contiguous rows
 * (word row of W, context row of C) that are prefetched GF_PREFETCH updates ahead in the shuffled
 * order.
 * Padding components start at 0 with Adagrad sums of 1 and so stay exactly 0. The row's first
 * padding slot after the bias pair (row[2 dp + 2]) holds the row's mittens weight (see below); 0
 * means "no pretrained vector", and such rows take the plain update.
 *
 * The update is Stanford glove.c's: diff = w.c + b + b~ - log x, fdiff = f(x) diff clipped to
 * [-max_loss, max_loss], cost 0.5 fdiff diff, and with fdiff scaled by the learning rate each
 * coordinate moves by g / sqrt(G) before G += g^2 (G starts at 1).
 *
 * Fine-tuning (mittens, Dingwall & Potts 2018) adds mu ||w_i + w~_i - r_i||^2 per word with a
 * pretrained vector r_i ("sum" models; "word" models penalise w_i - r_i alone). Its gradient is
 * spread over the updates that touch the row: a W row with weight lw = mu / n_i (n_i = updates
 * per epoch that move that row) gets 2 lw (w_i + w~_i - r_i) added to its gradient in each of
 * them, so one epoch applies the whole penalty gradient once, as mittens' full-batch step does.
 * R holds r_i in rows of dp (NULL when no word has a weight); sum_mode says whether the
 * partner row (w~_i for a W row, w_j for a C row) is part of the penalised vector.
 *
 * Built portable: the generic loops get an AVX2+FMA clone (GF_CLONES), and float32 has a hand-written
 * AVX2 kernel chosen at run time (see platform.h).
 */
#ifndef GF_GLOVE_H
#define GF_GLOVE_H

#include <stdint.h>
#include <stdlib.h>
#include <math.h>

#include "platform.h"
#include "rng.h"

/* The row layout (see above): elements of a row, and the columns after the vector's Adagrad sums. */
#define GF_GLOVE_ROW(dp) (2 * (dp) + 8)
#define GF_GLOVE_BIAS(dp) (2 * (dp))
#define GF_GLOVE_WEIGHT(dp) (2 * (dp) + 2)

#define GF_PREFETCH 8

typedef struct {
    uint32_t i, j;
    float logx, fx;
} gf_triple32;

typedef struct {
    uint32_t i, j;
    double logx, fx;
} gf_triple64;

/* With mittens on, an update also reads the targets r_i, r_j and, in sum mode, the partner rows
 * (w~_i, w_j): prefetch their vectors along with the rows themselves. */
#define GF_PREFETCH_PARTNERS(T, W, C, R, stride, dp, i, j, sum_mode)                                  \
    do {                                                                                             \
        const T *ri_ = (R) + (int64_t)(i) * (dp), *rj_ = (R) + (int64_t)(j) * (dp);                  \
        const T *ci_ = (C) + (int64_t)(i) * (stride), *wj_ = (W) + (int64_t)(j) * (stride);          \
        const int64_t per_line_ = 64 / (int64_t)sizeof(T);                                          \
        for (int64_t q_ = 0; q_ < (dp); q_ += per_line_) {                                           \
            GF_PREFETCHR(ri_ + q_);                                                                  \
            GF_PREFETCHR(rj_ + q_);                                                                  \
            if (sum_mode) {                                                                          \
                GF_PREFETCHR(ci_ + q_);                                                              \
                GF_PREFETCHR(wj_ + q_);                                                              \
            }                                                                                        \
        }                                                                                            \
    } while (0)

/* The two kernels differ only in the element type; a macro keeps them identical. */
#define GF_DEFINE_KERNEL(NAME, T, TRIPLE, SQRT)                                                       \
    static inline void NAME##_one(T *GF_RESTRICT w, T *GF_RESTRICT gw, T *GF_RESTRICT c,            \
                                  T *GF_RESTRICT gc, T *GF_RESTRICT wb, T *GF_RESTRICT cb, int dp,  \
                                  T logx, T fx, T lr, T max_loss, double *loss) {                    \
        T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                         \
        for (int q = 0; q < dp; q += 8)                                                              \
            for (int l = 0; l < 8; l++) acc[l] += w[q + l] * c[q + l];                               \
        T dot = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));   \
        T diff = dot + wb[0] + cb[0] - logx;                                                         \
        T fdiff = fx * diff;                                                                         \
        /* comparisons are false for NaN, so a NaN reaches the loss and is reported */               \
        if (fdiff > max_loss) fdiff = max_loss;                                                      \
        if (fdiff < -max_loss) fdiff = -max_loss;                                                    \
        *loss += 0.5 * (double)fdiff * (double)diff;                                                 \
        fdiff *= lr;                                                                                 \
        for (int q = 0; q < dp; q++) {                                                               \
            T a = fdiff * c[q];                                                                      \
            T b = fdiff * w[q];                                                                      \
            w[q] -= a / SQRT(gw[q]);                                                                 \
            c[q] -= b / SQRT(gc[q]);                                                                 \
            gw[q] += a * a;                                                                          \
            gc[q] += b * b;                                                                          \
        }                                                                                            \
        wb[0] -= fdiff / SQRT(wb[1]);                                                                \
        cb[0] -= fdiff / SQRT(cb[1]);                                                                \
        wb[1] += fdiff * fdiff;                                                                      \
        cb[1] += fdiff * fdiff;                                                                      \
    }                                                                                                \
                                                                                                     \
    /* The same update with the mittens term. No restrict: with sum_mode and i == j, ci is c and     \
     * wj is w; every coordinate is read before it is written. Its dot/diff/clip front repeats       \
     * _one's on purpose: folding the whole update into one function changed float32/float64 bits    \
     * (FP contraction), and sharing just the front through an inline helper kept the bits but       \
     * compiled to different code that timed up to ~10% slower in the median (noisy, same-process    \
     * interleaved runs, Nov 2026). */                                                               \
    static inline void NAME##_pen(T *w, T *c, const T *ci, const T *wj, const T *ri, const T *rj,   \
                                  T lw, T lc, int sum_mode, int dp, T logx, T fx, T lr, T max_loss, \
                                  double *loss) {                                                    \
        T *gw = w + dp, *gc = c + dp, *wb = w + GF_GLOVE_BIAS(dp), *cb = c + GF_GLOVE_BIAS(dp);      \
        T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                         \
        for (int q = 0; q < dp; q += 8)                                                              \
            for (int l = 0; l < 8; l++) acc[l] += w[q + l] * c[q + l];                               \
        T dot = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));   \
        T diff = dot + wb[0] + cb[0] - logx;                                                         \
        T fdiff = fx * diff;                                                                         \
        if (fdiff > max_loss) fdiff = max_loss;                                                      \
        if (fdiff < -max_loss) fdiff = -max_loss;                                                    \
        *loss += 0.5 * (double)fdiff * (double)diff;                                                 \
        fdiff *= lr;                                                                                 \
        const T pw = 2 * lr * lw, pc = 2 * lr * lc;                                                  \
        for (int q = 0; q < dp; q++) {                                                               \
            T wq = w[q], cq = c[q];                                                                  \
            T ew = wq - ri[q], ec = cq - rj[q];                                                      \
            if (sum_mode) {                                                                          \
                ew += ci[q];                                                                         \
                ec += wj[q];                                                                         \
            }                                                                                        \
            T a = fdiff * cq + pw * ew;                                                              \
            T b = fdiff * wq + pc * ec;                                                              \
            w[q] = wq - a / SQRT(gw[q]);                                                             \
            c[q] = cq - b / SQRT(gc[q]);                                                             \
            gw[q] += a * a;                                                                          \
            gc[q] += b * b;                                                                          \
        }                                                                                            \
        wb[0] -= fdiff / SQRT(wb[1]);                                                                \
        cb[0] -= fdiff / SQRT(cb[1]);                                                                \
        wb[1] += fdiff * fdiff;                                                                      \
        cb[1] += fdiff * fdiff;                                                                      \
    }                                                                                                \
                                                                                                     \
    /* Train on t[0:n) in order; returns the summed cost. */                                         \
    GF_CLONES static double NAME(T *W, T *C, int64_t stride, int dp, const TRIPLE *t, int64_t n,    \
                                 T lr, T max_loss, const T *R, int sum_mode) {                       \
        double loss = 0.0;                                                                           \
        const int64_t lines = (stride * (int64_t)sizeof(T) + 63) / 64;                               \
        const int64_t per_line = 64 / (int64_t)sizeof(T);                                           \
        for (int64_t k = 0; k < n; k++) {                                                            \
            if (k + GF_PREFETCH < n) {                                                               \
                const T *pw = W + (int64_t)t[k + GF_PREFETCH].i * stride;                            \
                const T *pc = C + (int64_t)t[k + GF_PREFETCH].j * stride;                            \
                for (int64_t l = 0; l < lines; l++) {                                                \
                    GF_PREFETCHW(pw + l * per_line);                                                 \
                    GF_PREFETCHW(pc + l * per_line);                                                 \
                }                                                                                    \
                if (R) GF_PREFETCH_PARTNERS(T, W, C, R, stride, dp, t[k + GF_PREFETCH].i,            \
                                            t[k + GF_PREFETCH].j, sum_mode);                         \
            }                                                                                        \
            const int64_t i = t[k].i, j = t[k].j;                                                    \
            T *w = W + i * stride;                                                                   \
            T *c = C + j * stride;                                                                   \
            const T lw = R ? w[GF_GLOVE_WEIGHT(dp)] : 0, lc = R ? c[GF_GLOVE_WEIGHT(dp)] : 0;        \
            if (lw == 0 && lc == 0)                                                                  \
                NAME##_one(w, w + dp, c, c + dp, w + GF_GLOVE_BIAS(dp), c + GF_GLOVE_BIAS(dp), dp,        \
                           t[k].logx, t[k].fx, lr, max_loss, &loss);                                 \
            else                                                                                     \
                NAME##_pen(w, c, C + i * stride, W + j * stride, R + i * dp, R + j * dp, lw, lc,     \
                           sum_mode, dp, t[k].logx, t[k].fx, lr, max_loss, &loss);                   \
        }                                                                                            \
        return loss;                                                                                 \
    }

GF_DEFINE_KERNEL(gf_train_f32_generic, float, gf_triple32, sqrtf)
GF_DEFINE_KERNEL(gf_train_f64, double, gf_triple64, sqrt)

/* float32 with AVX2+FMA intrinsics, chosen at run time when the CPU has them.
 *
 * Profiling the portable kernel showed it bound by the two vector square roots and divisions
 * per 8 coordinates (each a long-latency, low-throughput unit on x86), not by memory. Here
 * g / sqrt(G) is g * rsqrt(G), with the hardware estimate (12 bits) refined by one
 * Newton-Raphson step to about 23 bits, i.e. float32 rounding level: Adagrad's step size is
 * unchanged for any practical purpose, and each coordinate costs a few multiply-adds instead.
 * Biases (one coordinate per row) keep the exact sqrt. Results are deterministic on a given CPU,
 * but the estimate's last bits differ between CPU vendors, so vectors trained with one thread
 * and one seed are bit-identical across runs, not across machines. */
#if GF_HAVE_AVX2
#define GF_HAVE_AVX2_KERNEL 1

GF_TARGET_AVX2
static inline __m256 gf_rsqrt_nr(__m256 g) {
    const __m256 half = _mm256_set1_ps(0.5f), three_halves = _mm256_set1_ps(1.5f);
    __m256 y = _mm256_rsqrt_ps(g);
    __m256 hg = _mm256_mul_ps(half, g);
    /* y (1.5 - 0.5 g y^2) */
    return _mm256_mul_ps(y, _mm256_fnmadd_ps(_mm256_mul_ps(hg, y), y, three_halves));
}

/* The vector loop of the plain update. w and c are rows of different matrices, never the same
 * memory: restrict lets the compiler keep loads and stores of the two apart. */
GF_TARGET_AVX2
static inline void gf_plain_avx2(float *GF_RESTRICT w, float *GF_RESTRICT c, float fdiff, int dp) {
    const __m256 vf = _mm256_set1_ps(fdiff);
    for (int q = 0; q < dp; q += 8) {
        __m256 wv = _mm256_loadu_ps(w + q), cv = _mm256_loadu_ps(c + q);
        __m256 gw = _mm256_loadu_ps(w + dp + q), gc = _mm256_loadu_ps(c + dp + q);
        __m256 a = _mm256_mul_ps(vf, cv), b = _mm256_mul_ps(vf, wv);
        _mm256_storeu_ps(w + q, _mm256_fnmadd_ps(a, gf_rsqrt_nr(gw), wv));
        _mm256_storeu_ps(c + q, _mm256_fnmadd_ps(b, gf_rsqrt_nr(gc), cv));
        _mm256_storeu_ps(w + dp + q, _mm256_fmadd_ps(a, a, gw));
        _mm256_storeu_ps(c + dp + q, _mm256_fmadd_ps(b, b, gc));
    }
}

/* The vector loop of the update with the mittens term (see the header); partner rows ci, wj may
 * alias c, w (sum_mode, i == j), so every coordinate is loaded before it is stored. */
GF_TARGET_AVX2
static inline void gf_pen_avx2(float *w, float *c, const float *ci, const float *wj, const float *ri,
                               const float *rj, float fdiff, float pw, float pc, int sum_mode, int dp) {
    const __m256 vf = _mm256_set1_ps(fdiff), vpw = _mm256_set1_ps(pw), vpc = _mm256_set1_ps(pc);
    for (int q = 0; q < dp; q += 8) {
        __m256 wv = _mm256_loadu_ps(w + q), cv = _mm256_loadu_ps(c + q);
        __m256 gw = _mm256_loadu_ps(w + dp + q), gc = _mm256_loadu_ps(c + dp + q);
        __m256 ew = _mm256_sub_ps(wv, _mm256_loadu_ps(ri + q)), ec = _mm256_sub_ps(cv, _mm256_loadu_ps(rj + q));
        if (sum_mode) {
            ew = _mm256_add_ps(ew, _mm256_loadu_ps(ci + q));
            ec = _mm256_add_ps(ec, _mm256_loadu_ps(wj + q));
        }
        __m256 a = _mm256_fmadd_ps(vpw, ew, _mm256_mul_ps(vf, cv));
        __m256 b = _mm256_fmadd_ps(vpc, ec, _mm256_mul_ps(vf, wv));
        _mm256_storeu_ps(w + q, _mm256_fnmadd_ps(a, gf_rsqrt_nr(gw), wv));
        _mm256_storeu_ps(c + q, _mm256_fnmadd_ps(b, gf_rsqrt_nr(gc), cv));
        _mm256_storeu_ps(w + dp + q, _mm256_fmadd_ps(a, a, gw));
        _mm256_storeu_ps(c + dp + q, _mm256_fmadd_ps(b, b, gc));
    }
}

GF_TARGET_AVX2
static double gf_train_f32_avx2(float *W, float *C, int64_t stride, int dp, const gf_triple32 *t, int64_t n,
                                float lr, float max_loss, const float *R, int sum_mode) {
    double loss = 0.0;
    const int64_t lines = (stride * (int64_t)sizeof(float) + 63) / 64;
    for (int64_t k = 0; k < n; k++) {
        if (k + GF_PREFETCH < n) {
            const float *pw = W + (int64_t)t[k + GF_PREFETCH].i * stride;
            const float *pc = C + (int64_t)t[k + GF_PREFETCH].j * stride;
            for (int64_t l = 0; l < lines; l++) {
                GF_PREFETCHW(pw + l * 16);
                GF_PREFETCHW(pc + l * 16);
            }
            if (R) GF_PREFETCH_PARTNERS(float, W, C, R, stride, dp, t[k + GF_PREFETCH].i, t[k + GF_PREFETCH].j,
                                        sum_mode);
        }
        const int64_t i = t[k].i, j = t[k].j;
        float *w = W + i * stride;
        float *c = C + j * stride;
        __m256 acc = _mm256_setzero_ps();
        for (int q = 0; q < dp; q += 8)
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(w + q), _mm256_loadu_ps(c + q), acc);
        float dot = gf_hsum256(acc);
        float *wb = w + GF_GLOVE_BIAS(dp), *cb = c + GF_GLOVE_BIAS(dp);
        float diff = dot + wb[0] + cb[0] - t[k].logx;
        float fdiff = t[k].fx * diff;
        /* comparisons are false for NaN, so a NaN reaches the loss and is reported */
        if (fdiff > max_loss) fdiff = max_loss;
        if (fdiff < -max_loss) fdiff = -max_loss;
        loss += 0.5 * (double)fdiff * (double)diff;
        fdiff *= lr;
        const float lw = R ? wb[2] : 0.0f, lc = R ? cb[2] : 0.0f;
        if (lw != 0.0f || lc != 0.0f) {
            gf_pen_avx2(w, c, C + i * stride, W + j * stride, R + i * dp, R + j * dp, fdiff, 2 * lr * lw,
                        2 * lr * lc, sum_mode, dp);
        } else {
            gf_plain_avx2(w, c, fdiff, dp);
        }
        wb[0] -= fdiff / sqrtf(wb[1]);
        cb[0] -= fdiff / sqrtf(cb[1]);
        wb[1] += fdiff * fdiff;
        cb[1] += fdiff * fdiff;
    }
    return loss;
}
#else
#define GF_HAVE_AVX2_KERNEL 0
#endif

/* 1: the AVX2 rsqrt kernel, 0: the generic one; decided once (a racy first call is harmless:
 * every thread computes the same answer). */
static int gf_f32_kernel = -1;

static int gf_use_avx2_kernel(void) {
    if (gf_f32_kernel < 0) gf_f32_kernel = GF_HAVE_AVX2_KERNEL && gf_cpu_has_avx2_fma();
    return gf_f32_kernel;
}

/* Testing hook: force the generic float32 kernel (avx2 = 0) or let the AVX2 one run if this CPU
 * and build have it. Returns whether the AVX2 kernel is now in use. */
static int gf_select_f32_kernel(int avx2) {
    gf_f32_kernel = avx2 ? -1 : 0;
    return gf_use_avx2_kernel();
}

static double gf_train_f32(float *W, float *C, int64_t stride, int dp, const gf_triple32 *t, int64_t n,
                           float lr, float max_loss, const float *R, int sum_mode) {
#if GF_HAVE_AVX2_KERNEL
    if (gf_use_avx2_kernel()) return gf_train_f32_avx2(W, C, stride, dp, t, n, lr, max_loss, R, sum_mode);
#endif
    return gf_train_f32_generic(W, C, stride, dp, t, n, lr, max_loss, R, sum_mode);
}

#if defined(_OPENMP)
#define GF_OMP_FOR(nt) GF_PRAGMA(omp parallel for num_threads(nt) schedule(dynamic, 16))
#define GF_OMP_CHUNKS(nt) GF_PRAGMA(omp parallel for num_threads(nt) schedule(static, 1))
#else
#define GF_OMP_FOR(nt)
#define GF_OMP_CHUNKS(nt)
#endif

/* The training triples of a matrix in a uniformly random order: a scatter shuffle.
 *
 * No pass touches memory at random beyond a cache-sized bucket: triple number k (entries in
 * storage order, an expanded entry's transpose right after it) draws bucket gf_bucket_of(seed, k),
 * triples are scattered bucket by bucket keeping k order inside a bucket, and each bucket is then
 * Fisher-Yates shuffled with a seed of its own. A multinomial split followed by uniform shuffles
 * of the parts is a uniform permutation. The order is a function of (seed, the entries) only,
 * which lets the same order be produced three ways: all at once in RAM (gf_build), chunk by chunk
 * into RAM (a store's shards scattered to precomputed bucket positions), and out of core (each
 * chunk scattered to bucket-sorted runs on disk, the runs of a range of buckets gathered back,
 * then shuffled): each bucket always ends up holding its triples in k order before its shuffle.
 * log x and f(x) = min(1, (x / x_max)^alpha) = exp(alpha (log x - log x_max)) are computed here,
 * once per entry, so the update loop has no transcendental calls. */

/* Buckets for n triples of tsize bytes: about 256 KB each (shuffled in cache), at most 65535. */
static int64_t gf_n_buckets(int64_t n, int64_t tsize) {
    int64_t nb = n * tsize / (256 << 10) + 1;
    return nb > 65535 ? 65535 : nb;
}

/* Triples that entries [0, nnz) expand to (`expand`: off-diagonal entries count twice). */
static int64_t gf_count_triples(const int32_t *rows, const int32_t *cols, int64_t nnz, int expand) {
    int64_t m = nnz;
    if (expand)
        for (int64_t e = 0; e < nnz; e++) m += rows[e] != cols[e];
    return m;
}

/* hist[b] += how many triples k in [k0, k1) draw bucket b. Returns 0, or -1 when out of memory. */
static int gf_bucket_hist(uint64_t seed, int64_t k0, int64_t k1, int64_t nb, int64_t *hist, int nthreads) {
    const int nc = nthreads < 1 ? 1 : (nthreads > 64 ? 64 : nthreads);
    int64_t *h = (int64_t *)calloc((size_t)nc * (size_t)nb, sizeof(int64_t));
    if (!h) return -1;
    const int64_t len = k1 - k0;
    GF_OMP_CHUNKS(nc)
    for (int c = 0; c < nc; c++) {
        int64_t *hc = h + (int64_t)c * nb;
        for (int64_t k = k0 + len * c / nc; k < k0 + len * (c + 1) / nc; k++) hc[gf_bucket_of(seed, k, (uint64_t)nb)]++;
    }
    for (int c = 0; c < nc; c++)
        for (int64_t b = 0; b < nb; b++) hist[b] += h[(int64_t)c * nb + b];
    free(h);
    return 0;
}

/* Scatter the n triples of entries [0, nnz), the first of which is triple number k0 of the whole
 * matrix, to their buckets (of nb) in `out`.
 *   relative: `pos` has nb + 1 slots; on return bucket b occupies out[pos[b], pos[b + 1]),
 *             buckets in order (a bucket-sorted run per chunk, or the whole matrix at once).
 *   otherwise: the next triple of bucket b goes to out[pos[b]]; pos[b] is advanced past them.
 * In parallel over chunks of entries: a histogram pass gives each (bucket, chunk) its own output
 * range, bucket-major and chunk-minor, so the result does not depend on the number of threads.
 * `expand` adds (col, row) for every off-diagonal entry. Returns 0, or -1 when out of memory. */
#define GF_DEFINE_SCATTER(NAME, T, TRIPLE)                                                           \
    static int NAME(const int32_t *rows, const int32_t *cols, const double *counts, int64_t nnz,    \
                    int expand, double x_max, double alpha, uint64_t seed, int64_t k0, int64_t nb,   \
                    int64_t *pos, int relative, TRIPLE *out, int64_t n, int nthreads) {              \
        const int nc = nthreads < 1 ? 1 : (nthreads > 64 ? 64 : nthreads);                           \
        int64_t *hist = (int64_t *)calloc((size_t)nc * (size_t)nb, sizeof(int64_t));                 \
        int64_t *kbase = (int64_t *)calloc((size_t)nc + 1, sizeof(int64_t));                        \
        if (!hist || !kbase) { free(hist); free(kbase); return -1; }                                 \
        GF_OMP_CHUNKS(nc)                                                                            \
        for (int c = 0; c < nc; c++) /* triples per chunk */                                         \
            kbase[c + 1] = gf_count_triples(rows + nnz * c / nc, cols + nnz * c / nc,                \
                                            nnz * (c + 1) / nc - nnz * c / nc, expand);              \
        for (int c = 0; c < nc; c++) kbase[c + 1] += kbase[c];                                       \
        if (kbase[nc] != n) { free(hist); free(kbase); return -1; }                                  \
        GF_OMP_CHUNKS(nc)                                                                            \
        for (int c = 0; c < nc; c++) {                                                               \
            int64_t *h = hist + (int64_t)c * nb;                                                     \
            for (int64_t k = k0 + kbase[c]; k < k0 + kbase[c + 1]; k++)                              \
                h[gf_bucket_of(seed, k, (uint64_t)nb)]++;                                            \
        }                                                                                            \
        int64_t acc = 0;                                                                             \
        for (int64_t b = 0; b < nb; b++) {                                                           \
            if (relative) pos[b] = acc; else acc = pos[b];                                           \
            for (int c = 0; c < nc; c++) {                                                           \
                int64_t x = hist[(int64_t)c * nb + b];                                               \
                hist[(int64_t)c * nb + b] = acc;                                                     \
                acc += x;                                                                            \
            }                                                                                        \
            if (!relative) pos[b] = acc;                                                             \
        }                                                                                            \
        if (relative) pos[nb] = acc;                                                                 \
        const double log_xmax = log(x_max);                                                          \
        GF_OMP_CHUNKS(nc)                                                                            \
        for (int c = 0; c < nc; c++) {                                                               \
            int64_t *fill = hist + (int64_t)c * nb;                                                  \
            int64_t k = k0 + kbase[c];                                                               \
            for (int64_t e = nnz * c / nc; e < nnz * (c + 1) / nc; e++) {                            \
                double x = counts[e], lx = log(x);                                                   \
                double f = x < x_max ? exp(alpha * (lx - log_xmax)) : 1.0;                           \
                TRIPLE t;                                                                            \
                t.i = (uint32_t)rows[e]; t.j = (uint32_t)cols[e]; t.logx = (T)lx; t.fx = (T)f;       \
                out[fill[gf_bucket_of(seed, k++, (uint64_t)nb)]++] = t;                              \
                if (expand && rows[e] != cols[e]) {                                                  \
                    t.i = (uint32_t)cols[e]; t.j = (uint32_t)rows[e];                                \
                    out[fill[gf_bucket_of(seed, k++, (uint64_t)nb)]++] = t;                          \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
        free(hist);                                                                                  \
        free(kbase);                                                                                 \
        return 0;                                                                                    \
    }

/* Fisher-Yates each of buckets b0 .. b0 + nbl - 1, bucket b0 + q being out[start[q], start[q + 1]).
 * A bucket's seed depends on its number only, so a range of buckets shuffles as in the whole. */
#define GF_DEFINE_SHUFFLE(NAME, TRIPLE)                                                              \
    static void NAME(TRIPLE *out, const int64_t *start, int64_t b0, int64_t nbl, uint64_t seed,      \
                     int nthreads) {                                                                 \
        (void)nthreads; /* unused without OpenMP */                                                  \
        GF_OMP_FOR(nthreads)                                                                         \
        for (int64_t q = 0; q < nbl; q++) {                                                          \
            uint64_t bs = seed ^ (0xD1B54A32D192ED03ULL * (uint64_t)(b0 + q + 1));                   \
            TRIPLE *p = out + start[q];                                                              \
            for (int64_t i = start[q + 1] - start[q] - 1; i > 0; i--) {                              \
                int64_t j = (int64_t)gf_bounded(&bs, (uint64_t)i + 1);                               \
                TRIPLE tmp = p[i]; p[i] = p[j]; p[j] = tmp;                                          \
            }                                                                                        \
        }                                                                                            \
    }

/* All triples of a matrix at once, in RAM: scatter, then shuffle every bucket. */
#define GF_DEFINE_BUILD(NAME, SCATTER, SHUFFLE, TRIPLE)                                              \
    static int NAME(const int32_t *rows, const int32_t *cols, const double *counts, int64_t nnz,    \
                    int expand, double x_max, double alpha, uint64_t seed, TRIPLE *out, int64_t n,  \
                    int nthreads) {                                                                  \
        const int64_t nb = gf_n_buckets(n, (int64_t)sizeof(TRIPLE));                                 \
        int64_t *start = (int64_t *)calloc((size_t)nb + 1, sizeof(int64_t));                         \
        if (!start) return -1;                                                                       \
        if (SCATTER(rows, cols, counts, nnz, expand, x_max, alpha, seed, 0, nb, start, 1, out, n,   \
                    nthreads) != 0) {                                                                \
            free(start);                                                                             \
            return -1;                                                                               \
        }                                                                                            \
        SHUFFLE(out, start, 0, nb, seed, nthreads);                                                  \
        free(start);                                                                                 \
        return 0;                                                                                    \
    }

GF_DEFINE_SCATTER(gf_scatter32, float, gf_triple32)
GF_DEFINE_SCATTER(gf_scatter64, double, gf_triple64)
GF_DEFINE_SHUFFLE(gf_shuffle_buckets32, gf_triple32)
GF_DEFINE_SHUFFLE(gf_shuffle_buckets64, gf_triple64)
GF_DEFINE_BUILD(gf_build32, gf_scatter32, gf_shuffle_buckets32, gf_triple32)
GF_DEFINE_BUILD(gf_build64, gf_scatter64, gf_shuffle_buckets64, gf_triple64)

#endif /* GF_GLOVE_H */
