"""Input validation shared by Corpus and Glove: every check raises a named error saying what to do."""
import numbers
import os

import numpy as np
import scipy.sparse as sp

from glovefast.errors import CorpusEncodingError, InvalidDictionaryError, InvalidMatrixError, InvalidParameterError


def decode_token(word):
    """A token's UTF-8 bytes as str; CorpusEncodingError naming the token when they are not UTF-8."""
    try:
        return word.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusEncodingError(
            f"token {word[:60]!r} is not valid UTF-8 ({exc.reason}); re-encode the input as UTF-8"
        ) from None


def check_int(name, value, minimum=None, maximum=None):
    """Return ``value`` as an int, or raise InvalidParameterError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise InvalidParameterError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidParameterError(f"{name} must be <= {maximum}, got {value}")
    return value


#: Ceiling for every thread-count argument. OpenMP creates one OS thread each, and counts far past
#: the core count only add contention (100,000 threads crashed libgomp); 256 covers the largest
#: machines while staying far from any OS limit.
MAX_THREADS = 256


def available_cpus():
    """CPUs this process may run on (respects affinity masks, e.g. in containers)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def check_threads(value, name="no_threads"):
    """Resolve a thread count: ``0`` or ``None`` mean all available CPUs (implicit's and
    scikit-learn's convention; at most :data:`MAX_THREADS`); otherwise an integer from 1 to
    :data:`MAX_THREADS`. Every public entry point that takes a thread count calls this."""
    if value is None:
        return min(available_cpus(), MAX_THREADS)
    value = check_int(name, value, minimum=0)
    if value == 0:
        return min(available_cpus(), MAX_THREADS)
    if value > MAX_THREADS:
        raise InvalidParameterError(
            f"{name}={value} is more threads than glovefast allows ({MAX_THREADS}); use at most the number of "
            f"CPUs ({available_cpus()} here), or 0 for all of them"
        )
    return value


def check_random_state(value, name="random_state"):
    """A :class:`numpy.random.Generator` from ``value``: None (fresh entropy), a non-negative
    integer, a Generator (used as is), a BitGenerator or a SeedSequence."""
    if isinstance(value, np.random.Generator):
        return value
    if value is None or isinstance(value, (np.random.BitGenerator, np.random.SeedSequence)):
        return np.random.default_rng(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(
            f"{name} must be None, a non-negative integer or a numpy.random.Generator, got {value!r}"
        )
    if value < 0:
        raise InvalidParameterError(f"{name} must be a non-negative integer (a seed), got {value}")
    return np.random.default_rng(int(value))


def check_float(name, value, minimum=None, exclusive_minimum=False):
    """Return ``value`` as a finite float, or raise InvalidParameterError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise InvalidParameterError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if exclusive_minimum and value <= minimum:
            raise InvalidParameterError(f"{name} must be > {minimum}, got {value}")
        if not exclusive_minimum and value < minimum:
            raise InvalidParameterError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_choice(name, value, choices):
    if value not in choices:
        raise InvalidParameterError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_dictionary(dictionary):
    """Validate a word -> id mapping whose ids are exactly 0..n-1; return it as a new dict."""
    if not hasattr(dictionary, "items"):
        raise InvalidDictionaryError(
            f"dictionary must be a mapping word -> id (e.g. corpus.dictionary), got {type(dictionary).__name__}"
        )
    result = {}
    seen = np.zeros(len(dictionary), dtype=bool)
    for word, idx in dictionary.items():
        if not isinstance(word, str):
            raise InvalidDictionaryError(f"dictionary keys must be str, got {word!r} ({type(word).__name__})")
        if isinstance(idx, bool) or not isinstance(idx, numbers.Integral):
            raise InvalidDictionaryError(f"dictionary id of {word!r} must be an integer, got {idx!r}")
        idx = int(idx)
        if idx < 0 or idx >= len(dictionary):
            raise InvalidDictionaryError(
                f"dictionary ids must be exactly 0..{len(dictionary) - 1}; {word!r} has id {idx}. "
                "Renumber the words consecutively from 0"
            )
        if seen[idx]:
            raise InvalidDictionaryError(
                f"dictionary id {idx} is used by more than one word ({word!r} among them); ids must be unique"
            )
        seen[idx] = True
        result[word] = idx
    return result


def inverse_dictionary(dictionary):
    """Words in id order, for a dictionary already checked by check_dictionary."""
    words = [None] * len(dictionary)
    for word, idx in dictionary.items():
        words[idx] = word
    return words


def first_bad_count(counts):
    """(index of the first count that is not finite and > 0, how many such counts); (None, 0) if none."""
    bad = ~np.isfinite(counts) | (counts <= 0)
    if not bad.any():
        return None, 0
    return int(np.flatnonzero(bad)[0]), int(bad.sum())


def check_cooccurrence_matrix(matrix, n_words=None):
    """Validate a cooccurrence matrix and return ``(rows, cols, counts, n)``.

    Accepts coo_matrix / coo_array, any other scipy sparse format (converted) and dense 2-D
    arrays. Duplicated (row, col) entries are summed, as COO semantics define. Raises
    InvalidMatrixError for non-square shapes, ids out of range and counts that are not finite
    and positive.
    """
    if not (sp.issparse(matrix) or (isinstance(matrix, np.ndarray) and matrix.ndim == 2)):
        raise InvalidMatrixError(
            f"expected a scipy.sparse matrix (e.g. corpus.matrix) or a 2-D numpy array, got {type(matrix).__name__}"
        )
    # before any conversion: scipy fails on object arrays with raw TypeErrors
    if not np.issubdtype(matrix.dtype, np.number) or np.issubdtype(matrix.dtype, np.complexfloating):
        raise InvalidMatrixError(
            f"counts must be real numbers, got dtype {matrix.dtype}; convert the matrix first, "
            "e.g. matrix.astype(np.float64)"
        )
    if sp.issparse(matrix):
        coo = matrix if matrix.format == "coo" else matrix.tocoo()
    else:
        if matrix.dtype == np.float16:  # scipy.sparse has no float16; every float16 is exact in float32
            matrix = matrix.astype(np.float32)
        coo = sp.coo_matrix(matrix)
    if coo.ndim != 2 or coo.shape[0] != coo.shape[1]:
        raise InvalidMatrixError(
            f"the cooccurrence matrix must be square (words x words), got shape {coo.shape}"
        )
    n = int(coo.shape[0])
    if n_words is not None and n != n_words:
        raise InvalidMatrixError(
            f"the matrix has {n} rows but the dictionary has {n_words} words; "
            "use the matrix and dictionary of the same Corpus"
        )
    rows, cols, data = coo.row, coo.col, coo.data
    if data.size == 0:
        raise InvalidMatrixError("the cooccurrence matrix has no entries: there is nothing to train on")
    if rows.size and (rows.min() < 0 or cols.min() < 0 or rows.max() >= n or cols.max() >= n):
        raise InvalidMatrixError(f"the matrix holds word ids outside 0..{n - 1}")
    if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
        raise InvalidMatrixError(f"counts must be real numbers, got dtype {data.dtype}")
    k, n_bad = first_bad_count(data)
    if n_bad:
        raise InvalidMatrixError(
            f"cooccurrence counts must be finite and > 0; entry ({rows[k]}, {cols[k]}) is {data[k]!r}"
            f" ({n_bad} bad entries). Remove explicit zeros with matrix.eliminate_zeros() and "
            "fix negative or non-finite counts"
        )
    if not getattr(coo, "has_canonical_format", False):
        coo = sp.coo_matrix((data, (rows, cols)), shape=coo.shape)
        with np.errstate(over="ignore"):  # an overflowing sum is reported below, with what to do
            coo.sum_duplicates()
        rows, cols, data = coo.row, coo.col, coo.data
        k, n_bad = first_bad_count(data)
        if n_bad:  # each count was finite: repeated entries added up past the largest float
            raise InvalidMatrixError(
                f"the matrix repeats entry ({rows[k]}, {cols[k]}) (a COO matrix may list a cell several times; its "
                f"values are added) and the values sum to {float(data[k])}, beyond the largest {data.dtype} "
                f"({n_bad} cell{'s' if n_bad > 1 else ''} like this). Counts must sum to finite values: fix or rescale the counts, or list each "
                "cell once"
            )
    return (
        np.ascontiguousarray(rows, dtype=np.int32),
        np.ascontiguousarray(cols, dtype=np.int32),
        np.ascontiguousarray(data, dtype=np.float64),
        n,
    )


def is_pathlike(obj):
    return isinstance(obj, (str, os.PathLike))
