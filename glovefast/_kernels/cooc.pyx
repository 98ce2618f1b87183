# cython: language_level=3
"""The cooccurrence stage: counting a token id stream into a fixed-point dense table and sorted
overflow runs, and merging them with spilled runs (cooc.h)."""
from libc.stdint cimport int32_t, int64_t, uint64_t, uint8_t
from libc.stdlib cimport free, malloc

import numpy as np

from glovefast._kernels.platform cimport clamp_threads, gf_big_free

#: A sorted overflow run entry, in memory and in run files: key = row * n_words + col, and the
#: count in fixed point (value / 2**32), little-endian.
ENTRY = np.dtype([("key", "<u8"), ("val", "<i8")])
assert ENTRY.itemsize == sizeof(gf_entry)
#: Fixed point of the counts: a stored value v is the count v / FIX_ONE.
FIX_ONE = 4294967296.0


def overflow_entry_bytes(int64_t n_words):
    """Bytes an overflow buffer entry takes per counting thread, with its sort scratch: 16 when a
    pair's key and weight code pack into 8 bytes (vocabularies below about 190M words), else 32."""
    return 16 if gf_cooc_packs(n_words) else 32


def _force_wide_overflow(bint wide):
    """Testing hook: counters made from now on use the 16-byte overflow layout of huge vocabularies
    (True) or pack when they can (False, the default)."""
    gf_cooc_set_force_wide(wide)


cdef class Cooccurrence:
    """Cooccurrence counts being built: a shared fixed-point dense table for frequent pairs and,
    per thread, an overflow buffer reduced into one sorted in-memory run (see cooc.h).

    Counting goes chunk by chunk (:meth:`count_ids`, on a ``TokenCounter``'s ``ids()``). Between
    chunks the caller may write the in-memory runs (:meth:`runs`) to files and
    :meth:`clear_runs`; after :meth:`finish`
    the counts are emitted whole (:meth:`emit_coo`) or row block by row block merged with
    spilled runs (:func:`merge_block`).
    """
    cdef gf_cooc *c
    cdef readonly int64_t n_words
    cdef readonly bint symmetric

    def __cinit__(self, int64_t n_words, int window, bint harmonic, bint symmetric, int n_threads,
                  uint64_t dense_bytes, int64_t buffer_entries):
        n_threads = clamp_threads(n_threads)
        if n_threads > 64:  # the counter's own limit (per-thread buffers); more would not help
            n_threads = 64
        self.c = gf_cooc_new(n_words, window, harmonic, symmetric, n_threads, dense_bytes, buffer_entries)
        if self.c == NULL:
            raise MemoryError("cannot allocate the cooccurrence tables; lower the memory budget")
        self.n_words = n_words
        self.symmetric = symmetric

    def __dealloc__(self):
        gf_cooc_free(self.c)

    @property
    def dense_bytes(self):
        """Bytes of the dense table actually allocated."""
        return self.c.dense_size * 8

    cdef count_ptr(self, const int32_t *tok, int64_t start, int64_t end):
        cdef int rc
        if self.c.finished:
            raise RuntimeError("finish() was called: no more counting")
        with nogil:
            rc = gf_cooc_count(self.c, tok, start, end)
        if rc != 0:
            raise MemoryError("out of memory while counting cooccurrences")

    def count_ids(self, const int32_t[::1] ids not None, int64_t start=0, int64_t end=-1):
        """Count the pairs whose later token lies in ids[start:end] (end -1: to the end), looking
        back into the ids before ``start``."""
        if end < 0 or end > ids.shape[0]:
            end = ids.shape[0]
        if end > start:
            self.count_ptr(&ids[0], start, end)

    @property
    def run_entries(self):
        """Entries held in the threads' in-memory runs (16 bytes each)."""
        cdef int t
        cdef int64_t n = 0
        for t in range(self.c.nthreads):
            n += self.c.th[t].run.n
        return n

    def clear_runs(self):
        """Free the in-memory runs (once they were written elsewhere; views of them become invalid)."""
        cdef int t
        for t in range(self.c.nthreads):
            gf_big_free(self.c.th[t].run.e)
            self.c.th[t].run.e = NULL
            self.c.th[t].run.n = 0

    def runs(self):
        """Numpy views (ENTRY) of the in-memory runs; valid while this object lives and until spill."""
        cdef int t
        cdef gf_run *R
        out = []
        for t in range(self.c.nthreads):
            R = &self.c.th[t].run
            if R.n:
                out.append(np.asarray(<uint8_t[:R.n * sizeof(gf_entry)]> <uint8_t *> R.e).view(ENTRY))
        return out

    def finish(self):
        """Flush the overflow buffers (freeing them) and index the dense table; returns an upper
        bound of the number of nonzeros held in memory."""
        cdef int64_t bound
        if self.c.finished:
            raise RuntimeError("finish() was already called")
        with nogil:
            bound = gf_cooc_finish(self.c)
        if bound < 0:
            raise MemoryError("out of memory while sorting cooccurrences")
        return bound

    def dense_row_nnz(self):
        """Nonzeros of each row of the dense table (int64; after finish)."""
        out = np.empty(self.n_words, dtype=np.int64)
        cdef int64_t[::1] o = out
        cdef int64_t r
        if not self.c.finished:
            raise RuntimeError("call finish() first")
        for r in range(self.n_words):
            o[r] = self.c.rownnz[r]
        return out

    def emit_coo(self, int64_t bound):
        """The whole matrix from memory (no spilled runs), rows split among the threads:
        (rows int32, cols int32, counts float64) sorted by (row, col), no duplicates."""
        cdef int nt = self.c.nthreads
        cdef int64_t nnz
        cdef int32_t[::1] r
        cdef int32_t[::1] co
        cdef double[::1] d
        if not self.c.finished:
            raise RuntimeError("call finish() first")
        # + n_threads: each thread's branch-free dense scan may write one slot past its share
        rows = np.empty(bound + nt, dtype=np.int32)
        cols = np.empty(bound + nt, dtype=np.int32)
        data = np.empty(bound + nt, dtype=np.float64)
        r = rows
        co = cols
        d = data
        with nogil:
            nnz = gf_cooc_emit(self.c, &r[0], &co[0], &d[0])
        if nnz < 0:
            raise MemoryError("out of memory while merging cooccurrences")
        # shrinking in place reallocs without copying
        rows.resize(nnz, refcheck=False)
        cols.resize(nnz, refcheck=False)
        data.resize(nnz, refcheck=False)
        return rows, cols, data

    @property
    def pending_entries(self):
        """Overflow entries still in the buffers (8 or 16 bytes each; 0 after finish)."""
        return gf_cooc_pending(self.c)

    @property
    def can_emit_direct(self):
        """Whether :meth:`emit_coo_direct` applies: nothing was flushed into runs while counting
        (and the entries are packed, as for any vocabulary below ~190M words)."""
        return bool(gf_cooc_direct_ok(self.c))

    def emit_coo_direct(self):
        """The whole matrix as :meth:`emit_coo` gives it, straight from the overflow buffers
        (needs :attr:`can_emit_direct`; instead of :meth:`finish`): one sort in cache and one
        write of each entry, no runs, output offsets known exactly (see cooc.h)."""
        cdef int64_t nnz
        cdef int32_t[::1] r
        cdef int32_t[::1] co
        cdef double[::1] d
        if not gf_cooc_direct_ok(self.c):
            raise RuntimeError("emit_coo_direct needs a counter whose buffers were never flushed or finished")
        with nogil:
            nnz = gf_cooc_direct_prepare(self.c)
        if nnz < 0:
            raise MemoryError("out of memory while sorting cooccurrences")
        rows = np.empty(nnz, dtype=np.int32)
        cols = np.empty(nnz, dtype=np.int32)
        data = np.empty(nnz, dtype=np.float64)
        if nnz:
            r = rows
            co = cols
            d = data
            with nogil:
                gf_cooc_direct_emit(self.c, &r[0], &co[0], &d[0])
        return rows, cols, data


def merge_block(Cooccurrence cooc, int64_t n_words, int64_t r0, int64_t r1, list runs, int64_t capacity,
                bint fixed=False, out=None, bint entries=False):
    """K-way merge of rows [r0, r1): the dense table of ``cooc`` (None: no dense part) and
    ``runs``, sorted ENTRY arrays holding only keys of those rows. ``capacity`` bounds the
    output (dense nonzeros of the rows + run entries). Returns (rows int32, cols int32, values),
    values float64 counts, or int64 fixed point with ``fixed``: new arrays, or views of ``out``
    (rows, cols, values arrays of at least ``capacity + 1`` entries) when given. With
    ``entries``: one ENTRY array (run entries: key, fixed-point value), or a view of ``out`` (an
    ENTRY array of at least ``capacity + 1`` entries), written in C for run files."""
    cdef int k = len(runs), t
    cdef const gf_entry **ptrs = NULL
    cdef int64_t *lens = NULL
    cdef int64_t *pos = NULL
    cdef int64_t nnz
    cdef const gf_entry *empty = NULL
    cdef const uint8_t[::1] raw
    cdef int32_t[::1] rr
    cdef int32_t[::1] cc
    cdef double[::1] dd
    cdef int64_t[::1] ff
    cdef const gf_cooc *cp = NULL
    if cooc is not None:
        if not cooc.c.finished:
            raise RuntimeError("call finish() first")
        cp = cooc.c
    cdef gf_entry *ent = NULL
    cdef uint8_t[::1] eraw
    cdef int32_t *rp = NULL
    cdef int32_t *cp32 = NULL
    if entries:
        ents = np.empty(capacity + 1, dtype=ENTRY) if out is None else out
        if ents.dtype != ENTRY or len(ents) < capacity + 1:
            raise ValueError("out is too short or not an ENTRY array")
        eraw = ents.view(np.uint8)
        ent = <gf_entry *>&eraw[0]
    else:
        if out is None:
            rows = np.empty(capacity + 1, dtype=np.int32)
            cols = np.empty(capacity + 1, dtype=np.int32)
            vals = np.empty(capacity + 1, dtype=np.int64 if fixed else np.float64)
        else:
            rows, cols, vals = out
            if min(len(rows), len(cols), len(vals)) < capacity + 1 or vals.dtype != (np.int64 if fixed else np.float64):
                raise ValueError("out arrays are too short or of the wrong type")
        rr = rows
        cc = cols
        rp = &rr[0]
        cp32 = &cc[0]
    ptrs = <const gf_entry **>malloc((k + 1) * sizeof(gf_entry *))
    lens = <int64_t *>malloc((k + 1) * sizeof(int64_t))
    pos = <int64_t *>malloc((k + 1) * sizeof(int64_t))
    try:
        if ptrs == NULL or lens == NULL or pos == NULL:
            raise MemoryError("cannot allocate the merge state")
        keep = []
        for t in range(k):
            arr = np.ascontiguousarray(runs[t])
            if arr.dtype != ENTRY:
                raise TypeError("runs must be arrays of ENTRY")
            keep.append(arr)
            lens[t] = arr.shape[0]
            if lens[t]:
                raw = arr.view(np.uint8)
                ptrs[t] = <const gf_entry *>&raw[0]
            else:
                ptrs[t] = empty
        if entries:
            with nogil:
                nnz = gf_emit_merge(cp, n_words, r0, r1, ptrs, lens, k, pos, NULL, NULL, NULL, NULL, ent)
        elif fixed:
            ff = vals
            with nogil:
                nnz = gf_emit_merge(cp, n_words, r0, r1, ptrs, lens, k, pos, rp, cp32, NULL, &ff[0], NULL)
        else:
            dd = vals
            with nogil:
                nnz = gf_emit_merge(cp, n_words, r0, r1, ptrs, lens, k, pos, rp, cp32, &dd[0], NULL, NULL)
    finally:
        free(ptrs)
        free(lens)
        free(pos)
    if nnz > capacity:
        raise RuntimeError("merge capacity exceeded")
    if entries:
        return ents[:nnz]
    return rows[:nnz], cols[:nnz], vals[:nnz]


cdef enum:
    _ENTRY_OK, _ENTRY_ROW, _ENTRY_COL, _ENTRY_LOWER, _ENTRY_UNSORTED, _ENTRY_REPEATED, _ENTRY_COUNT

#: Codes of :func:`check_entries`: what is wrong with the entry it stopped at.
ENTRY_OK, ENTRY_ROW, ENTRY_COL, ENTRY_LOWER = _ENTRY_OK, _ENTRY_ROW, _ENTRY_COL, _ENTRY_LOWER
ENTRY_UNSORTED, ENTRY_REPEATED, ENTRY_COUNT = _ENTRY_UNSORTED, _ENTRY_REPEATED, _ENTRY_COUNT


cdef Py_ssize_t _first_bad_entry(const int32_t *r, const int32_t *c, const double *x, Py_ssize_t n,
                                  int64_t row_start, int64_t row_end, int64_t n_words, bint upper,
                                  int64_t last_key, int *code) noexcept nogil:
    """Index of the first entry check_entries refuses (its code in ``code``), or -1. A branchy
    loop: run on a block the branch-free pass found bad, or on its first entry."""
    cdef Py_ssize_t i
    cdef int64_t rr, cc, key
    for i in range(n):
        rr = r[i]
        cc = c[i]
        if rr < row_start or rr >= row_end:
            code[0] = _ENTRY_ROW
        elif cc < 0 or cc >= n_words:
            code[0] = _ENTRY_COL
        elif upper and rr > cc:
            code[0] = _ENTRY_LOWER
        elif rr * n_words + cc <= last_key:
            code[0] = _ENTRY_REPEATED if rr * n_words + cc == last_key else _ENTRY_UNSORTED
        elif x != NULL and not (x[i] > 0.0 and x[i] <= 1.7976931348623157e308):  # NaN fails both
            code[0] = _ENTRY_COUNT
        else:
            last_key = rr * n_words + cc
            continue
        return i
    return -1


def check_entries(const int32_t[::1] rows not None, const int32_t[::1] cols not None, const double[::1] counts,
                  int64_t row_start, int64_t row_end, int64_t n_words, bint upper, int64_t last_key):
    """Check consecutive entries of a cooccurrence store: rows in [row_start, row_end), columns in
    [0, n_words), ``row <= col`` when ``upper``, keys ``row * n_words + col`` strictly increasing
    from ``last_key`` (sorted, no repeats), and, unless ``counts`` is None, counts finite and > 0.
    Returns (index of the first bad entry or -1, its ENTRY_* code, the key of the last good entry:
    the last one checked, or the one before the bad entry).

    Blocks of entries are tested branch-free (the compiler vectorises the comparisons, ~1 ns an
    entry); only a block that fails is walked entry by entry to name the first bad one."""
    cdef Py_ssize_t n = rows.shape[0], b0, b1, k, bad = -1
    cdef int code = _ENTRY_OK
    cdef const int32_t *r
    cdef const int32_t *c
    cdef const double *x = NULL
    cdef int flags
    cdef int32_t lo, hi, nw
    if cols.shape[0] != n or (counts is not None and counts.shape[0] != n):
        raise ValueError("rows, cols and counts must have the same length")
    if n == 0:
        return -1, code, last_key
    if row_start < 0 or row_end > n_words or n_words >= 2**31:
        raise ValueError("row_start, row_end and n_words must describe int32 rows of the store")
    r, c = &rows[0], &cols[0]
    if counts is not None:
        x = &counts[0]
    lo, hi, nw = <int32_t>row_start, <int32_t>row_end, <int32_t>n_words
    with nogil:
        # the first entry against the previous chunk's last key; then each entry against the one before
        bad = _first_bad_entry(r, c, x, 1, row_start, row_end, n_words, upper, last_key, &code)
        b0 = 1
        while bad < 0 and b0 < n:
            b1 = min(n, b0 + 4096)
            flags = 0
            for k in range(b0, b1):
                flags |= ((r[k] < lo) | (r[k] >= hi) | (c[k] < 0) | (c[k] >= nw) | (upper & (r[k] > c[k]))
                          | (r[k] < r[k - 1]) | ((r[k] == r[k - 1]) & (c[k] <= c[k - 1])))
            if x != NULL:
                # a double is finite and > 0 when its bits, read as an integer, lie in (0, +inf's):
                # integer compares, which vectorise where float compares to flags do not
                for k in range(b0, b1):
                    flags |= <uint64_t>((<const int64_t *>x)[k] - 1) >= <uint64_t>0x7FEFFFFFFFFFFFFF
            if flags:
                bad = _first_bad_entry(r + b0, c + b0, NULL if x == NULL else x + b0, b1 - b0, row_start, row_end,
                                       n_words, upper, <int64_t>r[b0 - 1] * n_words + c[b0 - 1], &code)
                if bad >= 0:
                    bad += b0
            b0 = b1
    if bad > 0:
        return bad, code, <int64_t>r[bad - 1] * n_words + c[bad - 1]
    return bad, code, (last_key if bad == 0 else <int64_t>r[n - 1] * n_words + c[n - 1])
