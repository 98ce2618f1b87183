/* The cooccurrence counter, included by cooc.pyx.
 *
 * As in Stanford's cooccur.c, pairs whose frequency ranks multiply to less than `max_product` are
 * summed in a dense (fixed-point) table (these are the hot, high-count pairs); the rest go to an
 * overflow buffer that is radix-sorted and reduced into runs. Each thread counts a slice of the
 * token stream (conventions in tokens.h): dense increments are staged per table region and land
 * in one shared table under a per-region lock, overflow goes to the thread's own buffer. The
 * output is emitted in (row, col) order with no duplicates.
 */
#ifndef GF_COOC_H
#define GF_COOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "platform.h"
#include "tokens.h"

/* ------------------------------------------------------------------------------------------ */
/* cooccurrence counting                                                                       */

/* A sorted, reduced overflow run: key = row * V + col, value in the dense table's fixed point.
 * Runs spilled to disk are these 16-byte entries, little-endian, as they are in memory. */
typedef struct {
    uint64_t key;
    int64_t val;
} gf_entry;

typedef struct {
    gf_entry *e;
    int64_t n;
} gf_run;

/* Dense increments are staged per table region (2^GF_REGION_BITS cells, half of this
 * machine's L2) and applied a bucket at a time, turning random DRAM read-modify-writes into
 * cache-local ones. A staged increment is one uint32: the index inside the region in the low
 * GF_REGION_BITS bits and a weight code above (distance d in 8 bits, diagonal flag at bit 8), so
 * staging moves 4 bytes per pair. */
#define GF_REGION_BITS 16
#define GF_REGION_MASK ((1u << GF_REGION_BITS) - 1)
#define GF_BUCKET_CAP 1024
#define GF_APPLY_AHEAD 64

/* Counts are fixed point with 32 fractional bits, in the dense table and in the overflow runs
 * alike. Integer sums do not depend on the order of the additions, so threads can share the
 * table, and the counts come out the same on every run, for every thread count, table size and
 * spill pattern; each weight is rounded once (error < 2^-33 per pair, about 1e-10 of a count),
 * and a cell can hold 2^31 pairs' worth. */
#define GF_FIX_ONE 4294967296.0

/* A staged weight code (d | diagonal << 8) takes 9 bits. When a key (row * V + col, below V^2)
 * leaves them free in 64 bits, an overflow entry is the key and the code in one uint64 (8 bytes
 * instead of 16, and its weight is looked up when the sorted buffer is reduced): true for any
 * vocabulary below about 190 million words. */
#define GF_CODE_BITS 9
#define GF_CODE_MASK ((1u << GF_CODE_BITS) - 1)

static int gf_key_bits(int64_t V) {
    int bits = 1;
    while (bits < 64 && ((uint64_t)1 << bits) < (uint64_t)V * (uint64_t)V) bits++;
    return bits;
}

/* Testing hook: 1 makes new counters use the 16-byte layout, which only vocabularies of over
 * ~190M words need otherwise. */
static int gf_cooc_force_wide = 0;

static void gf_cooc_set_force_wide(int wide) {
    gf_cooc_force_wide = wide;
}

static int gf_cooc_packs(int64_t V) {
    return !gf_cooc_force_wide && gf_key_bits(V) + GF_CODE_BITS <= 64;
}

typedef struct {
    uint32_t *stage;    /* staged dense increments: nbuckets x GF_BUCKET_CAP */
    uint32_t *sfill;
    uint64_t *keys;     /* overflow buffer */
    int64_t *vals;
    uint64_t *keys2;    /* radix sort scratch, allocated once */
    int64_t *vals2;     /* (not allocated when packed: keys2 holds the reduced values) */
    int64_t nbuf;
    gf_run run;         /* all flushed overflow, sorted and reduced */
    int failed;
} gf_cooc_thread;

typedef struct {
    int64_t V;
    int window;
    int symmetric;
    int nthreads;
    int64_t wfix[512];  /* weight of a staged code d | diagonal << 8, in the dense table's fixed point */
    uint32_t *lim;      /* dense row r holds columns [c0(r), lim[r]); c0(r) = r if symmetric, else 0 */
    int64_t *off;       /* (r, col) sits at dense[off[r] + col] (off[r] already subtracts c0(r)) */
    int64_t *rownnz;    /* nonzeros of each dense row, set by gf_cooc_finish */
    int64_t *dense;     /* one table shared by all threads (see gf_apply_bucket), fixed point; a gf_big buffer */
    uint64_t dense_size;
    int64_t nbuckets;
    int64_t buf_cap;
    int key_bits;
    int packed;         /* overflow entries are key << GF_CODE_BITS | code, 8 bytes (see gf_cooc_slice) */
#ifdef _OPENMP
    omp_lock_t *locks;  /* one per region */
#endif
    gf_cooc_thread *th;
    int finished;       /* gf_cooc_finish or gf_cooc_direct_prepare ran: buffers freed, rownnz set */
    /* set by gf_cooc_direct_prepare, used by gf_cooc_direct_emit */
    uint64_t *sorted;   /* every overflow entry, packed, sorted by key (not reduced) */
    int64_t nsorted;
    int64_t dsplit[65]; /* emit thread t writes rows [dsplit[t], dsplit[t+1]) */
    int64_t dstart[65]; /* at output [dstart[t], dstart[t+1]) */
} gf_cooc;

/* As in Stanford's cooccur, the pair (r, col) is dense when (r + 1) (col + 1) <= P, so row r's
 * dense columns end at P / (r + 1). A symmetric count stores only the upper triangle, so its rows
 * start at the diagonal and rows past sqrt(P) hold nothing: no table memory is spent on cells
 * that can never be hit. */
static uint64_t gf_dense_end(int64_t V, uint64_t P, int64_t r) {
    uint64_t l = P / (uint64_t)(r + 1);
    return l < (uint64_t)V ? l : (uint64_t)V;
}

static uint64_t gf_dense_entries(int64_t V, uint64_t P, int symmetric) {
    uint64_t total = 0;
    for (int64_t r = 0; r < V; r++) {
        uint64_t l = gf_dense_end(V, P, r), c0 = symmetric ? (uint64_t)r : 0;
        if (l <= c0) break; /* the end falls and c0 grows with r: no later row has cells either */
        total += l - c0;
    }
    return total;
}

/* Index in the dense table of row r's first cell (r = V: the table's end); rows lie in order. */
static int64_t gf_dense_row_start(const gf_cooc *c, int64_t r) {
    return r < c->V ? c->off[r] + (c->symmetric ? r : 0) : c->off[c->V];
}

static void gf_cooc_free_thread(gf_cooc_thread *T) {
    free(T->stage); free(T->sfill);
    gf_big_free(T->keys); gf_big_free(T->vals); gf_big_free(T->keys2); gf_big_free(T->vals2);
    T->stage = NULL; T->sfill = NULL;
    T->keys = NULL; T->vals = NULL; T->keys2 = NULL; T->vals2 = NULL;
}

static void gf_cooc_free(gf_cooc *c) {
    if (!c) return;
    if (c->th) {
        for (int t = 0; t < c->nthreads; t++) {
            gf_cooc_free_thread(&c->th[t]);
            gf_big_free(c->th[t].run.e);
        }
        free(c->th);
    }
#ifdef _OPENMP
    if (c->locks) {
        for (int64_t b = 0; b < c->nbuckets; b++) omp_destroy_lock(&c->locks[b]);
        free(c->locks);
    }
#endif
    gf_big_free(c->dense);
    gf_big_free(c->sorted);
    free(c->lim);
    free(c->off);
    free(c->rownnz);
    free(c);
}

/* dense_bytes: memory for the dense table (shared by the threads); buf_cap: overflow entries per
 * thread and flush. */
static gf_cooc *gf_cooc_new(int64_t V, int window, int harmonic, int symmetric, int nthreads,
                            uint64_t dense_bytes, int64_t buf_cap) {
    if (window < 1 || window > 255 || V < 1 || nthreads < 1 || nthreads > 64) return NULL;
    gf_cooc *c = (gf_cooc *)calloc(1, sizeof(gf_cooc));
    if (!c) return NULL;
    c->V = V;
    c->window = window;
    c->symmetric = symmetric;
    c->nthreads = nthreads;
    c->buf_cap = buf_cap;
    for (int d = 1; d <= window; d++) {
        double w = harmonic ? 1.0 / d : 1.0;
        c->wfix[d] = (int64_t)(w * GF_FIX_ONE + 0.5);
        c->wfix[256 + d] = (int64_t)(2.0 * w * GF_FIX_ONE + 0.5); /* a diagonal pair is context on both sides */
    }
    /* largest P whose dense table fits in dense_bytes (binary search; entries grow with P) */
    uint64_t want = dense_bytes / sizeof(int64_t);
    uint64_t lo = 0, hi = (uint64_t)V * (uint64_t)V;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (gf_dense_entries(V, mid, symmetric) <= want) lo = mid; else hi = mid - 1;
    }
    uint64_t P = lo;
    c->lim = (uint32_t *)calloc((size_t)V, sizeof(uint32_t));
    c->off = (int64_t *)calloc((size_t)V + 1, sizeof(int64_t));
    c->rownnz = (int64_t *)calloc((size_t)V, sizeof(int64_t));
    if (!c->lim || !c->off || !c->rownnz) { gf_cooc_free(c); return NULL; }
    uint64_t acc = 0;
    for (int64_t r = 0; r < V; r++) {
        uint64_t l = gf_dense_end(V, P, r), c0 = symmetric ? (uint64_t)r : 0;
        if (l <= c0) l = 0; /* no dense cells: every column fails col < lim */
        c->lim[r] = (uint32_t)l;
        c->off[r] = (int64_t)acc - (int64_t)c0;
        if (l) acc += l - c0;
    }
    c->off[V] = (int64_t)acc;
    c->dense_size = acc;
    c->nbuckets = (int64_t)((acc + ((uint64_t)1 << GF_REGION_BITS) - 1) >> GF_REGION_BITS);
    c->key_bits = gf_key_bits(V);
    c->packed = gf_cooc_packs(V);
    c->dense = acc ? (int64_t *)gf_big_calloc((size_t)acc * sizeof(int64_t)) : NULL;
    if (acc && !c->dense) { gf_cooc_free(c); return NULL; }
#ifdef _OPENMP
    if (nthreads > 1 && c->nbuckets) {
        c->locks = (omp_lock_t *)malloc((size_t)c->nbuckets * sizeof(omp_lock_t));
        if (!c->locks) { gf_cooc_free(c); return NULL; }
        for (int64_t b = 0; b < c->nbuckets; b++) omp_init_lock(&c->locks[b]);
    }
#endif
    c->th = (gf_cooc_thread *)calloc((size_t)nthreads, sizeof(gf_cooc_thread));
    if (!c->th) { gf_cooc_free(c); return NULL; }
    for (int t = 0; t < nthreads; t++) {
        gf_cooc_thread *T = &c->th[t];
        T->keys = (uint64_t *)gf_big_alloc((size_t)buf_cap * sizeof(uint64_t));
        T->keys2 = (uint64_t *)gf_big_alloc((size_t)buf_cap * sizeof(uint64_t));
        if (!c->packed) {
            T->vals = (int64_t *)gf_big_alloc((size_t)buf_cap * sizeof(int64_t));
            T->vals2 = (int64_t *)gf_big_alloc((size_t)buf_cap * sizeof(int64_t));
        }
        int64_t nb = c->nbuckets ? c->nbuckets : 1;
        T->stage = (uint32_t *)malloc((size_t)nb * GF_BUCKET_CAP * sizeof(uint32_t));
        T->sfill = (uint32_t *)calloc((size_t)nb, sizeof(uint32_t));
        if (!T->keys || !T->keys2 || (!c->packed && (!T->vals || !T->vals2)) || !T->stage || !T->sfill) {
            gf_cooc_free(c);
            return NULL;
        }
    }
    return c;
}

/* LSD radix sort of (keys, vals) by the low `bits` bits of the keys, 11 bits per pass, using
 * scratch arrays k2/v2 of at least n entries. */
static void gf_radix_sort(uint64_t *keys, int64_t *vals, uint64_t *k2, int64_t *v2, int64_t n, int bits) {
    if (n < 2) return;
    uint64_t *ks = keys, *kd = k2;
    int64_t *vs = vals, *vd = v2;
    int passes = 0;
    for (int shift = 0; shift < bits; shift += 11) {
        int64_t count[2048];
        memset(count, 0, sizeof(count));
        for (int64_t i = 0; i < n; i++) count[(ks[i] >> shift) & 2047]++;
        int64_t sum = 0;
        for (int b = 0; b < 2048; b++) { int64_t x = count[b]; count[b] = sum; sum += x; }
        for (int64_t i = 0; i < n; i++) {
            int64_t pos = count[(ks[i] >> shift) & 2047]++;
            kd[pos] = ks[i];
            vd[pos] = vs[i];
        }
        uint64_t *tk = ks; ks = kd; kd = tk;
        int64_t *tv = vs; vs = vd; vd = tv;
        passes++;
    }
    if (passes & 1) {
        memcpy(keys, ks, (size_t)n * sizeof(uint64_t));
        memcpy(vals, vs, (size_t)n * sizeof(int64_t));
    }
}

/* LSD radix sort of packed overflow entries by their key, bits [GF_CODE_BITS, GF_CODE_BITS +
 * bits), 11 bits per pass: the digit counts of every pass come from one read of the data, and a
 * pass whose digit is the same for all entries is skipped. Returns the array holding the result
 * (a or tmp). */
static uint64_t *gf_radix_sort_packed(uint64_t *a, uint64_t *tmp, int64_t n, int bits) {
    enum { MAXP = (64 + 10) / 11 };
    int passes = (bits + 10) / 11;
    if (n < 2 || passes == 0) return a;
    if (passes > MAXP) passes = MAXP;
    int64_t (*count)[2048] = (int64_t (*)[2048])calloc((size_t)passes, sizeof(*count));
    if (!count) { /* no memory for the counts: sort one pass at a time on the stack */
        int64_t one[2048];
        uint64_t *src = a, *dst = tmp;
        for (int p = 0; p < passes; p++) {
            const int shift = GF_CODE_BITS + 11 * p;
            memset(one, 0, sizeof(one));
            for (int64_t i = 0; i < n; i++) one[(src[i] >> shift) & 2047]++;
            int64_t sum = 0;
            for (int b = 0; b < 2048; b++) { int64_t x = one[b]; one[b] = sum; sum += x; }
            for (int64_t i = 0; i < n; i++) dst[one[(src[i] >> shift) & 2047]++] = src[i];
            uint64_t *t = src; src = dst; dst = t;
        }
        return src;
    }
    for (int64_t i = 0; i < n; i++) {
        const uint64_t x = a[i] >> GF_CODE_BITS;
        for (int p = 0; p < passes; p++) count[p][(x >> (11 * p)) & 2047]++;
    }
    uint64_t *src = a, *dst = tmp;
    for (int p = 0; p < passes; p++) {
        const int shift = GF_CODE_BITS + 11 * p;
        int64_t *cp = count[p];
        if (cp[(src[0] >> shift) & 2047] == n) continue; /* one digit value: nothing moves */
        int64_t sum = 0;
        for (int b = 0; b < 2048; b++) { int64_t x = cp[b]; cp[b] = sum; sum += x; }
        for (int64_t i = 0; i < n; i++) dst[cp[(src[i] >> shift) & 2047]++] = src[i];
        uint64_t *t = src; src = dst; dst = t;
    }
    free(count);
    return src;
}

/* Sort and reduce the overflow buffer, then merge it into the thread's single sorted run. */
static int gf_cooc_flush(gf_cooc *c, gf_cooc_thread *T) {
    int64_t n = T->nbuf;
    if (n == 0) return 0;
    const uint64_t *bk;
    const int64_t *bv;
    int64_t o = 0;
    if (c->packed) {
        /* sorted entries end in one array; reduce them in place (keys) and put the sums in the
         * other (free after the sort) */
        uint64_t *e = gf_radix_sort_packed(T->keys, T->keys2, n, c->key_bits);
        int64_t *sums = (int64_t *)(e == T->keys ? T->keys2 : T->keys);
        const int64_t *wt = c->wfix;
        uint64_t cur = e[0] >> GF_CODE_BITS;
        int64_t acc = wt[e[0] & GF_CODE_MASK];
        for (int64_t i = 1; i < n; i++) {
            const uint64_t x = e[i], k = x >> GF_CODE_BITS;
            if (k == cur) acc += wt[x & GF_CODE_MASK];
            else { e[o] = cur; sums[o++] = acc; cur = k; acc = wt[x & GF_CODE_MASK]; }
        }
        e[o] = cur;
        sums[o++] = acc;
        bk = e;
        bv = sums;
    } else {
        gf_radix_sort(T->keys, T->vals, T->keys2, T->vals2, n, c->key_bits);
        for (int64_t i = 1; i < n; i++) {
            if (T->keys[i] == T->keys[o]) T->vals[o] += T->vals[i];
            else { o++; T->keys[o] = T->keys[i]; T->vals[o] = T->vals[i]; }
        }
        o++;
        bk = T->keys;
        bv = T->vals;
    }
    /* grow the run (realloc keeps its pages) and merge from the back, in place */
    int64_t m = T->run.n;
    gf_entry *a = (gf_entry *)gf_big_realloc(T->run.e, (size_t)(m + o) * sizeof(gf_entry));
    if (!a) return -1;
    T->run.e = a;
    int64_t i = m - 1, j = o - 1, k = m + o - 1;
    while (j >= 0) {
        if (i >= 0 && a[i].key > bk[j]) a[k--] = a[i--];
        else if (i >= 0 && a[i].key == bk[j]) { a[k].key = a[i].key; a[k--].val = a[i--].val + bv[j--]; }
        else { a[k].key = bk[j]; a[k--].val = bv[j--]; }
    }
    /* the run's untouched head is [0, i]; merged entries sit at [k+1, m+o): close the gap that
     * merged duplicates left between them */
    int64_t first = k + 1, len = m + o - first;
    if (first > i + 1) memmove(a + i + 1, a + first, (size_t)len * sizeof(gf_entry));
    len += i + 1;
    T->run.n = len;
    T->nbuf = 0;
    return 0;
}

/* Apply a thread's staged increments of region b. The threads share one dense table, so a region
 * is locked while a batch lands in it: with 2^GF_REGION_BITS-entry regions and batches of
 * GF_BUCKET_CAP the lock is taken once per ~1000 increments and rarely contended, and memory is
 * one table instead of one per thread (no summing pass at the end either). */
static void gf_apply_bucket(gf_cooc *c, gf_cooc_thread *T, int64_t b) {
    const uint32_t *e = T->stage + b * GF_BUCKET_CAP;
    int64_t *region = c->dense + ((uint64_t)b << GF_REGION_BITS);
    const int64_t *wt = c->wfix;
    uint32_t n = T->sfill[b];
#ifdef _OPENMP
    if (c->locks) omp_set_lock(&c->locks[b]);
#endif
    /* The batch's cells are scattered over a region that is rarely still in L2: prefetching
     * (for writing) 64 increments ahead keeps that many misses in flight instead of the few the
     * out-of-order window finds on its own. Measured on the 1M-token slice: pairs 43-47 -> 36-38
     * ms (median of 15 counts, three interleaved rounds); prefetching 8, 16 or 32 ahead gained
     * less, 128 no more. */
    uint32_t k = 0;
    for (; k + GF_APPLY_AHEAD < n; k++) {
        GF_PREFETCHW(&region[e[k + GF_APPLY_AHEAD] & GF_REGION_MASK]);
        region[e[k] & GF_REGION_MASK] += wt[e[k] >> GF_REGION_BITS];
    }
    for (; k < n; k++) region[e[k] & GF_REGION_MASK] += wt[e[k] >> GF_REGION_BITS];
#ifdef _OPENMP
    if (c->locks) omp_unset_lock(&c->locks[b]);
#endif
    T->sfill[b] = 0;
}

/* Count the pairs whose later token lies in tok[start:end) with thread t's buffers. Windows look
 * back across the slice start (reading only), so slices can be counted independently. Dense
 * increments stay staged until gf_cooc_drain. */
static void gf_cooc_slice(gf_cooc *c, int t, const int32_t *tok, int64_t start, int64_t end) {
    gf_cooc_thread *T = &c->th[t];
    if (T->failed) return;
    /* the loop's state in locals: the buffers' 64-bit stores could otherwise alias the counter's
     * fields (nbuf, V, buf_cap), which the compiler would then reload after every pair */
    const int window = c->window;
    const int symmetric = c->symmetric;
    const int packed = c->packed;
    const uint32_t *lim = c->lim;
    const int64_t *off = c->off;
    const int64_t *wfix = c->wfix;
    uint32_t *stage = T->stage;
    uint32_t *sfill = T->sfill;
    uint64_t *keys = T->keys;
    int64_t *vals = T->vals;
    const uint64_t V = (uint64_t)c->V;
    const int64_t cap = c->buf_cap;
    int64_t nbuf = T->nbuf;
    for (int64_t p = start; p < end; p++) {
        int32_t b = tok[p];
        if (b < 0) continue;
        int64_t dmax = p < window ? p : window;
        for (int64_t d = 1; d <= dmax; d++) {
            int32_t a = tok[p - d];
            if (a == GF_SEP) break;
            if (a == GF_SKIP) continue;
            int64_t r, col;
            uint32_t code;
            if (symmetric) {
                /* upper triangle of the symmetric matrix; written branch-free: a < b is a coin
                 * flip the predictor cannot learn */
                r = a < b ? a : b;
                col = a < b ? b : a;
                code = (uint32_t)d | ((uint32_t)(a == b) << 8);
            } else {
                r = b; /* row: word, column: its left context */
                col = a;
                code = (uint32_t)d;
            }
            if ((uint32_t)col < lim[r]) {
                /* dense: staged (col >= c0(r), as symmetric pairs have lo <= hi) */
                uint64_t idx = (uint64_t)(off[r] + col);
                int64_t bk = (int64_t)(idx >> GF_REGION_BITS);
                uint32_t f = sfill[bk]++;
                stage[bk * GF_BUCKET_CAP + f] = ((uint32_t)idx & GF_REGION_MASK) | (code << GF_REGION_BITS);
                if (f + 1 == GF_BUCKET_CAP) gf_apply_bucket(c, T, bk);
                continue;
            }
            const uint64_t key = (uint64_t)r * V + (uint64_t)col;
            if (packed) {
                keys[nbuf] = key << GF_CODE_BITS | code; /* half the bytes to write and to sort */
            } else {
                keys[nbuf] = key;
                vals[nbuf] = wfix[code];
            }
            if (++nbuf == cap) {
                T->nbuf = nbuf;
                if (gf_cooc_flush(c, T) != 0) { T->failed = 1; return; }
                nbuf = 0;
            }
        }
    }
    T->nbuf = nbuf;
}

/* Apply thread t's staged dense increments. */
static void gf_cooc_drain(gf_cooc *c, int t) {
    gf_cooc_thread *T = &c->th[t];
    for (int64_t b = 0; b < c->nbuckets; b++)
        if (T->sfill[b]) gf_apply_bucket(c, T, b); /* no lock round-trip for empty regions */
}

/* Slices per thread of one gf_cooc_count call, handed out dynamically: a thread that stops to
 * sort its overflow buffer takes fewer slices instead of making the others wait at the end. */
#define GF_SLICES_PER_THREAD 8
#define GF_MIN_SLICE 4096

/* Count the pairs whose later token lies in tok[start:n); tok[0:start) is context carried over
 * from the previous chunk (at least `window` ids of it, or the stream's start). Returns 0, or -1
 * when out of memory. */
static int gf_cooc_count(gf_cooc *c, const int32_t *tok, int64_t start, int64_t n) {
    int nt = c->nthreads;
    int failed = 0;
    int64_t len = n - start;
    if (len <= 0) return 0;
    int64_t slices = nt == 1 ? 1 : (int64_t)nt * GF_SLICES_PER_THREAD;
    if (slices > 1 && len / slices < GF_MIN_SLICE) slices = len / GF_MIN_SLICE > nt ? len / GF_MIN_SLICE : nt;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
    {
        const int t = omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
        for (int64_t s = 0; s < slices; s++)
            gf_cooc_slice(c, t, tok, start + len * s / slices, start + len * (s + 1) / slices);
        gf_cooc_drain(c, t);
    }
#else
    for (int64_t s = 0; s < slices; s++)
        gf_cooc_slice(c, 0, tok, start + len * s / slices, start + len * (s + 1) / slices);
    gf_cooc_drain(c, 0);
#endif
    for (int t = 0; t < nt; t++) failed |= c->th[t].failed;
    return failed ? -1 : 0;
}

/* Count each dense row's nonzeros (rownnz); returns their sum. */
static int64_t gf_cooc_scan_dense(gf_cooc *c) {
    int64_t total = 0;
    if (!c->dense) return 0;
    const int64_t V = c->V;
#ifdef _OPENMP
#pragma omp parallel for num_threads(c->nthreads) schedule(dynamic, 64) reduction(+ : total)
#endif
    for (int64_t r = 0; r < V; r++) {
        const int64_t *dense = c->dense;
        const int64_t o = c->off[r];
        int64_t k = 0;
        for (int64_t j = c->symmetric ? r : 0; j < (int64_t)c->lim[r]; j++) k += dense[o + j] != 0;
        c->rownnz[r] = k;
        total += k;
    }
    return total;
}

/* Flush the overflow buffers, count each dense row's nonzeros, and return an upper bound of the
 * number of nonzeros (or -1 when out of memory). */
static int64_t gf_cooc_finish(gf_cooc *c) {
    int nt = c->nthreads;
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1) reduction(| : failed)
#endif
    for (int t = 0; t < nt; t++) {
        if (gf_cooc_flush(c, &c->th[t]) != 0) failed = 1;
        gf_cooc_free_thread(&c->th[t]);
    }
    if (failed) return -1;
    c->finished = 1;
    int64_t bound = gf_cooc_scan_dense(c);
    for (int t = 0; t < nt; t++) bound += c->th[t].run.n;
    return bound;
}

/* First index of a sorted run whose key is >= key. */
static int64_t gf_lower_bound(const gf_entry *e, int64_t n, uint64_t key) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (e[mid].key < key) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* Emit rows [r0, r1) of a k-way merge: for each row, the dense table's columns of `c` (if not
 * NULL; gf_cooc_finish must have run), then the row's entries of the sorted runs, equal keys
 * summed. Every run entry must lie in rows [r0, r1), and run columns of a row must not fall in
 * its dense range (true of overflow: its columns are >= lim[row]; runs from other counters hold
 * no dense part of this one), so the output is sorted without duplicates. Values are written as
 * float64 counts (`data`) and/or fixed point (`fix`); either may be NULL. With `ent` (else NULL)
 * the output is also written as run entries (key = row * V + col, fixed-point value), for run
 * files; rows and cols may then be NULL. `pos` is scratch of nruns entries. The branch-free dense
 * loop may write one slot past the returned count. */
static int64_t gf_emit_merge(const gf_cooc *c, uint64_t V, int64_t r0, int64_t r1, const gf_entry *const *runs,
                             const int64_t *lens, int nruns, int64_t *pos, int32_t *rows, int32_t *cols,
                             double *data, int64_t *fix, gf_entry *ent) {
    const int64_t *dense = c ? c->dense : NULL;
    for (int t = 0; t < nruns; t++) pos[t] = 0;
    int64_t out = 0;
    for (int64_t r = r0; r < r1; r++) {
        if (dense && c->rownnz[r]) {
            const int64_t o = c->off[r];
            int64_t lim = c->lim[r];
            for (int64_t j = c->symmetric ? r : 0; j < lim; j++) {
                int64_t x = dense[o + j];
                if (rows) { rows[out] = (int32_t)r; cols[out] = (int32_t)j; }
                if (data) data[out] = (double)x * (1.0 / GF_FIX_ONE);
                if (fix) fix[out] = x;
                if (ent) { ent[out].key = (uint64_t)r * V + (uint64_t)j; ent[out].val = x; }
                out += x != 0; /* branch-free: a zero is overwritten by the next entry */
            }
        }
        const uint64_t row_end = (uint64_t)(r + 1) * V;
        for (;;) {
            uint64_t key = UINT64_MAX;
            for (int t = 0; t < nruns; t++) {
                if (pos[t] < lens[t]) {
                    uint64_t k = runs[t][pos[t]].key;
                    if (k < key) key = k;
                }
            }
            if (key >= row_end) break;
            int64_t s = 0;
            for (int t = 0; t < nruns; t++) {
                if (pos[t] < lens[t] && runs[t][pos[t]].key == key) {
                    s += runs[t][pos[t]].val;
                    pos[t]++;
                }
            }
            if (rows) { rows[out] = (int32_t)r; cols[out] = (int32_t)(key - (uint64_t)r * V); }
            if (data) data[out] = (double)s * (1.0 / GF_FIX_ONE);
            if (fix) fix[out] = s;
            if (ent) { ent[out].key = key; ent[out].val = s; }
            out++;
        }
    }
    return out;
}

/* Emit rows [r0, r1) from the dense table and the threads' in-memory runs. */
static int64_t gf_emit_rows(const gf_cooc *c, int64_t r0, int64_t r1, int32_t *rows, int32_t *cols, double *data) {
    const uint64_t V = (uint64_t)c->V;
    const gf_entry *runs[64];
    int64_t lens[64], pos[64];
    for (int t = 0; t < c->nthreads; t++) {
        const gf_run *R = &c->th[t].run;
        int64_t lo = gf_lower_bound(R->e, R->n, (uint64_t)r0 * V);
        runs[t] = R->e + lo;
        lens[t] = gf_lower_bound(R->e, R->n, (uint64_t)r1 * V) - lo;
    }
    return gf_emit_merge(c, V, r0, r1, runs, lens, c->nthreads, pos, rows, cols, data, NULL, NULL);
}

/* Number of entries rows [r0, r1) can emit at most (dense nonzeros + overflow entries). */
static int64_t gf_emit_bound(const gf_cooc *c, int64_t r0, int64_t r1) {
    const uint64_t V = (uint64_t)c->V;
    int64_t b = 0;
    for (int64_t r = r0; r < r1; r++) b += c->rownnz[r];
    for (int t = 0; t < c->nthreads; t++) {
        const gf_run *R = &c->th[t].run;
        b += gf_lower_bound(R->e, R->n, (uint64_t)r1 * V) - gf_lower_bound(R->e, R->n, (uint64_t)r0 * V);
    }
    return b;
}

/* Write the whole matrix in (row, col) order, rows split among the threads. The arrays must hold
 * the bound from gf_cooc_finish plus nthreads (the branch-free dense loop writes one slot ahead).
 * Returns the number of nonzeros. */
static int64_t gf_cooc_emit(gf_cooc *c, int32_t *rows, int32_t *cols, double *data) {
    const int nt = c->nthreads;
    const int64_t V = c->V;
    int64_t r_split[65], start[65], count[64];
    /* balance the threads by their rows' bound (dense nonzeros + overflow entries) */
    int64_t total = gf_emit_bound(c, 0, V);
    r_split[0] = 0;
    {
        int64_t r = 0, acc = 0;
        for (int t = 1; t < nt; t++) {
            int64_t target = total * t / nt;
            int64_t step = V / 256 + 1;
            while (r < V) {
                int64_t r2 = r + step < V ? r + step : V;
                int64_t b = gf_emit_bound(c, r, r2);
                if (acc + b > target) break;
                acc += b;
                r = r2;
            }
            r_split[t] = r;
        }
        r_split[nt] = V;
    }
    start[0] = 0;
    for (int t = 0; t < nt; t++) start[t + 1] = start[t] + gf_emit_bound(c, r_split[t], r_split[t + 1]) + 1;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1)
#endif
    for (int t = 0; t < nt; t++)
        count[t] = gf_emit_rows(c, r_split[t], r_split[t + 1], rows + start[t], cols + start[t], data + start[t]);
    /* close the gaps left by duplicates merged across threads */
    int64_t out = count[0];
    for (int t = 1; t < nt; t++) {
        if (start[t] != out) {
            memmove(rows + out, rows + start[t], (size_t)count[t] * sizeof(int32_t));
            memmove(cols + out, cols + start[t], (size_t)count[t] * sizeof(int32_t));
            memmove(data + out, data + start[t], (size_t)count[t] * sizeof(double));
        }
        out += count[t];
    }
    return out;
}

/* ------------------------------------------------------------------------------------------ */
/* direct emit: counts that never left the buffers                                             */

/* A small corpus's overflow usually never fills a buffer: no run was flushed when counting ends.
 * Then the general path (sort each thread's buffer, reduce it into a 16-byte-entry run, merge
 * the threads' runs into the output, close the gaps their shared keys left) writes each entry
 * three times more than needed, and the runs are fresh memory as large as the output's overflow
 * part. gf_cooc_direct_prepare instead scatters all buffers by their key's top bits into one
 * array (one pass), frees the buffers, and sorts each bucket in cache; gf_cooc_direct_emit then
 * writes the output once, summing equal keys' weights as it goes, at offsets known exactly, so
 * threads leave no gaps. The counts are the same integers summed in a different order: the
 * output is identical. */

/* Whether the direct path applies: packed entries and nothing flushed yet. */
static int gf_cooc_direct_ok(const gf_cooc *c) {
    if (c->finished || !c->packed) return 0;
    for (int t = 0; t < c->nthreads; t++)
        if (c->th[t].run.n || c->th[t].failed) return 0;
    return 1;
}

/* Overflow entries waiting in the buffers. */
static int64_t gf_cooc_pending(const gf_cooc *c) {
    int64_t n = 0;
    if (c->finished) return 0;
    for (int t = 0; t < c->nthreads; t++) n += c->th[t].nbuf;
    return n;
}

/* Sort packed entries a[0:n) by key bits [GF_CODE_BITS, GF_CODE_BITS + bits), scratch tmp of n;
 * the result ends in a. LSD passes of at most 11 bits, counts in uint32 (n < 2^32). */
static void gf_sort_bucket(uint64_t *a, uint64_t *tmp, int64_t n, int bits) {
    if (n < 2 || bits <= 0) return;
    if (n <= 32) {
        for (int64_t i = 1; i < n; i++) {
            uint64_t x = a[i], k = x >> GF_CODE_BITS;
            int64_t j = i;
            while (j > 0 && (a[j - 1] >> GF_CODE_BITS) > k) { a[j] = a[j - 1]; j--; }
            a[j] = x;
        }
        return;
    }
    int passes = (bits + 10) / 11;
    int dbits = (bits + passes - 1) / passes;
    uint32_t count[2048];
    uint64_t *src = a, *dst = tmp;
    for (int p = 0; p < passes; p++) {
        const int shift = GF_CODE_BITS + dbits * p;
        const uint64_t mask = ((uint64_t)1 << dbits) - 1;
        memset(count, 0, sizeof(uint32_t) << dbits);
        for (int64_t i = 0; i < n; i++) count[(src[i] >> shift) & mask]++;
        uint32_t sum = 0;
        for (uint64_t v = 0; v <= mask; v++) { uint32_t x = count[v]; count[v] = sum; sum += x; }
        for (int64_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & mask]++] = src[i];
        uint64_t *t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, (size_t)n * sizeof(uint64_t));
}

/* First index of sorted packed entries whose key is >= key. */
static int64_t gf_lower_bound_packed(const uint64_t *e, int64_t n, uint64_t key) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if ((e[mid] >> GF_CODE_BITS) < key) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* Distinct keys among sorted packed entries e[p0:p1). */
static int64_t gf_distinct_packed(const uint64_t *e, int64_t p0, int64_t p1) {
    int64_t k = 0;
    for (int64_t i = p0; i < p1; i++) k += i == p0 || (e[i] >> GF_CODE_BITS) != (e[i - 1] >> GF_CODE_BITS);
    return k;
}

/* Sort the overflow for gf_cooc_direct_emit (gf_cooc_direct_ok must hold); frees the buffers.
 * Returns the exact number of nonzeros, or -1 when out of memory (the counter is then unusable). */
static int64_t gf_cooc_direct_prepare(gf_cooc *c) {
    const int nt = c->nthreads;
    const int64_t V = c->V;
    const int64_t n = gf_cooc_pending(c);
    const int kb = c->key_bits;
    const int dbits = kb < 11 ? kb : 11; /* bucket = the key's top dbits bits */
    const int kshift = kb - dbits;
    const int64_t B = (int64_t)1 << dbits;
    c->finished = 1;
    int64_t (*hist)[2048] = (int64_t (*)[2048])calloc((size_t)nt, sizeof(*hist));
    int64_t *bstart = (int64_t *)malloc((size_t)(B + 1) * sizeof(int64_t));
    int64_t *ndist = (int64_t *)calloc((size_t)B, sizeof(int64_t));
    c->sorted = (uint64_t *)gf_big_alloc((size_t)(n ? n : 1) * sizeof(uint64_t));
    c->nsorted = n;
    if (!hist || !bstart || !ndist || !c->sorted) {
        free(hist); free(bstart); free(ndist);
        for (int t = 0; t < nt; t++) gf_cooc_free_thread(&c->th[t]);
        return -1;
    }
    uint64_t *out = c->sorted;
    const int shift = GF_CODE_BITS + kshift;
    /* bucket counts per thread, then each thread scatters its own buffer */
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
#ifdef _OPENMP
#pragma omp for schedule(static, 1)
#endif
        for (int t = 0; t < nt; t++) {
            const uint64_t *k = c->th[t].keys;
            int64_t *h = hist[t];
            for (int64_t i = 0; i < c->th[t].nbuf; i++) h[k[i] >> shift]++;
        }
#ifdef _OPENMP
#pragma omp single
#endif
        {
            int64_t at = 0;
            for (int64_t b = 0; b < B; b++) {
                bstart[b] = at;
                for (int u = 0; u < nt; u++) { int64_t x = hist[u][b]; hist[u][b] = at; at += x; }
            }
            bstart[B] = at;
        }
#ifdef _OPENMP
#pragma omp for schedule(static, 1)
#endif
        for (int t = 0; t < nt; t++) {
            const uint64_t *k = c->th[t].keys;
            int64_t *h = hist[t];
            for (int64_t i = 0; i < c->th[t].nbuf; i++) out[h[k[i] >> shift]++] = k[i];
            gf_cooc_free_thread(&c->th[t]);
            c->th[t].nbuf = 0;
        }
    }
    free(hist);
    /* buckets to threads in contiguous ranges of about equal size; each sorts its own in cache */
    int64_t bsplit[65];
    bsplit[0] = 0;
    for (int t = 1; t < nt; t++) {
        int64_t b = bsplit[t - 1];
        while (b < B && bstart[b] < n * t / nt) b++;
        bsplit[t] = b;
    }
    bsplit[nt] = B;
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1) reduction(| : failed)
#endif
    for (int t = 0; t < nt; t++) {
        int64_t big = 0;
        for (int64_t b = bsplit[t]; b < bsplit[t + 1]; b++)
            if (bstart[b + 1] - bstart[b] > big) big = bstart[b + 1] - bstart[b];
        uint64_t *tmp = big > 32 ? (uint64_t *)malloc((size_t)big * sizeof(uint64_t)) : NULL;
        if (big > 32 && !tmp) { failed = 1; continue; }
        for (int64_t b = bsplit[t]; b < bsplit[t + 1]; b++) {
            gf_sort_bucket(out + bstart[b], tmp, bstart[b + 1] - bstart[b], kshift);
            ndist[b] = gf_distinct_packed(out, bstart[b], bstart[b + 1]);
        }
        free(tmp);
    }
    int64_t dense_nnz = gf_cooc_scan_dense(c);
    if (failed) { free(bstart); free(ndist); return -1; }
    /* rows to emit threads, balanced by dense nonzeros plus overflow entries before each row */
    int64_t *dense_before = (int64_t *)malloc((size_t)(V + 1) * sizeof(int64_t));
    if (!dense_before) { free(bstart); free(ndist); return -1; }
    dense_before[0] = 0;
    for (int64_t r = 0; r < V; r++) dense_before[r + 1] = dense_before[r] + c->rownnz[r];
    c->dsplit[0] = 0;
    c->dsplit[nt] = V;
    for (int t = 1; t < nt; t++) {
        const int64_t target = (dense_nnz + n) * t / nt;
        int64_t lo = c->dsplit[t - 1], hi = V; /* first row whose work before it reaches target */
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            int64_t w = dense_before[mid] + gf_lower_bound_packed(out, n, (uint64_t)mid * (uint64_t)V);
            if (w < target) lo = mid + 1; else hi = mid;
        }
        c->dsplit[t] = lo;
    }
    /* exact output sizes: dense nonzeros + distinct overflow keys of each row range */
    c->dstart[0] = 0;
    for (int t = 0; t < nt; t++) {
        const int64_t r0 = c->dsplit[t], r1 = c->dsplit[t + 1];
        const int64_t p0 = gf_lower_bound_packed(out, n, (uint64_t)r0 * (uint64_t)V);
        const int64_t p1 = gf_lower_bound_packed(out, n, (uint64_t)r1 * (uint64_t)V);
        int64_t k = 0;
        if (p0 < p1) {
            int64_t b0 = (int64_t)(out[p0] >> shift), b1 = (int64_t)(out[p1 - 1] >> shift);
            if (b0 == b1) {
                k = gf_distinct_packed(out, p0, p1);
            } else {
                k = gf_distinct_packed(out, p0, bstart[b0 + 1]) + gf_distinct_packed(out, bstart[b1], p1);
                for (int64_t b = b0 + 1; b < b1; b++) k += ndist[b];
            }
        }
        c->dstart[t + 1] = c->dstart[t] + dense_before[r1] - dense_before[r0] + k;
    }
    free(dense_before);
    free(bstart);
    free(ndist);
    return c->dstart[nt];
}

/* Gives back to the OS, 2 MB at a time, a range of memory that is read once from front to back,
 * as soon as each 2 MB of it has been read: the output the reading produces can then take those
 * pages instead of fresh ones. Only whole 2 MB blocks inside [lo, hi) are released, so a block
 * another thread still reads is never touched. */
typedef struct {
    uintptr_t next, stop;
} gf_releaser;

static void gf_releaser_init(gf_releaser *g, const void *lo, const void *hi) {
    const uintptr_t h = GF_HUGE;
    g->next = ((uintptr_t)lo + h - 1) / h * h;
    g->stop = (uintptr_t)hi / h * h;
}

static void gf_releaser_upto(gf_releaser *g, const void *p) {
    while (g->next + GF_HUGE <= (uintptr_t)p && g->next + GF_HUGE <= g->stop) {
        gf_release_pages((void *)g->next, GF_HUGE);
        g->next += GF_HUGE;
    }
}

/* Write the matrix prepared by gf_cooc_direct_prepare into arrays of its size, in (row, col)
 * order; frees the sorted overflow. */
static void gf_cooc_direct_emit(gf_cooc *c, int32_t *rows, int32_t *cols, double *data) {
    const int nt = c->nthreads;
    const uint64_t V = (uint64_t)c->V;
    const uint64_t *e = c->sorted;
    const int64_t n = c->nsorted;
    const int64_t *wt = c->wfix;
    const double scale = 1.0 / GF_FIX_ONE;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1)
#endif
    for (int t = 0; t < nt; t++) {
        const int64_t r0 = c->dsplit[t], r1 = c->dsplit[t + 1];
        int64_t out = c->dstart[t];
        int64_t p = gf_lower_bound_packed(e, n, (uint64_t)r0 * V);
        const int64_t pend = gf_lower_bound_packed(e, n, (uint64_t)r1 * V);
        /* the dense table's rows and the sorted overflow are read once, in row order: what
         * this thread has read is released as it goes, for the output's pages to reuse */
        gf_releaser rel_sorted, rel_dense = {0, 0};
        gf_releaser_init(&rel_sorted, e + p, e + pend);
        if (c->dense) gf_releaser_init(&rel_dense, c->dense + gf_dense_row_start(c, r0), c->dense + gf_dense_row_start(c, r1));
        for (int64_t r = r0; r < r1; r++) {
            if (c->dense && c->rownnz[r]) {
                /* branch-free, and stopping at the row's last nonzero so no slot past it is written */
                const int64_t *d = c->dense + c->off[r];
                const int64_t stop = out + c->rownnz[r];
                for (int64_t j = c->symmetric ? r : 0; out < stop; j++) {
                    int64_t x = d[j];
                    rows[out] = (int32_t)r;
                    cols[out] = (int32_t)j;
                    data[out] = (double)x * scale;
                    out += x != 0;
                }
            }
            const uint64_t row_end = ((uint64_t)r + 1) * V;
            while (p < pend && (e[p] >> GF_CODE_BITS) < row_end) {
                const uint64_t key = e[p] >> GF_CODE_BITS;
                int64_t sum = 0;
                do sum += wt[e[p] & GF_CODE_MASK];
                while (++p < pend && (e[p] >> GF_CODE_BITS) == key);
                rows[out] = (int32_t)r;
                cols[out] = (int32_t)(key - (uint64_t)r * V);
                data[out] = (double)sum * scale;
                out++;
            }
            gf_releaser_upto(&rel_sorted, e + p);
            if (c->dense) gf_releaser_upto(&rel_dense, c->dense + gf_dense_row_start(c, r + 1));
        }
    }
    gf_big_free(c->sorted);
    c->sorted = NULL;
    c->nsorted = 0;
}

#endif /* GF_COOC_H */
