"""Corpus: vocabulary and cooccurrence counting (glove_python's ``Corpus`` API, at C speed)."""
import logging
import os
import shutil
import tempfile
import time
import weakref

import numpy as np
import scipy.sparse as sp

from glovefast._kernels import cooc as cooc_kernel
from glovefast._kernels import vocab as vocab_kernel
from glovefast._util.atomic import check_outputs, path_overlap
from glovefast._util.files import TempSpace
from glovefast._util.interrupts import critical
from glovefast._util.memory import format_bytes, resolve_budget
from glovefast._util.progress import plural, reports_progress
from glovefast._util.validation import (
    check_choice,
    check_dictionary,
    check_int,
    check_threads,
    inverse_dictionary,
    is_pathlike,
)
from glovefast.cooc import counting, dask_counting
from glovefast.cooc.shared_dir import is_url
from glovefast.cooc.store import COO_ENTRY_BYTES, CooccurrenceStore, check_target, check_word_counts
from glovefast.errors import (
    CorpusEncodingError,
    EmptyCorpusError,
    FormatError,
    InvalidParameterError,
    MemoryBudgetError,
    NotFittedError,
    StorageError,
)
from glovefast.io import kinds
from glovefast.io.bundle import AnyJSON, ArraySpec, ListOf, Object, Scalar, Schema, load_npz_bundle, save_npz_bundle
from glovefast.io.pickles import check_not_pickle
from glovefast.text import reading
from glovefast.text.streaming import read_first_pass
from glovefast.text.tokens import TokenStream, TokenWriter
from glovefast.text.vocabulary import ID_ORDERS, Vocabulary

logger = logging.getLogger(__name__)

#: ``unknown`` code of the counting pass: stop at a word outside a fixed dictionary.
_RAISE = -100



def _check_npz_shapes(shapes, meta):
    n = len(meta["words"])
    if not shapes["row"] == shapes["col"] == shapes["data"]:
        return "row, col and data must be 1-D arrays of one length"
    if shapes["word_counts"] != (n,):
        return f"word_counts has shape {list(shapes['word_counts'])} for {n} words"
    return None


# What Corpus.save writes; Corpus.load refuses anything else before reading an array.
_NPZ_SCHEMA = Schema(
    {"row": ArraySpec("iu", 1), "col": ArraySpec("iu", 1), "data": ArraySpec("f", 1),
     "word_counts": ArraySpec("iu", 1), "tokens": ArraySpec("i", 1, required=False)},
    Object({"words": ListOf(Scalar(str)), "params": Object({}, extra=AnyJSON()), "n_tokens": Scalar(int, minimum=0)},
           optional=("params", "n_tokens")),
    _check_npz_shapes,
)


@kinds.register
class Corpus:
    """Vocabulary and word-word cooccurrence counts of a corpus.

    Parameters
    ----------
    dictionary : mapping of str to int, optional
        A fixed vocabulary (word -> id, ids exactly 0..n-1). It is kept as given: ids are not
        renumbered and words outside it are handled by ``fit(..., ignore_missing=...)``. Without
        it, ``fit`` builds the vocabulary, ids ordered by descending frequency (ties by word).

    Attributes
    ----------
    dictionary : dict
        word -> id.
    word_counts : numpy.ndarray of int64
        Occurrences of each id in the corpus (0 for dictionary words never seen).
    matrix : scipy.sparse.coo_matrix
        With ``symmetric=True`` (default): the **upper triangle, diagonal included**, of the
        symmetric cooccurrence matrix X (``row <= col``); entry (i, j) is X_ij = X_ji, and a word
        near itself counts on both sides (as Stanford's full matrix has it). ``Glove.fit`` trains
        each stored off-diagonal entry in both directions. With ``symmetric=False``: the full
        matrix of left contexts, X[i, j] = weighted count of j within ``window`` tokens before i.
        Entries are sorted by (row, col) with no duplicates; counts are float64.
        Read from :attr:`store` on first access when the counts were written to one; raises
        :class:`~glovefast.errors.MemoryBudgetError` when the COO (16 bytes an entry) would
        exceed the memory budget.
    store : CooccurrenceStore or None
        The on-disk matrix, when ``fit(..., store=PATH)`` wrote one (or the result did not fit the
        budget), or after :meth:`load` of a store.
    n_tokens : int
        In-vocabulary tokens counted (after min_count/max_vocab filtering).
    tokens : TokenStream or None
        The corpus as final word ids with document boundaries, after ``fit(...,
        keep_tokens=True)`` (or :meth:`load` of a file saved with them): what a model that trains
        on the text itself reads, without reading the text again. None otherwise.
    """

    def __init__(self, dictionary=None):
        self.dictionary = None if dictionary is None else check_dictionary(dictionary)
        self._fixed_dictionary = dictionary is not None
        self._matrix = None
        self.store = None
        self.word_counts = None
        self.n_tokens = 0
        self.params = {}
        self.tokens = None
        self._budget = None

    @property
    def matrix(self):
        if self._matrix is None and self.store is not None:
            self._matrix = self.store.to_coo(memory=self._budget)
        return self._matrix

    @matrix.setter
    def matrix(self, value):
        self._matrix = value

    # ------------------------------------------------------------------------------------
    @reports_progress
    def fit(self, corpus, window=10, ignore_missing=False, *, min_count=1, max_vocab=None,
            distance_weighting="harmonic", symmetric=True, no_threads=0, verbose=False, memory=None,
            tmp_dir=None, store=None, overwrite=False, client=None, work_dir=None, id_order="frequency",
            keep_tokens=False):
        """Count the vocabulary and the cooccurrences of ``corpus``.

        Parameters
        ----------
        corpus : str, path-like, list of paths, binary file object, or iterable of token lists
            A path (or list of paths) to UTF-8 text, plain or gzip-compressed, one document per
            line, tokens separated by ASCII whitespace: read, tokenised and counted in C. A binary
            file object (e.g. ``sys.stdin.buffer``) is read the same way. Otherwise an iterable of
            documents, each a list of str tokens, consumed once as a stream.
        window : int
            Context window: tokens at distance 1..window (within a document) cooccur.
        ignore_missing : bool
            Only with a fixed dictionary. True: words not in it are skipped but keep their
            position, so window distances are preserved (glove_python's semantics). False: an
            unknown word raises :class:`~glovefast.errors.UnknownWordError` naming it.
        min_count : int
            Drop words seen fewer times (default 1 keeps all, as glove_python). Dropped words are
            removed before windows are formed, as in Stanford's cooccur.
        max_vocab : int, optional
            Keep only the most frequent words (after min_count), like Stanford's ``-max-vocab``.
        id_order : {"frequency", "first_seen"}
            How words are numbered: by descending frequency, ties by word (default: the first
            ``N`` ids are the ``N`` most frequent words, which ``restrict_vocab=N`` relies on), or
            by first appearance in the corpus, as glove_python numbered them, for code that
            indexes ``matrix`` or the vectors by those positions. The counts are the same
            either way, renumbered; in every counting path (in memory, in a budget, into a store,
            on Dask). Only without a fixed dictionary, whose ids are given.
        distance_weighting : {"harmonic", "flat"}
            "harmonic": a pair at distance d adds 1/d (GloVe); "flat": adds 1.
        symmetric : bool
            True: contexts on both sides, stored as the upper triangle. False: left contexts only.
        no_threads : int or None
            Threads for counting: 0 or None (default) use every CPU available to the process,
            otherwise 1 to 256 (``glovefast._util.validation.MAX_THREADS``). The counts do not depend on it.
        verbose : bool
            Report progress: a bar of the bytes read (text input) on a terminal or in Jupyter, and
            a summary line (logger ``"glovefast"``, INFO) that reaches stderr even if logging is
            not configured. See docs/robustness.md, "Feedback".
        memory : int or str, optional
            Memory budget of counting: bytes or a size such as ``"512M"`` or ``"4G"`` (default:
            half the memory available). The dense table, overflow buffers and in-memory runs are
            sized from it (:func:`glovefast.cooc.counting.plan_counting`); beyond it, sorted runs spill
            to ``tmp_dir`` and are merged at the end. The matrix is identical whatever the budget.
        tmp_dir : str or path-like, optional
            Where spilled runs (and the id stream of an input that cannot be read twice) go, in a
            private directory removed on success, error or Ctrl-C. Default: the system's.
        store : str or path-like, optional
            Write the matrix to a :class:`~glovefast.cooc.store.CooccurrenceStore` at this path
            (a directory) instead of RAM; it never exists whole in memory. :attr:`matrix`
            then reads it on first access. Without ``store``, a result too large for the budget
            is written to a store under ``tmp_dir`` (removed with the Corpus) and a warning says so.
        overwrite : bool
            Replace an existing store at ``store``.
        client : distributed.Client, optional
            Count on this Dask cluster instead of in this process (needs ``glovefast[dask]``
            and glovefast on every worker). ``corpus`` must then be files: paths or fsspec URLs
            (``s3://...``) the workers can read; the work is split by file. The result equals
            counting in this process entry for entry. ``memory`` then bounds the matrix kept in
            RAM here (a larger one stays in a store); each worker sizes its tables from its own
            memory limit. See docs/dask.md.
        work_dir : str, optional
            With ``client``: a directory every worker and this process can reach (a shared file
            system path, or an fsspec URL), for the intermediate files; they are removed at the
            end. Default: the system's temp directory, which only works when all workers run on
            this machine (e.g. a ``LocalCluster``).
        keep_tokens : bool
            Also keep the corpus as a :class:`~glovefast.text.tokens.TokenStream` of final word ids
            (:attr:`tokens`, 4 bytes a token): in RAM while it fits the share of ``memory`` a
            first pass's id stream may use, memory-mapped from an unlinked file in ``tmp_dir``
            beyond. Every reading path builds it (files read once or twice, streams, token
            lists); not with ``client``. Saved with the corpus by :meth:`save`.

        Raises
        ------
        StorageError
            The temporary directory or the store's disk is full or not writable (nothing
            half-written is left).
        MemoryBudgetError
            The vocabulary alone does not fit the budget.


        Returns
        -------
        self
        """
        window = check_int("window", window, minimum=1, maximum=255)
        no_threads = check_threads(no_threads)
        min_count = check_int("min_count", min_count, minimum=1)
        if max_vocab is not None:
            max_vocab = check_int("max_vocab", max_vocab, minimum=1)
        check_choice("distance_weighting", distance_weighting, ("harmonic", "flat"))
        if not isinstance(symmetric, (bool, np.bool_)):
            raise InvalidParameterError(f"symmetric must be True or False, got {symmetric!r}")
        if self._fixed_dictionary and (min_count != 1 or max_vocab is not None):
            raise InvalidParameterError(
                "min_count and max_vocab select the vocabulary, but this Corpus has a fixed dictionary; "
                "filter the dictionary before passing it, or build the Corpus without one"
            )
        check_choice("id_order", id_order, ID_ORDERS)
        if self._fixed_dictionary and id_order != "frequency":
            raise InvalidParameterError(
                f"id_order={id_order!r} numbers the words fit() finds, but this Corpus has a fixed dictionary, whose "
                "ids are kept as given; leave id_order out")
        if ignore_missing and not self._fixed_dictionary:
            logger.debug("ignore_missing has no effect without a fixed dictionary")
        budget = resolve_budget(memory)
        if store is not None:
            store = os.fspath(store)
            check_target(store, overwrite)
            named = [corpus] if is_pathlike(corpus) else corpus if isinstance(corpus, (list, tuple)) else []
            check_outputs([(store, "the store")], [(p, "the corpus file") for p in named if is_pathlike(p)])
        if tmp_dir is not None and not os.path.isdir(tmp_dir):
            raise InvalidParameterError(f"tmp_dir {os.fspath(tmp_dir)!r} is not an existing directory")
        symmetric = bool(symmetric)
        harmonic = distance_weighting == "harmonic"
        params = {
            "window": window,
            "min_count": min_count,
            "max_vocab": max_vocab,
            "distance_weighting": distance_weighting,
            "symmetric": symmetric,
            "ignore_missing": bool(ignore_missing),
        }
        if id_order != "frequency":  # recorded only when asked for: the default's files stay as they were
            params["id_order"] = id_order
        if not isinstance(keep_tokens, (bool, np.bool_)):
            raise InvalidParameterError(f"keep_tokens must be True or False, got {keep_tokens!r}")
        self.tokens = None
        if client is not None:
            if keep_tokens:
                raise InvalidParameterError("keep_tokens=True needs the token stream in this process; on Dask each "
                                            "worker reads its own files. Count here, or leave keep_tokens out")
            return self._fit_on_dask(corpus, client, work_dir, params, budget, store, overwrite, tmp_dir)
        if work_dir is not None:
            raise InvalidParameterError("work_dir is for counting on Dask; pass client= too, or leave it out")

        t0 = time.perf_counter()
        # the kept ids may use the share of the budget a first pass's id stream has
        keep = TokenWriter(counting.plan_counting(budget, 0, window, no_threads).stream_bytes, tmp_dir) \
            if keep_tokens else None
        with TempSpace(tmp_dir) as space:
            try:
                cooc, spiller, dictionary, word_counts, plan, t_vocab = self._count(
                    corpus, window, ignore_missing, min_count, max_vocab, id_order, harmonic, symmetric, no_threads,
                    verbose, budget, space, keep)
            except CorpusEncodingError as exc:
                if exc.path is not None or reading.source_names(corpus) is None:
                    raise
                # words are decoded after all sources are counted: say where to look
                names = reading.source_names(corpus)
                raise CorpusEncodingError(f"{exc} (in {names})", names) from None
            t_count = time.perf_counter() - t0 - t_vocab
            self.dictionary = dictionary
            self.word_counts = word_counts
            self.n_tokens = int(word_counts.sum())
            self.params = params
            self._budget = budget
            self._matrix = None
            self.store = None
            if keep is not None:
                self.tokens = keep.finish(word_counts, self.inverse_dictionary)
            self._emit(cooc, spiller, plan, store, overwrite, tmp_dir, no_threads)
            t_emit = time.perf_counter() - t0 - t_vocab - t_count
        n_words = len(dictionary)
        nnz = self.store.nnz if self.store is not None else self._matrix.nnz
        logger.info(
            "counted %s, %s, %s (%s) in %.2fs (vocabulary %.2fs, pairs %.2fs, sort and merge %.2fs, %s spilled)",
            plural(self.n_tokens, "token"), plural(n_words, "word"), plural(nnz, "nonzero cooccurrence"),
            "upper triangle" if symmetric else "left contexts", time.perf_counter() - t0, t_vocab, t_count, t_emit,
            plural(len(spiller.runs), "run"),
        )
        return self

    def _count(self, corpus, window, ignore_missing, min_count, max_vocab, id_order, harmonic, symmetric, n_threads,
               verbose, budget, space, keep=None):
        """Reading, the vocabulary and counting: returns the filled counter, its spiller, the
        dictionary, word counts, the plan and the seconds spent on the vocabulary. ``keep`` (a
        TokenWriter) also gets the final id stream."""
        t0 = time.perf_counter()
        paths = reading.as_paths(corpus)
        text = paths is not None or hasattr(corpus, "read")
        sources = paths if paths is not None else [corpus]
        first = counting.plan_counting(budget, 0, window, n_threads)

        def counter_for(n_words, n_positions=None, held=0):
            plan = counting.plan_counting(budget, n_words, window, n_threads, n_positions, held)
            cooc = cooc_kernel.Cooccurrence(n_words, window, harmonic, symmetric, n_threads, plan.dense_bytes,
                                            plan.buffer_entries)
            return plan, cooc, counting.Spiller(cooc, space, plan.run_bytes)

        if self._fixed_dictionary:
            dictionary = self.dictionary
            n_words = len(dictionary)
            word_counts = np.zeros(n_words, dtype=np.int64)
            if text:
                # one pass: the ids are known, so even a stream is read once. Plain files bound
                # the token count, so a small corpus still gets small tables
                t_vocab = time.perf_counter() - t0
                plan, cooc, spiller = counter_for(n_words, reading.token_bound(sources))
                counter = vocab_kernel.TokenCounter()
                counter.load_words([w.encode("utf-8", "surrogatepass") for w in inverse_dictionary(dictionary)])
                seen = counting.count_text(sources, counter, cooc, plan.chunk_tokens, window, spiller,
                                           vocab_kernel.SKIP if ignore_missing else _RAISE, verbose, word_counts, keep)
            else:
                stream = counting.IdStream(space, first.stream_bytes)
                _, counts = reading.read_token_lists(stream, corpus, dictionary, ignore_missing)
                word_counts = np.asarray(counts, dtype=np.int64)
                seen = stream.n_seen
                t_vocab = time.perf_counter() - t0
                held = 4 * stream.counter.n_tokens * (1 if keep is None else 2)  # a kept copy too
                plan, cooc, spiller = counter_for(n_words, int(word_counts.sum()), held)
                counting.count_id_stream(stream, np.arange(n_words, dtype=np.int32), cooc, plan.chunk_tokens,
                                         window, spiller, keep)
            if seen == 0:
                raise EmptyCorpusError("the corpus contains no tokens; check the input is not empty")
            return cooc, spiller, dictionary, word_counts, plan, t_vocab

        # The vocabulary pass keeps the id stream while it fits its share of the budget (one read
        # of the input, as before); past that, files are read again and other inputs spill ids.
        counter = vocab_kernel.TokenCounter(threads=n_threads)  # large chunks are tokenized on two threads
        stream = counting.IdStream(space, first.stream_bytes, counter)
        reread = False
        if text:
            reread = read_first_pass(sources, stream, paths is not None, verbose, "counting words")
            vocab = Vocabulary.from_counter(counter, min_count, max_vocab, id_order)
        else:
            words, counts = reading.read_token_lists(stream, corpus, None, False)  # words in first-seen order
            vocab = Vocabulary.from_counts((words, counts), min_count, max_vocab, id_order)
        dictionary = vocab.dictionary_
        word_counts = vocab.counts_
        n_words = len(dictionary)
        if counting.VOCAB_WORD_BYTES * n_words > budget // 2:
            raise MemoryBudgetError(
                f"the vocabulary has {n_words:,} words, which need about "
                f"{format_bytes(counting.VOCAB_WORD_BYTES * n_words)} "
                f"while counting, more than half the memory budget ({format_bytes(budget)}); raise min_count, "
                "set max_vocab or raise the budget")
        t_vocab = time.perf_counter() - t0
        held = 4 * counter.n_tokens * (1 if keep is None else 2) if (stream.in_memory and not reread) else 0
        plan, cooc, spiller = counter_for(n_words, int(word_counts.sum()), held)
        if reread:
            del counter, stream
            counter = vocab_kernel.TokenCounter()
            counter.load_words(vocab.encoded_words())
            counting.count_text(paths, counter, cooc, plan.chunk_tokens, window, spiller, vocab_kernel.DROP, verbose,
                                keep=keep)
        else:
            counting.count_id_stream(stream, vocab.remap(), cooc, plan.chunk_tokens, window, spiller, keep)
        return cooc, spiller, dictionary, word_counts, plan, t_vocab

    def _emit(self, cooc, spiller, plan, store, overwrite, tmp_dir, n_threads):
        """The counts as a COO in RAM, or into a store; sets ``_matrix`` or ``store``."""
        n_words = len(self.dictionary)
        if store is None and not spiller.runs and cooc.can_emit_direct:
            # nothing was flushed: sort the buffers once and write the output once (no runs);
            # the bound counts every dense cell and buffered entry as a nonzero
            bound = cooc.dense_bytes // 8 + cooc.pending_entries
            if COO_ENTRY_BYTES * bound + cooc.dense_bytes + 8 * cooc.pending_entries <= plan.budget:
                self._set_coo(*cooc.emit_coo_direct(), n_words)
                return
        bound = cooc.finish()
        in_ram = COO_ENTRY_BYTES * bound + cooc.dense_bytes + counting.RUN_ENTRY_BYTES * cooc.run_entries
        if store is None and not spiller.runs and in_ram <= plan.budget:
            rows, cols, data = cooc.emit_coo(bound)
            self._set_coo(rows, cols, data, n_words)
            return
        merge_entries = plan.merge_entries
        if spiller.runs:
            # the runs still in memory are merged from there when they leave room for the merge
            # blocks (writing and reading them back would cost more); otherwise they spill too
            merge_entries = counting.merge_entries_beside(plan, counting.RUN_ENTRY_BYTES * cooc.run_entries)
            if merge_entries is None:
                merge_entries = plan.merge_entries
                spiller.spill()
        runs = counting.as_runs(spiller.runs + cooc.runs())
        total = bound if not spiller.runs else int(cooc.dense_row_nnz().sum()) + sum(len(r) for r in runs)
        try:
            runs = counting.reduce_fanin(runs, n_words, spiller.space, merge_entries)
            if store is None and COO_ENTRY_BYTES * total <= plan.budget:
                rows, cols, data = counting.merge_to_coo(runs, n_words, merge_entries, n_threads, cooc)
                self._set_coo(rows, cols, data, n_words)
                return
            if store is None:
                store = self._temporary_store(tmp_dir)
                logger.warning(
                    "the cooccurrence matrix (up to %s as a COO) does not fit the memory budget (%s): it was written "
                    "to %s, removed with this Corpus; pass store=PATH to keep it, or save() it",
                    format_bytes(COO_ENTRY_BYTES * total), format_bytes(plan.budget), store)
            with CooccurrenceStore.create(store, n_words, cooc.symmetric, overwrite=overwrite) as writer:
                # each thread merges a row range into its own shard files, moved into the store in row order
                for shard in counting.merge_to_shard_files(runs, n_words, 0, n_words, writer.tmp, "part",
                                                           merge_entries, n_threads, cooc):
                    writer.adopt_shard(shard["files"], shard["row_start"], shard["row_end"], shard["nnz"])
                writer.add_vocabulary(self.inverse_dictionary, self.word_counts)
                if self.tokens is not None:
                    writer.add_tokens(self.tokens.ids)
                self.store = writer.finish(params=self.params, n_tokens=self.n_tokens)
        finally:
            for run in runs:
                run.close()

    def _fit_on_dask(self, corpus, client, work_dir, params, budget, store, overwrite, tmp_dir):
        """``fit`` on a Dask cluster (see :mod:`glovefast.cooc.dask_counting`): the result is a store,
        read into RAM when no ``store`` was asked for and it fits the budget."""
        sources = dask_counting.as_sources(corpus)
        t0 = time.perf_counter()
        target = store
        if target is None:
            # on the work directory's file system when it is local: shards are renamed, not copied
            near, flag = tmp_dir, "tmp_dir= (--tmp-dir)"
            if near is None and work_dir is not None and not is_url(os.fspath(work_dir)):
                near, flag = os.fspath(work_dir), "work_dir= (--dask-work-dir)"
                try:
                    os.makedirs(near, exist_ok=True)
                except OSError as exc:
                    raise StorageError(f"cannot create the work directory {near!r}: {exc.strerror or exc}; give "
                                       f"{flag} a directory this process and every worker can write") from exc
            target = self._temporary_store(near, flag)
        try:
            result = dask_counting.count_with_dask(
                client, sources, target, window=params["window"], harmonic=params["distance_weighting"] == "harmonic",
                symmetric=params["symmetric"], params=params,
                dictionary=self.dictionary if self._fixed_dictionary else None, min_count=params["min_count"],
                max_vocab=params["max_vocab"], ignore_missing=params["ignore_missing"], work_dir=work_dir,
                overwrite=overwrite, id_order=params.get("id_order", "frequency"))
        except BaseException:
            if store is None:  # not only when this Corpus is collected: the traceback may keep it alive
                shutil.rmtree(os.path.dirname(target), ignore_errors=True)
            raise
        self.dictionary = self.dictionary if self._fixed_dictionary else dict(zip(result.words(), range(result.n_words)))
        self.word_counts = result.word_counts()
        self.n_tokens = int(self.word_counts.sum())
        self.params = params
        self._budget = budget
        self._matrix = None
        self.store = result
        if store is None:
            if COO_ENTRY_BYTES * result.nnz <= budget:
                self._matrix = result.to_coo(memory=budget)  # in RAM, as counting here gives it
                self.store = None
                shutil.rmtree(os.path.dirname(target), ignore_errors=True)
            else:
                logger.warning("the cooccurrence matrix (%s as a COO) does not fit the memory budget (%s): it stays in "
                               "%s, removed with this Corpus; pass store=PATH to keep it, or save() it",
                               format_bytes(COO_ENTRY_BYTES * result.nnz), format_bytes(budget), target)
        logger.info("counted %s tokens, %s words, %s nonzero cooccurrences on Dask in %.2fs", f"{self.n_tokens:,}",
                    f"{len(self.dictionary):,}", f"{result.nnz:,}", time.perf_counter() - t0)
        return self

    def _set_coo(self, rows, cols, data, n_words):
        matrix = sp.coo_matrix((data, (rows, cols)), shape=(n_words, n_words))
        matrix.has_canonical_format = True  # emitted sorted by (row, col), no duplicates
        self._matrix = matrix

    def _temporary_store(self, tmp_dir, flag="tmp_dir= (--tmp-dir)"):
        try:
            with critical():  # the directory is registered for removal before a signal can interrupt
                parent = tempfile.mkdtemp(prefix="glovefast-matrix-", dir=tmp_dir)
                weakref.finalize(self, shutil.rmtree, parent, True)
        except OSError as exc:
            where = tempfile.gettempdir() if tmp_dir is None else os.fspath(tmp_dir)
            raise StorageError(f"cannot create a temporary cooccurrence store in {where!r}: {exc.strerror or exc}; "
                               f"choose a writable directory with {flag}") from exc
        return os.path.join(parent, "store")

    # ------------------------------------------------------------------------------------
    @property
    def inverse_dictionary(self):
        """id -> word, as a list in id order."""
        return None if self.dictionary is None else inverse_dictionary(self.dictionary)

    #: ``kind`` recorded in files written by :meth:`save`, checked by :meth:`load`.
    NPZ_KIND = "glovefast.Corpus"

    def save(self, path, compress=False, overwrite=True):
        """Save the vocabulary, word counts and cooccurrence matrix, to train again without recounting.

        A path ending in ``.npz``, or an existing file or device, gets glovefast's ``.npz`` file (arrays ``row``, ``col``,
        ``data``, ``word_counts``, ``tokens`` when :attr:`tokens` is kept, and JSON metadata with the words in id
        order, ``params`` and ``n_tokens``; no pickle is involved), which needs the matrix in RAM. Any other path gets
        a :class:`~glovefast.cooc.store.CooccurrenceStore` directory (see :mod:`glovefast.cooc.store`),
        written without building the matrix in RAM; when the corpus was counted into a store it
        is linked, not copied. Both are written atomically: an interrupted save leaves either the
        previous file or none, never a partial one.

        Parameters
        ----------
        path : str or os.PathLike
            Written exactly as given (``.npz`` is not appended).
        compress : bool, optional
            ``.npz`` only: deflate the arrays (smaller file, slower save and load).
        overwrite : bool, optional
            Replace an existing store at ``path`` (an ``.npz`` file is always replaced).

        Raises
        ------
        NotFittedError
            The corpus has not been fitted (there is nothing to save).

        Examples
        --------
        >>> corpus = Corpus().fit([["a", "b", "a"]], window=2)
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "corpus.npz")
        >>> corpus.save(path)
        >>> Corpus.load(path).matrix.nnz == corpus.matrix.nnz
        True
        """
        if self._matrix is None and self.store is None:
            raise NotFittedError("nothing to save: call fit() first")
        if self.store is not None and path_overlap(path, self.store.path) != "same":
            # saving over its own store is a relinking (copy_to); a file inside it would break it
            check_outputs([(path, "the saved corpus")], [(self.store.path, "this corpus's store")])
        if not os.fspath(path).endswith(".npz") and (os.path.isdir(path) or not os.path.lexists(path)):
            logger.info("writing the cooccurrence matrix (%s) to the store %s", plural(len(self.dictionary), "word"),
                        path)
            if self.store is not None:
                tokens = None if self.tokens is None or self.store.has_tokens else self.tokens.ids
                self.store.copy_to(path, overwrite=overwrite, tokens=tokens)
            else:
                coo = self._matrix
                with CooccurrenceStore.create(path, len(self.dictionary), self.params.get("symmetric", True),
                                              overwrite=overwrite) as writer:
                    n_words = len(self.dictionary)
                    # shards of about 16M entries, split between rows (a row lives in one shard)
                    cuts = sorted({int(r) for r in coo.row[::1 << 24][1:]} | {0, n_words})
                    starts = np.searchsorted(coo.row, cuts)
                    for r0, r1, a, b in zip(cuts, cuts[1:], starts, starts[1:]):
                        writer.add_shard(coo.row[a:b], coo.col[a:b], coo.data[a:b], r0, r1)
                    writer.add_vocabulary(self.inverse_dictionary, self.word_counts)
                    if self.tokens is not None:
                        writer.add_tokens(self.tokens.ids)
                    writer.finish(params=self.params, n_tokens=self.n_tokens)
            return
        coo = self.matrix
        arrays = {
            "row": np.asarray(coo.row, dtype=np.int32),
            "col": np.asarray(coo.col, dtype=np.int32),
            "data": np.asarray(coo.data, dtype=np.float64),
            "word_counts": np.asarray(self.word_counts, dtype=np.int64),
        }
        if self.tokens is not None:
            arrays["tokens"] = np.asarray(self.tokens.ids, dtype=np.int32)
        meta = {
            "words": self.inverse_dictionary,
            "params": dict(self.params),
            "n_tokens": int(self.n_tokens),
        }
        logger.info("writing the cooccurrence matrix (%s, %s nonzeros) to %s", plural(len(self.dictionary), "word"),
                    f"{coo.nnz:,}", path)
        save_npz_bundle(path, self.NPZ_KIND, arrays, meta, compress=compress)

    @classmethod
    def load(cls, path):
        """Load a corpus written by :meth:`save`: a store directory (opened, memory-mapped, the
        matrix read into RAM only when :attr:`matrix` is used) or an ``.npz`` file.

        The result has ``dictionary``, ``word_counts``, ``matrix``, ``params``, ``n_tokens`` and
        ``tokens`` (memory-mapped from a store) as after the original ``fit``, so
        ``Glove().fit(corpus.matrix)`` trains exactly as it would have on the original.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        Corpus

        Raises
        ------
        FileNotFoundError
            No such file.
        FormatError
            The file is not a saved Corpus (e.g. word vectors), is truncated or modified, or
            its content is inconsistent (ids out of range, non-positive counts...). A
            glove_python corpus (a pickle) is never unpickled; the message shows how to convert
            it with :func:`glovefast.compat.load_glove_python_corpus`.
        """
        if os.path.isdir(path):
            store = CooccurrenceStore.open(path)
            words = store.words()
            if words is None:
                raise FormatError(f"{path}: the store holds no vocabulary; it is a matrix without words")
            corpus = cls()
            corpus.dictionary = dict(zip(words, range(len(words))))
            corpus.word_counts = store.word_counts()
            corpus.store = store
            corpus.params = dict(store.params)
            corpus.n_tokens = int(store.n_tokens if store.n_tokens is not None else corpus.word_counts.sum())
            if store.has_tokens:
                corpus.tokens = TokenStream(store.tokens(), corpus.word_counts, words)
            logger.info("opened a cooccurrence store (%s, %s nonzeros) at %s", plural(len(words), "word"),
                        f"{store.nnz:,}", path)
            return corpus
        check_not_pickle(path, "Corpus")  # a glove_python corpus: say how to convert it
        arrays, meta = load_npz_bundle(path, cls.NPZ_KIND, schema=_NPZ_SCHEMA)
        missing = {"row", "col", "data", "word_counts"} - set(arrays)
        words = meta.get("words")
        if missing or not isinstance(words, list):
            raise FormatError(f"{path}: a saved Corpus must hold row, col, data, word_counts and the word list; "
                              f"missing {sorted(missing) or ['words']}")
        row, col, data, word_counts = arrays["row"], arrays["col"], arrays["data"], arrays["word_counts"]
        n = len(words)
        # The digest only proves the file is as written; these checks reject content no fit() produces,
        # so a hand-made file fails here with a reason instead of deep inside training.
        if not all(isinstance(w, str) and w for w in words) or len(set(words)) != n:
            raise FormatError(f"{path}: the word list holds empty, non-string or repeated words")
        if not (row.ndim == col.ndim == data.ndim == 1 and row.shape == col.shape == data.shape):
            raise FormatError(f"{path}: row, col and data must be 1-D arrays of one length")
        if word_counts.shape != (n,):
            raise FormatError(f"{path}: word_counts has shape {word_counts.shape} for {n} words")
        if row.dtype.kind not in "iu" or col.dtype.kind not in "iu" or word_counts.dtype.kind not in "iu":
            raise FormatError(f"{path}: row, col and word_counts must be integer arrays")
        if word_counts.dtype == np.uint64 and n and word_counts.max() >= 2**63:
            raise FormatError(f"{path}: a word count exceeds 2**63 - 1; the file is corrupted")
        check_word_counts(word_counts.astype(np.int64, copy=False), path)
        if row.size and (min(row.min(), col.min()) < 0 or max(row.max(), col.max()) >= n):
            raise FormatError(f"{path}: the matrix holds word ids outside 0..{n - 1}")
        if data.dtype.kind != "f" or not (np.isfinite(data).all() and (data > 0).all()):
            raise FormatError(f"{path}: cooccurrence counts must be finite positive floats")
        params = meta.get("params", {})
        if not isinstance(params, dict):
            raise FormatError(f"{path}: params must be a JSON object")

        corpus = cls()
        corpus.dictionary = dict(zip(words, range(n)))
        corpus.word_counts = word_counts.astype(np.int64, copy=False)
        matrix = sp.coo_matrix((data.astype(np.float64, copy=False), (row, col)), shape=(n, n))
        # fit() emits entries sorted by (row, col) without duplicates; keep the flag that lets Glove.fit
        # skip re-summing only if the file still satisfies it.
        keys = row.astype(np.int64) * n + col
        matrix.has_canonical_format = bool(keys.size < 2 or (np.diff(keys) > 0).all())
        corpus.matrix = matrix
        corpus.params = params
        corpus.n_tokens = int(meta.get("n_tokens", int(word_counts.sum())))
        if "tokens" in arrays:
            tokens = arrays["tokens"]
            if tokens.size and (tokens.min() < TokenStream.SKIP or tokens.max() >= n):
                raise FormatError(f"{path}: the token stream holds ids outside {TokenStream.SKIP}..{n - 1}")
            corpus.tokens = TokenStream(tokens.astype(np.int32, copy=False), corpus.word_counts, words)
        logger.info("loaded a cooccurrence matrix (%s, %s nonzeros) from %s", plural(n, "word"), f"{matrix.nnz:,}",
                    path)
        return corpus

    @classmethod
    def read_word_vectors(cls, path, mmap=False):
        """A saved Corpus holds no word vectors: FormatError saying what to do with it instead."""
        raise FormatError(f"{path} holds a cooccurrence matrix (Corpus.save, --save-matrix), not word vectors; "
                          f"train vectors from it (glovefast train --matrix {path} -o OUT)")

    def __repr__(self):
        if self.store is not None and self._matrix is None:
            return f"Corpus({len(self.dictionary)} words, {self.store.nnz} nonzeros in {self.store.path}, " \
                   f"params={self.params})"
        if self._matrix is None:
            return f"Corpus(dictionary={'fixed' if self._fixed_dictionary else None}, not fitted)"
        return f"Corpus({len(self.dictionary)} words, {self.matrix.nnz} nonzeros, params={self.params})"
