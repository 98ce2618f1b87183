/* word2vec with negative sampling (skip-gram and CBOW), included by w2v.pyx.
 *
 * Input: a stream of int32 word ids (0..V-1, numbered by descending count) in which any negative
 * value separates two documents; windows never cross a separator. One call trains one epoch:
 * each of T OpenMP threads trains the centres of its own contiguous share of the stream (no
 * queue, no Python), and reads contexts beyond the share's ends as needed, so threads do not
 * cut documents. A thread walks its share in blocks of GF_W2V_BLOCK stream positions; a block is
 * the unit of everything that is not per token:
 *   - the learning rate: after each block a thread publishes its token count in its own slot of
 *     `progress` (a cache line per thread: nothing shared is written on the hot path) and reads
 *     the others' to set alpha = alpha0 - (alpha0 - min_alpha) * done / total for the next block;
 *   - the stop flag (`*stop` != 0 ends the call after the current block: Ctrl-C);
 *   - the subsampled buffer: the block's kept tokens, with up to `window` kept tokens of context
 *     on each side, separators kept as markers.
 *
 * Subsampling: word2vec.c's keep probability p = (sqrt(c / (s T)) + 1) s T / c, drawn per token
 * and per epoch, from a counter-based hash of (seed, epoch, position): any thread decides any
 * position the same way, so a window that reaches into another thread's share sees the same
 * tokens that thread trains.
 *
 * Negatives: unigram^ns_exponent through Walker's alias method (V entries of 8 bytes, O(1) per
 * draw: one 64-bit random number picks a column and tests its threshold). A draw equal to the
 * centre word is dropped, as in word2vec.c and gensim.
 *
 * Skip-gram (the pWord2Vec formulation, Ji et al. 2016): a centre word's window shares one set
 * of negatives, so its n_in context rows (input vectors, syn0) and its 1 + k output rows (the
 * centre word and the negatives, syn1) form a small dense problem: S = In Out^T, G = (label -
 * sigmoid(S)) alpha, then In += G Out and Out += G^T In, all from the values before the window.
 * CBOW: h = the sum (or mean) of the context rows, one output set per centre word; each context
 * row gets the whole error (word2vec.c's and gensim's mean mode; in sum mode it is divided by the
 * context size, as gensim does).
 *
 * Reproducibility: every random number comes from (seed, epoch, thread): one thread and one seed
 * give the same bits on every run and the same result whether epochs are run in one call each
 * across one or several fits (the schedule is carried by done_before / total).
 *
 * SIMD: w2v_simd.h is instantiated three times (portable C, AVX2+FMA, AVX-512) and the widest
 * the CPU supports is chosen at run time (x86-64 with GCC or Clang); elsewhere the portable one.
 */
#ifndef GF_W2V_H
#define GF_W2V_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* This module uses a few of the shared helpers; the rest would each warn as unused. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include "platform.h"
#include "rng.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* Stream positions per block (see above): alpha moves and the stop flag is read this often. */
#define GF_W2V_BLOCK 8192
/* Centres ahead whose rows are prefetched (and whose negatives are drawn ahead for that). */
#ifndef GF_W2V_AHEAD
#define GF_W2V_AHEAD 4
#endif
#define GF_W2V_RING 16 /* negative sets kept: a power of two > GF_W2V_AHEAD */
/* Slots of `progress` per thread: one cache line each. */
#define GF_W2V_SLOT 8

typedef struct {
    uint32_t prob;  /* keep the column's own word when the draw's high 32 bits are below this */
    int32_t alias;  /* else this word */
} gf_alias;

typedef struct {
    int sg;          /* 1 skip-gram, 0 CBOW */
    int cbow_mean;   /* CBOW: 1 mean of the contexts, 0 their sum */
    int dim;         /* vector size d; rows hold `stride` floats, the columns past d are 0 */
    int stride;      /* a multiple of 16 (64 bytes), >= dim */
    int window;
    int negative;
    int shrink;      /* 1: each centre's reach is uniform in 1..window (word2vec.c), 0: window */
    double alpha, min_alpha;
    int64_t done_before; /* tokens trained before this call (earlier epochs, earlier fits) */
    int64_t total;       /* tokens of the whole schedule (epochs x tokens per epoch) */
    uint64_t seed;
    int64_t epoch;       /* the epoch's number over the whole schedule: seeds its random numbers */
    int n_threads;
} gf_w2v_params;

typedef struct {
    double loss;      /* sum over (input, output) pairs of -log sigmoid(+-s) */
    int64_t examples; /* positive pairs (skip-gram: context-centre pairs; CBOW: centres) */
    int64_t tokens;   /* stream tokens (not separators) walked, kept or not */
    int64_t kept;     /* tokens kept by subsampling (centres) */
    int stopped;      /* the stop flag ended the call early */
} gf_w2v_result;

/* Test hook: with one thread, the kernel writes one record per centre into `trace` (see
 * GF_W2V_TRACE_LEN) until `trace_cap` records; NULL (always, outside tests) records nothing. */
typedef struct {
    int64_t *rec;
    int64_t cap;
    int64_t n;
} gf_w2v_trace;

/* A record: position, reach b, alpha (bits of a double), number of contexts, 2 window context
 * positions (-1 padded), number of outputs, 1 + negative output ids (-1 padded). */
static inline int64_t gf_w2v_trace_len(int window, int negative) {
    return 4 + 2 * (int64_t)window + 1 + 1 + (int64_t)negative;
}

/* ------------------------------------------------------------------------------------------ */
/* random numbers                                                                               */

static inline uint64_t gf_w2v_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Key of the subsampling draws of an epoch (the thread streams use other constants). */
static inline uint64_t gf_w2v_keep_key(uint64_t seed, int64_t epoch) {
    return gf_w2v_mix(gf_w2v_mix(seed ^ 0x5AB5A3D1E7C4F00DULL) + 0x9E3779B97F4A7C15ULL * (uint64_t)(epoch + 1));
}

/* Start state of a thread's stream `which` (0: windows, 1: negatives) in an epoch. */
static inline uint64_t gf_w2v_thread_state(uint64_t seed, int64_t epoch, int thread, int which) {
    uint64_t s = gf_w2v_mix(seed ^ (which ? 0xC2B2AE3D27D4EB4FULL : 0x165667B19E3779F9ULL));
    s = gf_w2v_mix(s + 0x9E3779B97F4A7C15ULL * (uint64_t)(epoch + 1));
    return gf_w2v_mix(s + 0xD1B54A32D192ED03ULL * (uint64_t)(thread + 1));
}

/* Whether the token at `pos` (word w) is kept this epoch: a pure function of (key, pos), so
 * every thread agrees. thresh[w] == UINT32_MAX: always kept (no draw needed). */
static inline int gf_w2v_keep(const uint32_t *thresh, uint64_t key, int64_t pos, int32_t w) {
    const uint32_t t = thresh[w];
    if (t == UINT32_MAX) return 1;
    return (uint32_t)(gf_w2v_mix(key + 0x9E3779B97F4A7C15ULL * (uint64_t)(pos + 1)) >> 32) < t;
}

/* One negative: column (low 32 bits scaled to [0, V)), kept or aliased by the high 32 bits. */
static inline int32_t gf_w2v_draw(const gf_alias *table, uint64_t n_words, uint64_t *s) {
    const uint64_t r = gf_splitmix64(s);
    const int32_t col = (int32_t)(((r & 0xFFFFFFFFULL) * n_words) >> 32);
    return (uint32_t)(r >> 32) < table[col].prob ? col : table[col].alias;
}

/* ------------------------------------------------------------------------------------------ */
/* tables built once per fit                                                                    */

/* word2vec.c's keep probability as a 32-bit threshold per word (UINT32_MAX: always kept).
 * sample <= 0 keeps everything. `total` is the number of in-vocabulary tokens. */
static void gf_w2v_keep_table(const int64_t *counts, int64_t n, double sample, double total, uint32_t *thresh) {
    const double st = sample * total;
    for (int64_t w = 0; w < n; w++) {
        double c = (double)counts[w];
        double p = (sample > 0 && c > 0) ? (sqrt(c / st) + 1.0) * st / c : 1.0;
        thresh[w] = p >= 1.0 ? UINT32_MAX : (uint32_t)(p * 4294967296.0);
    }
}

/* Walker's alias table of p_w proportional to counts[w]^power (Vose's construction in double,
 * thresholds rounded to 32 bits). Words with count 0 are never drawn. Returns 0, -1 when out of
 * memory, -2 when no word has a positive weight. */
static int gf_w2v_alias_table(const int64_t *counts, int64_t n, double power, gf_alias *table) {
    double *q = (double *)malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    int64_t *small = (int64_t *)malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    int64_t *large = (int64_t *)malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    if (!q || !small || !large) { free(q); free(small); free(large); return -1; }
    double sum = 0.0;
    for (int64_t w = 0; w < n; w++) {
        q[w] = counts[w] > 0 ? pow((double)counts[w], power) : 0.0;
        sum += q[w];
    }
    if (!(sum > 0.0) || !isfinite(sum)) { free(q); free(small); free(large); return -2; }
    int64_t ns = 0, nl = 0;
    for (int64_t w = 0; w < n; w++) {
        q[w] = q[w] * (double)n / sum; /* mean 1 */
        if (q[w] < 1.0) small[ns++] = w; else large[nl++] = w;
    }
    while (ns > 0 && nl > 0) {
        int64_t s = small[--ns], l = large[nl - 1];
        table[s].prob = q[s] >= 1.0 ? UINT32_MAX : (uint32_t)(q[s] * 4294967296.0);
        table[s].alias = (int32_t)l;
        q[l] -= 1.0 - q[s];
        if (q[l] < 1.0) { nl--; small[ns++] = l; }
    }
    /* what is left is 1 up to rounding: keep the column's own word */
    while (nl > 0) { int64_t l = large[--nl]; table[l].prob = UINT32_MAX; table[l].alias = (int32_t)l; }
    while (ns > 0) { int64_t s = small[--ns]; table[s].prob = UINT32_MAX; table[s].alias = (int32_t)s; }
    free(q); free(small); free(large);
    return 0;
}

/* A UINT32_MAX threshold keeps its column's word only up to a 2^-32 chance: exact enough, and
 * it keeps the draw branch-free. */

/* ------------------------------------------------------------------------------------------ */
/* a thread's block: the kept tokens with their contexts                                        */

typedef struct {
    int32_t *ids;   /* kept ids, separators as -1 */
    int64_t *pos;   /* their stream positions (only when tracing) */
    int64_t len;    /* entries */
    int64_t c0, c1; /* the block's own entries (the centres) are [c0, c1) */
    int64_t tokens; /* stream tokens in the block */
} gf_w2v_buf;

/* Fill `b` with block [p, q) of the stream `ids` (n positions): up to `window` kept tokens of the
 * same document before p, the block (kept tokens and separators), up to `window` after q. */
static void gf_w2v_fill(gf_w2v_buf *b, const int32_t *ids, int64_t n, int64_t p, int64_t q, int window,
                        const uint32_t *thresh, uint64_t key) {
    int64_t k = 0, tokens = 0;
    /* left context, collected backwards, then reversed into place */
    for (int64_t i = p - 1; i >= 0 && k < window; i--) {
        int32_t w = ids[i];
        if (w < 0) break;
        if (gf_w2v_keep(thresh, key, i, w)) {
            b->ids[k] = w;
            if (b->pos) b->pos[k] = i;
            k++;
        }
    }
    for (int64_t a = 0, z = k - 1; a < z; a++, z--) {
        int32_t t = b->ids[a]; b->ids[a] = b->ids[z]; b->ids[z] = t;
        if (b->pos) { int64_t u = b->pos[a]; b->pos[a] = b->pos[z]; b->pos[z] = u; }
    }
    b->c0 = k;
    for (int64_t i = p; i < q; i++) {
        int32_t w = ids[i];
        if (w < 0) {
            if (k > b->c0 && b->ids[k - 1] < 0) continue; /* one marker per run of separators */
            b->ids[k] = -1;
        } else {
            tokens++;
            if (!gf_w2v_keep(thresh, key, i, w)) continue;
            b->ids[k] = w;
        }
        if (b->pos) b->pos[k] = i;
        k++;
    }
    b->c1 = k;
    for (int64_t i = q, got = 0; i < n && got < window; i++) {
        int32_t w = ids[i];
        if (w < 0) break;
        if (gf_w2v_keep(thresh, key, i, w)) {
            b->ids[k] = w;
            if (b->pos) b->pos[k] = i;
            k++;
            got++;
        }
    }
    b->len = k;
    b->tokens = tokens;
}

/* The contexts of the centre at entry j within reach r: entries [*lo, j) and (j, *hi], stopping
 * at separators and at the buffer's ends. */
static inline void gf_w2v_reach(const gf_w2v_buf *b, int64_t j, int r, int64_t *lo, int64_t *hi) {
    int64_t l = j, h = j;
    while (l > 0 && j - l < r && b->ids[l - 1] >= 0) l--;
    while (h + 1 < b->len && h - j < r && b->ids[h + 1] >= 0) h++;
    *lo = l;
    *hi = h;
}

/* ------------------------------------------------------------------------------------------ */
/* run-time choice of the vector instructions                                                  */

#if defined(__GNUC__) && defined(__x86_64__) && !defined(GF_NO_W2V_SIMD)
#include <immintrin.h>
#define GF_W2V_X86 1
#else
#define GF_W2V_X86 0
#endif

#define GF_W2V_GENERIC 0
#define GF_W2V_AVX2 1
#define GF_W2V_AVX512 2

/* The widest kernel this CPU (and OS: the feature tests include its saving of the registers)
 * and build can run. */
static int gf_w2v_cpu_level(void) {
#if GF_W2V_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return GF_W2V_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return GF_W2V_AVX2;
#endif
    return GF_W2V_GENERIC;
}

static int gf_w2v_level = -1; /* the kernel in use; decided on first use (racy first use is harmless) */

static int gf_w2v_simd(void) {
    if (gf_w2v_level < 0) gf_w2v_level = gf_w2v_cpu_level();
    return gf_w2v_level;
}

/* Testing and measuring hook: use kernel `level` if this CPU has it (else the widest it has);
 * -1 goes back to the automatic choice. Returns the level now in use. */
static int gf_w2v_select(int level) {
    int best = gf_w2v_cpu_level();
    gf_w2v_level = (level < 0 || level > best) ? best : level;
    return gf_w2v_level;
}

/* Columns a kernel computes: d rounded up to its vector width (the padding is 0 and stays 0). */
static int gf_w2v_cols(int level, int dim) {
    int w = level == GF_W2V_AVX512 ? 16 : 8;
    return (dim + w - 1) / w * w;
}

/* ------------------------------------------------------------------------------------------ */
/* the logistic function, 8 outputs at a time                                                   */

/* Gradient factors and loss of up to 8 outputs of one input: s[o] are the dot products, output 0
 * is the positive one when `pos` (its label is 1; every other label is 0), outputs >= n are
 * padding. g[o] = (label - sigmoid(s)) alpha (0 for padding); returns the sum of
 * -log sigmoid(+-s). The exact logistic (no table, no clipping at +-6 as word2vec.c's table). */
static inline float gf_w2v_grad8_generic(const float *s, int n, int pos, float alpha, float *g) {
    float loss = 0.0f;
    for (int o = 0; o < 8; o++) {
        if (o >= n) { g[o] = 0.0f; continue; }
        const float x = s[o], e = expf(-fabsf(x)), r = 1.0f / (1.0f + e);
        const float sig = x >= 0 ? r : e * r;
        const int label = pos && o == 0;
        g[o] = ((float)label - sig) * alpha;
        loss += (label ? (x < 0 ? -x : 0.0f) : (x > 0 ? x : 0.0f)) + log1pf(e);
    }
    return loss;
}

#if GF_W2V_X86
#define GF_W2V_T_AVX2 __attribute__((target("avx2,fma")))

/* e^y for y <= 0 (Cephes' expf: range reduction by ln 2 in two parts and a degree-6
 * polynomial, about 1 ulp), clamped below at -87 where float's normal range ends. */
GF_W2V_T_AVX2 static inline __m256 gf_w2v_exp_neg8(__m256 y) {
    y = _mm256_max_ps(y, _mm256_set1_ps(-87.0f));
    const __m256 fx = _mm256_round_ps(_mm256_mul_ps(y, _mm256_set1_ps(1.44269504088896341f)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), y);
    r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
    const __m256 z = _mm256_mul_ps(r, r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i n = _mm256_cvtps_epi32(fx);
    const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(p, scale);
}

/* log(1 + e) for e in [0, 1]: 2 atanh(w) with w = e / (2 + e) <= 1/3, six terms (error < 2e-7). */
GF_W2V_T_AVX2 static inline __m256 gf_w2v_log1p8(__m256 e) {
    const __m256 w = _mm256_div_ps(e, _mm256_add_ps(e, _mm256_set1_ps(2.0f)));
    const __m256 w2 = _mm256_mul_ps(w, w);
    __m256 q = _mm256_set1_ps(1.0f / 11);
    q = _mm256_fmadd_ps(q, w2, _mm256_set1_ps(1.0f / 9));
    q = _mm256_fmadd_ps(q, w2, _mm256_set1_ps(1.0f / 7));
    q = _mm256_fmadd_ps(q, w2, _mm256_set1_ps(1.0f / 5));
    q = _mm256_fmadd_ps(q, w2, _mm256_set1_ps(1.0f / 3));
    q = _mm256_fmadd_ps(q, w2, _mm256_set1_ps(1.0f));
    return _mm256_mul_ps(_mm256_add_ps(w, w), q);
}

GF_W2V_T_AVX2 static inline float gf_w2v_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* The 8 horizontal sums of a0..a7 as one vector (lane k = sum of ak's lanes). */
GF_W2V_T_AVX2 static inline __m256 gf_w2v_hsum8x8(__m256 a0, __m256 a1, __m256 a2, __m256 a3, __m256 a4, __m256 a5,
                                                 __m256 a6, __m256 a7) {
    const __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    const __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(a4, a5), _mm256_hadd_ps(a6, a7));
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

/* gf_w2v_grad8_generic's contract, from the 8 dot products as a vector. */
GF_W2V_T_AVX2 static inline float gf_w2v_grad8_avx2(__m256 s, int n, int pos, float alpha, float *g) {
    static const int32_t lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    const __m256 valid = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(lanes + 8 - (n < 8 ? n : 8))));
    const __m256 zero = _mm256_setzero_ps();
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256 e = gf_w2v_exp_neg8(_mm256_sub_ps(zero, _mm256_and_ps(s, absmask)));
    const __m256 r = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f)));
    const __m256 nonneg = _mm256_cmp_ps(s, zero, _CMP_GE_OQ);
    const __m256 sig = _mm256_blendv_ps(_mm256_mul_ps(e, r), r, nonneg);
    const __m256 label = _mm256_set_ps(0, 0, 0, 0, 0, 0, 0, pos ? 1.0f : 0.0f);
    const __m256 gv = _mm256_mul_ps(_mm256_sub_ps(label, sig), _mm256_set1_ps(alpha));
    _mm256_storeu_ps(g, _mm256_and_ps(gv, valid));
    /* -log sigmoid(s) for the positive, -log sigmoid(-s) for the others: max(-+s, 0) + log1p(e) */
    const __m256 signed_s = _mm256_sub_ps(zero, _mm256_mul_ps(s, _mm256_sub_ps(_mm256_add_ps(label, label),
                                                                                 _mm256_set1_ps(1.0f))));
    const __m256 l = _mm256_add_ps(_mm256_max_ps(signed_s, zero), gf_w2v_log1p8(e));
    return gf_w2v_hsum8(_mm256_and_ps(l, valid));
}
#endif

/* The kernels themselves: one body, three instruction sets. */
#define GF_W2V_ISA GF_W2V_GENERIC
#include "w2v_simd.h"
#undef GF_W2V_ISA
#if GF_W2V_X86
#define GF_W2V_ISA GF_W2V_AVX2
#include "w2v_simd.h"
#undef GF_W2V_ISA
#define GF_W2V_ISA GF_W2V_AVX512
#include "w2v_simd.h"
#undef GF_W2V_ISA
#endif

#if defined(_OPENMP)
#define GF_W2V_OMP_THREADS(nt) GF_PRAGMA(omp parallel for num_threads(nt) schedule(static, 1))
#else
#define GF_W2V_OMP_THREADS(nt)
#endif

/* One epoch (see the top of this file). syn0, syn1: V rows of p->stride floats. `progress` has
 * GF_W2V_SLOT slots per thread, zeroed by the caller; slot t * GF_W2V_SLOT holds thread t's tokens
 * so far in this call (readable by another thread for a progress display). Returns 0, -1 when out
 * of memory. */
static int gf_w2v_epoch(float *syn0, float *syn1, const int32_t *ids, int64_t n, const uint32_t *thresh,
                        const gf_alias *table, int64_t n_words, const gf_w2v_params *p, volatile int64_t *progress,
                        volatile int32_t *stop, gf_w2v_trace *trace, gf_w2v_result *out) {
    const int nt = p->n_threads < 1 ? 1 : p->n_threads;
    gf_w2v_result *res = (gf_w2v_result *)calloc((size_t)nt, sizeof(gf_w2v_result));
    int *failed = (int *)calloc((size_t)nt, sizeof(int));
    if (!res || !failed) { free(res); free(failed); return -1; }
    const int level = gf_w2v_simd();
    GF_W2V_OMP_THREADS(nt)
    for (int t = 0; t < nt; t++) {
        const int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
        gf_w2v_trace *tr = nt == 1 ? trace : NULL;
        int rc;
#if GF_W2V_X86
        if (level == GF_W2V_AVX512)
            rc = gf_w2v_thread_avx512(syn0, syn1, ids, n, lo, hi, thresh, table, n_words, p, t, nt, progress, stop,
                                      tr, &res[t]);
        else if (level == GF_W2V_AVX2)
            rc = gf_w2v_thread_avx2(syn0, syn1, ids, n, lo, hi, thresh, table, n_words, p, t, nt, progress, stop, tr,
                                    &res[t]);
        else
#endif
            rc = gf_w2v_thread_generic(syn0, syn1, ids, n, lo, hi, thresh, table, n_words, p, t, nt, progress, stop,
                                       tr, &res[t]);
        (void)level;
        failed[t] = rc != 0;
    }
    memset(out, 0, sizeof(*out));
    int rc = 0;
    for (int t = 0; t < nt; t++) {
        out->loss += res[t].loss;
        out->examples += res[t].examples;
        out->tokens += res[t].tokens;
        out->kept += res[t].kept;
        out->stopped |= res[t].stopped;
        rc |= failed[t];
    }
    free(res);
    free(failed);
    return rc ? -1 : 0;
}

#endif /* GF_W2V_H */
