# cython: language_level=3
"""Hot loops of glovefast: tokenising and counting text, cooccurrence counting and Adagrad epochs.

Only the loops live here (and in the C headers declared by the .pxd files next to this one:
_tokens, _vocab, _cooc, _train, _rng, _platform); validation and the public API live in the
Python modules. Everything that loops over tokens or triples runs without the GIL.
"""
cimport cython
cimport numpy as cnp
from cython cimport floating
from libc.string cimport memcpy
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t, uint8_t, uintptr_t

from libc.stdlib cimport free, malloc
from cpython.unicode cimport PyUnicode_DecodeUTF8

import numpy as np

from glovefast._util.validation import decode_token

cnp.import_array()

# Mirrors glovefast._util.validation.MAX_THREADS. The Python layer validates every thread count; the
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


from glovefast._kernels.cooc cimport (gf_cooc, gf_cooc_count, gf_cooc_direct_emit, gf_cooc_direct_ok,
                              gf_cooc_direct_prepare, gf_cooc_emit, gf_cooc_finish, gf_cooc_free, gf_cooc_new,
                              gf_cooc_pending, gf_cooc_packs, gf_cooc_set_force_wide, gf_emit_merge, gf_entry, gf_run)
from glovefast._kernels.platform cimport gf_big_free, gf_openmp_enabled, gf_page_size, gf_release_pages
from glovefast._kernels.rng cimport gf_shuffle_i64
from glovefast._kernels.tokens cimport GF_DROP, GF_SEP, GF_SKIP, gf_ibuf_reserve
from glovefast._kernels.train cimport (gf_bucket_hist, gf_build32, gf_build64, gf_count_triples, gf_have_clones,
                               gf_n_buckets, gf_scatter32, gf_scatter64, gf_select_f32_kernel,
                               gf_shuffle_buckets32, gf_shuffle_buckets64, gf_train_f32, gf_train_f64,
                               gf_triple32, gf_triple64, gf_use_avx2_kernel)
from glovefast._kernels.vocab cimport (gf_order_words, gf_remap_tokens, gf_vocab, gf_vocab_add, gf_vocab_feed,
                               gf_vocab_feed_split, gf_vocab_free, gf_vocab_helper, gf_vocab_helper_free,
                               gf_vocab_helper_init, gf_vocab_init, gf_vocab_keep_tail, gf_vocab_tokenize, gf_word)


SEP = GF_SEP
SKIP = GF_SKIP
DROP = GF_DROP

#: A sorted overflow run entry, in memory and in run files: key = row * n_words + col, and the
#: count in fixed point (value / 2**32), little-endian.
ENTRY = np.dtype([("key", "<u8"), ("val", "<i8")])
assert ENTRY.itemsize == sizeof(gf_entry)
#: Fixed point of the counts: a stored value v is the count v / FIX_ONE.
FIX_ONE = 4294967296.0

TRIPLE32 = np.dtype([("i", "<u4"), ("j", "<u4"), ("logx", "<f4"), ("fx", "<f4")])
TRIPLE64 = np.dtype([("i", "<u4"), ("j", "<u4"), ("logx", "<f8"), ("fx", "<f8")])
assert TRIPLE32.itemsize == sizeof(gf_triple32) and TRIPLE64.itemsize == sizeof(gf_triple64)


def openmp_enabled():
    """True when the extension was compiled with OpenMP (multi-threaded counting and training)."""
    return bool(gf_openmp_enabled())


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


cdef class _WordRefs:
    """Where n words' bytes are (pointers and lengths, malloc'd), for gf_order_words."""
    cdef const char **ptrs
    cdef uint64_t *lens
    cdef int64_t n

    def __cinit__(self, int64_t n):
        self.n = n
        self.ptrs = <const char **> malloc(max(n, 1) * sizeof(char *))
        self.lens = <uint64_t *> malloc(max(n, 1) * sizeof(uint64_t))
        if self.ptrs == NULL or self.lens == NULL:
            raise MemoryError("cannot order the vocabulary")

    def __dealloc__(self):
        free(self.ptrs)
        free(self.lens)

    cdef order(self, const int64_t[::1] counts):
        """Positions sorted by descending count, ties in bytes order (int64 array)."""
        out = np.empty(self.n, dtype=np.int64)
        cdef int64_t[::1] o = out
        cdef int rc = 0
        if self.n:
            with nogil:
                rc = gf_order_words(self.ptrs, self.lens, &counts[0], self.n, &o[0])
        if rc != 0:
            raise MemoryError("cannot order the vocabulary")
        return out


def order_words(list words not None, const int64_t[::1] counts not None):
    """Positions of ``words`` (distinct bytes) sorted by descending ``counts``, ties in bytes
    order: the vocabulary's id order (int64 array)."""
    cdef int64_t n = len(words), k
    cdef bytes w
    if counts.shape[0] != n:
        raise ValueError(f"{n} words but {counts.shape[0]} counts")
    cdef _WordRefs refs = _WordRefs(n)
    for k in range(n):
        w = words[k]  # a TypeError for anything but bytes
        refs.ptrs[k] = w  # the list keeps the bytes alive
        refs.lens[k] = len(w)
    return refs.order(counts)


def overflow_entry_bytes(int64_t n_words):
    """Bytes an overflow buffer entry takes per counting thread, with its sort scratch: 16 when a
    pair's key and weight code pack into 8 bytes (vocabularies below about 190M words), else 32."""
    return 16 if gf_cooc_packs(n_words) else 32


def _force_wide_overflow(bint wide):
    """Testing hook: counters made from now on use the 16-byte overflow layout of huge vocabularies
    (True) or pack when they can (False, the default)."""
    gf_cooc_set_force_wide(wide)


cdef class TokenCounter:
    """A stream of token ids with document separators, and for text input its vocabulary.

    Text chunks (``feed_text``) are tokenised on ASCII whitespace in C and words get first-seen
    ids; id arrays (``feed_ids``) come from the Python token-list path. ``remap`` renumbers the
    stream in place and ``cooccur`` counts it.
    """
    cdef gf_vocab v
    cdef gf_vocab_helper *helper  # the second thread's table (feed_text with threads > 1)
    cdef readonly int threads
    cdef readonly int64_t split_bytes
    cdef public dict timings  # seconds per stage of the last cooccur() call

    def __cinit__(self, int threads=1, int64_t split_bytes=1 << 18):
        """``threads`` > 1: ``feed_text`` tokenizes chunks of at least ``split_bytes`` on two
        threads (the vocabulary pass of a text corpus; same words, counts and stream)."""
        if gf_vocab_init(&self.v) != 0:
            raise MemoryError("cannot allocate the vocabulary table")
        self.threads = _clamp_threads(threads)
        self.split_bytes = max(split_bytes, 2)

    def __dealloc__(self):
        gf_vocab_free(&self.v)
        if self.helper != NULL:
            gf_vocab_helper_free(self.helper)
            free(self.helper)

    def feed_text(self, const uint8_t[::1] chunk not None):
        """Tokenise bytes that end on whitespace (a partial trailing token must be carried over)."""
        cdef int64_t n = chunk.shape[0]
        cdef int rc
        if n == 0:
            return
        if self.threads > 1 and n >= self.split_bytes and self.helper == NULL:
            self.helper = <gf_vocab_helper *> malloc(sizeof(gf_vocab_helper))
            if self.helper == NULL or gf_vocab_helper_init(self.helper) != 0:
                free(self.helper)
                self.helper = NULL
                raise MemoryError("cannot allocate the vocabulary table")
        with nogil:
            if self.helper != NULL and n >= self.split_bytes:
                rc = gf_vocab_feed_split(&self.v, self.helper, <const char *>&chunk[0], n)
            else:
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
        return [self.v.arena[self.v.words[i].offset:self.v.words[i].offset + self.v.words[i].len]
                for i in range(self.v.n)]

    def select(self, int64_t min_count, max_vocab=None):
        """The vocabulary's selection from the table: the words counted at least ``min_count``
        times, by descending count then bytes, at most ``max_vocab`` of them. Returns (words as
        str in id order, their counts int64, their first-seen ids int64). All per-word work is
        here, in C: no bytes objects, and one decode per kept word."""
        cdef int64_t n = self.v.n, m = 0, i, k, keep_n
        cdef gf_word *wd = self.v.words
        for i in range(n):
            m += wd[i].count >= min_count
        ids = np.empty(m, dtype=np.int64)
        counts = np.empty(m, dtype=np.int64)
        cdef int64_t[::1] ids_v = ids
        cdef int64_t[::1] counts_v = counts
        cdef _WordRefs refs = _WordRefs(m)
        k = 0
        for i in range(n):
            if wd[i].count >= min_count:
                ids_v[k] = i
                counts_v[k] = wd[i].count
                refs.ptrs[k] = self.v.arena + wd[i].offset
                refs.lens[k] = wd[i].len
                k += 1
        order = refs.order(counts)
        keep_n = m if max_vocab is None or max_vocab > m else max_vocab
        order = order[:keep_n]
        ids = ids[order]
        counts = counts[order]
        ids_v = ids
        words = [None] * keep_n
        cdef gf_word *w
        for k in range(keep_n):
            w = &wd[ids_v[k]]
            try:
                words[k] = PyUnicode_DecodeUTF8(self.v.arena + w.offset, w.len, NULL)
            except UnicodeDecodeError:
                decode_token(self.v.arena[w.offset:w.offset + w.len])  # raises, naming the word
                raise
        return words, counts, ids

    def counts(self):
        """The text path's word counts in first-seen id order."""
        out = np.empty(self.v.n, dtype=np.int64)
        cdef int64_t[::1] o = out
        cdef int64_t i
        for i in range(self.v.n):
            o[i] = self.v.words[i].count
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

    def count_only(self):
        """Stop keeping the id stream (free it): later text only adds to the word counts."""
        gf_ibuf_free_tokens(&self.v)
        self.v.drop_tokens = 1

    def load_words(self, words):
        """Fill an empty table with ``words`` (bytes, distinct) so that word k gets id k: the
        counting pass then maps text to final ids with :meth:`feed_known`."""
        cdef bytes w
        cdef int64_t k
        if self.v.n:
            raise ValueError("load_words needs an empty table")
        for k, w in enumerate(words):
            if gf_vocab_add(&self.v, w, len(w)) != k:
                raise ValueError(f"word {w!r} is repeated or the table is out of memory")

    def feed_known(self, const uint8_t[::1] chunk not None, int32_t unknown):
        """Tokenise bytes that end on whitespace, appending the ids of words in the table.

        Unknown words: ``DROP`` leaves no trace, ``SKIP`` keeps a placeholder; any other value
        stops and returns the unknown word (bytes). Returns None when the chunk was consumed."""
        cdef int64_t n = chunk.shape[0], off = 0, ln = 0
        cdef int rc
        if n == 0:
            return None
        with nogil:
            rc = gf_vocab_tokenize(&self.v, <const char *>&chunk[0], n, unknown, &off, &ln)
        if rc < 0:
            raise MemoryError("out of memory while tokenising")
        if rc == 1:
            return bytes(chunk[off:off + ln])
        return None

    def keep_tail(self, int64_t keep):
        """Keep only the last ``keep`` ids (the window carried into the next chunk)."""
        gf_vocab_keep_tail(&self.v, keep)

    def count_into(self, Cooccurrence cooc not None, int64_t start, int64_t end=-1):
        """Count the pairs whose later token lies in ids [start, end) (end -1: the stream's end),
        looking back into the ids before ``start``."""
        if end < 0 or end > self.v.tokens.n:
            end = self.v.tokens.n
        cooc.count_ptr(self.v.tokens.data, start, end)


cdef void gf_ibuf_free_tokens(gf_vocab *v) noexcept nogil:
    gf_big_free(v.tokens.data)
    v.tokens.data = NULL
    v.tokens.n = 0
    v.tokens.cap = 0


cdef class Cooccurrence:
    """Cooccurrence counts being built: a shared fixed-point dense table for frequent pairs and,
    per thread, an overflow buffer reduced into one sorted in-memory run (see cooc.h).

    Counting goes chunk by chunk (:meth:`count_ids`, ``TokenCounter.count_into``). Between
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
        n_threads = _clamp_threads(n_threads)
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

    def count_ids(self, const int32_t[::1] ids not None, int64_t start=0):
        """Count the pairs whose later token lies in ids[start:], looking back before ``start``."""
        if ids.shape[0] > start:
            self.count_ptr(&ids[0], start, ids.shape[0])

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


def build_triples(const int32_t[::1] rows not None, const int32_t[::1] cols not None,
                  const double[::1] counts not None, bint expand, double x_max, double alpha,
                  uint64_t seed, bint double_precision, int n_threads=1):
    """Training triples (i, j, log x, f(x)) in a uniformly shuffled order, all at once in RAM.

    log x and the weight f(x) = min(1, (x / x_max)^alpha) are computed once here, not per update.
    With ``expand`` each off-diagonal entry also yields its transpose (a stored upper-triangle
    pair counts for both directions). The order depends on ``seed`` only, not on ``n_threads``;
    :func:`scatter_triples`, :func:`gather_runs` and :func:`shuffle_buckets` produce the same
    order piece by piece (see train.h).
    """
    cdef int64_t nnz = rows.shape[0], n
    cdef int rc = 0
    n_threads = _clamp_threads(n_threads)
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


def bucket_hist(uint64_t seed, int64_t k0, int64_t k1, int64_t[::1] hist not None, int n_threads=1):
    """Add to ``hist[b]`` how many triples k in [k0, k1) the shuffle puts in bucket b (of len(hist))."""
    cdef int rc = 0
    n_threads = _clamp_threads(n_threads)
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
    n_threads = _clamp_threads(n_threads)
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
    n_threads = _clamp_threads(n_threads)
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


def all_finite(floating[:, ::1] a not None):
    """Whether every element is finite (no temporary array, stops at the first NaN/inf)."""
    cdef Py_ssize_t i, j
    cdef bint ok = True
    with nogil:
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                # x - x is 0 for finite x, NaN for NaN and inf
                if a[i, j] - a[i, j] != 0:
                    ok = False
                    break
            if not ok:
                break
    return ok


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
    whose weight slot ``row[2 dp + 2]`` is non-zero (see train.h); ``sum_mode`` says whether the
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
        if release_pages:
            first = (base + <uintptr_t>(start * tsize)) & ~page_mask
            gf_release_pages(<void *>first, <size_t>(base + <uintptr_t>(end * tsize) - first))
    return loss
