"""Counting cooccurrences on a Dask cluster: the engine behind ``Corpus().fit(paths, client=client)``.

Work is distributed by file, which is exact: windows never cross a file's end, so each file's
pairs can be counted anywhere. Counts are fixed point (32 fractional bits) from the C counter to
the merge, and integer sums do not depend on their order, so the result equals single-machine
counting entry for entry whatever the cluster, the number of tasks or the order they finish in.

1. **Plan.** A worker measures the files (so paths are checked where they are read) and they are
   dealt into ``count_tasks`` groups of similar total size (largest first, each to the lightest
   group).
2. **Vocabulary pass.** Each task tokenises its files in C and returns its word counts; partial
   counts are summed pairwise on the workers (a tree reduction) and the client applies the
   vocabulary rules (``min_count``, ``max_vocab``, a fixed dictionary) to the total. The
   tokenised stream stays on the worker that read it, when small enough, so the counting pass
   does not read the files again.
3. **Counting pass.** The global vocabulary is broadcast; each task maps its words to global ids,
   counts its pairs and writes one sorted run (``key = row * n_words + col`` as uint64, the count
   as int64 fixed point: 16-byte little-endian entries) to the shared work directory, with a
   small index of where each block of rows starts.
4. **Merge.** The rows are cut into ``merge_tasks`` ranges of similar entry counts (from the
   indexes); each task reads its byte range of every run, sums equal keys and writes one shard of
   the cooccurrence store (see :mod:`glovefast.cooc.store`) to the work directory.
5. **Assembly.** The client moves the shards into the store (a rename on a shared file system,
   a download from a URL), adds the vocabulary and publishes the manifest. The work directory
   is removed on success, on error and on Ctrl-C.

Task functions are module-level so workers import them: glovefast must be installed on every
worker (the same version as the client).
"""
import logging
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import CancelledError

import numpy as np

from glovefast._kernels import cooc as cooc_kernel
from glovefast._kernels import vocab as vocab_kernel
from glovefast._util.files import TempSpace
from glovefast._util.memory import MIN_BUDGET, default_budget
from glovefast._util.validation import decode_token, inverse_dictionary
from glovefast.cooc.counting import (
    Spiller,
    MergeScratch,
    as_runs,
    reduce_fanin,
    count_text,
    iter_merged_blocks,
    plan_counting,
)
from glovefast.cooc.shared_dir import SharedDir, UrlStream, is_url, source_size
from glovefast.cooc.store import COLUMNS, CooccurrenceStore
from glovefast.errors import (
    CorpusPathError,
    DaskWorkerError,
    EmptyCorpusError,
    InvalidParameterError,
    StorageError,
    UnknownWordError,
)
from glovefast.text import reading
from glovefast.text.vocabulary import Vocabulary

logger = logging.getLogger(__name__)

#: Rows are indexed in at most this many blocks per run; merge ranges start at block boundaries.
INDEX_BLOCKS = 4096

#: Largest merge task in entries when none is asked for (its inputs and output: ~32 bytes an entry).
MERGE_ENTRIES = 1 << 24

#: Rounds of count tasks: a count task the scheduler cancels (its broadcast vocabulary was lost with
#: the workers that held it: "lost dependencies") is submitted again, reading its files, at most
#: this many times in all before DaskWorkerError.
COUNT_ATTEMPTS = 3

#: Seconds the counting pass waits for a worker when every worker was lost.
WORKER_WAIT = 60

#: A task keeps its token stream for the counting pass when it is at most this share of the
#: worker's memory limit (4 bytes a token); larger streams are read again instead.
STREAM_CACHE_SHARE = 0.25


def _distributed():
    try:  # optional dependency (glovefast[dask]): only counting on a cluster needs it
        import distributed
    except ImportError:
        raise ImportError("counting on Dask needs dask.distributed: pip install 'glovefast[dask]'") from None
    return distributed


# ------------------------------------------------------------------------------------ task functions
# They run on the workers; everything they need arrives as arguments.

_streams = {}  # cache key -> TokenCounter read by the vocabulary pass, for the counting pass
_streams_lock = threading.Lock()


def _opened(sources):
    return [UrlStream(s) if is_url(s) else s for s in sources]


def _worker_share():
    """(memory limit of this worker / its threads), or None off a worker or without a limit."""
    try:
        worker = _distributed().get_worker()
        limit, threads = worker.memory_manager.memory_limit, worker.state.nthreads
    except (ValueError, AttributeError):
        return None
    return int(limit / max(threads, 1)) if limit else None


def _stream_cache_bytes():
    share = _worker_share()
    return int(share * STREAM_CACHE_SHARE) if share else 1 << 30


def file_sizes_task(sources):
    """Bytes of each corpus file, measured where the workers read them."""
    return [source_size(s) for s in sources]


def files_here_task(paths):
    """Bytes of each local corpus file as this worker sees it, -1 for a file it does not have (run
    on every worker: a file on one machine's disk only is found before anything is read)."""
    out = []
    for path in paths:
        try:
            out.append(source_size(path))
        except OSError:
            out.append(-1)
    return out


def _worker_address():
    try:
        return _distributed().get_worker().address
    except (ValueError, AttributeError):
        return None


def _missing_here(exc):
    """A file missing when a task reads it, as CorpusPathError naming the worker that looked."""
    worker = _worker_address()
    if worker is None:
        return exc
    return CorpusPathError(f"{exc} on Dask worker {worker}: every worker reads the corpus files, so they must "
                           "be on storage all workers mount at the same path, or given as URLs (s3://...)")


def _pack(words):
    # Dask serialises a list item by item (one frame per bytes object: seconds for 100k words);
    # words never contain whitespace, so one newline-joined blob carries them at memcpy speed
    return b"\n".join(words)


def _unpack(blob, n):
    return blob.split(b"\n") if n else []


def vocabulary_task(sources, cache_key, with_cuts=False):
    """Word counts of ``sources``: (words as one newline-joined bytes blob, int64 counts), words in
    first-seen order. Keeps the token stream under ``cache_key`` on this worker when it is small
    enough. ``with_cuts``: also the number of distinct words after each source (the words first
    seen in source ``k`` are ``words[cuts[k-1]:cuts[k]]``)."""
    counter = vocab_kernel.TokenCounter()
    limit = _stream_cache_bytes()
    keep = True
    cuts = []
    try:
        for chunk in reading.iter_text(_opened(sources), False):
            if chunk is None:  # the end of a source
                counter.end_document()
                cuts.append(counter.n_words)
                continue
            counter.feed_text(chunk)
            if keep and counter.n_tokens * 4 > limit:  # too large to keep: count words only from here
                counter.count_only()
                keep = False
    except FileNotFoundError as exc:
        raise _missing_here(exc) from None
    if keep:
        with _streams_lock:
            _streams[cache_key] = counter
    if with_cuts:
        return _pack(counter.words()), counter.counts(), cuts
    return _pack(counter.words()), counter.counts()


def first_seen_counts(groups, parts):
    """The words of the whole corpus in first-seen order, with their summed counts.

    ``groups[k]`` lists the (increasing) indexes of the files task ``k`` read, in that order;
    ``parts[k]`` is its ``vocabulary_task(..., with_cuts=True)`` result. A word's first appearance
    in the corpus is in the first file that holds it, where it is new to that file's task too: so
    walking the files in corpus order and taking, from each, the words its task first saw there,
    gives the order one process reading the files in turn would give.
    """
    slices = []
    for files, (blob, counts, cuts) in zip(groups, parts):
        words = _unpack(blob, len(counts))
        for i, (start, end) in zip(files, zip([0] + cuts[:-1], cuts)):
            slices.append((i, words[start:end]))
    order = {}
    for _, words in sorted(slices, key=lambda item: item[0]):
        for w in words:
            order.setdefault(w, 0)
    for blob, counts, _ in parts:
        for w, c in zip(_unpack(blob, len(counts)), counts.tolist()):
            order[w] += c
    return list(order), np.fromiter(order.values(), dtype=np.int64, count=len(order))


def merge_counts_task(*parts):
    """Sum partial word counts: (blob, counts) pairs -> one (blob, counts)."""
    total = {}
    for blob, counts in parts:
        get = total.get
        for w, c in zip(_unpack(blob, len(counts)), counts.tolist()):
            total[w] = get(w, 0) + c
    return _pack(total), np.fromiter(total.values(), dtype=np.int64, count=len(total))


def cached_streams_task(prefix):
    """The cache keys of a job's token streams this worker holds."""
    with _streams_lock:
        return [k for k in _streams if k.startswith(prefix)]


def forget_streams_task(prefix):
    """Drop this worker's cached streams of a job (after it ends, whatever happened)."""
    with _streams_lock:
        for key in [k for k in _streams if k.startswith(prefix)]:
            del _streams[key]


def count_task(part, sources, cache_key, vocabulary, counting, runs):
    """Count the pairs of ``sources`` with the global vocabulary into the sorted run ``run-PART``.

    ``vocabulary`` is (words of ids 0..n-1 as one blob, n, id of unknown words: DROP or SKIP);
    ``counting`` holds window, harmonic, symmetric and optionally budget (bytes; default
    :func:`_task_budget`).
    The token stream kept by the vocabulary pass is counted when this worker has it; otherwise
    the files are read again chunk by chunk, in this task's memory budget (runs beyond it spill
    to the worker's local directory). Returns (run name, entries, index): ``index[b]`` is the
    first entry whose row is at least block ``b``'s first row (see :func:`_block_starts`).
    """
    with _streams_lock:
        counter = _streams.pop(cache_key, None)
    kept = counter is not None
    blob, n_words, unknown = vocabulary
    window = counting["window"]
    budget = counting.get("budget") or _task_budget()
    with TempSpace(_local_directory()) as space:
        if kept:
            lookup = dict(zip(_unpack(blob, n_words), range(n_words)))
            remap = np.fromiter((lookup.get(w, unknown) for w in counter.words()), dtype=np.int32,
                                count=counter.n_words)
            del lookup
            n = counter.remap(remap)
            plan = plan_counting(budget, n_words, window, 1, n_positions=n, held_bytes=4 * n)
        else:
            counter = vocab_kernel.TokenCounter()
            counter.load_words(_unpack(blob, n_words))
            plan = plan_counting(budget, n_words, window, 1)
        cooc = cooc_kernel.Cooccurrence(n_words, window, counting["harmonic"], counting["symmetric"], 1,
                                        plan.dense_bytes, plan.buffer_entries)
        spiller = Spiller(cooc, space, plan.run_bytes)
        if kept:
            for s in range(0, counter.n_tokens, plan.chunk_tokens):  # runs spill past their budget
                cooc.count_ids(counter.ids(), s, min(counter.n_tokens, s + plan.chunk_tokens))
                spiller.check()
        else:
            try:
                count_text(_opened(sources), counter, cooc, plan.chunk_tokens, window,
                           spiller, unknown, False)
            except FileNotFoundError as exc:  # read again: the file went away since the vocabulary pass
                raise _missing_here(exc) from None
        del counter
        cooc.finish()
        runs_here = as_runs(spiller.runs + cooc.runs())
        starts = _block_starts(n_words)
        per_block = np.zeros(len(starts) - 1, dtype=np.int64)
        name = f"run-{part:05d}"
        entries = 0
        try:
            runs_here = reduce_fanin(runs_here, n_words, space, plan.merge_entries)
            # entries of the blocks' first rows: where each block starts in the run
            bounds = starts[1:].astype(np.uint64) * np.uint64(n_words)
            with runs.open_write(name) as fh:
                for _, _, block in iter_merged_blocks(runs_here, n_words, 0, n_words, plan.merge_entries, cooc,
                                                      scratch=MergeScratch(), entries=True):
                    fh.write(memoryview(block).cast("B"))
                    ends = np.searchsorted(block["key"], bounds)
                    per_block += np.diff(ends, prepend=0)[:len(per_block)]
                    entries += len(block)
        finally:
            for run in runs_here:
                run.close()
    index = np.concatenate(([0], np.cumsum(per_block)))
    return name, entries, index


def _local_directory():
    """The worker's local scratch directory (for spilled runs), or None for the system's."""
    try:
        return _distributed().get_worker().local_directory
    except (ValueError, AttributeError):
        return None


def merge_task(shard, r0, r1, pieces, n_words, runs, shards):
    """Merge rows [r0, r1) of every run, given as pieces (run name, first entry, end entry), into
    shard ``shard`` of the store (its three column files in ``shards``); returns its entry count."""
    parts = [runs.read_array(name, cooc_kernel.ENTRY, e0, e1) for name, e0, e1 in pieces]
    rows, cols, counts = cooc_kernel.merge_block(None, n_words, r0, r1, parts, sum(len(p) for p in parts), fixed=False)
    del parts
    name = f"shard-{shard:05d}"
    for (_, suffix, dtype), arr in zip(COLUMNS, (rows, cols, counts)):
        shards.write(name + suffix, arr.astype(dtype, copy=False))
    return len(rows)


def _task_budget():
    """Memory for one counting task: half the worker's limit shared by its threads (the rest is
    the kept token stream and Dask's own use); off a worker, the default budget."""
    share = _worker_share()
    return max(MIN_BUDGET, share // 2) if share else default_budget()


def _block_step(n_words):
    return max(1, -(-n_words // INDEX_BLOCKS))


def _block_starts(n_words):
    step = _block_step(n_words)
    return np.minimum(np.arange(0, n_words + step, step, dtype=np.int64), n_words)


def _cancel_reason(exc):
    return getattr(exc, "reason", None) or "cancelled"


def _count_pass(client, tasks, parts, key, where, vocabulary, counting, runs):
    """Run the count tasks; the results in task order.

    The vocabulary is broadcast to the workers (one copy per worker, not one per task), under a
    key of this job and round, so a count task depends on it at the scheduler: when every worker
    holding it dies (a broadcast can reach only the workers up at the time) the scheduler cancels
    the count tasks ("lost dependencies"). They are then submitted again with the vocabulary sent
    anew, placed anywhere: a task whose token stream went with its worker reads its files again,
    as one placed on a worker that is gone does. At most COUNT_ATTEMPTS rounds, then
    DaskWorkerError; a KilledWorker (the scheduler's own retries exhausted) is named by the caller.
    """
    results = [None] * len(parts)
    todo = list(range(len(parts)))
    for attempt in range(1, COUNT_ATTEMPTS + 1):
        try:  # workers killed just now are being restarted (or not): the broadcast needs one up
            client.wait_for_workers(1, timeout=WORKER_WAIT)
        except TimeoutError:
            raise DaskWorkerError(f"no Dask worker came back within {WORKER_WAIT} s after workers were lost during the "
                                  "counting pass; check that the workers stay up (their logs say why they died: most "
                                  "often memory, see dask worker --memory-limit). Nothing was written") from None
        shared = client.scatter({f"glovefast-vocabulary-{key}-{attempt}": vocabulary}, broadcast=True)
        shared = next(iter(shared.values()))
        logger.debug("submitting %d count task(s), attempt %d", len(todo), attempt)
        futures = {}
        for k in todo:
            p = parts[k]
            holder = where.get(f"{key}/{k}") if attempt == 1 else None
            # where its stream is, if that worker is still there; anywhere else it reads the files again
            place = {"workers": [holder], "allow_other_workers": True} if holder else {}
            futures[k] = tasks.submit("counting", p, count_task, k, p, f"{key}/{k}", shared, counting, runs, **place)
        lost, reason = [], None
        for k, future in futures.items():
            try:
                results[k] = future.result()
            except CancelledError as exc:  # distributed's FutureCancelledError: its inputs were lost
                lost.append(k)
                reason = _cancel_reason(exc)
        client.cancel([shared])
        del shared
        if not lost:
            return results
        logger.warning("counting on Dask: %d count task(s) cancelled by the scheduler (%s), attempt %d of %d%s",
                       len(lost), reason, attempt, COUNT_ATTEMPTS,
                       "; submitting them again" if attempt < COUNT_ATTEMPTS else "")
        todo = lost
    files = [f for k in todo for f in parts[k]]
    raise tasks.lost_tasks(f"{len(todo)} counting task(s)" if len(todo) > 1 else "a counting task", files,
                           COUNT_ATTEMPTS, reason)


# ------------------------------------------------------------------------------------ planning
def deal_files(sizes, n_groups):
    """Indexes of the files in ``n_groups`` groups of similar total size (longest processing time
    first: the largest file goes to the lightest group). Empty groups are dropped; each group
    keeps its files in the given order."""
    groups = [[] for _ in range(max(1, min(n_groups, len(sizes))))]
    load = [0] * len(groups)
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        g = load.index(min(load))
        groups[g].append(i)
        load[g] += sizes[i]
    return [sorted(g) for g in groups if g]


def plan_merge(indexes, n_words, n_tasks):
    """Row ranges [(r0, r1), ...] covering 0..n_words, cut at index blocks so each holds about the
    same number of run entries."""
    starts = _block_starts(n_words)
    per_block = np.zeros(len(starts) - 1, dtype=np.int64)
    for index in indexes:
        per_block += np.diff(index)
    cum = np.concatenate(([0], np.cumsum(per_block)))
    total = int(cum[-1])
    cuts = [0]
    for k in range(1, n_tasks):
        b = int(np.searchsorted(cum, total * k / n_tasks, side="left"))
        r = int(starts[min(b, len(starts) - 1)])
        if cuts[-1] < r < n_words:
            cuts.append(r)
    cuts.append(n_words)
    return list(zip(cuts, cuts[1:]))


# ------------------------------------------------------------------------------------ the client side
def check_client(client):
    """``client`` must be a connected ``distributed.Client`` with at least one worker; returns the
    total number of worker threads."""
    distributed = _distributed()
    if not isinstance(client, distributed.Client):
        raise InvalidParameterError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    nthreads = client.nthreads()
    if not nthreads:
        raise InvalidParameterError(
            f"the Dask cluster at {client.scheduler.address} has no workers; start some (dask worker ADDRESS) "
            "and try again"
        )
    return sum(nthreads.values())


def as_sources(corpus):
    """Corpus files as a list of local paths (made absolute) and URLs, or InvalidParameterError."""
    items = [corpus] if isinstance(corpus, (str, os.PathLike)) else corpus
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(p, (str, os.PathLike)) for p in items):
        raise InvalidParameterError(
            "counting on Dask reads files: pass a path, a URL (s3://..., gs://...) or a list of them; token "
            "lists and open streams live in this process and cannot be sent to the workers"
        )
    return [os.fspath(p) if is_url(os.fspath(p)) else os.path.abspath(os.fspath(p)) for p in items]


def _check_reachable(client, work):
    """Every worker must see a file the client wrote in the work directory."""
    probe = ".glovefast-probe"
    work.write(probe, b"ok")
    seen = client.run(work.exists, probe)
    blind = sorted(w for w, ok in seen.items() if not ok)
    if blind:
        raise StorageError(
            f"work directory {work.location!r} is not visible from Dask worker(s) {', '.join(blind)}; give "
            "work_dir= (--dask-work-dir) a directory on storage every worker and this client can reach: a "
            "shared file system mounted at the same path, or a URL such as s3://bucket/tmp"
        )


def _tree_reduce(tasks, futures, fan_in=4):
    while len(futures) > 1:
        futures = [tasks.submit("summing partial word counts", None, merge_counts_task, *futures[i:i + fan_in])
                   for i in range(0, len(futures), fan_in)]
    return futures[0].result()


class _Tasks:
    """The futures of one count and what each does (for an error that names it); cancelled at the end."""

    def __init__(self, client):
        self.client = client
        self.futures = []
        self.what = {}  # future key -> (what the task does, its files or None)

    def submit(self, what, files, func, *args, **kwargs):
        future = self.client.submit(func, *args, pure=False, **kwargs)
        self.futures.append(future)
        self.what[future.key] = (what, files)
        return future

    def lost_worker(self, exc):
        """DaskWorkerError for distributed's KilledWorker: which worker, which files, what to do."""
        worker = getattr(getattr(exc, "last_worker", None), "address", None) or "(unknown)"
        what, files = self.what.get(getattr(exc, "task", None), ("a counting task", None))
        retries = getattr(exc, "allowed_failures", None)
        return DaskWorkerError(
            f"Dask worker {worker} died while {what}{_files_note(files)}, and the scheduler retries a task only "
            f"{retries if retries is not None else 'a few'} time(s) (distributed.scheduler.allowed-failures). "
            "Workers die most often of memory: give them more (dask worker --memory-limit), fewer threads each, or "
            "smaller files; or allow more retries (DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=3 where the "
            "scheduler starts). The worker's log says why it died; nothing was written",
            worker=worker, files=files)

    def lost_tasks(self, what, files, attempts, reason):
        """DaskWorkerError for tasks the scheduler cancelled on every attempt (their inputs were lost
        with the workers that held them)."""
        return DaskWorkerError(
            f"Dask lost {what}{_files_note(files)} {attempts} time(s): the scheduler cancelled the task(s) "
            f"({reason}), as it does when the workers holding a task's inputs die. Workers die most often of memory: give them "
            "more (dask worker --memory-limit), fewer threads each, or smaller files; check that the workers stay "
            "up (their logs say why they died), and allow retries (distributed.scheduler.allowed-failures). "
            "Nothing was written", files=files)

    def cancel(self):
        if self.futures:
            self.client.cancel(self.futures)


def _files_note(files):
    if not files:
        return ""
    shown = ", ".join(os.path.basename(f.rstrip("/")) or f for f in files[:3])
    more = f" and {len(files) - 3} more" if len(files) > 3 else ""
    return f" (files {shown}{more})"


def measure_files(client, sources):
    """Bytes of each corpus file, checked where the workers read it: a local path missing on some
    workers (on one machine's disk, not on shared storage) is a CorpusPathError naming them."""
    sizes = [None] * len(sources)
    local = [k for k, s in enumerate(sources) if not is_url(s)]
    urls = [k for k, s in enumerate(sources) if is_url(s)]
    if urls:
        for k, size in zip(urls, client.submit(file_sizes_task, [sources[k] for k in urls], pure=False).result()):
            sizes[k] = size
    if local:
        seen = client.run(files_here_task, [sources[k] for k in local], on_error="return")
        seen = {w: got for w, got in seen.items() if isinstance(got, list)}  # a worker gone meanwhile: not asked
        for j, k in enumerate(local):
            has = sorted(w for w, got in seen.items() if got[j] >= 0)
            lacks = sorted(w for w, got in seen.items() if got[j] < 0)
            if not has:
                raise CorpusPathError(f"corpus file {sources[k]!r} does not exist (on any of the {len(seen)} Dask "
                                      "workers); check the path: the workers read it, at that path")
            if lacks:
                raise CorpusPathError(
                    f"corpus file {sources[k]!r} does not exist on Dask worker(s) {', '.join(lacks)} (it does on "
                    f"{', '.join(has[:3])}{' ...' if len(has) > 3 else ''}): every worker reads the corpus files, so "
                    "they must be on storage all workers mount at the same path, or given as URLs (s3://...)")
            sizes[k] = max(seen[w][j] for w in has)
    return sizes


def select_vocabulary(words, counts, dictionary=None, min_count=1, max_vocab=None, ignore_missing=False,
                      id_order="frequency"):
    """The corpus vocabulary from the summed word counts, by the rules of one-machine counting.

    Parameters
    ----------
    words : list of bytes
    counts : numpy.ndarray of int64
    dictionary : dict, optional
        A fixed vocabulary (word -> id, already checked): ids are kept; a word outside it raises
        UnknownWordError unless ``ignore_missing`` (then it keeps its position, as SKIP).
    min_count, max_vocab, id_order : without a dictionary, as in :class:`~glovefast.text.vocabulary.Vocabulary`
        (``id_order="first_seen"`` needs ``words`` in first-seen order).

    Returns
    -------
    (dictionary, word_counts, words of ids 0..n-1 as bytes, id of words outside it: DROP or SKIP)
    """
    if dictionary is None:
        vocab = Vocabulary.from_counts((words, counts), min_count, max_vocab, id_order)
        return vocab.dictionary_, vocab.counts_, vocab.encoded_words(), vocab_kernel.DROP
    word_counts = np.zeros(len(dictionary), dtype=np.int64)
    for w, c in zip(words, counts.tolist()):
        word = decode_token(w)
        idx = dictionary.get(word)
        if idx is None:
            if not ignore_missing:
                raise UnknownWordError(word, f"word {word!r} is not in the dictionary; pass ignore_missing=True to "
                                             "skip unknown words (they keep their position in the window), or add it")
            continue
        word_counts[idx] += c
    encoded = [w.encode("utf-8", "surrogatepass") for w in inverse_dictionary(dictionary)]
    return dictionary, word_counts, encoded, vocab_kernel.SKIP


def count_with_dask(client, sources, store, *, window, harmonic, symmetric, params, dictionary=None, min_count=1,
                    max_vocab=None, ignore_missing=False, work_dir=None, count_tasks=None, merge_tasks=None,
                    overwrite=False, id_order="frequency"):
    """Count ``sources`` on the cluster of ``client`` into the cooccurrence store ``store``.

    The counting parameters are expected valid (``Corpus.fit`` checks them); this checks the
    cluster, the files and the work directory.

    Parameters
    ----------
    client : distributed.Client
    sources : list of str
        From :func:`as_sources`.
    store : str
        Where the store is written (a local path of this process).
    window, harmonic, symmetric : counting parameters
    params : dict
        Recorded in the store's manifest.
    dictionary, min_count, max_vocab, ignore_missing, id_order
        The vocabulary rules (see :func:`select_vocabulary`).
    work_dir : str, optional
        Directory or URL every worker can reach, for the runs and shards (a unique
        subdirectory is used and removed). Default: a temporary directory of this machine,
        which works when every worker runs here (a LocalCluster).
    count_tasks, merge_tasks : int, optional
        Number of counting tasks (default: the cluster's worker threads, at most one per file)
        and of merge tasks, i.e. store shards (default: the worker threads, more when a task
        would exceed :data:`MERGE_ENTRIES` entries).
    overwrite : bool
        Replace an existing store at ``store``.

    Returns
    -------
    CooccurrenceStore
        With the vocabulary (words and counts) stored in it.
    """
    threads = check_client(client)
    base = SharedDir(work_dir if work_dir is not None else tempfile.gettempdir())
    base.makedirs()
    job = base.unique_child("glovefast-dask")
    key = os.path.basename(job.location)
    tasks = _Tasks(client)
    stage = None
    t0 = time.perf_counter()
    try:
        _check_reachable(client, job)
        sizes = measure_files(client, sources)
        groups = deal_files(sizes, count_tasks or threads)
        parts = [[sources[i] for i in g] for g in groups]
        logger.info("counting %d file(s), %.1f MB, in %d task(s) on %d Dask worker thread(s); work directory %s",
                    len(sources), sum(sizes) / 1e6, len(parts), threads, job.location)

        # vocabulary pass
        first_seen = id_order == "first_seen" and dictionary is None
        vocab_futures = [tasks.submit("reading", p, vocabulary_task, p, f"{key}/{k}", first_seen)
                         for k, p in enumerate(parts)]
        if first_seen:  # the order needs each file's new words: gathered here, not summed on the workers
            words, counts = first_seen_counts(groups, client.gather(vocab_futures))
        else:
            blob, counts = _tree_reduce(tasks, list(vocab_futures))
            words = _unpack(blob, len(counts))
            del blob
        client.cancel(vocab_futures)  # their word lists are summed: free them on the workers
        if counts.sum() == 0:
            raise EmptyCorpusError("the corpus contains no tokens; check the input files are not empty")
        dictionary, word_counts, encoded, unknown = select_vocabulary(words, counts, dictionary, min_count, max_vocab,
                                                                      ignore_missing, id_order)
        del words, counts
        n_words = len(dictionary)
        vocabulary = (_pack(encoded), n_words, unknown)
        del encoded
        logger.debug("vocabulary pass done: %d words", n_words)
        where = {}  # cache key -> the worker holding that task's token stream
        for worker, keys in client.run(cached_streams_task, key + "/", on_error="return").items():
            for k in keys if isinstance(keys, list) else ():  # a worker lost meanwhile took its streams along
                where[k] = worker
        t_vocab = time.perf_counter() - t0
        logger.debug("counting pass: %d of %d task(s) where their token stream was kept, the others read their "
                     "files again", len(where), len(parts))

        # counting pass: each task where its stream was kept
        runs = job.child("runs")
        runs.makedirs()
        counting = {"window": window, "harmonic": harmonic, "symmetric": symmetric}
        results = _count_pass(client, tasks, parts, key, where, vocabulary, counting, runs)
        del vocabulary
        t_count = time.perf_counter() - t0 - t_vocab

        # merge by row ranges
        total = sum(n for _, n, _ in results)
        # a multiple of the threads, so the last wave of merges keeps every thread busy
        ranges = plan_merge([index for _, _, index in results], n_words,
                            merge_tasks or threads * -(-total // (MERGE_ENTRIES * threads)) or threads)
        starts = _block_starts(n_words)
        shards = job.child("shards")
        shards.makedirs()
        merge_futures = []
        for s, (r0, r1) in enumerate(ranges):
            b0, b1 = np.searchsorted(starts, [r0, r1])
            pieces = [(name, int(index[b0]), int(index[b1])) for name, _, index in results]
            merge_futures.append(tasks.submit(f"merging rows {r0}..{r1 - 1} of the counts", None, merge_task, s, r0, r1,
                                              pieces, n_words, runs, shards))
        nnzs = client.gather(merge_futures)
        t_merge = time.perf_counter() - t0 - t_vocab - t_count

        # assembly here: shards are renamed into the store when they are on its file system,
        # else brought next to it first (copied, or downloaded from a URL)
        parent = os.path.dirname(os.path.abspath(store))
        same_fs = not shards.url and os.stat(shards.location).st_dev == os.stat(parent).st_dev
        if not same_fs:
            stage = tempfile.mkdtemp(prefix=".glovefast-shards-", dir=parent)
        with CooccurrenceStore.create(store, n_words, symmetric, overwrite=overwrite) as writer:
            for s, ((r0, r1), nnz) in enumerate(zip(ranges, nnzs)):
                files = {}
                for column, suffix, _ in COLUMNS:
                    name = f"shard-{s:05d}{suffix}"
                    if same_fs:
                        files[column] = shards.path(name)
                    else:
                        files[column] = os.path.join(stage, name)
                        shards.fetch(name, files[column])
                writer.adopt_shard(files, r0, r1, nnz)
            writer.add_vocabulary(inverse_dictionary(dictionary), word_counts)
            result = writer.finish(params=params, n_tokens=int(word_counts.sum()))
        logger.info("counted on Dask in %.2fs (vocabulary %.2fs, counting %.2fs, merge %.2fs, assembly %.2fs): "
                    "%d words, %d entries in %d shard(s)", time.perf_counter() - t0, t_vocab, t_count, t_merge,
                    time.perf_counter() - t0 - t_vocab - t_count - t_merge, n_words, result.nnz, len(ranges))
        return result
    except _distributed().KilledWorker as exc:
        raise tasks.lost_worker(exc) from None
    except CancelledError as exc:  # distributed's FutureCancelledError elsewhere than in the counting pass
        raise tasks.lost_tasks("a counting task", None, 1, _cancel_reason(exc)) from None
    finally:
        tasks.cancel()
        try:
            client.run(forget_streams_task, key + "/")
        except Exception:  # a lost worker's cache went with it; cleanup must not mask the real error
            logger.debug("could not clear the workers' stream caches", exc_info=True)
        job.remove()
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)


__all__ = ["as_sources", "check_client", "count_with_dask", "count_task", "deal_files", "file_sizes_task",
           "files_here_task", "measure_files", "merge_counts_task", "merge_task", "plan_merge", "select_vocabulary",
           "vocabulary_task"]
