"""Recognising Python pickles, which glovefast's own loaders never unpickle.

glove_python saved its models and corpora as pickles; :func:`check_not_pickle` lets a loader
refuse one with advice on converting it (:mod:`glovefast.compat` does the conversion, on request).
"""
import os

from glovefast.errors import FormatError

# Protocol 2+ pickles start with PROTO (0x80) and the protocol number; glove_python wrote
# HIGHEST_PROTOCOL (2 on Python 2, 3-5 on Python 3).
_PICKLE_PROTOCOLS = range(2, 6)


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
    if isinstance(path_or_head, (bytes, bytearray)):
        head = bytes(path_or_head[:2])
    else:
        try:
            with open(path_or_head, "rb") as fh:
                head = fh.read(2)
        except (OSError, TypeError):
            return False
    return len(head) == 2 and head[0] == 0x80 and head[1] in _PICKLE_PROTOCOLS


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
    if not is_pickle(path):
        return
    func, out = ("load_glove_python_corpus", "corpus.npz") if kind == "Corpus" else ("load_glove_python", "model.npz")
    raise FormatError(
        f"{os.fspath(path)!r} is a Python pickle, such as a glove_python {kind}.save() file, not a glovefast file. "
        f"glovefast never unpickles by default, because unpickling runs code named by the file. If you trust the "
        f"file, convert it once: from glovefast.compat import {func}; "
        f"{func}({os.fspath(path)!r}, trust_pickle=True).save({out!r})"
    )


__all__ = ["check_not_pickle", "is_pickle"]
