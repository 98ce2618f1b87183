# cython: language_level=3
"""Hot loops of glovefast: tokenising and counting text, cooccurrence counting and Adagrad epochs.

Only the loops live here (and in _count.h / _train.h); validation and the public API live in the
Python modules. Everything that loops over tokens or triples runs without the GIL.
"""
cimport cython
cimport numpy as cnp
from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t, uint8_t

import time

import numpy as np

cnp.import_array()

# Mirrors glovefast._validation.MAX_THREADS. The Python layer validates every thread count; the
# clamp below is a second line of defence, because OpenMP given an absurd count crashes the
# process (100,000 threads segfaulted libgomp) instead of raising.
cdef enum:
    _MAX_THREADS = 256


cdef inline int _clamp_threads(int n) nogil:
    if n < 1:
        return 1
    if n > _MAX_THREADS:
        return _MAX_THREADS
    return n


cdef extern from "_count.h" nogil:
    ctypedef struct gf_ibuf:
        int32_t *data
        int64_t n
        int64_t cap

    ctypedef struct gf_vocab:
        int64_t n
        int64_t *counts
        uint64_t *offsets
        uint32_t *lens
        char *arena
        gf_ibuf tokens
        int last_was_sep

    ctypedef struct gf_cooc:
        uint64_t dense_size

    int GF_SEP
    int GF_SKIP
    int GF_DROP
    int gf_ibuf_reserve(gf_ibuf *b, int64_t extra)
    int gf_vocab_init(gf_vocab *v)
    void gf_vocab_free(gf_vocab *v)
    int gf_vocab_feed(gf_vocab *v, const char *buf, int64_t length)
    int64_t gf_remap_tokens(int32_t *tok, int64_t n, const int32_t *remap)
    gf_cooc *gf_cooc_new(int64_t V, int window, int harmonic, int symmetric, int nthreads,
                         uint64_t dense_bytes, int64_t buf_cap)
    void gf_cooc_free(gf_cooc *c)
    int gf_cooc_count(gf_cooc *c, const int32_t *tok, int64_t n)
    int64_t gf_cooc_finish(gf_cooc *c)
    int64_t gf_cooc_emit(gf_cooc *c, int32_t *rows, int32_t *cols, double *data)


cdef extern from "_train.h" nogil:
    ctypedef struct gf_triple32:
        uint32_t i
        uint32_t j
        float logx
        float fx

    ctypedef struct gf_triple64:
        uint32_t i
        uint32_t j
        double logx
        double fx

    double gf_train_f32(float *W, float *C, int64_t stride, int dp, const gf_triple32 *t, int64_t n,
                        float lr, float max_loss, const float *R, int sum_mode)
    double gf_train_f64(double *W, double *C, int64_t stride, int dp, const gf_triple64 *t, int64_t n,
                        double lr, double max_loss, const double *R, int sum_mode)
    int gf_build32(const int32_t *rows, const int32_t *cols, const double *counts, int64_t nnz, int expand,
                   double x_max, double alpha, uint64_t seed, gf_triple32 *out, int64_t n, int nthreads)
    int gf_build64(const int32_t *rows, const int32_t *cols, const double *counts, int64_t nnz, int expand,
                   double x_max, double alpha, uint64_t seed, gf_triple64 *out, int64_t n, int nthreads)
    void gf_shuffle_i64(int64_t *a, int64_t n, uint64_t seed)
    int gf_have_clones()
    int gf_cpu_has_avx2_fma()
    int gf_use_avx2_kernel()
    int gf_f32_kernel
    int gf_openmp_enabled()


SEP = GF_SEP
SKIP = GF_SKIP
DROP = GF_DROP

TRIPLE32 = np.dtype([("i", "<u4"), ("j", "<u4"), ("logx", "<f4"), ("fx", "<f4")])
TRIPLE64 = np.dtype([("i", "<u4"), ("j", "<u4"), ("logx", "<f8"), ("fx", "<f8")])
assert TRIPLE32.itemsize == sizeof(gf_triple32) and TRIPLE64.itemsize == sizeof(gf_triple64)


def openmp_enabled():
    """True when the extension was compiled with OpenMP (multi-threaded counting and training)."""
    return bool(gf_openmp_enabled())


def _select_f32_kernel(bint avx2):
    """Testing hook: use the AVX2 rsqrt kernel (if this CPU and build have it) or the generic one.
    Returns whether the AVX2 kernel is now in use."""
    global gf_f32_kernel
    gf_f32_kernel = 0
    if avx2:
        gf_f32_kernel = -1
        gf_use_avx2_kernel()
    return bool(gf_f32_kernel)


def simd_info():
    """Which training kernel runs: runtime-dispatched AVX2/FMA, portable, or the build's -march."""
    if gf_use_avx2_kernel():
        return "avx2+fma, rsqrt (runtime dispatch)"
    if gf_have_clones():
        return "portable (runtime dispatch, no AVX2/FMA on this CPU)"
    return "compiler default (no runtime dispatch)"


cdef class TokenCounter:
    """A stream of token ids with document separators, and for text input its vocabulary.

    Text chunks (``feed_text``) are tokenised on ASCII whitespace in C and words get first-seen
    ids; id arrays (``feed_ids``) come from the Python token-list path. ``remap`` renumbers the
    stream in place and ``cooccur`` counts it.
    """
    cdef gf_vocab v
    cdef public dict timings  # seconds per stage of the last cooccur() call

    def __cinit__(self):
        if gf_vocab_init(&self.v) != 0:
            raise MemoryError("cannot allocate the vocabulary table")

    def __dealloc__(self):
        gf_vocab_free(&self.v)

    def feed_text(self, const uint8_t[::1] chunk not None):
        """Tokenise bytes that end on whitespace (a partial trailing token must be carried over)."""
        cdef int64_t n = chunk.shape[0]
        cdef int rc
        if n == 0:
            return
        with nogil:
            rc = gf_vocab_feed(&self.v, <const char *>&chunk[0], n)
        if rc != 0:
            raise MemoryError("out of memory while tokenising")

    def feed_ids(self, const int32_t[::1] ids not None):
        """Append ids as given: word ids >= 0, SKIP placeholders and SEP document separators."""
        cdef int64_t n = ids.shape[0], k
        cdef int32_t t
        cdef int last_sep = self.v.last_was_sep
        if n == 0:
            return
        if gf_ibuf_reserve(&self.v.tokens, n) != 0:
            raise MemoryError("out of memory while storing token ids")
        cdef int32_t *out = self.v.tokens.data
        cdef int64_t o = self.v.tokens.n
        for k in range(n):
            t = ids[k]
            if t == GF_SEP:
                if last_sep:
                    continue
                last_sep = 1
            else:
                last_sep = 0
            out[o] = t
            o += 1
        self.v.tokens.n = o
        self.v.last_was_sep = last_sep

    def end_document(self):
        """Close the current document (end of a file), so windows do not cross it."""
        if not self.v.last_was_sep:
            if gf_ibuf_reserve(&self.v.tokens, 1) != 0:
                raise MemoryError("out of memory while storing token ids")
            self.v.tokens.data[self.v.tokens.n] = GF_SEP
            self.v.tokens.n += 1
            self.v.last_was_sep = 1

    @property
    def n_words(self):
        return self.v.n

    @property
    def n_tokens(self):
        """Length of the id stream (words, SKIP placeholders and separators)."""
        return self.v.tokens.n

    def words(self):
        """The text path's words (bytes) in first-seen id order."""
        cdef int64_t i
        return [self.v.arena[self.v.offsets[i]:self.v.offsets[i] + self.v.lens[i]] for i in range(self.v.n)]

    def counts(self):
        """The text path's word counts in first-seen id order."""
        out = np.empty(self.v.n, dtype=np.int64)
        cdef int64_t[::1] o = out
        cdef int64_t i
        for i in range(self.v.n):
            o[i] = self.v.counts[i]
        return out

    def stream_counts(self, int64_t n_ids):
        """Occurrences of each id 0..n_ids-1 in the stream (for the token-list path)."""
        out = np.zeros(n_ids, dtype=np.int64)
        cdef int64_t[::1] o = out
        cdef int64_t k
        cdef int32_t t
        with nogil:
            for k in range(self.v.tokens.n):
                t = self.v.tokens.data[k]
                if t >= 0 and t < n_ids:
                    o[t] += 1
        return out

    def tokens(self):
        """A copy of the id stream (for tests and debugging)."""
        out = np.empty(self.v.tokens.n, dtype=np.int32)
        cdef int32_t[::1] o = out
        cdef int64_t k
        for k in range(self.v.tokens.n):
            o[k] = self.v.tokens.data[k]
        return out

    def remap(self, const int32_t[::1] remap not None):
        """Rewrite ids through ``remap`` (first-seen id -> final id, SKIP or DROP), in place."""
        cdef int64_t k, n = self.v.tokens.n
        cdef int32_t t, m = remap.shape[0]
        for k in range(n):
            t = self.v.tokens.data[k]
            if t >= m or t < GF_SKIP:
                raise IndexError(f"token id {t} has no entry in the remap table of size {m}")
        if n == 0:
            return 0
        with nogil:
            n = gf_remap_tokens(self.v.tokens.data, n, &remap[0])
        self.v.tokens.n = n
        return n

    def cooccur(self, int64_t n_words, int window, bint harmonic, bint symmetric, int n_threads,
                uint64_t dense_bytes, int64_t buffer_entries, bint release_tokens=True):
        """Count the (remapped) stream; returns (rows int32, cols int32, counts float64) sorted by
        (row, col) without duplicates. ``release_tokens`` frees the stream before the output is
        built, to lower peak memory."""
        n_threads = _clamp_threads(n_threads)
        if n_threads > 64:  # the counter's own limit (per-thread buffers); more would not help
            n_threads = 64
        cdef gf_cooc *c = gf_cooc_new(n_words, window, harmonic, symmetric, n_threads, dense_bytes,
                                      buffer_entries)
        cdef int rc
        cdef int64_t bound, nnz
        cdef int32_t[::1] r
        cdef int32_t[::1] co
        cdef double[::1] d
        if c == NULL:
            raise MemoryError("cannot allocate the cooccurrence tables; lower the memory budget")
        cdef dict times = {}
        t0 = time.perf_counter()
        try:
            with nogil:
                rc = gf_cooc_count(c, self.v.tokens.data, self.v.tokens.n)
            times["pairs"] = time.perf_counter() - t0
            if rc != 0:
                raise MemoryError("out of memory while counting cooccurrences")
            if release_tokens:
                gf_vocab_free(&self.v)
                gf_vocab_init(&self.v)
            t0 = time.perf_counter()
            with nogil:
                bound = gf_cooc_finish(c)
            times["finish"] = time.perf_counter() - t0
            if bound < 0:
                raise MemoryError("out of memory while sorting cooccurrences")
            t0 = time.perf_counter()
            # + n_threads: each thread's branch-free dense scan may write one slot past its share
            rows = np.empty(bound + n_threads, dtype=np.int32)
            cols = np.empty(bound + n_threads, dtype=np.int32)
            data = np.empty(bound + n_threads, dtype=np.float64)
            nnz = 0
            if True:
                r = rows
                co = cols
                d = data
                with nogil:
                    nnz = gf_cooc_emit(c, &r[0], &co[0], &d[0])
                if nnz < 0:
                    raise MemoryError("out of memory while merging cooccurrences")
            times["emit"] = time.perf_counter() - t0
        finally:
            gf_cooc_free(c)
        # shrinking in place reallocs without copying
        rows.resize(nnz, refcheck=False)
        cols.resize(nnz, refcheck=False)
        data.resize(nnz, refcheck=False)
        self.timings = times
        return rows, cols, data


def build_triples(const int32_t[::1] rows not None, const int32_t[::1] cols not None,
                  const double[::1] counts not None, bint expand, double x_max, double alpha,
                  uint64_t seed, bint double_precision, int n_threads=1):
    """Training triples (i, j, log x, f(x)) in a uniformly shuffled order.

    log x and the weight f(x) = min(1, (x / x_max)^alpha) are computed once here, not per update.
    With ``expand`` each off-diagonal entry also yields its transpose (a stored upper-triangle
    pair counts for both directions). The order depends on ``seed`` only, not on ``n_threads``.
    """
    cdef int64_t nnz = rows.shape[0], e, n = 0
    cdef int rc = 0
    n_threads = _clamp_threads(n_threads)
    if cols.shape[0] != nnz or counts.shape[0] != nnz:
        raise ValueError("rows, cols and counts must have the same length")
    for e in range(nnz):
        n += 2 if (expand and rows[e] != cols[e]) else 1
    out = np.empty(n, dtype=TRIPLE64 if double_precision else TRIPLE32)
    if n == 0:
        return out
    cdef uint8_t[::1] raw = out.view(np.uint8)
    with nogil:
        if double_precision:
            rc = gf_build64(&rows[0], &cols[0], &counts[0], nnz, expand, x_max, alpha, seed,
                            <gf_triple64 *>&raw[0], n, n_threads)
        else:
            rc = gf_build32(&rows[0], &cols[0], &counts[0], nnz, expand, x_max, alpha, seed,
                            <gf_triple32 *>&raw[0], n, n_threads)
    if rc != 0:
        raise MemoryError("out of memory while preparing the training triples")
    return out


def shuffle_blocks(int64_t[::1] order not None, uint64_t seed):
    """Shuffle a block order in place (Fisher-Yates with a seeded splitmix64)."""
    if order.shape[0] > 1:
        gf_shuffle_i64(&order[0], order.shape[0], seed)


def train_blocks(floating[:, ::1] W not None, floating[:, ::1] C not None, const uint8_t[::1] triples not None,
                 const int64_t[::1] block_order not None, int64_t b0, int64_t b1, int64_t block_size,
                 int64_t n_triples, int dp, double learning_rate, double max_loss, int n_threads,
                 const floating[:, ::1] targets=None, bint sum_mode=True):
    """Run the updates of blocks ``block_order[b0:b1]`` (Hogwild across ``n_threads``).

    ``targets`` (n_words x dp, the pretrained vectors r_i) switch on the mittens term for the rows
    whose weight slot ``row[2 dp + 2]`` is non-zero (see _train.h); ``sum_mode`` says whether the
    term penalises w_i + w~_i - r_i (True) or w_i - r_i.

    Returns the summed cost 0.5 f(x) diff^2 of those updates (NaN/inf if training diverged); the
    mittens term is not part of it.
    """
    cdef int64_t b, start, end
    cdef int64_t stride = W.shape[1]
    cdef double loss = 0.0
    cdef const gf_triple32 *t32 = <const gf_triple32 *>&triples[0]
    cdef const gf_triple64 *t64 = <const gf_triple64 *>&triples[0]
    cdef const floating *R = NULL
    if C.shape[1] != stride or dp * 2 + 3 > stride:
        raise ValueError("parameter rows do not match the layout")
    if targets is not None:
        if targets.shape[0] != W.shape[0] or targets.shape[1] != dp or C.shape[0] != W.shape[0]:
            raise ValueError("targets must have one row of dp values per word")
        R = &targets[0, 0]
    if b1 <= b0:
        return 0.0
    n_threads = _clamp_threads(n_threads)
    for b in prange(b0, b1, nogil=True, num_threads=n_threads, schedule="static"):
        start = block_order[b] * block_size
        end = start + block_size
        if end > n_triples:
            end = n_triples
        if floating is float:
            loss += gf_train_f32(&W[0, 0], &C[0, 0], stride, dp, t32 + start, end - start,
                                 <float>learning_rate, <float>max_loss, R, sum_mode)
        else:
            loss += gf_train_f64(&W[0, 0], &C[0, 0], stride, dp, t64 + start, end - start,
                                 learning_rate, max_loss, R, sum_mode)
    return loss
