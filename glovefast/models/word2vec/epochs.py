"""What a word2vec fit needs around the kernel (glovefast._kernels.w2v): its parameter rows, its
tables, and one epoch run so that Ctrl-C stops it within a block.

The kernel call of an epoch runs in a helper thread while the calling thread waits on it: a
signal's Python handler only runs in the main thread, between bytecodes, so a call that holds
the main thread in C for a whole epoch would defer Ctrl-C to the epoch's end. Waiting in short
waits instead, the main thread sees the KeyboardInterrupt at once, sets the kernel's stop flag
(read by every kernel thread once per block of ``_w2v.BLOCK`` positions), waits for the kernel
to return (further signals deferred meanwhile) and re-raises: the epoch is incomplete and the
caller restores the previous one, which it can only do once no kernel thread writes the rows.
"""
import numpy as np

from glovefast._kernels import w2v as _w2v
from glovefast._util.interrupts import Worker, wait_for_workers

#: Floats per parameter row: the vector size rounded up to 16 (64 bytes), so rows are whole cache
#: lines and every kernel (8 or 16 lanes) reads whole vectors.
ROW_ALIGN = 16
_POLL_SECONDS = 0.05


def row_width(dim):
    """Floats per parameter row for vectors of ``dim``."""
    return -(-dim // ROW_ALIGN) * ROW_ALIGN


def aligned_zeros(n_rows, width):
    """A zeroed C-contiguous float32 (n_rows, width) array whose rows start on 64-byte boundaries."""
    n = n_rows * width
    raw = np.zeros(n + 16, dtype=np.float32)
    skip = (-raw.ctypes.data % 64) // 4
    return raw[skip:skip + n].reshape(n_rows, width)


def init_rows(n_words, dim, seed):
    """word2vec.c's start: input vectors uniform in [-0.5, 0.5) / dim, output vectors 0; the
    columns past ``dim`` are 0 (and the kernel keeps them 0). Returns (syn0, syn1)."""
    width = row_width(dim)
    syn0, syn1 = aligned_zeros(n_words, width), aligned_zeros(n_words, width)
    rng = np.random.default_rng(seed)
    syn0[:, :dim] = (rng.random((n_words, dim), dtype=np.float32) - np.float32(0.5)) / np.float32(dim)
    return syn0, syn1


class Tables:
    """The per-word tables of a fit: subsampling thresholds and the negative sampler."""

    def __init__(self, counts, sample, ns_exponent):
        counts = np.ascontiguousarray(counts, dtype=np.int64)
        self.thresh = _w2v.keep_thresholds(counts, float(sample))
        self.table = _w2v.alias_table(counts, float(ns_exponent))


def run_epoch(syn0, syn1, ids, tables, *, n_threads, on_progress=None, **params):
    """One kernel epoch (``params``: the keyword arguments of ``_w2v.train_epoch``) in a helper
    thread; ``on_progress(tokens)`` is called about every 50 ms with the tokens trained so far in
    this epoch (not after an interruption). Returns the kernel's result dict; a KeyboardInterrupt
    (or ``on_progress``'s exception) stops the kernel within a block and is re-raised once it has
    returned (the rows are then mid-epoch)."""
    progress = np.zeros(_w2v.SLOT * max(1, n_threads), dtype=np.int64)
    stop = np.zeros(1, dtype=np.int32)
    box = {}

    def work():
        try:
            box["result"] = _w2v.train_epoch(syn0, syn1, ids, tables.thresh, tables.table, progress, stop,
                                             n_threads=n_threads, **params)
        except BaseException as exc:  # noqa: B902 - handed to the waiting thread
            box["error"] = exc

    # a Worker, not a joined Thread: an interrupted join would say the kernel returned while it
    # still writes the rows (see Worker)
    helper = Worker(work, name="glovefast-word2vec")
    try:
        # a signal raised before the thread exists leaves helper.started False, and wait_for_workers
        # then does not wait for it (it used to wait forever for a kernel that never ran)
        helper.start()
        while not helper.finished.is_set():
            helper.finished.wait(_POLL_SECONDS)
            if on_progress is not None and not helper.finished.is_set():
                on_progress(int(progress[::_w2v.SLOT].sum()))
    except BaseException:  # noqa: B902 - Ctrl-C, SIGTERM or on_progress's error: stop the kernel first
        stop[0] = 1
        wait_for_workers([helper])  # a second signal meanwhile waits: this one is raised
        raise
    if "error" in box:
        raise box["error"]
    return box["result"]
