"""Reading and writing word vectors.

Formats
-------
* **word2vec text**: a ``"<n_words> <vector_size>"`` header line, then ``word v1 v2 ...`` lines.
* **word2vec binary**: the same header, then for each word ``word<space>`` followed by
  ``vector_size`` little-endian float32 values and a newline (as the original C tool writes;
  readers that do not expect the newline, like gensim, skip it).
* **Stanford GloVe text**: word2vec text without the header. Words may contain spaces
  (Stanford's 840B release has some): the vector is always the *last* ``vector_size`` fields.
* **glovefast native** (``.npz`` + JSON): a zip of ``.npy`` arrays plus a JSON metadata member,
  read with ``allow_pickle=False``. The metadata names the kind of object, the format version,
  array shapes and a SHA-256 digest of the content, so a truncated, foreign or edited file gives
  a :class:`~glovefast.errors.FormatError` instead of garbage or a crash.

Text files are parsed block by block in C (``glovefast._kernels.textio``, see docs/formats.md), so a 400k x
300 file never becomes per-line lists of Python floats. ``limit=`` stops reading after the
first ``limit`` words. Compressed files (gzip, bzip2, xz, zstd) are read by their content and
written by their name's suffix (``.gz``, ``.bz2``, ``.xz``, ``.zst``), on the fly.

Every file is written with :func:`glovefast._util.atomic.atomic_write`: the target is either
the old file or the complete new one, never a partial file.
"""
import bz2
import contextlib
import gzip
import io
import logging
import lzma
import mmap
import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from glovefast._kernels import textio as _textio
from glovefast._util.atomic import atomic_write
from glovefast._util.memory import available_memory, format_bytes
from glovefast._util.progress import plural
from glovefast._util.validation import check_threads
from glovefast.errors import FormatError, InvalidParameterError, MemoryBudgetError
from glovefast.io.bundle import check_bundle_name
from glovefast.text import sources

logger = logging.getLogger(__name__)

#: Bytes of text lines parsed per block when reading text vectors (the parser's only buffer).
TEXT_BLOCK_BYTES = 32 * 1024 * 1024

#: Smallest piece of a text block worth a parsing thread of its own.
PARSE_CHUNK_BYTES = 1 << 20

#: Uncompressed text vector files are memory-mapped and parsed in place, window by window of
#: :data:`MAP_WINDOW_BYTES`, instead of being copied block by block (False: always read).
MAP_TEXT_FILES = True

#: Bytes of a memory-mapped text file parsed per window: few windows mean few thread wake-ups
#: and barriers; each window's pages are released once parsed (they stay in the page cache).
MAP_WINDOW_BYTES = 128 * 1024 * 1024

#: Rows formatted per block when writing text vectors.
WRITE_BLOCK_ROWS = 4096

#: Longest line of a text vectors file glovefast reads into memory: the first line (read whole to
#: find the header or the dimension) and any line of a compressed file (the parser's buffer must
#: hold it). 64 MiB hold a vector of 2.5 million float64 values written exactly; a longer "line"
#: is a file without line ends (or /dev/zero, or a decompression bomb), refused at once.
MAX_LINE_BYTES = 64 << 20

#: Rows the matrix being read grows by at least, in bytes of rows: a thousand rows of a
#: 300-dimensional file, one row of a 10-million-dimensional one (never 40 GB at once).
MIN_GROWTH_BYTES = 4 << 20

_FORBIDDEN_IN_WORDS = frozenset(" \t\n\r\v\f")


# ---------------------------------------------------------------------------- compression
#: gzip level of the files glovefast writes: gzip's own default. Level 9 (Python's default) took
#: 2.3x the CPU for a file 1 % smaller (89 MB of text vectors: 14.8 s against 6.3 s).
GZIP_LEVEL = 6

#: zstd level of the files glovefast writes: the zstd command's default.
ZSTD_LEVEL = 3


def compression_for(path):
    """The compression writing ``path`` applies, from its suffix: ``"gzip"``, ``"bzip2"``, ``"xz"``,
    ``"zstd"`` or None.

    Raises
    ------
    InvalidParameterError
        ``.zst`` without the ``zstandard`` module (checked before anything is written).
    """
    suffix = sources.compression_suffix(path)
    kind = None if suffix is None else sources.COMPRESSION_SUFFIXES[suffix]
    if kind == "zstd":
        try:
            import zstandard  # noqa: F401 -- optional dependency, imported when a .zst file is written
        except ImportError:
            raise InvalidParameterError(
                f"{os.fspath(path)}: writing zstd (.zst) needs the 'zstandard' module: pip install zstandard "
                "(or pip install 'glovefast[zstd]'), or name the file .gz, .bz2 or .xz") from None
    return kind


#: What a file's name says it holds, and the formats glovefast writes that fit it (none: a format
#: glovefast does not write); any other name fits any format.
NAMED_FORMATS = {".npz": ("glovefast's native format", ("npz",), ".npz"),
                 ".bin": ("word2vec binary", ("word2vec-binary",), ".bin"),
                 ".txt": ("text", ("word2vec", "glove"), ".txt"),
                 ".vec": ("text", ("word2vec", "glove"), ".vec"),
                 ".npy": ("a NumPy array", (), ".npy"),
                 ".zip": ("a zip archive", (), ".zip"),
                 ".pkl": ("a pickle", (), ".pkl"),
                 ".pickle": ("a pickle", (), ".pickle")}
#: The suffix a name of each format takes (before a compression suffix).
FORMAT_SUFFIX = {"npz": ".npz", "word2vec-binary": ".bin", "word2vec": ".vec", "glove": ".txt"}


def named_format(path):
    """The entry of :data:`NAMED_FORMATS` that ``path``'s name says (compression suffixes looked
    through), or None."""
    path = os.fspath(path)
    compression = sources.compression_suffix(path)
    base = path[:-len(compression)] if compression else path
    return NAMED_FORMATS.get(os.path.splitext(base)[1].lower())


def check_name_fits_format(path, fmt, how="pass fmt=None to choose the format from the name"):
    """Refuse to write ``fmt`` under a name that says otherwise (before anything is written): GloVe
    text as ``x.npz``, an npz as ``x.txt`` or ``x.npz.gz`` (a zip under a gzip name), binary as
    ``x.vec``, any format as ``x.npy``, ``x.zip`` or ``x.pkl``. Text and binary formats are
    compressed by the name's suffix, including ``.zst`` (which needs the ``zstandard`` module).
    ``how`` says how the caller picks the format instead.

    Raises
    ------
    InvalidParameterError
    """
    path = os.fspath(path)
    compression = sources.compression_suffix(path)
    base = path[:-len(compression)] if compression else path
    named = named_format(path)
    if named is not None and fmt not in named[1]:
        better = os.path.splitext(base)[0] + FORMAT_SUFFIX[fmt] + ("" if fmt == "npz" else compression or "")
        raise InvalidParameterError(
            f"{path}: the name says {named[0]} ({named[2]}) but the format is {fmt}; name it {better!r}, or {how}")
    if fmt == "npz":
        check_bundle_name(path)
    else:
        compression_for(path)  # .zst without zstandard: say so now, not after the work


def _decompression_errors():
    return sources.decompression_errors()


def is_compressed(path):
    """Whether ``path`` holds gzip, bzip2, xz or zstd data, from its first bytes (not its name)."""
    with open(path, "rb") as fh:
        head = fh.read(sources.MAGIC_BYTES)
    with open(path, "rb") as raw:
        return sources.decompressing(raw, head, path) is not raw


@contextlib.contextmanager
def open_binary_read(path):
    """Open ``path`` for binary reading, decompressed on the fly by its magic bytes (gzip, bzip2,
    xz, and zstd when the ``zstandard`` module is installed); a context manager."""
    with open(path, "rb") as raw:
        head = raw.read(sources.MAGIC_BYTES)
        raw.seek(0)
        stream = sources.decompressing(raw, head, path)
        try:
            yield stream
        finally:
            if stream is not raw:
                stream.close()


def read_head(fh, size, path):
    """Up to ``size`` bytes from the start of an open (possibly decompressing) file, as FormatError on bad data."""
    try:
        return fh.read(size)
    except _decompression_errors() as exc:
        raise FormatError(f"{path}: cannot read compressed data ({exc})") from None


def _compressed_as(path):
    suffix = sources.compression_suffix(path)
    return f", {sources.COMPRESSION_SUFFIXES[suffix]}" if suffix else ""


@contextlib.contextmanager
def _binary_write(path):
    """Atomic binary write, compressed by the name's suffix (:func:`compression_for`)."""
    kind = compression_for(path)
    with atomic_write(path, "wb") as raw:
        if kind is None:
            yield raw
            return
        if kind == "gzip":
            # mtime=0 keeps output byte-identical across runs
            wrapper = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0, filename="")
        elif kind == "bzip2":
            wrapper = bz2.BZ2File(raw, "wb")
        elif kind == "xz":
            wrapper = lzma.LZMAFile(raw, "wb")
        else:
            import zstandard  # optional dependency (compression_for checked it is there)

            wrapper = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(raw, closefd=False)
        with wrapper:
            yield wrapper


# ---------------------------------------------------------------------------- writing text/binary
def check_words_writable(keys, fmt):
    """Raise :class:`FormatError` for a word that would make a text/word2vec file unreadable.

    Words are separated from numbers by spaces and from each other by newlines, so an empty
    word or one containing ASCII whitespace cannot be written in these formats; nor can a word
    holding a lone surrogate, which has no UTF-8 encoding.
    """
    for pos, key in enumerate(keys):
        if not key.isascii():
            try:
                key.encode("utf-8")
            except UnicodeEncodeError:
                raise FormatError(
                    f"word {key!r} (index {pos}) holds a lone surrogate, which is not valid Unicode text and "
                    f"cannot be written as UTF-8 in {fmt} format; fix the word (e.g. decode the source text "
                    "with errors='replace')"
                ) from None
        if not key or not _FORBIDDEN_IN_WORDS.isdisjoint(key):
            raise FormatError(
                f"word {key!r} (index {pos}) cannot be written in {fmt} format: words there must be non-empty "
                "and contain no spaces, tabs or newlines, or the file could not be read back. Save with "
                "WordVectors.save() (native format) to keep such words, or rename them (e.g. spaces -> '_')"
            )


def _default_precision(dtype):
    # Significant digits that round-trip exactly: 9 for float32, 17 for float64.
    return 9 if np.dtype(dtype) == np.float32 else 17


def write_text_vectors(path, keys, vectors, header=True, precision=None):
    """Write word2vec text (``header=True``) or Stanford GloVe text (``header=False``).

    Parameters
    ----------
    path : str or os.PathLike
        Written atomically; ``.gz``/``.bz2``/``.xz``/``.zst`` suffixes compress (:func:`compression_for`).
    keys : sequence of str
    vectors : numpy.ndarray, shape (len(keys), d)
    header : bool, optional
    precision : int, optional
        Significant digits per value. Default: enough to read back the exact values (9 for
        float32, 17 for float64). Stanford's files use about 6, which gives files half as big.

    Raises
    ------
    FormatError
        A word is empty or contains whitespace (nothing is written).
    """
    fmt_name = "word2vec text" if header else "GloVe text"
    check_words_writable(keys, fmt_name)
    vectors = np.asarray(vectors)
    n, dim = vectors.shape
    if precision is None:
        precision = _default_precision(vectors.dtype)
    if isinstance(precision, bool) or not isinstance(precision, int) or not 1 <= precision <= 17:
        raise InvalidParameterError(f"precision must be an integer in 1..17, got {precision!r}")
    row_fmt = " ".join([f"%.{precision}g"] * dim)
    logger.info("writing %s of dimension %d to %s (%s%s)", plural(n, "vector"), dim, path, fmt_name,
                _compressed_as(path))
    with _binary_write(path) as fh:
        if header:
            fh.write(f"{n} {dim}\n".encode("ascii"))
        for start in range(0, n, WRITE_BLOCK_ROWS):
            rows = vectors[start:start + WRITE_BLOCK_ROWS].tolist()
            lines = [f"{w} {row_fmt % tuple(r)}\n" for w, r in zip(keys[start:start + WRITE_BLOCK_ROWS], rows)]
            fh.write("".join(lines).encode("utf-8"))


def write_word2vec_binary(path, keys, vectors):
    """Write the original word2vec binary format (float32 little-endian, newline after each vector)."""
    check_words_writable(keys, "word2vec binary")
    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    n, dim = vectors.shape
    logger.info("writing %s of dimension %d to %s (word2vec binary%s)", plural(n, "vector"), dim, path,
                _compressed_as(path))
    with _binary_write(path) as fh:
        fh.write(f"{n} {dim}\n".encode("ascii"))
        for start in range(0, n, WRITE_BLOCK_ROWS):
            parts = []
            for w, row in zip(keys[start:start + WRITE_BLOCK_ROWS], vectors[start:start + WRITE_BLOCK_ROWS]):
                parts.append(w.encode("utf-8") + b" ")
                parts.append(row.tobytes())
                parts.append(b"\n")
            fh.write(b"".join(parts))


# ---------------------------------------------------------------------------- reading text/binary
def check_limit(limit):
    """``limit=`` of the vector readers: None or an int >= 0 (InvalidParameterError otherwise)."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InvalidParameterError(f"limit must be a non-negative integer or None, got {limit!r}")
    return limit


def _is_number(token):
    if b"_" in token:  # float() takes "1_000"; the parser, like every other reader of these files, does not
        return False
    try:
        float(token)
    except ValueError:
        return False
    return True


def _decode_words(raw_words, labels, path, unicode_errors):
    """Decode a block of words in one call; on failure, name the offending word and where it is."""
    if not raw_words:
        return []
    try:
        return b"\n".join(raw_words).decode("utf-8", unicode_errors).split("\n")
    except UnicodeDecodeError:
        for raw, label in zip(raw_words, labels):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(
                    f"{path}: {label}: word {raw!r} is not valid UTF-8 ({exc.reason}); "
                    "pass unicode_errors='replace' or 'ignore' to load it anyway"
                ) from None
        raise


def _parse_header(line, path, hint):
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() and len(p) <= 18 for p in parts):
        n, dim = int(parts[0]), int(parts[1])
        if dim < 1:
            raise FormatError(f"{path}: header says vector size {dim}; it must be at least 1")
        return n, dim
    raise FormatError(
        f"{path}: the first line should be the word2vec header '<n_words> <vector_size>', got "
        f"{line[:60]!r}. {hint}"
    )


def _finish(keys, vectors, path, check_finite=True):
    """Drop duplicated and empty words (keeping the first occurrence), compacting ``vectors`` in place.

    Returns ``(keys, vectors, key_to_index)``: the word index is built once here, where repeated
    words are looked for, and handed on (for 400k words each dict costs a tenth of a second).
    """
    if check_finite:
        for start in range(0, len(keys), 65536):  # in slices: no full-size boolean temporary
            finite = np.isfinite(vectors[start:start + 65536]).all(axis=1)
            if not finite.all():
                bad = start + int(np.flatnonzero(~finite)[0])
                raise FormatError(f"{path}: the vector of word {keys[bad]!r} holds NaN or inf; the file is corrupted")
    index = dict(zip(keys, range(len(keys))))
    if len(index) == len(keys) and "" not in index:
        return keys, vectors, index
    first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))
    keep = [i for i, k in enumerate(keys) if k and first[k] == i]
    dropped = len(keys) - len(keep)
    example = next(k for i, k in enumerate(keys) if not k or first[k] != i)
    logger.warning(
        "%s: ignored %s empty or repeated words (kept each word's first vector), e.g. %r",
        path, f"{dropped:,}", example,
    )
    # Shift the kept rows down in place, a bounded slice at a time, so no second matrix is made.
    step = 4096
    for dst, src in enumerate(keep):
        if dst != src:
            break
    else:
        dst = len(keep)
    runs_src = np.asarray(keep[dst:], dtype=np.int64)
    for start in range(0, len(runs_src), step):
        idx = runs_src[start:start + step]
        vectors[dst + start:dst + start + len(idx)] = vectors[idx]
    keys = [keys[i] for i in keep]
    return keys, vectors[:len(keep)], dict(zip(keys, range(len(keys))))


def _fill_buffer(fh, path, buf, filled):
    """Fill ``buf`` from ``fh`` after its first ``filled`` bytes; returns (filled, at_eof)."""
    view = memoryview(buf)
    while filled < len(buf):
        try:
            got = fh.readinto(view[filled:])
        except _decompression_errors() as exc:
            raise FormatError(
                f"{path}: the file is truncated or its compressed data are corrupted ({exc})") from None
        if not got:
            return filled, True
        filled += got
    return filled, False


def _text_block_reader(fh, path, first, block_bytes):
    """Yield (memoryview of whole lines, is_last) from ``first`` followed by the rest of ``fh``.

    Two buffers alternate: while the caller parses a block (the C parser releases the GIL), a
    reader thread fills the other one, so reading, and above all decompressing, which cannot
    be split across threads, overlaps parsing. Each block is a view of its buffer, valid until
    the next one is requested; the text is never copied in Python except the partial line that
    ends a block. A block ends after a newline; a line longer than the buffer doubles it. The
    last block may end without a newline (a truncated file, or a writer that omits it).
    """
    size = max(block_bytes, 2 * len(first), 4096)
    bufs = [bytearray(size), bytearray(size)]
    bufs[0][:len(first)] = first
    cur = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="glovefast-read") as reader:
        pending = reader.submit(_fill_buffer, fh, path, bufs[0], len(first))
        while True:
            filled, eof = pending.result()
            buf = bufs[cur]
            if eof:
                if filled:
                    yield memoryview(buf)[:filled], True
                return
            cut = buf.rfind(b"\n", 0, filled) + 1
            if cut == 0:  # one line longer than the buffer
                if filled > MAX_LINE_BYTES:
                    raise FormatError(f"{path}: a line longer than {MAX_LINE_BYTES >> 20} MiB "
                                      "(glovefast.io.formats.MAX_LINE_BYTES); the file is corrupted or not text "
                                      "vectors")
                bigger = bytearray(2 * len(buf))
                bigger[:filled] = buf[:filled]
                bufs[cur] = bigger
                pending = reader.submit(_fill_buffer, fh, path, bigger, filled)
                continue
            if len(bufs[1 - cur]) != len(buf):
                bufs[1 - cur] = bytearray(len(buf))
            nxt = bufs[1 - cur]
            tail = filled - cut
            nxt[:tail] = memoryview(buf)[cut:filled]
            pending = reader.submit(_fill_buffer, fh, path, nxt, tail)
            yield memoryview(buf)[:cut], False
            cur = 1 - cur


def _sample_dim(block, path):
    """Vector size of a headerless file, from its first lines.

    Each line votes for the number of numeric fields at its end (at most its field count
    minus one, since a word may itself be a number, like "2" in a dimension-1 file); the most
    common vote wins, ties going to the earliest line. So a first word containing spaces
    (". . .") or one odd line does not decide the dimension.
    """
    votes = {}
    for line in block.split(b"\n", 200)[:200]:
        fields = line.split()
        if not fields:
            continue
        numeric = 0
        for tok in reversed(fields):
            if numeric == len(fields) - 1 or not _is_number(tok):
                break
            numeric += 1
        votes.setdefault(numeric, [0, len(votes)])[0] += 1
    if not votes:
        raise FormatError(f"{path}: the file is empty")
    dim = max(votes, key=lambda k: (votes[k][0], -votes[k][1]))
    if dim < 1:
        raise FormatError(f"{path}: line 1 has no numbers after the word; not a GloVe text file")
    return dim


def _bad_line_message(kind, line, line_no, dim, path):
    text = line.rstrip(b"\r")
    tokens = text.split()
    numeric = 0
    for tok in reversed(tokens):
        if not _is_number(tok):
            break
        numeric += 1
    where = f"{path}: line {line_no}"
    if kind == _textio.ERR_NONFINITE:
        word = text.rsplit(None, dim)[0].decode("utf-8", "replace") if len(tokens) > dim else "?"
        return (f"{where}: the vector of word {word!r} holds NaN or inf (or a value too large for the dtype); "
                "the file is corrupted")
    if kind == _textio.ERR_EXTRA or numeric > dim and len(tokens) > numeric:
        return (f"{where}: {numeric} numbers where {dim} were expected (a line with more numbers than the "
                "others); the file is malformed")
    if kind == _textio.ERR_NUMBER or (kind == _textio.ERR_FIELDS and len(tokens) > numeric + 1):
        bad = tokens[-dim:][::-1]
        bad = next((t for t in bad if not _is_number(t)), bad[0])
        if numeric < dim and len(tokens) > dim:
            return f"{where}: {bad.decode('utf-8', 'replace')!r} is not a number"
    if numeric == len(tokens) and numeric == dim:
        return f"{where}: {dim} numbers but no word before them"
    return (f"{where}: {max(numeric - (1 if numeric == len(tokens) else 0), 0)} numbers after the word where "
            f"{dim} were expected; the file is truncated or not in this format")


def read_text_vectors(path, header=True, limit=None, dtype=np.float32, unicode_errors="strict", no_threads=None):
    """Read word2vec text (``header=True``) or Stanford GloVe text (``header=False``).

    Lines are parsed in C (``glovefast._kernels.textio``), in parallel over chunks of each block of
    :data:`TEXT_BLOCK_BYTES`; numbers are converted exactly as Python's ``float()`` would and
    then rounded to ``dtype``. A line is ``word v1 ... vd``: the numbers are the last ``d``
    whitespace-separated fields and the word is everything before them, so words containing
    spaces survive (Stanford's 840B release has ". . ." and "at name@domain.com"); runs of
    spaces or tabs between fields, CRLF line ends, a UTF-8 BOM, blank lines and a last line
    without newline are accepted.

    Parameters
    ----------
    path : str or os.PathLike
        gzip, bz2 and xz files are decompressed on the fly (detected from the content).
    header : bool, optional
        Whether the file starts with ``"<n_words> <vector_size>"``. Without a header the
        vector size is the most common number of fields minus one among the first 200 lines.
    limit : int, optional
        Read only the first ``limit`` words (the rest of the file is not read).
    dtype : numpy dtype, optional
        float32 (default) or float64.
    unicode_errors : {"strict", "replace", "ignore"}, optional
        How to handle invalid UTF-8 in words: ``"strict"`` (a :class:`FormatError` naming the
        line), ``"replace"`` (U+FFFD) or ``"ignore"`` (drop the bytes).
    no_threads : int, optional
        Parsing threads; None or 0 for all available CPUs.

    Returns
    -------
    keys : list of str
        Repeated words keep their first vector (a warning gives the count); empty words
        (after ``"ignore"``) are dropped.
    vectors : numpy.ndarray, shape (n, vector_size)
        Every value finite.

    Raises
    ------
    FormatError
        Missing/invalid header, truncated file, malformed line (the message gives its number
        and what is wrong with it), invalid UTF-8 under ``"strict"``, or NaN/inf values.
    """
    return parse_text_vectors(path, header, limit, dtype, unicode_errors, no_threads)[:2]


def parse_text_vectors(path, header, limit, dtype, unicode_errors, no_threads):
    """:func:`read_text_vectors`, returning ``(keys, vectors, key_to_index)``."""
    limit = check_limit(limit)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise InvalidParameterError(f"dtype must be float32 or float64, got {dtype}")
    if unicode_errors not in ("strict", "replace", "ignore"):
        raise InvalidParameterError(f"unicode_errors must be 'strict', 'replace' or 'ignore', got {unicode_errors!r}")
    threads = check_threads(no_threads)
    path = os.fspath(path)
    with open_binary_read(path) as fh:
        head = _first_lines(fh, path)  # the first line must be whole: the header, or the dimension
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        line_no = 0
        # leading blank lines (counted, so messages give the editor's line numbers)
        while True:
            nl = head.find(b"\n")
            line = head if nl < 0 else head[:nl]
            if line.strip() or nl < 0:
                break
            head = head[nl + 1:]
            line_no += 1
        if not head.strip():
            raise FormatError(f"{path}: the file is empty")
        if header:
            nl = head.find(b"\n")
            first = head if nl < 0 else head[:nl]
            n_words, dim = _parse_header(
                first, path, "For Stanford GloVe files (no header) use load_glove_format / header=False.")
            head = b"" if nl < 0 else head[nl + 1:]
            line_no += 1
            if dim > 1 << 24 and dim > len(head):  # more numbers than the first data can hold
                raise FormatError(f"{path}: the header claims vector size {dim:,}, more than the file's lines hold; "
                                  "the file is corrupted")
        else:
            n_words, dim = None, _sample_dim(head, path)
        want = n_words if limit is None else (limit if n_words is None else min(limit, n_words))
        words = []
        unterminated = False
        first_data_line = line_no + 1
        mapped = _map_plain_file(fh)
        if mapped is None and n_words is not None and os.path.isfile(path):
            # a mapped file bounds the rows by its size as they are parsed (and a short file is named by
            # the line that fails); a compressed one must be able to hold what its header promises
            _check_declared_shape(path, n_words, want, dim, dtype, 2 * dim + 2)  # "w 0 ... 0\n"
        store = _RowStore(dim, dtype, None if mapped is None else len(mapped) - (fh.tell() - len(head)))
        try:
            if mapped is not None:  # parsed in place: no copies
                source = _mapped_windows(mapped, fh.tell() - len(head), MAP_WINDOW_BYTES)
            else:
                source = _text_block_reader(fh, path, head, TEXT_BLOCK_BYTES)
            for block, last in source:
                if want is not None and store.rows >= want:
                    break
                remaining = (1 << 62) if want is None else want - store.rows
                raw_words, lines, error = _textio.parse_block(
                    block, dim, dtype, remaining, threads, PARSE_CHUNK_BYTES, release=mapped is not None,
                    reserve=store.reserve)
                if error is not None:
                    kind, offset, before = error
                    bad_line = bytes(block[offset:_textio.line_end(block, offset)])
                    bad_no = line_no + before + 1
                    message = _bad_line_message(kind, bad_line, bad_no, dim, path)
                    if not header and bad_no == first_data_line \
                            and len(bad_line.split()) == 2 and all(f.isdigit() for f in bad_line.split()):
                        message += "; the first line looks like a word2vec header: use load_word2vec_format"
                    raise FormatError(message)
                words.append(_decode_block_words(raw_words, block, line_no, path, unicode_errors))
                line_no += lines
                unterminated = last and len(block) > 0 and bytes(block[-1:]) != b"\n"
                block = None
        finally:
            block = source = None
            if mapped is not None:
                try:
                    mapped.close()
                except BufferError:  # a window kept alive by a traceback: unmapped when collected
                    pass
        rows = store.rows
        if unterminated and (want is None or rows <= want):
            # Every writer we know ends lines with a newline; a missing one usually means
            # the file was cut inside its last number, which still parses.
            logger.warning("%s: the last line has no newline; the file may be truncated", path)
    if n_words is not None and rows < want:
        raise FormatError(
            f"{path}: the header promises {n_words} words but the file ends after {rows}; "
            "it is truncated (re-export or re-download it, or pass limit= to read fewer words)"
        )
    keys = words[0] if len(words) == 1 else [w for part in words for w in part]
    return _finish(keys, store.finish(), path, check_finite=False)


_NON_BLANK = re.compile(rb"[^ \t\n\r\v\f]")
_LONE_CR = re.compile(rb"\r[^\n\r]")


def _first_lines(fh, path):
    """The start of a text vectors file, up to the end of its first non-blank line (or of the file).

    Read in pieces that double, into one growing buffer: linear in the line's length (appending
    to bytes copied the whole head each time: a 100 MB first line took 136 s), and never more
    than :data:`MAX_LINE_BYTES`. NUL bytes, which UTF-8 text never holds (/dev/zero, UTF-16 text,
    binary files), and lines ending in a lone CR are refused as soon as they are seen.
    """
    head = bytearray()
    piece, scanned, text_at = min(1 << 16, TEXT_BLOCK_BYTES), 0, -1
    while True:
        more = read_head(fh, piece, path)
        if not more:
            return bytes(head)
        head += more
        nul = more.find(b"\0")
        if nul >= 0:
            raise FormatError(f"{path}: byte {len(head) - len(more) + nul:,} is NUL: this is binary data (or "
                              "UTF-16/32 text), not text vectors, which are UTF-8")
        if text_at < 0:
            found = _NON_BLANK.search(head, scanned)
            text_at = -1 if found is None else found.start()
        if text_at >= 0:
            if head.find(b"\n", max(text_at, scanned)) >= 0:
                return bytes(head)
            if _LONE_CR.search(head, max(text_at, scanned - 1)):
                raise FormatError(f"{path}: its lines end in a lone CR (old Mac OS line ends), so the file reads "
                                  "as one line; convert them first, e.g. tr '\\r' '\\n' < IN > OUT")
        scanned = len(head)
        if scanned - max(text_at, 0) > MAX_LINE_BYTES:
            raise FormatError(f"{path}: no line end in the first {scanned:,} bytes; a line of a vectors file "
                              f"holds at most {MAX_LINE_BYTES >> 20} MiB (glovefast.io.formats.MAX_LINE_BYTES): this "
                              "is not a text vectors file")
        piece = min(2 * piece, 16 << 20)


def _decode_block_words(raw_words, block, line_no, path, unicode_errors):
    try:
        text = raw_words.decode("utf-8", unicode_errors)
    except UnicodeDecodeError as exc:
        start = raw_words.rfind(b"\n", 0, exc.start) + 1
        end = raw_words.find(b"\n", exc.start)
        word = raw_words[start:end]
        where = _textio.row_line(block, raw_words.count(b"\n", 0, start))
        where = f"line {line_no + where[0] + 1}" if where is not None else "a line"
        raise FormatError(
            f"{path}: {where}: word {word!r} is not valid UTF-8 ({exc.reason}); "
            "pass unicode_errors='replace' or 'ignore' to load it anyway"
        ) from None
    return text.split("\n")[:-1]


class _RowStore:
    """The rows of a matrix that grows as blocks are parsed into it, so no per-block arrays are
    stacked at the end (a copy of the whole result, in fresh memory).

    When the size of the text still to read is known (a mapped file), the first block's bytes per
    row give a close estimate of the rows, reserved at once in an anonymous memory map: its pages
    are zeroed by the kernel when the parsing threads first write them, in parallel, with 4 KB
    pages (``np.empty`` asks for transparent huge pages, and on virtual machines that hand free
    memory back to the host, faulting in fresh huge pages cost 0.05-1.2 s of system time for
    480 MB, 4 KB pages a steady 0.2 s); the rows reserved beyond the estimate are never touched.
    Otherwise, or past the estimate, the matrix grows by half in place (``ndarray.resize``: a
    large ``realloc`` moves page mappings, not bytes) and is trimmed at the end.
    """

    def __init__(self, dim, dtype, text_bytes=None):
        self.dim, self.dtype, self.text_bytes = dim, np.dtype(dtype), text_bytes
        self.array = np.empty((0, dim), dtype=dtype)
        self.rows = 0
        self._mapped = False

    def reserve(self, n, nbytes):
        """The next ``n`` rows (parsed from ``nbytes`` of text), to be filled before the next call:
        the array may move then."""
        need = self.rows + n
        if need > len(self.array):
            grow = max(need, len(self.array) * 3 // 2, _min_growth_rows(self.dim, self.dtype))
            if len(self.array) == 0 and self.text_bytes and n and nbytes:
                # the rest of the file at this block's bytes per row, and 2.5 % to spare
                guess = self.text_bytes * n // nbytes * 41 // 40 + _min_growth_rows(self.dim, self.dtype)
                self.array = self._anonymous(max(grow, min(guess, self.text_bytes // (2 * self.dim + 1) + 1)))
            elif self._mapped:  # the estimate fell short: leave the map for a matrix that can grow
                grown = np.empty((0, self.dim), dtype=self.dtype)
                grown.resize((grow, self.dim), refcheck=False)
                grown[:self.rows] = self.array[:self.rows]
                self.array, self._mapped = grown, False
            else:
                self.array.resize((grow, self.dim), refcheck=False)
        out = self.array[self.rows:need]
        self.rows = need
        return out

    def _anonymous(self, rows):
        try:
            size = max(1, rows * self.dim * self.dtype.itemsize)
            # private: plain anonymous memory (a shared anonymous map is shmem, dearer to fault in)
            buf = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE) if hasattr(mmap, "MAP_PRIVATE") else mmap.mmap(-1, size)
        except (OSError, ValueError, OverflowError):
            array = np.empty((0, self.dim), dtype=self.dtype)
            array.resize((rows, self.dim), refcheck=False)
            return array
        self._mapped = True
        return np.frombuffer(buf, dtype=self.dtype, count=rows * self.dim).reshape(rows, self.dim)

    def finish(self):
        """The matrix, trimmed to the rows reserved (a mapped one is a view: its untouched tail
        costs address space only)."""
        if self._mapped:
            return self.array[:self.rows]
        if len(self.array) != self.rows:
            self.array.resize((self.rows, self.dim), refcheck=False)
        return self.array


def _min_growth_rows(dim, dtype):
    return max(1, min(1024, MIN_GROWTH_BYTES // (dim * np.dtype(dtype).itemsize)))


def _map_plain_file(fh):
    """A read-only memory map of ``fh`` when it is an uncompressed regular file (None otherwise,
    or when mapping fails, e.g. a 32-bit process and a file larger than its address space)."""
    if not MAP_TEXT_FILES or type(fh) is not io.BufferedReader or type(fh.raw) is not io.FileIO:
        return None  # a decompressing reader (zstd's is buffered too)
    try:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
            return None
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, OverflowError):
        return None


def _mapped_windows(mapped, start, window):
    """Yield (memoryview of whole lines, is_last) over ``mapped`` from ``start``, about ``window``
    bytes each: the parser's blocks, without copying. Each view is released once used."""
    end = len(mapped)
    with memoryview(mapped) as whole:
        while start < end:
            stop = end if end - start <= window else mapped.find(b"\n", start + window) + 1
            if stop <= 0:
                stop = end
            with whole[start:stop] as view:
                yield view, stop == end
            start = stop


#: Longest word of a word2vec binary record (word2vec.c's own limit is 100 bytes): a file whose
#: next space is further away is not word2vec binary (a run of zeros from a decompression bomb).
MAX_WORD_BYTES = 1 << 16

#: Bytes of content one byte of gzip data can hold at most (DEFLATE's limit is 1032 to 1).
GZIP_MAX_RATIO = 1032


def _check_declared_shape(path, n_words, want, dim, dtype, min_record):
    """Refuse a header whose promise cannot be kept, before reading on: ``want`` records of at
    least ``min_record`` bytes that the file cannot hold (a plain file holds its size, a gzip file
    at most :data:`GZIP_MAX_RATIO` times it), or a result larger than the memory available."""
    size = os.path.getsize(path)
    with open(path, "rb") as raw:
        head = raw.read(sources.MAGIC_BYTES)
    if is_compressed(path):
        gzipped = head.startswith(sources.GZIP_MAGIC)
        limit, what = (size * GZIP_MAX_RATIO, f"a gzip file of {size:,} bytes") if gzipped else (None, "")
    else:
        limit, what = size, f"the file ({size:,} bytes)"
    if limit is not None and want * min_record > limit:
        raise FormatError(
            f"{path}: the header claims {plural(n_words, 'word')} of {dim:,} dimensions (at least "
            f"{want * min_record:,} bytes) but {what} holds at most {limit:,}; the file is truncated or corrupted "
            "(or not in this format)")
    need = want * dim * np.dtype(dtype).itemsize
    avail = available_memory()
    if avail is not None and need > avail:
        raise MemoryBudgetError(
            f"{path}: the header declares {plural(n_words, 'vector')} of {dim:,} dimensions: {format_bytes(need)} "
            f"as {np.dtype(dtype).name}, more than the {format_bytes(avail)} of memory available; read fewer words "
            "(limit=N, or --limit N on the command line), or free memory. A header that large may also be corrupt")


def read_word2vec_binary(path, limit=None, dtype=np.float32, unicode_errors="strict"):
    """Read the word2vec binary format; see :func:`read_text_vectors` for the parameters.

    The header's promise is checked before any record is read: ``n x dim`` records must fit in
    the file (a gzip file holds at most :data:`GZIP_MAX_RATIO` times its size) and the result in
    the memory available. Rows are then allocated as their bytes arrive, and the read buffer
    holds at most one record, one word (at most :data:`MAX_WORD_BYTES`) and one block: a
    decompression bomb ends in a :class:`FormatError` after little work, in bounded memory.

    Raises
    ------
    FormatError
        Invalid header, truncated data, invalid UTF-8, non-finite values, a word longer than
        :data:`MAX_WORD_BYTES`, or a text file given as binary.
    MemoryBudgetError
        The header declares more vectors than the memory available holds.
    """
    limit = check_limit(limit)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise InvalidParameterError(f"dtype must be float32 or float64, got {dtype}")
    path = os.fspath(path)
    compressed = is_compressed(path)
    try:
        with open_binary_read(path) as fh:
            first = fh.readline(256)
            n_words, dim = _parse_header(
                first, path, "Is this a text file? Use binary=False, or load_glove_format without a header.")
            want = n_words if limit is None else min(limit, n_words)
            record = dim * 4
            buf = bytearray(fh.read(4096))
            space = buf.find(b" ")
            if space >= 0 and _looks_like_text(buf[space + 1:space + 1 + min(record, 64)]):
                raise FormatError(
                    f"{path}: the values after the first word are text, not binary floats; load it with binary=False"
                )
            _check_declared_shape(path, n_words, want, dim, dtype, record + 2)  # a 1-byte word, a space, the floats
            out = np.empty((min(want, max(1, TEXT_BLOCK_BYTES // record)) if not compressed else 0, dim),
                           dtype=dtype)
            raw_words = []
            pos = 0
            eof = False
            while len(raw_words) < want:
                space = buf.find(b" ", pos, pos + MAX_WORD_BYTES + 2)  # +2: the newline before the word, the space
                if space < 0 or len(buf) - (space + 1) < record:
                    if space < 0 and len(buf) - pos > MAX_WORD_BYTES + 1:
                        raise FormatError(
                            f"{path}: record {len(raw_words) + 1}: no space within {MAX_WORD_BYTES:,} bytes, where "
                            "a word should end; the file is corrupted (or not word2vec binary)")
                    if eof:
                        break
                    del buf[:pos]  # the consumed records: the buffer never holds more than one record and a block
                    pos = 0
                    chunk = fh.read(TEXT_BLOCK_BYTES)  # never sized from the header
                    eof = not chunk
                    buf += chunk
                    continue
                i = len(raw_words)
                raw_words.append(bytes(buf[pos:space]).lstrip(b"\n"))
                if i == len(out):
                    grown = np.empty((min(want, max(2 * i, _min_growth_rows(dim, dtype))), dim), dtype=dtype)
                    grown[:i] = out
                    out = grown
                out[i] = np.frombuffer(buf, dtype="<f4", count=dim, offset=space + 1)
                pos = space + 1 + record
    except _decompression_errors() as exc:
        raise FormatError(f"{path}: the file is truncated or its compressed data are corrupted ({exc})") from None
    if len(raw_words) < want:
        raise FormatError(
            f"{path}: the header promises {n_words} words but the data end after {len(raw_words)}; "
            "the file is truncated (or is not word2vec binary)"
        )
    keys = _decode_words(raw_words, (f"record {i + 1}" for i in range(len(raw_words))), path, unicode_errors)
    return _finish(keys, out[:len(raw_words)], path)[:2]


def _looks_like_text(data):
    # Binary float32 data are almost never all printable ASCII over 8+ bytes; text always is.
    return len(data) >= 8 and all(32 <= c < 127 or c in b"\n\r\t" for c in data)


__all__ = [
    "FORMAT_SUFFIX",
    "NAMED_FORMATS",
    "check_name_fits_format",
    "check_words_writable",
    "named_format",
    "compression_for",
    "open_binary_read",
    "read_text_vectors",
    "read_word2vec_binary",
    "write_text_vectors",
    "write_word2vec_binary",
]
