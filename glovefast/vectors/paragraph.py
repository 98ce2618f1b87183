"""Paragraph vectors from a trained GloVe model, as glove_python's ``transform_paragraph``.

glove_python fits a vector ``p`` for a paragraph by Adagrad SGD against the *fixed* word
vectors and biases: every distinct word ``w`` of the paragraph is treated as a cooccurrence of
``p`` with ``w`` of strength ``count(w) * max_count / 10`` and ``p`` is moved to reduce
``weight * (p . w + b_w - log strength)^2``. Words the paragraph repeats, and words with small
biases (rarer words), pull hardest. The result is close to a weighted average of the paragraph's
word vectors.

glove_python's version crashes on Python 3 (it builds arrays from ``dict.keys()``) and depends
on the global random state. This one is numpy-only, works on Python 3, and is deterministic:
the visiting order is shuffled once with the model's integer ``random_state`` (0 if it has
none), as glove_python shuffles once with its ``random_state``.

Both functions take any object with glove_python's attributes: ``word_vectors``,
``word_biases``, ``dictionary``, ``learning_rate``, ``max_count``, ``alpha`` (and optionally
``random_state``, ``inverse_dictionary``, ``wv``).
"""
import logging
import numbers

import numpy as np

from glovefast.errors import (
    CorpusFormatError,
    InvalidParameterError,
    NoDictionaryError,
    NotFittedError,
    UnknownWordError,
)
from glovefast.vectors.ranking import top_indices, unit_rows
from glovefast.vectors.word_vectors import WordVectors

logger = logging.getLogger(__name__)


def _check_model(model):
    if getattr(model, "word_vectors", None) is None:
        raise NotFittedError("the model has no word vectors; call fit() (or load a model) before transforming paragraphs")
    if getattr(model, "word_biases", None) is None:
        raise NotFittedError("the model has no word biases; transform_paragraph needs a fitted model")
    if getattr(model, "dictionary", None) is None:
        raise NoDictionaryError("transforming paragraphs needs a dictionary; call add_dictionary(corpus.dictionary) first")


def _seed(model):
    seed = getattr(model, "random_state", None)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return int(seed) % (2 ** 32)
    return 0


def _paragraph_counts(model, paragraph, ignore_missing):
    """Distinct word ids of the paragraph, in first-occurrence order, and their occurrence counts."""
    if isinstance(paragraph, (str, bytes)):
        raise CorpusFormatError(
            "paragraph must be a list of tokens, not a string; split it first, e.g. text.lower().split()"
        )
    counts = {}
    n_tokens = 0
    for token in paragraph:
        n_tokens += 1
        idx = model.dictionary.get(token)
        if idx is None:
            if not ignore_missing:
                raise UnknownWordError(
                    token,
                    f"word {token!r} is not in the vocabulary; pass ignore_missing=True to skip unknown words",
                )
            continue
        counts[idx] = counts.get(idx, 0) + 1
    if not counts:
        raise InvalidParameterError(
            f"the paragraph has no word in the vocabulary ({n_tokens} tokens); nothing to build a vector from"
        )
    ids = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
    occurrences = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    return ids, occurrences


def transform_paragraph(model, paragraph, epochs=50, ignore_missing=False):
    """Vector of a tokenised paragraph in the model's word-vector space.

    Parameters
    ----------
    model : Glove
        Fitted, with a dictionary (see module docstring for the attributes used).
    paragraph : iterable of str
        Tokens, tokenised like the training corpus.
    epochs : int, optional
        Passes of Adagrad over the paragraph's distinct words (glove_python's default 50);
        0 returns the starting point, the mean of the paragraph's distinct word vectors.
    ignore_missing : bool, optional
        Skip unknown tokens instead of raising.

    Returns
    -------
    numpy.ndarray of float64, shape (no_components,)

    Raises
    ------
    UnknownWordError
        A token is not in the vocabulary and ``ignore_missing`` is False.
    InvalidParameterError
        No token of the paragraph is in the vocabulary, or ``epochs`` is invalid.
    CorpusFormatError
        ``paragraph`` is a string rather than a list of tokens.
    NotFittedError, NoDictionaryError
        The model is not fitted or has no dictionary.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise InvalidParameterError(f"epochs must be a non-negative integer, got {epochs!r}")
    _check_model(model)
    ids, occurrences = _paragraph_counts(model, paragraph, ignore_missing)

    max_count = float(model.max_count)
    alpha = float(model.alpha)
    learning_rate = float(model.learning_rate)
    strength = occurrences * (max_count / 10.0)
    # glove_python weighs by max(1, x / x_max) ** alpha -- max, not GloVe's min -- so a word
    # seen more than 10 times pulls harder; kept so vectors match glove_python's.
    weights = np.maximum(1.0, strength / max_count) ** alpha
    targets = np.log(strength)
    vectors = np.asarray(model.word_vectors, dtype=np.float64)[ids]
    biases = np.asarray(model.word_biases, dtype=np.float64)[ids]

    order = np.arange(len(ids))
    np.random.RandomState(_seed(model)).shuffle(order)

    paragraph_vector = vectors.mean(axis=0)
    grad_sq = np.ones_like(paragraph_vector)
    for _ in range(int(epochs)):
        for j in order:
            w = vectors[j]
            loss = weights[j] * (paragraph_vector @ w + biases[j] - targets[j])
            grad = loss * w
            # each dimension's step uses its own accumulated squared gradient *before* this update
            paragraph_vector -= learning_rate / np.sqrt(grad_sq) * grad
            grad_sq += grad * grad
    if not np.all(np.isfinite(paragraph_vector)):
        raise InvalidParameterError(
            "the paragraph vector diverged to NaN/inf; lower the model's learning_rate or use fewer epochs"
        )
    return paragraph_vector


def most_similar_paragraph(model, paragraph, number=5, **kwargs):
    """Words closest (cosine) to the paragraph's vector, as glove_python's ``most_similar_paragraph``.

    Parameters
    ----------
    model : Glove
    paragraph : iterable of str
    number : int, optional
        How many words to return. As in glove_python, the paragraph's own words are not excluded.
    **kwargs
        Passed to :func:`transform_paragraph` (``epochs``, ``ignore_missing``).

    Returns
    -------
    list of (str, float)
        Best first.
    """
    if isinstance(number, bool) or not isinstance(number, numbers.Integral) or number < 1:
        raise InvalidParameterError(f"number must be a positive integer, got {number!r}")
    vector = transform_paragraph(model, paragraph, **kwargs)
    wv = getattr(model, "wv", None)
    if isinstance(wv, WordVectors):  # reuse its cached unit vectors
        return wv.similar_by_vector(vector.astype(wv.vectors.dtype), topn=int(number))
    words = np.asarray(model.word_vectors)
    scores = unit_rows(words.astype(np.float64)) @ unit_rows(vector)
    inverse = getattr(model, "inverse_dictionary", None) or {i: w for w, i in model.dictionary.items()}
    return [(inverse[i], float(scores[i])) for i in top_indices(scores, int(number))]


__all__ = ["most_similar_paragraph", "transform_paragraph"]
