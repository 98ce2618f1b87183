"""Moving from glove_python: read its pickled model and corpus files, once, into glovefast.

glove_python saved models with ``pickle.dump(model.__dict__)`` and corpora with
``pickle.dump((dictionary, matrix))``. Unpickling runs code named by the file, so glovefast's
own loaders (``Glove.load``, ``Corpus.load``) never unpickle: they recognise a pickle and say
how to convert it. The converters here do unpickle, only when called with
``trust_pickle=True``, and even then through an unpickler that accepts nothing but the
numpy, scipy and builtin types such files hold. Convert once and keep the safe file::

    from glovefast.compat import load_glove_python
    load_glove_python("old.model", trust_pickle=True).save("model.npz")   # then Glove.load("model.npz")
"""
import io
import os
import pickle

import numpy as np
import scipy.sparse as sp

from glovefast.corpus import Corpus
from glovefast.errors import FormatError, GloveFastError
from glovefast.io.pickles import check_not_pickle, is_pickle
from glovefast.models.glove.model import Glove

__all__ = ["load_glove_python", "load_glove_python_corpus", "load_glove_python_any", "is_pickle", "check_not_pickle", "UntrustedPickleError"]

class UntrustedPickleError(GloveFastError, PermissionError):
    """A pickle was to be loaded without ``trust_pickle=True``."""


def _refuse_untrusted(path, func):
    raise UntrustedPickleError(
        f"{func}({os.fspath(path)!r}) unpickles the file, and unpickling runs code named by the file; glovefast "
        "only allows numpy, scipy and builtin types, which limits but does not rule out harm from a crafted file. "
        f"Pass trust_pickle=True if you trust where the file comes from, then save the result in glovefast's "
        "format (no pickle) and use that from then on"
    )


class _SparseState:
    """Stands in for a pickled scipy.sparse matrix: keeps its state, runs none of scipy's code.

    Old pickles hold attributes that newer scipy versions renamed (``row``/``col`` became
    ``coords``), so the matrix is rebuilt from the raw state instead of scipy's own unpickling.
    """

    def __init__(self, *args):
        self.kind = None

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
            state = state[1]  # (dict state, slot state) form
        if not isinstance(state, dict):
            raise pickle.UnpicklingError("unexpected state of a scipy sparse matrix")
        self.__dict__.update({k.decode("ascii") if isinstance(k, bytes) else k: v for k, v in state.items()})

    def to_coo(self):
        shape = tuple(int(x) for x in self.__dict__.get("_shape", ()))
        if len(shape) != 2:
            raise FormatError("the pickled sparse matrix has no 2-D shape")
        d = self.__dict__
        if "indptr" in d:  # csr/csc
            cls = sp.csc_matrix if self.kind.startswith("csc") else sp.csr_matrix
            return cls((np.asarray(d["data"]), np.asarray(d["indices"]), np.asarray(d["indptr"])), shape=shape).tocoo()
        if "coords" in d:
            row, col = d["coords"]
        elif "row" in d and "col" in d:
            row, col = d["row"], d["col"]
        else:
            raise FormatError(f"unsupported pickled sparse matrix ({self.kind}); save it as COO or CSR")
        return sp.coo_matrix((np.asarray(d["data"]), (np.asarray(row), np.asarray(col))), shape=shape)


class _ObjectState:
    """Stands in for any other pickled object a glove_python file may hold (a pickled Glove, a RandomState)."""

    def __init__(self, *args):
        self.args = args

    def __setstate__(self, state):
        self.state = state


def _sparse_class(kind):
    return type(f"_Sparse_{kind}", (_SparseState,), {"__init__": lambda self, *a: setattr(self, "kind", kind)})


_NUMPY_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),  # protocol 5 arrays
}
_BUILTINS_ALLOWED = {("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "object", "int", "float",
                                                 "complex", "str", "bytes", "bytearray", "bool")}
_BUILTINS_ALLOWED |= {("copyreg", "_reconstructor"), ("_codecs", "encode"), ("collections", "OrderedDict")}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the classes glove_python files contain; anything else is refused by name."""

    def find_class(self, module, name):
        if (module, name) in _NUMPY_ALLOWED or (module, name) in _BUILTINS_ALLOWED:
            return super().find_class(module, name)
        if module.startswith("scipy.sparse") and (name.endswith("_matrix") or name.endswith("_array")):
            return _sparse_class(name)
        if module.startswith("numpy.random") or module == "glove.glove" or module.startswith("glove."):
            return _ObjectState  # random_state, or a Glove pickled whole: state kept, nothing run
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: a glove_python file holds only numpy, scipy and builtin types"
        )


def _unpickle(path):
    with open(path, "rb") as fh:
        data = fh.read()
    if not is_pickle(data):
        raise FormatError(f"{os.fspath(path)!r} is not a pickle (not a glove_python file)")
    try:
        return _RestrictedUnpickler(io.BytesIO(data)).load()
    except UnicodeDecodeError:
        # Python 2 pickles hold byte strings; latin-1 maps them to str byte for byte (numpy's
        # advice for Python 2 pickles), and _text() turns words back into their UTF-8 text.
        try:
            return _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
            raise FormatError(f"{os.fspath(path)!r} is not a readable glove_python file ({exc})") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise FormatError(f"{os.fspath(path)!r} is not a readable glove_python file ({exc})") from None


def _text(word):
    if isinstance(word, bytes):
        return word.decode("utf-8")
    return word


def _dictionary(raw, path):
    """glove_python's word -> id dict as text keys and int ids (Python 2 pickles: words repaired)."""
    if not isinstance(raw, dict):
        raise FormatError(f"{os.fspath(path)!r}: the dictionary is a {type(raw).__name__}, not a dict")
    words = [_text(w) for w in raw]
    # A Python 2 str read as latin-1: if every word is valid UTF-8 underneath, that is what it was.
    try:
        repaired = [w.encode("latin1").decode("utf-8") for w in words]
    except (UnicodeEncodeError, UnicodeDecodeError):
        repaired = words
    if len(set(repaired)) == len(repaired):
        words = repaired
    out = {}
    for w, i in zip(words, raw.values()):
        if not isinstance(w, str) or not isinstance(i, (int, np.integer)):
            raise FormatError(f"{os.fspath(path)!r}: dictionary entry {w!r}: {i!r} is not word -> integer id")
        out[w] = int(i)
    return out


def load_glove_python(path, *, trust_pickle=False, dtype=np.float32):
    """Read a model saved by glove_python's ``Glove.save`` (a pickle) into a :class:`glovefast.Glove`.

    glove_python trained one vector table (W) and its biases; the result holds them as
    ``word_vectors`` and ``word_biases`` with ``vector_mode="word"``, its hyper-parameters and
    dictionary. It answers queries (``most_similar``, ``wv``...) and can be saved with
    :meth:`glovefast.Glove.save`, which is the point: convert once, then load the safe file.
    Context vectors and biases, which glove_python did not keep, are zeros.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by glove_python's ``Glove.save`` (Python 2 or 3), or a whole pickled
        ``glove.Glove`` object.
    trust_pickle : bool
        Must be True: unpickling runs code named by the file. Only numpy, scipy and builtin
        types are allowed, which limits what a crafted file can do but is no sandbox.
    dtype : {numpy.float32, numpy.float64}
        glove_python used float64; float32 (glovefast's default) halves the memory.

    Returns
    -------
    Glove

    Raises
    ------
    UntrustedPickleError
        ``trust_pickle`` is not True (a PermissionError).
    FormatError
        The file is not a glove_python model (e.g. a glove_python corpus: use
        :func:`load_glove_python_corpus`), or is corrupt.
    """
    if trust_pickle is not True:
        _refuse_untrusted(path, "load_glove_python")
    return _model_from(_unpickle(path), path, dtype)


def _model_from(obj, path, dtype):
    if isinstance(obj, _ObjectState):  # a Glove pickled whole
        obj = obj.state if isinstance(obj.state, dict) else {}
    if isinstance(obj, tuple) and len(obj) == 2:
        raise FormatError(f"{os.fspath(path)!r} is a glove_python Corpus file; use load_glove_python_corpus")
    if not isinstance(obj, dict):
        raise FormatError(f"{os.fspath(path)!r} holds a {type(obj).__name__}, not a glove_python model")
    state = {_text(k): v for k, v in obj.items()}
    vectors = state.get("word_vectors")
    if not isinstance(vectors, np.ndarray) or vectors.ndim != 2:
        raise FormatError(f"{os.fspath(path)!r} has no 2-D word_vectors: not a fitted glove_python model")
    n, d = vectors.shape
    biases = state.get("word_biases")
    if biases is None:
        biases = np.zeros(n)
    biases = np.asarray(biases)
    if biases.shape != (n,):
        raise FormatError(f"{os.fspath(path)!r}: word_biases has shape {biases.shape}, expected ({n},)")
    if not (np.isfinite(vectors).all() and np.isfinite(biases).all()):
        raise FormatError(f"{os.fspath(path)!r} holds NaN or infinite vectors")


    params = {}
    for key, cast in (("learning_rate", float), ("alpha", float), ("max_count", float), ("max_loss", float)):
        if isinstance(state.get(key), (int, float, np.number)):
            params[key] = cast(state[key])
    model = Glove(no_components=d, dtype=dtype, vector_mode="word", **params)
    model.word_vectors = np.ascontiguousarray(vectors, dtype=dtype)
    model.context_vectors = np.zeros_like(model.word_vectors)
    model.word_biases = biases.astype(dtype)
    model.context_biases = np.zeros_like(model.word_biases)
    dictionary = state.get("dictionary")
    if dictionary is not None:
        dictionary = _dictionary(dictionary, path)
        if len(dictionary) < n:
            # glove_python allowed a dictionary smaller than the vectors; glovefast needs one word
            # per vector, so the vectors without a word are dropped (they cannot be queried anyway)
            ids = np.array(sorted(dictionary.values()), dtype=np.int64)
            if ids.size and (ids.min() < 0 or ids.max() >= n or len(set(ids.tolist())) != ids.size):
                raise FormatError(f"{os.fspath(path)!r}: dictionary ids do not index the {n} vectors")
            keep = {old: new for new, old in enumerate(ids.tolist())}
            model.word_vectors = model.word_vectors[ids]
            model.context_vectors = model.context_vectors[ids]
            model.word_biases = model.word_biases[ids]
            model.context_biases = model.context_biases[ids]
            dictionary = {w: keep[i] for w, i in dictionary.items()}
        model.add_dictionary(dictionary)
    return model


def load_glove_python_corpus(path, *, trust_pickle=False):
    """Read a corpus saved by glove_python's ``Corpus.save`` (a pickle) into a :class:`glovefast.Corpus`.

    The result has ``dictionary`` and ``matrix`` (COO, glove_python's upper-triangle counts,
    duplicates summed) and trains with ``Glove().fit(corpus.matrix)``; :meth:`glovefast.Corpus.save`
    stores it without pickle. Word frequencies, which glove_python did not keep, are unknown:
    ``word_counts`` is all zeros and ``params["word_counts"]`` says so.

    Parameters
    ----------
    path : str or os.PathLike
    trust_pickle : bool
        Must be True (see :func:`load_glove_python`).

    Returns
    -------
    Corpus

    Raises
    ------
    UntrustedPickleError
        ``trust_pickle`` is not True.
    FormatError
        Not a glove_python corpus file, or inconsistent (ids outside the dictionary...).
    """
    if trust_pickle is not True:
        _refuse_untrusted(path, "load_glove_python_corpus")
    return _corpus_from(_unpickle(path), path)


def _corpus_from(obj, path):
    if not (isinstance(obj, tuple) and len(obj) == 2):
        raise FormatError(f"{os.fspath(path)!r} is not a glove_python Corpus file (a (dictionary, matrix) pair)"
                          + ("; for a model use load_glove_python" if isinstance(obj, dict) else ""))
    raw_dictionary, matrix = obj
    dictionary = _dictionary(raw_dictionary, path)
    if matrix is None:
        raise FormatError(f"{os.fspath(path)!r} holds a corpus that was never fitted (no matrix)")
    if not isinstance(matrix, _SparseState):
        raise FormatError(f"{os.fspath(path)!r}: the matrix is a {type(matrix).__name__}, not a scipy sparse matrix")
    coo = matrix.to_coo()
    coo.sum_duplicates()
    n = len(dictionary)
    if coo.shape[0] != coo.shape[1] or coo.shape[0] < n or (coo.nnz and max(coo.row.max(), coo.col.max()) >= n):
        raise FormatError(f"{os.fspath(path)!r}: a {coo.shape} matrix does not fit a dictionary of {n} words")
    if coo.shape[0] != n:
        coo.resize((n, n))


    corpus = Corpus(dictionary)
    corpus.matrix = coo.astype(np.float64) if coo.dtype != np.float64 else coo
    corpus.word_counts = np.zeros(n, dtype=np.int64)  # unknown: glove_python did not keep them
    corpus.params = {"converted_from": "glove_python", "word_counts": "unknown (glove_python did not keep them)"}
    return corpus


def load_glove_python_any(path, *, trust_pickle=False, dtype=np.float32):
    """Whichever glove_python file ``path`` is: a model (a :class:`~glovefast.Glove`) or a corpus.

    What ``glovefast convert --from-glove-python`` uses. See :func:`load_glove_python` and
    :func:`load_glove_python_corpus` for the parameters and what each result holds.

    Returns
    -------
    Glove or Corpus
    """
    if trust_pickle is not True:
        _refuse_untrusted(path, "load_glove_python_any")
    obj = _unpickle(path)
    if isinstance(obj, tuple) and len(obj) == 2:
        return _corpus_from(obj, path)
    return _model_from(obj, path, dtype)
