"""Cooccurrence counting in a memory budget: the plan, spilled runs, and the k-way merge.

Counting has three steps, each usable on its own (the distributed counting builds on them):

1. a vocabulary (:class:`~glovefast.text.vocabulary.Vocabulary`), from a first pass or given;
2. counting the token stream chunk by chunk into a fixed-point dense table plus per-thread
   sorted overflow runs (:class:`glovefast._kernels.cooc.Cooccurrence`); when the runs outgrow their
   share of the budget they are written to *run files* in a temporary directory;
3. a k-way merge of the dense table and the runs, row block by row block, into a scipy COO
   or a :class:`~glovefast.cooc.store.CooccurrenceStore`.

Run files
---------
A run file is a raw little-endian array of 16-byte entries ``(key uint64, value int64)``, sorted
by key without duplicates, where ``key = row * n_words + col`` and ``value`` is the count in
fixed point (count = value / 2**32, :data:`FIX_ONE`). Integer sums do not depend on their order,
so the merged matrix is identical entry for entry whatever the budget, the thread count, the
spill pattern or the split of the corpus between workers.

Distributed counting uses three functions with documented contracts: :func:`count_files`
(files + a Vocabulary -> run files), :func:`merge_runs` (run files, a row range -> store shard
files) and :meth:`CooccurrenceStore.assemble <glovefast.cooc.store.CooccurrenceStore.assemble>`
(shard files -> a store). See docs/scale.md.
"""
import logging
import os
import threading
from dataclasses import dataclass

import numpy as np

from glovefast._kernels import cooc as cooc_kernel
from glovefast._kernels import vocab as vocab_kernel
from glovefast._util.files import TempSpace, read_exactly, write_new_file
from glovefast._util.interrupts import Worker, wait_for_workers
from glovefast._util.memory import resolve_budget
from glovefast._util.validation import check_choice, check_int, check_threads, decode_token
from glovefast.cooc.store import COLUMNS
from glovefast.errors import StorageError, UnknownWordError
from glovefast.text import reading
from glovefast.text.tokens import IdStream  # noqa: F401 - counting.IdStream, where it was first

logger = logging.getLogger(__name__)

#: A run entry: ``key = row * n_words + col`` (uint64) and the count in fixed point (int64).
ENTRY = cooc_kernel.ENTRY
#: Counts are stored as ``round(count * FIX_ONE)``.
FIX_ONE = cooc_kernel.FIX_ONE
#: Bytes of one run entry.
RUN_ENTRY_BYTES = ENTRY.itemsize
#: At most this many runs are merged at once; more are first merged in groups (open files).
MAX_FANIN = 64

# Bytes the reader and tokenizer hold while counting text: the reader's queue of decompressed
# chunks and the tokenizer's id buffer (reading.CHUNK_BYTES each, ids up to 4x the bytes).
_IO_BYTES = 12 * reading.CHUNK_BYTES
# A vocabulary word costs about this many bytes while counting: the C hash table (slot, offsets,
# count, text) and the Python dictionary and word list of the result.
VOCAB_WORD_BYTES = 200
# Largest dense table and overflow buffer worth having (beyond them, gains are nil).
_MAX_DENSE_BYTES = 4 << 30
_MAX_BUFFER_ENTRIES = 1 << 22
# Output entries merged per block (bounded further by the budget).
_MAX_BLOCK_ENTRIES = 1 << 24


@dataclass(frozen=True)
class CountingPlan:
    """How a memory budget is spent on counting (see :func:`plan_counting`).

    Attributes
    ----------
    budget : int
        The budget in bytes.
    dense_bytes : int
        The dense table of frequent pairs (shared by the threads).
    buffer_entries : int
        Overflow buffer entries per thread (16 bytes each with the sort scratch, 32 for a
        vocabulary of over about 190M words; :func:`glovefast._kernels.cooc.overflow_entry_bytes`).
    run_bytes : int
        In-memory sorted runs beyond this are spilled to run files.
    chunk_tokens : int
        Tokens counted between two spill checks (bounds how far the runs can overshoot).
    stream_bytes : int
        A first pass keeps the id stream in RAM up to this size (4 bytes a token), so the
        counting pass need not read the input again; beyond it files are re-read and streams
        spill their ids to the temporary directory.
    merge_entries : int
        Entries merged per row block at the end.
    """

    budget: int
    dense_bytes: int
    buffer_entries: int
    run_bytes: int
    chunk_tokens: int
    stream_bytes: int
    merge_entries: int


def plan_counting(budget, n_words, window, n_threads, n_positions=None, held_bytes=0):
    """Turn a memory budget into table sizes: the one place that decides them.

    Parameters
    ----------
    budget : int
        Bytes for counting's large buffers (see :mod:`glovefast._util.memory`).
    n_words : int
        Vocabulary size (0 when not known yet, for the first pass).
    window : int
    n_threads : int
    n_positions : int, optional
        Tokens to count, when known. A small corpus gets tables no larger than its number of
        pairs, so it does not pay for allocating and scanning tables sized for a large one.
    held_bytes : int
        Memory already held for the count (an id stream kept from the first pass).

    Returns
    -------
    CountingPlan

    Notes
    -----
    Of the budget, the reader's buffers (:data:`_IO_BYTES`, about 48 MiB), the vocabulary table
    (about 200 bytes a word: the C table and the Python dictionary) and ``held_bytes`` come first; 15% is left as slack for the
    interpreter's own allocations. Of the rest: 40% for the dense table, up to 5% for the
    overflow buffers, and the remainder for in-memory runs (spilled when full). The id stream
    of a first pass may use 30% of the budget.
    """
    budget = int(budget)
    window = max(int(window), 1)
    n_threads = max(int(n_threads), 1)
    usable = int(budget * 0.85) - min(_IO_BYTES, budget // 8) - VOCAB_WORD_BYTES * int(n_words) - int(held_bytes)
    usable = max(usable, budget // 16)
    dense = int(usable * 0.40)
    entry_bytes = cooc_kernel.overflow_entry_bytes(max(int(n_words), 1))
    buffers = max(int(usable * 0.05) // (entry_bytes * n_threads), 1024)
    if n_positions is not None:
        pairs = max(int(n_positions) * window, 1024)
        # A cell of the dense table costs 8 bytes whether hit or not and is scanned at the end: a
        # small corpus fills few of them, so its table is kept to an eighth of a cell per pair (on
        # 1M-5M-token slices of real8 faster than a quarter now that unflushed overflow is emitted
        # directly; the same at 29M).
        dense = min(dense, pairs)
        buffers = min(buffers, pairs)
    dense = min(dense, _MAX_DENSE_BYTES)
    buffers = min(buffers, _MAX_BUFFER_ENTRIES)
    rest = max(usable - dense - buffers * entry_bytes * n_threads - dense // 128, usable // 8)
    run_bytes = int(rest * 0.6)
    # Between two spill checks the runs grow by at most one entry per pair counted.
    chunk_tokens = int(rest * 0.4) // (RUN_ENTRY_BYTES * window)
    chunk_tokens = int(min(max(chunk_tokens, 4 * window), 1 << 22))
    merge_entries = int(min(max(rest // (3 * RUN_ENTRY_BYTES), 1024), _MAX_BLOCK_ENTRIES))
    return CountingPlan(budget=budget, dense_bytes=dense, buffer_entries=int(buffers), run_bytes=run_bytes,
                        chunk_tokens=chunk_tokens, stream_bytes=int(budget * 0.3), merge_entries=merge_entries)


def merge_entries_beside(plan, held_bytes):
    """Merge block entries when ``held_bytes`` of in-memory runs stay in RAM through the merge
    instead of being spilled first: they share the memory the plan gave the merge buffers (3 x 16
    bytes an entry). None when too little would be left for blocks (then spill them)."""
    room = 3 * RUN_ENTRY_BYTES * plan.merge_entries - int(held_bytes)
    entries = room // (3 * RUN_ENTRY_BYTES)
    return entries if entries >= max(plan.merge_entries // 8, 1) else None


# ------------------------------------------------------------------------------------------ runs
class RunFile:
    """A sorted run on disk (see the module docstring), read by binary search and slices, never
    memory-mapped (mapped pages would count towards the resident memory)."""

    def __init__(self, path, entries=None):
        self.path = os.fspath(path)
        size = os.path.getsize(self.path)
        if size % RUN_ENTRY_BYTES:
            raise StorageError(f"{self.path}: {size} bytes is not a whole number of 16-byte run entries")
        self.entries = size // RUN_ENTRY_BYTES
        if entries is not None and entries != self.entries:
            raise StorageError(f"{self.path}: holds {self.entries} entries, expected {entries}; it was truncated")
        self._fd = None

    def _open(self):
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        return self._fd

    def key_at(self, i):
        return int.from_bytes(os.pread(self._open(), 8, i * RUN_ENTRY_BYTES), "little")

    def read(self, lo, hi, out=None):
        """Entries ``[lo, hi)``, into ``out`` (an ENTRY array of at least ``hi - lo``) when given."""
        out = np.empty(hi - lo, dtype=ENTRY) if out is None else out[:hi - lo]
        if hi > lo:
            try:
                read_exactly(self._open(), out, lo * RUN_ENTRY_BYTES)
            except OSError as exc:
                raise StorageError(f"{self.path}: cannot read the run file ({exc.strerror or exc})") from exc
        return out

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __len__(self):
        return self.entries

    def __repr__(self):
        return f"RunFile({self.path!r}, {self.entries} entries)"


class _MemoryRun:
    """An in-memory run (a view of the counter's run, or any sorted ENTRY array)."""

    def __init__(self, array):
        self.array = array
        self.keys = array["key"]
        self.entries = len(array)

    def key_at(self, i):
        return int(self.keys[i])

    def read(self, lo, hi, out=None):
        return self.array[lo:hi]

    def close(self):
        pass

    def __len__(self):
        return self.entries


def _lower_bound(run, key):
    lo, hi = 0, len(run)
    while lo < hi:
        mid = (lo + hi) // 2
        if run.key_at(mid) < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


class _RowIndex:
    """Where each row starts in every run and in the dense table: the entry counts that size the
    row blocks of a merge. Run offsets are found by binary search (a few reads per run) and
    remembered; one index per thread (it is not shared)."""

    def __init__(self, runs, n_words, dense_cum=None):
        self.runs = runs
        self.n_words = int(n_words)
        self.dense_cum = dense_cum
        self._lows = {}

    def lows(self, r):
        got = self._lows.get(r)
        if got is None:
            got = self._lows[r] = [_lower_bound(run, r * self.n_words) for run in self.runs]
        return got

    def size(self, r0, r1):
        """Input entries of rows [r0, r1): run entries plus the dense table's nonzeros."""
        n = sum(h - l for l, h in zip(self.lows(r0), self.lows(r1)))
        if self.dense_cum is not None:
            n += int(self.dense_cum[r1] - self.dense_cum[r0])
        return n

    def cut(self, r0, r1, limit):
        """The largest r2 in (r0, r1] with size(r0, r2) <= limit, at least r0 + 1."""
        if self.size(r0, r1) <= limit:
            return r1
        lo, hi = r0 + 1, r1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.size(r0, mid) <= limit:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def forget_before(self, r):
        for k in [k for k in self._lows if k < r]:
            del self._lows[k]


def _dense_cum(cooc, n_words):
    if cooc is None:
        return None
    out = np.zeros(int(n_words) + 1, dtype=np.int64)
    np.cumsum(cooc.dense_row_nnz(), out=out[1:])
    return out


class MergeScratch:
    """Arrays a merge reuses from one row block to the next. Fresh memory costs more than the
    merge itself (the kernel zeroes every new page, and on a virtual machine the host may fault
    it in too), so a merge allocates its block buffers once."""

    def __init__(self):
        self._arrays = {}

    def get(self, name, n, dtype):
        a = self._arrays.get(name)
        if a is None or len(a) < n or a.dtype != dtype:
            a = self._arrays[name] = np.empty(max(int(n), 1), dtype=dtype)  # grows only for a huge single row
        return a


def iter_merged_blocks(runs, n_words, row_start, row_end, max_entries, cooc=None, fixed=False, scratch=None,
                       _index=None, entries=False):
    """K-way merge of sorted runs (and the dense table of ``cooc``, after ``finish``) over rows
    ``[row_start, row_end)``, in row blocks of at most ``max_entries`` input entries (a single
    row larger than that is one block).

    Yields ``(block_start, block_end, rows, cols, values)``: int32 rows and columns sorted by
    (row, col) without duplicates, values float64 counts (int64 fixed point with ``fixed``).
    With a ``scratch`` (:class:`MergeScratch`), the yielded arrays are views of buffers that the next
    block overwrites: use them before asking for the next. With ``entries``, yields
    ``(block_start, block_end, entries)`` instead: one ENTRY array (key, fixed-point value), as
    run files hold them, built in C.
    """
    V = int(n_words)
    index = _index if _index is not None else _RowIndex(runs, V, _dense_cum(cooc, V))
    r = row_start
    while r < row_end:
        r2 = index.cut(r, row_end, max_entries)
        capacity = index.size(r, r2)
        spans = list(zip(runs, index.lows(r), index.lows(r2)))
        out = None
        if scratch is None:
            slices = [run.read(l, h) for run, l, h in spans]
        else:
            buf = scratch.get("in", capacity, ENTRY)
            slices, o = [], 0
            for run, l, h in spans:
                slices.append(run.read(l, h, buf[o:o + h - l]))  # in-memory runs give views instead
                o += h - l
            out = (scratch.get("entries", capacity + 1, ENTRY) if entries else
                   (scratch.get("rows", capacity + 1, np.dtype(np.int32)),
                    scratch.get("cols", capacity + 1, np.dtype(np.int32)),
                    scratch.get("vals", capacity + 1, np.dtype(np.int64 if fixed else np.float64))))
        merged = cooc_kernel.merge_block(cooc, V, r, r2, slices, capacity, fixed, out, entries)
        del slices
        index.forget_before(r2)
        yield (r, r2, merged) if entries else (r, r2, *merged)
        r = r2


def _row_ranges(runs, n_words, row_start, row_end, parts, cooc=None):
    """``parts`` consecutive row ranges covering [row_start, row_end) with about equal numbers of
    input entries; returns [(r0, r1, entries), ...] (ranges may be empty)."""
    index = _RowIndex(runs, n_words, _dense_cum(cooc, n_words))
    total = index.size(row_start, row_end)
    cuts = [row_start]
    for k in range(1, parts):
        target = total * k // parts
        lo, hi = cuts[-1], row_end  # smallest r with size(row_start, r) >= target
        while lo < hi:
            mid = (lo + hi) // 2
            if index.size(row_start, mid) < target:
                lo = mid + 1
            else:
                hi = mid
        cuts.append(lo)
    cuts.append(row_end)
    return [(a, b, index.size(a, b)) for a, b in zip(cuts, cuts[1:])]


def thread_ranges(runs, n_words, row_start, row_end, n_threads, cooc=None):
    """The row ranges :func:`merge_parallel` gives its threads: one per thread (no more threads
    than rows), of about equal input entries; [(r0, r1, entries), ...] in row order."""
    n_threads = max(1, min(int(n_threads), max(row_end - row_start, 1)))
    return _row_ranges(runs, n_words, row_start, row_end, n_threads, cooc)


def merge_parallel(runs, n_words, row_start, row_end, max_entries, n_threads, work, cooc=None, fixed=False,
                   ranges=None):
    """Merge rows [row_start, row_end) on ``n_threads`` threads, each over its own row range.

    The rows are split into ranges of about equal input entries (runs are sorted, so each range
    is a contiguous slice of every run): :func:`thread_ranges`, or ``ranges`` when a caller that
    needs them beforehand computed them for the same arguments. ``work(part, r0, r1, entries,
    blocks)`` runs in the part's thread, with ``blocks`` iterating that range's merged row blocks
    (reused buffers, at most ``max_entries // n_threads`` input entries each, see
    :func:`iter_merged_blocks`).
    The merge loops release the GIL, so the threads run in parallel. Returns the results of
    ``work`` in row order. If a part fails, the others stop after their current block and the
    first error is raised.
    """
    if ranges is None:
        ranges = thread_ranges(runs, n_words, row_start, row_end, n_threads, cooc)
    n_threads = len(ranges)
    per_thread = max(int(max_entries) // n_threads, 1024)
    for run in runs:
        if isinstance(run, RunFile):
            run._open()  # before the threads share it (pread needs no lock)
    stop = threading.Event()
    results = [None] * len(ranges)
    errors = []

    def blocks(r0, r1):
        for block in iter_merged_blocks(runs, n_words, r0, r1, per_thread, cooc, fixed, scratch=MergeScratch()):
            if stop.is_set():
                raise _Stopped()
            yield block

    def run_part(k):
        r0, r1, entries = ranges[k]
        try:
            results[k] = work(k, r0, r1, entries, blocks(r0, r1))
        except BaseException as exc:  # noqa: B902 - handed to the caller's thread
            stop.set()
            errors.append(exc)

    if len(ranges) == 1:
        r0, r1, entries = ranges[0]
        return [work(0, r0, r1, entries, blocks(r0, r1))]
    threads = [Worker(run_part, (k,), name=f"glovefast-merge-{k}") for k in range(1, len(ranges))]
    try:
        for t in threads:
            t.start()
    except BaseException as exc:  # noqa: B902 - Ctrl-C or SIGTERM while starting them: the started ones stop
        stop.set()
        errors.append(exc)
    else:
        run_part(0)  # this thread's own share; any error (Ctrl-C included) is recorded and stops the others
    interrupted = wait_for_workers(threads, stop.set)  # Ctrl-C while waiting: the others stop after their block
    if interrupted is not None:
        errors.insert(0, interrupted)
    real = [e for e in errors if not isinstance(e, _Stopped)]
    if real:
        raise real[0]
    return results


class _Stopped(Exception):
    """A merge thread stopped because another one failed."""


def merge_to_shard_files(runs, n_words, row_start, row_end, out_dir, prefix, max_entries, n_threads=1, cooc=None):
    """Merge rows [row_start, row_end) into store shard files in ``out_dir`` (one shard per row
    block, named ``{prefix}-NNNNN`` + the column suffixes, ``{prefix}.P-NNNNN`` for thread P's
    row range when there are several), on ``n_threads`` threads.
    Returns the shard dicts of :func:`merge_runs`, in row order. The files are written as the
    merge makes them (sorted, no duplicates), with no second check; a failure removes them."""
    written = []
    out_dir = os.fspath(out_dir)

    def work(part, r0, r1, entries, blocks):
        stem = prefix if n_threads <= 1 else f"{prefix}.{part}"
        shards, k = [], 0
        for b0, b1, rows, cols, vals in blocks:
            files = {}
            for (column, suffix, dtype), arr in zip(COLUMNS, (rows, cols, vals)):
                path = os.path.join(out_dir, f"{stem}-{k:05d}{suffix}")
                files[column] = path
                write_new_file(path, [arr.astype(dtype, copy=False)], "the store's shard files", mode=0o644)
                written.append(path)
            shards.append({"row_start": b0, "row_end": b1, "nnz": len(rows), "files": files})
            k += 1
        return shards  # the blocks cover [r0, r1) without a gap (iter_merged_blocks)

    try:
        parts = merge_parallel(runs, n_words, row_start, row_end, max_entries, n_threads, work, cooc)
    except BaseException:
        for path in written:
            try:
                os.unlink(path)
            except OSError:
                pass
        raise
    return [shard for part in parts for shard in part]


def merge_to_coo(runs, n_words, max_entries, n_threads=1, cooc=None):
    """The merged matrix as (rows int32, cols int32, counts float64) in RAM, on ``n_threads``
    threads: each writes its row range at an offset bounded by its input entries, and the parts
    are then moved together."""
    ranges = thread_ranges(runs, n_words, 0, n_words, n_threads, cooc)
    total = sum(e for _, _, e in ranges)
    rows = np.empty(total, dtype=np.int32)
    cols = np.empty(total, dtype=np.int32)
    data = np.empty(total, dtype=np.float64)
    starts = np.concatenate(([0], np.cumsum([e for _, _, e in ranges]))).tolist()

    def work(part, r0, r1, entries, blocks):
        n = starts[part]
        for _, _, r, c, d in blocks:
            rows[n:n + len(r)] = r
            cols[n:n + len(r)] = c
            data[n:n + len(r)] = d
            n += len(r)
        return n - starts[part]

    counts = merge_parallel(runs, n_words, 0, n_words, max_entries, n_threads, work, cooc, ranges=ranges)
    n = counts[0]
    for part in range(1, len(counts)):
        s, k = starts[part], counts[part]
        if s != n:
            rows[n:n + k] = rows[s:s + k]
            cols[n:n + k] = cols[s:s + k]
            data[n:n + k] = data[s:s + k]
        n += k
    for a in (rows, cols, data):
        a.resize(n, refcheck=False)  # shrinking in place gives the slack back without a copy
    return rows, cols, data


def reduce_fanin(runs, n_words, space, max_entries):
    """Merge runs in groups until at most MAX_FANIN remain (each merge streams in row blocks)."""
    while len(runs) > MAX_FANIN:
        merged = []
        for g in range(0, len(runs), MAX_FANIN):
            group = runs[g:g + MAX_FANIN]
            if len(group) == 1:
                merged.append(group[0])
                continue
            path = space.new_path("merged")
            blocks = (e for _, _, e in iter_merged_blocks(group, n_words, 0, n_words, max_entries,
                                                          scratch=MergeScratch(), entries=True))
            write_new_file(path, blocks, "merged counting runs")
            for run in group:
                run.close()
                if isinstance(run, RunFile) and os.path.dirname(run.path) == space.path:
                    os.unlink(run.path)
            merged.append(RunFile(path))
        runs = merged
    return runs


class Spiller:
    """Writes the counter's in-memory runs to run files when they exceed ``run_bytes``."""

    def __init__(self, cooc, space, run_bytes, stem="run"):
        self.cooc = cooc
        self.space = space
        self.run_bytes = run_bytes
        self.stem = stem
        self.runs = []

    def check(self):
        if self.cooc.run_entries * RUN_ENTRY_BYTES > self.run_bytes:
            self.spill()

    def spill(self):
        """Write every in-memory run to its own run file, the threads' runs in parallel (the
        writes release the GIL), then free them. On failure the files of this spill are removed
        and the runs stay in memory."""
        views = self.cooc.runs()
        if not views:
            return
        paths = [self.space.new_path(self.stem) for _ in views]
        errors = []

        def write(k):
            try:
                write_new_file(paths[k], [views[k]], "spilled counting runs")
            except BaseException as exc:  # noqa: B902 - re-raised in the caller's thread
                errors.append(exc)

        threads = [Worker(write, (k,), name=f"glovefast-spill-{k}") for k in range(1, len(views))]
        try:
            for t in threads:
                t.start()
        except BaseException as exc:  # noqa: B902 - Ctrl-C or SIGTERM while starting them: wait for the started ones
            errors.append(exc)
        else:
            write(0)
        interrupted = wait_for_workers(threads)
        if interrupted is not None:
            errors.insert(0, interrupted)
        if errors:
            for path in paths:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            raise errors[0]
        self.runs.extend(RunFile(path, len(v)) for path, v in zip(paths, views))
        del views
        self.cooc.clear_runs()
        logger.debug("spilled %d runs (%d so far) to %s", len(paths), len(self.runs), self.space.path)


# ------------------------------------------------------------------------------------------ id streams
def count_id_stream(stream, remap, cooc, chunk_tokens, window, spiller, keep=None):
    """Count a first pass's id stream after mapping its ids through ``remap`` (first-seen id ->
    final id or DROP; SKIP and SEP pass through). ``keep`` (a
    :class:`~glovefast.text.tokens.TokenWriter`) also gets the final ids."""
    if stream.in_memory:
        tc = stream.counter
        n = tc.remap(remap)
        if keep is not None:
            keep.add(tc.tokens())
        for s in range(0, n, chunk_tokens):
            cooc.count_ids(tc.ids(), s, min(n, s + chunk_tokens))
            spiller.check()
        tc.keep_tail(0)
        return
    tc = vocab_kernel.TokenCounter()
    start = 0
    for ids in stream.iter_file(chunk_tokens):
        word = ids >= 0
        ids[word] = remap[ids[word]]
        if keep is not None:
            keep.add(ids)
        tc.feed_ids(ids[ids != vocab_kernel.DROP])
        cooc.count_ids(tc.ids(), start)
        spiller.check()
        tc.keep_tail(window)
        start = tc.n_tokens


def count_text(sources, counter, cooc, chunk_tokens, window, spiller, unknown, verbose, word_counts=None,
               keep=None):
    """The counting pass over text: ``counter`` holds the final vocabulary (``load_words``); ids are
    counted chunk by chunk, the last ``window`` carried across chunks. ``unknown`` is DROP, SKIP
    or anything else to raise UnknownWordError. With ``word_counts`` (int64, n_words), adds the
    occurrences of each id to it and returns the number of tokens counted (unknown ones
    included). ``keep`` (a :class:`~glovefast.text.tokens.TokenWriter`) also gets the ids."""
    start = 0
    seen = 0

    def count_chunk():
        nonlocal seen
        n = counter.n_tokens
        for s in range(start, n, chunk_tokens):  # a spill check every chunk_tokens
            cooc.count_ids(counter.ids(), s, min(n, s + chunk_tokens))
            spiller.check()
        if word_counts is not None or keep is not None:
            ids = counter.tokens()[start:]
        if keep is not None:
            keep.add(ids)
        if word_counts is not None:
            seen += int(np.count_nonzero(ids != vocab_kernel.SEP))
            ids = ids[ids >= 0]
            if ids.size:
                word_counts[:] += np.bincount(ids, minlength=len(word_counts))
        counter.keep_tail(window)
        return counter.n_tokens

    for chunk in reading.iter_text(sources, verbose, desc="counting pairs"):
        if chunk is None:
            counter.end_document()
            continue
        bad = counter.feed_known(chunk, unknown)
        if bad is not None:
            word = decode_token(bad)
            raise UnknownWordError(
                word, f"word {word!r} is not in the dictionary; pass ignore_missing=True to skip unknown words "
                      "(they keep their position in the window), or add it")
        if counter.n_tokens - start >= chunk_tokens:
            start = count_chunk()
    count_chunk()
    counter.keep_tail(0)
    return seen


# ------------------------------------------------------------------------------------------ the seam
def count_files(paths, vocabulary, run_dir, *, window=10, distance_weighting="harmonic", symmetric=True,
                memory=None, no_threads=None, prefix="run"):
    """Count the cooccurrences of text files with a given vocabulary into sorted run files.

    The building block of distributed counting: each worker counts its share of the files
    with the global vocabulary; the runs of all workers are then merged by row ranges
    (:func:`merge_runs`). Nothing is held in memory afterwards.

    Parameters
    ----------
    paths : list of str or path-like
        UTF-8 text files, plain or gzip-compressed, one document per line (as ``Corpus.fit``
        reads them). Words not in ``vocabulary`` are dropped, as min_count drops them.
    vocabulary : Vocabulary
        The vocabulary of the whole corpus (e.g. merged from every worker's partial counts);
        its word ids are the row and column ids of the runs.
    run_dir : str or path-like
        An existing directory (shared storage for a cluster). Files named
        ``{prefix}-NNNNNN.bin`` are created there; give each call its own prefix or directory.
    window, distance_weighting, symmetric
        As in ``Corpus.fit``; every call of one counting must use the same values.
    memory : int or str, optional
        Memory budget of this call (default: half the available memory).
    no_threads : int, optional
        Counting threads (default all CPUs).
    prefix : str
        File name prefix of the runs.

    Returns
    -------
    dict
        ``{"runs": [{"path": str, "entries": int}, ...], "n_words": int, "n_tokens": int,
        "window": int, "symmetric": bool, "harmonic": bool}``. Each run is a file of 16-byte
        little-endian entries ``(key uint64 = row * n_words + col, value int64 = count * 2**32)``,
        sorted by key without duplicates (see :mod:`glovefast.cooc.counting`); ``n_tokens`` is the
        number of in-vocabulary tokens counted. The runs of several calls merge into exactly
        the counts of one call over all their files.

    Raises
    ------
    StorageError
        ``run_dir`` is full or not writable; this call's files are removed.
    """
    window = check_int("window", window, minimum=1, maximum=255)
    check_choice("distance_weighting", distance_weighting, ("harmonic", "flat"))
    n_threads = check_threads(no_threads)
    budget = resolve_budget(memory)
    sources = reading.as_paths(paths if not isinstance(paths, (str, os.PathLike)) else [paths])
    if sources is None:
        raise TypeError("count_files needs a list of file paths")
    run_dir = os.fspath(run_dir)
    if not os.path.isdir(run_dir):
        raise StorageError(f"run directory {run_dir!r} does not exist")
    n_words = len(vocabulary)
    plan = plan_counting(budget, n_words, window, n_threads)
    counter = vocab_kernel.TokenCounter()
    counter.load_words(vocabulary.encoded_words())
    cooc = cooc_kernel.Cooccurrence(n_words, window, distance_weighting == "harmonic", bool(symmetric), n_threads,
                                    plan.dense_bytes, plan.buffer_entries)
    space = _FixedSpace(run_dir, prefix)
    spiller = Spiller(cooc, space, plan.run_bytes, stem=prefix)
    word_counts = np.zeros(n_words, dtype=np.int64)
    try:
        count_text(sources, counter, cooc, plan.chunk_tokens, window, spiller, vocab_kernel.DROP, False, word_counts)
        del counter
        cooc.finish()
        spiller.spill()
        # the dense table becomes one more run, so merging needs nothing but run files
        path = space.new_path(prefix)
        blocks = (e for _, _, e in iter_merged_blocks([], n_words, 0, n_words, plan.merge_entries, cooc,
                                                       scratch=MergeScratch(), entries=True))
        if write_new_file(path, blocks, "merged counting runs"):
            spiller.runs.append(RunFile(path))
        else:
            os.unlink(path)
    except BaseException:
        for run in spiller.runs:
            run.close()
            try:
                os.unlink(run.path)
            except OSError:
                pass
        raise
    for run in spiller.runs:
        run.close()
    return {"runs": [{"path": run.path, "entries": run.entries} for run in spiller.runs], "n_words": n_words,
            "n_tokens": int(word_counts.sum()), "window": window, "symmetric": bool(symmetric),
            "harmonic": distance_weighting == "harmonic"}


class _FixedSpace(TempSpace):
    """Run files in a caller's directory, named with a prefix (not removed on exit)."""

    def __init__(self, directory, prefix):
        super().__init__(directory)
        self.path = directory
        self.prefix = prefix

    def new_path(self, stem):
        while True:
            self._n += 1
            path = os.path.join(self.path, f"{self.prefix}-{self._n:06d}.bin")
            if not os.path.exists(path):
                return path

    def cleanup(self):
        pass


def as_runs(runs):
    """Runs from what callers hold: RunFile or in-memory runs as they are, ``{"path", "entries"}``
    dicts and paths as RunFiles, sorted ENTRY arrays as in-memory runs."""
    out = []
    for run in runs:
        if isinstance(run, (RunFile, _MemoryRun)):
            out.append(run)
        elif isinstance(run, dict):
            out.append(RunFile(run["path"], run.get("entries")))
        elif isinstance(run, np.ndarray):
            out.append(_MemoryRun(run))
        else:
            out.append(RunFile(run))
    return out


def merge_runs(runs, n_words, row_start, row_end, out_dir, *, memory=None, prefix="part", tmp_dir=None):
    """Merge run files over rows ``[row_start, row_end)`` into store shard files.

    The merge of a distributed count is split by row ranges: each worker merges every run over
    its rows (reading only the entries of those rows), and
    :meth:`CooccurrenceStore.assemble <glovefast.cooc.store.CooccurrenceStore.assemble>` turns the
    shards of all row ranges, in row order, into one store.

    Parameters
    ----------
    runs : list
        Run files: paths, or the ``{"path", "entries"}`` dicts :func:`count_files` returns.
    n_words : int
        The vocabulary size the runs were counted with.
    row_start, row_end : int
        The row range, ``0 <= row_start <= row_end <= n_words``.
    out_dir : str or path-like
        An existing directory; shard files ``{prefix}-NNNNN.row.i4``, ``.col.i4`` and
        ``.count.f8`` are written there (the store's column files, see :mod:`glovefast.cooc.store`).
    memory : int or str, optional
        Budget for the merge buffers (default: half the available memory).
    prefix : str
        File name prefix; give each row range its own.
    tmp_dir : str, optional
        Where intermediate merges go when there are more than :data:`MAX_FANIN` runs.

    Returns
    -------
    list of dict
        One per shard, in row order: ``{"row_start", "row_end", "nnz", "files": {"row": path,
        "col": path, "count": path}}``. The shards cover ``[row_start, row_end)`` without gaps.
    """
    budget = resolve_budget(memory)
    out_dir = os.fspath(out_dir)
    if not (0 <= row_start <= row_end <= n_words):
        raise ValueError(f"row range [{row_start}, {row_end}) is not inside 0..{n_words}")
    max_entries = int(min(max(budget // (4 * RUN_ENTRY_BYTES), 1024), _MAX_BLOCK_ENTRIES))
    runs = as_runs(runs)
    with TempSpace(tmp_dir) as space:
        try:
            runs = reduce_fanin(runs, n_words, space, max_entries)
            return merge_to_shard_files(runs, n_words, row_start, row_end, out_dir, prefix, max_entries)
        finally:
            for run in runs:
                run.close()


__all__ = ["ENTRY", "FIX_ONE", "CountingPlan", "RunFile", "count_files", "iter_merged_blocks",
           "merge_runs", "plan_counting"]
