# cython: language_level=3
"""The GloVe training stage: training triples shuffled in RAM or piece by piece, and the Adagrad
epoch over them, Hogwild across threads without the GIL (glove.h)."""
from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint64_t, uint8_t, uintptr_t
from libc.string cimport memcpy

import numpy as np

from glovefast._kernels.platform cimport clamp_threads, gf_have_clones, gf_padded_dim, gf_page_size, gf_release_pages
from glovefast._kernels.rng cimport gf_shuffle_i64

TRIPLE32 = np.dtype([("i", "<u4"), ("j", "<u4"), ("logx", "<f4"), ("fx", "<f4")])
TRIPLE64 = np.dtype([("i", "<u4"), ("j", "<u4"), ("logx", "<f8"), ("fx", "<f8")])
assert TRIPLE32.itemsize == sizeof(gf_triple32) and TRIPLE64.itemsize == sizeof(gf_triple64)


def row_layout(int64_t d):
    """GloVe's parameter row for vectors of ``d`` components (glove.h): ``(dp, stride, bias, weight)``,
    the padded dimension, the row's elements, the bias column (its Adagrad sum follows) and the
    mittens weight column."""
    cdef int64_t dp = gf_padded_dim(d)
    return dp, GF_GLOVE_ROW(dp), GF_GLOVE_BIAS(dp), GF_GLOVE_WEIGHT(dp)


def _select_f32_kernel(bint avx2):
    """Testing hook: use the AVX2 rsqrt kernel (if this CPU and build have it) or the generic one.
    Returns whether the AVX2 kernel is now in use."""
    return bool(gf_select_f32_kernel(avx2))


def simd_info():
    """Which training kernel runs: runtime-dispatched AVX2/FMA, portable, or the build's -march."""
    if gf_use_avx2_kernel():
        return "avx2+fma, rsqrt (runtime dispatch)"
    if gf_have_clones():
        return "portable (runtime dispatch, no AVX2/FMA on this CPU)"
    return "compiler default (no runtime dispatch)"


def build_triples(const int32_t[::1] rows not None, const int32_t[::1] cols not None,
                  const double[::1] counts not None, bint expand, double x_max, double alpha,
                  uint64_t seed, bint double_precision, int n_threads=1):
    """Training triples (i, j, log x, f(x)) in a uniformly shuffled order, all at once in RAM.

    log x and the weight f(x) = min(1, (x / x_max)^alpha) are computed once here, not per update.
    With ``expand`` each off-diagonal entry also yields its transpose (a stored upper-triangle
    pair counts for both directions). The order depends on ``seed`` only, not on ``n_threads``;
    :func:`scatter_triples`, :func:`gather_runs` and :func:`shuffle_buckets` produce the same
    order piece by piece (see glove.h).
    """
    cdef int64_t nnz = rows.shape[0], n
    cdef int rc = 0
    n_threads = clamp_threads(n_threads)
    if cols.shape[0] != nnz or counts.shape[0] != nnz:
        raise ValueError("rows, cols and counts must have the same length")
    n = count_triples(rows, cols, expand)
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


def n_buckets(int64_t n_triples, bint double_precision):
    """Buckets of the scatter shuffle for ``n_triples`` triples (every preparation path uses it)."""
    return gf_n_buckets(n_triples, TRIPLE64.itemsize if double_precision else TRIPLE32.itemsize)


def count_triples(const int32_t[::1] rows not None, const int32_t[::1] cols not None, bint expand):
    """Triples these entries expand to (off-diagonal entries twice with ``expand``)."""
    if cols.shape[0] != rows.shape[0]:
        raise ValueError("rows and cols must have the same length")
    if rows.shape[0] == 0:
        return 0
    cdef int64_t m
    with nogil:
        m = gf_count_triples(&rows[0], &cols[0], rows.shape[0], expand)
    return m


def bucket_hist(uint64_t seed, int64_t k0, int64_t k1, int64_t[::1] hist not None, int n_threads=1):
    """Add to ``hist[b]`` how many triples k in [k0, k1) the shuffle puts in bucket b (of len(hist))."""
    cdef int rc = 0
    n_threads = clamp_threads(n_threads)
    if k1 > k0 and hist.shape[0] > 0:
        with nogil:
            rc = gf_bucket_hist(seed, k0, k1, hist.shape[0], &hist[0], n_threads)
    if rc != 0:
        raise MemoryError("out of memory while counting bucket sizes")


def scatter_triples(const int32_t[::1] rows not None, const int32_t[::1] cols not None,
                    const double[::1] counts not None, bint expand, double x_max, double alpha, uint64_t seed,
                    int64_t k0, int64_t nb, int64_t[::1] pos not None, bint relative, uint8_t[::1] out not None,
                    bint double_precision, int n_threads=1):
    """Scatter the triples of these entries (the first being triple ``k0`` of the matrix) to their
    buckets in ``out`` (raw bytes); returns how many were written.

    ``relative``: ``pos`` (nb + 1 slots) receives where each bucket starts in ``out`` (a run per
    bucket, in bucket order). Otherwise triples of bucket b go to ``out`` from ``pos[b]`` on
    (in triples), and ``pos[b]`` is advanced past them.
    """
    cdef int64_t nnz = rows.shape[0], n
    cdef int64_t tsize = TRIPLE64.itemsize if double_precision else TRIPLE32.itemsize
    cdef int rc = 0
    n_threads = clamp_threads(n_threads)
    if cols.shape[0] != nnz or counts.shape[0] != nnz:
        raise ValueError("rows, cols and counts must have the same length")
    if pos.shape[0] != nb + (1 if relative else 0):
        raise ValueError("pos must have nb (+1 when relative) slots")
    n = count_triples(rows, cols, expand)
    if relative and n * tsize > out.shape[0]:
        raise ValueError("out is too small for these triples")
    if n == 0:
        if relative:
            pos[:] = 0
        return 0
    with nogil:
        if double_precision:
            rc = gf_scatter64(&rows[0], &cols[0], &counts[0], nnz, expand, x_max, alpha, seed, k0, nb, &pos[0],
                              relative, <gf_triple64 *>&out[0], n, n_threads)
        else:
            rc = gf_scatter32(&rows[0], &cols[0], &counts[0], nnz, expand, x_max, alpha, seed, k0, nb, &pos[0],
                              relative, <gf_triple32 *>&out[0], n, n_threads)
    if rc != 0:
        raise MemoryError("out of memory while preparing the training triples")
    return n


def shuffle_buckets(uint8_t[::1] out not None, const int64_t[::1] start not None, int64_t b0, uint64_t seed,
                    bint double_precision, int n_threads=1):
    """Fisher-Yates buckets b0, b0 + 1, ... in place; bucket b0 + q is triples start[q]:start[q + 1]."""
    cdef int64_t nbl = start.shape[0] - 1
    cdef int64_t tsize = TRIPLE64.itemsize if double_precision else TRIPLE32.itemsize
    n_threads = clamp_threads(n_threads)
    if nbl <= 0:
        return
    if start[0] < 0 or start[nbl] * tsize > out.shape[0]:
        raise ValueError("bucket ranges outside the buffer")
    with nogil:
        if double_precision:
            gf_shuffle_buckets64(<gf_triple64 *>&out[0], &start[0], b0, nbl, seed, n_threads)
        else:
            gf_shuffle_buckets32(<gf_triple32 *>&out[0], &start[0], b0, nbl, seed, n_threads)


def gather_runs(const uint8_t[::1] src not None, uint8_t[::1] dst not None, const int64_t[:, ::1] runs not None,
                int64_t tsize):
    """Regroup bucket-sorted runs by bucket: ``src`` holds, for chunk c = 0, 1, ..., the runs of
    buckets 0..nbl-1 of lengths ``runs[c]`` (in triples); ``dst`` receives bucket 0's runs from
    every chunk in chunk order, then bucket 1's, and so on."""
    cdef int64_t nch = runs.shape[0], nbl = runs.shape[1], c, q, total = 0
    cdef int64_t src_off = 0, length
    for c in range(nch):
        for q in range(nbl):
            if runs[c, q] < 0:
                raise ValueError("negative run length")
            total += runs[c, q]
    if total * tsize > src.shape[0] or total * tsize > dst.shape[0]:
        raise ValueError("runs longer than the buffers")
    if total == 0:
        return
    fill = np.zeros(nbl, dtype=np.int64)
    cdef int64_t[::1] f = fill
    cdef int64_t acc = 0
    for q in range(nbl):
        f[q] = acc
        for c in range(nch):
            acc += runs[c, q]
    with nogil:
        for c in range(nch):
            for q in range(nbl):
                length = runs[c, q] * tsize
                if length:
                    memcpy(&dst[f[q] * tsize], &src[src_off], length)
                    src_off += length
                    f[q] += runs[c, q]


def shuffle_blocks(int64_t[::1] order not None, uint64_t seed):
    """Shuffle a block order in place (Fisher-Yates with a seeded splitmix64)."""
    if order.shape[0] > 1:
        gf_shuffle_i64(&order[0], order.shape[0], seed)


def train_blocks(floating[:, ::1] W not None, floating[:, ::1] C not None, const uint8_t[::1] triples not None,
                 const int64_t[::1] block_order not None, int64_t b0, int64_t b1, int64_t block_size,
                 int64_t n_triples, int dp, double learning_rate, double max_loss, int n_threads,
                 bint release_pages=False, const floating[:, ::1] targets=None, bint sum_mode=True):
    """Run the updates of blocks ``block_order[b0:b1]`` (Hogwild across ``n_threads``).

    ``release_pages``: ``triples`` is a file mapping; each block's pages are dropped from it
    (madvise DONTNEED; the page cache keeps them) as soon as the block is done, so resident
    memory stays at a few blocks per thread whatever the call's size (not on Windows: see
    platform.h).
    ``targets`` (n_words x dp, the pretrained vectors r_i) switch on the mittens term for the rows
    whose weight slot ``row[2 dp + 2]`` is non-zero (see glove.h); ``sum_mode`` says whether the
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
    cdef uintptr_t base = <uintptr_t>&triples[0], first
    cdef uintptr_t page_mask = <uintptr_t>(gf_page_size() - 1)
    cdef int64_t tsize = sizeof(gf_triple32) if floating is float else sizeof(gf_triple64)
    if C.shape[1] != stride or dp * 2 + 3 > stride:
        raise ValueError("parameter rows do not match the layout")
    if targets is not None:
        if targets.shape[0] != W.shape[0] or targets.shape[1] != dp or C.shape[0] != W.shape[0]:
            raise ValueError("targets must have one row of dp values per word")
        R = &targets[0, 0]
    if b1 <= b0:
        return 0.0
    n_threads = clamp_threads(n_threads)
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
        if release_pages:
            first = (base + <uintptr_t>(start * tsize)) & ~page_mask
            gf_release_pages(<void *>first, <size_t>(base + <uintptr_t>(end * tsize) - first))
    return loss
