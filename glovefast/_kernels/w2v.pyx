# cython: language_level=3
"""The word2vec kernel (skip-gram and CBOW with negative sampling, w2v.h) and its tables.

Only structural checks live here (shapes, ids in range: a bad call must not crash the process);
hyper-parameters are validated by the Python layer that calls these functions.
"""
cimport cython
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t, uint8_t

import numpy as np

from glovefast._kernels.w2v cimport (GF_W2V_AVX2, GF_W2V_AVX512, GF_W2V_BLOCK, GF_W2V_GENERIC, GF_W2V_SLOT, gf_alias,
                             gf_w2v_alias_table, gf_w2v_cols, gf_w2v_draw, gf_w2v_epoch, gf_w2v_keep,
                             gf_w2v_keep_key, gf_w2v_keep_table, gf_w2v_params, gf_w2v_result, gf_w2v_select,
                             gf_w2v_simd, gf_w2v_trace, gf_w2v_trace_len)

#: Stream positions per block: a thread publishes its progress, moves its learning rate and
#: reads the stop flag once per block.
BLOCK = GF_W2V_BLOCK
#: ``progress`` slots per thread (one cache line each).
SLOT = GF_W2V_SLOT
#: An entry of the negative sampler (Walker's alias method).
ALIAS = np.dtype([("prob", "<u4"), ("alias", "<i4")])
assert ALIAS.itemsize == sizeof(gf_alias)

_LEVELS = {"generic": GF_W2V_GENERIC, "avx2": GF_W2V_AVX2, "avx512": GF_W2V_AVX512}
_NAMES = {v: k for k, v in _LEVELS.items()}

# Mirrors glovefast._util.validation.MAX_THREADS (see platform.pxd).
cdef int _MAX_THREADS = 256


def simd():
    """The kernel in use: ``"avx512"``, ``"avx2"`` (both chosen at run time) or ``"generic"``."""
    return _NAMES[gf_w2v_simd()]


def select_simd(level=None):
    """Testing and measuring hook: use kernel ``level`` (``"generic"``, ``"avx2"``, ``"avx512"``)
    if this CPU has it, else the widest it has; None: the automatic choice. Returns the kernel
    now in use."""
    return _NAMES[gf_w2v_select(-1 if level is None else _LEVELS[level])]


def columns(int dim, level=None):
    """Columns the kernel ``level`` (default: the one in use) computes for vectors of ``dim``."""
    return gf_w2v_cols(gf_w2v_simd() if level is None else _LEVELS[level], dim)


def keep_thresholds(const int64_t[::1] counts not None, double sample):
    """word2vec.c's keep probability per word as a 32-bit threshold (``2**32 - 1``: always kept),
    for in-vocabulary token total ``counts.sum()``."""
    out = np.empty(counts.shape[0], dtype=np.uint32)
    cdef uint32_t[::1] o = out
    cdef double total = float(np.asarray(counts).sum())
    if counts.shape[0]:
        with nogil:
            gf_w2v_keep_table(&counts[0], counts.shape[0], sample, total, &o[0])
    return out


def alias_table(const int64_t[::1] counts not None, double power):
    """The negative sampler: Walker's alias table of ``counts ** power`` (``ALIAS`` entries)."""
    out = np.zeros(counts.shape[0], dtype=ALIAS)
    cdef gf_alias[::1] o = out
    cdef int rc = -2
    if counts.shape[0]:
        with nogil:
            rc = gf_w2v_alias_table(&counts[0], counts.shape[0], power, &o[0])
    if rc == -1:
        raise MemoryError("cannot build the negative sampling table")
    if rc == -2:
        raise ValueError("no word has a positive sampling weight")
    return out


def draw_negatives(const gf_alias[::1] table not None, int64_t n, uint64_t seed):
    """``n`` draws of the negative sampler from a splitmix64 stream started at ``seed`` (test hook:
    the kernel draws through the same function)."""
    out = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef uint64_t s = seed
    cdef int64_t k
    cdef uint64_t nw = table.shape[0]
    if nw == 0:
        raise ValueError("empty table")
    with nogil:
        for k in range(n):
            o[k] = gf_w2v_draw(&table[0], nw, &s)
    return out


def keep_mask(const int32_t[::1] ids not None, const uint32_t[::1] thresh not None, uint64_t seed, int64_t epoch):
    """Which positions of ``ids`` epoch ``epoch`` keeps (test hook: the kernel decides through the
    same function); separators are never kept."""
    _check_ids(ids, thresh.shape[0])
    out = np.zeros(ids.shape[0], dtype=np.uint8)
    cdef uint8_t[::1] o = out
    cdef uint64_t key = gf_w2v_keep_key(seed, epoch)
    cdef int64_t k
    with nogil:
        for k in range(ids.shape[0]):
            if ids[k] >= 0:
                o[k] = gf_w2v_keep(&thresh[0], key, k, ids[k])
    return out.view(bool)


cdef _check_ids(const int32_t[::1] ids, int64_t n_words):
    cdef int64_t k, bad = -1
    with nogil:
        for k in range(ids.shape[0]):
            if ids[k] >= n_words:
                bad = k
                break
    if bad >= 0:
        raise ValueError(f"token id {ids[bad]} at position {bad} is not below the vocabulary size {n_words}")


def trace_width(int window, int negative):
    """int64 values per record of ``train_epoch(trace=...)``."""
    return gf_w2v_trace_len(window, negative)


def train_epoch(float[:, ::1] syn0 not None, float[:, ::1] syn1 not None, const int32_t[::1] ids not None,
                const uint32_t[::1] thresh not None, const gf_alias[::1] table not None,
                int64_t[::1] progress not None, int32_t[::1] stop not None, *, bint sg, bint cbow_mean, int dim,
                int window, int negative, bint shrink, double alpha, double min_alpha, int64_t done_before,
                int64_t total, uint64_t seed, int64_t epoch, int n_threads, int64_t[:, ::1] trace=None):
    """One epoch over ``ids`` (see w2v.h), without the GIL; returns a dict: ``loss`` (summed over
    every input-output pair), ``examples`` (positive pairs), ``tokens`` (stream tokens walked),
    ``kept`` (after subsampling), ``stopped`` (``stop[0]`` was set: the epoch is incomplete),
    ``traced`` (records written to ``trace``).

    ``syn0``, ``syn1``: one row per word of a multiple of 16 floats (the columns past ``dim``
    zero). ``progress``: int64, ``SLOT`` per thread, zeroed here; thread t adds its tokens to
    ``progress[t * SLOT]`` as it goes. ``stop``: int32; setting ``stop[0]`` from another thread
    ends the call within a block. ``trace`` (test hook, one thread only): one record per centre.
    """
    cdef int64_t n_words = syn0.shape[0], stride = syn0.shape[1]
    cdef gf_w2v_params p
    cdef gf_w2v_result res
    cdef gf_w2v_trace tr
    cdef gf_w2v_trace *trp = NULL
    cdef int rc
    if syn1.shape[0] != n_words or syn1.shape[1] != stride:
        raise ValueError("syn0 and syn1 must have the same shape")
    if stride % 16 or stride < dim or dim < 1:
        raise ValueError(f"rows of {stride} floats cannot hold vectors of {dim} (a multiple of 16 >= dim is needed)")
    if thresh.shape[0] != n_words or table.shape[0] != n_words or n_words < 1:
        raise ValueError("one keep threshold and one sampler entry per word are needed")
    if window < 1 or negative < 0:
        raise ValueError("window must be >= 1 and negative >= 0")
    n_threads = 1 if n_threads < 1 else (_MAX_THREADS if n_threads > _MAX_THREADS else n_threads)
    if progress.shape[0] < n_threads * SLOT or stop.shape[0] < 1:
        raise ValueError("progress needs SLOT entries per thread and stop one entry")
    if trace is not None:
        if n_threads != 1 or trace.shape[1] != gf_w2v_trace_len(window, negative):
            raise ValueError("a trace needs one thread and rows of trace_width(window, negative)")
        tr.rec = &trace[0, 0] if trace.shape[0] else NULL
        tr.cap = trace.shape[0]
        tr.n = 0
        trp = &tr
    _check_ids(ids, n_words)
    progress[:] = 0
    p.sg = sg
    p.cbow_mean = cbow_mean
    p.dim = dim
    p.stride = stride
    p.window = window
    p.negative = negative
    p.shrink = shrink
    p.alpha = alpha
    p.min_alpha = min_alpha
    p.done_before = done_before
    p.total = total
    p.seed = seed
    p.epoch = epoch
    p.n_threads = n_threads
    with nogil:
        rc = gf_w2v_epoch(&syn0[0, 0], &syn1[0, 0], &ids[0] if ids.shape[0] else NULL, ids.shape[0], &thresh[0],
                          &table[0], n_words, &p, &progress[0], &stop[0], trp, &res)
    if rc != 0:
        raise MemoryError("out of memory in the word2vec kernel")
    return {"loss": res.loss, "examples": res.examples, "tokens": res.tokens, "kept": res.kept,
            "stopped": bool(res.stopped), "traced": tr.n if trp != NULL else 0}
