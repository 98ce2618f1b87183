"""The on-disk cooccurrence store: counting's output when it should not (or cannot) live in RAM.

Layout (version 2)
------------------
A store is a directory::

    STORE/
      manifest.json                 what the store holds (below); the store's one entry point
      G.vocabulary.json             the words in id order (a JSON list of str), optional
      G.word_counts.i8              int64 little-endian, one per word, optional
      G.tokens.i4                   int32 little-endian: the corpus as word ids, optional (see below)
      G.shard-00000.row.i4          int32 little-endian row ids of shard 0
      G.shard-00000.col.i4          int32 little-endian column ids of shard 0
      G.shard-00000.count.f8        float64 little-endian counts of shard 0
      G.shard-00001.row.i4 ...

where ``G`` is the store's *generation*, 12 random hex digits drawn when it is written.
``manifest.json``::

    {"format": "glovefast.cooccurrence-store", "version": 2, "generation": "3f9ac0d2b1e4",
     "n_words": V, "nnz": N, "symmetric": true,
     "shards": [{"name": "shard-00000", "row_start": 0, "row_end": 812, "nnz": 1048576}, ...],
     "vocabulary": true, "params": {...}, "n_tokens": 29000000, "tokens": 29123456}

Version 1 stores (glovefast before issue 20) are the same without a generation: their files are
named without the ``G.`` prefix. Both versions are read.

Entries are sorted by (row, col) with no duplicates, across the whole store: shard k holds rows
``[row_start, row_end)``, the shards' row ranges are increasing and do not overlap, and the row
ranges cover ``0..n_words`` with no gap (a shard may be empty). With ``symmetric`` the store holds
the upper triangle, diagonal included (``row <= col``), as ``Corpus.matrix`` does.

``tokens`` (absent or null when there is no ``tokens.i4``) is the length of the corpus's token
stream, kept with ``Corpus.fit(..., keep_tokens=True)``: the ids of
:class:`~glovefast.text.tokens.TokenStream` (word ids, -1 after every document, -2 for an
unknown word that kept its position).

The column files are raw little-endian arrays so any reader (numpy, C, another language) can
memory-map them without parsing a header, and so writers can stream entries out without knowing
the count in advance.

Writing and replacing
---------------------
A store is written into a temporary sibling directory (``.STORE.tmp-*``). A new store is renamed
into place whole. An existing one is replaced *in place*, because renaming a directory over
another is not atomic on POSIX (the old one must first be moved away, and an interruption between
the two renames left nothing at the path): under an exclusive ``flock`` of the store directory
(one writer commits at a time), the new generation's files are moved in beside the old ones, then
``manifest.json`` is replaced by ``rename``, which is atomic (the commit), then the files the new
manifest does not name (the old generation, or a version 1 store's) are removed. Readers open the
manifest and then the files it names, so at every instant the path holds the old store or the new
one. The commit runs as a critical section (:func:`glovefast._util.interrupts.critical`): Ctrl-C or
SIGTERM waits for it to end, and the temporary directory is removed on every exit Python sees. A
store reached through a symbolic link is replaced in the directory the link names; the link stays.
A reader that opened the old generation and reads it after the replacement gets a StorageError
("replaced after it was opened: open it again"), never a mix of the two.
"""
import errno
import json
import os
import re
import shutil
import stat
import tempfile
import uuid
import weakref

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: commits go unlocked
    fcntl = None

import numpy as np
import scipy.sparse as sp

from glovefast._kernels import cooc as cooc_kernel
from glovefast._util.atomic import fsync_directory
from glovefast._util.files import read_exactly
from glovefast._util.interrupts import critical
from glovefast._util.memory import format_bytes, resolve_budget
from glovefast._util.validation import check_int
from glovefast.errors import CorruptStoreError, FormatError, InvalidParameterError, MemoryBudgetError, StorageError
from glovefast.text.sources import compression_suffix

FORMAT = "glovefast.cooccurrence-store"
VERSION = 2
#: Versions this glovefast reads (1: files without a generation prefix).
READ_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
VOCABULARY = "vocabulary.json"
WORD_COUNTS = "word_counts.i8"
TOKENS = "tokens.i4"

#: Column files of a shard: suffix and dtype.
COLUMNS = (("row", ".row.i4", np.dtype("<i4")), ("col", ".col.i4", np.dtype("<i4")),
           ("count", ".count.f8", np.dtype("<f8")))

#: Bytes one entry takes in RAM as a scipy COO (int32 row + int32 col + float64 count).
COO_ENTRY_BYTES = 16

#: Entries :meth:`CooccurrenceStore.entries` reads at a time by default (16 bytes each: 4 MiB).
READ_ENTRIES = 1 << 18

#: Opening a store file never follows a symbolic link: a store's files are its own.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def is_store(path):
    """True when ``path`` is a directory holding a store manifest."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, MANIFEST))


class Shard:
    """One shard's row range, entry count and file paths (see the module docstring)."""

    __slots__ = ("directory", "name", "row_start", "row_end", "nnz", "prefix")

    def __init__(self, directory, name, row_start, row_end, nnz, prefix=""):
        self.directory = directory
        self.name = name
        self.row_start = row_start
        self.row_end = row_end
        self.nnz = nnz
        self.prefix = prefix  # "G." of the store's generation ("" in a version 1 store)

    def path(self, column):
        for col, suffix, _ in COLUMNS:
            if col == column:
                return os.path.join(self.directory, self.prefix + self.name + suffix)
        raise KeyError(column)

    def arrays(self, mmap=True):
        """(rows int32, cols int32, counts float64): read-only memory maps, or arrays in RAM, as
        stored: unchecked (:meth:`CooccurrenceStore.entries` reads them checked)."""
        out = []
        for column, _, dtype in COLUMNS:
            path = self.path(column)
            if self.nnz == 0:
                out.append(np.empty(0, dtype=dtype))
            elif mmap:
                out.append(np.memmap(path, dtype=dtype, mode="r", shape=(self.nnz,)))
            else:
                out.append(np.fromfile(path, dtype=dtype, count=self.nnz))
        return tuple(out)

    def __repr__(self):
        return f"Shard({self.name}, rows {self.row_start}..{self.row_end}, {self.nnz} entries)"


class CooccurrenceStore:
    """A cooccurrence matrix on disk, opened with :meth:`open` (memory-mapped, nothing read eagerly
    but the manifest) and written with :meth:`create`.

    Attributes
    ----------
    path : str
    n_words : int
    nnz : int
    symmetric : bool
        Upper triangle (True) or full/left-context matrix (False).
    shards : list of Shard
    params : dict
        The counting parameters (window, min_count, ...), as ``Corpus.params``.
    n_tokens : int or None
    """

    def __init__(self, path, manifest):
        self.path = path
        self.manifest = manifest
        self.n_words = manifest["n_words"]
        self.nnz = manifest["nnz"]
        self.symmetric = manifest["symmetric"]
        self.params = manifest.get("params", {})
        self.n_tokens = manifest.get("n_tokens")
        self.generation = manifest.get("generation")
        self.prefix = _prefix(self.generation)
        self.shards = [Shard(path, s["name"], s["row_start"], s["row_end"], s["nnz"], self.prefix)
                       for s in manifest["shards"]]

    def file_path(self, name):
        """Path of the store file ``name`` (VOCABULARY, WORD_COUNTS) in this store's generation."""
        return os.path.join(self.path, self.prefix + name)

    @property
    def shape(self):
        return (self.n_words, self.n_words)

    @property
    def has_vocabulary(self):
        return bool(self.manifest.get("vocabulary"))

    # -------------------------------------------------------------------------------- reading
    @classmethod
    def open(cls, path):
        """Open a store, checking the manifest and every file's size against it.

        Raises
        ------
        FileNotFoundError
            ``path`` does not exist.
        FormatError
            Not a store, an unfinished one, a newer version, or files that do not match the manifest.
        """
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"cooccurrence store {path!r} does not exist")
        mpath = os.path.join(path, MANIFEST)
        if not os.path.isdir(path) or not os.path.isfile(mpath):
            raise FormatError(f"{path}: not a glovefast cooccurrence store (no {MANIFEST}); it may be unfinished")
        for _ in range(8):
            try:
                return cls._open_manifest(path, mpath)
            except _Replaced:  # a writer replaced the store between two reads: read the new one
                pass
        raise StorageError(f"{path}: the cooccurrence store kept changing while it was opened (another process "
                           "keeps replacing it)")

    @classmethod
    def _open_manifest(cls, path, mpath):
        _own_file_size(mpath)  # a regular file of the store, not a link
        try:
            with open(mpath, "rb") as fh:
                raw = fh.read(1 << 20)
                if fh.read(1):
                    raise FormatError(f"{mpath}: the manifest is larger than 1 MiB; it is not a glovefast manifest")
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise FormatError(f"{mpath}: the manifest is not valid JSON ({exc})") from None
        _check_manifest(manifest, mpath)
        store = cls(path, manifest)
        try:
            for shard in store.shards:
                for column, _, dtype in COLUMNS:
                    fpath = shard.path(column)
                    size = _own_file_size(fpath)
                    if size != shard.nnz * dtype.itemsize:
                        raise FormatError(
                            f"{fpath}: expected {shard.nnz * dtype.itemsize} bytes for {shard.nnz} entries, found "
                            f"{'no file' if size < 0 else f'{size} bytes'}; the store is incomplete or was modified"
                        )
            files = []
            if store.has_vocabulary:
                files += [(WORD_COUNTS, 8 * store.n_words, "word counts"), (VOCABULARY, None, "words")]
            if store.has_tokens:
                files.append((TOKENS, 4 * manifest["tokens"], "token ids"))
            for name, size, what in files:
                fpath = store.file_path(name)
                found = _own_file_size(fpath)
                if found < 0 or (size is not None and found != size):
                    raise FormatError(f"{fpath}: expected {'a file' if size is None else f'{size} bytes'} of {what}; "
                                      "the store is incomplete or was modified")
        except FormatError:
            try:
                with open(mpath, "rb") as fh:
                    now = fh.read(1 << 20)
            except OSError:
                now = None
            if now != raw:  # replaced meanwhile: the files of the manifest read first are going away
                raise _Replaced() from None
            raise
        return store

    def iter_shards(self, mmap=True):
        """Yield (rows, cols, counts) of each shard in row order (memory maps by default)."""
        for shard in self.shards:
            yield shard.arrays(mmap=mmap)

    def words(self):
        """The words in id order, or None when the store holds no vocabulary."""
        if not self.has_vocabulary:
            return None
        vpath = self.file_path(VOCABULARY)
        try:
            with open(vpath, encoding="utf-8") as fh:
                words = json.load(fh)
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise FormatError(f"{vpath}: unreadable vocabulary ({exc})") from None
        if (not isinstance(words, list) or len(words) != self.n_words
                or not all(isinstance(w, str) and w for w in words) or len(set(words)) != len(words)):
            raise FormatError(f"{vpath}: the vocabulary must be a list of {self.n_words} distinct non-empty strings")
        check_encodable(words, vpath)
        return words

    @property
    def has_tokens(self):
        return self.manifest.get("tokens") is not None

    def tokens(self):
        """The corpus's token ids (a read-only int32 memory map), or None when the store holds none."""
        if not self.has_tokens:
            return None
        if not self.manifest["tokens"]:
            return np.zeros(0, dtype=np.int32)
        return np.memmap(self.file_path(TOKENS), dtype="<i4", mode="r", shape=(self.manifest["tokens"],))

    def word_counts(self):
        """Occurrences of each word (int64), or None when the store holds no vocabulary."""
        if not self.has_vocabulary:
            return None
        path = self.file_path(WORD_COUNTS)
        counts = np.empty(self.n_words, dtype="<i8")
        self._read_file(path, counts, 0)
        check_word_counts(counts, path)
        return counts

    def _open_file(self, path):
        """A read-only descriptor of the store file ``path``, never through a symbolic link."""
        try:
            return os.open(path, _READ_FLAGS)
        except OSError as exc:
            if os.path.islink(path):
                raise CorruptStoreError(f"{path} is a symbolic link; a store's files are its own regular files "
                                        "(copy the file in, or save the store again)") from None
            raise StorageError(f"cannot read the cooccurrence store {self.path}: {exc}; it was modified or "
                               "replaced after it was opened: open it again") from exc

    def _read_file(self, path, out, offset, fd=None):
        """Fill ``out`` from the store file ``path`` at byte ``offset`` (through ``fd`` if open)."""
        own = fd is None
        if own:
            fd = self._open_file(path)
        try:
            read_exactly(fd, out, offset)
        except OSError as exc:
            if os.fstat(fd).st_size < offset + out.nbytes:
                raise StorageError(f"{path} is shorter than the manifest of {self.path} says; the store was "
                                   "modified or replaced after it was opened: open it again") from None
            raise StorageError(f"cannot read the cooccurrence store {self.path}: {exc}") from exc
        finally:
            if own:
                os.close(fd)

    def entries(self, max_entries=READ_ENTRIES, counts=True, into=None):
        """Read the entries in store order, checked: yields (rows int32, cols int32, counts float64
        or None) of at most ``max_entries`` consecutive entries.

        Every path that reads a store's entries (:meth:`to_coo`, hence ``Corpus.matrix``, and
        training from a store) goes through here: each chunk is checked in one pass in C
        (:func:`glovefast._kernels.cooc.check_entries`) against the format, rows inside their shard's
        range, columns inside ``0..n_words-1``, ``row <= col`` in a symmetric store, (row, col)
        strictly increasing (sorted, each cell once) and, with ``counts``, counts finite and > 0.

        Parameters
        ----------
        max_entries : int
        counts : bool
            Read (and check) the counts too; False yields None for them.
        into : (rows, cols, counts) arrays of ``nnz`` entries, optional
            Read into these (the yielded arrays are views of them) instead of new arrays.

        Raises
        ------
        CorruptStoreError
            An entry breaks the format (the message names the shard, the entry and the rule), or
            a file was replaced by a symbolic link.
        StorageError
            A file is shorter than the manifest says (the store was modified after it was
            opened) or cannot be read.
        """
        n = self.n_words
        last = -1
        pos = 0
        columns = COLUMNS if counts else COLUMNS[:2]
        for shard in self.shards:
            if shard.nnz == 0:
                continue
            fds = []
            try:
                for column, _, _ in columns:
                    fds.append(self._open_file(shard.path(column)))
                for e0 in range(0, shard.nnz, max_entries):
                    m = min(max_entries, shard.nnz - e0)
                    chunk = []
                    for k, (column, _, dtype) in enumerate(columns):
                        out = into[k][pos:pos + m] if into is not None else np.empty(m, dtype=dtype)
                        self._read_file(shard.path(column), out, e0 * dtype.itemsize, fds[k])
                        chunk.append(out)
                    rows, cols, x = chunk[0], chunk[1], chunk[2] if counts else None
                    bad, code, key = cooc_kernel.check_entries(rows, cols, x, shard.row_start, shard.row_end, n,
                                                               self.symmetric, last)
                    if bad >= 0:
                        raise CorruptStoreError(self._bad_entry(shard, e0 + bad, code, rows[bad], cols[bad],
                                                                None if x is None else x[bad], key))
                    last = key
                    pos += m
                    yield rows, cols, x
            finally:
                for fd in fds:
                    os.close(fd)

    def _bad_entry(self, shard, entry, code, row, col, count, previous):
        n = self.n_words
        where = f"{self.path}: entry {entry:,} of {shard.name}"
        if code == cooc_kernel.ENTRY_COUNT:
            why = (f"cooccurrence counts must be finite and > 0; entry ({row}, {col}) of {shard.name} is "
                   f"{float(count)!r}")
            where = self.path
        elif code == cooc_kernel.ENTRY_ROW:
            why = f"has row {row}, outside the shard's rows {shard.row_start}..{shard.row_end - 1}"
        elif code == cooc_kernel.ENTRY_COL:
            why = f"has column {col}, outside 0..{n - 1}"
        elif code == cooc_kernel.ENTRY_LOWER:
            why = f"({row}, {col}) lies below the diagonal, but the store is symmetric (it holds row <= col)"
        elif code == cooc_kernel.ENTRY_REPEATED:
            why = f"repeats the cell ({row}, {col}); a store lists each cell once"
        else:
            why = (f"({row}, {col}) comes after ({previous // n}, {previous % n}); entries must be sorted by "
                   "(row, col)")
        return f"{where}: {why}; the store is corrupted: count the corpus into it again"

    def to_coo(self, memory=None):
        """The whole matrix as a scipy COO in RAM (sorted, canonical), read through :meth:`entries`,
        which checks every entry (CorruptStoreError names the first bad one).

        Parameters
        ----------
        memory : int or str, optional
            Budget for the result; MemoryBudgetError when ``16 * nnz`` bytes exceed it.
        """
        need = COO_ENTRY_BYTES * self.nnz
        budget = resolve_budget(memory)
        if need > budget:
            raise MemoryBudgetError(
                f"the cooccurrence matrix in {self.path} has {self.nnz:,} entries: {format_bytes(need)} in RAM as a "
                f"scipy COO, more than the memory budget ({format_bytes(budget)}). Train from the store directly "
                "(Glove().fit(store)) or raise the budget"
            )
        into = (np.empty(self.nnz, dtype=np.int32), np.empty(self.nnz, dtype=np.int32),
                np.empty(self.nnz, dtype=np.float64))
        for _ in self.entries(max_entries=1 << 22, into=into):  # checked: canonical is then true
            pass
        matrix = sp.coo_matrix((into[2], (into[0], into[1])), shape=self.shape)
        matrix.has_canonical_format = True
        return matrix

    @classmethod
    def assemble(cls, path, n_words, symmetric, shards, words=None, word_counts=None, params=None, n_tokens=None,
                 overwrite=False):
        """Build a store from shard files written by :func:`glovefast.cooc.counting.merge_runs`.

        ``shards`` are the dicts merge_runs returns, for all row ranges, in row order (their row
        ranges must follow each other from 0 to ``n_words``). The files are moved (renamed) into
        the store, so they must be on the same file system as ``path``. ``words`` and
        ``word_counts`` (the vocabulary in id order) are stored with the matrix when given.
        Returns the opened store.
        """
        with cls.create(path, n_words, symmetric, overwrite=overwrite) as writer:
            for shard in shards:
                writer.adopt_shard(shard["files"], shard["row_start"], shard["row_end"], shard["nnz"])
            if words is not None:
                writer.add_vocabulary(words, word_counts)
            return writer.finish(params=params, n_tokens=n_tokens)

    def copy_to(self, path, overwrite=False, tokens=None):
        """Copy this store to ``path`` (hard links when on the same file system: no data is copied;
        store files are never modified in place, so the copies stay independent). ``tokens``
        (token ids) are written with the copy, in place of any this store holds."""
        with CooccurrenceStore.create(path, self.n_words, self.symmetric, overwrite=overwrite) as writer:
            for shard in self.shards:
                writer.adopt_shard({column: shard.path(column) for column, _, _ in COLUMNS}, shard.row_start,
                                   shard.row_end, shard.nnz, move=False)
            if self.has_vocabulary:
                writer.add_vocabulary(self.words(), self.word_counts())
            if tokens is not None:
                writer.add_tokens(tokens)
            elif self.has_tokens:
                writer.adopt_tokens(self.file_path(TOKENS), self.manifest["tokens"], move=False)
            return writer.finish(params=self.params, n_tokens=self.n_tokens)

    def __repr__(self):
        return (f"CooccurrenceStore({self.path!r}, {self.n_words} words, {self.nnz} entries, "
                f"{len(self.shards)} shards, {'upper triangle' if self.symmetric else 'full'})")

    # -------------------------------------------------------------------------------- writing
    @classmethod
    def create(cls, path, n_words, symmetric, overwrite=False):
        """Start writing a store at ``path``; returns a :class:`StoreWriter`.

        The store appears at ``path`` only when :meth:`StoreWriter.finish` succeeds. An existing
        store at ``path`` is replaced then only with ``overwrite=True``; anything else at ``path``
        (a file, a directory that is not a store) is never replaced.
        """
        return StoreWriter(os.fspath(path), n_words, symmetric, overwrite)


def check_target(path, overwrite=False):
    """Raise unless a store can be written at ``path`` (nothing there, or a store and
    ``overwrite``; its directory exists). Returns the parent directory. Callers that count for a
    long time check this first, so a bad path fails at once rather than at the end."""
    path = os.fspath(path)
    if os.path.lexists(path):
        if not is_store(path):
            raise InvalidParameterError(
                f"{path!r} exists and is not a glovefast cooccurrence store; choose a new path "
                "(glovefast never replaces other files or directories with a store)"
            )
        if not overwrite:
            raise InvalidParameterError(f"cooccurrence store {path!r} already exists; pass overwrite=True to "
                                        "replace it")
    elif compression_suffix(path):
        raise InvalidParameterError(
            f"{path!r}: a cooccurrence store is a directory, but a name ending in {compression_suffix(path)} says a "
            "compressed file; name the store without it (or save an .npz file, whose arrays compress=True "
            "deflates)")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"cannot create cooccurrence store {path!r}: directory {parent!r} does not exist")
    return parent


class StoreWriter:
    """Writes shards in row order, then the manifest; use as a context manager so a failure
    removes the partial store. See :meth:`CooccurrenceStore.create`."""

    def __init__(self, path, n_words, symmetric, overwrite=False):
        self.path = path
        self.n_words = check_int("n_words", n_words, minimum=1)
        self.symmetric = bool(symmetric)
        self.overwrite = bool(overwrite)
        check_target(path, overwrite)
        # a link to a store is replaced through: the directory it names gets the new generation
        self._target = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
        self.generation = uuid.uuid4().hex[:12]
        self.shards = []
        self.nnz = 0
        self._next_row = 0
        self._files = None
        self._open = None  # (name, row_start, nnz so far, last key)
        self._vocabulary = False  # set by add_vocabulary
        self._tokens = None  # set by add_tokens: the number of token ids
        self.tmp = None
        try:
            with critical():
                self.tmp = tempfile.mkdtemp(prefix="." + os.path.basename(self._target) + ".tmp-",
                                            dir=os.path.dirname(self._target))
                # Ctrl-C deferred to the end of this block, or landing before the caller's ``with``
                # holds the writer, would leave the directory to nobody: it goes with the writer
                self._cleanup = weakref.finalize(self, shutil.rmtree, self.tmp, True)
        except OSError as exc:
            raise StorageError(f"cannot create cooccurrence store {path!r}: {exc}") from exc
        except BaseException:
            self.abort()
            raise

    # A shard is written either whole (add_shard) or streamed (begin_shard / append / end_shard).
    def add_shard(self, rows, cols, counts, row_start, row_end):
        """Write one whole shard holding rows [row_start, row_end)."""
        self.begin_shard(row_start)
        self.append(rows, cols, counts)
        self.end_shard(row_end)

    def begin_shard(self, row_start):
        if self._open is not None:
            raise InvalidParameterError("end the current shard before beginning another")
        if row_start != self._next_row:
            raise InvalidParameterError(f"shards must cover the rows in order: expected a shard starting at row "
                                        f"{self._next_row}, got {row_start}")
        name = f"shard-{len(self.shards):05d}"
        try:
            self._files = [open(self._staged(name + suffix), "wb") for _, suffix, _ in COLUMNS]
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot write cooccurrence store {self.path!r}: {exc}") from exc
        self._open = [name, row_start, 0, -1]

    def append(self, rows, cols, counts):
        """Append entries to the open shard; they must continue its (row, col) order."""
        if self._open is None:
            raise InvalidParameterError("begin_shard() before append()")
        rows = np.ascontiguousarray(rows, dtype="<i4")
        cols = np.ascontiguousarray(cols, dtype="<i4")
        counts = np.ascontiguousarray(counts, dtype="<f8")
        n = len(rows)
        if len(cols) != n or len(counts) != n:
            raise InvalidParameterError("rows, cols and counts must have the same length")
        if n == 0:
            return
        keys = rows.astype(np.int64) * self.n_words + cols
        if (rows[0] < self._open[1] or keys[0] <= self._open[3] or (n > 1 and not (np.diff(keys) > 0).all())
                or cols.min() < 0 or cols.max() >= self.n_words or rows[-1] >= self.n_words):
            raise InvalidParameterError(
                "store entries must be sorted by (row, col) without duplicates, with ids in 0..n_words-1, "
                "and continue the shard's order"
            )
        if self.symmetric and (rows > cols).any():
            raise InvalidParameterError("a symmetric store holds the upper triangle only (row <= col)")
        try:
            for fh, arr in zip(self._files, (rows, cols, counts)):
                fh.write(memoryview(arr).cast("B"))
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot write cooccurrence store {self.path!r} ({exc}); nothing was left "
                               "behind") from exc
        self._open[2] += n
        self._open[3] = int(keys[-1])

    def end_shard(self, row_end):
        name, row_start, nnz, last = self._open
        if row_end < row_start or row_end > self.n_words or (last >= 0 and last // self.n_words >= row_end):
            self.abort()
            raise InvalidParameterError(f"shard rows [{row_start}, {row_end}) do not hold its entries or exceed "
                                        f"n_words={self.n_words}")
        try:
            for fh in self._files:
                fh.close()
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot write cooccurrence store {self.path!r}: {exc}") from exc
        self._files = None
        self._open = None
        self.shards.append({"name": name, "row_start": row_start, "row_end": row_end, "nnz": nnz})
        self.nnz += nnz
        self._next_row = row_end

    def adopt_shard(self, files, row_start, row_end, nnz, move=True):
        """Move the column files of a shard written elsewhere (e.g. by
        :func:`glovefast.cooc.counting.merge_runs` on another worker) into the store as its next shard.

        ``files`` maps ``"row"``, ``"col"`` and ``"count"`` to paths on the same file system; their
        sizes must match ``nnz``. The entries are trusted to be sorted within ``[row_start,
        row_end)`` (the merge wrote them so); :meth:`CooccurrenceStore.open` checks the sizes again
        and every read checks the entries. ``move=False`` links the files (copies them across file
        systems) instead: store files are never modified in place, so the stores stay independent.
        """
        if self._open is not None:
            raise InvalidParameterError("end the current shard before adopting another")
        if row_start != self._next_row or row_end < row_start or row_end > self.n_words:
            raise InvalidParameterError(f"shards must cover the rows in order: expected a shard starting at row "
                                        f"{self._next_row}, got [{row_start}, {row_end})")
        name = f"shard-{len(self.shards):05d}"
        for column, suffix, dtype in COLUMNS:
            self._take(files[column], name + suffix, nnz * dtype.itemsize, move)
        self.shards.append({"name": name, "row_start": int(row_start), "row_end": int(row_end), "nnz": int(nnz)})
        self.nnz += int(nnz)
        self._next_row = int(row_end)

    def add_vocabulary(self, words, word_counts):
        """Store the words (in id order) and their counts with the matrix."""
        words = list(words)
        counts = np.ascontiguousarray(word_counts, dtype="<i8")
        if len(words) != self.n_words or counts.shape != (self.n_words,):
            raise InvalidParameterError(f"the vocabulary must have n_words={self.n_words} words and counts")
        try:
            with open(self._staged(VOCABULARY), "w", encoding="utf-8") as fh:
                json.dump(words, fh, ensure_ascii=False)
            counts.tofile(self._staged(WORD_COUNTS))
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot write cooccurrence store {self.path!r}: {exc}") from exc
        self._vocabulary = True

    def _take(self, src, name, size, move):
        """Move (or link, or copy) the file ``src`` of ``size`` bytes into the store as ``name``."""
        src = os.fspath(src)
        try:
            found = os.path.getsize(src)
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot read {src!r} for cooccurrence store {self.path!r}: {exc}") from exc
        if found != size:
            self.abort()
            raise FormatError(f"{src}: expected {size} bytes, found {found}")
        dst = self._staged(name)
        try:
            if move:
                os.replace(src, dst)
            else:
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot {'move' if move else 'copy'} {src!r} into cooccurrence store "
                               f"{self.path!r}: {exc}") from exc

    def adopt_tokens(self, src, n, move=True):
        """Take the token ids file ``src`` (``n`` int32 ids) into the store, as :meth:`adopt_shard`
        takes shard files."""
        self._take(src, TOKENS, 4 * int(n), move)
        self._tokens = int(n)

    def add_tokens(self, ids):
        """Store the corpus's token ids (an int32 array or memory map, written in bounded pieces)."""
        ids = np.asarray(ids) if not isinstance(ids, np.memmap) else ids
        if ids.ndim != 1 or ids.dtype.kind != "i":
            raise InvalidParameterError("token ids must be a 1-D integer array")
        try:
            with open(self._staged(TOKENS), "wb") as fh:
                for a in range(0, len(ids), 1 << 22):
                    np.ascontiguousarray(ids[a:a + (1 << 22)], dtype="<i4").tofile(fh)
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot write cooccurrence store {self.path!r}: {exc}") from exc
        self._tokens = len(ids)

    def finish(self, params=None, n_tokens=None):
        """Write the manifest and move the store into place; returns the opened store."""
        if self._open is not None:
            raise InvalidParameterError("end the current shard before finishing")
        if self._next_row != self.n_words:
            # rows past the last shard hold nothing: close the cover with an empty shard
            self.begin_shard(self._next_row)
            self.end_shard(self.n_words)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "generation": self.generation,
            "n_words": self.n_words,
            "nnz": self.nnz,
            "symmetric": self.symmetric,
            "shards": self.shards,
            "vocabulary": self._vocabulary,
            "params": dict(params or {}),
            "n_tokens": None if n_tokens is None else int(n_tokens),
        }
        if self._tokens is not None:
            manifest["tokens"] = self._tokens
        try:
            with open(os.path.join(self.tmp, MANIFEST), "w", encoding="utf-8") as fh:
                json.dump(manifest, fh, ensure_ascii=False, indent=1)
                fh.flush()
                os.fsync(fh.fileno())  # renamed in as the commit: its content must be on disk first
            self._publish()
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot write cooccurrence store {self.path!r}: {exc}") from exc
        except BaseException:
            self.abort()
            raise
        return CooccurrenceStore.open(self.path)

    def _staged(self, name):
        """Path of the store file ``name`` of this generation in the temporary directory."""
        return os.path.join(self.tmp, _prefix(self.generation) + name)

    def _publish(self):
        """Put the staged store at the path (see "Writing and replacing" in the module docstring)."""
        target = self._target
        with critical():
            try:
                os.rename(self.tmp, target)  # a new store, whole
                self._cleanup.detach()
                self.tmp = None
                return
            except OSError as exc:
                # the path is taken: a store to replace (or one another writer just created)
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR):
                    raise
        if not self.overwrite:
            raise InvalidParameterError(f"cooccurrence store {self.path!r} already exists (written meanwhile by "
                                        "another process); pass overwrite=True to replace it")
        with _locked(target):  # waits for another writer's commit: outside the critical section
            with critical():
                if not is_store(target):
                    raise InvalidParameterError(f"{self.path!r} is no longer a glovefast cooccurrence store; "
                                                "nothing was replaced")
                staged = [name for name in os.listdir(self.tmp) if name != MANIFEST]
                moved = []
                try:
                    for name in staged:
                        os.rename(os.path.join(self.tmp, name), os.path.join(target, name))
                        moved.append(name)
                    os.replace(os.path.join(self.tmp, MANIFEST), os.path.join(target, MANIFEST))  # the commit
                except BaseException:
                    for name in moved:  # not committed: the old store stays whole, without our files
                        _unlink(os.path.join(target, name))
                    raise
                fsync_directory(target)
                _remove_unnamed(target, set(staged))
                self._cleanup()  # the emptied temporary directory
                self.tmp = None

    def abort(self):
        """Remove everything written so far (idempotent)."""
        with critical():  # Ctrl-C waits until the directory is gone, not half-removed
            if self._files:
                for fh in self._files:
                    try:
                        fh.close()
                    except OSError:
                        pass
                self._files = None
            self._open = None
            if self.tmp is not None:
                self._cleanup()
                self.tmp = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.abort()
        elif self.tmp is not None:
            self.abort()  # left without finish(): nothing is published
        return False


def _prefix(generation):
    return f"{generation}." if generation else ""


class _Replaced(Exception):
    """The manifest changed while a store was being opened."""


#: Names of the files a store holds besides its manifest, in either version.
_STORE_FILE = re.compile(r"(?:[0-9a-f]{12}\.)?(?:shard-\d{5}\.(?:row\.i4|col\.i4|count\.f8)|vocabulary\.json"
                         r"|word_counts\.i8|tokens\.i4)\Z")


class _locked:
    """An exclusive ``flock`` of a store directory for one commit (writers queue here). Where the
    file system has no flock (some network file systems), commits go unlocked."""

    def __init__(self, directory):
        self.directory = directory
        self.fd = None

    def __enter__(self):
        if fcntl is None:  # pragma: no cover - not POSIX
            return self
        try:
            with critical():
                self.fd = os.open(self.directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            raise StorageError(f"cannot open cooccurrence store {self.directory!r} to replace it: {exc}") from exc
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError as exc:
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF):
                self.__exit__()
                raise StorageError(f"cannot lock cooccurrence store {self.directory!r}: {exc}") from exc
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None
        return False


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _remove_unnamed(directory, keep):
    """Remove the store files of ``directory`` that are not in ``keep`` (the committed generation's):
    the replaced generation, a version 1 store's files, or files a killed writer moved in. Files that
    are not store files (a README someone put there) are left alone."""
    for name in os.listdir(directory):
        if name not in keep and _STORE_FILE.match(name):
            _unlink(os.path.join(directory, name))


def _own_file_size(path):
    """Size of the store file ``path``: -1 when missing; CorruptStoreError when it is a symbolic
    link or not a regular file (a link to a same-size file outside the store was read silently)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return -1
    if stat.S_ISLNK(st.st_mode):
        raise CorruptStoreError(f"{path} is a symbolic link; a store's files are its own regular files (copy the "
                                "file in, or save the store again)")
    if not stat.S_ISREG(st.st_mode):
        raise CorruptStoreError(f"{path} is not a regular file; the store was modified")
    return st.st_size


def check_encodable(words, where):
    """FormatError unless every word can be written as UTF-8 (a lone surrogate such as ``"\\ud800"``,
    which JSON can spell, loads but fails where the vectors are written, after training)."""
    try:
        "".join(words).encode("utf-8")
    except UnicodeEncodeError:
        for i, word in enumerate(words):
            try:
                word.encode("utf-8")
            except UnicodeEncodeError:
                raise FormatError(f"{where}: word {i} ({word!r}) holds a lone surrogate, which is not text and "
                                  "cannot be written as UTF-8; the file is corrupted or forged") from None


def check_word_counts(counts, where):
    """FormatError unless the word counts are >= 0 and their total fits int64 (negative counts, or
    counts whose sum wraps around, used to make ``n_tokens`` 0 silently)."""
    if len(counts) and counts.min() < 0:
        i = int(np.flatnonzero(counts < 0)[0])
        raise FormatError(f"{where}: word {i} has a negative count ({int(counts[i])}); the file is corrupted")
    if float(counts.sum(dtype=np.float64)) >= 2.0 ** 63:
        raise FormatError(f"{where}: the word counts add up to more than 2**63 - 1 tokens; the file is corrupted")


def _check_manifest(m, where):
    def bad(field, why):
        raise FormatError(f"{where}: field {field!r} {why}")

    def count(field, value, minimum=0):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum or value >= 1 << 62:
            bad(field, f"must be an integer >= {minimum}, got {str(value)[:40]!r}")
        return value

    if not isinstance(m, dict):
        raise FormatError(f"{where}: the manifest must be a JSON object")
    if m.get("format") != FORMAT:
        raise FormatError(f"{where}: not a glovefast cooccurrence store (format {str(m.get('format'))[:60]!r})")
    if m.get("version") not in READ_VERSIONS or isinstance(m.get("version"), bool):
        raise FormatError(f"{where}: store version {str(m.get('version'))[:20]!r}; this glovefast reads "
                          f"versions {', '.join(map(str, READ_VERSIONS))} (upgrade glovefast)")
    generation = m.get("generation")
    if m["version"] >= 2 and not (isinstance(generation, str) and re.fullmatch(r"[0-9a-f]{12}", generation)):
        bad("generation", f"must be 12 hexadecimal digits, got {str(generation)[:40]!r}")
    if m["version"] == 1 and generation is not None:
        bad("generation", "belongs to version 2 stores")
    n = count("n_words", m.get("n_words"), 1)
    if n >= 1 << 31:
        bad("n_words", "must fit int32")
    count("nnz", m.get("nnz"))
    if not isinstance(m.get("symmetric"), bool):
        bad("symmetric", "must be true or false")
    shards = m.get("shards")
    if not isinstance(shards, list):
        bad("shards", "must be a list")
    nxt, total = 0, 0
    for k, s in enumerate(shards):
        if not isinstance(s, dict) or not isinstance(s.get("name"), str) or s["name"] != f"shard-{k:05d}":
            bad(f"shards[{k}]", "must be an object named shard-NNNNN in order")
        r0 = count(f"shards[{k}].row_start", s.get("row_start"))
        r1 = count(f"shards[{k}].row_end", s.get("row_end"))
        total += count(f"shards[{k}].nnz", s.get("nnz"))
        if r0 != nxt or r1 < r0 or r1 > n:
            bad(f"shards[{k}]", f"rows [{r0}, {r1}) do not continue the previous shard's (ending at {nxt})")
        nxt = r1
    if nxt != n:
        bad("shards", f"cover rows up to {nxt}, not all {n}")
    if total != m["nnz"]:
        bad("nnz", f"is {m['nnz']} but the shards hold {total} entries")
    if "params" in m and not isinstance(m["params"], dict):
        bad("params", "must be an object")
    if m.get("n_tokens") is not None:
        count("n_tokens", m["n_tokens"])
    if m.get("tokens") is not None:
        count("tokens", m["tokens"])


__all__ = ["CooccurrenceStore", "Shard", "StoreWriter", "check_encodable", "check_target", "check_word_counts",
           "is_store"]
