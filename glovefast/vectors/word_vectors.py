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
>>> from glovefast.vectors.word_vectors import WordVectors
>>> wv = WordVectors(["king", "queen", "man", "woman"], np.eye(4, 3, dtype=np.float32))
>>> len(wv), wv.vector_size, "king" in wv
(4, 3, True)
"""
import logging
import numbers
import warnings

import numpy as np

from glovefast._util.progress import plural
from glovefast._util.validation import check_dictionary, inverse_dictionary
from glovefast.errors import (
    DimensionMismatchError,
    FormatError,
    InvalidDictionaryError,
    InvalidMatrixError,
    InvalidParameterError,
    MissingExtraError,
    UnknownWordError,
)
from glovefast.io import kinds
from glovefast.io.bundle import ArraySpec, ListOf, Object, Scalar, Schema, load_npz_bundle, save_npz_bundle
from glovefast.io.formats import (check_name_fits_format, named_format, parse_text_vectors, read_word2vec_binary,
                                  write_text_vectors, write_word2vec_binary)
from glovefast.vectors.ranking import (
    SCORE_BLOCK_BYTES,
    check_finite_query,
    check_restrict,
    check_topn,
    top_indices,
    top_indices_rows,
    unit_rows,
)
from glovefast.vectors import evaluation

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
    try:  # optional dependency: only the gensim conversions need it
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


@kinds.register
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

    # ------------------------------------------------------------------ the rest of gensim's KeyedVectors
    # Same names, arguments, semantics and return types as gensim 4.4's KeyedVectors, computed with
    # matrix products over the cached unit vectors where gensim loops in Python. Where gensim
    # silently drops an unknown word or has a bug, these raise or do the right thing; each
    # docstring says where. Methods that change the vectors keep the unit-vector cache right.
    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        """Alias of :meth:`similar_by_key` (gensim's name for word keys)."""
        return self.similar_by_key(word, topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_key(self, key, topn=10, restrict_vocab=None):
        """Words closest to ``key``: ``most_similar(positive=[key], ...)``.

        Returns
        -------
        list of (str, float) or numpy.ndarray
            ``topn=None`` returns the similarity of every (restricted) word.
        """
        if not isinstance(key, str):
            raise InvalidParameterError(f"similar_by_key takes a word (str), got {type(key).__name__}: {key!r}; "
                                        "use similar_by_vector for a vector")
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    def n_similarity(self, ws1, ws2):
        """Cosine similarity of the means of two lists of words (raw vectors averaged, as gensim does).

        Unlike gensim 4.4, which silently leaves unknown words out of the means (and returns 0.0
        when none is known), an unknown word raises :class:`~glovefast.errors.UnknownWordError`,
        as gensim 3 did and as :meth:`similarity` does.

        Returns
        -------
        float

        Raises
        ------
        InvalidParameterError
            A list is empty (gensim raises ``ZeroDivisionError``).
        UnknownWordError
        """
        lists = []
        for ws in (ws1, ws2):
            if isinstance(ws, str):
                raise InvalidParameterError("n_similarity compares two lists of words, got a single string")
            ws = list(ws)
            if not ws:
                raise InvalidParameterError("n_similarity needs two non-empty lists of words")
            lists.append(self._vectors[self._indices(ws)].mean(axis=0))
        means = unit_rows(np.stack(lists))
        return float(means[0] @ means[1])

    def most_similar_to_given(self, key1, keys_list):
        """The word of ``keys_list`` most similar to ``key1`` (the first one on a tie), in one product.

        Raises
        ------
        InvalidParameterError
            ``keys_list`` is empty.
        UnknownWordError
        """
        if isinstance(keys_list, str):
            raise InvalidParameterError("keys_list must be a list of words, not a single string")
        keys_list = list(keys_list)
        if not keys_list:
            raise InvalidParameterError("most_similar_to_given needs a non-empty keys_list")
        unit = self.get_normed_vectors()
        scores = unit[self._indices(keys_list)] @ unit[self.get_index(key1)]
        return keys_list[int(np.argmax(scores))]

    def _similarities_to(self, key):
        """Cosine similarity of every word to ``key`` (one matrix-vector product)."""
        unit = self.get_normed_vectors()
        return unit @ unit[self.get_index(key)]

    def closer_than(self, key1, key2):
        """Words closer (cosine) to ``key1`` than ``key2`` is, in id order, ``key1`` itself left out.

        Returns
        -------
        list of str
        """
        sims = self._similarities_to(key1)
        own = self.get_index(key1)
        closer = np.flatnonzero(sims > sims[self.get_index(key2)])
        return [self.index_to_key[i] for i in closer.tolist() if i != own]

    def words_closer_than(self, word1, word2):
        """Deprecated alias of :meth:`closer_than` (as in gensim 4)."""
        warnings.warn("words_closer_than is deprecated: use closer_than", DeprecationWarning, stacklevel=2)
        return self.closer_than(word1, word2)

    def rank(self, key1, key2):
        """Rank of ``key2`` among all words by closeness to ``key1``: 1 + ``len(closer_than(key1, key2))``.

        Returns
        -------
        int
        """
        sims = self._similarities_to(key1)
        own = self.get_index(key1)
        closer = sims > sims[self.get_index(key2)]
        return int(closer.sum()) - int(closer[own]) + 1

    def relative_cosine_similarity(self, wa, wb, topn=10):
        """Relative cosine similarity of ``wb`` to ``wa`` (Leeuwenberg et al., 2016, eq. 1).

        ``similarity(wa, wb)`` divided by the sum of the similarities of ``wa``'s ``topn``
        nearest neighbours; above ``1 / topn`` (0.10 for ``topn=10``), ``wb`` is closer to
        ``wa`` than an average neighbour is.

        Returns
        -------
        float

        Raises
        ------
        InvalidParameterError
            ``topn`` leaves no neighbour (e.g. 0, or a one-word vocabulary).
        """
        if check_topn(topn) is None:
            raise InvalidParameterError("relative_cosine_similarity needs a number of neighbours, topn=None is not one")
        sims = self.similar_by_word(wa, topn=topn)
        if not sims:
            raise InvalidParameterError("cannot compute the relative cosine similarity without any neighbour: "
                                        f"topn={topn!r} and {len(self)} words")
        return self.similarity(wa, wb) / sum(sim for _, sim in sims)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine similarity of one vector to each row of a matrix.

        Parameters
        ----------
        vector_1 : array_like, shape (dim,)
        vectors_all : array_like, shape (n, dim)

        Returns
        -------
        numpy.ndarray, shape (n,)
            A zero vector has similarity 0 to everything (gensim returns NaN, with a
            division-by-zero warning).
        """
        vector_1, vectors_all = np.asarray(vector_1), np.asarray(vectors_all)
        if vector_1.ndim != 1 or vectors_all.ndim != 2 or vectors_all.shape[1] != vector_1.shape[0]:
            raise InvalidParameterError(
                f"cosine_similarities takes a vector (dim,) and a matrix (n, dim), got shapes {vector_1.shape} "
                f"and {vectors_all.shape}")
        return unit_rows(vectors_all) @ unit_rows(vector_1)

    def rank_by_centrality(self, words, use_norm=True):
        """The words ranked by similarity to their centroid, most central first.

        The centroid is the normalised mean of the words' vectors (unit vectors with
        ``use_norm``, raw ones otherwise); each word's score is its (unit or raw) vector's dot
        product with it. Unlike gensim, which logs and leaves unknown words out, an unknown word
        raises :class:`~glovefast.errors.UnknownWordError` (as :meth:`doesnt_match` does).

        Returns
        -------
        list of (float, str)
            Sorted as gensim sorts them: by score, then by word, descending.
        """
        if isinstance(words, str):
            raise InvalidParameterError("rank_by_centrality needs a list of words, not a single string")
        words = list(words)
        if not words:
            raise InvalidParameterError("cannot rank an empty list of words")
        rows = (self.get_normed_vectors() if use_norm else self._vectors)[self._indices(words)]
        scores = rows @ unit_rows(rows.mean(axis=0))
        return sorted(zip(scores.tolist(), words), reverse=True)

    def has_index_for(self, key):
        """Whether ``key`` is a word of these vectors (gensim also accepts integer positions as keys;
        glovefast's keys are words only: use ``index_to_key[i]``)."""
        return key in self

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False, ignore_missing=True):
        """Weighted mean of the vectors of words (or of explicit vectors), as gensim computes it.

        ``sum(w_i * v_i) / sum(|w_i|)`` over the known terms, where ``v_i`` is a word's unit
        vector with ``pre_normalize`` (its raw vector otherwise) or an explicit vector as given.

        Parameters
        ----------
        keys : list of (str or numpy.ndarray), or a 2-D array of vectors
        weights : list or numpy.ndarray of float, optional
            One per key (default: all 1).
        pre_normalize : bool, optional
            Average the words' unit vectors (default) rather than their raw vectors.
        post_normalize : bool, optional
            Return the mean scaled to unit length (a zero mean stays zero).
        ignore_missing : bool, optional
            Leave unknown words out (gensim's default); False raises for them.

        Returns
        -------
        numpy.ndarray, shape (vector_size,)
            In the vectors' dtype (gensim 4.4 returns float32 after ``post_normalize`` even for
            float64 vectors).

        Raises
        ------
        InvalidParameterError
            No keys, or ``weights`` of another length (both ``ValueError``, as in gensim).
        UnknownWordError
            An unknown word when ``ignore_missing`` is False, or no known word at all (gensim
            returns a zero vector then, which later reads as "similar to nothing").
        """
        if isinstance(keys, str) or (isinstance(keys, np.ndarray) and keys.ndim == 1 and keys.dtype.kind in "fiu"):
            keys = [keys]
        keys = list(keys)
        if not keys:
            raise InvalidParameterError("cannot compute a mean of no keys")
        if weights is None:
            weights = np.ones(len(keys))
        weights = np.asarray(weights, dtype=np.float64).reshape(-1)
        if weights.shape[0] != len(keys):
            raise InvalidParameterError(f"{len(keys)} keys but {weights.shape[0]} weights; give one weight per key")
        if not np.isfinite(weights).all():
            raise InvalidParameterError("weights must be finite")
        ids, id_weights, explicit, missing = [], [], [], []
        for key, weight in zip(keys, weights.tolist()):
            if isinstance(key, str):
                idx = self.key_to_index.get(key)
                if idx is None:
                    if not ignore_missing:
                        raise UnknownWordError(key)
                    missing.append(key)
                    continue
                ids.append(idx)
                id_weights.append(weight)
            else:
                explicit.append((self._query_vector(key)[0], weight))
        if not ids and not explicit:
            raise UnknownWordError(
                missing[0], f"none of the {len(keys)} words is in the vocabulary (the first: {missing[0]!r}); "
                "their mean is undefined")
        if missing:
            logger.info("get_mean_vector: left out %d unknown word(s), e.g. %r", len(missing), missing[0])
        dtype = self._vectors.dtype
        source = self.get_normed_vectors() if pre_normalize else self._vectors
        mean = np.asarray(id_weights, dtype=dtype) @ source[np.asarray(ids, dtype=np.intp)] if ids else \
            np.zeros(self.vector_size, dtype=dtype)
        for vec, weight in explicit:
            mean += dtype.type(weight) * vec
        total = sum(abs(w) for w in id_weights) + sum(abs(w) for _, w in explicit)
        if total > 0:
            mean /= dtype.type(total)
        return unit_rows(mean) if post_normalize else mean

    # --- changing the vectors
    def _writable_matrix(self):
        """The matrix, made writable in place: memory-mapped (read-only) vectors are copied into
        memory first, so an edit never reaches the file they were loaded from."""
        if not self._vectors.flags.writeable:
            logger.info("copying %d x %d read-only (memory-mapped) vectors into memory to change them; the file "
                        "is not modified", *self._vectors.shape)
            self._vectors = np.array(self._vectors, order="C")
        return self._vectors

    def _new_rows(self, keys, weights):
        """(keys as a list, weights as a validated (len(keys), vector_size) array in the vectors' dtype)."""
        if isinstance(keys, str):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        keys = list(keys)
        try:
            rows = np.asarray(weights)
        except (TypeError, ValueError) as exc:
            raise InvalidMatrixError(f"the new vectors must be a numeric array, could not convert: {exc}") from None
        if rows.ndim == 1 and len(keys) == 1:
            rows = rows.reshape(1, -1)
        if rows.ndim != 2 or rows.shape != (len(keys), self.vector_size):
            raise InvalidMatrixError(
                f"{len(keys)} key(s) need a ({len(keys)}, {self.vector_size}) array of vectors, got shape {rows.shape}")
        if rows.dtype.kind not in "fiu":
            raise InvalidMatrixError(f"the new vectors must hold real numbers, got dtype {rows.dtype}")
        with np.errstate(over="ignore"):  # a value too large for float32 becomes inf, reported next
            rows = rows.astype(self._vectors.dtype)
        for pos, key in enumerate(keys):
            if not isinstance(key, str) or not key:
                raise InvalidDictionaryError(f"keys must be non-empty strings; position {pos} holds {key!r}")
        self._check_finite(rows, keys)
        return keys, rows

    def _update_cache_rows(self, ids):
        """Recompute the cached unit vectors and norms of the rows ``ids`` (after an in-place edit)."""
        if self._unit is not None and len(ids):
            self._unit[ids] = unit_rows(self._vectors[ids])
            self._norms[ids] = np.linalg.norm(self._vectors[ids], axis=1)

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Add words and their vectors; a word already present keeps its vector unless ``replace``.

        Parameters
        ----------
        keys : str or list of str
        weights : array_like, shape (len(keys), vector_size), or (vector_size,) for one key
            Converted to the vectors' dtype.
        extras : dict, optional
            ``{"count": counts}``, one per key: the words' corpus counts (the only per-word
            attribute glovefast keeps; see :meth:`get_vecattr`). Without it, new words count 0.
        replace : bool, optional
            Overwrite the vectors (and counts given in ``extras``) of words already present.

        Notes
        -----
        New rows are appended: the matrix is copied once per call (add many words in one call
        rather than one by one). Memory-mapped vectors are copied into memory; the file is not
        changed. The cached unit vectors are kept up to date. Unlike gensim 4.4, whose
        ``add_vectors`` leaves its cached norms stale (later queries then score with the wrong
        norms or fail), drops ``extras`` and breaks on a key repeated within one call, glovefast
        refuses repeated keys and keeps counts aligned.

        Raises
        ------
        InvalidDictionaryError
            A key is not a non-empty ``str``, or is repeated in ``keys``.
        InvalidMatrixError
            ``weights`` has the wrong shape, or holds NaN/inf (after conversion to the dtype).
        """
        keys, rows = self._new_rows(keys, weights)
        if len(set(keys)) != len(keys):
            seen = set()
            dup = next(k for k in keys if k in seen or seen.add(k))
            raise InvalidDictionaryError(f"key {dup!r} appears twice in one add_vectors call; give each word once")
        counts = None
        if extras:
            unknown = set(extras) - {"count"}
            if unknown:
                raise InvalidParameterError(
                    f"extras may only hold 'count' (the per-word attribute glovefast keeps), got {sorted(unknown)}")
            counts = self._check_counts(extras["count"], len(keys))
        present = np.fromiter((self.key_to_index.get(k, -1) for k in keys), dtype=np.intp, count=len(keys))
        new = np.flatnonzero(present < 0)
        old = np.flatnonzero(present >= 0)
        if len(old) and not replace:
            logger.info("add_vectors: %d word(s) already present kept their vectors (e.g. %r); pass replace=True to "
                        "overwrite them", len(old), keys[old[0]])
        if len(old) and replace:
            target = present[old]
            self._writable_matrix()[target] = rows[old]
            self._update_cache_rows(target)
            if counts is not None:
                self._counts_for_edit()[target] = counts[old]
        if len(new):
            n = len(self.index_to_key)
            added = [keys[i] for i in new.tolist()]
            self._vectors = np.concatenate([self._vectors, rows[new]])
            if self._unit is not None:
                self._unit = np.concatenate([self._unit, unit_rows(rows[new])])
                self._norms = np.concatenate([self._norms, np.linalg.norm(rows[new], axis=1)])
            if self.counts is not None or counts is not None:
                self.counts = np.concatenate([self._counts_for_edit(),
                                              counts[new] if counts is not None else np.zeros(len(new), np.int64)])
            self.index_to_key.extend(added)
            self.key_to_index.update(zip(added, range(n, n + len(added))))

    def _counts_for_edit(self):
        """The counts, zeros when none were known (gensim allocates an attribute the same way)."""
        if self.counts is None:
            self.counts = np.zeros(len(self.index_to_key), dtype=np.int64)
        return self.counts

    def add_vector(self, key, vector):
        """Add one word and its vector; returns its id (``index_to_key[id] == key``).

        A word already present keeps its vector and its id is returned (gensim 4.4 returns an
        id past the end then). Each call copies the matrix: add many words with
        :meth:`add_vectors`.

        Returns
        -------
        int
        """
        if isinstance(key, str) and key in self.key_to_index:
            logger.info("add_vector: %r is already present and keeps its vector; use wv[key] = vector to replace it",
                        key)
            return self.key_to_index[key]
        self.add_vectors([key], np.asarray(vector).reshape(1, -1) if np.ndim(vector) == 1 else vector)
        return self.key_to_index[key]

    def __setitem__(self, keys, weights):
        """``wv["word"] = vector`` (or ``wv[["a", "b"]] = matrix``): add words, or replace the vectors
        of words already present (``add_vectors(..., replace=True)``)."""
        if isinstance(keys, tuple):
            keys = list(keys)
        if not isinstance(keys, (str, list)):
            raise InvalidParameterError(f"assign to a word (str) or a list of words, got {type(keys).__name__}")
        self.add_vectors(keys, weights, replace=True)

    def get_vecattr(self, key, attr):
        """A per-word attribute; glovefast keeps one, ``"count"`` (the word's corpus count).

        Returns
        -------
        int

        Raises
        ------
        InvalidParameterError
            Another attribute, or counts unknown for these vectors (e.g. read from a word2vec
            file, which does not store them).
        UnknownWordError
        """
        self._check_vecattr(attr)
        idx = self.get_index(key)
        if self.counts is None:
            raise InvalidParameterError(
                "these vectors carry no word counts (their file format does not store them); set them with "
                "set_vecattr(word, 'count', n) or WordVectors(..., counts=...)")
        return int(self.counts[idx])

    def set_vecattr(self, key, attr, val):
        """Set a word's ``"count"``; when no counts were known, the other words get 0 (as in gensim)."""
        self._check_vecattr(attr)
        idx = self.get_index(key)
        if isinstance(val, bool) or not isinstance(val, numbers.Integral) or val < 0:
            raise InvalidParameterError(f"a count must be a non-negative integer, got {val!r}")
        self._counts_for_edit()[idx] = int(val)

    @staticmethod
    def _check_vecattr(attr):
        if attr != "count":
            raise InvalidParameterError(
                f"glovefast keeps one per-word attribute, 'count'; got {attr!r}. Keep other per-word data in an "
                "array indexed like index_to_key")

    def sort_by_descending_frequency(self):
        """Renumber the words by descending count; words of equal count keep their order.

        Vectors, counts and cached unit vectors move with their words. gensim 4.4 reverses the
        order of words of equal count (so sorting a sorted vocabulary scrambles its ties);
        glovefast's sort is stable.

        Raises
        ------
        InvalidParameterError
            No counts are known (gensim: ``KeyError: 'count'``).
        """
        if not len(self):
            return
        if self.counts is None:
            raise InvalidParameterError("no word counts to sort by: these vectors were built or read without them "
                                        "(set them with set_vecattr or WordVectors(..., counts=...))")
        order = np.argsort(-self.counts, kind="stable")
        if (order == np.arange(len(order))).all():
            return
        self._vectors = self._vectors[order]
        if self._unit is not None:
            self._unit, self._norms = self._unit[order], self._norms[order]
        self.counts = self.counts[order]
        self.index_to_key = [self.index_to_key[i] for i in order.tolist()]
        self.key_to_index = dict(zip(self.index_to_key, range(len(self.index_to_key))))

    def unit_normalize_all(self):
        """Scale every vector to unit length, in place (destructive: the lengths are lost).

        Saves the memory of a separate unit-vector cache. All-zero vectors stay zero (gensim
        turns them into NaN). Memory-mapped vectors are copied into memory first.
        """
        matrix = self._writable_matrix()
        norms = np.linalg.norm(matrix, axis=1)
        nonzero = norms > 0
        matrix[nonzero] /= norms[nonzero, None].astype(matrix.dtype)
        self._unit = None
        self._norms = None

    def resize_vectors(self, seed=0):
        """Make the vectors (and counts) match :attr:`index_to_key` after it was edited by hand.

        Rows of words past the old end get random values, uniform in ``[-1, 1) / vector_size``
        as gensim draws them (from ``numpy.random.default_rng(seed)``; the values differ from
        gensim's, which draws a whole new matrix); rows past the new end are dropped. The word
        index :attr:`key_to_index` is rebuilt from ``index_to_key`` and checked.

        Raises
        ------
        InvalidDictionaryError
            ``index_to_key`` holds an empty, non-string or repeated word.
        """
        keys = self.index_to_key
        checked = WordVectors(keys, np.zeros((len(keys), 1), dtype=np.float32))  # raises, naming a bad key
        self.key_to_index = checked.key_to_index
        n_old, n_new = len(self._vectors), len(keys)
        if n_new != n_old:
            if n_new < n_old:
                self._vectors = self._vectors[:n_new].copy()
            else:
                rng = np.random.default_rng(seed)
                extra = (rng.random((n_new - n_old, self.vector_size)) * 2.0 - 1.0) / self.vector_size
                self._vectors = np.concatenate([self._vectors, extra.astype(self._vectors.dtype)])
            if self.counts is not None:
                self.counts = np.concatenate([self.counts, np.zeros(max(0, n_new - n_old), np.int64)])[:n_new]
        self._unit = None
        self._norms = None

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """New WordVectors holding the given words that are known, once each, in the given order.

        Parameters
        ----------
        keys : iterable of str
            Unknown words are skipped (that is the method's purpose in gensim); their number is logged.
        allow_inference : bool, optional
            gensim's fastText vectors invent vectors for unknown words; these never do, so this
            changes nothing (as for gensim's plain KeyedVectors).
        copy_vecattrs : bool, optional
            Copy the words' counts.

        Returns
        -------
        WordVectors
        """
        chosen, seen, missing = [], set(), 0
        for key in keys:
            if key in seen:
                continue
            seen.add(key)
            if key in self:
                chosen.append(key)
            else:
                missing += 1
        if missing:
            logger.info("vectors_for_all: %d of %d distinct keys are not in the vocabulary and were skipped", missing,
                        len(seen))
        ids = np.fromiter((self.key_to_index[k] for k in chosen), dtype=np.intp, count=len(chosen))
        counts = self.counts[ids] if copy_vecattrs and self.counts is not None else None
        return WordVectors.from_checked(chosen, self._vectors[ids], counts)

    def intersect_word2vec_format(self, fname, lockf=None, binary=False, encoding="utf8", unicode_errors="strict"):
        """Take the vectors of a word2vec file for the words both have; no word is added.

        Parameters
        ----------
        fname : str or os.PathLike
            word2vec text or binary (``binary=True``), optionally compressed; read by
            :meth:`load_word2vec_format`.
        lockf : None
            gensim's lock factor for further training. WordVectors are not trained, and
            gensim 4.4's own method fails on plain KeyedVectors for want of one
            (``AttributeError: vectors_lockf``), and on binary files under numpy 2 (it reads
            them with ``numpy.fromstring``, whose binary mode numpy 2 removed); only None is
            accepted.
        binary : bool, optional
        encoding : {"utf8"}, optional
        unicode_errors : {"strict", "replace", "ignore"}, optional

        Returns
        -------
        int
            How many words took the file's vector (gensim returns None and logs it).

        Raises
        ------
        DimensionMismatchError
            The file's vectors have another dimension.
        FormatError
            As :meth:`load_word2vec_format`.

        Notes
        -----
        The file is read whole (in C, in parallel), not streamed. Of a word repeated in the
        file, the first vector is taken (gensim's loop takes the last).
        """
        if lockf is not None:
            raise InvalidParameterError(
                "lockf is a training lock of gensim's Word2Vec; WordVectors are not trained, so pass lockf=None")
        if str(encoding).lower().replace("-", "").replace("_", "") != "utf8":
            raise InvalidParameterError(f"word2vec files are read as UTF-8; encoding={encoding!r} is not supported")
        other = WordVectors.load_word2vec_format(fname, binary=binary, dtype=self._vectors.dtype,
                                                 unicode_errors=unicode_errors)
        if other.vector_size != self.vector_size:
            raise DimensionMismatchError(
                f"{fname} holds vectors of dimension {other.vector_size}, these have {self.vector_size}")
        pairs = [(i, other.key_to_index[k]) for i, k in enumerate(self.index_to_key) if k in other.key_to_index]
        if pairs:
            mine, theirs = (np.asarray(x, dtype=np.intp) for x in zip(*pairs))
            self._writable_matrix()[mine] = other.vectors[theirs]
            self._update_cache_rows(mine)
        logger.info("merged %d vectors from %s into %d x %d vectors", len(pairs), fname, *self._vectors.shape)
        return len(pairs)

    def wmdistance(self, document1, document2, norm=True):
        """Word Mover's Distance between two documents (Kusner et al., 2015), solved by POT as in gensim.

        Each document is the normalised bag of its known words; the cost of moving mass between
        two words is the Euclidean distance of their vectors (unit vectors with ``norm``).

        Parameters
        ----------
        document1, document2 : list of str
            Unknown words are left out (as in gensim; their number is logged).
        norm : bool, optional

        Returns
        -------
        float
            0.0 for documents of the same words in the same proportions; ``inf`` (with a logged
            warning) when a document has no known word. gensim 4.4 also returns ``inf`` when all
            the words' vectors coincide (an all-zero cost matrix); glovefast returns 0.0 there.

        Raises
        ------
        MissingExtraError
            POT (the ``ot`` module) is not installed: ``pip install "glovefast[wmd]"``.
        """
        try:  # optional dependency (glovefast[wmd]): only wmdistance needs it
            from ot import emd2
        except ImportError as exc:
            raise MissingExtraError(
                f"wmdistance needs the POT package (Python Optimal Transport), which is not importable ({exc}); "
                "install it with: pip install \"glovefast[wmd]\"", extra="wmd") from None
        bags = []
        for name, doc in (("document1", document1), ("document2", document2)):
            if isinstance(doc, str):
                raise InvalidParameterError(f"{name} must be a list of words (a tokenised document), not a string")
            doc = list(doc)
            ids = np.fromiter((self.key_to_index.get(w, -1) if isinstance(w, str) else -1 for w in doc),
                              dtype=np.intp, count=len(doc))
            known = ids[ids >= 0]
            if len(known) < len(doc):
                logger.info("wmdistance: left out %d unknown word(s) of %s", len(doc) - len(known), name)
            words, counts = np.unique(known, return_counts=True)
            bags.append((words, counts / max(len(known), 1)))
        (ids1, mass1), (ids2, mass2) = bags
        if not len(ids1) or not len(ids2):
            logger.warning("wmdistance: a document has no word in the vocabulary; the distance is infinite")
            return float("inf")
        source = self.get_normed_vectors() if norm else self._vectors
        from scipy.spatial.distance import cdist  # about a second to import; only wmdistance needs it

        cost = cdist(source[ids1].astype(np.float64), source[ids2].astype(np.float64))
        if not cost.any():
            return 0.0
        return float(emd2(mass1, mass2, cost))

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
            A word holds a lone surrogate (not encodable as UTF-8); the message names it. The name
            says another format (``x.txt``, ``x.vec``, ``x.bin``, ``x.npy``, ``x.zip``, ``x.pkl``)
            or compression (``x.npz.gz``); nothing is written.
        """
        check_name_fits_format(path, "npz", how="write text with save_word2vec_format or save_glove_format")
        arrays = {"vectors": self._vectors}
        if self.counts is not None:
            arrays["counts"] = self.counts
        logger.info("writing %s of dimension %d to %s (npz)", plural(len(self), "vector"), self.vector_size, path)
        save_npz_bundle(path, self.NPZ_KIND, arrays, {"keys": self.index_to_key}, compress=compress)

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
                wv = cls.from_checked(meta["keys"], arrays["vectors"], arrays.get("counts"))
                if verify:  # the digest has just read every page: scanning them too costs little more
                    cls._check_finite(wv._vectors, wv.index_to_key)
                return wv
            return cls(meta["keys"], arrays["vectors"], counts=arrays.get("counts"))
        except (InvalidDictionaryError, InvalidMatrixError, InvalidParameterError) as exc:
            raise FormatError(f"{path}: inconsistent content ({exc})") from None

    @classmethod
    def read_word_vectors(cls, path, mmap=False):
        """The vectors of a :meth:`save` file (what :func:`glovefast.load_vectors` returns for it)."""
        return cls.load(path, mmap=mmap)

    @classmethod
    def from_checked(cls, keys, vectors, counts=None, key_to_index=None):
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
        and the original C tools. Paths ending in ``.gz``/``.bz2``/``.xz``/``.zst`` are compressed.
        Unlike gensim, a name that says another format is refused rather than written to:
        ``x.npz`` (glovefast's native format, :meth:`save`), ``x.npy``, ``x.zip``, ``x.pkl``, and
        ``x.bin`` for text or ``x.txt``/``x.vec`` for binary. Any other name gets the format asked
        for. The file is replaced atomically, so saving over the file the vectors were loaded
        from (even with ``mmap=True``) is safe.

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
        InvalidParameterError
            The name says another format (see above; the message names one that fits), or
            ``.zst`` without the ``zstandard`` module. Nothing is written.
        """
        named = named_format(path)
        check_name_fits_format(path, "word2vec-binary" if binary else "word2vec",
                               how=f"pass binary={not binary}" if named and ("word2vec" if binary else "word2vec-binary")
                               in named[1] else "use save() for glovefast's own format (.npz)")
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
            gzip, bzip2, xz and zstd files are decompressed on the fly.
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
            :func:`glovefast.io.formats.read_text_vectors`).

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
            return cls.from_checked(keys, vectors)  # the reader checked finiteness and dropped repeated words
        keys, vectors, index = parse_text_vectors(path, True, limit, dtype, unicode_errors, no_threads)
        return cls.from_checked(keys, vectors, key_to_index=index)

    def save_glove_format(self, path, precision=None):
        """Write Stanford GloVe text: ``word v1 v2 ...`` lines, no header.

        Readable by :meth:`load_glove_format`, glove_python's ``Glove.load_stanford`` and
        gensim's ``load_word2vec_format(path, no_header=True)``.

        Raises
        ------
        FormatError
            A word is empty or contains whitespace (nothing is written).
        InvalidParameterError
            The name says another format (``x.npz``, ``x.bin``, ``x.npy``, ``x.zip``, ``x.pkl``), as
            in :meth:`save_word2vec_format`; nothing is written.
        """
        check_name_fits_format(path, "glove", how="use save() for glovefast's own format (.npz)")
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
        keys, vectors, index = parse_text_vectors(path, False, limit, dtype, unicode_errors, no_threads)
        return cls.from_checked(keys, vectors, key_to_index=index)  # finite values, no repeated words

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
        """Analogy accuracy; see :func:`glovefast.vectors.evaluation.evaluate_word_analogies`."""
        return evaluation.evaluate_word_analogies(
            self, analogies, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
            dummy4unknown=dummy4unknown, method=method,
        )

    def evaluate_word_pairs(self, pairs="wordsim353", delimiter="\t", restrict_vocab=300000, case_insensitive=True,
                            dummy4unknown=False):
        """Correlation with human similarity judgements; see :func:`glovefast.vectors.evaluation.evaluate_word_pairs`."""
        return evaluation.evaluate_word_pairs(
            self, pairs, delimiter=delimiter, restrict_vocab=restrict_vocab,
            case_insensitive=case_insensitive, dummy4unknown=dummy4unknown,
        )


__all__ = ["WordVectors"]
