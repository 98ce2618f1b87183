# cython: language_level=3
"""The text vector files stage: parsing word2vec and GloVe text files in parallel in C (textio.h);
orchestration lives in glovefast.io.formats."""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memchr, memcpy

import numpy as np

from glovefast._kernels.platform cimport clamp_threads

gf_vecparse_init()

#: Error kinds reported by :func:`parse_block` (mirrors textio.h).
ERR_FIELDS, ERR_NO_WORD, ERR_NUMBER, ERR_NONFINITE, ERR_EXTRA = 1, 2, 3, 4, 5
cdef int _ERR_NOMEM = 6

# Chunks per thread at least: a few, so a chunk of long lines does not leave the other threads idle.
cdef int _CHUNKS_PER_THREAD = 4
cdef int64_t _UNLIMITED = 1 << 62


def parse_block(const unsigned char[::1] block, int dim, object dtype, int64_t max_rows, int n_threads,
                int64_t min_chunk_bytes=1 << 20, int64_t max_chunk_bytes=8 << 20, bint release=False,
                object reserve=None):
    """Parse a block of whole text lines ``word v1 ... v_dim`` (blank lines skipped).

    The block is cut into chunks at line boundaries; the threads count each chunk's rows, one
    output array of the exact size is allocated, and the threads parse each chunk straight
    into its rows. With ``max_rows`` set, chunks are counted a round at a time and counting
    stops once enough rows are found, so a small limit reads only the start of a large block.

    Parameters
    ----------
    block : bytes-like
        Complete lines; only the last may lack its newline. May be a whole memory-mapped file.
    dim : int
    dtype : numpy.float32 or numpy.float64
    max_rows : int
        Parse at most this many rows (the rest of the block is ignored).
    n_threads : int
        Already validated (1..256).
    min_chunk_bytes : int, optional
        Smallest chunk worth a thread of its own.
    max_chunk_bytes : int, optional
        Largest chunk: more chunks than threads balance the threads' work (and, with
        ``release``, bound the mapped pages in use at once).
    release : bool, optional
        ``block`` is a read-only file mapping: hand each chunk's pages back to the kernel once
        parsed (they stay in the page cache), so the file never counts whole in the process's
        resident memory.
    reserve : callable, optional
        ``reserve(n_rows, n_bytes)`` returns the C-contiguous ``(n_rows, dim)`` array of
        ``dtype`` to parse into (e.g. the next rows of a growing matrix), called once the rows
        in the first ``n_bytes`` of the block are counted. Then ``vectors`` is not returned.

    Returns
    -------
    vectors : numpy.ndarray, shape (n_rows, dim)
        A new array; left out when ``reserve`` is given (the array it returned may have moved).
    words : bytes
        The rows' words, each followed by ``b"\\n"``.
    lines : int
        Newline characters in the part of the block that was read (all of it unless
        ``max_rows`` stopped early, in which case the value is not meaningful).
    error : None or (kind, offset, line)
        The first malformed line: an ``ERR_*`` kind, its byte offset in ``block`` and the
        number of newlines before it. Rows from that line on are not valid.
    """
    cdef int64_t length = block.shape[0]
    cdef const char *buf = <const char *>&block[0] if length else NULL
    n_threads = clamp_threads(n_threads)  # validated by the caller; clamped again (see platform.pxd)
    if min_chunk_bytes < 1:
        min_chunk_bytes = 1
    if max_chunk_bytes < min_chunk_bytes:
        max_chunk_bytes = min_chunk_bytes
    cdef int64_t want = max(<int64_t>n_threads * _CHUNKS_PER_THREAD, (length + max_chunk_bytes - 1) // max_chunk_bytes)
    if length // want < min_chunk_bytes:
        want = max(1, min(length // min_chunk_bytes, want))
    want = min(want, 1 << 20)
    cdef gf_chunk *chunks = <gf_chunk *>malloc(want * sizeof(gf_chunk))
    if chunks == NULL:
        raise MemoryError()
    cdef int n = 0, i, counted = 0, step, threads = n_threads
    cdef int64_t total = 0, lines = 0, take, cap, words_total = 0, counted_end = 0
    cdef float *o32 = NULL
    cdef double *o64 = NULL
    cdef bint is64 = np.dtype(dtype) == np.float64
    cdef float[:, ::1] v32
    cdef double[:, ::1] v64
    cdef char *dst
    try:
        with nogil:
            n = gf_split(buf, length, <int>want, chunks)
        # Count in rounds of a few chunks per thread when a limit may stop early; else all at once
        # (one parallel region: waking threads costs milliseconds on a busy machine).
        step = n if max_rows >= _UNLIMITED else n_threads * _CHUNKS_PER_THREAD
        while counted < n and total < max_rows:
            step = min(step, n - counted)
            threads = min(n_threads, step)
            with nogil:
                gf_count(buf, chunks + counted, step, threads)
            for i in range(counted, counted + step):
                take = min(chunks[i].rows, max_rows - total)
                chunks[i].row0 = total
                chunks[i].quota = take
                total += take
                lines += chunks[i].lines
            counted += step
        counted_end = chunks[counted - 1].end if counted else 0
        # Every valid row takes at least 2 * dim + 1 bytes of text: a larger count means some line
        # is short, so validate without storing instead of allocating from a count that lies.
        cap = (counted_end + 1) // (2 * <int64_t>dim + 1)
        if reserve is None:
            out = np.empty((total if total <= cap else 0, dim), dtype=np.float64 if is64 else np.float32)
        else:
            out = reserve(total if total <= cap else 0, counted_end)
            if out.shape != (total if total <= cap else 0, dim):
                raise ValueError(f"reserve returned an array of shape {out.shape}")
        if out.shape[0]:
            if is64:
                v64 = out
                o64 = &v64[0, 0]
            else:
                v32 = out
                o32 = &v32[0, 0]
        if counted:
            threads = min(n_threads, counted)
            with nogil:
                gf_parse(buf, chunks, counted, threads, dim, o32, o64, release)
        error = None
        last = counted
        for i in range(counted):
            if chunks[i].err_kind == _ERR_NOMEM:
                raise MemoryError("no memory for the words of a text vectors file")
            if chunks[i].quota > 0:
                words_total += chunks[i].words_len
            if chunks[i].err_pos >= 0:
                before = 0
                for j in range(i):
                    before += chunks[j].lines
                error = (chunks[i].err_kind, chunks[i].err_pos, before + chunks[i].err_line)
                last = i + 1
                break
        if error is None and total > cap:
            raise AssertionError("a block holds more rows than its size allows, yet every line parsed")
        words = PyBytes_FromStringAndSize(NULL, words_total)
        dst = PyBytes_AS_STRING(words)
        for i in range(last):
            if chunks[i].quota > 0 and chunks[i].words_len:
                memcpy(dst, chunks[i].words, chunks[i].words_len)
                dst += chunks[i].words_len
        if reserve is not None:
            return words, lines, error
        return out, words, lines, error
    finally:
        for i in range(n):
            free(chunks[i].words)
        free(chunks)


def line_end(const unsigned char[::1] block, int64_t offset):
    """Offset of the first newline at or after ``offset`` in ``block``, or its length."""
    cdef int64_t length = block.shape[0]
    if offset >= length:
        return length
    cdef const char *base = <const char *>&block[0]
    cdef const char *nl = <const char *>memchr(base + offset, b'\n', length - offset)
    return length if nl == NULL else nl - base


def row_line(const unsigned char[::1] block, int64_t row):
    """Where the ``row``-th non-blank line of ``block`` (counting from 0) is, for error messages.

    Returns
    -------
    (newlines_before, start, end) or None when the block has fewer rows.
    """
    cdef int64_t length = block.shape[0], lines = 0
    if length == 0:
        return None
    cdef const char *base = <const char *>&block[0]
    cdef const char *p = base
    cdef const char *end = base + length
    cdef const char *nl
    cdef const char *le
    while p < end:
        nl = <const char *>memchr(p, b'\n', end - p)
        le = end if nl == NULL else nl
        if not gf_blank(p, le):
            if row == 0:
                return lines, p - base, le - base
            row -= 1
        if nl == NULL:
            break
        lines += 1
        p = nl + 1
    return None
