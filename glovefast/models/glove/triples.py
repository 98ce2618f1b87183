"""Training triples: where they come from, and their preparation in RAM or out of core.

``Glove.fit`` trains on triples (i, j, log x, f(x)), one per update, in a shuffled order. They come
from a cooccurrence matrix in RAM (:class:`MatrixSource`) or an on-disk
:class:`~glovefast.cooc.store.CooccurrenceStore` read shard by shard (:class:`StoreSource`, so the
whole matrix never sits in RAM), and are prepared either

* in RAM (:func:`prepare_in_ram`), when they fit in the memory budget: one parallel scatter
  shuffle, the fastest path; or
* out of core (:func:`prepare_on_disk`), an external version of the same shuffle: the entries are
  read in chunks, each chunk's triples are scattered into bucket-sorted runs appended to a
  temporary file, then the runs of a range of buckets (small enough for RAM) are gathered from
  every chunk, each bucket is shuffled, and the result is appended to the triples file, which
  training memory-maps.

Every path gives the same triples in the same order for a given seed (see ``_kernels/glove.h``), so the
memory budget never changes the result. Temporary files are created already unlinked
(``tempfile.TemporaryFile``): nothing is left in ``tmp_dir`` after success, an error, Ctrl-C or
even a killed process.
"""
import mmap
import shutil

import numpy as np
import scipy.sparse as sp

from glovefast._kernels import glove as glove_kernel
from glovefast._util.files import read_exactly, temp_file, write_all
from glovefast._util.memory import format_bytes
from glovefast._util.validation import check_cooccurrence_matrix, is_pathlike
from glovefast.cooc.store import COO_ENTRY_BYTES, READ_ENTRIES, CooccurrenceStore
from glovefast.errors import InvalidMatrixError, StorageError

#: Bytes of one training triple: (i, j) uint32 and (log x, f(x)) in the training precision.
TRIPLE_BYTES = {np.dtype(np.float32): glove_kernel.TRIPLE32.itemsize,
                np.dtype(np.float64): glove_kernel.TRIPLE64.itemsize}

#: Entries read from a store at a time on the in-RAM path (16 bytes each: 4 MiB).
_STORE_READ_ENTRIES = READ_ENTRIES

#: The least working memory the external shuffle accepts (a chunk buffer and two bucket ranges).
MIN_WORK_BYTES = 4 << 20



def triple_bytes(dtype):
    return TRIPLE_BYTES[np.dtype(dtype)]


# ------------------------------------------------------------------------------------------ sources
def open_source(matrix, n_words=None):
    """A :class:`MatrixSource` or :class:`StoreSource` for ``matrix``, without reading or
    converting its entries yet (so memory can be checked first).

    Raises
    ------
    InvalidMatrixError
        ``matrix`` is neither a matrix nor a store, or its shape does not match ``n_words``.
    FileNotFoundError, FormatError
        A path that is not an existing cooccurrence store.
    """
    if isinstance(matrix, CooccurrenceStore):
        return StoreSource(matrix, n_words)
    if is_pathlike(matrix):
        return StoreSource(CooccurrenceStore.open(matrix), n_words)
    return MatrixSource(matrix, n_words)


class MatrixSource:
    """A cooccurrence matrix in RAM (scipy sparse or dense), validated by :meth:`load`.

    Attributes
    ----------
    n_words : int
    nnz : int
        Stored entries (before duplicates are summed).
    copy_bytes : int
        RAM that validation and conversion may take on top of the caller's matrix: nothing for a
        canonical COO with int32 ids and float64 counts (``Corpus.matrix``), a converted copy and
        its sorting temporaries otherwise.
    """

    read_bytes_per_entry = 0  # chunks are views of arrays already in RAM

    def __init__(self, matrix, n_words=None):
        self.matrix = matrix
        self.n_words = None
        self.nnz = 0
        self.copy_bytes = 0
        self.expand = None
        self.n_triples = None
        if sp.issparse(matrix) or (isinstance(matrix, np.ndarray) and matrix.ndim == 2):
            shape = matrix.shape
            if len(shape) == 2 and shape[0] == shape[1] and (n_words is None or shape[0] == n_words):
                self.n_words = int(shape[0])
                if sp.issparse(matrix):
                    self.nnz = int(matrix.nnz)
                    canonical = (matrix.format == "coo" and matrix.row.dtype == np.int32
                                 and matrix.col.dtype == np.int32 and matrix.data.dtype == np.float64
                                 and getattr(matrix, "has_canonical_format", False))
                else:
                    self.nnz = int(np.count_nonzero(matrix))
                    canonical = False
                # the finiteness mask, and for a conversion the new arrays and sum_duplicates' sort
                self.copy_bytes = 2 * self.nnz + (0 if canonical else 3 * COO_ENTRY_BYTES * self.nnz)
        self._n_words_expected = n_words
        self._arrays = None

    def load(self, symmetric):
        """Validate (and convert) the matrix; decide whether entries expand to their transpose."""
        rows, cols, counts, n = check_cooccurrence_matrix(self.matrix, self._n_words_expected)
        self.matrix = None  # the arrays hold what training needs
        self.n_words = n
        if symmetric is None:
            symmetric = bool((rows <= cols).all() or (rows >= cols).all())
        self.expand = bool(symmetric)
        self._arrays = (rows, cols, counts)
        self.n_triples = glove_kernel.count_triples(rows, cols, self.expand)
        return self

    def arrays(self):
        """(rows, cols, counts) of every entry, for the in-RAM build."""
        return self._arrays

    def chunks(self, max_entries):
        """(rows, cols, counts) views of consecutive entries, at most ``max_entries`` at a time."""
        rows, cols, counts = self._arrays
        for e0 in range(0, len(rows), max_entries):
            yield rows[e0:e0 + max_entries], cols[e0:e0 + max_entries], counts[e0:e0 + max_entries]

    def release(self):
        self._arrays = None


class StoreSource:
    """An on-disk cooccurrence store, read shard by shard in bounded chunks (never whole)."""

    read_bytes_per_entry = COO_ENTRY_BYTES  # a chunk is read into RAM before its triples are built
    copy_bytes = _STORE_READ_ENTRIES * COO_ENTRY_BYTES

    def __init__(self, store, n_words=None):
        if n_words is not None and store.n_words != n_words:
            raise InvalidMatrixError(
                f"the store {store.path} has {store.n_words} words but the dictionary has {n_words}; "
                "use the store and dictionary of the same corpus"
            )
        if store.nnz == 0:
            raise InvalidMatrixError(f"the cooccurrence store {store.path} has no entries: there is nothing to train on")
        self.store = store
        self.n_words = store.n_words
        self.nnz = store.nnz
        self.expand = None
        self.n_triples = None

    def load(self, symmetric):
        """Check every entry but the counts (see :meth:`CooccurrenceStore.entries`) and count the
        triples: one pass over the row and column files."""
        self.expand = self.store.symmetric if symmetric is None else bool(symmetric)
        total = 0
        for rows, cols, _ in self.store.entries(_STORE_READ_ENTRIES, counts=False):
            total += glove_kernel.count_triples(rows, cols, self.expand)
        self.n_triples = total
        return self

    def chunks(self, max_entries):
        """(rows, cols, counts) arrays of consecutive entries, read from the shards' files and
        checked again, counts included (the files are read anew)."""
        return self.store.entries(max_entries, counts=True)

    def release(self):
        pass


# ------------------------------------------------------------------------------------------ results
class InRamTriples:
    """Triples in one array in RAM; ``raw`` is its bytes for the training kernel."""

    on_disk = False

    def __init__(self, triples):
        self.n = len(triples)
        self.raw = triples.view(np.uint8)

    def prefetch(self, order, b0, b1, block):
        pass

    def close(self):
        self.raw = None


class TriplesFile:
    """Triples in an (already unlinked) temporary file, memory-mapped read-only.

    Training touches blocks in a random order; :meth:`prefetch` asks the kernel to read the next
    call's blocks ahead, and the training kernel drops each block from this process's mapping as
    soon as it is done (``train_blocks(release_pages=True)``; the page cache keeps it if there is
    room), so resident memory stays at a few blocks per thread however large the file is. Not
    per call: a touched page maps its whole page-cache folio, and with large folios (Linux 6.x
    on ext4/xfs, up to 2 MiB) a call's 256 random blocks of 256 KiB mapped 400 MiB.
    """

    on_disk = True

    def __init__(self, fh, n, tsize, directory):
        self.n = n
        self.tsize = tsize
        self.directory = directory
        self._fh = fh
        self._mm = mmap.mmap(fh.fileno(), n * tsize, access=mmap.ACCESS_READ)
        self.raw = np.frombuffer(self._mm, dtype=np.uint8)
        self._advise = hasattr(self._mm, "madvise") and hasattr(mmap, "MADV_WILLNEED")

    def prefetch(self, order, b0, b1, block):
        """Ask the kernel to read blocks ``order[b0:b1]`` ahead (a no-op when they are cached)."""
        if not self._advise:
            return
        size = block * self.tsize
        total = self.n * self.tsize
        page = mmap.PAGESIZE
        for b in order[b0:b1].tolist():
            start = b * size
            aligned = start - start % page
            self._mm.madvise(mmap.MADV_WILLNEED, aligned, min(total, start + size) - aligned)

    def close(self):
        self.raw = None
        if self._mm is not None:
            try:
                self._mm.close()
            except BufferError:  # a caller still holds a view; the map goes with the last one
                pass
            self._mm = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None


# -------------------------------------------------------------------------------------- preparation
def prepare_in_ram(source, seed, x_max, alpha, dtype, n_threads):
    """All triples in one array (see the module docstring); returns :class:`InRamTriples`."""
    double = np.dtype(dtype) == np.float64
    if isinstance(source, MatrixSource):
        rows, cols, counts = source.arrays()
        triples = glove_kernel.build_triples(rows, cols, counts, source.expand, x_max, alpha, seed, double, n_threads)
        source.release()
        return InRamTriples(triples)
    # A store: scatter chunk by chunk straight to each bucket's final place, then shuffle.
    n = source.n_triples
    nb = glove_kernel.n_buckets(n, double)
    hist = np.zeros(nb, dtype=np.int64)
    glove_kernel.bucket_hist(seed, 0, n, hist, n_threads)
    start = np.zeros(nb + 1, dtype=np.int64)
    np.cumsum(hist, out=start[1:])
    del hist
    triples = np.empty(n, dtype=glove_kernel.TRIPLE64 if double else glove_kernel.TRIPLE32)
    raw = triples.view(np.uint8)
    pos = start[:-1].copy()
    k0 = 0
    for rows, cols, counts in source.chunks(_STORE_READ_ENTRIES):
        k0 += glove_kernel.scatter_triples(rows, cols, counts, source.expand, x_max, alpha, seed, k0, nb, pos, False,
                                           raw, double, n_threads)
    if k0 != n or not np.array_equal(pos, start[1:]):
        raise StorageError(f"the cooccurrence store {source.store.path} changed while training read it")
    glove_kernel.shuffle_buckets(raw, start, 0, seed, double, n_threads)
    return InRamTriples(triples)


def prepare_triples(source, plan, seed, x_max, alpha, dtype, n_threads, directory):
    """The shuffled triples of a loaded ``source`` where ``plan`` (a
    :class:`~glovefast.models.glove.memory.TrainingMemory`) placed them: in RAM, or shuffled on disk in
    ``directory`` within the plan's working memory. The same triples in the same order either way."""
    if plan.triples_in_ram:
        return prepare_in_ram(source, seed, x_max, alpha, dtype, n_threads)
    return prepare_on_disk(source, seed, x_max, alpha, dtype, n_threads, plan.work, directory)


def disk_bytes_needed(n_triples, dtype):
    """Temporary disk space the external shuffle needs at its peak: the scattered runs and the
    shuffled triples file (the runs go when preparation ends)."""
    return 2 * n_triples * triple_bytes(dtype)


def prepare_on_disk(source, seed, x_max, alpha, dtype, n_threads, work_bytes, directory):
    """The external shuffle (see the module docstring) in about ``work_bytes`` of RAM; returns a
    :class:`TriplesFile` in ``directory``, in the same order :func:`prepare_in_ram` gives.

    Raises
    ------
    StorageError
        ``directory`` is full or not writable (checked up front, and on every write).
    """
    dtype = np.dtype(dtype)
    double = dtype == np.float64
    tsize = triple_bytes(dtype)
    n = source.n_triples
    nb = glove_kernel.n_buckets(n, double)
    need = disk_bytes_needed(n, dtype)
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        free = None
    if free is not None and free < need:
        raise StorageError(
            f"the training triples need {format_bytes(need)} of temporary space in {directory!r} but only "
            f"{format_bytes(free)} is free; free space there, choose another directory with tmp_dir= "
            "(--tmp-dir), or raise the memory budget so they fit in RAM"
        )
    what = "the training triples"
    per_entry = source.read_bytes_per_entry + (2 if source.expand else 1) * tsize
    max_entries = max(1, work_bytes // per_entry)
    chunk = np.empty((2 if source.expand else 1) * min(max_entries, source.nnz) * tsize, dtype=np.uint8)
    runs = temp_file(directory, what, need)   # every chunk's bucket-sorted triples, one after another
    bounds = temp_file(directory, what, need)  # every chunk's nb + 1 bucket starts (int64)
    out = None
    try:
        # 1. scatter: each chunk of entries becomes nb bucket-sorted runs
        totals = np.zeros(nb, dtype=np.int64)
        chunk_offsets = []
        pos = np.zeros(nb + 1, dtype=np.int64)
        k0 = 0
        for rows, cols, counts in source.chunks(max_entries):
            m = glove_kernel.scatter_triples(rows, cols, counts, source.expand, x_max, alpha, seed, k0, nb, pos, True,
                                             chunk, double, n_threads)
            chunk_offsets.append(k0)
            write_all(runs, chunk[:m * tsize], directory, what, need)
            write_all(bounds, pos, directory, what, need)
            totals += np.diff(pos)
            k0 += m
        del chunk, rows, cols, counts  # the last chunk's arrays would otherwise live on through step 2
        source.release()
        if k0 != n:
            raise StorageError("the cooccurrence matrix changed while its triples were prepared")
        # 2. gather: ranges of buckets that fit in half the working memory, each bucket's runs
        #    from every chunk in chunk order, then shuffle the buckets and append them
        cap = max(work_bytes // 2, int(totals.max(initial=0)) * tsize)
        groups = []
        b, acc = 0, 0
        for q in range(nb):
            size = int(totals[q]) * tsize
            if q > b and acc + size > cap:
                groups.append((b, q))
                b, acc = q, 0
            acc += size
        groups.append((b, nb))
        largest = max(int(totals[lo:hi].sum()) for lo, hi in groups) * tsize
        src = np.empty(largest, dtype=np.uint8)
        dst = np.empty(largest, dtype=np.uint8)
        out = temp_file(directory, what, need)
        n_chunks = len(chunk_offsets)
        starts = np.empty(nb + 1, dtype=np.int64)
        for lo, hi in groups:
            lengths = np.empty((n_chunks, hi - lo), dtype=np.int64)
            filled = 0
            edges = starts[:hi - lo + 1]
            for c, k in enumerate(chunk_offsets):
                read_exactly(bounds, edges, (c * (nb + 1) + lo) * 8, directory, what)
                lengths[c] = np.diff(edges)
                a, z = int(edges[0]) * tsize, int(edges[-1]) * tsize
                read_exactly(runs, src[filled:filled + z - a], k * tsize + a, directory, what)
                filled += z - a
            group_start = np.zeros(hi - lo + 1, dtype=np.int64)
            np.cumsum(totals[lo:hi], out=group_start[1:])
            glove_kernel.gather_runs(src[:filled], dst[:filled], lengths, tsize)
            glove_kernel.shuffle_buckets(dst[:filled], group_start, lo, seed, double, n_threads)
            write_all(out, dst[:filled], directory, what, need)
        del src, dst
        runs.close()
        bounds.close()
        result = TriplesFile(out, n, tsize, directory)
        out = None
        return result
    finally:
        runs.close()
        bounds.close()
        if out is not None:
            out.close()


__all__ = [
    "InRamTriples",
    "MatrixSource",
    "StoreSource",
    "TriplesFile",
    "disk_bytes_needed",
    "open_source",
    "prepare_in_ram",
    "prepare_on_disk",
    "prepare_triples",
    "triple_bytes",
]
