"""Trained word vectors as a first-class object: gensim-style queries, evaluation, files, PyTorch.

:class:`WordVectors` holds ``index_to_key`` (words in id order), ``key_to_index`` and the
``vectors`` matrix. Ids follow the trainer's order, most frequent word first, so
``restrict_vocab=N`` everywhere means "the N most frequent words".

Queries use cosine similarity over unit vectors that are computed once and cached; a batch
of queries is one matrix product followed by ``argpartition``. Unknown words raise
:class:`~glovefast.errors.UnknownWordError` (a ``KeyError``) naming the word.

Example
-------
>>> import numpy as np
>>> from glovefast.vectors import WordVectors
>>> wv = WordVectors(["king", "queen", "man", "woman"], np.eye(4, 3, dtype=np.float32))
>>> len(wv), wv.vector_size, "king" in wv
(4, 3, True)
"""
import logging
import numbers

import numpy as np

from glovefast import evaluation
from glovefast._validation import check_dictionary, inverse_dictionary
from glovefast.bundle import ArraySpec, ListOf, Object, Scalar, Schema, load_npz_bundle, save_npz_bundle
from glovefast.errors import (
    FormatError,
    InvalidDictionaryError,
    InvalidMatrixError,
    InvalidParameterError,
    UnknownWordError,
)
from glovefast.formats import _read_text_vectors, read_word2vec_binary, write_text_vectors, write_word2vec_binary
from glovefast.ranking import (
    SCORE_BLOCK_BYTES,
    check_finite_query,
    check_restrict,
    check_topn,
    top_indices,
    top_indices_rows,
    unit_rows,
)

logger = logging.getLogger(__name__)


def _check_npz_shapes(shapes, meta):
    n = len(meta["keys"])
    if shapes["vectors"][0] != n:
        return f"array 'vectors' has {shapes['vectors'][0]} rows for {n} words in meta.keys"
    if "counts" in shapes and shapes["counts"] != (n,):
        return f"array 'counts' has shape {list(shapes['counts'])} for {n} words"
    return None


_NPZ_SCHEMA = Schema(
    {"vectors": ArraySpec("f", 2), "counts": ArraySpec("iu", 1, required=False)},
    Object({"keys": ListOf(Scalar(str))}),
    _check_npz_shapes,
)


def _gensim_keyed_vectors():
    try:
        from gensim.models import KeyedVectors
    except ImportError as exc:
        raise ImportError(
            f"gensim is needed for to_gensim(): install it with 'pip install gensim' ({exc})") from None
    return KeyedVectors


def _as_vector_matrix(vectors):
    """Validate and return ``vectors`` as a C-contiguous float32/float64 2-D array (no copy if possible)."""
    try:
        arr = np.asarray(vectors)
    except (TypeError, ValueError) as exc:
        raise InvalidMatrixError(f"vectors must be a 2-D numeric array, could not convert: {exc}") from None
    if arr.ndim != 2:
        raise InvalidMatrixError(f"vectors must be a 2-D array (n_words, vector_size), got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise InvalidMatrixError(f"vectors must have at least one column, got shape {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise InvalidMatrixError(f"vectors must hold real numbers, got dtype {arr.dtype}")
    if arr.dtype not in (np.float32, np.float64):
        # Integers or float16 are not worth a special code path: compute in float32.
        arr = arr.astype(np.float32)
    return np.ascontiguousarray(arr)


def _as_list(x):
    """A gensim-style positive/negative argument as a list: None, one term, or an iterable of terms."""
    if x is None:
        return []
    if isinstance(x, (str, np.ndarray)) or not hasattr(x, "__iter__"):
        return [x]  # one term; a non-word, non-vector is reported by _query_vector
    return list(x)


class WordVectors:
    """Word vectors with gensim-style queries, evaluation, file formats and PyTorch export.

    Parameters
    ----------
    index_to_key : sequence of str
        Words in id order. glovefast numbers words by descending corpus frequency, so the
        first ``N`` words are the ``N`` most frequent (what ``restrict_vocab=N`` selects).
    vectors : array_like, shape (n_words, vector_size)
        One row per word. float32 and float64 are kept as they are (not copied when already
        C-contiguous); other numeric types are converted to float32.
    counts : array_like of int, shape (n_words,), optional
        Corpus frequency of each word; kept and saved by :meth:`save`, not needed for queries.

    Raises
    ------
    InvalidDictionaryError
        A key that is not a ``str``, an empty key, or a duplicated key (the message names it).
    InvalidMatrixError
        ``vectors`` is not 2-D, has a different number of rows than there are keys, or holds
        NaN/inf (the message names the first affected word).

    Notes
    -----
    Unit-normalised vectors are computed on first use and cached. Assigning a new matrix to
    :attr:`vectors` drops the cache; if you modify the matrix *in place*, call
    ``fill_norms(force=True)`` afterwards.
    """

    def __init__(self, index_to_key, vectors, counts=None):
        if isinstance(index_to_key, (str, bytes)):
            raise InvalidDictionaryError("index_to_key must be a sequence of words, not a single string")
        keys = list(index_to_key)
        for pos, key in enumerate(keys):
            if not isinstance(key, str):
                raise InvalidDictionaryError(
                    f"every key must be a str; index {pos} holds {key!r} ({type(key).__name__}). "
                    "Decode bytes to str before building WordVectors"
                )
            if not key:
                raise InvalidDictionaryError(f"keys must be non-empty strings; index {pos} is the empty string")
        key_to_index = {}
        for pos, key in enumerate(keys):
            first = key_to_index.setdefault(key, pos)
            if first != pos:
                raise InvalidDictionaryError(
                    f"duplicate key {key!r} at indices {first} and {pos}; every word must appear once"
                )
        matrix = _as_vector_matrix(vectors)
        if matrix.shape[0] != len(keys):
            raise InvalidMatrixError(
                f"vectors has {matrix.shape[0]} rows but index_to_key has {len(keys)} words; they must match"
            )
        self._check_finite(matrix, keys)
        self.index_to_key = keys
        self.key_to_index = key_to_index
        self._vectors = matrix
        self._unit = None
        self._norms = None
        self.counts = self._check_counts(counts, len(keys))

    # ------------------------------------------------------------------ construction helpers
    @staticmethod
    def _check_finite(matrix, keys):
        # in slices of rows, so a memory-mapped matrix is scanned without a mask of its size
        step = max(1, (16 << 20) // max(1, matrix.shape[1]))
        first, n_bad = None, 0
        for r0 in range(0, matrix.shape[0], step):
            finite = np.isfinite(matrix[r0:r0 + step]).all(axis=1)
            if not finite.all():
                n_bad += int((~finite).sum())
                if first is None:
                    first = r0 + int(np.flatnonzero(~finite)[0])
        if n_bad:
            raise InvalidMatrixError(
                f"vectors contain NaN or inf ({n_bad} rows), first for word {keys[first]!r} "
                f"(index {first}); the model probably diverged: retrain with a lower learning rate"
            )

    @staticmethod
    def _check_counts(counts, n):
        if counts is None:
            return None
        arr = np.asarray(counts)
        if arr.shape != (n,):
            raise InvalidParameterError(f"counts must have shape ({n},) like the vocabulary, got {arr.shape}")
        if n and (arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.round(arr)))):
            raise InvalidParameterError(f"counts must be integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64)
        if n and arr.min() < 0:
            raise InvalidParameterError("counts must be non-negative")
        return arr

    @classmethod
    def from_dictionary(cls, dictionary, vectors, counts=None):
        """Build from a ``word -> id`` mapping (glove_python's ``Glove.dictionary``) and a matrix.

        Parameters
        ----------
        dictionary : mapping of str to int
            Ids must be exactly ``0..n-1``; row ``i`` of ``vectors`` is the word with id ``i``.
        vectors : array_like, shape (n, vector_size)
        counts : array_like, optional

        Returns
        -------
        WordVectors
        """
        checked = check_dictionary(dictionary)
        return cls(inverse_dictionary(checked), vectors, counts=counts)

    # ------------------------------------------------------------------ basic access
    @property
    def vectors(self):
        """The ``(n_words, vector_size)`` matrix. Assigning a new one re-validates it and drops cached norms."""
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        matrix = _as_vector_matrix(value)
        if matrix.shape[0] != len(self.index_to_key):
            raise InvalidMatrixError(
                f"new vectors have {matrix.shape[0]} rows but the vocabulary has {len(self.index_to_key)} words"
            )
        self._check_finite(matrix, self.index_to_key)
        self._vectors = matrix
        self._unit = None
        self._norms = None

    @property
    def vector_size(self):
        """Dimensionality of the vectors."""
        return self._vectors.shape[1]

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, word):
        try:
            return word in self.key_to_index
        except TypeError:  # unhashable, e.g. a list
            return False

    def __iter__(self):
        return iter(self.index_to_key)

    def __repr__(self):
        return f"{type(self).__name__}({len(self)} words, vector_size={self.vector_size}, dtype={self._vectors.dtype})"

    def get_index(self, word):
        """Id of ``word``.

        Raises
        ------
        UnknownWordError
            ``word`` is not in the vocabulary.
        """
        try:
            return self.key_to_index[word]
        except KeyError:
            raise UnknownWordError(word) from None
        except TypeError:
            raise InvalidParameterError(f"a word must be a str, got {type(word).__name__}: {word!r}") from None

    def _indices(self, words):
        if isinstance(words, str):
            raise InvalidParameterError("expected a list of words, got a single string")
        return np.fromiter((self.get_index(w) for w in words), dtype=np.intp)

    def __getitem__(self, key):
        """``wv["word"]`` is the word's vector; ``wv[["a", "b"]]`` is a ``(2, vector_size)`` matrix."""
        if isinstance(key, str):
            return self._vectors[self.get_index(key)]
        if isinstance(key, (list, tuple, np.ndarray)):
            return self._vectors[self._indices(key)]
        raise InvalidParameterError(
            f"index with a word (str) or a list of words, got {type(key).__name__}: {key!r}"
        )

    def get_vector(self, word, norm=False):
        """Vector of ``word``, unit-normalised if ``norm``.

        Parameters
        ----------
        word : str
        norm : bool, optional
            Return the L2-normalised vector (a zero vector stays zero).

        Returns
        -------
        numpy.ndarray, shape (vector_size,)

        Raises
        ------
        UnknownWordError
        """
        idx = self.get_index(word)
        if norm:
            return self.get_normed_vectors()[idx]
        return self._vectors[idx]

    # ------------------------------------------------------------------ norms cache
    def fill_norms(self, force=False):
        """Compute (or, with ``force``, recompute) the cached norms and unit vectors.

        Call with ``force=True`` after modifying :attr:`vectors` in place.
        """
        if self._unit is None or force:
            self._norms = np.linalg.norm(self._vectors, axis=1)
            self._unit = unit_rows(self._vectors)

    @property
    def norms(self):
        """L2 norm of every vector, shape ``(n_words,)`` (cached)."""
        self.fill_norms()
        return self._norms

    def get_normed_vectors(self):
        """Unit-normalised copy of :attr:`vectors` (cached; all-zero rows stay zero)."""
        self.fill_norms()
        return self._unit

    # ------------------------------------------------------------------ similarity queries
    def similarity(self, w1, w2):
        """Cosine similarity of two words.

        Raises
        ------
        UnknownWordError
            Naming whichever word is missing.
        """
        unit = self.get_normed_vectors()
        return float(np.dot(unit[self.get_index(w1)], unit[self.get_index(w2)]))

    def distance(self, w1, w2):
        """Cosine distance ``1 - similarity(w1, w2)``."""
        return 1.0 - self.similarity(w1, w2)

    def _query_vector(self, item, pre_normalize=True):
        """(vector, index or None) for a word or an explicit vector."""
        if isinstance(item, str):
            idx = self.get_index(item)
            return (self.get_normed_vectors()[idx] if pre_normalize else self._vectors[idx]), idx
        arr = np.asarray(item)
        if arr.dtype.kind in "fiu" and arr.shape == (self.vector_size,):
            with np.errstate(over="ignore"):  # reported just below, by name
                arr = arr.astype(self._vectors.dtype, copy=False)
            check_finite_query(arr)  # after the cast: 1e300 becomes inf in float32
            return arr, None
        shown = repr(item) if len(repr(item)) <= 60 else repr(item)[:57] + "..."
        raise InvalidParameterError(
            f"a query term must be a word (str) or a vector of length {self.vector_size}, got {shown} "
            f"({type(item).__name__}); pass a word, e.g. most_similar('king'), or a vector, e.g. "
            "most_similar(positive=[wv['king']])"
        )

    def _weighted_terms(self, positive, negative):
        """Parse gensim-style positive/negative lists into (terms, weights, input indices)."""
        terms, weights = [], []
        for items, default in ((_as_list(positive), 1.0), (_as_list(negative), -1.0)):
            for item in items:
                if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], numbers.Real):
                    if not np.isfinite(item[1]):
                        raise InvalidParameterError(f"the weight of {item[0]!r} must be finite, got {item[1]}")
                    terms.append(item[0])
                    weights.append(float(item[1]))
                else:
                    terms.append(item)
                    weights.append(default)
        if not terms:
            raise InvalidParameterError("cannot compute similarity with no input: give at least one positive or negative word")
        return terms, weights

    def _mean_query(self, positive, negative):
        terms, weights = self._weighted_terms(positive, negative)
        mean = np.zeros(self.vector_size, dtype=self._vectors.dtype)
        exclude = []
        total = 0.0
        for term, weight in zip(terms, weights):
            vec, idx = self._query_vector(term)
            mean += weight * vec
            total += abs(weight)
            if idx is not None:
                exclude.append(idx)
        if total > 0:
            mean /= total
        return unit_rows(mean), exclude

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Words closest (cosine) to the mean of ``positive`` minus ``negative``, as gensim does.

        Parameters
        ----------
        positive, negative : str, vector, or list of str / vector / (str or vector, weight), optional
            Terms pulling towards / away from the result. Words are unit-normalised before
            averaging; default weights are +1 and -1. ``most_similar(positive=["king", "woman"],
            negative=["man"])`` solves "man is to king as woman is to ?".
        topn : int or None, optional
            Number of results. ``None`` returns the similarity of every (restricted) word as an array.
        restrict_vocab : int, optional
            Only search the ``restrict_vocab`` most frequent words.

        Returns
        -------
        list of (str, float) or numpy.ndarray
            Best first; the input words themselves are never returned.

        Raises
        ------
        UnknownWordError
            An input word is not in the vocabulary.
        """
        topn = check_topn(topn)
        if topn is not None and topn < 1:
            return []
        limit = check_restrict(restrict_vocab, len(self))
        query, exclude = self._mean_query(positive, negative)
        scores = self.get_normed_vectors()[:limit] @ query
        if topn is None:
            return scores
        return self._ranked(scores, topn, exclude)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """Words closest to an explicit vector (nothing is excluded)."""
        return self.most_similar(positive=[np.asarray(vector)], topn=topn, restrict_vocab=restrict_vocab)

    def _ranked(self, scores, topn, exclude):
        exclude = set(exclude)
        best = top_indices(scores, topn + len(exclude))
        result = [(self.index_to_key[i], float(scores[i])) for i in best if i not in exclude]
        return result[:topn]

    def most_similar_batch(self, queries, topn=10, restrict_vocab=None):
        """Nearest neighbours of many words or vectors at once.

        One BLAS matrix product per block of queries (blocks bound memory to ~64 MB of scores),
        then ``argpartition`` per row.

        Parameters
        ----------
        queries : list of str, or array_like of shape (n_queries, vector_size)
            Words (each excluded from its own results) or query vectors.
        topn : int, optional
        restrict_vocab : int, optional
            Only search the ``restrict_vocab`` most frequent words.

        Returns
        -------
        list of list of (str, float)
            ``result[i]`` answers ``queries[i]``, best first.
        """
        topn = check_topn(topn)
        if topn is None or topn < 1:
            raise InvalidParameterError(f"topn must be a positive integer for batched queries, got {topn!r}")
        limit = check_restrict(restrict_vocab, len(self))
        unit = self.get_normed_vectors()
        if isinstance(queries, np.ndarray) and queries.ndim == 2:
            if queries.shape[1] != self.vector_size:
                raise InvalidParameterError(
                    f"query vectors must have {self.vector_size} columns, got shape {queries.shape}"
                )
            if queries.dtype.kind not in "fiu":
                raise InvalidParameterError(f"query vectors must hold real numbers, got dtype {queries.dtype}")
            with np.errstate(over="ignore"):
                queries = queries.astype(self._vectors.dtype, copy=False)
            check_finite_query(queries)
            query_unit = unit_rows(queries)
            self_ids = None
        else:
            if isinstance(queries, str):
                raise InvalidParameterError("queries must be a list of words, not a single string")
            self_ids = self._indices(list(queries))
            query_unit = unit[self_ids]
        results = []
        if limit == 0:
            return [[] for _ in range(len(query_unit))]
        block = max(1, SCORE_BLOCK_BYTES // (limit * unit.itemsize))
        k = min(topn + (1 if self_ids is not None else 0), limit)
        for start in range(0, len(query_unit), block):
            scores = query_unit[start:start + block] @ unit[:limit].T
            if self_ids is not None:
                rows = np.arange(scores.shape[0])
                ids = self_ids[start:start + block]
                inside = ids < limit
                scores[rows[inside], ids[inside]] = -np.inf
            best = top_indices_rows(scores, k)
            for row, cand in enumerate(best):
                hits = [(self.index_to_key[i], float(scores[row, i])) for i in cand if scores[row, i] != -np.inf]
                results.append(hits[:topn])
        return results

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Most similar words by the multiplicative objective 3CosMul (Levy & Goldberg, 2014).

        Scores are ``prod((1 + cos(w, p)) / 2 for p in positive) /
        (prod((1 + cos(w, n)) / 2 for n in negative) + 1e-6)``, as gensim computes them;
        explicit vectors are normalised like words.

        Parameters
        ----------
        positive, negative : str, vector or list of them
        topn : int or None, optional
            ``None`` returns the score of every (restricted) word.
        restrict_vocab : int, optional
            Only search the ``restrict_vocab`` most frequent words (gensim 4.4 ignores this
            argument here; glovefast applies it).

        Returns
        -------
        list of (str, float) or numpy.ndarray
        """
        topn = check_topn(topn)
        if topn is not None and topn < 1:
            return []
        limit = check_restrict(restrict_vocab, len(self))

        positive, negative = _as_list(positive), _as_list(negative)
        if not positive:
            raise InvalidParameterError("most_similar_cosmul needs at least one positive word")
        exclude, rows = [], []
        for term in positive + negative:
            vec, idx = self._query_vector(term)
            rows.append(vec if idx is not None else unit_rows(vec))
            if idx is not None:
                exclude.append(idx)
        cos = self.get_normed_vectors()[:limit] @ np.stack(rows).T  # (limit, n_terms)
        shifted = (1.0 + cos) / 2.0
        scores = np.prod(shifted[:, : len(positive)], axis=1) / (np.prod(shifted[:, len(positive):], axis=1) + 1e-6)
        if topn is None:
            return scores
        return self._ranked(scores, topn, exclude)

    def doesnt_match(self, words):
        """The word farthest from the mean of ``words`` (cosine to the normalised mean of unit vectors).

        Unlike gensim, which silently drops unknown words, an unknown word raises
        :class:`~glovefast.errors.UnknownWordError`.
        """
        if isinstance(words, str):
            raise InvalidParameterError("doesnt_match needs a list of words, not a single string")
        words = list(words)
        if not words:
            raise InvalidParameterError("cannot select a word from an empty list")
        vecs = self.get_normed_vectors()[self._indices(words)]
        mean = unit_rows(vecs.mean(axis=0))
        return words[int(np.argmin(vecs @ mean))]

    def distances(self, word_or_vector, other_words=()):
        """Cosine distances from a word or vector to ``other_words`` (to every word if empty).

        Returns
        -------
        numpy.ndarray
            ``1 - cosine``; with no ``other_words``, one entry per vocabulary word in id order.
        """
        query, _ = self._query_vector(word_or_vector, pre_normalize=True)
        query = unit_rows(query)
        unit = self.get_normed_vectors()
        if isinstance(other_words, str):
            other_words = [other_words]
        other_words = list(other_words)
        others = unit[self._indices(other_words)] if other_words else unit
        return 1.0 - others @ query

    # ------------------------------------------------------------------ files
    #: ``kind`` recorded in native files, checked on load.
    NPZ_KIND = "glovefast.WordVectors"

    def save(self, path, compress=False):
        """Save in glovefast's native format: one bundle file (vectors, counts) with JSON metadata (words).

        No pickle is involved; the file is written atomically and carries a kind, a version
        and a SHA-256 digest, so :meth:`load` detects truncation and modification. Words of any
        kind (spaces, any Unicode) are kept exactly. Uncompressed files store the vectors
        aligned, so ``load(path, mmap=True)`` opens them in milliseconds (see ``docs/formats.md``).

        Parameters
        ----------
        path : str or os.PathLike
            Written exactly as given (``.npz`` is not appended).
        compress : bool, optional
            Deflate the arrays: smaller file, slower save and load, no memory-mapping.

        Raises
        ------
        InvalidParameterError
            A word holds a lone surrogate (not encodable as UTF-8); the message names it.
        """
        arrays = {"vectors": self._vectors}
        if self.counts is not None:
            arrays["counts"] = self.counts
        save_npz_bundle(path, self.NPZ_KIND, arrays, {"keys": self.index_to_key}, compress=compress)
        logger.info("saved %d vectors to %s", len(self), path)

    @classmethod
    def load(cls, path, verify=None, mmap=False):
        """Load a file written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
        verify : bool, optional
            Check the content digest (about 1 s per GB). Default: True, except with ``mmap``,
            where checking would read every page of the file.
        mmap : bool, optional
            Memory-map the vectors read-only instead of reading them: the words and metadata
            are read at once, vector pages only when used, and several processes share one
            copy in the page cache. The file must be uncompressed (otherwise it is read into
            memory, with a warning) and must not change while mapped.

        Returns
        -------
        WordVectors

        Raises
        ------
        FormatError
            The file is truncated, corrupted, modified, not a glovefast file, holds another
            kind of object (e.g. a whole Glove model), or has metadata that break the schema
            (the message names the field).

        Notes
        -----
        With ``mmap=True`` the vectors are not scanned for NaN/inf (that would read them all),
        unless ``verify=True``: the digest then reads every page anyway, and NaN/inf rows are
        refused as by ``load()`` without ``mmap``.
        """
        if verify is None:
            verify = not mmap
        arrays, meta = load_npz_bundle(path, cls.NPZ_KIND, verify=verify, schema=_NPZ_SCHEMA,
                                       mmap=("vectors",) if mmap else False)
        try:
            if mmap:
                wv = cls._trusted(meta["keys"], arrays["vectors"], arrays.get("counts"))
                if verify:  # the digest has just read every page: scanning them too costs little more
                    cls._check_finite(wv._vectors, wv.index_to_key)
                return wv
            return cls(meta["keys"], arrays["vectors"], counts=arrays.get("counts"))
        except (InvalidDictionaryError, InvalidMatrixError, InvalidParameterError) as exc:
            raise FormatError(f"{path}: inconsistent content ({exc})") from None

    @classmethod
    def _trusted(cls, keys, vectors, counts=None, key_to_index=None):
        """Build without scanning ``vectors`` (memory-mapped): the keys are still checked, cheaply
        (not at all when the caller passes the ``key_to_index`` it built while checking them)."""
        if vectors.ndim != 2 or vectors.shape[1] < 1:
            raise InvalidMatrixError(f"vectors must be a 2-D array with at least one column, got shape "
                                     f"{vectors.shape}")
        if key_to_index is None:
            key_to_index = dict(zip(keys, range(len(keys))))
        if len(key_to_index) != len(keys) or "" in key_to_index:
            return cls(keys, np.zeros((len(keys), 1), dtype=np.float32))  # raises, naming the bad key
        self = cls.__new__(cls)
        self.index_to_key = list(keys)
        self.key_to_index = key_to_index
        self._vectors = vectors
        self._unit = None
        self._norms = None
        self.counts = cls._check_counts(counts, len(keys))
        return self

    def save_word2vec_format(self, path, binary=False, precision=None):
        """Write the word2vec format (with its ``"n d"`` header), text or binary.

        The output loads with gensim's ``KeyedVectors.load_word2vec_format(path, binary=...)``
        and the original C tools. Paths ending in ``.gz``/``.bz2``/``.xz`` are compressed.

        Parameters
        ----------
        path : str or os.PathLike
            Written atomically.
        binary : bool, optional
            Binary (float32) instead of text.
        precision : int, optional
            Text only: significant digits (default: exact round trip).

        Raises
        ------
        FormatError
            A word is empty or contains whitespace, which these formats cannot represent
            (nothing is written; use :meth:`save` for such vocabularies).
        """
        if binary:
            write_word2vec_binary(path, self.index_to_key, self._vectors)
        else:
            write_text_vectors(path, self.index_to_key, self._vectors, header=True, precision=precision)

    @classmethod
    def load_word2vec_format(cls, path, binary=False, limit=None, dtype=np.float32, unicode_errors="strict",
                             no_threads=None):
        """Read a word2vec text or binary file (gensim's, Google's, fastText's ``.vec``).

        Parameters
        ----------
        path : str or os.PathLike
            ``.gz``/``.bz2``/``.xz`` are decompressed on the fly.
        binary : bool, optional
        limit : int, optional
            Read only the first ``limit`` words (usually the most frequent); the rest of the
            file is not read.
        dtype : {numpy.float32, numpy.float64}, optional
        unicode_errors : {"strict", "replace", "ignore"}, optional
            What to do with words that are not valid UTF-8.
        no_threads : int, optional
            Text only: parsing threads (None or 0: all available CPUs). Text is parsed in C,
            exactly as Python's ``float()`` would, in parallel over blocks of lines (see
            :func:`glovefast.formats.read_text_vectors`).

        Returns
        -------
        WordVectors
            Repeated words keep their first vector (a warning gives the count).

        Raises
        ------
        FormatError
            Missing header, truncated file, malformed line (with its number), invalid UTF-8
            under ``"strict"``, NaN/inf values, or text given as binary.
        """
        if binary:
            keys, vectors = read_word2vec_binary(path, limit=limit, dtype=dtype, unicode_errors=unicode_errors)
            return cls._trusted(keys, vectors)  # the reader checked finiteness and dropped repeated words
        keys, vectors, index = _read_text_vectors(path, True, limit, dtype, unicode_errors, no_threads)
        return cls._trusted(keys, vectors, key_to_index=index)

    def save_glove_format(self, path, precision=None):
        """Write Stanford GloVe text: ``word v1 v2 ...`` lines, no header.

        Readable by :meth:`load_glove_format`, glove_python's ``Glove.load_stanford`` and
        gensim's ``load_word2vec_format(path, no_header=True)``.

        Raises
        ------
        FormatError
            A word is empty or contains whitespace (nothing is written).
        """
        write_text_vectors(path, self.index_to_key, self._vectors, header=False, precision=precision)

    @classmethod
    def load_glove_format(cls, path, limit=None, dtype=np.float32, unicode_errors="strict", no_threads=None):
        """Read a Stanford GloVe text file (e.g. ``glove.6B.300d.txt``), streaming.

        The vector size is the most common number of fields (minus one) on the first lines.
        Words containing spaces (present in Stanford's 840B release) are read correctly
        because the vector is the last ``vector_size`` fields of each line. Parsed in C, in
        parallel; see :meth:`load_word2vec_format` for the parameters.

        Returns
        -------
        WordVectors
        """
        keys, vectors, index = _read_text_vectors(path, False, limit, dtype, unicode_errors, no_threads)
        return cls._trusted(keys, vectors, key_to_index=index)  # finite values, no repeated words

    # ------------------------------------------------------------------ gensim hand-off
    def to_gensim(self):
        """These vectors as a gensim ``KeyedVectors``, in memory (no file in between).

        The gensim object shares this object's vector matrix (no copy; a memory-mapped matrix
        stays mapped): modify one in place and the other sees it. Word counts, when known, become
        gensim's ``"count"`` attribute (``kv.get_vecattr(word, "count")``).

        Returns
        -------
        gensim.models.KeyedVectors

        Raises
        ------
        ImportError
            gensim is not installed (``pip install gensim``).

        Examples
        --------
        >>> kv = WordVectors(["a", "b"], np.eye(2, dtype=np.float32)).to_gensim()  # doctest: +SKIP
        >>> kv.most_similar("a", topn=1)  # doctest: +SKIP
        """
        KeyedVectors = _gensim_keyed_vectors()
        kv = KeyedVectors(self.vector_size, count=0, dtype=self._vectors.dtype)
        kv.index_to_key = list(self.index_to_key)
        kv.key_to_index = dict(self.key_to_index)
        kv.next_index = len(self)
        kv.vectors = self._vectors
        if self.counts is not None:
            kv.allocate_vecattrs(attrs=["count"], types=[np.int64])
            kv.expandos["count"][:] = self.counts
        return kv

    @classmethod
    def from_gensim(cls, kv):
        """Word vectors from a gensim ``KeyedVectors`` (or a model with ``.wv``, e.g. Word2Vec), in memory.

        The vectors are shared, not copied, when they are already a C-contiguous float32/float64
        matrix. gensim's ``"count"`` attribute, when present, becomes :attr:`counts`.

        Parameters
        ----------
        kv : gensim.models.KeyedVectors, or an object with a ``wv`` attribute holding one

        Returns
        -------
        WordVectors

        Raises
        ------
        InvalidParameterError
            ``kv`` is not a gensim KeyedVectors (nor has one as ``.wv``).
        InvalidDictionaryError
            A key is not a non-empty ``str`` (gensim also allows integer keys), or is repeated.
        InvalidMatrixError
            The vectors hold NaN or inf.
        """
        if not (hasattr(kv, "index_to_key") and hasattr(kv, "vectors")) and hasattr(kv, "wv"):
            kv = kv.wv
        if not (hasattr(kv, "index_to_key") and hasattr(kv, "vectors") and hasattr(kv, "expandos")):
            raise InvalidParameterError(
                f"from_gensim expects a gensim KeyedVectors (or a model with .wv), got {type(kv).__name__}")
        counts = kv.expandos.get("count")
        if counts is not None and (len(counts) != len(kv.index_to_key) or not np.any(counts)):
            counts = None  # gensim pre-allocates zeros when counts were never set
        return cls(kv.index_to_key, kv.vectors, counts=counts)

    # ------------------------------------------------------------------ PyTorch hand-off
    #: OOV policies of :meth:`embedding_matrix`; any other string names a row of these vectors.
    OOV_POLICIES = ("zeros", "mean", "random")

    def embedding_matrix(self, vocab, oov="zeros", pad=None, seed=None, dtype=np.float32, return_missing=False):
        """Embedding matrix aligned to a caller's vocabulary, for ``torch.nn.Embedding.from_pretrained``.

        Row ``i`` is the vector of the caller's word with id ``i``. Words these vectors do not
        know (OOV) get a row chosen by ``oov``.

        Parameters
        ----------
        vocab : sequence of str, or mapping of str to int
            The caller's vocabulary: a list (id = position) or a ``word -> id`` dict whose ids
            are exactly ``0..len(vocab)-1``.
        oov : str, optional
            Rows for unknown words:

            - ``"zeros"``: zero vectors (default);
            - ``"mean"``: the mean of all these vectors;
            - ``"random"``: independent normal draws with the standard deviation of these
              vectors' values, reproducible with ``seed``;
            - any other string, e.g. ``"<unk>"``: the vector of that word in *these* vectors
              (a GloVe model trained with an ``<unk>`` token); every unknown word shares it.
        pad : str, optional
            A word of ``vocab`` (e.g. ``"<pad>"``) whose row is all zeros, whatever the other
            rows are; pass its id as ``padding_idx`` to ``from_pretrained``.
        seed : int, optional
            Seed for ``oov="random"``.
        dtype : numpy dtype, optional
            float32 by default (PyTorch's default).
        return_missing : bool, optional
            Also return the list of OOV words (``pad`` excluded), in id order.

        Returns
        -------
        numpy.ndarray, shape (len(vocab), vector_size)
            (and the OOV list if ``return_missing``). Wrap with ``torch.from_numpy``.

        Raises
        ------
        InvalidDictionaryError
            ``vocab`` has duplicate words, non-string words, or dict ids that are not ``0..n-1``.
        InvalidParameterError
            ``pad`` is not in ``vocab``, or a bad ``dtype``/``seed``.
        UnknownWordError
            ``oov`` names a row that these vectors do not have.

        Examples
        --------
        >>> import numpy as np
        >>> wv = WordVectors(["the", "cat"], np.array([[1., 2.], [3., 4.]]))
        >>> wv.embedding_matrix({"<pad>": 0, "cat": 1, "dog": 2}, oov="mean", pad="<pad>")
        array([[0., 0.],
               [3., 4.],
               [2., 3.]], dtype=float32)
        """
        words = self._caller_vocab(vocab)
        if not isinstance(oov, str):
            raise InvalidParameterError(
                f"oov must be 'zeros', 'mean', 'random' or the name of a row such as '<unk>', got {oov!r}"
            )
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise InvalidParameterError(f"dtype must be a floating-point type, got {dtype}")
        if pad is not None and pad not in set(words):
            raise InvalidParameterError(
                f"pad token {pad!r} is not in the vocabulary; add it (usually as id 0) or pass pad=None"
            )
        ours = np.fromiter((self.key_to_index.get(w, -1) for w in words), dtype=np.intp, count=len(words))
        missing = np.flatnonzero(ours < 0)
        if pad is not None:
            missing = missing[np.array([words[i] != pad for i in missing], dtype=bool)] if len(missing) else missing
        matrix = np.zeros((len(words), self.vector_size), dtype=dtype)
        known = ours >= 0
        matrix[known] = self._vectors[ours[known]]
        if len(missing):
            if oov == "zeros":
                pass
            elif oov == "mean":
                matrix[missing] = self._vectors.mean(axis=0) if len(self) else 0.0
            elif oov == "random":
                if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
                    raise InvalidParameterError(f"seed must be an integer or None, got {seed!r}")
                scale = float(self._vectors.std()) if len(self) else 1.0
                rng = np.random.default_rng(seed)
                matrix[missing] = rng.normal(0.0, scale, size=(len(missing), self.vector_size))
            else:
                if oov not in self.key_to_index:
                    raise UnknownWordError(
                        oov,
                        f"oov={oov!r} names a row these vectors do not have; use 'zeros', 'mean', 'random' "
                        "or a word that is in the vocabulary (e.g. the '<unk>' token the model was trained with)",
                    )
                matrix[missing] = self._vectors[self.key_to_index[oov]]
        if pad is not None:
            matrix[words.index(pad)] = 0.0
        logger.info(
            "embedding matrix for %d words: %d found, %d out of vocabulary (%s)",
            len(words), int(known.sum()), len(missing), oov,
        )
        if return_missing:
            return matrix, [words[i] for i in missing]
        return matrix

    @staticmethod
    def _caller_vocab(vocab):
        """Caller's vocabulary as a list of words in id order."""
        if hasattr(vocab, "items"):
            return inverse_dictionary(check_dictionary(vocab))
        if isinstance(vocab, (str, bytes)):
            raise InvalidDictionaryError("vocab must be a list of words or a dict word -> id, not a single string")
        words = list(vocab)
        seen = {}
        for pos, word in enumerate(words):
            if not isinstance(word, str):
                raise InvalidDictionaryError(f"vocab entries must be str; position {pos} holds {word!r}")
            first = seen.setdefault(word, pos)
            if first != pos:
                raise InvalidDictionaryError(
                    f"vocab lists {word!r} twice (positions {first} and {pos}); each word needs one id"
                )
        return words

    # ------------------------------------------------------------------ evaluation
    def evaluate_word_analogies(self, analogies="questions-words", restrict_vocab=30000, case_insensitive=True,
                                dummy4unknown=False, method="3cosadd"):
        """Analogy accuracy; see :func:`glovefast.evaluation.evaluate_word_analogies`."""
        return evaluation.evaluate_word_analogies(
            self, analogies, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
            dummy4unknown=dummy4unknown, method=method,
        )

    def evaluate_word_pairs(self, pairs="wordsim353", delimiter="\t", restrict_vocab=300000, case_insensitive=True,
                            dummy4unknown=False):
        """Correlation with human similarity judgements; see :func:`glovefast.evaluation.evaluate_word_pairs`."""
        return evaluation.evaluate_word_pairs(
            self, pairs, delimiter=delimiter, restrict_vocab=restrict_vocab,
            case_insensitive=case_insensitive, dummy4unknown=dummy4unknown,
        )


__all__ = ["WordVectors"]
