# cython: language_level=3
"""Hot loop of text word-vector reading (see _vecparse.h); orchestration lives in glovefast.formats."""
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

import numpy as np

cdef extern from "_vecparse.h" nogil:
    ctypedef struct gf_chunk:
        int64_t begin
        int64_t end
        int64_t rows
        int64_t lines
        int64_t row0
        int64_t quota
        int64_t words_len
        int64_t err_pos
        int err_kind
    void gf_vecparse_init()
    int gf_split(const char *buf, int64_t length, int n, gf_chunk *chunks)
    void gf_count(const char *buf, gf_chunk *chunks, int n, int nthreads)
    void gf_parse(const char *buf, gf_chunk *chunks, int n, int nthreads, int dim, float *o32, double *o64,
                  char *words)

gf_vecparse_init()

#: Error kinds reported by :func:`parse_block` (mirrors _vecparse.h).
ERR_FIELDS, ERR_NO_WORD, ERR_NUMBER, ERR_NONFINITE, ERR_EXTRA = 1, 2, 3, 4, 5

# Chunks per thread: a few, so a chunk of long lines does not leave the other threads idle.
cdef int _CHUNKS_PER_THREAD = 4


def parse_block(const unsigned char[::1] block, int dim, object dtype, int64_t max_rows, int n_threads,
                int64_t min_chunk_bytes=1 << 20):
    """Parse a block of whole text lines ``word v1 ... v_dim`` (blank lines skipped).

    Parameters
    ----------
    block : bytes-like
        Complete lines; only the last may lack its newline.
    dim : int
    dtype : numpy.float32 or numpy.float64
    max_rows : int
        Parse at most this many rows (the rest of the block is ignored).
    n_threads : int
        Already validated (1..256).
    min_chunk_bytes : int, optional
        Smallest chunk worth a thread of its own.

    Returns
    -------
    vectors : numpy.ndarray, shape (n_rows, dim)
    words : bytes
        The rows' words, each followed by ``b"\\n"``.
    lines : int
        Newline characters in the part of the block that was read (all of it unless
        ``max_rows`` stopped early, in which case the value is not meaningful).
    error : None or (kind, offset)
        The first malformed line: an ``ERR_*`` kind and its byte offset in ``block``. Rows
        from that line on are not valid.
    """
    cdef int64_t length = block.shape[0]
    cdef const char *buf = <const char *>&block[0] if length else NULL
    # validated by the caller; clamped again so no path hands OpenMP an absurd count (see _core)
    if n_threads < 1:
        n_threads = 1
    elif n_threads > 256:
        n_threads = 256
    cdef int want = n_threads * _CHUNKS_PER_THREAD
    if min_chunk_bytes < 1:
        min_chunk_bytes = 1
    if length // want < min_chunk_bytes:
        want = max(1, <int>min(length // min_chunk_bytes, want))
        if want > n_threads * _CHUNKS_PER_THREAD:
            want = n_threads * _CHUNKS_PER_THREAD
    cdef gf_chunk *chunks = <gf_chunk *>malloc(want * sizeof(gf_chunk))
    if chunks == NULL:
        raise MemoryError()
    cdef int n, i
    cdef int64_t total = 0, lines = 0, take, cap
    cdef float *o32 = NULL
    cdef double *o64 = NULL
    cdef bint is64 = np.dtype(dtype) == np.float64
    cdef unsigned char[::1] words_view
    cdef char *words
    cdef float[:, ::1] v32
    cdef double[:, ::1] v64
    try:
        with nogil:
            n = gf_split(buf, length, want, chunks)
            if n_threads > n:  # waking idle threads costs milliseconds on a busy machine
                n_threads = n if n > 0 else 1
            gf_count(buf, chunks, n, n_threads)
        for i in range(n):
            take = min(chunks[i].rows, max_rows - total)
            if take < 0:
                take = 0
            chunks[i].row0 = total
            chunks[i].quota = take
            total += take
            lines += chunks[i].lines
        # Every valid row takes at least 2 * dim + 1 bytes of text: a larger count means some line
        # is short, so validate without storing instead of allocating from a count that lies.
        cap = (length + 1) // (2 * <int64_t>dim + 1)
        words_buf = np.empty(max(length, 1), dtype=np.uint8)
        words_view = words_buf
        words = <char *>&words_view[0]
        out = np.empty((total if total <= cap else 0, dim), dtype=np.float64 if is64 else np.float32)
        if out.shape[0]:
            if is64:
                v64 = out
                o64 = &v64[0, 0]
            else:
                v32 = out
                o32 = &v32[0, 0]
        if length:
            with nogil:
                gf_parse(buf, chunks, n, n_threads, dim, o32, o64, words)
        error = None
        parts = []
        for i in range(n):
            if chunks[i].quota > 0:
                parts.append(words_buf[chunks[i].begin:chunks[i].begin + chunks[i].words_len])
            if chunks[i].err_pos >= 0:
                error = (chunks[i].err_kind, chunks[i].err_pos)
                break
        if error is None and total > cap:
            raise AssertionError("a block holds more rows than its size allows, yet every line parsed")
        return out, b"".join([p.tobytes() for p in parts]), lines, error
    finally:
        free(chunks)
