"""Recognising Python pickles, which glovefast's own loaders never unpickle.

glove_python saved its models and corpora as pickles, gensim's ``save()`` writes them too;
:func:`check_not_pickle` lets a loader refuse one with advice on converting it
(:mod:`glovefast.compat` does the conversion of glove_python files, on request). What the
first bytes of a pickle say (:func:`~glovefast.io.bundle.pickle_origin`) is decided in
:mod:`glovefast.io.bundle`, which refuses pickles where a bundle is expected.
"""
import os

from glovefast.errors import FormatError
from glovefast.io.bundle import PICKLE_SNIFF_BYTES, pickle_error, pickle_origin


def _head(path_or_head):
    """The first bytes of a file (a path) or the bytes given; b"" for unreadable or missing files."""
    if isinstance(path_or_head, (bytes, bytearray)):
        return bytes(path_or_head[:PICKLE_SNIFF_BYTES])
    try:
        with open(path_or_head, "rb") as fh:
            return fh.read(PICKLE_SNIFF_BYTES)
    except (OSError, TypeError):
        return b""


def is_pickle(path_or_head):
    """Whether a file (a path, or its first bytes) is a Python pickle of protocol 2 or later.

    Parameters
    ----------
    path_or_head : str, os.PathLike or bytes

    Returns
    -------
    bool
        False for unreadable or missing files: the caller's own loader reports those.
    """
    return pickle_origin(_head(path_or_head)) is not None


def check_not_pickle(path, kind="Glove"):
    """Raise FormatError with conversion advice if ``path`` is a pickle (a glove_python file).

    Called by the loaders that must never unpickle, before they read the file.

    Parameters
    ----------
    path : str or os.PathLike
    kind : {"Glove", "Corpus"}
        Which loader asks, to name the matching converter.

    Raises
    ------
    FormatError
        ``path`` is a pickle.
    """
    head = _head(path)
    if pickle_origin(head) is None:
        return
    if pickle_origin(head) == "gensim":
        raise pickle_error(path, head)  # a gensim file: gensim's own converter, not glove_python's
    func, out = ("load_glove_python_corpus", "corpus.npz") if kind == "Corpus" else ("load_glove_python", "model.npz")
    raise FormatError(
        f"{os.fspath(path)!r} is a Python pickle, such as a glove_python {kind}.save() file, not a glovefast file. "
        f"glovefast never unpickles by default, because unpickling runs code named by the file. If you trust the "
        f"file, convert it once: from glovefast.compat import {func}; "
        f"{func}({os.fspath(path)!r}, trust_pickle=True).save({out!r})"
    )


__all__ = ["check_not_pickle", "is_pickle"]
