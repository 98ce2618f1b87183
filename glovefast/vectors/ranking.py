"""Ranking words by cosine similarity: the helpers every nearest-neighbour query shares.

:class:`~glovefast.vectors.word_vectors.WordVectors` queries, analogy evaluation
(:mod:`glovefast.vectors.evaluation`) and paragraph neighbours (:mod:`glovefast.vectors.paragraph`) all score
candidates as dot products of unit vectors and keep the best ``k`` with ``argpartition``; they
check ``topn`` and ``restrict_vocab`` the same way. The helpers live here, below all three, so
that :mod:`glovefast.vectors.word_vectors` can import :mod:`glovefast.vectors.evaluation` (for its ``evaluate_*``
methods) and evaluation never needs to import vectors.
"""
import numbers

import numpy as np

from glovefast.errors import InvalidParameterError

#: Bound on a (queries x vocabulary) score block, in bytes, so a batch of queries over a
#: 400k-word vocabulary does not allocate gigabytes at once.
SCORE_BLOCK_BYTES = 64 * 1024 * 1024


def check_restrict(restrict_vocab, n):
    """Number of leading rows a query may return: ``restrict_vocab`` clipped to ``n``."""
    if restrict_vocab is None:
        return n
    if isinstance(restrict_vocab, bool) or not isinstance(restrict_vocab, numbers.Integral):
        raise InvalidParameterError(f"restrict_vocab must be a positive integer or None, got {restrict_vocab!r}")
    if restrict_vocab < 1:
        raise InvalidParameterError(f"restrict_vocab must be >= 1, got {restrict_vocab}")
    return min(int(restrict_vocab), n)


def check_topn(topn):
    """``topn`` as an int, or None (the query then returns every score, as gensim does); a non-integer is refused."""
    if topn is None:
        return None
    if isinstance(topn, bool) or not isinstance(topn, numbers.Integral):
        raise InvalidParameterError(f"topn must be an integer or None, got {topn!r}")
    return int(topn)


def check_finite_query(arr):
    """A NaN in a query vector scored every word 0.0 and inf gave NaN scores: refuse both."""
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))
        which = "the query vector" if arr.ndim == 1 else f"query vector {int(bad[0][0])}"
        raise InvalidParameterError(
            f"{which} holds {len(bad)} NaN or infinite value(s) (the first at index {int(bad[0][-1])}); "
            "similarities to it are undefined. Check how it was computed"
        )


def unit_rows(matrix):
    """Rows scaled to unit L2 norm; all-zero rows stay zero (their similarity to anything is 0)."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(norms > 0, matrix / np.where(norms > 0, norms, 1), 0)
    return unit.astype(matrix.dtype, copy=False)


def top_indices(scores, k):
    """Indices of the ``k`` largest entries of 1-D ``scores``, best first."""
    n = scores.shape[0]
    if k >= n:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


def top_indices_rows(scores, k):
    """Per-row indices of the ``k`` largest entries of 2-D ``scores``, best first."""
    n = scores.shape[1]
    k = min(k, n)
    if k == n:
        return np.argsort(-scores, axis=1, kind="stable")
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


__all__ = ["SCORE_BLOCK_BYTES", "check_finite_query", "check_restrict", "check_topn", "top_indices", "top_indices_rows",
           "unit_rows"]
