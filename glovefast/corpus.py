"""Corpus: vocabulary and cooccurrence counting (glove_python's ``Corpus`` API, at C speed)."""
import logging
import time

import numpy as np
import scipy.sparse as sp

from glovefast import _core, reading
from glovefast.bundle import AnyJSON, ArraySpec, ListOf, Object, Scalar, Schema
from glovefast._validation import (
    check_choice,
    check_dictionary,
    check_int,
    check_threads,
    inverse_dictionary,
)
from glovefast.errors import (
    CorpusFormatError,
    EmptyCorpusError,
    InvalidParameterError,
    UnknownWordError,
)

logger = logging.getLogger(__name__)

# Memory for the dense table of frequent pairs, shared by the counting threads (Stanford's cooccur
# sizes its table from its -memory option). Larger tables send fewer pairs to the sorted overflow;
# a small corpus gets a table no larger than its number of pairs (see Corpus.fit).
_DENSE_BYTES = 512 << 20
_OVERFLOW_ENTRIES = 1 << 22


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
     "word_counts": ArraySpec("iu", 1)},
    Object({"words": ListOf(Scalar(str)), "params": Object({}, extra=AnyJSON()), "n_tokens": Scalar(int, minimum=0)},
           optional=("params", "n_tokens")),
    _check_npz_shapes,
)


def _table_sizes(n_positions, window):
    """Dense-table bytes and overflow entries for counting: the module budgets, but never more
    than the stream has pairs, so a small corpus does not pay for tables sized for a large one."""
    pairs = max(int(n_positions) * int(window), 1024)
    return min(_DENSE_BYTES, 8 * pairs), min(_OVERFLOW_ENTRIES, pairs)


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
    n_tokens : int
        In-vocabulary tokens counted (after min_count/max_vocab filtering).
    """

    def __init__(self, dictionary=None):
        self.dictionary = None if dictionary is None else check_dictionary(dictionary)
        self._fixed_dictionary = dictionary is not None
        self.matrix = None
        self.word_counts = None
        self.n_tokens = 0
        self.params = {}

    # ------------------------------------------------------------------------------------
    def fit(self, corpus, window=10, ignore_missing=False, *, min_count=1, max_vocab=None,
            distance_weighting="harmonic", symmetric=True, no_threads=0, verbose=False):
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
        distance_weighting : {"harmonic", "flat"}
            "harmonic": a pair at distance d adds 1/d (GloVe); "flat": adds 1.
        symmetric : bool
            True: contexts on both sides, stored as the upper triangle. False: left contexts only.
        no_threads : int or None
            Threads for counting: 0 or None (default) use every CPU available to the process,
            otherwise 1 to 256 (``glovefast._validation.MAX_THREADS``). The counts do not depend on it.
        verbose : bool
            Show a progress bar of the bytes read (text input) and log a summary.

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
        if ignore_missing and not self._fixed_dictionary:
            logger.debug("ignore_missing has no effect without a fixed dictionary")

        t0 = time.perf_counter()
        counter = _core.TokenCounter()
        paths = reading.as_paths(corpus)
        if paths is not None or hasattr(corpus, "read"):
            sources = paths if paths is not None else [corpus]
            reading.read_text(counter, sources, verbose)
            words, counts = counter.words(), counter.counts()
            words_are_bytes = True
        else:
            words, counts = reading.read_token_lists(counter, corpus, self.dictionary if self._fixed_dictionary else None,
                                              ignore_missing)
            words_are_bytes = False
        t_read = time.perf_counter() - t0
        if counter.n_tokens == 0:
            raise EmptyCorpusError("the corpus contains no tokens; check the input is not empty")

        remap, dictionary, word_counts = self._vocabulary(words, counts, words_are_bytes, min_count, max_vocab,
                                                          ignore_missing)
        n_tokens = counter.remap(remap)
        n_words = len(dictionary)
        self.n_tokens = int(word_counts.sum())
        t1 = time.perf_counter()
        rows, cols, data = counter.cooccur(
            n_words, window, distance_weighting == "harmonic", bool(symmetric), no_threads,
            *_table_sizes(n_tokens, window),
        )
        stage_times = counter.timings
        del counter
        t_count = time.perf_counter() - t1
        matrix = sp.coo_matrix((data, (rows, cols)), shape=(n_words, n_words))
        matrix.has_canonical_format = True  # emitted sorted by (row, col), no duplicates
        self.dictionary = dictionary
        self.word_counts = word_counts
        self.matrix = matrix
        self.params = {
            "window": window,
            "min_count": min_count,
            "max_vocab": max_vocab,
            "distance_weighting": distance_weighting,
            "symmetric": bool(symmetric),
            "ignore_missing": bool(ignore_missing),
        }
        logger.info(
            "counted %d tokens, %d words, %d nonzero cooccurrences (%s) in %.2fs (reading %.2fs, pairs %.2fs)",
            self.n_tokens, n_words, matrix.nnz, "upper triangle" if symmetric else "left contexts",
            time.perf_counter() - t0, t_read, t_count,
        )
        logger.debug("counting stages: %s", ", ".join(f"{k} {v:.2f}s" for k, v in stage_times.items()))
        del n_tokens
        return self

    # ------------------------------------------------------------------------------------
    def _vocabulary(self, words, counts, words_are_bytes, min_count, max_vocab, ignore_missing):
        """Final ids: (remap first-seen id -> final id/SKIP/DROP, dictionary, counts per final id)."""
        n_seen = len(words)
        remap = np.empty(n_seen, dtype=np.int32)
        if self._fixed_dictionary:
            dictionary = self.dictionary
            word_counts = np.zeros(len(dictionary), dtype=np.int64)
            for k, word in enumerate(words):
                if words_are_bytes:
                    word = reading.decode(word)
                idx = dictionary.get(word)
                if idx is None:
                    if not ignore_missing:
                        raise UnknownWordError(
                            word,
                            f"word {word!r} is not in the dictionary; pass ignore_missing=True to skip "
                            "unknown words (they keep their position in the window), or add it",
                        )
                    remap[k] = _core.SKIP
                else:
                    remap[k] = idx
                    word_counts[idx] += counts[k]
            return remap, dictionary, word_counts

        counts = np.asarray(counts, dtype=np.int64)
        # descending count, ties broken by the word itself (bytes / str order), independent of input order
        keys = words if words_are_bytes else [w.encode("utf-8", "surrogatepass") if isinstance(w, str) else w
                                              for w in words]
        by_word = np.argsort(np.array(keys, dtype=object), kind="stable") if n_seen else np.empty(0, np.intp)
        order = by_word[np.argsort(-counts[by_word], kind="stable")]
        keep = order[counts[order] >= min_count]
        if max_vocab is not None:
            keep = keep[:max_vocab]
        if keep.size == 0:
            raise EmptyCorpusError(
                f"no word occurs at least min_count={min_count} times; lower min_count or use a larger corpus"
            )
        remap.fill(_core.DROP)
        remap[keep] = np.arange(keep.size, dtype=np.int32)
        kept = [words[k] for k in keep]
        if words_are_bytes:
            kept = [reading.decode(w) for w in kept]
        dictionary = dict(zip(kept, range(len(kept))))
        if len(dictionary) != len(kept):  # only possible if distinct byte strings decode alike
            raise CorpusFormatError("the vocabulary contains words that decode to the same text")
        return remap, dictionary, counts[keep]

    # ------------------------------------------------------------------------------------
    @property
    def inverse_dictionary(self):
        """id -> word, as a list in id order."""
        return None if self.dictionary is None else inverse_dictionary(self.dictionary)

    #: ``kind`` recorded in files written by :meth:`save`, checked by :meth:`load`.
    NPZ_KIND = "glovefast.Corpus"

    def save(self, path, compress=False):
        """Save the vocabulary, word counts and cooccurrence matrix, to train again without recounting.

        The file is glovefast's native ``.npz`` (arrays ``row``, ``col``, ``data``,
        ``word_counts``, and JSON metadata with the words in id order, ``params`` and
        ``n_tokens``); no pickle is involved. It is written atomically: an interrupted save
        leaves either the previous file or none, never a partial one.

        Parameters
        ----------
        path : str or os.PathLike
            Written exactly as given (``.npz`` is not appended).
        compress : bool, optional
            Deflate the arrays: smaller file, slower save and load.

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
        from glovefast.errors import NotFittedError
        from glovefast.formats import save_npz_bundle

        if self.matrix is None:
            raise NotFittedError("nothing to save: call fit() first")
        coo = self.matrix
        arrays = {
            "row": np.asarray(coo.row, dtype=np.int32),
            "col": np.asarray(coo.col, dtype=np.int32),
            "data": np.asarray(coo.data, dtype=np.float64),
            "word_counts": np.asarray(self.word_counts, dtype=np.int64),
        }
        meta = {
            "words": self.inverse_dictionary,
            "params": dict(self.params),
            "n_tokens": int(self.n_tokens),
        }
        save_npz_bundle(path, self.NPZ_KIND, arrays, meta, compress=compress)
        logger.info("saved the cooccurrence matrix (%d words, %d nonzeros) to %s", len(self.dictionary), coo.nnz,
                    path)

    @classmethod
    def load(cls, path):
        """Load a corpus written by :meth:`save`.

        The result has ``dictionary``, ``word_counts``, ``matrix``, ``params`` and ``n_tokens``
        as after the original ``fit``, so ``Glove().fit(corpus.matrix)`` trains exactly as it
        would have on the original.

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
        from glovefast.compat import check_not_pickle
        from glovefast.errors import FormatError
        from glovefast.formats import load_npz_bundle

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
        logger.info("loaded a cooccurrence matrix (%d words, %d nonzeros) from %s", n, matrix.nnz, path)
        return corpus

    def __repr__(self):
        if self.matrix is None:
            return f"Corpus(dictionary={'fixed' if self._fixed_dictionary else None}, not fitted)"
        return f"Corpus({len(self.dictionary)} words, {self.matrix.nnz} nonzeros, params={self.params})"
