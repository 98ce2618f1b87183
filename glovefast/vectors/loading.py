"""One entry point for reading (and writing) word vectors in any format glovefast knows.

:func:`load_vectors` accepts glovefast's native files (``WordVectors.save``, a whole model from
``Glove.save``), word2vec text and binary, and Stanford GloVe text, each optionally gzip-,
bz2- or xz-compressed. The format and the compression are decided from the bytes of the
file, never from its name; :func:`detect_format` says what was found.
"""
import logging
import os

import numpy as np

from glovefast.errors import FormatError, InvalidParameterError
from glovefast.io.bundle import PICKLE_SNIFF_BYTES, npz_kind, pickle_error
from glovefast.io.formats import check_limit, check_name_fits_format, open_binary_read, read_head
from glovefast.io.kinds import class_for
from glovefast.text.sources import MAGIC_BYTES, compression_suffix, document_kind
from glovefast.vectors.word_vectors import WordVectors

logger = logging.getLogger(__name__)

#: Formats :func:`load_vectors` reads ("auto" detects them) and :func:`save_vectors` writes.
VECTOR_FORMATS = ("word2vec", "word2vec-binary", "glove", "npz")

_SNIFF_BYTES = 1 << 16


def detect_format(path):
    """Detect the format of a vectors file from its content.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str
        ``"npz"`` (a zip archive: glovefast native, or any npz), ``"word2vec-binary"`` (a
        ``"<n> <d>"`` header followed by raw float32 data), ``"word2vec"`` (the same header
        followed by text) or ``"glove"`` (text without a header).

    Raises
    ------
    FileNotFoundError
    FormatError
        The file is empty or its compressed data are unreadable.
    """
    path = os.fspath(path)
    with open(path, "rb") as fh:
        head = fh.read(PICKLE_SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        return "npz"
    _refuse_pickle(path, head)
    with open_binary_read(path) as fh:
        head = read_head(fh, _SNIFF_BYTES, path)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    head = head.lstrip(b"\r\n")
    if not head.strip():
        raise FormatError(f"{path}: the file is empty")
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    if not (len(fields) == 2 and all(f.isdigit() for f in fields)):
        if b"\0" in head:  # UTF-8 text never holds NUL; /dev/zero, UTF-16 text and binary files do
            raise FormatError(f"{path}: its first bytes hold NUL bytes: this is binary data (or UTF-16/32 "
                              "text), not word vectors; glovefast reads its own .npz files, word2vec text or "
                              "binary and GloVe text (UTF-8)")
        return "glove"
    n, dim = int(fields[0]), int(fields[1])
    if dim == 1 and len(head) < _SNIFF_BYTES:
        # "2 1" may also be a GloVe row (the word "2", a 1-dimensional vector). With the whole
        # file in view, a header announces exactly the lines that follow.
        lines = [ln for ln in rest.split(b"\n") if ln.strip()]
        if len(lines) != n and all(len(ln.split()) == 2 for ln in lines):
            return "glove"
    # word2vec binary: after "word " come raw float32 bytes, which are almost never valid
    # UTF-8 text free of control characters; text files are digits, signs and words.
    sample = rest[:-3] if len(head) == _SNIFF_BYTES else rest  # the read may have cut a character in two
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return "word2vec-binary"
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
        return "word2vec-binary"
    return "word2vec"


def load_vectors(path, fmt="auto", limit=None, mmap=False, dtype=None, unicode_errors="strict"):
    """Load word vectors from any file glovefast reads.

    Parameters
    ----------
    path : str or os.PathLike
    fmt : {"auto", "npz", "word2vec", "word2vec-binary", "glove"}, optional
        "auto" (default) detects the format from the content (see :func:`detect_format`).
        "npz" covers ``WordVectors.save`` files and whole models saved by ``Glove.save``.
    limit : int, optional
        Keep only the first ``limit`` vectors (text and binary files stop reading there).
    mmap : bool, optional
        Native files only: memory-map the vectors (see :meth:`WordVectors.load`). Ignored,
        with a log message, for other formats, which must be parsed.
    dtype : {None, numpy.float32, numpy.float64}, optional
        Text and binary formats: precision of the result (default float32). Native files keep
        the dtype they were saved with.
    unicode_errors : {"strict", "replace", "ignore"}, optional
        Text and binary formats: what to do with words that are not valid UTF-8.

    Returns
    -------
    WordVectors

    Raises
    ------
    FileNotFoundError
        No such file.
    IsADirectoryError
        ``path`` is a directory.
    FormatError
        The file is not in the format given or detected, is truncated or corrupted, or holds
        something else (e.g. a cooccurrence matrix saved by ``Corpus.save``). A Python pickle,
        such as a gensim ``KeyedVectors.save()`` file, is never unpickled: the message says how
        to convert it (``glovefast convert --from-gensim``, :meth:`WordVectors.from_gensim`).
    InvalidParameterError
        An unknown ``fmt``.

    Examples
    --------
    >>> import glovefast, numpy as np, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "v.txt")
    >>> glovefast.WordVectors(["a", "b"], np.eye(2, dtype=np.float32)).save_glove_format(path)
    >>> glovefast.load_vectors(path)
    WordVectors(2 words, vector_size=2, dtype=float32)
    """
    if fmt not in ("auto",) + VECTOR_FORMATS:
        raise InvalidParameterError(f"fmt must be one of {('auto',) + VECTOR_FORMATS}, got {fmt!r}")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(21, "is a directory, not a vectors file", path)
    _refuse_document(path)
    if fmt == "auto":
        fmt = detect_format(path)
        logger.debug("%s: detected format %s", path, fmt)
    else:
        with open(path, "rb") as fh:
            _refuse_pickle(path, fh.read(PICKLE_SNIFF_BYTES))
    if fmt != "npz":
        if mmap:
            logger.info("%s: %s files are parsed, not memory-mapped; convert to npz to map them", path, fmt)
        kwargs = {"limit": limit, "dtype": np.float32 if dtype is None else dtype, "unicode_errors": unicode_errors}
        if fmt == "glove":
            return WordVectors.load_glove_format(path, **kwargs)
        return WordVectors.load_word2vec_format(path, binary=fmt == "word2vec-binary", **kwargs)
    wv = _load_native(path, mmap)
    if limit is not None:
        limit = check_limit(limit)
        if limit < len(wv):
            wv = WordVectors.from_checked(wv.index_to_key[:limit], wv.vectors[:limit],
                                      None if wv.counts is None else wv.counts[:limit])
    return wv


def _refuse_document(path):
    """A Word, OpenDocument, PDF... file is named as such, not parsed as vectors or an npz."""
    with open(path, "rb") as fh:
        document = document_kind(fh, fh.read(MAGIC_BYTES), path) if fh.seekable() else None
    if document is not None:
        what, how = document
        raise FormatError(f"{path} is {what}, not word vectors: glovefast reads its own .npz files, word2vec text "
                          f"or binary and GloVe text. To train vectors on the document's text, {how}, then "
                          "run glovefast train on that file")


def _refuse_pickle(path, head):
    """A pickle (a gensim or glove_python save() file) is never read: raise, saying how to convert it."""
    error = pickle_error(path, head)
    if error is not None:
        raise error


def format_for_path(path):
    """The format :func:`save_vectors` picks from a file name: ``.npz`` is native, ``.bin`` word2vec
    binary, anything else word2vec text (compression suffixes such as ``.gz`` are looked through)."""
    name = os.fspath(path).lower()
    if compression_suffix(name):
        name = os.path.splitext(name)[0]
    if name.endswith(".npz"):
        return "npz"
    if name.endswith(".bin"):
        return "word2vec-binary"
    return "word2vec"


def save_vectors(wv, path, fmt=None, precision=None, compress=False):
    """Write word vectors in any format :func:`load_vectors` reads.

    Parameters
    ----------
    wv : WordVectors
    path : str or os.PathLike
        Written atomically. Text and binary formats are compressed when the name ends in
        ``.gz``, ``.bz2``, ``.xz`` or ``.zst`` (gzip at level 6; zstd needs the ``zstandard``
        module).
    fmt : {None, "npz", "word2vec", "word2vec-binary", "glove"}, optional
        None: from the name (see :func:`format_for_path`). A format the name contradicts
        (``"glove"`` for ``x.npz``, ``"npz"`` for ``x.txt`` or ``x.npz.gz``) is refused.
    precision : int, optional
        Text formats: significant digits (default: exact round trip).
    compress : bool, optional
        Native format: deflate the arrays (smaller, but no memory-mapping).

    Raises
    ------
    FormatError
        A word cannot be represented in a text/binary format (empty, whitespace, lone surrogate).
    InvalidParameterError
        An unknown ``fmt``, or one the name contradicts; ``.zst`` without ``zstandard``.
    """
    fmt = format_for_path(path) if fmt is None else fmt
    if fmt not in VECTOR_FORMATS:
        raise InvalidParameterError(f"fmt must be one of {VECTOR_FORMATS}, got {fmt!r}")
    check_name_fits_format(path, fmt)
    if fmt == "npz":
        wv.save(path, compress=compress)
    elif fmt == "glove":
        wv.save_glove_format(path, precision=precision)
    elif fmt == "word2vec-binary":
        wv.save_word2vec_format(path, binary=True)
    else:
        wv.save_word2vec_format(path, precision=precision)
    return fmt


def _load_native(path, mmap):
    """The word vectors of a glovefast bundle, read by the class registered for its kind."""
    kind = npz_kind(path)
    cls = class_for(kind)
    if cls is not None:
        return cls.read_word_vectors(path, mmap=mmap)
    if kind is None:
        raise FormatError(f"{path}: an npz archive that glovefast did not write; glovefast reads its own npz "
                          "files, word2vec (text or binary) and GloVe text")
    raise FormatError(f"{path}: holds a {kind}, not word vectors")


__all__ = ["VECTOR_FORMATS", "detect_format", "format_for_path", "load_vectors",
           "save_vectors"]
